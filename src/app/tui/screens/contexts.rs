//! Contexts: switching AWS profile, region or endpoint inside the TUI
//! (`:ctx`, `:region`, `:endpoint`), and connecting again after an expired
//! SSO session (`:reconnect`) without losing the view or its request.
//!
//! A new connection is built on a task (aws-config may read files and SSO
//! caches) and arrives as [`Msg::Connected`]; the old client keeps serving
//! until then. Switching context goes back to the tables list of the new
//! one (a table name seldom means the same table elsewhere); reconnecting
//! to the same context keeps the screen and re-runs what was showing.

use crate::app::contexts::Profile;
use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Input, Level, Msg, Screen, edit_line};
use crate::dynamo::client::{ConnectOptions, Dynamo, Timeouts};
use crate::dynamo::error::{AwsError, ConnContext};
use crossterm::event::{KeyCode, KeyEvent};

/// The contexts list and a connection in progress.
#[derive(Debug, Default)]
pub struct ContextsState {
    pub profiles: Vec<Profile>,
    pub selected: usize,
    pub filter: String,
    /// A connection in progress: (request id, keep the current view).
    pub connecting: Option<(u64, bool)>,
    /// What the connection in progress is to.
    pub target: Option<ConnContext>,
    /// Where `esc` returns to.
    pub back_to: Option<Screen>,
    /// The request timeouts of every connection (from the command line).
    pub timeouts: Timeouts,
}

impl ContextsState {
    /// Profiles matching the filter (case-insensitive substring).
    pub fn visible(&self) -> Vec<&Profile> {
        let f = self.filter.to_lowercase();
        self.profiles
            .iter()
            .filter(|p| f.is_empty() || p.name.to_lowercase().contains(&f))
            .collect()
    }
}

/// True for errors that mean the SSO (or STS) session has expired.
pub fn is_expired_session(e: &AwsError) -> bool {
    matches!(
        e.code.as_str(),
        "ExpiredToken" | "ExpiredTokenException" | "UnauthorizedException"
    ) || (e.code == "NoCredentials" && e.message.to_ascii_lowercase().contains("expired"))
}

impl App {
    /// Opens the list of AWS profiles.
    pub fn open_contexts(&mut self) {
        self.contexts.profiles = crate::app::contexts::profiles();
        self.contexts.selected = self
            .contexts
            .profiles
            .iter()
            .position(|p| Some(&p.name) == self.ctx.profile.as_ref())
            .unwrap_or(0);
        if self.screen != Screen::Contexts {
            self.contexts.back_to = Some(self.screen);
        }
        self.screen = Screen::Contexts;
        if self.contexts.profiles.is_empty() {
            self.flash(
                Level::Warn,
                "no profiles in ~/.aws/config or ~/.aws/credentials (AWS_CONFIG_FILE)",
            );
        }
    }

    pub(crate) fn contexts_action(&mut self, action: Action) {
        let n = self.contexts.visible().len();
        let sel = &mut self.contexts.selected;
        match action {
            Action::Down => *sel = (*sel + 1).min(n.saturating_sub(1)),
            Action::Up => *sel = sel.saturating_sub(1),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = n.saturating_sub(1),
            Action::Filter => self.input = Some(Input::ContextsFilter),
            Action::Back if !self.contexts.filter.is_empty() => {
                self.contexts.filter.clear();
                self.contexts.selected = 0;
            }
            Action::Back => {
                self.screen = self.contexts.back_to.take().unwrap_or(Screen::Tables);
            }
            Action::Open => {
                let at = *sel;
                if let Some(p) = self.contexts.visible().get(at).map(|p| p.name.clone()) {
                    self.switch_profile(&p);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_contexts_filter_key(&mut self, k: &KeyEvent) {
        if edit_line(&mut self.contexts.filter, k) {
            self.contexts.selected = 0;
        }
        match k.code {
            KeyCode::Enter => {}
            KeyCode::Esc => self.contexts.filter.clear(),
            _ => self.input = Some(Input::ContextsFilter),
        }
    }

    /// Connects with another profile (its own region, unless it has none).
    pub fn switch_profile(&mut self, profile: &str) {
        if !self.contexts.profiles.iter().any(|p| p.name == profile) {
            self.contexts.profiles = crate::app::contexts::profiles();
        }
        let region = self
            .contexts
            .profiles
            .iter()
            .find(|p| p.name == profile)
            .and_then(|p| p.region.clone())
            .or_else(|| self.ctx.region.clone());
        let opts = ConnectOptions {
            profile: Some(profile.to_string()),
            region,
            endpoint_url: self.ctx.endpoint.clone(),
            timeouts: self.contexts.timeouts,
        };
        self.connect(opts, false);
    }

    pub fn switch_region(&mut self, region: &str) {
        let opts = ConnectOptions {
            profile: self.ctx.profile.clone(),
            region: Some(region.to_string()),
            endpoint_url: self.ctx.endpoint.clone(),
            timeouts: self.contexts.timeouts,
        };
        self.connect(opts, false);
    }

    /// `none` (or `aws`) drops the endpoint: the AWS endpoint of the region.
    pub fn switch_endpoint(&mut self, endpoint: &str) {
        let endpoint_url = match endpoint {
            "none" | "aws" | "" => None,
            e => Some(e.to_string()),
        };
        let opts = ConnectOptions {
            profile: self.ctx.profile.clone(),
            region: self.ctx.region.clone(),
            endpoint_url,
            timeouts: self.contexts.timeouts,
        };
        self.connect(opts, false);
    }

    /// Connects again to the same context (new credentials after `aws sso
    /// login`), keeping the screen and its request.
    pub fn reconnect(&mut self) {
        let opts = ConnectOptions {
            profile: self.ctx.profile.clone(),
            region: self.ctx.region.clone(),
            endpoint_url: self.ctx.endpoint.clone(),
            timeouts: self.contexts.timeouts,
        };
        self.connect(opts, true);
    }

    fn connect(&mut self, opts: ConnectOptions, keep_view: bool) {
        let id = self.id();
        self.contexts.connecting = Some((id, keep_view));
        self.contexts.target = Some(ConnContext {
            profile: opts.profile.clone(),
            region: opts.region.clone(),
            endpoint: opts.endpoint_url.clone(),
        });
        self.flash(
            Level::Info,
            format!(
                "connecting to {}…",
                self.contexts
                    .target
                    .as_ref()
                    .map(ConnContext::describe)
                    .unwrap_or_default()
            ),
        );
        let tx = self.sender();
        tokio::spawn(async move {
            let r = Dynamo::connect(&opts).await;
            let _ = tx.send(Msg::Connected(id, Box::new(r)));
        });
    }

    /// A connection arrived: use it.
    pub(crate) fn on_connected(&mut self, id: u64, r: Result<Dynamo, AwsError>) -> bool {
        let Some((want, keep_view)) = self.contexts.connecting else {
            return false;
        };
        if want != id {
            return false;
        }
        self.contexts.connecting = None;
        let target = self.contexts.target.take();
        let db = match r {
            Ok(db) => db,
            Err(e) => {
                let what = target.map(|t| t.describe()).unwrap_or_default();
                self.flash(
                    Level::Error,
                    format!(
                        "cannot connect to {what}: {} {}{}",
                        e.code,
                        e.message,
                        e.hint.map(|h| format!(" ({h})")).unwrap_or_default()
                    ),
                );
                return true;
            }
        };
        self.install_connection(db, keep_view);
        true
    }

    /// Uses `db` from now on. With `keep_view` the screen in front stays and
    /// its request runs again; otherwise the tables list of the new context
    /// opens.
    pub fn install_connection(&mut self, db: Dynamo, keep_view: bool) {
        self.ctx = db.context().clone();
        self.db = Some(db);
        self.fatal = None;
        self.sso_expired = None;
        self.described.clear();
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
        self.screen = Screen::Tables;
        self.load_tables();
    }
}
