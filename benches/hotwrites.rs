//! The hot write key tracker on a stream's pace: pushes into a sliding
//! window (with and without expiry), the top keys, and write units from
//! item images.
//!
//! Run: `cargo bench --bench hotwrites`
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dyntui::dynamo::stream::{ChangeRecord, EventName};
use dyntui::dynamo::{AttributeValue, Item};
use dyntui::metrics::hotwrites::{HotWrites, units_of};

/// The binary's allocator (src/main.rs), so that the figures are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WRITES: usize = 100_000;
const KEYS: usize = 10_000;
/// Simulated stream pace: 10,000 writes a second (a write every 0.1 ms).
const PER_MS: i64 = 10;

/// Partition keys: 40% on one, the rest over KEYS others.
fn keys() -> Vec<String> {
    (0..WRITES)
        .map(|i| {
            if i % 5 < 2 {
                "CUSTOMER#c00243".to_string()
            } else {
                format!("ORDER#{:05}", (i * 7919) % KEYS)
            }
        })
        .collect()
}

fn fill(window: Duration, keys: &[String]) -> HotWrites {
    let mut hot = HotWrites::new(window);
    for (i, k) in keys.iter().enumerate() {
        hot.push(i as i64 / PER_MS, k.clone(), None, 1.0);
    }
    hot
}

fn record() -> ChangeRecord {
    let item: Item = (0..12)
        .map(|i| (format!("attr{i}"), AttributeValue::S("x".repeat(80))))
        .chain([(
            "PK".to_string(),
            AttributeValue::S("CUSTOMER#c00243".into()),
        )])
        .chain([("n".to_string(), AttributeValue::N("12345.678".into()))])
        .collect();
    ChangeRecord {
        event: EventName::Modify,
        keys: Item::new(),
        old: Some(item.clone()),
        new: Some(item),
        time_ms: None,
        size_bytes: 0,
        sequence: String::new(),
        shard: String::new(),
        by_ttl: false,
    }
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("hotwrites");
    g.throughput(Throughput::Elements(WRITES as u64));
    // 10 s of writes into a 60 s window: nothing expires.
    g.bench_function("push 100k writes, 60 s window", |b| {
        b.iter(|| black_box(fill(Duration::from_secs(60), &keys)))
    });
    // A 1 s window: 10,000 samples kept, one expired per push.
    g.bench_function("push 100k writes, 1 s window (expiring)", |b| {
        b.iter(|| black_box(fill(Duration::from_secs(1), &keys)))
    });
    let hot = fill(Duration::from_secs(60), &keys);
    g.throughput(Throughput::Elements(1));
    g.bench_function("top_keys(10) of 10,001 keys", |b| {
        b.iter(|| black_box(hot.top_keys(10)))
    });
    let r = record();
    g.bench_function("units_of, 1.1 KB images", |b| {
        b.iter(|| black_box(units_of(black_box(&r))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
