//! Export from the TUI (`:export FILE`): the marked items, else everything
//! the items view's request selects (every page, with its type filter), in
//! the background with the same code as `dyntui export`. The format follows
//! the file name (`.csv`: CSV per type; else DynamoDB JSON lines).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::tui::cx::{Cx, Level};
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::{Deps, Reply, Tracked};
use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::entity::{Decoder, EntityId};
use crate::dynamo::export::{self, ExportFormat, ReadOptions, ReadProgress, Summary};
use crate::dynamo::request::ItemsRequest;

/// What the items view exports (passed by the application).
#[derive(Debug, Clone)]
pub struct ExportSource {
    pub info: TableInfo,
    pub decoder: Decoder,
    /// The marked items (exported alone when there are any).
    pub marked: Vec<Item>,
    /// The view's request and type filter (every page is read).
    pub request: ItemsRequest,
    pub type_filter: Option<EntityId>,
}

#[derive(Debug)]
pub enum ExportMsg {
    Done(ReqId, Result<Summary, String>),
}

#[derive(Debug)]
pub enum ExportEffect {
    /// Writes the given items to the file (a blocking task).
    Items {
        id: ReqId,
        items: Vec<Item>,
        info: Box<TableInfo>,
        decoder: Box<Decoder>,
        path: PathBuf,
        format: ExportFormat,
        progress: Arc<ReadProgress>,
    },
    /// Reads every page of the request into the file.
    Request {
        id: ReqId,
        request: Box<ItemsRequest>,
        info: Box<TableInfo>,
        decoder: Box<Decoder>,
        only: Option<EntityId>,
        path: PathBuf,
        format: ExportFormat,
        progress: Arc<ReadProgress>,
        stop: Arc<AtomicBool>,
    },
}

impl Tracked for ExportEffect {
    /// An export is stopped with its flag (it leaves a `.partial` file),
    /// never aborted.
    fn request_id(&self) -> Option<ReqId> {
        None
    }
}

pub type ExportCx<'a> = Cx<'a, ExportEffect>;

/// An export in progress.
#[derive(Debug)]
pub struct ExportRun {
    pub path: PathBuf,
    pub progress: Arc<ReadProgress>,
    pub stop: Arc<AtomicBool>,
}

/// The export in progress, if any.
#[derive(Debug, Default)]
pub struct ExportState {
    pub job: Request<(), String>,
    pub run: Option<ExportRun>,
}

impl ExportState {
    pub fn running(&self) -> bool {
        self.run.is_some()
    }

    /// Starts exporting `source` to `path`.
    pub fn start(
        &mut self,
        cx: &mut ExportCx,
        source: Option<ExportSource>,
        path: &str,
    ) -> Result<(), String> {
        if self.running() {
            return Err("an export is already running".into());
        }
        let source = source.ok_or("open a table first (:table NAME)")?;
        let path = PathBuf::from(shellexpand_home(path));
        let format = ExportFormat::for_path(&path);
        let progress = Arc::new(ReadProgress::default());
        let stop = Arc::new(AtomicBool::new(false));
        let what;
        if !source.marked.is_empty() {
            what = format!("{} marked items", source.marked.len());
            let (p, pr) = (path.clone(), progress.clone());
            cx.start(&mut self.job, |id| ExportEffect::Items {
                id,
                items: source.marked,
                info: Box::new(source.info),
                decoder: Box::new(source.decoder),
                path: p,
                format,
                progress: pr,
            });
        } else {
            if !cx.online {
                return Err("not connected".into());
            }
            let mut req = source.request;
            req.page_size = None;
            what = req.describe();
            let (p, pr, st) = (path.clone(), progress.clone(), stop.clone());
            cx.start(&mut self.job, |id| ExportEffect::Request {
                id,
                request: Box::new(req),
                info: Box::new(source.info),
                decoder: Box::new(source.decoder),
                only: source.type_filter,
                path: p,
                format,
                progress: pr,
                stop: st,
            });
        }
        tracing::info!("exporting {what} to {} ({})", path.display(), format.name());
        *cx.flash = None;
        self.run = Some(ExportRun {
            path,
            progress,
            stop,
        });
        Ok(())
    }

    pub fn update(&mut self, cx: &mut ExportCx, msg: ExportMsg) -> bool {
        let ExportMsg::Done(id, r) = msg;
        if !self.job.accept(id) {
            return false;
        }
        self.run = None;
        match r {
            Ok(s) if s.stopped => cx.flash(
                Level::Warn,
                format!(
                    "export stopped after {} items (the .partial file is incomplete)",
                    s.items
                ),
            ),
            Ok(s) => cx.flash(
                Level::Info,
                format!(
                    "exported {} items to {}",
                    s.items,
                    s.files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Err(e) => cx.flash(Level::Error, format!("export failed: {e}")),
        }
        true
    }
}

/// Runs an export.
pub async fn perform(e: ExportEffect, deps: Deps, reply: Reply<ExportMsg>) {
    match e {
        ExportEffect::Items {
            id,
            items,
            info,
            decoder,
            path,
            format,
            progress,
        } => {
            let r = tokio::task::spawn_blocking(move || {
                let r = export::export_items(&items, &info, &path, format, *decoder);
                if let Ok(s) = &r {
                    progress.items.store(s.items, Ordering::Relaxed);
                }
                r
            })
            .await
            .unwrap_or_else(|e| Err(format!("the export ended abnormally: {e}")));
            reply.send(ExportMsg::Done(id, r));
        }
        ExportEffect::Request {
            id,
            request,
            info,
            decoder,
            only,
            path,
            format,
            progress,
            stop,
        } => {
            let r = match deps.db() {
                Ok(db) => {
                    export::export(
                        db,
                        &info,
                        &request,
                        *decoder,
                        only,
                        &path,
                        format,
                        &ReadOptions::default(),
                        progress,
                        stop,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            reply.send(ExportMsg::Done(id, r));
        }
    }
}

/// `~/x` as the home directory's `x`.
fn shellexpand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest).display().to_string(),
        _ => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crate::dynamo::entity::TableKeys;

    fn source(marked: usize) -> ExportSource {
        let info = TableInfo {
            name: "shop".into(),
            ..TableInfo::default()
        };
        ExportSource {
            decoder: Decoder::new(&Default::default(), TableKeys::default()),
            marked: (0..marked).map(|_| Item::new()).collect(),
            request: ItemsRequest::scan("shop"),
            type_filter: None,
            info,
        }
    }

    #[test]
    fn marked_items_are_exported_alone_and_a_second_export_waits() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        assert_eq!(st.start(&mut cx, Some(source(2)), "out.jsonl"), Ok(()));
        assert!(
            matches!(cx.fx.as_slice(), [ExportEffect::Items { items, .. }] if items.len() == 2)
        );
        assert!(st.running());
        let mut cx = parts.cx();
        assert!(st.start(&mut cx, Some(source(0)), "b.jsonl").is_err());
        assert!(cx.fx.is_empty());
    }

    #[test]
    fn the_view_is_exported_page_by_page_and_the_answer_ends_the_run() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        st.start(&mut cx, Some(source(0)), "out.csv")
            .unwrap_or_else(|e| panic!("{e}"));
        let id = match cx.fx.as_slice() {
            [
                ExportEffect::Request {
                    id,
                    request,
                    format,
                    ..
                },
            ] => {
                assert_eq!(request.page_size, None, "every page, at the service's size");
                assert_eq!(
                    *format,
                    ExportFormat::for_path(std::path::Path::new("x.csv"))
                );
                *id
            }
            other => panic!("{other:?}"),
        };
        let mut cx = parts.cx();
        assert!(!st.update(&mut cx, ExportMsg::Done(id + 1_000_000, Err("x".into()))));
        assert!(st.running());
        assert!(st.update(&mut cx, ExportMsg::Done(id, Err("disk full".into()))));
        assert!(!st.running());
        assert!(matches!(&*cx.flash, Some((Level::Error, m)) if m == "export failed: disk full"));
    }

    #[test]
    fn without_a_table_nothing_starts() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        assert_eq!(
            st.start(&mut cx, None, "out.jsonl"),
            Err("open a table first (:table NAME)".to_string())
        );
        assert!(!st.running());
    }
}
