//! Redaction for copies of production data: configured attributes get fake
//! values of a kind (name, email, phone, ...), the same original mapping to
//! the same fake value within a run, and the original never kept.
//!
//! A fake value is generated from a keyed hash of the original (keys
//! random per run unless a seed is given), so no table of originals is held
//! in memory and a mapping cannot be reversed across runs. Where an original
//! redacted value also appears inside another string attribute (a GSI key
//! such as `EMAIL#ada@example.com`), it is replaced there by the same fake
//! value, so derived keys stay consistent and do not leak it.

use std::hash::{BuildHasher, Hasher};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::generate::FakeKind;
use super::{AttributeValue, Item};

/// Originals shorter than this are not replaced inside other strings (a
/// two-letter value would rewrite unrelated text).
const MIN_EMBEDDED: usize = 4;

/// The most words an original found inside a longer string may have.
const WINDOW: usize = 8;

/// A run's redaction: attribute -> kind of fake value.
///
/// A rule's attribute is a name, which matches attributes of that name at
/// any depth (inside maps, and maps in lists), or a dotted path from the top
/// (`contact.email`). Every original value a rule redacts is replaced
/// wherever else it occurs in the copied items, whole or as a `#`-separated
/// part of a key, by the same fake value: [`Redactor::learn`] sees every
/// item first, keeping a keyed hash of each original (never the original).
#[derive(Debug, Clone)]
pub struct Redactor {
    rules: Vec<(String, FakeKind)>,
    keys: (u64, u64),
    /// Keyed hash of each redacted original seen -> its kind.
    known: std::collections::HashMap<u64, FakeKind>,
}

impl Redactor {
    /// `seed`: the same seed gives the same mapping in every run (tests,
    /// reproducible fixtures); None picks random keys.
    pub fn new(rules: Vec<(String, FakeKind)>, seed: Option<u64>) -> Redactor {
        let keys = match seed {
            Some(s) => (s, s.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15),
            None => {
                let r = std::collections::hash_map::RandomState::new();
                (r.hash_one(1u8), r.hash_one(2u8))
            }
        };
        Redactor {
            rules,
            keys,
            known: std::collections::HashMap::new(),
        }
    }

    /// The rule that redacts the attribute at `path`, if any.
    fn rule_for(&self, path: &[&str]) -> Option<FakeKind> {
        self.rules.iter().find_map(|(rule, kind)| {
            let hit = if rule.contains('.') {
                rule.split('.').eq(path.iter().copied())
            } else {
                path.last() == Some(&rule.as_str())
            };
            hit.then_some(*kind)
        })
    }

    /// A keyed hash of an original value (`number`: it was a number).
    fn known_hash(&self, text: &str, number: bool) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        h.write_u64(self.keys.1);
        h.write_u8(u8::from(number));
        h.write(text.as_bytes());
        h.finish()
    }

    /// Remembers the originals that the rules redact in `item`, so that
    /// they are replaced in every item, whichever comes first.
    pub fn learn(&mut self, item: &Item) {
        let mut found = Vec::new();
        for (name, v) in item {
            self.collect(v, &mut vec![name.as_str()], None, &mut found);
        }
        for (text, number, kind) in found {
            let h = self.known_hash(&text, number);
            self.known.insert(h, kind);
        }
    }

    fn collect<'a>(
        &self,
        v: &'a AttributeValue,
        path: &mut Vec<&'a str>,
        under: Option<FakeKind>,
        found: &mut Vec<(String, bool, FakeKind)>,
    ) {
        let kind = under.or_else(|| self.rule_for(path));
        match v {
            AttributeValue::S(s) => {
                if let Some(k) = kind {
                    found.push((s.clone(), false, k));
                }
            }
            AttributeValue::N(n) => {
                if let Some(k) = kind {
                    found.push((n.clone(), true, k));
                }
            }
            AttributeValue::Ss(set) => {
                if let Some(k) = kind {
                    found.extend(set.iter().map(|s| (s.clone(), false, k)));
                }
            }
            AttributeValue::Ns(set) => {
                if let Some(k) = kind {
                    found.extend(set.iter().map(|n| (n.clone(), true, k)));
                }
            }
            AttributeValue::L(l) => {
                for x in l {
                    self.collect(x, path, kind, found);
                }
            }
            AttributeValue::M(m) => {
                for (k, x) in m {
                    path.push(k.as_str());
                    self.collect(x, path, kind, found);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Parses `attr=kind` rules (`email=email`, `fullName=name`).
    pub fn parse_rules(specs: &[String]) -> Result<Vec<(String, FakeKind)>, String> {
        specs
            .iter()
            .map(|s| {
                let (a, k) = s
                    .split_once('=')
                    .ok_or_else(|| format!("`{s}`: use ATTRIBUTE=KIND (e.g. email=email)"))?;
                let kind = FakeKind::from_name(k.trim()).ok_or_else(|| {
                    format!(
                        "`{s}`: unknown kind `{}`; one of {}",
                        k.trim(),
                        FakeKind::ALL
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                Ok((a.trim().to_string(), kind))
            })
            .collect()
    }

    pub fn rules(&self) -> &[(String, FakeKind)] {
        &self.rules
    }

    fn rng(&self, kind: FakeKind, original: &str, attempt: u32) -> ChaCha8Rng {
        let mut h = std::hash::DefaultHasher::new();
        h.write_u64(self.keys.0);
        h.write(kind.name().as_bytes());
        h.write_u8(0);
        h.write(original.as_bytes());
        h.write_u32(attempt);
        let a = h.finish();
        h.write_u64(self.keys.1);
        let b = h.finish();
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&a.to_le_bytes());
        seed[8..16].copy_from_slice(&b.to_le_bytes());
        seed[16..24].copy_from_slice(&self.keys.1.to_le_bytes());
        seed[24..].copy_from_slice(&(original.len() as u64).to_le_bytes());
        ChaCha8Rng::from_seed(seed)
    }

    /// The fake text for an original string: the same for the same input,
    /// never the input itself.
    pub fn fake_text(&self, kind: FakeKind, original: &str) -> String {
        for attempt in 0..64 {
            let v = kind.generate(&mut self.rng(kind, original, attempt));
            if v != original && !v.contains(original) {
                return v;
            }
        }
        // Practically unreachable; still never the original.
        format!(
            "redacted-{:016x}",
            rand::RngCore::next_u64(&mut self.rng(kind, original, 99))
        )
    }

    /// A fake number with as many digits as the original (phone numbers
    /// stored as numbers), never equal to it.
    fn fake_number(&self, kind: FakeKind, original: &str) -> String {
        use rand::Rng;
        let digits = original.chars().filter(char::is_ascii_digit).count().max(1);
        for attempt in 0..64 {
            let mut rng = self.rng(kind, original, attempt);
            let mut s = String::with_capacity(digits);
            s.push(char::from(b'1' + rng.random_range(0..9u8)));
            for _ in 1..digits {
                s.push(char::from(b'0' + rng.random_range(0..10u8)));
            }
            if s != original {
                return s;
            }
        }
        "1".repeat(digits + 1)
    }

    fn fake_value(
        &self,
        kind: FakeKind,
        v: &AttributeValue,
        pairs: &mut Vec<(String, String)>,
    ) -> AttributeValue {
        match v {
            AttributeValue::S(s) => {
                let f = self.fake_text(kind, s);
                pairs.push((s.clone(), f.clone()));
                AttributeValue::S(f)
            }
            AttributeValue::Ss(set) => {
                let mut out: Vec<String> = set
                    .iter()
                    .map(|s| {
                        let f = self.fake_text(kind, s);
                        pairs.push((s.clone(), f.clone()));
                        f
                    })
                    .collect();
                out.sort();
                out.dedup();
                AttributeValue::Ss(out)
            }
            AttributeValue::N(n) => AttributeValue::N(self.fake_number(kind, n)),
            AttributeValue::Ns(set) => {
                let mut out: Vec<String> = set.iter().map(|n| self.fake_number(kind, n)).collect();
                out.sort();
                out.dedup();
                AttributeValue::Ns(out)
            }
            AttributeValue::L(l) => {
                AttributeValue::L(l.iter().map(|x| self.fake_value(kind, x, pairs)).collect())
            }
            AttributeValue::M(m) => AttributeValue::M(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.fake_value(kind, x, pairs)))
                    .collect(),
            ),
            // NULL and BOOL say nothing personal; binary is replaced by text.
            AttributeValue::Null(_) | AttributeValue::Bool(_) => v.clone(),
            other => AttributeValue::S(self.fake_text(kind, &format!("{other:?}"))),
        }
    }

    /// Redacts an item: every attribute a rule names replaced (at any
    /// depth), and every original value seen by [`Redactor::learn`] (or in
    /// this item) replaced wherever it occurs, whole, as a `#`-separated
    /// part, or inside another string of this item.
    pub fn redact(&self, item: &mut Item) {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let names: Vec<String> = item.keys().cloned().collect();
        for name in names {
            if let Some(v) = item.get_mut(&name) {
                self.redact_rules(v, &mut vec![name.clone()], &mut pairs);
            }
        }
        let exact: std::collections::HashMap<String, String> = pairs.iter().cloned().collect();
        pairs.retain(|(o, _)| o.chars().count() >= MIN_EMBEDDED);
        // Longest originals first, so `ada@x.com` is not half-replaced by `ada`.
        pairs.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        let found = Found {
            exact: &exact,
            embedded: &pairs,
        };
        for v in item.values_mut() {
            self.replace_known(v, &found);
        }
    }

    /// Replaces the values of the attributes the rules name, recording the
    /// original -> fake pairs of strings.
    fn redact_rules(
        &self,
        v: &mut AttributeValue,
        path: &mut Vec<String>,
        pairs: &mut Vec<(String, String)>,
    ) {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        if let Some(kind) = self.rule_for(&p) {
            *v = self.fake_value(kind, v, pairs);
            return;
        }
        match v {
            AttributeValue::L(l) => {
                for x in l.iter_mut() {
                    self.redact_rules(x, path, pairs);
                }
            }
            AttributeValue::M(m) => {
                for (k, x) in m.iter_mut() {
                    path.push(k.clone());
                    self.redact_rules(x, path, pairs);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// A string with every known original replaced: whole, or wherever it
    /// stands between word boundaries (`EMAIL#ada@corp.test`, `call Ada
    /// Lovelace first`). Each run of up to [`WINDOW`] words is looked up,
    /// longest first.
    fn replace_known_text(&self, s: &str, found: &Found<'_>) -> Option<String> {
        let fake = |t: &str| -> Option<String> {
            if let Some(f) = found.exact.get(t) {
                return Some(f.clone());
            }
            self.known
                .get(&self.known_hash(t, false))
                .map(|kind| self.fake_text(*kind, t))
        };
        if let Some(f) = fake(s) {
            return Some(f);
        }
        if self.known.is_empty() && found.exact.is_empty() {
            return None;
        }
        // Words: maximal runs of letters and digits, as byte spans.
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, c) in s.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(b)) => {
                    words.push((b, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(b) = start {
            words.push((b, s.len()));
        }
        let mut out = String::new();
        let mut copied = 0;
        let mut i = 0;
        let mut changed = false;
        while i < words.len() {
            let hit = (i..words.len().min(i + WINDOW)).rev().find_map(|j| {
                let span = &s[words[i].0..words[j].1];
                if span.chars().count() < MIN_EMBEDDED {
                    return None;
                }
                fake(span).map(|f| (j, f))
            });
            match hit {
                Some((j, f)) => {
                    out.push_str(&s[copied..words[i].0]);
                    out.push_str(&f);
                    copied = words[j].1;
                    changed = true;
                    i = j + 1;
                }
                None => i += 1,
            }
        }
        if !changed {
            return None;
        }
        out.push_str(&s[copied..]);
        Some(out)
    }

    fn replace_known(&self, v: &mut AttributeValue, found: &Found<'_>) {
        let pairs = found.embedded;
        match v {
            AttributeValue::S(s) => {
                if let Some(n) = self.replace_known_text(s, found) {
                    *s = n;
                }
                if let Some(n) = replace_in(s, pairs) {
                    *s = n;
                }
            }
            AttributeValue::N(n) => {
                if let Some(kind) = self.known.get(&self.known_hash(n, true)) {
                    *n = self.fake_number(*kind, n);
                }
            }
            AttributeValue::Ss(set) => {
                for s in set.iter_mut() {
                    if let Some(n) = self.replace_known_text(s, found) {
                        *s = n;
                    }
                    if let Some(n) = replace_in(s, pairs) {
                        *s = n;
                    }
                }
                set.sort();
                set.dedup();
            }
            AttributeValue::Ns(set) => {
                for n in set.iter_mut() {
                    if let Some(kind) = self.known.get(&self.known_hash(n, true)) {
                        *n = self.fake_number(*kind, n);
                    }
                }
                set.sort();
                set.dedup();
            }
            AttributeValue::L(l) => l.iter_mut().for_each(|x| self.replace_known(x, found)),
            AttributeValue::M(m) => m.values_mut().for_each(|x| self.replace_known(x, found)),
            _ => {}
        }
    }
}

/// The originals of the item being redacted, with their fakes.
struct Found<'a> {
    exact: &'a std::collections::HashMap<String, String>,
    /// Long enough to be replaced inside other strings; longest first.
    embedded: &'a [(String, String)],
}

fn replace_in(s: &str, pairs: &[(String, String)]) -> Option<String> {
    let mut out: Option<String> = None;
    for (o, f) in pairs {
        let cur = out.as_deref().unwrap_or(s);
        if cur.contains(o.as_str()) {
            out = Some(cur.replace(o.as_str(), f));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn red() -> Redactor {
        Redactor::new(
            vec![
                ("email".into(), FakeKind::Email),
                ("name".into(), FakeKind::Name),
                ("phone".into(), FakeKind::Phone),
            ],
            Some(7),
        )
    }

    #[test]
    fn the_same_value_maps_to_the_same_fake_and_never_to_itself() {
        let r = red();
        let a = r.fake_text(FakeKind::Email, "ada@corp.test");
        assert_eq!(a, r.fake_text(FakeKind::Email, "ada@corp.test"));
        assert_ne!(a, "ada@corp.test");
        assert_ne!(a, r.fake_text(FakeKind::Email, "grace@corp.test"));
        // Another run (other keys) maps differently.
        let other = Redactor::new(r.rules().to_vec(), Some(8));
        assert_ne!(a, other.fake_text(FakeKind::Email, "ada@corp.test"));
    }

    #[test]
    fn embedded_originals_are_replaced_consistently() {
        let r = red();
        let mut it = Item::from([
            ("PK".to_string(), s("CUSTOMER#1")),
            ("GSI1PK".to_string(), s("EMAIL#ada@corp.test")),
            ("email".to_string(), s("ada@corp.test")),
            ("name".to_string(), s("Ada Lovelace")),
            ("phone".to_string(), AttributeValue::N("4155550100".into())),
            (
                "note".to_string(),
                AttributeValue::L(vec![s("call Ada Lovelace")]),
            ),
        ]);
        r.redact(&mut it);
        let fake_email = r.fake_text(FakeKind::Email, "ada@corp.test");
        assert_eq!(it["email"], s(&fake_email));
        assert_eq!(it["GSI1PK"], s(&format!("EMAIL#{fake_email}")));
        let text = format!("{it:?}");
        for original in ["ada@corp.test", "Ada Lovelace", "4155550100"] {
            assert!(!text.contains(original), "{original} left in {text}");
        }
        match &it["phone"] {
            AttributeValue::N(n) => assert_eq!(n.len(), 10),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rules_parse_with_clear_errors() {
        assert!(Redactor::parse_rules(&["email=email".into()]).is_ok());
        let e = Redactor::parse_rules(&["email=mail".into()]).unwrap_err();
        assert!(e.contains("unknown kind `mail`"), "{e}");
        assert!(Redactor::parse_rules(&["email".into()]).is_err());
    }
}
