//! `dyntui load` against DynamoDB Local: the hot partition gets its share
//! of the writes, every write lands on an existing item and none creates
//! one, one audit entry records the run, `--read-only` and protected
//! tables refuse before anything is written, Ctrl-C stops cleanly, and the
//! table's stream shows the drill's hot key to the hot write key tracker.
//!
//! The binary runs with stdin from /dev/null (no terminal), its state dir
//! (audit log) in a temporary directory, and the same dummy credentials and
//! region as the tests' own client (DynamoDB Local keeps one database per
//! access key and region).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{db, demo_design, unique};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::stream::{
    EventName, FollowOptions, StartAt, StreamEvent, ViewType, follow, stream_of,
};
use dyntui::dynamo::{AttributeValue, Item};
use dyntui::metrics::alerts::{AlertConfig, Severity};
use dyntui::metrics::hotwrites::{self, HotWrites};

const HOT: &str = "CUSTOMER#hot";

struct Run {
    ok: bool,
    code: Option<i32>,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- stderr\n{}", self.code, self.stderr)
    }
}

/// `dyntui` with an empty project file (default protection: `*prod*`),
/// DynamoDB Local, a private state dir and no terminal.
fn run_bin(state: &Path, args: &[&str]) -> Run {
    let config = state.join("dyntui.toml");
    std::fs::write(&config, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--config")
        .arg(&config)
        .arg("--endpoint-url")
        .arg(common::endpoint())
        .arg("--log-file")
        .arg(state.join("dyntui.log"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("DYNTUI_AUDIT_LOG")
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .stdin(Stdio::null())
        .output()
        .expect("run dyntui");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A demo-shaped table: 5 items in the partition CUSTOMER#hot, one item in
/// each of 30 others.
async fn table(name: &str) -> Dynamo {
    table_with(name, None).await
}

/// The same, with a stream of `view` when given.
async fn table_with(name: &str, view: Option<ViewType>) -> Dynamo {
    let db = db();
    let mut design = demo_design(name);
    design.stream = view;
    design.create(&db).await.expect("create table");
    let mut items: Vec<(String, String)> =
        (0..5).map(|i| (HOT.into(), format!("ORDER#{i}"))).collect();
    items.extend((0..30).map(|i| (format!("CUSTOMER#c{i:03}"), "PROFILE".to_string())));
    for (pk, sk) in items {
        db.client()
            .put_item()
            .table_name(name)
            .item("PK", s(&pk))
            .item("SK", s(&sk))
            .item("name", s("x"))
            .send()
            .await
            .expect("put");
    }
    db
}

async fn scan_all(db: &Dynamo, table: &str) -> Vec<Item> {
    let mut out = Vec::new();
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
        out.extend(r.items.unwrap_or_default());
        match r.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out
}

fn keys(items: &[Item]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|it| {
            let t = |a: &str| match it.get(a) {
                Some(AttributeValue::S(v)) => v.clone(),
                other => panic!("{a}: {other:?}"),
            };
            (t("PK"), t("SK"))
        })
        .collect()
}

/// The drill counter of an item (0 without one).
fn count(it: &Item) -> u64 {
    match it.get("drillWrites") {
        Some(AttributeValue::N(n)) => n.parse().unwrap(),
        None => 0,
        other => panic!("drillWrites: {other:?}"),
    }
}

fn audit_lines(state: &Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(state.join("dyntui").join("audit.jsonl")) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn the_hot_partition_gets_its_share_and_no_item_is_created() {
    let t = unique("load");
    let db = table(&t).await;
    let before = keys(&scan_all(&db, &t).await);
    let state = tempfile::tempdir().unwrap();
    let r = run_bin(
        state.path(),
        &[
            "load",
            "--table",
            &t,
            "--rate",
            "100",
            "--hot-share",
            "0.5",
            "--writes",
            "200",
        ],
    );
    assert!(r.ok, "{r}");
    // The busiest sampled partition was chosen.
    assert!(
        r.stderr.contains(&format!("50% on PK={HOT} (5 items)")),
        "{r}"
    );
    assert!(r.stderr.contains("done: 200 writes"), "{r}");
    assert!(r.stderr.contains("writes/s achieved of 100 asked"), "{r}");

    let after = scan_all(&db, &t).await;
    // No item created (the condition), none lost.
    assert_eq!(keys(&after), before);
    let hot: u64 = after
        .iter()
        .filter(|it| it.get("PK") == Some(&s(HOT)))
        .map(count)
        .sum();
    let all: u64 = after.iter().map(count).sum();
    assert_eq!(all, 200, "{r}");
    let share = hot as f64 / all as f64;
    assert!((share - 0.5).abs() <= 0.10, "hot share {share}");
    // Other items were written too, not only one.
    let others_written = after
        .iter()
        .filter(|it| it.get("PK") != Some(&s(HOT)) && count(it) > 0)
        .count();
    assert!(others_written >= 10, "{others_written}");

    // One audit entry for the run, with its summary.
    let audit = audit_lines(state.path());
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "load");
    assert_eq!(audit[0]["table"], t.as_str());
    assert_eq!(audit[0]["summary"]["written"], 200);
    assert_eq!(audit[0]["summary"]["hotKey"], format!("PK={HOT}"));
}

#[tokio::test]
async fn a_given_hot_key_is_used_and_a_missing_one_refused() {
    let t = unique("load-key");
    let db = table(&t).await;
    let state = tempfile::tempdir().unwrap();
    let r = run_bin(
        state.path(),
        &[
            "load",
            "--table",
            &t,
            "--rate",
            "200",
            "--hot-share",
            "1",
            "--writes",
            "20",
            "--hot-key",
            "PK=CUSTOMER#c007",
        ],
    );
    assert!(r.ok, "{r}");
    let after = scan_all(&db, &t).await;
    let written: Vec<(String, u64)> = after
        .iter()
        .filter(|it| count(it) > 0)
        .map(|it| (format!("{:?}", it["PK"]), count(it)))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].0.contains("CUSTOMER#c007"), "{written:?}");
    assert_eq!(written[0].1, 20);

    let r = run_bin(
        state.path(),
        &[
            "load",
            "--table",
            &t,
            "--writes",
            "5",
            "--hot-key",
            "PK=NOPE",
        ],
    );
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("no items with PK=NOPE"), "{r}");
    let r = run_bin(
        state.path(),
        &["load", "--table", &t, "--writes", "5", "--hot-key", "SK=x"],
    );
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("the partition key of"), "{r}");
    let total: u64 = scan_all(&db, &t).await.iter().map(count).sum();
    assert_eq!(total, 20);
}

#[tokio::test]
async fn read_only_refuses_and_writes_nothing() {
    let t = unique("load-ro");
    let db = table(&t).await;
    let state = tempfile::tempdir().unwrap();
    let r = run_bin(
        state.path(),
        &["--read-only", "load", "--table", &t, "--writes", "10"],
    );
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("--read-only"), "{r}");
    assert_eq!(scan_all(&db, &t).await.iter().map(count).sum::<u64>(), 0);
    assert!(audit_lines(state.path()).is_empty());
}

#[tokio::test]
async fn a_protected_table_needs_allow_and_confirmation() {
    let t = unique("x-prod-load");
    let db = table(&t).await;
    let state = tempfile::tempdir().unwrap();
    let base = ["load", "--table", &t, "--writes", "10", "--rate", "100"];
    let r = run_bin(state.path(), &base);
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "refusing to load `{t}`: table `{t}` matches the protected pattern `*prod*`"
        )),
        "{r}"
    );
    assert!(r.stderr.contains("--allow-protected"), "{r}");
    // Allowed, but the name is not confirmed and there is no terminal.
    let r = run_bin(state.path(), &[&base[..], &["--allow-protected"]].concat());
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!("pass --confirm-table {t}")),
        "{r}"
    );
    assert_eq!(scan_all(&db, &t).await.iter().map(count).sum::<u64>(), 0);
    assert!(audit_lines(state.path()).is_empty());
    // Allowed and confirmed.
    let r = run_bin(
        state.path(),
        &[&base[..], &["--allow-protected", "--confirm-table", &t]].concat(),
    );
    assert!(r.ok, "{r}");
    assert_eq!(scan_all(&db, &t).await.iter().map(count).sum::<u64>(), 10);
}

#[tokio::test]
async fn ctrl_c_stops_after_the_writes_in_flight() {
    let t = unique("load-sigint");
    let db = table(&t).await;
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("dyntui.toml");
    std::fs::write(&config, "").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--config")
        .arg(&config)
        .arg("--endpoint-url")
        .arg(common::endpoint())
        .arg("--log-file")
        .arg(state.path().join("dyntui.log"))
        .args(["load", "--table", &t, "--rate", "50", "--for", "60s"])
        .env("XDG_STATE_HOME", state.path())
        .env_remove("DYNTUI_AUDIT_LOG")
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dyntui");
    // Mid-way: some writes have landed.
    let began = std::time::Instant::now();
    loop {
        let n: u64 = scan_all(&db, &t).await.iter().map(count).sum();
        if n >= 20 {
            break;
        }
        assert!(
            began.elapsed() < std::time::Duration::from_secs(30),
            "no writes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Well before its 60 s, with the interrupted exit code.
    assert!(
        began.elapsed() < std::time::Duration::from_secs(30),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped after"), "{stderr}");
    // Every write done is counted in the audit entry: none was cut off.
    let total: u64 = scan_all(&db, &t).await.iter().map(count).sum();
    let audit = audit_lines(state.path());
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["summary"]["stopped"], true);
    assert_eq!(audit[0]["summary"]["written"], total, "{stderr}");
}

#[tokio::test]
async fn an_attribute_that_is_not_a_number_stops_the_load_with_the_reason() {
    let t = unique("load-bad-attr");
    let db = table(&t).await;
    let state = tempfile::tempdir().unwrap();
    // `name` holds a string: ADD cannot add 1 to it.
    let r = run_bin(
        state.path(),
        &[
            "load",
            "--table",
            &t,
            "--writes",
            "50",
            "--attribute",
            "name",
        ],
    );
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("the load stopped:"), "{r}");
    assert!(r.stderr.contains("ValidationException"), "{r}");
    // Every item is as it was.
    assert!(
        scan_all(&db, &t)
            .await
            .iter()
            .all(|it| it.get("name") == Some(&s("x")))
    );
    let audit = audit_lines(state.path());
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0]["summary"]["error"].is_string(), "{audit:?}");
}

/// The drill seen from the table's stream: the hot write key tracker finds
/// the hot partition with its share, and the alert names it.
#[tokio::test]
async fn the_stream_of_a_load_shows_its_hot_key() {
    let t = unique("load-stream");
    let db = table_with(&t, Some(ViewType::NewAndOldImages)).await;
    let state = tempfile::tempdir().unwrap();
    let r = run_bin(
        state.path(),
        &[
            "load",
            "--table",
            &t,
            "--rate",
            "200",
            "--hot-share",
            "0.5",
            "--writes",
            "200",
        ],
    );
    assert!(r.ok, "{r}");

    // Every record from the oldest: 35 puts, then the drill's 200 updates.
    let (arn, _) = stream_of(&db, &t).await.unwrap().expect("a stream");
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let follower = {
        let db = db.clone();
        tokio::spawn(async move {
            let opts = FollowOptions {
                idle_max: std::time::Duration::from_millis(500),
                ..FollowOptions::default()
            };
            follow(db.streams(), db.context(), &arn, StartAt::Oldest, opts, tx).await;
        })
    };
    let mut hot = HotWrites::new(std::time::Duration::from_secs(600));
    let mut modifies = 0;
    let mut last_ms = 0;
    while modifies < 200 {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .expect("stream records within 30 s")
            .expect("the follower runs");
        match ev {
            StreamEvent::Records(rs) => {
                for rec in rs.into_iter().filter(|r| r.event == EventName::Modify) {
                    modifies += 1;
                    let pk = match rec.keys.get("PK") {
                        Some(AttributeValue::S(v)) => v.clone(),
                        other => panic!("PK: {other:?}"),
                    };
                    last_ms = rec.time_ms.unwrap_or(last_ms).max(last_ms);
                    let units = hotwrites::units_of(&rec);
                    assert_eq!(units, 1.0, "a small item's update is one unit");
                    hot.push(last_ms, pk, None, units);
                }
            }
            StreamEvent::Failed(e) => panic!("failed: {e}"),
            _ => {}
        }
    }
    follower.abort();
    assert_eq!(hot.total_writes(), 200);
    let top = hot.top_keys(2);
    assert_eq!(top[0].key, HOT);
    assert!((top[0].share_of_writes - 0.5).abs() <= 0.10, "{top:?}");
    let alerts = hotwrites::alerts(&hot, &AlertConfig::default(), last_ms);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].severity, Severity::Warn);
    assert!(
        alerts[0]
            .title
            .starts_with(&format!("hot write key suspected: {HOT}, 50% of writes, ~")),
        "{}",
        alerts[0].title
    );
}
