//! Export from the TUI (`:export FILE`): the marked items, else everything
//! the items view's request selects (every page, with its type filter), in
//! the background with the same code as `dyntui export`. The format follows
//! the file name (`.csv`: CSV per type; else DynamoDB JSON lines).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::tui::state::{App, Level, Msg};
use crate::dynamo::export::{self, ExportFormat, ReadOptions, ReadProgress, Summary};

/// An export in progress.
#[derive(Debug)]
pub struct ExportRun {
    pub id: u64,
    pub path: PathBuf,
    pub progress: Arc<ReadProgress>,
    pub stop: Arc<AtomicBool>,
}

impl App {
    /// Starts exporting the view in front to `path`.
    pub fn start_export(&mut self, path: &str) -> Result<(), String> {
        if self.export.is_some() {
            return Err("an export is already running".into());
        }
        let id = self.id();
        let db = self.db_handle();
        let items = self
            .items
            .as_ref()
            .ok_or("open a table first (:table NAME)")?;
        let info = items
            .info
            .clone()
            .ok_or("the table is still being described")?;
        let path = PathBuf::from(shellexpand_home(path));
        let format = ExportFormat::for_path(&path);
        let progress = Arc::new(ReadProgress::default());
        let stop = Arc::new(AtomicBool::new(false));
        let tx = self.sender();
        let decoder = items.decoder.clone();
        let what;
        if !items.marks.is_empty() {
            let marked: Vec<_> = items
                .marks
                .iter()
                .filter_map(|&i| items.rows.get(i).map(|r| r.item()))
                .collect();
            what = format!("{} marked items", marked.len());
            let p = path.clone();
            let pr = progress.clone();
            tokio::task::spawn_blocking(move || {
                let r = export::export_items(&marked, &info, &p, format, decoder);
                if let Ok(s) = &r {
                    pr.items.store(s.items, Ordering::Relaxed);
                }
                let _ = tx.send(Msg::Exported(id, r));
            });
        } else {
            let Some(db) = db else {
                return Err("not connected".into());
            };
            let mut req = items.request.clone();
            req.page_size = None;
            let only = items.type_filter;
            what = req.describe();
            let p = path.clone();
            let pr = progress.clone();
            let st = stop.clone();
            tokio::spawn(async move {
                let r = export::export(
                    &db,
                    &info,
                    &req,
                    decoder,
                    only,
                    &p,
                    format,
                    &ReadOptions::default(),
                    pr,
                    st,
                )
                .await;
                let _ = tx.send(Msg::Exported(id, r));
            });
        }
        tracing::info!("exporting {what} to {} ({})", path.display(), format.name());
        self.flash = None;
        self.export = Some(ExportRun {
            id,
            path,
            progress,
            stop,
        });
        Ok(())
    }

    pub(crate) fn on_exported(&mut self, id: u64, r: Result<Summary, String>) -> bool {
        if self.export.as_ref().map(|e| e.id) != Some(id) {
            return false;
        }
        self.export = None;
        match r {
            Ok(s) if s.stopped => self.flash(
                Level::Warn,
                format!(
                    "export stopped after {} items (the .partial file is incomplete)",
                    s.items
                ),
            ),
            Ok(s) => self.flash(
                Level::Info,
                format!(
                    "exported {} items to {}",
                    s.items,
                    s.files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Err(e) => self.flash(Level::Error, format!("export failed: {e}")),
        }
        true
    }
}

/// `~/x` as the home directory's `x`.
fn shellexpand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest).display().to_string(),
        _ => p.to_string(),
    }
}
