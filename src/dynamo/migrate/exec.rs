//! Running a migration: a parallel Scan, a transform per page (declarative
//! ops or a script), conditional writes, the ledger, checkpoints; or a
//! command script.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::ledger::{Counts, Ledger, LedgerEntry, now};
use super::script::{self, CommandEnd, Outcome};
use super::{
    Action, DIFF_LIMIT, Direction, ItemDiff, Migration, Op, Plan, apply_ops, check_against,
    checksum, diff,
};
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::error::AwsError;
use crate::dynamo::request::{Filter, ItemsRequest};
use crate::dynamo::seed::{RateLimiter, WriteOptions};
use crate::dynamo::write::{Guard, WriteError, Writer, key_text, retry};
use crate::dynamo::{AttributeValue, Item, value};

// --------------------------------------------------------------- checkpoint

/// The page a segment was writing when its checkpoint was saved: on resume
/// the same page is read again, and an item found exactly as it was to be
/// written is counted as done instead of being transformed a second time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inflight {
    /// ExclusiveStartKey of that page (DynamoDB JSON; None = first page).
    pub start: Option<serde_json::Value>,
    /// Key (canonical DynamoDB JSON text) -> hash of the item as written.
    pub written: BTreeMap<String, String>,
}

/// Progress of one scan segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentState {
    /// LastEvaluatedKey after the last page processed (DynamoDB JSON).
    pub next: Option<serde_json::Value>,
    pub done: bool,
    pub counts: Counts,
    #[serde(default)]
    pub inflight: Option<Inflight>,
}

/// A real run's progress in the state dir, so a stopped run resumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationCheckpoint {
    /// The table and connection ([`checkpoint_scope`]).
    pub table: String,
    /// The migration id (`<id>.down` for its down part).
    pub id: String,
    pub checksum: String,
    pub started_at: String,
    pub segments: Vec<SegmentState>,
}

/// What a checkpoint belongs to: the table and the connection (endpoint,
/// region, profile), so a run stopped on DynamoDB Local never resumes
/// (skipping items) on a table of the same name elsewhere.
pub fn checkpoint_scope(db: &Dynamo, table: &str) -> String {
    let cx = db.context();
    format!(
        "{table}|{}|{}|{}",
        cx.endpoint.as_deref().unwrap_or(""),
        cx.region.as_deref().unwrap_or(""),
        cx.profile.as_deref().unwrap_or("")
    )
}

fn checkpoint_id(m: &Migration, dir: Direction) -> String {
    match dir {
        Direction::Up => m.id.clone(),
        Direction::Down => format!("{}.down", m.id),
    }
}

impl MigrationCheckpoint {
    pub fn path(dir: &Path, table: &str, id: &str) -> PathBuf {
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        let h = checksum(format!("{table}\n{id}").as_bytes());
        dir.join(format!("migrate-{}-{}-{h}.json", safe(table), safe(id)))
    }

    /// The checkpoint of exactly this table, migration (up) and file content.
    pub fn load(dir: &Path, table: &str, m: &Migration) -> Option<MigrationCheckpoint> {
        Self::load_for(dir, table, m, Direction::Up)
    }

    /// The checkpoint of one direction of a migration.
    pub fn load_for(
        dir: &Path,
        table: &str,
        m: &Migration,
        direction: Direction,
    ) -> Option<MigrationCheckpoint> {
        let id = checkpoint_id(m, direction);
        let text = std::fs::read_to_string(Self::path(dir, table, &id)).ok()?;
        serde_json::from_str::<MigrationCheckpoint>(&text)
            .ok()
            .filter(|c| c.table == table && c.id == id && c.checksum == m.checksum)
            .filter(|c| !c.segments.is_empty())
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = Self::path(dir, &self.table, &self.id);
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&serde_json::to_vec_pretty(self)?)?;
            f.sync_all()?;
        }
        std::fs::rename(tmp, path)
    }

    pub fn remove(dir: &Path, table: &str, id: &str) {
        let _ = std::fs::remove_file(Self::path(dir, table, id));
    }
}

// ---------------------------------------------------------------------- run

/// Called after each scan page is read and before its items are processed:
/// (segment, items of the page). Tests use it to write concurrently.
pub type PageHook = Arc<dyn Fn(u32, &[Item]) -> BoxFuture<'static, ()> + Send + Sync>;

/// What a run reports as it goes (the TUI's gauge and log).
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// Counts so far, over every segment.
    Progress(Counts),
    /// A line for the log: a command script's output, a transform script's
    /// stderr, conflicts, resumes.
    Log(String),
    /// An item's change (up to [`DIFF_LIMIT`] per run).
    Diff(ItemDiff),
}

pub type EventSink = Arc<dyn Fn(RunEvent) + Send + Sync>;

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// Parallel scan segments.
    pub segments: u32,
    /// Read and transform only.
    pub dry_run: bool,
    /// Up, or the file's `[down]` part.
    pub direction: Direction,
    /// The attribute `select.type` compares with.
    pub type_attribute: String,
    /// Scan page size (None = DynamoDB's 1 MB pages).
    pub page_size: Option<i32>,
    /// Items of a page processed at once (per segment).
    pub concurrency: usize,
    /// Re-reads after a conflicting write before giving up.
    pub max_conflict_retries: u32,
    /// Backoff of throttled requests (max_retries, base_backoff, max_backoff;
    /// rate_limit_wcu limits the writes).
    pub write: WriteOptions,
    /// Where checkpoints live (None = no resume).
    pub state_dir: Option<PathBuf>,
    /// `runBy` in the ledger.
    pub run_by: String,
    pub hook: Option<PageHook>,
    pub events: Option<EventSink>,
    /// Start even if the ledger says another run of this migration is in
    /// progress (for a run that died without recording its end).
    pub force: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            segments: 4,
            dry_run: false,
            direction: Direction::Up,
            type_attribute: "Type".into(),
            page_size: None,
            concurrency: 8,
            max_conflict_retries: 5,
            write: WriteOptions::default(),
            state_dir: None,
            run_by: run_by(),
            hook: None,
            events: None,
            force: false,
        }
    }
}

/// `user@host` for the ledger's `runBy`, from the environment.
pub fn run_by() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("{user}@{h}"),
        None => user,
    }
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("segments", &self.segments)
            .field("dry_run", &self.dry_run)
            .field("direction", &self.direction)
            .field("type_attribute", &self.type_attribute)
            .field("page_size", &self.page_size)
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub id: String,
    pub direction: Direction,
    pub counts: Counts,
    /// Up to [`DIFF_LIMIT`] changed items (dry run and real run).
    pub diffs: Vec<ItemDiff>,
    pub stopped: bool,
    pub resumed: bool,
    pub dry_run: bool,
    /// A note for the report (a command script not started in a dry run).
    pub note: Option<String>,
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The scan filter of a migration's up part: type, key prefix and the
/// file's filter, all pushed down.
pub fn scan_filter(
    m: &Migration,
    info: &TableInfo,
    type_attribute: &str,
) -> Result<Option<Filter>, String> {
    plan_filter(&m.up, info, type_attribute)
}

fn plan_filter(
    plan: &Plan,
    info: &TableInfo,
    type_attribute: &str,
) -> Result<Option<Filter>, String> {
    let sel = &plan.select;
    let mut parts = Vec::new();
    if let Some(t) = &sel.type_value {
        parts.push(format!("{} = {}", quote(type_attribute), quote(t)));
    }
    if let Some(p) = sel.key_prefix.as_ref().filter(|_| sel.partition.is_none()) {
        let key = info
            .sk
            .as_ref()
            .or(info.pk.as_ref())
            .ok_or("the table has no key schema")?;
        parts.push(format!("{} begins_with {}", quote(&key.name), quote(p)));
    }
    if let Some(f) = &sel.filter {
        parts.push(f.source.clone());
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Filter::parse(&parts.join(" and ")).map(Some)
}

/// A value with its sets sorted, so equal items hash equally whatever
/// order DynamoDB returns set members in.
fn canonical(av: &AttributeValue) -> AttributeValue {
    match av {
        AttributeValue::Ss(v) => {
            let mut v = v.clone();
            v.sort();
            AttributeValue::Ss(v)
        }
        AttributeValue::Ns(v) => {
            let mut v = v.clone();
            v.sort();
            AttributeValue::Ns(v)
        }
        AttributeValue::Bs(v) => {
            let mut v = v.clone();
            v.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            AttributeValue::Bs(v)
        }
        AttributeValue::L(l) => AttributeValue::L(l.iter().map(canonical).collect()),
        AttributeValue::M(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        other => other.clone(),
    }
}

/// A stable hash of an item's content.
pub(crate) fn item_hash(item: &Item) -> String {
    let c: Item = item
        .iter()
        .map(|(k, v)| (k.clone(), canonical(v)))
        .collect();
    checksum(value::item_to_dynamo(&c).to_string().as_bytes())
}

struct Ctx<'a> {
    db: &'a Dynamo,
    info: &'a TableInfo,
    m: &'a Migration,
    plan: &'a Plan,
    opts: &'a RunOptions,
    ledger: &'a Ledger,
    limiter: Option<RateLimiter>,
    diffs: Mutex<Vec<ItemDiff>>,
    /// Environment of scripts.
    env: Vec<(String, String)>,
    key_names: Vec<String>,
}

/// One item's outcome, ready to write.
struct Pending {
    before: Item,
    outcome: Outcome,
    incomplete: bool,
}

impl Ctx<'_> {
    fn emit(&self, e: RunEvent) {
        if let Some(sink) = &self.opts.events {
            sink(e);
        }
    }

    /// The key condition of a Query selection: the partition, and the
    /// sort-key prefix when given.
    #[allow(clippy::type_complexity)]
    fn key_condition(
        &self,
        pk: &str,
    ) -> Result<
        (
            String,
            HashMap<String, String>,
            HashMap<String, AttributeValue>,
        ),
        String,
    > {
        let pk_name = self
            .key_names
            .first()
            .ok_or("the table has no key schema")?;
        let mut names = HashMap::from([("#kpk".to_string(), pk_name.clone())]);
        let mut values = HashMap::from([(":kpk".to_string(), AttributeValue::S(pk.to_string()))]);
        let mut expr = "#kpk = :kpk".to_string();
        if let Some(prefix) = &self.plan.select.key_prefix {
            let sk = self
                .key_names
                .get(1)
                .ok_or("select.key_prefix with select.pk needs a table with a sort key")?;
            names.insert("#ksk".into(), sk.clone());
            values.insert(":ksk".into(), AttributeValue::S(prefix.clone()));
            expr.push_str(" AND begins_with(#ksk, :ksk)");
        }
        Ok((expr, names, values))
    }

    fn key_of(&self, item: &Item) -> Result<Item, String> {
        self.info.key_of(item).ok_or_else(|| {
            format!(
                "{}: the item has no complete primary key",
                key_text(self.info, item)
            )
        })
    }

    fn key_json(&self, item: &Item) -> Result<String, String> {
        Ok(value::item_to_dynamo(&self.key_of(item)?).to_string())
    }

    fn moved(&self, before: &Item, after: &Item) -> bool {
        self.key_names.iter().any(|k| before.get(k) != after.get(k))
    }

    fn record_diff(&self, before: &Item, outcome: &Outcome) {
        let mut d = self.diffs.lock().unwrap_or_else(|e| e.into_inner());
        if d.len() >= DIFF_LIMIT {
            return;
        }
        let item_diff = match outcome {
            Outcome::Unchanged => return,
            Outcome::Delete => ItemDiff {
                key: format!("{} (deleted)", key_text(self.info, before)),
                changes: diff(before, &Item::new()),
            },
            Outcome::Change(after) if self.moved(before, after) => ItemDiff {
                key: format!(
                    "{} -> {} (moved)",
                    key_text(self.info, before),
                    key_text(self.info, after)
                ),
                changes: diff(before, after),
            },
            Outcome::Change(after) => ItemDiff {
                key: key_text(self.info, before),
                changes: diff(before, after),
            },
        };
        d.push(item_diff.clone());
        drop(d);
        self.emit(RunEvent::Diff(item_diff));
    }

    /// The outcome of each item (one script run for the whole page).
    async fn transform(&self, items: Vec<Item>) -> Result<Vec<Pending>, String> {
        match &self.plan.action {
            Action::Ops(ops) => items
                .into_iter()
                .map(|before| {
                    let (after, incomplete) = apply_ops(ops, &before);
                    let outcome = if after == before {
                        Outcome::Unchanged
                    } else {
                        if self.moved(&before, &after) && apply_ops(ops, &after).0 != after {
                            return Err(format!(
                                "{}: moving {} to {} is not idempotent (the ops applied to the moved item give yet another item), so a resumed run could move it twice; make set_key templates depend only on attributes it does not change",
                                self.m.path.display(),
                                key_text(self.info, &before),
                                key_text(self.info, &after)
                            ));
                        }
                        Outcome::Change(after)
                    };
                    Ok(Pending {
                        before,
                        outcome,
                        incomplete,
                    })
                })
                .collect(),
            Action::Transform(s) => {
                if items.is_empty() {
                    return Ok(Vec::new());
                }
                let (outcomes, stderr) = script::transform(
                    s,
                    &self.env,
                    &items,
                    &self.key_names,
                    |it| key_text(self.info, it),
                )
                .await
                .map_err(|e| e.to_string())?;
                for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
                    self.emit(RunEvent::Log(format!("script: {line}")));
                }
                Ok(items
                    .into_iter()
                    .zip(outcomes)
                    .map(|(before, outcome)| Pending {
                        before,
                        outcome,
                        incomplete: false,
                    })
                    .collect())
            }
            Action::Command(_) => Err("a command script has no per-item transform".into()),
        }
    }

    fn writer(&self) -> Writer<'_> {
        Writer {
            db: self.db,
            info: self.info,
            opts: &self.opts.write,
            limiter: self.limiter.as_ref(),
        }
    }

    async fn write(&self, p: &Pending) -> Result<(), WriteError> {
        let w = self.writer();
        match &p.outcome {
            Outcome::Unchanged => Ok(()),
            Outcome::Delete => w.delete(&p.before, &Guard::Unchanged).await,
            Outcome::Change(after) => {
                // Attributes the ops read that were absent must stay absent.
                let absent: Vec<&str> = self.plan.ops().iter().flat_map(Op::touched).collect();
                w.change(&p.before, after, &Guard::Unchanged, &absent).await
            }
        }
    }

    fn count(&self, p: &Pending, counts: &Mutex<Counts>) {
        let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
        if p.incomplete {
            c.incomplete += 1;
        }
        match &p.outcome {
            Outcome::Unchanged => c.unchanged += 1,
            Outcome::Delete => c.deleted += 1,
            Outcome::Change(after) => {
                c.changed += 1;
                if self.moved(&p.before, after) {
                    c.moved += 1;
                }
            }
        }
    }

    /// Writes one item's outcome; on conflict re-reads it, transforms it
    /// again and retries.
    async fn apply(&self, first: Pending, counts: &Mutex<Counts>) -> Result<(), String> {
        let mut p = first;
        let mut attempt = 0;
        loop {
            if matches!(p.outcome, Outcome::Unchanged) || self.opts.dry_run {
                if self.opts.dry_run {
                    self.record_diff(&p.before, &p.outcome);
                }
                self.count(&p, counts);
                return Ok(());
            }
            match self.write(&p).await {
                Ok(()) => {
                    self.record_diff(&p.before, &p.outcome);
                    self.count(&p, counts);
                    return Ok(());
                }
                Err(WriteError::Aws(e)) => return Err(e.to_string()),
                Err(WriteError::Other(e) | WriteError::Exists(e)) => return Err(e),
                Err(WriteError::Conflict) => {
                    counts.lock().unwrap_or_else(|e| e.into_inner()).conflicts += 1;
                    self.emit(RunEvent::Log(format!(
                        "conflict: {} changed since it was read; reading it again",
                        key_text(self.info, &p.before)
                    )));
                    if attempt >= self.opts.max_conflict_retries {
                        return Err(format!(
                            "{}: the item kept changing during the migration ({} conflicting writes)",
                            key_text(self.info, &p.before),
                            attempt + 1
                        ));
                    }
                    attempt += 1;
                    let key = self.key_of(&p.before)?;
                    let fresh = retry(&self.opts.write, || {
                        self.db.get_item(&self.info.name, key.clone())
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                    match fresh {
                        // Deleted meanwhile: nothing to migrate.
                        None => {
                            counts.lock().unwrap_or_else(|e| e.into_inner()).unchanged += 1;
                            return Ok(());
                        }
                        Some(f) => {
                            let mut again = self.transform(vec![f]).await?;
                            match again.pop() {
                                Some(next) => p = next,
                                None => return Err("the transform returned nothing".into()),
                            }
                        }
                    }
                }
            }
        }
    }

    /// One page: skip what a stopped run already wrote, transform, journal,
    /// write.
    async fn page(
        &self,
        seg: u32,
        start: Option<&serde_json::Value>,
        items: Vec<Item>,
        state: &Mutex<MigrationCheckpoint>,
    ) -> Result<Counts, String> {
        let counts = Mutex::new(Counts {
            selected: items.len() as u64,
            ..Counts::default()
        });
        let inflight = {
            let st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.segments[seg as usize]
                .inflight
                .clone()
                .filter(|f| f.start.as_ref() == start)
        };
        let mut todo = Vec::with_capacity(items.len());
        let mut skipped = 0;
        for it in items {
            let done = match &inflight {
                Some(f) => f
                    .written
                    .get(&self.key_json(&it)?)
                    .is_some_and(|h| *h == item_hash(&it)),
                None => false,
            };
            if done {
                skipped += 1;
            } else {
                todo.push(it);
            }
        }
        if skipped > 0 {
            counts.lock().unwrap_or_else(|e| e.into_inner()).changed += skipped;
            self.emit(RunEvent::Log(format!(
                "segment {seg}: {skipped} item(s) already written before the run stopped"
            )));
        }
        let pending = self.transform(todo).await?;
        if !self.opts.dry_run
            && let Some(dir) = &self.opts.state_dir
        {
            let mut written = BTreeMap::new();
            for p in &pending {
                if let Outcome::Change(after) = &p.outcome {
                    written.insert(self.key_json(after)?, item_hash(after));
                }
            }
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.segments[seg as usize].inflight = Some(Inflight {
                start: start.cloned(),
                written,
            });
            st.save(dir)
                .map_err(|e| format!("cannot write the checkpoint in {}: {e}", dir.display()))?;
        }
        let results: Vec<Result<(), String>> = futures::stream::iter(pending)
            .map(|p| self.apply(p, &counts))
            .buffer_unordered(self.opts.concurrency.max(1))
            .collect()
            .await;
        let c = *counts.lock().unwrap_or_else(|e| e.into_inner());
        match results.into_iter().find_map(Result::err) {
            Some(e) => Err(e),
            None => Ok(c),
        }
    }

    /// One scan segment, from its checkpointed position, page by page.
    async fn segment(
        &self,
        seg: u32,
        total: u32,
        filter: &ItemsRequest,
        state: &Mutex<MigrationCheckpoint>,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        let c = filter.compile();
        let names: Option<HashMap<String, String>> =
            (!c.names.is_empty()).then(|| c.names.clone().into_iter().collect());
        let values: Option<HashMap<String, AttributeValue>> =
            (!c.values.is_empty()).then(|| c.values.clone().into_iter().collect());
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let (start_json, done) = {
                let st = state.lock().unwrap_or_else(|e| e.into_inner());
                let s = &st.segments[seg as usize];
                (s.next.clone(), s.done)
            };
            if done {
                return Ok(());
            }
            let start = match &start_json {
                Some(v) => {
                    Some(value::item_from_dynamo(v).map_err(|e| format!("checkpoint: {e}"))?)
                }
                None => None,
            };
            let (page_items, next) = match &self.plan.select.partition {
                None => {
                    let out = retry(&self.opts.write, || {
                        let req = self
                            .db
                            .client()
                            .scan()
                            .table_name(&self.info.name)
                            .segment(seg as i32)
                            .total_segments(total as i32)
                            .consistent_read(true)
                            .set_filter_expression(c.filter.clone())
                            .set_expression_attribute_names(names.clone())
                            .set_expression_attribute_values(values.clone())
                            .set_limit(self.opts.page_size)
                            .set_exclusive_start_key(start.clone());
                        async move {
                            req.send().await.map_err(|e| {
                                AwsError::from_sdk(e, self.db.context(), Some(&self.info.name))
                            })
                        }
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                    (out.items, out.last_evaluated_key)
                }
                Some(pk) => {
                    let (kc, kn, kv) = self.key_condition(pk)?;
                    let mut n = names.clone().unwrap_or_default();
                    n.extend(kn);
                    let mut v = values.clone().unwrap_or_default();
                    v.extend(kv);
                    let out = retry(&self.opts.write, || {
                        let req = self
                            .db
                            .client()
                            .query()
                            .table_name(&self.info.name)
                            .consistent_read(true)
                            .key_condition_expression(&kc)
                            .set_filter_expression(c.filter.clone())
                            .set_expression_attribute_names(Some(n.clone()))
                            .set_expression_attribute_values(Some(v.clone()))
                            .set_limit(self.opts.page_size)
                            .set_exclusive_start_key(start.clone());
                        async move {
                            req.send().await.map_err(|e| {
                                AwsError::from_sdk(e, self.db.context(), Some(&self.info.name))
                            })
                        }
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                    (out.items, out.last_evaluated_key)
                }
            };
            let next = next.filter(|k| !k.is_empty());
            let items: Vec<Item> = page_items
                .unwrap_or_default()
                .into_iter()
                .filter(|it| !self.ledger.is_ledger_item(it))
                .collect();
            if let Some(h) = &self.opts.hook {
                h(seg, &items).await;
            }
            let result = self.page(seg, start_json.as_ref(), items, state).await;
            let progress = {
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                let page_counts = match &result {
                    Ok(c) => *c,
                    Err(_) => Counts::default(),
                };
                let s = &mut st.segments[seg as usize];
                if result.is_ok() {
                    s.counts.add(&page_counts);
                    s.next = next.as_ref().map(value::item_to_dynamo);
                    s.done = next.is_none();
                    s.inflight = None;
                    if !self.opts.dry_run
                        && let Some(dir) = &self.opts.state_dir
                    {
                        st.save(dir).map_err(|e| {
                            format!("cannot write the checkpoint in {}: {e}", dir.display())
                        })?;
                    }
                }
                let mut total = Counts::default();
                for s in &st.segments {
                    total.add(&s.counts);
                }
                total
            };
            result?;
            self.emit(RunEvent::Progress(progress));
            if next.is_none() {
                return Ok(());
            }
        }
    }
}

/// The environment of a migration's scripts: the connection (as dyntui's
/// own variables and as the AWS SDKs' and CLI's), the table and the run.
pub fn script_env(
    db: &Dynamo,
    table: &str,
    m: &Migration,
    direction: Direction,
    dry_run: bool,
) -> Vec<(String, String)> {
    let cx = db.context();
    let mut env = vec![
        ("DYNTUI_TABLE".to_string(), table.to_string()),
        ("DYNTUI_MIGRATION".to_string(), m.id.clone()),
        (
            "DYNTUI_DIRECTION".to_string(),
            match direction {
                Direction::Up => "up",
                Direction::Down => "down",
            }
            .to_string(),
        ),
        (
            "DYNTUI_DRY_RUN".to_string(),
            if dry_run { "1" } else { "0" }.to_string(),
        ),
    ];
    if let Some(r) = &cx.region {
        env.push(("DYNTUI_REGION".into(), r.clone()));
        env.push(("AWS_REGION".into(), r.clone()));
        env.push(("AWS_DEFAULT_REGION".into(), r.clone()));
    }
    if let Some(p) = &cx.profile {
        env.push(("DYNTUI_PROFILE".into(), p.clone()));
        env.push(("AWS_PROFILE".into(), p.clone()));
    }
    if let Some(e) = &cx.endpoint {
        env.push(("DYNTUI_ENDPOINT".into(), e.clone()));
        env.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), e.clone()));
    }
    env
}

fn status_words(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Up => ("running", "applied"),
        Direction::Down => ("reverting", "reverted"),
    }
}

/// Runs one direction of a migration on a table (a dry run writes
/// nothing). A real run records itself in the ledger (running, then
/// applied, interrupted or failed; reverting, then reverted for down) and
/// resumes a stopped run from its checkpoint. When `stop` is set, no new
/// page starts; the pages in flight finish (a command script is killed).
pub async fn run(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    opts: &RunOptions,
    stop: Arc<AtomicBool>,
) -> Result<RunReport, String> {
    check_against(m, info).map_err(|e| e.to_string())?;
    let plan = m.plan(opts.direction).ok_or_else(|| {
        format!(
            "{} has no [down] part: it cannot be reverted",
            m.path.display()
        )
    })?;
    let ledger = Ledger::new(info)?;
    let (running, finished_word) = status_words(opts.direction);
    let cp_id = checkpoint_id(m, opts.direction);
    let emit = |e: RunEvent| {
        if let Some(sink) = &opts.events {
            sink(e);
        }
    };
    let env = script_env(db, &info.name, m, opts.direction, opts.dry_run);
    let mut entry = LedgerEntry {
        id: m.id.clone(),
        checksum: m.checksum.clone(),
        status: running.into(),
        started_at: now(),
        ended_at: None,
        counts: Counts::default(),
        run_by: opts.run_by.clone(),
        error: None,
    };

    if let Action::Command(script) = &plan.action {
        let extra = match (&script.dry_run_args, opts.dry_run) {
            (_, false) => Vec::new(),
            (Some(a), true) => a.clone(),
            (None, true) => {
                let note = format!(
                    "command script `{}` not started in a dry run (it does its own writes; give it dry_run_args to have it run in dry-run mode)",
                    script.display()
                );
                emit(RunEvent::Log(note.clone()));
                return Ok(RunReport {
                    id: m.id.clone(),
                    direction: opts.direction,
                    counts: Counts::default(),
                    diffs: Vec::new(),
                    stopped: false,
                    resumed: false,
                    dry_run: true,
                    note: Some(note),
                });
            }
        };
        if !opts.dry_run {
            ledger.claim(db, &entry, opts.force).await?;
        }
        emit(RunEvent::Log(format!("$ {}", script.display())));
        let on_line = |line: String| emit(RunEvent::Log(line));
        let result = script::run_command(script, &extra, &env, &on_line, &stop).await;
        let stopped = matches!(result, Ok(CommandEnd::Stopped));
        if !opts.dry_run {
            entry.ended_at = Some(now());
            entry.status = match &result {
                Ok(CommandEnd::Finished) => finished_word,
                Ok(CommandEnd::Stopped) => "interrupted",
                Err(_) => "failed",
            }
            .into();
            entry.error = result.as_ref().err().map(ToString::to_string);
            retry(&opts.write, || ledger.put(db, &entry))
                .await
                .map_err(|e| e.to_string())?;
        }
        result.map_err(|e| format!("migration {} failed: {e}", m.id))?;
        return Ok(RunReport {
            id: m.id.clone(),
            direction: opts.direction,
            counts: Counts::default(),
            diffs: Vec::new(),
            stopped,
            resumed: false,
            dry_run: opts.dry_run,
            note: None,
        });
    }

    let filter = plan_filter(plan, info, &opts.type_attribute)
        .map_err(|e| format!("{}: select: {e}", m.path.display()))?;
    let mut req = ItemsRequest::scan(&info.name);
    req.filter = filter;
    let scope = checkpoint_scope(db, &info.name);
    let previous = (!opts.dry_run)
        .then(|| {
            opts.state_dir
                .as_deref()
                .and_then(|d| MigrationCheckpoint::load_for(d, &scope, m, opts.direction))
        })
        .flatten();
    let resumed = previous.is_some();
    let total = previous
        .as_ref()
        .map(|c| c.segments.len() as u32)
        .unwrap_or(if plan.select.partition.is_some() {
            1
        } else {
            opts.segments.max(1)
        });
    let checkpoint = previous.unwrap_or_else(|| MigrationCheckpoint {
        table: scope.clone(),
        id: cp_id.clone(),
        checksum: m.checksum.clone(),
        started_at: now(),
        segments: vec![SegmentState::default(); total as usize],
    });
    if resumed {
        let mut c = Counts::default();
        for s in &checkpoint.segments {
            c.add(&s.counts);
        }
        emit(RunEvent::Log(format!(
            "resuming the run started {} ({} so far)",
            checkpoint.started_at, c
        )));
        emit(RunEvent::Progress(c));
    }
    entry.started_at = checkpoint.started_at.clone();
    if !opts.dry_run {
        ledger.claim(db, &entry, opts.force).await?;
    }
    let ctx = Ctx {
        db,
        info,
        m,
        plan,
        opts,
        ledger: &ledger,
        limiter: opts.write.rate_limit_wcu.map(RateLimiter::new),
        diffs: Mutex::new(Vec::new()),
        env,
        key_names: info
            .pk
            .iter()
            .chain(info.sk.iter())
            .map(|k| k.name.clone())
            .collect(),
    };
    let state = Mutex::new(checkpoint);
    let results = futures::future::join_all(
        (0..total).map(|seg| ctx.segment(seg, total, &req, &state, &stop)),
    )
    .await;
    let st = state.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut counts = Counts::default();
    for s in &st.segments {
        counts.add(&s.counts);
    }
    let error = results.into_iter().find_map(Result::err);
    let finished = st.segments.iter().all(|s| s.done);
    let diffs = ctx.diffs.into_inner().unwrap_or_else(|e| e.into_inner());
    if !opts.dry_run {
        entry.counts = counts;
        entry.ended_at = Some(now());
        entry.status = if error.is_some() {
            "failed"
        } else if finished {
            finished_word
        } else {
            "interrupted"
        }
        .into();
        entry.error = error.clone();
        if let Some(dir) = &opts.state_dir {
            if finished && error.is_none() {
                MigrationCheckpoint::remove(dir, &scope, &cp_id);
            } else {
                let _ = st.save(dir);
            }
        }
        retry(&opts.write, || ledger.put(db, &entry))
            .await
            .map_err(|e| e.to_string())?;
    }
    if let Some(e) = error {
        return Err(format!("migration {} failed: {e}", m.id));
    }
    Ok(RunReport {
        id: m.id.clone(),
        direction: opts.direction,
        counts,
        diffs,
        stopped: !finished,
        resumed,
        dry_run: opts.dry_run,
        note: None,
    })
}
