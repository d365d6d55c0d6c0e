//! Item sizes and capacity units by DynamoDB's documented rules ("DynamoDB
//! item sizes and formats" in the developer guide), for write-unit
//! estimates from streams, rate limits and cost estimates.
//!
//! The size of an item is the sum over its attributes of the UTF-8 length
//! of the name plus the size of the value:
//!
//! * `S`: its UTF-8 bytes.
//! * `N`: AWS: "variable length, with up to 38 significant digits. Leading
//!   and trailing zeroes are trimmed. The size of a number is approximately
//!   (1 byte per two significant digits) + (1 byte)". AWS does not publish
//!   the encoding; this takes `ceil((significant digits + 1) / 2) + 1` bytes
//!   (two digits a byte with room for the digits' alignment, plus one), at
//!   most 21 (38 digits); zero takes 1. It may count a byte more than
//!   DynamoDB for some numbers, never less.
//! * `B`: its raw bytes (not the base64 text).
//! * `BOOL`, `NULL`: 1 byte.
//! * `L`, `M`: 3 bytes "regardless of its contents", plus each element's
//!   size, plus 1 byte per element ("Each List or Map element also requires
//!   1 byte of overhead"); a map's keys count as their UTF-8 bytes.
//! * `SS`, `NS`, `BS`: the sum of the members' sizes as above.
//!
//! Capacity: one write unit per 1 KB (1,024 bytes) of the item, rounded up
//! per item; one strongly consistent read unit per 4 KB, half that for an
//! eventually consistent read.

use super::{AttributeValue, Item};

/// Bytes in one write unit.
pub const WRITE_UNIT_BYTES: u64 = 1024;
/// Bytes in one read unit.
pub const READ_UNIT_BYTES: u64 = 4096;
/// The largest item DynamoDB stores (400 KB).
pub const MAX_ITEM_BYTES: u64 = 409_600;
/// The largest size of a number (38 significant digits).
pub const MAX_NUMBER_BYTES: u64 = 21;

/// The item's size in bytes (see the module's rules).
pub fn item_size(item: &Item) -> u64 {
    item.iter()
        .map(|(name, v)| name.len() as u64 + value_size(v))
        .sum()
}

/// One value's size in bytes, without its attribute name.
pub fn value_size(v: &AttributeValue) -> u64 {
    match v {
        AttributeValue::S(s) => s.len() as u64,
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len() as u64,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(items) => 3 + items.iter().map(|e| 1 + value_size(e)).sum::<u64>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, e)| 1 + k.len() as u64 + value_size(e))
                .sum::<u64>()
        }
        AttributeValue::Ss(items) => items.iter().map(|s| s.len() as u64).sum(),
        AttributeValue::Ns(items) => items.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(items) => items.iter().map(|b| b.as_ref().len() as u64).sum(),
        _ => 0,
    }
}

/// The significant digits of a number's text (`-0012.50E+3` has 3: 125).
pub fn significant_digits(text: &str) -> u64 {
    let mantissa = match text.find(['e', 'E']) {
        Some(at) => &text[..at],
        None => text,
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    match digits.iter().position(|&d| d != b'0') {
        None => 0,
        Some(first) => {
            let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
            (last - first + 1) as u64
        }
    }
}

/// A number's size in bytes: `ceil((significant digits + 1) / 2) + 1`, at
/// most 21; zero is 1.
pub fn number_size(text: &str) -> u64 {
    match significant_digits(text) {
        0 => 1,
        d => ((d + 1).div_ceil(2) + 1).min(MAX_NUMBER_BYTES),
    }
}

/// Write units of one write of an item of `size` bytes: 1 per KB, rounded
/// up, at least 1 (an empty write still costs one). Twice this for a
/// transactional write.
pub fn write_units(size: u64) -> u64 {
    size.div_ceil(WRITE_UNIT_BYTES).max(1)
}

/// Read units of reading `size` bytes: 1 per 4 KB rounded up (at least 1)
/// when strongly consistent, half that when eventually consistent.
pub fn read_units(size: u64, strongly_consistent: bool) -> f64 {
    let units = size.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if strongly_consistent {
        units
    } else {
        units / 2.0
    }
}

/// What one write of an item costs: its own write units, and one write
/// to each global secondary index it appears in (it has the index's key
/// attributes), sized by the index's projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteCost {
    /// The item's size in bytes.
    pub size: u64,
    /// Write units of the item itself.
    pub units: u64,
    /// (index, write units of its entry) for each GSI the item is in.
    pub indexes: Vec<(String, u64)>,
}

impl WriteCost {
    /// The item's units and its GSI writes together.
    pub fn total(&self) -> u64 {
        self.units + self.indexes.iter().map(|(_, u)| u).sum::<u64>()
    }
}

/// `item`'s entry in `index`: the table and index keys, plus every
/// attribute (ALL) or the listed ones (INCLUDE); None when the item lacks
/// one of the index's key attributes (it is not in the index).
pub fn index_entry<'a>(
    item: &'a Item,
    info: &crate::dynamo::client::TableInfo,
    index: &crate::dynamo::client::IndexInfo,
) -> Option<std::collections::BTreeMap<&'a str, &'a AttributeValue>> {
    let index_keys: Vec<&str> = std::iter::once(index.pk.name.as_str())
        .chain(index.sk.as_ref().map(|k| k.name.as_str()))
        .collect();
    if index_keys.iter().any(|k| !item.contains_key(*k)) {
        return None;
    }
    let projection = index.projection.trim();
    let all = projection.eq_ignore_ascii_case("ALL");
    // KEYS_ONLY, or INCLUDE (a, b): the keys and the attributes listed.
    let included: Vec<&str> = projection
        .split_once('(')
        .map(|(_, rest)| {
            rest.trim_end_matches(')')
                .split(',')
                .map(str::trim)
                .collect()
        })
        .unwrap_or_default();
    let table_keys = info.key_names();
    Some(
        item.iter()
            .filter(|(name, _)| {
                let n = name.as_str();
                all || index_keys.contains(&n) || table_keys.contains(&n) || included.contains(&n)
            })
            .map(|(n, v)| (n.as_str(), v))
            .collect(),
    )
}

/// The size of an index entry (as [`index_entry`] gives it).
pub fn entry_size(entry: &std::collections::BTreeMap<&str, &AttributeValue>) -> u64 {
    entry
        .iter()
        .map(|(name, v)| name.len() as u64 + value_size(v))
        .sum()
}

/// The size of `item`'s entry in `index` (see [`index_entry`]); None when
/// the item is not in the index.
pub fn index_entry_size(
    item: &Item,
    info: &crate::dynamo::client::TableInfo,
    index: &crate::dynamo::client::IndexInfo,
) -> Option<u64> {
    index_entry(item, info, index).map(|e| entry_size(&e))
}

/// What one (non-transactional) write of `item` to `info`'s table costs.
pub fn write_cost(item: &Item, info: &crate::dynamo::client::TableInfo) -> WriteCost {
    let size = item_size(item);
    WriteCost {
        size,
        units: write_units(size),
        indexes: info
            .indexes
            .iter()
            .filter(|i| i.global)
            .filter_map(|i| {
                index_entry_size(item, info, i).map(|s| (i.name.clone(), write_units(s)))
            })
            .collect(),
    }
}

/// The item's size, its share of the 400 KB limit, and what reading and
/// writing it costs: `1234 bytes (0.3% of the 400 KB limit) · read 1 RCU
/// (0.5 eventually consistent) · write 2 WCU + GSI1 2 = 4 WCU` (GSI writes
/// only when the table is known). The detail view and `dyntui get --size`
/// print it.
pub fn summary(item: &Item, info: Option<&crate::dynamo::client::TableInfo>) -> String {
    let size = item_size(item);
    let share = 100.0 * size as f64 / MAX_ITEM_BYTES as f64;
    let write = match info.map(|i| write_cost(item, i)) {
        Some(c) if !c.indexes.is_empty() => {
            let gsis: Vec<String> = c
                .indexes
                .iter()
                .map(|(name, u)| format!("{name} {u}"))
                .collect();
            format!("{} WCU + {} = {} WCU", c.units, gsis.join(", "), c.total())
        }
        _ => format!("{} WCU", write_units(size)),
    };
    format!(
        "{size} bytes ({share:.1}% of the 400 KB limit) · read {} RCU ({} eventually consistent) · write {write}",
        read_units(size, true),
        read_units(size, false)
    )
}

/// True when the item is at 80% or more of the 400 KB limit.
pub fn near_limit(item: &Item) -> bool {
    item_size(item) * 5 >= MAX_ITEM_BYTES * 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }
    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }
    fn item(attrs: &[(&str, AttributeValue)]) -> Item {
        attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn strings_count_utf8_bytes_of_name_and_value() {
        assert_eq!(item_size(&item(&[("PK", s("abc"))])), 5);
        // 2-byte name, 4-byte value: bytes, not characters.
        assert_eq!(item_size(&item(&[("é", s("🦀"))])), 2 + 4);
        assert_eq!(value_size(&s("")), 0);
    }

    #[test]
    fn numbers_by_significant_digits() {
        assert_eq!(number_size("0"), 1);
        assert_eq!(number_size("-0.000"), 1);
        assert_eq!(number_size("7"), 2);
        assert_eq!(number_size("12"), 3);
        assert_eq!(number_size("123"), 3);
        assert_eq!(number_size("1234"), 4);
        // The sign and the decimal point are not digits.
        assert_eq!(number_size("-123"), 3);
        assert_eq!(number_size("1.23"), 3);
        // Leading and trailing zeroes are trimmed; inner ones count.
        assert_eq!(number_size("1000000"), 2);
        assert_eq!(number_size("0.0012"), 3);
        assert_eq!(number_size("10.01"), 4);
        assert_eq!(number_size("1.5E+10"), 3);
        assert_eq!(significant_digits("-0012.50E+3"), 3);
        // 38 significant digits: the 21-byte maximum.
        let max = "12345678901234567890123456789012345678";
        assert_eq!(significant_digits(max), 38);
        assert_eq!(number_size(max), MAX_NUMBER_BYTES);
        assert_eq!(number_size(&format!("-{max}")), MAX_NUMBER_BYTES);
        // With its name.
        assert_eq!(item_size(&item(&[("Price", n("2"))])), 5 + 2);
    }

    #[test]
    fn binary_bool_and_null() {
        assert_eq!(
            item_size(&item(&[
                ("b", AttributeValue::B(Blob::new(vec![0; 10]))),
                ("t", AttributeValue::Bool(false)),
                ("z", AttributeValue::Null(true)),
            ])),
            (1 + 10) + (1 + 1) + (1 + 1)
        );
    }

    #[test]
    fn lists_and_maps_have_3_bytes_plus_1_per_element() {
        // Empty: 3 bytes.
        assert_eq!(value_size(&AttributeValue::L(vec![])), 3);
        assert_eq!(value_size(&AttributeValue::M(Item::new())), 3);
        // ["ab", 5, []]: 3 + (1 + 2) + (1 + 2) + (1 + 3).
        let list = AttributeValue::L(vec![s("ab"), n("5"), AttributeValue::L(vec![])]);
        assert_eq!(value_size(&list), 3 + 3 + 3 + 4);
        assert_eq!(item_size(&item(&[("l", list)])), 1 + 13);
        // {"k": "v", "inner": {"x": true}}: keys count.
        let map = AttributeValue::M(item(&[
            ("k", s("v")),
            (
                "inner",
                AttributeValue::M(item(&[("x", AttributeValue::Bool(true))])),
            ),
        ]));
        let inner = 3 + (1 + 1 + 1);
        assert_eq!(value_size(&map), 3 + (1 + 1 + 1) + (1 + 5 + inner));
    }

    #[test]
    fn sets_are_the_sum_of_their_members() {
        assert_eq!(
            item_size(&item(&[
                ("ss", AttributeValue::Ss(vec!["a".into(), "bcd".into()])),
                ("ns", AttributeValue::Ns(vec!["1".into(), "123".into()])),
                (
                    "bs",
                    AttributeValue::Bs(vec![Blob::new(vec![1, 2]), Blob::new(vec![3])])
                ),
            ])),
            (2 + 4) + (2 + 2 + 3) + (2 + 3)
        );
    }

    /// A book like those of AWS's ProductCatalog sample table: strings, a
    /// number, a list and a boolean at once, counted by hand.
    #[test]
    fn a_whole_item_by_hand() {
        let book = item(&[
            ("Id", n("101")),                                   // 2 + 3
            ("Title", s("Book 101 Title")),                     // 5 + 14
            ("Authors", AttributeValue::L(vec![s("Author1")])), // 7 + 3 + 1 + 7
            ("InPublication", AttributeValue::Bool(true)),      // 13 + 1
        ]);
        assert_eq!(item_size(&book), 5 + 19 + 18 + 14);
    }

    /// AWS's capacity examples: "a 3.5 KB item" is one strongly consistent
    /// read unit (4 KB) and half of one eventually consistent; a 1.5 KB
    /// write is 2 write units; 500 bytes is 1; an 8 KB read is 2 units.
    #[test]
    fn capacity_units_round_per_item() {
        assert_eq!(read_units(3584, true), 1.0);
        assert_eq!(read_units(3584, false), 0.5);
        assert_eq!(read_units(8 * 1024, true), 2.0);
        assert_eq!(read_units(8 * 1024 + 1, true), 3.0);
        assert_eq!(read_units(0, false), 0.5);
        assert_eq!(write_units(1536), 2);
        assert_eq!(write_units(500), 1);
        assert_eq!(write_units(1024), 1);
        assert_eq!(write_units(1025), 2);
        assert_eq!(write_units(0), 1);
        assert_eq!(write_units(MAX_ITEM_BYTES), 400);
    }

    fn index(name: &str, pk: &str, sk: &str, projection: &str) -> crate::dynamo::client::IndexInfo {
        use crate::dynamo::client::{KeyDef, KeyKind};
        let key = |n: &str| KeyDef {
            name: n.into(),
            kind: Some(KeyKind::S),
        };
        crate::dynamo::client::IndexInfo {
            name: name.into(),
            global: true,
            pk: key(pk),
            sk: Some(key(sk)),
            projection: projection.into(),
            status: None,
            capacity: None,
            item_count: None,
            size_bytes: None,
        }
    }

    #[test]
    fn a_write_costs_one_more_write_per_gsi_the_item_is_in_sized_by_its_projection() {
        use crate::dynamo::client::{KeyDef, KeyKind, TableInfo};
        let key = |n: &str| KeyDef {
            name: n.into(),
            kind: Some(KeyKind::S),
        };
        let info = TableInfo {
            pk: Some(key("PK")),
            sk: Some(key("SK")),
            indexes: vec![
                index("GSI1", "GSI1PK", "GSI1SK", "ALL"),
                index("GSI2", "GSI2PK", "GSI2SK", "KEYS_ONLY"),
                index("GSI3", "GSI3PK", "GSI3SK", "INCLUDE (note)"),
            ],
            ..TableInfo::default()
        };
        let s = |v: &str| AttributeValue::S(v.into());
        let mut item: Item = [
            ("PK", s("A")),
            ("SK", s("B")),
            ("GSI1PK", s("C")),
            ("GSI1SK", s("D")),
            ("GSI3PK", s("E")),
            ("GSI3SK", s("F")),
            ("note", s("n")),
            ("body", s(&"x".repeat(1500))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let c = write_cost(&item, &info);
        assert_eq!(c.size, item_size(&item));
        assert_eq!(c.units, 2, "1,5xx bytes: 2 WCU");
        // GSI1 projects everything (2 WCU); GSI2's keys are missing (not in
        // it); GSI3 holds keys and `note` only (1 WCU).
        assert_eq!(
            c.indexes,
            [("GSI1".to_string(), 2), ("GSI3".to_string(), 1)]
        );
        assert_eq!(c.total(), 5);
        let gsi3 = index("GSI3", "GSI3PK", "GSI3SK", "INCLUDE (note)");
        // PK B SK B GSI3PK E GSI3SK F note n: names and values.
        assert_eq!(
            index_entry_size(&item, &info, &gsi3),
            Some(2 + 1 + 2 + 1 + 6 + 1 + 6 + 1 + 4 + 1)
        );
        item.insert("GSI2PK".into(), s("G"));
        item.insert("GSI2SK".into(), s("H"));
        let c = write_cost(&item, &info);
        assert_eq!(c.indexes.len(), 3, "now in GSI2 too (keys only: 1 WCU)");
        assert_eq!(c.indexes[1], ("GSI2".to_string(), 1));
        let text = summary(&item, Some(&info));
        assert!(
            text.ends_with("· write 2 WCU + GSI1 2, GSI2 1, GSI3 1 = 6 WCU"),
            "{text}"
        );
        assert!(
            text.contains("read 1 RCU (0.5 eventually consistent)"),
            "{text}"
        );
        assert!(!near_limit(&item));
        item.insert("big".into(), s(&"y".repeat(330_000)));
        assert!(near_limit(&item));
        assert!(
            summary(&item, None).contains("(80.9% of the 400 KB limit)"),
            "{}",
            summary(&item, None)
        );
    }
}
