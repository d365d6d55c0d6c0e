//! The application: state, event loop, keymap, configuration, CLI glue.

pub mod audit;
pub mod auditview;
pub mod cli;
pub mod clipboard;
pub mod config;
pub mod contexts;
pub mod ctxview;
pub mod diagnose;
pub mod editcli;
pub mod editor;
pub mod editview;
pub mod exportcli;
pub mod exportview;
pub mod keymap;
pub mod metricsview;
pub mod migratecli;
pub mod migrateview;
pub mod palette;
pub mod patterns;
pub mod project;
pub mod run;
pub mod seedcli;
pub mod seedview;
pub mod state;
pub mod terminal;
