use std::sync::Mutex;

use crossterm::event::{KeyCode, KeyModifiers};

use super::*;
use crate::app::tui::cx::testing::Parts;
use crate::app::tui::cx::testing::keyed_table;
use crate::app::tui::screens::migrate::effects::{gathering_sink, load_files, take_batch};

fn info() -> TableInfo {
    keyed_table("t")
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// The action a key has on this screen (the default keymap).
fn action(parts: &Parts, c: KeyCode) -> Action {
    parts
        .settings
        .keymap
        .action(Mode::Migrate, &key(c))
        .unwrap_or_else(|| panic!("{c:?} has no action on the migrations screen"))
}

const APPLIED: &str = "[select]\ntype = \"Order\"\n[[op]]\nset = { attribute = \"a\", template = \"x\" }\n[down]\n[[down.op]]\nremove = { attribute = \"a\" }\n";
const PENDING: &str = "[select]\n[[op]]\nremove = { attribute = \"old\" }\n";

/// Two migrations on table `t`: 001 applied (with a [down] part), 002
/// pending.
fn listing() -> Listing {
    let ms: Vec<Migration> = [("001_applied", APPLIED), ("002_pending", PENDING)]
        .iter()
        .enumerate()
        .map(|(i, (id, text))| {
            migrate::parse(
                &format!("migrations/{id}.toml"),
                id,
                i as u64 + 1,
                text.as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{id}: {e}"))
        })
        .collect();
    let applied = LedgerEntry {
        id: ms[0].id.clone(),
        checksum: ms[0].checksum.clone(),
        status: "applied".into(),
        started_at: "2025-03-14T09:26:53Z".into(),
        ended_at: Some("2025-03-14T09:31:07Z".into()),
        counts: Counts::default(),
        run_by: "ada".into(),
        error: None,
    };
    let statuses = vec![
        (migrate::file_status(&ms[0], Some(&applied)), Some(applied)),
        (migrate::file_status(&ms[1], None), None),
    ];
    Listing {
        info: info(),
        dir: "migrations".into(),
        files: Files::Ready(ms),
        statuses: Ok(statuses),
        jobs: Default::default(),
    }
}

/// The id of the listing request asked for.
fn load_id(fx: &[MigrateEffect]) -> ReqId {
    match fx {
        [MigrateEffect::Load { id, table, .. }] => {
            assert_eq!(table, "t");
            *id
        }
        other => panic!("expected the listing to be asked for, got {other:?}"),
    }
}

/// The view opened on `t` from the tables list, its listing arrived.
fn opened(parts: &mut Parts) -> MigrateState {
    let mut st = MigrateState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, Some("t".into()));
    let id = load_id(&cx.fx);
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, MigrateMsg::Loaded(id, Box::new(Ok(listing())))));
    st
}

/// The run effect asked for, if any (a confirmation's estimate asked for
/// meanwhile aside).
fn run_of(fx: &[MigrateEffect]) -> Option<&RunRequest> {
    let runs: Vec<&MigrateEffect> = fx
        .iter()
        .filter(|e| !matches!(e, MigrateEffect::Estimate { .. }))
        .collect();
    match runs.as_slice() {
        [MigrateEffect::Run(r)] => Some(r),
        _ => None,
    }
}

#[test]
fn opening_asks_for_the_listing_and_brings_the_screen_to_the_front() {
    let mut parts = Parts::new();
    let mut st = MigrateState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Items, Some("t".into()));
    load_id(&cx.fx);
    assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Migrate)]));
    assert_eq!(st.back_to, Some(Screen::Items));
    assert!(st.loading() && st.busy());
    assert!(matches!(st.listing.state, Loadable::Loading));
    // Without a table, nothing opens and the user is told why.
    let mut st = MigrateState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Tables, None);
    assert!(cx.fx.is_empty() && cx.core.is_empty());
    assert!(
        parts
            .flash
            .as_ref()
            .is_some_and(|(_, m)| m.contains("select a table"))
    );
}

#[test]
fn r_reloads_keeping_the_shown_listing_and_aborts_the_reload_in_flight() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    let refresh = parts.settings.keymap.action(Mode::Migrate, &ctrl_r);
    assert_eq!(refresh, Some(Action::Refresh));
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let first = load_id(&cx.fx);
    assert!(st.loading());
    assert_eq!(st.migrations().len(), 2, "the shown listing stays");
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let second = load_id(&cx.fx);
    assert_ne!(first, second);
    assert!(
        cx.core
            .iter()
            .any(|c| matches!(c, Core::Abort(id) if *id == first)),
        "{:?}",
        cx.core
    );
}

#[test]
fn a_stale_listing_changes_nothing() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let stale = load_id(&cx.fx);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Refresh);
    let current = load_id(&cx.fx);
    let mut cx = parts.cx();
    assert!(!st.update(
        &mut cx,
        MigrateMsg::Loaded(stale, Box::new(Err("old".into())))
    ));
    assert_eq!(st.migrations().len(), 2);
    assert!(st.loading());
    let mut cx = parts.cx();
    assert!(st.update(
        &mut cx,
        MigrateMsg::Loaded(current, Box::new(Err("gone".into())))
    ));
    assert_eq!(st.listing.failed().map(String::as_str), Some("gone"));
    assert!(!st.busy());
}

#[test]
fn enter_on_a_pending_migration_asks_and_y_asks_for_a_run_up() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    let down = action(&parts, KeyCode::Char('j'));
    let enter = action(&parts, KeyCode::Enter);
    let mut cx = parts.cx();
    st.on_action(&mut cx, down);
    assert_eq!(st.cursor.selected, 1);
    st.on_action(&mut cx, enter);
    assert!(
        matches!(cx.fx.as_slice(), [MigrateEffect::Estimate { .. }]),
        "nothing runs before the answer, only its estimate: {:?}",
        cx.fx
    );
    let c = st.confirm.as_ref().expect("a confirmation");
    assert_eq!(
        (c.id.as_str(), c.direction, c.table.as_str()),
        ("002_pending", Direction::Up, "t")
    );
    assert!(c.protected().is_none() && !c.force);
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    assert!(st.confirm.is_none());
    let r = run_of(&cx.fx).expect("a run asked for");
    assert_eq!(
        (r.migration.id.as_str(), r.direction, r.dry_run, r.force),
        ("002_pending", Direction::Up, false, false)
    );
    assert_eq!(r.info.name, "t");
    let run = st.run.as_ref().expect("the run is shown");
    assert_eq!(run.run, r.id, "its messages carry the effect's id");
    assert!(Arc::ptr_eq(&run.stop, &r.stop), "one stop flag");
    assert_eq!(
        st.log.front().map(String::as_str),
        Some("running 002_pending on `t`")
    );
    assert!(st.busy());
}

#[test]
fn u_on_an_applied_migration_asks_for_a_revert_and_d_dry_runs_at_once() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Revert);
    let c = st.confirm.as_ref().expect("a confirmation");
    assert_eq!(
        (c.id.as_str(), c.direction),
        ("001_applied", Direction::Down)
    );
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    let r = run_of(&cx.fx).expect("a revert asked for");
    assert_eq!((r.direction, r.dry_run), (Direction::Down, false));
    // A run is going on: nothing else starts.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::DryRun);
    assert!(cx.fx.is_empty());
    assert!(
        parts
            .flash
            .as_ref()
            .is_some_and(|(_, m)| m.contains("already running"))
    );
    // Without a run, d starts a dry run with no question.
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::DryRun);
    assert!(st.confirm.is_none());
    let r = run_of(&cx.fx).expect("a dry run asked for");
    assert_eq!((r.direction, r.dry_run), (Direction::Up, true));
    // A pending migration cannot be reverted.
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Bottom);
    st.on_action(&mut cx, Action::Revert);
    assert!(cx.fx.is_empty() && st.confirm.is_none());
}

#[test]
fn a_read_only_session_allows_only_dry_runs() {
    let mut parts = Parts::new();
    parts.read_only = true;
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::RunMigration);
    assert!(st.confirm.is_none() && cx.fx.is_empty());
    assert!(
        parts
            .flash
            .as_ref()
            .is_some_and(|(l, m)| *l == Level::Error && m.contains("read-only"))
    );
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::DryRun);
    assert!(run_of(&cx.fx).is_some_and(|r| r.dry_run));
}

#[test]
fn a_protected_table_is_confirmed_only_by_typing_its_name() {
    let mut parts = Parts::new();
    parts.project.protected_tables = vec!["t".into()];
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::RunMigration);
    let c = st.confirm.as_ref().expect("a confirmation");
    assert!(
        c.protected().is_some_and(|p| p.contains("protected")),
        "{:?}",
        c.protected()
    );
    // `y` is a typed letter here, and enter with a wrong name refuses.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    assert!(cx.fx.is_empty() && st.run.is_none());
    let c = st.confirm.as_ref().expect("still asking");
    assert_eq!(c.answer.typed, "y");
    assert!(
        parts.flash.as_ref().is_some_and(
            |(l, m)| *l == Level::Error && m.ends_with("type the table name to confirm")
        ),
        "{:?}",
        parts.flash
    );
    // The name typed confirms.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Backspace));
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('t')));
    st.on_confirm_key(&mut cx, &key(KeyCode::Enter));
    assert!(st.confirm.is_none());
    assert!(run_of(&cx.fx).is_some_and(|r| !r.dry_run && r.direction == Direction::Up));
}

#[test]
fn esc_and_n_close_the_confirmation_without_a_run() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    for k in [KeyCode::Esc, KeyCode::Char('n')] {
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::RunMigration);
        assert!(st.confirm.is_some());
        st.on_confirm_key(&mut cx, &key(k));
        assert!(st.confirm.is_none(), "{k:?} closes it");
        assert!(run_of(&cx.fx).is_none() && st.run.is_none());
        // Its estimate is aborted; the screen stays.
        assert!(
            matches!(cx.core.as_slice(), [Core::Abort(_)]),
            "{k:?} stays on the screen: {:?}",
            cx.core
        );
    }
}

#[test]
fn leaving_the_screen_while_loading_aborts_the_load() {
    let mut parts = Parts::new();
    let mut st = MigrateState::default();
    let mut cx = parts.cx();
    st.open(&mut cx, Screen::Items, Some("t".into()));
    let id = load_id(&cx.fx);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(matches!(
        cx.core.as_slice(),
        [Core::Abort(a), Core::Go(Screen::Items)] if *a == id
    ));
    assert!(!st.busy());
    // Its answer, should it come, changes nothing.
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, MigrateMsg::Loaded(id, Box::new(Ok(listing())))));
    assert!(st.ready().is_none());
}

#[test]
fn ctrl_c_during_a_run_sets_the_stop_flag_once_and_back_stays() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    assert!(!st.stop_run(), "nothing to stop");
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::DryRun);
    let stop = run_of(&cx.fx).expect("a run").stop.clone();
    assert!(st.stop_run());
    assert!(stop.load(Ordering::Relaxed), "the run's task sees the flag");
    assert!(st.run.as_ref().is_some_and(MigrateRun::stopping));
    assert!(!st.stop_run(), "already stopping: a second ctrl-c quits");
    // esc does not leave a run.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::Back);
    assert!(cx.core.is_empty());
}

#[test]
fn messages_of_another_run_are_ignored_and_the_end_of_a_real_run_reloads() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::RunMigration);
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    let id = run_of(&cx.fx).expect("a run").id;
    let progress = Batch {
        progress: Some(Counts {
            selected: 5,
            ..Counts::default()
        }),
        ..Batch::default()
    };
    let mut cx = parts.cx();
    assert!(!st.update(&mut cx, MigrateMsg::Events(id + 1000, progress.clone())));
    assert!(!st.update(
        &mut cx,
        MigrateMsg::Finished(id + 1000, Err("other".into()))
    ));
    assert!(st.run.as_ref().is_some_and(|r| r.counts.selected == 0));
    assert!(st.update(&mut cx, MigrateMsg::Events(id, progress)));
    assert!(st.run.as_ref().is_some_and(|r| r.counts.selected == 5));
    assert!(cx.fx.is_empty());
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, MigrateMsg::Finished(id, Err("boom".into()))));
    assert!(st.run.is_none());
    assert!(st.outcome.as_ref().is_some_and(|o| o.result.is_err()));
    assert_eq!(
        st.log.back().map(String::as_str),
        Some("001_applied failed: boom")
    );
    load_id(&cx.fx);
    assert_eq!(st.migrations().len(), 2, "shown while the ledger is read");
}

#[test]
fn page_keys_scroll_the_focused_pane_by_the_lines_it_shows() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    parts.viewport.rows = 7;
    for i in 0..30 {
        st.push_log(format!("line {i}"));
    }
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::PageUp);
    assert_eq!(st.log_scroll, 7);
    assert_eq!(st.cursor.selected, 0, "the list does not move");
    st.on_action(&mut cx, Action::TogglePane);
    assert_eq!(st.focus, Pane::Diffs);
    st.on_action(&mut cx, Action::PageDown);
    assert_eq!((st.diff_scroll, st.log_scroll), (0, 7), "no diffs");
    st.on_action(&mut cx, Action::Bottom);
    assert_eq!(st.cursor.selected, 1);
}

#[test]
fn batches_keep_the_latest_progress_and_the_last_log_lines() {
    let mut b = Batch::default();
    assert!(b.is_empty());
    for i in 0..(LOG_KEEP as u64 + 5) {
        b.push(RunEvent::Log(format!("line {i}")));
        b.push(RunEvent::Progress(Counts {
            selected: i,
            ..Counts::default()
        }));
    }
    assert_eq!(b.log.len(), LOG_KEEP);
    assert_eq!(b.skipped, 5);
    assert_eq!(b.log.front().map(String::as_str), Some("line 5"));
    assert_eq!(b.progress.map(|c| c.selected), Some(LOG_KEEP as u64 + 4));
    let shared = Arc::new(Mutex::new(Batch::default()));
    let sink = gathering_sink(shared.clone());
    sink(RunEvent::Diff(ItemDiff {
        key: "PK=a".into(),
        changes: vec![],
    }));
    let taken = take_batch(&shared).expect("one diff gathered");
    assert_eq!(taken.diffs.len(), 1);
    assert!(take_batch(&shared).is_none(), "taken once");
}

#[test]
fn log_lines_are_printable() {
    assert_eq!(printable("\x1b[1;32mok\x1b[0m\tdone\r\x07"), "ok    done");
    assert_eq!(printable("plain · ünïcode"), "plain · ünïcode");
}

#[test]
fn files_no_folder_errors_and_ready() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("migrations");
    assert_eq!(load_files(&dir, &info()), Files::NoFolder);
    std::fs::create_dir(&dir).unwrap();
    assert_eq!(load_files(&dir, &info()), Files::Ready(vec![]));
    std::fs::write(
        dir.join("001_a.toml"),
        "[select]\n[[op]]\nset = { attribute = \"x\", template = \"{y\" }\n",
    )
    .unwrap();
    std::fs::write(dir.join("002_b.toml"), "[select]\nnope = 1\n").unwrap();
    let Files::Errors(e) = load_files(&dir, &info()) else {
        panic!("errors expected")
    };
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].contains("001_a.toml:3:"), "{e:?}");
    assert!(e[1].contains("002_b.toml:2:"), "{e:?}");
    // A file that cannot run on this table (an op writing a key).
    std::fs::write(
        dir.join("001_a.toml"),
        "[select]\n[[op]]\nremove = { attribute = \"SK\" }\n",
    )
    .unwrap();
    std::fs::remove_file(dir.join("002_b.toml")).unwrap();
    let Files::Errors(e) = load_files(&dir, &info()) else {
        panic!("errors expected")
    };
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("001_a.toml:2:1: ") && e[0].contains("key attribute `SK`"),
        "{e:?}"
    );
    std::fs::write(
        dir.join("001_a.toml"),
        "[select]\n[[op]]\nremove = { attribute = \"old\" }\n",
    )
    .unwrap();
    let Files::Ready(ms) = load_files(&dir, &info()) else {
        panic!("ready expected")
    };
    assert_eq!(ms.len(), 1);
}

/// A write estimate of `units` write units on `t`.
fn write_estimate(units: f64) -> Estimate {
    let w = WriteTally {
        items: units as u64,
        units,
        ..WriteTally::default()
    };
    Estimate::new(
        "migration on t",
        &info(),
        Some("us-east-1"),
        &Prices::embedded(),
        None,
        Some(w),
    )
}

/// The estimate asked for by a confirmation: its id and the dry run's
/// writes it is to use.
fn estimate_of(fx: &[MigrateEffect]) -> (ReqId, Option<WriteTally>) {
    match fx {
        [
            MigrateEffect::Estimate {
                id,
                migration,
                direction,
                dry_writes,
                ..
            },
        ] => {
            assert_eq!(
                (migration.id.as_str(), *direction),
                ("001_applied", Direction::Up)
            );
            (*id, dry_writes.clone())
        }
        other => panic!("expected an estimate, got {other:?}"),
    }
}

#[test]
fn the_run_confirmation_shows_its_estimate_marked_above_the_threshold() {
    let mut parts = Parts::new();
    parts.settings.estimates.confirm_above_units = 50.0;
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::RunMigration);
    // No dry run before: the run is estimated from a sample.
    let (id, dry) = estimate_of(&cx.fx);
    assert_eq!(dry, None);
    let c = st.confirm.as_ref().expect("a confirmation");
    assert_eq!(c.estimate.text(), Some(("estimating…".to_string(), false)));
    let mut cx = parts.cx();
    let small = write_estimate(10.0);
    assert!(!st.update(
        &mut cx,
        MigrateMsg::Estimated(id + 1000, Ok(Box::new(small.clone())))
    ));
    assert!(st.update(
        &mut cx,
        MigrateMsg::Estimated(id, Ok(Box::new(small.clone())))
    ));
    let c = st.confirm.as_ref().expect("a confirmation");
    assert_eq!(c.estimate.text(), Some((small.line(), false)));
    assert!(!c.estimate.above());
    // Asked again, a larger run is marked.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Esc));
    st.on_action(&mut cx, Action::RunMigration);
    let id = match cx.fx.as_slice() {
        [MigrateEffect::Estimate { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    let big = write_estimate(400.0);
    assert!(st.update(
        &mut cx,
        MigrateMsg::Estimated(id, Ok(Box::new(big.clone())))
    ));
    let c = st.confirm.as_ref().expect("a confirmation");
    assert!(c.estimate.above());
    let (text, warn) = c.estimate.text().unwrap_or_default();
    assert!(warn && text.starts_with(&big.line()), "{text}");
    assert!(text.contains("above your confirm_above_units"), "{text}");
    // The run ends with what it consumed beside the estimate.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Char('y')));
    let run = run_of(&cx.fx).expect("a run").id;
    let mut cx = parts.cx();
    let report = RunReport {
        id: "001_applied".into(),
        direction: Direction::Up,
        counts: Counts::default(),
        diffs: Vec::new(),
        stopped: false,
        resumed: false,
        dry_run: false,
        note: None,
        writes: WriteTally::default(),
    };
    assert!(st.update(&mut cx, MigrateMsg::Finished(run, Ok(report))));
    assert_eq!(
        st.log.back().cloned(),
        Some(crate::dynamo::estimate::Consumed::default().beside(Some(&big)))
    );
}

#[test]
fn a_dry_run_reports_what_a_run_would_write_and_the_run_is_estimated_from_it() {
    let mut parts = Parts::new();
    let mut st = opened(&mut parts);
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::DryRun);
    let id = run_of(&cx.fx).expect("a dry run").id;
    let writes = WriteTally {
        items: 1500,
        units: 1500.0,
        indexes: [("GSI1".to_string(), 120.0)].into(),
        ..WriteTally::default()
    };
    let report = RunReport {
        id: "001_applied".into(),
        direction: Direction::Up,
        counts: Counts::default(),
        diffs: Vec::new(),
        stopped: false,
        resumed: false,
        dry_run: true,
        note: None,
        writes: writes.clone(),
    };
    let mut cx = parts.cx();
    assert!(st.update(&mut cx, MigrateMsg::Finished(id, Ok(report))));
    assert!(
        st.log
            .iter()
            .any(|l| l
                == "a run would write 1,500 items: 1,620 write units (table 1,500 + GSI1 120)"),
        "{:?}",
        st.log
    );
    // The run's confirmation uses the dry run's exact writes.
    let mut cx = parts.cx();
    st.on_action(&mut cx, Action::RunMigration);
    let (_, dry) = estimate_of(&cx.fx);
    assert_eq!(dry, Some(writes));
    // A dry run of another migration does not count for this one.
    let mut cx = parts.cx();
    st.on_confirm_key(&mut cx, &key(KeyCode::Esc));
    st.on_action(&mut cx, Action::Bottom);
    st.on_action(&mut cx, Action::RunMigration);
    match cx.fx.as_slice() {
        [
            MigrateEffect::Estimate {
                migration,
                dry_writes,
                ..
            },
        ] => {
            assert_eq!(migration.id, "002_pending");
            assert_eq!(*dry_writes, None);
        }
        other => panic!("{other:?}"),
    }
}
