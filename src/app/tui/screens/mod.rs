//! The state and update of the screens beyond the tables, items and detail
//! views (which live in `state`): editing, migrations, metrics, seeding,
//! export, the audit log, contexts and live changes. Their drawing is in `crate::views`.

pub mod audit;
pub mod contexts;
pub mod detail;
pub mod edit;
pub mod export;
pub mod init;
pub mod items;
pub mod live;
pub mod metrics;
pub mod migrate;
pub mod patterns;
pub mod seed;
pub mod tables;
