//! Counting how often a migration was applied to items whose `tag`
//! attribute gets one `+` per application (the exactly-once tests).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::Select;
use dyntui::dynamo::AttributeValue;
use dyntui::dynamo::client::Dynamo;

/// How many items have had the migration applied how many times.
pub async fn applied(db: &Dynamo, t: &str) -> BTreeMap<usize, usize> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let page = db
            .client()
            .scan()
            .table_name(t)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        for it in page.items() {
            if let Some(AttributeValue::S(tag)) = it.get("tag") {
                *out.entry(tag.matches('+').count()).or_insert(0) += 1;
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return out;
        }
    }
}

/// Items changed so far.
pub async fn grown(db: &Dynamo, t: &str) -> i32 {
    let mut n = 0;
    let mut start = None;
    loop {
        let page = db
            .client()
            .scan()
            .table_name(t)
            .select(Select::Count)
            .filter_expression("contains(tag, :plus)")
            .expression_attribute_values(":plus", AttributeValue::S("+".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan count");
        n += page.count();
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return n;
        }
    }
}

/// Waits until at least `n` items are changed (a bounded wait).
pub async fn until_grown(db: &Dynamo, t: &str, n: i32, within: Duration) -> i32 {
    let began = Instant::now();
    loop {
        let g = grown(db, t).await;
        if g >= n {
            return g;
        }
        assert!(
            began.elapsed() < within,
            "only {g} items changed in {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
