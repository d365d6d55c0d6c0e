//! Estimates against what DynamoDB Local reports it consumed: the real
//! binary seeds the demo, scans, queries, exports, imports, copies and
//! migrates,
//! each run ending with `consumed ... (estimated ..., ±N%)`; every estimate
//! is within 10%. `--explain` prints the estimate and runs nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/faults.rs"]
mod faults;

use std::path::Path;
use std::process::Command;

use common::{db, demo_design, endpoint, unique};

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], home: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--endpoint-url")
        .arg(endpoint())
        .arg("--log-file")
        .arg(home.join("dyntui.log"))
        .args(args)
        .current_dir(home)
        // No user config of the machine's: the embedded prices.
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run dyntui");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The run's last `consumed` line and the estimate's error in percent.
fn off(what: &str, r: &Run) -> f64 {
    assert!(r.ok, "{what}: {}", r.stderr);
    let line = r
        .stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("consumed "))
        .unwrap_or_else(|| panic!("{what}: no consumed line in\n{}", r.stderr));
    let estimate = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("estimate: "))
        .collect::<Vec<_>>()
        .join(" / ");
    println!("{what}: {estimate}\n{what}: {line}");
    let pct = line
        .rsplit_once(", ")
        .and_then(|(_, p)| p.strip_suffix("%)"))
        .unwrap_or_else(|| panic!("{what}: no percentage in `{line}`"));
    pct.parse::<f64>()
        .unwrap_or_else(|_| panic!("{what}: `{pct}` in `{line}`"))
}

fn within_10_percent(what: &str, r: &Run) {
    let p = off(what, r);
    assert!(p.abs() <= 10.0, "{what}: the estimate is {p}% off");
}

const MIGRATION: &str = r#"description = "orders: amount for total, and a month index key"
[select]
type = "Order"
[[op]]
set = { attribute = "GSI3PK", template = "STATUS#{status}" }
[[op]]
rename = { from = "total", to = "amount" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_are_within_10_percent_of_what_dynamodb_local_consumed() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let db = db();
    let table = unique("est");
    demo_design(&table).create(&db).await.unwrap();

    // Seed: every item sized one by one, plus one write per GSI it is in.
    let r = run(&["seed", "demo", "-t", &table, "-y"], h);
    within_10_percent("seed", &r);

    // A Scan: DescribeTable's size in 1 MB pages, each rounded to 4 KB.
    let r = run(&["scan", "-t", &table], h);
    within_10_percent("scan", &r);
    // With a page size: every page rounds up on its own.
    let r = run(&["scan", "-t", &table, "--page-size", "25"], h);
    within_10_percent("scan in pages of 25", &r);

    // A Query whose first page is its last: exact.
    let r = run(
        &["query", "-t", &table, "--pk", "CUSTOMER#c00001", "--all"],
        h,
    );
    within_10_percent("query", &r);

    // Export, then import into a new table.
    let file = h.join("demo.jsonl");
    let r = run(&["export", "-t", &table, "-o", file.to_str().unwrap()], h);
    within_10_percent("export", &r);
    let copy = unique("est-import");
    demo_design(&copy).create(&db).await.unwrap();
    let r = run(&["import", file.to_str().unwrap(), "-t", &copy, "--yes"], h);
    within_10_percent("import", &r);

    // Copy: the source's Scan, and the writes sized from a sample of it.
    let copied = unique("est-copy");
    demo_design(&copied).create(&db).await.unwrap();
    let r = run(
        &[
            "copy",
            "--from-table",
            &table,
            "--to-table",
            &copied,
            "--yes",
        ],
        h,
    );
    within_10_percent("copy", &r);

    // A migration: a strongly consistent scan, the changed orders with
    // their index writes (from a sample), and the ledger's journal.
    let dir = h.join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("001_orders.toml"), MIGRATION).unwrap();
    let migrate = |last: &str| {
        run(
            &[
                "migrate",
                "-t",
                &table,
                "--dir",
                dir.to_str().unwrap(),
                "up",
                last,
            ],
            h,
        )
    };
    let r = migrate("--dry-run");
    within_10_percent("migration dry run", &r);
    assert!(
        r.stdout
            .contains("001_orders: a run would write 1,500 items: 4,500 write units"),
        "{}",
        r.stdout
    );
    let r = migrate("--yes");
    within_10_percent("migration", &r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_prints_the_estimate_and_runs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let db = db();
    let table = unique("est-explain");
    demo_design(&table).create(&db).await.unwrap();

    // Seeding explained: the demo's items and their index writes, priced;
    // nothing is written.
    let r = run(&["seed", "demo", "-t", &table, "--explain", "json"], h);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let e = &v["estimates"][0];
    assert_eq!(e["write"]["items"], 6626, "{e}");
    let gsi = e["write"]["indexes"].as_object().unwrap();
    assert!(gsi.contains_key("GSI1") && gsi.contains_key("GSI2"), "{e}");
    assert_eq!(e["billing_mode"], "PAY_PER_REQUEST");
    assert!(e["price"].as_f64().unwrap() > 0.0, "{e}");
    assert!(
        e["price_note"].as_str().unwrap().contains("us-east-1"),
        "{e}"
    );
    let info = db.describe(&table).await.unwrap();
    assert_eq!(info.item_count, Some(0), "--explain wrote nothing");

    // A Scan explained as text: no items on stdout, only the estimate.
    let r = run(&["scan", "-t", &table, "--explain"], h);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.starts_with("estimate: Scan of"), "{}", r.stdout);
    assert!(r.stdout.contains("nothing was run"), "{}", r.stdout);
    assert!(!r.stdout.contains("\"PK\""), "{}", r.stdout);

    // Export, import, copy and a migration explained: each prints its
    // estimate and nothing is read into a file or written anywhere.
    let file = h.join("never.jsonl");
    let r = run(
        &[
            "export",
            "-t",
            &table,
            "-o",
            file.to_str().unwrap(),
            "--explain",
        ],
        h,
    );
    assert!(
        r.ok && r.stdout.contains("estimate: export of"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(!file.exists() && !h.join("never.jsonl.partial").exists());
    let seed_file = h.join("one.jsonl");
    std::fs::write(
        &seed_file,
        "{\"PK\":{\"S\":\"C#1\"},\"SK\":{\"S\":\"C#1\"},\"GSI1PK\":{\"S\":\"E#1\"},\"GSI1SK\":{\"S\":\"E#1\"}}\n",
    )
    .unwrap();
    let r = run(
        &[
            "import",
            seed_file.to_str().unwrap(),
            "-t",
            &table,
            "--allow-truncated",
            "--explain",
            "json",
        ],
        h,
    );
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["estimates"][0]["write"]["items"], 1, "{v}");
    assert_eq!(v["estimates"][0]["write"]["indexes"]["GSI1"], 1.0, "{v}");
    let to = unique("est-explain-to");
    demo_design(&to).create(&db).await.unwrap();
    let r = run(
        &[
            "copy",
            "--from-table",
            &table,
            "--to-table",
            &to,
            "--explain",
        ],
        h,
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("estimate: read ") && r.stdout.contains("estimate: write the copy into"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("total: "), "{}", r.stdout);
    let dir = h.join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("001_orders.toml"), MIGRATION).unwrap();
    let r = run(
        &[
            "migrate",
            "-t",
            &table,
            "--dir",
            dir.to_str().unwrap(),
            "up",
            "--explain",
        ],
        h,
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("estimate: migration 001_orders"),
        "{}",
        r.stdout
    );
    for t in [&table, &to] {
        let info = db.describe(t).await.unwrap();
        assert_eq!(info.item_count, Some(0), "{t}: --explain wrote nothing");
    }

    // A region without a price: said, not guessed.
    let r = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .args(["--endpoint-url", &endpoint(), "--region", "xx-nowhere-1"])
        .args(["scan", "-t", &table, "--explain"])
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(
        out.contains("price:  unknown (no price for xx-nowhere-1"),
        "{out}"
    );

    // A price from the user's config fills the region.
    let cfg = h.join("config/dyntui");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        "[prices.xx-nowhere-1]\non_demand_read_per_million = 1000000\non_demand_write_per_million = 1\nprovisioned_read_per_hour = 1\nprovisioned_write_per_hour = 1\n",
    )
    .unwrap();
    let r = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .args(["--endpoint-url", &endpoint(), "--region", "xx-nowhere-1"])
        .args(["scan", "-t", &table, "--explain"])
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    // An empty table: one request's minimum, 0.5 RRU at $1 each.
    assert!(
        out.contains("price:  $0.50 (on-demand, xx-nowhere-1 prices from your config)"),
        "{out}"
    );
}

/// A role that may Scan but not DescribeTable: the scan runs without its
/// estimate (which needs the description); `--explain` says why it cannot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_runs_when_the_table_cannot_be_described() {
    let home = tempfile::tempdir().unwrap();
    let db = db();
    let table = unique("est-nodescribe");
    demo_design(&table).create(&db).await.unwrap();
    common::items::put(&db, &table, common::items::rich("A#1", "A")).await;
    let proxy = faults::FaultProxy::start(
        faults::Faults {
            error_500: 1.0,
            ..faults::Faults::default()
        }
        .only(&["DescribeTable"]),
    );
    let scan = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dyntui"))
            .args(["--endpoint-url", &proxy.url(), "--attempt-timeout", "2"])
            .arg("--log-file")
            .arg(home.path().join("log"))
            .args(["scan", "-t", &table])
            .args(extra)
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("AWS_ACCESS_KEY_ID", "dummy")
            .env("AWS_SECRET_ACCESS_KEY", "dummy")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let out = scan(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("A#1"));
    assert!(
        stderr.contains("consumed 0.5 read capacity units"),
        "{stderr}"
    );
    let out = scan(&["--explain"]);
    assert!(!out.status.success(), "--explain needs the description");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("InternalServerError"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
