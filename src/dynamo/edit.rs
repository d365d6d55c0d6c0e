//! Editing items: the text an editor shows (plain JSON by default, or
//! DynamoDB JSON) and reading it back with every type kept, a change
//! (create, update, key move, delete) with its diff, applied with a
//! conditional write, and the user's edit re-applied onto a newer version
//! after a conflict. Bulk delete and bulk set over marked items.

use futures::StreamExt;
use serde_json::{Map, Value};

use super::client::{KeyKind, TableInfo};
use super::itemfile::validate_item;
use super::migrate::{AttrDiff, diff};
use super::seeding::key_schema;
use super::write::{Guard, WriteError, Writer, bump_version, key_changed, key_text};
use super::{AttributeValue, Item, value};

/// How an item is shown in the editor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EditFormat {
    /// Plain JSON: numbers exact; sets, binary and numbers a float-based
    /// editor could round keep their type when left as they were, and an
    /// array where a set was stays a set.
    #[default]
    Plain,
    /// DynamoDB JSON: every type explicit.
    Dynamo,
}

/// The item as editor text: pretty JSON, key attributes first, the rest
/// sorted by name.
pub fn editor_text(info: &TableInfo, item: &Item, format: EditFormat) -> String {
    let conv = |v: &AttributeValue| match format {
        EditFormat::Plain => value::to_plain(v),
        EditFormat::Dynamo => value::to_dynamo(v),
    };
    let keys = info.key_names();
    let mut map = Map::new();
    for k in &keys {
        if let Some(v) = item.get(*k) {
            map.insert((*k).to_string(), conv(v));
        }
    }
    let mut rest: Vec<(&String, &AttributeValue)> = item
        .iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in rest {
        map.insert(k.clone(), conv(v));
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_default();
    text.push('\n');
    text
}

/// A new item's starting text: its key attributes, empty.
pub fn new_item_text(info: &TableInfo, format: EditFormat) -> String {
    let mut item = Item::new();
    for k in info.pk.iter().chain(info.sk.iter()) {
        let v = match k.kind {
            Some(KeyKind::N) => AttributeValue::N("0".into()),
            Some(KeyKind::B) => {
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(Vec::new()))
            }
            Some(KeyKind::S) | None => AttributeValue::S(String::new()),
        };
        item.insert(k.name.clone(), v);
    }
    editor_text(info, &item, format)
}

/// Reads the editor's text back into an item. `before` (the item as read)
/// lets plain JSON keep the types it cannot express. Errors name the line
/// and column, or the attribute.
pub fn parse_editor_text(
    info: &TableInfo,
    before: Option<&Item>,
    text: &str,
    format: EditFormat,
) -> Result<Item, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()))?;
    let Value::Object(map) = &v else {
        return Err("the item must be a JSON object".into());
    };
    let empty = Item::new();
    let item = match format {
        EditFormat::Plain => value::merge_item(before.unwrap_or(&empty), map)?,
        EditFormat::Dynamo => value::item_from_dynamo(&v).map_err(|e| e.to_string())?,
    };
    if let Some(schema) = key_schema(info) {
        validate_item(&item, &schema)?;
    }
    Ok(item)
}

/// A single-attribute quick edit: the text as the attribute's type (a
/// number stays a number, checked; anything else a string).
pub fn quick_value(before: Option<&AttributeValue>, text: &str) -> Result<AttributeValue, String> {
    match before {
        Some(AttributeValue::N(_)) => {
            let t = text.trim();
            value::validate_number(t).map_err(|e| format!("`{t}` is not a number: {e}"))?;
            Ok(AttributeValue::N(t.to_string()))
        }
        Some(AttributeValue::S(_)) | None => Ok(AttributeValue::S(text.to_string())),
        Some(other) => Err(format!(
            "quick edit changes strings and numbers; this attribute is {} (use the editor)",
            value::type_tag(other)
        )),
    }
}

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    None,
    Create,
    Update,
    /// The key changed: put the new item and delete the old, in one
    /// transaction.
    Move,
    Delete,
}

impl ChangeKind {
    pub fn verb(self) -> &'static str {
        match self {
            ChangeKind::None => "nothing to write",
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Move => "move to a new key",
            ChangeKind::Delete => "delete",
        }
    }
}

/// An item before and after an edit (None: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub before: Option<Item>,
    pub after: Option<Item>,
}

impl Change {
    pub fn kind(&self, info: &TableInfo) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, None) => ChangeKind::None,
            (None, Some(_)) => ChangeKind::Create,
            (Some(_), None) => ChangeKind::Delete,
            (Some(b), Some(a)) if b == a => ChangeKind::None,
            (Some(b), Some(a)) if key_changed(info, b, a) => ChangeKind::Move,
            (Some(_), Some(_)) => ChangeKind::Update,
        }
    }

    /// Attributes that differ (name, before, after).
    pub fn diff(&self) -> Vec<AttrDiff> {
        let empty = Item::new();
        diff(
            self.before.as_ref().unwrap_or(&empty),
            self.after.as_ref().unwrap_or(&empty),
        )
    }

    /// The key as text (of the item after, else before).
    pub fn key(&self, info: &TableInfo) -> String {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) if key_changed(info, b, a) => {
                format!("{} -> {}", key_text(info, b), key_text(info, a))
            }
            (_, Some(i)) | (Some(i), None) => key_text(info, i),
            (None, None) => String::new(),
        }
    }
}

/// The guard of writes to an item: its entity's version attribute when it
/// declares one, else the whole item as read.
pub fn guard_for(version_attribute: Option<&str>) -> Guard {
    match version_attribute {
        Some(a) => Guard::Version(a.to_string()),
        None => Guard::Unchanged,
    }
}

/// Writes a change, conditional on the item being as it was read (or on
/// its version). Returns the item as written (with its version bumped).
pub async fn apply(
    w: &Writer<'_>,
    change: &Change,
    guard: &Guard,
) -> Result<Option<Item>, WriteError> {
    match (&change.before, &change.after) {
        (None, None) => Ok(None),
        (None, Some(a)) => {
            let mut a = a.clone();
            if let Guard::Version(v) = guard {
                bump_version(&Item::new(), &mut a, v);
            }
            w.create(&a).await.map(|_| Some(a))
        }
        (Some(b), None) => w.delete(b, guard).await.map(|_| None),
        (Some(b), Some(a)) if a == b => Ok(Some(a.clone())),
        (Some(b), Some(a)) => {
            let mut a = a.clone();
            if let Guard::Version(v) = guard {
                bump_version(b, &mut a, v);
            }
            w.change(b, &a, guard, &[]).await.map(|_| Some(a))
        }
    }
}

/// The user's edit (`before` -> `after`) applied onto `current`, the
/// item as it is now: each attribute the user set or removed is set or
/// removed; everything else keeps the newer values. The key is the user's.
pub fn rebase(before: &Item, after: &Item, current: &Item) -> Item {
    let mut out = current.clone();
    for (k, v) in after {
        if before.get(k) != Some(v) {
            out.insert(k.clone(), v.clone());
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            out.remove(k);
        }
    }
    out
}

/// What a bulk change did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkReport {
    /// Items written, as written (None for a delete).
    pub done: Vec<(Item, Option<Item>)>,
    /// Items that changed since they were read: (as read, as now).
    pub conflicts: Vec<(Item, Option<Item>)>,
    /// (key, message).
    pub errors: Vec<(String, String)>,
}

/// Applies many changes of existing items (bulk delete, bulk set), a few at
/// a time, each conditional; conflicts are reported with the current item,
/// never overwritten.
pub async fn bulk(
    w: &Writer<'_>,
    changes: Vec<Change>,
    guard: &Guard,
    concurrency: usize,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> BulkReport {
    let results: Vec<(Change, Result<Option<Item>, WriteError>)> = futures::stream::iter(changes)
        .map(|c| async move {
            let r = apply(w, &c, guard).await;
            (c, r)
        })
        .buffer_unordered(concurrency.max(1))
        .inspect(|_| progress(1))
        .collect()
        .await;
    let mut report = BulkReport::default();
    for (c, r) in results {
        let Some(before) = c.before.clone() else {
            continue;
        };
        match r {
            Ok(after) => report.done.push((before, after)),
            Err(WriteError::Conflict) => {
                let now = w.current(&before).await.ok().flatten();
                report.conflicts.push((before, now));
            }
            Err(e) => report
                .errors
                .push((key_text(w.info, &before), e.to_string())),
        }
    }
    report
}

/// The item with one attribute set (bulk set).
pub fn with_attribute(item: &Item, name: &str, v: &AttributeValue) -> Item {
    let mut out = item.clone();
    out.insert(name.to_string(), v.clone());
    out
}
