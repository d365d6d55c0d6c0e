//! `dynamo::seed` against a mocked DynamoDB (aws-smithy-mocks): unprocessed
//! items and throttling retried with backoff until they succeed, the retry
//! budget ending in a clear error, non-throttling errors not retried,
//! server errors retried, batching, resume (`skip_batches`), the stop flag,
//! the rate limiter, and the write rate adapting to throttles.
//!
//! The SDK's own retries are disabled so every call the rule sees is one
//! made by `write_batch`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemError, BatchWriteItemOutput};
use aws_sdk_dynamodb::types::error::{
    InternalServerError, ProvisionedThroughputExceededException, RequestLimitExceeded,
    ThrottlingException,
};
use aws_sdk_dynamodb::types::{PutRequest, ThrottlingReason, WriteRequest};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::error::{ConnContext, ThrottleReason};
use dyntui::dynamo::seed::{
    AdaptiveRate, BATCH_SIZE, Progress, RateLimiter, START_WCU, Write, WriteOptions, backoff,
    write_all, write_batch, write_stream,
};
use dyntui::dynamo::{AttributeValue, Item};

const TABLE: &str = "orders-dev";
const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev";

// ------------------------------------------------------------------ helpers

fn item(i: usize) -> Item {
    let mut it = Item::new();
    it.insert("PK".into(), AttributeValue::S(format!("ITEM#{i:04}")));
    it.insert("SK".into(), AttributeValue::S("A".into()));
    it.insert("n".into(), AttributeValue::N(i.to_string()));
    it
}

fn items(range: std::ops::Range<usize>) -> Vec<Item> {
    range.map(item).collect()
}

fn puts(range: std::ops::Range<usize>) -> Vec<Write> {
    range.map(|i| Write::Put(item(i))).collect()
}

fn put_request(i: usize) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item(i)))
                .build()
                .expect("put request"),
        )
        .build()
}

/// A success that left the items of `range` unprocessed.
fn unprocessed(range: std::ops::Range<usize>) -> BatchWriteItemOutput {
    BatchWriteItemOutput::builder()
        .unprocessed_items(TABLE, range.map(put_request).collect())
        .build()
}

fn all_done() -> BatchWriteItemOutput {
    BatchWriteItemOutput::builder().build()
}

fn reason() -> ThrottlingReason {
    ThrottlingReason::builder()
        .reason("TableWriteProvisionedThroughputExceeded")
        .resource(TABLE_ARN)
        .build()
}

/// Error metadata as the SDK's deserializer fills it from a response.
fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn provisioned_exceeded() -> BatchWriteItemError {
    let msg = "The level of configured provisioned throughput for the table was exceeded";
    BatchWriteItemError::ProvisionedThroughputExceededException(
        ProvisionedThroughputExceededException::builder()
            .message(msg)
            .throttling_reasons(reason())
            .meta(meta("ProvisionedThroughputExceededException", msg))
            .build(),
    )
}

fn throttling() -> BatchWriteItemError {
    let msg = "Rate of requests exceeds the allowed throughput";
    BatchWriteItemError::ThrottlingException(
        ThrottlingException::builder()
            .message(msg)
            .throttling_reasons(
                ThrottlingReason::builder()
                    .reason("TableWriteKeyRangeThroughputExceeded")
                    .resource(TABLE_ARN)
                    .build(),
            )
            .meta(meta("ThrottlingException", msg))
            .build(),
    )
}

fn request_limit() -> BatchWriteItemError {
    let msg = "Throughput exceeds the current throughput limit for your account";
    BatchWriteItemError::RequestLimitExceeded(
        RequestLimitExceeded::builder()
            .message(msg)
            .meta(meta("RequestLimitExceeded", msg))
            .build(),
    )
}

fn validation() -> BatchWriteItemError {
    BatchWriteItemError::generic(meta(
        "ValidationException",
        "One or more parameter values were invalid: Missing the key SK in the item",
    ))
}

fn internal_error() -> BatchWriteItemError {
    let msg = "Internal server error";
    BatchWriteItemError::InternalServerError(
        InternalServerError::builder()
            .message(msg)
            .meta(meta("InternalServerError", msg))
            .build(),
    )
}

fn client(rules: &[&Rule], mode: RuleMode) -> Dynamo {
    let c = mock_client!(aws_sdk_dynamodb, mode, rules, |c| c
        .retry_config(RetryConfig::disabled()));
    Dynamo::from_client(
        c,
        ConnContext {
            profile: None,
            region: Some("us-east-1".into()),
            endpoint: None,
        },
    )
}

/// Tiny backoffs so the tests are fast; one batch at a time.
fn opts(max_retries: u32) -> WriteOptions {
    WriteOptions {
        concurrency: 1,
        max_retries,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        rate_limit_wcu: None,
    }
}

/// The `n` attribute of every put in a request, per call, as the rule saw
/// them (the matcher runs once per call in sequential mode).
type Seen = Arc<Mutex<Vec<Vec<usize>>>>;

fn recorder() -> (
    Seen,
    impl Fn(&aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput) -> bool
    + Send
    + Sync
    + 'static,
) {
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let f = move |req: &aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput| {
        let tables = req.request_items().expect("request items");
        assert_eq!(tables.len(), 1, "one table per request");
        let writes = tables.get(TABLE).expect("the table's requests");
        let ns = writes
            .iter()
            .map(|w| {
                let it = w
                    .put_request()
                    .map(|p| p.item())
                    .or_else(|| w.delete_request().map(|d| d.key()))
                    .expect("a put or a delete");
                match it.get("n").or_else(|| it.get("PK")) {
                    Some(AttributeValue::N(n)) => n.parse().expect("n"),
                    Some(AttributeValue::S(pk)) => pk
                        .strip_prefix("ITEM#")
                        .and_then(|x| x.parse().ok())
                        .expect("ITEM#n"),
                    other => panic!("unexpected key {other:?}"),
                }
            })
            .collect();
        s2.lock().unwrap().push(ns);
        true
    };
    (seen, f)
}

fn counts(p: &Progress) -> (u64, u64, u64) {
    (
        p.written.load(Ordering::Relaxed),
        p.retries.load(Ordering::Relaxed),
        p.throttles.load(Ordering::Relaxed),
    )
}

// ------------------------------------------------------- unprocessed items

#[tokio::test]
async fn unprocessed_items_are_retried_until_all_are_written() {
    let (seen, matcher) = recorder();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(matcher)
        .sequence()
        .output(|| unprocessed(15..25))
        .output(|| unprocessed(22..25))
        .output(|| unprocessed(24..25))
        .output(all_done)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    write_batch(&db, TABLE, puts(0..25), &opts(5), &p)
        .await
        .expect("all written in the end");
    assert_eq!(rule.num_calls(), 4);
    assert_eq!(counts(&p), (25, 3, 0), "(written, retries, throttles)");
    // Each retry sends exactly what was left unprocessed.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0], (0..25).collect::<Vec<_>>());
    assert_eq!(seen[1], (15..25).collect::<Vec<_>>());
    assert_eq!(seen[2], (22..25).collect::<Vec<_>>());
    assert_eq!(seen[3], vec![24]);
}

#[tokio::test]
async fn unprocessed_items_past_the_retry_budget_are_a_clear_error() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(|| unprocessed(20..25))
        .times(3)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    let err = write_batch(&db, TABLE, puts(0..25), &opts(2), &p)
        .await
        .expect_err("gives up");
    // The first try plus max_retries retries, no more.
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(err.code, "UnprocessedItems");
    assert!(
        err.message
            .contains("5 items still unprocessed after 2 retries"),
        "{err}"
    );
    assert!(
        err.hint.as_deref().unwrap_or("").contains("--rate-limit"),
        "{err}"
    );
    assert!(err.throttling.is_empty());
    assert_eq!(counts(&p), (20, 2, 0), "(written, retries, throttles)");
}

#[tokio::test]
async fn zero_retries_gives_up_after_the_first_unprocessed_answer() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(|| unprocessed(0..1))
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    let err = write_batch(&db, TABLE, puts(0..3), &opts(0), &p)
        .await
        .expect_err("no retries allowed");
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(err.code, "UnprocessedItems");
    assert!(
        err.message
            .contains("1 items still unprocessed after 0 retries"),
        "{err}"
    );
    assert_eq!(counts(&p), (2, 0, 0));
}

// --------------------------------------------------------------- throttling

#[tokio::test]
async fn throttling_is_retried_until_success() {
    let (seen, matcher) = recorder();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(matcher)
        .sequence()
        .error(provisioned_exceeded)
        .times(3)
        .error(throttling)
        .error(request_limit)
        .output(all_done)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    write_batch(&db, TABLE, puts(0..25), &opts(10), &p)
        .await
        .expect("written after the throttles");
    assert_eq!(rule.num_calls(), 6);
    assert_eq!(counts(&p), (25, 5, 5), "(written, retries, throttles)");
    // A throttled request is re-sent whole.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    assert!(seen.iter().all(|s| *s == (0..25).collect::<Vec<_>>()));
}

#[tokio::test]
async fn unprocessed_items_and_throttles_mixed() {
    let (seen, matcher) = recorder();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(matcher)
        .sequence()
        .output(|| unprocessed(10..25))
        .error(provisioned_exceeded)
        .output(|| unprocessed(20..25))
        .output(all_done)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    write_batch(&db, TABLE, puts(0..25), &opts(10), &p)
        .await
        .expect("written");
    assert_eq!(rule.num_calls(), 4);
    assert_eq!(counts(&p), (25, 3, 1));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[1], (10..25).collect::<Vec<_>>());
    assert_eq!(
        seen[2],
        (10..25).collect::<Vec<_>>(),
        "throttled: same items again"
    );
    assert_eq!(seen[3], (20..25).collect::<Vec<_>>());
}

#[tokio::test]
async fn throttling_past_the_retry_budget_is_a_clear_error_with_the_reasons() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .error(provisioned_exceeded)
        .times(4)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    let err = write_batch(&db, TABLE, puts(0..25), &opts(3), &p)
        .await
        .expect_err("gives up");
    assert_eq!(rule.num_calls(), 4);
    assert_eq!(err.code, "ProvisionedThroughputExceededException");
    assert!(
        err.message.contains("gave up after 3 retries"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("provisioned throughput"),
        "the AWS message is kept: {}",
        err.message
    );
    assert_eq!(
        err.throttling,
        vec![ThrottleReason {
            reason: "TableWriteProvisionedThroughputExceeded".into(),
            resource: TABLE_ARN.into(),
        }]
    );
    assert!(err.is_throttle());
    let shown = err.to_string();
    assert!(
        shown.contains(&format!(
            "[TableWriteProvisionedThroughputExceeded on {TABLE_ARN}]"
        )),
        "{shown}"
    );
    assert_eq!(counts(&p), (0, 3, 4), "(written, retries, throttles)");
}

#[tokio::test]
async fn throttling_exception_reasons_are_carried_too() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .error(throttling)
        .times(2)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    let err = write_batch(&db, TABLE, puts(0..2), &opts(1), &p)
        .await
        .expect_err("gives up");
    assert_eq!(rule.num_calls(), 2);
    assert_eq!(err.code, "ThrottlingException");
    assert!(err.message.contains("gave up after 1 retries"), "{err}");
    assert_eq!(err.throttling.len(), 1);
    assert_eq!(
        err.throttling[0].reason,
        "TableWriteKeyRangeThroughputExceeded"
    );
    assert_eq!(counts(&p), (0, 1, 2));
}

#[tokio::test]
async fn a_non_throttling_error_is_not_retried() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .error(validation)
        .output(all_done)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    let err = write_batch(&db, TABLE, puts(0..25), &opts(10), &p)
        .await
        .expect_err("fails at once");
    assert_eq!(rule.num_calls(), 1, "not retried");
    assert_eq!(err.code, "ValidationException");
    assert!(err.message.contains("Missing the key SK"), "{err}");
    assert!(err.throttling.is_empty());
    assert_eq!(counts(&p), (0, 0, 0));
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let (seen, matcher) = recorder();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(matcher)
        .sequence()
        .error(internal_error)
        .times(2)
        .output(|| unprocessed(20..25))
        .error(internal_error)
        .output(all_done)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    write_batch(&db, TABLE, puts(0..25), &opts(10), &p)
        .await
        .expect("written after the server errors");
    assert_eq!(rule.num_calls(), 5);
    assert_eq!(counts(&p), (25, 4, 0), "(written, retries, throttles)");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen[2],
        (0..25).collect::<Vec<_>>(),
        "a failed request is sent whole again"
    );
    assert_eq!(seen[3], (20..25).collect::<Vec<_>>());
}

#[tokio::test]
async fn server_errors_past_the_retry_budget_are_a_clear_error() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .error(internal_error)
        .times(3)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Progress::default();
    let err = write_batch(&db, TABLE, puts(0..5), &opts(2), &p)
        .await
        .expect_err("gives up");
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(err.code, "InternalServerError");
    assert!(err.message.contains("gave up after 2 retries"), "{err}");
    assert_eq!(counts(&p), (0, 2, 0));
}

// ------------------------------------------------------------ write_stream

#[tokio::test]
async fn write_stream_sends_batches_of_25_and_counts_everything() {
    let (seen, matcher) = recorder();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(matcher)
        .then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let p = Arc::new(Progress::default());
    let opts = WriteOptions {
        concurrency: 4,
        ..opts(3)
    };
    let report = write_all(&db, TABLE, items(0..110), &opts, p.clone())
        .await
        .expect("written");
    assert_eq!(rule.num_calls(), 5);
    assert_eq!(report.written, 110);
    assert_eq!(report.batches_done, 5);
    assert!(!report.stopped);
    assert_eq!((report.retries, report.throttles), (0, 0));
    assert_eq!(p.batches_done.load(Ordering::Relaxed), 5);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    let sizes: Vec<usize> = seen.iter().map(Vec::len).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 110);
    assert!(sizes.iter().all(|&n| n <= BATCH_SIZE), "{sizes:?}");
    assert_eq!(sizes.iter().filter(|&&n| n == BATCH_SIZE).count(), 4);
    let mut all: Vec<usize> = seen.concat();
    all.sort();
    assert_eq!(all, (0..110).collect::<Vec<_>>());
}

#[tokio::test]
async fn write_stream_retries_inside_a_batch_and_reports_the_totals() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(all_done)
        .output(|| unprocessed(30..50))
        .error(provisioned_exceeded)
        .output(all_done)
        .output(all_done)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Arc::new(Progress::default());
    let report = write_all(&db, TABLE, items(0..60), &opts(5), p)
        .await
        .expect("written");
    assert_eq!(rule.num_calls(), 5);
    assert_eq!(report.written, 60);
    assert_eq!(report.retries, 2);
    assert_eq!(report.throttles, 1);
    assert_eq!(report.batches_done, 3);
    assert!(!report.stopped);
}

#[tokio::test]
async fn write_stream_stops_at_the_first_error_and_returns_it() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(all_done)
        .output(all_done)
        .error(validation)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let err = write_stream(
        &db,
        TABLE,
        puts(0..250),
        0,
        &opts(5),
        p.clone(),
        stop.clone(),
    )
    .await
    .expect_err("the third batch fails");
    assert_eq!(err.code, "ValidationException");
    // One batch at a time: no batch starts after the failure.
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(p.written.load(Ordering::Relaxed), 50);
    assert_eq!(p.batches_done.load(Ordering::Relaxed), 2);
    assert!(stop.load(Ordering::Relaxed), "the failure stops the run");
}

#[tokio::test]
async fn write_stream_skips_the_batches_already_done() {
    let (seen, matcher) = recorder();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(matcher)
        .then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let p = Arc::new(Progress::default());
    let report = write_stream(
        &db,
        TABLE,
        puts(0..110),
        2,
        &opts(5),
        p,
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("written");
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(report.written, 60);
    assert_eq!(report.batches_done, 5, "counted from the start of the run");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.concat(), (50..110).collect::<Vec<_>>());
}

#[tokio::test]
async fn write_stream_with_stop_set_starts_nothing() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item).then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let report = write_stream(
        &db,
        TABLE,
        puts(0..100),
        1,
        &opts(5),
        Arc::new(Progress::default()),
        Arc::new(AtomicBool::new(true)),
    )
    .await
    .expect("nothing to fail");
    assert_eq!(rule.num_calls(), 0);
    assert!(report.stopped);
    assert_eq!(report.written, 0);
    assert_eq!(report.batches_done, 1, "still the batches done before");
}

#[tokio::test]
async fn write_stream_stops_between_batches_when_asked() {
    // The stop flag is set while the second batch is in flight: it
    // finishes, and no third batch starts.
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c2 = calls.clone();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(move |_| {
            if c2.fetch_add(1, Ordering::SeqCst) == 1 {
                s2.store(true, Ordering::SeqCst);
            }
            true
        })
        .then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let report = write_stream(
        &db,
        TABLE,
        puts(0..250),
        0,
        &opts(5),
        Arc::new(Progress::default()),
        stop,
    )
    .await
    .expect("stopped cleanly");
    assert_eq!(rule.num_calls(), 2);
    assert!(report.stopped);
    assert_eq!(report.written, 50);
    assert_eq!(report.batches_done, 2);
}

#[tokio::test]
async fn deletes_are_sent_as_delete_requests() {
    let seen: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let s2 = seen.clone();
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(move |req| {
            let w = req.request_items().unwrap().get(TABLE).unwrap();
            let puts = w.iter().filter(|x| x.put_request().is_some()).count();
            let dels = w.iter().filter(|x| x.delete_request().is_some()).count();
            s2.lock().unwrap().push((puts, dels));
            true
        })
        .then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let keys: Vec<Write> = (0..30)
        .map(|i| {
            let mut k = item(i);
            k.remove("n");
            Write::Delete(k)
        })
        .collect();
    let report = write_stream(
        &db,
        TABLE,
        keys,
        0,
        &opts(1),
        Arc::new(Progress::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("deleted");
    assert_eq!(report.written, 30);
    assert_eq!(*seen.lock().unwrap(), vec![(0, 25), (0, 5)]);
}

// ------------------------------------------------------------ rate limiting

#[test]
fn write_units_per_item() {
    assert_eq!(Write::Put(item(1)).wcu(), 1.0);
    assert_eq!(Write::Delete(item(1)).wcu(), 1.0);
    let mut big = item(2);
    big.insert("blob".into(), AttributeValue::S("x".repeat(3 * 1024)));
    // A little over 3 KB: 4 units.
    assert_eq!(Write::Put(big).wcu(), 4.0);
}

#[test]
fn backoff_grows_and_is_capped() {
    let o = WriteOptions {
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        ..WriteOptions::default()
    };
    for attempt in 0..40 {
        let cap = (10u64 << attempt.min(20)).min(100);
        for _ in 0..20 {
            let b = backoff(&o, attempt);
            assert!(
                b <= Duration::from_millis(cap),
                "attempt {attempt}: {b:?} > {cap} ms"
            );
        }
    }
}

// tokio's `test-util` feature (paused, virtual time) is not enabled for this
// crate, so these measure real time; the limiter keeps a debt, so its total
// wait does not drift with each sleep's overshoot.

#[tokio::test]
async fn rate_limiter_spends_three_seconds_worth_in_about_that_long() {
    // 3 seconds' worth at 100 units/s; the first second's worth is the burst.
    let l = RateLimiter::new(100.0);
    let began = tokio::time::Instant::now();
    for _ in 0..60 {
        l.acquire(5.0).await;
    }
    let took = began.elapsed();
    assert!(took >= Duration::from_millis(1_950), "{took:?}");
    assert!(took < Duration::from_millis(3_000), "{took:?}");
}

#[tokio::test]
async fn rate_limiter_burst_is_one_seconds_worth() {
    let l = RateLimiter::new(1_000.0);
    let began = tokio::time::Instant::now();
    l.acquire(600.0).await;
    l.acquire(400.0).await;
    assert!(
        began.elapsed() < Duration::from_millis(100),
        "{:?}",
        began.elapsed()
    );
    // The bucket is empty now: 500 more units wait half a second.
    let began = tokio::time::Instant::now();
    l.acquire(500.0).await;
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(490) && took < Duration::from_millis(1_200),
        "{took:?}"
    );
}

#[tokio::test]
async fn rate_limiter_is_shared_fairly_by_concurrent_writers() {
    let l = Arc::new(RateLimiter::new(200.0));
    let began = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let l = l.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                l.acquire(4.0).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // 400 units at 200/s with a 200-unit burst: one second.
    let took = began.elapsed();
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(took < Duration::from_millis(2_000), "{took:?}");
}

#[tokio::test]
async fn write_stream_honours_the_rate_limit() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item).then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let opts = WriteOptions {
        concurrency: 4,
        rate_limit_wcu: Some(50.0),
        ..opts(1)
    };
    let began = std::time::Instant::now();
    let report = write_all(
        &db,
        TABLE,
        items(0..100),
        &opts,
        Arc::new(Progress::default()),
    )
    .await
    .expect("written");
    let took = began.elapsed();
    assert_eq!(report.written, 100);
    assert_eq!(rule.num_calls(), 4);
    // 100 units at 50/s with a 50-unit burst: about one second.
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert!(took < Duration::from_millis(2_500), "{took:?}");
}

// ------------------------------------------------------ adaptive write rate

#[tokio::test]
async fn the_write_rate_halves_on_a_throttle_once_per_round() {
    let r = AdaptiveRate::new(None);
    assert_eq!(r.rate(), START_WCU);
    assert_eq!(r.found(), None, "nothing found before a throttle");
    r.on_throttle();
    assert_eq!(r.rate(), START_WCU / 2.0);
    // Requests sent before the cut come back throttled too: no second cut.
    r.on_throttle();
    r.on_throttle();
    assert_eq!(r.rate(), START_WCU / 2.0);
    let (settled, at) = r.found().expect("found after a throttle");
    assert_eq!(at, START_WCU);
    assert!((settled - START_WCU / 2.0).abs() < 1.0, "{settled}");
}

#[tokio::test]
async fn the_write_rate_doubles_while_it_holds_writes_back_without_throttles() {
    let r = AdaptiveRate::new(None);
    let began = tokio::time::Instant::now();
    // Ask for far more than the rate: every window holds writes back.
    while began.elapsed() < Duration::from_millis(1_300) {
        r.acquire(100.0).await;
    }
    assert!(r.rate() >= START_WCU * 4.0, "{}", r.rate());
    assert_eq!(r.found(), None);
}

#[tokio::test]
async fn the_write_rate_does_not_grow_when_it_is_not_what_limits() {
    let r = AdaptiveRate::new(None);
    let began = tokio::time::Instant::now();
    while began.elapsed() < Duration::from_millis(1_200) {
        r.acquire(10.0).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(r.rate(), START_WCU);
}

#[tokio::test]
async fn after_a_throttle_the_write_rate_climbs_slowly() {
    let r = AdaptiveRate::new(None);
    r.on_throttle();
    let began = tokio::time::Instant::now();
    while began.elapsed() < Duration::from_millis(2_100) {
        r.acquire(50.0).await;
    }
    // 5% of the throttled rate per second: about 600 after 2 s, not 2,000.
    let rate = r.rate();
    assert!(rate > START_WCU / 2.0, "it climbs: {rate}");
    assert!(rate <= START_WCU * 0.65, "slowly: {rate}");
}

#[tokio::test]
async fn the_write_rate_never_exceeds_the_rate_limit() {
    let r = AdaptiveRate::new(Some(300.0));
    assert_eq!(r.rate(), 300.0);
    let began = tokio::time::Instant::now();
    let mut spent = 0.0;
    while began.elapsed() < Duration::from_millis(1_500) {
        r.acquire(25.0).await;
        spent += 25.0;
    }
    assert_eq!(r.rate(), 300.0);
    // 1.5 s at 300/s plus the one-second burst.
    assert!(spent <= 300.0 * 2.5 + 25.0, "{spent}");
}

#[tokio::test]
async fn write_stream_slows_down_on_throttles_and_reports_the_rate_found() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .error(provisioned_exceeded)
        .times(2)
        .output(|| unprocessed(10..25))
        .output(all_done)
        .times(20)
        .build();
    let db = client(&[&rule], RuleMode::Sequential);
    let p = Arc::new(Progress::default());
    let report = write_all(&db, TABLE, items(0..100), &opts(10), p.clone())
        .await
        .expect("written");
    assert_eq!(report.written, 100);
    assert_eq!(report.throttles, 2);
    let found = report.rate_found_wcu.expect("the rate found");
    let at = report.throttled_at_wcu.expect("the rate throttled");
    assert!(found < at, "settled {found} below the throttled {at}");
    assert!(at <= START_WCU as u64, "{at}");
    assert!(p.pace_note().contains("WCU/s"), "{}", p.pace_note());
    assert!(
        report.rate_note().contains("settled at"),
        "{}",
        report.rate_note()
    );
}

#[tokio::test]
async fn without_throttles_nothing_is_reported_about_the_rate() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item).then_output(all_done);
    let db = client(&[&rule], RuleMode::MatchAny);
    let report = write_all(
        &db,
        TABLE,
        items(0..60),
        &opts(1),
        Arc::new(Progress::default()),
    )
    .await
    .expect("written");
    assert_eq!(
        (report.rate_found_wcu, report.throttled_at_wcu),
        (None, None)
    );
    assert_eq!(report.rate_note(), "");
}
