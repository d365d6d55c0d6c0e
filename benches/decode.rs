//! Throughput of entity classification and key-field decoding on a
//! demo-shaped single-table e-commerce design.
//!
//! Run: `cargo bench --bench decode`
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dyntui::dynamo::{AttributeValue, Item, entity::*};

/// The binary's allocator (src/main.rs), so that the figures are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ITEMS: usize = 10_000;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn tpl(s: &str) -> Option<KeyTemplate> {
    KeyTemplate::parse(s).ok()
}

fn config() -> DecodeConfig {
    let def = |name: &str, pk: &str, sk: &str| EntityDef {
        name: name.into(),
        pk: tpl(pk),
        sk: tpl(sk),
        ..EntityDef::default()
    };
    let mut order = def(
        "Order",
        "CUSTOMER#{customerId}",
        "ORDER#{orderDate}#{orderId}",
    );
    order.index_keys = KeyTemplate::parse("ORDER#{orderId}")
        .map(|t| vec![("GSI1PK".to_string(), t)])
        .unwrap_or_default();
    DecodeConfig {
        type_attribute: None,
        entities: vec![
            def("Customer", "CUSTOMER#{customerId}", "CUSTOMER#{customerId}"),
            order,
            def("OrderItem", "ORDER#{orderId}", "ITEM#{sku}"),
            def("Product", "PRODUCT#{sku}", "PRODUCT#{sku}"),
            def(
                "Review",
                "PRODUCT#{sku}",
                "REVIEW#{reviewDate}#{customerId}",
            ),
        ],
    }
}

fn table_keys() -> TableKeys {
    TableKeys {
        pk: "PK".into(),
        sk: Some("SK".into()),
        index_key_attrs: vec!["GSI1PK".into(), "GSI1SK".into()],
    }
}

fn date(i: usize) -> String {
    format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1)
}

/// 10,000 items: 10% customers, 25% orders, 35% order items, 10% products,
/// 20% reviews, each with a `Type` attribute and 6-10 other attributes.
fn demo_items() -> Vec<Item> {
    (0..ITEMS)
        .map(|i| {
            let cust = format!("c-{}", i % 997);
            let order = format!("o-{}", i % 4001);
            let sku = format!("sku-{:05}", i % 389);
            let mut it = Item::new();
            let mut put = |k: &str, v: AttributeValue| {
                it.insert(k.to_string(), v);
            };
            match i % 20 {
                0..2 => {
                    put("PK", s(format!("CUSTOMER#{cust}")));
                    put("SK", s(format!("CUSTOMER#{cust}")));
                    put("Type", s("Customer"));
                    put("customerId", s(&cust));
                    put("name", s(format!("Customer {i}")));
                    put("email", s(format!("{cust}@example.com")));
                    put("createdAt", s(date(i)));
                    put("tier", s(if i % 3 == 0 { "gold" } else { "standard" }));
                    put("loyaltyPoints", n(i * 7 % 5000));
                    put("marketingOptIn", AttributeValue::Bool(i % 2 == 0));
                }
                2..7 => {
                    put("PK", s(format!("CUSTOMER#{cust}")));
                    put("SK", s(format!("ORDER#{}#{order}", date(i))));
                    put("GSI1PK", s(format!("ORDER#{order}")));
                    put("GSI1SK", s(date(i)));
                    put("Type", s("Order"));
                    put("orderId", s(&order));
                    put("customerId", s(&cust));
                    put("status", s(["PLACED", "SHIPPED", "DELIVERED"][i % 3]));
                    put("total", n(format!("{}.{:02}", i % 500, i % 100)));
                    put("currency", s("EUR"));
                    put("itemCount", n(i % 6 + 1));
                }
                7..14 => {
                    put("PK", s(format!("ORDER#{order}")));
                    put("SK", s(format!("ITEM#{sku}")));
                    put("Type", s("OrderItem"));
                    put("orderId", s(&order));
                    put("sku", s(&sku));
                    put("quantity", n(i % 4 + 1));
                    put("unitPrice", n(format!("{}.99", i % 80)));
                    put("productName", s(format!("Product {}", i % 389)));
                    put("discount", n(0));
                }
                14..16 => {
                    put("PK", s(format!("PRODUCT#{sku}")));
                    put("SK", s(format!("PRODUCT#{sku}")));
                    put("Type", s("Product"));
                    put("sku", s(&sku));
                    put("name", s(format!("Product {}", i % 389)));
                    put("price", n(format!("{}.99", i % 80)));
                    put("stock", n(i % 1000));
                    put("category", s(["books", "garden", "toys"][i % 3]));
                    put(
                        "tags",
                        AttributeValue::Ss(vec!["new".into(), "sale".into()]),
                    );
                    put("rating", n(format!("{}.{}", i % 5, i % 10)));
                }
                _ => {
                    put("PK", s(format!("PRODUCT#{sku}")));
                    put("SK", s(format!("REVIEW#{}#{cust}", date(i))));
                    put("Type", s("Review"));
                    put("sku", s(&sku));
                    put("customerId", s(&cust));
                    put("rating", n(i % 5 + 1));
                    put("title", s(format!("Review {i}")));
                    put("body", s("Solid product, would buy again. ".repeat(3)));
                    put("helpfulVotes", n(i % 40));
                    put("verified", AttributeValue::Bool(i % 4 != 0));
                }
            }
            it
        })
        .collect()
}

fn without_type(items: &[Item]) -> Vec<Item> {
    items
        .iter()
        .map(|it| {
            let mut it = it.clone();
            it.remove("Type");
            it
        })
        .collect()
}

fn bench_decode(c: &mut Criterion) {
    let items = demo_items();
    let untyped = without_type(&items);
    let cfg = config();

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(ITEMS as u64));

    let mut dec = Decoder::new(&cfg, table_keys());
    g.bench_function("classify/type_attribute", |b| {
        b.iter(|| {
            for it in &items {
                black_box(dec.classify(black_box(it)));
            }
        })
    });

    let mut dec = Decoder::new(&cfg, table_keys());
    g.bench_function("classify/no_type/key_templates", |b| {
        b.iter(|| {
            for it in &untyped {
                black_box(dec.classify(black_box(it)));
            }
        })
    });

    // Nothing declared: every item falls through to the key prefix.
    let mut dec = Decoder::new(&DecodeConfig::default(), table_keys());
    g.bench_function("classify/no_type/key_prefix", |b| {
        b.iter(|| {
            for it in &untyped {
                black_box(dec.classify(black_box(it)));
            }
        })
    });

    let mut dec = Decoder::new(&cfg, table_keys());
    let classified: Vec<(&Item, Classified)> =
        items.iter().map(|it| (it, dec.classify(it))).collect();
    g.bench_function("key_fields", |b| {
        b.iter(|| {
            for (it, c) in &classified {
                black_box(dec.key_fields(black_box(it), c));
            }
        })
    });

    // What loading a page does per item: classify and store compactly.
    let mut dec = Decoder::new(&cfg, table_keys());
    g.bench_function("load/classify_and_compact", |b| {
        b.iter(|| {
            for it in &items {
                black_box(dec.classify(black_box(it)));
                black_box(dyntui::dynamo::compact::CompactItem::encode(black_box(it)));
            }
        })
    });

    // What drawing a row does: decode the compact bytes back into an item.
    let compact: Vec<_> = items
        .iter()
        .map(dyntui::dynamo::compact::CompactItem::encode)
        .collect();
    g.bench_function("compact_decode", |b| {
        b.iter(|| {
            for c in &compact {
                black_box(c.decode().ok());
            }
        })
    });

    g.finish();
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
