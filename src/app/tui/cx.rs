//! What a screen gets to work with: a small context ([`Cx`]) instead of the
//! whole application.
//!
//! A screen's update reads the settings, the project, the connection and
//! the table descriptions known so far, may open a text input, show a flash
//! message or copy to the clipboard, and asks for everything else as data:
//! its own effects (`Cx::fx`, run by the effect runner, whose results come
//! back as the screen's messages) and requests to the application
//! ([`Core`]: abort a request, describe a table, switch screens, open the
//! editor, ...). Screens never see each other's state.

use std::collections::{BTreeSet, HashMap};

use crate::app::clipboard::Clipboard;
use crate::app::config::{Project, Settings};
use crate::app::editor::EditorRequest;
use crate::app::tui::input::Input;
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{Loadable, ReqId, Request};
use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::edit::Change;
use crate::dynamo::error::ConnContext;
use crate::dynamo::request::ItemsRequest;

/// Severity of a status-bar message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Which screen is in front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Tables,
    Items,
    Detail,
    Patterns,
    Seed,
    Migrate,
    Metrics,
    /// AWS profiles to switch to (`:ctx`).
    Contexts,
    /// The latest writes from the audit log (`:audit`).
    Audit,
    /// A table's changes as they happen (its DynamoDB Stream, `:tail`).
    Live,
}

/// What the last frame showed: rows visible in the list of the screen in
/// front (reported by rendering, so paging and prefetch use the real height).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub rows: usize,
    /// The first line shown of a scrolled text (the detail view).
    pub scroll: usize,
}

impl Default for Viewport {
    /// Before the first frame: a typical terminal.
    fn default() -> Self {
        Viewport {
            rows: 20,
            scroll: 0,
        }
    }
}

/// Requests from a screen to the application.
#[derive(Debug, Clone)]
pub enum Core {
    /// Abort the task of a superseded or abandoned request.
    Abort(ReqId),
    /// Describe a table (cached; screens learn the answer through
    /// [`Cx::described`] and their `described` hook).
    Describe(String),
    /// Forget the descriptions (`r` on the tables list reads them again).
    ForgetDescriptions,
    /// Forget one table's description (it changed: a stream was enabled).
    ForgetDescription(String),
    /// Open the detail view on an item that is not in the items view (a
    /// change's image); `esc` returns to the screen in front.
    ShowItem {
        table: String,
        info: Box<TableInfo>,
        item: Box<Item>,
    },
    /// Hot write key alerts measured on a table's stream (the metrics view
    /// shows them beside its own).
    LiveAlerts {
        table: String,
        alerts: Vec<crate::metrics::alerts::Alert>,
    },
    /// Bring a screen to the front.
    Go(Screen),
    /// Open a table's items (describing it first when needed).
    OpenTable(String),
    /// Open the items view on a request (a pattern's, a hot key's, ...).
    OpenItems {
        table: String,
        info: Box<TableInfo>,
        request: Box<ItemsRequest>,
        pattern: Option<String>,
    },
    /// Open a pattern's items once its table is described: (table,
    /// pattern, parameter values).
    OpenPatternWhenDescribed {
        table: String,
        pattern: String,
        values: std::collections::BTreeMap<String, String>,
    },
    /// Open the item under the items view's cursor.
    OpenDetail,
    /// Close the detail view.
    CloseDetail,
    /// Leave the items view for the tables list.
    CloseItems,
    /// Allow writes to a protected table for the session.
    Unlock(String),
    /// Run a key's action (the write that waited for an unlock).
    RunAction(Action),
    /// Show a write in the items and detail views.
    ApplyWrite {
        info: Box<TableInfo>,
        change: Box<Change>,
        /// The item as written (None: deleted).
        written: Option<Box<Item>>,
        /// Its row in the items view, when known.
        row: Option<usize>,
    },
    /// Show bulk writes in the items view: (item as read, as written).
    ApplyBulk {
        info: Box<TableInfo>,
        written: Vec<(Item, Option<Item>)>,
    },
    /// Load the tables list (again).
    ReloadTables,
    /// Run the items view's request again from its first page.
    RestartItems,
    /// Edit text in `$EDITOR` (the event loop suspends the terminal).
    Editor(Box<EditorRequest>),
    /// Leave dyntui.
    Quit,
    /// Use a new connection (another profile, region or endpoint, or the
    /// same one signed in again). With `true` the screen in front stays and
    /// its request runs again; otherwise the new context's tables list opens.
    Install(Box<crate::dynamo::client::Dynamo>, bool),
}

/// The context a screen's update gets. `E` is the screen's own effect type.
pub struct Cx<'a, E> {
    pub settings: &'a Settings,
    pub project: &'a Project,
    pub conn: &'a ConnContext,
    /// A client exists (connected, or at least configured).
    pub online: bool,
    /// `--read-only`: no writes this session.
    pub read_only: bool,
    /// Protected tables unlocked for this session.
    pub unlocked: &'a BTreeSet<String>,
    /// Table descriptions asked for so far.
    pub described: &'a HashMap<String, Loadable<TableInfo>>,
    /// Rows visible in the list of the screen in front.
    pub viewport: Viewport,
    /// The text input that is open (one at a time, drawn over the screen).
    pub input: &'a mut Option<Input>,
    pub flash: &'a mut Option<(Level, String)>,
    pub clipboard: &'a mut Clipboard,
    /// The screen's effects, in order.
    pub fx: Vec<E>,
    /// Requests to the application, in order.
    pub core: Vec<Core>,
}

impl<E> Cx<'_, E> {
    pub fn flash(&mut self, level: Level, text: impl Into<String>) {
        *self.flash = Some((level, text.into()));
    }

    /// Asks for an effect.
    pub fn effect(&mut self, e: E) {
        self.fx.push(e);
    }

    /// Asks the application for something.
    pub fn core(&mut self, c: Core) {
        self.core.push(c);
    }

    /// Starts `r` (the attempt it supersedes is aborted) and asks for the
    /// effect `make` builds with the new id.
    pub fn start<T, X>(&mut self, r: &mut Request<T, X>, make: impl FnOnce(ReqId) -> E) -> ReqId {
        let s = r.start();
        self.launch(s, make)
    }

    /// Like [`Cx::start`], keeping the value on show until the answer.
    pub fn refresh<T, X>(&mut self, r: &mut Request<T, X>, make: impl FnOnce(ReqId) -> E) -> ReqId {
        let s = r.refresh();
        self.launch(s, make)
    }

    fn launch(
        &mut self,
        s: crate::app::tui::request::Started,
        make: impl FnOnce(ReqId) -> E,
    ) -> ReqId {
        if let Some(old) = s.superseded {
            self.core.push(Core::Abort(old));
        }
        self.fx.push(make(s.id));
        s.id
    }

    /// Cancels `r`'s attempt in flight (its task is aborted).
    pub fn cancel<T, X>(&mut self, r: &mut Request<T, X>) {
        if let Some(id) = r.cancel() {
            self.core.push(Core::Abort(id));
        }
    }

    /// The description of `table`, when known.
    pub fn info(&self, table: &str) -> Option<&TableInfo> {
        self.described.get(table).and_then(Loadable::ready)
    }

    /// Copies text, saying where it went (or why nothing was sent).
    pub fn copy(&mut self, text: String, what: &str) {
        match self.clipboard.set(&text, what) {
            Ok(c) => {
                let level = if c.warn { Level::Warn } else { Level::Info };
                self.flash(level, c.message);
            }
            Err(e) => self.flash(Level::Error, format!("copy failed: {e}")),
        }
    }

    /// Rows a page key moves (the list's visible height).
    pub fn page_rows(&self) -> usize {
        self.viewport.rows.max(1)
    }
}

/// Test support: a context over owned parts, for unit tests of screens
/// (no DynamoDB Local, no tokio runtime).
#[cfg(test)]
pub mod testing {
    use super::*;

    /// A table named `name` keyed by string `PK` and `SK` (the shape of
    /// single-table designs), as DescribeTable gives it.
    pub fn keyed_table(name: &str) -> TableInfo {
        use crate::dynamo::client::{KeyDef, KeyKind};
        let key = |n: &str| KeyDef {
            name: n.into(),
            kind: Some(KeyKind::S),
        };
        TableInfo {
            name: name.into(),
            pk: Some(key("PK")),
            sk: Some(key("SK")),
            ..TableInfo::default()
        }
    }

    /// Owned parts a [`Cx`] borrows from.
    pub struct Parts {
        pub settings: Settings,
        pub project: Project,
        pub conn: ConnContext,
        pub unlocked: BTreeSet<String>,
        pub described: HashMap<String, Loadable<TableInfo>>,
        pub input: Option<Input>,
        pub flash: Option<(Level, String)>,
        pub clipboard: Clipboard,
        pub read_only: bool,
        pub viewport: Viewport,
    }

    impl Default for Parts {
        fn default() -> Self {
            Parts::new()
        }
    }

    impl Parts {
        pub fn new() -> Parts {
            Parts {
                settings: Settings::defaults().unwrap_or_else(|e| panic!("{e}")),
                project: Project::default(),
                conn: ConnContext::default(),
                unlocked: BTreeSet::new(),
                described: HashMap::new(),
                input: None,
                flash: None,
                clipboard: Clipboard::Memory(Vec::new()),
                read_only: false,
                viewport: Viewport::default(),
            }
        }

        pub fn cx<E>(&mut self) -> Cx<'_, E> {
            Cx {
                settings: &self.settings,
                project: &self.project,
                conn: &self.conn,
                online: true,
                read_only: self.read_only,
                unlocked: &self.unlocked,
                described: &self.described,
                viewport: self.viewport,
                input: &mut self.input,
                flash: &mut self.flash,
                clipboard: &mut self.clipboard,
                fx: Vec::new(),
                core: Vec::new(),
            }
        }
    }
}
