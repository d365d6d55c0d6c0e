//! `dyntui tail` and `dyntui diagnose --live` against DynamoDB Local: the
//! real binary follows a table's stream while this test writes to it.
//! Every write appears exactly once, decoded by entity; filters apply; a
//! table without a stream says how to get one; hot write keys are found
//! without Contributor Insights.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{db, demo_design_with_stream as demo_design, endpoint, numeric_design, unique};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::{AttributeValue, Item};

const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dyntui")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(["--config", PROJECT, "--endpoint-url", &endpoint()])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join("dyntui-tail-test-state"),
        );
    c
}

/// A running `dyntui`: its stdout and stderr are read as it writes them
/// (a full pipe would block it).
struct Running {
    child: Child,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
    /// Lines printed on stdout so far.
    lines: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Running {
    /// Waits (at most 60 s) until stdout has `n` lines.
    fn wait_lines(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.lines.load(std::sync::atomic::Ordering::Relaxed) < n && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ctrl-C, as a user would stop it.
    fn interrupt(&self) {
        let ok = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -INT");
    }
}

/// Starts `dyntui` with `args` and waits until it says it follows every
/// shard (writes after that are seen).
fn start_following(args: &[&str]) -> Running {
    let mut child = command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let lines = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = lines.clone();
    let stdout = std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut all = String::new();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            all.push_str(&line);
            line.clear();
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        all
    });
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let rest = std::thread::spawn(move || {
        let mut r = BufReader::new(stderr);
        let mut all = String::new();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if line.starts_with("following") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            line.clear();
        }
        all
    });
    if rx.recv_timeout(Duration::from_secs(30)).is_err() {
        let _ = child.kill();
        panic!("dyntui did not start following: {}", rest.join().unwrap());
    }
    Running {
        child,
        stdout,
        stderr: rest,
        lines,
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn order(customer: &str, n: usize) -> Item {
    [
        ("PK", s(&format!("CUSTOMER#{customer}"))),
        ("SK", s(&format!("ORDER#2026-12-01#o{n:05}"))),
        ("orderDate", s("2026-12-01")),
        ("Type", s("Order")),
        ("customerId", s(customer)),
        ("orderId", s(&format!("o{n:05}"))),
        ("status", s("PENDING")),
        ("total", AttributeValue::N("10.50".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn put(db: &Dynamo, table: &str, item: Item) {
    db.client()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

async fn set_status(db: &Dynamo, table: &str, item: &Item, status: &str) {
    db.client()
        .update_item()
        .table_name(table)
        .key("PK", item["PK"].clone())
        .key("SK", item["SK"].clone())
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s(status))
        .send()
        .await
        .unwrap();
}

async fn delete(db: &Dynamo, table: &str, item: &Item) {
    db.client()
        .delete_item()
        .table_name(table)
        .key("PK", item["PK"].clone())
        .key("SK", item["SK"].clone())
        .send()
        .await
        .unwrap();
}

fn finish(run: Running) -> (Option<i32>, String, String) {
    let Running {
        mut child,
        stdout,
        stderr,
        ..
    } = run;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dyntui did not stop after --for");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        status.code(),
        stdout.join().unwrap(),
        stderr.join().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_jsonl_prints_every_write_exactly_once_decoded_by_entity() {
    let db = db();
    let table = unique("tail");
    demo_design(&table).create(&db).await.unwrap();
    // Until Ctrl-C: a busy machine may take long over the writes.
    let run = start_following(&["tail", "--table", &table, "-o", "jsonl"]);

    // 120 inserts, 60 updates, 30 deletes from another task.
    let writer = {
        let (db, table) = (db.clone(), table.clone());
        tokio::spawn(async move {
            let items: Vec<Item> = (0..120)
                .map(|n| order(&format!("c{:03}", n % 7), n))
                .collect();
            for i in &items {
                put(&db, &table, i.clone()).await;
            }
            for i in items.iter().take(60) {
                set_status(&db, &table, i, "SHIPPED").await;
            }
            for i in items.iter().skip(90) {
                delete(&db, &table, i).await;
            }
        })
    };
    writer.await.unwrap();
    run.wait_lines(210);
    // A moment for a duplicate to show, were there one.
    std::thread::sleep(Duration::from_secs(3));
    run.interrupt();
    let (code, out, err) = finish(run);
    assert_eq!(code, Some(0), "{err}");

    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut sequences = std::collections::HashSet::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["type"], "Order", "{line}");
        assert!(v["key"].as_str().unwrap().contains("orderId=o"), "{line}");
        assert!(
            sequences.insert(v["sequence"].as_str().unwrap().to_string()),
            "a record printed twice: {line}"
        );
        let sk = v["keys"]["SK"].as_str().unwrap().to_string();
        *seen
            .entry((v["event"].as_str().unwrap().to_string(), sk))
            .or_default() += 1;
        if v["event"] == "MODIFY" {
            assert_eq!(v["old"]["status"], "PENDING");
            assert_eq!(v["new"]["status"], "SHIPPED");
            assert_eq!(
                v["new"]["total"],
                serde_json::json!(10.50),
                "numbers exact: {line}"
            );
        }
    }
    let count = |e: &str| seen.keys().filter(|(ev, _)| ev == e).count();
    assert_eq!(count("INSERT"), 120, "{err}");
    assert_eq!(count("MODIFY"), 60);
    assert_eq!(count("REMOVE"), 30);
    assert!(seen.values().all(|&n| n == 1), "every write exactly once");
    assert_eq!(out.lines().count(), 210);
    assert!(err.contains("210 changes shown"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_filters_by_type_key_and_event_and_reads_from_the_oldest_record() {
    let db = db();
    let table = unique("tailf");
    demo_design(&table).create(&db).await.unwrap();
    // Written before following: only --from oldest sees them.
    for n in 0..10 {
        put(&db, &table, order(if n < 3 { "c042" } else { "c001" }, n)).await;
    }
    let mut profile = order("c042", 99);
    profile.insert("SK".into(), s("PROFILE"));
    profile.insert("Type".into(), s("Customer"));
    put(&db, &table, profile).await;
    let out = command(&[
        "tail",
        "--table",
        &table,
        "--from",
        "oldest",
        "--for",
        "3s",
        "--type",
        "Order",
        "--key",
        "customerId=c042",
        "--event",
        "INSERT",
    ])
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for l in &lines {
        assert!(
            l.contains("INSERT") && l.contains("Order") && l.contains("customerId=c042"),
            "{l}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_without_a_stream_says_how_to_enable_one_and_enabling_asks_first() {
    let db = db();
    let table = unique("tailn");
    numeric_design(&table).create(&db).await.unwrap();
    let out = command(&["tail", "--table", &table, "--for", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        err.contains("has no DynamoDB Stream") && err.contains("--enable-stream"),
        "{err}"
    );

    // Read-only refuses; without --yes and no terminal, nothing is done.
    let out = command(&[
        "--read-only",
        "tail",
        "--table",
        &table,
        "--enable-stream",
        "NEW_IMAGE",
        "--for",
        "1s",
    ])
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--read-only"));
    let out = command(&[
        "tail",
        "--table",
        &table,
        "--enable-stream",
        "NEW_IMAGE",
        "--for",
        "1s",
    ])
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert!(
        db.describe(&table).await.unwrap().stream_arn.is_none(),
        "nothing enabled"
    );

    let out = command(&[
        "tail",
        "--table",
        &table,
        "--enable-stream",
        "NEW_IMAGE",
        "--yes",
        "--for",
        "1s",
    ])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("stream enabled"), "{err}");
    assert!(
        err.contains("NEW_IMAGE stream: no old images"),
        "says what is missing: {err}"
    );
    let info = db.describe(&table).await.unwrap();
    assert_eq!(info.stream.as_deref(), Some("NEW_IMAGE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_live_finds_a_hot_write_key_without_contributor_insights() {
    let db = db();
    let table = unique("hotw");
    demo_design(&table).create(&db).await.unwrap();
    let items: Vec<Item> = (0..40).map(|n| order(&format!("c{n:03}"), n)).collect();
    for i in &items {
        put(&db, &table, i.clone()).await;
    }
    let hot = order("c00243", 1000);
    put(&db, &table, hot.clone()).await;
    // Stopped with Ctrl-C once the writes are seen: it reports what it
    // measured so far.
    let run = start_following(&["diagnose", "--table", &table, "--live", "5m"]);
    // 100 updates: 45 on one customer's order, the rest spread.
    for n in 0..100usize {
        let target = if n % 20 < 9 {
            &hot
        } else {
            &items[n % items.len()]
        };
        set_status(&db, &table, target, &format!("S{n}")).await;
    }
    // Records reach the reader within its idle back-off (2 s at most).
    std::thread::sleep(Duration::from_secs(5));
    run.interrupt();
    let (code, out, err) = finish(run);
    assert_eq!(code, Some(2), "a warning: {out}\n{err}");
    assert!(out.contains("HOT WRITE KEYS"), "{out}");
    assert!(
        out.contains("hot write key suspected: CUSTOMER#c00243, 45% of writes"),
        "{out}"
    );
    assert!(out.contains("streams see writes only"), "{out}");
    assert!(
        out.contains("dyntui --endpoint-url"),
        "next commands: {out}"
    );
}
