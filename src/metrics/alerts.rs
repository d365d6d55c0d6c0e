//! Alert rules over fetched metrics and Contributor Insights reports: hot
//! keys, skew, GSI back-pressure, capacity, latency and system errors.
//!
//! Pure functions of [`MetricsData`] and [`RuleReport`]s (the thresholds in
//! [`AlertConfig`]), so the view, `dyntui diagnose` and snapshots agree.
//! Every alert says what it saw, with numbers and times, and what to look
//! at next.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::insights::{Contributor, RuleKind, RuleReport};
use super::queries::resource_label;
use super::{MetricsData, Resource, Series, fmt_time};

/// Consumed units of one key at the partition maximum for a whole minute
/// (3,000 RCU or 1,000 WCU x 3 per second, 60 seconds).
pub const PARTITION_UNITS_PER_MINUTE: f64 = 180_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Info,
    Warn,
    Critical,
}

impl Severity {
    pub fn label(&self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub severity: Severity,
    /// When it applies: the last datapoint that triggered it (epoch seconds).
    pub time: i64,
    /// hot_key_confirmed, hot_key_suspected, skew, gsi_back_pressure,
    /// capacity_near_limit, latency_p99, system_errors; from a stream:
    /// hot_write_key_suspected.
    pub rule: String,
    pub resource: Resource,
    pub title: String,
    /// What it saw (numbers, times) and what to look at.
    pub detail: String,
    /// The hot key (partition key, and sort key for SK rules), when there is one.
    pub key: Option<Vec<String>>,
}

/// Rule thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// A PKC key at or over this many ConsumedThroughputUnits per minute...
    pub hot_key_units_per_minute: f64,
    /// ...in at least this many...
    pub hot_key_minutes: usize,
    /// ...of the last this many datapoints is a suspected hot key.
    pub hot_key_window: usize,
    /// One key's share of consumed units (RCU + 3 x WCU) that is skew.
    pub skew_share: f64,
    /// Consumed units per second over this share of the limit.
    pub capacity_share: f64,
    /// p99 SuccessfulRequestLatency over this (ms).
    pub latency_p99_ms: f64,
    /// SystemErrors in one datapoint at or over this.
    pub system_errors: f64,
    /// A partition key with `skew_share` of the writes seen on the stream is
    /// a suspected hot write key once it has at least this many writes in
    /// the window ([`super::hotwrites::alerts`]).
    pub hot_write_min_writes: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            hot_key_units_per_minute: 50_000.0,
            hot_key_minutes: 3,
            hot_key_window: 5,
            skew_share: 0.2,
            capacity_share: 0.8,
            latency_p99_ms: 100.0,
            system_errors: 1.0,
            hot_write_min_writes: 20,
        }
    }
}

/// Every alert the rules find, newest first, then most severe first.
///
/// - `hot_key_confirmed` (CRITICAL): Read/WriteKeyRangeThroughputThrottleEvents
///   above 0 on a resource and a PKT/SKT contributor of that resource counted
///   something in the window. One alert per resource, the top throttled key.
/// - `hot_key_suspected` (WARN): a PKC key at or over
///   `hot_key_units_per_minute` (per minute, whatever the period) in at least
///   `hot_key_minutes` of the report's last `hot_key_window` datapoints. Not
///   repeated for a key already confirmed on the same resource.
/// - `skew` (INFO): a PKC key's units over the window / (RCU + 3 x WCU
///   consumed by the resource over the window) >= `skew_share`.
/// - `gsi_back_pressure` (WARN): a GSI's WriteThrottleEvents above 0 in
///   datapoints where no PKT/SKT list (the table's or the GSI's) has a key:
///   Contributor Insights does not count writes throttled by a GSI.
/// - `capacity_near_limit` (WARN): consumed units/s over `capacity_share` of
///   the provisioned capacity (or on-demand maximum) at some point.
/// - `latency_p99` (WARN): a p99 SuccessfulRequestLatency point over
///   `latency_p99_ms`, per operation.
/// - `system_errors` (CRITICAL): a SystemErrors point >= `system_errors`,
///   per operation.
pub fn evaluate(data: &MetricsData, reports: &[RuleReport], cfg: &AlertConfig) -> Vec<Alert> {
    let ctx = Ctx { data, reports, cfg };
    let mut out = Vec::new();
    ctx.hot_key_confirmed(&mut out);
    ctx.hot_key_suspected(&mut out);
    ctx.skew(&mut out);
    ctx.gsi_back_pressure(&mut out);
    ctx.capacity_near_limit(&mut out);
    ctx.latency_p99(&mut out);
    ctx.system_errors(&mut out);
    out.sort_by(|a, b| {
        b.time
            .cmp(&a.time)
            .then(b.severity.cmp(&a.severity))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.resource.cmp(&b.resource))
            .then_with(|| a.title.cmp(&b.title))
    });
    out
}

struct Ctx<'a> {
    data: &'a MetricsData,
    reports: &'a [RuleReport],
    cfg: &'a AlertConfig,
}

impl Ctx<'_> {
    fn period(&self) -> i64 {
        i64::from(self.data.period.max(60))
    }

    /// The table, the target's GSIs, then any other resource a series or a
    /// report is about.
    fn resources(&self) -> Vec<Resource> {
        let mut v: Vec<Resource> = std::iter::once(Resource::Table)
            .chain(self.data.target.gsis.iter().cloned().map(Resource::Gsi))
            .collect();
        let more = self
            .data
            .series
            .iter()
            .map(|s| &s.key.resource)
            .chain(self.reports.iter().map(|r| &r.resource));
        for r in more {
            if !v.contains(r) {
                v.push(r.clone());
            }
        }
        v
    }

    /// A resource-wide series (no Operation), the Sum if there are several.
    fn series(&self, r: &Resource, metric: &str) -> Option<&Series> {
        self.data.find(r, metric, None, "Sum").or_else(|| {
            self.data.series.iter().find(|s| {
                &s.key.resource == r && s.key.metric == metric && s.key.operation.is_none()
            })
        })
    }

    fn points(&self, r: &Resource, metric: &str) -> &[(i64, f64)] {
        self.series(r, metric).map_or(&[], |s| s.points.as_slice())
    }

    /// Consumed capacity as units per second (the fetcher divides the Sum
    /// by the period and says `units/s`; a plain Sum is divided here).
    fn per_second(&self, s: &Series) -> Vec<(i64, f64)> {
        let div = if s.unit.ends_with("/s") {
            1.0
        } else {
            self.period() as f64
        };
        s.points.iter().map(|&(t, v)| (t, v / div)).collect()
    }

    /// Consumed units over the window (RCU or WCU, not weighted).
    fn units_total(&self, r: &Resource, metric: &str) -> Option<f64> {
        let s = self.series(r, metric)?;
        let mul = if s.unit.ends_with("/s") {
            self.period() as f64
        } else {
            1.0
        };
        Some(s.points.iter().map(|(_, v)| v * mul).sum())
    }

    fn in_window(&self, t: i64) -> bool {
        t >= self.data.start && t < self.data.end
    }

    /// PKT then SKT reports of `r`, with the contributors active in the window.
    fn throttled_keys(&self, r: &Resource) -> Vec<(&RuleReport, &Contributor)> {
        let mut reps: Vec<&RuleReport> = self
            .reports
            .iter()
            .filter(|rep| &rep.resource == r && rep.kind.is_throttled())
            .collect();
        reps.sort_by_key(|rep| rep.kind == RuleKind::Skt);
        reps.into_iter()
            .flat_map(|rep| {
                rep.contributors
                    .iter()
                    .filter(|c| c.active_in(self.data.start, self.data.end))
                    .map(move |c| (rep, c))
            })
            .collect()
    }

    fn hot_key_confirmed(&self, out: &mut Vec<Alert>) {
        for r in self.resources() {
            let read = Stats::of(self.points(&r, "ReadKeyRangeThroughputThrottleEvents"), 0.0);
            let write = Stats::of(
                self.points(&r, "WriteKeyRangeThroughputThrottleEvents"),
                0.0,
            );
            let Some(both) = Stats::merge(&read, &write) else {
                continue;
            };
            let keys = self.throttled_keys(&r);
            let Some((rep, top)) = keys.first() else {
                continue;
            };
            let who = resource_label(&r);
            let mut dirs = Vec::new();
            if let Some(w) = &write {
                dirs.push(format!("{} write", num(w.total)));
            }
            if let Some(rd) = &read {
                dirs.push(format!("{} read", num(rd.total)));
            }
            let (start, end) = (self.data.start, self.data.end);
            let others: Vec<String> = keys
                .iter()
                .filter(|(r, c)| r.rule == rep.rule && c.keys != top.keys)
                .take(3)
                .map(|(_, c)| format!("{} ({})", c.key_label(), num(c.total_in(start, end))))
                .collect();
            let mut also = if others.is_empty() {
                String::new()
            } else {
                format!("; also {}", others.join(", "))
            };
            // The SKT rule names the sort key of a PKT key.
            if rep.kind == RuleKind::Pkt
                && let Some((_, c)) = keys.iter().find(|(r, c)| {
                    r.kind == RuleKind::Skt && c.keys.len() > 1 && c.keys[0] == top.keys[0]
                })
            {
                also.push_str(&format!("; SKT narrows it to sort key {}", c.keys[1]));
            }
            let fix = match (&read, &write) {
                (Some(_), None) => "cache its reads or spread them over more keys",
                (None, Some(_)) => {
                    "spread its writes over more keys (write sharding) or batch them"
                }
                _ => "spread its writes (write sharding) and cache its reads",
            };
            let detail = format!(
                "{who}: {} key-range throttle events {} (peak {} at {}). Contributor Insights ({}) lists {} with {} throttled requests in the window{also}. \
                 One partition serves at most 3,000 RCU and 1,000 WCU per second whatever the table's capacity. \
                 Open its partition to see what reads or writes it, then {fix}.",
                dirs.join(" and "),
                both.span(),
                num(both.peak),
                fmt_time(both.peak_at),
                rep.kind.plain(),
                top.key_label(),
                num(top.total_in(self.data.start, self.data.end)),
            );
            out.push(Alert {
                severity: Severity::Critical,
                time: both.last,
                rule: "hot_key_confirmed".into(),
                resource: r.clone(),
                title: format!("Hot key {} throttled on {who}", top.key_label()),
                detail,
                key: Some(top.keys.clone()),
            });
        }
    }

    fn hot_key_suspected(&self, out: &mut Vec<Alert>) {
        let cfg = self.cfg;
        if cfg.hot_key_window == 0 || cfg.hot_key_minutes == 0 {
            return;
        }
        let p = self.period();
        let confirmed: Vec<(Resource, Vec<String>)> = out
            .iter()
            .filter(|a| a.rule == "hot_key_confirmed")
            .filter_map(|a| Some((a.resource.clone(), a.key.clone()?)))
            .collect();
        for rep in self.reports.iter().filter(|r| r.kind == RuleKind::Pkc) {
            let Some(last) = rep
                .contributors
                .iter()
                .flat_map(|c| c.datapoints.iter().map(|(t, _)| *t))
                .filter(|t| self.in_window(*t))
                .max()
            else {
                continue;
            };
            let slots: Vec<i64> = (0..cfg.hot_key_window as i64)
                .map(|k| last - k * p)
                .collect();
            let who = resource_label(&rep.resource);
            let key_range = self
                .points(&rep.resource, "ReadKeyRangeThroughputThrottleEvents")
                .iter()
                .chain(self.points(&rep.resource, "WriteKeyRangeThroughputThrottleEvents"))
                .any(|(_, v)| *v > 0.0);
            for c in &rep.contributors {
                if confirmed
                    .iter()
                    .any(|(r, k)| r == &rep.resource && k == &c.keys)
                {
                    continue;
                }
                let per_minute: Vec<(i64, f64)> = slots
                    .iter()
                    .map(|&s| {
                        let v: f64 = c
                            .datapoints
                            .iter()
                            .filter(|(t, _)| *t >= s && *t < s + p)
                            .map(|(_, v)| v)
                            .sum();
                        (s, v * 60.0 / p as f64)
                    })
                    .collect();
                let hits: Vec<&(i64, f64)> = per_minute
                    .iter()
                    .filter(|(_, v)| *v >= cfg.hot_key_units_per_minute)
                    .collect();
                if hits.len() < cfg.hot_key_minutes {
                    continue;
                }
                let Some(&&(peak_at, peak)) = hits.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
                    continue;
                };
                let time = hits.iter().map(|(t, _)| *t).max().unwrap_or(last);
                let throttles = if key_range {
                    format!(
                        "{who} also has key-range throttles: look for it in the throttled keys."
                    )
                } else {
                    format!("{who} has no key-range throttling yet.")
                };
                let detail = format!(
                    "{} consumed at least {} units per minute in {} of the last {} datapoints up to {} on {who} (peak {} per minute at {}, {:.0}% of the {} a single partition can serve). {throttles} \
                     Open its partition to see what reads or writes it; cache hot reads, spread hot writes over more keys.",
                    c.key_label(),
                    num(cfg.hot_key_units_per_minute),
                    hits.len(),
                    cfg.hot_key_window,
                    fmt_time(last),
                    num(peak),
                    fmt_time(peak_at),
                    100.0 * peak / PARTITION_UNITS_PER_MINUTE,
                    num(PARTITION_UNITS_PER_MINUTE),
                );
                out.push(Alert {
                    severity: Severity::Warn,
                    time,
                    rule: "hot_key_suspected".into(),
                    resource: rep.resource.clone(),
                    title: format!("Suspected hot key {} on {who}", c.key_label()),
                    detail,
                    key: Some(c.keys.clone()),
                });
            }
        }
    }

    fn skew(&self, out: &mut Vec<Alert>) {
        let (start, end) = (self.data.start, self.data.end);
        for rep in self.reports.iter().filter(|r| r.kind == RuleKind::Pkc) {
            let r = &rep.resource;
            let rcu = self.units_total(r, "ConsumedReadCapacityUnits");
            let wcu = self.units_total(r, "ConsumedWriteCapacityUnits");
            if rcu.is_none() && wcu.is_none() {
                continue;
            }
            let (rcu, wcu) = (rcu.unwrap_or(0.0), wcu.unwrap_or(0.0));
            let total = rcu + 3.0 * wcu;
            if total <= 0.0 {
                continue;
            }
            let who = resource_label(r);
            for c in &rep.contributors {
                let units = c.total_in(start, end);
                let share = units / total;
                if share.is_nan() || share < self.cfg.skew_share {
                    continue;
                }
                let time = c
                    .datapoints
                    .iter()
                    .filter(|(t, v)| self.in_window(*t) && *v > 0.0)
                    .map(|(t, _)| *t)
                    .max()
                    .unwrap_or(end - self.period());
                let detail = format!(
                    "{} consumed about {} of the {} units (RCU + 3 x WCU: {} RCU, {} WCU) {who} consumed from {} to {}: {:.0}% of the traffic on one partition key. \
                     Adaptive capacity isolates a busy key, but one key still caps at 3,000 RCU and 1,000 WCU per second. \
                     Open its partition to see what reads or writes it; if it keeps growing, cache its reads or spread it over more keys.",
                    c.key_label(),
                    num(units),
                    num(total),
                    num(rcu),
                    num(wcu),
                    fmt_time(start),
                    fmt_time(end),
                    100.0 * share.min(1.0),
                );
                out.push(Alert {
                    severity: Severity::Info,
                    time,
                    rule: "skew".into(),
                    resource: r.clone(),
                    title: format!(
                        "{} takes {:.0}% of {who} traffic",
                        c.key_label(),
                        100.0 * share.min(1.0)
                    ),
                    detail,
                    key: Some(c.keys.clone()),
                });
            }
        }
    }

    fn gsi_back_pressure(&self, out: &mut Vec<Alert>) {
        let p = self.period();
        let slot = |t: i64| (t - self.data.start).div_euclid(p);
        for r in self.resources() {
            let Resource::Gsi(g) = &r else { continue };
            let throttles = self.points(&r, "WriteThrottleEvents");
            if !throttles.iter().any(|(_, v)| *v > 0.0) {
                continue;
            }
            // Datapoints where Contributor Insights saw a throttled key on
            // the table or this GSI; a key without datapoints covers all.
            let listed: Vec<(&RuleReport, &Contributor)> = self
                .throttled_keys(&Resource::Table)
                .into_iter()
                .chain(self.throttled_keys(&r))
                .collect();
            if listed.iter().any(|(_, c)| c.datapoints.is_empty()) {
                continue;
            }
            let explained: BTreeSet<i64> = listed
                .iter()
                .flat_map(|(_, c)| c.datapoints.iter())
                .filter(|(_, v)| *v > 0.0)
                .map(|(t, _)| slot(*t))
                .collect();
            let unexplained: Vec<(i64, f64)> = throttles
                .iter()
                .copied()
                .filter(|(t, v)| *v > 0.0 && !explained.contains(&slot(*t)))
                .collect();
            let Some(st) = Stats::of(&unexplained, 0.0) else {
                continue;
            };
            let who = resource_label(&r);
            let reasons: Vec<String> = [
                (
                    "WriteProvisionedThroughputThrottleEvents",
                    "provisioned capacity",
                ),
                ("WriteKeyRangeThroughputThrottleEvents", "key range"),
                (
                    "WriteMaxOnDemandThroughputThrottleEvents",
                    "on-demand maximum",
                ),
            ]
            .iter()
            .filter_map(|(m, label)| {
                let n: f64 = self.points(&r, m).iter().map(|(_, v)| v).sum();
                (n > 0.0).then(|| format!("{} {label}", num(n)))
            })
            .collect();
            let reasons = if reasons.is_empty() {
                String::new()
            } else {
                format!(" By reason: {}.", reasons.join(", "))
            };
            let capacity = self.capacity_note(&r, "Write");
            let fix = if self.data.target.provisioned {
                format!("raise {g} write capacity (or its auto scaling maximum)")
            } else {
                format!("raise {g}'s on-demand maximum write request units")
            };
            let detail = format!(
                "{who}: {} write throttle events {} (peak {} at {}) with no throttled key listed by Contributor Insights at those times: it does not count writes throttled by a GSI. \
                 A GSI short of write capacity throttles every table write that updates it (reason IndexWriteProvisionedThroughputExceeded), so the table's ThrottledRequests rise too.{reasons}{capacity} \
                 Look at what writes {g}'s keys, then {fix}.",
                num(st.total),
                st.span(),
                num(st.peak),
                fmt_time(st.peak_at),
            );
            out.push(Alert {
                severity: Severity::Warn,
                time: st.last,
                rule: "gsi_back_pressure".into(),
                resource: r.clone(),
                title: format!("{who} write throttling is back-pressuring the table"),
                detail,
                key: None,
            });
        }
    }

    /// ` Consumed peaked at X WCU/s against Y provisioned.` for a detail.
    fn capacity_note(&self, r: &Resource, dir: &str) -> String {
        let Some((limit, what)) = self.limit_series(r, dir) else {
            return String::new();
        };
        let Some(consumed) = self.series(r, &format!("Consumed{dir}CapacityUnits")) else {
            return String::new();
        };
        let consumed = self.per_second(consumed);
        let peak = consumed.iter().map(|(_, v)| *v).fold(f64::NAN, f64::max);
        let lim = limit.points.last().map(|(_, v)| *v);
        match lim {
            Some(l) if peak.is_finite() => format!(
                " Consumed peaked at {} {}CU/s against {} {what}.",
                num(peak),
                &dir[..1],
                num(l)
            ),
            _ => String::new(),
        }
    }

    /// The limit series for `dir` (`Read`/`Write`) and how to name it.
    fn limit_series(&self, r: &Resource, dir: &str) -> Option<(&Series, &'static str)> {
        let prov = self
            .series(r, &format!("Provisioned{dir}CapacityUnits"))
            .filter(|s| !s.points.is_empty())
            .map(|s| (s, "provisioned"));
        let od = self
            .series(r, &format!("OnDemandMax{dir}RequestUnits"))
            .filter(|s| !s.points.is_empty())
            .map(|s| (s, "on-demand maximum"));
        if self.data.target.provisioned {
            prov.or(od)
        } else {
            od.or(prov)
        }
    }

    fn capacity_near_limit(&self, out: &mut Vec<Alert>) {
        let share = self.cfg.capacity_share;
        for r in self.resources() {
            for (dir, lower) in [("Read", "read"), ("Write", "write")] {
                let Some(consumed) = self.series(&r, &format!("Consumed{dir}CapacityUnits")) else {
                    continue;
                };
                let Some((limit, what)) = self.limit_series(&r, dir) else {
                    continue;
                };
                let limit_at = |t: i64| {
                    limit
                        .points
                        .iter()
                        .rev()
                        .find(|(lt, _)| *lt <= t)
                        .or(limit.points.first())
                        .map(|(_, v)| *v)
                };
                let points = self.per_second(consumed);
                let over: Vec<(i64, f64, f64)> = points
                    .iter()
                    .filter_map(|&(t, v)| {
                        let l = limit_at(t).filter(|l| *l > 0.0)?;
                        (v > share * l).then_some((t, v, l))
                    })
                    .collect();
                let Some(&(peak_at, peak, peak_limit)) = over
                    .iter()
                    .max_by(|a, b| (a.1 / a.2).total_cmp(&(b.1 / b.2)))
                else {
                    continue;
                };
                let last = over.iter().map(|(t, _, _)| *t).max().unwrap_or(peak_at);
                let who = resource_label(&r);
                let short = &dir[..1];
                let fix = if what == "provisioned" {
                    format!(
                        "raise {who} {lower} capacity (or its auto scaling maximum) before it throttles"
                    )
                } else {
                    format!(
                        "raise {who}'s on-demand maximum {lower} request units before it throttles"
                    )
                };
                let detail = format!(
                    "{who} consumed {} {short}CU/s at {}, {:.0}% of its {what} {}; over {:.0}% in {} of {} datapoints (last at {}). \
                     Look at what drives {lower}s in those minutes, then {fix}.",
                    num(peak),
                    fmt_time(peak_at),
                    100.0 * peak / peak_limit,
                    num(peak_limit),
                    100.0 * share,
                    over.len(),
                    points.len(),
                    fmt_time(last),
                );
                out.push(Alert {
                    severity: Severity::Warn,
                    time: last,
                    rule: "capacity_near_limit".into(),
                    resource: r.clone(),
                    title: format!(
                        "{who} {lower} capacity at {:.0}% of {what}",
                        100.0 * peak / peak_limit
                    ),
                    detail,
                    key: None,
                });
            }
        }
    }

    fn latency_p99(&self, out: &mut Vec<Alert>) {
        let thr = self.cfg.latency_p99_ms;
        for s in self.data.series.iter().filter(|s| {
            s.key.metric == "SuccessfulRequestLatency" && s.key.stat.eq_ignore_ascii_case("p99")
        }) {
            let over: Vec<(i64, f64)> =
                s.points.iter().copied().filter(|(_, v)| *v > thr).collect();
            let Some(st) = Stats::of(&over, f64::NEG_INFINITY) else {
                continue;
            };
            let op = s.key.operation.as_deref().unwrap_or("all operations");
            let who = resource_label(&s.key.resource);
            let detail = format!(
                "{op} p99 server-side latency on {who} peaked at {} ms at {}; over {} ms in {} of {} datapoints (last at {}). \
                 Look at item sizes, Query/Scan page sizes and filters, transactions and throttling in the same minutes; clients see this plus network time and retries.",
                num(st.peak),
                fmt_time(st.peak_at),
                num(thr),
                over.len(),
                s.points.len(),
                fmt_time(st.last),
            );
            out.push(Alert {
                severity: Severity::Warn,
                time: st.last,
                rule: "latency_p99".into(),
                resource: s.key.resource.clone(),
                title: format!(
                    "{op} p99 latency {} ms (over {} ms)",
                    num(st.peak),
                    num(thr)
                ),
                detail,
                key: None,
            });
        }
    }

    fn system_errors(&self, out: &mut Vec<Alert>) {
        let thr = self.cfg.system_errors;
        for s in self
            .data
            .series
            .iter()
            .filter(|s| s.key.metric == "SystemErrors")
        {
            let over: Vec<(i64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(_, v)| *v >= thr && *v > 0.0)
                .collect();
            let Some(st) = Stats::of(&over, 0.0) else {
                continue;
            };
            let total: f64 = s.points.iter().map(|(_, v)| v).sum();
            let op = s.key.operation.as_deref().unwrap_or("all operations");
            let detail = format!(
                "{} SystemErrors (HTTP 500) on {op} in the window, {} at or over {} per datapoint {} (peak {} at {}). \
                 These fail inside DynamoDB: the SDK retries them. Check the AWS Health Dashboard for the region; open a support case if they persist.",
                num(total),
                num(st.total),
                num(thr),
                st.span(),
                num(st.peak),
                fmt_time(st.peak_at),
            );
            out.push(Alert {
                severity: Severity::Critical,
                time: st.last,
                rule: "system_errors".into(),
                resource: s.key.resource.clone(),
                title: format!("{} system errors on {op}", num(total)),
                detail,
                key: None,
            });
        }
    }
}

/// Sum, first/last time and peak of the points over a floor.
#[derive(Debug, Clone, Copy)]
struct Stats {
    total: f64,
    first: i64,
    last: i64,
    peak: f64,
    peak_at: i64,
}

impl Stats {
    /// `None` when no point is over `floor`.
    fn of(points: &[(i64, f64)], floor: f64) -> Option<Stats> {
        let mut st: Option<Stats> = None;
        for &(t, v) in points.iter().filter(|(_, v)| *v > floor) {
            let s = st.get_or_insert(Stats {
                total: 0.0,
                first: t,
                last: t,
                peak: v,
                peak_at: t,
            });
            s.total += v;
            s.first = s.first.min(t);
            s.last = s.last.max(t);
            if v > s.peak {
                s.peak = v;
                s.peak_at = t;
            }
        }
        st
    }

    /// Both together (totals added, the larger peak).
    fn merge(a: &Option<Stats>, b: &Option<Stats>) -> Option<Stats> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Stats {
                total: a.total + b.total,
                first: a.first.min(b.first),
                last: a.last.max(b.last),
                peak: a.peak.max(b.peak),
                peak_at: if b.peak > a.peak {
                    b.peak_at
                } else {
                    a.peak_at
                },
            }),
            (Some(s), None) | (None, Some(s)) => Some(*s),
            (None, None) => None,
        }
    }

    /// `at 14:03Z` or `from 14:03Z to 14:20Z`.
    fn span(&self) -> String {
        if self.first == self.last {
            format!("at {}", fmt_time(self.first))
        } else {
            format!("from {} to {}", fmt_time(self.first), fmt_time(self.last))
        }
    }
}

/// `180,000`, `42`, `2.5`, `0.03`.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a >= 100.0 || (v.fract() == 0.0) {
        let n = v.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut s = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                s.push(',');
            }
            s.push(c);
        }
        if n < 0 { format!("-{s}") } else { s }
    } else if a >= 1.0 {
        let s = format!("{v:.1}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(num(180_000.0), "180,000");
        assert_eq!(num(1234567.4), "1,234,567");
        assert_eq!(num(42.0), "42");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(0.03), "0.03");
        assert_eq!(num(-1500.0), "-1,500");
        assert_eq!(num(0.0), "0");
    }

    #[test]
    fn severity_orders() {
        assert!(Severity::Critical > Severity::Warn && Severity::Warn > Severity::Info);
        let cfg: AlertConfig = serde_json::from_str(r#"{"skew_share": 0.5}"#).unwrap();
        assert_eq!(cfg.skew_share, 0.5);
        assert_eq!(cfg.hot_key_minutes, 3);
        // Files written before hot_write_min_writes existed still load.
        assert_eq!(cfg.hot_write_min_writes, 20);
        let cfg: AlertConfig = serde_json::from_str(r#"{"hot_write_min_writes": 5}"#).unwrap();
        assert_eq!(cfg.hot_write_min_writes, 5);
    }
}
