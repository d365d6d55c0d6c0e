//! The stream follower against DynamoDB Local: puts, updates and deletes
//! arrive with their event, keys, images and diff; an `oldest` start sees
//! writes made before it; a KEYS_ONLY stream carries keys only; 500
//! concurrent writes arrive exactly once each.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification,
};
use common::{db, unique};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::stream::{
    ChangeRecord, EventName, FollowOptions, StartAt, StreamEvent, ViewType, follow, stream_of,
};
use dyntui::dynamo::{AttributeValue, Item};
use tokio::sync::mpsc;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A PK-only table, with a stream of `view` when given.
async fn table(db: &Dynamo, prefix: &str, view: Option<ViewType>) -> String {
    let name = unique(prefix);
    let mut req = db
        .client()
        .create_table()
        .table_name(&name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest);
    if let Some(v) = view {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(v.sdk())
                .build()
                .unwrap(),
        );
    }
    req.send().await.expect("create table");
    dyntui::dynamo::design::wait_active(db, &name)
        .await
        .expect("active");
    name
}

/// Starts a follower on the table's stream; returns its events and the
/// task (aborted by the caller or when the test ends).
fn start(
    db: &Dynamo,
    arn: String,
    at: StartAt,
) -> (mpsc::Receiver<StreamEvent>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(64);
    let db = db.clone();
    let task = tokio::spawn(async move {
        let opts = FollowOptions {
            // Quicker pacing than the default keeps the test short.
            idle_max: Duration::from_millis(500),
            ..FollowOptions::default()
        };
        follow(db.streams(), db.context(), &arn, at, opts, tx).await;
    });
    (rx, task)
}

async fn next(rx: &mut mpsc::Receiver<StreamEvent>) -> StreamEvent {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an event within 30 s")
        .expect("the follower is still running")
}

/// Waits for the first Shards event (the follower holds its iterators).
async fn ready(rx: &mut mpsc::Receiver<StreamEvent>) {
    loop {
        match next(rx).await {
            StreamEvent::Shards { reading, .. } => {
                assert!(reading >= 1, "a stream with writes has a shard to read");
                return;
            }
            StreamEvent::Failed(e) => panic!("failed: {e}"),
            _ => {}
        }
    }
}

/// Records until `count` have arrived (panics on Failed).
async fn records(rx: &mut mpsc::Receiver<StreamEvent>, count: usize) -> Vec<ChangeRecord> {
    let mut out = Vec::new();
    while out.len() < count {
        match next(rx).await {
            StreamEvent::Records(r) => out.extend(r),
            StreamEvent::Failed(e) => panic!("failed: {e}"),
            _ => {}
        }
    }
    out
}

async fn put(db: &Dynamo, table: &str, item: Item) {
    db.client()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[tokio::test]
async fn put_update_delete_arrive_with_images_and_diff() {
    let db = db();
    let name = table(&db, "stream-life", Some(ViewType::NewAndOldImages)).await;
    let (arn, view) = stream_of(&db, &name)
        .await
        .expect("describe")
        .expect("a stream");
    assert_eq!(view, ViewType::NewAndOldImages);
    let (mut rx, task) = start(&db, arn, StartAt::Latest);
    ready(&mut rx).await;

    put(
        &db,
        &name,
        item(&[("PK", s("A")), ("status", s("new")), ("gone", n(1))]),
    )
    .await;
    db.client()
        .update_item()
        .table_name(&name)
        .key("PK", s("A"))
        .update_expression("SET #s = :s, added = :a REMOVE gone")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("paid"))
        .expression_attribute_values(":a", n(7))
        .send()
        .await
        .expect("update");
    db.client()
        .delete_item()
        .table_name(&name)
        .key("PK", s("A"))
        .send()
        .await
        .expect("delete");

    let got = records(&mut rx, 3).await;
    task.abort();
    assert_eq!(got.len(), 3, "{got:#?}");
    let keys = item(&[("PK", s("A"))]);
    let events: Vec<EventName> = got.iter().map(|r| r.event).collect();
    assert_eq!(
        events,
        [EventName::Insert, EventName::Modify, EventName::Remove]
    );
    assert!(got.iter().all(|r| r.keys == keys), "{got:#?}");

    let (ins, modify, del) = (&got[0], &got[1], &got[2]);
    assert_eq!(ins.old, None);
    assert_eq!(
        ins.new,
        Some(item(&[
            ("PK", s("A")),
            ("status", s("new")),
            ("gone", n(1))
        ]))
    );
    let after = item(&[("PK", s("A")), ("status", s("paid")), ("added", n(7))]);
    assert_eq!(modify.old, ins.new);
    assert_eq!(modify.new, Some(after.clone()));
    let diff: Vec<(String, Option<AttributeValue>, Option<AttributeValue>)> = modify
        .diff()
        .into_iter()
        .map(|d| (d.name, d.old, d.new))
        .collect();
    assert_eq!(
        diff,
        [
            ("added".to_string(), None, Some(n(7))),
            ("gone".to_string(), Some(n(1)), None),
            ("status".to_string(), Some(s("new")), Some(s("paid"))),
        ]
    );
    assert_eq!(del.old, Some(after));
    assert_eq!(del.new, None);
    // Sequence numbers grow within the shard.
    let seqs: Vec<u128> = got.iter().map(|r| r.sequence.parse().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[tokio::test]
async fn enable_stream_then_oldest_sees_writes_made_before_following() {
    let db = db();
    let name = table(&db, "stream-enable", None).await;
    assert_eq!(stream_of(&db, &name).await.expect("describe"), None);
    db.enable_stream(&name, ViewType::NewImage)
        .await
        .expect("enable");
    // Enabling again with the same view is a no-op, another view an error.
    db.enable_stream(&name, ViewType::NewImage)
        .await
        .expect("enable again");
    let e = db
        .enable_stream(&name, ViewType::KeysOnly)
        .await
        .expect_err("another view");
    assert!(e.to_string().contains("NEW_IMAGE"), "{e}");
    let (arn, view) = stream_of(&db, &name)
        .await
        .expect("describe")
        .expect("a stream");
    assert_eq!(view, ViewType::NewImage);

    for i in 0..5 {
        put(
            &db,
            &name,
            item(&[("PK", s(&format!("B{i}"))), ("n", n(i))]),
        )
        .await;
    }
    let (mut rx, task) = start(&db, arn, StartAt::Oldest);
    let got = records(&mut rx, 5).await;
    task.abort();
    let pks: Vec<&AttributeValue> = got.iter().map(|r| &r.keys["PK"]).collect();
    assert_eq!(pks, [&s("B0"), &s("B1"), &s("B2"), &s("B3"), &s("B4")]);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.event, EventName::Insert);
        assert_eq!(r.old, None, "a NEW_IMAGE stream has no old image");
        assert_eq!(r.new.as_ref().unwrap()["n"], n(i as i64));
    }
}

#[tokio::test]
async fn keys_only_stream_gives_keys_and_no_images() {
    let db = db();
    let name = table(&db, "stream-keys", Some(ViewType::KeysOnly)).await;
    let (arn, view) = stream_of(&db, &name)
        .await
        .expect("describe")
        .expect("a stream");
    assert_eq!(view, ViewType::KeysOnly);
    let (mut rx, task) = start(&db, arn, StartAt::Latest);
    ready(&mut rx).await;
    put(&db, &name, item(&[("PK", s("K")), ("big", s("payload"))])).await;
    let got = records(&mut rx, 1).await;
    task.abort();
    assert_eq!(got[0].event, EventName::Insert);
    assert_eq!(got[0].keys, item(&[("PK", s("K"))]));
    assert_eq!((&got[0].old, &got[0].new), (&None, &None));
    assert!(got[0].diff().is_empty());
}

#[tokio::test]
async fn five_hundred_concurrent_writes_arrive_exactly_once() {
    let db = db();
    let name = table(&db, "stream-many", Some(ViewType::NewAndOldImages)).await;
    let (arn, _) = stream_of(&db, &name)
        .await
        .expect("describe")
        .expect("a stream");
    let (mut rx, task) = start(&db, arn, StartAt::Latest);
    ready(&mut rx).await;

    const N: usize = 500;
    let writer = {
        let (db, name) = (db.clone(), name.clone());
        tokio::spawn(async move {
            for i in 0..N {
                put(
                    &db,
                    &name,
                    item(&[("PK", s(&format!("W{i:04}"))), ("i", n(i as i64))]),
                )
                .await;
            }
        })
    };
    let got = records(&mut rx, N).await;
    writer.await.expect("writer");
    // Nothing more arrives: a short wait for a straggler or a repeat.
    let extra = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Some(StreamEvent::Records(r)) = rx.recv().await {
                return r;
            }
        }
    })
    .await;
    task.abort();
    assert!(extra.is_err(), "records beyond the {N} writes: {extra:?}");

    let seqs: HashSet<&str> = got.iter().map(|r| r.sequence.as_str()).collect();
    assert_eq!(seqs.len(), N, "a record came twice");
    let mut by_pk: HashMap<String, usize> = HashMap::new();
    for r in &got {
        let AttributeValue::S(pk) = &r.keys["PK"] else {
            panic!("PK")
        };
        *by_pk.entry(pk.clone()).or_default() += 1;
        assert_eq!(r.event, EventName::Insert);
    }
    assert_eq!(by_pk.len(), N, "a write is missing");
    assert!(by_pk.values().all(|&c| c == 1));
    // Written one after another, read in that order.
    let order: Vec<usize> = got
        .iter()
        .map(|r| match &r.new.as_ref().unwrap()["i"] {
            AttributeValue::N(v) => v.parse().unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(order, (0..N).collect::<Vec<_>>());
}

async fn failed(rx: &mut mpsc::Receiver<StreamEvent>) -> dyntui::dynamo::error::AwsError {
    loop {
        if let StreamEvent::Failed(e) = next(rx).await {
            return e;
        }
    }
}

#[tokio::test]
async fn disabling_the_stream_ends_the_follower_with_a_reason() {
    let db = db();
    let name = table(&db, "stream-off", Some(ViewType::NewAndOldImages)).await;
    let (arn, _) = stream_of(&db, &name)
        .await
        .expect("describe")
        .expect("a stream");
    let (mut rx, task) = start(&db, arn.clone(), StartAt::Latest);
    ready(&mut rx).await;
    put(&db, &name, item(&[("PK", s("before"))])).await;
    assert_eq!(pks_of(&records(&mut rx, 1).await), [&s("before")]);
    db.client()
        .update_table()
        .table_name(&name)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("disable the stream");
    let e = failed(&mut rx).await;
    eprintln!("{e}");
    assert!(
        ["StreamDisabled", "ResourceNotFoundException"].contains(&e.code.as_str()),
        "{e}"
    );
    assert!(e.message.contains(&arn), "{e}");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the follower returns")
        .unwrap();
}

#[tokio::test]
async fn deleting_the_table_ends_the_follower_with_a_reason() {
    let db = db();
    let name = table(&db, "stream-gone", Some(ViewType::KeysOnly)).await;
    let (arn, _) = stream_of(&db, &name)
        .await
        .expect("describe")
        .expect("a stream");
    let (mut rx, task) = start(&db, arn.clone(), StartAt::Latest);
    ready(&mut rx).await;
    db.client()
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .expect("delete table");
    let e = failed(&mut rx).await;
    eprintln!("{e}");
    assert!(
        ["StreamDisabled", "ResourceNotFoundException"].contains(&e.code.as_str()),
        "{e}"
    );
    assert!(e.message.contains(&arn), "{e}");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the follower returns")
        .unwrap();
}

fn pks_of(r: &[ChangeRecord]) -> Vec<&AttributeValue> {
    r.iter().map(|r| &r.keys["PK"]).collect()
}
