//! Saved access patterns: named, parameterised Queries and Scans of a
//! single-table design ("a customer's orders, newest first").
//!
//! A [`Pattern`] names the index, the key templates, an optional sort-key
//! condition and filter, and declares its parameters ([`ParamDef`]). Given
//! parameter values, [`Pattern::compile`] builds the [`ItemsRequest`] for a
//! table whose DescribeTable output is known. Nothing here talks to AWS.
//!
//! # Configuration
//!
//! Patterns live in the project file as `[[pattern]]` tables:
//!
//! ```toml
//! [[pattern]]
//! name = "customer-orders"
//! description = "A customer's orders, newest first"
//! entity = "Order"
//! index = "GSI1"              # omit for the table
//! pk = "CUSTOMER#{customerId}"
//! sk = { op = "begins_with", value = "ORDER#{from}" }   # between: value + and
//! filter = "status = {status}"
//! projection = ["orderId", "total"]
//! descending = true
//! limit = 25
//! [pattern.params]
//! customerId = { type = "string", example = "c00001" }
//! status = { type = "enum", values = ["PLACED", "PAID"], default = "PAID" }
//! ```
//!
//! Keys of a `[[pattern]]` (all optional except `name`):
//!
//! | key | meaning |
//! |---|---|
//! | `name` | unique name, used on the command line and in the UI |
//! | `description` | one line for the picker (default empty) |
//! | `entity` | entity type the results should be; must be a declared `[[entity]]` |
//! | `index` | GSI or LSI name; omitted = the table |
//! | `pk_attr` | partition key attribute name, as a check; omitted = the index's partition key from DescribeTable |
//! | `pk` | partition key [template](KeyTemplate); omitted = the pattern is a **Scan** |
//! | `sk_attr` | sort key attribute name, as a check; omitted = the index's sort key |
//! | `sk` | sort-key condition `{ op, value, and }`: `op` is one of `=`, `<`, `<=`, `>`, `>=`, `begins_with`, `between`; `value` a key template; `and` the second template, for `between` only. Needs `pk`. |
//! | `filter` | filter in the filter-box language, with `{param}` placeholders |
//! | `projection` | attribute names to return (default: all) |
//! | `descending` | newest (highest sort key) first (default `false`) |
//! | `limit` | DynamoDB `Limit`, the page size (at least 1) |
//! | `params` | table of parameter name → `{ type, values, default, example, description }` |
//!
//! Keys of a parameter: `type` is `"string"` (the default), `"number"`,
//! `"date"` (`YYYY-MM-DD`), `"datetime"` (RFC 3339, e.g.
//! `2024-05-01T10:00:00Z`) or `"enum"` (needs `values`, a list of strings;
//! see [`ParamType::parse`]). `default` is used when no value is given,
//! `example` by `patterns check` and in the form's hint, `description` in
//! the form.
//!
//! # Placeholders
//!
//! Key templates use `{param}` placeholders ([`KeyTemplate`]); `{{` and `}}`
//! are literal braces. The filter uses the same placeholders, anywhere in
//! its text (also inside quoted values); `{{` and `}}` are literal braces
//! there too, and a `{` that does not start a `{name}` placeholder is
//! literal. A value substituted into the filter is one value whatever it
//! contains: a `number` parameter is inserted as a number, every other type
//! as a quoted string (so `status = {status}` with `x and y = 1` compares
//! `status` with the text `x and y = 1`); inside a quoted value it is
//! escaped.
//!
//! # Required and optional parameters
//!
//! Every parameter a pattern uses must be declared. A used parameter is
//! required (a value, or a default) unless it appears only in a
//! `begins_with` sort value: there a missing value just ends the prefix, so
//! `begins_with ORDER#{orderDate}#{orderId}` with only `orderDate` queries
//! `ORDER#2024-05-01#`, with nothing `ORDER#`. A prefix that renders empty
//! drops the sort-key condition.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::AttributeValue;
use super::client::{KeyDef, KeyKind, TableInfo};
use super::entity::{EntityDef, KeyTemplate};
use super::request::{Filter, ItemsRequest, RequestKind, SortCondition, SortOp};
use super::value;

/// Index keys from a project table design: index name → (partition key
/// attribute, sort key attribute); the table itself under the key `""`.
pub type DesignKeys = BTreeMap<String, (String, Option<String>)>;

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/// The type of a pattern parameter, checked by [`ParamDef::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    /// Any text.
    String,
    /// A DynamoDB number (see [`value::validate_number`]).
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 date-time with a time zone: `2024-05-01T10:00:00Z`,
    /// `2024-05-01T10:00:00.250+02:00`.
    DateTime,
    /// One of the listed strings (case-sensitive).
    Enum(Vec<String>),
}

impl ParamType {
    /// The type named in config (`string`, `number`, `date`, `datetime`,
    /// `enum`), with the `values` list that only `enum` takes (and needs).
    pub fn parse(name: &str, values: Vec<String>) -> Result<ParamType, String> {
        let kind = match name {
            "string" => ParamType::String,
            "number" => ParamType::Number,
            "date" => ParamType::Date,
            "datetime" => ParamType::DateTime,
            "enum" if values.is_empty() => {
                return Err("type `enum` needs a non-empty `values` list".into());
            }
            "enum" => return Ok(ParamType::Enum(values)),
            other => {
                return Err(format!(
                    "unknown parameter type `{other}` (use string, number, date, datetime or enum)"
                ));
            }
        };
        if values.is_empty() {
            Ok(kind)
        } else {
            Err(format!("`values` is only for type `enum`, not `{name}`"))
        }
    }

    /// The config name of the type (`string`, `number`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Date => "date",
            ParamType::DateTime => "datetime",
            ParamType::Enum(_) => "enum",
        }
    }

    /// A valid value of this type, for checking a filter's syntax when a
    /// parameter has no example or default.
    fn placeholder(&self) -> String {
        match self {
            ParamType::String => "x".into(),
            ParamType::Number => "0".into(),
            ParamType::Date => "2024-01-01".into(),
            ParamType::DateTime => "2024-01-01T00:00:00Z".into(),
            ParamType::Enum(v) => v.first().cloned().unwrap_or_else(|| "x".into()),
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A declared pattern parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDef {
    /// Name, as used in `{name}` placeholders.
    pub name: String,
    /// Type the value must have.
    pub kind: ParamType,
    /// Value used when none is given.
    pub default: Option<String>,
    /// Example value, for `patterns check` and form hints.
    pub example: Option<String>,
    /// One line for the form.
    pub description: Option<String>,
}

impl ParamDef {
    /// A parameter with no default, example or description.
    pub fn new(name: impl Into<String>, kind: ParamType) -> Self {
        ParamDef {
            name: name.into(),
            kind,
            default: None,
            example: None,
            description: None,
        }
    }

    /// Checks a value against the type; the error quotes the value:
    /// "`abc` is not a number", "`2024-13-01` is not a date (YYYY-MM-DD)",
    /// "`x` is not one of PLACED, PAID".
    pub fn check(&self, value: &str) -> Result<(), String> {
        match &self.kind {
            ParamType::String => Ok(()),
            ParamType::Number => {
                value::validate_number(value).map_err(|why| format!("`{value}` {why}"))
            }
            ParamType::Date if is_date(value.as_bytes()) => Ok(()),
            ParamType::Date => Err(format!("`{value}` is not a date (YYYY-MM-DD)")),
            ParamType::DateTime if is_datetime(value.as_bytes()) => Ok(()),
            ParamType::DateTime => Err(format!(
                "`{value}` is not a date-time (RFC 3339, e.g. 2024-05-01T10:00:00Z)"
            )),
            ParamType::Enum(values) if values.iter().any(|v| v == value) => Ok(()),
            ParamType::Enum(values) => {
                Err(format!("`{value}` is not one of {}", values.join(", ")))
            }
        }
    }
}

/// `YYYY-MM-DD`, a real calendar date.
fn is_date(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok_and(|s| super::time::parse_date(s).is_ok())
}

/// RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`
/// (`t` and `z` may be lower case; seconds may be 60, a leap second).
fn is_datetime(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok_and(|s| super::time::parse_datetime(s).is_ok())
}

/// A parameter that has no usable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name.
    pub param: String,
    /// What is wrong: `missing`, or the [`ParamDef::check`] message.
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parameter `{}`: {}", self.param, self.message)
    }
}

// ---------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------

/// A sort-key condition of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortSpec {
    pub op: SortOp,
    /// The (first) value.
    pub value: KeyTemplate,
    /// The upper bound of `between`; must be `None` for the other ops.
    pub value2: Option<KeyTemplate>,
}

/// A saved access pattern; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pattern {
    /// Unique name.
    pub name: String,
    /// One line for the picker.
    pub description: String,
    /// Entity type the results should be.
    pub entity: Option<String>,
    /// GSI or LSI; `None` = the table.
    pub index: Option<String>,
    /// Explicit partition key attribute name (a check); `None` = the index's
    /// partition key from DescribeTable.
    pub pk_attr: Option<String>,
    /// Partition key template; `None` = this pattern is a Scan.
    pub pk: Option<KeyTemplate>,
    /// Explicit sort key attribute name (a check).
    pub sk_attr: Option<String>,
    /// Sort-key condition (Query only).
    pub sk: Option<SortSpec>,
    /// Filter in the language of [`Filter`], with `{param}` placeholders,
    /// e.g. `status = {status} and total >= {minTotal}`.
    pub filter: Option<String>,
    /// Attributes to return; empty = all.
    pub projection: Vec<String>,
    /// Highest sort key first.
    pub descending: bool,
    /// DynamoDB `Limit` (page size).
    pub limit: Option<i32>,
    /// Declared parameters.
    pub params: Vec<ParamDef>,
}

impl Pattern {
    /// A Scan of the table with no parameters; set the other fields as
    /// needed (`Pattern { pk: Some(..), ..Pattern::new("p") }`).
    pub fn new(name: impl Into<String>) -> Self {
        Pattern {
            name: name.into(),
            ..Default::default()
        }
    }

    /// True when the pattern has no partition key, so it reads the whole
    /// table or index with a Scan.
    pub fn needs_scan(&self) -> bool {
        self.pk.is_none()
    }

    /// The declaration of a parameter.
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Every `{param}` used by pk, sk (value, value2) and filter, in order, unique.
    pub fn used_params(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        };
        for t in self.templates() {
            t.params().for_each(&mut add);
        }
        for name in self.filter_params() {
            add(&name);
        }
        out
    }

    /// Whether a value (given or default) is needed for `param`: it is used,
    /// and not only in a `begins_with` sort value (where a missing value ends
    /// the prefix). False for parameters the pattern does not use.
    pub fn is_required(&self, param: &str) -> bool {
        let uses = |t: &KeyTemplate| t.params().any(|p| p == param);
        self.pk.as_ref().is_some_and(uses)
            || self.sk.as_ref().is_some_and(|s| {
                (s.op != SortOp::BeginsWith && uses(&s.value))
                    || s.value2.as_ref().is_some_and(uses)
            })
            || self.filter_params().iter().any(|p| p == param)
    }

    /// Load-time validation against the project: returns messages, each
    /// starting with "pattern `name`:" (empty = ok).
    ///
    /// Checks: parameter declarations (names, no duplicates, enum values,
    /// defaults and examples of the right type); every used parameter is
    /// declared (declared-but-unused is fine); a sort condition needs `pk`;
    /// `between` needs `value2` and the other ops must not have it (the
    /// operator itself is a [`SortOp`]: unknown ones are refused where the
    /// project file is read); `entity`, if set, is declared in `entities`;
    /// `limit` is at least 1; projection names are not empty; the filter
    /// parses once parameters are replaced with their example (else default,
    /// else a placeholder) values. With `design` (the project's table design,
    /// see [`DesignKeys`]): the index exists there, a sort condition is not
    /// on an index without a sort key, and `pk_attr` / `sk_attr`, if set,
    /// are the index's key attributes.
    pub fn validate(&self, entities: &[EntityDef], design: Option<&DesignKeys>) -> Vec<String> {
        let mut out = Vec::new();
        let mut err = |m: String| out.push(format!("pattern `{}`: {m}", self.name));
        if self.name.trim().is_empty() {
            err("the name is empty".into());
        }

        // Parameter declarations.
        let mut seen = BTreeSet::new();
        for p in &self.params {
            if !seen.insert(p.name.as_str()) {
                err(format!("parameter `{}` is declared more than once", p.name));
            }
            if p.name.is_empty()
                || !p
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                err(format!(
                    "parameter `{}` has an invalid name (allowed: A-Z, a-z, 0-9, _)",
                    p.name
                ));
            }
            if matches!(&p.kind, ParamType::Enum(v) if v.is_empty()) {
                err(format!("parameter `{}`: type `enum` needs values", p.name));
            }
            for (what, v) in [("default", &p.default), ("example", &p.example)] {
                if let Some(v) = v
                    && let Err(m) = p.check(v)
                {
                    err(format!("parameter `{}` {what}: {m}", p.name));
                }
            }
        }
        for name in self.used_params() {
            if self.param(&name).is_none() {
                err(format!(
                    "parameter `{name}` is used but not declared in [pattern.params]"
                ));
            }
        }

        // Sort condition.
        if let Some(sk) = &self.sk {
            if self.pk.is_none() {
                err(format!(
                    "sort-key condition `{}` without `pk` (a Scan cannot use one)",
                    sk.op
                ));
            }
            if let Some(m) = sk_op_error(sk) {
                err(m);
            }
        }

        if let Some(e) = &self.entity
            && !entities.iter().any(|d| &d.name == e)
        {
            let names: Vec<&str> = entities.iter().map(|d| d.name.as_str()).collect();
            err(format!(
                "unknown entity `{e}` (declared: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }

        if let Some(design) = design {
            let key = self.index.as_deref().unwrap_or("");
            match design.get(key) {
                None if self.index.is_some() => {
                    let names: Vec<&str> = design
                        .keys()
                        .filter(|k| !k.is_empty())
                        .map(String::as_str)
                        .collect();
                    err(format!(
                        "index `{key}` is not in the table design (indexes: {})",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                }
                None => {}
                Some((pk, sk)) => {
                    let on = self.on_text();
                    if let Some(a) = &self.pk_attr
                        && a != pk
                    {
                        err(format!(
                            "pk_attr `{a}` is not the partition key of {on} (`{pk}`)"
                        ));
                    }
                    match (sk, &self.sk_attr) {
                        (Some(sk), Some(a)) if a != sk => err(format!(
                            "sk_attr `{a}` is not the sort key of {on} (`{sk}`)"
                        )),
                        (None, Some(a)) => err(format!("sk_attr `{a}`, but {on} has no sort key")),
                        _ => {}
                    }
                    if sk.is_none() && self.sk.is_some() {
                        err(format!("sort-key condition on {on}, which has no sort key"));
                    }
                }
            }
        }

        if let Some(l) = self.limit
            && l < 1
        {
            err(format!("limit must be at least 1, not {l}"));
        }
        if self.projection.iter().any(|a| a.trim().is_empty()) {
            err("projection has an empty attribute name".into());
        }

        if let Some(f) = self.filter_text() {
            let values: BTreeMap<String, String> = self
                .used_params()
                .into_iter()
                .map(|name| {
                    let v = match self.param(&name) {
                        Some(d) => d
                            .example
                            .clone()
                            .or_else(|| d.default.clone())
                            .unwrap_or_else(|| d.kind.placeholder()),
                        None => "x".into(),
                    };
                    (name, v)
                })
                .collect();
            match self.substitute_filter(f, &values) {
                Err(m) => err(m),
                Ok(text) => {
                    if let Err(m) = Filter::parse(&text) {
                        if text == f {
                            err(format!("filter `{f}` does not parse: {m}"));
                        } else {
                            err(format!(
                                "filter `{f}` does not parse (with example values: `{text}`): {m}"
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    /// Live check against DescribeTable of the table being opened: the index
    /// exists, `pk_attr` / `sk_attr` are its key attributes, it has a sort
    /// key if the pattern has a sort condition, and the key types fit (a
    /// number parameter alone as a whole N key is fine; a template with
    /// literal text into an N key is not; `begins_with` needs an S or B
    /// sort key). Warnings for the UI, each starting with "pattern `name`:".
    pub fn fit(&self, info: &TableInfo) -> Vec<String> {
        let mut out = Vec::new();
        let mut warn = |m: String| out.push(format!("pattern `{}`: {m}", self.name));
        let Some((pk, sk)) = info.keys_of(self.index.as_deref()) else {
            match &self.index {
                Some(i) => {
                    let names: Vec<&str> = info.indexes.iter().map(|x| x.name.as_str()).collect();
                    warn(format!(
                        "table `{}` has no index `{i}` (indexes: {})",
                        info.name,
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                }
                None => warn(format!("table `{}` has no key schema", info.name)),
            }
            return out;
        };
        let on = self.on_text_of(&info.name);
        if let Some(a) = &self.pk_attr
            && a != &pk.name
        {
            warn(format!(
                "pk_attr `{a}` is not the partition key of {on} (`{}`)",
                pk.name
            ));
        }
        match (sk, &self.sk_attr) {
            (Some(sk), Some(a)) if a != &sk.name => warn(format!(
                "sk_attr `{a}` is not the sort key of {on} (`{}`)",
                sk.name
            )),
            (None, _) if self.sk.is_some() => {
                warn(format!(
                    "the pattern has a sort-key condition, but {on} has no sort key"
                ));
            }
            (None, Some(a)) => warn(format!("sk_attr `{a}`, but {on} has no sort key")),
            _ => {}
        }
        if let Some(t) = &self.pk {
            for m in self.key_type_problems(t, pk, "partition key") {
                warn(m);
            }
        }
        if let (Some(spec), Some(sk)) = (&self.sk, sk) {
            for t in std::iter::once(&spec.value).chain(&spec.value2) {
                for m in self.key_type_problems(t, sk, "sort key") {
                    warn(m);
                }
            }
            if spec.op == SortOp::BeginsWith && sk.kind == Some(KeyKind::N) {
                warn(format!(
                    "begins_with does not work on the number (N) sort key `{}`",
                    sk.name
                ));
            }
        }
        out
    }

    /// Resolves values: the given (non-empty) ones, else defaults; checks
    /// each used parameter that is declared against its type; returns all
    /// errors at once (so a form can show them). A required parameter (see
    /// [`is_required`](Self::is_required)) with no value and no default is
    /// the error `missing`. The result holds every used parameter that has a
    /// value; values given for parameters the pattern does not use are
    /// dropped.
    pub fn resolve(
        &self,
        given: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, Vec<ParamError>> {
        let mut out = BTreeMap::new();
        let mut errors = Vec::new();
        for name in self.used_params() {
            let def = self.param(&name);
            let value = given
                .get(&name)
                .filter(|v| !v.is_empty())
                .cloned()
                .or_else(|| {
                    def.and_then(|d| d.default.clone())
                        .filter(|v| !v.is_empty())
                });
            match value {
                None if self.is_required(&name) => errors.push(ParamError {
                    param: name,
                    message: "missing".into(),
                }),
                None => {}
                Some(v) => match def.map(|d| d.check(&v)) {
                    Some(Err(message)) => errors.push(ParamError {
                        param: name,
                        message,
                    }),
                    _ => {
                        out.insert(name, v);
                    }
                },
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Example values (example, else default) of the declared parameters,
    /// for `patterns check`.
    pub fn example_params(&self) -> BTreeMap<String, String> {
        self.params
            .iter()
            .filter_map(|p| {
                let v = p.example.clone().or_else(|| p.default.clone())?;
                Some((p.name.clone(), v))
            })
            .collect()
    }

    /// Builds the request on `table`, whose DescribeTable output is `info`,
    /// from parameter values (resolved with [`resolve`](Self::resolve)
    /// first, so wrong or missing values fail before any request is made).
    ///
    /// Key attribute names come from `info.keys_of(index)` (`pk_attr` /
    /// `sk_attr` must match them when set) and key values are typed by the
    /// key's S/N/B type ([`typed_value`]). The sort value is rendered with
    /// [`KeyTemplate::render`], except for `begins_with`, which uses
    /// [`KeyTemplate::render_prefix`] so a partially given key still narrows
    /// (an empty prefix drops the condition). Filter placeholders are
    /// substituted as one value each (see the [module docs](self)).
    /// `descending`, `limit` and `projection` are copied onto the request.
    ///
    /// Errors are user-facing and start with "pattern `name`:".
    pub fn compile(
        &self,
        table: &str,
        info: &TableInfo,
        values: &BTreeMap<String, String>,
    ) -> Result<ItemsRequest, String> {
        let err = |m: String| format!("pattern `{}`: {m}", self.name);
        let vals = self.resolve(values).map_err(|es| {
            err(es
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "))
        })?;
        if let Some(l) = self.limit
            && l < 1
        {
            return Err(err(format!("limit must be at least 1, not {l}")));
        }
        let on = self.on_text_of(table);
        let Some((pk_def, sk_def)) = info.keys_of(self.index.as_deref()) else {
            return Err(err(match &self.index {
                Some(i) => format!("table `{table}` has no index `{i}`"),
                None => format!("table `{table}` has no key schema"),
            }));
        };
        let lookup = |p: &str| vals.get(p).cloned();
        let key_value = |text: String, def: &KeyDef, what: &str, t: &KeyTemplate| {
            typed_value(&text, def.kind).map_err(|m| {
                err(format!(
                    "{what} `{}` ({}) from `{}`: {m}",
                    def.name,
                    def.kind_label(),
                    t.source()
                ))
            })
        };

        let kind = match &self.pk {
            None => {
                if let Some(sk) = &self.sk {
                    return Err(err(format!(
                        "sort-key condition `{}` without `pk` (a Scan cannot use one)",
                        sk.op
                    )));
                }
                RequestKind::Scan
            }
            Some(pk_t) => {
                if let Some(a) = &self.pk_attr
                    && a != &pk_def.name
                {
                    return Err(err(format!(
                        "pk_attr `{a}` is not the partition key of {on} (`{}`)",
                        pk_def.name
                    )));
                }
                let text = pk_t.render(lookup).map_err(|e| err(e.to_string()))?;
                let pk = key_value(text, pk_def, "partition key", pk_t)?;
                let sort = match &self.sk {
                    None => None,
                    Some(spec) => {
                        let Some(sk_def) = sk_def else {
                            return Err(err(format!(
                                "sort-key condition on {on}, which has no sort key"
                            )));
                        };
                        if let Some(a) = &self.sk_attr
                            && a != &sk_def.name
                        {
                            return Err(err(format!(
                                "sk_attr `{a}` is not the sort key of {on} (`{}`)",
                                sk_def.name
                            )));
                        }
                        if let Some(m) = sk_op_error(spec) {
                            return Err(err(m));
                        }
                        let cond = if spec.op == SortOp::BeginsWith {
                            if sk_def.kind == Some(KeyKind::N) {
                                return Err(err(format!(
                                    "begins_with does not work on the number (N) sort key `{}`",
                                    sk_def.name
                                )));
                            }
                            let prefix = spec.value.render_prefix(lookup);
                            if prefix.is_empty() {
                                None
                            } else {
                                let v = key_value(prefix, sk_def, "sort key", &spec.value)?;
                                Some(SortCondition::BeginsWith(v))
                            }
                        } else {
                            let render = |t: &KeyTemplate| {
                                let text = t.render(lookup).map_err(|e| err(e.to_string()))?;
                                key_value(text, sk_def, "sort key", t)
                            };
                            let a = render(&spec.value)?;
                            let b = spec.value2.as_ref().map(render).transpose()?;
                            Some(
                                SortCondition::from_op(spec.op, a, b)
                                    .map_err(|e| err(e.to_string()))?,
                            )
                        };
                        cond.map(|c| (sk_def.name.clone(), c))
                    }
                };
                RequestKind::Query {
                    pk_name: pk_def.name.clone(),
                    pk,
                    sort,
                }
            }
        };

        let filter = match self.filter_text() {
            None => None,
            Some(f) => {
                let text = self.substitute_filter(f, &vals).map_err(err)?;
                Some(Filter::parse(&text).map_err(|m| {
                    err(format!(
                        "filter `{f}` does not parse (with the values: `{text}`): {m}"
                    ))
                })?)
            }
        };

        let mut req = ItemsRequest::scan(table);
        req.index = self.index.clone();
        req.kind = kind;
        req.filter = filter;
        req.page_size = self.limit;
        req.forward = !self.descending;
        req.projection = self.projection.clone();
        Ok(req)
    }

    // -- helpers ------------------------------------------------------------

    /// pk, then the sort values.
    fn templates(&self) -> impl Iterator<Item = &KeyTemplate> {
        self.pk.iter().chain(
            self.sk
                .iter()
                .flat_map(|s| std::iter::once(&s.value).chain(&s.value2)),
        )
    }

    /// The filter, unless blank.
    fn filter_text(&self) -> Option<&str> {
        self.filter
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }

    /// Placeholders of the filter, in order (with repeats).
    fn filter_params(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(f) = self.filter_text() {
            let _ = expand_filter(f, |name, _| {
                names.push(name.to_string());
                Ok(String::new())
            });
        }
        names
    }

    /// The filter with placeholders replaced by values: a number parameter's
    /// (valid) value bare, anything else quoted; inside a quoted value,
    /// escaped.
    fn substitute_filter(
        &self,
        filter: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<String, String> {
        expand_filter(filter, |name, quote| {
            let v = values
                .get(name)
                .ok_or_else(|| format!("parameter `{name}`: missing"))?;
            Ok(match quote {
                Some(q) => escape_quoted(v, q),
                None => {
                    let number = matches!(self.param(name), Some(d) if d.kind == ParamType::Number)
                        && value::validate_number(v).is_ok();
                    if number {
                        v.clone()
                    } else {
                        format!("\"{}\"", escape_quoted(v, '"'))
                    }
                }
            })
        })
    }

    /// "index `GSI1`" or "the table".
    fn on_text(&self) -> String {
        match &self.index {
            Some(i) => format!("index `{i}`"),
            None => "the table".into(),
        }
    }

    /// "index `GSI1` of table `t`" or "table `t`".
    fn on_text_of(&self, table: &str) -> String {
        match &self.index {
            Some(i) => format!("index `{i}` of table `{table}`"),
            None => format!("table `{table}`"),
        }
    }

    /// Why a key template cannot produce values of the key's type.
    fn key_type_problems(&self, t: &KeyTemplate, key: &KeyDef, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        let name = &key.name;
        let (kind, type_name) = match key.kind {
            Some(KeyKind::N) => (KeyKind::N, "number (N)"),
            Some(KeyKind::B) => (KeyKind::B, "binary (B)"),
            Some(KeyKind::S) | None => return out,
        };
        if let Some(p) = t.whole_param() {
            if kind == KeyKind::N
                && let Some(d) = self.param(p)
                && d.kind != ParamType::Number
            {
                out.push(format!(
                    "parameter `{p}` is a {} but the {what} `{name}` is a {type_name}",
                    d.kind
                ));
            }
        } else if t.params().next().is_none() {
            if let Err(m) = typed_value(t.literal_prefix(), Some(kind)) {
                out.push(format!("the {what} `{name}` is a {type_name}: {m}"));
            }
        } else {
            out.push(format!(
                "template `{}` has literal text, but the {what} `{name}` is a {type_name}",
                t.source()
            ));
        }
        out
    }
}

/// What is wrong with a sort condition's second value.
fn sk_op_error(sk: &SortSpec) -> Option<String> {
    match (sk.op, &sk.value2) {
        (SortOp::Between, None) => Some("`between` needs a second value (`and`)".into()),
        (op, Some(_)) if op != SortOp::Between => Some(format!(
            "a second value (`and`) is only for `between`, not `{op}`"
        )),
        _ => None,
    }
}

/// Copies filter text with `{{` / `}}` unescaped and each `{name}`
/// placeholder replaced by `sub(name, quote)`, where `quote` is the quote
/// character of the quoted value the placeholder is in (`None` outside
/// quotes). Quotes are tracked as the filter tokenizer does: `"` or `'`
/// opens a quoted value, the same character closes it, and a backslash
/// inside escapes the next character.
fn expand_filter(
    src: &str,
    mut sub: impl FnMut(&str, Option<char>) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(src.len());
    let mut quote: Option<char> = None;
    let mut chars = src.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote.is_some() => {
                out.push(c);
                if let Some((_, d)) = chars.next() {
                    out.push(d);
                }
            }
            '"' | '\'' => {
                match quote {
                    None => quote = Some(c),
                    Some(q) if q == c => quote = None,
                    Some(_) => {}
                }
                out.push(c);
            }
            '{' | '}' if src[i + 1..].starts_with(c) => {
                out.push(c);
                chars.next();
            }
            '{' => {
                let rest = &src[i + 1..];
                let len = rest
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                if len > 0 && rest.as_bytes().get(len) == Some(&b'}') {
                    out.push_str(&sub(&rest[..len], quote)?);
                    // The name is ASCII: one char per byte, then the `}`.
                    for _ in 0..=len {
                        chars.next();
                    }
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Backslash-escapes `\` and the quote character, for inside a quoted value.
fn escape_quoted(v: &str, quote: char) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A key value typed as the key attribute's scalar type (binary values are
/// given as base64; a key of unknown type, `None`, is taken as a string).
/// The error follows the quoted text: "`abc` is not a number".
pub fn typed_value(text: &str, kind: Option<KeyKind>) -> Result<AttributeValue, String> {
    match kind {
        Some(KeyKind::N) => value::validate_number(text)
            .map(|_| AttributeValue::N(text.to_string()))
            .map_err(|why| format!("`{text}` {why}")),
        Some(KeyKind::B) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(|b| AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b)))
                .map_err(|e| {
                    format!("`{text}` is not base64 (binary keys are entered as base64): {e}")
                })
        }
        Some(KeyKind::S) | None => Ok(AttributeValue::S(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::client::IndexInfo;

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

    fn key(name: &str, kind: &str) -> KeyDef {
        KeyDef {
            name: name.into(),
            kind: Some(kind.parse().expect("a key type")),
        }
    }

    fn gsi(name: &str, pk: KeyDef, sk: Option<KeyDef>) -> IndexInfo {
        IndexInfo {
            name: name.into(),
            global: true,
            pk,
            sk,
            projection: "ALL".into(),
            status: None,
            capacity: None,
            item_count: None,
            size_bytes: None,
        }
    }

    /// The demo table: PK/SK strings, GSI1 and GSI2 with string keys.
    fn demo_info() -> TableInfo {
        TableInfo {
            name: "dyntui-demo".into(),
            pk: Some(key("PK", "S")),
            sk: Some(key("SK", "S")),
            indexes: vec![
                gsi("GSI1", key("GSI1PK", "S"), Some(key("GSI1SK", "S"))),
                gsi("GSI2", key("GSI2PK", "S"), Some(key("GSI2SK", "S"))),
            ],
            ..Default::default()
        }
    }

    /// A table with a numeric sort key and an index without a sort key.
    fn events_info() -> TableInfo {
        TableInfo {
            name: "events".into(),
            pk: Some(key("device", "S")),
            sk: Some(key("ts", "N")),
            indexes: vec![gsi("byType", key("type", "S"), None)],
            ..Default::default()
        }
    }

    fn demo_design() -> DesignKeys {
        [
            ("", "PK", Some("SK")),
            ("GSI1", "GSI1PK", Some("GSI1SK")),
            ("GSI2", "GSI2PK", Some("GSI2SK")),
            ("ByEmail", "email", None),
        ]
        .into_iter()
        .map(|(i, pk, sk)| (i.to_string(), (pk.to_string(), sk.map(str::to_string))))
        .collect()
    }

    fn entities() -> Vec<EntityDef> {
        ["Customer", "Order", "OrderItem"]
            .into_iter()
            .map(EntityDef::new)
            .collect()
    }

    fn vals(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn p(name: &str, kind: ParamType) -> ParamDef {
        ParamDef::new(name, kind)
    }

    fn status_enum() -> ParamType {
        ParamType::Enum(vec!["PLACED".into(), "PAID".into(), "SHIPPED".into()])
    }

    fn sort(op: &str, v: &str, v2: Option<&str>) -> Option<SortSpec> {
        Some(SortSpec {
            op: op.parse().expect("a sort op"),
            value: t(v),
            value2: v2.map(t),
        })
    }

    fn query(
        table: &str,
        index: Option<&str>,
        pk_name: &str,
        pk: AttributeValue,
        sort: Option<(&str, SortCondition)>,
    ) -> ItemsRequest {
        let mut r = ItemsRequest::scan(table);
        r.index = index.map(str::to_string);
        r.kind = RequestKind::Query {
            pk_name: pk_name.into(),
            pk,
            sort: sort.map(|(n, c)| (n.to_string(), c)),
        };
        r
    }

    /// A customer's orders on the table; validates cleanly.
    fn customer_orders() -> Pattern {
        Pattern {
            description: "A customer's orders".into(),
            entity: Some("Order".into()),
            pk: Some(t("CUSTOMER#{customerId}")),
            sk: sort("begins_with", "ORDER#{from}", None),
            filter: Some("status = {status}".into()),
            params: vec![
                ParamDef {
                    example: Some("c00001".into()),
                    ..p("customerId", ParamType::String)
                },
                p("from", ParamType::Date),
                ParamDef {
                    default: Some("PAID".into()),
                    ..p("status", status_enum())
                },
            ],
            ..Pattern::new("base")
        }
    }

    // -- parameter types -------------------------------------------------------

    #[test]
    fn param_string_and_number() {
        let d = p("x", ParamType::String);
        for v in ["", "anything", "x and y = 1", "\"'{}"] {
            assert_eq!(d.check(v), Ok(()), "{v:?}");
        }
        let d = p("n", ParamType::Number);
        for v in ["0", "-1", "42", "100.5", "1e10", "-3.25E-2"] {
            assert_eq!(d.check(v), Ok(()), "{v:?}");
        }
        assert_eq!(d.check("abc"), Err("`abc` is not a number".to_string()));
        for v in ["", "1 and y = 2", "+1", "1e400", "0x10", " 1"] {
            let e = d.check(v).unwrap_err();
            assert!(e.starts_with(&format!("`{v}` ")), "{v:?}: {e}");
        }
    }

    #[test]
    fn param_date() {
        let d = p("d", ParamType::Date);
        for v in [
            "2024-05-01",
            "2024-02-29",
            "2000-02-29",
            "2023-02-28",
            "2024-12-31",
            "2024-04-30",
            "0001-01-01",
        ] {
            assert_eq!(d.check(v), Ok(()), "{v}");
        }
        assert_eq!(
            d.check("2024-13-01"),
            Err("`2024-13-01` is not a date (YYYY-MM-DD)".to_string())
        );
        for v in [
            "2023-02-29",
            "1900-02-29",
            "2024-02-30",
            "2024-04-31",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "2024-01-01 ",
            "2024-01-01T00:00:00Z",
            "2024-0a-01",
            "",
            "2024-05-0ü",
        ] {
            assert!(d.check(v).is_err(), "{v:?}");
        }
    }

    #[test]
    fn param_datetime() {
        let d = p("t", ParamType::DateTime);
        for v in [
            "2024-05-01T10:00:00Z",
            "2024-05-01t10:00:00z",
            "2024-05-01T10:00:00+02:00",
            "2024-05-01T23:59:59-05:30",
            "2024-05-01T10:00:00.250Z",
            "2024-05-01T10:00:00.123456789+00:00",
            "2016-12-31T23:59:60Z",
            "2024-02-29T00:00:00Z",
        ] {
            assert_eq!(d.check(v), Ok(()), "{v}");
        }
        assert_eq!(
            d.check("x"),
            Err("`x` is not a date-time (RFC 3339, e.g. 2024-05-01T10:00:00Z)".to_string())
        );
        for v in [
            "2024-05-01",
            "2024-05-01T10:00:00",
            "2024-05-01 10:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:60:00Z",
            "2024-05-01T10:00:61Z",
            "2024-05-01T10:00Z",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+2:00",
            "2024-05-01T10:00:00+02",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00+02:60",
            "2023-02-29T10:00:00Z",
            "2024-05-01T10:00:00ZZ",
            "2024-05-01T10:00:00Ü",
            "2024-05-01T1ü:00:00Z",
        ] {
            assert!(d.check(v).is_err(), "{v:?}");
        }
    }

    #[test]
    fn param_enum() {
        let d = p("status", status_enum());
        assert_eq!(d.check("PAID"), Ok(()));
        assert_eq!(
            d.check("x"),
            Err("`x` is not one of PLACED, PAID, SHIPPED".to_string())
        );
        assert!(d.check("paid").is_err(), "case-sensitive");
        assert!(d.check("").is_err());
    }

    #[test]
    fn param_type_from_config() {
        assert_eq!(ParamType::parse("string", vec![]), Ok(ParamType::String));
        assert_eq!(ParamType::parse("number", vec![]), Ok(ParamType::Number));
        assert_eq!(ParamType::parse("date", vec![]), Ok(ParamType::Date));
        assert_eq!(
            ParamType::parse("datetime", vec![]),
            Ok(ParamType::DateTime)
        );
        assert_eq!(
            ParamType::parse("enum", vec!["A".into()]),
            Ok(ParamType::Enum(vec!["A".into()]))
        );
        assert!(
            ParamType::parse("enum", vec![])
                .unwrap_err()
                .contains("values")
        );
        assert!(
            ParamType::parse("number", vec!["1".into()])
                .unwrap_err()
                .contains("only for type `enum`")
        );
        assert!(
            ParamType::parse("int", vec![])
                .unwrap_err()
                .contains("`int`")
        );
        for k in [
            ParamType::String,
            ParamType::Number,
            ParamType::Date,
            ParamType::DateTime,
        ] {
            assert_eq!(ParamType::parse(k.name(), vec![]), Ok(k.clone()));
        }
    }

    // -- parameters of a pattern -----------------------------------------------

    #[test]
    fn used_params_in_order_and_unique() {
        let pat = Pattern {
            pk: Some(t("T#{tenant}#C#{customerId}")),
            sk: sort("between", "ORDER#{from}", Some("ORDER#{to}#{tenant}")),
            filter: Some(
                "status = {status} and total >= {min} and owner = {customerId} and note = \"{{x}}\""
                    .into(),
            ),
            ..Pattern::new("p")
        };
        assert_eq!(
            pat.used_params(),
            ["tenant", "customerId", "from", "to", "status", "min"]
        );
        assert!(!pat.needs_scan());
        assert!(Pattern::new("s").needs_scan());
        assert!(Pattern::new("s").used_params().is_empty());
    }

    #[test]
    fn begins_with_only_params_are_optional() {
        let pat = Pattern {
            pk: Some(t("CUSTOMER#{customerId}")),
            sk: sort("begins_with", "ORDER#{orderDate}#{orderId}", None),
            filter: Some("orderId <> {skip}".into()),
            ..Pattern::new("p")
        };
        assert!(pat.is_required("customerId"));
        assert!(!pat.is_required("orderDate"));
        // Also in the filter: required.
        assert!(pat.is_required("skip"));
        assert!(!pat.is_required("unused"));
        let pat = Pattern {
            sk: sort("=", "ORDER#{orderDate}", None),
            ..pat
        };
        assert!(pat.is_required("orderDate"));
    }

    #[test]
    fn resolve_uses_defaults_and_reports_every_error() {
        let pat = Pattern {
            pk: Some(t("CUSTOMER#{customerId}")),
            sk: sort("begins_with", "ORDER#{from}", None),
            filter: Some("status = {status} and total >= {minTotal}".into()),
            params: vec![
                p("customerId", ParamType::String),
                p("from", ParamType::Date),
                ParamDef {
                    default: Some("PAID".into()),
                    ..p("status", status_enum())
                },
                p("minTotal", ParamType::Number),
                ParamDef {
                    default: Some("not checked".into()),
                    ..p("unused", ParamType::Number)
                },
            ],
            ..Pattern::new("p")
        };
        let got = pat
            .resolve(&vals(&[
                ("customerId", "c1"),
                ("minTotal", "10"),
                ("other", "dropped"),
            ]))
            .expect("resolves");
        assert_eq!(
            got,
            vals(&[("customerId", "c1"), ("minTotal", "10"), ("status", "PAID")])
        );
        // Given beats default; an empty value is not given.
        let got = pat
            .resolve(&vals(&[
                ("customerId", "c1"),
                ("minTotal", "10"),
                ("status", "SHIPPED"),
                ("from", ""),
            ]))
            .expect("resolves");
        assert_eq!(got.get("status").map(String::as_str), Some("SHIPPED"));
        assert!(!got.contains_key("from"));
        let got = pat
            .resolve(&vals(&[("minTotal", "10"), ("status", "")]))
            .unwrap_err();
        assert_eq!(
            got,
            vec![ParamError {
                param: "customerId".into(),
                message: "missing".into()
            }]
        );
        // All errors at once, in use order.
        let errs = pat
            .resolve(&vals(&[
                ("from", "2024-02-30"),
                ("status", "LOST"),
                ("minTotal", "lots"),
            ]))
            .unwrap_err();
        assert_eq!(
            errs,
            vec![
                ParamError {
                    param: "customerId".into(),
                    message: "missing".into()
                },
                ParamError {
                    param: "from".into(),
                    message: "`2024-02-30` is not a date (YYYY-MM-DD)".into()
                },
                ParamError {
                    param: "status".into(),
                    message: "`LOST` is not one of PLACED, PAID, SHIPPED".into()
                },
                ParamError {
                    param: "minTotal".into(),
                    message: "`lots` is not a number".into()
                },
            ]
        );
        assert_eq!(
            errs[3].to_string(),
            "parameter `minTotal`: `lots` is not a number"
        );
    }

    #[test]
    fn example_params_prefer_example_then_default() {
        let pat = Pattern {
            params: vec![
                ParamDef {
                    example: Some("c00001".into()),
                    default: Some("c0".into()),
                    ..p("customerId", ParamType::String)
                },
                ParamDef {
                    default: Some("PAID".into()),
                    ..p("status", status_enum())
                },
                p("bare", ParamType::Number),
            ],
            ..Pattern::new("p")
        };
        assert_eq!(
            pat.example_params(),
            vals(&[("customerId", "c00001"), ("status", "PAID")])
        );
    }

    // -- validate ----------------------------------------------------------------

    #[test]
    fn validate_accepts_a_good_pattern() {
        assert_eq!(
            customer_orders().validate(&entities(), Some(&demo_design())),
            Vec::<String>::new()
        );
        assert_eq!(
            customer_orders().validate(&entities(), None),
            Vec::<String>::new()
        );
        let gsi = Pattern {
            index: Some("GSI1".into()),
            pk_attr: Some("GSI1PK".into()),
            sk_attr: Some("GSI1SK".into()),
            pk: Some(t("PRODUCT#{sku}")),
            sk: sort("between", "ORDER#{a}", Some("ORDER#{b}")),
            params: vec![
                p("sku", ParamType::String),
                p("a", ParamType::String),
                p("b", ParamType::String),
                p("declaredButUnused", ParamType::Number),
            ],
            limit: Some(1),
            ..Pattern::new("gsi")
        };
        assert_eq!(
            gsi.validate(&entities(), Some(&demo_design())),
            Vec::<String>::new()
        );
        let scan = Pattern {
            index: Some("ByEmail".into()),
            ..Pattern::new("scan")
        };
        assert_eq!(
            scan.validate(&[], Some(&demo_design())),
            Vec::<String>::new()
        );
    }

    #[test]
    fn validate_reports_each_error_naming_pattern_and_thing() {
        type Change = fn(&mut Pattern);
        let cases: Vec<(&str, Change, &[&str])> = vec![
            (
                "undeclared param",
                |p| p.filter = Some("status = {status} and total > {minTotal}".into()),
                &["parameter `minTotal`", "not declared"],
            ),
            (
                "undeclared key param",
                |p| p.pk = Some(t("CUSTOMER#{custId}")),
                &["parameter `custId`", "not declared"],
            ),
            (
                "unknown entity",
                |p| p.entity = Some("Ordr".into()),
                &["unknown entity `Ordr`", "Customer, Order, OrderItem"],
            ),
            (
                "unknown index",
                |p| p.index = Some("GSI9".into()),
                &[
                    "index `GSI9`",
                    "not in the table design",
                    "ByEmail, GSI1, GSI2",
                ],
            ),
            (
                "sort on index without sort key",
                |p| p.index = Some("ByEmail".into()),
                &["index `ByEmail`", "no sort key"],
            ),
            (
                "pk_attr not the index key",
                |p| {
                    p.index = Some("GSI1".into());
                    p.pk_attr = Some("PK".into());
                },
                &["pk_attr `PK`", "index `GSI1`", "`GSI1PK`"],
            ),
            (
                "sk_attr not the index key",
                |p| p.sk_attr = Some("GSI1SK".into()),
                &["sk_attr `GSI1SK`", "the table", "`SK`"],
            ),
            (
                "between without value2",
                |p| p.sk = sort("between", "ORDER#{from}", None),
                &["`between`", "second value"],
            ),
            (
                "value2 on another op",
                |p| p.sk = sort(">=", "ORDER#{from}", Some("ORDER#")),
                &["only for `between`", "`>=`"],
            ),
            (
                "sort without pk",
                |p| p.pk = None,
                &["without `pk`", "`begins_with`"],
            ),
            (
                "filter does not parse",
                |p| p.filter = Some("status = {status} or total > 1".into()),
                &[
                    "filter `status = {status} or total > 1`",
                    "does not parse",
                    "column",
                ],
            ),
            (
                "bad default",
                |p| p.params[1].default = Some("2024-02-30".into()),
                &["parameter `from` default", "`2024-02-30` is not a date"],
            ),
            (
                "bad example",
                |p| p.params[2].example = Some("LOST".into()),
                &["parameter `status` example", "`LOST` is not one of"],
            ),
            (
                "duplicate param",
                |p| p.params.push(p.params[0].clone()),
                &["parameter `customerId`", "more than once"],
            ),
            (
                "bad param name",
                |p| p.params.push(ParamDef::new("my-param", ParamType::String)),
                &["parameter `my-param`", "invalid name"],
            ),
            (
                "enum without values",
                |p| p.params.push(ParamDef::new("e", ParamType::Enum(vec![]))),
                &["parameter `e`", "needs values"],
            ),
            (
                "zero limit",
                |p| p.limit = Some(0),
                &["limit", "at least 1"],
            ),
            (
                "empty projection name",
                |p| p.projection = vec!["a".into(), " ".into()],
                &["projection", "empty"],
            ),
        ];
        for (what, change, needles) in cases {
            let mut pat = customer_orders();
            change(&mut pat);
            let msgs = pat.validate(&entities(), Some(&demo_design()));
            assert_eq!(msgs.len(), 1, "{what}: {msgs:?}");
            assert!(msgs[0].starts_with("pattern `base`: "), "{what}: {msgs:?}");
            for needle in needles {
                assert!(msgs[0].contains(needle), "{what}: {needle:?} in {msgs:?}");
            }
        }
        // "op not allowed": an unknown operator is refused where its text
        // is read (SortSpec holds a SortOp), with the same message.
        let e = "~=".parse::<SortOp>().unwrap_err().to_string();
        for needle in ["unknown sort-key operator `~=`", "begins_with"] {
            assert!(e.contains(needle), "{needle:?} in {e}");
        }
    }

    #[test]
    fn validate_filter_uses_example_values() {
        // The example makes the filter text unparseable... only because the
        // value is substituted as one quoted value, it never does.
        let mut pat = customer_orders();
        pat.params[2].example = Some("PAID".into());
        pat.filter = Some("status = {status} and total between {lo} and {hi}".into());
        pat.params.push(p("lo", ParamType::Number));
        pat.params.push(ParamDef {
            example: Some("99".into()),
            ..p("hi", ParamType::Number)
        });
        assert_eq!(pat.validate(&entities(), None), Vec::<String>::new());
        // A broken filter names the substituted text too.
        pat.filter = Some("status = {status} and".into());
        let msgs = pat.validate(&entities(), None);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("`status = \"PAID\" and`"), "{msgs:?}");
    }

    // -- compile -----------------------------------------------------------------

    /// Every sort op on `info`'s `index` for a pattern with the given
    /// templates; `values` must give `from` and `to`.
    fn every_op(
        info: &TableInfo,
        pat: Pattern,
        values: &BTreeMap<String, String>,
        want: &dyn Fn(&str) -> (AttributeValue, Option<SortCondition>),
    ) {
        let ops: Vec<&str> = SortOp::ALL.iter().map(|o| o.as_str()).collect();
        for op in ops {
            let (pk, cond) = want(op);
            let (v1, v2) = (
                pat.sk.as_ref().map(|s| s.value.source().to_string()),
                pat.sk
                    .as_ref()
                    .and_then(|s| s.value2.as_ref())
                    .map(|t| t.source().to_string()),
            );
            let v1 = v1.expect("pattern has a sort value");
            let pat = Pattern {
                sk: sort(op, &v1, if op == "between" { v2.as_deref() } else { None }),
                ..pat.clone()
            };
            let req = pat
                .compile(&info.name, info, values)
                .unwrap_or_else(|e| panic!("{op}: {e}"));
            let (pk_name, sk_name) = match info.keys_of(pat.index.as_deref()) {
                Some((pk, sk)) => (pk.name.clone(), sk.map(|s| s.name.clone())),
                None => panic!("no keys"),
            };
            let want_req = query(
                &info.name,
                pat.index.as_deref(),
                &pk_name,
                pk,
                cond.map(|c| (sk_name.as_deref().unwrap_or("?"), c)),
            );
            assert_eq!(req, want_req, "{op}");
            assert!(req.projection.is_empty());
        }
    }

    #[test]
    fn compile_every_sort_op_on_the_table() {
        let pat = Pattern {
            pk: Some(t("CUSTOMER#{customerId}")),
            sk: sort("=", "ORDER#{from}", Some("ORDER#{to}")),
            params: vec![
                p("customerId", ParamType::String),
                p("from", ParamType::Date),
                p("to", ParamType::Date),
            ],
            ..Pattern::new("orders")
        };
        let values = vals(&[
            ("customerId", "c1"),
            ("from", "2024-05-01"),
            ("to", "2024-06-01"),
        ]);
        let a = || s("ORDER#2024-05-01");
        every_op(&demo_info(), pat, &values, &|op| {
            let cond = match op {
                "=" => SortCondition::Eq(a()),
                "<" => SortCondition::Lt(a()),
                "<=" => SortCondition::Le(a()),
                ">" => SortCondition::Gt(a()),
                ">=" => SortCondition::Ge(a()),
                "begins_with" => SortCondition::BeginsWith(a()),
                "between" => SortCondition::Between(a(), s("ORDER#2024-06-01")),
                other => panic!("untested op {other}"),
            };
            (s("CUSTOMER#c1"), Some(cond))
        });
        // The key condition as DynamoDB sees it, for one op.
        let pat = Pattern {
            pk: Some(t("CUSTOMER#{customerId}")),
            sk: sort("between", "ORDER#{from}", Some("ORDER#{to}")),
            params: vec![
                p("customerId", ParamType::String),
                p("from", ParamType::Date),
                p("to", ParamType::Date),
            ],
            ..Pattern::new("orders")
        };
        let req = pat
            .compile("dyntui-demo", &demo_info(), &values)
            .expect("compiles");
        let c = req.compile();
        assert_eq!(
            c.key_condition.as_deref(),
            Some("#pk = :pk AND #sk BETWEEN :sk1 AND :sk2")
        );
        assert_eq!(c.names.get("#pk").map(String::as_str), Some("PK"));
        assert_eq!(c.names.get("#sk").map(String::as_str), Some("SK"));
        assert_eq!(c.values.get(":sk2"), Some(&s("ORDER#2024-06-01")));
        assert_eq!(c.index, None);
        assert_eq!(c.filter, None);
    }

    #[test]
    fn compile_every_sort_op_on_a_gsi() {
        let pat = Pattern {
            index: Some("GSI1".into()),
            pk_attr: Some("GSI1PK".into()),
            sk_attr: Some("GSI1SK".into()),
            pk: Some(t("PRODUCT#{sku}")),
            sk: sort("=", "ORDER#{from}", Some("ORDER#{to}")),
            params: vec![
                p("sku", ParamType::String),
                p("from", ParamType::String),
                p("to", ParamType::String),
            ],
            ..Pattern::new("product-orders")
        };
        let values = vals(&[("sku", "p-1"), ("from", "o-100"), ("to", "o-200")]);
        let a = || s("ORDER#o-100");
        every_op(&demo_info(), pat.clone(), &values, &|op| {
            let cond = match op {
                "=" => SortCondition::Eq(a()),
                "<" => SortCondition::Lt(a()),
                "<=" => SortCondition::Le(a()),
                ">" => SortCondition::Gt(a()),
                ">=" => SortCondition::Ge(a()),
                "begins_with" => SortCondition::BeginsWith(a()),
                "between" => SortCondition::Between(a(), s("ORDER#o-200")),
                other => panic!("untested op {other}"),
            };
            (s("PRODUCT#p-1"), Some(cond))
        });
        let pat = Pattern {
            sk: sort("=", "ORDER#{from}", None),
            ..pat
        };
        let req = pat
            .compile("dyntui-demo", &demo_info(), &values)
            .expect("compiles");
        assert_eq!(
            req,
            query(
                "dyntui-demo",
                Some("GSI1"),
                "GSI1PK",
                s("PRODUCT#p-1"),
                Some(("GSI1SK", SortCondition::Eq(a())))
            )
        );
        let c = req.compile();
        assert_eq!(c.index.as_deref(), Some("GSI1"));
        assert_eq!(c.names.get("#pk").map(String::as_str), Some("GSI1PK"));
        assert_eq!(c.names.get("#sk").map(String::as_str), Some("GSI1SK"));
    }

    #[test]
    fn compile_numeric_sort_key() {
        let pat = Pattern {
            pk: Some(t("DEVICE#{device}")),
            sk: sort("=", "{from}", Some("{to}")),
            params: vec![
                p("device", ParamType::String),
                p("from", ParamType::Number),
                p("to", ParamType::Number),
            ],
            ..Pattern::new("readings")
        };
        let values = vals(&[
            ("device", "d7"),
            ("from", "1700000000"),
            ("to", "1700003600"),
        ]);
        let info = events_info();
        let a = || n("1700000000");
        let ops: Vec<&str> = SortOp::ALL.iter().map(|o| o.as_str()).collect();
        for op in ops.iter().filter(|o| **o != "begins_with") {
            let pat = Pattern {
                sk: sort(op, "{from}", (*op == "between").then_some("{to}")),
                ..pat.clone()
            };
            let cond = match *op {
                "=" => SortCondition::Eq(a()),
                "<" => SortCondition::Lt(a()),
                "<=" => SortCondition::Le(a()),
                ">" => SortCondition::Gt(a()),
                ">=" => SortCondition::Ge(a()),
                "between" => SortCondition::Between(a(), n("1700003600")),
                other => panic!("untested op {other}"),
            };
            let req = pat.compile("events", &info, &values).expect("compiles");
            assert_eq!(
                req,
                query("events", None, "device", s("DEVICE#d7"), Some(("ts", cond))),
                "{op}"
            );
        }
        // begins_with cannot work on a number key.
        let bw = Pattern {
            sk: sort("begins_with", "{from}", None),
            ..pat.clone()
        };
        let e = bw.compile("events", &info, &values).unwrap_err();
        assert!(e.starts_with("pattern `readings`: "), "{e}");
        assert!(e.contains("begins_with") && e.contains("`ts`"), "{e}");
        // Literal text into a number key.
        let lit = Pattern {
            sk: sort(">=", "T#{from}", None),
            ..pat.clone()
        };
        let e = lit.compile("events", &info, &values).unwrap_err();
        assert!(e.contains("sort key `ts` (N)"), "{e}");
        assert!(e.contains("`T#1700000000` is not a number"), "{e}");
        // A string parameter alone into the number key: the value decides.
        let as_string = Pattern {
            sk: sort(">=", "{at}", None),
            params: vec![p("device", ParamType::String), p("at", ParamType::String)],
            ..pat.clone()
        };
        let req = as_string
            .compile("events", &info, &vals(&[("device", "d7"), ("at", "5")]))
            .expect("compiles");
        assert!(matches!(
            req.kind,
            RequestKind::Query { sort: Some((_, SortCondition::Ge(AttributeValue::N(ref v)))), .. } if v == "5"
        ));
        assert!(
            as_string
                .compile("events", &info, &vals(&[("device", "d7"), ("at", "soon")]))
                .unwrap_err()
                .contains("`soon` is not a number")
        );
    }

    #[test]
    fn compile_begins_with_partial_params() {
        let pat = Pattern {
            pk: Some(t("CUSTOMER#{customerId}")),
            sk: sort("begins_with", "ORDER#{orderDate}#{orderId}", None),
            params: vec![
                p("customerId", ParamType::String),
                p("orderDate", ParamType::Date),
                p("orderId", ParamType::String),
            ],
            ..Pattern::new("orders")
        };
        let info = demo_info();
        let run = |given: &[(&str, &str)]| {
            let req = pat
                .compile("dyntui-demo", &info, &vals(given))
                .expect("compiles");
            req.kind
        };
        let bw = |v: &str| RequestKind::Query {
            pk_name: "PK".into(),
            pk: s("CUSTOMER#c1"),
            sort: Some(("SK".into(), SortCondition::BeginsWith(s(v)))),
        };
        assert_eq!(run(&[("customerId", "c1")]), bw("ORDER#"));
        assert_eq!(
            run(&[("customerId", "c1"), ("orderDate", "2024-05-01")]),
            bw("ORDER#2024-05-01#")
        );
        assert_eq!(
            run(&[
                ("customerId", "c1"),
                ("orderDate", "2024-05-01"),
                ("orderId", "o-7")
            ]),
            bw("ORDER#2024-05-01#o-7")
        );
        // A later value without the earlier one does not narrow.
        assert_eq!(
            run(&[("customerId", "c1"), ("orderId", "o-7")]),
            bw("ORDER#")
        );
        // Optional values are still type-checked.
        let e = pat
            .compile(
                "dyntui-demo",
                &info,
                &vals(&[("customerId", "c1"), ("orderDate", "May")]),
            )
            .unwrap_err();
        assert!(e.contains("parameter `orderDate`"), "{e}");
        // A prefix that renders empty drops the condition.
        let bare = Pattern {
            sk: sort("begins_with", "{orderDate}#{orderId}", None),
            ..pat.clone()
        };
        let req = bare
            .compile("dyntui-demo", &info, &vals(&[("customerId", "c1")]))
            .expect("compiles");
        assert_eq!(
            req.kind,
            RequestKind::Query {
                pk_name: "PK".into(),
                pk: s("CUSTOMER#c1"),
                sort: None
            }
        );
    }

    #[test]
    fn compile_scan_pattern_on_an_index() {
        let pat = Pattern {
            index: Some("GSI2".into()),
            filter: Some("category = {category} and price < {max}".into()),
            params: vec![
                p("category", ParamType::String),
                p("max", ParamType::Number),
            ],
            limit: Some(50),
            ..Pattern::new("cheap")
        };
        assert!(pat.needs_scan());
        let req = pat
            .compile(
                "dyntui-demo",
                &demo_info(),
                &vals(&[("category", "books"), ("max", "20")]),
            )
            .expect("compiles");
        assert_eq!(req.kind, RequestKind::Scan);
        assert!(req.is_scan());
        assert_eq!(req.index.as_deref(), Some("GSI2"));
        assert_eq!(req.page_size, Some(50));
        assert!(req.projection.is_empty());
        let c = req.compile();
        assert_eq!(c.index.as_deref(), Some("GSI2"));
        assert_eq!(c.key_condition, None);
        assert_eq!(c.filter.as_deref(), Some("#f0 = :f0 AND #f1 < :f1"));
        assert_eq!(
            c.values,
            [
                (":f0".to_string(), s("books")),
                (":f1".to_string(), n("20"))
            ]
            .into_iter()
            .collect()
        );
        // A scan of the table itself.
        let req = Pattern::new("all")
            .compile("dyntui-demo", &demo_info(), &BTreeMap::new())
            .expect("compiles");
        assert_eq!(req, ItemsRequest::scan("dyntui-demo"));
    }

    #[test]
    fn compile_substitutes_filter_placeholders() {
        let pat = Pattern {
            pk: Some(t("CUSTOMER#{customerId}")),
            filter: Some("status = {status} and total >= {minTotal}".into()),
            params: vec![
                p("customerId", ParamType::String),
                ParamDef {
                    default: Some("PAID".into()),
                    ..p("status", status_enum())
                },
                p("minTotal", ParamType::Number),
            ],
            ..Pattern::new("big-orders")
        };
        let req = pat
            .compile(
                "dyntui-demo",
                &demo_info(),
                &vals(&[("customerId", "c1"), ("minTotal", "100.5")]),
            )
            .expect("compiles");
        assert_eq!(
            req.filter.as_ref().map(|f| f.source.as_str()),
            Some("status = \"PAID\" and total >= 100.5")
        );
        let c = req.compile();
        assert_eq!(c.key_condition.as_deref(), Some("#pk = :pk"));
        assert_eq!(c.filter.as_deref(), Some("#f0 = :f0 AND #f1 >= :f1"));
        assert_eq!(
            c.names,
            [("#pk", "PK"), ("#f0", "status"), ("#f1", "total")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        );
        assert_eq!(
            c.values,
            [
                (":pk".to_string(), s("CUSTOMER#c1")),
                (":f0".to_string(), s("PAID")),
                (":f1".to_string(), n("100.5")),
            ]
            .into_iter()
            .collect()
        );
    }

    #[test]
    fn filter_values_cannot_change_the_expression() {
        let pat = Pattern {
            filter: Some(
                "note = {note} and zip = {zip} and title begins_with 'Hi {name}!' and code = \"{n}\" and raw = \"{{n}}\""
                    .into(),
            ),
            params: vec![
                p("note", ParamType::String),
                p("zip", ParamType::String),
                p("name", ParamType::String),
                p("n", ParamType::Number),
            ],
            ..Pattern::new("inject")
        };
        assert_eq!(pat.used_params(), ["note", "zip", "name", "n"]);
        let cases = [
            "x and y = 1",
            "a \"b\" \\c",
            "\\",
            "end\\\"",
            "' or 1 = 1",
            "{n}",
            "",
        ];
        for evil in cases {
            let given = vals(&[
                ("note", if evil.is_empty() { "plain" } else { evil }),
                ("zip", "01234"),
                ("name", &format!("O'Brien {evil}")),
                ("n", "42"),
            ]);
            let req = pat
                .compile("t", &demo_info(), &given)
                .unwrap_or_else(|e| panic!("{evil:?}: {e}"));
            let c = req.compile();
            assert_eq!(
                c.filter.as_deref(),
                Some(
                    "#f0 = :f0 AND #f1 = :f1 AND begins_with(#f2, :f2) AND #f3 = :f3 AND #f4 = :f4"
                ),
                "{evil:?}"
            );
            assert_eq!(c.names.len(), 5, "{evil:?}: {:?}", c.names);
            let note = if evil.is_empty() { "plain" } else { evil };
            assert_eq!(
                c.values,
                [
                    (":f0".to_string(), s(note)),
                    // A string parameter stays a string even if it looks
                    // like a number.
                    (":f1".to_string(), s("01234")),
                    (":f2".to_string(), s(&format!("Hi O'Brien {evil}!"))),
                    // Inside quotes a number is text.
                    (":f3".to_string(), s("42")),
                    // `{{n}}` is the literal `{n}`.
                    (":f4".to_string(), s("{n}")),
                ]
                .into_iter()
                .collect(),
                "{evil:?}"
            );
        }
        // A number parameter cannot smuggle in text: it is checked first.
        let pat = Pattern {
            filter: Some("total > {n}".into()),
            params: vec![p("n", ParamType::Number)],
            ..Pattern::new("inject")
        };
        let e = pat
            .compile("t", &demo_info(), &vals(&[("n", "1 or y = 2")]))
            .unwrap_err();
        assert!(
            e.contains("parameter `n`") && e.contains("is not a number"),
            "{e}"
        );
    }

    #[test]
    fn compile_rejects_bad_values_before_building() {
        let pat = customer_orders();
        let e = pat
            .compile("dyntui-demo", &demo_info(), &vals(&[("status", "PAID")]))
            .unwrap_err();
        assert_eq!(e, "pattern `base`: parameter `customerId`: missing");
        let e = pat
            .compile(
                "dyntui-demo",
                &demo_info(),
                &vals(&[
                    ("customerId", "c1"),
                    ("status", "LOST"),
                    ("from", "2024-13-01"),
                ]),
            )
            .unwrap_err();
        assert_eq!(
            e,
            "pattern `base`: parameter `from`: `2024-13-01` is not a date (YYYY-MM-DD); \
parameter `status`: `LOST` is not one of PLACED, PAID, SHIPPED"
        );
    }

    #[test]
    fn compile_checks_the_table() {
        let values = vals(&[("customerId", "c1"), ("from", "2024-05-01")]);
        let info = demo_info();
        let with = |f: fn(&mut Pattern)| {
            let mut p = customer_orders();
            f(&mut p);
            p.compile("dyntui-demo", &info, &values).unwrap_err()
        };
        let e = with(|p| p.index = Some("GSI9".into()));
        assert_eq!(e, "pattern `base`: table `dyntui-demo` has no index `GSI9`");
        let e = with(|p| p.pk_attr = Some("GSI1PK".into()));
        assert!(
            e.contains("pk_attr `GSI1PK` is not the partition key of table `dyntui-demo` (`PK`)"),
            "{e}"
        );
        let e = with(|p| p.sk_attr = Some("GSI1SK".into()));
        assert!(e.contains("sk_attr `GSI1SK`") && e.contains("`SK`"), "{e}");
        let e = with(|p| p.sk = sort("between", "ORDER#{from}", None));
        assert!(e.contains("`between` needs a second value"), "{e}");
        // An unknown operator cannot reach a pattern: it is refused where
        // the text is read (the project file, see config's tests).
        let e = "~".parse::<SortOp>().unwrap_err().to_string();
        assert!(e.contains("unknown sort-key operator `~`"), "{e}");
        let e = with(|p| p.pk = None);
        assert!(e.contains("without `pk`"), "{e}");
        let e = with(|p| p.limit = Some(0));
        assert!(e.contains("limit"), "{e}");
        let e = with(|p| p.filter = Some("status = {status} or x = 1".into()));
        assert!(e.starts_with("pattern `base`: filter"), "{e}");
        // Sort condition on an index without a sort key.
        let pat = Pattern {
            index: Some("byType".into()),
            pk: Some(t("{type}")),
            sk: sort("=", "x", None),
            params: vec![p("type", ParamType::String)],
            ..Pattern::new("types")
        };
        let e = pat
            .compile("events", &events_info(), &vals(&[("type", "boot")]))
            .unwrap_err();
        assert_eq!(
            e,
            "pattern `types`: sort-key condition on index `byType` of table `events`, which has no sort key"
        );
        let ok = Pattern { sk: None, ..pat };
        let req = ok
            .compile("events", &events_info(), &vals(&[("type", "boot")]))
            .expect("compiles");
        assert_eq!(
            req,
            query("events", Some("byType"), "type", s("boot"), None)
        );
    }

    #[test]
    fn compile_copies_direction_limit_and_projection() {
        let pat = Pattern {
            descending: true,
            limit: Some(25),
            projection: vec!["orderId".into(), "total".into()],
            ..customer_orders()
        };
        let req = pat
            .compile("dyntui-demo", &demo_info(), &vals(&[("customerId", "c1")]))
            .expect("compiles");
        let mut want = query(
            "dyntui-demo",
            None,
            "PK",
            s("CUSTOMER#c1"),
            Some(("SK", SortCondition::BeginsWith(s("ORDER#")))),
        );
        want.forward = false;
        want.page_size = Some(25);
        want.filter = Some(Filter::parse("status = \"PAID\"").expect("parses"));
        want.projection = vec!["orderId".into(), "total".into()];
        assert_eq!(req, want);
        assert_eq!(req.compile().projection.as_deref(), Some("#p0, #p1"));
        assert!(req.describe().contains("(descending)"));
    }

    #[test]
    fn typed_values_follow_key_types() {
        assert_eq!(typed_value("42", Some(KeyKind::N)), Ok(n("42")));
        assert_eq!(
            typed_value("4x", Some(KeyKind::N)),
            Err("`4x` is not a number".to_string())
        );
        assert_eq!(typed_value("42", Some(KeyKind::S)), Ok(s("42")));
        assert_eq!(
            typed_value("aGk=", Some(KeyKind::B)),
            Ok(AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
                b"hi".to_vec()
            )))
        );
        assert!(
            typed_value("!!", Some(KeyKind::B))
                .unwrap_err()
                .contains("base64")
        );
        // A key whose type the description does not give is a string.
        assert_eq!(typed_value("42", None), Ok(s("42")));
    }

    // -- fit -----------------------------------------------------------------------

    #[test]
    fn fit_accepts_matching_tables() {
        assert_eq!(customer_orders().fit(&demo_info()), Vec::<String>::new());
        let gsi = Pattern {
            index: Some("GSI1".into()),
            pk_attr: Some("GSI1PK".into()),
            sk_attr: Some("GSI1SK".into()),
            pk: Some(t("PRODUCT#{sku}")),
            sk: sort(">=", "ORDER#{o}", None),
            ..Pattern::new("gsi")
        };
        assert_eq!(gsi.fit(&demo_info()), Vec::<String>::new());
        let readings = Pattern {
            pk: Some(t("DEVICE#{device}")),
            sk: sort("between", "{from}", Some("{to}")),
            params: vec![p("from", ParamType::Number), p("to", ParamType::Number)],
            ..Pattern::new("readings")
        };
        assert_eq!(readings.fit(&events_info()), Vec::<String>::new());
        assert_eq!(
            Pattern::new("scan").fit(&events_info()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn fit_warns_about_a_missing_index() {
        let pat = Pattern {
            index: Some("GSI9".into()),
            ..customer_orders()
        };
        assert_eq!(
            pat.fit(&demo_info()),
            ["pattern `base`: table `dyntui-demo` has no index `GSI9` (indexes: GSI1, GSI2)"]
        );
        assert_eq!(
            pat.fit(&TableInfo {
                name: "bare".into(),
                pk: Some(key("id", "S")),
                ..Default::default()
            }),
            ["pattern `base`: table `bare` has no index `GSI9` (indexes: none)"]
        );
    }

    #[test]
    fn fit_warns_about_mismatched_key_attributes() {
        let pat = Pattern {
            index: Some("GSI1".into()),
            pk_attr: Some("PK".into()),
            sk_attr: Some("SK".into()),
            ..customer_orders()
        };
        assert_eq!(
            pat.fit(&demo_info()),
            [
                "pattern `base`: pk_attr `PK` is not the partition key of index `GSI1` of table `dyntui-demo` (`GSI1PK`)",
                "pattern `base`: sk_attr `SK` is not the sort key of index `GSI1` of table `dyntui-demo` (`GSI1SK`)",
            ]
        );
    }

    #[test]
    fn fit_warns_about_a_missing_sort_key() {
        let pat = Pattern {
            index: Some("byType".into()),
            pk: Some(t("{type}")),
            sk: sort("=", "x", None),
            ..Pattern::new("types")
        };
        let w = pat.fit(&events_info());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("index `byType` of table `events` has no sort key"),
            "{w:?}"
        );
        let attr_only = Pattern {
            sk: None,
            sk_attr: Some("ts".into()),
            ..pat
        };
        assert_eq!(
            attr_only.fit(&events_info()),
            ["pattern `types`: sk_attr `ts`, but index `byType` of table `events` has no sort key"]
        );
    }

    #[test]
    fn fit_warns_about_key_types() {
        let info = events_info();
        let with = |sk: Option<SortSpec>, ts: ParamType| {
            Pattern {
                pk: Some(t("DEVICE#{device}")),
                sk,
                params: vec![p("ts", ts), p("device", ParamType::String)],
                ..Pattern::new("r")
            }
            .fit(&info)
        };
        assert_eq!(
            with(sort(">", "{ts}", None), ParamType::Number),
            Vec::<String>::new()
        );
        assert_eq!(
            with(sort(">", "{ts}", None), ParamType::String),
            ["pattern `r`: parameter `ts` is a string but the sort key `ts` is a number (N)"]
        );
        assert_eq!(
            with(sort(">", "T#{ts}", None), ParamType::Number),
            [
                "pattern `r`: template `T#{ts}` has literal text, but the sort key `ts` is a number (N)"
            ]
        );
        assert_eq!(
            with(sort(">", "42", None), ParamType::Number),
            Vec::<String>::new()
        );
        let w = with(sort(">", "soon", None), ParamType::Number);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`soon` is not a number"), "{w:?}");
        let w = with(sort("begins_with", "{ts}", None), ParamType::Number);
        assert_eq!(
            w,
            ["pattern `r`: begins_with does not work on the number (N) sort key `ts`"]
        );
        // Literal text into a numeric partition key.
        let num_pk = TableInfo {
            name: "n".into(),
            pk: Some(key("id", "N")),
            ..Default::default()
        };
        let pat = Pattern {
            pk: Some(t("USER#{id}")),
            ..Pattern::new("u")
        };
        assert_eq!(
            pat.fit(&num_pk),
            [
                "pattern `u`: template `USER#{id}` has literal text, but the partition key `id` is a number (N)"
            ]
        );
    }
}
