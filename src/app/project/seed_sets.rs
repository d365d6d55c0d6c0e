//! The seed sets of a project and the designs their tables are created
//! from, as `dyntui seed`, `dyntui import` and the TUI's seed view see them.

use crate::app::config::{Project, demo_project};
use crate::dynamo::seeding::{SeedSet, SeedSource};

/// The project's seed sets plus the built-in `demo`.
pub fn seed_sets(project: &Project) -> Vec<SeedSet> {
    let mut sets = project.seed_sets.clone();
    if !sets.iter().any(|s| s.name == "demo") {
        sets.push(SeedSet {
            name: "demo".into(),
            description: "the demo shop (about 6,600 items)".into(),
            table: Some("dyntui-demo".into()),
            source: SeedSource::Builtin("demo".into()),
            seed: 42,
        });
    }
    sets
}

/// The design a missing table is created from: the one of that name, else
/// the project's only design (stages share a design under other names), else
/// for the built-in demo set the demo design; renamed to `table`.
pub fn design_for(
    project: &Project,
    table: &str,
    set: &SeedSet,
) -> Option<crate::dynamo::design::TableDesign> {
    project
        .table(table)
        .cloned()
        .or_else(|| (project.tables.len() == 1).then(|| project.tables[0].clone()))
        .or_else(|| {
            matches!(set.source, SeedSource::Builtin(_))
                .then(|| demo_project().ok())
                .flatten()
                .and_then(|d| d.tables.first().cloned())
        })
        .map(|mut t| {
            t.name = table.to_string();
            t
        })
}
