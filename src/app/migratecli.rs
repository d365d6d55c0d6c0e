//! `dyntui migrate status|up|run <id>`: declarative data migrations from a
//! folder of `NNN_name.toml` files (see `dynamo::migrate`). Every file is
//! checked before anything runs; a real run asks for confirmation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Subcommand};

use super::config::Project;
use super::seedcli::confirm;
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::migrate::{self, Migration, RunOptions, RunReport};
use crate::dynamo::seed::WriteOptions;
use crate::dynamo::seeding;

#[derive(Debug, Args, Clone)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: MigrateCommand,
    /// Table (default: the project's default_table).
    #[arg(long, short = 't', global = true)]
    pub table: Option<String>,
    /// Migrations folder (default: `migrations/` next to the project file).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Read and transform only; show the counts and diffs, write nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Answer yes to the confirmation.
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Parallel scan segments.
    #[arg(long, global = true, default_value_t = 4)]
    pub segments: u32,
    /// Stay under this many write capacity units per second.
    #[arg(long, global = true, value_name = "WCU")]
    pub rate_limit: Option<f64>,
}

#[derive(Debug, Subcommand, Clone)]
pub enum MigrateCommand {
    /// Each migration file and its state in the table's ledger.
    Status,
    /// Run every pending migration in order (stops at the first failure).
    Up,
    /// Run one migration (by id or number), even if applied.
    Run { id: String },
}

fn migrations_dir(project: &Project, dir: Option<&Path>) -> PathBuf {
    if let Some(d) = dir {
        return d.to_path_buf();
    }
    project
        .path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("migrations")
}

/// Loads and checks every file; any error means nothing runs.
pub fn load(dir: &Path, info: &TableInfo) -> anyhow::Result<Vec<Migration>> {
    let ms = migrate::load_dir(dir).map_err(|errs| {
        anyhow::anyhow!(
            "{}\n{} bad migration file(s); nothing run",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            errs.len()
        )
    })?;
    let errs: Vec<String> = ms
        .iter()
        .filter_map(|m| migrate::check_against(m, info).err())
        .map(|e| e.to_string())
        .collect();
    if !errs.is_empty() {
        anyhow::bail!("{}\nnothing run", errs.join("\n"));
    }
    Ok(ms)
}

fn print_report(r: &RunReport) {
    for d in &r.diffs {
        print!("{d}");
    }
    println!(
        "{}{}: {}{}",
        r.id,
        if r.dry_run { " (dry run)" } else { "" },
        r.counts,
        if r.stopped {
            "; stopped: run again to resume"
        } else {
            ""
        }
    );
}

pub async fn run(db: &Dynamo, project: &Project, args: MigrateArgs) -> anyhow::Result<()> {
    let table = args
        .table
        .clone()
        .or_else(|| project.default_table.clone())
        .ok_or_else(|| anyhow::anyhow!("no table: pass --table, or set default_table"))?;
    let info = db
        .describe(&table)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = migrations_dir(project, args.dir.as_deref());
    let ms = load(&dir, &info)?;
    let statuses = migrate::status(db, &info, &ms)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let todo: Vec<&Migration> = match &args.command {
        MigrateCommand::Status => {
            if ms.is_empty() {
                println!("no migrations in {}", dir.display());
            }
            for (m, (st, e)) in ms.iter().zip(&statuses) {
                let detail = match e {
                    Some(e) => format!(
                        "{} {} by {} ({})",
                        e.checksum,
                        e.ended_at.as_deref().unwrap_or(&e.started_at),
                        e.run_by,
                        e.counts
                    ),
                    None => m.checksum.clone(),
                };
                println!(
                    "{:<32} {:<12} {detail}  {}",
                    m.id,
                    st.as_str(),
                    m.description
                );
            }
            return Ok(());
        }
        MigrateCommand::Up => {
            for (m, (st, _)) in ms.iter().zip(&statuses) {
                if *st == migrate::FileStatus::Changed {
                    eprintln!(
                        "warning: {} was applied, and its file has changed since (not run again)",
                        m.id
                    );
                }
            }
            ms.iter()
                .zip(&statuses)
                .filter(|(_, (st, _))| st.pending())
                .map(|(m, _)| m)
                .collect()
        }
        MigrateCommand::Run { id } => {
            let m = ms
                .iter()
                .find(|m| m.matches(id))
                .ok_or_else(|| anyhow::anyhow!("no migration `{id}` in {}", dir.display()))?;
            vec![m]
        }
    };
    if todo.is_empty() {
        println!("nothing to run: every migration is applied");
        return Ok(());
    }
    if !args.dry_run
        && !confirm(
            &format!(
                "Run {} migration(s) ({}) on `{table}`?",
                todo.len(),
                todo.iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            args.yes,
        )?
    {
        anyhow::bail!("nothing run");
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nstopping after the pages in flight ...");
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let opts = RunOptions {
        segments: args.segments.max(1),
        dry_run: args.dry_run,
        type_attribute: project
            .decode
            .type_attribute
            .clone()
            .unwrap_or_else(|| "Type".into()),
        write: WriteOptions {
            rate_limit_wcu: args.rate_limit.filter(|r| *r > 0.0),
            ..WriteOptions::default()
        },
        state_dir: seeding::state_dir(),
        ..RunOptions::default()
    };
    for m in todo {
        eprintln!(
            "{} {}{}",
            if args.dry_run { "checking" } else { "running" },
            m.id,
            if m.description.is_empty() {
                String::new()
            } else {
                format!(": {}", m.description)
            }
        );
        let r = migrate::run(db, &info, m, &opts, stop.clone())
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        print_report(&r);
        if r.stopped {
            anyhow::bail!("stopped; run the same command again to resume");
        }
    }
    Ok(())
}
