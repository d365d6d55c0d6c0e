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

/// The read of everything the update asked for: (id, request, start,
/// segments).
fn read_all(fx: &[ItemsEffect]) -> (ReqId, ItemsRequest, Option<Item>, u32) {
    match fx {
        [
            ItemsEffect::ReadAll {
                id,
                request,
                start,
                segments,
            },
        ] => (*id, request.clone(), start.clone(), *segments),
        other => panic!("expected one ReadAll, got {other:?}"),
    }
}

fn part(id: ReqId, segment: u32, items: Vec<Item>) -> ItemsMsg {
    ItemsMsg::Part {
        id,
        segment,
        page: page(items, None),
        ticket: Ticket::default(),
    }
}

fn orders(from: usize, to: usize) -> Vec<Item> {
    (from..to)
        .map(|i| item("A", &format!("{i:02}"), "Order"))
        .collect()
}

/// The sort keys of the rows, in order.
fn sks(st: &ItemsState) -> Vec<String> {
    st.rows
        .iter()
        .map(|r| match r.item().get("SK") {
            Some(AttributeValue::S(s)) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// A view that loaded one page of `n` rows (more to come); the cursor on
/// the first row.
fn browsed(parts: &mut Parts, n: usize) -> ItemsState {
    let mut st = view(parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (id, _) = fetch(&cx.fx);
    let rows = orders(0, n);
    let last = rows[n - 1].clone();
    let mut cx = parts.cx();
    st.update(&mut cx, ItemsMsg::Page(id, Ok(page(rows, Some(last)))));
    st
}

#[test]
fn browsing_reads_pages_of_the_configured_size() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    match cx.fx.as_slice() {
        [ItemsEffect::FetchPage { request, .. }] => assert_eq!(request.page_size, Some(200)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn g_reads_the_rest_of_a_scan_in_parallel_segments_without_a_limit() {
    let mut parts = Parts::new();
    parts.settings.ui.prefetch_rows = 2;
    let mut st = browsed(&mut parts, 10);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    assert_eq!(st.cursor.selected, 9);
    let (_, request, start, segments) = read_all(&cx.fx);
    assert_eq!(request.page_size, None, "1 MB pages, not 200 items");
    assert_eq!(segments, ReadOptions::default().segments);
    assert!(segments > 1);
    assert_eq!(start, None, "segments read from the start");
    assert!(st.busy());
}

#[test]
fn g_reads_the_rest_of_a_query_in_order_from_its_last_page() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    st.set_request(
        ItemsRequest {
            kind: RequestKind::Query {
                pk_name: "PK".into(),
                pk: AttributeValue::S("A".into()),
                sort: None,
            },
            page_size: Some(200),
            ..ItemsRequest::scan("shop")
        },
        None,
    );
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (id, _) = fetch(&cx.fx);
    let rows = orders(0, 10);
    let last = rows[9].clone();
    let mut cx = parts.cx();
    st.update(
        &mut cx,
        ItemsMsg::Page(id, Ok(page(rows, Some(last.clone())))),
    );
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    let (id, request, start, segments) = read_all(&cx.fx);
    assert_eq!((request.page_size, segments), (None, 1));
    assert_eq!(start, Some(last), "on from the last page loaded");
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, part(id, 0, orders(10, 15))));
    assert_eq!(
        sks(&st),
        (0..15).map(|i| format!("{i:02}")).collect::<Vec<_>>()
    );
    assert!(st.update(&mut cx, ItemsMsg::AllRead(id, Ok(()))));
    assert!(st.done && !st.busy());
    assert_eq!(st.cursor.selected, 14);
}

#[test]
fn a_segmented_read_orders_rows_by_segment_then_page_and_skips_rows_loaded_before() {
    let mut parts = Parts::new();
    let mut st = browsed(&mut parts, 3);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    let (id, ..) = read_all(&cx.fx);
    let b = |sk: &str| item("B", sk, "Order");
    // Pages arrive in any order across segments; segment 0 reads again
    // rows loaded before (01, 02).
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, part(id, 2, vec![b("c0"), b("c1")])));
    assert_eq!(st.cursor.selected, 4, "on the last row as pages arrive");
    assert!(st.update(
        &mut cx,
        part(id, 0, vec![item("A", "01", "Order"), b("a0")])
    ));
    assert!(st.update(&mut cx, part(id, 1, vec![b("b0")])));
    assert!(st.update(
        &mut cx,
        part(id, 0, vec![b("a1"), item("A", "02", "Order")])
    ));
    assert!(st.update(&mut cx, part(id, 3, vec![])));
    assert_eq!(
        sks(&st),
        ["00", "01", "02", "a0", "a1", "b0", "c0", "c1"],
        "loaded rows first, then segment 0, 1, 2, each page after page"
    );
    assert_eq!(st.view, (0..8).collect::<Vec<_>>());
    assert!(!st.done, "not done before the read ends");
    assert!(st.update(&mut cx, ItemsMsg::AllRead(id, Ok(()))));
    assert!(st.done && !st.busy() && st.next.is_none());
    assert_eq!(st.cursor.selected, 7, "the cursor on the last row");
    assert_eq!(st.stats.pages, 1 + 5);
    assert_eq!(st.type_counts.values().sum::<usize>(), 8);
}

#[test]
fn rows_inserted_above_keep_the_cursor_and_marks_on_their_rows() {
    let mut parts = Parts::new();
    let mut st = browsed(&mut parts, 3);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    let (id, ..) = read_all(&cx.fx);
    let b = |sk: &str| item("B", sk, "Order");
    let mut cx = parts.cx();
    st.update(&mut cx, part(id, 1, vec![b("b0"), b("b1")]));
    // The user moves: the cursor stops following and marks a row.
    st.on_action(&mut cx, Action::Up);
    st.on_action(&mut cx, Action::Mark);
    assert_eq!(st.marks, BTreeSet::from([3]));
    st.on_action(&mut cx, Action::Up);
    let under = st.selected_row().map(|r| r.item);
    st.update(&mut cx, part(id, 0, vec![b("a0"), b("a1")]));
    assert_eq!(sks(&st), ["00", "01", "02", "a0", "a1", "b0", "b1"]);
    assert_eq!(st.selected_row().map(|r| r.item), under);
    assert_eq!(st.marks, BTreeSet::from([5]), "the mark stays on b0");
}

#[test]
fn pages_of_a_superseded_read_change_nothing_and_free_their_ticket() {
    let mut parts = Parts::new();
    let mut st = browsed(&mut parts, 3);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    let (old, ..) = read_all(&cx.fx);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let (current, _) = fetch(&cx.fx);
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Abort(id) if *id == old)),
        "the read in flight is aborted: {:?}",
        cx.core
    );
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
    let ticket = gate.clone().try_acquire_owned().ok();
    assert_eq!(gate.available_permits(), 0);
    let stale = ItemsMsg::Part {
        id: old,
        segment: 0,
        page: page(orders(50, 60), None),
        ticket: Ticket(ticket),
    };
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, stale));
    assert_eq!(gate.available_permits(), 1, "the reader may go on");
    assert!(!st.update(&mut cx, ItemsMsg::AllRead(old, Ok(()))));
    assert!(st.rows.is_empty() && !st.done);
    assert!(st.page.is_current(current));
}

#[test]
fn leaving_aborts_the_read_and_coming_back_reads_everything_again() {
    let mut parts = Parts::new();
    let mut st = browsed(&mut parts, 3);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    let (id, ..) = read_all(&cx.fx);
    let mut cx = parts.cx();
    st.update(&mut cx, part(id, 1, vec![item("B", "b0", "Order")]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(matches!(
        cx.core.as_slice(),
        [Core::Abort(a), Core::CloseItems] if *a == id
    ));
    assert!(!st.busy());
    // Back in the view (`[`): no LastEvaluatedKey continues a segmented
    // read, so what is left is read again, without showing a row twice.
    let mut cx = parts.cx();
    st.maybe_prefetch(&mut cx);
    let (again, _, start, _) = read_all(&cx.fx);
    assert_eq!(start, None);
    let mut cx = parts.cx();
    st.update(
        &mut cx,
        part(
            again,
            0,
            vec![item("A", "00", "Order"), item("B", "b0", "Order")],
        ),
    );
    st.update(&mut cx, ItemsMsg::AllRead(again, Ok(())));
    assert_eq!(sks(&st), ["00", "01", "02", "b0"]);
    assert!(st.done);
}

#[test]
fn a_failed_read_says_so_and_is_not_continued_page_by_page() {
    let mut parts = Parts::new();
    let mut st = browsed(&mut parts, 3);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    let (id, ..) = read_all(&cx.fx);
    let mut cx = parts.cx();
    st.update(&mut cx, part(id, 2, vec![item("B", "c0", "Order")]));
    let err = AwsError::new("ProvisionedThroughputExceededException", "slow down");
    assert!(st.update(&mut cx, ItemsMsg::AllRead(id, Err(err))));
    assert!(st.error.is_some() && !st.done && !st.busy());
    assert!(st.reread);
    assert!(
        cx.fx.is_empty(),
        "no page-by-page read after a segmented one"
    );
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

#[test]
fn pages_a_filter_left_empty_are_read_past_until_items_or_the_budget() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (mut id, _) = fetch(&cx.fx);
    // A filtered Scan: each page read 4,000 items and kept none.
    let empty = |n: i32| Page {
        scanned: 4000,
        next: Some(item("A", &format!("{n:02}"), "Order")),
        ..Page::default()
    };
    let mut cx = parts.cx();
    st.update(&mut cx, ItemsMsg::Page(id, Ok(empty(1))));
    // Within the budget (10,000 items scanned): the next page is asked for.
    let (next, start) = fetch(&cx.fx);
    assert_eq!(start, Some(item("A", "01", "Order")));
    id = next;
    let mut cx = parts.cx();
    st.update(&mut cx, ItemsMsg::Page(id, Ok(empty(2))));
    let (next, _) = fetch(&cx.fx);
    // A page with items ends the search.
    let mut cx = parts.cx();
    st.update(
        &mut cx,
        ItemsMsg::Page(
            next,
            Ok(page(
                vec![item("B", "1", "Order")],
                Some(item("B", "1", "Order")),
            )),
        ),
    );
    assert_eq!(st.rows.len(), 1);
    assert!(!st.empty_pages_within_budget());

    // With the budget spent and nothing found, reading stops and says so.
    let mut st = view(&parts);
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (mut id, _) = fetch(&cx.fx);
    for n in 0..3 {
        let mut cx = parts.cx();
        st.update(&mut cx, ItemsMsg::Page(id, Ok(empty(n))));
        if n < 2 {
            id = fetch(&cx.fx).0;
        } else {
            assert!(cx.fx.is_empty(), "12,000 scanned: the budget is spent");
        }
    }
    assert!(st.rows.is_empty() && !st.done);
    assert_eq!(st.stats.scanned, 12_000);
}

// ------------------------------------------------------------- estimates

/// A described on-demand table of `items` items of 2 KB each.
fn sized(items: i64) -> TableInfo {
    TableInfo {
        billing_mode: "PAY_PER_REQUEST".into(),
        item_count: Some(items),
        size_bytes: Some(items * 2048),
        ..info()
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), crossterm::event::KeyModifiers::NONE)
}

#[test]
fn g_asks_before_a_read_above_the_threshold_and_reads_on_yes() {
    let mut parts = Parts::new();
    parts.settings.estimates.confirm_above_units = 1_000.0;
    let mut st = browsed(&mut parts, 10);
    // 10M items of 2 KB: about 2.5M read units for the whole table.
    st.info = Some(sized(10_000_000));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    assert!(cx.fx.is_empty(), "nothing read before the answer");
    drop(cx);
    let Some(Input::ReadAll { estimate, confirm }) = parts.input.take() else {
        panic!("asks first: {:?}", parts.input);
    };
    assert!(estimate.read_units() > 2_000_000.0, "{}", estimate.line());
    assert!(!st.want_all);
    // `n` keeps the loaded rows and reads nothing.
    let mut cx = parts.cx();
    st.on_read_all_key(&mut cx, estimate.clone(), confirm.clone(), &key('n'));
    assert!(cx.fx.is_empty());
    drop(cx);
    assert!(parts.input.is_none() && !st.want_all);
    // `y` reads everything.
    let mut cx = parts.cx();
    st.on_read_all_key(&mut cx, estimate, confirm, &key('y'));
    let (_, request, _, _) = read_all(&cx.fx);
    assert_eq!(request.page_size, None);
    assert!(st.want_all && st.follow_bottom);
}

#[test]
fn g_reads_at_once_below_the_threshold() {
    let mut parts = Parts::new();
    parts.settings.estimates.confirm_above_units = 1_000.0;
    let mut st = browsed(&mut parts, 10);
    // 1,000 items of 2 KB: 250 read units.
    st.info = Some(sized(1_000));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    read_all(&cx.fx);
    drop(cx);
    assert!(parts.input.is_none());
}

#[test]
fn each_page_adds_its_estimate_beside_what_it_consumed() {
    let mut parts = Parts::new();
    let mut st = view(&parts);
    st.info = Some(sized(100_000));
    let mut cx = parts.cx();
    st.restart(&mut cx);
    let (id, _) = fetch(&cx.fx);
    let mut p = page(orders(0, 200), None);
    p.consumed = Some(50.0);
    let mut cx = parts.cx();
    st.update(&mut cx, ItemsMsg::Page(id, Ok(p)));
    // 200 items of 2 KB read: 400 KB, 100 units of 4 KB, half for an
    // eventually consistent read.
    assert_eq!(st.stats.estimated, Some(50.0));
    assert_eq!(st.stats.consumed, 50.0);
}
