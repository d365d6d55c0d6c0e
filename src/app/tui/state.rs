//! The one owner of UI state. Terminal events and AWS results arrive as
//! [`Msg`]s; AWS calls run on spawned tasks that report back on a channel and
//! never touch this state. The latest request wins: every request carries an
//! id, replies with an older id are dropped and superseded tasks are aborted.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use crate::app::audit::AuditLog;
use crate::app::clipboard::Clipboard;
use crate::app::config::{Project, Settings};
use crate::app::editor::EditorRequest;
use crate::app::patterns::{PatternsState, RecentParams};
use crate::app::tui::cx::{Core, Cx, Viewport};
pub use crate::app::tui::cx::{Level, Screen, edit_line};
use crate::app::tui::effects::Effect;
pub use crate::app::tui::input::{Input, QueryForm};
use crate::app::tui::keymap::{Action, Mode};
pub use crate::app::tui::request::Loadable;
use crate::app::tui::request::ReqId;
use crate::app::tui::screens::audit::AuditState;
use crate::app::tui::screens::contexts::{ContextsState, is_expired_session};
use crate::app::tui::screens::edit::EditState;
use crate::app::tui::screens::metrics::MetricsState;
use crate::app::tui::screens::migrate::MigrateState;
use crate::app::tui::screens::seed::SeedState;
pub use crate::app::tui::screens::tables::TablesState;
use crate::app::tui::task::Deps;
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::compact::CompactItem;
use crate::dynamo::entity::{Classified, Decoder, EntityId, TableKeys};
use crate::dynamo::error::{AwsError, ConnContext};
use crate::dynamo::request::{
    Filter, ItemsRequest, RequestKind, SORT_OPS, SortCondition, SortText, query_of_text,
    shell_quote,
};
use crate::dynamo::{AttributeValue, Item, value};

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
    ($app:ident . $field:ident, $wrap:path, |$st:ident, $cx:ident| $body:expr) => {{
        let mut $cx = cx!($app);
        let $st = &mut $app.$field;
        let r = $body;
        let (fx, core) = ($cx.fx, $cx.core);
        $app.effects.extend(fx.into_iter().map($wrap));
        $app.apply_core(core);
        r
    }};
}

pub use crate::app::tui::msg::Msg;

/// A decoded item and its classification (rows on screen, the detail view).
#[derive(Debug, Clone)]
pub struct Row {
    pub item: Item,
    pub class: Classified,
}

/// A loaded item, held compactly, and its classification.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub data: CompactItem,
    pub class: Classified,
}

impl Loaded {
    /// The decoded item (empty, and logged, if the bytes were corrupt).
    pub fn item(&self) -> Item {
        self.data.decode().unwrap_or_else(|e| {
            tracing::error!("{e}");
            Item::new()
        })
    }

    pub fn row(&self) -> Row {
        Row {
            item: self.item(),
            class: self.class.clone(),
        }
    }
}

/// Totals over the pages of the current request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub pages: u32,
    pub count: u64,
    pub scanned: u64,
    pub consumed: f64,
    pub last_ms: u128,
}

/// Columns derived for a type: (type filter, rows in view, columns).
pub type DerivedColumns = (Option<EntityId>, usize, Vec<String>);

pub struct ItemsState {
    pub table: String,
    pub info: Option<TableInfo>,
    pub decoder: Decoder,
    pub request: ItemsRequest,
    /// Loaded items, compact: a decoded item costs ~5x its size.
    pub rows: Vec<Loaded>,
    /// Indices into `rows` that pass the text and type filters.
    pub view: Vec<usize>,
    /// LastEvaluatedKey of the last page; None with `done` = all loaded.
    pub next: Option<Item>,
    pub done: bool,
    /// The page in flight.
    pub page: crate::app::tui::request::Request<()>,
    pub error: Option<AwsError>,
    pub stats: Stats,
    pub selected: usize,
    pub text_filter: String,
    pub type_filter: Option<EntityId>,
    pub type_counts: BTreeMap<Option<EntityId>, usize>,
    pub show_index_keys: bool,
    pub raw_keys: bool,
    /// Keep-going target: load pages until this many rows are in view (G).
    pub want_rows: usize,
    /// The saved pattern that produced the request, if any.
    pub pattern: Option<String>,
    /// First visible row (kept by the view so scrolling is stable).
    pub offset: std::cell::Cell<usize>,
    /// Derived columns of the filtered type, cached by the view.
    pub derived_columns: std::cell::RefCell<Option<DerivedColumns>>,
    /// Marked rows (indices into `rows`) for bulk delete and bulk set.
    pub marks: BTreeSet<usize>,
    /// Keys (exact, as DynamoDB JSON) of items created or moved here from
    /// this view: a later page that holds them does not show them twice.
    pub local_keys: HashSet<String>,
}

impl ItemsState {
    fn new(table: String, info: Option<TableInfo>, app: &Settings, project: &Project) -> Self {
        let keys = info.as_ref().map(table_keys).unwrap_or_default();
        ItemsState {
            request: ItemsRequest {
                page_size: Some(app.ui.page_size),
                ..ItemsRequest::scan(table.clone())
            },
            table,
            info,
            decoder: Decoder::new(&project.decode, keys),
            rows: Vec::new(),
            view: Vec::new(),
            next: None,
            done: false,
            page: Default::default(),
            error: None,
            stats: Stats::default(),
            selected: 0,
            text_filter: String::new(),
            type_filter: None,
            type_counts: BTreeMap::new(),
            show_index_keys: app.ui.show_index_keys,
            raw_keys: false,
            want_rows: 0,
            pattern: None,
            offset: std::cell::Cell::new(0),
            derived_columns: std::cell::RefCell::new(None),
            marks: BTreeSet::new(),
            local_keys: HashSet::new(),
        }
    }

    /// True while a page is in flight.
    pub fn loading(&self) -> bool {
        self.page.is_loading()
    }

    /// The item under the cursor, decoded.
    pub fn selected_row(&self) -> Option<Row> {
        self.view
            .get(self.selected)
            .and_then(|i| self.rows.get(*i))
            .map(Loaded::row)
    }

    /// Type filter, then a case-insensitive text match on attribute names and
    /// values (searched in the compact bytes, without decoding).
    fn row_matches(&self, row: &Loaded, needle: &str) -> bool {
        if let Some(t) = self.type_filter
            && row.class.entity != Some(t)
        {
            return false;
        }
        needle.is_empty() || row.data.contains_ignore_case(needle)
    }

    /// Recomputes the view after a filter change.
    pub fn refilter(&mut self) {
        let needle = self.text_filter.clone();
        let view: Vec<usize> = (0..self.rows.len())
            .filter(|i| self.row_matches(&self.rows[*i], &needle))
            .collect();
        self.view = view;
        if self.selected >= self.view.len() {
            self.selected = self.view.len().saturating_sub(1);
        }
    }

    fn push_page(&mut self, items: Vec<Item>) {
        let needle = self.text_filter.clone();
        self.rows.reserve(items.len());
        for item in items {
            if !self.local_keys.is_empty()
                && self
                    .exact_key(&item)
                    .is_some_and(|k| self.local_keys.contains(&k))
            {
                // Created or moved here from this view: already shown.
                continue;
            }
            let class = self.decoder.classify(&item);
            *self.type_counts.entry(class.entity).or_default() += 1;
            let row = Loaded {
                data: CompactItem::encode(&item),
                class,
            };
            if self.row_matches(&row, &needle) {
                self.view.push(self.rows.len());
            }
            self.rows.push(row);
        }
    }

    /// The item's primary key as compact DynamoDB JSON (exact).
    pub fn exact_key(&self, item: &Item) -> Option<String> {
        let key = self.info.as_ref()?.key_of(item)?;
        Some(json_compact(&value::item_to_dynamo(&key)))
    }

    /// The index into `rows` of the row under the cursor.
    pub fn selected_index(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }

    fn loaded(&mut self, item: &Item) -> Loaded {
        Loaded {
            data: CompactItem::encode(item),
            class: self.decoder.classify(item),
        }
    }

    /// Replaces row `i` with `item` (as written).
    pub fn replace_row(&mut self, i: usize, item: &Item) {
        let row = self.loaded(item);
        if let Some(old) = self.rows.get_mut(i) {
            if let Some(n) = self.type_counts.get_mut(&old.class.entity) {
                *n = n.saturating_sub(1);
            }
            *self.type_counts.entry(row.class.entity).or_default() += 1;
            *old = row;
        }
        self.type_counts.retain(|_, n| *n > 0);
    }

    /// Removes row `i` (deleted), keeping marks and the cursor in place.
    pub fn remove_row(&mut self, i: usize) {
        if i >= self.rows.len() {
            return;
        }
        let old = self.rows.remove(i);
        if let Some(n) = self.type_counts.get_mut(&old.class.entity) {
            *n = n.saturating_sub(1);
        }
        self.type_counts.retain(|_, n| *n > 0);
        self.marks = std::mem::take(&mut self.marks)
            .into_iter()
            .filter(|m| *m != i)
            .map(|m| if m > i { m - 1 } else { m })
            .collect();
    }

    /// Inserts `item` as row `at` (created here), shifting marks.
    pub fn insert_row(&mut self, at: usize, item: &Item) {
        let at = at.min(self.rows.len());
        let row = self.loaded(item);
        *self.type_counts.entry(row.class.entity).or_default() += 1;
        self.rows.insert(at, row);
        self.marks = std::mem::take(&mut self.marks)
            .into_iter()
            .map(|m| if m >= at { m + 1 } else { m })
            .collect();
    }

    /// Puts the cursor on row `i` when it is in view.
    pub fn select_row(&mut self, i: usize) {
        if let Some(p) = self.view.iter().position(|r| *r == i) {
            self.selected = p;
        }
    }

    /// Entity types seen so far, for cycling the type filter.
    pub fn types(&self) -> Vec<EntityId> {
        self.type_counts.keys().filter_map(|k| *k).collect()
    }
}

fn table_keys(info: &TableInfo) -> TableKeys {
    TableKeys {
        pk: info.pk.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
        sk: info.sk.as_ref().map(|k| k.name.clone()),
        index_key_attrs: info.index_key_attrs(),
    }
}

pub struct DetailState {
    pub row: Row,
    /// The row of the items view it was opened from (index into `rows`).
    pub row_index: Option<usize>,
    pub table: String,
    pub info: Option<TableInfo>,
    pub entity: Option<String>,
    pub key_fields: Vec<(String, String)>,
    pub show_types: bool,
    pub raw_keys: bool,
    /// First line shown (kept by the view so the cursor stays on screen).
    pub scroll: std::cell::Cell<u16>,
    /// The selected top-level attribute (in the order shown).
    pub attr: usize,
    /// True after the cursor moved: the view scrolls to it.
    pub follow: std::cell::Cell<bool>,
}

impl DetailState {
    /// Top-level attribute names in the order shown: keys first, then sorted.
    pub fn attr_names(&self) -> Vec<String> {
        let keys = self
            .info
            .as_ref()
            .map(TableInfo::key_names)
            .unwrap_or_default();
        value::ordered_names(&self.row.item, &keys)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The name of the selected attribute.
    pub fn selected_attr(&self) -> Option<String> {
        let names = self.attr_names();
        names
            .get(self.attr.min(names.len().saturating_sub(1)))
            .cloned()
    }
}

pub struct App {
    pub settings: Settings,
    pub project: Project,
    pub ctx: ConnContext,
    pub(crate) db: Option<Dynamo>,
    tx: UnboundedSender<Msg>,
    pub screen: Screen,
    pub tables: TablesState,
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
    pub recent: RecentParams,
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
    pub export: Option<crate::app::tui::screens::export::ExportRun>,
    /// The action being run (set while a key's action runs).
    pub(crate) current_action: Option<Action>,
    /// The write that asked for a table to be unlocked: it runs once the
    /// name is typed.
    pub(crate) after_unlock: Option<Action>,
    next_id: u64,
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
            described: HashMap::new(),
            describing: HashMap::new(),
            effects: Vec::new(),
            viewport: Viewport::default(),
            items: None,
            detail: None,
            help: None,
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
            recent: RecentParams::default(),
            pending_pattern: None,
            read_only: false,
            unlocked: BTreeSet::new(),
            edit: EditState::default(),
            contexts: ContextsState::default(),
            audit: AuditState::default(),
            audit_log: AuditLog::default_log(),
            sso_expired: None,
            editor: None,
            export: None,
            current_action: None,
            after_unlock: None,
            next_id: 0,
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

    /// The client, when connected.
    pub(crate) fn db_handle(&self) -> Option<Dynamo> {
        self.db.clone()
    }

    /// Where spawned work reports back.
    pub(crate) fn sender(&self) -> UnboundedSender<Msg> {
        self.tx.clone()
    }

    pub(crate) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// True while any request is in flight (drives the spinner tick).
    pub fn busy(&self) -> bool {
        self.tables.busy()
            || matches!(self.metrics.data, Loadable::Loading)
            || self.seed.run.is_some()
            || self.migrate.run.is_some()
            || self.migrate.loading
            || self
                .seed
                .confirm
                .as_ref()
                .is_some_and(|c| c.reset && c.count.is_none())
            || self.items.as_ref().is_some_and(ItemsState::loading)
            || self.edit.busy()
            || self.export.is_some()
            || self.contexts.connecting.is_some()
            || self.audit.loading
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
                Core::Go(screen) => self.screen = screen,
                Core::OpenTable(t) => self.open_table(&t),
                Core::OpenItems {
                    table,
                    info,
                    request,
                    pattern,
                } => self.open_request(&table, info, request, pattern),
                Core::OpenPatternWhenDescribed {
                    table,
                    pattern,
                    values,
                } => self.pending_pattern = Some((table, pattern, values)),
                Core::ReloadTables => self.load_tables(),
                Core::RestartItems => self.restart_items(),
                Core::Editor(req) => self.editor = Some(*req),
                Core::Quit => self.should_quit = true,
            }
        }
    }

    /// Opens a table's items (describing it first when needed).
    pub fn open_table(&mut self, name: &str) {
        let info = self.described.get(name).and_then(|d| d.ready()).cloned();
        if info.is_none() {
            self.describe(name);
        }
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
        if let Some(id) = self.items.as_mut().and_then(|i| i.page.cancel()) {
            self.effects.push(Effect::Abort(id));
        }
        let mut st = ItemsState::new(table.to_string(), Some(info), &self.settings, &self.project);
        if request.page_size.is_none() {
            request.page_size = Some(self.settings.ui.page_size);
        }
        st.request = request;
        st.pattern = pattern;
        self.items = Some(st);
        self.detail = None;
        self.screen = Screen::Items;
        self.restart_items();
    }

    /// Shows items that are already loaded (no request), e.g. results
    /// produced elsewhere; also used by tests and benchmarks.
    pub fn show_loaded_items(&mut self, info: TableInfo, request: ItemsRequest, items: Vec<Item>) {
        let mut st = ItemsState::new(info.name.clone(), Some(info), &self.settings, &self.project);
        st.request = request;
        st.stats.count = items.len() as u64;
        st.stats.scanned = items.len() as u64;
        st.stats.pages = 1;
        st.push_page(items);
        st.done = true;
        self.items = Some(st);
        self.screen = Screen::Items;
    }

    /// Drops loaded rows and starts the current request from its first page.
    pub(crate) fn restart_items(&mut self) {
        let Some(items) = self.items.as_mut() else {
            return;
        };
        // The aborted request never answers: it no longer counts as loading.
        if let Some(id) = items.page.cancel() {
            self.effects.push(Effect::Abort(id));
        }
        items.rows.clear();
        items.view.clear();
        items.type_counts.clear();
        items.selected = 0;
        items.offset.set(0);
        items.next = None;
        items.done = false;
        items.error = None;
        items.stats = Stats::default();
        items.want_rows = 0;
        items.marks.clear();
        items.local_keys.clear();
        self.fetch_next_page();
    }

    /// Requests the page after the last one loaded, unless one is in flight.
    fn fetch_next_page(&mut self) {
        if self.db.is_none() {
            return;
        }
        let Some(items) = self.items.as_mut() else {
            return;
        };
        if items.loading() || items.done || items.info.is_none() {
            return;
        }
        let id = items.page.start().id;
        self.effects.push(Effect::FetchPage {
            id,
            request: items.request.clone(),
            start: items.next.clone(),
        });
    }

    /// Loads more when the cursor nears the end of what is loaded (or `G`
    /// asked for everything). A filter that matches nothing loaded does not
    /// by itself read the rest of the table.
    fn maybe_prefetch(&mut self) {
        let prefetch = self.settings.ui.prefetch_rows;
        let need = self.items.as_ref().is_some_and(|i| {
            !i.done
                && !i.loading()
                && i.error.is_none()
                && ((!i.view.is_empty() && i.selected + prefetch >= i.view.len())
                    || i.view.len() < i.want_rows)
        });
        if need {
            self.fetch_next_page();
        }
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
                on_screen!(self.tables, Effect::Tables, |st, cx| st.update(&mut cx, m))
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
                // The metrics view waiting for its table's description.
                if self.metrics.table.as_deref() == Some(name.as_str())
                    && matches!(self.metrics.data, Loadable::Loading)
                    && self.metrics.snapshot.is_none()
                {
                    match &err {
                        Some(e) => self.metrics.data = Loadable::Failed(e.clone()),
                        None => self.refresh_metrics(),
                    }
                }
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
                            items.decoder = Decoder::new(&self.project.decode, table_keys(&info));
                            items.info = Some(info.clone());
                        }
                        self.warn_unfit_patterns(&info);
                        if let Some((p, values)) = pending {
                            match self
                                .project
                                .pattern(&p)
                                .map(|sp| sp.pattern.compile(&name, &info, &values))
                            {
                                Some(Ok(req)) => {
                                    self.recent.remember(&p, &values);
                                    if let Some(items) = self.items.as_mut() {
                                        items.request = req;
                                        items.pattern = Some(p);
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
            Msg::Seed(m) => self.on_seed_msg(m),
            Msg::Migrate(m) => self.on_migrate_msg(m),
            Msg::Metrics(m) => self.on_metrics_msg(m),
            Msg::Edit(m) => self.on_edit_msg(*m),
            Msg::Edited(req, r) => {
                self.on_edited(*req, r);
                true
            }
            Msg::Connected(id, r) => self.on_connected(id, *r),
            Msg::Audit(m) => self.on_audit_msg(m),
            Msg::Exported(id, r) => self.on_exported(id, r),
            Msg::Page(id, r) => {
                let Some(items) = self.items.as_mut() else {
                    return false;
                };
                if !items.page.accept(id) {
                    // A stale page of a superseded request.
                    return false;
                }
                let failed = r.as_ref().err().cloned();
                if r.is_ok() {
                    self.sso_expired = None;
                }
                match r {
                    Ok(page) => {
                        items.stats.pages += 1;
                        items.stats.count += page.count.max(0) as u64;
                        items.stats.scanned += page.scanned.max(0) as u64;
                        items.stats.consumed += page.consumed.unwrap_or(0.0);
                        items.stats.last_ms = page.elapsed.as_millis();
                        items.done = page.next.is_none();
                        items.next = page.next;
                        items.push_page(page.items);
                    }
                    Err(e) => items.error = Some(e),
                }
                if let Some(e) = failed {
                    self.note_error(&e);
                }
                self.maybe_prefetch();
                true
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
            if let Some(r) = &self.seed.run
                && !r.stop.load(std::sync::atomic::Ordering::Relaxed)
            {
                r.stop.store(true, std::sync::atomic::Ordering::Relaxed);
                self.flash(
                    Level::Warn,
                    "stopping after the batches in flight… (ctrl-c again quits)",
                );
                return;
            }
            // The same for a migration (it resumes when run again).
            if self.stop_migration() {
                self.flash(
                    Level::Warn,
                    "stopping the migration after the pages in flight… (ctrl-c again quits)",
                );
                return;
            }
            self.should_quit = true;
            return;
        }
        if self.screen == Screen::Seed && self.seed.confirm.is_some() {
            self.on_seed_confirm_key(&k);
            return;
        }
        if self.screen == Screen::Migrate && self.migrate.confirm.is_some() {
            self.on_migrate_confirm_key(&k);
            return;
        }
        if self.edit.modal.is_some() {
            self.on_edit_modal_key(&k);
            return;
        }
        if self.input.is_some() {
            self.on_input_key(k);
            return;
        }
        self.flash = None;
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
                Action::Help => self.help = Some(0),
                _ => {}
            }
            return;
        }
        self.current_action = Some(action);
        self.run_action(action);
        self.current_action = None;
    }

    /// Runs a key's action on the screen in front.
    pub(crate) fn run_action(&mut self, action: Action) {
        match action {
            Action::Quit => {
                // A running migration is stopped first; quitting again leaves.
                if self.stop_migration() {
                    self.flash(
                        Level::Warn,
                        "stopping the migration after the pages in flight… (quit again to leave now)",
                    );
                } else {
                    self.should_quit = true;
                }
            }
            Action::Help => self.help = Some(0),
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
                Screen::Seed => self.seed_action(action),
                Screen::Migrate => self.migrate_action(action),
                Screen::Metrics => self.metrics_action(action),
                Screen::Contexts => self.contexts_action(action),
                Screen::Audit => self.audit_action(action),
            },
        }
    }

    fn page_rows(&self) -> usize {
        self.viewport.rows.max(1)
    }

    /// The list in front got another height: keep its selection in view.
    fn on_viewport(&mut self) {
        let rows = self.viewport.rows;
        match self.screen {
            Screen::Tables => self.tables.nav.cursor.follow(rows),
            _ => {}
        }
    }

    fn tables_action(&mut self, action: Action) {
        on_screen!(self.tables, Effect::Tables, |st, cx| st
            .on_action(&mut cx, action));
    }

    fn items_action(&mut self, action: Action) {
        let page = self.page_rows();
        let Some(items) = self.items.as_mut() else {
            return;
        };
        let n = items.view.len();
        match action {
            Action::Down => items.selected = (items.selected + 1).min(n.saturating_sub(1)),
            Action::Up => items.selected = items.selected.saturating_sub(1),
            Action::PageDown => items.selected = (items.selected + page).min(n.saturating_sub(1)),
            Action::PageUp => items.selected = items.selected.saturating_sub(page),
            Action::Top => items.selected = 0,
            Action::Bottom => {
                items.selected = n.saturating_sub(1);
                // Keep loading pages to the real bottom.
                items.want_rows = usize::MAX;
            }
            Action::Back if !items.marks.is_empty() => {
                let n = items.marks.len();
                items.marks.clear();
                self.flash(
                    Level::Info,
                    format!("{n} mark{} cleared", if n == 1 { "" } else { "s" }),
                );
            }
            Action::Back => {
                if items.type_filter.is_some() || !items.text_filter.is_empty() {
                    items.type_filter = None;
                    items.text_filter.clear();
                    items.refilter();
                } else {
                    if let Some(id) = items.page.cancel() {
                        self.effects.push(Effect::Abort(id));
                    }
                    self.items = None;
                    self.screen = Screen::Tables;
                    if matches!(self.tables.list.state, Loadable::Idle) {
                        self.load_tables();
                    }
                    return;
                }
            }
            Action::Open => {
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
                        scroll: std::cell::Cell::new(0),
                        attr: 0,
                        follow: std::cell::Cell::new(false),
                    });
                    self.screen = Screen::Detail;
                }
            }
            Action::Refresh => {
                self.restart_items();
                return;
            }
            Action::Filter => self.input = Some(Input::TextFilter),
            Action::ServerFilter => {
                let text = items
                    .request
                    .filter
                    .as_ref()
                    .map(|f| f.source.clone())
                    .unwrap_or_default();
                self.input = Some(Input::ServerFilter { text, error: None });
            }
            Action::Query => {
                let form = QueryForm {
                    field: 1,
                    ..self.query_form_from_request()
                };
                self.input = Some(Input::Query(form));
            }
            Action::Scan => {
                let Some(items) = self.items.as_mut() else {
                    return;
                };
                items.request.kind = RequestKind::Scan;
                items.request.index = None;
                items.request.projection.clear();
                items.pattern = None;
                self.restart_items();
                return;
            }
            Action::NextType | Action::PrevType => {
                let types = items.types();
                if types.is_empty() {
                    return;
                }
                let pos = items
                    .type_filter
                    .and_then(|t| types.iter().position(|x| *x == t));
                items.type_filter = match (action, pos) {
                    (Action::NextType, None) => types.first().copied(),
                    (Action::NextType, Some(p)) => types.get(p + 1).copied(),
                    (_, None) => types.last().copied(),
                    (_, Some(0)) => None,
                    (_, Some(p)) => types.get(p - 1).copied(),
                };
                items.selected = 0;
                items.refilter();
            }
            Action::CopyRequestCli => {
                let text = items.request.to_cli(&self.ctx);
                self.copy(text, "request as an aws dynamodb command");
                return;
            }
            Action::CopyRequestJson => {
                let text = json_pretty(&items.request.to_json_request());
                self.copy(text, "request as JSON");
                return;
            }
            Action::ToggleIndexKeys => items.show_index_keys = !items.show_index_keys,
            Action::ToggleRawKeys => items.raw_keys = !items.raw_keys,
            Action::CopyJson => {
                if let Some(row) = items.selected_row() {
                    let text = json_pretty(&value::item_to_plain(&row.item));
                    self.copy(text, "item as JSON");
                }
                return;
            }
            Action::Mark => {
                if let Some(i) = items.selected_index() {
                    if !items.marks.remove(&i) {
                        items.marks.insert(i);
                    }
                    items.selected = (items.selected + 1).min(n.saturating_sub(1));
                }
            }
            Action::ClearMarks => items.marks.clear(),
            Action::Edit => return self.start_edit(crate::dynamo::edit::EditFormat::Plain),
            Action::EditDynamo => return self.start_edit(crate::dynamo::edit::EditFormat::Dynamo),
            Action::NewItem => return self.start_new(),
            Action::Delete => return self.start_delete(),
            Action::BulkSet => return self.start_bulk_set(),
            _ => {}
        }
        self.maybe_prefetch();
    }

    fn query_form_from_request(&self) -> QueryForm {
        let Some(items) = self.items.as_ref() else {
            return QueryForm::default();
        };
        let mut f = QueryForm::default();
        if let Some(info) = &items.info {
            f.index = items
                .request
                .index
                .as_ref()
                .and_then(|n| info.indexes.iter().position(|i| &i.name == n))
                .map(|p| p + 1)
                .unwrap_or(0);
        }
        if let RequestKind::Query { pk, sort, .. } = &items.request.kind {
            f.pk = plain_text(pk);
            if let Some((_, c)) = sort {
                f.sk_op = SORT_OPS.iter().position(|o| *o == c.op()).unwrap_or(0);
                match c {
                    SortCondition::Between(a, b) => {
                        f.sk = plain_text(a);
                        f.sk2 = plain_text(b);
                    }
                    SortCondition::Eq(a)
                    | SortCondition::Lt(a)
                    | SortCondition::Le(a)
                    | SortCondition::Gt(a)
                    | SortCondition::Ge(a)
                    | SortCondition::BeginsWith(a) => f.sk = plain_text(a),
                }
            } else {
                f.sk_op = SORT_OPS
                    .iter()
                    .position(|o| *o == "begins_with")
                    .unwrap_or(0);
            }
        } else {
            // Prefill the selected item's partition key: the common next step.
            f.sk_op = SORT_OPS
                .iter()
                .position(|o| *o == "begins_with")
                .unwrap_or(0);
            if let (Some(row), Some(info)) = (items.selected_row(), &items.info)
                && let Some(pk) = info.pk.as_ref().and_then(|k| row.item.get(&k.name))
            {
                f.pk = plain_text(pk);
            }
        }
        f.filter = items
            .request
            .filter
            .as_ref()
            .map(|f| f.source.clone())
            .unwrap_or_default();
        f.descending = !items.request.forward;
        f
    }

    fn detail_action(&mut self, action: Action) {
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let last = d.row.item.len().saturating_sub(1);
        let move_to = |d: &mut DetailState, to: usize| {
            d.attr = to.min(last);
            d.follow.set(true);
        };
        match action {
            Action::Down => move_to(d, d.attr + 1),
            Action::Up => move_to(d, d.attr.saturating_sub(1)),
            // Pages scroll the lines (a long attribute reads to its end).
            Action::PageDown => {
                d.follow.set(false);
                d.scroll.set(d.scroll.get().saturating_add(20));
            }
            Action::PageUp => {
                d.follow.set(false);
                d.scroll.set(d.scroll.get().saturating_sub(20));
            }
            Action::Top => move_to(d, 0),
            Action::Bottom => move_to(d, last),
            Action::Edit => self.start_edit(crate::dynamo::edit::EditFormat::Plain),
            Action::EditDynamo => self.start_edit(crate::dynamo::edit::EditFormat::Dynamo),
            Action::NewItem => self.start_new(),
            Action::Delete => self.start_delete(),
            Action::QuickEdit => self.start_quick_edit(),
            Action::ToggleTypes => d.show_types = !d.show_types,
            Action::ToggleRawKeys => d.raw_keys = !d.raw_keys,
            Action::Back => {
                self.detail = None;
                self.screen = Screen::Items;
            }
            Action::CopyJson => {
                let text = json_pretty(&value::item_to_plain(&d.row.item));
                self.copy(text, "item as JSON");
            }
            Action::CopyDynamoJson => {
                let text = json_pretty(&value::item_to_dynamo(&d.row.item));
                self.copy(text, "item as DynamoDB JSON");
            }
            Action::CopyKey => match d.info.as_ref().and_then(|i| i.key_of(&d.row.item)) {
                Some(key) => {
                    let text = json_compact(&value::item_to_dynamo(&key));
                    self.copy(text, "key");
                }
                None => self.flash(Level::Warn, "this item has no complete primary key"),
            },
            Action::CopyCli => match d.info.as_ref().and_then(|i| i.key_of(&d.row.item)) {
                Some(key) => {
                    let text = get_item_command(&d.table, &key, &self.ctx);
                    self.copy(text, "aws dynamodb get-item command");
                }
                None => self.flash(Level::Warn, "this item has no complete primary key"),
            },
            _ => {}
        }
    }

    fn copy(&mut self, text: String, what: &str) {
        match self.clipboard.set(&text) {
            Ok(how) => self.flash(Level::Info, format!("copied {what} ({how})")),
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
                let Some(items) = self.items.as_mut() else {
                    return;
                };
                if edit_line(&mut items.text_filter, &k) {
                    items.selected = 0;
                    items.refilter();
                }
                match k.code {
                    KeyCode::Enter => {}
                    KeyCode::Esc => {
                        items.text_filter.clear();
                        items.refilter();
                    }
                    _ => self.input = Some(Input::TextFilter),
                }
            }
            Input::ServerFilter { mut text, .. } => match k.code {
                KeyCode::Esc => {}
                KeyCode::Enter => {
                    let parsed = if text.trim().is_empty() {
                        Ok(None)
                    } else {
                        Filter::parse(&text).map(Some)
                    };
                    match parsed {
                        Ok(f) => {
                            if let Some(items) = self.items.as_mut() {
                                items.request.filter = f;
                            }
                            self.restart_items();
                        }
                        Err(e) => {
                            self.input = Some(Input::ServerFilter {
                                text,
                                error: Some(e),
                            })
                        }
                    }
                }
                _ => {
                    edit_line(&mut text, &k);
                    self.input = Some(Input::ServerFilter { text, error: None });
                }
            },
            Input::PatternsFilter => {
                if edit_line(&mut self.patterns.filter, &k) {
                    self.patterns.selected = 0;
                }
                match k.code {
                    KeyCode::Enter => {}
                    KeyCode::Esc => {
                        self.patterns.filter.clear();
                        self.patterns.selected = 0;
                    }
                    _ => self.input = Some(Input::PatternsFilter),
                }
            }
            Input::PatternForm(form) => self.on_pattern_form_key(form, &k),
            Input::Query(mut form) => match k.code {
                KeyCode::Esc => {}
                KeyCode::Enter => match self.build_query(&form) {
                    Ok(req) => {
                        if let Some(items) = self.items.as_mut() {
                            items.request = req;
                            items.pattern = None;
                        }
                        self.restart_items();
                    }
                    Err(e) => {
                        form.error = Some(e);
                        self.input = Some(Input::Query(form));
                    }
                },
                _ => {
                    self.edit_query_form(&mut form, &k);
                    self.input = Some(Input::Query(form));
                }
            },
            Input::Palette(p) => self.on_palette_key(p, &k),
            Input::BulkSet { text, .. } => self.on_bulk_set_key(text, &k),
            Input::QuickEdit { attr, text, .. } => self.on_quick_edit_key(attr, text, &k),
            Input::Unlock { table, typed, .. } => self.on_unlock_key(table, typed, &k),
            Input::ContextsFilter => self.on_contexts_filter_key(&k),
            Input::AuditFilter => self.on_audit_filter_key(&k),
        }
    }

    fn index_names(&self) -> Vec<String> {
        let mut v = vec!["(table)".to_string()];
        if let Some(info) = self.items.as_ref().and_then(|i| i.info.as_ref()) {
            v.extend(info.indexes.iter().map(|i| i.name.clone()));
        }
        v
    }

    fn edit_query_form(&self, form: &mut QueryForm, k: &KeyEvent) {
        form.error = None;
        let n_indexes = self.index_names().len();
        match k.code {
            KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % QueryForm::FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => {
                form.field = (form.field + QueryForm::FIELDS.len() - 1) % QueryForm::FIELDS.len()
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if matches!(form.field, 0 | 2 | 6) =>
            {
                let fwd = k.code != KeyCode::Left;
                match form.field {
                    0 => form.index = cycle(form.index, n_indexes, fwd),
                    2 => form.sk_op = cycle(form.sk_op, SORT_OPS.len() + 1, fwd),
                    _ => form.descending = !form.descending,
                }
            }
            _ => {
                let target = match form.field {
                    1 => Some(&mut form.pk),
                    3 => Some(&mut form.sk),
                    4 => Some(&mut form.sk2),
                    5 => Some(&mut form.filter),
                    _ => None,
                };
                if let Some(t) = target {
                    edit_line(t, k);
                }
            }
        }
    }

    /// Turns the query form into a request, checking values against key types.
    pub fn build_query(&self, form: &QueryForm) -> Result<ItemsRequest, String> {
        let items = self.items.as_ref().ok_or("no table open")?;
        let info = items
            .info
            .as_ref()
            .ok_or("the table is still being described")?;
        let names = self.index_names();
        let index = (form.index > 0).then(|| names[form.index].clone());
        let mut req = ItemsRequest {
            index: index.clone(),
            page_size: Some(self.settings.ui.page_size),
            forward: !form.descending,
            filter: if form.filter.trim().is_empty() {
                None
            } else {
                Some(Filter::parse(&form.filter).map_err(|e| format!("filter: {e}"))?)
            },
            ..ItemsRequest::scan(items.table.clone())
        };
        if form.pk.is_empty() {
            // No partition key: a scan of the table or index, said plainly.
            return Ok(req);
        }
        let sort = (form.sk_op < SORT_OPS.len() && !form.sk.is_empty()).then(|| SortText {
            op: SORT_OPS[form.sk_op],
            value: &form.sk,
            and: Some(form.sk2.as_str()),
        });
        req.kind = query_of_text(info, index.as_deref(), &form.pk, sort).map_err(|e| {
            if e.ends_with("has no sort key") {
                format!("{e}; clear the sort key field")
            } else if e == "between needs a second value" {
                "between needs a second value (…and)".to_string()
            } else {
                e
            }
        })?;
        Ok(req)
    }
}

fn cycle(i: usize, n: usize, fwd: bool) -> usize {
    if n == 0 {
        0
    } else if fwd {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }
}

/// A key value typed as the key attribute's scalar type (S, N or B).
pub use crate::dynamo::pattern::typed_value;

fn plain_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        other => value::cell_text(other, 200),
    }
}

pub fn json_pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub fn json_compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A ready `aws dynamodb get-item` command line for a key.
pub fn get_item_command(table: &str, key: &Item, ctx: &ConnContext) -> String {
    let key_json = json_compact(&value::item_to_dynamo(key));
    let mut cmd = format!(
        "aws dynamodb get-item --table-name {} --key {}",
        shell_quote(table),
        shell_quote(&key_json)
    );
    if let Some(r) = &ctx.region {
        cmd.push_str(&format!(" --region {}", shell_quote(r)));
    }
    if let Some(p) = &ctx.profile {
        cmd.push_str(&format!(" --profile {}", shell_quote(p)));
    }
    if let Some(e) = &ctx.endpoint {
        cmd.push_str(&format!(" --endpoint-url {}", shell_quote(e)));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("orders"), "orders");
        assert_eq!(shell_quote("{\"a\":1}"), "'{\"a\":1}'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn get_item_command_is_complete() {
        let key = Item::from([
            ("PK".to_string(), AttributeValue::S("CUSTOMER#1".into())),
            ("SK".to_string(), AttributeValue::S("O'Brien".into())),
        ]);
        let ctx = ConnContext {
            profile: Some("dev".into()),
            region: Some("eu-west-1".into()),
            endpoint: Some("http://127.0.0.1:8000".into()),
        };
        assert_eq!(
            get_item_command("shop", &key, &ctx),
            "aws dynamodb get-item --table-name shop --key '{\"PK\":{\"S\":\"CUSTOMER#1\"},\"SK\":{\"S\":\"O'\\''Brien\"}}' --region eu-west-1 --profile dev --endpoint-url http://127.0.0.1:8000"
        );
    }

    #[test]
    fn typed_values_follow_key_types() {
        assert_eq!(typed_value("42", "N"), Ok(AttributeValue::N("42".into())));
        assert!(typed_value("4x", "N").is_err());
        assert_eq!(typed_value("42", "S"), Ok(AttributeValue::S("42".into())));
        assert!(typed_value("!!", "B").is_err());
    }
}
