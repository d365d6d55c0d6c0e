//! Recent parameter values of saved access patterns, kept in the state
//! directory (the patterns screen prefills its form with them).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Recent parameter values per pattern, kept in the state dir.
#[derive(Debug, Default)]
pub struct RecentParams {
    path: Option<PathBuf>,
    map: BTreeMap<String, BTreeMap<String, String>>,
}

impl RecentParams {
    /// `$XDG_STATE_HOME/dyntui/recent-params.json`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "dyntui").map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.cache_dir())
                .join("recent-params.json")
        })
    }

    /// Loads (a missing or unreadable file is an empty memory, logged).
    pub fn load(path: Option<PathBuf>) -> RecentParams {
        let map = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| match serde_json::from_str(&s) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::warn!("ignoring unreadable recent-params file: {e}");
                    None
                }
            })
            .unwrap_or_default();
        RecentParams { path, map }
    }

    pub fn get(&self, pattern: &str) -> Option<&BTreeMap<String, String>> {
        self.map.get(pattern)
    }

    /// Remembers values and writes the file (best effort, logged on failure).
    pub fn remember(&mut self, pattern: &str, values: &BTreeMap<String, String>) {
        self.map.insert(pattern.to_string(), values.clone());
        let Some(path) = &self.path else { return };
        let write = || -> std::io::Result<()> {
            crate::files::write_atomic(path, &serde_json::to_vec_pretty(&self.map)?)
        };
        if let Err(e) = write() {
            tracing::warn!("cannot save recent parameters to {}: {e}", path.display());
        }
    }
}
