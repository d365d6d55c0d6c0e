//! The live changes screen: a table's DynamoDB Stream as it happens, each
//! change decoded by entity like the items view (type, key fields), with
//! the diff of its old and new images, filters set while it runs, pause
//! and resume without losing records (a bounded buffer that counts what
//! it had to drop), and the hot write keys over a sliding window beside
//! DynamoDB's per-partition limit. A table without a stream gets an offer
//! to enable one (asks first; refused on protected tables and read-only).
//!
//! Records come from one effect ([`LiveEffect::Follow`]) that runs the
//! stream reader until the screen is left.

use std::collections::VecDeque;

use crossterm::event::KeyEvent;

use crate::app::live::{ChangeFilter, Decoded, HOT_WINDOW, Tracker};
use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::input::Input;
use crate::app::tui::keymap::{Action, Mode};
use crate::app::tui::request::{ReqId, next_id};
use crate::app::tui::task::Tracked;
use crate::app::tui::widgets::{Answer, Confirm, ListCursor};
use crate::dynamo::client::TableInfo;
use crate::dynamo::error::AwsError;
use crate::dynamo::request::{ItemsRequest, RequestKind};
use crate::dynamo::stream::{EventName, StartAt, StreamEvent, ViewType};
use crate::metrics::alerts::Alert;
use crate::metrics::hotwrites::KeyRate;

pub mod effects;
#[cfg(test)]
mod tests;

/// Changes kept on show (older ones scroll out of the list).
pub const SHOWN: usize = 2_000;
/// Changes held while paused; past this, new ones are counted as dropped.
pub const HELD: usize = 10_000;
/// Notices kept (the latest first).
const NOTICES: usize = 5;

#[derive(Debug)]
pub enum LiveMsg {
    /// What the stream reader reported (for the follow request `ReqId`).
    Stream(ReqId, StreamEvent),
    /// The stream was enabled on `table` (or not).
    Enabled(String, Result<(), AwsError>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum LiveEffect {
    /// Follow the stream `arn` of `table` from `start` until aborted.
    Follow {
        id: ReqId,
        table: String,
        arn: String,
        start: StartAt,
    },
    /// UpdateTable: enable a stream of `view` records (audited).
    Enable { table: String, view: ViewType },
}

impl Tracked for LiveEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            LiveEffect::Follow { id, .. } => Some(*id),
            LiveEffect::Enable { .. } => None,
        }
    }
}

pub type LiveCx<'a> = Cx<'a, LiveEffect>;

/// Where the screen is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Phase {
    #[default]
    Idle,
    /// Waiting for the table's description.
    Describing,
    /// The table has no stream: the offer to enable one.
    NoStream,
    /// Enabling a stream (UpdateTable, then waiting for it).
    Enabling(ViewType),
    /// Reading shard iterators.
    Starting,
    /// Records flow (or may: the reader is ready).
    Following,
    Failed(AwsError),
}

/// Which list has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Changes,
    HotKeys,
}

/// The offer to enable a stream: the view type chosen and the y/n answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnableOffer {
    /// Index into [`ViewType::ALL`].
    pub view: usize,
    pub confirm: Option<Confirm>,
}

#[derive(Default)]
pub struct LiveState {
    pub table: Option<String>,
    pub info: Option<TableInfo>,
    pub start: StartAt,
    pub phase: Phase,
    /// The follow request in flight.
    pub run: Option<ReqId>,
    /// Changes on show, newest first.
    pub changes: VecDeque<Decoded>,
    /// Paused: changes arriving are held here until resumed.
    pub paused: bool,
    pub held: VecDeque<Decoded>,
    /// Changes that arrived while the held buffer was full.
    pub dropped: u64,
    /// Every change seen since following started.
    pub total: u64,
    pub inserts: u64,
    pub modifies: u64,
    pub removes: u64,
    pub filter: ChangeFilter,
    pub list: ListCursor,
    pub hot_list: ListCursor,
    pub focus: Focus,
    pub tracker: Option<Tracker>,
    /// Hot write keys as of the last change or tick.
    pub hot: Vec<KeyRate>,
    /// Writes by entity type, as of the last change or tick.
    pub by_entity: Vec<crate::metrics::hotwrites::EntityRate>,
    pub alerts: Vec<Alert>,
    /// Latest first.
    pub notices: VecDeque<String>,
    /// Shards being read and finished.
    pub shards: (usize, usize),
    pub offer: EnableOffer,
    back_to: Option<Screen>,
    /// A fixed clock (epoch ms) for tests; None: the system clock.
    pub clock: Option<i64>,
}

impl std::fmt::Debug for LiveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveState")
            .field("table", &self.table)
            .field("phase", &self.phase)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl LiveState {
    fn now(&self) -> i64 {
        self.clock.unwrap_or_else(crate::app::live::now_ms)
    }

    /// The stream's view type (None: no stream, or not described yet).
    pub fn view(&self) -> Option<ViewType> {
        self.info.as_ref().and_then(TableInfo::stream_view)
    }

    /// True while the stream is being set up.
    pub fn busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::Describing | Phase::Starting | Phase::Enabling(_)
        )
    }

    /// The changes that pass the filter, newest first.
    pub fn visible(&self) -> Vec<&Decoded> {
        self.changes
            .iter()
            .filter(|d| self.filter.matches(d))
            .collect()
    }

    /// The change under the cursor.
    pub fn selected(&self) -> Option<&Decoded> {
        self.visible().get(self.list.selected).copied()
    }

    /// Entity types seen so far, sorted (for the type filter).
    pub fn types_seen(&self) -> Vec<String> {
        let mut t: Vec<String> = self
            .changes
            .iter()
            .chain(&self.held)
            .filter_map(|d| d.entity.clone())
            .collect();
        t.sort();
        t.dedup();
        t
    }

    /// The list in front shows `rows` rows: keep its selection in view.
    pub fn follow(&mut self, rows: usize) {
        match self.focus {
            Focus::Changes => self.list.follow(rows),
            Focus::HotKeys => self.hot_list.follow(rows),
        }
    }

    /// Opens the live changes of `table` (coming from `from`).
    pub fn open(&mut self, cx: &mut LiveCx, from: Screen, table: Option<String>) {
        if from != Screen::Live {
            self.back_to = Some(from);
        }
        let Some(table) = table else {
            cx.flash(Level::Warn, "open a table first (or `:tail TABLE`)");
            return;
        };
        cx.core(Core::Go(Screen::Live));
        if self.table.as_deref() == Some(table.as_str()) && self.run.is_some() {
            return;
        }
        self.stop(cx);
        *self = LiveState {
            back_to: self.back_to.take(),
            clock: self.clock,
            start: self.start,
            ..LiveState::default()
        };
        self.table = Some(table.clone());
        match cx.info(&table).cloned() {
            Some(info) => self.described(cx, &table, Some(info), None),
            None => {
                self.phase = Phase::Describing;
                cx.core(Core::Describe(table));
            }
        }
    }

    /// A table's description arrived (or failed).
    pub fn described(
        &mut self,
        cx: &mut LiveCx,
        table: &str,
        info: Option<TableInfo>,
        failed: Option<&AwsError>,
    ) {
        if self.table.as_deref() != Some(table)
            || !matches!(self.phase, Phase::Describing | Phase::Enabling(_)) && self.info.is_some()
        {
            return;
        }
        if let Some(e) = failed {
            self.phase = Phase::Failed(e.clone());
            return;
        }
        let Some(info) = info else {
            return;
        };
        self.tracker = Some(Tracker::new(cx.project, &info, HOT_WINDOW));
        self.info = Some(info);
        self.begin(cx);
    }

    /// Starts following (or offers a stream when there is none).
    fn begin(&mut self, cx: &mut LiveCx) {
        let (Some(table), Some(info)) = (self.table.clone(), self.info.as_ref()) else {
            return;
        };
        let Some(arn) = info.stream_arn.clone() else {
            self.phase = Phase::NoStream;
            return;
        };
        self.stop(cx);
        let id = next_id();
        self.run = Some(id);
        self.phase = Phase::Starting;
        cx.effect(LiveEffect::Follow {
            id,
            table,
            arn,
            start: self.start,
        });
    }

    /// Stops the reader (its task is aborted).
    fn stop(&mut self, cx: &mut LiveCx) {
        if let Some(id) = self.run.take() {
            cx.core(Core::Abort(id));
        }
    }

    /// Leaves the screen: the reader stops.
    fn leave(&mut self, cx: &mut LiveCx) {
        self.stop(cx);
        if matches!(self.phase, Phase::Starting | Phase::Following) {
            self.phase = Phase::Idle;
        }
        cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
    }

    /// Forgets everything (another connection).
    pub fn reset(&mut self, cx: &mut LiveCx) {
        self.stop(cx);
        *self = LiveState {
            clock: self.clock,
            ..LiveState::default()
        };
    }

    pub fn update(&mut self, cx: &mut LiveCx, msg: LiveMsg) -> bool {
        match msg {
            LiveMsg::Stream(id, ev) => {
                if self.run != Some(id) {
                    return false;
                }
                self.on_stream(cx, ev);
            }
            LiveMsg::Enabled(table, r) => {
                if self.table.as_deref() != Some(table.as_str()) {
                    return false;
                }
                match r {
                    Ok(()) => {
                        cx.flash(Level::Info, format!("stream enabled on `{table}`"));
                        self.phase = Phase::Describing;
                        self.info = None;
                        cx.core(Core::ForgetDescription(table.clone()));
                        cx.core(Core::Describe(table));
                    }
                    Err(e) => {
                        cx.flash(Level::Error, format!("enabling the stream: {e}"));
                        self.phase = Phase::NoStream;
                    }
                }
            }
        }
        true
    }

    fn on_stream(&mut self, cx: &mut LiveCx, ev: StreamEvent) {
        match ev {
            StreamEvent::Records(records) => {
                if self.phase == Phase::Starting {
                    self.phase = Phase::Following;
                }
                let now = self.now();
                let Some(tracker) = self.tracker.as_mut() else {
                    return;
                };
                let decoded: Vec<Decoded> = records
                    .into_iter()
                    .map(|r| tracker.observe(r, now))
                    .collect();
                for d in decoded {
                    self.total += 1;
                    match d.record.event {
                        EventName::Insert => self.inserts += 1,
                        EventName::Modify => self.modifies += 1,
                        EventName::Remove => self.removes += 1,
                    }
                    if self.paused {
                        if self.held.len() >= HELD {
                            self.dropped += 1;
                        } else {
                            self.held.push_back(d);
                        }
                    } else {
                        self.show(d);
                    }
                }
                self.refresh_hot(cx, now);
            }
            StreamEvent::Notice(n) => {
                self.notices.push_front(n);
                self.notices.truncate(NOTICES);
            }
            StreamEvent::Shards { reading, finished } => {
                self.shards = (reading, finished);
                if self.phase == Phase::Starting {
                    self.phase = Phase::Following;
                }
            }
            StreamEvent::Failed(e) => {
                self.run = None;
                self.phase = Phase::Failed(e);
            }
        }
    }

    /// Puts a change on show (newest first); the cursor stays on the change
    /// it was on unless it was at the top (then it follows the newest).
    fn show(&mut self, d: Decoded) {
        let passes = self.filter.matches(&d);
        self.changes.push_front(d);
        if self.changes.len() > SHOWN {
            self.changes.pop_back();
        }
        if passes && self.list.selected > 0 {
            self.list.selected += 1;
            self.list.offset += 1;
        }
    }

    /// Recomputes the hot write keys and alerts; new alerts go to the
    /// metrics view too.
    fn refresh_hot(&mut self, cx: &mut LiveCx, now: i64) {
        let Some(tracker) = self.tracker.as_mut() else {
            return;
        };
        tracker.expire(now);
        self.hot = tracker.hot.top_keys(10);
        self.by_entity = tracker.hot.by_entity();
        self.hot_list.clamp(self.hot.len());
        let alerts = tracker.alerts(now);
        if alerts != self.alerts {
            self.alerts = alerts;
            if let Some(table) = self.table.clone() {
                cx.core(Core::LiveAlerts {
                    table,
                    alerts: self.alerts.clone(),
                });
            }
        }
    }

    /// Once a second while following: the window slides even when no
    /// change arrives. True when something on show changed.
    pub fn tick(&mut self, cx: &mut LiveCx) -> bool {
        if self.tracker.is_none() || self.run.is_none() {
            return false;
        }
        let before = (self.hot.clone(), self.alerts.len());
        let now = self.now();
        self.refresh_hot(cx, now);
        before != (self.hot.clone(), self.alerts.len())
    }

    /// Pauses, or resumes with what was held (nothing lost unless counted
    /// as dropped).
    fn toggle_pause(&mut self, cx: &mut LiveCx) {
        if self.paused {
            self.paused = false;
            let held = std::mem::take(&mut self.held);
            let n = held.len();
            for d in held {
                self.show(d);
            }
            let dropped = std::mem::take(&mut self.dropped);
            if dropped > 0 {
                cx.flash(
                    Level::Warn,
                    format!("resumed: {n} held changes shown, {dropped} dropped (paused too long; the buffer holds {HELD})"),
                );
            } else {
                cx.flash(Level::Info, format!("resumed: {n} held changes shown"));
            }
        } else {
            self.paused = true;
            cx.flash(
                Level::Info,
                format!("paused: changes are held (up to {HELD}) until you resume"),
            );
        }
    }

    /// A key while the enable offer is in front: up/down choose the view
    /// type, enter asks, y enables, n/esc cancel.
    pub fn on_offer_key(&mut self, cx: &mut LiveCx, k: &KeyEvent) -> bool {
        if self.phase != Phase::NoStream {
            return false;
        }
        if let Some(c) = self.offer.confirm.as_mut() {
            match c.on_key(k) {
                Answer::Yes => {
                    self.offer.confirm = None;
                    self.enable(cx);
                }
                Answer::No => self.offer.confirm = None,
                Answer::Pending | Answer::Refused(_) => {}
            }
            return true;
        }
        let n = ViewType::ALL.len();
        match cx.settings.keymap.action(Mode::Live, k) {
            Some(Action::Down) => self.offer.view = (self.offer.view + 1) % n,
            Some(Action::Up) => self.offer.view = (self.offer.view + n - 1) % n,
            Some(Action::Open | Action::EnableStream) => {
                if let Some(why) = self.refusal(cx) {
                    cx.flash(Level::Error, why);
                } else {
                    self.offer.confirm = Some(Confirm::yes_no());
                }
            }
            _ => return false,
        }
        true
    }

    /// Why a stream may not be enabled here, if it may not.
    fn refusal(&self, cx: &LiveCx) -> Option<String> {
        let table = self.table.as_deref()?;
        if cx.read_only {
            return Some(
                "read-only session (--read-only or :readonly): the stream is not enabled".into(),
            );
        }
        if let Some(reason) = cx.project.protection(table, cx.conn.profile.as_deref())
            && !cx.unlocked.contains(table)
        {
            return Some(format!(
                "`{table}` is protected ({reason}): enable its stream with the AWS console or CLI, or `:unlock` it first"
            ));
        }
        None
    }

    fn enable(&mut self, cx: &mut LiveCx) {
        if let Some(why) = self.refusal(cx) {
            cx.flash(Level::Error, why);
            return;
        }
        let (Some(table), Some(view)) = (self.table.clone(), ViewType::ALL.get(self.offer.view))
        else {
            return;
        };
        self.phase = Phase::Enabling(*view);
        cx.effect(LiveEffect::Enable { table, view: *view });
    }

    pub fn on_action(&mut self, cx: &mut LiveCx, action: Action) {
        let page = cx.page_rows();
        let moved = match self.focus {
            Focus::Changes => self.list.on_action(action, self.visible().len(), page),
            Focus::HotKeys => self.hot_list.on_action(action, self.hot.len(), page),
        };
        if moved {
            return;
        }
        match action {
            Action::Back => self.leave(cx),
            Action::Pause => self.toggle_pause(cx),
            Action::Focus => {
                self.focus = match self.focus {
                    Focus::Changes => Focus::HotKeys,
                    Focus::HotKeys => Focus::Changes,
                }
            }
            Action::Filter => {
                *cx.input = Some(Input::LiveKeyFilter(
                    self.filter.key.clone().unwrap_or_default(),
                ))
            }
            Action::NextType | Action::PrevType => {
                let types = self.types_seen();
                self.filter.entity = cycle(
                    &types,
                    self.filter.entity.as_ref(),
                    action == Action::NextType,
                );
                self.list.reset();
            }
            Action::NextEvent => {
                self.filter.event = match self.filter.event {
                    None => Some(EventName::Insert),
                    Some(EventName::Insert) => Some(EventName::Modify),
                    Some(EventName::Modify) => Some(EventName::Remove),
                    Some(EventName::Remove) => None,
                };
                self.list.reset();
            }
            Action::FromOldest => {
                self.start = match self.start {
                    StartAt::Latest => StartAt::Oldest,
                    StartAt::Oldest => StartAt::Latest,
                };
                let table = self.table.clone();
                let back = self.back_to;
                self.run = self.run.take().inspect(|id| cx.core(Core::Abort(*id)));
                self.run = None;
                self.open(cx, Screen::Live, table);
                self.back_to = back;
                cx.flash(
                    Level::Info,
                    match self.start {
                        StartAt::Oldest => "reading from the oldest record kept (up to 24 hours)",
                        StartAt::Latest => "reading changes from now on",
                    },
                );
            }
            Action::EnableStream if self.phase == Phase::NoStream => {
                if let Some(why) = self.refusal(cx) {
                    cx.flash(Level::Error, why);
                } else {
                    self.offer.confirm = Some(Confirm::yes_no());
                }
            }
            Action::Refresh => {
                if matches!(self.phase, Phase::Failed(_) | Phase::Idle) {
                    let table = self.table.clone();
                    self.open(cx, Screen::Live, table);
                }
            }
            Action::Open => match self.focus {
                Focus::Changes => self.open_change(cx),
                Focus::HotKeys => self.open_hot_key(cx),
            },
            Action::CopyJson => {
                if let Some(d) = self.selected() {
                    let text = serde_json::to_string_pretty(&d.to_json(false)).unwrap_or_default();
                    cx.copy(text, "the change as JSON");
                }
            }
            _ => {}
        }
    }

    /// The key filter was typed.
    pub fn set_key_filter(&mut self, text: &str) {
        let t = text.trim().to_string();
        self.filter.key = (!t.is_empty()).then_some(t);
        self.list.reset();
    }

    /// A key in the key filter: applied as typed; enter keeps it, esc
    /// clears it.
    pub fn on_filter_key(&mut self, cx: &mut LiveCx, mut text: String, k: &KeyEvent) {
        match k.code {
            crossterm::event::KeyCode::Enter => self.set_key_filter(&text),
            crossterm::event::KeyCode::Esc => self.set_key_filter(""),
            _ => {
                crate::app::tui::widgets::edit_line(&mut text, k);
                self.set_key_filter(&text);
                *cx.input = Some(Input::LiveKeyFilter(text));
            }
        }
    }

    /// Opens the change's item in the detail view: the newest image the
    /// stream carries (the keys alone on a KEYS_ONLY stream).
    fn open_change(&mut self, cx: &mut LiveCx) {
        let (Some(table), Some(info)) = (self.table.clone(), self.info.clone()) else {
            return;
        };
        let Some(d) = self.selected() else {
            cx.flash(Level::Warn, "no change selected");
            return;
        };
        let item = d.record.item().clone();
        if d.record.new.is_none() && d.record.old.is_none() {
            cx.flash(
                Level::Warn,
                "KEYS_ONLY stream: the record has the keys only; open the table to read the item",
            );
        } else if d.record.event == EventName::Remove {
            cx.flash(Level::Info, "removed: showing the item as it was before");
        }
        cx.core(Core::ShowItem {
            table,
            info: Box::new(info),
            item: Box::new(item),
        });
    }

    /// Opens the hot key's partition in the items view.
    fn open_hot_key(&mut self, cx: &mut LiveCx) {
        let (Some(table), Some(info)) = (self.table.clone(), self.info.clone()) else {
            return;
        };
        let Some(hk) = self.hot.get(self.hot_list.selected) else {
            cx.flash(Level::Warn, "no hot key selected");
            return;
        };
        let Some(pk_def) = info.pk.clone() else {
            return;
        };
        let pk = crate::dynamo::pattern::typed_value(&hk.key, pk_def.kind)
            .unwrap_or_else(|_| crate::dynamo::AttributeValue::S(hk.key.clone()));
        let request = ItemsRequest {
            kind: RequestKind::Query {
                pk_name: pk_def.name.clone(),
                pk,
                sort: None,
            },
            ..ItemsRequest::scan(table.clone())
        };
        cx.core(Core::OpenItems {
            table,
            info: Box::new(info),
            request: Box::new(request),
            pattern: None,
        });
    }
}

/// The next (or previous) of `all` after `cur`; None past either end.
fn cycle(all: &[String], cur: Option<&String>, forward: bool) -> Option<String> {
    if all.is_empty() {
        return None;
    }
    let i = cur.and_then(|c| all.iter().position(|t| t == c));
    let j = match (i, forward) {
        (None, true) => Some(0),
        (None, false) => Some(all.len() - 1),
        (Some(i), true) => (i + 1 < all.len()).then_some(i + 1),
        (Some(i), false) => i.checked_sub(1),
    };
    j.and_then(|j| all.get(j).cloned())
}
