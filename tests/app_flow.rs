//! The app driven by messages against DynamoDB Local, no terminal: opening a
//! table, paging as the cursor moves, queries from the form, the latest
//! request winning, and errors shown as state.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::{db, demo_design, unique};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, demo_project};
use dyntui::app::tui::screens::items::ItemsMsg;
use dyntui::app::tui::screens::migrate::Files;
use dyntui::app::tui::state::{App, Input, Loadable, Msg, Screen};
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::migrate::FileStatus;
use dyntui::dynamo::request::RequestKind;
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::{AttributeValue, Item};
use tokio::sync::mpsc::UnboundedReceiver;

async fn seeded_table(size: DemoSize) -> (String, Vec<Item>) {
    let db = db();
    let name = unique("app");
    demo_design(&name).create(&db).await.expect("create");
    let items = generate(11, size);
    write_all(
        &db,
        &name,
        items.clone(),
        &WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("seed");
    (name, items)
}

fn app(page_size: i32) -> (App, UnboundedReceiver<Msg>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut settings = Settings::defaults().unwrap();
    settings.ui.page_size = page_size;
    settings.ui.prefetch_rows = 5;
    let d = db();
    let ctx = d.context().clone();
    let app = App::new(
        settings,
        demo_project().unwrap(),
        Ok(d),
        ctx,
        tx,
        Clipboard::Memory(vec![]),
    );
    (app, rx)
}

/// Applies messages until nothing is in flight.
/// (Effects the updates asked for run first, as the event loop runs them.)
async fn settle(app: &mut App, rx: &mut UnboundedReceiver<Msg>) {
    let mut runner = app.runner();
    app.run_effects(&mut runner);
    while app.busy() {
        let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a reply within 20 s")
            .expect("channel open");
        app.update(msg);
        app.run_effects(&mut runner);
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Event(Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

#[tokio::test]
async fn tables_list_then_items_page_as_the_cursor_moves() {
    let (name, items) = seeded_table(DemoSize {
        customers: 30,
        products: 10,
        orders: 40,
        reviews: 20,
    })
    .await;
    let (mut app, mut rx) = app(25);
    app.load_tables();
    settle(&mut app, &mut rx).await;
    let Loadable::Ready(list) = &app.tables.list.state else {
        panic!("tables not loaded")
    };
    let pos = list
        .iter()
        .position(|t| *t == name)
        .expect("our table listed");
    // Filter the list to our table and open it.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &name);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.tables.selected_name().as_deref(),
        Some(name.as_str()),
        "filtered from position {pos}"
    );
    settle(&mut app, &mut rx).await;
    assert!(matches!(app.described.get(&name), Some(Loadable::Ready(_))));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Items);
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    assert!(st.request.is_scan());
    assert_eq!(st.rows.len(), 25, "one page of 25 first");
    assert!(!st.done);

    // G goes to the bottom and keeps loading until every page is in.
    key(&mut app, KeyCode::Char('G'));
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    assert!(st.done, "all pages loaded");
    assert_eq!(st.rows.len(), items.len());
    let keys: HashSet<_> = st
        .rows
        .iter()
        .map(|r| {
            (
                format!("{:?}", r.item()["PK"]),
                format!("{:?}", r.item()["SK"]),
            )
        })
        .collect();
    assert_eq!(keys.len(), items.len(), "no page repeated");
    // Every item decoded by its Type attribute.
    let customers = st.decoder.entity_id("Customer").unwrap();
    assert_eq!(st.type_counts.get(&Some(customers)), Some(&30));
    assert_eq!(st.type_counts.get(&None), None, "no untyped items");

    // Type filter then text filter narrow the view.
    key(&mut app, KeyCode::Char('t'));
    let st = app.items.as_ref().unwrap();
    assert!(st.type_filter.is_some());
    let first_type = st.type_filter;
    assert!(
        st.view
            .iter()
            .all(|&i| st.rows[i].class.entity == first_type)
    );
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "c00007");
    key(&mut app, KeyCode::Enter);
    let st = app.items.as_ref().unwrap();
    assert!(!st.view.is_empty());
    assert!(st.view.len() < st.rows.len());
}

#[tokio::test]
async fn query_form_runs_a_query_and_stale_pages_are_dropped() {
    let (name, items) = seeded_table(DemoSize {
        customers: 10,
        products: 5,
        orders: 30,
        reviews: 5,
    })
    .await;
    let (mut app, mut rx) = app(200);
    app.open_table(&name);
    settle(&mut app, &mut rx).await;
    assert!(app.items.as_ref().unwrap().info.is_some());

    // s opens the form; type the partition key of customer c00003 and begins_with ORDER#.
    key(&mut app, KeyCode::Char('s'));
    let Some(Input::Query(form)) = &app.input else {
        panic!("query form not open")
    };
    assert_eq!(form.field, 1, "cursor starts on the partition key");
    key(&mut app, KeyCode::Char('u'));
    // Clear any prefilled key with backspaces.
    for _ in 0..64 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "CUSTOMER#c00003");
    key(&mut app, KeyCode::Tab); // sort op (begins_with preselected)
    key(&mut app, KeyCode::Tab); // sort key
    typed(&mut app, "ORDER#");
    key(&mut app, KeyCode::Enter);
    assert!(app.input.is_none(), "form closed: {:?}", app.input);
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    match &st.request.kind {
        RequestKind::Query { pk, sort, .. } => {
            assert_eq!(pk, &AttributeValue::S("CUSTOMER#c00003".into()));
            assert!(sort.is_some());
        }
        other => panic!("not a query: {other:?}"),
    }
    let want = items
        .iter()
        .filter(|i| {
            i.get("PK") == Some(&AttributeValue::S("CUSTOMER#c00003".into()))
                && matches!(i.get("SK"), Some(AttributeValue::S(s)) if s.starts_with("ORDER#"))
        })
        .count();
    assert!(want > 0);
    assert_eq!(st.rows.len(), want);
    assert!(st.request.describe().starts_with("QUERY"));

    // A reply for an older request id is dropped.
    let before = st.rows.len();
    let stale = Msg::Items(ItemsMsg::Page(
        0,
        Ok(dyntui::dynamo::client::Page {
            items: items.clone(),
            ..Default::default()
        }),
    ));
    assert!(!app.update(stale));
    assert_eq!(app.items.as_ref().unwrap().rows.len(), before);

    // A server-side filter with an error keeps the input open with the message.
    key(&mut app, KeyCode::Char('f'));
    typed(&mut app, "status ~ x");
    key(&mut app, KeyCode::Enter);
    match &app.input {
        Some(Input::ServerFilter { error: Some(e), .. }) => {
            assert!(e.contains("unknown operator"), "{e}")
        }
        other => panic!("expected a filter error, got {other:?}"),
    }
    key(&mut app, KeyCode::Esc);

    // Enter opens the detail; copy the key and the CLI command.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);
    assert_eq!(
        app.detail.as_ref().unwrap().entity.as_deref(),
        Some("Order")
    );
    key(&mut app, KeyCode::Char('C'));
    let cmd = app.clipboard.last().unwrap().to_string();
    assert!(cmd.starts_with(&format!("aws dynamodb get-item --table-name {name} --key '{{\"PK\":{{\"S\":\"CUSTOMER#c00003\"}}")), "{cmd}");
    assert!(cmd.contains("--endpoint-url http://127.0.0.1:"), "{cmd}");
}

#[tokio::test]
async fn missing_table_is_shown_as_an_error_state() {
    let (mut app, mut rx) = app(50);
    app.open_table("no-such-table-at-all");
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    let e = st.error.as_ref().expect("error state");
    assert_eq!(e.code, "ResourceNotFoundException");
    // Still running: back to the tables list.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Tables);
    assert!(!app.should_quit);
}

#[tokio::test]
async fn a_new_request_while_a_page_is_in_flight_is_not_lost() {
    let (name, items) = seeded_table(DemoSize {
        customers: 10,
        products: 5,
        orders: 20,
        reviews: 5,
    })
    .await;
    let (mut app, mut rx) = app(10);
    app.open_table(&name);
    // Wait for the description only; the first scan page is then in flight.
    let mut runner = app.runner();
    app.run_effects(&mut runner);
    while app.items.as_ref().is_some_and(|i| i.info.is_none()) {
        let m = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap()
            .unwrap();
        app.update(m);
        app.run_effects(&mut runner);
    }
    assert!(
        app.items.as_ref().unwrap().loading(),
        "first page in flight"
    );
    // Run a query before that page arrives: the scan is aborted, the query runs.
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('u'));
    for _ in 0..64 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "CUSTOMER#c00002");
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    assert!(!st.loading());
    let want = items
        .iter()
        .filter(|i| i.get("PK") == Some(&AttributeValue::S("CUSTOMER#c00002".into())))
        .count();
    assert_eq!(st.rows.len(), want);
    assert!(
        st.rows
            .iter()
            .all(|r| r.item().get("PK") == Some(&AttributeValue::S("CUSTOMER#c00002".into())))
    );
}

#[tokio::test]
async fn a_filter_matching_nothing_does_not_read_the_whole_table() {
    let (name, _) = seeded_table(DemoSize {
        customers: 30,
        products: 10,
        orders: 40,
        reviews: 20,
    })
    .await;
    let (mut app, mut rx) = app(10);
    app.open_table(&name);
    settle(&mut app, &mut rx).await;
    assert_eq!(app.items.as_ref().unwrap().rows.len(), 10);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "no-such-text-anywhere");
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    assert!(st.view.is_empty());
    assert_eq!(
        st.rows.len(),
        10,
        "no page loaded just because nothing matched"
    );
    // G asks for every page.
    key(&mut app, KeyCode::Char('G'));
    settle(&mut app, &mut rx).await;
    assert!(app.items.as_ref().unwrap().done);
}

// ------------------------------------------------------------ migrations view

const ORDER_MONTH: &str = r#"description = "Month of each order; total becomes amount"
[select]
type = "Order"
[[op]]
set = { attribute = "orderMonth", template = "M#{orderDate}" }
[[op]]
rename = { from = "total", to = "amount" }
[down]
[[down.op]]
remove = { attribute = "orderMonth" }
[[down.op]]
rename = { from = "amount", to = "total" }
"#;

fn shop_item(pk: &str, sk: &str, attrs: &[(&str, AttributeValue)]) -> Item {
    let mut it = Item::new();
    it.insert("PK".into(), AttributeValue::S(pk.into()));
    it.insert("SK".into(), AttributeValue::S(sk.into()));
    for (k, v) in attrs {
        it.insert(k.to_string(), v.clone());
    }
    it
}

/// The table's items without the ledger's.
async fn data(db: &dyntui::dynamo::client::Dynamo, t: &str) -> BTreeMap<String, String> {
    common::items::snapshot(db, t)
        .await
        .into_iter()
        .filter(|(k, _)| !k.contains("_dyntui#migrations"))
        .collect()
}

fn outcome(app: &App) -> &dyntui::dynamo::migrate::RunReport {
    match &app.migrate.outcome {
        Some(o) => match &o.result {
            Ok(r) => r,
            Err(e) => panic!("the run failed: {e}"),
        },
        None => panic!("no run finished"),
    }
}

fn status_of_first(app: &App) -> FileStatus {
    let l = app.migrate.ready().expect("listing");
    l.status(0).expect("a status").0
}

#[tokio::test]
async fn migrations_view_dry_run_run_stop_resume_and_revert() {
    let db = db();
    let name = unique("migview");
    demo_design(&name).create(&db).await.expect("create");
    let s = |v: &str| AttributeValue::S(v.into());
    let n = |v: &str| AttributeValue::N(v.into());
    for i in 1..=3 {
        common::items::put(
            &db,
            &name,
            shop_item(
                &format!("CUSTOMER#c{i}"),
                &format!("ORDER#2025-0{i}-1{i}#o{i}"),
                &[
                    ("Type", s("Order")),
                    ("orderDate", s(&format!("2025-0{i}"))),
                    ("total", n(&format!("1{i}.25"))),
                    ("status", s("SHIPPED")),
                ],
            ),
        )
        .await;
        common::items::put(
            &db,
            &name,
            shop_item(
                &format!("CUSTOMER#c{i}"),
                &format!("CUSTOMER#c{i}"),
                &[("Type", s("Customer")), ("total", n("7"))],
            ),
        )
        .await;
    }
    let original = data(&db, &name).await;
    let folder = common::items::dir_with(&[("001_order_month.toml", ORDER_MONTH)]);

    let (mut app, mut rx) = app(50);
    app.project.migrations_dir = Some(folder.path().to_path_buf());
    app.open_table(&name);
    settle(&mut app, &mut rx).await;
    // M opens the view for the open table.
    key(&mut app, KeyCode::Char('M'));
    assert_eq!(app.screen, Screen::Migrate);
    assert_eq!(app.migrate.table.as_deref(), Some(name.as_str()));
    settle(&mut app, &mut rx).await;
    assert_eq!(app.migrate.migrations().len(), 1);
    assert_eq!(status_of_first(&app), FileStatus::Pending);

    // d: a dry run, no confirmation; the diffs of the three orders, nothing written.
    key(&mut app, KeyCode::Char('d'));
    assert!(app.migrate.confirm.is_none());
    assert!(app.migrate.run.is_some());
    settle(&mut app, &mut rx).await;
    let r = outcome(&app);
    assert!(r.dry_run && !r.stopped);
    assert_eq!((r.counts.selected, r.counts.changed), (3, 3));
    assert_eq!(app.migrate.diffs.len(), 3);
    for d in &app.migrate.diffs {
        assert!(d.key.starts_with("PK=CUSTOMER#c"), "{}", d.key);
        let names: Vec<&str> = d.changes.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["amount", "orderMonth", "total"], "{d}");
        assert!(d.changes.iter().any(|(n, b, a)| n == "orderMonth"
            && b.is_none()
            && a.as_deref().is_some_and(|a| a.starts_with("M#2025-0"))));
    }
    assert_eq!(data(&db, &name).await, original, "a dry run writes nothing");
    assert_eq!(status_of_first(&app), FileStatus::Pending);

    // enter asks; y starts; s at once stops it before its first page: interrupted.
    key(&mut app, KeyCode::Enter);
    assert!(app.migrate.confirm.is_some());
    key(&mut app, KeyCode::Char('y'));
    assert!(app.migrate.run.is_some());
    key(&mut app, KeyCode::Char('s'));
    assert!(app.migrate.run.as_ref().unwrap().stopping());
    settle(&mut app, &mut rx).await;
    let r = outcome(&app);
    assert!(r.stopped && !r.dry_run);
    assert_eq!(status_of_first(&app), FileStatus::Interrupted);
    assert!(
        app.flash.is_none(),
        "the stopping message is gone: {:?}",
        app.flash
    );
    assert!(
        app.migrate
            .log
            .iter()
            .any(|l| l.contains("stopped (interrupted)")),
        "{:?}",
        app.migrate.log
    );
    assert!(
        app.migrate.log.iter().any(|l| l.contains("resume")),
        "{:?}",
        app.migrate.log
    );

    // Running it again resumes and applies; exactly the orders change.
    key(&mut app, KeyCode::Char('r'));
    let c = app.migrate.confirm.clone().expect("confirmation");
    assert!(
        c.notes.iter().any(|n| n.contains("resumes")),
        "{:?}",
        c.notes
    );
    key(&mut app, KeyCode::Char('y'));
    settle(&mut app, &mut rx).await;
    let r = outcome(&app);
    assert!(r.resumed && !r.stopped);
    assert_eq!(
        (r.counts.selected, r.counts.changed, r.counts.unchanged),
        (3, 3, 0)
    );
    assert_eq!(status_of_first(&app), FileStatus::Applied);
    let entry = app.migrate.ready().unwrap().status(0).unwrap().1.cloned();
    assert_eq!(entry.map(|e| e.counts.changed), Some(3));
    let after = data(&db, &name).await;
    assert_eq!(after.len(), original.len());
    for i in 1..=3 {
        let o = common::items::get(
            &db,
            &name,
            &format!("CUSTOMER#c{i}"),
            &format!("ORDER#2025-0{i}-1{i}#o{i}"),
        )
        .await;
        assert_eq!(o.get("orderMonth"), Some(&s(&format!("M#2025-0{i}"))));
        assert_eq!(o.get("amount"), Some(&n(&format!("1{i}.25"))));
        assert_eq!(o.get("total"), None);
        assert_eq!(o.get("status"), Some(&s("SHIPPED")));
        assert_eq!(o.len(), 7, "{o:?}");
    }
    for (k, v) in &original {
        if k.contains("CUSTOMER#c") && !k.contains("ORDER#") {
            assert_eq!(after.get(k), Some(v), "customers untouched");
        }
    }

    // u reverts with the [down] part: the table is as it was.
    key(&mut app, KeyCode::Char('u'));
    let c = app.migrate.confirm.clone().expect("confirmation");
    assert_eq!(c.direction, dyntui::dynamo::migrate::Direction::Down);
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &mut rx).await;
    let r = outcome(&app);
    assert_eq!(r.counts.changed, 3);
    assert_eq!(status_of_first(&app), FileStatus::Reverted);
    assert_eq!(data(&db, &name).await, original, "reverted exactly");

    // A bad file: every error with its line; nothing runs.
    std::fs::write(
        folder.path().join("002_bad.toml"),
        "[select]\ntype = \"Order\"\n[[op]]\nrename = { from = \"SK\", to = \"sk\" }\n",
    )
    .unwrap();
    // ctrl-r reads the folder and the ledger again.
    app.update(Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    ))));
    settle(&mut app, &mut rx).await;
    let l = app.migrate.ready().expect("listing");
    match &l.files {
        Files::Errors(e) => {
            assert_eq!(e.len(), 1, "{e:?}");
            assert!(e[0].contains("002_bad.toml:3:1: "), "{e:?}");
        }
        other => panic!("errors expected, got {other:?}"),
    }
    key(&mut app, KeyCode::Char('d'));
    assert!(app.migrate.run.is_none());
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Items);
}
