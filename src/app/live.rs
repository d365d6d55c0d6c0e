//! Following a table's changes, shared by the live screen, `dyntui tail`
//! and `dyntui diagnose --live`: each stream record decoded by entity like
//! the items view (type and key fields), the filters a user sets while it
//! runs, the hot write keys over a sliding window, and the one JSON shape
//! of a change.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::config::Project;
use crate::dynamo::AttributeValue;
use crate::dynamo::client::TableInfo;
use crate::dynamo::entity::Decoder;
use crate::dynamo::stream::{ChangeRecord, EventName};
use crate::dynamo::value;
use crate::metrics::alerts::{Alert, AlertConfig};
use crate::metrics::hotwrites::{self, HotWrites};

/// The window hot write keys are measured over unless set otherwise.
pub const HOT_WINDOW: Duration = Duration::from_secs(60);

/// One change, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub record: ChangeRecord,
    /// The entity type (None: not recognised).
    pub entity: Option<String>,
    /// The key fields (`customerId=c00001 orderId=o3`), else the raw key.
    pub key_text: String,
    /// The partition key's value as text.
    pub pk: String,
    /// Estimated write units of the change (from the images' sizes).
    pub units: f64,
    /// When it arrived here (epoch milliseconds).
    pub seen_ms: i64,
}

impl Decoded {
    /// The entity's name, or `—`.
    pub fn entity_label(&self) -> &str {
        self.entity.as_deref().unwrap_or("—")
    }

    /// The change as one JSON object: event, type, keys, old, new, time
    /// (ISO 8601), sequence and size. Plain JSON values (numbers exact), or
    /// DynamoDB JSON with `dynamo`.
    pub fn to_json(&self, dynamo: bool) -> Value {
        let item = |i: &crate::dynamo::Item| {
            if dynamo {
                value::item_to_dynamo(i)
            } else {
                value::item_to_plain(i)
            }
        };
        let r = &self.record;
        json!({
            "event": r.event.label(),
            "type": self.entity,
            "key": self.key_text,
            "keys": item(&r.keys),
            "old": r.old.as_ref().map(item),
            "new": r.new.as_ref().map(item),
            "time": r.time_ms.map(time_text),
            "sequence": r.sequence,
            "sizeBytes": r.size_bytes,
            "ttl": r.by_ttl,
        })
    }

    /// One line: time, event, type, key fields, then what changed
    /// (`status: "new" → "paid"`).
    pub fn text_line(&self) -> String {
        let r = &self.record;
        let time = r.time_ms.map(time_text).unwrap_or_else(|| "-".to_string());
        let mut out = format!(
            "{time} {:<6} {} {}",
            r.event.label(),
            self.entity_label(),
            self.key_text
        );
        if r.by_ttl {
            out.push_str(" (TTL)");
        }
        let diff = diff_text(r, 200);
        if !diff.is_empty() {
            out.push_str("  ");
            out.push_str(&diff);
        }
        out
    }
}

/// What changed, in short: `status: "new" → "paid", +note, -gone` (key
/// attributes left out; at most `max` characters per value).
pub fn diff_text(r: &ChangeRecord, max: usize) -> String {
    let v = |a: &AttributeValue| value::cell_text(a, max);
    r.diff()
        .iter()
        .filter(|d| !r.keys.contains_key(&d.name))
        .map(|d| match (&d.old, &d.new) {
            (Some(o), Some(n)) => format!("{}: {} → {}", d.name, v(o), v(n)),
            (None, Some(n)) if r.event == EventName::Modify => format!("+{}={}", d.name, v(n)),
            (Some(o), None) if r.event == EventName::Modify => format!("-{}={}", d.name, v(o)),
            (None, Some(n)) => format!("{}={}", d.name, v(n)),
            (Some(o), None) => format!("{}={}", d.name, v(o)),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Epoch milliseconds as `2026-12-07T06:10:00.123Z`.
pub fn time_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_else(|_| ms.to_string())
}

/// Which changes to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Only this entity type (case-insensitive).
    pub entity: Option<String>,
    /// `NAME=VALUE`: a key attribute or key field equal to VALUE; other
    /// text: found in the key fields or raw key values (case-insensitive).
    pub key: Option<String>,
    pub event: Option<EventName>,
}

impl ChangeFilter {
    pub fn is_empty(&self) -> bool {
        self.entity.is_none() && self.key.is_none() && self.event.is_none()
    }

    pub fn matches(&self, d: &Decoded) -> bool {
        if self.event.is_some_and(|e| e != d.record.event) {
            return false;
        }
        if let Some(t) = &self.entity
            && !d
                .entity
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(t))
        {
            return false;
        }
        match self.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => true,
            Some(k) => key_matches(d, k),
        }
    }

    /// What the filter is, in words (`type Order · key c00001 · MODIFY`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.entity {
            parts.push(format!("type {t}"));
        }
        if let Some(k) = &self.key {
            parts.push(format!("key {k}"));
        }
        if let Some(e) = self.event {
            parts.push(e.label().to_string());
        }
        parts.join(" · ")
    }
}

fn key_matches(d: &Decoded, k: &str) -> bool {
    let text = |a: &AttributeValue| match a {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        other => value::cell_text(other, 1024),
    };
    if let Some((name, want)) = k.split_once('=') {
        let (name, want) = (name.trim(), want.trim());
        if let Some(v) = d.record.keys.get(name) {
            return text(v) == want;
        }
        // A decoded key field (`customerId=c00001`).
        return d
            .key_text
            .split(' ')
            .any(|f| f.trim_start_matches('~') == format!("{name}={want}"));
    }
    let needle = k.to_lowercase();
    d.key_text.to_lowercase().contains(&needle)
        || d.record
            .keys
            .values()
            .any(|v| text(v).to_lowercase().contains(&needle))
}

/// Decodes changes as they arrive and keeps the hot write keys.
pub struct Tracker {
    decoder: Decoder,
    pk_name: String,
    pub hot: HotWrites,
    pub alerts_cfg: AlertConfig,
}

impl Tracker {
    pub fn new(project: &Project, info: &TableInfo, window: Duration) -> Tracker {
        Tracker {
            decoder: Decoder::new(&project.decode, info.table_keys()),
            pk_name: info
                .pk
                .as_ref()
                .map(|k| k.name.clone())
                .unwrap_or_else(|| "PK".into()),
            hot: HotWrites::new(window),
            alerts_cfg: project.alerts.clone(),
        }
    }

    /// Decodes a change (by its newest image, else its keys) and counts it
    /// towards the hot write keys at `now_ms`.
    pub fn observe(&mut self, record: ChangeRecord, now_ms: i64) -> Decoded {
        let item = record.item();
        let c = self.decoder.classify(item);
        let entity = c.entity.map(|e| self.decoder.entity_name(e).to_string());
        let fields = self.decoder.primary_key_fields(item, &c);
        let raw_key = || {
            let mut names: Vec<&String> = record.keys.keys().collect();
            names.sort_by_key(|n| *n != &self.pk_name);
            names
                .into_iter()
                .filter_map(|n| record.keys.get(n).map(|v| (n, v)))
                .map(|(n, v)| format!("{n}={}", value::cell_text(v, 256)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let key_text = if fields.is_empty() {
            raw_key()
        } else {
            crate::dynamo::keyshape::shown(&fields)
        };
        let pk = match record.keys.get(&self.pk_name) {
            Some(AttributeValue::S(s) | AttributeValue::N(s)) => s.clone(),
            Some(other) => value::cell_text(other, 256),
            None => String::new(),
        };
        let units = hotwrites::units_of(&record);
        self.hot.push(now_ms, pk.clone(), entity.clone(), units);
        Decoded {
            record,
            entity,
            key_text,
            pk,
            units,
            seen_ms: now_ms,
        }
    }

    /// Drops what fell out of the window.
    pub fn expire(&mut self, now_ms: i64) {
        self.hot.expire(now_ms);
    }

    /// The hot write key alerts at `now_ms`.
    pub fn alerts(&self, now_ms: i64) -> Vec<Alert> {
        hotwrites::alerts(&self.hot, &self.alerts_cfg, now_ms)
    }
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Enables a stream of `view` records on `table` and records it in the
/// audit log (callers check read-only and protection first).
pub async fn enable_stream(
    db: &crate::dynamo::client::Dynamo,
    audit: Option<&crate::app::audit::AuditLog>,
    table: &str,
    view: crate::dynamo::stream::ViewType,
) -> Result<(), crate::dynamo::error::AwsError> {
    db.enable_stream(table, view).await?;
    if let Some(log) = audit {
        let entry = crate::app::audit::AuditEntry::bulk(
            db.context(),
            table,
            "enable-stream",
            &ulid::Ulid::new().to_string(),
            json!({ "streamViewType": view.label() }),
        );
        if let Err(e) = log.append(&entry) {
            tracing::warn!("cannot append to the audit log: {e}");
        }
    }
    Ok(())
}

/// A duration on the command line: `60s`, `5m`, `1h 30m`, or seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let d = match t.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => return Ok(Duration::from_secs_f64(secs)),
        Ok(_) => return Err(format!("`{s}`: a duration must be more than zero")),
        Err(_) => t
            .parse::<jiff::SignedDuration>()
            .map_err(|_| format!("`{s}` is not a duration (e.g. 30s, 5m, 1h 30m)"))?,
    };
    if d.is_negative() || d.is_zero() {
        return Err(format!("`{s}`: a duration must be more than zero"));
    }
    Duration::try_from(d).map_err(|e| format!("`{s}`: {e}"))
}

/// What a headless follow reports as it goes.
pub trait FollowSink {
    /// The reader holds an iterator on every shard: writes made from now on
    /// will be seen (`shards` being read).
    fn ready(&mut self, shards: usize);
    /// A change that passed the filter.
    fn change(&mut self, d: &Decoded) -> std::io::Result<()>;
    /// Something the user should know (trimmed data, a renewed iterator).
    fn notice(&mut self, text: &str);
}

/// What a headless follow reads and for how long.
#[derive(Debug, Clone, Default)]
pub struct FollowSpec {
    pub start: crate::dynamo::stream::StartAt,
    /// Counted from when every shard is being read; None: until stopped.
    pub duration: Option<Duration>,
    /// The hot write keys' window.
    pub window: Duration,
    pub filter: ChangeFilter,
}

/// Follows `info`'s stream as `spec` says, or until `stop` completes;
/// every change is decoded and counted towards the hot write keys, and
/// those passing the filter go to `sink`. Returns the tracker (hot keys
/// over its window).
pub async fn follow_table(
    db: &crate::dynamo::client::Dynamo,
    project: &Project,
    info: &TableInfo,
    spec: &FollowSpec,
    sink: &mut dyn FollowSink,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Tracker, crate::dynamo::error::AwsError> {
    let (start, duration, window, filter) = (spec.start, spec.duration, spec.window, &spec.filter);
    use crate::dynamo::stream::StreamEvent;
    use crate::dynamo::stream::reader::{FollowOptions, follow};
    let Some(arn) = info.stream_arn.clone() else {
        return Err(crate::dynamo::error::AwsError::new(
            "NoStream",
            format!("table `{}` has no DynamoDB Stream", info.name),
        )
        .with_hint(format!(
            "enable one: `dyntui tail --table {} --enable-stream NEW_AND_OLD_IMAGES` (asks first), the TUI's live screen (C), or `stream = \"NEW_AND_OLD_IMAGES\"` in the project's [[table]]",
            info.name
        )));
    };
    let mut tracker = Tracker::new(project, info, window);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let reader = follow(
        db.streams(),
        db.context(),
        &arn,
        start,
        FollowOptions::default(),
        tx,
    );
    tokio::pin!(reader);
    tokio::pin!(stop);
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut reader_done = false;
    let mut ready = false;
    let io = |e: std::io::Error| crate::dynamo::error::AwsError::new("Output", e.to_string());
    loop {
        let until =
            deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        let ev = tokio::select! {
            _ = &mut reader, if !reader_done => {
                reader_done = true;
                continue;
            }
            ev = rx.recv() => ev,
            _ = &mut stop => break,
            _ = tokio::time::sleep_until(until), if deadline.is_some() => break,
        };
        let Some(ev) = ev else {
            break;
        };
        match ev {
            StreamEvent::Records(records) => {
                let now = now_ms();
                for r in records {
                    let d = tracker.observe(r, now);
                    if filter.matches(&d) {
                        sink.change(&d).map_err(io)?;
                    }
                }
            }
            StreamEvent::Notice(n) => sink.notice(&n),
            StreamEvent::Shards { reading, .. } => {
                if !ready {
                    ready = true;
                    sink.ready(reading);
                    deadline = duration.map(|d| tokio::time::Instant::now() + d);
                }
            }
            StreamEvent::Failed(e) => return Err(e),
        }
    }
    tracker.expire(now_ms());
    Ok(tracker)
}
