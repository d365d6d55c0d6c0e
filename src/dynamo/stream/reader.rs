//! Follows every shard of a stream in one loop: DescribeStream (all pages)
//! lists the shards, [`Lineage`] says which to read (parents before
//! children), each shard read has one iterator and its own next-poll
//! instant, and the loop sleeps until the earliest one. Records, notices and
//! shard counts go out on a channel; the loop ends when the receiver is
//! dropped, when the future is dropped, or with [`StreamEvent::Failed`].

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodbstreams::types::{ShardIteratorType, StreamStatus};
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use super::lineage::{Lineage, ShardInfo};
use super::{ChangeRecord, StartAt, StreamEvent, convert};
use crate::dynamo::error::{AwsError, ConnContext};

/// How a follower paces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowOptions {
    /// The wait after a GetRecords that returned records, and the first
    /// wait after one that returned none. DynamoDB Streams allows about 5
    /// GetRecords a second per shard: 250 ms keeps one reader under 4.
    pub idle_min: Duration,
    /// The longest wait between empty polls of a shard: the wait doubles
    /// from `idle_min` up to this while a shard stays quiet.
    pub idle_max: Duration,
    /// How often DescribeStream looks for new shards while shards are read.
    pub describe_every: Duration,
    /// How soon it looks again while no shard is being read (a closed
    /// shard's children are due).
    pub describe_soon: Duration,
    /// Records per GetRecords (1 to 1000).
    pub limit: i32,
    /// The bound on each call, on top of the SDK's own timeouts.
    pub call_timeout: Duration,
    /// Tries of a failing call (other than throttling, which is retried
    /// as long as it lasts) before the follower gives up.
    pub max_retries: u32,
    /// The longest back-off after an error or a throttle.
    pub retry_max: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            idle_min: Duration::from_millis(250),
            idle_max: Duration::from_secs(2),
            describe_every: Duration::from_secs(10),
            describe_soon: Duration::from_secs(2),
            limit: 1000,
            call_timeout: Duration::from_secs(40),
            max_retries: 4,
            retry_max: Duration::from_secs(5),
        }
    }
}

/// Follows the stream `arn` from `start` and sends what it reads on `tx`
/// until `tx` is closed (the receiver dropped) or the stream fails for good
/// (then it sends [`StreamEvent::Failed`] and returns). The first
/// [`StreamEvent::Shards`] comes once every shard to read has an iterator:
/// writes made after it are seen. Dropping the future stops it: it spawns
/// nothing.
pub async fn follow(
    streams: &Client,
    ctx: &ConnContext,
    arn: &str,
    start: StartAt,
    opts: FollowOptions,
    tx: Sender<StreamEvent>,
) {
    let mut f = Follower {
        streams,
        ctx,
        arn,
        start,
        opts,
        tx: &tx,
        lineage: Lineage::new(),
        cursors: Vec::new(),
        sent: None,
        next_describe: Instant::now(),
        disabled: false,
    };
    tokio::select! {
        _ = tx.closed() => {}
        stop = f.run() => {
            if let Stop::Failed(e) = stop {
                let _ = tx.send(StreamEvent::Failed(e)).await;
            }
        }
    }
}

enum Stop {
    /// The receiver is gone.
    Closed,
    Failed(AwsError),
}

/// What to do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Expired,
    Trimmed,
    NotFound,
    Throttled,
    /// Retrying cannot help: permissions, credentials, a bad request.
    Permanent,
    /// Worth a few more tries.
    Retry,
}

fn kind(e: &AwsError) -> ErrorKind {
    match e.code.as_str() {
        "ExpiredIteratorException" => ErrorKind::Expired,
        "TrimmedDataAccessException" => ErrorKind::Trimmed,
        "ResourceNotFoundException" => ErrorKind::NotFound,
        "LimitExceededException"
        | "ThrottlingException"
        | "Throttling"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded" => ErrorKind::Throttled,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "MissingAuthenticationTokenException"
        | "ValidationException"
        | "InvalidRequest"
        | "NoCredentials"
        | "ExpiredToken"
        | "ExpiredTokenException" => ErrorKind::Permanent,
        _ => ErrorKind::Retry,
    }
}

/// One shard being read.
#[derive(Debug)]
struct Cursor {
    shard: String,
    iterator: String,
    /// The iterator type it started with (renewed with it when no record
    /// has been read yet).
    origin: ShardIteratorType,
    last_seq: Option<String>,
    next_poll: Instant,
    /// The wait after the next empty poll.
    idle: Duration,
    failures: u32,
    throttles: u32,
}

struct Follower<'a> {
    streams: &'a Client,
    ctx: &'a ConnContext,
    arn: &'a str,
    start: StartAt,
    opts: FollowOptions,
    tx: &'a Sender<StreamEvent>,
    lineage: Lineage,
    /// In the order the shards were started.
    cursors: Vec<Cursor>,
    /// The last (reading, finished) sent.
    sent: Option<(usize, usize)>,
    next_describe: Instant,
    /// DescribeStream said DISABLED: the shards end and no new one comes.
    disabled: bool,
}

impl Follower<'_> {
    async fn run(&mut self) -> Stop {
        match self.follow().await {
            Ok(never) => match never {},
            Err(stop) => stop,
        }
    }

    async fn follow(&mut self) -> Result<std::convert::Infallible, Stop> {
        self.refresh(true).await?;
        loop {
            self.send_shards(false).await?;
            let now = Instant::now();
            if now >= self.next_describe {
                self.refresh(false).await?;
                continue;
            }
            let due = self
                .cursors
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.next_poll)
                .map(|(i, c)| (i, c.next_poll));
            match due {
                Some((i, at)) if at <= now => self.poll(i).await?,
                Some((_, at)) => tokio::time::sleep_until(at.min(self.next_describe)).await,
                None => tokio::time::sleep_until(self.next_describe).await,
            }
        }
    }

    async fn send(&self, e: StreamEvent) -> Result<(), Stop> {
        self.tx.send(e).await.map_err(|_| Stop::Closed)
    }

    async fn notice(&self, text: String) -> Result<(), Stop> {
        tracing::info!("stream {}: {text}", self.arn);
        self.send(StreamEvent::Notice(text)).await
    }

    /// Sends the shard counts when they changed (or always, `force`).
    async fn send_shards(&mut self, force: bool) -> Result<(), Stop> {
        let now = (self.lineage.reading(), self.lineage.finished());
        if force || self.sent != Some(now) {
            self.sent = Some(now);
            self.send(StreamEvent::Shards {
                reading: now.0,
                finished: now.1,
            })
            .await?;
        }
        Ok(())
    }

    fn backoff(&self, n: u32) -> Duration {
        self.opts
            .idle_min
            .saturating_mul(1u32 << n.min(16))
            .min(self.opts.retry_max)
    }

    /// One call, bounded by `call_timeout`, its error as an [`AwsError`].
    async fn call<T, E, R>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match tokio::time::timeout(self.opts.call_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(AwsError::from_sdk(e, self.ctx, None)),
            Err(_) => Err(AwsError::new(
                "Timeout",
                format!(
                    "{what} of stream {} got no answer within {} s",
                    self.arn,
                    self.opts.call_timeout.as_secs()
                ),
            )),
        }
    }

    /// Counts a throttle (retried as long as it lasts) or a failure, and
    /// says how long to wait before the next try; a permanent error, or a
    /// failure past `max_retries`, stops.
    fn retry_after(
        &self,
        e: AwsError,
        failures: &mut u32,
        throttles: &mut u32,
    ) -> Result<Duration, Stop> {
        match kind(&e) {
            ErrorKind::Throttled => {
                *throttles += 1;
                Ok(self.backoff(*throttles))
            }
            ErrorKind::Permanent => Err(Stop::Failed(e)),
            _ => {
                *failures += 1;
                if *failures > self.opts.max_retries {
                    return Err(Stop::Failed(e));
                }
                Ok(self.backoff(*failures))
            }
        }
    }

    fn gone(&self, e: AwsError) -> Stop {
        let mut e = e;
        e.message = format!(
            "the stream {} does not exist: its table was deleted or its stream disabled ({})",
            self.arn, e.message
        );
        e.hint = Some(format!(
            "a stream enabled again has a new ARN: follow the table's current stream ({})",
            self.ctx.describe()
        ));
        Stop::Failed(e)
    }

    /// Every shard of the stream (all pages of DescribeStream), with
    /// retries; notes whether the stream is disabled.
    async fn describe(&mut self) -> Result<Vec<ShardInfo>, Stop> {
        let mut shards = Vec::new();
        let mut from: Option<String> = None;
        let (mut failures, mut throttles) = (0u32, 0u32);
        loop {
            let r = self
                .call(
                    "DescribeStream",
                    self.streams
                        .describe_stream()
                        .stream_arn(self.arn)
                        .set_exclusive_start_shard_id(from.clone())
                        .send(),
                )
                .await;
            let out = match r {
                Ok(out) => out,
                Err(e) => {
                    match kind(&e) {
                        ErrorKind::NotFound => return Err(self.gone(e)),
                        _ => {
                            let wait = self.retry_after(e, &mut failures, &mut throttles)?;
                            tokio::time::sleep(wait).await;
                        }
                    }
                    continue;
                }
            };
            let Some(d) = out.stream_description() else {
                return Err(Stop::Failed(AwsError::new(
                    "EmptyResponse",
                    format!("DescribeStream returned no description for {}", self.arn),
                )));
            };
            if matches!(
                d.stream_status(),
                Some(StreamStatus::Disabled | StreamStatus::Disabling)
            ) {
                self.disabled = true;
            }
            shards.extend(d.shards().iter().filter_map(ShardInfo::from_sdk));
            match d.last_evaluated_shard_id() {
                Some(last) => from = Some(last.to_string()),
                None => return Ok(shards),
            }
        }
    }

    /// Lists the shards and starts those that are ready. The first time,
    /// with a `latest` start, closed shards are the past and are skipped
    /// and open ones start at LATEST; every other shard starts at
    /// TRIM_HORIZON. Ends with [`Stop::Failed`] once a disabled stream has
    /// nothing left to read.
    async fn refresh(&mut self, first: bool) -> Result<(), Stop> {
        let listed = self.describe().await?;
        let new = self.lineage.update(&listed);
        if first && self.start == StartAt::Latest {
            for id in &new {
                if self.lineage.is_closed(id) {
                    self.lineage.skip(id);
                }
            }
        }
        loop {
            let ready = self.lineage.ready();
            if ready.is_empty() {
                break;
            }
            for id in ready {
                let origin = if first && self.start == StartAt::Latest {
                    ShardIteratorType::Latest
                } else {
                    ShardIteratorType::TrimHorizon
                };
                match self.acquire(&id, origin.clone(), None).await? {
                    Some(iterator) => {
                        self.lineage.start(&id);
                        self.cursors.push(Cursor {
                            shard: id,
                            iterator,
                            origin,
                            last_seq: None,
                            next_poll: Instant::now(),
                            idle: self.opts.idle_min,
                            failures: 0,
                            throttles: 0,
                        });
                    }
                    None => self.lineage.skip(&id),
                }
            }
        }
        if first {
            self.send_shards(true).await?;
        }
        if self.disabled && self.cursors.is_empty() && self.lineage.pending() == 0 {
            return Err(Stop::Failed(
                AwsError::new(
                    "StreamDisabled",
                    format!(
                        "the stream {} has ended (disabled, or its table deleted) and every record it kept has been read",
                        self.arn
                    ),
                )
                .with_hint("enable the table's stream again to follow new changes (a new stream has a new ARN)"),
            ));
        }
        let wait = if self.cursors.is_empty() {
            self.opts.describe_soon
        } else {
            self.opts.describe_every
        };
        self.next_describe = Instant::now() + wait;
        Ok(())
    }

    /// A shard iterator of type `ty` (after `seq`), with retries. A
    /// position already trimmed falls back to TRIM_HORIZON with a notice.
    /// None when the shard is gone (or has nothing more to give).
    async fn acquire(
        &mut self,
        shard: &str,
        ty: ShardIteratorType,
        seq: Option<String>,
    ) -> Result<Option<String>, Stop> {
        let (mut ty, mut seq) = (ty, seq);
        let (mut failures, mut throttles) = (0u32, 0u32);
        loop {
            let r = self
                .call(
                    "GetShardIterator",
                    self.streams
                        .get_shard_iterator()
                        .stream_arn(self.arn)
                        .shard_id(shard)
                        .shard_iterator_type(ty.clone())
                        .set_sequence_number(seq.clone())
                        .send(),
                )
                .await;
            let e = match r {
                Ok(out) => return Ok(out.shard_iterator),
                Err(e) => e,
            };
            match kind(&e) {
                ErrorKind::Trimmed if ty != ShardIteratorType::TrimHorizon => {
                    self.trimmed(shard).await?;
                    (ty, seq) = (ShardIteratorType::TrimHorizon, None);
                }
                ErrorKind::NotFound => return self.shard_gone(shard, e).await.map(|()| None),
                _ => {
                    let wait = self.retry_after(e, &mut failures, &mut throttles)?;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn trimmed(&self, shard: &str) -> Result<(), Stop> {
        self.notice(format!(
            "records of shard {shard} were trimmed (streams keep 24 hours) before they could be read; reading on from the oldest record kept"
        ))
        .await
    }

    /// A shard-level ResourceNotFound: fails when the stream itself is
    /// gone, else the shard was trimmed away and is passed over.
    async fn shard_gone(&mut self, shard: &str, e: AwsError) -> Result<(), Stop> {
        let r = self
            .call(
                "DescribeStream",
                self.streams
                    .describe_stream()
                    .stream_arn(self.arn)
                    .limit(1)
                    .send(),
            )
            .await;
        match r {
            Err(d) if kind(&d) == ErrorKind::NotFound => Err(self.gone(d)),
            _ => {
                tracing::debug!("shard {shard}: {e}");
                self.notice(format!(
                    "shard {shard} is no longer in the stream (trimmed after 24 hours); its unread records are lost"
                ))
                .await
            }
        }
    }

    /// One GetRecords on the `i`th cursor, and what follows from it.
    async fn poll(&mut self, i: usize) -> Result<(), Stop> {
        let Some(c) = self.cursors.get(i) else {
            return Ok(());
        };
        let (shard, iterator) = (c.shard.clone(), c.iterator.clone());
        let r = self
            .call(
                "GetRecords",
                self.streams
                    .get_records()
                    .shard_iterator(iterator)
                    .limit(self.opts.limit)
                    .send(),
            )
            .await;
        let now = Instant::now();
        match r {
            Ok(out) => {
                let records: Vec<ChangeRecord> = out
                    .records()
                    .iter()
                    .filter_map(|r| convert::record(r, &shard))
                    .collect();
                let last = out
                    .records()
                    .iter()
                    .rev()
                    .find_map(|r| r.dynamodb().and_then(|d| d.sequence_number()))
                    .map(str::to_string);
                let (min, max) = (self.opts.idle_min, self.opts.idle_max);
                let c = &mut self.cursors[i];
                c.failures = 0;
                c.throttles = 0;
                if last.is_some() {
                    c.last_seq = last;
                }
                let got = !out.records().is_empty();
                let next = out.next_shard_iterator;
                if !records.is_empty() {
                    self.send(StreamEvent::Records(records)).await?;
                }
                let c = &mut self.cursors[i];
                match next {
                    Some(n) => {
                        c.iterator = n;
                        if got {
                            c.idle = min;
                            c.next_poll = now + min;
                        } else {
                            c.next_poll = now + c.idle;
                            c.idle = (c.idle * 2).min(max);
                        }
                    }
                    None => {
                        // Closed and read to its end: its children are next.
                        self.cursors.remove(i);
                        self.lineage.finish(&shard);
                        self.next_describe = now;
                    }
                }
                Ok(())
            }
            Err(e) => self.poll_failed(i, e, now).await,
        }
    }

    async fn poll_failed(&mut self, i: usize, e: AwsError, now: Instant) -> Result<(), Stop> {
        let shard = self.cursors[i].shard.clone();
        match kind(&e) {
            ErrorKind::Expired => {
                // Iterators last 15 minutes and a quiet shard is polled at
                // least every `idle_max`, so this follows a suspended
                // machine. With no record read yet, a LATEST iterator is
                // renewed at LATEST: writes made while it was suspended
                // are not read.
                let c = &self.cursors[i];
                let (ty, seq) = match &c.last_seq {
                    Some(s) => (ShardIteratorType::AfterSequenceNumber, Some(s.clone())),
                    None => (c.origin.clone(), None),
                };
                self.notice(format!(
                    "the iterator of shard {shard} expired (iterators last 15 minutes); renewed {}",
                    match &seq {
                        Some(s) => format!("after the last record read ({s})"),
                        None => format!("at {}", ty.as_str()),
                    }
                ))
                .await?;
                self.renew(i, ty, seq, now).await
            }
            ErrorKind::Trimmed => {
                self.trimmed(&shard).await?;
                self.renew(i, ShardIteratorType::TrimHorizon, None, now)
                    .await
            }
            ErrorKind::NotFound => {
                self.shard_gone(&shard, e).await?;
                self.cursors.remove(i);
                self.lineage.skip(&shard);
                self.next_describe = now;
                Ok(())
            }
            ErrorKind::Throttled | ErrorKind::Permanent | ErrorKind::Retry => {
                let (mut failures, mut throttles) =
                    (self.cursors[i].failures, self.cursors[i].throttles);
                let text = e.to_string();
                let wait = self.retry_after(e, &mut failures, &mut throttles)?;
                let c = &mut self.cursors[i];
                (c.failures, c.throttles) = (failures, throttles);
                c.next_poll = now + wait;
                tracing::debug!("shard {shard}: next try in {wait:?}: {text}");
                Ok(())
            }
        }
    }

    /// A new iterator for the `i`th cursor (its shard is dropped when it
    /// is gone).
    async fn renew(
        &mut self,
        i: usize,
        ty: ShardIteratorType,
        seq: Option<String>,
        now: Instant,
    ) -> Result<(), Stop> {
        let shard = self.cursors[i].shard.clone();
        match self.acquire(&shard, ty, seq).await? {
            Some(it) => {
                let c = &mut self.cursors[i];
                c.iterator = it;
                c.next_poll = now;
            }
            None => {
                self.cursors.remove(i);
                self.lineage.skip(&shard);
                self.next_describe = now;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_sorted_by_what_to_do() {
        let k = |c: &str| kind(&AwsError::new(c, ""));
        assert_eq!(k("ExpiredIteratorException"), ErrorKind::Expired);
        assert_eq!(k("TrimmedDataAccessException"), ErrorKind::Trimmed);
        assert_eq!(k("ResourceNotFoundException"), ErrorKind::NotFound);
        assert_eq!(k("LimitExceededException"), ErrorKind::Throttled);
        assert_eq!(k("ThrottlingException"), ErrorKind::Throttled);
        assert_eq!(k("AccessDeniedException"), ErrorKind::Permanent);
        assert_eq!(k("InternalServerError"), ErrorKind::Retry);
        assert_eq!(k("Timeout"), ErrorKind::Retry);
    }
}
