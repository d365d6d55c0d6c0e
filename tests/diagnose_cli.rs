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
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("Customer") && l.contains("customerId=c00243")),
        "{text}"
    );
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

fn diagnose_text(extra: &[&str], snapshot: &str) -> (String, Option<i32>) {
    let out = Command::new(bin())
        .args(extra)
        .args(["diagnose", "--snapshot", snapshot])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// The lines of a section (after its heading, up to the next blank line).
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(heading))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_report_reads_verdict_then_alerts_by_severity_then_next_commands() {
    let (text, code) = diagnose_text(&["--config", PROJECT], INCIDENT);
    assert_eq!(code, Some(3), "{text}");
    // The first line is the verdict: severity, what, where.
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("CRITICAL: Hot key CUSTOMER#c00243 throttled on table (dyntui-demo, "),
        "{first}"
    );
    assert!(
        first.contains("4 alerts: 1 critical, 2 warnings, 1 info"),
        "{first}"
    );
    // Alerts by severity: every CRITICAL before every WARNING before INFO.
    let tags: Vec<&str> = section(&text, "ALERTS")
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| ["CRITICAL", "WARNING", "INFO"].contains(w))
        .collect();
    assert_eq!(tags, ["CRITICAL", "WARNING", "WARNING", "INFO"], "{text}");
    // Nothing that only works in the TUI.
    assert!(!text.to_lowercase().contains("press enter"), "{text}");
    // Which project file decoded the keys.
    assert!(text.contains(&format!("project file: {PROJECT}")), "{text}");
    // Plain names for Contributor Insights rules.
    assert!(
        text.contains("most throttled partition keys (PKT)"),
        "{text}"
    );
    assert!(!text.contains("Pkc "), "{text}");
    // Units on every figure.
    for l in section(&text, "PEAKS") {
        assert!(
            ["RCU/s", "WCU/s", " ms ", "throttle events"]
                .iter()
                .any(|u| l.contains(u)),
            "no unit: {l}"
        );
    }
    let top = section(&text, "TOP KEYS");
    assert!(top.len() > 4, "{text}");
    for l in top.iter().filter(|l| l.starts_with("    ")) {
        assert!(
            l.contains(" capacity units") || l.contains(" throttled requests"),
            "no unit: {l}"
        );
    }
    assert!(
        text.contains("OrderItem  orderId=o000412 sku=OUT-1002"),
        "{text}"
    );
    // The next commands are exact.
    let next = section(&text, "NEXT COMMANDS");
    assert!(
        next[0].trim_start().starts_with("dyntui ")
            && next[0].contains("query --table dyntui-demo --pk 'CUSTOMER#c00243'"),
        "{next:?}"
    );
}

#[test]
fn without_a_project_file_the_report_says_so_and_still_names_key_fields() {
    let (text, _) = diagnose_text(&[], INCIDENT);
    assert!(text.contains("project file: none found"), "{text}");
    assert!(text.contains("dyntui init"), "{text}");
    assert!(text.contains("~CUSTOMER=c00243"), "{text}");
}

#[test]
fn a_quiet_snapshot_says_ok_first_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut snap =
        dyntui::metrics::snapshot::Snapshot::load(std::path::Path::new(INCIDENT)).unwrap();
    snap.alerts.clear();
    let quiet = dir.path().join("quiet.json");
    snap.save(&quiet).unwrap();
    let (text, code) = diagnose_text(&["--config", PROJECT], quiet.to_str().unwrap());
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("OK: no alerts on dyntui-demo"), "{text}");
    assert!(!text.contains("NEXT COMMANDS"), "{text}");
}

#[test]
fn json_has_the_verdict_sorted_alerts_next_commands_and_units() {
    let out = Command::new(bin())
        .args([
            "--config",
            PROJECT,
            "diagnose",
            "--snapshot",
            INCIDENT,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        v["verdict"]
            .as_str()
            .unwrap()
            .starts_with("CRITICAL: Hot key")
    );
    let sev: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["severity"].as_str().unwrap())
        .collect();
    assert_eq!(sev.first(), Some(&"Critical"), "{sev:?}");
    assert_eq!(sev.last(), Some(&"Info"), "{sev:?}");
    assert!(
        v["nextCommands"][0]["command"]
            .as_str()
            .unwrap()
            .contains("--pk 'CUSTOMER#c00243'")
    );
    for k in v["topKeys"].as_array().unwrap() {
        assert!(k["unit"].is_string() && k["ruleName"].is_string(), "{k}");
    }
    assert_eq!(v["projectFile"], PROJECT);
}

/// The first next command, run against DynamoDB Local on a seeded demo
/// table, returns the hot partition's items.
#[test]
fn the_next_command_returns_the_hot_partition_from_a_seeded_demo_table() {
    let Ok(endpoint) = std::env::var("DYNTUI_TEST_ENDPOINT") else {
        panic!("DYNTUI_TEST_ENDPOINT is not set: run the tests with scripts/test.sh");
    };
    let table = format!("diag-next-{}", std::process::id());
    let seed = Command::new(bin())
        .args(["--endpoint-url", &endpoint, "--config", PROJECT])
        .args(["seed", "demo", "--table", &table, "--yes"])
        .output()
        .unwrap();
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let (text, _) = diagnose_text(&["--config", PROJECT], INCIDENT);
    let next = section(&text, "NEXT COMMANDS");
    let words = shlex::split(next[0].trim()).expect("a shell command");
    assert_eq!(words[0], "dyntui");
    let args: Vec<String> = words[1..]
        .iter()
        .map(|w| {
            if w == "dyntui-demo" {
                table.clone()
            } else {
                w.clone()
            }
        })
        .collect();
    let out = Command::new(bin())
        .args(["--endpoint-url", &endpoint])
        .args(&args)
        .args(["-o", "jsonl"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!items.is_empty(), "{stdout}");
    assert!(
        items.iter().all(|i| i["PK"] == "CUSTOMER#c00243"),
        "{stdout}"
    );
}
