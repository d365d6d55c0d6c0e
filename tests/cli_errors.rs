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

#[test]
fn mistyped_names_get_the_nearest_suggested() {
    let ep = endpoint();
    let cfg = ["--endpoint-url", ep.as_str(), "--config", PROJECT];
    // A mistyped pattern.
    let (code, err) = run(&[&cfg[..], &["query", "custmer-orders", "--table", "t"]].concat());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("did you mean `customer-orders`?"), "{err}");
    // A table name where a pattern name goes, with --pk.
    let (code, err) = run(&[&cfg[..], &["query", "hx-plain", "--pk", "A#1"]].concat());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("`hx-plain` was taken as a saved pattern's name"),
        "{err}"
    );
    assert!(err.contains("--table hx-plain --pk"), "{err}");
    // An unknown parameter.
    let (code, err) = run(&[
        &cfg[..],
        &[
            "query",
            "customer-orders",
            "--table",
            "t",
            "--param",
            "customer=c1",
        ],
    ]
    .concat());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("--param customer: pattern `customer-orders` has no such parameter"),
        "{err}"
    );
    assert!(err.contains("did you mean `customerId`?"), "{err}");
    // A mistyped table.
    let table = format!("cli-typo-{}", std::process::id());
    let (code, err) = run(&[&cfg[..], &["seed", "demo", "--table", &table, "--yes"]].concat());
    assert_eq!(code, Some(0), "{err}");
    let typo = table.replace("typo", "tpyo");
    let (code, err) = run(&["--endpoint-url", &ep, "describe", "--table", &typo]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&format!("did you mean `{table}`?")), "{err}");
    // The endpoint is named once.
    assert_eq!(err.matches(ep.as_str()).count(), 1, "{err}");
}

#[test]
fn missing_credentials_print_the_hint_first_and_the_chain_only_with_verbose() {
    let home = tempfile::tempdir().unwrap();
    let base = |verbose: bool| {
        let mut c = Command::new(bin());
        c.args(["--region", "us-east-1", "tables"])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"));
        if verbose {
            c.arg("--verbose");
        }
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = base(false);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("NoCredentials: no AWS credentials were found"),
        "{err}"
    );
    assert!(
        err.contains("hint: set AWS_PROFILE or pass --profile"),
        "{err}"
    );
    assert!(
        !err.contains("DispatchFailure") && !err.contains("ProviderError"),
        "{err}"
    );
    assert!(err.len() < 600, "short: {} bytes\n{err}", err.len());
    let (_, verbose) = base(true);
    assert!(verbose.contains("detail: "), "{verbose}");
}
