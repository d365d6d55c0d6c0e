//! What both front ends (the TUI in `tui` screens and the command line)
//! do with the project: its seed sets and their designs, its migrations,
//! the guards of writes. Imports neither front end.

pub mod init;
pub mod migrations;
pub mod native;
pub mod seed_sets;
pub mod writes;
