//! Wrong invocations of the command line, each with the message that names
//! the fix (an exact substring) and the exit code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dyntui")
}

const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

fn endpoint() -> String {
    std::env::var("DYNTUI_TEST_ENDPOINT")
        .expect("DYNTUI_TEST_ENDPOINT is not set: run the tests with scripts/test.sh")
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(bin())
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_endpoint_without_a_scheme_names_the_missing_http() {
    let (code, err) = run(&["--endpoint-url", "127.0.0.1:8250", "tables"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("write `http://127.0.0.1:8250`"), "{err}");
    let (code, err) = run(&["--endpoint-url", "ftp://h:1", "tables"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("must be http or https"), "{err}");
}

#[test]
fn a_key_without_its_sort_key_names_the_missing_attribute() {
    let ep = endpoint();
    let table = format!("cli-errors-{}", std::process::id());
    let (code, err) = run(&[
        "--endpoint-url",
        &ep,
        "--config",
        PROJECT,
        "seed",
        "demo",
        "--table",
        &table,
        "--yes",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let cases: [(&str, &str); 3] = [
        (r#"{"PK":"USER#user3"}"#, "`SK` is missing: table"),
        (
            r#"{"PK":"C#1","SK":"C#1","x":"y"}"#,
            "`x` is not a key attribute",
        ),
        (
            r#"{"PK":{"N":"1"},"SK":{"S":"C#1"}}"#,
            "`PK` is N but the table's key is S",
        ),
    ];
    for (key, want) in cases {
        for cmd in ["get", "delete"] {
            let (code, err) = run(&["--endpoint-url", &ep, cmd, "--table", &table, "--key", key]);
            assert_eq!(code, Some(1), "{cmd} {key}: {err}");
            assert!(err.contains(want), "{cmd} {key}: {err}");
            assert!(
                err.contains("keyed by PK (S) and SK (S)") || want.contains("is N"),
                "{err}"
            );
        }
    }
}
