//! Which shards of a stream to read, and when: a shard is read only once its
//! parent is finished (or no longer listed, trimmed away), so the changes of
//! one item arrive in order across a split. Pure bookkeeping: the reader
//! feeds it DescribeStream's shards and tells it when a shard is started and
//! finished.

use std::collections::HashMap;

/// One shard as DescribeStream lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: String,
    pub parent: Option<String>,
    /// It has an EndingSequenceNumber: no record will be added to it.
    pub closed: bool,
}

impl ShardInfo {
    pub fn new(id: impl Into<String>, parent: Option<&str>, closed: bool) -> Self {
        ShardInfo {
            id: id.into(),
            parent: parent.map(str::to_string),
            closed,
        }
    }

    /// From the Streams SDK's shard (None without a shard id).
    pub fn from_sdk(s: &aws_sdk_dynamodbstreams::types::Shard) -> Option<Self> {
        Some(ShardInfo {
            id: s.shard_id()?.to_string(),
            parent: s.parent_shard_id().map(str::to_string),
            closed: s
                .sequence_number_range()
                .is_some_and(|r| r.ending_sequence_number().is_some()),
        })
    }
}

/// Where a shard is in its life as the reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardState {
    /// Listed, not started: waits for its parent, or for the reader.
    Pending,
    /// The reader holds an iterator on it.
    Reading,
    /// Read to its end (GetRecords returned no next iterator).
    Finished,
    /// Passed over without reading: closed before a `latest` start, or
    /// gone before it could be read.
    Skipped,
}

#[derive(Debug, Clone)]
struct Entry {
    parent: Option<String>,
    closed: bool,
    state: ShardState,
    /// When it was first listed: shards become ready in that order.
    seen: u64,
}

/// The shards of one stream and their states.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    shards: HashMap<String, Entry>,
    next_seen: u64,
}

impl Lineage {
    pub fn new() -> Self {
        Lineage::default()
    }

    /// Takes in a complete listing (every page of one DescribeStream).
    /// Returns the ids listed for the first time, in listing order. Shards
    /// no longer listed are forgotten unless they are being read (a reader
    /// finishes what it started); a pending shard that vanished was trimmed
    /// before it could be read and counts as skipped for its children, which
    /// then no longer wait for it.
    pub fn update(&mut self, listed: &[ShardInfo]) -> Vec<String> {
        let mut new = Vec::new();
        let ids: std::collections::HashSet<&str> = listed.iter().map(|s| s.id.as_str()).collect();
        self.shards
            .retain(|id, e| ids.contains(id.as_str()) || e.state == ShardState::Reading);
        for s in listed {
            match self.shards.get_mut(&s.id) {
                Some(e) => e.closed |= s.closed,
                None => {
                    self.shards.insert(
                        s.id.clone(),
                        Entry {
                            parent: s.parent.clone(),
                            closed: s.closed,
                            state: ShardState::Pending,
                            seen: self.next_seen,
                        },
                    );
                    self.next_seen += 1;
                    new.push(s.id.clone());
                }
            }
        }
        new
    }

    /// The pending shards whose parent is finished, skipped or not listed:
    /// the ones to start now, in the order they were first listed.
    pub fn ready(&self) -> Vec<String> {
        let mut out: Vec<(&u64, &String)> = self
            .shards
            .iter()
            .filter(|(_, e)| e.state == ShardState::Pending && !self.waits(e))
            .map(|(id, e)| (&e.seen, id))
            .collect();
        out.sort();
        out.into_iter().map(|(_, id)| id.clone()).collect()
    }

    fn waits(&self, e: &Entry) -> bool {
        e.parent
            .as_ref()
            .and_then(|p| self.shards.get(p))
            .is_some_and(|p| matches!(p.state, ShardState::Pending | ShardState::Reading))
    }

    pub fn state(&self, id: &str) -> Option<ShardState> {
        self.shards.get(id).map(|e| e.state)
    }

    /// Whether the shard was closed when last listed.
    pub fn is_closed(&self, id: &str) -> bool {
        self.shards.get(id).is_some_and(|e| e.closed)
    }

    /// The reader got an iterator on a pending shard. False (and nothing
    /// changes) unless the shard is pending and ready: a shard is never
    /// started twice.
    pub fn start(&mut self, id: &str) -> bool {
        let ready = match self.shards.get(id) {
            Some(e) => e.state == ShardState::Pending && !self.waits(e),
            None => false,
        };
        if let (true, Some(e)) = (ready, self.shards.get_mut(id)) {
            e.state = ShardState::Reading;
        }
        ready
    }

    /// The shard was read to its end.
    pub fn finish(&mut self, id: &str) {
        if let Some(e) = self.shards.get_mut(id) {
            e.state = ShardState::Finished;
        }
    }

    /// The shard is passed over without being read (or not to its end).
    pub fn skip(&mut self, id: &str) {
        if let Some(e) = self.shards.get_mut(id) {
            e.state = ShardState::Skipped;
        }
    }

    fn count(&self, state: ShardState) -> usize {
        self.shards.values().filter(|e| e.state == state).count()
    }

    /// Shards being read.
    pub fn reading(&self) -> usize {
        self.count(ShardState::Reading)
    }

    /// Shards read to their end (among those still listed).
    pub fn finished(&self) -> usize {
        self.count(ShardState::Finished)
    }

    /// Shards listed and not started yet (ready or waiting for a parent).
    pub fn pending(&self) -> usize {
        self.count(ShardState::Pending)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn shard(id: &str, parent: Option<&str>, closed: bool) -> ShardInfo {
        ShardInfo::new(id, parent, closed)
    }

    /// Runs the reader's part: start whatever is ready, then finish the
    /// closed ones among those being read; returns the start order.
    fn drain(l: &mut Lineage, reads: &mut Vec<String>) {
        loop {
            let ready = l.ready();
            if ready.is_empty() {
                break;
            }
            for id in ready {
                assert!(l.start(&id), "{id} ready but not startable");
                reads.push(id.clone());
                if l.is_closed(&id) {
                    l.finish(&id);
                }
            }
        }
    }

    #[test]
    fn a_split_reads_the_parent_then_both_children() {
        // Recorded shape: a closed parent and two open children, children
        // listed first (DescribeStream does not promise an order).
        let listed = vec![
            shard("shardId-002", Some("shardId-001"), false),
            shard("shardId-003", Some("shardId-001"), false),
            shard("shardId-001", None, true),
        ];
        let mut l = Lineage::new();
        assert_eq!(l.update(&listed).len(), 3);
        assert_eq!(l.ready(), ["shardId-001"]);
        assert!(l.start("shardId-001"));
        assert!(l.ready().is_empty(), "children wait for the parent");
        assert!(!l.start("shardId-002"), "a child cannot start early");
        l.finish("shardId-001");
        assert_eq!(l.ready(), ["shardId-002", "shardId-003"]);
        assert!(l.start("shardId-002") && l.start("shardId-003"));
        assert_eq!((l.reading(), l.finished(), l.pending()), (2, 1, 0));
    }

    #[test]
    fn three_generations_are_read_oldest_first() {
        let listed = vec![
            shard("c", Some("b"), false),
            shard("b", Some("a"), true),
            shard("a", None, true),
        ];
        let mut l = Lineage::new();
        l.update(&listed);
        let mut reads = Vec::new();
        drain(&mut l, &mut reads);
        assert_eq!(reads, ["a", "b", "c"]);
        assert_eq!(l.state("c"), Some(ShardState::Reading));
    }

    #[test]
    fn a_parent_trimmed_from_the_listing_does_not_block_its_child() {
        let mut l = Lineage::new();
        l.update(&[shard("child", Some("gone-24h-ago"), false)]);
        assert_eq!(l.ready(), ["child"]);
        // A pending parent that disappears later (trimmed before it was
        // read) no longer blocks either.
        let mut l = Lineage::new();
        l.update(&[shard("p", None, true), shard("k", Some("p"), false)]);
        assert_eq!(l.ready(), ["p"]);
        l.update(&[shard("k", Some("p"), false)]);
        assert_eq!(l.ready(), ["k"]);
    }

    #[test]
    fn a_shard_being_read_is_kept_when_it_leaves_the_listing() {
        let mut l = Lineage::new();
        l.update(&[shard("p", None, false)]);
        assert!(l.start("p"));
        l.update(&[shard("k", Some("p"), false)]);
        assert_eq!(l.state("p"), Some(ShardState::Reading));
        assert!(l.ready().is_empty(), "the child still waits");
        l.finish("p");
        assert_eq!(l.ready(), ["k"]);
    }

    #[test]
    fn shards_listed_later_join_and_nothing_is_read_twice() {
        let mut l = Lineage::new();
        let mut reads = Vec::new();
        assert_eq!(l.update(&[shard("a", None, false)]), ["a"]);
        drain(&mut l, &mut reads);
        // The same listing again: nothing new, nothing ready.
        assert!(l.update(&[shard("a", None, false)]).is_empty());
        drain(&mut l, &mut reads);
        // `a` closes and splits; the next describe lists the children.
        let later = vec![
            shard("a", None, true),
            shard("a1", Some("a"), false),
            shard("a2", Some("a"), false),
        ];
        assert_eq!(l.update(&later), ["a1", "a2"]);
        assert!(l.ready().is_empty(), "a is still being read");
        l.finish("a");
        drain(&mut l, &mut reads);
        // Describe again and again: already started shards never return.
        for _ in 0..3 {
            assert!(l.update(&later).is_empty());
            drain(&mut l, &mut reads);
        }
        assert!(!l.start("a") && !l.start("a1"), "no second start");
        assert_eq!(reads, ["a", "a1", "a2"]);
        assert_eq!((l.reading(), l.finished()), (2, 1));
    }

    #[test]
    fn skipped_parents_release_their_children() {
        let mut l = Lineage::new();
        l.update(&[shard("old", None, true), shard("new", Some("old"), false)]);
        assert_eq!(l.ready(), ["old"]);
        l.skip("old");
        assert_eq!(l.ready(), ["new"]);
        assert_eq!(l.finished(), 0, "a skipped shard was not read");
    }

    #[test]
    fn from_sdk_reads_parent_and_closed() {
        use aws_sdk_dynamodbstreams::types::{SequenceNumberRange, Shard};
        let s = Shard::builder()
            .shard_id("s1")
            .parent_shard_id("s0")
            .sequence_number_range(
                SequenceNumberRange::builder()
                    .starting_sequence_number("100")
                    .ending_sequence_number("200")
                    .build(),
            )
            .build();
        assert_eq!(ShardInfo::from_sdk(&s), Some(shard("s1", Some("s0"), true)));
        let open = Shard::builder()
            .shard_id("s2")
            .sequence_number_range(
                SequenceNumberRange::builder()
                    .starting_sequence_number("300")
                    .build(),
            )
            .build();
        assert_eq!(ShardInfo::from_sdk(&open), Some(shard("s2", None, false)));
    }
}
