//! What a read or write will cost before it runs: capacity units by
//! DynamoDB's rules, the time at the table's capacity, and the price in the
//! table's region and billing mode. And afterwards, what it consumed beside
//! the estimate.
//!
//! Reads (Query, Scan): DynamoDB adds up the sizes of the items a page
//! reads (before any filter: a filter does not reduce the cost), rounds the
//! page's total up to 4 KB, and charges one read unit per 4 KB, half that
//! when eventually consistent. A page holds at most `Limit` items and at
//! most 1 MB. Each request costs at least one unit (half eventually
//! consistent), even when it reads nothing.
//!
//! Writes: one write unit per 1 KB of the item, rounded up per item;
//! replacing or updating an item costs by the larger of its old and new
//! sizes; a delete by the deleted item's size. Each secondary index whose
//! entry the write adds, changes or removes costs one write more, sized by
//! the index's projection (two when the index key changes: a delete and a
//! put). Transactions cost twice.
//!
//! Prices come from `config/prices.toml` (embedded, with its date and
//! source), overridden per region by the user's config; a region without a
//! price gets no price, never a guess.

use std::collections::BTreeMap;

pub mod plan;

use serde::{Deserialize, Serialize};

use super::Item;
use super::client::TableInfo;
use super::size::{self, READ_UNIT_BYTES};

/// The most a Query or Scan page reads.
pub const PAGE_BYTES: u64 = 1024 * 1024;

/// The price table shipped with dyntui.
pub const PRICES_TOML: &str = include_str!("../../../config/prices.toml");

/// What an on-demand table with no maximum set can serve at first
/// (DynamoDB's documented initial throughput of a new on-demand table).
pub const ON_DEMAND_INITIAL: (f64, f64) = (12_000.0, 4_000.0);

/// Throughput prices of one region (Standard table class).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    /// Per million read request units.
    pub on_demand_read_per_million: f64,
    /// Per million write request units.
    pub on_demand_write_per_million: f64,
    /// Per read capacity unit hour.
    pub provisioned_read_per_hour: f64,
    /// Per write capacity unit hour.
    pub provisioned_write_per_hour: f64,
}

impl RegionPrices {
    fn check(&self) -> Result<(), String> {
        for (name, v) in [
            (
                "on_demand_read_per_million",
                self.on_demand_read_per_million,
            ),
            (
                "on_demand_write_per_million",
                self.on_demand_write_per_million,
            ),
            ("provisioned_read_per_hour", self.provisioned_read_per_hour),
            (
                "provisioned_write_per_hour",
                self.provisioned_write_per_hour,
            ),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} must be a price of 0 or more, got {v}"));
            }
        }
        Ok(())
    }
}

/// The price table: dated, with its source, per region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prices {
    pub as_of: String,
    pub source: String,
    pub currency: String,
    pub regions: BTreeMap<String, RegionPrices>,
    /// Regions whose prices came from the user's config.
    pub overridden: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesFile {
    as_of: String,
    source: String,
    currency: String,
    #[serde(default)]
    regions: BTreeMap<String, RegionPrices>,
}

impl Prices {
    /// Parses a price table (the format of `config/prices.toml`).
    pub fn parse(src: &str) -> Result<Prices, String> {
        let f: PricesFile = toml::from_str(src).map_err(|e| e.to_string())?;
        for (region, p) in &f.regions {
            p.check().map_err(|e| format!("regions.{region}: {e}"))?;
        }
        Ok(Prices {
            as_of: f.as_of,
            source: f.source,
            currency: f.currency,
            regions: f.regions,
            overridden: Vec::new(),
        })
    }

    /// The embedded table (checked by a test, so it always parses).
    pub fn embedded() -> Prices {
        Prices::parse(PRICES_TOML).unwrap_or_else(|e| Prices {
            as_of: "?".into(),
            source: format!("the embedded price table is invalid: {e}"),
            currency: "USD".into(),
            regions: BTreeMap::new(),
            overridden: Vec::new(),
        })
    }

    /// Sets (or replaces) a region's prices from the user's config.
    pub fn set_region(&mut self, region: &str, prices: RegionPrices) -> Result<(), String> {
        prices.check()?;
        self.regions.insert(region.to_string(), prices);
        if !self.overridden.iter().any(|r| r == region) {
            self.overridden.push(region.to_string());
        }
        Ok(())
    }

    pub fn region(&self, region: &str) -> Option<&RegionPrices> {
        self.regions.get(region)
    }
}

/// Read units and requests of reading `items` items of `bytes` bytes in
/// all, in pages of at most `page_limit` items (and 1 MB).
pub fn read_cost(items: u64, bytes: u64, page_limit: Option<u32>, strong: bool) -> (f64, u64) {
    let per_unit = if strong { 1.0 } else { 0.5 };
    let unit = |b: u64| b.div_ceil(READ_UNIT_BYTES).max(1) as f64 * per_unit;
    if items == 0 {
        return (unit(0), 1);
    }
    let avg = bytes as f64 / items as f64;
    // Items a page holds: the limit, or as many as fit in 1 MB.
    let fit = ((PAGE_BYTES as f64 / avg.max(1.0)).floor() as u64).max(1);
    let per_page = page_limit.map_or(fit, |l| u64::from(l.max(1)).min(fit));
    let full = items / per_page;
    let rest = items % per_page;
    let page_bytes = |n: u64| (avg * n as f64).round() as u64;
    let mut units = full as f64 * unit(page_bytes(per_page));
    let mut pages = full;
    if rest > 0 {
        units += unit(page_bytes(rest));
        pages += 1;
    }
    (units, pages)
}

/// A read's part of an estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadPart {
    /// `Scan` or `Query`.
    pub kind: String,
    pub index: Option<String>,
    /// Items read (before any filter).
    pub items: u64,
    pub bytes: u64,
    pub pages: u64,
    /// Read units (request units on demand).
    pub units: f64,
    pub strongly_consistent: bool,
    /// When only a lower bound is known (a Query whose first page did not
    /// reach its end): the most it can read, the whole table or index.
    pub at_most: Option<ReadBound>,
    /// True when these figures are only what the first page read (more
    /// pages follow, and a sample could not say how many).
    pub lower_bound: bool,
}

/// The most a read can cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadBound {
    pub items: u64,
    pub units: f64,
}

impl ReadPart {
    /// Reading `items` items of `bytes` bytes in pages of `page_limit`.
    pub fn new(
        kind: &str,
        index: Option<&str>,
        items: u64,
        bytes: u64,
        page_limit: Option<u32>,
        strong: bool,
    ) -> ReadPart {
        let (units, pages) = read_cost(items, bytes, page_limit, strong);
        ReadPart {
            kind: kind.to_string(),
            index: index.map(str::to_string),
            items,
            bytes,
            pages,
            units,
            strongly_consistent: strong,
            at_most: None,
            lower_bound: false,
        }
    }
}

/// Writes counted item by item: table units and units per index.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WriteTally {
    /// Items written (puts, updates, deletes).
    pub items: u64,
    /// Items that would be written but are unchanged (nothing is sent).
    pub unchanged: u64,
    pub deletes: u64,
    /// Bytes of the items as written (deletes: as they were).
    pub bytes: u64,
    /// Write units of the table.
    pub units: f64,
    /// Write units per secondary index.
    pub indexes: BTreeMap<String, f64>,
    /// Transactional writes (twice the units).
    pub transactional: bool,
}

impl WriteTally {
    fn factor(&self) -> f64 {
        if self.transactional { 2.0 } else { 1.0 }
    }

    fn index(&mut self, name: &str, units: u64) {
        if units > 0 {
            *self.indexes.entry(name.to_string()).or_default() += units as f64 * self.factor();
        }
    }

    /// The whole item written (or deleted) at its size: the table and every
    /// index whose entry it has.
    fn whole(&mut self, info: &TableInfo, item: &Item) {
        let s = size::item_size(item);
        self.items += 1;
        self.bytes += s;
        self.units += size::write_units(s) as f64 * self.factor();
        for i in &info.indexes {
            if let Some(e) = size::index_entry_size(item, info, i) {
                self.index(&i.name, size::write_units(e));
            }
        }
    }

    /// A put of an item where none was (seed, import, copy into an empty
    /// table).
    pub fn put(&mut self, info: &TableInfo, item: &Item) {
        self.whole(info, item);
    }

    /// A delete of `item`.
    pub fn delete(&mut self, info: &TableInfo, item: &Item) {
        self.whole(info, item);
        self.deletes += 1;
    }

    /// An update (or a put over) `before` that leaves `after`: the larger
    /// size counts; an index costs nothing when its entry is unchanged.
    pub fn replace(&mut self, info: &TableInfo, before: &Item, after: &Item) {
        if before == after {
            self.unchanged += 1;
            return;
        }
        if info.key_of(before) != info.key_of(after) {
            // A key change is a delete of the old item and a put of the new.
            self.whole(info, before);
            self.items -= 1;
            self.whole(info, after);
            return;
        }
        let s = size::item_size(before).max(size::item_size(after));
        self.items += 1;
        self.bytes += size::item_size(after);
        self.units += size::write_units(s) as f64 * self.factor();
        for i in &info.indexes {
            let (b, a) = (
                size::index_entry(before, info, i),
                size::index_entry(after, info, i),
            );
            let size_of = size::entry_size;
            let units = match (&b, &a) {
                (None, None) => 0,
                (Some(b), None) => size::write_units(size_of(b)),
                (None, Some(a)) => size::write_units(size_of(a)),
                (Some(b), Some(a)) if b == a => 0,
                (Some(b), Some(a)) => {
                    let same = |name: &str| b.get(name) == a.get(name);
                    let same_key =
                        same(i.pk.name.as_str()) && i.sk.as_ref().is_none_or(|k| same(&k.name));
                    if same_key {
                        size::write_units(size_of(b).max(size_of(a)))
                    } else {
                        size::write_units(size_of(b)) + size::write_units(size_of(a))
                    }
                }
            };
            self.index(&i.name, units);
        }
    }

    /// An item rewritten at its own size (a change of unknown shape): the
    /// table and every index whose entry it has.
    pub fn replace_same_size(&mut self, info: &TableInfo, item: &Item) {
        self.whole(info, item);
    }

    /// Adds another tally (its units already weighted).
    pub fn merge(&mut self, o: &WriteTally) {
        self.items += o.items;
        self.unchanged += o.unchanged;
        self.deletes += o.deletes;
        self.bytes += o.bytes;
        self.units += o.units;
        for (k, v) in &o.indexes {
            *self.indexes.entry(k.clone()).or_default() += v;
        }
    }

    /// `a run would write 1,500 items: 4,500 write units (table 1,500 +
    /// GSI1 1,500, GSI2 1,500)`: what a dry run says of the run.
    pub fn would_write(&self) -> String {
        format!(
            "a run would write {} items: {} write units (table {} + {})",
            count(self.items),
            units(self.total()),
            units(self.units),
            if self.indexes.is_empty() {
                "no index writes".to_string()
            } else {
                self.indexes
                    .iter()
                    .map(|(n, u)| format!("{n} {}", units(*u)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )
    }

    /// Table and index units together.
    pub fn total(&self) -> f64 {
        self.units + self.indexes.values().sum::<f64>()
    }

    /// This tally for `factor` times as many items (a sample scaled to the
    /// table).
    pub fn scaled(&self, factor: f64) -> WriteTally {
        let n = |v: u64| (v as f64 * factor).round() as u64;
        WriteTally {
            items: n(self.items),
            unchanged: n(self.unchanged),
            deletes: n(self.deletes),
            bytes: n(self.bytes),
            units: self.units * factor,
            indexes: self
                .indexes
                .iter()
                .map(|(k, v)| (k.clone(), v * factor))
                .collect(),
            transactional: self.transactional,
        }
    }
}

/// What a run will cost, before it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// What runs: `Scan of orders`, `seed demo into dev`.
    pub operation: String,
    pub table: String,
    pub region: Option<String>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    pub read: Option<ReadPart>,
    pub write: Option<WriteTally>,
    /// Seconds at the table's capacity (provisioned, or the on-demand
    /// maximum); None when nothing bounds it.
    pub seconds: Option<f64>,
    /// What the time is measured against.
    pub capacity: String,
    /// The price in the price table's currency; None when the region has
    /// no price.
    pub price: Option<f64>,
    pub currency: String,
    /// How the price was reached (or why there is none).
    pub price_note: String,
    /// Where the figures came from (DescribeTable, a sample, the items).
    pub basis: Vec<String>,
    /// What the estimate leaves out.
    pub notes: Vec<String>,
}

impl Estimate {
    /// The read stops after the page that brings `max` items
    /// (`--max-items` without a filter): whole pages are still read.
    pub fn cap_items(&mut self, max: u64) {
        if let Some(r) = &mut self.read
            && r.items > max
            && r.pages > 0
        {
            let per_page = r.items.div_ceil(r.pages).max(1);
            let pages = max.div_ceil(per_page).min(r.pages);
            let share = pages as f64 / r.pages as f64;
            r.items = (pages * per_page).min(r.items);
            r.bytes = (r.bytes as f64 * share).round() as u64;
            r.units *= share;
            r.pages = pages;
            r.at_most = None;
            r.lower_bound = false;
            self.notes.push(format!(
                "--max-items {max} stops after the page that brings them: {} whole {} read",
                count(pages),
                if pages == 1 { "page is" } else { "pages are" }
            ));
        }
    }
}

fn set(v: i64) -> Option<f64> {
    (v > 0).then_some(v as f64)
}

impl Estimate {
    /// An estimate of `read` and `write` on `info`'s table, timed and
    /// priced.
    pub fn new(
        operation: impl Into<String>,
        info: &TableInfo,
        region: Option<&str>,
        prices: &Prices,
        read: Option<ReadPart>,
        write: Option<WriteTally>,
    ) -> Estimate {
        let mut e = Estimate {
            operation: operation.into(),
            table: info.name.clone(),
            region: region.map(str::to_string),
            billing_mode: info.billing_mode.clone(),
            read,
            write,
            seconds: None,
            capacity: String::new(),
            price: None,
            currency: prices.currency.clone(),
            price_note: String::new(),
            basis: Vec::new(),
            notes: Vec::new(),
        };
        e.time(info);
        e.price(prices);
        e
    }

    pub fn on_demand(&self) -> bool {
        self.billing_mode == "PAY_PER_REQUEST"
    }

    /// Read units (the point estimate).
    pub fn read_units(&self) -> f64 {
        self.read.as_ref().map_or(0.0, |r| r.units)
    }

    /// Write units, table and indexes.
    pub fn write_units(&self) -> f64 {
        self.write.as_ref().map_or(0.0, WriteTally::total)
    }

    /// The capacity units a confirmation threshold compares with: reads
    /// plus writes, the upper bound when only a range is known.
    pub fn units_for_threshold(&self) -> f64 {
        let read = self
            .read
            .as_ref()
            .map_or(0.0, |r| r.at_most.as_ref().map_or(r.units, |b| b.units));
        read + self.write_units()
    }

    fn time(&mut self, info: &TableInfo) {
        let (reads, writes) = (self.read_units(), self.write.clone().unwrap_or_default());
        let limit = if self.on_demand() {
            match info.on_demand_max {
                Some((r, w)) => {
                    self.capacity = format!(
                        "the on-demand maximum of {} RRU/s and {} WRU/s",
                        if r > 0 { r.to_string() } else { "no".into() },
                        if w > 0 { w.to_string() } else { "no".into() }
                    );
                    Some((set(r), set(w)))
                }
                None => match info.warm {
                    Some((r, w)) => {
                        self.capacity = format!(
                            "the table's warm throughput of {} RRU/s and {} WRU/s (DynamoDB scales past that on demand)",
                            count(r.max(0) as u64),
                            count(w.max(0) as u64)
                        );
                        Some((set(r), set(w)))
                    }
                    None => {
                        self.capacity = format!(
                            "on-demand with no maximum: timed at a new on-demand table's {} RRU/s and {} WRU/s (DynamoDB scales past that)",
                            count(ON_DEMAND_INITIAL.0 as u64),
                            count(ON_DEMAND_INITIAL.1 as u64)
                        );
                        Some((Some(ON_DEMAND_INITIAL.0), Some(ON_DEMAND_INITIAL.1)))
                    }
                },
            }
        } else {
            match info.capacity {
                Some((r, w)) => {
                    self.capacity = format!("the provisioned {r} RCU and {w} WCU");
                    Some((set(r), set(w)))
                }
                None => {
                    self.capacity = "provisioned capacity not reported".into();
                    None
                }
            }
        };
        let Some((r, w)) = limit else { return };
        let mut secs: f64 = 0.0;
        if reads > 0.0 {
            match r {
                Some(r) => secs = secs.max(reads / r),
                None => return,
            }
        }
        if writes.units > 0.0 {
            match w {
                Some(w) => secs = secs.max(writes.units / w),
                None => return,
            }
        }
        // Each GSI takes its writes at its own capacity (provisioned), or
        // at the table's limit (on-demand): the slowest one sets the pace.
        for (name, units) in &writes.indexes {
            let own = info
                .indexes
                .iter()
                .find(|i| &i.name == name)
                .and_then(|i| i.capacity)
                .filter(|(_, iw)| *iw > 0)
                .map(|(_, iw)| iw as f64);
            if let Some(limit) = own.or(w) {
                secs = secs.max(units / limit);
            }
        }
        self.seconds = Some(secs);
    }

    fn price(&mut self, prices: &Prices) {
        let Some(region) = self.region.clone() else {
            self.price_note = "no region is known, so no price".into();
            return;
        };
        let Some(p) = prices.region(&region) else {
            self.price_note = format!(
                "no price for {region} in the price table (dated {}); add [prices.{region}] to your config",
                prices.as_of
            );
            return;
        };
        let from = if prices.overridden.contains(&region) {
            format!("{region} prices from your config")
        } else {
            format!("{region} prices of {}", prices.as_of)
        };
        let (reads, writes) = (self.read_units(), self.write_units());
        if self.on_demand() {
            let price = (reads * p.on_demand_read_per_million
                + writes * p.on_demand_write_per_million)
                / 1e6;
            self.price = Some(price);
            self.price_note = format!("on-demand, {from}");
        } else {
            let price = (reads * p.provisioned_read_per_hour
                + writes * p.provisioned_write_per_hour)
                / 3600.0;
            self.price = Some(price);
            self.price_note = format!(
                "provisioned: no extra charge within the table's capacity; this is what the capacity it uses costs by the hour ({from})"
            );
        }
    }

    /// One line for a status bar or a confirmation:
    /// `≈ 221 RCU + 0 WCU · $0.000028 · ~0.1 s`.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        let unit = |on_demand: bool, read: bool| match (on_demand, read) {
            (true, true) => "RRU",
            (true, false) => "WRU",
            (false, true) => "RCU",
            (false, false) => "WCU",
        };
        if let Some(r) = &self.read {
            let what = match &r.at_most {
                Some(b) => format!(
                    "{} {} {} (≤ {} for the whole {})",
                    if r.lower_bound { "≥" } else { "≈" },
                    units(r.units),
                    unit(self.on_demand(), true),
                    units(b.units),
                    if r.index.is_some() { "index" } else { "table" }
                ),
                None => format!("≈ {} {}", units(r.units), unit(self.on_demand(), true)),
            };
            parts.push(format!("{what} reading {} items", count(r.items)));
        }
        if let Some(w) = &self.write {
            parts.push(format!(
                "≈ {} {} writing {} items",
                units(w.total()),
                unit(self.on_demand(), false),
                count(w.items)
            ));
        }
        if let Some(p) = self.price {
            parts.push(money(p, &self.currency));
        }
        if let Some(s) = self.seconds {
            parts.push(if s < 0.1 {
                duration(s)
            } else {
                format!("~{}", duration(s))
            });
        }
        parts.join(" · ")
    }

    /// The estimate in full, for `--explain`.
    pub fn text(&self) -> String {
        let mut out = format!("estimate: {}\n", self.operation);
        let od = self.on_demand();
        if let Some(r) = &self.read {
            out += &format!(
                "  reads:  {} items, {} in {} {} ({}) of {}\n",
                count(r.items),
                bytes(r.bytes),
                count(r.pages),
                if r.pages == 1 { "request" } else { "requests" },
                r.kind,
                r.index
                    .as_deref()
                    .map_or("the table".to_string(), |i| format!("index {i}")),
            );
            out += &format!(
                "          {} {} ({}{})\n",
                units(r.units),
                if od {
                    "read request units"
                } else {
                    "read capacity units"
                },
                if r.strongly_consistent {
                    "strongly consistent"
                } else {
                    "eventually consistent"
                },
                if r.strongly_consistent {
                    String::new()
                } else {
                    format!("; strongly consistent: {}", units(r.units * 2.0))
                }
            );
            if let Some(b) = &r.at_most {
                out += &format!(
                    "          {}; at most {} for all {} items\n",
                    if r.lower_bound {
                        "at least that: more pages follow, and a sample could not say how many"
                    } else {
                        "more than one page: the rest is estimated from a sample (see below)"
                    },
                    units(b.units),
                    count(b.items)
                );
            }
        }
        if let Some(w) = &self.write {
            out += &format!(
                "  writes: {} items{}{}, {}{}\n",
                count(w.items),
                if w.deletes > 0 {
                    format!(" ({} deletes)", count(w.deletes))
                } else {
                    String::new()
                },
                if w.unchanged > 0 {
                    format!(", {} unchanged (not written)", count(w.unchanged))
                } else {
                    String::new()
                },
                bytes(w.bytes),
                if w.transactional {
                    " (transactions: twice the units)"
                } else {
                    ""
                }
            );
            let mut idx: Vec<String> = w
                .indexes
                .iter()
                .map(|(n, u)| format!("{n} {}", units(*u)))
                .collect();
            if idx.is_empty() {
                idx.push("no index writes".into());
            }
            out += &format!(
                "          {} {} on the table + {} = {}\n",
                units(w.units),
                if od {
                    "write request units"
                } else {
                    "write capacity units"
                },
                idx.join(", "),
                units(w.total())
            );
        }
        out += &format!(
            "  time:   {} at {}\n",
            self.seconds.map_or("unbounded".to_string(), duration),
            self.capacity
        );
        out += &format!(
            "  price:  {} ({})\n",
            self.price
                .map_or("unknown".to_string(), |p| money(p, &self.currency)),
            self.price_note
        );
        for b in &self.basis {
            out += &format!("  from:   {b}\n");
        }
        for n in &self.notes {
            out += &format!("  note:   {n}\n");
        }
        out
    }
}

/// Capacity units for display: whole units plainly (and from 1,000 on,
/// rounded), else one decimal.
pub fn units(u: f64) -> String {
    if u >= 1000.0 || (u - u.round()).abs() < 1e-9 {
        count(u.round() as u64)
    } else {
        format!("{u:.1}")
    }
}

/// `6,626`.
pub fn count(n: u64) -> String {
    super::itemfile::thousands(usize::try_from(n).unwrap_or(usize::MAX))
}

fn bytes(b: u64) -> String {
    match b {
        0..1024 => format!("{b} B"),
        1024..1_048_576 => format!("{:.1} KB", b as f64 / 1024.0),
        _ => format!("{:.1} MB", b as f64 / 1_048_576.0),
    }
}

/// `$0.000028`, `$0.012`, `$12.40`: prices under a dollar keep two
/// significant digits.
pub fn money(p: f64, currency: &str) -> String {
    let sym = if currency == "USD" { "$" } else { "" };
    let suffix = if currency == "USD" {
        String::new()
    } else {
        format!(" {currency}")
    };
    if p == 0.0 {
        return format!("{sym}0{suffix}");
    }
    if p >= 1.0 {
        return format!("{sym}{p:.2}{suffix}");
    }
    let digits = ((-p.log10().floor()) as usize + 1).max(2);
    format!("{sym}{p:.digits$}{suffix}")
}

fn duration(s: f64) -> String {
    if s < 0.1 {
        "under 0.1 s".to_string()
    } else if s < 1.0 {
        format!("{s:.1} s")
    } else if s < 120.0 {
        format!("{} s", s.round())
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// What a run consumed, from ReturnConsumedCapacity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Consumed {
    pub read_units: f64,
    pub write_units: f64,
    /// Write units per secondary index (INDEXES).
    pub indexes: BTreeMap<String, f64>,
}

impl Consumed {
    /// Adds one response's ConsumedCapacity: a read's units (table and
    /// indexes) to `read_units`, a write's table units to `write_units` and
    /// its index units to `indexes`.
    pub fn add(&mut self, c: &aws_sdk_dynamodb::types::ConsumedCapacity, write: bool) {
        let indexes: Vec<(&String, f64)> = c
            .global_secondary_indexes()
            .into_iter()
            .flatten()
            .chain(c.local_secondary_indexes().into_iter().flatten())
            .map(|(n, cap)| (n, cap.capacity_units().unwrap_or(0.0)))
            .collect();
        let index_sum: f64 = indexes.iter().map(|(_, u)| u).sum();
        let table = c
            .table()
            .and_then(|t| t.capacity_units())
            .or(c.capacity_units().map(|t| t - index_sum))
            .unwrap_or(0.0);
        if write {
            self.write_units += table;
            for (name, u) in indexes {
                *self.indexes.entry(name.clone()).or_default() += u;
            }
        } else {
            self.read_units += table + index_sum;
        }
    }

    /// Everything together.
    pub fn total(&self) -> f64 {
        self.read_units + self.write_units + self.indexes.values().sum::<f64>()
    }

    /// `consumed 221 RCU (estimated 221, +0%)`: what a run reports after.
    pub fn beside(&self, estimate: Option<&Estimate>) -> String {
        let mut parts = Vec::new();
        if self.read_units > 0.0 {
            parts.push(format!("{} read", units(self.read_units)));
        }
        let writes = self.write_units + self.indexes.values().sum::<f64>();
        if writes > 0.0 {
            let idx: Vec<String> = self
                .indexes
                .iter()
                .map(|(n, u)| format!("{n} {}", units(*u)))
                .collect();
            parts.push(if idx.is_empty() {
                format!("{} write", units(self.write_units))
            } else {
                format!(
                    "{} write (table {} + {})",
                    units(writes),
                    units(self.write_units),
                    idx.join(", ")
                )
            });
        }
        if parts.is_empty() {
            parts.push("0".into());
        }
        let mut out = format!("consumed {} capacity units", parts.join(", "));
        if let Some(e) = estimate {
            let est = e.read_units() + e.write_units();
            let got = self.total();
            let bound = e
                .read
                .as_ref()
                .and_then(|r| r.at_most.as_ref().map(|b| (r, b)));
            match bound {
                Some((r, b)) if r.lower_bound => {
                    out += &format!(
                        " (estimated at least {} and at most {})",
                        units(est),
                        units(b.units + e.write_units())
                    );
                }
                _ => {
                    let off = if est > 0.0 {
                        format!("{:+.0}%", 100.0 * (got - est) / est)
                    } else {
                        "n/a".into()
                    };
                    out += &format!(" (estimated {}, {off})", units(est));
                }
            }
        }
        out
    }
}

/// How far `measured` is from `estimated`, as a share of `measured`.
pub fn relative_error(estimated: f64, measured: f64) -> f64 {
    if measured == 0.0 {
        if estimated == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        (estimated - measured).abs() / measured
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::AttributeValue;
    use crate::dynamo::client::KeyDef;
    use crate::dynamo::client::{IndexInfo, KeyKind};

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn info(billing: &str) -> TableInfo {
        TableInfo {
            name: "t".into(),
            pk: Some(KeyDef::new("PK", KeyKind::S)),
            sk: Some(KeyDef::new("SK", KeyKind::S)),
            billing_mode: billing.into(),
            capacity: (billing == "PROVISIONED").then_some((10, 5)),
            indexes: vec![
                IndexInfo {
                    name: "GSI1".into(),
                    global: true,
                    pk: KeyDef::new("GSI1PK", KeyKind::S),
                    sk: None,
                    projection: "KEYS_ONLY".into(),
                    status: None,
                    capacity: None,
                    item_count: None,
                    size_bytes: None,
                },
                IndexInfo {
                    name: "GSI2".into(),
                    global: true,
                    pk: KeyDef::new("GSI2PK", KeyKind::S),
                    sk: None,
                    projection: "ALL".into(),
                    status: None,
                    capacity: None,
                    item_count: None,
                    size_bytes: None,
                },
            ],
            ..TableInfo::default()
        }
    }

    fn item(pk: &str, body: usize) -> Item {
        Item::from([
            ("PK".to_string(), s(pk)),
            ("SK".to_string(), s("A")),
            ("GSI1PK".to_string(), s("G")),
            ("body".to_string(), s(&"x".repeat(body))),
        ])
    }

    #[test]
    fn the_embedded_price_table_parses_with_its_date_and_source() {
        let p = Prices::parse(PRICES_TOML).expect("config/prices.toml");
        assert!(!p.as_of.is_empty() && p.source.contains("aws.amazon.com"));
        let us = p.region("us-east-1").expect("us-east-1");
        assert_eq!(us.on_demand_write_per_million, 0.625);
        assert_eq!(us.on_demand_read_per_million, 0.125);
    }

    #[test]
    fn a_negative_price_is_refused_with_its_field() {
        let e = Prices::parse(
            "as_of='x'\nsource='y'\ncurrency='USD'\n[regions.r]\non_demand_read_per_million=-1\non_demand_write_per_million=1\nprovisioned_read_per_hour=1\nprovisioned_write_per_hour=1\n",
        )
        .unwrap_err();
        assert!(
            e.contains("regions.r") && e.contains("on_demand_read_per_million"),
            "{e}"
        );
    }

    #[test]
    fn reads_round_each_page_up_to_4_kb() {
        // AWS: a Query returning 3 items of 1,500 bytes reads 4,500 bytes,
        // rounded to 8 KB: 2 strongly consistent units, 1 eventually.
        assert_eq!(read_cost(3, 4500, None, true), (2.0, 1));
        assert_eq!(read_cost(3, 4500, None, false), (1.0, 1));
        // One page per item: each 1,500-byte item rounds to 4 KB.
        assert_eq!(read_cost(3, 4500, Some(1), true), (3.0, 3));
        // Nothing read still costs a request's minimum.
        assert_eq!(read_cost(0, 0, None, false), (0.5, 1));
        // 1 MB pages: 2.5 MB in 3 pages; the units are the bytes / 4 KB.
        let (u, p) = read_cost(2560, 2560 * 1024, None, true);
        assert_eq!((u, p), (640.0, 3));
    }

    #[test]
    fn page_limits_are_also_capped_by_1_mb() {
        // 100 KB items, Limit 100: a page still stops at 1 MB (10 items).
        let (_, pages) = read_cost(100, 100 * 102_400, Some(100), true);
        assert_eq!(pages, 10);
    }

    #[test]
    fn a_put_costs_its_kb_plus_one_write_per_index_it_is_in() {
        let i = info("PAY_PER_REQUEST");
        let mut t = WriteTally::default();
        // 2.5 KB: 3 units; GSI1 (keys only, small) 1; not in GSI2.
        t.put(&i, &item("a", 2500));
        assert_eq!(t.units, 3.0);
        assert_eq!(t.indexes, BTreeMap::from([("GSI1".to_string(), 1.0)]));
        assert_eq!(t.total(), 4.0);
        t.transactional = true;
        t.put(&i, &item("b", 10));
        assert_eq!(t.total(), 4.0 + 4.0, "a transaction costs twice");
    }

    #[test]
    fn an_update_costs_the_larger_size_and_skips_unchanged_index_entries() {
        let i = info("PAY_PER_REQUEST");
        let before = item("a", 3000);
        let mut after = before.clone();
        after.insert("body".into(), s("short"));
        let mut t = WriteTally::default();
        t.replace(&i, &before, &after);
        // The larger (before) size: 3 units. GSI1 is keys only: its entry
        // is unchanged, so no index write.
        assert_eq!(t.units, 3.0);
        assert!(t.indexes.is_empty(), "{:?}", t.indexes);
        // Adding GSI2PK puts the item into GSI2 (ALL): one more write.
        let mut into = after.clone();
        into.insert("GSI2PK".into(), s("g2"));
        let mut t = WriteTally::default();
        t.replace(&i, &after, &into);
        assert_eq!(t.indexes.get("GSI2"), Some(&1.0));
        // Changing GSI1's key: a delete and a put in the index.
        let mut moved = after.clone();
        moved.insert("GSI1PK".into(), s("other"));
        let mut t = WriteTally::default();
        t.replace(&i, &after, &moved);
        assert_eq!(t.indexes.get("GSI1"), Some(&2.0));
        // The same item again: nothing is written.
        let mut t = WriteTally::default();
        t.replace(&i, &after, &after);
        assert_eq!((t.items, t.unchanged, t.total()), (0, 1, 0.0));
    }

    #[test]
    fn on_demand_prices_are_per_million_units() {
        let prices = Prices::embedded();
        let i = info("PAY_PER_REQUEST");
        let mut w = WriteTally::default();
        for n in 0..1000 {
            w.put(&i, &item(&format!("p{n}"), 10)); // 1 + GSI1 1 each
        }
        let read = ReadPart::new("Scan", None, 4_000_000, 4_000_000 * 4096, None, true);
        let e = Estimate::new("x", &i, Some("us-east-1"), &prices, Some(read), Some(w));
        // 4M RRU at $0.125/M + 2,000 WRU at $0.625/M.
        let want = 4.0 * 0.125 + 0.002 * 0.625;
        assert!((e.price.unwrap() - want).abs() < 1e-12, "{:?}", e.price);
        assert!(e.price_note.contains("on-demand"), "{}", e.price_note);
        // Timed at a new on-demand table's throughput: 4M / 12,000 RRU/s.
        assert!((e.seconds.unwrap() - 4_000_000.0 / 12_000.0).abs() < 1e-9);
    }

    #[test]
    fn on_demand_time_is_at_the_warm_throughput_when_reported() {
        let mut i = info("PAY_PER_REQUEST");
        i.warm = Some((24_000, 8_000));
        let read = ReadPart::new("Scan", None, 48_000, 48_000 * 4096, None, true);
        let e = Estimate::new(
            "x",
            &i,
            Some("us-east-1"),
            &Prices::embedded(),
            Some(read),
            None,
        );
        assert_eq!(e.seconds, Some(2.0), "48,000 units at 24,000 RRU/s");
        assert!(e.capacity.contains("warm throughput"), "{}", e.capacity);
    }

    #[test]
    fn provisioned_prices_are_capacity_hours_and_time_is_at_capacity() {
        let prices = Prices::embedded();
        let i = info("PROVISIONED"); // 10 RCU, 5 WCU
        let read = ReadPart::new("Scan", None, 3600, 3600 * 4096, Some(1), true);
        let e = Estimate::new("x", &i, Some("us-east-1"), &prices, Some(read), None);
        assert_eq!(e.read_units(), 3600.0);
        // 3,600 RCU is 1 RCU-hour: $0.00013.
        assert!((e.price.unwrap() - 0.00013).abs() < 1e-12, "{:?}", e.price);
        assert_eq!(e.seconds, Some(360.0), "3,600 units at 10 RCU/s");
        assert!(e.price_note.contains("no extra charge"), "{}", e.price_note);
    }

    #[test]
    fn a_region_without_a_price_says_so_and_a_user_price_fills_it() {
        let mut prices = Prices::embedded();
        let i = info("PAY_PER_REQUEST");
        let read = ReadPart::new("Scan", None, 10, 1000, None, false);
        let e = Estimate::new(
            "x",
            &i,
            Some("xx-nowhere-1"),
            &prices,
            Some(read.clone()),
            None,
        );
        assert_eq!(e.price, None);
        assert!(
            e.price_note.contains("no price for xx-nowhere-1"),
            "{}",
            e.price_note
        );
        assert!(e.text().contains("price:  unknown"), "{}", e.text());
        prices
            .set_region(
                "xx-nowhere-1",
                RegionPrices {
                    on_demand_read_per_million: 1.0,
                    on_demand_write_per_million: 1.0,
                    provisioned_read_per_hour: 1.0,
                    provisioned_write_per_hour: 1.0,
                },
            )
            .unwrap();
        let e = Estimate::new("x", &i, Some("xx-nowhere-1"), &prices, Some(read), None);
        assert_eq!(e.price, Some(0.5 / 1e6));
        assert!(
            e.price_note.contains("from your config"),
            "{}",
            e.price_note
        );
    }

    #[test]
    fn money_keeps_two_significant_digits_of_small_prices() {
        assert_eq!(money(0.0000276, "USD"), "$0.000028");
        assert_eq!(money(12.4, "USD"), "$12.40");
        assert_eq!(money(0.0116, "USD"), "$0.012");
        assert_eq!(money(0.25, "USD"), "$0.25");
        assert_eq!(money(0.0, "USD"), "$0");
        assert_eq!(count(1_803_035), "1,803,035");
        assert_eq!(units(221.0), "221");
        assert_eq!(units(0.5), "0.5");
        assert_eq!(units(1_787_709.5), "1,787,710");
    }

    #[test]
    fn consumed_is_compared_with_the_estimate() {
        let prices = Prices::embedded();
        let i = info("PAY_PER_REQUEST");
        let read = ReadPart::new("Scan", None, 10, 40960, None, true);
        let e = Estimate::new("x", &i, Some("us-east-1"), &prices, Some(read), None);
        let c = Consumed {
            read_units: 11.0,
            ..Consumed::default()
        };
        assert_eq!(
            c.beside(Some(&e)),
            "consumed 11 read capacity units (estimated 10, +10%)"
        );
        assert!((relative_error(10.0, 11.0) - 1.0 / 11.0).abs() < 1e-12);
    }
}
