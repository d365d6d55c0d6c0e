//! Deterministic seed data for declared entities.
//!
//! A [`GeneratorSpec`] says "make `count` items of entity `Customer`" and
//! gives a [`FieldRule`] per attribute. [`Generator`] turns a list of specs
//! into a lazy iterator of [`Item`]s: the fields, the key attributes rendered
//! from the entity's key templates, and the type attribute.
//!
//! # Determinism
//!
//! The same specs and seed always give the same items. Every field of every
//! spec draws from its own ChaCha8 stream (the seed, with a stream number
//! derived from the spec's position and the field's name), so adding,
//! removing or reordering *other* fields, or changing their rules, does not
//! change a field's values. Refs pick by position in the pool of earlier
//! items, so they do depend on the referenced generators' counts.
//!
//! # Keys
//!
//! Key attributes (partition key, sort key when the table has one, every
//! index key of the entity) are rendered from the entity's templates with
//! each field's text: a string, a number's digits, `true`/`false`. They are
//! strings, except that a template that is exactly one parameter
//! (`{timestamp}`) over a number field gives a number, for tables with a
//! numeric key. The type attribute, if configured, is set to the entity's
//! type value.
//!
//! # Memory
//!
//! Items are built one at a time. The generator keeps only the values of
//! fields that a later [`FieldRule::Ref`] reads (one pool per referenced
//! `entity.field`, filled only by generators that come before the last
//! reader).
//!
//! # Numbers
//!
//! Numbers never go through `f64`: integers are `i64`, decimals are `i128`
//! counts of `10^-scale`, and they are written the way DynamoDB stores
//! numbers (`12.5`, `12`, never `12.50`).

use std::collections::HashMap;

use fake::Fake;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use super::entity::{DecodeConfig, KeyTemplate};
use super::time;
use super::value::from_plain;
use super::{AttributeValue, Item};

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

/// How one attribute's values are made.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRule {
    /// `start`, `start + step`, ...: a number, or a string when `format`
    /// is given (`"c{:05}"` → `c00001`; `{}` and `{:0N}` placeholders,
    /// `{{`/`}}` for literal braces).
    Sequence {
        start: i64,
        step: i64,
        format: Option<String>,
    },
    /// A random (version 4) UUID from the seeded generator, lower case.
    Uuid,
    /// A ULID whose time is 2024-01-01T00:00:00Z plus the item's index in
    /// seconds and whose random part comes from the seeded generator.
    Ulid,
    /// One of `values` (uniform, or by `weights`; a weight of 0 is never
    /// chosen).
    Choice {
        values: Vec<Value>,
        weights: Option<Vec<u32>>,
    },
    /// A number between `min` and `max`, inclusive.
    Int { min: i64, max: i64 },
    /// A number between `min` and `max` (inclusive, exact decimal text) in
    /// steps of `10^-scale`, uniform.
    Decimal {
        min: String,
        max: String,
        scale: u32,
    },
    /// A `YYYY-MM-DD` date between `from` and `to`, inclusive, uniform over
    /// days.
    Date { from: String, to: String },
    /// An RFC 3339 UTC timestamp (`2024-01-01T00:00:00Z`) between `from`
    /// and `to`, inclusive, uniform over seconds.
    DateTime { from: String, to: String },
    /// Fake text (English).
    Fake(FakeKind),
    /// The value of `field` of a random item already made by an earlier
    /// generator for `entity`.
    Ref { entity: String, field: String },
    /// Always this value.
    Const(Value),
    /// `{firstName}.{lastName}@example.com`: a string built from fields
    /// declared earlier in the same generator. Absent on an item where one
    /// of those fields is absent or empty.
    Template(String),
    /// `true` with this probability.
    Bool { probability: f64 },
    /// `rule`'s value with this probability, else the attribute is absent.
    Optional {
        probability: f64,
        rule: Box<FieldRule>,
    },
}

/// The kinds of fake text [`FieldRule::Fake`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeKind {
    Name,
    FirstName,
    LastName,
    /// At an `example.*` domain, so never a real mailbox.
    Email,
    Phone,
    /// Building number and street: `742 Evergreen Terrace`.
    Street,
    City,
    Country,
    PostCode,
    Company,
    Word,
    Sentence,
    Paragraph,
}

impl FakeKind {
    /// Every kind with its TOML name.
    pub const ALL: [(&'static str, FakeKind); 13] = [
        ("name", FakeKind::Name),
        ("first_name", FakeKind::FirstName),
        ("last_name", FakeKind::LastName),
        ("email", FakeKind::Email),
        ("phone", FakeKind::Phone),
        ("street", FakeKind::Street),
        ("city", FakeKind::City),
        ("country", FakeKind::Country),
        ("post_code", FakeKind::PostCode),
        ("company", FakeKind::Company),
        ("word", FakeKind::Word),
        ("sentence", FakeKind::Sentence),
        ("paragraph", FakeKind::Paragraph),
    ];

    /// The kind with this TOML name (`first_name`, ...).
    pub fn from_name(name: &str) -> Option<FakeKind> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|&(_, k)| k)
    }

    /// The TOML name of the kind.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |&(n, _)| n)
    }

    pub fn generate(self, rng: &mut ChaCha8Rng) -> String {
        use fake::faker::{address, company, internet, lorem, name, phone_number};
        match self {
            FakeKind::Name => name::en::Name().fake_with_rng(rng),
            FakeKind::FirstName => name::en::FirstName().fake_with_rng(rng),
            FakeKind::LastName => name::en::LastName().fake_with_rng(rng),
            FakeKind::Email => internet::en::SafeEmail().fake_with_rng(rng),
            FakeKind::Phone => phone_number::en::PhoneNumber().fake_with_rng(rng),
            FakeKind::Street => {
                let number: String = address::en::BuildingNumber().fake_with_rng(rng);
                let street: String = address::en::StreetName().fake_with_rng(rng);
                format!("{number} {street}")
            }
            FakeKind::City => address::en::CityName().fake_with_rng(rng),
            FakeKind::Country => address::en::CountryName().fake_with_rng(rng),
            FakeKind::PostCode => address::en::PostCode().fake_with_rng(rng),
            FakeKind::Company => company::en::CompanyName().fake_with_rng(rng),
            FakeKind::Word => lorem::en::Word().fake_with_rng(rng),
            FakeKind::Sentence => lorem::en::Sentence(4..10).fake_with_rng(rng),
            FakeKind::Paragraph => lorem::en::Paragraph(3..6).fake_with_rng(rng),
        }
    }
}

/// Keys that choose a rule in TOML; a field has exactly one.
const RULE_KEYS: [&str; 13] = [
    "sequence", "uuid", "ulid", "choice", "int", "decimal", "date", "datetime", "fake", "ref",
    "value", "template", "bool",
];
/// Extra keys, and the rule each belongs to (`None`: any rule).
const OPTION_KEYS: [(&str, Option<&str>); 5] = [
    ("optional", None),
    ("step", Some("sequence")),
    ("format", Some("sequence")),
    ("weights", Some("choice")),
    ("scale", Some("decimal")),
];

impl FieldRule {
    /// Reads a rule from TOML:
    ///
    /// * `{ sequence = 1 }`, `{ sequence = 1, step = 1, format = "c{:05}" }`
    /// * `{ uuid = true }`, `{ ulid = true }`
    /// * `{ choice = ["a", "b"], weights = [3, 1] }`
    /// * `{ int = [1, 10] }`
    /// * `{ decimal = ["1.00", "99.99"], scale = 2 }` (bounds as strings or
    ///   numbers; `scale` defaults to the bounds' most decimal places)
    /// * `{ date = ["2024-01-01", "2025-12-31"] }` (strings or TOML dates)
    /// * `{ datetime = ["2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"] }`
    /// * `{ fake = "email" }`: `name`, `first_name`, `last_name`, `email`,
    ///   `phone`, `street`, `city`, `country`, `post_code`, `company`,
    ///   `word`, `sentence`, `paragraph`
    /// * `{ ref = "Customer.customerId" }`
    /// * `{ value = <any TOML> }`, or a bare string, number or boolean
    /// * `{ template = "{firstName}.{lastName}@example.com" }`
    /// * `{ bool = 0.7 }` (chance of `true`)
    ///
    /// and `optional = 0.3` on any rule: the attribute is present with that
    /// probability.
    pub fn from_toml(v: &toml::Value) -> Result<FieldRule, String> {
        let rule = match v {
            toml::Value::Table(t) => rule_from_table(t)?,
            toml::Value::Array(_) => {
                return Err(
                    "a bare list is not a rule: write `{ value = [...] }` for a \
                            constant list or `{ choice = [...] }` to pick one of the values"
                        .into(),
                );
            }
            other => FieldRule::Const(toml_to_json(other)?),
        };
        compile(&rule, None)?;
        Ok(rule)
    }
}

fn rule_from_table(t: &toml::Table) -> Result<FieldRule, String> {
    let mut rule_key: Option<&str> = None;
    for k in t.keys() {
        if RULE_KEYS.contains(&k.as_str()) {
            if let Some(prev) = rule_key {
                return Err(format!(
                    "two rule keys `{prev}` and `{k}`; a field takes exactly one rule"
                ));
            }
            rule_key = Some(k);
        } else if !OPTION_KEYS.iter().any(|(o, _)| o == k) {
            return Err(format!(
                "unknown rule key `{k}` (rules: {}; options: optional, step, format, weights, scale)",
                RULE_KEYS.join(", ")
            ));
        }
    }
    let Some(key) = rule_key else {
        return Err(format!(
            "no rule key; expected one of: {}",
            RULE_KEYS.join(", ")
        ));
    };
    for (opt, owner) in OPTION_KEYS {
        if let Some(owner) = owner
            && t.contains_key(opt)
            && key != owner
        {
            return Err(format!("`{opt}` only applies to `{owner}`, not to `{key}`"));
        }
    }
    let Some(v) = t.get(key) else {
        return Err(format!("no value for `{key}`"));
    };
    let rule = match key {
        "sequence" => FieldRule::Sequence {
            start: toml_int(v, "sequence start")?,
            step: match t.get("step") {
                Some(s) => toml_int(s, "step")?,
                None => 1,
            },
            format: match t.get("format") {
                Some(toml::Value::String(s)) => Some(s.clone()),
                Some(_) => return Err("bad format: `format` must be a string".into()),
                None => None,
            },
        },
        "uuid" | "ulid" => match v {
            toml::Value::Boolean(true) => {
                if key == "uuid" {
                    FieldRule::Uuid
                } else {
                    FieldRule::Ulid
                }
            }
            _ => return Err(format!("write `{key} = true`")),
        },
        "choice" => {
            let toml::Value::Array(items) = v else {
                return Err("`choice` must be a list of values".into());
            };
            let values = items.iter().map(toml_to_json).collect::<Result<_, _>>()?;
            let weights = match t.get("weights") {
                None => None,
                Some(toml::Value::Array(ws)) => Some(
                    ws.iter()
                        .map(|w| match w {
                            toml::Value::Integer(i) => u32::try_from(*i).map_err(|_| {
                                format!("weight {i} is out of range (0 to {})", u32::MAX)
                            }),
                            other => Err(format!(
                                "weights must be whole numbers, not {}",
                                other.type_str()
                            )),
                        })
                        .collect::<Result<Vec<u32>, String>>()?,
                ),
                Some(_) => return Err("`weights` must be a list of whole numbers".into()),
            };
            FieldRule::Choice { values, weights }
        }
        "int" => {
            let (a, b) = toml_pair(v, "int")?;
            FieldRule::Int {
                min: toml_int(a, "int min")?,
                max: toml_int(b, "int max")?,
            }
        }
        "decimal" => {
            let (a, b) = toml_pair(v, "decimal")?;
            let min = decimal_text(a)?;
            let max = decimal_text(b)?;
            let scale = match t.get("scale") {
                Some(s) => {
                    let s = toml_int(s, "scale")?;
                    u32::try_from(s).map_err(|_| format!("scale {s} is out of range (0 to 38)"))?
                }
                None => fraction_digits(&min).max(fraction_digits(&max)),
            };
            FieldRule::Decimal { min, max, scale }
        }
        "date" => {
            let (a, b) = toml_pair(v, "date")?;
            FieldRule::Date {
                from: toml_text(a, "date")?,
                to: toml_text(b, "date")?,
            }
        }
        "datetime" => {
            let (a, b) = toml_pair(v, "datetime")?;
            FieldRule::DateTime {
                from: toml_text(a, "datetime")?,
                to: toml_text(b, "datetime")?,
            }
        }
        "fake" => {
            let toml::Value::String(name) = v else {
                return Err("`fake` must be a string such as \"email\"".into());
            };
            FieldRule::Fake(FakeKind::from_name(name).ok_or_else(|| {
                format!(
                    "unknown fake kind `{name}` (known: {})",
                    FakeKind::ALL.map(|(n, _)| n).join(", ")
                )
            })?)
        }
        "ref" => {
            let toml::Value::String(r) = v else {
                return Err("`ref` must be a string such as \"Customer.customerId\"".into());
            };
            match r.split_once('.') {
                Some((e, f)) if !e.is_empty() && !f.is_empty() => FieldRule::Ref {
                    entity: e.to_string(),
                    field: f.to_string(),
                },
                _ => {
                    return Err(format!(
                        "bad ref `{r}`: write `Entity.field`, e.g. \"Customer.customerId\""
                    ));
                }
            }
        }
        "value" => FieldRule::Const(toml_to_json(v)?),
        "template" => {
            let toml::Value::String(s) = v else {
                return Err("`template` must be a string".into());
            };
            FieldRule::Template(s.clone())
        }
        "bool" => FieldRule::Bool {
            probability: toml_probability(v, "bool")?,
        },
        other => return Err(format!("unknown rule key `{other}`")),
    };
    Ok(match t.get("optional") {
        Some(p) => FieldRule::Optional {
            probability: toml_probability(p, "optional")?,
            rule: Box::new(rule),
        },
        None => rule,
    })
}

fn toml_int(v: &toml::Value, what: &str) -> Result<i64, String> {
    match v {
        toml::Value::Integer(i) => Ok(*i),
        other => Err(format!(
            "{what} must be a whole number, not {}",
            other.type_str()
        )),
    }
}

fn toml_pair<'a>(
    v: &'a toml::Value,
    what: &str,
) -> Result<(&'a toml::Value, &'a toml::Value), String> {
    match v {
        toml::Value::Array(a) if a.len() == 2 => Ok((&a[0], &a[1])),
        _ => Err(format!("`{what}` must be a list of two bounds: [min, max]")),
    }
}

/// A string, or a TOML date / date-time as its text.
fn toml_text(v: &toml::Value, what: &str) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        other => Err(format!(
            "bad {what} bound: expected a string, not {}",
            other.type_str()
        )),
    }
}

fn decimal_text(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) if f.is_finite() => Ok(format!("{f}")),
        other => Err(format!(
            "decimal bounds must be numbers or strings, not {}",
            other.type_str()
        )),
    }
}

fn toml_probability(v: &toml::Value, what: &str) -> Result<f64, String> {
    let p = match v {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i @ (0 | 1)) => *i as f64,
        toml::Value::Integer(i) => {
            return Err(format!("{what} probability {i} is outside 0..=1"));
        }
        other => {
            return Err(format!(
                "{what} must be a probability between 0 and 1, not {}",
                other.type_str()
            ));
        }
    };
    check_probability(p, what)?;
    Ok(p)
}

fn check_probability(p: f64, what: &str) -> Result<(), String> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(format!("{what} probability {p} is outside 0..=1"))
    }
}

/// A TOML value as JSON; numbers keep their text.
fn toml_to_json(v: &toml::Value) -> Result<Value, String> {
    Ok(match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!("{f} is not a number DynamoDB can store"));
            }
            // Display of an f64 is the shortest text that reads back the
            // same, and never uses an exponent.
            Value::Number(
                format!("{f}")
                    .parse()
                    .map_err(|e| format!("number {f}: {e}"))?,
            )
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => {
            Value::Array(a.iter().map(toml_to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| Ok((k.clone(), toml_to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

// ---------------------------------------------------------------------------
// Compiled rules
// ---------------------------------------------------------------------------

/// What is known about a field's values before generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// Present on every item.
    always: bool,
    /// Always a string, number or boolean (so it has a text).
    scalar: bool,
    /// Its text is never empty.
    nonempty: bool,
}

impl Shape {
    const PLAIN: Shape = Shape {
        always: true,
        scalar: true,
        nonempty: true,
    };

    fn of_value(av: &AttributeValue) -> Shape {
        let text = text_of(av);
        Shape {
            always: true,
            scalar: text.is_some(),
            nonempty: text.is_some_and(|t| !t.is_empty()),
        }
    }

    fn and(self, o: Shape) -> Shape {
        Shape {
            always: self.always && o.always,
            scalar: self.scalar && o.scalar,
            nonempty: self.nonempty && o.nonempty,
        }
    }

    fn key_safe(self) -> bool {
        self.always && self.scalar && self.nonempty
    }
}

/// The text of a value used in key templates and templates: a string, a
/// number's digits, `true`/`false`.
fn text_of(av: &AttributeValue) -> Option<&str> {
    match av {
        AttributeValue::S(s) | AttributeValue::N(s) => Some(s),
        AttributeValue::Bool(true) => Some("true"),
        AttributeValue::Bool(false) => Some("false"),
        _ => None,
    }
}

/// A sequence format: literal text, one number, literal text.
#[derive(Debug, Clone, PartialEq)]
struct SeqFormat {
    before: String,
    width: usize,
    after: String,
}

impl SeqFormat {
    fn parse(f: &str) -> Result<SeqFormat, String> {
        let bad = |why: &str| format!("bad format `{f}`: {why}");
        let mut before = String::new();
        let mut after = String::new();
        let mut width: Option<usize> = None;
        let mut chars = f.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let out = if width.is_some() {
                &mut after
            } else {
                &mut before
            };
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let Some(close) = f[i..].find('}') else {
                        return Err(bad("`{` is never closed (write `{{` for a literal `{`)"));
                    };
                    let spec = &f[i + 1..i + close];
                    let w = if spec.is_empty() {
                        0
                    } else if let Some(n) = spec.strip_prefix(":0")
                        && !n.is_empty()
                        && n.bytes().all(|b| b.is_ascii_digit())
                    {
                        n.parse::<usize>()
                            .ok()
                            .filter(|&w| w <= 64)
                            .ok_or_else(|| bad("the width must be at most 64"))?
                    } else {
                        return Err(bad(&format!(
                            "placeholder `{{{spec}}}` is not supported; use `{{}}` or `{{:0N}}` (zero-padded to N digits)"
                        )));
                    };
                    if width.is_some() {
                        return Err(bad("more than one placeholder"));
                    }
                    width = Some(w);
                    // Skip the placeholder's characters.
                    while let Some(&(j, _)) = chars.peek() {
                        if j > i + close {
                            break;
                        }
                        chars.next();
                    }
                }
                '}' => return Err(bad("unmatched `}` (write `}}` for a literal `}`)")),
                c => out.push(c),
            }
        }
        let Some(width) = width else {
            return Err(bad("no placeholder; use `{}` or `{:0N}` for the number"));
        };
        Ok(SeqFormat {
            before,
            width,
            after,
        })
    }

    fn render(&self, n: i64) -> String {
        format!("{}{:0w$}{}", self.before, n, self.after, w = self.width)
    }
}

#[derive(Debug, Clone)]
enum Compiled {
    Sequence {
        start: i64,
        step: i64,
        format: Option<SeqFormat>,
    },
    Uuid,
    Ulid,
    Choice {
        values: Vec<AttributeValue>,
        weights: Option<WeightedIndex<u64>>,
    },
    Int {
        min: i64,
        max: i64,
    },
    Decimal {
        min: i128,
        max: i128,
        scale: u32,
    },
    Date {
        from: i64,
        to: i64,
    },
    DateTime {
        from: i64,
        to: i64,
    },
    Fake(FakeKind),
    Ref {
        pool: usize,
    },
    Const(AttributeValue),
    Template(KeyTemplate),
    Bool(f64),
    Optional(f64, Box<Compiled>),
}

/// What `compile` needs to resolve refs and templates.
struct Ctx<'a> {
    spec_index: usize,
    count: usize,
    earlier: &'a [SpecPlan],
    /// Fields declared before the one being compiled, with their shapes.
    before: &'a [(String, Shape)],
    /// Every field name of the current spec.
    all_names: &'a [&'a str],
    pools: &'a mut Vec<Pool>,
}

/// Values of `entity.field` that a later ref reads.
#[derive(Debug)]
struct Pool {
    entity: String,
    field: String,
    /// The last spec that reads the pool; later specs do not fill it.
    last_reader: usize,
    values: Vec<AttributeValue>,
}

/// Checks a rule and prepares it. Without a context, refs and templates are
/// only checked for syntax.
fn compile(rule: &FieldRule, ctx: Option<&mut Ctx<'_>>) -> Result<(Compiled, Shape), String> {
    Ok(match rule {
        FieldRule::Sequence {
            start,
            step,
            format,
        } => {
            if let Some(ctx) = &ctx {
                let last = ctx.count.saturating_sub(1) as i128;
                let end = i128::from(*start) + last * i128::from(*step);
                if i64::try_from(end).is_err() {
                    return Err(format!(
                        "sequence from {start} step {step} leaves the 64-bit range after {} items",
                        ctx.count
                    ));
                }
            }
            let format = format.as_deref().map(SeqFormat::parse).transpose()?;
            (
                Compiled::Sequence {
                    start: *start,
                    step: *step,
                    format,
                },
                Shape::PLAIN,
            )
        }
        FieldRule::Uuid => (Compiled::Uuid, Shape::PLAIN),
        FieldRule::Ulid => (Compiled::Ulid, Shape::PLAIN),
        FieldRule::Choice { values, weights } => {
            if values.is_empty() {
                return Err("empty choice: give at least one value".into());
            }
            let avs = values
                .iter()
                .enumerate()
                .map(|(i, v)| from_plain(v).map_err(|e| format!("choice value {}: {e}", i + 1)))
                .collect::<Result<Vec<_>, _>>()?;
            let dist = match weights {
                None => None,
                Some(ws) => {
                    if ws.len() != values.len() {
                        return Err(format!(
                            "weights length mismatch: {} weights for {} choice values",
                            ws.len(),
                            values.len()
                        ));
                    }
                    if ws.iter().all(|&w| w == 0) {
                        return Err(
                            "all choice weights are 0; at least one must be positive".into()
                        );
                    }
                    Some(
                        WeightedIndex::new(ws.iter().map(|&w| u64::from(w)))
                            .map_err(|e| format!("bad weights: {e}"))?,
                    )
                }
            };
            let shape = avs
                .iter()
                .enumerate()
                .filter(|(i, _)| weights.as_ref().is_none_or(|ws| ws[*i] > 0))
                .map(|(_, v)| Shape::of_value(v))
                .fold(Shape::PLAIN, Shape::and);
            (
                Compiled::Choice {
                    values: avs,
                    weights: dist,
                },
                shape,
            )
        }
        FieldRule::Int { min, max } => {
            if min > max {
                return Err(format!("int min {min} > max {max}"));
            }
            (
                Compiled::Int {
                    min: *min,
                    max: *max,
                },
                Shape::PLAIN,
            )
        }
        FieldRule::Decimal { min, max, scale } => {
            if *scale > MAX_SCALE {
                return Err(format!(
                    "decimal scale {scale} is too large (at most {MAX_SCALE})"
                ));
            }
            let lo = parse_decimal(min, *scale).map_err(|e| format!("decimal min {e}"))?;
            let hi = parse_decimal(max, *scale).map_err(|e| format!("decimal max {e}"))?;
            if lo > hi {
                return Err(format!("decimal min {min} > max {max}"));
            }
            (
                Compiled::Decimal {
                    min: lo,
                    max: hi,
                    scale: *scale,
                },
                Shape::PLAIN,
            )
        }
        FieldRule::Date { from, to } => {
            let a = parse_date(from)?;
            let b = parse_date(to)?;
            if a > b {
                return Err(format!("date from {from} is after to {to} (min > max)"));
            }
            (Compiled::Date { from: a, to: b }, Shape::PLAIN)
        }
        FieldRule::DateTime { from, to } => {
            let a = parse_datetime(from)?;
            let b = parse_datetime(to)?;
            if a > b {
                return Err(format!("datetime from {from} is after to {to} (min > max)"));
            }
            (Compiled::DateTime { from: a, to: b }, Shape::PLAIN)
        }
        FieldRule::Fake(k) => (Compiled::Fake(*k), Shape::PLAIN),
        FieldRule::Ref { entity, field } => {
            if entity.is_empty() || field.is_empty() {
                return Err(format!(
                    "bad ref `{entity}.{field}`: write `Entity.field`, e.g. \"Customer.customerId\""
                ));
            }
            match ctx {
                None => (Compiled::Ref { pool: usize::MAX }, Shape::PLAIN),
                Some(ctx) => compile_ref(entity, field, ctx)?,
            }
        }
        FieldRule::Const(v) => {
            let av = from_plain(v).map_err(|e| format!("value {e}"))?;
            let shape = Shape::of_value(&av);
            (Compiled::Const(av), shape)
        }
        FieldRule::Template(t) => {
            let tpl = KeyTemplate::parse(t).map_err(|e| e.to_string())?;
            let mut shape = Shape {
                always: true,
                scalar: true,
                nonempty: tpl.params().next().is_some() || !tpl.literal_prefix().is_empty(),
            };
            if let Some(ctx) = ctx {
                for p in tpl.params() {
                    let Some((_, s)) = ctx.before.iter().find(|(n, _)| n == p) else {
                        return Err(if ctx.all_names.get(ctx.before.len()) == Some(&p) {
                            format!("template `{t}` uses its own field `{p}`")
                        } else if ctx.all_names.contains(&p) {
                            format!(
                                "template `{t}` uses field `{p}`, which is declared after it; a template can only use earlier fields"
                            )
                        } else {
                            format!("template `{t}` uses field `{p}`, which no rule produces")
                        });
                    };
                    if !s.scalar {
                        return Err(format!(
                            "template `{t}` uses field `{p}`, whose values are not all strings, numbers or booleans"
                        ));
                    }
                    // An absent or empty value leaves the template absent.
                    shape.always &= s.always && s.nonempty;
                }
            }
            (Compiled::Template(tpl), shape)
        }
        FieldRule::Bool { probability } => {
            check_probability(*probability, "bool")?;
            (Compiled::Bool(*probability), Shape::PLAIN)
        }
        FieldRule::Optional { probability, rule } => {
            check_probability(*probability, "optional")?;
            let (inner, mut shape) = compile(rule, ctx)?;
            shape.always &= *probability >= 1.0;
            (Compiled::Optional(*probability, Box::new(inner)), shape)
        }
    })
}

fn compile_ref(entity: &str, field: &str, ctx: &mut Ctx<'_>) -> Result<(Compiled, Shape), String> {
    let of_entity: Vec<&SpecPlan> = ctx.earlier.iter().filter(|s| s.entity == entity).collect();
    if of_entity.is_empty() {
        return Err(format!(
            "ref `{entity}.{field}`: no earlier generator makes `{entity}` items (a ref reads generators listed before it)"
        ));
    }
    let sources: Vec<(usize, Shape)> = of_entity
        .iter()
        .filter_map(|s| {
            s.fields
                .iter()
                .find(|f| f.name == field)
                .map(|f| (s.count, f.shape))
        })
        .collect();
    if sources.is_empty() {
        return Err(format!(
            "ref `{entity}.{field}`: the earlier generators for `{entity}` have no field `{field}`"
        ));
    }
    if ctx.count > 0 && sources.iter().all(|(n, _)| *n == 0) {
        return Err(format!(
            "ref `{entity}.{field}`: the earlier generators for `{entity}` make no items"
        ));
    }
    let mut shape = sources
        .iter()
        .map(|(_, s)| *s)
        .fold(Shape::PLAIN, Shape::and);
    shape.always = sources.iter().any(|(n, s)| *n > 0 && s.always);
    if ctx.count == 0 {
        // Never evaluated: no pool to keep.
        shape.always = true;
        return Ok((Compiled::Ref { pool: usize::MAX }, shape));
    }
    let pool = match ctx
        .pools
        .iter()
        .position(|p| p.entity == entity && p.field == field)
    {
        Some(i) => i,
        None => {
            ctx.pools.push(Pool {
                entity: entity.to_string(),
                field: field.to_string(),
                last_reader: 0,
                values: Vec::new(),
            });
            ctx.pools.len() - 1
        }
    };
    ctx.pools[pool].last_reader = ctx.spec_index;
    Ok((Compiled::Ref { pool }, shape))
}

fn eval(
    rule: &Compiled,
    rng: &mut ChaCha8Rng,
    index: usize,
    earlier: &[Option<AttributeValue>],
    names: &HashMap<String, usize>,
    pools: &[Pool],
    visible: &[usize],
) -> Option<AttributeValue> {
    Some(match rule {
        Compiled::Sequence {
            start,
            step,
            format,
        } => {
            // Range checked in `Generator::new`.
            let n = (i128::from(*start) + index as i128 * i128::from(*step)) as i64;
            match format {
                Some(f) => AttributeValue::S(f.render(n)),
                None => AttributeValue::N(n.to_string()),
            }
        }
        Compiled::Uuid => {
            let mut bytes = [0u8; 16];
            rng.fill(&mut bytes);
            AttributeValue::S(
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .to_string(),
            )
        }
        Compiled::Ulid => {
            let ms = (ULID_BASE_SECS + index as u64) * 1000;
            AttributeValue::S(ulid::Ulid::from_parts(ms, rng.random::<u128>()).to_string())
        }
        Compiled::Choice { values, weights } => {
            let i = match weights {
                Some(w) => w.sample(rng),
                None => rng.random_range(0..values.len()),
            };
            values[i].clone()
        }
        Compiled::Int { min, max } => AttributeValue::N(rng.random_range(*min..=*max).to_string()),
        Compiled::Decimal { min, max, scale } => {
            AttributeValue::N(format_units(rng.random_range(*min..=*max), *scale))
        }
        Compiled::Date { from, to } => {
            AttributeValue::S(format_date(rng.random_range(*from..=*to)))
        }
        Compiled::DateTime { from, to } => {
            AttributeValue::S(format_datetime(rng.random_range(*from..=*to)))
        }
        Compiled::Fake(k) => AttributeValue::S(k.generate(rng)),
        Compiled::Ref { pool } => {
            let n = visible[*pool];
            if n == 0 {
                return None;
            }
            pools[*pool].values[rng.random_range(0..n)].clone()
        }
        Compiled::Const(v) => v.clone(),
        Compiled::Template(t) => AttributeValue::S(
            t.render(|name| {
                names
                    .get(name)
                    .and_then(|&i| earlier.get(i))
                    .and_then(Option::as_ref)
                    .and_then(text_of)
                    .map(str::to_owned)
            })
            .ok()?,
        ),
        Compiled::Bool(p) => AttributeValue::Bool(rng.random_bool(*p)),
        Compiled::Optional(p, inner) => {
            if !rng.random_bool(*p) {
                return None;
            }
            return eval(inner, rng, index, earlier, names, pools, visible);
        }
    })
}

// ---------------------------------------------------------------------------
// Decimals
// ---------------------------------------------------------------------------

/// Most decimal places; with at most 38 digits this keeps every value
/// within DynamoDB's range.
const MAX_SCALE: u32 = 38;
/// Most digits of a decimal in units of `10^-scale` (DynamoDB's precision).
const MAX_DIGITS: usize = 38;

fn fraction_digits(s: &str) -> u32 {
    s.split_once('.').map_or(0, |(_, f)| {
        f.bytes().take_while(u8::is_ascii_digit).count() as u32
    })
}

/// Parses `-?digits(.digits)?` into units of `10^-scale`. Extra decimal
/// places are allowed only if they are zeros.
fn parse_decimal(s: &str, scale: u32) -> Result<i128, String> {
    let not = || format!("`{s}` is not a decimal number (expected digits like 12.50)");
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, f),
        None => (rest, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || (rest.contains('.') && frac.is_empty())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(not());
    }
    let scale = scale as usize;
    if frac.len() > scale && frac[scale..].bytes().any(|b| b != b'0') {
        return Err(format!(
            "`{s}` has more than {scale} decimal places (raise `scale`)"
        ));
    }
    let frac = &frac[..frac.len().min(scale)];
    let digits = format!(
        "{}{frac}{}",
        int.trim_start_matches('0'),
        "0".repeat(scale - frac.len())
    );
    let digits = digits.trim_start_matches('0');
    if digits.len() > MAX_DIGITS {
        return Err(format!(
            "`{s}` has too many digits at scale {scale}: DynamoDB numbers have at most {MAX_DIGITS}"
        ));
    }
    let units = if digits.is_empty() {
        0
    } else {
        digits.parse::<i128>().map_err(|_| not())?
    };
    Ok(if neg { -units } else { units })
}

/// Units of `10^-scale` as DynamoDB writes the number: no trailing fraction
/// zeros, no lone point, `0` for zero.
fn format_units(units: i128, scale: u32) -> String {
    let digits = units.unsigned_abs().to_string();
    let sign = if units < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// 2024-01-01T00:00:00Z in Unix seconds: the ULID time base.
const ULID_BASE_SECS: u64 = 1_704_067_200;

/// `YYYY-MM-DD` → day number (days since 1970-01-01).
fn parse_date(s: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("bad date `{s}`: {why}");
    match time::parse_date(s) {
        Ok(d) => Ok(time::days_since_epoch(d)),
        Err(time::DateError::Shape) => Err(bad("expected YYYY-MM-DD")),
        Err(time::DateError::NoSuchMonth) => Err(bad("no such month")),
        Err(time::DateError::NoSuchDay) => Err(bad("no such day in that month")),
    }
}

fn format_date(days: i64) -> String {
    time::date_of_days(days)
        .map(time::format_date)
        .unwrap_or_else(|| format!("day {days}"))
}

/// Seconds of 0000-01-01T00:00:00Z and of the start of year 10000: the
/// range that prints as four-digit years.
fn datetime_range() -> std::ops::Range<i64> {
    let start = jiff::civil::date(0, 1, 1);
    let end_of_9999 = jiff::civil::date(9999, 12, 31);
    time::days_since_epoch(start) * 86_400..(time::days_since_epoch(end_of_9999) + 1) * 86_400
}

/// RFC 3339 `YYYY-MM-DDTHH:MM:SS` plus `Z` or `±HH:MM` → Unix seconds (UTC).
/// Generators take whole seconds: no fraction, no leap second.
fn parse_datetime(s: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("bad datetime `{s}`: {why}");
    const SHAPE: &str = "expected RFC 3339 like 2024-01-01T00:00:00Z";
    let t = match time::parse_datetime(s) {
        Ok(t) => t,
        Err(_) if s.get(19..).is_some_and(|z| z.starts_with('.')) => {
            return Err(bad("fractional seconds are not supported"));
        }
        Err(time::DateTimeError::Shape) => return Err(bad(SHAPE)),
        Err(time::DateTimeError::TimeOutOfRange) => return Err(bad("time out of range")),
        Err(time::DateTimeError::NoZone) => {
            return Err(bad(
                "needs a time zone: end with Z (UTC) or an offset like +02:00",
            ));
        }
        Err(time::DateTimeError::BadOffset) => return Err(bad("bad offset; write it like +02:00")),
        Err(time::DateTimeError::OffsetOutOfRange) => return Err(bad("offset out of range")),
    };
    if t.fraction {
        return Err(bad("fractional seconds are not supported"));
    }
    if t.second > 59 {
        return Err(bad("time out of range"));
    }
    let secs = t.unix_seconds();
    if !datetime_range().contains(&secs) {
        return Err(bad("outside years 0000 to 9999 in UTC"));
    }
    Ok(secs)
}

fn format_datetime(secs: i64) -> String {
    time::format_datetime(secs)
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// Make `count` items of `entity`, with these fields (in declaration order).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorSpec {
    pub entity: String,
    pub count: usize,
    pub fields: Vec<(String, FieldRule)>,
}

/// Why [`Generator::new`] refused a spec: `index` is the spec's position in
/// the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("generator {index} ({entity}): {message}")]
pub struct GenError {
    pub index: usize,
    pub entity: String,
    pub message: String,
}

#[derive(Debug)]
struct FieldPlan {
    name: String,
    rule: Compiled,
    shape: Shape,
    /// The pool this field's values go to, if a later ref reads them.
    pool: Option<usize>,
    rng: ChaCha8Rng,
}

#[derive(Debug)]
struct SpecPlan {
    entity: String,
    count: usize,
    type_value: String,
    fields: Vec<FieldPlan>,
    names: HashMap<String, usize>,
    /// Key attribute and its template.
    keys: Vec<(String, KeyTemplate)>,
}

/// A lazy iterator over generated items: all items of the first spec, then
/// of the second, and so on. See the [module docs](self).
#[derive(Debug)]
pub struct Generator {
    specs: Vec<SpecPlan>,
    pools: Vec<Pool>,
    /// Per pool, how many values the current spec may read (those made by
    /// earlier specs).
    visible: Vec<usize>,
    type_attr: Option<String>,
    spec: usize,
    /// Index of the next item within the current spec.
    item: usize,
    started: bool,
    total: usize,
    produced: usize,
}

/// The stable hash of some parts, for per-field stream numbers.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h = super::hash::Fnv64::new();
    for part in parts {
        // Separator, so ("ab", "c") and ("a", "bc") differ.
        h.write(part).write(&[0xff]);
    }
    h.finish()
}

impl Generator {
    /// Checks the specs against the declared entities and prepares them.
    ///
    /// Checked up front: the entity is declared; it has a pk template (and
    /// an sk template when the table has a sort key, `sk_attr`); every
    /// parameter of the templates that are written (pk, sk if `sk_attr`,
    /// every index key) comes from a field that is on every item and whose
    /// text is never empty; refs point at an earlier generator's entity and
    /// field; templates use only earlier fields; field names are unique and
    /// do not clash with key or type attributes; every rule is valid.
    pub fn new(
        specs: Vec<GeneratorSpec>,
        decode: &DecodeConfig,
        pk_attr: &str,
        sk_attr: Option<&str>,
        seed: u64,
    ) -> Result<Generator, GenError> {
        let type_attr = decode.type_attribute.clone().filter(|a| !a.is_empty());
        let mut plans: Vec<SpecPlan> = Vec::with_capacity(specs.len());
        let mut pools: Vec<Pool> = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            let fail = |message: String| GenError {
                index,
                entity: spec.entity.clone(),
                message,
            };
            let Some(def) = decode.entities.iter().find(|e| e.name == spec.entity) else {
                let known: Vec<&str> = decode.entities.iter().map(|e| e.name.as_str()).collect();
                return Err(fail(format!(
                    "entity `{}` is not declared (declared: {})",
                    spec.entity,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            let Some(pk) = &def.pk else {
                return Err(fail(format!(
                    "entity `{}` has no pk template, so its partition key `{pk_attr}` cannot be built",
                    def.name
                )));
            };
            let mut keys = vec![(pk_attr.to_string(), pk.clone())];
            if let Some(sk_attr) = sk_attr {
                let Some(sk) = &def.sk else {
                    return Err(fail(format!(
                        "entity `{}` has no sk template, but the table has a sort key `{sk_attr}`",
                        def.name
                    )));
                };
                keys.push((sk_attr.to_string(), sk.clone()));
            }
            keys.extend(def.index_keys.iter().cloned());

            // Field names.
            let all_names: Vec<&str> = spec.fields.iter().map(|(n, _)| n.as_str()).collect();
            let mut names: HashMap<String, usize> = HashMap::with_capacity(spec.fields.len());
            for (i, (name, _)) in spec.fields.iter().enumerate() {
                if name.is_empty() {
                    return Err(fail("a field has an empty name".into()));
                }
                if names.insert(name.clone(), i).is_some() {
                    return Err(fail(format!("field `{name}` is declared twice")));
                }
                if keys.iter().any(|(a, _)| a == name) {
                    return Err(fail(format!(
                        "field `{name}` has the name of a key attribute, which is built from its key template"
                    )));
                }
                if type_attr.as_deref() == Some(name.as_str()) {
                    return Err(fail(format!(
                        "field `{name}` has the name of the type attribute, which is set to `{}`",
                        def.effective_type_value()
                    )));
                }
            }

            // Rules, in order.
            let mut before: Vec<(String, Shape)> = Vec::with_capacity(spec.fields.len());
            let mut fields = Vec::with_capacity(spec.fields.len());
            for (name, rule) in &spec.fields {
                let mut ctx = Ctx {
                    spec_index: index,
                    count: spec.count,
                    earlier: &plans,
                    before: &before,
                    all_names: &all_names,
                    pools: &mut pools,
                };
                let (compiled, shape) = compile(rule, Some(&mut ctx))
                    .map_err(|e| fail(format!("field `{name}`: {e}")))?;
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(fnv1a(&[
                    &(index as u64).to_le_bytes(),
                    spec.entity.as_bytes(),
                    name.as_bytes(),
                ]));
                fields.push(FieldPlan {
                    name: name.clone(),
                    rule: compiled,
                    shape,
                    pool: None,
                    rng,
                });
                before.push((name.clone(), shape));
            }

            // Key templates.
            for (attr, tpl) in &keys {
                if tpl.source().is_empty() {
                    return Err(fail(format!(
                        "the key template of `{attr}` is empty; key values cannot be empty"
                    )));
                }
                for p in tpl.params() {
                    let src = tpl.source();
                    let Some(&i) = names.get(p) else {
                        return Err(fail(format!(
                            "key template `{src}` needs field `{p}`, which no rule produces"
                        )));
                    };
                    let shape = fields[i].shape;
                    if !shape.always {
                        return Err(fail(format!(
                            "key template `{src}` needs field `{p}`, which is not on every item (it is optional, or built from optional fields); key attributes must always be present"
                        )));
                    }
                    if !shape.key_safe() {
                        return Err(fail(format!(
                            "key template `{src}` needs field `{p}`, whose value can be empty or a list, map or null; key values must be non-empty strings, numbers or booleans"
                        )));
                    }
                }
            }

            plans.push(SpecPlan {
                entity: spec.entity.clone(),
                count: spec.count,
                type_value: def.effective_type_value().to_string(),
                fields,
                names,
                keys,
            });
        }
        // Fill each pool from the generators of its entity that come
        // before its last reader.
        for (p, pool) in pools.iter().enumerate() {
            for plan in plans.iter_mut().take(pool.last_reader) {
                if plan.entity != pool.entity {
                    continue;
                }
                for f in plan.fields.iter_mut().filter(|f| f.name == pool.field) {
                    f.pool = Some(p);
                }
            }
        }
        let total = plans.iter().map(|p| p.count).sum();
        Ok(Generator {
            specs: plans,
            visible: vec![0; pools.len()],
            pools,
            type_attr,
            spec: 0,
            item: 0,
            started: false,
            total,
            produced: 0,
        })
    }

    /// How many items the generator makes in all.
    pub fn total(&self) -> usize {
        self.total
    }
}

impl Iterator for Generator {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        // Move to the spec of the next item, snapshotting the pools when a
        // spec starts.
        loop {
            let spec = self.specs.get(self.spec)?;
            if !self.started {
                self.started = true;
                for (v, p) in self.visible.iter_mut().zip(&self.pools) {
                    *v = p.values.len();
                }
            }
            if self.item < spec.count {
                break;
            }
            self.spec += 1;
            self.item = 0;
            self.started = false;
        }
        let Generator {
            specs,
            pools,
            visible,
            type_attr,
            ..
        } = self;
        let spec = &mut specs[self.spec];
        let index = self.item;
        let mut values: Vec<Option<AttributeValue>> = Vec::with_capacity(spec.fields.len());
        for f in spec.fields.iter_mut() {
            let v = eval(
                &f.rule,
                &mut f.rng,
                index,
                &values,
                &spec.names,
                pools,
                visible,
            );
            values.push(v);
        }
        let mut item = Item::with_capacity(values.len() + spec.keys.len() + 1);
        for (attr, tpl) in &spec.keys {
            // `{timestamp}` alone: the key is the field's value as is, so a
            // number stays a number (for tables with a numeric key).
            if let Some(AttributeValue::N(n)) = tpl
                .whole_param()
                .and_then(|p| spec.names.get(p))
                .and_then(|&i| values[i].as_ref())
            {
                item.insert(attr.clone(), AttributeValue::N(n.clone()));
                continue;
            }
            let key = tpl.render(|name| {
                spec.names
                    .get(name)
                    .and_then(|&i| values[i].as_ref())
                    .and_then(text_of)
                    .map(str::to_owned)
            });
            // Every parameter comes from a field that is always present
            // with a non-empty text (checked in `new`), so this succeeds.
            if let Ok(key) = key {
                item.insert(attr.clone(), AttributeValue::S(key));
            }
        }
        if let Some(attr) = type_attr {
            item.insert(attr.clone(), AttributeValue::S(spec.type_value.clone()));
        }
        for (f, v) in spec.fields.iter().zip(values) {
            let Some(v) = v else { continue };
            if let Some(p) = f.pool {
                pools[p].values.push(v.clone());
            }
            item.insert(f.name.clone(), v);
        }
        self.item += 1;
        self.produced += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.total - self.produced;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Generator {}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;
    use crate::dynamo::entity::EntityDef;

    // -- helpers ---------------------------------------------------------------

    fn parse(src: &str) -> Result<FieldRule, String> {
        let t: toml::Table = toml::from_str(&format!("r = {src}")).expect("test TOML parses");
        FieldRule::from_toml(&t["r"])
    }

    fn ok(src: &str) -> FieldRule {
        parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn err(src: &str) -> String {
        match parse(src) {
            Ok(r) => panic!("{src} parsed as {r:?}"),
            Err(e) => e,
        }
    }

    fn assert_err(src: &str, needle: &str) {
        let e = err(src);
        assert!(e.contains(needle), "{src}: error {e:?} lacks {needle:?}");
    }

    fn tpl(s: &str) -> KeyTemplate {
        KeyTemplate::parse(s).expect("template")
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    fn seq() -> FieldRule {
        FieldRule::Sequence {
            start: 1,
            step: 1,
            format: None,
        }
    }

    fn spec(entity: &str, count: usize, fields: Vec<(&str, FieldRule)>) -> GeneratorSpec {
        GeneratorSpec {
            entity: entity.into(),
            count,
            fields: fields
                .into_iter()
                .map(|(k, r)| (k.to_string(), r))
                .collect(),
        }
    }

    /// Demo-like design: Customer and Order in one table, plus `Thing` with
    /// only a pk and `Bare` without templates.
    fn design() -> DecodeConfig {
        DecodeConfig {
            type_attribute: Some("Type".into()),
            entities: vec![
                EntityDef {
                    pk: Some(tpl("CUSTOMER#{customerId}")),
                    sk: Some(tpl("CUSTOMER#{customerId}")),
                    ..EntityDef::new("Customer")
                },
                EntityDef {
                    type_value: Some("ORDER".into()),
                    pk: Some(tpl("CUSTOMER#{customerId}")),
                    sk: Some(tpl("ORDER#{orderDate}#{orderId}")),
                    index_keys: vec![("GSI1PK".into(), tpl("ORDER#{orderId}"))],
                    ..EntityDef::new("Order")
                },
                EntityDef {
                    pk: Some(tpl("THING#{id}")),
                    ..EntityDef::new("Thing")
                },
                EntityDef::new("Bare"),
            ],
        }
    }

    fn gen_err(specs: Vec<GeneratorSpec>, sk: Option<&str>) -> GenError {
        match Generator::new(specs, &design(), "PK", sk, 1) {
            Ok(_) => panic!("generator accepted"),
            Err(e) => e,
        }
    }

    /// `count` values of field `x` with `rule` (on `Thing`, keyed by a
    /// sequence `id`).
    fn sample(rule: FieldRule, count: usize, seed: u64) -> Vec<Option<AttributeValue>> {
        let g = Generator::new(
            vec![spec("Thing", count, vec![("id", seq()), ("x", rule)])],
            &design(),
            "PK",
            None,
            seed,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        g.map(|mut it| it.remove("x")).collect()
    }

    fn texts(rule: FieldRule, count: usize) -> Vec<String> {
        sample(rule, count, 42)
            .into_iter()
            .map(|v| match v {
                Some(AttributeValue::S(t)) | Some(AttributeValue::N(t)) => t,
                other => panic!("not a string or number: {other:?}"),
            })
            .collect()
    }

    fn customers_and_orders(customers: usize, orders: usize) -> Vec<GeneratorSpec> {
        vec![
            spec(
                "Customer",
                customers,
                vec![
                    (
                        "customerId",
                        FieldRule::Sequence {
                            start: 1,
                            step: 1,
                            format: Some("c{:05}".into()),
                        },
                    ),
                    ("firstName", FieldRule::Fake(FakeKind::FirstName)),
                    ("lastName", FieldRule::Fake(FakeKind::LastName)),
                    (
                        "email",
                        FieldRule::Template("{firstName}.{lastName}@example.com".into()),
                    ),
                    (
                        "tier",
                        FieldRule::Choice {
                            values: vec!["standard".into(), "gold".into()],
                            weights: Some(vec![3, 1]),
                        },
                    ),
                ],
            ),
            spec(
                "Order",
                orders,
                vec![
                    ("orderId", FieldRule::Uuid),
                    (
                        "customerId",
                        FieldRule::Ref {
                            entity: "Customer".into(),
                            field: "customerId".into(),
                        },
                    ),
                    (
                        "orderDate",
                        FieldRule::Date {
                            from: "2024-01-01".into(),
                            to: "2024-12-31".into(),
                        },
                    ),
                    (
                        "total",
                        FieldRule::Decimal {
                            min: "1".into(),
                            max: "500".into(),
                            scale: 2,
                        },
                    ),
                ],
            ),
        ]
    }

    // -- from_toml: good -------------------------------------------------------

    #[test]
    fn toml_sequence() {
        assert_eq!(
            ok("{ sequence = 1 }"),
            FieldRule::Sequence {
                start: 1,
                step: 1,
                format: None
            }
        );
        assert_eq!(
            ok(r#"{ sequence = 10, step = -2, format = "c{:05}" }"#),
            FieldRule::Sequence {
                start: 10,
                step: -2,
                format: Some("c{:05}".into())
            }
        );
    }

    #[test]
    fn toml_simple_rules() {
        assert_eq!(ok("{ uuid = true }"), FieldRule::Uuid);
        assert_eq!(ok("{ ulid = true }"), FieldRule::Ulid);
        assert_eq!(ok("{ int = [1, 10] }"), FieldRule::Int { min: 1, max: 10 });
        assert_eq!(
            ok("{ int = [-5, -5] }"),
            FieldRule::Int { min: -5, max: -5 }
        );
        assert_eq!(
            ok(r#"{ fake = "post_code" }"#),
            FieldRule::Fake(FakeKind::PostCode)
        );
        assert_eq!(
            ok(r#"{ ref = "Customer.customerId" }"#),
            FieldRule::Ref {
                entity: "Customer".into(),
                field: "customerId".into()
            }
        );
        assert_eq!(
            ok(r#"{ template = "{a}-{b}" }"#),
            FieldRule::Template("{a}-{b}".into())
        );
        assert_eq!(ok("{ bool = 0.7 }"), FieldRule::Bool { probability: 0.7 });
        assert_eq!(ok("{ bool = 1 }"), FieldRule::Bool { probability: 1.0 });
    }

    #[test]
    fn toml_every_fake_name() {
        for (name, kind) in FakeKind::ALL {
            assert_eq!(
                ok(&format!("{{ fake = \"{name}\" }}")),
                FieldRule::Fake(kind)
            );
            assert_eq!(kind.name(), name);
        }
    }

    #[test]
    fn toml_choice() {
        assert_eq!(
            ok(r#"{ choice = ["a", "b"], weights = [3, 1] }"#),
            FieldRule::Choice {
                values: vec!["a".into(), "b".into()],
                weights: Some(vec![3, 1])
            }
        );
        assert_eq!(
            ok(r#"{ choice = [1, "x", true] }"#),
            FieldRule::Choice {
                values: vec![1.into(), "x".into(), true.into()],
                weights: None
            }
        );
    }

    #[test]
    fn toml_decimal() {
        assert_eq!(
            ok(r#"{ decimal = ["1.00", "99.99"], scale = 2 }"#),
            FieldRule::Decimal {
                min: "1.00".into(),
                max: "99.99".into(),
                scale: 2
            }
        );
        // Numbers as bounds; scale defaults to the most decimal places.
        assert_eq!(
            ok("{ decimal = [1, 99.995] }"),
            FieldRule::Decimal {
                min: "1".into(),
                max: "99.995".into(),
                scale: 3
            }
        );
        assert_eq!(
            ok("{ decimal = [0.5, 2] }"),
            FieldRule::Decimal {
                min: "0.5".into(),
                max: "2".into(),
                scale: 1
            }
        );
    }

    #[test]
    fn toml_dates() {
        assert_eq!(
            ok(r#"{ date = ["2024-01-01", "2025-12-31"] }"#),
            FieldRule::Date {
                from: "2024-01-01".into(),
                to: "2025-12-31".into()
            }
        );
        // TOML's own dates work too.
        assert_eq!(
            ok("{ date = [2024-01-01, 2024-02-29] }"),
            FieldRule::Date {
                from: "2024-01-01".into(),
                to: "2024-02-29".into()
            }
        );
        assert_eq!(
            ok(r#"{ datetime = ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00+02:00"] }"#),
            FieldRule::DateTime {
                from: "2024-01-01T00:00:00Z".into(),
                to: "2024-01-02T00:00:00+02:00".into()
            }
        );
        assert_eq!(
            ok("{ datetime = [2024-01-01T00:00:00Z, 2024-06-01T12:30:00Z] }"),
            FieldRule::DateTime {
                from: "2024-01-01T00:00:00Z".into(),
                to: "2024-06-01T12:30:00Z".into()
            }
        );
    }

    #[test]
    fn toml_values_and_shorthand() {
        assert_eq!(ok(r#""USD""#), FieldRule::Const("USD".into()));
        assert_eq!(ok("42"), FieldRule::Const(42.into()));
        assert_eq!(ok("true"), FieldRule::Const(true.into()));
        let FieldRule::Const(Value::Number(x)) = ok("1.5") else {
            panic!("float shorthand")
        };
        assert_eq!(x.to_string(), "1.5");
        assert_eq!(
            ok(r#"{ value = { city = "Paris", tags = ["a", 1] } }"#),
            FieldRule::Const(serde_json::json!({"city": "Paris", "tags": ["a", 1]}))
        );
        assert_eq!(
            ok("{ value = [1, 2] }"),
            FieldRule::Const(serde_json::json!([1, 2]))
        );
    }

    #[test]
    fn toml_optional_on_any_rule() {
        assert_eq!(
            ok("{ int = [1, 2], optional = 0.3 }"),
            FieldRule::Optional {
                probability: 0.3,
                rule: Box::new(FieldRule::Int { min: 1, max: 2 })
            }
        );
        assert_eq!(
            ok(r#"{ fake = "email", optional = 0 }"#),
            FieldRule::Optional {
                probability: 0.0,
                rule: Box::new(FieldRule::Fake(FakeKind::Email))
            }
        );
        assert_eq!(
            ok(r#"{ sequence = 1, format = "{}", optional = 1.0 }"#),
            FieldRule::Optional {
                probability: 1.0,
                rule: Box::new(FieldRule::Sequence {
                    start: 1,
                    step: 1,
                    format: Some("{}".into())
                })
            }
        );
    }

    // -- from_toml: bad --------------------------------------------------------

    #[test]
    fn toml_rule_key_errors() {
        assert_err("{ intt = [1, 2] }", "unknown rule key `intt`");
        assert_err("{ int = [1, 2], choice = [1] }", "two rule keys");
        assert_err("{ optional = 0.5 }", "no rule key");
        assert_err(
            "{ int = [1, 2], step = 2 }",
            "`step` only applies to `sequence`",
        );
        assert_err(r#"{ uuid = true, format = "{}" }"#, "`format` only applies");
        assert_err(
            "{ int = [1, 2], weights = [1] }",
            "`weights` only applies to `choice`",
        );
        assert_err(
            "{ int = [1, 2], scale = 2 }",
            "`scale` only applies to `decimal`",
        );
        assert_err("[1, 2]", "bare list");
        assert_err("{ uuid = false }", "uuid = true");
        assert_err(r#"{ ulid = "yes" }"#, "ulid = true");
    }

    #[test]
    fn toml_bound_errors() {
        assert_err("{ int = [10, 1] }", "min 10 > max 1");
        assert_err("{ int = [1] }", "[min, max]");
        assert_err("{ int = [1, 2.5] }", "whole number");
        assert_err(r#"{ decimal = ["2.00", "1.00"] }"#, "min 2.00 > max 1.00");
        assert_err(
            r#"{ decimal = ["1.005", "2"], scale = 2 }"#,
            "more than 2 decimal places",
        );
        assert_err(r#"{ decimal = ["abc", "2"] }"#, "not a decimal");
        assert_err(r#"{ decimal = ["1.", "2"] }"#, "not a decimal");
        assert_err(r#"{ decimal = ["1e5", "2"] }"#, "not a decimal");
        assert_err(
            r#"{ decimal = ["0", "1"], scale = 39 }"#,
            "scale 39 is too large",
        );
        assert_err(
            r#"{ decimal = ["0", "999999999999999999999999999999999999999"] }"#,
            "too many digits",
        );
        assert_err(r#"{ date = ["2024-12-31", "2024-01-01"] }"#, "min > max");
        assert_err(
            r#"{ datetime = ["2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"] }"#,
            "min > max",
        );
    }

    #[test]
    fn toml_bad_dates() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-1-1",
            "24-01-01",
            "2024/01/01",
            "2024-01-01x",
            "1900-02-29",
        ] {
            assert_err(
                &format!(r#"{{ date = ["{bad}", "2099-01-01"] }}"#),
                &format!("bad date `{bad}`"),
            );
        }
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00.5Z",
            "2024-01-01T00:00:00+2:00",
            "2023-02-29T00:00:00Z",
        ] {
            assert_err(
                &format!(r#"{{ datetime = ["{bad}", "2099-01-01T00:00:00Z"] }}"#),
                &format!("bad datetime `{bad}`"),
            );
        }
        // A TOML local date-time has no zone.
        assert_err(
            "{ datetime = [2024-01-01T00:00:00, 2024-01-02T00:00:00Z] }",
            "time zone",
        );
    }

    #[test]
    fn toml_bad_formats() {
        for bad in [
            "c{:5}", "{}{}", "none", "{:0}", "{x}", "a{", "a}", "{:05", "{:x5}",
        ] {
            assert_err(
                &format!(r#"{{ sequence = 1, format = "{bad}" }}"#),
                &format!("bad format `{bad}`"),
            );
        }
        assert_err("{ sequence = 1, format = 5 }", "bad format");
    }

    #[test]
    fn toml_other_errors() {
        assert_err(r#"{ fake = "unicorn" }"#, "unknown fake kind `unicorn`");
        assert_err(
            r#"{ choice = ["a", "b"], weights = [1] }"#,
            "weights length mismatch",
        );
        assert_err(
            r#"{ choice = ["a"], weights = [0] }"#,
            "all choice weights are 0",
        );
        assert_err(
            r#"{ choice = ["a"], weights = [-1] }"#,
            "weight -1 is out of range",
        );
        assert_err("{ choice = [] }", "empty choice");
        assert_err("{ bool = 1.5 }", "outside 0..=1");
        assert_err("{ bool = -0.1 }", "outside 0..=1");
        assert_err("{ bool = 2 }", "outside 0..=1");
        assert_err(
            "{ int = [1, 2], optional = 1.01 }",
            "optional probability 1.01 is outside 0..=1",
        );
        assert_err(r#"{ int = [1, 2], optional = "often" }"#, "probability");
        assert_err(r#"{ ref = "Customer" }"#, "bad ref `Customer`");
        assert_err(r#"{ ref = ".id" }"#, "bad ref");
        assert_err(r#"{ template = "{a" }"#, "never closed");
        assert_err(r#"{ template = "{a}{b}" }"#, "directly follows");
        assert_err("{ value = 1e300 }", "too large");
        assert_err("{ value = nan }", "not a number");
    }

    #[test]
    fn rules_built_in_code_are_checked_too() {
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("x", FieldRule::Int { min: 3, max: 1 })],
            )],
            None,
        );
        assert_eq!(e.message, "field `x`: int min 3 > max 1");
        assert_eq!(
            e.to_string(),
            "generator 0 (Thing): field `x`: int min 3 > max 1"
        );
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    ("id", seq()),
                    (
                        "x",
                        FieldRule::Const(serde_json::from_str("1e400").expect("json")),
                    ),
                ],
            )],
            None,
        );
        assert!(e.message.contains("too large"), "{e}");
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    ("id", seq()),
                    (
                        "x",
                        FieldRule::Optional {
                            probability: f64::NAN,
                            rule: Box::new(FieldRule::Uuid),
                        },
                    ),
                ],
            )],
            None,
        );
        assert!(e.message.contains("outside 0..=1"), "{e}");
        let e = gen_err(
            vec![spec(
                "Thing",
                3,
                vec![(
                    "id",
                    FieldRule::Sequence {
                        start: i64::MAX - 1,
                        step: 1,
                        format: None,
                    },
                )],
            )],
            None,
        );
        assert!(e.message.contains("64-bit range"), "{e}");
    }

    // -- values ----------------------------------------------------------------

    #[test]
    fn sequence_numbers_and_formats() {
        assert_eq!(
            sample(seq(), 3, 1),
            vec![Some(n("1")), Some(n("2")), Some(n("3"))]
        );
        let f = |start, step, format: &str, count| {
            texts(
                FieldRule::Sequence {
                    start,
                    step,
                    format: Some(format.into()),
                },
                count,
            )
        };
        assert_eq!(f(1, 1, "c{:05}", 3), ["c00001", "c00002", "c00003"]);
        assert_eq!(f(98, 1, "{}", 3), ["98", "99", "100"]);
        assert_eq!(f(0, 5, "x{:03}y", 3), ["x000y", "x005y", "x010y"]);
        assert_eq!(f(99_999, 1, "{:03}", 2), ["99999", "100000"]);
        assert_eq!(f(-1, -1, "{:04}", 2), ["-001", "-002"]);
        assert_eq!(f(7, 0, "{{{}}}", 2), ["{7}", "{7}"]);
        assert_eq!(f(1, 1, "{:010}", 1), ["0000000001"]);
        // String when formatted, number otherwise.
        assert_eq!(
            sample(
                FieldRule::Sequence {
                    start: 5,
                    step: 10,
                    format: Some("{}".into())
                },
                2,
                1
            ),
            vec![Some(s("5")), Some(s("15"))]
        );
    }

    #[test]
    fn uuid_format_and_determinism() {
        let a = texts(FieldRule::Uuid, 200);
        for u in &a {
            let b = u.as_bytes();
            assert_eq!(b.len(), 36, "{u}");
            for (i, c) in u.char_indices() {
                if [8, 13, 18, 23].contains(&i) {
                    assert_eq!(c, '-', "{u}");
                } else {
                    assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{u}");
                }
            }
            assert_eq!(b[14], b'4', "version nibble: {u}");
            assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "variant: {u}");
            let parsed = uuid::Uuid::parse_str(u).expect("uuid parses");
            assert_eq!(parsed.get_version_num(), 4);
        }
        assert_eq!(a.iter().collect::<HashSet<_>>().len(), a.len());
        assert_eq!(a, texts(FieldRule::Uuid, 200));
        let other: Vec<_> = sample(FieldRule::Uuid, 200, 43);
        assert_ne!(
            a.first().map(|x| s(x)),
            other.first().cloned().flatten(),
            "another seed, other uuids"
        );
    }

    #[test]
    fn ulid_format_time_and_determinism() {
        let a = texts(FieldRule::Ulid, 100);
        for (i, u) in a.iter().enumerate() {
            assert_eq!(u.len(), 26, "{u}");
            let parsed = ulid::Ulid::from_string(u).expect("ulid parses");
            assert_eq!(parsed.timestamp_ms(), (1_704_067_200 + i as u64) * 1000);
        }
        // Time-ordered: the texts sort in generation order.
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, a);
        assert_eq!(a, texts(FieldRule::Ulid, 100));
        let b = sample(FieldRule::Ulid, 100, 7);
        assert_ne!(Some(s(&a[0])), b[0]);
    }

    #[test]
    fn int_bounds_inclusive() {
        let v = texts(FieldRule::Int { min: -2, max: 2 }, 2000);
        let set: HashSet<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(set, HashSet::from(["-2", "-1", "0", "1", "2"]));
        assert_eq!(texts(FieldRule::Int { min: 7, max: 7 }, 3), ["7", "7", "7"]);
        let full = texts(
            FieldRule::Int {
                min: i64::MIN,
                max: i64::MAX,
            },
            10,
        );
        assert!(full.iter().all(|x| x.parse::<i64>().is_ok()));
        // Numbers are N.
        assert!(matches!(
            sample(FieldRule::Int { min: 1, max: 1 }, 1, 1)[0],
            Some(AttributeValue::N(_))
        ));
    }

    #[test]
    fn decimal_exact_small_steps() {
        let rule = FieldRule::Decimal {
            min: "0.01".into(),
            max: "0.03".into(),
            scale: 2,
        };
        let v = sample(rule, 3000, 5);
        let mut counts = BTreeMap::new();
        for x in v {
            let Some(AttributeValue::N(t)) = x else {
                panic!("decimal is N: {x:?}")
            };
            *counts.entry(t).or_insert(0) += 1;
        }
        assert_eq!(
            counts.keys().map(String::as_str).collect::<Vec<_>>(),
            ["0.01", "0.02", "0.03"]
        );
        assert!(counts.values().all(|&c| c > 800), "{counts:?}");
    }

    #[test]
    fn decimal_normalized_like_dynamodb() {
        let one = |min: &str, max: &str, scale| {
            texts(
                FieldRule::Decimal {
                    min: min.into(),
                    max: max.into(),
                    scale,
                },
                1,
            )
            .remove(0)
        };
        assert_eq!(one("12.50", "12.50", 2), "12.5");
        assert_eq!(one("12.00", "12.00", 2), "12");
        assert_eq!(one("0.00", "0.00", 2), "0");
        assert_eq!(one("-0.00", "-0.00", 2), "0");
        assert_eq!(one("-1.20", "-1.20", 2), "-1.2");
        assert_eq!(one("-0.05", "-0.05", 2), "-0.05");
        assert_eq!(one("007.5", "7.50", 1), "7.5");
        assert_eq!(one("3", "3", 0), "3");
        assert_eq!(format_units(1, 3), "0.001");
        assert_eq!(format_units(-1000, 3), "-1");
        assert_eq!(format_units(123_450, 2), "1234.5");
        assert_eq!(format_units(0, 0), "0");
        // Every output of a wide range is a valid DynamoDB number within
        // bounds, with no trailing fraction zeros.
        for t in texts(
            FieldRule::Decimal {
                min: "-5".into(),
                max: "5".into(),
                scale: 3,
            },
            500,
        ) {
            crate::dynamo::value::validate_number(&t).expect("valid number");
            if let Some((_, f)) = t.split_once('.') {
                assert!(!f.ends_with('0') && !f.is_empty(), "{t}");
            }
            let units = parse_decimal(&t, 3).expect("reparses");
            assert!((-5000..=5000).contains(&units), "{t}");
        }
    }

    #[test]
    fn decimal_38_digits() {
        let big = "9".repeat(38);
        let v = texts(
            FieldRule::Decimal {
                min: big.clone(),
                max: big.clone(),
                scale: 0,
            },
            2,
        );
        assert_eq!(v, [big.clone(), big.clone()]);
        let neg = format!("-{big}");
        assert_eq!(
            texts(
                FieldRule::Decimal {
                    min: neg.clone(),
                    max: neg.clone(),
                    scale: 0
                },
                1
            ),
            vec![neg.clone()]
        );
        // 36 integer digits and 2 decimals.
        let frac = format!("{}.99", "9".repeat(36));
        assert_eq!(
            texts(
                FieldRule::Decimal {
                    min: frac.clone(),
                    max: frac.clone(),
                    scale: 2
                },
                1
            ),
            [frac]
        );
        let tiny = format!("0.{}1", "0".repeat(37));
        assert_eq!(
            texts(
                FieldRule::Decimal {
                    min: tiny.clone(),
                    max: tiny.clone(),
                    scale: 38
                },
                1
            ),
            [tiny]
        );
        // A huge range: all outputs valid, exact, in range.
        for t in texts(
            FieldRule::Decimal {
                min: neg.clone(),
                max: big.clone(),
                scale: 0,
            },
            200,
        ) {
            crate::dynamo::value::validate_number(&t).expect("valid");
            assert!(t.trim_start_matches('-').len() <= 38, "{t}");
        }
        // 39 digits is too many.
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    ("id", seq()),
                    (
                        "x",
                        FieldRule::Decimal {
                            min: "0".into(),
                            max: format!("{big}.5"),
                            scale: 1,
                        },
                    ),
                ],
            )],
            None,
        );
        assert!(e.message.contains("too many digits"), "{e}");
    }

    #[test]
    fn date_leap_day_and_uniform() {
        let v = texts(
            FieldRule::Date {
                from: "2024-02-27".into(),
                to: "2024-03-02".into(),
            },
            5000,
        );
        let mut counts = BTreeMap::new();
        for d in &v {
            *counts.entry(d.as_str()).or_insert(0) += 1;
        }
        assert_eq!(
            counts.keys().copied().collect::<Vec<_>>(),
            [
                "2024-02-27",
                "2024-02-28",
                "2024-02-29",
                "2024-03-01",
                "2024-03-02"
            ]
        );
        for (d, c) in &counts {
            assert!((800..=1200).contains(c), "{d}: {c} of 5000");
        }
        let v = texts(
            FieldRule::Date {
                from: "2023-02-27".into(),
                to: "2023-03-01".into(),
            },
            500,
        );
        let set: HashSet<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(
            set,
            HashSet::from(["2023-02-27", "2023-02-28", "2023-03-01"])
        );
        // Across years, inside bounds.
        for d in texts(
            FieldRule::Date {
                from: "1999-12-30".into(),
                to: "2000-03-01".into(),
            },
            500,
        ) {
            assert!(("1999-12-30"..="2000-03-01").contains(&d.as_str()), "{d}");
            parse_date(&d).expect("valid date");
        }
    }

    #[test]
    fn datetime_bounds_and_format() {
        let v = texts(
            FieldRule::DateTime {
                from: "2024-02-28T23:59:58Z".into(),
                to: "2024-02-29T00:00:01Z".into(),
            },
            1000,
        );
        let set: HashSet<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(
            set,
            HashSet::from([
                "2024-02-28T23:59:58Z",
                "2024-02-28T23:59:59Z",
                "2024-02-29T00:00:00Z",
                "2024-02-29T00:00:01Z"
            ])
        );
        // Offsets are converted to UTC.
        assert_eq!(
            texts(
                FieldRule::DateTime {
                    from: "2024-01-01T02:30:00+02:30".into(),
                    to: "2024-01-01T00:00:00z".into(),
                },
                1
            ),
            ["2024-01-01T00:00:00Z"]
        );
        assert_eq!(
            parse_datetime("2023-12-31T19:00:00-05:00"),
            parse_datetime("2024-01-01T00:00:00Z")
        );
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(format_datetime(-1), "1969-12-31T23:59:59Z");
        assert!(parse_datetime("0000-01-01T00:00:00+01:00").is_err());
    }

    #[test]
    fn fake_kinds_are_non_empty() {
        for (name, kind) in FakeKind::ALL {
            let v = texts(FieldRule::Fake(kind), 20);
            for t in &v {
                assert!(!t.trim().is_empty(), "{name} gave {t:?}");
            }
            assert!(
                v.iter().collect::<HashSet<_>>().len() > 1,
                "{name} always gives the same text"
            );
            assert_eq!(
                v,
                texts(FieldRule::Fake(kind), 20),
                "{name} is deterministic"
            );
        }
        for e in texts(FieldRule::Fake(FakeKind::Email), 50) {
            assert!(e.contains('@'), "{e}");
        }
        for e in texts(FieldRule::Fake(FakeKind::Sentence), 20) {
            assert!(e.ends_with('.') && e.contains(' '), "{e}");
        }
    }

    #[test]
    fn choice_uniform_and_weighted() {
        let v = texts(
            FieldRule::Choice {
                values: vec!["a".into(), "b".into(), "c".into()],
                weights: None,
            },
            3000,
        );
        for x in ["a", "b", "c"] {
            let c = v.iter().filter(|t| *t == x).count();
            assert!((800..=1200).contains(&c), "{x}: {c}");
        }
        let v = texts(
            FieldRule::Choice {
                values: vec!["never".into(), "rare".into(), "often".into()],
                weights: Some(vec![0, 1, 3]),
            },
            4000,
        );
        assert!(!v.iter().any(|t| t == "never"));
        let rare = v.iter().filter(|t| *t == "rare").count();
        assert!((800..=1200).contains(&rare), "rare: {rare}");
        // JSON values become the matching attribute types, numbers exactly.
        let v = sample(
            FieldRule::Choice {
                values: vec![serde_json::from_str("1.50").expect("json")],
                weights: None,
            },
            1,
            1,
        );
        assert_eq!(v, [Some(n("1.50"))]);
    }

    #[test]
    fn bool_and_optional_probabilities() {
        let all = |p| sample(FieldRule::Bool { probability: p }, 300, 3);
        assert!(
            all(1.0)
                .iter()
                .all(|v| *v == Some(AttributeValue::Bool(true)))
        );
        assert!(
            all(0.0)
                .iter()
                .all(|v| *v == Some(AttributeValue::Bool(false)))
        );
        let half = all(0.5);
        let t = half
            .iter()
            .filter(|v| **v == Some(AttributeValue::Bool(true)))
            .count();
        assert!((100..=200).contains(&t), "{t}");

        let opt = |p| {
            sample(
                FieldRule::Optional {
                    probability: p,
                    rule: Box::new(FieldRule::Int { min: 1, max: 9 }),
                },
                500,
                3,
            )
        };
        assert!(opt(0.0).iter().all(Option::is_none));
        assert!(opt(1.0).iter().all(Option::is_some));
        let some = opt(0.3).iter().filter(|v| v.is_some()).count();
        assert!((100..=200).contains(&some), "{some}");
    }

    #[test]
    fn const_values_keep_their_type() {
        let v = sample(
            FieldRule::Const(serde_json::json!({"a": [1, "x", null], "b": false})),
            1,
            1,
        );
        let Some(AttributeValue::M(m)) = &v[0] else {
            panic!("map: {v:?}")
        };
        assert_eq!(
            m.get("a"),
            Some(&AttributeValue::L(vec![
                n("1"),
                s("x"),
                AttributeValue::Null(true)
            ]))
        );
        assert_eq!(m.get("b"), Some(&AttributeValue::Bool(false)));
        assert_eq!(
            sample(FieldRule::Const("USD".into()), 2, 1),
            [Some(s("USD")), Some(s("USD"))]
        );
    }

    // -- templates -------------------------------------------------------------

    #[test]
    fn template_over_earlier_fields() {
        let g = Generator::new(
            vec![spec(
                "Thing",
                50,
                vec![
                    ("id", seq()),
                    ("first", FieldRule::Fake(FakeKind::FirstName)),
                    ("last", FieldRule::Fake(FakeKind::LastName)),
                    ("vip", FieldRule::Bool { probability: 0.5 }),
                    (
                        "email",
                        FieldRule::Template("{first}.{last}.{id}.{vip}@example.com".into()),
                    ),
                ],
            )],
            &design(),
            "PK",
            None,
            9,
        )
        .expect("generator");
        for it in g {
            let text = |k: &str| match it.get(k) {
                Some(AttributeValue::S(x)) | Some(AttributeValue::N(x)) => x.clone(),
                Some(AttributeValue::Bool(b)) => b.to_string(),
                other => panic!("{k}: {other:?}"),
            };
            assert_eq!(
                text("email"),
                format!(
                    "{}.{}.{}.{}@example.com",
                    text("first"),
                    text("last"),
                    text("id"),
                    text("vip")
                )
            );
        }
    }

    #[test]
    fn template_absent_when_an_input_is_absent() {
        let g = Generator::new(
            vec![spec(
                "Thing",
                200,
                vec![
                    ("id", seq()),
                    (
                        "nick",
                        FieldRule::Optional {
                            probability: 0.5,
                            rule: Box::new(FieldRule::Fake(FakeKind::Word)),
                        },
                    ),
                    ("handle", FieldRule::Template("@{nick}".into())),
                ],
            )],
            &design(),
            "PK",
            None,
            9,
        )
        .expect("generator");
        let mut both = 0;
        for it in g {
            match (it.get("nick"), it.get("handle")) {
                (Some(AttributeValue::S(nk)), Some(AttributeValue::S(h))) => {
                    assert_eq!(h, &format!("@{nk}"));
                    both += 1;
                }
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(both > 50 && both < 150, "{both}");
    }

    // -- whole generator -------------------------------------------------------

    #[test]
    fn customers_and_orders_keys_types_and_refs() {
        let g = Generator::new(
            customers_and_orders(40, 300),
            &design(),
            "PK",
            Some("SK"),
            11,
        )
        .expect("generator");
        assert_eq!(g.total(), 340);
        assert_eq!(g.len(), 340);
        let items: Vec<Item> = g.collect();
        assert_eq!(items.len(), 340);
        let (customers, orders) = items.split_at(40);
        let mut ids = HashSet::new();
        for (i, c) in customers.iter().enumerate() {
            let id = format!("c{:05}", i + 1);
            assert_eq!(c.get("customerId"), Some(&s(&id)));
            assert_eq!(c.get("PK"), Some(&s(&format!("CUSTOMER#{id}"))));
            assert_eq!(c.get("SK"), Some(&s(&format!("CUSTOMER#{id}"))));
            assert_eq!(c.get("Type"), Some(&s("Customer")));
            assert!(!c.contains_key("GSI1PK"));
            let (Some(AttributeValue::S(f)), Some(AttributeValue::S(l))) =
                (c.get("firstName"), c.get("lastName"))
            else {
                panic!("names: {c:?}")
            };
            assert_eq!(c.get("email"), Some(&s(&format!("{f}.{l}@example.com"))));
            assert_eq!(c.len(), 8, "{c:?}");
            ids.insert(id);
        }
        let mut referenced = HashSet::new();
        for o in orders {
            let Some(AttributeValue::S(cid)) = o.get("customerId") else {
                panic!("customerId: {o:?}")
            };
            assert!(ids.contains(cid), "order of unknown customer {cid}");
            referenced.insert(cid.clone());
            let Some(AttributeValue::S(oid)) = o.get("orderId") else {
                panic!("orderId")
            };
            let Some(AttributeValue::S(date)) = o.get("orderDate") else {
                panic!("orderDate")
            };
            assert!(date.starts_with("2024-"), "{date}");
            assert_eq!(o.get("PK"), Some(&s(&format!("CUSTOMER#{cid}"))));
            assert_eq!(o.get("SK"), Some(&s(&format!("ORDER#{date}#{oid}"))));
            assert_eq!(o.get("GSI1PK"), Some(&s(&format!("ORDER#{oid}"))));
            // The entity's type_value, not its name.
            assert_eq!(o.get("Type"), Some(&s("ORDER")));
            assert!(matches!(o.get("total"), Some(AttributeValue::N(_))));
            assert_eq!(o.len(), 8, "{o:?}");
        }
        // The refs spread over the customers.
        assert!(referenced.len() > 30, "{}", referenced.len());
    }

    #[test]
    fn generated_items_classify_as_their_entity() {
        use crate::dynamo::entity::{Decoder, TableKeys};
        let cfg = design();
        let mut d = Decoder::new(
            &cfg,
            TableKeys {
                pk: "PK".into(),
                sk: Some("SK".into()),
                index_key_attrs: vec!["GSI1PK".into()],
            },
        );
        let g = Generator::new(customers_and_orders(5, 20), &cfg, "PK", Some("SK"), 3)
            .expect("generator");
        for (i, it) in g.enumerate() {
            let c = d.classify(&it);
            let name = c.entity.map(|e| d.entity_name(e).to_string());
            let want = if i < 5 { "Customer" } else { "Order" };
            assert_eq!(name.as_deref(), Some(want));
        }
    }

    #[test]
    fn deterministic_per_seed() {
        let run = |seed| -> Vec<Item> {
            Generator::new(
                customers_and_orders(20, 100),
                &design(),
                "PK",
                Some("SK"),
                seed,
            )
            .expect("generator")
            .collect()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn other_fields_do_not_shift_a_fields_values() {
        let run = |extra: bool| -> Vec<Option<AttributeValue>> {
            let mut fields = vec![("id", seq())];
            if extra {
                fields.push(("noise", FieldRule::Fake(FakeKind::Paragraph)));
            }
            fields.push(("x", FieldRule::Uuid));
            Generator::new(vec![spec("Thing", 20, fields)], &design(), "PK", None, 5)
                .expect("generator")
                .map(|mut it| it.remove("x"))
                .collect()
        };
        assert_eq!(run(false), run(true));
    }

    #[test]
    fn table_without_sort_key_and_numeric_keys() {
        // `sk_attr` None: the sk template is neither needed nor written.
        let g = Generator::new(customers_and_orders(2, 2), &design(), "PK", None, 1)
            .expect("generator");
        for it in g {
            assert!(!it.contains_key("SK"));
            assert!(it.contains_key("PK"));
        }
        // A key made of exactly one numeric field stays a number; inside a
        // template it is text.
        let cfg = DecodeConfig {
            type_attribute: None,
            entities: vec![EntityDef {
                pk: Some(tpl("SENSOR#{sensor}")),
                sk: Some(tpl("{ts}")),
                ..EntityDef::new("Reading")
            }],
        };
        let items: Vec<Item> = Generator::new(
            vec![spec(
                "Reading",
                2,
                vec![
                    ("sensor", FieldRule::Int { min: 7, max: 7 }),
                    (
                        "ts",
                        FieldRule::Sequence {
                            start: 1_700_000_000,
                            step: 60,
                            format: None,
                        },
                    ),
                ],
            )],
            &cfg,
            "PK",
            Some("SK"),
            1,
        )
        .expect("generator")
        .collect();
        assert_eq!(items[0].get("PK"), Some(&s("SENSOR#7")));
        assert_eq!(items[0].get("SK"), Some(&n("1700000000")));
        assert_eq!(items[1].get("SK"), Some(&n("1700000060")));
        // No type attribute configured: none written.
        assert_eq!(items[0].len(), 4);
    }

    #[test]
    fn empty_and_zero_count_specs() {
        let mut g = Generator::new(vec![], &design(), "PK", None, 1).expect("generator");
        assert_eq!(g.total(), 0);
        assert!(g.next().is_none());
        let g = Generator::new(
            vec![
                spec("Thing", 0, vec![("id", seq())]),
                spec("Thing", 2, vec![("id", seq())]),
                spec("Thing", 0, vec![("id", seq())]),
            ],
            &design(),
            "PK",
            None,
            1,
        )
        .expect("generator");
        assert_eq!(g.total(), 2);
        assert_eq!(g.count(), 2);
    }

    #[test]
    fn refs_read_only_earlier_generators() {
        // Two Customer generators, orders between them: orders only see the
        // first one's ids.
        let cust = |count, format: &str| {
            spec(
                "Customer",
                count,
                vec![(
                    "customerId",
                    FieldRule::Sequence {
                        start: 1,
                        step: 1,
                        format: Some(format.into()),
                    },
                )],
            )
        };
        let mut specs = customers_and_orders(0, 0);
        specs[0] = cust(3, "a{}");
        specs.push(cust(3, "b{}"));
        specs[1].count = 100;
        specs.push(spec(
            "Thing",
            200,
            vec![
                ("id", seq()),
                (
                    "owner",
                    FieldRule::Ref {
                        entity: "Customer".into(),
                        field: "customerId".into(),
                    },
                ),
            ],
        ));
        let mut cfg = design();
        cfg.entities[2].sk = Some(tpl("THING#{id}"));
        let g = Generator::new(specs, &cfg, "PK", Some("SK"), 1).expect("generator");
        let mut order_owners = HashSet::new();
        let mut thing_owners = HashSet::new();
        for it in g {
            let owner = |k: &str| match it.get(k) {
                Some(AttributeValue::S(x)) => x.clone(),
                other => panic!("{other:?}"),
            };
            match it.get("Type") {
                Some(AttributeValue::S(t)) if t == "ORDER" => {
                    order_owners.insert(owner("customerId"));
                }
                Some(AttributeValue::S(t)) if t == "Thing" => {
                    thing_owners.insert(owner("owner"));
                }
                _ => {}
            }
        }
        let set = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<HashSet<_>>();
        assert_eq!(order_owners, set(&["a1", "a2", "a3"]));
        assert_eq!(thing_owners, set(&["a1", "a2", "a3", "b1", "b2", "b3"]));
    }

    #[test]
    fn ref_to_optional_field_is_absent_when_pool_is_empty() {
        let specs = vec![
            spec(
                "Thing",
                5,
                vec![
                    ("id", seq()),
                    (
                        "tag",
                        FieldRule::Optional {
                            probability: 0.0,
                            rule: Box::new(FieldRule::Fake(FakeKind::Word)),
                        },
                    ),
                ],
            ),
            spec(
                "Thing",
                5,
                vec![
                    (
                        "id",
                        FieldRule::Sequence {
                            start: 100,
                            step: 1,
                            format: None,
                        },
                    ),
                    (
                        "copied",
                        FieldRule::Ref {
                            entity: "Thing".into(),
                            field: "tag".into(),
                        },
                    ),
                ],
            ),
        ];
        let items: Vec<Item> = Generator::new(specs, &design(), "PK", None, 1)
            .expect("generator")
            .collect();
        assert_eq!(items.len(), 10);
        assert!(items.iter().all(|it| !it.contains_key("copied")));
    }

    #[test]
    fn only_referenced_fields_are_pooled() {
        let mut g = Generator::new(customers_and_orders(50, 10), &design(), "PK", Some("SK"), 1)
            .expect("generator");
        assert_eq!(g.pools.len(), 1);
        let pooled: Vec<(&str, &str)> = g
            .specs
            .iter()
            .flat_map(|s| {
                s.fields
                    .iter()
                    .filter(|f| f.pool.is_some())
                    .map(|f| (s.entity.as_str(), f.name.as_str()))
            })
            .collect();
        assert_eq!(pooled, [("Customer", "customerId")]);
        g.by_ref().for_each(drop);
        assert_eq!(g.pools[0].values.len(), 50);
        // Without refs nothing is kept.
        let mut g = Generator::new(customers_and_orders(50, 0), &design(), "PK", Some("SK"), 1)
            .expect("generator");
        assert!(g.pools.is_empty());
        assert_eq!(g.by_ref().count(), 50);
    }

    #[test]
    fn hundred_thousand_items_streamed() {
        let mut specs = customers_and_orders(1_000, 99_000);
        // Give orders a unique sequence id so the test is about volume.
        specs[1].fields[0].1 = FieldRule::Sequence {
            start: 1,
            step: 1,
            format: Some("o{:07}".into()),
        };
        let g = Generator::new(specs, &design(), "PK", Some("SK"), 1).expect("generator");
        assert_eq!(g.total(), 100_000);
        let mut count = 0usize;
        let mut last_sk = None;
        for it in g {
            count += 1;
            last_sk = it.get("SK").cloned();
        }
        assert_eq!(count, 100_000);
        let Some(AttributeValue::S(sk)) = last_sk else {
            panic!("sk")
        };
        assert!(sk.ends_with("#o0099000"), "{sk}");
    }

    // -- Generator::new errors ------------------------------------------------

    #[test]
    fn error_undeclared_entity() {
        let e = gen_err(vec![spec("Widget", 1, vec![("id", seq())])], None);
        assert_eq!(e.index, 0);
        assert_eq!(e.entity, "Widget");
        assert_eq!(
            e.message,
            "entity `Widget` is not declared (declared: Customer, Order, Thing, Bare)"
        );
    }

    #[test]
    fn error_missing_templates() {
        let e = gen_err(vec![spec("Bare", 1, vec![("id", seq())])], None);
        assert_eq!(
            e.message,
            "entity `Bare` has no pk template, so its partition key `PK` cannot be built"
        );
        let e = gen_err(vec![spec("Thing", 1, vec![("id", seq())])], Some("SK"));
        assert_eq!(
            e.message,
            "entity `Thing` has no sk template, but the table has a sort key `SK`"
        );
    }

    #[test]
    fn error_key_param_without_rule() {
        let mut specs = customers_and_orders(1, 1);
        specs[1].fields.retain(|(n, _)| n != "orderDate");
        let e = gen_err(specs, Some("SK"));
        assert_eq!(e.index, 1);
        assert_eq!(e.entity, "Order");
        assert_eq!(
            e.message,
            "key template `ORDER#{orderDate}#{orderId}` needs field `orderDate`, which no rule produces"
        );
        assert_eq!(
            e.to_string(),
            "generator 1 (Order): key template `ORDER#{orderDate}#{orderId}` needs field `orderDate`, which no rule produces"
        );
        // Index keys are checked too.
        let cfg = {
            let mut c = design();
            c.entities[2].index_keys = vec![("GSI1PK".into(), tpl("G#{group}"))];
            c
        };
        let Err(e) = Generator::new(
            vec![spec("Thing", 1, vec![("id", seq())])],
            &cfg,
            "PK",
            None,
            1,
        ) else {
            panic!("accepted")
        };
        assert_eq!(
            e.message,
            "key template `G#{group}` needs field `group`, which no rule produces"
        );
    }

    #[test]
    fn error_key_param_optional_or_empty() {
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![(
                    "id",
                    FieldRule::Optional {
                        probability: 0.5,
                        rule: Box::new(seq()),
                    },
                )],
            )],
            None,
        );
        assert!(
            e.message.starts_with(
                "key template `THING#{id}` needs field `id`, which is not on every item"
            ),
            "{e}"
        );
        // Probability 1 is always present.
        Generator::new(
            vec![spec(
                "Thing",
                1,
                vec![(
                    "id",
                    FieldRule::Optional {
                        probability: 1.0,
                        rule: Box::new(seq()),
                    },
                )],
            )],
            &design(),
            "PK",
            None,
            1,
        )
        .expect("probability 1 is fine");
        for bad in [
            FieldRule::Const("".into()),
            FieldRule::Const(serde_json::json!([1])),
            FieldRule::Const(Value::Null),
            FieldRule::Choice {
                values: vec!["a".into(), "".into()],
                weights: None,
            },
        ] {
            let e = gen_err(vec![spec("Thing", 1, vec![("id", bad.clone())])], None);
            assert!(
                e.message.contains("can be empty or a list, map or null"),
                "{bad:?}: {e}"
            );
        }
        // A zero-weight empty value is never chosen, so it is fine.
        Generator::new(
            vec![spec(
                "Thing",
                1,
                vec![(
                    "id",
                    FieldRule::Choice {
                        values: vec!["a".into(), "".into()],
                        weights: Some(vec![1, 0]),
                    },
                )],
            )],
            &design(),
            "PK",
            None,
            1,
        )
        .expect("zero-weight empty choice");
        // A template over an optional field may be absent.
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    (
                        "n",
                        FieldRule::Optional {
                            probability: 0.5,
                            rule: Box::new(seq()),
                        },
                    ),
                    ("id", FieldRule::Template("x{n}".into())),
                ],
            )],
            None,
        );
        assert!(e.message.contains("not on every item"), "{e}");
    }

    #[test]
    fn error_templates_use_earlier_fields_only() {
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    ("id", seq()),
                    ("email", FieldRule::Template("{first}@example.com".into())),
                    ("first", FieldRule::Fake(FakeKind::FirstName)),
                ],
            )],
            None,
        );
        assert_eq!(
            e.message,
            "field `email`: template `{first}@example.com` uses field `first`, which is declared after it; a template can only use earlier fields"
        );
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    ("id", seq()),
                    ("email", FieldRule::Template("{nobody}@example.com".into())),
                ],
            )],
            None,
        );
        assert_eq!(
            e.message,
            "field `email`: template `{nobody}@example.com` uses field `nobody`, which no rule produces"
        );
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("me", FieldRule::Template("{me}".into()))],
            )],
            None,
        );
        assert_eq!(
            e.message,
            "field `me`: template `{me}` uses its own field `me`"
        );
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![
                    ("id", seq()),
                    ("list", FieldRule::Const(serde_json::json!([1, 2]))),
                    ("t", FieldRule::Template("{list}".into())),
                ],
            )],
            None,
        );
        assert!(
            e.message.contains("not all strings, numbers or booleans"),
            "{e}"
        );
    }

    #[test]
    fn error_refs() {
        let r = |entity: &str, field: &str| FieldRule::Ref {
            entity: entity.into(),
            field: field.into(),
        };
        // Ref to a later generator.
        let mut specs = customers_and_orders(1, 1);
        specs.swap(0, 1);
        let e = gen_err(specs, Some("SK"));
        assert_eq!(e.index, 0);
        assert_eq!(
            e.message,
            "field `customerId`: ref `Customer.customerId`: no earlier generator makes `Customer` items (a ref reads generators listed before it)"
        );
        // Unknown entity.
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("x", r("Ghost", "id"))],
            )],
            None,
        );
        assert!(
            e.message
                .contains("no earlier generator makes `Ghost` items"),
            "{e}"
        );
        // Self-reference within one generator.
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("x", r("Thing", "id"))],
            )],
            None,
        );
        assert!(
            e.message
                .contains("no earlier generator makes `Thing` items"),
            "{e}"
        );
        // Unknown field.
        let mut specs = customers_and_orders(1, 1);
        specs[1].fields[1].1 = r("Customer", "email2");
        let e = gen_err(specs, Some("SK"));
        assert_eq!(e.index, 1);
        assert_eq!(
            e.message,
            "field `customerId`: ref `Customer.email2`: the earlier generators for `Customer` have no field `email2`"
        );
        // Referenced generator makes nothing.
        let e = gen_err(customers_and_orders(0, 5), Some("SK"));
        assert!(
            e.message.ends_with(
                "ref `Customer.customerId`: the earlier generators for `Customer` make no items"
            ),
            "{e}"
        );
        // ... which is fine when the referring generator makes nothing too.
        Generator::new(customers_and_orders(0, 0), &design(), "PK", Some("SK"), 1)
            .expect("nothing to make");
        // A ref to an optional field cannot build a key.
        let mut specs = customers_and_orders(1, 1);
        specs[0].fields.push((
            "alias".into(),
            FieldRule::Optional {
                probability: 0.5,
                rule: Box::new(FieldRule::Fake(FakeKind::Word)),
            },
        ));
        specs[1].fields[1].1 = r("Customer", "alias");
        let e = gen_err(specs, Some("SK"));
        assert!(
            e.message
                .contains("needs field `customerId`, which is not on every item"),
            "{e}"
        );
    }

    #[test]
    fn error_field_names() {
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("id", FieldRule::Uuid)],
            )],
            None,
        );
        assert_eq!(e.message, "field `id` is declared twice");
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("PK", FieldRule::Uuid)],
            )],
            None,
        );
        assert_eq!(
            e.message,
            "field `PK` has the name of a key attribute, which is built from its key template"
        );
        let e = gen_err(
            vec![spec(
                "Thing",
                1,
                vec![("id", seq()), ("Type", FieldRule::Uuid)],
            )],
            None,
        );
        assert_eq!(
            e.message,
            "field `Type` has the name of the type attribute, which is set to `Thing`"
        );
        let e = gen_err(
            vec![spec("Thing", 1, vec![("id", seq()), ("", FieldRule::Uuid)])],
            None,
        );
        assert_eq!(e.message, "a field has an empty name");
        // The second generator's error names it.
        let e = gen_err(
            vec![
                spec("Thing", 1, vec![("id", seq())]),
                spec("Thing", 1, vec![("id", seq()), ("id", seq())]),
            ],
            None,
        );
        assert_eq!(e.index, 1);
        assert_eq!(
            e.to_string(),
            "generator 1 (Thing): field `id` is declared twice"
        );
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn day_numbers_round_trip(z in -719_528i64..2_932_897) {
                // Years 0000 to 9999, as dates are written.
                let text = format_date(z);
                prop_assert_eq!(parse_date(&text), Ok(z));
            }

            #[test]
            fn decimal_text_round_trips(units in -(10i128.pow(38) - 1)..10i128.pow(38), scale in 0u32..=38) {
                let t = format_units(units, scale);
                prop_assert!(crate::dynamo::value::validate_number(&t).is_ok(), "{}", t);
                prop_assert_eq!(parse_decimal(&t, scale), Ok(units));
                if let Some((_, f)) = t.split_once('.') {
                    prop_assert!(!f.ends_with('0'));
                }
            }

            #[test]
            fn datetime_text_round_trips(secs in datetime_range()) {
                prop_assert_eq!(parse_datetime(&format_datetime(secs)), Ok(secs));
            }
        }
    }
}
