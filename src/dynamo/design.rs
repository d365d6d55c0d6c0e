//! Table designs from the project file: key schema, indexes, billing, TTL.
//! Used to create a table that does not exist yet (seeding, the demo).

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType as SdkKeyType, LocalSecondaryIndex, Projection as SdkProjection, ProjectionType,
    ProvisionedThroughput, TableStatus, TimeToLiveSpecification,
};

use super::client::{Dynamo, KeyKind};
use super::error::AwsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttr {
    pub name: String,
    pub kind: KeyKind,
}

/// Index projection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Projection {
    #[default]
    All,
    KeysOnly,
    /// Keys plus these non-key attributes.
    Include(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDesign {
    pub name: String,
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub projection: Projection,
    pub provisioned: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDesign {
    pub name: String,
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    /// (read, write) capacity; None = on demand.
    pub provisioned: Option<(i64, i64)>,
    pub ttl_attribute: Option<String>,
    /// A DynamoDB Stream with this view type (None: no stream).
    pub stream: Option<crate::dynamo::stream::ViewType>,
    pub gsis: Vec<IndexDesign>,
    pub lsis: Vec<IndexDesign>,
}

fn key_schema(pk: &KeyAttr, sk: Option<&KeyAttr>) -> Result<Vec<KeySchemaElement>, AwsError> {
    let mut v = vec![
        KeySchemaElement::builder()
            .attribute_name(&pk.name)
            .key_type(SdkKeyType::Hash)
            .build()
            .map_err(AwsError::build)?,
    ];
    if let Some(sk) = sk {
        v.push(
            KeySchemaElement::builder()
                .attribute_name(&sk.name)
                .key_type(SdkKeyType::Range)
                .build()
                .map_err(AwsError::build)?,
        );
    }
    Ok(v)
}

fn projection(p: &Projection) -> SdkProjection {
    match p {
        Projection::All => SdkProjection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        Projection::KeysOnly => SdkProjection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        Projection::Include(attrs) => SdkProjection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attrs.clone()))
            .build(),
    }
}

fn throughput(rw: (i64, i64)) -> Result<ProvisionedThroughput, AwsError> {
    ProvisionedThroughput::builder()
        .read_capacity_units(rw.0)
        .write_capacity_units(rw.1)
        .build()
        .map_err(AwsError::build)
}

impl TableDesign {
    /// Every key attribute with its type, without duplicates.
    pub fn attribute_definitions(&self) -> Vec<KeyAttr> {
        let mut out: Vec<KeyAttr> = Vec::new();
        let mut add = |k: &KeyAttr| {
            if !out.iter().any(|x| x.name == k.name) {
                out.push(k.clone());
            }
        };
        add(&self.partition_key);
        if let Some(s) = &self.sort_key {
            add(s);
        }
        for i in self.gsis.iter().chain(&self.lsis) {
            add(&i.partition_key);
            if let Some(s) = &i.sort_key {
                add(s);
            }
        }
        out
    }

    /// The TableCreationParameters of ImportTable, which creates the table
    /// itself: keys, attribute definitions, billing and GSIs. It has no
    /// place for local secondary indexes, so a design with one is refused;
    /// TTL and a stream are set after the import, by hand.
    pub fn creation_parameters(
        &self,
    ) -> Result<aws_sdk_dynamodb::types::TableCreationParameters, AwsError> {
        if let Some(l) = self.lsis.first() {
            return Err(AwsError::new(
                "InvalidRequest",
                format!(
                    "the design of `{}` has a local secondary index ({}), which ImportTable cannot create",
                    self.name, l.name
                ),
            )
            .with_hint("import without --native (the table is created from the design first), or drop the LSI from the design"));
        }
        let mut b = aws_sdk_dynamodb::types::TableCreationParameters::builder()
            .table_name(&self.name)
            .set_key_schema(Some(key_schema(
                &self.partition_key,
                self.sort_key.as_ref(),
            )?))
            .set_attribute_definitions(Some(self.sdk_attribute_definitions()?));
        let gsis = self.sdk_gsis()?;
        if !gsis.is_empty() {
            b = b.set_global_secondary_indexes(Some(gsis));
        }
        b = match self.provisioned {
            None => b.billing_mode(BillingMode::PayPerRequest),
            Some(rw) => b
                .billing_mode(BillingMode::Provisioned)
                .provisioned_throughput(throughput(rw)?),
        };
        b.build().map_err(AwsError::build)
    }

    /// The attribute definitions, as the SDK takes them.
    fn sdk_attribute_definitions(&self) -> Result<Vec<AttributeDefinition>, AwsError> {
        self.attribute_definitions()
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(&a.name)
                    .attribute_type(a.kind.sdk())
                    .build()
                    .map_err(AwsError::build)
            })
            .collect()
    }

    /// The GSIs, as the SDK takes them (each with the table's capacity
    /// unless it has its own).
    fn sdk_gsis(&self) -> Result<Vec<GlobalSecondaryIndex>, AwsError> {
        self.gsis
            .iter()
            .map(|g| {
                let mut i = GlobalSecondaryIndex::builder()
                    .index_name(&g.name)
                    .set_key_schema(Some(key_schema(&g.partition_key, g.sort_key.as_ref())?))
                    .projection(projection(&g.projection));
                if let Some(rw) = g.provisioned.or(self.provisioned) {
                    i = i.provisioned_throughput(throughput(rw)?);
                }
                i.build().map_err(AwsError::build)
            })
            .collect()
    }

    /// The table as DescribeTable would show it once created (empty), for
    /// estimates of what is written into it.
    pub fn info(&self) -> super::client::TableInfo {
        use super::client::{IndexInfo, KeyDef, TableInfo};
        let key = |k: &KeyAttr| KeyDef::new(k.name.clone(), k.kind);
        let projection = |p: &Projection| match p {
            Projection::All => "ALL".to_string(),
            Projection::KeysOnly => "KEYS_ONLY".to_string(),
            Projection::Include(a) => format!("INCLUDE ({})", a.join(", ")),
        };
        let index = |i: &IndexDesign, global: bool| IndexInfo {
            name: i.name.clone(),
            global,
            pk: key(&i.partition_key),
            sk: i.sort_key.as_ref().map(key),
            projection: projection(&i.projection),
            status: None,
            capacity: if global {
                i.provisioned.or(self.provisioned)
            } else {
                None
            },
            item_count: Some(0),
            size_bytes: Some(0),
        };
        TableInfo {
            name: self.name.clone(),
            status: "NEW".into(),
            pk: Some(key(&self.partition_key)),
            sk: self.sort_key.as_ref().map(key),
            indexes: self
                .gsis
                .iter()
                .map(|i| index(i, true))
                .chain(self.lsis.iter().map(|i| index(i, false)))
                .collect(),
            billing_mode: if self.provisioned.is_some() {
                "PROVISIONED".into()
            } else {
                "PAY_PER_REQUEST".into()
            },
            capacity: self.provisioned,
            item_count: Some(0),
            size_bytes: Some(0),
            ..TableInfo::default()
        }
    }

    /// Creates the table and waits until it is ACTIVE (and TTL is set).
    pub async fn create(&self, db: &Dynamo) -> Result<(), AwsError> {
        let mut req = db
            .client()
            .create_table()
            .table_name(&self.name)
            .set_key_schema(Some(key_schema(
                &self.partition_key,
                self.sort_key.as_ref(),
            )?))
            .set_attribute_definitions(Some(self.sdk_attribute_definitions()?));
        if let Some(view) = self.stream {
            req = req.stream_specification(stream_specification(view)?);
        }
        match self.provisioned {
            None => req = req.billing_mode(BillingMode::PayPerRequest),
            Some(rw) => {
                req = req
                    .billing_mode(BillingMode::Provisioned)
                    .provisioned_throughput(throughput(rw)?)
            }
        }
        for g in self.sdk_gsis()? {
            req = req.global_secondary_indexes(g);
        }
        for l in &self.lsis {
            let b = LocalSecondaryIndex::builder()
                .index_name(&l.name)
                .set_key_schema(Some(key_schema(&l.partition_key, l.sort_key.as_ref())?))
                .projection(projection(&l.projection));
            req = req.local_secondary_indexes(b.build().map_err(AwsError::build)?);
        }
        req.send()
            .await
            .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&self.name)))?;
        wait_active(db, &self.name).await?;
        if let Some(ttl) = &self.ttl_attribute {
            db.client()
                .update_time_to_live()
                .table_name(&self.name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(ttl)
                        .enabled(true)
                        .build()
                        .map_err(AwsError::build)?,
                )
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(e, db.context(), Some(&self.name)))?;
        }
        Ok(())
    }
}

/// A StreamSpecification that enables a stream of `view` records.
pub fn stream_specification(
    view: crate::dynamo::stream::ViewType,
) -> Result<aws_sdk_dynamodb::types::StreamSpecification, AwsError> {
    aws_sdk_dynamodb::types::StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::from(view.label()))
        .build()
        .map_err(AwsError::build)
}

/// Polls DescribeTable until the table and its indexes are ACTIVE (10 minutes at most).
pub async fn wait_active(db: &Dynamo, table: &str) -> Result<(), AwsError> {
    let mut delay = Duration::from_millis(100);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    loop {
        let out = db
            .client()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(e, db.context(), Some(table)))?;
        if let Some(t) = out.table() {
            let gsis_active = t
                .global_secondary_indexes()
                .iter()
                .all(|g| g.index_status().is_none_or(|s| s.as_str() == "ACTIVE"));
            if t.table_status() == Some(&TableStatus::Active) && gsis_active {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() > deadline {
            return Err(AwsError::new(
                "Timeout",
                format!("table {table} did not become ACTIVE within 10 minutes"),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
