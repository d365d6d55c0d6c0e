//! Reading seed/import files of items as a stream, and checking items before
//! any write.
//!
//! Two file shapes are accepted, told apart by the first non-whitespace byte
//! (a UTF-8 byte order mark is skipped):
//!
//! * **JSON Lines**: one item per line; blank lines are skipped; `\n` or
//!   `\r\n` line endings.
//! * **A JSON array of items** (the file starts with `[`), pretty-printed or
//!   not. The output of `aws dynamodb scan --output json` (an object whose
//!   first member is the `"Items"` array) is read the same way, and its
//!   `Count` is checked against the items read; an output with a
//!   `NextToken` is only a part of the table and is refused. The array is never read whole: a small scanner that tracks string,
//!   escape and bracket state finds where each element ends, and only that
//!   element is handed to serde_json. Memory stays flat whatever the file
//!   size (it grows only with the largest single item).
//!
//! Each item may be plain JSON or DynamoDB JSON, detected per item by
//! [`value::item_from_json`]. Numbers are never converted to `f64`
//! (serde_json's `arbitrary_precision` keeps their text).
//!
//! Errors carry the file name and a 1-based line. A bad JSON Lines line is
//! reported and reading goes on with the next line; in an array, a JSON syntax
//! error ends the stream after being reported (element boundaries can no
//! longer be trusted), while an element that is valid JSON but not a valid
//! item is reported and reading goes on. A file that ends in the middle of an
//! item (an export that was killed, a partial copy) is reported as
//! `truncated: the file ends inside an item`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::Item;
use super::client::KeyKind;
use super::value;

/// DynamoDB's largest item: 400 KB.
pub const MAX_ITEM_SIZE: usize = 409_600;

/// Message for a file that stops in the middle of an item.
const TRUNCATED: &str = "truncated: the file ends inside an item";

/// Read buffer for files.
const READ_BUFFER: usize = 64 * 1024;

/// Above this capacity the element/line buffer is shrunk again after use, so
/// one huge item does not keep its memory for the rest of the file.
const KEEP_BUFFER: usize = 1024 * 1024;

/// A problem with one item of a file (or with the file itself, at line 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ItemFileError {
    /// The file name as given (or the name passed to [`ItemFile::from_reader`]).
    pub file: String,
    /// 1-based line; 0 when the file as a whole is the problem.
    pub line: usize,
    /// What is wrong, in words meant for the user.
    pub message: String,
}

/// Where the reader is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet: the shape is not known.
    Start,
    /// JSON Lines.
    Lines,
    /// Inside the array, expecting an element (or `]` when `first`).
    ArrayElement { first: bool },
    /// The last element ended the file without a closing `]`.
    ArrayUnclosed,
    /// After the closing `]`: only whitespace may follow.
    ArrayTail,
    /// Nothing more to yield.
    Done,
}

/// How scanning one array element stopped.
enum Scan {
    /// At a `,` or `]` outside any string or nesting (not consumed).
    Separator,
    /// At a closing bracket that does not match the open one (consumed and
    /// kept in the element, so the JSON parser reports it).
    Mismatch,
    /// At the end of the file.
    Eof,
}

/// The items of a file, read as a stream.
///
/// JSON Lines (one item per line, blank lines skipped) or a JSON array of
/// items (detected by the first non-whitespace byte being `[`). Each item may
/// be plain JSON or DynamoDB JSON (detected per item). Yields `(line, item)`,
/// `line` being the 1-based line where the item starts, or an
/// [`ItemFileError`] for a malformed line or element; see the module
/// documentation for what happens after an error.
pub struct ItemFile {
    name: String,
    reader: Box<dyn BufRead + Send>,
    state: State,
    /// 1-based line of the next unread byte.
    line: usize,
    /// 1-based column (in bytes) of the next unread byte.
    col: usize,
    /// The current line (JSON Lines) or array element.
    buf: Vec<u8>,
    /// Open brackets of the element being scanned.
    stack: Vec<u8>,
    /// The array is the `"Items"` member of an object (`aws dynamodb scan
    /// --output json`): what follows it is the object's other members.
    wrapped: bool,
    /// Array elements read so far.
    elements: u64,
}

impl std::fmt::Debug for ItemFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemFile")
            .field("name", &self.name)
            .field("state", &self.state)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl ItemFile {
    /// Opens a file of items. The error (line 0) says why it cannot be opened.
    pub fn open(path: &Path) -> Result<ItemFile, ItemFileError> {
        let name = path.display().to_string();
        match File::open(path) {
            Ok(file) => Ok(ItemFile::from_reader(
                &name,
                BufReader::with_capacity(READ_BUFFER, file),
            )),
            Err(e) => Err(ItemFileError {
                file: name,
                line: 0,
                message: format!("cannot open the file: {e}"),
            }),
        }
    }

    /// Items read from any buffered reader (tests, stdin); `name` is used in
    /// errors.
    pub fn from_reader(name: &str, reader: impl BufRead + Send + 'static) -> ItemFile {
        ItemFile {
            name: name.to_owned(),
            reader: Box::new(reader),
            state: State::Start,
            line: 1,
            col: 1,
            buf: Vec::new(),
            stack: Vec::new(),
            wrapped: false,
            elements: 0,
        }
    }

    /// The name used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn error(&self, line: usize, message: impl Into<String>) -> ItemFileError {
        ItemFileError {
            file: self.name.clone(),
            line,
            message: message.into(),
        }
    }

    /// Reports a read failure and ends the stream.
    fn io_error(&mut self, e: &io::Error) -> ItemFileError {
        self.state = State::Done;
        self.error(self.line, format!("cannot read the file: {e}"))
    }

    /// Skips JSON whitespace, keeping the line and column up to date. Returns
    /// the next byte (not consumed), or `None` at the end of the file.
    fn skip_whitespace(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(None);
            }
            let mut used = 0;
            let mut found = None;
            for &b in chunk {
                match b {
                    b'\n' => {
                        self.line += 1;
                        self.col = 1;
                    }
                    b' ' | b'\t' | b'\r' => self.col += 1,
                    _ => {
                        found = Some(b);
                        break;
                    }
                }
                used += 1;
            }
            self.reader.consume(used);
            if found.is_some() {
                return Ok(found);
            }
        }
    }

    /// Consumes one byte known to be in the buffer (not a newline).
    fn bump(&mut self) {
        self.reader.consume(1);
        self.col += 1;
    }

    /// True when nothing is left to read.
    fn at_end(&mut self) -> bool {
        self.reader
            .fill_buf()
            .map(<[u8]>::is_empty)
            .unwrap_or(false)
    }

    /// Gives back the memory of an unusually large item.
    fn trim_buffer(&mut self) {
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = Vec::new();
        }
    }

    /// Decides between JSON Lines and an array.
    fn start(&mut self) -> Result<(), ItemFileError> {
        if let Ok(chunk) = self.reader.fill_buf()
            && chunk.starts_with(b"\xEF\xBB\xBF")
        {
            self.reader.consume(3);
        }
        match self.skip_whitespace() {
            Err(e) => Err(self.io_error(&e)),
            Ok(None) => {
                self.state = State::Done;
                Ok(())
            }
            Ok(Some(b'[')) => {
                self.bump();
                self.state = State::ArrayElement { first: true };
                Ok(())
            }
            Ok(Some(b'{')) if self.items_member() => {
                self.state = State::ArrayElement { first: true };
                self.wrapped = true;
                Ok(())
            }
            Ok(Some(_)) => {
                self.state = State::Lines;
                Ok(())
            }
        }
    }

    /// At a `{` that opens `{"Items": [` (the AWS CLI's scan output): moves
    /// past the `[` and says so; otherwise moves nothing.
    fn items_member(&mut self) -> bool {
        let Ok(chunk) = self.reader.fill_buf() else {
            return false;
        };
        let mut i = 1; // past `{`
        let ws = |c: &[u8], mut i: usize| {
            while i < c.len() && c[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        };
        i = ws(chunk, i);
        if !chunk[i..].starts_with(b"\"Items\"") {
            return false;
        }
        i = ws(chunk, i + 7);
        if chunk.get(i) != Some(&b':') {
            return false;
        }
        i = ws(chunk, i + 1);
        if chunk.get(i) != Some(&b'[') {
            return false;
        }
        let used = i + 1;
        let newlines = chunk[..used].iter().filter(|&&b| b == b'\n').count();
        let col = match chunk[..used].iter().rposition(|&b| b == b'\n') {
            Some(nl) => used - nl,
            None => self.col + used,
        };
        self.reader.consume(used);
        self.line += newlines;
        self.col = col;
        true
    }

    /// After the `"Items"` array of the AWS CLI's output: the rest of the
    /// object, whose `Count` must match the items read; a `NextToken` means
    /// the output holds only part of the table.
    fn wrapped_tail(&mut self) -> Option<ItemFileError> {
        let mut rest = String::new();
        if let Err(e) = self.reader.read_to_string(&mut rest) {
            return Some(self.io_error(&e));
        }
        let rest = rest.trim();
        let object = match rest.strip_prefix(',') {
            Some(members) => format!("{{{members}"),
            None => format!("{{{rest}"),
        };
        let v: Value = match serde_json::from_str(&object) {
            Ok(v) => v,
            Err(e) => {
                return Some(self.error(
                    self.line,
                    format!(
                        "truncated or not an `aws dynamodb scan` output: after the items: {}",
                        json_reason(&e)
                    ),
                ));
            }
        };
        if v.get("NextToken").is_some_and(|t| !t.is_null()) {
            return Some(self.error(
                0,
                "this scan output has a NextToken: it holds only part of the table (it was cut by --max-items or --page-size); scan again without them",
            ));
        }
        match v.get("Count").and_then(Value::as_u64) {
            Some(n) if n != self.elements => Some(self.error(
                0,
                format!(
                    "the scan output says Count {n} but holds {} items",
                    self.elements
                ),
            )),
            _ => None,
        }
    }

    /// The next item of a JSON Lines file.
    fn next_line(&mut self) -> Option<Result<(usize, Item), ItemFileError>> {
        loop {
            self.buf.clear();
            let read = loop {
                match self.reader.read_until(b'\n', &mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            match read {
                Err(e) => return Some(Err(self.io_error(&e))),
                Ok(0) => {
                    self.state = State::Done;
                    return None;
                }
                Ok(_) => {}
            }
            let line = self.line;
            self.line += 1;
            // Only the first line can start after column 1 (when leading
            // whitespace was skipped while detecting the shape).
            let col_offset = std::mem::replace(&mut self.col, 1) - 1;
            let had_newline = self.buf.last() == Some(&b'\n');
            if had_newline {
                self.buf.pop();
            }
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let last_line = !had_newline || self.at_end();
            let result = match serde_json::from_slice::<Value>(&self.buf) {
                Ok(v) => self.to_item(line, &v),
                Err(e) if e.is_eof() && last_line => Err(self.error(line, TRUNCATED)),
                Err(e) if e.is_eof() => Err(self.error(
                    line,
                    format!(
                        "invalid JSON at column {}: the line ends before the item is complete \
                         (each item must be on one line)",
                        e.column() + col_offset
                    ),
                )),
                Err(e) => Err(self.error(
                    line,
                    format!(
                        "invalid JSON at column {}: {}",
                        e.column() + col_offset,
                        json_reason(&e)
                    ),
                )),
            };
            self.trim_buffer();
            return Some(result);
        }
    }

    /// Reads one array element into `buf`, up to (not including) the `,` or
    /// `]` that ends it.
    fn scan_element(&mut self) -> io::Result<Scan> {
        self.buf.clear();
        self.stack.clear();
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(Scan::Eof);
            }
            let mut used = 0;
            let mut stop = None;
            for &b in chunk {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => self.stack.push(b),
                        b'}' | b']' => match (self.stack.last(), b) {
                            (None, b']') => {
                                stop = Some(Scan::Separator);
                                break;
                            }
                            (Some(b'{'), b'}') | (Some(b'['), b']') => {
                                self.stack.pop();
                            }
                            _ => stop = Some(Scan::Mismatch),
                        },
                        b',' if self.stack.is_empty() => {
                            stop = Some(Scan::Separator);
                            break;
                        }
                        _ => {}
                    }
                }
                if b == b'\n' {
                    self.line += 1;
                    self.col = 1;
                } else {
                    self.col += 1;
                }
                used += 1;
                if stop.is_some() {
                    break;
                }
            }
            self.buf.extend_from_slice(&chunk[..used]);
            self.reader.consume(used);
            if let Some(scan) = stop {
                return Ok(scan);
            }
        }
    }

    /// The next item of a JSON array.
    fn next_element(&mut self, first: bool) -> Option<Result<(usize, Item), ItemFileError>> {
        let next = match self.skip_whitespace() {
            Err(e) => return Some(Err(self.io_error(&e))),
            Ok(next) => next,
        };
        match next {
            None => {
                self.state = State::Done;
                let message = if first {
                    "truncated: the file ends right after the opening `[` of the array"
                } else {
                    "truncated: the file ends inside the array, before its closing `]`"
                };
                return Some(Err(self.error(self.line, message)));
            }
            Some(b']') if first => {
                self.bump();
                self.state = State::ArrayTail;
                return self.next();
            }
            Some(b']') => {
                self.state = State::Done;
                return Some(Err(self.error(
                    self.line,
                    format!(
                        "invalid JSON at column {}: trailing comma before `]`",
                        self.col
                    ),
                )));
            }
            Some(b',') => {
                self.state = State::Done;
                return Some(Err(self.error(
                    self.line,
                    format!(
                        "invalid JSON at column {}: expected an item before `,`",
                        self.col
                    ),
                )));
            }
            Some(_) => {}
        }
        let (start_line, start_col) = (self.line, self.col);
        self.elements += 1;
        let scan = match self.scan_element() {
            Err(e) => return Some(Err(self.io_error(&e))),
            Ok(scan) => scan,
        };
        let result = match serde_json::from_slice::<Value>(&self.buf) {
            Ok(v) => {
                match scan {
                    Scan::Separator => match self.skip_whitespace() {
                        Ok(Some(b',')) => {
                            self.bump();
                            self.state = State::ArrayElement { first: false };
                        }
                        Ok(Some(_)) => {
                            // `]`: the scanner stops only at `,` or `]`.
                            self.bump();
                            self.state = State::ArrayTail;
                        }
                        Ok(None) => self.state = State::ArrayUnclosed,
                        Err(e) => return Some(Err(self.io_error(&e))),
                    },
                    Scan::Eof => self.state = State::ArrayUnclosed,
                    // A mismatched bracket is never valid JSON, so the parser
                    // cannot have accepted the element; stop anyway.
                    Scan::Mismatch => self.state = State::Done,
                }
                self.to_item(start_line, &v)
            }
            Err(e) => {
                self.state = State::Done;
                if e.is_eof() && matches!(scan, Scan::Eof) {
                    Err(self.error(start_line, TRUNCATED))
                } else {
                    // Position of the error in the file.
                    let line = start_line + e.line().max(1) - 1;
                    let col = if e.line() <= 1 {
                        e.column() + start_col - 1
                    } else {
                        e.column()
                    };
                    let reason = if e.is_eof() {
                        "the item ends early".to_owned()
                    } else {
                        json_reason(&e)
                    };
                    let mut message = format!("invalid JSON at column {col}: {reason}");
                    if line != start_line {
                        message.push_str(&format!(" (in the item starting at line {start_line})"));
                    }
                    Err(self.error(line, message))
                }
            }
        };
        self.trim_buffer();
        Some(result)
    }

    /// Turns a parsed JSON value into an item.
    fn to_item(&self, line: usize, v: &Value) -> Result<(usize, Item), ItemFileError> {
        if !v.is_object() {
            return Err(self.error(
                line,
                format!("expected an object (one item), found {}", json_kind(v)),
            ));
        }
        match value::item_from_json(v) {
            Ok((item, _format)) => Ok((line, item)),
            Err(e) => Err(self.error(line, format!("{}: {}", e.path, e.message))),
        }
    }
}

impl Iterator for ItemFile {
    type Item = Result<(usize, Item), ItemFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.state {
                State::Start => {
                    if let Err(e) = self.start() {
                        return Some(Err(e));
                    }
                }
                State::Lines => return self.next_line(),
                State::ArrayElement { first } => return self.next_element(first),
                State::ArrayUnclosed => {
                    self.state = State::Done;
                    return Some(Err(self.error(
                        self.line,
                        "truncated: the file ends inside the array, before its closing `]`",
                    )));
                }
                State::ArrayTail if self.wrapped => {
                    self.state = State::Done;
                    return self.wrapped_tail().map(Err);
                }
                State::ArrayTail => {
                    self.state = State::Done;
                    return match self.skip_whitespace() {
                        Ok(None) => None,
                        Ok(Some(_)) => Some(Err(self.error(
                            self.line,
                            format!(
                                "invalid JSON at column {}: unexpected content after the \
                                 closing `]` of the array",
                                self.col
                            ),
                        ))),
                        Err(e) => Some(Err(self.io_error(&e))),
                    };
                }
                State::Done => return None,
            }
        }
    }
}

/// serde_json's message without its " at line L column C" suffix (positions
/// are reported relative to the file instead).
fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(reason) => reason.to_owned(),
        None => text,
    }
}

use super::value::json_kind;

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// The key schema items must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    /// Partition key: (attribute name, scalar type; `None` when the table's
    /// description does not give it).
    pub pk: (String, Option<KeyKind>),
    /// Sort key, when the table has one.
    pub sk: Option<(String, Option<KeyKind>)>,
}

/// "a string (S)", … for messages.
fn type_words(tag: &str) -> &'static str {
    match tag {
        "S" => "a string (S)",
        "N" => "a number (N)",
        "B" => "binary (B)",
        "BOOL" => "a boolean (BOOL)",
        "NULL" => "null (NULL)",
        "L" => "a list (L)",
        "M" => "a map (M)",
        "SS" => "a string set (SS)",
        "NS" => "a number set (NS)",
        "BS" => "a binary set (BS)",
        _ => "a value of an unknown type",
    }
}

/// Problems of one key attribute, pushed onto `problems`.
fn check_key(
    item: &Item,
    (name, kind): &(String, Option<KeyKind>),
    role: &str,
    problems: &mut Vec<String>,
) {
    let Some(kind) = kind else {
        problems.push(format!(
            "the key schema gives {role} `{name}` the type \"?\"; key attributes must be S, N or B"
        ));
        return;
    };
    let Some(av) = item.get(name) else {
        problems.push(format!("the {role} `{name}` is missing"));
        return;
    };
    if KeyKind::of(av) != Some(*kind) {
        problems.push(format!(
            "`{name}` must be {}, got {}",
            type_words(kind.as_str()),
            type_words(value::type_tag(av))
        ));
        return;
    }
    let empty = match av {
        AttributeValue::S(s) => s.is_empty(),
        AttributeValue::B(b) => b.as_ref().is_empty(),
        _ => false,
    };
    if empty {
        problems.push(format!(
            "`{name}` is empty; DynamoDB rejects empty key values"
        ));
    }
}

/// Why an item cannot be written, or `Ok`.
///
/// Checks that each key attribute of `schema` is present, has the key's
/// scalar type (`S`, `N` or `B`) and, for strings and binary, is not empty
/// (DynamoDB rejects empty key values); and that the item's size
/// ([`item_size`]) is at most 400 KB (409,600 bytes). All problems found are
/// reported, separated by `; `.
pub fn validate_item(item: &Item, schema: &KeySchema) -> Result<(), String> {
    let mut problems = Vec::new();
    check_key(item, &schema.pk, "partition key", &mut problems);
    if let Some(sk) = &schema.sk {
        check_key(item, sk, "sort key", &mut problems);
    }
    let size = item_size(item);
    if size > MAX_ITEM_SIZE {
        problems.push(format!(
            "the item is {} bytes; DynamoDB allows at most {} bytes (400 KB)",
            thousands(size),
            thousands(MAX_ITEM_SIZE)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `409600` → `409,600`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// DynamoDB's item size in bytes by its documented rules (see
/// [`super::size`], the one implementation).
pub fn item_size(item: &Item) -> usize {
    usize::try_from(super::size::item_size(item)).unwrap_or(usize::MAX)
}

/// Reads a whole file once, streaming, and checks every item: JSON syntax,
/// values, and [`validate_item`] against `schema`. Returns the number of good
/// items and every error found (each with file and line). Nothing is written.
/// Fails only when the file cannot be opened.
pub fn validate_file(
    path: &Path,
    schema: &KeySchema,
) -> Result<(usize, Vec<ItemFileError>), ItemFileError> {
    let file = ItemFile::open(path)?;
    let name = file.name().to_owned();
    let mut good = 0;
    let mut errors = Vec::new();
    for entry in file {
        match entry {
            Ok((line, item)) => match validate_item(&item, schema) {
                Ok(()) => good += 1,
                Err(message) => errors.push(ItemFileError {
                    file: name.clone(),
                    line,
                    message,
                }),
            },
            Err(e) => errors.push(e),
        }
    }
    Ok((good, errors))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write as _};

    use aws_smithy_types::Blob;
    use proptest::prelude::*;

    use super::*;

    /// All entries of `text` read as file `t.json`.
    fn read_all(text: &str) -> Vec<Result<(usize, Item), ItemFileError>> {
        ItemFile::from_reader("t.json", Cursor::new(text.as_bytes().to_vec())).collect()
    }

    /// Same, through a reader whose buffer holds `capacity` bytes, so every
    /// scanner state meets a chunk boundary.
    fn read_small(text: &str, capacity: usize) -> Vec<Result<(usize, Item), ItemFileError>> {
        let reader = BufReader::with_capacity(capacity, Cursor::new(text.as_bytes().to_vec()));
        ItemFile::from_reader("t.json", reader).collect()
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.to_owned())
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn ok(entry: &Result<(usize, Item), ItemFileError>) -> &(usize, Item) {
        match entry {
            Ok(x) => x,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn err(entry: &Result<(usize, Item), ItemFileError>) -> &ItemFileError {
        match entry {
            Ok((line, item)) => panic!("expected an error, got line {line}: {item:?}"),
            Err(e) => e,
        }
    }

    fn lines_of(entries: &[Result<(usize, Item), ItemFileError>]) -> Vec<usize> {
        entries
            .iter()
            .map(|e| match e {
                Ok((line, _)) => *line,
                Err(e) => e.line,
            })
            .collect()
    }

    /// A schema from type text; text other than S, N or B is a type the
    /// table's description does not give.
    fn schema(pk: (&str, &str), sk: Option<(&str, &str)>) -> KeySchema {
        KeySchema {
            pk: (pk.0.to_owned(), pk.1.parse().ok()),
            sk: sk.map(|(a, b)| (a.to_owned(), b.parse().ok())),
        }
    }

    // -- JSON Lines ---------------------------------------------------------

    #[test]
    fn jsonl_mixes_plain_and_dynamo_json_and_skips_blank_lines() {
        let text = "{\"PK\": \"a\", \"n\": 1.50}\n\
                    {\"PK\": {\"S\": \"b\"}, \"n\": {\"N\": \"2\"}}\n\
                    \n   \t \n\
                    {\"PK\": \"c\", \"tags\": [\"x\", true, null], \"m\": {\"k\": {\"S\": \"v\"}}}\n";
        let entries = read_all(text);
        assert_eq!(entries.len(), 3);
        assert_eq!(
            ok(&entries[0]),
            &(1, item(&[("PK", s("a")), ("n", n("1.50"))]))
        );
        assert_eq!(
            ok(&entries[1]),
            &(2, item(&[("PK", s("b")), ("n", n("2"))]))
        );
        // Plain item (not every attribute is typed): the nested map stays a map.
        let (line, third) = ok(&entries[2]);
        assert_eq!(*line, 5);
        assert_eq!(third["PK"], s("c"));
        assert_eq!(
            third["tags"],
            AttributeValue::L(vec![
                s("x"),
                AttributeValue::Bool(true),
                AttributeValue::Null(true)
            ])
        );
        assert_eq!(
            third["m"],
            AttributeValue::M(item(&[("k", AttributeValue::M(item(&[("S", s("v"))])))]))
        );
    }

    #[test]
    fn jsonl_with_crlf_line_endings() {
        let text = "{\"PK\": \"a\"}\r\n\r\n{\"PK\": \"b\"}\r\n{\"PK\": \"c\"}";
        let entries = read_all(text);
        assert_eq!(lines_of(&entries), vec![1, 3, 4]);
        assert_eq!(ok(&entries[1]).1, item(&[("PK", s("b"))]));
        assert_eq!(ok(&entries[2]).1, item(&[("PK", s("c"))]));
    }

    #[test]
    fn empty_and_blank_files_have_no_items() {
        assert!(read_all("").is_empty());
        assert!(read_all(" \n\r\n\t\n").is_empty());
        assert!(read_all("\u{feff}\n").is_empty());
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let entries = read_all("\u{feff}{\"PK\": \"a\"}\n");
        assert_eq!(ok(&entries[0]), &(1, item(&[("PK", s("a"))])));
        let entries = read_all("\u{feff}[{\"PK\": \"a\"}]");
        assert_eq!(ok(&entries[0]), &(1, item(&[("PK", s("a"))])));
    }

    #[test]
    fn malformed_line_reports_line_and_column_and_reading_goes_on() {
        let text = "{\"PK\": \"a\"}\n{\"PK\": \"b\",, \"x\": 1}\n{\"PK\": \"c\"}\n";
        let entries = read_all(text);
        assert_eq!(entries.len(), 3);
        let e = err(&entries[1]);
        assert_eq!(e.file, "t.json");
        assert_eq!(e.line, 2);
        // The second comma is the 12th byte of the line.
        assert!(
            e.message.starts_with("invalid JSON at column 12: "),
            "{}",
            e.message
        );
        assert!(!e.message.contains("line 1"), "{}", e.message);
        assert_eq!(e.to_string(), format!("t.json:2: {}", e.message));
        assert_eq!(ok(&entries[2]), &(3, item(&[("PK", s("c"))])));
    }

    #[test]
    fn column_counts_leading_whitespace_of_the_first_line() {
        let entries = read_all("\n\n   {\"PK\" 1}\n");
        let e = err(&entries[0]);
        assert_eq!(e.line, 3);
        // The `1` is at column 10.
        assert!(
            e.message.starts_with("invalid JSON at column 10: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn line_that_is_not_an_object() {
        let text = "{\"PK\": \"a\"}\n[1, 2]\n\"text\"\n42\n{\"PK\": \"b\"}\n";
        let entries = read_all(text);
        assert_eq!(lines_of(&entries), vec![1, 2, 3, 4, 5]);
        assert_eq!(
            err(&entries[1]).message,
            "expected an object (one item), found an array"
        );
        assert_eq!(
            err(&entries[2]).message,
            "expected an object (one item), found a string"
        );
        assert_eq!(
            err(&entries[3]).message,
            "expected an object (one item), found a number"
        );
        assert!(entries[4].is_ok());
    }

    #[test]
    fn dynamo_json_value_error_has_its_path() {
        let text = "{\"PK\": {\"S\": \"a\"}, \"price\": {\"N\": \"12x\"}}\n\
                    {\"PK\": \"b\", \"list\": [1, {\"n\": 1e999}]}\n\
                    {\"PK\": \"c\"}\n";
        let entries = read_all(text);
        let e = err(&entries[0]);
        assert_eq!(e.line, 1);
        assert!(e.message.starts_with("$.price: "), "{}", e.message);
        assert!(e.message.contains("12x"), "{}", e.message);
        let e = err(&entries[1]);
        assert_eq!(e.line, 2);
        assert!(e.message.starts_with("$.list[1].n: "), "{}", e.message);
        assert!(entries[2].is_ok());
    }

    #[test]
    fn jsonl_truncated_last_line() {
        let entries = read_all("{\"PK\": \"a\"}\n{\"PK\": \"b\", \"name\": \"Zo");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_ok());
        let e = err(&entries[1]);
        assert_eq!((e.line, e.message.as_str()), (2, TRUNCATED));
        // Cut right after a value, and with a newline after the cut.
        let entries = read_all("{\"PK\": \"a\", \"n\": 12\n");
        assert_eq!(err(&entries[0]).message, TRUNCATED);
        let entries = read_all("{\"PK\": \"a\", \"l\": [1, 2");
        assert_eq!(err(&entries[0]).message, TRUNCATED);
    }

    #[test]
    fn jsonl_item_split_over_lines_is_not_called_truncated() {
        let entries = read_all("{\"PK\": \"a\",\n\"n\": 1}\n{\"PK\": \"b\"}\n");
        let e = err(&entries[0]);
        assert_eq!(e.line, 1);
        assert!(
            e.message
                .contains("the line ends before the item is complete"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("truncated"));
        // The next line is an error too (not an item), the one after is read.
        assert!(entries[1].is_err());
        assert_eq!(ok(&entries[2]).0, 3);
    }

    #[test]
    fn numbers_with_38_digits_stay_exact() {
        let big = "12345678901234567890123456789012345678";
        let small = "-0.00000000000000000000000000000000000012345678901234567890123456789012345678";
        let text = format!(
            "{{\"PK\": \"a\", \"big\": {big}, \"small\": {small}, \"e\": 1.50e-3}}\n\
             {{\"PK\": {{\"S\": \"b\"}}, \"big\": {{\"N\": \"{big}\"}}, \"ns\": {{\"NS\": [\"{big}\", \"1E5\"]}}}}\n\
             [{{\"PK\": \"c\", \"big\": {big}}}]"
        );
        let entries = read_all(&text);
        let (_, a) = ok(&entries[0]);
        assert_eq!(a["big"], n(big));
        assert_eq!(a["small"], n(small));
        assert_eq!(a["e"], n("1.50e-3"));
        let (_, b) = ok(&entries[1]);
        assert_eq!(b["big"], n(big));
        assert_eq!(
            b["ns"],
            AttributeValue::Ns(vec![big.to_owned(), "1E5".to_owned()])
        );
        // The same through an array file.
        let entries = read_all(&format!("[{{\"PK\": \"c\", \"big\": {big}}}]"));
        assert_eq!(ok(&entries[0]).1["big"], n(big));
    }

    #[test]
    fn binary_and_sets_round_trip_through_dynamo_json() {
        let doc = serde_json::json!({
            "PK": {"S": "a"},
            "bin": {"B": "AAEC/w=="},
            "ss": {"SS": ["x", "y"]},
            "ns": {"NS": ["1", "2.5"]},
            "bs": {"BS": ["AQ==", "Ag=="]},
            "l": {"L": [{"B": "AA=="}, {"NULL": true}]}
        });
        let text = format!("{doc}\n[{doc}]");
        let entries = read_all(&text);
        // The second line is JSON Lines too (not first in the file).
        let (_, it) = ok(&entries[0]);
        assert_eq!(it["bin"], AttributeValue::B(Blob::new(vec![0, 1, 2, 255])));
        assert_eq!(it["ss"], AttributeValue::Ss(vec!["x".into(), "y".into()]));
        assert_eq!(it["ns"], AttributeValue::Ns(vec!["1".into(), "2.5".into()]));
        assert_eq!(
            it["bs"],
            AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2])])
        );
        assert_eq!(
            it["l"],
            AttributeValue::L(vec![
                AttributeValue::B(Blob::new(vec![0])),
                AttributeValue::Null(true)
            ])
        );
        assert_eq!(value::item_to_dynamo(it), doc);
        assert_eq!(
            err(&entries[1]).message,
            "expected an object (one item), found an array"
        );
        // And as an array file.
        let entries = read_all(&format!("[{doc}, {doc}]"));
        assert_eq!(entries.len(), 2);
        assert_eq!(value::item_to_dynamo(&ok(&entries[1]).1), doc);
    }

    // -- JSON arrays ----------------------------------------------------------

    const PRETTY: &str = r#"[
  {
    "PK": "a",
    "n": 1
  },
  {"PK": {"S": "b"}},

  {
    "PK": "c",
    "nested": {
      "list": [1, [2, [3]], {"x": []}],
      "empty": {}
    }
  }
]
"#;

    #[test]
    fn pretty_array_gives_the_line_of_each_element() {
        for entries in [
            read_all(PRETTY),
            read_small(PRETTY, 1),
            read_small(PRETTY, 3),
        ] {
            assert_eq!(entries.len(), 3);
            assert_eq!(lines_of(&entries), vec![2, 6, 8]);
            assert_eq!(ok(&entries[0]).1, item(&[("PK", s("a")), ("n", n("1"))]));
            assert_eq!(ok(&entries[1]).1, item(&[("PK", s("b"))]));
            let nested = &ok(&entries[2]).1["nested"];
            let AttributeValue::M(m) = nested else {
                panic!("{nested:?}")
            };
            assert_eq!(
                m["list"],
                AttributeValue::L(vec![
                    n("1"),
                    AttributeValue::L(vec![n("2"), AttributeValue::L(vec![n("3")])]),
                    AttributeValue::M(item(&[("x", AttributeValue::L(vec![]))])),
                ])
            );
            assert_eq!(m["empty"], AttributeValue::M(Item::new()));
        }
    }

    #[test]
    fn scanner_is_not_fooled_by_brackets_quotes_and_escapes_in_strings() {
        let text = r#"[{"PK": "]", "a": "[{", "b": "}}]],", "c": "say \"hi\" ]", "d": "back\\", "e": "\\\"]"},
 {"PK": "x,y", "f": "\u005d\n\t", "g": ["]", "[", {"h": "}"}]},
 {"PK": "{\\}"}]"#;
        for entries in [read_all(text), read_small(text, 1), read_small(text, 2)] {
            assert_eq!(lines_of(&entries), vec![1, 2, 3], "{entries:?}");
            let first = &ok(&entries[0]).1;
            assert_eq!(first["PK"], s("]"));
            assert_eq!(first["a"], s("[{"));
            assert_eq!(first["b"], s("}}]],"));
            assert_eq!(first["c"], s("say \"hi\" ]"));
            assert_eq!(first["d"], s("back\\"));
            assert_eq!(first["e"], s("\\\"]"));
            let second = &ok(&entries[1]).1;
            assert_eq!(second["PK"], s("x,y"));
            assert_eq!(second["f"], s("]\n\t"));
            assert_eq!(
                second["g"],
                AttributeValue::L(vec![
                    s("]"),
                    s("["),
                    AttributeValue::M(item(&[("h", s("}"))]))
                ])
            );
            assert_eq!(ok(&entries[2]).1["PK"], s("{\\}"));
        }
    }

    #[test]
    fn empty_arrays() {
        assert!(read_all("[]").is_empty());
        assert!(read_all("  \n [ \n\n ] \n\n").is_empty());
    }

    #[test]
    fn array_element_that_is_not_an_object_or_not_a_valid_item() {
        let text = "[\n1,\n\"x\",\n{\"PK\": {\"N\": \"nope\"}},\n{\"PK\": \"ok\"}\n]";
        let entries = read_all(text);
        assert_eq!(lines_of(&entries), vec![2, 3, 4, 5]);
        assert_eq!(
            err(&entries[0]).message,
            "expected an object (one item), found a number"
        );
        assert_eq!(
            err(&entries[1]).message,
            "expected an object (one item), found a string"
        );
        assert!(err(&entries[2]).message.starts_with("$.PK: "));
        assert_eq!(ok(&entries[3]).1, item(&[("PK", s("ok"))]));
    }

    #[test]
    fn array_syntax_error_is_reported_at_its_line_and_ends_the_stream() {
        let text = "[\n  {\"PK\": \"a\"},\n  {\n    \"PK\": \"b\"\n    \"x\": 1\n  },\n  {\"PK\": \"c\"}\n]\n";
        let entries = read_all(text);
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_ok());
        let e = err(&entries[1]);
        assert_eq!(e.line, 5);
        assert!(
            e.message.starts_with("invalid JSON at column 5: "),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("(in the item starting at line 3)"),
            "{}",
            e.message
        );
        // Error on the element's first line: the column counts from the file's
        // line start.
        let entries = read_all("[{\"PK\": \"a\"},   {\"PK\" 2}, {\"PK\": \"c\"}]");
        assert_eq!(entries.len(), 2);
        let e = err(&entries[1]);
        assert_eq!(e.line, 1);
        assert!(
            e.message.starts_with("invalid JSON at column 23: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn mismatched_brackets_are_a_syntax_error_not_truncation() {
        let entries = read_all("[{\"PK\": [1}, {\"PK\": \"b\"}]");
        assert_eq!(entries.len(), 1);
        let e = err(&entries[0]);
        assert!(
            e.message.starts_with("invalid JSON at column 11: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn array_separators_and_trailing_content() {
        let entries = read_all("[{\"PK\": \"a\"},\n]");
        assert_eq!(entries.len(), 2);
        assert!(err(&entries[1]).message.contains("trailing comma"));
        assert_eq!(err(&entries[1]).line, 2);
        let entries = read_all("[, {\"PK\": \"a\"}]");
        assert_eq!(entries.len(), 1);
        assert!(
            err(&entries[0])
                .message
                .contains("expected an item before `,`")
        );
        let entries = read_all("[{\"PK\": \"a\"} {\"PK\": \"b\"}]");
        assert_eq!(entries.len(), 1);
        assert!(
            err(&entries[0])
                .message
                .starts_with("invalid JSON at column 14: ")
        );
        let entries = read_all("[{\"PK\": \"a\"}]\n\nx");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_ok());
        let e = err(&entries[1]);
        assert_eq!(e.line, 3);
        assert!(e.message.contains("after the closing `]`"), "{}", e.message);
    }

    #[test]
    fn array_truncated_inside_an_element() {
        let text = "[\n  {\"PK\": \"a\"},\n  {\n    \"PK\": \"b\",\n    \"name\": \"Zo";
        for entries in [read_all(text), read_small(text, 2)] {
            assert_eq!(entries.len(), 2);
            assert!(entries[0].is_ok());
            let e = err(&entries[1]);
            assert_eq!((e.line, e.message.as_str()), (3, TRUNCATED));
        }
        // Cut inside a nested list, after a complete number, inside `true`.
        for text in [
            "[{\"PK\": \"a\", \"l\": [1, [2",
            "[{\"PK\": \"a\", \"n\": 12",
            "[{\"PK\": \"a\", \"b\": tr",
            "[{\"PK\": \"a\", \"b\": \"x\\",
        ] {
            let entries = read_all(text);
            assert_eq!(entries.len(), 1, "{text}");
            assert_eq!(err(&entries[0]).message, TRUNCATED, "{text}");
        }
    }

    #[test]
    fn array_truncated_between_elements() {
        let entries = read_all("[{\"PK\": \"a\"},\n");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_ok());
        let e = err(&entries[1]);
        assert!(e.message.starts_with("truncated: "), "{}", e.message);
        assert!(e.message.contains("closing `]`"), "{}", e.message);
        let entries = read_all("[{\"PK\": \"a\"}\n");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_ok());
        assert!(err(&entries[1]).message.starts_with("truncated: "));
        let entries = read_all("  [  ");
        assert_eq!(entries.len(), 1);
        assert!(err(&entries[0]).message.starts_with("truncated: "));
    }

    #[test]
    fn open_reports_a_missing_file_at_line_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.jsonl");
        let e = ItemFile::open(&path).unwrap_err();
        assert_eq!(e.line, 0);
        assert_eq!(e.file, path.display().to_string());
        assert!(
            e.message.starts_with("cannot open the file: "),
            "{}",
            e.message
        );
        let e = validate_file(&path, &schema(("PK", "S"), None)).unwrap_err();
        assert_eq!(e.line, 0);
    }

    /// Strings full of the characters the scanner must handle.
    fn tricky_string() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('['),
                Just(']'),
                Just('{'),
                Just('}'),
                Just('"'),
                Just('\\'),
                Just(','),
                Just('\n'),
                Just(' '),
                Just('é'),
                Just('🦀'),
                proptest::char::range('a', 'e'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn plain_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            tricky_string().prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((tricky_string(), inner), 0..4)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    fn plain_item() -> impl Strategy<Value = Value> {
        (
            tricky_string(),
            proptest::collection::vec((tricky_string(), plain_value()), 0..4),
        )
            .prop_map(|(pk, rest)| {
                let mut map = serde_json::Map::new();
                map.insert("PK".to_owned(), Value::String(format!("k{pk}")));
                for (k, v) in rest {
                    map.insert(format!("a{k}"), v);
                }
                Value::Object(map)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any list of items reads back the same from a compact array, a
        /// pretty array and JSON Lines, whatever the read buffer size.
        #[test]
        fn arrays_and_lines_read_back_what_was_written(
            docs in proptest::collection::vec(plain_item(), 0..6),
            capacity in 1usize..20,
        ) {
            let expected: Vec<Item> = docs
                .iter()
                .map(|d| value::item_from_plain(d).unwrap())
                .collect();
            let compact = serde_json::to_string(&Value::Array(docs.clone())).unwrap();
            let pretty = serde_json::to_string_pretty(&Value::Array(docs.clone())).unwrap();
            let lines: String = docs.iter().map(|d| format!("{d}\n")).collect();
            for text in [&compact, &pretty, &lines] {
                let got: Vec<Item> = read_small(text, capacity)
                    .into_iter()
                    .map(|e| e.map(|(_, item)| item))
                    .collect::<Result<_, _>>()
                    .unwrap();
                prop_assert_eq!(&got, &expected);
            }
            // Lines of elements in the pretty array: where each `{` sits.
            let starts: Vec<usize> = pretty
                .lines()
                .enumerate()
                .filter(|(_, l)| *l == "  {")
                .map(|(i, _)| i + 1)
                .collect();
            let got: Vec<usize> = read_small(&pretty, capacity)
                .iter()
                .map(|e| ok(e).0)
                .collect();
            prop_assert_eq!(got, starts);
        }

        /// A pretty array cut anywhere gives its complete items and then a
        /// truncation error, never a panic or a wrong item.
        #[test]
        fn a_cut_array_reports_truncation(
            docs in proptest::collection::vec(plain_item(), 1..4),
            cut in 0.0f64..1.0,
        ) {
            let pretty = serde_json::to_string_pretty(&Value::Array(docs.clone())).unwrap();
            let mut at = 1 + ((pretty.len() - 2) as f64 * cut) as usize;
            while !pretty.is_char_boundary(at) {
                at -= 1;
            }
            let entries = read_all(&pretty[..at]);
            let last = entries.last().unwrap();
            let e = err(last);
            prop_assert!(e.message.starts_with("truncated: "), "{}", e.message);
            for (entry, doc) in entries.iter().zip(&docs) {
                if let Ok((_, item)) = entry {
                    prop_assert_eq!(item, &value::item_from_plain(doc).unwrap());
                }
            }
        }
    }

    // -- Validation ---------------------------------------------------------

    #[test]
    fn validate_item_accepts_a_good_item() {
        let sch = schema(("PK", "S"), Some(("SK", "N")));
        let it = item(&[
            ("PK", s("a")),
            ("SK", n("1")),
            ("x", AttributeValue::Bool(true)),
        ]);
        assert_eq!(validate_item(&it, &sch), Ok(()));
        let bin = schema(("PK", "B"), None);
        let it = item(&[("PK", AttributeValue::B(Blob::new(vec![1])))]);
        assert_eq!(validate_item(&it, &bin), Ok(()));
    }

    #[test]
    fn validate_item_missing_key() {
        let sch = schema(("PK", "S"), Some(("SK", "S")));
        assert_eq!(
            validate_item(&item(&[("PK", s("a"))]), &sch),
            Err("the sort key `SK` is missing".to_owned())
        );
        assert_eq!(
            validate_item(&item(&[("pk", s("a")), ("SK", s("b"))]), &sch),
            Err("the partition key `PK` is missing".to_owned())
        );
        assert_eq!(
            validate_item(&Item::new(), &sch),
            Err("the partition key `PK` is missing; the sort key `SK` is missing".to_owned())
        );
    }

    #[test]
    fn validate_item_wrong_key_type() {
        let sch = schema(("PK", "S"), Some(("SK", "N")));
        assert_eq!(
            validate_item(&item(&[("PK", n("1")), ("SK", n("1"))]), &sch),
            Err("`PK` must be a string (S), got a number (N)".to_owned())
        );
        assert_eq!(
            validate_item(&item(&[("PK", s("a")), ("SK", s("1"))]), &sch),
            Err("`SK` must be a number (N), got a string (S)".to_owned())
        );
        let bin = schema(("PK", "B"), None);
        assert_eq!(
            validate_item(&item(&[("PK", AttributeValue::Ss(vec!["a".into()]))]), &bin),
            Err("`PK` must be binary (B), got a string set (SS)".to_owned())
        );
        let odd = schema(("PK", "BOOL"), None);
        let message =
            validate_item(&item(&[("PK", AttributeValue::Bool(true))]), &odd).unwrap_err();
        assert!(message.contains("must be S, N or B"), "{message}");
    }

    #[test]
    fn validate_item_empty_key_values() {
        let sch = schema(("PK", "S"), Some(("SK", "B")));
        let it = item(&[("PK", s("")), ("SK", AttributeValue::B(Blob::new(vec![])))]);
        assert_eq!(
            validate_item(&it, &sch),
            Err("`PK` is empty; DynamoDB rejects empty key values; \
                 `SK` is empty; DynamoDB rejects empty key values"
                .to_owned())
        );
        // Empty non-key strings are fine.
        let it = item(&[
            ("PK", s("a")),
            ("SK", AttributeValue::B(Blob::new(vec![0]))),
            ("x", s("")),
        ]);
        assert_eq!(validate_item(&it, &sch), Ok(()));
    }

    #[test]
    fn validate_item_size_limit() {
        let sch = schema(("PK", "S"), None);
        // "PK" + "a" = 3 bytes, "data" = 4 bytes: the rest fills the limit.
        let exact = item(&[("PK", s("a")), ("data", s(&"x".repeat(MAX_ITEM_SIZE - 7)))]);
        assert_eq!(item_size(&exact), 409_600);
        assert_eq!(validate_item(&exact, &sch), Ok(()));
        let over = item(&[("PK", s("a")), ("data", s(&"x".repeat(MAX_ITEM_SIZE - 6)))]);
        assert_eq!(item_size(&over), 409_601);
        assert_eq!(
            validate_item(&over, &sch),
            Err(
                "the item is 409,601 bytes; DynamoDB allows at most 409,600 bytes (400 KB)"
                    .to_owned()
            )
        );
        let big = item(&[("PK", s("a")), ("data", s(&"é".repeat(300_000)))]);
        let message = validate_item(&big, &sch).unwrap_err();
        assert!(message.contains("600,007 bytes"), "{message}");
    }

    #[test]
    fn item_size_is_the_size_modules() {
        let it = item(&[
            ("PK", s("abc")),
            ("l", AttributeValue::L(vec![s("ab"), n("12")])),
        ]);
        // 2 + 3, then 1 + 3 + (1 + 2) + (1 + 3).
        assert_eq!(item_size(&it), 5 + 11);
        assert_eq!(item_size(&it) as u64, super::super::size::item_size(&it));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(409_600), "409,600");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn validate_file_collects_every_error_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.jsonl");
        let text = "{\"PK\": \"a\", \"SK\": \"1\"}\n\
                    {\"PK\": \"b\"}\n\
                    not json\n\
                    \n\
                    {\"PK\": 5, \"SK\": \"1\"}\n\
                    {\"PK\": {\"S\": \"c\"}, \"SK\": {\"S\": \"2\"}}\n\
                    [\"x\"]\n\
                    {\"PK\": {\"S\": \"d\"}, \"SK\": {\"N\": \"1x\"}}\n\
                    {\"PK\": \"\", \"SK\": \"3\"}\n\
                    {\"PK\": \"e\", \"SK\": \"4\"}\n\
                    {\"PK\": \"f\", \"SK\": \"5";
        std::fs::write(&path, text).unwrap();
        let sch = schema(("PK", "S"), Some(("SK", "S")));
        let (good, errors) = validate_file(&path, &sch).unwrap();
        assert_eq!(good, 3);
        let name = path.display().to_string();
        assert!(errors.iter().all(|e| e.file == name));
        let got: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(got.len(), 7, "{got:?}");
        assert_eq!(got[0], (2, "the sort key `SK` is missing"));
        assert_eq!(got[1].0, 3);
        assert!(
            got[1].1.starts_with("invalid JSON at column 2: "),
            "{}",
            got[1].1
        );
        assert_eq!(got[2], (5, "`PK` must be a string (S), got a number (N)"));
        assert_eq!(got[3], (7, "expected an object (one item), found an array"));
        assert_eq!(got[4].0, 8);
        assert!(got[4].1.starts_with("$.SK: "), "{}", got[4].1);
        assert_eq!(
            got[5],
            (9, "`PK` is empty; DynamoDB rejects empty key values")
        );
        assert_eq!(got[6], (11, TRUNCATED));
    }

    #[test]
    fn validate_file_on_an_array() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("items.json");
        std::fs::write(&path, PRETTY).unwrap();
        let (good, errors) = validate_file(&path, &schema(("PK", "S"), Some(("n", "N")))).unwrap();
        assert_eq!(good, 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![6, 8]);
    }

    #[test]
    fn a_large_file_is_streamed() {
        const LINES: usize = 200_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let mut out = io::BufWriter::new(File::create(&path).unwrap());
        for i in 0..LINES {
            if i % 2 == 0 {
                writeln!(
                    out,
                    "{{\"PK\": \"USER#{i}\", \"SK\": \"PROFILE\", \"n\": {i}}}"
                )
                .unwrap();
            } else {
                writeln!(
                    out,
                    "{{\"PK\": {{\"S\": \"USER#{i}\"}}, \"SK\": {{\"S\": \"PROFILE\"}}, \"n\": {{\"N\": \"{i}\"}}}}"
                )
                .unwrap();
            }
        }
        out.into_inner().unwrap().sync_all().unwrap();
        let mut count = 0;
        let mut last_line = 0;
        for entry in ItemFile::open(&path).unwrap() {
            let (line, item) = entry.unwrap();
            assert_eq!(line, last_line + 1);
            last_line = line;
            if line == LINES {
                assert_eq!(item["n"], n(&(LINES - 1).to_string()));
            }
            count += 1;
        }
        assert_eq!(count, LINES);
        let sch = schema(("PK", "S"), Some(("SK", "S")));
        assert_eq!(validate_file(&path, &sch).unwrap(), (LINES, vec![]));
    }
}

#[cfg(test)]
mod scan_output_tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(text: &str) -> Vec<Result<(usize, Item), ItemFileError>> {
        ItemFile::from_reader("scan.json", Cursor::new(text.as_bytes().to_vec())).collect()
    }

    const OUTPUT: &str = r#"{
    "Items": [
        {
            "PK": {"S": "A"},
            "n": {"N": "1.50"}
        },
        {
            "PK": {"S": "B"},
            "ss": {"SS": ["x", "y"]}
        }
    ],
    "Count": 2,
    "ScannedCount": 2,
    "ConsumedCapacity": null
}
"#;

    #[test]
    fn the_aws_cli_scan_output_is_read_with_its_lines() {
        let got = read_all(OUTPUT);
        assert_eq!(got.len(), 2, "{got:?}");
        let (line, first) = got[0].clone().unwrap();
        assert_eq!(line, 3, "the item's own line");
        assert_eq!(first.get("n"), Some(&AttributeValue::N("1.50".into())));
        let (line, second) = got[1].clone().unwrap();
        assert_eq!(line, 7);
        assert_eq!(
            second.get("ss"),
            Some(&AttributeValue::Ss(vec!["x".into(), "y".into()]))
        );
    }

    #[test]
    fn a_count_that_does_not_match_or_a_next_token_is_an_error() {
        let got = read_all(&OUTPUT.replace("\"Count\": 2", "\"Count\": 3"));
        let e = got.last().unwrap().clone().unwrap_err();
        assert!(e.message.contains("says Count 3 but holds 2 items"), "{e}");
        let got = read_all(&OUTPUT.replace(
            "\"ConsumedCapacity\": null",
            "\"ConsumedCapacity\": null, \"NextToken\": \"eyJ4Ijo=\"",
        ));
        let e = got.last().unwrap().clone().unwrap_err();
        assert!(e.message.contains("NextToken"), "{e}");
        // Cut after the items: the rest is not JSON.
        let cut = &OUTPUT[..OUTPUT.find("\"ScannedCount\"").unwrap()];
        let got = read_all(cut);
        let e = got.last().unwrap().clone().unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
    }

    #[test]
    fn an_object_that_is_not_a_scan_output_stays_json_lines() {
        let got = read_all("{\"PK\":{\"S\":\"A\"}}\n{\"PK\":{\"S\":\"B\"}}\n");
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(Result::is_ok), "{got:?}");
    }
}
