//! The local audit log: every write made from dyntui (the TUI and the
//! headless edit commands), one JSON line each, appended to
//! `$XDG_STATE_HOME/dyntui/audit.jsonl`: time, profile, region, endpoint,
//! table, action, key, and the item before and after (DynamoDB JSON, so
//! every type is exact).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dynamo::client::TableInfo;
use crate::dynamo::edit::{Change, ChangeKind};
use crate::dynamo::error::ConnContext;
use crate::dynamo::{Item, value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub table: String,
    /// create, update, move, delete.
    pub action: String,
    /// The key (of the item before; of the new item for a create).
    pub key: Value,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Who wrote: `user@host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The bulk run the write belongs to (a migration's run id, or a
    /// seed, import or copy run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// A bulk run's summary: what it read, counts, how it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Value>,
}

impl AuditEntry {
    /// The entry of a change that was written (`written`: the item as
    /// written, e.g. with its version bumped).
    pub fn of(
        ctx: &ConnContext,
        info: &TableInfo,
        change: &Change,
        written: Option<&Item>,
    ) -> AuditEntry {
        let kind = change.kind(info);
        let key_item = change
            .before
            .as_ref()
            .or(written)
            .or(change.after.as_ref())
            .and_then(|i| info.key_of(i))
            .unwrap_or_default();
        AuditEntry {
            time: aws_smithy_types::DateTime::from(std::time::SystemTime::now())
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default(),
            profile: ctx.profile.clone(),
            region: ctx.region.clone(),
            endpoint: ctx.endpoint.clone(),
            table: info.name.clone(),
            action: match kind {
                ChangeKind::Create => "create",
                ChangeKind::Update | ChangeKind::None => "update",
                ChangeKind::Move => "move",
                ChangeKind::Delete => "delete",
            }
            .into(),
            key: value::item_to_dynamo(&key_item),
            before: change.before.as_ref().map(value::item_to_dynamo),
            after: written.map(value::item_to_dynamo),
            by: Some(crate::dynamo::migrate::run_by()),
            run: None,
            summary: None,
        }
    }

    /// The entry of one item written by a bulk run (`after` None: deleted).
    pub fn bulk_item(
        ctx: &ConnContext,
        info: &TableInfo,
        action: &str,
        run: &str,
        before: &Item,
        after: Option<&Item>,
    ) -> AuditEntry {
        AuditEntry {
            time: now(),
            profile: ctx.profile.clone(),
            region: ctx.region.clone(),
            endpoint: ctx.endpoint.clone(),
            table: info.name.clone(),
            action: action.into(),
            key: value::item_to_dynamo(&info.key_of(before).unwrap_or_default()),
            before: Some(value::item_to_dynamo(before)),
            after: after.map(value::item_to_dynamo),
            by: Some(crate::dynamo::migrate::run_by()),
            run: Some(run.into()),
            summary: None,
        }
    }

    /// The entry of a bulk run (seed, import, copy, migrate, revert): who,
    /// where, what, and its summary.
    pub fn bulk(
        ctx: &ConnContext,
        table: &str,
        action: &str,
        run: &str,
        summary: Value,
    ) -> AuditEntry {
        AuditEntry {
            time: now(),
            profile: ctx.profile.clone(),
            region: ctx.region.clone(),
            endpoint: ctx.endpoint.clone(),
            table: table.into(),
            action: action.into(),
            key: Value::Null,
            before: None,
            after: None,
            by: Some(crate::dynamo::migrate::run_by()),
            run: Some(run.into()),
            summary: Some(summary),
        }
    }

    /// `PK=..., SK=...` of the key; a bulk run's summary.
    pub fn key_text(&self) -> String {
        if self.key.is_null() {
            return format!(
                "run {} {}",
                self.run.as_deref().unwrap_or("?"),
                self.summary
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
        }
        match value::item_from_dynamo(&self.key) {
            Ok(k) => {
                let mut names: Vec<&String> = k.keys().collect();
                names.sort();
                names
                    .into_iter()
                    .map(|n| format!("{n}={}", value::cell_text(&k[n], 60)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            Err(_) => self.key.to_string(),
        }
    }
}

fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// An open audit log for a bulk run: entries are buffered and flushed to
/// disk when the run ends ([`AuditWriter::finish`]), so that recording
/// every item does not slow the run.
pub struct AuditWriter {
    pub path: PathBuf,
    file: std::sync::Mutex<std::io::BufWriter<std::fs::File>>,
    failed: std::sync::Mutex<Option<String>>,
}

impl AuditWriter {
    pub fn open(log: &AuditLog) -> std::io::Result<AuditWriter> {
        if let Some(dir) = log.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log.path)?;
        Ok(AuditWriter {
            path: log.path.clone(),
            file: std::sync::Mutex::new(std::io::BufWriter::with_capacity(256 * 1024, f)),
            failed: std::sync::Mutex::new(None),
        })
    }

    /// Appends one entry (the first failure is kept for `finish`).
    pub fn write(&self, e: &AuditEntry) {
        let r = serde_json::to_vec(e)
            .map_err(std::io::Error::other)
            .and_then(|mut line| {
                line.push(b'\n');
                self.file
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .write_all(&line)
            });
        if let Err(e) = r {
            self.failed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(|| e.to_string());
        }
    }

    /// Flushes to disk; an error names the log and the first failure.
    pub fn finish(&self) -> Result<(), String> {
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let r = f.flush().and_then(|()| f.get_ref().sync_data());
        let first = self.failed.lock().unwrap_or_else(|e| e.into_inner()).take();
        match (first, r) {
            (Some(e), _) => Err(format!(
                "cannot write the audit log {}: {e}",
                self.path.display()
            )),
            (None, Err(e)) => Err(format!(
                "cannot write the audit log {}: {e}",
                self.path.display()
            )),
            (None, Ok(())) => Ok(()),
        }
    }
}

/// The audit of one migration run (CLI and TUI alike): each item written,
/// then a summary entry. `None` for a dry run or without a state dir.
pub struct MigrationAudit {
    writer: std::sync::Arc<AuditWriter>,
    ctx: ConnContext,
    table: String,
    action: &'static str,
}

impl MigrationAudit {
    /// Opens the log and hooks it into `opts` (a warning when it cannot
    /// be opened: the run goes on unaudited, and says so).
    pub fn attach(
        ctx: &ConnContext,
        info: &TableInfo,
        opts: &mut crate::dynamo::migrate::RunOptions,
        warn: impl Fn(String),
    ) -> Option<MigrationAudit> {
        if opts.dry_run {
            return None;
        }
        let log = AuditLog::default_log()?;
        let writer = match AuditWriter::open(&log) {
            Ok(w) => std::sync::Arc::new(w),
            Err(e) => {
                warn(format!(
                    "cannot open the audit log {}: {e}; this run is not audited",
                    log.path.display()
                ));
                return None;
            }
        };
        let action = match opts.direction {
            crate::dynamo::migrate::Direction::Up => "migrate",
            crate::dynamo::migrate::Direction::Down => "revert",
        };
        let (w, c, i) = (writer.clone(), ctx.clone(), info.clone());
        opts.on_write = Some(std::sync::Arc::new(move |run, before, after| {
            w.write(&AuditEntry::bulk_item(&c, &i, action, run, before, after));
        }));
        Some(MigrationAudit {
            writer,
            ctx: ctx.clone(),
            table: info.name.clone(),
            action,
        })
    }

    /// Records how the run ended and flushes the log.
    pub fn finish(
        self,
        m: &crate::dynamo::migrate::Migration,
        result: &Result<crate::dynamo::migrate::RunReport, String>,
    ) -> Result<(), String> {
        let summary = match result {
            Ok(r) => serde_json::json!({
                "migration": m.id,
                "checksum": m.checksum,
                "counts": r.counts,
                "stopped": r.stopped,
                "resumed": r.resumed,
            }),
            Err(e) => serde_json::json!({
                "migration": m.id,
                "checksum": m.checksum,
                "error": e,
            }),
        };
        self.writer.write(&AuditEntry::bulk(
            &self.ctx,
            &self.table,
            self.action,
            &m.id,
            summary,
        ));
        self.writer.finish()
    }
}

/// Keys listed in a bulk run's audit entry at most (the rest are counted).
pub const AUDIT_KEYS: usize = 1000;

/// The key attribute names of a schema, for [`crate::dynamo::seed::KeyLog`].
pub fn key_names(schema: &crate::dynamo::itemfile::KeySchema) -> Vec<String> {
    std::iter::once(schema.pk.0.clone())
        .chain(schema.sk.as_ref().map(|k| k.0.clone()))
        .collect()
}

/// Records a bulk run (seed, reset, import, copy) in the audit log: who,
/// where, what (`summary`), and the keys it wrote while they fit. Returns a
/// warning when the log cannot be written.
pub fn record_run(
    ctx: &ConnContext,
    table: &str,
    action: &str,
    run: &str,
    mut summary: Value,
    progress: &crate::dynamo::seed::Progress,
) -> Option<String> {
    let (keys, more) = progress.keys.take();
    if let Value::Object(m) = &mut summary {
        m.insert(
            "written".into(),
            progress
                .written
                .load(std::sync::atomic::Ordering::Relaxed)
                .into(),
        );
        m.insert(
            "keys".into(),
            Value::Array(keys.iter().map(value::item_to_dynamo).collect()),
        );
        if more > 0 {
            m.insert("keysNotListed".into(), more.into());
        }
    }
    let log = AuditLog::default_log()?;
    log.append(&AuditEntry::bulk(ctx, table, action, run, summary))
        .err()
        .map(|e| format!("cannot append to the audit log {}: {e}", log.path.display()))
}

/// Records a seed (or import, `action`) run in the audit log, however it
/// ended; used by the command line and the TUI alike.
pub fn record_seed_run<E: std::fmt::Display>(
    ctx: &ConnContext,
    table: &str,
    action: &str,
    source: Value,
    r: &Result<crate::dynamo::seeding::SeedOutcome, E>,
    progress: &crate::dynamo::seed::Progress,
) -> Option<String> {
    let mut summary = serde_json::json!({ "source": source });
    let run = match r {
        Ok(out) => {
            summary["stopped"] = out.report.stopped.into();
            summary["resumedAfterItems"] = (out.resumed_from_batch * 25).into();
            summary["retries"] = out.report.retries.into();
            out.run_id.clone()
        }
        Err(e) => {
            summary["error"] = e.to_string().into();
            String::new()
        }
    };
    record_run(ctx, table, action, &run, summary, progress)
}

/// The audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pub path: PathBuf,
}

impl AuditLog {
    /// `$XDG_STATE_HOME/dyntui/audit.jsonl` (or `DYNTUI_AUDIT_LOG`).
    pub fn default_log() -> Option<AuditLog> {
        if let Some(p) = std::env::var_os("DYNTUI_AUDIT_LOG") {
            return Some(AuditLog { path: p.into() });
        }
        crate::dynamo::seeding::state_dir().map(|d| AuditLog {
            path: d.join("audit.jsonl"),
        })
    }

    pub fn at(path: &Path) -> AuditLog {
        AuditLog {
            path: path.to_path_buf(),
        }
    }

    /// Appends one entry (one line, written at once, flushed to disk).
    pub fn append(&self, e: &AuditEntry) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut line = serde_json::to_vec(e)?;
        line.push(b'\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&line)?;
        f.sync_data()
    }

    /// The last `n` entries, oldest first. Lines that do not parse (a
    /// hand-edited file) are skipped.
    pub fn last(&self, n: usize) -> std::io::Result<Vec<AuditEntry>> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = std::collections::VecDeque::with_capacity(n.min(4096));
        for line in std::io::BufReader::new(f).lines() {
            let line = line?;
            if let Ok(e) = serde_json::from_str::<AuditEntry>(&line) {
                if out.len() == n {
                    out.pop_front();
                }
                out.push_back(e);
            }
        }
        Ok(out.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::AttributeValue;
    use crate::dynamo::client::{KeyDef, KeyKind};

    fn info() -> TableInfo {
        TableInfo {
            name: "t".into(),
            pk: Some(KeyDef {
                name: "PK".into(),
                kind: Some(KeyKind::S),
            }),
            ..TableInfo::default()
        }
    }

    #[test]
    fn entries_append_and_read_back_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::at(&dir.path().join("sub/audit.jsonl"));
        let mut before = Item::new();
        before.insert("PK".into(), AttributeValue::S("A".into()));
        before.insert(
            "n".into(),
            AttributeValue::N("12345678901234567890123456789012345678".into()),
        );
        let mut after = before.clone();
        after.insert("n".into(), AttributeValue::N("2".into()));
        let change = Change {
            before: Some(before.clone()),
            after: Some(after.clone()),
        };
        let ctx = ConnContext {
            profile: Some("dev".into()),
            region: Some("eu-west-1".into()),
            endpoint: None,
        };
        for _ in 0..3 {
            log.append(&AuditEntry::of(&ctx, &info(), &change, Some(&after)))
                .expect("append");
        }
        let got = log.last(2).expect("read");
        assert_eq!(got.len(), 2);
        let e = &got[1];
        assert_eq!(e.action, "update");
        assert_eq!(e.key_text(), "PK=A");
        assert_eq!(
            value::item_from_dynamo(e.before.as_ref().expect("before")).expect("item"),
            before
        );
        assert_eq!(e.profile.as_deref(), Some("dev"));
        assert!(
            AuditLog::at(&dir.path().join("none.jsonl"))
                .last(5)
                .expect("empty")
                .is_empty()
        );
    }
}
