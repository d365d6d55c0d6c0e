//! Reading past pages that are empty by accident. DynamoDB applies a
//! filter after it reads a page, so a filtered Scan or Query can return
//! empty pages (with a cursor) before the page that holds its first match.
//! [`read_until_items`] keeps reading until a page holds items, the
//! request ends, or a read budget (items scanned, capacity) is spent, and
//! counts what it read. `dyntui query` and `dyntui patterns check` use it.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::dynamo::Item;
use crate::dynamo::client::{Dynamo, Page};
use crate::dynamo::error::AwsError;
use crate::dynamo::itemfile::thousands;
use crate::dynamo::request::ItemsRequest;

/// Items scanned before giving up on finding a non-empty page.
pub const DEFAULT_BUDGET_ITEMS: u64 = 10_000;

/// How much may be read looking for a page with items: whichever limit is
/// reached first stops the reading (after the page that reached it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadBudget {
    /// Items DynamoDB reads (ScannedCount), over all pages.
    pub items: u64,
    /// Read capacity units consumed, over all pages; `None` = no limit.
    pub capacity: Option<f64>,
}

impl Default for ReadBudget {
    fn default() -> Self {
        ReadBudget {
            items: DEFAULT_BUDGET_ITEMS,
            capacity: None,
        }
    }
}

impl ReadBudget {
    /// True when what was read reaches a limit.
    pub fn spent(&self, read: &ReadTotals) -> bool {
        read.scanned >= self.items || self.capacity.is_some_and(|c| read.consumed >= c)
    }
}

impl fmt::Display for ReadBudget {
    /// `10,000 items scanned`, or `10,000 items scanned or 5.0 RCU`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} items scanned", thousands(self.items as usize))?;
        if let Some(c) = self.capacity {
            write!(f, " or {c:.1} RCU")?;
        }
        Ok(())
    }
}

/// What a read consumed, summed over its pages.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadTotals {
    pub pages: u32,
    /// Items returned (after the filter).
    pub count: u64,
    /// Items DynamoDB read (before the filter).
    pub scanned: u64,
    /// Capacity units (ReturnConsumedCapacity TOTAL; 0 where not reported).
    pub consumed: f64,
    pub elapsed: Duration,
}

impl ReadTotals {
    pub fn add(&mut self, page: &Page) {
        self.pages += 1;
        self.count += page.count.max(0) as u64;
        self.scanned += page.scanned.max(0) as u64;
        self.consumed += page.consumed.unwrap_or(0.0);
        self.elapsed += page.elapsed;
    }
}

impl fmt::Display for ReadTotals {
    /// `read 3 pages, scanned 1,200 items, 4.5 RCU`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} page{}, scanned {} item{}, {:.1} RCU",
            self.pages,
            if self.pages == 1 { "" } else { "s" },
            thousands(self.scanned as usize),
            if self.scanned == 1 { "" } else { "s" },
            self.consumed
        )
    }
}

/// Why the reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A page held items.
    Items,
    /// The request has no more pages (and none held items).
    End,
    /// The budget was spent before a page held items; `next` continues.
    Budget,
}

/// The first page with items (or none), where to continue, and what the
/// reading cost.
#[derive(Debug, Clone)]
pub struct FirstItems {
    /// The items of the first non-empty page; empty unless `stop` is `Items`.
    pub items: Vec<Item>,
    /// Where the page after the last one read starts; `None` = no more.
    pub next: Option<Item>,
    pub read: ReadTotals,
    pub stop: Stop,
}

/// Reads pages from `start` with `fetch` until one holds items, the pages
/// end, or `budget` is spent. At least one page is read.
pub async fn read_until_items<F, Fut, E>(
    budget: ReadBudget,
    mut start: Option<Item>,
    mut fetch: F,
) -> Result<FirstItems, E>
where
    F: FnMut(Option<Item>) -> Fut,
    Fut: Future<Output = Result<Page, E>>,
{
    let mut read = ReadTotals::default();
    loop {
        let page = fetch(start.take()).await?;
        read.add(&page);
        let stop = if !page.items.is_empty() {
            Stop::Items
        } else if page.next.is_none() {
            Stop::End
        } else if budget.spent(&read) {
            Stop::Budget
        } else {
            start = page.next;
            continue;
        };
        return Ok(FirstItems {
            items: page.items,
            next: page.next,
            read,
            stop,
        });
    }
}

impl Dynamo {
    /// The request's first page with items from `start` (see
    /// [`read_until_items`]).
    pub async fn fetch_until_items(
        &self,
        req: &ItemsRequest,
        start: Option<Item>,
        budget: ReadBudget,
    ) -> Result<FirstItems, AwsError> {
        read_until_items(budget, start, |s| self.fetch_page(req, s)).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::dynamo::AttributeValue;
    use std::collections::VecDeque;

    fn key(n: usize) -> Item {
        Item::from([("PK".to_string(), AttributeValue::S(format!("k{n}")))])
    }

    /// Pages of `scanned` items each, holding `hits[i]` items, the last one
    /// without a cursor.
    fn pages(hits: &[usize], scanned: i32, rcu: f64) -> VecDeque<Page> {
        hits.iter()
            .enumerate()
            .map(|(i, &h)| Page {
                items: (0..h).map(key).collect(),
                next: (i + 1 < hits.len()).then(|| key(1000 + i)),
                count: h as i32,
                scanned,
                consumed: Some(rcu),
                elapsed: Duration::from_millis(1),
            })
            .collect()
    }

    /// Runs the loop over `pages`; returns its result and the start keys
    /// it asked for.
    fn run(budget: ReadBudget, mut pages: VecDeque<Page>) -> (FirstItems, Vec<Option<Item>>) {
        let mut asked = Vec::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let r = rt
            .block_on(read_until_items(budget, None, |s| {
                asked.push(s);
                let p = pages.pop_front().expect("read past the last page");
                async move { Ok::<_, ()>(p) }
            }))
            .expect("no error");
        (r, asked)
    }

    #[test]
    fn stops_at_the_first_page_with_items() {
        let (r, asked) = run(ReadBudget::default(), pages(&[0, 0, 2, 5], 100, 0.5));
        assert_eq!(r.stop, Stop::Items);
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.next, Some(key(1002)), "the cursor after that page");
        assert_eq!(asked, vec![None, Some(key(1000)), Some(key(1001))]);
        assert_eq!(r.read.pages, 3);
        assert_eq!(r.read.scanned, 300);
        assert_eq!(r.read.count, 2);
        assert_eq!(
            r.read.to_string(),
            "read 3 pages, scanned 300 items, 1.5 RCU"
        );
    }

    #[test]
    fn a_first_page_with_items_is_the_only_read() {
        let (r, asked) = run(ReadBudget::default(), pages(&[1, 0], 10, 0.5));
        assert_eq!(r.stop, Stop::Items);
        assert_eq!(asked.len(), 1);
        assert_eq!(r.read.to_string(), "read 1 page, scanned 10 items, 0.5 RCU");
    }

    #[test]
    fn stops_at_the_end_of_the_pages() {
        let (r, asked) = run(ReadBudget::default(), pages(&[0, 0, 0], 10, 0.5));
        assert_eq!(r.stop, Stop::End);
        assert!(r.items.is_empty() && r.next.is_none());
        assert_eq!(asked.len(), 3);
    }

    #[test]
    fn stops_when_the_items_budget_is_spent() {
        let budget = ReadBudget {
            items: 250,
            capacity: None,
        };
        // 100 items a page: the third page reaches 300 >= 250.
        let (r, asked) = run(budget, pages(&[0, 0, 0, 0, 7], 100, 0.5));
        assert_eq!(r.stop, Stop::Budget);
        assert!(r.items.is_empty());
        assert_eq!(
            r.next,
            Some(key(1002)),
            "continues after the last page read"
        );
        assert_eq!(asked.len(), 3);
        assert_eq!(r.read.scanned, 300);
        assert_eq!(budget.to_string(), "250 items scanned");
    }

    #[test]
    fn stops_when_the_capacity_budget_is_spent() {
        let budget = ReadBudget {
            items: 1_000_000,
            capacity: Some(2.0),
        };
        let (r, asked) = run(budget, pages(&[0, 0, 0, 0, 0, 7], 10, 0.5));
        assert_eq!(r.stop, Stop::Budget);
        assert_eq!(asked.len(), 4, "4 × 0.5 RCU reaches 2.0");
        assert_eq!(budget.to_string(), "1,000,000 items scanned or 2.0 RCU");
    }

    #[test]
    fn a_spent_budget_still_returns_a_page_with_items() {
        let budget = ReadBudget {
            items: 1,
            capacity: Some(0.1),
        };
        let (r, _) = run(budget, pages(&[0, 3], 100, 1.0));
        assert_eq!(r.stop, Stop::Budget, "the first page spent it");
        let (r, _) = run(budget, pages(&[3, 0], 100, 1.0));
        assert_eq!(r.stop, Stop::Items, "the first page is always read");
        assert_eq!(r.items.len(), 3);
    }

    #[test]
    fn an_error_stops_the_reading() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let mut n = 0;
        let r = rt.block_on(read_until_items(ReadBudget::default(), None, |_| {
            n += 1;
            let r = if n == 1 {
                Ok(pages(&[0, 0], 1, 0.5).pop_front().expect("page"))
            } else {
                Err("throttled")
            };
            async move { r }
        }));
        assert_eq!(r.err(), Some("throttled"));
        assert_eq!(n, 2);
    }
}
