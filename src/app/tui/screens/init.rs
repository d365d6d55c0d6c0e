//! `:init [FILE]`: the TUI twin of `dyntui init`. Learns a project file from
//! the table in front (the same sampling and inference), and asks before it
//! replaces an existing file.

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use crate::app::project::init;
use crate::app::tui::cx::{Cx, Level};
use crate::app::tui::input::Input;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::{Deps, Reply, Tracked};
use crate::app::tui::widgets::{Answer, Confirm};

#[derive(Debug)]
pub enum InitMsg {
    /// The summary line, or why nothing was written.
    Done(ReqId, Result<String, String>),
}

#[derive(Debug)]
pub enum InitEffect {
    Run {
        id: ReqId,
        table: String,
        path: PathBuf,
        force: bool,
    },
}

impl Tracked for InitEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            InitEffect::Run { id, .. } => Some(*id),
        }
    }
}

pub type InitCx<'a> = Cx<'a, InitEffect>;

#[derive(Debug, Default)]
pub struct InitState {
    pub job: Request<(), String>,
}

impl InitState {
    pub fn busy(&self) -> bool {
        self.job.is_loading()
    }

    /// Starts learning a project file for `table` into `path` (default
    /// `dyntui.toml`); asks first when the file exists, unless `force`.
    pub fn start(
        &mut self,
        cx: &mut InitCx,
        table: Option<String>,
        path: &str,
        force: bool,
    ) -> Result<(), String> {
        if self.busy() {
            return Err("a project file is already being written".into());
        }
        let table = table.ok_or("open or select a table first (:table NAME)")?;
        if !cx.online {
            return Err("not connected".into());
        }
        let path = if path.is_empty() { "dyntui.toml" } else { path };
        let file = PathBuf::from(path);
        if file.exists() && !force {
            *cx.input = Some(Input::Overwrite {
                path: path.to_string(),
                table,
                confirm: Confirm::yes_no(),
            });
            return Ok(());
        }
        cx.flash(
            Level::Info,
            format!(
                "learning {path} from `{table}` (sampling up to {} items)…",
                init::DEFAULT_SAMPLE
            ),
        );
        cx.start(&mut self.job, |id| InitEffect::Run {
            id,
            table,
            path: file,
            force,
        });
        Ok(())
    }

    /// A key on the "replace it?" question.
    pub fn on_overwrite_key(
        &mut self,
        cx: &mut InitCx,
        path: String,
        table: String,
        mut confirm: Confirm,
        k: &KeyEvent,
    ) {
        match confirm.on_key(k) {
            Answer::Yes => {
                if let Err(e) = self.start(cx, Some(table), &path, true) {
                    cx.flash(Level::Error, e);
                }
            }
            Answer::No => cx.flash(Level::Info, format!("kept {path} as it is")),
            Answer::Pending | Answer::Refused(_) => {
                *cx.input = Some(Input::Overwrite {
                    path,
                    table,
                    confirm,
                })
            }
        }
    }

    pub fn update(&mut self, cx: &mut InitCx, msg: InitMsg) -> bool {
        let InitMsg::Done(id, r) = msg;
        if !self.job.accept(id) {
            return false;
        }
        match r {
            Ok(summary) => cx.flash(
                Level::Info,
                format!("{summary}; open it with --config, or start dyntui beside it"),
            ),
            Err(e) => cx.flash(Level::Error, format!("init: {e}")),
        }
        true
    }
}

/// Describes and samples the table, infers the file and writes it.
pub async fn perform(e: InitEffect, deps: Deps, reply: Reply<InitMsg>) {
    let InitEffect::Run {
        id,
        table,
        path,
        force,
    } = e;
    let r = async {
        let db = deps.db.as_ref().ok_or("not connected")?;
        let info = db.describe(&table).await.map_err(|e| e.to_string())?;
        let items = init::sample(db, &table, init::DEFAULT_SAMPLE)
            .await
            .map_err(|e| e.to_string())?;
        let found = init::infer(&info, &items).map_err(|e| e.to_string())?;
        init::write_new(&path, &found.text, force).map_err(|e| e.to_string())?;
        Ok::<_, String>(found.summary(&path.display().to_string()))
    }
    .await;
    reply.send(InitMsg::Done(id, r));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dyntui-tui-init-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn init_runs_on_the_table_in_front_and_needs_one() {
        let mut p = Parts::new();
        let mut st = InitState::default();
        let err = st.start(&mut p.cx(), None, "", false).unwrap_err();
        assert!(err.contains("open or select a table"), "{err}");
        let dir = scratch("new");
        let path = dir.join("new.toml").display().to_string();
        let mut cx = p.cx();
        st.start(&mut cx, Some("orders".into()), &path, false)
            .unwrap();
        assert!(matches!(
            cx.fx.as_slice(),
            [InitEffect::Run { table, force: false, .. }] if table == "orders"
        ));
        drop(cx);
        assert!(st.busy());
        let again = st.start(&mut p.cx(), Some("orders".into()), &path, false);
        assert!(again.is_err(), "one at a time");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_existing_file_is_replaced_only_after_yes() {
        let dir = scratch("exists");
        let file = dir.join("dyntui.toml");
        std::fs::write(&file, "# mine\n").unwrap();
        let path = file.display().to_string();
        let mut p = Parts::new();
        let mut st = InitState::default();
        let mut cx = p.cx();
        st.start(&mut cx, Some("orders".into()), &path, false)
            .unwrap();
        assert!(cx.fx.is_empty(), "asks first");
        drop(cx);
        let Some(Input::Overwrite {
            path: asked,
            table,
            confirm,
        }) = p.input.take()
        else {
            panic!("asks first: {:?}", p.input);
        };
        assert_eq!(asked, path);
        // `n` keeps the file.
        let mut cx = p.cx();
        st.on_overwrite_key(
            &mut cx,
            asked.clone(),
            table.clone(),
            confirm.clone(),
            &key('n'),
        );
        assert!(cx.fx.is_empty());
        drop(cx);
        assert!(p.input.is_none());
        // Another key keeps asking.
        let mut cx = p.cx();
        st.on_overwrite_key(
            &mut cx,
            asked.clone(),
            table.clone(),
            confirm.clone(),
            &key('x'),
        );
        assert!(cx.fx.is_empty());
        drop(cx);
        assert!(matches!(p.input.take(), Some(Input::Overwrite { .. })));
        // `y` replaces it.
        let mut cx = p.cx();
        st.on_overwrite_key(&mut cx, asked, table, confirm, &key('y'));
        assert!(matches!(
            cx.fx.as_slice(),
            [InitEffect::Run { force: true, .. }]
        ));
        drop(cx);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_stale_answer_changes_nothing() {
        let mut p = Parts::new();
        let mut st = InitState::default();
        assert!(!st.update(&mut p.cx(), InitMsg::Done(7, Ok("x".into()))));
        assert!(p.flash.is_none());
    }
}
