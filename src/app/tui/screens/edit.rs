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

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::audit::{AuditEntry, AuditLog};
use crate::app::editor::EditorRequest;
use crate::app::project::writes::guard_of;
use crate::app::tui::state::{App, Input, ItemsState, Level, Msg, Row, Screen, edit_line};
use crate::dynamo::Item;
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::edit::{self, BulkReport, Change, ChangeKind, EditFormat};
use crate::dynamo::error::ConnContext;
use crate::dynamo::seed::WriteOptions;
use crate::dynamo::write::{WriteError, Writer, key_text};

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
    /// The table name must be typed (a delete on a protected table).
    pub needs_name: bool,
    pub typed: String,
    pub error: Option<String>,
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
        needs_name: bool,
        typed: String,
        error: Option<String>,
    },
    BulkDone(BulkOutcome),
}

/// Results of writes, sent back to the app.
#[derive(Debug)]
pub enum EditMsg {
    Written {
        id: u64,
        info: TableInfo,
        change: Change,
        /// The item as written (None: deleted).
        written: Option<Item>,
        row: Option<usize>,
        audit_error: Option<String>,
    },
    Conflict {
        id: u64,
        info: TableInfo,
        change: Change,
        current: Option<Item>,
        row: Option<usize>,
        format: EditFormat,
    },
    Failed {
        id: u64,
        error: String,
    },
    Bulk {
        id: u64,
        kind: BulkKind,
        report: BulkReport,
        audit_error: Option<String>,
    },
}

/// Editing state: the dialog in front and the write in flight.
#[derive(Debug, Default)]
pub struct EditState {
    pub modal: Option<Modal>,
    /// The write in flight: (request id, what it does).
    pub pending: Option<(u64, String)>,
    /// Bulk progress: items done so far (shared with the task).
    pub progress: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub total: usize,
}

impl EditState {
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }
}

fn append_audit(
    log: Option<&AuditLog>,
    ctx: &ConnContext,
    info: &TableInfo,
    change: &Change,
    written: Option<&Item>,
) -> Option<String> {
    let log = log?;
    log.append(&AuditEntry::of(ctx, info, change, written))
        .err()
        .map(|e| {
            format!(
                "it could not be added to the audit log {}: {e}",
                log.path.display()
            )
        })
}

/// Finds the row holding the item with `key` (trying `hint` first).
fn find_row(items: &ItemsState, hint: Option<usize>, key: &str) -> Option<usize> {
    let matches = |i: usize| {
        items
            .rows
            .get(i)
            .and_then(|r| items.exact_key(&r.item()))
            .is_some_and(|k| k == key)
    };
    if let Some(h) = hint
        && matches(h)
    {
        return Some(h);
    }
    (0..items.rows.len()).find(|&i| matches(i))
}

impl App {
    /// Why writes to `table` are protected, if they are.
    pub fn protection_of(&self, table: &str) -> Option<String> {
        self.project.protection(table, self.ctx.profile.as_deref())
    }

    /// True when writes to `table` may be made now. Otherwise says why, and
    /// for a protected table asks for its name to unlock it.
    pub(crate) fn check_write(&mut self, table: &str) -> bool {
        if self.read_only {
            self.flash(
                Level::Error,
                "read-only session (--read-only or :readonly): nothing is written",
            );
            return false;
        }
        if self.edit.busy() {
            self.flash(Level::Warn, "a write is in flight; wait for it");
            return false;
        }
        if self.protection_of(table).is_some() && !self.unlocked.contains(table) {
            self.ask_unlock(table);
            // The key that asked runs again once the name is typed.
            self.after_unlock = self.current_action.take();
            return false;
        }
        true
    }

    /// Asks for the table name to unlock writes to a protected table.
    pub fn ask_unlock(&mut self, table: &str) {
        match self.protection_of(table) {
            None => self.flash(Level::Info, format!("`{table}` is not protected")),
            Some(_) if self.unlocked.contains(table) => {
                self.flash(Level::Info, format!("`{table}` is already unlocked"))
            }
            Some(_) => {
                self.input = Some(Input::Unlock {
                    table: table.to_string(),
                    typed: String::new(),
                    error: None,
                })
            }
        }
    }

    pub(crate) fn on_unlock_key(&mut self, table: String, mut typed: String, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {
                self.after_unlock = None;
                self.flash(Level::Info, format!("`{table}` stays read-only"));
            }
            KeyCode::Enter if typed == table => {
                self.flash(
                    Level::Warn,
                    format!("writes to `{table}` unlocked for this session (:lock locks it)"),
                );
                self.unlocked.insert(table);
                if let Some(a) = self.after_unlock.take() {
                    self.run_action(a);
                }
            }
            KeyCode::Enter => {
                self.input = Some(Input::Unlock {
                    error: Some(format!("`{typed}` is not `{table}`")),
                    table,
                    typed,
                })
            }
            _ => {
                edit_line(&mut typed, k);
                self.input = Some(Input::Unlock {
                    table,
                    typed,
                    error: None,
                });
            }
        }
    }

    /// The item in front (detail view, else the items view's cursor), its
    /// row and the table's description.
    fn item_in_front(&self) -> Option<(TableInfo, Item, Option<usize>)> {
        if self.screen == Screen::Detail
            && let Some(d) = &self.detail
        {
            return Some((d.info.clone()?, d.row.item.clone(), d.row_index));
        }
        let items = self.items.as_ref()?;
        let i = items.selected_index()?;
        Some((items.info.clone()?, items.rows.get(i)?.item(), Some(i)))
    }

    fn front_table(&self) -> Option<(String, TableInfo)> {
        let items = self.items.as_ref()?;
        Some((items.table.clone(), items.info.clone()?))
    }

    /// Opens the item in front in `$EDITOR`.
    pub(crate) fn start_edit(&mut self, format: EditFormat) {
        let Some((info, item, row)) = self.item_in_front() else {
            self.flash(Level::Warn, "no item selected");
            return;
        };
        if !self.check_write(&info.name) {
            return;
        }
        self.editor = Some(EditorRequest {
            text: edit::editor_text(&info, &item, format),
            info,
            before: Some(item),
            format,
            row,
        });
    }

    /// A new item in `$EDITOR`, starting from the table's key attributes.
    pub(crate) fn start_new(&mut self) {
        let Some((table, info)) = self.front_table() else {
            self.flash(Level::Warn, "open a table first");
            return;
        };
        if !self.check_write(&table) {
            return;
        }
        let format = EditFormat::Plain;
        self.editor = Some(EditorRequest {
            text: edit::new_item_text(&info, format),
            info,
            before: None,
            format,
            row: None,
        });
    }

    /// The editor closed.
    pub(crate) fn on_edited(&mut self, req: EditorRequest, r: Result<Option<String>, String>) {
        match r {
            Err(e) => self.flash(Level::Error, e),
            Ok(None) => self.flash(Level::Info, "no change: nothing to write"),
            Ok(Some(text)) => {
                match edit::parse_editor_text(&req.info, req.before.as_ref(), &text, req.format) {
                    Ok(after) => {
                        let change = Change {
                            before: req.before.clone(),
                            after: Some(after),
                        };
                        self.review(req.info, change, req.row, req.format);
                    }
                    Err(error) => {
                        self.edit.modal = Some(Modal::Invalid {
                            req: EditorRequest { text, ..req },
                            error: format!("item.json {error}"),
                        })
                    }
                }
            }
        }
    }

    fn review(&mut self, info: TableInfo, change: Change, row: Option<usize>, format: EditFormat) {
        if change.kind(&info) == ChangeKind::None {
            self.flash(Level::Info, "no change: nothing to write");
            return;
        }
        let needs_name =
            change.kind(&info) == ChangeKind::Delete && self.protection_of(&info.name).is_some();
        self.edit.modal = Some(Modal::Review(Review {
            info,
            change,
            row,
            format,
            needs_name,
            typed: String::new(),
            error: None,
        }));
    }

    /// Asks to delete the marked items, or the item in front.
    pub(crate) fn start_delete(&mut self) {
        let marked = self.marked_items();
        if self.screen == Screen::Items && !marked.is_empty() {
            let Some((table, info)) = self.front_table() else {
                return;
            };
            if !self.check_write(&table) {
                return;
            }
            let changes = marked
                .into_iter()
                .map(|item| Change {
                    before: Some(item),
                    after: None,
                })
                .collect();
            self.edit.modal = Some(Modal::Bulk {
                needs_name: self.protection_of(&table).is_some(),
                info,
                kind: BulkKind::Delete,
                changes,
                typed: String::new(),
                error: None,
            });
            return;
        }
        let Some((info, item, row)) = self.item_in_front() else {
            self.flash(Level::Warn, "no item selected");
            return;
        };
        if !self.check_write(&info.name) {
            return;
        }
        self.review(
            info,
            Change {
                before: Some(item),
                after: None,
            },
            row,
            EditFormat::Plain,
        );
    }

    /// The marked items, in row order.
    fn marked_items(&self) -> Vec<Item> {
        let Some(items) = self.items.as_ref() else {
            return Vec::new();
        };
        items
            .marks
            .iter()
            .filter_map(|&i| items.rows.get(i).map(|r| r.item()))
            .collect()
    }

    /// Asks for `name=value` to set on the marked items.
    pub(crate) fn start_bulk_set(&mut self) {
        if self.marked_items().is_empty() {
            self.flash(
                Level::Warn,
                "mark items first (space), then = sets an attribute on them",
            );
            return;
        }
        let Some((table, _)) = self.front_table() else {
            return;
        };
        if !self.check_write(&table) {
            return;
        }
        self.input = Some(Input::BulkSet {
            text: String::new(),
            error: None,
        });
    }

    pub(crate) fn on_bulk_set_key(&mut self, mut text: String, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => match self.bulk_set_changes(&text) {
                Ok((info, changes)) => {
                    let needs_name = self.protection_of(&info.name).is_some();
                    self.edit.modal = Some(Modal::Bulk {
                        info,
                        kind: BulkKind::Set(text.trim().to_string()),
                        changes,
                        needs_name,
                        typed: String::new(),
                        error: None,
                    });
                }
                Err(e) => {
                    self.input = Some(Input::BulkSet {
                        text,
                        error: Some(e),
                    })
                }
            },
            _ => {
                edit_line(&mut text, k);
                self.input = Some(Input::BulkSet { text, error: None });
            }
        }
    }

    /// The changes of a bulk set: `name=value`, the value typed like the
    /// attribute already is on each item (a number stays a number); key
    /// attributes cannot be bulk-set.
    fn bulk_set_changes(&self, text: &str) -> Result<(TableInfo, Vec<Change>), String> {
        let (name, v) = text
            .split_once('=')
            .ok_or("expected name=value, e.g. status=ARCHIVED or points=0")?;
        let name = name.trim();
        if name.is_empty() {
            return Err("the attribute name is empty".into());
        }
        let (_, info) = self.front_table().ok_or("no table")?;
        if info.key_names().contains(&name) {
            return Err(format!(
                "`{name}` is a key attribute: edit items one by one to move them"
            ));
        }
        let mut changes = Vec::new();
        for item in self.marked_items() {
            let val = edit::quick_value(item.get(name), v)
                .map_err(|e| format!("{} {name}: {e}", key_text(&info, &item)))?;
            let after = edit::with_attribute(&item, name, &val);
            if after != item {
                changes.push(Change {
                    before: Some(item),
                    after: Some(after),
                });
            }
        }
        if changes.is_empty() {
            return Err(format!("every marked item already has {name} = {v}"));
        }
        Ok((info, changes))
    }

    /// Quick edit of the attribute under the detail view's cursor.
    pub(crate) fn start_quick_edit(&mut self) {
        let Some(d) = &self.detail else { return };
        let Some(attr) = d.selected_attr() else {
            return;
        };
        let Some(info) = d.info.clone() else { return };
        let current = d.row.item.get(&attr).cloned();
        let current = current.as_ref();
        if let Err(e) = edit::quick_value(current, "0") {
            self.flash(Level::Warn, format!("{attr}: {e}"));
            return;
        }
        if info.key_names().contains(&attr.as_str()) {
            self.flash(
                Level::Warn,
                format!("{attr} is a key attribute: e edits the item (a key change moves it)"),
            );
            return;
        }
        if !self.check_write(&info.name) {
            return;
        }
        let text = match current {
            Some(crate::dynamo::AttributeValue::S(s)) => s.clone(),
            Some(crate::dynamo::AttributeValue::N(n)) => n.clone(),
            _ => String::new(),
        };
        self.input = Some(Input::QuickEdit {
            attr,
            text,
            error: None,
        });
    }

    pub(crate) fn on_quick_edit_key(&mut self, attr: String, mut text: String, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                let Some(d) = &self.detail else { return };
                let Some(info) = d.info.clone() else { return };
                match edit::quick_value(d.row.item.get(&attr), &text) {
                    Ok(v) => {
                        let before = d.row.item.clone();
                        let after = edit::with_attribute(&before, &attr, &v);
                        let row = d.row_index;
                        self.review(
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
                        self.input = Some(Input::QuickEdit {
                            attr,
                            text,
                            error: Some(e),
                        })
                    }
                }
            }
            _ => {
                edit_line(&mut text, k);
                self.input = Some(Input::QuickEdit {
                    attr,
                    text,
                    error: None,
                });
            }
        }
    }

    /// Keys while a dialog is open.
    pub(crate) fn on_edit_modal_key(&mut self, k: &KeyEvent) {
        let Some(modal) = self.edit.modal.take() else {
            return;
        };
        match modal {
            Modal::Invalid { req, error } => match k.code {
                KeyCode::Char('e') | KeyCode::Enter => self.editor = Some(req),
                KeyCode::Esc | KeyCode::Char('q') => {
                    self.flash(Level::Info, "edit dropped; nothing written")
                }
                _ => self.edit.modal = Some(Modal::Invalid { req, error }),
            },
            Modal::Review(mut r) => match k.code {
                KeyCode::Esc => self.flash(Level::Info, "nothing written"),
                KeyCode::Enter if r.needs_name && r.typed != r.info.name => {
                    r.error = Some(format!("type `{}` to confirm", r.info.name));
                    self.edit.modal = Some(Modal::Review(r));
                }
                KeyCode::Enter => self.write(r.info, r.change, r.row, r.format),
                KeyCode::Char('y') if !r.needs_name => {
                    self.write(r.info, r.change, r.row, r.format)
                }
                KeyCode::Char('n') if !r.needs_name => self.flash(Level::Info, "nothing written"),
                KeyCode::Char('e') if !r.needs_name && r.change.after.is_some() => {
                    // Back to the editor with the edit as it is.
                    let after = r.change.after.clone().unwrap_or_default();
                    self.editor = Some(EditorRequest {
                        text: edit::editor_text(&r.info, &after, r.format),
                        info: r.info,
                        before: r.change.before,
                        format: r.format,
                        row: r.row,
                    });
                }
                _ if r.needs_name => {
                    edit_line(&mut r.typed, k);
                    r.error = None;
                    self.edit.modal = Some(Modal::Review(r));
                }
                _ => self.edit.modal = Some(Modal::Review(r)),
            },
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
                    self.show_current(&info, &before, Some(now), row);
                    self.review(info, change, row, format);
                }
                (KeyCode::Char('c') | KeyCode::Char('n') | KeyCode::Esc, _) => {
                    let before = mine.before.clone().unwrap_or_default();
                    self.show_current(&info, &before, current.as_ref(), row);
                    self.flash(
                        Level::Info,
                        "your edit was dropped; the view shows the item as it is now",
                    );
                }
                _ => {
                    self.edit.modal = Some(Modal::Conflict {
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
                needs_name,
                mut typed,
                ..
            } => match k.code {
                KeyCode::Esc => self.flash(Level::Info, "nothing written"),
                KeyCode::Enter | KeyCode::Char('y') if !needs_name || typed == info.name => {
                    self.write_bulk(info, kind, changes)
                }
                KeyCode::Enter => {
                    self.edit.modal = Some(Modal::Bulk {
                        error: Some(format!("type `{}` to confirm", info.name)),
                        info,
                        kind,
                        changes,
                        needs_name,
                        typed,
                    })
                }
                KeyCode::Char('n') if !needs_name => self.flash(Level::Info, "nothing written"),
                _ => {
                    if needs_name {
                        edit_line(&mut typed, k);
                    }
                    self.edit.modal = Some(Modal::Bulk {
                        info,
                        kind,
                        changes,
                        needs_name,
                        typed,
                        error: None,
                    })
                }
            },
            Modal::BulkDone(o) => match k.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {}
                _ => self.edit.modal = Some(Modal::BulkDone(o)),
            },
        }
    }

    fn writer_parts(&self) -> Option<(Dynamo, ConnContext, Option<AuditLog>)> {
        Some((self.db_handle()?, self.ctx.clone(), self.audit_log.clone()))
    }

    /// Writes one change on a task.
    fn write(&mut self, info: TableInfo, change: Change, row: Option<usize>, format: EditFormat) {
        let Some((db, ctx, log)) = self.writer_parts() else {
            self.flash(Level::Error, "not connected");
            return;
        };
        // Checked again: the table may have been locked meanwhile.
        if self.read_only
            || (self.protection_of(&info.name).is_some() && !self.unlocked.contains(&info.name))
        {
            self.check_write(&info.name);
            return;
        }
        let guard = match change.before.as_ref().or(change.after.as_ref()) {
            Some(i) => guard_of(&self.project, &info, i),
            None => Default::default(),
        };
        let id = self.id();
        let what = format!("{} {}", change.kind(&info).verb(), change.key(&info));
        self.edit.pending = Some((id, what));
        let tx = self.sender();
        tokio::spawn(async move {
            let opts = WriteOptions::default();
            let w = Writer {
                db: &db,
                info: &info,
                opts: &opts,
                limiter: None,
            };
            let msg = match edit::apply(&w, &change, &guard).await {
                Ok(written) => {
                    let audit_error =
                        append_audit(log.as_ref(), &ctx, &info, &change, written.as_ref());
                    EditMsg::Written {
                        id,
                        info: info.clone(),
                        change,
                        written,
                        row,
                        audit_error,
                    }
                }
                Err(WriteError::Conflict) => {
                    let before = change.before.clone().unwrap_or_default();
                    match w.current(&before).await {
                        Ok(current) => EditMsg::Conflict {
                            id,
                            info: info.clone(),
                            change,
                            current,
                            row,
                            format,
                        },
                        Err(e) => EditMsg::Failed {
                            id,
                            error: format!(
                                "the item changed since it was read, and reading it again failed: {e}"
                            ),
                        },
                    }
                }
                Err(e) => EditMsg::Failed {
                    id,
                    error: e.to_string(),
                },
            };
            let _ = tx.send(Msg::Edit(Box::new(msg)));
        });
    }

    fn write_bulk(&mut self, info: TableInfo, kind: BulkKind, changes: Vec<Change>) {
        let Some((db, ctx, log)) = self.writer_parts() else {
            self.flash(Level::Error, "not connected");
            return;
        };
        // Each item is guarded by its own entity's version attribute (or
        // by being unchanged): marked items may be of several types.
        let total = changes.len();
        let mut groups: Vec<(crate::dynamo::write::Guard, Vec<Change>)> = Vec::new();
        for c in changes {
            let g = match c.before.as_ref() {
                Some(i) => guard_of(&self.project, &info, i),
                None => Default::default(),
            };
            let key = format!("{g:?}");
            match groups.iter_mut().find(|(x, _)| format!("{x:?}") == key) {
                Some((_, v)) => v.push(c),
                None => groups.push((g, vec![c])),
            }
        }
        let id = self.id();
        self.edit.total = total;
        self.edit
            .progress
            .store(0, std::sync::atomic::Ordering::Relaxed);
        self.edit.pending = Some((id, kind.describe(total)));
        let progress = self.edit.progress.clone();
        let tx = self.sender();
        tokio::spawn(async move {
            let opts = WriteOptions::default();
            let w = Writer {
                db: &db,
                info: &info,
                opts: &opts,
                limiter: None,
            };
            let tick = move |n: usize| {
                progress.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            };
            let mut report = edit::BulkReport::default();
            for (guard, changes) in groups {
                let r = edit::bulk(&w, changes, &guard, BULK_CONCURRENCY, &tick).await;
                report.done.extend(r.done);
                report.conflicts.extend(r.conflicts);
                report.errors.extend(r.errors);
            }
            let mut audit_error = None;
            for (before, after) in &report.done {
                let change = Change {
                    before: Some(before.clone()),
                    after: after.clone(),
                };
                if let Some(e) = append_audit(log.as_ref(), &ctx, &info, &change, after.as_ref()) {
                    audit_error = Some(e);
                }
            }
            let _ = tx.send(Msg::Edit(Box::new(EditMsg::Bulk {
                id,
                kind,
                report,
                audit_error,
            })));
        });
    }

    /// Results of writes.
    pub(crate) fn on_edit_msg(&mut self, m: EditMsg) -> bool {
        let id = match &m {
            EditMsg::Written { id, .. }
            | EditMsg::Conflict { id, .. }
            | EditMsg::Failed { id, .. }
            | EditMsg::Bulk { id, .. } => *id,
        };
        if self.edit.pending.as_ref().map(|p| p.0) != Some(id) {
            return false;
        }
        self.edit.pending = None;
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
                self.apply_written(&info, &change, written.as_ref(), row);
                match audit_error {
                    Some(e) => self.audit_failed(e),
                    None => self.flash(
                        Level::Info,
                        format!("done: {} {}", kind.verb(), change.key(&info)),
                    ),
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
                self.edit.modal = Some(Modal::Conflict {
                    info,
                    mine: change,
                    current,
                    row,
                    format,
                })
            }
            EditMsg::Failed { error, .. } => {
                self.flash(Level::Error, format!("nothing written: {error}"))
            }
            EditMsg::Bulk {
                kind,
                report,
                audit_error,
                ..
            } => {
                let info = self.items.as_ref().and_then(|i| i.info.clone());
                if let (Some(info), Some(items)) = (&info, self.items.as_ref()) {
                    // Rows found with one pass over the loaded items, then
                    // updated from the last row up, so that a removed row
                    // never moves one still to update.
                    let rows: std::collections::HashMap<String, usize> = items
                        .rows
                        .iter()
                        .enumerate()
                        .filter_map(|(i, r)| items.exact_key(&r.item()).map(|k| (k, i)))
                        .collect();
                    let row_of = |b: &Item| items.exact_key(b).and_then(|k| rows.get(&k).copied());
                    let mut updates: Vec<(Option<usize>, &Item, Option<&Item>)> = report
                        .done
                        .iter()
                        .chain(report.conflicts.iter())
                        .map(|(before, after)| (row_of(before), before, after.as_ref()))
                        .collect();
                    updates.sort_by_key(|u| std::cmp::Reverse(u.0));
                    let updates: Vec<(Option<usize>, Item, Option<Item>)> = updates
                        .into_iter()
                        .map(|(r, b, a)| (r, b.clone(), a.cloned()))
                        .collect();
                    for (row, before, after) in updates {
                        let change = Change {
                            before: Some(before),
                            after: after.clone(),
                        };
                        self.apply_written(info, &change, after.as_ref(), row);
                    }
                }
                if let Some(items) = self.items.as_mut() {
                    items.marks.clear();
                }
                let key = |i: &Item| {
                    info.as_ref()
                        .map(|inf| key_text(inf, i))
                        .unwrap_or_default()
                };
                let outcome = BulkOutcome {
                    kind,
                    written: report.done.len(),
                    conflicts: report.conflicts.iter().map(|(b, _)| key(b)).collect(),
                    errors: report.errors,
                };
                if let Some(e) = audit_error {
                    self.audit_failed(e);
                }
                self.edit.modal = Some(Modal::BulkDone(outcome));
            }
        }
        true
    }

    /// Shows the item as it is now (after a conflict) in the views.
    fn show_current(
        &mut self,
        info: &TableInfo,
        read: &Item,
        now: Option<&Item>,
        row: Option<usize>,
    ) {
        let change = Change {
            before: Some(read.clone()),
            after: now.cloned(),
        };
        self.apply_written(info, &change, now, row);
    }

    /// Updates the items and detail views after a write.
    fn apply_written(
        &mut self,
        info: &TableInfo,
        change: &Change,
        written: Option<&Item>,
        row: Option<usize>,
    ) {
        let Some(items) = self.items.as_mut() else {
            return;
        };
        if items.table != info.name {
            return;
        }
        let old_key = change
            .before
            .as_ref()
            .and_then(|b| items.exact_key(b))
            .and_then(|k| find_row(items, row, &k));
        let selected = items.selected_index();
        let placed = match (old_key, written) {
            (Some(i), Some(w)) => {
                items.replace_row(i, w);
                Some(i)
            }
            (Some(i), None) => {
                items.remove_row(i);
                None
            }
            (None, Some(w)) => {
                let at = selected.map(|s| s + 1).unwrap_or(0).min(items.rows.len());
                items.insert_row(at, w);
                Some(at)
            }
            (None, None) => None,
        };
        if let Some(k) = written.and_then(|w| items.exact_key(w)) {
            items.local_keys.insert(k);
        }
        items.refilter();
        // The cursor follows the written item.
        if let Some(i) = placed {
            items.select_row(i);
        }
        items.cursor.clamp(items.view.len());
        // The detail view shows the item as written, or closes on a delete.
        let mut close_detail = false;
        if let Some(d) = self.detail.as_mut() {
            let same =
                change.before.as_ref().is_some_and(|b| *b == d.row.item) || change.before.is_none();
            if same {
                match written {
                    Some(w) => {
                        let class = items.decoder.classify(w);
                        d.key_fields = items.decoder.key_fields(w, &class);
                        d.entity = class
                            .entity
                            .map(|e| items.decoder.entity_name(e).to_string());
                        d.row = Row {
                            item: w.clone(),
                            class,
                        };
                        d.row_index = items.selected_index();
                    }
                    None => close_detail = true,
                }
            }
        }
        if close_detail {
            self.detail = None;
            if self.screen == Screen::Detail {
                self.screen = Screen::Items;
            }
        }
    }
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
