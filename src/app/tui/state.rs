//! The one owner of UI state. Terminal events and AWS results arrive as
//! [`Msg`]s; AWS calls run on spawned tasks that report back on a channel and
//! never touch this state. The latest request wins: every request carries an
//! id, replies with an older id are dropped and superseded tasks are aborted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use crate::app::audit::AuditLog;
use crate::app::clipboard::Clipboard;
use crate::app::config::{Project, Settings};
use crate::app::editor::EditorRequest;
use crate::app::tui::cx::{Core, Cx, Viewport};
pub use crate::app::tui::cx::{Level, Screen};
use crate::app::tui::effects::Effect;
pub use crate::app::tui::input::{Input, QueryForm};
use crate::app::tui::keymap::{Action, Mode};
pub use crate::app::tui::request::Loadable;
use crate::app::tui::request::ReqId;
use crate::app::tui::screens::audit::AuditState;
use crate::app::tui::screens::contexts::{ContextsState, is_expired_session};
pub use crate::app::tui::screens::edit::EditState;
use crate::app::tui::screens::edit::Front;
use crate::app::tui::screens::live::LiveState;
use crate::app::tui::screens::metrics::MetricsState;
use crate::app::tui::screens::migrate::{Listing, MigrateState};
pub use crate::app::tui::screens::patterns::PatternsState;
use crate::app::tui::screens::seed::SeedState;
pub use crate::app::tui::screens::tables::TablesState;
use crate::app::tui::task::Deps;
pub use crate::app::tui::widgets::edit_line;
use crate::dynamo::Item;
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::edit::Change;
use crate::dynamo::error::{AwsError, ConnContext};
use crate::dynamo::request::ItemsRequest;

/// A screen's context over the application's parts.
macro_rules! cx {
    ($app:ident) => {
        Cx {
            settings: &$app.settings,
            project: &$app.project,
            conn: &$app.ctx,
            online: $app.db.is_some(),
            read_only: $app.read_only,
            unlocked: &$app.unlocked,
            described: &$app.described,
            viewport: $app.viewport,
            input: &mut $app.input,
            flash: &mut $app.flash,
            clipboard: &mut $app.clipboard,
            fx: Vec::new(),
            core: Vec::new(),
        }
    };
}

/// Runs a screen's update with its context; queues the effects it asked
/// for (wrapped as the application's) and carries out its requests.
macro_rules! on_screen {
    ($app:ident . $field:ident ?, $wrap:expr, |$st:ident, $cx:ident| $body:expr) => {{
        #[allow(unused_mut)]
        let mut $cx = cx!($app);
        let r = match $app.$field.as_mut() {
            Some($st) => Some($body),
            None => None,
        };
        let (fx, core) = ($cx.fx, $cx.core);
        $app.effects.extend(fx.into_iter().map($wrap));
        $app.apply_core(core);
        r
    }};
    ($app:ident . $field:ident, $wrap:expr, |$st:ident, $cx:ident| $body:expr) => {{
        #[allow(unused_mut)]
        let mut $cx = cx!($app);
        let $st = &mut $app.$field;
        let r = $body;
        let (fx, core) = ($cx.fx, $cx.core);
        $app.effects.extend(fx.into_iter().map($wrap));
        $app.apply_core(core);
        r
    }};
}

mod commands;

pub use crate::app::tui::msg::Msg;

pub use crate::app::tui::screens::items::{
    ItemsHistory, ItemsState, Loaded, Row, Stats, get_item_command, json_compact, json_pretty,
};

pub use crate::app::tui::screens::detail::DetailState;

pub struct App {
    pub settings: Settings,
    pub project: Project,
    pub ctx: ConnContext,
    pub(crate) db: Option<Dynamo>,
    tx: UnboundedSender<Msg>,
    pub screen: Screen,
    pub tables: TablesState,
    /// The demo's in-memory DynamoDB Local: where to say "keep it running"
    /// (quitting asks first; its data goes with it).
    pub demo_keep_file: Option<std::path::PathBuf>,
    /// The "quit the demo?" question is open.
    pub quit_confirm: bool,
    /// The screen the items view returns to with `esc`.
    pub items_from: Option<Screen>,
    /// Earlier requests on the open table (`[` and `]`).
    pub items_history: ItemsHistory,
    /// Table descriptions asked for so far (every screen uses them).
    pub described: HashMap<String, Loadable<TableInfo>>,
    /// The DescribeTable in flight per table.
    describing: HashMap<String, ReqId>,
    /// Effects asked for by the last updates, for the event loop to run.
    effects: Vec<Effect>,
    /// Rows visible in the list in front (as the last frame drew it).
    pub viewport: Viewport,
    pub items: Option<ItemsState>,
    pub detail: Option<DetailState>,
    pub help: Option<u16>,
    /// The screen help was opened on: its keys come first.
    pub help_for: Mode,
    pub input: Option<Input>,
    pub flash: Option<(Level, String)>,
    /// Connection failure shown as a screen (with the error code and hint).
    pub fatal: Option<AwsError>,
    pub should_quit: bool,
    pub clipboard: Clipboard,
    pub spinner: usize,
    pub started: Instant,
    pub patterns: PatternsState,
    pub seed: SeedState,
    pub migrate: MigrateState,
    pub metrics: MetricsState,
    /// The live changes screen (a table's stream).
    pub live: LiveState,
    /// A pattern run waiting for its table's description: (table, pattern, values).
    pub(crate) pending_pattern: Option<(String, String, BTreeMap<String, String>)>,
    /// `--read-only`: no writes at all this session (dry runs still run).
    pub read_only: bool,
    /// Protected tables whose writes the user unlocked for this session.
    pub unlocked: BTreeSet<String>,
    /// Editing: the open review, conflict or bulk dialog, writes in flight.
    pub edit: EditState,
    pub contexts: ContextsState,
    pub audit: AuditState,
    /// Where writes are recorded (None: no state directory).
    pub audit_log: Option<AuditLog>,
    /// Set when a request failed because the SSO session expired: the
    /// command that renews it.
    pub sso_expired: Option<String>,
    /// Text waiting to be edited in $EDITOR (the event loop runs it).
    pub(crate) editor: Option<EditorRequest>,
    /// An export running in the background (`:export`).
    pub export: crate::app::tui::screens::export::ExportState,
    /// `:init`: a project file learned from the table in front.
    pub init: crate::app::tui::screens::init::InitState,
}

impl App {
    pub fn new(
        settings: Settings,
        project: Project,
        db: Result<Dynamo, AwsError>,
        ctx: ConnContext,
        tx: UnboundedSender<Msg>,
        clipboard: Clipboard,
    ) -> Self {
        let (db, fatal, ctx) = match db {
            Ok(d) => {
                let ctx = d.context().clone();
                (Some(d), None, ctx)
            }
            Err(e) => (None, Some(e), ctx),
        };
        App {
            settings,
            project,
            ctx,
            db,
            tx,
            screen: Screen::Tables,
            tables: TablesState::default(),
            demo_keep_file: None,
            quit_confirm: false,
            items_from: None,
            items_history: ItemsHistory::default(),
            described: HashMap::new(),
            describing: HashMap::new(),
            effects: Vec::new(),
            viewport: Viewport::default(),
            items: None,
            detail: None,
            help: None,
            help_for: Mode::Global,
            input: None,
            flash: None,
            fatal,
            should_quit: false,
            clipboard,
            spinner: 0,
            started: Instant::now(),
            patterns: PatternsState::default(),
            seed: SeedState::default(),
            migrate: MigrateState::default(),
            metrics: MetricsState::default(),
            live: LiveState::default(),
            pending_pattern: None,
            read_only: false,
            unlocked: BTreeSet::new(),
            edit: EditState::default(),
            contexts: ContextsState::default(),
            audit: AuditState::default(),
            audit_log: AuditLog::default_log(),
            sso_expired: None,
            editor: None,
            export: Default::default(),
            init: Default::default(),
        }
    }

    /// The description of a table when it is already known (the open items
    /// view's, or the describe cache).
    pub fn known_info(&self, table: &str) -> Option<TableInfo> {
        self.items
            .as_ref()
            .filter(|i| i.table == table)
            .and_then(|i| i.info.clone())
            .or_else(|| self.described.get(table).and_then(|d| d.ready()).cloned())
    }

    /// Describes a table (cached; the reply arrives as a message).
    pub(crate) fn describe_table(&mut self, name: &str) {
        self.describe(name);
    }

    /// True while any request is in flight (drives the spinner tick).
    pub fn busy(&self) -> bool {
        self.tables.busy()
            || self.metrics.busy()
            || self.live.busy()
            || self.seed.busy()
            || self.migrate.busy()
            || self.items.as_ref().is_some_and(ItemsState::loading)
            || self.edit.busy()
            || self.export.running()
            || self.init.busy()
            || self.contexts.busy()
            || self.audit.busy()
            || !self.describing.is_empty()
    }

    /// The keymap mode of what is in front.
    pub fn mode(&self) -> Mode {
        if self.help.is_some() {
            return Mode::Help;
        }
        match self.screen {
            Screen::Tables => Mode::Tables,
            Screen::Items => Mode::Items,
            Screen::Detail => Mode::Detail,
            Screen::Patterns => Mode::Patterns,
            Screen::Seed => Mode::Seed,
            Screen::Migrate => Mode::Migrate,
            Screen::Metrics => Mode::Metrics,
            Screen::Contexts => Mode::Contexts,
            Screen::Audit => Mode::Audit,
            Screen::Live => Mode::Live,
        }
    }

    // ------------------------------------------------------------ requests

    /// Loads the table list.
    pub fn load_tables(&mut self) {
        on_screen!(self.tables, Effect::Tables, |st, cx| st.load(&mut cx));
    }

    /// Describes a table (cached; the answer arrives as a message).
    fn describe(&mut self, name: &str) {
        if self.db.is_none()
            || matches!(
                self.described.get(name),
                Some(Loadable::Ready(_) | Loadable::Loading)
            )
        {
            return;
        }
        let id = crate::app::tui::request::next_id();
        self.describing.insert(name.to_string(), id);
        self.described.insert(name.to_string(), Loadable::Loading);
        self.effects.push(Effect::Describe {
            id,
            table: name.to_string(),
        });
    }

    /// A runner for the effects of this application (its channel): the
    /// event loop's, or a test's.
    pub fn runner(&self) -> crate::app::tui::effects::Runner {
        crate::app::tui::effects::Runner::new(self.tx.clone())
    }

    /// Runs the effects asked for since the last call with `runner` (the
    /// event loop's, or a test's).
    pub fn run_effects(&mut self, runner: &mut crate::app::tui::effects::Runner) {
        for e in self.take_effects() {
            runner.run(e, self.deps());
        }
    }

    /// Effects asked for since the last call (the event loop runs them).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// What effects run with: the client, the connection, the audit log.
    pub fn deps(&self) -> Deps {
        Deps {
            db: self.db.clone(),
            conn: self.ctx.clone(),
            audit_log: self.audit_log.clone(),
        }
    }

    /// Carries out what a screen asked of the application.
    pub(crate) fn apply_core(&mut self, core: Vec<Core>) {
        for c in core {
            match c {
                Core::Abort(id) => self.effects.push(Effect::Abort(id)),
                Core::Describe(t) => self.describe(&t),
                Core::ForgetDescriptions => {
                    for (_, id) in self.describing.drain() {
                        self.effects.push(Effect::Abort(id));
                    }
                    self.described.clear();
                }
                Core::ForgetDescription(t) => {
                    if let Some(id) = self.describing.remove(&t) {
                        self.effects.push(Effect::Abort(id));
                    }
                    self.described.remove(&t);
                }
                Core::ShowItem { table, info, item } => self.show_item(table, *info, *item),
                Core::LiveAlerts { table, alerts } => self.metrics.set_live_alerts(&table, alerts),
                Core::Go(screen) => self.screen = screen,
                Core::OpenTable(t) => self.open_table(&t),
                Core::OpenItems {
                    table,
                    info,
                    request,
                    pattern,
                } => self.open_request(&table, *info, *request, pattern),
                Core::OpenPatternWhenDescribed {
                    table,
                    pattern,
                    values,
                } => self.pending_pattern = Some((table, pattern, values)),
                Core::ReloadTables => self.load_tables(),
                Core::RestartItems => self.restart_items(),
                Core::Editor(req) => self.editor = Some(*req),
                Core::OpenDetail => self.open_detail(),
                Core::CloseDetail => self.detail = None,
                Core::Unlock(table) => {
                    self.unlocked.insert(table);
                }
                Core::RunAction(a) => self.run_action(a),
                Core::ApplyWrite {
                    info,
                    change,
                    written,
                    row,
                } => self.apply_written(&info, &change, written.as_deref(), row),
                Core::ApplyBulk { info, written } => self.apply_bulk(&info, written),
                Core::CloseItems => self.close_items(),
                Core::Quit => self.should_quit = true,
                Core::Install(db, keep_view) => self.install_connection(*db, keep_view),
            }
        }
    }

    /// Opens the migrations view for a table (the selected or open one).
    pub fn open_migrations(&mut self, table: Option<String>) {
        let from = self.screen;
        on_screen!(self.migrate, Effect::Migrate, |st, cx| st
            .open(&mut cx, from, table));
    }

    /// Shows a migrations listing that is already loaded (no request):
    /// used by tests.
    pub fn show_migrations(&mut self, listing: Listing) {
        let from = self.screen;
        on_screen!(self.migrate, Effect::Migrate, |st, cx| st
            .show(&mut cx, from, listing));
    }

    // ------------------------------------------------ seed, audit, contexts

    /// Opens the seed view on the table patterns run against.
    pub fn open_seed(&mut self) {
        if self.screen != Screen::Seed {
            self.seed.back_to = Some(self.screen);
        }
        self.screen = Screen::Seed;
        let table = self.pattern_table();
        // The tables known to exist: the list, and the open items view's.
        let mut tables = self.tables.list.ready().cloned();
        if let (Some(v), Some(i)) = (tables.as_mut(), self.items.as_ref())
            && i.info.is_some()
            && !v.contains(&i.table)
        {
            v.push(i.table.clone());
        }
        let target = crate::app::tui::screens::seed::SeedTarget { table, tables };
        on_screen!(self.seed, Effect::Seed, |st, cx| st.open(&mut cx, target));
    }

    /// Opens the audit log (read again).
    pub fn open_audit(&mut self) {
        let from = self.screen;
        self.screen = Screen::Audit;
        on_screen!(self.audit, Effect::Audit, |st, cx| st.open(&mut cx, from));
    }

    /// Opens the list of AWS profiles.
    pub fn open_contexts(&mut self) {
        let from = self.screen;
        self.screen = Screen::Contexts;
        let profiles = crate::app::contexts::profiles();
        on_screen!(self.contexts, Effect::Contexts, |st, cx| st
            .open(&mut cx, from, profiles));
    }

    /// Connects with another profile (its own region, unless it has none).
    pub fn switch_profile(&mut self, profile: &str) {
        on_screen!(self.contexts, Effect::Contexts, |st, cx| st
            .switch_profile(&mut cx, profile));
    }

    pub fn switch_region(&mut self, region: &str) {
        on_screen!(self.contexts, Effect::Contexts, |st, cx| st
            .switch_region(&mut cx, region));
    }

    /// `none` (or `aws`) drops the endpoint: the AWS endpoint of the region.
    pub fn switch_endpoint(&mut self, endpoint: &str) {
        on_screen!(self.contexts, Effect::Contexts, |st, cx| st
            .switch_endpoint(&mut cx, endpoint));
    }

    /// Connects again to the same context (new credentials after `aws sso
    /// login`), keeping the screen and its request.
    pub fn reconnect(&mut self) {
        on_screen!(self.contexts, Effect::Contexts, |st, cx| st
            .reconnect(&mut cx));
    }

    /// Uses `db` from now on. With `keep_view` the screen in front stays and
    /// its request runs again; otherwise the tables list of the new context
    /// opens.
    pub fn install_connection(&mut self, db: Dynamo, keep_view: bool) {
        self.ctx = db.context().clone();
        self.db = Some(db);
        self.fatal = None;
        self.sso_expired = None;
        self.apply_core(vec![Core::ForgetDescriptions]);
        self.tables.sparks.clear();
        self.flash(Level::Info, format!("connected: {}", self.ctx.describe()));
        if keep_view {
            self.load_tables();
            if let Some(i) = self.items.as_ref() {
                let table = i.table.clone();
                // The description is cached again; the request re-runs.
                self.describe_table(&table);
                self.retry_items();
            }
            return;
        }
        self.items = None;
        self.detail = None;
        self.unlocked.clear();
        self.reset_metrics();
        on_screen!(self.live, Effect::Live, |st, cx| st.reset(&mut cx));
        self.screen = Screen::Tables;
        self.load_tables();
    }

    /// Opens a table's items (describing it first when needed).
    pub fn open_table(&mut self, name: &str) {
        let info = self.described.get(name).and_then(|d| d.ready()).cloned();
        if info.is_none() {
            self.describe(name);
        }
        self.leave_items();
        self.items_history.clear();
        self.items_from = Some(self.origin());
        self.items = Some(ItemsState::new(
            name.to_string(),
            info,
            &self.settings,
            &self.project,
        ));
        self.screen = Screen::Items;
        if let Some(info) = self.items.as_ref().and_then(|i| i.info.clone()) {
            self.warn_unfit_patterns(&info);
            self.restart_items();
        }
    }

    /// Saved patterns are checked against the table being opened: a team's
    /// file may serve several tables and stages.
    fn warn_unfit_patterns(&mut self, info: &TableInfo) {
        let unfit: Vec<&str> = self
            .project
            .patterns
            .iter()
            .filter(|sp| !sp.pattern.fit(info).is_empty())
            .map(|sp| sp.pattern.name.as_str())
            .collect();
        if !unfit.is_empty() {
            let text = format!(
                "{} saved pattern{} do not fit table {} ({}); p shows why",
                unfit.len(),
                if unfit.len() == 1 { "" } else { "s" },
                info.name,
                unfit.join(", ")
            );
            self.flash(Level::Warn, text);
        }
    }

    /// Opens the items view on a given request (a pattern's, or another view's).
    pub fn open_request(
        &mut self,
        table: &str,
        info: TableInfo,
        mut request: ItemsRequest,
        pattern: Option<String>,
    ) {
        let from_items = matches!(self.screen, Screen::Items | Screen::Detail);
        let mut st = ItemsState::new(table.to_string(), Some(info), &self.settings, &self.project);
        if request.page_size.is_none() {
            request.page_size = Some(self.settings.ui.page_size);
        }
        st.set_request(request, pattern);
        match self.items.as_ref() {
            // Another request on the same table from the items view: the
            // view's toggles and filters carry over, and the view it
            // replaces stays one `[` away.
            Some(old) if from_items && old.table == table => {
                st.show_index_keys = old.show_index_keys;
                st.raw_keys = old.raw_keys;
                st.text_filter = old.text_filter.clone();
                st.type_filter = old.type_filter;
                self.remember_items();
            }
            _ => {
                self.leave_items();
                self.items_history.clear();
                self.items_from = Some(self.origin());
            }
        }
        self.items = Some(st);
        self.detail = None;
        self.screen = Screen::Items;
        self.restart_items();
    }

    /// The screen an items view opened now returns to with `esc`.
    fn origin(&self) -> Screen {
        match self.screen {
            Screen::Items | Screen::Detail => self.items_from.unwrap_or(Screen::Tables),
            s => s,
        }
    }

    /// Keeps the items view (its pages, cursor and filters; its page in
    /// flight is aborted) as the latest of the earlier requests.
    fn remember_items(&mut self) {
        self.leave_items();
        if let Some(old) = self.items.take() {
            self.items_history.push(old);
        }
    }

    /// `[` and `]`: the previous request on the table, and back again.
    fn items_history_step(&mut self, back: bool) {
        self.leave_items();
        let Some(current) = self.items.as_mut() else {
            return;
        };
        if !self.items_history.step(current, back) {
            let what = if back {
                "no earlier request"
            } else {
                "no later request"
            };
            self.flash(Level::Info, what);
            return;
        }
        // A view whose page was stopped when it was left loads on as the
        // cursor moves; its description may have changed meanwhile.
        on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
            .maybe_prefetch(&mut cx));
    }

    /// Shows items that are already loaded (no request), e.g. results
    /// produced elsewhere; also used by tests and benchmarks.
    pub fn show_loaded_items(&mut self, info: TableInfo, request: ItemsRequest, items: Vec<Item>) {
        self.leave_items();
        let mut st = ItemsState::new(info.name.clone(), Some(info), &self.settings, &self.project);
        st.set_request(request, None);
        st.stats.count = items.len() as u64;
        st.stats.scanned = items.len() as u64;
        st.stats.pages = 1;
        st.push_page(items);
        st.done = true;
        self.items = Some(st);
        self.screen = Screen::Items;
    }

    /// The items view is replaced or closed: its page in flight is aborted.
    fn leave_items(&mut self) {
        on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
            .leave(&mut cx));
    }

    /// Drops loaded rows and starts the current request from its first page.
    pub(crate) fn restart_items(&mut self) {
        on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
            .restart(&mut cx));
    }

    // ------------------------------------------------------------ messages

    /// Applies a message; returns true when the screen needs a redraw.
    pub fn update(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Event(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                self.on_key(k);
                true
            }
            Msg::Event(Event::Resize(..)) => true,
            Msg::Event(_) => false,
            Msg::Viewport(v) => {
                let changed = self.viewport != v;
                self.viewport = v;
                if changed {
                    self.on_viewport();
                }
                false
            }
            Msg::Tables(m) => {
                if let crate::app::tui::screens::tables::TablesMsg::Listed(_, r) = &m {
                    match r {
                        Ok(_) => self.sso_expired = None,
                        Err(e) => self.note_error(e),
                    }
                }
                let changed =
                    on_screen!(self.tables, Effect::Tables, |st, cx| st.update(&mut cx, m));
                // Table names complete the palette's `:table`.
                self.refresh_palette();
                changed
            }
            Msg::Described(id, name, r) => {
                if self.describing.get(&name) != Some(&id) {
                    // Superseded (the descriptions were read again).
                    return false;
                }
                self.describing.remove(&name);
                let r = *r;
                let ok = r.as_ref().ok().cloned();
                let err = r.as_ref().err().cloned();
                if let Some(e) = &err {
                    self.note_error(e);
                }
                self.described.insert(
                    name.clone(),
                    match r {
                        Ok(i) => Loadable::Ready(i),
                        Err(e) => Loadable::Failed(e),
                    },
                );
                // The patterns screen checks its patterns against it.
                if self.patterns.table.as_deref() == Some(name.as_str()) {
                    on_screen!(self.patterns, |e| match e {}, |st, cx| st.refit(&cx));
                }
                // The metrics view may wait for its table's description.
                on_screen!(self.metrics, Effect::Metrics, |st, cx| st.described(
                    &mut cx,
                    &name,
                    err.as_ref()
                ));
                // So may the live changes screen.
                on_screen!(self.live, Effect::Live, |st, cx| st.described(
                    &mut cx,
                    &name,
                    ok.clone(),
                    err.as_ref()
                ));
                // An items view waiting for its table's description.
                let waiting = self
                    .items
                    .as_ref()
                    .is_some_and(|i| i.table == name && i.info.is_none());
                if waiting {
                    if let Some(info) = ok {
                        let pending = self
                            .pending_pattern
                            .take_if(|(t, _, _)| *t == name)
                            .map(|(_, p, values)| (p, values));
                        if let Some(items) = self.items.as_mut() {
                            items.described(info.clone(), &self.project);
                        }
                        self.warn_unfit_patterns(&info);
                        if let Some((p, values)) = pending {
                            match self
                                .project
                                .pattern(&p)
                                .map(|sp| sp.pattern.compile(&name, &info, &values))
                            {
                                Some(Ok(req)) => {
                                    self.patterns.recent.remember(&p, &values);
                                    if let Some(items) = self.items.as_mut() {
                                        items.set_request(req, Some(p));
                                    }
                                }
                                Some(Err(e)) => {
                                    self.flash(Level::Error, format!("pattern `{p}`: {e}"))
                                }
                                None => {}
                            }
                        }
                        self.restart_items();
                    } else if let (Some(e), Some(items)) = (err, self.items.as_mut()) {
                        items.error = Some(e);
                    }
                }
                true
            }
            Msg::Seed(m) => on_screen!(self.seed, Effect::Seed, |st, cx| st.update(&mut cx, m)),
            Msg::Migrate(m) => {
                on_screen!(self.migrate, Effect::Migrate, |st, cx| st
                    .update(&mut cx, m))
            }
            Msg::Metrics(m) => {
                on_screen!(self.metrics, Effect::Metrics, |st, cx| st
                    .update(&mut cx, m))
            }
            Msg::Live(m) => on_screen!(self.live, Effect::Live, |st, cx| st.update(&mut cx, m)),
            Msg::Edit(m) => on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |st, cx| st
                .update(&mut cx, *m)),
            Msg::Edited(req, r) => {
                on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |st, cx| st
                    .on_edited(&mut cx, *req, r));
                true
            }
            Msg::Contexts(m) => {
                on_screen!(self.contexts, Effect::Contexts, |st, cx| st
                    .update(&mut cx, m))
            }
            Msg::Audit(m) => on_screen!(self.audit, Effect::Audit, |st, cx| st.update(&mut cx, m)),
            Msg::Init(m) => {
                on_screen!(self.init, Effect::Init, |st, cx| st.update(&mut cx, m))
            }
            Msg::Export(m) => {
                on_screen!(self.export, Effect::Export, |st, cx| st.update(&mut cx, m))
            }
            Msg::Items(m) => {
                let (id, r) = m.outcome();
                if self.items.as_ref().is_some_and(|i| i.page.is_current(id)) {
                    match r {
                        Ok(_) => self.sso_expired = None,
                        Err(e) => self.note_error(e),
                    }
                }
                on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
                    .update(&mut cx, m))
                .unwrap_or(false)
            }
        }
    }

    pub(crate) fn flash(&mut self, level: Level, text: impl Into<String>) {
        self.flash = Some((level, text.into()));
    }

    /// The editor the app asked for, if any (the event loop runs it with
    /// the terminal suspended, then sends [`Msg::Edited`]).
    pub fn take_editor(&mut self) -> Option<EditorRequest> {
        self.editor.take()
    }

    /// Loads the tables list unless it is loaded or loading.
    pub(crate) fn load_tables_if_idle(&mut self) {
        on_screen!(self.tables, Effect::Tables, |st, cx| st
            .load_if_idle(&mut cx));
    }

    /// Runs the items view's request again from its first page (after a
    /// reconnect), keeping the request and filters.
    pub(crate) fn retry_items(&mut self) {
        if self.items.as_ref().is_some_and(|i| i.info.is_some()) {
            self.restart_items();
        }
    }

    /// Remembers an expired SSO session (the status bar then says how to
    /// sign in again; the view and its request stay, so `r` retries).
    pub fn note_error(&mut self, e: &AwsError) {
        if is_expired_session(e) {
            self.sso_expired = Some(crate::app::contexts::sso_login_command(
                self.ctx.profile.as_deref(),
            ));
        }
    }

    // ------------------------------------------------------------ keys

    fn on_key(&mut self, k: KeyEvent) {
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            // The first ctrl-c stops seeding cleanly; the next one quits.
            if self.seed.stop_run() {
                self.flash(
                    Level::Warn,
                    "stopping after the batches in flight… (ctrl-c again quits)",
                );
                return;
            }
            // The same for a migration (it resumes when run again).
            if self.migrate.stop_run() {
                self.flash(
                    Level::Warn,
                    "stopping the migration after the pages in flight… (ctrl-c again quits)",
                );
                return;
            }
            self.should_quit = true;
            return;
        }
        if self.quit_confirm {
            self.on_quit_confirm_key(&k);
            return;
        }
        if self.screen == Screen::Seed && self.seed.confirm.is_some() {
            on_screen!(self.seed, Effect::Seed, |st, cx| st
                .on_confirm_key(&mut cx, &k));
            return;
        }
        if self.screen == Screen::Migrate && self.migrate.confirm.is_some() {
            on_screen!(self.migrate, Effect::Migrate, |st, cx| st
                .on_confirm_key(&mut cx, &k));
            return;
        }
        if self.export.confirm.is_some() {
            on_screen!(self.export, Effect::Export, |st, cx| st
                .on_confirm_key(&mut cx, &k));
            return;
        }
        if self.export.pitr.is_some() {
            on_screen!(self.export, Effect::Export, |st, cx| st
                .on_pitr_key(&mut cx, &k));
            return;
        }
        if self.edit.modal.is_some() {
            on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |st, cx| st
                .on_modal_key(&mut cx, &k));
            return;
        }
        if self.input.is_some() {
            self.on_input_key(k);
            return;
        }
        self.flash = None;
        if self.screen == Screen::Live {
            let taken = on_screen!(self.live, Effect::Live, |st, cx| st
                .on_offer_key(&mut cx, &k));
            if taken {
                return;
            }
        }
        if self.screen == Screen::Metrics && self.metrics.enable_confirm.is_some() {
            on_screen!(self.metrics, Effect::Metrics, |st, cx| st
                .on_enable_key(&mut cx, &k));
            return;
        }
        let mode = self.mode();
        let Some(action) = self.settings.keymap.action(mode, &k) else {
            return;
        };
        if let Some(scroll) = self.help.as_mut() {
            match action {
                Action::Down => *scroll = scroll.saturating_add(1),
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Back | Action::Help => self.help = None,
                Action::Quit => self.should_quit = true,
                _ => {}
            }
            return;
        }
        if self.fatal.is_some() {
            match action {
                Action::Quit | Action::Back => self.should_quit = true,
                Action::Help => self.open_help(),
                _ => {}
            }
            return;
        }
        self.run_action(action);
    }

    /// Opens help at the keys of the screen in front.
    pub fn open_help(&mut self) {
        if self.help.is_none() {
            self.help_for = self.mode();
        }
        self.help = Some(0);
    }

    /// Quits, asking first when quitting ends the in-memory demo's data.
    pub fn quit(&mut self) {
        if self.demo_keep_file.is_some() {
            self.quit_confirm = true;
        } else {
            self.should_quit = true;
        }
    }

    /// Keys while "quit the demo?" is open: `y` quits (DynamoDB Local
    /// stops, its data is gone), `k` quits and keeps it running, `n`/`esc`
    /// stays.
    fn on_quit_confirm_key(&mut self, k: &KeyEvent) {
        match k.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                self.quit_confirm = false;
                self.should_quit = true;
            }
            KeyCode::Char('k') => {
                self.quit_confirm = false;
                if let Some(path) = &self.demo_keep_file
                    && let Err(e) = std::fs::write(path, b"keep\n")
                {
                    self.flash(
                        Level::Error,
                        format!(
                            "cannot keep DynamoDB Local running ({}: {e})",
                            path.display()
                        ),
                    );
                    return;
                }
                self.should_quit = true;
            }
            KeyCode::Char('n') | KeyCode::Esc => self.quit_confirm = false,
            _ => {}
        }
    }

    /// Runs a key's action on the screen in front.
    pub(crate) fn run_action(&mut self, action: Action) {
        match action {
            Action::Quit => {
                // A running migration is stopped first; quitting again leaves.
                if self.migrate.stop_run() {
                    self.flash(
                        Level::Warn,
                        "stopping the migration after the pages in flight… (quit again to leave now)",
                    );
                } else {
                    self.quit();
                }
            }
            Action::Help => self.open_help(),
            Action::Palette => self.open_palette(),
            Action::CopyLogin => {
                let cmd = crate::app::contexts::sso_login_command(self.ctx.profile.as_deref());
                self.copy(cmd, "the sso login command");
            }
            Action::Patterns => self.open_patterns(),
            Action::Seed => self.open_seed(),
            Action::Migrations if self.screen != Screen::Migrate => {
                let table = match self.screen {
                    Screen::Tables => self.tables.selected_name(),
                    Screen::Items | Screen::Detail => self.items.as_ref().map(|i| i.table.clone()),
                    _ => self.pattern_table(),
                };
                self.open_migrations(table);
            }
            Action::Live if self.screen != Screen::Live => {
                let table = self.current_table();
                self.open_live(table);
            }
            Action::Metrics if self.screen != Screen::Metrics => {
                let table = match self.screen {
                    Screen::Tables => self.tables.selected_name(),
                    _ => self.items.as_ref().map(|i| i.table.clone()),
                };
                self.open_metrics(table);
            }
            _ => match self.screen {
                Screen::Tables => self.tables_action(action),
                Screen::Items => self.items_action(action),
                Screen::Detail => self.detail_action(action),
                Screen::Patterns => self.patterns_action(action),
                Screen::Seed => on_screen!(self.seed, Effect::Seed, |st, cx| st
                    .on_action(&mut cx, action)),
                Screen::Migrate => {
                    on_screen!(self.migrate, Effect::Migrate, |st, cx| st
                        .on_action(&mut cx, action))
                }
                Screen::Metrics => self.metrics_action(action),
                Screen::Contexts => on_screen!(self.contexts, Effect::Contexts, |st, cx| st
                    .on_action(&mut cx, action)),
                Screen::Audit => on_screen!(self.audit, Effect::Audit, |st, cx| st
                    .on_action(&mut cx, action)),
                Screen::Live => on_screen!(self.live, Effect::Live, |st, cx| st
                    .on_action(&mut cx, action)),
            },
        }
    }

    // ------------------------------------------------------------ editing

    /// What the edit keys work on: the item in front (the detail view's,
    /// else the one under the items view's cursor), the marked items.
    fn front(&self) -> Front {
        let mut f = Front::default();
        if let Some(items) = &self.items {
            f.table = Some((items.table.clone(), items.info.clone()));
        }
        if self.screen == Screen::Detail
            && let Some(d) = &self.detail
        {
            f.item = d
                .info
                .clone()
                .map(|info| (info, d.row.item.clone(), d.row_index));
            f.attr = d.selected_attr();
            return f;
        }
        if let Some(items) = &self.items {
            f.item = items
                .selected_index()
                .and_then(|i| Some((items.info.clone()?, items.rows.get(i)?.item(), Some(i))));
            f.marked = items
                .marks
                .iter()
                .filter_map(|&i| items.rows.get(i).map(|r| r.item()))
                .collect();
        }
        f
    }

    /// An editing key on the items or detail view.
    fn edit_action(&mut self, action: Action) {
        use crate::dynamo::edit::EditFormat;
        let front = self.front();
        on_screen!(
            self.edit,
            |e| Effect::Edit(Box::new(e)),
            |st, cx| match action {
                Action::Edit => st.start_edit(&mut cx, front, EditFormat::Plain, action),
                Action::EditDynamo => st.start_edit(&mut cx, front, EditFormat::Dynamo, action),
                Action::NewItem => st.start_new(&mut cx, front, action),
                Action::Delete => st.start_delete(&mut cx, front, action),
                Action::BulkSet => st.start_bulk_set(&mut cx, front, action),
                Action::QuickEdit => st.start_quick_edit(&mut cx, front, action),
                _ => {}
            }
        );
    }

    /// Why writes to `table` are protected, if they are.
    pub fn protection_of(&self, table: &str) -> Option<String> {
        self.project.protection(table, self.ctx.profile.as_deref())
    }

    /// Asks for the table name to unlock writes to a protected table.
    pub fn ask_unlock(&mut self, table: &str) {
        on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |_st, cx| {
            EditState::ask_unlock(&mut cx, table, None)
        });
    }

    /// Updates the items and detail views after a write.
    fn apply_written(
        &mut self,
        info: &TableInfo,
        change: &Change,
        written: Option<&Item>,
        row: Option<usize>,
    ) {
        let Some(items) = self.items.as_mut() else {
            return;
        };
        if items.table != info.name {
            return;
        }
        items.apply_written(change, written, row);
        // The detail view shows the item as written, or closes on a delete.
        let mut close_detail = false;
        if let Some(d) = self.detail.as_mut() {
            let same =
                change.before.as_ref().is_some_and(|b| *b == d.row.item) || change.before.is_none();
            if same {
                match written {
                    Some(w) => {
                        let class = items.decoder.classify(w);
                        d.key_fields = items.decoder.key_fields(w, &class);
                        d.entity = class
                            .entity
                            .map(|e| items.decoder.entity_name(e).to_string());
                        d.row = Row {
                            item: w.clone(),
                            class,
                        };
                        d.row_index = items.selected_index();
                    }
                    None => close_detail = true,
                }
            }
        }
        if close_detail {
            self.detail = None;
            if self.screen == Screen::Detail {
                self.screen = Screen::Items;
            }
        }
    }

    /// Updates the items view after bulk writes: rows found with one pass
    /// over the loaded items, then updated from the last row up, so that a
    /// removed row never moves one still to update.
    fn apply_bulk(&mut self, info: &TableInfo, written: Vec<(Item, Option<Item>)>) {
        if let Some(items) = self.items.as_ref() {
            let rows: HashMap<String, usize> = items
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| items.exact_key(&r.item()).map(|k| (k, i)))
                .collect();
            let row_of = |b: &Item| items.exact_key(b).and_then(|k| rows.get(&k).copied());
            let mut updates: Vec<(Option<usize>, Item, Option<Item>)> = written
                .into_iter()
                .map(|(before, after)| (row_of(&before), before, after))
                .collect();
            updates.sort_by_key(|u| std::cmp::Reverse(u.0));
            for (row, before, after) in updates {
                let change = Change {
                    before: Some(before),
                    after: after.clone(),
                };
                self.apply_written(info, &change, after.as_ref(), row);
            }
        }
        if let Some(items) = self.items.as_mut() {
            items.marks.clear();
        }
    }

    /// Starts exporting the items view (its marked items, else its
    /// request) to `path` (`:export`).
    /// `:init [FILE]`: a project file learned from the table in front.
    pub fn start_init(&mut self, path: &str) -> Result<(), String> {
        let table = self.current_table();
        on_screen!(self.init, Effect::Init, |st, cx| st
            .start(&mut cx, table, path, false))
    }

    pub fn start_export(&mut self, path: &str) -> Result<(), String> {
        // DynamoDB's own export needs only the table (it takes all of it).
        if crate::dynamo::native::S3Url::is_s3(path) {
            let table = self.current_table();
            return on_screen!(self.export, Effect::Export, |st, cx| st
                .start_native(&mut cx, table, path));
        }
        let source = match self.items.as_ref() {
            None => None,
            Some(items) => Some(crate::app::tui::screens::export::ExportSource {
                info: items
                    .info
                    .clone()
                    .ok_or("the table is still being described")?,
                decoder: items.decoder.clone(),
                marked: items
                    .marks
                    .iter()
                    .filter_map(|&i| items.rows.get(i).map(|r| r.item()))
                    .collect(),
                request: items.request.clone(),
                type_filter: items.type_filter,
            }),
        };
        on_screen!(self.export, Effect::Export, |st, cx| st
            .start(&mut cx, source, path))
    }

    // ------------------------------------------------------------ patterns

    /// Opens the patterns list.
    pub fn open_patterns(&mut self) {
        if self.screen != Screen::Patterns {
            self.patterns.back_to = Some(self.screen);
        }
        self.screen = Screen::Patterns;
        let table = self.pattern_table();
        on_screen!(self.patterns, |e| match e {}, |st, cx| st
            .opened(&mut cx, table));
    }

    /// The table patterns run against: the open items view's, else the
    /// selected table, else the project's default table.
    pub fn pattern_table(&self) -> Option<String> {
        if let Some(i) = &self.items {
            return Some(i.table.clone());
        }
        let from_tables =
            [self.patterns.back_to, self.seed.back_to].contains(&Some(Screen::Tables));
        if from_tables && let Some(n) = self.tables.selected_name() {
            return Some(n);
        }
        self.project
            .default_table
            .clone()
            .or_else(|| self.tables.selected_name())
    }

    /// The description of the pattern table, when known.
    pub fn pattern_table_info(&self) -> Option<TableInfo> {
        self.known_info(&self.pattern_table()?)
    }

    /// Warnings from checking a pattern against the table's description
    /// (as computed when the patterns screen opened or the description
    /// arrived).
    pub fn pattern_warnings(&self, index: usize) -> Vec<String> {
        self.patterns.fits.get(index).cloned().unwrap_or_default()
    }

    fn patterns_action(&mut self, action: Action) {
        on_screen!(self.patterns, |e| match e {}, |st, cx| st
            .on_action(&mut cx, action));
    }

    /// Opens the parameter form of pattern `index`.
    pub fn open_pattern_form(&mut self, index: usize) {
        let table = self.pattern_table();
        on_screen!(self.patterns, |e| match e {}, |st, cx| {
            st.table = table;
            st.open_form(&mut cx, index)
        });
    }

    /// The list in front got another height: keep its selection in view.
    fn on_viewport(&mut self) {
        let rows = self.viewport.rows;
        match self.screen {
            Screen::Tables => self.tables.nav.cursor.follow(rows),
            Screen::Items => {
                if let Some(items) = self.items.as_mut() {
                    items.on_viewport(rows);
                }
            }
            Screen::Detail => {
                if let Some(d) = self.detail.as_mut() {
                    d.shown_from(self.viewport.scroll);
                }
            }
            Screen::Metrics => self.metrics.follow(rows),
            Screen::Live => self.live.follow(rows),
            Screen::Seed => self.seed.nav.follow(rows),
            Screen::Contexts => self.contexts.nav.cursor.follow(rows),
            Screen::Audit => self.audit.nav.cursor.follow(rows),
            _ => {}
        }
    }

    fn tables_action(&mut self, action: Action) {
        on_screen!(self.tables, Effect::Tables, |st, cx| st
            .on_action(&mut cx, action));
    }

    fn metrics_action(&mut self, action: Action) {
        on_screen!(self.metrics, Effect::Metrics, |st, cx| st
            .on_action(&mut cx, action));
    }

    /// Opens the metrics of `table` (else the pattern table).
    pub fn open_metrics(&mut self, table: Option<String>) {
        let table = table.or_else(|| self.pattern_table());
        let from = self.screen;
        on_screen!(self.metrics, Effect::Metrics, |st, cx| st
            .open(&mut cx, from, table));
    }

    /// Opens the live changes of `table` (its DynamoDB Stream).
    pub fn open_live(&mut self, table: Option<String>) {
        let from = self.screen;
        on_screen!(self.live, Effect::Live, |st, cx| st
            .open(&mut cx, from, table));
    }

    /// Once a second while the live screen follows a stream (its hot write
    /// window slides): true when what it shows changed.
    pub fn live_tick(&mut self) -> bool {
        on_screen!(self.live, Effect::Live, |st, cx| st.tick(&mut cx))
    }

    /// Opens the detail view on `item` of `table` (not from the items
    /// view); `esc` returns to the screen in front.
    fn show_item(&mut self, table: String, info: TableInfo, item: Item) {
        let mut decoder =
            crate::dynamo::entity::Decoder::new(&self.project.decode, info.table_keys());
        let class = decoder.classify(&item);
        let entity = class.entity.map(|e| decoder.entity_name(e).to_string());
        let key_fields = decoder.key_fields(&item, &class);
        self.detail = Some(DetailState {
            row: crate::app::tui::screens::items::Row { item, class },
            row_index: None,
            table,
            info: Some(info),
            entity,
            key_fields,
            show_types: false,
            raw_keys: false,
            scroll: 0,
            attr: 0,
            follow: false,
            back_to: Some(self.screen),
        });
        self.screen = Screen::Detail;
    }

    /// Opens a saved snapshot in the metrics view.
    pub fn open_snapshot(&mut self, snap: crate::metrics::snapshot::Snapshot) {
        let from = self.screen;
        on_screen!(self.metrics, Effect::Metrics, |st, cx| st
            .open_snapshot(&mut cx, from, snap));
    }

    /// The snapshot of what the metrics view shows now.
    pub fn metrics_snapshot(&self) -> Option<crate::metrics::snapshot::Snapshot> {
        self.metrics.snapshot_of(&self.ctx)
    }

    /// Auto-refresh of the metrics view: true when a refresh was started.
    pub fn metrics_tick(&mut self) -> bool {
        if self.screen != Screen::Metrics {
            return false;
        }
        on_screen!(self.metrics, Effect::Metrics, |st, cx| st.tick(&mut cx))
    }

    /// Forgets the metrics (another connection).
    pub(crate) fn reset_metrics(&mut self) {
        on_screen!(self.metrics, Effect::Metrics, |st, cx| st.reset(&mut cx));
    }

    fn items_action(&mut self, action: Action) {
        match action {
            Action::Edit
            | Action::EditDynamo
            | Action::NewItem
            | Action::Delete
            | Action::BulkSet => self.edit_action(action),
            Action::HistoryBack => self.items_history_step(true),
            Action::HistoryForward => self.items_history_step(false),
            _ => {
                on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
                    .on_action(&mut cx, action));
            }
        }
    }

    /// Opens the item under the items view's cursor.
    fn open_detail(&mut self) {
        let Some(items) = self.items.as_ref() else {
            return;
        };
        if let Some(row) = items.selected_row() {
            let c = row.class.clone();
            let entity = c.entity.map(|e| items.decoder.entity_name(e).to_string());
            let key_fields = items.decoder.key_fields(&row.item, &c);
            self.detail = Some(DetailState {
                row,
                row_index: items.selected_index(),
                table: items.table.clone(),
                info: items.info.clone(),
                entity,
                key_fields,
                show_types: false,
                raw_keys: items.raw_keys,
                scroll: 0,
                attr: 0,
                follow: false,
                back_to: None,
            });
            self.screen = Screen::Detail;
        }
    }

    /// Leaves the items view for where it was opened from (the tables
    /// list, the metrics, the patterns...), whose state is as it was left.
    fn close_items(&mut self) {
        self.items = None;
        self.items_history.clear();
        self.screen = self.items_from.take().unwrap_or(Screen::Tables);
        if self.screen == Screen::Tables && matches!(self.tables.list.state, Loadable::Idle) {
            self.load_tables();
        }
    }

    fn detail_action(&mut self, action: Action) {
        match action {
            Action::Edit
            | Action::EditDynamo
            | Action::NewItem
            | Action::Delete
            | Action::QuickEdit => self.edit_action(action),
            _ => {
                on_screen!(self.detail?, |e| match e {}, |st, cx| st
                    .on_action(&mut cx, action));
            }
        }
    }

    fn copy(&mut self, text: String, what: &str) {
        match self.clipboard.set(&text, what) {
            Ok(c) => {
                let level = if c.warn { Level::Warn } else { Level::Info };
                self.flash(level, c.message);
            }
            Err(e) => self.flash(Level::Error, format!("copy failed: {e}")),
        }
    }

    // ------------------------------------------------------------ text input

    fn on_input_key(&mut self, k: KeyEvent) {
        let Some(input) = self.input.take() else {
            return;
        };
        match input {
            Input::TablesFilter => {
                on_screen!(self.tables, Effect::Tables, |st, cx| st
                    .on_filter_key(&mut cx, &k));
            }
            Input::TextFilter => {
                on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
                    .on_text_filter_key(&mut cx, &k));
            }
            Input::ServerFilter { text, .. } => {
                on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
                    .on_server_filter_key(&mut cx, text, &k));
            }
            Input::PatternsFilter => {
                on_screen!(self.patterns, |e| match e {}, |st, cx| st
                    .on_filter_key(&mut cx, &k));
            }
            Input::PatternForm(form) => {
                on_screen!(self.patterns, |e| match e {}, |st, cx| st
                    .on_form_key(&mut cx, form, &k));
            }
            Input::Query(form) => {
                on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
                    .on_query_key(&mut cx, form, &k));
            }
            Input::Palette(p) => self.on_palette_key(p, &k),
            Input::BulkSet { text, .. } => {
                let front = self.front();
                on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |st, cx| st
                    .on_bulk_set_key(&mut cx, front, text, &k));
            }
            Input::QuickEdit { attr, text, .. } => {
                let front = self.front();
                on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |st, cx| st
                    .on_quick_edit_key(&mut cx, front, attr, text, &k));
            }
            Input::Unlock {
                table,
                confirm,
                then,
            } => {
                on_screen!(self.edit, |e| Effect::Edit(Box::new(e)), |_st, cx| {
                    EditState::on_unlock_key(&mut cx, table, confirm, then, &k)
                });
            }
            Input::Overwrite {
                path,
                table,
                confirm,
            } => {
                on_screen!(self.init, Effect::Init, |st, cx| st
                    .on_overwrite_key(&mut cx, path, table, confirm, &k));
            }
            Input::ContextsFilter => {
                on_screen!(self.contexts, Effect::Contexts, |st, cx| st
                    .on_filter_key(&mut cx, &k));
            }
            Input::AuditFilter => {
                on_screen!(self.audit, Effect::Audit, |st, cx| st
                    .on_filter_key(&mut cx, &k));
            }
            Input::LiveKeyFilter(text) => {
                on_screen!(self.live, Effect::Live, |st, cx| st
                    .on_filter_key(&mut cx, text, &k));
            }
            Input::ReadAll { estimate, confirm } => {
                on_screen!(self.items?, |e| Effect::Items(Box::new(e)), |st, cx| st
                    .on_read_all_key(&mut cx, estimate, confirm, &k));
            }
        }
    }
}

/// A key value typed as the key attribute's scalar type (S, N or B).
pub use crate::dynamo::pattern::typed_value;
