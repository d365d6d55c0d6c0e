//! Hot write keys from a table's stream: a sliding window of the writes a
//! stream reader saw, counted per partition key, with the rule
//! `hot_write_key_suspected` over it.
//!
//! A stream carries writes only (INSERT, MODIFY, REMOVE): reads are not
//! seen here. Write units are estimated from item sizes
//! ([`units_of`]); writes to global secondary indexes are not counted.
//!
//! Each [`HotWrites::push`] and each expired sample costs O(1) (a queue of
//! samples and running totals per key), so following a stream of 10,000
//! writes a second costs little; rankings sort the keys in the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::Resource;
use super::alerts::{Alert, AlertConfig, Severity, num};
use crate::dynamo::size::{item_size, write_units};
use crate::dynamo::stream::{ChangeRecord, EventName};

/// The most write units one partition serves a second.
pub const PARTITION_WCU_PER_SECOND: f64 = 1000.0;

/// The share of [`PARTITION_WCU_PER_SECOND`] at which a hot write key is
/// critical.
pub const CRITICAL_PARTITION_SHARE: f64 = 0.8;

/// Rates are never taken over less than this (ms), so the first writes of a
/// fresh tracker do not read as a huge rate.
const MIN_SPAN_MS: i64 = 1000;

/// Estimated write units of one stream record: the larger of its old and new
/// item images, 1 unit per KB rounded up (a REMOVE costs the deleted item's
/// size, its old image). Without images (a KEYS_ONLY stream, or a REMOVE on
/// a NEW_IMAGE stream) the record's size in bytes stands in, which counts
/// the keys only and so understates large items.
///
/// A deletion by TTL costs nothing (DynamoDB does not charge write
/// capacity for expiring items): 0.
///
/// An estimate: writes to global secondary indexes, transactional writes'
/// double cost and writes that changed nothing are not known from a stream.
pub fn units_of(record: &ChangeRecord) -> f64 {
    if record.by_ttl {
        return 0.0;
    }
    let old = record.old.as_ref().map(item_size);
    let new = match record.event {
        EventName::Remove => None,
        _ => record.new.as_ref().map(item_size),
    };
    let size = match (old, new) {
        (None, None) => u64::try_from(record.size_bytes).unwrap_or(0),
        (o, n) => o.unwrap_or(0).max(n.unwrap_or(0)),
    };
    write_units(size) as f64
}

/// One partition key's writes in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRate {
    /// The partition key value, as text.
    pub key: String,
    /// The entity the key decodes to, when known.
    pub entity: Option<String>,
    pub writes: u64,
    /// Estimated write units.
    pub units: f64,
    /// writes / all writes in the window (0..=1).
    pub share_of_writes: f64,
    /// units per second over the tracker's span ([`HotWrites::span_ms`]).
    pub wcu_per_s: f64,
}

/// One entity's writes in the window (`None`: keys of no known entity).
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRate {
    pub entity: Option<String>,
    /// Distinct partition keys written.
    pub keys: usize,
    pub writes: u64,
    pub units: f64,
    pub share_of_writes: f64,
    pub wcu_per_s: f64,
}

#[derive(Debug)]
struct Sample {
    at_ms: i64,
    key: Arc<str>,
    units: f64,
}

#[derive(Debug)]
struct Totals {
    entity: Option<String>,
    writes: u64,
    units: f64,
}

/// A sliding window of the writes seen on a stream.
#[derive(Debug)]
pub struct HotWrites {
    window_ms: i64,
    samples: VecDeque<Sample>,
    keys: HashMap<Arc<str>, Totals>,
    writes: u64,
    units: f64,
    /// The first sample ever pushed (rates before a full window are over
    /// the time since then).
    first_ms: Option<i64>,
    /// The latest time seen (push or expire).
    now_ms: i64,
}

impl HotWrites {
    pub fn new(window: Duration) -> HotWrites {
        HotWrites {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1),
            samples: VecDeque::new(),
            keys: HashMap::new(),
            writes: 0,
            units: 0.0,
            first_ms: None,
            now_ms: 0,
        }
    }

    pub fn window(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.window_ms).unwrap_or(0))
    }

    /// Counts one write of partition key `pk` at `now_ms` (epoch ms), then
    /// drops what left the window.
    pub fn push(&mut self, now_ms: i64, pk: String, entity: Option<String>, units: f64) {
        let units = if units.is_finite() && units > 0.0 {
            units
        } else {
            0.0
        };
        self.first_ms.get_or_insert(now_ms);
        let key: Arc<str> = match self.keys.get_key_value(pk.as_str()) {
            Some((k, _)) => k.clone(),
            None => Arc::from(pk),
        };
        let t = self.keys.entry(key.clone()).or_insert(Totals {
            entity: None,
            writes: 0,
            units: 0.0,
        });
        t.writes += 1;
        t.units += units;
        if entity.is_some() {
            t.entity = entity;
        }
        self.writes += 1;
        self.units += units;
        self.samples.push_back(Sample {
            at_ms: now_ms,
            key,
            units,
        });
        self.expire(now_ms);
    }

    /// Drops the samples at or before `now_ms - window`.
    pub fn expire(&mut self, now_ms: i64) {
        self.now_ms = self.now_ms.max(now_ms);
        let cutoff = self.now_ms.saturating_sub(self.window_ms);
        while self.samples.front().is_some_and(|s| s.at_ms <= cutoff) {
            let Some(s) = self.samples.pop_front() else {
                break;
            };
            self.writes = self.writes.saturating_sub(1);
            self.units -= s.units;
            if let Some(t) = self.keys.get_mut(&s.key) {
                t.writes = t.writes.saturating_sub(1);
                t.units -= s.units;
                if t.writes == 0 {
                    self.keys.remove(&s.key);
                }
            }
        }
        if self.writes == 0 {
            // No float residue once the window is empty.
            self.units = 0.0;
        }
    }

    /// Writes in the window.
    pub fn total_writes(&self) -> u64 {
        self.writes
    }

    /// Estimated write units in the window.
    pub fn total_units(&self) -> f64 {
        self.units.max(0.0)
    }

    /// Distinct partition keys in the window.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The time rates are taken over (ms): the window, or the time since the
    /// first write when that is shorter, and at least a second.
    pub fn span_ms(&self) -> i64 {
        let since = self.first_ms.map_or(0, |f| self.now_ms.saturating_sub(f));
        since.min(self.window_ms).max(MIN_SPAN_MS)
    }

    fn per_second(&self, units: f64) -> f64 {
        units.max(0.0) * 1000.0 / self.span_ms() as f64
    }

    fn share(&self, writes: u64) -> f64 {
        if self.writes == 0 {
            0.0
        } else {
            writes as f64 / self.writes as f64
        }
    }

    /// Estimated write units per second of the whole table.
    pub fn wcu_per_s(&self) -> f64 {
        self.per_second(self.units)
    }

    /// The `n` keys with the most writes (then the most units, then by key).
    pub fn top_keys(&self, n: usize) -> Vec<KeyRate> {
        let mut v: Vec<(&Arc<str>, &Totals)> = self.keys.iter().collect();
        let order = |a: &(&Arc<str>, &Totals), b: &(&Arc<str>, &Totals)| {
            b.1.writes
                .cmp(&a.1.writes)
                .then(b.1.units.total_cmp(&a.1.units))
                .then_with(|| a.0.cmp(b.0))
        };
        if n < v.len() {
            v.select_nth_unstable_by(n, order);
            v.truncate(n);
        }
        v.sort_by(order);
        v.into_iter()
            .map(|(k, t)| KeyRate {
                key: k.to_string(),
                entity: t.entity.clone(),
                writes: t.writes,
                units: t.units.max(0.0),
                share_of_writes: self.share(t.writes),
                wcu_per_s: self.per_second(t.units),
            })
            .collect()
    }

    /// Writes by entity, most writes first.
    pub fn by_entity(&self) -> Vec<EntityRate> {
        let mut m: HashMap<Option<&str>, (usize, u64, f64)> = HashMap::new();
        for t in self.keys.values() {
            let e = m.entry(t.entity.as_deref()).or_default();
            e.0 += 1;
            e.1 += t.writes;
            e.2 += t.units;
        }
        let mut v: Vec<EntityRate> = m
            .into_iter()
            .map(|(entity, (keys, writes, units))| EntityRate {
                entity: entity.map(str::to_string),
                keys,
                writes,
                units: units.max(0.0),
                share_of_writes: self.share(writes),
                wcu_per_s: self.per_second(units),
            })
            .collect();
        v.sort_by(|a, b| {
            b.writes
                .cmp(&a.writes)
                .then_with(|| a.entity.cmp(&b.entity))
        });
        v
    }
}

/// `hot_write_key_suspected`: a partition key with at least `skew_share`
/// of the writes in the window and at least `hot_write_min_writes` writes.
/// WARN; CRITICAL when its estimated WCU/s is at or over 80% of the
/// 1,000 WCU/s one partition serves. One alert per such key, most writes
/// first; `now_ms` (epoch ms) is the alert's time.
pub fn alerts(hot: &HotWrites, cfg: &AlertConfig, now_ms: i64) -> Vec<Alert> {
    let total = hot.total_writes();
    if total == 0 || total < cfg.hot_write_min_writes {
        return Vec::new();
    }
    // At most 1 / share keys can each have `share` of the writes (one more
    // for rounding; the filter below decides).
    let most = if cfg.skew_share > 0.0 {
        (1.0 / cfg.skew_share).floor() as usize + 1
    } else {
        hot.key_count()
    };
    let span_s = hot.span_ms() as f64 / 1000.0;
    let window_s = hot.window().as_secs_f64();
    let over = if span_s < window_s {
        format!(
            "in the last {} s (the stream has been read that long; the window is {} s)",
            num(span_s),
            num(window_s)
        )
    } else {
        format!("in the last {} s", num(window_s))
    };
    hot.top_keys(most)
        .into_iter()
        .filter(|k| k.writes >= cfg.hot_write_min_writes && k.share_of_writes >= cfg.skew_share)
        .map(|k| {
            let pct = 100.0 * k.share_of_writes;
            let limit_pct = 100.0 * k.wcu_per_s / PARTITION_WCU_PER_SECOND;
            let critical = k.wcu_per_s >= CRITICAL_PARTITION_SHARE * PARTITION_WCU_PER_SECOND;
            let entity = k
                .entity
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            let detail = format!(
                "{}{entity} took {} of the {} writes seen on the stream {over} ({:.0}%; the threshold is {:.0}% and at least {} writes), \
                 ~{} WCU/s estimated from item sizes: {:.0}% of the {} WCU/s one partition serves{}. \
                 Streams see writes only: reads of this key are not counted, and neither are writes to global secondary indexes. \
                 Look at what writes this key so often (a counter, a shared status item, a time bucket) and spread it over more partition keys (write sharding).",
                k.key,
                num(k.writes as f64),
                num(total as f64),
                pct,
                100.0 * cfg.skew_share,
                num(cfg.hot_write_min_writes as f64),
                num(k.wcu_per_s),
                limit_pct,
                num(PARTITION_WCU_PER_SECOND),
                if critical {
                    ": writes to it are about to be throttled"
                } else {
                    ""
                },
            );
            Alert {
                severity: if critical {
                    Severity::Critical
                } else {
                    Severity::Warn
                },
                time: now_ms.div_euclid(1000),
                rule: "hot_write_key_suspected".into(),
                resource: Resource::Table,
                title: format!(
                    "hot write key suspected: {}, {:.0}% of writes, ~{} WCU/s",
                    k.key,
                    pct,
                    num(k.wcu_per_s)
                ),
                detail,
                key: Some(vec![k.key]),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::stream::EventName;
    use crate::dynamo::{AttributeValue, Item};
    use rand::{Rng, SeedableRng};

    fn record(event: EventName, old: Option<Item>, new: Option<Item>, size: i64) -> ChangeRecord {
        ChangeRecord {
            event,
            keys: Item::new(),
            old,
            new,
            time_ms: None,
            size_bytes: size,
            sequence: String::new(),
            shard: String::new(),
            by_ttl: false,
        }
    }

    fn sized(bytes: usize) -> Item {
        // "d" (1 byte) + the string.
        Item::from([("d".to_string(), AttributeValue::S("x".repeat(bytes - 1)))])
    }

    #[test]
    fn units_from_images_then_record_size() {
        // MODIFY: the larger image, per KB.
        let r = record(EventName::Modify, Some(sized(500)), Some(sized(2100)), 9);
        assert_eq!(units_of(&r), 3.0);
        let r = record(EventName::Modify, Some(sized(2100)), Some(sized(500)), 9);
        assert_eq!(units_of(&r), 3.0);
        // INSERT with the new image only.
        let r = record(EventName::Insert, None, Some(sized(1024)), 9);
        assert_eq!(units_of(&r), 1.0);
        // REMOVE: the deleted item's size.
        let r = record(EventName::Remove, Some(sized(4000)), None, 9);
        assert_eq!(units_of(&r), 4.0);
        // KEYS_ONLY: the record's size.
        let r = record(EventName::Modify, None, None, 1500);
        assert_eq!(units_of(&r), 2.0);
        let r = record(EventName::Remove, None, None, 40);
        assert_eq!(units_of(&r), 1.0);
        // Expired by TTL: free.
        let mut r = record(EventName::Remove, Some(sized(4000)), None, 9);
        r.by_ttl = true;
        assert_eq!(units_of(&r), 0.0);
    }

    /// 40% of writes on one key, the rest over 500 others, 100 writes a
    /// second for two minutes into a 60 s window.
    fn skewed(seed: u64) -> HotWrites {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut hot = HotWrites::new(Duration::from_secs(60));
        for i in 0..12_000i64 {
            let at = 1_000_000 + i * 10;
            if rng.random_bool(0.4) {
                hot.push(at, "CUSTOMER#c00243".into(), Some("Customer".into()), 1.0);
            } else {
                let k = rng.random_range(0..500);
                hot.push(at, format!("ORDER#{k:05}"), Some("Order".into()), 2.0);
            }
        }
        hot
    }

    #[test]
    fn the_hot_key_tops_a_skewed_load() {
        let hot = skewed(7);
        // Only the last 60 s are kept: 6,000 writes.
        assert_eq!(hot.total_writes(), 6000);
        let top = hot.top_keys(3);
        assert_eq!(top.len(), 3);
        assert_eq!(top[0].key, "CUSTOMER#c00243");
        assert_eq!(top[0].entity.as_deref(), Some("Customer"));
        assert!(
            (top[0].share_of_writes - 0.4).abs() < 0.05,
            "{}",
            top[0].share_of_writes
        );
        // 40 writes/s of 1 unit.
        assert!(
            (top[0].wcu_per_s - 40.0).abs() < 4.0,
            "{}",
            top[0].wcu_per_s
        );
        assert!(top[1].writes <= top[0].writes / 10);
        // The table: 40 x 1 + 60 x 2 units a second.
        assert!(
            (hot.wcu_per_s() - 160.0).abs() < 10.0,
            "{}",
            hot.wcu_per_s()
        );
        let by = hot.by_entity();
        assert_eq!(by[0].entity.as_deref(), Some("Order"));
        assert!(by[0].keys > 490, "{}", by[0].keys);
        assert_eq!(by[1].entity.as_deref(), Some("Customer"));
        assert_eq!(by[1].keys, 1);
        assert_eq!(by[0].writes + by[1].writes, 6000);
    }

    #[test]
    fn expiry_drops_old_samples() {
        let mut hot = HotWrites::new(Duration::from_secs(10));
        for i in 0..5 {
            hot.push(1000 + i, "A".into(), None, 1.0);
        }
        hot.push(6000, "B".into(), None, 3.0);
        assert_eq!(hot.total_writes(), 6);
        // 11.0005 s: A's writes (at 1.000..1.004 s) are 10 s old.
        hot.expire(11_003);
        assert_eq!(hot.total_writes(), 2);
        let top = hot.top_keys(5);
        assert_eq!(top.len(), 2);
        assert!(
            top.iter()
                .all(|k| k.writes == 1 && k.share_of_writes == 0.5)
        );
        hot.expire(11_004);
        assert_eq!(hot.total_writes(), 1);
        let top = hot.top_keys(5);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].key, "B");
        assert_eq!(top[0].share_of_writes, 1.0);
        assert_eq!(hot.total_units(), 3.0);
        hot.expire(16_000);
        assert_eq!(hot.total_writes(), 0);
        assert_eq!(hot.key_count(), 0);
        assert_eq!(hot.total_units(), 0.0);
        assert!(hot.top_keys(5).is_empty());
        // Time does not go back: an older `now` expires nothing more.
        hot.push(16_500, "C".into(), None, 1.0);
        hot.expire(2000);
        assert_eq!(hot.total_writes(), 1);
    }

    #[test]
    fn rates_at_the_start_are_not_understated() {
        let mut hot = HotWrites::new(Duration::from_secs(60));
        // 10 s of 50 writes a second, 2 units each.
        for i in 0..500i64 {
            hot.push(i * 20, "K".into(), None, 2.0);
        }
        hot.expire(10_000);
        assert_eq!(hot.span_ms(), 10_000);
        assert!(
            (hot.wcu_per_s() - 100.0).abs() < 1e-9,
            "{}",
            hot.wcu_per_s()
        );
        assert!((hot.top_keys(1)[0].wcu_per_s - 100.0).abs() < 1e-9);
        // A burst in the first milliseconds is taken over a second.
        let mut fresh = HotWrites::new(Duration::from_secs(60));
        for i in 0..10 {
            fresh.push(5_000 + i, "K".into(), None, 1.0);
        }
        assert_eq!(fresh.span_ms(), 1000);
        assert_eq!(fresh.wcu_per_s(), 10.0);
        // After the window has filled, rates are over the window.
        hot.expire(120_000);
        assert_eq!(hot.span_ms(), 60_000);
    }

    fn at_rate(hot_writes: usize, other: usize, units: f64) -> HotWrites {
        // All within 10 s.
        let mut hot = HotWrites::new(Duration::from_secs(60));
        let n = hot_writes + other;
        let mut h = 0;
        for i in 0..n {
            let at = (i as i64) * 10_000 / n as i64;
            if h < hot_writes && (i * hot_writes) / n >= h {
                hot.push(at, "CUSTOMER#c00243".into(), Some("Customer".into()), units);
                h += 1;
            } else {
                hot.push(at, format!("ORDER#{i}"), None, units);
            }
        }
        hot.expire(10_000);
        hot
    }

    #[test]
    fn the_alert_names_the_key_share_and_rate() {
        // 410 of 1,000 writes in 10 s, 20.75 units each: 850.75 WCU/s on
        // the key, over 80% of a partition's 1,000.
        let hot = at_rate(410, 590, 20.75);
        let cfg = AlertConfig::default();
        let a = alerts(&hot, &cfg, 1_764_000_000_000);
        assert_eq!(a.len(), 1, "{a:#?}");
        let a = &a[0];
        assert_eq!(
            a.title,
            "hot write key suspected: CUSTOMER#c00243, 41% of writes, ~851 WCU/s"
        );
        assert_eq!(a.rule, "hot_write_key_suspected");
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.resource, Resource::Table);
        assert_eq!(a.key, Some(vec!["CUSTOMER#c00243".to_string()]));
        assert_eq!(a.time, 1_764_000_000);
        for part in [
            "CUSTOMER#c00243 (Customer) took 410 of the 1,000 writes",
            "in the last 10 s",
            "the window is 60 s",
            "1,000 WCU/s one partition serves",
            "Streams see writes only: reads of this key are not counted",
        ] {
            assert!(a.detail.contains(part), "{part:?} not in {}", a.detail);
        }
        // The same share at 1 unit a write: a warning.
        let hot = at_rate(410, 590, 1.0);
        let a = alerts(&hot, &cfg, 0);
        assert_eq!(a[0].severity, Severity::Warn);
        assert_eq!(
            a[0].title,
            "hot write key suspected: CUSTOMER#c00243, 41% of writes, ~41 WCU/s"
        );
    }

    #[test]
    fn no_alert_under_the_thresholds() {
        let cfg = AlertConfig::default();
        // 15% of writes: under skew_share 0.2.
        assert!(alerts(&at_rate(150, 850, 1.0), &cfg, 0).is_empty());
        // 50% of writes but only 10 of them: under hot_write_min_writes 20.
        assert!(alerts(&at_rate(10, 10, 1.0), &cfg, 0).is_empty());
        // Nothing at all.
        assert!(alerts(&HotWrites::new(Duration::from_secs(60)), &cfg, 0).is_empty());
        // Exactly at both thresholds: an alert.
        assert_eq!(alerts(&at_rate(20, 80, 1.0), &cfg, 0).len(), 1);
        // A lower threshold from the config counts.
        let low = AlertConfig {
            hot_write_min_writes: 5,
            ..AlertConfig::default()
        };
        assert_eq!(alerts(&at_rate(10, 10, 1.0), &low, 0).len(), 1);
    }
}
