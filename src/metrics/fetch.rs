//! Fetching the series of [`build_queries`] with CloudWatch GetMetricData.
//!
//! One GetMetricData call per 500 queries (the API limit), NextToken
//! followed to the end, never GetMetricStatistics, never a Unit (a unit
//! mismatch returns nothing).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::SdkError;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::queries::{QuerySpec, build_queries};
use super::{MetricsData, MetricsError, Range, Series, Target};
use crate::dynamo::error::ConnContext;

/// GetMetricData accepts at most this many queries per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// A safety net against a service that keeps returning NextToken.
const MAX_PAGES_PER_CALL: u32 = 200;

/// The permission the metrics view needs.
pub const PERMISSION: &str = "cloudwatch:GetMetricData";

/// Fetches everything for `target` over `range` at `now` (epoch seconds).
///
/// As few GetMetricData calls as possible (queries in chunks of 500, chunks
/// fetched concurrently), NextToken followed to the end, results merged by
/// query id. The start is rounded down to a multiple of the period so the
/// grid is `start, start + period, ... < end`; returned timestamps are
/// snapped onto that grid and points outside `[start, end)` dropped.
/// `fill_zero` series get 0 where a grid point is missing, `per_second`
/// values are divided by the period, points are ascending. No Unit is ever
/// set. `partial` is true when a query's last page still said PartialData
/// (or Forbidden / InternalError), or a query got no result at all. `calls`
/// counts GetMetricData calls (pages included).
pub async fn fetch(
    cw: &Client,
    ctx: &ConnContext,
    target: &Target,
    range: Range,
    now: i64,
) -> Result<MetricsData, MetricsError> {
    let period = range.period(now);
    let p = i64::from(period.max(60));
    let (raw_start, end) = range.bounds(now);
    let start = raw_start - raw_start.rem_euclid(p);
    if end <= start {
        return Err(MetricsError::new(
            "InvalidRange",
            format!(
                "the range {} ends before it starts",
                Range::Custom {
                    start: raw_start,
                    end
                }
                .label()
            ),
        ));
    }

    let queries = build_queries(target, period);
    let (series, calls, partial) =
        fetch_specs(cw, ctx, &target.table, &queries, start, end, period).await?;

    Ok(MetricsData {
        target: target.clone(),
        range,
        start,
        end,
        period,
        series,
        fetched_at: now,
        partial,
        calls,
    })
}

/// Fetches any list of queries over [start, end) (chunks of 500 in
/// parallel, pages followed) and aligns each on the period grid. Returns the
/// series in query order, the number of calls, and whether data was partial.
pub async fn fetch_specs(
    cw: &Client,
    ctx: &ConnContext,
    table: &str,
    queries: &[QuerySpec],
    start: i64,
    end: i64,
    period: i32,
) -> Result<(Vec<Series>, u32, bool), MetricsError> {
    let p = i64::from(period.max(60));
    let chunks = queries
        .chunks(MAX_QUERIES_PER_CALL)
        .map(|chunk| fetch_chunk(cw, ctx, table, chunk, start, end));
    let results = futures::future::try_join_all(chunks).await?;

    let mut calls = 0;
    let mut partial = false;
    let mut points: HashMap<String, BTreeMap<i64, f64>> = HashMap::new();
    let mut status: HashMap<String, bool> = HashMap::new();
    for r in results {
        calls += r.calls;
        partial |= r.gave_up;
        points.extend(r.points);
        status.extend(r.incomplete);
    }

    let series = queries
        .iter()
        .map(|q| {
            match status.get(&q.id) {
                Some(incomplete) => partial |= *incomplete,
                None => partial = true,
            }
            let raw = points.remove(&q.id).unwrap_or_default();
            Series {
                key: q.key.clone(),
                label: q.label.clone(),
                unit: q.unit.clone(),
                points: align(q, raw, start, end, p),
            }
        })
        .collect();
    Ok((series, calls, partial))
}

/// What one chunk's call (all its pages) returned.
struct ChunkResult {
    calls: u32,
    /// Query id -> raw (timestamp, value), deduplicated by timestamp.
    points: HashMap<String, BTreeMap<i64, f64>>,
    /// Query id -> its last status was not Complete.
    incomplete: HashMap<String, bool>,
    /// Paging stopped by the safety net.
    gave_up: bool,
}

async fn fetch_chunk(
    cw: &Client,
    ctx: &ConnContext,
    table: &str,
    chunk: &[QuerySpec],
    start: i64,
    end: i64,
) -> Result<ChunkResult, MetricsError> {
    let queries: Vec<MetricDataQuery> = chunk.iter().map(to_query).collect();
    let mut res = ChunkResult {
        calls: 0,
        points: HashMap::new(),
        incomplete: HashMap::new(),
        gave_up: false,
    };
    let mut token: Option<String> = None;
    loop {
        let out = cw
            .get_metric_data()
            .set_metric_data_queries(Some(queries.clone()))
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .scan_by(ScanBy::TimestampAscending)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| cloudwatch_error(e, ctx, table))?;
        res.calls += 1;

        for r in out.metric_data_results() {
            let Some(id) = r.id() else { continue };
            let slot = res.points.entry(id.to_string()).or_default();
            for (t, v) in r.timestamps().iter().zip(r.values()) {
                slot.insert(t.secs(), *v);
            }
            let incomplete = !matches!(r.status_code(), Some(StatusCode::Complete) | None);
            res.incomplete.insert(id.to_string(), incomplete);
        }

        match out.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                if res.calls >= MAX_PAGES_PER_CALL {
                    res.gave_up = true;
                    break;
                }
                token = Some(next.to_string());
            }
            Some(next) if !next.is_empty() => {
                // The same token again: stop rather than loop forever.
                res.gave_up = true;
                break;
            }
            _ => break,
        }
    }
    Ok(res)
}

/// The GetMetricData query for a spec: a MetricStat, never a Unit.
pub fn to_query(q: &QuerySpec) -> MetricDataQuery {
    let dimensions = q
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let metric = Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.key.metric)
        .set_dimensions(Some(dimensions))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(q.period)
        .stat(&q.key.stat)
        .build();
    MetricDataQuery::builder()
        .id(&q.id)
        .label(&q.label)
        .metric_stat(stat)
        .return_data(true)
        .build()
}

/// Snaps raw points onto the grid `start + k * p < end`, combining points
/// that land in one slot (Sum adds, Maximum takes the larger, others keep
/// the later), fills missing slots with 0 for `fill_zero` series and divides
/// by the period for `per_second` series.
fn align(q: &QuerySpec, raw: BTreeMap<i64, f64>, start: i64, end: i64, p: i64) -> Vec<(i64, f64)> {
    let mut grid: BTreeMap<i64, f64> = BTreeMap::new();
    for (t, v) in raw {
        if t < start || t >= end || !v.is_finite() {
            continue;
        }
        let slot = start + (t - start).div_euclid(p) * p;
        grid.entry(slot)
            .and_modify(|old| {
                *old = match q.key.stat.as_str() {
                    "Sum" => *old + v,
                    "Maximum" => old.max(v),
                    _ => v,
                }
            })
            .or_insert(v);
    }
    if q.fill_zero {
        let mut t = start;
        while t < end {
            grid.entry(t).or_insert(0.0);
            t += p;
        }
    }
    let div = if q.per_second { p as f64 } else { 1.0 };
    grid.into_iter().map(|(t, v)| (t, v / div)).collect()
}

/// A CloudWatch error as an [`MetricsError`]; access denied names the
/// missing permission.
fn cloudwatch_error<E, R>(err: SdkError<E, R>, ctx: &ConnContext, table: &str) -> MetricsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut e = MetricsError::from_sdk(err, ctx, Some(table));
    if matches!(e.code.as_str(), "AccessDenied" | "AccessDeniedException") {
        let profile = ctx
            .profile
            .as_deref()
            .map(|p| format!(" (or use another --profile than {p})"))
            .unwrap_or_default();
        e.hint = Some(format!(
            "the metrics view needs the IAM permission {PERMISSION} on `*` in addition to the DynamoDB permissions for `{table}`: add it to your role or policy{profile}. ({})",
            ctx.describe()
        ));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Resource, SeriesKey};

    fn spec(stat: &str, fill_zero: bool, per_second: bool) -> QuerySpec {
        QuerySpec {
            id: "t_x".into(),
            key: SeriesKey {
                resource: Resource::Table,
                metric: "X".into(),
                operation: None,
                stat: stat.into(),
            },
            label: "x".into(),
            unit: "count".into(),
            namespace: "AWS/DynamoDB".into(),
            dimensions: vec![],
            period: 60,
            fill_zero,
            per_second,
        }
    }

    #[test]
    fn align_fills_snaps_and_divides() {
        let raw: BTreeMap<i64, f64> = [(0, 1.0), (150, 2.0), (170, 3.0), (300, 9.0), (-60, 5.0)]
            .into_iter()
            .collect();
        assert_eq!(
            align(&spec("Sum", true, false), raw.clone(), 0, 300, 60),
            vec![(0, 1.0), (60, 0.0), (120, 5.0), (180, 0.0), (240, 0.0)]
        );
        assert_eq!(
            align(&spec("Maximum", false, false), raw.clone(), 0, 300, 60),
            vec![(0, 1.0), (120, 3.0)]
        );
        assert_eq!(
            align(&spec("Sum", false, true), raw, 0, 300, 60),
            vec![(0, 1.0 / 60.0), (120, 5.0 / 60.0)]
        );
    }
}
