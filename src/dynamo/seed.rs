//! Writing many items: BatchWriteItem in groups of 25, several batches in
//! flight, UnprocessedItems and throttles retried with exponential backoff and
//! full jitter. Used by `dyntui seed` (and so by the demo loader).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
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
    /// Write capacity units per second to stay under (None = as fast as allowed).
    pub rate_limit_wcu: Option<f64>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            concurrency: 8,
            max_retries: 10,
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            rate_limit_wcu: None,
        }
    }
}

/// Counters shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub written: AtomicU64,
    pub retries: AtomicU64,
    pub throttles: AtomicU64,
    /// Batches done from the start with no gap (for resuming).
    pub batches_done: AtomicU64,
}

/// What a write run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub written: u64,
    pub retries: u64,
    pub throttles: u64,
    pub elapsed_ms: u128,
    /// Stopped on request (Ctrl-C) before the end.
    pub stopped: bool,
    /// Batches done from the start with no gap; a resumed run skips these.
    pub batches_done: u64,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put(Item),
    /// Delete by primary key.
    Delete(Item),
}

impl Write {
    /// Write capacity units it consumes: 1 per started KB of a put, 1 per delete.
    pub fn wcu(&self) -> f64 {
        match self {
            Write::Put(item) => super::itemfile::item_size(item).div_ceil(1024).max(1) as f64,
            Write::Delete(_) => 1.0,
        }
    }

    fn request(self) -> Result<WriteRequest, AwsError> {
        Ok(match self {
            Write::Put(item) => WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(AwsError::build)?,
                )
                .build(),
            Write::Delete(key) => WriteRequest::builder()
                .delete_request(
                    DeleteRequest::builder()
                        .set_key(Some(key))
                        .build()
                        .map_err(AwsError::build)?,
                )
                .build(),
        })
    }
}

/// A token bucket in write units per second (burst: one second's worth).
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    state: tokio::sync::Mutex<(f64, tokio::time::Instant)>,
}

impl RateLimiter {
    pub fn new(rate: f64) -> Self {
        RateLimiter {
            rate: rate.max(0.001),
            state: tokio::sync::Mutex::new((rate.max(0.001), tokio::time::Instant::now())),
        }
    }

    /// Waits until `units` may be spent.
    pub async fn acquire(&self, units: f64) {
        let wait = {
            let mut st = self.state.lock().await;
            let now = tokio::time::Instant::now();
            let refill = now.duration_since(st.1).as_secs_f64() * self.rate;
            st.0 = (st.0 + refill).min(self.rate);
            st.1 = now;
            st.0 -= units;
            if st.0 >= 0.0 {
                return;
            }
            Duration::from_secs_f64(-st.0 / self.rate)
        };
        tokio::time::sleep(wait).await;
    }
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

/// Writes one batch (at most 25 puts or deletes), retrying what DynamoDB
/// leaves unprocessed and throttled requests, with backoff and jitter.
pub async fn write_batch(
    db: &Dynamo,
    table: &str,
    writes: Vec<Write>,
    opts: &WriteOptions,
    progress: &Progress,
) -> Result<(), AwsError> {
    let mut pending: Vec<WriteRequest> = Vec::with_capacity(writes.len());
    for w in writes {
        pending.push(w.request()?);
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
                    .fetch_add(n.saturating_sub(left.len() as u64), Ordering::Relaxed);
                if left.is_empty() {
                    return Ok(());
                }
                pending = left;
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
                        "the table is over its capacity; lower --concurrency or set --rate-limit",
                    ));
                }
            }
            Err(e) => {
                let reasons = match &e {
                    SdkError::ServiceError(se) if is_throttle_code(se.err().code()) => {
                        Some(throttle_reasons(se.err()))
                    }
                    _ => None,
                };
                let Some(reasons) = reasons else {
                    return Err(AwsError::from_sdk(e, db.context(), Some(table)));
                };
                progress.throttles.fetch_add(1, Ordering::Relaxed);
                if attempt >= opts.max_retries {
                    let mut err = AwsError::from_sdk(e, db.context(), Some(table));
                    err.message = format!(
                        "{} (gave up after {} retries with backoff)",
                        err.message, opts.max_retries
                    );
                    err.throttling = reasons;
                    return Err(err);
                }
            }
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

/// Writes a stream of puts or deletes, `opts.concurrency` batches in flight,
/// reading the iterator lazily (memory stays flat). The first `skip_batches`
/// batches are skipped (resuming). When `stop` is set, no new batch starts;
/// those in flight finish and the report says `stopped`.
pub async fn write_stream<I>(
    db: &Dynamo,
    table: &str,
    writes: I,
    skip_batches: u64,
    opts: &WriteOptions,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<WriteReport, AwsError>
where
    I: IntoIterator<Item = Write>,
{
    let began = Instant::now();
    let limiter = opts.rate_limit_wcu.map(RateLimiter::new);
    let mut it = writes.into_iter();
    let mut index = 0u64;
    let batches = std::iter::from_fn(move || {
        let batch: Vec<Write> = it.by_ref().take(BATCH_SIZE).collect();
        if batch.is_empty() {
            return None;
        }
        index += 1;
        Some((index - 1, batch))
    })
    .skip(skip_batches as usize);
    progress.batches_done.store(skip_batches, Ordering::Relaxed);
    let stop_check = stop.clone();
    let limiter = &limiter;
    let progress_ref = &progress;
    let mut stream =
        futures::stream::iter(batches.take_while(move |_| !stop_check.load(Ordering::Relaxed)))
            .map(|(i, b)| async move {
                if let Some(l) = limiter {
                    l.acquire(b.iter().map(Write::wcu).sum()).await;
                }
                write_batch(db, table, b, opts, progress_ref)
                    .await
                    .map(|_| i)
            })
            .buffer_unordered(opts.concurrency.max(1));
    let mut done = std::collections::BTreeSet::new();
    let mut prefix = skip_batches;
    let mut first_err = None;
    while let Some(r) = stream.next().await {
        match r {
            Ok(i) => {
                done.insert(i);
                while done.remove(&prefix) {
                    prefix += 1;
                }
                progress.batches_done.store(prefix, Ordering::Relaxed);
            }
            Err(e) => {
                // Stop starting batches; let those in flight finish.
                stop.store(true, Ordering::Relaxed);
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
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
        stopped: stop.load(Ordering::Relaxed),
        batches_done: prefix,
    })
}

/// Writes all items as puts (no resume, no stop): the simple case.
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
    write_stream(
        db,
        table,
        items.into_iter().map(Write::Put),
        0,
        opts,
        progress,
        Arc::new(AtomicBool::new(false)),
    )
    .await
}
