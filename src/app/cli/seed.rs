//! `dyntui seed`: list seed sets, seed one (validating everything first,
//! creating the table from the design after confirmation, resuming an
//! interrupted run), or `--reset` exactly what a set wrote.

use std::io::{BufRead, IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;

use crate::app::audit::{AUDIT_KEYS, key_names, record_run, record_seed_run};
use crate::app::config::Project;
use crate::app::project::seed_sets::{design_for, seed_sets};
use crate::dynamo::client::Dynamo;
use crate::dynamo::seed::{Progress, WriteOptions};
use crate::dynamo::seeding::{
    self, Resume, RunOptions, SeedSet, SeedSource, key_schema, validate_set,
};

#[derive(Debug, Args, Clone)]
pub struct SeedArgs {
    /// Seed set name (see --list). `demo` is always available.
    pub set: Option<String>,
    /// List the project's seed sets.
    #[arg(long)]
    pub list: bool,
    /// Delete exactly the items this set wrote (found by their marker).
    #[arg(long)]
    pub reset: bool,
    /// Target table (default: the set's, else the project's default_table).
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// Seed number for generators (default: the set's).
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub rate: WriteRate,
    /// Write the valid items even when some are invalid.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Answer yes to confirmations (creating the table, reset).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow seeding or reset of a protected table (the name must be confirmed).
    #[arg(long)]
    pub allow_protected: bool,
    /// The table name, typed to confirm work on a protected table without a prompt.
    #[arg(long, value_name = "TABLE")]
    pub confirm_table: Option<String>,
    #[command(flatten)]
    pub explain: crate::app::cli::explain::ExplainArgs,
}

/// How fast batched writes go (seed, import, copy).
#[derive(Debug, Args, Clone)]
pub struct WriteRate {
    /// Batches of 25 in flight.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Stay under this many write capacity units per second.
    #[arg(long, value_name = "WCU")]
    pub rate_limit: Option<f64>,
}

impl WriteRate {
    pub fn options(&self) -> WriteOptions {
        WriteOptions {
            concurrency: self.concurrency.max(1),
            rate_limit_wcu: self.rate_limit.filter(|r| *r > 0.0),
            ..WriteOptions::default()
        }
    }
}

/// Exit code of a bulk command stopped by Ctrl-C (128 + SIGINT, as shells
/// report an interrupted program): scripts see that it did not finish.
pub const INTERRUPTED: u8 = 130;

/// Ctrl-C asks a bulk command to stop cleanly: the work in flight finishes
/// and a checkpoint (where there is one) lets the same command continue.
/// The handler is in place when this returns.
pub fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    #[cfg(unix)]
    let sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    tokio::spawn(async move {
        #[cfg(unix)]
        let got = match sigint {
            Ok(mut sig) => sig.recv().await.is_some(),
            Err(_) => tokio::signal::ctrl_c().await.is_ok(),
        };
        #[cfg(not(unix))]
        let got = tokio::signal::ctrl_c().await.is_ok();
        if got {
            eprintln!("\nstopping after the work in flight ...");
            s.store(true, Ordering::Relaxed);
        }
    });
    stop
}

fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

fn ask(question: &str) -> anyhow::Result<String> {
    eprint!("{question} ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// Yes/no confirmation: `--yes`, else a prompt on a terminal, else refuse.
pub fn confirm(question: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !stdin_is_tty() {
        anyhow::bail!("{question} needs confirmation: pass --yes");
    }
    Ok(matches!(
        ask(&format!("{question} [y/N]"))?
            .to_ascii_lowercase()
            .as_str(),
        "y" | "yes"
    ))
}

/// The table name typed to confirm work on a protected table.
pub fn confirm_table_name(table: &str, given: Option<&str>) -> anyhow::Result<()> {
    if given == Some(table) {
        return Ok(());
    }
    if given.is_some() {
        anyhow::bail!("--confirm-table does not match the table name `{table}`");
    }
    if !stdin_is_tty() {
        anyhow::bail!("a protected table needs its name confirmed: pass --confirm-table {table}");
    }
    if ask(&format!("Type the table name ({table}) to confirm:"))? != table {
        anyhow::bail!("the name typed does not match `{table}`; nothing done");
    }
    Ok(())
}

/// The table's description and key schema, or (when it is missing and
/// `may_be_missing`) the key schema of the design it will be created from.
pub async fn table_or_design(
    db: &Dynamo,
    table: &str,
    design: Option<&crate::dynamo::design::TableDesign>,
    may_be_missing: bool,
) -> anyhow::Result<(
    Option<crate::dynamo::client::TableInfo>,
    crate::dynamo::itemfile::KeySchema,
)> {
    let existing = match db.describe(table).await {
        Ok(i) => Some(i),
        Err(e) if e.code == "ResourceNotFoundException" && may_be_missing => None,
        Err(e) => anyhow::bail!("{e}"),
    };
    let schema = match &existing {
        Some(info) => key_schema(info).ok_or_else(|| {
            anyhow::anyhow!("table `{table}` has no key schema in its description")
        })?,
        None => {
            let d = design.ok_or_else(|| {
                anyhow::anyhow!(
                    "table `{table}` does not exist, and the project has no [[table]] design named `{table}` to create it from"
                )
            })?;
            crate::dynamo::itemfile::KeySchema {
                pk: (d.partition_key.name.clone(), Some(d.partition_key.kind)),
                sk: d.sort_key.as_ref().map(|k| (k.name.clone(), Some(k.kind))),
            }
        }
    };
    Ok((existing, schema))
}

/// Creates a missing table from its design after confirmation, and waits
/// until it is ACTIVE.
pub async fn create_from_design(
    db: &Dynamo,
    table: &str,
    design: Option<&crate::dynamo::design::TableDesign>,
    yes: bool,
) -> anyhow::Result<()> {
    let Some(d) = design else {
        anyhow::bail!("table `{table}` does not exist and has no design");
    };
    if !confirm(
        &format!("Table `{table}` does not exist. Create it from the design?"),
        yes,
    )? {
        anyhow::bail!("not created; nothing written");
    }
    eprintln!("creating table {table} and waiting until it is ACTIVE ...");
    d.create(db).await.map_err(|e| anyhow::anyhow!("{e}"))
}

fn describe_source(s: &SeedSet) -> String {
    match &s.source {
        SeedSource::Builtin(n) => format!("built-in {n}"),
        SeedSource::Export(e) => format!("AWS export {}", e.location()),
        SeedSource::Files(f) => format!(
            "files {}",
            f.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SeedSource::Generators(g) => g
            .iter()
            .map(|g| format!("{} {}", g.count, g.entity))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn base_dir(project: &Project) -> PathBuf {
    project
        .path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The table a set is seeded into: `--table`, else the set's, else the
/// project's `default_table`, else the name of the project's only `[[table]]`
/// design.
pub fn target_table(project: &Project, set: &SeedSet, given: Option<&str>) -> Option<String> {
    given
        .map(str::to_string)
        .or_else(|| set.table.clone())
        .or_else(|| project.default_table.clone())
        .or_else(|| (project.tables.len() == 1).then(|| project.tables[0].name.clone()))
}

/// `dyntui seed`; returns the exit code ([`INTERRUPTED`] when Ctrl-C stopped it).
pub async fn run(db: &Dynamo, project: &Project, args: SeedArgs) -> anyhow::Result<u8> {
    let sets = seed_sets(project);
    if args.list || args.set.is_none() {
        for s in &sets {
            println!(
                "{:<20} {:<40} {}",
                s.name,
                describe_source(s),
                s.description
            );
        }
        if args.set.is_none() && !args.list {
            eprintln!("choose a set: dyntui seed <set>");
        }
        return Ok(0);
    }
    let name = args.set.clone().unwrap_or_default();
    let mut set = sets
        .iter()
        .find(|s| s.name == name)
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no seed set `{name}` (available: {})",
                sets.iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    if let Some(seed) = args.seed {
        set.seed = seed;
    }
    let table = target_table(project, &set, args.table.as_deref()).ok_or_else(|| {
        anyhow::anyhow!(
            "no table: pass --table, set `table` on the seed set, or [project] default_table in dyntui.toml"
        )
    })?;
    let settings = &project.seeding;
    let design = design_for(project, &table, &set);
    let protected = project.protected_tables.contains(&table);
    let explain = args.explain.explain.filter(|_| !args.reset);
    if explain.is_none()
        && let Some(reason) =
            settings.protection(&table, db.context().profile.as_deref(), protected)
    {
        if !args.allow_protected {
            anyhow::bail!(
                "refusing to {} `{table}`: {reason}. Pass --allow-protected and confirm the table name if you mean it.",
                if args.reset {
                    "reset seed data in"
                } else {
                    "seed"
                }
            );
        }
        confirm_table_name(&table, args.confirm_table.as_deref())?;
    }

    // The table; a missing one is created from the design, but only after
    // every item has been checked against the design's keys.
    let (existing, schema) = table_or_design(db, &table, design.as_ref(), !args.reset).await?;
    let write = args.rate.options();
    let progress = Arc::new(Progress::default());
    progress.keys.track(key_names(&schema), AUDIT_KEYS);
    let stop = stop_on_ctrl_c();

    if args.reset {
        let marker = settings.marker_attribute.clone().ok_or_else(|| {
            anyhow::anyhow!("markers are off ([seeding] marker_attribute = \"\"), so seeded items cannot be found")
        })?;
        let Some(info) = &existing else {
            anyhow::bail!("table `{table}` does not exist");
        };
        let keys = seeding::seeded_keys(db, &table, info, &marker, &set.name)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "{} items of seed set `{}` in `{table}` (marked by {marker})",
            keys.len(),
            set.name
        );
        if keys.is_empty() {
            return Ok(0);
        }
        if !confirm(&format!("Delete these {} items?", keys.len()), args.yes)? {
            anyhow::bail!("nothing deleted");
        }
        let total = keys.len() as u64;
        let bar = ProgressView::start("deleting", total, progress.clone());
        let r = seeding::delete_keys(db, &table, keys, &write, progress.clone(), stop).await;
        bar.finish();
        let summary = match &r {
            Ok(rep) => serde_json::json!({"set": set.name, "stopped": rep.stopped}),
            Err(e) => serde_json::json!({"set": set.name, "error": e.to_string()}),
        };
        if let Some(w) = record_run(db.context(), &table, "reset", &set.name, summary, &progress) {
            eprintln!("warning: {w}");
        }
        let report = r.map_err(|e| anyhow::anyhow!("{e}"))?;
        eprintln!(
            "deleted {} of {total} items from {table} in {} ms ({} retries, {} throttled requests){}",
            report.written,
            report.elapsed_ms,
            report.retries,
            report.throttles,
            if report.stopped {
                "; stopped early: run again to finish"
            } else {
                ""
            }
        );
        return Ok(if report.stopped { INTERRUPTED } else { 0 });
    }

    let base = base_dir(project);
    eprintln!(
        "checking every item of `{}` against `{table}` ...",
        set.name
    );
    let v = validate_set(&set, &project.decode, &schema, &base).map_err(|e| anyhow::anyhow!(e))?;
    if !v.errors.is_empty() {
        for e in v.errors.iter().take(50) {
            eprintln!("invalid: {e}");
        }
        if v.errors.len() > 50 {
            eprintln!("... and {} more", v.errors.len() - 50);
        }
        if !args.skip_invalid {
            anyhow::bail!(
                "{} invalid items; nothing written (--skip-invalid writes the {} valid ones)",
                v.errors.len(),
                v.good
            );
        }
    }
    let target = target_info(existing.as_ref(), design.as_ref(), &table)?;
    let estimates = crate::app::cli::explain::settings()?;
    let estimate = crate::dynamo::estimate::plan::seed_set(
        db,
        &target,
        &set,
        &project.decode,
        &schema,
        &base,
        settings,
        format!("seed `{}` into {table}", set.name),
        &estimates.prices,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    if let Some(f) = explain {
        crate::app::cli::explain::print(&mut std::io::stdout(), f, &[estimate], None)?;
        return Ok(0);
    }
    eprintln!("estimate: {}", estimate.line());
    crate::app::cli::explain::warn_above(&estimates, std::slice::from_ref(&estimate));
    if existing.is_none() {
        create_from_design(db, &table, design.as_ref(), args.yes).await?;
    }
    let meter = crate::dynamo::meter::Meter::default();
    let metered = db.metered(&meter);
    let db = &metered;
    let state_dir = seeding::state_dir();
    let fingerprint = set.fingerprint(&base).map_err(|e| anyhow::anyhow!(e))?;
    match Resume::find(state_dir.as_deref(), &set, &table, &fingerprint) {
        Resume::Continue(c) => eprintln!(
            "resuming the interrupted run {} after {} items",
            c.run_id,
            c.batches_done * 25
        ),
        Resume::Changed(c) => eprintln!(
            "seed set `{}` changed since the interrupted run {} (which wrote {} items): starting over with every item",
            set.name,
            c.run_id,
            c.batches_done * 25
        ),
        Resume::Fresh => {}
    }
    let opts = RunOptions {
        write,
        skip_invalid: args.skip_invalid,
        state_dir,
        redactor: None,
    };
    let bar = ProgressView::start("writing", v.good, progress.clone());
    let r = seeding::run(
        db,
        &set,
        &table,
        &project.decode,
        &schema,
        settings,
        &base,
        &opts,
        progress.clone(),
        stop,
    )
    .await;
    bar.finish();
    if let Some(w) = record_seed_run(
        db.context(),
        &table,
        "seed",
        serde_json::json!({"set": set.name, "seed": set.seed}),
        &r,
        &progress,
    ) {
        eprintln!("warning: {w}");
    }
    let out = r.map_err(|e| anyhow::anyhow!(e))?;
    if let Some(w) = &out.checkpoint_warning {
        eprintln!("warning: {w}");
    }
    let rep = &out.report;
    let secs = (rep.elapsed_ms as f64 / 1000.0).max(0.001);
    if rep.stopped {
        eprintln!(
            "stopped: {} items written this time ({} batches done in all); run the same command again to continue",
            rep.written, rep.batches_done
        );
    } else {
        eprintln!(
            "wrote {} items of `{}` to {table} in {:.1} s ({:.0} items/s, {} retries, {} throttled requests{}){}; run {}",
            rep.written,
            set.name,
            secs,
            rep.written as f64 / secs,
            rep.retries,
            rep.throttles,
            rep.rate_note(),
            if out.skipped_invalid > 0 {
                format!(", {} invalid skipped", out.skipped_invalid)
            } else {
                String::new()
            },
            out.run_id
        );
        if out.resumed_from_batch == 0 {
            crate::app::cli::explain::report(&meter, std::slice::from_ref(&estimate));
        } else {
            crate::app::cli::explain::report(&meter, &[]);
        }
    }
    Ok(if rep.stopped { INTERRUPTED } else { 0 })
}

/// The table a run writes into, as DescribeTable shows it, or as it will be
/// once created from its design (for the run's estimate).
pub fn target_info(
    existing: Option<&crate::dynamo::client::TableInfo>,
    design: Option<&crate::dynamo::design::TableDesign>,
    table: &str,
) -> anyhow::Result<crate::dynamo::client::TableInfo> {
    existing
        .cloned()
        .or_else(|| design.map(|d| d.info()))
        .ok_or_else(|| anyhow::anyhow!("table `{table}` does not exist and has no design"))
}

/// A progress bar on a terminal, plain lines otherwise.
struct ProgressView {
    task: tokio::task::JoinHandle<()>,
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressView {
    fn start(what: &'static str, total: u64, p: Arc<Progress>) -> ProgressView {
        let tty = std::io::stderr().is_terminal();
        let bar = tty.then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} items  {per_sec}  eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_message(what);
            b
        });
        let b2 = bar.clone();
        let task = tokio::spawn(async move {
            let began = std::time::Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(if b2.is_some() { 100 } else { 2000 }))
                    .await;
                let w = p.written.load(Ordering::Relaxed);
                let r = p.retries.load(Ordering::Relaxed);
                let t = p.throttles.load(Ordering::Relaxed);
                match &b2 {
                    Some(b) => {
                        b.set_position(w);
                        b.set_message(format!(
                            "{what} (retries {r}, throttled {t}{})",
                            p.pace_note()
                        ));
                    }
                    None => eprintln!(
                        "{what}: {w}/{total} items, {:.0} items/s, {r} retries, {t} throttled{}",
                        w as f64 / began.elapsed().as_secs_f64().max(0.001),
                        p.pace_note()
                    ),
                }
            }
        });
        ProgressView { task, bar }
    }

    fn finish(self) {
        self.task.abort();
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
