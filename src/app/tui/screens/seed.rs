//! The seed view: the project's seed sets with their sizes; seeding one into
//! the current table with a progress gauge (items/s, retries, throttles) that
//! can be stopped cleanly; and an exact reset. It calls the same functions as
//! `dyntui seed` (`crate::dynamo::seeding`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::audit::{AUDIT_KEYS, key_names, record_run, record_seed_run};
use crate::app::project::seed_sets::{design_for, seed_sets};
use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Level, Msg, Screen};
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::design::TableDesign;
use crate::dynamo::seed::{Progress, WriteOptions, WriteReport};
use crate::dynamo::seeding::{
    self, Checkpoint, RunOptions, SeedOutcome, SeedSet, SeedSource, key_schema, validate_set,
};

/// Results of seed work, sent back to the app.
#[derive(Debug)]
pub enum SeedMsg {
    /// Invalid items found before writing: nothing was written.
    Invalid {
        good: u64,
        errors: Vec<String>,
    },
    Done(Result<SeedOutcome, String>),
    ResetCount(Result<usize, String>),
    ResetDone(Result<WriteReport, String>),
}

/// What the user is asked before work starts.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedConfirm {
    pub reset: bool,
    pub set: String,
    pub table: String,
    /// Protected table: its name must be typed.
    pub protected: Option<String>,
    pub typed: String,
    /// The table does not exist and will be created from the design.
    pub creates: bool,
    /// Reset: how many items would be deleted.
    pub count: Option<usize>,
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
}

#[derive(Debug, Default)]
pub struct SeedState {
    pub selected: usize,
    pub confirm: Option<SeedConfirm>,
    pub run: Option<SeedRun>,
    /// The outcome of the last run, or the invalid items found.
    pub last: Option<(Level, Vec<String>)>,
    pub back_to: Option<Screen>,
    /// Interrupted runs into the target table, read when the view opens and
    /// after each run (not while drawing).
    pub checkpoints: Vec<Checkpoint>,
}

/// Items a set makes, when known without reading files.
pub fn set_size(set: &SeedSet) -> Option<u64> {
    match &set.source {
        SeedSource::Builtin(_) => {
            // Generated once per seed number, not on every frame.
            static SIZES: std::sync::Mutex<Vec<(u64, u64)>> = std::sync::Mutex::new(Vec::new());
            let mut sizes = SIZES.lock().ok()?;
            if let Some((_, n)) = sizes.iter().find(|(s, _)| *s == set.seed) {
                return Some(*n);
            }
            let n =
                crate::dynamo::demo::generate(set.seed, crate::dynamo::demo::DemoSize::default())
                    .len() as u64;
            sizes.push((set.seed, n));
            Some(n)
        }
        SeedSource::Generators(g) => Some(g.iter().map(|g| g.count as u64).sum()),
        SeedSource::Files(_) => None,
    }
}

fn base_dir(path: Option<&Path>) -> PathBuf {
    path.and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

impl App {
    pub fn open_seed(&mut self) {
        if self.screen != Screen::Seed {
            self.seed.back_to = Some(self.screen);
        }
        self.screen = Screen::Seed;
        self.refresh_checkpoints();
    }

    fn refresh_checkpoints(&mut self) {
        let table = self.pattern_table();
        self.seed.checkpoints = match table {
            Some(t) => seed_sets(&self.project)
                .iter()
                .filter_map(|s| pending_checkpoint(s, &t, &base_dir(self.project.path.as_deref())))
                .collect(),
            None => Vec::new(),
        };
    }

    /// The design a missing table would be created from.
    fn seed_design(&self, table: &str, set: &SeedSet) -> Option<TableDesign> {
        design_for(&self.project, table, set)
    }

    pub(crate) fn seed_action(&mut self, action: Action) {
        if self.seed.run.is_some() {
            if matches!(action, Action::Back | Action::Stop) {
                if let Some(r) = &self.seed.run {
                    r.stop.store(true, Ordering::Relaxed);
                }
                self.flash(Level::Warn, "stopping after the batches in flight…");
            }
            return;
        }
        let sets = seed_sets(&self.project);
        let n = sets.len();
        let sel = &mut self.seed.selected;
        match action {
            Action::Down => *sel = (*sel + 1).min(n.saturating_sub(1)),
            Action::Up => *sel = sel.saturating_sub(1),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = n.saturating_sub(1),
            Action::Back => {
                self.screen = self.seed.back_to.take().unwrap_or(Screen::Tables);
            }
            Action::Open | Action::Reset if self.read_only => {
                self.flash(
                    Level::Error,
                    "read-only session (--read-only or :readonly): seeding writes, so it is off",
                );
            }
            Action::Open | Action::Reset => {
                let Some(set) = sets.get(self.seed.selected).cloned() else {
                    return;
                };
                let Some(table) = self.pattern_table() else {
                    self.flash(Level::Warn, "open or select a table first");
                    return;
                };
                let reset = action == Action::Reset;
                let protected = self.project.seeding.protection(
                    &table,
                    self.ctx.profile.as_deref(),
                    self.project.protected_tables.contains(&table),
                );
                let known = self.pattern_table_info();
                let missing = matches!(
                    self.described.get(&table),
                    Some(crate::app::tui::state::Loadable::Failed(e)) if e.code == "ResourceNotFoundException"
                ) || (known.is_none()
                    && self
                        .tables
                        .list
                        .ready()
                        .is_some_and(|v| !v.contains(&table)));
                if reset && missing {
                    self.flash(Level::Warn, format!("table `{table}` does not exist"));
                    return;
                }
                if missing && self.seed_design(&table, &set).is_none() {
                    self.flash(
                        Level::Error,
                        format!("table `{table}` does not exist and there is no design to create it from"),
                    );
                    return;
                }
                self.seed.confirm = Some(SeedConfirm {
                    reset,
                    set: set.name.clone(),
                    table: table.clone(),
                    protected,
                    typed: String::new(),
                    creates: missing,
                    count: None,
                });
                if reset {
                    self.count_seeded(&set.name, &table);
                }
            }
            _ => {}
        }
    }

    /// Keys typed while a confirmation is open.
    pub(crate) fn on_seed_confirm_key(&mut self, k: &KeyEvent) {
        let Some(c) = self.seed.confirm.as_mut() else {
            return;
        };
        match k.code {
            KeyCode::Esc => self.seed.confirm = None,
            KeyCode::Enter => {
                if let Some(p) = &c.protected
                    && c.typed != c.table
                {
                    let p = p.clone();
                    self.flash(Level::Error, format!("{p}: type the table name to confirm"));
                    return;
                }
                if c.reset && c.count.is_none() {
                    return;
                }
                let c = c.clone();
                self.seed.confirm = None;
                if c.reset {
                    self.start_reset(&c.set, &c.table, c.count.unwrap_or(0) as u64);
                } else {
                    self.start_seed(&c.set, &c.table, c.creates);
                }
            }
            KeyCode::Backspace => {
                c.typed.pop();
            }
            KeyCode::Char(ch) if c.protected.is_some() => c.typed.push(ch),
            KeyCode::Char('y') => {
                let enter = KeyEvent::new(KeyCode::Enter, k.modifiers);
                self.on_seed_confirm_key(&enter);
            }
            KeyCode::Char('n') => self.seed.confirm = None,
            _ => {}
        }
    }

    fn seed_db(&mut self) -> Option<Dynamo> {
        let db = self.db_handle();
        if db.is_none() {
            self.flash(Level::Error, "not connected");
        }
        db
    }

    fn count_seeded(&mut self, set: &str, table: &str) {
        let Some(db) = self.seed_db() else { return };
        let Some(marker) = self.project.seeding.marker_attribute.clone() else {
            self.seed.confirm = None;
            self.flash(
                Level::Error,
                "markers are off ([seeding] marker_attribute = \"\"): seeded items cannot be found",
            );
            return;
        };
        let tx = self.sender();
        let (set, table) = (set.to_string(), table.to_string());
        tokio::spawn(async move {
            let r = async {
                let info = db.describe(&table).await.map_err(|e| e.to_string())?;
                seeding::seeded_keys(&db, &table, &info, &marker, &set)
                    .await
                    .map(|k| k.len())
                    .map_err(|e| e.to_string())
            }
            .await;
            let _ = tx.send(Msg::Seed(SeedMsg::ResetCount(r)));
        });
    }

    fn start_reset(&mut self, set: &str, table: &str, total: u64) {
        let Some(db) = self.seed_db() else { return };
        let Some(marker) = self.project.seeding.marker_attribute.clone() else {
            return;
        };
        let progress = Arc::new(Progress::default());
        let stop = Arc::new(AtomicBool::new(false));
        self.seed.last = None;
        self.seed.run = Some(SeedRun {
            reset: true,
            set: set.to_string(),
            table: table.to_string(),
            total,
            progress: progress.clone(),
            stop: stop.clone(),
            started: Instant::now(),
        });
        let tx = self.sender();
        let (set, table) = (set.to_string(), table.to_string());
        tokio::spawn(async move {
            let r = async {
                let info: TableInfo = db.describe(&table).await.map_err(|e| e.to_string())?;
                let keys = seeding::seeded_keys(&db, &table, &info, &marker, &set)
                    .await
                    .map_err(|e| e.to_string())?;
                progress.keys.track(
                    info.key_names().into_iter().map(str::to_string).collect(),
                    AUDIT_KEYS,
                );
                let r = seeding::delete_keys(
                    &db,
                    &table,
                    keys,
                    &WriteOptions::default(),
                    progress.clone(),
                    stop,
                )
                .await
                .map_err(|e| e.to_string());
                let summary = match &r {
                    Ok(rep) => serde_json::json!({"set": set, "stopped": rep.stopped}),
                    Err(e) => serde_json::json!({"set": set, "error": e}),
                };
                if let Some(w) = record_run(db.context(), &table, "reset", &set, summary, &progress)
                {
                    tracing::warn!("{w}");
                }
                r
            }
            .await;
            let _ = tx.send(Msg::Seed(SeedMsg::ResetDone(r)));
        });
    }

    fn start_seed(&mut self, set_name: &str, table: &str, create: bool) {
        let Some(db) = self.seed_db() else { return };
        let sets = seed_sets(&self.project);
        let Some(set) = sets.into_iter().find(|s| s.name == set_name) else {
            return;
        };
        let design = self.seed_design(table, &set);
        let progress = Arc::new(Progress::default());
        let stop = Arc::new(AtomicBool::new(false));
        self.seed.last = None;
        self.seed.run = Some(SeedRun {
            reset: false,
            set: set.name.clone(),
            table: table.to_string(),
            total: set_size(&set).unwrap_or(0),
            progress: progress.clone(),
            stop: stop.clone(),
            started: Instant::now(),
        });
        let tx = self.sender();
        let decode = self.project.decode.clone();
        let settings = self.project.seeding.clone();
        let base = base_dir(self.project.path.as_deref());
        let table = table.to_string();
        let state_dir = seeding::state_dir();
        tokio::spawn(async move {
            let r: Result<SeedOutcome, String> = async {
                if create {
                    let d = design.ok_or("no design to create the table from")?;
                    d.create(&db).await.map_err(|e| e.to_string())?;
                }
                let info = db.describe(&table).await.map_err(|e| e.to_string())?;
                let schema = key_schema(&info).ok_or("the table has no key schema")?;
                let (v, set, decode, base2) = tokio::task::spawn_blocking({
                    let set = set.clone();
                    let schema = schema.clone();
                    move || {
                        let v = validate_set(&set, &decode, &schema, &base);
                        (v, set, decode, base)
                    }
                })
                .await
                .map_err(|e| e.to_string())?;
                let v = v?;
                if !v.errors.is_empty() {
                    let _ = tx.send(Msg::Seed(SeedMsg::Invalid {
                        good: v.good,
                        errors: v.errors,
                    }));
                    return Err("invalid items: nothing written".to_string());
                }
                let opts = RunOptions {
                    write: WriteOptions::default(),
                    skip_invalid: false,
                    state_dir,
                };
                progress.keys.track(key_names(&schema), AUDIT_KEYS);
                let r = seeding::run(
                    &db,
                    &set,
                    &table,
                    &decode,
                    &schema,
                    &settings,
                    &base2,
                    &opts,
                    progress.clone(),
                    stop,
                )
                .await;
                if let Some(w) = record_seed_run(
                    db.context(),
                    &table,
                    "seed",
                    serde_json::json!({"set": set.name, "seed": set.seed}),
                    &r,
                    &progress,
                ) {
                    tracing::warn!("{w}");
                }
                r
            }
            .await;
            let _ = tx.send(Msg::Seed(SeedMsg::Done(r)));
        });
    }

    /// Applies a seed message; true when the screen changed.
    pub(crate) fn on_seed_msg(&mut self, m: SeedMsg) -> bool {
        match m {
            SeedMsg::Invalid { good, errors } => {
                let mut lines = vec![format!(
                    "{} invalid items ({good} valid): nothing written. Fix them, or use `dyntui seed --skip-invalid`.",
                    errors.len()
                )];
                lines.extend(errors.into_iter().take(20));
                self.seed.last = Some((Level::Error, lines));
            }
            SeedMsg::Done(r) => {
                let run = self.seed.run.take();
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
                        self.seed.last = Some(match &o.checkpoint_warning {
                            Some(w) => (Level::Warn, vec![line, format!("warning: {w}")]),
                            None => (Level::Info, vec![line]),
                        });
                        self.refresh_checkpoints();
                        // The table list may have a new table.
                        self.described.clear();
                        self.load_tables();
                    }
                    Err(e) => {
                        if self.seed.last.is_none() {
                            self.seed.last = Some((Level::Error, vec![e]));
                        }
                    }
                }
            }
            SeedMsg::ResetCount(r) => match r {
                Ok(n) => {
                    if let Some(c) = self.seed.confirm.as_mut() {
                        c.count = Some(n);
                    }
                }
                Err(e) => {
                    self.seed.confirm = None;
                    self.seed.last = Some((Level::Error, vec![e]));
                }
            },
            SeedMsg::ResetDone(r) => {
                let run = self.seed.run.take();
                self.seed.last = Some(match r {
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
