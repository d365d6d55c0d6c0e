//! Declarative data migrations: a folder of `NNN_name.toml` files, each
//! selecting items (entity type, sort-key prefix, filter language) and
//! listing operations (`set` from a template over the item's attributes,
//! `rename`, `remove`, `copy`). Applied with a parallel Scan and one
//! conditional PutItem per changed item (the condition: the item is exactly
//! as read, otherwise it is re-read and the operations re-applied). A ledger
//! of runs lives in the table itself, under the partition key value
//! `_dyntui#migrations`, and a checkpoint per scan segment in the state dir
//! lets a stopped run resume where it stopped.
//!
//! Not here yet: script migrations, down migrations and the TUI view.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use futures::StreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::client::{Dynamo, TableInfo};
use super::entity::KeyTemplate;
use super::error::AwsError;
use super::request::{Filter, ItemsRequest};
use super::seed::{RateLimiter, WriteOptions, backoff};
use super::{AttributeValue, Item, value};

/// The partition key value of ledger items (tables with a sort key), and the
/// prefix of it (tables without one: `_dyntui#migrations#<id>`).
pub const LEDGER_PK: &str = "_dyntui#migrations";

/// How many items a dry run shows a diff for.
pub const DIFF_LIMIT: usize = 20;

// ------------------------------------------------------------------- files

/// A migration file error that names where it is.
pub type MigrationError = super::error::FileError;

/// FNV-1a, 64 bits, over the file's bytes, as 16 hex digits: stable across
/// platforms and versions (SHA-256 is not among the dependencies, and this
/// detects edits, which is all the ledger needs; it is not a security check).
pub fn checksum(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Which items a migration touches (all given conditions must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Value of the type attribute.
    pub type_value: Option<String>,
    /// Prefix of the sort key (of the partition key on tables without one).
    pub key_prefix: Option<String>,
    pub filter: Option<Filter>,
}

/// One operation, applied in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Set an attribute to a template rendered over the item's own
    /// attributes (string and number values).
    Set {
        attribute: String,
        template: KeyTemplate,
    },
    Rename {
        from: String,
        to: String,
    },
    Remove {
        attribute: String,
    },
    Copy {
        from: String,
        to: String,
    },
}

impl Op {
    /// Attributes the op writes.
    fn targets(&self) -> Vec<&str> {
        match self {
            Op::Set { attribute, .. } | Op::Remove { attribute } => vec![attribute],
            Op::Rename { from, to } => vec![from, to],
            Op::Copy { to, .. } => vec![to],
        }
    }

    /// Attributes the op reads or writes.
    fn touched(&self) -> Vec<&str> {
        match self {
            Op::Set {
                attribute,
                template,
            } => std::iter::once(attribute.as_str())
                .chain(template.params())
                .collect(),
            Op::Remove { attribute } => vec![attribute],
            Op::Rename { from, to } | Op::Copy { from, to } => vec![from, to],
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Op::Set {
                attribute,
                template,
            } => format!("set {attribute} = {}", template.source()),
            Op::Rename { from, to } => format!("rename {from} -> {to}"),
            Op::Remove { attribute } => format!("remove {attribute}"),
            Op::Copy { from, to } => format!("copy {from} -> {to}"),
        }
    }
}

/// One migration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The file name without `.toml`: `001_add_gsi2`.
    pub id: String,
    /// The leading number: 1.
    pub number: u64,
    pub path: PathBuf,
    pub description: String,
    pub checksum: String,
    pub select: Selection,
    pub ops: Vec<Op>,
    /// (line, column) of each op, for messages.
    op_positions: Vec<(usize, usize)>,
}

impl Migration {
    /// True when `want` names this migration: the id, or its number (`1`, `001`).
    pub fn matches(&self, want: &str) -> bool {
        self.id == want || want.parse::<u64>().is_ok_and(|n| n == self.number)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRaw {
    description: Option<String>,
    select: Option<Spanned<SelectRaw>>,
    #[serde(default)]
    op: Vec<Spanned<OpRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectRaw {
    #[serde(rename = "type")]
    type_value: Option<Spanned<String>>,
    key_prefix: Option<Spanned<String>>,
    filter: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpRaw {
    set: Option<SetRaw>,
    rename: Option<FromTo>,
    remove: Option<RemoveRaw>,
    copy: Option<FromTo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRaw {
    attribute: Spanned<String>,
    template: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTo {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveRaw {
    attribute: Spanned<String>,
}

/// The id and number of a file name `NNN_name.toml`.
fn id_of(path: &Path) -> Option<(String, u64)> {
    let name = path.file_name()?.to_str()?;
    let id = name.strip_suffix(".toml")?;
    let digits: String = id.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &id[digits.len()..];
    if digits.is_empty() || !(rest.is_empty() || rest.starts_with('_')) {
        return None;
    }
    Some((id.to_string(), digits.parse().ok()?))
}

/// Parses one migration file's text; `file` names it in errors.
pub fn parse(file: &str, id: &str, number: u64, bytes: &[u8]) -> Result<Migration, MigrationError> {
    let src = std::str::from_utf8(bytes)
        .map_err(|e| MigrationError::at(file, "", None, format!("not UTF-8: {e}")))?;
    let raw: FileRaw = toml::from_str(src).map_err(|e| {
        MigrationError::at(
            file,
            src,
            e.span().map(|s| s.start),
            e.message().trim().to_string(),
        )
    })?;
    let err = |span: std::ops::Range<usize>, m: String| {
        MigrationError::at(file, src, Some(span.start), m)
    };
    let nonempty = |s: &Spanned<String>, what: &str| -> Result<String, MigrationError> {
        if s.get_ref().is_empty() {
            Err(err(s.span(), format!("{what} is empty")))
        } else {
            Ok(s.get_ref().clone())
        }
    };
    let Some(sel) = raw.select else {
        return Err(MigrationError::at(
            file,
            src,
            None,
            "missing [select] (an empty [select] table selects every item)",
        ));
    };
    let sel_raw = sel.get_ref();
    let filter = match &sel_raw.filter {
        None => None,
        Some(f) => Some(Filter::parse(f.get_ref()).map_err(|m| {
            // "column N: ..." is relative to the filter text, inside its quote.
            let (off, msg) = match m
                .strip_prefix("column ")
                .and_then(|r| r.split_once(": "))
                .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest)))
            {
                Some((n, rest)) => (f.span().start + n, rest.to_string()),
                None => (f.span().start, m.clone()),
            };
            MigrationError::at(file, src, Some(off), format!("select.filter: {msg}"))
        })?),
    };
    let select = Selection {
        type_value: sel_raw
            .type_value
            .as_ref()
            .map(|t| nonempty(t, "select.type"))
            .transpose()?,
        key_prefix: sel_raw
            .key_prefix
            .as_ref()
            .map(|t| nonempty(t, "select.key_prefix"))
            .transpose()?,
        filter,
    };
    if raw.op.is_empty() {
        return Err(MigrationError::at(
            file,
            src,
            None,
            "no [[op]]: a migration needs at least one operation",
        ));
    }
    let mut ops = Vec::new();
    let mut op_positions = Vec::new();
    for o in &raw.op {
        let r = o.get_ref();
        let n = usize::from(r.set.is_some())
            + usize::from(r.rename.is_some())
            + usize::from(r.remove.is_some())
            + usize::from(r.copy.is_some());
        if n != 1 {
            return Err(err(
                o.span(),
                format!("an [[op]] needs exactly one of set, rename, remove, copy (found {n})"),
            ));
        }
        let op = if let Some(s) = &r.set {
            let attribute = nonempty(&s.attribute, "set.attribute")?;
            let template = KeyTemplate::parse(s.template.get_ref()).map_err(|e| {
                // Point at the offending character inside the quotes.
                use super::entity::TemplateError as T;
                let start = s.template.span().start;
                let at = match &e {
                    T::UnclosedBrace { offset, .. }
                    | T::UnmatchedCloseBrace { offset, .. }
                    | T::EmptyParam { offset, .. }
                    | T::InvalidParamChar { offset, .. }
                    | T::AdjacentParams { offset, .. } => start + 1 + offset,
                    _ => start,
                };
                MigrationError::at(file, src, Some(at), e.to_string())
            })?;
            Op::Set {
                attribute,
                template,
            }
        } else if let Some(f) = &r.rename {
            let (from, to) = (
                nonempty(&f.from, "rename.from")?,
                nonempty(&f.to, "rename.to")?,
            );
            if from == to {
                return Err(err(
                    f.to.span(),
                    "rename.to is the same as rename.from".into(),
                ));
            }
            Op::Rename { from, to }
        } else if let Some(f) = &r.copy {
            let (from, to) = (nonempty(&f.from, "copy.from")?, nonempty(&f.to, "copy.to")?);
            if from == to {
                return Err(err(f.to.span(), "copy.to is the same as copy.from".into()));
            }
            Op::Copy { from, to }
        } else if let Some(rm) = &r.remove {
            Op::Remove {
                attribute: nonempty(&rm.attribute, "remove.attribute")?,
            }
        } else {
            unreachable!("exactly one op kind is present")
        };
        ops.push(op);
        op_positions.push(super::error::line_col(src, o.span().start));
    }
    Ok(Migration {
        id: id.to_string(),
        number,
        path: PathBuf::from(file),
        description: raw.description.unwrap_or_default(),
        checksum: checksum(bytes),
        select,
        ops,
        op_positions,
    })
}

/// Loads every `NNN_name.toml` of a folder, ordered by number. Every file is
/// checked; any error (bad file, duplicate number, other files that look
/// like migrations) means no migration is returned.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, Vec<MigrationError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![MigrationError {
            file: dir.display().to_string(),
            line: None,
            column: None,
            message: format!("cannot read the migrations folder: {e}"),
        }]
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut numbers: BTreeMap<u64, String> = BTreeMap::new();
    for p in paths {
        let file = p.display().to_string();
        let Some((id, number)) = id_of(&p) else {
            errors.push(MigrationError::at(
                &file,
                "",
                None,
                "a migration file is named NNN_name.toml (e.g. 001_add_gsi2.toml)",
            ));
            continue;
        };
        if let Some(other) = numbers.insert(number, id.clone()) {
            errors.push(MigrationError::at(
                &file,
                "",
                None,
                format!("migration number {number} is also used by {other}.toml"),
            ));
            continue;
        }
        match std::fs::read(&p) {
            Err(e) => errors.push(MigrationError::at(
                &file,
                "",
                None,
                format!("cannot read: {e}"),
            )),
            Ok(bytes) => match parse(&file, &id, number, &bytes) {
                Ok(m) => out.push(m),
                Err(e) => errors.push(e),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.sort_by_key(|m| m.number);
    Ok(out)
}

/// Checks a migration against the table: its ops never write key attributes.
pub fn check_against(m: &Migration, info: &TableInfo) -> Result<(), MigrationError> {
    let keys: Vec<&str> = info
        .pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| k.name.as_str())
        .collect();
    for (op, (line, col)) in m.ops.iter().zip(&m.op_positions) {
        if let Some(k) = op.targets().into_iter().find(|t| keys.contains(t)) {
            return Err(MigrationError {
                file: m.path.display().to_string(),
                line: Some(*line),
                column: Some(*col),
                message: format!(
                    "`{}` would change the key attribute `{k}` of `{}` (a key cannot be changed in place)",
                    op.describe(),
                    info.name
                ),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- transform

fn text_of(av: &AttributeValue) -> Option<String> {
    match av {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.clone()),
        _ => None,
    }
}

/// The item after the ops, and whether some `set` had no value for a
/// template parameter (that op is then skipped for this item).
pub fn apply_ops(ops: &[Op], item: &Item) -> (Item, bool) {
    let mut out = item.clone();
    let mut incomplete = false;
    for op in ops {
        match op {
            Op::Set {
                attribute,
                template,
            } => match template.render(|p| out.get(p).and_then(text_of)) {
                Ok(v) => {
                    out.insert(attribute.clone(), AttributeValue::S(v));
                }
                Err(_) => incomplete = true,
            },
            Op::Rename { from, to } => {
                if let Some(v) = out.remove(from) {
                    out.insert(to.clone(), v);
                }
            }
            Op::Remove { attribute } => {
                out.remove(attribute);
            }
            Op::Copy { from, to } => {
                if let Some(v) = out.get(from).cloned() {
                    out.insert(to.clone(), v);
                }
            }
        }
    }
    (out, incomplete)
}

/// One attribute that differs: (name, before, after) as text.
pub type AttrDiff = (String, Option<String>, Option<String>);

/// Attributes that differ between two items, by name.
pub fn diff(before: &Item, after: &Item) -> Vec<AttrDiff> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .map(|n| {
            (
                n.clone(),
                before.get(n).map(|v| value::cell_text(v, 80)),
                after.get(n).map(|v| value::cell_text(v, 80)),
            )
        })
        .collect()
}

/// An item's diff for a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDiff {
    /// The key as text (`PK=..., SK=...`).
    pub key: String,
    pub changes: Vec<AttrDiff>,
}

impl fmt::Display for ItemDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.key)?;
        for (n, b, a) in &self.changes {
            writeln!(
                f,
                "  {n}: {} -> {}",
                b.as_deref().unwrap_or("(absent)"),
                a.as_deref().unwrap_or("(absent)")
            )?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------- ledger

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
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.selected += o.selected;
        self.changed += o.changed;
        self.unchanged += o.unchanged;
        self.conflicts += o.conflicts;
        self.incomplete += o.incomplete;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "selected {}, changed {}, unchanged {}, conflicts {}",
            self.selected, self.changed, self.unchanged, self.conflicts
        )?;
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
    /// running, applied, failed or interrupted.
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

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn now() -> String {
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

    pub async fn put(&self, db: &Dynamo, e: &LedgerEntry) -> Result<(), AwsError> {
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
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), n(v)))
        .collect();
        item.insert("counts".into(), AttributeValue::M(counts));
        item.insert("runBy".into(), s(&e.run_by));
        if let Some(err) = &e.error {
            item.insert("error".into(), s(err));
        }
        db.client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&self.table)))?;
        Ok(())
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
        Some("running") => FileStatus::Running,
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

// --------------------------------------------------------------- checkpoint

/// Progress of one scan segment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentState {
    /// LastEvaluatedKey after the last page processed (DynamoDB JSON).
    pub next: Option<serde_json::Value>,
    pub done: bool,
    pub counts: Counts,
}

/// A real run's progress in the state dir, so a stopped run resumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationCheckpoint {
    pub table: String,
    pub id: String,
    pub checksum: String,
    pub started_at: String,
    pub segments: Vec<SegmentState>,
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

    /// The checkpoint of exactly this table, migration and file content.
    pub fn load(dir: &Path, table: &str, m: &Migration) -> Option<MigrationCheckpoint> {
        let text = std::fs::read_to_string(Self::path(dir, table, &m.id)).ok()?;
        serde_json::from_str::<MigrationCheckpoint>(&text)
            .ok()
            .filter(|c| c.table == table && c.id == m.id && c.checksum == m.checksum)
            .filter(|c| !c.segments.is_empty())
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = Self::path(dir, &self.table, &self.id);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
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

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// Parallel scan segments.
    pub segments: u32,
    /// Read and transform only.
    pub dry_run: bool,
    /// The attribute `select.type` compares with.
    pub type_attribute: String,
    /// Scan page size (None = DynamoDB's 1 MB pages).
    pub page_size: Option<i32>,
    /// Items of a page processed at once (per segment).
    pub concurrency: usize,
    /// Re-reads after a conflicting write before giving up.
    pub max_conflict_retries: u32,
    /// Backoff of throttled requests (max_retries, base_backoff, max_backoff;
    /// rate_limit_wcu limits the puts).
    pub write: WriteOptions,
    /// Where checkpoints live (None = no resume).
    pub state_dir: Option<PathBuf>,
    /// `runBy` in the ledger.
    pub run_by: String,
    pub hook: Option<PageHook>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            segments: 4,
            dry_run: false,
            type_attribute: "Type".into(),
            page_size: None,
            concurrency: 8,
            max_conflict_retries: 5,
            write: WriteOptions::default(),
            state_dir: None,
            run_by: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            hook: None,
        }
    }
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("segments", &self.segments)
            .field("dry_run", &self.dry_run)
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
    pub counts: Counts,
    /// Up to [`DIFF_LIMIT`] changed items (dry run and real run).
    pub diffs: Vec<ItemDiff>,
    pub stopped: bool,
    pub resumed: bool,
    pub dry_run: bool,
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The scan filter: type, key prefix and the file's filter, all pushed down.
pub fn scan_filter(
    m: &Migration,
    info: &TableInfo,
    type_attribute: &str,
) -> Result<Option<Filter>, String> {
    let mut parts = Vec::new();
    if let Some(t) = &m.select.type_value {
        parts.push(format!("{} = {}", quote(type_attribute), quote(t)));
    }
    if let Some(p) = &m.select.key_prefix {
        let key = info
            .sk
            .as_ref()
            .or(info.pk.as_ref())
            .ok_or("the table has no key schema")?;
        parts.push(format!("{} begins_with {}", quote(&key.name), quote(p)));
    }
    if let Some(f) = &m.select.filter {
        parts.push(f.source.clone());
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Filter::parse(&parts.join(" and ")).map(Some)
}

fn is_throttle(e: &AwsError) -> bool {
    matches!(
        e.code.as_str(),
        "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded"
    )
}

/// Runs `f` again on throttling, with backoff and jitter.
async fn retry<T, F, Fut>(opts: &WriteOptions, mut f: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if is_throttle(&e) && attempt < opts.max_retries => {
                tokio::time::sleep(backoff(opts, attempt)).await;
                attempt += 1;
            }
            r => return r,
        }
    }
}

struct Ctx<'a> {
    db: &'a Dynamo,
    info: &'a TableInfo,
    m: &'a Migration,
    opts: &'a RunOptions,
    ledger: &'a Ledger,
    limiter: Option<RateLimiter>,
    diffs: Mutex<Vec<ItemDiff>>,
}

enum PutError {
    Conflict,
    Aws(AwsError),
}

fn key_text(info: &TableInfo, item: &Item) -> String {
    info.pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| {
            format!(
                "{}={}",
                k.name,
                item.get(&k.name)
                    .map(|v| value::cell_text(v, 80))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Ctx<'_> {
    fn record_diff(&self, before: &Item, after: &Item) {
        let mut d = self.diffs.lock().unwrap_or_else(|e| e.into_inner());
        if d.len() < DIFF_LIMIT {
            d.push(ItemDiff {
                key: key_text(self.info, before),
                changes: diff(before, after),
            });
        }
    }

    /// UpdateItem from `before` to `after` (SET what changed, REMOVE what
    /// went), on condition that the item is still `before`: every attribute
    /// read is equal, and every attribute the ops touch that was absent is
    /// still absent. An update names only the attributes it changes, so an
    /// attribute another writer added meanwhile survives.
    async fn put_if_unchanged(&self, before: &Item, after: &Item) -> Result<(), PutError> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut conds = Vec::new();
        let mut attrs: Vec<&String> = before.keys().collect();
        attrs.sort();
        for (i, a) in attrs.into_iter().enumerate() {
            names.insert(format!("#a{i}"), a.clone());
            values.insert(format!(":v{i}"), before[a].clone());
            conds.push(format!("#a{i} = :v{i}"));
        }
        let mut absent: Vec<&str> = self
            .m
            .ops
            .iter()
            .flat_map(Op::touched)
            .filter(|a| !before.contains_key(*a))
            .collect();
        absent.sort();
        absent.dedup();
        for (i, a) in absent.into_iter().enumerate() {
            names.insert(format!("#n{i}"), a.to_string());
            conds.push(format!("attribute_not_exists(#n{i})"));
        }
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        let mut changed: Vec<&String> = after
            .keys()
            .filter(|a| before.get(*a) != after.get(*a))
            .collect();
        changed.sort();
        for (i, a) in changed.into_iter().enumerate() {
            names.insert(format!("#u{i}"), a.clone());
            values.insert(format!(":u{i}"), after[a].clone());
            sets.push(format!("#u{i} = :u{i}"));
        }
        let mut gone: Vec<&String> = before.keys().filter(|a| !after.contains_key(*a)).collect();
        gone.sort();
        for (i, a) in gone.into_iter().enumerate() {
            names.insert(format!("#r{i}"), a.clone());
            removes.push(format!("#r{i}"));
        }
        let mut update = String::new();
        if !sets.is_empty() {
            update.push_str(&format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            if !update.is_empty() {
                update.push(' ');
            }
            update.push_str(&format!("REMOVE {}", removes.join(", ")));
        }
        let key = self.info.key_of(before).ok_or_else(|| {
            PutError::Aws(AwsError::new(
                "InvalidItem",
                "the item has no complete primary key",
            ))
        })?;
        if let Some(l) = &self.limiter {
            l.acquire(super::itemfile::item_size(after).div_ceil(1024).max(1) as f64)
                .await;
        }
        let table = &self.info.name;
        let mut attempt = 0;
        loop {
            let r = self
                .db
                .client()
                .update_item()
                .table_name(table)
                .set_key(Some(key.clone()))
                .update_expression(&update)
                .condition_expression(conds.join(" AND "))
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values((!values.is_empty()).then(|| values.clone()))
                .return_consumed_capacity(ReturnConsumedCapacity::None)
                .send()
                .await;
            match r {
                Ok(_) => return Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    return Err(PutError::Conflict);
                }
                Err(e) => {
                    let e = AwsError::from_sdk(e, self.db.context(), Some(table));
                    if is_throttle(&e) && attempt < self.opts.write.max_retries {
                        tokio::time::sleep(backoff(&self.opts.write, attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(PutError::Aws(e));
                }
            }
        }
    }

    /// One item: transform, write if changed, on conflict re-read and retry.
    async fn process(&self, item: Item, counts: &Mutex<Counts>) -> Result<(), String> {
        let mut current = item;
        let mut first = true;
        let mut attempt = 0;
        loop {
            let (after, incomplete) = apply_ops(&self.m.ops, &current);
            if after == current {
                let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
                c.unchanged += 1;
                if incomplete && first {
                    c.incomplete += 1;
                }
                return Ok(());
            }
            if self.opts.dry_run {
                self.record_diff(&current, &after);
                let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
                c.changed += 1;
                if incomplete {
                    c.incomplete += 1;
                }
                return Ok(());
            }
            match self.put_if_unchanged(&current, &after).await {
                Ok(()) => {
                    self.record_diff(&current, &after);
                    let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
                    c.changed += 1;
                    if incomplete {
                        c.incomplete += 1;
                    }
                    return Ok(());
                }
                Err(PutError::Aws(e)) => return Err(e.to_string()),
                Err(PutError::Conflict) => {
                    counts.lock().unwrap_or_else(|e| e.into_inner()).conflicts += 1;
                    if attempt >= self.opts.max_conflict_retries {
                        return Err(format!(
                            "{}: the item kept changing during the migration ({} conflicting writes)",
                            key_text(self.info, &current),
                            attempt + 1
                        ));
                    }
                    attempt += 1;
                    first = false;
                    let key = self
                        .info
                        .key_of(&current)
                        .ok_or("an item without its key attributes")?;
                    let fresh = retry(&self.opts.write, || {
                        self.db.get_item(&self.info.name, key.clone())
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                    match fresh {
                        Some(f) => current = f,
                        // Deleted meanwhile: nothing to migrate.
                        None => {
                            counts.lock().unwrap_or_else(|e| e.into_inner()).unchanged += 1;
                            return Ok(());
                        }
                    }
                }
            }
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
            let (start, done) = {
                let st = state.lock().unwrap_or_else(|e| e.into_inner());
                let s = &st.segments[seg as usize];
                (s.next.clone(), s.done)
            };
            if done {
                return Ok(());
            }
            let start = match start {
                Some(v) => {
                    Some(value::item_from_dynamo(&v).map_err(|e| format!("checkpoint: {e}"))?)
                }
                None => None,
            };
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
            let next = out.last_evaluated_key().filter(|k| !k.is_empty()).cloned();
            let items: Vec<Item> = out
                .items
                .unwrap_or_default()
                .into_iter()
                .filter(|it| !self.ledger.is_ledger_item(it))
                .collect();
            if let Some(h) = &self.opts.hook {
                h(seg, &items).await;
            }
            let counts = Mutex::new(Counts {
                selected: items.len() as u64,
                ..Counts::default()
            });
            let results: Vec<Result<(), String>> = futures::stream::iter(items)
                .map(|it| self.process(it, &counts))
                .buffer_unordered(self.opts.concurrency.max(1))
                .collect()
                .await;
            let page_counts = *counts.lock().unwrap_or_else(|e| e.into_inner());
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.segments[seg as usize].counts.add(&page_counts);
            if let Some(e) = results.into_iter().find_map(Result::err) {
                return Err(e);
            }
            let s = &mut st.segments[seg as usize];
            s.next = next.as_ref().map(value::item_to_dynamo);
            s.done = next.is_none();
            if !self.opts.dry_run
                && let Some(dir) = &self.opts.state_dir
            {
                st.save(dir).map_err(|e| {
                    format!("cannot write the checkpoint in {}: {e}", dir.display())
                })?;
            }
            if next.is_none() {
                return Ok(());
            }
        }
    }
}

/// Runs one migration on a table (a dry run reads only). A real run records
/// itself in the ledger (running, then applied, interrupted or failed) and
/// resumes a stopped run from its checkpoint. When `stop` is set, no new page
/// starts; the pages in flight finish.
pub async fn run(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    opts: &RunOptions,
    stop: Arc<AtomicBool>,
) -> Result<RunReport, String> {
    check_against(m, info).map_err(|e| e.to_string())?;
    let ledger = Ledger::new(info)?;
    let filter = scan_filter(m, info, &opts.type_attribute)
        .map_err(|e| format!("{}: select: {e}", m.path.display()))?;
    let mut req = ItemsRequest::scan(&info.name);
    req.filter = filter;
    let previous = (!opts.dry_run)
        .then(|| {
            opts.state_dir
                .as_deref()
                .and_then(|d| MigrationCheckpoint::load(d, &info.name, m))
        })
        .flatten();
    let resumed = previous.is_some();
    let total = previous
        .as_ref()
        .map(|c| c.segments.len() as u32)
        .unwrap_or(opts.segments.max(1));
    let checkpoint = previous.unwrap_or_else(|| MigrationCheckpoint {
        table: info.name.clone(),
        id: m.id.clone(),
        checksum: m.checksum.clone(),
        started_at: now(),
        segments: vec![SegmentState::default(); total as usize],
    });
    let started_at = checkpoint.started_at.clone();
    let mut entry = LedgerEntry {
        id: m.id.clone(),
        checksum: m.checksum.clone(),
        status: "running".into(),
        started_at: started_at.clone(),
        ended_at: None,
        counts: Counts::default(),
        run_by: opts.run_by.clone(),
        error: None,
    };
    if !opts.dry_run {
        retry(&opts.write, || ledger.put(db, &entry))
            .await
            .map_err(|e| e.to_string())?;
    }
    let ctx = Ctx {
        db,
        info,
        m,
        opts,
        ledger: &ledger,
        limiter: opts.write.rate_limit_wcu.map(RateLimiter::new),
        diffs: Mutex::new(Vec::new()),
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
            "applied"
        } else {
            "interrupted"
        }
        .into();
        entry.error = error.clone();
        if let Some(dir) = &opts.state_dir {
            if finished && error.is_none() {
                MigrationCheckpoint::remove(dir, &info.name, &m.id);
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
        counts,
        diffs,
        stopped: !finished,
        resumed,
        dry_run: opts.dry_run,
    })
}
