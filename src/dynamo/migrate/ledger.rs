//! The ledger: one item per migration in the migrated table itself, so
//! every teammate sees the same state.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::exec::SegmentState;
use super::{LEDGER_PK, Migration};
use crate::dynamo::client::{Dynamo, KeyDef, KeyKind, TableInfo};
use crate::dynamo::error::AwsError;
use crate::dynamo::{AttributeValue, Item};

/// Counters of a run (summed over segments and resumed runs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub selected: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Conditional writes that failed because the item changed meanwhile.
    pub conflicts: u64,
    /// Items where a `set` template lacked a value (that op was skipped).
    #[serde(default)]
    pub incomplete: u64,
    /// Items deleted (a transform script's `{"_delete": true}`).
    #[serde(default)]
    pub deleted: u64,
    /// Items moved to a new primary key (counted in `changed` too).
    #[serde(default)]
    pub moved: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.selected += o.selected;
        self.changed += o.changed;
        self.unchanged += o.unchanged;
        self.conflicts += o.conflicts;
        self.incomplete += o.incomplete;
        self.deleted += o.deleted;
        self.moved += o.moved;
    }

    /// Items processed so far.
    pub fn done(&self) -> u64 {
        self.changed + self.unchanged + self.deleted
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "selected {}, changed {}, unchanged {}, conflicts {}",
            self.selected, self.changed, self.unchanged, self.conflicts
        )?;
        if self.deleted > 0 {
            write!(f, ", deleted {}", self.deleted)?;
        }
        if self.moved > 0 {
            write!(f, ", moved to a new key {}", self.moved)?;
        }
        if self.incomplete > 0 {
            write!(f, ", incomplete {}", self.incomplete)?;
        }
        Ok(())
    }
}

/// A ledger item.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub id: String,
    pub checksum: String,
    /// running, applied, failed, interrupted; reverting, reverted (down).
    pub status: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub counts: Counts,
    pub run_by: String,
    pub error: Option<String>,
}

/// Where ledger items live in a table.
#[derive(Debug, Clone)]
pub struct Ledger {
    table: String,
    pk: String,
    sk: Option<String>,
}

pub(crate) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

pub(crate) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

impl Ledger {
    /// The ledger of a table; its keys must be strings.
    pub fn new(info: &TableInfo) -> Result<Ledger, String> {
        let pk = info.pk.as_ref().ok_or_else(|| {
            format!(
                "table `{}` has no partition key in its description",
                info.name
            )
        })?;
        let string = |k: &KeyDef| k.kind == Some(KeyKind::S);
        if !string(pk) || info.sk.as_ref().is_some_and(|k| !string(k)) {
            return Err(format!(
                "table `{}`: the migrations ledger needs string (S) key attributes",
                info.name
            ));
        }
        Ok(Ledger {
            table: info.name.clone(),
            pk: pk.name.clone(),
            sk: info.sk.as_ref().map(|k| k.name.clone()),
        })
    }

    /// The key of a migration's ledger item.
    pub fn key(&self, id: &str) -> Item {
        let mut k = Item::new();
        match &self.sk {
            Some(sk) => {
                k.insert(self.pk.clone(), s(LEDGER_PK));
                k.insert(sk.clone(), s(id));
            }
            None => {
                k.insert(self.pk.clone(), s(&format!("{LEDGER_PK}#{id}")));
            }
        }
        k
    }

    /// The table the ledger lives in.
    pub(super) fn table(&self) -> &str {
        &self.table
    }

    /// True for ledger items (never selected for migration).
    pub fn is_ledger_item(&self, item: &Item) -> bool {
        matches!(item.get(&self.pk), Some(AttributeValue::S(v)) if v == LEDGER_PK || v.starts_with(&format!("{LEDGER_PK}#")))
    }

    pub async fn get(&self, db: &Dynamo, id: &str) -> Result<Option<LedgerEntry>, AwsError> {
        let item = db.get_item(&self.table, self.key(id)).await?;
        Ok(item.map(|it| {
            let st = |k: &str| match it.get(k) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            let counts = match it.get("counts") {
                Some(AttributeValue::M(m)) => {
                    let c = |k: &str| match m.get(k) {
                        Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
                        _ => 0,
                    };
                    Counts {
                        selected: c("selected"),
                        changed: c("changed"),
                        unchanged: c("unchanged"),
                        conflicts: c("conflicts"),
                        incomplete: c("incomplete"),
                        deleted: c("deleted"),
                        moved: c("moved"),
                    }
                }
                _ => Counts::default(),
            };
            LedgerEntry {
                id: st("id").unwrap_or_else(|| id.to_string()),
                checksum: st("checksum").unwrap_or_default(),
                status: st("status").unwrap_or_default(),
                started_at: st("startedAt").unwrap_or_default(),
                ended_at: st("endedAt"),
                counts,
                run_by: st("runBy").unwrap_or_default(),
                error: st("error"),
            }
        }))
    }

    pub(super) fn item_of(&self, e: &LedgerEntry) -> Item {
        let mut item = self.key(&e.id);
        item.insert("id".into(), s(&e.id));
        item.insert("checksum".into(), s(&e.checksum));
        item.insert("status".into(), s(&e.status));
        item.insert("startedAt".into(), s(&e.started_at));
        if let Some(t) = &e.ended_at {
            item.insert("endedAt".into(), s(t));
        }
        let c = &e.counts;
        let counts: HashMap<String, AttributeValue> = [
            ("selected", c.selected),
            ("changed", c.changed),
            ("unchanged", c.unchanged),
            ("conflicts", c.conflicts),
            ("incomplete", c.incomplete),
            ("deleted", c.deleted),
            ("moved", c.moved),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), n(v)))
        .collect();
        item.insert("counts".into(), AttributeValue::M(counts));
        item.insert("runBy".into(), s(&e.run_by));
        if let Some(err) = &e.error {
            item.insert("error".into(), s(err));
        }
        item
    }

    pub async fn put(&self, db: &Dynamo, e: &LedgerEntry) -> Result<(), AwsError> {
        db.client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item_of(e)))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&self.table)))?;
        Ok(())
    }

    /// The item of a run's start or end: the entry, and the run that holds
    /// (or held) the claim.
    fn item_with_lease(&self, e: &LedgerEntry, lease: &RunLease) -> Item {
        let mut item = self.item_of(e);
        item.insert("runId".into(), s(&lease.run_id));
        item.insert("leaseUntil".into(), n(lease.until_ms));
        item
    }

    /// The run that holds a migration's claim, as the ledger says.
    pub async fn lease(&self, db: &Dynamo, id: &str) -> Result<Option<RunLease>, AwsError> {
        let item = db.get_item(&self.table, self.key(id)).await?;
        Ok(item.and_then(|it| {
            let run_id = match it.get("runId") {
                Some(AttributeValue::S(v)) => v.clone(),
                _ => return None,
            };
            let until_ms = match it.get("leaseUntil") {
                Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
                _ => 0,
            };
            Some(RunLease { run_id, until_ms })
        }))
    }

    /// Records the start of a run, unless another run of the same migration
    /// is recorded as running. Each run has its own id and a lease that it
    /// renews ([`Ledger::renew`]); a run whose lease has expired died
    /// without recording its end, and `force` takes it over. A live run is
    /// never taken over, forced or not. `dead_runs`: runs of this process
    /// that ended without recording their end (they may be taken over
    /// without `force`).
    pub async fn claim(
        &self,
        db: &Dynamo,
        e: &LedgerEntry,
        run_key: &str,
        lease: &RunLease,
        force: bool,
        dead_runs: &[String],
    ) -> Result<(), String> {
        let mut cond = "attribute_not_exists(#s) OR NOT (#s IN (:running, :reverting))".to_string();
        let mut req = db
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item_with_lease(e, lease)))
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":running", s("running"))
            .expression_attribute_values(":reverting", s("reverting"));
        let dead: Vec<&String> = dead_runs.iter().rev().take(50).collect();
        if !dead.is_empty() {
            let names: Vec<String> = (0..dead.len()).map(|i| format!(":dead{i}")).collect();
            cond.push_str(&format!(" OR #rid IN ({})", names.join(", ")));
            req = req.expression_attribute_names("#rid", "runId");
            for (name, id) in names.iter().zip(dead) {
                req = req.expression_attribute_values(name, s(id));
            }
        }
        if force {
            // A run shared by workers is joined (`--workers`), never forced.
            cond.push_str(
                " OR ((attribute_not_exists(#lease) OR #lease < :now) AND attribute_not_exists(#job))",
            );
            req = req
                .expression_attribute_names("#lease", "leaseUntil")
                .expression_attribute_names("#job", "jobId")
                .expression_attribute_values(":now", n(now_ms()));
        }
        match req.condition_expression(cond).send().await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                let other = self.get(db, &e.id).await.ok().flatten();
                let other_lease = self.lease(db, &e.id).await.ok().flatten();
                if other_lease
                    .as_ref()
                    .is_some_and(|l| l.run_id == lease.run_id)
                {
                    // This claim was sent again after its answer was lost:
                    // it is ours.
                    return Ok(());
                }
                if let Ok(Some(job)) = self.job(db, &e.id).await {
                    return Err(job.refusal(&e.id));
                }
                let done = match self.load_progress(db, run_key).await {
                    Ok(Some(ps)) => ps.iter().map(|p| p.state.counts.done()).sum(),
                    _ => 0,
                };
                Err(match other {
                    Some(o) => {
                        claim_refusal(&e.id, &o, other_lease.as_ref(), force, now_ms(), done)
                    }
                    None => format!(
                        "migration {}: the ledger changed meanwhile; try again",
                        e.id
                    ),
                })
            }
            Err(err) => Err(AwsError::from_sdk(err, db.context(), Some(&self.table)).to_string()),
        }
    }

    /// Extends a run's lease; `Ok(false)` when another run holds the claim
    /// now (it took this one over).
    pub async fn renew(&self, db: &Dynamo, id: &str, lease: &RunLease) -> Result<bool, AwsError> {
        let r = db
            .client()
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(id)))
            .update_expression("SET #lease = :until")
            .condition_expression("#rid = :rid")
            .expression_attribute_names("#lease", "leaseUntil")
            .expression_attribute_names("#rid", "runId")
            .expression_attribute_values(":until", n(lease.until_ms))
            .expression_attribute_values(":rid", s(&lease.run_id))
            .send()
            .await;
        conditional(r, db, &self.table)
    }

    /// Records a run's end, if the run still holds the claim (its lease
    /// ends now). `Ok(false)` when another run took it over.
    pub async fn finish(
        &self,
        db: &Dynamo,
        e: &LedgerEntry,
        run_id: &str,
    ) -> Result<bool, AwsError> {
        let lease = RunLease {
            run_id: run_id.to_string(),
            until_ms: now_ms(),
        };
        let r = db
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item_with_lease(e, &lease)))
            .condition_expression("#rid = :rid")
            .expression_attribute_names("#rid", "runId")
            .expression_attribute_values(":rid", s(run_id))
            .send()
            .await;
        conditional(r, db, &self.table)
    }

    pub(super) fn progress_key(&self, run_key: &str, seg: u32) -> Item {
        self.key(&format!("{run_key}#progress#{seg}"))
    }

    /// Saves one segment's progress where any machine can read it. Only the
    /// run that holds the claim writes it (`take_over` rewrites a dead
    /// run's records as this run's). `Ok(false)`: another run owns it now.
    pub async fn put_progress(
        &self,
        db: &Dynamo,
        run_key: &str,
        p: &Progress,
        take_over: bool,
    ) -> Result<bool, AwsError> {
        let state = serde_json::to_string(&p.state)
            .map_err(|e| AwsError::new("ProgressNotSaved", e.to_string()))?;
        if state.len() > PROGRESS_LIMIT {
            return Err(AwsError::new(
                "ProgressTooLarge",
                format!(
                    "the progress of segment {} is {} KB, over the {} KB a ledger item can hold; run with a smaller page size",
                    p.seg,
                    state.len() / 1024,
                    PROGRESS_LIMIT / 1024
                ),
            ));
        }
        let mut item = self.progress_key(run_key, p.seg);
        item.insert("id".into(), s(run_key));
        item.insert("seg".into(), n(u64::from(p.seg)));
        item.insert("total".into(), n(u64::from(p.total)));
        item.insert("checksum".into(), s(&p.checksum));
        item.insert("startedAt".into(), s(&p.started_at));
        item.insert("runId".into(), s(&p.run_id));
        item.insert("state".into(), s(&state));
        item.insert("done".into(), AttributeValue::Bool(p.state.done));
        if let Some(l) = &p.lease {
            item.insert("worker".into(), s(&l.worker));
            item.insert("leaseUntil".into(), n(l.until_ms));
            if let Some(from) = &l.taken_from {
                item.insert("takenFrom".into(), s(from));
            }
        }
        let mut req = db
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if !take_over {
            req = req
                .condition_expression("attribute_not_exists(#rid) OR #rid = :rid")
                .expression_attribute_names("#rid", "runId")
                .expression_attribute_values(":rid", s(&p.run_id));
        }
        conditional(req.send().await, db, &self.table)
    }

    /// The progress of every segment of a run, if the ledger has a
    /// complete set (one lineage: the same start, file and segment count).
    pub async fn load_progress(
        &self,
        db: &Dynamo,
        run_key: &str,
    ) -> Result<Option<Vec<Progress>>, String> {
        let first = match self.get_progress(db, run_key, 0).await? {
            Some(p) => p,
            None => return Ok(None),
        };
        let mut all = vec![first];
        for seg in 1..all[0].total {
            match self.get_progress(db, run_key, seg).await? {
                Some(p)
                    if p.total == all[0].total
                        && p.started_at == all[0].started_at
                        && p.checksum == all[0].checksum =>
                {
                    all.push(p)
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(all))
    }

    pub(crate) async fn get_progress(
        &self,
        db: &Dynamo,
        run_key: &str,
        seg: u32,
    ) -> Result<Option<Progress>, String> {
        let item = db
            .get_item(&self.table, self.progress_key(run_key, seg))
            .await
            .map_err(|e| e.to_string())?;
        let Some(it) = item else { return Ok(None) };
        let st = |k: &str| match it.get(k) {
            Some(AttributeValue::S(v)) => v.clone(),
            _ => String::new(),
        };
        let num = |k: &str| match it.get(k) {
            Some(AttributeValue::N(v)) => v.parse::<u32>().ok(),
            _ => None,
        };
        let state = serde_json::from_str(&st("state")).map_err(|e| {
            format!("the ledger's progress of {run_key} (segment {seg}) is not readable: {e}")
        })?;
        let lease = match it.get("worker") {
            Some(AttributeValue::S(w)) => Some(SegmentLease {
                worker: w.clone(),
                until_ms: match it.get("leaseUntil") {
                    Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
                    _ => 0,
                },
                taken_from: match it.get("takenFrom") {
                    Some(AttributeValue::S(v)) => Some(v.clone()),
                    _ => None,
                },
            }),
            _ => None,
        };
        Ok(Some(Progress {
            seg: num("seg").unwrap_or(seg),
            total: num("total").unwrap_or(0),
            checksum: st("checksum"),
            started_at: st("startedAt"),
            run_id: st("runId"),
            state,
            lease,
        }))
    }

    /// Deletes what is left of an earlier lineage's progress records.
    pub async fn clear_stale_progress(&self, db: &Dynamo, run_key: &str) -> Result<(), String> {
        if let Some(first) = self.get_progress(db, run_key, 0).await? {
            self.clear_progress(db, run_key, first.total.max(1)).await?;
        }
        Ok(())
    }

    /// Deletes a run's progress records (segments `0..total`).
    pub async fn clear_progress(
        &self,
        db: &Dynamo,
        run_key: &str,
        total: u32,
    ) -> Result<(), String> {
        for seg in 0..total {
            db.client()
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(self.progress_key(run_key, seg)))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&self.table)).to_string())?;
        }
        Ok(())
    }
}

/// A conditional write's outcome: `Ok(false)` when its condition failed.
pub(super) fn conditional<T, E, R>(
    r: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    db: &Dynamo,
    table: &str,
) -> Result<bool, AwsError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    match r {
        Ok(_) => Ok(true),
        Err(err)
            if err.as_service_error().and_then(|e| e.code())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(err) => Err(AwsError::from_sdk(err, db.context(), Some(table))),
    }
}

/// The largest segment state a progress record holds (a ledger item is at
/// most 400 KB).
const PROGRESS_LIMIT: usize = 300 * 1024;

/// One segment's progress in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub seg: u32,
    pub total: u32,
    /// The file's checksum and the start of the run lineage (a resumed or
    /// taken-over run keeps both).
    pub checksum: String,
    pub started_at: String,
    /// The run that wrote it.
    pub run_id: String,
    pub state: SegmentState,
    /// The worker that holds the segment (a run shared by workers).
    pub lease: Option<SegmentLease>,
}

/// A worker's hold on one segment of a shared run, renewed while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentLease {
    /// The worker's name (`--worker-id`).
    pub worker: String,
    /// Milliseconds since the epoch.
    pub until_ms: u64,
    /// The worker that held the segment before, when its lease expired
    /// and this worker took the segment over.
    pub taken_from: Option<String>,
}

/// The run that holds a migration's claim and until when (milliseconds
/// since the epoch) unless it renews its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLease {
    pub run_id: String,
    pub until_ms: u64,
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(super) fn time_of_ms(ms: u64) -> String {
    aws_smithy_types::DateTime::from_millis(ms as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// Why a claim was refused, and what to do.
fn claim_refusal(
    id: &str,
    o: &LedgerEntry,
    lease: Option<&RunLease>,
    force: bool,
    now: u64,
    done: u64,
) -> String {
    match lease {
        Some(l) if l.until_ms > now => format!(
            "migration {id} is {} by {} (run {}, started {}): another run is in progress; its lease is renewed until {} ({} s from now). Two runs of one migration never run at once{}: wait for it to end, or stop it.",
            o.status,
            o.run_by,
            l.run_id,
            o.started_at,
            time_of_ms(l.until_ms),
            (l.until_ms - now).div_ceil(1000),
            if force {
                ", and --force does not take over a live run"
            } else {
                ""
            }
        ),
        _ => format!(
            "migration {id} is {} since {} by {}{} in the ledger, but {}: that run died without recording its end. Run again with --force to take it over: the new run resumes from the dead run's progress in the ledger ({} items done), and items it already wrote are not changed again.",
            o.status,
            o.started_at,
            o.run_by,
            lease
                .map(|l| format!(" (run {})", l.run_id))
                .unwrap_or_default(),
            match lease {
                Some(l) => format!("its lease expired at {}", time_of_ms(l.until_ms)),
                None => "it has no lease".to_string(),
            },
            done
        ),
    }
}

/// What the status listing says of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Pending,
    Running,
    Applied,
    /// Applied, but the file was edited since (its checksum differs).
    Changed,
    Failed,
    Interrupted,
    /// Its down part ran: pending again.
    Reverted,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "pending",
            FileStatus::Running => "running",
            FileStatus::Applied => "applied",
            FileStatus::Changed => "changed",
            FileStatus::Failed => "failed",
            FileStatus::Interrupted => "interrupted",
            FileStatus::Reverted => "reverted",
        }
    }

    /// Whether `up` runs it.
    pub fn pending(self) -> bool {
        !matches!(self, FileStatus::Applied | FileStatus::Changed)
    }
}

pub fn file_status(m: &Migration, entry: Option<&LedgerEntry>) -> FileStatus {
    match entry.map(|e| e.status.as_str()) {
        None => FileStatus::Pending,
        Some("applied") if entry.is_some_and(|e| e.checksum != m.checksum) => FileStatus::Changed,
        Some("applied") => FileStatus::Applied,
        Some("running" | "reverting") => FileStatus::Running,
        Some("reverted") => FileStatus::Reverted,
        Some("failed") => FileStatus::Failed,
        Some("interrupted") => FileStatus::Interrupted,
        Some(_) => FileStatus::Pending,
    }
}

/// Each migration with its ledger entry and status.
pub async fn status(
    db: &Dynamo,
    info: &TableInfo,
    migrations: &[Migration],
) -> Result<Vec<(FileStatus, Option<LedgerEntry>)>, String> {
    let ledger = Ledger::new(info)?;
    let mut out = Vec::new();
    for m in migrations {
        let e = ledger.get(db, &m.id).await.map_err(|e| e.to_string())?;
        out.push((file_status(m, e.as_ref()), e));
    }
    Ok(out)
}
