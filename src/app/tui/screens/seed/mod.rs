//! The seed view: the project's seed sets with their sizes; seeding one into
//! the current table with a progress gauge (items/s, retries, throttles) that
//! can be stopped cleanly; and an exact reset. Its effects (`effects.rs`)
//! call the same functions as `dyntui seed` (`crate::dynamo::seeding`).

pub mod effects;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crossterm::event::KeyEvent;

use crate::app::project::seed_sets::{design_for, seed_sets};
use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::estimate::ConfirmEstimate;
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{Loadable, ReqId, Request};
use crate::app::tui::task::Tracked;
use crate::app::tui::widgets::{Answer, Confirm, ListCursor};
use crate::dynamo::design::TableDesign;
use crate::dynamo::entity::DecodeConfig;
use crate::dynamo::estimate::{Estimate, Prices};
use crate::dynamo::meter::Meter;
use crate::dynamo::seed::{Progress, WriteReport};
use crate::dynamo::seeding::{self, Checkpoint, SeedOutcome, SeedSet, SeedSettings, SeedSource};

/// Results of seed work, sent back to the screen.
#[derive(Debug)]
pub enum SeedMsg {
    /// Invalid items found before writing: nothing was written.
    Invalid {
        id: ReqId,
        good: u64,
        errors: Vec<String>,
    },
    Done(ReqId, Result<SeedOutcome, String>),
    ResetCount(ReqId, Result<usize, String>),
    ResetDone(ReqId, Result<WriteReport, String>),
    /// The estimate of a seed run, for its confirmation.
    Estimated(ReqId, Result<Box<Estimate>, String>),
}

/// What the seed view wants done.
#[derive(Debug, Clone)]
pub enum SeedEffect {
    /// Counts the items seed set `set` wrote to `table` (before a reset).
    Count {
        id: ReqId,
        set: String,
        table: String,
        marker: String,
    },
    /// Deletes exactly the items seed set `set` wrote to `table`.
    Reset {
        id: ReqId,
        set: String,
        table: String,
        marker: String,
        progress: Arc<Progress>,
        stop: Arc<AtomicBool>,
    },
    /// Estimates seeding `set` into `table` (from `design` when the table
    /// is to be created): the items it writes, sized one by one.
    Estimate {
        id: ReqId,
        set: Box<SeedSet>,
        table: String,
        create: bool,
        design: Option<Box<TableDesign>>,
        decode: Box<DecodeConfig>,
        settings: Box<SeedSettings>,
        base: PathBuf,
        prices: Box<Prices>,
    },
    /// Seeds `set` into `table` (creating it from `design` first when
    /// `create`).
    Seed {
        id: ReqId,
        set: Box<SeedSet>,
        table: String,
        create: bool,
        design: Option<Box<TableDesign>>,
        decode: Box<DecodeConfig>,
        settings: Box<SeedSettings>,
        /// Where the set's files are relative to (the project's folder).
        base: PathBuf,
        progress: Arc<Progress>,
        stop: Arc<AtomicBool>,
        /// Sums the capacity the run consumes.
        meter: Meter,
    },
}

impl Tracked for SeedEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            SeedEffect::Count { id, .. }
            | SeedEffect::Reset { id, .. }
            | SeedEffect::Estimate { id, .. }
            | SeedEffect::Seed { id, .. } => Some(*id),
        }
    }
}

pub type SeedCx<'a> = Cx<'a, SeedEffect>;

/// What the user is asked before work starts.
#[derive(Debug, Clone)]
pub struct SeedConfirm {
    pub reset: bool,
    pub set: String,
    pub table: String,
    /// The table does not exist and will be created from the design.
    pub creates: bool,
    /// Reset: how many items would be deleted (counted on a task).
    pub count: Request<usize, String>,
    /// Seeding: what the run will write (estimated on a task).
    pub estimate: ConfirmEstimate,
    /// y/n, or for a protected table its name typed.
    pub ask: Confirm,
}

impl SeedConfirm {
    /// Why the table is protected (its name must be typed), if it is.
    pub fn protected(&self) -> Option<&str> {
        self.ask.why.as_deref()
    }
}

/// Work in progress.
#[derive(Debug)]
pub struct SeedRun {
    pub reset: bool,
    pub set: String,
    pub table: String,
    pub total: u64,
    pub progress: Arc<Progress>,
    pub stop: Arc<AtomicBool>,
    pub started: Instant,
    /// Sums what the run consumes (seeding).
    pub meter: Meter,
    /// The confirmation's estimate, reported beside what was consumed.
    pub estimate: Option<Estimate>,
}

/// Where seeding goes, as the application knows it when the view opens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedTarget {
    /// The table seeded into (the open items view's, else the selected or
    /// the project's default table).
    pub table: Option<String>,
    /// The table names known (None: not listed yet).
    pub tables: Option<Vec<String>>,
}

#[derive(Debug, Default)]
pub struct SeedState {
    /// The project's seed sets (read when the view opens).
    pub sets: Vec<SeedSet>,
    /// Items each set makes when known without reading files, in the order
    /// of `sets` (computed when the sets change, never while drawing).
    pub sizes: Vec<Option<u64>>,
    /// The cursor over the sets.
    pub nav: ListCursor,
    /// The table seeded into and the tables known.
    pub target: SeedTarget,
    pub confirm: Option<SeedConfirm>,
    /// The run in flight (its id: answers of other runs are ignored).
    pub job: Request<(), String>,
    pub run: Option<SeedRun>,
    /// The outcome of the last run, or the invalid items found.
    pub last: Option<(Level, Vec<String>)>,
    pub back_to: Option<Screen>,
    /// Interrupted runs into the target table, read when the view opens and
    /// after each run (not while drawing).
    pub checkpoints: Vec<Checkpoint>,
}

/// Items a set makes, when known without reading files (the built-in demo
/// is generated to count it: call this when the sets change, not per frame).
pub fn set_size(set: &SeedSet) -> Option<u64> {
    match &set.source {
        SeedSource::Builtin(_) => Some(
            crate::dynamo::demo::generate(set.seed, crate::dynamo::demo::DemoSize::default()).len()
                as u64,
        ),
        SeedSource::Generators(g) => Some(g.iter().map(|g| g.count as u64).sum()),
        SeedSource::Files(_) => None,
        SeedSource::Export(e) => Some(e.item_count),
    }
}

fn base_dir(path: Option<&Path>) -> PathBuf {
    path.and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

impl SeedState {
    /// The view opens (or the project changed): the sets and their sizes,
    /// the target, the interrupted runs.
    pub fn open(&mut self, cx: &mut SeedCx, target: SeedTarget) {
        let sets = seed_sets(cx.project);
        if sets != self.sets || self.sizes.len() != sets.len() {
            self.sizes = sets.iter().map(set_size).collect();
            self.sets = sets;
        }
        self.nav.clamp(self.sets.len());
        self.target = target;
        self.refresh_checkpoints(cx);
    }

    /// The set under the cursor.
    pub fn selected_set(&self) -> Option<&SeedSet> {
        self.sets.get(self.nav.selected)
    }

    fn refresh_checkpoints(&mut self, cx: &SeedCx) {
        self.checkpoints = match &self.target.table {
            Some(t) => {
                let base = base_dir(cx.project.path.as_deref());
                self.sets
                    .iter()
                    .filter_map(|s| pending_checkpoint(s, t, &base))
                    .collect()
            }
            None => Vec::new(),
        };
    }

    /// True when `table` is known not to exist.
    fn missing(&self, cx: &SeedCx, table: &str) -> bool {
        matches!(
            cx.described.get(table),
            Some(Loadable::Failed(e)) if e.code == "ResourceNotFoundException"
        ) || (cx.info(table).is_none()
            && self
                .target
                .tables
                .as_ref()
                .is_some_and(|v| !v.iter().any(|t| t == table)))
    }

    pub fn on_action(&mut self, cx: &mut SeedCx, action: Action) {
        if self.run.is_some() {
            if matches!(action, Action::Back | Action::Stop) {
                if let Some(r) = &self.run {
                    r.stop.store(true, Ordering::Relaxed);
                }
                cx.flash(Level::Warn, "stopping after the batches in flight…");
            }
            return;
        }
        let page = cx.page_rows();
        if self.nav.on_action(action, self.sets.len(), page) {
            return;
        }
        match action {
            Action::Back => {
                cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
            }
            Action::Open | Action::Reset if cx.read_only => {
                cx.flash(
                    Level::Error,
                    "read-only session (--read-only or :readonly): seeding writes, so it is off",
                );
            }
            Action::Open | Action::Reset => self.ask(cx, action == Action::Reset),
            _ => {}
        }
    }

    /// Opens the confirmation of a seed run (or a reset) of the selected set.
    fn ask(&mut self, cx: &mut SeedCx, reset: bool) {
        let Some(set) = self.selected_set().cloned() else {
            return;
        };
        let Some(table) = self.target.table.clone() else {
            cx.flash(Level::Warn, "open or select a table first");
            return;
        };
        let protected = cx.project.seeding.protection(
            &table,
            cx.conn.profile.as_deref(),
            cx.project.protected_tables.contains(&table),
        );
        let missing = self.missing(cx, &table);
        if reset && missing {
            cx.flash(Level::Warn, format!("table `{table}` does not exist"));
            return;
        }
        if missing && design_for(cx.project, &table, &set).is_none() {
            cx.flash(
                Level::Error,
                format!("table `{table}` does not exist and there is no design to create it from"),
            );
            return;
        }
        let mut c = SeedConfirm {
            reset,
            set: set.name.clone(),
            table: table.clone(),
            creates: missing,
            count: Request::default(),
            estimate: ConfirmEstimate::new(cx.settings.estimates.confirm_above_units),
            ask: match protected {
                Some(why) => Confirm::typed(table.clone(), why),
                None => Confirm::yes_no(),
            },
        };
        if reset {
            let Some(marker) = cx.project.seeding.marker_attribute.clone() else {
                cx.flash(
                    Level::Error,
                    "markers are off ([seeding] marker_attribute = \"\"): seeded items cannot be found",
                );
                return;
            };
            if !cx.online {
                cx.flash(Level::Error, "not connected");
                return;
            }
            cx.start(&mut c.count, |id| SeedEffect::Count {
                id,
                set: set.name.clone(),
                table,
                marker,
            });
        } else if cx.online {
            let design = design_for(cx.project, &table, &set);
            let prices = cx.settings.estimates.prices.clone();
            cx.start(&mut c.estimate.slot, |id| SeedEffect::Estimate {
                id,
                set: Box::new(set.clone()),
                table,
                create: missing,
                design: design.map(Box::new),
                decode: Box::new(cx.project.decode.clone()),
                settings: Box::new(cx.project.seeding.clone()),
                base: base_dir(cx.project.path.as_deref()),
                prices: Box::new(prices),
            });
        }
        self.confirm = Some(c);
    }

    /// Closes the confirmation (a count in flight is aborted).
    fn close_confirm(&mut self, cx: &mut SeedCx) {
        if let Some(mut c) = self.confirm.take() {
            cx.cancel(&mut c.count);
            cx.cancel(&mut c.estimate.slot);
        }
    }

    /// Keys typed while a confirmation is open.
    pub fn on_confirm_key(&mut self, cx: &mut SeedCx, k: &KeyEvent) {
        let Some(c) = self.confirm.as_mut() else {
            return;
        };
        match c.ask.on_key(k) {
            Answer::Pending => {}
            Answer::No => self.close_confirm(cx),
            Answer::Refused(e) => cx.flash(Level::Error, e),
            Answer::Yes => {
                if c.reset && c.count.ready().is_none() {
                    // Still counting.
                    return;
                }
                let count = c.count.ready().copied().unwrap_or(0) as u64;
                let Some(mut c) = self.confirm.take() else {
                    return;
                };
                cx.cancel(&mut c.estimate.slot);
                if c.reset {
                    self.start_reset(cx, &c.set, &c.table, count);
                } else {
                    let estimate = c.estimate.estimate().cloned();
                    self.start_seed(cx, &c.set, &c.table, c.creates, estimate);
                }
            }
        }
    }

    fn begin(&mut self, reset: bool, set: &str, table: &str, total: u64) -> SeedRun {
        self.last = None;
        SeedRun {
            reset,
            set: set.to_string(),
            table: table.to_string(),
            total,
            progress: Arc::new(Progress::default()),
            stop: Arc::new(AtomicBool::new(false)),
            started: Instant::now(),
            meter: Meter::default(),
            estimate: None,
        }
    }

    fn start_reset(&mut self, cx: &mut SeedCx, set: &str, table: &str, total: u64) {
        if !cx.online {
            cx.flash(Level::Error, "not connected");
            return;
        }
        let Some(marker) = cx.project.seeding.marker_attribute.clone() else {
            return;
        };
        let run = self.begin(true, set, table, total);
        let (progress, stop) = (run.progress.clone(), run.stop.clone());
        cx.start(&mut self.job, |id| SeedEffect::Reset {
            id,
            set: set.to_string(),
            table: table.to_string(),
            marker,
            progress,
            stop,
        });
        self.run = Some(run);
    }

    fn start_seed(
        &mut self,
        cx: &mut SeedCx,
        set_name: &str,
        table: &str,
        create: bool,
        estimate: Option<Estimate>,
    ) {
        if !cx.online {
            cx.flash(Level::Error, "not connected");
            return;
        }
        let Some(i) = self.sets.iter().position(|s| s.name == set_name) else {
            return;
        };
        let set = self.sets[i].clone();
        let total = self.sizes.get(i).copied().flatten().unwrap_or(0);
        let design = design_for(cx.project, table, &set);
        let mut run = self.begin(false, &set.name, table, total);
        run.estimate = estimate;
        let (progress, stop, meter) = (run.progress.clone(), run.stop.clone(), run.meter.clone());
        cx.start(&mut self.job, |id| SeedEffect::Seed {
            id,
            set: Box::new(set),
            table: table.to_string(),
            create,
            design: design.map(Box::new),
            decode: Box::new(cx.project.decode.clone()),
            settings: Box::new(cx.project.seeding.clone()),
            base: base_dir(cx.project.path.as_deref()),
            progress,
            stop,
            meter,
        });
        self.run = Some(run);
    }

    /// Asks the run in flight to stop after the batches in flight (the
    /// first ctrl-c); false when there is none or it is already stopping.
    pub fn stop_run(&self) -> bool {
        match &self.run {
            Some(r) if !r.stop.load(Ordering::Relaxed) => {
                r.stop.store(true, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Applies a seed message; true when the screen changed.
    pub fn update(&mut self, cx: &mut SeedCx, m: SeedMsg) -> bool {
        match m {
            SeedMsg::Invalid { id, good, errors } => {
                if !self.job.is_current(id) {
                    return false;
                }
                let mut lines = vec![format!(
                    "{} invalid items ({good} valid): nothing written. Fix them, or use `dyntui seed --skip-invalid`.",
                    errors.len()
                )];
                lines.extend(errors.into_iter().take(20));
                self.last = Some((Level::Error, lines));
            }
            SeedMsg::Done(id, r) => {
                if !self.job.accept(id) {
                    return false;
                }
                let run = self.run.take();
                let secs = run
                    .as_ref()
                    .map(|r| r.started.elapsed().as_secs_f64())
                    .unwrap_or(0.0)
                    .max(0.001);
                match r {
                    Ok(o) => {
                        let rep = &o.report;
                        let line = if rep.stopped {
                            format!(
                                "stopped: {} items written; seeding the set again continues from batch {}",
                                rep.written, rep.batches_done
                            )
                        } else {
                            format!(
                                "wrote {} items of `{}` to {} in {secs:.1} s ({:.0} items/s, {} retries, {} throttled{}){}",
                                rep.written,
                                run.as_ref().map(|r| r.set.as_str()).unwrap_or(""),
                                run.as_ref().map(|r| r.table.as_str()).unwrap_or(""),
                                rep.written as f64 / secs,
                                rep.retries,
                                rep.throttles,
                                rep.rate_note(),
                                if o.resumed_from_batch > 0 {
                                    format!(", resumed after batch {}", o.resumed_from_batch)
                                } else {
                                    String::new()
                                }
                            )
                        };
                        let mut lines = vec![line];
                        // What a resumed run consumed is only its rest.
                        if !rep.stopped
                            && let Some(run) = &run
                        {
                            let estimate =
                                run.estimate.as_ref().filter(|_| o.resumed_from_batch == 0);
                            lines.push(run.meter.consumed().beside(estimate));
                        }
                        self.last = Some(match &o.checkpoint_warning {
                            Some(w) => {
                                lines.push(format!("warning: {w}"));
                                (Level::Warn, lines)
                            }
                            None => (Level::Info, lines),
                        });
                        self.refresh_checkpoints(cx);
                        // The table exists now (it may have been created).
                        if let (Some(run), Some(v)) = (&run, self.target.tables.as_mut())
                            && !v.contains(&run.table)
                        {
                            v.push(run.table.clone());
                        }
                        // The table list may have a new table.
                        cx.core(Core::ForgetDescriptions);
                        cx.core(Core::ReloadTables);
                    }
                    Err(e) => {
                        if self.last.is_none() {
                            self.last = Some((Level::Error, vec![e]));
                        }
                    }
                }
            }
            SeedMsg::ResetCount(id, r) => {
                let Some(c) = self.confirm.as_mut() else {
                    return false;
                };
                let failed = r.as_ref().err().cloned();
                if !c.count.settle(id, r) {
                    return false;
                }
                if let Some(e) = failed {
                    self.confirm = None;
                    self.last = Some((Level::Error, vec![e]));
                }
            }
            SeedMsg::Estimated(id, r) => {
                let Some(c) = self.confirm.as_mut() else {
                    return false;
                };
                if !c.estimate.settle(id, r.map(|e| *e)) {
                    return false;
                }
            }
            SeedMsg::ResetDone(id, r) => {
                if !self.job.accept(id) {
                    return false;
                }
                let run = self.run.take();
                self.last = Some(match r {
                    Ok(rep) => (
                        Level::Info,
                        vec![format!(
                            "deleted {} items of `{}` from {}{}",
                            rep.written,
                            run.as_ref().map(|r| r.set.as_str()).unwrap_or(""),
                            run.as_ref().map(|r| r.table.as_str()).unwrap_or(""),
                            if rep.stopped { " (stopped early)" } else { "" }
                        )],
                    ),
                    Err(e) => (Level::Error, vec![e]),
                });
            }
        }
        true
    }

    /// True while a run or a count is in flight.
    pub fn busy(&self) -> bool {
        self.run.is_some()
            || self
                .confirm
                .as_ref()
                .is_some_and(|c| c.reset && c.count.is_loading())
    }
}

/// The checkpoint of an interrupted run of `set` into `table` that the next
/// run resumes (not one of another seed number or of files since changed).
pub fn pending_checkpoint(set: &SeedSet, table: &str, base: &Path) -> Option<Checkpoint> {
    let dir = seeding::state_dir()?;
    let fingerprint = set.fingerprint(base).ok()?;
    match seeding::Resume::find(Some(&dir), set, table, &fingerprint) {
        seeding::Resume::Continue(c) => Some(c),
        seeding::Resume::Fresh | seeding::Resume::Changed(_) => None,
    }
}
