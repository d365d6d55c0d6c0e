//! Render the items view holding 100,000 loaded items at 200x50.
//! `cargo bench --bench render`
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use criterion::{Criterion, criterion_group, criterion_main};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, demo_project};
use dyntui::app::tui::state::App;
use dyntui::dynamo::client::{KeyDef, KeyKind, TableInfo};
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::error::ConnContext;
use dyntui::dynamo::request::ItemsRequest;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The binary's allocator (src/main.rs), so that the figures are its.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn info() -> TableInfo {
    TableInfo {
        name: "dyntui-demo".into(),
        status: "ACTIVE".into(),
        pk: Some(KeyDef {
            name: "PK".into(),
            kind: Some(KeyKind::S),
        }),
        sk: Some(KeyDef {
            name: "SK".into(),
            kind: Some(KeyKind::S),
        }),
        ..TableInfo::default()
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    let mut items = Vec::new();
    let mut seed = 0;
    while items.len() < 100_000 {
        items.extend(generate(seed, DemoSize::default()));
        seed += 1;
    }
    items.truncate(100_000);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(
        Settings::defaults().unwrap(),
        demo_project().unwrap(),
        Err(dyntui::dynamo::error::AwsError::new("x", "y")),
        ConnContext::default(),
        tx,
        Clipboard::Memory(Vec::new()),
    );
    app.fatal = None;
    app.show_loaded_items(info(), ItemsRequest::scan("dyntui-demo"), items);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut group = c.benchmark_group("render");
    group.bench_function("items_view_100k_200x50", |b| {
        let mut i = 0usize;
        b.iter(|| {
            // Move the cursor so each frame differs.
            if let Some(st) = app.items.as_mut() {
                st.cursor.selected = (i * 7919) % 100_000;
            }
            i += 1;
            terminal.draw(|f| dyntui::views::render(f, &app)).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
