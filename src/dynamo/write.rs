//! Writes that never clobber a concurrent change: each is conditional on
//! the item being exactly as it was read (or on its version attribute), a
//! new item on nothing existing at its key, and a key change is one
//! transaction (put the new item, delete the old). Used by migrations and
//! by editing; throttles are retried with backoff.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, ReturnConsumedCapacity, TransactWriteItem};

use super::client::{Dynamo, TableInfo};
use super::error::AwsError;
use super::seed::{RateLimiter, WriteOptions, backoff};
use super::{AttributeValue, Item, value};

/// Why a conditional write did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The item is not as it was read (someone changed or deleted it).
    #[error("the item changed since it was read")]
    Conflict,
    /// A new item (or a key change) would overwrite an existing item.
    #[error("{0}")]
    Exists(String),
    #[error("{0}")]
    Aws(AwsError),
    #[error("{0}")]
    Other(String),
}

/// What a write is conditional on.
#[derive(Debug, Clone, Default)]
pub enum Guard {
    /// Every attribute as read, and the given attributes still absent.
    #[default]
    Unchanged,
    /// Only this attribute (a version number): equal to its value as read
    /// (absent if it was absent). The write sets it to the next number.
    Version(String),
}

/// A condition expression with its names and values.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub expr: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
    /// The item had too many attributes to compare them all within
    /// DynamoDB's expression limits: only some are compared, and the writer
    /// reads the item right before writing to compare the rest.
    pub partial: bool,
}

impl Condition {
    /// The values, or none when the expression uses none (DynamoDB refuses
    /// an empty map).
    pub fn values_opt(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Attribute comparisons in one condition at most: DynamoDB allows 300
/// operators and 4 KB per expression, and each comparison costs two
/// operators (`=` and `AND`) and about 16 characters.
pub const MAX_COMPARED: usize = 60;

/// A condition that holds while the item is exactly `before`: every
/// attribute equal, and each of `absent` still absent. When that is more
/// than [`MAX_COMPARED`] comparisons, the absent ones, then `first`, then
/// the others in name order are compared up to that bound, and the
/// condition says it is partial.
pub fn unchanged_condition(before: &Item, absent: &[&str], first: &[&str]) -> Condition {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut conds = Vec::new();
    let mut absent: Vec<&str> = absent
        .iter()
        .copied()
        .filter(|a| !before.contains_key(*a))
        .collect();
    absent.sort();
    absent.dedup();
    let mut attrs: Vec<&String> = before.keys().collect();
    attrs.sort_by_key(|a| (!first.contains(&a.as_str()), *a));
    let partial = absent.len() + attrs.len() > MAX_COMPARED;
    for (i, a) in absent.iter().take(MAX_COMPARED).enumerate() {
        names.insert(format!("#n{i}"), a.to_string());
        conds.push(format!("attribute_not_exists(#n{i})"));
    }
    let room = MAX_COMPARED.saturating_sub(conds.len());
    for (i, a) in attrs.into_iter().take(room).enumerate() {
        names.insert(format!("#a{i}"), a.clone());
        values.insert(format!(":v{i}"), before[a].clone());
        conds.push(format!("#a{i} = :v{i}"));
    }
    Condition {
        expr: conds.join(" AND "),
        names,
        values,
        partial,
    }
}

/// A value with its sets sorted, so equal items compare and hash equally
/// whatever order DynamoDB returns set members in.
pub(crate) fn canonical(av: &AttributeValue) -> AttributeValue {
    match av {
        AttributeValue::Ss(v) => {
            let mut v = v.clone();
            v.sort();
            AttributeValue::Ss(v)
        }
        AttributeValue::Ns(v) => {
            let mut v = v.clone();
            v.sort();
            AttributeValue::Ns(v)
        }
        AttributeValue::Bs(v) => {
            let mut v = v.clone();
            v.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            AttributeValue::Bs(v)
        }
        AttributeValue::L(l) => AttributeValue::L(l.iter().map(canonical).collect()),
        AttributeValue::M(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        other => other.clone(),
    }
}

/// An item with its sets sorted.
pub(crate) fn canonical_item(item: &Item) -> Item {
    item.iter()
        .map(|(k, v)| (k.clone(), canonical(v)))
        .collect()
}

fn version_condition(before: &Item, attr: &str) -> Condition {
    let mut c = Condition::default();
    c.names.insert("#ver".into(), attr.to_string());
    match before.get(attr) {
        Some(v) => {
            c.values.insert(":ver".into(), v.clone());
            c.expr = "#ver = :ver".into();
        }
        None => c.expr = "attribute_not_exists(#ver)".into(),
    }
    c
}

/// `after` with its version attribute set to the next number (1 when
/// absent or not a whole number).
pub fn bump_version(before: &Item, after: &mut Item, attr: &str) {
    let next = match before.get(attr) {
        Some(AttributeValue::N(n)) => n.parse::<i128>().map(|v| v + 1).unwrap_or(1),
        _ => 1,
    };
    after.insert(attr.to_string(), AttributeValue::N(next.to_string()));
}

/// The condition of a write from `before` under `guard` (`first`: the
/// attributes compared first when the item is too wide to compare all).
pub fn guard_condition(guard: &Guard, before: &Item, absent: &[&str], first: &[&str]) -> Condition {
    match guard {
        Guard::Unchanged => unchanged_condition(before, absent, first),
        Guard::Version(a) => version_condition(before, a),
    }
}

/// Update expressions longer than this are written as a whole-item put.
const MAX_UPDATE_EXPRESSION: usize = 3000;

pub fn is_throttle(e: &AwsError) -> bool {
    matches!(
        e.code.as_str(),
        "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TransactionConflictException"
    )
}

/// Runs `f` again on throttling and on transient failures (server errors,
/// timeouts, reset connections), with backoff and jitter.
pub async fn retry<T, F, Fut>(opts: &WriteOptions, mut f: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if (is_throttle(&e) || e.is_transient()) && attempt < opts.max_retries => {
                tokio::time::sleep(backoff(opts, attempt)).await;
                attempt += 1;
            }
            r => return r,
        }
    }
}

/// `PK=..., SK=...` of an item.
pub fn key_text(info: &TableInfo, item: &Item) -> String {
    info.pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| {
            format!(
                "{}={}",
                k.name,
                item.get(&k.name)
                    .map(|v| value::cell_text(v, 80))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_names(info: &TableInfo) -> Vec<String> {
    info.pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| k.name.clone())
        .collect()
}

/// True when `after` has another primary key than `before`.
pub fn key_changed(info: &TableInfo, before: &Item, after: &Item) -> bool {
    key_names(info)
        .iter()
        .any(|k| before.get(k) != after.get(k))
}

/// A table's conditional writer.
#[derive(Clone, Copy)]
pub struct Writer<'a> {
    pub db: &'a Dynamo,
    pub info: &'a TableInfo,
    pub opts: &'a WriteOptions,
    pub limiter: Option<&'a RateLimiter>,
}

impl Writer<'_> {
    fn key_of(&self, item: &Item) -> Result<Item, WriteError> {
        self.info.key_of(item).ok_or_else(|| {
            WriteError::Other(format!(
                "{}: the item has no complete primary key",
                key_text(self.info, item)
            ))
        })
    }

    async fn budget(&self, item: &Item) {
        if let Some(l) = self.limiter {
            l.acquire(super::itemfile::item_size(item).div_ceil(1024).max(1) as f64)
                .await;
        }
    }

    /// Sends `send()` again on throttling and transient failures; a failed
    /// condition is a conflict (see [`Writer::landed`]).
    async fn send<T, E, R, F, Fut>(&self, mut send: F) -> Result<(), WriteError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>>,
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let mut attempt = 0;
        loop {
            match send().await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let code = e
                        .as_service_error()
                        .and_then(|s| s.code())
                        .map(str::to_string);
                    if code.as_deref() == Some("ConditionalCheckFailedException") {
                        return Err(WriteError::Conflict);
                    }
                    let e = AwsError::from_sdk(e, self.db.context(), Some(&self.info.name));
                    if (is_throttle(&e) || e.is_transient()) && attempt < self.opts.max_retries {
                        tokio::time::sleep(backoff(self.opts, attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(WriteError::Aws(e));
                }
            }
        }
    }

    /// Before a write whose condition compares only some attributes (a
    /// wide item): the item as it is now must be exactly `before`.
    async fn verify(&self, c: &Condition, before: &Item) -> Result<(), WriteError> {
        if !c.partial {
            return Ok(());
        }
        match self.current(before).await? {
            Some(now) if canonical_item(&now) == canonical_item(before) => Ok(()),
            _ => Err(WriteError::Conflict),
        }
    }

    /// After a failed condition: whether the item already is what the write
    /// meant (`after` in the attributes it changes; None: deleted). A write
    /// whose answer was lost (a timeout, a reset connection) and that was
    /// sent again finds its own change and fails its condition: it is done,
    /// not a conflict, and must not be applied a second time.
    async fn landed(
        &self,
        key_of: &Item,
        after: Option<&Item>,
        attrs: &[&str],
    ) -> Result<bool, WriteError> {
        let now = self.current(key_of).await?;
        Ok(match (now, after) {
            (None, None) => true,
            (Some(now), Some(after)) => attrs
                .iter()
                .all(|a| now.get(*a).map(canonical) == after.get(*a).map(canonical)),
            _ => false,
        })
    }

    /// Puts a new item where none exists.
    pub async fn create(&self, item: &Item) -> Result<(), WriteError> {
        let pk = key_names(self.info)
            .into_iter()
            .next()
            .ok_or_else(|| WriteError::Other("the table has no key schema".into()))?;
        self.key_of(item)?;
        self.budget(item).await;
        let r = self
            .send(|| {
                self.db
                    .client()
                    .put_item()
                    .table_name(&self.info.name)
                    .set_item(Some(item.clone()))
                    .condition_expression("attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", &pk)
                    .send()
            })
            .await;
        match r {
            Err(WriteError::Conflict) => Err(WriteError::Exists(format!(
                "an item with the key {} already exists",
                key_text(self.info, item)
            ))),
            r => r,
        }
    }

    /// UpdateItem from `before` to `after` (SET what changed, REMOVE what
    /// went) under `guard`. An update names only the attributes it changes,
    /// so an attribute another writer added meanwhile survives. `absent`:
    /// attributes that must still be absent (besides those `after` adds).
    pub async fn update(
        &self,
        before: &Item,
        after: &Item,
        guard: &Guard,
        absent: &[&str],
    ) -> Result<(), WriteError> {
        let mut must_be_absent: Vec<&str> = after
            .keys()
            .map(String::as_str)
            .filter(|a| !before.contains_key(*a))
            .collect();
        must_be_absent.extend_from_slice(absent);
        let mut changed: Vec<&String> = after
            .keys()
            .filter(|a| before.get(*a) != after.get(*a))
            .collect();
        changed.sort();
        let mut gone: Vec<&String> = before.keys().filter(|a| !after.contains_key(*a)).collect();
        gone.sort();
        if changed.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let first: Vec<&str> = changed
            .iter()
            .chain(gone.iter())
            .map(|a| a.as_str())
            .collect();
        let mut c = guard_condition(guard, before, &must_be_absent, &first);
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        for (i, a) in changed.into_iter().enumerate() {
            c.names.insert(format!("#u{i}"), a.clone());
            c.values.insert(format!(":u{i}"), after[a].clone());
            sets.push(format!("#u{i} = :u{i}"));
        }
        for (i, a) in gone.into_iter().enumerate() {
            c.names.insert(format!("#r{i}"), a.clone());
            removes.push(format!("#r{i}"));
        }
        let mut update = String::new();
        if !sets.is_empty() {
            update.push_str(&format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            if !update.is_empty() {
                update.push(' ');
            }
            update.push_str(&format!("REMOVE {}", removes.join(", ")));
        }
        let key = self.key_of(before)?;
        self.verify(&c, before).await?;
        self.budget(after).await;
        if update.len() > MAX_UPDATE_EXPRESSION {
            // Too many changed attributes for one update expression: the
            // whole item, under the same condition.
            let c = guard_condition(guard, before, &must_be_absent, &first);
            let item = after.clone();
            let r = self
                .send(|| {
                    self.db
                        .client()
                        .put_item()
                        .table_name(&self.info.name)
                        .set_item(Some(item.clone()))
                        .condition_expression(&c.expr)
                        .set_expression_attribute_names(Some(c.names.clone()))
                        .set_expression_attribute_values(c.values_opt())
                        .send()
                })
                .await;
            return self.unless_landed(r, before, Some(after), &first).await;
        }
        let r = self
            .send(|| {
                self.db
                    .client()
                    .update_item()
                    .table_name(&self.info.name)
                    .set_key(Some(key.clone()))
                    .update_expression(&update)
                    .condition_expression(&c.expr)
                    .set_expression_attribute_names(Some(c.names.clone()))
                    .set_expression_attribute_values(c.values_opt())
                    .return_consumed_capacity(ReturnConsumedCapacity::None)
                    .send()
            })
            .await;
        self.unless_landed(r, before, Some(after), &first).await
    }

    /// `r`, except that a conflict where the item already is what the
    /// write meant is success ([`Writer::landed`]).
    async fn unless_landed(
        &self,
        r: Result<(), WriteError>,
        key_of: &Item,
        after: Option<&Item>,
        attrs: &[&str],
    ) -> Result<(), WriteError> {
        match r {
            Err(WriteError::Conflict) if self.landed(key_of, after, attrs).await? => Ok(()),
            r => r,
        }
    }

    /// DeleteItem under `guard`.
    pub async fn delete(&self, before: &Item, guard: &Guard) -> Result<(), WriteError> {
        let c = guard_condition(guard, before, &[], &[]);
        let key = self.key_of(before)?;
        self.verify(&c, before).await?;
        self.budget(before).await;
        let r = self
            .send(|| {
                self.db
                    .client()
                    .delete_item()
                    .table_name(&self.info.name)
                    .set_key(Some(key.clone()))
                    .condition_expression(&c.expr)
                    .set_expression_attribute_names(Some(c.names.clone()))
                    .set_expression_attribute_values(c.values_opt())
                    .send()
            })
            .await;
        self.unless_landed(r, before, None, &[]).await
    }

    /// Moves an item to its new key in one transaction: put `after` where
    /// no item exists, and delete `before` under `guard`.
    pub async fn move_item(
        &self,
        before: &Item,
        after: &Item,
        guard: &Guard,
    ) -> Result<(), WriteError> {
        let pk_name = key_names(self.info)
            .into_iter()
            .next()
            .ok_or_else(|| WriteError::Other("the table has no key schema".into()))?;
        let c = guard_condition(guard, before, &[], &[]);
        let key = self.key_of(before)?;
        self.key_of(after)?;
        self.verify(&c, before).await?;
        let table = &self.info.name;
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(after.clone()))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", &pk_name)
            .build()
            .map_err(|e| WriteError::Other(e.to_string()))?;
        let del = Delete::builder()
            .table_name(table)
            .set_key(Some(key))
            .condition_expression(&c.expr)
            .set_expression_attribute_names(Some(c.names.clone()))
            .set_expression_attribute_values(c.values_opt())
            .build()
            .map_err(|e| WriteError::Other(e.to_string()))?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().delete(del).build(),
        ];
        self.budget(after).await;
        self.budget(before).await;
        let mut attempt = 0;
        loop {
            let r = self
                .db
                .client()
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let e = match r {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let reasons: Vec<String> = match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(t)) => t
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
                _ => Vec::new(),
            };
            let failed = |i: usize| {
                reasons
                    .get(i)
                    .is_some_and(|r| r == "ConditionalCheckFailed")
            };
            if (failed(0) || failed(1)) && self.moved_already(before, after).await? {
                // A retry of a move whose answer was lost: it is done.
                return Ok(());
            }
            if failed(0) {
                return Err(WriteError::Exists(format!(
                    "cannot move {} to {}: an item with that key already exists",
                    key_text(self.info, before),
                    key_text(self.info, after)
                )));
            }
            if failed(1) {
                return Err(WriteError::Conflict);
            }
            let retryable = reasons.iter().any(|r| {
                matches!(
                    r.as_str(),
                    "TransactionConflict"
                        | "ThrottlingError"
                        | "ProvisionedThroughputExceeded"
                        | "RequestLimitExceeded"
                )
            });
            let e = AwsError::from_sdk(e, self.db.context(), Some(table));
            if (retryable || is_throttle(&e) || e.is_transient()) && attempt < self.opts.max_retries
            {
                tokio::time::sleep(backoff(self.opts, attempt)).await;
                attempt += 1;
                continue;
            }
            return Err(WriteError::Aws(e));
        }
    }

    /// Whether `before` is gone and `after` stands at its key exactly.
    async fn moved_already(&self, before: &Item, after: &Item) -> Result<bool, WriteError> {
        let all: Vec<&str> = after.keys().map(String::as_str).collect();
        Ok(self.landed(after, Some(after), &all).await? && self.landed(before, None, &[]).await?)
    }

    /// Writes the change from `before` to `after`: an update in place, or a
    /// move when the key changed.
    pub async fn change(
        &self,
        before: &Item,
        after: &Item,
        guard: &Guard,
        absent: &[&str],
    ) -> Result<(), WriteError> {
        if key_changed(self.info, before, after) {
            self.move_item(before, after, guard).await
        } else {
            self.update(before, after, guard, absent).await
        }
    }

    /// The item as it is now (strongly consistent), retrying throttles.
    pub async fn current(&self, item: &Item) -> Result<Option<Item>, WriteError> {
        let key = self.key_of(item)?;
        retry(self.opts, || self.db.get_item(&self.info.name, key.clone()))
            .await
            .map_err(WriteError::Aws)
    }
}
