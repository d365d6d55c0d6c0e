//! Contributor Insights: which resources have it, the top keys of each rule
//! (CloudWatch GetInsightRuleReport), and enabling it.
//!
//! Rule names always come from `ContributorInsightsRuleList`; they are
//! never built here. DynamoDB Local implements none of these APIs.

use aws_sdk_dynamodb::types::{ContributorInsightsAction, ContributorInsightsMode};
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use super::{Resource, Target};
use crate::dynamo::client::Dynamo;
use crate::dynamo::entity::Decoder;
use crate::dynamo::error::{AwsError, ConnContext};

/// The most contributors GetInsightRuleReport returns for DynamoDB rules.
pub const MAX_CONTRIBUTORS: i32 = 25;

/// The metrics asked of GetInsightRuleReport (the reference's example).
pub const REPORT_METRICS: [&str; 2] = ["MaxContributorValue", "Maximum"];

/// How contributors are ranked.
pub const ORDER_BY: &str = "Sum";

/// The two modes of UpdateContributorInsights.
pub const MODES: [&str; 2] = ["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"];

/// The permission the top-keys panel needs besides the DynamoDB ones.
pub const PERMISSION: &str = "cloudwatch:GetInsightRuleReport";

/// Contributor Insights on one resource (DescribeContributorInsights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsStatus {
    pub resource: Resource,
    /// ENABLED, DISABLED, ENABLING, DISABLING, FAILED.
    pub status: String,
    /// ACCESSED_AND_THROTTLED_KEYS or THROTTLED_KEYS.
    pub mode: Option<String>,
    /// `FailureException` as `name: description`.
    pub failure: Option<String>,
    /// ContributorInsightsRuleList.
    pub rules: Vec<String>,
}

impl InsightsStatus {
    pub fn is_enabled(&self) -> bool {
        self.status == "ENABLED"
    }
}

/// The four DynamoDB rule kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleKind {
    /// Most accessed partition keys.
    Pkc,
    /// Most accessed partition + sort keys.
    Skc,
    /// Most throttled partition keys.
    Pkt,
    /// Most throttled partition + sort keys.
    Skt,
}

impl RuleKind {
    /// The kind of a rule named `DynamoDBContributorInsights-{PKC|SKC|PKT|SKT}-...`.
    pub fn from_rule_name(name: &str) -> Option<RuleKind> {
        let rest = name.strip_prefix("DynamoDBContributorInsights-")?;
        let code = rest.split('-').next()?;
        Some(match code {
            "PKC" => RuleKind::Pkc,
            "SKC" => RuleKind::Skc,
            "PKT" => RuleKind::Pkt,
            "SKT" => RuleKind::Skt,
            _ => return None,
        })
    }

    /// What the rule ranks, in words, with its code: `most throttled
    /// partition keys (PKT)`.
    pub fn plain(&self) -> &'static str {
        match self {
            RuleKind::Pkc => "most accessed partition keys (PKC)",
            RuleKind::Skc => "most accessed items, partition and sort key (SKC)",
            RuleKind::Pkt => "most throttled partition keys (PKT)",
            RuleKind::Skt => "most throttled items, partition and sort key (SKT)",
        }
    }

    /// `PKC`, `SKC`, `PKT`, `SKT`.
    pub fn code(&self) -> &'static str {
        match self {
            RuleKind::Pkc => "PKC",
            RuleKind::Skc => "SKC",
            RuleKind::Pkt => "PKT",
            RuleKind::Skt => "SKT",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            RuleKind::Pkc => "most accessed partition keys",
            RuleKind::Skc => "most accessed keys",
            RuleKind::Pkt => "most throttled partition keys",
            RuleKind::Skt => "most throttled keys",
        }
    }

    /// Throttled-key rules count throttle errors; the others count
    /// ConsumedThroughputUnits (RCU + 3 x WCU).
    pub fn is_throttled(&self) -> bool {
        matches!(self, RuleKind::Pkt | RuleKind::Skt)
    }

    /// The contributors' keys include the sort key.
    pub fn has_sort_key(&self) -> bool {
        matches!(self, RuleKind::Skc | RuleKind::Skt)
    }

    /// What a contributor's value counts.
    pub fn value_unit(&self) -> &'static str {
        if self.is_throttled() {
            "throttled requests"
        } else {
            "units"
        }
    }
}

/// One top key of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributor {
    /// The partition key, and the sort key for SK rules.
    pub keys: Vec<String>,
    /// ApproximateAggregateValue over the report's window.
    pub value: f64,
    /// (epoch seconds, ApproximateValue), ascending.
    pub datapoints: Vec<(i64, f64)>,
}

impl Contributor {
    /// `CUSTOMER#c1 / ORDER#7`.
    pub fn key_label(&self) -> String {
        self.keys.join(" / ")
    }

    /// The sum of the datapoints in `[start, end)`, or the aggregate value
    /// when the report carried no datapoints.
    pub fn total_in(&self, start: i64, end: i64) -> f64 {
        if self.datapoints.is_empty() {
            self.value
        } else {
            self.datapoints
                .iter()
                .filter(|(t, _)| *t >= start && *t < end)
                .map(|(_, v)| v)
                .sum()
        }
    }

    /// True when the key counted anything in `[start, end)` (with no
    /// datapoints, when its aggregate value is positive).
    pub fn active_in(&self, start: i64, end: i64) -> bool {
        if self.datapoints.is_empty() {
            self.value > 0.0
        } else {
            self.datapoints
                .iter()
                .any(|(t, v)| *t >= start && *t < end && *v > 0.0)
        }
    }
}

/// The top keys of one rule over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleReport {
    pub rule: String,
    pub kind: RuleKind,
    pub resource: Resource,
    /// KeyLabels: the key attribute names (`PK`, `SK`).
    pub key_labels: Vec<String>,
    /// AggregateValue: all contributors together.
    pub aggregate: Option<f64>,
    /// At most 25, highest value first.
    pub contributors: Vec<Contributor>,
}

/// DescribeContributorInsights for the table, then each GSI in
/// `target.gsis` order: `result[0]` is the table, `result[1 + i]` is
/// `target.gsis[i]`. Calls run concurrently; each error stays in its slot.
///
/// DynamoDB Local answers `UnknownOperationException`: that error keeps its
/// code, with the message "Contributor Insights is not available on this
/// endpoint" and a hint.
pub async fn statuses(db: &Dynamo, target: &Target) -> Vec<Result<InsightsStatus, AwsError>> {
    let resources =
        std::iter::once(Resource::Table).chain(target.gsis.iter().cloned().map(Resource::Gsi));
    let calls = resources.map(|resource| describe(db, &target.table, resource));
    futures::future::join_all(calls).await
}

async fn describe(
    db: &Dynamo,
    table: &str,
    resource: Resource,
) -> Result<InsightsStatus, AwsError> {
    let index = match &resource {
        Resource::Table => None,
        Resource::Gsi(g) => Some(g.clone()),
    };
    let out = db
        .client()
        .describe_contributor_insights()
        .table_name(table)
        .set_index_name(index)
        .send()
        .await
        .map_err(|e| {
            insights_error(
                AwsError::from_sdk(e, db.context(), Some(table)),
                db.context(),
            )
        })?;
    let failure = out.failure_exception().map(|f| {
        let name = f.exception_name().unwrap_or("Failure");
        match f.exception_description() {
            Some(d) if !d.is_empty() => format!("{name}: {d}"),
            _ => name.to_string(),
        }
    });
    Ok(InsightsStatus {
        resource,
        status: out
            .contributor_insights_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "DISABLED".to_string()),
        mode: out
            .contributor_insights_mode()
            .map(|m| m.as_str().to_string()),
        failure,
        rules: out.contributor_insights_rule_list().to_vec(),
    })
}

/// UnknownOperationException (DynamoDB Local) and missing permissions in
/// words the view can show.
fn insights_error(mut e: AwsError, ctx: &ConnContext) -> AwsError {
    if e.code == "UnknownOperationException" || e.code == "UnknownOperation" {
        e.message = "Contributor Insights is not available on this endpoint".to_string();
        e.hint = Some(format!(
            "{} does not implement the Contributor Insights APIs (DynamoDB Local implements none); connect to AWS to see the top keys.",
            ctx.endpoint.as_deref().unwrap_or("this endpoint")
        ));
    }
    e
}

/// GetInsightRuleReport for every rule of every ENABLED status, in
/// `statuses` then rule-list order, over `[start, end)` at `period` seconds:
/// MaxContributorCount 25, Metrics [`REPORT_METRICS`], OrderBy Sum. Rules
/// whose name is not one of the four DynamoDB kinds are skipped. An error
/// stays in its slot, its message naming the rule. Calls run concurrently.
pub async fn reports(
    cw: &aws_sdk_cloudwatch::Client,
    ctx: &ConnContext,
    statuses: &[InsightsStatus],
    start: i64,
    end: i64,
    period: i32,
) -> Vec<Result<RuleReport, AwsError>> {
    let calls = statuses
        .iter()
        .filter(|s| s.is_enabled())
        .flat_map(|s| {
            s.rules.iter().filter_map(move |rule| {
                RuleKind::from_rule_name(rule).map(|kind| (s.resource.clone(), rule.clone(), kind))
            })
        })
        .map(|(resource, rule, kind)| report(cw, ctx, resource, rule, kind, start, end, period));
    futures::future::join_all(calls).await
}

#[allow(clippy::too_many_arguments)]
async fn report(
    cw: &aws_sdk_cloudwatch::Client,
    ctx: &ConnContext,
    resource: Resource,
    rule: String,
    kind: RuleKind,
    start: i64,
    end: i64,
    period: i32,
) -> Result<RuleReport, AwsError> {
    let out = cw
        .get_insight_rule_report()
        .rule_name(&rule)
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .period(period)
        .max_contributor_count(MAX_CONTRIBUTORS)
        .set_metrics(Some(REPORT_METRICS.iter().map(|m| m.to_string()).collect()))
        .order_by(ORDER_BY)
        .send()
        .await
        .map_err(|e| {
            let mut e = AwsError::from_sdk(e, ctx, None);
            e.message = format!("{} (rule {rule})", e.message);
            if matches!(e.code.as_str(), "AccessDenied" | "AccessDeniedException") {
                e.hint = Some(format!(
                    "the top keys need the IAM permission {PERMISSION}: add it to your role or policy. ({})",
                    ctx.describe()
                ));
            } else if e.code == "ResourceNotFoundException" {
                e.hint = Some(
                    "the rule is gone (Contributor Insights was disabled or is being re-enabled); refresh the status.".to_string(),
                );
            }
            e
        })?;
    let mut contributors: Vec<Contributor> = out
        .contributors()
        .iter()
        .map(|c| {
            let mut datapoints: Vec<(i64, f64)> = c
                .datapoints()
                .iter()
                .filter_map(|d| Some((d.timestamp()?.secs(), d.approximate_value()?)))
                .filter(|(_, v)| v.is_finite())
                .collect();
            datapoints.sort_by_key(|(t, _)| *t);
            Contributor {
                keys: c.keys().to_vec(),
                value: c
                    .approximate_aggregate_value()
                    .filter(|v| v.is_finite())
                    .unwrap_or_else(|| datapoints.iter().map(|(_, v)| v).sum()),
                datapoints,
            }
        })
        .collect();
    contributors.sort_by(|a, b| b.value.total_cmp(&a.value));
    contributors.truncate(MAX_CONTRIBUTORS as usize);
    Ok(RuleReport {
        rule,
        kind,
        resource,
        key_labels: out.key_labels().to_vec(),
        aggregate: out.aggregate_value().filter(|v| v.is_finite()),
        contributors,
    })
}

/// UpdateContributorInsights ENABLE with `mode` (one of [`MODES`]) on the
/// table or one GSI. Enabling costs money and publishes key values to
/// CloudWatch: confirming with the user is the caller's job.
pub async fn enable(
    db: &Dynamo,
    table: &str,
    gsi: Option<&str>,
    mode: &str,
) -> Result<InsightsStatus, AwsError> {
    if !MODES.contains(&mode) {
        return Err(AwsError::new(
            "InvalidRequest",
            format!(
                "`{mode}` is not a Contributor Insights mode ({})",
                MODES.join(" or ")
            ),
        ));
    }
    let out = db
        .client()
        .update_contributor_insights()
        .table_name(table)
        .set_index_name(gsi.map(str::to_string))
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .contributor_insights_mode(ContributorInsightsMode::from(mode))
        .send()
        .await
        .map_err(|e| {
            insights_error(
                AwsError::from_sdk(e, db.context(), Some(table)),
                db.context(),
            )
        })?;
    Ok(InsightsStatus {
        resource: match out.index_name().or(gsi) {
            Some(g) => Resource::Gsi(g.to_string()),
            None => Resource::Table,
        },
        status: out
            .contributor_insights_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "ENABLING".to_string()),
        mode: Some(
            out.contributor_insights_mode()
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| mode.to_string()),
        ),
        failure: None,
        rules: Vec::new(),
    })
}

/// The entity and named key fields of a table contributor's key (`None`
/// for GSI keys, which are not table keys, and for keys no entity matches).
pub fn decode_contributor(
    decoder: &mut Decoder,
    resource: &Resource,
    keys: &[String],
) -> Option<(String, Vec<crate::dynamo::keyshape::KeyField>)> {
    if *resource != Resource::Table {
        return None;
    }
    let pk = keys.first()?;
    let (c, fields) = decoder.decode_key(pk, keys.get(1).map(String::as_str));
    let id = c.entity?;
    Some((decoder.entity_name(id).to_string(), fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_kinds_come_from_names() {
        let k = |n: &str| RuleKind::from_rule_name(n);
        assert_eq!(
            k("DynamoDBContributorInsights-PKC-orders-1700000000000"),
            Some(RuleKind::Pkc)
        );
        assert_eq!(
            k("DynamoDBContributorInsights-SKC-orders-GSI1-17"),
            Some(RuleKind::Skc)
        );
        assert_eq!(k("DynamoDBContributorInsights-PKT-x"), Some(RuleKind::Pkt));
        assert_eq!(k("DynamoDBContributorInsights-SKT-x"), Some(RuleKind::Skt));
        assert_eq!(k("DynamoDBContributorInsights-XYZ-x"), None);
        assert_eq!(k("MyRule-PKC-x"), None);
        assert!(RuleKind::Skt.is_throttled() && RuleKind::Skt.has_sort_key());
        assert!(!RuleKind::Pkc.is_throttled() && !RuleKind::Pkc.has_sort_key());
    }

    #[test]
    fn contributor_totals() {
        let c = Contributor {
            keys: vec!["A".into()],
            value: 10.0,
            datapoints: vec![(0, 1.0), (60, 2.0), (120, 4.0)],
        };
        assert_eq!(c.total_in(60, 180), 6.0);
        assert!(c.active_in(0, 60) && !c.active_in(180, 240));
        let bare = Contributor {
            datapoints: vec![],
            ..c
        };
        assert_eq!(bare.total_in(0, 1), 10.0);
    }
}
