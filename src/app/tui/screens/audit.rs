//! The audit log in the TUI (`:audit`): the latest writes made with dyntui,
//! newest first, filtered with `/`; `enter` shows one entry's item before
//! and after. Read on a blocking task (the file may be long).

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::audit::AuditEntry;
use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Input, Msg, Screen, edit_line};

/// Entries read from the end of the log.
pub const AUDIT_SHOWN: usize = 500;

#[derive(Debug)]
pub enum AuditMsg {
    Loaded(Result<Vec<AuditEntry>, String>),
}

#[derive(Debug, Default)]
pub struct AuditState {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    pub selected: usize,
    pub filter: String,
    pub loading: bool,
    pub error: Option<String>,
    /// The entry shown whole (`enter`).
    pub open: bool,
    pub back_to: Option<Screen>,
}

impl AuditState {
    /// Indices of entries matching the filter (table, key, action, profile).
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                f.is_empty()
                    || [
                        e.table.as_str(),
                        e.action.as_str(),
                        e.profile.as_deref().unwrap_or(""),
                        e.region.as_deref().unwrap_or(""),
                        e.time.as_str(),
                    ]
                    .iter()
                    .any(|s| s.to_lowercase().contains(&f))
                    || e.key_text().to_lowercase().contains(&f)
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn selected_entry(&self) -> Option<&AuditEntry> {
        self.visible()
            .get(self.selected)
            .and_then(|&i| self.entries.get(i))
    }
}

impl App {
    pub fn open_audit(&mut self) {
        if self.screen != Screen::Audit {
            self.audit.back_to = Some(self.screen);
        }
        self.screen = Screen::Audit;
        self.audit.open = false;
        self.load_audit();
    }

    fn load_audit(&mut self) {
        let Some(log) = self.audit_log.clone() else {
            self.audit.error = Some("no state directory for the audit log".into());
            return;
        };
        self.audit.loading = true;
        let tx = self.sender();
        tokio::task::spawn_blocking(move || {
            let r = log
                .last(AUDIT_SHOWN)
                .map(|mut v| {
                    v.reverse();
                    v
                })
                .map_err(|e| format!("{}: {e}", log.path.display()));
            let _ = tx.send(Msg::Audit(AuditMsg::Loaded(r)));
        });
    }

    pub(crate) fn on_audit_msg(&mut self, m: AuditMsg) -> bool {
        match m {
            AuditMsg::Loaded(r) => {
                self.audit.loading = false;
                match r {
                    Ok(v) => {
                        self.audit.entries = v;
                        self.audit.error = None;
                        let n = self.audit.visible().len();
                        self.audit.selected = self.audit.selected.min(n.saturating_sub(1));
                    }
                    Err(e) => self.audit.error = Some(e),
                }
            }
        }
        true
    }

    pub(crate) fn audit_action(&mut self, action: Action) {
        let n = self.audit.visible().len();
        let sel = &mut self.audit.selected;
        match action {
            Action::Down => *sel = (*sel + 1).min(n.saturating_sub(1)),
            Action::Up => *sel = sel.saturating_sub(1),
            Action::PageDown => *sel = (*sel + 10).min(n.saturating_sub(1)),
            Action::PageUp => *sel = sel.saturating_sub(10),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = n.saturating_sub(1),
            Action::Filter => self.input = Some(Input::AuditFilter),
            Action::Refresh => self.load_audit(),
            Action::Open => self.audit.open = !self.audit.open && n > 0,
            Action::Back if self.audit.open => self.audit.open = false,
            Action::Back if !self.audit.filter.is_empty() => {
                self.audit.filter.clear();
                self.audit.selected = 0;
            }
            Action::Back => {
                self.screen = self.audit.back_to.take().unwrap_or(Screen::Tables);
            }
            _ => {}
        }
    }

    pub(crate) fn on_audit_filter_key(&mut self, k: &KeyEvent) {
        if edit_line(&mut self.audit.filter, k) {
            self.audit.selected = 0;
        }
        match k.code {
            KeyCode::Enter => {}
            KeyCode::Esc => self.audit.filter.clear(),
            _ => self.input = Some(Input::AuditFilter),
        }
    }
}
