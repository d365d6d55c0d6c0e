//! Messages to the application: terminal events, what rendering saw, and
//! the results of effects (each screen's own message type, by screen).

use crossterm::event::Event;

use crate::app::editor::EditorRequest;
use crate::app::tui::cx::Viewport;
use crate::app::tui::request::ReqId;
use crate::app::tui::screens::audit::AuditMsg;
use crate::app::tui::screens::contexts::ContextsMsg;
use crate::app::tui::screens::edit::EditMsg;
use crate::app::tui::screens::export::ExportMsg;
use crate::app::tui::screens::init::InitMsg;
use crate::app::tui::screens::items::ItemsMsg;
use crate::app::tui::screens::live::LiveMsg;
use crate::app::tui::screens::metrics::MetricsMsg;
use crate::app::tui::screens::migrate::MigrateMsg;
use crate::app::tui::screens::seed::SeedMsg;
use crate::app::tui::screens::tables::TablesMsg;
use crate::dynamo::client::TableInfo;
use crate::dynamo::error::AwsError;

#[derive(Debug)]
pub enum Msg {
    Event(Event),
    /// Rows visible in the list in front, as the last frame drew it.
    Viewport(Viewport),
    Tables(TablesMsg),
    /// A table's description (the application keeps them for all screens).
    Described(ReqId, String, Box<Result<TableInfo, AwsError>>),
    Items(ItemsMsg),
    Seed(SeedMsg),
    Migrate(MigrateMsg),
    Metrics(MetricsMsg),
    /// Results of writes (single and bulk).
    Edit(Box<EditMsg>),
    /// The editor closed: the request and what was saved (None: unchanged).
    Edited(Box<EditorRequest>, Result<Option<String>, String>),
    /// A new connection (another profile or region).
    Contexts(ContextsMsg),
    Audit(AuditMsg),
    /// An export from the TUI finished.
    Export(ExportMsg),
    Init(InitMsg),
    Live(LiveMsg),
}
