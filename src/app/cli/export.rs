//! `dyntui export`, `import` and `copy`: the headless side of
//! `dynamo::export`, sharing the selection (a saved pattern, an entity type,
//! a filter) with `dyntui query` and the TUI.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::app::audit::{AUDIT_KEYS, key_names, record_run, record_seed_run};
use crate::app::cli::edit::{WriteArgs, check_writable};
use crate::app::cli::seed::{INTERRUPTED, WriteRate, stop_on_ctrl_c};
use crate::app::config::Project;
use crate::dynamo::client::{ConnectOptions, Dynamo, TableInfo};
use crate::dynamo::entity::{Decoder, EntityId, TableKeys};
use crate::dynamo::export::{self, ExportFormat, ReadOptions, ReadProgress, Summary};
use crate::dynamo::redact::Redactor;
use crate::dynamo::request::{Filter, ItemsRequest};
use crate::dynamo::seed::Progress;
use crate::dynamo::seeding::{self, RunOptions, SeedSet, SeedSettings, SeedSource};
use crate::dynamo::split::{self, PartEvent, Split};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// DynamoDB JSON lines: every type exact (what import reads back identically).
    Dynamodb,
    /// Plain JSON lines: numbers exact; sets become arrays, binary base64.
    Plain,
    /// CSV, one file per entity type (NAME.Type.csv) with its columns.
    Csv,
    /// Amazon Ion (native export with --s3 only).
    Ion,
}

/// What to read: all of a table, a saved pattern's items, one entity type,
/// or a filter.
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    /// A saved access pattern (Query); see `dyntui patterns list`.
    #[arg(long)]
    pub pattern: Option<String>,
    /// Pattern parameter, repeatable.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Only items of this entity type (decoded as in the TUI).
    #[arg(long = "type", value_name = "ENTITY")]
    pub entity: Option<String>,
    /// Server-side filter, e.g. `status = SHIPPED and total > 100`.
    #[arg(long, short = 'f')]
    pub filter: Option<String>,
    /// Scan an index instead of the table.
    #[arg(long, short = 'i')]
    pub index: Option<String>,
    /// Parallel Scan segments.
    #[arg(long, default_value_t = 4)]
    pub segments: u32,
    /// Stay under this many read capacity units per second.
    #[arg(long, value_name = "RCU")]
    pub read_rate_limit: Option<f64>,
    /// Items per request (DynamoDB Limit; default: 1 MB pages).
    #[arg(long)]
    pub page_size: Option<i32>,
}

#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    #[arg(long, short = 't')]
    pub table: Option<String>,
    #[command(flatten)]
    pub select: Selection,
    /// Output file (`-` for stdout). Written as FILE.partial and renamed when complete.
    #[arg(long, short = 'o', required_unless_present = "s3")]
    pub output: Option<PathBuf>,
    /// DynamoDB's own export into S3 (ExportTableToPointInTime) instead of
    /// a file: s3://bucket/prefix. Reads no capacity and takes the whole
    /// table (or, with --incremental, its changes); needs point-in-time
    /// recovery (offered when it is off). Followed to its end.
    #[arg(
        long,
        value_name = "S3_URL",
        conflicts_with_all = ["output", "pattern", "params", "entity", "filter", "index", "segments", "read_rate_limit", "page_size", "explain", "parts"]
    )]
    pub s3: Option<String>,
    /// Default: csv for a .csv file, else dynamodb (with --s3: dynamodb or ion).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Split the export into N files, one per Scan segment, in the folder
    /// given by -o (`<table>.part-00003-of-00016.jsonl`); parts already
    /// complete there are skipped, so running the same command again
    /// finishes a stopped export. `import FOLDER` reads them back.
    #[arg(long, value_name = "N")]
    pub parts: Option<u32>,
    /// With --parts: the processes sharing the export (on one machine or
    /// many, writing to one folder or each to its own); each writes the
    /// parts whose number modulo N is its --worker-id.
    #[arg(long, value_name = "N", requires = "parts")]
    pub workers: Option<u32>,
    /// With --workers: this process's number, 0 to N-1 (or a name ending
    /// in it, like pod-2); default: $JOB_COMPLETION_INDEX (a Kubernetes
    /// indexed Job) or $AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array).
    #[arg(long, value_name = "ID", requires = "workers")]
    pub worker_id: Option<String>,
    #[command(flatten)]
    pub native: crate::app::cli::native::NativeExportArgs,
    #[command(flatten)]
    pub explain: crate::app::cli::explain::ExplainArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// A file written by `dyntui export` (JSON lines, plain or DynamoDB
    /// JSON), or an AWS export folder (ExportTableToPointInTime in DynamoDB
    /// JSON: the folder with manifest-summary.json, or the downloaded
    /// prefix above its AWSDynamoDB/ folder). An s3://bucket/prefix source
    /// is an export folder in S3, read here as a stream, or one object (a
    /// dyntui export file, copied here first); with --native, DynamoDB's
    /// ImportTable loads the prefix into a new table instead.
    pub file: PathBuf,
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// Import the complete lines of a truncated file (a stopped export).
    #[arg(long)]
    pub allow_truncated: bool,
    /// Import a `--format plain` export although its sets come back as
    /// lists and its binary as base64 strings.
    #[arg(long)]
    pub allow_plain: bool,
    #[command(flatten)]
    pub native: crate::app::cli::native::NativeImportArgs,
    #[command(flatten)]
    pub redact: RedactArgs,
    #[command(flatten)]
    pub rate: WriteRate,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub explain: crate::app::cli::explain::ExplainArgs,
}

#[derive(Debug, Args, Clone)]
pub struct CopyArgs {
    /// Source table.
    #[arg(long)]
    pub from_table: String,
    /// Source profile (default: --profile).
    #[arg(long)]
    pub from_profile: Option<String>,
    #[arg(long)]
    pub from_region: Option<String>,
    /// Source endpoint (`none` for AWS when --endpoint-url is set).
    #[arg(long, value_name = "URL")]
    pub from_endpoint: Option<String>,
    /// Destination table (default: the source table's name).
    #[arg(long)]
    pub to_table: Option<String>,
    #[arg(long)]
    pub to_profile: Option<String>,
    #[arg(long)]
    pub to_region: Option<String>,
    /// Destination endpoint, e.g. http://127.0.0.1:8000 (`none` for AWS).
    #[arg(long, value_name = "URL")]
    pub to_endpoint: Option<String>,
    #[command(flatten)]
    pub select: Selection,
    #[command(flatten)]
    pub redact: RedactArgs,
    /// Batched writes on the destination.
    #[command(flatten)]
    pub rate: WriteRate,
    #[command(flatten)]
    pub write: WriteArgs,
    #[command(flatten)]
    pub explain: crate::app::cli::explain::ExplainArgs,
}

/// Redaction of personal data on the way into a table (copy, import).
#[derive(Debug, Args, Clone, Default)]
pub struct RedactArgs {
    /// Replace the `[redact]` attributes of dyntui.toml with fake values.
    #[arg(long)]
    pub redact: bool,
    /// More attributes to redact: ATTRIBUTE=KIND (name, email, phone, ...); implies --redact.
    #[arg(long = "redact-attr", value_name = "ATTR=KIND")]
    pub redact_attrs: Vec<String>,
    /// The same seed gives the same fake values in every run (default: a
    /// new one for each copy; for an import, one drawn from the file, so a
    /// resumed import writes the same fake values).
    #[arg(long)]
    pub redact_seed: Option<u64>,
}

impl RedactArgs {
    /// The redactor the flags ask for (None: no redaction), with `seed`
    /// when `--redact-seed` is not given.
    pub fn redactor(
        &self,
        project: &Project,
        seed: Option<u64>,
    ) -> anyhow::Result<Option<Redactor>> {
        let mut rules = if self.redact || !self.redact_attrs.is_empty() {
            project.redact.clone()
        } else {
            Vec::new()
        };
        rules.extend(Redactor::parse_rules(&self.redact_attrs).map_err(|e| anyhow::anyhow!(e))?);
        if self.redact && rules.is_empty() {
            anyhow::bail!(
                "--redact: no attributes to redact; add a [redact] table to dyntui.toml (email = \"email\") or --redact-attr"
            );
        }
        Ok((!rules.is_empty()).then(|| Redactor::new(rules, self.redact_seed.or(seed))))
    }
}

/// `, redacting email (email), name (name)` for a run's first line.
fn redacting_text(r: Option<&Redactor>) -> String {
    match r {
        Some(r) => format!(
            ", redacting {}",
            r.rules()
                .iter()
                .map(|(a, k)| format!("{a} ({})", k.name()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    }
}

fn decoder_for(project: &Project, info: &TableInfo) -> Decoder {
    Decoder::new(
        &project.decode,
        TableKeys {
            pk: info.pk.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
            sk: info.sk.as_ref().map(|k| k.name.clone()),
            index_key_attrs: info.index_key_attrs(),
        },
    )
}

/// The request and type of a selection, checked before anything is read.
pub fn resolve(
    project: &Project,
    table: &str,
    info: &TableInfo,
    sel: &Selection,
) -> anyhow::Result<(ItemsRequest, Decoder, Option<EntityId>)> {
    let mut req = match &sel.pattern {
        Some(name) => {
            let saved = project.pattern(name).ok_or_else(|| {
                anyhow::anyhow!("no pattern `{name}` (see `dyntui patterns list`)")
            })?;
            let given = crate::app::cli::parse_params(&sel.params)?;
            let mut req = saved
                .pattern
                .compile(table, info, &given)
                .map_err(|e| anyhow::anyhow!(e))?;
            // Every page: the pattern's page size is for screens.
            req.page_size = None;
            req
        }
        None => {
            if !sel.params.is_empty() {
                anyhow::bail!("--param needs --pattern");
            }
            let mut r = ItemsRequest::scan(table.to_string());
            r.index = sel.index.clone();
            r
        }
    };
    if let Some(n) = sel.page_size {
        if n < 1 {
            anyhow::bail!("--page-size must be at least 1");
        }
        req.page_size = Some(n);
    }
    if let Some(f) = &sel.filter {
        let f = Filter::parse(f).map_err(|e| anyhow::anyhow!("--filter: {e}"))?;
        req.filter = Some(match req.filter.take() {
            Some(existing) => existing.and(f),
            None => f,
        });
    }
    let decoder = decoder_for(project, info);
    let only = match &sel.entity {
        Some(name) => Some(decoder.entity_id(name).ok_or_else(|| {
            anyhow::anyhow!(
                "--type {name}: no such entity (declared: {})",
                project
                    .decode
                    .entities
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
        None => None,
    };
    Ok((req, decoder, only))
}

fn read_options(sel: &Selection) -> ReadOptions {
    ReadOptions {
        segments: sel.segments.clamp(1, 1000),
        rate_limit_rcu: sel.read_rate_limit,
        ..ReadOptions::default()
    }
}

/// What a progress line counts.
enum Counting {
    /// Items read (export).
    Read(Arc<ReadProgress>),
    /// Items read and written (copy).
    ReadWrite(Arc<ReadProgress>, Arc<Progress>),
    /// Items written, and the write units they take (import reads a file,
    /// not the table).
    Write(Arc<Progress>, f64),
}

/// A progress line on a terminal (plain lines every few seconds otherwise).
fn progress_bar(
    what: &'static str,
    total: Option<u64>,
    counting: Counting,
) -> (tokio::task::JoinHandle<()>, Option<indicatif::ProgressBar>) {
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = match total {
            Some(t) if t > 0 => indicatif::ProgressBar::new(t),
            _ => indicatif::ProgressBar::new_spinner(),
        };
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} items  {per_sec}  {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b
    });
    let b2 = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(if b2.is_some() { 100 } else { 3000 })).await;
            let scanned = |read: &ReadProgress| {
                format!(
                    "{what}: scanned {}, {:.1} RCU",
                    read.scanned.load(Ordering::Relaxed),
                    read.consumed()
                )
            };
            let (n, msg, line) = match &counting {
                Counting::Read(read) => {
                    let n = read.items.load(Ordering::Relaxed);
                    (n, scanned(read), format!("{}, {n} items", scanned(read)))
                }
                Counting::ReadWrite(read, w) => {
                    let n = w.written.load(Ordering::Relaxed);
                    (n, scanned(read), format!("{}, {n} items", scanned(read)))
                }
                Counting::Write(w, wcu_per_item) => {
                    let n = w.written.load(Ordering::Relaxed);
                    let units = format!(
                        "{:.0} WCU, {} retries",
                        n as f64 * wcu_per_item,
                        w.retries.load(Ordering::Relaxed)
                    );
                    let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
                    (
                        n,
                        format!("{what}: written {n}, {units}"),
                        format!("{what}: written {n}{of} items, {units}"),
                    )
                }
            };
            match &b2 {
                Some(b) => {
                    b.set_position(n);
                    b.set_message(msg);
                }
                None => eprintln!("{line}"),
            }
        }
    });
    (task, bar)
}

fn done(task: tokio::task::JoinHandle<()>, bar: Option<indicatif::ProgressBar>) {
    task.abort();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}

fn rate(s: &Summary) -> String {
    let secs = s.elapsed.as_secs_f64().max(0.001);
    format!("{:.1} s, {:.0} items/s", secs, s.items as f64 / secs)
}

const ION_LOCAL: &str = "--format ion is for a native export (--s3 s3://bucket/prefix); a file export writes dynamodb, plain or csv";

/// `dyntui export`; returns the exit code ([`INTERRUPTED`] when stopped).
pub async fn export(
    db: &Dynamo,
    project: &Project,
    args: ExportArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
    if let Some(dest) = &args.s3 {
        let format = match args.format {
            None | Some(FormatArg::Dynamodb) => crate::dynamo::native::NativeFormat::DynamoJson,
            Some(FormatArg::Ion) => crate::dynamo::native::NativeFormat::Ion,
            Some(f) => anyhow::bail!(
                "--format {}: a native export writes dynamodb (DynamoDB JSON) or ion; export to a file (-o) for plain JSON or CSV",
                f.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ),
        };
        return crate::app::cli::native::export(
            db,
            project,
            &table,
            dest,
            format,
            &args.native,
            read_only,
        )
        .await;
    }
    let Some(output) = args.output.clone() else {
        anyhow::bail!("name the output: -o FILE (or --s3 s3://bucket/prefix for a native export)");
    };
    if args.format == Some(FormatArg::Ion) {
        anyhow::bail!("{ION_LOCAL}");
    }
    if args.native.yes || args.native.unlock || args.native.confirm_table.is_some() {
        anyhow::bail!(
            "--yes, --unlock and --confirm-table are for enabling point-in-time recovery before a native export (--s3); a file export writes nothing to the table"
        );
    }
    let info = db
        .describe(&table)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (req, decoder, only) = resolve(project, &table, &info, &args.select)?;
    let format = match args.format {
        Some(FormatArg::Dynamodb) => ExportFormat::Dynamo,
        Some(FormatArg::Plain) => ExportFormat::Plain,
        Some(FormatArg::Csv) => ExportFormat::Csv,
        Some(FormatArg::Ion) => anyhow::bail!("{ION_LOCAL}"),
        None => ExportFormat::for_path(&output),
    };
    let estimates = crate::app::cli::explain::settings()?;
    let estimate = crate::dynamo::estimate::plan::read_estimate(
        db,
        &info,
        &req,
        format!("export of {}", req.describe()),
        &estimates.prices,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(f) = args.explain.explain {
        crate::app::cli::explain::print(&mut std::io::stdout(), f, &[estimate], None)?;
        return Ok(0);
    }
    let split = args
        .parts
        .map(|n| Split::new(n, args.workers, args.worker_id.as_deref()))
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
    let meter = crate::dynamo::meter::Meter::default();
    let metered = db.metered(&meter);
    let db = &metered;
    eprintln!("estimate: {}", estimate.line());
    crate::app::cli::explain::warn_above(&estimates, std::slice::from_ref(&estimate));
    if let Some(split) = split {
        return export_split(db, &info, &req, decoder, only, format, &args, &split).await;
    }
    if req.is_scan() && args.select.segments > 1 {
        eprintln!(
            "{}, {} parallel segments",
            req.describe(),
            args.select.segments
        );
    } else {
        eprintln!("{}", req.describe());
    }
    let progress = Arc::new(ReadProgress::default());
    let stop = stop_on_ctrl_c();
    let total = (req.is_scan() && only.is_none() && req.filter.is_none())
        .then_some(info.item_count)
        .flatten()
        .map(|n| n.max(0) as u64);
    let (task, bar) = if output.as_os_str() == "-" {
        (tokio::spawn(async {}), None)
    } else {
        progress_bar("exporting", total, Counting::Read(progress.clone()))
    };
    let r = export::export(
        db,
        &info,
        &req,
        decoder,
        only,
        &output,
        format,
        &read_options(&args.select),
        progress,
        stop,
    )
    .await;
    done(task, bar);
    let s = r.map_err(|e| anyhow::anyhow!(e))?;
    let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
    if s.stopped {
        eprintln!(
            "stopped: {} items in {} (incomplete: import reports it as truncated)",
            s.items,
            files.join(", ")
        );
    } else {
        eprintln!(
            "exported {} items ({} scanned, {:.1} RCU) in {} to {}",
            s.items,
            s.scanned,
            s.consumed,
            rate(&s),
            if files.is_empty() {
                "stdout".into()
            } else {
                files.join(", ")
            }
        );
        crate::app::cli::explain::report(&meter, std::slice::from_ref(&estimate));
    }
    Ok(if s.stopped { INTERRUPTED } else { 0 })
}

/// `dyntui export --parts`: this process's parts, as files in a folder.
#[allow(clippy::too_many_arguments)]
async fn export_split(
    db: &Dynamo,
    info: &TableInfo,
    req: &ItemsRequest,
    decoder: Decoder,
    only: Option<EntityId>,
    format: ExportFormat,
    args: &ExportArgs,
    split: &Split,
) -> anyhow::Result<u8> {
    let Some(output) = args.output.as_deref() else {
        anyhow::bail!("--parts writes into a folder: name it with -o DIR");
    };
    let mine = split.mine();
    eprintln!(
        "{}: parts {} of {} into {}{}",
        req.describe(),
        if mine.len() == split.parts as usize {
            "all".to_string()
        } else {
            mine.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        },
        split.parts,
        output.display(),
        if split.workers > 1 {
            format!(" (worker {} of {})", split.worker, split.workers)
        } else {
            String::new()
        }
    );
    let progress = Arc::new(ReadProgress::default());
    let stop = stop_on_ctrl_c();
    let (task, bar) = progress_bar("exporting", None, Counting::Read(progress.clone()));
    let log = {
        let bar = bar.clone();
        move |e: PartEvent| {
            let line = match e {
                PartEvent::Skipped { part, items } => {
                    format!("part {part}: complete already ({items} items), skipped")
                }
                PartEvent::Written { part, items } => format!("part {part}: {items} items"),
            };
            match &bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
    };
    let r = split::export_parts(
        db,
        info,
        req,
        &decoder,
        only,
        output,
        format,
        &read_options(&args.select),
        split,
        args.select.segments.clamp(1, 64) as usize,
        progress,
        stop,
        &log,
    )
    .await;
    done(task, bar);
    let s = r.map_err(|e| anyhow::anyhow!(e))?;
    if s.stopped {
        eprintln!(
            "stopped: {} items written; run the same command again to finish (complete parts are skipped, stopped ones written again)",
            s.items
        );
        return Ok(INTERRUPTED);
    }
    eprintln!(
        "exported {} items ({} scanned, {:.1} RCU) in {} to {} new part file(s) in {}",
        s.items,
        s.scanned,
        s.consumed,
        rate(&s),
        s.files.len(),
        output.display()
    );
    Ok(0)
}

/// `dyntui import`: checks the file is a complete export, validates every
/// item against the table, then writes with seeding's batching, retries and
/// resume. Returns the exit code ([`INTERRUPTED`] when stopped).
pub async fn import(
    db: &Dynamo,
    project: &Project,
    args: ImportArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
    let source = args.file.to_string_lossy().to_string();
    let s3 = crate::dynamo::native::S3Url::is_s3(&source);
    if args.native.native {
        if !s3 {
            anyhow::bail!(
                "--native imports from S3 (s3://bucket/prefix); `{source}` is a local file: import it without --native"
            );
        }
        return crate::app::cli::native::import(
            db,
            project,
            &source,
            &table,
            &args.native,
            &args.write,
            read_only,
        )
        .await;
    }
    if args.explain.explain.is_none() {
        check_writable(db, project, &table, read_only, &args.write)?;
    }
    let mut args = args;
    // An s3:// source: an export folder in S3, read as a stream; or one
    // object (a dyntui export file), copied here first as a stream.
    let (s3_export, spooled) = if s3 {
        match open_s3_source(db, &source).await? {
            S3Source::Export(e) => (Some(e), None),
            S3Source::File(path) => {
                args.file = path.clone();
                (None, Some(path))
            }
        }
    } else {
        (None, None)
    };
    let s3 = s3_export.is_some();
    // An AWS export folder is checked against its manifest (every data
    // file's MD5 and item count); a file, by dyntui's end marker.
    let parts = if s3 {
        None
    } else {
        split::find_parts(&args.file).map_err(|e| anyhow::anyhow!("{e}; nothing written"))?
    };
    let verified = |e: &crate::dynamo::awsexport::AwsExport| -> anyhow::Result<u64> {
        let n = e
            .verify()
            .map_err(|e| anyhow::anyhow!("{e}; nothing written"))?;
        eprintln!(
            "AWS export {} of {} ({}): {n} items in {} data files, checked against its manifest",
            e.export_arn,
            e.table_arn,
            e.export_time,
            e.files.len()
        );
        Ok(n)
    };
    let local_export = match &s3_export {
        Some(_) => None,
        None => crate::dynamo::awsexport::find(&args.file).map_err(|e| anyhow::anyhow!(e))?,
    };
    let (lines, cut_line) = match (&s3_export, local_export) {
        (Some(e), _) => (verified(e)?, None),
        _ if parts.is_some() => {
            let p = parts.as_ref().map_or(0, |p| p.items);
            eprintln!(
                "split export of {}: {p} items in {} parts, every part complete",
                parts.as_ref().map_or("", |p| p.table.as_str()),
                parts.as_ref().map_or(0, |p| p.files.len())
            );
            (p, None)
        }
        (None, Some(dir)) => {
            let e =
                crate::dynamo::awsexport::AwsExport::open(&dir).map_err(|e| anyhow::anyhow!(e))?;
            (verified(&e)?, None)
        }
        (None, None) => {
            let check = export::check_file(&args.file).map_err(|e| anyhow::anyhow!(e))?;
            if let Some(p) = &check.problem
                && !args.allow_truncated
            {
                anyhow::bail!("{p}");
            }
            if let Some(n) = &check.note {
                eprintln!("note: {n}");
            }
            // A plain export lost its types: sets were written as arrays and
            // binary as base64, and would come back as lists and strings.
            if check
                .trailer
                .as_ref()
                .is_some_and(|t| t.format == ExportFormat::Plain.name())
            {
                if !args.allow_plain {
                    anyhow::bail!(
                        "{} is a plain JSON export: its sets were written as arrays and its binary as base64, so they would be imported as lists and strings. Export again with --format dynamodb (the default) for an exact copy, or pass --allow-plain to import it as it is; nothing written",
                        args.file.display()
                    );
                }
                eprintln!(
                    "warning: {} is a plain JSON export: sets are imported as lists and binary as base64 strings",
                    args.file.display()
                );
            }
            (check.lines, check.cut_line)
        }
    };
    let path = std::fs::canonicalize(&args.file).unwrap_or(args.file.clone());
    let set = match s3_export {
        // The checkpoint belongs to this export (its manifests' hash).
        Some(e) => SeedSet {
            name: format!(
                "import:{}:{}:{}",
                e.location().replace('#', "_"),
                e.manifest_hash,
                lines
            ),
            description: String::new(),
            table: Some(table.clone()),
            source: SeedSource::Export(e),
            seed: 0,
        },
        None => SeedSet {
            // The checkpoint of an interrupted import belongs to this file as
            // it is (its size and line count), not to a later one at the path.
            name: format!(
                "import:{}:{}:{}",
                path.display().to_string().replace('#', "_"),
                std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                lines
            ),
            description: String::new(),
            table: Some(table.clone()),
            source: SeedSource::Files(match &parts {
                Some(p) => p.files.clone(),
                None => vec![path.clone()],
            }),
            seed: 0,
        },
    };
    // A missing table is created from the project's design (after every
    // item is checked against the design's keys), as seeding does.
    let design = crate::app::project::seed_sets::design_for(project, &table, &set);
    let (existing, schema) =
        crate::app::cli::seed::table_or_design(db, &table, design.as_ref(), true).await?;
    let base = PathBuf::from("/");
    let v = seeding::validate_set(&set, &project.decode, &schema, &base)
        .map_err(|e| anyhow::anyhow!(e))?;
    // A cut-off last line is the one error --allow-truncated accepts.
    let cut = cut_line.map(|l| format!("{}:{l}:", path.display()));
    let other: Vec<&String> = v
        .errors
        .iter()
        .filter(|e| cut.as_ref().is_none_or(|c| !e.starts_with(c.as_str())))
        .collect();
    if !other.is_empty() {
        for e in other.iter().take(20) {
            eprintln!("{e}");
        }
        anyhow::bail!(
            "{} invalid item(s) in {}; nothing written",
            other.len(),
            args.file.display()
        );
    }
    let target = crate::app::cli::seed::target_info(existing.as_ref(), design.as_ref(), &table)?;
    let estimates = crate::app::cli::explain::settings()?;
    let no_marker = SeedSettings {
        marker_attribute: None,
        ..project.seeding.clone()
    };
    let estimate = crate::dynamo::estimate::plan::seed_set(
        db,
        &target,
        &set,
        &project.decode,
        &schema,
        &base,
        &no_marker,
        format!("import of {} into {table}", args.file.display()),
        &estimates.prices,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    if let Some(f) = args.explain.explain {
        crate::app::cli::explain::print(&mut std::io::stdout(), f, &[estimate], None)?;
        return Ok(0);
    }
    eprintln!("estimate: {}", estimate.line());
    crate::app::cli::explain::warn_above(&estimates, std::slice::from_ref(&estimate));
    // Redaction: the file's fake values are drawn from the file itself
    // (unless --redact-seed), so a resumed import writes the same ones; a
    // first pass learns every original, as copy does.
    let file_seed = crate::dynamo::hash::fnv64(
        set.fingerprint(&base)
            .map_err(|e| anyhow::anyhow!(e))?
            .as_bytes(),
    );
    let redactor = match args.redact.redactor(project, Some(file_seed))? {
        Some(mut r) => {
            for it in set
                .items(&project.decode, &schema, &base)
                .map_err(|e| anyhow::anyhow!(e))?
                .flatten()
            {
                r.learn(&it.1);
            }
            eprintln!("importing{}", redacting_text(Some(&r)));
            Some(Arc::new(r))
        }
        None => None,
    };
    if !crate::app::cli::seed::confirm(
        &format!("import {} items into `{table}`?", v.good),
        args.write.yes,
    )? {
        anyhow::bail!("nothing written");
    }
    if existing.is_none() {
        crate::app::cli::seed::create_from_design(db, &table, design.as_ref(), args.write.yes)
            .await?;
    }
    let progress = Arc::new(Progress::default());
    progress.keys.track(key_names(&schema), AUDIT_KEYS);
    let stop = stop_on_ctrl_c();
    let opts = RunOptions {
        write: args.rate.options(),
        skip_invalid: cut_line.is_some(),
        state_dir: seeding::state_dir(),
        redactor,
    };
    let wcu_per_item = if v.good > 0 {
        v.wcu / v.good as f64
    } else {
        0.0
    };
    let (task, bar) = progress_bar(
        "importing",
        Some(v.good),
        Counting::Write(progress.clone(), wcu_per_item),
    );
    // Imports are exact copies: no seed marker.
    let settings = no_marker;
    let meter = crate::dynamo::meter::Meter::default();
    let metered = db.metered(&meter);
    let r = seeding::run(
        &metered,
        &set,
        &table,
        &project.decode,
        &schema,
        &settings,
        &base,
        &opts,
        progress.clone(),
        stop,
    )
    .await;
    done(task, bar);
    if let Some(w) = record_seed_run(
        db.context(),
        &table,
        "import",
        serde_json::json!({"file": args.file.display().to_string()}),
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
    if rep.stopped {
        eprintln!(
            "stopped after {} items; run the same command again to continue",
            rep.written
        );
        return Ok(INTERRUPTED);
    }
    let secs = (rep.elapsed_ms as f64 / 1000.0).max(0.001);
    eprintln!(
        "imported {} items into {table} in {secs:.1} s ({:.0} items/s, {:.0} WCU, {} retries, {} throttled requests{}){}",
        rep.written,
        rep.written as f64 / secs,
        rep.written as f64 * wcu_per_item,
        rep.retries,
        rep.throttles,
        rep.rate_note(),
        if out.resumed_from_batch > 0 {
            format!(", resumed after {} items", out.resumed_from_batch * 25)
        } else {
            String::new()
        }
    );
    crate::app::cli::explain::report(
        &meter,
        if out.resumed_from_batch > 0 {
            &[]
        } else {
            std::slice::from_ref(&estimate)
        },
    );
    // The copy of an S3 object is kept only for a resumed import.
    if let Some(p) = spooled
        && let Err(e) = std::fs::remove_file(&p)
    {
        eprintln!("warning: cannot remove the copy {}: {e}", p.display());
    }
    Ok(0)
}

/// What an `s3://` source is.
enum S3Source {
    /// An AWS export folder, its manifest read (its files read as streams).
    Export(crate::dynamo::awsexport::AwsExport),
    /// One object (a dyntui export file), copied into this local file.
    File(PathBuf),
}

/// The AWS export folder at or under an `s3://` source, or the one object
/// it names. A dyntui export file is copied here first (streamed to disk,
/// named by its ETag so an interrupted import resumes on the same copy):
/// its end marker is its last line, and the import reads it several times.
async fn open_s3_source(db: &Dynamo, source: &str) -> anyhow::Result<S3Source> {
    let url = crate::dynamo::native::S3Url::parse(source).map_err(|e| anyhow::anyhow!(e))?;
    let Some(folder) = crate::dynamo::s3::find_export(db.s3(), &url)
        .await
        .map_err(|e| anyhow::anyhow!(e))?
    else {
        let Some((size, etag)) = crate::dynamo::s3::object_at(db.s3(), &url)
            .await
            .map_err(|e| anyhow::anyhow!(e))?
        else {
            anyhow::bail!(
                "no AWS export and no object at {url}: no manifest-summary.json there or in an AWSDynamoDB/ID/ folder under it, and no object of that key; nothing written"
            );
        };
        let dir = seeding::state_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("s3-imports");
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        let name = url
            .prefix
            .rsplit('/')
            .next()
            .unwrap_or("export")
            .to_string();
        let id = crate::dynamo::hash::fnv64(format!("{url} {etag}").as_bytes());
        let path = dir.join(format!("{id:016x}-{name}"));
        let have = std::fs::metadata(&path).map(|m| m.len() as i64).ok();
        if have != Some(size) {
            eprintln!("copying {url} ({size} bytes) to {}", path.display());
            crate::dynamo::s3::download(db.s3(), &url, &path)
                .await
                .map_err(|e| anyhow::anyhow!("{e}; nothing written"))?;
        } else {
            eprintln!("{url} was copied to {} already", path.display());
        }
        return Ok(S3Source::File(path));
    };
    let store =
        crate::dynamo::s3::S3Store::new(db.s3().clone(), folder).map_err(|e| anyhow::anyhow!(e))?;
    crate::dynamo::awsexport::AwsExport::open_in(std::sync::Arc::new(store))
        .map(S3Source::Export)
        .map_err(|e| anyhow::anyhow!("{e}; nothing written"))
}

fn endpoint_arg(given: &Option<String>, default: &Option<String>) -> Option<String> {
    match given.as_deref() {
        Some("none") | Some("aws") => None,
        Some(e) => Some(e.to_string()),
        None => default.clone(),
    }
}

/// `dyntui copy`: from one table (and connection) into another. Returns the
/// exit code ([`INTERRUPTED`] when stopped).
pub async fn copy(
    conn: &ConnectOptions,
    project: &Project,
    args: CopyArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    let src_opts = ConnectOptions {
        profile: args.from_profile.clone().or(conn.profile.clone()),
        region: args.from_region.clone().or(conn.region.clone()),
        endpoint_url: endpoint_arg(&args.from_endpoint, &conn.endpoint_url),
        s3_endpoint: conn.s3_endpoint.clone(),
        timeouts: conn.timeouts,
    };
    let dst_opts = ConnectOptions {
        profile: args.to_profile.clone().or(conn.profile.clone()),
        region: args.to_region.clone().or(conn.region.clone()),
        endpoint_url: endpoint_arg(&args.to_endpoint, &conn.endpoint_url),
        s3_endpoint: conn.s3_endpoint.clone(),
        timeouts: conn.timeouts,
    };
    let to_table = args.to_table.clone().unwrap_or(args.from_table.clone());
    let src = Dynamo::connect(&src_opts)
        .await
        .map_err(|e| anyhow::anyhow!("source: {e}"))?;
    let dst = Dynamo::connect(&dst_opts)
        .await
        .map_err(|e| anyhow::anyhow!("destination: {e}"))?;
    if src.context() == dst.context() && args.from_table == to_table {
        anyhow::bail!("the source and the destination are the same table");
    }
    if args.explain.explain.is_none() {
        check_writable(&dst, project, &to_table, read_only, &args.write)?;
    }
    let redactor = args.redact.redactor(project, None)?;
    let info = src
        .describe(&args.from_table)
        .await
        .map_err(|e| anyhow::anyhow!("source: {e}"))?;
    let dst_info = dst
        .describe(&to_table)
        .await
        .map_err(|e| anyhow::anyhow!("destination: {e}"))?;
    if info.pk.as_ref().map(|k| (&k.name, &k.kind))
        != dst_info.pk.as_ref().map(|k| (&k.name, &k.kind))
        || info.sk.as_ref().map(|k| (&k.name, &k.kind))
            != dst_info.sk.as_ref().map(|k| (&k.name, &k.kind))
    {
        anyhow::bail!(
            "the key schemas differ: {} has {}, {} has {}",
            args.from_table,
            key_desc(&info),
            to_table,
            key_desc(&dst_info)
        );
    }
    let (req, decoder, only) = resolve(project, &args.from_table, &info, &args.select)?;
    eprintln!(
        "copying {} from {} to {to_table} at {}{}",
        req.describe(),
        src.context().describe(),
        dst.context().describe(),
        redacting_text(redactor.as_ref())
    );
    let settings = crate::app::cli::explain::settings()?;
    let mut estimates = crate::dynamo::estimate::plan::copy(
        &src,
        &info,
        &req,
        redactor.is_some(),
        &dst,
        &dst_info,
        &settings.prices,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(t) = &args.select.entity
        && let Some(w) = estimates.last_mut()
    {
        w.notes.push(format!(
            "only {t} items are written, but the sample counts every item the request returns: the writes are an upper bound"
        ));
    }
    if let Some(f) = args.explain.explain {
        crate::app::cli::explain::print(&mut std::io::stdout(), f, &estimates, None)?;
        return Ok(0);
    }
    for e in &estimates {
        eprintln!("estimate: {}: {}", e.operation, e.line());
    }
    crate::app::cli::explain::warn_above(&settings, &estimates);
    let meter = crate::dynamo::meter::Meter::default();
    let (src, dst) = (src.metered(&meter), dst.metered(&meter));
    if !crate::app::cli::seed::confirm(&format!("write into `{to_table}`?"), args.write.yes)? {
        anyhow::bail!("nothing written");
    }
    let read = Arc::new(ReadProgress::default());
    let written = Arc::new(Progress::default());
    written.keys.track(
        dst_info
            .key_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
        AUDIT_KEYS,
    );
    let stop = stop_on_ctrl_c();
    let (task, bar) = progress_bar(
        "copying",
        None,
        Counting::ReadWrite(read.clone(), written.clone()),
    );
    let write = args.rate.options();
    let r = export::copy(
        &src,
        &req,
        decoder,
        only,
        redactor.as_ref(),
        &dst,
        &to_table,
        &read_options(&args.select),
        &write,
        read,
        written.clone(),
        stop,
    )
    .await;
    done(task, bar);
    let summary = serde_json::json!({
        "from": format!("{} at {}", args.from_table, src.context().describe()),
        "selection": req.describe(),
        "redacted": redactor
            .as_ref()
            .map(|r| r.rules().iter().map(|(a, _)| a.clone()).collect::<Vec<_>>())
            .unwrap_or_default(),
        "stopped": r.as_ref().map(|s| s.stopped).unwrap_or(false),
        "error": r.as_ref().err(),
    });
    let run = uuid::Uuid::new_v4().simple().to_string();
    if let Some(w) = record_run(
        dst.context(),
        &to_table,
        "copy",
        &run[..12],
        summary,
        &written,
    ) {
        eprintln!("warning: {w}");
    }
    let s = r.map_err(|e| anyhow::anyhow!(e))?;
    eprintln!(
        "{} {} items ({} scanned, {:.1} RCU) in {}{}",
        if s.stopped { "stopped after" } else { "copied" },
        s.items,
        s.scanned,
        s.consumed,
        rate(&s),
        s.rate_note()
    );
    if !s.stopped {
        crate::app::cli::explain::report(&meter, &estimates);
    }
    Ok(if s.stopped { INTERRUPTED } else { 0 })
}

fn key_desc(info: &TableInfo) -> String {
    info.pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| format!("{} ({})", k.name, k.kind_label()))
        .collect::<Vec<_>>()
        .join(", ")
}
