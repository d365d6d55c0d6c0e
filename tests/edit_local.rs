//! Editing against DynamoDB Local, through `dynamo::edit` and the headless
//! commands (`dyntui put|edit|set|delete|audit`): exact results, every type
//! kept through a scripted $EDITOR, key changes as moves, a concurrent
//! change detected and never overwritten (and re-applied onto), version
//! attributes, protected tables and --read-only refused, bulk delete and
//! bulk set, and the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::process::{Command, Stdio};

use common::items::{get, put, rich, snapshot};
use common::{db, demo_design, unique};
use dyntui::dynamo::client::{Dynamo, TableInfo};
use dyntui::dynamo::edit::{self, Change, ChangeKind, EditFormat};
use dyntui::dynamo::seed::WriteOptions;
use dyntui::dynamo::write::{Guard, WriteError, Writer};
use dyntui::dynamo::{AttributeValue, Item, value};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

async fn table_named(db: &Dynamo, name: &str) -> TableInfo {
    demo_design(name).create(db).await.expect("create table");
    db.describe(name).await.expect("describe")
}

fn writer<'a>(db: &'a Dynamo, info: &'a TableInfo, opts: &'a WriteOptions) -> Writer<'a> {
    Writer {
        db,
        info,
        opts,
        limiter: None,
    }
}

const EDITOR_JS: &str = r#"
// A scripted editor: node editor.mjs <file>. Reads the item, applies the
// edit named by DYNTUI_TEST_EDIT, writes it back reformatted.
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
const file = process.argv[2];
const item = JSON.parse(readFileSync(file, "utf8"));
const edit = process.env.DYNTUI_TEST_EDIT;
// Someone else writes the item while it is in the editor: the command
// (program and arguments) is in concurrent.json beside this script.
if (edit === "concurrent") {
  const [program, ...args] = JSON.parse(readFileSync(join(dirname(process.argv[1]), "concurrent.json"), "utf8"));
  execFileSync(program, args, { stdio: "ignore" });
  item.name = "Grace";
}
if (edit === "rename") item.name = "Grace";
if (edit === "rename-dynamo") item.name = { S: "Grace" };
if (edit === "move") item.SK = "B";
if (edit === "garbage") { writeFileSync(file, "{ not json"); process.exit(0); }
writeFileSync(file, JSON.stringify(item, null, 1));
"#;

struct Bin {
    dir: tempfile::TempDir,
}

impl Bin {
    fn new(project: &str) -> Bin {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("editor.mjs"), EDITOR_JS).expect("editor");
        std::fs::write(dir.path().join("dyntui.toml"), project).expect("project");
        Bin { dir }
    }

    fn audit(&self) -> std::path::PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    fn run(&self, args: &[&str], edit: &str, stdin: Option<&str>) -> (bool, String, String) {
        let editor = format!("node {}", self.dir.path().join("editor.mjs").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_dyntui"))
            .arg("--config")
            .arg(self.dir.path().join("dyntui.toml"))
            .arg("--endpoint-url")
            .arg(common::endpoint())
            .arg("--log-file")
            .arg(self.dir.path().join("dyntui.log"))
            .args(args)
            .env("EDITOR", &editor)
            .env_remove("VISUAL")
            .env("DYNTUI_TEST_EDIT", edit)
            .env("DYNTUI_AUDIT_LOG", self.audit())
            .env("AWS_ACCESS_KEY_ID", "dummy")
            .env("AWS_SECRET_ACCESS_KEY", "dummy")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dyntui");
        if let Some(mut si) = child.stdin.take() {
            use std::io::Write;
            if let Some(text) = stdin {
                si.write_all(text.as_bytes()).expect("stdin");
            }
        }
        let out = child.wait_with_output().expect("wait");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

const PROJECT: &str = r#"
[decode]
type_attribute = "Type"
[[entity]]
name = "Versioned"
version_attribute = "version"
"#;

fn key_json(pk: &str, sk: &str) -> String {
    format!(r#"{{"PK":"{pk}","SK":"{sk}"}}"#)
}

// --------------------------------------------------------------- the editor

#[tokio::test]
async fn the_editor_round_trip_keeps_every_type_in_both_formats() {
    let db = db();
    let t = unique("edit");
    let info = table_named(&db, &t).await;
    put(&db, &t, rich("P1", "A")).await;
    let bin = Bin::new(PROJECT);
    for (edit, fmt) in [("rename", None), ("rename-dynamo", Some("--dynamo-json"))] {
        let mut args = vec!["edit", "-t", &t, "--yes"];
        let key = key_json("P1", "A");
        args.extend(["--key", &key]);
        args.extend(fmt);
        let (ok, _, err) = bin.run(&args, edit, None);
        assert!(ok, "{err}");
        assert!(err.contains("~ name: Ada -> Grace"), "{err}");
        let got = get(&db, &t, "P1", "A").await;
        let mut want = rich("P1", "A");
        want.insert("name".into(), s("Grace"));
        assert_eq!(got, want, "{edit}: every other attribute kept exactly");
        // Back to Ada for the next round.
        put(&db, &t, rich("P1", "A")).await;
    }
    // Unparseable text is refused, nothing written.
    let before = snapshot(&db, &t).await;
    let (ok, _, err) = bin.run(
        &["edit", "-t", &t, "--yes", "--key", &key_json("P1", "A")],
        "garbage",
        None,
    );
    assert!(!ok);
    assert!(err.contains("line 1, column"), "{err}");
    assert_eq!(snapshot(&db, &t).await, before);
    // The library: editor text and back is the identity, both formats.
    for fmt in [EditFormat::Plain, EditFormat::Dynamo] {
        let it = rich("P9", "A");
        let text = edit::editor_text(&info, &it, fmt);
        assert!(
            text.trim_start().starts_with("{\n  \"PK\""),
            "keys first: {text}"
        );
        assert_eq!(
            edit::parse_editor_text(&info, Some(&it), &text, fmt).expect("parses"),
            it
        );
    }
    // Empty sets are invalid in DynamoDB JSON and reported.
    let e = edit::parse_editor_text(
        &info,
        None,
        r#"{"PK":{"S":"a"},"SK":{"S":"b"},"s":{"SS":[]}}"#,
        EditFormat::Dynamo,
    )
    .expect_err("empty set");
    assert!(e.contains("empty"), "{e}");
    // A missing key attribute is reported.
    let e = edit::parse_editor_text(&info, None, r#"{"PK":"a"}"#, EditFormat::Plain)
        .expect_err("no SK");
    assert!(e.contains("SK"), "{e}");
}

#[tokio::test]
async fn changing_the_key_in_the_editor_moves_the_item() {
    let db = db();
    let t = unique("edit");
    table_named(&db, &t).await;
    put(&db, &t, rich("P1", "A")).await;
    let bin = Bin::new(PROJECT);
    let (ok, _, err) = bin.run(
        &["edit", "-t", &t, "--yes", "--key", &key_json("P1", "A")],
        "move",
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("move to a new key"), "{err}");
    let snap = snapshot(&db, &t).await;
    assert_eq!(snap.len(), 1);
    let mut want = rich("P1", "A");
    want.insert("SK".into(), s("B"));
    assert_eq!(get(&db, &t, "P1", "B").await, want);
}

// ------------------------------------------------------- headless commands

#[tokio::test]
async fn put_set_delete_and_the_audit_log() {
    let db = db();
    let t = unique("edit");
    table_named(&db, &t).await;
    let bin = Bin::new(PROJECT);
    let item = r#"{"PK":"C1","SK":"C1","Type":"Customer","points":10,"tier":"silver"}"#;
    let (ok, _, err) = bin.run(&["put", "-t", &t, "--yes"], "", Some(item));
    assert!(ok, "{err}");
    assert!(
        err.contains("create C1") || err.contains("create PK=C1"),
        "{err}"
    );
    let (ok, _, err) = bin.run(
        &[
            "set",
            "-t",
            &t,
            "--yes",
            "--key",
            &key_json("C1", "C1"),
            "points=11.5",
            "tier=gold",
        ],
        "",
        None,
    );
    assert!(ok, "{err}");
    let got = get(&db, &t, "C1", "C1").await;
    assert_eq!(
        got.get("points"),
        Some(&n("11.5")),
        "a number stays a number"
    );
    assert_eq!(got.get("tier"), Some(&s("gold")));
    let (ok, _, err) = bin.run(
        &[
            "set",
            "-t",
            &t,
            "--yes",
            "--key",
            &key_json("C1", "C1"),
            "points=lots",
        ],
        "",
        None,
    );
    assert!(!ok && err.contains("not a number"), "{err}");
    // put --overwrite over an existing item replaces it (attributes not in
    // the file go).
    let (ok, _, err) = bin.run(
        &["put", "-t", &t, "--yes", "--overwrite"],
        "",
        Some(r#"{"PK":"C1","SK":"C1","Type":"Customer","points":1}"#),
    );
    assert!(ok, "{err}");
    assert!(err.contains("- tier: gold"), "{err}");
    assert!(!get(&db, &t, "C1", "C1").await.contains_key("tier"));
    let (ok, _, err) = bin.run(
        &["delete", "-t", &t, "--yes", "--key", &key_json("C1", "C1")],
        "",
        None,
    );
    assert!(ok, "{err}");
    assert!(snapshot(&db, &t).await.is_empty());

    let (ok, out, err) = bin.run(&["audit", "--json", "-n", "10"], "", None);
    assert!(ok, "{err}");
    let actions: Vec<String> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            assert_eq!(v["table"], t.as_str());
            assert_eq!(v["endpoint"], common::endpoint().as_str());
            v["action"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(actions, ["create", "update", "update", "delete"]);
    let last: serde_json::Value =
        serde_json::from_str(out.lines().last().unwrap_or_default()).expect("json");
    let before = value::item_from_dynamo(&last["before"]).expect("before item");
    assert_eq!(before.get("points"), Some(&n("1")));
    assert!(last["after"].is_null());
}

#[tokio::test]
async fn put_over_an_existing_item_never_reverts_a_change_made_since_it_was_read() {
    let db = db();
    let t = unique("edit");
    table_named(&db, &t).await;
    let bin = Bin::new(PROJECT);
    let seen = r#"{"PK":"C2","SK":"C2","Type":"Customer","balance":100}"#;
    let (ok, _, err) = bin.run(&["put", "-t", &t, "--yes"], "", Some(seen));
    assert!(ok, "{err}");
    // Someone else changes the balance after the user read the item.
    let mut theirs = get(&db, &t, "C2", "C2").await;
    theirs.insert("balance".into(), n("150"));
    put(&db, &t, theirs.clone()).await;
    let mine = r#"{"PK":"C2","SK":"C2","Type":"Customer","balance":100,"note":"vip"}"#;

    // No version attribute and no --expect: refused, nothing written.
    let (ok, _, err) = bin.run(&["put", "-t", &t, "--yes"], "", Some(mine));
    assert!(!ok, "refused");
    assert!(
        err.contains("--expect") && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(get(&db, &t, "C2", "C2").await, theirs);

    // --expect with the item as read: a conflict, shown, nothing reverted.
    let dir = tempfile::tempdir().expect("tempdir");
    let seen_file = dir.path().join("seen.json");
    std::fs::write(&seen_file, seen).expect("write");
    let seen_arg = seen_file.display().to_string();
    let (ok, _, err) = bin.run(
        &["put", "-t", &t, "--yes", "--expect", &seen_arg],
        "",
        Some(mine),
    );
    assert!(!ok, "a conflict: {err}");
    assert!(err.contains("conflict"), "{err}");
    assert!(err.contains("~ balance: 100 -> 150"), "{err}");
    assert!(
        err.contains("your change, re-applied onto the current version:")
            && err.contains("+ note: vip"),
        "the re-applied change is shown: {err}"
    );
    assert_eq!(get(&db, &t, "C2", "C2").await, theirs);

    // --expect with the item as it is now: written.
    let now_file = dir.path().join("now.json");
    std::fs::write(
        &now_file,
        r#"{"PK":"C2","SK":"C2","Type":"Customer","balance":150}"#,
    )
    .expect("write");
    let now_arg = now_file.display().to_string();
    let (ok, _, err) = bin.run(
        &["put", "-t", &t, "--yes", "--expect", &now_arg],
        "",
        Some(r#"{"PK":"C2","SK":"C2","Type":"Customer","balance":150,"note":"vip"}"#),
    );
    assert!(ok, "{err}");
    assert_eq!(get(&db, &t, "C2", "C2").await.get("note"), Some(&s("vip")));

    // A versioned entity: the file's version is what the user saw.
    let v = r#"{"PK":"V2","SK":"V2","Type":"Versioned","version":7,"a":"x"}"#;
    let (ok, _, err) = bin.run(&["put", "-t", &t, "--yes"], "", Some(v));
    assert!(ok, "{err}");
    let mut bumped = get(&db, &t, "V2", "V2").await;
    let created_version = bumped.get("version").cloned();
    bumped.insert("a".into(), s("theirs"));
    bumped.insert("version".into(), n("100"));
    put(&db, &t, bumped.clone()).await;
    let stale = r#"{"PK":"V2","SK":"V2","Type":"Versioned","version":VER,"a":"mine"}"#;
    let stale = stale.replace(
        "VER",
        match &created_version {
            Some(AttributeValue::N(v)) => v.as_str(),
            _ => "1",
        },
    );
    let (ok, _, err) = bin.run(&["put", "-t", &t, "--yes"], "", Some(&stale));
    assert!(!ok, "a stale version is refused: {err}");
    assert!(
        err.contains("conflict") && err.contains("older version"),
        "{err}"
    );
    assert_eq!(get(&db, &t, "V2", "V2").await, bumped);
    let (ok, _, err) = bin.run(
        &["put", "-t", &t, "--yes"],
        "",
        Some(r#"{"PK":"V2","SK":"V2","Type":"Versioned","a":"mine"}"#),
    );
    assert!(!ok && err.contains("`version`"), "no version: {err}");
    let (ok, _, err) = bin.run(
        &["put", "-t", &t, "--yes"],
        "",
        Some(r#"{"PK":"V2","SK":"V2","Type":"Versioned","version":100,"a":"mine"}"#),
    );
    assert!(ok, "the current version is accepted: {err}");
    let got = get(&db, &t, "V2", "V2").await;
    assert_eq!(got.get("a"), Some(&s("mine")));
    assert_eq!(got.get("version"), Some(&n("101")), "and bumped");
}

/// An item with `n` attributes besides its key and type.
fn wide(pk: &str, n: usize) -> Item {
    let mut it = Item::from([
        ("PK".to_string(), s(pk)),
        ("SK".to_string(), s(pk)),
        ("Type".to_string(), s("Customer")),
    ]);
    for i in 0..n {
        it.insert(format!("attr{i:03}"), s(&format!("value {i}")));
    }
    it
}

#[tokio::test]
async fn items_of_400_attributes_are_updated_deleted_and_guarded() {
    let db = db();
    let t = unique("edit");
    let info = table_named(&db, &t).await;
    let opts = WriteOptions::default();
    let w = writer(&db, &info, &opts);
    let before = wide("W1", 400);
    put(&db, &t, before.clone()).await;

    let mut after = before.clone();
    after.insert("attr007".into(), s("changed"));
    after.remove("attr008");
    let change = Change {
        before: Some(before.clone()),
        after: Some(after.clone()),
    };
    edit::apply(&w, &change, &Guard::Unchanged)
        .await
        .expect("a wide item is updated");
    assert_eq!(get(&db, &t, "W1", "W1").await, after);

    // Every attribute changed at once (an update expression too long for
    // one UpdateItem) is written too.
    let mut all = after.clone();
    for i in 0..400 {
        all.insert(format!("attr{i:03}"), s(&format!("new {i}")));
    }
    edit::apply(
        &w,
        &Change {
            before: Some(after.clone()),
            after: Some(all.clone()),
        },
        &Guard::Unchanged,
    )
    .await
    .expect("every attribute changed");
    assert_eq!(get(&db, &t, "W1", "W1").await, all);

    // A concurrent change to the last attribute, beyond what one condition
    // can compare, is still a conflict.
    let mut theirs = all.clone();
    theirs.insert("attr399".into(), s("theirs"));
    put(&db, &t, theirs.clone()).await;
    let mut mine = all.clone();
    mine.insert("attr001".into(), s("mine"));
    let r = edit::apply(
        &w,
        &Change {
            before: Some(all.clone()),
            after: Some(mine),
        },
        &Guard::Unchanged,
    )
    .await;
    assert!(matches!(r, Err(WriteError::Conflict)), "{r:?}");
    let r = edit::apply(
        &w,
        &Change {
            before: Some(all.clone()),
            after: None,
        },
        &Guard::Unchanged,
    )
    .await;
    assert!(matches!(r, Err(WriteError::Conflict)), "{r:?}");
    assert_eq!(get(&db, &t, "W1", "W1").await, theirs);

    edit::apply(
        &w,
        &Change {
            before: Some(theirs),
            after: None,
        },
        &Guard::Unchanged,
    )
    .await
    .expect("a wide item is deleted");
    assert!(snapshot(&db, &t).await.is_empty());
}

#[tokio::test]
async fn protected_tables_and_read_only_refuse_writes_until_unlocked() {
    let db = db();
    let t = format!("{}-prod", unique("edit"));
    table_named(&db, &t).await;
    let bin = Bin::new(PROJECT);
    let item = r#"{"PK":"C1","SK":"C1"}"#;
    let (ok, _, err) = bin.run(&["put", "-t", &t, "--yes"], "", Some(item));
    assert!(!ok);
    assert!(
        err.contains("read-only") && err.contains("*prod*") && err.contains("--unlock"),
        "{err}"
    );
    let (ok, _, err) = bin.run(
        &[
            "put",
            "-t",
            &t,
            "--yes",
            "--unlock",
            "--confirm-table",
            "wrong",
        ],
        "",
        Some(item),
    );
    assert!(!ok && err.contains("does not match"), "{err}");
    assert!(snapshot(&db, &t).await.is_empty());
    let (ok, _, err) = bin.run(
        &["put", "-t", &t, "--yes", "--unlock", "--confirm-table", &t],
        "",
        Some(item),
    );
    assert!(ok, "{err}");
    assert_eq!(snapshot(&db, &t).await.len(), 1);
    // --read-only refuses even an unprotected table, and seeding too.
    let t2 = unique("edit");
    table_named(&db, &t2).await;
    let (ok, _, err) = bin.run(&["--read-only", "put", "-t", &t2, "--yes"], "", Some(item));
    assert!(!ok && err.contains("--read-only"), "{err}");
    let (ok, _, err) = bin.run(
        &["--read-only", "seed", "demo", "-t", &t2, "--yes"],
        "",
        None,
    );
    assert!(!ok && err.contains("--read-only"), "{err}");
    assert!(snapshot(&db, &t2).await.is_empty());
}

// ------------------------------------------------------ no lost updates

#[tokio::test]
async fn a_concurrent_change_is_detected_not_overwritten_and_can_be_reapplied() {
    let db = db();
    let t = unique("edit");
    let info = table_named(&db, &t).await;
    put(&db, &t, rich("P1", "A")).await;
    let opts = WriteOptions::default();
    let w = writer(&db, &info, &opts);
    let read = get(&db, &t, "P1", "A").await;
    let mut mine = read.clone();
    mine.insert("name".into(), s("Mine"));
    // Someone else changes another attribute meanwhile.
    let mut theirs = read.clone();
    theirs.insert("flag".into(), AttributeValue::Bool(false));
    put(&db, &t, theirs.clone()).await;
    let change = Change {
        before: Some(read.clone()),
        after: Some(mine.clone()),
    };
    assert_eq!(change.kind(&info), ChangeKind::Update);
    let r = edit::apply(&w, &change, &Guard::Unchanged).await;
    assert!(matches!(r, Err(WriteError::Conflict)), "{r:?}");
    assert_eq!(
        get(&db, &t, "P1", "A").await,
        theirs,
        "their write survives"
    );
    // Re-applied onto the current version: both changes kept.
    let current = w.current(&read).await.expect("read").expect("exists");
    let rebased = edit::rebase(&read, &mine, &current);
    edit::apply(
        &w,
        &Change {
            before: Some(current),
            after: Some(rebased),
        },
        &Guard::Unchanged,
    )
    .await
    .expect("applies");
    let now = get(&db, &t, "P1", "A").await;
    assert_eq!(now.get("name"), Some(&s("Mine")));
    assert_eq!(now.get("flag"), Some(&AttributeValue::Bool(false)));
    // A delete of a changed item is refused too; a create over an existing one as well.
    let r = edit::apply(
        &w,
        &Change {
            before: Some(read.clone()),
            after: None,
        },
        &Guard::Unchanged,
    )
    .await;
    assert!(matches!(r, Err(WriteError::Conflict)));
    let r = edit::apply(
        &w,
        &Change {
            before: None,
            after: Some(read.clone()),
        },
        &Guard::Unchanged,
    )
    .await;
    assert!(matches!(r, Err(WriteError::Exists(_))), "{r:?}");
    assert_eq!(snapshot(&db, &t).await.len(), 1);
}

#[tokio::test]
async fn a_conflict_with_yes_shows_the_change_it_did_not_write() {
    // `your change, re-applied onto the current version:` was printed with
    // nothing after it.
    let db = db();
    let t = unique("edit-conflict");
    table_named(&db, &t).await;
    put(&db, &t, rich("P1", "A")).await;
    let bin = Bin::new(PROJECT);
    let key = key_json("P1", "A");
    let concurrent = serde_json::json!([
        env!("CARGO_BIN_EXE_dyntui"),
        "--config",
        bin.dir.path().join("dyntui.toml"),
        "--endpoint-url",
        common::endpoint(),
        "--log-file",
        bin.dir.path().join("other.log"),
        "set",
        "-t",
        t,
        "--key",
        key,
        "name=Theirs",
        "--yes",
    ]);
    std::fs::write(
        bin.dir.path().join("concurrent.json"),
        concurrent.to_string(),
    )
    .expect("concurrent.json");
    let (ok, _, err) = bin.run(
        &["edit", "-t", &t, "--key", &key, "--yes"],
        "concurrent",
        None,
    );
    assert!(!ok, "{err}");
    assert!(
        err.contains("~ name: Ada -> Theirs"),
        "what changed meanwhile:\n{err}"
    );
    let (_, after) = err
        .split_once("your change, re-applied onto the current version:")
        .unwrap_or_else(|| panic!("no re-applied change in\n{err}"));
    let (shown, _) = after.split_once("error:").expect("the error follows");
    assert!(shown.contains("~ name: Theirs -> Grace"), "{err}");
    assert!(err.contains("run again to re-apply"), "{err}");
    let now = get(&db, &t, "P1", "A").await;
    assert_eq!(now.get("name"), Some(&s("Theirs")), "their write survives");
}

#[tokio::test]
async fn a_version_attribute_guards_and_is_bumped() {
    let db = db();
    let t = unique("edit");
    let info = table_named(&db, &t).await;
    let mut it = Item::from([
        ("PK".to_string(), s("V1")),
        ("SK".to_string(), s("V1")),
        ("Type".to_string(), s("Versioned")),
        ("version".to_string(), n("7")),
        ("a".to_string(), s("x")),
    ]);
    put(&db, &t, it.clone()).await;
    let opts = WriteOptions::default();
    let w = writer(&db, &info, &opts);
    let guard = edit::guard_for(Some("version"));
    let mut after = it.clone();
    after.insert("a".into(), s("y"));
    let written = edit::apply(
        &w,
        &Change {
            before: Some(it.clone()),
            after: Some(after),
        },
        &guard,
    )
    .await
    .expect("applies")
    .expect("written");
    assert_eq!(written.get("version"), Some(&n("8")));
    assert_eq!(get(&db, &t, "V1", "V1").await, written);
    // The old version (7) no longer matches: a conflict.
    it.insert("a".into(), s("z"));
    let r = edit::apply(
        &w,
        &Change {
            before: Some(Item::from([
                ("PK".to_string(), s("V1")),
                ("SK".to_string(), s("V1")),
                ("version".to_string(), n("7")),
            ])),
            after: Some(it),
        },
        &guard,
    )
    .await;
    assert!(matches!(r, Err(WriteError::Conflict)), "{r:?}");
    assert_eq!(get(&db, &t, "V1", "V1").await, written);
}

// ------------------------------------------------------------------- bulk

#[tokio::test]
async fn bulk_delete_and_bulk_set_touch_exactly_the_marked_items() {
    let db = db();
    let t = unique("edit");
    let info = table_named(&db, &t).await;
    let mut items = Vec::new();
    for i in 0..12 {
        let it = Item::from([
            ("PK".to_string(), s(&format!("B{i:02}"))),
            ("SK".to_string(), s("X")),
            ("n".to_string(), n(&i.to_string())),
        ]);
        put(&db, &t, it.clone()).await;
        items.push(it);
    }
    let opts = WriteOptions::default();
    let w = writer(&db, &info, &opts);
    // Item 3 changes between read and bulk write: reported, not touched.
    let mut changed = items[3].clone();
    changed.insert("n".into(), n("300"));
    put(&db, &t, changed.clone()).await;
    let marked: Vec<Item> = items[0..6].to_vec();
    let set: Vec<Change> = marked
        .iter()
        .map(|it| Change {
            before: Some(it.clone()),
            after: Some(edit::with_attribute(it, "status", &s("archived"))),
        })
        .collect();
    let counted = std::sync::atomic::AtomicUsize::new(0);
    let report = edit::bulk(&w, set, &Guard::Unchanged, 4, &|k| {
        counted.fetch_add(k, std::sync::atomic::Ordering::Relaxed);
    })
    .await;
    assert_eq!(counted.load(std::sync::atomic::Ordering::Relaxed), 6);
    assert_eq!(report.done.len(), 5);
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(report.conflicts[0].1.as_ref(), Some(&changed));
    assert_eq!(get(&db, &t, "B03", "X").await, changed);
    for i in [0, 1, 2, 4, 5] {
        let got = get(&db, &t, &format!("B{i:02}"), "X").await;
        assert_eq!(got.get("status"), Some(&s("archived")));
    }
    for (i, it) in items.iter().enumerate().skip(6) {
        assert_eq!(&get(&db, &t, &format!("B{i:02}"), "X").await, it);
    }
    // Bulk delete of items 6..9.
    let del: Vec<Change> = items[6..9]
        .iter()
        .map(|it| Change {
            before: Some(it.clone()),
            after: None,
        })
        .collect();
    let report = edit::bulk(&w, del, &Guard::Unchanged, 4, &|_| {}).await;
    assert_eq!((report.done.len(), report.conflicts.len()), (3, 0));
    let snap = snapshot(&db, &t).await;
    assert_eq!(snap.len(), 9);
}
