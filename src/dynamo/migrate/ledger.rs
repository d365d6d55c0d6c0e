//! The ledger: one item per migration in the migrated table itself, so
//! every teammate sees the same state.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{LEDGER_PK, Migration};
use crate::dynamo::client::{Dynamo, TableInfo};
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
        if pk.kind != "S" || info.sk.as_ref().is_some_and(|k| k.kind != "S") {
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

    fn item_of(&self, e: &LedgerEntry) -> Item {
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

    /// Records the start of a run, unless another run of the same migration
    /// is recorded as running (a run that resumes its own start, with the
    /// same `startedAt`, may go on). Two teammates cannot run one migration
    /// at once; a run that died leaves `running`, which `force` overrides.
    pub async fn claim(&self, db: &Dynamo, e: &LedgerEntry, force: bool) -> Result<(), String> {
        let mut req = db
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(self.item_of(e)));
        if !force {
            req = req
                .condition_expression(
                    "attribute_not_exists(#s) OR NOT (#s IN (:running, :reverting)) OR #t = :t",
                )
                .expression_attribute_names("#s", "status")
                .expression_attribute_names("#t", "startedAt")
                .expression_attribute_values(":running", s("running"))
                .expression_attribute_values(":reverting", s("reverting"))
                .expression_attribute_values(":t", s(&e.started_at));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                let other = self.get(db, &e.id).await.ok().flatten();
                Err(match other {
                    Some(o) => format!(
                        "migration {} is {} since {} by {} in the ledger: another run is in progress, or one died without recording its end; if none is running, run again with --force",
                        e.id, o.status, o.started_at, o.run_by
                    ),
                    None => format!(
                        "migration {}: the ledger changed meanwhile; try again",
                        e.id
                    ),
                })
            }
            Err(err) => Err(AwsError::from_sdk(err, db.context(), Some(&self.table)).to_string()),
        }
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
