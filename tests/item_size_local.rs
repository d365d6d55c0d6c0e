//! An item's size and write cost, estimated by DynamoDB's rules, against
//! what DynamoDB Local reports it consumed (ReturnConsumedCapacity INDEXES)
//! for the same put, and `dyntui get --size` printing it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use common::{db, demo_design, endpoint, unique};
use dyntui::dynamo::size::{item_size, write_cost};
use dyntui::dynamo::{AttributeValue, Item};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// An order of about `body` bytes, in GSI1 and GSI2 (both project ALL).
fn order(n: usize, body: usize) -> Item {
    [
        ("PK", s(&format!("CUSTOMER#c{n:03}"))),
        ("SK", s(&format!("ORDER#2026-12-01#o{n:05}"))),
        ("GSI1PK", s(&format!("ORDER#o{n:05}"))),
        ("GSI1SK", s(&format!("ORDER#o{n:05}"))),
        ("GSI2PK", s("STATUS#PENDING")),
        ("GSI2SK", s(&format!("2026-12-01#o{n:05}"))),
        ("Type", s("Order")),
        ("total", AttributeValue::N("1234.50".into())),
        (
            "lines",
            AttributeValue::L(vec![s("a"), AttributeValue::N("2".into())]),
        ),
        ("note", s(&"n".repeat(body))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[tokio::test]
async fn write_cost_matches_the_capacity_dynamodb_local_reports() {
    let db = db();
    let table = unique("size");
    demo_design(&table).create(&db).await.unwrap();
    let info = db.describe(&table).await.unwrap();
    for (n, body) in [(1, 10), (2, 900), (3, 1_100), (4, 5_000), (5, 30_000)] {
        let item = order(n, body);
        let est = write_cost(&item, &info);
        let out = db
            .client()
            .put_item()
            .table_name(&table)
            .set_item(Some(item.clone()))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
            .await
            .unwrap();
        let cc = out.consumed_capacity().expect("consumed capacity");
        let table_units = cc.table().and_then(|t| t.capacity_units()).unwrap();
        let gsis: Vec<(String, f64)> = cc
            .global_secondary_indexes()
            .map(|m| {
                let mut v: Vec<(String, f64)> = m
                    .iter()
                    .map(|(k, c)| (k.clone(), c.capacity_units().unwrap_or(0.0)))
                    .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            })
            .unwrap_or_default();
        println!(
            "item of {} bytes: estimated {} WCU + {:?}; DynamoDB Local consumed {table_units} + {gsis:?}",
            item_size(&item),
            est.units,
            est.indexes
        );
        assert_eq!(est.units as f64, table_units, "the item's own write units");
        let est_gsis: Vec<(String, f64)> = est
            .indexes
            .iter()
            .map(|(k, u)| (k.clone(), *u as f64))
            .collect();
        assert_eq!(est_gsis, gsis, "one write per GSI, sized by its projection");
    }

    // dyntui get --size prints the same.
    let item = order(4, 5_000);
    let out = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .args([
            "--endpoint-url",
            &endpoint(),
            "get",
            "--table",
            &table,
            "--key",
            r#"{"PK":"CUSTOMER#c004","SK":"ORDER#2026-12-01#o00004"}"#,
            "--size",
        ])
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let want = format!(
        "size: {} bytes (1.3% of the 400 KB limit) · read 2 RCU (1 eventually consistent) · write 6 WCU + GSI1 6, GSI2 6 = 18 WCU",
        item_size(&item)
    );
    assert!(err.contains(&want), "{err}\nwanted: {want}");
}
