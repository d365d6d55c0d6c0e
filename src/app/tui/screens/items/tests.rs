//! Unit tests of the items view: no DynamoDB Local, no tokio runtime.

use super::*;
use crate::dynamo::pattern::typed_value;

#[test]
fn shell_quoting() {
    assert_eq!(shell_word("orders").as_deref(), Ok("orders"));
    assert_eq!(shell_word("{\"a\":1}").as_deref(), Ok("'{\"a\":1}'"));
    // shlex leaves a quote between plain words outside quotes (the old
    // quoting wrote 'it'\''s'); both are the word it's.
    assert_eq!(shell_word("it's").as_deref(), Ok("it\\'s"));
    assert_eq!(shlex::split("'it'\\''s'"), shlex::split("it\\'s"));
}

#[test]
fn get_item_command_is_complete() {
    let key = Item::from([
        ("PK".to_string(), AttributeValue::S("CUSTOMER#1".into())),
        ("SK".to_string(), AttributeValue::S("O'Brien".into())),
    ]);
    let ctx = ConnContext {
        profile: Some("dev".into()),
        region: Some("eu-west-1".into()),
        endpoint: Some("http://127.0.0.1:8000".into()),
    };
    assert_eq!(
        get_item_command("shop", &key, &ctx).as_deref(),
        Ok(
            "aws dynamodb get-item --table-name shop --key '{\"PK\":{\"S\":\"CUSTOMER#1\"},\"SK\":{\"S\":\"O'\\''Brien\"}}' --region eu-west-1 --profile dev --endpoint-url http://127.0.0.1:8000"
        )
    );
}

#[test]
fn typed_values_follow_key_types() {
    assert_eq!(
        typed_value("42", Some(KeyKind::N)),
        Ok(AttributeValue::N("42".into()))
    );
    assert!(typed_value("4x", Some(KeyKind::N)).is_err());
    assert_eq!(
        typed_value("42", Some(KeyKind::S)),
        Ok(AttributeValue::S("42".into()))
    );
    assert!(typed_value("!!", Some(KeyKind::B)).is_err());
}

// ---------------------------------------------------------------- update

use crate::app::tui::cx::testing::Parts;
use crate::app::tui::cx::testing::keyed_table;
use crate::dynamo::client::KeyKind;

fn info() -> TableInfo {
    keyed_table("shop")
}

fn item(pk: &str, sk: &str, ty: &str) -> Item {
    Item::from([
        ("PK".to_string(), AttributeValue::S(pk.into())),
        ("SK".to_string(), AttributeValue::S(sk.into())),
        ("Type".to_string(), AttributeValue::S(ty.into())),
        ("status".to_string(), AttributeValue::S("NEW".into())),
    ])
}

fn view(parts: &Parts) -> ItemsState {
    ItemsState::new("shop".into(), Some(info()), &parts.settings, &parts.project)
}

/// The page fetch the update asked for: (id, start).
fn fetch(fx: &[ItemsEffect]) -> (ReqId, Option<Item>) {
    match fx {
        [ItemsEffect::FetchPage { id, start, .. }] => (*id, start.clone()),
        other => panic!("expected one FetchPage, got {other:?}"),
    }
}

fn page(items: Vec<Item>, next: Option<Item>) -> Page {
    Page {
        count: items.len() as i32,
        scanned: items.len() as i32,
        items,
        next,
        ..Page::default()
    }
}

#[test]
fn r_asks_for_the_first_page_again_and_aborts_the_page_in_flight() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (first, start) = fetch(&cx.fx);
    assert_eq!(start, None);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let (second, start) = fetch(&cx.fx);
    assert_ne!(first, second);
    assert_eq!(start, None, "from the first page");
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Abort(id) if *id == first)),
        "{:?}",
        cx.core
    );
}

#[test]
fn a_stale_page_changes_nothing_and_the_current_one_is_shown() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (stale, _) = fetch(&cx.fx);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (current, _) = fetch(&cx.fx);
    let mut cx = parts.cx();
    assert!(!st.update(
        &mut cx,
        ItemsMsg::Page(stale, Ok(page(vec![item("A", "1", "Order")], None)))
    ));
    assert!(st.rows.is_empty());
    assert!(st.loading());
    assert!(st.update(
        &mut cx,
        ItemsMsg::Page(current, Ok(page(vec![item("B", "1", "Order")], None)))
    ));
    assert_eq!(st.rows.len(), 1);
    assert!(st.done);
    assert!(!st.busy());
}

#[test]
fn moving_near_the_end_prefetches_the_next_page_by_the_real_height() {
    let mut parts = Parts::new();
    parts.settings.ui.prefetch_rows = 2;
    parts.viewport.rows = 5;
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (id, _) = fetch(&cx.fx);
    let rows: Vec<Item> = (0..10)
        .map(|i| item("A", &format!("{i:02}"), "Order"))
        .collect();
    let last = rows[9].clone();
    let mut cx = parts.cx();
    st.update(
        &mut cx,
        ItemsMsg::Page(id, Ok(page(rows, Some(last.clone())))),
    );
    assert!(cx.fx.is_empty(), "the cursor is far from the end");
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::PageDown);
    assert_eq!(st.cursor.selected, 5, "a page is the 5 rows shown");
    assert!(cx.fx.is_empty());
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::PageDown);
    assert_eq!(st.cursor.selected, 9);
    let (_, start) = fetch(&cx.fx);
    assert_eq!(start, Some(last), "the next page starts after the last key");
}

#[test]
fn esc_leaves_the_view_and_aborts_its_page() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (id, _) = fetch(&cx.fx);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(matches!(
        cx.core.as_slice(),
        [Core::Abort(a), Core::CloseItems] if *a == id
    ));
    assert!(!st.busy());
}

#[test]
fn the_query_form_builds_a_query_and_opens_it_keeping_this_view_behind() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    let form = QueryForm {
        pk: "CUSTOMER#1".into(),
        sk_op: Some(SortOp::BeginsWith),
        sk: "ORDER#".into(),
        ..QueryForm::default()
    };
    let mut cx = parts.cx();
    st.on_query_key(&mut cx, form, &KeyEvent::from(KeyCode::Enter));
    assert!(cx.input.is_none(), "the form closes");
    match cx.core.as_slice() {
        [Core::OpenItems { table, request, .. }] => {
            assert_eq!(table, "shop");
            assert_eq!(
                request.describe(),
                "QUERY shop: PK = CUSTOMER#1 and SK begins_with ORDER#"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(cx.fx.is_empty(), "the application opens it");
    // A value of the wrong type keeps the form open with the reason.
    let mut bad = st.query_form_from_request();
    bad.pk.clear();
    bad.filter = "status ~ x".into();
    let mut cx = parts.cx();
    st.on_query_key(&mut cx, bad, &KeyEvent::from(KeyCode::Enter));
    assert!(matches!(&*cx.input, Some(Input::Query(f)) if f.error.is_some()));
    assert!(cx.fx.is_empty() && cx.core.is_empty());
}

#[test]
fn after_g_the_cursor_lands_on_the_last_row_as_pages_arrive() {
    let mut parts = Parts::new();
    parts.settings.ui.prefetch_rows = 2;
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (id, _) = fetch(&cx.fx);
    let page1: Vec<Item> = (0..10)
        .map(|i| item("A", &format!("{i:02}"), "Order"))
        .collect();
    let last = page1[9].clone();
    let mut cx = parts.cx();
    st.update(&mut cx, ItemsMsg::Page(id, Ok(page(page1, Some(last)))));
    assert!(cx.fx.is_empty(), "the cursor is far from the end");
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    assert_eq!(st.cursor.selected, 9);
    let (id, _) = fetch(&cx.fx);
    let page2: Vec<Item> = (10..25)
        .map(|i| item("A", &format!("{i:02}"), "Order"))
        .collect();
    let mut cx = parts.cx();
    st.update(&mut cx, ItemsMsg::Page(id, Ok(page(page2, None))));
    assert!(st.done);
    assert_eq!(
        st.cursor.selected, 24,
        "on the last row, not where G left it"
    );
    // Moving stops following.
    st.on_action(&mut cx, Action::Up);
    assert!(!st.follow_bottom);
}

#[test]
fn the_history_goes_back_and_forward_and_a_new_request_drops_forward() {
    let parts = Parts::new();
    let named = |n: usize| {
        let mut v = view(&parts);
        v.stats.pages = n as u32;
        v
    };
    let mut h = ItemsHistory::default();
    h.push(named(1));
    h.push(named(2));
    let mut cur = named(3);
    assert!(h.step(&mut cur, true));
    assert_eq!(cur.stats.pages, 2);
    assert_eq!(h.depth(), (1, 1));
    assert!(h.step(&mut cur, false));
    assert_eq!(cur.stats.pages, 3);
    assert!(!h.step(&mut cur, false), "nothing forward");
    assert_eq!(cur.stats.pages, 3);
    assert!(h.step(&mut cur, true));
    h.push(named(4));
    assert_eq!(h.depth(), (2, 0), "a new request drops forward");
    for i in 0..20 {
        h.push(named(i));
    }
    assert_eq!(h.depth().0, ItemsHistory::KEPT);
}

#[test]
fn the_sort_op_field_cycles_every_operator_then_none() {
    let parts = Parts::new();
    let st = view(&parts);
    let mut form = QueryForm {
        field: 2,
        ..QueryForm::default()
    };
    assert_eq!(form.sk_op, Some(SortOp::Eq), "a new form starts at =");
    let mut seen = Vec::new();
    for _ in 0..SortOp::ALL.len() + 1 {
        seen.push(form.sk_op);
        st.edit_query_form(&mut form, &KeyEvent::from(KeyCode::Right));
    }
    let mut want: Vec<Option<SortOp>> = SortOp::ALL.into_iter().map(Some).collect();
    want.push(None);
    assert_eq!(seen, want);
    assert_eq!(form.sk_op, Some(SortOp::Eq), "after (none) comes = again");
    st.edit_query_form(&mut form, &KeyEvent::from(KeyCode::Left));
    assert_eq!(form.sk_op, None, "left goes back to (none)");
    st.edit_query_form(&mut form, &KeyEvent::from(KeyCode::Left));
    assert_eq!(form.sk_op, Some(SortOp::Between));
}

#[test]
fn query_form_errors_come_from_the_error_variants() {
    let parts = Parts::new();
    let mut flat = info();
    flat.sk = None;
    let st = ItemsState::new("shop".into(), Some(flat), &parts.settings, &parts.project);
    let form = QueryForm {
        pk: "A".into(),
        sk: "x".into(),
        ..QueryForm::default()
    };
    assert_eq!(
        st.build_query(&form, 50).unwrap_err(),
        "the table has no sort key; clear the sort key field"
    );
    let st = view(&parts);
    let between = QueryForm {
        sk_op: Some(SortOp::Between),
        ..form.clone()
    };
    assert_eq!(
        st.build_query(&between, 50).unwrap_err(),
        "between needs a second value (…and)"
    );
    // No operator: the sort key text is not used.
    let none = QueryForm {
        sk_op: None,
        ..form
    };
    let req = st
        .build_query(&none, 50)
        .expect("a query on the partition key");
    assert_eq!(req.describe(), "QUERY shop: PK = A");
}

#[test]
fn a_type_filter_derives_its_columns_when_it_changes_not_when_drawn() {
    let parts = Parts::new();
    let mut st = view(&parts);
    let mut orders: Vec<Item> = (0..3)
        .map(|i| item("A", &format!("O{i}"), "Order"))
        .collect();
    orders[0].insert("total".into(), AttributeValue::N("3".into()));
    st.push_page(orders);
    st.push_page(vec![item("B", "C", "Customer")]);
    assert!(
        st.derived_columns.is_empty(),
        "no type filter: no derived columns"
    );
    let mut parts = Parts::new();
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::NextType);
    assert!(st.type_filter.is_some());
    assert!(!st.derived_columns.is_empty());
    assert!(
        !st.derived_columns.contains(&"PK".to_string()),
        "keys are not columns"
    );
}
