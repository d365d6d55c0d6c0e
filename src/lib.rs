//! dyntui: a terminal UI for Amazon DynamoDB single-table designs.
//!
//! `dynamo` is the data plane (no ratatui), `views` render state (no AWS),
//! `app` owns state, the event loop, configuration and the CLI glue.
#![forbid(unsafe_code)]

pub mod app;
pub mod dynamo;
pub mod files;
pub mod metrics;
pub mod views;
