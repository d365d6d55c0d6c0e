//! Startup to the first frame showing the table list from DynamoDB Local:
//! connect (one SdkConfig), ListTables, DescribeTable of the first table, and
//! the first frame drawn. Needs DYNTUI_TEST_ENDPOINT (scripts/bench/run.sh
//! starts DynamoDB Local). `cargo bench --bench startup`
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::time::{Duration, Instant};

use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Project, Settings};
use dyntui::app::tui::state::{App, Loadable};
use dyntui::dynamo::client::{ConnectOptions, Dynamo};
use dyntui::dynamo::error::ConnContext;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    let Ok(endpoint) = std::env::var("DYNTUI_TEST_ENDPOINT") else {
        eprintln!("startup bench skipped: set DYNTUI_TEST_ENDPOINT (scripts/bench/run.sh does)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut samples = Vec::new();
    // `cargo test --all-targets` runs this without `--bench`: one run.
    let runs = if std::env::args().any(|a| a == "--bench") {
        20
    } else {
        1
    };
    for _ in 0..runs {
        let t = rt.block_on(async {
            let start = Instant::now();
            let db = Dynamo::connect(&ConnectOptions {
                endpoint_url: Some(endpoint.clone()),
                ..ConnectOptions::default()
            })
            .await;
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut app = App::new(
                Settings::defaults().expect("defaults"),
                Project::default(),
                db,
                ConnContext::default(),
                tx,
                Clipboard::Memory(Vec::new()),
            );
            app.load_tables();
            let mut runner = app.runner();
            app.run_effects(&mut runner);
            let mut terminal = Terminal::new(TestBackend::new(160, 45)).expect("terminal");
            while let Some(m) = rx.recv().await {
                app.update(m);
                app.run_effects(&mut runner);
                if matches!(app.tables.list.state, Loadable::Ready(_)) {
                    break;
                }
            }
            terminal
                .draw(|f| dyntui::views::render(f, &app))
                .expect("draw");
            start.elapsed()
        });
        samples.push(t);
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let min = samples[0];
    let max = samples[samples.len() - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "startup to first frame with the table list (in process, {} runs): median {:.1} ms, min {:.1} ms, max {:.1} ms",
        samples.len(),
        ms(median),
        ms(min),
        ms(max)
    );
}
