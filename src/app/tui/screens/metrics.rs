//! The on-call metrics view: CloudWatch charts for a table and its GSIs,
//! Contributor Insights status and top keys, and alerts. Fetches run on
//! tasks (the latest wins) and never stall input; a snapshot file opens in
//! the same view.

use std::time::{Duration, Instant};

use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Level, Loadable, Msg, Screen};
use crate::dynamo::AttributeValue;
use crate::dynamo::error::AwsError;
use crate::dynamo::request::{ItemsRequest, RequestKind};
use crate::metrics::alerts::{Alert, evaluate};
use crate::metrics::insights::{InsightsStatus, RuleReport};
use crate::metrics::snapshot::Snapshot;
use crate::metrics::{MetricsData, Range, Resource, Target};

/// Everything one refresh brings back.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub data: MetricsData,
    pub statuses: Vec<Result<InsightsStatus, AwsError>>,
    pub reports: Vec<Result<RuleReport, AwsError>>,
}

#[derive(Debug)]
pub enum MetricsMsg {
    Fetched(u64, Box<Result<Fetched, AwsError>>),
    Enabled(Result<InsightsStatus, AwsError>),
}

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
}

#[derive(Debug, Default)]
pub struct MetricsState {
    pub table: Option<String>,
    pub range: Option<Range>,
    pub data: Loadable<Fetched>,
    pub alerts: Vec<Alert>,
    /// Index into the period grid the cursor is on (None = latest).
    pub cursor: Option<usize>,
    pub focus: Focus,
    pub selected_key: usize,
    pub selected_alert: usize,
    /// Opened from a snapshot file: captured at (epoch seconds).
    pub snapshot: Option<i64>,
    /// The confirmation for enabling Contributor Insights: mode index.
    pub enable_confirm: Option<usize>,
    pub back_to: Option<Screen>,
    pub last_fetch: Option<Instant>,
    req: u64,
}

/// Modes offered when enabling Contributor Insights.
pub const CI_MODES: [&str; 2] = ["THROTTLED_KEYS", "ACCESSED_AND_THROTTLED_KEYS"];

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl MetricsState {
    /// Top keys of every rule report, throttled first, highest first.
    pub fn hot_keys(&self) -> Vec<HotKey> {
        let Loadable::Ready(f) = &self.data else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for r in f.reports.iter().flatten() {
            let throttled = matches!(
                r.kind,
                crate::metrics::insights::RuleKind::Pkt | crate::metrics::insights::RuleKind::Skt
            );
            for c in &r.contributors {
                out.push(HotKey {
                    resource: r.resource.clone(),
                    rule: r.rule.clone(),
                    throttled,
                    keys: c.keys.clone(),
                    value: c.value,
                });
            }
        }
        out.sort_by(|a, b| {
            b.throttled.cmp(&a.throttled).then(
                b.value
                    .partial_cmp(&a.value)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        out
    }

    /// The timestamps of the period grid.
    pub fn grid(&self) -> Vec<i64> {
        let Loadable::Ready(f) = &self.data else {
            return Vec::new();
        };
        let d = &f.data;
        let step = d.period.max(60) as i64;
        let mut v = Vec::new();
        let mut t = d.start;
        while t < d.end {
            v.push(t);
            t += step;
        }
        v
    }

    /// The time under the cursor (the latest point when the cursor is unset).
    pub fn cursor_time(&self) -> Option<i64> {
        let g = self.grid();
        match self.cursor {
            Some(i) => g.get(i).copied(),
            None => g.last().copied(),
        }
    }
}

impl App {
    /// The CloudWatch client: none for DynamoDB Local, which has no CloudWatch.
    pub fn cloudwatch(&self) -> Option<aws_sdk_cloudwatch::Client> {
        if self.ctx.is_local() {
            return None;
        }
        self.db_handle().map(|d| d.cloudwatch().clone())
    }

    /// Opens the metrics of `table`.
    pub fn open_metrics(&mut self, table: Option<String>) {
        if self.screen != Screen::Metrics {
            self.metrics.back_to = Some(self.screen);
        }
        self.screen = Screen::Metrics;
        let table = table.or_else(|| self.pattern_table());
        if self.metrics.snapshot.is_some() && table == self.metrics.table {
            return;
        }
        if table != self.metrics.table {
            self.metrics.cursor = None;
            self.metrics.selected_key = 0;
            self.metrics.snapshot = None;
        }
        self.metrics.table = table;
        self.refresh_metrics();
    }

    /// Opens a saved snapshot in the metrics view.
    pub fn open_snapshot(&mut self, snap: Snapshot) {
        self.metrics.table = Some(snap.data.target.table.clone());
        self.metrics.range = Some(snap.data.range);
        self.metrics.snapshot = Some(snap.captured_at);
        self.metrics.alerts = snap.alerts.clone();
        self.metrics.data = Loadable::Ready(Fetched {
            data: snap.data,
            statuses: snap.statuses.into_iter().map(Ok).collect(),
            reports: snap.reports.into_iter().map(Ok).collect(),
        });
        self.metrics.cursor = None;
        if self.screen != Screen::Metrics {
            self.metrics.back_to = Some(self.screen);
        }
        self.screen = Screen::Metrics;
    }

    /// The snapshot of what the view shows now.
    pub fn metrics_snapshot(&self) -> Option<Snapshot> {
        let Loadable::Ready(f) = &self.metrics.data else {
            return None;
        };
        Some(Snapshot {
            format: 1,
            captured_at: self.metrics.snapshot.unwrap_or_else(now_epoch),
            endpoint: self.ctx.endpoint.clone(),
            region: self.ctx.region.clone(),
            data: f.data.clone(),
            statuses: f.statuses.iter().flatten().cloned().collect(),
            reports: f.reports.iter().flatten().cloned().collect(),
            alerts: self.metrics.alerts.clone(),
        })
    }

    fn metrics_target(&self, table: &str) -> Option<Target> {
        self.known_info(table).map(|info| Target::of(&info))
    }

    /// Starts a fetch (the latest request wins).
    pub fn refresh_metrics(&mut self) {
        if self.metrics.snapshot.is_some() {
            return;
        }
        let Some(table) = self.metrics.table.clone() else {
            return;
        };
        let Some(cw) = self.cloudwatch() else {
            // The project may ship a snapshot for when there is no CloudWatch
            // (the demo's throttling incident).
            if let Some(path) = self.project.offline_snapshot.clone() {
                match Snapshot::load(&path) {
                    Ok(snap) if snap.data.target.table == table => {
                        self.open_snapshot(snap);
                        self.flash(
                            Level::Warn,
                            format!(
                                "no CloudWatch on DynamoDB Local: showing the saved snapshot {}",
                                path.display()
                            ),
                        );
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => self.flash(Level::Error, e),
                }
            }
            self.metrics.data = Loadable::Failed(
                AwsError::new(
                    "NoCloudWatch",
                    "DynamoDB Local has no CloudWatch or Contributor Insights",
                )
                .with_hint(
                    "point dyntui at AWS (--profile/--region) for live metrics, or open a snapshot: `dyntui --snapshot config/demo/incident.json` (the demo's throttling incident)",
                ),
            );
            return;
        };
        let Some(target) = self.metrics_target(&table) else {
            // Describe first; the view refreshes when the description arrives.
            self.metrics.data = Loadable::Loading;
            self.describe_table(&table);
            return;
        };
        let Some(db) = self.db_handle() else { return };
        self.metrics.req += 1;
        let id = self.metrics.req;
        let range = *self.metrics.range.get_or_insert(Range::H3);
        if !matches!(self.metrics.data, Loadable::Ready(_)) {
            self.metrics.data = Loadable::Loading;
        }
        self.metrics.last_fetch = Some(Instant::now());
        let tx = self.sender();
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let now = now_epoch();
            let r = async {
                let data = crate::metrics::fetch::fetch(&cw, &ctx, &target, range, now).await?;
                let statuses = crate::metrics::insights::statuses(&db, &target).await;
                let ok: Vec<InsightsStatus> = statuses.iter().flatten().cloned().collect();
                let reports = crate::metrics::insights::reports(
                    &cw,
                    &ctx,
                    &ok,
                    data.start,
                    data.end,
                    data.period,
                )
                .await;
                Ok(Fetched {
                    data,
                    statuses,
                    reports,
                })
            }
            .await;
            let _ = tx.send(Msg::Metrics(MetricsMsg::Fetched(id, Box::new(r))));
        });
    }

    /// Auto-refresh: true when a refresh was started.
    pub fn metrics_tick(&mut self) -> bool {
        let every = Duration::from_secs(self.settings.ui.metrics_refresh_secs.max(10));
        if self.screen == Screen::Metrics
            && self.metrics.snapshot.is_none()
            && matches!(self.metrics.data, Loadable::Ready(_))
            && self
                .metrics
                .last_fetch
                .is_some_and(|t| t.elapsed() >= every)
        {
            self.refresh_metrics();
            return true;
        }
        false
    }

    pub(crate) fn on_metrics_msg(&mut self, m: MetricsMsg) -> bool {
        match m {
            MetricsMsg::Fetched(id, r) => {
                if id != self.metrics.req {
                    return false;
                }
                match *r {
                    Ok(f) => {
                        let reports: Vec<RuleReport> =
                            f.reports.iter().flatten().cloned().collect();
                        self.metrics.alerts = evaluate(&f.data, &reports, &self.project.alerts);
                        self.metrics.data = Loadable::Ready(f);
                    }
                    Err(e) => self.metrics.data = Loadable::Failed(e),
                }
            }
            MetricsMsg::Enabled(r) => match r {
                Ok(s) => {
                    self.flash(
                        Level::Info,
                        format!(
                            "Contributor Insights is {} on {} (top keys appear within minutes)",
                            s.status,
                            s.resource.label()
                        ),
                    );
                    self.refresh_metrics();
                }
                Err(e) => self.flash(Level::Error, format!("enabling Contributor Insights: {e}")),
            },
        }
        true
    }

    pub(crate) fn metrics_action(&mut self, action: Action) {
        if let Some(mode) = self.metrics.enable_confirm {
            match action {
                Action::Up | Action::Down => {
                    self.metrics.enable_confirm = Some((mode + 1) % CI_MODES.len())
                }
                Action::Open => {
                    self.metrics.enable_confirm = None;
                    self.enable_insights(CI_MODES[mode]);
                }
                Action::Back => self.metrics.enable_confirm = None,
                _ => {}
            }
            return;
        }
        let grid = self.metrics.grid().len();
        match action {
            Action::Back => {
                self.screen = self.metrics.back_to.take().unwrap_or(Screen::Tables);
            }
            Action::Refresh => self.refresh_metrics(),
            Action::CursorLeft => {
                let cur = self.metrics.cursor.unwrap_or(grid.saturating_sub(1));
                self.metrics.cursor = Some(cur.saturating_sub(1));
            }
            Action::CursorRight => {
                let cur = self.metrics.cursor.unwrap_or(grid.saturating_sub(1));
                let next = cur + 1;
                self.metrics.cursor = if next + 1 >= grid { None } else { Some(next) };
            }
            Action::NextRange | Action::PrevRange => {
                if self.metrics.snapshot.is_some() {
                    self.flash(Level::Warn, "a snapshot has a fixed time range");
                    return;
                }
                let cur = self.metrics.range.unwrap_or(Range::H3);
                let i = Range::PRESETS.iter().position(|r| *r == cur).unwrap_or(1);
                let n = Range::PRESETS.len();
                let j = if action == Action::NextRange {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.metrics.range = Some(Range::PRESETS[j]);
                self.metrics.cursor = None;
                self.refresh_metrics();
            }
            Action::Focus => {
                self.metrics.focus = match self.metrics.focus {
                    Focus::Keys => Focus::Alerts,
                    Focus::Alerts => Focus::Keys,
                }
            }
            Action::Down | Action::Up => {
                let down = action == Action::Down;
                let (sel, n) = match self.metrics.focus {
                    Focus::Keys => (&mut self.metrics.selected_key, 0),
                    Focus::Alerts => (&mut self.metrics.selected_alert, 0),
                };
                let _ = n;
                if down {
                    *sel += 1;
                } else {
                    *sel = sel.saturating_sub(1);
                }
                let len = match self.metrics.focus {
                    Focus::Keys => self.metrics.hot_keys().len(),
                    Focus::Alerts => self.metrics.alerts.len(),
                };
                let sel = match self.metrics.focus {
                    Focus::Keys => &mut self.metrics.selected_key,
                    Focus::Alerts => &mut self.metrics.selected_alert,
                };
                *sel = (*sel).min(len.saturating_sub(1));
            }
            Action::Open => self.open_hot_key(),
            Action::EnableInsights => {
                if self.metrics.snapshot.is_some() || self.cloudwatch().is_none() {
                    self.flash(
                        Level::Warn,
                        "Contributor Insights can only be enabled on a live AWS table",
                    );
                } else {
                    self.metrics.enable_confirm = Some(0);
                }
            }
            Action::SaveSnapshot => self.save_snapshot(),
            _ => {}
        }
    }

    fn enable_insights(&mut self, mode: &'static str) {
        let (Some(db), Some(table)) = (self.db_handle(), self.metrics.table.clone()) else {
            return;
        };
        let tx = self.sender();
        tokio::spawn(async move {
            let r = crate::metrics::insights::enable(&db, &table, None, mode).await;
            let _ = tx.send(Msg::Metrics(MetricsMsg::Enabled(r)));
        });
    }

    fn save_snapshot(&mut self) {
        let Some(snap) = self.metrics_snapshot() else {
            self.flash(Level::Warn, "nothing to save yet");
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
            Ok(()) => self.flash(Level::Info, format!("saved {}", path.display())),
            Err(e) => self.flash(Level::Error, e),
        }
    }

    /// Opens the selected hot key's partition in the items view (a Query on
    /// the table or the GSI the rule is about).
    fn open_hot_key(&mut self) {
        let keys = self.metrics.hot_keys();
        let Some(hk) = keys.get(self.metrics.selected_key).cloned() else {
            self.flash(Level::Warn, "no hot key selected");
            return;
        };
        let Some(table) = self.metrics.table.clone() else {
            return;
        };
        let info = self.known_info(&table);
        let Some(info) = info else {
            self.describe_table(&table);
            self.flash(Level::Warn, "describing the table; press enter again");
            return;
        };
        let index = match &hk.resource {
            Resource::Table => None,
            Resource::Gsi(g) => Some(g.clone()),
        };
        let Some((pk_def, _)) = info.keys_of(index.as_deref()) else {
            self.flash(Level::Error, "the index of this key is not on the table");
            return;
        };
        let Some(pk_text) = hk.keys.first() else {
            return;
        };
        let pk = match crate::app::tui::state::typed_value(pk_text, &pk_def.kind) {
            Ok(v) => v,
            Err(_) => AttributeValue::S(pk_text.clone()),
        };
        let req = ItemsRequest {
            index,
            kind: RequestKind::Query {
                pk_name: pk_def.name.clone(),
                pk,
                sort: None,
            },
            ..ItemsRequest::scan(table.clone())
        };
        self.open_request(&table, info, req, None);
    }
}
