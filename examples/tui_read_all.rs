//! The items view's read of everything (`G`), timed as a whole process for
//! `scripts/bench/load_all.sh`, to compare with `dyntui export` on the same
//! table: connect, open the table in the items view (DescribeTable, its
//! first page), press `G`, and apply every message until the view holds
//! every item. It runs the TUI's own code: its update, its effects run by
//! the `Runner`, and a 200x50 frame drawn at most every 16 ms, as the event
//! loop does (to a `TestBackend`, not a terminal).
//!
//! ```sh
//! tui_read_all --endpoint URL --table T
//! # prints `items=.. pages=.. segments=.. secs=.. items_per_s=..`
//! ```
//!
//! Credentials and region come from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Project, Settings};
use dyntui::app::tui::state::{App, Msg};
use dyntui::dynamo::client::{ConnectOptions, Dynamo};
use dyntui::dynamo::error::ConnContext;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The binary's allocator (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FRAME: Duration = Duration::from_millis(16);

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let began = Instant::now();
    let mut endpoint = None;
    let mut table = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => endpoint = Some(value()?),
            "--table" => table = Some(value()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let endpoint = endpoint.ok_or("--endpoint URL is required")?;
    let table = table.ok_or("--table T is required")?;
    // The runtime dyntui's main builds.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let db = Dynamo::connect(&ConnectOptions {
            endpoint_url: Some(endpoint),
            ..ConnectOptions::default()
        })
        .await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut app = App::new(
            Settings::defaults()?,
            Project::default(),
            db,
            ConnContext::default(),
            tx,
            Clipboard::Memory(Vec::new()),
        );
        let mut runner = app.runner();
        let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
        let mut last_draw = Instant::now() - FRAME;
        app.open_table(&table);
        let mut pressed = false;
        loop {
            app.run_effects(&mut runner);
            if let Some(e) = app.items.as_ref().and_then(|i| i.error.as_ref()) {
                return Err(format!("the items view failed: {e}").into());
            }
            let loaded = app.items.as_ref().is_some_and(|i| !i.rows.is_empty());
            if loaded && !pressed {
                // The first page is on screen: G.
                app.update(Msg::Event(Event::Key(KeyEvent::new(
                    KeyCode::Char('G'),
                    KeyModifiers::NONE,
                ))));
                pressed = true;
                continue;
            }
            if pressed && app.items.as_ref().is_some_and(|i| i.done) {
                break;
            }
            if last_draw.elapsed() >= FRAME {
                let mut shown = app.viewport;
                terminal.draw(|f| shown = dyntui::views::draw(f, &app))?;
                last_draw = Instant::now();
                if shown != app.viewport {
                    app.update(Msg::Viewport(shown));
                }
            }
            let msg = tokio::time::timeout(Duration::from_secs(60), rx.recv())
                .await
                .map_err(|_| "no answer within 60 s")?
                .ok_or("the channel closed")?;
            app.update(msg);
            // Coalesce what is queued into the same frame, as the loop does.
            while let Ok(m) = rx.try_recv() {
                app.update(m);
                app.run_effects(&mut runner);
            }
        }
        terminal.draw(|f| {
            dyntui::views::draw(f, &app);
        })?;
        let st = app.items.as_ref().ok_or("no items view")?;
        let secs = began.elapsed().as_secs_f64();
        println!(
            "items={} pages={} segments={} secs={secs:.3} items_per_s={:.0}",
            st.rows.len(),
            st.stats.pages,
            st.stats.segments,
            st.rows.len() as f64 / secs
        );
        Ok(())
    })
}
