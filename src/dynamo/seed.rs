//! Writing many items: BatchWriteItem in groups of 25, several batches in
//! flight, UnprocessedItems and throttles retried with exponential backoff and
//! full jitter. Used by `dyntui seed` (and so by the demo loader), import and
//! copy.
//!
//! The write rate adapts to the table as TCP adapts to loss ([`AdaptiveRate`]):
//! it starts at [`START_WCU`] and doubles while nothing is throttled, halves
//! on a throttle (a throttling error or unprocessed items), then climbs
//! slowly; `--rate-limit` is only a ceiling. So a bulk write at its default
//! settings settles at about what the table can take without a limit given,
//! and the report says what rate it found.

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
    /// The write rate the run paces itself at (write units per second,
    /// rounded), once a throttle made it adapt; 0 before.
    pub pace_wcu: AtomicU64,
    /// The keys written, for the audit log, while they fit.
    pub keys: KeyLog,
}

/// The keys a bulk run wrote, kept for the audit log up to a limit (then
/// only counted). Off until [`KeyLog::track`] names the key attributes.
#[derive(Debug, Default)]
pub struct KeyLog {
    inner: std::sync::Mutex<KeyLogInner>,
}

#[derive(Debug, Default)]
struct KeyLogInner {
    names: Vec<String>,
    limit: usize,
    keys: Vec<Item>,
    more: u64,
}

impl KeyLog {
    /// Keeps the keys (these attributes) of up to `limit` items written.
    pub fn track(&self, names: Vec<String>, limit: usize) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.names = names;
        g.limit = limit;
    }

    fn record<'a>(&self, items: impl Iterator<Item = &'a Item>) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.names.is_empty() {
            return;
        }
        for it in items {
            if g.keys.len() < g.limit {
                let key: Item = g
                    .names
                    .iter()
                    .filter_map(|n| it.get(n).map(|v| (n.clone(), v.clone())))
                    .collect();
                g.keys.push(key);
            } else {
                g.more += 1;
            }
        }
    }

    /// The keys kept, and how many more were written.
    pub fn take(&self) -> (Vec<Item>, u64) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut g.keys), std::mem::take(&mut g.more))
    }
}

impl Progress {
    /// `, pace 230 WCU/s` once throttles made the rate adapt, else empty.
    pub fn pace_note(&self) -> String {
        match self.pace_wcu.load(Ordering::Relaxed) {
            0 => String::new(),
            r => format!(", pace {r} WCU/s"),
        }
    }
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
    /// When throttles made the rate adapt: the rate it settled at (write
    /// units per second, averaged over the time since the first throttle).
    pub rate_found_wcu: Option<u64>,
    /// When throttles made the rate adapt: the rate that was last throttled.
    pub throttled_at_wcu: Option<u64>,
}

impl WriteReport {
    /// `; throttled at about 480 WCU/s, the write rate settled at 350
    /// WCU/s` when the rate adapted, else empty: for the summary lines.
    pub fn rate_note(&self) -> String {
        rate_note(self.rate_found_wcu, self.throttled_at_wcu)
    }
}

/// What a bulk write's rate adapted to (settled at, throttled at), for
/// summary lines; empty when it never had to.
pub fn rate_note(found: Option<u64>, throttled_at: Option<u64>) -> String {
    match (found, throttled_at) {
        (Some(found), Some(at)) => {
            format!("; throttled at about {at} WCU/s, the write rate settled at {found} WCU/s")
        }
        (Some(found), None) => format!("; the write rate settled at {found} WCU/s"),
        _ => String::new(),
    }
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

/// Write units per second a bulk write starts at (then doubles every half
/// second while the rate limits it and nothing is throttled): about what a
/// new on-demand table takes at once (4,000 WCU), a quarter of it.
pub const START_WCU: f64 = 1000.0;
/// How often the rate may grow.
const PACE_INTERVAL: Duration = Duration::from_millis(500);
/// After a cut, further throttles of requests already in flight (sent at the
/// old rate) do not cut again for this long: one cut per round of requests.
const PACE_COOLDOWN: Duration = Duration::from_secs(1);
/// After the first throttle the rate climbs by this share of the rate last
/// throttled, per second: from half of it back to it in 10 s.
const PACE_CLIMB_PER_SEC: f64 = 0.05;
const PACE_MIN_WCU: f64 = 1.0;

/// The write rate of a bulk write, adapted to throttling as TCP adapts to
/// loss (additive increase, multiplicative decrease), spent as a token
/// bucket in write units per second (burst: one second's worth).
///
/// Slow start: from [`START_WCU`] it doubles every half second in which it
/// held writes back and saw no throttle. On a throttle (an error, or
/// unprocessed items) it halves the rate actually sent, empties the bucket,
/// and from then on climbs by 5% of the throttled rate per second. It only
/// grows while it is what limits the writes, so a run limited by latency or
/// concurrency does not build up a rate it never used. `ceiling`
/// (`--rate-limit`) is never exceeded.
#[derive(Debug)]
pub struct AdaptiveRate {
    ceiling: Option<f64>,
    state: std::sync::Mutex<Pace>,
}

#[derive(Debug)]
struct Pace {
    rate: f64,
    tokens: f64,
    refilled: tokio::time::Instant,
    slow_start: bool,
    /// The rate that was last throttled (the rate sent then).
    throttled_at: Option<f64>,
    last_cut: Option<tokio::time::Instant>,
    last_throttle: Option<tokio::time::Instant>,
    window_start: tokio::time::Instant,
    window_units: f64,
    window_waited: bool,
    /// The previous window: (units sent, seconds).
    prev_window: (f64, f64),
    /// The rate over time since the first cut.
    settled: Option<Settled>,
}

/// The integral of the rate over time since `since`, added up to `last`.
#[derive(Debug, Clone, Copy)]
struct Settled {
    integral: f64,
    since: tokio::time::Instant,
    last: tokio::time::Instant,
}

impl Pace {
    fn set_rate(&mut self, rate: f64, now: tokio::time::Instant) {
        if let Some(s) = &mut self.settled {
            s.integral += self.rate * now.duration_since(s.last).as_secs_f64();
            s.last = now;
        }
        self.rate = rate;
    }

    /// Rolls the measuring window and grows the rate when the window held
    /// writes back without a throttle.
    fn roll(&mut self, now: tokio::time::Instant, ceiling: Option<f64>) {
        let elapsed = now.duration_since(self.window_start);
        if elapsed < PACE_INTERVAL {
            return;
        }
        let secs = elapsed.as_secs_f64();
        let throttled = self.last_throttle.is_some_and(|t| t >= self.window_start);
        if self.window_waited && !throttled {
            let grown = if self.slow_start {
                self.rate * 2.0
            } else {
                self.rate + self.throttled_at.unwrap_or(self.rate) * PACE_CLIMB_PER_SEC * secs
            };
            let grown = ceiling.map_or(grown, |c| grown.min(c));
            self.set_rate(grown, now);
        }
        self.prev_window = (self.window_units, secs);
        self.window_start = now;
        self.window_units = 0.0;
        self.window_waited = false;
    }
}

impl AdaptiveRate {
    /// Starts at [`START_WCU`], or at the ceiling when that is lower.
    pub fn new(ceiling: Option<f64>) -> Self {
        let ceiling = ceiling
            .filter(|c| c.is_finite() && *c > 0.0)
            .map(|c| c.max(0.001));
        let rate = ceiling.map_or(START_WCU, |c| c.min(START_WCU));
        let now = tokio::time::Instant::now();
        AdaptiveRate {
            ceiling,
            state: std::sync::Mutex::new(Pace {
                rate,
                tokens: rate,
                refilled: now,
                slow_start: true,
                throttled_at: None,
                last_cut: None,
                last_throttle: None,
                window_start: now,
                window_units: 0.0,
                window_waited: false,
                prev_window: (0.0, 0.0),
                settled: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        // A panic while holding the lock leaves plain numbers: keep using them.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `units` may be spent at the current rate.
    pub async fn acquire(&self, units: f64) {
        let wait = {
            let mut p = self.lock();
            let now = tokio::time::Instant::now();
            p.roll(now, self.ceiling);
            let burst = p.rate.max(units);
            let refill = now.duration_since(p.refilled).as_secs_f64() * p.rate;
            p.tokens = (p.tokens + refill).min(burst);
            p.refilled = now;
            p.tokens -= units;
            p.window_units += units;
            if p.tokens >= 0.0 {
                return;
            }
            p.window_waited = true;
            Duration::from_secs_f64((-p.tokens / p.rate).min(3600.0))
        };
        tokio::time::sleep(wait).await;
    }

    /// A write was throttled: halve the rate actually sent (once per
    /// [`PACE_COOLDOWN`]) and empty the bucket.
    pub fn on_throttle(&self) {
        let mut p = self.lock();
        let now = tokio::time::Instant::now();
        p.last_throttle = Some(now);
        if p.last_cut
            .is_some_and(|t| now.duration_since(t) < PACE_COOLDOWN)
        {
            return;
        }
        // The rate sent lately: this window and the previous one.
        let cur = now.duration_since(p.window_start).as_secs_f64();
        let (prev_units, prev_secs) = p.prev_window;
        let secs = cur + prev_secs;
        let sent = if secs >= 0.2 {
            (p.window_units + prev_units) / secs
        } else {
            p.rate
        };
        let base = if sent > 0.0 { p.rate.min(sent) } else { p.rate };
        p.throttled_at = Some(base);
        p.slow_start = false;
        p.last_cut = Some(now);
        if p.settled.is_none() {
            p.settled = Some(Settled {
                integral: 0.0,
                since: now,
                last: now,
            });
        }
        p.set_rate((base * 0.5).max(PACE_MIN_WCU), now);
        p.tokens = p.tokens.min(0.0);
    }

    /// The current rate, in write units per second.
    pub fn rate(&self) -> f64 {
        self.lock().rate
    }

    /// When throttles made the rate adapt: (the rate it settled at, averaged
    /// over the time since the first throttle; the rate last throttled).
    pub fn found(&self) -> Option<(f64, f64)> {
        let mut p = self.lock();
        let now = tokio::time::Instant::now();
        let rate = p.rate;
        p.set_rate(rate, now);
        let s = p.settled?;
        let secs = now.duration_since(s.since).as_secs_f64();
        let avg = if secs > 0.0 { s.integral / secs } else { rate };
        Some((avg, p.throttled_at.unwrap_or(rate)))
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

/// Consecutive timeouts of one batch retried before giving up: a stuck
/// endpoint is reported after a few attempt timeouts, not after
/// `max_retries` of them.
const MAX_TIMEOUT_RETRIES: u32 = 2;

/// Writes one batch (at most 25 puts or deletes), retrying what DynamoDB
/// leaves unprocessed, throttled requests and transient failures (HTTP 500,
/// a reset connection, a timeout), with backoff and jitter.
pub async fn write_batch(
    db: &Dynamo,
    table: &str,
    writes: Vec<Write>,
    opts: &WriteOptions,
    progress: &Progress,
) -> Result<(), AwsError> {
    write_batch_paced(db, table, writes, opts, progress, None).await
}

/// Write units of a request (as [`Write::wcu`]).
fn request_wcu(w: &WriteRequest) -> f64 {
    match (w.put_request(), w.delete_request()) {
        (Some(p), _) => super::itemfile::item_size(p.item()).div_ceil(1024).max(1) as f64,
        _ => 1.0,
    }
}

/// [`write_batch`], each attempt (retries too) paced by `pace`, which hears
/// of every throttle.
pub async fn write_batch_paced(
    db: &Dynamo,
    table: &str,
    writes: Vec<Write>,
    opts: &WriteOptions,
    progress: &Progress,
    pace: Option<&AdaptiveRate>,
) -> Result<(), AwsError> {
    let mut pending: Vec<WriteRequest> = Vec::with_capacity(writes.len());
    for w in writes {
        pending.push(w.request()?);
    }
    let throttled = |progress: &Progress| {
        if let Some(p) = pace {
            p.on_throttle();
            progress
                .pace_wcu
                .store(p.rate().round().max(1.0) as u64, Ordering::Relaxed);
        }
    };
    let mut attempt = 0u32;
    let mut timeouts = 0u32;
    loop {
        let n = pending.len() as u64;
        if let Some(p) = pace {
            p.acquire(pending.iter().map(request_wcu).sum()).await;
            if progress.pace_wcu.load(Ordering::Relaxed) != 0 {
                progress
                    .pace_wcu
                    .store(p.rate().round().max(1.0) as u64, Ordering::Relaxed);
            }
        }
        // This loop retries (and paces) everything itself: the SDK's own
        // retries would hide throttles from the pace and multiply attempts.
        let res = db
            .client()
            .batch_write_item()
            .request_items(table, pending.clone())
            .customize()
            .config_override(
                aws_sdk_dynamodb::config::Builder::default()
                    .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await;
        match res {
            Ok(out) => {
                timeouts = 0;
                let left: Vec<WriteRequest> = out
                    .unprocessed_items()
                    .and_then(|m| m.get(table))
                    .cloned()
                    .unwrap_or_default();
                progress
                    .written
                    .fetch_add(n.saturating_sub(left.len() as u64), Ordering::Relaxed);
                progress
                    .keys
                    .record(
                        pending
                            .iter()
                            .filter(|w| !left.contains(w))
                            .filter_map(|w| match (w.put_request(), w.delete_request()) {
                                (Some(p), _) => Some(p.item()),
                                (_, Some(d)) => Some(d.key()),
                                _ => None,
                            }),
                    );
                if left.is_empty() {
                    return Ok(());
                }
                // Unprocessed items are how DynamoDB throttles part of a batch.
                throttled(progress);
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
                    let err = AwsError::from_sdk(e, db.context(), Some(table));
                    if !err.is_transient() {
                        return Err(err);
                    }
                    if err.code == "Timeout" {
                        timeouts += 1;
                    } else {
                        timeouts = 0;
                    }
                    if attempt >= opts.max_retries || timeouts > MAX_TIMEOUT_RETRIES {
                        let mut err = err;
                        err.message = format!(
                            "{} (gave up after {attempt} retries with backoff)",
                            err.message
                        );
                        return Err(err);
                    }
                    tracing::debug!(table, error = %err, "retrying a batch");
                    progress.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff(opts, attempt)).await;
                    attempt += 1;
                    continue;
                };
                timeouts = 0;
                progress.throttles.fetch_add(1, Ordering::Relaxed);
                throttled(progress);
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
    let pace = AdaptiveRate::new(opts.rate_limit_wcu);
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
    let pace = &pace;
    let progress_ref = &progress;
    let mut stream =
        futures::stream::iter(batches.take_while(move |_| !stop_check.load(Ordering::Relaxed)))
            .map(|(i, b)| async move {
                write_batch_paced(db, table, b, opts, progress_ref, Some(pace))
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
    let found = pace.found();
    Ok(WriteReport {
        written: progress.written.load(Ordering::Relaxed),
        retries: progress.retries.load(Ordering::Relaxed),
        throttles: progress.throttles.load(Ordering::Relaxed),
        elapsed_ms: began.elapsed().as_millis(),
        stopped: stop.load(Ordering::Relaxed),
        batches_done: prefix,
        rate_found_wcu: found.map(|(r, _)| r.round() as u64),
        throttled_at_wcu: found.map(|(_, t)| t.round() as u64),
    })
}

/// Runs `f` again on throttling and on transient failures (HTTP 500, a
/// reset connection, a timeout), with backoff and jitter: for the reads of
/// bulk work (export, copy), which must not lose a page to one bad answer.
pub async fn retry_transient<T, F, Fut>(opts: &WriteOptions, mut f: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 0;
    let mut timeouts = 0;
    loop {
        match f().await {
            Err(e) if (e.is_throttle() || e.is_transient()) && attempt < opts.max_retries => {
                if e.code == "Timeout" {
                    timeouts += 1;
                    if timeouts > MAX_TIMEOUT_RETRIES {
                        return Err(e);
                    }
                } else {
                    timeouts = 0;
                }
                tracing::debug!(error = %e, "retrying a read");
                tokio::time::sleep(backoff(opts, attempt)).await;
                attempt += 1;
            }
            r => return r,
        }
    }
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
