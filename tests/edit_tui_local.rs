//! Editing in the TUI against DynamoDB Local, driven by keys and messages:
//! an edit through a scripted editor keeps every type and writes exactly the
//! change; create, delete, key moves, bulk delete and bulk set leave exactly
//! the expected items; a change made by someone else between read and write
//! is shown as a conflict and never overwritten; protected tables refuse
//! writes until unlocked; every write reaches the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::time::Duration;

use common::items::{get, put, rich, snapshot};
use common::{db, demo_design, unique};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use dyntui::app::audit::AuditLog;
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Project, Settings};
use dyntui::app::tui::screens::edit::Modal;
use dyntui::app::tui::state::{App, Input, Msg, Screen};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::{AttributeValue, Item};
use tokio::sync::mpsc::UnboundedReceiver;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

/// A scripted editor: `node editor.mjs EDIT FILE` applies EDIT and writes
/// the item back reformatted (as a person's editor would).
const EDITOR_JS: &str = r#"
import { readFileSync, writeFileSync } from "node:fs";
const [edit, file] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
if (edit === "garbage") { writeFileSync(file, "{ \"PK\": oops"); process.exit(0); }
if (edit === "fail") process.exit(3);
const item = JSON.parse(text);
if (edit === "rename") item.name = "Grace";
if (edit === "rename-dynamo") item.name = { S: "Grace" };
if (edit === "move") item.SK = "MOVED";
if (edit === "new") { item.PK = "NEW#1"; item.SK = "NEW#1"; item.Type = "Thing"; item.n = 7; }
writeFileSync(file, JSON.stringify(item, null, 1));
"#;

struct Harness {
    app: App,
    rx: UnboundedReceiver<Msg>,
    db: Dynamo,
    table: String,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn new(project: &str, items: Vec<Item>) -> Harness {
        let db = db();
        let table = unique("edit-tui");
        demo_design(&table).create(&db).await.expect("create");
        for it in items {
            put(&db, &table, it).await;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("editor.mjs"), EDITOR_JS).expect("editor");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let settings = Settings::defaults().expect("settings");
        let project = Project::parse("dyntui.toml", project).expect("project");
        let ctx = db.context().clone();
        let mut app = App::new(
            settings,
            project,
            Ok(db.clone()),
            ctx,
            tx,
            Clipboard::Memory(vec![]),
        );
        app.audit_log = Some(AuditLog::at(&dir.path().join("audit.jsonl")));
        let mut h = Harness {
            app,
            rx,
            db,
            table,
            dir,
        };
        let t = h.table.clone();
        h.app.open_table(&t);
        h.settle().await;
        h
    }

    /// (Effects the updates asked for run first, as the event loop runs them.)
    async fn settle(&mut self) {
        let mut runner = self.app.runner();
        self.app.run_effects(&mut runner);
        while self.app.busy() {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
                .await
                .expect("a reply within 20 s")
                .expect("channel open");
            self.app.update(msg);
            self.app.run_effects(&mut runner);
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.app.update(Msg::Event(Event::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))));
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Runs the editor the app asked for, as the event loop does.
    fn run_editor(&mut self, edit: &str) {
        let req = self
            .app
            .take_editor()
            .expect("the app asked for the editor");
        let cmd = vec![
            "node".to_string(),
            self.dir.path().join("editor.mjs").display().to_string(),
            edit.to_string(),
        ];
        let r = req.run_with(&cmd);
        self.app.update(Msg::Edited(Box::new(req), r));
    }

    /// Puts the cursor on the row with this sort key.
    fn select(&mut self, sk: &str) {
        let items = self.app.items.as_mut().expect("items view");
        let pos = items
            .view
            .iter()
            .position(|&i| items.rows[i].item().get("SK") == Some(&s(sk)))
            .unwrap_or_else(|| panic!("row {sk} in view"));
        items.cursor.selected = pos;
    }

    fn audit(&self) -> Vec<dyntui::app::audit::AuditEntry> {
        AuditLog::at(&self.dir.path().join("audit.jsonl"))
            .last(100)
            .expect("audit")
    }
}

fn modal_name(app: &App) -> &'static str {
    match &app.edit.modal {
        None => "none",
        Some(Modal::Invalid { .. }) => "invalid",
        Some(Modal::Review(_)) => "review",
        Some(Modal::Conflict { .. }) => "conflict",
        Some(Modal::Bulk { .. }) => "bulk",
        Some(Modal::BulkDone(_)) => "bulk-done",
    }
}

#[tokio::test]
async fn the_editor_round_trip_keeps_every_type_and_writes_only_the_change() {
    let mut h = Harness::new("", vec![rich("R#1", "A"), rich("R#1", "B")]).await;
    let before = snapshot(&h.db, &h.table).await;
    h.select("A");
    h.key(KeyCode::Char('e'));
    h.run_editor("rename");
    assert_eq!(modal_name(&h.app), "review");
    let Some(Modal::Review(r)) = &h.app.edit.modal else {
        unreachable!()
    };
    let diff = dyntui::app::tui::screens::edit::diff_lines(&r.change);
    assert_eq!(diff.len(), 1, "only the name changed: {diff:?}");
    assert_eq!(diff[0].0, '~');
    h.key(KeyCode::Char('y'));
    h.settle().await;
    assert!(h.app.edit.modal.is_none());
    let mut want = rich("R#1", "A");
    want.insert("name".into(), s("Grace"));
    assert_eq!(
        get(&h.db, &h.table, "R#1", "A").await,
        want,
        "every type kept"
    );
    // The other item is untouched, and the row shows the new value.
    let after = snapshot(&h.db, &h.table).await;
    assert_eq!(
        before
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(v))
            .count(),
        1
    );
    let items = h.app.items.as_ref().unwrap();
    let row = items.rows[items.selected_index().unwrap()].item();
    assert_eq!(row.get("name"), Some(&s("Grace")));

    // In DynamoDB JSON too.
    h.key(KeyCode::Char('E'));
    h.run_editor("rename-dynamo");
    // Already Grace: nothing to write.
    assert!(h.app.edit.modal.is_none());
    assert!(h.app.flash.as_ref().unwrap().1.contains("no change"));
    assert_eq!(h.audit().len(), 1);
    assert_eq!(h.audit()[0].action, "update");
}

#[tokio::test]
async fn unreadable_edits_are_kept_for_another_try_and_write_nothing() {
    let mut h = Harness::new("", vec![rich("R#2", "A")]).await;
    let before = snapshot(&h.db, &h.table).await;
    h.key(KeyCode::Char('e'));
    h.run_editor("garbage");
    let Some(Modal::Invalid { error, req }) = &h.app.edit.modal else {
        panic!(
            "expected the invalid-edit dialog, got {}",
            modal_name(&h.app)
        )
    };
    assert!(error.contains("line 1"), "{error}");
    assert!(req.text.contains("oops"), "the text is kept");
    // e opens the editor again on the same text.
    h.key(KeyCode::Char('e'));
    assert!(
        h.app
            .take_editor()
            .expect("editor again")
            .text
            .contains("oops")
    );
    // An editor that fails changes nothing.
    h.key(KeyCode::Char('e'));
    h.run_editor("fail");
    assert!(h.app.flash.as_ref().unwrap().1.contains("exited"));
    assert_eq!(snapshot(&h.db, &h.table).await, before);
}

#[tokio::test]
async fn create_move_and_delete_leave_exactly_the_expected_items() {
    let mut h = Harness::new("", vec![rich("R#3", "A"), rich("R#3", "B")]).await;
    // n: a new item from the editor.
    h.key(KeyCode::Char('n'));
    h.run_editor("new");
    let Some(Modal::Review(r)) = &h.app.edit.modal else {
        panic!("review")
    };
    assert_eq!(r.change.kind(&r.info).verb(), "create");
    h.key(KeyCode::Enter);
    h.settle().await;
    let created = get(&h.db, &h.table, "NEW#1", "NEW#1").await;
    assert_eq!(created.get("n"), Some(&n("7")));
    assert_eq!(h.app.items.as_ref().unwrap().rows.len(), 3, "shown once");

    // A key change moves the item: the old one is gone.
    h.select("B");
    h.key(KeyCode::Char('e'));
    h.run_editor("move");
    let Some(Modal::Review(r)) = &h.app.edit.modal else {
        panic!("review")
    };
    assert_eq!(r.change.kind(&r.info).verb(), "move to a new key");
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let mut moved = rich("R#3", "MOVED");
    moved.insert("SK".into(), s("MOVED"));
    assert_eq!(get(&h.db, &h.table, "R#3", "MOVED").await, moved);

    // d deletes the item under the cursor after confirmation.
    h.select("A");
    h.key(KeyCode::Char('d'));
    let Some(Modal::Review(r)) = &h.app.edit.modal else {
        panic!("review")
    };
    assert!(r.change.after.is_none());
    h.key(KeyCode::Esc);
    assert_eq!(
        snapshot(&h.db, &h.table).await.len(),
        3,
        "esc writes nothing"
    );
    h.key(KeyCode::Char('d'));
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let left: Vec<String> = snapshot(&h.db, &h.table).await.into_keys().collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().any(|k| k.contains("MOVED")));
    assert!(left.iter().any(|k| k.contains("NEW#1")));
    assert_eq!(h.app.items.as_ref().unwrap().rows.len(), 2);
    let actions: Vec<String> = h.audit().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["create", "move", "delete"]);
}

#[tokio::test]
async fn a_concurrent_change_is_shown_and_never_overwritten() {
    let mut h = Harness::new("", vec![rich("R#4", "A")]).await;
    h.key(KeyCode::Char('e'));
    h.run_editor("rename");
    // Someone else changes the item before the user confirms.
    let mut theirs = rich("R#4", "A");
    theirs.insert("flag".into(), AttributeValue::Bool(false));
    theirs.insert("extra".into(), s("theirs"));
    put(&h.db, &h.table, theirs.clone()).await;
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let Some(Modal::Conflict { current, .. }) = &h.app.edit.modal else {
        panic!("expected the conflict screen, got {}", modal_name(&h.app))
    };
    assert_eq!(current.as_ref(), Some(&theirs));
    assert_eq!(
        get(&h.db, &h.table, "R#4", "A").await,
        theirs,
        "not overwritten"
    );
    assert!(h.audit().is_empty(), "nothing written, nothing audited");

    // r re-applies the user's edit onto their version, shown for review.
    h.key(KeyCode::Char('r'));
    let Some(Modal::Review(r)) = &h.app.edit.modal else {
        panic!("review")
    };
    let diff = dyntui::app::tui::screens::edit::diff_lines(&r.change);
    assert_eq!(diff.len(), 1, "{diff:?}");
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let mut want = theirs.clone();
    want.insert("name".into(), s("Grace"));
    assert_eq!(
        get(&h.db, &h.table, "R#4", "A").await,
        want,
        "both changes kept"
    );
}

#[tokio::test]
async fn quick_edit_keeps_a_number_a_number() {
    let mut h = Harness::new("", vec![rich("R#5", "A")]).await;
    h.key(KeyCode::Enter);
    assert_eq!(h.app.screen, Screen::Detail);
    // Move the cursor to `big` (keys first, then sorted names).
    let names = h.app.detail.as_ref().unwrap().attr_names();
    let at = names.iter().position(|n| n == "big").expect("big");
    for _ in 0..at {
        h.key(KeyCode::Down);
    }
    assert_eq!(
        h.app.detail.as_ref().unwrap().selected_attr().as_deref(),
        Some("big")
    );
    h.key(KeyCode::Char('i'));
    let Some(Input::QuickEdit { text, .. }) = &h.app.input else {
        panic!("quick edit")
    };
    assert_eq!(text, "12345678901234567890123456789012345678");
    for _ in 0..60 {
        h.key(KeyCode::Backspace);
    }
    h.typed("1e");
    h.key(KeyCode::Enter);
    let Some(Input::QuickEdit { error: Some(e), .. }) = &h.app.input else {
        panic!("error")
    };
    assert!(e.contains("not a number"), "{e}");
    for _ in 0..4 {
        h.key(KeyCode::Backspace);
    }
    let nines = "9".repeat(38);
    h.typed(&nines);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let got = get(&h.db, &h.table, "R#5", "A").await;
    assert_eq!(got.get("big"), Some(&n(&nines)), "exact, still a number");
    // The detail view shows the item as written.
    assert_eq!(h.app.detail.as_ref().unwrap().row.item, got);
}

#[tokio::test]
async fn bulk_delete_and_bulk_set_touch_exactly_the_marked_items() {
    let items: Vec<Item> = (0..6)
        .map(|i| {
            Item::from([
                ("PK".to_string(), s("BULK")),
                ("SK".to_string(), s(&format!("I#{i}"))),
                ("Type".to_string(), s("Thing")),
                ("points".to_string(), n("1")),
            ])
        })
        .collect();
    let mut h = Harness::new("", items).await;
    // Mark I#0..I#2 (space marks and moves down).
    h.select("I#0");
    for _ in 0..3 {
        h.key(KeyCode::Char(' '));
    }
    assert_eq!(h.app.items.as_ref().unwrap().marks.len(), 3);
    h.key(KeyCode::Char('='));
    h.typed("points=5");
    h.key(KeyCode::Enter);
    let Some(Modal::Bulk { changes, .. }) = &h.app.edit.modal else {
        panic!("bulk")
    };
    assert_eq!(changes.len(), 3);
    // Someone changes I#1 before the confirmation.
    put(
        &h.db,
        &h.table,
        Item::from([
            ("PK".to_string(), s("BULK")),
            ("SK".to_string(), s("I#1")),
            ("Type".to_string(), s("Thing")),
            ("points".to_string(), n("40")),
        ]),
    )
    .await;
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let Some(Modal::BulkDone(o)) = &h.app.edit.modal else {
        panic!("outcome")
    };
    assert_eq!((o.written, o.conflicts.len(), o.errors.len()), (2, 1, 0));
    h.key(KeyCode::Enter);
    let points = |it: Item| it.get("points").cloned();
    assert_eq!(
        points(get(&h.db, &h.table, "BULK", "I#0").await),
        Some(n("5"))
    );
    assert_eq!(
        points(get(&h.db, &h.table, "BULK", "I#1").await),
        Some(n("40")),
        "kept"
    );
    assert_eq!(
        points(get(&h.db, &h.table, "BULK", "I#2").await),
        Some(n("5"))
    );
    assert_eq!(
        points(get(&h.db, &h.table, "BULK", "I#3").await),
        Some(n("1"))
    );
    assert!(h.app.items.as_ref().unwrap().marks.is_empty());

    // Bulk delete of I#3 and I#4.
    h.select("I#3");
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char('d'));
    let Some(Modal::Bulk { changes, .. }) = &h.app.edit.modal else {
        panic!("bulk")
    };
    assert_eq!(changes.len(), 2);
    h.key(KeyCode::Char('y'));
    h.settle().await;
    h.key(KeyCode::Enter);
    let left: Vec<String> = snapshot(&h.db, &h.table).await.into_keys().collect();
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(!left.iter().any(|k| k.contains("I#3") || k.contains("I#4")));
    assert_eq!(h.app.items.as_ref().unwrap().rows.len(), 4);
    assert_eq!(h.audit().len(), 4, "2 sets + 2 deletes");
}

#[tokio::test]
async fn protected_tables_refuse_writes_until_unlocked_and_read_only_refuses_all() {
    let project = "[protection]\ntables = [\"edit-tui-*\"]\n";
    let mut h = Harness::new(project, vec![rich("R#6", "A")]).await;
    let table = h.table.clone();
    let before = snapshot(&h.db, &table).await;
    h.key(KeyCode::Char('d'));
    let Some(Input::Unlock { .. }) = &h.app.input else {
        panic!(
            "expected the unlock prompt, got {:?}",
            h.app.input.is_some()
        )
    };
    assert!(h.app.edit.modal.is_none(), "no write offered");
    h.typed("wrong");
    h.key(KeyCode::Enter);
    let Some(Input::Unlock { confirm, .. }) = &h.app.input else {
        panic!("mismatch")
    };
    assert!(confirm.error.is_some(), "mismatch");
    h.key(KeyCode::Esc);
    assert!(!h.app.unlocked.contains(&table));
    // Unlock by typing the name: the delete that asked goes on, and asks
    // for the name again.
    h.key(KeyCode::Char('d'));
    h.typed(&table);
    h.key(KeyCode::Enter);
    assert!(h.app.unlocked.contains(&table));
    let Some(Modal::Review(r)) = &h.app.edit.modal else {
        panic!("review")
    };
    assert!(r.confirm.name.is_some());
    h.key(KeyCode::Char('y')); // typed, not a confirmation
    h.key(KeyCode::Enter);
    assert_eq!(modal_name(&h.app), "review", "the name was not typed");
    assert_eq!(snapshot(&h.db, &table).await, before);
    h.key(KeyCode::Backspace);
    h.typed(&table);
    h.key(KeyCode::Enter);
    h.settle().await;
    assert!(snapshot(&h.db, &table).await.is_empty());

    // Read-only: nothing at all.
    put(&h.db, &table, rich("R#6", "B")).await;
    h.app.read_only = true;
    h.key(KeyCode::Char('r'));
    h.settle().await;
    h.key(KeyCode::Char('d'));
    assert!(h.app.edit.modal.is_none() && h.app.input.is_none());
    assert!(h.app.flash.as_ref().unwrap().1.contains("read-only"));
    h.key(KeyCode::Char('e'));
    assert!(h.app.take_editor().is_none());
    assert_eq!(snapshot(&h.db, &table).await.len(), 1);
}

#[tokio::test]
async fn the_palette_opens_tables_and_completes_commands() {
    let mut h = Harness::new("", vec![rich("R#7", "A")]).await;
    let other = unique("edit-tui-other");
    demo_design(&other).create(&h.db).await.expect("create");
    h.app.load_tables();
    h.settle().await;
    h.key(KeyCode::Char(':'));
    h.typed("tab");
    let completions = h.app.palette_completions("tab", 8);
    assert_eq!(completions[0].line, "table ");
    h.key(KeyCode::Tab);
    let Some(Input::Palette(p)) = &h.app.input else {
        panic!("palette")
    };
    assert_eq!(p.text, "table ");
    h.typed(&other);
    h.key(KeyCode::Enter);
    h.settle().await;
    assert!(h.app.input.is_none());
    assert_eq!(h.app.items.as_ref().unwrap().table, other);
    // Unknown commands say so and keep the line.
    h.key(KeyCode::Char(':'));
    h.typed("frobnicate now");
    h.key(KeyCode::Enter);
    let Some(Input::Palette(p)) = &h.app.input else {
        panic!("palette")
    };
    assert!(p.error.as_ref().unwrap().contains("unknown command"));
    h.key(KeyCode::Esc);
    // `:aud` + enter opens the audit log.
    h.key(KeyCode::Char(':'));
    h.typed("aud");
    h.key(KeyCode::Enter);
    h.settle().await;
    assert_eq!(h.app.screen, Screen::Audit);
}

#[tokio::test]
async fn an_expired_session_keeps_the_view_and_reconnect_resumes_it() {
    let mut h = Harness::new("", vec![rich("R#8", "A"), rich("R#8", "B")]).await;
    h.key(KeyCode::Char('/'));
    h.typed("R#8");
    h.key(KeyCode::Enter);
    let request = h.app.items.as_ref().unwrap().request.clone();
    h.app.note_error(&dyntui::dynamo::error::AwsError::new(
        "ExpiredToken",
        "the SSO session associated with this profile has expired",
    ));
    let cmd = h.app.sso_expired.clone().expect("the expiry is noted");
    assert!(cmd.starts_with("aws sso login"), "{cmd}");
    // L copies the login command.
    h.key(KeyCode::Char('L'));
    assert_eq!(h.app.clipboard.last(), Some(cmd.as_str()));
    // After logging in, :reconnect builds a new client and re-runs the view.
    h.key(KeyCode::Char(':'));
    h.typed("reconnect");
    h.key(KeyCode::Enter);
    h.settle().await;
    assert!(h.app.sso_expired.is_none());
    assert_eq!(h.app.screen, Screen::Items);
    let items = h.app.items.as_ref().unwrap();
    assert_eq!(items.table, h.table);
    assert_eq!(items.request.describe(), request.describe());
    assert_eq!(items.text_filter, "R#8", "the filter is kept");
    assert_eq!(items.rows.len(), 2, "the request ran again");
}

#[tokio::test]
async fn export_from_the_tui_writes_the_view_or_the_marked_items() {
    let mut h = Harness::new("", (0..5).map(|i| rich("R#9", &format!("S{i}"))).collect()).await;
    let all = h.dir.path().join("view.jsonl");
    h.key(KeyCode::Char(':'));
    h.typed(&format!("export {}", all.display()));
    h.key(KeyCode::Enter);
    // Reading the view asks first, with the read's estimate.
    assert!(h.app.export.confirm.is_some(), "{:?}", h.app.flash);
    h.settle().await;
    let c = h.app.export.confirm.as_ref().expect("still asking");
    let e = c.estimate.estimate().expect("the read's estimate arrived");
    assert_eq!(e.read.as_ref().map(|r| r.items), Some(5));
    h.key(KeyCode::Char('y'));
    assert!(h.app.export.running(), "{:?}", h.app.flash);
    h.settle().await;
    assert!(
        h.app.flash.as_ref().unwrap().1.contains("exported 5 items")
            && h.app.flash.as_ref().unwrap().1.contains("consumed"),
        "{:?}",
        h.app.flash
    );
    let check = dyntui::dynamo::export::check_file(&all).expect("check");
    assert_eq!((check.lines, check.problem), (5, None));
    // Marked items only.
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char(' '));
    let marked = h.dir.path().join("marked.jsonl");
    h.key(KeyCode::Char(':'));
    h.typed(&format!("export {}", marked.display()));
    h.key(KeyCode::Enter);
    h.settle().await;
    let text = std::fs::read_to_string(&marked).expect("written");
    assert_eq!(
        text.lines().count(),
        4,
        "the header, two items and the end marker"
    );
    assert!(
        text.contains("12345678901234567890123456789012345678"),
        "exact numbers"
    );
}

#[tokio::test]
async fn bulk_set_guards_each_item_by_its_own_entity() {
    let project = "[decode]\ntype_attribute = \"Type\"\n[[entity]]\nname = \"Versioned\"\nversion_attribute = \"version\"\n";
    let item = |sk: &str, t: &str, version: Option<&str>| {
        let mut it = Item::from([
            ("PK".to_string(), s("MIX")),
            ("SK".to_string(), s(sk)),
            ("Type".to_string(), s(t)),
            ("points".to_string(), n("1")),
        ]);
        if let Some(v) = version {
            it.insert("version".into(), n(v));
        }
        it
    };
    let mut h = Harness::new(
        project,
        vec![item("A", "Thing", None), item("B", "Versioned", Some("4"))],
    )
    .await;
    h.select("A");
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char('='));
    h.typed("points=9");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let Some(Modal::BulkDone(o)) = &h.app.edit.modal else {
        panic!("outcome")
    };
    assert_eq!((o.written, o.conflicts.len(), o.errors.len()), (2, 0, 0));
    let a = get(&h.db, &h.table, "MIX", "A").await;
    let b = get(&h.db, &h.table, "MIX", "B").await;
    assert_eq!(a.get("points"), Some(&n("9")));
    assert_eq!(
        a.get("version"),
        None,
        "an entity without a version attribute gets none"
    );
    assert_eq!(b.get("points"), Some(&n("9")));
    assert_eq!(
        b.get("version"),
        Some(&n("5")),
        "the versioned entity's version is bumped"
    );
}
