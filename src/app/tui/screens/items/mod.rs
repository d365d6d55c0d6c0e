//! The items view: the pages of a Scan or Query, decoded into entities,
//! filtered by type and text, paged as the cursor moves; the query form,
//! server-side filters and copies of the request. Editing the item under
//! the cursor is the edit screen's (`screens::edit`), reached from here.

use crate::dynamo::pages::{ReadBudget, ReadTotals};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::config::{Project, Settings};
use crate::app::tui::cx::{Core, Cx, Level};
use crate::app::tui::input::{Input, QueryForm};
use crate::app::tui::keymap::Action;
use crate::app::tui::request::{ReqId, Request};
use crate::app::tui::task::Tracked;
use crate::app::tui::widgets::ListCursor;
use crate::app::tui::widgets::edit_line;
use crate::app::tui::widgets::{Answer, Confirm};
use crate::dynamo::client::{Page, TableInfo};
use crate::dynamo::compact::{self, CompactItem};
use crate::dynamo::edit::Change;
use crate::dynamo::entity::{Classified, Decoder, EntityId};
use crate::dynamo::error::{AwsError, ConnContext};
use crate::dynamo::estimate::{Estimate, plan, read_cost};
use crate::dynamo::export::{ReadOptions, segments_of};
use crate::dynamo::request::{
    Filter, ItemsRequest, QueryTextError, RequestKind, SortCondition, SortOp, SortText,
    query_of_text, shell_word,
};
use crate::dynamo::{AttributeValue, Item, value};

pub mod effects;
#[cfg(test)]
mod tests;

/// Rows sampled for a type's derived columns.
const COLUMN_SAMPLE: usize = 200;
/// Derived columns shown at most.
const MAX_DERIVED_COLUMNS: usize = 8;

#[derive(Debug)]
pub enum ItemsMsg {
    /// A page of the request, by request id.
    Page(ReqId, Result<Page, AwsError>),
    /// A page of a read of everything ([`ItemsEffect::ReadAll`]), from
    /// Scan segment `segment` (0 for a Query). The ticket is given back
    /// when the view has taken the page: the reading waits for it, so only
    /// a few pages wait, decoded, between the reads and the view.
    Part {
        id: ReqId,
        segment: u32,
        page: Page,
        ticket: Ticket,
    },
    /// The read of everything ended: Ok when every page arrived.
    AllRead(ReqId, Result<(), AwsError>),
}

impl ItemsMsg {
    /// The request a message answers and how it went (a page that
    /// arrived counts as a success).
    pub fn outcome(&self) -> (ReqId, Result<(), &AwsError>) {
        match self {
            ItemsMsg::Page(id, r) => (*id, r.as_ref().map(|_| ())),
            ItemsMsg::Part { id, .. } => (*id, Ok(())),
            ItemsMsg::AllRead(id, r) => (*id, r.as_ref().copied()),
        }
    }
}

/// A page of a read of everything held by the view until it has taken it
/// (see [`ItemsMsg::Part`]); the default holds nothing.
#[derive(Debug, Default)]
pub struct Ticket(pub Option<tokio::sync::OwnedSemaphorePermit>);

#[derive(Debug, Clone, PartialEq)]
pub enum ItemsEffect {
    /// One page of the request, from `start` (None: the first page).
    FetchPage {
        id: ReqId,
        request: ItemsRequest,
        start: Option<Item>,
    },
    /// Every page of the request, at the service's page size (no Limit:
    /// 1 MB pages): a Scan in `segments` parallel segments from its start,
    /// a Query page after page from `start`. Each page is sent as it
    /// arrives ([`ItemsMsg::Part`]), then [`ItemsMsg::AllRead`].
    ReadAll {
        id: ReqId,
        request: ItemsRequest,
        start: Option<Item>,
        segments: u32,
    },
}

impl Tracked for ItemsEffect {
    fn request_id(&self) -> Option<ReqId> {
        match self {
            ItemsEffect::FetchPage { id, .. } | ItemsEffect::ReadAll { id, .. } => Some(*id),
        }
    }
}

/// Where the pages of a read of everything go.
#[derive(Debug, Clone, Default)]
pub struct ReadAll {
    /// A parallel Scan (its segments start from the beginning; no
    /// LastEvaluatedKey continues them), else a Query read on in order.
    pub segmented: bool,
    /// Where each segment's rows end in `rows`. A page goes after the
    /// earlier pages of its segment, so the rows are in segment order,
    /// then page order, whatever order the pages arrive in: the same
    /// order on every read of an unchanged table.
    pub ends: Vec<usize>,
    /// The key attributes, and the keys (compact bytes) of the rows
    /// loaded before a segmented read: its segments read them again, and
    /// they are not shown twice.
    pub key_names: Vec<String>,
    pub seen: HashSet<Box<[u8]>>,
}

pub type ItemsCx<'a> = Cx<'a, ItemsEffect>;

/// A decoded item and its classification (rows on screen, the detail view).
#[derive(Debug, Clone)]
pub struct Row {
    pub item: Item,
    pub class: Classified,
}

/// A loaded item, held compactly, and its classification.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub data: CompactItem,
    pub class: Classified,
}

impl Loaded {
    /// The decoded item (empty, and logged, if the bytes were corrupt).
    pub fn item(&self) -> Item {
        self.data.decode().unwrap_or_else(|e| {
            tracing::error!("{e}");
            Item::new()
        })
    }

    pub fn row(&self) -> Row {
        Row {
            item: self.item(),
            class: self.class.clone(),
        }
    }
}

/// Totals over the pages of the current request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub pages: u32,
    pub count: u64,
    pub scanned: u64,
    pub consumed: f64,
    pub last_ms: u128,
    /// Parallel segments of the last read of everything (0: none yet).
    pub segments: u32,
    /// What the pages read were estimated to cost before they ran: each
    /// page's items read at DescribeTable's average size, rounded to 4 KB
    /// (None without a description to size them).
    pub estimated: Option<f64>,
}

pub struct ItemsState {
    pub table: String,
    pub info: Option<TableInfo>,
    pub decoder: Decoder,
    pub request: ItemsRequest,
    /// Loaded items, compact: a decoded item costs ~5x its size.
    pub rows: Vec<Loaded>,
    /// Indices into `rows` that pass the text and type filters.
    pub view: Vec<usize>,
    /// LastEvaluatedKey of the last page; None with `done` = all loaded.
    pub next: Option<Item>,
    pub done: bool,
    /// The page, or the read of everything, in flight.
    pub page: Request<()>,
    /// The read of everything in flight (`G`).
    pub all: Option<ReadAll>,
    /// The rows came from a segmented read that did not finish: no
    /// LastEvaluatedKey continues them, so loading more reads everything
    /// again (rows already loaded are not shown twice).
    pub reread: bool,
    pub error: Option<AwsError>,
    pub stats: Stats,
    /// The row under the cursor (an index into `view`) and the first shown.
    pub cursor: ListCursor,
    pub text_filter: String,
    pub type_filter: Option<EntityId>,
    pub type_counts: BTreeMap<Option<EntityId>, usize>,
    pub show_index_keys: bool,
    pub raw_keys: bool,
    /// `G` asked for every page: what is left is read at full page size
    /// (parallel segments for a Scan), not page by page.
    pub want_all: bool,
    /// After `G`: the cursor stays on the last row as pages arrive (until
    /// it moves).
    pub follow_bottom: bool,
    /// The saved pattern that produced the request, if any.
    pub pattern: Option<String>,
    /// Columns for the filtered type when it configures none: its most
    /// common non-key attributes (computed when the view changes).
    pub derived_columns: Vec<String>,
    /// The compiled request of a pattern (shown under what ran), computed
    /// when the request changes.
    pub compiled: Option<String>,
    /// Marked rows (indices into `rows`) for bulk delete and bulk set.
    pub marks: BTreeSet<usize>,
    /// Keys (exact, as DynamoDB JSON) of items created or moved here from
    /// this view: a later page that holds them does not show them twice.
    pub local_keys: HashSet<String>,
}

impl ItemsState {
    pub fn new(table: String, info: Option<TableInfo>, app: &Settings, project: &Project) -> Self {
        let keys = info.as_ref().map(TableInfo::table_keys).unwrap_or_default();
        ItemsState {
            request: ItemsRequest {
                page_size: Some(app.ui.page_size),
                ..ItemsRequest::scan(table.clone())
            },
            table,
            info,
            decoder: Decoder::new(&project.decode, keys),
            rows: Vec::new(),
            view: Vec::new(),
            next: None,
            done: false,
            page: Default::default(),
            all: None,
            reread: false,
            error: None,
            stats: Stats::default(),
            cursor: ListCursor::default(),
            text_filter: String::new(),
            type_filter: None,
            type_counts: BTreeMap::new(),
            show_index_keys: app.ui.show_index_keys,
            raw_keys: false,
            want_all: false,
            follow_bottom: false,
            pattern: None,
            derived_columns: Vec::new(),
            compiled: None,
            marks: BTreeSet::new(),
            local_keys: HashSet::new(),
        }
    }

    /// True while a page is in flight.
    pub fn loading(&self) -> bool {
        self.page.is_loading()
    }

    /// The item under the cursor, decoded.
    pub fn selected_row(&self) -> Option<Row> {
        self.view
            .get(self.cursor.selected)
            .and_then(|i| self.rows.get(*i))
            .map(Loaded::row)
    }

    /// Type filter, then a case-insensitive text match on attribute names and
    /// values (searched in the compact bytes, without decoding).
    fn row_matches(&self, row: &Loaded, needle: &str) -> bool {
        if let Some(t) = self.type_filter
            && row.class.entity != Some(t)
        {
            return false;
        }
        needle.is_empty() || row.data.contains_ignore_case(needle)
    }

    /// Recomputes the view after a filter change.
    pub fn refilter(&mut self) {
        let needle = self.text_filter.clone();
        let view: Vec<usize> = (0..self.rows.len())
            .filter(|i| self.row_matches(&self.rows[*i], &needle))
            .collect();
        self.view = view;
        self.cursor.clamp(self.view.len());
        self.derive_columns();
    }

    /// Adds a page of items (classified, filtered) after the loaded rows.
    pub fn push_page(&mut self, items: Vec<Item>) {
        self.insert_page(self.rows.len(), items);
    }

    /// Inserts a page of items (classified, filtered, held compactly) as
    /// rows from `at`, skipping items already shown; the view, the marks
    /// and the row under the cursor follow. Returns the rows inserted.
    fn insert_page(&mut self, at: usize, items: Vec<Item>) -> usize {
        let at = at.min(self.rows.len());
        let needle = std::mem::take(&mut self.text_filter);
        let sampled = self.view.len();
        let mut rows = Vec::with_capacity(items.len());
        let mut view = Vec::new();
        for item in items {
            if self.already_shown(&item) {
                continue;
            }
            let class = self.decoder.classify(&item);
            *self.type_counts.entry(class.entity).or_default() += 1;
            let row = Loaded {
                data: CompactItem::encode(&item),
                class,
            };
            if self.row_matches(&row, &needle) {
                view.push(at + rows.len());
            }
            rows.push(row);
        }
        self.text_filter = needle;
        let (n, k) = (rows.len(), view.len());
        if at == self.rows.len() {
            self.rows.extend(rows);
            self.view.extend(view);
        } else if n > 0 {
            self.rows.splice(at..at, rows);
            let p = self.view.partition_point(|&i| i < at);
            for i in &mut self.view[p..] {
                *i += n;
            }
            let shown = sampled > 0 && self.cursor.selected >= p;
            self.view.splice(p..p, view);
            if shown {
                // The row under the cursor stays under it, on screen.
                self.cursor.selected += k;
                if self.cursor.offset >= p {
                    self.cursor.offset += k;
                }
            }
            if !self.marks.is_empty() {
                self.marks = std::mem::take(&mut self.marks)
                    .into_iter()
                    .map(|m| if m >= at { m + n } else { m })
                    .collect();
            }
        }
        // Columns come from the first rows in view: later pages do not
        // change them.
        if sampled < COLUMN_SAMPLE {
            self.derive_columns();
        }
        n
    }

    /// True for an item created or moved here from this view, or loaded
    /// before a segmented read that reads it again.
    fn already_shown(&self, item: &Item) -> bool {
        if !self.local_keys.is_empty()
            && self
                .exact_key(item)
                .is_some_and(|k| self.local_keys.contains(&k))
        {
            return true;
        }
        match &self.all {
            Some(all) if !all.seen.is_empty() => {
                compact::key_bytes(item, &all.key_names).is_some_and(|k| all.seen.contains(&k))
            }
            _ => false,
        }
    }

    /// The most common non-key attributes among loaded items of the
    /// filtered type (sampled): its columns when it configures none.
    fn derive_columns(&mut self) {
        let Some(t) = self.type_filter else {
            self.derived_columns.clear();
            return;
        };
        if self
            .decoder
            .entity_def(t)
            .is_some_and(|d| !d.columns.is_empty())
        {
            self.derived_columns.clear();
            return;
        }
        let mut freq: HashMap<String, usize> = HashMap::new();
        for &i in self.view.iter().take(COLUMN_SAMPLE) {
            for k in self.rows[i].item().into_keys() {
                if !self.is_key_attr(&k) {
                    *freq.entry(k).or_default() += 1;
                }
            }
        }
        let mut v: Vec<(String, usize)> = freq.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.derived_columns = v
            .into_iter()
            .take(MAX_DERIVED_COLUMNS)
            .map(|(k, _)| k)
            .collect();
    }

    /// True for the table's and its indexes' key attributes and the
    /// usual entity-type attributes (not worth a column of their own).
    pub fn is_key_attr(&self, name: &str) -> bool {
        let keys = self.decoder.keys();
        name == keys.pk
            || keys.sk.as_deref() == Some(name)
            || self.decoder.is_index_key(name)
            || is_type_attr(name)
    }

    /// The item's primary key as compact DynamoDB JSON (exact).
    pub fn exact_key(&self, item: &Item) -> Option<String> {
        let key = self.info.as_ref()?.key_of(item)?;
        Some(json_compact(&value::item_to_dynamo(&key)))
    }

    /// The index into `rows` of the row under the cursor.
    pub fn selected_index(&self) -> Option<usize> {
        self.view.get(self.cursor.selected).copied()
    }

    fn loaded(&mut self, item: &Item) -> Loaded {
        Loaded {
            data: CompactItem::encode(item),
            class: self.decoder.classify(item),
        }
    }

    /// Replaces row `i` with `item` (as written).
    pub fn replace_row(&mut self, i: usize, item: &Item) {
        let row = self.loaded(item);
        if let Some(old) = self.rows.get_mut(i) {
            if let Some(n) = self.type_counts.get_mut(&old.class.entity) {
                *n = n.saturating_sub(1);
            }
            *self.type_counts.entry(row.class.entity).or_default() += 1;
            *old = row;
        }
        self.type_counts.retain(|_, n| *n > 0);
        self.derive_columns();
    }

    /// Removes row `i` (deleted), keeping marks and the cursor in place.
    pub fn remove_row(&mut self, i: usize) {
        if i >= self.rows.len() {
            return;
        }
        let old = self.rows.remove(i);
        if let Some(all) = &mut self.all {
            for e in &mut all.ends {
                if *e > i {
                    *e -= 1;
                }
            }
        }
        if let Some(n) = self.type_counts.get_mut(&old.class.entity) {
            *n = n.saturating_sub(1);
        }
        self.type_counts.retain(|_, n| *n > 0);
        self.marks = std::mem::take(&mut self.marks)
            .into_iter()
            .filter(|m| *m != i)
            .map(|m| if m > i { m - 1 } else { m })
            .collect();
    }

    /// Inserts `item` as row `at` (created here), shifting marks.
    pub fn insert_row(&mut self, at: usize, item: &Item) {
        let at = at.min(self.rows.len());
        let row = self.loaded(item);
        *self.type_counts.entry(row.class.entity).or_default() += 1;
        self.rows.insert(at, row);
        if let Some(all) = &mut self.all {
            for e in &mut all.ends {
                if *e > at {
                    *e += 1;
                }
            }
        }
        self.marks = std::mem::take(&mut self.marks)
            .into_iter()
            .map(|m| if m >= at { m + 1 } else { m })
            .collect();
    }

    /// Puts the cursor on row `i` when it is in view.
    pub fn select_row(&mut self, i: usize) {
        if let Some(p) = self.view.iter().position(|r| *r == i) {
            self.cursor.selected = p;
        }
    }

    /// Shows a write made from this view: the row of the item as read is
    /// replaced by the item as written (removed on a delete; a new item
    /// goes under the cursor), and the cursor follows it. `row` is where
    /// the item was, when known.
    pub fn apply_written(&mut self, change: &Change, written: Option<&Item>, row: Option<usize>) {
        let old = change
            .before
            .as_ref()
            .and_then(|b| self.exact_key(b))
            .and_then(|k| self.find_row(row, &k));
        let selected = self.selected_index();
        let placed = match (old, written) {
            (Some(i), Some(w)) => {
                self.replace_row(i, w);
                Some(i)
            }
            (Some(i), None) => {
                self.remove_row(i);
                None
            }
            (None, Some(w)) => {
                let at = selected.map(|s| s + 1).unwrap_or(0).min(self.rows.len());
                self.insert_row(at, w);
                Some(at)
            }
            (None, None) => None,
        };
        if let Some(k) = written.and_then(|w| self.exact_key(w)) {
            self.local_keys.insert(k);
        }
        self.refilter();
        // The cursor follows the written item.
        if let Some(i) = placed {
            self.select_row(i);
        }
        self.cursor.clamp(self.view.len());
    }

    /// Finds the row holding the item with `key` (trying `hint` first).
    fn find_row(&self, hint: Option<usize>, key: &str) -> Option<usize> {
        let matches = |i: usize| {
            self.rows
                .get(i)
                .and_then(|r| self.exact_key(&r.item()))
                .is_some_and(|k| k == key)
        };
        if let Some(h) = hint
            && matches(h)
        {
            return Some(h);
        }
        (0..self.rows.len()).find(|&i| matches(i))
    }

    /// Entity types seen so far, for cycling the type filter.
    pub fn types(&self) -> Vec<EntityId> {
        self.type_counts.keys().filter_map(|k| *k).collect()
    }
}

// ---------------------------------------------------------------- update

impl ItemsState {
    /// Sets the request (a pattern's, a query's, another view's) and the
    /// text derived from it.
    pub fn set_request(&mut self, request: ItemsRequest, pattern: Option<String>) {
        self.request = request;
        self.pattern = pattern;
        self.compiled = self.pattern.as_ref().map(|_| compiled_text(&self.request));
    }

    /// The table's description arrived: decode with its keys.
    pub fn described(&mut self, info: TableInfo, project: &Project) {
        self.decoder = Decoder::new(&project.decode, info.table_keys());
        self.info = Some(info);
    }

    /// Drops loaded rows and starts the request from its first page.
    pub fn restart(&mut self, cx: &mut ItemsCx) {
        // The aborted request never answers: it no longer counts as loading.
        cx.cancel(&mut self.page);
        self.rows.clear();
        self.view.clear();
        self.type_counts.clear();
        self.cursor.reset();
        self.next = None;
        self.done = false;
        self.error = None;
        self.stats = Stats::default();
        self.all = None;
        self.reread = false;
        self.want_all = false;
        self.follow_bottom = false;
        self.marks.clear();
        self.local_keys.clear();
        self.derived_columns.clear();
        self.compiled = self.pattern.as_ref().map(|_| compiled_text(&self.request));
        self.fetch_next_page(cx);
    }

    /// What reading everything left would cost (`G`), from DescribeTable:
    /// a Scan reads the whole table or index again (its segments start
    /// from the beginning); a Query from where it is, at most the rest of
    /// the table or index. None when everything is loaded or the table is
    /// not described yet.
    pub fn remaining_estimate(&self, cx: &ItemsCx) -> Option<Estimate> {
        let info = self.info.as_ref()?;
        if self.done {
            return None;
        }
        Some(plan::describe_only(
            info,
            &self.request,
            cx.conn.region.as_deref(),
            &cx.settings.estimates.prices,
        ))
    }

    /// `G`: reads every page left, the cursor following the last row.
    fn load_everything(&mut self, cx: &mut ItemsCx) {
        self.follow_bottom = true;
        self.want_all = true;
        // A page in flight gives way to the read of everything.
        if self.all.is_none() {
            cx.cancel(&mut self.page);
        }
        self.maybe_prefetch(cx);
    }

    /// The answer to "read everything?" (asked above the threshold).
    pub fn on_read_all_key(
        &mut self,
        cx: &mut ItemsCx,
        estimate: Box<Estimate>,
        mut confirm: Confirm,
        k: &KeyEvent,
    ) {
        match confirm.on_key(k) {
            Answer::Yes => self.load_everything(cx),
            Answer::No => cx.flash(Level::Info, "not read; the loaded rows stay"),
            Answer::Pending | Answer::Refused(_) => {
                *cx.input = Some(Input::ReadAll { estimate, confirm })
            }
        }
    }

    /// Asks for the page after the last one loaded, unless one is in
    /// flight; after `G`, for everything left.
    pub fn fetch_next_page(&mut self, cx: &mut ItemsCx) {
        if !cx.online || self.loading() || self.done || self.info.is_none() {
            return;
        }
        if self.want_all || self.reread {
            self.read_all(cx);
            return;
        }
        let (request, start) = (self.request.clone(), self.next.clone());
        cx.start(&mut self.page, |id| ItemsEffect::FetchPage {
            id,
            request,
            start,
        });
    }

    /// Reads everything left at the service's page size (1 MB, no Limit):
    /// a Scan in parallel segments from its start (the rows loaded so far
    /// are not shown twice), a Query on from its last page. Pages merge
    /// into the view as they arrive.
    fn read_all(&mut self, cx: &mut ItemsCx) {
        let Some(info) = &self.info else {
            return;
        };
        let mut request = self.request.clone();
        request.page_size = None;
        let segments = segments_of(&request, &ReadOptions::default());
        let segmented = request.is_scan();
        let key_names: Vec<String> = [&info.pk, &info.sk]
            .into_iter()
            .flatten()
            .map(|k| k.name.clone())
            .collect();
        let seen = if segmented {
            self.rows
                .iter()
                .filter_map(|r| compact::key_bytes(&r.item(), &key_names))
                .collect()
        } else {
            HashSet::new()
        };
        let start = if segmented { None } else { self.next.clone() };
        self.all = Some(ReadAll {
            segmented,
            ends: vec![self.rows.len(); segments as usize],
            key_names,
            seen,
        });
        self.stats.segments = segments;
        cx.start(&mut self.page, |id| ItemsEffect::ReadAll {
            id,
            request,
            start,
            segments,
        });
    }

    /// Takes a page of the read of everything: a Scan's page goes after the
    /// earlier pages of its segment; a Query's after the loaded rows.
    fn take_part(&mut self, segment: u32, page: Page) {
        self.count_page(&page);
        let Some(all) = &self.all else {
            return;
        };
        if !all.segmented {
            self.next = page.next;
        }
        let s = (segment as usize).min(all.ends.len().saturating_sub(1));
        let at = all.ends.get(s).copied().unwrap_or(self.rows.len());
        let n = self.insert_page(at, page.items);
        if let Some(all) = &mut self.all {
            for e in all.ends.iter_mut().skip(s) {
                *e += n;
            }
        }
    }

    /// Nothing loaded yet, and the pages read so far (all empty after the
    /// filter) have not spent the read budget.
    pub fn empty_pages_within_budget(&self) -> bool {
        self.rows.is_empty()
            && self.stats.pages > 0
            && !ReadBudget::default().spent(&ReadTotals {
                scanned: self.stats.scanned,
                ..ReadTotals::default()
            })
    }

    fn count_page(&mut self, page: &Page) {
        if let Some(avg) = self
            .info
            .as_ref()
            .and_then(|i| plan::avg_item_bytes(i, self.request.index.as_deref()))
        {
            let scanned = page.scanned.max(0) as u64;
            let (units, _) = read_cost(scanned, (avg * scanned as f64).round() as u64, None, false);
            *self.stats.estimated.get_or_insert(0.0) += units;
        }
        self.stats.pages += 1;
        self.stats.count += page.count.max(0) as u64;
        self.stats.scanned += page.scanned.max(0) as u64;
        self.stats.consumed += page.consumed.unwrap_or(0.0);
        self.stats.last_ms = page.elapsed.as_millis();
    }

    /// Loads more when the cursor nears the end of what is loaded (or `G`
    /// asked for everything), and reads past pages a server-side filter
    /// left empty until one holds items or the read budget
    /// ([`ReadBudget`]'s items scanned) is spent. A text filter that matches
    /// nothing loaded does not by itself read the rest of the table.
    pub fn maybe_prefetch(&mut self, cx: &mut ItemsCx) {
        let prefetch = cx.settings.ui.prefetch_rows;
        let need = !self.done
            && !self.loading()
            && self.error.is_none()
            && ((!self.view.is_empty() && self.cursor.selected + prefetch >= self.view.len())
                || self.want_all
                || self.empty_pages_within_budget());
        if need {
            self.fetch_next_page(cx);
        }
    }

    /// Runs another request on the table. The application opens it as a
    /// new view and keeps this one (its pages, cursor and filters) one
    /// `[` away; while the table is still being described, the request
    /// replaces this one.
    fn run_request(&mut self, cx: &mut ItemsCx, request: ItemsRequest, pattern: Option<String>) {
        match self.info.clone() {
            Some(info) => cx.core(Core::OpenItems {
                table: self.table.clone(),
                info: Box::new(info),
                request: Box::new(request),
                pattern,
            }),
            None => {
                self.set_request(request, pattern);
                self.restart(cx);
            }
        }
    }

    /// Leaving the view: its page, or its read of everything, in flight
    /// is aborted.
    pub fn leave(&mut self, cx: &mut ItemsCx) {
        cx.cancel(&mut self.page);
        self.stop_read_all();
    }

    /// A read of everything that will not finish: a segmented one leaves
    /// rows no LastEvaluatedKey continues.
    fn stop_read_all(&mut self) {
        if let Some(all) = self.all.take() {
            self.reread |= all.segmented;
        }
    }

    pub fn busy(&self) -> bool {
        self.loading()
    }

    pub fn update(&mut self, cx: &mut ItemsCx, msg: ItemsMsg) -> bool {
        match msg {
            ItemsMsg::Page(id, r) => {
                if !self.page.accept(id) {
                    // A stale page of a superseded request.
                    return false;
                }
                match r {
                    Ok(page) => {
                        self.count_page(&page);
                        self.done = page.next.is_none();
                        self.next = page.next;
                        self.push_page(page.items);
                        self.follow(cx.page_rows());
                    }
                    Err(e) => self.error = Some(e),
                }
                self.maybe_prefetch(cx);
                true
            }
            ItemsMsg::Part {
                id, segment, page, ..
            } => {
                if !self.page.is_current(id) || self.all.is_none() {
                    // A page of a read that was superseded or stopped.
                    return false;
                }
                self.take_part(segment, page);
                self.follow(cx.page_rows());
                true
            }
            ItemsMsg::AllRead(id, r) => {
                if !self.page.accept(id) {
                    return false;
                }
                match r {
                    Ok(()) => {
                        self.all = None;
                        self.reread = false;
                        self.done = true;
                        self.next = None;
                    }
                    Err(e) => {
                        self.stop_read_all();
                        self.error = Some(e);
                    }
                }
                self.follow(cx.page_rows());
                true
            }
        }
    }

    /// After `G`: the cursor on the last row.
    fn follow(&mut self, rows: usize) {
        if self.follow_bottom {
            self.cursor.on_action(Action::Bottom, self.view.len(), rows);
        }
    }

    /// The list got another height: keep the cursor in view.
    pub fn on_viewport(&mut self, rows: usize) {
        self.cursor.follow(rows);
    }

    pub fn on_action(&mut self, cx: &mut ItemsCx, action: Action) {
        let n = self.view.len();
        let page = cx.page_rows();
        if self.cursor.on_action(action, n, page) {
            // `G` keeps loading pages to the real bottom, the cursor on
            // the last row; any other move stops following it. Above the
            // configured capacity, it asks first.
            self.follow_bottom = false;
            if action == Action::Bottom && !self.done && !self.want_all {
                match self.remaining_estimate(cx) {
                    Some(e)
                        if e.units_for_threshold() > cx.settings.estimates.confirm_above_units =>
                    {
                        *cx.input = Some(Input::ReadAll {
                            estimate: Box::new(e),
                            confirm: Confirm::yes_no(),
                        });
                    }
                    _ => self.load_everything(cx),
                }
                return;
            }
            self.follow_bottom = action == Action::Bottom;
            self.maybe_prefetch(cx);
            return;
        }
        match action {
            Action::Back if !self.marks.is_empty() => {
                let n = self.marks.len();
                self.marks.clear();
                cx.flash(
                    Level::Info,
                    format!("{n} mark{} cleared", if n == 1 { "" } else { "s" }),
                );
            }
            Action::Back => {
                if self.type_filter.is_some() || !self.text_filter.is_empty() {
                    self.type_filter = None;
                    self.text_filter.clear();
                    self.refilter();
                } else {
                    self.leave(cx);
                    cx.core(Core::CloseItems);
                    return;
                }
            }
            Action::Open if self.selected_row().is_some() => cx.core(Core::OpenDetail),
            Action::Refresh => {
                self.restart(cx);
                return;
            }
            Action::Filter => *cx.input = Some(Input::TextFilter),
            Action::ServerFilter => {
                let text = self
                    .request
                    .filter
                    .as_ref()
                    .map(|f| f.source.clone())
                    .unwrap_or_default();
                *cx.input = Some(Input::ServerFilter { text, error: None });
            }
            Action::Query => {
                let form = QueryForm {
                    field: 1,
                    ..self.query_form_from_request()
                };
                *cx.input = Some(Input::Query(form));
            }
            Action::Scan => {
                let mut req = self.request.clone();
                req.kind = RequestKind::Scan;
                req.index = None;
                req.projection.clear();
                self.run_request(cx, req, None);
                return;
            }
            Action::NextType | Action::PrevType => {
                let types = self.types();
                if types.is_empty() {
                    return;
                }
                let pos = self
                    .type_filter
                    .and_then(|t| types.iter().position(|x| *x == t));
                self.type_filter = match (action, pos) {
                    (Action::NextType, None) => types.first().copied(),
                    (Action::NextType, Some(p)) => types.get(p + 1).copied(),
                    (_, None) => types.last().copied(),
                    (_, Some(0)) => None,
                    (_, Some(p)) => types.get(p - 1).copied(),
                };
                self.cursor.reset();
                self.refilter();
            }
            Action::CopyRequestCli => {
                match self.request.to_cli(cx.conn) {
                    Ok(text) => cx.copy(text, "request as an aws dynamodb command"),
                    Err(e) => cx.flash(Level::Error, format!("copy failed: {e}")),
                }
                return;
            }
            Action::CopyRequestJson => {
                let text = json_pretty(&self.request.to_json_request());
                cx.copy(text, "request as JSON");
                return;
            }
            Action::ToggleIndexKeys => self.show_index_keys = !self.show_index_keys,
            Action::ToggleRawKeys => self.raw_keys = !self.raw_keys,
            Action::CopyJson => {
                if let Some(row) = self.selected_row() {
                    let text = json_pretty(&value::item_to_plain(&row.item));
                    cx.copy(text, "item as JSON");
                }
                return;
            }
            Action::Mark => {
                if let Some(i) = self.selected_index() {
                    if !self.marks.remove(&i) {
                        self.marks.insert(i);
                    }
                    self.cursor.on_action(Action::Down, n, page);
                }
            }
            Action::ClearMarks => self.marks.clear(),
            _ => {}
        }
        self.maybe_prefetch(cx);
    }

    // ------------------------------------------------------------ inputs

    /// A key typed into the text filter (`/`).
    pub fn on_text_filter_key(&mut self, cx: &mut ItemsCx, k: &KeyEvent) {
        if edit_line(&mut self.text_filter, k) {
            self.cursor.reset();
            self.refilter();
        }
        match k.code {
            KeyCode::Enter => {}
            KeyCode::Esc => {
                self.text_filter.clear();
                self.refilter();
            }
            _ => *cx.input = Some(Input::TextFilter),
        }
    }

    /// A key typed into the server-side filter (`f`).
    pub fn on_server_filter_key(&mut self, cx: &mut ItemsCx, mut text: String, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => {
                let parsed = if text.trim().is_empty() {
                    Ok(None)
                } else {
                    Filter::parse(&text).map(Some)
                };
                match parsed {
                    Ok(f) => {
                        let mut req = self.request.clone();
                        req.filter = f;
                        let pattern = self.pattern.clone();
                        self.run_request(cx, req, pattern);
                    }
                    Err(e) => {
                        *cx.input = Some(Input::ServerFilter {
                            text,
                            error: Some(e),
                        })
                    }
                }
            }
            _ => {
                edit_line(&mut text, k);
                *cx.input = Some(Input::ServerFilter { text, error: None });
            }
        }
    }

    /// A key typed into the query form (`s`).
    pub fn on_query_key(&mut self, cx: &mut ItemsCx, mut form: QueryForm, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Enter => match self.build_query(&form, cx.settings.ui.page_size) {
                Ok(req) => self.run_request(cx, req, None),
                Err(e) => {
                    form.error = Some(e);
                    *cx.input = Some(Input::Query(form));
                }
            },
            _ => {
                self.edit_query_form(&mut form, k);
                *cx.input = Some(Input::Query(form));
            }
        }
    }

    /// "(table)" and the names of the table's indexes, as the form cycles
    /// through them.
    pub fn index_names(&self) -> Vec<String> {
        let mut v = vec!["(table)".to_string()];
        if let Some(info) = &self.info {
            v.extend(info.indexes.iter().map(|i| i.name.clone()));
        }
        v
    }

    fn edit_query_form(&self, form: &mut QueryForm, k: &KeyEvent) {
        form.error = None;
        let n_indexes = self.index_names().len();
        match k.code {
            KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % QueryForm::FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => {
                form.field = (form.field + QueryForm::FIELDS.len() - 1) % QueryForm::FIELDS.len()
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if matches!(form.field, 0 | 2 | 6) =>
            {
                let fwd = k.code != KeyCode::Left;
                match form.field {
                    0 => form.index = cycle(form.index, n_indexes, fwd),
                    2 => form.sk_op = cycle_sort_op(form.sk_op, fwd),
                    _ => form.descending = !form.descending,
                }
            }
            _ => {
                let target = match form.field {
                    1 => Some(&mut form.pk),
                    3 => Some(&mut form.sk),
                    4 => Some(&mut form.sk2),
                    5 => Some(&mut form.filter),
                    _ => None,
                };
                if let Some(t) = target {
                    edit_line(t, k);
                }
            }
        }
    }

    /// Turns the query form into a request, checking values against key
    /// types (with the same function as `dyntui query --pk/--sk`).
    pub fn build_query(&self, form: &QueryForm, page_size: i32) -> Result<ItemsRequest, String> {
        let info = self
            .info
            .as_ref()
            .ok_or("the table is still being described")?;
        let names = self.index_names();
        let index = names.get(form.index).filter(|_| form.index > 0).cloned();
        let mut req = ItemsRequest {
            index: index.clone(),
            page_size: Some(page_size),
            forward: !form.descending,
            filter: if form.filter.trim().is_empty() {
                None
            } else {
                Some(Filter::parse(&form.filter).map_err(|e| format!("filter: {e}"))?)
            },
            ..ItemsRequest::scan(self.table.clone())
        };
        if form.pk.is_empty() {
            // No partition key: a scan of the table or index, said plainly.
            return Ok(req);
        }
        let sort = form
            .sk_op
            .filter(|_| !form.sk.is_empty())
            .map(|op| SortText {
                op,
                value: &form.sk,
                and: Some(form.sk2.as_str()),
            });
        req.kind = query_of_text(info, index.as_deref(), &form.pk, sort).map_err(|e| match e {
            QueryTextError::NoSortKey { .. } => format!("{e}; clear the sort key field"),
            QueryTextError::BetweenNeedsSecondValue => {
                "between needs a second value (…and)".to_string()
            }
            QueryTextError::NoIndex { .. } | QueryTextError::KeyValue { .. } => e.to_string(),
        })?;
        Ok(req)
    }

    fn query_form_from_request(&self) -> QueryForm {
        let mut f = QueryForm::default();
        if let Some(info) = &self.info {
            f.index = self
                .request
                .index
                .as_ref()
                .and_then(|n| info.indexes.iter().position(|i| &i.name == n))
                .map(|p| p + 1)
                .unwrap_or(0);
        }
        let begins_with = Some(SortOp::BeginsWith);
        if let RequestKind::Query { pk, sort, .. } = &self.request.kind {
            f.pk = plain_text(pk);
            if let Some((_, c)) = sort {
                f.sk_op = Some(c.op());
                match c {
                    SortCondition::Between(a, b) => {
                        f.sk = plain_text(a);
                        f.sk2 = plain_text(b);
                    }
                    SortCondition::Eq(a)
                    | SortCondition::Lt(a)
                    | SortCondition::Le(a)
                    | SortCondition::Gt(a)
                    | SortCondition::Ge(a)
                    | SortCondition::BeginsWith(a) => f.sk = plain_text(a),
                }
            } else {
                f.sk_op = begins_with;
            }
        } else {
            // Prefill the selected item's partition key: the common next step.
            f.sk_op = begins_with;
            if let (Some(row), Some(info)) = (self.selected_row(), &self.info)
                && let Some(pk) = info.pk.as_ref().and_then(|k| row.item.get(&k.name))
            {
                f.pk = plain_text(pk);
            }
        }
        f.filter = self
            .request
            .filter
            .as_ref()
            .map(|f| f.source.clone())
            .unwrap_or_default();
        f.descending = !self.request.forward;
        f
    }
}

/// Earlier requests on the open table, with their pages, cursor and
/// filters (`[` goes back, `]` forward again).
#[derive(Default)]
pub struct ItemsHistory {
    back: Vec<ItemsState>,
    forward: Vec<ItemsState>,
}

impl ItemsHistory {
    /// Views kept back (the oldest is dropped first).
    pub const KEPT: usize = 10;

    /// A view replaced by a new request: it goes back; forward is gone.
    pub fn push(&mut self, view: ItemsState) {
        self.back.push(view);
        if self.back.len() > Self::KEPT {
            self.back.remove(0);
        }
        self.forward.clear();
    }

    /// Goes back (or forward) from `current`, which becomes the view
    /// there; false (and nothing changes) when there is none.
    pub fn step(&mut self, current: &mut ItemsState, back: bool) -> bool {
        let (from, to) = if back {
            (&mut self.back, &mut self.forward)
        } else {
            (&mut self.forward, &mut self.back)
        };
        match from.pop() {
            Some(v) => {
                to.push(std::mem::replace(current, v));
                true
            }
            None => false,
        }
    }

    pub fn clear(&mut self) {
        self.back.clear();
        self.forward.clear();
    }

    /// (views back, views forward).
    pub fn depth(&self) -> (usize, usize) {
        (self.back.len(), self.forward.len())
    }
}

/// The compiled request, as the line under a pattern's name shows it.
pub fn compiled_text(request: &ItemsRequest) -> String {
    let c = request.compile();
    let mut parts = Vec::new();
    if let Some(i) = &c.index {
        parts.push(format!("IndexName {i}"));
    }
    if let Some(k) = &c.key_condition {
        parts.push(format!("KeyConditionExpression {k}"));
    }
    if let Some(fl) = &c.filter {
        parts.push(format!("FilterExpression {fl}"));
    }
    if let Some(p) = &c.projection {
        parts.push(format!("ProjectionExpression {p}"));
    }
    if !c.names.is_empty() {
        let names: Vec<String> = c.names.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("names {}", names.join(" ")));
    }
    if !c.values.is_empty() {
        let values: Vec<String> = c
            .values
            .iter()
            .map(|(k, v)| format!("{k}={}", value::cell_text(v, 40)))
            .collect();
        parts.push(format!("values {}", values.join(" ")));
    }
    parts.join(" │ ")
}

fn is_type_attr(name: &str) -> bool {
    matches!(
        name,
        "Type"
            | "type"
            | "entity_type"
            | "entityType"
            | "__edb_e__"
            | "__edb_v__"
            | "_et"
            | "_type"
    )
}

fn cycle(i: usize, n: usize, fwd: bool) -> usize {
    if n == 0 {
        0
    } else if fwd {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }
}

/// The next (or previous) sort operator of the query form, `None` (no
/// sort-key condition) after the last.
fn cycle_sort_op(op: Option<SortOp>, fwd: bool) -> Option<SortOp> {
    let all = SortOp::ALL;
    let at = op
        .and_then(|op| all.iter().position(|o| *o == op))
        .unwrap_or(all.len());
    all.get(cycle(at, all.len() + 1, fwd)).copied()
}

fn plain_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        other => value::cell_text(other, 200),
    }
}

pub fn json_pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub fn json_compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A ready `aws dynamodb get-item` command line for a key; fails on a NUL
/// byte (see [`shell_word`]).
pub fn get_item_command(
    table: &str,
    key: &Item,
    ctx: &ConnContext,
) -> Result<String, shlex::QuoteError> {
    let key_json = json_compact(&value::item_to_dynamo(key));
    let mut cmd = format!(
        "aws dynamodb get-item --table-name {} --key {}",
        shell_word(table)?,
        shell_word(&key_json)?
    );
    if let Some(r) = &ctx.region {
        cmd.push_str(&format!(" --region {}", shell_word(r)?));
    }
    if let Some(p) = &ctx.profile {
        cmd.push_str(&format!(" --profile {}", shell_word(p)?));
    }
    if let Some(e) = &ctx.endpoint {
        cmd.push_str(&format!(" --endpoint-url {}", shell_word(e)?));
    }
    Ok(cmd)
}
