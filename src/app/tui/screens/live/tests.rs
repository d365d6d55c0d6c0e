//! The live screen's update, without DynamoDB Local or a runtime: stream
//! events and keys in, what is shown, effects and requests out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::app::tui::cx::testing::{Parts, keyed_table};
use crate::app::tui::request::Loadable;
use crate::dynamo::stream::ChangeRecord;
use crate::dynamo::{AttributeValue, Item};

const TABLE: &str = "shop";
const NOW: i64 = 1_765_000_000_000;

fn info(view: Option<&str>) -> TableInfo {
    let mut i = keyed_table(TABLE);
    if let Some(v) = view {
        i.stream = Some(v.into());
        i.stream_arn = Some(format!(
            "arn:aws:dynamodb:us-east-1:1:table/{TABLE}/stream/x"
        ));
    }
    i
}

fn parts(view: Option<&str>) -> Parts {
    let mut p = Parts::new();
    p.described
        .insert(TABLE.into(), Loadable::Ready(info(view)));
    p
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn item(pairs: &[(&str, &str)]) -> Item {
    pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect()
}

/// An order of `customer` changing status from `from` to `to`.
fn modify(n: u64, customer: &str, from: &str, to: &str) -> ChangeRecord {
    let key = [
        ("PK", format!("CUSTOMER#{customer}")),
        ("SK", format!("ORDER#o{n}")),
    ];
    let keys: Item = key.iter().map(|(k, v)| (k.to_string(), s(v))).collect();
    let mut old = keys.clone();
    old.extend(item(&[("type", "Order"), ("status", from)]));
    let mut new = keys.clone();
    new.extend(item(&[("type", "Order"), ("status", to)]));
    ChangeRecord {
        event: EventName::Modify,
        keys,
        old: Some(old),
        new: Some(new),
        time_ms: Some(NOW),
        size_bytes: 120,
        sequence: n.to_string(),
        shard: "shard-1".into(),
        by_ttl: false,
    }
}

fn remove(n: u64, customer: &str) -> ChangeRecord {
    let mut r = modify(n, customer, "new", "new");
    r.event = EventName::Remove;
    r.new = None;
    r
}

/// A screen following `TABLE` (its reader ready), and its request id.
fn following(p: &mut Parts) -> (LiveState, ReqId) {
    let mut st = LiveState {
        clock: Some(NOW),
        ..LiveState::default()
    };
    let mut cx = p.cx();
    st.open(&mut cx, Screen::Items, Some(TABLE.into()));
    let id = match cx.fx.as_slice() {
        [LiveEffect::Follow { id, arn, start, .. }] => {
            assert!(arn.contains("/stream/"));
            assert_eq!(*start, StartAt::Latest);
            *id
        }
        other => panic!("expected one follow effect, got {other:?}"),
    };
    assert_eq!(st.phase, Phase::Starting);
    st.update(
        &mut cx,
        LiveMsg::Stream(
            id,
            StreamEvent::Shards {
                reading: 2,
                finished: 0,
            },
        ),
    );
    assert_eq!(st.phase, Phase::Following);
    (st, id)
}

fn records(st: &mut LiveState, p: &mut Parts, id: ReqId, r: Vec<ChangeRecord>) -> Vec<Core> {
    let mut cx = p.cx();
    st.update(&mut cx, LiveMsg::Stream(id, StreamEvent::Records(r)));
    cx.core
}

#[test]
fn changes_are_decoded_newest_first_with_counts() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    records(
        &mut st,
        &mut p,
        id,
        vec![modify(1, "c1", "new", "paid"), remove(2, "c2")],
    );
    assert_eq!((st.total, st.modifies, st.removes), (2, 1, 1));
    let v = st.visible();
    assert_eq!(v[0].record.event, EventName::Remove, "newest first");
    assert_eq!(v[1].entity.as_deref(), Some("Order"));
    assert!(v[1].key_text.contains("c1"), "{}", v[1].key_text);
    assert_eq!(
        crate::app::live::diff_text(&v[1].record, 40),
        "status: new → paid"
    );
}

#[test]
fn a_reply_of_an_earlier_follow_is_dropped() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    let mut cx = p.cx();
    let stale = next_id();
    assert!(!st.update(
        &mut cx,
        LiveMsg::Stream(stale, StreamEvent::Records(vec![modify(1, "c1", "a", "b")]))
    ));
    assert_eq!(st.total, 0);
    assert!(st.update(&mut cx, LiveMsg::Stream(id, StreamEvent::Records(vec![]))));
}

#[test]
fn paused_changes_are_held_then_shown_and_overflow_is_counted() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    st.on_action(&mut p.cx(), Action::Pause);
    assert!(st.paused);
    let batch: Vec<ChangeRecord> = (0..(HELD as u64 + 7))
        .map(|n| modify(n, "c1", "a", "b"))
        .collect();
    records(&mut st, &mut p, id, batch);
    assert_eq!(st.changes.len(), 0, "nothing shown while paused");
    assert_eq!(st.held.len(), HELD);
    assert_eq!(st.dropped, 7);
    assert_eq!(st.total, HELD as u64 + 7, "every change is counted");
    let mut cx = p.cx();
    st.on_action(&mut cx, Action::Pause);
    assert!(!st.paused);
    assert_eq!(st.held.len(), 0);
    assert_eq!(st.changes.len(), SHOWN.min(HELD));
    assert!(
        matches!(&*cx.flash, Some((Level::Warn, m)) if m.contains("7 dropped")),
        "{:?}",
        cx.flash
    );
    // The newest held change is on top.
    assert_eq!(st.visible()[0].record.sequence, (HELD - 1).to_string());
}

#[test]
fn filters_by_type_key_and_event() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    let mut profile = modify(9, "c9", "a", "b");
    for img in [profile.old.as_mut().unwrap(), profile.new.as_mut().unwrap()] {
        img.insert("type".into(), s("Customer"));
    }
    records(
        &mut st,
        &mut p,
        id,
        vec![modify(1, "c1", "a", "b"), remove(2, "c2"), profile],
    );
    st.on_action(&mut p.cx(), Action::NextType);
    assert_eq!(st.filter.entity.as_deref(), Some("Customer"));
    assert_eq!(st.visible().len(), 1);
    st.on_action(&mut p.cx(), Action::NextType);
    assert_eq!(st.filter.entity.as_deref(), Some("Order"));
    assert_eq!(st.visible().len(), 2);
    st.on_action(&mut p.cx(), Action::NextEvent);
    assert_eq!(st.filter.event, Some(EventName::Insert));
    assert_eq!(st.visible().len(), 0);
    st.on_action(&mut p.cx(), Action::NextEvent);
    assert_eq!(st.visible().len(), 1, "Order MODIFY");
    st.filter = ChangeFilter::default();
    st.set_key_filter("PK=CUSTOMER#c2");
    assert_eq!(st.visible().len(), 1);
    assert_eq!(st.visible()[0].record.event, EventName::Remove);
    st.set_key_filter("c9");
    assert_eq!(st.visible().len(), 1);
    // Typed in the input: applied as typed, esc clears.
    let mut cx = p.cx();
    st.on_filter_key(&mut cx, "c".into(), &KeyEvent::from(KeyCode::Char('1')));
    assert_eq!(st.filter.key.as_deref(), Some("c1"));
    st.on_filter_key(&mut cx, "c1".into(), &KeyEvent::from(KeyCode::Esc));
    assert_eq!(st.filter.key, None);
}

#[test]
fn the_cursor_stays_on_its_change_while_new_ones_arrive() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    records(
        &mut st,
        &mut p,
        id,
        vec![modify(1, "c1", "a", "b"), modify(2, "c1", "a", "b")],
    );
    st.on_action(&mut p.cx(), Action::Down);
    assert_eq!(st.selected().unwrap().record.sequence, "1");
    records(&mut st, &mut p, id, vec![modify(3, "c1", "a", "b")]);
    assert_eq!(st.selected().unwrap().record.sequence, "1");
}

#[test]
fn enter_opens_the_change_image_in_the_detail_view() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    records(
        &mut st,
        &mut p,
        id,
        vec![modify(1, "c1", "new", "paid"), remove(2, "c2")],
    );
    let mut cx = p.cx();
    st.on_action(&mut cx, Action::Open);
    match cx.core.as_slice() {
        [Core::ShowItem { item, .. }] => {
            assert_eq!(item.get("SK"), Some(&s("ORDER#o2")));
            assert_eq!(
                item.get("status"),
                Some(&s("new")),
                "the old image of a REMOVE"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut cx = p.cx();
    st.on_action(&mut cx, Action::Down);
    st.on_action(&mut cx, Action::Open);
    match cx.core.as_slice() {
        [Core::ShowItem { item, .. }] => assert_eq!(item.get("status"), Some(&s("paid"))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_hot_write_key_raises_an_alert_for_the_metrics_view_and_opens_its_items() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    let mut batch = Vec::new();
    for n in 0..100u64 {
        let customer = if n % 2 == 0 {
            "c00243".to_string()
        } else {
            format!("c{n}")
        };
        batch.push(modify(n, &customer, "a", "b"));
    }
    let core = records(&mut st, &mut p, id, batch);
    assert_eq!(st.hot[0].key, "CUSTOMER#c00243");
    assert!((st.hot[0].share_of_writes - 0.5).abs() < 0.05);
    // Per entity too: every write was an Order's.
    assert_eq!(st.by_entity.len(), 1);
    assert_eq!(st.by_entity[0].entity.as_deref(), Some("Order"));
    assert_eq!(st.by_entity[0].writes, 100);
    let alert = match core.as_slice() {
        [Core::LiveAlerts { table, alerts }] => {
            assert_eq!(table, TABLE);
            alerts[0].clone()
        }
        other => panic!("{other:?}"),
    };
    assert!(
        alert
            .title
            .starts_with("hot write key suspected: CUSTOMER#c00243, 50% of writes"),
        "{}",
        alert.title
    );
    // The same alerts are not sent again.
    let core = records(&mut st, &mut p, id, vec![]);
    assert!(core.is_empty(), "{core:?}");
    // Enter on the hot key: its partition in the items view.
    let mut cx = p.cx();
    st.on_action(&mut cx, Action::Focus);
    st.on_action(&mut cx, Action::Open);
    match cx.core.as_slice() {
        [Core::OpenItems { request, .. }] => match &request.kind {
            RequestKind::Query { pk, .. } => assert_eq!(pk, &s("CUSTOMER#c00243")),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_window_slides_on_ticks_without_changes() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    records(&mut st, &mut p, id, vec![modify(1, "c1", "a", "b")]);
    assert_eq!(st.hot.len(), 1);
    st.clock = Some(NOW + HOT_WINDOW.as_millis() as i64 + 1_000);
    assert!(st.tick(&mut p.cx()));
    assert!(st.hot.is_empty(), "the write left the window");
}

#[test]
fn no_stream_offers_one_and_enables_it_after_yes() {
    let mut p = parts(None);
    let mut st = LiveState::default();
    let mut cx = p.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    assert_eq!(st.phase, Phase::NoStream);
    assert!(cx.fx.is_empty(), "nothing is read without a stream");
    assert!(st.on_offer_key(&mut cx, &KeyEvent::from(KeyCode::Down)));
    assert_eq!(ViewType::ALL[st.offer.view], ViewType::NewImage);
    assert!(st.on_offer_key(&mut cx, &KeyEvent::from(KeyCode::Enter)));
    assert!(st.offer.confirm.is_some(), "asks first");
    assert!(cx.fx.is_empty());
    assert!(st.on_offer_key(&mut cx, &KeyEvent::from(KeyCode::Char('y'))));
    assert_eq!(
        cx.fx.as_slice(),
        [LiveEffect::Enable {
            table: TABLE.into(),
            view: ViewType::NewImage
        }]
    );
    assert_eq!(st.phase, Phase::Enabling(ViewType::NewImage));
    // Enabled: the description is read again, then it follows.
    st.update(&mut cx, LiveMsg::Enabled(TABLE.into(), Ok(())));
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Describe(t) if t == TABLE))
    );
    cx.fx.clear();
    st.described(&mut cx, TABLE, Some(info(Some("NEW_IMAGE"))), None);
    assert!(matches!(cx.fx.as_slice(), [LiveEffect::Follow { .. }]));
}

#[test]
fn enabling_is_refused_read_only_and_on_protected_tables() {
    let mut p = parts(None);
    p.read_only = true;
    let mut st = LiveState::default();
    let mut cx = p.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    st.on_offer_key(&mut cx, &KeyEvent::from(KeyCode::Enter));
    assert!(st.offer.confirm.is_none());
    assert!(matches!(&*cx.flash, Some((Level::Error, m)) if m.contains("read-only")));

    let mut p = parts(None);
    p.project = crate::app::config::Project::parse(
        "dyntui.toml",
        "[[table]]\nname = \"shop\"\npartition_key = { name = \"PK\", type = \"S\" }\nprotected = true\n",
    )
    .unwrap();
    let mut st = LiveState::default();
    let mut cx = p.cx();
    st.open(&mut cx, Screen::Tables, Some(TABLE.into()));
    st.on_offer_key(&mut cx, &KeyEvent::from(KeyCode::Enter));
    assert!(st.offer.confirm.is_none());
    assert!(matches!(&*cx.flash, Some((Level::Error, m)) if m.contains("protected")));
    assert!(cx.fx.is_empty());
}

#[test]
fn a_failed_stream_says_why_and_r_follows_again() {
    let mut p = parts(Some("KEYS_ONLY"));
    let (mut st, id) = following(&mut p);
    let mut cx = p.cx();
    st.update(
        &mut cx,
        LiveMsg::Stream(
            id,
            StreamEvent::Failed(AwsError::new("ResourceNotFoundException", "stream gone")),
        ),
    );
    assert!(matches!(&st.phase, Phase::Failed(e) if e.code == "ResourceNotFoundException"));
    assert_eq!(st.run, None);
    st.on_action(&mut cx, Action::Refresh);
    assert!(matches!(cx.fx.as_slice(), [LiveEffect::Follow { .. }]));
}

#[test]
fn leaving_stops_the_reader_and_oldest_restarts_from_the_trim_horizon() {
    let mut p = parts(Some("NEW_AND_OLD_IMAGES"));
    let (mut st, id) = following(&mut p);
    let mut cx = p.cx();
    st.on_action(&mut cx, Action::FromOldest);
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Abort(x) if *x == id))
    );
    assert!(matches!(
        cx.fx.as_slice(),
        [LiveEffect::Follow {
            start: StartAt::Oldest,
            ..
        }]
    ));
    let new_id = st.run.unwrap();
    let mut cx = p.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Abort(x) if *x == new_id))
    );
    assert!(cx.core.iter().any(|c| matches!(c, Core::Go(Screen::Items))));
    assert_eq!(st.run, None);
}
