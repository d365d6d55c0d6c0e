//! Running a migration: a parallel Scan, a transform per page (declarative
//! ops or a script), conditional writes, the ledger, checkpoints; or a
//! command script.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::ledger::{Counts, Ledger, LedgerEntry, Progress, RunLease, now, now_ms};
use super::script::{self, CommandEnd, Outcome};
use super::{
    Action, DIFF_LIMIT, Direction, ItemDiff, Migration, Op, Plan, apply_ops, check_against,
    checksum, diff,
};
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::error::AwsError;
use crate::dynamo::request::{Filter, ItemsRequest};
use crate::dynamo::seed::{RateLimiter, WriteOptions};
use crate::dynamo::write::{Guard, WriteError, Writer, canonical_item, key_text, retry};
use crate::dynamo::{AttributeValue, Item, value};

// --------------------------------------------------------------- checkpoint

/// The journal of a segment: the items it is writing, or wrote before a
/// stop or crash, that the scan may show again. Each entry says what the
/// written item looks like in the attributes the write changed, so an item
/// already written is recognised wherever it reappears (on a resumed run,
/// items that grew or shrank move between pages) and is never changed a
/// second time. Entries leave the journal as their items are seen again;
/// the rest are kept until the segment ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inflight {
    /// ExclusiveStartKey of the page that wrote the newest entries
    /// (DynamoDB JSON; None = first page).
    pub start: Option<serde_json::Value>,
    /// The attribute-name lists that entries refer to.
    #[serde(default)]
    pub attrs: Vec<Vec<String>>,
    /// Hash of the item's key -> `<index in attrs>:<hash of those
    /// attributes as written>`.
    pub written: BTreeMap<String, String>,
}

impl Inflight {
    fn is_empty(&self) -> bool {
        self.written.is_empty()
    }

    /// Journals the write of `after` (from `before`).
    fn record(&mut self, key_hash: String, before: &Item, after: &Item, moved: bool) {
        let mut names: Vec<String> = if moved {
            after.keys().cloned().collect()
        } else {
            after
                .keys()
                .chain(before.keys())
                .filter(|a| before.get(*a) != after.get(*a))
                .cloned()
                .collect()
        };
        names.sort();
        names.dedup();
        let idx = match self.attrs.iter().position(|a| *a == names) {
            Some(i) => i,
            None => {
                self.attrs.push(names);
                self.attrs.len() - 1
            }
        };
        let h = projection_hash(after, &self.attrs[idx]);
        self.written.insert(key_hash, format!("{idx}:{h}"));
    }

    /// Whether the journal has this item's key: `Some(true)` when the item
    /// is as journalled (already written), `Some(false)` when it is not
    /// (the write did not happen). The entry leaves the journal.
    fn take(&mut self, key_hash: &str, item: &Item) -> Option<bool> {
        let entry = self.written.remove(key_hash)?;
        let (idx, h) = entry.split_once(':')?;
        let names = self.attrs.get(idx.parse::<usize>().ok()?)?;
        Some(projection_hash(item, names) == h)
    }

    /// Drops attribute lists no entry refers to any more.
    fn compact(&mut self) {
        if self.written.is_empty() {
            self.attrs.clear();
        }
    }
}

/// A stable hash of some of an item's attributes (absent ones absent).
fn projection_hash(item: &Item, names: &[String]) -> String {
    let part: Item = names
        .iter()
        .filter_map(|n| item.get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    item_hash(&part)
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
    checkpoint_scope_of(db.context(), table)
}

/// [`checkpoint_scope`] of a connection described by its context.
pub fn checkpoint_scope_of(cx: &crate::dynamo::error::ConnContext, table: &str) -> String {
    format!(
        "{table}|{}|{}|{}",
        cx.endpoint.as_deref().unwrap_or(""),
        cx.region.as_deref().unwrap_or(""),
        cx.profile.as_deref().unwrap_or("")
    )
}

pub(super) fn checkpoint_id(m: &Migration, dir: Direction) -> String {
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
        let path = Self::path(dir, &self.table, &self.id);
        crate::files::write_atomic(&path, &serde_json::to_vec_pretty(self)?)
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

/// Told of each item a real run wrote: (run id, the item before, the item
/// after; None when deleted). The audit log listens here.
pub type WriteSink = Arc<dyn Fn(&str, &Item, Option<&Item>) + Send + Sync>;

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
    /// Take over a run that the ledger says is in progress but whose lease
    /// expired (it died without recording its end): resume from its
    /// progress. A live run is never taken over.
    pub force: bool,
    /// How long a run's claim lasts without renewal (renewed every third
    /// of it): how long after a crash `force` can take the run over.
    pub lease: std::time::Duration,
    /// Each item written (the audit log).
    pub on_write: Option<WriteSink>,
    /// Share the run with other workers (processes, on this machine or
    /// others): segments are claimed in the ledger one at a time.
    pub workers: Option<super::workers::Workers>,
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
            lease: std::time::Duration::from_secs(60),
            on_write: None,
            workers: None,
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
    /// The write units of the items changed (dry run: that a run would
    /// write), by DynamoDB's rules: the estimate a run is compared with.
    pub writes: crate::dynamo::estimate::WriteTally,
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

pub fn plan_filter(
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

/// A stable hash of an item's content.
pub(crate) fn item_hash(item: &Item) -> String {
    checksum(
        value::item_to_dynamo(&canonical_item(item))
            .to_string()
            .as_bytes(),
    )
}

pub(super) struct Ctx<'a> {
    db: &'a Dynamo,
    info: &'a TableInfo,
    m: &'a Migration,
    plan: &'a Plan,
    opts: &'a RunOptions,
    ledger: &'a Ledger,
    limiter: Option<RateLimiter>,
    pub(super) diffs: Mutex<Vec<ItemDiff>>,
    /// Environment of scripts.
    env: Vec<(String, String)>,
    key_names: Vec<String>,
    /// The run's claim in the ledger (None for a dry run).
    claim: Option<&'a RunClaim>,
    /// The ledger key of this run's progress (`<id>` or `<id>.down`).
    run_key: String,
    /// One per segment: progress records are written in order.
    persist_locks: Vec<tokio::sync::Mutex<()>>,
    /// Write units of the changes counted so far.
    pub(super) writes: Mutex<crate::dynamo::estimate::WriteTally>,
}

/// One item's outcome, ready to write.
struct Pending {
    before: Item,
    outcome: Outcome,
    incomplete: bool,
}

impl<'a> Ctx<'a> {
    /// The context of one run (`claim` None for a dry run); `run_key`:
    /// where its progress records live in the ledger.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        db: &'a Dynamo,
        info: &'a TableInfo,
        m: &'a Migration,
        plan: &'a Plan,
        opts: &'a RunOptions,
        ledger: &'a Ledger,
        claim: Option<&'a RunClaim>,
        run_key: &str,
        total: u32,
    ) -> Ctx<'a> {
        Ctx {
            db,
            info,
            m,
            plan,
            opts,
            ledger,
            limiter: opts.write.rate_limit_wcu.map(RateLimiter::new),
            diffs: Mutex::new(Vec::new()),
            env: script_env(db, &info.name, m, opts.direction, opts.dry_run),
            key_names: info
                .pk
                .iter()
                .chain(info.sk.iter())
                .map(|k| k.name.clone())
                .collect(),
            claim,
            run_key: run_key.to_string(),
            persist_locks: (0..total).map(|_| tokio::sync::Mutex::new(())).collect(),
            writes: Mutex::new(Default::default()),
        }
    }
}

impl Ctx<'_> {
    fn emit(&self, e: RunEvent) {
        if let Some(sink) = &self.opts.events {
            sink(e);
        }
    }

    pub(super) fn emit_log(&self, line: String) {
        self.emit(RunEvent::Log(line));
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

    /// Items per page: the option, else for a real run
    /// [`RUN_PAGE_ITEMS`] (a journal must fit in a ledger item).
    fn page_limit(&self) -> Option<i32> {
        self.opts
            .page_size
            .or((!self.opts.dry_run).then_some(RUN_PAGE_ITEMS))
    }

    /// The journal's name for an item: a hash of its key.
    fn key_hash(&self, item: &Item) -> Result<String, String> {
        Ok(checksum(self.key_json(item)?.as_bytes()))
    }

    /// Saves segment `seg`'s progress: in the ledger, where another
    /// machine taking over a dead run reads it, and in the state dir. Fails
    /// when this run no longer holds its claim (nothing more is written).
    async fn persist(&self, seg: u32, state: &Mutex<MigrationCheckpoint>) -> Result<(), String> {
        let Some(claim) = self.claim else {
            return Ok(());
        };
        claim.check(&self.m.id)?;
        claim.check_segment(seg)?;
        let _order = self.persist_locks[seg as usize].lock().await;
        let cp = state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(dir) = &self.opts.state_dir {
            cp.save(dir)
                .map_err(|e| format!("cannot write the checkpoint in {}: {e}", dir.display()))?;
        }
        let rec = Progress {
            seg,
            total: cp.segments.len() as u32,
            checksum: cp.checksum.clone(),
            started_at: cp.started_at.clone(),
            run_id: claim.run_id.clone(),
            state: cp.segments[seg as usize].clone(),
            lease: claim.segment_lease(seg),
        };
        let owned = retry(&self.opts.write, || {
            self.ledger
                .put_progress(self.db, &self.run_key, &rec, false)
        })
        .await
        .map_err(|e| format!("cannot save the run's progress in the ledger: {e}"))?;
        if !owned {
            return Err(claim.lose(seg, &self.m.id));
        }
        Ok(())
    }

    /// After a conflict, the item will be written as `p` says: the journal
    /// says so first.
    async fn journal_again(
        &self,
        seg: u32,
        p: &Pending,
        state: &Mutex<MigrationCheckpoint>,
    ) -> Result<(), String> {
        if self.claim.is_none() {
            return Ok(());
        }
        let kh = self.key_hash(&p.before)?;
        {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            let j = st.segments[seg as usize]
                .inflight
                .get_or_insert_with(Inflight::default);
            j.written.remove(&kh);
            if let Outcome::Change(after) = &p.outcome {
                let moved = self.moved(&p.before, after);
                j.record(self.key_hash(after)?, &p.before, after, moved);
            }
        }
        self.persist(seg, state).await
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
        {
            let mut w = self.writes.lock().unwrap_or_else(|e| e.into_inner());
            match &p.outcome {
                Outcome::Unchanged => {}
                Outcome::Delete => w.delete(self.info, &p.before),
                Outcome::Change(after) if self.moved(&p.before, after) => {
                    // A move is a transaction: twice the units.
                    let mut t = crate::dynamo::estimate::WriteTally {
                        transactional: true,
                        ..Default::default()
                    };
                    t.replace(self.info, &p.before, after);
                    w.merge(&t);
                }
                Outcome::Change(after) => w.replace(self.info, &p.before, after),
            }
        }
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
    async fn apply(
        &self,
        seg: u32,
        first: Pending,
        counts: &Mutex<Counts>,
        state: &Mutex<MigrationCheckpoint>,
    ) -> Result<(), String> {
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
                    if let (Some(sink), Some(claim)) = (&self.opts.on_write, self.claim) {
                        match &p.outcome {
                            Outcome::Change(after) => sink(&claim.run_id, &p.before, Some(after)),
                            Outcome::Delete => sink(&claim.run_id, &p.before, None),
                            Outcome::Unchanged => {}
                        }
                    }
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
                                Some(next) => {
                                    self.journal_again(seg, &next, state).await?;
                                    p = next
                                }
                                None => return Err("the transform returned nothing".into()),
                            }
                        }
                    }
                }
            }
        }
    }

    /// One page: skip what a stopped run already wrote, transform, journal,
    /// write. Returns the page's counts and the journal entries of earlier
    /// pages not seen yet (they may still come in later pages).
    async fn page(
        &self,
        seg: u32,
        start: Option<&serde_json::Value>,
        items: Vec<Item>,
        state: &Mutex<MigrationCheckpoint>,
    ) -> Result<(Counts, Option<Inflight>), String> {
        let counts = Mutex::new(Counts {
            selected: items.len() as u64,
            ..Counts::default()
        });
        let mut journal = {
            let st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.segments[seg as usize]
                .inflight
                .clone()
                .unwrap_or_default()
        };
        let mut todo = Vec::with_capacity(items.len());
        let mut skipped = 0;
        for it in items {
            let done = !journal.is_empty() && journal.take(&self.key_hash(&it)?, &it) == Some(true);
            if done {
                skipped += 1;
            } else {
                todo.push(it);
            }
        }
        journal.compact();
        if skipped > 0 {
            counts.lock().unwrap_or_else(|e| e.into_inner()).changed += skipped;
            self.emit(RunEvent::Log(format!(
                "segment {seg}: {skipped} item(s) already written before the run stopped"
            )));
        }
        let carried = (!journal.is_empty()).then(|| journal.clone());
        let pending = self.transform(todo).await?;
        if self.claim.is_some() {
            for p in &pending {
                if let Outcome::Change(after) = &p.outcome {
                    let moved = self.moved(&p.before, after);
                    journal.record(self.key_hash(after)?, &p.before, after, moved);
                }
            }
            journal.start = start.cloned();
            state.lock().unwrap_or_else(|e| e.into_inner()).segments[seg as usize].inflight =
                (!journal.is_empty()).then_some(journal);
            // Write-ahead: the journal is saved before any of its writes.
            self.persist(seg, state).await?;
        }
        let results: Vec<Result<(), String>> = futures::stream::iter(pending)
            .map(|p| self.apply(seg, p, &counts, state))
            .buffer_unordered(self.opts.concurrency.max(1))
            .collect()
            .await;
        let c = *counts.lock().unwrap_or_else(|e| e.into_inner());
        match results.into_iter().find_map(Result::err) {
            Some(e) => Err(e),
            None => Ok((c, carried)),
        }
    }

    /// One scan segment, from its checkpointed position, page by page.
    pub(super) async fn segment(
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
                            .set_limit(self.page_limit())
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
                            .set_limit(self.page_limit())
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
            let (page_counts, carried) = self.page(seg, start_json.as_ref(), items, state).await?;
            let progress = {
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                let s = &mut st.segments[seg as usize];
                s.counts.add(&page_counts);
                s.next = next.as_ref().map(value::item_to_dynamo);
                s.done = next.is_none();
                // What a stopped run wrote and the scan has not shown again
                // stays in the journal until the segment ends.
                s.inflight = carried.filter(|_| next.is_some());
                let mut total = Counts::default();
                for s in &st.segments {
                    total.add(&s.counts);
                }
                total
            };
            self.persist(seg, state).await?;
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

/// Items per scan page of a real run, unless `page_size` says otherwise.
pub const RUN_PAGE_ITEMS: i32 = 1000;

fn status_words(direction: Direction) -> (&'static str, &'static str) {
    match direction {
        Direction::Up => ("running", "applied"),
        Direction::Down => ("reverting", "reverted"),
    }
}

/// Runs of this process that ended without recording their end in the
/// ledger (the endpoint was gone, or the run was dropped): a later run in
/// this process may take them over without `--force`, since this process
/// knows they are not alive.
static DEAD_RUNS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn dead_runs() -> Vec<String> {
    DEAD_RUNS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A run's claim: its id, its lease, and whether it still holds it.
pub(super) struct RunClaim {
    pub(super) run_id: String,
    lease_ms: u64,
    /// Until when (ms since the epoch) the last renewal holds.
    valid_until: AtomicU64,
    /// Another run took this one over.
    pub(super) lost: AtomicBool,
    /// The run recorded its end: it is not a dead run.
    pub(super) recorded: AtomicBool,
    /// A worker of a run shared by workers: its leases are on segments.
    pub(super) shared: Option<SharedHold>,
}

/// What a worker of a shared run holds: a lease per segment it works on.
pub(super) struct SharedHold {
    /// The worker's name.
    pub(super) worker: String,
    /// The ledger key of the run's segment records.
    pub(super) ns: String,
    /// The run's job id in the ledger entry.
    pub(super) job_id: String,
    /// Segments held now: until when, and the worker each was taken over
    /// from.
    pub(super) held: Mutex<BTreeMap<u32, Held>>,
    /// Why the shared run ended elsewhere (another worker failed it).
    pub(super) ended: Mutex<Option<String>>,
    /// Segments this worker gave up: another worker took it over, or its
    /// lease was about to expire. The worker goes on with other segments.
    pub(super) dropped: Mutex<BTreeSet<u32>>,
}

impl SharedHold {
    /// Gives a segment up: it is no longer held, and its lane goes on.
    fn give_up(&self, seg: u32) {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&seg);
        self.dropped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(seg);
    }
}

#[derive(Debug, Clone)]
pub(super) struct Held {
    pub(super) until_ms: u64,
    pub(super) taken_from: Option<String>,
}

impl RunClaim {
    fn new(lease: std::time::Duration) -> RunClaim {
        Self::with(lease, None)
    }

    fn with(lease: std::time::Duration, shared: Option<SharedHold>) -> RunClaim {
        let lease_ms = (lease.as_millis() as u64).max(1000);
        RunClaim {
            run_id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
            lease_ms,
            valid_until: AtomicU64::new(now_ms() + lease_ms),
            lost: AtomicBool::new(false),
            recorded: AtomicBool::new(false),
            shared,
        }
    }

    /// The claim of a worker of a shared run (it holds no segment yet).
    pub(super) fn worker(lease: std::time::Duration, hold: SharedHold) -> RunClaim {
        Self::with(lease, Some(hold))
    }

    pub(super) fn lease_ms(&self) -> u64 {
        self.lease_ms
    }

    fn lease(&self) -> RunLease {
        RunLease {
            run_id: self.run_id.clone(),
            until_ms: now_ms() + self.lease_ms,
        }
    }

    /// The lease written with a segment's progress (a shared run).
    fn segment_lease(&self, seg: u32) -> Option<super::ledger::SegmentLease> {
        let sh = self.shared.as_ref()?;
        let held = sh.held.lock().unwrap_or_else(|e| e.into_inner());
        let h = held.get(&seg)?;
        Some(super::ledger::SegmentLease {
            worker: sh.worker.clone(),
            until_ms: h.until_ms,
            taken_from: h.taken_from.clone(),
        })
    }

    /// Until when this run may write (a run in one process).
    fn valid_until(&self) -> u64 {
        self.valid_until.load(Ordering::SeqCst)
    }

    /// Records that this run no longer holds its claim, or (a worker) the
    /// segment `seg`; returns the message.
    fn lose(&self, seg: u32, id: &str) -> String {
        match &self.shared {
            Some(sh) => {
                sh.give_up(seg);
                format!(
                    "another worker took segment {seg} of migration {id} over from worker {} (its lease expired); this worker wrote no more of it",
                    sh.worker
                )
            }
            None => {
                self.lost.store(true, Ordering::SeqCst);
                self.lost_message(id)
            }
        }
    }

    /// A worker may write more of `seg` only while a quarter of its lease
    /// on it remains; otherwise it gives the segment up.
    fn check_segment(&self, seg: u32) -> Result<(), String> {
        let Some(sh) = &self.shared else {
            return Ok(());
        };
        let until = sh
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&seg)
            .map(|h| h.until_ms);
        match until {
            Some(u) if now_ms().saturating_add(self.lease_ms / 4) <= u => Ok(()),
            _ => {
                sh.give_up(seg);
                Err(format!(
                    "worker {} could not renew its lease on segment {seg} in time; it gives the segment up (another worker, or this one, resumes it from its record)",
                    sh.worker
                ))
            }
        }
    }

    pub(super) fn lost_message(&self, id: &str) -> String {
        match &self.shared {
            Some(sh) => format!(
                "another worker took over a segment of migration {id} from worker {} (its lease expired); this worker stopped without writing more",
                sh.worker
            ),
            None => format!(
                "another run took over migration {id} (this was run {}); this run stopped without writing more",
                self.run_id
            ),
        }
    }

    /// Whether this run may still write: it holds the claim, and its lease
    /// is not about to expire (a quarter of it must remain).
    pub(super) fn check(&self, id: &str) -> Result<(), String> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(self.lost_message(id));
        }
        if let Some(why) = self
            .shared
            .as_ref()
            .and_then(|sh| sh.ended.lock().unwrap_or_else(|e| e.into_inner()).clone())
        {
            return Err(why);
        }
        if self.shared.is_none() && now_ms() + self.lease_ms / 4 > self.valid_until() {
            return Err(format!(
                "run {} of migration {id} could not renew its lease in the ledger for {} s; it stops so that no other run writes the same items (run again to resume)",
                self.run_id,
                self.lease_ms * 3 / 4 / 1000
            ));
        }
        Ok(())
    }

    /// Renews the lease every third of its length, for as long as it is
    /// polled; never returns.
    async fn keep(&self, db: &Dynamo, ledger: &Ledger, id: &str) {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(self.lease_ms / 3)).await;
            let bound = std::time::Duration::from_millis(self.lease_ms / 4);
            if let Some(sh) = &self.shared {
                self.keep_segments(db, ledger, id, sh, bound).await;
                continue;
            }
            let lease = self.lease();
            match tokio::time::timeout(bound, ledger.renew(db, id, &lease)).await {
                Ok(Ok(true)) => self.valid_until.store(lease.until_ms, Ordering::SeqCst),
                Ok(Ok(false)) => {
                    self.lost.store(true, Ordering::SeqCst);
                    std::future::pending::<()>().await;
                }
                // Not renewed this time; `check` stops the run in time.
                Ok(Err(_)) | Err(_) => {}
            }
        }
    }

    /// A worker's renewal: each segment it holds, and a look at the shared
    /// run (another worker may have failed it).
    async fn keep_segments(
        &self,
        db: &Dynamo,
        ledger: &Ledger,
        id: &str,
        sh: &SharedHold,
        bound: std::time::Duration,
    ) {
        let segs: Vec<u32> = sh
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect();
        for seg in segs {
            let until = now_ms() + self.lease_ms;
            match tokio::time::timeout(
                bound,
                ledger.renew_segment(db, &sh.ns, seg, &self.run_id, until),
            )
            .await
            {
                Ok(Ok(true)) => {
                    if let Some(h) = sh
                        .held
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_mut(&seg)
                    {
                        h.until_ms = until;
                    }
                }
                // A segment let go meanwhile is not renewed; one that
                // another worker owns now is lost.
                Ok(Ok(false)) => {
                    if sh
                        .held
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .contains_key(&seg)
                    {
                        let _ = self.lose(seg, id);
                    }
                }
                Ok(Err(_)) | Err(_) => {}
            }
        }
        // Applied: the lanes see every segment done and end by themselves.
        if let Ok(Ok(Some(job))) = tokio::time::timeout(bound, ledger.job(db, id)).await
            && (job.id != sh.job_id || !matches!(job.status.as_str(), "running" | "applied"))
        {
            *sh.ended.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(super::workers::ended_message(id, &job));
        }
    }

    /// Runs `work` while keeping the lease.
    pub(super) async fn hold<T>(
        &self,
        db: &Dynamo,
        ledger: &Ledger,
        id: &str,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        tokio::select! {
            r = work => r,
            () = self.keep(db, ledger, id) => unreachable!("keep never returns"),
        }
    }
}

impl Drop for RunClaim {
    fn drop(&mut self) {
        if !self.recorded.load(Ordering::SeqCst) {
            DEAD_RUNS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(self.run_id.clone());
        }
    }
}

/// Records a run's end in the ledger, as the run that holds the claim.
async fn record_end(
    db: &Dynamo,
    ledger: &Ledger,
    entry: &LedgerEntry,
    claim: &RunClaim,
    opts: &RunOptions,
) -> Result<(), String> {
    let owned = retry(&opts.write, || ledger.finish(db, entry, &claim.run_id))
        .await
        .map_err(|e| {
            format!(
                "cannot record the end of migration {} in the ledger: {e}",
                entry.id
            )
        })?;
    if !owned {
        return Err(claim.lost_message(&entry.id));
    }
    claim.recorded.store(true, Ordering::SeqCst);
    Ok(())
}

/// Runs one direction of a migration on a table (a dry run writes
/// nothing). A real run claims the migration in the ledger with its own id
/// and a lease it renews, so no other run (on any machine, TUI or command
/// line) runs it at once; records itself there (running, then applied,
/// interrupted or failed; reverting, then reverted for down); and keeps its
/// progress there, so that a stopped run resumes, and a run that died is
/// taken over (`force`) from where it was, on any machine, without applying
/// anything twice. When `stop` is set, no new page starts; the pages in
/// flight finish (a command script is killed).
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
    if let Some(w) = &opts.workers
        && !opts.dry_run
    {
        return super::workers::run_shared(db, info, m, plan, opts, w, stop).await;
    }
    let ledger = Ledger::new(info)?;
    // A run shared by workers that failed or stopped part way is resumed
    // from its segments, this process its one worker: a fresh run would
    // change again what the workers already changed.
    if !opts.dry_run
        && opts.direction == Direction::Up
        && let Some(w) = super::workers::unfinished_job(db, &ledger, m)
            .await
            .map_err(|e| e.to_string())?
    {
        if let Some(sink) = &opts.events {
            sink(RunEvent::Log(format!(
                "migration {} was run by workers, who left it unfinished: resuming their run (job {}) from its segments in this process",
                m.id, w.0
            )));
        }
        return super::workers::run_shared(db, info, m, plan, opts, &w.1, stop).await;
    }
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
    let claim = (!opts.dry_run).then(|| RunClaim::new(opts.lease));

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
                    writes: Default::default(),
                });
            }
        };
        if let Some(c) = &claim {
            ledger
                .claim(db, &entry, &cp_id, &c.lease(), opts.force, &dead_runs())
                .await?;
        }
        emit(RunEvent::Log(format!("$ {}", script.display())));
        let on_line = |line: String| emit(RunEvent::Log(line));
        let work = script::run_command(script, &extra, &env, &on_line, &stop);
        let result = match &claim {
            Some(c) => c.hold(db, &ledger, &m.id, work).await,
            None => work.await,
        };
        let stopped = matches!(result, Ok(CommandEnd::Stopped));
        if let Some(c) = &claim {
            entry.ended_at = Some(now());
            entry.status = match &result {
                Ok(CommandEnd::Finished) => finished_word,
                Ok(CommandEnd::Stopped) => "interrupted",
                Err(_) => "failed",
            }
            .into();
            entry.error = result.as_ref().err().map(ToString::to_string);
            record_end(db, &ledger, &entry, c, opts).await?;
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
            writes: Default::default(),
        });
    }

    let filter = plan_filter(plan, info, &opts.type_attribute)
        .map_err(|e| format!("{}: select: {e}", m.path.display()))?;
    let mut req = ItemsRequest::scan(&info.name);
    req.filter = filter;
    let scope = checkpoint_scope(db, &info.name);
    // The claim comes first: once it holds, no other run changes the
    // progress this run resumes from.
    if let Some(c) = &claim {
        ledger
            .claim(db, &entry, &cp_id, &c.lease(), opts.force, &dead_runs())
            .await?;
    }
    let previous = match &claim {
        Some(_) => ledger
            .load_progress(db, &cp_id)
            .await?
            .filter(|ps| ps[0].checksum == m.checksum),
        None => None,
    };
    let resumed = previous.is_some();
    let checkpoint = match &previous {
        Some(ps) => {
            let from = &ps[0].run_id;
            let c = MigrationCheckpoint {
                table: scope.clone(),
                id: cp_id.clone(),
                checksum: m.checksum.clone(),
                started_at: ps[0].started_at.clone(),
                segments: ps.iter().map(|p| p.state.clone()).collect(),
            };
            let mut done = Counts::default();
            for s in &c.segments {
                done.add(&s.counts);
            }
            emit(RunEvent::Log(format!(
                "resuming the run started {} (run {from}; {} so far)",
                c.started_at, done
            )));
            emit(RunEvent::Progress(done));
            c
        }
        None => {
            if claim.is_some() {
                // Progress of another version of the file, or a partial set.
                ledger.clear_stale_progress(db, &cp_id).await?;
                if let Some(dir) = &opts.state_dir {
                    MigrationCheckpoint::remove(dir, &scope, &cp_id);
                }
            }
            let total = if plan.select.partition.is_some() {
                1
            } else {
                opts.segments.max(1)
            };
            MigrationCheckpoint {
                table: scope.clone(),
                id: cp_id.clone(),
                checksum: m.checksum.clone(),
                started_at: entry.started_at.clone(),
                segments: vec![SegmentState::default(); total as usize],
            }
        }
    };
    let total = checkpoint.segments.len() as u32;
    entry.started_at = checkpoint.started_at.clone();
    if let Some(c) = &claim {
        // This run's progress records, from now on written only by it.
        for (seg, st) in checkpoint.segments.iter().enumerate() {
            let rec = Progress {
                seg: seg as u32,
                total,
                checksum: m.checksum.clone(),
                started_at: checkpoint.started_at.clone(),
                run_id: c.run_id.clone(),
                state: st.clone(),
                lease: None,
            };
            retry(&opts.write, || ledger.put_progress(db, &cp_id, &rec, true))
                .await
                .map_err(|e| format!("cannot save the run's progress in the ledger: {e}"))?;
        }
    }
    let ctx = Ctx::new(
        db,
        info,
        m,
        plan,
        opts,
        &ledger,
        claim.as_ref(),
        &cp_id,
        total,
    );
    let state = Mutex::new(checkpoint);
    let work = futures::future::join_all(
        (0..total).map(|seg| ctx.segment(seg, total, &req, &state, &stop)),
    );
    let results = match &claim {
        Some(c) => c.hold(db, &ledger, &m.id, work).await,
        None => work.await,
    };
    let st = state.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut counts = Counts::default();
    for s in &st.segments {
        counts.add(&s.counts);
    }
    let error = results.into_iter().find_map(Result::err);
    let finished = st.segments.iter().all(|s| s.done);
    let diffs = ctx.diffs.into_inner().unwrap_or_else(|e| e.into_inner());
    let writes = ctx.writes.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = &claim {
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
        let lost = c.lost.load(Ordering::SeqCst);
        if let Some(dir) = &opts.state_dir {
            if finished && error.is_none() {
                MigrationCheckpoint::remove(dir, &scope, &cp_id);
            } else if !lost && let Err(e) = st.save(dir) {
                // The ledger keeps the progress; the local copy is only a
                // mirror, so the run goes on, and says so.
                emit(RunEvent::Log(format!(
                    "warning: cannot write the local checkpoint in {}: {e} (the ledger keeps the run's progress)",
                    dir.display()
                )));
            }
        }
        if lost {
            // The run that took over records the end.
            c.recorded.store(true, Ordering::SeqCst);
            return Err(c.lost_message(&m.id));
        }
        if finished && error.is_none() {
            ledger.clear_progress(db, &cp_id, total).await?;
        }
        record_end(db, &ledger, &entry, c, opts).await?;
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
        writes,
    })
}
