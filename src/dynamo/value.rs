//! Exact conversion between DynamoDB [`AttributeValue`]s and JSON.
//!
//! Two JSON shapes are supported (see [`JsonFormat`]):
//!
//! * **Plain** JSON, the way a person writes a document: `{"id": "a", "n": 1.50}`.
//!   Strings become `S`, numbers `N`, booleans `BOOL`, `null` `NULL`, arrays `L`
//!   and objects `M`. Plain JSON cannot express binary values or sets, so when
//!   converting *to* plain JSON, `B` becomes a base64 string and `SS`/`NS`/`BS`
//!   become arrays; reading that JSON back gives `S` and `L`.
//! * **DynamoDB** JSON, the typed shape used by the AWS API and CLI:
//!   `{"id": {"S": "a"}, "n": {"N": "1.50"}}`. Every value round-trips exactly.
//!
//! # Numbers
//!
//! Numbers never go through `f64`. DynamoDB numbers are kept as their text; in
//! plain JSON they are `serde_json::Number`s, which with serde_json's
//! `arbitrary_precision` feature also keep their text. The digits always
//! survive exactly (`1.50` stays `1.50`, `-0` stays `-0`, 38-digit numbers stay
//! intact). One caveat of plain JSON: serde_json's parser normalises the
//! *spelling of the exponent marker*, so `1E5` and `1E+5` read from plain JSON
//! text become `1e+5` (the same number for DynamoDB). DynamoDB JSON carries
//! numbers as strings and keeps even that spelling.
//!
//! The number syntax accepted is exactly JSON's (see [`validate_number`]), so
//! every valid DynamoDB number here is also a valid plain JSON number.
//!
//! # Errors
//!
//! Errors carry a path to the offending value: `$` is the item (or the value
//! passed in), `.name` an attribute or map key (`["odd name"]` when the name is
//! not a simple identifier), `[3]` a list element or set member. Paths follow
//! the document structure, not the DynamoDB JSON wrapping, so a bad price in
//! the fourth element of the `items` list is `$.items[3].price`.

use std::collections::HashSet;
use std::fmt::Write as _;

use aws_smithy_types::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Number, Value};

use super::{AttributeValue, Item};

/// Which JSON shape a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFormat {
    /// Ordinary JSON: `{"name": "x", "age": 3}`.
    Plain,
    /// DynamoDB (AWS API) JSON: `{"name": {"S": "x"}, "age": {"N": "3"}}`.
    Dynamo,
}

/// A JSON value that cannot be turned into a DynamoDB value.
///
/// `path` says where (`$` is the root, e.g. `$.orders[2].total`), `message`
/// says what is wrong, in words meant for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValueError {
    /// Location of the problem, like `$.orders[2].total`.
    pub path: String,
    /// What is wrong, like `"N" value "12x" is not a number`.
    pub message: String,
}

/// The DynamoDB JSON type keys, in the order used in messages.
const TYPE_KEYS: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"];
/// [`TYPE_KEYS`] as text for messages.
const TYPE_KEY_LIST: &str = "S, N, B, BOOL, NULL, L, M, SS, NS, BS";
/// Most significant digits a DynamoDB number may have.
const MAX_SIGNIFICANT_DIGITS: usize = 38;
/// Largest decimal exponent of the leading digit (9.99…E+125).
const MAX_EXPONENT: i128 = 125;
/// Smallest decimal exponent of the leading digit (1E-130).
const MIN_EXPONENT: i128 = -130;

// ---------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------

/// A location in a document, built on the stack while walking it and only
/// rendered to text when an error is reported.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root => out.push('$'),
            Path::Key(parent, key) => {
                parent.render_into(out);
                if is_simple_name(key) {
                    out.push('.');
                    out.push_str(key);
                } else {
                    out.push('[');
                    // A JSON string literal: quoted and escaped.
                    out.push_str(&Value::String((*key).to_owned()).to_string());
                    out.push(']');
                }
            }
            Path::Index(parent, index) => {
                parent.render_into(out);
                let _ = write!(out, "[{index}]");
            }
        }
    }

    fn error(&self, message: impl Into<String>) -> ValueError {
        ValueError {
            path: self.render(),
            message: message.into(),
        }
    }
}

/// Names written as `.name` in paths; anything else is written `["name"]`.
fn is_simple_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// "a string", "an array", … for messages.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------
// AttributeValue -> JSON
// ---------------------------------------------------------------------------

/// Converts a value to plain JSON.
///
/// `S` → string, `N` → JSON number with exactly the same text, `B` → base64
/// string (standard alphabet, padded), `BOOL` → boolean, `NULL` → `null`,
/// `L` → array, `M` → object (keys sorted), `SS`/`NS`/`BS` → arrays of strings /
/// numbers / base64 strings.
///
/// A number text that is not valid JSON (which cannot come from DynamoDB or
/// from this module's parsers) is emitted as a JSON string so nothing is lost.
/// Values of an SDK variant this crate does not know become `null`.
pub fn to_plain(av: &AttributeValue) -> Value {
    match av {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number_to_json(n),
        AttributeValue::B(b) => Value::String(BASE64.encode(b.as_ref())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(items) => Value::Array(items.iter().map(to_plain).collect()),
        AttributeValue::M(map) => Value::Object(
            sorted_entries(map)
                .into_iter()
                .map(|(k, v)| (k.clone(), to_plain(v)))
                .collect(),
        ),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().map(|s| Value::String(s.clone())).collect())
        }
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| number_to_json(n)).collect()),
        AttributeValue::Bs(items) => Value::Array(
            items
                .iter()
                .map(|b| Value::String(BASE64.encode(b.as_ref())))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Converts a value to DynamoDB JSON, e.g. `{"N": "1.5"}` or
/// `{"M": {"a": {"S": "x"}}}`. Numbers are strings with the exact text, binary
/// is base64 (standard alphabet, padded), map keys are sorted.
///
/// `NULL` keeps its flag (`{"NULL": true}`); a value of an SDK variant this
/// crate does not know becomes JSON `null`, which [`from_dynamo`] rejects.
pub fn to_dynamo(av: &AttributeValue) -> Value {
    let (key, inner) = match av {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.clone())),
        AttributeValue::B(b) => ("B", Value::String(BASE64.encode(b.as_ref()))),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null(b) => ("NULL", Value::Bool(*b)),
        AttributeValue::L(items) => ("L", Value::Array(items.iter().map(to_dynamo).collect())),
        AttributeValue::M(map) => ("M", dynamo_object(map)),
        AttributeValue::Ss(items) => (
            "SS",
            Value::Array(items.iter().map(|s| Value::String(s.clone())).collect()),
        ),
        AttributeValue::Ns(items) => (
            "NS",
            Value::Array(items.iter().map(|s| Value::String(s.clone())).collect()),
        ),
        AttributeValue::Bs(items) => (
            "BS",
            Value::Array(
                items
                    .iter()
                    .map(|b| Value::String(BASE64.encode(b.as_ref())))
                    .collect(),
            ),
        ),
        _ => return Value::Null,
    };
    let mut object = Map::with_capacity(1);
    object.insert(key.to_owned(), inner);
    Value::Object(object)
}

/// Converts a whole item to a plain JSON object, attributes sorted by name.
pub fn item_to_plain(item: &Item) -> Value {
    Value::Object(
        sorted_entries(item)
            .into_iter()
            .map(|(k, v)| (k.clone(), to_plain(v)))
            .collect(),
    )
}

/// Converts a whole item to a DynamoDB JSON object, attributes sorted by name.
pub fn item_to_dynamo(item: &Item) -> Value {
    dynamo_object(item)
}

fn dynamo_object(map: &Item) -> Value {
    Value::Object(
        sorted_entries(map)
            .into_iter()
            .map(|(k, v)| (k.clone(), to_dynamo(v)))
            .collect(),
    )
}

fn sorted_entries(map: &Item) -> Vec<(&String, &AttributeValue)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// A number text as a JSON number (text kept by `arbitrary_precision`), or as
/// a string when it is not valid JSON number syntax.
fn number_to_json(text: &str) -> Value {
    match text.parse::<Number>() {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(text.to_owned()),
    }
}

// ---------------------------------------------------------------------------
// JSON -> AttributeValue
// ---------------------------------------------------------------------------

/// Reads a value from plain JSON: string → `S`, number → `N` (exact text),
/// boolean → `BOOL`, `null` → `NULL`, array → `L`, object → `M`.
///
/// Numbers must satisfy DynamoDB's limits ([`validate_number`]), e.g. `1e400`
/// is rejected. Errors are reported relative to `$` = `v`.
pub fn from_plain(v: &Value) -> Result<AttributeValue, ValueError> {
    from_plain_at(v, &Path::Root)
}

fn from_plain_at(v: &Value, path: &Path<'_>) -> Result<AttributeValue, ValueError> {
    Ok(match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => {
            // Display of an arbitrary_precision Number is its exact text.
            let text = n.to_string();
            if let Err(reason) = validate_number(&text) {
                return Err(path.error(format!("number {text} {reason}")));
            }
            AttributeValue::N(text)
        }
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| from_plain_at(item, &Path::Index(path, i)))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => AttributeValue::M(plain_map(map, path)?),
    })
}

fn plain_map(map: &Map<String, Value>, path: &Path<'_>) -> Result<Item, ValueError> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_plain_at(v, &Path::Key(path, k))?)))
        .collect()
}

/// Reads a value from DynamoDB JSON such as `{"S": "x"}` or `{"N": "1.5"}`.
///
/// Strict: the object must have exactly one type key (`S`, `N`, `B`, `BOOL`,
/// `NULL`, `L`, `M`, `SS`, `NS`, `BS`, case-sensitive) whose value has the
/// right JSON shape (`N` and `NS` members are strings, as in the AWS API).
/// Numbers are checked with [`validate_number`]; `B`/`BS` must be standard,
/// padded base64; `NULL` must be `true`; sets must be non-empty and without
/// duplicates (`NS` members are compared by numeric value, so `1` and `1.0`
/// are duplicates, as they are for DynamoDB). Errors are reported relative to
/// `$` = `v`.
pub fn from_dynamo(v: &Value) -> Result<AttributeValue, ValueError> {
    from_dynamo_at(v, &Path::Root)
}

fn from_dynamo_at(v: &Value, path: &Path<'_>) -> Result<AttributeValue, ValueError> {
    let object = match v {
        Value::Object(object) => object,
        other => {
            return Err(path.error(format!(
                "expected a DynamoDB JSON object with one type key, like {{\"S\": \"text\"}}, found {}",
                json_kind(other)
            )));
        }
    };
    let mut entries = object.iter();
    let (key, inner) = match (entries.next(), object.len()) {
        (Some(entry), 1) => entry,
        (_, found) => {
            return Err(path.error(format!(
                "expected exactly one type key ({TYPE_KEY_LIST}), found {found}"
            )));
        }
    };
    let wrong_shape = |expected: &str| {
        path.error(format!(
            "\"{key}\" value must be {expected}, found {}",
            json_kind(inner)
        ))
    };
    Ok(match key.as_str() {
        "S" => match inner {
            Value::String(s) => AttributeValue::S(s.clone()),
            _ => return Err(wrong_shape("a string")),
        },
        "N" => match inner {
            Value::String(s) => {
                if let Err(reason) = validate_number(s) {
                    return Err(path.error(format!("\"N\" value {} {reason}", quoted(s))));
                }
                AttributeValue::N(s.clone())
            }
            _ => return Err(wrong_shape("a string holding a number, like \"42\"")),
        },
        "B" => match inner {
            Value::String(s) => match BASE64.decode(s) {
                Ok(bytes) => AttributeValue::B(Blob::new(bytes)),
                Err(e) => {
                    return Err(path.error(format!("\"B\" value is not valid base64: {e}")));
                }
            },
            _ => return Err(wrong_shape("a base64 string")),
        },
        "BOOL" => match inner {
            Value::Bool(b) => AttributeValue::Bool(*b),
            _ => return Err(wrong_shape("true or false")),
        },
        "NULL" => match inner {
            Value::Bool(true) => AttributeValue::Null(true),
            Value::Bool(false) => return Err(path.error("\"NULL\" value must be true")),
            _ => return Err(wrong_shape("true")),
        },
        "L" => match inner {
            Value::Array(items) => AttributeValue::L(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| from_dynamo_at(item, &Path::Index(path, i)))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(wrong_shape("an array")),
        },
        "M" => match inner {
            Value::Object(map) => AttributeValue::M(dynamo_map(map, path)?),
            _ => return Err(wrong_shape("an object")),
        },
        "SS" => {
            let members = set_members("SS", inner, path)?;
            let mut seen = HashSet::with_capacity(members.len());
            for (i, s) in members.iter().enumerate() {
                if !seen.insert(*s) {
                    return Err(Path::Index(path, i).error(format!(
                        "duplicate member {} in \"SS\" set",
                        quoted(s)
                    )));
                }
            }
            AttributeValue::Ss(members.into_iter().map(str::to_owned).collect())
        }
        "NS" => {
            let members = set_members("NS", inner, path)?;
            let mut seen = HashSet::with_capacity(members.len());
            for (i, s) in members.iter().enumerate() {
                let at = Path::Index(path, i);
                let parts = parse_number(s)
                    .and_then(|parts| check_limits(&parts).map(|()| parts))
                    .map_err(|reason| {
                        at.error(format!("\"NS\" member {} {reason}", quoted(s)))
                    })?;
                if !seen.insert(parts.canonical()) {
                    return Err(at.error(format!(
                        "duplicate member {} in \"NS\" set (numbers are compared by value)",
                        quoted(s)
                    )));
                }
            }
            AttributeValue::Ns(members.into_iter().map(str::to_owned).collect())
        }
        "BS" => {
            let members = set_members("BS", inner, path)?;
            let mut blobs: Vec<Vec<u8>> = Vec::with_capacity(members.len());
            for (i, s) in members.iter().enumerate() {
                let at = Path::Index(path, i);
                let bytes = BASE64.decode(s).map_err(|e| {
                    at.error(format!("\"BS\" member is not valid base64: {e}"))
                })?;
                if blobs.contains(&bytes) {
                    return Err(at.error(format!(
                        "duplicate member {} in \"BS\" set",
                        quoted(s)
                    )));
                }
                blobs.push(bytes);
            }
            AttributeValue::Bs(blobs.into_iter().map(Blob::new).collect())
        }
        other => {
            let upper = other.to_ascii_uppercase();
            let hint = if TYPE_KEYS.contains(&upper.as_str()) {
                format!(" (type keys are case-sensitive: did you mean \"{upper}\"?)")
            } else {
                String::new()
            };
            return Err(path.error(format!(
                "unknown type key {}; expected one of {TYPE_KEY_LIST}{hint}",
                quoted(other)
            )));
        }
    })
}

fn dynamo_map(map: &Map<String, Value>, path: &Path<'_>) -> Result<Item, ValueError> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_dynamo_at(v, &Path::Key(path, k))?)))
        .collect()
}

/// The members of a `SS`/`NS`/`BS` value: a non-empty array of strings.
fn set_members<'v>(
    tag: &str,
    inner: &'v Value,
    path: &Path<'_>,
) -> Result<Vec<&'v str>, ValueError> {
    let Value::Array(items) = inner else {
        return Err(path.error(format!(
            "\"{tag}\" value must be an array of strings, found {}",
            json_kind(inner)
        )));
    };
    if items.is_empty() {
        return Err(path.error("empty sets are not allowed in DynamoDB"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.as_str()),
            other => Err(Path::Index(path, i).error(format!(
                "\"{tag}\" members must be strings, found {}",
                json_kind(other)
            ))),
        })
        .collect()
}

/// A string as a JSON literal for messages (quoted, escaped).
fn quoted(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// Reads an item from a plain JSON object (see [`from_plain`]). The top level
/// must be an object; attribute errors have paths like `$.name`.
pub fn item_from_plain(v: &Value) -> Result<Item, ValueError> {
    match v {
        Value::Object(map) => plain_map(map, &Path::Root),
        other => Err(Path::Root.error(format!(
            "an item must be a JSON object, found {}",
            json_kind(other)
        ))),
    }
}

/// Reads an item from a DynamoDB JSON object mapping attribute names to typed
/// values (see [`from_dynamo`]); attribute errors have paths like `$.name`.
pub fn item_from_dynamo(v: &Value) -> Result<Item, ValueError> {
    match v {
        Value::Object(map) => dynamo_map(map, &Path::Root),
        other => Err(Path::Root.error(format!(
            "an item must be a JSON object of typed values like {{\"id\": {{\"S\": \"x\"}}}}, found {}",
            json_kind(other)
        ))),
    }
}

/// Guesses which shape an item document uses.
///
/// [`JsonFormat::Dynamo`] when `v` is a non-empty object and every value is an
/// object with exactly one key among `S N B BOOL NULL L M SS NS BS` whose
/// value has the right JSON shape (string for `S`/`N`/`B`, boolean for
/// `BOOL`/`NULL`, array for `L`, object for `M`, array of strings for sets);
/// only the top level is inspected. Otherwise [`JsonFormat::Plain`].
///
/// The guess is ambiguous only for plain items whose every attribute is a map
/// with a single key such as `"S"`; those are read as DynamoDB JSON.
pub fn detect_format(v: &Value) -> JsonFormat {
    let Value::Object(map) = v else {
        return JsonFormat::Plain;
    };
    if !map.is_empty() && map.values().all(looks_typed) {
        JsonFormat::Dynamo
    } else {
        JsonFormat::Plain
    }
}

fn looks_typed(v: &Value) -> bool {
    let Value::Object(object) = v else {
        return false;
    };
    if object.len() != 1 {
        return false;
    }
    object.iter().all(|(key, inner)| match key.as_str() {
        "S" | "N" | "B" => inner.is_string(),
        "BOOL" | "NULL" => inner.is_boolean(),
        "L" => inner.is_array(),
        "M" => inner.is_object(),
        "SS" | "NS" | "BS" => inner
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        _ => false,
    })
}

/// Detects the format of an item document ([`detect_format`]) and reads it
/// with [`item_from_dynamo`] or [`item_from_plain`].
pub fn item_from_json(v: &Value) -> Result<(Item, JsonFormat), ValueError> {
    let format = detect_format(v);
    let item = match format {
        JsonFormat::Dynamo => item_from_dynamo(v)?,
        JsonFormat::Plain => item_from_plain(v)?,
    };
    Ok((item, format))
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// The pieces of a syntactically valid number text.
struct NumberParts<'a> {
    negative: bool,
    /// Integer digits (never empty; no leading zeros unless it is `0`).
    int: &'a str,
    /// Fraction digits (empty when there is no `.`).
    frac: &'a str,
    exp: Exponent,
}

enum Exponent {
    Small(i64),
    /// More than 18 digits after stripping leading zeros.
    Huge { negative: bool },
}

impl NumberParts<'_> {
    fn digits(&self) -> impl DoubleEndedIterator<Item = u8> + Clone + '_ {
        self.int.bytes().chain(self.frac.bytes())
    }

    /// Index of the first and last non-zero digit in `int ++ frac`, or `None`
    /// for zero.
    fn significant_span(&self) -> Option<(usize, usize)> {
        let total = self.int.len() + self.frac.len();
        let first = self.digits().position(|b| b != b'0')?;
        let from_end = self.digits().rev().position(|b| b != b'0')?;
        Some((first, total - 1 - from_end))
    }

    /// The number's value as text, equal for equal numbers (`1`, `1.0`,
    /// `10e-1` and `0.1E1` give the same key; `0` and `-0` too). Used to find
    /// duplicates in number sets; only meaningful for numbers within limits.
    fn canonical(&self) -> String {
        let Some((first, last)) = self.significant_span() else {
            return "0".to_owned();
        };
        let exp = match self.exp {
            Exponent::Small(e) => i128::from(e),
            Exponent::Huge { negative } => {
                if negative {
                    i128::MIN
                } else {
                    i128::MAX
                }
            }
        };
        let power = (self.int.len() as i128 - 1 - first as i128).saturating_add(exp);
        let mut key = String::with_capacity(last - first + 8);
        if self.negative {
            key.push('-');
        }
        key.extend(
            self.digits()
                .skip(first)
                .take(last - first + 1)
                .map(char::from),
        );
        let _ = write!(key, "e{power}");
        key
    }
}

/// Checks that `s` is a number DynamoDB accepts, without converting it.
///
/// Syntax (the JSON number grammar, so every valid number is also a plain JSON
/// number): an optional `-`, an integer part (`0` or digits not starting with
/// `0`), an optional fraction (`.` and at least one digit) and an optional
/// exponent (`e` or `E`, optional `+`/`-`, at least one digit). Rejected:
/// leading `+`, leading zeros (`007`), `.5`, `1.`, hexadecimal, `NaN`,
/// `Infinity`, whitespace.
///
/// Precision: at most 38 significant digits, counted from the first non-zero
/// digit to the last non-zero digit, ignoring the decimal point. Leading zeros
/// and trailing zeros do not count, *including trailing zeros of the integer
/// part*: DynamoDB stores numbers normalised, so `1` followed by 50 zeros is
/// `1E+50` with one significant digit and is accepted. Zeros between non-zero
/// digits count.
///
/// Range: zero (in any spelling, e.g. `-0`, `0.000`, `0e999`) or a magnitude
/// between `1E-130` and `9.9999999999999999999999999999999999999E+125`.
///
/// On error, returns a reason phrased to follow the quoted value, e.g.
/// `is not a number` or `has 39 significant digits; DynamoDB allows at most
/// 38`; callers put the value in front of it.
pub fn validate_number(s: &str) -> Result<(), String> {
    check_limits(&parse_number(s)?)
}

/// Syntax check (see [`validate_number`]).
fn parse_number(s: &str) -> Result<NumberParts<'_>, String> {
    const NOT: &str = "is not a number";
    if s.is_empty() {
        return Err(format!("{NOT} (it is empty)"));
    }
    if s.starts_with('+') {
        return Err(format!("{NOT}: a leading '+' is not allowed"));
    }
    let (negative, rest) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (int, mut tail) = rest.split_at(int_len);
    if int.is_empty() {
        let lower = rest.to_ascii_lowercase();
        return Err(if matches!(lower.as_str(), "nan" | "inf" | "infinity") {
            format!("{NOT}: NaN and Infinity are not supported by DynamoDB")
        } else if tail.starts_with('.') && tail[1..].starts_with(|c: char| c.is_ascii_digit()) {
            format!("{NOT}: write a digit before the decimal point (0{tail})")
        } else {
            NOT.to_owned()
        });
    }
    if int == "0" && tail.starts_with(['x', 'X']) {
        return Err(format!("{NOT}: hexadecimal is not supported"));
    }
    if int.len() > 1 && int.starts_with('0') {
        return Err(format!("{NOT}: leading zeros are not allowed"));
    }
    let mut frac = "";
    if let Some(after_dot) = tail.strip_prefix('.') {
        let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if frac_len == 0 {
            return Err(format!("{NOT}: write a digit after the decimal point"));
        }
        (frac, tail) = after_dot.split_at(frac_len);
    }
    let mut exp = Exponent::Small(0);
    if let Some(after_e) = tail.strip_prefix(['e', 'E']) {
        let (exp_negative, digits_start) = match after_e.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, after_e.strip_prefix('+').unwrap_or(after_e)),
        };
        let exp_len = digits_start.bytes().take_while(u8::is_ascii_digit).count();
        if exp_len == 0 {
            return Err(format!("{NOT}: the exponent has no digits"));
        }
        let (digits, after) = digits_start.split_at(exp_len);
        tail = after;
        let digits = digits.trim_start_matches('0');
        exp = if digits.len() > 18 {
            Exponent::Huge {
                negative: exp_negative,
            }
        } else {
            // At most 18 digits: fits in i64.
            let magnitude = digits
                .bytes()
                .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
            Exponent::Small(if exp_negative { -magnitude } else { magnitude })
        };
    }
    if !tail.is_empty() {
        return Err(NOT.to_owned());
    }
    Ok(NumberParts {
        negative,
        int,
        frac,
        exp,
    })
}

/// Precision and range check (see [`validate_number`]).
fn check_limits(parts: &NumberParts<'_>) -> Result<(), String> {
    let Some((first, last)) = parts.significant_span() else {
        return Ok(()); // zero
    };
    let significant = last - first + 1;
    if significant > MAX_SIGNIFICANT_DIGITS {
        return Err(format!(
            "has {significant} significant digits; DynamoDB allows at most {MAX_SIGNIFICANT_DIGITS}"
        ));
    }
    const TOO_LARGE: &str = "is too large; DynamoDB numbers must be at most \
                             9.9999999999999999999999999999999999999E+125 in magnitude";
    const TOO_SMALL: &str =
        "is too small; non-zero DynamoDB numbers must be at least 1E-130 in magnitude";
    // Decimal exponent of the leading significant digit.
    let power = match parts.exp {
        Exponent::Small(e) => parts.int.len() as i128 - 1 - first as i128 + i128::from(e),
        Exponent::Huge { negative: false } => return Err(TOO_LARGE.to_owned()),
        Exponent::Huge { negative: true } => return Err(TOO_SMALL.to_owned()),
    };
    // With at most 38 significant digits, a leading power of 125 is at most
    // 9.99…9 (38 nines) E+125, the documented maximum.
    if power > MAX_EXPONENT {
        Err(TOO_LARGE.to_owned())
    } else if power < MIN_EXPONENT {
        Err(TOO_SMALL.to_owned())
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Display helpers
// ---------------------------------------------------------------------------

/// The DynamoDB type key of a value: `"S"`, `"N"`, `"B"`, `"BOOL"`, `"NULL"`,
/// `"L"`, `"M"`, `"SS"`, `"NS"`, `"BS"`, or `"?"` for an SDK variant this
/// crate does not know.
pub fn type_tag(av: &AttributeValue) -> &'static str {
    match av {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "?",
    }
}

/// One-line text for a table cell, at most `max_chars` characters.
///
/// * `S`: the raw string; newlines (`\n`, `\r\n`, `\r`) shown as `⏎`, tabs as
///   a space, other control characters as `�`.
/// * `N`: the number's text. `BOOL`/`NULL`: `true`, `false`, `null`.
/// * `B`: `<12 bytes>` (`<1 byte>`).
/// * `SS`/`NS`: `{a, b}`; `BS`: `{<3 bytes>, <1 byte>}`.
/// * `L`: `[1, "a", true]`; `M`: `{k: v, …}` with keys sorted. Strings inside
///   lists and maps (including string sets) are quoted, with `"` and `\`
///   escaped by `\`.
/// * An SDK variant this crate does not know: `?`.
///
/// When the text is longer than `max_chars`, it is cut to `max_chars - 1`
/// characters followed by `…`. Building stops as soon as the limit is passed,
/// so huge values cost only `max_chars` characters of work (plus sorting the
/// keys of maps that are reached).
pub fn cell_text(av: &AttributeValue, max_chars: usize) -> String {
    let mut cell = Cell::new(max_chars);
    write_cell(&mut cell, av, false);
    cell.finish()
}

/// A bounded text buffer: keeps at most `max` chars and notes when more were
/// offered.
struct Cell {
    out: String,
    len: usize,
    max: usize,
    overflow: bool,
}

impl Cell {
    fn new(max: usize) -> Self {
        Cell {
            out: String::with_capacity(max.min(256)),
            len: 0,
            max,
            overflow: false,
        }
    }

    fn push(&mut self, c: char) {
        if self.overflow {
            return;
        }
        if self.len == self.max {
            self.overflow = true;
            return;
        }
        self.out.push(c);
        self.len += 1;
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            if self.overflow {
                return;
            }
            self.push(c);
        }
    }

    /// Pushes user text on one line, optionally escaping `"` and `\`.
    fn push_text(&mut self, s: &str, escape_quotes: bool) {
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if self.overflow {
                return;
            }
            match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    self.push('⏎');
                }
                '\n' => self.push('⏎'),
                '\t' => self.push(' '),
                '"' | '\\' if escape_quotes => {
                    self.push('\\');
                    self.push(c);
                }
                c if c.is_control() => self.push('\u{FFFD}'),
                c => self.push(c),
            }
        }
    }

    fn push_byte_count(&mut self, n: usize) {
        let mut text = String::with_capacity(16);
        let _ = write!(text, "<{n} byte{}>", if n == 1 { "" } else { "s" });
        self.push_str(&text);
    }

    fn full(&self) -> bool {
        self.overflow
    }

    fn finish(mut self) -> String {
        if self.overflow && self.max > 0 {
            self.out.pop();
            self.out.push('…');
        }
        self.out
    }
}

fn write_cell(cell: &mut Cell, av: &AttributeValue, nested: bool) {
    if cell.full() {
        return;
    }
    match av {
        AttributeValue::S(s) => write_string(cell, s, nested),
        AttributeValue::N(n) => cell.push_text(n, false),
        AttributeValue::B(b) => cell.push_byte_count(b.as_ref().len()),
        AttributeValue::Bool(b) => cell.push_str(if *b { "true" } else { "false" }),
        AttributeValue::Null(_) => cell.push_str("null"),
        AttributeValue::L(items) => {
            cell.push('[');
            for (i, item) in items.iter().enumerate() {
                if cell.full() {
                    return;
                }
                if i > 0 {
                    cell.push_str(", ");
                }
                write_cell(cell, item, true);
            }
            cell.push(']');
        }
        AttributeValue::M(map) => {
            cell.push('{');
            for (i, (k, v)) in sorted_entries(map).into_iter().enumerate() {
                if cell.full() {
                    return;
                }
                if i > 0 {
                    cell.push_str(", ");
                }
                cell.push_text(k, false);
                cell.push_str(": ");
                write_cell(cell, v, true);
            }
            cell.push('}');
        }
        AttributeValue::Ss(items) => write_set(cell, items, |cell, s| write_string(cell, s, nested)),
        AttributeValue::Ns(items) => write_set(cell, items, |cell, n| cell.push_text(n, false)),
        AttributeValue::Bs(items) => {
            write_set(cell, items, |cell, b| cell.push_byte_count(b.as_ref().len()));
        }
        _ => cell.push('?'),
    }
}

fn write_string(cell: &mut Cell, s: &str, quote: bool) {
    if quote {
        cell.push('"');
        cell.push_text(s, true);
        cell.push('"');
    } else {
        cell.push_text(s, false);
    }
}

fn write_set<T>(cell: &mut Cell, items: &[T], mut member: impl FnMut(&mut Cell, &T)) {
    cell.push('{');
    for (i, item) in items.iter().enumerate() {
        if cell.full() {
            return;
        }
        if i > 0 {
            cell.push_str(", ");
        }
        member(cell, item);
    }
    cell.push('}');
}

/// Attribute names of `item` for display: the names in `first` that the item
/// has, in that order (each once), then all other names sorted.
pub fn ordered_names<'a>(item: &'a Item, first: &[&str]) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = Vec::with_capacity(item.len());
    for name in first {
        if let Some((key, _)) = item.get_key_value(*name) {
            if !names.contains(&key.as_str()) {
                names.push(key.as_str());
            }
        }
    }
    let mut rest: Vec<&'a str> = item
        .keys()
        .map(String::as_str)
        .filter(|k| !first.contains(k))
        .collect();
    rest.sort_unstable();
    names.extend(rest);
    names
}
