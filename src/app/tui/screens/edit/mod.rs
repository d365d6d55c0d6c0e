//! Editing in the TUI, with the same code as `dyntui edit|put|set|delete`
//! (`dynamo::edit`): create, edit (in `$EDITOR`, plain or DynamoDB JSON),
//! quick edit of one string or number, delete, and bulk delete / bulk set
//! over marked items. Every write shows its diff and asks first, and is
//! conditional on the item being as it was read (or on its entity's version
//! attribute). A conflict shows what changed meanwhile and offers to
//! re-apply the edit onto the newer item; nothing is overwritten blindly.
//!
//! Protected tables are read-only until the user types the table name to
//! unlock them for the session; deletes on them ask for the name again.
//! `--read-only` refuses every write. Each write is appended to the audit
//! log by the task that made it.
//!
//! The screen works on what the application passes it ([`Front`]: the item
//! in front, the marked items); it asks the application to update the
//! items and detail views with what was written ([`Core::ApplyWrite`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::editor::EditorRequest;
use crate::app::project::writes::guard_of;
use crate::app::tui::cx::{Core, Cx, Level};
use crate::app::tui::estimate::ConfirmEstimate;
use crate::app::tui::input::Input;
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::Tracked;
use crate::app::tui::widgets::edit_line;
use crate::app::tui::widgets::{Answer, Confirm};
use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::edit::{self, BulkReport, Change, ChangeKind, EditFormat};
use crate::dynamo::estimate::{Estimate, WriteTally};
use crate::dynamo::meter::Meter;
use crate::dynamo::write::{Guard, key_text};

pub mod effects;
#[cfg(test)]
mod tests;

/// Bulk writes in flight at once.
const BULK_CONCURRENCY: usize = 8;
/// Keys listed in a bulk confirmation.
pub const BULK_PREVIEW: usize = 8;

/// A write waiting for confirmation.
#[derive(Debug, Clone)]
pub struct Review {
    pub info: TableInfo,
    pub change: Change,
    pub row: Option<usize>,
    pub format: EditFormat,
    /// y/n, or the table name typed (a delete on a protected table).
    pub confirm: Confirm,
}

/// What to do to the marked items.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkKind {
    Delete,
    /// Set one attribute (the assignment as typed, for messages).
    Set(String),
}

impl BulkKind {
    pub fn describe(&self, n: usize) -> String {
        let items = if n == 1 { "item" } else { "items" };
        match self {
            BulkKind::Delete => format!("delete {n} {items}"),
            BulkKind::Set(a) => format!("set {a} on {n} {items}"),
        }
    }
}

/// What a bulk write did.
#[derive(Debug, Clone)]
pub struct BulkOutcome {
    pub kind: BulkKind,
    pub written: usize,
    /// Keys of items that changed since they were read (not written).
    pub conflicts: Vec<String>,
    /// (key, message).
    pub errors: Vec<(String, String)>,
    /// What the writes consumed, beside their estimate.
    pub consumed: String,
}

/// The dialog in front of the view.
#[derive(Debug, Clone)]
pub enum Modal {
    /// What was saved does not parse: `e` edits it again (kept), `esc` drops it.
    Invalid {
        req: EditorRequest,
        error: String,
    },
    Review(Review),
    /// The item changed between read and write.
    Conflict {
        info: TableInfo,
        /// The user's change (before = as read).
        mine: Change,
        /// The item as it is now (None: deleted meanwhile).
        current: Option<Item>,
        row: Option<usize>,
        format: EditFormat,
    },
    Bulk {
        info: TableInfo,
        kind: BulkKind,
        changes: Vec<Change>,
        /// What the writes will cost (the marked items, sized one by one).
        estimate: Box<ConfirmEstimate>,
        /// y/n, or the table name typed (a protected table).
        confirm: Confirm,
    },
    BulkDone(BulkOutcome),
}

/// Results of writes, sent back to the edit screen.
#[derive(Debug)]
pub enum EditMsg {
    Written {
        id: ReqId,
        info: TableInfo,
        change: Change,
        /// The item as written (None: deleted).
        written: Option<Item>,
        row: Option<usize>,
        audit_error: Option<String>,
    },
    Conflict {
        id: ReqId,
        info: TableInfo,
        change: Change,
        current: Option<Item>,
        row: Option<usize>,
        format: EditFormat,
    },
    Failed {
        id: ReqId,
        error: String,
    },
    Bulk {
        id: ReqId,
        info: TableInfo,
        kind: BulkKind,
        report: BulkReport,
        audit_error: Option<String>,
    },
}

/// Writes asked for.
#[derive(Debug)]
pub enum EditEffect {
    /// One conditional write (put, update, move or delete).
    Write {
        id: ReqId,
        info: Box<TableInfo>,
        change: Box<Change>,
        guard: Guard,
        row: Option<usize>,
        format: EditFormat,
    },
    /// Writes to marked items, grouped by what each is conditional on.
    Bulk {
        id: ReqId,
        info: Box<TableInfo>,
        kind: BulkKind,
        groups: Vec<(Guard, Vec<Change>)>,
        /// Items done so far (read by the view).
        progress: Arc<AtomicUsize>,
        /// Sums the capacity the writes consume.
        meter: Meter,
    },
}

impl Tracked for EditEffect {
    /// Writes are never aborted: a write in flight is waited for.
    fn request_id(&self) -> Option<ReqId> {
        None
    }
}

pub type EditCx<'a> = Cx<'a, EditEffect>;

/// What is in front of the edit keys, from the items and detail views
/// (passed by the application).
#[derive(Debug, Clone, Default)]
pub struct Front {
    /// The open table and its description (when known).
    pub table: Option<(String, Option<TableInfo>)>,
    /// The item in front: its table's description, the item as read and
    /// its row in the items view.
    pub item: Option<(TableInfo, Item, Option<usize>)>,
    /// The marked items (on the items view), in row order.
    pub marked: Vec<Item>,
    /// The attribute under the detail view's cursor.
    pub attr: Option<String>,
}

impl Front {
    fn table(&self) -> Option<(String, TableInfo)> {
        let (t, info) = self.table.as_ref()?;
        Some((t.clone(), info.clone()?))
    }
}

/// Editing state: the dialog in front and the write in flight.
#[derive(Debug, Default)]
pub struct EditState {
    pub modal: Option<Modal>,
    /// The write in flight (one at a time).
    pub write: Request<()>,
    /// What the write in flight does (shown while it runs).
    pub what: String,
    /// Bulk progress: items done so far (shared with the task).
    pub progress: Arc<AtomicUsize>,
    pub total: usize,
    /// The bulk write in flight: what it consumes and its estimate.
    pub bulk_meter: Option<(Meter, Option<Estimate>)>,
}

impl EditState {
    pub fn busy(&self) -> bool {
        self.write.is_loading()
    }

    /// Why writes to `table` are protected, if they are.
    pub fn protection_of(cx: &EditCx, table: &str) -> Option<String> {
        cx.project.protection(table, cx.conn.profile.as_deref())
    }

    /// True when writes to `table` may be made now. Otherwise says why,
    /// and for a protected table asks for its name to unlock it; `then`
    /// (the key's action) runs once the name is typed.
    pub fn check_write(&self, cx: &mut EditCx, table: &str, then: Option<Action>) -> bool {
        if cx.read_only {
            cx.flash(
                Level::Error,
                "read-only session (--read-only or :readonly): nothing is written",
            );
            return false;
        }
        if self.busy() {
            cx.flash(Level::Warn, "a write is in flight; wait for it");
            return false;
        }
        if Self::protection_of(cx, table).is_some() && !cx.unlocked.contains(table) {
            Self::ask_unlock(cx, table, then);
            return false;
        }
        true
    }

    /// Asks for the table name to unlock writes to a protected table.
    pub fn ask_unlock(cx: &mut EditCx, table: &str, then: Option<Action>) {
        match Self::protection_of(cx, table) {
            None => cx.flash(Level::Info, format!("`{table}` is not protected")),
            Some(_) if cx.unlocked.contains(table) => {
                cx.flash(Level::Info, format!("`{table}` is already unlocked"))
            }
            Some(_) => {
                *cx.input = Some(Input::Unlock {
                    table: table.to_string(),
                    confirm: Confirm::typed_name(table),
                    then,
                })
            }
        }
    }

    /// A key typed into the unlock prompt.
    pub fn on_unlock_key(
        cx: &mut EditCx,
        table: String,
        mut confirm: Confirm,
        then: Option<Action>,
        k: &KeyEvent,
    ) {
        match confirm.on_key(k) {
            Answer::No => cx.flash(Level::Info, format!("`{table}` stays read-only")),
            Answer::Yes => {
                cx.flash(
                    Level::Warn,
                    format!("writes to `{table}` unlocked for this session (:lock locks it)"),
                );
                cx.core(Core::Unlock(table));
                if let Some(a) = then {
                    cx.core(Core::RunAction(a));
                }
            }
            Answer::Pending | Answer::Refused(_) => {
                *cx.input = Some(Input::Unlock {
                    table,
                    confirm,
                    then,
                })
            }
        }
    }

    /// Opens the item in front in `$EDITOR`.
    pub fn start_edit(&self, cx: &mut EditCx, front: Front, format: EditFormat, then: Action) {
        let Some((info, item, row)) = front.item else {
            cx.flash(Level::Warn, "no item selected");
            return;
        };
        if !self.check_write(cx, &info.name, Some(then)) {
            return;
        }
        cx.core(Core::Editor(Box::new(EditorRequest {
            text: edit::editor_text(&info, &item, format),
            info,
            before: Some(item),
            format,
            row,
        })));
    }

    /// A new item in `$EDITOR`, starting from the table's key attributes.
    pub fn start_new(&self, cx: &mut EditCx, front: Front, then: Action) {
        let Some((table, info)) = front.table() else {
            cx.flash(Level::Warn, "open a table first");
            return;
        };
        if !self.check_write(cx, &table, Some(then)) {
            return;
        }
        let format = EditFormat::Plain;
        cx.core(Core::Editor(Box::new(EditorRequest {
            text: edit::new_item_text(&info, format),
            info,
            before: None,
            format,
            row: None,
        })));
    }

    /// The editor closed.
    pub fn on_edited(
        &mut self,
        cx: &mut EditCx,
        req: EditorRequest,
        r: Result<Option<String>, String>,
    ) {
        match r {
            Err(e) => cx.flash(Level::Error, e),
            Ok(None) => cx.flash(Level::Info, "no change: nothing to write"),
            Ok(Some(text)) => {
                match edit::parse_editor_text(&req.info, req.before.as_ref(), &text, req.format) {
                    Ok(after) => {
                        let change = Change {
                            before: req.before.clone(),
                            after: Some(after),
                        };
                        self.review(cx, req.info, change, req.row, req.format);
                    }
                    Err(error) => {
                        self.modal = Some(Modal::Invalid {
                            req: EditorRequest { text, ..req },
                            error: format!("item.json {error}"),
                        })
                    }
                }
            }
        }
    }

    fn review(
        &mut self,
        cx: &mut EditCx,
        info: TableInfo,
        change: Change,
        row: Option<usize>,
        format: EditFormat,
    ) {
        if change.kind(&info) == ChangeKind::None {
            cx.flash(Level::Info, "no change: nothing to write");
            return;
        }
        let needs_name = change.kind(&info) == ChangeKind::Delete
            && Self::protection_of(cx, &info.name).is_some();
        let confirm = if needs_name {
            Confirm::typed_name(&info.name)
        } else {
            Confirm::yes_no()
        };
        self.modal = Some(Modal::Review(Review {
            info,
            change,
            row,
            format,
            confirm,
        }));
    }

    /// Asks to delete the marked items, or the item in front.
    pub fn start_delete(&mut self, cx: &mut EditCx, front: Front, then: Action) {
        if !front.marked.is_empty() {
            let Some((table, info)) = front.table() else {
                return;
            };
            if !self.check_write(cx, &table, Some(then)) {
                return;
            }
            let changes = front
                .marked
                .into_iter()
                .map(|item| Change {
                    before: Some(item),
                    after: None,
                })
                .collect::<Vec<Change>>();
            let kind = BulkKind::Delete;
            self.modal = Some(Modal::Bulk {
                confirm: bulk_confirm(cx, &table),
                estimate: Box::new(bulk_estimate(cx, &info, &kind, &changes)),
                info,
                kind,
                changes,
            });
            return;
        }
        let Some((info, item, row)) = front.item else {
            cx.flash(Level::Warn, "no item selected");
            return;
        };
        if !self.check_write(cx, &info.name, Some(then)) {
            return;
        }
        self.review(
            cx,
            info,
            Change {
                before: Some(item),
                after: None,
            },
            row,
            EditFormat::Plain,
        );
    }

    /// Asks for `name=value` to set on the marked items.
    pub fn start_bulk_set(&self, cx: &mut EditCx, front: Front, then: Action) {
        if front.marked.is_empty() {
            cx.flash(
                Level::Warn,
                "mark items first (space), then = sets an attribute on them",
            );
            return;
        }
        let Some((table, _)) = front.table() else {
            return;
        };
        if !self.check_write(cx, &table, Some(then)) {
            return;
        }
        *cx.input = Some(Input::BulkSet {
            text: String::new(),
            error: None,
        });
    }

    /// A key typed into the bulk set prompt.
    pub fn on_bulk_set_key(
        &mut self,
        cx: &mut EditCx,
        front: Front,
        mut text: String,
        k: &KeyEvent,
    ) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => match bulk_set_changes(&front, &text) {
                Ok((info, changes)) => {
                    let kind = BulkKind::Set(text.trim().to_string());
                    self.modal = Some(Modal::Bulk {
                        confirm: bulk_confirm(cx, &info.name),
                        estimate: Box::new(bulk_estimate(cx, &info, &kind, &changes)),
                        info,
                        kind,
                        changes,
                    });
                }
                Err(e) => {
                    *cx.input = Some(Input::BulkSet {
                        text,
                        error: Some(e),
                    })
                }
            },
            _ => {
                edit_line(&mut text, k);
                *cx.input = Some(Input::BulkSet { text, error: None });
            }
        }
    }

    /// Quick edit of the attribute under the detail view's cursor.
    pub fn start_quick_edit(&self, cx: &mut EditCx, front: Front, then: Action) {
        let (Some(attr), Some((info, item, _))) = (front.attr, front.item) else {
            return;
        };
        let current = item.get(&attr);
        if let Err(e) = edit::quick_value(current, "0") {
            cx.flash(Level::Warn, format!("{attr}: {e}"));
            return;
        }
        if info.key_names().contains(&attr.as_str()) {
            cx.flash(
                Level::Warn,
                format!("{attr} is a key attribute: e edits the item (a key change moves it)"),
            );
            return;
        }
        if !self.check_write(cx, &info.name, Some(then)) {
            return;
        }
        let text = match current {
            Some(crate::dynamo::AttributeValue::S(s)) => s.clone(),
            Some(crate::dynamo::AttributeValue::N(n)) => n.clone(),
            _ => String::new(),
        };
        *cx.input = Some(Input::QuickEdit {
            attr,
            text,
            error: None,
        });
    }

    /// A key typed into the quick edit prompt.
    pub fn on_quick_edit_key(
        &mut self,
        cx: &mut EditCx,
        front: Front,
        attr: String,
        mut text: String,
        k: &KeyEvent,
    ) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                let Some((info, before, row)) = front.item else {
                    return;
                };
                match edit::quick_value(before.get(&attr), &text) {
                    Ok(v) => {
                        let after = edit::with_attribute(&before, &attr, &v);
                        self.review(
                            cx,
                            info,
                            Change {
                                before: Some(before),
                                after: Some(after),
                            },
                            row,
                            EditFormat::Plain,
                        );
                    }
                    Err(e) => {
                        *cx.input = Some(Input::QuickEdit {
                            attr,
                            text,
                            error: Some(e),
                        })
                    }
                }
            }
            _ => {
                edit_line(&mut text, k);
                *cx.input = Some(Input::QuickEdit {
                    attr,
                    text,
                    error: None,
                });
            }
        }
    }

    /// Keys while a dialog is open.
    pub fn on_modal_key(&mut self, cx: &mut EditCx, k: &KeyEvent) {
        let Some(modal) = self.modal.take() else {
            return;
        };
        match modal {
            Modal::Invalid { req, error } => match k.code {
                KeyCode::Char('e') | KeyCode::Enter => cx.core(Core::Editor(Box::new(req))),
                KeyCode::Esc | KeyCode::Char('q') => {
                    cx.flash(Level::Info, "edit dropped; nothing written")
                }
                _ => self.modal = Some(Modal::Invalid { req, error }),
            },
            Modal::Review(mut r) => {
                if r.confirm.name.is_none()
                    && k.code == KeyCode::Char('e')
                    && r.change.after.is_some()
                {
                    // Back to the editor with the edit as it is.
                    let after = r.change.after.clone().unwrap_or_default();
                    cx.core(Core::Editor(Box::new(EditorRequest {
                        text: edit::editor_text(&r.info, &after, r.format),
                        info: r.info,
                        before: r.change.before,
                        format: r.format,
                        row: r.row,
                    })));
                    return;
                }
                match r.confirm.on_key(k) {
                    Answer::Yes => self.write(cx, r.info, r.change, r.row, r.format),
                    Answer::No => cx.flash(Level::Info, "nothing written"),
                    Answer::Pending | Answer::Refused(_) => self.modal = Some(Modal::Review(r)),
                }
            }
            Modal::Conflict {
                info,
                mine,
                current,
                row,
                format,
            } => match (k.code, &current) {
                (KeyCode::Char('r') | KeyCode::Enter, Some(now)) => {
                    // The user's edit re-applied onto the newer item.
                    let before = mine.before.clone().unwrap_or_default();
                    let after = mine.after.as_ref().map(|a| edit::rebase(&before, a, now));
                    let change = Change {
                        before: Some(now.clone()),
                        after,
                    };
                    show_current(cx, &info, &before, Some(now), row);
                    self.review(cx, info, change, row, format);
                }
                (KeyCode::Char('c') | KeyCode::Char('n') | KeyCode::Esc, _) => {
                    let before = mine.before.clone().unwrap_or_default();
                    show_current(cx, &info, &before, current.as_ref(), row);
                    cx.flash(
                        Level::Info,
                        "your edit was dropped; the view shows the item as it is now",
                    );
                }
                _ => {
                    self.modal = Some(Modal::Conflict {
                        info,
                        mine,
                        current,
                        row,
                        format,
                    })
                }
            },
            Modal::Bulk {
                info,
                kind,
                changes,
                estimate,
                mut confirm,
            } => match confirm.on_key(k) {
                Answer::Yes => {
                    let estimate = estimate.estimate().cloned();
                    self.write_bulk(cx, info, kind, changes, estimate)
                }
                Answer::No => cx.flash(Level::Info, "nothing written"),
                Answer::Pending | Answer::Refused(_) => {
                    self.modal = Some(Modal::Bulk {
                        info,
                        kind,
                        changes,
                        estimate,
                        confirm,
                    })
                }
            },
            Modal::BulkDone(o) => match k.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {}
                _ => self.modal = Some(Modal::BulkDone(o)),
            },
        }
    }

    /// Asks for one write.
    fn write(
        &mut self,
        cx: &mut EditCx,
        info: TableInfo,
        change: Change,
        row: Option<usize>,
        format: EditFormat,
    ) {
        if !cx.online {
            cx.flash(Level::Error, "not connected");
            return;
        }
        // Checked again: the table may have been locked meanwhile.
        if cx.read_only
            || (Self::protection_of(cx, &info.name).is_some() && !cx.unlocked.contains(&info.name))
        {
            self.check_write(cx, &info.name, None);
            return;
        }
        let guard = match change.before.as_ref().or(change.after.as_ref()) {
            Some(i) => guard_of(cx.project, &info, i),
            None => Guard::default(),
        };
        self.what = format!("{} {}", change.kind(&info).verb(), change.key(&info));
        self.total = 1;
        cx.start(&mut self.write, |id| EditEffect::Write {
            id,
            info: Box::new(info),
            change: Box::new(change),
            guard,
            row,
            format,
        });
    }

    /// Asks for the writes to marked items.
    fn write_bulk(
        &mut self,
        cx: &mut EditCx,
        info: TableInfo,
        kind: BulkKind,
        changes: Vec<Change>,
        estimate: Option<Estimate>,
    ) {
        if !cx.online {
            cx.flash(Level::Error, "not connected");
            return;
        }
        // Each item is guarded by its own entity's version attribute (or
        // by being unchanged): marked items may be of several types.
        let total = changes.len();
        let mut groups: Vec<(Guard, Vec<Change>)> = Vec::new();
        for c in changes {
            let g = match c.before.as_ref() {
                Some(i) => guard_of(cx.project, &info, i),
                None => Guard::default(),
            };
            let key = format!("{g:?}");
            match groups.iter_mut().find(|(x, _)| format!("{x:?}") == key) {
                Some((_, v)) => v.push(c),
                None => groups.push((g, vec![c])),
            }
        }
        self.total = total;
        self.progress.store(0, Ordering::Relaxed);
        self.what = kind.describe(total);
        let progress = self.progress.clone();
        let meter = Meter::default();
        self.bulk_meter = Some((meter.clone(), estimate));
        cx.start(&mut self.write, |id| EditEffect::Bulk {
            id,
            info: Box::new(info),
            kind,
            groups,
            progress,
            meter,
        });
    }

    /// Results of writes.
    pub fn update(&mut self, cx: &mut EditCx, m: EditMsg) -> bool {
        let id = match &m {
            EditMsg::Written { id, .. }
            | EditMsg::Conflict { id, .. }
            | EditMsg::Failed { id, .. }
            | EditMsg::Bulk { id, .. } => *id,
        };
        if !self.write.accept(id) {
            return false;
        }
        match m {
            EditMsg::Written {
                info,
                change,
                written,
                row,
                audit_error,
                ..
            } => {
                let kind = change.kind(&info);
                let done = format!("done: {} {}", kind.verb(), change.key(&info));
                cx.core(Core::ApplyWrite {
                    info: Box::new(info),
                    change: Box::new(change),
                    written: written.map(Box::new),
                    row,
                });
                match audit_error {
                    Some(e) => audit_failed(cx, e),
                    None => cx.flash(Level::Info, done),
                }
            }
            EditMsg::Conflict {
                info,
                change,
                current,
                row,
                format,
                ..
            } => {
                self.modal = Some(Modal::Conflict {
                    info,
                    mine: change,
                    current,
                    row,
                    format,
                })
            }
            EditMsg::Failed { error, .. } => {
                cx.flash(Level::Error, format!("nothing written: {error}"))
            }
            EditMsg::Bulk {
                info,
                kind,
                report,
                audit_error,
                ..
            } => {
                let key = |i: &Item| key_text(&info, i);
                let consumed = match self.bulk_meter.take() {
                    Some((meter, estimate)) => meter.consumed().beside(estimate.as_ref()),
                    None => String::new(),
                };
                let outcome = BulkOutcome {
                    kind,
                    written: report.done.len(),
                    conflicts: report.conflicts.iter().map(|(b, _)| key(b)).collect(),
                    errors: report.errors.clone(),
                    consumed,
                };
                // Conflicts show the item as it is now.
                let written: Vec<(Item, Option<Item>)> =
                    report.done.into_iter().chain(report.conflicts).collect();
                cx.core(Core::ApplyBulk {
                    info: Box::new(info),
                    written,
                });
                if let Some(e) = audit_error {
                    audit_failed(cx, e);
                }
                self.modal = Some(Modal::BulkDone(outcome));
            }
        }
        true
    }
}

/// The confirmation of a bulk write: the table name on a protected table.
fn bulk_confirm(cx: &EditCx, table: &str) -> Confirm {
    if EditState::protection_of(cx, table).is_some() {
        Confirm::typed_name(table)
    } else {
        Confirm::yes_no()
    }
}

/// The estimate of a bulk write: its changes sized one by one (the larger
/// of each item's old and new sizes, the index entries they change).
fn bulk_estimate(
    cx: &EditCx,
    info: &TableInfo,
    kind: &BulkKind,
    changes: &[Change],
) -> ConfirmEstimate {
    let mut w = WriteTally::default();
    for c in changes {
        match (&c.before, &c.after) {
            (Some(b), Some(a)) => w.replace(info, b, a),
            (Some(b), None) => w.delete(info, b),
            (None, Some(a)) => w.put(info, a),
            (None, None) => {}
        }
    }
    let mut e = Estimate::new(
        format!("{} in {}", kind.describe(changes.len()), info.name),
        info,
        cx.conn.region.as_deref(),
        &cx.settings.estimates.prices,
        None,
        Some(w),
    );
    e.basis.push("the marked items, sized one by one".into());
    ConfirmEstimate::ready(e, cx.settings.estimates.confirm_above_units)
}

/// Says that the write was made but not recorded.
fn audit_failed(cx: &mut EditCx, e: String) {
    cx.flash(Level::Warn, format!("the write was made, but {e}"));
}

/// Shows the item as it is now (after a conflict) in the views.
fn show_current(
    cx: &mut EditCx,
    info: &TableInfo,
    read: &Item,
    now: Option<&Item>,
    row: Option<usize>,
) {
    cx.core(Core::ApplyWrite {
        info: Box::new(info.clone()),
        change: Box::new(Change {
            before: Some(read.clone()),
            after: now.cloned(),
        }),
        written: now.map(|n| Box::new(n.clone())),
        row,
    });
}

/// The changes of a bulk set: `name=value`, the value typed like the
/// attribute already is on each item (a number stays a number); key
/// attributes cannot be bulk-set.
fn bulk_set_changes(front: &Front, text: &str) -> Result<(TableInfo, Vec<Change>), String> {
    let (name, v) = text
        .split_once('=')
        .ok_or("expected name=value, e.g. status=ARCHIVED or points=0")?;
    let name = name.trim();
    if name.is_empty() {
        return Err("the attribute name is empty".into());
    }
    let (_, info) = front.table().ok_or("no table")?;
    if info.key_names().contains(&name) {
        return Err(format!(
            "`{name}` is a key attribute: edit items one by one to move them"
        ));
    }
    let mut changes = Vec::new();
    for item in &front.marked {
        let val = edit::quick_value(item.get(name), v)
            .map_err(|e| format!("{} {name}: {e}", key_text(&info, item)))?;
        let after = edit::with_attribute(item, name, &val);
        if after != *item {
            changes.push(Change {
                before: Some(item.clone()),
                after: Some(after),
            });
        }
    }
    if changes.is_empty() {
        return Err(format!("every marked item already has {name} = {v}"));
    }
    Ok((info, changes))
}

/// Diff lines of a change: `+ name: value`, `- name: value`, `~ name: a -> b`.
pub fn diff_lines(change: &Change) -> Vec<(char, String)> {
    change
        .diff()
        .into_iter()
        .filter_map(|(name, before, after)| match (before, after) {
            (None, Some(a)) => Some(('+', format!("{name}: {a}"))),
            (Some(b), None) => Some(('-', format!("{name}: {b}"))),
            (Some(b), Some(a)) => Some(('~', format!("{name}: {b} -> {a}"))),
            (None, None) => None,
        })
        .collect()
}
