//! The on-call metrics view: CloudWatch charts for a table and its GSIs,
//! Contributor Insights status and top keys, and alerts. Fetches are
//! effects (the latest wins, leaving the view aborts the one in flight) and
//! never stall input; a snapshot file opens in the same view.
//!
//! What the view draws from the data (the period grid, the series of each
//! chart, the hot keys decoded by entity) is derived here when the data or
//! the table's description changes, not on every frame.

use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::keymap::{Action, Mode};
use crate::app::tui::request::{Loadable, ReqId, Request};
use crate::app::tui::task::Tracked;
use crate::app::tui::widgets::{Answer, Confirm, ListCursor};
use crate::dynamo::AttributeValue;
use crate::dynamo::client::TableInfo;
use crate::dynamo::entity::{Decoder, TableKeys};
use crate::dynamo::error::{AwsError, ConnContext};
use crate::dynamo::request::{ItemsRequest, RequestKind};
use crate::metrics::alerts::{Alert, evaluate};
use crate::metrics::insights::{InsightsStatus, RuleKind, RuleReport};
use crate::metrics::snapshot::Snapshot;
use crate::metrics::{MetricsData, Range, Resource, Series, Target};

pub mod effects;
#[cfg(test)]
mod tests;

/// Everything one refresh brings back.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub data: MetricsData,
    pub statuses: Vec<Result<InsightsStatus, AwsError>>,
    pub reports: Vec<Result<RuleReport, AwsError>>,
}

#[derive(Debug)]
pub enum MetricsMsg {
    Fetched(ReqId, Box<Result<Fetched, AwsError>>),
    Enabled(Result<InsightsStatus, AwsError>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetricsEffect {
    /// CloudWatch metrics of the table and its GSIs, then Contributor
    /// Insights statuses and top-key reports over the same range.
    Fetch {
        id: ReqId,
        target: Target,
        range: Range,
    },
    /// UpdateContributorInsights ENABLE on the table, in `mode`.
    Enable { table: String, mode: String },
}

impl Tracked for MetricsEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            MetricsEffect::Fetch { id, .. } => Some(*id),
            MetricsEffect::Enable { .. } => None,
        }
    }
}

pub type MetricsCx<'a> = Cx<'a, MetricsEffect>;

/// Which list on the right has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Keys,
    Alerts,
}

/// A hot key shown in the top-keys list.
#[derive(Debug, Clone, PartialEq)]
pub struct HotKey {
    pub resource: Resource,
    pub rule: String,
    pub throttled: bool,
    pub keys: Vec<String>,
    pub value: f64,
    /// The entity the key belongs to (`—` when unknown).
    pub entity: String,
    /// The key decoded into fields (`customerId=c00243`), else the raw
    /// key values joined.
    pub decoded: String,
}

/// A series shown in a chart, by its index in the data, with its legend
/// and its points as the chart plots them.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub series: usize,
    pub label: String,
    /// (epoch seconds, value).
    pub points: Vec<(f64, f64)>,
}

/// The series of each chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Charts {
    pub throttles: Vec<Pick>,
    pub capacity: Vec<Pick>,
    pub latency: Vec<Pick>,
    pub errors: Vec<Pick>,
}

/// What the view shows, derived from the data (and the table's
/// description) when they change.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// The timestamps of the period grid.
    pub grid: Vec<i64>,
    /// Top keys of every rule report, throttled first, highest first.
    pub hot_keys: Vec<HotKey>,
    pub charts: Charts,
    /// Why top-key reports failed (`code: message`).
    pub report_errors: Vec<String>,
}

/// The confirmation for enabling Contributor Insights: the mode chosen and
/// the y/n answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnableConfirm {
    /// Index into [`CI_MODES`].
    pub mode: usize,
    pub confirm: Confirm,
}

#[derive(Debug, Default)]
pub struct MetricsState {
    pub table: Option<String>,
    pub range: Option<Range>,
    pub data: Request<Fetched>,
    /// Derived from `data` when it is ready (see [`Derived`]).
    pub derived: Derived,
    /// The alerts on show: [`MetricsState::fetched_alerts`] and the live
    /// ones of the table.
    pub alerts: Vec<Alert>,
    /// Alerts of the fetched data or the snapshot.
    pub fetched_alerts: Vec<Alert>,
    /// Hot write key alerts from the live screen, by table.
    pub live_alerts: std::collections::HashMap<String, Vec<Alert>>,
    /// Index into the period grid the cursor is on (None = latest).
    pub cursor: Option<usize>,
    pub focus: Focus,
    /// The hot-keys list.
    pub keys: ListCursor,
    /// The alerts list.
    pub alert_list: ListCursor,
    /// The alert shown in full (`enter` on the alerts list; `esc` closes).
    pub alert_open: Option<usize>,
    /// Opened from a snapshot file: captured at (epoch seconds).
    pub snapshot: Option<i64>,
    /// The confirmation for enabling Contributor Insights.
    pub enable_confirm: Option<EnableConfirm>,
    pub back_to: Option<Screen>,
    pub last_fetch: Option<Instant>,
    /// Waiting for the table's description before fetching.
    awaiting_description: bool,
}

/// Modes offered when enabling Contributor Insights.
pub const CI_MODES: [&str; 2] = ["THROTTLED_KEYS", "ACCESSED_AND_THROTTLED_KEYS"];

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// No CloudWatch here: DynamoDB Local (or no client at all).
fn without_cloudwatch(cx: &MetricsCx) -> bool {
    !cx.online || cx.conn.is_local()
}

/// The failure shown when there is no CloudWatch.
pub fn no_cloudwatch() -> AwsError {
    AwsError::new(
        "NoCloudWatch",
        "DynamoDB Local has no CloudWatch or Contributor Insights",
    )
    .with_hint(
        "point dyntui at AWS (--profile/--region) for live metrics, or open a snapshot: `dyntui --snapshot config/demo/incident.json` (the demo's throttling incident)",
    )
}

/// `table` or the GSI's name.
pub fn short_resource(r: &Resource) -> String {
    match r {
        Resource::Table => "table".into(),
        Resource::Gsi(g) => g.clone(),
    }
}

/// The highest value of a series (0 when empty).
pub fn max_of(s: &Series) -> f64 {
    s.points.iter().map(|p| p.1).fold(0.0, f64::max)
}

/// `table write`, `GSI2 write (provisioned)`, `table write (key range)`.
fn throttle_label(r: &Resource, metric: &str) -> String {
    let dir = if metric.starts_with("Read") {
        "read"
    } else {
        "write"
    };
    let reason = if metric.contains("KeyRange") {
        " (key range)"
    } else if metric.contains("ProvisionedThroughput") {
        " (provisioned)"
    } else if metric.contains("MaxOnDemand") {
        " (on-demand max)"
    } else if metric.contains("AccountLimit") {
        " (account limit)"
    } else {
        ""
    };
    format!("{} {dir}{reason}", short_resource(r))
}

fn capacity_label(metric: &str) -> String {
    match metric {
        "ConsumedReadCapacityUnits" => "read consumed".into(),
        "ConsumedWriteCapacityUnits" => "write consumed".into(),
        "ProvisionedReadCapacityUnits" => "read provisioned".into(),
        "ProvisionedWriteCapacityUnits" => "write provisioned".into(),
        "OnDemandMaxReadRequestUnits" => "read on-demand max".into(),
        "OnDemandMaxWriteRequestUnits" => "write on-demand max".into(),
        other => other.to_string(),
    }
}

impl Charts {
    /// The series of each chart: throttles (the table's read and write
    /// always, GSIs and reasons when they throttled; the 5 highest),
    /// capacity, p99 latency per operation (the 4 highest) and errors.
    pub fn of(d: &MetricsData) -> Charts {
        let s = &d.series;
        let pick = |i: usize, label: String| Pick {
            series: i,
            label,
            points: Vec::new(),
        };
        let by_max = |a: &Pick, b: &Pick| {
            let m = |p: &Pick| s.get(p.series).map(max_of).unwrap_or(0.0);
            m(b).total_cmp(&m(a))
        };
        let mut throttles: Vec<Pick> = s
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                let total = matches!(
                    s.key.metric.as_str(),
                    "ReadThrottleEvents" | "WriteThrottleEvents"
                );
                s.key.operation.is_none()
                    && s.key.metric.ends_with("ThrottleEvents")
                    && ((total && s.key.resource == Resource::Table) || max_of(s) > 0.0)
            })
            .map(|(i, s)| pick(i, throttle_label(&s.key.resource, &s.key.metric)))
            .collect();
        throttles.sort_by(by_max);
        throttles.truncate(5);
        let capacity = s
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.key.resource == Resource::Table
                    && (s.key.metric.starts_with("Consumed")
                        || s.key.metric.starts_with("Provisioned")
                        || s.key.metric.starts_with("OnDemandMax"))
            })
            .map(|(i, s)| pick(i, capacity_label(&s.key.metric)))
            .collect();
        let mut latency: Vec<Pick> = s
            .iter()
            .enumerate()
            .filter(|(_, s)| s.key.metric == "SuccessfulRequestLatency" && s.key.stat == "p99")
            .filter(|(_, s)| !s.points.is_empty())
            .map(|(i, s)| {
                let op = s.key.operation.as_deref().unwrap_or("?");
                pick(i, format!("{op} p99"))
            })
            .collect();
        latency.sort_by(by_max);
        latency.truncate(4);
        let errors = s
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(
                    s.key.metric.as_str(),
                    "ConditionalCheckFailedRequests" | "TransactionConflict"
                ) || (s.key.metric == "SystemErrors" && max_of(s) > 0.0)
            })
            .map(|(i, s)| {
                let label = match s.key.metric.as_str() {
                    "ConditionalCheckFailedRequests" => "conditional check failed".into(),
                    "TransactionConflict" => "transaction conflict".into(),
                    _ => format!("system errors {}", s.key.operation.as_deref().unwrap_or("")),
                };
                pick(i, label)
            })
            .collect();
        let mut c = Charts {
            throttles,
            capacity,
            latency,
            errors,
        };
        for p in [
            &mut c.throttles,
            &mut c.capacity,
            &mut c.latency,
            &mut c.errors,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(series) = s.get(p.series) {
                p.points = series
                    .points
                    .iter()
                    .map(|(ts, v)| (*ts as f64, *v))
                    .collect();
            }
        }
        c
    }
}

impl Derived {
    /// Derives what the view shows from `f`; hot keys are decoded with the
    /// project's entities and the table's keys (`info`, when described).
    pub fn of(
        f: &Fetched,
        decode: &crate::dynamo::entity::DecodeConfig,
        info: Option<&TableInfo>,
    ) -> Derived {
        let d = &f.data;
        let step = d.period.max(60) as i64;
        let mut grid = Vec::new();
        let mut t = d.start;
        while t < d.end {
            grid.push(t);
            t += step;
        }
        let mut decoder = Decoder::new(
            decode,
            TableKeys {
                pk: info
                    .and_then(|i| i.pk.as_ref().map(|k| k.name.clone()))
                    .unwrap_or_else(|| "PK".into()),
                sk: info.and_then(|i| i.sk.as_ref().map(|k| k.name.clone())),
                index_key_attrs: info.map(|i| i.index_key_attrs()).unwrap_or_default(),
            },
        );
        let mut hot_keys = Vec::new();
        for r in f.reports.iter().flatten() {
            let throttled = matches!(r.kind, RuleKind::Pkt | RuleKind::Skt);
            for c in &r.contributors {
                hot_keys.push(HotKey {
                    resource: r.resource.clone(),
                    rule: r.rule.clone(),
                    throttled,
                    keys: c.keys.clone(),
                    value: c.value,
                    entity: String::new(),
                    decoded: String::new(),
                });
            }
        }
        hot_keys.sort_by(|a, b| {
            b.throttled.cmp(&a.throttled).then(
                b.value
                    .partial_cmp(&a.value)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        for k in &mut hot_keys {
            let pk = k.keys.first().map(String::as_str).unwrap_or("");
            let sk = k.keys.get(1).map(String::as_str);
            let (c, fields) = decoder.decode_key(pk, sk);
            k.entity = c
                .entity
                .map(|e| decoder.entity_name(e).to_string())
                .unwrap_or_else(|| "—".into());
            k.decoded = if fields.is_empty() {
                k.keys.join(" · ")
            } else {
                crate::dynamo::keyshape::shown(&fields)
            };
        }
        let report_errors = f
            .reports
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect();
        Derived {
            grid,
            hot_keys,
            charts: Charts::of(d),
            report_errors,
        }
    }
}

impl MetricsState {
    /// Top keys of every rule report, throttled first, highest first
    /// (none unless the data is on show).
    pub fn hot_keys(&self) -> &[HotKey] {
        match self.data.ready() {
            Some(_) => &self.derived.hot_keys,
            None => &[],
        }
    }

    /// The timestamps of the period grid (none unless the data is on show).
    pub fn grid(&self) -> &[i64] {
        match self.data.ready() {
            Some(_) => &self.derived.grid,
            None => &[],
        }
    }

    /// The time under the cursor (the latest point when the cursor is unset).
    pub fn cursor_time(&self) -> Option<i64> {
        let g = self.grid();
        match self.cursor {
            Some(i) => g.get(i).copied(),
            None => g.last().copied(),
        }
    }

    /// The cursor of the list that has the focus, and the list's length.
    fn focused(&mut self) -> (&mut ListCursor, usize) {
        let n_keys = self.hot_keys().len();
        match self.focus {
            Focus::Keys => (&mut self.keys, n_keys),
            Focus::Alerts => (&mut self.alert_list, self.alerts.len()),
        }
    }

    /// The list in front shows `rows` rows: keep its selection in view.
    pub fn follow(&mut self, rows: usize) {
        self.focused().0.follow(rows);
    }

    /// The snapshot of what the view shows now.
    pub fn snapshot_of(&self, conn: &ConnContext) -> Option<Snapshot> {
        let f = self.data.ready()?;
        Some(Snapshot {
            format: 1,
            captured_at: self.snapshot.unwrap_or_else(now_epoch),
            endpoint: conn.endpoint.clone(),
            region: conn.region.clone(),
            data: f.data.clone(),
            statuses: f.statuses.iter().flatten().cloned().collect(),
            reports: f.reports.iter().flatten().cloned().collect(),
            alerts: self.alerts.clone(),
        })
    }

    /// True while the first data (or the table's description) is loading.
    pub fn busy(&self) -> bool {
        self.data.state.is_loading()
    }

    /// Opens the metrics of `table` (coming from the screen `from`).
    pub fn open(&mut self, cx: &mut MetricsCx, from: Screen, table: Option<String>) {
        if from != Screen::Metrics {
            self.back_to = Some(from);
        }
        cx.core(Core::Go(Screen::Metrics));
        if self.snapshot.is_some() && table == self.table {
            return;
        }
        if table != self.table {
            // Another table's charts and alerts are not this one's.
            if let Some(id) = self.data.reset() {
                cx.core(Core::Abort(id));
            }
            self.awaiting_description = false;
            self.fetched_alerts.clear();
            self.cursor = None;
            self.keys.reset();
            self.alert_list.reset();
            self.snapshot = None;
        }
        self.table = table;
        self.merge_alerts();
        self.refresh(cx);
    }

    /// Opens a saved snapshot (coming from the screen `from`).
    pub fn open_snapshot(&mut self, cx: &mut MetricsCx, from: Screen, snap: Snapshot) {
        self.show_snapshot(cx, snap);
        if from != Screen::Metrics {
            self.back_to = Some(from);
        }
        cx.core(Core::Go(Screen::Metrics));
    }

    fn show_snapshot(&mut self, cx: &mut MetricsCx, snap: Snapshot) {
        self.awaiting_description = false;
        self.table = Some(snap.data.target.table.clone());
        self.range = Some(snap.data.range);
        self.snapshot = Some(snap.captured_at);
        self.fetched_alerts = snap.alerts;
        self.merge_alerts();
        let fetched = Fetched {
            data: snap.data,
            statuses: snap.statuses.into_iter().map(Ok).collect(),
            reports: snap.reports.into_iter().map(Ok).collect(),
        };
        if let Some(id) = self.data.set(fetched) {
            cx.core(Core::Abort(id));
        }
        self.cursor = None;
        self.derive(cx);
    }

    /// Shows `e` instead of the data (the fetch in flight is aborted).
    fn fail(&mut self, cx: &mut MetricsCx, e: AwsError) {
        cx.cancel(&mut self.data);
        self.data.state = Loadable::Failed(e);
    }

    /// Fetches again (the fetch in flight is superseded); the charts stay
    /// on show until the answer.
    pub fn refresh(&mut self, cx: &mut MetricsCx) {
        if self.snapshot.is_some() {
            return;
        }
        let Some(table) = self.table.clone() else {
            return;
        };
        self.awaiting_description = false;
        if without_cloudwatch(cx) {
            // The project may ship a snapshot for when there is no
            // CloudWatch (the demo's throttling incident).
            if let Some(path) = cx.project.offline_snapshot.clone() {
                match Snapshot::load(&path) {
                    Ok(snap) if snap.data.target.table == table => {
                        self.show_snapshot(cx, snap);
                        cx.flash(
                            Level::Warn,
                            format!(
                                "no CloudWatch on DynamoDB Local: showing the saved snapshot {}",
                                path.display()
                            ),
                        );
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => cx.flash(Level::Error, e),
                }
            }
            self.fail(cx, no_cloudwatch());
            return;
        }
        let Some(info) = cx.info(&table) else {
            // Describe first; the view fetches when the description arrives.
            cx.cancel(&mut self.data);
            self.data.state = Loadable::Loading;
            self.awaiting_description = true;
            cx.core(Core::Describe(table));
            return;
        };
        let target = Target::of(info);
        let range = *self.range.get_or_insert(Range::H3);
        self.last_fetch = Some(Instant::now());
        let fetch = |id| MetricsEffect::Fetch { id, target, range };
        if self.data.ready().is_some() {
            cx.refresh(&mut self.data, fetch);
        } else {
            cx.start(&mut self.data, fetch);
        }
    }

    /// A table's description arrived (or failed): the view fetches if it
    /// waited for it, and decodes its hot keys with the table's keys.
    pub fn described(&mut self, cx: &mut MetricsCx, table: &str, failed: Option<&AwsError>) {
        if self.table.as_deref() != Some(table) {
            return;
        }
        if self.awaiting_description {
            self.awaiting_description = false;
            match failed {
                Some(e) => self.data.state = Loadable::Failed(e.clone()),
                None => self.refresh(cx),
            }
        } else if failed.is_none() && self.data.ready().is_some() {
            self.derive(cx);
        }
    }

    /// Leaves the view: the fetch in flight is aborted.
    fn leave(&mut self, cx: &mut MetricsCx) {
        cx.cancel(&mut self.data);
        if std::mem::take(&mut self.awaiting_description) && self.data.state.is_loading() {
            self.data.state = Loadable::Idle;
        }
    }

    /// Forgets the data (another connection): the fetch in flight is aborted.
    pub fn reset(&mut self, cx: &mut MetricsCx) {
        if let Some(id) = self.data.reset() {
            cx.core(Core::Abort(id));
        }
        self.awaiting_description = false;
    }

    /// Auto-refresh, while the view is in front: true when a refresh was
    /// started.
    pub fn tick(&mut self, cx: &mut MetricsCx) -> bool {
        let every = Duration::from_secs(cx.settings.ui.metrics_refresh_secs.max(10));
        if self.snapshot.is_none()
            && self.data.ready().is_some()
            && self.last_fetch.is_some_and(|t| t.elapsed() >= every)
        {
            self.refresh(cx);
            return true;
        }
        false
    }

    /// Hot write key alerts measured on `table`'s stream (the live
    /// screen): shown with the alerts of CloudWatch and Contributor
    /// Insights while that table is on show.
    pub fn set_live_alerts(&mut self, table: &str, alerts: Vec<Alert>) {
        if alerts.is_empty() {
            self.live_alerts.remove(table);
        } else {
            self.live_alerts.insert(table.to_string(), alerts);
        }
        self.merge_alerts();
    }

    /// The alerts on show, newest first: the live ones of the table (they
    /// are about now), then those of the fetched data (or the snapshot).
    fn merge_alerts(&mut self) {
        let live = self
            .table
            .as_deref()
            .filter(|_| self.snapshot.is_none())
            .and_then(|t| self.live_alerts.get(t))
            .cloned()
            .unwrap_or_default();
        let mut all = live;
        all.extend(self.fetched_alerts.iter().cloned());
        self.alerts = all;
        self.alert_list.clamp(self.alerts.len());
    }

    /// Recomputes what the view shows from the data.
    fn derive(&mut self, cx: &MetricsCx) {
        let Some(f) = self.data.ready() else {
            return;
        };
        let info = self.table.as_deref().and_then(|t| cx.info(t));
        self.derived = Derived::of(f, &cx.project.decode, info);
        self.keys.clamp(self.derived.hot_keys.len());
        self.alert_list.clamp(self.alerts.len());
    }

    pub fn update(&mut self, cx: &mut MetricsCx, msg: MetricsMsg) -> bool {
        match msg {
            MetricsMsg::Fetched(id, r) => {
                if !self.data.is_current(id) {
                    return false;
                }
                let r = *r;
                if let Ok(f) = &r {
                    let reports: Vec<RuleReport> = f.reports.iter().flatten().cloned().collect();
                    self.fetched_alerts = evaluate(&f.data, &reports, &cx.project.alerts);
                    self.merge_alerts();
                }
                self.data.settle(id, r);
                self.derive(cx);
            }
            MetricsMsg::Enabled(r) => match r {
                Ok(s) => {
                    cx.flash(
                        Level::Info,
                        format!(
                            "Contributor Insights is {} on {} (top keys appear within minutes)",
                            s.status,
                            s.resource.label()
                        ),
                    );
                    self.refresh(cx);
                }
                Err(e) => cx.flash(Level::Error, format!("enabling Contributor Insights: {e}")),
            },
        }
        true
    }

    /// A key while the enable confirmation is open: up/down choose the
    /// mode, enter (or `y`) enables, esc (or `n`) cancels.
    pub fn on_enable_key(&mut self, cx: &mut MetricsCx, k: &KeyEvent) {
        let Some(c) = self.enable_confirm.as_mut() else {
            return;
        };
        if let Some(Action::Up | Action::Down) = cx.settings.keymap.action(Mode::Metrics, k) {
            c.mode = (c.mode + 1) % CI_MODES.len();
            return;
        }
        match c.confirm.on_key(k) {
            Answer::Yes => {
                let mode = CI_MODES.get(c.mode).copied();
                self.enable_confirm = None;
                if let Some(mode) = mode {
                    self.enable(cx, mode);
                }
            }
            Answer::No => self.enable_confirm = None,
            Answer::Pending | Answer::Refused(_) => {}
        }
    }

    pub fn on_action(&mut self, cx: &mut MetricsCx, action: Action) {
        if self.alert_open.is_some() {
            // The open alert takes the keys until it is closed.
            if matches!(action, Action::Back | Action::Open) {
                self.alert_open = None;
            }
            return;
        }
        let page = cx.page_rows();
        let (list, len) = self.focused();
        if list.on_action(action, len, page) {
            return;
        }
        let grid = self.grid().len();
        match action {
            Action::Back => {
                self.leave(cx);
                cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
            }
            Action::Refresh => self.refresh(cx),
            Action::CursorLeft => {
                let cur = self.cursor.unwrap_or(grid.saturating_sub(1));
                self.cursor = Some(cur.saturating_sub(1));
            }
            Action::CursorRight => {
                let cur = self.cursor.unwrap_or(grid.saturating_sub(1));
                let next = cur + 1;
                self.cursor = if next + 1 >= grid { None } else { Some(next) };
            }
            Action::NextRange | Action::PrevRange => {
                if self.snapshot.is_some() {
                    cx.flash(Level::Warn, "a snapshot has a fixed time range");
                    return;
                }
                let cur = self.range.unwrap_or(Range::H3);
                let i = Range::PRESETS.iter().position(|r| *r == cur).unwrap_or(1);
                let n = Range::PRESETS.len();
                let j = if action == Action::NextRange {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.range = Range::PRESETS.get(j).copied();
                self.cursor = None;
                self.refresh(cx);
            }
            Action::Focus => {
                self.focus = match self.focus {
                    Focus::Keys => Focus::Alerts,
                    Focus::Alerts => Focus::Keys,
                }
            }
            // Enter acts on the focused list: a hot key's partition, or
            // the alert in full (its text is cut in the list).
            Action::Open if self.focus == Focus::Alerts => {
                let i = self.alert_list.selected;
                self.alert_open = (i < self.alerts.len()).then_some(i);
            }
            Action::Open => self.open_hot_key(cx),
            Action::EnableInsights => {
                if self.snapshot.is_some() || without_cloudwatch(cx) {
                    cx.flash(
                        Level::Warn,
                        "Contributor Insights can only be enabled on a live AWS table",
                    );
                } else {
                    self.enable_confirm = Some(EnableConfirm {
                        mode: 0,
                        confirm: Confirm::yes_no(),
                    });
                }
            }
            Action::SaveSnapshot => self.save_snapshot(cx),
            _ => {}
        }
    }

    fn enable(&mut self, cx: &mut MetricsCx, mode: &str) {
        let Some(table) = self.table.clone().filter(|_| cx.online) else {
            return;
        };
        cx.effect(MetricsEffect::Enable {
            table,
            mode: mode.to_string(),
        });
    }

    /// Writes what the view shows to `dyntui-<table>-<time>.json` in the
    /// working directory (a small file: written here, not on a task).
    fn save_snapshot(&mut self, cx: &mut MetricsCx) {
        let Some(snap) = self.snapshot_of(cx.conn) else {
            cx.flash(Level::Warn, "nothing to save yet");
            return;
        };
        let name = format!(
            "dyntui-{}-{}.json",
            snap.data.target.table,
            crate::metrics::fmt_time(snap.captured_at)
                .replace([' ', ':'], "-")
                .trim_end_matches('Z')
        );
        let path = std::env::current_dir()
            .unwrap_or_else(|_| std::path::PathBuf::from("."))
            .join(name);
        match snap.save(&path) {
            Ok(()) => cx.flash(Level::Info, format!("saved {}", path.display())),
            Err(e) => cx.flash(Level::Error, e),
        }
    }

    /// Opens the selected hot key's partition in the items view (a Query on
    /// the table or the GSI the rule is about).
    fn open_hot_key(&mut self, cx: &mut MetricsCx) {
        let Some(hk) = self.hot_keys().get(self.keys.selected).cloned() else {
            cx.flash(Level::Warn, "no hot key selected");
            return;
        };
        let Some(table) = self.table.clone() else {
            return;
        };
        let Some(info) = cx.info(&table).cloned() else {
            cx.core(Core::Describe(table));
            cx.flash(Level::Warn, "describing the table; press enter again");
            return;
        };
        let index = match &hk.resource {
            Resource::Table => None,
            Resource::Gsi(g) => Some(g.clone()),
        };
        let Some((pk_def, _)) = info.keys_of(index.as_deref()) else {
            cx.flash(Level::Error, "the index of this key is not on the table");
            return;
        };
        let Some(pk_text) = hk.keys.first() else {
            return;
        };
        let pk = crate::dynamo::pattern::typed_value(pk_text, pk_def.kind)
            .unwrap_or_else(|_| AttributeValue::S(pk_text.clone()));
        let request = ItemsRequest {
            index,
            kind: RequestKind::Query {
                pk_name: pk_def.name.clone(),
                pk,
                sort: None,
            },
            ..ItemsRequest::scan(table.clone())
        };
        self.leave(cx);
        cx.core(Core::OpenItems {
            table,
            info: Box::new(info),
            request: Box::new(request),
            pattern: None,
        });
    }
}
