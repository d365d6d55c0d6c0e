//! The metrics view's update, without DynamoDB Local or a runtime: actions,
//! keys and replies in, effects and requests to the application out.

use crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::app::tui::cx::testing::Parts;
use crate::dynamo::client::{IndexInfo, KeyDef, KeyKind};
use crate::metrics::snapshot::demo_incident;

const TABLE: &str = "dyntui-demo";
const AT: i64 = crate::metrics::snapshot::DEMO_INCIDENT_AT;

fn key_def(name: &str) -> KeyDef {
    KeyDef {
        name: name.into(),
        kind: Some(KeyKind::S),
    }
}

fn gsi(name: &str) -> IndexInfo {
    IndexInfo {
        name: name.into(),
        global: true,
        pk: key_def(&format!("{name}PK")),
        sk: Some(key_def(&format!("{name}SK"))),
        projection: "ALL".into(),
        status: Some("ACTIVE".into()),
        capacity: Some((500, 100)),
        item_count: None,
        size_bytes: None,
    }
}

/// The demo table as DescribeTable says.
fn info() -> TableInfo {
    TableInfo {
        name: TABLE.into(),
        status: "ACTIVE".into(),
        pk: Some(key_def("PK")),
        sk: Some(key_def("SK")),
        indexes: vec![gsi("GSI1"), gsi("GSI2")],
        billing_mode: "PROVISIONED".into(),
        ..TableInfo::default()
    }
}

/// Parts of a live AWS session with the demo project and its table described.
fn described() -> Parts {
    let mut parts = Parts::new();
    parts.project = crate::app::config::demo_project().unwrap_or_else(|e| panic!("{e}"));
    parts.project.offline_snapshot = None;
    parts
        .described
        .insert(TABLE.into(), Loadable::Ready(info()));
    parts
}

/// One refresh's answer: the demo incident.
fn fetched() -> Fetched {
    let snap = demo_incident(AT);
    Fetched {
        data: snap.data,
        statuses: snap.statuses.into_iter().map(Ok).collect(),
        reports: snap.reports.into_iter().map(Ok).collect(),
    }
}

/// The fetch asked for (exactly one effect).
fn fetch_of(fx: &[MetricsEffect]) -> (ReqId, Target, Range) {
    match fx {
        [MetricsEffect::Fetch { id, target, range }] => (*id, target.clone(), *range),
        other => panic!("expected one fetch, got {other:?}"),
    }
}

/// Opens the view from the tables list; returns the fetch asked for.
fn open(st: &mut MetricsState, parts: &mut Parts) -> ReqId {
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    fetch_of(&cx.fx).0
}

/// Opens the view and answers its fetch with the demo incident.
fn open_with_data(st: &mut MetricsState, parts: &mut Parts) -> ReqId {
    let id = open(st, parts);
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, MetricsMsg::Fetched(id, Box::new(Ok(fetched())))));
    id
}

fn aborted(core: &[Core], id: ReqId) -> bool {
    core.iter().any(|c| matches!(c, Core::Abort(a) if *a == id))
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::from(code)
}

#[test]
fn opening_a_described_table_asks_for_a_fetch_of_the_table_and_its_gsis() {
    let mut parts = described();
    let mut st = MetricsState {
        range: Some(Range::D1),
        ..MetricsState::default()
    };
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    let (_, target, range) = fetch_of(&cx.fx);
    assert_eq!(target, Target::of(&info()));
    assert_eq!(target.gsis, vec!["GSI1", "GSI2"]);
    assert_eq!(range, Range::D1, "the chosen range");
    assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Metrics)]));
    assert_eq!(st.back_to, Some(Screen::Tables));
    assert!(st.busy(), "the spinner shows until the first answer");
    assert!(st.last_fetch.is_some());
}

#[test]
fn an_undescribed_table_is_described_first_and_fetched_once_described() {
    let mut parts = described();
    parts.described.clear();
    let mut st = MetricsState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    assert!(cx.fx.is_empty(), "no fetch without the table's GSIs");
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Describe(t) if t == TABLE))
    );
    assert!(st.busy());
    // Another table's description changes nothing.
    let mut cx = parts.cx();
    st.described(&mut cx, "other", None);
    assert!(cx.fx.is_empty());
    parts
        .described
        .insert(TABLE.into(), Loadable::Ready(info()));
    let mut cx = parts.cx();
    st.described(&mut cx, TABLE, None);
    let (_, target, range) = fetch_of(&cx.fx);
    assert_eq!(target.table, TABLE);
    assert_eq!(range, Range::H3, "the default range");
    // Only once: a later description (read again) does not fetch again.
    let mut cx = parts.cx();
    st.described(&mut cx, TABLE, None);
    assert!(cx.fx.is_empty());
}

#[test]
fn a_failed_description_is_shown_as_the_failure() {
    let mut parts = described();
    parts.described.clear();
    let mut st = MetricsState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    let e = AwsError::new("ResourceNotFoundException", "no such table");
    let mut cx = parts.cx();
    st.described(&mut cx, TABLE, Some(&e));
    assert!(cx.fx.is_empty());
    assert_eq!(
        st.data.failed().map(|e| e.code.as_str()),
        Some("ResourceNotFoundException")
    );
    assert!(!st.busy());
}

#[test]
fn changing_the_range_refreshes_and_aborts_the_superseded_fetch() {
    let mut parts = described();
    let mut st = MetricsState::default();
    let first = open(&mut st, &mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::NextRange);
    let (second, _, range) = fetch_of(&cx.fx);
    assert_ne!(second, first);
    assert_eq!(range, Range::H12, "3h is followed by 12h");
    assert!(aborted(&cx.core, first), "{:?}", cx.core);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::PrevRange);
    let (third, _, range) = fetch_of(&cx.fx);
    assert_eq!(range, Range::H3);
    assert!(aborted(&cx.core, second));
    assert!(st.data.is_current(third));
}

#[test]
fn a_refresh_keeps_the_charts_on_show() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let (id, _, _) = fetch_of(&cx.fx);
    assert!(
        st.data.ready().is_some(),
        "the charts stay until the answer"
    );
    assert!(st.data.is_current(id));
    assert!(!st.busy(), "no spinner over the charts");
    assert!(!st.hot_keys().is_empty());
}

#[test]
fn a_stale_reply_changes_nothing() {
    let mut parts = described();
    let mut st = MetricsState::default();
    let stale = open(&mut st, &mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::NextRange);
    let (current, _, _) = fetch_of(&cx.fx);
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, MetricsMsg::Fetched(stale, Box::new(Ok(fetched())))));
    assert!(st.data.state.is_loading());
    assert!(st.alerts.is_empty());
    assert!(st.hot_keys().is_empty());
    let mut cx = parts.cx();
    assert!(st.update(
        &mut cx,
        MetricsMsg::Fetched(current, Box::new(Ok(fetched())))
    ));
    assert!(st.data.ready().is_some());
    assert!(!st.alerts.is_empty(), "alerts are evaluated on the answer");
    // The answer counts once.
    let mut cx = parts.cx();
    let e = AwsError::new("Throttling", "late");
    assert!(!st.update(&mut cx, MetricsMsg::Fetched(current, Box::new(Err(e)))));
    assert!(st.data.ready().is_some());
}

#[test]
fn the_answer_is_derived_once_for_the_view() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    // The period grid: one hour of minutes.
    assert_eq!(st.grid().len(), 60);
    assert_eq!(st.cursor_time(), st.grid().last().copied());
    // Hot keys: throttled first, decoded with the project's entities.
    let top = &st.hot_keys()[0];
    assert!(top.throttled);
    assert_eq!(top.keys[0], "CUSTOMER#c00243");
    assert_eq!(top.entity, "Customer");
    assert_eq!(top.decoded, "customerId=c00243");
    // Each chart has its series, the table's throttles always.
    let c = &st.derived.charts;
    assert!(c.throttles.iter().any(|p| p.label == "table write"));
    assert!(!c.capacity.is_empty() && !c.latency.is_empty());
}

#[test]
fn the_grid_cursor_moves_left_and_back_to_the_latest_point() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    let last = st.cursor_time();
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::CursorLeft);
    st.on_action(&mut cx, Action::CursorLeft);
    assert_eq!(st.cursor, Some(57));
    assert_eq!(st.cursor_time(), last.map(|t| t - 120));
    st.on_action(&mut cx, Action::CursorRight);
    st.on_action(&mut cx, Action::CursorRight);
    assert_eq!(st.cursor, None, "back to the latest point");
}

#[test]
fn enter_on_a_hot_key_opens_a_query_on_its_partition_and_leaves() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    // A refresh in flight is abandoned when the items open.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let (refresh, _, _) = fetch_of(&cx.fx);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(aborted(&cx.core, refresh));
    let Some(Core::OpenItems {
        table,
        info: i,
        request,
        pattern,
    }) = cx.core.iter().find(|c| matches!(c, Core::OpenItems { .. }))
    else {
        panic!("the items asked for: {:?}", cx.core);
    };
    assert_eq!(table, TABLE);
    assert_eq!(**i, info());
    assert_eq!(pattern, &None);
    assert_eq!(request.index, None, "a table rule: a query on the table");
    match &request.kind {
        RequestKind::Query { pk_name, pk, sort } => {
            assert_eq!(pk_name, "PK");
            assert_eq!(pk, &AttributeValue::S("CUSTOMER#c00243".into()));
            assert!(sort.is_none());
        }
        other => panic!("not a query: {other:?}"),
    }
}

#[test]
fn a_gsi_hot_key_queries_the_gsi_and_an_undescribed_table_is_described_first() {
    let mut parts = described();
    let mut st = MetricsState::default();
    let id = open(&mut st, &mut parts);
    let mut f = fetched();
    f.reports.push(Ok(RuleReport {
        rule: format!("DynamoDBContributorInsights-PKC-{TABLE}-GSI1"),
        kind: RuleKind::Pkc,
        resource: Resource::Gsi("GSI1".into()),
        key_labels: vec!["GSI1PK".into()],
        aggregate: Some(10.0),
        contributors: vec![crate::metrics::insights::Contributor {
            keys: vec!["STATUS#open".into()],
            value: 10.0,
            datapoints: Vec::new(),
        }],
    }));
    let mut cx = parts.cx();
    st.update(&mut cx, MetricsMsg::Fetched(id, Box::new(Ok(f))));
    let i = st
        .hot_keys()
        .iter()
        .position(|k| k.resource != Resource::Table);
    let Some(i) = i else {
        panic!("the incident has GSI keys");
    };
    let page = parts.viewport.rows;
    let mut cx = parts.cx();
    for _ in 0..i {
        st.on_action(&mut cx, Action::Down);
    }
    assert_eq!(st.keys.selected, i);
    assert!(st.keys.offset + page > i, "the selection stays in view");
    st.on_action(&mut cx, Action::Open);
    let Some(Core::OpenItems { request, .. }) = cx.core.last() else {
        panic!("{:?}", cx.core);
    };
    assert_eq!(request.index.as_deref(), Some("GSI1"));
    match &request.kind {
        RequestKind::Query { pk_name, pk, .. } => {
            assert_eq!(pk_name, "GSI1PK");
            assert_eq!(pk, &AttributeValue::S("STATUS#open".into()));
        }
        other => panic!("not a query: {other:?}"),
    }
    // The description forgotten: describe and say so, open nothing.
    parts.described.clear();
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(matches!(cx.core.as_slice(), [Core::Describe(t)] if t == TABLE));
    assert!(cx.flash.is_some());
}

#[test]
fn the_lists_move_by_the_viewport_and_tab_switches_between_them() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    parts.viewport.rows = 3;
    let n = st.hot_keys().len();
    assert!(n > 4);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::PageDown);
    assert_eq!(st.keys.selected, 3);
    assert_eq!(st.keys.offset, 1);
    st.on_action(&mut cx, Action::Bottom);
    assert_eq!(st.keys.selected, n - 1);
    st.on_action(&mut cx, Action::Focus);
    assert_eq!(st.focus, Focus::Alerts);
    st.on_action(&mut cx, Action::Down);
    assert_eq!(st.alert_list.selected, 1);
    assert_eq!(st.keys.selected, n - 1, "the other list keeps its place");
    st.on_action(&mut cx, Action::Bottom);
    assert_eq!(st.alert_list.selected, st.alerts.len() - 1);
    assert!(cx.fx.is_empty());
}

#[test]
fn on_dynamodb_local_it_says_there_is_no_cloudwatch_without_any_effect() {
    let mut parts = described();
    parts.conn.endpoint = Some("http://127.0.0.1:8000".into());
    let mut st = MetricsState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    assert!(cx.fx.is_empty());
    assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Metrics)]));
    assert_eq!(
        st.data.failed().map(|e| e.code.as_str()),
        Some("NoCloudWatch")
    );
    assert!(!st.busy());
    // Enabling Contributor Insights is refused too.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::EnableInsights);
    assert!(st.enable_confirm.is_none());
    assert!(cx.flash.is_some());
}

#[test]
fn on_dynamodb_local_the_projects_offline_snapshot_is_shown() {
    let mut parts = described();
    parts.conn.endpoint = Some("http://localhost:8000".into());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("incident.json");
    demo_incident(AT)
        .save(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    parts.project.offline_snapshot = Some(path);
    let mut st = MetricsState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    assert!(cx.fx.is_empty());
    assert_eq!(st.snapshot, Some(AT));
    assert!(st.data.ready().is_some());
    assert!(matches!(cx.flash.as_ref(), Some((Level::Warn, _))));
    // A snapshot's range is fixed; it is not refreshed.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::NextRange);
    st.on_action(&mut cx, Action::Refresh);
    assert!(cx.fx.is_empty());
}

#[test]
fn leaving_aborts_the_fetch_in_flight() {
    let mut parts = described();
    let mut st = MetricsState::default();
    let id = open(&mut st, &mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(aborted(&cx.core, id), "{:?}", cx.core);
    assert!(matches!(cx.core.last(), Some(Core::Go(Screen::Tables))));
    assert!(!st.busy());
    assert!(matches!(st.data.state, Loadable::Idle));
    // Its late answer changes nothing.
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, MetricsMsg::Fetched(id, Box::new(Ok(fetched())))));
}

#[test]
fn leaving_while_the_table_is_described_stops_waiting() {
    let mut parts = described();
    parts.described.clear();
    let mut st = MetricsState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Items, Some(TABLE.into()));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Items)]));
    assert!(!st.busy(), "no spinner left behind");
    parts
        .described
        .insert(TABLE.into(), Loadable::Ready(info()));
    let mut cx = parts.cx();
    st.described(&mut cx, TABLE, None);
    assert!(cx.fx.is_empty(), "nothing fetched for a view that was left");
}

#[test]
fn the_auto_refresh_fetches_when_the_interval_passed() {
    let mut parts = described();
    let mut st = MetricsState::default();
    let first = open_with_data(&mut st, &mut parts);
    let mut cx = parts.cx();
    assert!(!st.tick(&mut cx), "fetched just now");
    assert!(cx.fx.is_empty());
    let every = parts.settings.ui.metrics_refresh_secs.max(10);
    st.last_fetch = Instant::now().checked_sub(Duration::from_secs(every + 1));
    assert!(st.last_fetch.is_some());
    let mut cx = parts.cx();
    assert!(st.tick(&mut cx));
    let (id, _, _) = fetch_of(&cx.fx);
    assert_ne!(id, first);
}

#[test]
fn enabling_insights_asks_first_and_then_enables_the_mode_chosen() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::EnableInsights);
    assert_eq!(st.enable_confirm.as_ref().map(|c| c.mode), Some(0));
    st.on_enable_key(&mut cx, &key(KeyCode::Down));
    assert_eq!(st.enable_confirm.as_ref().map(|c| c.mode), Some(1));
    st.on_enable_key(&mut cx, &key(KeyCode::Char('x')));
    assert!(st.enable_confirm.is_some(), "other keys wait");
    assert!(cx.fx.is_empty());
    st.on_enable_key(&mut cx, &key(KeyCode::Enter));
    assert!(st.enable_confirm.is_none());
    assert_eq!(
        cx.fx,
        vec![MetricsEffect::Enable {
            table: TABLE.into(),
            mode: "ACCESSED_AND_THROTTLED_KEYS".into(),
        }]
    );
    // Enabled: say so and fetch again.
    let status = InsightsStatus {
        resource: Resource::Table,
        status: "ENABLING".into(),
        mode: Some("ACCESSED_AND_THROTTLED_KEYS".into()),
        failure: None,
        rules: Vec::new(),
    };
    let mut cx = parts.cx();
    st.update(&mut cx, MetricsMsg::Enabled(Ok(status)));
    assert!(matches!(cx.flash.as_ref(), Some((Level::Info, t)) if t.contains("ENABLING")));
    fetch_of(&cx.fx);
}

#[test]
fn esc_closes_the_enable_confirmation_without_enabling() {
    let mut parts = described();
    let mut st = MetricsState::default();
    open_with_data(&mut st, &mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::EnableInsights);
    st.on_enable_key(&mut cx, &key(KeyCode::Esc));
    assert!(st.enable_confirm.is_none());
    assert!(cx.fx.is_empty());
}

#[test]
fn a_snapshot_opens_in_the_view_and_is_not_fetched_again() {
    let mut parts = described();
    let mut st = MetricsState::default();
    let mut cx = parts.cx();
    st.open_snapshot(&mut cx, Screen::Items, demo_incident(AT));
    assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Metrics)]));
    assert_eq!(st.back_to, Some(Screen::Items));
    assert_eq!(st.table.as_deref(), Some(TABLE));
    assert!(!st.hot_keys().is_empty());
    // Opening the same table again keeps the snapshot.
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Metrics, Some(TABLE.into()));
    assert!(cx.fx.is_empty());
    assert_eq!(st.snapshot, Some(AT));
    // Its snapshot is the same data.
    let again = st
        .snapshot_of(&parts.conn)
        .unwrap_or_else(|| panic!("ready"));
    assert_eq!(again.captured_at, AT);
    assert_eq!(again.data, demo_incident(AT).data);
    // Another table leaves the snapshot and fetches.
    parts.described.insert(
        "orders".into(),
        Loadable::Ready(TableInfo {
            name: "orders".into(),
            pk: Some(key_def("id")),
            ..TableInfo::default()
        }),
    );
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Metrics, Some("orders".into()));
    assert_eq!(fetch_of(&cx.fx).1.table, "orders");
    assert_eq!(st.snapshot, None);
    assert!(
        st.data.ready().is_none(),
        "the other table's charts are gone"
    );
}
