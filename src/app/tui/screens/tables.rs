//! The tables list: the tables of the account and region, filtered with
//! `/`, each with its throttle sparkline; the selected table's description
//! beside it.

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::KeyEvent;

use crate::app::tui::cx::{Core, Cx};
use crate::app::tui::input::Input;
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::{Deps, Reply, Tracked};
use crate::app::tui::widgets::{FilterKey, FilterList};
use crate::dynamo::error::AwsError;

#[derive(Debug)]
pub enum TablesMsg {
    Listed(ReqId, Result<Vec<String>, AwsError>),
    /// Throttle events per table over the last hour (5-minute bars).
    Sparks(Result<HashMap<String, Vec<f64>>, AwsError>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TablesEffect {
    /// ListTables.
    List(ReqId),
    /// Throttle sparklines: from CloudWatch, or from the project's offline
    /// snapshot when there is no CloudWatch.
    Sparks {
        tables: Vec<String>,
        snapshot: Option<PathBuf>,
    },
}

impl Tracked for TablesEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            TablesEffect::List(id) => Some(*id),
            TablesEffect::Sparks { .. } => None,
        }
    }
}

pub type TablesCx<'a> = Cx<'a, TablesEffect>;

#[derive(Debug, Default)]
pub struct TablesState {
    pub list: Request<Vec<String>>,
    /// The filter and the cursor (over the visible names).
    pub nav: FilterList,
    /// Throttle events per table over the last hour (5-minute bars).
    pub sparks: HashMap<String, Vec<f64>>,
}

impl TablesState {
    /// Table names matching the filter (case-insensitive substring).
    pub fn visible(&self) -> Vec<&str> {
        self.list
            .ready()
            .map(|v| {
                v.iter()
                    .filter(|n| self.nav.matches([n.as_str()]))
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn selected_name(&self) -> Option<String> {
        self.visible()
            .get(self.nav.cursor.selected)
            .map(|s| s.to_string())
    }

    /// Loads the table list.
    pub fn load(&mut self, cx: &mut TablesCx) {
        if cx.online {
            cx.start(&mut self.list, TablesEffect::List);
        }
    }

    /// Loads the table list unless it is loaded or loading.
    pub fn load_if_idle(&mut self, cx: &mut TablesCx) {
        if self.list.ready().is_none() && !self.list.is_loading() {
            self.load(cx);
        }
    }

    /// Describes the selected table (the description shows beside).
    fn describe_selected(&self, cx: &mut TablesCx) {
        if let Some(n) = self.selected_name() {
            cx.core(Core::Describe(n));
        }
    }

    pub fn on_action(&mut self, cx: &mut TablesCx, action: Action) {
        let before = self.nav.cursor.selected;
        let n = self.visible().len();
        let page = cx.page_rows();
        if !self.nav.cursor.on_action(action, n, page) {
            match action {
                Action::Refresh => {
                    cx.core(Core::ForgetDescriptions);
                    self.load(cx);
                }
                Action::Filter => *cx.input = Some(Input::TablesFilter),
                Action::Back if !self.nav.filter.is_empty() => {
                    self.nav.clear();
                }
                Action::Open => {
                    if let Some(name) = self.selected_name() {
                        cx.core(Core::OpenTable(name));
                    }
                }
                _ => {}
            }
        }
        if self.nav.cursor.selected != before {
            self.describe_selected(cx);
        }
    }

    /// A key typed into the filter (`/`).
    pub fn on_filter_key(&mut self, cx: &mut TablesCx, k: &KeyEvent) {
        if let FilterKey::Typing { .. } = self.nav.on_filter_key(k) {
            *cx.input = Some(Input::TablesFilter);
        }
        self.describe_selected(cx);
    }

    pub fn update(&mut self, cx: &mut TablesCx, msg: TablesMsg) -> bool {
        match msg {
            TablesMsg::Listed(id, r) => {
                let r = r.map(|mut v| {
                    v.sort();
                    v
                });
                let names = r.as_ref().ok().cloned();
                if !self.list.settle(id, r) {
                    return false;
                }
                if let Some(names) = names {
                    cx.effect(TablesEffect::Sparks {
                        tables: names,
                        snapshot: cx.project.offline_snapshot.clone(),
                    });
                    self.nav.cursor.reset();
                    self.describe_selected(cx);
                }
                true
            }
            TablesMsg::Sparks(r) => {
                match r {
                    Ok(m) => self.sparks.extend(m),
                    // Sparklines are a nicety: say why once, in the log.
                    Err(e) => tracing::warn!("throttle sparklines: {e}"),
                }
                true
            }
        }
    }

    /// True while the list is loading.
    pub fn busy(&self) -> bool {
        self.list.is_loading()
    }
}

/// Runs an effect of the tables list.
pub async fn perform(e: TablesEffect, deps: Deps, reply: Reply<TablesMsg>) {
    match e {
        TablesEffect::List(id) => {
            let r = match &deps.db {
                Some(db) => db.list_tables().await,
                None => Err(AwsError::new("NotConnected", "not connected")),
            };
            reply.send(TablesMsg::Listed(id, r));
        }
        TablesEffect::Sparks { tables, snapshot } => match deps.cloudwatch() {
            Some(cw) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                let r = crate::metrics::sparklines::throttles(&cw, &deps.conn, &tables, now).await;
                reply.send(TablesMsg::Sparks(r));
            }
            None => {
                if let Some(path) = snapshot {
                    match crate::metrics::snapshot::Snapshot::load(&path) {
                        Ok(snap) => {
                            let (t, bars) = crate::metrics::sparklines::from_snapshot(&snap);
                            reply.send(TablesMsg::Sparks(Ok(HashMap::from([(t, bars)]))));
                        }
                        Err(e) => {
                            tracing::warn!("throttle sparklines from {}: {e}", path.display())
                        }
                    }
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crate::app::tui::request::Loadable;

    fn listed(st: &mut TablesState, parts: &mut Parts, names: &[&str]) {
        let mut cx = parts.cx();
        st.load(&mut cx);
        let Some(TablesEffect::List(id)) = cx.fx.pop() else {
            panic!("ListTables asked for");
        };
        let mut cx = parts.cx();
        st.update(
            &mut cx,
            TablesMsg::Listed(id, Ok(names.iter().map(|s| s.to_string()).collect())),
        );
    }

    #[test]
    fn r_asks_for_list_tables_and_aborts_the_list_in_flight() {
        let mut parts = Parts::new();
        let mut st = TablesState::default();
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Refresh);
        let first = match cx.fx.as_slice() {
            [TablesEffect::List(id)] => *id,
            other => panic!("expected ListTables, got {other:?}"),
        };
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Refresh);
        assert!(matches!(cx.fx.as_slice(), [TablesEffect::List(id)] if *id != first));
        assert!(
            cx.core
                .iter()
                .any(|c| matches!(c, Core::Abort(id) if *id == first)),
            "the superseded ListTables is aborted: {:?}",
            cx.core
        );
        assert!(st.busy());
    }

    #[test]
    fn a_stale_list_changes_nothing_and_the_current_one_is_sorted_and_described() {
        let mut parts = Parts::new();
        let mut st = TablesState::default();
        let mut cx = parts.cx();
        st.load(&mut cx);
        let stale = match cx.fx.pop() {
            Some(TablesEffect::List(id)) => id,
            other => panic!("{other:?}"),
        };
        let mut cx = parts.cx();
        st.load(&mut cx);
        let current = match cx.fx.pop() {
            Some(TablesEffect::List(id)) => id,
            other => panic!("{other:?}"),
        };
        let mut cx = parts.cx();
        assert!(!st.update(&mut cx, TablesMsg::Listed(stale, Ok(vec!["old".into()]))));
        assert!(matches!(st.list.state, Loadable::Loading));
        assert!(cx.fx.is_empty());
        let mut cx = parts.cx();
        assert!(st.update(
            &mut cx,
            TablesMsg::Listed(current, Ok(vec!["users".into(), "orders".into()]))
        ));
        assert_eq!(st.visible(), vec!["orders", "users"]);
        assert!(
            matches!(cx.fx.as_slice(), [TablesEffect::Sparks { tables, .. }] if tables.len() == 2)
        );
        assert!(matches!(cx.core.as_slice(), [Core::Describe(t)] if t == "orders"));
        assert!(!st.busy());
    }

    #[test]
    fn moving_describes_the_new_selection_and_enter_opens_it_and_page_keys_use_the_viewport() {
        let mut parts = Parts::new();
        let mut st = TablesState::default();
        let names: Vec<String> = (0..50).map(|i| format!("t{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        listed(&mut st, &mut parts, &refs);
        parts.viewport.rows = 12;
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::PageDown);
        assert_eq!(st.nav.cursor.selected, 12);
        assert!(matches!(cx.core.as_slice(), [Core::Describe(t)] if t == "t12"));
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Open);
        assert!(matches!(cx.core.as_slice(), [Core::OpenTable(t)] if t == "t12"));
    }

    #[test]
    fn the_filter_narrows_the_list_and_esc_clears_it() {
        let mut parts = Parts::new();
        let mut st = TablesState::default();
        listed(&mut st, &mut parts, &["orders", "users", "audit"]);
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Filter);
        assert_eq!(*cx.input, Some(Input::TablesFilter));
        *cx.input = None;
        st.on_filter_key(
            &mut cx,
            &KeyEvent::from(crossterm::event::KeyCode::Char('u')),
        );
        assert_eq!(st.visible(), vec!["audit", "users"]);
        assert_eq!(*cx.input, Some(Input::TablesFilter), "still typing");
        *cx.input = None;
        st.on_filter_key(&mut cx, &KeyEvent::from(crossterm::event::KeyCode::Esc));
        assert_eq!(st.visible().len(), 3);
        assert_eq!(*cx.input, None);
    }
}
