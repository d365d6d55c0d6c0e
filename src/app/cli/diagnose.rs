//! `dyntui diagnose`: the on-call view for runbooks and chat bots. Fetches
//! the same metrics, Contributor Insights and alerts as the metrics view (or
//! reads a snapshot), prints the alerts and key figures, and exits by
//! severity: 0 no alert or only info, 2 warning, 3 critical (1 = error).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::app::cli::Output;
use crate::app::config::Project;
use crate::dynamo::client::Dynamo;
use crate::dynamo::entity::{Decoder, TableKeys};
use crate::metrics::alerts::{AlertConfig, Severity};
use crate::metrics::insights::{self, InsightsStatus, RuleReport};
use crate::metrics::snapshot::Snapshot;
use crate::metrics::{Range, Resource, Target, fmt_time};

#[derive(Debug, Args, Clone)]
pub struct DiagnoseArgs {
    /// Table (default: the project's default_table).
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// Time range: 1h, 3h, 12h, 1d, 3d, 1w, or START..END (RFC 3339).
    #[arg(long, default_value = "1h")]
    pub since: String,
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Output,
    /// Also save what was fetched as a snapshot file.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Read a saved snapshot instead of fetching.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
}

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Fetches a snapshot of `table` live (the metrics view's path).
pub async fn capture(
    db: &Dynamo,
    table: &str,
    range: Range,
    cfg: &AlertConfig,
) -> anyhow::Result<Snapshot> {
    if db.context().is_local() {
        anyhow::bail!(
            "NoCloudWatch: DynamoDB Local has no CloudWatch or Contributor Insights\nhint: point dyntui at AWS, or read a snapshot: dyntui diagnose --snapshot config/demo/incident.json"
        );
    }
    let info = db
        .describe(table)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let target = Target::of(&info);
    let data =
        crate::metrics::fetch::fetch(db.cloudwatch(), db.context(), &target, range, now_epoch())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let statuses: Vec<InsightsStatus> = insights::statuses(db, &target)
        .await
        .into_iter()
        .filter_map(|r| match r {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("contributor insights: {e}");
                None
            }
        })
        .collect();
    let reports: Vec<RuleReport> = insights::reports(
        db.cloudwatch(),
        db.context(),
        &statuses,
        data.start,
        data.end,
        data.period,
    )
    .await
    .into_iter()
    .filter_map(|r| match r {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("contributor insights: {e}");
            None
        }
    })
    .collect();
    Ok(Snapshot::capture(
        db.context(),
        data,
        statuses,
        reports,
        cfg,
    ))
}

/// Runs the command; returns the exit code by severity.
pub async fn run(db: Option<&Dynamo>, project: &Project, args: DiagnoseArgs) -> anyhow::Result<u8> {
    let snap = match &args.snapshot {
        Some(p) => Snapshot::load(p).map_err(|e| anyhow::anyhow!(e))?,
        None => {
            let db = db.ok_or_else(|| anyhow::anyhow!("not connected"))?;
            let table = args
                .table
                .clone()
                .or_else(|| project.default_table.clone())
                .ok_or_else(|| anyhow::anyhow!("no table: pass --table"))?;
            let range = Range::parse(&args.since).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
            capture(db, &table, range, &project.alerts).await?
        }
    };
    if let Some(p) = &args.save {
        snap.save(p).map_err(|e| anyhow::anyhow!(e))?;
        eprintln!("saved {}", p.display());
    }
    let worst = snap.alerts.iter().map(|a| a.severity).max();
    let code = match worst {
        Some(Severity::Critical) => 3,
        Some(Severity::Warn) => 2,
        _ => 0,
    };
    let mut out = std::io::stdout().lock();
    match args.output {
        Output::Json | Output::Jsonl => {
            let v = serde_json::json!({
                "table": snap.data.target.table,
                "capturedAt": fmt_time(snap.captured_at),
                "range": { "start": fmt_time(snap.data.start), "end": fmt_time(snap.data.end), "period": snap.data.period },
                "severity": match worst { Some(Severity::Critical) => "critical", Some(Severity::Warn) => "warning", Some(Severity::Info) => "info", None => "ok" },
                "alerts": snap.alerts,
                "figures": figures(&snap).into_iter().map(|(k, v)| serde_json::json!({"name": k, "value": v})).collect::<Vec<_>>(),
                "topKeys": top_keys(&snap, project),
            });
            if args.output == Output::Json {
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            }
        }
        Output::Table => {
            writeln!(
                out,
                "{} {} → {} (period {} s){}",
                snap.data.target.table,
                fmt_time(snap.data.start),
                fmt_time(snap.data.end),
                snap.data.period,
                if args.snapshot.is_some() {
                    format!(", snapshot captured {}", fmt_time(snap.captured_at))
                } else {
                    String::new()
                }
            )?;
            writeln!(out)?;
            if snap.alerts.is_empty() {
                writeln!(out, "no alerts")?;
            }
            for a in &snap.alerts {
                let tag = match a.severity {
                    Severity::Critical => "CRITICAL",
                    Severity::Warn => "WARNING ",
                    Severity::Info => "INFO    ",
                };
                writeln!(out, "{tag} {}  {}", fmt_time(a.time), a.title)?;
                writeln!(out, "         {}", a.detail)?;
            }
            writeln!(out)?;
            for (k, v) in figures(&snap) {
                writeln!(out, "{k:<44} {v}")?;
            }
            let keys = top_keys(&snap, project);
            if !keys.is_empty() {
                writeln!(out)?;
                writeln!(out, "top keys:")?;
                for k in keys {
                    writeln!(out, "  {k}")?;
                }
            }
        }
    }
    Ok(code)
}

/// Peak values of the key series.
fn figures(snap: &Snapshot) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in &snap.data.series {
        let interesting = s.key.operation.is_none()
            && matches!(
                s.key.metric.as_str(),
                "ReadThrottleEvents"
                    | "WriteThrottleEvents"
                    | "ConsumedReadCapacityUnits"
                    | "ConsumedWriteCapacityUnits"
            )
            || (s.key.metric == "SuccessfulRequestLatency" && s.key.stat == "p99");
        if !interesting {
            continue;
        }
        let Some((t, v)) = s.points.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            continue;
        };
        if v <= 0.0 && s.key.metric.contains("Throttle") {
            continue;
        }
        out.push((
            format!("peak {}", s.label),
            format!("{v:.1} {} at {}", s.unit, fmt_time(t)),
        ));
    }
    out
}

/// Top contributors decoded by entity: `PKT table Customer customerId=c00243 (CUSTOMER#c00243) 1234`.
fn top_keys(snap: &Snapshot, project: &Project) -> Vec<String> {
    let mut decoder = Decoder::new(
        &project.decode,
        TableKeys {
            pk: "PK".into(),
            sk: Some("SK".into()),
            index_key_attrs: Vec::new(),
        },
    );
    let mut out = Vec::new();
    for r in &snap.reports {
        for c in r.contributors.iter().take(5) {
            let pk = c.keys.first().map(String::as_str).unwrap_or("");
            let (cl, fields) = decoder.decode_key(pk, c.keys.get(1).map(String::as_str));
            let entity = cl
                .entity
                .map(|e| decoder.entity_name(e).to_string())
                .unwrap_or_else(|| "—".into());
            let decoded = crate::dynamo::keyshape::shown(&fields);
            out.push(format!(
                "{:?} {} {entity} {decoded} ({}) {:.0}",
                r.kind,
                match &r.resource {
                    Resource::Table => "table".to_string(),
                    Resource::Gsi(g) => g.clone(),
                },
                c.keys.join(" · "),
                c.value
            ));
        }
    }
    out
}
