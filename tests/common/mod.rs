//! Shared set-up for tests against DynamoDB Local. `scripts/test.sh` starts
//! DynamoDB Local and exports DYNTUI_TEST_ENDPOINT; without it these tests
//! fail with a message saying so (they never pass silently).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly
#![allow(dead_code)]

pub mod items;
pub mod tags;

use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::client::KeyKind;
use dyntui::dynamo::design::{IndexDesign, KeyAttr, Projection, TableDesign};

pub fn endpoint() -> String {
    std::env::var("DYNTUI_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "DYNTUI_TEST_ENDPOINT is not set: run the tests with scripts/test.sh, which starts DynamoDB Local"
        )
    })
}

/// A client for DynamoDB Local with dummy credentials.
pub fn db() -> Dynamo {
    let ep = endpoint();
    let config = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&ep)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("dummy", "dummy", None, None, "test"),
        ))
        .build();
    Dynamo::from_config(config, None, Some(ep))
}

/// A table name no other test uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

fn s(name: &str) -> KeyAttr {
    KeyAttr {
        name: name.into(),
        kind: KeyKind::S,
    }
}

/// The demo design (PK/SK, GSI1, GSI2) under another name, without the
/// demo's stream: DynamoDB Local writes several times slower to a table
/// with a stream, which would change the timing the other tests measure.
pub fn demo_design(name: &str) -> TableDesign {
    let mut d = demo_design_with_stream(name);
    d.stream = None;
    d
}

/// The demo design with its NEW_AND_OLD_IMAGES stream.
pub fn demo_design_with_stream(name: &str) -> TableDesign {
    let mut d = dyntui::app::config::demo_project()
        .expect("demo project")
        .tables
        .remove(0);
    d.name = name.to_string();
    assert!(d.stream.is_some(), "the demo table has a stream");
    d
}

/// A design with a numeric sort key and an LSI, for typed-key tests.
pub fn numeric_design(name: &str) -> TableDesign {
    TableDesign {
        name: name.into(),
        partition_key: s("pk"),
        sort_key: Some(KeyAttr {
            name: "n".into(),
            kind: KeyKind::N,
        }),
        provisioned: None,
        ttl_attribute: None,
        stream: None,
        gsis: vec![],
        lsis: vec![IndexDesign {
            name: "byLabel".into(),
            partition_key: s("pk"),
            sort_key: Some(s("label")),
            projection: Projection::All,
            provisioned: None,
        }],
    }
}
