//! Estimates of whole runs from the table: DescribeTable's counts and
//! sizes, a small sample of items where the request alone does not say
//! enough, and the items themselves where they are known (seed, import).
//! Nothing here writes.

use super::{Estimate, Prices, ReadBound, ReadPart, WriteTally, count};
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::error::AwsError;
use crate::dynamo::migrate::{Action, Migration, Plan, apply_ops};
use crate::dynamo::request::{ItemsRequest, RequestKind};
use crate::dynamo::{Item, size};

/// Items a Query's probe reads: its first page, at most this many.
pub const PROBE_ITEMS: i32 = 100;

/// Items sampled from a table, the first pages of [`SAMPLE_SEGMENTS`] Scan
/// segments spread over the key space. A page starts where a segment
/// starts, at the start of a partition, where items that sort first (a
/// customer's profile before its orders) are over-represented: pieces of
/// 64 items keep that bias small on the demo, where 256 pieces of 4 items
/// counted half as many orders again as there are.
pub const SAMPLE_ITEMS: u32 = 1024;

/// Scan segments a sample is taken from.
pub const SAMPLE_SEGMENTS: i32 = 16;

/// Sample requests in flight at once.
const SAMPLE_CONCURRENCY: usize = 16;

/// A run's journal entry per changed item in the ledger (a JSON key hash
/// and value hash, about this many bytes), saved with each page.
pub const JOURNAL_ENTRY_BYTES: u64 = 90;

/// Items per page of a migration run (its journal must fit in a ledger
/// item).
pub use crate::dynamo::migrate::RUN_PAGE_ITEMS;

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

/// The average item (index entry) size DescribeTable reports, when it
/// reports items.
pub fn avg_item_bytes(info: &TableInfo, index: Option<&str>) -> Option<f64> {
    let (items, bytes, _) = extent(info, index);
    (items > 0).then(|| bytes as f64 / items as f64)
}

/// What reading `req` to its end costs by DescribeTable alone, with no
/// request sent (the items view, the patterns form): a Scan's whole read in
/// 1 MB pages; for a Query only its bounds, at least one request and at
/// most the whole table or index (its first page says more).
pub fn describe_only(
    info: &TableInfo,
    req: &ItemsRequest,
    region: Option<&str>,
    prices: &Prices,
) -> Estimate {
    let index = req.index.as_deref();
    let (items, bytes, described) = extent(info, index);
    let mut notes = Vec::new();
    filter_notes(req, &mut notes);
    let part = match &req.kind {
        RequestKind::Scan => ReadPart::new("Scan", index, items, bytes, None, false),
        RequestKind::Query { .. } => {
            let mut p = ReadPart::new("Query", index, 0, 0, None, false);
            p.lower_bound = true;
            let (units, _) = super::read_cost(items, bytes, None, false);
            p.at_most = Some(ReadBound { items, units });
            p
        }
    };
    let what = if req.is_scan() { "Scan" } else { "Query" };
    let mut e = Estimate::new(
        format!("{what} of {}", req.table),
        info,
        region,
        prices,
        Some(part),
        None,
    );
    e.basis.push(described);
    e.notes = notes;
    e
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
    /// (kept, read) per segment, for the sampling error.
    pub pieces: Vec<(u64, u64)>,
}

impl Sample {
    /// The items that satisfy `keep`, with the pieces' counts to match.
    pub fn matching(&self, keep: impl Fn(&Item) -> bool) -> Sample {
        let mut out = Sample {
            scanned: self.scanned,
            consumed: self.consumed,
            complete: self.complete,
            ..Sample::default()
        };
        let mut at = 0usize;
        for &(kept, read) in &self.pieces {
            let end = (at + kept as usize).min(self.items.len());
            let mine: Vec<Item> = self.items[at..end]
                .iter()
                .filter(|i| keep(i))
                .cloned()
                .collect();
            out.pieces.push((mine.len() as u64, read));
            out.items.extend(mine);
            at = end;
        }
        out
    }

    /// The share of items read that the filter keeps.
    pub fn kept_share(&self) -> f64 {
        if self.scanned == 0 {
            1.0
        } else {
            self.items.len() as f64 / self.scanned as f64
        }
    }

    /// The standard error of [`Sample::kept_share`] relative to it, from how
    /// much the pieces disagree (a ratio estimate over clusters); None when
    /// there are fewer than two pieces or nothing was kept.
    pub fn relative_error(&self) -> Option<f64> {
        let pieces: Vec<&(u64, u64)> = self.pieces.iter().filter(|(_, n)| *n > 0).collect();
        let k = pieces.len() as f64;
        let share = self.kept_share();
        if pieces.len() < 2 || share == 0.0 {
            return None;
        }
        let mean_n = self.scanned as f64 / k;
        let ss: f64 = pieces
            .iter()
            .map(|(kept, n)| (*kept as f64 - share * *n as f64).powi(2))
            .sum();
        let se = (ss / (k * (k - 1.0))).sqrt() / mean_n;
        Some(se / share)
    }
}

/// Up to `n` items of `req`: a Scan reads the first page of each of
/// [`SAMPLE_SEGMENTS`] segments (spread over the key space), a Query its
/// first page.
pub async fn sample(db: &Dynamo, req: &ItemsRequest, n: u32) -> Result<Sample, AwsError> {
    use futures::StreamExt;
    let mut s = Sample {
        complete: true,
        ..Sample::default()
    };
    let segments: Vec<Option<(i32, i32)>> = if req.is_scan() {
        (0..SAMPLE_SEGMENTS)
            .map(|i| Some((i, SAMPLE_SEGMENTS)))
            .collect()
    } else {
        vec![None]
    };
    let per = (n / segments.len() as u32).max(1) as i32;
    let mut r = req.clone();
    r.page_size = Some(per);
    r.projection.clear();
    let r = &r;
    let mut pages = futures::stream::iter(segments)
        .map(|seg| async move { db.fetch_page_segment(r, seg, None).await })
        .buffered(SAMPLE_CONCURRENCY);
    while let Some(page) = pages.next().await {
        let page = page?;
        s.scanned += page.scanned.max(0) as u64;
        s.consumed += page.consumed.unwrap_or(0.0);
        s.complete &= page.next.is_none();
        s.pieces
            .push((page.items.len() as u64, page.scanned.max(0) as u64));
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
                // More than a page: how much of the table or index the key
                // condition selects, from a sample of it.
                let mut whole = ItemsRequest::scan(&req.table);
                whole.index = req.index.clone();
                let s = sample(db, &whole, SAMPLE_ITEMS).await?;
                let hits = s.matching(|it| key_matches(&req.kind, it));
                let share = hits.kept_share();
                let guess = (share * items as f64).round() as u64;
                if guess > got {
                    let avg = if hits.items.is_empty() {
                        b as f64 / got.max(1) as f64
                    } else {
                        hits.items.iter().map(size::item_size).sum::<u64>() as f64
                            / hits.items.len() as f64
                    };
                    part = ReadPart::new(
                        "Query",
                        index,
                        guess,
                        (avg * guess as f64).round() as u64,
                        limit,
                        strong,
                    );
                    basis.push(format!(
                        "{} of {} items of a sample of {} match the key condition{}",
                        count(hits.items.len() as u64),
                        count(s.scanned),
                        if index.is_some() {
                            "the index"
                        } else {
                            "the table"
                        },
                        hits.relative_error()
                            .map(|e| format!(" (sampling error about ±{:.0}%)", 100.0 * e))
                            .unwrap_or_default()
                    ));
                } else {
                    part.lower_bound = true;
                    notes.push(format!(
                        "the query reads more than its first {} items; a sample of the {} found too few of them to say how many more",
                        count(got),
                        if index.is_some() { "index" } else { "table" }
                    ));
                }
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

/// Whether `item` satisfies a Query's key condition (an item of a sample,
/// to see how much of a table or index the Query selects).
pub fn key_matches(kind: &RequestKind, item: &Item) -> bool {
    use crate::dynamo::AttributeValue as V;
    use crate::dynamo::request::SortCondition as C;
    use std::cmp::Ordering;
    let RequestKind::Query { pk_name, pk, sort } = kind else {
        return true;
    };
    let order = |a: &V, b: &V| -> Option<Ordering> {
        match (a, b) {
            (V::S(a), V::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (V::B(a), V::B(b)) => Some(a.as_ref().cmp(b.as_ref())),
            (V::N(a), V::N(b)) => a
                .trim()
                .parse::<f64>()
                .ok()?
                .partial_cmp(&b.trim().parse::<f64>().ok()?),
            _ => None,
        }
    };
    if item.get(pk_name).and_then(|v| order(v, pk)) != Some(Ordering::Equal) {
        return false;
    }
    let Some((sk_name, cond)) = sort else {
        return true;
    };
    let Some(v) = item.get(sk_name) else {
        return false;
    };
    let is = |b: &V, want: &[Ordering]| order(v, b).is_some_and(|o| want.contains(&o));
    match cond {
        C::Eq(b) => is(b, &[Ordering::Equal]),
        C::Lt(b) => is(b, &[Ordering::Less]),
        C::Le(b) => is(b, &[Ordering::Less, Ordering::Equal]),
        C::Gt(b) => is(b, &[Ordering::Greater]),
        C::Ge(b) => is(b, &[Ordering::Greater, Ordering::Equal]),
        C::Between(a, b) => {
            is(a, &[Ordering::Greater, Ordering::Equal])
                && is(b, &[Ordering::Less, Ordering::Equal])
        }
        C::BeginsWith(p) => match (v, p) {
            (V::S(v), V::S(p)) => v.starts_with(p.as_str()),
            (V::B(v), V::B(p)) => v.as_ref().starts_with(p.as_ref()),
            _ => false,
        },
    }
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
pub fn puts<I: std::borrow::Borrow<Item>>(
    db: &Dynamo,
    info: &TableInfo,
    items: impl IntoIterator<Item = I>,
    operation: impl Into<String>,
    prices: &Prices,
) -> Estimate {
    let mut w = WriteTally::default();
    for it in items {
        w.put(info, it.borrow());
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
    e.notes
        .push("an item that replaces an existing one costs by the larger of the two sizes".into());
    e
}

/// A seed set's (or an import's) run into `info`'s table: every item it
/// writes, as it writes them (with the seed marker when `settings` has
/// one), sized one by one. Reads the whole set: large files belong off the
/// UI thread.
#[allow(clippy::too_many_arguments)]
pub fn seed_set(
    db: &Dynamo,
    info: &TableInfo,
    set: &crate::dynamo::seeding::SeedSet,
    decode: &crate::dynamo::entity::DecodeConfig,
    schema: &crate::dynamo::itemfile::KeySchema,
    base_dir: &std::path::Path,
    settings: &crate::dynamo::seeding::SeedSettings,
    operation: impl Into<String>,
    prices: &Prices,
) -> Result<Estimate, String> {
    let items = crate::dynamo::seeding::planned_items(set, decode, schema, base_dir, settings)?;
    Ok(puts(db, info, items, operation, prices))
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
        notes.push(
            "redaction reads the source twice (the first pass learns the values to replace)".into(),
        );
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
            "a sample of {} items read in {} pieces, {} kept by the filter, scaled to the table ({} read units){}",
            count(s.scanned),
            s.pieces.len(),
            count(s.items.len() as u64),
            super::units(s.consumed),
            s.relative_error()
                .map(|e| format!("; sampling error about ±{:.0}%", 100.0 * e))
                .unwrap_or_default()
        )
    }
}

/// What a migration's changes to `items` cost: updates, deletes, and moves
/// to a new key (a transaction: twice).
pub fn migration_writes(
    info: &TableInfo,
    plan: &Plan,
    items: &[Item],
) -> (WriteTally, Vec<String>) {
    let mut w = WriteTally::default();
    let mut notes = Vec::new();
    match &plan.action {
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
            notes.push(
                "a command script does its own reads and writes: they are not estimated".into(),
            );
        }
    }
    (w, notes)
}

/// The ledger writes of a run that changes `changed` of `read` items: per
/// page of [`RUN_PAGE_ITEMS`], the journal of that page's changes; and a
/// few small records (the claim, the end).
pub fn ledger_units(read: u64, changed: u64) -> f64 {
    let pages = read.div_ceil(RUN_PAGE_ITEMS as u64).max(1);
    let per_page = changed as f64 / pages as f64;
    let journal = (per_page * JOURNAL_ENTRY_BYTES as f64).ceil() as u64;
    pages as f64 * size::write_units(journal + 200) as f64 + 4.0
}

/// A migration (its up or down part): the read of what it selects (a
/// strongly consistent Scan with its filter, in pages of
/// [`RUN_PAGE_ITEMS`]), and for a run (not a dry run) the writes of its
/// changes, from a sample, with the ledger's journal.
pub async fn migration(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    plan: &Plan,
    type_attribute: &str,
    dry_run: bool,
    prices: &Prices,
) -> Result<Estimate, String> {
    let filter = crate::dynamo::migrate::plan_filter(plan, info, type_attribute)
        .map_err(|e| format!("{}: select: {e}", m.path.display()))?;
    let mut req = ItemsRequest::scan(&info.name);
    req.filter = filter;
    if !dry_run {
        req.page_size = Some(RUN_PAGE_ITEMS);
    }
    let aws = |e: AwsError| e.to_string();
    let (part, mut basis, mut notes) = read(db, info, &req, true).await.map_err(aws)?;
    if dry_run {
        let mut e = Estimate::new(
            format!("dry run of migration {} on {}", m.id, info.name),
            info,
            region(db).as_deref(),
            prices,
            Some(part),
            None,
        );
        basis.push("a dry run reads and transforms only; it reports what a run would write".into());
        e.basis = basis;
        e.notes = notes;
        return Ok(e);
    }
    let s = sample(db, &req, SAMPLE_ITEMS).await.map_err(aws)?;
    let (w, more) = migration_writes(info, plan, &s.items);
    notes.extend(more);
    let mut w = if s.complete || s.items.is_empty() {
        w
    } else {
        let expected = part.items as f64 * s.kept_share();
        w.scaled(expected / s.items.len() as f64)
    };
    if w.items > 0 {
        w.units += ledger_units(part.items, w.items);
        notes.push(format!(
            "the table's write units include the ledger's journal: about {JOURNAL_ENTRY_BYTES} bytes per changed item, saved with each page of {RUN_PAGE_ITEMS} items"
        ));
    }
    basis.push(sample_basis(&s));
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

/// The estimate of a run of `m` in `direction`: as [`migration`] makes it
/// (the read, and the writes from a sample); or, after a dry run of the
/// same file (`dry_writes`), the read with the writes the dry run counted,
/// exact, and the ledger's journal.
pub async fn migration_run(
    db: &Dynamo,
    info: &TableInfo,
    m: &Migration,
    direction: crate::dynamo::migrate::Direction,
    type_attribute: &str,
    dry_writes: Option<WriteTally>,
    prices: &Prices,
) -> Result<Estimate, String> {
    let plan = m
        .plan(direction)
        .ok_or_else(|| format!("{} has no [down] part", m.id))?;
    let Some(mut w) = dry_writes else {
        return migration(db, info, m, plan, type_attribute, false, prices).await;
    };
    let read = migration(db, info, m, plan, type_attribute, true, prices).await?;
    // A run reads in pages of RUN_PAGE_ITEMS (a dry run at 1 MB).
    let part = read.read.as_ref().map(|r| {
        let mut p = ReadPart::new(
            &r.kind,
            r.index.as_deref(),
            r.items,
            r.bytes,
            u32::try_from(RUN_PAGE_ITEMS).ok(),
            r.strongly_consistent,
        );
        p.at_most = r.at_most.clone();
        p.lower_bound = r.lower_bound;
        p
    });
    let selected = part.as_ref().map_or(0, |r| r.items);
    if w.items > 0 {
        w.units += ledger_units(selected, w.items);
    }
    let mut e = Estimate::new(
        format!("migration {} on {}", m.id, info.name),
        info,
        read.region.as_deref(),
        prices,
        part,
        Some(w),
    );
    e.basis = read
        .basis
        .into_iter()
        .filter(|b| !b.starts_with("a dry run reads"))
        .collect();
    e.basis.push(
        "the writes the dry run of this migration counted, item by item, with the ledger's journal"
            .into(),
    );
    e.notes = read.notes;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::AttributeValue as V;
    use crate::dynamo::request::SortCondition as C;

    fn item(pk: &str, sk: V) -> Item {
        Item::from([("PK".to_string(), V::S(pk.into())), ("SK".to_string(), sk)])
    }

    fn query(sort: Option<C>) -> RequestKind {
        RequestKind::Query {
            pk_name: "PK".into(),
            pk: V::S("C#1".into()),
            sort: sort.map(|c| ("SK".to_string(), c)),
        }
    }

    #[test]
    fn key_conditions_match_as_dynamodb_compares_keys() {
        let s = |v: &str| V::S(v.into());
        let n = |v: &str| V::N(v.into());
        assert!(key_matches(&query(None), &item("C#1", s("x"))));
        assert!(!key_matches(&query(None), &item("C#2", s("x"))));
        let bw = query(Some(C::BeginsWith(s("ORDER#"))));
        assert!(key_matches(&bw, &item("C#1", s("ORDER#7"))));
        assert!(!key_matches(&bw, &item("C#1", s("PROFILE"))));
        // Numbers compare by value, not as text.
        let gt = query(Some(C::Gt(n("9"))));
        assert!(key_matches(&gt, &item("C#1", n("10"))));
        assert!(!key_matches(&gt, &item("C#1", n("9.0"))));
        let between = query(Some(C::Between(s("2024-01"), s("2024-03"))));
        assert!(key_matches(&between, &item("C#1", s("2024-02-10"))));
        assert!(!key_matches(&between, &item("C#1", s("2024-03-10"))));
        // Strings compare by UTF-8 bytes: "Z" < "a".
        let lt = query(Some(C::Lt(s("a"))));
        assert!(key_matches(&lt, &item("C#1", s("Z"))));
    }

    #[test]
    fn a_sample_filtered_keeps_its_pieces_and_the_error_grows_with_disagreement() {
        let it = |k: &str| item(k, V::S("x".into()));
        let s = Sample {
            items: vec![it("a"), it("b"), it("a"), it("a"), it("b"), it("b")],
            scanned: 6,
            pieces: vec![(3, 3), (3, 3)],
            ..Sample::default()
        };
        let a = s.matching(|i| i.get("PK") == Some(&V::S("a".into())));
        assert_eq!(a.pieces, vec![(2, 3), (1, 3)]);
        assert_eq!(a.kept_share(), 0.5);
        let err = a.relative_error().expect("two pieces");
        // Pieces of 2/3 and 1/3 around 1/2: a large error.
        assert!(err > 0.3, "{err}");
        let even = Sample {
            pieces: vec![(1, 2), (1, 2)],
            items: vec![it("a"), it("a")],
            scanned: 4,
            ..Sample::default()
        };
        assert_eq!(even.relative_error(), Some(0.0));
    }

    #[test]
    fn ledger_units_are_a_journal_per_page() {
        // 6,626 items read in 7 pages of 1,000; 1,500 changed: about 215
        // per page, 19 KB of journal (20 units) each, plus the claim and
        // the end: 144, as DynamoDB Local reported for that run.
        let u = ledger_units(6_626, 1_500);
        assert_eq!(u, 7.0 * 20.0 + 4.0);
    }
}
