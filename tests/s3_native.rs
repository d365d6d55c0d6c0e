//! DynamoDB's own export and import through S3, against moto (Apache-2.0;
//! `scripts/moto.sh`, started by `scripts/test.sh`, which exports
//! DYNTUI_TEST_MOTO): the native export (PITR refused without --yes and
//! under --read-only, enabled and audited with --yes, followed to
//! COMPLETED, listed by `dyntui exports`), its data read back from S3
//! through the streaming reader into DynamoDB Local exactly, a failed
//! export, ImportTable into a new table from the design, refused for an
//! existing table, a failed import; AWS export folders in S3 imported
//! into DynamoDB Local exactly, a manifest or MD5 mismatch refused naming
//! the file; a dyntui export file in S3 imported (a cut one refused); and,
//! against a small fake endpoint whose export never ends, Ctrl-C stopping
//! the follow with the command that follows it again.
//!
//! moto 5.2 writes one gzip data file and no manifests, has no
//! incremental export and reports no manifest key, start or end time, so
//! the round trip adds the manifests AWS would write.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use base64::Engine;
use common::items::{put, rich, snapshot, snapshot_of};
use common::{demo_design, unique};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::{AttributeValue, Item, value};
use md5::{Digest, Md5};

/// moto's endpoint, or None (the test says it is skipped).
fn moto(test: &str) -> Option<String> {
    match std::env::var("DYNTUI_TEST_MOTO") {
        Ok(m) if !m.is_empty() => Some(m),
        _ => {
            eprintln!(
                "SKIPPED {test}: DYNTUI_TEST_MOTO is not set (scripts/test.sh starts moto with scripts/moto.sh and sets it)"
            );
            None
        }
    }
}

/// DynamoDB and S3 both at moto.
fn moto_db(ep: &str) -> Dynamo {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(ep)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("dummy", "dummy", None, None, "test"),
        ))
        .build();
    Dynamo::from_config(config, None, Some(ep.to_string())).with_s3_endpoint(ep)
}

fn bucket_name(prefix: &str) -> String {
    unique(prefix).to_ascii_lowercase()
}

async fn create_bucket(db: &Dynamo, bucket: &str) {
    db.s3().create_bucket().bucket(bucket).send().await.unwrap();
}

async fn upload(db: &Dynamo, bucket: &str, key: &str, body: Vec<u8>) {
    db.s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

async fn keys(db: &Dynamo, bucket: &str, prefix: &str) -> Vec<String> {
    let out = db
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

async fn object(db: &Dynamo, bucket: &str, key: &str) -> Vec<u8> {
    let out = db
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().to_vec()
}

/// The binary with `args`, no terminal, its state in `home`.
fn dyntui(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--log-file")
        .arg(home.join("log"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("DYNTUI_AUDIT_LOG", home.join("audit.jsonl"))
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("DYNTUI_S3_ENDPOINT")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn demo_config() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml").to_string()
}

/// Items with every type: numbers of 38 digits, binary, sets, nested
/// lists and maps, booleans and nulls.
fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| {
            let mut it = rich(&format!("THING#{i:03}"), "A");
            it.insert(
                "bin".into(),
                AttributeValue::B(vec![0u8, 255, i as u8].into()),
            );
            it.insert("n".into(), AttributeValue::N(format!("9{i:036}.5")));
            it
        })
        .collect()
}

async fn pitr(db: &Dynamo, table: &str) -> bool {
    dyntui::dynamo::native::pitr_enabled(db, table)
        .await
        .unwrap()
}

/// A moto table of the demo design holding `all`.
async fn moto_table(db: &Dynamo, name: &str, all: &[Item]) {
    demo_design(name).create(db).await.unwrap();
    for it in all {
        put(db, name, it.clone()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_export_asks_for_pitr_then_completes_and_its_data_reads_back_exactly() {
    let Some(ep) = moto("a_native_export_...") else {
        return;
    };
    let db = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let table = unique("native-export");
    let all = items(30);
    moto_table(&db, &table, &all).await;
    let bucket = bucket_name("exports");
    create_bucket(&db, &bucket).await;
    let dest = format!("s3://{bucket}/daily");
    let base = [
        "--endpoint-url",
        ep.as_str(),
        "export",
        "-t",
        table.as_str(),
    ];

    // PITR off, no --yes, no terminal: refused with both fixes named.
    let out = dyntui(home.path(), &[&base[..], &["--s3", &dest]].concat());
    let (_, err) = text(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("point-in-time recovery is off"), "{err}");
    assert!(err.contains("pass --yes"), "{err}");
    assert!(
        err.contains("aws dynamodb update-continuous-backups --table-name"),
        "{err}"
    );
    assert!(!pitr(&db, &table).await, "nothing enabled without --yes");

    // --read-only refuses to enable it, even with --yes.
    let out = dyntui(
        home.path(),
        &[&["--read-only"][..], &base[..], &["--s3", &dest, "--yes"]].concat(),
    );
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("--read-only"), "{err}");
    assert!(!pitr(&db, &table).await);

    // --yes enables it (audited), starts the export and follows it.
    let out = dyntui(
        home.path(),
        &[&base[..], &["--s3", &dest, "--yes"]].concat(),
    );
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{err}\n{stdout}");
    assert!(pitr(&db, &table).await);
    assert!(err.contains("point-in-time recovery enabled"), "{err}");
    assert!(stdout.contains("export COMPLETED: arn:"), "{stdout}");
    assert!(stdout.contains(&format!("location: {dest}")), "{stdout}");
    assert!(stdout.contains("items:    30"), "{stdout}");
    let audit = std::fs::read_to_string(home.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("enable-pitr") && audit.contains(&table),
        "{audit}"
    );

    // What it wrote: one gzip data file under daily/AWSDynamoDB/<id>/data/
    // (moto writes no manifests; add the ones AWS writes).
    let data: Vec<String> = keys(&db, &bucket, "daily/AWSDynamoDB/").await;
    assert_eq!(data.len(), 1, "{data:?}");
    let key = &data[0];
    let folder = key.split("/data/").next().unwrap().to_string();
    let bytes = object(&db, &bucket, key).await;
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&bytes));
    let files = serde_json::json!({
        "itemCount": 30, "md5Checksum": md5, "etag": "x-1", "dataFileS3Key": key,
    });
    upload(
        &db,
        &bucket,
        &format!("{folder}/manifest-files.json"),
        format!("{files}\n").into_bytes(),
    )
    .await;
    let summary = serde_json::json!({
        "version": "2020-06-30", "exportArn": "arn:moto", "tableArn": "arn:moto:table",
        "exportTime": "2026-12-01T00:00:00Z", "itemCount": 30, "outputFormat": "DYNAMODB_JSON",
        "manifestFilesS3Key": format!("{folder}/manifest-files.json"),
    });
    upload(
        &db,
        &bucket,
        &format!("{folder}/manifest-summary.json"),
        summary.to_string().into_bytes(),
    )
    .await;

    // Read back from S3 (streamed) into DynamoDB Local: every item exact.
    let local = common::db();
    let target = unique("native-roundtrip");
    demo_design(&target).create(&local).await.unwrap();
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &common::endpoint(),
            "--s3-endpoint",
            &ep,
            "import",
            &dest,
            "-t",
            &target,
            "--yes",
        ],
    );
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("30 items in 1 data files, checked against its manifest"),
        "{err}"
    );
    assert_eq!(snapshot(&local, &target).await, snapshot_of(&all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_lists_a_tables_native_exports_as_text_and_json() {
    let Some(ep) = moto("exports_lists_...") else {
        return;
    };
    let db = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let table = unique("native-list");
    moto_table(&db, &table, &items(3)).await;
    dyntui::dynamo::native::enable_pitr(&db, &table)
        .await
        .unwrap();
    let bucket = bucket_name("listed");
    create_bucket(&db, &bucket).await;
    let dest = format!("s3://{bucket}/p");
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &ep,
            "export",
            "-t",
            &table,
            "--s3",
            &dest,
            "--no-wait",
        ],
    );
    let (arn, err) = text(&out);
    assert!(out.status.success(), "{err}");
    let arn = arn.trim().to_string();
    assert!(arn.starts_with("arn:"), "--no-wait prints the ARN: {arn}");
    assert!(err.contains("dyntui exports describe"), "{err}");

    let out = dyntui(
        home.path(),
        &["--endpoint-url", &ep, "exports", "-t", &table],
    );
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{err}");
    let tail = arn.rsplit('/').next().unwrap();
    assert!(stdout.starts_with("EXPORT"), "{stdout}");
    assert!(stdout.contains(tail), "{stdout}");
    assert!(stdout.contains("FULL_EXPORT"), "{stdout}");
    assert!(stdout.contains(&dest), "{stdout}");

    let out = dyntui(
        home.path(),
        &["--endpoint-url", &ep, "exports", "-t", &table, "-o", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["exportArn"], arn.as_str());
    assert_eq!(v[0]["location"], dest.as_str());

    // Following one by its ARN ends with its summary.
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &ep,
            "exports",
            "describe",
            &arn,
            "--follow",
        ],
    );
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(stdout.contains("export COMPLETED"), "{stdout}");
    assert!(stdout.contains("items:    3"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_native_export_prints_its_failure_and_exits_non_zero() {
    let Some(ep) = moto("a_failed_native_export_...") else {
        return;
    };
    let db = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let table = unique("native-fail");
    moto_table(&db, &table, &items(2)).await;
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &ep,
            "export",
            "-t",
            &table,
            "--s3",
            "s3://no-such-bucket-here/p",
            "--yes",
        ],
    );
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}\n{stdout}");
    assert!(stdout.contains("export FAILED"), "{stdout}");
    assert!(stdout.contains("failure:  S3NoSuchBucket"), "{stdout}");
}

/// A gzip object of `{"Item": ...}` lines.
fn gz_lines(items: &[Item]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for it in items {
        let line = serde_json::json!({ "Item": value::item_to_dynamo(it) });
        writeln!(e, "{line}").unwrap();
    }
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_import_creates_the_table_from_the_design_and_loads_it() {
    let Some(ep) = moto("a_native_import_...") else {
        return;
    };
    let db = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let bucket = bucket_name("imports");
    create_bucket(&db, &bucket).await;
    let all = items(12);
    upload(&db, &bucket, "in/data/one.json.gz", gz_lines(&all)).await;
    let table = unique("native-import");
    let config = demo_config();
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &ep,
            "--config",
            &config,
            "import",
            &format!("s3://{bucket}/in"),
            "-t",
            &table,
            "--native",
            "--yes",
        ],
    );
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{err}\n{stdout}");
    assert!(stdout.contains("import COMPLETED"), "{stdout}");
    assert!(stdout.contains("12 imported of 12 processed"), "{stdout}");
    // The table has the design's keys and indexes.
    let info = db.describe(&table).await.unwrap();
    assert_eq!(info.pk.as_ref().unwrap().name, "PK");
    assert_eq!(info.sk.as_ref().unwrap().name, "SK");
    let mut gsis: Vec<&str> = info.indexes.iter().map(|i| i.name.as_str()).collect();
    gsis.sort();
    assert_eq!(gsis, ["GSI1", "GSI2"]);
    assert_eq!(snapshot(&db, &table).await.len(), 12);
    let audit = std::fs::read_to_string(home.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("native-import"), "{audit}");

    // Into the table that now exists: refused, pointing at the local import.
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &ep,
            "--config",
            &config,
            "import",
            &format!("s3://{bucket}/in"),
            "-t",
            &table,
            "--native",
            "--yes",
        ],
    );
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("table `{table}` exists"))
            && err.contains(&format!(
                "dyntui import s3://{bucket}/in --table {table} (without --native"
            )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_native_import_reports_its_errors_and_exits_non_zero() {
    let Some(ep) = moto("a_failed_native_import_...") else {
        return;
    };
    let db = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let bucket = bucket_name("badimports");
    create_bucket(&db, &bucket).await;
    // The second item has no sort key: it cannot be imported.
    let mut bad = items(2);
    bad[1].remove("SK");
    upload(&db, &bucket, "in/data/one.json.gz", gz_lines(&bad)).await;
    let table = unique("native-import-bad");
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &ep,
            "--config",
            &demo_config(),
            "import",
            &format!("s3://{bucket}/in"),
            "-t",
            &table,
            "--native",
            "--yes",
        ],
    );
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}\n{stdout}");
    assert!(stdout.contains("import FAILED"), "{stdout}");
    assert!(stdout.contains("errors:   1"), "{stdout}");
    assert!(stdout.contains("failure:"), "{stdout}");
    assert!(stdout.contains("log:"), "{stdout}");
}

/// An AWS export folder (manifests and gzip data files) uploaded under
/// `prefix/AWSDynamoDB/<id>/`; returns the folder's key.
async fn upload_export(
    db: &Dynamo,
    bucket: &str,
    prefix: &str,
    files: &[(&str, Vec<Item>)],
) -> String {
    upload_export_as(db, bucket, prefix, "01733011200000-a1b2c3d4", files).await
}

async fn upload_export_as(
    db: &Dynamo,
    bucket: &str,
    prefix: &str,
    id: &str,
    files: &[(&str, Vec<Item>)],
) -> String {
    let folder = format!("{prefix}/AWSDynamoDB/{id}");
    let mut list = String::new();
    let mut total = 0;
    for (name, items) in files {
        let bytes = gz_lines(items);
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&bytes));
        let key = format!("{folder}/data/{name}");
        upload(db, bucket, &key, bytes).await;
        list += &serde_json::json!({
            "itemCount": items.len(), "md5Checksum": md5, "etag": "0-1", "dataFileS3Key": key,
        })
        .to_string();
        list.push('\n');
        total += items.len();
    }
    upload(
        db,
        bucket,
        &format!("{folder}/manifest-files.json"),
        list.into_bytes(),
    )
    .await;
    let summary = serde_json::json!({
        "version": "2020-06-30",
        "exportArn": format!("arn:aws:dynamodb:us-east-1:123456789012:table/orders/export/{id}"),
        "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        "exportTime": "2026-12-01T00:00:00.000Z",
        "itemCount": total,
        "outputFormat": "DYNAMODB_JSON",
        "manifestFilesS3Key": format!("{folder}/manifest-files.json"),
    });
    upload(
        db,
        bucket,
        &format!("{folder}/manifest-summary.json"),
        summary.to_string().into_bytes(),
    )
    .await;
    folder
}

fn import_local(home: &Path, moto: &str, source: &str, table: &str) -> Output {
    dyntui(
        home,
        &[
            "--endpoint-url",
            &common::endpoint(),
            "--s3-endpoint",
            moto,
            "import",
            source,
            "-t",
            table,
            "--yes",
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_folder_in_s3_streams_into_dynamodb_local_exactly() {
    let Some(ep) = moto("an_export_folder_in_s3_...") else {
        return;
    };
    let s3 = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let bucket = bucket_name("folders");
    create_bucket(&s3, &bucket).await;
    let all = items(60);
    let folder = upload_export(
        &s3,
        &bucket,
        "exports",
        &[
            ("a1b2.json.gz", all[..25].to_vec()),
            ("c3d4.json.gz", all[25..].to_vec()),
        ],
    )
    .await;
    let local = common::db();
    // The prefix above AWSDynamoDB/ is named; the folder under it is found.
    let table = unique("s3-folder");
    demo_design(&table).create(&local).await.unwrap();
    let out = import_local(home.path(), &ep, &format!("s3://{bucket}/exports"), &table);
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("60 items in 2 data files, checked against its manifest"),
        "{err}"
    );
    assert_eq!(snapshot(&local, &table).await, snapshot_of(&all));
    // The folder itself, named directly.
    let other = unique("s3-folder-direct");
    demo_design(&other).create(&local).await.unwrap();
    let out = import_local(home.path(), &ep, &format!("s3://{bucket}/{folder}"), &other);
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(snapshot(&local, &other).await, snapshot_of(&all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_in_s3_whose_manifest_does_not_match_is_refused_naming_the_file() {
    let Some(ep) = moto("an_export_in_s3_whose_manifest_...") else {
        return;
    };
    let s3 = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let bucket = bucket_name("badfolders");
    create_bucket(&s3, &bucket).await;
    let ten = items(10);
    let folder = upload_export(&s3, &bucket, "x", &[("a1b2.json.gz", ten)]).await;
    // The manifests say 11 items for a file of 10.
    for name in ["manifest-files.json", "manifest-summary.json"] {
        let key = format!("{folder}/{name}");
        let text = String::from_utf8(object(&s3, &bucket, &key).await).unwrap();
        upload(
            &s3,
            &bucket,
            &key,
            text.replace("\"itemCount\":10", "\"itemCount\":11")
                .into_bytes(),
        )
        .await;
    }
    let local = common::db();
    let table = unique("s3-folder-bad");
    demo_design(&table).create(&local).await.unwrap();
    let out = import_local(home.path(), &ep, &format!("s3://{bucket}/x"), &table);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "s3://{bucket}/{folder}/data/a1b2.json.gz: holds 10 items but manifest-files.json says 11"
        )),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
    assert!(snapshot(&local, &table).await.is_empty());

    // A data file replaced by another (its MD5 differs): refused, named.
    let folder = upload_export(&s3, &bucket, "y", &[("e5f6.json.gz", items(3))]).await;
    upload(
        &s3,
        &bucket,
        &format!("{folder}/data/e5f6.json.gz"),
        gz_lines(&items(4)[1..]),
    )
    .await;
    let out = import_local(home.path(), &ep, &format!("s3://{bucket}/y"), &table);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "s3://{bucket}/{folder}/data/e5f6.json.gz: its MD5 is"
        )),
        "{err}"
    );
    assert!(snapshot(&local, &table).await.is_empty());

    // Two exports under one prefix: refused, naming both.
    upload_export_as(&s3, &bucket, "two", "01-first", &[("a.json.gz", items(1))]).await;
    upload_export_as(&s3, &bucket, "two", "02-second", &[("b.json.gz", items(1))]).await;
    let out = import_local(home.path(), &ep, &format!("s3://{bucket}/two"), &table);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("holds 2 exports (01-first, 02-second); name one of their folders"),
        "{err}"
    );

    // No export under a prefix: said so, with what to do for a file.
    let out = import_local(home.path(), &ep, &format!("s3://{bucket}/nothing"), &table);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("no AWS export and no object at"), "{err}");
}

#[test]
fn the_native_and_local_flags_do_not_mix() {
    let home = tempfile::tempdir().unwrap();
    let off = "http://127.0.0.1:9";
    let cases: [(&[&str], &str); 5] = [
        (
            &["export", "-t", "T", "--s3", "s3://b12/p", "-o", "x.jsonl"],
            "cannot be used with",
        ),
        (
            &[
                "export",
                "-t",
                "T",
                "--s3",
                "s3://b12/p",
                "--filter",
                "a = 1",
            ],
            "cannot be used with",
        ),
        (
            &["export", "-t", "T", "-o", "x.jsonl", "--format", "ion"],
            "--format ion is for a native export",
        ),
        (
            &["export", "-t", "T", "--incremental", "--since", "2h"],
            "--s3",
        ),
        (
            &["import", "x.jsonl", "-t", "T", "--native"],
            "--native imports from S3",
        ),
    ];
    for (args, says) in cases {
        let out = dyntui(home.path(), &[&["--endpoint-url", off][..], args].concat());
        let (_, err) = text(&out);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabling_pitr_on_a_protected_table_needs_it_unlocked() {
    let Some(ep) = moto("enabling_pitr_on_a_protected_table_...") else {
        return;
    };
    let db = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let table = format!("prod-{}", unique("orders"));
    moto_table(&db, &table, &items(1)).await;
    let config = home.path().join("dyntui.toml");
    std::fs::write(&config, "[seeding]\nprotected_tables = [\"prod-*\"]\n").unwrap();
    let config = config.display().to_string();
    let base = [
        "--endpoint-url",
        ep.as_str(),
        "--config",
        config.as_str(),
        "export",
        "-t",
        table.as_str(),
        "--s3",
        "s3://no-bucket-needed/p",
        "--yes",
    ];
    let out = dyntui(home.path(), &base);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("Pass --unlock"), "{err}");
    assert!(!pitr(&db, &table).await);
    let out = dyntui(
        home.path(),
        &[
            &base[..],
            &["--unlock", "--confirm-table", table.as_str(), "--no-wait"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(pitr(&db, &table).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dyntui_export_file_in_s3_imports_exactly_and_a_cut_one_is_refused() {
    let Some(ep) = moto("a_dyntui_export_file_in_s3_...") else {
        return;
    };
    let s3 = moto_db(&ep);
    let home = tempfile::tempdir().unwrap();
    let local = common::db();
    // A dyntui export of a DynamoDB Local table, stored in S3.
    let all = items(40);
    let src = unique("s3-file-src");
    demo_design(&src).create(&local).await.unwrap();
    for it in &all {
        put(&local, &src, it.clone()).await;
    }
    let file = home.path().join("orders.jsonl");
    let out = dyntui(
        home.path(),
        &[
            "--endpoint-url",
            &common::endpoint(),
            "export",
            "-t",
            &src,
            "-o",
            &file.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out).1);
    let bytes = std::fs::read(&file).unwrap();
    let bucket = bucket_name("files");
    create_bucket(&s3, &bucket).await;
    upload(&s3, &bucket, "dumps/orders.jsonl", bytes.clone()).await;

    let table = unique("s3-file");
    demo_design(&table).create(&local).await.unwrap();
    let url = format!("s3://{bucket}/dumps/orders.jsonl");
    let out = import_local(home.path(), &ep, &url, &table);
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("copying {url}")), "{err}");
    assert_eq!(snapshot(&local, &table).await, snapshot_of(&all));
    let copies = home.path().join("state/dyntui/s3-imports");
    assert_eq!(
        std::fs::read_dir(&copies).unwrap().count(),
        0,
        "the copy is removed after the import"
    );

    // The same file cut short (its end marker lost): refused as truncated.
    let text_all = String::from_utf8(bytes).unwrap();
    let cut: String = text_all
        .lines()
        .take(10)
        .map(|l| format!("{l}\n"))
        .collect();
    upload(&s3, &bucket, "dumps/cut.jsonl", cut.into_bytes()).await;
    let other = unique("s3-file-cut");
    demo_design(&other).create(&local).await.unwrap();
    let out = import_local(
        home.path(),
        &ep,
        &format!("s3://{bucket}/dumps/cut.jsonl"),
        &other,
    );
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("truncated"), "{err}");
    assert!(snapshot(&local, &other).await.is_empty());
}

/// A DynamoDB endpoint whose export never ends: PITR on, the table's ARN,
/// and every DescribeExport IN_PROGRESS. One connection at a time.
fn endless_export_endpoint() -> String {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            loop {
                let (mut target, mut len) = (String::new(), 0usize);
                let mut line = String::new();
                let mut first = true;
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let l = line.trim_end();
                    if l.is_empty() && !first {
                        break;
                    }
                    first = false;
                    let lower = l.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("x-amz-target:") {
                        target = v.trim().to_string();
                    }
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                if target.is_empty() {
                    break;
                }
                let mut body = vec![0u8; len];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                let arn = "arn:aws:dynamodb:us-east-1:1:table/slow";
                let export = serde_json::json!({
                    "ExportArn": format!("{arn}/export/01733-slow"),
                    "ExportStatus": "IN_PROGRESS", "TableArn": arn,
                    "S3Bucket": "b12", "S3Prefix": "p",
                });
                let answer = match target.rsplit('.').next().unwrap_or("") {
                    "describecontinuousbackups" => serde_json::json!({
                        "ContinuousBackupsDescription": {
                            "ContinuousBackupsStatus": "ENABLED",
                            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}
                        }
                    }),
                    "describetable" => serde_json::json!({"Table": {"TableName": "slow", "TableArn": arn}}),
                    "exporttabletopointintime" | "describeexport" => {
                        serde_json::json!({ "ExportDescription": export })
                    }
                    _ => serde_json::json!({}),
                }
                .to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                if conn.write_all(resp.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    url
}

#[test]
fn ctrl_c_stops_following_an_export_and_says_how_to_follow_it_again() {
    let home = tempfile::tempdir().unwrap();
    let ep = endless_export_endpoint();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--log-file")
        .arg(home.path().join("log"))
        .args([
            "--endpoint-url",
            &ep,
            "export",
            "-t",
            "slow",
            "--s3",
            "s3://b12/p",
        ])
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the follow to begin (its first line), then Ctrl-C.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        use std::io::BufRead;
        assert!(err.read_line(&mut line).unwrap() > 0, "ended early: {seen}");
        seen += &line;
        if line.contains("IN_PROGRESS") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(130), "{seen}{rest}");
    assert!(
        rest.contains(
            "the export goes on in AWS. Follow it again with: dyntui exports describe arn:aws:dynamodb:us-east-1:1:table/slow/export/01733-slow --follow"
        ),
        "{seen}{rest}"
    );
}
