//! Export, import and copy against DynamoDB Local: an export imported into
//! an empty table gives an identical table (every type, exact numbers,
//! binary, sets), empty sets are reported with file and line, a killed
//! export is reported as truncated and nothing is imported, selections
//! (type, filter, pattern) export exactly their items, CSV keeps every
//! attribute, and a redacted copy is consistent and leaves no original.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::items::{put, snapshot};
use common::{db, demo_design, unique};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::export::{self, ExportFormat, ReadOptions, ReadProgress};
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::{AttributeValue, Item, value};

const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

fn blob(b: &[u8]) -> aws_sdk_dynamodb::primitives::Blob {
    aws_sdk_dynamodb::primitives::Blob::new(b.to_vec())
}

/// Items with every type and edge: 38-digit numbers, tiny and negative
/// exponents, binary with zero bytes, every kind of set, nested lists of
/// maps, NULL, booleans, empty strings outside keys, unicode.
fn crafted() -> Vec<Item> {
    let mut out = Vec::new();
    for i in 0..30 {
        let deep = AttributeValue::L(vec![
            AttributeValue::M(HashMap::from([
                ("x".to_string(), n("-1.5E+10")),
                (
                    "l".to_string(),
                    AttributeValue::L(vec![AttributeValue::M(HashMap::from([(
                        "y".to_string(),
                        AttributeValue::Bs(vec![blob(&[0, 1, 2]), blob(&[255])]),
                    )]))]),
                ),
            ])),
            AttributeValue::Null(true),
        ]);
        out.push(HashMap::from([
            ("PK".to_string(), s(&format!("EDGE#{}", i % 7))),
            ("SK".to_string(), s(&format!("ITEM#{i:03}"))),
            ("Type".to_string(), s("Edge")),
            (
                "big".to_string(),
                n("12345678901234567890123456789012345678"),
            ),
            (
                "neg".to_string(),
                n("-99999999999999999999999999999999999999"),
            ),
            ("tiny".to_string(), n("1E-130")),
            (
                "huge".to_string(),
                n("9.9999999999999999999999999999999999999E+125"),
            ),
            (
                "bin".to_string(),
                AttributeValue::B(blob(&[0, 0, 255, i as u8])),
            ),
            (
                "ss".to_string(),
                AttributeValue::Ss(vec!["a".into(), "é€😀".into()]),
            ),
            (
                "ns".to_string(),
                AttributeValue::Ns(vec![
                    "0.1".into(),
                    "12345678901234567890123456789012345678".into(),
                ]),
            ),
            (
                "bs".to_string(),
                AttributeValue::Bs(vec![blob(&[1]), blob(&[2, 3])]),
            ),
            ("flag".to_string(), AttributeValue::Bool(i % 2 == 0)),
            ("none".to_string(), AttributeValue::Null(true)),
            ("empty".to_string(), s("")),
            ("deep".to_string(), deep),
            (
                "email".to_string(),
                s(&format!("person{}@corp.test", i % 5)),
            ),
        ]));
    }
    out
}

async fn table_with(db: &Dynamo, items: Vec<Item>) -> String {
    let name = unique("exp");
    demo_design(&name).create(db).await.expect("create");
    write_all(
        db,
        &name,
        items,
        &WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("write");
    name
}

async fn empty_table(db: &Dynamo) -> String {
    let name = unique("imp");
    demo_design(&name).create(db).await.expect("create");
    name
}

fn bin(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dyntui"));
    c.arg("--config")
        .arg(DEMO_CONFIG)
        .arg("--endpoint-url")
        .arg(common::endpoint())
        .arg("--log-file")
        .arg(dir.join("dyntui.log"))
        .args(args)
        .current_dir(dir)
        .env("XDG_STATE_HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = bin(dir, args).output().expect("run dyntui");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn export_then_import_gives_an_identical_table() {
    let db = db();
    let mut items = crafted();
    items.extend(generate(
        5,
        DemoSize {
            customers: 40,
            products: 10,
            orders: 60,
            reviews: 20,
        },
    ));
    let src = table_with(&db, items.clone()).await;
    // Not created: import creates it from the project's design.
    let dst = unique("imp-new");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("all.jsonl");
    let (ok, err) = run(
        dir.path(),
        &[
            "export",
            "--table",
            &src,
            "-o",
            file.to_str().unwrap(),
            "--segments",
            "3",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("exported {} items", items.len())),
        "{err}"
    );
    assert!(
        !export::partial_path(&file).exists(),
        "renamed when complete"
    );
    let check = export::check_file(&file).expect("check");
    assert_eq!(check.problem, None);
    assert_eq!(check.lines, items.len() as u64);
    let (ok, err) = run(
        dir.path(),
        &["import", file.to_str().unwrap(), "--table", &dst, "--yes"],
    );
    assert!(ok, "{err}");
    assert!(err.contains(&format!("creating table {dst}")), "{err}");
    assert_eq!(
        snapshot(&db, &dst).await,
        snapshot(&db, &src).await,
        "identical, byte for byte"
    );
}

#[tokio::test]
async fn plain_json_keeps_numbers_exact_and_says_what_it_cannot_keep() {
    let db = db();
    let src = table_with(&db, crafted()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain.jsonl");
    let (ok, err) = run(
        dir.path(),
        &[
            "export",
            "--table",
            &src,
            "-o",
            file.to_str().unwrap(),
            "--format",
            "plain",
        ],
    );
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        text.contains("\"big\":12345678901234567890123456789012345678"),
        "exact numbers"
    );
    assert!(text.contains("\"neg\":-99999999999999999999999999999999999999"));
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("\"format\":\"plain\"")
    );
}

#[tokio::test]
async fn empty_sets_and_bad_lines_are_reported_with_file_and_line() {
    let db = db();
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"PK":{"S":"A"},"SK":{"S":"1"},"tags":{"SS":["x"]}}"#, "\n",
            r#"{"PK":{"S":"A"},"SK":{"S":"2"},"tags":{"SS":[]}}"#, "\n",
            r#"{"_dyntui_export":{"version":1,"table":"t","format":"dynamodb","items":2,"complete":true}}"#, "\n",
        ),
    )
    .expect("write");
    let (ok, err) = run(
        dir.path(),
        &["import", file.to_str().unwrap(), "--table", &dst, "--yes"],
    );
    assert!(!ok);
    assert!(err.contains("bad.jsonl:2"), "{err}");
    assert!(err.contains("empty sets are not allowed"), "{err}");
    assert!(snapshot(&db, &dst).await.is_empty(), "nothing written");
}

#[tokio::test]
async fn a_killed_export_is_reported_as_truncated_and_nothing_is_imported() {
    let db = db();
    let items = generate(
        9,
        DemoSize {
            customers: 300,
            products: 40,
            orders: 900,
            reviews: 200,
        },
    );
    let total = items.len();
    let src = table_with(&db, items).await;
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("killed.jsonl");
    // A slow export (a low read rate), killed with SIGKILL part-way.
    let mut child = bin(
        dir.path(),
        &[
            "export",
            "--table",
            &src,
            "-o",
            file.to_str().unwrap(),
            "--read-rate-limit",
            "40",
            "--page-size",
            "100",
            "--segments",
            "1",
        ],
    )
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let partial = export::partial_path(&file);
    let started = std::time::Instant::now();
    while std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0) < 200_000 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the export did not progress"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(!file.exists(), "no complete file under the final name");
    let check = export::check_file(&partial).expect("check");
    assert!(check.problem.is_some());
    assert!(check.lines < total as u64);
    let (ok, err) = run(
        dir.path(),
        &[
            "import",
            partial.to_str().unwrap(),
            "--table",
            &dst,
            "--yes",
        ],
    );
    assert!(!ok, "refused");
    assert!(err.contains("truncated"), "{err}");
    assert!(snapshot(&db, &dst).await.is_empty(), "nothing imported");
    // Asked to, the complete lines are imported, and only those.
    let (ok, err) = run(
        dir.path(),
        &[
            "import",
            partial.to_str().unwrap(),
            "--table",
            &dst,
            "--yes",
            "--allow-truncated",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(snapshot(&db, &dst).await.len() as u64, check.lines);
}

#[tokio::test]
async fn a_stopped_export_leaves_a_partial_file_without_end_marker() {
    let db = db();
    let src = table_with(
        &db,
        generate(
            3,
            DemoSize {
                customers: 50,
                products: 5,
                orders: 50,
                reviews: 5,
            },
        ),
    )
    .await;
    let info = db.describe(&src).await.expect("describe");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("stopped.jsonl");
    let stop = Arc::new(AtomicBool::new(true));
    let decoder = dyntui::dynamo::entity::Decoder::new(&Default::default(), Default::default());
    let s = export::export(
        &db,
        &info,
        &dyntui::dynamo::request::ItemsRequest::scan(src.clone()),
        decoder,
        None,
        &file,
        ExportFormat::Dynamo,
        &ReadOptions::default(),
        Arc::new(ReadProgress::default()),
        stop,
    )
    .await
    .expect("export");
    assert!(s.stopped);
    assert!(!file.exists());
    let check = export::check_file(&export::partial_path(&file)).expect("check");
    assert!(check.problem.as_deref().unwrap_or("").contains("truncated"));
}

#[tokio::test]
async fn selections_export_exactly_their_items_and_csv_keeps_every_attribute() {
    let db = db();
    let items = generate(
        4,
        DemoSize {
            customers: 25,
            products: 6,
            orders: 40,
            reviews: 10,
        },
    );
    let src = table_with(&db, items.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let is = |it: &Item, t: &str| it.get("Type") == Some(&s(t));
    // Exports the table with `selection` and returns the items written
    // (as the file's end marker counts them) and what dyntui said.
    let export_with = |name: &str, selection: &[&str]| -> (u64, String) {
        let f = dir.path().join(name);
        let mut args = vec!["export", "--table", src.as_str(), "-o", f.to_str().unwrap()];
        args.extend_from_slice(selection);
        let (ok, err) = run(dir.path(), &args);
        assert!(ok, "{err}");
        (export::check_file(&f).unwrap().lines, err)
    };
    // --type
    let want = items.iter().filter(|i| is(i, "Customer")).count();
    assert_eq!(
        export_with("customers.jsonl", &["--type", "Customer"]).0,
        want as u64
    );
    // --filter
    let want = items
        .iter()
        .filter(|i| i.get("status") == Some(&s("SHIPPED")))
        .count();
    assert!(want > 0);
    assert_eq!(
        export_with("shipped.jsonl", &["--filter", "status = SHIPPED"]).0,
        want as u64
    );
    // --pattern (a Query)
    let (lines, err) = export_with(
        "orders.jsonl",
        &[
            "--pattern",
            "customer-orders",
            "--param",
            "customerId=c00001",
        ],
    );
    assert!(err.contains("QUERY"), "{err}");
    let want = items
        .iter()
        .filter(|i| is(i, "Order") && i.get("customerId") == Some(&s("c00001")))
        .count();
    assert_eq!(lines, want as u64);
    // CSV: one file per type; every attribute of every item is in it.
    let f = dir.path().join("all.csv");
    let (ok, err) = run(
        dir.path(),
        &["export", "--table", &src, "-o", f.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    let mut rows = 0;
    for t in ["Customer", "Order", "OrderItem", "Product", "Review"] {
        let path = dir.path().join(format!("all.{t}.csv"));
        let mut r = csv::Reader::from_path(&path).expect("csv");
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(&header[..2], ["PK", "SK"]);
        for rec in r.records() {
            let rec = rec.expect("row");
            rows += 1;
            let pk = rec.get(0).unwrap();
            let sk = rec.get(1).unwrap();
            let item = items
                .iter()
                .find(|i| i["PK"] == s(pk) && i["SK"] == s(sk))
                .expect("the row's item");
            let other: serde_json::Map<String, serde_json::Value> = match rec.get(header.len() - 1)
            {
                Some("") | None => Default::default(),
                Some(o) => serde_json::from_str(o).expect("_other is JSON"),
            };
            for (k, v) in item {
                let in_col = header
                    .iter()
                    .position(|h| h == k)
                    .map(|i| rec.get(i).unwrap().to_string());
                match (in_col, other.get(k)) {
                    (Some(cell), _) => match v {
                        AttributeValue::S(x) => assert_eq!(&cell, x),
                        AttributeValue::N(x) => assert_eq!(&cell, x),
                        _ => assert!(!cell.is_empty() || matches!(v, AttributeValue::Null(_))),
                    },
                    (None, Some(o)) => assert_eq!(o, &value::to_plain(v), "{k}"),
                    (None, None) => panic!("{k} of {pk}/{sk} lost"),
                }
            }
        }
    }
    assert_eq!(rows, items.len());
}

#[tokio::test]
async fn a_redacted_copy_is_consistent_and_leaves_no_original() {
    let db = db();
    let items = generate(
        6,
        DemoSize {
            customers: 30,
            products: 4,
            orders: 30,
            reviews: 10,
        },
    );
    let src = table_with(&db, items.clone()).await;
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, err) = run(
        dir.path(),
        &[
            "copy",
            "--from-table",
            &src,
            "--to-table",
            &dst,
            "--yes",
            "--redact-attr",
            "email=email",
            "--redact-attr",
            "name=name",
            "--redact-seed",
            "1",
        ],
    );
    assert!(ok, "{err}");
    let copied = snapshot(&db, &dst).await;
    assert_eq!(copied.len(), items.len(), "every item copied");
    // No redacted attribute keeps an original value, and no original email
    // is left anywhere (emails also live in GSI1PK).
    let originals = |attr: &str| -> Vec<String> {
        items
            .iter()
            .filter_map(|it| match it.get(attr) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            })
            .collect()
    };
    let (emails, names) = (originals("email"), originals("name"));
    assert!(!emails.is_empty() && !names.is_empty());
    let all: String = copied.values().cloned().collect::<Vec<_>>().join("\n");
    for e in &emails {
        assert!(!all.contains(e.as_str()), "`{e}` left in the copy");
    }
    let scan = db
        .client()
        .scan()
        .table_name(&dst)
        .send()
        .await
        .expect("scan");
    let copied_items = scan.items.unwrap_or_default();
    for it in &copied_items {
        if let Some(AttributeValue::S(v)) = it.get("name") {
            assert!(!names.contains(v), "name `{v}` kept");
        }
    }
    // Consistent: a customer's email and its GSI1PK (EMAIL#...) agree, and
    // the same original maps to one fake value.
    let mut by_original: BTreeMap<String, String> = BTreeMap::new();
    let scan = db
        .client()
        .scan()
        .table_name(&dst)
        .send()
        .await
        .expect("scan");
    for it in scan.items.unwrap_or_default() {
        if it.get("Type") == Some(&s("Customer")) {
            let AttributeValue::S(email) = &it["email"] else {
                panic!()
            };
            assert_eq!(it["GSI1PK"], s(&format!("EMAIL#{email}")));
            let orig = items
                .iter()
                .find(|o| o["PK"] == it["PK"] && o["SK"] == it["SK"])
                .and_then(|o| o.get("email").cloned());
            if let Some(AttributeValue::S(o)) = orig {
                let prev = by_original.insert(o.clone(), email.clone());
                assert!(prev.is_none_or(|p| p == *email));
            }
        }
    }
    assert!(!by_original.is_empty());
    // Orders keep pointing at their customers (keys are not redacted).
    assert!(copied.keys().any(|k| k.contains("ORDER#")));
}

#[tokio::test]
async fn redaction_reaches_nested_attributes_and_every_copy_of_an_original() {
    let db = db();
    let m = |pairs: &[(&str, AttributeValue)]| {
        AttributeValue::M(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    };
    let mut items = Vec::new();
    let mut originals = Vec::new();
    for i in 0..40 {
        let email = format!("person{i}@corp.test");
        let name = format!("Person Number{i}");
        originals.push(email.clone());
        originals.push(name.clone());
        // The customer keeps its contact details in a map.
        items.push(Item::from([
            ("PK".to_string(), s(&format!("CUSTOMER#c{i}"))),
            ("SK".to_string(), s(&format!("CUSTOMER#c{i}"))),
            ("Type".to_string(), s("Customer")),
            (
                "contact".to_string(),
                m(&[("email", s(&email)), ("name", s(&name))]),
            ),
            ("GSI1PK".to_string(), s(&format!("EMAIL#{email}"))),
        ]));
        // Its order repeats them under other names, nested and in lists.
        items.push(Item::from([
            ("PK".to_string(), s(&format!("CUSTOMER#c{i}"))),
            ("SK".to_string(), s(&format!("ORDER#o{i}"))),
            ("Type".to_string(), s("Order")),
            ("billingEmail".to_string(), s(&email)),
            (
                "shipTo".to_string(),
                m(&[("recipient", s(&name)), ("city", s("Springfield"))]),
            ),
            (
                "notes".to_string(),
                AttributeValue::L(vec![s(&format!("call {name} first"))]),
            ),
            ("GSI2PK".to_string(), s(&format!("BILLING#{email}"))),
        ]));
    }
    let src = table_with(&db, items.clone()).await;
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, err) = run(
        dir.path(),
        &[
            "copy",
            "--from-table",
            &src,
            "--to-table",
            &dst,
            "--yes",
            "--redact-attr",
            "email=email",
            "--redact-attr",
            "contact.name=name",
        ],
    );
    assert!(ok, "{err}");
    let copied = snapshot(&db, &dst).await;
    assert_eq!(copied.len(), items.len());
    let all: String = copied
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    for o in &originals {
        assert!(!all.contains(o.as_str()), "`{o}` left in the copy:\n{all}");
    }
    assert!(all.contains("Springfield"), "other values are kept");
    // The same original has the same fake everywhere.
    let scan = db
        .client()
        .scan()
        .table_name(&dst)
        .send()
        .await
        .expect("scan");
    let got = scan.items.unwrap_or_default();
    for it in got
        .iter()
        .filter(|it| it.get("Type") == Some(&s("Customer")))
    {
        let Some(AttributeValue::M(contact)) = it.get("contact") else {
            panic!("contact kept as a map")
        };
        let Some(AttributeValue::S(email)) = contact.get("email") else {
            panic!("email kept as a string")
        };
        assert_eq!(it["GSI1PK"], s(&format!("EMAIL#{email}")));
        let order = got
            .iter()
            .find(|o| o["PK"] == it["PK"] && o.get("Type") == Some(&s("Order")))
            .expect("its order");
        assert_eq!(order["billingEmail"], s(email));
        assert_eq!(order["GSI2PK"], s(&format!("BILLING#{email}")));
        let Some(AttributeValue::M(ship)) = order.get("shipTo") else {
            panic!("shipTo kept as a map")
        };
        assert_eq!(ship.get("recipient"), contact.get("name"));
    }
}

#[tokio::test]
async fn imports_and_copies_are_in_the_audit_log_with_the_keys_they_wrote() {
    let db = db();
    let items = crafted();
    let src = table_with(&db, items.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("all.jsonl");
    let f = file.to_str().expect("utf-8 path");
    let (ok, err) = run(dir.path(), &["export", "--table", &src, "-o", f]);
    assert!(ok, "{err}");
    let imported = empty_table(&db).await;
    let (ok, err) = run(dir.path(), &["import", f, "--table", &imported, "--yes"]);
    assert!(ok, "{err}");
    let copied = empty_table(&db).await;
    let (ok, err) = run(
        dir.path(),
        &["copy", "--from-table", &src, "--to-table", &copied, "--yes"],
    );
    assert!(ok, "{err}");
    let log = std::fs::read_to_string(dir.path().join("dyntui/audit.jsonl")).expect("audit log");
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let keys_of = |it: &Item| -> serde_json::Value {
        value::item_to_dynamo(&Item::from([
            ("PK".to_string(), it["PK"].clone()),
            ("SK".to_string(), it["SK"].clone()),
        ]))
    };
    let mut want: Vec<String> = items.iter().map(|i| keys_of(i).to_string()).collect();
    want.sort();
    for (action, table) in [("import", &imported), ("copy", &copied)] {
        let e = entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} entry in {log}"));
        assert_eq!(e["table"], table.as_str());
        assert_eq!(e["endpoint"], common::endpoint().as_str());
        assert!(e["by"].as_str().is_some_and(|b| !b.is_empty()), "{e}");
        assert!(e["run"].as_str().is_some_and(|r| !r.is_empty()), "{e}");
        assert_eq!(e["summary"]["written"], items.len() as u64, "{e}");
        let mut got: Vec<String> = e["summary"]["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k.to_string())
            .collect();
        got.sort();
        assert_eq!(got, want, "{action}: the keys written");
    }
}

#[tokio::test]
async fn copy_refuses_a_protected_destination_without_its_name() {
    let db = db();
    let src = table_with(&db, crafted()).await;
    let name = format!("{}-prod", unique("copy"));
    demo_design(&name).create(&db).await.expect("create");
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, err) = run(
        dir.path(),
        &["copy", "--from-table", &src, "--to-table", &name, "--yes"],
    );
    assert!(!ok);
    assert!(err.contains("read-only"), "{err}");
    assert!(snapshot(&db, &name).await.is_empty());
    let _ = put;
}

// ----------------------------------- plain imports, stops, pipes, duplicates

/// The checkpoint files of imports and seeds in a state dir.
fn checkpoints(state: &Path) -> usize {
    std::fs::read_dir(state.join("dyntui"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("seed-"))
                .count()
        })
        .unwrap_or(0)
}

fn interrupt(child: &std::process::Child) {
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
}

#[tokio::test]
async fn a_plain_export_is_imported_only_when_asked_and_with_a_warning() {
    // Sets were written as arrays and binary as base64: imported silently,
    // they came back as lists and strings.
    let db = db();
    let items = crafted();
    let src = table_with(&db, items.clone()).await;
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain.jsonl");
    let f = file.to_str().unwrap();
    let (ok, err) = run(
        dir.path(),
        &["export", "--table", &src, "-o", f, "--format", "plain"],
    );
    assert!(ok, "{err}");
    let (ok, err) = run(dir.path(), &["import", f, "--table", &dst, "--yes"]);
    assert!(!ok, "{err}");
    assert!(err.contains("is a plain JSON export"), "{err}");
    assert!(err.contains("--allow-plain"), "{err}");
    assert!(snapshot(&db, &dst).await.is_empty(), "nothing written");

    let (ok, err) = run(
        dir.path(),
        &["import", f, "--table", &dst, "--yes", "--allow-plain"],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("warning:") && err.contains("sets are imported as lists"),
        "{err}"
    );
    assert_eq!(snapshot(&db, &dst).await.len(), items.len());
    let got = common::items::get(&db, &dst, "EDGE#0", "ITEM#000").await;
    assert!(
        matches!(got.get("ss"), Some(AttributeValue::L(_))),
        "{got:?}"
    );
    assert!(
        matches!(got.get("bin"), Some(AttributeValue::S(_))),
        "{got:?}"
    );
}

#[tokio::test]
async fn stopped_imports_and_exports_exit_130_and_import_shows_what_it_writes() {
    let db = db();
    let items = generate(
        6,
        DemoSize {
            customers: 120,
            products: 20,
            orders: 200,
            reviews: 60,
        },
    );
    let src = table_with(&db, items.clone()).await;
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("all.jsonl");
    let f = file.to_str().unwrap();
    let (ok, err) = run(dir.path(), &["export", "--table", &src, "-o", f]);
    assert!(ok, "{err}");

    // A slow import (20 WCU/s), stopped by Ctrl-C after a progress line.
    let child = bin(
        dir.path(),
        &[
            "import",
            f,
            "--table",
            &dst,
            "--yes",
            "--concurrency",
            "1",
            "--rate-limit",
            "20",
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn import");
    let began = std::time::Instant::now();
    while checkpoints(dir.path()) == 0 {
        assert!(began.elapsed() < Duration::from_secs(60), "no checkpoint");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Plain progress lines come every 3 s without a terminal.
    std::thread::sleep(Duration::from_millis(3500));
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("stopped after"), "{err}");
    let progress = err
        .lines()
        .find(|l| l.starts_with("importing:"))
        .unwrap_or_else(|| panic!("no progress line in\n{err}"));
    assert!(
        progress.contains("written ")
            && progress.contains(&format!(" of {} items", items.len()))
            && progress.contains(" WCU"),
        "{progress}"
    );
    assert!(!err.contains("scanned 0"), "{err}");
    let written = snapshot(&db, &dst).await.len();
    assert!(written > 0 && written < items.len(), "{written}");

    // A slow export, stopped the same way.
    let out_file = dir.path().join("slow.jsonl");
    let child = bin(
        dir.path(),
        &[
            "export",
            "--table",
            &src,
            "-o",
            out_file.to_str().unwrap(),
            "--read-rate-limit",
            "2",
            "--page-size",
            "20",
            "--segments",
            "1",
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn export");
    let partial = export::partial_path(&out_file);
    let began = std::time::Instant::now();
    while !partial.exists() {
        assert!(began.elapsed() < Duration::from_secs(60), "no partial file");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("stopped:"), "{err}");
    assert!(
        !out_file.exists(),
        "an incomplete export keeps its .partial name"
    );
}

#[tokio::test]
async fn scan_into_a_closed_pipe_exits_quietly() {
    // `dyntui scan | head -1`: the reader goes away after a line.
    let db = db();
    let src = table_with(
        &db,
        generate(
            2,
            DemoSize {
                customers: 200,
                products: 20,
                orders: 300,
                reviews: 50,
            },
        ),
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = bin(dir.path(), &["scan", "--table", &src, "--page-size", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scan");
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("read a line");
        assert!(first.starts_with('{'), "{first}");
    } // the read end is closed here
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{err}", out.status);
    assert!(err.trim().is_empty(), "nothing on stderr:\n{err}");
}

#[tokio::test]
async fn duplicate_keys_in_an_import_file_are_reported_with_both_lines() {
    // Validation passed; BatchWriteItem failed after 175 items with
    // "Provided list of item keys contains duplicates".
    let db = db();
    let dst = empty_table(&db).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dups.jsonl");
    let mut text = String::new();
    for i in 1..=200 {
        let k = if i == 180 { 2 } else { i };
        text.push_str(&format!(
            r#"{{"PK":{{"S":"P#{k:03}"}},"SK":{{"S":"A"}},"n":{{"N":"{i}"}}}}"#
        ));
        text.push('\n');
    }
    text.push_str(r#"{"_dyntui_export":{"version":1,"table":"t","format":"dynamodb","items":200,"complete":true}}"#);
    text.push('\n');
    std::fs::write(&file, text).expect("write");
    let (ok, err) = run(
        dir.path(),
        &["import", file.to_str().unwrap(), "--table", &dst, "--yes"],
    );
    assert!(!ok, "{err}");
    let f = std::fs::canonicalize(&file).unwrap().display().to_string();
    let want = format!("{f}:180: duplicate key PK=P#002, SK=A: {f}:2 has the same key");
    assert!(err.contains(&want), "`{want}` not in\n{err}");
    assert!(snapshot(&db, &dst).await.is_empty(), "nothing written");
}

#[tokio::test]
async fn a_split_export_shared_by_two_workers_imports_identically_once_every_part_is_done() {
    let db = db();
    let mut items = crafted();
    items.extend(generate(
        7,
        DemoSize {
            customers: 30,
            products: 10,
            orders: 50,
            reviews: 10,
        },
    ));
    let src = table_with(&db, items.clone()).await;
    let dst = unique("imp-split");
    let dir = tempfile::tempdir().expect("tempdir");
    let parts = dir.path().join("parts");
    let out = parts.to_str().unwrap();
    let worker = |id: &str| {
        run(
            dir.path(),
            &[
                "export",
                "--table",
                &src,
                "-o",
                out,
                "--parts",
                "6",
                "--workers",
                "2",
                "--worker-id",
                id,
            ],
        )
    };
    let (ok, err) = worker("w0");
    assert!(ok, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [0, 2, 4]
            .iter()
            .map(|p| format!("{src}.part-0000{p}-of-00006.jsonl"))
            .collect::<Vec<_>>(),
        "worker 0 writes its share"
    );

    // Half an export is not imported.
    let (ok, err) = run(dir.path(), &["import", out, "--table", &dst, "--yes"]);
    assert!(!ok);
    assert!(
        err.contains("has 3 of its 6 parts") && err.contains("missing part(s) 1 3 5"),
        "{err}"
    );

    // A stopped part left behind is written again.
    std::fs::write(
        parts.join(format!("{src}.part-00003-of-00006.jsonl.partial")),
        "{\"_dyntui_export_start\":{\"version\":1,\"format\":\"dynamodb\"}}\n{\"PK\":",
    )
    .unwrap();
    let (ok, err) = worker("w1");
    assert!(ok, "{err}");
    // Running a worker again skips what is complete.
    let before = std::fs::metadata(parts.join(format!("{src}.part-00000-of-00006.jsonl")))
        .unwrap()
        .modified()
        .unwrap();
    let (ok, err) = worker("w0");
    assert!(ok, "{err}");
    assert_eq!(
        err.matches("complete already").count(),
        3,
        "every part of worker 0 skipped: {err}"
    );
    assert_eq!(
        std::fs::metadata(parts.join(format!("{src}.part-00000-of-00006.jsonl")))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );

    let (ok, err) = run(dir.path(), &["import", out, "--table", &dst, "--yes"]);
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("{} items in 6 parts", items.len())),
        "{err}"
    );
    assert_eq!(
        snapshot(&db, &dst).await,
        snapshot(&db, &src).await,
        "identical, byte for byte"
    );
}
