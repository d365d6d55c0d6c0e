//! Item helpers shared by the migration tests: put, get, a byte-exact
//! snapshot of a table, and a folder of files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::collections::BTreeMap;

use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::{AttributeValue, Item, value};

pub async fn put(db: &Dynamo, t: &str, it: Item) {
    db.client()
        .put_item()
        .table_name(t)
        .set_item(Some(it))
        .send()
        .await
        .expect("put");
}

/// Every item, by key text, as DynamoDB JSON (byte-for-byte comparable).
pub async fn snapshot(db: &Dynamo, t: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let r = db
            .client()
            .scan()
            .table_name(t)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        out.extend(snapshot_of(&r.items.unwrap_or_default()));
        match r.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out
}

/// Items as [`snapshot`] shows a table's: by key text, as DynamoDB JSON.
pub fn snapshot_of(items: &[Item]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|it| {
            let key = format!("{:?}|{:?}", it.get("PK"), it.get("SK"));
            let mut sorted: Vec<(&String, &AttributeValue)> = it.iter().collect();
            sorted.sort_by_key(|(k, _)| k.as_str());
            let text = sorted
                .iter()
                .map(|(k, v)| format!("{k}={}", value::to_dynamo(v)))
                .collect::<Vec<_>>()
                .join(",");
            (key, text)
        })
        .collect()
}

pub async fn get(db: &Dynamo, t: &str, pk: &str, sk: &str) -> Item {
    let mut k = Item::new();
    k.insert("PK".into(), AttributeValue::S(pk.into()));
    k.insert("SK".into(), AttributeValue::S(sk.into()));
    db.get_item(t, k).await.expect("get").expect("item exists")
}

pub fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(d.path().join(name), text).expect("write file");
    }
    d
}

/// An item with every DynamoDB type.
pub fn rich(pk: &str, sk: &str) -> Item {
    let s = |v: &str| AttributeValue::S(v.into());
    let n = |v: &str| AttributeValue::N(v.into());
    let mut inner = Item::new();
    inner.insert(
        "ids".into(),
        AttributeValue::Ns(vec!["1".into(), "2".into()]),
    );
    inner.insert(
        "deep".into(),
        AttributeValue::L(vec![AttributeValue::M(Item::from([(
            "x".to_string(),
            n("-1.5E+10"),
        )]))]),
    );
    Item::from([
        ("PK".to_string(), s(pk)),
        ("SK".to_string(), s(sk)),
        ("Type".to_string(), s("Thing")),
        ("name".to_string(), s("Ada")),
        (
            "big".to_string(),
            n("12345678901234567890123456789012345678"),
        ),
        (
            "small".to_string(),
            n("0.000000000000000000000000000000000001"),
        ),
        ("flag".to_string(), AttributeValue::Bool(true)),
        ("nothing".to_string(), AttributeValue::Null(true)),
        (
            "tags".to_string(),
            AttributeValue::Ss(vec!["x".into(), "y".into()]),
        ),
        (
            "nums".to_string(),
            AttributeValue::Ns(vec!["3".into(), "4.25".into()]),
        ),
        (
            "bins".to_string(),
            AttributeValue::Bs(vec![aws_sdk_dynamodb::primitives::Blob::new(vec![
                0u8, 255,
            ])]),
        ),
        (
            "blob".to_string(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![
                1u8, 2, 254, 0,
            ])),
        ),
        ("empty".to_string(), s("")),
        (
            "list".to_string(),
            AttributeValue::L(vec![s("a"), n("1"), AttributeValue::M(inner.clone())]),
        ),
        ("map".to_string(), AttributeValue::M(inner)),
    ])
}
