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
//! intact). One caveat of plain JSON: serde_json normalises the *spelling of
//! the exponent marker* whenever it builds a `Number` from text (both when
//! parsing JSON text and in [`to_plain`]), so `1E5` and `1E+5` become `1e+5`
//! (the same number for DynamoDB). `serde_json` offers no supported way to
//! build a `Number` with other spelling. DynamoDB JSON carries numbers as
//! strings and keeps even that spelling.
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
pub(crate) fn json_kind(v: &Value) -> &'static str {
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
/// `S` → string, `N` → JSON number with the same text (except that the
/// exponent marker is spelled `e+`/`e-`: `1E5` → `1e+5`), `B` → base64
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
        AttributeValue::Ns(items) => {
            Value::Array(items.iter().map(|n| number_to_json(n)).collect())
        }
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

/// Writes an item as one line of DynamoDB JSON, byte for byte what
/// `serde_json::to_writer(item_to_dynamo(item))` writes (attributes and map
/// keys sorted), without building a `Value` tree: exports write millions.
pub fn write_item_dynamo(out: &mut Vec<u8>, item: &Item) {
    write_map(out, item);
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's escaping; writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_map(out: &mut Vec<u8>, map: &Item) {
    out.push(b'{');
    for (i, (k, v)) in sorted_entries(map).into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_dynamo(out, v);
    }
    out.push(b'}');
}

fn write_list<T>(out: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, x);
    }
    out.push(b']');
}

fn write_dynamo(out: &mut Vec<u8>, av: &AttributeValue) {
    match av {
        AttributeValue::S(s) => {
            out.extend_from_slice(b"{\"S\":");
            write_str(out, s);
        }
        AttributeValue::N(n) => {
            out.extend_from_slice(b"{\"N\":");
            write_str(out, n);
        }
        AttributeValue::B(b) => {
            out.extend_from_slice(b"{\"B\":");
            write_str(out, &BASE64.encode(b.as_ref()));
        }
        AttributeValue::Bool(b) => {
            out.extend_from_slice(if *b {
                b"{\"BOOL\":true"
            } else {
                b"{\"BOOL\":false"
            });
        }
        AttributeValue::Null(b) => {
            out.extend_from_slice(if *b {
                b"{\"NULL\":true"
            } else {
                b"{\"NULL\":false"
            });
        }
        AttributeValue::L(items) => {
            out.extend_from_slice(b"{\"L\":");
            write_list(out, items, write_dynamo);
        }
        AttributeValue::M(map) => {
            out.extend_from_slice(b"{\"M\":");
            write_map(out, map);
        }
        AttributeValue::Ss(items) => {
            out.extend_from_slice(b"{\"SS\":");
            write_list(out, items, |o, s| write_str(o, s));
        }
        AttributeValue::Ns(items) => {
            out.extend_from_slice(b"{\"NS\":");
            write_list(out, items, |o, s| write_str(o, s));
        }
        AttributeValue::Bs(items) => {
            out.extend_from_slice(b"{\"BS\":");
            write_list(out, items, |o, b| write_str(o, &BASE64.encode(b.as_ref())));
        }
        _ => {
            out.extend_from_slice(b"null");
            return;
        }
    }
    out.push(b'}');
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
                    return Err(Path::Index(path, i)
                        .error(format!("duplicate member {} in \"SS\" set", quoted(s))));
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
                    .map_err(|reason| at.error(format!("\"NS\" member {} {reason}", quoted(s))))?;
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
            // Decoding is strict (padding required, no stray trailing bits),
            // so equal bytes always come from equal text: duplicates can be
            // found by text, in linear time.
            let mut seen = HashSet::with_capacity(members.len());
            for (i, s) in members.iter().enumerate() {
                let at = Path::Index(path, i);
                let bytes = BASE64
                    .decode(s)
                    .map_err(|e| at.error(format!("\"BS\" member is not valid base64: {e}")))?;
                if !seen.insert(*s) {
                    return Err(at.error(format!("duplicate member {} in \"BS\" set", quoted(s))));
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
    Huge {
        negative: bool,
    },
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

/// An item edited as plain JSON (by a script or in an editor), keeping the
/// DynamoDB types plain JSON cannot express: see [`merge_value`].
pub fn merge_item(before: &Item, after: &serde_json::Map<String, Value>) -> Result<Item, String> {
    after
        .iter()
        .map(|(k, v)| {
            merge_value(before.get(k), v)
                .map(|av| (k.clone(), av))
                .map_err(|e| format!("attribute `{k}`: {e}"))
        })
        .collect()
}

/// A plain JSON value as an attribute value, given what the attribute was:
/// a value the script left as it was keeps its type (a set, binary); an
/// array written where a set was stays that kind of set; maps and lists are
/// merged member by member; a number equal to the original as a float (a
/// script in a language with float numbers rounds 38-digit numbers it only
/// passed through) keeps the original exact text.
pub fn merge_value(old: Option<&AttributeValue>, new: &Value) -> Result<AttributeValue, String> {
    let Some(old) = old else {
        return from_plain(new).map_err(|e| e.to_string());
    };
    if &to_plain(old) == new {
        return Ok(old.clone());
    }
    match (old, new) {
        (AttributeValue::N(o), Value::Number(n)) => {
            let n = n.to_string();
            let same = matches!((o.parse::<f64>(), n.parse::<f64>()), (Ok(a), Ok(b)) if a == b);
            if same {
                Ok(old.clone())
            } else {
                from_plain(new).map_err(|e| e.to_string())
            }
        }
        (
            AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_),
            Value::Array(a),
        ) => {
            let tag = match old {
                AttributeValue::Ss(_) => "SS",
                AttributeValue::Ns(_) => "NS",
                _ => "BS",
            };
            let members: Vec<Value> = a
                .iter()
                .map(|m| match m {
                    Value::Number(n) if tag == "NS" => Ok(Value::String(n.to_string())),
                    Value::String(_) => Ok(m.clone()),
                    other => Err(format!(
                        "a {tag} member must be a string{}, got {other}",
                        if tag == "NS" { " or number" } else { "" }
                    )),
                })
                .collect::<Result<_, _>>()?;
            let mut obj = serde_json::Map::new();
            obj.insert(tag.into(), Value::Array(members));
            from_dynamo(&Value::Object(obj)).map_err(|e| e.to_string())
        }
        (AttributeValue::M(m), Value::Object(o)) => Ok(AttributeValue::M(merge_item(m, o)?)),
        (AttributeValue::L(l), Value::Array(a)) => Ok(AttributeValue::L(
            a.iter()
                .enumerate()
                .map(|(i, v)| merge_value(l.get(i), v).map_err(|e| format!("[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
        )),
        _ => from_plain(new).map_err(|e| e.to_string()),
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

/// A number's value as text, equal for equal numbers (`1`, `1.0`, `10e-1`
/// give the same text), as DynamoDB compares them; `None` when `s` is not a
/// number. Used to compare key values.
pub fn number_canonical(s: &str) -> Option<String> {
    parse_number(s).ok().map(|p| p.canonical())
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
            // Suggest the corrected spelling (keeping the sign) only when it
            // is itself a valid number.
            let fixed = format!("{}0{tail}", if negative { "-" } else { "" });
            if parse_number(&fixed).is_ok() {
                format!("{NOT}: write a digit before the decimal point ({fixed})")
            } else {
                format!("{NOT}: write a digit before the decimal point")
            }
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
        AttributeValue::Ss(items) => {
            write_set(cell, items, |cell, s| write_string(cell, s, nested))
        }
        AttributeValue::Ns(items) => write_set(cell, items, |cell, n| cell.push_text(n, false)),
        AttributeValue::Bs(items) => {
            write_set(cell, items, |cell, b| {
                cell.push_byte_count(b.as_ref().len())
            });
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

/// Bookkeeping attributes of single-table libraries and of dyntui itself
/// (ElectroDB's entity and version, dynamodb-toolbox's entity and
/// timestamps, OneTable's type, seeding markers): shown after the domain
/// attributes.
pub const BOOKKEEPING: &[&str] = &[
    "__edb_e__",
    "__edb_v__",
    "_et",
    "_ct",
    "_md",
    "_type",
    "_dyntui_seed",
];

/// True for a library's or dyntui's bookkeeping attribute.
pub fn is_bookkeeping(name: &str) -> bool {
    BOOKKEEPING.contains(&name)
}

/// Attribute names of `item` for display: the names in `first` that the item
/// has, in that order (each once), then the other names sorted, bookkeeping
/// attributes ([`BOOKKEEPING`]) last.
pub fn ordered_names<'a>(item: &'a Item, first: &[&str]) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = Vec::with_capacity(item.len());
    for name in first {
        if let Some((key, _)) = item.get_key_value(*name)
            && !names.contains(&key.as_str())
        {
            names.push(key.as_str());
        }
    }
    let mut rest: Vec<&'a str> = item
        .keys()
        .map(String::as_str)
        .filter(|k| !first.contains(k))
        .collect();
    rest.sort_unstable_by_key(|k| (is_bookkeeping(k), *k));
    names.extend(rest);
    names
}

#[cfg(test)]
pub(crate) mod tests {
    //! Decisions pinned down by these tests (see also the module docs):
    //!
    //! * Plain JSON keeps every number's digits, sign, fraction and trailing
    //!   zeros, but serde_json spells the exponent marker `e+`/`e-` (`1E5` →
    //!   `1e+5`), already in [`to_plain`]. DynamoDB JSON keeps the exact text.
    //! * Number syntax is JSON's: `1.`, `.5`, `+1`, `0x10`, `007`, `NaN` are
    //!   rejected; trailing zeros of the integer part are not significant
    //!   (`1` followed by 50 zeros is accepted).
    //! * `NS` members are compared by value (`1` and `1.0`, `0` and `-0` are
    //!   duplicates).
    //! * `{"NULL": false}` is rejected; `Null(false)` (not a value DynamoDB
    //!   returns) is written as `{"NULL": false}` / `null` and reads back as an
    //!   error / `Null(true)`.
    //! * `detect_format` only looks at the top level: `{"S": "x"}` is a plain
    //!   item with an attribute named `S`; `{"a": {"S": "x"}}` is DynamoDB
    //!   JSON, so a plain item whose every attribute is a one-key map shaped
    //!   like a typed value is misread; a DynamoDB item with a wrongly shaped
    //!   value (`{"a": {"N": 5}}`) is read as plain JSON.

    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    // -- helpers ------------------------------------------------------------

    fn s(x: &str) -> AttributeValue {
        AttributeValue::S(x.to_owned())
    }

    fn n(x: &str) -> AttributeValue {
        AttributeValue::N(x.to_owned())
    }

    fn b(x: &[u8]) -> AttributeValue {
        AttributeValue::B(Blob::new(x.to_vec()))
    }

    fn m(pairs: &[(&str, AttributeValue)]) -> AttributeValue {
        AttributeValue::M(item(pairs))
    }

    fn ss(xs: &[&str]) -> AttributeValue {
        AttributeValue::Ss(xs.iter().map(|x| (*x).to_owned()).collect())
    }

    fn ns(xs: &[&str]) -> AttributeValue {
        AttributeValue::Ns(xs.iter().map(|x| (*x).to_owned()).collect())
    }

    fn bs(xs: &[&[u8]]) -> AttributeValue {
        AttributeValue::Bs(xs.iter().map(|x| Blob::new(x.to_vec())).collect())
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    /// Parses JSON text (numbers keep their text).
    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("bad test JSON {text}: {e}"))
    }

    /// Compact JSON text.
    fn text(v: &Value) -> String {
        serde_json::to_string(v).unwrap()
    }

    fn error(path: &str, message: &str) -> ValueError {
        ValueError {
            path: path.to_owned(),
            message: message.to_owned(),
        }
    }

    fn dynamo_err(doc: &str) -> ValueError {
        from_dynamo(&json(doc)).expect_err(doc)
    }

    fn dynamo_item_err(doc: &str) -> ValueError {
        item_from_dynamo(&json(doc)).expect_err(doc)
    }

    fn plain_item_err(doc: &str) -> ValueError {
        item_from_plain(&json(doc)).expect_err(doc)
    }

    const TOO_LARGE: &str = "is too large; DynamoDB numbers must be at most \
                             9.9999999999999999999999999999999999999E+125 in magnitude";
    const TOO_SMALL: &str =
        "is too small; non-zero DynamoDB numbers must be at least 1E-130 in magnitude";

    /// A non-UTF-8 binary value used in several tests, and its base64.
    const BYTES: &[u8] = &[0xff, 0xfe, 0x00, 0x80];
    const BYTES_B64: &str = "//4AgA==";

    // -- AttributeValue -> JSON ---------------------------------------------

    #[test]
    fn to_dynamo_every_type() {
        let cases: Vec<(AttributeValue, &str)> = vec![
            (s("hello"), r#"{"S":"hello"}"#),
            (s(""), r#"{"S":""}"#),
            (s("é\n\"q\""), r#"{"S":"é\n\"q\""}"#),
            (
                n("12345678901234567890123456789012345678"),
                r#"{"N":"12345678901234567890123456789012345678"}"#,
            ),
            (n("1.50"), r#"{"N":"1.50"}"#),
            (n("1E+5"), r#"{"N":"1E+5"}"#),
            (n("-0"), r#"{"N":"-0"}"#),
            (b(BYTES), r#"{"B":"//4AgA=="}"#),
            (b(b""), r#"{"B":""}"#),
            (AttributeValue::Bool(true), r#"{"BOOL":true}"#),
            (AttributeValue::Bool(false), r#"{"BOOL":false}"#),
            (AttributeValue::Null(true), r#"{"NULL":true}"#),
            (AttributeValue::L(vec![]), r#"{"L":[]}"#),
            (
                AttributeValue::L(vec![s("a"), n("1"), AttributeValue::Null(true)]),
                r#"{"L":[{"S":"a"},{"N":"1"},{"NULL":true}]}"#,
            ),
            (AttributeValue::M(Item::new()), r#"{"M":{}}"#),
            (
                m(&[("b", n("2")), ("a", s("x")), ("c", m(&[]))]),
                r#"{"M":{"a":{"S":"x"},"b":{"N":"2"},"c":{"M":{}}}}"#,
            ),
            (ss(&["b", "a", ""]), r#"{"SS":["b","a",""]}"#),
            (
                ns(&["1.50", "-0", "1E+5"]),
                r#"{"NS":["1.50","-0","1E+5"]}"#,
            ),
            (
                bs(&[&[0], &[1, 2], BYTES]),
                r#"{"BS":["AA==","AQI=","//4AgA=="]}"#,
            ),
        ];
        for (av, expected) in cases {
            assert_eq!(text(&to_dynamo(&av)), expected, "{av:?}");
        }
    }

    #[test]
    fn to_plain_every_type() {
        let cases: Vec<(AttributeValue, &str)> = vec![
            (s("hello"), r#""hello""#),
            (s(""), r#""""#),
            (
                n("12345678901234567890123456789012345678"),
                "12345678901234567890123456789012345678",
            ),
            (n("1.50"), "1.50"),
            (n("-0"), "-0"),
            (n("-12"), "-12"),
            (n("0.000"), "0.000"),
            // serde_json respells the exponent marker (documented).
            (n("1E+5"), "1e+5"),
            (n("1E5"), "1e+5"),
            (n("1e-5"), "1e-5"),
            (n("1E-130"), "1e-130"),
            // Not a number: kept as a string rather than lost.
            (n("12x"), r#""12x""#),
            (b(BYTES), r#""//4AgA==""#),
            (AttributeValue::Bool(true), "true"),
            (AttributeValue::Bool(false), "false"),
            (AttributeValue::Null(true), "null"),
            (AttributeValue::Null(false), "null"),
            (AttributeValue::L(vec![]), "[]"),
            (AttributeValue::L(vec![s("a"), n("1")]), r#"["a",1]"#),
            (m(&[("b", n("2")), ("a", s("x"))]), r#"{"a":"x","b":2}"#),
            (ss(&["b", "a"]), r#"["b","a"]"#),
            (ns(&["1.50", "-0"]), "[1.50,-0]"),
            (bs(&[&[0], &[1, 2]]), r#"["AA==","AQI="]"#),
        ];
        for (av, expected) in cases {
            assert_eq!(text(&to_plain(&av)), expected, "{av:?}");
        }
    }

    #[test]
    fn items_to_json_sort_attributes() {
        let it = item(&[
            ("zeta", n("1")),
            ("alpha", s("a")),
            (
                "mid",
                AttributeValue::L(vec![m(&[("y", n("2")), ("x", n("1"))])]),
            ),
        ]);
        assert_eq!(
            text(&item_to_dynamo(&it)),
            r#"{"alpha":{"S":"a"},"mid":{"L":[{"M":{"x":{"N":"1"},"y":{"N":"2"}}}]},"zeta":{"N":"1"}}"#
        );
        assert_eq!(
            text(&item_to_plain(&it)),
            r#"{"alpha":"a","mid":[{"x":1,"y":2}],"zeta":1}"#
        );
        assert_eq!(text(&item_to_dynamo(&Item::new())), "{}");
        assert_eq!(text(&item_to_plain(&Item::new())), "{}");
    }

    // -- JSON -> AttributeValue ---------------------------------------------

    #[test]
    fn from_dynamo_every_type() {
        let cases: Vec<(&str, AttributeValue)> = vec![
            (r#"{"S":"hello"}"#, s("hello")),
            (r#"{"S":""}"#, s("")),
            (
                r#"{"N":"12345678901234567890123456789012345678"}"#,
                n("12345678901234567890123456789012345678"),
            ),
            (
                r#"{"N":"-0.00000000000000000000000000000000000001"}"#,
                n("-0.00000000000000000000000000000000000001"),
            ),
            (
                r#"{"N":"9.9999999999999999999999999999999999999E+125"}"#,
                n("9.9999999999999999999999999999999999999E+125"),
            ),
            (r#"{"N":"1E-130"}"#, n("1E-130")),
            (r#"{"N":"1.50"}"#, n("1.50")),
            (r#"{"N":"1E+5"}"#, n("1E+5")),
            (r#"{"N":"-0"}"#, n("-0")),
            (r#"{"B":"//4AgA=="}"#, b(BYTES)),
            (r#"{"B":""}"#, b(b"")),
            (r#"{"BOOL":true}"#, AttributeValue::Bool(true)),
            (r#"{"BOOL":false}"#, AttributeValue::Bool(false)),
            (r#"{"NULL":true}"#, AttributeValue::Null(true)),
            (r#"{"L":[]}"#, AttributeValue::L(vec![])),
            (
                r#"{"L":[{"S":"a"},{"N":"1"}]}"#,
                AttributeValue::L(vec![s("a"), n("1")]),
            ),
            (r#"{"M":{}}"#, m(&[])),
            (
                r#"{"M":{"b":{"N":"2"},"a":{"S":"x"}}}"#,
                m(&[("a", s("x")), ("b", n("2"))]),
            ),
            // Set order is kept.
            (r#"{"SS":["b","a",""]}"#, ss(&["b", "a", ""])),
            (
                r#"{"NS":["1.50","-1","1E+5"]}"#,
                ns(&["1.50", "-1", "1E+5"]),
            ),
            (
                r#"{"BS":["AQI=","AA==","//4AgA=="]}"#,
                bs(&[&[1, 2], &[0], BYTES]),
            ),
        ];
        for (doc, expected) in cases {
            assert_eq!(from_dynamo(&json(doc)), Ok(expected), "{doc}");
        }
    }

    #[test]
    fn from_plain_every_type() {
        let cases: Vec<(&str, AttributeValue)> = vec![
            (r#""hello""#, s("hello")),
            (r#""""#, s("")),
            // Base64-looking strings stay strings.
            (r#""//4AgA==""#, s(BYTES_B64)),
            (
                "12345678901234567890123456789012345678",
                n("12345678901234567890123456789012345678"),
            ),
            ("1.50", n("1.50")),
            ("-0", n("-0")),
            ("1E+5", n("1e+5")),
            ("1E-130", n("1e-130")),
            ("true", AttributeValue::Bool(true)),
            ("false", AttributeValue::Bool(false)),
            ("null", AttributeValue::Null(true)),
            ("[]", AttributeValue::L(vec![])),
            (
                r#"[1, "a", [null], {"k": false}]"#,
                AttributeValue::L(vec![
                    n("1"),
                    s("a"),
                    AttributeValue::L(vec![AttributeValue::Null(true)]),
                    m(&[("k", AttributeValue::Bool(false))]),
                ]),
            ),
            ("{}", m(&[])),
            (r#"{"b": 2, "a": "x"}"#, m(&[("a", s("x")), ("b", n("2"))])),
        ];
        for (doc, expected) in cases {
            assert_eq!(from_plain(&json(doc)), Ok(expected), "{doc}");
        }
    }

    #[test]
    fn from_plain_accepts_numbers_built_in_code() {
        // Numbers made from Rust values rather than parsed text.
        assert_eq!(from_plain(&serde_json::json!(7)), Ok(n("7")));
        assert_eq!(from_plain(&serde_json::json!(-7)), Ok(n("-7")));
        assert_eq!(from_plain(&serde_json::json!(1.5)), Ok(n("1.5")));
        assert_eq!(
            from_plain(&serde_json::json!(u64::MAX)),
            Ok(n("18446744073709551615"))
        );
    }

    #[test]
    fn nested_list_of_maps_both_ways() {
        let it = item(&[
            ("id", s("order-1")),
            (
                "orders",
                AttributeValue::L(vec![
                    m(&[("sku", s("A")), ("total", n("1.50"))]),
                    m(&[
                        ("sku", s("B")),
                        ("total", n("-0")),
                        ("tags", ss(&["x", "y"])),
                        ("blob", b(BYTES)),
                    ]),
                    m(&[]),
                ]),
            ),
        ]);
        let dynamo = r#"{"id":{"S":"order-1"},"orders":{"L":[{"M":{"sku":{"S":"A"},"total":{"N":"1.50"}}},{"M":{"blob":{"B":"//4AgA=="},"sku":{"S":"B"},"tags":{"SS":["x","y"]},"total":{"N":"-0"}}},{"M":{}}]}}"#;
        assert_eq!(text(&item_to_dynamo(&it)), dynamo);
        assert_eq!(item_from_dynamo(&json(dynamo)), Ok(it.clone()));
        assert_eq!(
            item_from_json(&json(dynamo)),
            Ok((it.clone(), JsonFormat::Dynamo))
        );

        let plain = r#"{"id":"order-1","orders":[{"sku":"A","total":1.50},{"blob":"//4AgA==","sku":"B","tags":["x","y"],"total":-0},{}]}"#;
        assert_eq!(text(&item_to_plain(&it)), plain);
        // Plain JSON cannot hold binary or sets: they come back as S and L.
        let expected_plain = item(&[
            ("id", s("order-1")),
            (
                "orders",
                AttributeValue::L(vec![
                    m(&[("sku", s("A")), ("total", n("1.50"))]),
                    m(&[
                        ("sku", s("B")),
                        ("total", n("-0")),
                        ("tags", AttributeValue::L(vec![s("x"), s("y")])),
                        ("blob", s(BYTES_B64)),
                    ]),
                    m(&[]),
                ]),
            ),
        ]);
        assert_eq!(item_from_plain(&json(plain)), Ok(expected_plain.clone()));
        assert_eq!(
            item_from_json(&json(plain)),
            Ok((expected_plain, JsonFormat::Plain))
        );
    }

    #[test]
    fn numbers_keep_their_text_through_plain_json() {
        // (DynamoDB text, text after to_plain -> to_string -> from_str -> from_plain)
        let cases = [
            (
                "12345678901234567890123456789012345678",
                "12345678901234567890123456789012345678",
            ),
            (
                "-12345678901234567890123456789012345678",
                "-12345678901234567890123456789012345678",
            ),
            (
                "-0.00000000000000000000000000000000000001",
                "-0.00000000000000000000000000000000000001",
            ),
            (
                "9.9999999999999999999999999999999999999E+125",
                "9.9999999999999999999999999999999999999e+125",
            ),
            ("1E-130", "1e-130"),
            ("1.50", "1.50"),
            ("1E+5", "1e+5"),
            ("1E5", "1e+5"),
            ("1e5", "1e+5"),
            ("1e+5", "1e+5"),
            ("1e-05", "1e-05"),
            ("-0", "-0"),
            ("-0.0", "-0.0"),
            ("0", "0"),
            ("18446744073709551616", "18446744073709551616"),
            ("-9223372036854775809", "-9223372036854775809"),
            ("0.1", "0.1"),
            ("100", "100"),
        ];
        for (original, expected) in cases {
            let plain = to_plain(&n(original));
            assert_eq!(plain.to_string(), expected, "to_plain {original}");
            let json_text = serde_json::to_string(&plain).unwrap();
            assert_eq!(json_text, expected, "JSON text of {original}");
            let back: Value = serde_json::from_str(&json_text).unwrap();
            assert_eq!(from_plain(&back), Ok(n(expected)), "{original}");
            // The value is unchanged: same canonical number.
            assert_eq!(
                parse_number(original).unwrap().canonical(),
                parse_number(expected).unwrap().canonical()
            );
            // DynamoDB JSON keeps the exact spelling.
            let dynamo_text = serde_json::to_string(&to_dynamo(&n(original))).unwrap();
            assert_eq!(dynamo_text, format!(r#"{{"N":"{original}"}}"#));
            let back: Value = serde_json::from_str(&dynamo_text).unwrap();
            assert_eq!(from_dynamo(&back), Ok(n(original)), "{original}");
        }
    }

    #[test]
    fn binary_round_trips_exactly_through_dynamo_json() {
        let all_bytes: Vec<u8> = (0..=255).collect();
        for bytes in [&b""[..], &[0], &[0xc3, 0x28], BYTES, &all_bytes] {
            let av = b(bytes);
            let doc = serde_json::to_string(&to_dynamo(&av)).unwrap();
            assert_eq!(from_dynamo(&json(&doc)), Ok(av.clone()), "{doc}");
            let set = bs(&[bytes, b"other"]);
            let doc = serde_json::to_string(&to_dynamo(&set)).unwrap();
            assert_eq!(from_dynamo(&json(&doc)), Ok(set), "{doc}");
        }
    }

    #[test]
    fn null_false_is_not_a_dynamodb_value() {
        let null_false = AttributeValue::Null(false);
        assert_eq!(text(&to_dynamo(&null_false)), r#"{"NULL":false}"#);
        assert_eq!(
            from_dynamo(&to_dynamo(&null_false)),
            Err(error("$", r#""NULL" value must be true"#))
        );
        assert_eq!(
            from_plain(&to_plain(&null_false)),
            Ok(AttributeValue::Null(true))
        );
    }

    // -- errors ---------------------------------------------------------------

    #[test]
    fn value_error_display() {
        let e = error("$.orders[2].total", r#""N" value "12x" is not a number"#);
        assert_eq!(
            e.to_string(),
            r#"$.orders[2].total: "N" value "12x" is not a number"#
        );
    }

    #[test]
    fn validate_number_accepts() {
        let long_int = format!("1{}", "0".repeat(50));
        let long_frac = format!("0.{}1", "0".repeat(120));
        for ok in [
            "0",
            "-0",
            "0.000",
            "-0.0E-999",
            "0e99999999999999999999999",
            "1",
            "-1",
            "1.50",
            "1E+5",
            "1e5",
            "1e-5",
            "1E05",
            "1e-0",
            "12345678901234567890123456789012345678",
            "-12345678901234567890123456789012345678",
            "1234567890123456789.0123456789012345678",
            "0.12345678901234567890123456789012345678",
            "-0.00000000000000000000000000000000000001",
            "9.9999999999999999999999999999999999999E+125",
            "-9.9999999999999999999999999999999999999E+125",
            "99999999999999999999999999999999999999E+88",
            "1E-130",
            "-1E-130",
            "10E-131",
            "0.001E-127",
            "1e-000000000000000000000000000130",
            // Trailing integer zeros are not significant.
            &long_int,
            "1000000000000000000000000000000000000000000",
            // Leading fraction zeros are not significant.
            &long_frac,
        ] {
            assert_eq!(validate_number(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn validate_number_rejects_with_reasons() {
        let digits39 = "123456789012345678901234567890123456789";
        let cases: Vec<(String, String)> = vec![
            (
                digits39.to_owned(),
                "has 39 significant digits; DynamoDB allows at most 38".to_owned(),
            ),
            (
                "1.23456789012345678901234567890123456789".to_owned(),
                "has 39 significant digits; DynamoDB allows at most 38".to_owned(),
            ),
            (
                // Zeros between non-zero digits count.
                format!("1{}1", "0".repeat(42)),
                "has 44 significant digits; DynamoDB allows at most 38".to_owned(),
            ),
            (
                format!("0.{}1{}1", "0".repeat(10), "0".repeat(37)),
                "has 39 significant digits; DynamoDB allows at most 38".to_owned(),
            ),
            ("1e126".to_owned(), TOO_LARGE.to_owned()),
            ("-1e126".to_owned(), TOO_LARGE.to_owned()),
            ("10E125".to_owned(), TOO_LARGE.to_owned()),
            ("1e99999999999999999999".to_owned(), TOO_LARGE.to_owned()),
            ("1E-131".to_owned(), TOO_SMALL.to_owned()),
            ("-0.1E-130".to_owned(), TOO_SMALL.to_owned()),
            ("1e-99999999999999999999".to_owned(), TOO_SMALL.to_owned()),
            (
                "NaN".to_owned(),
                "is not a number: NaN and Infinity are not supported by DynamoDB".to_owned(),
            ),
            (
                "-Infinity".to_owned(),
                "is not a number: NaN and Infinity are not supported by DynamoDB".to_owned(),
            ),
            (
                "inf".to_owned(),
                "is not a number: NaN and Infinity are not supported by DynamoDB".to_owned(),
            ),
            (
                "+1".to_owned(),
                "is not a number: a leading '+' is not allowed".to_owned(),
            ),
            (
                "0x10".to_owned(),
                "is not a number: hexadecimal is not supported".to_owned(),
            ),
            (
                "-0X1F".to_owned(),
                "is not a number: hexadecimal is not supported".to_owned(),
            ),
            (
                "1.".to_owned(),
                "is not a number: write a digit after the decimal point".to_owned(),
            ),
            (
                "1.e5".to_owned(),
                "is not a number: write a digit after the decimal point".to_owned(),
            ),
            (
                ".5".to_owned(),
                "is not a number: write a digit before the decimal point (0.5)".to_owned(),
            ),
            (
                "-.5e3".to_owned(),
                "is not a number: write a digit before the decimal point (-0.5e3)".to_owned(),
            ),
            (
                ".5x".to_owned(),
                "is not a number: write a digit before the decimal point".to_owned(),
            ),
            (
                "007".to_owned(),
                "is not a number: leading zeros are not allowed".to_owned(),
            ),
            (
                "-01.5".to_owned(),
                "is not a number: leading zeros are not allowed".to_owned(),
            ),
            (
                "1e".to_owned(),
                "is not a number: the exponent has no digits".to_owned(),
            ),
            (
                "1E+".to_owned(),
                "is not a number: the exponent has no digits".to_owned(),
            ),
            (
                "1e+-5".to_owned(),
                "is not a number: the exponent has no digits".to_owned(),
            ),
            ("".to_owned(), "is not a number (it is empty)".to_owned()),
        ];
        for (input, reason) in cases {
            assert_eq!(validate_number(&input), Err(reason), "{input}");
        }
        for junk in [
            "-", " 1", "1 ", "1,5", "1_000", "--1", "1.2.3", "e5", "1e5.5", "abc", "١",
        ] {
            assert_eq!(
                validate_number(junk),
                Err("is not a number".to_owned()),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn from_dynamo_number_errors() {
        assert_eq!(
            dynamo_err(r#"{"N": "12x"}"#),
            error("$", r#""N" value "12x" is not a number"#)
        );
        assert_eq!(
            dynamo_err(r#"{"N": "123456789012345678901234567890123456789"}"#),
            error(
                "$",
                r#""N" value "123456789012345678901234567890123456789" has 39 significant digits; DynamoDB allows at most 38"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"N": "1e126"}"#),
            error("$", &format!(r#""N" value "1e126" {TOO_LARGE}"#))
        );
        assert_eq!(
            dynamo_err(r#"{"N": "NaN"}"#),
            error(
                "$",
                r#""N" value "NaN" is not a number: NaN and Infinity are not supported by DynamoDB"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"N": "+1"}"#),
            error(
                "$",
                r#""N" value "+1" is not a number: a leading '+' is not allowed"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"N": "0x10"}"#),
            error(
                "$",
                r#""N" value "0x10" is not a number: hexadecimal is not supported"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"N": "1."}"#),
            error(
                "$",
                r#""N" value "1." is not a number: write a digit after the decimal point"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"N": ".5"}"#),
            error(
                "$",
                r#""N" value ".5" is not a number: write a digit before the decimal point (0.5)"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"N": ""}"#),
            error("$", r#""N" value "" is not a number (it is empty)"#)
        );
        assert_eq!(
            dynamo_err(r#"{"N": " 1\n"}"#),
            error("$", r#""N" value " 1\n" is not a number"#)
        );
        assert_eq!(
            dynamo_err(r#"{"N": 5}"#),
            error(
                "$",
                r#""N" value must be a string holding a number, like "42", found a number"#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"NS": ["1", "x"]}"#),
            error("$[1]", r#""NS" member "x" is not a number"#)
        );
        assert_eq!(
            dynamo_err(r#"{"NS": ["1E-131"]}"#),
            error("$[0]", &format!(r#""NS" member "1E-131" {TOO_SMALL}"#))
        );
        assert_eq!(
            dynamo_err(r#"{"NS": [1]}"#),
            error("$[0]", r#""NS" members must be strings, found a number"#)
        );
    }

    #[test]
    fn from_plain_number_errors() {
        assert_eq!(
            from_plain(&json("123456789012345678901234567890123456789")),
            Err(error(
                "$",
                "number 123456789012345678901234567890123456789 has 39 significant digits; DynamoDB allows at most 38"
            ))
        );
        // The message shows serde_json's spelling of the number.
        assert_eq!(
            from_plain(&json("1E126")),
            Err(error("$", &format!("number 1e+126 {TOO_LARGE}")))
        );
        assert_eq!(
            from_plain(&json("[0, 1e-131]")),
            Err(error("$[1]", &format!("number 1e-131 {TOO_SMALL}")))
        );
    }

    #[test]
    fn set_errors() {
        for tag in ["SS", "NS", "BS"] {
            assert_eq!(
                dynamo_err(&format!(r#"{{"{tag}": []}}"#)),
                error("$", "empty sets are not allowed in DynamoDB"),
                "{tag}"
            );
            assert_eq!(
                dynamo_err(&format!(r#"{{"{tag}": "a"}}"#)),
                error(
                    "$",
                    &format!(r#""{tag}" value must be an array of strings, found a string"#)
                ),
                "{tag}"
            );
            assert_eq!(
                dynamo_err(&format!(r#"{{"{tag}": {{}}}}"#)),
                error(
                    "$",
                    &format!(r#""{tag}" value must be an array of strings, found an object"#)
                ),
                "{tag}"
            );
            assert_eq!(
                dynamo_err(&format!(r#"{{"{tag}": ["AA==", null]}}"#)),
                error(
                    "$[1]",
                    &format!(r#""{tag}" members must be strings, found null"#)
                ),
                "{tag}"
            );
        }
        assert_eq!(
            dynamo_err(r#"{"SS": ["a", "b", "a"]}"#),
            error("$[2]", r#"duplicate member "a" in "SS" set"#)
        );
        assert_eq!(
            dynamo_err(r#"{"SS": ["", ""]}"#),
            error("$[1]", r#"duplicate member "" in "SS" set"#)
        );
        // Strings are compared exactly (no Unicode normalisation, case-sensitive).
        assert_eq!(
            from_dynamo(&json(r#"{"SS": ["a", "A", "e\u0301", "\u00e9"]}"#)),
            Ok(ss(&["a", "A", "e\u{301}", "\u{e9}"]))
        );
        for (members, duplicate, at) in [
            (r#"["1", "2", "1.0"]"#, "1.0", 2),
            (r#"["0", "-0"]"#, "-0", 1),
            (r#"["100", "1e2"]"#, "1e2", 1),
            (r#"["0.1E1", "10e-1"]"#, "10e-1", 1),
            (r#"["-1.50", "-15E-1"]"#, "-15E-1", 1),
            (r#"["0", "0.000e5"]"#, "0.000e5", 1),
        ] {
            assert_eq!(
                dynamo_err(&format!(r#"{{"NS": {members}}}"#)),
                error(
                    &format!("$[{at}]"),
                    &format!(
                        r#"duplicate member "{duplicate}" in "NS" set (numbers are compared by value)"#
                    )
                ),
                "{members}"
            );
        }
        // Different values are not duplicates.
        assert_eq!(
            from_dynamo(&json(r#"{"NS": ["1", "-1", "10", "0.1", "1e1e", "11"]}"#)),
            Err(error("$[4]", r#""NS" member "1e1e" is not a number"#))
        );
        assert_eq!(
            from_dynamo(&json(r#"{"NS": ["1", "-1", "10", "0.1", "11", "1.1"]}"#)),
            Ok(ns(&["1", "-1", "10", "0.1", "11", "1.1"]))
        );
        assert_eq!(
            dynamo_err(r#"{"BS": ["AQI=", "AA==", "AQI="]}"#),
            error("$[2]", r#"duplicate member "AQI=" in "BS" set"#)
        );
        assert_eq!(
            dynamo_err(r#"{"BS": ["", ""]}"#),
            error("$[1]", r#"duplicate member "" in "BS" set"#)
        );
    }

    #[test]
    fn base64_errors() {
        assert_eq!(
            dynamo_err(r#"{"B": "not base64!"}"#),
            error(
                "$",
                r#""B" value is not valid base64: Invalid symbol 32, offset 3."#
            )
        );
        // Padding is required.
        assert_eq!(
            dynamo_err(r#"{"B": "AQI"}"#),
            error("$", r#""B" value is not valid base64: Invalid padding"#)
        );
        // Non-canonical encodings (trailing bits set) are rejected, so what is
        // accepted re-encodes to the same text.
        assert_eq!(
            dynamo_err(r#"{"B": "AB=="}"#),
            error(
                "$",
                r#""B" value is not valid base64: Invalid last symbol 0x42 ('B') at offset 1, decoded as 0b00000001."#
            )
        );
        // URL-safe alphabet is not standard base64.
        assert_eq!(
            dynamo_err(r#"{"B": "__4AgA=="}"#),
            error(
                "$",
                r#""B" value is not valid base64: Invalid symbol 95, offset 0."#
            )
        );
        assert_eq!(
            dynamo_err(r#"{"B": 5}"#),
            error("$", r#""B" value must be a base64 string, found a number"#)
        );
        assert_eq!(
            dynamo_err(r#"{"BS": ["AA==", "A"]}"#),
            error(
                "$[1]",
                r#""BS" member is not valid base64: Invalid input length: 1"#
            )
        );
    }

    #[test]
    fn shape_and_type_key_errors() {
        let one_key = "expected exactly one type key (S, N, B, BOOL, NULL, L, M, SS, NS, BS)";
        let cases: Vec<(&str, ValueError)> = vec![
            (
                r#"{"S": "a", "N": "1"}"#,
                error("$", &format!("{one_key}, found 2")),
            ),
            ("{}", error("$", &format!("{one_key}, found 0"))),
            (
                r#"{"X": "a"}"#,
                error(
                    "$",
                    r#"unknown type key "X"; expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS"#,
                ),
            ),
            (
                r#"{"s": "a"}"#,
                error(
                    "$",
                    r#"unknown type key "s"; expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS (type keys are case-sensitive: did you mean "S"?)"#,
                ),
            ),
            (
                r#"{"Bool": true}"#,
                error(
                    "$",
                    r#"unknown type key "Bool"; expected one of S, N, B, BOOL, NULL, L, M, SS, NS, BS (type keys are case-sensitive: did you mean "BOOL"?)"#,
                ),
            ),
            (
                r#""x""#,
                error(
                    "$",
                    r#"expected a DynamoDB JSON object with one type key, like {"S": "text"}, found a string"#,
                ),
            ),
            (
                "[]",
                error(
                    "$",
                    r#"expected a DynamoDB JSON object with one type key, like {"S": "text"}, found an array"#,
                ),
            ),
            (
                r#"{"S": null}"#,
                error("$", r#""S" value must be a string, found null"#),
            ),
            (
                r#"{"S": 1}"#,
                error("$", r#""S" value must be a string, found a number"#),
            ),
            (
                r#"{"BOOL": "true"}"#,
                error("$", r#""BOOL" value must be true or false, found a string"#),
            ),
            (
                r#"{"NULL": false}"#,
                error("$", r#""NULL" value must be true"#),
            ),
            (
                r#"{"NULL": null}"#,
                error("$", r#""NULL" value must be true, found null"#),
            ),
            (
                r#"{"L": {}}"#,
                error("$", r#""L" value must be an array, found an object"#),
            ),
            (
                r#"{"M": []}"#,
                error("$", r#""M" value must be an object, found an array"#),
            ),
            (
                r#"{"M": {"a": "x"}}"#,
                error(
                    "$.a",
                    r#"expected a DynamoDB JSON object with one type key, like {"S": "text"}, found a string"#,
                ),
            ),
            (
                r#"{"L": [{"S": "a"}, 5]}"#,
                error(
                    "$[1]",
                    r#"expected a DynamoDB JSON object with one type key, like {"S": "text"}, found a number"#,
                ),
            ),
            (
                r#"{"L": [{"L": [{"BOOL": true}, {"BOOL": 1}]}]}"#,
                error(
                    "$[0][1]",
                    r#""BOOL" value must be true or false, found a number"#,
                ),
            ),
        ];
        for (doc, expected) in cases {
            assert_eq!(dynamo_err(doc), expected, "{doc}");
        }
    }

    #[test]
    fn nested_error_paths() {
        let doc = r#"{"id": {"S": "x"}, "orders": {"L": [
            {"M": {"total": {"N": "1"}}},
            {"M": {}},
            {"M": {"total": {"N": "1.2.3"}}}
        ]}}"#;
        assert_eq!(
            dynamo_item_err(doc),
            error("$.orders[2].total", r#""N" value "1.2.3" is not a number"#)
        );
        let doc = r#"{"id": "x", "orders": [{"total": 1}, {}, {"total": 1e126}]}"#;
        assert_eq!(
            plain_item_err(doc),
            error("$.orders[2].total", &format!("number 1e+126 {TOO_LARGE}"))
        );
        assert_eq!(
            item_from_json(&json(doc)),
            Err(error(
                "$.orders[2].total",
                &format!("number 1e+126 {TOO_LARGE}")
            ))
        );
        // Set members are indexed like list elements.
        assert_eq!(
            dynamo_item_err(r#"{"a": {"M": {"tags": {"SS": ["x", "x"]}}}}"#),
            error("$.a.tags[1]", r#"duplicate member "x" in "SS" set"#)
        );
        // Names that are not simple identifiers are quoted and escaped.
        assert_eq!(
            dynamo_item_err(r#"{"odd name": {"M": {"a\"b": {"M": {"": {"N": "x"}}}}}}"#),
            error(
                r#"$["odd name"]["a\"b"][""]"#,
                r#""N" value "x" is not a number"#
            )
        );
        for (name, path) in [
            ("plain_name", "$.plain_name"),
            ("_x9", "$._x9"),
            ("order-id", "$.order-id"),
            ("1a", r#"$["1a"]"#),
            ("-a", r#"$["-a"]"#),
            ("a.b", r#"$["a.b"]"#),
            ("é", r#"$["é"]"#),
            ("tab\there", r#"$["tab\there"]"#),
        ] {
            let doc = serde_json::json!({ name: {"BOOL": "no"} });
            assert_eq!(
                item_from_dynamo(&doc),
                Err(error(
                    path,
                    r#""BOOL" value must be true or false, found a string"#
                )),
                "{name}"
            );
        }
    }

    #[test]
    fn item_top_level_must_be_an_object() {
        assert_eq!(
            plain_item_err("[1]"),
            error("$", "an item must be a JSON object, found an array")
        );
        assert_eq!(
            plain_item_err(r#""x""#),
            error("$", "an item must be a JSON object, found a string")
        );
        assert_eq!(
            dynamo_item_err("null"),
            error(
                "$",
                r#"an item must be a JSON object of typed values like {"id": {"S": "x"}}, found null"#
            )
        );
        assert_eq!(
            dynamo_item_err("true"),
            error(
                "$",
                r#"an item must be a JSON object of typed values like {"id": {"S": "x"}}, found a boolean"#
            )
        );
        // Detection falls back to plain, whose error is reported.
        assert_eq!(
            item_from_json(&json("[]")),
            Err(error("$", "an item must be a JSON object, found an array"))
        );
        // An empty object is an empty item in both shapes.
        assert_eq!(item_from_plain(&json("{}")), Ok(Item::new()));
        assert_eq!(item_from_dynamo(&json("{}")), Ok(Item::new()));
        assert_eq!(
            item_from_json(&json("{}")),
            Ok((Item::new(), JsonFormat::Plain))
        );
    }

    // -- detect_format ----------------------------------------------------------

    #[test]
    fn detect_format_cases() {
        use JsonFormat::{Dynamo, Plain};
        let cases = [
            (r#"{"id": {"S": "a"}, "n": {"N": "1"}}"#, Dynamo),
            (
                r#"{"a": {"B": "AA=="}, "b": {"BOOL": false}, "c": {"NULL": true},
                   "d": {"L": []}, "e": {"M": {}}, "f": {"SS": ["x"]},
                   "g": {"NS": ["1"]}, "h": {"BS": ["AA=="]}}"#,
                Dynamo,
            ),
            // Shapes are checked, not values: invalid content is still DynamoDB.
            (r#"{"a": {"N": "abc"}}"#, Dynamo),
            (r#"{"a": {"SS": []}}"#, Dynamo),
            (r#"{"a": {"NULL": false}}"#, Dynamo),
            // Plain documents.
            (r#"{"id": "a", "n": 1}"#, Plain),
            ("{}", Plain),
            ("[]", Plain),
            (r#"[{"S": "x"}]"#, Plain),
            (r#""x""#, Plain),
            ("null", Plain),
            // An item with an attribute named S (value not an object).
            (r#"{"S": "x"}"#, Plain),
            // One plain attribute makes the whole item plain.
            (r#"{"a": {"S": "x"}, "b": 1}"#, Plain),
            // Wrong inner shapes, case, key count.
            (r#"{"a": {"N": 5}}"#, Plain),
            (r#"{"a": {"SS": "x"}}"#, Plain),
            (r#"{"a": {"NS": [1]}}"#, Plain),
            (r#"{"a": {"BOOL": "true"}}"#, Plain),
            (r#"{"a": {"NULL": null}}"#, Plain),
            (r#"{"a": {"L": {}}}"#, Plain),
            (r#"{"a": {"M": []}}"#, Plain),
            (r#"{"a": {"s": "x"}}"#, Plain),
            (r#"{"a": {"S": "x", "N": "1"}}"#, Plain),
            (r#"{"a": {}}"#, Plain),
            // Only the top level is inspected.
            (r#"{"a": {"M": {"b": "plain"}}}"#, Dynamo),
            (r#"{"a": {"L": [1, 2]}}"#, Dynamo),
        ];
        for (doc, expected) in cases {
            assert_eq!(detect_format(&json(doc)), expected, "{doc}");
        }
    }

    #[test]
    fn detect_format_ambiguous_items() {
        // `{"S": "x"}` at item level is a plain item with an attribute named S.
        assert_eq!(
            item_from_json(&json(r#"{"S": "x"}"#)),
            Ok((item(&[("S", s("x"))]), JsonFormat::Plain))
        );
        // An attribute named S holding a typed value is DynamoDB JSON.
        assert_eq!(
            item_from_json(&json(r#"{"S": {"S": "x"}}"#)),
            Ok((item(&[("S", s("x"))]), JsonFormat::Dynamo))
        );
        // Ambiguous: a plain item whose every attribute is a one-key map
        // shaped like a typed value is read as DynamoDB JSON.
        assert_eq!(
            item_from_json(&json(r#"{"a": {"S": "x"}}"#)),
            Ok((item(&[("a", s("x"))]), JsonFormat::Dynamo))
        );
        // Adding any other plain attribute keeps the map.
        assert_eq!(
            item_from_json(&json(r#"{"a": {"S": "x"}, "b": 1}"#)),
            Ok((
                item(&[("a", m(&[("S", s("x"))])), ("b", n("1"))]),
                JsonFormat::Plain
            ))
        );
        // DynamoDB JSON with a wrongly shaped value is read as plain JSON,
        // so the mistake is not reported.
        assert_eq!(
            item_from_json(&json(r#"{"a": {"N": 5}}"#)),
            Ok((item(&[("a", m(&[("N", n("5"))]))]), JsonFormat::Plain))
        );
        // Well-shaped DynamoDB JSON with bad content is reported as such.
        assert_eq!(
            item_from_json(&json(r#"{"a": {"SS": []}}"#)),
            Err(error("$.a", "empty sets are not allowed in DynamoDB"))
        );
        assert_eq!(
            item_from_json(&json(r#"{"a": {"N": "abc"}}"#)),
            Err(error("$.a", r#""N" value "abc" is not a number"#))
        );
    }

    // -- type_tag, cell_text, ordered_names -------------------------------------

    #[test]
    fn type_tags() {
        let cases = [
            (s("x"), "S"),
            (n("1"), "N"),
            (b(b"x"), "B"),
            (AttributeValue::Bool(true), "BOOL"),
            (AttributeValue::Null(true), "NULL"),
            (AttributeValue::L(vec![]), "L"),
            (m(&[]), "M"),
            (ss(&["a"]), "SS"),
            (ns(&["1"]), "NS"),
            (bs(&[b"a"]), "BS"),
        ];
        for (av, tag) in cases {
            assert_eq!(type_tag(&av), tag);
            // The tag is the DynamoDB JSON key.
            let dynamo = to_dynamo(&av);
            let keys: Vec<&String> = dynamo.as_object().unwrap().keys().collect();
            assert_eq!(keys, [tag]);
        }
    }

    #[test]
    fn cell_text_each_type() {
        let big = 1000;
        let cases: Vec<(AttributeValue, &str)> = vec![
            (s("hello"), "hello"),
            (s(""), ""),
            (s(r#"say "hi" \ there"#), r#"say "hi" \ there"#),
            (
                s("a\nb\r\nc\rd\te\u{7}f\u{1b}"),
                "a⏎b⏎c⏎d e\u{FFFD}f\u{FFFD}",
            ),
            (n("1.50"), "1.50"),
            (n("-1E+5"), "-1E+5"),
            (b(BYTES), "<4 bytes>"),
            (b(b"x"), "<1 byte>"),
            (b(b""), "<0 bytes>"),
            (AttributeValue::Bool(true), "true"),
            (AttributeValue::Bool(false), "false"),
            (AttributeValue::Null(true), "null"),
            (AttributeValue::L(vec![]), "[]"),
            (
                AttributeValue::L(vec![n("1"), s("a"), AttributeValue::Bool(true)]),
                r#"[1, "a", true]"#,
            ),
            (
                AttributeValue::L(vec![s(r#"say "hi" \"#), s("x\ny")]),
                r#"["say \"hi\" \\", "x⏎y"]"#,
            ),
            (m(&[]), "{}"),
            (
                m(&[
                    ("b", n("2")),
                    ("a", s("x")),
                    ("c", AttributeValue::Null(true)),
                ]),
                r#"{a: "x", b: 2, c: null}"#,
            ),
            (
                m(&[("odd key\n", AttributeValue::L(vec![m(&[("k", b(b"ab"))])]))]),
                "{odd key⏎: [{k: <2 bytes>}]}",
            ),
            (ss(&["a", "b c"]), "{a, b c}"),
            (ns(&["1", "2.5"]), "{1, 2.5}"),
            (bs(&[b"abc", b"d"]), "{<3 bytes>, <1 byte>}"),
            (
                AttributeValue::L(vec![ss(&["a", "b"]), ns(&["1"]), bs(&[b""])]),
                r#"[{"a", "b"}, {1}, {<0 bytes>}]"#,
            ),
            (m(&[("tags", ss(&["x\"y"]))]), r#"{tags: {"x\"y"}}"#),
        ];
        for (av, expected) in cases {
            assert_eq!(cell_text(&av, big), expected, "{av:?}");
        }
    }

    #[test]
    fn cell_text_truncates_with_ellipsis() {
        let hello = s("hello world");
        assert_eq!(cell_text(&hello, 11), "hello world");
        assert_eq!(cell_text(&hello, 10), "hello wor…");
        assert_eq!(cell_text(&hello, 5), "hell…");
        assert_eq!(cell_text(&hello, 2), "h…");
        assert_eq!(cell_text(&hello, 1), "…");
        assert_eq!(cell_text(&hello, 0), "");
        assert_eq!(cell_text(&s(""), 0), "");
        // Characters, not bytes, are counted.
        assert_eq!(cell_text(&s("ééééé"), 5), "ééééé");
        assert_eq!(cell_text(&s("ééééé"), 3), "éé…");
        assert_eq!(cell_text(&s("a\r\nb"), 3), "a⏎b");
        assert_eq!(cell_text(&s("a\r\nbc"), 3), "a⏎…");
        // An escape counts as two characters (and may be cut in the middle).
        let quote = AttributeValue::L(vec![s("\"")]);
        assert_eq!(cell_text(&quote, 6), r#"["\""]"#);
        assert_eq!(cell_text(&quote, 5), r#"["\"…"#);
        assert_eq!(cell_text(&quote, 4), r#"["\…"#);
        let list = AttributeValue::L(vec![n("1"), n("2"), n("3")]);
        assert_eq!(cell_text(&list, 9), "[1, 2, 3]");
        assert_eq!(cell_text(&list, 8), "[1, 2, …");
        assert_eq!(cell_text(&list, 3), "[1…");
        let map = m(&[("b", n("22")), ("a", s("x"))]);
        assert_eq!(cell_text(&map, 15), r#"{a: "x", b: 22}"#);
        assert_eq!(cell_text(&map, 14), r#"{a: "x", b: 2…"#);
        assert_eq!(cell_text(&ns(&["1", "2"]), 5), "{1, …");
        assert_eq!(cell_text(&b(&[0; 1234]), 8), "<1234 b…");
        // Huge values are cut without building the whole text.
        let huge = AttributeValue::L((0..200_000).map(|i| n(&i.to_string())).collect());
        assert_eq!(cell_text(&huge, 12), "[0, 1, 2, 3…");
    }

    #[test]
    fn ordered_names_cases() {
        let it = item(&[
            ("zeta", n("1")),
            ("id", s("a")),
            ("alpha", s("b")),
            ("name", s("c")),
            ("Age", s("d")),
        ]);
        assert_eq!(
            ordered_names(&it, &["id", "missing", "name", "id"]),
            ["id", "name", "Age", "alpha", "zeta"]
        );
        assert_eq!(
            ordered_names(&it, &[]),
            ["Age", "alpha", "id", "name", "zeta"]
        );
        assert_eq!(
            ordered_names(&it, &["zeta", "alpha"]),
            ["zeta", "alpha", "Age", "id", "name"]
        );
        assert_eq!(ordered_names(&Item::new(), &["id"]), Vec::<&str>::new());
        // Library and dyntui bookkeeping goes after the domain attributes.
        let lib: Item = [
            "__edb_e__",
            "_ct",
            "zip",
            "name",
            "_dyntui_seed",
            "_md",
            "age",
        ]
        .iter()
        .map(|k| (k.to_string(), AttributeValue::S("x".into())))
        .collect();
        assert_eq!(
            ordered_names(&lib, &["name"]),
            vec![
                "name",
                "age",
                "zip",
                "__edb_e__",
                "_ct",
                "_dyntui_seed",
                "_md"
            ]
        );
    }

    // -- property tests -----------------------------------------------------------

    /// The exponent of the leading significant digit of `int.frac`, or `None`
    /// for zero. Written independently of the code under test.
    fn leading_power(int: &str, frac: &str) -> Option<i64> {
        if int != "0" {
            return Some(int.len() as i64 - 1);
        }
        frac.find(|c| c != '0').map(|i| -(i as i64) - 1)
    }

    /// Valid DynamoDB number texts: optional `-`, at most 38 digits, optional
    /// fraction, optional exponent (`e`/`E`, optional sign, maybe zero-padded)
    /// chosen so the magnitude stays within 1E-130 ..= 9.99…E+125.
    fn number_text() -> impl Strategy<Value = String> {
        let int = prop_oneof![Just("0".to_owned()), "[1-9][0-9]{0,37}"];
        let frac = proptest::option::of("[0-9]{1,38}");
        (any::<bool>(), int, frac)
            .prop_flat_map(|(negative, int, frac)| {
                let room = if int == "0" { 38 } else { 38 - int.len() };
                let frac: String = frac.unwrap_or_default().chars().take(room).collect();
                let (lo, hi) = match leading_power(&int, &frac) {
                    Some(p) => (-130 - p, 125 - p),
                    None => (-300, 300),
                };
                let exponent = prop_oneof![
                    4 => lo..=hi,
                    1 => Just(lo),
                    1 => Just(hi),
                    1 => -3i64..=3,
                ]
                .prop_filter("in range", move |e| (lo..=hi).contains(e));
                let exp =
                    proptest::option::of((exponent, any::<bool>(), any::<bool>(), any::<bool>()));
                let sign = if negative { "-" } else { "" };
                let mantissa = if frac.is_empty() {
                    format!("{sign}{int}")
                } else {
                    format!("{sign}{int}.{frac}")
                };
                (Just(mantissa), exp)
            })
            .prop_map(|(mantissa, exp)| match exp {
                None => mantissa,
                Some((e, upper, plus, pad)) => {
                    let marker = if upper { 'E' } else { 'e' };
                    let sign = if e < 0 {
                        "-"
                    } else if plus {
                        "+"
                    } else {
                        ""
                    };
                    let pad = if pad { "0" } else { "" };
                    format!("{mantissa}{marker}{sign}{pad}{}", e.unsigned_abs())
                }
            })
    }

    /// A number's value as text, equal for equal numbers. Independent of
    /// [`NumberParts::canonical`]; used to de-duplicate generated sets.
    fn number_key(text: &str) -> String {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (
                &rest[..i],
                rest[i + 1..]
                    .trim_start_matches('+')
                    .parse::<i64>()
                    .unwrap(),
            ),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{int}{frac}");
        let Some(first) = digits.find(|c| c != '0') else {
            return "0".to_owned();
        };
        let last = digits.rfind(|c| c != '0').unwrap();
        let power = int.len() as i64 - 1 - first as i64 + exp;
        format!(
            "{}{}e{power}",
            if negative { "-" } else { "" },
            &digits[first..=last]
        )
    }

    /// Keeps the first of each group of members with equal keys.
    fn dedup_by<T, K: std::hash::Hash + Eq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
        let mut seen = HashSet::new();
        items.into_iter().filter(|x| seen.insert(key(x))).collect()
    }

    fn any_string() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 _\"\\\\-]{0,6}",
            proptest::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter),
        ]
    }

    fn attribute_name() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-z_]{1,4}",
            1 => Just("S".to_owned()),
            1 => Just("M".to_owned()),
            1 => any_string(),
        ]
    }

    /// Arbitrary values, depth at most 3. Without `binary_and_sets`, no `B`,
    /// `SS`, `NS` or `BS` (the values plain JSON can hold exactly).
    fn attribute_value(binary_and_sets: bool) -> BoxedStrategy<AttributeValue> {
        let simple = prop_oneof![
            any_string().prop_map(AttributeValue::S),
            number_text().prop_map(AttributeValue::N),
            any::<bool>().prop_map(AttributeValue::Bool),
            Just(AttributeValue::Null(true)),
        ];
        let leaf = if binary_and_sets {
            prop_oneof![
                4 => simple,
                1 => proptest::collection::vec(any::<u8>(), 0..12)
                    .prop_map(|bytes| AttributeValue::B(Blob::new(bytes))),
                1 => proptest::collection::vec(any_string(), 1..5)
                    .prop_map(|items| AttributeValue::Ss(dedup_by(items, String::clone))),
                1 => proptest::collection::vec(number_text(), 1..5)
                    .prop_map(|items| AttributeValue::Ns(dedup_by(items, |x| number_key(x)))),
                1 => proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 1..5)
                    .prop_map(|items| AttributeValue::Bs(
                        dedup_by(items, Vec::clone).into_iter().map(Blob::new).collect(),
                    )),
            ]
            .boxed()
        } else {
            simple.boxed()
        };
        leaf.prop_recursive(3, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                proptest::collection::hash_map(attribute_name(), inner, 0..4)
                    .prop_map(AttributeValue::M),
            ]
        })
        .boxed()
    }

    pub(crate) fn any_item(binary_and_sets: bool, min: usize) -> impl Strategy<Value = Item> {
        proptest::collection::hash_map(attribute_name(), attribute_value(binary_and_sets), min..5)
    }

    /// `text` as serde_json spells it: exponent marker `e`, always signed.
    fn plain_spelling(text: &str) -> String {
        match text.find(['e', 'E']) {
            None => text.to_owned(),
            Some(i) => {
                let exp = &text[i + 1..];
                let exp = if exp.starts_with(['+', '-']) {
                    exp.to_owned()
                } else {
                    format!("+{exp}")
                };
                format!("{}e{exp}", &text[..i])
            }
        }
    }

    /// `av` with every number respelled by [`plain_spelling`].
    fn plain_numbers(av: &AttributeValue) -> AttributeValue {
        match av {
            AttributeValue::N(text) => AttributeValue::N(plain_spelling(text)),
            AttributeValue::L(items) => {
                AttributeValue::L(items.iter().map(plain_numbers).collect())
            }
            AttributeValue::M(map) => AttributeValue::M(
                map.iter()
                    .map(|(k, v)| (k.clone(), plain_numbers(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn through_text(v: &Value) -> Value {
        serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            // Never write regression files next to the sources.
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn prop_generated_numbers_are_valid(text in number_text()) {
            prop_assert_eq!(validate_number(&text), Ok(()), "{}", &text);
            let parts = parse_number(&text).unwrap();
            prop_assert_eq!(parts.canonical(), number_key(&text));
            prop_assert_eq!(to_plain(&AttributeValue::N(text.clone())).to_string(), plain_spelling(&text));
        }

        #[test]
        fn prop_dynamo_round_trip(av in attribute_value(true)) {
            prop_assert_eq!(from_dynamo(&to_dynamo(&av)), Ok(av.clone()));
            prop_assert_eq!(from_dynamo(&through_text(&to_dynamo(&av))), Ok(av));
        }

        #[test]
        fn prop_direct_writer_matches_the_value_tree(it in any_item(true, 0)) {
            let mut direct = Vec::new();
            write_item_dynamo(&mut direct, &it);
            prop_assert_eq!(
                String::from_utf8(direct).unwrap(),
                serde_json::to_string(&item_to_dynamo(&it)).unwrap()
            );
        }

        #[test]
        fn prop_item_dynamo_round_trip(it in any_item(true, 0)) {
            let doc = item_to_dynamo(&it);
            prop_assert_eq!(item_from_dynamo(&doc), Ok(it.clone()));
            prop_assert_eq!(item_from_dynamo(&through_text(&doc)), Ok(it.clone()));
            let expected_format = if it.is_empty() { JsonFormat::Plain } else { JsonFormat::Dynamo };
            prop_assert_eq!(detect_format(&doc), expected_format);
            prop_assert_eq!(item_from_json(&through_text(&doc)), Ok((it, expected_format)));
        }

        #[test]
        fn prop_plain_round_trip(av in attribute_value(false)) {
            let expected = plain_numbers(&av);
            prop_assert_eq!(from_plain(&to_plain(&av)), Ok(expected.clone()));
            prop_assert_eq!(from_plain(&through_text(&to_plain(&av))), Ok(expected));
        }

        #[test]
        fn prop_item_plain_round_trip(it in any_item(false, 0)) {
            let expected: Item = it.iter().map(|(k, v)| (k.clone(), plain_numbers(v))).collect();
            prop_assert_eq!(item_from_plain(&item_to_plain(&it)), Ok(expected.clone()));
            prop_assert_eq!(item_from_plain(&through_text(&item_to_plain(&it))), Ok(expected));
        }

        #[test]
        fn prop_detect_format_dynamo(it in any_item(true, 1)) {
            prop_assert_eq!(detect_format(&item_to_dynamo(&it)), JsonFormat::Dynamo);
        }

        #[test]
        fn prop_cell_text_truncation(av in attribute_value(true), max in 0usize..24) {
            let full = cell_text(&av, usize::MAX);
            let cut = cell_text(&av, max);
            let len = full.chars().count();
            prop_assert!(!full.contains(['\n', '\r']));
            if len <= max {
                prop_assert_eq!(cut, full);
            } else if max == 0 {
                prop_assert_eq!(cut, "");
            } else {
                let expected: String = full.chars().take(max - 1).chain(['…']).collect();
                prop_assert_eq!(cut, expected);
            }
        }
    }
}
