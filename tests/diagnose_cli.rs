//! `dyntui diagnose` on the demo's incident snapshot: the exit code follows
//! the worst alert, the text names the hot key, JSON carries the alerts, and
//! `--save` writes a snapshot that reads back the same.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dyntui")
}

const INCIDENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/incident.json");
const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

#[test]
fn critical_incident_exits_3_and_names_the_hot_key() {
    let out = Command::new(bin())
        .args(["--config", PROJECT, "diagnose", "--snapshot", INCIDENT])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("CRITICAL"), "{text}");
    assert!(text.contains("Hot key CUSTOMER#c00243"), "{text}");
    assert!(
        text.contains("GSI2 write throttling is back-pressuring the table"),
        "{text}"
    );
    // Top keys are decoded by entity.
    assert!(text.contains("Customer customerId=c00243"), "{text}");
}

#[test]
fn json_output_and_save_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("again.json");
    let out = Command::new(bin())
        .args([
            "--config",
            PROJECT,
            "diagnose",
            "--snapshot",
            INCIDENT,
            "-o",
            "json",
            "--save",
        ])
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["table"], "dyntui-demo");
    let rules: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["rule"].as_str())
        .collect();
    assert!(
        rules.contains(&"hot_key_confirmed") && rules.contains(&"gsi_back_pressure"),
        "{rules:?}"
    );
    let a = dyntui::metrics::snapshot::Snapshot::load(std::path::Path::new(INCIDENT)).unwrap();
    let b = dyntui::metrics::snapshot::Snapshot::load(&saved).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_bad_snapshot_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"format\": 1,\n  oops\n}").unwrap();
    let out = Command::new(bin())
        .args(["diagnose", "--snapshot"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("line 3"), "line of the error: {err}");
}

#[test]
fn live_diagnose_against_dynamodb_local_says_there_is_no_cloudwatch() {
    let out = Command::new(bin())
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "diagnose",
            "--table",
            "t",
        ])
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NoCloudWatch") && err.contains("--snapshot"),
        "{err}"
    );
}
