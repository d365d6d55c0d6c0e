//! CloudWatch metrics: the GetMetricData queries and the fetch, against
//! aws-smithy-mocks shaped like the real API (no emulator speaks CloudWatch's
//! RPC v2 CBOR protocol).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::operation::get_metric_data::{
    GetMetricDataError, GetMetricDataInput, GetMetricDataOutput,
};
use aws_sdk_cloudwatch::types::{MetricDataResult, ScanBy, StatusCode};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;

use dyntui::dynamo::error::ConnContext;
use dyntui::metrics::fetch::fetch;
use dyntui::metrics::queries::{OPERATIONS, QuerySpec, build_queries};
use dyntui::metrics::{Range, Resource, Target};

/// Deliberately not on a minute.
const NOW: i64 = 1_790_000_030;

fn target(gsis: &[&str], provisioned: bool) -> Target {
    Target {
        table: "orders".into(),
        gsis: gsis.iter().map(|s| s.to_string()).collect(),
        provisioned,
    }
}

fn many_gsis(n: usize) -> Target {
    Target {
        table: "big-table".into(),
        gsis: (0..n).map(|i| format!("idx-{i}.by_thing")).collect(),
        provisioned: true,
    }
}

fn ctx() -> ConnContext {
    ConnContext {
        profile: Some("oncall".into()),
        region: Some("eu-west-1".into()),
        endpoint: None,
    }
}

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()))
}

type Key = (Resource, String, Option<String>, String);

fn key(q: &QuerySpec) -> Key {
    (
        q.key.resource.clone(),
        q.key.metric.clone(),
        q.key.operation.clone(),
        q.key.stat.clone(),
    )
}

fn k(res: &Resource, metric: &str, op: Option<&str>, stat: &str) -> Key {
    (
        res.clone(),
        metric.into(),
        op.map(String::from),
        stat.into(),
    )
}

/// The series the issue asks for, written out independently of the code.
fn expected_keys(t: &Target) -> HashSet<Key> {
    let mut out = HashSet::new();
    let mut resources = vec![Resource::Table];
    resources.extend(t.gsis.iter().cloned().map(Resource::Gsi));
    for r in &resources {
        for m in [
            "ReadThrottleEvents",
            "WriteThrottleEvents",
            "ReadProvisionedThroughputThrottleEvents",
            "WriteProvisionedThroughputThrottleEvents",
            "ReadKeyRangeThroughputThrottleEvents",
            "WriteKeyRangeThroughputThrottleEvents",
            "ReadMaxOnDemandThroughputThrottleEvents",
            "WriteMaxOnDemandThroughputThrottleEvents",
            "ReadAccountLimitThrottleEvents",
            "ConsumedReadCapacityUnits",
            "ConsumedWriteCapacityUnits",
        ] {
            out.insert(k(r, m, None, "Sum"));
        }
        let limits = if t.provisioned {
            [
                "ProvisionedReadCapacityUnits",
                "ProvisionedWriteCapacityUnits",
            ]
        } else {
            [
                "OnDemandMaxReadRequestUnits",
                "OnDemandMaxWriteRequestUnits",
            ]
        };
        for m in limits {
            out.insert(k(r, m, None, "Maximum"));
        }
    }
    let table = Resource::Table;
    out.insert(k(&table, "WriteAccountLimitThrottleEvents", None, "Sum"));
    for op in OPERATIONS {
        out.insert(k(&table, "ThrottledRequests", Some(op), "Sum"));
        out.insert(k(&table, "SuccessfulRequestLatency", Some(op), "Average"));
        out.insert(k(&table, "SuccessfulRequestLatency", Some(op), "p99"));
        out.insert(k(&table, "SystemErrors", Some(op), "Sum"));
    }
    out.insert(k(&table, "ConditionalCheckFailedRequests", None, "Sum"));
    out.insert(k(&table, "TransactionConflict", None, "Sum"));
    out
}

/// `^[a-z][A-Za-z0-9_]*$`, by hand.
fn id_ok(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && b.len() <= 255
}

fn check_queries(t: &Target, period: i32) -> Vec<QuerySpec> {
    let qs = build_queries(t, period);
    let keys: Vec<Key> = qs.iter().map(key).collect();
    let set: HashSet<Key> = keys.iter().cloned().collect();
    assert_eq!(set.len(), keys.len(), "duplicate series");
    assert_eq!(set, expected_keys(t));
    assert_eq!(qs.len(), 56 + 13 * t.gsis.len());

    let ids: HashSet<&str> = qs.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids.len(), qs.len(), "ids not unique");
    for q in &qs {
        assert!(id_ok(&q.id), "bad id {}", q.id);
        assert_eq!(q.namespace, "AWS/DynamoDB");
        assert_eq!(q.period, period);
        assert!(!q.label.is_empty());

        let mut dims = vec![("TableName".to_string(), t.table.clone())];
        if let Resource::Gsi(g) = &q.key.resource {
            dims.push(("GlobalSecondaryIndexName".into(), g.clone()));
        }
        if let Some(op) = &q.key.operation {
            dims.push(("Operation".into(), op.clone()));
        }
        assert_eq!(q.dimensions, dims, "{}", q.id);

        let m = q.key.metric.as_str();
        let counts = m.ends_with("ThrottleEvents")
            || matches!(
                m,
                "ThrottledRequests"
                    | "SystemErrors"
                    | "ConditionalCheckFailedRequests"
                    | "TransactionConflict"
            );
        assert_eq!(q.fill_zero, counts, "{}", q.id);
        assert_eq!(q.per_second, m.starts_with("Consumed"), "{}", q.id);
        let unit = if counts {
            "count"
        } else if m == "SuccessfulRequestLatency" {
            "ms"
        } else {
            "units/s"
        };
        assert_eq!(q.unit, unit, "{}", q.id);
    }
    qs
}

fn id_of(qs: &[QuerySpec], res: &Resource, metric: &str, op: Option<&str>, stat: &str) -> String {
    qs.iter()
        .find(|q| key(q) == k(res, metric, op, stat))
        .unwrap_or_else(|| panic!("no query for {metric} {op:?} {stat}"))
        .id
        .clone()
}

fn result(id: &str, points: &[(i64, f64)], status: StatusCode) -> MetricDataResult {
    MetricDataResult::builder()
        .id(id)
        .label(id)
        .set_timestamps(Some(
            points
                .iter()
                .map(|(t, _)| DateTime::from_secs(*t))
                .collect(),
        ))
        .set_values(Some(points.iter().map(|(_, v)| *v).collect()))
        .status_code(status)
        .build()
}

/// Complete, empty results for every query of `input` not in `given`.
fn answer_all(
    input: &GetMetricDataInput,
    mut given: Vec<MetricDataResult>,
) -> Vec<MetricDataResult> {
    let have: HashSet<String> = given
        .iter()
        .filter_map(|r| r.id().map(String::from))
        .collect();
    for q in input.metric_data_queries() {
        let id = q.id().unwrap();
        if !have.contains(id) {
            given.push(result(id, &[], StatusCode::Complete));
        }
    }
    given
}

fn recorder() -> Arc<Mutex<Vec<GetMetricDataInput>>> {
    Arc::new(Mutex::new(Vec::new()))
}

// ---------------------------------------------------------------- queries

#[test]
fn queries_for_two_gsis_provisioned() {
    let t = target(&["GSI1", "by-status.v2"], true);
    let qs = check_queries(&t, 60);
    assert_eq!(qs.len(), 82);
    let g1 = Resource::Gsi("GSI1".into());
    assert!(qs.iter().any(|q| q.key.resource == g1
        && q.key.metric == "WriteKeyRangeThroughputThrottleEvents"
        && q.label == "GSI1 write throttles (key range)"));
    assert!(qs.iter().any(|q| q.key.metric == "SuccessfulRequestLatency"
        && q.key.operation.as_deref() == Some("Query")
        && q.key.stat == "p99"
        && q.label == "Query p99 latency"));
    // No GSI gets table-only metrics.
    for q in qs.iter().filter(|q| q.key.resource != Resource::Table) {
        assert!(q.key.operation.is_none());
        assert_ne!(q.key.metric, "WriteAccountLimitThrottleEvents");
        assert!(!q.key.metric.starts_with("OnDemandMax"));
    }
}

#[test]
fn queries_for_two_gsis_on_demand() {
    let t = target(&["GSI1", "GSI2"], false);
    let qs = check_queries(&t, 300);
    assert_eq!(qs.len(), 82);
    assert!(qs.iter().all(|q| !q.key.metric.starts_with("Provisioned")));
    assert_eq!(
        qs.iter()
            .filter(|q| q.key.metric.starts_with("OnDemandMax"))
            .count(),
        6
    );
}

#[test]
fn queries_with_no_gsi_and_many_gsis() {
    check_queries(&target(&[], true), 60);
    let qs = check_queries(&many_gsis(40), 60);
    assert!(qs.len() > 500);
}

#[test]
fn periods_follow_the_range() {
    let t = target(&["GSI1", "GSI2"], true);
    let mut ranges: Vec<Range> = Range::PRESETS.to_vec();
    let day = 86_400;
    let now = NOW - NOW % 60;
    let custom20 = Range::Custom {
        start: now - 20 * day,
        end: now - 20 * day + 3600,
    };
    let custom70 = Range::Custom {
        start: now - 70 * day,
        end: now - 70 * day + 3600,
    };
    ranges.push(custom20);
    ranges.push(custom70);
    for r in ranges {
        let p = r.period(NOW);
        assert_eq!(p % 60, 0);
        let qs = build_queries(&t, p);
        assert!(qs.iter().all(|q| q.period == p), "{r:?}");
    }
    assert_eq!(Range::H1.period(NOW), 60);
    assert!(Range::W1.period(NOW) >= 420);
    assert!(custom20.period(NOW) >= 300);
    assert!(custom70.period(NOW) >= 3600);
}

// ---------------------------------------------------------------- fetch

#[tokio::test]
async fn fetch_request_shape_and_points() {
    let t = target(&["GSI1", "by-status.v2"], true);
    let (start, end) = Range::H1.bounds(NOW);
    assert_eq!(start % 60, 0);
    let period = Range::H1.period(NOW);
    assert_eq!(period, 60);
    let qs = build_queries(&t, period);
    let thr = id_of(&qs, &Resource::Table, "ReadThrottleEvents", None, "Sum");
    let gsi_thr = id_of(
        &qs,
        &Resource::Gsi("by-status.v2".into()),
        "WriteKeyRangeThroughputThrottleEvents",
        None,
        "Sum",
    );
    let p99 = id_of(
        &qs,
        &Resource::Table,
        "SuccessfulRequestLatency",
        Some("Query"),
        "p99",
    );
    let rcu = id_of(
        &qs,
        &Resource::Table,
        "ConsumedReadCapacityUnits",
        None,
        "Sum",
    );
    let prov = id_of(
        &qs,
        &Resource::Table,
        "ProvisionedReadCapacityUnits",
        None,
        "Maximum",
    );

    let seen = recorder();
    let rec = seen.clone();
    let (thr2, gsi2, p992, rcu2, prov2) = (
        thr.clone(),
        gsi_thr.clone(),
        p99.clone(),
        rcu.clone(),
        prov.clone(),
    );
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        rec.lock().unwrap().push(input.clone());
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(answer_all(
                input,
                vec![
                    // Descending, as CloudWatch returns by default.
                    result(
                        &thr2,
                        &[(start + 600, 7.0), (start + 60, 5.0)],
                        StatusCode::Complete,
                    ),
                    result(&gsi2, &[(start + 120, 2.0)], StatusCode::Complete),
                    result(
                        &p992,
                        &[(start + 180, 12.5), (start, 3.25)],
                        StatusCode::Complete,
                    ),
                    result(
                        &rcu2,
                        &[(start + 60, 120.0), (start, 600.0)],
                        StatusCode::Complete,
                    ),
                    result(&prov2, &[(start, 100.0)], StatusCode::Complete),
                ],
            )))
            .build()
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::H1, NOW).await.unwrap();

    // The request.
    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 1);
    assert_eq!(data.calls, 1);
    let input = &inputs[0];
    assert_eq!(input.start_time(), Some(&DateTime::from_secs(start)));
    assert_eq!(input.end_time(), Some(&DateTime::from_secs(end)));
    assert_eq!(input.scan_by(), Some(&ScanBy::TimestampAscending));
    assert!(input.next_token().is_none());
    let sent = input.metric_data_queries();
    assert_eq!(sent.len(), qs.len());
    let by_id: HashMap<&str, &QuerySpec> = qs.iter().map(|q| (q.id.as_str(), q)).collect();
    for mq in sent {
        let spec = by_id[mq.id().unwrap()];
        assert!(mq.expression().is_none());
        assert_ne!(mq.return_data(), Some(false));
        let ms = mq.metric_stat().expect("metric stat");
        assert!(ms.unit().is_none(), "Unit set on {}", spec.id);
        assert_eq!(ms.period(), Some(60));
        assert_eq!(ms.stat(), Some(spec.key.stat.as_str()));
        let m = ms.metric().unwrap();
        assert_eq!(m.namespace(), Some("AWS/DynamoDB"));
        assert_eq!(m.metric_name(), Some(spec.key.metric.as_str()));
        let dims: Vec<(String, String)> = m
            .dimensions()
            .iter()
            .map(|d| {
                (
                    d.name().unwrap().to_string(),
                    d.value().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(dims, spec.dimensions);
    }

    // The data.
    assert_eq!((data.start, data.end, data.period), (start, end, 60));
    assert_eq!(data.fetched_at, NOW);
    assert!(!data.partial);
    assert_eq!(data.series.len(), qs.len());
    assert_eq!(data.target, t);

    let grid: Vec<i64> = (0..60).map(|i| start + 60 * i).collect();
    let s = data
        .find(&Resource::Table, "ReadThrottleEvents", None, "Sum")
        .unwrap();
    assert_eq!(s.unit, "count");
    let want: Vec<(i64, f64)> = grid
        .iter()
        .map(|&ts| {
            let v = if ts == start + 60 {
                5.0
            } else if ts == start + 600 {
                7.0
            } else {
                0.0
            };
            (ts, v)
        })
        .collect();
    assert_eq!(s.points, want);

    let s = data
        .find(
            &Resource::Gsi("by-status.v2".into()),
            "WriteKeyRangeThroughputThrottleEvents",
            None,
            "Sum",
        )
        .unwrap();
    assert_eq!(s.points.len(), 60);
    assert_eq!(s.points.iter().map(|p| p.1).sum::<f64>(), 2.0);
    assert_eq!(s.points[2], (start + 120, 2.0));

    // Latency: missing points stay missing, ascending.
    let s = data
        .find(
            &Resource::Table,
            "SuccessfulRequestLatency",
            Some("Query"),
            "p99",
        )
        .unwrap();
    assert_eq!(s.unit, "ms");
    assert_eq!(s.label, "Query p99 latency");
    assert_eq!(s.points, vec![(start, 3.25), (start + 180, 12.5)]);

    // Consumed capacity: Sum / period.
    let s = data
        .find(&Resource::Table, "ConsumedReadCapacityUnits", None, "Sum")
        .unwrap();
    assert_eq!(s.unit, "units/s");
    assert_eq!(s.points, vec![(start, 10.0), (start + 60, 2.0)]);
    // Provisioned capacity is a Maximum, not divided.
    let s = data
        .find(
            &Resource::Table,
            "ProvisionedReadCapacityUnits",
            None,
            "Maximum",
        )
        .unwrap();
    assert_eq!(s.points, vec![(start, 100.0)]);

    // Every other throttle/error series is 60 zeros; every other latency empty.
    for s in &data.series {
        if s.key.metric == "SuccessfulRequestLatency" && s.key.operation.as_deref() != Some("Query")
        {
            assert!(s.points.is_empty());
        }
        if s.key.metric == "SystemErrors" {
            assert_eq!(s.points.len(), 60);
            assert!(s.points.iter().all(|p| p.1 == 0.0));
        }
    }
}

#[tokio::test]
async fn fetch_week_aligns_to_the_period_and_divides() {
    let t = target(&[], false);
    let period = Range::W1.period(NOW);
    let p = i64::from(period);
    let (raw_start, end) = Range::W1.bounds(NOW);
    let start = raw_start - raw_start.rem_euclid(p);
    let qs = build_queries(&t, period);
    let wcu = id_of(
        &qs,
        &Resource::Table,
        "ConsumedWriteCapacityUnits",
        None,
        "Sum",
    );
    let cond = id_of(
        &qs,
        &Resource::Table,
        "ConditionalCheckFailedRequests",
        None,
        "Sum",
    );

    let seen = recorder();
    let rec = seen.clone();
    let (wcu2, cond2) = (wcu.clone(), cond.clone());
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        rec.lock().unwrap().push(input.clone());
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(answer_all(
                input,
                vec![
                    result(&wcu2, &[(start + p, 6.0 * p as f64)], StatusCode::Complete),
                    // Off-grid and out-of-range timestamps.
                    result(
                        &cond2,
                        &[(start + 2 * p + 30, 4.0), (start - p, 99.0), (end, 99.0)],
                        StatusCode::Complete,
                    ),
                ],
            )))
            .build()
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::W1, NOW).await.unwrap();
    let input = seen.lock().unwrap()[0].clone();
    assert_eq!(input.start_time().unwrap().secs(), start);
    assert_eq!(input.end_time().unwrap().secs(), end);
    assert!(
        input
            .metric_data_queries()
            .iter()
            .all(|q| q.metric_stat().unwrap().period() == Some(period))
    );
    assert_eq!(data.period, period);
    assert_eq!(data.start, start);

    let s = data
        .find(&Resource::Table, "ConsumedWriteCapacityUnits", None, "Sum")
        .unwrap();
    assert_eq!(s.points, vec![(start + p, 6.0)]);
    let s = data
        .find(
            &Resource::Table,
            "ConditionalCheckFailedRequests",
            None,
            "Sum",
        )
        .unwrap();
    let n = ((end - start) + p - 1) / p;
    assert_eq!(s.points.len() as i64, n);
    assert_eq!(s.points[2], (start + 2 * p, 4.0));
    assert_eq!(s.points.iter().map(|x| x.1).sum::<f64>(), 4.0);
    assert!(s.points.windows(2).all(|w| w[1].0 - w[0].0 == p));
}

#[tokio::test]
async fn fetch_batches_beyond_500_queries() {
    let t = many_gsis(40);
    let total = build_queries(&t, 60).len();
    assert!(total > 500);

    let seen = recorder();
    let rec = seen.clone();
    let (start, _) = Range::H1.bounds(NOW);
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        rec.lock().unwrap().push(input.clone());
        assert!(input.metric_data_queries().len() <= 500);
        let results = input
            .metric_data_queries()
            .iter()
            .map(|q| result(q.id().unwrap(), &[(start + 60, 1.0)], StatusCode::Complete))
            .collect();
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::H1, NOW).await.unwrap();

    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 2);
    assert_eq!(data.calls, 2);
    let mut sizes: Vec<usize> = inputs
        .iter()
        .map(|i| i.metric_data_queries().len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, vec![total - 500, 500]);
    let sent: HashSet<String> = inputs
        .iter()
        .flat_map(|i| {
            i.metric_data_queries()
                .iter()
                .map(|q| q.id().unwrap().to_string())
        })
        .collect();
    assert_eq!(sent.len(), total);
    assert!(
        inputs
            .iter()
            .flat_map(|i| i.metric_data_queries())
            .all(|q| q.metric_stat().unwrap().unit().is_none())
    );

    assert!(!data.partial);
    assert_eq!(data.series.len(), total);
    for s in &data.series {
        let v = s
            .points
            .iter()
            .find(|p| p.0 == start + 60)
            .unwrap_or_else(|| panic!("{} unanswered", s.label))
            .1;
        let want = if s.key.metric.starts_with("Consumed") {
            1.0 / 60.0
        } else {
            1.0
        };
        assert_eq!(v, want, "{}", s.label);
    }
    let last = Resource::Gsi("idx-39.by_thing".into());
    assert!(
        data.find(&last, "WriteThrottleEvents", None, "Sum")
            .is_some()
    );
}

#[tokio::test]
async fn fetch_follows_next_token_and_merges() {
    let t = target(&["GSI1"], true);
    let (start, _) = Range::H1.bounds(NOW);
    let qs = build_queries(&t, 60);
    let thr = id_of(
        &qs,
        &Resource::Gsi("GSI1".into()),
        "WriteThrottleEvents",
        None,
        "Sum",
    );
    let lat = id_of(
        &qs,
        &Resource::Table,
        "SuccessfulRequestLatency",
        Some("GetItem"),
        "Average",
    );

    let seen = recorder();
    let rec = seen.clone();
    let (thr2, lat2) = (thr.clone(), lat.clone());
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        rec.lock().unwrap().push(input.clone());
        match input.next_token() {
            None => GetMetricDataOutput::builder()
                .set_metric_data_results(Some(vec![
                    result(
                        &thr2,
                        &[(start, 1.0), (start + 60, 2.0)],
                        StatusCode::PartialData,
                    ),
                    result(&lat2, &[(start, 4.0)], StatusCode::PartialData),
                ]))
                .next_token("page-2")
                .build(),
            Some("page-2") => GetMetricDataOutput::builder()
                .set_metric_data_results(Some(answer_all(
                    input,
                    vec![
                        result(&thr2, &[(start + 120, 3.0)], StatusCode::Complete),
                        result(&lat2, &[(start + 60, 5.0)], StatusCode::Complete),
                    ],
                )))
                .build(),
            Some(other) => panic!("unexpected token {other}"),
        }
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::H1, NOW).await.unwrap();

    let inputs = seen.lock().unwrap().clone();
    assert_eq!(inputs.len(), 2);
    assert_eq!(data.calls, 2);
    assert_eq!(inputs[1].next_token(), Some("page-2"));
    assert_eq!(
        inputs[0].metric_data_queries(),
        inputs[1].metric_data_queries()
    );
    assert_eq!(inputs[0].start_time(), inputs[1].start_time());
    assert_eq!(inputs[0].end_time(), inputs[1].end_time());
    assert!(!data.partial, "the last page was Complete");

    let s = data
        .find(
            &Resource::Gsi("GSI1".into()),
            "WriteThrottleEvents",
            None,
            "Sum",
        )
        .unwrap();
    assert_eq!(
        &s.points[..4],
        &[
            (start, 1.0),
            (start + 60, 2.0),
            (start + 120, 3.0),
            (start + 180, 0.0)
        ]
    );
    assert_eq!(s.points.len(), 60);
    let s = data
        .find(
            &Resource::Table,
            "SuccessfulRequestLatency",
            Some("GetItem"),
            "Average",
        )
        .unwrap();
    assert_eq!(s.points, vec![(start, 4.0), (start + 60, 5.0)]);
}

#[tokio::test]
async fn fetch_notes_partial_data() {
    let t = target(&[], true);
    let qs = build_queries(&t, 60);
    let thr = id_of(&qs, &Resource::Table, "ReadThrottleEvents", None, "Sum");
    let (start, _) = Range::H1.bounds(NOW);
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(answer_all(
                input,
                vec![result(&thr, &[(start, 3.0)], StatusCode::PartialData)],
            )))
            .build()
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::H1, NOW).await.unwrap();
    assert!(data.partial);
    assert_eq!(data.calls, 1);
    let s = data
        .find(&Resource::Table, "ReadThrottleEvents", None, "Sum")
        .unwrap();
    assert_eq!(s.points[0], (start, 3.0));
}

#[tokio::test]
async fn fetch_missing_results_fill_zero_only_for_counts() {
    let t = target(&["GSI1"], false);
    // CloudWatch answers every query but with no datapoints at all.
    let rule = mock!(Client::get_metric_data).then_compute_output(|input| {
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(answer_all(input, vec![])))
            .build()
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::H3, NOW).await.unwrap();
    let period = Range::H3.period(NOW);
    assert_eq!(data.period, period);
    let n = ((data.end - data.start) as usize).div_ceil(period as usize);
    assert!(!data.partial);
    for s in &data.series {
        if s.unit == "count" {
            assert_eq!(s.points.len(), n, "{}", s.label);
            assert!(s.points.iter().all(|p| p.1 == 0.0));
            assert!(s.points.windows(2).all(|w| w[0].0 < w[1].0));
        } else {
            assert!(s.points.is_empty(), "{}", s.label);
        }
    }
}

#[tokio::test]
async fn fetch_with_an_unanswered_query_is_partial() {
    let t = target(&[], true);
    let rule = mock!(Client::get_metric_data).then_compute_output(|input| {
        let mut results = answer_all(input, vec![]);
        results.pop();
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    });
    let cw = client(&[&rule]);
    let data = fetch(&cw, &ctx(), &t, Range::H1, NOW).await.unwrap();
    assert!(data.partial);
}

#[tokio::test]
async fn access_denied_names_the_permission() {
    for code in ["AccessDenied", "AccessDeniedException"] {
        let rule = mock!(Client::get_metric_data).then_error(move || {
            GetMetricDataError::generic(
                ErrorMetadata::builder()
                    .code(code)
                    .message(
                        "User: arn:aws:sts::123456789012:assumed-role/oncall/me is not authorized to perform: cloudwatch:GetMetricData",
                    )
                    .build(),
            )
        });
        let cw = client(&[&rule]);
        let err = fetch(&cw, &ctx(), &target(&["GSI1"], true), Range::H1, NOW)
            .await
            .unwrap_err();
        assert_eq!(err.code, code);
        assert!(err.message.contains("not authorized"));
        let hint = err.hint.clone().expect("a hint");
        assert!(hint.contains("cloudwatch:GetMetricData"), "{hint}");
        assert!(err.to_string().contains("cloudwatch:GetMetricData"));
        assert_eq!(rule.num_calls(), 1, "not retried");
    }
}

#[tokio::test]
async fn other_cloudwatch_errors_keep_their_code() {
    let rule = mock!(Client::get_metric_data).then_error(|| {
        GetMetricDataError::generic(
            ErrorMetadata::builder()
                .code("InvalidParameterValue")
                .message("The value for parameter Period is invalid")
                .build(),
        )
    });
    let cw = client(&[&rule]);
    let err = fetch(&cw, &ctx(), &target(&[], true), Range::H1, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert!(err.message.contains("Period"));
}

// ---------------------------------------------------------------- sparklines

#[tokio::test]
async fn throttle_sparklines_for_the_tables_list_in_one_call() {
    let now = 1_795_183_200; // a multiple of 300
    let calls = recorder();
    let seen = calls.clone();
    let rule = mock!(Client::get_metric_data).then_compute_output(move |input| {
        seen.lock().unwrap().push(input.clone());
        // Table 1 (`orders`) throttled reads 10 minutes before the end and writes 5 minutes before.
        let given = vec![
            result("s1_r", &[(now - 600, 4.0)], StatusCode::Complete),
            result("s1_w", &[(now - 300, 8.0)], StatusCode::Complete),
        ];
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(answer_all(input, given)))
            .build()
    });
    let cw = client(&[&rule]);
    let tables = vec!["customers".to_string(), "orders".to_string()];
    let sparks = dyntui::metrics::sparklines::throttles(&cw, &ctx(), &tables, now)
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
    let input = calls.lock().unwrap()[0].clone();
    assert_eq!(input.metric_data_queries().len(), 4);
    assert_eq!(input.start_time().map(|t| t.secs()), Some(now - 3600));
    assert_eq!(input.end_time().map(|t| t.secs()), Some(now));
    for q in input.metric_data_queries() {
        let stat = q.metric_stat().unwrap();
        assert_eq!(stat.period(), Some(300));
        assert_eq!(stat.stat(), Some("Sum"));
        assert!(stat.unit().is_none());
    }
    assert_eq!(sparks["customers"], vec![0.0; 12]);
    let mut want = vec![0.0; 12];
    want[10] = 4.0;
    want[11] = 8.0;
    assert_eq!(sparks["orders"], want);
    assert_eq!(
        dyntui::metrics::sparklines::render(&sparks["orders"]),
        "▁▁▁▁▁▁▁▁▁▁▅█"
    );
}
