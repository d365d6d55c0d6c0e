//! The GetMetricData queries for a table and its GSIs (pure: no AWS calls).
//!
//! One [`QuerySpec`] per series. Query ids are built from the resource
//! position (`t` for the table, `g0`, `g1`, ... for the GSIs in
//! `Target::gsis` order), the metric, the operation and the statistic, all
//! lowercased: `g1_writekeyrangethroughputthrottleevents_sum`. Index names
//! never appear in ids (they may contain `-` and `.`), so ids are always
//! valid (a lowercase first letter, then letters, digits and `_`) and unique.

use super::{Resource, SeriesKey, Target};

/// The CloudWatch namespace of every DynamoDB metric.
pub const NAMESPACE: &str = "AWS/DynamoDB";

/// The operations charted per operation (`Operation` dimension).
pub const OPERATIONS: [&str; 10] = [
    "GetItem",
    "Query",
    "Scan",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

/// One query of GetMetricData.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    /// GetMetricData query id: unique within one fetch, valid for CloudWatch.
    pub id: String,
    pub key: SeriesKey,
    /// Human label: `GSI1 write throttles (key range)`, `Query p99 latency`.
    pub label: String,
    /// `count`, `ms`, `units/s`.
    pub unit: String,
    /// Always [`NAMESPACE`].
    pub namespace: String,
    /// (name, value): `TableName` first, then `GlobalSecondaryIndexName` or `Operation`.
    pub dimensions: Vec<(String, String)>,
    /// Seconds, a multiple of 60.
    pub period: i32,
    /// Throttles and errors: a missing datapoint means 0.
    pub fill_zero: bool,
    /// Consumed capacity: the Sum is divided by the period to get units per second.
    pub per_second: bool,
}

/// True when `id` is a valid GetMetricData query id: a lowercase ASCII
/// letter first, then ASCII letters, digits and `_` (at most 255 characters).
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && id.len() <= 255
}

/// The prefix of labels about `resource`: `table`, `GSI1` for an index
/// named `GSI1`, `GSI byStatus` for an index named `byStatus`.
pub fn resource_label(resource: &Resource) -> String {
    match resource {
        Resource::Table => "table".into(),
        Resource::Gsi(name) if name.len() >= 3 && name[..3].eq_ignore_ascii_case("gsi") => {
            name.clone()
        }
        Resource::Gsi(name) => format!("GSI {name}"),
    }
}

/// Every query for the table and each GSI, ids unique and valid.
///
/// Per resource (the table, then each GSI in order): Read/WriteThrottleEvents,
/// the throttle events by reason (provisioned, key range, on-demand maximum,
/// account limit; WriteAccountLimitThrottleEvents for the table only), and
/// consumed read/write capacity against the provisioned capacity (when
/// `target.provisioned`) or the on-demand maximum. Then, for the table only:
/// ThrottledRequests, SuccessfulRequestLatency (Average and p99) and
/// SystemErrors for each of [`OPERATIONS`], ConditionalCheckFailedRequests and
/// TransactionConflict.
pub fn build_queries(target: &Target, period: i32) -> Vec<QuerySpec> {
    let mut out = Vec::with_capacity(56 + 13 * target.gsis.len());
    let b = Builder { target, period };

    b.resource_queries(&mut out, Resource::Table, "t");
    b.table_only_queries(&mut out);
    for (i, gsi) in target.gsis.iter().enumerate() {
        b.resource_queries(&mut out, Resource::Gsi(gsi.clone()), &format!("g{i}"));
    }
    out
}

struct Builder<'a> {
    target: &'a Target,
    period: i32,
}

/// How a missing point and the values of a series are treated.
#[derive(Clone, Copy)]
enum Kind {
    /// Sum of events: missing = 0, `count`.
    Count,
    /// Sum of consumed units, divided by the period: `units/s`.
    PerSecond,
    /// A capacity limit (Maximum): `units/s`, missing left out.
    Capacity,
    /// Milliseconds, missing left out.
    Latency,
}

impl Builder<'_> {
    fn resource_queries(&self, out: &mut Vec<QuerySpec>, resource: Resource, prefix: &str) {
        let who = resource_label(&resource);
        let is_table = resource == Resource::Table;
        let mut q = |metric: &str, stat: &str, kind: Kind, label: String| {
            out.push(self.spec(prefix, resource.clone(), metric, None, stat, kind, label));
        };

        for (dir, rw) in [("read", "Read"), ("write", "Write")] {
            q(
                &format!("{rw}ThrottleEvents"),
                "Sum",
                Kind::Count,
                format!("{who} {dir} throttles"),
            );
        }
        for (reason, metric_part) in [
            ("provisioned", "ProvisionedThroughput"),
            ("key range", "KeyRangeThroughput"),
            ("on-demand max", "MaxOnDemandThroughput"),
            ("account limit", "AccountLimit"),
        ] {
            for (dir, rw) in [("read", "Read"), ("write", "Write")] {
                // WriteAccountLimitThrottleEvents has no GSI dimension.
                if reason == "account limit" && rw == "Write" && !is_table {
                    continue;
                }
                q(
                    &format!("{rw}{metric_part}ThrottleEvents"),
                    "Sum",
                    Kind::Count,
                    format!("{who} {dir} throttles ({reason})"),
                );
            }
        }
        for (rw, short) in [("Read", "R"), ("Write", "W")] {
            q(
                &format!("Consumed{rw}CapacityUnits"),
                "Sum",
                Kind::PerSecond,
                format!("{who} consumed {short}CU"),
            );
            if self.target.provisioned {
                q(
                    &format!("Provisioned{rw}CapacityUnits"),
                    "Maximum",
                    Kind::Capacity,
                    format!("{who} provisioned {short}CU"),
                );
            } else {
                q(
                    &format!("OnDemandMax{rw}RequestUnits"),
                    "Maximum",
                    Kind::Capacity,
                    format!("{who} on-demand max {short}RU"),
                );
            }
        }
    }

    fn table_only_queries(&self, out: &mut Vec<QuerySpec>) {
        let mut q = |metric: &str, op: Option<&str>, stat: &str, kind: Kind, label: String| {
            out.push(self.spec("t", Resource::Table, metric, op, stat, kind, label));
        };
        for op in OPERATIONS {
            q(
                "ThrottledRequests",
                Some(op),
                "Sum",
                Kind::Count,
                format!("{op} throttled requests"),
            );
        }
        for op in OPERATIONS {
            q(
                "SuccessfulRequestLatency",
                Some(op),
                "Average",
                Kind::Latency,
                format!("{op} average latency"),
            );
            q(
                "SuccessfulRequestLatency",
                Some(op),
                "p99",
                Kind::Latency,
                format!("{op} p99 latency"),
            );
        }
        for op in OPERATIONS {
            q(
                "SystemErrors",
                Some(op),
                "Sum",
                Kind::Count,
                format!("{op} system errors"),
            );
        }
        q(
            "ConditionalCheckFailedRequests",
            None,
            "Sum",
            Kind::Count,
            "conditional check failures".into(),
        );
        q(
            "TransactionConflict",
            None,
            "Sum",
            Kind::Count,
            "transaction conflicts".into(),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn spec(
        &self,
        prefix: &str,
        resource: Resource,
        metric: &str,
        op: Option<&str>,
        stat: &str,
        kind: Kind,
        label: String,
    ) -> QuerySpec {
        let mut id = format!("{prefix}_{}", metric.to_ascii_lowercase());
        if let Some(op) = op {
            id.push('_');
            id.push_str(&op.to_ascii_lowercase());
        }
        id.push('_');
        id.push_str(&stat.to_ascii_lowercase());

        let mut dimensions = vec![("TableName".to_string(), self.target.table.clone())];
        if let Resource::Gsi(g) = &resource {
            dimensions.push(("GlobalSecondaryIndexName".into(), g.clone()));
        }
        if let Some(op) = op {
            dimensions.push(("Operation".into(), op.to_string()));
        }

        let (unit, fill_zero, per_second) = match kind {
            Kind::Count => ("count", true, false),
            Kind::PerSecond => ("units/s", false, true),
            Kind::Capacity => ("units/s", false, false),
            Kind::Latency => ("ms", false, false),
        };
        QuerySpec {
            id,
            key: SeriesKey {
                resource,
                metric: metric.to_string(),
                operation: op.map(str::to_string),
                stat: stat.to_string(),
            },
            label,
            unit: unit.into(),
            namespace: NAMESPACE.into(),
            dimensions,
            period: self.period,
            fill_zero,
            per_second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn target(gsis: &[&str], provisioned: bool) -> Target {
        Target {
            table: "orders".into(),
            gsis: gsis.iter().map(|s| s.to_string()).collect(),
            provisioned,
        }
    }

    #[test]
    fn counts_and_ids() {
        let qs = build_queries(&target(&["GSI1", "by-status.v2"], true), 60);
        assert_eq!(qs.len(), 56 + 2 * 13);
        let ids: HashSet<_> = qs.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids.len(), qs.len());
        assert!(qs.iter().all(|q| is_valid_id(&q.id)), "{qs:#?}");
        assert!(
            qs.iter()
                .all(|q| q.period == 60 && q.namespace == NAMESPACE)
        );
    }

    #[test]
    fn labels() {
        let qs = build_queries(&target(&["GSI1", "byStatus"], false), 300);
        let label = |res: Resource, metric: &str, op: Option<&str>, stat: &str| {
            qs.iter()
                .find(|q| {
                    q.key.resource == res
                        && q.key.metric == metric
                        && q.key.operation.as_deref() == op
                        && q.key.stat == stat
                })
                .map(|q| q.label.clone())
                .unwrap()
        };
        assert_eq!(
            label(
                Resource::Gsi("GSI1".into()),
                "WriteKeyRangeThroughputThrottleEvents",
                None,
                "Sum"
            ),
            "GSI1 write throttles (key range)"
        );
        assert_eq!(
            label(
                Resource::Gsi("byStatus".into()),
                "ReadThrottleEvents",
                None,
                "Sum"
            ),
            "GSI byStatus read throttles"
        );
        assert_eq!(
            label(
                Resource::Table,
                "SuccessfulRequestLatency",
                Some("Query"),
                "p99"
            ),
            "Query p99 latency"
        );
    }

    #[test]
    fn id_validation() {
        assert!(is_valid_id("t_readthrottleevents_sum"));
        assert!(is_valid_id("g12_x"));
        assert!(!is_valid_id("T_x"));
        assert!(!is_valid_id("1x"));
        assert!(!is_valid_id("a-b"));
        assert!(!is_valid_id(""));
    }
}
