//! The one place effects run. Updates return effects as data; the event
//! loop hands them here. Each runs on its own task with the clients it
//! needs ([`Deps`]) and reports back as a message on the channel. Tasks of
//! requests are kept by request id, so a superseded or abandoned request's
//! task is aborted ([`Effect::Abort`]).

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use crate::app::tui::msg::Msg;
use crate::app::tui::request::ReqId;
use crate::app::tui::screens::audit::{self, AuditEffect};
use crate::app::tui::screens::contexts::{self, ContextsEffect};
use crate::app::tui::screens::edit::{self, EditEffect};
use crate::app::tui::screens::export::{self, ExportEffect};
use crate::app::tui::screens::init::{self, InitEffect};
use crate::app::tui::screens::items::{self, ItemsEffect};
use crate::app::tui::screens::live::{self, LiveEffect};
use crate::app::tui::screens::metrics::{self, MetricsEffect};
use crate::app::tui::screens::migrate::{self, MigrateEffect};
use crate::app::tui::screens::seed::{self, SeedEffect};
use crate::app::tui::screens::tables::{self, TablesEffect};
use crate::app::tui::task::{Deps, Reply, Tracked};

/// Something an update wants done.
#[derive(Debug)]
pub enum Effect {
    /// Abort the task of a request (superseded, or its screen was left).
    Abort(ReqId),
    /// DescribeTable (the answer is kept for every screen).
    Describe {
        id: ReqId,
        table: String,
    },
    Tables(TablesEffect),
    Items(Box<ItemsEffect>),
    Edit(Box<EditEffect>),
    Export(ExportEffect),
    Init(InitEffect),
    Metrics(MetricsEffect),
    Migrate(MigrateEffect),
    Seed(SeedEffect),
    Audit(AuditEffect),
    Contexts(ContextsEffect),
    Live(LiveEffect),
}

impl Effect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            Effect::Abort(_) => None,
            Effect::Describe { id, .. } => Some(*id),
            Effect::Tables(e) => e.request_id(),
            Effect::Items(e) => e.request_id(),
            Effect::Edit(e) => e.request_id(),
            Effect::Export(e) => e.request_id(),
            Effect::Init(e) => e.request_id(),
            Effect::Metrics(e) => e.request_id(),
            Effect::Migrate(e) => e.request_id(),
            Effect::Seed(e) => e.request_id(),
            Effect::Audit(e) => e.request_id(),
            Effect::Contexts(e) => e.request_id(),
            Effect::Live(e) => e.request_id(),
        }
    }
}

/// Runs effects on tasks; holds the tasks of requests by id.
pub struct Runner {
    tx: UnboundedSender<Msg>,
    tasks: HashMap<ReqId, AbortHandle>,
}

impl Runner {
    pub fn new(tx: UnboundedSender<Msg>) -> Runner {
        Runner {
            tx,
            tasks: HashMap::new(),
        }
    }

    fn reply<M: 'static>(&self, wrap: fn(M) -> Msg) -> Reply<M> {
        let tx = self.tx.clone();
        Reply::new(move |m| {
            // The application has quit when nobody listens: nothing to do.
            let _ = tx.send(wrap(m));
        })
    }

    fn spawn(&mut self, id: Option<ReqId>, f: impl Future<Output = ()> + Send + 'static) {
        let task = tokio::spawn(f);
        if let Some(id) = id {
            self.tasks.insert(id, task.abort_handle());
        }
    }

    /// Requests whose tasks are still running.
    pub fn running(&self) -> usize {
        self.tasks.values().filter(|h| !h.is_finished()).count()
    }

    /// Runs one effect.
    pub fn run(&mut self, effect: Effect, deps: Deps) {
        self.tasks.retain(|_, h| !h.is_finished());
        let id = effect.request_id();
        match effect {
            Effect::Abort(id) => {
                if let Some(h) = self.tasks.remove(&id) {
                    h.abort();
                }
            }
            Effect::Describe { id, table } => {
                let tx = self.tx.clone();
                self.spawn(Some(id), async move {
                    let r = match &deps.db {
                        Some(db) => db.describe(&table).await,
                        None => Err(crate::dynamo::error::AwsError::new(
                            "NotConnected",
                            "not connected",
                        )),
                    };
                    let _ = tx.send(Msg::Described(id, table, Box::new(r)));
                });
            }
            Effect::Tables(e) => {
                let reply = self.reply(Msg::Tables);
                self.spawn(id, tables::perform(e, deps, reply));
            }
            Effect::Items(e) => {
                let reply = self.reply(Msg::Items);
                self.spawn(id, items::effects::perform(*e, deps, reply));
            }
            Effect::Edit(e) => {
                let reply = self.reply(|m| Msg::Edit(Box::new(m)));
                self.spawn(id, edit::effects::perform(*e, deps, reply));
            }
            Effect::Init(e) => {
                let reply = self.reply(Msg::Init);
                self.spawn(id, init::perform(e, deps, reply));
            }
            Effect::Export(e) => {
                let reply = self.reply(Msg::Export);
                self.spawn(id, export::perform(e, deps, reply));
            }
            Effect::Metrics(e) => {
                let reply = self.reply(Msg::Metrics);
                self.spawn(id, metrics::effects::perform(e, deps, reply));
            }
            Effect::Migrate(e) => {
                let reply = self.reply(Msg::Migrate);
                self.spawn(id, migrate::effects::perform(e, deps, reply));
            }
            Effect::Seed(e) => {
                let reply = self.reply(Msg::Seed);
                self.spawn(id, seed::effects::perform(e, deps, reply));
            }
            Effect::Audit(e) => {
                let reply = self.reply(Msg::Audit);
                self.spawn(id, audit::perform(e, deps, reply));
            }
            Effect::Contexts(e) => {
                let reply = self.reply(Msg::Contexts);
                self.spawn(id, contexts::perform(e, deps, reply));
            }
            Effect::Live(e) => {
                let reply = self.reply(Msg::Live);
                self.spawn(id, live::effects::perform(e, deps, reply));
            }
        }
    }
}
