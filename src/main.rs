//! dyntui: parse args -> logging -> load config -> build the AWS client once ->
//! run the TUI or a headless command. Errors are returned, never `exit`ed from
//! below main, so the terminal guard always restores the screen.

use std::process::ExitCode;

use clap::Parser;
use crossterm::event::EventStream;
use dyntui::app::cli::{self, Cli};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, user_config_path};
use dyntui::app::patterns::RecentParams;
use dyntui::app::run::run;
use dyntui::app::state::{App, Msg};
use dyntui::app::terminal::{TerminalGuard, default_log_path, init_logging};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::error::ConnContext;

fn main() -> ExitCode {
    let args = Cli::parse();
    let log_path = args.log_file.clone().unwrap_or_else(default_log_path);
    let _log_guard = init_logging(&log_path);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(real_main(args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("{}", cli::report(&e));
            ExitCode::FAILURE
        }
    }
}

async fn real_main(args: Cli) -> anyhow::Result<u8> {
    let project = cli::load_project(args.config.as_ref())?;
    if let Some(cmd) = args.command {
        return cli::run_command(cmd, &args.conn, &project).await;
    }
    let snapshot = args
        .snapshot
        .as_deref()
        .map(dyntui::metrics::snapshot::Snapshot::load)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
    let settings = Settings::load_with_user_file(user_config_path().as_deref())?;
    let opts = args.conn.options();
    let db = Dynamo::connect(&opts).await;
    let ctx = ConnContext {
        profile: opts.profile.clone(),
        region: opts.region.clone(),
        endpoint: opts.endpoint_url.clone(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let table = args.table.clone().or_else(|| project.default_table.clone());
    let mut app = App::new(settings, project, db, ctx, tx, Clipboard::detect());
    app.recent = RecentParams::load(RecentParams::default_path());
    app.contexts.timeouts = opts.timeouts;
    if app.fatal.is_none() {
        app.load_tables();
        if let Some(t) = table {
            app.open_table(&t);
        }
    }
    if let Some(s) = snapshot {
        app.fatal = None;
        app.open_snapshot(s);
    }
    let mut guard = TerminalGuard::new()?;
    app.read_only = args.conn.read_only;
    // The editor gets the terminal: cooked mode, main screen; then back.
    let mut suspend = |leave: bool| -> std::io::Result<()> {
        use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
        if leave {
            crossterm::terminal::disable_raw_mode()?;
            crossterm::execute!(std::io::stdout(), LeaveAlternateScreen)
        } else {
            crossterm::execute!(std::io::stdout(), EnterAlternateScreen)?;
            crossterm::terminal::enable_raw_mode()
        }
    };
    let r = run(
        &mut guard.terminal,
        &mut app,
        &mut rx,
        EventStream::new,
        &mut suspend,
    )
    .await;
    drop(guard);
    r.map(|()| 0)
}
