//! Throttle sparklines for the tables list: read plus write throttle events
//! of every listed table over the last hour, in 5-minute steps, from one
//! GetMetricData call (two queries a table, 250 tables a call).

use std::collections::HashMap;

use aws_sdk_cloudwatch::Client;

use super::fetch::fetch_specs;
use super::queries::{NAMESPACE, QuerySpec};
use super::{MetricsError, Resource, SeriesKey, Snapshot};
use crate::dynamo::error::ConnContext;

/// Seconds per sparkline bar.
pub const STEP: i32 = 300;
/// Bars per sparkline (one hour).
pub const BARS: usize = 12;

fn spec(i: usize, table: &str, metric: &str) -> QuerySpec {
    QuerySpec {
        id: format!(
            "s{i}_{}",
            if metric.starts_with("Read") { "r" } else { "w" }
        ),
        key: SeriesKey {
            resource: Resource::Table,
            metric: metric.to_string(),
            operation: None,
            stat: "Sum".into(),
        },
        label: format!("{table} {metric}"),
        unit: "count".into(),
        namespace: NAMESPACE.into(),
        dimensions: vec![("TableName".into(), table.to_string())],
        period: STEP,
        fill_zero: true,
        per_second: false,
    }
}

/// Throttle events (read + write) per table, oldest bar first.
pub async fn throttles(
    cw: &Client,
    ctx: &ConnContext,
    tables: &[String],
    now: i64,
) -> Result<HashMap<String, Vec<f64>>, MetricsError> {
    let end = now - now.rem_euclid(i64::from(STEP));
    let start = end - i64::from(STEP) * BARS as i64;
    let specs: Vec<QuerySpec> = tables
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            [
                spec(i, t, "ReadThrottleEvents"),
                spec(i, t, "WriteThrottleEvents"),
            ]
        })
        .collect();
    if specs.is_empty() {
        return Ok(HashMap::new());
    }
    let (series, _, _) = fetch_specs(cw, ctx, "(tables list)", &specs, start, end, STEP).await?;
    let mut out: HashMap<String, Vec<f64>> = HashMap::new();
    for (i, t) in tables.iter().enumerate() {
        let mut bars = vec![0.0; BARS];
        for s in series.iter().skip(2 * i).take(2) {
            for (ts, v) in &s.points {
                let k = ((ts - start) / i64::from(STEP)) as usize;
                if let Some(b) = bars.get_mut(k) {
                    *b += v;
                }
            }
        }
        out.insert(t.clone(), bars);
    }
    Ok(out)
}

/// The same sparkline read from a snapshot (for its table only).
pub fn from_snapshot(snap: &Snapshot) -> (String, Vec<f64>) {
    let d = &snap.data;
    let start = d.end - i64::from(STEP) * BARS as i64;
    let mut bars = vec![0.0; BARS];
    for s in d.series.iter().filter(|s| {
        s.key.resource == Resource::Table
            && s.key.operation.is_none()
            && (s.key.metric == "ReadThrottleEvents" || s.key.metric == "WriteThrottleEvents")
    }) {
        for (ts, v) in &s.points {
            if *ts >= start {
                let k = ((ts - start) / i64::from(STEP)) as usize;
                if let Some(b) = bars.get_mut(k) {
                    *b += v;
                }
            }
        }
    }
    (d.target.table.clone(), bars)
}

/// `▁▂▃▅▇` bars, all `▁` when nothing throttled.
pub fn render(bars: &[f64]) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = bars.iter().copied().fold(0.0, f64::max);
    bars.iter()
        .map(|v| {
            if max <= 0.0 || *v <= 0.0 {
                LEVELS[0]
            } else {
                let i = ((v / max) * 7.0).round() as usize;
                LEVELS[i.clamp(1, 7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_peak() {
        assert_eq!(render(&[0.0, 0.0, 0.0]), "▁▁▁");
        assert_eq!(render(&[0.0, 5.0, 10.0]), "▁▅█");
        assert_eq!(render(&[1.0, 1000.0]), "▂█");
    }
}
