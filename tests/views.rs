//! Screen snapshots of every view, drawn on ratatui's `TestBackend` with no
//! network: state is set directly or driven through `App::update` with key
//! events; nothing here spawns a request.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test views`
//! and read the `.snap` files before committing them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, demo_project};
use dyntui::app::tui::state::{App, Input, Loadable, Msg, Screen};
use dyntui::dynamo::client::{Dynamo, IndexInfo, KeyDef, KeyKind, TableInfo};
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::error::{AwsError, ConnContext};
use dyntui::dynamo::request::{ItemsRequest, RequestKind, SortCondition};
use dyntui::dynamo::{AttributeValue, Item};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const TABLE: &str = "dyntui-demo";
const ENDPOINT: &str = "http://127.0.0.1:8000";

// ------------------------------------------------------------ fixtures

fn ctx() -> ConnContext {
    ConnContext {
        region: Some("us-east-1".into()),
        endpoint: Some(ENDPOINT.into()),
        profile: None,
    }
}

/// A client that is never used: it only sends when a request is spawned,
/// and these tests never spawn one.
fn offline_dynamo() -> Dynamo {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    Dynamo::from_config(config, None, Some(ENDPOINT.into()))
}

fn app_with(db: Result<Dynamo, AwsError>) -> App {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    App::new(
        Settings::defaults().expect("default settings"),
        demo_project().expect("demo project"),
        db,
        ctx(),
        tx,
        Clipboard::Memory(Vec::new()),
    )
}

/// A connected app on the tables screen.
fn connected() -> App {
    app_with(Ok(offline_dynamo()))
}

fn key_def(name: &str) -> KeyDef {
    KeyDef {
        name: name.into(),
        kind: Some(KeyKind::S),
    }
}

fn gsi(name: &str, pk: &str, sk: &str, items: i64) -> IndexInfo {
    IndexInfo {
        name: name.into(),
        global: true,
        pk: key_def(pk),
        sk: Some(key_def(sk)),
        projection: "ALL".into(),
        status: Some("ACTIVE".into()),
        capacity: None,
        item_count: Some(items),
        size_bytes: Some(items * 310),
    }
}

/// What DescribeTable (+ TTL + PITR) says about the demo table.
fn demo_info() -> TableInfo {
    TableInfo {
        name: TABLE.into(),
        status: "ACTIVE".into(),
        pk: Some(key_def("PK")),
        sk: Some(key_def("SK")),
        indexes: vec![
            gsi("GSI1", "GSI1PK", "GSI1SK", 5_980),
            gsi("GSI2", "GSI2PK", "GSI2SK", 1_620),
        ],
        billing_mode: "PAY_PER_REQUEST".into(),
        capacity: None,
        on_demand_max: None,
        warm: None,
        item_count: Some(6_412),
        size_bytes: Some(2_348_113),
        stream: Some("NEW_AND_OLD_IMAGES".into()),
        stream_arn: None,
        ttl: Some("ENABLED (expiresAt)".into()),
        pitr: Some("ENABLED".into()),
        deletion_protection: Some(true),
        created: Some("2025-03-14T09:26:53Z".into()),
    }
}

/// A plain provisioned table with no indexes.
fn simple_info(name: &str) -> TableInfo {
    TableInfo {
        name: name.into(),
        status: "ACTIVE".into(),
        pk: Some(key_def("id")),
        sk: None,
        billing_mode: "PROVISIONED".into(),
        capacity: Some((5, 5)),
        item_count: Some(120),
        size_bytes: Some(18_400),
        deletion_protection: Some(false),
        ..TableInfo::default()
    }
}

fn table_names() -> Vec<String> {
    ["audit-log", TABLE, "dyntui-sessions", "orders-archive"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A small, deterministic slice of the demo shop, in the order a Scan of one
/// item collection after another returns it, plus one untyped item.
fn demo_items() -> Vec<Item> {
    let mut items = generate(
        7,
        DemoSize {
            customers: 4,
            products: 3,
            orders: 5,
            reviews: 4,
        },
    );
    items.push(Item::from([
        ("PK".to_string(), s("CONFIG")),
        ("SK".to_string(), s("SCHEMA")),
        ("version".to_string(), AttributeValue::N("3".into())),
    ]));
    items.sort_by_key(sort_key);
    items
}

fn sort_key(i: &Item) -> (String, String) {
    let text = |k: &str| match i.get(k) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    };
    (text("PK"), text("SK"))
}

fn text_of(i: &Item, k: &str) -> String {
    match i.get(k) {
        Some(AttributeValue::S(v)) => v.clone(),
        other => panic!("{k} is not a string: {other:?}"),
    }
}

/// A connected app showing a Scan of the demo items.
fn scanned() -> App {
    let mut app = connected();
    app.show_loaded_items(demo_info(), ItemsRequest::scan(TABLE), demo_items());
    app
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Event(Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Moves the items cursor to the first row of an entity type.
fn select_first(app: &mut App, entity: &str) {
    let items = app.items.as_ref().expect("items view");
    let pos = items
        .view
        .iter()
        .position(|&i| {
            matches!(items.rows[i].item().get("Type"), Some(AttributeValue::S(t)) if t == entity)
        })
        .unwrap_or_else(|| panic!("no {entity} in view"));
    for _ in 0..pos {
        press(app, KeyCode::Char('j'));
    }
    assert_eq!(app.items.as_ref().unwrap().cursor.selected, pos);
}

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| dyntui::views::render(f, app)).unwrap();
    terminal
}

fn snap(name: &str, app: &App) {
    snap_sized(name, app, 120, 30);
}

fn snap_sized(name: &str, app: &App, w: u16, h: u16) {
    let terminal = draw(app, w, h);
    insta::assert_snapshot!(name, terminal.backend());
}

// ------------------------------------------------------------ tables

#[tokio::test]
async fn tables_loading() {
    let mut app = connected();
    app.tables.list.state = Loadable::Loading;
    snap("tables_loading", &app);
}

#[tokio::test]
async fn tables_loaded_with_summary() {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    app.tables.nav.cursor.selected = 1;
    app.described
        .insert(TABLE.into(), Loadable::Ready(demo_info()));
    assert_eq!(app.tables.selected_name().as_deref(), Some(TABLE));
    snap("tables_loaded_with_summary", &app);
}

#[tokio::test]
async fn tables_selected_still_describing() {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    app.described.insert("audit-log".into(), Loadable::Loading);
    snap("tables_selected_still_describing", &app);
}

#[tokio::test]
async fn tables_describe_failed() {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    app.described.insert(
        "audit-log".into(),
        Loadable::Failed(
            AwsError::new(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: \
                 dynamodb:DescribeTable on resource: arn:aws:dynamodb:us-east-1:123456789012:table/audit-log",
            )
            .with_hint("the policy of this identity does not allow dynamodb:DescribeTable"),
        ),
    );
    snap("tables_describe_failed", &app);
}

#[tokio::test]
async fn tables_small_terminal() {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    app.tables.nav.cursor.selected = 1;
    app.described
        .insert(TABLE.into(), Loadable::Ready(demo_info()));
    snap_sized("tables_80x24", &app, 80, 24);
}

#[tokio::test]
async fn tables_empty() {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(Vec::new());
    snap("tables_empty", &app);
}

#[tokio::test]
async fn tables_list_failed() {
    let mut app = connected();
    app.tables.list.state = Loadable::Failed(
        AwsError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
        .with_hint(
            "the credentials of profile (default) are not valid for region us-east-1; \
             check `aws sts get-caller-identity`",
        ),
    );
    snap("tables_list_failed", &app);
}

#[tokio::test]
async fn tables_filter_typed() {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    // Every table already described: typing re-describes the selection only
    // when it is not known yet, so nothing is requested.
    for name in table_names() {
        let info = if name == TABLE {
            demo_info()
        } else {
            simple_info(&name)
        };
        app.described.insert(name, Loadable::Ready(info));
    }
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "dyntui");
    assert_eq!(app.input, Some(Input::TablesFilter));
    assert_eq!(app.tables.visible(), vec![TABLE, "dyntui-sessions"]);
    snap("tables_filter_typing", &app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.input, None);
    assert_eq!(app.tables.nav.filter, "dyntui");
    snap("tables_filter_kept", &app);
    // A filter matching nothing says so.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zzz");
    press(&mut app, KeyCode::Enter);
    snap("tables_filter_no_match", &app);
}

// ------------------------------------------------------------ items

#[tokio::test]
async fn items_scan() {
    let app = scanned();
    let items = app.items.as_ref().unwrap();
    assert_eq!(items.rows.len(), demo_items().len());
    assert!(items.done);
    snap("items_scan", &app);
}

#[tokio::test]
async fn items_type_filter() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('t'));
    let items = app.items.as_ref().unwrap();
    let t = items.type_filter.expect("a type is selected");
    assert_eq!(items.decoder.entity_name(t), "Customer");
    snap("items_type_filter_customer", &app);
    // Next type: Order.
    press(&mut app, KeyCode::Char('t'));
    let items = app.items.as_ref().unwrap();
    assert_eq!(
        items.decoder.entity_name(items.type_filter.unwrap()),
        "Order"
    );
    snap("items_type_filter_order", &app);
}

#[tokio::test]
async fn items_raw_keys() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('K'));
    assert!(app.items.as_ref().unwrap().raw_keys);
    snap("items_raw_keys", &app);
}

#[tokio::test]
async fn items_index_keys() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('i'));
    assert!(app.items.as_ref().unwrap().show_index_keys);
    snap("items_index_keys", &app);
}

/// The customer with the most orders, and their orders newest first.
fn customer_orders() -> (String, Vec<Item>) {
    let items = demo_items();
    let orders: Vec<&Item> = items
        .iter()
        .filter(|i| {
            text_of(i, "SK").starts_with("ORDER#") && text_of(i, "PK").starts_with("CUSTOMER#")
        })
        .collect();
    let mut best: Option<(usize, String)> = None;
    for o in &orders {
        let pk = text_of(o, "PK");
        let n = orders.iter().filter(|x| text_of(x, "PK") == pk).count();
        if best
            .as_ref()
            .is_none_or(|(m, p)| n > *m || (n == *m && pk < *p))
        {
            best = Some((n, pk));
        }
    }
    let pk = best.expect("some orders").1;
    let mut mine: Vec<Item> = orders
        .into_iter()
        .filter(|o| text_of(o, "PK") == pk)
        .cloned()
        .collect();
    mine.sort_by_key(sort_key);
    mine.reverse();
    (pk, mine)
}

#[tokio::test]
async fn items_query() {
    let (pk, orders) = customer_orders();
    assert!(!orders.is_empty());
    let mut app = connected();
    let req = ItemsRequest {
        kind: RequestKind::Query {
            pk_name: "PK".into(),
            pk: s(&pk),
            sort: Some(("SK".into(), SortCondition::BeginsWith(s("ORDER#")))),
        },
        page_size: Some(200),
        forward: false,
        ..ItemsRequest::scan(TABLE)
    };
    app.show_loaded_items(demo_info(), req, orders);
    snap("items_query", &app);
}

#[tokio::test]
async fn items_empty_result() {
    let mut app = connected();
    let req = ItemsRequest {
        kind: RequestKind::Query {
            pk_name: "PK".into(),
            pk: s("CUSTOMER#c99999"),
            sort: None,
        },
        ..ItemsRequest::scan(TABLE)
    };
    app.show_loaded_items(demo_info(), req, Vec::new());
    snap("items_empty_result", &app);
}

#[tokio::test]
async fn items_request_failed() {
    let mut app = connected();
    app.show_loaded_items(demo_info(), ItemsRequest::scan(TABLE), Vec::new());
    app.items.as_mut().unwrap().error = Some(
        AwsError::new(
            "ResourceNotFoundException",
            "Cannot do operations on a non-existent table",
        )
        .with_hint(format!(
            "table {TABLE} does not exist in region us-east-1 at endpoint {ENDPOINT}"
        )),
    );
    snap("items_request_failed", &app);
}

#[tokio::test]
async fn items_text_filter() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "backpack");
    assert_eq!(app.input, Some(Input::TextFilter));
    let n = app.items.as_ref().unwrap().view.len();
    assert!(n > 1, "the filter matches several demo items: {n}");
    snap("items_text_filter_typing", &app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.input, None);
    assert_eq!(app.items.as_ref().unwrap().view.len(), n);
    snap("items_text_filter_kept", &app);
}

#[tokio::test]
async fn items_next_page_failed() {
    let mut app = scanned();
    let items = app.items.as_mut().unwrap();
    items.done = false;
    items.error = Some(AwsError::new(
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ));
    snap("items_next_page_failed", &app);
}

/// Before `G`, the head line says what reading everything would cost;
/// the title shows what the pages read consumed beside their estimate.
#[tokio::test]
async fn items_estimate_before_and_after() {
    let mut app = scanned();
    let items = app.items.as_mut().unwrap();
    items.done = false;
    items.stats.pages = 1;
    items.stats.scanned = 200;
    items.stats.consumed = 9.5;
    items.stats.estimated = Some(9.0);
    snap("items_estimate_before_and_after", &app);
}

/// `G` on a table whose read is above `[estimates] confirm_above_units`
/// asks first.
#[tokio::test]
async fn items_read_all_confirmation() {
    let mut app = scanned();
    let mut info = demo_info();
    info.item_count = Some(40_000_000);
    info.size_bytes = Some(40_000_000 * 366);
    let estimate = dyntui::dynamo::estimate::plan::describe_only(
        &info,
        &ItemsRequest::scan(TABLE),
        Some("us-east-1"),
        &app.settings.estimates.prices,
    );
    app.input = Some(Input::ReadAll {
        estimate: Box::new(estimate),
        confirm: dyntui::app::tui::widgets::Confirm::yes_no(),
    });
    snap("items_read_all_confirmation", &app);
}

#[tokio::test]
async fn items_scan_small_terminal() {
    let app = scanned();
    snap_sized("items_scan_80x24", &app, 80, 24);
}

#[tokio::test]
async fn items_text_filter_no_match() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "no-such-thing");
    press(&mut app, KeyCode::Enter);
    assert!(app.items.as_ref().unwrap().view.is_empty());
    snap("items_text_filter_no_match", &app);
}

// ------------------------------------------------------------ detail

#[tokio::test]
async fn detail_plain_and_typed() {
    let mut app = scanned();
    select_first(&mut app, "Product");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);
    let d = app.detail.as_ref().unwrap();
    assert_eq!(d.entity.as_deref(), Some("Product"));
    assert!(!d.key_fields.is_empty());
    snap_sized("detail_plain_json", &app, 120, 40);
    press(&mut app, KeyCode::Char('t'));
    assert!(app.detail.as_ref().unwrap().show_types);
    snap_sized("detail_dynamodb_json", &app, 120, 40);
}

#[tokio::test]
async fn detail_untyped_item() {
    let mut app = scanned();
    let items = app.items.as_ref().unwrap();
    let pos = items
        .view
        .iter()
        .position(|&i| items.rows[i].class.entity.is_none())
        .expect("the untyped item");
    for _ in 0..pos {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.detail.as_ref().unwrap().entity, None);
    snap("detail_untyped", &app);
}

// ------------------------------------------------------------ help

#[tokio::test]
async fn help_overlay() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.help, Some(0));
    snap("help_overlay", &app);
    // Tall enough to show every binding.
    snap_sized("help_overlay_full", &app, 120, 80);
    // The items view's keys come first: `?` opens at the screen's section.
    let first = dyntui::views::help::lines(&app)
        .first()
        .map(|l| l.to_string())
        .unwrap_or_default();
    assert_eq!(first, "Items");
    // Scrolled to the migrations view's keys.
    let at = dyntui::views::help::lines(&app)
        .iter()
        .position(|l| l.to_string() == "Migrations")
        .expect("a Migrations section");
    app.help = Some(at as u16);
    snap("help_overlay_migrations", &app);
    app.help = Some(0);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.help, None);
    assert_eq!(app.screen, Screen::Items);
}

// ------------------------------------------------------------ query form

#[tokio::test]
async fn query_form() {
    let mut app = scanned();
    select_first(&mut app, "Customer");
    press(&mut app, KeyCode::Char('s'));
    let Some(Input::Query(form)) = &app.input else {
        panic!("query form is open: {:?}", app.input)
    };
    assert_eq!(form.field, 1);
    assert!(form.pk.starts_with("CUSTOMER#"), "prefilled: {}", form.pk);
    snap("query_form", &app);
}

#[tokio::test]
async fn query_form_between_needs_two_values() {
    let mut app = scanned();
    select_first(&mut app, "Customer");
    press(&mut app, KeyCode::Char('s'));
    // Sort op: begins_with -> between.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    // Sort key: a first value, and no second one.
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "ORDER#2024");
    press(&mut app, KeyCode::Enter);
    let Some(Input::Query(form)) = &app.input else {
        panic!("query form stays open: {:?}", app.input)
    };
    assert_eq!(
        form.error.as_deref(),
        Some("between needs a second value (…and)")
    );
    // Nothing was requested: still the scan, all loaded.
    let items = app.items.as_ref().unwrap();
    assert!(items.request.is_scan());
    assert!(!items.loading());
    snap("query_form_error", &app);
}

#[tokio::test]
async fn query_form_without_partition_key_warns_of_scan() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('s'));
    // Clear the prefilled partition key and pick GSI2.
    app.update(Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    ))));
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    let Some(Input::Query(form)) = &app.input else {
        panic!("query form is open")
    };
    assert!(form.pk.is_empty());
    assert_eq!(form.index, 2);
    snap("query_form_no_pk", &app);
}

// ------------------------------------------------------------ server filter

#[tokio::test]
async fn server_filter_parse_error() {
    let mut app = scanned();
    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "status = ");
    snap("server_filter_typing", &app);
    press(&mut app, KeyCode::Enter);
    let Some(Input::ServerFilter { text, error }) = &app.input else {
        panic!("filter box stays open: {:?}", app.input)
    };
    assert_eq!(text, "status = ");
    assert!(error.is_some());
    assert!(app.items.as_ref().unwrap().request.filter.is_none());
    snap("server_filter_error", &app);
}

// ------------------------------------------------------------ connection failure

#[test]
fn connection_failure() {
    let app = app_with(Err(AwsError::new(
        "NoCredentials",
        "no AWS credentials were found for region us-east-1",
    )
    .with_hint(
        "run `aws configure` or `aws sso login`, set AWS_PROFILE, or export \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    )));
    assert!(app.fatal.is_some());
    snap("connection_failure", &app);
}

#[test]
fn connection_failure_help() {
    let mut app = app_with(Err(AwsError::new("NoCredentials", "no credentials")));
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.help, Some(0));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.help, None);
    assert!(!app.should_quit);
    press(&mut app, KeyCode::Esc);
    assert!(app.should_quit);
}

// ------------------------------------------------------------ copying

#[tokio::test]
async fn copy_key_and_cli_command() {
    let mut app = scanned();
    select_first(&mut app, "Customer");
    let row = app
        .items
        .as_ref()
        .unwrap()
        .selected_row()
        .unwrap()
        .item
        .clone();
    let (pk, sk) = (text_of(&row, "PK"), text_of(&row, "SK"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Detail);

    press(&mut app, KeyCode::Char('c'));
    let key = format!(r#"{{"PK":{{"S":"{pk}"}},"SK":{{"S":"{sk}"}}}}"#);
    assert_eq!(app.clipboard.last(), Some(key.as_str()));
    let (_, flash) = app.flash.as_ref().expect("a flash message");
    assert_eq!(flash, "copied key (memory)");
    snap("detail_copied_key", &app);

    press(&mut app, KeyCode::Char('C'));
    let cli = format!(
        "aws dynamodb get-item --table-name {TABLE} --key '{key}' \
         --region us-east-1 --endpoint-url {ENDPOINT}"
    );
    assert_eq!(app.clipboard.last(), Some(cli.as_str()));
    snap("detail_copied_cli", &app);

    // Any other key clears the flash.
    press(&mut app, KeyCode::Char('j'));
    assert!(app.flash.is_none());
}

#[tokio::test]
async fn copy_json_from_items_view() {
    let mut app = scanned();
    select_first(&mut app, "Review");
    press(&mut app, KeyCode::Char('y'));
    let text = app.clipboard.last().expect("copied").to_string();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["Type"], "Review");
    assert!(v["rating"].is_number());
    assert_eq!(
        app.flash.as_ref().map(|(_, m)| m.as_str()),
        Some("copied item as JSON (memory)")
    );
}

// ------------------------------------------------------------ patterns

/// A connected app on the tables screen with the demo table selected and
/// described, so patterns run against it with a known key schema.
fn tables_with_demo(info: TableInfo) -> App {
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    app.tables.nav.cursor.selected = 1;
    app.described.insert(TABLE.into(), Loadable::Ready(info));
    assert_eq!(app.tables.selected_name().as_deref(), Some(TABLE));
    app
}

/// Names of the patterns the list shows, in order.
fn visible_patterns(app: &App) -> Vec<String> {
    app.patterns
        .visible(&app.project)
        .into_iter()
        .map(|i| app.project.patterns[i].pattern.name.clone())
        .collect()
}

/// The name of the selected pattern.
fn selected_pattern(app: &App) -> String {
    visible_patterns(app)[app.patterns.list.cursor.selected].clone()
}

/// Moves the patterns cursor down to the pattern `name`.
fn select_pattern(app: &mut App, name: &str) {
    let pos = visible_patterns(app)
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no pattern {name} in the list"));
    for _ in 0..pos {
        press(app, KeyCode::Char('j'));
    }
    assert_eq!(selected_pattern(app), name);
}

fn pattern_form(app: &App) -> &dyntui::app::tui::input::PatternForm {
    match &app.input {
        Some(Input::PatternForm(form)) => form,
        other => panic!("the pattern form is open: {other:?}"),
    }
}

#[tokio::test]
async fn patterns_list() {
    let mut app = tables_with_demo(demo_info());
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.screen, Screen::Patterns);
    assert_eq!(app.patterns.back_to, Some(Screen::Tables));
    assert_eq!(app.pattern_table().as_deref(), Some(TABLE));
    assert!(app.pattern_table_info().is_some());
    assert_eq!(visible_patterns(&app).len(), 14);
    // Every demo pattern fits the demo table.
    for i in 0..app.project.patterns.len() {
        assert_eq!(app.pattern_warnings(i), Vec::<String>::new());
    }
    assert_eq!(selected_pattern(&app), "get-customer");
    snap("patterns_list", &app);
    // esc goes back to the tables.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Tables);
}

#[tokio::test]
async fn patterns_fuzzy_filter() {
    let mut app = tables_with_demo(demo_info());
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.input, Some(Input::PatternsFilter));
    type_text(&mut app, "ordrs");
    let names = visible_patterns(&app);
    for n in [
        "customer-orders",
        "orders-by-status",
        "customer-with-orders",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    assert!(!names.iter().any(|x| x == "get-customer"), "{names:?}");
    snap("patterns_filter_typing", &app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.input, None);
    assert_eq!(app.patterns.list.filter, "ordrs");
    assert_eq!(visible_patterns(&app), names);
    snap("patterns_filter_kept", &app);
    // esc first clears the filter, then leaves.
    press(&mut app, KeyCode::Esc);
    assert!(app.patterns.list.filter.is_empty());
    assert_eq!(app.screen, Screen::Patterns);
    assert_eq!(visible_patterns(&app).len(), 14);
}

#[tokio::test]
async fn patterns_scan_detail() {
    let mut app = tables_with_demo(demo_info());
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(selected_pattern(&app), "low-stock-products");
    assert!(
        app.project
            .pattern("low-stock-products")
            .unwrap()
            .pattern
            .needs_scan()
    );
    snap("patterns_scan_detail", &app);
}

#[tokio::test]
async fn patterns_form() {
    let mut app = tables_with_demo(demo_info());
    press(&mut app, KeyCode::Char('p'));
    select_pattern(&mut app, "orders-by-status");
    press(&mut app, KeyCode::Enter);
    let form = pattern_form(&app);
    assert_eq!(form.name, "orders-by-status");
    // Parameters come in the order dyntui.toml declares them.
    assert_eq!(
        form.values,
        vec![
            ("status".to_string(), "SHIPPED".to_string()),
            ("since".to_string(), "2024-01-01".to_string()),
        ]
    );
    assert_eq!(form.field, 0);
    assert_eq!(form.errors, vec![None, None]);
    snap("patterns_form", &app);
}

#[tokio::test]
async fn patterns_form_errors() {
    let mut app = tables_with_demo(demo_info());
    press(&mut app, KeyCode::Char('p'));
    select_pattern(&mut app, "orders-by-status");
    press(&mut app, KeyCode::Enter);

    // `since` (the second field): not a calendar date, flagged while typing.
    press(&mut app, KeyCode::Tab);
    assert_eq!(pattern_form(&app).values[1].0, "since");
    for _ in 0.."2024-01-01".len() {
        press(&mut app, KeyCode::Backspace);
    }
    assert_eq!(pattern_form(&app).values[1].1, "");
    assert_eq!(pattern_form(&app).errors[1].as_deref(), Some("required"));
    type_text(&mut app, "2024-02-30");
    let form = pattern_form(&app);
    assert_eq!(form.field, 1);
    assert_eq!(form.values[1].1, "2024-02-30");
    assert_eq!(
        form.errors[1].as_deref(),
        Some("`2024-02-30` is not a date (YYYY-MM-DD)")
    );
    snap("patterns_form_date_error", &app);

    // `status` (the first field): not one of the enum's values.
    press(&mut app, KeyCode::BackTab);
    assert_eq!(pattern_form(&app).field, 0);
    app.update(Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    ))));
    type_text(&mut app, "NOPE");
    let form = pattern_form(&app);
    assert_eq!(form.values[0].1, "NOPE");
    assert_eq!(
        form.errors[0].as_deref(),
        Some("`NOPE` is not one of PLACED, PAID, SHIPPED, DELIVERED, CANCELLED, RETURNED")
    );
    assert_eq!(form.error, None);

    // Enter does not run it: the form stays open and says why.
    press(&mut app, KeyCode::Enter);
    let form = pattern_form(&app);
    assert_eq!(
        form.error.as_deref(),
        Some("fix the marked parameters first")
    );
    assert!(form.errors.iter().all(Option::is_some));
    assert_eq!(app.screen, Screen::Patterns);
    assert!(app.items.is_none());
    snap("patterns_form_not_run", &app);

    // Typing clears the form-level message; esc closes the form.
    press(&mut app, KeyCode::Backspace);
    assert_eq!(pattern_form(&app).error, None);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.input, None);
    assert_eq!(app.screen, Screen::Patterns);
}

/// The items view showing what `customer-orders` returns for the customer
/// with the most demo orders (built without running it).
fn customer_orders_results() -> (App, String) {
    let (pk, orders) = customer_orders();
    let id = pk.strip_prefix("CUSTOMER#").unwrap().to_string();
    let mut app = connected();
    let info = demo_info();
    let values = std::collections::BTreeMap::from([("customerId".to_string(), id.clone())]);
    let req = app
        .project
        .pattern("customer-orders")
        .unwrap()
        .pattern
        .compile(TABLE, &info, &values)
        .expect("compiles");
    assert_eq!(req.page_size, Some(25));
    assert!(!req.forward);
    app.show_loaded_items(info, req, orders);
    let items = app.items.as_mut().unwrap();
    let req = items.request.clone();
    items.set_request(req, Some("customer-orders".into()));
    (app, id)
}

#[tokio::test]
async fn patterns_results() {
    let (app, _) = customer_orders_results();
    assert_eq!(app.screen, Screen::Items);
    snap("patterns_results", &app);
    snap_sized("patterns_results_80x24", &app, 80, 24);
}

#[tokio::test]
async fn patterns_copy_request() {
    let (mut app, id) = customer_orders_results();
    press(&mut app, KeyCode::Char('Q'));
    let cli = format!(
        "aws dynamodb query --table-name {TABLE} \
         --key-condition-expression '#pk = :pk AND begins_with(#sk, :sk)' \
         --expression-attribute-names '{{\"#pk\":\"PK\",\"#sk\":\"SK\"}}' \
         --expression-attribute-values \
         '{{\":pk\":{{\"S\":\"CUSTOMER#{id}\"}},\":sk\":{{\"S\":\"ORDER#\"}}}}' \
         --no-scan-index-forward --limit 25 \
         --region us-east-1 --endpoint-url {ENDPOINT}"
    );
    assert_eq!(app.clipboard.last(), Some(cli.as_str()));
    assert_eq!(
        app.flash.as_ref().map(|(_, m)| m.as_str()),
        Some("copied request as an aws dynamodb command (memory)")
    );

    press(&mut app, KeyCode::Char('J'));
    let json = format!(
        r##"{{
  "TableName": "{TABLE}",
  "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :sk)",
  "ExpressionAttributeNames": {{
    "#pk": "PK",
    "#sk": "SK"
  }},
  "ExpressionAttributeValues": {{
    ":pk": {{
      "S": "CUSTOMER#{id}"
    }},
    ":sk": {{
      "S": "ORDER#"
    }}
  }},
  "ScanIndexForward": false,
  "Limit": 25,
  "ReturnConsumedCapacity": "TOTAL"
}}"##
    );
    assert_eq!(app.clipboard.last(), Some(json.as_str()));
    assert_eq!(
        app.flash.as_ref().map(|(_, m)| m.as_str()),
        Some("copied request as JSON (memory)")
    );
}

#[tokio::test]
async fn patterns_not_fitting_table() {
    let mut info = demo_info();
    info.indexes.retain(|i| i.name != "GSI2");
    let mut app = tables_with_demo(info);
    press(&mut app, KeyCode::Char('p'));
    select_pattern(&mut app, "orders-by-status");
    let i = app
        .project
        .patterns
        .iter()
        .position(|p| p.pattern.name == "orders-by-status")
        .unwrap();
    assert_eq!(
        app.pattern_warnings(i),
        vec![format!(
            "pattern `orders-by-status`: table `{TABLE}` has no index `GSI2` (indexes: GSI1)"
        )]
    );
    snap("patterns_not_fitting", &app);
}

// ------------------------------------------------------------ seed view

#[tokio::test]
async fn seed_view_lists_sets_and_confirms() {
    let mut app = tables_with_demo(demo_info());
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.screen, Screen::Seed);
    // The demo project's sets: demo (built in), fixtures (files), more-customers (generators).
    snap("seed_view", &app);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    let c = app.seed.confirm.clone().expect("confirmation open");
    assert_eq!(
        (c.set.as_str(), c.table.as_str(), c.reset),
        ("more-customers", TABLE, false)
    );
    assert!(c.protected().is_none());
    snap("seed_confirm", &app);
    press(&mut app, KeyCode::Char('n'));
    assert!(app.seed.confirm.is_none());
    assert!(app.seed.run.is_none(), "nothing started");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Tables);
}

#[tokio::test]
async fn seed_view_protected_table_needs_its_name_typed() {
    let mut app = connected();
    let mut info = demo_info();
    info.name = "shop-prod".into();
    app.tables.list.state = Loadable::Ready(vec!["shop-prod".into()]);
    app.described
        .insert("shop-prod".into(), Loadable::Ready(info));
    app.project.default_table = None;
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Enter);
    let c = app.seed.confirm.clone().expect("confirmation open");
    assert!(c.protected().unwrap_or("").contains("`*prod*`"));
    // `y` is just a typed letter here, and enter with a wrong name refuses.
    type_text(&mut app, "y");
    press(&mut app, KeyCode::Enter);
    assert!(app.seed.confirm.is_some(), "still asking");
    assert!(app.seed.run.is_none());
    snap("seed_protected", &app);
}

// ------------------------------------------------------------ metrics view

use dyntui::app::tui::screens::metrics::EnableConfirm;

fn incident() -> dyntui::metrics::snapshot::Snapshot {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/incident.json");
    dyntui::metrics::snapshot::Snapshot::load(std::path::Path::new(path)).expect("demo incident")
}

#[tokio::test]
async fn metrics_incident_snapshot_at_two_sizes() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    assert_eq!(app.screen, Screen::Metrics);
    snap_sized("metrics_incident_120x40", &app, 120, 40);
    snap_sized("metrics_incident_200x60", &app, 200, 60);
    // A narrow terminal stacks the charts over the side panels.
    snap_sized("metrics_incident_80x30", &app, 80, 30);
}

#[tokio::test]
async fn metrics_cursor_moves_and_every_chart_shows_its_time() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    let last = app.metrics.cursor_time().expect("a grid");
    for _ in 0..30 {
        press(&mut app, KeyCode::Left);
    }
    let at = app.metrics.cursor_time().expect("a cursor");
    assert_eq!(last - at, 30 * 60, "30 steps of 60 s");
    let screen = draw(&app, 200, 60).backend().to_string();
    let hhmm = dyntui::metrics::fmt_time(at);
    assert!(screen.contains(&format!("cursor {hhmm}")), "{screen}");
    snap_sized("metrics_cursor", &app, 200, 60);
    // Back to the latest point.
    for _ in 0..40 {
        press(&mut app, KeyCode::Right);
    }
    assert_eq!(app.metrics.cursor, None);
}

#[tokio::test]
async fn metrics_hot_key_opens_its_partition() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    let keys = app.metrics.hot_keys();
    assert!(keys[0].throttled);
    assert_eq!(keys[0].keys[0], "CUSTOMER#c00243");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Items);
    let st = app.items.as_ref().unwrap();
    match &st.request.kind {
        RequestKind::Query { pk_name, pk, sort } => {
            assert_eq!(pk_name, "PK");
            assert_eq!(pk, &AttributeValue::S("CUSTOMER#c00243".into()));
            assert!(sort.is_none());
        }
        other => panic!("not a query: {other:?}"),
    }
}

#[tokio::test]
async fn metrics_on_dynamodb_local_without_snapshot_says_why() {
    let mut app = tables_with_demo(demo_info());
    app.project.offline_snapshot = None;
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.screen, Screen::Metrics);
    snap("metrics_no_cloudwatch", &app);
}

#[tokio::test]
async fn metrics_loading_and_enable_confirmation() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    // Enabling is refused on a snapshot.
    press(&mut app, KeyCode::Char('E'));
    assert!(app.metrics.enable_confirm.is_none());
    // The confirmation as it shows on a live table.
    app.metrics.enable_confirm = Some(EnableConfirm::default());
    snap("metrics_enable_confirm", &app);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.metrics.enable_confirm.as_ref().map(|c| c.mode), Some(1));
    press(&mut app, KeyCode::Esc);
    assert!(app.metrics.enable_confirm.is_none());
    app.metrics.data.state = Loadable::Loading;
    snap("metrics_loading", &app);
}

#[tokio::test]
async fn tables_list_shows_throttle_sparklines() {
    let mut app = tables_with_demo(demo_info());
    // The demo's incident: its table throttled in the last hour.
    let (table, bars) = dyntui::metrics::sparklines::from_snapshot(&incident());
    assert_eq!(table, TABLE);
    assert!(bars.iter().any(|b| *b > 0.0));
    app.tables.sparks.insert(table, bars);
    let screen = draw(&app, 120, 30).backend().to_string();
    assert!(screen.contains('█'), "{screen}");
    snap("tables_sparklines", &app);
}

#[tokio::test]
async fn metrics_snapshot_saved_and_loaded_shows_the_same_screen() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    let before = draw(&app, 160, 45).backend().to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("again.json");
    app.metrics_snapshot()
        .expect("a snapshot")
        .save(&path)
        .unwrap();
    let mut again = tables_with_demo(demo_info());
    again.open_snapshot(dyntui::metrics::snapshot::Snapshot::load(&path).unwrap());
    let after = draw(&again, 160, 45).backend().to_string();
    assert_eq!(before, after);
}

#[tokio::test]
async fn metrics_with_no_data_in_the_range() {
    let mut app = tables_with_demo(demo_info());
    let mut snap = incident();
    for s in &mut snap.data.series {
        s.points.clear();
    }
    snap.reports.clear();
    snap.alerts.clear();
    app.open_snapshot(snap);
    let screen = draw(&app, 120, 40).backend().to_string();
    assert!(screen.contains("no data in this range"), "{screen}");
    assert!(screen.contains("no alerts in this range"), "{screen}");
    snap_sized("metrics_no_data", &app, 120, 40);
}

// ------------------------------------------------------------ migrations view

use dyntui::app::tui::screens::migrate::{Batch, Files, Listing, MigrateMsg, MigrateRun, Pane};
use dyntui::dynamo::migrate::{
    self, Counts, Direction, FileStatus, ItemDiff, LedgerEntry, Migration, RunReport,
};

/// The demo shop's migrations folder, one file per status.
const MIGRATIONS: [(&str, &str); 7] = [
    (
        "001_order_status_index",
        r#"description = "Orders by status in GSI2"
[select]
type = "Order"
[[op]]
set = { attribute = "GSI2PK", template = "STATUS#{status}" }
[down]
[[down.op]]
remove = { attribute = "GSI2PK" }
"#,
    ),
    (
        "002_rename_total",
        r#"description = "total becomes amount"
[select]
type = "Order"
[[op]]
rename = { from = "total", to = "amount" }
[down]
[[down.op]]
rename = { from = "amount", to = "total" }
"#,
    ),
    (
        "003_split_names",
        r#"description = "name -> firstName, lastName"
[select]
type = "Customer"
[script]
command = ["python3", "split_names.py"]
"#,
    ),
    (
        "004_backfill_loyalty",
        r#"description = "Loyalty points from order history"
[script]
mode = "command"
command = ["sh", "backfill_loyalty.sh"]
"#,
    ),
    (
        "005_customer_tier",
        r#"description = "Tier on every customer"
[select]
type = "Customer"
[[op]]
set = { attribute = "tier", template = "T#{loyaltyPoints}" }
"#,
    ),
    (
        "006_drop_legacy_flag",
        r#"description = "No more legacyFlag"
[select]
filter = "legacyFlag exists"
[[op]]
remove = { attribute = "legacyFlag" }
[down]
[[down.op]]
set = { attribute = "legacyFlag", template = "restored" }
"#,
    ),
    (
        "007_orders_by_month",
        r#"description = "GSI1SK by order month"
[select]
type = "Order"
key_prefix = "ORDER#"
[[op]]
set = { attribute = "GSI1SK", template = "MONTH#{orderDate}" }
"#,
    ),
];

fn parse_migration(id: &str, text: &str) -> Migration {
    let number: u64 = id[..3].parse().unwrap();
    migrate::parse(
        &format!("migrations/{id}.toml"),
        id,
        number,
        text.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn ledger(m: &Migration, status: &str, changed: u64, error: Option<&str>) -> LedgerEntry {
    LedgerEntry {
        id: m.id.clone(),
        checksum: m.checksum.clone(),
        status: status.into(),
        started_at: "2025-03-14T09:26:53Z".into(),
        ended_at: (status != "running").then(|| "2025-03-14T09:31:07Z".to_string()),
        counts: Counts {
            selected: changed + 3,
            changed,
            unchanged: 3,
            conflicts: u64::from(status == "failed"),
            ..Counts::default()
        },
        run_by: "ada".into(),
        error: error.map(str::to_string),
    }
}

/// Every status: applied, changed (file edited since), failed,
/// interrupted, running, reverted, pending.
fn listing(info: TableInfo) -> Listing {
    let ms: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|(id, text)| parse_migration(id, text))
        .collect();
    let mut entries = vec![
        Some(ledger(&ms[0], "applied", 1_620, None)),
        Some(LedgerEntry {
            checksum: "0123456789abcdef".into(),
            ..ledger(&ms[1], "applied", 1_620, None)
        }),
        Some(ledger(
            &ms[2],
            "failed",
            12,
            Some("transform script `python3 split_names.py` exited with status 1\ntraceback"),
        )),
        Some(ledger(&ms[3], "interrupted", 0, None)),
        Some(ledger(&ms[4], "running", 40, None)),
        Some(ledger(&ms[5], "reverted", 7, None)),
        None,
    ];
    let statuses = ms
        .iter()
        .zip(entries.drain(..))
        .map(|(m, e)| (migrate::file_status(m, e.as_ref()), e))
        .collect();
    Listing {
        info,
        dir: "migrations".into(),
        files: Files::Ready(ms),
        statuses: Ok(statuses),
        jobs: Default::default(),
    }
}

fn migrations_app(info: TableInfo) -> App {
    let mut app = tables_with_demo(info.clone());
    app.show_migrations(listing(info));
    app
}

/// The foreground colour of the first cell showing `text`.
fn colour_of(terminal: &Terminal<TestBackend>, text: &str) -> ratatui::style::Color {
    colour_in_row(terminal, "", text)
}

/// The foreground colour of `text` in the first row that contains `row`.
fn colour_in_row(terminal: &Terminal<TestBackend>, row: &str, text: &str) -> ratatui::style::Color {
    let buf = terminal.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if !line.contains(row) {
            continue;
        }
        if let Some(pos) = line.find(text) {
            let x = line[..pos].chars().count() as u16;
            return buf[(x, y)].fg;
        }
    }
    panic!("`{text}` not on screen in a row with `{row}`")
}

#[tokio::test]
async fn migrations_list_every_status() {
    let mut app = migrations_app(demo_info());
    assert_eq!(app.screen, Screen::Migrate);
    let statuses: Vec<FileStatus> = app
        .migrate
        .ready()
        .unwrap()
        .statuses
        .as_ref()
        .unwrap()
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(
        statuses,
        [
            FileStatus::Applied,
            FileStatus::Changed,
            FileStatus::Failed,
            FileStatus::Interrupted,
            FileStatus::Running,
            FileStatus::Reverted,
            FileStatus::Pending,
        ]
    );
    snap("migrate_list", &app);
    // A colour per status.
    use ratatui::style::Color;
    let terminal = draw(&app, 120, 30);
    for (id, word, colour) in [
        ("001_", "applied", Color::Green),
        ("002_", "changed ", Color::Magenta),
        ("003_", "failed", Color::Red),
        ("004_", "interrupted", Color::Yellow),
        ("005_", "running", Color::Cyan),
        ("006_", "reverted", Color::Gray),
        ("007_", "pending", Color::Cyan),
    ] {
        assert_eq!(colour_in_row(&terminal, id, word), colour, "{word}");
    }
    // The failed one shows its error; the interrupted one says it resumes.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    snap("migrate_list_failed_selected", &app);
    press(&mut app, KeyCode::Char('j'));
    let screen = draw(&app, 120, 30).backend().to_string();
    assert!(screen.contains("running it again resumes"), "{screen}");
    // u on a migration that is not applied explains why nothing happens.
    press(&mut app, KeyCode::Char('u'));
    assert!(app.migrate.confirm.is_none());
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|(_, m)| m.contains("no [down] part")),
        "{:?}",
        app.flash
    );
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Char('u'));
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|(_, m)| m.contains("has no [down] part")),
        "{:?}",
        app.flash
    );
    // esc goes back where M came from.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Tables);
}

#[tokio::test]
async fn migrations_shared_by_workers_show_the_job_its_workers_and_takeovers() {
    let info = demo_info();
    let mut l = listing(info.clone());
    let id = l.migrations()[4].id.clone();
    let seg =
        |seg, worker: Option<&str>, until_ms, done, from: Option<&str>| migrate::SegmentView {
            seg,
            worker: worker.map(Into::into),
            until_ms,
            done,
            counts: migrate::Counts {
                selected: 10,
                changed: 10,
                ..migrate::Counts::default()
            },
            taken_from: from.map(Into::into),
        };
    let job = migrate::JobStatus {
        job: migrate::Job {
            id: "5f1c2a9e0b7d".into(),
            segments: 6,
            workers: 3,
            status: "running".into(),
            error: None,
        },
        segments: vec![
            seg(0, Some("w0"), 1_796_000_000_000, true, None),
            seg(1, Some("w1"), 1_795_999_000_000, false, None),
            seg(2, Some("w2"), 1_796_000_060_000, false, None),
            seg(3, Some("w0"), 1_796_000_060_000, false, Some("w1")),
            seg(4, None, 0, false, None),
            seg(5, Some("w2"), 1_796_000_000_000, true, None),
        ],
    };
    l.jobs.insert(id, job.lines(1_796_000_030_000));
    let mut app = tables_with_demo(info);
    app.show_migrations(l);
    for _ in 0..4 {
        press(&mut app, KeyCode::Char('j'));
    }
    let screen = draw(&app, 120, 30).backend().to_string();
    assert!(
        screen.contains("job   5f1c2a9e0b7d: 6 segments, 2 done")
            && screen.contains("segment 3: taken over from w1 by w0"),
        "{screen}"
    );
    snap("migrate_shared_run", &app);
}

#[tokio::test]
async fn migrations_load_errors_show_every_file_line() {
    let mut app = tables_with_demo(demo_info());
    let bad_template = r#"[select]
type = "Order"
[[op]]
set = { attribute = "GSI2PK", template = "STATUS#{status" }
"#;
    let unknown_field =
        "description = \"x\"\n[select]\ntpye = \"Order\"\n[[op]]\nremove = { attribute = \"a\" }\n";
    let writes_key = "[select]\n[[op]]\nrename = { from = \"SK\", to = \"sortKey\" }\n";
    let mut errors: Vec<String> = [
        ("002_status_keys", bad_template),
        ("003_typo", unknown_field),
    ]
    .iter()
    .map(|(id, text)| {
        migrate::parse(&format!("migrations/{id}.toml"), id, 2, text.as_bytes())
            .expect_err("a bad file")
            .to_string()
    })
    .collect();
    let m = parse_migration("004_rename_sk", writes_key);
    errors.push(
        migrate::check_against(&m, &demo_info())
            .expect_err("writes a key")
            .to_string(),
    );
    for e in &errors {
        assert!(
            e.starts_with("migrations/00")
                && e.split(':')
                    .nth(1)
                    .is_some_and(|l| l.parse::<usize>().is_ok()),
            "file:line: {e}"
        );
    }
    app.show_migrations(Listing {
        info: demo_info(),
        dir: "migrations".into(),
        files: Files::Errors(errors),
        statuses: Ok(vec![]),
        jobs: Default::default(),
    });
    snap("migrate_load_errors", &app);
    // Nothing runs.
    press(&mut app, KeyCode::Char('d'));
    press(&mut app, KeyCode::Enter);
    assert!(app.migrate.run.is_none() && app.migrate.confirm.is_none());
}

#[tokio::test]
async fn migrations_empty_states_say_where_the_folder_is() {
    let mut app = tables_with_demo(demo_info());
    // No project file and no [migrations] dir: ./migrations.
    app.project.path = None;
    app.project.migrations_dir = None;
    app.show_migrations(Listing {
        info: demo_info(),
        dir: "migrations".into(),
        files: Files::NoFolder,
        statuses: Ok(vec![]),
        jobs: Default::default(),
    });
    snap("migrate_no_folder", &app);
    // With a project file that sets the folder.
    app.project.path = Some("/work/shop/dyntui.toml".into());
    app.project.migrations_dir = Some("/work/shop/db/migrations".into());
    app.show_migrations(Listing {
        info: demo_info(),
        dir: "/work/shop/db/migrations".into(),
        files: Files::NoFolder,
        statuses: Ok(vec![]),
        jobs: Default::default(),
    });
    let screen = draw(&app, 120, 30).backend().to_string();
    assert!(
        screen.contains("That is the [migrations] dir set in /work/shop/dyntui.toml"),
        "{screen}"
    );
    app.show_migrations(Listing {
        info: demo_info(),
        dir: "/work/shop/db/migrations".into(),
        files: Files::Ready(vec![]),
        statuses: Ok(vec![]),
        jobs: Default::default(),
    });
    snap("migrate_no_files", &app);
}

#[tokio::test]
async fn migrations_confirmation_and_protected_table() {
    let mut app = migrations_app(demo_info());
    // The last one is pending: enter asks first.
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Enter);
    let c = app.migrate.confirm.clone().expect("confirmation open");
    assert_eq!(
        (c.id.as_str(), c.direction, c.table.as_str()),
        ("007_orders_by_month", Direction::Up, TABLE)
    );
    assert!(c.protected().is_none());
    snap("migrate_confirm", &app);
    press(&mut app, KeyCode::Char('n'));
    assert!(app.migrate.confirm.is_none());
    assert!(app.migrate.run.is_none(), "nothing started");
    // The ledger says 005 is running: confirming takes over, and says so.
    for _ in 0..2 {
        press(&mut app, KeyCode::Char('k'));
    }
    press(&mut app, KeyCode::Char('r'));
    let c = app.migrate.confirm.clone().expect("confirmation open");
    assert_eq!(c.id, "005_customer_tier");
    assert!(c.force);
    let screen = draw(&app, 120, 30).backend().to_string();
    assert!(
        screen.contains("running since 2025-03-14T09:26:53Z by ada"),
        "{screen}"
    );
    assert!(screen.contains("Confirming takes over"), "{screen}");
    press(&mut app, KeyCode::Esc);
    assert!(app.migrate.confirm.is_none());

    // A protected table: revert of an applied migration needs the name typed.
    let mut info = demo_info();
    info.name = "shop-prod".into();
    let mut app = migrations_app(info);
    press(&mut app, KeyCode::Char('u'));
    let c = app.migrate.confirm.clone().expect("confirmation open");
    assert_eq!(c.direction, Direction::Down);
    assert!(c.protected().unwrap_or("").contains("`*prod*`"));
    // `y` is just a typed letter here, and enter with a wrong name refuses.
    type_text(&mut app, "y");
    press(&mut app, KeyCode::Enter);
    assert!(app.migrate.confirm.is_some(), "still asking");
    assert!(app.migrate.run.is_none());
    snap("migrate_confirm_protected", &app);
    press(&mut app, KeyCode::Esc);
    assert!(app.migrate.confirm.is_none());
    assert_eq!(app.screen, Screen::Migrate);
}

fn diffs() -> Vec<ItemDiff> {
    vec![
        ItemDiff {
            key: "PK=CUSTOMER#c00001, SK=ORDER#2025-01-04#o00017".into(),
            changes: vec![(
                "GSI1SK".into(),
                Some("2025-01-04#o00017".into()),
                Some("MONTH#2025-01".into()),
            )],
        },
        ItemDiff {
            key: "PK=CUSTOMER#c00002, SK=ORDER#2025-02-11#o00023".into(),
            changes: vec![
                (
                    "GSI1SK".into(),
                    Some("2025-02-11#o00023".into()),
                    Some("MONTH#2025-02".into()),
                ),
                ("legacyFlag".into(), Some("true".into()), None),
                ("orderMonth".into(), None, Some("2025-02".into())),
            ],
        },
    ]
}

/// A run of the last migration in progress (as the run's task reports it).
fn running(dry_run: bool) -> App {
    let mut app = migrations_app(demo_info());
    press(&mut app, KeyCode::Char('G'));
    app.migrate.run = Some(MigrateRun {
        run: 41,
        id: "007_orders_by_month".into(),
        kind: "declarative",
        direction: Direction::Up,
        dry_run,
        estimate: 6_412,
        counts: Counts::default(),
        stop: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    });
    let mut batch = Batch {
        progress: Some(Counts {
            selected: 1_200,
            changed: 930,
            unchanged: 250,
            conflicts: 2,
            ..Counts::default()
        }),
        diffs: diffs(),
        ..Batch::default()
    };
    let first = if dry_run {
        "dry run of 007_orders_by_month on `dyntui-demo` (reads and transforms; writes nothing)"
    } else {
        "running 007_orders_by_month on `dyntui-demo`"
    };
    for line in [
        first,
        "conflict: PK=CUSTOMER#c00004, SK=ORDER#2025-03-02#o00031 changed since it was read; reading it again",
        "conflict: PK=CUSTOMER#c00009, SK=ORDER#2025-03-20#o00044 changed since it was read; reading it again",
    ] {
        batch.log.push_back(line.into());
    }
    assert!(app.update(Msg::Migrate(MigrateMsg::Events(41, batch))));
    // A batch of another run is dropped.
    assert!(!app.update(Msg::Migrate(MigrateMsg::Events(
        40,
        Batch {
            progress: Some(Counts::default()),
            ..Batch::default()
        }
    ))));
    app
}

#[tokio::test]
async fn migrations_run_in_progress_gauge_log_and_diffs() {
    let mut app = running(false);
    let run = app.migrate.run.as_ref().unwrap();
    assert_eq!(run.counts.done(), 1_180);
    assert_eq!(run.total(), 6_412, "the table size estimate is larger");
    snap("migrate_running", &app);
    use ratatui::style::Color;
    let terminal = draw(&app, 120, 30);
    assert_eq!(colour_of(&terminal, "2025-01-04#o00017 ->"), Color::Red);
    assert_eq!(colour_of(&terminal, "MONTH#2025-01"), Color::Green);
    assert_eq!(colour_of(&terminal, "+ orderMonth"), Color::Green);
    assert_eq!(colour_of(&terminal, "- legacyFlag"), Color::Red);
    // Nothing else starts, and esc does not leave a run.
    press(&mut app, KeyCode::Char('d'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Migrate);
    assert_eq!(app.migrate.run.as_ref().unwrap().run, 41);
    // s sets the stop flag; the run ends when its pages in flight are done.
    press(&mut app, KeyCode::Char('s'));
    assert!(app.migrate.run.as_ref().unwrap().stopping());
    assert!(app.busy());
    snap("migrate_stopping", &app);
    // The log scrolls back with pgup (tab switches to the diffs).
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.migrate.log_scroll, 2);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.migrate.focus, Pane::Diffs);
    // A stopped dry run ends: the "stopping…" message goes, the report stays.
    // (A real run's end reads the ledger again: tests/app_flow.rs.)
    app.migrate.run.as_mut().unwrap().dry_run = true;
    let report = RunReport {
        id: "007_orders_by_month".into(),
        direction: Direction::Up,
        counts: Counts {
            selected: 1_200,
            changed: 930,
            unchanged: 250,
            ..Counts::default()
        },
        diffs: diffs(),
        stopped: true,
        resumed: false,
        dry_run: true,
        note: None,
        writes: Default::default(),
    };
    assert!(app.update(Msg::Migrate(MigrateMsg::Finished(41, Ok(report)))));
    assert!(app.migrate.run.is_none());
    assert!(app.flash.is_none(), "{:?}", app.flash);
    assert_eq!(
        app.migrate.log.back().map(String::as_str),
        Some(
            "007_orders_by_month dry run stopped: selected 1200, changed 930, unchanged 250, conflicts 0"
        )
    );
}

#[tokio::test]
async fn migrations_finished_dry_run_shows_the_report_and_diffs() {
    let mut app = running(true);
    let report = RunReport {
        id: "007_orders_by_month".into(),
        direction: Direction::Up,
        counts: Counts {
            selected: 1_620,
            changed: 1_368,
            unchanged: 252,
            ..Counts::default()
        },
        diffs: diffs(),
        stopped: false,
        resumed: false,
        dry_run: true,
        note: None,
        // The 1,368 changed orders: one unit each, and one for GSI2.
        writes: dyntui::dynamo::estimate::WriteTally {
            items: 1_368,
            bytes: 1_368 * 410,
            units: 1_368.0,
            indexes: [("GSI2".to_string(), 1_368.0)].into_iter().collect(),
            ..Default::default()
        },
    };
    assert!(app.update(Msg::Migrate(MigrateMsg::Finished(41, Ok(report)))));
    assert!(app.migrate.run.is_none());
    assert!(
        !app.migrate.loading(),
        "a dry run leaves the ledger alone: nothing to read again"
    );
    assert_eq!(app.migrate.diffs.len(), 2);
    snap("migrate_dry_run_done", &app);
    // A failed run says so.
    let mut app = running(false);
    app.migrate.run.as_mut().unwrap().dry_run = true;
    assert!(
        app.update(Msg::Migrate(MigrateMsg::Finished(
            41,
            Err(
                "migration 007_orders_by_month failed: ValidationException: the item is too large"
                    .into()
            )
        )))
    );
    let screen = draw(&app, 120, 30).backend().to_string();
    assert!(
        screen.contains("failed: migration 007_orders_by_month failed"),
        "{screen}"
    );
}

#[tokio::test]
async fn migrations_command_script_run_shows_its_output_not_counts() {
    let mut app = migrations_app(demo_info());
    for _ in 0..3 {
        press(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(
        app.migrate.selected_migration().map(|m| m.id.as_str()),
        Some("004_backfill_loyalty")
    );
    app.migrate.run = Some(MigrateRun {
        run: 9,
        id: "004_backfill_loyalty".into(),
        kind: dyntui::app::tui::screens::migrate::COMMAND,
        direction: Direction::Up,
        dry_run: false,
        estimate: 6_412,
        counts: Counts::default(),
        stop: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    });
    let mut batch = Batch::default();
    for line in ["$ sh backfill_loyalty.sh", "customers 1-100: done"] {
        batch.log.push_back(line.into());
    }
    assert!(app.update(Msg::Migrate(MigrateMsg::Events(9, batch))));
    let screen = draw(&app, 120, 30).backend().to_string();
    for text in [
        "command script running: its output is in the log",
        "dyntui shows its output, not counts",
        "a command script's changes are not previewed",
        "customers 1-100: done",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
}

// ------------------------------------------------------------ editing

fn modal(app: &App) -> &dyntui::app::tui::screens::edit::Modal {
    app.edit.modal.as_ref().expect("a dialog is open")
}

#[tokio::test]
async fn edit_delete_confirmation_shows_the_diff() {
    let mut app = scanned();
    select_first(&mut app, "Customer");
    press(&mut app, KeyCode::Char('d'));
    assert!(matches!(
        modal(&app),
        dyntui::app::tui::screens::edit::Modal::Review(r) if r.change.after.is_none() && r.confirm.name.is_none()
    ));
    snap("edit_delete_confirm", &app);
}

#[tokio::test]
async fn edit_review_of_an_update() {
    use dyntui::app::tui::screens::edit::{Modal, Review};
    use dyntui::dynamo::edit::{Change, EditFormat};
    let mut app = scanned();
    select_first(&mut app, "Customer");
    let items = app.items.as_ref().unwrap();
    let before = items.rows[items.selected_index().unwrap()].item();
    let mut after = before.clone();
    after.insert("name".into(), s("Grace Hopper"));
    after.insert("tier".into(), s("gold"));
    after.remove("email");
    app.edit.modal = Some(Modal::Review(Review {
        info: demo_info(),
        change: Change {
            before: Some(before),
            after: Some(after),
        },
        row: None,
        format: EditFormat::Plain,
        confirm: dyntui::app::tui::widgets::Confirm::yes_no(),
    }));
    snap("edit_review_update", &app);
}

#[tokio::test]
async fn edit_conflict_screen() {
    use dyntui::app::tui::screens::edit::Modal;
    use dyntui::dynamo::edit::{Change, EditFormat};
    let mut app = scanned();
    select_first(&mut app, "Customer");
    let items = app.items.as_ref().unwrap();
    let read = items.rows[items.selected_index().unwrap()].item();
    let mut mine = read.clone();
    mine.insert("name".into(), s("Grace Hopper"));
    let mut now = read.clone();
    now.insert("tier".into(), s("platinum"));
    now.insert(
        "loyaltyPoints".into(),
        AttributeValue::N("99999999999999999999999999999999999999".into()),
    );
    app.edit.modal = Some(Modal::Conflict {
        info: demo_info(),
        mine: Change {
            before: Some(read),
            after: Some(mine),
        },
        current: Some(now),
        row: None,
        format: EditFormat::Plain,
    });
    snap("edit_conflict", &app);
}

#[tokio::test]
async fn edit_bulk_delete_of_marked_items() {
    let mut app = scanned();
    for _ in 0..3 {
        press(&mut app, KeyCode::Char(' '));
    }
    assert_eq!(app.items.as_ref().unwrap().marks.len(), 3);
    snap("items_marked", &app);
    press(&mut app, KeyCode::Char('d'));
    assert!(matches!(
        modal(&app),
        dyntui::app::tui::screens::edit::Modal::Bulk { changes, .. } if changes.len() == 3
    ));
    snap("edit_bulk_delete_confirm", &app);
}

#[tokio::test]
async fn protected_table_border_and_unlock() {
    let mut app = scanned();
    app.project.protected_tables.push(TABLE.into());
    snap("items_protected", &app);
    // A write asks for the table name first; nothing else opens.
    press(&mut app, KeyCode::Char('e'));
    assert!(app.take_editor().is_none());
    assert!(matches!(app.input, Some(Input::Unlock { .. })));
    snap("protected_unlock_prompt", &app);
    type_text(&mut app, TABLE);
    press(&mut app, KeyCode::Enter);
    assert!(app.unlocked.contains(TABLE));
    // The edit that asked goes on once unlocked.
    assert!(app.take_editor().is_some(), "the edit runs after unlocking");
    // Unlocked: the label says so; a delete asks for the name again.
    press(&mut app, KeyCode::Char('d'));
    assert!(matches!(
        modal(&app),
        dyntui::app::tui::screens::edit::Modal::Review(r) if r.confirm.name.is_some()
    ));
    snap("protected_delete_confirm", &app);
}

#[tokio::test]
async fn read_only_session_label_and_refusal() {
    let mut app = scanned();
    app.read_only = true;
    press(&mut app, KeyCode::Char('d'));
    assert!(app.edit.modal.is_none());
    snap("items_read_only", &app);
}

#[tokio::test]
async fn command_palette_completes() {
    let mut app = scanned();
    app.tables.list.state = Loadable::Ready(table_names());
    press(&mut app, KeyCode::Char(':'));
    assert!(matches!(app.input, Some(Input::Palette(_))));
    snap("palette_empty", &app);
    type_text(&mut app, "ta");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "or");
    snap("palette_table_names", &app);
}

#[tokio::test]
async fn detail_quick_edit_cursor() {
    let mut app = scanned();
    select_first(&mut app, "Customer");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    let attr = app.detail.as_ref().unwrap().selected_attr().unwrap();
    press(&mut app, KeyCode::Char('i'));
    assert!(
        matches!(&app.input, Some(Input::QuickEdit { attr: a, .. }) if *a == attr),
        "{attr}"
    );
    snap("detail_quick_edit", &app);
}

#[tokio::test]
async fn contexts_view() {
    use dyntui::app::contexts::Profile;
    let mut app = connected();
    app.tables.list.state = Loadable::Ready(table_names());
    app.contexts.profiles = vec![
        Profile {
            name: "default".into(),
            region: Some("us-east-1".into()),
            sso: false,
            static_keys: true,
        },
        Profile {
            name: "dev".into(),
            region: Some("eu-west-1".into()),
            sso: true,
            static_keys: false,
        },
        Profile {
            name: "prod".into(),
            region: Some("eu-west-1".into()),
            sso: true,
            static_keys: false,
        },
    ];
    app.screen = Screen::Contexts;
    app.contexts.nav.cursor.selected = 1;
    snap("contexts_list", &app);
}

// ------------------------------------------------------------ a way back

#[tokio::test]
async fn esc_from_a_hot_keys_partition_returns_to_the_metrics_as_they_were() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    let keys = app.metrics.hot_keys();
    assert!(keys.len() > 1, "the incident has several hot keys");
    press(&mut app, KeyCode::Char('j'));
    let before = app.metrics.keys.selected;
    assert_eq!(before, 1);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Items);
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.screen,
        Screen::Metrics,
        "back where the partition was opened"
    );
    assert_eq!(app.metrics.keys.selected, before, "with its cursor");
    // The next hot key is one key away.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Items);
}

#[tokio::test]
async fn brackets_move_between_earlier_requests_with_their_pages_and_cursor() {
    let mut app = scanned();
    let scanned_rows = app.items.as_ref().unwrap().rows.len();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    // A query replaces the scan...
    press(&mut app, KeyCode::Char('s'));
    for _ in 0..64 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "CUSTOMER#c00002");
    press(&mut app, KeyCode::Enter);
    let st = app.items.as_ref().unwrap();
    assert!(
        st.request.describe().starts_with("QUERY"),
        "{}",
        st.request.describe()
    );
    assert!(st.rows.is_empty(), "its first page is asked for");
    // ...and `[` brings the scan back as it was, `]` the query again.
    press(&mut app, KeyCode::Char('['));
    let st = app.items.as_ref().unwrap();
    assert!(st.request.is_scan());
    assert_eq!(st.rows.len(), scanned_rows, "its pages kept");
    assert_eq!(st.cursor.selected, 2, "its cursor kept");
    press(&mut app, KeyCode::Char(']'));
    assert!(
        app.items
            .as_ref()
            .unwrap()
            .request
            .describe()
            .starts_with("QUERY")
    );
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(
        app.flash.as_ref().map(|(_, m)| m.as_str()),
        Some("no later request")
    );
    // esc leaves the table for the tables list it was opened from.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Tables);
}

// ------------------------------------------------------------ the demo

#[tokio::test]
async fn quitting_the_in_memory_demo_asks_first_and_can_keep_it_running() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("keep");
    let mut app = scanned();
    app.demo_keep_file = Some(keep.clone());
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit, "q asks first on the demo");
    assert!(app.quit_confirm);
    snap("demo_quit_confirm", &app);
    press(&mut app, KeyCode::Char('n'));
    assert!(!app.quit_confirm && !app.should_quit, "n stays");
    // k quits and leaves DynamoDB Local running (scripts/demo.sh sees the file).
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('k'));
    assert!(app.should_quit);
    assert!(keep.exists());
    // y quits (the script then stops DynamoDB Local).
    let mut app = scanned();
    app.demo_keep_file = Some(dir.path().join("other"));
    press(&mut app, KeyCode::Char('q'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.should_quit);
    assert!(!dir.path().join("other").exists());
    // Anywhere else, q quits at once.
    let mut app = scanned();
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

#[tokio::test]
async fn enter_on_an_alert_shows_it_in_full_and_esc_closes_it() {
    let mut app = tables_with_demo(demo_info());
    app.open_snapshot(incident());
    assert!(!app.metrics.alerts.is_empty(), "the incident raises alerts");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.screen,
        Screen::Metrics,
        "enter on an alert does not leave"
    );
    assert_eq!(app.metrics.alert_open, Some(0));
    snap("metrics_alert_in_full", &app);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.metrics.alert_open, None);
    assert_eq!(app.screen, Screen::Metrics, "esc closes the alert first");
}

// ------------------------------------------------------------ requests

#[tokio::test]
async fn a_description_nobody_asked_for_or_superseded_changes_nothing() {
    let mut app = connected();
    // No DescribeTable in flight for this table: the answer is stale.
    let stale = Msg::Described(
        999_999,
        "orders".into(),
        Box::new(Err(AwsError::new("ResourceNotFoundException", "gone"))),
    );
    assert!(!app.update(stale));
    assert!(!app.described.contains_key("orders"), "not recorded");
    // The one in flight waits for its own id: another id for it changes nothing.
    app.open_table("orders");
    assert!(matches!(
        app.described.get("orders"),
        Some(Loadable::Loading)
    ));
    let old = Msg::Described(
        u64::MAX,
        "orders".into(),
        Box::new(Err(AwsError::new("ResourceNotFoundException", "gone"))),
    );
    assert!(!app.update(old));
    assert!(matches!(
        app.described.get("orders"),
        Some(Loadable::Loading)
    ));
}

// ------------------------------------------------------------ zero-config keys

/// A connected app with no project file.
fn unconfigured() -> App {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    App::new(
        Settings::defaults().expect("default settings"),
        dyntui::app::config::Project::default(),
        Ok(offline_dynamo()),
        ctx(),
        tx,
        Clipboard::Memory(Vec::new()),
    )
}

/// A table keyed `PK`/`SK`, no indexes.
fn pk_sk_info() -> TableInfo {
    TableInfo {
        pk: Some(key_def("PK")),
        sk: Some(key_def("SK")),
        ..simple_info(TABLE)
    }
}

/// Items of three libraries' shapes whose keys are longer than any Key
/// column: ElectroDB, OneTable with ULIDs, and label/value pairs.
fn long_key_items() -> Vec<Item> {
    let plain = |v: serde_json::Value| dyntui::dynamo::value::item_from_plain(&v).unwrap();
    vec![
        plain(serde_json::json!({
            "PK": "$taskapp#team_platform-reliability-engineering#region_eu-central-1",
            "SK": "$tasks_1#project_incident-response-automation#task_45-662-0001",
            "team": "platform-reliability-engineering", "region": "eu-central-1",
            "project": "incident-response-automation", "task": "45-662-0001",
            "status": "open", "__edb_e__": "tasks", "__edb_v__": "1"
        })),
        plain(serde_json::json!({
            "PK": "Account#01JABCDEF7Q2XW3YH4N5M6P7R8",
            "SK": "User#ann.longname-of-the-account-owner@example.com",
            "accountId": "01JABCDEF7Q2XW3YH4N5M6P7R8",
            "email": "ann.longname-of-the-account-owner@example.com",
            "_type": "User"
        })),
        plain(serde_json::json!({
            "PK": "tenant#t0-acme-corporation-europe#user#u000000000001",
            "SK": "session#2026-12-07T03:14:15.926535Z#01JABCDEF7Q2XW3YH4N5M6P7R9",
            "device": "laptop"
        })),
    ]
}

/// The rendered rows of the items view, each with the text its Key column
/// must show in full or cut with a mark.
fn rendered_lines(app: &App, w: u16, h: u16) -> Vec<String> {
    let terminal = draw(app, w, h);
    let buf = terminal.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect()
}

/// Fails if `line` shows a strict prefix of `full` that is not followed by
/// the `…` mark (or shows none of it).
fn assert_whole_or_marked(line: &str, full: &str, at: &str) {
    let chars: Vec<char> = full.chars().collect();
    let mut shown = 0;
    for n in (1..=chars.len()).rev() {
        let prefix: String = chars[..n].iter().collect();
        if line.contains(&prefix) {
            shown = n;
            break;
        }
    }
    assert!(shown >= 3, "{at}: `{full}` is not shown in `{line}`");
    if shown < chars.len() {
        let prefix: String = chars[..shown].iter().collect();
        assert!(
            line.contains(&format!("{prefix}…")),
            "{at}: `{full}` is cut to `{prefix}` without a mark in `{line}`"
        );
    }
}

#[tokio::test]
async fn long_keys_decode_without_a_project_file_and_are_never_cut_silently() {
    use dyntui::dynamo::keyshape;
    for (w, h) in [(80u16, 24u16), (120, 40), (200, 50)] {
        let mut app = unconfigured();
        app.show_loaded_items(pk_sk_info(), ItemsRequest::scan(TABLE), long_key_items());
        let items = app.items.as_ref().unwrap();
        let keys: Vec<String> = items
            .view
            .iter()
            .map(|&i| {
                let row = &items.rows[i];
                let fields = items.decoder.primary_key_fields(&row.item(), &row.class);
                keyshape::shown(&fields)
            })
            .collect();
        // Named fields with no configuration; inferred ones marked.
        assert!(
            keys.iter().any(|k| k.starts_with("team=platform")),
            "{keys:?}"
        );
        assert!(
            keys.iter().any(|k| k.starts_with("accountId=01J")),
            "{keys:?}"
        );
        assert!(keys.iter().any(|k| k.starts_with("~tenant=t0")), "{keys:?}");
        let lines = rendered_lines(&app, w, h);
        let header = lines
            .iter()
            .position(|l| l.contains("Key") && l.contains("Type"))
            .expect("a header row");
        for (n, full) in keys.iter().enumerate() {
            assert_whole_or_marked(&lines[header + 1 + n], full, &format!("{w}x{h} row {n}"));
        }
        snap_sized(&format!("zero_config_items_{w}x{h}"), &app, w, h);

        // The detail view has a Key line for every item and folds what is
        // wider than the view: every field's value is on screen in full.
        for n in 0..keys.len() {
            let mut app2 = unconfigured();
            app2.show_loaded_items(pk_sk_info(), ItemsRequest::scan(TABLE), long_key_items());
            for _ in 0..n {
                press(&mut app2, KeyCode::Char('j'));
            }
            press(&mut app2, KeyCode::Enter);
            assert_eq!(app2.screen, Screen::Detail);
            let d = app2.detail.as_ref().unwrap();
            assert!(!d.key_fields.is_empty());
            let screen = rendered_lines(&app2, w, h)
                .iter()
                .map(|l| l.trim_matches(|c| c == '│' || c == ' ').to_string())
                .collect::<Vec<_>>()
                .join("");
            for f in &d.key_fields {
                let field = f.value.replace(' ', "");
                assert!(
                    screen.replace(' ', "").contains(&field),
                    "{w}x{h} item {n}: {f} is not shown in full"
                );
            }
            if n == 0 {
                snap_sized(&format!("zero_config_detail_{w}x{h}"), &app2, w, h);
            }
        }
    }
}

#[tokio::test]
async fn init_asks_before_replacing_an_existing_project_file() {
    let mut app = scanned();
    // Cargo.toml exists: nothing starts, the question is asked.
    app.run_command_line("init Cargo.toml").unwrap();
    assert!(!app.busy());
    assert!(matches!(app.input, Some(Input::Overwrite { .. })));
    snap_sized("init_overwrite_prompt", &app, 100, 24);
    press(&mut app, KeyCode::Esc);
    assert!(app.input.is_none());
    assert!(!app.busy(), "esc keeps the file");
}

// ------------------------------------------------------------ live changes

mod live {
    use super::*;
    use dyntui::app::tui::screens::live::LiveMsg;
    use dyntui::dynamo::stream::{ChangeRecord, EventName, StreamEvent};

    const AT: i64 = 1_764_000_000_000;

    fn with_stream(view: Option<&str>) -> TableInfo {
        let mut i = demo_info();
        i.stream = view.map(str::to_string);
        i.stream_arn = view.map(|_| format!("arn:aws:dynamodb:us-east-1:1:table/{TABLE}/stream/s"));
        i
    }

    /// The live screen on the demo table, following (no request runs).
    fn following(view: &str) -> App {
        let mut app = connected();
        app.described
            .insert(TABLE.into(), Loadable::Ready(with_stream(Some(view))));
        app.live.clock = Some(AT);
        app.open_live(Some(TABLE.into()));
        let id = app.live.run.expect("following");
        app.update(Msg::Live(LiveMsg::Stream(
            id,
            StreamEvent::Shards {
                reading: 4,
                finished: 1,
            },
        )));
        app
    }

    fn key_of(i: &Item) -> Item {
        ["PK", "SK"]
            .iter()
            .map(|k| (k.to_string(), i[*k].clone()))
            .collect()
    }

    fn record(n: usize, event: EventName, old: Option<Item>, new: Option<Item>) -> ChangeRecord {
        let keys = key_of(old.as_ref().or(new.as_ref()).unwrap());
        ChangeRecord {
            event,
            keys,
            old,
            new,
            time_ms: Some(AT - 1_000 + n as i64 * 7),
            size_bytes: 240,
            sequence: format!("{n:06}"),
            shard: "shard-0001".into(),
            by_ttl: false,
        }
    }

    /// A skewed write load on the demo items: orders of one customer
    /// change status again and again, others now and then, a review is
    /// written and an order line removed.
    fn load(app: &mut App, keys_only: bool) {
        let items = demo_items();
        let of = |t: &str| -> Vec<Item> {
            items
                .iter()
                .filter(|i| matches!(i.get("Type"), Some(AttributeValue::S(x)) if x == t))
                .cloned()
                .collect()
        };
        let orders = of("Order");
        let mut rs = Vec::new();
        for n in 0..40 {
            let o = &orders[if n % 5 < 3 {
                0
            } else {
                1 + n % (orders.len() - 1)
            }];
            let mut new = o.clone();
            new.insert("status".into(), s(["PAID", "SHIPPED", "DELIVERED"][n % 3]));
            rs.push(record(n, EventName::Modify, Some(o.clone()), Some(new)));
        }
        rs.push(record(
            40,
            EventName::Insert,
            None,
            Some(of("Review")[0].clone()),
        ));
        rs.push(record(
            41,
            EventName::Remove,
            Some(of("OrderItem")[0].clone()),
            None,
        ));
        if keys_only {
            for r in &mut rs {
                r.old = None;
                r.new = None;
            }
        }
        let id = app.live.run.unwrap();
        app.update(Msg::Live(LiveMsg::Stream(id, StreamEvent::Records(rs))));
    }

    fn both_sizes(name: &str, app: &App) {
        snap_sized(&format!("{name}_80x24"), app, 80, 24);
        snap_sized(&format!("{name}_160x45"), app, 160, 45);
    }

    #[test]
    fn live_changes_running() {
        let mut app = following("NEW_AND_OLD_IMAGES");
        load(&mut app, false);
        press(&mut app, KeyCode::Char('j'));
        assert_eq!(app.screen, Screen::Live);
        assert!(!app.live.alerts.is_empty(), "a hot write key");
        both_sizes("live_running", &app);
        // The hot key alert reached the metrics view.
        assert_eq!(app.metrics.live_alerts[TABLE], app.live.alerts);
    }

    #[test]
    fn live_changes_paused_with_dropped_count() {
        let mut app = following("NEW_AND_OLD_IMAGES");
        load(&mut app, false);
        press(&mut app, KeyCode::Char(' '));
        app.live.dropped = 1_234;
        for _ in 0..2 {
            load(&mut app, false);
        }
        assert_eq!(app.live.held.len(), 84);
        both_sizes("live_paused", &app);
    }

    #[test]
    fn live_changes_keys_only_stream() {
        let mut app = following("KEYS_ONLY");
        load(&mut app, true);
        both_sizes("live_keys_only", &app);
    }

    #[test]
    fn live_changes_no_stream_offers_one() {
        let mut app = connected();
        app.described
            .insert(TABLE.into(), Loadable::Ready(with_stream(None)));
        app.open_live(Some(TABLE.into()));
        both_sizes("live_no_stream", &app);
        press(&mut app, KeyCode::Enter);
        snap_sized("live_no_stream_confirm_80x24", &app, 80, 24);
    }
}

// ------------------------------------------------------------ estimates in confirmations

mod confirm_estimates {
    use super::*;
    use dyntui::app::tui::estimate::ConfirmEstimate;
    use dyntui::app::tui::screens::edit::Modal;
    use dyntui::dynamo::estimate::{Estimate, Prices, ReadPart, WriteTally, plan};
    use dyntui::dynamo::seeding;
    use ratatui::style::Color;

    /// The foreground colour of the first cell showing `text`.
    fn colour(app: &App, text: &str) -> Color {
        colour_of(&draw(app, 120, 30), text)
    }

    #[tokio::test]
    async fn seed_confirmation_shows_the_runs_estimate() {
        let mut app = tables_with_demo(demo_info());
        press(&mut app, KeyCode::Char('s'));
        for _ in 0..2 {
            press(&mut app, KeyCode::Char('j'));
        }
        press(&mut app, KeyCode::Enter);
        let c = app.seed.confirm.as_ref().expect("confirmation open");
        assert_eq!(
            c.estimate.text().map(|t| t.0).as_deref(),
            Some("estimating…")
        );
        // The estimate as the seed effect makes it: the set's items, sized.
        let set = app.seed.selected_set().cloned().expect("a set");
        let schema = seeding::key_schema(&demo_info()).expect("keys");
        let items = seeding::planned_items(
            &set,
            &app.project.decode,
            &schema,
            std::path::Path::new("."),
            &app.project.seeding,
        )
        .expect("items");
        let e = plan::puts(
            &offline_dynamo(),
            &demo_info(),
            items,
            format!("seed `{}` into {TABLE}", set.name),
            &app.settings.estimates.prices,
        );
        let threshold = app.settings.estimates.confirm_above_units;
        let line = e.line();
        app.seed.confirm.as_mut().expect("open").estimate = ConfirmEstimate::ready(e, threshold);
        snap("seed_confirm_estimate", &app);
        assert_ne!(colour(&app, &line), app.settings.theme.warning);
    }

    #[tokio::test]
    async fn migration_run_confirmation_above_the_threshold_is_a_warning() {
        let mut app = migrations_app(demo_info());
        app.settings.estimates.confirm_above_units = 5_000.0;
        press(&mut app, KeyCode::Char('G'));
        press(&mut app, KeyCode::Enter);
        // A run that reads the table (strongly consistent, pages of 1,000)
        // and rewrites 6,412 items with their index entries.
        let read = ReadPart::new("Scan", None, 6_412, 2_348_113, Some(1_000), true);
        let write = WriteTally {
            items: 6_412,
            bytes: 2_348_113,
            units: 6_412.0 + 144.0,
            indexes: [("GSI1".to_string(), 5_980.0)].into(),
            ..WriteTally::default()
        };
        let e = Estimate::new(
            format!("migration 007_orders_by_month on {TABLE}"),
            &demo_info(),
            Some("us-east-1"),
            &Prices::embedded(),
            Some(read),
            Some(write),
        );
        let c = app.migrate.confirm.as_mut().expect("confirmation open");
        c.estimate = ConfirmEstimate::ready(e, 5_000.0);
        assert!(c.estimate.above());
        snap("migrate_confirm_estimate_above", &app);
        assert_eq!(
            colour(&app, "above your confirm_above_units"),
            app.settings.theme.warning
        );
    }

    #[tokio::test]
    async fn export_confirmation_shows_the_reads_estimate() {
        let mut app = scanned();
        app.start_export("orders.jsonl").expect("asks");
        assert!(!app.export.running(), "nothing read before the answer");
        let c = app.export.confirm.as_ref().expect("confirmation open");
        assert_eq!(
            c.estimate.text().map(|t| t.0).as_deref(),
            Some("estimating…")
        );
        snap("export_confirm_estimating", &app);
        // The table read in 1 MB pages, eventually consistent.
        let read = ReadPart::new("Scan", None, 6_412, 2_348_113, None, false);
        let e = Estimate::new(
            format!("export of Scan {TABLE}"),
            &demo_info(),
            Some("us-east-1"),
            &Prices::embedded(),
            Some(read),
            None,
        );
        let threshold = app.settings.estimates.confirm_above_units;
        app.export.confirm.as_mut().expect("open").estimate = ConfirmEstimate::ready(e, threshold);
        snap("export_confirm_estimate", &app);
        press(&mut app, KeyCode::Char('n'));
        assert!(app.export.confirm.is_none() && !app.export.running());
    }

    #[tokio::test]
    async fn native_export_starts_from_the_tables_list_on_the_selected_table() {
        let mut app = connected();
        app.tables.list.state = Loadable::Ready(table_names());
        app.tables.nav.cursor.selected = 1;
        app.start_export("s3://backups/dyntui")
            .expect("only the table is needed");
        assert_eq!(
            app.export.native.as_ref().map(|n| n.table.as_str()),
            Some(TABLE)
        );
        assert!(app.export.native_job.in_flight().is_some(), "PITR checked");
        // A file export still needs a table's items.
        let mut app = connected();
        app.tables.list.state = Loadable::Ready(table_names());
        assert!(app.start_export("out.jsonl").is_err());
    }

    #[tokio::test]
    async fn native_export_asks_to_enable_pitr_then_shows_its_progress() {
        use dyntui::app::tui::screens::export::ExportMsg;
        use dyntui::dynamo::native::{ExportInfo, JobStatus};
        let mut app = scanned();
        app.start_export("s3://backups/dyntui")
            .expect("checks PITR");
        let id = app.export.native_job.in_flight().expect("PITR checked");
        app.update(Msg::Export(ExportMsg::PitrChecked(id, Ok(false))));
        assert!(app.export.pitr.is_some(), "PITR off: asked");
        snap("export_native_pitr_confirm", &app);
        press(&mut app, KeyCode::Char('y'));
        assert!(app.export.pitr.is_none());
        let id = app.export.native_job.in_flight().expect("the export runs");
        app.update(Msg::Export(ExportMsg::NativeProgress(
            id,
            Box::new(ExportInfo {
                arn: format!("arn:aws:dynamodb:us-east-1:1:table/{TABLE}/export/01733-ab12"),
                status: Some(JobStatus::InProgress),
                ..ExportInfo::default()
            }),
        )));
        snap("export_native_progress", &app);
    }

    #[tokio::test]
    async fn bulk_delete_confirmation_shows_the_estimate_of_its_writes() {
        let mut app = scanned();
        for _ in 0..3 {
            press(&mut app, KeyCode::Char(' '));
        }
        press(&mut app, KeyCode::Char('d'));
        let Some(Modal::Bulk { estimate, .. }) = app.edit.modal.as_ref() else {
            panic!("a bulk confirmation");
        };
        // Computed at once from the marked items: three deletes, each with
        // its index entries.
        let w = estimate
            .estimate()
            .and_then(|e| e.write.clone())
            .expect("an estimate");
        assert_eq!((w.items, w.deletes), (3, 3));
        snap("edit_bulk_delete_confirm_estimate", &app);
    }
}
