//! Entity-type decoding of single-table items, and key templates.
//!
//! A single-table design stores many entity types (customers, orders, ...)
//! in one table. [`Decoder::classify`] works out which entity an item is,
//! and [`KeyTemplate`] decodes the named fields packed into its keys
//! (`CUSTOMER#{customerId}`).
//!
//! # Classification order
//!
//! [`Decoder::classify`] tries, in order, and stops at the first rule that
//! applies:
//!
//! 1. **Configured type attribute.** If [`DecodeConfig::type_attribute`] is
//!    set and the item has that attribute as a non-empty string, its value
//!    is the type. Source [`TypeSource::Attribute`].
//! 2. **Conventional type attributes**, first present (as a non-empty
//!    string) wins: `__edb_e__` (ElectroDB, [`TypeSource::ElectroDb`]),
//!    `_et` (dynamodb-toolbox, [`TypeSource::DynamoDbToolbox`]), `_type`
//!    (OneTable, [`TypeSource::OneTable`]), then `Type`, `type`,
//!    `entity_type`, `entityType` ([`TypeSource::Attribute`]).
//!
//!    For rules 1 and 2 the value is mapped to the declared entity whose
//!    `type_value` (or, when that is `None`, `name`) equals it, compared
//!    case-sensitively first and then case-insensitively. Otherwise the
//!    value itself is interned as a new entity name.
//! 3. **Declared key templates.** A declared entity whose `pk` template
//!    matches the item's partition key value and, when both the template
//!    and the item have a sort key, whose `sk` template matches the sort key
//!    value. Key values are taken from `S` or `N` attributes. When several
//!    entities match, the one with the longest literal prefix on its sort
//!    key template wins, then the longest on its partition key template,
//!    then declaration order. Source [`TypeSource::KeyTemplate`].
//! 4. **Key prefix.** The text before the first separator (`#` or `:`) of
//!    the sort key value if it is a string with a valid prefix, else of the
//!    partition key value: `ORDER#2024-01-01#123` → `ORDER`, `user#42` →
//!    `user`, `account:7` → `account`. A prefix is valid if it is not empty,
//!    at most 40 characters, has no whitespace and starts with a letter (so
//!    `$shop` from ElectroDB keys or `2024-01-01` from dates never become
//!    entity names). If a declared entity's key template literal prefix (up
//!    to its first separator) equals the prefix case-insensitively, that
//!    entity is used; templates of the key the prefix came from are
//!    consulted first (an SK prefix `ORDER` prefers the entity whose *sort*
//!    key starts with `ORDER#`). Otherwise the entity name is the prefix in
//!    title case, split on `_` and `-` (`ORDER_ITEM` → `OrderItem`, `user` →
//!    `User`). Source [`TypeSource::KeyPrefix`].
//! 5. Otherwise no entity, source [`TypeSource::Unknown`].
//!
//! # Interning
//!
//! Entity names are interned into a table owned by the [`Decoder`] and
//! referred to by [`EntityId`]. Declared entities get ids `0..n` in
//! declaration order; names discovered in data are appended. Discovery is
//! capped (see [`Decoder::MAX_DISCOVERED`]) so a table that abuses a `type`
//! attribute for something high-cardinality cannot grow the table without
//! bound: past the cap, unseen names classify with `entity: None` (the
//! [`TypeSource`] still tells how the type was found).
//!
//! # Performance
//!
//! `classify` does not allocate once the names in the data have been seen:
//! type values and key prefixes are cached per decoder, and
//! [`TypeSource::Attribute`] holds a shared `Arc<str>` (cloning it is a
//! reference-count increment).

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use super::keyshape::{self, KeyField};
use super::{AttributeValue, Item};

// ---------------------------------------------------------------------------
// Key templates
// ---------------------------------------------------------------------------

/// A key template like `CUSTOMER#{customerId}` or `ORDER#{orderDate}#{orderId}`: literal text and `{param}` placeholders.
///
/// Parameter names are `[A-Za-z0-9_]+` and unique within a template. Two
/// parameters must be separated by literal text, otherwise a value could not
/// be split between them. Any other text, including `#` and `:`, is literal.
/// `{{` and `}}` are a literal `{` and `}` (`DATA{{{id}}}` is `DATA{`, the
/// parameter `id`, then `}`); any other `}` outside a placeholder is an
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    /// The template text as written (escapes included).
    source: String,
    /// The literal text before the first parameter, unescaped (the whole
    /// text if there are no parameters).
    prefix: String,
    params: Vec<Param>,
}

/// One `{name}` placeholder and the literal text (unescaped) that follows
/// it, up to the next placeholder or the end of the template. Only the last
/// parameter's `next` may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Param {
    name: String,
    next: String,
}

/// Why a key template could not be parsed or rendered.
///
/// Offsets are 0-based byte offsets into the template text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{` without a matching `}`.
    #[error(
        "key template `{template}`: `{{` at byte offset {offset} is never closed (write `{{{{` for a literal `{{`)"
    )]
    UnclosedBrace { template: String, offset: usize },
    /// A `}` that closes nothing (and is not part of a `}}` escape).
    #[error(
        "key template `{template}`: unmatched `}}` at byte offset {offset} (write `}}}}` for a literal `}}`)"
    )]
    UnmatchedCloseBrace { template: String, offset: usize },
    /// `{}`.
    #[error("key template `{template}`: empty parameter name at byte offset {offset}")]
    EmptyParam { template: String, offset: usize },
    /// A parameter name character outside `[A-Za-z0-9_]`.
    #[error(
        "key template `{template}`: invalid character {ch:?} in parameter name at byte offset {offset} (allowed: A-Z, a-z, 0-9, _)"
    )]
    InvalidParamChar {
        template: String,
        offset: usize,
        ch: char,
    },
    /// `{a}{b}`: no literal text between two parameters, so a value cannot
    /// be split between them. `offset` is that of the second `{`.
    #[error(
        "key template `{template}`: parameter at byte offset {offset} directly follows another parameter; put literal text (e.g. `#`) between them"
    )]
    AdjacentParams { template: String, offset: usize },
    /// The same parameter name used twice.
    #[error("key template `{template}`: parameter `{name}` appears more than once")]
    DuplicateParam { template: String, name: String },
    /// [`KeyTemplate::render`] had no (or an empty) value for a parameter.
    #[error("key template `{template}`: no value for parameter `{param}`")]
    MissingValue { template: String, param: String },
}

impl KeyTemplate {
    /// Parses a template such as `ORDER#{orderDate}#{orderId}`.
    ///
    /// Outside placeholders, `{{` and `}}` stand for a literal `{` and `}`.
    pub fn parse(s: &str) -> Result<Self, TemplateError> {
        let template = || s.to_string();
        let bytes = s.as_bytes();
        let mut prefix: Option<String> = None;
        let mut params: Vec<Param> = Vec::new();
        // Unescaped literal text since the last placeholder, and the start of
        // the not-yet-copied run of plain text.
        let mut lit = String::new();
        let mut run_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b @ (b'{' | b'}') if bytes.get(i + 1) == Some(&b) => {
                    // `{{` or `}}`: one literal brace.
                    lit.push_str(&s[run_start..=i]);
                    i += 2;
                    run_start = i;
                }
                b'{' => {
                    lit.push_str(&s[run_start..i]);
                    let text = std::mem::take(&mut lit);
                    match params.last_mut() {
                        None => prefix = Some(text),
                        Some(prev) => {
                            if text.is_empty() {
                                return Err(TemplateError::AdjacentParams {
                                    template: template(),
                                    offset: i,
                                });
                            }
                            prev.next = text;
                        }
                    }
                    let name_start = i + 1;
                    let Some(close_rel) = s[name_start..].find('}') else {
                        return Err(TemplateError::UnclosedBrace {
                            template: template(),
                            offset: i,
                        });
                    };
                    let close = name_start + close_rel;
                    let name = &s[name_start..close];
                    if name.is_empty() {
                        return Err(TemplateError::EmptyParam {
                            template: template(),
                            offset: i,
                        });
                    }
                    if let Some((off, ch)) = name
                        .char_indices()
                        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
                    {
                        return Err(TemplateError::InvalidParamChar {
                            template: template(),
                            offset: name_start + off,
                            ch,
                        });
                    }
                    if params.iter().any(|p| p.name == name) {
                        return Err(TemplateError::DuplicateParam {
                            template: template(),
                            name: name.to_string(),
                        });
                    }
                    params.push(Param {
                        name: name.to_string(),
                        next: String::new(),
                    });
                    i = close + 1;
                    run_start = i;
                }
                b'}' => {
                    return Err(TemplateError::UnmatchedCloseBrace {
                        template: template(),
                        offset: i,
                    });
                }
                _ => i += 1,
            }
        }
        lit.push_str(&s[run_start..]);
        match params.last_mut() {
            Some(last) => last.next = lit,
            None => prefix = Some(lit),
        }
        Ok(KeyTemplate {
            source: s.to_string(),
            prefix: prefix.unwrap_or_default(),
            params,
        })
    }

    /// The original template text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Parameter names, in template order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|p| p.name.as_str())
    }

    /// The literal text before the first parameter (`CUSTOMER#` for
    /// `CUSTOMER#{customerId}`), with `{{` / `}}` unescaped; the whole text
    /// if there are no parameters. Useful for `begins_with` key conditions.
    pub fn literal_prefix(&self) -> &str {
        &self.prefix
    }

    /// The parameter name if the template is exactly one placeholder and no
    /// literal text (`{timestamp}`), so the key value is the parameter's
    /// value as is.
    pub fn whole_param(&self) -> Option<&str> {
        match self.params.as_slice() {
            [p] if self.prefix.is_empty() && p.next.is_empty() => Some(&p.name),
            _ => None,
        }
    }

    /// Matches `value` against the template and returns `(param, text)`
    /// pairs in template order, or `None` if it does not match.
    ///
    /// Literal text must match exactly (case-sensitively). Each parameter
    /// takes the text up to the next occurrence of the literal that follows
    /// it, scanning left to right without backtracking; the last parameter
    /// takes the rest (if the template ends with literal text, that text must
    /// end the value). A parameter never matches an empty string. So
    /// `ORDER#{orderDate}#{orderId}` splits `ORDER#2024#05#o-77` into
    /// `2024` and `05#o-77`, and does not match `ORDER##o-77`.
    pub fn extract<'a>(&self, value: &'a str) -> Option<Vec<(&str, &'a str)>> {
        let mut out = Vec::with_capacity(self.params.len());
        self.walk(value, |name, text| out.push((name, text)))
            .then_some(out)
    }

    /// Whether `value` matches the template, with the rules of
    /// [`extract`](Self::extract). Does not allocate.
    pub fn matches(&self, value: &str) -> bool {
        self.walk(value, |_, _| {})
    }

    /// Builds a key value, taking each parameter's value from `lookup`.
    /// A parameter for which `lookup` returns `None` or an empty string is a
    /// [`TemplateError::MissingValue`] (an empty value would produce a key
    /// that does not match the template).
    pub fn render(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 8 * self.params.len());
        out.push_str(self.literal_prefix());
        for p in &self.params {
            match lookup(&p.name) {
                Some(v) if !v.is_empty() => out.push_str(&v),
                _ => {
                    return Err(TemplateError::MissingValue {
                        template: self.source.clone(),
                        param: p.name.clone(),
                    });
                }
            }
            out.push_str(&p.next);
        }
        Ok(out)
    }

    /// Renders the template left to right and stops right before the first
    /// parameter whose value `lookup` does not give (or gives empty), for a
    /// `begins_with` condition on a partially known key:
    /// `ORDER#{orderDate}#{orderId}` renders `ORDER#2024-05-01#` with only
    /// `orderDate` and `ORDER#` with nothing. With every value it equals
    /// [`render`](Self::render).
    pub fn render_prefix(&self, lookup: impl Fn(&str) -> Option<String>) -> String {
        let mut out = self.prefix.clone();
        for p in &self.params {
            match lookup(&p.name) {
                Some(v) if !v.is_empty() => out.push_str(&v),
                _ => break,
            }
            out.push_str(&p.next);
        }
        out
    }

    /// The matcher behind `extract` and `matches`: calls `f` for each
    /// parameter as it is matched and returns whether the whole value
    /// matched (`f` may have been called for a prefix of the parameters
    /// when it returns `false`).
    fn walk<'s, 'v>(&'s self, value: &'v str, mut f: impl FnMut(&'s str, &'v str)) -> bool {
        let Some(mut rest) = value.strip_prefix(self.literal_prefix()) else {
            return false;
        };
        let n = self.params.len();
        if n == 0 {
            return rest.is_empty();
        }
        for (i, p) in self.params.iter().enumerate() {
            let text = if i + 1 == n {
                // Last parameter: takes the rest, less any trailing literal.
                let Some(text) = rest.strip_suffix(p.next.as_str()) else {
                    return false;
                };
                rest = "";
                text
            } else {
                let idx = match p.next.as_bytes() {
                    // Single-byte literals (`#`, `:`) are ASCII: byte search
                    // is exact and much faster than a substring search.
                    [b] => rest.bytes().position(|c| c == *b),
                    _ => rest.find(p.next.as_str()),
                };
                let Some(idx) = idx else {
                    return false;
                };
                let text = &rest[..idx];
                rest = &rest[idx + p.next.len()..];
                text
            };
            if text.is_empty() {
                return false;
            }
            f(&p.name, text);
        }
        true
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for KeyTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Serialized as its source text.
impl serde::Serialize for KeyTemplate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

/// Deserialized from a string with [`KeyTemplate::parse`].
impl<'de> serde::Deserialize<'de> for KeyTemplate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        KeyTemplate::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Configuration types
// ---------------------------------------------------------------------------

/// How an entity's type was recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSource {
    /// From the configured or a conventional type attribute (`Type`,
    /// `type`, `entity_type`, `entityType`), holding the attribute's name.
    /// The name is a shared `Arc<str>` owned by the [`Decoder`], so
    /// producing this variant never allocates.
    Attribute(Arc<str>),
    /// ElectroDB's `__edb_e__` attribute.
    ElectroDb,
    /// dynamodb-toolbox's `_et` attribute.
    DynamoDbToolbox,
    /// OneTable's `_type` attribute.
    OneTable,
    /// Matched a declared entity's key templates.
    KeyTemplate,
    /// The prefix of the sort or partition key value.
    KeyPrefix,
    /// Not recognised.
    Unknown,
}

/// A declared entity (from project config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityDef {
    /// Display name, e.g. `Customer`.
    pub name: String,
    /// Value of the type attribute for this entity; `None` = same as `name`.
    pub type_value: Option<String>,
    /// Template of the table's partition key.
    pub pk: Option<KeyTemplate>,
    /// Template of the table's sort key.
    pub sk: Option<KeyTemplate>,
    /// Templates of index key attributes: `("GSI1PK", template)`, ...
    pub index_keys: Vec<(String, KeyTemplate)>,
    /// Preferred columns; empty = derive from the data.
    pub columns: Vec<String>,
    /// Attribute holding an optimistic-locking version, if any.
    pub version_attribute: Option<String>,
}

impl EntityDef {
    /// An entity with just a name; fill the other fields as needed.
    pub fn new(name: impl Into<String>) -> Self {
        EntityDef {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The value of the type attribute that identifies this entity:
    /// `type_value`, or `name` when that is `None`.
    pub fn effective_type_value(&self) -> &str {
        self.type_value.as_deref().unwrap_or(&self.name)
    }
}

/// What the decoder knows from project config.
#[derive(Debug, Clone, Default)]
pub struct DecodeConfig {
    /// Attribute holding the entity type, checked before the conventional
    /// ones.
    pub type_attribute: Option<String>,
    /// Declared entities, in preference order.
    pub entities: Vec<EntityDef>,
}

/// Key attribute names of the table from DescribeTable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableKeys {
    /// Partition key attribute name.
    pub pk: String,
    /// Sort key attribute name, if the table has one.
    pub sk: Option<String>,
    /// Every attribute used as a key by a GSI or LSI (`GSI1PK`, `GSI1SK`, ...).
    pub index_key_attrs: Vec<String>,
}

/// Small interned entity id; index into Decoder's entity-name table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub u32);

/// The result of classifying an item: which entity (if any) and how it was
/// recognised. Cheap to produce and clone (no heap allocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The entity, or `None` if not recognised (or past the discovery cap).
    pub entity: Option<EntityId>,
    /// How it was recognised.
    pub source: TypeSource,
}

// ---------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------

/// A fast, non-cryptographic hasher (the FxHash mixing function) for the
/// decoder's own small maps, keyed by names read from the table. The
/// standard SipHash would dominate the classify hot path.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rem = chunks.remainder();
        if !rem.is_empty() {
            let mut word = [0u8; 8];
            word[..rem.len()].copy_from_slice(rem);
            self.add(u64::from_le_bytes(word) ^ ((rem.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Conventional type attributes, in precedence order.
const CONVENTIONAL_ATTRS: [&str; 7] = [
    "__edb_e__",
    "_et",
    "_type",
    "Type",
    "type",
    "entity_type",
    "entityType",
];

/// Rank of a conventional type attribute in [`CONVENTIONAL_ATTRS`].
#[inline]
fn conventional_rank(name: &str) -> Option<usize> {
    match name {
        "__edb_e__" => Some(0),
        "_et" => Some(1),
        "_type" => Some(2),
        "Type" => Some(3),
        "type" => Some(4),
        "entity_type" => Some(5),
        "entityType" => Some(6),
        _ => None,
    }
}

/// Items with at most this many attributes are scanned once for
/// conventional type attributes; larger ones are probed by name.
const SCAN_LIMIT: usize = 24;

/// Longest key prefix (in characters) taken as an entity name.
const MAX_PREFIX_CHARS: usize = 40;

/// Caps on the per-decoder caches of type values and key prefixes.
const MAX_CACHE: usize = 4096;

/// Turns project config and data into entity classifications.
#[derive(Debug, Clone)]
pub struct Decoder {
    keys: TableKeys,
    defs: Vec<EntityDef>,
    /// Entity names by id: declared first, then discovered.
    names: Vec<Box<str>>,
    /// Name → id (first declaration wins for duplicate names).
    name_ids: FxMap<Box<str>, EntityId>,
    /// Configured type attribute and its source.
    type_attr: Option<(String, TypeSource)>,
    /// Sources for [`CONVENTIONAL_ATTRS`], same order.
    conventional_sources: Vec<TypeSource>,
    /// Type value → entity; pre-filled with declared type values, extended
    /// with every resolved value.
    type_cache: FxMap<Box<str>, EntityId>,
    /// Declared `(lowercased type value, id)`, for case-insensitive lookup.
    type_values_lower: Vec<(String, EntityId)>,
    /// Declared entities with a pk template, in template-match preference
    /// order.
    template_order: Vec<EntityId>,
    /// Declared `(lowercased prefix, id)` from pk / sk template literal
    /// prefixes.
    pk_prefixes: Vec<(String, EntityId)>,
    sk_prefixes: Vec<(String, EntityId)>,
    /// Key prefix → entity, for prefixes taken from the pk / sk value.
    pk_prefix_cache: FxMap<Box<str>, EntityId>,
    sk_prefix_cache: FxMap<Box<str>, EntityId>,
}

impl Decoder {
    /// How many entity names discovered in data (beyond the declared ones)
    /// are interned at most.
    pub const MAX_DISCOVERED: usize = 1024;

    /// Builds a decoder for a table with the given key attributes.
    pub fn new(cfg: &DecodeConfig, keys: TableKeys) -> Self {
        let defs = cfg.entities.clone();
        let mut names = Vec::with_capacity(defs.len());
        let mut name_ids = FxMap::default();
        let mut type_cache = FxMap::default();
        let mut type_values_lower = Vec::new();
        let mut pk_prefixes = Vec::new();
        let mut sk_prefixes = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let id = EntityId(i as u32);
            names.push(Box::<str>::from(def.name.as_str()));
            name_ids
                .entry(Box::<str>::from(def.name.as_str()))
                .or_insert(id);
            let tv = def.effective_type_value();
            type_cache.entry(Box::<str>::from(tv)).or_insert(id);
            type_values_lower.push((tv.to_lowercase(), id));
            if let Some(p) = def.pk.as_ref().and_then(template_prefix_word) {
                pk_prefixes.push((p.to_lowercase(), id));
            }
            if let Some(p) = def.sk.as_ref().and_then(template_prefix_word) {
                sk_prefixes.push((p.to_lowercase(), id));
            }
        }
        let prefix_len =
            |t: &Option<KeyTemplate>| t.as_ref().map_or(0, |t| t.literal_prefix().len());
        let mut ranked: Vec<(usize, usize, EntityId)> = defs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.pk.is_some())
            .map(|(i, d)| (prefix_len(&d.sk), prefix_len(&d.pk), EntityId(i as u32)))
            .collect();
        // Stable sort: declaration order breaks ties.
        ranked.sort_by_key(|&(sk, pk, _)| (std::cmp::Reverse(sk), std::cmp::Reverse(pk)));
        let template_order = ranked.into_iter().map(|(_, _, id)| id).collect();
        let type_attr = cfg
            .type_attribute
            .as_ref()
            .filter(|a| !a.is_empty())
            .map(|a| (a.clone(), TypeSource::Attribute(Arc::from(a.as_str()))));
        let conventional_sources = CONVENTIONAL_ATTRS
            .iter()
            .map(|&a| match a {
                "__edb_e__" => TypeSource::ElectroDb,
                "_et" => TypeSource::DynamoDbToolbox,
                "_type" => TypeSource::OneTable,
                other => TypeSource::Attribute(Arc::from(other)),
            })
            .collect();
        Decoder {
            keys,
            defs,
            names,
            name_ids,
            type_attr,
            conventional_sources,
            type_cache,
            type_values_lower,
            template_order,
            pk_prefixes,
            sk_prefixes,
            pk_prefix_cache: FxMap::default(),
            sk_prefix_cache: FxMap::default(),
        }
    }

    /// The table's key attribute names.
    pub fn keys(&self) -> &TableKeys {
        &self.keys
    }

    /// Classifies an item; see the [module docs](self) for the rules.
    ///
    /// Takes `&mut self` to intern entity names discovered in the data.
    pub fn classify(&mut self, item: &Item) -> Classified {
        if let Some((value, source)) = self.find_type_attribute(item) {
            let entity = self.resolve_type_value(value);
            return Classified { entity, source };
        }
        let pk = key_str(item, &self.keys.pk);
        let sk = match &self.keys.sk {
            Some(attr) => key_str(item, attr),
            None => None,
        };
        self.classify_key(pk, sk)
    }

    /// Number of interned entity names (declared and discovered); ids are
    /// `0..entity_count()`.
    pub fn entity_count(&self) -> usize {
        self.names.len()
    }

    /// The name of an entity; `"?"` for an id this decoder did not issue.
    pub fn entity_name(&self, id: EntityId) -> &str {
        self.names.get(id.0 as usize).map_or("?", |n| n)
    }

    /// The id of an entity name (exact match), declared or discovered so far.
    pub fn entity_id(&self, name: &str) -> Option<EntityId> {
        self.name_ids.get(name).copied()
    }

    /// The declaration of an entity; `None` for discovered entities.
    pub fn entity_def(&self, id: EntityId) -> Option<&EntityDef> {
        self.defs.get(id.0 as usize)
    }

    /// Named fields of the item's keys: with the declared entity's
    /// templates, those of the table key then of the index keys (in declared
    /// order), in template order and without duplicate names (the first
    /// occurrence wins; templates whose attribute is missing or does not
    /// match are skipped). When no template decodes anything, the table
    /// key's fields read from its own shape ([`keyshape`]).
    pub fn key_fields(&self, item: &Item, c: &Classified) -> Vec<KeyField> {
        self.fields_of(item, c, true)
    }

    /// [`Decoder::key_fields`] of the table key only (no index keys).
    pub fn primary_key_fields(&self, item: &Item, c: &Classified) -> Vec<KeyField> {
        self.fields_of(item, c, false)
    }

    fn fields_of(&self, item: &Item, c: &Classified, with_index: bool) -> Vec<KeyField> {
        let sk = match &self.keys.sk {
            Some(attr) => key_str(item, attr),
            None => None,
        };
        let mut out = Vec::new();
        if let Some(def) = c.entity.and_then(|id| self.entity_def(id)) {
            collect_fields(&mut out, def.pk.as_ref(), key_str(item, &self.keys.pk));
            collect_fields(&mut out, def.sk.as_ref(), sk);
            if with_index {
                for (attr, t) in &def.index_keys {
                    collect_fields(&mut out, Some(t), key_str(item, attr));
                }
            }
        }
        if !out.is_empty() {
            return out;
        }
        let is_key = |a: &str| self.is_key_attr(a);
        keyshape::decode(&keyshape::KeyValues {
            pk: (&self.keys.pk, item.get(&self.keys.pk)),
            sk: self.keys.sk.as_deref().map(|a| (a, item.get(a))),
            item: Some(item),
            is_key_attr: &is_key,
        })
    }

    /// Decodes a bare table key (e.g. a hot key from Contributor Insights):
    /// the declared entity whose pk/sk templates match (rule 3), else the key
    /// prefix (rule 4), else unknown; plus the named fields of the declared
    /// entity's pk/sk templates that match, or else those read from the
    /// key's own shape ([`keyshape`]).
    pub fn decode_key(&mut self, pk: &str, sk: Option<&str>) -> (Classified, Vec<KeyField>) {
        let c = self.classify_key(Some(pk), sk);
        let mut fields = Vec::new();
        if let Some(def) = c.entity.and_then(|id| self.entity_def(id)) {
            collect_fields(&mut fields, def.pk.as_ref(), Some(pk));
            collect_fields(&mut fields, def.sk.as_ref(), sk);
        }
        if fields.is_empty() {
            let (pk_v, sk_v) = (
                AttributeValue::S(pk.to_string()),
                sk.map(|s| AttributeValue::S(s.to_string())),
            );
            fields = keyshape::decode(&keyshape::KeyValues {
                pk: (&self.keys.pk, Some(&pk_v)),
                sk: self.keys.sk.as_deref().zip(sk_v.as_ref().map(Some)),
                item: None,
                is_key_attr: &|_| false,
            });
        }
        (c, fields)
    }

    /// Whether `attr` is a key attribute of the table, a GSI or an LSI.
    pub fn is_key_attr(&self, attr: &str) -> bool {
        self.keys.pk == attr || self.keys.sk.as_deref() == Some(attr) || self.is_index_key(attr)
    }

    /// Whether `attr` is a key attribute of a GSI or LSI.
    pub fn is_index_key(&self, attr: &str) -> bool {
        self.keys.index_key_attrs.iter().any(|a| a == attr)
    }

    // -- internals ----------------------------------------------------------

    /// Rules 1 and 2: the type attribute value and how it was found.
    fn find_type_attribute<'i>(&self, item: &'i Item) -> Option<(&'i str, TypeSource)> {
        if let Some((attr, source)) = &self.type_attr
            && let Some(v) = non_empty_s(item.get(attr.as_str()))
        {
            return Some((v, source.clone()));
        }
        let rank_value = if item.len() <= SCAN_LIMIT {
            // One pass over the attribute names beats up to seven SipHash
            // probes for typical items.
            let mut best: Option<(usize, &'i str)> = None;
            for (name, value) in item {
                if let Some(rank) = conventional_rank(name)
                    && best.is_none_or(|(b, _)| rank < b)
                    && let Some(v) = non_empty_s(Some(value))
                {
                    best = Some((rank, v));
                    if rank == 0 {
                        break;
                    }
                }
            }
            best
        } else {
            CONVENTIONAL_ATTRS
                .iter()
                .enumerate()
                .find_map(|(rank, &a)| non_empty_s(item.get(a)).map(|v| (rank, v)))
        };
        let (rank, v) = rank_value?;
        let source = self.conventional_sources.get(rank)?.clone();
        Some((v, source))
    }

    /// Maps a type attribute value to an entity (declared exact, declared
    /// case-insensitive, else interned as-is).
    fn resolve_type_value(&mut self, value: &str) -> Option<EntityId> {
        if let Some(&id) = self.type_cache.get(value) {
            return Some(id);
        }
        let lower = value.to_lowercase();
        let id = match self.type_values_lower.iter().find(|(tv, _)| *tv == lower) {
            Some(&(_, id)) => Some(id),
            None => self.intern(value),
        }?;
        if self.type_cache.len() < MAX_CACHE {
            self.type_cache.insert(Box::from(value), id);
        }
        Some(id)
    }

    /// Rules 3 to 5 on key values.
    fn classify_key(&mut self, pk: Option<&str>, sk: Option<&str>) -> Classified {
        if let Some(id) = self.template_match(pk, sk) {
            return Classified {
                entity: Some(id),
                source: TypeSource::KeyTemplate,
            };
        }
        let (prefix, from_sk) = match (sk.and_then(key_prefix), pk.and_then(key_prefix)) {
            (Some(p), _) => (p, true),
            (None, Some(p)) => (p, false),
            (None, None) => {
                return Classified {
                    entity: None,
                    source: TypeSource::Unknown,
                };
            }
        };
        Classified {
            entity: self.resolve_prefix(prefix, from_sk),
            source: TypeSource::KeyPrefix,
        }
    }

    /// Rule 3: the preferred declared entity whose templates match.
    fn template_match(&self, pk: Option<&str>, sk: Option<&str>) -> Option<EntityId> {
        let pk = pk?;
        self.template_order.iter().copied().find(|id| {
            let Some(def) = self.defs.get(id.0 as usize) else {
                return false;
            };
            let Some(pt) = &def.pk else {
                return false;
            };
            if !pt.matches(pk) {
                return false;
            }
            match (&def.sk, sk) {
                (Some(st), Some(sk)) => st.matches(sk),
                _ => true,
            }
        })
    }

    /// Rule 4: maps a key prefix to an entity.
    fn resolve_prefix(&mut self, prefix: &str, from_sk: bool) -> Option<EntityId> {
        let cache = if from_sk {
            &self.sk_prefix_cache
        } else {
            &self.pk_prefix_cache
        };
        if let Some(&id) = cache.get(prefix) {
            return Some(id);
        }
        let lower = prefix.to_lowercase();
        let (first, second) = if from_sk {
            (&self.sk_prefixes, &self.pk_prefixes)
        } else {
            (&self.pk_prefixes, &self.sk_prefixes)
        };
        let declared = first
            .iter()
            .chain(second.iter())
            .find(|(p, _)| *p == lower)
            .map(|&(_, id)| id);
        let id = match declared {
            Some(id) => id,
            None => self.intern(&title_case(prefix))?,
        };
        let cache = if from_sk {
            &mut self.sk_prefix_cache
        } else {
            &mut self.pk_prefix_cache
        };
        if cache.len() < MAX_CACHE {
            cache.insert(Box::from(prefix), id);
        }
        Some(id)
    }

    /// The id of `name`, interning it if new and under the discovery cap.
    fn intern(&mut self, name: &str) -> Option<EntityId> {
        if let Some(&id) = self.name_ids.get(name) {
            return Some(id);
        }
        if self.names.len() >= self.defs.len() + Self::MAX_DISCOVERED {
            return None;
        }
        let id = EntityId(u32::try_from(self.names.len()).ok()?);
        self.names.push(Box::from(name));
        self.name_ids.insert(Box::from(name), id);
        Some(id)
    }
}

/// A non-empty `S` value.
#[inline]
fn non_empty_s(v: Option<&AttributeValue>) -> Option<&str> {
    match v {
        Some(AttributeValue::S(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// A key attribute's value as text (`S` or `N`).
#[inline]
fn key_str<'i>(item: &'i Item, attr: &str) -> Option<&'i str> {
    match item.get(attr) {
        Some(AttributeValue::S(s) | AttributeValue::N(s)) => Some(s),
        _ => None,
    }
}

/// Appends the fields `t` extracts from `value`, skipping names already in
/// `out`.
fn collect_fields(out: &mut Vec<KeyField>, t: Option<&KeyTemplate>, value: Option<&str>) {
    let (Some(t), Some(value)) = (t, value) else {
        return;
    };
    let mut found: Vec<(&str, &str)> = Vec::new();
    if !t.walk(value, |name, text| found.push((name, text))) {
        return;
    }
    for (name, text) in found {
        if !out.iter().any(|f| f.name == name) {
            out.push(KeyField::template(name, text));
        }
    }
}

/// Whether `b` is a key separator.
#[inline]
fn is_separator(b: u8) -> bool {
    b == b'#' || b == b':'
}

/// Rule 4's prefix of a key value: the text before the first separator, if
/// valid (non-empty, at most 40 characters, no whitespace, starts with a
/// letter).
#[inline]
fn key_prefix(value: &str) -> Option<&str> {
    let idx = value.bytes().position(is_separator)?;
    let p = &value[..idx];
    let first = p.chars().next()?;
    if !first.is_alphabetic() || p.chars().any(char::is_whitespace) {
        return None;
    }
    if p.len() > MAX_PREFIX_CHARS && p.chars().count() > MAX_PREFIX_CHARS {
        return None;
    }
    Some(p)
}

/// A template's literal prefix up to its first separator (`ORDER` for
/// `ORDER#{id}`), if not empty.
fn template_prefix_word(t: &KeyTemplate) -> Option<&str> {
    let lit = t.literal_prefix();
    let word = match lit.bytes().position(is_separator) {
        Some(i) => &lit[..i],
        None => lit,
    };
    (!word.is_empty()).then_some(word)
}

/// `ORDER_ITEM` → `OrderItem`, `user` → `User`, `orderItem` → `OrderItem`:
/// split on `_` and `-`, upper-case each part's first letter, and lower-case
/// the rest of parts written entirely in upper case.
fn title_case(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for part in p.split(['_', '-']).filter(|s| !s.is_empty()) {
        let all_upper = !part.chars().any(char::is_lowercase);
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
        }
        if all_upper {
            out.extend(chars.flat_map(char::to_lowercase));
        } else {
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // -- helpers -------------------------------------------------------------

    fn t(s: &str) -> KeyTemplate {
        KeyTemplate::parse(s).expect("template parses")
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_string())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.to_string())
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn keys() -> TableKeys {
        TableKeys {
            pk: "PK".into(),
            sk: Some("SK".into()),
            index_key_attrs: vec!["GSI1PK".into(), "GSI1SK".into()],
        }
    }

    fn ent(name: &str, pk: Option<&str>, sk: Option<&str>) -> EntityDef {
        EntityDef {
            name: name.into(),
            pk: pk.map(t),
            sk: sk.map(t),
            ..Default::default()
        }
    }

    /// The demo e-commerce design.
    fn demo_config() -> DecodeConfig {
        let mut order = ent(
            "Order",
            Some("CUSTOMER#{customerId}"),
            Some("ORDER#{orderDate}#{orderId}"),
        );
        order.index_keys = vec![("GSI1PK".into(), t("ORDER#{orderId}"))];
        DecodeConfig {
            type_attribute: None,
            entities: vec![
                ent(
                    "Customer",
                    Some("CUSTOMER#{customerId}"),
                    Some("CUSTOMER#{customerId}"),
                ),
                order,
                ent("OrderItem", Some("ORDER#{orderId}"), Some("ITEM#{sku}")),
                ent("Product", Some("PRODUCT#{sku}"), Some("PRODUCT#{sku}")),
                ent(
                    "Review",
                    Some("PRODUCT#{sku}"),
                    Some("REVIEW#{reviewDate}#{customerId}"),
                ),
            ],
        }
    }

    fn demo() -> Decoder {
        Decoder::new(&demo_config(), keys())
    }

    fn bare() -> Decoder {
        Decoder::new(&DecodeConfig::default(), keys())
    }

    fn name_of(d: &Decoder, c: &Classified) -> Option<String> {
        c.entity.map(|id| d.entity_name(id).to_string())
    }

    fn attr(name: &str) -> TypeSource {
        TypeSource::Attribute(Arc::from(name))
    }

    fn fields(v: &[(&str, &str)]) -> Vec<KeyField> {
        v.iter().map(|(a, b)| KeyField::template(*a, *b)).collect()
    }

    fn shown(f: &[KeyField]) -> String {
        f.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    // -- KeyTemplate: parsing --------------------------------------------------

    #[test]
    fn parse_two_params() {
        let k = t("ORDER#{orderDate}#{orderId}");
        assert_eq!(k.source(), "ORDER#{orderDate}#{orderId}");
        assert_eq!(k.params().collect::<Vec<_>>(), ["orderDate", "orderId"]);
        assert_eq!(k.literal_prefix(), "ORDER#");
        assert_eq!(k.to_string(), "ORDER#{orderDate}#{orderId}");
    }

    #[test]
    fn parse_no_params() {
        let k = t("PROFILE");
        assert_eq!(k.params().count(), 0);
        assert_eq!(k.literal_prefix(), "PROFILE");
        assert!(k.matches("PROFILE"));
        assert!(!k.matches("PROFILE#1"));
        assert!(!k.matches("PROFIL"));
        assert!(!k.matches(""));
        assert_eq!(k.extract("PROFILE"), Some(vec![]));
        assert_eq!(k.extract("profile"), None);
        assert_eq!(k.render(|_| None).as_deref(), Ok("PROFILE"));
    }

    #[test]
    fn parse_empty_template_matches_only_empty() {
        let k = t("");
        assert_eq!(k.literal_prefix(), "");
        assert!(k.matches(""));
        assert!(!k.matches("x"));
    }

    #[test]
    fn parse_leading_param_has_empty_prefix() {
        let k = t("{tenant}#USER#{userId}");
        assert_eq!(k.literal_prefix(), "");
        assert_eq!(
            k.extract("acme#USER#u1"),
            Some(vec![("tenant", "acme"), ("userId", "u1")])
        );
        assert_eq!(k.extract("#USER#u1"), None);
    }

    #[test]
    fn parse_param_only_template_takes_everything() {
        let k = t("{id}");
        assert_eq!(k.extract("a#b:c"), Some(vec![("id", "a#b:c")]));
        assert!(!k.matches(""));
    }

    #[test]
    fn parse_names_allow_alnum_and_underscore() {
        let k = t("X#{a_B9}#{_x}");
        assert_eq!(k.params().collect::<Vec<_>>(), ["a_B9", "_x"]);
    }

    #[test]
    fn parse_unicode_literal() {
        let k = t("ÜSER#{id}");
        assert_eq!(k.literal_prefix(), "ÜSER#");
        assert_eq!(k.extract("ÜSER#ä1"), Some(vec![("id", "ä1")]));
        assert_eq!(k.extract("USER#1"), None);
    }

    #[test]
    fn error_unclosed_brace() {
        let e = KeyTemplate::parse("CUSTOMER#{customerId").unwrap_err();
        assert_eq!(
            e,
            TemplateError::UnclosedBrace {
                template: "CUSTOMER#{customerId".into(),
                offset: 9
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("byte offset 9"), "{msg}");
        assert!(msg.contains("never closed"), "{msg}");
        assert!(msg.contains("CUSTOMER#{customerId"), "{msg}");
    }

    #[test]
    fn error_unmatched_close_brace() {
        let e = KeyTemplate::parse("A}#{b}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::UnmatchedCloseBrace {
                template: "A}#{b}".into(),
                offset: 1
            }
        );
        assert!(
            e.to_string().contains("unmatched `}` at byte offset 1"),
            "{e}"
        );
        assert!(matches!(
            KeyTemplate::parse("A#{b}}"),
            Err(TemplateError::UnmatchedCloseBrace { offset: 5, .. })
        ));
    }

    #[test]
    fn error_empty_param() {
        let e = KeyTemplate::parse("ORDER#{}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::EmptyParam {
                template: "ORDER#{}".into(),
                offset: 6
            }
        );
        assert!(
            e.to_string()
                .contains("empty parameter name at byte offset 6"),
            "{e}"
        );
    }

    #[test]
    fn error_bad_name_char() {
        let e = KeyTemplate::parse("ORDER#{order-id}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::InvalidParamChar {
                template: "ORDER#{order-id}".into(),
                offset: 12,
                ch: '-'
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("'-'"), "{msg}");
        assert!(msg.contains("byte offset 12"), "{msg}");
        // Byte offsets, not char offsets.
        assert!(matches!(
            KeyTemplate::parse("Ü#{aü}"),
            Err(TemplateError::InvalidParamChar {
                offset: 5,
                ch: 'ü',
                ..
            })
        ));
        assert!(matches!(
            KeyTemplate::parse("{a b}"),
            Err(TemplateError::InvalidParamChar {
                offset: 2,
                ch: ' ',
                ..
            })
        ));
        assert!(matches!(
            KeyTemplate::parse("{a{b}"),
            Err(TemplateError::InvalidParamChar {
                offset: 2,
                ch: '{',
                ..
            })
        ));
    }

    #[test]
    fn error_adjacent_params() {
        let e = KeyTemplate::parse("{a}{b}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::AdjacentParams {
                template: "{a}{b}".into(),
                offset: 3
            }
        );
        assert!(e.to_string().contains("byte offset 3"), "{e}");
        assert!(matches!(
            KeyTemplate::parse("X#{a}#{b}{c}"),
            Err(TemplateError::AdjacentParams { offset: 9, .. })
        ));
    }

    #[test]
    fn error_duplicate_param() {
        let e = KeyTemplate::parse("A#{id}#{id}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::DuplicateParam {
                template: "A#{id}#{id}".into(),
                name: "id".into()
            }
        );
        assert!(e.to_string().contains("`id`"), "{e}");
    }

    #[test]
    fn from_str_and_serde_round_trip() {
        let k: KeyTemplate = "USER#{id}".parse().expect("parses");
        assert_eq!(k, t("USER#{id}"));
        let json = serde_json::to_string(&k).expect("serializes");
        assert_eq!(json, "\"USER#{id}\"");
        let back: KeyTemplate = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, k);
        let bad = serde_json::from_str::<KeyTemplate>("\"USER#{id\"").unwrap_err();
        assert!(bad.to_string().contains("never closed"), "{bad}");
    }

    // -- KeyTemplate: matching -------------------------------------------------

    #[test]
    fn extract_order_key() {
        let k = t("ORDER#{orderDate}#{orderId}");
        assert_eq!(
            k.extract("ORDER#2024-05-01#o-77"),
            Some(vec![("orderDate", "2024-05-01"), ("orderId", "o-77")])
        );
        assert!(k.matches("ORDER#2024-05-01#o-77"));
    }

    #[test]
    fn extract_separator_inside_param_goes_to_last_param() {
        let k = t("ORDER#{orderDate}#{orderId}");
        // The first param stops at the next `#`; the last takes the rest.
        assert_eq!(
            k.extract("ORDER#2024#05#o-77"),
            Some(vec![("orderDate", "2024"), ("orderId", "05#o-77")])
        );
        assert_eq!(
            k.extract("ORDER#a:b#c#d#e"),
            Some(vec![("orderDate", "a:b"), ("orderId", "c#d#e")])
        );
    }

    #[test]
    fn extract_mismatches() {
        let k = t("ORDER#{orderDate}#{orderId}");
        for v in [
            "",
            "ORDER#",
            "ORDER#2024-05-01",   // second literal missing
            "ORDER#2024-05-01#",  // last param empty
            "ORDER##o-77",        // first param empty
            "ORDER###",           // both empty
            "order#2024-05-01#1", // literals are case-sensitive
            "CUSTOMER#1",
            "XORDER#2024#1",
            " ORDER#2024#1",
        ] {
            assert_eq!(k.extract(v), None, "{v:?}");
            assert!(!k.matches(v), "{v:?}");
        }
    }

    #[test]
    fn extract_trailing_literal_must_end_value() {
        let k = t("USER#{id}#PROFILE");
        assert_eq!(k.extract("USER#42#PROFILE"), Some(vec![("id", "42")]));
        assert_eq!(k.extract("USER#a#b#PROFILE"), Some(vec![("id", "a#b")]));
        assert_eq!(k.extract("USER#42#PROFILEX"), None);
        assert_eq!(k.extract("USER##PROFILE"), None);
        assert_eq!(k.extract("USER#PROFILE"), None);
        assert_eq!(k.extract("USER#42"), None);
    }

    #[test]
    fn extract_multichar_literal_between_params() {
        let k = t("A#{x}::{y}");
        assert_eq!(k.extract("A#1::2"), Some(vec![("x", "1"), ("y", "2")]));
        assert_eq!(
            k.extract("A#1:2::3::4"),
            Some(vec![("x", "1:2"), ("y", "3::4")])
        );
        assert_eq!(k.extract("A#1:2"), None);
        assert_eq!(k.extract("A#::2"), None);
    }

    #[test]
    fn matches_agrees_with_extract() {
        let templates = [
            "CUSTOMER#{customerId}",
            "ORDER#{orderDate}#{orderId}",
            "{a}#{b}",
            "USER#{id}#PROFILE",
            "STATIC",
            "A#{x}::{y}",
        ];
        let values = [
            "",
            "#",
            "CUSTOMER#",
            "CUSTOMER#1",
            "ORDER#d#i",
            "ORDER#d#",
            "ORDER#d#i#j",
            "a#b",
            "#b",
            "a#",
            "USER#1#PROFILE",
            "STATIC",
            "A#1::2",
            "A#1:2",
        ];
        for tpl in templates {
            let k = t(tpl);
            for v in values {
                assert_eq!(k.matches(v), k.extract(v).is_some(), "{tpl} vs {v:?}");
            }
        }
    }

    #[test]
    fn render_round_trips() {
        let k = t("ORDER#{orderDate}#{orderId}");
        let v = k
            .render(|p| match p {
                "orderDate" => Some("2024-05-01".into()),
                "orderId" => Some("o-77".into()),
                _ => None,
            })
            .expect("renders");
        assert_eq!(v, "ORDER#2024-05-01#o-77");
        assert_eq!(
            k.extract(&v),
            Some(vec![("orderDate", "2024-05-01"), ("orderId", "o-77")])
        );
        let k = t("{tenant}#USER#{id}#PROFILE");
        let v = k.render(|p| Some(format!("<{p}>"))).expect("renders");
        assert_eq!(v, "<tenant>#USER#<id>#PROFILE");
    }

    #[test]
    fn render_missing_value() {
        let k = t("ORDER#{orderDate}#{orderId}");
        let e = k
            .render(|p| (p == "orderDate").then(|| "2024".to_string()))
            .unwrap_err();
        assert_eq!(
            e,
            TemplateError::MissingValue {
                template: "ORDER#{orderDate}#{orderId}".into(),
                param: "orderId".into()
            }
        );
        assert!(
            e.to_string().contains("no value for parameter `orderId`"),
            "{e}"
        );
        // An empty value is as good as missing.
        assert!(matches!(
            k.render(|_| Some(String::new())),
            Err(TemplateError::MissingValue { param, .. }) if param == "orderDate"
        ));
    }

    // -- KeyTemplate: escapes and prefixes --------------------------------------

    #[test]
    fn escaped_braces_are_literal() {
        let k = t("DATA{{{id}}}#{{x}}");
        assert_eq!(k.source(), "DATA{{{id}}}#{{x}}");
        assert_eq!(k.to_string(), "DATA{{{id}}}#{{x}}");
        assert_eq!(k.params().collect::<Vec<_>>(), ["id"]);
        assert_eq!(k.literal_prefix(), "DATA{");
        assert_eq!(k.extract("DATA{7}#{x}"), Some(vec![("id", "7")]));
        assert!(!k.matches("DATA{{7}}#{{x}}"));
        assert!(!k.matches("DATA{7}#x"));
        assert_eq!(k.render(|_| Some("7".into())).as_deref(), Ok("DATA{7}#{x}"));
        assert_eq!(k.render_prefix(|_| None), "DATA{");
        assert_eq!(k.render_prefix(|_| Some("7".into())), "DATA{7}#{x}");
        // Only escapes: no parameters at all.
        let k = t("{{a}}");
        assert_eq!(k.params().count(), 0);
        assert_eq!(k.literal_prefix(), "{a}");
        assert!(k.matches("{a}"));
        assert!(!k.matches("{{a}}"));
        assert_eq!(k.render(|_| None).as_deref(), Ok("{a}"));
        // An escape between parameters is the literal separating them.
        let k = t("{a}{{{b}");
        assert_eq!(k.literal_prefix(), "");
        assert_eq!(k.extract("1{2"), Some(vec![("a", "1"), ("b", "2")]));
        assert_eq!(k.render(|p| Some(p.to_uppercase())).as_deref(), Ok("A{B"));
        // Escapes in the trailing literal.
        let k = t("X#{id}}}");
        assert_eq!(k.extract("X#5}"), Some(vec![("id", "5")]));
        assert_eq!(k.extract("X#5}}"), Some(vec![("id", "5}")]));
    }

    #[test]
    fn escapes_do_not_hide_errors() {
        assert!(matches!(
            KeyTemplate::parse("A}#{b}"),
            Err(TemplateError::UnmatchedCloseBrace { offset: 1, .. })
        ));
        // `{{` then `a}`: the `}` is alone.
        assert!(matches!(
            KeyTemplate::parse("{{a}"),
            Err(TemplateError::UnmatchedCloseBrace { offset: 3, .. })
        ));
        // Three braces: an escape, then an unclosed placeholder.
        assert!(matches!(
            KeyTemplate::parse("A{{{"),
            Err(TemplateError::UnclosedBrace { offset: 3, .. })
        ));
        // `}}` right after a placeholder is an escape; a single one is not.
        assert!(KeyTemplate::parse("{a}}}").is_ok());
        assert!(matches!(
            KeyTemplate::parse("{a}}#"),
            Err(TemplateError::UnmatchedCloseBrace { offset: 3, .. })
        ));
        // Adjacent parameters are still rejected; an escape separates them.
        assert!(matches!(
            KeyTemplate::parse("{a}{b}"),
            Err(TemplateError::AdjacentParams { offset: 3, .. })
        ));
        let e = KeyTemplate::parse("A}").unwrap_err().to_string();
        assert!(e.contains("write `}}` for a literal `}`"), "{e}");
        let e = KeyTemplate::parse("A{").unwrap_err().to_string();
        assert!(e.contains("write `{{` for a literal `{`"), "{e}");
    }

    #[test]
    fn render_prefix_stops_at_first_missing_param() {
        let k = t("ORDER#{orderDate}#{orderId}");
        let only =
            |name: &'static str, v: &'static str| move |p: &str| (p == name).then(|| v.to_string());
        assert_eq!(
            k.render_prefix(only("orderDate", "2024-05-01")),
            "ORDER#2024-05-01#"
        );
        assert_eq!(k.render_prefix(|_| None), "ORDER#");
        // A later value without the earlier one does not count.
        assert_eq!(k.render_prefix(only("orderId", "o-1")), "ORDER#");
        // Empty is as good as missing.
        assert_eq!(k.render_prefix(|_| Some(String::new())), "ORDER#");
        let all = |p: &str| match p {
            "orderDate" => Some("2024-05-01".to_string()),
            "orderId" => Some("o-77".to_string()),
            _ => None,
        };
        assert_eq!(k.render_prefix(all), "ORDER#2024-05-01#o-77");
        assert_eq!(k.render_prefix(all), k.render(all).expect("renders"));
        // Trailing literal only after the last value.
        let k = t("USER#{id}#PROFILE");
        assert_eq!(k.render_prefix(|_| Some("9".into())), "USER#9#PROFILE");
        assert_eq!(k.render_prefix(|_| None), "USER#");
        assert_eq!(t("{a}#{b}").render_prefix(|_| None), "");
        assert_eq!(t("STATIC").render_prefix(|_| None), "STATIC");
    }

    #[test]
    fn whole_param_only_for_a_bare_placeholder() {
        assert_eq!(t("{ts}").whole_param(), Some("ts"));
        assert_eq!(t("T#{ts}").whole_param(), None);
        assert_eq!(t("{ts}#").whole_param(), None);
        assert_eq!(t("{a}#{b}").whole_param(), None);
        assert_eq!(t("STATIC").whole_param(), None);
        assert_eq!(t("").whole_param(), None);
        assert_eq!(t("{{{ts}").whole_param(), None);
    }

    // -- classification: type attributes ------------------------------------

    #[test]
    fn electrodb_item() {
        let it = item(&[
            ("pk", s("$shop#customerid_42")),
            ("sk", s("$customer_1")),
            ("__edb_e__", s("customer")),
            ("__edb_v__", s("1")),
            ("customerId", s("42")),
            ("name", s("Ada")),
        ]);
        let k = TableKeys {
            pk: "pk".into(),
            sk: Some("sk".into()),
            index_key_attrs: vec![],
        };
        // Undeclared: the value itself becomes the entity name.
        let mut d = Decoder::new(&DecodeConfig::default(), k.clone());
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::ElectroDb);
        assert_eq!(name_of(&d, &c).as_deref(), Some("customer"));
        assert_eq!(d.entity_def(c.entity.expect("entity")), None);
        // Declared as `Customer`: mapped case-insensitively.
        let mut d = Decoder::new(&demo_config(), k);
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::ElectroDb);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Customer"));
        assert_eq!(c.entity, d.entity_id("Customer"));
    }

    #[test]
    fn electrodb_keys_without_entity_attr_are_not_junk() {
        // `$shop` is not taken as a type name.
        let mut d = Decoder::new(
            &DecodeConfig::default(),
            TableKeys {
                pk: "pk".into(),
                sk: Some("sk".into()),
                index_key_attrs: vec![],
            },
        );
        let it = item(&[("pk", s("$shop#customerid_42")), ("sk", s("$customer_1"))]);
        let c = d.classify(&it);
        assert_eq!(
            c,
            Classified {
                entity: None,
                source: TypeSource::Unknown
            }
        );
    }

    #[test]
    fn dynamodb_toolbox_item() {
        let mut d = bare();
        let it = item(&[
            ("PK", s("CUSTOMER#1")),
            ("SK", s("CUSTOMER#1")),
            ("_et", s("Customer")),
            ("_ct", s("2024-01-01T00:00:00.000Z")),
            ("_md", s("2024-01-02T00:00:00.000Z")),
            ("email", s("a@example.com")),
        ]);
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::DynamoDbToolbox);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Customer"));
    }

    #[test]
    fn onetable_item() {
        let mut d = Decoder::new(
            &DecodeConfig::default(),
            TableKeys {
                pk: "pk".into(),
                sk: Some("sk".into()),
                index_key_attrs: vec!["gs1pk".into(), "gs1sk".into()],
            },
        );
        let it = item(&[
            ("pk", s("account:7")),
            ("sk", s("account:")),
            ("_type", s("Account")),
            ("name", s("Acme")),
            ("created", s("2024-01-01T00:00:00.000Z")),
        ]);
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::OneTable);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Account"));
    }

    #[test]
    fn hand_written_type_attributes() {
        for a in ["Type", "type", "entity_type", "entityType"] {
            let mut d = bare();
            let it = item(&[("PK", s("X#1")), ("SK", s("Y#2")), (a, s("Invoice"))]);
            let c = d.classify(&it);
            assert_eq!(c.source, attr(a), "{a}");
            assert_eq!(name_of(&d, &c).as_deref(), Some("Invoice"), "{a}");
        }
    }

    #[test]
    fn conventional_precedence() {
        let cases: &[(&[&str], TypeSource)] = &[
            (
                &["__edb_e__", "_et", "_type", "Type"],
                TypeSource::ElectroDb,
            ),
            (
                &["_et", "_type", "Type", "entityType"],
                TypeSource::DynamoDbToolbox,
            ),
            (&["_type", "type", "entity_type"], TypeSource::OneTable),
            (&["Type", "type", "entityType"], attr("Type")),
            (&["type", "entity_type"], attr("type")),
            (&["entity_type", "entityType"], attr("entity_type")),
        ];
        for (attrs, expect) in cases {
            // Small items take the scan path, large ones the probe path.
            for padding in [0, SCAN_LIMIT + 5] {
                let mut it = item(&[("PK", s("P#1"))]);
                for (i, a) in attrs.iter().enumerate() {
                    it.insert(a.to_string(), s(&format!("{a}-value-{i}")));
                }
                for i in 0..padding {
                    it.insert(format!("attr{i}"), n("1"));
                }
                let mut d = bare();
                let c = d.classify(&it);
                assert_eq!(&c.source, expect, "{attrs:?} padding {padding}");
                assert_eq!(
                    name_of(&d, &c),
                    Some(format!("{}-value-0", attrs[0])),
                    "{attrs:?} padding {padding}"
                );
            }
        }
    }

    #[test]
    fn non_string_or_empty_type_attribute_is_ignored() {
        let mut d = bare();
        let it = item(&[("PK", s("USER#1")), ("Type", n("3"))]);
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("User"));

        let it = item(&[("PK", s("USER#1")), ("Type", s("")), ("type", s("Admin"))]);
        let c = d.classify(&it);
        assert_eq!(c.source, attr("type"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Admin"));
    }

    #[test]
    fn configured_type_attribute_takes_precedence() {
        let cfg = DecodeConfig {
            type_attribute: Some("kind".into()),
            entities: vec![],
        };
        let mut d = Decoder::new(&cfg, keys());
        let it = item(&[
            ("PK", s("CUSTOMER#1")),
            ("kind", s("Vip")),
            ("__edb_e__", s("customer")),
            ("Type", s("Customer")),
        ]);
        let c = d.classify(&it);
        assert_eq!(c.source, attr("kind"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Vip"));

        // Without it, the conventional attributes apply.
        let it = item(&[("PK", s("CUSTOMER#1")), ("Type", s("Customer"))]);
        let c = d.classify(&it);
        assert_eq!(c.source, attr("Type"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Customer"));

        // A non-string value of the configured attribute is skipped too.
        let it = item(&[
            ("PK", s("CUSTOMER#1")),
            ("kind", n("1")),
            ("_et", s("Customer")),
        ]);
        assert_eq!(d.classify(&it).source, TypeSource::DynamoDbToolbox);
    }

    #[test]
    fn configured_type_attribute_that_is_conventional_name() {
        // Configuring `type` makes it win over `Type`.
        let cfg = DecodeConfig {
            type_attribute: Some("type".into()),
            entities: vec![],
        };
        let mut d = Decoder::new(&cfg, keys());
        let it = item(&[("PK", s("A#1")), ("Type", s("Upper")), ("type", s("lower"))]);
        let c = d.classify(&it);
        assert_eq!(c.source, attr("type"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("lower"));
    }

    #[test]
    fn type_values_map_to_declared_entities() {
        let mut customer = ent("Customer", Some("CUSTOMER#{id}"), None);
        customer.type_value = Some("CUST".into());
        let cfg = DecodeConfig {
            type_attribute: None,
            entities: vec![customer, ent("Order", None, None)],
        };
        let mut d = Decoder::new(&cfg, keys());
        let cust = d.entity_id("Customer");
        let order = d.entity_id("Order");
        assert_eq!(cust, Some(EntityId(0)));
        assert_eq!(order, Some(EntityId(1)));

        let ty = |v: &str| item(&[("PK", s("Z#1")), ("Type", s(v))]);
        assert_eq!(d.classify(&ty("CUST")).entity, cust);
        assert_eq!(d.classify(&ty("cust")).entity, cust, "case-insensitive");
        assert_eq!(
            d.classify(&ty("Order")).entity,
            order,
            "name when no type_value"
        );
        assert_eq!(d.classify(&ty("ORDER")).entity, order);

        // Undeclared values are interned, once.
        let w1 = d.classify(&ty("Widget"));
        let w2 = d.classify(&ty("Widget"));
        assert_eq!(w1, w2);
        let wid = w1.entity.expect("interned");
        assert_eq!(d.entity_name(wid), "Widget");
        assert_eq!(d.entity_id("Widget"), Some(wid));
        assert!(wid.0 >= 2, "discovered ids come after declared ones");
        assert_eq!(d.entity_def(wid), None);
        assert_eq!(
            d.entity_def(EntityId(0)).map(|e| e.name.as_str()),
            Some("Customer")
        );
        assert_eq!(d.entity_count(), 3);
        // A different case of an undeclared value is a different name.
        let w3 = d.classify(&ty("widget")).entity.expect("interned");
        assert_ne!(w3, wid);
    }

    #[test]
    fn exact_type_value_beats_case_insensitive() {
        let mut a = ent("Lower", None, None);
        a.type_value = Some("x".into());
        let mut b = ent("Upper", None, None);
        b.type_value = Some("X".into());
        let cfg = DecodeConfig {
            type_attribute: None,
            entities: vec![a, b],
        };
        let mut d = Decoder::new(&cfg, keys());
        let ty = |v: &str| item(&[("PK", s("Z#1")), ("_et", s(v))]);
        assert_eq!(d.classify(&ty("X")).entity, d.entity_id("Upper"));
        assert_eq!(d.classify(&ty("x")).entity, d.entity_id("Lower"));
    }

    #[test]
    fn discovery_is_capped() {
        let mut d = bare();
        let mut last = None;
        for i in 0..Decoder::MAX_DISCOVERED + 10 {
            let c = d.classify(&item(&[("Type", s(&format!("T{i}")))]));
            assert_eq!(c.source, attr("Type"));
            last = Some(c);
        }
        assert_eq!(d.entity_count(), Decoder::MAX_DISCOVERED);
        assert_eq!(last.and_then(|c| c.entity), None);
        // Known names still resolve past the cap.
        let c = d.classify(&item(&[("Type", s("T0"))]));
        assert_eq!(c.entity, Some(EntityId(0)));
    }

    // -- classification: key templates ----------------------------------------

    #[test]
    fn key_template_classification_without_type_attribute() {
        let mut d = demo();
        let cases = [
            ("CUSTOMER#42", "CUSTOMER#42", "Customer"),
            ("CUSTOMER#42", "ORDER#2024-05-01#o-77", "Order"),
            ("ORDER#o-77", "ITEM#sku-1", "OrderItem"),
            ("PRODUCT#sku-1", "PRODUCT#sku-1", "Product"),
            ("PRODUCT#sku-1", "REVIEW#2024-05-02#42", "Review"),
        ];
        for (pk, sk, want) in cases {
            let c = d.classify(&item(&[("PK", s(pk)), ("SK", s(sk)), ("total", n("12.5"))]));
            assert_eq!(c.source, TypeSource::KeyTemplate, "{pk} {sk}");
            assert_eq!(name_of(&d, &c).as_deref(), Some(want), "{pk} {sk}");
        }
    }

    #[test]
    fn key_template_without_item_sort_key_matches_on_pk() {
        let mut d = demo();
        // Both Customer and Order match PK alone: Customer's SK prefix
        // (`CUSTOMER#`) is longer than Order's (`ORDER#`).
        let c = d.classify(&item(&[("PK", s("CUSTOMER#1"))]));
        assert_eq!(c.source, TypeSource::KeyTemplate);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Customer"));
        let c = d.classify(&item(&[("PK", s("ORDER#9"))]));
        assert_eq!(name_of(&d, &c).as_deref(), Some("OrderItem"));
    }

    #[test]
    fn key_template_preference_longest_prefix() {
        let cfg = DecodeConfig {
            type_attribute: None,
            entities: vec![
                ent("AnyUnderUser", Some("USER#{id}"), None),
                ent("Generic", Some("{anything}"), Some("{rest}")),
                ent("UserOrder", Some("USER#{id}"), Some("ORDER#{orderId}")),
                ent("UserProfile", Some("USER#{id}"), Some("PROFILE")),
                ent("VipOrder", Some("USER#VIP#{id}"), Some("ORDER#{orderId}")),
            ],
        };
        let mut d = Decoder::new(&cfg, keys());
        let mut cls = |pk: &str, sk: &str| {
            let c = d.classify(&item(&[("PK", s(pk)), ("SK", s(sk))]));
            assert_eq!(c.source, TypeSource::KeyTemplate, "{pk} {sk}");
            c.entity
        };
        let ids: Vec<_> = [
            "AnyUnderUser",
            "Generic",
            "UserOrder",
            "UserProfile",
            "VipOrder",
        ]
        .iter()
        .map(|n| {
            Some(EntityId(
                cfg.entities.iter().position(|e| e.name == *n).unwrap_or(99) as u32,
            ))
        })
        .collect();
        assert_eq!(cls("USER#1", "PROFILE"), ids[3]);
        assert_eq!(cls("USER#1", "ORDER#5"), ids[2]);
        // Equal SK prefix: the longer PK prefix wins.
        assert_eq!(cls("USER#VIP#1", "ORDER#5"), ids[4]);
        assert_eq!(cls("USER#1", "SETTINGS"), ids[0]);
        assert_eq!(cls("TEAM#1", "SETTINGS"), ids[1]);
    }

    #[test]
    fn key_template_preference_sk_prefix_before_pk_prefix() {
        // Both match `USER#VIP#1` / `ORDER#5`; Long has the longer PK prefix,
        // Short the longer SK prefix, and SK decides.
        let cfg = DecodeConfig {
            type_attribute: None,
            entities: vec![
                ent("Long", Some("USER#VIP#{id}"), Some("ORDER{rest}")),
                ent("Short", Some("USER#{id}"), Some("ORDER#{orderId}")),
            ],
        };
        let mut d = Decoder::new(&cfg, keys());
        let it = item(&[("PK", s("USER#VIP#1")), ("SK", s("ORDER#5"))]);
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::KeyTemplate);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Short"));
        // Without an SK on the item, SK prefix length still orders them.
        let (c, f) = d.decode_key("USER#VIP#1", None);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Short"));
        assert_eq!(f, fields(&[("id", "VIP#1")]));
        // Only Long matches this SK.
        let (c, _) = d.decode_key("USER#VIP#1", Some("ORDERS"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Long"));
    }

    #[test]
    fn numeric_key_values_match_templates() {
        let cfg = DecodeConfig {
            type_attribute: None,
            entities: vec![ent(
                "Reading",
                Some("SENSOR#{sensorId}"),
                Some("{timestamp}"),
            )],
        };
        let mut d = Decoder::new(&cfg, keys());
        let it = item(&[("PK", s("SENSOR#7")), ("SK", n("1700000000"))]);
        let c = d.classify(&it);
        assert_eq!(c.source, TypeSource::KeyTemplate);
        assert_eq!(
            d.key_fields(&it, &c),
            fields(&[("sensorId", "7"), ("timestamp", "1700000000")])
        );
    }

    // -- classification: key prefix -------------------------------------------

    #[test]
    fn key_prefix_fallback() {
        let mut d = bare();
        let cases = [
            (item(&[("PK", s("USER#alice"))]), "User"),
            (item(&[("PK", s("user#42"))]), "User"),
            (item(&[("PK", s("account:7"))]), "Account"),
            (
                item(&[("PK", s("ORDER_ITEM#o1#2")), ("SK", s("x"))]),
                "OrderItem",
            ),
            (item(&[("PK", s("order-line#1"))]), "OrderLine"),
            (item(&[("PK", s("orderItem#1"))]), "OrderItem"),
            // SK first, if it has a separator.
            (
                item(&[("PK", s("TENANT#1")), ("SK", s("INVOICE#9"))]),
                "Invoice",
            ),
            // SK without a separator: PK.
            (item(&[("PK", s("USER#1")), ("SK", s("PROFILE"))]), "User"),
            // SK with an invalid prefix: PK.
            (item(&[("PK", s("USER#1")), ("SK", s("my key#1"))]), "User"),
            (item(&[("PK", s("USER#1")), ("SK", s("#1"))]), "User"),
            (
                item(&[("PK", s("USER#1")), ("SK", s("2024-01-01#1"))]),
                "User",
            ),
            // Numeric SK: PK.
            (item(&[("PK", s("USER#1")), ("SK", n("5"))]), "User"),
        ];
        for (it, want) in cases {
            let c = d.classify(&it);
            assert_eq!(c.source, TypeSource::KeyPrefix, "{it:?}");
            assert_eq!(name_of(&d, &c).as_deref(), Some(want), "{it:?}");
        }
        // `USER` and `user` (and `ORDER_ITEM` and `orderItem`) share names:
        // User, Account, OrderItem, OrderLine, Invoice.
        assert_eq!(d.entity_count(), 5);
    }

    #[test]
    fn key_prefix_first_separator_wins() {
        let mut d = bare();
        let c = d.classify(&item(&[("PK", s("a:b#c"))]));
        assert_eq!(name_of(&d, &c).as_deref(), Some("A"));
        let c = d.classify(&item(&[("PK", s("abc#d:e"))]));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Abc"));
    }

    #[test]
    fn key_prefix_rejects_long_or_odd_prefixes() {
        let mut d = bare();
        let long = format!("{}#1", "A".repeat(41));
        let ok = format!("{}#1", "A".repeat(40));
        let unknown = Classified {
            entity: None,
            source: TypeSource::Unknown,
        };
        assert_eq!(d.classify(&item(&[("PK", s(&long))])), unknown);
        assert_eq!(d.classify(&item(&[("PK", s("has space#1"))])), unknown);
        assert_eq!(d.classify(&item(&[("PK", s("tab\there#1"))])), unknown);
        assert_eq!(d.classify(&item(&[("PK", s("$shop#1"))])), unknown);
        assert_eq!(d.classify(&item(&[("PK", s("#1"))])), unknown);
        assert_eq!(d.classify(&item(&[("PK", s("42#1"))])), unknown);
        let c = d.classify(&item(&[("PK", s(&ok))]));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c), Some(format!("A{}", "a".repeat(39))));
        // 40 multi-byte characters are fine too.
        let c = d.classify(&item(&[("PK", s(&format!("{}#1", "é".repeat(40))))]));
        assert_eq!(c.source, TypeSource::KeyPrefix);
    }

    #[test]
    fn key_prefix_maps_to_declared_entity() {
        let mut d = demo();
        // Doesn't match OrderItem's templates (lower case, SK `META`), but
        // the PK prefix is OrderItem's PK literal prefix.
        let c = d.classify(&item(&[("PK", s("order#5")), ("SK", s("META"))]));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("OrderItem"));
        // An SK prefix `ORDER` prefers the entity whose *SK* starts with it.
        let c = d.classify(&item(&[("PK", s("C#1")), ("SK", s("order#2024"))]));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Order"));
        let c = d.classify(&item(&[("PK", s("Q#1")), ("SK", s("item#x"))]));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("OrderItem"));
        // A PK prefix no PK template has falls back to the SK templates.
        let c = d.classify(&item(&[("PK", s("review#1")), ("SK", s("META"))]));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Review"));
        // Nothing new was interned.
        assert_eq!(d.entity_count(), 5);
    }

    #[test]
    fn items_without_type_are_unknown() {
        let unknown = Classified {
            entity: None,
            source: TypeSource::Unknown,
        };
        let mut d = demo();
        assert_eq!(
            d.classify(&item(&[("PK", n("42")), ("name", s("x"))])),
            unknown
        );
        assert_eq!(
            d.classify(&item(&[("PK", n("42")), ("SK", n("7"))])),
            unknown
        );
        assert_eq!(d.classify(&item(&[("PK", s("plainvalue"))])), unknown);
        assert_eq!(d.classify(&item(&[("name", s("no keys at all"))])), unknown);
        assert_eq!(d.classify(&Item::new()), unknown);
        let blob = AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b"USER#1".to_vec()));
        assert_eq!(d.classify(&item(&[("PK", blob)])), unknown);
    }

    #[test]
    fn table_without_sort_key() {
        let mut d = Decoder::new(
            &demo_config(),
            TableKeys {
                pk: "id".into(),
                sk: None,
                index_key_attrs: vec![],
            },
        );
        // `SK` is just an attribute here.
        let c = d.classify(&item(&[("id", s("PRODUCT#1")), ("SK", s("REVIEW#x#y"))]));
        assert_eq!(c.source, TypeSource::KeyTemplate);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Product"));
        assert_eq!(
            d.key_fields(&item(&[("id", s("PRODUCT#1"))]), &c),
            fields(&[("sku", "1")])
        );
    }

    // -- key fields / bare keys ------------------------------------------------

    #[test]
    fn key_fields_for_order() {
        let mut d = demo();
        let it = item(&[
            ("PK", s("CUSTOMER#42")),
            ("SK", s("ORDER#2024-05-01#o-77")),
            ("GSI1PK", s("ORDER#o-77")),
            ("GSI1SK", s("2024-05-01")),
            ("Type", s("Order")),
            ("total", n("99.5")),
        ]);
        let c = d.classify(&it);
        assert_eq!(c.source, attr("Type"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Order"));
        assert_eq!(
            d.key_fields(&it, &c),
            fields(&[
                ("customerId", "42"),
                ("orderDate", "2024-05-01"),
                ("orderId", "o-77")
            ])
        );
    }

    #[test]
    fn key_fields_partial_and_empty() {
        let mut d = demo();
        // GSI1PK alone still yields its field.
        let it = item(&[
            ("PK", s("nope")),
            ("SK", s("nope")),
            ("GSI1PK", s("ORDER#o-1")),
        ]);
        let order = Classified {
            entity: d.entity_id("Order"),
            source: attr("Type"),
        };
        assert_eq!(d.key_fields(&it, &order), fields(&[("orderId", "o-1")]));
        // No template matches: the key's own shape.
        let it = item(&[("PK", s("nope")), ("SK", s("nope"))]);
        assert_eq!(shown(&d.key_fields(&it, &order)), "PK=nope SK=nope");
        // Unknown and undeclared entities: the key's shape, inferred.
        let unknown = Classified {
            entity: None,
            source: TypeSource::Unknown,
        };
        let it = item(&[("PK", s("CUSTOMER#1")), ("SK", s("CUSTOMER#1"))]);
        assert_eq!(shown(&d.key_fields(&it, &unknown)), "~CUSTOMER=1");
        let c = d.classify(&item(&[("PK", s("WIDGET#1"))]));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Widget"));
        assert_eq!(
            shown(&d.key_fields(&item(&[("PK", s("WIDGET#1"))]), &c)),
            "~WIDGET=1"
        );
        // An id the decoder never issued: no panic.
        let bogus = Classified {
            entity: Some(EntityId(9999)),
            source: TypeSource::KeyTemplate,
        };
        assert_eq!(shown(&d.key_fields(&it, &bogus)), "~CUSTOMER=1");
        // Binary keys are not decoded.
        let b = AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![7]));
        let it = item(&[("PK", b)]);
        assert!(d.key_fields(&it, &unknown).is_empty());
        assert_eq!(d.entity_name(EntityId(9999)), "?");
    }

    #[test]
    fn key_fields_first_occurrence_wins() {
        let mut d = demo();
        let it = item(&[
            ("PK", s("CUSTOMER#42")),
            ("SK", s("ORDER#2024-05-01#o-77")),
            ("GSI1PK", s("ORDER#other")),
        ]);
        let c = d.classify(&it);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Order"));
        let f = d.key_fields(&it, &c);
        assert_eq!(f.len(), 3);
        assert_eq!(f[2], KeyField::template("orderId", "o-77"));
    }

    #[test]
    fn decode_key_customer() {
        let mut d = demo();
        let (c, f) = d.decode_key("CUSTOMER#42", None);
        assert_eq!(c.source, TypeSource::KeyTemplate);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Customer"));
        assert_eq!(f, fields(&[("customerId", "42")]));

        let (c, f) = d.decode_key("CUSTOMER#42", Some("CUSTOMER#42"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Customer"));
        assert_eq!(f, fields(&[("customerId", "42")]));

        let (c, f) = d.decode_key("CUSTOMER#42", Some("ORDER#2024-05-01#o-77"));
        assert_eq!(name_of(&d, &c).as_deref(), Some("Order"));
        assert_eq!(
            f,
            fields(&[
                ("customerId", "42"),
                ("orderDate", "2024-05-01"),
                ("orderId", "o-77")
            ])
        );
    }

    #[test]
    fn decode_key_fallbacks() {
        let mut d = demo();
        let (c, f) = d.decode_key("USER#9", None);
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("User"));
        // No template: read from the key's shape, marked inferred.
        assert_eq!(shown(&f), "~USER=9");
        // Prefix maps to a declared entity; its matching templates decode.
        let (c, f) = d.decode_key("CUSTOMER#42", Some("BOGUS#1"));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("Bogus"));
        assert_eq!(shown(&f), "~CUSTOMER=42 ~BOGUS=1");
        let (c, f) = d.decode_key("ORDER#o-1", Some("META"));
        assert_eq!(c.source, TypeSource::KeyPrefix);
        assert_eq!(name_of(&d, &c).as_deref(), Some("OrderItem"));
        assert_eq!(f, fields(&[("orderId", "o-1")]));
        let (c, f) = d.decode_key("42", None);
        assert_eq!(
            c,
            Classified {
                entity: None,
                source: TypeSource::Unknown
            }
        );
        assert_eq!(shown(&f), "PK=42");
    }

    #[test]
    fn keys_and_index_keys() {
        let d = demo();
        assert_eq!(d.keys(), &keys());
        assert!(d.is_index_key("GSI1PK"));
        assert!(d.is_index_key("GSI1SK"));
        assert!(!d.is_index_key("PK"));
        assert!(!d.is_index_key("gsi1pk"));
        assert_eq!(d.entity_id("Nope"), None);
    }

    #[test]
    fn title_case_rules() {
        assert_eq!(title_case("ORDER_ITEM"), "OrderItem");
        assert_eq!(title_case("user"), "User");
        assert_eq!(title_case("USER"), "User");
        assert_eq!(title_case("order-item"), "OrderItem");
        assert_eq!(title_case("orderItem"), "OrderItem");
        assert_eq!(title_case("a__b"), "AB");
        assert_eq!(title_case("USER2_V2"), "User2V2");
    }
}
