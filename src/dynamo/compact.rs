//! A compact, exact byte encoding of items, for holding many loaded items in
//! memory. A `HashMap<String, AttributeValue>` costs about 5x the item's
//! DynamoDB JSON size (80-byte entries, spare buckets, a heap string per
//! name); this encoding costs a little less than the JSON itself. Views decode
//! only the rows on screen, so the cost of decoding stays tiny.
//!
//! Layout (lengths and counts are varints of 6 bits a byte, bit 6 set on
//! every byte but the last, so that they are ASCII bytes):
//! `item = count (name value)*`, `name = len bytes`,
//! `value = tag payload` with tags S N B BOOL-false BOOL-true NULL L M SS NS BS.
//! Numbers keep their exact text; binary and sets round-trip.
//!
//! Tags and lengths being ASCII, an item without binary values is valid
//! UTF-8 as a whole: decoding checks it once and then copies its strings
//! without checking each one.

use aws_smithy_types::Blob;

use super::{AttributeValue, Item};

const S: u8 = 0;
const N: u8 = 1;
const B: u8 = 2;
const FALSE: u8 = 3;
const TRUE: u8 = 4;
const NULL: u8 = 5;
const L: u8 = 6;
const M: u8 = 7;
const SS: u8 = 8;
const NS: u8 = 9;
const BS: u8 = 10;

/// An item in compact form.
#[derive(Clone, PartialEq, Eq)]
pub struct CompactItem(Box<[u8]>);

impl std::fmt::Debug for CompactItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.decode() {
            Ok(item) => item.fmt(f),
            Err(e) => write!(f, "CompactItem(<{e}>)"),
        }
    }
}

/// The bytes were not produced by [`CompactItem::encode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt compact item at byte {0}")]
pub struct CorruptItem(pub usize);

/// Payload bits of a length byte, and the bit saying another byte follows.
const LEN_BITS: u32 = 6;
const LEN_MASK: usize = 0x3f;
const LEN_MORE: u8 = 0x40;

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & LEN_MASK) as u8;
        n >>= LEN_BITS;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | LEN_MORE);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

fn put_value(out: &mut Vec<u8>, v: &AttributeValue) {
    match v {
        AttributeValue::S(s) => {
            out.push(S);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(N);
            put_bytes(out, n.as_bytes());
        }
        AttributeValue::B(b) => {
            out.push(B);
            put_bytes(out, b.as_ref());
        }
        AttributeValue::Bool(false) => out.push(FALSE),
        AttributeValue::Bool(true) => out.push(TRUE),
        AttributeValue::L(l) => {
            out.push(L);
            put_len(out, l.len());
            for x in l {
                put_value(out, x);
            }
        }
        AttributeValue::M(m) => {
            out.push(M);
            put_map(out, m);
        }
        AttributeValue::Ss(v) => {
            out.push(SS);
            put_len(out, v.len());
            for s in v {
                put_bytes(out, s.as_bytes());
            }
        }
        AttributeValue::Ns(v) => {
            out.push(NS);
            put_len(out, v.len());
            for s in v {
                put_bytes(out, s.as_bytes());
            }
        }
        AttributeValue::Bs(v) => {
            out.push(BS);
            put_len(out, v.len());
            for b in v {
                put_bytes(out, b.as_ref());
            }
        }
        // NULL, and any type a future SDK adds (it cannot come from DynamoDB
        // today); both read back as NULL.
        _ => out.push(NULL),
    }
}

fn put_map(out: &mut Vec<u8>, m: &std::collections::HashMap<String, AttributeValue>) {
    put_len(out, m.len());
    for (k, v) in m {
        put_bytes(out, k.as_bytes());
        put_value(out, v);
    }
}

/// The values of the attributes `names` of `item`, encoded exactly one
/// after the other (None when one is missing): an exact key, to tell
/// items apart without building their DynamoDB JSON.
pub fn key_bytes(item: &Item, names: &[String]) -> Option<Box<[u8]>> {
    let mut out = Vec::with_capacity(64);
    for n in names {
        put_value(&mut out, item.get(n)?);
    }
    Some(out.into_boxed_slice())
}

struct Reader<'a> {
    b: &'a [u8],
    /// `b` as text when it is valid UTF-8 as a whole (no binary values):
    /// its strings are then copied without checking each one.
    text: Option<&'a str>,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self) -> CorruptItem {
        CorruptItem(self.pos)
    }

    fn byte(&mut self) -> Result<u8, CorruptItem> {
        let b = *self.b.get(self.pos).ok_or_else(|| self.err())?;
        self.pos += 1;
        Ok(b)
    }

    fn len(&mut self) -> Result<usize, CorruptItem> {
        let b = self.byte()?;
        if b & LEN_MORE == 0 && b < 0x80 {
            return Ok(b as usize);
        }
        self.pos -= 1;
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift > 56 || b >= 0x80 {
                return Err(self.err());
            }
            n |= (b as usize & LEN_MASK) << shift;
            if b & LEN_MORE == 0 {
                return Ok(n);
            }
            shift += LEN_BITS;
        }
    }

    fn bytes(&mut self) -> Result<&'a [u8], CorruptItem> {
        let n = self.len()?;
        let end = self.pos.checked_add(n).ok_or_else(|| self.err())?;
        let s = self.b.get(self.pos..end).ok_or_else(|| self.err())?;
        self.pos = end;
        Ok(s)
    }

    fn string(&mut self) -> Result<String, CorruptItem> {
        let at = self.pos;
        let n = self.len()?;
        let start = self.pos;
        let end = start.checked_add(n).ok_or_else(|| self.err())?;
        let s = match self.text {
            // Checked once for the whole item; `get` checks only that the
            // ends are character boundaries.
            Some(t) => t.get(start..end).map(str::to_owned),
            None => self
                .b
                .get(start..end)
                .and_then(|b| String::from_utf8(b.to_vec()).ok()),
        };
        self.pos = end;
        s.ok_or(CorruptItem(at))
    }

    fn value(&mut self) -> Result<AttributeValue, CorruptItem> {
        Ok(match self.byte()? {
            S => AttributeValue::S(self.string()?),
            N => AttributeValue::N(self.string()?),
            B => AttributeValue::B(Blob::new(self.bytes()?.to_vec())),
            FALSE => AttributeValue::Bool(false),
            TRUE => AttributeValue::Bool(true),
            NULL => AttributeValue::Null(true),
            L => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    v.push(self.value()?);
                }
                AttributeValue::L(v)
            }
            M => AttributeValue::M(self.map()?),
            SS | NS => {
                let tag = self.b[self.pos - 1];
                let n = self.len()?;
                let mut v = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    v.push(self.string()?);
                }
                if tag == SS {
                    AttributeValue::Ss(v)
                } else {
                    AttributeValue::Ns(v)
                }
            }
            BS => {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    v.push(Blob::new(self.bytes()?.to_vec()));
                }
                AttributeValue::Bs(v)
            }
            _ => return Err(CorruptItem(self.pos - 1)),
        })
    }

    fn map(&mut self) -> Result<Item, CorruptItem> {
        let n = self.len()?;
        let mut m = Item::with_capacity(n.min(1024));
        for _ in 0..n {
            let k = self.string()?;
            let v = self.value()?;
            m.insert(k, v);
        }
        Ok(m)
    }
}

impl CompactItem {
    /// Encodes an item exactly.
    pub fn encode(item: &Item) -> CompactItem {
        let mut out = Vec::with_capacity(256);
        put_map(&mut out, item);
        CompactItem(out.into_boxed_slice())
    }

    /// Decodes the item.
    pub fn decode(&self) -> Result<Item, CorruptItem> {
        let mut r = Reader {
            b: &self.0,
            text: std::str::from_utf8(&self.0).ok(),
            pos: 0,
        };
        let item = r.map()?;
        if r.pos != self.0.len() {
            return Err(CorruptItem(r.pos));
        }
        Ok(item)
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.0.len()
    }

    /// True when an attribute name or value contains `needle`, ignoring ASCII
    /// case. Searches the encoded bytes, so no decoding is needed.
    pub fn contains_ignore_case(&self, needle: &str) -> bool {
        let n = needle.as_bytes();
        if n.is_empty() {
            return true;
        }
        if !needle.is_ascii() {
            // Non-ASCII: compare lower-cased text.
            let lower = needle.to_lowercase();
            return String::from_utf8_lossy(&self.0)
                .to_lowercase()
                .contains(&lower);
        }
        let first = n[0].to_ascii_lowercase();
        self.0
            .windows(n.len())
            .any(|w| w[0].to_ascii_lowercase() == first && w.eq_ignore_ascii_case(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Item {
        let mut inner = Item::new();
        inner.insert("city".into(), AttributeValue::S("Zürich".into()));
        inner.insert("zip".into(), AttributeValue::N("8001".into()));
        Item::from([
            ("PK".to_string(), AttributeValue::S("CUSTOMER#1".into())),
            ("empty".to_string(), AttributeValue::S(String::new())),
            (
                "n".to_string(),
                AttributeValue::N("-12345678901234567890123456789012345678E-130".into()),
            ),
            (
                "b".to_string(),
                AttributeValue::B(Blob::new(vec![0, 255, 128])),
            ),
            ("t".to_string(), AttributeValue::Bool(true)),
            ("f".to_string(), AttributeValue::Bool(false)),
            ("nil".to_string(), AttributeValue::Null(true)),
            (
                "l".to_string(),
                AttributeValue::L(vec![
                    AttributeValue::M(inner.clone()),
                    AttributeValue::L(vec![]),
                    AttributeValue::N("1.50".into()),
                ]),
            ),
            ("m".to_string(), AttributeValue::M(inner)),
            (
                "ss".to_string(),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ),
            (
                "ns".to_string(),
                AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
            ),
            (
                "bs".to_string(),
                AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
            ),
            ("long".to_string(), AttributeValue::S("x".repeat(1000))),
        ])
    }

    #[test]
    fn round_trips_every_type() {
        let item = sample();
        let c = CompactItem::encode(&item);
        assert_eq!(c.decode().unwrap(), item);
        assert_eq!(
            CompactItem::encode(&Item::new()).decode().unwrap(),
            Item::new()
        );
    }

    #[test]
    fn smaller_than_dynamodb_json() {
        let item = sample();
        let json = serde_json::to_string(&crate::dynamo::value::item_to_dynamo(&item)).unwrap();
        let c = CompactItem::encode(&item);
        assert!(c.size() < json.len(), "{} vs {}", c.size(), json.len());
    }

    #[test]
    fn searches_names_and_values_ignoring_case() {
        let c = CompactItem::encode(&sample());
        assert!(c.contains_ignore_case("customer#1"));
        assert!(c.contains_ignore_case("CITY"));
        assert!(c.contains_ignore_case("2.5"));
        assert!(c.contains_ignore_case("zürich"));
        assert!(!c.contains_ignore_case("order"));
        assert!(c.contains_ignore_case(""));
    }

    #[test]
    fn lengths_of_every_size_round_trip_and_stay_ascii() {
        for n in [
            0, 1, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262_144, 300_001,
        ] {
            let item = Item::from([
                (
                    "s".repeat(n.min(70_000)),
                    AttributeValue::S("é".repeat(n / 2)),
                ),
                (
                    "l".to_string(),
                    AttributeValue::L(vec![AttributeValue::Null(true); n.min(5000)]),
                ),
            ]);
            let c = CompactItem::encode(&item);
            assert_eq!(c.decode().unwrap(), item, "length {n}");
            assert!(
                std::str::from_utf8(&c.0).is_ok(),
                "without binary values the bytes are text (length {n})"
            );
        }
        // Binary values: decoded by checking each string.
        let mut item = sample();
        item.insert("big".into(), AttributeValue::B(Blob::new(vec![0xff; 5000])));
        let c = CompactItem::encode(&item);
        assert!(std::str::from_utf8(&c.0).is_err());
        assert_eq!(c.decode().unwrap(), item);
    }

    #[test]
    fn key_bytes_tell_keys_apart_exactly() {
        let names = ["PK".to_string(), "SK".to_string()];
        let key = |pk: &str, sk: AttributeValue| {
            let it = Item::from([
                ("PK".to_string(), AttributeValue::S(pk.into())),
                ("SK".to_string(), sk),
                ("other".to_string(), AttributeValue::S("x".into())),
            ]);
            key_bytes(&it, &names)
        };
        let s = |v: &str| AttributeValue::S(v.into());
        assert_eq!(key("ab", s("c")), key("ab", s("c")));
        assert_ne!(key("ab", s("c")), key("a", s("bc")));
        assert_ne!(key("a", s("1")), key("a", AttributeValue::N("1".into())));
        let no_sk = Item::from([("PK".to_string(), s("a"))]);
        assert_eq!(key_bytes(&no_sk, &names), None);
    }

    #[test]
    fn corrupt_bytes_are_an_error_not_a_panic() {
        let c = CompactItem::encode(&sample());
        for cut in [0, 1, 5, c.0.len() / 2, c.0.len() - 1] {
            let broken = CompactItem(c.0[..cut].to_vec().into_boxed_slice());
            assert!(broken.decode().is_err(), "cut at {cut}");
        }
        let mut extra = c.0.to_vec();
        extra.push(0);
        assert!(CompactItem(extra.into_boxed_slice()).decode().is_err());
        assert!(
            CompactItem(vec![1, 0, 99].into_boxed_slice())
                .decode()
                .is_err()
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_item_round_trips(item in crate::dynamo::value::tests::any_item(true, 0)) {
            let c = CompactItem::encode(&item);
            prop_assert_eq!(c.decode().unwrap(), item);
        }
    }
}
