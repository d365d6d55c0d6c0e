//! The migrations view: the migrations folder's files with their status in
//! the table's ledger; a dry run or a real run of one (or its `[down]`
//! part) with a progress gauge, a live log and the diff preview; a clean
//! stop that a later run resumes. It calls the same functions as
//! `dyntui migrate` (`project::migrations::migrations_dir`, `load`,
//! `dynamo::migrate::{status, run}`).
//!
//! A run reports through its event sink on the run's task; the events are
//! gathered there and sent to the app at most every [`FLUSH_EVERY`], so a
//! fast run costs a few messages a second, not one per item.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use tokio::sync::mpsc::UnboundedSender;

use crate::app::audit::MigrationAudit;
use crate::app::project::migrations;
use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Level, Msg, Screen};
use crate::dynamo::client::TableInfo;
use crate::dynamo::migrate::{
    self, Counts, Direction, EventSink, FileStatus, ItemDiff, LedgerEntry, Migration,
    MigrationCheckpoint, RunEvent, RunOptions, RunReport,
};
use crate::dynamo::seeding;

/// Log lines kept (the oldest go first).
pub const LOG_KEEP: usize = 1000;

/// How often a run's events are sent to the app.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The kind of a command script (`Action::kind`).
pub const COMMAND: &str = "command script";

/// Lines a page key scrolls the log or the diff preview.
const PAGE: usize = 10;

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

/// An event sink that gathers events into `batch`.
pub fn gathering_sink(batch: Arc<Mutex<Batch>>) -> EventSink {
    Arc::new(move |e| {
        batch.lock().unwrap_or_else(|e| e.into_inner()).push(e);
    })
}

/// Takes what was gathered, if anything.
pub fn take_batch(batch: &Mutex<Batch>) -> Option<Batch> {
    let mut b = batch.lock().unwrap_or_else(|e| e.into_inner());
    (!b.is_empty()).then(|| std::mem::take(&mut *b))
}

/// Results of migrations work, sent back to the app.
#[derive(Debug)]
pub enum MigrateMsg {
    /// The listing (request id); Err when the table could not be described.
    Loaded(u64, Box<Result<Listing, String>>),
    /// Events of a run (run id).
    Events(u64, Batch),
    Finished(u64, Result<RunReport, String>),
}

/// What the user is asked before a real run or a revert.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateConfirm {
    pub id: String,
    pub direction: Direction,
    pub table: String,
    /// Protected table: its name must be typed.
    pub protected: Option<String>,
    pub typed: String,
    /// What to know first: already applied, file changed, a run to resume.
    pub notes: Vec<String>,
    /// Run even though the ledger says another run is in progress.
    pub force: bool,
    /// Why `force` is set.
    pub warning: Option<String>,
}

/// A run in progress.
#[derive(Debug)]
pub struct MigrateRun {
    /// Tags its messages.
    pub run: u64,
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
    /// None until the first listing arrives.
    pub listing: Option<Result<Listing, String>>,
    /// A listing request is in flight (the previous one stays shown).
    pub loading: bool,
    pub selected: usize,
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
    ids: u64,
    req: u64,
}

impl MigrateState {
    pub fn ready(&self) -> Option<&Listing> {
        self.listing.as_ref().and_then(|l| l.as_ref().ok())
    }

    pub fn migrations(&self) -> &[Migration] {
        self.ready().map(Listing::migrations).unwrap_or_default()
    }

    pub fn selected_migration(&self) -> Option<&Migration> {
        self.migrations().get(self.selected)
    }

    /// Lines of the diff preview (an item's key, then one per attribute).
    pub fn diff_lines(&self) -> usize {
        self.diffs.iter().map(|d| 1 + d.changes.len()).sum()
    }

    fn next_id(&mut self) -> u64 {
        self.ids += 1;
        self.ids
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

/// Reads and checks the migration files (blocking: file reads).
pub fn load_files(dir: &Path, info: &TableInfo) -> Files {
    if !dir.is_dir() {
        return Files::NoFolder;
    }
    match migrations::load(dir, info) {
        Ok(ms) => Files::Ready(ms),
        Err(e) => {
            let text = e.to_string();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            // The headless command's closing line ("... nothing run").
            if lines.len() > 1 && lines.last().is_some_and(|l| l.ends_with("nothing run")) {
                lines.pop();
            }
            Files::Errors(lines)
        }
    }
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

impl App {
    /// Opens the migrations view for a table (the selected or open one).
    pub fn open_migrations(&mut self, table: Option<String>) {
        if self.migrate.run.is_some() {
            // A run is going on: show it, whatever table is selected now.
            self.enter_migrate_screen();
            return;
        }
        let Some(table) = table else {
            self.flash(Level::Warn, "open or select a table first");
            return;
        };
        if self.migrate.table.as_deref() != Some(table.as_str()) {
            self.migrate = MigrateState {
                ids: self.migrate.ids,
                table: Some(table),
                ..Default::default()
            };
        }
        self.enter_migrate_screen();
        self.load_migrations();
    }

    fn enter_migrate_screen(&mut self) {
        if self.screen != Screen::Migrate {
            self.migrate.back_to = Some(self.screen);
        }
        self.screen = Screen::Migrate;
    }

    /// Shows a listing that is already loaded (no request): used by tests.
    pub fn show_migrations(&mut self, listing: Listing) {
        let table = listing.info.name.clone();
        if self.migrate.table.as_deref() != Some(table.as_str()) {
            self.migrate.selected = 0;
        }
        self.migrate.table = Some(table);
        self.migrate.loading = false;
        self.migrate.listing = Some(Ok(listing));
        self.enter_migrate_screen();
    }

    /// Reads the files and the ledger again (the shown listing stays until
    /// the new one arrives).
    pub fn load_migrations(&mut self) {
        let Some(table) = self.migrate.table.clone() else {
            return;
        };
        let Some(db) = self.db_handle() else {
            self.migrate.listing = Some(Err("not connected".into()));
            return;
        };
        let id = self.migrate.next_id();
        self.migrate.req = id;
        self.migrate.loading = true;
        let dir = migrations::migrations_dir(&self.project, None);
        let tx = self.sender();
        tokio::spawn(async move {
            let r = async {
                let info = db.describe(&table).await.map_err(|e| e.to_string())?;
                let files = tokio::task::spawn_blocking({
                    let (dir, info) = (dir.clone(), info.clone());
                    move || load_files(&dir, &info)
                })
                .await
                .map_err(|e| e.to_string())?;
                let statuses = match &files {
                    Files::Ready(ms) => migrate::status(&db, &info, ms).await,
                    _ => Ok(Vec::new()),
                };
                Ok(Listing {
                    info,
                    dir,
                    files,
                    statuses,
                })
            }
            .await;
            let _ = tx.send(Msg::Migrate(MigrateMsg::Loaded(id, Box::new(r))));
        });
    }

    /// The key that stops a run, for messages.
    fn stop_key(&self) -> String {
        self.settings
            .keymap
            .key_for(crate::app::tui::keymap::Mode::Migrate, Action::Stop)
            .map(|k| k.to_string())
            .unwrap_or_else(|| "stop".into())
    }

    /// Sets the stop flag of a run in progress; false when there is none
    /// or it is already stopping.
    pub(crate) fn stop_migration(&mut self) -> bool {
        match &self.migrate.run {
            Some(r) if !r.stopping() => {
                r.stop.store(true, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn migrate_action(&mut self, action: Action) {
        let n = self.migrate.migrations().len();
        let st = &mut self.migrate;
        match action {
            Action::Down => st.selected = (st.selected + 1).min(n.saturating_sub(1)),
            Action::Up => st.selected = st.selected.saturating_sub(1),
            Action::Top => st.selected = 0,
            Action::Bottom => st.selected = n.saturating_sub(1),
            Action::TogglePane => {
                st.focus = match st.focus {
                    Pane::Log => Pane::Diffs,
                    Pane::Diffs => Pane::Log,
                }
            }
            Action::PageUp => match st.focus {
                Pane::Log => {
                    st.log_scroll = (st.log_scroll + PAGE).min(st.log.len().saturating_sub(1))
                }
                Pane::Diffs => st.diff_scroll = st.diff_scroll.saturating_sub(PAGE),
            },
            Action::PageDown => match st.focus {
                Pane::Log => st.log_scroll = st.log_scroll.saturating_sub(PAGE),
                Pane::Diffs => {
                    st.diff_scroll = (st.diff_scroll + PAGE).min(st.diff_lines().saturating_sub(1))
                }
            },
            Action::Stop => {
                if self.stop_migration() {
                    self.flash(
                        Level::Warn,
                        "stopping after the pages in flight… (running it again resumes)",
                    );
                } else if self.migrate.run.is_none() {
                    self.flash(Level::Info, "nothing is running");
                }
            }
            Action::Back => {
                if self.migrate.run.is_some() {
                    let stop = self.stop_key();
                    self.flash(
                        Level::Warn,
                        format!(
                            "a migration is running: {stop} stops it (running it again resumes)"
                        ),
                    );
                } else {
                    self.migrate.confirm = None;
                    self.screen = self.migrate.back_to.take().unwrap_or(Screen::Tables);
                }
            }
            Action::Refresh => {
                if self.migrate.run.is_some() {
                    self.flash(Level::Warn, "a migration is running: reload when it ends");
                } else {
                    self.load_migrations();
                }
            }
            Action::DryRun => self.ask_run(Direction::Up, true),
            Action::RunMigration => self.ask_run(Direction::Up, false),
            Action::Revert => self.ask_run(Direction::Down, false),
            _ => {}
        }
    }

    /// Checks a run can start; a dry run starts at once, a real run asks.
    fn ask_run(&mut self, direction: Direction, dry_run: bool) {
        if self.read_only && !dry_run {
            self.flash(
                Level::Error,
                "read-only session (--read-only or :readonly): only dry runs (d)",
            );
            return;
        }
        if self.migrate.run.is_some() {
            let stop = self.stop_key();
            self.flash(
                Level::Warn,
                format!("a migration is already running ({stop} stops it)"),
            );
            return;
        }
        let Some(listing) = self.migrate.ready() else {
            return;
        };
        if let Files::Errors(e) = &listing.files {
            let n = e.len();
            self.flash(
                Level::Error,
                format!(
                    "{n} bad migration file(s): fix them first; nothing runs until every file is valid"
                ),
            );
            return;
        }
        let (status, entry) = match listing.status(self.migrate.selected) {
            Some((s, e)) => (Some(s), e.cloned()),
            None => (None, None),
        };
        let table = listing.info.name.clone();
        let Some(m) = self.migrate.selected_migration().cloned() else {
            return;
        };
        if direction == Direction::Down {
            if m.down.is_none() {
                self.flash(
                    Level::Warn,
                    format!("{} has no [down] part: it cannot be reverted", m.id),
                );
                return;
            }
            let applied = matches!(status, Some(FileStatus::Applied | FileStatus::Changed));
            // A stopped revert resumes whatever the ledger says now.
            let scope = self
                .db_handle()
                .map(|db| migrate::checkpoint_scope(&db, &table))
                .unwrap_or_default();
            let resumable = seeding::state_dir().is_some_and(|d| {
                MigrationCheckpoint::load_for(&d, &scope, &m, Direction::Down).is_some()
            });
            if !applied && !resumable {
                self.flash(
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
            self.start_migration(&m, direction, true, false);
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
        let scope = self
            .db_handle()
            .map(|db| migrate::checkpoint_scope(&db, &table))
            .unwrap_or_default();
        if let Some(c) = seeding::state_dir()
            .and_then(|d| MigrationCheckpoint::load_for(&d, &scope, &m, direction))
        {
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
        let protected = self.project.protection(&table, self.ctx.profile.as_deref());
        self.migrate.confirm = Some(MigrateConfirm {
            id: m.id.clone(),
            direction,
            table,
            protected,
            typed: String::new(),
            notes,
            force,
            warning,
        });
    }

    /// Keys typed while a confirmation is open.
    pub(crate) fn on_migrate_confirm_key(&mut self, k: &KeyEvent) {
        let Some(c) = self.migrate.confirm.as_mut() else {
            return;
        };
        match k.code {
            KeyCode::Esc => self.migrate.confirm = None,
            KeyCode::Enter => {
                if let Some(p) = &c.protected
                    && c.typed != c.table
                {
                    let p = p.clone();
                    self.flash(Level::Error, format!("{p}: type the table name to confirm"));
                    return;
                }
                let c = c.clone();
                self.migrate.confirm = None;
                let m = self
                    .migrate
                    .migrations()
                    .iter()
                    .find(|m| m.id == c.id)
                    .cloned();
                match m {
                    Some(m) => self.start_migration(&m, c.direction, false, c.force),
                    None => self.flash(Level::Error, format!("{} is no longer listed", c.id)),
                }
            }
            KeyCode::Backspace => {
                c.typed.pop();
            }
            KeyCode::Char(ch) if c.protected.is_some() => c.typed.push(ch),
            KeyCode::Char('y') => {
                let enter = KeyEvent::new(KeyCode::Enter, k.modifiers);
                self.on_migrate_confirm_key(&enter);
            }
            KeyCode::Char('n') => self.migrate.confirm = None,
            _ => {}
        }
    }

    fn start_migration(&mut self, m: &Migration, direction: Direction, dry_run: bool, force: bool) {
        let Some(db) = self.db_handle() else {
            self.flash(Level::Error, "not connected");
            return;
        };
        let Some(info) = self.migrate.ready().map(|l| l.info.clone()) else {
            return;
        };
        let run = self.migrate.next_id();
        let stop = Arc::new(AtomicBool::new(false));
        let st = &mut self.migrate;
        st.log.clear();
        st.diffs.clear();
        st.log_scroll = 0;
        st.diff_scroll = 0;
        st.outcome = None;
        st.push_log(format!(
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
        st.run = Some(MigrateRun {
            run,
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
        let opts = RunOptions {
            dry_run,
            direction,
            type_attribute: self
                .project
                .decode
                .type_attribute
                .clone()
                .unwrap_or_else(|| "Type".into()),
            state_dir: seeding::state_dir(),
            force,
            ..RunOptions::default()
        };
        spawn_run(db, info, m.clone(), opts, stop, run, self.sender());
    }

    /// Applies a migrations message; true when the screen changed.
    pub(crate) fn on_migrate_msg(&mut self, msg: MigrateMsg) -> bool {
        match msg {
            MigrateMsg::Loaded(id, r) => {
                if id != self.migrate.req {
                    return false;
                }
                self.migrate.loading = false;
                let n = r
                    .as_ref()
                    .as_ref()
                    .map(|l| l.migrations().len())
                    .unwrap_or(0);
                self.migrate.selected = self.migrate.selected.min(n.saturating_sub(1));
                self.migrate.listing = Some(*r);
                true
            }
            MigrateMsg::Events(id, batch) => {
                let st = &mut self.migrate;
                let Some(run) = st.run.as_mut().filter(|r| r.run == id) else {
                    return false;
                };
                if let Some(c) = batch.progress {
                    run.counts = c;
                }
                if batch.skipped > 0 {
                    st.push_log(format!("… {} log lines not shown", batch.skipped));
                }
                for line in batch.log {
                    st.push_log(line);
                }
                st.diffs.extend(batch.diffs);
                true
            }
            MigrateMsg::Finished(id, result) => {
                let Some(run) = self.migrate.run.take_if(|r| r.run == id) else {
                    return false;
                };
                if run.stopping() {
                    // "stopping…" is over: the report says how it ended.
                    self.flash = None;
                }
                let outcome = MigrateOutcome {
                    id: run.id.clone(),
                    kind: run.kind,
                    direction: run.direction,
                    dry_run: run.dry_run,
                    result,
                };
                let st = &mut self.migrate;
                if let Ok(r) = &outcome.result {
                    // The report's diffs are the complete list.
                    st.diffs = r.diffs.clone();
                    if let Some(n) = &r.note {
                        st.push_log(n.clone());
                    }
                }
                st.push_log(report_line(&outcome));
                if let Ok(r) = &outcome.result
                    && r.stopped
                    && !r.dry_run
                {
                    st.push_log(if outcome.kind == COMMAND {
                        "running it again starts the script again".into()
                    } else {
                        "run it again to resume where it stopped".into()
                    });
                }
                let real = !outcome.dry_run;
                st.outcome = Some(outcome);
                // A real run changed the ledger: show the new statuses.
                if real {
                    self.load_migrations();
                }
                true
            }
        }
    }
}

/// Runs a migration on its own task; its events go to the app in batches,
/// then the result (also when the run's task ends abnormally).
fn spawn_run(
    db: crate::dynamo::client::Dynamo,
    info: TableInfo,
    m: Migration,
    mut opts: RunOptions,
    stop: Arc<AtomicBool>,
    run: u64,
    tx: UnboundedSender<Msg>,
) {
    let batch = Arc::new(Mutex::new(Batch::default()));
    opts.events = Some(gathering_sink(batch.clone()));
    let warnings = batch.clone();
    let audit = MigrationAudit::attach(db.context(), &info, &mut opts, move |w| {
        gathering_sink(warnings.clone())(RunEvent::Log(format!("warning: {w}")))
    });
    tokio::spawn(async move {
        let mut task = tokio::spawn(async move {
            let r = migrate::run(&db, &info, &m, &opts, stop).await;
            if let Some(a) = audit
                && let Err(e) = a.finish(&m, &r)
                && let Some(sink) = &opts.events
            {
                sink(RunEvent::Log(format!("warning: {e}")));
            }
            r
        });
        let send = |b: Batch| {
            let _ = tx.send(Msg::Migrate(MigrateMsg::Events(run, b)));
        };
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let result = loop {
            tokio::select! {
                r = &mut task => break r,
                _ = tick.tick() => {
                    if let Some(b) = take_batch(&batch) {
                        send(b);
                    }
                }
            }
        };
        if let Some(b) = take_batch(&batch) {
            send(b);
        }
        let result = result.unwrap_or_else(|e| Err(format!("the run ended abnormally: {e}")));
        let _ = tx.send(Msg::Migrate(MigrateMsg::Finished(run, result)));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::client::KeyDef;

    fn info() -> TableInfo {
        TableInfo {
            name: "t".into(),
            pk: Some(KeyDef {
                name: "PK".into(),
                kind: "S".into(),
            }),
            sk: Some(KeyDef {
                name: "SK".into(),
                kind: "S".into(),
            }),
            ..TableInfo::default()
        }
    }

    #[test]
    fn batches_keep_the_latest_progress_and_the_last_log_lines() {
        let mut b = Batch::default();
        assert!(b.is_empty());
        for i in 0..(LOG_KEEP as u64 + 5) {
            b.push(RunEvent::Log(format!("line {i}")));
            b.push(RunEvent::Progress(Counts {
                selected: i,
                ..Counts::default()
            }));
        }
        assert_eq!(b.log.len(), LOG_KEEP);
        assert_eq!(b.skipped, 5);
        assert_eq!(b.log.front().map(String::as_str), Some("line 5"));
        assert_eq!(b.progress.map(|c| c.selected), Some(LOG_KEEP as u64 + 4));
        let shared = Arc::new(Mutex::new(Batch::default()));
        let sink = gathering_sink(shared.clone());
        sink(RunEvent::Diff(ItemDiff {
            key: "PK=a".into(),
            changes: vec![],
        }));
        let taken = take_batch(&shared).expect("one diff gathered");
        assert_eq!(taken.diffs.len(), 1);
        assert!(take_batch(&shared).is_none(), "taken once");
    }

    #[test]
    fn log_lines_are_printable() {
        assert_eq!(printable("\x1b[1;32mok\x1b[0m\tdone\r\x07"), "ok    done");
        assert_eq!(printable("plain · ünïcode"), "plain · ünïcode");
    }

    #[test]
    fn files_no_folder_errors_and_ready() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        assert_eq!(load_files(&dir, &info()), Files::NoFolder);
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(load_files(&dir, &info()), Files::Ready(vec![]));
        std::fs::write(
            dir.join("001_a.toml"),
            "[select]\n[[op]]\nset = { attribute = \"x\", template = \"{y\" }\n",
        )
        .unwrap();
        std::fs::write(dir.join("002_b.toml"), "[select]\nnope = 1\n").unwrap();
        let Files::Errors(e) = load_files(&dir, &info()) else {
            panic!("errors expected")
        };
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("001_a.toml:3:"), "{e:?}");
        assert!(e[1].contains("002_b.toml:2:"), "{e:?}");
        // A file that cannot run on this table (an op writing a key).
        std::fs::write(
            dir.join("001_a.toml"),
            "[select]\n[[op]]\nremove = { attribute = \"SK\" }\n",
        )
        .unwrap();
        std::fs::remove_file(dir.join("002_b.toml")).unwrap();
        let Files::Errors(e) = load_files(&dir, &info()) else {
            panic!("errors expected")
        };
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("001_a.toml:2:1: ") && e[0].contains("key attribute `SK`"),
            "{e:?}"
        );
        std::fs::write(
            dir.join("001_a.toml"),
            "[select]\n[[op]]\nremove = { attribute = \"old\" }\n",
        )
        .unwrap();
        let Files::Ready(ms) = load_files(&dir, &info()) else {
            panic!("ready expected")
        };
        assert_eq!(ms.len(), 1);
    }
}
