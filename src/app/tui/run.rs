//! The event loop: one owner of state, messages in, effects run, frames out.
//!
//! Every update may ask for effects; the loop hands them to the one
//! [`Runner`] right after the update, and their results come back on the
//! channel as messages. A frame reports the rows it showed
//! ([`Msg::Viewport`]) so paging uses the real height.
//!
//! Renders only when something changed, at most every 16 ms; drains queued
//! messages before drawing so bursts of pages or keys cost one frame; ticks
//! only while requests are in flight (for the spinner), so an idle dyntui uses
//! no CPU.

use std::time::Duration;

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::app::tui::effects::Runner;
use crate::app::tui::msg::Msg;
use crate::app::tui::state::App;
use crate::views;

const FRAME: Duration = Duration::from_millis(16);
const SPINNER_TICK: Duration = Duration::from_millis(120);
const METRICS_TICK: Duration = Duration::from_secs(1);
/// How often the live screen's hot write window slides when no change arrives.
const LIVE_TICK: Duration = Duration::from_secs(1);

/// Runs until the app quits. Generic over the backend (TestBackend in tests)
/// and the source of terminal events: `new_events` makes the stream, again
/// after an external editor ran (the stream must not read the keys meant
/// for the editor, so it is dropped while the editor runs). `suspend`
/// leaves the terminal to the editor (Some(true)) and takes it back
/// (Some(false)).
pub async fn run<B, S, F>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &mut UnboundedReceiver<Msg>,
    runner: &mut Runner,
    mut new_events: F,
    suspend: &mut dyn FnMut(bool) -> std::io::Result<()>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
    F: FnMut() -> S,
{
    let mut events = new_events();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut events_done = false;
    loop {
        app.run_effects(runner);
        if app.should_quit {
            return Ok(());
        }
        if let Some(req) = app.take_editor() {
            drop(events);
            suspend(true)?;
            let r = tokio::task::block_in_place(|| req.run());
            let msg = Msg::Edited(Box::new(req), r);
            suspend(false)?;
            // Redraw everything: clear the screen and forget the last frame
            // (Terminal::clear would ask the terminal for the cursor
            // position, which is not answered reliably at this point).
            terminal
                .backend_mut()
                .clear_region(ratatui::backend::ClearType::All)?;
            terminal.swap_buffers();
            events = new_events();
            events_done = false;
            app.update(msg);
            dirty = true;
            continue;
        }
        if dirty && last_draw.elapsed() >= FRAME {
            let mut shown = app.viewport;
            terminal.draw(|f| shown = views::draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
            if shown != app.viewport {
                dirty |= app.update(Msg::Viewport(shown));
                continue;
            }
        }
        let frame_due = last_draw + FRAME;
        let busy = app.busy();
        tokio::select! {
            ev = events.next(), if !events_done => match ev {
                Some(Ok(ev)) => dirty |= app.update(Msg::Event(ev)),
                Some(Err(e)) => return Err(e.into()),
                None => events_done = true,
            },
            msg = rx.recv() => match msg {
                Some(m) => dirty |= app.update(m),
                None => return Ok(()),
            },
            _ = tokio::time::sleep_until(frame_due), if dirty => {}
            _ = tokio::time::sleep(SPINNER_TICK), if busy && !dirty => {
                app.spinner = app.spinner.wrapping_add(1);
                dirty = true;
            }
            // Auto-refresh of the metrics view (only while it is in front).
            _ = tokio::time::sleep(METRICS_TICK), if !busy && app.screen == crate::app::tui::state::Screen::Metrics => {
                dirty |= app.metrics_tick();
            }
            // The live screen's hot write window slides while it follows a
            // stream (its alerts reach the metrics view from any screen).
            _ = tokio::time::sleep(LIVE_TICK), if app.live.run.is_some() => {
                let changed = app.live_tick();
                dirty |= changed && app.screen == crate::app::tui::state::Screen::Live;
            }
        }
        // Coalesce whatever else is already queued into the same frame.
        while let Ok(m) = rx.try_recv() {
            dirty |= app.update(m);
            app.run_effects(runner);
        }
    }
}
