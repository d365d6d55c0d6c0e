//! The project's migrations folder and its files, loaded and checked for a
//! table, as `dyntui migrate` and the TUI's migrations view see them.

use std::path::{Path, PathBuf};

use crate::app::config::Project;
use crate::dynamo::client::TableInfo;
use crate::dynamo::migrate::{self, Migration};

/// The migrations folder: `--dir`, else `[migrations] dir`, else
/// `migrations/` next to the project file.
pub fn migrations_dir(project: &Project, dir: Option<&Path>) -> PathBuf {
    if let Some(d) = dir {
        return d.to_path_buf();
    }
    if let Some(d) = &project.migrations_dir {
        return d.clone();
    }
    project
        .path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("migrations")
}

/// Loads and checks every file; any error means nothing runs.
pub fn load(dir: &Path, info: &TableInfo) -> anyhow::Result<Vec<Migration>> {
    let ms = migrate::load_dir(dir).map_err(|errs| {
        anyhow::anyhow!(
            "{}\n{} bad migration file(s); nothing run",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            errs.len()
        )
    })?;
    let errs: Vec<String> = ms
        .iter()
        .filter_map(|m| migrate::check_against(m, info).err())
        .map(|e| e.to_string())
        .collect();
    if !errs.is_empty() {
        anyhow::bail!("{}\nnothing run", errs.join("\n"));
    }
    Ok(ms)
}
