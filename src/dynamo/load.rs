//! The write-load drill behind `dyntui load`: updates existing items at a
//! steady rate, a chosen share of them on one partition, so that hot-key
//! alerts, throttling and the live views can be rehearsed on a test table.
//!
//! Every write is `UpdateItem ADD #attr :one` under
//! `attribute_exists(<partition key>)`: it bumps a counter on an item that
//! exists and never creates one. Writes are paced by a timer (no busy
//! loop), at most `concurrency` in flight; throttles and transient failures
//! are retried with backoff; which writes go to the hot partition is exact
//! (error diffusion, not chance), the item within each group is random.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rand::{Rng, SeedableRng};

use super::client::{Dynamo, TableInfo};
use super::error::AwsError;
use super::seed::{WriteOptions, backoff};
use super::write::is_throttle;
use super::{AttributeValue, Item, value};

/// Items sampled to find partitions, at most.
pub const SAMPLE_ITEMS: usize = 1000;
/// Scan pages read for the sample, at most.
const SAMPLE_PAGES: usize = 5;
/// The pacing timer's period.
const TICK: Duration = Duration::from_millis(10);

/// What a drill writes to: the keys of the hot partition's items and of
/// the other sampled items.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    pub table: String,
    pub pk_name: String,
    /// The hot partition key value.
    pub hot_pk: AttributeValue,
    /// Keys (partition and sort key) of items in the hot partition.
    pub hot: Vec<Item>,
    /// Keys of sampled items in other partitions.
    pub others: Vec<Item>,
}

impl LoadPlan {
    /// The hot partition key value as text (`CUSTOMER#c00243`).
    pub fn hot_text(&self) -> String {
        value::cell_text(&self.hot_pk, 200)
    }
}

/// How hard and how long a drill writes.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Writes per second.
    pub rate: f64,
    /// Share of the writes on the hot partition (0..=1).
    pub hot_share: f64,
    /// Stop after this long (None: until `max_writes` or stopped).
    pub duration: Option<Duration>,
    /// Stop after this many writes (None: until `duration` or stopped).
    pub max_writes: Option<u64>,
    /// The number attribute the writes add 1 to.
    pub attribute: String,
    /// Writes in flight at most, and the retries' backoff.
    pub write: WriteOptions,
    /// Seed of the item choice within each group.
    pub seed: u64,
}

/// Counters shared with whoever prints progress.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Writes done (succeeded).
    pub writes: AtomicU64,
    /// Of which on the hot partition.
    pub hot_writes: AtomicU64,
    /// Writes that failed (not retried further).
    pub errors: AtomicU64,
    /// Writes whose item was gone (the condition failed): nothing written.
    pub missing: AtomicU64,
    pub throttles: AtomicU64,
    pub retries: AtomicU64,
    /// Wall time of every finished write, retries included (µs).
    pub busy_us: AtomicU64,
}

impl LoadStats {
    fn get(a: &AtomicU64) -> u64 {
        a.load(Ordering::Relaxed)
    }
}

/// How a drill went.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    pub writes: u64,
    pub hot_writes: u64,
    pub errors: u64,
    pub missing: u64,
    pub throttles: u64,
    pub retries: u64,
    /// The mean time a write took, retries included (ms; 0 without writes).
    pub mean_write_ms: f64,
    pub elapsed: Duration,
    /// Writes done per second over the run: what the table took, which is
    /// less than asked when it throttled or the writes were slow.
    pub achieved_rate: f64,
    /// Stopped by the user before its end.
    pub stopped: bool,
    /// The first error that was not retried, if any.
    pub first_error: Option<String>,
}

/// A page of keys and where the next page starts.
type KeyPage = (Vec<Item>, Option<Item>);

/// Up to `max` items from at most [`SAMPLE_PAGES`] pages, `page` reading
/// one (given its start and how many items are still wanted).
async fn pages<F, Fut>(max: usize, page: F) -> Result<Vec<Item>, AwsError>
where
    F: Fn(Option<Item>, i32) -> Fut,
    Fut: std::future::Future<Output = Result<KeyPage, AwsError>>,
{
    let mut out = Vec::new();
    let mut start = None;
    for _ in 0..SAMPLE_PAGES {
        let left = max.saturating_sub(out.len());
        if left == 0 {
            break;
        }
        let (items, next) = page(start.take(), i32::try_from(left).unwrap_or(i32::MAX)).await?;
        out.extend(items);
        match next {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out.truncate(max);
    Ok(out)
}

/// Keys of up to `max` items of `info`'s table (Scan pages of the key
/// attributes only, at most a few pages).
pub async fn sample_keys(db: &Dynamo, info: &TableInfo, max: usize) -> Result<Vec<Item>, AwsError> {
    let (names, projection) = key_projection(info)?;
    pages(max, |start, limit| {
        let req = db
            .client()
            .scan()
            .table_name(&info.name)
            .projection_expression(&projection)
            .set_expression_attribute_names(Some(names.clone()))
            .limit(limit)
            .set_exclusive_start_key(start);
        async move {
            let r = req
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&info.name)))?;
            Ok((r.items.unwrap_or_default(), r.last_evaluated_key))
        }
    })
    .await
}

/// Keys of up to `max` items of the partition `pk` (a Query of the key
/// attributes only, at most a few pages).
pub async fn partition_keys(
    db: &Dynamo,
    info: &TableInfo,
    pk: &AttributeValue,
    max: usize,
) -> Result<Vec<Item>, AwsError> {
    let (names, projection) = key_projection(info)?;
    pages(max, |start, limit| {
        let req = db
            .client()
            .query()
            .table_name(&info.name)
            .key_condition_expression("#k0 = :pk")
            .projection_expression(&projection)
            .set_expression_attribute_names(Some(names.clone()))
            .expression_attribute_values(":pk", pk.clone())
            .limit(limit)
            .set_exclusive_start_key(start);
        async move {
            let r = req
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&info.name)))?;
            Ok((r.items.unwrap_or_default(), r.last_evaluated_key))
        }
    })
    .await
}

/// `#k0, #k1` and its names.
fn key_projection(info: &TableInfo) -> Result<(HashMap<String, String>, String), AwsError> {
    let pk = info.pk.as_ref().ok_or_else(|| {
        AwsError::new(
            "NoKeySchema",
            format!("table `{}` has no key schema in its description", info.name),
        )
    })?;
    let mut names = HashMap::from([("#k0".to_string(), pk.name.clone())]);
    let mut projection = "#k0".to_string();
    if let Some(sk) = &info.sk {
        names.insert("#k1".into(), sk.name.clone());
        projection.push_str(", #k1");
    }
    Ok((names, projection))
}

/// The plan: the hot partition is `hot_pk` when given (its items in
/// `hot_items`), else the sampled partition key with the most items (the
/// first seen of those tied); the rest of the sample is spread over.
pub fn plan(
    info: &TableInfo,
    sampled: Vec<Item>,
    hot_pk: Option<(AttributeValue, Vec<Item>)>,
    hot_share: f64,
) -> Result<LoadPlan, String> {
    let pk_name = info
        .pk
        .as_ref()
        .map(|k| k.name.clone())
        .ok_or_else(|| format!("table `{}` has no key schema in its description", info.name))?;
    let (hot_pk, hot) = match hot_pk {
        Some((v, items)) => {
            if items.is_empty() {
                return Err(format!(
                    "no items with {pk_name}={} in `{}`: the drill only updates existing items (seed some first, e.g. dyntui seed demo --table {})",
                    value::cell_text(&v, 200),
                    info.name,
                    info.name
                ));
            }
            (v, items)
        }
        None => {
            let mut counts: Vec<(&AttributeValue, usize)> = Vec::new();
            for it in &sampled {
                let Some(v) = it.get(&pk_name) else { continue };
                match counts.iter_mut().find(|(c, _)| *c == v) {
                    Some(c) => c.1 += 1,
                    None => counts.push((v, 1)),
                }
            }
            let best = counts
                .iter()
                .enumerate()
                .max_by(|(ia, a), (ib, b)| a.1.cmp(&b.1).then(ib.cmp(ia)))
                .map(|(_, (v, _))| (*v).clone());
            let Some(v) = best else {
                return Err(format!(
                    "`{}` has no items to write to: the drill only updates existing items (seed some first, e.g. dyntui seed demo --table {})",
                    info.name, info.name
                ));
            };
            let items: Vec<Item> = sampled
                .iter()
                .filter(|it| it.get(&pk_name) == Some(&v))
                .cloned()
                .collect();
            (v, items)
        }
    };
    let others: Vec<Item> = sampled
        .into_iter()
        .filter(|it| it.get(&pk_name).is_some_and(|v| *v != hot_pk))
        .collect();
    if others.is_empty() && hot_share < 1.0 {
        return Err(format!(
            "every sampled item of `{}` is in the partition {pk_name}={}: there are no other items for the other {:.0}% of the writes (use --hot-share 1, or seed more partitions)",
            info.name,
            value::cell_text(&hot_pk, 200),
            100.0 * (1.0 - hot_share)
        ));
    }
    Ok(LoadPlan {
        table: info.name.clone(),
        pk_name,
        hot_pk,
        hot,
        others,
    })
}

/// Whether write number `i` (from 0) goes to the hot partition: exactly
/// `floor((i + 1) x share)` of the first `i + 1` writes do.
pub fn is_hot(i: u64, share: f64) -> bool {
    let share = share.clamp(0.0, 1.0);
    ((i + 1) as f64 * share).floor() > (i as f64 * share).floor()
}

/// Runs the drill until its duration or count is reached or `stop` is set;
/// the writes in flight then finish. Fails on the first error that more
/// writes would only repeat (access denied, a missing table, an attribute
/// that is not a number); throttles and transient failures are retried.
pub async fn run(
    db: &Dynamo,
    plan: &LoadPlan,
    opts: &LoadOptions,
    stats: Arc<LoadStats>,
    stop: Arc<AtomicBool>,
) -> Result<LoadReport, AwsError> {
    let rate = if opts.rate.is_finite() && opts.rate > 0.0 {
        opts.rate
    } else {
        1.0
    };
    let concurrency = opts.write.concurrency.max(1);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed);
    let began = Instant::now();
    let mut ticker = tokio::time::interval(TICK.min(Duration::from_secs_f64(1.0 / rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut inflight = FuturesUnordered::new();
    let mut sent: u64 = 0;
    let mut fatal: Option<AwsError> = None;
    let mut first_error: Option<String> = None;
    let mut stopped = false;
    loop {
        let elapsed = began.elapsed();
        let out_of_time = opts.duration.is_some_and(|d| elapsed >= d);
        let out_of_writes = opts.max_writes.is_some_and(|m| sent >= m);
        if stop.load(Ordering::Relaxed) {
            stopped = true;
        }
        if stopped || out_of_time || out_of_writes || fatal.is_some() {
            break;
        }
        tokio::select! {
            _ = ticker.tick() => {
                let target = (rate * began.elapsed().as_secs_f64()).floor() as u64 + 1;
                let target = opts.max_writes.map_or(target, |m| target.min(m));
                while sent < target && inflight.len() < concurrency {
                    let hot = is_hot(sent, opts.hot_share) || plan.others.is_empty();
                    let group = if hot { &plan.hot } else { &plan.others };
                    let Some(key) = group.get(rng.random_range(0..group.len().max(1))) else {
                        break;
                    };
                    inflight.push(write_one(db, plan, opts, key.clone(), hot, &stats));
                    sent += 1;
                }
            }
            Some(r) = inflight.next(), if !inflight.is_empty() => {
                if let Err(e) = r {
                    if first_error.is_none() {
                        first_error = Some(e.to_string());
                    }
                    if is_fatal(&e) {
                        fatal = Some(e);
                    }
                }
            }
        }
    }
    while let Some(r) = inflight.next().await {
        if let Err(e) = r
            && first_error.is_none()
        {
            first_error = Some(e.to_string());
        }
    }
    if let Some(e) = fatal {
        return Err(e);
    }
    let elapsed = began.elapsed();
    let writes = LoadStats::get(&stats.writes);
    Ok(LoadReport {
        writes,
        hot_writes: LoadStats::get(&stats.hot_writes),
        errors: LoadStats::get(&stats.errors),
        missing: LoadStats::get(&stats.missing),
        throttles: LoadStats::get(&stats.throttles),
        retries: LoadStats::get(&stats.retries),
        mean_write_ms: {
            let n = writes + LoadStats::get(&stats.errors) + LoadStats::get(&stats.missing);
            if n == 0 {
                0.0
            } else {
                LoadStats::get(&stats.busy_us) as f64 / 1000.0 / n as f64
            }
        },
        elapsed,
        achieved_rate: writes as f64 / elapsed.as_secs_f64().max(0.001),
        stopped,
        first_error,
    })
}

/// Errors every further write would hit too.
fn is_fatal(e: &AwsError) -> bool {
    matches!(
        e.code.as_str(),
        "AccessDeniedException"
            | "UnrecognizedClientException"
            | "ResourceNotFoundException"
            | "ValidationException"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
    )
}

/// One `ADD #attr :one` on `key`, retried on throttling and transient
/// failures; a failed condition (the item is gone) counts as missing.
async fn write_one(
    db: &Dynamo,
    plan: &LoadPlan,
    opts: &LoadOptions,
    key: Item,
    hot: bool,
    stats: &LoadStats,
) -> Result<(), AwsError> {
    let names = HashMap::from([
        ("#a".to_string(), opts.attribute.clone()),
        ("#pk".to_string(), plan.pk_name.clone()),
    ]);
    let began = Instant::now();
    let done = |stats: &LoadStats| {
        let us = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.busy_us.fetch_add(us, Ordering::Relaxed);
    };
    let mut attempt = 0;
    loop {
        let r = db
            .client()
            .update_item()
            .table_name(&plan.table)
            .set_key(Some(key.clone()))
            .update_expression("ADD #a :one")
            .condition_expression("attribute_exists(#pk)")
            .set_expression_attribute_names(Some(names.clone()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_consumed_capacity(ReturnConsumedCapacity::None)
            .send()
            .await;
        match r {
            Ok(_) => {
                stats.writes.fetch_add(1, Ordering::Relaxed);
                if hot {
                    stats.hot_writes.fetch_add(1, Ordering::Relaxed);
                }
                done(stats);
                return Ok(());
            }
            Err(e) => {
                let code = e
                    .as_service_error()
                    .and_then(aws_sdk_dynamodb::error::ProvideErrorMetadata::code)
                    .map(str::to_string);
                if code.as_deref() == Some("ConditionalCheckFailedException") {
                    stats.missing.fetch_add(1, Ordering::Relaxed);
                    done(stats);
                    return Ok(());
                }
                let e = AwsError::from_sdk(e, db.context(), Some(&plan.table));
                let throttled = is_throttle(&e);
                if throttled {
                    stats.throttles.fetch_add(1, Ordering::Relaxed);
                }
                if (throttled || e.is_transient()) && attempt < opts.write.max_retries {
                    stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff(&opts.write, attempt)).await;
                    attempt += 1;
                    continue;
                }
                stats.errors.fetch_add(1, Ordering::Relaxed);
                done(stats);
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::client::{KeyDef, KeyKind};

    fn info() -> TableInfo {
        TableInfo {
            name: "t".into(),
            pk: Some(KeyDef::new("PK", KeyKind::S)),
            sk: Some(KeyDef::new("SK", KeyKind::S)),
            ..TableInfo::default()
        }
    }

    fn key(pk: &str, sk: &str) -> Item {
        Item::from([
            ("PK".to_string(), AttributeValue::S(pk.into())),
            ("SK".to_string(), AttributeValue::S(sk.into())),
        ])
    }

    #[test]
    fn the_hot_share_is_exact() {
        for share in [0.0, 0.1, 0.25, 0.4, 0.5, 1.0 / 3.0, 0.9, 1.0] {
            for n in [1u64, 7, 100, 1000] {
                let hot = (0..n).filter(|&i| is_hot(i, share)).count() as u64;
                assert_eq!(hot, (n as f64 * share).floor() as u64, "{share} {n}");
            }
        }
        // Spread out, not in a block: 50% alternates.
        assert!(!is_hot(0, 0.5) && is_hot(1, 0.5) && !is_hot(2, 0.5));
    }

    #[test]
    fn the_busiest_sampled_partition_is_hot() {
        let sampled = vec![
            key("A", "1"),
            key("B", "1"),
            key("B", "2"),
            key("C", "1"),
            key("B", "3"),
        ];
        let p = plan(&info(), sampled, None, 0.5).unwrap();
        assert_eq!(p.hot_pk, AttributeValue::S("B".into()));
        assert_eq!(p.hot.len(), 3);
        assert_eq!(p.others, vec![key("A", "1"), key("C", "1")]);
        assert_eq!(p.hot_text(), "B");
        // Ties: the first seen.
        let p = plan(&info(), vec![key("A", "1"), key("C", "1")], None, 0.5).unwrap();
        assert_eq!(p.hot_pk, AttributeValue::S("A".into()));
    }

    #[test]
    fn a_given_hot_key_and_the_refusals() {
        let given = (
            AttributeValue::S("C".into()),
            vec![key("C", "1"), key("C", "9")],
        );
        let p = plan(
            &info(),
            vec![key("A", "1"), key("C", "1")],
            Some(given),
            0.4,
        )
        .unwrap();
        assert_eq!(p.hot.len(), 2);
        assert_eq!(p.others, vec![key("A", "1")]);
        let e = plan(
            &info(),
            vec![key("A", "1")],
            Some((AttributeValue::S("Z".into()), vec![])),
            0.4,
        )
        .unwrap_err();
        assert!(e.starts_with("no items with PK=Z in `t`"), "{e}");
        let e = plan(&info(), vec![], None, 0.4).unwrap_err();
        assert!(e.contains("has no items to write to"), "{e}");
        let e = plan(&info(), vec![key("A", "1")], None, 0.4).unwrap_err();
        assert!(e.contains("no other items for the other 60%"), "{e}");
        assert!(plan(&info(), vec![key("A", "1")], None, 1.0).is_ok());
    }
}
