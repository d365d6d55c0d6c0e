//! Contexts: switching AWS profile, region or endpoint inside the TUI
//! (`:ctx`, `:region`, `:endpoint`), and connecting again after an expired
//! SSO session (`:reconnect`) without losing the view or its request.
//!
//! A new connection is built by an effect (aws-config may read files and
//! SSO caches) and arrives as [`ContextsMsg::Connected`]; the old client
//! keeps serving until then, and the answer of a superseded attempt is
//! ignored. The application installs the new client ([`Core::Install`]):
//! switching context goes back to the tables list of the new one (a table
//! name seldom means the same table elsewhere); reconnecting to the same
//! context keeps the screen and re-runs what was showing.

use crossterm::event::KeyEvent;

use crate::app::contexts::Profile;
use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::input::Input;
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::{Deps, Reply, Tracked};
use crate::app::tui::widgets::{FilterKey, FilterList};
use crate::dynamo::client::{ConnectOptions, Dynamo, Timeouts};
use crate::dynamo::error::{AwsError, ConnContext};

#[derive(Debug)]
pub enum ContextsMsg {
    /// A new connection (another profile, region or endpoint), by attempt.
    Connected(ReqId, Box<Result<Dynamo, AwsError>>),
}

#[derive(Debug, Clone)]
pub enum ContextsEffect {
    /// Builds a client.
    Connect { id: ReqId, opts: ConnectOptions },
}

impl Tracked for ContextsEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            ContextsEffect::Connect { id, .. } => Some(*id),
        }
    }
}

pub type ContextsCx<'a> = Cx<'a, ContextsEffect>;

/// The contexts list and a connection in progress.
#[derive(Debug, Default)]
pub struct ContextsState {
    pub profiles: Vec<Profile>,
    /// The filter and the cursor (over the visible profiles).
    pub nav: FilterList,
    /// The connection attempt in flight.
    pub connecting: Request<(), AwsError>,
    /// Keep the current view when the attempt in flight connects.
    pub keep_view: bool,
    /// What the connection in progress is to.
    pub target: Option<ConnContext>,
    /// Where `esc` returns to.
    pub back_to: Option<Screen>,
    /// The request timeouts of every connection (from the command line).
    pub timeouts: Timeouts,
}

/// True for errors that mean the SSO (or STS) session has expired.
pub fn is_expired_session(e: &AwsError) -> bool {
    matches!(
        e.code.as_str(),
        "ExpiredToken" | "ExpiredTokenException" | "UnauthorizedException"
    ) || (e.code == "NoCredentials" && e.message.to_ascii_lowercase().contains("expired"))
}

impl ContextsState {
    /// Profiles matching the filter (case-insensitive substring).
    pub fn visible(&self) -> Vec<&Profile> {
        self.profiles
            .iter()
            .filter(|p| self.nav.matches([p.name.as_str()]))
            .collect()
    }

    /// The profile being connected to, while an attempt is in flight.
    pub fn connecting_to(&self) -> Option<&str> {
        if !self.connecting.is_loading() {
            return None;
        }
        self.target.as_ref().and_then(|c| c.profile.as_deref())
    }

    /// Opens the list of AWS profiles (read from the AWS files), from `from`.
    pub fn open(&mut self, cx: &mut ContextsCx, from: Screen, profiles: Vec<Profile>) {
        self.profiles = profiles;
        self.nav.cursor.selected = self
            .visible()
            .iter()
            .position(|p| Some(&p.name) == cx.conn.profile.as_ref())
            .unwrap_or(0);
        if from != Screen::Contexts {
            self.back_to = Some(from);
        }
        if self.profiles.is_empty() {
            cx.flash(
                Level::Warn,
                "no profiles in ~/.aws/config or ~/.aws/credentials (AWS_CONFIG_FILE)",
            );
        }
    }

    pub fn on_action(&mut self, cx: &mut ContextsCx, action: Action) {
        let n = self.visible().len();
        let page = cx.page_rows();
        if self.nav.cursor.on_action(action, n, page) {
            return;
        }
        match action {
            Action::Filter => *cx.input = Some(Input::ContextsFilter),
            Action::Back if !self.nav.filter.is_empty() => {
                self.nav.clear();
            }
            Action::Back => {
                cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
            }
            Action::Open => {
                let at = self.nav.cursor.selected;
                if let Some(p) = self.visible().get(at).map(|p| p.name.clone()) {
                    self.switch_profile(cx, &p);
                }
            }
            _ => {}
        }
    }

    /// A key typed into the filter (`/`).
    pub fn on_filter_key(&mut self, cx: &mut ContextsCx, k: &KeyEvent) {
        if let FilterKey::Typing { .. } = self.nav.on_filter_key(k) {
            *cx.input = Some(Input::ContextsFilter);
        }
    }

    /// Connects with another profile (its own region, unless it has none).
    pub fn switch_profile(&mut self, cx: &mut ContextsCx, profile: &str) {
        if !self.profiles.iter().any(|p| p.name == profile) {
            self.profiles = crate::app::contexts::profiles();
        }
        let region = self
            .profiles
            .iter()
            .find(|p| p.name == profile)
            .and_then(|p| p.region.clone())
            .or_else(|| cx.conn.region.clone());
        let opts = ConnectOptions {
            profile: Some(profile.to_string()),
            region,
            endpoint_url: cx.conn.endpoint.clone(),
            s3_endpoint: None,
            timeouts: self.timeouts,
        };
        self.connect(cx, opts, false);
    }

    pub fn switch_region(&mut self, cx: &mut ContextsCx, region: &str) {
        let opts = ConnectOptions {
            profile: cx.conn.profile.clone(),
            region: Some(region.to_string()),
            endpoint_url: cx.conn.endpoint.clone(),
            s3_endpoint: None,
            timeouts: self.timeouts,
        };
        self.connect(cx, opts, false);
    }

    /// `none` (or `aws`) drops the endpoint: the AWS endpoint of the region.
    pub fn switch_endpoint(&mut self, cx: &mut ContextsCx, endpoint: &str) {
        let endpoint_url = match endpoint {
            "none" | "aws" | "" => None,
            e => Some(e.to_string()),
        };
        let opts = ConnectOptions {
            profile: cx.conn.profile.clone(),
            region: cx.conn.region.clone(),
            endpoint_url,
            s3_endpoint: None,
            timeouts: self.timeouts,
        };
        self.connect(cx, opts, false);
    }

    /// Connects again to the same context (new credentials after `aws sso
    /// login`), keeping the screen and its request.
    pub fn reconnect(&mut self, cx: &mut ContextsCx) {
        let opts = ConnectOptions {
            profile: cx.conn.profile.clone(),
            region: cx.conn.region.clone(),
            endpoint_url: cx.conn.endpoint.clone(),
            s3_endpoint: None,
            timeouts: self.timeouts,
        };
        self.connect(cx, opts, true);
    }

    /// Starts a connection attempt (one in flight is superseded).
    fn connect(&mut self, cx: &mut ContextsCx, opts: ConnectOptions, keep_view: bool) {
        let target = ConnContext {
            profile: opts.profile.clone(),
            region: opts.region.clone(),
            endpoint: opts.endpoint_url.clone(),
        };
        cx.flash(Level::Info, format!("connecting to {}…", target.describe()));
        self.target = Some(target);
        self.keep_view = keep_view;
        cx.start(&mut self.connecting, |id| ContextsEffect::Connect {
            id,
            opts,
        });
    }

    /// A connection arrived: the application uses it (a superseded
    /// attempt's answer changes nothing).
    pub fn update(&mut self, cx: &mut ContextsCx, m: ContextsMsg) -> bool {
        match m {
            ContextsMsg::Connected(id, r) => {
                let (r, db) = match *r {
                    Ok(db) => (Ok(()), Some(db)),
                    Err(e) => (Err(e), None),
                };
                let failed = r.as_ref().err().cloned();
                if !self.connecting.settle(id, r) {
                    return false;
                }
                let target = self.target.take();
                if let Some(e) = failed {
                    let what = target.map(|t| t.describe()).unwrap_or_default();
                    cx.flash(
                        Level::Error,
                        format!(
                            "cannot connect to {what}: {} {}{}",
                            e.code,
                            e.message,
                            e.hint.map(|h| format!(" ({h})")).unwrap_or_default()
                        ),
                    );
                }
                if let Some(db) = db {
                    cx.core(Core::Install(Box::new(db), self.keep_view));
                }
                true
            }
        }
    }

    /// True while a connection attempt is in flight.
    pub fn busy(&self) -> bool {
        self.connecting.is_loading()
    }
}

/// Runs an effect of the contexts view.
pub async fn perform(e: ContextsEffect, _deps: Deps, reply: Reply<ContextsMsg>) {
    match e {
        ContextsEffect::Connect { id, opts } => {
            let r = Dynamo::connect(&opts).await;
            reply.send(ContextsMsg::Connected(id, Box::new(r)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crossterm::event::KeyCode;

    fn profile(name: &str, region: &str) -> Profile {
        Profile {
            name: name.into(),
            region: Some(region.into()),
            sso: false,
            static_keys: true,
        }
    }

    fn with_profiles(parts: &mut Parts) -> ContextsState {
        let mut st = ContextsState::default();
        parts.conn.profile = Some("dev".into());
        parts.conn.region = Some("us-east-1".into());
        let mut cx = parts.cx();
        st.open(
            &mut cx,
            Screen::Items,
            vec![
                profile("default", "us-east-1"),
                profile("dev", "eu-west-1"),
                profile("prod", "eu-central-1"),
            ],
        );
        st
    }

    /// A client that is never used (no request is sent).
    fn offline() -> Dynamo {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-central-1"))
            .build();
        Dynamo::from_config(config, Some("prod".into()), None)
    }

    fn connect_id(fx: &[ContextsEffect]) -> (ReqId, ConnectOptions) {
        match fx {
            [ContextsEffect::Connect { id, opts }] => (*id, opts.clone()),
            other => panic!("expected a connection attempt, got {other:?}"),
        }
    }

    #[test]
    fn opening_selects_the_current_profile_and_enter_connects_with_its_region() {
        let mut parts = Parts::new();
        let mut st = with_profiles(&mut parts);
        assert_eq!(st.nav.cursor.selected, 1, "dev is the current profile");
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Down);
        st.on_action(&mut cx, Action::Open);
        let (_, opts) = connect_id(&cx.fx);
        assert_eq!(opts.profile.as_deref(), Some("prod"));
        assert_eq!(opts.region.as_deref(), Some("eu-central-1"));
        assert!(st.busy());
        assert_eq!(st.connecting_to(), Some("prod"));
        assert!(
            cx.flash
                .as_ref()
                .is_some_and(|(_, t)| t.starts_with("connecting to")),
            "{:?}",
            cx.flash
        );
    }

    #[test]
    fn a_stale_connection_is_ignored_and_the_current_one_is_installed() {
        let mut parts = Parts::new();
        let mut st = with_profiles(&mut parts);
        let mut cx = parts.cx();
        st.switch_region(&mut cx, "eu-west-1");
        let (stale, _) = connect_id(&cx.fx);
        let mut cx = parts.cx();
        st.reconnect(&mut cx);
        let (current, opts) = connect_id(&cx.fx);
        assert_eq!(opts.region.as_deref(), Some("us-east-1"));
        assert!(
            cx.core
                .iter()
                .any(|c| matches!(c, Core::Abort(id) if *id == stale)),
            "the superseded attempt is aborted: {:?}",
            cx.core
        );
        let mut cx = parts.cx();
        assert!(!st.update(
            &mut cx,
            ContextsMsg::Connected(stale, Box::new(Ok(offline())))
        ));
        assert!(cx.core.is_empty(), "a stale client is not installed");
        assert!(st.busy());
        assert!(st.update(
            &mut cx,
            ContextsMsg::Connected(current, Box::new(Ok(offline())))
        ));
        assert!(
            matches!(cx.core.as_slice(), [Core::Install(_, true)]),
            "reconnecting keeps the view: {:?}",
            cx.core
        );
        assert!(!st.busy());
    }

    #[test]
    fn a_failed_connection_is_said_and_nothing_is_installed() {
        let mut parts = Parts::new();
        let mut st = with_profiles(&mut parts);
        let mut cx = parts.cx();
        st.switch_endpoint(&mut cx, "none");
        let (id, opts) = connect_id(&cx.fx);
        assert_eq!(opts.endpoint_url, None);
        let mut cx = parts.cx();
        let e = AwsError::new("NoCredentials", "no credentials for profile dev");
        assert!(st.update(&mut cx, ContextsMsg::Connected(id, Box::new(Err(e)))));
        assert!(cx.core.is_empty());
        assert!(
            matches!(&cx.flash, Some((Level::Error, t)) if t.contains("cannot connect") && t.contains("NoCredentials")),
            "{:?}",
            cx.flash
        );
        assert!(!st.busy());
    }

    #[test]
    fn the_filter_narrows_the_list_and_esc_clears_it_then_leaves() {
        let mut parts = Parts::new();
        let mut st = with_profiles(&mut parts);
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Filter);
        assert_eq!(*cx.input, Some(Input::ContextsFilter));
        *cx.input = None;
        st.on_filter_key(&mut cx, &KeyEvent::from(KeyCode::Char('p')));
        let names: Vec<&str> = st.visible().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["prod"]);
        assert_eq!(st.nav.cursor.selected, 0);
        assert_eq!(*cx.input, Some(Input::ContextsFilter));
        *cx.input = None;
        st.on_filter_key(&mut cx, &KeyEvent::from(KeyCode::Enter));
        assert_eq!(*cx.input, None);
        st.on_action(&mut cx, Action::Back);
        assert_eq!(st.visible().len(), 3, "esc clears the filter first");
        assert!(cx.core.is_empty());
        st.on_action(&mut cx, Action::Back);
        assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Items)]));
    }
}
