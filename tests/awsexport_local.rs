//! AWS's export layout (ExportTableToPointInTime, DynamoDB JSON) imported
//! into DynamoDB Local: an export folder written here from AWS's
//! documented format (manifest-summary.json, manifest-files.json with each
//! data file's item count and MD5, gzip data files of `{"Item": ...}`
//! lines) arrives exactly, every type; a manifest that does not match is
//! refused, naming the file, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use common::items::{rich, snapshot, snapshot_of};
use common::{db, demo_design, endpoint, unique};
use dyntui::dynamo::{AttributeValue, Item, value};
use md5::{Digest, Md5};

fn gz(items: &[Item]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for it in items {
        let line = serde_json::json!({ "Item": value::item_to_dynamo(it) });
        writeln!(e, "{line}").unwrap();
    }
    e.finish().unwrap()
}

/// An export of `files` (data file name, items) under
/// `root/AWSDynamoDB/<id>/`, as a download of its S3 prefix looks.
fn write_export(root: &Path, files: &[(&str, Vec<Item>)]) -> std::path::PathBuf {
    let id = "01733011200000-a1b2c3d4";
    let dir = root.join("AWSDynamoDB").join(id);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let mut list = String::new();
    let mut total = 0;
    for (name, items) in files {
        let bytes = gz(items);
        std::fs::write(dir.join("data").join(name), &bytes).unwrap();
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&bytes));
        list += &serde_json::json!({
            "itemCount": items.len(),
            "md5Checksum": md5,
            "etag": "0123456789abcdef-1",
            "dataFileS3Key": format!("exports/AWSDynamoDB/{id}/data/{name}"),
        })
        .to_string();
        list.push('\n');
        total += items.len();
    }
    std::fs::write(dir.join("manifest-files.json"), list).unwrap();
    let summary = serde_json::json!({
        "version": "2020-06-30",
        "exportArn": format!("arn:aws:dynamodb:us-east-1:123456789012:table/orders/export/{id}"),
        "startTime": "2026-12-01T00:00:00.000Z",
        "endTime": "2026-12-01T00:05:00.000Z",
        "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        "tableId": "0000-1111",
        "exportTime": "2026-12-01T00:00:00.000Z",
        "s3Bucket": "bucket",
        "s3Prefix": "exports",
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": null,
        "manifestFilesS3Key": format!("exports/AWSDynamoDB/{id}/manifest-files.json"),
        "billedSizeBytes": 1234,
        "itemCount": total,
        "outputFormat": "DYNAMODB_JSON",
    });
    std::fs::write(dir.join("manifest-summary.json"), summary.to_string()).unwrap();
    dir
}

fn items(from: usize, n: usize) -> Vec<Item> {
    (from..from + n)
        .map(|i| {
            let mut it = rich(&format!("THING#{i:04}"), "A");
            it.insert(
                "bin".into(),
                AttributeValue::B(vec![0u8, 255, i as u8].into()),
            );
            it
        })
        .collect()
}

fn import(path: &Path, table: &str, home: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .args(["--endpoint-url", &endpoint(), "--log-file"])
        .arg(home.join("log"))
        .arg("import")
        .arg(path)
        .args(["-t", table, "--yes"])
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_export_folder_imports_exactly_every_type() {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let all: Vec<Item> = items(0, 60);
    write_export(
        root.path(),
        &[
            ("a1b2.json.gz", all[..25].to_vec()),
            ("c3d4.json.gz", all[25..].to_vec()),
        ],
    );
    let db = db();
    let table = unique("awsexport");
    demo_design(&table).create(&db).await.unwrap();
    // The downloaded prefix is named; the export folder under it is found.
    let out = import(root.path(), &table, home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("60 items in 2 data files, checked against its manifest"),
        "{stderr}"
    );
    // Exactly what was exported: every type, numbers as written, binary.
    let got = snapshot(&db, &table).await;
    let src = snapshot_of(&all);
    assert_eq!(got, src);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_whose_manifest_does_not_match_is_refused_and_nothing_written() {
    let home = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = write_export(root.path(), &[("a1b2.json.gz", items(0, 10))]);
    // The manifest says 11 items for a file of 10.
    let list = std::fs::read_to_string(dir.join("manifest-files.json")).unwrap();
    std::fs::write(
        dir.join("manifest-files.json"),
        list.replace("\"itemCount\":10", "\"itemCount\":11"),
    )
    .unwrap();
    let summary = std::fs::read_to_string(dir.join("manifest-summary.json")).unwrap();
    std::fs::write(
        dir.join("manifest-summary.json"),
        summary.replace("\"itemCount\":10", "\"itemCount\":11"),
    )
    .unwrap();
    let db = db();
    let table = unique("awsexport-bad");
    demo_design(&table).create(&db).await.unwrap();
    let out = import(&dir, &table, home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("a1b2.json.gz: holds 10 items but manifest-files.json says 11"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert!(snapshot(&db, &table).await.is_empty());
}

/// `aws dynamodb scan --output json` of the items.
fn scan_output(items: &[Item]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "Items": items.iter().map(value::item_to_dynamo).collect::<Vec<_>>(),
        "Count": items.len(),
        "ScannedCount": items.len(),
        "ConsumedCapacity": null,
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_tools_files_import_an_aws_cli_scan_exactly_and_lines_with_a_note() {
    let home = tempfile::tempdir().unwrap();
    let db = db();

    // The AWS CLI's scan output: every type, exactly; its Count checked.
    let all = items(100, 30);
    let file = home.path().join("scan.json");
    std::fs::write(&file, scan_output(&all)).unwrap();
    let table = unique("cliscan");
    demo_design(&table).create(&db).await.unwrap();
    let out = import(&file, &table, home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("an `aws dynamodb scan` output"), "{stderr}");
    assert_eq!(snapshot(&db, &table).await, snapshot_of(&all));

    // A Count that does not match: refused, nothing written.
    let bad = home.path().join("bad-scan.json");
    std::fs::write(
        &bad,
        scan_output(&all).replace("\"Count\": 30", "\"Count\": 31"),
    )
    .unwrap();
    let other = unique("cliscan-bad");
    demo_design(&other).create(&db).await.unwrap();
    let out = import(&bad, &other, home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("says Count 31 but holds 30 items"),
        "{stderr}"
    );
    assert!(snapshot(&db, &other).await.is_empty());

    // DynamoDB JSON lines from another tool (no dyntui markers): imported,
    // with a note that they cannot be checked for truncation.
    let lines = home.path().join("other.jsonl");
    let text: String = all
        .iter()
        .map(|it| format!("{}\n", value::item_to_dynamo(it)))
        .collect();
    std::fs::write(&lines, text).unwrap();
    let third = unique("otherlines");
    demo_design(&third).create(&db).await.unwrap();
    let out = import(&lines, &third, home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("is not a dyntui export")
            && stderr.contains("cannot be checked for truncation"),
        "{stderr}"
    );
    assert_eq!(snapshot(&db, &third).await, snapshot_of(&all));

    // dyntui's own export cut short (its header, no end marker): refused.
    let cut = home.path().join("cut.jsonl");
    let head = "{\"_dyntui_export_start\":{\"version\":1,\"format\":\"dynamodb\"}}\n";
    std::fs::write(&cut, format!("{head}{}\n", value::item_to_dynamo(&all[0]))).unwrap();
    let fourth = unique("cut");
    demo_design(&fourth).create(&db).await.unwrap();
    let out = import(&cut, &fourth, home.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("is truncated: it is a dyntui export"),
        "{stderr}"
    );
    assert!(snapshot(&db, &fourth).await.is_empty());
}

/// Scan a table's items.
async fn all_items(db: &dyntui::dynamo::client::Dynamo, t: &str) -> Vec<Item> {
    let r = db.client().scan().table_name(t).send().await.unwrap();
    r.items.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_redact_writes_no_original_and_the_same_fake_everywhere() {
    let home = tempfile::tempdir().unwrap();
    let db = db();
    let s = |v: &str| AttributeValue::S(v.into());
    // A customer and an order that repeats her email in another attribute.
    let customer = Item::from([
        ("PK".to_string(), s("CUSTOMER#c1")),
        ("SK".to_string(), s("CUSTOMER#c1")),
        ("email".to_string(), s("ada@corp.example")),
    ]);
    let order = Item::from([
        ("PK".to_string(), s("CUSTOMER#c1")),
        ("SK".to_string(), s("ORDER#1")),
        ("billingEmail".to_string(), s("ada@corp.example")),
    ]);
    let export = root_with_export(&[customer, order]);
    let run = |table: &str| {
        Command::new(env!("CARGO_BIN_EXE_dyntui"))
            .args(["--endpoint-url", &endpoint(), "--log-file"])
            .arg(home.path().join("log"))
            .arg("import")
            .arg(export.path())
            .args(["-t", table, "--yes", "--redact-attr", "email=email"])
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("AWS_ACCESS_KEY_ID", "dummy")
            .env("AWS_SECRET_ACCESS_KEY", "dummy")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let mut fakes = Vec::new();
    for _ in 0..2 {
        let table = unique("redacted");
        demo_design(&table).create(&db).await.unwrap();
        let out = run(&table);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let items = all_items(&db, &table).await;
        assert_eq!(items.len(), 2);
        let text = format!("{items:?}");
        assert!(
            !text.contains("ada@corp.example"),
            "an original was kept: {text}"
        );
        let email = |it: &Item, a: &str| it.get(a).cloned();
        let c = items.iter().find_map(|it| email(it, "email")).unwrap();
        let o = items
            .iter()
            .find_map(|it| email(it, "billingEmail"))
            .unwrap();
        assert_eq!(c, o, "the same original, the same fake, wherever it occurs");
        fakes.push(c);
    }
    // Drawn from the file: the same fakes on every import of it (so an
    // interrupted import resumes with them).
    assert_eq!(fakes[0], fakes[1]);
}

/// A folder holding an AWS export of `items` (one data file).
fn root_with_export(items: &[Item]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    write_export(root.path(), &[("e1.json.gz", items.to_vec())]);
    root
}
