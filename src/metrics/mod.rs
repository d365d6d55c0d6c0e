//! CloudWatch metrics and Contributor Insights for the on-call view. Nothing
//! here knows about ratatui; the metrics view and `dyntui diagnose` share it.
//!
//! Metric values are `f64`: they are CloudWatch statistics, not item data.

pub mod alerts;
pub mod fetch;
pub mod hotwrites;
pub mod insights;
pub mod queries;
pub mod snapshot;
pub mod sparklines;

use serde::{Deserialize, Serialize};

/// A time range for the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Range {
    H1,
    H3,
    H12,
    D1,
    D3,
    W1,
    /// Epoch seconds, start inclusive, end exclusive.
    Custom {
        start: i64,
        end: i64,
    },
}

impl Range {
    /// The ranges the view cycles through.
    pub const PRESETS: [Range; 6] = [
        Range::H1,
        Range::H3,
        Range::H12,
        Range::D1,
        Range::D3,
        Range::W1,
    ];

    /// `1h`, `3h`, `12h`, `1d`, `3d`, `1w`, or a custom
    /// `2026-11-20T13:00:00Z..2026-11-20T14:00:00Z` (RFC 3339, UTC or offset).
    pub fn parse(s: &str) -> Result<Range, String> {
        if let Some((a, b)) = s.trim().split_once("..") {
            let t = |x: &str| {
                aws_smithy_types::DateTime::from_str(
                    x.trim(),
                    aws_smithy_types::date_time::Format::DateTime,
                )
                .map(|d| d.secs())
                .map_err(|e| format!("`{}` is not an RFC 3339 time: {e}", x.trim()))
            };
            let (start, end) = (t(a)?, t(b)?);
            if end <= start {
                return Err(format!("the range `{s}` ends before it starts"));
            }
            return Ok(Range::Custom { start, end });
        }
        Ok(match s.trim() {
            "1h" => Range::H1,
            "3h" => Range::H3,
            "12h" => Range::H12,
            "1d" | "24h" => Range::D1,
            "3d" => Range::D3,
            "1w" | "7d" => Range::W1,
            other => {
                return Err(format!(
                    "`{other}` is not a range (1h, 3h, 12h, 1d, 3d, 1w, or START..END in RFC 3339)"
                ));
            }
        })
    }

    pub fn label(&self) -> String {
        match self {
            Range::H1 => "1h".into(),
            Range::H3 => "3h".into(),
            Range::H12 => "12h".into(),
            Range::D1 => "1d".into(),
            Range::D3 => "3d".into(),
            Range::W1 => "1w".into(),
            Range::Custom { start, end } => format!("{}..{}", fmt_time(*start), fmt_time(*end)),
        }
    }

    /// Length in seconds of a preset.
    fn seconds(&self) -> i64 {
        match self {
            Range::H1 => 3600,
            Range::H3 => 3 * 3600,
            Range::H12 => 12 * 3600,
            Range::D1 => 86_400,
            Range::D3 => 3 * 86_400,
            Range::W1 => 7 * 86_400,
            Range::Custom { start, end } => (end - start).max(60),
        }
    }

    /// (start, end) in epoch seconds for `now`, aligned to whole minutes.
    pub fn bounds(&self, now: i64) -> (i64, i64) {
        match self {
            Range::Custom { start, end } => (*start, *end),
            _ => {
                let end = now - now.rem_euclid(60);
                (end - self.seconds(), end)
            }
        }
    }

    /// The period (seconds, a multiple of 60) for this range: at most about
    /// 1,440 points per series, and never finer than CloudWatch keeps data
    /// for the start of the range (60 s for 15 days, 300 s for 63 days,
    /// 3600 s for 455 days).
    pub fn period(&self, now: i64) -> i32 {
        let (start, end) = self.bounds(now);
        let age_days = (now - start) as f64 / 86_400.0;
        let retention_min = if age_days > 63.0 {
            3600
        } else if age_days > 15.0 {
            300
        } else {
            60
        };
        let span = (end - start).max(60);
        let wanted = ((span as f64 / 1440.0).ceil() as i64).max(60);
        // Round up to a period CloudWatch likes: 60, 300, 600, 900, 1800, 3600, then hours.
        let nice = [
            60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
        ]
        .into_iter()
        .find(|p| *p >= wanted)
        .unwrap_or(86400);
        nice.max(retention_min) as i32
    }
}

/// `2026-11-25 14:03Z` (UTC).
pub fn fmt_time(epoch: i64) -> String {
    aws_smithy_types::DateTime::from_secs(epoch)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|s| {
            // 2026-11-25T14:03:00Z -> 2026-11-25 14:03Z
            let s = s.replace('T', " ");
            match s.rfind(':') {
                Some(i) if s.len() > 16 => format!("{}Z", &s[..i]),
                _ => s,
            }
        })
        .unwrap_or_else(|_| epoch.to_string())
}

/// Which table resource a series or contributor is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    Table,
    Gsi(String),
}

impl Resource {
    pub fn label(&self) -> String {
        match self {
            Resource::Table => "table".into(),
            Resource::Gsi(g) => format!("GSI {g}"),
        }
    }
}

/// What a series measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    pub resource: Resource,
    /// CloudWatch metric name (`ReadThrottleEvents`, `SuccessfulRequestLatency`, ...).
    pub metric: String,
    /// The `Operation` dimension, for per-operation metrics.
    pub operation: Option<String>,
    /// `Sum`, `Average`, `Maximum`, `p99`.
    pub stat: String,
}

/// One fetched series: points on the period grid (missing throttle and error
/// points filled with 0; missing latency and capacity points left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub key: SeriesKey,
    /// Human label: `GSI1 write throttles (key range)`.
    pub label: String,
    /// `count`, `ms`, `units/s`.
    pub unit: String,
    /// (epoch seconds, value), ascending.
    pub points: Vec<(i64, f64)>,
}

/// The capacity mode and limits of what is charted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub table: String,
    pub gsis: Vec<String>,
    /// Provisioned capacity (else on demand).
    pub provisioned: bool,
}

impl Target {
    /// The table and its GSIs from DescribeTable.
    pub fn of(info: &crate::dynamo::client::TableInfo) -> Target {
        Target {
            table: info.name.clone(),
            gsis: info
                .indexes
                .iter()
                .filter(|i| i.global)
                .map(|i| i.name.clone())
                .collect(),
            provisioned: info.billing_mode != "PAY_PER_REQUEST",
        }
    }
}

/// All series of one refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsData {
    pub target: Target,
    pub range: Range,
    pub start: i64,
    pub end: i64,
    pub period: i32,
    pub series: Vec<Series>,
    /// When it was fetched (epoch seconds).
    pub fetched_at: i64,
    /// CloudWatch said some data was partial (PartialData) after paging.
    pub partial: bool,
    /// GetMetricData calls made (for the status line and tests).
    pub calls: u32,
}

impl MetricsData {
    pub fn find(
        &self,
        resource: &Resource,
        metric: &str,
        op: Option<&str>,
        stat: &str,
    ) -> Option<&Series> {
        self.series.iter().find(|s| {
            &s.key.resource == resource
                && s.key.metric == metric
                && s.key.operation.as_deref() == op
                && s.key.stat == stat
        })
    }
}

pub use snapshot::Snapshot;

/// An error from CloudWatch or Contributor Insights, ready to show.
pub use crate::dynamo::error::AwsError as MetricsError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(Range::parse("3h"), Ok(Range::H3));
        assert_eq!(
            Range::parse("2026-11-20T13:00:00Z..2026-11-20T14:00:00Z"),
            Ok(Range::Custom {
                start: 1_795_179_600,
                end: 1_795_183_200
            })
        );
        assert!(Range::parse("2026-11-20T14:00:00Z..2026-11-20T13:00:00Z").is_err());
        assert!(
            Range::parse("yesterday")
                .unwrap_err()
                .contains("START..END")
        );
        // A custom range 20 days back needs 5-minute data at least.
        let now = 1_795_183_200;
        let r = Range::Custom {
            start: now - 20 * 86_400,
            end: now - 19 * 86_400,
        };
        assert!(r.period(now) >= 300);
    }
}
