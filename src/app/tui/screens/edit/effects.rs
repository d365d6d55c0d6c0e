//! How the edit screen's writes run: conditional writes with the shared
//! `Writer`, each appended to the audit log by the task that made it.

use std::sync::atomic::Ordering;

use super::{BULK_CONCURRENCY, EditEffect, EditMsg};
use crate::app::audit::{AuditEntry, AuditLog};
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::edit::{self, Change};
use crate::dynamo::error::ConnContext;
use crate::dynamo::seed::WriteOptions;
use crate::dynamo::write::{WriteError, Writer};

pub async fn perform(e: EditEffect, deps: Deps, reply: Reply<EditMsg>) {
    let (EditEffect::Write { id, .. } | EditEffect::Bulk { id, .. }) = &e;
    let db = match deps.db() {
        Ok(db) => db,
        Err(error) => return reply.send(EditMsg::Failed { id: *id, error }),
    };
    let msg = match e {
        EditEffect::Write {
            id,
            info,
            change,
            guard,
            row,
            format,
        } => {
            let (info, change) = (*info, *change);
            let opts = WriteOptions::default();
            let w = Writer {
                db,
                info: &info,
                opts: &opts,
                limiter: None,
            };
            match edit::apply(&w, &change, &guard).await {
                Ok(written) => {
                    let audit_error = append_audit(
                        deps.audit_log.as_ref(),
                        &deps.conn,
                        &info,
                        &change,
                        written.as_ref(),
                    );
                    EditMsg::Written {
                        id,
                        info: info.clone(),
                        change,
                        written,
                        row,
                        audit_error,
                    }
                }
                Err(WriteError::Conflict) => {
                    let before = change.before.clone().unwrap_or_default();
                    match w.current(&before).await {
                        Ok(current) => EditMsg::Conflict {
                            id,
                            info: info.clone(),
                            change,
                            current,
                            row,
                            format,
                        },
                        Err(e) => EditMsg::Failed {
                            id,
                            error: format!(
                                "the item changed since it was read, and reading it again failed: {e}"
                            ),
                        },
                    }
                }
                Err(e) => EditMsg::Failed {
                    id,
                    error: e.to_string(),
                },
            }
        }
        EditEffect::Bulk {
            id,
            info,
            kind,
            groups,
            progress,
            meter,
        } => {
            let info = *info;
            let opts = WriteOptions::default();
            let metered = db.metered(&meter);
            let w = Writer {
                db: &metered,
                info: &info,
                opts: &opts,
                limiter: None,
            };
            let tick = move |n: usize| {
                progress.fetch_add(n, Ordering::Relaxed);
            };
            let mut report = edit::BulkReport::default();
            for (guard, changes) in groups {
                let r = edit::bulk(&w, changes, &guard, BULK_CONCURRENCY, &tick).await;
                report.done.extend(r.done);
                report.conflicts.extend(r.conflicts);
                report.errors.extend(r.errors);
            }
            let mut audit_error = None;
            for (before, after) in &report.done {
                let change = Change {
                    before: Some(before.clone()),
                    after: after.clone(),
                };
                if let Some(e) = append_audit(
                    deps.audit_log.as_ref(),
                    &deps.conn,
                    &info,
                    &change,
                    after.as_ref(),
                ) {
                    audit_error = Some(e);
                }
            }
            EditMsg::Bulk {
                id,
                info,
                kind,
                report,
                audit_error,
            }
        }
    };
    reply.send(msg);
}

fn append_audit(
    log: Option<&AuditLog>,
    ctx: &ConnContext,
    info: &TableInfo,
    change: &Change,
    written: Option<&Item>,
) -> Option<String> {
    let log = log?;
    log.append(&AuditEntry::of(ctx, info, change, written))
        .err()
        .map(|e| {
            format!(
                "it could not be added to the audit log {}: {e}",
                log.path.display()
            )
        })
}
