//! How the seed view's effects run: counting and deleting a set's items
//! (reset) and seeding a set, as `dyntui seed` does, each recorded in the
//! audit log.

use crate::app::audit::{AUDIT_KEYS, key_names, record_run, record_seed_run};
use crate::app::tui::task::{Deps, Reply};
use crate::dynamo::client::TableInfo;
use crate::dynamo::estimate::{Estimate, plan};
use crate::dynamo::seed::WriteOptions;
use crate::dynamo::seeding::{self, RunOptions, SeedOutcome, key_schema, validate_set};

use super::{SeedEffect, SeedMsg};

/// Runs an effect of the seed view.
pub async fn perform(e: SeedEffect, deps: Deps, reply: Reply<SeedMsg>) {
    match e {
        SeedEffect::Count {
            id,
            set,
            table,
            marker,
        } => {
            let r = async {
                let db = deps.db()?;
                let info = db.describe(&table).await.map_err(|e| e.to_string())?;
                seeding::seeded_keys(db, &table, &info, &marker, &set)
                    .await
                    .map(|k| k.len())
                    .map_err(|e| e.to_string())
            }
            .await;
            reply.send(SeedMsg::ResetCount(id, r));
        }
        SeedEffect::Reset {
            id,
            set,
            table,
            marker,
            progress,
            stop,
        } => {
            let r = async {
                let db = deps.db()?;
                let info: TableInfo = db.describe(&table).await.map_err(|e| e.to_string())?;
                let keys = seeding::seeded_keys(db, &table, &info, &marker, &set)
                    .await
                    .map_err(|e| e.to_string())?;
                progress.keys.track(
                    info.key_names().into_iter().map(str::to_string).collect(),
                    AUDIT_KEYS,
                );
                let r = seeding::delete_keys(
                    db,
                    &table,
                    keys,
                    &WriteOptions::default(),
                    progress.clone(),
                    stop,
                )
                .await
                .map_err(|e| e.to_string());
                let summary = match &r {
                    Ok(rep) => serde_json::json!({"set": set, "stopped": rep.stopped}),
                    Err(e) => serde_json::json!({"set": set, "error": e}),
                };
                if let Some(w) = record_run(db.context(), &table, "reset", &set, summary, &progress)
                {
                    tracing::warn!("{w}");
                }
                r
            }
            .await;
            reply.send(SeedMsg::ResetDone(id, r));
        }
        SeedEffect::Estimate {
            id,
            set,
            table,
            create,
            design,
            decode,
            settings,
            base,
            prices,
        } => {
            let r: Result<Box<Estimate>, String> = async {
                let db = deps.db()?.clone();
                let info = match (create, design) {
                    (true, Some(d)) => d.info(),
                    (true, None) => return Err("no design to create the table from".into()),
                    (false, _) => db.describe(&table).await.map_err(|e| e.to_string())?,
                };
                let schema = key_schema(&info).ok_or("the table has no key schema")?;
                // Reading every item may read large files: off the UI thread,
                // as the run validates them.
                tokio::task::spawn_blocking(move || {
                    plan::seed_set(
                        &db,
                        &info,
                        &set,
                        &decode,
                        &schema,
                        &base,
                        &settings,
                        format!("seed `{}` into {table}", set.name),
                        &prices,
                    )
                    .map(Box::new)
                })
                .await
                .map_err(|e| e.to_string())?
            }
            .await;
            reply.send(SeedMsg::Estimated(id, r));
        }
        SeedEffect::Seed {
            id,
            set,
            table,
            create,
            design,
            decode,
            settings,
            base,
            progress,
            stop,
            meter,
        } => {
            let r: Result<SeedOutcome, String> = async {
                let metered = deps.db()?.metered(&meter);
                let db = &metered;
                if create {
                    let d = design.ok_or("no design to create the table from")?;
                    d.create(db).await.map_err(|e| e.to_string())?;
                }
                let info = db.describe(&table).await.map_err(|e| e.to_string())?;
                let schema = key_schema(&info).ok_or("the table has no key schema")?;
                // Reading and checking every item may read large files.
                let (v, set, decode, base) = tokio::task::spawn_blocking({
                    let schema = schema.clone();
                    move || {
                        let v = validate_set(&set, &decode, &schema, &base);
                        (v, set, decode, base)
                    }
                })
                .await
                .map_err(|e| e.to_string())?;
                let v = v?;
                if !v.errors.is_empty() {
                    reply.send(SeedMsg::Invalid {
                        id,
                        good: v.good,
                        errors: v.errors,
                    });
                    return Err("invalid items: nothing written".to_string());
                }
                let opts = RunOptions {
                    write: WriteOptions::default(),
                    skip_invalid: false,
                    state_dir: seeding::state_dir(),
                    redactor: None,
                };
                progress.keys.track(key_names(&schema), AUDIT_KEYS);
                let r = seeding::run(
                    db,
                    &set,
                    &table,
                    &decode,
                    &schema,
                    &settings,
                    &base,
                    &opts,
                    progress.clone(),
                    stop,
                )
                .await;
                if let Some(w) = record_seed_run(
                    db.context(),
                    &table,
                    "seed",
                    serde_json::json!({"set": set.name, "seed": set.seed}),
                    &r,
                    &progress,
                ) {
                    tracing::warn!("{w}");
                }
                r
            }
            .await;
            reply.send(SeedMsg::Done(id, r));
        }
    }
}
