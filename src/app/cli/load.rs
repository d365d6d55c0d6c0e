//! `dyntui load`: the write-load drill. Updates existing items of a table
//! at `--rate` writes a second, `--hot-share` of them on one partition, so
//! that hot-key alerts, throttling and the live views can be rehearsed on a
//! test table. Refused with `--read-only`; a protected table needs
//! `--allow-protected` and its name confirmed, as `dyntui seed` does. One
//! audit entry records the run.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Args;

use crate::app::audit::{AuditEntry, AuditLog};
use crate::app::cli::seed::{INTERRUPTED, confirm_table_name, stop_on_ctrl_c};
use crate::app::config::Project;
use crate::app::live::parse_duration;
use crate::dynamo::client::Dynamo;
use crate::dynamo::load::{self, LoadOptions, LoadReport, LoadStats, SAMPLE_ITEMS};
use crate::dynamo::pattern::typed_value;
use crate::dynamo::seed::WriteOptions;

#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    /// The table to write to (default: the project's default_table).
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// Writes per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Share of the writes on the hot partition (0 to 1).
    #[arg(long, default_value_t = 0.4, value_parser = parse_share)]
    pub hot_share: f64,
    /// The hot partition, `NAME=VALUE` of the partition key (default: the
    /// sampled partition with the most items).
    #[arg(long, value_name = "PK=VALUE")]
    pub hot_key: Option<String>,
    /// How long to write (e.g. 60s, 5m) [default: 60s, or until --writes]
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many writes.
    #[arg(long, value_name = "N")]
    pub writes: Option<u64>,
    /// The number attribute each write adds 1 to.
    #[arg(long, default_value = "drillWrites")]
    pub attribute: String,
    /// Writes in flight at most.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seed of the choice of items.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Allow a protected table (the name must be confirmed).
    #[arg(long)]
    pub allow_protected: bool,
    /// The table name, typed to confirm a protected table without a prompt.
    #[arg(long, value_name = "TABLE")]
    pub confirm_table: Option<String>,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not a share: give a number from 0 to 1, e.g. 0.4"
        )),
    }
}

/// `dyntui load`; returns the exit code ([`INTERRUPTED`] when Ctrl-C
/// stopped it).
pub async fn run(
    db: &Dynamo,
    project: &Project,
    args: LoadArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    if read_only {
        anyhow::bail!("--read-only: dyntui load writes to the table; nothing done");
    }
    if !(args.rate.is_finite() && args.rate > 0.0) {
        anyhow::bail!("--rate must be more than 0 writes a second");
    }
    let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
    if let Some(reason) = project.protection(&table, db.context().profile.as_deref()) {
        if !args.allow_protected {
            anyhow::bail!(
                "refusing to load `{table}`: {reason}. Pass --allow-protected and confirm the table name if you mean it."
            );
        }
        confirm_table_name(&table, args.confirm_table.as_deref())?;
    }
    let info = db
        .describe(&table)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pk = info
        .pk
        .clone()
        .ok_or_else(|| anyhow::anyhow!("table `{table}` has no key schema in its description"))?;
    let given = match &args.hot_key {
        None => None,
        Some(text) => {
            let (name, v) = text.split_once('=').ok_or_else(|| {
                anyhow::anyhow!(
                    "--hot-key `{text}`: write NAME=VALUE of the partition key, e.g. --hot-key '{}=CUSTOMER#c00243'",
                    pk.name
                )
            })?;
            if name.trim() != pk.name {
                anyhow::bail!(
                    "--hot-key names `{}`, but the partition key of `{table}` is `{}`",
                    name.trim(),
                    pk.name
                );
            }
            let v = typed_value(v, pk.kind).map_err(|e| anyhow::anyhow!("--hot-key: {e}"))?;
            let items = load::partition_keys(db, &info, &v, SAMPLE_ITEMS)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Some((v, items))
        }
    };
    let sampled = load::sample_keys(db, &info, SAMPLE_ITEMS)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sampled_n = sampled.len();
    let plan = load::plan(&info, sampled, given, args.hot_share).map_err(|e| anyhow::anyhow!(e))?;
    let duration = match (args.duration, args.writes) {
        (None, None) => Some(Duration::from_secs(60)),
        (d, _) => d,
    };
    let opts = LoadOptions {
        rate: args.rate,
        hot_share: args.hot_share,
        duration,
        max_writes: args.writes,
        attribute: args.attribute.clone(),
        write: WriteOptions {
            concurrency: args.concurrency.max(1),
            ..WriteOptions::default()
        },
        seed: args.seed,
    };
    eprintln!(
        "load on {table}: {} writes/s, {:.0}% on {}={} ({} items), the rest over {} other sampled items ({} sampled); ADD {} 1 on existing items only; {}; Ctrl-C stops",
        alerts_num(args.rate),
        100.0 * args.hot_share,
        pk.name,
        plan.hot_text(),
        plan.hot.len(),
        plan.others.len(),
        sampled_n,
        args.attribute,
        match (duration, args.writes) {
            (Some(d), Some(n)) => format!("for {} s or {n} writes", alerts_num(d.as_secs_f64())),
            (Some(d), None) => format!("for {} s", alerts_num(d.as_secs_f64())),
            (None, Some(n)) => format!("{n} writes"),
            (None, None) => String::new(),
        }
    );
    let stats = Arc::new(LoadStats::default());
    let stop = stop_on_ctrl_c();
    let printer = tokio::spawn(print_every_second(stats.clone()));
    let r = load::run(db, &plan, &opts, stats.clone(), stop).await;
    printer.abort();
    let run_id = ulid::Ulid::new().to_string();
    let mut summary = serde_json::json!({
        "drill": "load",
        "attribute": args.attribute,
        "hotKey": format!("{}={}", pk.name, plan.hot_text()),
        "hotShare": args.hot_share,
        "rateAsked": args.rate,
    });
    match &r {
        Ok(rep) => {
            summary["written"] = rep.writes.into();
            summary["hotWritten"] = rep.hot_writes.into();
            summary["errors"] = rep.errors.into();
            summary["missing"] = rep.missing.into();
            summary["throttles"] = rep.throttles.into();
            summary["meanWriteMs"] = ((rep.mean_write_ms * 10.0).round() / 10.0).into();
            summary["achievedRate"] = ((rep.achieved_rate * 10.0).round() / 10.0).into();
            summary["elapsedMs"] = (rep.elapsed.as_millis() as u64).into();
            summary["stopped"] = rep.stopped.into();
        }
        Err(e) => {
            summary["written"] = stats.writes.load(Ordering::Relaxed).into();
            summary["error"] = e.to_string().into();
        }
    }
    if let Some(log) = AuditLog::default_log()
        && let Err(e) = log.append(&AuditEntry::bulk(
            db.context(),
            &table,
            "load",
            &run_id,
            summary,
        ))
    {
        eprintln!(
            "warning: cannot append to the audit log {}: {e}",
            log.path.display()
        );
    }
    let rep = r.map_err(|e| anyhow::anyhow!("the load stopped: {e}"))?;
    eprintln!("{}", summary_line(&table, &opts, &rep));
    if let Some(e) = &rep.first_error {
        eprintln!("first error: {e}");
    }
    Ok(if rep.stopped { INTERRUPTED } else { 0 })
}

fn alerts_num(v: f64) -> String {
    crate::metrics::alerts::num(v)
}

/// The end of a run: what was done, the rate achieved against the rate
/// asked, and what went wrong.
pub fn summary_line(table: &str, opts: &LoadOptions, rep: &LoadReport) -> String {
    let secs = rep.elapsed.as_secs_f64();
    let short = rep.achieved_rate < 0.9 * opts.rate && secs >= 1.0;
    let why = if !short {
        String::new()
    } else if rep.throttles > 0 {
        " (held back by throttling)".to_string()
    } else if rep.mean_write_ms > 0.0 {
        let c = opts.write.concurrency;
        format!(
            " (held back by write latency: a write took {} ms on average, so {c} in flight allow about {} writes/s; raise --concurrency if the table can take more)",
            alerts_num(rep.mean_write_ms),
            alerts_num(c as f64 * 1000.0 / rep.mean_write_ms)
        )
    } else {
        " (held back: no write finished)".to_string()
    };
    format!(
        "{} {} writes to {table} in {:.1} s ({} on the hot partition): {} writes/s achieved of {} asked{why}; {} errors, {} items gone, {} throttled, {} retries",
        if rep.stopped {
            "stopped after"
        } else {
            "done:"
        },
        rep.writes,
        secs,
        rep.hot_writes,
        alerts_num(rep.achieved_rate),
        alerts_num(opts.rate),
        rep.errors,
        rep.missing,
        rep.throttles,
        rep.retries,
    )
}

/// A line a second on stderr: writes in that second and in all, errors.
async fn print_every_second(stats: Arc<LoadStats>) {
    let began = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut last = 0u64;
    loop {
        tick.tick().await;
        let w = stats.writes.load(Ordering::Relaxed);
        let line = format!(
            "{:>4} s: {} writes/s, {w} writes ({} hot), {} errors, {} throttled",
            began.elapsed().as_secs(),
            w - last,
            stats.hot_writes.load(Ordering::Relaxed),
            stats.errors.load(Ordering::Relaxed),
            stats.throttles.load(Ordering::Relaxed),
        );
        last = w;
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(writes: u64, secs: f64, throttles: u64) -> LoadReport {
        LoadReport {
            writes,
            hot_writes: writes / 2,
            errors: 0,
            missing: 0,
            throttles,
            retries: throttles,
            mean_write_ms: 60.0,
            elapsed: Duration::from_secs_f64(secs),
            achieved_rate: writes as f64 / secs,
            stopped: false,
            first_error: None,
        }
    }

    fn opts(rate: f64) -> LoadOptions {
        LoadOptions {
            rate,
            hot_share: 0.5,
            duration: None,
            max_writes: None,
            attribute: "drillWrites".into(),
            write: WriteOptions {
                concurrency: 16,
                ..WriteOptions::default()
            },
            seed: 1,
        }
    }

    #[test]
    fn the_summary_says_the_rate_achieved_and_what_held_it_back() {
        let line = summary_line("t", &opts(100.0), &report(1000, 10.0, 0));
        assert_eq!(
            line,
            "done: 1000 writes to t in 10.0 s (500 on the hot partition): 100 writes/s achieved of 100 asked; 0 errors, 0 items gone, 0 throttled, 0 retries"
        );
        let line = summary_line("t", &opts(500.0), &report(2580, 10.0, 0));
        assert!(
            line.contains("258 writes/s achieved of 500 asked (held back by write latency: a write took 60 ms on average, so 16 in flight allow about 267 writes/s; raise --concurrency if the table can take more)"),
            "{line}"
        );
        let line = summary_line("t", &opts(500.0), &report(2580, 10.0, 37));
        assert!(
            line.contains(
                "of 500 asked (held back by throttling); 0 errors, 0 items gone, 37 throttled"
            ),
            "{line}"
        );
    }
}
