//! Migrations shared by workers, against DynamoDB Local: workers split the
//! segments and every item is migrated exactly once; a worker started after
//! the run ended does nothing; a run in one process is refused beside them;
//! a worker stopped lets another go on at once; and three worker processes
//! of the real binary on 100,000 items, one killed with SIGKILL, end exact,
//! the ledger showing the segment taken over.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use common::items::dir_with;
use common::tags::{applied, until_grown};
use common::{db, demo_design, endpoint, unique};
use dyntui::dynamo::client::{Dynamo, TableInfo};
use dyntui::dynamo::migrate::{self, Migration, RunOptions, Workers};
use dyntui::dynamo::seed::WriteOptions;
use dyntui::dynamo::{AttributeValue, Item};

/// Not idempotent: each application appends one `+` to `tag`.
const MIGRATION: &str = "[select]\ntype = \"Customer\"\n[[op]]\nset = { attribute = \"tag\", template = \"{tag}+\" }\n[down]\n[[down.op]]\nset = { attribute = \"tag\", template = \"v\" }\n";

fn migration() -> (tempfile::TempDir, Migration) {
    let dir = dir_with(&[("001_tag.toml", MIGRATION)]);
    let m = migrate::load_dir(dir.path())
        .expect("the migration loads")
        .into_iter()
        .next()
        .expect("one migration");
    (dir, m)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

async fn table_with(db: &Dynamo, prefix: &str, n: u32) -> TableInfo {
    let t = unique(prefix);
    demo_design(&t).create(db).await.expect("create table");
    let items: Vec<Item> = (0..n)
        .map(|i| {
            Item::from([
                ("PK".to_string(), s(&format!("CUSTOMER#c{i:06}"))),
                ("SK".to_string(), s("PROFILE")),
                ("Type".to_string(), s("Customer")),
                ("tag".to_string(), s("v")),
            ])
        })
        .collect();
    let batches: Vec<Vec<Item>> = items.chunks(25).map(<[Item]>::to_vec).collect();
    let writes = futures::stream::iter(batches.into_iter().map(|chunk| {
        let db = db.clone();
        let t = t.clone();
        async move {
            let mut reqs: Vec<WriteRequest> = chunk
                .into_iter()
                .map(|it| {
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(it)).build().unwrap())
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
                    .and_then(|mut u| u.remove(&t))
                    .unwrap_or_default();
            }
        }
    }));
    use futures::StreamExt;
    writes.buffer_unordered(8).collect::<Vec<()>>().await;
    db.describe(&t).await.expect("describe")
}

fn worker(id: &str, planned: u32) -> RunOptions {
    RunOptions {
        segments: 4,
        run_by: format!("tester-{id}"),
        lease: Duration::from_secs(3),
        workers: Some(Workers {
            poll: Duration::from_millis(200),
            ..Workers::new(planned, Some(id.into()))
        }),
        ..RunOptions::default()
    }
}

fn slow(o: RunOptions, wcu: f64) -> RunOptions {
    RunOptions {
        write: WriteOptions {
            rate_limit_wcu: Some(wcu),
            ..WriteOptions::default()
        },
        ..o
    }
}

fn go() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

#[tokio::test]
async fn workers_split_the_segments_and_migrate_each_item_once() {
    let db = db();
    const N: u32 = 3000;
    let info = table_with(&db, "mwsplit", N).await;
    let (_dir, m) = migration();
    let (o0, o1) = (worker("w0", 2), worker("w1", 2));
    let (a, b) = tokio::join!(
        migrate::run(&db, &info, &m, &o0, go()),
        migrate::run(&db, &info, &m, &o1, go()),
    );
    let (a, b) = (a.expect("worker w0"), b.expect("worker w1"));
    assert_eq!(
        applied(&db, &info.name).await,
        BTreeMap::from([(1, N as usize)]),
        "every item once"
    );
    assert_eq!(
        a.counts.changed + b.counts.changed,
        u64::from(N),
        "the two workers' counts add up: {a:?} {b:?}"
    );
    assert!(
        a.counts.changed > 0 && b.counts.changed > 0,
        "both worked: {a:?} {b:?}"
    );
    let note = format!("{:?} {:?}", a.note, b.note);
    assert!(note.contains("the run (8 segments) is applied"), "{note}");

    let ledger = migrate::Ledger::new(&info).unwrap();
    let entry = ledger.get(&db, &m.id).await.unwrap().expect("entry");
    assert_eq!(entry.status, "applied");
    assert_eq!(entry.counts.changed, u64::from(N), "{entry:?}");
    let job = ledger.job_status(&db, &m).await.unwrap().expect("the job");
    assert_eq!(job.segments.len(), 8);
    assert!(job.segments.iter().all(|s| s.done), "{job:?}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let lines = job.lines(now);
    assert!(
        lines.iter().any(|l| l.starts_with("worker w0:"))
            && lines.iter().any(|l| l.starts_with("worker w1:")),
        "{lines:?}"
    );

    // A worker started after the end (a restarted pod) does nothing.
    let late = migrate::run(&db, &info, &m, &worker("w2", 2), go())
        .await
        .expect("a late worker");
    assert_eq!(late.counts.changed, 0);
    assert!(
        late.note
            .as_deref()
            .unwrap_or("")
            .contains("applied already"),
        "{late:?}"
    );
    assert_eq!(
        applied(&db, &info.name).await,
        BTreeMap::from([(1, N as usize)])
    );
}

#[tokio::test]
async fn a_stopped_worker_lets_another_go_on_and_one_process_runs_are_refused_beside_workers() {
    let db = db();
    const N: u32 = 1200;
    let info = table_with(&db, "mwstop", N).await;
    let (_dir, m) = migration();
    let stop = go();
    let first = {
        let (db, info, m, stop) = (db.clone(), info.clone(), m.clone(), stop.clone());
        tokio::spawn(async move {
            // Pages of 10 items: a stop takes effect mid-segment.
            let o = RunOptions {
                page_size: Some(10),
                ..slow(worker("w0", 2), 100.0)
            };
            migrate::run(&db, &info, &m, &o, stop).await
        })
    };
    until_grown(&db, &info.name, 40, Duration::from_secs(60)).await;

    // A run in one process may not start beside the workers, forced or not.
    for force in [false, true] {
        let err = migrate::run(
            &db,
            &info,
            &m,
            &RunOptions {
                force,
                lease: Duration::from_secs(3),
                ..RunOptions::default()
            },
            go(),
        )
        .await
        .expect_err("refused beside the workers");
        assert!(
            err.contains("by workers") && err.contains("--workers 2"),
            "force {force}: {err}"
        );
    }

    stop.store(true, Ordering::SeqCst);
    let r = first.await.unwrap().expect("the stopped worker");
    assert!(r.stopped, "{r:?}");
    let part = applied(&db, &info.name).await;
    assert!(
        part.contains_key(&0) && part.contains_key(&1) && part.len() == 2,
        "stopped part way: {part:?}"
    );

    // The stopped worker let its segments go: another may take them at
    // once, without waiting for a lease to expire.
    let ledger = migrate::Ledger::new(&info).unwrap();
    let job = ledger.job_status(&db, &m).await.unwrap().expect("the job");
    let started: Vec<_> = job
        .segments
        .iter()
        .filter(|s| s.worker.is_some() && !s.done)
        .collect();
    assert!(!started.is_empty(), "{job:?}");
    assert!(
        started.iter().all(|s| s.until_ms == 0),
        "let go, not left to expire: {job:?}"
    );
    let r = migrate::run(&db, &info, &m, &worker("w1", 2), go())
        .await
        .expect("the second worker");
    assert!(r.resumed, "{r:?}");
    let note = r.note.clone().unwrap_or_default();
    assert!(note.contains("over from w0"), "{note}");
    assert_eq!(
        applied(&db, &info.name).await,
        BTreeMap::from([(1, N as usize)]),
        "every item once"
    );
}

/// A transform script that appends `+` to `tag`, and fails on one item
/// while `fail.flag` exists in the migrations folder.
const FAILING: &str = r#"import json, os, sys
for line in sys.stdin:
    item = json.loads(line)
    if os.path.exists("fail.flag") and item["PK"] == "CUSTOMER#c000777":
        print("cannot transform " + item["PK"], file=sys.stderr)
        sys.exit(3)
    item["tag"] = item["tag"] + "+"
    print(json.dumps(item))
"#;

#[tokio::test]
async fn a_failure_on_one_worker_stops_the_others_and_the_run_resumes_exactly() {
    let db = db();
    const N: u32 = 1000;
    let info = table_with(&db, "mwfail", N).await;
    let dir = dir_with(&[
        (
            "001_script.toml",
            "[select]\ntype = \"Customer\"\n[script]\ncommand = [\"python3\", \"./tag.py\"]\n",
        ),
        ("tag.py", FAILING),
        ("fail.flag", ""),
    ]);
    let m = migrate::load_dir(dir.path()).expect("loads").remove(0);
    // Pages of 10 items, each a little slow: the other worker is still at
    // work when one fails.
    let paced = |id: &str| RunOptions {
        page_size: Some(10),
        hook: Some(Arc::new(|_, _| {
            Box::pin(tokio::time::sleep(Duration::from_millis(30)))
        })),
        ..worker(id, 2)
    };
    let (o0, o1) = (paced("w0"), paced("w1"));
    let (a, b) = tokio::join!(
        migrate::run(&db, &info, &m, &o0, go()),
        migrate::run(&db, &info, &m, &o1, go()),
    );
    let (a, b) = (a.expect_err("w0 stops"), b.expect_err("w1 stops"));
    let failed = [&a, &b]
        .into_iter()
        .filter(|e| {
            e.contains("cannot transform CUSTOMER#c000777") && !e.contains("this worker stopped")
        })
        .count();
    let stopped = [&a, &b]
        .into_iter()
        .filter(|e| e.contains("is failed in the ledger") && e.contains("this worker stopped"))
        .count();
    assert_eq!(
        (failed, stopped),
        (1, 1),
        "one fails, the other stops: {a}\n{b}"
    );
    let ledger = migrate::Ledger::new(&info).unwrap();
    let entry = ledger.get(&db, &m.id).await.unwrap().expect("entry");
    assert_eq!(entry.status, "failed");
    assert!(
        entry.error.as_deref().unwrap_or("").starts_with("worker w"),
        "the error names the worker: {entry:?}"
    );
    let part = applied(&db, &info.name).await;
    assert!(part.keys().all(|k| *k <= 1), "{part:?}");

    // Fixed: a run in one process (no --workers) resumes the workers' run
    // from its segments rather than starting afresh, and no item is
    // changed twice.
    std::fs::remove_file(dir.path().join("fail.flag")).unwrap();
    let one = RunOptions {
        lease: Duration::from_secs(3),
        ..RunOptions::default()
    };
    let r = migrate::run(&db, &info, &m, &one, go())
        .await
        .expect("resumed");
    assert!(r.resumed, "{r:?}");
    assert!(
        r.note.as_deref().unwrap_or("").contains("is applied"),
        "{r:?}"
    );
    assert_eq!(
        applied(&db, &info.name).await,
        BTreeMap::from([(1, N as usize)]),
        "every item once"
    );
}

#[tokio::test]
async fn workers_refuse_a_revert_and_a_command_script() {
    let db = db();
    let info = table_with(&db, "mwrefuse", 10).await;
    let (_dir, m) = migration();
    let err = migrate::run(
        &db,
        &info,
        &m,
        &RunOptions {
            direction: migrate::Direction::Down,
            ..worker("w0", 2)
        },
        go(),
    )
    .await
    .expect_err("down is one process");
    assert!(err.contains("without --workers"), "{err}");
    let dir = dir_with(&[(
        "002_cmd.toml",
        "[script]\nmode = \"command\"\ncommand = [\"true\"]\n",
    )]);
    let cmd = migrate::load_dir(dir.path()).expect("loads").remove(0);
    let err = migrate::run(&db, &info, &cmd, &worker("w0", 2), go())
        .await
        .expect_err("a command script does its own writes");
    assert!(err.contains("cannot be shared by workers"), "{err}");
    assert_eq!(applied(&db, &info.name).await, BTreeMap::from([(0, 10)]));
}

fn bin() -> String {
    std::env::var("DYNTUI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_dyntui").to_string())
}

fn dyntui(home: &std::path::Path) -> Command {
    let mut c = Command::new(bin());
    c.args(["--endpoint-url", &endpoint(), "--region", "us-east-1"])
        .current_dir(home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .stdin(Stdio::null());
    c
}

#[tokio::test]
async fn three_worker_processes_with_one_killed_migrate_100000_items_exactly_once() {
    let db = db();
    const N: u32 = 100_000;
    let info = table_with(&db, "mwkill", N).await;
    let t = info.name.clone();
    let (dir, m) = migration();
    let home = tempfile::tempdir().expect("tempdir");
    let start = |id: &str| {
        dyntui(home.path())
            .args(["migrate", "run", "001", "--table", &t, "--yes"])
            .args(["--workers", "3", "--worker-id", id, "--lease", "10"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start a worker")
    };
    let w0 = start("w0");
    let mut w1 = start("w1");
    let w2 = start("w2");
    until_grown(&db, &t, 10_000, Duration::from_secs(300)).await;
    w1.kill().expect("SIGKILL worker w1");
    let _ = w1.wait();

    let wait = |c: std::process::Child| {
        tokio::task::spawn_blocking(move || c.wait_with_output().expect("a worker ends"))
    };
    let (o0, o2) = tokio::time::timeout(Duration::from_secs(900), async {
        let (a, b) = tokio::join!(wait(w0), wait(w2));
        (a.unwrap(), b.unwrap())
    })
    .await
    .expect("the workers end within 15 minutes");
    let text = |o: &std::process::Output| {
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(o0.status.success(), "w0: {}", text(&o0));
    assert!(o2.status.success(), "w2: {}", text(&o2));
    let both = format!("{}\n{}", text(&o0), text(&o2));
    assert!(
        both.contains("over from w1"),
        "a survivor took over a segment of w1: {both}"
    );

    assert_eq!(
        applied(&db, &t).await,
        BTreeMap::from([(1, N as usize)]),
        "every item migrated exactly once"
    );
    let ledger = migrate::Ledger::new(&info).unwrap();
    let entry = ledger.get(&db, &m.id).await.unwrap().expect("entry");
    assert_eq!(entry.status, "applied", "{entry:?}");
    assert_eq!(entry.counts.changed, u64::from(N), "{entry:?}");

    let status = dyntui(home.path())
        .args(["migrate", "status", "--table", &t, "--dir"])
        .arg(dir.path())
        .output()
        .expect("migrate status");
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{out}");
    assert!(
        out.contains("job ") && out.contains("12 segments, 12 done"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("taken over from w1 by w0")
                || l.contains("taken over from w1 by w2")),
        "the ledger shows the segment taken over: {out}"
    );
}
