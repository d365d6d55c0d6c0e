//! `dyntui init`: a project file written from a table's own items.
//!
//! [`infer`] reads a sample of items and the table's description and writes
//! a commented `dyntui.toml`:
//!
//! - the type attribute, when the items name their type in one (a
//!   library's own convention, such as ElectroDB's `__edb_e__`, needs none);
//! - one `[[entity]]` per type found, with a key template for the table key
//!   and each index key the type's items carry, and its usual columns;
//! - the `[[table]]` design from DescribeTable;
//! - one example access pattern per key (the table and each index), with
//!   example parameters taken from a sampled item.
//!
//! # Templates
//!
//! Each key value is split into tokens on `#` (or on `:` when it has no
//! `#`). A token equal to one of the item's own attributes becomes that
//! parameter (`{orderId}`); ElectroDB's `attr_value` segments become
//! `attr_{attr}`. Other tokens are literal when every sampled item of the
//! type has the same text there (`ORDER#`, `PROFILE`), else a parameter
//! named after the label before it (`USER#u1` → `USER#{userId}`). The
//! template chosen is the one most of the type's items give; the others are
//! listed in a comment. Every template is checked to parse and to match the
//! items it came from, and the file as a whole is parsed again before it is
//! returned.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use crate::app::config::Project;
use crate::dynamo::client::{Dynamo, KeyDef, KeyKind, TableInfo};
use crate::dynamo::entity::{DecodeConfig, Decoder, KeyTemplate, TypeSource};
use crate::dynamo::error::AwsError;
use crate::dynamo::keyshape::{self, FieldHow};
use crate::dynamo::request::ItemsRequest;
use crate::dynamo::{AttributeValue, Item, value};

/// How many items `dyntui init` reads by default.
pub const DEFAULT_SAMPLE: usize = 2000;

/// A written project file and what it found.
#[derive(Debug, Clone)]
pub struct Inferred {
    /// The file's text.
    pub text: String,
    /// The entity types, most items first.
    pub entities: Vec<String>,
    /// Items read.
    pub sampled: usize,
    /// Sampled items whose keys the file's templates decode.
    pub decoded: usize,
    /// The type attribute written, if any.
    pub type_attribute: Option<String>,
}

impl Inferred {
    /// One line for the status bar or stderr.
    pub fn summary(&self, path: &str) -> String {
        format!(
            "wrote {path}: {} entit{} ({}) from {} sampled item{}; templates decode {} of them",
            self.entities.len(),
            if self.entities.len() == 1 { "y" } else { "ies" },
            self.entities.join(", "),
            self.sampled,
            if self.sampled == 1 { "" } else { "s" },
            self.decoded,
        )
    }
}

/// Why no project file was written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{path} already exists; pass --force to overwrite it, or --out to write elsewhere")]
    Exists { path: String },
    #[error(
        "table `{table}` has no items to learn from; seed it first, or write dyntui.toml by hand"
    )]
    Empty { table: String },
    #[error(
        "the inferred file does not load ({0}); please report this with the table's key shapes"
    )]
    Invalid(String),
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Up to `max` items of `table`, read with full-size Scan pages.
pub async fn sample(db: &Dynamo, table: &str, max: usize) -> Result<Vec<Item>, AwsError> {
    let req = ItemsRequest::scan(table);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = db.fetch_page(&req, start).await?;
        items.extend(page.items);
        match page.next {
            Some(next) if items.len() < max => start = Some(next),
            _ => break,
        }
    }
    items.truncate(max);
    Ok(items)
}

/// Writes `text` to `path`; refuses to replace an existing file unless
/// `force`.
pub fn write_new(path: &Path, text: &str, force: bool) -> Result<(), InitError> {
    let shown = path.display().to_string();
    if path.exists() && !force {
        return Err(InitError::Exists { path: shown });
    }
    crate::files::write_atomic(path, text.as_bytes()).map_err(|source| InitError::Write {
        path: shown,
        source,
    })
}

/// The project file for `info`'s table, learned from `items`.
pub fn infer(info: &TableInfo, items: &[Item]) -> Result<Inferred, InitError> {
    if items.is_empty() {
        return Err(InitError::Empty {
            table: info.name.clone(),
        });
    }
    let keys = info.table_keys();
    let key_attrs = key_attributes(info);
    let mut decoder = Decoder::new(&DecodeConfig::default(), keys.clone());
    // Group the items by type, and see how types were found.
    let mut groups: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    let mut sources: HashMap<String, usize> = HashMap::new();
    let mut untyped = 0;
    let mut convention = None;
    for item in items {
        let c = decoder.classify(item);
        match &c.source {
            TypeSource::Attribute(a) => *sources.entry(a.to_string()).or_default() += 1,
            TypeSource::ElectroDb => convention = Some("ElectroDB (`__edb_e__`)"),
            TypeSource::DynamoDbToolbox => convention = Some("dynamodb-toolbox (`_et`)"),
            TypeSource::OneTable => convention = Some("OneTable (`_type`)"),
            _ => {}
        }
        match c.entity {
            Some(e) => groups
                .entry(decoder.entity_name(e).to_string())
                .or_default()
                .push(item),
            None => untyped += 1,
        }
    }
    let type_attribute = sources
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .filter(|(_, n)| n * 2 >= items.len())
        .map(|(a, _)| a);
    let mut order: Vec<(&String, &Vec<&Item>)> = groups.iter().collect();
    order.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));

    let mut out = String::new();
    header(
        &mut out,
        info,
        items.len(),
        untyped,
        convention,
        type_attribute.as_deref(),
    );
    let mut entities = Vec::new();
    let mut patterns = Vec::new();
    for (name, group) in &order {
        let e = entity(name, group, info, &key_attrs, type_attribute.as_deref());
        e.write(&mut out);
        entities.push(e);
    }
    table_design(&mut out, info);
    out.push_str(
        "\n# ------------------------------------------------------------------ access patterns\n\
         # One example per key: run them with `p` in the TUI or `dyntui query <name>`,\n\
         # check them all with `dyntui patterns check`.\n",
    );
    for (index, pk, sk) in key_pairs(info) {
        if let Some(p) = example_pattern(index, &pk, sk.as_deref(), &entities) {
            out.push_str(&p);
            patterns.push(p);
        }
    }
    // The file must load, and its templates must decode the sample.
    let project =
        Project::parse("dyntui.toml", &out).map_err(|e| InitError::Invalid(e.to_string()))?;
    let mut with_file = Decoder::new(&project.decode, keys);
    let decoded = items
        .iter()
        .filter(|item| {
            let c = with_file.classify(item);
            with_file
                .primary_key_fields(item, &c)
                .iter()
                .any(|f| f.how == FieldHow::Template)
        })
        .count();
    Ok(Inferred {
        text: out,
        entities: entities.into_iter().map(|e| e.name).collect(),
        sampled: items.len(),
        decoded,
        type_attribute,
    })
}

fn header(
    out: &mut String,
    info: &TableInfo,
    sampled: usize,
    untyped: usize,
    convention: Option<&str>,
    type_attribute: Option<&str>,
) {
    let _ = writeln!(
        out,
        "# dyntui project file for table `{}`, written by `dyntui init` from {sampled} sampled item{}.\n\
         # Check the entity names, key templates and columns, then commit it beside your code.\n\
         # Reference: README.md, \"Project file\".",
        info.name,
        if sampled == 1 { "" } else { "s" }
    );
    if untyped > 0 {
        let _ = writeln!(
            out,
            "# {untyped} sampled item{} had no recognisable type and {} left out.",
            if untyped == 1 { "" } else { "s" },
            if untyped == 1 { "is" } else { "are" }
        );
    }
    let _ = writeln!(
        out,
        "\n[project]\nname = {}\ndefault_table = {}",
        quote(&info.name),
        quote(&info.name)
    );
    out.push_str("\n[decode]\n");
    match (type_attribute, convention) {
        (Some(a), _) => {
            let _ = writeln!(
                out,
                "# Items name their entity type in `{a}`.\ntype_attribute = {}",
                quote(a)
            );
        }
        (None, Some(c)) => {
            let _ = writeln!(
                out,
                "# Types come from {c}, which dyntui reads without configuration."
            );
        }
        (None, None) => {
            out.push_str("# No type attribute: types come from the key templates below.\n");
        }
    }
}

/// Every key attribute of the table and its indexes.
fn key_attributes(info: &TableInfo) -> Vec<String> {
    let mut v: Vec<String> = info
        .pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| k.name.clone())
        .collect();
    for a in info.index_key_attrs() {
        if !v.contains(&a) {
            v.push(a);
        }
    }
    v
}

/// (index name or `None` for the table, partition key, sort key) of the
/// table and each index.
fn key_pairs(info: &TableInfo) -> Vec<(Option<&str>, String, Option<String>)> {
    let mut v = Vec::new();
    if let Some(pk) = &info.pk {
        v.push((
            None,
            pk.name.clone(),
            info.sk.as_ref().map(|k| k.name.clone()),
        ));
    }
    for i in &info.indexes {
        v.push((
            Some(i.name.as_str()),
            i.pk.name.clone(),
            i.sk.as_ref().map(|k| k.name.clone()),
        ));
    }
    v
}

// ------------------------------------------------------------------ entities

/// A key's template, how many of the type's items gave it, and the other
/// shapes seen (text, count).
struct Shape {
    attr: String,
    template: KeyTemplate,
    count: usize,
    others: Vec<(String, usize)>,
}

struct Entity {
    name: String,
    count: usize,
    pk: Option<Shape>,
    sk: Option<Shape>,
    index_keys: Vec<Shape>,
    columns: Vec<String>,
    /// A sampled item, for example parameters.
    example: Item,
}

impl Entity {
    /// The template of a key attribute (table or index).
    fn template(&self, attr: &str) -> Option<&KeyTemplate> {
        self.pk
            .iter()
            .chain(self.sk.iter())
            .chain(self.index_keys.iter())
            .find(|s| s.attr == attr)
            .map(|s| &s.template)
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n# {} sampled item{}.",
            self.count,
            if self.count == 1 { "" } else { "s" }
        );
        let _ = writeln!(out, "[[entity]]\nname = {}", quote(&self.name));
        let others = |out: &mut String, s: &Shape| {
            if !s.others.is_empty() {
                let list: Vec<String> = s
                    .others
                    .iter()
                    .map(|(t, c)| format!("`{t}` ({c})"))
                    .collect();
                let _ = writeln!(
                    out,
                    "# {}: {} of {} items have this shape; others: {}",
                    s.attr,
                    s.count,
                    self.count,
                    list.join(", ")
                );
            }
        };
        if let Some(s) = &self.pk {
            others(out, s);
            let _ = writeln!(out, "pk = {}", quote(s.template.source()));
        }
        if let Some(s) = &self.sk {
            others(out, s);
            let _ = writeln!(out, "sk = {}", quote(s.template.source()));
        }
        if !self.columns.is_empty() {
            let cols: Vec<String> = self.columns.iter().map(|c| quote(c)).collect();
            let _ = writeln!(out, "columns = [{}]", cols.join(", "));
        }
        if !self.index_keys.is_empty() {
            out.push_str("[entity.index_keys]\n");
            for s in &self.index_keys {
                others(out, s);
                let _ = writeln!(
                    out,
                    "{} = {}",
                    bare_key(&s.attr),
                    quote(s.template.source())
                );
            }
        }
    }
}

fn entity(
    name: &str,
    items: &[&Item],
    info: &TableInfo,
    key_attrs: &[String],
    type_attribute: Option<&str>,
) -> Entity {
    let shape = |attr: &str| shape_of(attr, items, key_attrs);
    let pk = info.pk.as_ref().and_then(|k| shape(&k.name));
    let sk = info.sk.as_ref().and_then(|k| shape(&k.name));
    let table_keys: Vec<&str> = info
        .pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| k.name.as_str())
        .collect();
    let index_keys = key_attrs
        .iter()
        .filter(|a| !table_keys.contains(&a.as_str()))
        .filter_map(|a| shape(a))
        .collect();
    // Usual columns: attributes at least half of the items have, most
    // common first (keys and their fields, the type and bookkeeping left
    // out: the Key column shows the fields).
    let in_key: Vec<&str> = pk
        .iter()
        .chain(sk.iter())
        .flat_map(|s: &Shape| s.template.params())
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for item in items {
        for k in item.keys() {
            *seen.entry(k.as_str()).or_default() += 1;
        }
    }
    let mut columns: Vec<(&str, usize)> = seen
        .into_iter()
        .filter(|(k, n)| {
            n * 2 >= items.len()
                && !key_attrs.iter().any(|a| a == k)
                && !in_key.contains(k)
                && Some(*k) != type_attribute
                && !value::is_bookkeeping(k)
        })
        .collect();
    columns.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    Entity {
        name: name.to_string(),
        count: items.len(),
        pk,
        sk,
        index_keys,
        columns: columns
            .into_iter()
            .take(6)
            .map(|(k, _)| k.to_string())
            .collect(),
        example: items.first().map(|i| (*i).clone()).unwrap_or_default(),
    }
}

/// One piece of a key value: literal text, an item attribute, or a value
/// with the name it would get as a parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Piece {
    Lit(String),
    Attr(String),
    Val { name: String, text: String },
}

/// The most common template of `attr` among `items`, if they have it as a
/// string or number.
fn shape_of(attr: &str, items: &[&Item], key_attrs: &[String]) -> Option<Shape> {
    let texts: Vec<(&Item, &str)> = items
        .iter()
        .filter_map(|item| match item.get(attr) {
            Some(AttributeValue::S(s) | AttributeValue::N(s)) => Some((*item, s.as_str())),
            _ => None,
        })
        .collect();
    if texts.is_empty() {
        return None;
    }
    let split: Vec<Vec<Piece>> = texts
        .iter()
        .map(|(item, text)| pieces(attr, text, item, key_attrs))
        .collect();
    // Items with the same skeleton (literal text and names) vote together; a
    // value that is the same in all of them is literal.
    let skeleton = |p: &[Piece]| -> Vec<Piece> {
        p.iter()
            .map(|x| match x {
                Piece::Val { name, .. } => Piece::Val {
                    name: name.clone(),
                    text: String::new(),
                },
                other => other.clone(),
            })
            .collect()
    };
    let mut groups: Vec<(Vec<Piece>, Vec<usize>)> = Vec::new();
    for (i, p) in split.iter().enumerate() {
        let sk = skeleton(p);
        match groups.iter_mut().find(|(g, _)| *g == sk) {
            Some((_, members)) => members.push(i),
            None => groups.push((sk, vec![i])),
        }
    }
    let mut candidates: Vec<(String, usize)> = Vec::new();
    for (sk, members) in &groups {
        let mut text = String::new();
        let mut used: Vec<String> = Vec::new();
        for (pos, piece) in sk.iter().enumerate() {
            match piece {
                Piece::Lit(l) => text.push_str(&escape(l)),
                Piece::Attr(a) => {
                    text.push_str(&format!("{{{a}}}"));
                    used.push(a.clone());
                }
                Piece::Val { name, .. } => {
                    let values: Vec<&str> = members
                        .iter()
                        .filter_map(|&m| match split[m].get(pos) {
                            Some(Piece::Val { text, .. }) => Some(text.as_str()),
                            _ => None,
                        })
                        .collect();
                    let same = values.windows(2).all(|w| w[0] == w[1]);
                    let first = values.first().copied().unwrap_or_default();
                    let constant_word = !first.is_empty()
                        && first.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                    if same && (members.len() > 1 || constant_word) {
                        text.push_str(&escape(first));
                    } else {
                        let mut n = name.clone();
                        let mut k = 2;
                        while used.contains(&n) {
                            n = format!("{name}{k}");
                            k += 1;
                        }
                        text.push_str(&format!("{{{n}}}"));
                        used.push(n);
                    }
                }
            }
        }
        match candidates.iter_mut().find(|(t, _)| *t == text) {
            Some((_, c)) => *c += members.len(),
            None => candidates.push((text, members.len())),
        }
    }
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    // The most common shape that parses and matches its own items.
    let mut others = Vec::new();
    let mut chosen = None;
    for (text, n) in candidates {
        match KeyTemplate::parse(&text) {
            Ok(t) if chosen.is_none() && texts.iter().any(|(_, v)| t.matches(v)) => {
                chosen = Some((t, n));
            }
            _ => others.push((text, n)),
        }
    }
    let (template, count) = chosen?;
    Some(Shape {
        attr: attr.to_string(),
        template,
        count,
        others,
    })
}

/// Splits a key value into pieces (see the module docs).
fn pieces(attr: &str, text: &str, item: &Item, key_attrs: &[String]) -> Vec<Piece> {
    let is_key = |a: &str| key_attrs.iter().any(|k| k == a);
    let named = |t: &str| keyshape::attribute_named(item, t, &is_key).map(str::to_string);
    let sep = keyshape::separator(text)
        .map(String::from)
        .unwrap_or_default();
    let tokens: Vec<&str> = if sep.is_empty() {
        vec![text]
    } else {
        text.split(sep.as_str()).collect()
    };
    let mut out = Vec::new();
    let mut label: Option<&str> = None;
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            out.push(Piece::Lit(sep.clone()));
        }
        if let Some(a) = named(t) {
            out.push(Piece::Attr(a));
            label = None;
            continue;
        }
        // ElectroDB's `attr_value`: the name is literal, the value an
        // attribute (ElectroDB writes it in lower case).
        if let Some((pre, val)) = t.split_once('_')
            && !pre.is_empty()
            && let Some(a) = item.iter().find_map(|(k, v)| match v {
                AttributeValue::S(s) | AttributeValue::N(s)
                    if !val.is_empty()
                        && !pre.starts_with('$')
                        && s.eq_ignore_ascii_case(val)
                        && !key_attrs.iter().any(|x| x == k)
                        && !value::is_bookkeeping(k) =>
                {
                    Some(k.clone())
                }
                _ => None,
            })
        {
            out.push(Piece::Lit(format!("{pre}_")));
            out.push(Piece::Attr(a));
            label = None;
            continue;
        }
        if t.starts_with('$') || t.is_empty() {
            out.push(Piece::Lit((*t).to_string()));
            label = None;
            continue;
        }
        let is_label = t.chars().next().is_some_and(char::is_alphabetic)
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        match label {
            Some(l) => {
                out.push(Piece::Val {
                    name: param_name(l),
                    text: (*t).to_string(),
                });
                label = None;
            }
            None if is_label && i + 1 < tokens.len() => {
                out.push(Piece::Lit((*t).to_string()));
                label = Some(t);
            }
            None => out.push(Piece::Val {
                name: attr_param(attr),
                text: (*t).to_string(),
            }),
        }
    }
    out
}

/// A parameter named after a label: `USER` → `userId`, `order_item` →
/// `orderItemId`.
fn param_name(label: &str) -> String {
    let words: Vec<String> = label
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i == 0 {
            out.push_str(w);
        } else {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        }
    }
    if out.is_empty() {
        out.push_str("value");
    }
    format!("{out}Id")
}

/// A parameter named after a key attribute: `customerId` as it is, `SK` →
/// `sk`, anything that is no parameter name → `value`.
fn attr_param(attr: &str) -> String {
    let ok = !attr.is_empty() && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        "value".to_string()
    } else if attr.chars().any(char::is_lowercase) {
        attr.to_string()
    } else {
        attr.to_lowercase()
    }
}

/// Literal template text: braces doubled.
fn escape(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// A TOML string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare when it can be, quoted otherwise.
fn bare_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

// ------------------------------------------------------------------ table

fn key_def(k: &KeyDef) -> String {
    let kind = match k.kind {
        Some(KeyKind::N) => "N",
        Some(KeyKind::B) => "B",
        _ => "S",
    };
    format!("{{ name = {}, type = \"{kind}\" }}", quote(&k.name))
}

fn projection(p: &str) -> String {
    match p.split_once(" (") {
        Some((_, attrs)) => {
            let list: Vec<String> = attrs.trim_end_matches(')').split(", ").map(quote).collect();
            format!("[{}]", list.join(", "))
        }
        None if p == "KEYS_ONLY" => "\"KEYS_ONLY\"".to_string(),
        None => "\"ALL\"".to_string(),
    }
}

fn table_design(out: &mut String, info: &TableInfo) {
    out.push_str(
        "\n# ------------------------------------------------------------------ table design\n",
    );
    out.push_str("# From DescribeTable: `dyntui seed` can create the table from it.\n");
    let _ = writeln!(out, "[[table]]\nname = {}", quote(&info.name));
    if let Some(pk) = &info.pk {
        let _ = writeln!(out, "partition_key = {}", key_def(pk));
    }
    if let Some(sk) = &info.sk {
        let _ = writeln!(out, "sort_key = {}", key_def(sk));
    }
    match info.capacity {
        Some((r, w)) if info.billing_mode == "PROVISIONED" => {
            let _ = writeln!(
                out,
                "billing_mode = \"PROVISIONED\"\nread_capacity = {r}\nwrite_capacity = {w}"
            );
        }
        _ => out.push_str("billing_mode = \"PAY_PER_REQUEST\"\n"),
    }
    if let Some(attr) = info
        .ttl
        .as_deref()
        .filter(|t| t.starts_with("ENABLED"))
        .and_then(|t| t.split_once('('))
        .map(|(_, a)| a.trim_end_matches(')'))
    {
        let _ = writeln!(out, "ttl_attribute = {}", quote(attr));
    }
    if let Some(view) = info.stream_view() {
        let _ = writeln!(out, "stream = {}", quote(view.label()));
    }
    for i in &info.indexes {
        let _ = writeln!(
            out,
            "\n[[table.{}]]\nname = {}",
            if i.global { "gsi" } else { "lsi" },
            quote(&i.name)
        );
        if i.global {
            let _ = writeln!(out, "partition_key = {}", key_def(&i.pk));
        }
        if let Some(sk) = &i.sk {
            let _ = writeln!(out, "sort_key = {}", key_def(sk));
        }
        let _ = writeln!(out, "projection = {}", projection(&i.projection));
        if let Some((r, w)) = i.capacity {
            let _ = writeln!(out, "read_capacity = {r}\nwrite_capacity = {w}");
        }
    }
}

// ------------------------------------------------------------------ patterns

/// `Order` → `order`, `OrderItem` → `order-item`, `GSI1` → `gsi1`.
fn kebab(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('-');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else {
            out.push('-');
            prev_lower = false;
        }
    }
    out
}

/// An example pattern for a key: the type with the most items whose
/// partition key on it has a template with parameters.
fn example_pattern(
    index: Option<&str>,
    pk_attr: &str,
    sk_attr: Option<&str>,
    entities: &[Entity],
) -> Option<String> {
    let (e, t) = entities.iter().find_map(|e| {
        let t = e.template(pk_attr)?;
        (t.params().next().is_some()).then_some((e, t))
    })?;
    let values: Vec<(String, String)> = match e.example.get(pk_attr) {
        Some(AttributeValue::S(v) | AttributeValue::N(v)) => t
            .extract(v)?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        _ => return None,
    };
    let name = match index {
        Some(i) => format!("{}-by-{}", kebab(&e.name), kebab(i)),
        None => format!("{}-by-key", kebab(&e.name)),
    };
    let mut out = String::new();
    let _ = writeln!(out, "\n[[pattern]]\nname = {}", quote(&name));
    let _ = writeln!(
        out,
        "description = {}",
        quote(&format!(
            "{} items by {}{}",
            e.name,
            pk_attr,
            index.map(|i| format!(" ({i})")).unwrap_or_default()
        ))
    );
    let _ = writeln!(out, "entity = {}", quote(&e.name));
    if let Some(i) = index {
        let _ = writeln!(out, "index = {}", quote(i));
    }
    let _ = writeln!(out, "pk = {}", quote(t.source()));
    // The type's own sort key prefix narrows the partition to it.
    if let Some(prefix) = sk_attr
        .and_then(|a| e.template(a))
        .map(|t| t.literal_prefix())
        .filter(|p| !p.is_empty())
    {
        let _ = writeln!(
            out,
            "sk = {{ op = \"begins_with\", value = {} }}",
            quote(&escape(prefix))
        );
    }
    out.push_str("[pattern.params]\n");
    for (k, v) in values {
        let _ = writeln!(
            out,
            "{} = {{ type = \"string\", example = {} }}",
            bare_key(&k),
            quote(&v)
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::client::IndexInfo;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_string())
    }

    fn key(name: &str) -> KeyDef {
        KeyDef {
            name: name.into(),
            kind: Some(KeyKind::S),
        }
    }

    fn info() -> TableInfo {
        TableInfo {
            name: "app".into(),
            pk: Some(key("PK")),
            sk: Some(key("SK")),
            billing_mode: "PAY_PER_REQUEST".into(),
            indexes: vec![IndexInfo {
                name: "GSI1".into(),
                global: true,
                pk: key("GSI1PK"),
                sk: Some(key("GSI1SK")),
                projection: "INCLUDE (title, body)".into(),
                status: None,
                capacity: None,
                item_count: None,
                size_bytes: None,
            }],
            ..TableInfo::default()
        }
    }

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs.iter().map(|(k, v)| (k.to_string(), s(v))).collect()
    }

    /// A prefix-only design: no type attribute, ids only in the keys.
    fn prefix_items() -> Vec<Item> {
        let mut v = Vec::new();
        for u in 1..=3 {
            v.push(item(&[
                ("PK", &format!("USER#u{u}")),
                ("SK", "PROFILE"),
                ("name", &format!("user {u}")),
            ]));
            for p in 1..=2 {
                v.push(item(&[
                    ("PK", &format!("USER#u{u}")),
                    ("SK", &format!("POST#p{u}{p}")),
                    ("GSI1PK", &format!("POST#p{u}{p}")),
                    ("GSI1SK", "POST"),
                    ("title", "hello"),
                ]));
            }
        }
        v
    }

    #[test]
    fn a_prefix_design_gets_templates_that_classify_and_decode_it() {
        let items = prefix_items();
        let found = infer(&info(), &items).unwrap();
        assert_eq!(found.type_attribute, None);
        assert_eq!(found.entities, ["Post", "User"]);
        let t = &found.text;
        assert!(
            t.contains("pk = \"USER#{userId}\"\nsk = \"POST#{postId}\""),
            "{t}"
        );
        assert!(
            t.contains("pk = \"USER#{userId}\"\nsk = \"PROFILE\""),
            "{t}"
        );
        assert!(t.contains("GSI1PK = \"POST#{postId}\""), "{t}");
        assert!(t.contains("projection = [\"title\", \"body\"]"), "{t}");
        // Every item decodes with the file's templates, and gets the type
        // it had without it.
        assert_eq!(found.decoded, items.len());
        let project = Project::parse("dyntui.toml", t).unwrap();
        let mut with = Decoder::new(&project.decode, info().table_keys());
        let mut without = Decoder::new(&DecodeConfig::default(), info().table_keys());
        for i in &items {
            let (a, b) = (with.classify(i), without.classify(i));
            assert_eq!(a.source, TypeSource::KeyTemplate);
            assert_eq!(
                a.entity.map(|e| with.entity_name(e).to_string()),
                b.entity.map(|e| without.entity_name(e).to_string())
            );
        }
        // An example pattern per key, with a sampled item's values.
        assert!(t.contains("name = \"post-by-key\""), "{t}");
        assert!(t.contains("name = \"post-by-gsi1\""), "{t}");
        assert!(
            t.contains("userId = { type = \"string\", example = \"u1\" }"),
            "{t}"
        );
    }

    #[test]
    fn electrodb_segments_become_literal_names_and_attribute_parameters() {
        let items: Vec<Item> = (1..=3)
            .map(|n| {
                item(&[
                    ("PK", "$taskapp#team_core"),
                    ("SK", &format!("$tasks_1#task_t{n}")),
                    ("team", "Core"),
                    ("task", &format!("t{n}")),
                    ("__edb_e__", "tasks"),
                    ("__edb_v__", "1"),
                ])
            })
            .collect();
        let mut i = info();
        i.indexes.clear();
        let found = infer(&i, &items).unwrap();
        let t = &found.text;
        assert!(t.contains("pk = \"$taskapp#team_{team}\""), "{t}");
        assert!(t.contains("sk = \"$tasks_1#task_{task}\""), "{t}");
        assert!(t.contains("Types come from ElectroDB"), "{t}");
        assert_eq!(found.decoded, 3);
    }

    #[test]
    fn an_empty_table_and_an_existing_file_are_refused() {
        assert!(matches!(infer(&info(), &[]), Err(InitError::Empty { .. })));
        let dir = std::env::temp_dir().join(format!("dyntui-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dyntui.toml");
        std::fs::write(&path, "# mine\n").unwrap();
        let e = write_new(&path, "new", false).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
        write_new(&path, "new", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn names_for_parameters() {
        assert_eq!(param_name("USER"), "userId");
        assert_eq!(param_name("order_item"), "orderItemId");
        assert_eq!(attr_param("SK"), "sk");
        assert_eq!(attr_param("customerId"), "customerId");
        assert_eq!(attr_param("a b"), "value");
        assert_eq!(kebab("OrderItem"), "order-item");
        assert_eq!(kebab("GSI1"), "gsi1");
    }
}
