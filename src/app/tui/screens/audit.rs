//! The audit log in the TUI (`:audit`): the latest writes made with dyntui,
//! newest first, filtered with `/`; `enter` shows one entry's item before
//! and after. Read on a blocking task (the file may be long).

use crossterm::event::KeyEvent;

use crate::app::audit::AuditEntry;
use crate::app::tui::cx::{Core, Cx, Screen};
use crate::app::tui::input::Input;
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::{Deps, Reply, Tracked};
use crate::app::tui::widgets::{FilterKey, FilterList};

/// Entries read from the end of the log.
pub const AUDIT_SHOWN: usize = 500;

#[derive(Debug)]
pub enum AuditMsg {
    /// The last entries, newest first.
    Loaded(ReqId, Result<Vec<AuditEntry>, String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum AuditEffect {
    /// Reads the end of the audit log.
    Read(ReqId),
}

impl Tracked for AuditEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            AuditEffect::Read(id) => Some(*id),
        }
    }
}

pub type AuditCx<'a> = Cx<'a, AuditEffect>;

#[derive(Debug, Default)]
pub struct AuditState {
    /// The entries read, newest first (kept on show while read again).
    pub log: Request<Vec<AuditEntry>, String>,
    /// The filter and the cursor (over the visible entries).
    pub nav: FilterList,
    /// Indices of the entries that match the filter (recomputed when the
    /// entries or the filter change).
    pub shown: Vec<usize>,
    /// The entry shown whole (`enter`).
    pub open: bool,
    pub back_to: Option<Screen>,
}

impl AuditState {
    /// The entries read so far (none before the first answer).
    pub fn entries(&self) -> &[AuditEntry] {
        self.log.ready().map(Vec::as_slice).unwrap_or_default()
    }

    /// Why the log could not be read.
    pub fn error(&self) -> Option<&str> {
        self.log.failed().map(String::as_str)
    }

    /// Indices of entries matching the filter (table, key, action, profile,
    /// region, time).
    pub fn visible(&self) -> &[usize] {
        &self.shown
    }

    fn refilter(&mut self) {
        let nav = &self.nav;
        self.shown = self
            .log
            .ready()
            .map(|v| {
                v.iter()
                    .enumerate()
                    .filter(|(_, e)| {
                        let key = e.key_text();
                        nav.matches([
                            e.table.as_str(),
                            e.action.as_str(),
                            e.profile.as_deref().unwrap_or(""),
                            e.region.as_deref().unwrap_or(""),
                            e.time.as_str(),
                            key.as_str(),
                        ])
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        self.nav.cursor.clamp(self.shown.len());
    }

    pub fn selected_entry(&self) -> Option<&AuditEntry> {
        self.shown
            .get(self.nav.cursor.selected)
            .and_then(|&i| self.entries().get(i))
    }

    /// The view opens (from `from`): the log is read again.
    pub fn open(&mut self, cx: &mut AuditCx, from: Screen) {
        if from != Screen::Audit {
            self.back_to = Some(from);
        }
        self.open = false;
        self.load(cx);
    }

    /// Reads the log (what was read stays on show until the answer).
    pub fn load(&mut self, cx: &mut AuditCx) {
        cx.refresh(&mut self.log, AuditEffect::Read);
    }

    pub fn on_action(&mut self, cx: &mut AuditCx, action: Action) {
        let n = self.shown.len();
        let page = cx.page_rows();
        if self.nav.cursor.on_action(action, n, page) {
            return;
        }
        match action {
            Action::Filter => *cx.input = Some(Input::AuditFilter),
            Action::Refresh => self.load(cx),
            Action::Open => self.open = !self.open && n > 0,
            Action::Back if self.open => self.open = false,
            Action::Back if !self.nav.filter.is_empty() => {
                self.nav.clear();
                self.refilter();
            }
            Action::Back => {
                cx.cancel(&mut self.log);
                cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
            }
            _ => {}
        }
    }

    /// A key typed into the filter (`/`).
    pub fn on_filter_key(&mut self, cx: &mut AuditCx, k: &KeyEvent) {
        match self.nav.on_filter_key(k) {
            FilterKey::Typing { changed } => {
                if changed {
                    self.refilter();
                }
                *cx.input = Some(Input::AuditFilter);
            }
            FilterKey::Cleared => self.refilter(),
            FilterKey::Done => {}
        }
    }

    pub fn update(&mut self, _cx: &mut AuditCx, m: AuditMsg) -> bool {
        match m {
            AuditMsg::Loaded(id, r) => {
                if !self.log.settle(id, r) {
                    return false;
                }
                self.refilter();
                true
            }
        }
    }

    /// True while the log is being read.
    pub fn busy(&self) -> bool {
        self.log.is_loading()
    }
}

/// Runs an effect of the audit view.
pub async fn perform(e: AuditEffect, deps: Deps, reply: Reply<AuditMsg>) {
    match e {
        AuditEffect::Read(id) => {
            let r = match deps.audit_log {
                None => Err("no state directory for the audit log".to_string()),
                Some(log) => tokio::task::spawn_blocking(move || {
                    log.last(AUDIT_SHOWN)
                        .map(|mut v| {
                            v.reverse();
                            v
                        })
                        .map_err(|e| format!("{}: {e}", log.path.display()))
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string())),
            };
            reply.send(AuditMsg::Loaded(id, r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crate::app::tui::request::Loadable;
    use crossterm::event::KeyCode;

    fn entry(table: &str, action: &str) -> AuditEntry {
        AuditEntry {
            time: "2025-03-14T09:26:53Z".into(),
            profile: None,
            region: None,
            endpoint: None,
            table: table.into(),
            action: action.into(),
            key: serde_json::json!({"PK": {"S": "K"}}),
            before: None,
            after: None,
            by: None,
            run: None,
            summary: None,
        }
    }

    fn loaded(st: &mut AuditState, parts: &mut Parts, entries: Vec<AuditEntry>) {
        let mut cx = parts.cx();
        st.open(&mut cx, Screen::Tables);
        let Some(AuditEffect::Read(id)) = cx.fx.pop() else {
            panic!("the log is read");
        };
        let mut cx = parts.cx();
        assert!(st.update(&mut cx, AuditMsg::Loaded(id, Ok(entries))));
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::from(c)
    }

    #[test]
    fn opening_reads_the_log_and_r_reads_it_again_keeping_the_entries_on_show() {
        let mut parts = Parts::new();
        let mut st = AuditState::default();
        loaded(&mut st, &mut parts, vec![entry("orders", "update")]);
        assert_eq!(st.entries().len(), 1);
        assert!(!st.busy());
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Refresh);
        assert!(matches!(cx.fx.as_slice(), [AuditEffect::Read(_)]));
        assert!(st.busy());
        assert_eq!(st.entries().len(), 1, "kept on show while read again");
    }

    #[test]
    fn a_stale_read_changes_nothing() {
        let mut parts = Parts::new();
        let mut st = AuditState::default();
        let mut cx = parts.cx();
        st.open(&mut cx, Screen::Tables);
        let Some(AuditEffect::Read(stale)) = cx.fx.pop() else {
            panic!("read");
        };
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Refresh);
        assert!(
            cx.core
                .iter()
                .any(|c| matches!(c, Core::Abort(id) if *id == stale)),
            "{:?}",
            cx.core
        );
        let mut cx = parts.cx();
        assert!(!st.update(
            &mut cx,
            AuditMsg::Loaded(stale, Ok(vec![entry("old", "delete")]))
        ));
        assert!(st.entries().is_empty());
        assert!(st.busy());
    }

    #[test]
    fn the_filter_narrows_the_list_and_esc_clears_it() {
        let mut parts = Parts::new();
        let mut st = AuditState::default();
        loaded(
            &mut st,
            &mut parts,
            vec![
                entry("orders", "update"),
                entry("users", "delete"),
                entry("orders-archive", "create"),
            ],
        );
        assert_eq!(st.visible(), &[0, 1, 2]);
        st.nav.cursor.selected = 2;
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Filter);
        assert_eq!(*cx.input, Some(Input::AuditFilter));
        *cx.input = None;
        for c in "order".chars() {
            st.on_filter_key(&mut cx, &key(KeyCode::Char(c)));
        }
        assert_eq!(st.visible(), &[0, 2]);
        assert_eq!(st.nav.cursor.selected, 0);
        assert_eq!(*cx.input, Some(Input::AuditFilter), "still typing");
        st.on_filter_key(&mut cx, &key(KeyCode::Char('s')));
        st.on_filter_key(&mut cx, &key(KeyCode::Char('-')));
        assert_eq!(st.visible(), &[2]);
        assert_eq!(
            st.selected_entry().map(|e| e.table.as_str()),
            Some("orders-archive")
        );
        *cx.input = None;
        st.on_filter_key(&mut cx, &key(KeyCode::Esc));
        assert_eq!(st.visible().len(), 3);
        assert_eq!(*cx.input, None);
    }

    #[test]
    fn esc_closes_the_entry_then_clears_the_filter_then_leaves_aborting_the_read() {
        let mut parts = Parts::new();
        let mut st = AuditState::default();
        loaded(&mut st, &mut parts, vec![entry("orders", "update")]);
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Open);
        assert!(st.open);
        st.on_action(&mut cx, Action::Back);
        assert!(!st.open);
        st.nav.filter = "zzz".into();
        st.refilter();
        assert!(st.visible().is_empty());
        st.on_action(&mut cx, Action::Back);
        assert_eq!(st.visible().len(), 1);
        assert!(cx.core.is_empty());
        st.on_action(&mut cx, Action::Refresh);
        let Some(AuditEffect::Read(id)) = cx.fx.pop() else {
            panic!("read");
        };
        st.on_action(&mut cx, Action::Back);
        assert!(
            matches!(cx.core.as_slice(), [Core::Abort(a), Core::Go(Screen::Tables)] if *a == id),
            "{:?}",
            cx.core
        );
        assert!(!st.busy());
        assert!(matches!(st.log.state, Loadable::Ready(_)));
    }

    #[test]
    fn page_keys_move_by_the_rows_shown() {
        let mut parts = Parts::new();
        let mut st = AuditState::default();
        loaded(
            &mut st,
            &mut parts,
            (0..40).map(|i| entry(&format!("t{i}"), "update")).collect(),
        );
        parts.viewport.rows = 7;
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::PageDown);
        assert_eq!(st.nav.cursor.selected, 7);
        assert_eq!(st.nav.cursor.offset, 1);
    }

    #[test]
    fn a_failed_read_is_shown() {
        let mut parts = Parts::new();
        let mut st = AuditState::default();
        let mut cx = parts.cx();
        st.open(&mut cx, Screen::Items);
        let Some(AuditEffect::Read(id)) = cx.fx.pop() else {
            panic!("read");
        };
        let mut cx = parts.cx();
        st.update(
            &mut cx,
            AuditMsg::Loaded(id, Err("no state directory".into())),
        );
        assert_eq!(st.error(), Some("no state directory"));
        st.on_action(&mut cx, Action::Back);
        assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Items)]));
    }
}
