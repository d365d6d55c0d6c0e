//! Contributor Insights against mocked DynamoDB and CloudWatch clients
//! (aws-smithy-mocks, shaped like the real APIs), the alert rules on crafted
//! series and reports, and snapshots (round trip, errors, the shipped demo
//! incident).
//!
//! `DYNTUI_REGEN=1 cargo test --test metrics_insights` rewrites
//! `config/demo/incident.json` from `demo_incident`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::operation::get_insight_rule_report::{
    GetInsightRuleReportError, GetInsightRuleReportInput, GetInsightRuleReportOutput,
};
use aws_sdk_cloudwatch::types::{InsightRuleContributor, InsightRuleContributorDatapoint};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::describe_contributor_insights::{
    DescribeContributorInsightsError, DescribeContributorInsightsOutput,
};
use aws_sdk_dynamodb::operation::update_contributor_insights::UpdateContributorInsightsOutput;
use aws_sdk_dynamodb::types::{
    ContributorInsightsAction, ContributorInsightsMode, ContributorInsightsStatus, FailureException,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::error::ConnContext;
use dyntui::metrics::alerts::{Alert, AlertConfig, Severity, evaluate};
use dyntui::metrics::insights::{
    self, Contributor, InsightsStatus, MAX_CONTRIBUTORS, RuleKind, RuleReport,
};
use dyntui::metrics::snapshot::{DEMO_INCIDENT_AT, DEMO_INCIDENT_PATH, Snapshot, demo_incident};
use dyntui::metrics::{MetricsData, Range, Resource, Series, SeriesKey, Target};

const TABLE: &str = "orders";

fn ctx() -> ConnContext {
    ConnContext {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint: None,
    }
}

fn local_ctx() -> ConnContext {
    ConnContext {
        endpoint: Some("http://127.0.0.1:8000".into()),
        ..ctx()
    }
}

fn target() -> Target {
    Target {
        table: TABLE.into(),
        gsis: vec!["GSI1".into(), "GSI2".into()],
        provisioned: true,
    }
}

fn dynamo(rules: &[&Rule], c: ConnContext) -> Dynamo {
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |b| b
        .retry_config(RetryConfig::disabled()));
    Dynamo::from_client(client, c)
}

fn cloudwatch(rules: &[&Rule]) -> aws_sdk_cloudwatch::Client {
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, rules, |b| b
        .retry_config(
            aws_sdk_cloudwatch::config::retry::RetryConfig::disabled()
        ))
}

fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn rule_name(kind: &str, who: &str) -> String {
    format!("DynamoDBContributorInsights-{kind}-{who}-1763600000000")
}

// ------------------------------------------------------------------ statuses

#[tokio::test]
async fn statuses_for_table_and_two_gsis() {
    let table_rules = vec![
        rule_name("PKC", TABLE),
        rule_name("SKC", TABLE),
        rule_name("PKT", TABLE),
        rule_name("SKT", TABLE),
    ];
    let rules_out = table_rules.clone();
    let table = mock!(aws_sdk_dynamodb::Client::describe_contributor_insights)
        .match_requests(|r| r.table_name() == Some(TABLE) && r.index_name().is_none())
        .then_output(move || {
            DescribeContributorInsightsOutput::builder()
                .table_name(TABLE)
                .set_contributor_insights_rule_list(Some(rules_out.clone()))
                .contributor_insights_status(ContributorInsightsStatus::Enabled)
                .contributor_insights_mode(ContributorInsightsMode::AccessedAndThrottledKeys)
                .build()
        });
    let gsi1 = mock!(aws_sdk_dynamodb::Client::describe_contributor_insights)
        .match_requests(|r| r.table_name() == Some(TABLE) && r.index_name() == Some("GSI1"))
        .then_output(|| {
            DescribeContributorInsightsOutput::builder()
                .table_name(TABLE)
                .index_name("GSI1")
                .contributor_insights_status(ContributorInsightsStatus::Disabled)
                .build()
        });
    let gsi2 = mock!(aws_sdk_dynamodb::Client::describe_contributor_insights)
        .match_requests(|r| r.table_name() == Some(TABLE) && r.index_name() == Some("GSI2"))
        .then_output(|| {
            DescribeContributorInsightsOutput::builder()
                .table_name(TABLE)
                .index_name("GSI2")
                .contributor_insights_status(ContributorInsightsStatus::Failed)
                .failure_exception(
                    FailureException::builder()
                        .exception_name("AccessDeniedException")
                        .exception_description("not authorized to create the rule")
                        .build(),
                )
                .build()
        });
    let db = dynamo(&[&table, &gsi1, &gsi2], ctx());
    let got = insights::statuses(&db, &target()).await;
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0].as_ref().unwrap(),
        &InsightsStatus {
            resource: Resource::Table,
            status: "ENABLED".into(),
            mode: Some("ACCESSED_AND_THROTTLED_KEYS".into()),
            failure: None,
            rules: table_rules,
        }
    );
    let g1 = got[1].as_ref().unwrap();
    assert_eq!(g1.resource, Resource::Gsi("GSI1".into()));
    assert_eq!(g1.status, "DISABLED");
    assert!(g1.rules.is_empty() && g1.mode.is_none() && g1.failure.is_none());
    let g2 = got[2].as_ref().unwrap();
    assert_eq!(g2.resource, Resource::Gsi("GSI2".into()));
    assert_eq!(g2.status, "FAILED");
    assert_eq!(
        g2.failure.as_deref(),
        Some("AccessDeniedException: not authorized to create the rule")
    );
    assert_eq!(
        (table.num_calls(), gsi1.num_calls(), gsi2.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn statuses_on_dynamodb_local_are_errors_to_show() {
    let unknown = mock!(aws_sdk_dynamodb::Client::describe_contributor_insights).then_error(|| {
        DescribeContributorInsightsError::generic(meta(
            "UnknownOperationException",
            "An unknown operation was requested.",
        ))
    });
    let db = dynamo(&[&unknown], local_ctx());
    let got = insights::statuses(&db, &target()).await;
    assert_eq!(got.len(), 3);
    for r in &got {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.code, "UnknownOperationException");
        assert_eq!(
            e.message,
            "Contributor Insights is not available on this endpoint"
        );
        assert!(e.hint.as_deref().unwrap().contains("DynamoDB Local"), "{e}");
    }
    assert_eq!(unknown.num_calls(), 3);
}

#[tokio::test]
async fn statuses_keep_one_error_in_its_slot() {
    let ok = mock!(aws_sdk_dynamodb::Client::describe_contributor_insights)
        .match_requests(|r| r.index_name() != Some("GSI2"))
        .then_output(|| {
            DescribeContributorInsightsOutput::builder()
                .contributor_insights_status(ContributorInsightsStatus::Disabled)
                .build()
        });
    let missing = mock!(aws_sdk_dynamodb::Client::describe_contributor_insights)
        .match_requests(|r| r.index_name() == Some("GSI2"))
        .then_error(|| {
            DescribeContributorInsightsError::generic(meta(
                "ResourceNotFoundException",
                "Requested resource not found",
            ))
        });
    let db = dynamo(&[&ok, &missing], ctx());
    let got = insights::statuses(&db, &target()).await;
    assert!(got[0].is_ok() && got[1].is_ok());
    assert_eq!(
        got[2].as_ref().unwrap_err().code,
        "ResourceNotFoundException"
    );
}

// ------------------------------------------------------------------ reports

const T0: i64 = 1_795_179_600; // 2026-11-20 13:00Z
const T1: i64 = T0 + 3600;

fn cw_contributor(keys: &[&str], value: f64, points: &[(i64, f64)]) -> InsightRuleContributor {
    let mut b = InsightRuleContributor::builder().approximate_aggregate_value(value);
    for k in keys {
        b = b.keys(*k);
    }
    for (t, v) in points {
        b = b.datapoints(
            InsightRuleContributorDatapoint::builder()
                .timestamp(DateTime::from_secs(*t))
                .approximate_value(*v)
                .build(),
        );
    }
    b.build()
}

fn enabled(resource: Resource, mode: &str, rules: Vec<String>) -> InsightsStatus {
    InsightsStatus {
        resource,
        status: "ENABLED".into(),
        mode: Some(mode.into()),
        failure: None,
        rules,
    }
}

#[tokio::test]
async fn reports_per_rule_with_request_fields_and_errors() {
    let seen: Arc<Mutex<Vec<GetInsightRuleReportInput>>> = Arc::default();
    let record = |seen: &Arc<Mutex<Vec<GetInsightRuleReportInput>>>| {
        let s = seen.clone();
        move |r: &GetInsightRuleReportInput| {
            s.lock().unwrap().push(r.clone());
            true
        }
    };
    let pkc = rule_name("PKC", TABLE);
    let gsi1_skt = rule_name("SKT", "orders-GSI1");
    let pkc_name = pkc.clone();
    let skt_name = gsi1_skt.clone();
    // PKC: 30 contributors in no order; the reply keeps the 25 largest.
    let accessed = mock!(aws_sdk_cloudwatch::Client::get_insight_rule_report)
        .match_requests({
            let rec = record(&seen);
            move |r| r.rule_name() == Some(pkc_name.as_str()) && rec(r)
        })
        .then_output(|| {
            let mut b = GetInsightRuleReportOutput::builder()
                .key_labels("PK")
                .aggregation_statistic("Sum")
                .aggregate_value(1_000_000.0);
            for i in 0..30 {
                let v = ((i * 7) % 30) as f64 * 1000.0;
                b = b.contributors(cw_contributor(
                    &[&format!("CUSTOMER#c{i:05}")],
                    v,
                    &[(T0 + 120, v / 2.0), (T0 + 60, v / 2.0)],
                ));
            }
            b.build()
        });
    let denied = mock!(aws_sdk_cloudwatch::Client::get_insight_rule_report)
        .match_requests({
            let rec = record(&seen);
            move |r| r.rule_name() == Some(skt_name.as_str()) && rec(r)
        })
        .then_error(|| {
            GetInsightRuleReportError::generic(meta(
                "AccessDenied",
                "User is not authorized to perform: cloudwatch:GetInsightRuleReport",
            ))
        });
    let others = mock!(aws_sdk_cloudwatch::Client::get_insight_rule_report)
        .match_requests({
            let rec = record(&seen);
            move |r| rec(r)
        })
        .then_compute_output(|r| {
            let name = r.rule_name().unwrap_or_default();
            let sk = name.contains("-SKC-") || name.contains("-SKT-");
            let labels: &[&str] = if name.contains("GSI1") {
                if sk {
                    &["GSI1PK", "GSI1SK"]
                } else {
                    &["GSI1PK"]
                }
            } else if sk {
                &["PK", "SK"]
            } else {
                &["PK"]
            };
            let mut b = GetInsightRuleReportOutput::builder()
                .set_key_labels(Some(labels.iter().map(|s| s.to_string()).collect()))
                .aggregate_value(12.0);
            let keys: &[&str] = if sk {
                &["CUSTOMER#c00243", "CUSTOMER#c00243"]
            } else {
                &["CUSTOMER#c00243"]
            };
            b = b.contributors(cw_contributor(keys, 12.0, &[(T0 + 600, 12.0)]));
            b.build()
        });
    let cw = cloudwatch(&[&accessed, &denied, &others]);

    let statuses = vec![
        enabled(
            Resource::Table,
            "ACCESSED_AND_THROTTLED_KEYS",
            vec![
                pkc.clone(),
                rule_name("SKC", TABLE),
                rule_name("PKT", TABLE),
                rule_name("SKT", TABLE),
                "SomeOtherRule".into(),
            ],
        ),
        enabled(
            Resource::Gsi("GSI1".into()),
            "THROTTLED_KEYS",
            vec![rule_name("PKT", "orders-GSI1"), gsi1_skt.clone()],
        ),
        InsightsStatus {
            resource: Resource::Gsi("GSI2".into()),
            status: "DISABLING".into(),
            mode: None,
            failure: None,
            rules: vec![rule_name("PKT", "orders-GSI2")],
        },
    ];
    let got = insights::reports(&cw, &ctx(), &statuses, T0, T1, 60).await;

    // One result per rule of the ENABLED resources, in order; the unknown
    // rule name and the DISABLING GSI are skipped.
    assert_eq!(got.len(), 6);
    let kinds: Vec<Option<(RuleKind, Resource)>> = got
        .iter()
        .map(|r| r.as_ref().ok().map(|r| (r.kind, r.resource.clone())))
        .collect();
    assert_eq!(
        kinds,
        vec![
            Some((RuleKind::Pkc, Resource::Table)),
            Some((RuleKind::Skc, Resource::Table)),
            Some((RuleKind::Pkt, Resource::Table)),
            Some((RuleKind::Skt, Resource::Table)),
            Some((RuleKind::Pkt, Resource::Gsi("GSI1".into()))),
            None,
        ]
    );

    // The requests: names from the rule lists, the window, the period, 25
    // contributors, the metrics and the order.
    let seen = seen.lock().unwrap();
    let mut names: Vec<&str> = seen.iter().filter_map(|r| r.rule_name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.contains("GSI2") || *n == "SomeOtherRule")
    );
    for r in seen.iter() {
        assert_eq!(r.start_time(), Some(&DateTime::from_secs(T0)));
        assert_eq!(r.end_time(), Some(&DateTime::from_secs(T1)));
        assert_eq!(r.period(), Some(60));
        assert_eq!(r.max_contributor_count(), Some(MAX_CONTRIBUTORS));
        assert_eq!(MAX_CONTRIBUTORS, 25);
        assert_eq!(r.metrics(), &["MaxContributorValue", "Maximum"]);
        assert_eq!(r.order_by(), Some("Sum"));
    }

    // PKC contributors parsed, highest first, at most 25, datapoints ascending.
    let pkc_report = got[0].as_ref().unwrap();
    assert_eq!(pkc_report.rule, pkc);
    assert_eq!(pkc_report.key_labels, vec!["PK"]);
    assert_eq!(pkc_report.aggregate, Some(1_000_000.0));
    assert_eq!(pkc_report.contributors.len(), 25);
    let values: Vec<f64> = pkc_report.contributors.iter().map(|c| c.value).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert_eq!(values[0], 29_000.0);
    assert_eq!(values[24], 5_000.0);
    let top = &pkc_report.contributors[0];
    assert_eq!(top.keys.len(), 1);
    assert_eq!(
        top.datapoints,
        vec![(T0 + 60, 14_500.0), (T0 + 120, 14_500.0)]
    );

    let skt = got[3].as_ref().unwrap();
    assert_eq!(skt.key_labels, vec!["PK", "SK"]);
    assert_eq!(
        skt.contributors,
        vec![Contributor {
            keys: vec!["CUSTOMER#c00243".into(), "CUSTOMER#c00243".into()],
            value: 12.0,
            datapoints: vec![(T0 + 600, 12.0)],
        }]
    );
    assert_eq!(got[4].as_ref().unwrap().key_labels, vec!["GSI1PK"]);

    // The AccessDenied stays with its rule.
    let e = got[5].as_ref().unwrap_err();
    assert_eq!(e.code, "AccessDenied");
    assert!(e.message.contains(&gsi1_skt), "{e}");
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("cloudwatch:GetInsightRuleReport")
    );
}

#[tokio::test]
async fn reports_skip_resources_that_are_not_enabled() {
    let any = mock!(aws_sdk_cloudwatch::Client::get_insight_rule_report)
        .then_output(|| GetInsightRuleReportOutput::builder().build());
    let cw = cloudwatch(&[&any]);
    let statuses = vec![InsightsStatus {
        resource: Resource::Table,
        status: "ENABLING".into(),
        mode: Some("THROTTLED_KEYS".into()),
        failure: None,
        rules: vec![rule_name("PKT", TABLE)],
    }];
    assert!(
        insights::reports(&cw, &ctx(), &statuses, T0, T1, 60)
            .await
            .is_empty()
    );
    assert_eq!(any.num_calls(), 0);
}

// ------------------------------------------------------------------ enable

#[tokio::test]
async fn enable_sends_update_contributor_insights() {
    let update = mock!(aws_sdk_dynamodb::Client::update_contributor_insights)
        .match_requests(|r| {
            r.table_name() == Some(TABLE)
                && r.index_name() == Some("GSI1")
                && r.contributor_insights_action() == Some(&ContributorInsightsAction::Enable)
                && r.contributor_insights_mode() == Some(&ContributorInsightsMode::ThrottledKeys)
        })
        .then_output(|| {
            UpdateContributorInsightsOutput::builder()
                .table_name(TABLE)
                .index_name("GSI1")
                .contributor_insights_status(ContributorInsightsStatus::Enabling)
                .contributor_insights_mode(ContributorInsightsMode::ThrottledKeys)
                .build()
        });
    let table = mock!(aws_sdk_dynamodb::Client::update_contributor_insights)
        .match_requests(|r| {
            r.table_name() == Some(TABLE)
                && r.index_name().is_none()
                && r.contributor_insights_action() == Some(&ContributorInsightsAction::Enable)
                && r.contributor_insights_mode()
                    == Some(&ContributorInsightsMode::AccessedAndThrottledKeys)
        })
        .then_output(|| {
            UpdateContributorInsightsOutput::builder()
                .table_name(TABLE)
                .contributor_insights_status(ContributorInsightsStatus::Enabling)
                .build()
        });
    let db = dynamo(&[&update, &table], ctx());
    let st = insights::enable(&db, TABLE, Some("GSI1"), "THROTTLED_KEYS")
        .await
        .unwrap();
    assert_eq!(
        st,
        InsightsStatus {
            resource: Resource::Gsi("GSI1".into()),
            status: "ENABLING".into(),
            mode: Some("THROTTLED_KEYS".into()),
            failure: None,
            rules: vec![],
        }
    );
    let st = insights::enable(&db, TABLE, None, "ACCESSED_AND_THROTTLED_KEYS")
        .await
        .unwrap();
    assert_eq!(st.resource, Resource::Table);
    assert_eq!(st.status, "ENABLING");
    assert_eq!(st.mode.as_deref(), Some("ACCESSED_AND_THROTTLED_KEYS"));
    assert_eq!((update.num_calls(), table.num_calls()), (1, 1));

    // A mode that is not one of the two is refused before any call.
    let e = insights::enable(&db, TABLE, None, "EVERYTHING")
        .await
        .unwrap_err();
    assert!(e.message.contains("EVERYTHING"), "{e}");
    assert_eq!((update.num_calls(), table.num_calls()), (1, 1));
}

// ------------------------------------------------------------------ alerts

fn key(resource: Resource, metric: &str, op: Option<&str>, stat: &str) -> SeriesKey {
    SeriesKey {
        resource,
        metric: metric.into(),
        operation: op.map(str::to_string),
        stat: stat.into(),
    }
}

fn series(
    resource: Resource,
    metric: &str,
    op: Option<&str>,
    stat: &str,
    unit: &str,
    points: Vec<(i64, f64)>,
) -> Series {
    Series {
        key: key(resource, metric, op, stat),
        label: metric.into(),
        unit: unit.into(),
        points,
    }
}

/// 60 one-minute points from T0: `base` everywhere, `spikes` (minute, value) over it.
fn minutes(base: f64, spikes: &[(i64, f64)]) -> Vec<(i64, f64)> {
    (0..60)
        .map(|i| {
            let v = spikes
                .iter()
                .find(|(m, _)| *m == i)
                .map_or(base, |(_, v)| *v);
            (T0 + 60 * i, v)
        })
        .collect()
}

fn count(resource: Resource, metric: &str, spikes: &[(i64, f64)]) -> Series {
    series(resource, metric, None, "Sum", "count", minutes(0.0, spikes))
}

fn data(series: Vec<Series>, provisioned: bool) -> MetricsData {
    MetricsData {
        target: Target {
            provisioned,
            ..target()
        },
        range: Range::H1,
        start: T0,
        end: T1,
        period: 60,
        series,
        fetched_at: T1,
        partial: false,
        calls: 1,
    }
}

fn contributor(keys: &[&str], per_minute: &[(i64, f64)]) -> Contributor {
    let datapoints: Vec<(i64, f64)> = per_minute.iter().map(|(m, v)| (T0 + 60 * m, *v)).collect();
    Contributor {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        value: datapoints.iter().map(|(_, v)| v).sum(),
        datapoints,
    }
}

fn report(kind: RuleKind, resource: Resource, contributors: Vec<Contributor>) -> RuleReport {
    let code = match kind {
        RuleKind::Pkc => "PKC",
        RuleKind::Skc => "SKC",
        RuleKind::Pkt => "PKT",
        RuleKind::Skt => "SKT",
    };
    RuleReport {
        rule: rule_name(code, TABLE),
        kind,
        resource,
        key_labels: vec!["PK".into()],
        aggregate: None,
        contributors,
    }
}

fn fired<'a>(alerts: &'a [Alert], rule: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.rule == rule).collect()
}

fn cfg() -> AlertConfig {
    AlertConfig::default()
}

#[test]
fn alert_config_defaults() {
    let c = cfg();
    assert_eq!(c.hot_key_units_per_minute, 50_000.0);
    assert_eq!((c.hot_key_minutes, c.hot_key_window), (3, 5));
    assert_eq!((c.skew_share, c.capacity_share), (0.2, 0.8));
    assert_eq!((c.latency_p99_ms, c.system_errors), (100.0, 1.0));
}

#[test]
fn nothing_fires_on_a_quiet_hour() {
    let d = data(
        vec![
            count(
                Resource::Table,
                "WriteKeyRangeThroughputThrottleEvents",
                &[],
            ),
            count(Resource::Gsi("GSI2".into()), "WriteThrottleEvents", &[]),
            series(
                Resource::Table,
                "ConsumedReadCapacityUnits",
                None,
                "Sum",
                "units/s",
                minutes(100.0, &[]),
            ),
            series(
                Resource::Table,
                "ProvisionedReadCapacityUnits",
                None,
                "Maximum",
                "units/s",
                minutes(1000.0, &[]),
            ),
            series(
                Resource::Table,
                "SuccessfulRequestLatency",
                Some("Query"),
                "p99",
                "ms",
                minutes(12.0, &[]),
            ),
            series(
                Resource::Table,
                "SystemErrors",
                Some("Query"),
                "Sum",
                "count",
                minutes(0.0, &[]),
            ),
        ],
        true,
    );
    let reps = vec![
        report(
            RuleKind::Pkc,
            Resource::Table,
            vec![contributor(&["A"], &[(59, 100.0)])],
        ),
        report(RuleKind::Pkt, Resource::Table, vec![]),
    ];
    assert_eq!(evaluate(&d, &reps, &cfg()), vec![]);
}

#[test]
fn hot_key_confirmed_needs_key_range_throttles_and_a_throttled_key() {
    let throttled = count(
        Resource::Table,
        "WriteKeyRangeThroughputThrottleEvents",
        &[(20, 120.0), (21, 300.0), (22, 80.0)],
    );
    let pkt = report(
        RuleKind::Pkt,
        Resource::Table,
        vec![
            contributor(
                &["CUSTOMER#c00243"],
                &[(20, 100.0), (21, 280.0), (22, 70.0)],
            ),
            contributor(&["CUSTOMER#c00007"], &[(21, 5.0)]),
        ],
    );
    let alerts = evaluate(
        &data(vec![throttled.clone()], true),
        std::slice::from_ref(&pkt),
        &cfg(),
    );
    let hot = fired(&alerts, "hot_key_confirmed");
    assert_eq!(hot.len(), 1, "{alerts:#?}");
    let a = hot[0];
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.resource, Resource::Table);
    assert_eq!(a.key, Some(vec!["CUSTOMER#c00243".to_string()]));
    assert_eq!(a.time, T0 + 22 * 60);
    assert!(
        a.detail.contains("500 write key-range throttle events"),
        "{}",
        a.detail
    );
    assert!(
        a.detail.contains("2026-11-20 13:20Z") && a.detail.contains("13:22Z"),
        "{}",
        a.detail
    );
    assert!(
        a.detail.contains("450 throttled requests") && a.detail.contains("CUSTOMER#c00007"),
        "{}",
        a.detail
    );
    assert!(
        a.detail.contains("Open its partition")
            && a.detail.contains("most throttled partition keys (PKT)"),
        "{}",
        a.detail
    );

    // Throttles but no throttled key: not confirmed.
    let empty = report(RuleKind::Pkt, Resource::Table, vec![]);
    let alerts = evaluate(&data(vec![throttled], true), &[empty], &cfg());
    assert!(
        fired(&alerts, "hot_key_confirmed").is_empty(),
        "{alerts:#?}"
    );

    // A throttled key but only provisioned-capacity throttles: not confirmed.
    let provisioned = count(
        Resource::Table,
        "WriteProvisionedThroughputThrottleEvents",
        &[(21, 300.0)],
    );
    let quiet = count(
        Resource::Table,
        "WriteKeyRangeThroughputThrottleEvents",
        &[],
    );
    let alerts = evaluate(&data(vec![provisioned, quiet], true), &[pkt], &cfg());
    assert!(
        fired(&alerts, "hot_key_confirmed").is_empty(),
        "{alerts:#?}"
    );
}

#[test]
fn hot_key_confirmed_on_a_gsi_with_sort_key_rule() {
    let gsi = Resource::Gsi("GSI1".into());
    let throttled = count(
        gsi.clone(),
        "ReadKeyRangeThroughputThrottleEvents",
        &[(50, 7.0)],
    );
    let skt = report(
        RuleKind::Skt,
        gsi.clone(),
        vec![contributor(
            &["EMAIL#a@example.com", "CUSTOMER#c00001"],
            &[(50, 7.0)],
        )],
    );
    // A PKT contributor of another resource does not count.
    let other = report(
        RuleKind::Pkt,
        Resource::Table,
        vec![contributor(&["X"], &[(50, 1.0)])],
    );
    let alerts = evaluate(&data(vec![throttled], true), &[skt, other], &cfg());
    let hot = fired(&alerts, "hot_key_confirmed");
    assert_eq!(hot.len(), 1, "{alerts:#?}");
    assert_eq!(hot[0].resource, gsi);
    assert_eq!(hot[0].key.as_ref().unwrap().len(), 2);
    assert!(
        hot[0].detail.contains("7 read key-range"),
        "{}",
        hot[0].detail
    );
}

#[test]
fn hot_key_suspected_needs_enough_of_the_last_minutes() {
    let hot = |points: &[(i64, f64)]| {
        report(
            RuleKind::Pkc,
            Resource::Table,
            vec![
                contributor(&["PRODUCT#BOO-1000"], points),
                contributor(&["PRODUCT#KIT-1001"], &[(59, 1000.0)]),
            ],
        )
    };
    let d = data(vec![], true);
    // 3 of the last 5 minutes at or over 50,000.
    let alerts = evaluate(
        &d,
        &[hot(&[
            (55, 60_000.0),
            (57, 50_000.0),
            (58, 10.0),
            (59, 90_000.0),
        ])],
        &cfg(),
    );
    let s = fired(&alerts, "hot_key_suspected");
    assert_eq!(s.len(), 1, "{alerts:#?}");
    assert_eq!(s[0].severity, Severity::Warn);
    assert_eq!(s[0].key, Some(vec!["PRODUCT#BOO-1000".to_string()]));
    assert_eq!(s[0].time, T0 + 59 * 60);
    assert!(s[0].detail.contains("3 of the last 5"), "{}", s[0].detail);
    assert!(s[0].detail.contains("90,000"), "{}", s[0].detail);

    // Only 2 of the last 5.
    let alerts = evaluate(
        &d,
        &[hot(&[(55, 60_000.0), (59, 90_000.0), (58, 49_999.0)])],
        &cfg(),
    );
    assert!(
        fired(&alerts, "hot_key_suspected").is_empty(),
        "{alerts:#?}"
    );
    // 3 hot minutes, but not among the last 5 datapoints.
    let alerts = evaluate(
        &d,
        &[hot(&[
            (40, 60_000.0),
            (41, 60_000.0),
            (42, 60_000.0),
            (59, 100.0),
        ])],
        &cfg(),
    );
    assert!(
        fired(&alerts, "hot_key_suspected").is_empty(),
        "{alerts:#?}"
    );
    // Thresholds are configurable.
    let loose = AlertConfig {
        hot_key_minutes: 2,
        ..cfg()
    };
    let alerts = evaluate(&d, &[hot(&[(55, 60_000.0), (59, 90_000.0)])], &loose);
    assert_eq!(fired(&alerts, "hot_key_suspected").len(), 1);
}

#[test]
fn skew_is_one_keys_share_of_consumed_units() {
    // 100 RCU/s + 3 x 10 WCU/s for an hour = 468,000 units.
    let consumed = vec![
        series(
            Resource::Table,
            "ConsumedReadCapacityUnits",
            None,
            "Sum",
            "units/s",
            minutes(100.0, &[]),
        ),
        series(
            Resource::Table,
            "ConsumedWriteCapacityUnits",
            None,
            "Sum",
            "units/s",
            minutes(10.0, &[]),
        ),
    ];
    let pkc = |v: f64| {
        report(
            RuleKind::Pkc,
            Resource::Table,
            vec![contributor(
                &["CUSTOMER#c00243"],
                &[(10, v / 2.0), (30, v / 2.0)],
            )],
        )
    };
    let alerts = evaluate(&data(consumed.clone(), true), &[pkc(120_000.0)], &cfg());
    let s = fired(&alerts, "skew");
    assert_eq!(s.len(), 1, "{alerts:#?}");
    assert_eq!(s[0].severity, Severity::Info);
    assert_eq!(s[0].time, T0 + 30 * 60);
    assert!(
        s[0].detail.contains("120,000") && s[0].detail.contains("468,000"),
        "{}",
        s[0].detail
    );
    assert!(s[0].detail.contains("26%"), "{}", s[0].detail);

    let alerts = evaluate(&data(consumed, true), &[pkc(50_000.0)], &cfg());
    assert!(fired(&alerts, "skew").is_empty(), "{alerts:#?}");
    // No consumed series: no share to compute.
    let alerts = evaluate(&data(vec![], true), &[pkc(120_000.0)], &cfg());
    assert!(fired(&alerts, "skew").is_empty(), "{alerts:#?}");
}

#[test]
fn gsi_back_pressure_when_no_throttled_key_explains_it() {
    let gsi2 = Resource::Gsi("GSI2".into());
    let throttles = count(
        gsi2.clone(),
        "WriteThrottleEvents",
        &[(40, 50.0), (41, 200.0), (45, 10.0)],
    );
    let reasons = count(
        gsi2.clone(),
        "WriteProvisionedThroughputThrottleEvents",
        &[(40, 50.0), (41, 200.0), (45, 10.0)],
    );
    let empty_pkt = report(RuleKind::Pkt, Resource::Table, vec![]);
    let alerts = evaluate(
        &data(vec![throttles.clone(), reasons.clone()], true),
        std::slice::from_ref(&empty_pkt),
        &cfg(),
    );
    let bp = fired(&alerts, "gsi_back_pressure");
    assert_eq!(bp.len(), 1, "{alerts:#?}");
    assert_eq!(bp[0].severity, Severity::Warn);
    assert_eq!(bp[0].resource, gsi2);
    assert_eq!(bp[0].time, T0 + 45 * 60);
    assert!(
        bp[0].detail.contains("260 write throttle events"),
        "{}",
        bp[0].detail
    );
    assert!(
        bp[0].detail.contains("raise GSI2 write capacity"),
        "{}",
        bp[0].detail
    );
    assert!(
        bp[0].detail.contains("260 provisioned capacity"),
        "{}",
        bp[0].detail
    );

    // A throttled table key at other times does not explain them.
    let earlier = report(
        RuleKind::Pkt,
        Resource::Table,
        vec![contributor(
            &["CUSTOMER#c00243"],
            &[(10, 100.0), (11, 50.0)],
        )],
    );
    let alerts = evaluate(&data(vec![throttles.clone()], true), &[earlier], &cfg());
    assert_eq!(fired(&alerts, "gsi_back_pressure").len(), 1, "{alerts:#?}");

    // A throttled key at the same minutes does.
    let same = report(
        RuleKind::Pkt,
        Resource::Table,
        vec![contributor(
            &["CUSTOMER#c00243"],
            &[(40, 1.0), (41, 1.0), (45, 1.0)],
        )],
    );
    let alerts = evaluate(&data(vec![throttles], true), &[same], &cfg());
    assert!(
        fired(&alerts, "gsi_back_pressure").is_empty(),
        "{alerts:#?}"
    );

    // Read throttles on a GSI never back-pressure the table.
    let reads = count(gsi2, "ReadThrottleEvents", &[(40, 50.0)]);
    let alerts = evaluate(&data(vec![reads], true), &[empty_pkt], &cfg());
    assert!(
        fired(&alerts, "gsi_back_pressure").is_empty(),
        "{alerts:#?}"
    );
}

#[test]
fn capacity_near_limit_against_provisioned_and_on_demand() {
    let gsi1 = Resource::Gsi("GSI1".into());
    let prov = series(
        gsi1.clone(),
        "ProvisionedWriteCapacityUnits",
        None,
        "Maximum",
        "units/s",
        vec![(T0, 100.0), (T0 + 1800, 100.0)],
    );
    let busy = series(
        gsi1.clone(),
        "ConsumedWriteCapacityUnits",
        None,
        "Sum",
        "units/s",
        minutes(40.0, &[(33, 85.0), (34, 92.0)]),
    );
    let alerts = evaluate(&data(vec![prov.clone(), busy], true), &[], &cfg());
    let c = fired(&alerts, "capacity_near_limit");
    assert_eq!(c.len(), 1, "{alerts:#?}");
    assert_eq!(c[0].resource, gsi1);
    assert_eq!(c[0].time, T0 + 34 * 60);
    assert!(
        c[0].detail.contains("92 WCU/s") && c[0].detail.contains("92% of its provisioned 100"),
        "{}",
        c[0].detail
    );
    assert!(c[0].detail.contains("2 of 60"), "{}", c[0].detail);
    assert!(
        c[0].detail.contains("raise GSI1 write capacity"),
        "{}",
        c[0].detail
    );

    let calm = series(
        gsi1.clone(),
        "ConsumedWriteCapacityUnits",
        None,
        "Sum",
        "units/s",
        minutes(40.0, &[(33, 79.0)]),
    );
    let alerts = evaluate(&data(vec![prov, calm], true), &[], &cfg());
    assert!(
        fired(&alerts, "capacity_near_limit").is_empty(),
        "{alerts:#?}"
    );

    // On demand: against the configured maximum.
    let max = series(
        Resource::Table,
        "OnDemandMaxReadRequestUnits",
        None,
        "Maximum",
        "units/s",
        vec![(T0, 1000.0)],
    );
    let reads = series(
        Resource::Table,
        "ConsumedReadCapacityUnits",
        None,
        "Sum",
        "units/s",
        minutes(100.0, &[(5, 900.0)]),
    );
    let alerts = evaluate(&data(vec![max.clone(), reads], false), &[], &cfg());
    let c = fired(&alerts, "capacity_near_limit");
    assert_eq!(c.len(), 1, "{alerts:#?}");
    assert!(c[0].detail.contains("on-demand maximum"), "{}", c[0].detail);
    // On demand with no maximum set: nothing to compare with.
    let reads = series(
        Resource::Table,
        "ConsumedReadCapacityUnits",
        None,
        "Sum",
        "units/s",
        minutes(100.0, &[(5, 900.0)]),
    );
    let alerts = evaluate(&data(vec![reads], false), &[], &cfg());
    assert!(
        fired(&alerts, "capacity_near_limit").is_empty(),
        "{alerts:#?}"
    );
}

#[test]
fn latency_p99_per_operation() {
    let p99 = |op: &str, spikes: &[(i64, f64)]| {
        series(
            Resource::Table,
            "SuccessfulRequestLatency",
            Some(op),
            "p99",
            "ms",
            minutes(15.0, spikes),
        )
    };
    let avg = series(
        Resource::Table,
        "SuccessfulRequestLatency",
        Some("Query"),
        "Average",
        "ms",
        minutes(150.0, &[]),
    );
    let alerts = evaluate(
        &data(
            vec![
                p99("Query", &[(30, 150.0), (31, 120.0)]),
                p99("GetItem", &[(30, 99.0)]),
                avg,
            ],
            true,
        ),
        &[],
        &cfg(),
    );
    let l = fired(&alerts, "latency_p99");
    assert_eq!(l.len(), 1, "{alerts:#?}");
    assert_eq!(l[0].severity, Severity::Warn);
    assert!(l[0].title.contains("Query"), "{}", l[0].title);
    assert_eq!(l[0].time, T0 + 31 * 60);
    assert!(
        l[0].detail.contains("150 ms at 2026-11-20 13:30Z") && l[0].detail.contains("2 of 60"),
        "{}",
        l[0].detail
    );

    let alerts = evaluate(&data(vec![p99("Query", &[(30, 100.0)])], true), &[], &cfg());
    assert!(fired(&alerts, "latency_p99").is_empty(), "{alerts:#?}");
}

#[test]
fn system_errors_are_critical() {
    let errs = |spikes: &[(i64, f64)]| {
        series(
            Resource::Table,
            "SystemErrors",
            Some("PutItem"),
            "Sum",
            "count",
            minutes(0.0, spikes),
        )
    };
    let alerts = evaluate(
        &data(vec![errs(&[(12, 2.0), (14, 1.0)])], true),
        &[],
        &cfg(),
    );
    let e = fired(&alerts, "system_errors");
    assert_eq!(e.len(), 1, "{alerts:#?}");
    assert_eq!(e[0].severity, Severity::Critical);
    assert_eq!(e[0].time, T0 + 14 * 60);
    assert!(
        e[0].detail.contains("3 SystemErrors") && e[0].detail.contains("PutItem"),
        "{}",
        e[0].detail
    );

    let alerts = evaluate(&data(vec![errs(&[])], true), &[], &cfg());
    assert!(fired(&alerts, "system_errors").is_empty(), "{alerts:#?}");
    // Under a raised threshold.
    let strict = AlertConfig {
        system_errors: 5.0,
        ..cfg()
    };
    let alerts = evaluate(&data(vec![errs(&[(12, 2.0)])], true), &[], &strict);
    assert!(fired(&alerts, "system_errors").is_empty(), "{alerts:#?}");
}

#[test]
fn alerts_are_newest_first_then_most_severe() {
    let d = data(
        vec![
            series(
                Resource::Table,
                "SystemErrors",
                Some("Query"),
                "Sum",
                "count",
                minutes(0.0, &[(30, 1.0)]),
            ),
            series(
                Resource::Table,
                "SuccessfulRequestLatency",
                Some("Query"),
                "p99",
                "ms",
                minutes(10.0, &[(30, 300.0)]),
            ),
            series(
                Resource::Table,
                "SuccessfulRequestLatency",
                Some("GetItem"),
                "p99",
                "ms",
                minutes(10.0, &[(50, 300.0)]),
            ),
            series(
                Resource::Table,
                "SystemErrors",
                Some("GetItem"),
                "Sum",
                "count",
                minutes(0.0, &[(10, 4.0)]),
            ),
        ],
        true,
    );
    let alerts = evaluate(&d, &[], &cfg());
    let order: Vec<(i64, Severity)> = alerts
        .iter()
        .map(|a| ((a.time - T0) / 60, a.severity))
        .collect();
    assert_eq!(
        order,
        vec![
            (50, Severity::Warn),
            (30, Severity::Critical),
            (30, Severity::Warn),
            (10, Severity::Critical),
        ]
    );
}

// ------------------------------------------------------------------ snapshots

fn incident_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO_INCIDENT_PATH)
}

#[test]
fn snapshot_save_then_load_is_equal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/incident.json");
    let mut snap = demo_incident(T1);
    snap.endpoint = Some("http://127.0.0.1:8000".into());
    snap.save(&path).unwrap();
    assert_eq!(Snapshot::load(&path).unwrap(), snap);
    // Saving again over it works (temporary file then rename).
    snap.captured_at += 1;
    snap.save(&path).unwrap();
    assert_eq!(Snapshot::load(&path).unwrap(), snap);
    assert!(!dir.path().join("sub/incident.json.tmp").exists());
}

#[test]
fn snapshot_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{\n  \"format\": 1,\n  \"captured_at\": oops\n}\n").unwrap();
    let e = Snapshot::load(&bad).unwrap_err();
    assert!(e.contains(&bad.display().to_string()), "{e}");
    assert!(e.contains("line 3"), "{e}");

    let missing = dir.path().join("nope.json");
    let e = Snapshot::load(&missing).unwrap_err();
    assert!(e.contains("nope.json"), "{e}");

    let mut snap = demo_incident(T1);
    snap.format = 99;
    let future = dir.path().join("future.json");
    snap.save(&future).unwrap();
    let e = Snapshot::load(&future).unwrap_err();
    assert!(e.contains("future.json") && e.contains("format 99"), "{e}");
}

#[test]
fn shipped_incident_is_current() {
    let path = incident_path();
    let want = demo_incident(DEMO_INCIDENT_AT).to_json().unwrap();
    if std::env::var("DYNTUI_REGEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what demo_incident({DEMO_INCIDENT_AT}) generates: run `DYNTUI_REGEN=1 cargo test --test metrics_insights shipped_incident_is_current`",
        path.display()
    );
}

#[test]
fn shipped_incident_loads_with_its_alerts() {
    let snap = Snapshot::load(&incident_path()).unwrap();
    assert_eq!(snap.format, 1);
    assert_eq!(snap.data.target.table, "dyntui-demo");
    assert_eq!(
        (snap.data.end - snap.data.start, snap.data.period),
        (3600, 60)
    );
    let hot = snap
        .alerts
        .iter()
        .find(|a| a.rule == "hot_key_confirmed")
        .expect("hot_key_confirmed");
    assert_eq!(hot.key, Some(vec!["CUSTOMER#c00243".to_string()]));
    assert_eq!(hot.resource, Resource::Table);
    assert!(
        snap.alerts
            .iter()
            .any(|a| a.rule == "gsi_back_pressure" && a.resource == Resource::Gsi("GSI2".into()))
    );
    // The alerts are what the rules say about the data.
    assert_eq!(
        snap.alerts,
        evaluate(&snap.data, &snap.reports, &AlertConfig::default())
    );
    // Rule names parse back to their kinds.
    for r in &snap.reports {
        assert_eq!(RuleKind::from_rule_name(&r.rule), Some(r.kind));
    }
}
