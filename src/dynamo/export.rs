//! Export, import and copy between tables.
//!
//! Reading: a parallel Scan in `segments` (or a Query when a pattern gives a
//! key), each segment a task sending its pages through a bounded channel to
//! one consumer, so memory stays flat whatever the table size: at most a
//! few pages (1 MB each) are held at once. Throttles are retried with
//! backoff; a read rate limit (read units per second) spaces the requests.
//!
//! Export files are JSON Lines, DynamoDB JSON by default (every type
//! exact) or plain JSON, starting with one header line
//! `{"_dyntui_export_start": {...}}` and ending with one trailer line
//! `{"_dyntui_export": {...}}` that records the item count. The file is
//! written as `NAME.partial` and renamed when complete, and `dyntui import`
//! refuses a dyntui export without its trailer: a killed export is reported
//! as truncated rather than imported in part. A file of items with neither
//! line (written by another tool) is imported with a note that it cannot be
//! checked for truncation. CSV writes one file per entity
//! type with that type's columns.
//!
//! Copying streams the items read from one connection into batched writes
//! on another (optionally redacted), with the writes' retries and rate
//! limit from seeding.

use std::io::{BufRead, BufWriter, Read, Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::client::{Dynamo, Page, TableInfo};
use super::entity::{Decoder, EntityId};
use super::error::AwsError;
use super::redact::Redactor;
use super::request::{ItemsRequest, RequestKind};
use super::seed::{
    AdaptiveRate, BATCH_SIZE, Progress, RateLimiter, Write, WriteOptions, retry_transient,
    write_batch_paced,
};
use super::{Item, value};

/// The attribute of the trailer line.
pub const TRAILER: &str = "_dyntui_export";

/// The attribute of the header line: the file is dyntui's export, so a
/// missing trailer means it was cut.
pub const HEADER: &str = "_dyntui_export_start";

/// Pages buffered between the readers and the consumer, per segment.
const PAGES_IN_FLIGHT: usize = 2;

/// Bytes buffered before a write to the file: small enough that a killed
/// export leaves most of what it read on disk.
const WRITE_BUFFER: usize = 64 * 1024;

/// Items of a type buffered to choose its CSV columns.
const CSV_SAMPLE: usize = 1000;

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// DynamoDB JSON: every type exact (the default; what import reads back
    /// identically).
    #[default]
    Dynamo,
    /// Plain JSON: numbers exact, but sets become arrays and binary base64.
    Plain,
    /// CSV, one file per entity type.
    Csv,
}

impl ExportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Dynamo => "dynamodb",
            ExportFormat::Plain => "plain",
            ExportFormat::Csv => "csv",
        }
    }

    /// From a file name: `.csv` is CSV, anything else DynamoDB JSON.
    pub fn for_path(path: &Path) -> ExportFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => ExportFormat::Csv,
            _ => ExportFormat::Dynamo,
        }
    }
}

/// How items are read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Parallel Scan segments (a Query reads one partition in order).
    pub segments: u32,
    /// Read capacity units per second to stay under (None: as fast as allowed).
    pub rate_limit_rcu: Option<f64>,
    /// Throttle retries and backoff.
    pub retry: WriteOptions,
    /// Read only these of the Scan's `segments` (an export split into one
    /// file per segment reads each part on its own).
    pub only_segments: Option<Vec<u32>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            segments: 4,
            rate_limit_rcu: None,
            retry: WriteOptions::default(),
            only_segments: None,
        }
    }
}

/// Counters of a read, shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct ReadProgress {
    /// Items kept (after the type filter) and handed on.
    pub items: AtomicU64,
    pub scanned: AtomicU64,
    /// Consumed read units, in thousandths.
    pub consumed_milli: AtomicU64,
    pub pages: AtomicU64,
}

impl ReadProgress {
    pub fn consumed(&self) -> f64 {
        self.consumed_milli.load(Ordering::Relaxed) as f64 / 1000.0
    }
}

/// A page of a read, with the Scan segment it came from (0 for a Query or a
/// one-segment Scan).
#[derive(Debug)]
pub struct SegmentPage {
    pub segment: u32,
    pub page: Page,
}

/// Reads every page of `req` into `tx`: a Scan in `opts.segments`
/// parallel segments, a Query page after page. Stops early (Ok) when `stop`
/// is set or the receiver is gone. Empty pages are not sent.
pub async fn read_pages(
    db: &Dynamo,
    req: &ItemsRequest,
    opts: &ReadOptions,
    progress: Arc<ReadProgress>,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<Vec<Item>>,
) -> Result<(), AwsError> {
    read_each(db, req, opts, None, progress, stop, tx, |_, page| {
        (!page.items.is_empty()).then_some(page.items)
    })
    .await
}

/// Reads every page of `req` into `tx` as [`SegmentPage`]s, each with its
/// counts: a Scan in `opts.segments` parallel segments from the start of
/// the table or index, a Query page after page from `start` (its
/// LastEvaluatedKey so far; None: the first page). The pages of one
/// segment arrive in order; segments interleave. Throttles and transient
/// failures are retried (`opts.retry`). Stops early (Ok) when `stop` is set
/// or the receiver is gone; dropping the future stops the segments' tasks.
pub async fn read_segments(
    db: &Dynamo,
    req: &ItemsRequest,
    opts: &ReadOptions,
    start: Option<Item>,
    progress: Arc<ReadProgress>,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<SegmentPage>,
) -> Result<(), AwsError> {
    read_each(db, req, opts, start, progress, stop, tx, |segment, page| {
        Some(SegmentPage { segment, page })
    })
    .await
}

/// Parallel segments of a Scan (1 for a Query).
pub fn segments_of(req: &ItemsRequest, opts: &ReadOptions) -> u32 {
    match req.kind {
        RequestKind::Scan => opts.segments.max(1),
        RequestKind::Query { .. } => 1,
    }
}

/// The reading behind [`read_pages`] and [`read_segments`]: one task per
/// segment (in a `JoinSet`, so they stop with this future), each page
/// turned by `wrap` into what is sent (None: nothing).
#[allow(clippy::too_many_arguments)]
async fn read_each<T: Send + 'static>(
    db: &Dynamo,
    req: &ItemsRequest,
    opts: &ReadOptions,
    start: Option<Item>,
    progress: Arc<ReadProgress>,
    stop: Arc<AtomicBool>,
    tx: mpsc::Sender<T>,
    wrap: fn(u32, Page) -> Option<T>,
) -> Result<(), AwsError> {
    let limiter = opts.rate_limit_rcu.map(|r| Arc::new(RateLimiter::new(r)));
    let segments = segments_of(req, opts);
    let mut tasks = tokio::task::JoinSet::new();
    let which: Vec<u32> = match &opts.only_segments {
        Some(only) if segments > 1 => only.iter().copied().filter(|s| *s < segments).collect(),
        _ => (0..segments).collect(),
    };
    for seg in which {
        let db = db.clone();
        let req = req.clone();
        let tx = tx.clone();
        let progress = progress.clone();
        let stop = stop.clone();
        let limiter = limiter.clone();
        let retry_opts = opts.retry.clone();
        let segment = (segments > 1).then_some((seg as i32, segments as i32));
        // A Query (one segment) goes on from where it was.
        let mut start: Option<Item> = if segments == 1 { start.clone() } else { None };
        tasks.spawn(async move {
            // The next request waits for what the last one cost.
            let mut last_cost = 1.0;
            loop {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                if let Some(l) = &limiter {
                    l.acquire(last_cost).await;
                }
                let page = retry_transient(&retry_opts, || {
                    db.fetch_page_segment(&req, segment, start.clone())
                })
                .await?;
                last_cost = page.consumed.unwrap_or(1.0).max(0.5);
                progress
                    .scanned
                    .fetch_add(page.scanned.max(0) as u64, Ordering::Relaxed);
                progress.consumed_milli.fetch_add(
                    (page.consumed.unwrap_or(0.0) * 1000.0) as u64,
                    Ordering::Relaxed,
                );
                progress.pages.fetch_add(1, Ordering::Relaxed);
                let next = page.next.clone().filter(|k| !k.is_empty());
                if let Some(m) = wrap(seg, page)
                    && tx.send(m).await.is_err()
                {
                    return Ok(());
                }
                match next {
                    Some(k) => start = Some(k),
                    None => return Ok(()),
                }
            }
        });
    }
    drop(tx);
    let mut first_err = None;
    while let Some(t) = tasks.join_next().await {
        match t {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                stop.store(true, Ordering::Relaxed);
                first_err.get_or_insert(e);
            }
            Err(e) => {
                first_err.get_or_insert(AwsError::new("TaskFailed", e.to_string()));
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// What an export, import or copy did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub items: u64,
    pub scanned: u64,
    pub consumed: f64,
    pub elapsed: Duration,
    /// Files written (CSV: one per type).
    pub files: Vec<PathBuf>,
    pub stopped: bool,
    /// Copy: when throttles made the write rate adapt, the rate it settled
    /// at and the rate last throttled (write units per second).
    pub rate_found_wcu: Option<u64>,
    pub throttled_at_wcu: Option<u64>,
}

impl Summary {
    /// What the write rate of a copy adapted to, for its summary line.
    pub fn rate_note(&self) -> String {
        super::seed::rate_note(self.rate_found_wcu, self.throttled_at_wcu)
    }
}

/// The trailer of a complete export.
#[derive(Debug, Clone, PartialEq)]
pub struct Trailer {
    pub items: u64,
    pub table: String,
    pub format: String,
}

fn trailer_line(table: &str, format: ExportFormat, items: u64) -> String {
    let v = serde_json::json!({ TRAILER: {
        "version": 1,
        "table": table,
        "format": format.name(),
        "items": items,
        "complete": true,
    }});
    v.to_string()
}

fn header_line(format: ExportFormat) -> String {
    serde_json::json!({ HEADER: { "version": 1, "format": format.name() } }).to_string()
}

/// True for the trailer (or header) line read as an item.
pub fn is_trailer(item: &Item) -> bool {
    item.len() == 1 && (item.contains_key(TRAILER) || item.contains_key(HEADER))
}

/// Where a file is written until it is complete.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// Streams an export of `req` into `out` (or stdout for `-`).
#[allow(clippy::too_many_arguments)]
pub async fn export(
    db: &Dynamo,
    info: &TableInfo,
    req: &ItemsRequest,
    mut decoder: Decoder,
    only: Option<EntityId>,
    out: &Path,
    format: ExportFormat,
    opts: &ReadOptions,
    progress: Arc<ReadProgress>,
    stop: Arc<AtomicBool>,
) -> Result<Summary, String> {
    let began = Instant::now();
    let to_stdout = out.as_os_str() == "-";
    if to_stdout && format == ExportFormat::Csv {
        return Err("CSV is written to files (one per entity type), not to stdout".into());
    }
    let (tx, mut rx) = mpsc::channel::<Vec<Item>>(PAGES_IN_FLIGHT * opts.segments.max(1) as usize);
    let reader = {
        let db = db.clone();
        let req = req.clone();
        let opts = opts.clone();
        let progress = progress.clone();
        let stop = stop.clone();
        tokio::spawn(async move { read_pages(&db, &req, &opts, progress, stop, tx).await })
    };
    let mut sink: Box<dyn ItemSink> = match format {
        ExportFormat::Csv => Box::new(CsvSink::new(out, info, decoder.clone(), only.is_some())),
        f => Box::new(JsonSink::new(out, f, to_stdout)?),
    };
    let mut n = 0u64;
    let mut write_err = None;
    while let Some(page) = rx.recv().await {
        for item in page {
            if let Some(e) = only
                && decoder.classify(&item).entity != Some(e)
            {
                continue;
            }
            if let Err(e) = sink.write(item) {
                write_err = Some(e);
                break;
            }
            n += 1;
            progress.items.fetch_add(1, Ordering::Relaxed);
        }
        if write_err.is_some() {
            stop.store(true, Ordering::Relaxed);
            break;
        }
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string());
    if let Some(e) = write_err {
        return Err(e);
    }
    read?;
    let stopped = stop.load(Ordering::Relaxed);
    // A stopped export keeps its `.partial` file (import calls it truncated).
    let files = sink.finish(&info.name, n, !stopped)?;
    Ok(Summary {
        items: n,
        scanned: progress.scanned.load(Ordering::Relaxed),
        consumed: progress.consumed(),
        elapsed: began.elapsed(),
        files,
        stopped,
        ..Summary::default()
    })
}

/// Writes loaded items (the TUI's marked items) to a file, like an export.
pub fn export_items(
    items: &[Item],
    info: &TableInfo,
    out: &Path,
    format: ExportFormat,
    decoder: Decoder,
) -> Result<Summary, String> {
    let began = Instant::now();
    let mut sink: Box<dyn ItemSink> = match format {
        ExportFormat::Csv => Box::new(CsvSink::new(out, info, decoder, false)),
        f => Box::new(JsonSink::new(out, f, false)?),
    };
    for it in items {
        sink.write(it.clone())?;
    }
    let files = sink.finish(&info.name, items.len() as u64, true)?;
    Ok(Summary {
        items: items.len() as u64,
        elapsed: began.elapsed(),
        files,
        ..Summary::default()
    })
}

trait ItemSink: Send {
    fn write(&mut self, item: Item) -> Result<(), String>;
    /// Flushes, writes the trailer and renames into place when `complete`.
    fn finish(
        self: Box<Self>,
        table: &str,
        items: u64,
        complete: bool,
    ) -> Result<Vec<PathBuf>, String>;
}

struct JsonSink {
    out: BufWriter<Box<dyn std::io::Write + Send>>,
    format: ExportFormat,
    /// One line, reused.
    line: Vec<u8>,
    /// (partial, final) paths; None for stdout.
    paths: Option<(PathBuf, PathBuf)>,
}

impl JsonSink {
    fn new(out: &Path, format: ExportFormat, to_stdout: bool) -> Result<JsonSink, String> {
        let mut sink = if to_stdout {
            JsonSink {
                out: BufWriter::with_capacity(WRITE_BUFFER, Box::new(std::io::stdout())),
                format,
                line: Vec::with_capacity(4096),
                paths: None,
            }
        } else {
            let partial = partial_path(out);
            let f = std::fs::File::create(&partial)
                .map_err(|e| format!("{}: cannot create: {e}", partial.display()))?;
            JsonSink {
                out: BufWriter::with_capacity(WRITE_BUFFER, Box::new(f)),
                format,
                line: Vec::with_capacity(4096),
                paths: Some((partial, out.to_path_buf())),
            }
        };
        writeln!(sink.out, "{}", header_line(format))
            .map_err(|e| format!("{}: {e}", sink.name()))?;
        Ok(sink)
    }

    fn name(&self) -> String {
        self.paths
            .as_ref()
            .map(|p| p.0.display().to_string())
            .unwrap_or_else(|| "stdout".into())
    }
}

impl ItemSink for JsonSink {
    fn write(&mut self, item: Item) -> Result<(), String> {
        self.line.clear();
        match self.format {
            ExportFormat::Plain => {
                serde_json::to_writer(&mut self.line, &value::item_to_plain(&item))
                    .map_err(|e| format!("{}: {e}", self.name()))?;
            }
            _ => value::write_item_dynamo(&mut self.line, &item),
        }
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(|e| format!("{}: {e}", self.name()))
    }

    fn finish(
        mut self: Box<Self>,
        table: &str,
        items: u64,
        complete: bool,
    ) -> Result<Vec<PathBuf>, String> {
        let name = self.name();
        if complete {
            writeln!(self.out, "{}", trailer_line(table, self.format, items))
                .map_err(|e| format!("{name}: {e}"))?;
        }
        let JsonSink { mut out, paths, .. } = *self;
        out.flush().map_err(|e| format!("{name}: {e}"))?;
        let inner = out
            .into_inner()
            .map_err(|e| format!("{name}: {}", e.error()))?;
        drop(inner);
        match paths {
            Some((partial, fin)) if complete => {
                std::fs::rename(&partial, &fin).map_err(|e| {
                    format!(
                        "cannot rename {} to {}: {e}",
                        partial.display(),
                        fin.display()
                    )
                })?;
                Ok(vec![fin])
            }
            Some((partial, _)) => Ok(vec![partial]),
            None => Ok(vec![]),
        }
    }
}

/// One CSV file per entity type: `NAME.Type.csv` (or `NAME.csv` when only
/// one type is exported). Columns: the key attributes, the type's
/// configured columns or the attributes of its first items, then `_other`
/// with any further attributes as a JSON object, so nothing is lost.
struct CsvSink {
    base: PathBuf,
    info: TableInfo,
    decoder: Decoder,
    single: bool,
    files: std::collections::BTreeMap<String, CsvFile>,
}

struct CsvFile {
    partial: PathBuf,
    path: PathBuf,
    /// Items held until the columns are chosen.
    sample: Vec<Item>,
    columns: Option<Vec<String>>,
    configured: Vec<String>,
    writer: Option<csv::Writer<std::fs::File>>,
}

impl CsvSink {
    fn new(out: &Path, info: &TableInfo, decoder: Decoder, single: bool) -> CsvSink {
        CsvSink {
            base: out.to_path_buf(),
            info: info.clone(),
            decoder,
            single,
            files: Default::default(),
        }
    }

    fn path_for(&self, type_name: &str) -> PathBuf {
        if self.single {
            return self.base.clone();
        }
        let stem = self
            .base
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        let safe: String = type_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.base.with_file_name(format!("{stem}.{safe}.csv"))
    }

    fn key_names(&self) -> Vec<String> {
        self.info
            .key_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

fn csv_cell(v: &super::AttributeValue) -> String {
    match v {
        super::AttributeValue::S(s) => s.clone(),
        super::AttributeValue::N(n) => n.clone(),
        super::AttributeValue::Bool(b) => b.to_string(),
        super::AttributeValue::Null(_) => String::new(),
        other => value::to_plain(other).to_string(),
    }
}

impl CsvFile {
    fn choose_columns(&mut self, keys: &[String]) {
        let mut cols: Vec<String> = keys.to_vec();
        if !self.configured.is_empty() {
            cols.extend(
                self.configured
                    .iter()
                    .filter(|c| !keys.contains(c))
                    .cloned(),
            );
        } else {
            let mut seen: std::collections::BTreeSet<String> = Default::default();
            for it in &self.sample {
                seen.extend(it.keys().filter(|k| !keys.contains(k)).cloned());
            }
            cols.extend(seen);
        }
        self.columns = Some(cols);
    }

    fn open(&mut self) -> Result<(), String> {
        let f = std::fs::File::create(&self.partial)
            .map_err(|e| format!("{}: cannot create: {e}", self.partial.display()))?;
        let mut w = csv::Writer::from_writer(f);
        let mut header = self.columns.clone().unwrap_or_default();
        header.push("_other".into());
        w.write_record(&header)
            .map_err(|e| format!("{}: {e}", self.partial.display()))?;
        self.writer = Some(w);
        Ok(())
    }

    fn write_row(&mut self, item: &Item) -> Result<(), String> {
        let cols = self.columns.as_ref().ok_or("no columns")?;
        let mut row: Vec<String> = cols
            .iter()
            .map(|c| item.get(c).map(csv_cell).unwrap_or_default())
            .collect();
        let mut other = Map::new();
        let mut rest: Vec<(&String, &super::AttributeValue)> =
            item.iter().filter(|(k, _)| !cols.contains(k)).collect();
        rest.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in rest {
            other.insert(k.clone(), value::to_plain(v));
        }
        row.push(if other.is_empty() {
            String::new()
        } else {
            Value::Object(other).to_string()
        });
        let w = self.writer.as_mut().ok_or("not open")?;
        w.write_record(&row)
            .map_err(|e| format!("{}: {e}", self.partial.display()))
    }

    fn flush_sample(&mut self, keys: &[String]) -> Result<(), String> {
        if self.columns.is_none() {
            self.choose_columns(keys);
        }
        if self.writer.is_none() {
            self.open()?;
        }
        for it in std::mem::take(&mut self.sample) {
            self.write_row(&it)?;
        }
        Ok(())
    }
}

impl ItemSink for CsvSink {
    fn write(&mut self, item: Item) -> Result<(), String> {
        let class = self.decoder.classify(&item);
        let type_name = class
            .entity
            .map(|e| self.decoder.entity_name(e).to_string())
            .unwrap_or_else(|| "_untyped".into());
        let configured = class
            .entity
            .and_then(|e| self.decoder.entity_def(e))
            .map(|d| d.columns.clone())
            .unwrap_or_default();
        let keys = self.key_names();
        if !self.files.contains_key(&type_name) {
            let path = self.path_for(&type_name);
            self.files.insert(
                type_name.clone(),
                CsvFile {
                    partial: partial_path(&path),
                    path,
                    sample: Vec::new(),
                    columns: None,
                    configured,
                    writer: None,
                },
            );
        }
        let f = self.files.get_mut(&type_name).ok_or("csv file")?;
        if f.writer.is_some() {
            return f.write_row(&item);
        }
        f.sample.push(item);
        if f.sample.len() >= CSV_SAMPLE {
            f.flush_sample(&keys)?;
        }
        Ok(())
    }

    fn finish(
        mut self: Box<Self>,
        _table: &str,
        _items: u64,
        complete: bool,
    ) -> Result<Vec<PathBuf>, String> {
        let keys = self.key_names();
        let mut out = Vec::new();
        for f in self.files.values_mut() {
            f.flush_sample(&keys)?;
            if let Some(mut w) = f.writer.take() {
                w.flush()
                    .map_err(|e| format!("{}: {e}", f.partial.display()))?;
            }
            if complete {
                std::fs::rename(&f.partial, &f.path)
                    .map_err(|e| format!("cannot rename {}: {e}", f.partial.display()))?;
                out.push(f.path.clone());
            } else {
                out.push(f.partial.clone());
            }
        }
        Ok(out)
    }
}

/// What an export file holds, checked before an import.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCheck {
    /// Complete lines before the trailer (or in all, without one).
    pub lines: u64,
    pub trailer: Option<Trailer>,
    /// Why the file is not a complete export (None: it is).
    pub problem: Option<String>,
    /// The 1-based line of a cut-off last line, if any.
    pub cut_line: Option<u64>,
    /// What the check could not say (a file of another tool's).
    pub note: Option<String>,
}

/// True when the file starts as the output of `aws dynamodb scan --output
/// json` does: `{"Items": [`.
fn is_scan_output(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let Some(rest) = t.strip_prefix('{') else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix("\"Items\"") else {
        return false;
    };
    rest.trim_start().starts_with(':')
}

/// Checks that `path` is a complete export: its last line is the trailer
/// and the count matches. Reads the file once, without parsing the items.
pub fn check_file(path: &Path) -> Result<FileCheck, String> {
    let name = path.display();
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("{name}: cannot open the file: {e}"))?;
    let len = f.metadata().map_err(|e| format!("{name}: {e}"))?.len();
    // The first line: dyntui's header, or the AWS CLI's scan output.
    let mut head = Vec::new();
    (&mut f)
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| format!("{name}: {e}"))?;
    if is_scan_output(&head) {
        return Ok(FileCheck {
            lines: 0,
            trailer: None,
            problem: None,
            cut_line: None,
            note: Some(format!(
                "{name} is an `aws dynamodb scan` output: its Count is checked against the items as they are read"
            )),
        });
    }
    let header = head
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .find(|l| !l.is_empty())
        .and_then(|l| serde_json::from_str::<Value>(l.trim_start_matches('\u{feff}')).ok())
        .is_some_and(|v| v.get(HEADER).is_some());
    f.seek(SeekFrom::Start(0))
        .map_err(|e| format!("{name}: {e}"))?;
    // Count lines (non-blank) quickly.
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut f);
    let mut lines = 0u64;
    let mut line_no = 0u64;
    let mut last_start_line = 0u64;
    let mut ends_with_newline = true;
    let mut blank = true;
    loop {
        let buf = reader.fill_buf().map_err(|e| format!("{name}: {e}"))?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            if b == b'\n' {
                line_no += 1;
                if !blank {
                    lines += 1;
                    last_start_line = line_no;
                }
                blank = true;
                ends_with_newline = true;
            } else {
                if !b.is_ascii_whitespace() {
                    blank = false;
                }
                ends_with_newline = false;
            }
        }
        let n = buf.len();
        reader.consume(n);
    }
    let cut = !ends_with_newline && !blank;
    // The last complete line: read the file's tail.
    let tail_len = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - tail_len))
        .map_err(|e| format!("{name}: {e}"))?;
    let mut tail = String::new();
    f.take(tail_len)
        .read_to_string(&mut tail)
        .map_err(|e| format!("{name}: {e}"))?;
    let trailer = if cut {
        None
    } else {
        tail.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| serde_json::from_str::<Value>(l).ok())
            .and_then(|v| v.get(TRAILER).cloned())
            .map(|t| Trailer {
                items: t.get("items").and_then(Value::as_u64).unwrap_or(0),
                table: t
                    .get("table")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                format: t
                    .get("format")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            })
    };
    let item_lines = lines
        .saturating_sub(u64::from(trailer.is_some()))
        .saturating_sub(u64::from(header));
    let cut_line = cut.then_some(line_no + 1);
    let problem = match (&trailer, cut) {
        (_, true) => Some(format!(
            "{name} is truncated: line {} is cut off and there is no end marker ({item_lines} complete item lines before it); was the export stopped? Export again, or pass --allow-truncated to import the complete lines only",
            line_no + 1
        )),
        (None, false) if header => Some(format!(
            "{name} is truncated: it is a dyntui export, but its last line is not the `{TRAILER}` end marker ({item_lines} item lines); export again, or pass --allow-truncated to import the lines it has"
        )),
        (None, false) => None,
        (Some(t), false) if t.items != item_lines => Some(format!(
            "{name}: the end marker says {} items but the file has {item_lines} item lines (line {last_start_line} is the marker); the file was changed or cut",
            t.items
        )),
        _ => None,
    };
    let note = (trailer.is_none() && !header && !cut).then(|| {
        format!(
            "{name} is not a dyntui export (it has neither dyntui's first line nor its end marker): it cannot be checked for truncation, so its {item_lines} lines are imported as they are"
        )
    });
    Ok(FileCheck {
        lines: item_lines,
        trailer,
        problem,
        cut_line,
        note,
    })
}

/// Writes a stream of items as batched puts (25 per request,
/// `opts.concurrency` in flight), retrying unprocessed items, throttles and
/// transient failures, at a rate adapted to throttling (`rate_limit_wcu` its
/// ceiling). Returns what the rate adapted to, as
/// [`AdaptiveRate::found`]: (settled at, throttled at).
pub async fn write_items<S>(
    db: &Dynamo,
    table: &str,
    items: S,
    opts: &WriteOptions,
    progress: Arc<Progress>,
) -> Result<Option<(f64, f64)>, AwsError>
where
    S: futures::Stream<Item = Item>,
{
    let pace = AdaptiveRate::new(opts.rate_limit_wcu);
    let pace = &pace;
    let progress = &progress;
    let mut s = std::pin::pin!(
        items
            .chunks(BATCH_SIZE)
            .map(|b| async move {
                let writes: Vec<Write> = b.into_iter().map(Write::Put).collect();
                write_batch_paced(db, table, writes, opts, progress, Some(pace)).await
            })
            .buffer_unordered(opts.concurrency.max(1))
    );
    while let Some(r) = s.next().await {
        r?;
    }
    Ok(pace.found())
}

/// Copies the items of `req` (read from `src`) into `dst_table` on `dst`,
/// optionally of one type and redacted.
#[allow(clippy::too_many_arguments)]
pub async fn copy(
    src: &Dynamo,
    req: &ItemsRequest,
    mut decoder: Decoder,
    only: Option<EntityId>,
    redactor: Option<&Redactor>,
    dst: &Dynamo,
    dst_table: &str,
    read: &ReadOptions,
    write: &WriteOptions,
    progress: Arc<ReadProgress>,
    written: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<Summary, String> {
    let began = Instant::now();
    // Redaction reads the items once first: an original (an email) is then
    // replaced in every item where it occurs (an order's `billingEmail`),
    // whichever item comes first.
    let redactor = match redactor {
        Some(r) => Some(learn_originals(src, req, r, read, stop.clone()).await?),
        None => None,
    };
    let redactor = redactor.as_ref();
    let (tx, rx) = mpsc::channel::<Vec<Item>>(PAGES_IN_FLIGHT * read.segments.max(1) as usize);
    let reader = {
        let db = src.clone();
        let req = req.clone();
        let opts = read.clone();
        let progress = progress.clone();
        let stop = stop.clone();
        tokio::spawn(async move { read_pages(&db, &req, &opts, progress, stop, tx).await })
    };
    let counter = progress.clone();
    let items = tokio_stream_from(rx)
        .flat_map(futures::stream::iter)
        .filter_map(move |mut item| {
            let keep = only.is_none_or(|e| decoder.classify(&item).entity == Some(e));
            if keep {
                if let Some(r) = redactor {
                    r.redact(&mut item);
                }
                counter.items.fetch_add(1, Ordering::Relaxed);
            }
            futures::future::ready(keep.then_some(item))
        });
    let w = write_items(dst, dst_table, items, write, written.clone()).await;
    if w.is_err() {
        stop.store(true, Ordering::Relaxed);
    }
    let r = reader.await.map_err(|e| e.to_string())?;
    let found = w.map_err(|e| format!("writing to {dst_table}: {e}"))?;
    r.map_err(|e| format!("reading: {e}"))?;
    Ok(Summary {
        items: written.written.load(Ordering::Relaxed),
        scanned: progress.scanned.load(Ordering::Relaxed),
        consumed: progress.consumed(),
        elapsed: began.elapsed(),
        files: vec![],
        stopped: stop.load(Ordering::Relaxed),
        rate_found_wcu: found.map(|(r, _)| r.round() as u64),
        throttled_at_wcu: found.map(|(_, t)| t.round() as u64),
    })
}

/// `r` having seen every item of `req`: the originals it redacts.
async fn learn_originals(
    src: &Dynamo,
    req: &ItemsRequest,
    r: &Redactor,
    read: &ReadOptions,
    stop: Arc<AtomicBool>,
) -> Result<Redactor, String> {
    let mut r = r.clone();
    let (tx, mut rx) = mpsc::channel::<Vec<Item>>(PAGES_IN_FLIGHT * read.segments.max(1) as usize);
    let reader = {
        let db = src.clone();
        let req = req.clone();
        let opts = read.clone();
        tokio::spawn(async move {
            read_pages(
                &db,
                &req,
                &opts,
                Arc::new(ReadProgress::default()),
                stop,
                tx,
            )
            .await
        })
    };
    while let Some(page) = rx.recv().await {
        for item in &page {
            r.learn(item);
        }
    }
    reader
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("reading (to find the values to redact): {e}"))?;
    Ok(r)
}

/// A receiver as a stream.
fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
