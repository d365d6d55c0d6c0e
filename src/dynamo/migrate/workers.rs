//! A migration run shared by workers: several processes, on one machine or
//! many, run one migration together.
//!
//! The first worker records a job in the migration's ledger entry (its id
//! and how many scan segments it is cut into, more than the workers) and a
//! record per segment. Every worker then claims segments one at a time with
//! a conditional write that sets itself as the segment's owner with a
//! lease, renews its leases while it works, and saves the segment's
//! progress (position and write-ahead journal) in that record, conditional
//! on still owning it. A worker that dies stops renewing; once its lease
//! has expired another worker claims the segment and resumes from the
//! record, skipping what the journal says the dead worker wrote, so every
//! item is migrated exactly once. The worker that finds every segment done
//! records the migration applied.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::exec::{
    Ctx, Held, MigrationCheckpoint, RunClaim, RunOptions, RunReport, SegmentState, SharedHold,
    checkpoint_id, checkpoint_scope, plan_filter,
};
use super::ledger::{
    Counts, Ledger, LedgerEntry, Progress, SegmentLease, conditional, n, now, now_ms, s, time_of_ms,
};
use super::{Action, Direction, Migration, Plan};
use crate::dynamo::AttributeValue;
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::error::AwsError;
use crate::dynamo::request::ItemsRequest;
use crate::dynamo::write::retry;

/// How this process takes part in a shared run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workers {
    /// Workers planned: a new run is cut into at least four segments for
    /// each, and each worker starts with its own share.
    pub planned: u32,
    /// This worker's name in the ledger (unique among live workers).
    pub id: String,
    /// Segments this worker works on at once.
    pub lanes: u32,
    /// How often a worker with nothing to claim looks again.
    pub poll: Duration,
}

impl Workers {
    /// A worker of a run planned for `planned` workers; its name defaults
    /// to `<host>-<pid>`.
    pub fn new(planned: u32, id: Option<String>) -> Workers {
        Workers {
            planned: planned.max(1),
            id: id
                .filter(|i| !i.trim().is_empty())
                .unwrap_or_else(default_id),
            lanes: 2,
            poll: Duration::from_secs(1),
        }
    }

    /// The segments of a new run: `asked`, and at least four per worker.
    pub fn segments(&self, asked: u32) -> u32 {
        asked.max(self.planned.saturating_mul(4)).clamp(1, 10_000)
    }

    /// The order this worker tries segments in: its own share first (the
    /// segments `s` with `s % planned` equal to the number its name ends
    /// with, or a hash of the name), then the others, so that workers
    /// rarely contend for one segment and a worker left over helps the rest.
    pub fn preference(&self, total: u32) -> Vec<u32> {
        let planned = self.planned.max(1);
        let slot = match number_at_end(&self.id) {
            Some(v) => (v % u64::from(planned)) as u32,
            None => (crate::dynamo::hash::fnv64(self.id.as_bytes()) % u64::from(planned)) as u32,
        };
        let mut order: Vec<u32> = (0..total).filter(|s| s % planned == slot).collect();
        let mut rest: Vec<u32> = (0..total).filter(|s| s % planned != slot).collect();
        rest.sort_by_key(|s| (s + total - slot % total.max(1)) % total.max(1));
        order.extend(rest);
        order
    }
}

/// The number a worker's name ends with (`pod-2`: 2), if any.
pub(crate) fn number_at_end(id: &str) -> Option<u64> {
    let start = id
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i)?;
    id[start..].parse().ok()
}

/// Environment variables that number the workers of a batch: a Kubernetes
/// indexed Job's and an AWS Batch array job's.
pub const INDEX_VARS: [&str; 2] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

/// The worker number a batch system gave this process, if any.
pub fn index_from_env(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    INDEX_VARS.iter().find_map(|k| {
        var(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// A worker's default name: the batch system's index if there is one,
/// else `<host>-<pid>`.
fn default_id() -> String {
    if let Some(i) = index_from_env(|k| std::env::var(k).ok()) {
        return i;
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    format!("{host}-{}", std::process::id())
}

/// A shared run as its ledger entry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub segments: u32,
    /// Workers planned when it started.
    pub workers: u32,
    /// The entry's status (running, applied, failed).
    pub status: String,
    pub error: Option<String>,
}

impl Job {
    /// Why a run in one process cannot start while the job runs.
    pub fn refusal(&self, id: &str) -> String {
        format!(
            "migration {id} is {} by workers (job {}, {} segments); a run in one process cannot start beside them. Join them with `dyntui migrate run {id} --workers {}`, or wait for them to end",
            self.status, self.id, self.segments, self.workers
        )
    }
}

/// One segment of a shared run, as the ledger says.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentView {
    pub seg: u32,
    pub worker: Option<String>,
    pub until_ms: u64,
    pub done: bool,
    pub counts: Counts,
    pub taken_from: Option<String>,
}

/// A shared run and its segments (`migrate status`).
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    pub job: Job,
    pub segments: Vec<SegmentView>,
}

impl JobStatus {
    /// Lines for a listing: the run, each worker and its segments, and
    /// each segment taken over from a worker whose lease expired.
    pub fn lines(&self, now: u64) -> Vec<String> {
        let done = self.segments.iter().filter(|s| s.done).count();
        let mut total = Counts::default();
        for s in &self.segments {
            total.add(&s.counts);
        }
        let mut out = vec![format!(
            "job {}: {} segments, {done} done, {} items done ({total})",
            self.job.id,
            self.job.segments,
            total.done()
        )];
        let mut by_worker: BTreeMap<&str, Vec<&SegmentView>> = BTreeMap::new();
        for s in &self.segments {
            if let Some(w) = &s.worker {
                by_worker.entry(w).or_default().push(s);
            }
        }
        for (w, segs) in &by_worker {
            let working: Vec<&&SegmentView> = segs
                .iter()
                .filter(|s| !s.done && s.until_ms > now)
                .collect();
            let list = |f: &dyn Fn(&&SegmentView) -> bool| {
                segs.iter()
                    .filter(|s| f(s))
                    .map(|s| s.seg.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let state = if working.is_empty() {
                "idle".to_string()
            } else {
                format!(
                    "working on {} (lease until {})",
                    list(&|s| !s.done && s.until_ms > now),
                    time_of_ms(working.iter().map(|s| s.until_ms).min().unwrap_or(0))
                )
            };
            let finished = list(&|s| s.done);
            let expired = list(&|s| !s.done && s.until_ms <= now);
            let mut line = format!("worker {w}: {state}");
            if !finished.is_empty() {
                line.push_str(&format!("; finished {finished}"));
            }
            if !expired.is_empty() {
                line.push_str(&format!(
                    "; lease expired on {expired} (another worker takes it over)"
                ));
            }
            out.push(line);
        }
        let waiting: Vec<String> = self
            .segments
            .iter()
            .filter(|s| s.worker.is_none())
            .map(|s| s.seg.to_string())
            .collect();
        if !waiting.is_empty() {
            out.push(format!("not started: {}", waiting.join(" ")));
        }
        for s in &self.segments {
            if let (Some(from), Some(by)) = (&s.taken_from, &s.worker) {
                out.push(format!("segment {}: taken over from {from} by {by}", s.seg));
            }
        }
        out
    }
}

/// Why a worker stops when the shared run ended elsewhere.
pub(super) fn ended_message(id: &str, job: &Job) -> String {
    format!(
        "migration {id} is {} in the ledger{}: this worker stopped",
        job.status,
        job.error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    )
}

/// The lease of a segment let go: expired, and never renewed again.
const LET_GO: u64 = 0;

/// The key of a job's segment records in the ledger.
fn job_key(m: &Migration, job: &str) -> String {
    format!("{}#job#{job}", checkpoint_id(m, Direction::Up))
}

fn with_job(mut item: crate::dynamo::Item, job: &Job) -> crate::dynamo::Item {
    item.insert("jobId".into(), s(&job.id));
    item.insert("jobSegments".into(), n(u64::from(job.segments)));
    item.insert("jobWorkers".into(), n(u64::from(job.workers)));
    item
}

impl Ledger {
    /// The shared run a migration's entry records, if any.
    pub async fn job(&self, db: &Dynamo, id: &str) -> Result<Option<Job>, AwsError> {
        let item = db.get_item(self.table(), self.key(id)).await?;
        Ok(item.and_then(|it| {
            let st = |k: &str| match it.get(k) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            let num = |k: &str| match it.get(k) {
                Some(AttributeValue::N(v)) => v.parse::<u32>().ok(),
                _ => None,
            };
            Some(Job {
                id: st("jobId")?,
                segments: num("jobSegments")?,
                workers: num("jobWorkers").unwrap_or(1),
                status: st("status").unwrap_or_default(),
                error: st("error"),
            })
        }))
    }

    /// Records a job's start (or its resumption) in the migration's entry,
    /// if the entry still has the status it was read with (`None`: no
    /// entry). `Ok(false)`: another worker started first.
    async fn start_job(
        &self,
        db: &Dynamo,
        e: &LedgerEntry,
        job: &Job,
        was: Option<&str>,
    ) -> Result<bool, AwsError> {
        let mut req = db
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(with_job(self.item_of(e), job)))
            .expression_attribute_names("#s", "status");
        req = match was {
            None => req.condition_expression("attribute_not_exists(#s)"),
            Some(st) => req
                .condition_expression("#s = :was")
                .expression_attribute_values(":was", s(st)),
        };
        conditional(req.send().await, db, self.table())
    }

    /// Records a job's end, unless it already ended (another worker
    /// recorded it, or a new job replaced it).
    async fn end_job(&self, db: &Dynamo, e: &LedgerEntry, job: &Job) -> Result<bool, AwsError> {
        let r = db
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(with_job(self.item_of(e), job)))
            .condition_expression("#job = :job AND #s = :running")
            .expression_attribute_names("#job", "jobId")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":job", s(&job.id))
            .expression_attribute_values(":running", s("running"))
            .send()
            .await;
        conditional(r, db, self.table())
    }

    /// Creates the job's segment records that do not exist yet (every
    /// worker does this on joining: the first may have died before).
    async fn ensure_segments(
        &self,
        db: &Dynamo,
        ns: &str,
        job: &Job,
        started_at: &str,
        checksum: &str,
    ) -> Result<(), AwsError> {
        for seg in 0..job.segments {
            let state = serde_json::to_string(&SegmentState::default())
                .map_err(|e| AwsError::new("ProgressNotSaved", e.to_string()))?;
            let mut item = self.progress_key(ns, seg);
            item.insert("id".into(), s(ns));
            item.insert("seg".into(), n(u64::from(seg)));
            item.insert("total".into(), n(u64::from(job.segments)));
            item.insert("checksum".into(), s(checksum));
            item.insert("startedAt".into(), s(started_at));
            item.insert("state".into(), s(&state));
            item.insert("done".into(), AttributeValue::Bool(false));
            let r = db
                .client()
                .put_item()
                .table_name(self.table())
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#st)")
                .expression_attribute_names("#st", "state")
                .send()
                .await;
            conditional(r, db, self.table())?;
        }
        Ok(())
    }

    /// Every segment record of a job (None where one is missing).
    async fn segments(
        &self,
        db: &Dynamo,
        ns: &str,
        total: u32,
    ) -> Result<Vec<Option<Progress>>, String> {
        let mut out = Vec::with_capacity(total as usize);
        for seg in 0..total {
            out.push(self.get_progress(db, ns, seg).await?);
        }
        Ok(out)
    }

    /// Claims a segment as read (`p`): only if nobody changed its owner
    /// since, its lease (if any) has expired, and it is not done.
    async fn claim_segment(
        &self,
        db: &Dynamo,
        ns: &str,
        p: &Progress,
        run_id: &str,
        lease: &SegmentLease,
    ) -> Result<bool, AwsError> {
        let mut req = db
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(self.progress_key(ns, p.seg)))
            .expression_attribute_names("#rid", "runId")
            .expression_attribute_names("#w", "worker")
            .expression_attribute_names("#lease", "leaseUntil")
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":rid", s(run_id))
            .expression_attribute_values(":w", s(&lease.worker))
            .expression_attribute_values(":until", n(lease.until_ms))
            .expression_attribute_values(":now", n(now_ms()))
            .expression_attribute_values(":f", AttributeValue::Bool(false));
        let owner = if p.run_id.is_empty() {
            "attribute_not_exists(#rid)"
        } else {
            req = req.expression_attribute_values(":old", s(&p.run_id));
            "#rid = :old"
        };
        req = req.condition_expression(format!(
            "{owner} AND (attribute_not_exists(#lease) OR #lease < :now) AND #done = :f"
        ));
        req = match &lease.taken_from {
            Some(from) => req
                .update_expression("SET #rid = :rid, #w = :w, #lease = :until, #tf = :tf")
                .expression_attribute_names("#tf", "takenFrom")
                .expression_attribute_values(":tf", s(from)),
            None => req.update_expression("SET #rid = :rid, #w = :w, #lease = :until"),
        };
        conditional(req.send().await, db, self.table())
    }

    /// Extends a worker's lease on a segment; `Ok(false)` when another
    /// worker owns it now.
    pub(super) async fn renew_segment(
        &self,
        db: &Dynamo,
        ns: &str,
        seg: u32,
        run_id: &str,
        until_ms: u64,
    ) -> Result<bool, AwsError> {
        let r = db
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(self.progress_key(ns, seg)))
            .update_expression("SET #lease = :until")
            .condition_expression("#rid = :rid AND #lease <> :let_go")
            .expression_attribute_names("#lease", "leaseUntil")
            .expression_attribute_names("#rid", "runId")
            .expression_attribute_values(":until", n(until_ms))
            .expression_attribute_values(":rid", s(run_id))
            .expression_attribute_values(":let_go", n(LET_GO))
            .send()
            .await;
        conditional(r, db, self.table())
    }

    /// Lets a segment go (a worker stopped or failed): another worker may
    /// claim it at once. A renewal sent meanwhile does not hold it again.
    async fn let_go(&self, db: &Dynamo, ns: &str, seg: u32, run_id: &str) {
        let _ = db
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(self.progress_key(ns, seg)))
            .update_expression("SET #lease = :let_go")
            .condition_expression("#rid = :rid")
            .expression_attribute_names("#lease", "leaseUntil")
            .expression_attribute_names("#rid", "runId")
            .expression_attribute_values(":rid", s(run_id))
            .expression_attribute_values(":let_go", n(LET_GO))
            .send()
            .await;
    }

    /// The shared run of a migration and its segments, if it has one.
    pub async fn job_status(
        &self,
        db: &Dynamo,
        m: &Migration,
    ) -> Result<Option<JobStatus>, String> {
        let Some(job) = self.job(db, &m.id).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let ns = job_key(m, &job.id);
        let segments = self
            .segments(db, &ns, job.segments)
            .await?
            .into_iter()
            .enumerate()
            .map(|(seg, p)| {
                let lease = p.as_ref().and_then(|p| p.lease.clone());
                SegmentView {
                    seg: seg as u32,
                    worker: lease.as_ref().map(|l| l.worker.clone()),
                    until_ms: lease.as_ref().map_or(0, |l| l.until_ms),
                    done: p.as_ref().is_some_and(|p| p.state.done),
                    counts: p.as_ref().map(|p| p.state.counts).unwrap_or_default(),
                    taken_from: lease.and_then(|l| l.taken_from),
                }
            })
            .collect();
        Ok(Some(JobStatus { job, segments }))
    }
}

/// The run shared by workers that a run in one process must resume rather
/// than start afresh: one of this file's version that failed or was
/// interrupted. Returns its id and the worker this process is to be.
pub(super) async fn unfinished_job(
    db: &Dynamo,
    ledger: &Ledger,
    m: &Migration,
) -> Result<Option<(String, Workers)>, AwsError> {
    let Some(job) = ledger.job(db, &m.id).await? else {
        return Ok(None);
    };
    if !matches!(job.status.as_str(), "failed" | "interrupted") {
        return Ok(None);
    }
    let same_file = ledger
        .get(db, &m.id)
        .await?
        .is_some_and(|e| e.checksum == m.checksum);
    Ok(same_file.then(|| (job.id.clone(), Workers::new(job.workers, None))))
}

/// How a worker came to the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Came {
    Started,
    Joined,
    Resumed,
}

enum Entry {
    Job(Job, String, Came),
    /// Applied already: a worker started after the run ended does nothing.
    Applied(LedgerEntry),
}

/// Joins the migration's running job, resumes a failed one, or starts one.
async fn join(
    db: &Dynamo,
    ledger: &Ledger,
    m: &Migration,
    opts: &RunOptions,
    w: &Workers,
    total: u32,
) -> Result<Entry, String> {
    for _ in 0..8 {
        let entry = ledger.get(db, &m.id).await.map_err(|e| e.to_string())?;
        let job = ledger.job(db, &m.id).await.map_err(|e| e.to_string())?;
        let status = entry.as_ref().map(|e| e.status.as_str());
        match (&entry, status) {
            (Some(e), Some("running" | "reverting")) => {
                return match job {
                    Some(j) if e.checksum == m.checksum && e.status == "running" => {
                        Ok(Entry::Job(j, e.started_at.clone(), Came::Joined))
                    }
                    Some(j) => Err(format!(
                        "migration {} is {} by workers (job {}) from another version of its file (checksum {} in the ledger, {} here): run the same file on every worker",
                        m.id, e.status, j.id, e.checksum, m.checksum
                    )),
                    None => Err(format!(
                        "migration {} is {} by {} in one process (started {}); workers cannot join that run: wait for it to end (if it died, take it over with --force, without --workers)",
                        m.id, e.status, e.run_by, e.started_at
                    )),
                };
            }
            (Some(e), Some("applied")) if e.checksum == m.checksum => {
                return Ok(Entry::Applied(e.clone()));
            }
            _ => {}
        }
        let ns_of = |j: &Job| job_key(m, &j.id);
        // A job that failed or was interrupted resumes from its segments.
        let resume = match (&entry, &job) {
            (Some(e), Some(j))
                if e.checksum == m.checksum
                    && matches!(e.status.as_str(), "failed" | "interrupted")
                    && ledger.get_progress(db, &ns_of(j), 0).await?.is_some() =>
            {
                Some(j.clone())
            }
            _ => None,
        };
        let new = resume.clone().unwrap_or_else(|| Job {
            id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
            segments: total,
            workers: w.planned,
            status: "running".into(),
            error: None,
        });
        let started_at = match (&resume, &entry) {
            (Some(_), Some(e)) => e.started_at.clone(),
            _ => now(),
        };
        let record = LedgerEntry {
            id: m.id.clone(),
            checksum: m.checksum.clone(),
            status: "running".into(),
            started_at: started_at.clone(),
            ended_at: None,
            counts: Counts::default(),
            run_by: opts.run_by.clone(),
            error: None,
        };
        if ledger
            .start_job(db, &record, &new, status)
            .await
            .map_err(|e| e.to_string())?
        {
            if resume.is_none()
                && let Some(old) = &job
            {
                // The segments of an older job of this migration.
                ledger.clear_progress(db, &ns_of(old), old.segments).await?;
            }
            let how = if resume.is_some() {
                Came::Resumed
            } else {
                Came::Started
            };
            return Ok(Entry::Job(new, started_at, how));
        }
    }
    Err(format!(
        "the ledger entry of migration {} kept changing while this worker joined; run it again",
        m.id
    ))
}

/// How a lane (one segment at a time) of a worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LaneEnd {
    /// Every segment is done.
    AllDone,
    Stopped,
}

fn minus(a: &Counts, b: &Counts) -> Counts {
    Counts {
        selected: a.selected.saturating_sub(b.selected),
        changed: a.changed.saturating_sub(b.changed),
        unchanged: a.unchanged.saturating_sub(b.unchanged),
        conflicts: a.conflicts.saturating_sub(b.conflicts),
        incomplete: a.incomplete.saturating_sub(b.incomplete),
        deleted: a.deleted.saturating_sub(b.deleted),
        moved: a.moved.saturating_sub(b.moved),
    }
}

/// What the lanes of one worker share.
struct Worker<'a> {
    ctx: &'a Ctx<'a>,
    claim: &'a RunClaim,
    ledger: &'a Ledger,
    db: &'a Dynamo,
    m: &'a Migration,
    w: &'a Workers,
    job: &'a Job,
    ns: String,
    req: ItemsRequest,
    state: Mutex<MigrationCheckpoint>,
    stop: &'a AtomicBool,
    /// This worker's segments and what it did in them.
    worked: Mutex<BTreeMap<u32, Counts>>,
    taken: Mutex<BTreeSet<(u32, String)>>,
}

impl Worker<'_> {
    fn hold(&self) -> &SharedHold {
        match &self.claim.shared {
            Some(sh) => sh,
            None => unreachable!("a worker's claim is shared"),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, Held>> {
        self.hold().held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the first free segment in this worker's order.
    async fn pick(&self, segs: &[Option<Progress>]) -> Result<Option<u32>, String> {
        let now = now_ms();
        let mine: BTreeSet<u32> = self.held().keys().copied().collect();
        for seg in self.w.preference(self.job.segments) {
            let Some(Some(p)) = segs.get(seg as usize) else {
                continue;
            };
            let free = p.lease.as_ref().is_none_or(|l| l.until_ms < now);
            if p.state.done || !free || mine.contains(&seg) {
                continue;
            }
            let until_ms = now_ms() + self.claim.lease_ms();
            // A segment that another worker began and left (it died, or
            // stopped) is taken over from its record.
            let taken_from = p
                .lease
                .as_ref()
                .filter(|_| p.run_id != self.claim.run_id)
                .map(|l| l.worker.clone());
            let lease = SegmentLease {
                worker: self.w.id.clone(),
                until_ms,
                taken_from: taken_from.clone(),
            };
            let got = self
                .ledger
                .claim_segment(self.db, &self.ns, p, &self.claim.run_id, &lease)
                .await;
            match got {
                Ok(true) => {
                    // Held once claimed (a renewal before the claim landed
                    // would find another owner and give it up).
                    self.held().insert(
                        seg,
                        Held {
                            until_ms,
                            taken_from: taken_from.clone(),
                        },
                    );
                    if let Some(from) = taken_from {
                        self.taken
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert((seg, from));
                    }
                    return Ok(Some(seg));
                }
                Ok(false) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(None)
    }

    /// One lane: claims segments and runs them until none is left.
    async fn lane(&self) -> Result<LaneEnd, String> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(LaneEnd::Stopped);
            }
            self.claim.check(&self.m.id)?;
            let segs = self
                .ledger
                .segments(self.db, &self.ns, self.job.segments)
                .await?;
            if segs
                .iter()
                .all(|p| p.as_ref().is_some_and(|p| p.state.done))
            {
                return Ok(LaneEnd::AllDone);
            }
            // Another worker may have failed the run: nothing more is
            // claimed then.
            if let Some(j) = self
                .ledger
                .job(self.db, &self.m.id)
                .await
                .map_err(|e| e.to_string())?
                && (j.id != self.job.id || j.status != "running")
            {
                if j.id == self.job.id && j.status == "applied" {
                    // Finished by another worker since the read above.
                    return Ok(LaneEnd::AllDone);
                }
                let why = ended_message(&self.m.id, &j);
                *self.hold().ended.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
                return Err(why);
            }
            let Some(seg) = self.pick(&segs).await? else {
                tokio::time::sleep(self.w.poll).await;
                continue;
            };
            let p = self
                .ledger
                .get_progress(self.db, &self.ns, seg)
                .await?
                .ok_or_else(|| format!("the ledger lost segment {seg} of job {}", self.job.id))?;
            let before = p.state.counts;
            if let Some(from) = p.lease.as_ref().and_then(|l| l.taken_from.clone()) {
                self.ctx.emit_log(format!(
                    "worker {}: segment {seg} taken over from {from} ({} items done there)",
                    self.w.id,
                    before.done()
                ));
            }
            self.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .segments[seg as usize] = p.state;
            let r = self
                .ctx
                .segment(seg, self.job.segments, &self.req, &self.state, self.stop)
                .await;
            let (after, done) = {
                let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let s = &st.segments[seg as usize];
                (s.counts, s.done)
            };
            self.worked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(seg)
                .or_default()
                .add(&minus(&after, &before));
            if let Err(e) = r {
                let dropped = self
                    .hold()
                    .dropped
                    .lock()
                    .unwrap_or_else(|x| x.into_inner())
                    .remove(&seg);
                if !dropped {
                    return Err(e);
                }
                // Given up (lease lost or expiring): the segment's record
                // says where it stands; whoever claims it next resumes it.
                self.ledger
                    .let_go(self.db, &self.ns, seg, &self.claim.run_id)
                    .await;
                self.ctx.emit_log(format!("{e}; going on"));
                continue;
            }
            if !done {
                // Stopped mid-segment: let another worker go on at once.
                self.held().remove(&seg);
                self.ledger
                    .let_go(self.db, &self.ns, seg, &self.claim.run_id)
                    .await;
                return Ok(LaneEnd::Stopped);
            }
            self.held().remove(&seg);
        }
    }
}

/// Runs a migration as one worker of a shared run (see the module's
/// description). Returns what this worker did; the worker that sees every
/// segment done records the migration applied.
pub(super) async fn run_shared(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    plan: &Plan,
    opts: &RunOptions,
    w: &Workers,
    stop: std::sync::Arc<AtomicBool>,
) -> Result<RunReport, String> {
    if opts.direction == Direction::Down {
        return Err(format!(
            "migration {}: --workers runs a migration up; revert it in one process (without --workers)",
            m.id
        ));
    }
    if let Action::Command(script) = &plan.action {
        return Err(format!(
            "migration {} runs the command script `{}`, which does its own writes: it cannot be shared by workers; run it without --workers",
            m.id,
            script.display()
        ));
    }
    let ledger = Ledger::new(info)?;
    let filter = plan_filter(plan, info, &opts.type_attribute)
        .map_err(|e| format!("{}: select: {e}", m.path.display()))?;
    let mut req = ItemsRequest::scan(&info.name);
    req.filter = filter;
    let total = if plan.select.partition.is_some() {
        1
    } else {
        w.segments(opts.segments)
    };
    let report = |counts: Counts, stopped: bool, resumed: bool, note: String| RunReport {
        id: m.id.clone(),
        direction: Direction::Up,
        counts,
        diffs: Vec::new(),
        stopped,
        resumed,
        dry_run: false,
        note: Some(note),
        writes: Default::default(),
    };
    let (job, started_at, how) = match join(db, &ledger, m, opts, w, total).await? {
        Entry::Applied(e) => {
            return Ok(report(
                Counts::default(),
                false,
                false,
                format!(
                    "migration {} is applied already ({} by {}): worker {} has nothing to do (run it without --workers to run it again)",
                    m.id,
                    e.ended_at.as_deref().unwrap_or(&e.started_at),
                    e.run_by,
                    w.id
                ),
            ));
        }
        Entry::Job(j, at, how) => (j, at, how),
    };
    let ns = job_key(m, &job.id);
    retry(&opts.write, || {
        ledger.ensure_segments(db, &ns, &job, &started_at, &m.checksum)
    })
    .await
    .map_err(|e| format!("cannot record the run's segments in the ledger: {e}"))?;
    let opts = RunOptions {
        // The ledger keeps a shared run's progress, not this machine.
        state_dir: None,
        ..opts.clone()
    };
    let claim = RunClaim::worker(
        opts.lease,
        SharedHold {
            worker: w.id.clone(),
            ns: ns.clone(),
            job_id: job.id.clone(),
            held: Mutex::new(BTreeMap::new()),
            ended: Mutex::new(None),
            dropped: Mutex::new(BTreeSet::new()),
        },
    );
    let ctx = Ctx::new(
        db,
        info,
        m,
        plan,
        &opts,
        &ledger,
        Some(&claim),
        &ns,
        job.segments,
    );
    ctx.emit_log(format!(
        "worker {}: {} the run shared by workers (job {}, {} segments)",
        w.id,
        match how {
            Came::Started => "started",
            Came::Joined => "joined",
            Came::Resumed => "resumed",
        },
        job.id,
        job.segments
    ));
    let worker = Worker {
        ctx: &ctx,
        claim: &claim,
        ledger: &ledger,
        db,
        m,
        w,
        job: &job,
        ns: ns.clone(),
        req,
        state: Mutex::new(MigrationCheckpoint {
            table: checkpoint_scope(db, &info.name),
            id: ns.clone(),
            checksum: m.checksum.clone(),
            started_at: started_at.clone(),
            segments: vec![SegmentState::default(); job.segments as usize],
        }),
        stop: &stop,
        worked: Mutex::new(BTreeMap::new()),
        taken: Mutex::new(BTreeSet::new()),
    };
    let lanes = w.lanes.clamp(1, job.segments.max(1));
    let work = futures::future::join_all((0..lanes).map(|_| async {
        let r = worker.lane().await;
        if r.is_err() {
            // The other lanes stop after their page: the failure is
            // recorded once they have.
            worker.stop.store(true, Ordering::SeqCst);
        }
        r
    }));
    let results = claim.hold(db, &ledger, &m.id, work).await;
    // Whatever is still held (a lane failed) is let go below, once a
    // failure is recorded (so that no other worker claims it first).
    let left: Vec<u32> = std::mem::take(&mut *worker.held()).into_keys().collect();
    claim.recorded.store(true, Ordering::SeqCst);
    let worked = worker
        .worked
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let mut counts = Counts::default();
    for c in worked.values() {
        counts.add(c);
    }
    let taken = worker.taken.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut ends = Vec::new();
    let mut error = None;
    for r in results {
        match r {
            Ok(e) => ends.push(e),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    let segs_text = if worked.is_empty() {
        "no segment".to_string()
    } else {
        format!(
            "segment(s) {}",
            worked
                .keys()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let taken_text = taken
        .iter()
        .map(|(seg, from)| format!("; took segment {seg} over from {from}"))
        .collect::<String>();
    let mut entry = LedgerEntry {
        id: m.id.clone(),
        checksum: m.checksum.clone(),
        status: "running".into(),
        started_at: started_at.clone(),
        ended_at: Some(now()),
        counts: Counts::default(),
        run_by: opts.run_by.clone(),
        error: None,
    };
    let totals = |segs: &[Option<Progress>]| {
        let mut t = Counts::default();
        for p in segs.iter().flatten() {
            t.add(&p.state.counts);
        }
        t
    };
    if let Some(e) = error {
        let lost = claim.lost.load(Ordering::SeqCst)
            || claim
                .shared
                .as_ref()
                .is_some_and(|sh| sh.ended.lock().is_ok_and(|x| x.is_some()));
        if !lost {
            // This worker's failure ends the run for every worker: they
            // see it at their next renewal and stop.
            let segs = ledger
                .segments(db, &ns, job.segments)
                .await
                .unwrap_or_default();
            entry.status = "failed".into();
            entry.counts = totals(&segs);
            entry.error = Some(format!("worker {}: {e}", w.id));
            let _ = retry(&opts.write, || ledger.end_job(db, &entry, &job)).await;
        }
        for seg in left {
            ledger.let_go(db, &ns, seg, &claim.run_id).await;
        }
        return Err(format!("migration {} failed on worker {}: {e}", m.id, w.id));
    }
    for seg in left {
        ledger.let_go(db, &ns, seg, &claim.run_id).await;
    }
    if ends.contains(&LaneEnd::Stopped) {
        return Ok(report(
            counts,
            true,
            how != Came::Started,
            format!(
                "worker {} stopped after {segs_text}{taken_text}; the other workers go on, and a worker started again joins them",
                w.id
            ),
        ));
    }
    let segs = ledger.segments(db, &ns, job.segments).await?;
    let all = totals(&segs);
    entry.status = "applied".into();
    entry.counts = all;
    let recorded = retry(&opts.write, || ledger.end_job(db, &entry, &job))
        .await
        .map_err(|e| {
            format!(
                "cannot record the end of migration {} in the ledger: {e}",
                m.id
            )
        })?;
    Ok(report(
        counts,
        false,
        how != Came::Started,
        format!(
            "worker {} did {segs_text}{taken_text}; the run ({} segments) is applied: {all}{}",
            w.id,
            job.segments,
            if recorded {
                ""
            } else {
                " (recorded by another worker)"
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_starts_with_its_own_share_then_helps_the_others() {
        let w = Workers::new(3, Some("w1".into()));
        let order = w.preference(12);
        assert_eq!(&order[..4], &[1, 4, 7, 10]);
        let mut all = order.clone();
        all.sort_unstable();
        assert_eq!(all, (0..12).collect::<Vec<_>>(), "every segment, once");
        let other = Workers::new(3, Some("worker-2".into())).preference(12);
        assert_eq!(&other[..4], &[2, 5, 8, 11]);
        // A name without a number still has a share of its own.
        let named = Workers::new(3, Some("pod-a".into())).preference(12);
        assert_eq!(named.len(), 12);
        assert!(named[..4].iter().all(|s| s % 3 == named[0] % 3));
    }

    #[test]
    fn a_batch_system_s_index_names_the_worker() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        assert_eq!(
            index_from_env(env(&[("JOB_COMPLETION_INDEX", "2")])),
            Some("2".into())
        );
        assert_eq!(
            index_from_env(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", " 7 ")])),
            Some("7".into())
        );
        assert_eq!(index_from_env(env(&[("JOB_COMPLETION_INDEX", "")])), None);
        assert_eq!(index_from_env(env(&[])), None);
    }

    #[test]
    fn a_name_s_number_is_its_last_digits() {
        assert_eq!(number_at_end("pod-12"), Some(12));
        assert_eq!(number_at_end("7"), Some(7));
        assert_eq!(number_at_end("w1x"), None);
        assert_eq!(number_at_end(""), None);
    }

    #[test]
    fn a_shared_run_has_at_least_four_segments_per_worker() {
        assert_eq!(Workers::new(3, None).segments(4), 12);
        assert_eq!(Workers::new(3, None).segments(20), 20);
        assert_eq!(Workers::new(0, None).segments(0), 4);
        assert!(!Workers::new(2, None).id.is_empty());
        assert_eq!(Workers::new(2, Some(" ".into())).id, default_id());
    }

    #[test]
    fn the_status_lists_workers_their_segments_and_takeovers() {
        let seg = |seg, worker: Option<&str>, until_ms, done, from: Option<&str>| SegmentView {
            seg,
            worker: worker.map(Into::into),
            until_ms,
            done,
            counts: Counts {
                selected: 10,
                changed: 10,
                ..Counts::default()
            },
            taken_from: from.map(Into::into),
        };
        let st = JobStatus {
            job: Job {
                id: "j1".into(),
                segments: 4,
                workers: 2,
                status: "running".into(),
                error: None,
            },
            segments: vec![
                seg(0, Some("w0"), 5_000, true, None),
                seg(1, Some("w1"), 500, false, None),
                seg(2, Some("w0"), 5_000, false, Some("w1")),
                seg(3, None, 0, false, None),
            ],
        };
        let lines = st.lines(1_000);
        assert_eq!(
            lines[0],
            "job j1: 4 segments, 1 done, 40 items done (selected 40, changed 40, unchanged 0, conflicts 0)"
        );
        assert!(
            lines[1].starts_with("worker w0: working on 2 (lease until ")
                && lines[1].ends_with("; finished 0"),
            "{lines:?}"
        );
        assert_eq!(
            lines[2],
            "worker w1: idle; lease expired on 1 (another worker takes it over)"
        );
        assert_eq!(lines[3], "not started: 3");
        assert_eq!(lines[4], "segment 2: taken over from w1 by w0");
    }

    #[test]
    fn a_run_in_one_process_is_told_to_join_the_workers() {
        let j = Job {
            id: "abc".into(),
            segments: 12,
            workers: 3,
            status: "running".into(),
            error: None,
        };
        let msg = j.refusal("001_x");
        assert!(
            msg.contains("job abc") && msg.contains("dyntui migrate run 001_x --workers 3"),
            "{msg}"
        );
    }
}
