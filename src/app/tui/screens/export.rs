//! Export from the TUI (`:export FILE`): the marked items, else everything
//! the items view's request selects (every page, with its type filter), in
//! the background with the same code as `dyntui export`. The format follows
//! the file name (`.csv`: CSV per type; else DynamoDB JSON lines). Reading
//! the view's request asks first, with the read's estimate (as `dyntui
//! export` makes it); marked items are already read and export at once.
//!
//! `:export s3://bucket/prefix` is DynamoDB's own export of the whole
//! table (ExportTableToPointInTime), followed in the status bar with the
//! code of `dyntui export --s3`. Point-in-time recovery is checked first;
//! when it is off, a confirmation offers to enable it (a write to the
//! table's settings: refused read-only or on a locked protected table).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::KeyEvent;

use crate::app::tui::cx::{Cx, Level};
use crate::app::tui::estimate::ConfirmEstimate;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::{Deps, Reply, Tracked};
use crate::app::tui::widgets::{Answer, Confirm};
use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::entity::{Decoder, EntityId};
use crate::dynamo::estimate::{Estimate, Prices, plan};
use crate::dynamo::export::{self, ExportFormat, ReadOptions, ReadProgress, Summary};
use crate::dynamo::meter::Meter;
use crate::dynamo::native::{self, ExportInfo, ExportSpec, Followed, NativeFormat, S3Url};
use crate::dynamo::request::ItemsRequest;

/// What the items view exports (passed by the application).
#[derive(Debug, Clone)]
pub struct ExportSource {
    pub info: TableInfo,
    pub decoder: Decoder,
    /// The marked items (exported alone when there are any).
    pub marked: Vec<Item>,
    /// The view's request and type filter (every page is read).
    pub request: ItemsRequest,
    pub type_filter: Option<EntityId>,
}

#[derive(Debug)]
pub enum ExportMsg {
    Done(ReqId, Result<Summary, String>),
    /// The estimate of reading the view's request, for the confirmation.
    Estimated(ReqId, Result<Box<Estimate>, String>),
    /// Whether point-in-time recovery is on (before a native export).
    PitrChecked(ReqId, Result<bool, String>),
    /// A native export's state as it is followed.
    NativeProgress(ReqId, Box<ExportInfo>),
    /// A native export ended (completed or failed), or could not start.
    NativeDone(ReqId, Result<Box<ExportInfo>, String>),
}

#[derive(Debug)]
pub enum ExportEffect {
    /// Writes the given items to the file (a blocking task).
    Items {
        id: ReqId,
        items: Vec<Item>,
        info: Box<TableInfo>,
        decoder: Box<Decoder>,
        path: PathBuf,
        format: ExportFormat,
        progress: Arc<ReadProgress>,
    },
    /// Reads every page of the request into the file.
    Request {
        id: ReqId,
        request: Box<ItemsRequest>,
        info: Box<TableInfo>,
        decoder: Box<Decoder>,
        only: Option<EntityId>,
        path: PathBuf,
        format: ExportFormat,
        progress: Arc<ReadProgress>,
        stop: Arc<AtomicBool>,
        /// Sums the capacity the export consumes.
        meter: Meter,
    },
    /// Estimates reading every page of the request (`dyntui export`'s
    /// estimate).
    Estimate {
        id: ReqId,
        request: Box<ItemsRequest>,
        info: Box<TableInfo>,
        prices: Box<Prices>,
    },
    /// DescribeContinuousBackups: is PITR on?
    PitrCheck { id: ReqId, table: String },
    /// Enables PITR first when asked (audited), starts the native export
    /// and follows it to its end.
    Native {
        id: ReqId,
        table: String,
        dest: S3Url,
        enable_pitr: bool,
    },
}

impl Tracked for ExportEffect {
    /// An export is stopped with its flag (it leaves a `.partial` file),
    /// never aborted; an estimate is aborted with its confirmation.
    fn request_id(&self) -> Option<ReqId> {
        match self {
            // Abandoning a native export's follow leaves the export
            // running in AWS.
            ExportEffect::Estimate { id, .. }
            | ExportEffect::PitrCheck { id, .. }
            | ExportEffect::Native { id, .. } => Some(*id),
            ExportEffect::Items { .. } | ExportEffect::Request { .. } => None,
        }
    }
}

pub type ExportCx<'a> = Cx<'a, ExportEffect>;

/// An export in progress.
#[derive(Debug)]
pub struct ExportRun {
    pub path: PathBuf,
    pub progress: Arc<ReadProgress>,
    pub stop: Arc<AtomicBool>,
}

/// The question before reading the view's request into a file.
#[derive(Debug)]
pub struct ExportConfirm {
    /// The file, as typed.
    pub path: String,
    pub table: String,
    /// What is read: `Scan of orders`, `Query ...`.
    pub what: String,
    pub source: Box<ExportSource>,
    /// What reading it costs (estimated on a task).
    pub estimate: ConfirmEstimate,
    pub ask: Confirm,
}

/// A native export (`:export s3://...`): PITR being checked, the export
/// starting, or followed.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeRun {
    pub table: String,
    pub dest: S3Url,
    /// Its last state (None until it has started).
    pub last: Option<ExportInfo>,
}

impl NativeRun {
    /// The status bar's line.
    pub fn line(&self) -> String {
        match &self.last {
            None => format!("native export of {} to {}: starting", self.table, self.dest),
            Some(e) => format!(
                "native export of {} to {}: {} ({}){}",
                self.table,
                self.dest,
                e.status.map(native::JobStatus::label).unwrap_or("UNKNOWN"),
                native::arn_tail(&e.arn),
                e.items
                    .filter(|n| *n > 0)
                    .map(|n| format!(", {n} items"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// The question when point-in-time recovery is off.
#[derive(Debug)]
pub struct PitrConfirm {
    pub table: String,
    pub dest: S3Url,
    pub ask: Confirm,
}

/// The export in progress, if any.
#[derive(Debug, Default)]
pub struct ExportState {
    pub job: Request<(), String>,
    pub run: Option<ExportRun>,
    pub confirm: Option<ExportConfirm>,
    /// The run's meter and its confirmation's estimate.
    pub metered: Option<(Meter, Option<Estimate>)>,
    /// A native export's check, start and follow.
    pub native_job: Request<(), String>,
    pub native: Option<NativeRun>,
    /// Enable PITR? (asked when it is off before a native export).
    pub pitr: Option<PitrConfirm>,
}

impl ExportState {
    pub fn running(&self) -> bool {
        self.run.is_some() || self.native.is_some()
    }

    /// A confirmation of this screen is open.
    pub fn asking(&self) -> bool {
        self.confirm.is_some() || self.pitr.is_some()
    }

    /// `:export s3://bucket/prefix` of `table` (the one in front: the
    /// items view's, or the one selected in the tables list): checks PITR,
    /// then exports (or asks).
    pub fn start_native(
        &mut self,
        cx: &mut ExportCx,
        table: Option<String>,
        dest: &str,
    ) -> Result<(), String> {
        if self.native.is_some() {
            return Err("a native export is already being followed".into());
        }
        let dest = S3Url::parse(dest)?;
        let table = table.ok_or("select or open a table first (:table NAME)")?;
        if !cx.online {
            return Err("not connected".into());
        }
        let t = table.clone();
        cx.start(&mut self.native_job, |id| ExportEffect::PitrCheck {
            id,
            table: t,
        });
        self.native = Some(NativeRun {
            table,
            dest,
            last: None,
        });
        *cx.flash = None;
        Ok(())
    }

    /// Why enabling PITR on `table` is not allowed here, if it is not.
    fn pitr_refusal(cx: &ExportCx, table: &str) -> Option<String> {
        let fix = native::enable_pitr_command(table);
        if cx.read_only {
            return Some(format!(
                "point-in-time recovery is off on `{table}` and this session is read-only: enable it with {fix}"
            ));
        }
        if let Some(reason) = cx.project.protection(table, cx.conn.profile.as_deref())
            && !cx.unlocked.contains(table)
        {
            return Some(format!(
                "point-in-time recovery is off on `{table}`, which is protected ({reason}): `:unlock` it first, or enable it with {fix}"
            ));
        }
        None
    }

    /// Keys typed while the PITR question is open.
    pub fn on_pitr_key(&mut self, cx: &mut ExportCx, k: &KeyEvent) {
        let Some(c) = self.pitr.as_mut() else {
            return;
        };
        match c.ask.on_key(k) {
            Answer::Pending => {}
            Answer::Refused(e) => cx.flash(Level::Error, e),
            Answer::No => {
                if let Some(c) = self.pitr.take() {
                    self.native = None;
                    cx.flash(
                        Level::Warn,
                        format!(
                            "point-in-time recovery left off on `{}`; nothing exported",
                            c.table
                        ),
                    );
                }
            }
            Answer::Yes => {
                let Some(c) = self.pitr.take() else {
                    return;
                };
                self.run_native(cx, c.table, c.dest, true);
            }
        }
    }

    fn run_native(&mut self, cx: &mut ExportCx, table: String, dest: S3Url, enable_pitr: bool) {
        let (t, d) = (table.clone(), dest.clone());
        cx.start(&mut self.native_job, |id| ExportEffect::Native {
            id,
            table: t,
            dest: d,
            enable_pitr,
        });
        self.native = Some(NativeRun {
            table,
            dest,
            last: None,
        });
    }

    /// A native export's messages.
    fn update_native(&mut self, cx: &mut ExportCx, msg: ExportMsg) -> bool {
        match msg {
            ExportMsg::PitrChecked(id, r) => {
                if !self.native_job.accept(id) {
                    return false;
                }
                let Some(run) = self.native.clone() else {
                    return false;
                };
                match r {
                    Ok(true) => self.run_native(cx, run.table, run.dest, false),
                    Ok(false) => match Self::pitr_refusal(cx, &run.table) {
                        Some(why) => {
                            self.native = None;
                            cx.flash(Level::Error, why);
                        }
                        None => {
                            let ask = match cx
                                .project
                                .protection(&run.table, cx.conn.profile.as_deref())
                            {
                                Some(reason) => Confirm::typed(run.table.clone(), reason),
                                None => Confirm::yes_no(),
                            };
                            self.pitr = Some(PitrConfirm {
                                table: run.table,
                                dest: run.dest,
                                ask,
                            });
                        }
                    },
                    Err(e) => {
                        self.native = None;
                        cx.flash(Level::Error, format!("native export: {e}"));
                    }
                }
                true
            }
            ExportMsg::NativeProgress(id, e) => {
                if !self.native_job.is_current(id) {
                    return false;
                }
                match self.native.as_mut() {
                    Some(run) => {
                        run.last = Some(*e);
                        true
                    }
                    None => false,
                }
            }
            ExportMsg::NativeDone(id, r) => {
                if !self.native_job.accept(id) {
                    return false;
                }
                let run = self.native.take();
                let table = run.as_ref().map(|r| r.table.clone()).unwrap_or_default();
                match r {
                    Ok(e) if e.status == Some(native::JobStatus::Completed) => cx.flash(
                        Level::Info,
                        format!(
                            "native export of {table} COMPLETED: {} items, {} billed, at {}",
                            e.items.unwrap_or(0),
                            native::size_text(e.billed_bytes.unwrap_or(0)),
                            e.manifest_url().unwrap_or_else(|| e.location())
                        ),
                    ),
                    Ok(e) => cx.flash(
                        Level::Error,
                        format!(
                            "native export of {table} {}: {}: {}",
                            e.status.map(native::JobStatus::label).unwrap_or("UNKNOWN"),
                            e.failure_code.as_deref().unwrap_or("(no code)"),
                            e.failure_message.as_deref().unwrap_or("(no message)")
                        ),
                    ),
                    Err(e) => cx.flash(Level::Error, format!("native export of {table}: {e}")),
                }
                true
            }
            _ => false,
        }
    }

    /// Starts exporting `source` to `path`.
    pub fn start(
        &mut self,
        cx: &mut ExportCx,
        source: Option<ExportSource>,
        path: &str,
    ) -> Result<(), String> {
        if S3Url::is_s3(path) {
            return self.start_native(cx, source.map(|s| s.info.name), path);
        }
        if self.run.is_some() {
            return Err("an export is already running".into());
        }
        let source = source.ok_or("open a table first (:table NAME)")?;
        if source.marked.is_empty() {
            return self.ask(cx, source, path);
        }
        self.run_source(cx, source, path, None)
    }

    /// Asks before reading the view's request, estimating the read.
    fn ask(&mut self, cx: &mut ExportCx, source: ExportSource, path: &str) -> Result<(), String> {
        if !cx.online {
            return Err("not connected".into());
        }
        let mut req = source.request.clone();
        req.page_size = None;
        let mut estimate = ConfirmEstimate::new(cx.settings.estimates.confirm_above_units);
        let info = Box::new(source.info.clone());
        let prices = Box::new(cx.settings.estimates.prices.clone());
        let what = req.describe();
        cx.start(&mut estimate.slot, |id| ExportEffect::Estimate {
            id,
            request: Box::new(req),
            info,
            prices,
        });
        self.confirm = Some(ExportConfirm {
            path: path.to_string(),
            table: source.info.name.clone(),
            what,
            source: Box::new(source),
            estimate,
            ask: Confirm::yes_no(),
        });
        Ok(())
    }

    /// Keys typed while the confirmation is open.
    pub fn on_confirm_key(&mut self, cx: &mut ExportCx, k: &KeyEvent) {
        let Some(c) = self.confirm.as_mut() else {
            return;
        };
        match c.ask.on_key(k) {
            Answer::Pending => {}
            Answer::Refused(e) => cx.flash(Level::Error, e),
            Answer::No => {
                if let Some(mut c) = self.confirm.take() {
                    cx.cancel(&mut c.estimate.slot);
                }
            }
            Answer::Yes => {
                let Some(mut c) = self.confirm.take() else {
                    return;
                };
                cx.cancel(&mut c.estimate.slot);
                let estimate = c.estimate.estimate().cloned();
                if let Err(e) = self.run_source(cx, *c.source, &c.path, estimate) {
                    cx.flash(Level::Error, e);
                }
            }
        }
    }

    /// Starts the export (marked items, or every page of the request).
    fn run_source(
        &mut self,
        cx: &mut ExportCx,
        source: ExportSource,
        path: &str,
        estimate: Option<Estimate>,
    ) -> Result<(), String> {
        let path = PathBuf::from(shellexpand_home(path));
        let format = ExportFormat::for_path(&path);
        let progress = Arc::new(ReadProgress::default());
        let stop = Arc::new(AtomicBool::new(false));
        let what;
        if !source.marked.is_empty() {
            what = format!("{} marked items", source.marked.len());
            let (p, pr) = (path.clone(), progress.clone());
            cx.start(&mut self.job, |id| ExportEffect::Items {
                id,
                items: source.marked,
                info: Box::new(source.info),
                decoder: Box::new(source.decoder),
                path: p,
                format,
                progress: pr,
            });
        } else {
            if !cx.online {
                return Err("not connected".into());
            }
            let mut req = source.request;
            req.page_size = None;
            what = req.describe();
            let (p, pr, st) = (path.clone(), progress.clone(), stop.clone());
            let meter = Meter::default();
            self.metered = Some((meter.clone(), estimate));
            cx.start(&mut self.job, |id| ExportEffect::Request {
                id,
                request: Box::new(req),
                info: Box::new(source.info),
                decoder: Box::new(source.decoder),
                only: source.type_filter,
                path: p,
                format,
                progress: pr,
                stop: st,
                meter,
            });
        }
        tracing::info!("exporting {what} to {} ({})", path.display(), format.name());
        *cx.flash = None;
        self.run = Some(ExportRun {
            path,
            progress,
            stop,
        });
        Ok(())
    }

    pub fn update(&mut self, cx: &mut ExportCx, msg: ExportMsg) -> bool {
        let (id, r) = match msg {
            ExportMsg::Done(id, r) => (id, r),
            ExportMsg::Estimated(id, r) => {
                return self
                    .confirm
                    .as_mut()
                    .is_some_and(|c| c.estimate.settle(id, r.map(|e| *e)));
            }
            other => return self.update_native(cx, other),
        };
        if !self.job.accept(id) {
            return false;
        }
        self.run = None;
        let consumed = self
            .metered
            .take()
            .map(|(m, e)| format!(" · {}", m.consumed().beside(e.as_ref())))
            .unwrap_or_default();
        match r {
            Ok(s) if s.stopped => cx.flash(
                Level::Warn,
                format!(
                    "export stopped after {} items (the .partial file is incomplete)",
                    s.items
                ),
            ),
            Ok(s) => cx.flash(
                Level::Info,
                format!(
                    "exported {} items to {}{consumed}",
                    s.items,
                    s.files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Err(e) => cx.flash(Level::Error, format!("export failed: {e}")),
        }
        true
    }
}

/// Runs an export.
pub async fn perform(e: ExportEffect, deps: Deps, reply: Reply<ExportMsg>) {
    match e {
        e @ (ExportEffect::PitrCheck { .. } | ExportEffect::Native { .. }) => {
            perform_native(e, deps, reply).await
        }
        ExportEffect::Items {
            id,
            items,
            info,
            decoder,
            path,
            format,
            progress,
        } => {
            let r = tokio::task::spawn_blocking(move || {
                let r = export::export_items(&items, &info, &path, format, *decoder);
                if let Ok(s) = &r {
                    progress.items.store(s.items, Ordering::Relaxed);
                }
                r
            })
            .await
            .unwrap_or_else(|e| Err(format!("the export ended abnormally: {e}")));
            reply.send(ExportMsg::Done(id, r));
        }
        ExportEffect::Request {
            id,
            request,
            info,
            decoder,
            only,
            path,
            format,
            progress,
            stop,
            meter,
        } => {
            let r = match deps.db() {
                Ok(db) => {
                    export::export(
                        &db.metered(&meter),
                        &info,
                        &request,
                        *decoder,
                        only,
                        &path,
                        format,
                        &ReadOptions::default(),
                        progress,
                        stop,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            reply.send(ExportMsg::Done(id, r));
        }
        ExportEffect::Estimate {
            id,
            request,
            info,
            prices,
        } => {
            let r = match deps.db() {
                Ok(db) => plan::read_estimate(
                    db,
                    &info,
                    &request,
                    format!("export of {}", request.describe()),
                    &prices,
                )
                .await
                .map(Box::new)
                .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            reply.send(ExportMsg::Estimated(id, r));
        }
    }
}

/// The native export's check, start and follow (`dyntui export --s3`'s
/// code): its states go to the screen as they come.
async fn perform_native(e: ExportEffect, deps: Deps, reply: Reply<ExportMsg>) {
    match e {
        ExportEffect::PitrCheck { id, table } => {
            let r = match deps.db() {
                Ok(db) => native::pitr_enabled(db, &table)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            reply.send(ExportMsg::PitrChecked(id, r));
        }
        ExportEffect::Native {
            id,
            table,
            dest,
            enable_pitr,
        } => {
            let r = async {
                let db = deps.db()?;
                if enable_pitr {
                    crate::app::project::native::enable_pitr(db, deps.audit_log.as_ref(), &table)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let spec = ExportSpec {
                    table: table.clone(),
                    dest,
                    format: NativeFormat::DynamoJson,
                    incremental: None,
                    client_token: uuid::Uuid::new_v4().to_string(),
                };
                let first = native::start_export_after(db, &spec, enable_pitr)
                    .await
                    .map_err(|e| e.to_string())?;
                let arn = first.arn.clone();
                let progress = reply.clone();
                match native::follow(
                    first,
                    || native::describe_export(db, &arn),
                    native::Backoff::default(),
                    Arc::new(AtomicBool::new(false)),
                    |e| progress.send(ExportMsg::NativeProgress(id, Box::new(e.clone()))),
                )
                .await
                .map_err(|e| e.to_string())?
                {
                    Followed::Done(e) | Followed::Stopped(e) => Ok(Box::new(e)),
                }
            }
            .await;
            reply.send(ExportMsg::NativeDone(id, r));
        }
        _ => {}
    }
}

/// `~/x` as the home directory's `x`.
fn shellexpand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest).display().to_string(),
        _ => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crate::dynamo::entity::TableKeys;
    use crate::dynamo::estimate::ReadPart;
    use crossterm::event::KeyCode;

    fn source(marked: usize) -> ExportSource {
        let info = TableInfo {
            name: "shop".into(),
            ..TableInfo::default()
        };
        ExportSource {
            decoder: Decoder::new(&Default::default(), TableKeys::default()),
            marked: (0..marked).map(|_| Item::new()).collect(),
            request: ItemsRequest::scan("shop"),
            type_filter: None,
            info,
        }
    }

    #[test]
    fn marked_items_are_exported_alone_and_a_second_export_waits() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        assert_eq!(st.start(&mut cx, Some(source(2)), "out.jsonl"), Ok(()));
        assert!(
            matches!(cx.fx.as_slice(), [ExportEffect::Items { items, .. }] if items.len() == 2)
        );
        assert!(st.running());
        let mut cx = parts.cx();
        assert!(st.start(&mut cx, Some(source(0)), "b.jsonl").is_err());
        assert!(cx.fx.is_empty());
    }

    #[test]
    fn the_view_is_exported_page_by_page_and_the_answer_ends_the_run() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        st.start(&mut cx, Some(source(0)), "out.csv")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!st.running(), "asks first");
        let mut cx = parts.cx();
        st.on_confirm_key(&mut cx, &KeyEvent::from(KeyCode::Char('y')));
        let id = match cx.fx.as_slice() {
            [
                ExportEffect::Request {
                    id,
                    request,
                    format,
                    ..
                },
            ] => {
                assert_eq!(request.page_size, None, "every page, at the service's size");
                assert_eq!(
                    *format,
                    ExportFormat::for_path(std::path::Path::new("x.csv"))
                );
                *id
            }
            other => panic!("{other:?}"),
        };
        let mut cx = parts.cx();
        assert!(!st.update(&mut cx, ExportMsg::Done(id + 1_000_000, Err("x".into()))));
        assert!(st.running());
        assert!(st.update(&mut cx, ExportMsg::Done(id, Err("disk full".into()))));
        assert!(!st.running());
        assert!(matches!(&*cx.flash, Some((Level::Error, m)) if m == "export failed: disk full"));
    }

    fn native_id(fx: &[ExportEffect], pitr: bool) -> ReqId {
        match fx {
            [
                ExportEffect::Native {
                    id,
                    table,
                    dest,
                    enable_pitr,
                },
            ] => {
                assert_eq!(table, "shop");
                assert_eq!(dest.to_string(), "s3://bucket/daily");
                assert_eq!(*enable_pitr, pitr);
                *id
            }
            other => panic!("expected a native export, got {other:?}"),
        }
    }

    fn pitr_check(st: &mut ExportState, parts: &mut Parts) -> ReqId {
        let mut cx = parts.cx();
        st.start(&mut cx, Some(source(0)), "s3://bucket/daily/")
            .unwrap_or_else(|e| panic!("{e}"));
        let id = match cx.fx.as_slice() {
            [ExportEffect::PitrCheck { id, table }] => {
                assert_eq!(table, "shop");
                *id
            }
            other => panic!("PITR is checked first, got {other:?}"),
        };
        assert!(st.running() && st.confirm.is_none(), "no read, no question");
        id
    }

    fn info(status: native::JobStatus) -> Box<ExportInfo> {
        Box::new(ExportInfo {
            arn: "arn:aws:dynamodb:us-east-1:1:table/shop/export/0170-x".into(),
            status: Some(status),
            bucket: Some("bucket".into()),
            prefix: Some("daily".into()),
            manifest: Some("daily/AWSDynamoDB/0170-x/manifest-summary.json".into()),
            items: Some(5),
            billed_bytes: Some(2_000),
            failure_code: Some("S3NoSuchBucket".into()),
            failure_message: Some("no bucket".into()),
            ..ExportInfo::default()
        })
    }

    #[test]
    fn an_s3_destination_checks_pitr_then_exports_natively_and_follows() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let id = pitr_check(&mut st, &mut parts);
        let mut cx = parts.cx();
        assert!(st.update(&mut cx, ExportMsg::PitrChecked(id, Ok(true))));
        let id = native_id(&cx.fx, false);
        assert!(st.pitr.is_none(), "PITR on: no question");
        let mut cx = parts.cx();
        assert!(st.update(
            &mut cx,
            ExportMsg::NativeProgress(id, info(native::JobStatus::InProgress))
        ));
        let line = st.native.as_ref().map(NativeRun::line).unwrap_or_default();
        assert_eq!(
            line,
            "native export of shop to s3://bucket/daily: IN_PROGRESS (0170-x), 5 items"
        );
        // An answer of an older attempt changes nothing.
        assert!(!st.update(
            &mut cx,
            ExportMsg::NativeDone(id + 1_000_000, Ok(info(native::JobStatus::Completed)))
        ));
        assert!(st.update(
            &mut cx,
            ExportMsg::NativeDone(id, Ok(info(native::JobStatus::Completed)))
        ));
        assert!(!st.running());
        assert!(
            matches!(&*cx.flash, Some((Level::Info, m)) if m == "native export of shop COMPLETED: 5 items, 2.0 KB billed, at s3://bucket/daily/AWSDynamoDB/0170-x/manifest-summary.json"),
            "{:?}",
            cx.flash
        );
    }

    #[test]
    fn pitr_off_asks_and_yes_enables_it_before_the_export() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let id = pitr_check(&mut st, &mut parts);
        let mut cx = parts.cx();
        assert!(st.update(&mut cx, ExportMsg::PitrChecked(id, Ok(false))));
        assert!(cx.fx.is_empty(), "nothing runs before the answer");
        assert!(st.pitr.is_some() && st.asking());
        let mut cx = parts.cx();
        st.on_pitr_key(&mut cx, &KeyEvent::from(KeyCode::Char('y')));
        native_id(&cx.fx, true);
        assert!(st.pitr.is_none() && st.running());

        // `n` leaves PITR off and exports nothing.
        let mut st = ExportState::default();
        let id = pitr_check(&mut st, &mut parts);
        let mut cx = parts.cx();
        st.update(&mut cx, ExportMsg::PitrChecked(id, Ok(false)));
        st.on_pitr_key(&mut cx, &KeyEvent::from(KeyCode::Char('n')));
        assert!(cx.fx.is_empty() && !st.running());
        assert!(matches!(&*cx.flash, Some((Level::Warn, m)) if m.contains("left off")));
    }

    #[test]
    fn pitr_off_read_only_or_on_a_locked_protected_table_is_refused_with_the_fix() {
        let mut parts = Parts::new();
        parts.read_only = true;
        let mut st = ExportState::default();
        let id = pitr_check(&mut st, &mut parts);
        let mut cx = parts.cx();
        st.update(&mut cx, ExportMsg::PitrChecked(id, Ok(false)));
        assert!(cx.fx.is_empty() && st.pitr.is_none() && !st.running());
        assert!(
            matches!(&*cx.flash, Some((Level::Error, m)) if m.contains("read-only") && m.contains("aws dynamodb update-continuous-backups --table-name shop")),
            "{:?}",
            cx.flash
        );
    }

    #[test]
    fn a_failed_native_export_says_why_and_a_bad_url_starts_nothing() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let id = pitr_check(&mut st, &mut parts);
        let mut cx = parts.cx();
        st.update(&mut cx, ExportMsg::PitrChecked(id, Ok(true)));
        let id = native_id(&cx.fx, false);
        let mut cx = parts.cx();
        st.update(
            &mut cx,
            ExportMsg::NativeDone(id, Ok(info(native::JobStatus::Failed))),
        );
        assert!(
            matches!(&*cx.flash, Some((Level::Error, m)) if m == "native export of shop FAILED: S3NoSuchBucket: no bucket"),
            "{:?}",
            cx.flash
        );
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        let e = st.start(&mut cx, Some(source(0)), "s3://B/x").unwrap_err();
        assert!(e.contains("bucket name"), "{e}");
        assert!(cx.fx.is_empty() && !st.running());
    }

    #[test]
    fn without_a_table_nothing_starts() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        assert_eq!(
            st.start(&mut cx, None, "out.jsonl"),
            Err("open a table first (:table NAME)".to_string())
        );
        assert!(!st.running());
    }

    fn read_estimate(units: f64) -> Estimate {
        let info = crate::app::tui::cx::testing::keyed_table("shop");
        let mut part = ReadPart::new("Scan", None, 1000, 400_000, None, false);
        part.units = units;
        Estimate::new(
            "export of Scan shop",
            &info,
            Some("us-east-1"),
            &Prices::embedded(),
            Some(part),
            None,
        )
    }

    fn estimate_id(fx: &[ExportEffect]) -> ReqId {
        match fx {
            [ExportEffect::Estimate { id, request, .. }] => {
                assert_eq!(request.page_size, None, "the export's request: every page");
                *id
            }
            other => panic!("expected an estimate, got {other:?}"),
        }
    }

    #[test]
    fn exporting_the_view_asks_first_with_the_reads_estimate_marked_above_the_threshold() {
        let mut parts = Parts::new();
        parts.settings.estimates.confirm_above_units = 100.0;
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        st.start(&mut cx, Some(source(0)), "out.jsonl")
            .unwrap_or_else(|e| panic!("{e}"));
        let id = estimate_id(&cx.fx);
        assert!(!st.running());
        let c = st
            .confirm
            .as_ref()
            .unwrap_or_else(|| panic!("a confirmation"));
        assert_eq!(c.estimate.text(), Some(("estimating…".to_string(), false)));
        let small = read_estimate(50.0);
        let mut cx = parts.cx();
        assert!(!st.update(
            &mut cx,
            ExportMsg::Estimated(id + 1_000_000, Ok(Box::new(small.clone())))
        ));
        assert!(st.update(
            &mut cx,
            ExportMsg::Estimated(id, Ok(Box::new(small.clone())))
        ));
        let c = st
            .confirm
            .as_ref()
            .unwrap_or_else(|| panic!("a confirmation"));
        assert_eq!(c.estimate.text(), Some((small.line(), false)));
        // n closes it, aborting nothing more (the estimate is in).
        st.on_confirm_key(&mut cx, &KeyEvent::from(KeyCode::Char('n')));
        assert!(st.confirm.is_none() && !st.running());

        // A larger read is marked; y exports, and the end says what the
        // read consumed beside it.
        let mut cx = parts.cx();
        st.start(&mut cx, Some(source(0)), "out.jsonl")
            .unwrap_or_else(|e| panic!("{e}"));
        let id = estimate_id(&cx.fx);
        let big = read_estimate(5_000.0);
        assert!(st.update(&mut cx, ExportMsg::Estimated(id, Ok(Box::new(big.clone())))));
        let c = st
            .confirm
            .as_ref()
            .unwrap_or_else(|| panic!("a confirmation"));
        assert!(c.estimate.above());
        let (text, warn) = c.estimate.text().unwrap_or_default();
        assert!(
            warn && text.contains("above your confirm_above_units"),
            "{text}"
        );
        let mut cx = parts.cx();
        st.on_confirm_key(&mut cx, &KeyEvent::from(KeyCode::Enter));
        let id = match cx.fx.as_slice() {
            [ExportEffect::Request { id, .. }] => *id,
            other => panic!("{other:?}"),
        };
        let summary = Summary {
            items: 3,
            files: vec![PathBuf::from("out.jsonl")],
            ..Summary::default()
        };
        let mut cx = parts.cx();
        assert!(st.update(&mut cx, ExportMsg::Done(id, Ok(summary))));
        let expected = format!(
            "exported 3 items to out.jsonl · {}",
            crate::dynamo::estimate::Consumed::default().beside(Some(&big))
        );
        assert!(
            matches!(&*cx.flash, Some((Level::Info, m)) if *m == expected),
            "{:?}",
            cx.flash
        );
    }

    #[test]
    fn a_failed_estimate_is_shown_and_does_not_block_the_export() {
        let mut parts = Parts::new();
        let mut st = ExportState::default();
        let mut cx = parts.cx();
        st.start(&mut cx, Some(source(0)), "out.jsonl")
            .unwrap_or_else(|e| panic!("{e}"));
        let id = estimate_id(&cx.fx);
        assert!(st.update(&mut cx, ExportMsg::Estimated(id, Err("throttled".into()))));
        let c = st
            .confirm
            .as_ref()
            .unwrap_or_else(|| panic!("a confirmation"));
        assert_eq!(
            c.estimate.text(),
            Some(("no estimate: throttled".to_string(), true))
        );
        let mut cx = parts.cx();
        st.on_confirm_key(&mut cx, &KeyEvent::from(KeyCode::Char('y')));
        assert!(matches!(cx.fx.as_slice(), [ExportEffect::Request { .. }]));
        assert!(st.running());
    }
}
