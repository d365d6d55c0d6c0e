//! The terminal UI. The flow is key -> action -> update -> effect ->
//! message -> state -> render:
//!
//! - `run`: the event loop; it feeds terminal events and effect results to
//!   the application as messages, runs the effects updates ask for
//!   (`effects`) and draws.
//! - `state`: the application: which screen is in front, the shared parts
//!   (connection, settings, project, flash, inputs) and the routing of
//!   actions and messages to screens.
//! - `screens/`: each screen's state, update, effects and tests; a screen
//!   gets a small context (`cx`) and never sees another screen.
//! - `request`: the one loading-slot type (latest request wins).
//! - `cx`, `task`, `input`, `keymap`, `palette`, `terminal`: the parts
//!   screens and the loop share.

pub mod cx;
pub mod effects;
pub mod estimate;
pub mod input;
pub mod keymap;
pub mod msg;
pub mod palette;
pub mod request;
pub mod run;
pub mod screens;
pub mod state;
pub mod task;
pub mod terminal;
pub mod widgets;
