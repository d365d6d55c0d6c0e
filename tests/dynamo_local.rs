//! The data plane against DynamoDB Local: tables, describe, scan pages,
//! queries with every sort-key condition on the table, a GSI and an LSI,
//! filter expressions, get, batch writes, and the errors users meet.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{db, demo_design, numeric_design, unique};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::request::{Filter, ItemsRequest, RequestKind, SortCondition};
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::{AttributeValue, Item};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

async fn put_all(db: &Dynamo, table: &str, items: Vec<Item>) {
    write_all(
        db,
        table,
        items,
        &WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("batch write");
}

/// Every item of a request, page by page; also returns the page count.
async fn all_pages(db: &Dynamo, req: &ItemsRequest) -> (Vec<Item>, usize) {
    let mut out = Vec::new();
    let mut start = None;
    let mut pages = 0;
    loop {
        let p = db.fetch_page(req, start.take()).await.expect("page");
        pages += 1;
        out.extend(p.items);
        match p.next {
            Some(k) => start = Some(k),
            None => break,
        }
        assert!(pages < 10_000, "runaway paging");
    }
    (out, pages)
}

fn key_of(it: &Item, pk: &str, sk: &str) -> (String, String) {
    let t = |v: Option<&AttributeValue>| match v {
        Some(AttributeValue::S(x)) | Some(AttributeValue::N(x)) => x.clone(),
        other => format!("{other:?}"),
    };
    (t(it.get(pk)), t(it.get(sk)))
}

#[tokio::test]
async fn list_and_describe_tables() {
    let db = db();
    let name = unique("describe");
    demo_design(&name).create(&db).await.expect("create");
    let tables = db.list_tables().await.expect("list");
    assert!(tables.contains(&name), "{tables:?}");

    let info = db.describe(&name).await.expect("describe");
    assert_eq!(info.name, name);
    assert_eq!(info.status, "ACTIVE");
    assert_eq!(
        info.pk.as_ref().map(|k| (k.name.as_str(), k.kind_label())),
        Some(("PK", "S"))
    );
    assert_eq!(info.sk.as_ref().map(|k| k.name.as_str()), Some("SK"));
    assert_eq!(info.billing_mode, "PAY_PER_REQUEST");
    let gsis: Vec<_> = info
        .indexes
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.global,
                i.pk.name.as_str(),
                i.sk.as_ref().map(|k| k.name.as_str()),
                i.projection.as_str(),
            )
        })
        .collect();
    assert_eq!(
        gsis,
        vec![
            ("GSI1", true, "GSI1PK", Some("GSI1SK"), "ALL"),
            ("GSI2", true, "GSI2PK", Some("GSI2SK"), "ALL"),
        ]
    );
    assert_eq!(
        info.index_key_attrs(),
        vec!["GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
    );

    let lsi_name = unique("describe-lsi");
    numeric_design(&lsi_name).create(&db).await.expect("create");
    let info = db.describe(&lsi_name).await.expect("describe");
    assert_eq!(info.sk.as_ref().map(|k| k.kind_label()), Some("N"));
    assert_eq!(info.indexes.len(), 1);
    assert!(!info.indexes[0].global);
    assert_eq!(
        info.indexes[0].sk.as_ref().map(|k| k.name.as_str()),
        Some("label")
    );
}

#[tokio::test]
async fn scan_pages_never_repeat_or_skip() {
    let db = db();
    let name = unique("scan");
    demo_design(&name).create(&db).await.expect("create");
    let items = generate(
        3,
        DemoSize {
            customers: 40,
            products: 15,
            orders: 60,
            reviews: 30,
        },
    );
    let expected: HashSet<_> = items.iter().map(|i| key_of(i, "PK", "SK")).collect();
    put_all(&db, &name, items.clone()).await;

    let req = ItemsRequest {
        page_size: Some(7),
        ..ItemsRequest::scan(&name)
    };
    let (got, pages) = all_pages(&db, &req).await;
    assert!(pages > 10, "expected many pages, got {pages}");
    let keys: Vec<_> = got.iter().map(|i| key_of(i, "PK", "SK")).collect();
    let unique_keys: HashSet<_> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), unique_keys.len(), "a page repeated items");
    assert_eq!(unique_keys, expected, "pages skipped or invented items");
    // Items come back exactly as written (numbers, sets, binary, maps).
    let by_key: std::collections::HashMap<_, _> =
        got.iter().map(|i| (key_of(i, "PK", "SK"), i)).collect();
    for it in &items {
        assert_eq!(by_key.get(&key_of(it, "PK", "SK")).copied(), Some(it));
    }
}

async fn query_keys(db: &Dynamo, req: ItemsRequest, sk: &str) -> Vec<String> {
    let (items, _) = all_pages(db, &req).await;
    items.iter().map(|i| key_of(i, "x", sk).1).collect()
}

#[tokio::test]
async fn query_every_sort_condition_on_table_and_gsi() {
    let db = db();
    let name = unique("query");
    demo_design(&name).create(&db).await.expect("create");
    let mut items = Vec::new();
    for i in 1..=9 {
        items.push(Item::from([
            ("PK".to_string(), s("P#1")),
            ("SK".to_string(), s(&format!("S#{i}"))),
            ("GSI1PK".to_string(), s("G#1")),
            ("GSI1SK".to_string(), s(&format!("K#{i}"))),
        ]));
    }
    // Noise in other partitions and a prefix that begins_with must not match.
    items.push(Item::from([
        ("PK".to_string(), s("P#2")),
        ("SK".to_string(), s("S#1")),
    ]));
    items.push(Item::from([
        ("PK".to_string(), s("P#1")),
        ("SK".to_string(), s("T#1")),
    ]));
    put_all(&db, &name, items).await;

    let cases: Vec<(SortCondition, Vec<&str>)> = vec![
        (SortCondition::Eq(s("S#3")), vec!["S#3"]),
        (SortCondition::Lt(s("S#3")), vec!["S#1", "S#2"]),
        (SortCondition::Le(s("S#3")), vec!["S#1", "S#2", "S#3"]),
        (SortCondition::Gt(s("S#7")), vec!["S#8", "S#9", "T#1"]),
        (SortCondition::Ge(s("S#8")), vec!["S#8", "S#9", "T#1"]),
        (
            SortCondition::BeginsWith(s("S#")),
            vec![
                "S#1", "S#2", "S#3", "S#4", "S#5", "S#6", "S#7", "S#8", "S#9",
            ],
        ),
        (
            SortCondition::Between(s("S#4"), s("S#6")),
            vec!["S#4", "S#5", "S#6"],
        ),
    ];
    for (cond, want) in cases {
        let req = ItemsRequest {
            kind: RequestKind::Query {
                pk_name: "PK".into(),
                pk: s("P#1"),
                sort: Some(("SK".into(), cond.clone())),
            },
            page_size: Some(2),
            ..ItemsRequest::scan(&name)
        };
        assert_eq!(query_keys(&db, req, "SK").await, want, "table {cond:?}");
        // The same on GSI1 with its own key names.
        let gsi_cond = match cond {
            SortCondition::Eq(AttributeValue::S(v)) => SortCondition::Eq(s(&v.replace("S#", "K#"))),
            SortCondition::Lt(AttributeValue::S(v)) => SortCondition::Lt(s(&v.replace("S#", "K#"))),
            SortCondition::Le(AttributeValue::S(v)) => SortCondition::Le(s(&v.replace("S#", "K#"))),
            SortCondition::Gt(AttributeValue::S(v)) => SortCondition::Gt(s(&v.replace("S#", "K#"))),
            SortCondition::Ge(AttributeValue::S(v)) => SortCondition::Ge(s(&v.replace("S#", "K#"))),
            SortCondition::BeginsWith(_) => SortCondition::BeginsWith(s("K#")),
            SortCondition::Between(..) => SortCondition::Between(s("K#4"), s("K#6")),
            other => other,
        };
        let gsi_want: Vec<String> = want
            .iter()
            .filter(|w| w.starts_with("S#"))
            .map(|w| w.replace("S#", "K#"))
            .collect();
        let req = ItemsRequest {
            index: Some("GSI1".into()),
            kind: RequestKind::Query {
                pk_name: "GSI1PK".into(),
                pk: s("G#1"),
                sort: Some(("GSI1SK".into(), gsi_cond.clone())),
            },
            ..ItemsRequest::scan(&name)
        };
        assert_eq!(
            query_keys(&db, req, "GSI1SK").await,
            gsi_want,
            "GSI1 {gsi_cond:?}"
        );
    }

    // Partition key alone, newest first.
    let req = ItemsRequest {
        kind: RequestKind::Query {
            pk_name: "PK".into(),
            pk: s("P#1"),
            sort: None,
        },
        forward: false,
        ..ItemsRequest::scan(&name)
    };
    let keys = query_keys(&db, req, "SK").await;
    assert_eq!(keys.first().map(String::as_str), Some("T#1"));
    assert_eq!(keys.len(), 10);
}

#[tokio::test]
async fn numeric_sort_keys_and_lsi() {
    let db = db();
    let name = unique("numeric");
    numeric_design(&name).create(&db).await.expect("create");
    let items: Vec<Item> = ["-1.5", "2", "10", "12345678901234567890123456789012345678"]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Item::from([
                ("pk".to_string(), s("a")),
                ("n".to_string(), n(v)),
                ("label".to_string(), s(&format!("L{i}"))),
            ])
        })
        .collect();
    put_all(&db, &name, items).await;
    let q = |cond| ItemsRequest {
        kind: RequestKind::Query {
            pk_name: "pk".into(),
            pk: s("a"),
            sort: Some(("n".into(), cond)),
        },
        ..ItemsRequest::scan(&name)
    };
    // Numeric order, not string order; 38 digits exact.
    assert_eq!(
        query_keys(&db, q(SortCondition::Gt(n("1"))), "n").await,
        vec!["2", "10", "12345678901234567890123456789012345678"]
    );
    assert_eq!(
        query_keys(&db, q(SortCondition::Between(n("-2"), n("2"))), "n").await,
        vec!["-1.5", "2"]
    );
    let req = ItemsRequest {
        index: Some("byLabel".into()),
        kind: RequestKind::Query {
            pk_name: "pk".into(),
            pk: s("a"),
            sort: Some(("label".into(), SortCondition::Ge(s("L2")))),
        },
        ..ItemsRequest::scan(&name)
    };
    assert_eq!(query_keys(&db, req, "label").await, vec!["L2", "L3"]);
}

#[tokio::test]
async fn filter_expressions_on_scan_and_query() {
    let db = db();
    let name = unique("filter");
    demo_design(&name).create(&db).await.expect("create");
    let items = generate(
        5,
        DemoSize {
            customers: 20,
            products: 10,
            orders: 40,
            reviews: 10,
        },
    );
    let shipped = items
        .iter()
        .filter(|i| i.get("status") == Some(&s("SHIPPED")))
        .count();
    let gold_berlin = items
        .iter()
        .filter(|i| {
            i.get("tier") == Some(&s("gold"))
                && matches!(i.get("address"), Some(AttributeValue::M(m)) if m.get("city") == Some(&s("Berlin")))
        })
        .count();
    assert!(shipped > 0);
    put_all(&db, &name, items).await;

    let req = ItemsRequest {
        filter: Some(Filter::parse("Type = Order and status = SHIPPED").unwrap()),
        page_size: Some(25),
        ..ItemsRequest::scan(&name)
    };
    let (got, _) = all_pages(&db, &req).await;
    assert_eq!(got.len(), shipped);
    assert!(got.iter().all(|i| i.get("status") == Some(&s("SHIPPED"))));

    let req = ItemsRequest {
        filter: Some(Filter::parse("tier = gold and address.city = Berlin").unwrap()),
        ..ItemsRequest::scan(&name)
    };
    assert_eq!(all_pages(&db, &req).await.0.len(), gold_berlin);

    // Numbers compare as numbers; exists/missing.
    let req = ItemsRequest {
        filter: Some(Filter::parse("price >= 100 and price <= 200.50 and tags exists").unwrap()),
        ..ItemsRequest::scan(&name)
    };
    let (got, _) = all_pages(&db, &req).await;
    for i in &got {
        let AttributeValue::N(p) = &i["price"] else {
            panic!("price not a number")
        };
        let cents: i64 = p.replace('.', "").parse().unwrap();
        assert!((10000..=20050).contains(&cents), "{p}");
    }
}

#[tokio::test]
async fn get_item_and_missing_item() {
    let db = db();
    let name = unique("get");
    demo_design(&name).create(&db).await.expect("create");
    let item = Item::from([
        ("PK".to_string(), s("CUSTOMER#1")),
        ("SK".to_string(), s("CUSTOMER#1")),
        (
            "big".to_string(),
            n("-0.00000000000000000000000000000000000001"),
        ),
        (
            "bin".to_string(),
            AttributeValue::B(aws_smithy_types::Blob::new(vec![0, 159, 255])),
        ),
        (
            "ns".to_string(),
            AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
        ),
        ("empty".to_string(), s("")),
        ("nothing".to_string(), AttributeValue::Null(true)),
    ]);
    put_all(&db, &name, vec![item.clone()]).await;
    let key = Item::from([
        ("PK".to_string(), s("CUSTOMER#1")),
        ("SK".to_string(), s("CUSTOMER#1")),
    ]);
    assert_eq!(db.get_item(&name, key).await.unwrap(), Some(item));
    let key = Item::from([
        ("PK".to_string(), s("CUSTOMER#2")),
        ("SK".to_string(), s("CUSTOMER#2")),
    ]);
    assert_eq!(db.get_item(&name, key).await.unwrap(), None);
}

#[tokio::test]
async fn batch_write_leaves_exactly_n_items() {
    let db = db();
    let name = unique("batch");
    demo_design(&name).create(&db).await.expect("create");
    let items = generate(
        9,
        DemoSize {
            customers: 100,
            products: 30,
            orders: 150,
            reviews: 60,
        },
    );
    let n_items = items.len();
    let progress = Arc::new(Progress::default());
    let report = write_all(
        &db,
        &name,
        items.clone(),
        &WriteOptions {
            concurrency: 3,
            ..Default::default()
        },
        progress,
    )
    .await
    .unwrap();
    assert_eq!(report.written as usize, n_items);
    // Idempotent: writing again leaves the same count.
    put_all(&db, &name, items).await;
    let (got, _) = all_pages(&db, &ItemsRequest::scan(&name)).await;
    assert_eq!(got.len(), n_items);
}

#[tokio::test]
async fn missing_table_and_unreachable_endpoint_are_clear_errors() {
    let db = db();
    let e = db.describe("no-such-table-here").await.unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    let hint = e.hint.clone().unwrap_or_default();
    assert!(
        hint.contains("`no-such-table-here`") && hint.contains("-sharedDb"),
        "{hint}"
    );
    let e = db
        .fetch_page(&ItemsRequest::scan("no-such-table-here"), None)
        .await
        .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");

    // Nothing listens on port 9 of loopback.
    let config = db
        .sdk_config()
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let dead = Dynamo::from_config(config, None, Some("http://127.0.0.1:9".into()));
    let e = dead.list_tables().await.unwrap_err();
    assert_eq!(e.code, "EndpointUnreachable", "{e}");
    assert!(e.message.contains("127.0.0.1:9"), "{e}");
    assert!(e.hint.unwrap_or_default().contains("dynamodb-local.sh"));
}

#[tokio::test]
async fn connect_uses_dummy_credentials_only_for_loopback() {
    use dyntui::dynamo::client::ConnectOptions;
    // With the endpoint given and the environment of the test run, connect works against DynamoDB Local.
    let d = Dynamo::connect(&ConnectOptions {
        endpoint_url: Some(common::endpoint()),
        region: Some("us-east-1".into()),
        profile: None,
        ..ConnectOptions::default()
    })
    .await
    .expect("connect");
    d.list_tables().await.expect("list through connect()");
    assert!(d.context().is_local());
}
