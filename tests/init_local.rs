//! `dyntui init` against DynamoDB Local on the demo table with its project
//! file out of the way: the file it writes parses, and decoding the table
//! with it gives the same types and key fields as the shipped demo file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{db, demo_design, unique};
use dyntui::app::config::{Project, demo_project};
use dyntui::app::project::init;
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::entity::Decoder;
use dyntui::dynamo::keyshape::FieldHow;
use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
use dyntui::dynamo::{Item, value};

/// Type and table-key fields of every item, with a project's decoding.
fn decoded(
    project: &Project,
    info: &dyntui::dynamo::client::TableInfo,
    items: &[Item],
) -> Vec<String> {
    let mut d = Decoder::new(&project.decode, info.table_keys());
    items
        .iter()
        .map(|item| {
            let c = d.classify(item);
            let fields = d.primary_key_fields(item, &c);
            assert!(
                fields.iter().all(|f| f.how == FieldHow::Template),
                "decoded by templates: {fields:?}"
            );
            let fields: Vec<String> = fields.iter().map(ToString::to_string).collect();
            format!(
                "{} {}",
                c.entity.map(|e| d.entity_name(e)).unwrap_or("-"),
                fields.join(" ")
            )
        })
        .collect()
}

#[tokio::test]
async fn init_writes_a_project_file_that_decodes_the_demo_table_like_the_shipped_one() {
    let db = db();
    let table = unique("init");
    demo_design(&table).create(&db).await.expect("create table");
    let items = generate(42, DemoSize::default());
    write_all(
        &db,
        &table,
        items.clone(),
        &WriteOptions::default(),
        Arc::new(Progress::default()),
    )
    .await
    .expect("write the demo items");

    let info = db.describe(&table).await.expect("describe");
    let sample = init::sample(&db, &table, init::DEFAULT_SAMPLE)
        .await
        .expect("sample");
    assert_eq!(sample.len(), init::DEFAULT_SAMPLE, "a full sample");
    let found = init::infer(&info, &sample).expect("inferred");
    assert_eq!(found.type_attribute.as_deref(), Some("Type"));
    let mut names = found.entities.clone();
    names.sort();
    assert_eq!(
        names,
        ["Customer", "Order", "OrderItem", "Product", "Review"]
    );
    assert_eq!(found.decoded, found.sampled, "{}", found.text);

    // Written where no file is, then refused over it without --force.
    let dir = std::env::temp_dir().join(&table);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dyntui.toml");
    init::write_new(&path, &found.text, false).expect("written");
    let err = init::write_new(&path, "x", false).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), found.text);

    // The written file loads (with its patterns and table design) and
    // decodes every item of the table (not just the sample) as the shipped
    // demo file does.
    let written = Project::load(&path).expect("the written file loads");
    assert_eq!(written.tables.len(), 1);
    assert_eq!(written.tables[0].gsis.len(), 2);
    assert!(written.patterns.len() >= 3, "one pattern per key");
    let mut shipped = demo_project().expect("demo project");
    // The shipped file names another table; decoding does not depend on it.
    shipped.default_table = Some(table.clone());
    let mut all = items.clone();
    all.sort_by_key(|i| value::item_to_dynamo(i).to_string());
    assert_eq!(
        decoded(&written, &info, &all),
        decoded(&shipped, &info, &all)
    );
    std::fs::remove_dir_all(&dir).ok();
}
