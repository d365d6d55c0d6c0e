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

    fn generate(self, rng: &mut ChaCha8Rng) -> String {
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
                        return Err(if ctx.all_names.contains(&p) {
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

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD` → day number.
fn parse_date(s: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("bad date `{s}`: {why}");
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad("expected YYYY-MM-DD"));
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[..4]), digits(&s[5..7]), digits(&s[8..])) else {
        return Err(bad("expected YYYY-MM-DD"));
    };
    if !(1..=12).contains(&m) {
        return Err(bad("no such month"));
    }
    if d < 1 || d > days_in_month(y, m) {
        return Err(bad("no such day in that month"));
    }
    Ok(days_from_civil(y, m, d))
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds of 0000-01-01T00:00:00Z and of the start of year 10000: the
/// range that prints as four-digit years.
fn datetime_range() -> std::ops::Range<i64> {
    days_from_civil(0, 1, 1) * 86_400..days_from_civil(10_000, 1, 1) * 86_400
}

/// RFC 3339 `YYYY-MM-DDTHH:MM:SS` plus `Z` or `±HH:MM` → Unix seconds (UTC).
fn parse_datetime(s: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("bad datetime `{s}`: {why}");
    const SHAPE: &str = "expected RFC 3339 like 2024-01-01T00:00:00Z";
    if s.len() < 20 || !s.is_char_boundary(10) || !s.is_char_boundary(19) {
        return Err(bad(SHAPE));
    }
    let days = parse_date(&s[..10]).map_err(|_| bad(SHAPE))?;
    let b = s.as_bytes();
    if !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return Err(bad(SHAPE));
    }
    let (Some(h), Some(mi), Some(sec)) =
        (digits(&s[11..13]), digits(&s[14..16]), digits(&s[17..19]))
    else {
        return Err(bad(SHAPE));
    };
    if h > 23 || mi > 59 || sec > 59 {
        return Err(bad("time out of range"));
    }
    let zone = &s[19..];
    let offset = match zone {
        "Z" | "z" => 0,
        _ if zone.starts_with('.') => {
            return Err(bad("fractional seconds are not supported"));
        }
        _ => {
            let zb = zone.as_bytes();
            let sign = match zb.first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => {
                    return Err(bad(
                        "needs a time zone: end with Z (UTC) or an offset like +02:00",
                    ));
                }
            };
            if zb.len() != 6 || zb[3] != b':' {
                return Err(bad("bad offset; write it like +02:00"));
            }
            let (Some(oh), Some(om)) = (digits(&zone[1..3]), digits(&zone[4..6])) else {
                return Err(bad("bad offset; write it like +02:00"));
            };
            if oh > 23 || om > 59 {
                return Err(bad("offset out of range"));
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    if !datetime_range().contains(&secs) {
        return Err(bad("outside years 0000 to 9999 in UTC"));
    }
    Ok(secs)
}

fn format_datetime(secs: i64) -> String {
    let tod = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(secs.div_euclid(86_400)),
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
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

/// FNV-1a, for stable per-field stream numbers.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separator, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
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
