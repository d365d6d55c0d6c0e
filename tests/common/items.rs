//! Item helpers shared by the migration tests: put, get, a byte-exact
//! snapshot of a table, and a folder of files.

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
        for it in r.items.unwrap_or_default() {
            let key = format!("{:?}|{:?}", it.get("PK"), it.get("SK"));
            let mut sorted: Vec<(&String, &AttributeValue)> = it.iter().collect();
            sorted.sort_by_key(|(k, _)| k.as_str());
            let text = sorted
                .iter()
                .map(|(k, v)| format!("{k}={}", value::to_dynamo(v)))
                .collect::<Vec<_>>()
                .join(",");
            out.insert(key, text);
        }
        match r.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out
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
