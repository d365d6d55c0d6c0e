//! Memory held by loaded items in the items view, against their size as
//! DynamoDB JSON. Counts live heap bytes with a counting global allocator.
//! `cargo bench --bench memory`
#![allow(clippy::unwrap_used, clippy::expect_used)]
// test and benchmark code may fail loudly
// A global allocator that counts live bytes needs `unsafe impl GlobalAlloc`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, demo_project};
use dyntui::app::tui::state::App;
use dyntui::dynamo::client::{KeyDef, KeyKind, TableInfo};
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::error::{AwsError, ConnContext};
use dyntui::dynamo::request::ItemsRequest;
use dyntui::dynamo::value;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _g = rt.enter();
    // `cargo test --all-targets` runs this without `--bench`: a quick pass.
    let full = std::env::args().any(|a| a == "--bench");
    let target = if full { 100_000 } else { 2_000 };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(
        Settings::defaults().expect("defaults"),
        demo_project().expect("demo"),
        Err(AwsError::new("none", "no connection needed")),
        ConnContext::default(),
        tx,
        Clipboard::Memory(Vec::new()),
    );
    let info = TableInfo {
        name: "dyntui-demo".into(),
        pk: Some(KeyDef {
            name: "PK".into(),
            kind: Some(KeyKind::S),
        }),
        sk: Some(KeyDef {
            name: "SK".into(),
            kind: Some(KeyKind::S),
        }),
        ..TableInfo::default()
    };
    let base = LIVE.load(Ordering::Relaxed);
    let mut items = Vec::new();
    let mut seed = 0;
    while items.len() < target {
        items.extend(generate(seed, DemoSize::default()));
        seed += 1;
    }
    items.truncate(target);
    let json_bytes: usize = items
        .iter()
        .map(|i| {
            serde_json::to_string(&value::item_to_dynamo(i))
                .map(|s| s.len())
                .unwrap_or(0)
        })
        .sum();
    // Everything the view holds: the items (as the SDK hands them over), their
    // classification, the filtered view and the per-type counts.
    app.show_loaded_items(info, ItemsRequest::scan("dyntui-demo"), items);
    let held = LIVE.load(Ordering::Relaxed) - base;
    println!("items loaded:             {target}");
    println!(
        "DynamoDB JSON size:       {json_bytes} bytes ({:.0} B/item)",
        json_bytes as f64 / target as f64
    );
    println!(
        "heap held by items view:  {held} bytes ({:.0} B/item)",
        held as f64 / target as f64
    );
    println!(
        "ratio to DynamoDB JSON:   {:.2}x",
        held as f64 / json_bytes as f64
    );
}
