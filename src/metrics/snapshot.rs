//! Snapshots: everything the metrics view showed at one moment (series,
//! Contributor Insights status and reports, alerts) saved as JSON to share
//! or replay, and the crafted demo incident shipped as
//! `config/demo/incident.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::alerts::{Alert, AlertConfig, evaluate};
use super::insights::{Contributor, InsightsStatus, RuleKind, RuleReport};
use super::queries::build_queries;
use super::{MetricsData, Range, Resource, SeriesKey, Target};
use crate::dynamo::error::ConnContext;

/// The snapshot format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The time `config/demo/incident.json` was generated for (2026-11-20 14:00Z).
pub const DEMO_INCIDENT_AT: i64 = 1_795_183_200;

/// The shipped demo incident, relative to the crate root.
pub const DEMO_INCIDENT_PATH: &str = "config/demo/incident.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`FORMAT`].
    pub format: u32,
    /// Epoch seconds.
    pub captured_at: i64,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub data: MetricsData,
    pub statuses: Vec<InsightsStatus>,
    pub reports: Vec<RuleReport>,
    pub alerts: Vec<Alert>,
}

impl Snapshot {
    /// A snapshot of one refresh, alerts evaluated with `cfg`, captured at
    /// the data's fetch time.
    pub fn capture(
        ctx: &ConnContext,
        data: MetricsData,
        statuses: Vec<InsightsStatus>,
        reports: Vec<RuleReport>,
        cfg: &AlertConfig,
    ) -> Snapshot {
        let alerts = evaluate(&data, &reports, cfg);
        Snapshot {
            format: FORMAT,
            captured_at: data.fetched_at,
            endpoint: ctx.endpoint.clone(),
            region: ctx.region.clone(),
            data,
            statuses,
            reports,
            alerts,
        }
    }

    /// Pretty-printed JSON with a final newline (what [`Snapshot::save`] writes).
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string_pretty(self)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| format!("cannot encode the snapshot: {e}"))
    }

    /// Writes the snapshot (through a temporary file next to it, then a
    /// rename), creating the directory if needed.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = self.to_json()?;
        crate::files::write_atomic(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Reads a snapshot; errors name the file, and the line and column of
    /// JSON errors.
    pub fn load(path: &Path) -> Result<Snapshot, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let snap: Snapshot = serde_json::from_str(&text).map_err(|e| {
            let msg = e.to_string();
            let msg = match msg.rfind(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            format!(
                "{}: line {}, column {}: {msg} (not a dyntui snapshot?)",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if snap.format != FORMAT {
            return Err(format!(
                "{}: snapshot format {} is not supported (this dyntui reads format {FORMAT})",
                path.display(),
                snap.format
            ));
        }
        Ok(snap)
    }
}

// ------------------------------------------------------------------ the demo incident

const DEMO_TABLE: &str = "dyntui-demo";
const HOT_PK: &str = "CUSTOMER#c00243";
/// Minutes (from the start of the hour) of the hot-partition incident.
const HOT: std::ops::RangeInclusive<i64> = 10..=30;
/// Minutes of the GSI2 write back-pressure.
const GSI2_BUSY: std::ops::RangeInclusive<i64> = 40..=55;

/// SplitMix64: a tiny deterministic generator (values must not depend on
/// any crate's algorithm choices, the shipped JSON is compared byte for byte).
struct Mix(u64);

impl Mix {
    fn new(seed: i64, name: &str) -> Mix {
        // The stable hash of the name, mixed with the seed.
        let h = crate::dynamo::hash::fnv64(name.as_bytes());
        Mix(h ^ (seed as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Throttle events of the incidents at minute `i`, the same in every
/// series that counts them: (hot-key write events, GSI2 write events).
fn demo_throttles(seed: i64, i: i64) -> (f64, f64) {
    let hot = if HOT.contains(&i) {
        Mix::new(seed, &format!("hot throttles {i}"))
            .range(300.0, 900.0)
            .round()
    } else {
        0.0
    };
    let gsi2 = if GSI2_BUSY.contains(&i) {
        Mix::new(seed, &format!("GSI2 throttles {i}"))
            .range(40.0, 250.0)
            .round()
    } else {
        0.0
    };
    (hot, gsi2)
}

/// The value of a demo series at minute `i`, `None` for no datapoint.
fn demo_value(key: &SeriesKey, i: i64, seed: i64, rng: &mut Mix) -> Option<f64> {
    let (hot_throttles, gsi2_throttles) = demo_throttles(seed, i);
    let hot = HOT.contains(&i);
    let busy = GSI2_BUSY.contains(&i);
    let gsi = match &key.resource {
        Resource::Table => None,
        Resource::Gsi(g) => Some(g.as_str()),
    };
    let op = key.operation.as_deref();
    let v = match (gsi, key.metric.as_str()) {
        (None, "ConsumedReadCapacityUnits") => {
            rng.range(1400.0, 1600.0) + if hot { 300.0 } else { 0.0 }
        }
        (None, "ConsumedWriteCapacityUnits") => {
            rng.range(560.0, 640.0) + if hot { rng.range(960.0, 1000.0) } else { 0.0 }
        }
        (Some("GSI1"), "ConsumedReadCapacityUnits") => rng.range(170.0, 230.0),
        (Some("GSI1"), "ConsumedWriteCapacityUnits") => rng.range(130.0, 170.0),
        (Some(_), "ConsumedReadCapacityUnits") => rng.range(70.0, 90.0),
        (Some(_), "ConsumedWriteCapacityUnits") => {
            if busy {
                rng.range(95.0, 100.0)
            } else {
                rng.range(37.0, 53.0)
            }
        }
        (_, "ProvisionedReadCapacityUnits" | "ProvisionedWriteCapacityUnits") => {
            if i % 5 != 0 {
                return None;
            }
            let read = key.metric.starts_with("ProvisionedRead");
            match (gsi, read) {
                (None, true) => 3000.0,
                (None, false) => 2500.0,
                (Some("GSI1"), true) => 1000.0,
                (Some("GSI1"), false) => 500.0,
                (Some(_), true) => 500.0,
                (Some(_), false) => 100.0,
            }
        }
        (None, "WriteThrottleEvents" | "WriteKeyRangeThroughputThrottleEvents") => hot_throttles,
        (Some("GSI2"), "WriteThrottleEvents" | "WriteProvisionedThroughputThrottleEvents") => {
            gsi2_throttles
        }
        (None, "ThrottledRequests") => match op {
            // Single-item writes: one throttled request per event. GSI2's
            // events split over the writes that update it.
            Some("UpdateItem") if hot => hot_throttles,
            Some("PutItem") if busy => (gsi2_throttles * 0.6).round(),
            Some("UpdateItem") if busy => (gsi2_throttles * 0.4).round(),
            _ => 0.0,
        },
        (None, "SuccessfulRequestLatency") => {
            let p99 = key.stat == "p99";
            let (lo, hi) = match op {
                Some("GetItem") => (2.5, 4.0),
                Some("Query") => (4.0, 8.0),
                Some("PutItem" | "DeleteItem") => (4.0, 6.0),
                Some("UpdateItem") => (4.5, 7.0),
                Some("BatchWriteItem") => (8.0, 14.0),
                _ => return None,
            };
            let base = rng.range(lo, hi);
            let slow = op == Some("UpdateItem") && hot;
            round1(match (p99, slow) {
                (false, _) => base,
                (true, false) => base * rng.range(3.0, 5.0),
                (true, true) => base * rng.range(8.0, 11.0),
            })
        }
        (None, "ConditionalCheckFailedRequests") => rng.range(0.0, 3.0).floor(),
        _ => 0.0,
    };
    Some(round1(v))
}

/// A crafted throttling incident on the demo table, for the demo: over one
/// hour at 60 s ending at `captured_at` (rounded down to the minute),
/// deterministic from `captured_at`.
///
/// - 13:10 to 13:30 (for a 14:00 capture): the customer partition
///   `CUSTOMER#c00243` (a seeded customer, its orders are in the demo data)
///   takes about 1,000 WCU/s, the partition maximum: table
///   WriteKeyRangeThroughputThrottleEvents, and the table's PKT/SKT rules
///   list the key (hot_key_confirmed; its share of the hour's traffic makes
///   it skew too).
/// - 13:40 to 13:55: GSI2 (100 WCU provisioned) runs at its write capacity:
///   GSI2 WriteThrottleEvents with no PKT entry anywhere (gsi_back_pressure,
///   capacity_near_limit).
///
/// The table is described as provisioned (3,000 RCU / 2,500 WCU; GSI1
/// 1,000 / 500; GSI2 500 / 100). Alerts are filled by [`evaluate`] with the
/// default thresholds.
pub fn demo_incident(captured_at: i64) -> Snapshot {
    let end = captured_at - captured_at.rem_euclid(60);
    let start = end - 3600;
    let period = 60;
    let target = Target {
        table: DEMO_TABLE.into(),
        gsis: vec!["GSI1".into(), "GSI2".into()],
        provisioned: true,
    };
    let minutes = 0..60i64;
    let series = build_queries(&target, period)
        .into_iter()
        .map(|q| {
            let mut rng = Mix::new(captured_at, &q.id);
            let points = minutes
                .clone()
                .filter_map(|i| {
                    demo_value(&q.key, i, captured_at, &mut rng).map(|v| (start + 60 * i, v))
                })
                .collect();
            super::Series {
                key: q.key,
                label: q.label,
                unit: q.unit,
                points,
            }
        })
        .collect();
    let data = MetricsData {
        target,
        range: Range::H1,
        start,
        end,
        period,
        series,
        fetched_at: captured_at,
        partial: false,
        calls: 1,
    };

    // Contributor Insights: enabled a month earlier.
    let created = (captured_at - 30 * 86_400) * 1000;
    let rule =
        |kind: &str, who: &str| format!("DynamoDBContributorInsights-{kind}-{who}-{created}");
    let table_rules: Vec<String> = ["PKC", "SKC", "PKT", "SKT"]
        .iter()
        .map(|k| rule(k, DEMO_TABLE))
        .collect();
    let gsi_rules = |g: &str| -> Vec<String> {
        ["PKT", "SKT"]
            .iter()
            .map(|k| rule(k, &format!("{DEMO_TABLE}-{g}")))
            .collect()
    };
    let statuses = vec![
        InsightsStatus {
            resource: Resource::Table,
            status: "ENABLED".into(),
            mode: Some("ACCESSED_AND_THROTTLED_KEYS".into()),
            failure: None,
            rules: table_rules.clone(),
        },
        InsightsStatus {
            resource: Resource::Gsi("GSI1".into()),
            status: "ENABLED".into(),
            mode: Some("THROTTLED_KEYS".into()),
            failure: None,
            rules: gsi_rules("GSI1"),
        },
        InsightsStatus {
            resource: Resource::Gsi("GSI2".into()),
            status: "ENABLED".into(),
            mode: Some("THROTTLED_KEYS".into()),
            failure: None,
            rules: gsi_rules("GSI2"),
        },
    ];

    let contributor = |keys: &[&str], f: &mut dyn FnMut(i64) -> f64| {
        let datapoints: Vec<(i64, f64)> = minutes
            .clone()
            .map(|i| (start + 60 * i, f(i)))
            .filter(|(_, v)| *v > 0.0)
            .collect();
        Contributor {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            value: datapoints.iter().map(|(_, v)| v).sum(),
            datapoints,
        }
    };
    // The hot key's accessed units per minute: at the partition maximum
    // (1,000 WCU/s x 3 x 60 = 180,000) while hot.
    let mut hot_rng = Mix::new(captured_at, "contributor hot");
    let mut hot_units = |i: i64| {
        if HOT.contains(&i) {
            hot_rng.range(172_000.0, 180_000.0).round()
        } else {
            hot_rng.range(300.0, 700.0).round()
        }
    };
    let hot_units: Vec<f64> = minutes.clone().map(&mut hot_units).collect();
    let throttles: Vec<f64> = {
        let s = data.find(
            &Resource::Table,
            "WriteKeyRangeThroughputThrottleEvents",
            None,
            "Sum",
        );
        minutes
            .clone()
            .map(|i| {
                s.and_then(|s| s.points.iter().find(|(t, _)| *t == start + 60 * i))
                    .map_or(0.0, |(_, v)| *v)
            })
            .collect()
    };
    let others: [(&str, &str, f64); 5] = [
        ("PRODUCT#BOO-1000", "PRODUCT#BOO-1000", 9_000.0),
        ("PRODUCT#KIT-1001", "PRODUCT#KIT-1001", 6_500.0),
        ("CUSTOMER#c00017", "CUSTOMER#c00017", 4_200.0),
        ("ORDER#o000412", "ITEM#OUT-1002", 3_100.0),
        ("CUSTOMER#c00102", "CUSTOMER#c00102", 2_400.0),
    ];
    let accessed = |with_sk: bool| -> Vec<Contributor> {
        let hot: &[&str] = if with_sk {
            &[HOT_PK, HOT_PK]
        } else {
            &[HOT_PK]
        };
        let mut v = vec![contributor(hot, &mut |i| hot_units[i as usize])];
        for (pk, sk, level) in others {
            let mut rng = Mix::new(captured_at, &format!("contributor {pk} {with_sk}"));
            let keys: &[&str] = if with_sk { &[pk, sk] } else { &[pk] };
            v.push(contributor(keys, &mut |_| {
                rng.range(0.6 * level, 1.4 * level).round()
            }));
        }
        v.sort_by(|a, b| b.value.total_cmp(&a.value));
        v
    };
    let throttled = |with_sk: bool| -> Vec<Contributor> {
        let keys: &[&str] = if with_sk {
            &[HOT_PK, HOT_PK]
        } else {
            &[HOT_PK]
        };
        // Throttled requests: about one per throttle event (single-item writes).
        vec![contributor(keys, &mut |i| throttles[i as usize])]
    };
    let units_total = {
        let sum = |m: &str| {
            data.find(&Resource::Table, m, None, "Sum")
                .map_or(0.0, |s| s.points.iter().map(|(_, v)| v * 60.0).sum::<f64>())
        };
        (sum("ConsumedReadCapacityUnits") + 3.0 * sum("ConsumedWriteCapacityUnits")).round()
    };
    let report = |rule: &str,
                  kind: RuleKind,
                  resource: Resource,
                  labels: &[&str],
                  contributors: Vec<Contributor>| {
        let aggregate = if kind.is_throttled() {
            contributors.iter().map(|c| c.value).sum()
        } else {
            units_total
        };
        RuleReport {
            rule: rule.to_string(),
            kind,
            resource,
            key_labels: labels.iter().map(|l| l.to_string()).collect(),
            aggregate: Some(aggregate),
            contributors,
        }
    };
    let mut reports = vec![
        report(
            &table_rules[0],
            RuleKind::Pkc,
            Resource::Table,
            &["PK"],
            accessed(false),
        ),
        report(
            &table_rules[1],
            RuleKind::Skc,
            Resource::Table,
            &["PK", "SK"],
            accessed(true),
        ),
        report(
            &table_rules[2],
            RuleKind::Pkt,
            Resource::Table,
            &["PK"],
            throttled(false),
        ),
        report(
            &table_rules[3],
            RuleKind::Skt,
            Resource::Table,
            &["PK", "SK"],
            throttled(true),
        ),
    ];
    for g in ["GSI1", "GSI2"] {
        let names = gsi_rules(g);
        let pk = format!("{g}PK");
        let sk = format!("{g}SK");
        reports.push(report(
            &names[0],
            RuleKind::Pkt,
            Resource::Gsi(g.into()),
            &[pk.as_str()],
            Vec::new(),
        ));
        reports.push(report(
            &names[1],
            RuleKind::Skt,
            Resource::Gsi(g.into()),
            &[pk.as_str(), sk.as_str()],
            Vec::new(),
        ));
    }

    let alerts = evaluate(&data, &reports, &AlertConfig::default());
    Snapshot {
        format: FORMAT,
        captured_at,
        endpoint: None,
        region: Some("us-east-1".into()),
        data,
        statuses,
        reports,
        alerts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_incident_is_deterministic_and_alerts() {
        let a = demo_incident(DEMO_INCIDENT_AT);
        assert_eq!(a, demo_incident(DEMO_INCIDENT_AT));
        assert_ne!(
            a.data.series,
            demo_incident(DEMO_INCIDENT_AT + 3600).data.series
        );
        let rules: Vec<&str> = a.alerts.iter().map(|x| x.rule.as_str()).collect();
        assert!(rules.contains(&"hot_key_confirmed"), "{rules:?}");
        assert!(rules.contains(&"gsi_back_pressure"), "{rules:?}");
        assert!(!rules.contains(&"system_errors"), "{rules:?}");
    }
}
