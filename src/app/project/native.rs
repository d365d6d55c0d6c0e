//! What both front ends do around DynamoDB's native export: enabling
//! point-in-time recovery is a write to the table's settings, recorded in
//! the audit log like every other write (callers check `--read-only` and
//! protection, and ask first).

use serde_json::json;

use crate::app::audit::{AuditEntry, AuditLog};
use crate::dynamo::client::Dynamo;
use crate::dynamo::error::AwsError;

/// Enables PITR on `table` and records it in `audit`.
pub async fn enable_pitr(
    db: &Dynamo,
    audit: Option<&AuditLog>,
    table: &str,
) -> Result<(), AwsError> {
    crate::dynamo::native::enable_pitr(db, table).await?;
    if let Some(log) = audit {
        let entry = AuditEntry::bulk(
            db.context(),
            table,
            "enable-pitr",
            &ulid::Ulid::new().to_string(),
            json!({ "pointInTimeRecovery": "ENABLED", "for": "native export" }),
        );
        if let Err(e) = log.append(&entry) {
            tracing::warn!("cannot append to the audit log: {e}");
        }
    }
    Ok(())
}

/// Records a native import (a new table created by ImportTable) in `audit`.
pub fn record_native_import(
    db: &Dynamo,
    audit: Option<&AuditLog>,
    table: &str,
    summary: serde_json::Value,
) {
    if let Some(log) = audit {
        let entry = AuditEntry::bulk(
            db.context(),
            table,
            "native-import",
            &ulid::Ulid::new().to_string(),
            summary,
        );
        if let Err(e) = log.append(&entry) {
            tracing::warn!("cannot append to the audit log: {e}");
        }
    }
}
