//! Migrations keep "exactly once" whatever happens to the run, against
//! DynamoDB Local: a run dropped mid-page (as by kill -9) whose change makes
//! items larger, so that the re-read pages end elsewhere; a second run of
//! the same migration from the same process and state dir while the first
//! is alive; a run that died in another process, taken over with `force`
//! from its progress in the ledger; and protected tables, which migrations
//! refuse without `--unlock` and the table name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use common::items::dir_with;
use common::tags::{applied, until_grown};
use common::{db, demo_design, endpoint, unique};
use dyntui::dynamo::client::{Dynamo, TableInfo};
use dyntui::dynamo::migrate::{self, FileStatus, Migration, RunOptions};
use dyntui::dynamo::seed::WriteOptions;
use dyntui::dynamo::{AttributeValue, Item};

/// What the migration appends to `tag` each time it is applied.
const GROWTH: usize = 500;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A migration that is not idempotent and makes each item larger.
fn grow_migration() -> (tempfile::TempDir, Migration) {
    let text = format!(
        "[select]\ntype = \"Customer\"\n[[op]]\nset = {{ attribute = \"tag\", template = \"{{tag}}+{}\" }}\n[down]\n[[down.op]]\nset = {{ attribute = \"tag\", template = \"v\" }}\n",
        "x".repeat(GROWTH)
    );
    let dir = dir_with(&[("001_grow.toml", &text)]);
    let ms = migrate::load_dir(dir.path()).expect("the migration loads");
    let m = ms.into_iter().next().expect("one migration");
    (dir, m)
}

fn customer(i: u32) -> Item {
    let id = format!("c{i:05}");
    Item::from([
        ("PK".to_string(), s(&format!("CUSTOMER#{id}"))),
        ("SK".to_string(), s("PROFILE")),
        ("Type".to_string(), s("Customer")),
        ("tag".to_string(), s("v")),
        // About 1.2 KB an item: a 1 MB scan page ends by size.
        ("body".to_string(), s(&"b".repeat(1100))),
    ])
}

async fn table_with(db: &Dynamo, prefix: &str, n: u32) -> TableInfo {
    let t = unique(prefix);
    demo_design(&t).create(db).await.expect("create table");
    let items: Vec<Item> = (0..n).map(customer).collect();
    for chunk in items.chunks(25) {
        let mut reqs: Vec<WriteRequest> = chunk
            .iter()
            .map(|it| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(it.clone()))
                            .build()
                            .expect("put request"),
                    )
                    .build()
            })
            .collect();
        while !reqs.is_empty() {
            let out = db
                .client()
                .batch_write_item()
                .request_items(&t, reqs)
                .send()
                .await
                .expect("batch write");
            reqs = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&t))
                .unwrap_or_default();
        }
    }
    db.describe(&t).await.expect("describe")
}

fn slow(wcu: f64) -> WriteOptions {
    WriteOptions {
        rate_limit_wcu: Some(wcu),
        ..WriteOptions::default()
    }
}

fn opts(state: &Path) -> RunOptions {
    RunOptions {
        segments: 1,
        run_by: "tester".into(),
        state_dir: Some(state.to_path_buf()),
        ..RunOptions::default()
    }
}

fn stop() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// A run in a task of its own (aborting it drops the run mid-page, as a
/// kill -9 of dyntui would).
fn spawn_run(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    o: RunOptions,
) -> tokio::task::JoinHandle<Result<migrate::RunReport, String>> {
    let (db, info, m) = (db.clone(), info.clone(), m.clone());
    tokio::spawn(async move { migrate::run(&db, &info, &m, &o, stop()).await })
}

#[tokio::test]
async fn a_run_dropped_mid_page_resumes_without_applying_a_growing_change_twice() {
    let db = db();
    const N: u32 = 2000;
    let info = table_with(&db, "mgrow", N).await;
    let t = info.name.clone();
    let (_dir, m) = grow_migration();
    let state = tempfile::tempdir().expect("tempdir");
    // The first 1 MB page holds about 880 of these items; writes are slowed
    // so that the run can be dropped late in that page.
    let first = spawn_run(
        &db,
        &info,
        &m,
        RunOptions {
            write: slow(500.0),
            ..opts(state.path())
        },
    );
    let at = until_grown(&db, &t, 700, Duration::from_secs(60)).await;
    first.abort();
    let _ = first.await;
    let before = applied(&db, &t).await;
    assert!(
        before.get(&1).copied().unwrap_or(0) >= at as usize && before.contains_key(&0),
        "dropped mid-run: {before:?}"
    );
    assert!(
        !before.keys().any(|k| *k > 1),
        "nothing applied twice before the resume: {before:?}"
    );

    let r = migrate::run(&db, &info, &m, &opts(state.path()), stop())
        .await
        .expect("the resumed run");
    assert!(r.resumed && !r.stopped, "{r:?}");
    assert_eq!(
        applied(&db, &t).await,
        BTreeMap::from([(1, N as usize)]),
        "every item changed exactly once"
    );
    assert_eq!(r.counts.changed, u64::from(N), "{:?}", r.counts);
    let st = migrate::status(&db, &info, std::slice::from_ref(&m))
        .await
        .expect("status");
    assert_eq!(st[0].0, FileStatus::Applied);
}

#[tokio::test]
async fn a_second_run_from_the_same_state_dir_is_refused_while_the_first_is_alive() {
    let db = db();
    const N: u32 = 300;
    let info = table_with(&db, "mtwice", N).await;
    let t = info.name.clone();
    let (_dir, m) = grow_migration();
    let state = tempfile::tempdir().expect("tempdir");
    let first = spawn_run(
        &db,
        &info,
        &m,
        RunOptions {
            write: slow(200.0),
            page_size: Some(50),
            ..opts(state.path())
        },
    );
    // The first run has saved progress (a checkpoint in the shared state
    // dir) and is still writing.
    until_grown(&db, &t, 60, Duration::from_secs(60)).await;
    let second = migrate::run(&db, &info, &m, &opts(state.path()), stop()).await;
    let err = second.expect_err("the second run is refused");
    assert!(err.contains("another run is in progress"), "{err}");
    let forced = migrate::run(
        &db,
        &info,
        &m,
        &RunOptions {
            force: true,
            ..opts(state.path())
        },
        stop(),
    )
    .await;
    let err = forced.expect_err("--force does not take over a live run");
    assert!(err.contains("does not take over a live run"), "{err}");

    let r = first.await.expect("join").expect("the first run");
    assert!(!r.stopped);
    assert_eq!(r.counts.changed, u64::from(N));
    assert_eq!(applied(&db, &t).await, BTreeMap::from([(1, N as usize)]));
}

fn bin() -> String {
    std::env::var("DYNTUI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_dyntui").to_string())
}

#[tokio::test]
async fn force_takes_over_a_run_that_died_in_another_process_from_its_progress() {
    let db = db();
    const N: u32 = 1500;
    let info = table_with(&db, "mtakeover", N).await;
    let t = info.name.clone();
    let (dir, m) = grow_migration();
    let home = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(bin())
        .args(["--endpoint-url", &endpoint(), "--region", "us-east-1"])
        .args(["migrate", "up", "--table", &t, "--yes", "--lease", "3"])
        .args(["--rate-limit", "400", "--segments", "2", "--dir"])
        .arg(dir.path())
        .current_dir(home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start dyntui migrate");
    until_grown(&db, &t, 300, Duration::from_secs(60)).await;
    child.kill().expect("kill -9 the run");
    let _ = child.wait();
    let died = applied(&db, &t).await;
    assert!(
        died.contains_key(&0) && died.contains_key(&1) && !died.keys().any(|k| *k > 1),
        "killed mid-run: {died:?}"
    );

    // This process has no checkpoint of that run: its progress is in the
    // ledger. While its lease lasts, it counts as alive.
    let local = tempfile::tempdir().expect("tempdir");
    let o = opts(local.path());
    let err = migrate::run(&db, &info, &m, &o, stop())
        .await
        .expect_err("refused while the lease lasts");
    assert!(err.contains("another run is in progress"), "{err}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let err = migrate::run(&db, &info, &m, &o, stop())
        .await
        .expect_err("refused without --force");
    assert!(
        err.contains("--force") && err.contains("resumes from the dead run's progress"),
        "the message says what --force does: {err}"
    );
    let r = migrate::run(
        &db,
        &info,
        &m,
        &RunOptions {
            force: true,
            segments: 4,
            ..o.clone()
        },
        stop(),
    )
    .await
    .expect("the forced run");
    assert!(r.resumed, "the forced run resumes the dead one: {r:?}");
    assert_eq!(
        applied(&db, &t).await,
        BTreeMap::from([(1, N as usize)]),
        "items the dead run wrote are not changed again"
    );
    assert_eq!(r.counts.changed, u64::from(N), "{:?}", r.counts);
}

#[tokio::test]
async fn migrations_refuse_a_protected_table_without_unlock_and_its_name() {
    let db = db();
    let info = table_with(&db, "orders-prod", 5).await;
    let t = info.name.clone();
    let (dir, _m) = grow_migration();
    let home = tempfile::tempdir().expect("tempdir");
    let dyntui = |extra: &[&str]| {
        Command::new(bin())
            .args(["--endpoint-url", &endpoint(), "--region", "us-east-1"])
            .args(["migrate", "--table", &t, "--yes", "--dir"])
            .arg(dir.path())
            .args(extra)
            .current_dir(home.path())
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("DYNTUI_AUDIT_LOG", home.path().join("audit.jsonl"))
            .env("HOME", home.path())
            .env("AWS_ACCESS_KEY_ID", "dummy")
            .env("AWS_SECRET_ACCESS_KEY", "dummy")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run dyntui")
    };
    for cmd in [&["up"][..], &["run", "1"], &["down", "1"]] {
        let out = dyntui(cmd);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{cmd:?} refused: {err}");
        assert!(
            err.contains("read-only") && err.contains("--unlock"),
            "{cmd:?}: {err}"
        );
    }
    assert_eq!(applied(&db, &t).await, BTreeMap::from([(0, 5)]));
    let out = dyntui(&["up", "--unlock"]);
    assert!(!out.status.success(), "the table name is still needed");
    let out = dyntui(&["up", "--unlock", "--confirm-table", "wrong"]);
    assert!(!out.status.success(), "the wrong name is refused");
    assert_eq!(applied(&db, &t).await, BTreeMap::from([(0, 5)]));
    let out = dyntui(&["up", "--unlock", "--confirm-table", &t]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(applied(&db, &t).await, BTreeMap::from([(1, 5)]));
    // The audit log has each migrated item, before and after, and the run.
    let log = std::fs::read_to_string(home.path().join("audit.jsonl")).expect("audit log");
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let items: Vec<&serde_json::Value> = entries.iter().filter(|e| !e["key"].is_null()).collect();
    assert_eq!(items.len(), 5, "{log}");
    for e in &items {
        assert_eq!(e["action"], "migrate");
        assert_eq!(e["table"], t.as_str());
        assert!(e["before"]["tag"]["S"] == "v", "{e}");
        assert!(
            e["after"]["tag"]["S"]
                .as_str()
                .is_some_and(|v| v.starts_with("v+x")),
            "{e}"
        );
        assert!(e["run"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(e["by"].as_str().is_some());
    }
    let runs: Vec<&serde_json::Value> = entries.iter().filter(|e| e["key"].is_null()).collect();
    assert_eq!(runs.len(), 1, "{log}");
    assert_eq!(runs[0]["summary"]["counts"]["changed"], 5);
    assert_eq!(runs[0]["summary"]["migration"], "001_grow");
    // A dry run writes nothing and needs no unlock.
    let out = dyntui(&["up", "--dry-run"]);
    assert!(out.status.success());
}

#[tokio::test]
async fn a_migration_over_items_of_400_attributes_applies() {
    let db = db();
    let info = table_with(&db, "mwide", 0).await;
    let t = info.name.clone();
    for i in 0..5 {
        let mut it = customer(i);
        for a in 0..400 {
            it.insert(format!("attr{a:03}"), s(&format!("value {a}")));
        }
        common::items::put(&db, &t, it).await;
    }
    let (_dir, m) = grow_migration();
    let state = tempfile::tempdir().expect("tempdir");
    let r = migrate::run(&db, &info, &m, &opts(state.path()), stop())
        .await
        .expect("the migration over wide items runs");
    assert_eq!((r.counts.changed, r.counts.conflicts), (5, 0), "{r:?}");
    assert_eq!(applied(&db, &t).await, BTreeMap::from([(1, 5)]));
}
