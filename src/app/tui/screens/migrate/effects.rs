//! How the migrations view's effects run: reading the listing (the table's
//! description, the files, the ledger's statuses) and running a migration
//! (or a dry run of it), its events sent in batches, then its result.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::app::audit::MigrationAudit;
use crate::app::project::migrations;
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::estimate;
use crate::dynamo::migrate::{self, EventSink, RunEvent, RunOptions};

use super::{Batch, FLUSH_EVERY, Files, Listing, MigrateEffect, MigrateMsg, RunRequest};

/// Runs an effect of the migrations view.
pub async fn perform(e: MigrateEffect, deps: Deps, reply: Reply<MigrateMsg>) {
    match e {
        MigrateEffect::Load { id, table, dir } => {
            let r = match deps.db() {
                Ok(db) => load_listing(db, &table, dir).await,
                Err(e) => Err(e),
            };
            reply.send(MigrateMsg::Loaded(id, Box::new(r)));
        }
        MigrateEffect::Run(r) => {
            let id = r.id;
            match deps.db.clone() {
                Some(db) => run(db, *r, reply).await,
                None => reply.send(MigrateMsg::Finished(id, Err("not connected".into()))),
            }
        }
        MigrateEffect::Estimate {
            id,
            info,
            migration,
            direction,
            type_attribute,
            dry_writes,
            prices,
        } => {
            let r = match deps.db() {
                Ok(db) => estimate::plan::migration_run(
                    db,
                    &info,
                    &migration,
                    direction,
                    &type_attribute,
                    dry_writes,
                    &prices,
                )
                .await
                .map(Box::new),
                Err(e) => Err(e),
            };
            reply.send(MigrateMsg::Estimated(id, r));
        }
    }
}

/// Describes the table, reads and checks the files, and reads the ledger.
async fn load_listing(
    db: &Dynamo,
    table: &str,
    dir: std::path::PathBuf,
) -> Result<Listing, String> {
    let info = db.describe(table).await.map_err(|e| e.to_string())?;
    let files = tokio::task::spawn_blocking({
        let (dir, info) = (dir.clone(), info.clone());
        move || load_files(&dir, &info)
    })
    .await
    .map_err(|e| e.to_string())?;
    let statuses = match &files {
        Files::Ready(ms) => migrate::status(db, &info, ms).await,
        _ => Ok(Vec::new()),
    };
    // Runs shared by workers: their jobs and segments.
    let mut jobs = std::collections::BTreeMap::new();
    if let (Files::Ready(ms), Ok(sts)) = (&files, &statuses)
        && let Ok(ledger) = migrate::Ledger::new(&info)
    {
        for (m, (_, e)) in ms.iter().zip(sts) {
            if e.is_some()
                && let Ok(Some(j)) = ledger.job_status(db, m).await
            {
                jobs.insert(m.id.clone(), j.lines(migrate::now_ms()));
            }
        }
    }
    Ok(Listing {
        info,
        dir,
        files,
        statuses,
        jobs,
    })
}

/// Reads and checks the migration files (blocking: file reads).
pub fn load_files(dir: &Path, info: &TableInfo) -> Files {
    if !dir.is_dir() {
        return Files::NoFolder;
    }
    match migrations::load(dir, info) {
        Ok(ms) => Files::Ready(ms),
        Err(e) => {
            let text = e.to_string();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            // The headless command's closing line ("... nothing run").
            if lines.len() > 1 && lines.last().is_some_and(|l| l.ends_with("nothing run")) {
                lines.pop();
            }
            Files::Errors(lines)
        }
    }
}

/// An event sink that gathers events into `batch`.
pub fn gathering_sink(batch: Arc<Mutex<Batch>>) -> EventSink {
    Arc::new(move |e| {
        batch.lock().unwrap_or_else(|e| e.into_inner()).push(e);
    })
}

/// Takes what was gathered, if anything.
pub fn take_batch(batch: &Mutex<Batch>) -> Option<Batch> {
    let mut b = batch.lock().unwrap_or_else(|e| e.into_inner());
    (!b.is_empty()).then(|| std::mem::take(&mut *b))
}

/// Runs a migration on its own task; its events are sent in batches, then
/// the result (also when the run's task ends abnormally).
async fn run(db: Dynamo, r: RunRequest, reply: Reply<MigrateMsg>) {
    let RunRequest {
        id,
        info,
        migration: m,
        direction,
        dry_run,
        force,
        type_attribute,
        state_dir,
        stop,
        meter,
    } = r;
    let db = db.metered(&meter);
    let mut opts = RunOptions {
        dry_run,
        direction,
        type_attribute,
        state_dir,
        force,
        ..RunOptions::default()
    };
    let batch = Arc::new(Mutex::new(Batch::default()));
    opts.events = Some(gathering_sink(batch.clone()));
    let warnings = batch.clone();
    let audit = MigrationAudit::attach(db.context(), &info, &mut opts, move |w| {
        gathering_sink(warnings.clone())(RunEvent::Log(format!("warning: {w}")))
    });
    // On a task of its own: a panic in the run ends it with an error.
    let mut task = tokio::spawn(async move {
        let r = migrate::run(&db, &info, &m, &opts, stop).await;
        if let Some(a) = audit
            && let Err(e) = a.finish(&m, &r)
            && let Some(sink) = &opts.events
        {
            sink(RunEvent::Log(format!("warning: {e}")));
        }
        r
    });
    let send = |b: Batch| reply.send(MigrateMsg::Events(id, b));
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let result = loop {
        tokio::select! {
            r = &mut task => break r,
            _ = tick.tick() => {
                if let Some(b) = take_batch(&batch) {
                    send(b);
                }
            }
        }
    };
    if let Some(b) = take_batch(&batch) {
        send(b);
    }
    let result = result.unwrap_or_else(|e| Err(format!("the run ended abnormally: {e}")));
    reply.send(MigrateMsg::Finished(id, result));
}
