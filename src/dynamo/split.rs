//! An export split into one file per Scan segment, so that several
//! processes (on one machine or many) can share the export of a large
//! table: each writes its share of the parts, a part already complete is
//! skipped, and a worker that stopped or died is finished by running its
//! command again, anywhere. An export reads and never writes the table, so
//! the parts are shared out by number rather than claimed in the table.
//! `import` reads the folder back once every part is present and complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use futures::StreamExt;

use super::client::{Dynamo, TableInfo};
use super::entity::{Decoder, EntityId};
use super::export::{self, ExportFormat, ReadOptions, ReadProgress, Summary};
use super::request::{ItemsRequest, RequestKind};

/// Which parts this process writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Parts (Scan segments, one file each).
    pub parts: u32,
    /// Processes sharing the export.
    pub workers: u32,
    /// This process's number, `0..workers`.
    pub worker: u32,
}

impl Split {
    /// `worker_id` is a number, or a name ending in one (`pod-2`), below
    /// `workers`.
    pub fn new(parts: u32, workers: Option<u32>, worker_id: Option<&str>) -> Result<Split, String> {
        if parts == 0 || parts > 1_000_000 {
            return Err(format!(
                "--parts must be between 1 and 1000000, got {parts}"
            ));
        }
        let workers = workers.unwrap_or(1).max(1);
        let from_env = (workers > 1)
            .then(|| super::migrate::index_from_env(|k| std::env::var(k).ok()))
            .flatten();
        let worker = match worker_id.or(from_env.as_deref()) {
            None if workers == 1 => 0,
            None => {
                return Err(format!(
                    "--workers {workers} needs --worker-id: the number of this process, 0 to {} (or JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX set by the batch system)",
                    workers - 1
                ));
            }
            Some(id) => match super::migrate::number_at_end(id) {
                Some(n) if n < u64::from(workers) => n as u32,
                _ => {
                    return Err(format!(
                        "--worker-id `{id}`: an export shares its parts out by number; give a number from 0 to {} (or a name ending in one, like pod-{})",
                        workers - 1,
                        workers - 1
                    ));
                }
            },
        };
        if workers > parts {
            return Err(format!(
                "--workers {workers} is more than --parts {parts}: some workers would have nothing to write"
            ));
        }
        Ok(Split {
            parts,
            workers,
            worker,
        })
    }

    /// The parts this process writes.
    pub fn mine(&self) -> Vec<u32> {
        (0..self.parts)
            .filter(|p| p % self.workers == self.worker)
            .collect()
    }
}

/// The file name of one part.
pub fn part_name(table: &str, part: u32, parts: u32) -> String {
    format!("{table}.part-{part:05}-of-{parts:05}.jsonl")
}

/// Parses a part's file name: (table, part, parts).
fn parse_part(name: &str) -> Option<(String, u32, u32)> {
    let stem = name.strip_suffix(".jsonl")?;
    let (table, rest) = stem.rsplit_once(".part-")?;
    let (part, parts) = rest.split_once("-of-")?;
    Some((table.to_string(), part.parse().ok()?, parts.parse().ok()?))
}

/// What happened to one part.
#[derive(Debug, Clone, PartialEq)]
pub enum PartEvent {
    /// Complete already (from an earlier run): not read again.
    Skipped {
        part: u32,
        items: u64,
    },
    Written {
        part: u32,
        items: u64,
    },
}

/// Writes this process's parts of an export into `dir` (created if
/// needed), up to `parallel` at once. Each part is written as
/// `<file>.partial` and renamed when complete, with the export's end
/// marker, so a stopped part is read again from its start next time.
#[allow(clippy::too_many_arguments)]
pub async fn export_parts(
    db: &Dynamo,
    info: &TableInfo,
    req: &ItemsRequest,
    decoder: &Decoder,
    only: Option<EntityId>,
    dir: &Path,
    format: ExportFormat,
    opts: &ReadOptions,
    split: &Split,
    parallel: usize,
    progress: Arc<ReadProgress>,
    stop: Arc<AtomicBool>,
    on_part: &(dyn Fn(PartEvent) + Send + Sync),
) -> Result<Summary, String> {
    if !matches!(req.kind, RequestKind::Scan) {
        return Err(
            "a split export reads a Scan in segments; a pattern's Query reads one partition in order and is exported to one file"
                .into(),
        );
    }
    if format == ExportFormat::Csv {
        return Err(
            "a split export writes JSON lines (dynamodb or plain), one file per part; export CSV to one file"
                .into(),
        );
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    let began = Instant::now();
    let mut todo = Vec::new();
    for part in split.mine() {
        let path = dir.join(part_name(&info.name, part, split.parts));
        match std::fs::metadata(&path) {
            Ok(_) => {
                let c = export::check_file(&path)?;
                match (&c.problem, &c.trailer) {
                    (None, Some(t)) => on_part(PartEvent::Skipped {
                        part,
                        items: t.items,
                    }),
                    _ => {
                        return Err(format!(
                            "{} is not a complete part ({}); delete it to export that part again",
                            path.display(),
                            c.problem.unwrap_or_else(|| "it has no end marker".into())
                        ));
                    }
                }
            }
            Err(_) => todo.push((part, path)),
        }
    }
    let results: Vec<Result<Summary, String>> = futures::stream::iter(todo)
        .map(|(part, path)| {
            let opts = ReadOptions {
                segments: split.parts,
                only_segments: Some(vec![part]),
                ..opts.clone()
            };
            let (progress, stop) = (progress.clone(), stop.clone());
            async move {
                let s = export::export(
                    db,
                    info,
                    req,
                    decoder.clone(),
                    only,
                    &path,
                    format,
                    &opts,
                    progress,
                    stop,
                )
                .await
                .map_err(|e| format!("part {part}: {e}"))?;
                if !s.stopped {
                    on_part(PartEvent::Written {
                        part,
                        items: s.items,
                    });
                }
                Ok(s)
            }
        })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let mut sum = Summary {
        elapsed: began.elapsed(),
        ..Summary::default()
    };
    for r in results {
        let s = r?;
        sum.items += s.items;
        sum.files.extend(s.files);
        sum.stopped |= s.stopped;
    }
    sum.scanned = progress.scanned.load(std::sync::atomic::Ordering::Relaxed);
    sum.consumed = progress.consumed();
    Ok(sum)
}

/// A folder of a split export, every part present and complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    pub table: String,
    /// In part order.
    pub files: Vec<PathBuf>,
    /// Items in all.
    pub items: u64,
}

/// Finds a split export in `dir`: None when it holds no parts; an error
/// naming what is missing or incomplete (the parts of a worker that has
/// not finished) when it is not whole.
pub fn find_parts(dir: &Path) -> Result<Option<Parts>, String> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found: Vec<(String, u32, u32, PathBuf)> = Vec::new();
    let mut partial = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some((t, part, parts)) = parse_part(&name) {
            found.push((t, part, parts, e.path()));
        } else if let Some(base) = name.strip_suffix(".partial")
            && parse_part(base).is_some()
        {
            partial.push(name);
        }
    }
    if found.is_empty() && partial.is_empty() {
        return Ok(None);
    }
    found.sort_by_key(|f| f.1);
    let (table, parts) = match found.first() {
        Some((t, _, n, _)) => (t.clone(), *n),
        None => {
            return Err(format!(
                "{}: no part of the export is complete ({} still being written or stopped); finish the export first",
                dir.display(),
                partial.join(", ")
            ));
        }
    };
    if let Some(odd) = found.iter().find(|f| f.0 != table || f.2 != parts) {
        return Err(format!(
            "{}: parts of two exports are mixed ({} and {}); keep one export per folder",
            dir.display(),
            part_name(&table, 0, parts),
            part_name(&odd.0, odd.1, odd.2)
        ));
    }
    let have: std::collections::BTreeSet<u32> = found.iter().map(|f| f.1).collect();
    let missing: Vec<String> = (0..parts)
        .filter(|p| !have.contains(p))
        .map(|p| p.to_string())
        .collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(20).map(String::as_str).collect();
        return Err(format!(
            "{}: the export of {table} has {} of its {parts} parts; missing part(s) {}{} (run the export's workers again to finish them: complete parts are skipped)",
            dir.display(),
            have.len(),
            shown.join(" "),
            if missing.len() > shown.len() {
                " ..."
            } else {
                ""
            }
        ));
    }
    let mut items = 0;
    let mut files = Vec::new();
    for (_, _, _, path) in found {
        let c = export::check_file(&path)?;
        if let Some(p) = c.problem {
            return Err(p);
        }
        let Some(t) = c.trailer else {
            return Err(format!(
                "{} has no end marker: it is not a complete part",
                path.display()
            ));
        };
        items += t.items;
        files.push(path);
    }
    Ok(Some(Parts {
        table,
        files,
        items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_share_the_parts_out_by_number() {
        let s = Split::new(8, Some(3), Some("pod-1")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.mine(), vec![1, 4, 7]);
        assert_eq!(
            Split::new(4, None, None).map(|s| s.mine()),
            Ok(vec![0, 1, 2, 3])
        );
        let e = Split::new(8, Some(3), Some("w3")).unwrap_err();
        assert!(e.contains("0 to 2"), "{e}");
        let e = Split::new(8, Some(3), None).unwrap_err();
        assert!(e.contains("needs --worker-id"), "{e}");
        let e = Split::new(2, Some(3), Some("0")).unwrap_err();
        assert!(e.contains("more than --parts"), "{e}");
        assert!(Split::new(0, None, None).is_err());
    }

    #[test]
    fn part_names_parse_back() {
        let n = part_name("my.table", 3, 16);
        assert_eq!(n, "my.table.part-00003-of-00016.jsonl");
        assert_eq!(parse_part(&n), Some(("my.table".into(), 3, 16)));
        assert_eq!(parse_part("orders.jsonl"), None);
    }

    fn write_part(dir: &Path, part: u32, parts: u32, items: u64, complete: bool) {
        let mut text =
            String::from("{\"_dyntui_export_start\":{\"version\":1,\"format\":\"dynamodb\"}}\n");
        for i in 0..items {
            text.push_str(&format!(
                "{{\"PK\":{{\"S\":\"P{part}-{i}\"}},\"SK\":{{\"S\":\"x\"}}}}\n"
            ));
        }
        if complete {
            text.push_str(&format!(
                "{{\"_dyntui_export\":{{\"version\":1,\"table\":\"t\",\"format\":\"dynamodb\",\"items\":{items},\"complete\":true}}}}\n"
            ));
        }
        let name = part_name("t", part, parts);
        let name = if complete {
            name
        } else {
            format!("{name}.partial")
        };
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_folder_is_read_back_only_when_every_part_is_complete() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(find_parts(dir.path()), Ok(None));
        write_part(dir.path(), 0, 3, 2, true);
        write_part(dir.path(), 2, 3, 1, true);
        write_part(dir.path(), 1, 3, 5, false);
        let e = find_parts(dir.path()).unwrap_err();
        assert!(
            e.contains("has 2 of its 3 parts") && e.contains("missing part(s) 1"),
            "{e}"
        );
        write_part(dir.path(), 1, 3, 4, true);
        let p = find_parts(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("parts"));
        assert_eq!(p.items, 7);
        assert_eq!(p.files.len(), 3);
        assert!(p.files[1].ends_with(part_name("t", 1, 3)));
        write_part(dir.path(), 0, 4, 1, true);
        let e = find_parts(dir.path()).unwrap_err();
        assert!(e.contains("two exports are mixed"), "{e}");
    }
}
