//! Declarative migrations against DynamoDB Local (a fresh table per test),
//! through `dynamo::migrate` and through `dyntui migrate`: exact results of
//! each op, untouched items byte-for-byte, dry runs that write nothing, the
//! ledger (counts, checksum, "changed" files), idempotent `up`, a concurrent
//! writer whose change survives, stop + resume, and bad files refused with
//! file:line:column before anything runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use common::items::{dir_with, get, put, snapshot};
use common::{db, demo_design, unique};
use dyntui::dynamo::client::{Dynamo, TableInfo};
use dyntui::dynamo::migrate::{self, FileStatus, Migration, RunOptions, RunReport};
use dyntui::dynamo::{AttributeValue, Item};

const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

const M001: &str = r#"description = "Order keys and names"
[select]
type = "Order"
[[op]]
set = { attribute = "GSI2PK", template = "STATUS#{status}" }
[[op]]
rename = { from = "total", to = "amount" }
[[op]]
remove = { attribute = "legacyFlag" }
[[op]]
copy = { from = "email", to = "contactEmail" }
"#;

// ------------------------------------------------------------------ helpers

async fn table() -> (Dynamo, TableInfo) {
    let db = db();
    let t = unique("migrate");
    demo_design(&t).create(&db).await.expect("create table");
    let info = db.describe(&t).await.expect("describe");
    (db, info)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

fn order(i: u32, status: &str) -> Item {
    let mut it = Item::new();
    it.insert("PK".into(), s(&format!("CUSTOMER#c{i:03}")));
    it.insert("SK".into(), s(&format!("ORDER#o{i:03}")));
    it.insert("Type".into(), s("Order"));
    it.insert("status".into(), s(status));
    it.insert("total".into(), n(&format!("{i}.5")));
    it.insert("legacyFlag".into(), AttributeValue::Bool(true));
    it.insert("email".into(), s(&format!("c{i}@example.com")));
    it
}

fn customer(i: u32) -> Item {
    let mut it = Item::new();
    it.insert("PK".into(), s(&format!("CUSTOMER#c{i:03}")));
    it.insert("SK".into(), s(&format!("CUSTOMER#c{i:03}")));
    it.insert("Type".into(), s("Customer"));
    it.insert("status".into(), s("ACTIVE"));
    it.insert("total".into(), n("7"));
    it.insert("legacyFlag".into(), AttributeValue::Bool(false));
    it.insert("email".into(), s("x@example.com"));
    let mut addr = std::collections::HashMap::new();
    addr.insert("city".to_string(), s("Oslo"));
    it.insert("address".into(), AttributeValue::M(addr));
    it
}

fn opts() -> RunOptions {
    RunOptions {
        segments: 3,
        run_by: "tester".into(),
        ..RunOptions::default()
    }
}

async fn run(db: &Dynamo, info: &TableInfo, m: &Migration, o: &RunOptions) -> RunReport {
    migrate::run(db, info, m, o, Arc::new(AtomicBool::new(false)))
        .await
        .expect("migration runs")
}

/// `up` through the library: every pending migration in order.
async fn up(db: &Dynamo, info: &TableInfo, dir: &Path, o: &RunOptions) -> Vec<RunReport> {
    let ms = migrate::load_dir(dir).expect("files load");
    let st = migrate::status(db, info, &ms).await.expect("status");
    let mut out = Vec::new();
    for (m, (f, _)) in ms.iter().zip(st) {
        if f.pending() {
            out.push(run(db, info, m, o).await);
        }
    }
    out
}

fn bin(state: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--config")
        .arg(DEMO_CONFIG)
        .arg("--endpoint-url")
        .arg(common::endpoint())
        .arg("--log-file")
        .arg(state.join("dyntui.log"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env("USER", "cli-user")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .stdin(Stdio::null())
        .output()
        .expect("run dyntui");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// -------------------------------------------------------------------- tests

#[test]
fn checksum_is_fnv1a_64() {
    // Reference values of FNV-1a 64.
    assert_eq!(migrate::checksum(b""), "cbf29ce484222325");
    assert_eq!(migrate::checksum(b"a"), "af63dc4c8601ec8c");
    assert_eq!(migrate::checksum(b"foobar"), "85944171f73967e8");
}

#[tokio::test]
async fn each_op_exact_and_other_items_untouched() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..10 {
        put(
            &db,
            &t,
            order(i, if i % 2 == 0 { "SHIPPED" } else { "OPEN" }),
        )
        .await;
        put(&db, &t, customer(i)).await;
    }
    // An order without `status`: its set op is skipped, the others apply.
    let mut odd = order(50, "X");
    odd.remove("status");
    odd.remove("email");
    put(&db, &t, odd).await;
    let dir = dir_with(&[("001_orders.toml", M001)]);
    let before = snapshot(&db, &t).await;
    let reports = up(&db, &info, dir.path(), &opts()).await;
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.counts.selected, 11, "{:?}", r.counts);
    assert_eq!(r.counts.changed, 11);
    assert_eq!(r.counts.unchanged, 0);
    assert_eq!(r.counts.conflicts, 0);
    assert_eq!(r.counts.incomplete, 1);

    for i in 0..10u32 {
        let status = if i % 2 == 0 { "SHIPPED" } else { "OPEN" };
        let got = get(
            &db,
            &t,
            &format!("CUSTOMER#c{i:03}"),
            &format!("ORDER#o{i:03}"),
        )
        .await;
        let mut want = order(i, status);
        want.remove("legacyFlag");
        let total = want.remove("total").unwrap();
        want.insert("amount".into(), total);
        want.insert("GSI2PK".into(), s(&format!("STATUS#{status}")));
        want.insert("contactEmail".into(), s(&format!("c{i}@example.com")));
        assert_eq!(got, want);
    }
    let got = get(&db, &t, "CUSTOMER#c050", "ORDER#o050").await;
    assert!(!got.contains_key("GSI2PK") && !got.contains_key("contactEmail"));
    assert!(got.contains_key("amount") && !got.contains_key("legacyFlag"));

    // Customers are byte-for-byte as they were.
    let after = snapshot(&db, &t).await;
    for (k, v) in &before {
        if k.contains("S(\"CUSTOMER#") && !k.contains("ORDER#") {
            assert_eq!(after.get(k), Some(v), "{k}");
        }
    }

    // A second migration selecting every item never touches the ledger.
    let ledger_key = format!(
        "{:?}|{:?}",
        Some(s(migrate::LEDGER_PK)),
        Some(s("001_orders"))
    );
    let ledger_before = after.get(&ledger_key).cloned().expect("ledger item");
    std::fs::write(
        dir.path().join("002_all.toml"),
        "[select]\n[[op]]\nremove = { attribute = \"legacyFlag\" }\n",
    )
    .unwrap();
    let reports = up(&db, &info, dir.path(), &opts()).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].counts.selected, 21);
    assert_eq!(reports[0].counts.changed, 10, "customers lose legacyFlag");
    let last = snapshot(&db, &t).await;
    assert_eq!(last.get(&ledger_key), Some(&ledger_before));
    assert_eq!(
        last.keys()
            .filter(|k| k.contains(migrate::LEDGER_PK))
            .count(),
        2
    );
}

#[tokio::test]
async fn dry_run_writes_nothing_and_shows_the_diff() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..30 {
        put(&db, &t, order(i, "SHIPPED")).await;
    }
    put(&db, &t, customer(1)).await;
    let dir = dir_with(&[("001_orders.toml", M001)]);
    let ms = migrate::load_dir(dir.path()).unwrap();
    let before = snapshot(&db, &t).await;
    let r = run(
        &db,
        &info,
        &ms[0],
        &RunOptions {
            dry_run: true,
            ..opts()
        },
    )
    .await;
    assert_eq!(snapshot(&db, &t).await, before, "a dry run writes nothing");
    assert!(r.dry_run);
    assert_eq!(r.counts.selected, 30);
    assert_eq!(r.counts.changed, 30);
    assert_eq!(r.diffs.len(), migrate::DIFF_LIMIT);
    let text = r.diffs[0].to_string();
    for line in [
        "  GSI2PK: (absent) -> STATUS#SHIPPED",
        "  legacyFlag: true -> (absent)",
        "  total: ",
        "  amount: (absent) -> ",
        "  contactEmail: (absent) -> c",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let st = migrate::status(&db, &info, &ms).await.unwrap();
    assert_eq!(st[0].0, FileStatus::Pending, "no ledger entry");
}

#[tokio::test]
async fn ledger_changed_files_and_idempotent_up() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..12 {
        put(&db, &t, order(i, "OPEN")).await;
    }
    let m2 = "description = \"shipped only\"\n[select]\nkey_prefix = \"ORDER#\"\nfilter = \"status = SHIPPED\"\n[[op]]\nset = { attribute = \"flag\", template = \"S#{status}\" }\n";
    let dir = dir_with(&[("001_orders.toml", M001), ("002_shipped.toml", m2)]);
    let o = opts();
    let first = up(&db, &info, dir.path(), &o).await;
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].counts.changed, 12);
    assert_eq!(first[1].counts.selected, 0);
    let ms = migrate::load_dir(dir.path()).unwrap();
    let st = migrate::status(&db, &info, &ms).await.unwrap();
    for (m, (f, e)) in ms.iter().zip(&st) {
        let e = e.as_ref().expect("ledger entry");
        assert_eq!(*f, FileStatus::Applied);
        assert_eq!(e.status, "applied");
        assert_eq!(e.run_by, "tester");
        assert!(e.ended_at.is_some() && !e.started_at.is_empty());
        let bytes = std::fs::read(&m.path).unwrap();
        assert_eq!(e.checksum, migrate::checksum(&bytes));
    }
    let e1 = st[0].1.as_ref().unwrap();
    assert_eq!(e1.counts.selected, 12);
    assert_eq!(e1.counts.changed, 12);
    assert_eq!(e1.counts.conflicts, 0);

    // `up` again: nothing pending, nothing changes.
    let snap = snapshot(&db, &t).await;
    assert!(up(&db, &info, dir.path(), &o).await.is_empty());
    assert_eq!(snapshot(&db, &t).await, snap);
    // Even forcing a re-run changes no item.
    let again = run(&db, &info, &ms[0], &o).await;
    assert_eq!(again.counts.changed, 0);
    assert_eq!(again.counts.unchanged, 12);

    // Editing an applied file shows "changed", and `up` does not run it.
    std::fs::write(&ms[1].path, format!("{m2}# edited\n")).unwrap();
    let ms = migrate::load_dir(dir.path()).unwrap();
    let st = migrate::status(&db, &info, &ms).await.unwrap();
    assert_eq!(st[0].0, FileStatus::Applied);
    assert_eq!(st[1].0, FileStatus::Changed);
    assert!(up(&db, &info, dir.path(), &o).await.is_empty());

    // The CLI lists the same.
    let state = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (ok, out, err) = bin(
        state.path(),
        &["migrate", "status", "--table", &t, "--dir", d],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("001_orders") && out.contains("applied"),
        "{out}"
    );
    assert!(
        out.contains("002_shipped") && out.contains("changed"),
        "{out}"
    );
    assert!(
        out.contains("selected 12, changed 0, unchanged 12"),
        "{out}"
    );
}

#[tokio::test]
async fn cli_dry_run_then_up() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..5 {
        put(&db, &t, order(i, "OPEN")).await;
    }
    let dir = dir_with(&[("001_orders.toml", M001)]);
    let d = dir.path().to_str().unwrap();
    let state = tempfile::tempdir().unwrap();
    let before = snapshot(&db, &t).await;
    let (ok, out, err) = bin(
        state.path(),
        &["migrate", "up", "--dry-run", "--table", &t, "--dir", d],
    );
    assert!(ok, "{err}");
    assert!(out.contains("GSI2PK: (absent) -> STATUS#OPEN"), "{out}");
    assert!(out.contains("(dry run): selected 5, changed 5"), "{out}");
    assert_eq!(snapshot(&db, &t).await, before);
    // Without --yes and no terminal: refused, nothing written.
    let (ok, _, err) = bin(state.path(), &["migrate", "up", "--table", &t, "--dir", d]);
    assert!(!ok && err.contains("--yes"), "{err}");
    assert_eq!(snapshot(&db, &t).await, before);
    let (ok, out, err) = bin(
        state.path(),
        &["migrate", "up", "--yes", "--table", &t, "--dir", d],
    );
    assert!(ok, "{err}");
    assert!(out.contains("001_orders: selected 5, changed 5"), "{out}");
    let (ok, out, err) = bin(state.path(), &["migrate", "status", "-t", &t, "--dir", d]);
    assert!(ok, "{err}");
    assert!(out.contains("cli-user"), "{out}");
    let (ok, out, _) = bin(
        state.path(),
        &["migrate", "up", "--yes", "-t", &t, "--dir", d],
    );
    assert!(ok && out.contains("nothing to run"), "{out}");
}

#[tokio::test]
async fn concurrent_write_survives_and_the_change_is_reapplied() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..8 {
        put(&db, &t, order(i, "OPEN")).await;
    }
    let dir = dir_with(&[("001_orders.toml", M001)]);
    let ms = migrate::load_dir(dir.path()).unwrap();
    let once = Arc::new(AtomicBool::new(false));
    let writer_db = db.clone();
    let table_name = t.clone();
    let hook: migrate::PageHook = Arc::new(move |_seg, items: &[Item]| {
        let target = items
            .iter()
            .find(|it| it.get("SK") == Some(&s("ORDER#o003")))
            .cloned();
        let db = writer_db.clone();
        let t = table_name.clone();
        let once = once.clone();
        Box::pin(async move {
            if let Some(it) = target
                && !once.swap(true, Ordering::SeqCst)
            {
                // Another writer changes the item after the scan read it.
                db.client()
                    .update_item()
                    .table_name(&t)
                    .key("PK", it["PK"].clone())
                    .key("SK", it["SK"].clone())
                    .update_expression("SET #s = :s, note = :n")
                    .expression_attribute_names("#s", "status")
                    .expression_attribute_values(":s", s("CANCELLED"))
                    .expression_attribute_values(":n", s("by another writer"))
                    .send()
                    .await
                    .expect("concurrent update");
            }
        })
    });
    let r = run(
        &db,
        &info,
        &ms[0],
        &RunOptions {
            hook: Some(hook),
            page_size: Some(3),
            ..opts()
        },
    )
    .await;
    assert_eq!(r.counts.conflicts, 1, "{:?}", r.counts);
    assert_eq!(r.counts.changed, 8);
    let got = get(&db, &t, "CUSTOMER#c003", "ORDER#o003").await;
    assert_eq!(got.get("note"), Some(&s("by another writer")));
    assert_eq!(got.get("status"), Some(&s("CANCELLED")));
    assert_eq!(got.get("GSI2PK"), Some(&s("STATUS#CANCELLED")));
    assert_eq!(got.get("amount"), Some(&n("3.5")));
    assert!(!got.contains_key("total") && !got.contains_key("legacyFlag"));
}

#[tokio::test]
async fn an_attribute_added_meanwhile_by_another_writer_survives() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..8 {
        put(&db, &t, order(i, "OPEN")).await;
    }
    let dir = dir_with(&[("001_orders.toml", M001)]);
    let ms = migrate::load_dir(dir.path()).unwrap();
    let once = Arc::new(AtomicBool::new(false));
    let writer_db = db.clone();
    let table_name = t.clone();
    let hook: migrate::PageHook = Arc::new(move |_seg, items: &[Item]| {
        let target = items
            .iter()
            .find(|it| it.get("SK") == Some(&s("ORDER#o003")))
            .cloned();
        let db = writer_db.clone();
        let t = table_name.clone();
        let once = once.clone();
        Box::pin(async move {
            if let Some(it) = target
                && !once.swap(true, Ordering::SeqCst)
            {
                // Another writer changes the item after the scan read it.
                db.client()
                    .update_item()
                    .table_name(&t)
                    .key("PK", it["PK"].clone())
                    .key("SK", it["SK"].clone())
                    .update_expression("SET addedMeanwhile = :n")
                    .expression_attribute_values(":n", s("by another writer"))
                    .send()
                    .await
                    .expect("concurrent update");
            }
        })
    });
    let r = run(
        &db,
        &info,
        &ms[0],
        &RunOptions {
            hook: Some(hook),
            page_size: Some(3),
            ..opts()
        },
    )
    .await;
    // Only attributes the migration changes are written: no conflict, and
    // the attribute the other writer added is still there.
    assert_eq!(r.counts.conflicts, 0, "{:?}", r.counts);
    assert_eq!(r.counts.changed, 8);
    let got = get(&db, &t, "CUSTOMER#c003", "ORDER#o003").await;
    assert_eq!(got.get("addedMeanwhile"), Some(&s("by another writer")));
    assert_eq!(got.get("status"), Some(&s("OPEN")));
    assert_eq!(got.get("GSI2PK"), Some(&s("STATUS#OPEN")));
    assert_eq!(got.get("amount"), Some(&n("3.5")));
    assert!(!got.contains_key("total") && !got.contains_key("legacyFlag"));
}

#[tokio::test]
async fn stop_and_resume_migrates_every_item_once() {
    let (db, info) = table().await;
    let t = info.name.clone();
    for i in 0..60 {
        put(&db, &t, order(i, "OPEN")).await;
    }
    let dir = dir_with(&[("001_orders.toml", M001)]);
    let ms = migrate::load_dir(dir.path()).unwrap();
    let state = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let pages = Arc::new(AtomicU32::new(0));
    let (stop2, pages2) = (stop.clone(), pages.clone());
    let hook: migrate::PageHook = Arc::new(move |_seg, _items: &[Item]| {
        if pages2.fetch_add(1, Ordering::SeqCst) + 1 >= 3 {
            stop2.store(true, Ordering::SeqCst);
        }
        Box::pin(async {})
    });
    let o = RunOptions {
        segments: 2,
        page_size: Some(5),
        state_dir: Some(state.path().to_path_buf()),
        ..opts()
    };
    let first = migrate::run(
        &db,
        &info,
        &ms[0],
        &RunOptions {
            hook: Some(hook),
            ..o.clone()
        },
        stop,
    )
    .await
    .expect("first run");
    assert!(first.stopped);
    assert!(
        first.counts.changed > 0 && first.counts.changed < 60,
        "{:?}",
        first.counts
    );
    // The same table name on another endpoint does not resume this run.
    assert!(
        migrate::MigrationCheckpoint::load(
            state.path(),
            &format!("{t}|http://127.0.0.1:1|us-east-1|"),
            &ms[0]
        )
        .is_none()
    );
    let cp = migrate::MigrationCheckpoint::load(
        state.path(),
        &migrate::checkpoint_scope(&db, &t),
        &ms[0],
    )
    .expect("checkpoint");
    assert_eq!(cp.segments.len(), 2);
    let st = migrate::status(&db, &info, &ms).await.unwrap();
    assert_eq!(st[0].0, FileStatus::Interrupted);
    let migrated = snapshot(&db, &t)
        .await
        .values()
        .filter(|v| v.contains("GSI2PK="))
        .count() as u64;
    assert_eq!(migrated, first.counts.changed);

    let second = run(&db, &info, &ms[0], &o).await;
    assert!(second.resumed && !second.stopped);
    // Cumulative counts: each item changed exactly once, none seen twice.
    assert_eq!(second.counts.selected, 60);
    assert_eq!(second.counts.changed, 60);
    assert_eq!(second.counts.unchanged, 0);
    assert!(
        migrate::MigrationCheckpoint::load(
            state.path(),
            &migrate::checkpoint_scope(&db, &t),
            &ms[0]
        )
        .is_none()
    );
    let st = migrate::status(&db, &info, &ms).await.unwrap();
    assert_eq!(st[0].0, FileStatus::Applied);
    assert_eq!(st[0].1.as_ref().unwrap().counts.changed, 60);
    let snap = snapshot(&db, &t).await;
    assert_eq!(snap.values().filter(|v| v.contains("GSI2PK=")).count(), 60);
}

#[tokio::test]
async fn bad_files_name_file_line_and_column_and_nothing_runs() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "001_unknown_op.toml",
            "[select]\ntype = \"Order\"\n[[op]]\nmove = { from = \"a\", to = \"b\" }\n",
            ":4:1: unknown field `move`",
        ),
        (
            "001_bad_template.toml",
            "[select]\n[[op]]\nset = { attribute = \"x\", template = \"A#{bad\" }\n",
            ":3:",
        ),
        (
            "001_missing.toml",
            "[select]\n[[op]]\nrename = { from = \"a\" }\n",
            "missing field `to`",
        ),
        (
            "001_unknown_key.toml",
            "[select]\ntype = \"Order\"\nkind = \"x\"\n[[op]]\nremove = { attribute = \"a\" }\n",
            ":3:1: unknown field `kind`",
        ),
        (
            "001_bad_filter.toml",
            "[select]\nfilter = \"status ~ 3\"\n[[op]]\nremove = { attribute = \"a\" }\n",
            ":2:18: select.filter: unknown operator",
        ),
        (
            "001_two_ops.toml",
            "[select]\n[[op]]\nremove = { attribute = \"a\" }\ncopy = { from = \"a\", to = \"b\" }\n",
            ":2:1: an [[op]] needs exactly one",
        ),
        (
            "001_no_select.toml",
            "[[op]]\nremove = { attribute = \"a\" }\n",
            "missing [select]",
        ),
    ];
    for (name, text, want) in cases {
        let dir = dir_with(&[(name, text)]);
        let errs = migrate::load_dir(dir.path()).expect_err(name);
        let msg = errs[0].to_string();
        assert!(msg.contains(name), "{msg}");
        assert!(msg.contains(want), "{name}: want {want:?} in {msg}");
    }
    let d = dir_with(&[(
        "001_x.toml",
        "[select]\n[[op]]\nset = { attribute = \"x\", template = \"A#{bad\" }\n",
    )]);
    let e = migrate::load_dir(d.path()).unwrap_err()[0].clone();
    assert_eq!((e.line, e.column), (Some(3), Some(40)), "{e}");

    // Through the CLI: a good file and a bad one; nothing runs.
    let (db, info) = table().await;
    let t = info.name.clone();
    put(&db, &t, order(1, "OPEN")).await;
    let dir = dir_with(&[
        ("001_orders.toml", M001),
        (
            "002_bad.toml",
            "[select]\n[[op]]\nset = { attribute = \"x\" }\n",
        ),
        (
            "003_key.toml",
            "[select]\n[[op]]\nremove = { attribute = \"PK\" }\n",
        ),
    ]);
    let before = snapshot(&db, &t).await;
    let state = tempfile::tempdir().unwrap();
    let (ok, _, err) = bin(
        state.path(),
        &[
            "migrate",
            "up",
            "--yes",
            "-t",
            &t,
            "--dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(err.contains("002_bad.toml:3:"), "{err}");
    assert!(err.contains("missing field `template`"), "{err}");
    assert!(err.contains("nothing run"), "{err}");
    assert_eq!(snapshot(&db, &t).await, before);
    // Writing a key attribute is refused against the table, with the op's line.
    std::fs::remove_file(dir.path().join("002_bad.toml")).unwrap();
    let (ok, _, err) = bin(
        state.path(),
        &[
            "migrate",
            "up",
            "--yes",
            "-t",
            &t,
            "--dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("003_key.toml:2:1:") && err.contains("key attribute `PK`"),
        "{err}"
    );
    assert_eq!(snapshot(&db, &t).await, before);
}
