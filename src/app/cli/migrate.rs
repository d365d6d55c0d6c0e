//! `dyntui migrate status|up|down|run <id>`: data migrations from a folder
//! of `NNN_name.toml` files (see `dynamo::migrate`). Every file is checked
//! before anything runs; a real run asks for confirmation. Script output
//! and conflicts are shown as they happen, progress on a bar (a terminal)
//! or in lines.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Subcommand};

use crate::app::audit::MigrationAudit;
use crate::app::cli::edit::check_protection;
use crate::app::cli::seed::confirm;
use crate::app::config::Project;
use crate::app::project::migrations::{load, migrations_dir};
use crate::dynamo::client::Dynamo;
use crate::dynamo::migrate::{self, Direction, Migration, RunEvent, RunOptions, RunReport};
use crate::dynamo::seed::WriteOptions;
use crate::dynamo::seeding;

#[derive(Debug, Args, Clone)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: MigrateCommand,
    /// Table (default: the project's default_table).
    #[arg(long, short = 't', global = true)]
    pub table: Option<String>,
    /// Migrations folder (default: `[migrations] dir` of the project, else
    /// `migrations/` next to the project file).
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
    /// Take over a run that the ledger says is in progress but whose lease
    /// expired (it died without recording its end): the new run resumes
    /// from the dead run's progress in the ledger and changes no item
    /// twice. A live run is never taken over.
    #[arg(long, global = true)]
    pub force: bool,
    /// How long a run's claim on a migration lasts without renewal (a run
    /// renews it every third of that); after a crash, `--force` can take
    /// the run over once it has expired.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    pub lease: u64,
    /// Share the run with other workers: start this same command on as
    /// many machines or processes as you like (a Kubernetes Job, an AWS
    /// Batch array, SSH). The scan is cut into at least four segments per
    /// worker; each worker claims segments in the ledger with a lease it
    /// renews, and takes over the segments of a worker that died once its
    /// lease expires. `migrate status` shows the workers. Runs `up` only.
    #[arg(long, global = true, value_name = "N")]
    pub workers: Option<u32>,
    /// This worker's name in the ledger (default: $JOB_COMPLETION_INDEX of
    /// a Kubernetes indexed Job or $AWS_BATCH_JOB_ARRAY_INDEX of an AWS
    /// Batch array job, else <host>-<pid>); unique among live workers. A
    /// name ending in a number (pod-2) starts on its own share of the
    /// segments.
    #[arg(long, global = true, value_name = "NAME", requires = "workers")]
    pub worker_id: Option<String>,
    /// Allow writes to a protected table (its name must be confirmed).
    #[arg(long, global = true)]
    pub unlock: bool,
    /// The table name, typed to confirm a run on a protected table without
    /// a prompt.
    #[arg(long, global = true, value_name = "TABLE")]
    pub confirm_table: Option<String>,
    /// Print what the run would read and write (capacity units, time at
    /// the table's capacity, price) from a sample, and run nothing;
    /// `--explain json` for JSON
    #[arg(
        long,
        global = true,
        value_enum,
        num_args = 0..=1,
        default_missing_value = "text",
        value_name = "FORMAT"
    )]
    pub explain: Option<crate::app::cli::explain::ExplainFormat>,
}

#[derive(Debug, Subcommand, Clone)]
pub enum MigrateCommand {
    /// Each migration file and its state in the table's ledger.
    Status,
    /// Run every pending migration in order (stops at the first failure).
    Up,
    /// Run one migration (by id or number), even if applied.
    Run { id: String },
    /// Revert a migration with its `[down]` part: the one named (id or
    /// number), else the latest applied one.
    Down { id: Option<String> },
}

fn print_report(r: &RunReport) {
    for d in &r.diffs {
        print!("{d}");
    }
    if let Some(n) = &r.note {
        println!("{n}");
    }
    println!(
        "{}{}{}: {}{}",
        r.id,
        if r.direction == Direction::Down {
            " (down)"
        } else {
            ""
        },
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
    let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
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
                    "{:<32} {:<12} {:<17} {detail}  {}",
                    m.id,
                    st.as_str(),
                    format!(
                        "{}{}",
                        m.kind(),
                        if m.down.is_some() { ", down" } else { "" }
                    ),
                    m.description
                );
                if let Some(err) = e.as_ref().and_then(|e| e.error.as_ref()) {
                    println!("    error: {}", err.lines().next().unwrap_or_default());
                }
                if e.is_some() {
                    let ledger = migrate::Ledger::new(&info).map_err(|e| anyhow::anyhow!(e))?;
                    if let Some(job) = ledger
                        .job_status(db, m)
                        .await
                        .map_err(|e| anyhow::anyhow!(e))?
                    {
                        for line in job.lines(migrate::now_ms()) {
                            println!("    {line}");
                        }
                    }
                }
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
        MigrateCommand::Down { id } => {
            let m = match id {
                Some(id) => ms
                    .iter()
                    .find(|m| m.matches(id))
                    .ok_or_else(|| anyhow::anyhow!("no migration `{id}` in {}", dir.display()))?,
                None => ms
                    .iter()
                    .zip(&statuses)
                    .rev()
                    .find(|(_, (st, _))| {
                        matches!(
                            st,
                            migrate::FileStatus::Applied | migrate::FileStatus::Changed
                        )
                    })
                    .map(|(m, _)| m)
                    .ok_or_else(|| anyhow::anyhow!("no applied migration to revert"))?,
            };
            if m.down.is_none() {
                anyhow::bail!(
                    "{} has no [down] part: it cannot be reverted",
                    m.path.display()
                );
            }
            vec![m]
        }
    };
    let direction = if matches!(args.command, MigrateCommand::Down { .. }) {
        Direction::Down
    } else {
        Direction::Up
    };
    if todo.is_empty() {
        println!("nothing to run: every migration is applied");
        return Ok(());
    }
    if args.workers.is_some() {
        if direction == Direction::Down {
            anyhow::bail!(
                "--workers runs migrations up; revert in one process (without --workers)"
            );
        }
        if args.dry_run {
            eprintln!("note: a dry run reads in this process; --workers shares real runs");
        }
    }
    let type_attribute = project
        .decode
        .type_attribute
        .clone()
        .unwrap_or_else(|| "Type".into());
    let settings = crate::app::cli::explain::settings()?;
    let mut estimates = Vec::new();
    for m in &todo {
        let plan = match (direction, &m.down) {
            (Direction::Down, Some(d)) => d,
            _ => &m.up,
        };
        estimates.push(
            crate::dynamo::estimate::plan::migration(
                db,
                &info,
                m,
                plan,
                &type_attribute,
                args.dry_run,
                &settings.prices,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e))?,
        );
    }
    if let Some(f) = args.explain {
        crate::app::cli::explain::print(&mut std::io::stdout(), f, &estimates, None)?;
        return Ok(());
    }
    for e in &estimates {
        eprintln!("estimate: {}: {}", e.operation, e.line());
    }
    crate::app::cli::explain::warn_above(&settings, &estimates);
    if !args.dry_run {
        check_protection(
            db,
            project,
            &table,
            false,
            args.unlock,
            args.confirm_table.as_deref(),
        )?;
    }
    if !args.dry_run
        && !confirm(
            &format!(
                "{} {} migration(s) ({}) on `{table}`?",
                if direction == Direction::Down {
                    "Revert"
                } else {
                    "Run"
                },
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
        type_attribute,
        write: WriteOptions {
            rate_limit_wcu: args.rate_limit.filter(|r| *r > 0.0),
            ..WriteOptions::default()
        },
        state_dir: seeding::state_dir(),
        direction,
        force: args.force,
        lease: std::time::Duration::from_secs(args.lease.max(1)),
        workers: args
            .workers
            .map(|n| migrate::Workers::new(n, args.worker_id.clone())),
        ..RunOptions::default()
    };
    let total = info.item_count.unwrap_or(0).max(0) as u64;
    for (m, estimate) in todo.into_iter().zip(&estimates) {
        eprintln!(
            "{} {}{}",
            match (args.dry_run, direction) {
                (true, _) => "checking",
                (false, Direction::Up) => "running",
                (false, Direction::Down) => "reverting",
            },
            m.id,
            if m.description.is_empty() {
                String::new()
            } else {
                format!(": {}", m.description)
            }
        );
        let view = Live::start(total);
        let mut o = opts.clone();
        o.events = Some(view.sink());
        let audit =
            MigrationAudit::attach(db.context(), &info, &mut o, |w| eprintln!("warning: {w}"));
        let meter = crate::dynamo::meter::Meter::default();
        let r = migrate::run(&db.metered(&meter), &info, m, &o, stop.clone()).await;
        view.finish();
        if let Some(a) = audit
            && let Err(e) = a.finish(m, &r)
        {
            eprintln!("warning: {e}");
        }
        let r = r.map_err(|e| anyhow::anyhow!(e))?;
        print_report(&r);
        if r.dry_run {
            println!("{}: {}", r.id, r.writes.would_write());
        }
        if o.workers.is_some() {
            // A worker did its share: what it consumed, not the whole
            // run's estimate beside it.
            crate::app::cli::explain::report(&meter, &[]);
        } else if !r.stopped && !r.resumed {
            crate::app::cli::explain::report(&meter, std::slice::from_ref(estimate));
        }
        if r.stopped {
            anyhow::bail!("stopped; run the same command again to resume");
        }
    }
    Ok(())
}

/// Progress and log lines of a run: a bar on a terminal (log lines above
/// it), plain lines otherwise.
struct Live {
    bar: Option<indicatif::ProgressBar>,
}

impl Live {
    fn start(total: u64) -> Live {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = if total > 0 {
                indicatif::ProgressBar::new(total)
            } else {
                indicatif::ProgressBar::new_spinner()
            };
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "[{bar:40}] {pos}/{len} items (table size estimate)  {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        Live { bar }
    }

    fn sink(&self) -> migrate::EventSink {
        let bar = self.bar.clone();
        Arc::new(move |e| match (e, &bar) {
            (RunEvent::Log(line), Some(b)) => b.println(line),
            (RunEvent::Log(line), None) => eprintln!("{line}"),
            (RunEvent::Progress(c), Some(b)) => {
                if b.length().is_some_and(|l| c.selected > l) {
                    b.set_length(c.selected);
                }
                b.set_position(c.done());
                b.set_message(c.to_string());
            }
            (RunEvent::Progress(_) | RunEvent::Diff(_), _) => {}
        })
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
