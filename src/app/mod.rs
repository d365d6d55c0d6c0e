//! The application. `tui/` is the terminal UI (event loop, terminal, the
//! state and update of each screen in `tui/screens/`), `cli/` the headless
//! commands (clap definitions, one file per command group); `project/` is
//! what both do with the project file, and `config`, `contexts`, `audit`,
//! `clipboard`, `editor`, `live` (following a stream) and `patterns` are
//! shared helpers. The TUI and the
//! command line never import each other.

pub mod audit;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod contexts;
pub mod editor;
pub mod live;
pub mod patterns;
pub mod project;
pub mod tui;
