//! A filtered Scan whose only matches are beyond its first page, against
//! DynamoDB Local: `patterns check` and `query PATTERN` read past the
//! empty pages (within the read budget) and say how much they read; a
//! budget too small is named, with how to raise it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code may fail loudly

mod common;

use std::process::Command;
use std::sync::Arc;

use common::{db, unique};
use dyntui::dynamo::client::KeyKind;
use dyntui::dynamo::design::{KeyAttr, TableDesign};
use dyntui::dynamo::request::ItemsRequest;
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::{AttributeValue, Item};

/// Items in the table; the pattern reads 5 a page, so 8 full pages.
const ITEMS: usize = 40;

fn item(pk: &str, score: u32) -> Item {
    Item::from([
        ("PK".to_string(), AttributeValue::S(pk.to_string())),
        ("score".to_string(), AttributeValue::N(score.to_string())),
    ])
}

/// A table of 40 items where only the last two in Scan order have a score
/// above 90; returns its name, those two PKs and a project file with the
/// pattern `late-matches` (that filter, 5 items a page).
async fn late_matches_table() -> (String, Vec<String>, tempfile::TempDir) {
    let db = db();
    let name = unique("late-matches");
    TableDesign {
        name: name.clone(),
        partition_key: KeyAttr {
            name: "PK".into(),
            kind: KeyKind::S,
        },
        sort_key: None,
        provisioned: None,
        ttl_attribute: None,
        stream: None,
        gsis: vec![],
        lsis: vec![],
    }
    .create(&db)
    .await
    .expect("create table");
    let write = |items: Vec<Item>| {
        let (db, name) = (db.clone(), name.clone());
        async move {
            write_all(
                &db,
                &name,
                items,
                &WriteOptions::default(),
                Arc::new(Progress::default()),
            )
            .await
            .expect("write items")
        }
    };
    write(
        (0..ITEMS)
            .map(|i| item(&format!("item-{i:02}"), 10))
            .collect(),
    )
    .await;
    // Scan order is the order of the keys' hashes: read it, then make the
    // last two the only matches.
    let all = db
        .fetch_page(&ItemsRequest::scan(name.clone()), None)
        .await
        .expect("scan");
    assert!(all.next.is_none() && all.items.len() == ITEMS);
    let last: Vec<String> = all.items[ITEMS - 2..]
        .iter()
        .map(|it| match it.get("PK") {
            Some(AttributeValue::S(s)) => s.clone(),
            other => panic!("PK {other:?}"),
        })
        .collect();
    write(last.iter().map(|pk| item(pk, 95)).collect()).await;

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("dyntui.toml"),
        "[[pattern]]\n\
         name = \"late-matches\"\n\
         description = \"A filtered Scan whose matches are on its last page\"\n\
         filter = \"score > 90\"\n\
         limit = 5\n",
    )
    .expect("project file");
    (name, last, dir)
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run_bin(dir: &tempfile::TempDir, table: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--config")
        .arg(dir.path().join("dyntui.toml"))
        .arg("--log-file")
        .arg(dir.path().join("dyntui.log"))
        .args(["--endpoint-url", &common::endpoint()])
        .args(args)
        .args(["--table", table])
        .env_remove("DYNTUI_READ_BUDGET")
        .env_remove("DYNTUI_READ_BUDGET_RCU")
        .output()
        .expect("run dyntui");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn cursor_of(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("next page: --cursor "))
        .map(|c| c.trim().to_string())
}

/// The PKs of printed jsonl items, sorted.
fn pks(stdout: &str) -> Vec<String> {
    let mut v: Vec<String> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["PK"].as_str().expect("PK").to_string()
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn patterns_check_reads_past_empty_pages_within_the_budget() {
    let (table, _, dir) = late_matches_table().await;

    // The matches are on page 8 of 5 items each: found, with what it took.
    let r = run_bin(&dir, &table, &["patterns", "check"]);
    assert!(r.ok, "check failed:\n{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.lines().any(|l| l
            .starts_with("PASS   late-matches (2 items; read 8 pages, scanned 40 items, ")
            && l.ends_with(" RCU)")),
        "{}",
        r.stdout
    );

    // A budget of 10 items scanned ends after page 2: EMPTY, naming the
    // budget and how to raise it, and the check fails.
    let r = run_bin(&dir, &table, &["patterns", "check", "--read-budget", "10"]);
    assert!(!r.ok, "passed with a spent budget:\n{}", r.stdout);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("EMPTY  late-matches ("))
        .unwrap_or_else(|| panic!("no EMPTY line:\n{}", r.stdout));
    for part in [
        "nothing found within the read budget of 10 items scanned",
        "read 2 pages, scanned 10 items",
        "raise it with --read-budget ITEMS",
    ] {
        assert!(line.contains(part), "`{part}` not in {line}");
    }
    assert!(r.stdout.contains("0 passed, 1 failed"), "{}", r.stdout);

    // The same through the environment.
    let out = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--config")
        .arg(dir.path().join("dyntui.toml"))
        .arg("--log-file")
        .arg(dir.path().join("dyntui.log"))
        .args(["--endpoint-url", &common::endpoint()])
        .args(["patterns", "check", "--table", &table])
        .env("DYNTUI_READ_BUDGET", "10")
        .output()
        .expect("run dyntui");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("within the read budget of 10 items scanned"),
        "{stdout}"
    );
}

#[tokio::test]
async fn query_prints_the_first_page_with_items_and_the_cursor_after_it() {
    let (table, matches, dir) = late_matches_table().await;
    let mut want = matches.clone();
    want.sort();

    let r = run_bin(&dir, &table, &["query", "late-matches", "-o", "jsonl"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(pks(&r.stdout), want, "the matches of page 8\n{}", r.stderr);
    assert!(
        r.stderr.contains("read 8 pages, scanned 40 items, "),
        "{}",
        r.stderr
    );
    // Page 8 ends with a cursor; after it the table holds nothing more.
    let cursor = cursor_of(&r.stderr).expect("a cursor after page 8");
    let r = run_bin(
        &dir,
        &table,
        &["query", "late-matches", "-o", "jsonl", "--cursor", &cursor],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(cursor_of(&r.stderr), None, "{}", r.stderr);

    // A budget that runs out first: nothing printed, the budget named, and
    // a cursor that continues where the reading stopped.
    let r = run_bin(
        &dir,
        &table,
        &[
            "query",
            "late-matches",
            "-o",
            "jsonl",
            "--read-budget",
            "10",
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains("nothing found within the read budget of 10 items scanned (read 2 pages, scanned 10 items, "),
        "{}",
        r.stderr
    );
    let cursor = cursor_of(&r.stderr).expect("a cursor after the budget");
    let r = run_bin(
        &dir,
        &table,
        &["query", "late-matches", "-o", "jsonl", "--cursor", &cursor],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(pks(&r.stdout), want, "continued after the budget");
    assert!(
        r.stderr.contains("read 6 pages, scanned 30 items, "),
        "{}",
        r.stderr
    );
}
