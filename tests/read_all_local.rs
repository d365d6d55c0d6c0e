//! `G` in the items view against DynamoDB Local: the rest of a Scan is read
//! at full page size in parallel segments, every item arrives exactly once
//! (the rows loaded before are read again by the segments and not shown
//! twice), in segment order, then page order, the cursor on the last row.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::{db, demo_design, unique};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use dyntui::app::clipboard::Clipboard;
use dyntui::app::config::{Settings, demo_project};
use dyntui::app::tui::state::{App, Msg};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::export::ReadOptions;
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::{AttributeValue, Item};
use tokio::sync::mpsc::UnboundedReceiver;

/// Items of about 2 KB, so that each of 4 segments has more than one
/// 1 MB page.
const ITEMS: usize = 3000;

fn item(i: usize) -> Item {
    let s = |v: String| AttributeValue::S(v);
    Item::from([
        ("PK".to_string(), s(format!("THING#{:04}", i % 700))),
        ("SK".to_string(), s(format!("PART#{i:05}"))),
        ("Type".to_string(), s("Part".into())),
        ("n".to_string(), AttributeValue::N(i.to_string())),
        ("pad".to_string(), s(format!("{i:05}-").repeat(330))),
    ])
}

fn key(it: &Item) -> (String, String) {
    let text = |name: &str| match it.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        other => panic!("{name}: {other:?}"),
    };
    (text("PK"), text("SK"))
}

/// The keys of one segment of a parallel Scan, in the order it returns
/// them (page after page).
async fn segment_keys(db: &Dynamo, table: &str, segment: i32, total: i32) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    let mut start = None;
    loop {
        let out = db
            .client()
            .scan()
            .table_name(table)
            .segment(segment)
            .total_segments(total)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        keys.extend(out.items().iter().map(key));
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return keys,
        }
    }
}

fn app() -> (App, UnboundedReceiver<Msg>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut settings = Settings::defaults().unwrap();
    settings.ui.page_size = 25;
    let d = db();
    let ctx = d.context().clone();
    let app = App::new(
        settings,
        demo_project().unwrap(),
        Ok(d),
        ctx,
        tx,
        Clipboard::Memory(vec![]),
    );
    (app, rx)
}

/// Applies messages until nothing is in flight.
async fn settle(app: &mut App, rx: &mut UnboundedReceiver<Msg>) {
    let mut runner = app.runner();
    app.run_effects(&mut runner);
    while app.busy() {
        let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("a reply within 30 s")
            .expect("channel open");
        app.update(msg);
        app.run_effects(&mut runner);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g_reads_every_item_once_in_parallel_segments() {
    let db = db();
    let name = unique("readall");
    demo_design(&name).create(&db).await.expect("create");
    let items: Vec<Item> = (0..ITEMS).map(item).collect();
    write_all(
        &db,
        &name,
        items.clone(),
        &WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("seed");
    let want: HashMap<(String, String), Item> =
        items.into_iter().map(|it| (key(&it), it)).collect();

    let (mut app, mut rx) = app();
    app.open_table(&name);
    settle(&mut app, &mut rx).await;
    let first: Vec<(String, String)> = {
        let st = app.items.as_ref().unwrap();
        assert_eq!(st.rows.len(), 25, "browsing reads pages of 25");
        st.rows.iter().map(|r| key(&r.item())).collect()
    };

    app.update(Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char('G'),
        KeyModifiers::NONE,
    ))));
    settle(&mut app, &mut rx).await;
    let st = app.items.as_ref().unwrap();
    assert!(st.error.is_none(), "{:?}", st.error);
    assert!(st.done, "every page read");

    // Every item exactly once, as written.
    let keys: Vec<(String, String)> = st.rows.iter().map(|r| key(&r.item())).collect();
    let mut seen = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(j) = seen.insert(k.clone(), i) {
            panic!("{k:?} shown twice: rows {j} and {i}");
        }
    }
    assert_eq!(keys.len(), ITEMS);
    for r in &st.rows {
        let it = r.item();
        assert_eq!(Some(&it), want.get(&key(&it)), "an item as written");
    }

    // Read in parallel segments at full page size: a few pages, not
    // ITEMS / 25 of them.
    let segments = ReadOptions::default().segments;
    assert_eq!(st.stats.segments, segments);
    assert!(segments > 1);
    assert!(
        st.stats.pages > 1 + segments && st.stats.pages < 1 + 3 * segments,
        "{} pages: 1 of 25 items, then about two 1 MB pages per segment",
        st.stats.pages
    );

    // The rows loaded first stay first; then segment 0, 1, ... in the
    // order each segment returns its items.
    assert_eq!(keys[..25], first[..]);
    let mut order = first.clone();
    for s in 0..segments as i32 {
        for k in segment_keys(&db, &name, s, segments as i32).await {
            if !first.contains(&k) {
                order.push(k);
            }
        }
    }
    assert_eq!(keys, order, "rows in segment order, then page order");
    assert_eq!(st.cursor.selected, ITEMS - 1, "the cursor on the last row");

    db.client()
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .expect("delete table");
}
