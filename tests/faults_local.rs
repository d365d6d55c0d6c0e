//! Faults DynamoDB Local never shows, rehearsed through a fault-injecting
//! proxy in front of it (`common/faults.rs`):
//!
//! - an endpoint that accepts connections and never answers: `dyntui
//!   tables` (binary and library) ends with an error naming the timeout
//!   that fired, the endpoint and the setting, instead of waiting forever;
//!   one that never completes a connection: the connect timeout, named;
//! - a table throttled above a write rate: seeding at its default settings
//!   (no `--rate-limit`) adapts its rate to about that rate, writes every
//!   item exactly once, and reports the rate it found;
//! - throttles, HTTP 500s and reset connections on export, import and copy:
//!   retried, nothing lost or duplicated;
//! - an outage mid-run (every connection reset, or no answer at all): a
//!   clear error, and the same run again resumes and completes exactly once.
//!
//! Needs DynamoDB Local (DYNTUI_TEST_ENDPOINT), as every `*_local` test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;
#[path = "common/faults.rs"]
mod faults;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use common::items::snapshot;
use common::{db, demo_design, unique};
use dyntui::app::config::Project;
use dyntui::dynamo::client::{ConnectOptions, Dynamo, Timeouts};
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::seeding::{
    self, Checkpoint, RunOptions, SeedOutcome, SeedSet, SeedSource, key_schema,
};
use dyntui::dynamo::{AttributeValue, Item};
use faults::{BlackHole, FaultProxy, Faults};

const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

// ------------------------------------------------------------------ helpers

/// A client for DynamoDB Local through `url` (the proxy), with short
/// timeouts so a fault never stalls a test for long.
fn via(url: &str) -> Dynamo {
    let t = Timeouts {
        connect: Duration::from_secs(2),
        attempt: Duration::from_secs(3),
        operation: Duration::from_secs(10),
    };
    let config = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .timeout_config(t.config())
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("dummy", "dummy", None, None, "test"),
        ))
        .build();
    Dynamo::from_config(config, None, Some(url.to_string()))
}

fn item(i: usize) -> Item {
    let mut it = Item::new();
    it.insert("PK".into(), AttributeValue::S(format!("ITEM#{i:05}")));
    it.insert("SK".into(), AttributeValue::S("A".into()));
    it.insert("Type".into(), AttributeValue::S("Thing".into()));
    it.insert("n".into(), AttributeValue::N(i.to_string()));
    it
}

/// A JSON Lines seed file of `n` items.
fn seed_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("items.jsonl");
    let text: String = (0..n)
        .map(|i| format!("{{\"PK\":\"ITEM#{i:05}\",\"SK\":\"A\",\"Type\":\"Thing\",\"n\":{i}}}\n"))
        .collect();
    std::fs::write(&path, text).expect("write the seed file");
    path
}

fn file_set(name: &str, path: &Path) -> SeedSet {
    SeedSet {
        name: name.to_string(),
        description: String::new(),
        table: None,
        source: SeedSource::Files(vec![path.to_path_buf()]),
        seed: 1,
    }
}

/// `seeding::run` as `dyntui seed` calls it.
async fn seed(
    db: &Dynamo,
    set: &SeedSet,
    table: &str,
    state: &Path,
    write: WriteOptions,
    progress: Arc<Progress>,
) -> Result<SeedOutcome, String> {
    let project = Project::default();
    let info = db.describe(table).await.map_err(|e| e.to_string())?;
    let schema = key_schema(&info).expect("key schema");
    seeding::run(
        db,
        set,
        table,
        &project.decode,
        &schema,
        &project.seeding,
        Path::new("/"),
        &RunOptions {
            write,
            skip_invalid: false,
            state_dir: Some(state.to_path_buf()),
            redactor: None,
        },
        progress,
        Arc::new(AtomicBool::new(false)),
    )
    .await
}

async fn count(db: &Dynamo, table: &str) -> u64 {
    seeding::count_items(db, table).await.expect("count")
}

/// How many items carry each seed marker.
async fn markers(db: &Dynamo, table: &str) -> BTreeMap<Option<String>, u64> {
    count_by(db, table, seeding::DEFAULT_MARKER).await
}

/// How many items have each value of a string attribute (None: absent).
async fn count_by(db: &Dynamo, table: &str, attr: &str) -> BTreeMap<Option<String>, u64> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let r = db
            .client()
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        for it in r.items.unwrap_or_default() {
            let m = match it.get(attr) {
                Some(AttributeValue::S(s)) => Some(s.clone()),
                _ => None,
            };
            *out.entry(m).or_default() += 1;
        }
        match r.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out
}

async fn table_with(db: &Dynamo, n: usize) -> String {
    let t = unique("faults-src");
    demo_design(&t).create(db).await.expect("create");
    write_all(
        db,
        &t,
        (0..n).map(item),
        &WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("write the source table");
    t
}

async fn empty_table(db: &Dynamo, prefix: &str) -> String {
    let t = unique(prefix);
    demo_design(&t).create(db).await.expect("create");
    t
}

/// `dyntui` through `endpoint`, with a private state dir and no terminal.
fn bin(endpoint: &str, state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dyntui"));
    c.arg("--config")
        .arg(DEMO_CONFIG)
        .arg("--endpoint-url")
        .arg(endpoint)
        .arg("--log-file")
        .arg(state.join("dyntui.log"))
        .current_dir(state)
        .env("XDG_STATE_HOME", state)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env_remove("DYNTUI_CONNECT_TIMEOUT")
        .env_remove("DYNTUI_ATTEMPT_TIMEOUT")
        .env_remove("DYNTUI_OPERATION_TIMEOUT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs a command, killing it after `limit`: (output, how long it took,
/// whether it had to be killed).
fn run_bounded(mut cmd: Command, limit: Duration) -> (Output, Duration, bool) {
    let began = Instant::now();
    let mut child = cmd.spawn().expect("spawn dyntui");
    let mut killed = false;
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => break,
            None if began.elapsed() > limit => {
                let _ = child.kill();
                killed = true;
                break;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let out = child.wait_with_output().expect("output");
    (out, began.elapsed(), killed)
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ----------------------------------------------------------------- timeouts

#[tokio::test]
async fn a_silent_endpoint_ends_with_the_attempt_timeout_named() {
    let proxy = FaultProxy::start(Faults {
        never_answer: true,
        ..Faults::default()
    });
    let db = Dynamo::connect(&ConnectOptions {
        endpoint_url: Some(proxy.url()),
        region: Some("us-east-1".into()),
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            attempt: Duration::from_millis(400),
            operation: Duration::from_secs(20),
        },
        ..ConnectOptions::default()
    })
    .await
    .expect("connect (nothing is sent yet)");
    let began = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(15), db.list_tables())
        .await
        .expect("list_tables must end by itself, not wait forever");
    let e = r.expect_err("nothing answers");
    // Three tries of 0.4 s with the SDK's backoff between them.
    assert!(
        began.elapsed() < Duration::from_secs(8),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(e.code, "Timeout", "{e}");
    assert!(e.message.starts_with("response timeout"), "{e}");
    assert!(e.message.contains(&proxy.url()), "names the endpoint: {e}");
    assert!(e.message.contains("400ms"), "names the time: {e}");
    assert!(
        e.message.contains("--attempt-timeout"),
        "names the setting: {e}"
    );
    assert!(
        e.hint.as_deref().unwrap_or("").contains("does not answer"),
        "{e}"
    );
    assert!(proxy.stats().unanswered >= 1);
}

#[tokio::test]
async fn the_operation_timeout_bounds_a_request_with_its_retries() {
    let proxy = FaultProxy::start(Faults {
        never_answer: true,
        ..Faults::default()
    });
    let db = Dynamo::connect(&ConnectOptions {
        endpoint_url: Some(proxy.url()),
        region: Some("us-east-1".into()),
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            attempt: Duration::from_secs(5),
            operation: Duration::from_millis(700),
        },
        ..ConnectOptions::default()
    })
    .await
    .expect("connect");
    let began = Instant::now();
    let e = tokio::time::timeout(Duration::from_secs(15), db.describe("anything"))
        .await
        .expect("describe must end by itself")
        .expect_err("nothing answers");
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(e.code, "Timeout", "{e}");
    assert!(e.message.starts_with("operation timeout"), "{e}");
    assert!(e.message.contains("700ms"), "{e}");
    assert!(e.message.contains("--operation-timeout"), "{e}");
}

#[tokio::test]
async fn an_endpoint_that_never_connects_ends_with_the_connect_timeout_named() {
    let hole = BlackHole::start();
    if !hole.swallows(Duration::from_millis(300)) {
        // The kernel completed the connection anyway (a different backlog
        // policy): nothing to test here.
        eprintln!("skipped: this kernel completes connections past a full backlog");
        return;
    }
    let db = Dynamo::connect(&ConnectOptions {
        endpoint_url: Some(hole.url()),
        region: Some("us-east-1".into()),
        timeouts: Timeouts {
            connect: Duration::from_millis(300),
            attempt: Duration::from_secs(5),
            operation: Duration::from_secs(20),
        },
        ..ConnectOptions::default()
    })
    .await
    .expect("connect (nothing is sent yet)");
    let e = tokio::time::timeout(Duration::from_secs(15), db.list_tables())
        .await
        .expect("list_tables must end by itself")
        .expect_err("never connects");
    eprintln!("{e}");
    assert_eq!(e.code, "Timeout", "{e}");
    assert!(e.message.starts_with("connect timeout"), "{e}");
    assert!(e.message.contains(&hole.url()), "{e}");
    assert!(e.message.contains("300ms"), "{e}");
    assert!(e.message.contains("--connect-timeout"), "{e}");
}

#[test]
fn the_tables_command_against_a_silent_endpoint_ends_with_a_timeout_error() {
    let proxy = FaultProxy::start(Faults {
        never_answer: true,
        ..Faults::default()
    });
    let state = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin(&proxy.url(), state.path());
    // Timeouts from the environment, as a shell profile would set them.
    cmd.env("DYNTUI_ATTEMPT_TIMEOUT", "0.5")
        .env("DYNTUI_OPERATION_TIMEOUT", "5")
        .arg("tables");
    let (out, took, killed) = run_bounded(cmd, Duration::from_secs(20));
    let shown = text(&out);
    assert!(!killed, "still waiting after 20 s:\n{shown}");
    assert!(!out.status.success(), "{shown}");
    assert!(took < Duration::from_secs(10), "{took:?}\n{shown}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: Timeout: response timeout"),
        "{shown}"
    );
    assert!(stderr.contains(&proxy.url()), "{shown}");
    assert!(stderr.contains("--attempt-timeout"), "{shown}");
}

// ------------------------------------------------------ adaptive write rate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_at_default_settings_adapts_to_a_throttled_table() {
    const LIMIT: f64 = 400.0;
    const N: usize = 2500;
    let direct = db();
    let t = empty_table(&direct, "faults-adapt").await;
    let proxy = FaultProxy::start(
        Faults {
            write_units_per_sec: Some(LIMIT),
            burst_secs: 0.25,
            ..Faults::default()
        }
        .only(&["BatchWriteItem"]),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = seed_file(dir.path(), N);
    let set = file_set("adapt", &file);
    let out = seed(
        &via(&proxy.url()),
        &set,
        &t,
        dir.path(),
        WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("seeded despite the throttling");
    let st = proxy.stats();
    let rep = &out.report;
    eprintln!("{rep:?}\nthrottled {} partial {}", st.throttled, st.partial);

    // Every item written, each sent to DynamoDB exactly once.
    assert_eq!(rep.written, N as u64);
    assert_eq!(count(&direct, &t).await, N as u64);
    assert_eq!(st.writes_forwarded, N as u64, "an item was written twice");
    assert!(st.throttled + st.partial > 0, "the proxy never throttled");
    assert!(rep.throttles > 0 || rep.retries > 0, "{rep:?}");

    // After adapting (from 2 s after the first refusal), what it sent stays
    // at about the limit: few writes refused, and the accepted rate within
    // the limit (and its small burst).
    let first = st.first_refusal().expect("a refusal");
    let end = st.last_write().expect("writes");
    let from = first + Duration::from_secs(2);
    assert!(
        end > from + Duration::from_secs(2),
        "too short to judge: {first:?}..{end:?}"
    );
    let secs = (end - from).as_secs_f64();
    let (accepted, refused) = st.units_between(from, end);
    let refused_share = refused / (accepted + refused);
    eprintln!(
        "after adapting: accepted {:.0}/s, offered {:.0}/s, refused {:.1}%",
        accepted / secs,
        (accepted + refused) / secs,
        refused_share * 100.0
    );
    assert!(
        accepted / secs <= LIMIT * 1.02 + LIMIT * 0.25 / secs,
        "accepted {:.0}/s",
        accepted / secs
    );
    assert!(
        refused_share < 0.2,
        "{:.0}% of the units sent after adapting were refused",
        refused_share * 100.0
    );
    assert!(
        (accepted + refused) / secs <= LIMIT * 1.3,
        "offered {:.0}/s",
        (accepted + refused) / secs
    );
    // And it is not idling either.
    assert!(
        accepted / secs >= LIMIT * 0.4,
        "accepted {:.0}/s",
        accepted / secs
    );

    // The rate it reports is about the table's.
    let found = rep.rate_found_wcu.expect("the rate found is reported") as f64;
    assert!(
        (LIMIT * 0.35..=LIMIT * 1.1).contains(&found),
        "settled at {found} WCU/s for a limit of {LIMIT}"
    );
    let at = rep
        .throttled_at_wcu
        .expect("the throttled rate is reported") as f64;
    assert!(at >= LIMIT * 0.5, "throttled at {at}");
    assert!(
        rep.rate_note()
            .contains(&format!("settled at {found} WCU/s"))
    );
}

// ------------------------------------------------- export, import and copy

#[test]
fn export_import_and_copy_survive_throttles_500s_and_resets() {
    const N: usize = 1200;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let direct = db();
    let src = rt.block_on(table_with(&direct, N));
    let imported = rt.block_on(empty_table(&direct, "faults-imp"));
    let copied = rt.block_on(empty_table(&direct, "faults-copy"));
    let want = rt.block_on(snapshot(&direct, &src));
    assert_eq!(want.len(), N);
    let state = tempfile::tempdir().expect("tempdir");
    let file = state.path().join("src.jsonl");

    // Export: reads throttled above 25 requests/s, 15% answered 500, 5% of
    // connections reset.
    let proxy = FaultProxy::start(
        Faults {
            requests_per_sec: Some(25.0),
            burst_secs: 0.2,
            error_500: 0.15,
            reset: 0.05,
            ..Faults::default()
        }
        .only(&["Scan"]),
    );
    let mut cmd = bin(&proxy.url(), state.path());
    cmd.args(["export", "--table", &src, "-o"])
        .arg(&file)
        .args(["--page-size", "50"]);
    let (out, _, killed) = run_bounded(cmd, Duration::from_secs(60));
    let st = proxy.stats();
    assert!(!killed && out.status.success(), "{}", text(&out));
    assert!(
        st.throttled > 0 && st.errors_500 > 0 && st.resets > 0,
        "faults were injected: {st:?}"
    );
    let lines = std::fs::read_to_string(&file).expect("the export file");
    assert_eq!(
        lines.lines().count(),
        N + 2,
        "the header, every item once, and the end marker"
    );
    drop(proxy);

    // Import: writes throttled above 300 units/s, 10% answered 500, 5% of
    // connections reset before the request reaches DynamoDB.
    let proxy = FaultProxy::start(
        Faults {
            write_units_per_sec: Some(300.0),
            burst_secs: 0.25,
            error_500: 0.1,
            reset: 0.05,
            ..Faults::default()
        }
        .only(&["BatchWriteItem"]),
    );
    let mut cmd = bin(&proxy.url(), state.path());
    cmd.arg("import")
        .arg(&file)
        .args(["--table", &imported, "--yes"]);
    let (out, _, killed) = run_bounded(cmd, Duration::from_secs(60));
    let st = proxy.stats();
    let shown = text(&out);
    assert!(!killed && out.status.success(), "{shown}");
    assert!(st.errors_500 > 0 && st.resets > 0, "{st:?}");
    assert!(st.throttled + st.partial > 0, "{st:?}");
    assert_eq!(st.writes_forwarded, N as u64, "an item was written twice");
    assert!(shown.contains(&format!("imported {N} items")), "{shown}");
    assert!(
        shown.contains("settled at"),
        "the rate found is reported: {shown}"
    );
    assert_eq!(rt.block_on(snapshot(&direct, &imported)), want);
    drop(proxy);

    // Copy, both sides through the proxy: reads and writes answered 500,
    // connections reset after the write took effect (the client retries a
    // write that happened), writes throttled.
    let proxy = FaultProxy::start(
        Faults {
            write_units_per_sec: Some(300.0),
            burst_secs: 0.25,
            error_500: 0.1,
            reset: 0.05,
            reset_after_forward: true,
            ..Faults::default()
        }
        .only(&["Scan", "BatchWriteItem"]),
    );
    let mut cmd = bin(&proxy.url(), state.path());
    cmd.args([
        "copy",
        "--from-table",
        &src,
        "--to-table",
        &copied,
        "--yes",
        "--page-size",
        "100",
    ]);
    let (out, _, killed) = run_bounded(cmd, Duration::from_secs(60));
    let st = proxy.stats();
    let shown = text(&out);
    assert!(!killed && out.status.success(), "{shown}");
    assert!(st.errors_500 > 0 && st.resets > 0, "{st:?}");
    assert!(shown.contains(&format!("copied {N} items")), "{shown}");
    assert_eq!(rt.block_on(snapshot(&direct, &copied)), want);
}

// ------------------------------------------------------ outages and resume

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_through_an_outage_fails_clearly_then_resumes_exactly_once() {
    const N: usize = 1500;
    let direct = db();
    let t = empty_table(&direct, "faults-outage").await;
    let proxy = Arc::new(FaultProxy::start(
        Faults::default().only(&["BatchWriteItem"]),
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = seed_file(dir.path(), N);
    let set = file_set("outage", &file);
    let quick = WriteOptions {
        concurrency: 2,
        max_retries: 3,
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..WriteOptions::default()
    };

    // Once 500 items are written, every connection is reset.
    let progress = Arc::new(Progress::default());
    let outage = {
        let (p, proxy) = (progress.clone(), proxy.clone());
        tokio::spawn(async move {
            let began = Instant::now();
            while p.written.load(Ordering::Relaxed) < 500 {
                if began.elapsed() > Duration::from_secs(30) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            proxy.set(|f| f.reset = 1.0);
        })
    };
    let first = seed(
        &via(&proxy.url()),
        &set,
        &t,
        dir.path(),
        quick,
        progress.clone(),
    )
    .await;
    outage.await.expect("the outage task");
    let err = first.expect_err("the outage stops the run");
    assert!(err.contains("EndpointUnreachable"), "{err}");
    assert!(err.contains("gave up after 3 retries"), "{err}");
    let done = progress.batches_done.load(Ordering::Relaxed);
    assert!(done >= 1 && (done as usize) < N / 25, "{done} batches done");
    let cp = Checkpoint::load(dir.path(), "outage", &t).expect("a checkpoint after the failure");
    assert_eq!(cp.batches_done, done);
    assert!(proxy.stats().resets > 0);

    // The endpoint is back: the same run resumes and ends exact.
    proxy.set(|f| f.reset = 0.0);
    let second = seed(
        &via(&proxy.url()),
        &set,
        &t,
        dir.path(),
        WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("resumed");
    assert_eq!(second.resumed_from_batch, done);
    assert_eq!(second.run_id, cp.run_id);
    assert_eq!(second.report.written, N as u64 - done * 25);
    assert_eq!(count(&direct, &t).await, N as u64);
    assert_eq!(
        markers(&direct, &t).await,
        BTreeMap::from([(Some(format!("outage#{}", cp.run_id)), N as u64)]),
        "every item once, all of the one run"
    );
    assert!(Checkpoint::load(dir.path(), "outage", &t).is_none());
}

#[test]
fn an_import_stuck_mid_run_times_out_then_the_same_command_resumes() {
    const N: usize = 1500;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let direct = db();
    let src = rt.block_on(table_with(&direct, N));
    let dst = rt.block_on(empty_table(&direct, "faults-stuck"));
    let want = rt.block_on(snapshot(&direct, &src));
    let state = tempfile::tempdir().expect("tempdir");
    let file = state.path().join("src.jsonl");
    let out = bin(&common::endpoint(), state.path())
        .args(["export", "--table", &src, "-o"])
        .arg(&file)
        .output()
        .expect("export");
    assert!(out.status.success(), "{}", text(&out));

    // The import goes through the proxy, which stops answering writes once
    // 400 items went through.
    let proxy = FaultProxy::start(Faults::default().only(&["BatchWriteItem"]));
    let mut cmd = bin(&proxy.url(), state.path());
    cmd.env("DYNTUI_ATTEMPT_TIMEOUT", "0.5")
        .arg("import")
        .arg(&file)
        .args([
            "--table",
            &dst,
            "--yes",
            "--concurrency",
            "2",
            "--rate-limit",
            "500",
        ]);
    let began = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    while proxy.stats().writes_forwarded < 400 {
        assert!(began.elapsed() < Duration::from_secs(30), "no progress");
        if child.try_wait().expect("wait").is_some() {
            panic!("the import ended before the outage");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    proxy.set(|f| f.never_answer = true);
    let stuck_at = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if stuck_at.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the import still waits 20 s after the endpoint stopped answering");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let shown = text(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(shown.contains("Timeout: response timeout"), "{shown}");
    assert!(shown.contains("--attempt-timeout"), "{shown}");
    assert!(proxy.stats().unanswered > 0);
    let part = rt.block_on(count(&direct, &dst));
    assert!(
        part > 0 && part < N as u64,
        "{part} of {N} before the outage"
    );

    // Answering again: the same command resumes and ends exact.
    proxy.set(|f| f.never_answer = false);
    let mut cmd = bin(&proxy.url(), state.path());
    cmd.arg("import")
        .arg(&file)
        .args(["--table", &dst, "--yes"]);
    let (out, _, killed) = run_bounded(cmd, Duration::from_secs(60));
    let shown = text(&out);
    assert!(!killed && out.status.success(), "{shown}");
    assert!(shown.contains("resumed after"), "{shown}");
    assert_eq!(rt.block_on(snapshot(&direct, &dst)), want);
}

#[tokio::test]
async fn a_migration_through_throttles_500s_and_lost_answers_changes_each_item_once() {
    const N: usize = 300;
    let direct = db();
    let t = empty_table(&direct, "faults-migrate").await;
    for i in 0..N {
        let mut it = item(i);
        it.insert("tag".into(), AttributeValue::S("v".into()));
        direct
            .client()
            .put_item()
            .table_name(&t)
            .set_item(Some(it))
            .send()
            .await
            .expect("put");
    }
    let info = direct.describe(&t).await.expect("describe");
    // Not idempotent: applied twice, an item's tag would read "v++".
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("001_tag.toml"),
        "[select]\n[[op]]\nset = { attribute = \"tag\", template = \"{tag}+\" }\n",
    )
    .expect("write the migration");
    let m = dyntui::dynamo::migrate::load_dir(dir.path())
        .expect("the migration loads")
        .remove(0);
    // Every kind of request may fail; a reset comes after the request took
    // effect, so the write is sent again and finds its own change.
    let proxy = FaultProxy::start(Faults {
        error_500: 0.05,
        reset: 0.1,
        reset_after_forward: true,
        write_units_per_sec: Some(400.0),
        ..Faults::default()
    });
    let opts = dyntui::dynamo::migrate::RunOptions {
        segments: 2,
        page_size: Some(50),
        write: WriteOptions {
            max_retries: 8,
            base_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(200),
            ..WriteOptions::default()
        },
        ..dyntui::dynamo::migrate::RunOptions::default()
    };
    let r = dyntui::dynamo::migrate::run(
        &via(&proxy.url()),
        &info,
        &m,
        &opts,
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("the migration ends despite the faults");
    let stats = proxy.stats();
    assert!(stats.resets > 0, "{stats:?}");
    assert_eq!(r.counts.changed, N as u64, "{:?}", r.counts);
    let mut tags = count_by(&direct, &t, "tag").await;
    tags.remove(&None); // the ledger
    assert_eq!(
        tags,
        BTreeMap::from([(Some("v+".to_string()), N as u64)]),
        "each item changed exactly once"
    );
}
