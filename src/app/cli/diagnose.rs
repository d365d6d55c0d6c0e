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
use crate::metrics::alerts::{Alert, AlertConfig, Severity};
use crate::metrics::insights::{self, InsightsStatus, RuleKind, RuleReport};
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
    /// Also follow the table's stream for this long (e.g. 60s) and report
    /// the hot write keys it measured: works without Contributor Insights
    /// (and on DynamoDB Local, which has no CloudWatch). Streams see writes
    /// only.
    #[arg(long, value_name = "DURATION", value_parser = crate::app::live::parse_duration)]
    pub live: Option<std::time::Duration>,
}

/// The hot write keys measured on the stream (`--live`).
#[derive(Debug, Clone)]
pub struct LiveReport {
    pub seconds: u64,
    /// Writes seen in the window.
    pub writes: u64,
    pub wcu_per_s: f64,
    /// The top keys with their key fields decoded.
    pub keys: Vec<(crate::metrics::hotwrites::KeyRate, String)>,
    /// False when there was no CloudWatch (DynamoDB Local).
    pub cloudwatch: bool,
}

/// Follows `table`'s stream for `duration`; the hot write keys and their
/// alerts.
async fn measure_live(
    db: &Dynamo,
    project: &Project,
    table: &str,
    duration: std::time::Duration,
) -> anyhow::Result<(LiveReport, Vec<Alert>)> {
    use crate::app::live::{ChangeFilter, Decoded, FollowSink, FollowSpec, follow_table};
    struct Quiet;
    impl FollowSink for Quiet {
        fn ready(&mut self, shards: usize) {
            eprintln!("following the stream ({shards} shards) to measure hot write keys ...");
        }
        fn change(&mut self, _d: &Decoded) -> std::io::Result<()> {
            Ok(())
        }
        fn notice(&mut self, text: &str) {
            eprintln!("notice: {text}");
        }
    }
    let info = crate::app::cli::describe(db, table).await?;
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let tracker = follow_table(
        db,
        project,
        &info,
        &FollowSpec {
            start: crate::dynamo::stream::StartAt::Latest,
            duration: Some(duration),
            window: duration,
            filter: ChangeFilter::default(),
        },
        &mut Quiet,
        stop,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = crate::app::live::now_ms();
    let alerts = tracker.alerts(now);
    let mut decoder = Decoder::new(&project.decode, info.table_keys());
    let keys = tracker
        .hot
        .top_keys(10)
        .into_iter()
        .map(|k| {
            let (_, fields) = decoder.decode_key(&k.key, None);
            let shown = crate::dynamo::keyshape::shown(&fields);
            (k, shown)
        })
        .collect();
    Ok((
        LiveReport {
            seconds: duration.as_secs(),
            writes: tracker.hot.total_writes(),
            wcu_per_s: tracker.hot.wcu_per_s(),
            keys,
            cloudwatch: !db.context().is_local(),
        },
        alerts,
    ))
}

/// A report with no CloudWatch data (DynamoDB Local): the stream's only.
fn empty_snapshot(db: &Dynamo, info: &crate::dynamo::client::TableInfo, seconds: u64) -> Snapshot {
    let now = now_epoch();
    let data = crate::metrics::MetricsData {
        target: Target::of(info),
        range: Range::Custom {
            start: now - seconds as i64,
            end: now,
        },
        start: now - seconds as i64,
        end: now,
        period: 60,
        series: Vec::new(),
        fetched_at: now,
        partial: false,
        calls: 0,
    };
    Snapshot::capture(
        db.context(),
        data,
        Vec::new(),
        Vec::new(),
        &AlertConfig::default(),
    )
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
    let mut live = None;
    let snap = match &args.snapshot {
        Some(p) => Snapshot::load(p).map_err(|e| anyhow::anyhow!(e))?,
        None => {
            let db = db.ok_or_else(|| anyhow::anyhow!("not connected"))?;
            let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
            let range = Range::parse(&args.since).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
            let mut snap = match args.live {
                Some(d) if db.context().is_local() => {
                    let info = crate::app::cli::describe(db, &table).await?;
                    empty_snapshot(db, &info, d.as_secs())
                }
                _ => capture(db, &table, range, &project.alerts).await?,
            };
            if let Some(d) = args.live {
                let (report, alerts) = measure_live(db, project, &table, d).await?;
                snap.alerts.extend(alerts);
                live = Some(report);
            }
            snap
        }
    };
    if args.snapshot.is_some() && args.live.is_some() {
        anyhow::bail!("--live follows the table's stream now: it cannot be used with --snapshot");
    }
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
            let mut v = report_json(&snap, project);
            if let (Some(l), serde_json::Value::Object(m)) = (&live, &mut v) {
                m.insert("hotWriteKeys".into(), live_json(l));
            }
            if args.output == Output::Json {
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            }
        }
        Output::Table => {
            write!(
                out,
                "{}",
                report_text(&snap, project, args.snapshot.is_some())
            )?;
            if let Some(l) = &live {
                write!(out, "{}", live_text(l))?;
            }
        }
    }
    Ok(code)
}

/// `critical`, `warning`, `info`, `ok`.
fn severity_word(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Critical) => "critical",
        Some(Severity::Warn) => "warning",
        Some(Severity::Info) => "info",
        None => "ok",
    }
}

/// The alerts, most severe first, then newest first.
pub fn by_severity(snap: &Snapshot) -> Vec<&Alert> {
    let mut v: Vec<&Alert> = snap.alerts.iter().collect();
    v.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.time.cmp(&a.time)));
    v
}

/// The one-line verdict: the worst alert (severity, what, where), and how
/// many others there are.
pub fn verdict(snap: &Snapshot) -> String {
    let table = &snap.data.target.table;
    let sorted = by_severity(snap);
    let Some(first) = sorted.first() else {
        return format!(
            "OK: no alerts on {table} from {} to {}",
            fmt_time(snap.data.start),
            fmt_time(snap.data.end)
        );
    };
    let count = |s: Severity| sorted.iter().filter(|a| a.severity == s).count();
    let mut parts = Vec::new();
    for (s, one, many) in [
        (Severity::Critical, "critical", "critical"),
        (Severity::Warn, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ] {
        match count(s) {
            0 => {}
            1 => parts.push(format!("1 {one}")),
            n => parts.push(format!("{n} {many}")),
        }
    }
    format!(
        "{}: {} ({table}, {}); {} alert{}: {}",
        severity_word(Some(first.severity)).to_uppercase(),
        first.title,
        fmt_time(first.time),
        sorted.len(),
        if sorted.len() == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// The commands to run next, each with why: the partition of every hot key
/// named by an alert, the table's description for capacity alerts, and a
/// live diagnose of the last 15 minutes.
pub fn next_commands(snap: &Snapshot) -> Vec<(String, String)> {
    let table = &snap.data.target.table;
    let mut conn = Vec::new();
    if let Some(e) = &snap.endpoint {
        conn.push("--endpoint-url".to_string());
        conn.push(e.clone());
    }
    if let Some(r) = &snap.region {
        conn.push("--region".to_string());
        conn.push(r.clone());
    }
    let command = |words: Vec<String>| -> Option<String> {
        let mut all = vec!["dyntui".to_string()];
        all.extend(conn.iter().cloned());
        all.extend(words);
        shlex::try_join(all.iter().map(String::as_str)).ok()
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let push = |cmd: Option<String>, why: String, out: &mut Vec<(String, String)>| {
        if let Some(c) = cmd
            && !out.iter().any(|(o, _)| *o == c)
        {
            out.push((c, why));
        }
    };
    for a in by_severity(snap) {
        if let Some(pk) = a.key.as_ref().and_then(|k| k.first()) {
            let mut words = vec!["query".into(), "--table".into(), table.clone()];
            if let Resource::Gsi(g) = &a.resource {
                words.push("--index".into());
                words.push(g.clone());
            }
            words.push("--pk".into());
            words.push(pk.clone());
            push(
                command(words),
                format!("the items of {pk} on {} ({})", a.resource.label(), a.title),
                &mut out,
            );
        } else if matches!(a.rule.as_str(), "capacity_near_limit" | "gsi_back_pressure") {
            push(
                command(vec!["describe".into(), "--table".into(), table.clone()]),
                format!("the provisioned capacity behind \"{}\"", a.title),
                &mut out,
            );
        }
    }
    if !snap.alerts.is_empty() {
        push(
            command(vec![
                "diagnose".into(),
                "--table".into(),
                table.clone(),
                "--since".into(),
                "15m".into(),
            ]),
            "whether it is still going on (live, the last 15 minutes)".into(),
            &mut out,
        );
    }
    out
}

/// Which project file decoded the keys.
fn project_line(project: &Project) -> String {
    match &project.path {
        Some(p) => format!("project file: {}", p.display()),
        None => "project file: none found (keys decoded from their shape, `~` = a guessed name; \
                 `dyntui init --table T` writes one, or pass --config)"
            .to_string(),
    }
}

/// The text report: verdict, alerts, next commands, peaks, top keys.
pub fn report_text(snap: &Snapshot, project: &Project, from_snapshot: bool) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(verdict(snap));
    line(format!(
        "{} from {} to {} ({}-second datapoints){}",
        snap.data.target.table,
        fmt_time(snap.data.start),
        fmt_time(snap.data.end),
        snap.data.period,
        if from_snapshot {
            format!(", snapshot captured {}", fmt_time(snap.captured_at))
        } else {
            String::new()
        }
    ));
    line(project_line(project));
    let alerts = by_severity(snap);
    if !alerts.is_empty() {
        line(String::new());
        line("ALERTS, most severe first".into());
        for a in alerts {
            let tag = match a.severity {
                Severity::Critical => "CRITICAL",
                Severity::Warn => "WARNING ",
                Severity::Info => "INFO    ",
            };
            line(format!("{tag} {}  {}", fmt_time(a.time), a.title));
            line(format!("         {}", a.detail));
        }
    }
    let next = next_commands(snap);
    if !next.is_empty() {
        line(String::new());
        line("NEXT COMMANDS".into());
        for (c, why) in next {
            line(format!("  {c}"));
            line(format!("      # {why}"));
        }
    }
    let figs = figures(snap);
    if !figs.is_empty() {
        line(String::new());
        line("PEAKS".into());
        for (k, v) in figs {
            line(format!("  {k:<36} {v}"));
        }
    }
    let keys = top_keys(snap, project);
    if !keys.is_empty() {
        line(String::new());
        line("TOP KEYS (Contributor Insights, over the whole window)".into());
        let mut last = String::new();
        for k in keys {
            let heading = format!("  {} on {}:", k.rule_name, k.resource);
            if heading != last {
                line(heading.clone());
                last = heading;
            }
            line(format!(
                "    {:<10} {:<40} {}  ({})",
                k.entity,
                k.fields,
                k.amount,
                k.keys.join(" · ")
            ));
        }
    }
    out
}

/// The hot write keys section of the text report.
pub fn live_text(l: &LiveReport) -> String {
    use crate::metrics::alerts::num;
    let mut out = String::new();
    out.push('\n');
    out.push_str(&format!(
        "HOT WRITE KEYS (the table's stream, last {} s: {} writes, ~{} WCU/s; streams see writes only; limit {} WCU/s per partition)\n",
        l.seconds,
        l.writes,
        num(l.wcu_per_s),
        num(crate::metrics::hotwrites::PARTITION_WCU_PER_SECOND)
    ));
    if !l.cloudwatch {
        out.push_str("  (no CloudWatch on DynamoDB Local: this section is all there is)\n");
    }
    if l.keys.is_empty() {
        out.push_str("  no writes seen\n");
    }
    for (k, fields) in &l.keys {
        out.push_str(&format!(
            "  {:<10} {:<40} {:>3.0}% of writes  ~{} WCU/s  ({})\n",
            k.entity.as_deref().unwrap_or("—"),
            if fields.is_empty() { &k.key } else { fields },
            k.share_of_writes * 100.0,
            num(k.wcu_per_s),
            k.key
        ));
    }
    out
}

/// The hot write keys section of the JSON report.
pub fn live_json(l: &LiveReport) -> serde_json::Value {
    serde_json::json!({
        "seconds": l.seconds,
        "writes": l.writes,
        "wcuPerSecond": l.wcu_per_s,
        "cloudwatch": l.cloudwatch,
        "keys": l.keys.iter().map(|(k, fields)| serde_json::json!({
            "key": k.key, "entity": k.entity, "fields": fields, "writes": k.writes,
            "share": k.share_of_writes, "wcuPerSecond": k.wcu_per_s,
        })).collect::<Vec<_>>(),
    })
}

/// The JSON report.
pub fn report_json(snap: &Snapshot, project: &Project) -> serde_json::Value {
    let worst = snap.alerts.iter().map(|a| a.severity).max();
    serde_json::json!({
        "verdict": verdict(snap),
        "severity": severity_word(worst),
        "table": snap.data.target.table,
        "capturedAt": fmt_time(snap.captured_at),
        "range": { "start": fmt_time(snap.data.start), "end": fmt_time(snap.data.end), "periodSeconds": snap.data.period },
        "projectFile": project.path.as_ref().map(|p| p.display().to_string()),
        "alerts": by_severity(snap),
        "nextCommands": next_commands(snap).into_iter().map(|(c, why)| serde_json::json!({"command": c, "why": why})).collect::<Vec<_>>(),
        "peaks": figures(snap).into_iter().map(|(k, v)| serde_json::json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "topKeys": top_keys(snap, project).into_iter().map(|k| serde_json::json!({
            "rule": k.rule, "ruleName": k.rule_name, "resource": k.resource, "entity": k.entity,
            "fields": k.fields, "keys": k.keys, "value": k.value, "unit": k.unit,
        })).collect::<Vec<_>>(),
    })
}

/// Peak values of the key series, each with its unit.
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
        let unit = match (s.key.metric.as_str(), s.unit.as_str()) {
            ("ConsumedReadCapacityUnits", _) => "RCU/s",
            ("ConsumedWriteCapacityUnits", _) => "WCU/s",
            (m, _) if m.contains("Throttle") => "throttle events",
            (_, "count") => "",
            (_, u) => u,
        };
        let per = if s.unit == "count" {
            format!(" in a {}-second datapoint", snap.data.period)
        } else {
            String::new()
        };
        out.push((
            format!("peak {}", s.label),
            format!(
                "{} {unit}{per} at {}",
                crate::metrics::alerts::num(v),
                fmt_time(t)
            ),
        ));
    }
    out
}

/// One top contributor, decoded.
pub struct TopKey {
    /// `PKC`, `SKC`, `PKT`, `SKT`.
    pub rule: &'static str,
    /// What the rule ranks, in words.
    pub rule_name: &'static str,
    /// `table` or `GSI name`.
    pub resource: String,
    pub entity: String,
    /// Named key fields (`customerId=c00243`; `~` marks a guessed name).
    pub fields: String,
    /// The raw key values.
    pub keys: Vec<String>,
    pub value: f64,
    pub unit: &'static str,
    /// `3,722,766 capacity units`.
    pub amount: String,
}

/// Top contributors (five per rule) decoded by entity with the project's
/// decoding (or from the keys' shape without one).
fn top_keys(snap: &Snapshot, project: &Project) -> Vec<TopKey> {
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
        let rule_name = r.kind.plain();
        let unit = match r.kind {
            RuleKind::Pkc | RuleKind::Skc => "capacity units",
            RuleKind::Pkt | RuleKind::Skt => "throttled requests",
        };
        for c in r.contributors.iter().take(5) {
            let pk = c.keys.first().map(String::as_str).unwrap_or("");
            let (cl, fields) = decoder.decode_key(pk, c.keys.get(1).map(String::as_str));
            let entity = cl
                .entity
                .map(|e| decoder.entity_name(e).to_string())
                .unwrap_or_else(|| "—".into());
            out.push(TopKey {
                rule: r.kind.code(),
                rule_name,
                resource: r.resource.label(),
                entity,
                fields: crate::dynamo::keyshape::shown(&fields),
                keys: c.keys.clone(),
                value: c.value,
                unit,
                amount: format!("{} {unit}", crate::metrics::alerts::num(c.value)),
            });
        }
    }
    out
}
