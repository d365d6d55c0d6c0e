//! The terminal UI: the event loop (`run`), the terminal (`terminal`), the
//! application state and its update (`state`), keys (`keymap`), the command
//! palette, and each screen's own state and update in `screens/`.

pub mod keymap;
pub mod palette;
pub mod run;
pub mod screens;
pub mod state;
pub mod terminal;
