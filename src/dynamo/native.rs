//! DynamoDB's own export and import through S3: ExportTableToPointInTime
//! (full or incremental, DynamoDB JSON or ION) and ImportTable into a new
//! table, with point-in-time recovery checked first and the job followed
//! to its end with a bounded, backing-off poll. No UI here: the CLI and
//! the TUI both call these functions and show what they report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    ExportDescription, ExportFormat, ExportType, ExportViewType, ImportTableDescription,
    IncrementalExportSpecification, InputCompressionType, InputFormat,
    PointInTimeRecoverySpecification, PointInTimeRecoveryStatus, S3BucketSource,
};
use aws_smithy_types::DateTime;

use super::client::Dynamo;
use super::design::TableDesign;
use super::error::AwsError;

/// `s3://bucket/prefix`: a bucket and a key prefix (no leading or
/// trailing `/`; empty for the whole bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl S3Url {
    /// True when `s` is written as an S3 URL (`s3://...`).
    pub fn is_s3(s: &str) -> bool {
        s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("s3://"))
    }

    /// Reads `s3://bucket[/prefix]`.
    pub fn parse(s: &str) -> Result<S3Url, String> {
        let t = s.trim();
        if !S3Url::is_s3(t) {
            return Err(format!(
                "`{s}` is not an S3 URL (write it s3://bucket/prefix)"
            ));
        }
        let rest = &t[5..];
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "`{s}` names no bucket (write it s3://bucket/prefix)"
            ));
        }
        // Bucket names: 3 to 63 lower-case letters, digits, dots and hyphens.
        if bucket.len() < 3
            || bucket.len() > 63
            || !bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Err(format!(
                "`{bucket}` is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)"
            ));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// A key under this prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

impl std::fmt::Display for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Where a native export or import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    InProgress,
    Completed,
    Failed,
    /// An import being cancelled, or cancelled.
    Cancelled,
}

impl JobStatus {
    fn of(s: &str) -> JobStatus {
        match s {
            "COMPLETED" => JobStatus::Completed,
            "FAILED" => JobStatus::Failed,
            "CANCELLING" | "CANCELLED" => JobStatus::Cancelled,
            _ => JobStatus::InProgress,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    /// The job will not change any more.
    pub fn is_done(self) -> bool {
        self != JobStatus::InProgress
    }
}

/// The export format: DynamoDB JSON or Amazon Ion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeFormat {
    DynamoJson,
    Ion,
}

/// The time window of an incremental export (Unix seconds); `to` None:
/// up to the latest restorable time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incremental {
    pub from: i64,
    pub to: Option<i64>,
}

impl Incremental {
    /// Checks the window against DynamoDB's limits (15 minutes to 24
    /// hours, `from` before `to`) so the mistake is named before a request.
    pub fn check(&self, now: i64) -> Result<(), String> {
        let to = self.to.unwrap_or(now);
        if to <= self.from {
            return Err(format!(
                "the incremental window ends ({}) before it starts ({})",
                super::time::format_datetime(to),
                super::time::format_datetime(self.from)
            ));
        }
        let span = to - self.from;
        if span < 15 * 60 {
            return Err(format!(
                "an incremental export covers at least 15 minutes; {} to {} is {span} s (move --since earlier)",
                super::time::format_datetime(self.from),
                super::time::format_datetime(to)
            ));
        }
        if span > 24 * 3600 {
            return Err(format!(
                "an incremental export covers at most 24 hours; {} to {} is {:.1} h (export in several windows, or use --until)",
                super::time::format_datetime(self.from),
                super::time::format_datetime(to),
                span as f64 / 3600.0
            ));
        }
        Ok(())
    }
}

/// What to export, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSpec {
    pub table: String,
    pub dest: S3Url,
    pub format: NativeFormat,
    pub incremental: Option<Incremental>,
    /// The same token makes a retried start return the same export
    /// instead of starting a second one (8 hours, on AWS).
    pub client_token: String,
}

/// An export as DescribeExport (or its start) reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportInfo {
    pub arn: String,
    pub status: Option<JobStatus>,
    pub table_arn: Option<String>,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    /// The manifest's key (`.../manifest-summary.json`), once written.
    pub manifest: Option<String>,
    pub format: Option<String>,
    pub export_type: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub export_time: Option<i64>,
    pub items: Option<i64>,
    pub billed_bytes: Option<i64>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

impl ExportInfo {
    fn of(d: &ExportDescription) -> ExportInfo {
        ExportInfo {
            arn: d.export_arn().unwrap_or_default().to_string(),
            status: d.export_status().map(|s| JobStatus::of(s.as_str())),
            table_arn: d.table_arn().map(str::to_string),
            bucket: d.s3_bucket().map(str::to_string),
            prefix: d.s3_prefix().map(str::to_string),
            manifest: d.export_manifest().map(str::to_string),
            format: d.export_format().map(|f| f.as_str().to_string()),
            export_type: d.export_type().map(|t| t.as_str().to_string()),
            start: d.start_time().map(DateTime::secs),
            end: d.end_time().map(DateTime::secs),
            export_time: d.export_time().map(DateTime::secs),
            items: d.item_count(),
            billed_bytes: d.billed_size_bytes(),
            failure_code: d.failure_code().map(str::to_string),
            failure_message: d.failure_message().map(str::to_string),
        }
    }

    /// `s3://bucket/prefix` of the export.
    pub fn location(&self) -> String {
        match (&self.bucket, &self.prefix) {
            (Some(b), Some(p)) if !p.is_empty() => format!("s3://{b}/{p}"),
            (Some(b), _) => format!("s3://{b}"),
            _ => "-".into(),
        }
    }

    /// `s3://bucket/<manifest key>`, once DynamoDB has written it.
    pub fn manifest_url(&self) -> Option<String> {
        Some(format!(
            "s3://{}/{}",
            self.bucket.as_ref()?,
            self.manifest.as_ref()?
        ))
    }

    /// The line a follow shows while it waits.
    pub fn progress_line(&self, elapsed: Duration) -> String {
        let status = self.status.map(JobStatus::label).unwrap_or("UNKNOWN");
        let mut s = format!(
            "export {} {status}, {} elapsed",
            arn_tail(&self.arn),
            elapsed_text(elapsed)
        );
        if let Some(n) = self.items.filter(|n| *n > 0) {
            s += &format!(", {n} items");
        }
        s
    }

    /// What a finished export reports: the ARN, where its manifest is,
    /// the items and the size billed; a failure's code and message.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "export {}: {}",
            self.status.map(JobStatus::label).unwrap_or("UNKNOWN"),
            self.arn
        )];
        out.push(format!("  location: {}", self.location()));
        if let Some(m) = self.manifest_url() {
            out.push(format!("  manifest: {m}"));
        }
        if let Some(t) = &self.export_type {
            out.push(format!(
                "  type:     {t}, {}",
                self.format.as_deref().unwrap_or("DYNAMODB_JSON")
            ));
        }
        if let Some(n) = self.items {
            out.push(format!("  items:    {n}"));
        }
        if let Some(b) = self.billed_bytes {
            out.push(format!("  billed:   {}", size_text(b)));
        }
        if self.status == Some(JobStatus::Failed) {
            out.push(format!(
                "  failure:  {}: {}",
                self.failure_code.as_deref().unwrap_or("(no code)"),
                self.failure_message.as_deref().unwrap_or("(no message)")
            ));
        }
        out
    }
}

/// The last part of an export or import ARN (its id).
pub fn arn_tail(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `1m 05s`.
pub fn elapsed_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// `1.5 MB` (decimal units, as AWS bills).
pub fn size_text(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

/// True when point-in-time recovery is enabled on `table`.
pub async fn pitr_enabled(db: &Dynamo, table: &str) -> Result<bool, AwsError> {
    let out = db
        .client()
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), Some(table)))?;
    Ok(out
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        == Some(&PointInTimeRecoveryStatus::Enabled))
}

/// Enables point-in-time recovery on `table` (callers check read-only and
/// protection, ask, and audit).
pub async fn enable_pitr(db: &Dynamo, table: &str) -> Result<(), AwsError> {
    db.client()
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .map_err(AwsError::build)?,
        )
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), Some(table)))?;
    Ok(())
}

/// The command that enables PITR with the AWS CLI, for messages.
pub fn enable_pitr_command(table: &str) -> String {
    format!(
        "aws dynamodb update-continuous-backups --table-name {table} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"
    )
}

/// The table's ARN (DescribeTable).
pub async fn table_arn(db: &Dynamo, table: &str) -> Result<String, AwsError> {
    let out = db
        .client()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), Some(table)))?;
    out.table()
        .and_then(|t| t.table_arn())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::new(
                "EmptyResponse",
                format!("DescribeTable gave no ARN for {table}"),
            )
        })
}

/// Starts ExportTableToPointInTime.
pub async fn start_export(db: &Dynamo, spec: &ExportSpec) -> Result<ExportInfo, AwsError> {
    let arn = table_arn(db, &spec.table).await?;
    let mut req = db
        .client()
        .export_table_to_point_in_time()
        .table_arn(arn)
        .s3_bucket(&spec.dest.bucket)
        .s3_prefix(&spec.dest.prefix)
        .export_format(match spec.format {
            NativeFormat::DynamoJson => ExportFormat::DynamodbJson,
            NativeFormat::Ion => ExportFormat::Ion,
        })
        .client_token(&spec.client_token);
    req = match spec.incremental {
        None => req.export_type(ExportType::FullExport),
        Some(w) => req
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(DateTime::from_secs(w.from))
                    .set_export_to_time(w.to.map(DateTime::from_secs))
                    .export_view_type(ExportViewType::NewAndOldImages)
                    .build(),
            ),
    };
    let out = req
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&spec.table)))?;
    out.export_description().map(ExportInfo::of).ok_or_else(|| {
        AwsError::new(
            "EmptyResponse",
            "ExportTableToPointInTime gave no description",
        )
    })
}

/// Starts the export; when PITR was enabled just now (`pitr_just_enabled`),
/// DynamoDB may refuse for a little while, so a refusal for that reason is
/// retried with backoff for up to 2 minutes (the same client token keeps
/// the retries one export).
pub async fn start_export_after(
    db: &Dynamo,
    spec: &ExportSpec,
    pitr_just_enabled: bool,
) -> Result<ExportInfo, AwsError> {
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(15));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        match start_export(db, spec).await {
            Err(e)
                if pitr_just_enabled
                    && e.code == "PointInTimeRecoveryUnavailableException"
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(backoff.wait()).await;
            }
            r => return r,
        }
    }
}

/// DescribeExport.
pub async fn describe_export(db: &Dynamo, arn: &str) -> Result<ExportInfo, AwsError> {
    let out = db
        .client()
        .describe_export()
        .export_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), None))?;
    out.export_description().map(ExportInfo::of).ok_or_else(|| {
        AwsError::new(
            "EmptyResponse",
            format!("DescribeExport gave nothing for {arn}"),
        )
    })
}

/// Every export of `table` (ListExports, all pages), each described,
/// newest first (an export with no start time last).
pub async fn list_exports(db: &Dynamo, table: &str) -> Result<Vec<ExportInfo>, AwsError> {
    let arn = table_arn(db, table).await?;
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = db
            .client()
            .list_exports()
            .table_arn(&arn)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(e, db.context(), Some(table)))?;
        arns.extend(
            out.export_summaries()
                .iter()
                .filter_map(|s| s.export_arn().map(str::to_string)),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => break,
        }
    }
    let mut out = Vec::new();
    for a in arns {
        out.push(describe_export(db, &a).await?);
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.start));
    Ok(out)
}

/// The input format of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    DynamoJson,
    Ion,
    Csv,
}

/// How the import's source objects are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

/// What to import, from where, into which new table.
#[derive(Debug, Clone)]
pub struct ImportSpec {
    pub source: S3Url,
    pub design: TableDesign,
    pub format: ImportFormat,
    pub compression: Compression,
    pub client_token: String,
}

/// An import as DescribeImport (or its start) reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportInfo {
    pub arn: String,
    pub status: Option<JobStatus>,
    pub table_arn: Option<String>,
    pub processed: Option<i64>,
    pub imported: Option<i64>,
    pub processed_bytes: Option<i64>,
    pub errors: Option<i64>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// Where DynamoDB logs the items it could not import.
    pub log_group: Option<String>,
}

impl ImportInfo {
    fn of(d: &ImportTableDescription) -> ImportInfo {
        ImportInfo {
            arn: d.import_arn().unwrap_or_default().to_string(),
            status: d.import_status().map(|s| JobStatus::of(s.as_str())),
            table_arn: d.table_arn().map(str::to_string),
            processed: Some(d.processed_item_count()),
            imported: Some(d.imported_item_count()),
            processed_bytes: d.processed_size_bytes(),
            errors: Some(d.error_count()),
            failure_code: d.failure_code().map(str::to_string),
            failure_message: d.failure_message().map(str::to_string),
            log_group: d.cloud_watch_log_group_arn().map(str::to_string),
        }
    }

    /// The line a follow shows while it waits.
    pub fn progress_line(&self, elapsed: Duration) -> String {
        format!(
            "import {} {}, {} elapsed, {} processed, {} imported, {} errors",
            arn_tail(&self.arn),
            self.status.map(JobStatus::label).unwrap_or("UNKNOWN"),
            elapsed_text(elapsed),
            self.processed.unwrap_or(0),
            self.imported.unwrap_or(0),
            self.errors.unwrap_or(0)
        )
    }

    /// What a finished import reports; a failure's error count, code and
    /// message and the CloudWatch log group that lists the bad items.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "import {}: {}",
            self.status.map(JobStatus::label).unwrap_or("UNKNOWN"),
            self.arn
        )];
        if let Some(t) = &self.table_arn {
            out.push(format!("  table:    {t}"));
        }
        out.push(format!(
            "  items:    {} imported of {} processed{}",
            self.imported.unwrap_or(0),
            self.processed.unwrap_or(0),
            self.processed_bytes
                .map(|b| format!(" ({})", size_text(b)))
                .unwrap_or_default()
        ));
        let errors = self.errors.unwrap_or(0);
        if errors > 0 || self.status == Some(JobStatus::Failed) {
            out.push(format!("  errors:   {errors}"));
            out.push(format!(
                "  failure:  {}: {}",
                self.failure_code.as_deref().unwrap_or("(no code)"),
                self.failure_message.as_deref().unwrap_or("(no message)")
            ));
            out.push(format!(
                "  log:      {}",
                self.log_group
                    .as_deref()
                    .unwrap_or("(no CloudWatch log group was reported)")
            ));
        }
        out
    }
}

/// Starts ImportTable into the new table `spec.design` describes.
/// ImportTable creates the table itself, so it cannot have local secondary
/// indexes (TableCreationParameters has no place for them).
pub async fn start_import(db: &Dynamo, spec: &ImportSpec) -> Result<ImportInfo, AwsError> {
    let params = spec.design.creation_parameters()?;
    let mut source = S3BucketSource::builder().s3_bucket(&spec.source.bucket);
    if !spec.source.prefix.is_empty() {
        source = source.s3_key_prefix(&spec.source.prefix);
    }
    let out = db
        .client()
        .import_table()
        .s3_bucket_source(source.build().map_err(AwsError::build)?)
        .input_format(match spec.format {
            ImportFormat::DynamoJson => InputFormat::DynamodbJson,
            ImportFormat::Ion => InputFormat::Ion,
            ImportFormat::Csv => InputFormat::Csv,
        })
        .input_compression_type(match spec.compression {
            Compression::Gzip => InputCompressionType::Gzip,
            Compression::Zstd => InputCompressionType::Zstd,
            Compression::None => InputCompressionType::None,
        })
        .table_creation_parameters(params)
        .client_token(&spec.client_token)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&spec.design.name)))?;
    out.import_table_description()
        .map(ImportInfo::of)
        .ok_or_else(|| AwsError::new("EmptyResponse", "ImportTable gave no description"))
}

/// DescribeImport.
pub async fn describe_import(db: &Dynamo, arn: &str) -> Result<ImportInfo, AwsError> {
    let out = db
        .client()
        .describe_import()
        .import_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, db.context(), None))?;
    out.import_table_description()
        .map(ImportInfo::of)
        .ok_or_else(|| {
            AwsError::new(
                "EmptyResponse",
                format!("DescribeImport gave nothing for {arn}"),
            )
        })
}

/// The waits between two polls of a job: `first`, growing by half each
/// time up to `max`. An export takes minutes at least, so polling every
/// second would only cost requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            next: first.min(max),
            max,
        }
    }

    /// The wait before the next poll.
    pub fn wait(&mut self) -> Duration {
        let w = self.next;
        self.next = (self.next.mul_f64(1.5)).min(self.max);
        w
    }
}

impl Default for Backoff {
    /// 2 s, then 3, 4.5 ... up to 30 s.
    fn default() -> Backoff {
        Backoff::new(Duration::from_secs(2), Duration::from_secs(30))
    }
}

/// How a follow ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Followed<T> {
    /// The job finished (completed, failed or cancelled): its last state.
    Done(T),
    /// Stopped before the job finished (Ctrl-C); the job goes on.
    Stopped(T),
}

/// A job a follow can wait for.
pub trait Job: Clone {
    fn status(&self) -> Option<JobStatus>;
}

impl Job for ExportInfo {
    fn status(&self) -> Option<JobStatus> {
        self.status
    }
}

impl Job for ImportInfo {
    fn status(&self) -> Option<JobStatus> {
        self.status
    }
}

/// Consecutive failed polls a follow accepts before it gives up (each
/// request is bounded by the connection's timeouts).
pub const POLL_FAILURES: u32 = 5;

/// Polls with `poll` until the job is done or `stop` is set, calling `seen`
/// with each state. Waits back off (see [`Backoff`]) and are cut short by
/// `stop` within 100 ms. A failed poll is retried after the next wait, up
/// to [`POLL_FAILURES`] in a row.
pub async fn follow<T, F, Fut>(
    first: T,
    mut poll: F,
    mut backoff: Backoff,
    stop: Arc<AtomicBool>,
    mut seen: impl FnMut(&T),
) -> Result<Followed<T>, AwsError>
where
    T: Job,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut last = first;
    seen(&last);
    let mut failures = 0;
    loop {
        if last.status().is_some_and(JobStatus::is_done) {
            return Ok(Followed::Done(last));
        }
        let wait = backoff.wait();
        let until = tokio::time::Instant::now() + wait;
        while tokio::time::Instant::now() < until {
            if stop.load(Ordering::Relaxed) {
                return Ok(Followed::Stopped(last));
            }
            tokio::time::sleep(Duration::from_millis(100).min(until - tokio::time::Instant::now()))
                .await;
        }
        if stop.load(Ordering::Relaxed) {
            return Ok(Followed::Stopped(last));
        }
        match poll().await {
            Ok(t) => {
                failures = 0;
                last = t;
                seen(&last);
            }
            Err(e)
                if failures + 1 < POLL_FAILURES
                    && !matches!(
                        e.code.as_str(),
                        "ExportNotFoundException"
                            | "ImportNotFoundException"
                            | "AccessDeniedException"
                    ) =>
            {
                failures += 1;
                tracing::warn!("poll failed ({failures} in a row): {e}");
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_read_their_bucket_and_prefix() {
        assert_eq!(
            S3Url::parse("s3://my-bucket/exports/2026/").unwrap(),
            S3Url {
                bucket: "my-bucket".into(),
                prefix: "exports/2026".into()
            }
        );
        let whole = S3Url::parse("S3://b.example").unwrap();
        assert_eq!(whole.prefix, "");
        assert_eq!(whole.to_string(), "s3://b.example");
        assert_eq!(whole.key("x.json"), "x.json");
        assert_eq!(
            S3Url::parse("s3://b12/p")
                .unwrap()
                .key("manifest-summary.json"),
            "p/manifest-summary.json"
        );
        for bad in [
            "s3://",
            "s3:///p",
            "http://b/p",
            "s3://Upper/p",
            "s3://ab/p",
            "bucket/p",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad} should not read");
        }
        assert!(
            S3Url::parse("s3://Upper/p")
                .unwrap_err()
                .contains("bucket name")
        );
    }

    #[test]
    fn the_poll_backs_off_to_its_bound() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..10).map(|_| b.wait().as_millis() as u64).collect();
        assert_eq!(&waits[..4], &[2000, 3000, 4500, 6750]);
        assert!(waits.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*waits.last().unwrap(), 30_000, "{waits:?}");
        let mut small = Backoff::new(Duration::from_secs(60), Duration::from_secs(5));
        assert_eq!(small.wait(), Duration::from_secs(5));
    }

    #[test]
    fn incremental_windows_are_checked_before_a_request() {
        let now = 1_800_000_000;
        assert!(
            Incremental {
                from: now - 3600,
                to: None
            }
            .check(now)
            .is_ok()
        );
        let e = Incremental {
            from: now - 60,
            to: None,
        }
        .check(now)
        .unwrap_err();
        assert!(e.contains("at least 15 minutes"), "{e}");
        let e = Incremental {
            from: now - 3 * 86_400,
            to: None,
        }
        .check(now)
        .unwrap_err();
        assert!(e.contains("at most 24 hours"), "{e}");
        let e = Incremental {
            from: now,
            to: Some(now - 10),
        }
        .check(now)
        .unwrap_err();
        assert!(e.contains("before it starts"), "{e}");
    }

    #[test]
    fn a_finished_export_says_where_and_how_much_and_a_failure_why() {
        let done = ExportInfo {
            arn: "arn:aws:dynamodb:us-east-1:1:table/T/export/0170-abc".into(),
            status: Some(JobStatus::Completed),
            bucket: Some("b".into()),
            prefix: Some("p".into()),
            manifest: Some("p/AWSDynamoDB/0170-abc/manifest-summary.json".into()),
            export_type: Some("FULL_EXPORT".into()),
            items: Some(1234),
            billed_bytes: Some(1_500_000),
            ..ExportInfo::default()
        };
        let text = done.summary_lines().join("\n");
        assert!(
            text.contains("export COMPLETED: arn:aws:dynamodb"),
            "{text}"
        );
        assert!(text.contains("location: s3://b/p"), "{text}");
        assert!(
            text.contains("manifest: s3://b/p/AWSDynamoDB/0170-abc/manifest-summary.json"),
            "{text}"
        );
        assert!(
            text.contains("items:    1234") && text.contains("billed:   1.5 MB"),
            "{text}"
        );
        assert!(!text.contains("failure"), "{text}");
        let failed = ExportInfo {
            status: Some(JobStatus::Failed),
            failure_code: Some("S3NoSuchBucket".into()),
            failure_message: Some("The specified bucket does not exist".into()),
            ..done.clone()
        };
        let text = failed.summary_lines().join("\n");
        assert!(
            text.contains("failure:  S3NoSuchBucket: The specified bucket does not exist"),
            "{text}"
        );
        assert_eq!(
            done.progress_line(Duration::from_secs(65)),
            "export 0170-abc COMPLETED, 1m 05s elapsed, 1234 items"
        );
    }

    #[test]
    fn a_failed_import_names_its_errors_and_log_group() {
        let i = ImportInfo {
            arn: "arn:aws:dynamodb:us-east-1:1:table/N/import/01".into(),
            status: Some(JobStatus::Failed),
            processed: Some(10),
            imported: Some(8),
            errors: Some(2),
            failure_code: Some("ItemValidationError".into()),
            failure_message: Some("Some items failed validation".into()),
            log_group: Some("arn:aws:logs:us-east-1:1:log-group:/aws-dynamodb/imports".into()),
            ..ImportInfo::default()
        };
        let text = i.summary_lines().join("\n");
        assert!(text.contains("8 imported of 10 processed"), "{text}");
        assert!(text.contains("errors:   2"), "{text}");
        assert!(
            text.contains("ItemValidationError: Some items failed validation"),
            "{text}"
        );
        assert!(text.contains("log-group:/aws-dynamodb/imports"), "{text}");
    }

    fn export(status: JobStatus) -> ExportInfo {
        ExportInfo {
            arn: "a".into(),
            status: Some(status),
            ..ExportInfo::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_follow_polls_until_done_backing_off() {
        let answers = std::sync::Mutex::new(vec![
            Ok(export(JobStatus::Completed)),
            Err(AwsError::new("InternalServerError", "blip")),
            Ok(export(JobStatus::InProgress)),
        ]);
        let started = tokio::time::Instant::now();
        let mut seen = 0;
        let r = follow(
            export(JobStatus::InProgress),
            || {
                let next = answers.lock().unwrap().pop().unwrap();
                async move { next }
            },
            Backoff::default(),
            Arc::new(AtomicBool::new(false)),
            |_| seen += 1,
        )
        .await
        .unwrap();
        assert_eq!(r, Followed::Done(export(JobStatus::Completed)));
        assert_eq!(seen, 3, "the first state and two answers");
        // Three waits: 2 s, 3 s, 4.5 s (the failed poll was retried).
        assert_eq!(started.elapsed(), Duration::from_millis(9500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_follow_stops_when_asked_and_gives_up_after_failures() {
        let stop = Arc::new(AtomicBool::new(true));
        let r = follow(
            export(JobStatus::InProgress),
            || async { Ok(export(JobStatus::Completed)) },
            Backoff::default(),
            stop,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r, Followed::Stopped(export(JobStatus::InProgress)));
        let e = follow(
            export(JobStatus::InProgress),
            || async { Err::<ExportInfo, _>(AwsError::new("InternalServerError", "down")) },
            Backoff::default(),
            Arc::new(AtomicBool::new(false)),
            |_| {},
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "InternalServerError");
    }
}
