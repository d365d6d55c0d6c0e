//! Writing many items: BatchWriteItem in groups of 25, several batches in
//! flight, UnprocessedItems and throttles retried with exponential backoff and
//! full jitter. Used by `dyntui seed` (and so by the demo loader).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures::StreamExt;
use rand::Rng;

use super::Item;
use super::client::Dynamo;
use super::error::{AwsError, ThrottleReason};

/// BatchWriteItem's limit.
pub const BATCH_SIZE: usize = 25;

/// How to write.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Batches in flight at once.
    pub concurrency: usize,
    /// Retries of one batch (unprocessed items or throttling) before giving up.
    pub max_retries: u32,
    /// First backoff; doubles on each retry (with full jitter), capped at `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            concurrency: 4,
            max_retries: 10,
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Counters shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub written: AtomicU64,
    pub retries: AtomicU64,
    pub throttles: AtomicU64,
}

/// What a write run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub written: u64,
    pub retries: u64,
    pub throttles: u64,
    pub elapsed_ms: u128,
}

/// Backoff before retry number `attempt` (0-based): full jitter over an
/// exponentially growing cap.
pub fn backoff(opts: &WriteOptions, attempt: u32) -> Duration {
    let cap = opts
        .base_backoff
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
        .min(opts.max_backoff);
    let ms = cap.as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(0..=ms.max(1)))
}

fn is_throttle_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("ProvisionedThroughputExceededException")
            | Some("ThrottlingException")
            | Some("RequestLimitExceeded")
    )
}

/// Writes one batch (at most 25 puts), retrying what DynamoDB leaves unprocessed.
pub async fn write_batch(
    db: &Dynamo,
    table: &str,
    items: Vec<Item>,
    opts: &WriteOptions,
    progress: &Progress,
) -> Result<(), AwsError> {
    let mut pending: Vec<WriteRequest> = Vec::with_capacity(items.len());
    for item in items {
        let put = PutRequest::builder()
            .set_item(Some(item))
            .build()
            .map_err(AwsError::build)?;
        pending.push(WriteRequest::builder().put_request(put).build());
    }
    let mut attempt = 0u32;
    loop {
        let n = pending.len() as u64;
        let res = db
            .client()
            .batch_write_item()
            .request_items(table, pending.clone())
            .send()
            .await;
        match res {
            Ok(out) => {
                let left: Vec<WriteRequest> = out
                    .unprocessed_items()
                    .and_then(|m| m.get(table))
                    .cloned()
                    .unwrap_or_default();
                progress
                    .written
                    .fetch_add(n - left.len() as u64, Ordering::Relaxed);
                if left.is_empty() {
                    return Ok(());
                }
                pending = left;
            }
            Err(e) => {
                let throttled =
                    matches!(&e, SdkError::ServiceError(se) if is_throttle_code(se.err().code()));
                if !throttled {
                    return Err(AwsError::from_sdk(e, db.context(), Some(table)));
                }
                progress.throttles.fetch_add(1, Ordering::Relaxed);
                if attempt >= opts.max_retries {
                    let mut err = AwsError::from_sdk(e, db.context(), Some(table));
                    err.message = format!(
                        "{} (gave up after {} retries with backoff)",
                        err.message, opts.max_retries
                    );
                    return Err(err);
                }
            }
        }
        if attempt >= opts.max_retries {
            return Err(AwsError::new(
                "UnprocessedItems",
                format!(
                    "{} items still unprocessed after {} retries with backoff",
                    pending.len(),
                    opts.max_retries
                ),
            )
            .with_hint(
                "the table is over its capacity; lower the concurrency or set a rate limit",
            ));
        }
        progress.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(backoff(opts, attempt)).await;
        attempt += 1;
    }
}

/// Throttling reasons of a batch error, when the SDK gives them.
pub fn throttle_reasons(
    e: &aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError,
) -> Vec<ThrottleReason> {
    use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError as E;
    let list = match e {
        E::ProvisionedThroughputExceededException(x) => x.throttling_reasons(),
        E::RequestLimitExceeded(x) => x.throttling_reasons(),
        E::ThrottlingException(x) => x.throttling_reasons(),
        _ => &[],
    };
    list.iter()
        .map(|r| ThrottleReason {
            reason: r.reason().unwrap_or_default().to_string(),
            resource: r.resource().unwrap_or_default().to_string(),
        })
        .collect()
}

/// Writes all items with `opts.concurrency` batches in flight.
pub async fn write_all<I>(
    db: &Dynamo,
    table: &str,
    items: I,
    opts: &WriteOptions,
    progress: Arc<Progress>,
) -> Result<WriteReport, AwsError>
where
    I: IntoIterator<Item = Item>,
{
    let began = Instant::now();
    let mut batches = Vec::new();
    let mut cur = Vec::with_capacity(BATCH_SIZE);
    for item in items {
        cur.push(item);
        if cur.len() == BATCH_SIZE {
            batches.push(std::mem::replace(&mut cur, Vec::with_capacity(BATCH_SIZE)));
        }
    }
    if !cur.is_empty() {
        batches.push(cur);
    }
    let mut stream = futures::stream::iter(batches.into_iter().map(|b| {
        let progress = progress.clone();
        async move { write_batch(db, table, b, opts, &progress).await }
    }))
    .buffer_unordered(opts.concurrency.max(1));
    let mut first_err = None;
    while let Some(r) = stream.next().await {
        if let Err(e) = r
            && first_err.is_none()
        {
            first_err = Some(e);
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(WriteReport {
        written: progress.written.load(Ordering::Relaxed),
        retries: progress.retries.load(Ordering::Relaxed),
        throttles: progress.throttles.load(Ordering::Relaxed),
        elapsed_ms: began.elapsed().as_millis(),
    })
}
