//! dyntui: parse args -> logging -> load config -> build the AWS client once ->
//! run the TUI or a headless command. Errors are returned, never `exit`ed from
//! below main, so the terminal guard always restores the screen.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use crossterm::event::EventStream;
use dyntui::app::cli::{self, Cli};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, user_config_path};
use dyntui::app::patterns::RecentParams;
use dyntui::app::tui::run::run;
use dyntui::app::tui::state::{App, Msg};
use dyntui::app::tui::terminal::{TerminalGuard, default_log_path, init_logging};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::error::ConnContext;

/// mimalloc: the items view decodes the rows it shows (a map and a string
/// per attribute) at twice the speed of glibc's malloc (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        // The reader went away (`dyntui scan | head`): not an error.
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("{}", cli::report(&e));
            ExitCode::FAILURE
        }
    }
}

async fn real_main(args: Cli) -> anyhow::Result<u8> {
    // Completion scripts, the man page and completion names need no project
    // (a broken project file must not break them).
    if let Some(cmd) = &args.command
        && let Some(done) = cli::complete::run(cmd, &args.conn, args.config.as_ref()).await
    {
        return done;
    }
    dyntui::dynamo::error::set_verbose(args.verbose);
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
    let mut runner = dyntui::app::tui::effects::Runner::new(tx.clone());
    let mut app = App::new(settings, project, db, ctx, tx, Clipboard::detect());
    app.patterns.recent = RecentParams::load(RecentParams::default_path());
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
    // Caught from here on (before the terminal goes raw), so a signal
    // restores the terminal as `q` does instead of killing dyntui with the
    // alternate screen on, the cursor hidden and the terminal raw.
    let mut signals = Signals::register();
    let mut guard = TerminalGuard::new()?;
    app.read_only = args.conn.read_only;
    app.demo_keep_file = args.in_memory_demo.clone();
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
    let r = tokio::select! {
        r = run(
            &mut guard.terminal,
            &mut app,
            &mut rx,
            &mut runner,
            EventStream::new,
            &mut suspend,
        ) => r.map(|()| 0),
        signal = signals.next() => {
            tracing::info!(signal, "quitting on a signal");
            // 128 + the signal's number, as shells report it.
            Ok(128u8.saturating_add(signal as u8))
        }
    };
    drop(guard);
    r
}

/// SIGTERM, SIGINT and SIGHUP, caught while the TUI runs.
struct Signals {
    #[cfg(unix)]
    streams: Vec<(i32, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn register() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let streams = [
                (15, SignalKind::terminate()),
                (2, SignalKind::interrupt()),
                (1, SignalKind::hangup()),
            ]
            .into_iter()
            .filter_map(|(n, kind)| match signal(kind) {
                Ok(s) => Some((n, s)),
                Err(e) => {
                    tracing::warn!("cannot catch signal {n}: {e}");
                    None
                }
            })
            .collect();
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The number of the first signal received.
    async fn next(&mut self) -> i32 {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.streams.iter_mut().map(|(n, s)| {
                let n = *n;
                Box::pin(async move {
                    s.recv().await;
                    n
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            2
        }
    }
}
