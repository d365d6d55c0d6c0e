//! The demo's saved access patterns against DynamoDB Local with the demo
//! data: every pattern, run with its example parameters over all pages,
//! returns exactly the items its access pattern describes (computed here in
//! memory from the generated items), in the right order; and the headless
//! CLI (`patterns check`, `query`) agrees.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use common::{db, demo_design, unique};
use dyntui::app::config::demo_project;
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::pattern::Pattern;
use dyntui::dynamo::request::ItemsRequest;
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::value::item_to_plain;
use dyntui::dynamo::{AttributeValue, Item};

/// `dyntui seed demo`'s default seed.
const SEED: u64 = 42;
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

fn demo_items() -> &'static Vec<Item> {
    static ITEMS: OnceLock<Vec<Item>> = OnceLock::new();
    ITEMS.get_or_init(|| generate(SEED, DemoSize::default()))
}

/// A table with the demo design, filled with the demo data once for all
/// tests of this file (on a thread of its own: the tests' runtimes are
/// per test).
fn seeded_table() -> &'static str {
    static TABLE: OnceLock<String> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let db = db();
                let name = unique("patterns");
                demo_design(&name).create(&db).await.expect("create table");
                let report = write_all(
                    &db,
                    &name,
                    demo_items().clone(),
                    &WriteOptions::default(),
                    Arc::new(Progress::default()),
                )
                .await
                .expect("write the demo items");
                assert_eq!(report.written, demo_items().len() as u64);
                name
            })
        })
        .join()
        .expect("seeding thread")
    })
}

// ------------------------------------------------------------------ helpers

/// A string attribute ("" when missing or not a string).
fn s<'a>(it: &'a Item, attr: &str) -> &'a str {
    match it.get(attr) {
        Some(AttributeValue::S(v)) => v,
        _ => "",
    }
}

/// A number attribute's text.
fn n<'a>(it: &'a Item, attr: &str) -> Option<&'a str> {
    match it.get(attr) {
        Some(AttributeValue::N(v)) => Some(v),
        _ => None,
    }
}

fn key(it: &Item) -> (String, String) {
    (s(it, "PK").to_string(), s(it, "SK").to_string())
}

/// Compares two plain decimals (`-12.5`, `100`, `0.25`; no exponent)
/// exactly, digit by digit: no floating point.
fn dec_cmp(a: &str, b: &str) -> Ordering {
    fn parts(x: &str) -> (bool, String, String) {
        assert!(
            !x.contains(['e', 'E']) && !x.is_empty(),
            "not a plain decimal: {x}"
        );
        let (neg, x) = match x.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, x),
        };
        let (i, f) = x.split_once('.').unwrap_or((x, ""));
        assert!(
            i.bytes().chain(f.bytes()).all(|b| b.is_ascii_digit()),
            "not a plain decimal: {x}"
        );
        let i = i.trim_start_matches('0').to_string();
        let f = f.trim_end_matches('0').to_string();
        let zero = i.is_empty() && f.is_empty();
        (neg && !zero, i, f)
    }
    fn magnitude(ai: &str, af: &str, bi: &str, bf: &str) -> Ordering {
        ai.len()
            .cmp(&bi.len())
            .then_with(|| ai.cmp(bi))
            .then_with(|| {
                let w = af.len().max(bf.len());
                format!("{af:0<w$}").cmp(&format!("{bf:0<w$}"))
            })
    }
    let (an, ai, af) = parts(a);
    let (bn, bi, bf) = parts(b);
    match (an, bn) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => magnitude(&ai, &af, &bi, &bf),
        (true, true) => magnitude(&bi, &bf, &ai, &af),
    }
}

#[test]
fn dec_cmp_is_exact() {
    use Ordering::*;
    for (a, b, want) in [
        ("100", "100", Equal),
        ("100.0", "100", Equal),
        ("099.50", "99.5", Equal),
        ("99.99", "100", Less),
        ("100.01", "100", Greater),
        ("1000", "999.999", Greater),
        ("0.3", "0.25", Greater),
        ("-1", "0", Less),
        ("-0", "0", Equal),
        ("-2.5", "-2.25", Less),
        // f64 says these are equal.
        ("100.00000000000000001", "100", Greater),
    ] {
        assert_eq!(dec_cmp(a, b), want, "{a} vs {b}");
        assert_eq!(dec_cmp(b, a), want.reverse(), "{b} vs {a}");
    }
}

/// Every item of a request, page by page; checks each page against the
/// page size. Returns the items and the number of pages.
async fn all_pages(db: &Dynamo, req: &ItemsRequest) -> (Vec<Item>, usize) {
    let mut out = Vec::new();
    let mut start = None;
    let mut pages = 0;
    loop {
        let p = db.fetch_page(req, start.take()).await.expect("page");
        pages += 1;
        if let Some(limit) = req.page_size {
            assert!(
                p.items.len() <= limit as usize,
                "a page of {} items over Limit {limit}",
                p.items.len()
            );
        }
        out.extend(p.items);
        match p.next {
            Some(k) => start = Some(k),
            None => break,
        }
        assert!(pages < 10_000, "runaway paging");
    }
    (out, pages)
}

// ------------------------------------------------------- the access patterns

/// How results must be ordered: by the index's sort key (whose attribute
/// is named), or in no particular order (a Scan).
#[derive(Debug, Clone, Copy)]
enum Order {
    Any,
    Asc(&'static str),
    Desc(&'static str),
}

/// What a demo pattern must return, restated independently of the pattern
/// file: the index it reads (None = the table), whether it scans, which
/// items it returns, in which order, and which attributes.
struct Expect {
    index: Option<&'static str>,
    scan: bool,
    keep: Box<dyn Fn(&Item) -> bool>,
    order: Order,
    projection: Option<&'static [&'static str]>,
}

impl Expect {
    fn query(
        index: Option<&'static str>,
        order: Order,
        keep: impl Fn(&Item) -> bool + 'static,
    ) -> Self {
        Expect {
            index,
            scan: false,
            keep: Box::new(keep),
            order,
            projection: None,
        }
    }
}

/// The restatement of each demo pattern, given its parameter values. `None`
/// for a pattern this file does not know: the test fails, so a new demo
/// pattern cannot go untested.
fn expectation(name: &str, p: &BTreeMap<String, String>) -> Option<Expect> {
    let param = |k: &str| {
        p.get(k)
            .unwrap_or_else(|| panic!("pattern `{name}` has no example for `{k}`"))
            .clone()
    };
    use Order::*;
    Some(match name {
        "get-customer" => {
            let key = format!("CUSTOMER#{}", param("customerId"));
            Expect::query(None, Asc("SK"), move |it| {
                s(it, "PK") == key && s(it, "SK") == key
            })
        }
        "customer-with-orders" => {
            let pk = format!("CUSTOMER#{}", param("customerId"));
            Expect::query(None, Asc("SK"), move |it| s(it, "PK") == pk)
        }
        "customer-orders" => {
            let pk = format!("CUSTOMER#{}", param("customerId"));
            Expect::query(None, Desc("SK"), move |it| {
                s(it, "PK") == pk && s(it, "SK").starts_with("ORDER#")
            })
        }
        "customer-orders-between" => {
            let pk = format!("CUSTOMER#{}", param("customerId"));
            let (from, to) = (param("from"), param("to"));
            Expect::query(None, Asc("SK"), move |it| {
                // Dates are YYYY-MM-DD: text order is date order.
                let d = s(it, "orderDate");
                s(it, "PK") == pk
                    && s(it, "SK").starts_with("ORDER#")
                    && from.as_str() <= d
                    && d <= to.as_str()
            })
        }
        "customer-big-orders" => {
            let pk = format!("CUSTOMER#{}", param("customerId"));
            let min = param("minTotal");
            Expect::query(None, Asc("SK"), move |it| {
                s(it, "PK") == pk
                    && s(it, "SK").starts_with("ORDER#")
                    && n(it, "total").is_some_and(|t| dec_cmp(t, &min) != Ordering::Less)
            })
        }
        "customer-by-email" => {
            let email = param("email");
            let pk = format!("EMAIL#{email}");
            Expect::query(Some("GSI1"), Asc("GSI1SK"), move |it| {
                s(it, "GSI1PK") == pk && s(it, "email") == email
            })
        }
        "order-with-items" => {
            let pk = format!("ORDER#{}", param("orderId"));
            Expect::query(Some("GSI1"), Asc("GSI1SK"), move |it| s(it, "GSI1PK") == pk)
        }
        "order-items" => {
            let pk = format!("ORDER#{}", param("orderId"));
            Expect::query(None, Asc("SK"), move |it| {
                s(it, "PK") == pk && s(it, "SK").starts_with("ITEM#")
            })
        }
        "orders-by-status" => {
            let (status, since) = (param("status"), param("since"));
            let pk = format!("STATUS#{status}");
            Expect::query(Some("GSI2"), Desc("GSI2SK"), move |it| {
                s(it, "GSI2PK") == pk
                    && s(it, "status") == status
                    && s(it, "orderDate") >= since.as_str()
            })
        }
        "products-by-category" => {
            let pk = format!("CATEGORY#{}", param("category"));
            Expect {
                projection: Some(&[
                    "PK", "SK", "Type", "sku", "name", "price", "stock", "active",
                ]),
                ..Expect::query(Some("GSI2"), Asc("GSI2SK"), move |it| {
                    s(it, "GSI2PK") == pk && s(it, "GSI2SK").starts_with("PRODUCT#")
                })
            }
        }
        "product-reviews" => {
            let pk = format!("PRODUCT#{}", param("sku"));
            Expect::query(None, Desc("SK"), move |it| {
                s(it, "PK") == pk && s(it, "SK").starts_with("REVIEW#")
            })
        }
        "product-sales" => {
            let sku = param("sku");
            let pk = format!("PRODUCT#{sku}");
            Expect::query(Some("GSI2"), Asc("GSI2SK"), move |it| {
                s(it, "GSI2PK") == pk
                    && s(it, "GSI2SK").starts_with("ORDER#")
                    && s(it, "sku") == sku
            })
        }
        "customer-reviews" => {
            let pk = format!("CUSTOMER#{}", param("customerId"));
            Expect::query(Some("GSI1"), Asc("GSI1SK"), move |it| {
                s(it, "GSI1PK") == pk && s(it, "GSI1SK").starts_with("REVIEW#")
            })
        }
        "low-stock-products" => {
            let below = param("below");
            Expect {
                scan: true,
                ..Expect::query(None, Any, move |it| {
                    s(it, "Type") == "Product"
                        && it.get("active") == Some(&AttributeValue::Bool(true))
                        && n(it, "stock").is_some_and(|v| dec_cmp(v, &below) == Ordering::Less)
                })
            }
        }
        _ => return None,
    })
}

/// The parameter values to run a pattern with: its examples; and for a
/// pattern of a customer, also the customer with the most orders (the
/// example customer has only one, which would not show order, range or
/// filter), with a narrower date range and a total with cents.
fn param_sets(pat: &Pattern, busy: &str) -> Vec<BTreeMap<String, String>> {
    let examples = pat.example_params();
    let mut out = vec![examples.clone()];
    if pat.param("customerId").is_some() {
        let mut more = examples;
        more.insert("customerId".into(), busy.into());
        for (k, v) in [
            ("from", "2024-04-01"),
            ("to", "2025-03-31"),
            ("minTotal", "250.5"),
        ] {
            if pat.param(k).is_some() {
                more.insert(k.into(), v.into());
            }
        }
        out.push(more);
    }
    out
}

#[tokio::test]
async fn every_demo_pattern_returns_exactly_its_items() {
    let table = seeded_table();
    let db = db();
    let info = db.describe(table).await.expect("describe");
    let project = demo_project().expect("demo project");
    let items = demo_items();
    let by_key: HashMap<(String, String), &Item> = items.iter().map(|i| (key(i), i)).collect();
    assert_eq!(by_key.len(), items.len(), "demo keys are unique");

    let busy = busiest_customer();
    let mut untested = Vec::new();
    let mut checked = Vec::new();
    'patterns: for sp in &project.patterns {
        let pat = &sp.pattern;
        let name = pat.name.as_str();
        for params in param_sets(pat, &busy) {
            let Some(want) = expectation(name, &params) else {
                untested.push(name.to_string());
                continue 'patterns;
            };
            let req = pat
                .compile(table, &info, &params)
                .unwrap_or_else(|e| panic!("{name} {params:?}: {e}"));
            assert_eq!(req.index.as_deref(), want.index, "{name} {params:?}: index");
            assert_eq!(req.is_scan(), want.scan, "{name} {params:?}: scan or query");
            assert_eq!(req.page_size, pat.limit, "{name} {params:?}: limit");

            let (got, pages) = all_pages(&db, &req).await;

            // The expected items, computed from the generated data.
            let mut expected: Vec<&Item> = items.iter().filter(|i| (want.keep)(i)).collect();
            assert!(
                !expected.is_empty(),
                "{name} {params:?}: nothing in the demo data matches"
            );
            if let Some(limit) = pat.limit
                && !want.scan
            {
                assert!(
                    pages >= expected.len().div_ceil(limit as usize),
                    "{name} {params:?}: {} items in {pages} pages of at most {limit}",
                    expected.len()
                );
            }

            // Exactly those items (by key), no repeats.
            let got_keys: Vec<(String, String)> = got.iter().map(key).collect();
            let got_set: BTreeSet<_> = got_keys.iter().cloned().collect();
            assert_eq!(
                got_set.len(),
                got_keys.len(),
                "{name} {params:?}: repeated items"
            );
            let want_set: BTreeSet<_> = expected.iter().map(|i| key(i)).collect();
            let missing: Vec<_> = want_set.difference(&got_set).collect();
            let extra: Vec<_> = got_set.difference(&want_set).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{name} {params:?}: missing {missing:?}, unexpected {extra:?}"
            );

            // In order of the index's sort key (ties, possible on a GSI, in any order).
            match want.order {
                Order::Any => {}
                Order::Asc(attr) | Order::Desc(attr) => {
                    let desc = matches!(want.order, Order::Desc(_));
                    assert_eq!(req.forward, !desc, "{name} {params:?}: direction");
                    expected.sort_by(|a, b| s(a, attr).cmp(s(b, attr)));
                    if desc {
                        expected.reverse();
                    }
                    // (Of the written item: a projection may leave the key out.)
                    let got_sort: Vec<&str> =
                        got.iter().map(|i| s(by_key[&key(i)], attr)).collect();
                    let want_sort: Vec<&str> = expected.iter().map(|i| s(i, attr)).collect();
                    assert_eq!(
                        got_sort,
                        want_sort,
                        "{name} {params:?}: not in {} {attr} order",
                        if desc { "descending" } else { "ascending" }
                    );
                }
            }

            // Whole items as written, or only the projected attributes.
            for it in &got {
                let written = by_key[&key(it)];
                match want.projection {
                    None => assert_eq!(it, written, "{name} {params:?}: item differs"),
                    Some(attrs) => {
                        assert_eq!(
                            pat.projection, attrs,
                            "{name} {params:?}: projection in the pattern file"
                        );
                        let names: BTreeSet<&str> = it.keys().map(String::as_str).collect();
                        assert_eq!(
                            names,
                            attrs.iter().copied().collect::<BTreeSet<_>>(),
                            "{name} {params:?}: projected attributes"
                        );
                        for a in attrs {
                            assert_eq!(it.get(*a), written.get(*a), "{name} {params:?}: {a}");
                        }
                    }
                }
                // A pattern's declared entity is what it returns.
                if let Some(entity) = &pat.entity {
                    assert_eq!(
                        s(it, "Type"),
                        entity.as_str(),
                        "{name} {params:?}: entity of {:?}",
                        key(it)
                    );
                }
            }
        }
        checked.push(name.to_string());
    }
    assert!(
        untested.is_empty(),
        "demo patterns without an expectation in tests/patterns_local.rs: {untested:?}"
    );
    assert_eq!(checked.len(), project.patterns.len());
    // Every restated pattern still exists (and is run above).
    for name in KNOWN_PATTERNS {
        assert!(
            checked.iter().any(|c| c == name),
            "no demo pattern `{name}` any more"
        );
    }
}

/// The patterns `expectation` knows.
const KNOWN_PATTERNS: [&str; 14] = [
    "get-customer",
    "customer-with-orders",
    "customer-orders",
    "customer-orders-between",
    "customer-big-orders",
    "customer-by-email",
    "order-with-items",
    "order-items",
    "orders-by-status",
    "products-by-category",
    "product-reviews",
    "product-sales",
    "customer-reviews",
    "low-stock-products",
];

// --------------------------------------------------------------------- CLI

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run_bin(args: &[&str]) -> Run {
    let log = std::env::temp_dir().join(format!("dyntui-patterns-{}.log", std::process::id()));
    let out: Output = Command::new(env!("CARGO_BIN_EXE_dyntui"))
        .arg("--config")
        .arg(CONFIG)
        .arg("--log-file")
        .arg(&log)
        .args(args)
        .output()
        .expect("run dyntui");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn demo_pattern_names() -> Vec<String> {
    demo_project()
        .expect("demo project")
        .patterns
        .iter()
        .map(|p| p.pattern.name.clone())
        .collect()
}

#[tokio::test]
async fn patterns_check_passes_on_demo_data_and_fails_on_an_empty_table() {
    let ep = common::endpoint();
    let names = demo_pattern_names();
    let total = names.len();

    let table = seeded_table();
    let r = run_bin(&["patterns", "check", "--endpoint-url", &ep, "--table", table]);
    assert!(r.ok, "check failed:\n{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .lines()
            .any(|l| l == format!("{total} passed, 0 failed")),
        "{}",
        r.stdout
    );
    for name in &names {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with(&format!("PASS   {name} ("))),
            "{name} did not pass:\n{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("WARN"), "{}", r.stdout);

    // The same design, no items: every pattern is EMPTY and the exit fails.
    let empty = unique("patterns-empty");
    demo_design(&empty).create(&db()).await.expect("create");
    let r = run_bin(&[
        "patterns",
        "check",
        "--endpoint-url",
        &ep,
        "--table",
        &empty,
    ]);
    assert!(!r.ok, "check passed on an empty table:\n{}", r.stdout);
    for name in &names {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(&format!(
                "EMPTY  {name} (no items for the example parameters; read 1 page, scanned 0 items, "
            ))),
            "{name} not EMPTY:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .lines()
            .any(|l| l == format!("0 passed, {total} failed")),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(&format!(
            "{total} of {total} patterns failed on table `{empty}`"
        )),
        "{}",
        r.stderr
    );
    // ... unless empty results are allowed.
    let r = run_bin(&[
        "patterns",
        "check",
        "--allow-empty",
        "--endpoint-url",
        &ep,
        "--table",
        &empty,
    ]);
    assert!(r.ok, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("{total} passed, 0 failed")),
        "{}",
        r.stdout
    );
}

/// customer-orders for a customer as the CLI prints them (jsonl), newest first.
fn expected_customer_orders(customer: &str) -> Vec<String> {
    let pk = format!("CUSTOMER#{customer}");
    let mut orders: Vec<&Item> = demo_items()
        .iter()
        .filter(|i| s(i, "PK") == pk && s(i, "SK").starts_with("ORDER#"))
        .collect();
    orders.sort_by(|a, b| s(b, "SK").cmp(s(a, "SK")));
    orders
        .into_iter()
        .map(|i| serde_json::to_string(&item_to_plain(i)).expect("json"))
        .collect()
}

/// The customer with the most orders (the first such id).
fn busiest_customer() -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for it in demo_items() {
        if s(it, "Type") == "Order" {
            *counts.entry(s(it, "customerId")).or_default() += 1;
        }
    }
    let max = counts.values().copied().max().expect("orders");
    counts
        .into_iter()
        .find(|(_, c)| *c == max)
        .map(|(id, _)| id.to_string())
        .expect("a customer")
}

/// The `--cursor` value from "next page: --cursor X" on stderr.
fn cursor_of(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("next page: --cursor "))
        .map(|c| c.trim().to_string())
}

fn query_args<'a>(customer_param: &'a str, ep: &'a str, table: &'a str) -> Vec<&'a str> {
    vec![
        "query",
        "customer-orders",
        "--param",
        customer_param,
        "-o",
        "jsonl",
        "--endpoint-url",
        ep,
        "--table",
        table,
    ]
}

/// Runs with `--page-size 1`, then with each printed cursor until none is
/// printed; returns each run's lines.
fn pages_of_one(base: &[&str], max_runs: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        assert!(pages.len() < max_runs, "paging does not end: {pages:?}");
        let mut args = base.to_vec();
        args.extend(["--page-size", "1"]);
        if let Some(c) = &cursor {
            args.extend(["--cursor", c.as_str()]);
        }
        let r = run_bin(&args);
        assert!(r.ok, "{}", r.stderr);
        let page: Vec<String> = r.stdout.lines().map(str::to_string).collect();
        assert!(page.len() <= 1, "page {}: {page:?}", pages.len());
        pages.push(page);
        cursor = cursor_of(&r.stderr);
        if cursor.is_none() {
            return pages;
        }
    }
}

#[test]
fn query_prints_the_pattern_items_and_pages_with_a_cursor() {
    let ep = common::endpoint();
    let table = seeded_table();

    // The example customer: exactly its orders, newest first, on one page
    // of 25 (the pattern's limit), so no cursor.
    let want = expected_customer_orders("c00001");
    assert!(
        !want.is_empty() && want.len() < 25,
        "c00001 has {} orders",
        want.len()
    );
    let base = query_args("customerId=c00001", &ep, table);
    let r = run_bin(&base);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        want,
        "customer-orders output"
    );
    assert_eq!(cursor_of(&r.stderr), None, "{}", r.stderr);

    // --explain shows the compiled request and the estimate, and runs
    // nothing: no items on stdout.
    let mut args = base.clone();
    args.push("--explain");
    let r = run_bin(&args);
    assert!(r.ok, "{}", r.stderr);
    assert!(!r.stdout.contains("\"orderId\""), "{}", r.stdout);
    for part in [
        "\"KeyConditionExpression\": \"#pk = :pk AND begins_with(#sk, :sk)\"",
        "\"ScanIndexForward\": false",
        "\"Limit\": 25",
        "\"S\": \"CUSTOMER#c00001\"",
        "estimate: Query of",
        "nothing was run (--explain)",
    ] {
        assert!(r.stdout.contains(part), "`{part}` not in\n{}", r.stdout);
    }
    // As JSON: the request beside the estimates.
    let mut args = base.clone();
    args.extend(["--explain", "json"]);
    let r = run_bin(&args);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["request"]["Limit"], 25, "{v}");
    assert_eq!(v["estimates"][0]["read"]["kind"], "Query", "{v}");
    assert_eq!(
        v["estimates"][0]["read"]["items"].as_u64(),
        Some(want.len() as u64),
        "the probe read the whole result: {v}"
    );

    // --page-size 1 without --all: one item and a cursor; the cursor run
    // gives the next item (or nothing after the last one).
    let pages = pages_of_one(&base, want.len() + 2);
    assert_eq!(pages[0], want[..1], "the first page");
    assert_eq!(pages.concat(), want, "page by page");

    // A customer with several orders: page after page, one order each.
    let busy = busiest_customer();
    let want = expected_customer_orders(&busy);
    assert!(want.len() >= 3, "{busy} has {} orders", want.len());
    let param = format!("customerId={busy}");
    let base = query_args(&param, &ep, table);
    let pages = pages_of_one(&base, want.len() + 2);
    assert_eq!(pages[0], want[..1], "the first page");
    assert_eq!(pages[1], want[1..2], "the page after the first cursor");
    assert!(pages.len() >= want.len(), "{} pages", pages.len());
    assert_eq!(pages.concat(), want, "page by page");

    // --all with page size 1 prints everything and no cursor.
    let mut args = base.clone();
    args.extend(["--page-size", "1", "--all"]);
    let r = run_bin(&args);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), want);
    assert_eq!(cursor_of(&r.stderr), None, "{}", r.stderr);
}

#[test]
fn query_rejects_a_bad_param_before_sending_anything() {
    let ep = common::endpoint();
    let table = seeded_table();
    let run = |endpoint: &str| {
        run_bin(&[
            "query",
            "orders-by-status",
            "--param",
            "status=NOPE",
            "--endpoint-url",
            endpoint,
            "--table",
            table,
        ])
    };
    let live = run(&ep);
    assert!(!live.ok, "accepted status=NOPE:\n{}", live.stdout);
    assert_eq!(live.stdout, "");
    assert!(
        live.stderr.contains(
            "pattern `orders-by-status`: --param status: `NOPE` is not one of PLACED, PAID, SHIPPED, DELIVERED, CANCELLED, RETURNED"
        ),
        "{}",
        live.stderr
    );
    // Nothing listens on port 9: the same message proves no request was made.
    let dead = run("http://127.0.0.1:9");
    assert!(!dead.ok);
    assert_eq!(dead.stdout, "");
    assert_eq!(dead.stderr, live.stderr);
    // A missing required parameter and an unknown pattern fail the same way.
    let r = run_bin(&[
        "query",
        "customer-orders",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--table",
        table,
    ]);
    assert!(!r.ok);
    assert!(
        r.stderr
            .contains("pattern `customer-orders`: --param customerId: missing"),
        "{}",
        r.stderr
    );
    let r = run_bin(&[
        "query",
        "no-such-pattern",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--table",
        table,
    ]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("no pattern `no-such-pattern`"),
        "{}",
        r.stderr
    );
}
