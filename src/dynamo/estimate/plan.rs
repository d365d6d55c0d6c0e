//! Estimates of whole runs from the table: DescribeTable's counts and
//! sizes, a small sample of items where the request alone does not say
//! enough, and the items themselves where they are known (seed, import).
//! Nothing here writes.

use super::{Estimate, Prices, ReadBound, ReadPart, WriteTally, count};
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::error::AwsError;
use crate::dynamo::migrate::{Action, Migration, apply_ops};
use crate::dynamo::request::{ItemsRequest, RequestKind};
use crate::dynamo::{Item, size};

/// Items a Query's probe reads: its first page, at most this many.
pub const PROBE_ITEMS: i32 = 100;

/// Items sampled from a table (spread over 4 Scan segments).
pub const SAMPLE_ITEMS: u32 = 400;

/// Items and bytes of the table, or of one of its indexes, as
/// DescribeTable reports them, and where that came from.
pub fn extent(info: &TableInfo, index: Option<&str>) -> (u64, u64, String) {
    let (items, bytes, what) = match index {
        None => (info.item_count, info.size_bytes, "the table".to_string()),
        Some(name) => match info.indexes.iter().find(|i| i.name == name) {
            Some(i) => (i.item_count, i.size_bytes, format!("index {name}")),
            None => (None, None, format!("index {name}")),
        },
    };
    let items = items.unwrap_or(0).max(0) as u64;
    let bytes = bytes.unwrap_or(0).max(0) as u64;
    (
        items,
        bytes,
        format!(
            "DescribeTable: {} items, {} bytes in {what} (DynamoDB updates these about every six hours)",
            count(items),
            count(bytes)
        ),
    )
}

/// Items sampled from a request's first pages.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Items returned (after the request's filter).
    pub items: Vec<Item>,
    /// Items read (before the filter).
    pub scanned: u64,
    /// Read units the sample consumed.
    pub consumed: f64,
    /// True when the sample read everything the request reads.
    pub complete: bool,
}

impl Sample {
    /// The share of items read that the filter keeps.
    pub fn kept_share(&self) -> f64 {
        if self.scanned == 0 {
            1.0
        } else {
            self.items.len() as f64 / self.scanned as f64
        }
    }
}

/// Up to `n` items of `req`: a Scan reads the first page of each of 4
/// segments (spread over the key space), a Query its first page.
pub async fn sample(db: &Dynamo, req: &ItemsRequest, n: u32) -> Result<Sample, AwsError> {
    let mut s = Sample {
        complete: true,
        ..Sample::default()
    };
    let segments: Vec<Option<(i32, i32)>> = if req.is_scan() {
        (0..4).map(|i| Some((i, 4))).collect()
    } else {
        vec![None]
    };
    let per = (n / segments.len() as u32).max(1) as i32;
    let mut r = req.clone();
    r.page_size = Some(per);
    r.projection.clear();
    for seg in segments {
        let page = db.fetch_page_segment(&r, seg, None).await?;
        s.scanned += page.scanned.max(0) as u64;
        s.consumed += page.consumed.unwrap_or(0.0);
        s.complete &= page.next.is_none();
        s.items.extend(page.items);
    }
    Ok(s)
}

fn filter_notes(req: &ItemsRequest, notes: &mut Vec<String>) {
    if let Some(f) = &req.filter {
        notes.push(format!(
            "the filter ({}) is applied after the read: it does not reduce the capacity consumed",
            f.source
        ));
    }
    if !req.projection.is_empty() {
        notes.push("a projection does not reduce the capacity consumed either".into());
    }
}

/// What reading `req` to its end costs: a Scan from DescribeTable's size of
/// the table or index (a sample when it reports nothing), a Query from a
/// probe of its first page (exact when that page is the last).
pub async fn read(
    db: &Dynamo,
    info: &TableInfo,
    req: &ItemsRequest,
    strong: bool,
) -> Result<(ReadPart, Vec<String>, Vec<String>), AwsError> {
    let mut basis = Vec::new();
    let mut notes = Vec::new();
    filter_notes(req, &mut notes);
    let limit = req.page_size.map(|p| p.max(1) as u32);
    let index = req.index.as_deref();
    let (items, bytes, described) = extent(info, index);
    let part = match &req.kind {
        RequestKind::Scan => {
            if items == 0 && bytes == 0 {
                // A new table's counts lag: look at it instead.
                let mut plain = req.clone();
                plain.filter = None;
                let s = sample(db, &plain, super::plan::SAMPLE_ITEMS).await?;
                let b: u64 = s.items.iter().map(size::item_size).sum();
                if s.complete {
                    basis.push(format!(
                        "the whole table read as a sample: {} items ({} read units)",
                        count(s.items.len() as u64),
                        super::units(s.consumed)
                    ));
                    ReadPart::new("Scan", index, s.items.len() as u64, b, limit, strong)
                } else {
                    basis.push(described);
                    notes.push(format!(
                        "DescribeTable reports no items yet, but a sample found {} or more: the estimate is low until DynamoDB updates its counts",
                        count(s.items.len() as u64)
                    ));
                    ReadPart::new("Scan", index, s.items.len() as u64, b, limit, strong)
                }
            } else {
                basis.push(described);
                ReadPart::new("Scan", index, items, bytes, limit, strong)
            }
        }
        RequestKind::Query { .. } => {
            let mut probe = req.clone();
            probe.filter = None;
            probe.projection.clear();
            probe.page_size = Some(PROBE_ITEMS.min(req.page_size.unwrap_or(PROBE_ITEMS)));
            let page = db.fetch_page(&probe, None).await?;
            let got = page.items.len() as u64;
            let b: u64 = page.items.iter().map(size::item_size).sum();
            basis.push(format!(
                "a probe of the query's first {} items ({} read units)",
                count(got),
                super::units(page.consumed.unwrap_or(0.0))
            ));
            let mut part = ReadPart::new("Query", index, got, b, limit, strong);
            if page.next.is_some() {
                basis.push(described);
                let (all_units, _) = super::read_cost(items.max(got), bytes.max(b), limit, strong);
                part.at_most = Some(ReadBound {
                    items: items.max(got),
                    units: all_units,
                });
            }
            part
        }
    };
    Ok((part, basis, notes))
}

fn region(db: &Dynamo) -> Option<String> {
    db.context().region.clone()
}

/// The estimate of reading `req` to its end (a Scan, export, `G`, a
/// Query with `--all`).
pub async fn read_estimate(
    db: &Dynamo,
    info: &TableInfo,
    req: &ItemsRequest,
    operation: impl Into<String>,
    prices: &Prices,
) -> Result<Estimate, AwsError> {
    let (part, basis, notes) = read(db, info, req, false).await?;
    let mut e = Estimate::new(
        operation,
        info,
        region(db).as_deref(),
        prices,
        Some(part),
        None,
    );
    e.basis = basis;
    e.notes = notes;
    Ok(e)
}

/// Puts of known items into `info`'s table (seed, import).
pub fn puts<'a>(
    db: &Dynamo,
    info: &TableInfo,
    items: impl IntoIterator<Item = &'a Item>,
    operation: impl Into<String>,
    prices: &Prices,
) -> Estimate {
    let mut w = WriteTally::default();
    for it in items {
        w.put(info, it);
    }
    let mut e = Estimate::new(
        operation,
        info,
        region(db).as_deref(),
        prices,
        None,
        Some(w),
    );
    e.basis.push("the items to write, sized one by one".into());
    e.notes.push(
        "an item that replaces an existing one costs by the larger of the two sizes".into(),
    );
    e
}

/// A copy of `req`'s items into `dst`: the read of the source (twice when
/// redacting: a first pass learns the values to replace) and the writes
/// into the destination, sized from a sample of the source.
pub async fn copy(
    src: &Dynamo,
    src_info: &TableInfo,
    req: &ItemsRequest,
    redacting: bool,
    dst: &Dynamo,
    dst_info: &TableInfo,
    prices: &Prices,
) -> Result<Vec<Estimate>, AwsError> {
    let (mut part, basis, mut notes) = read(src, src_info, req, false).await?;
    if redacting {
        part.units *= 2.0;
        part.pages *= 2;
        notes.push("redaction reads the source twice (the first pass learns the values to replace)".into());
    }
    let s = sample(src, req, SAMPLE_ITEMS).await?;
    let mut w = WriteTally::default();
    for it in &s.items {
        w.put(dst_info, it);
    }
    let expected = if s.complete {
        s.items.len() as f64
    } else {
        part.items as f64 * s.kept_share()
    };
    let w = if s.items.is_empty() || s.complete {
        w
    } else {
        w.scaled(expected / s.items.len() as f64)
    };
    let mut read = Estimate::new(
        format!("read {} for the copy", src_info.name),
        src_info,
        region(src).as_deref(),
        prices,
        Some(part),
        None,
    );
    read.basis = basis;
    read.notes = notes;
    let mut write = Estimate::new(
        format!("write the copy into {}", dst_info.name),
        dst_info,
        region(dst).as_deref(),
        prices,
        None,
        Some(w),
    );
    write.basis.push(sample_basis(&s));
    Ok(vec![read, write])
}

fn sample_basis(s: &Sample) -> String {
    if s.complete {
        format!(
            "every item, read as a sample: {} kept of {} read ({} read units)",
            count(s.items.len() as u64),
            count(s.scanned),
            super::units(s.consumed)
        )
    } else {
        format!(
            "a sample of {} items read, {} kept by the filter, scaled to the table ({} read units)",
            count(s.scanned),
            count(s.items.len() as u64),
            super::units(s.consumed)
        )
    }
}

/// What a migration's changes to `items` cost: updates, deletes, and moves
/// to a new key (a transaction: twice).
pub fn migration_writes(info: &TableInfo, m: &Migration, items: &[Item]) -> (WriteTally, Vec<String>) {
    let mut w = WriteTally::default();
    let mut notes = Vec::new();
    match &m.up.action {
        Action::Ops(ops) => {
            for before in items {
                let (after, _) = apply_ops(ops, before);
                if info.key_of(before) != info.key_of(&after) {
                    let mut t = WriteTally {
                        transactional: true,
                        ..WriteTally::default()
                    };
                    t.replace(info, before, &after);
                    w.merge(&t);
                } else {
                    w.replace(info, before, &after);
                }
            }
        }
        Action::Transform(_) => {
            for it in items {
                w.replace_same_size(info, it);
            }
            notes.push("a transform script is not run to estimate: every selected item is counted as rewritten at its size (a dry run counts what it changes)".into());
        }
        Action::Command(_) => {
            notes.push("a command script does its own reads and writes: they are not estimated".into());
        }
    }
    (w, notes)
}

/// A migration: the read of what it selects (a Scan of the table, or a
/// Query of one partition) and the writes of its changes, from a sample.
pub async fn migration(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    req: &ItemsRequest,
    prices: &Prices,
) -> Result<Estimate, AwsError> {
    let (part, mut basis, mut notes) = read(db, info, req, false).await?;
    let s = sample(db, req, SAMPLE_ITEMS).await?;
    let (w, more) = migration_writes(info, m, &s.items);
    notes.extend(more);
    let w = if s.complete || s.items.is_empty() {
        w
    } else {
        let expected = part.items as f64 * s.kept_share();
        w.scaled(expected / s.items.len() as f64)
    };
    basis.push(sample_basis(&s));
    notes.push("the ledger's own records (a few small writes per page) are left out".into());
    let mut e = Estimate::new(
        format!("migration {} on {}", m.id, info.name),
        info,
        region(db).as_deref(),
        prices,
        Some(part),
        Some(w),
    );
    e.basis = basis;
    e.notes = notes;
    Ok(e)
}
