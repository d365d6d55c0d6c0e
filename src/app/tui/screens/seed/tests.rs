//! The seed view's update, without DynamoDB Local or a tokio runtime: the
//! effects it asks for and the state it reaches.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::app::tui::cx::testing::Parts;
use crate::dynamo::error::AwsError;
use crate::dynamo::generate::GeneratorSpec;
use crate::dynamo::seeding::SeedSource;

fn generated(name: &str, count: usize) -> SeedSet {
    SeedSet {
        name: name.into(),
        description: format!("{count} customers"),
        table: None,
        source: SeedSource::Generators(vec![GeneratorSpec {
            entity: "Customer".into(),
            count,
            fields: Vec::new(),
        }]),
        seed: 1,
    }
}

fn files(name: &str) -> SeedSet {
    SeedSet {
        name: name.into(),
        description: "fixtures".into(),
        table: None,
        source: SeedSource::Files(vec![PathBuf::from("data/none.jsonl")]),
        seed: 0,
    }
}

/// Parts whose project has these sets (one named `demo`, so that the
/// built-in demo set is not added unless asked).
fn parts_with(sets: Vec<SeedSet>) -> Parts {
    let mut parts = Parts::new();
    parts.project.seed_sets = sets;
    parts
}

fn target(table: &str, tables: &[&str]) -> SeedTarget {
    SeedTarget {
        table: Some(table.into()),
        tables: Some(tables.iter().map(|s| s.to_string()).collect()),
    }
}

fn opened(parts: &mut Parts, target: SeedTarget) -> SeedState {
    let mut st = SeedState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, target);
    assert!(cx.fx.is_empty(), "opening asks for nothing: {:?}", cx.fx);
    st
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::from(c)
}

fn typed(st: &mut SeedState, parts: &mut Parts, text: &str) {
    let mut cx = parts.cx();
    for c in text.chars() {
        st.on_confirm_key(&mut cx, &key(KeyCode::Char(c)));
    }
    assert!(cx.fx.is_empty());
}

/// The run asked for (a confirmation's estimate asked for meanwhile aside).
fn run_id(fx: &[SeedEffect]) -> ReqId {
    let runs: Vec<&SeedEffect> = fx
        .iter()
        .filter(|e| !matches!(e, SeedEffect::Estimate { .. }))
        .collect();
    match runs.as_slice() {
        [SeedEffect::Seed { id, .. } | SeedEffect::Reset { id, .. }] => *id,
        other => panic!("expected a run, got {other:?}"),
    }
}

#[test]
fn the_sizes_are_computed_when_the_view_opens_and_stored() {
    let mut parts = parts_with(vec![generated("demo", 7), files("fixtures")]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let names: Vec<&str> = st.sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["demo", "fixtures"]);
    assert_eq!(st.sizes, vec![Some(7), None]);
    // The project changed: opening again reads the sets and sizes again.
    parts.project.seed_sets = vec![generated("demo", 3), generated("more", 5)];
    let mut cx = parts.cx();
    st.open(&mut cx, target("shop", &["shop"]));
    assert_eq!(st.sizes, vec![Some(3), Some(5)]);
}

#[test]
fn the_built_in_demo_is_counted_once_when_the_view_opens() {
    let mut parts = parts_with(Vec::new());
    let st = opened(&mut parts, target("shop", &["shop"]));
    let n = crate::dynamo::demo::generate(42, crate::dynamo::demo::DemoSize::default()).len();
    assert_eq!(st.sets.len(), 1);
    assert_eq!(st.sizes, vec![Some(n as u64)]);
}

#[test]
fn enter_on_a_set_asks_for_confirmation_then_y_asks_for_a_seed_run() {
    let mut parts = parts_with(vec![generated("demo", 4), generated("more", 9)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Down);
    st.on_action(&mut cx, Action::Open);
    assert!(
        matches!(cx.fx.as_slice(), [SeedEffect::Estimate { .. }]),
        "nothing runs before the answer, only its estimate: {:?}",
        cx.fx
    );
    let c = st
        .confirm
        .as_ref()
        .unwrap_or_else(|| panic!("confirmation"));
    assert_eq!((c.set.as_str(), c.table.as_str()), ("more", "shop"));
    assert!(!c.reset && !c.creates && c.protected().is_none());
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    match cx.fx.as_slice() {
        [
            SeedEffect::Seed {
                set, table, create, ..
            },
        ] => {
            assert_eq!(
                (set.name.as_str(), table.as_str(), *create),
                ("more", "shop", false)
            );
        }
        other => panic!("expected a seed run, got {other:?}"),
    }
    assert!(st.confirm.is_none());
    let run = st.run.as_ref().unwrap_or_else(|| panic!("a run shows"));
    assert_eq!((run.total, run.reset), (9, false));
    assert!(st.busy());
}

#[test]
fn n_and_esc_close_the_confirmation_and_nothing_runs() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    for k in [KeyCode::Char('n'), KeyCode::Esc] {
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Open);
        assert!(st.confirm.is_some());
        st.on_confirm_key(&mut cx, &key(k));
        assert!(st.confirm.is_none(), "{k:?} closes");
        // Only the confirmation's estimate was asked for, and it is aborted.
        assert!(matches!(cx.fx.as_slice(), [SeedEffect::Estimate { .. }]));
        assert!(matches!(cx.core.as_slice(), [Core::Abort(_)]));
        assert!(st.run.is_none());
    }
}

#[test]
fn y_on_a_protected_tables_confirmation_is_typed_and_only_the_name_confirms() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop-prod", &["shop-prod"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    let why = st
        .confirm
        .as_ref()
        .and_then(|c| c.protected().map(str::to_string))
        .unwrap_or_else(|| panic!("protected"));
    assert!(why.contains("`*prod*`"), "{why}");
    typed(&mut st, &mut parts, "y");
    assert_eq!(st.confirm.as_ref().map(|c| c.ask.typed.as_str()), Some("y"));
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    assert!(cx.fx.is_empty(), "a wrong name starts nothing");
    assert!(st.confirm.is_some(), "still asking");
    assert_eq!(
        cx.flash.clone(),
        Some((
            Level::Error,
            format!("{why}: type the table name to confirm")
        ))
    );
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Backspace));
    typed(&mut st, &mut parts, "shop-prod");
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    assert!(matches!(cx.fx.as_slice(), [SeedEffect::Seed { table, .. }] if table == "shop-prod"));
}

#[test]
fn reset_counts_first_and_enter_waits_for_the_count() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Reset);
    let id = match cx.fx.as_slice() {
        [
            SeedEffect::Count {
                id,
                set,
                table,
                marker,
            },
        ] => {
            assert_eq!((set.as_str(), table.as_str()), ("demo", "shop"));
            assert_eq!(marker, crate::dynamo::seeding::DEFAULT_MARKER);
            *id
        }
        other => panic!("expected a count, got {other:?}"),
    };
    assert!(st.busy(), "counting");
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    assert!(cx.fx.is_empty(), "enter waits for the count");
    assert!(st.confirm.is_some());
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, SeedMsg::ResetCount(id, Ok(12))));
    assert!(!st.busy());
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    match cx.fx.as_slice() {
        [SeedEffect::Reset { set, table, .. }] => {
            assert_eq!((set.as_str(), table.as_str()), ("demo", "shop"));
        }
        other => panic!("expected a reset, got {other:?}"),
    }
    assert_eq!(
        st.run.as_ref().map(|r| (r.total, r.reset)),
        Some((12, true))
    );
}

#[test]
fn esc_aborts_the_count_and_a_stale_count_changes_nothing() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Reset);
    let Some(SeedEffect::Count { id: first, .. }) = cx.fx.pop() else {
        panic!("count");
    };
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Esc));
    assert!(st.confirm.is_none());
    assert!(
        matches!(cx.core.as_slice(), [Core::Abort(id)] if *id == first),
        "{:?}",
        cx.core
    );
    assert!(!st.busy());
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Reset);
    let Some(SeedEffect::Count { id: second, .. }) = cx.fx.pop() else {
        panic!("count");
    };
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, SeedMsg::ResetCount(first, Ok(99))));
    assert!(
        st.confirm
            .as_ref()
            .is_some_and(|c| c.count.ready().is_none())
    );
    assert!(st.update(
        &mut cx,
        SeedMsg::ResetCount(second, Err("AccessDenied".into()))
    ));
    assert!(st.confirm.is_none(), "a failed count closes the dialog");
    assert_eq!(st.last, Some((Level::Error, vec!["AccessDenied".into()])));
}

#[test]
fn a_missing_table_is_created_from_a_design_or_refused_without_one() {
    // No design in the project: a generated set cannot create the table.
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("fresh", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(st.confirm.is_none());
    assert!(
        matches!(&cx.flash, Some((Level::Error, t)) if t.contains("no design")),
        "{:?}",
        cx.flash
    );
    st.on_action(&mut cx, Action::Reset);
    assert!(
        matches!(&cx.flash, Some((Level::Warn, t)) if t == "table `fresh` does not exist"),
        "{:?}",
        cx.flash
    );
    assert!(cx.fx.is_empty());
    // The built-in demo has its design: the table will be created.
    let mut parts = parts_with(Vec::new());
    let mut st = opened(&mut parts, target("fresh", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(st.confirm.as_ref().is_some_and(|c| c.creates));
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    // Estimated from the design, then run.
    assert!(matches!(
        cx.fx.as_slice(),
        [
            SeedEffect::Estimate {
                create: true,
                design: Some(_),
                ..
            },
            SeedEffect::Seed {
                create: true,
                design: Some(_),
                ..
            }
        ]
    ));
}

#[test]
fn a_table_described_as_not_found_is_missing_even_when_listed() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    parts.described.insert(
        "shop".into(),
        Loadable::Failed(AwsError::new("ResourceNotFoundException", "gone")),
    );
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Reset);
    assert!(st.confirm.is_none());
    assert!(cx.fx.is_empty());
}

#[test]
fn without_a_table_or_in_a_read_only_session_nothing_is_asked() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, SeedTarget::default());
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(st.confirm.is_none());
    assert_eq!(
        cx.flash.clone(),
        Some((Level::Warn, "open or select a table first".into()))
    );
    parts.read_only = true;
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(st.confirm.is_none());
    assert!(matches!(&cx.flash, Some((Level::Error, t)) if t.starts_with("read-only session")));
}

#[test]
fn a_finished_run_that_created_the_table_reloads_the_tables_and_knows_it() {
    let mut parts = parts_with(Vec::new());
    let mut st = opened(&mut parts, target("fresh", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    let id = run_id(&cx.fx);
    let outcome = SeedOutcome {
        run_id: "r1".into(),
        resumed_from_batch: 0,
        skipped_invalid: 0,
        report: WriteReport {
            written: 10,
            retries: 0,
            throttles: 0,
            elapsed_ms: 5,
            stopped: false,
            batches_done: 1,
            rate_found_wcu: None,
            throttled_at_wcu: None,
        },
        checkpoint_warning: None,
    };
    // Another run's answer changes nothing.
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, SeedMsg::Done(id + 1000, Ok(outcome.clone()))));
    assert!(st.run.is_some());
    assert!(cx.core.is_empty());
    assert!(st.update(&mut cx, SeedMsg::Done(id, Ok(outcome))));
    assert!(st.run.is_none());
    assert!(!st.busy());
    assert!(
        matches!(
            cx.core.as_slice(),
            [Core::ForgetDescriptions, Core::ReloadTables]
        ),
        "{:?}",
        cx.core
    );
    let (level, lines) = st.last.clone().unwrap_or_else(|| panic!("an outcome"));
    assert_eq!(level, Level::Info);
    assert!(
        lines[0].starts_with("wrote 10 items of `demo` to fresh"),
        "{lines:?}"
    );
    // Seeding again does not create the table a second time.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    assert!(st.confirm.as_ref().is_some_and(|c| !c.creates));
}

#[test]
fn invalid_items_are_shown_and_the_failed_run_keeps_them() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    let id = run_id(&cx.fx);
    let mut cx = parts.cx();
    assert!(st.update(
        &mut cx,
        SeedMsg::Invalid {
            id,
            good: 3,
            errors: vec!["line 4: no PK".into()],
        }
    ));
    assert!(st.update(
        &mut cx,
        SeedMsg::Done(id, Err("invalid items: nothing written".into()))
    ));
    let (level, lines) = st.last.clone().unwrap_or_else(|| panic!("an outcome"));
    assert_eq!(level, Level::Error);
    assert!(
        lines[0].starts_with("1 invalid items (3 valid)"),
        "{lines:?}"
    );
    assert_eq!(lines[1], "line 4: no PK");
    assert!(cx.core.is_empty(), "nothing to reload");
}

#[test]
fn the_first_stop_sets_the_flag_and_keys_do_not_leave_a_run() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    assert!(!st.stop_run(), "nothing to stop");
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    let stop = match cx.fx.as_slice() {
        [SeedEffect::Estimate { .. }, SeedEffect::Seed { stop, .. }] => stop.clone(),
        other => panic!("{other:?}"),
    };
    assert!(st.stop_run(), "the first ctrl-c stops the run");
    assert!(stop.load(Ordering::Relaxed), "the run sees the flag");
    assert!(!st.stop_run(), "the next one quits");
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(cx.core.is_empty(), "esc does not leave a run");
    assert!(matches!(&cx.flash, Some((Level::Warn, t)) if t.starts_with("stopping")));
}

#[test]
fn esc_leaves_for_the_screen_it_came_from_and_page_keys_use_the_viewport() {
    let sets: Vec<SeedSet> = std::iter::once(generated("demo", 1))
        .chain((0..30).map(|i| generated(&format!("set{i:02}"), i)))
        .collect();
    let mut parts = parts_with(sets);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    st.back_to = Some(Screen::Items);
    parts.viewport.rows = 8;
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::PageDown);
    assert_eq!((st.nav.selected, st.nav.offset), (8, 1));
    st.on_action(&mut cx, Action::Bottom);
    assert_eq!(st.selected_set().map(|s| s.name.as_str()), Some("set29"));
    st.on_action(&mut cx, Action::Back);
    assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Items)]));
}

/// A write estimate of `items` items of `units` write units on `table`.
fn write_estimate(table: &str, items: u64, units: f64) -> Estimate {
    let info = crate::app::tui::cx::testing::keyed_table(table);
    let w = crate::dynamo::estimate::WriteTally {
        items,
        units,
        ..Default::default()
    };
    Estimate::new(
        format!("seed into {table}"),
        &info,
        Some("us-east-1"),
        &Prices::embedded(),
        None,
        Some(w),
    )
}

fn estimate_id(fx: &[SeedEffect]) -> ReqId {
    match fx {
        [SeedEffect::Estimate { id, set, table, .. }] => {
            assert_eq!((set.name.as_str(), table.as_str()), ("demo", "shop"));
            *id
        }
        other => panic!("expected an estimate, got {other:?}"),
    }
}

#[test]
fn the_confirmation_estimates_the_run_and_shows_it_when_it_arrives() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    let id = estimate_id(&cx.fx);
    let c = st
        .confirm
        .as_ref()
        .unwrap_or_else(|| panic!("confirmation"));
    assert_eq!(c.estimate.text(), Some(("estimating…".to_string(), false)));
    let e = write_estimate("shop", 4, 4.0);
    let mut cx = parts.cx();
    // An answer to another attempt changes nothing.
    assert!(!st.update(
        &mut cx,
        SeedMsg::Estimated(id + 1_000_000, Ok(Box::new(e.clone())))
    ));
    assert!(st.update(&mut cx, SeedMsg::Estimated(id, Ok(Box::new(e.clone())))));
    let c = st
        .confirm
        .as_ref()
        .unwrap_or_else(|| panic!("confirmation"));
    assert_eq!(c.estimate.estimate(), Some(&e));
    assert!(!c.estimate.above());
    assert_eq!(c.estimate.text(), Some((e.line(), false)));
    // y runs with the estimate, reported beside what the run consumed.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    let run_id = run_id(&cx.fx);
    assert_eq!(st.run.as_ref().and_then(|r| r.estimate.as_ref()), Some(&e));
    let outcome = SeedOutcome {
        run_id: "r1".into(),
        resumed_from_batch: 0,
        skipped_invalid: 0,
        report: WriteReport {
            written: 4,
            retries: 0,
            throttles: 0,
            elapsed_ms: 5,
            stopped: false,
            batches_done: 1,
            rate_found_wcu: None,
            throttled_at_wcu: None,
        },
        checkpoint_warning: None,
    };
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, SeedMsg::Done(run_id, Ok(outcome))));
    let (_, lines) = st.last.as_ref().unwrap_or_else(|| panic!("an outcome"));
    assert_eq!(
        lines.get(1).map(String::as_str),
        Some(
            crate::dynamo::estimate::Consumed::default()
                .beside(Some(&e))
                .as_str()
        ),
        "{lines:?}"
    );
}

#[test]
fn an_estimate_above_the_threshold_is_marked_and_a_failed_one_does_not_block() {
    let mut parts = parts_with(vec![generated("demo", 4)]);
    parts.settings.estimates.confirm_above_units = 100.0;
    let mut st = opened(&mut parts, target("shop", &["shop"]));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Open);
    let id = estimate_id(&cx.fx);
    let e = write_estimate("shop", 400, 400.0);
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, SeedMsg::Estimated(id, Ok(Box::new(e.clone())))));
    let c = st
        .confirm
        .as_ref()
        .unwrap_or_else(|| panic!("confirmation"));
    assert!(c.estimate.above());
    let (text, warn) = c.estimate.text().unwrap_or_default();
    assert!(warn && text.starts_with(&e.line()), "{text}");
    assert!(text.contains("above your confirm_above_units"), "{text}");

    // Asked again, the estimate fails: the error shows, y still runs.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Esc));
    st.on_action(&mut cx, Action::Open);
    let id = match cx.fx.as_slice() {
        [SeedEffect::Estimate { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    assert!(st.update(&mut cx, SeedMsg::Estimated(id, Err("throttled".into()))));
    let c = st
        .confirm
        .as_ref()
        .unwrap_or_else(|| panic!("confirmation"));
    assert_eq!(
        c.estimate.text(),
        Some(("no estimate: throttled".to_string(), true))
    );
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    run_id(&cx.fx);
}
