//! The application: state, event loop, keymap, configuration, CLI glue.

pub mod cli;
pub mod clipboard;
pub mod config;
pub mod diagnose;
pub mod keymap;
pub mod metricsview;
pub mod migratecli;
pub mod migrateview;
pub mod patterns;
pub mod run;
pub mod seedcli;
pub mod seedview;
pub mod state;
pub mod terminal;
