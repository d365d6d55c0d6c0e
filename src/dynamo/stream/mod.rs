//! DynamoDB Streams: a table's changes as they happen.
//!
//! [`ChangeRecord`] is one stream record in the data plane's terms (items as
//! [`Item`], the event, its time and size); [`reader`] follows every shard of
//! a stream and sends records and notices on a channel; [`lineage`] orders
//! shards parents first. The live screen, `dyntui tail` and `dyntui
//! diagnose --live` all read through here.

use std::collections::BTreeSet;

use super::{AttributeValue, Item};

pub mod convert;
pub mod lineage;
pub mod reader;

pub use reader::{FollowOptions, follow};

/// Where to start reading a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartAt {
    /// Only changes made from now on (LATEST).
    #[default]
    Latest,
    /// The oldest record the stream still keeps, up to 24 hours back
    /// (TRIM_HORIZON).
    Oldest,
}

impl StartAt {
    pub fn label(self) -> &'static str {
        match self {
            StartAt::Latest => "latest",
            StartAt::Oldest => "oldest",
        }
    }
}

impl std::str::FromStr for StartAt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "latest" | "now" | "latest_" => Ok(StartAt::Latest),
            "oldest" | "trim_horizon" | "trim-horizon" => Ok(StartAt::Oldest),
            other => Err(format!(
                "unknown start `{other}`: use `latest` (changes from now on) or `oldest` (the oldest record kept, up to 24 hours)"
            )),
        }
    }
}

/// INSERT, MODIFY or REMOVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventName {
    Insert,
    Modify,
    Remove,
}

impl EventName {
    pub fn label(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }
}

impl std::str::FromStr for EventName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "INSERT" | "PUT" => Ok(EventName::Insert),
            "MODIFY" | "UPDATE" => Ok(EventName::Modify),
            "REMOVE" | "DELETE" => Ok(EventName::Remove),
            other => Err(format!(
                "unknown event `{other}`: use INSERT, MODIFY or REMOVE"
            )),
        }
    }
}

/// What a stream's records carry (its StreamViewType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewType {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl ViewType {
    pub const ALL: [ViewType; 4] = [
        ViewType::NewAndOldImages,
        ViewType::NewImage,
        ViewType::OldImage,
        ViewType::KeysOnly,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ViewType::KeysOnly => "KEYS_ONLY",
            ViewType::NewImage => "NEW_IMAGE",
            ViewType::OldImage => "OLD_IMAGE",
            ViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    pub fn parse(s: &str) -> Option<ViewType> {
        ViewType::ALL
            .into_iter()
            .find(|v| v.label().eq_ignore_ascii_case(s.trim()))
    }

    pub fn has_old(self) -> bool {
        matches!(self, ViewType::OldImage | ViewType::NewAndOldImages)
    }

    pub fn has_new(self) -> bool {
        matches!(self, ViewType::NewImage | ViewType::NewAndOldImages)
    }

    /// What the user does not see with this view type (None: everything).
    pub fn missing(self) -> Option<&'static str> {
        match self {
            ViewType::NewAndOldImages => None,
            ViewType::KeysOnly => Some(
                "KEYS_ONLY stream: keys only, no diffs; write units estimated from record sizes",
            ),
            ViewType::NewImage => {
                Some("NEW_IMAGE stream: no old images, so no before values in a MODIFY")
            }
            ViewType::OldImage => {
                Some("OLD_IMAGE stream: no new images, so no after values in a MODIFY")
            }
        }
    }
}

/// One record of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    pub event: EventName,
    /// The item's primary key.
    pub keys: Item,
    /// The item before the change (OLD_IMAGE and NEW_AND_OLD_IMAGES).
    pub old: Option<Item>,
    /// The item after the change (NEW_IMAGE and NEW_AND_OLD_IMAGES).
    pub new: Option<Item>,
    /// ApproximateCreationDateTime, epoch milliseconds.
    pub time_ms: Option<i64>,
    /// The record's SizeBytes (keys and images).
    pub size_bytes: i64,
    pub sequence: String,
    pub shard: String,
    /// Deleted by TTL (userIdentity dynamodb.amazonaws.com).
    pub by_ttl: bool,
}

/// One attribute that a change added, removed or changed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrDiff {
    pub name: String,
    pub old: Option<AttributeValue>,
    pub new: Option<AttributeValue>,
}

impl ChangeRecord {
    /// The fullest picture of the item: the new image, else the old one,
    /// else the keys.
    pub fn item(&self) -> &Item {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .unwrap_or(&self.keys)
    }

    /// The attributes that differ between the old and new images, by name
    /// (with one image only, every attribute of it; with none, nothing).
    pub fn diff(&self) -> Vec<AttrDiff> {
        let empty = Item::new();
        let (old, new) = match (&self.old, &self.new) {
            (None, None) => return Vec::new(),
            (o, n) => (o.as_ref().unwrap_or(&empty), n.as_ref().unwrap_or(&empty)),
        };
        let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        names
            .into_iter()
            .filter_map(|name| {
                let (o, n) = (old.get(name), new.get(name));
                (o != n).then(|| AttrDiff {
                    name: name.clone(),
                    old: o.cloned(),
                    new: n.cloned(),
                })
            })
            .collect()
    }
}

/// What a reader reports on its channel.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// Records of one GetRecords call, in the shard's order.
    Records(Vec<ChangeRecord>),
    /// Something the user should know: data trimmed before it was read, an
    /// iterator renewed, a shard closed or opened.
    Notice(String),
    /// The shards read at the moment and those finished.
    Shards { reading: usize, finished: usize },
    /// The reader stopped for good (the stream was deleted or disabled,
    /// access denied, ...).
    Failed(super::error::AwsError),
}

impl ViewType {
    /// The DynamoDB SDK's StreamViewType.
    pub fn sdk(self) -> aws_sdk_dynamodb::types::StreamViewType {
        aws_sdk_dynamodb::types::StreamViewType::from(self.label())
    }
}

/// The table's stream: its ARN and view type, None when it has none.
pub async fn stream_of(
    db: &super::client::Dynamo,
    table: &str,
) -> Result<Option<(String, ViewType)>, super::error::AwsError> {
    let info = describe_table(db, table).await?;
    Ok(info
        .stream_view()
        .and_then(|v| info.stream_arn.map(|arn| (arn, v))))
}

async fn describe_table(
    db: &super::client::Dynamo,
    table: &str,
) -> Result<super::client::TableInfo, super::error::AwsError> {
    let out = db
        .client()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| super::error::AwsError::from_sdk(e, db.context(), Some(table)))?;
    let t = out.table().ok_or_else(|| {
        super::error::AwsError::new(
            "EmptyResponse",
            format!("DescribeTable returned no table for {table}"),
        )
    })?;
    Ok(super::client::TableInfo::from_description(t))
}

/// How long [`enable_stream`] waits for the table to be ACTIVE with its
/// stream, and how often it looks.
pub const ENABLE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
const ENABLE_POLL: std::time::Duration = std::time::Duration::from_millis(500);

impl super::client::Dynamo {
    /// Turns the table's stream on with `view` (UpdateTable) and waits,
    /// up to [`ENABLE_WAIT`], until the table is ACTIVE with a stream ARN.
    /// Nothing is updated when the stream is already on with that view.
    /// Policy checks (protection, read-only, audit) are the caller's.
    pub async fn enable_stream(
        &self,
        table: &str,
        view: ViewType,
    ) -> Result<(), super::error::AwsError> {
        use super::error::AwsError;
        let now = describe_table(self, table).await?;
        match now.stream_view() {
            Some(v) if v == view => {}
            Some(v) => {
                return Err(AwsError::new(
                    "StreamAlreadyEnabled",
                    format!(
                        "table {table} already has a {} stream",
                        v.label()
                    ),
                )
                .with_hint(format!(
                    "follow that stream, or disable it first to enable a {} one (its records are then lost)",
                    view.label()
                )));
            }
            None => {
                let spec = aws_sdk_dynamodb::types::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(view.sdk())
                    .build()
                    .map_err(AwsError::build)?;
                self.client()
                    .update_table()
                    .table_name(table)
                    .stream_specification(spec)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(e, self.context(), Some(table)))?;
            }
        }
        let deadline = tokio::time::Instant::now() + ENABLE_WAIT;
        loop {
            let info = describe_table(self, table).await?;
            if info.status == "ACTIVE" && info.stream_view() == Some(view) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AwsError::new(
                    "Timeout",
                    format!(
                        "table {table} was not ACTIVE with its {} stream within {} s (status {})",
                        view.label(),
                        ENABLE_WAIT.as_secs(),
                        info.status
                    ),
                ));
            }
            tokio::time::sleep(ENABLE_POLL).await;
        }
    }
}
