//! The migrations view: the migrations folder's files with their status in
//! the table's ledger; a dry run or a real run of one (or its `[down]`
//! part) with a progress gauge, a live log and the diff preview; a clean
//! stop that a later run resumes. It calls the same functions as
//! `dyntui migrate` (`project::migrations::migrations_dir`, `load`,
//! `dynamo::migrate::{status, run}`).
//!
//! A run reports through its event sink on the run's task; the events are
//! gathered there and sent to the app at most every [`FLUSH_EVERY`], so a
//! fast run costs a few messages a second, not one per item (`effects`).

pub mod effects;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::KeyEvent;

use crate::app::project::migrations;
use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::estimate::ConfirmEstimate;
use crate::app::tui::keymap::{Action, Mode};
use crate::app::tui::request::{Loadable, ReqId, Request};
use crate::app::tui::task::Tracked;
use crate::app::tui::widgets::{Answer, Confirm, ListCursor};
use crate::dynamo::client::TableInfo;
use crate::dynamo::estimate::{Estimate, Prices, WriteTally};
use crate::dynamo::meter::Meter;
use crate::dynamo::migrate::{
    self, Counts, Direction, FileStatus, ItemDiff, LedgerEntry, Migration, MigrationCheckpoint,
    RunEvent, RunReport,
};
use crate::dynamo::seeding;

/// Log lines kept (the oldest go first).
pub const LOG_KEEP: usize = 1000;

/// How often a run's events are sent to the app.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The kind of a command script (`Action::kind`).
pub const COMMAND: &str = "command script";

/// The files of the migrations folder.
#[derive(Debug, Clone, PartialEq)]
pub enum Files {
    /// The folder does not exist.
    NoFolder,
    /// Bad files: every message (`file:line:column: ...`); nothing runs
    /// until every file is valid.
    Errors(Vec<String>),
    Ready(Vec<Migration>),
}

/// Each migration's status and ledger entry, in file order.
pub type Statuses = Vec<(FileStatus, Option<LedgerEntry>)>;

/// What the view lists for a table.
#[derive(Debug, Clone)]
pub struct Listing {
    pub info: TableInfo,
    pub dir: PathBuf,
    pub files: Files,
    /// From the ledger (Err: it could not be read).
    pub statuses: Result<Statuses, String>,
    /// Runs shared by workers, by migration id: the job, its workers and
    /// segments, as the ledger said when the listing was read.
    pub jobs: std::collections::BTreeMap<String, Vec<String>>,
}

impl Listing {
    pub fn migrations(&self) -> &[Migration] {
        match &self.files {
            Files::Ready(ms) => ms,
            _ => &[],
        }
    }

    pub fn status(&self, i: usize) -> Option<(FileStatus, Option<&LedgerEntry>)> {
        self.statuses
            .as_ref()
            .ok()
            .and_then(|s| s.get(i))
            .map(|(st, e)| (*st, e.as_ref()))
    }
}

/// Events of a run gathered between two sends: the latest progress, the
/// log lines (at most [`LOG_KEEP`]) and the diffs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub progress: Option<Counts>,
    pub log: VecDeque<String>,
    pub diffs: Vec<ItemDiff>,
    /// Log lines left out because more arrived than are kept.
    pub skipped: u64,
}

impl Batch {
    pub fn push(&mut self, e: RunEvent) {
        match e {
            RunEvent::Progress(c) => self.progress = Some(c),
            RunEvent::Log(line) => {
                if self.log.len() >= LOG_KEEP {
                    self.log.pop_front();
                    self.skipped += 1;
                }
                self.log.push_back(line);
            }
            RunEvent::Diff(d) => self.diffs.push(d),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.progress.is_none() && self.log.is_empty() && self.diffs.is_empty()
    }
}

/// Results of migrations work, sent back to the app.
#[derive(Debug)]
pub enum MigrateMsg {
    /// The listing (request id); Err when the table could not be described.
    Loaded(ReqId, Box<Result<Listing, String>>),
    /// Events of a run (run id).
    Events(ReqId, Batch),
    Finished(ReqId, Result<RunReport, String>),
    /// The estimate of a run, for its confirmation.
    Estimated(ReqId, Result<Box<Estimate>, String>),
}

/// What the migrations view wants done.
#[derive(Debug, Clone)]
pub enum MigrateEffect {
    /// Describe the table, read the files of `dir` and the ledger.
    Load {
        id: ReqId,
        table: String,
        dir: PathBuf,
    },
    /// Run a migration (or a dry run of it): its events come back in
    /// batches, then its result.
    Run(Box<RunRequest>),
    /// Estimate a run of `migration`: its read and, from a sample, its
    /// writes; or the writes a dry run of it counted (`dry_writes`, exact).
    Estimate {
        id: ReqId,
        info: Box<TableInfo>,
        migration: Box<Migration>,
        direction: Direction,
        type_attribute: String,
        dry_writes: Option<WriteTally>,
        prices: Box<Prices>,
    },
}

/// A run to start: what the run's options are built from.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The run's id (its events and result carry it).
    pub id: ReqId,
    pub info: TableInfo,
    pub migration: Migration,
    pub direction: Direction,
    pub dry_run: bool,
    /// Take over a run the ledger says is in progress (`--force`).
    pub force: bool,
    /// The attribute `select.type` compares with.
    pub type_attribute: String,
    /// Where checkpoints live (None: no resume).
    pub state_dir: Option<PathBuf>,
    /// Set to stop the run cleanly after its pages in flight.
    pub stop: Arc<AtomicBool>,
    /// Sums the capacity the run consumes.
    pub meter: Meter,
}

impl Tracked for MigrateEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            MigrateEffect::Load { id, .. } => Some(*id),
            MigrateEffect::Run(r) => Some(r.id),
            MigrateEffect::Estimate { id, .. } => Some(*id),
        }
    }
}

pub type MigrateCx<'a> = Cx<'a, MigrateEffect>;

/// What the user is asked before a real run or a revert.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateConfirm {
    pub id: String,
    pub direction: Direction,
    pub table: String,
    /// y/n, or for a protected table its name typed (`why` says why).
    pub answer: Confirm,
    /// What to know first: already applied, file changed, a run to resume.
    pub notes: Vec<String>,
    /// Run even though the ledger says another run is in progress.
    pub force: bool,
    /// Why `force` is set.
    pub warning: Option<String>,
    /// What the run will cost (estimated on a task).
    pub estimate: ConfirmEstimate,
}

impl MigrateConfirm {
    /// Why the table's name must be typed (None: y/n).
    pub fn protected(&self) -> Option<&str> {
        self.answer.name.as_ref().and(self.answer.why.as_deref())
    }
}

/// A run in progress.
#[derive(Debug)]
pub struct MigrateRun {
    /// The run's request id: its messages carry it (others are ignored).
    pub run: ReqId,
    pub id: String,
    /// `declarative`, `transform script` or `command script`.
    pub kind: &'static str,
    pub direction: Direction,
    pub dry_run: bool,
    /// The table's item count (DescribeTable's estimate).
    pub estimate: u64,
    pub counts: Counts,
    pub stop: Arc<AtomicBool>,
}

impl MigrateRun {
    /// The gauge's total: items selected so far, or the table size
    /// estimate when that is larger.
    pub fn total(&self) -> u64 {
        self.counts.selected.max(self.estimate)
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The last run's result.
#[derive(Debug, Clone)]
pub struct MigrateOutcome {
    pub id: String,
    /// `declarative`, `transform script` or `command script`.
    pub kind: &'static str,
    pub direction: Direction,
    pub dry_run: bool,
    pub result: Result<RunReport, String>,
}

/// The pane the page keys scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Log,
    Diffs,
}

#[derive(Debug, Default)]
pub struct MigrateState {
    /// The table the view is for.
    pub table: Option<String>,
    /// The files and their statuses (a reload keeps the shown listing
    /// until the new one arrives).
    pub listing: Request<Listing, String>,
    /// The selected migration.
    pub cursor: ListCursor,
    pub confirm: Option<MigrateConfirm>,
    pub run: Option<MigrateRun>,
    pub outcome: Option<MigrateOutcome>,
    /// The live log of the current or last run.
    pub log: VecDeque<String>,
    pub diffs: Vec<ItemDiff>,
    pub focus: Pane,
    /// Lines scrolled back from the end of the log (0 = follow new lines).
    pub log_scroll: usize,
    /// First line of the diff preview shown.
    pub diff_scroll: usize,
    pub back_to: Option<Screen>,
    /// What the last complete dry run counted a run would write, for the
    /// run's estimate: the migration (id and checksum), its direction and
    /// the table.
    pub dry_writes: Option<(DryRunOf, WriteTally)>,
    /// The run in flight's meter (what it consumes) and its confirmation's
    /// estimate, reported beside each other when it ends.
    pub metered: Option<(ReqId, Meter, Option<Estimate>)>,
}

/// Which migration a dry run was of.
#[derive(Debug, Clone, PartialEq)]
pub struct DryRunOf {
    pub id: String,
    pub checksum: String,
    pub direction: Direction,
    pub table: String,
}

impl MigrateState {
    pub fn ready(&self) -> Option<&Listing> {
        self.listing.ready()
    }

    /// True while the listing is being read (the shown one stays).
    pub fn loading(&self) -> bool {
        self.listing.is_loading()
    }

    pub fn migrations(&self) -> &[Migration] {
        self.ready().map(Listing::migrations).unwrap_or_default()
    }

    pub fn selected_migration(&self) -> Option<&Migration> {
        self.migrations().get(self.cursor.selected)
    }

    /// Lines of the diff preview (an item's key, then one per attribute).
    pub fn diff_lines(&self) -> usize {
        self.diffs.iter().map(|d| 1 + d.changes.len()).sum()
    }

    /// True while the listing loads or a run goes on.
    pub fn busy(&self) -> bool {
        self.listing.is_loading() || self.run.is_some()
    }

    fn push_log(&mut self, line: String) {
        if self.log.len() >= LOG_KEEP {
            self.log.pop_front();
        }
        self.log.push_back(printable(&line));
        // Someone reading back keeps their place as new lines arrive.
        if self.log_scroll > 0 {
            self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1));
        }
    }
}

/// A script's output line as it can be drawn: colour and cursor escapes
/// dropped, tabs as spaces, other control characters left out.
pub fn printable(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI (`ESC [ ... final`) or a two-character escape.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for f in chars.by_ref() {
                        if ('@'..='~').contains(&f) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn verb(direction: Direction, dry_run: bool) -> &'static str {
    match (dry_run, direction) {
        (true, Direction::Up) => "dry run of",
        (true, Direction::Down) => "dry run of the revert of",
        (false, Direction::Up) => "running",
        (false, Direction::Down) => "reverting",
    }
}

/// The report of a finished run, one line.
pub fn report_line(o: &MigrateOutcome) -> String {
    match &o.result {
        Err(e) => format!("{} failed: {e}", o.id),
        Ok(r) => {
            let what = match (r.dry_run, r.direction) {
                (true, _) => "dry run",
                (false, Direction::Up) => "applied",
                (false, Direction::Down) => "reverted",
            };
            let what = if r.stopped {
                match (r.dry_run, r.direction) {
                    (true, _) => "dry run stopped",
                    (false, Direction::Up) => "stopped (interrupted)",
                    (false, Direction::Down) => "revert stopped (interrupted)",
                }
            } else {
                what
            };
            format!("{} {what}: {}", r.id, r.counts)
        }
    }
}

impl MigrateState {
    /// Opens the view for a table (the selected or open one), coming from
    /// the screen `from`.
    pub fn open(&mut self, cx: &mut MigrateCx, from: Screen, table: Option<String>) {
        if self.run.is_some() {
            // A run is going on: show it, whatever table is selected now.
            self.enter(cx, from);
            return;
        }
        let Some(table) = table else {
            cx.flash(Level::Warn, "open or select a table first");
            return;
        };
        if self.table.as_deref() != Some(table.as_str()) {
            cx.cancel(&mut self.listing);
            *self = MigrateState {
                table: Some(table),
                ..Default::default()
            };
        }
        self.enter(cx, from);
        self.load(cx);
    }

    fn enter(&mut self, cx: &mut MigrateCx, from: Screen) {
        if from != Screen::Migrate {
            self.back_to = Some(from);
        }
        cx.core(Core::Go(Screen::Migrate));
    }

    /// Shows a listing that is already loaded (no request): used by tests.
    pub fn show(&mut self, cx: &mut MigrateCx, from: Screen, listing: Listing) {
        let table = listing.info.name.clone();
        if self.table.as_deref() != Some(table.as_str()) {
            self.cursor.reset();
        }
        self.table = Some(table);
        if let Some(id) = self.listing.set(listing) {
            cx.core(Core::Abort(id));
        }
        self.enter(cx, from);
    }

    /// Reads the files and the ledger again (the shown listing stays until
    /// the new one arrives).
    pub fn load(&mut self, cx: &mut MigrateCx) {
        let Some(table) = self.table.clone() else {
            return;
        };
        if !cx.online {
            if let Some(id) = self.listing.reset() {
                cx.core(Core::Abort(id));
            }
            self.listing.state = Loadable::Failed("not connected".into());
            return;
        }
        let dir = migrations::migrations_dir(cx.project, None);
        cx.refresh(&mut self.listing, |id| MigrateEffect::Load {
            id,
            table,
            dir,
        });
    }

    /// Sets the stop flag of a run in progress; false when there is none
    /// or it is already stopping (ctrl-c, quit and the stop key).
    pub fn stop_run(&mut self) -> bool {
        match &self.run {
            Some(r) if !r.stopping() => {
                r.stop.store(true, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    pub fn on_action(&mut self, cx: &mut MigrateCx, action: Action) {
        match action {
            Action::TogglePane => {
                self.focus = match self.focus {
                    Pane::Log => Pane::Diffs,
                    Pane::Diffs => Pane::Log,
                }
            }
            // Page keys scroll the log or the diff preview by the lines
            // they show.
            Action::PageUp => match self.focus {
                Pane::Log => {
                    self.log_scroll =
                        (self.log_scroll + cx.page_rows()).min(self.log.len().saturating_sub(1))
                }
                Pane::Diffs => self.diff_scroll = self.diff_scroll.saturating_sub(cx.page_rows()),
            },
            Action::PageDown => match self.focus {
                Pane::Log => self.log_scroll = self.log_scroll.saturating_sub(cx.page_rows()),
                Pane::Diffs => {
                    self.diff_scroll =
                        (self.diff_scroll + cx.page_rows()).min(self.diff_lines().saturating_sub(1))
                }
            },
            Action::Stop => {
                if self.stop_run() {
                    cx.flash(
                        Level::Warn,
                        "stopping after the pages in flight… (running it again resumes)",
                    );
                } else if self.run.is_none() {
                    cx.flash(Level::Info, "nothing is running");
                }
            }
            Action::Back => {
                if self.run.is_some() {
                    let stop = stop_key(cx);
                    cx.flash(
                        Level::Warn,
                        format!(
                            "a migration is running: {stop} stops it (running it again resumes)"
                        ),
                    );
                } else {
                    self.confirm = None;
                    cx.cancel(&mut self.listing);
                    cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
                }
            }
            Action::Refresh => {
                if self.run.is_some() {
                    cx.flash(Level::Warn, "a migration is running: reload when it ends");
                } else {
                    self.load(cx);
                }
            }
            Action::DryRun => self.ask_run(cx, Direction::Up, true),
            Action::RunMigration => self.ask_run(cx, Direction::Up, false),
            Action::Revert => self.ask_run(cx, Direction::Down, false),
            _ => {
                let n = self.migrations().len();
                self.cursor.on_action(action, n, cx.page_rows());
            }
        }
    }

    /// Checks a run can start; a dry run starts at once, a real run asks.
    fn ask_run(&mut self, cx: &mut MigrateCx, direction: Direction, dry_run: bool) {
        if cx.read_only && !dry_run {
            cx.flash(
                Level::Error,
                "read-only session (--read-only or :readonly): only dry runs (d)",
            );
            return;
        }
        if self.run.is_some() {
            let stop = stop_key(cx);
            cx.flash(
                Level::Warn,
                format!("a migration is already running ({stop} stops it)"),
            );
            return;
        }
        let Some(listing) = self.ready() else {
            return;
        };
        if let Files::Errors(e) = &listing.files {
            let n = e.len();
            cx.flash(
                Level::Error,
                format!(
                    "{n} bad migration file(s): fix them first; nothing runs until every file is valid"
                ),
            );
            return;
        }
        let (status, entry) = match listing.status(self.cursor.selected) {
            Some((s, e)) => (Some(s), e.cloned()),
            None => (None, None),
        };
        let table = listing.info.name.clone();
        let Some(m) = self.selected_migration().cloned() else {
            return;
        };
        // Checkpoints of stopped runs belong to the table and connection.
        let scope = if cx.online {
            migrate::checkpoint_scope_of(cx.conn, &table)
        } else {
            String::new()
        };
        let checkpoint = |direction| {
            seeding::state_dir()
                .and_then(|d| MigrationCheckpoint::load_for(&d, &scope, &m, direction))
        };
        if direction == Direction::Down {
            if m.down.is_none() {
                cx.flash(
                    Level::Warn,
                    format!("{} has no [down] part: it cannot be reverted", m.id),
                );
                return;
            }
            let applied = matches!(status, Some(FileStatus::Applied | FileStatus::Changed));
            // A stopped revert resumes whatever the ledger says now.
            if !applied && checkpoint(Direction::Down).is_none() {
                cx.flash(
                    Level::Warn,
                    format!(
                        "{} is {}: only an applied migration can be reverted",
                        m.id,
                        status.map(FileStatus::as_str).unwrap_or("not known")
                    ),
                );
                return;
            }
        }
        if dry_run {
            self.start_run(cx, &m, direction, true, false);
            return;
        }
        let mut notes = Vec::new();
        match (direction, status) {
            (Direction::Up, Some(FileStatus::Applied)) => {
                notes.push("It is already applied: it runs again over the items it selects.".into())
            }
            (Direction::Up, Some(FileStatus::Changed)) => notes.push(
                "It was applied, and its file has changed since: the new version runs.".into(),
            ),
            (_, Some(FileStatus::Running)) => {}
            (_, Some(FileStatus::Failed)) => {
                notes.push("Its last run failed (the error is shown below the list).".into())
            }
            _ => {}
        }
        if let Some(c) = checkpoint(direction) {
            let mut done = Counts::default();
            for s in &c.segments {
                done.add(&s.counts);
            }
            notes.push(format!(
                "It resumes the run stopped on {} ({} items done).",
                c.started_at,
                done.done()
            ));
        }
        if m.plan(direction)
            .is_some_and(|p| matches!(p.action, migrate::Action::Command(_)))
        {
            notes
                .push("A command script does its own writes; dyntui only shows its output.".into());
        }
        // The ledger says a run is going on: confirming takes it over, as
        // `dyntui migrate --force` does. The warning says so.
        let force = status == Some(FileStatus::Running);
        let warning = entry.filter(|_| force).map(|e| {
            format!(
                "The ledger says it is {} since {} by {}: another run may be in progress, or one died without recording its end. Confirming takes over a run whose lease has expired (like --force): the run resumes from its progress in the ledger and changes no item twice; a live run is refused.",
                e.status, e.started_at, e.run_by
            )
        });
        let answer = match cx.project.protection(&table, cx.conn.profile.as_deref()) {
            Some(why) => Confirm::typed(table.clone(), why),
            None => Confirm::yes_no(),
        };
        let mut estimate = ConfirmEstimate::new(cx.settings.estimates.confirm_above_units);
        if cx.online {
            let of = DryRunOf {
                id: m.id.clone(),
                checksum: m.checksum.clone(),
                direction,
                table: table.clone(),
            };
            let dry_writes = self
                .dry_writes
                .as_ref()
                .filter(|(d, _)| *d == of)
                .map(|(_, w)| w.clone());
            let info = listing.info.clone();
            let type_attribute = type_attribute(cx);
            let prices = Box::new(cx.settings.estimates.prices.clone());
            cx.start(&mut estimate.slot, |id| MigrateEffect::Estimate {
                id,
                info: Box::new(info),
                migration: Box::new(m.clone()),
                direction,
                type_attribute,
                dry_writes,
                prices,
            });
        }
        self.confirm = Some(MigrateConfirm {
            id: m.id.clone(),
            direction,
            table,
            answer,
            notes,
            force,
            warning,
            estimate,
        });
    }

    /// Keys typed while a confirmation is open.
    pub fn on_confirm_key(&mut self, cx: &mut MigrateCx, k: &KeyEvent) {
        let Some(c) = self.confirm.as_mut() else {
            return;
        };
        match c.answer.on_key(k) {
            Answer::Pending => {}
            Answer::No => {
                if let Some(mut c) = self.confirm.take() {
                    cx.cancel(&mut c.estimate.slot);
                }
            }
            Answer::Refused(e) => cx.flash(Level::Error, e),
            Answer::Yes => {
                let Some(mut c) = self.confirm.take() else {
                    return;
                };
                cx.cancel(&mut c.estimate.slot);
                let m = self.migrations().iter().find(|m| m.id == c.id).cloned();
                match m {
                    Some(m) => {
                        self.start_run(cx, &m, c.direction, false, c.force);
                        if let Some((_, _, cost)) = self.metered.as_mut() {
                            *cost = c.estimate.estimate().cloned();
                        }
                    }
                    None => cx.flash(Level::Error, format!("{} is no longer listed", c.id)),
                }
            }
        }
    }

    fn start_run(
        &mut self,
        cx: &mut MigrateCx,
        m: &Migration,
        direction: Direction,
        dry_run: bool,
        force: bool,
    ) {
        if !cx.online {
            cx.flash(Level::Error, "not connected");
            return;
        }
        let Some(info) = self.ready().map(|l| l.info.clone()) else {
            return;
        };
        let id = crate::app::tui::request::next_id();
        let stop = Arc::new(AtomicBool::new(false));
        let meter = Meter::default();
        self.log.clear();
        self.diffs.clear();
        self.log_scroll = 0;
        self.diff_scroll = 0;
        self.outcome = None;
        self.push_log(format!(
            "{} {} on `{}`{}",
            verb(direction, dry_run),
            m.id,
            info.name,
            if dry_run {
                " (reads and transforms; writes nothing)"
            } else {
                ""
            }
        ));
        self.run = Some(MigrateRun {
            run: id,
            id: m.id.clone(),
            kind: m
                .plan(direction)
                .map(|p| p.action.kind())
                .unwrap_or(m.kind()),
            direction,
            dry_run,
            estimate: info.item_count.unwrap_or(0).max(0) as u64,
            counts: Counts::default(),
            stop: stop.clone(),
        });
        self.metered = Some((id, meter.clone(), None));
        cx.effect(MigrateEffect::Run(Box::new(RunRequest {
            id,
            info,
            migration: m.clone(),
            direction,
            dry_run,
            force,
            type_attribute: type_attribute(cx),
            state_dir: seeding::state_dir(),
            stop,
            meter,
        })));
    }

    /// Applies a migrations message; true when the screen changed.
    pub fn update(&mut self, cx: &mut MigrateCx, msg: MigrateMsg) -> bool {
        match msg {
            MigrateMsg::Loaded(id, r) => {
                let n = r
                    .as_ref()
                    .as_ref()
                    .map(|l| l.migrations().len())
                    .unwrap_or(0);
                if !self.listing.settle(id, *r) {
                    return false;
                }
                self.cursor.clamp(n);
                true
            }
            MigrateMsg::Events(id, batch) => {
                let Some(run) = self.run.as_mut().filter(|r| r.run == id) else {
                    return false;
                };
                if let Some(c) = batch.progress {
                    run.counts = c;
                }
                if batch.skipped > 0 {
                    self.push_log(format!("… {} log lines not shown", batch.skipped));
                }
                for line in batch.log {
                    self.push_log(line);
                }
                self.diffs.extend(batch.diffs);
                true
            }
            MigrateMsg::Finished(id, result) => {
                let Some(run) = self.run.take_if(|r| r.run == id) else {
                    return false;
                };
                if run.stopping() {
                    // "stopping…" is over: the report says how it ended.
                    *cx.flash = None;
                }
                let outcome = MigrateOutcome {
                    id: run.id.clone(),
                    kind: run.kind,
                    direction: run.direction,
                    dry_run: run.dry_run,
                    result,
                };
                if let Ok(r) = &outcome.result {
                    // The report's diffs are the complete list.
                    self.diffs = r.diffs.clone();
                    if let Some(n) = &r.note {
                        self.push_log(n.clone());
                    }
                }
                self.push_log(report_line(&outcome));
                if let Ok(r) = &outcome.result {
                    if r.dry_run && !r.stopped {
                        self.push_log(r.writes.would_write());
                        // Kept for the estimate of a run of the same file.
                        self.dry_writes = self.table.clone().and_then(|table| {
                            let m = self.migrations().iter().find(|m| m.id == r.id)?;
                            Some((
                                DryRunOf {
                                    id: m.id.clone(),
                                    checksum: m.checksum.clone(),
                                    direction: r.direction,
                                    table,
                                },
                                r.writes.clone(),
                            ))
                        });
                    } else if !r.dry_run {
                        // The table changed: a dry run's count is stale.
                        self.dry_writes = None;
                    }
                    // What a resumed run consumed is only its rest.
                    if !r.stopped
                        && !r.resumed
                        && let Some((_, meter, cost)) = self.metered.take_if(|(i, _, _)| *i == id)
                    {
                        self.push_log(meter.consumed().beside(cost.as_ref()));
                    }
                }
                if let Ok(r) = &outcome.result
                    && r.stopped
                    && !r.dry_run
                {
                    self.push_log(if outcome.kind == COMMAND {
                        "running it again starts the script again".into()
                    } else {
                        "run it again to resume where it stopped".into()
                    });
                }
                let real = !outcome.dry_run;
                self.outcome = Some(outcome);
                // A real run changed the ledger: show the new statuses.
                if real {
                    self.load(cx);
                }
                true
            }
            MigrateMsg::Estimated(id, r) => {
                let Some(c) = self.confirm.as_mut() else {
                    return false;
                };
                c.estimate.settle(id, r.map(|e| *e))
            }
        }
    }
}

/// The attribute `select.type` compares with.
fn type_attribute(cx: &MigrateCx) -> String {
    cx.project
        .decode
        .type_attribute
        .clone()
        .unwrap_or_else(|| "Type".into())
}

/// The key that stops a run, for messages.
fn stop_key(cx: &MigrateCx) -> String {
    cx.settings
        .keymap
        .key_for(Mode::Migrate, Action::Stop)
        .map(|k| k.to_string())
        .unwrap_or_else(|| "stop".into())
}
