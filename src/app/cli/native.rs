//! `dyntui export --s3`, `dyntui exports` and `dyntui import s3://...
//! --native`: the command line over `dynamo::native` (DynamoDB's own
//! export and import through S3).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};

use crate::app::cli::Output;
use crate::app::cli::edit::check_protection;
use crate::app::cli::seed::{INTERRUPTED, confirm, stop_on_ctrl_c};
use crate::app::config::Project;
use crate::dynamo::client::Dynamo;
use crate::dynamo::native::{
    self, Backoff, Compression, ExportInfo, ExportSpec, Followed, ImportFormat, ImportInfo,
    ImportSpec, Incremental, JobStatus, NativeFormat, S3Url,
};

/// The native export's flags (with `--s3`).
#[derive(Debug, Args, Clone, Default)]
pub struct NativeExportArgs {
    /// An incremental export: the changes between --since and --until (old
    /// and new images), not the table's items.
    #[arg(long, requires = "s3", requires = "since")]
    pub incremental: bool,
    /// Start of an incremental export: RFC 3339, or a time ago (2h, 90m).
    #[arg(long, value_name = "TIME", requires = "incremental")]
    pub since: Option<String>,
    /// End of an incremental export (default: the latest restorable time).
    #[arg(long, value_name = "TIME", requires = "incremental")]
    pub until: Option<String>,
    /// Print the export's ARN and return without following it.
    #[arg(long, requires = "s3")]
    pub no_wait: bool,
    /// Enable point-in-time recovery without asking when it is off.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow enabling point-in-time recovery on a protected table (its name must be confirmed).
    #[arg(long)]
    pub unlock: bool,
    /// The table name, typed to confirm enabling PITR on a protected table.
    #[arg(long, value_name = "TABLE")]
    pub confirm_table: Option<String>,
}

/// `dyntui exports`: the table's native exports, or one of them.
#[derive(Debug, Args, Clone)]
pub struct ExportsArgs {
    #[arg(long, short = 't')]
    pub table: Option<String>,
    #[arg(long, short, value_enum, default_value = "table")]
    pub output: Output,
    #[command(subcommand)]
    pub command: Option<ExportsCommand>,
}

#[derive(Debug, Subcommand, Clone)]
pub enum ExportsCommand {
    /// Describe one export (DescribeExport); --follow waits until it ends.
    Describe {
        /// The export's ARN.
        arn: String,
        #[arg(long)]
        follow: bool,
    },
}

/// The input format of a native import.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum InputFormatArg {
    /// DynamoDB JSON (what a native export writes).
    Dynamodb,
    /// Amazon Ion.
    Ion,
    /// CSV with a header line.
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CompressionArg {
    Gzip,
    Zstd,
    None,
}

/// The native import's flags (with `--native`).
#[derive(Debug, Args, Clone, Default)]
pub struct NativeImportArgs {
    /// DynamoDB's own ImportTable: it creates the table (from the project's
    /// [[table]] design) and loads the s3:// source into it without using
    /// write capacity. The table must not exist. Without --native an s3://
    /// source is read here and written with BatchWriteItem, like a file.
    #[arg(long)]
    pub native: bool,
    /// The objects' format (default: dynamodb).
    #[arg(long = "input-format", value_enum, requires = "native")]
    pub input_format: Option<InputFormatArg>,
    /// The objects' compression (default: gzip, as a native export writes).
    #[arg(long, value_enum, requires = "native")]
    pub compression: Option<CompressionArg>,
    /// Print the import's ARN and return without following it.
    #[arg(long, requires = "native")]
    pub no_wait: bool,
}

fn aws(e: crate::dynamo::error::AwsError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// A spinner on a terminal; plain lines otherwise.
struct Status {
    bar: Option<indicatif::ProgressBar>,
}

impl Status {
    fn new() -> Status {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        Status { bar }
    }

    fn show(&mut self, line: String) {
        match &self.bar {
            Some(b) => b.set_message(line),
            // Plain lines, one a poll (the polls back off to 30 s).
            None => eprintln!("{line}"),
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

/// Checks PITR on `table` and, when it is off, enables it after the
/// checks of a write (`--read-only`, protection) and a confirmation.
async fn ensure_pitr(
    db: &Dynamo,
    project: &Project,
    table: &str,
    read_only: bool,
    args: &NativeExportArgs,
) -> anyhow::Result<bool> {
    if native::pitr_enabled(db, table).await.map_err(aws)? {
        return Ok(false);
    }
    let fix = native::enable_pitr_command(table);
    eprintln!(
        "point-in-time recovery is off on `{table}`: DynamoDB exports from it. Enabling it is billed by the table's size each month (see the README)."
    );
    if read_only {
        anyhow::bail!(
            "--read-only: enabling point-in-time recovery writes to `{table}`'s settings; nothing done. Enable it yourself with: {fix}"
        );
    }
    check_protection(
        db,
        project,
        table,
        read_only,
        args.unlock,
        args.confirm_table.as_deref(),
    )?;
    if !args.yes && !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "point-in-time recovery is off on `{table}` and there is no terminal to ask: pass --yes to enable it, or enable it yourself with: {fix}"
        );
    }
    if !confirm(
        &format!("Enable point-in-time recovery on `{table}`?"),
        args.yes,
    )? {
        anyhow::bail!("point-in-time recovery left off; nothing exported. Enable it with: {fix}");
    }
    let audit = crate::app::audit::AuditLog::default_log();
    crate::app::project::native::enable_pitr(db, audit.as_ref(), table)
        .await
        .map_err(aws)?;
    eprintln!("point-in-time recovery enabled on `{table}`");
    Ok(true)
}

/// `dyntui export --s3 s3://bucket/prefix`: ExportTableToPointInTime,
/// followed to its end. Returns the exit code.
#[allow(clippy::too_many_arguments)]
pub async fn export(
    db: &Dynamo,
    project: &Project,
    table: &str,
    dest: &str,
    format: NativeFormat,
    args: &NativeExportArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    let dest = S3Url::parse(dest).map_err(|e| anyhow::anyhow!("--s3: {e}"))?;
    let now = jiff::Timestamp::now().as_second();
    let incremental = match &args.since {
        Some(since) if args.incremental => {
            let from = crate::dynamo::time::parse_point_in_time(since, now)
                .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
            let to = args
                .until
                .as_deref()
                .map(|u| crate::dynamo::time::parse_point_in_time(u, now))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--until: {e}"))?;
            let w = Incremental { from, to };
            w.check(now).map_err(|e| anyhow::anyhow!(e))?;
            Some(w)
        }
        _ => None,
    };
    let enabled_now = ensure_pitr(db, project, table, read_only, args).await?;
    let spec = ExportSpec {
        table: table.to_string(),
        dest: dest.clone(),
        format,
        incremental,
        client_token: uuid::Uuid::new_v4().to_string(),
    };
    let started = native::start_export_after(db, &spec, enabled_now)
        .await
        .map_err(aws)?;
    eprintln!(
        "export of `{table}` to {dest} started ({}, {}): {}",
        if incremental.is_some() {
            "incremental"
        } else {
            "full"
        },
        match format {
            NativeFormat::DynamoJson => "DynamoDB JSON",
            NativeFormat::Ion => "ION",
        },
        started.arn
    );
    if args.no_wait {
        println!("{}", started.arn);
        eprintln!(
            "not following it (--no-wait); follow it with: dyntui exports describe {} --follow",
            started.arn
        );
        return Ok(0);
    }
    follow_export(db, started).await
}

/// Follows an export to its end, printing its summary. Exit code: 0
/// completed, 1 failed, [`INTERRUPTED`] when Ctrl-C stopped the follow.
pub async fn follow_export(db: &Dynamo, first: ExportInfo) -> anyhow::Result<u8> {
    let arn = first.arn.clone();
    let began = Instant::now();
    let stop: Arc<AtomicBool> = stop_on_ctrl_c();
    let mut status = Status::new();
    let r = native::follow(
        first,
        || native::describe_export(db, &arn),
        Backoff::default(),
        stop,
        |e| status.show(e.progress_line(began.elapsed())),
    )
    .await;
    status.finish();
    match r.map_err(aws)? {
        Followed::Stopped(_) => {
            eprintln!(
                "stopped following; the export goes on in AWS. Follow it again with: dyntui exports describe {arn} --follow"
            );
            Ok(INTERRUPTED)
        }
        Followed::Done(e) => {
            for l in e.summary_lines() {
                println!("{l}");
            }
            Ok(if e.status == Some(JobStatus::Completed) {
                0
            } else {
                1
            })
        }
    }
}

/// `dyntui exports`.
pub async fn exports(db: &Dynamo, project: &Project, args: ExportsArgs) -> anyhow::Result<u8> {
    if let Some(ExportsCommand::Describe { arn, follow }) = &args.command {
        let e = native::describe_export(db, arn).await.map_err(aws)?;
        if *follow {
            return follow_export(db, e).await;
        }
        match args.output {
            Output::Table => {
                for l in e.summary_lines() {
                    println!("{l}");
                }
            }
            _ => println!("{}", serde_json::to_string_pretty(&export_json(&e))?),
        }
        return Ok(0);
    }
    let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
    let list = native::list_exports(db, &table).await.map_err(aws)?;
    match args.output {
        Output::Json => {
            let v: Vec<_> = list.iter().map(export_json).collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Output::Jsonl => {
            for e in &list {
                println!("{}", export_json(e));
            }
        }
        Output::Table => {
            if list.is_empty() {
                eprintln!("no native exports of `{table}`");
            }
            for l in exports_table(&list) {
                println!("{l}");
            }
        }
    }
    Ok(0)
}

fn time_text(t: Option<i64>) -> String {
    t.map(crate::dynamo::time::format_datetime)
        .unwrap_or_else(|| "-".into())
}

fn export_json(e: &ExportInfo) -> serde_json::Value {
    serde_json::json!({
        "exportArn": e.arn,
        "status": e.status.map(JobStatus::label),
        "type": e.export_type,
        "format": e.format,
        "startTime": e.start.map(crate::dynamo::time::format_datetime),
        "endTime": e.end.map(crate::dynamo::time::format_datetime),
        "itemCount": e.items,
        "billedSizeBytes": e.billed_bytes,
        "location": e.location(),
        "manifest": e.manifest_url(),
        "failureCode": e.failure_code,
        "failureMessage": e.failure_message,
    })
}

/// The list's lines: a header, then one export a line, newest first.
pub fn exports_table(list: &[ExportInfo]) -> Vec<String> {
    let rows: Vec<[String; 8]> = list
        .iter()
        .map(|e| {
            [
                native::arn_tail(&e.arn).to_string(),
                e.status.map(JobStatus::label).unwrap_or("-").to_string(),
                e.export_type.clone().unwrap_or_else(|| "-".into()),
                time_text(e.start),
                time_text(e.end),
                e.items.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                e.billed_bytes
                    .map(native::size_text)
                    .unwrap_or_else(|| "-".into()),
                e.location(),
            ]
        })
        .collect();
    let head = [
        "EXPORT", "STATUS", "TYPE", "START", "END", "ITEMS", "BILLED", "LOCATION",
    ];
    let mut widths: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(head.to_vec())];
    for r in &rows {
        out.push(line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// `dyntui import s3://... --table NEW --native`: ImportTable into a new
/// table created from the project's design, followed to its end.
pub async fn import(
    db: &Dynamo,
    project: &Project,
    source: &str,
    table: &str,
    args: &NativeImportArgs,
    write: &crate::app::cli::edit::WriteArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    let source = S3Url::parse(source).map_err(|e| anyhow::anyhow!(e))?;
    check_protection(
        db,
        project,
        table,
        read_only,
        write.unlock,
        write.confirm_table.as_deref(),
    )?;
    match db.describe(table).await {
        Ok(_) => anyhow::bail!(
            "table `{table}` exists: ImportTable only creates a new table. Import into it here with: dyntui import {source} --table {table} (without --native: read and written with BatchWriteItem); nothing done"
        ),
        Err(e) if e.code == "ResourceNotFoundException" => {}
        Err(e) => return Err(aws(e)),
    }
    let mut design = project
        .tables
        .iter()
        .find(|d| d.name == table)
        .or_else(|| (project.tables.len() == 1).then(|| &project.tables[0]))
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "ImportTable creates `{table}` and needs its keys and indexes: the project has no [[table]] design named `{table}` (see `dyntui seed --create` and the README's table designs)"
            )
        })?;
    design.name = table.to_string();
    let spec = ImportSpec {
        source: source.clone(),
        design,
        format: match args.input_format.unwrap_or(InputFormatArg::Dynamodb) {
            InputFormatArg::Dynamodb => ImportFormat::DynamoJson,
            InputFormatArg::Ion => ImportFormat::Ion,
            InputFormatArg::Csv => ImportFormat::Csv,
        },
        compression: match args.compression.unwrap_or(CompressionArg::Gzip) {
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Zstd => Compression::Zstd,
            CompressionArg::None => Compression::None,
        },
        client_token: uuid::Uuid::new_v4().to_string(),
    };
    if spec.design.ttl_attribute.is_some() || spec.design.stream.is_some() {
        eprintln!(
            "note: ImportTable does not set TTL or a stream; set them on `{table}` after the import"
        );
    }
    if !confirm(
        &format!("Create `{table}` and import {source} into it with ImportTable?"),
        write.yes,
    )? {
        anyhow::bail!("nothing done");
    }
    let started = native::start_import(db, &spec).await.map_err(aws)?;
    let audit = crate::app::audit::AuditLog::default_log();
    crate::app::project::native::record_native_import(
        db,
        audit.as_ref(),
        table,
        serde_json::json!({ "source": source.to_string(), "importArn": started.arn }),
    );
    eprintln!(
        "import of {source} into the new table `{table}` started: {}",
        started.arn
    );
    if args.no_wait {
        println!("{}", started.arn);
        return Ok(0);
    }
    follow_import(db, started).await
}

async fn follow_import(db: &Dynamo, first: ImportInfo) -> anyhow::Result<u8> {
    let arn = first.arn.clone();
    let began = Instant::now();
    let mut status = Status::new();
    let r = native::follow(
        first,
        || native::describe_import(db, &arn),
        Backoff::default(),
        stop_on_ctrl_c(),
        |i| status.show(i.progress_line(began.elapsed())),
    )
    .await;
    status.finish();
    match r.map_err(aws)? {
        Followed::Stopped(_) => {
            eprintln!(
                "stopped following; the import goes on in AWS. Follow it with: aws dynamodb describe-import --import-arn {arn}"
            );
            Ok(INTERRUPTED)
        }
        Followed::Done(i) => {
            for l in i.summary_lines() {
                println!("{l}");
            }
            Ok(if i.status == Some(JobStatus::Completed) {
                0
            } else {
                1
            })
        }
    }
}
