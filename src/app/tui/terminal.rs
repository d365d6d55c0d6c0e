//! Terminal set-up and restore, in layers: a guard whose Drop restores, and
//! ratatui's panic hook that restores before the panic message prints.

use std::path::{Path, PathBuf};

use ratatui::DefaultTerminal;

/// Restores the terminal when dropped (normal exit, `?` errors, unwinding).
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Raw mode, alternate screen, and a panic hook that restores first.
    pub fn new() -> std::io::Result<TerminalGuard> {
        let terminal = ratatui::try_init()?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Errors are ignored: after SIGHUP the terminal may be gone, and
        // printing about it would panic on the closed stderr.
        let _ = ratatui::try_restore();
    }
}

/// Default log file: `$XDG_STATE_HOME/dyntui/dyntui.log` (or the cache dir).
pub fn default_log_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "dyntui")
        .map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.cache_dir())
                .join("dyntui.log")
        })
        .unwrap_or_else(|| std::env::temp_dir().join("dyntui.log"))
}

/// Logs go to a file, never to the screen. Level from `DYNTUI_LOG`
/// (default `info`). Returns the guard that flushes the writer on drop.
pub fn init_logging(path: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("DYNTUI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
