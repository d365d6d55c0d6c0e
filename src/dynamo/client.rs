//! The DynamoDB client: connection set-up (one SdkConfig, the client built
//! once and cloned) and the read operations the views and commands share.

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, ScalarAttributeType, TableDescription};

use super::Item;
use super::error::{AwsError, ConnContext, is_loopback_url};
use super::request::{ItemsRequest, RequestKind};

/// How to connect (from the command line and environment).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// S3's endpoint (native export and import, `s3://` sources), e.g.
    /// moto's; default: `--endpoint-url` when given, else AWS
    /// (`AWS_ENDPOINT_URL_S3` is honoured by the SDK itself).
    pub s3_endpoint: Option<String>,
    pub timeouts: Timeouts,
}

/// How long a request may wait. Every request to DynamoDB (and CloudWatch,
/// which shares the SdkConfig) is bounded by these, so neither a command nor
/// the TUI can wait forever on an endpoint that accepts a connection and
/// never answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP (and TLS) connection. 3 s lets one lost SYN be
    /// sent again (the first retransmission is at 1 s) and is what the AWS
    /// SDKs use; a reachable endpoint connects in milliseconds.
    pub connect: Duration,
    /// One try of a request, until its whole response has arrived. DynamoDB
    /// answers in milliseconds; the slowest legitimate single calls (a 1 MB
    /// Scan page through a filter, DynamoDB Local's first request after the
    /// JVM starts, a GetMetricData of 500 queries) take a second or two, so
    /// 10 s is generous and still short enough to notice.
    pub attempt: Duration,
    /// A request with the SDK's retries (3 tries with backoff): 30 s, so a
    /// stuck endpoint is reported within half a minute.
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    pub fn config(&self) -> aws_config::timeout::TimeoutConfig {
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// A timeout given on the command line: seconds (`2.5`, `10s`) or
/// milliseconds (`500ms`), more than zero and at most an hour.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(ms) = t.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(secs) = t.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (seconds such as 10 or 2.5, or 500ms)"))?;
    let secs = v * scale;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("`{s}`: a timeout must be more than zero"));
    }
    if secs > 3600.0 {
        return Err(format!(
            "`{s}`: a timeout of more than an hour is not a timeout"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A connected client plus where it points.
#[derive(Debug, Clone)]
pub struct Dynamo {
    client: Client,
    /// CloudWatch, built once beside DynamoDB from the same SdkConfig.
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// DynamoDB Streams, on the same endpoint when one is given (DynamoDB
    /// Local serves both on one port).
    streams: aws_sdk_dynamodbstreams::Client,
    /// S3, for native exports and imports and `s3://` sources.
    s3: aws_sdk_s3::Client,
    ctx: ConnContext,
    config: SdkConfig,
}

/// An S3 client from `config`, at `endpoint` when given. Any endpoint that
/// is not AWS's (moto, MinIO, LocalStack) is addressed path-style
/// (`http://host/bucket/key`): a bucket as a subdomain of 127.0.0.1 does
/// not resolve.
fn s3_client(config: &SdkConfig, endpoint: Option<&str>) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(config);
    if let Some(e) = endpoint {
        b = b.endpoint_url(e);
    }
    let env = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if endpoint.is_some()
        || config.endpoint_url().is_some()
        || env("AWS_ENDPOINT_URL_S3")
        || env("AWS_ENDPOINT_URL")
    {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// True when some AWS credentials source is configured on this machine:
/// env keys, a profile, the shared files, or a container/web identity role.
fn credentials_configured() -> bool {
    let env = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if env("AWS_ACCESS_KEY_ID")
        || env("AWS_PROFILE")
        || env("AWS_WEB_IDENTITY_TOKEN_FILE")
        || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    {
        return true;
    }
    let files = [
        std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").map(std::path::PathBuf::from),
        std::env::var_os("AWS_CONFIG_FILE").map(std::path::PathBuf::from),
        directories::BaseDirs::new().map(|b| b.home_dir().join(".aws/credentials")),
        directories::BaseDirs::new().map(|b| b.home_dir().join(".aws/config")),
    ];
    files.into_iter().flatten().any(|p| p.is_file())
}

impl Dynamo {
    /// Builds the one SdkConfig from aws-config's default chain (env, profiles,
    /// SSO, instance roles) with the flags applied. `AWS_ENDPOINT_URL` (and
    /// `AWS_ENDPOINT_URL_DYNAMODB`) are honoured by aws-config itself.
    ///
    /// For a loopback endpoint (DynamoDB Local) with no credentials configured
    /// anywhere, dummy static credentials and region us-east-1 are used so the
    /// demo needs no AWS set-up. Never for a real AWS endpoint.
    pub async fn connect(opts: &ConnectOptions) -> Result<Dynamo, AwsError> {
        let endpoint = opts.endpoint_url.clone().or_else(|| {
            std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
                .ok()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
                .filter(|s| !s.is_empty())
        });
        let local = endpoint.as_deref().is_some_and(is_loopback_url);
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        let env_region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        match (&opts.region, local) {
            (Some(r), _) => loader = loader.region(Region::new(r.clone())),
            // DynamoDB Local ignores the region: never ask the instance
            // metadata service for one.
            (None, true) => {
                loader = loader.region(Region::new(
                    env_region.unwrap_or_else(|| "us-east-1".to_string()),
                ))
            }
            (None, false) => {}
        }
        if let Some(e) = &opts.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        loader = loader.timeout_config(opts.timeouts.config());
        if local && opts.profile.is_none() && !credentials_configured() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "dummy",
                "dummy",
                None,
                None,
                "dyntui-local",
            ));
        }
        let mut config = loader.load().await;
        if config.region().is_none() {
            if local {
                config = config
                    .into_builder()
                    .region(Region::from_static("us-east-1"))
                    .build();
            } else {
                return Err(AwsError::new("NoRegion", "no AWS region is configured").with_hint(
                    "pass --region, set AWS_REGION, or set `region` in your profile (~/.aws/config)",
                ));
            }
        }
        let db = Dynamo::from_config(config, opts.profile.clone(), endpoint);
        Ok(match &opts.s3_endpoint {
            Some(e) => db.with_s3_endpoint(e),
            None => db,
        })
    }

    /// Wraps an existing SdkConfig (tests use this with their own settings).
    pub fn from_config(
        config: SdkConfig,
        profile: Option<String>,
        endpoint: Option<String>,
    ) -> Self {
        let ctx = ConnContext {
            profile,
            region: config.region().map(|r| r.to_string()),
            endpoint,
        };
        let mut streams = aws_sdk_dynamodbstreams::config::Builder::from(&config);
        if let Some(e) = &ctx.endpoint {
            streams = streams.endpoint_url(e);
        }
        Dynamo {
            client: Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            streams: aws_sdk_dynamodbstreams::Client::from_conf(streams.build()),
            s3: s3_client(&config, None),
            ctx,
            config,
        }
    }

    /// Wraps a ready client (tests use this with aws-smithy-mocks).
    pub fn from_client(client: Client, ctx: ConnContext) -> Self {
        let config = SdkConfig::builder().build();
        Dynamo {
            client,
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            streams: aws_sdk_dynamodbstreams::Client::new(&config),
            s3: s3_client(&config, None),
            ctx,
            config,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn context(&self) -> &ConnContext {
        &self.ctx
    }

    /// The CloudWatch client of the same connection.
    pub fn cloudwatch(&self) -> &aws_sdk_cloudwatch::Client {
        &self.cloudwatch
    }

    /// The DynamoDB Streams client of the same connection.
    pub fn streams(&self) -> &aws_sdk_dynamodbstreams::Client {
        &self.streams
    }

    /// The S3 client of the same connection.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    /// The same connection with S3 at `endpoint` (path-style addressing).
    pub fn with_s3_endpoint(mut self, endpoint: &str) -> Self {
        self.s3 = s3_client(&self.config, Some(endpoint));
        self
    }

    /// The same connection with another Streams client (tests use this
    /// with aws-smithy-mocks).
    pub fn with_streams(mut self, streams: aws_sdk_dynamodbstreams::Client) -> Self {
        self.streams = streams;
        self
    }

    /// The same connection, with every DynamoDB request's consumed
    /// capacity added to `meter`.
    pub fn metered(&self, meter: &crate::dynamo::meter::Meter) -> Dynamo {
        let mut d = self.clone();
        d.client = Client::from_conf(
            self.client
                .config()
                .to_builder()
                .interceptor(crate::dynamo::meter::MeterInterceptor(meter.clone()))
                .build(),
        );
        d
    }

    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    fn err<E, R>(&self, e: aws_sdk_dynamodb::error::SdkError<E, R>, table: Option<&str>) -> AwsError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        AwsError::from_sdk(e, &self.ctx, table)
    }

    /// All table names (every page of ListTables).
    pub async fn list_tables(&self) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .client
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .send()
                .await
                .map_err(|e| self.err(e, None))?;
            names.extend(out.table_names().iter().cloned());
            match out.last_evaluated_table_name() {
                Some(n) => start = Some(n.to_string()),
                None => break,
            }
        }
        Ok(names)
    }

    /// DescribeTable plus TTL and PITR (those two are best effort).
    pub async fn describe(&self, table: &str) -> Result<TableInfo, AwsError> {
        let (desc, ttl, pitr) = tokio::join!(
            self.client.describe_table().table_name(table).send(),
            self.client.describe_time_to_live().table_name(table).send(),
            self.client
                .describe_continuous_backups()
                .table_name(table)
                .send(),
        );
        let desc = desc.map_err(|e| self.err(e, Some(table)))?;
        let t = desc.table().ok_or_else(|| {
            AwsError::new(
                "EmptyResponse",
                format!("DescribeTable returned no table for {table}"),
            )
        })?;
        let mut info = TableInfo::from_description(t);
        info.ttl = match ttl {
            Ok(o) => o.time_to_live_description().map(|d| {
                let status = d
                    .time_to_live_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                match d.attribute_name() {
                    Some(a) => format!("{status} ({a})"),
                    None => status,
                }
            }),
            Err(_) => None,
        };
        info.pitr = match pitr {
            Ok(o) => o
                .continuous_backups_description()
                .and_then(|d| d.point_in_time_recovery_description())
                .and_then(|p| p.point_in_time_recovery_status())
                .map(|s| s.as_str().to_string()),
            Err(_) => None,
        };
        Ok(info)
    }

    /// One page of a Scan or Query, starting after `start`.
    pub async fn fetch_page(
        &self,
        req: &ItemsRequest,
        start: Option<Item>,
    ) -> Result<Page, AwsError> {
        self.fetch_page_segment(req, None, start).await
    }

    /// A page of one segment of a parallel Scan: (segment, total segments).
    /// A Query ignores the segment.
    pub async fn fetch_page_segment(
        &self,
        req: &ItemsRequest,
        segment: Option<(i32, i32)>,
        start: Option<Item>,
    ) -> Result<Page, AwsError> {
        let c = req.compile();
        let names = (!c.names.is_empty()).then(|| c.names.clone().into_iter().collect());
        let values = (!c.values.is_empty()).then(|| c.values.clone().into_iter().collect());
        let began = Instant::now();
        let page = match &req.kind {
            RequestKind::Scan => {
                let out = self
                    .client
                    .scan()
                    .table_name(&req.table)
                    .set_index_name(req.index.clone())
                    .set_filter_expression(c.filter.clone())
                    .set_projection_expression(c.projection.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_limit(req.page_size)
                    .set_exclusive_start_key(start)
                    .set_segment(segment.map(|s| s.0))
                    .set_total_segments(segment.map(|s| s.1))
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| self.err(e, Some(&req.table)))?;
                Page {
                    count: out.count(),
                    scanned: out.scanned_count(),
                    consumed: out.consumed_capacity().and_then(|c| c.capacity_units()),
                    next: out.last_evaluated_key().cloned(),
                    items: out.items.unwrap_or_default(),
                    elapsed: began.elapsed(),
                }
            }
            RequestKind::Query { .. } => {
                let out = self
                    .client
                    .query()
                    .table_name(&req.table)
                    .set_index_name(req.index.clone())
                    .set_key_condition_expression(c.key_condition.clone())
                    .set_filter_expression(c.filter.clone())
                    .set_projection_expression(c.projection.clone())
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_limit(req.page_size)
                    .scan_index_forward(req.forward)
                    .set_exclusive_start_key(start)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| self.err(e, Some(&req.table)))?;
                Page {
                    count: out.count(),
                    scanned: out.scanned_count(),
                    consumed: out.consumed_capacity().and_then(|c| c.capacity_units()),
                    next: out.last_evaluated_key().cloned(),
                    items: out.items.unwrap_or_default(),
                    elapsed: began.elapsed(),
                }
            }
        };
        Ok(page)
    }

    /// GetItem by full key; `None` when there is no such item.
    pub async fn get_item(&self, table: &str, key: Item) -> Result<Option<Item>, AwsError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.err(e, Some(table)))?;
        Ok(out.item)
    }
}

/// One page of results.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// LastEvaluatedKey: where the next page starts; None = no more pages.
    pub next: Option<Item>,
    pub count: i32,
    pub scanned: i32,
    /// Capacity units consumed (ReturnConsumedCapacity TOTAL).
    pub consumed: Option<f64>,
    pub elapsed: Duration,
}

/// The scalar type of a key attribute: DynamoDB keys are strings, numbers
/// or binary. Written `S`, `N`, `B` everywhere (DescribeTable, project
/// files, messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyKind {
    S,
    N,
    B,
}

/// Text that is not a key type (`S`, `N` or `B`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a key type (use S, N or B)")]
pub struct UnknownKeyKind(pub String);

impl KeyKind {
    pub const ALL: [KeyKind; 3] = [KeyKind::S, KeyKind::N, KeyKind::B];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::S => "S",
            KeyKind::N => "N",
            KeyKind::B => "B",
        }
    }

    /// The key type a value has; `None` for values no key can hold.
    pub fn of(v: &super::AttributeValue) -> Option<KeyKind> {
        match v {
            super::AttributeValue::S(_) => Some(KeyKind::S),
            super::AttributeValue::N(_) => Some(KeyKind::N),
            super::AttributeValue::B(_) => Some(KeyKind::B),
            _ => None,
        }
    }

    /// The SDK's type; `None` for a type this SDK version does not know.
    pub fn from_sdk(t: &ScalarAttributeType) -> Option<KeyKind> {
        match t {
            ScalarAttributeType::S => Some(KeyKind::S),
            ScalarAttributeType::N => Some(KeyKind::N),
            ScalarAttributeType::B => Some(KeyKind::B),
            _ => None,
        }
    }

    pub fn sdk(self) -> ScalarAttributeType {
        match self {
            KeyKind::S => ScalarAttributeType::S,
            KeyKind::N => ScalarAttributeType::N,
            KeyKind::B => ScalarAttributeType::B,
        }
    }
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyKind {
    type Err = UnknownKeyKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKeyKind(s.to_string()))
    }
}

/// A key attribute: name and scalar type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDef {
    pub name: String,
    /// `None` when the table's description does not give the attribute's
    /// type (DynamoDB always does); shown as `?`, typed as a string.
    pub kind: Option<KeyKind>,
}

impl KeyDef {
    pub fn new(name: impl Into<String>, kind: KeyKind) -> Self {
        KeyDef {
            name: name.into(),
            kind: Some(kind),
        }
    }

    /// `S`, `N`, `B`, or `?` when the type is not known.
    pub fn kind_label(&self) -> &'static str {
        self.kind.map_or("?", KeyKind::as_str)
    }
}

/// A GSI or LSI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    pub name: String,
    pub global: bool,
    pub pk: KeyDef,
    pub sk: Option<KeyDef>,
    pub projection: String,
    pub status: Option<String>,
    pub capacity: Option<(i64, i64)>,
    pub item_count: Option<i64>,
    pub size_bytes: Option<i64>,
}

/// What the tables view shows of a table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableInfo {
    pub name: String,
    pub status: String,
    pub pk: Option<KeyDef>,
    pub sk: Option<KeyDef>,
    pub indexes: Vec<IndexInfo>,
    pub billing_mode: String,
    /// Provisioned (read, write) capacity units.
    pub capacity: Option<(i64, i64)>,
    /// On-demand maximum (read, write) request units, when set.
    pub on_demand_max: Option<(i64, i64)>,
    /// Warm throughput (read, write units per second): what the table can
    /// serve at once, when DynamoDB reports it.
    pub warm: Option<(i64, i64)>,
    pub item_count: Option<i64>,
    pub size_bytes: Option<i64>,
    pub stream: Option<String>,
    /// The stream's ARN (LatestStreamArn) while a stream is enabled.
    pub stream_arn: Option<String>,
    pub ttl: Option<String>,
    pub pitr: Option<String>,
    pub deletion_protection: Option<bool>,
    pub created: Option<String>,
}

impl TableInfo {
    pub fn from_description(t: &TableDescription) -> TableInfo {
        let attr_type = |name: &str| {
            t.attribute_definitions()
                .iter()
                .find(|a| a.attribute_name() == name)
                .and_then(|a| KeyKind::from_sdk(a.attribute_type()))
        };
        let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
            let mut pk = None;
            let mut sk = None;
            for k in schema {
                let d = KeyDef {
                    name: k.attribute_name().to_string(),
                    kind: attr_type(k.attribute_name()),
                };
                match k.key_type().as_str() {
                    "HASH" => pk = Some(d),
                    _ => sk = Some(d),
                }
            }
            (pk, sk)
        };
        let proj = |p: Option<&aws_sdk_dynamodb::types::Projection>| match p {
            None => "?".to_string(),
            Some(p) => {
                let kind = p
                    .projection_type()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_else(|| "?".into());
                if p.non_key_attributes().is_empty() {
                    kind
                } else {
                    format!("{kind} ({})", p.non_key_attributes().join(", "))
                }
            }
        };
        let (pk, sk) = keys(t.key_schema());
        let mut indexes = Vec::new();
        for g in t.global_secondary_indexes() {
            let (ipk, isk) = keys(g.key_schema());
            indexes.push(IndexInfo {
                name: g.index_name().unwrap_or_default().to_string(),
                global: true,
                pk: ipk.unwrap_or(KeyDef {
                    name: "?".into(),
                    kind: None,
                }),
                sk: isk,
                projection: proj(g.projection()),
                status: g.index_status().map(|s| s.as_str().to_string()),
                capacity: g.provisioned_throughput().and_then(|p| {
                    Some((p.read_capacity_units()?, p.write_capacity_units()?))
                        .filter(|(r, w)| *r > 0 || *w > 0)
                }),
                item_count: g.item_count(),
                size_bytes: g.index_size_bytes(),
            });
        }
        for l in t.local_secondary_indexes() {
            let (ipk, isk) = keys(l.key_schema());
            indexes.push(IndexInfo {
                name: l.index_name().unwrap_or_default().to_string(),
                global: false,
                pk: ipk.unwrap_or(KeyDef {
                    name: "?".into(),
                    kind: None,
                }),
                sk: isk,
                projection: proj(l.projection()),
                status: None,
                capacity: None,
                item_count: l.item_count(),
                size_bytes: l.index_size_bytes(),
            });
        }
        // DynamoDB lists indexes in no particular order: GSIs then LSIs, by name.
        indexes.sort_by(|a, b| b.global.cmp(&a.global).then(a.name.cmp(&b.name)));
        let billing = t
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|b| b.as_str().to_string())
            .unwrap_or_else(|| "PROVISIONED".to_string());
        TableInfo {
            name: t.table_name().unwrap_or_default().to_string(),
            status: t
                .table_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            pk,
            sk,
            indexes,
            capacity: t.provisioned_throughput().and_then(|p| {
                Some((p.read_capacity_units()?, p.write_capacity_units()?))
                    .filter(|(r, w)| *r > 0 || *w > 0)
            }),
            on_demand_max: t.on_demand_throughput().and_then(|o| {
                Some((
                    o.max_read_request_units().unwrap_or(-1),
                    o.max_write_request_units().unwrap_or(-1),
                ))
                .filter(|(r, w)| *r > 0 || *w > 0)
            }),
            warm: t.warm_throughput().and_then(|w| {
                Some((w.read_units_per_second()?, w.write_units_per_second()?))
                    .filter(|(r, w)| *r > 0 && *w > 0)
            }),
            billing_mode: billing,
            item_count: t.item_count(),
            size_bytes: t.table_size_bytes(),
            stream: t.stream_specification().and_then(|s| {
                if s.stream_enabled() {
                    Some(
                        s.stream_view_type()
                            .map(|v| v.as_str().to_string())
                            .unwrap_or_else(|| "ENABLED".into()),
                    )
                } else {
                    None
                }
            }),
            stream_arn: t
                .stream_specification()
                .filter(|s| s.stream_enabled())
                .and(t.latest_stream_arn())
                .map(str::to_string),
            ttl: None,
            pitr: None,
            deletion_protection: t.deletion_protection_enabled(),
            created: t
                .creation_date_time()
                .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        }
    }

    /// The stream's view type, while a stream is enabled.
    pub fn stream_view(&self) -> Option<crate::dynamo::stream::ViewType> {
        self.stream_arn.as_ref()?;
        self.stream
            .as_deref()
            .and_then(crate::dynamo::stream::ViewType::parse)
    }

    /// The key names of the table or an index: (pk, sk).
    pub fn keys_of(&self, index: Option<&str>) -> Option<(&KeyDef, Option<&KeyDef>)> {
        match index {
            None => self.pk.as_ref().map(|pk| (pk, self.sk.as_ref())),
            Some(n) => self
                .indexes
                .iter()
                .find(|i| i.name == n)
                .map(|i| (&i.pk, i.sk.as_ref())),
        }
    }

    /// The primary key's attribute names: partition key, then sort key.
    pub fn key_names(&self) -> Vec<&str> {
        self.pk
            .iter()
            .chain(self.sk.iter())
            .map(|k| k.name.as_str())
            .collect()
    }

    /// Every attribute used as a key by an index (besides the table's).
    pub fn index_key_attrs(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for i in &self.indexes {
            for k in std::iter::once(&i.pk).chain(i.sk.as_ref()) {
                let is_table_key = self.pk.as_ref().is_some_and(|p| p.name == k.name)
                    || self.sk.as_ref().is_some_and(|s| s.name == k.name);
                if !is_table_key && !v.contains(&k.name) {
                    v.push(k.name.clone());
                }
            }
        }
        v
    }

    /// The primary key of an item of this table.
    /// The key attributes of the table and its indexes, for decoding.
    pub fn table_keys(&self) -> crate::dynamo::entity::TableKeys {
        crate::dynamo::entity::TableKeys {
            pk: self.pk.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
            sk: self.sk.as_ref().map(|k| k.name.clone()),
            index_key_attrs: self.index_key_attrs(),
        }
    }

    /// Checks that `key` is exactly this table's primary key: every key
    /// attribute present with its type, nothing else. The error names what
    /// is missing or extra and the table's key schema.
    pub fn check_key(&self, key: &Item) -> Result<(), String> {
        let schema: Vec<&KeyDef> = self.pk.iter().chain(self.sk.iter()).collect();
        let shown = schema
            .iter()
            .map(|k| match k.kind {
                Some(kind) => format!("{} ({})", k.name, kind.as_str()),
                None => k.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(" and ");
        for k in &schema {
            match key.get(&k.name) {
                None => {
                    return Err(format!(
                        "`{}` is missing: table `{}` is keyed by {shown}",
                        k.name, self.name
                    ));
                }
                Some(v) => {
                    let got = crate::dynamo::value::type_tag(v);
                    if let Some(kind) = k.kind
                        && got != kind.as_str()
                    {
                        return Err(format!(
                            "`{}` is {got} but the table's key is {} (e.g. {{\"{}\": {}}} in DynamoDB JSON)",
                            k.name,
                            kind.as_str(),
                            k.name,
                            match kind {
                                KeyKind::N => "{\"N\": \"42\"}",
                                KeyKind::B => "{\"B\": \"base64\"}",
                                KeyKind::S => "{\"S\": \"text\"}",
                            }
                        ));
                    }
                }
            }
        }
        if let Some(extra) = key.keys().find(|a| !schema.iter().any(|k| &k.name == *a)) {
            return Err(format!(
                "`{extra}` is not a key attribute: table `{}` is keyed by {shown}",
                self.name
            ));
        }
        Ok(())
    }

    pub fn key_of(&self, item: &Item) -> Option<Item> {
        let mut key = Item::new();
        let pk = self.pk.as_ref()?;
        key.insert(pk.name.clone(), item.get(&pk.name)?.clone());
        if let Some(sk) = &self.sk {
            key.insert(sk.name.clone(), item.get(&sk.name)?.clone());
        }
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_seconds_or_milliseconds() {
        assert_eq!(parse_timeout("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_timeout("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_timeout(" 500ms "), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "soon", "", "1h", "7200", "NaN", "inf"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_kinds_round_trip_through_text_sdk_and_serde() {
        for k in KeyKind::ALL {
            assert_eq!(k.as_str().parse::<KeyKind>(), Ok(k));
            assert_eq!(k.to_string(), k.as_str());
            assert_eq!(KeyKind::from_sdk(&k.sdk()), Some(k));
            assert_eq!(
                KeyKind::from_sdk(&ScalarAttributeType::from(k.as_str())),
                Some(k)
            );
            let json = serde_json::to_string(&k).expect("serializes");
            assert_eq!(json, format!("\"{k}\""));
            assert_eq!(serde_json::from_str::<KeyKind>(&json).expect("parses"), k);
        }
        assert_eq!(
            KeyKind::from_sdk(&ScalarAttributeType::from("BOOL")),
            None,
            "a type the SDK does not know"
        );
    }

    #[test]
    fn unknown_key_kinds_are_refused_with_the_choices() {
        let e = "s".parse::<KeyKind>().unwrap_err();
        assert_eq!(e, UnknownKeyKind("s".into()));
        assert_eq!(e.to_string(), "`s` is not a key type (use S, N or B)");
        for bad in ["", "BOOL", "SS", " S"] {
            assert!(bad.parse::<KeyKind>().is_err(), "{bad:?}");
        }
        // Project files keep serde's message for an unknown variant.
        let e = serde_json::from_str::<KeyKind>("\"X\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown variant `X`, expected one of `S`, `N`, `B`"),
            "{e}"
        );
    }

    #[test]
    fn key_kinds_of_values_and_descriptions() {
        use super::super::AttributeValue as Av;
        assert_eq!(KeyKind::of(&Av::S("a".into())), Some(KeyKind::S));
        assert_eq!(KeyKind::of(&Av::N("1".into())), Some(KeyKind::N));
        assert_eq!(
            KeyKind::of(&Av::B(aws_sdk_dynamodb::primitives::Blob::new(vec![1]))),
            Some(KeyKind::B)
        );
        assert_eq!(KeyKind::of(&Av::Bool(true)), None);
        assert_eq!(KeyKind::of(&Av::Ss(vec!["a".into()])), None);

        let attr = |name: &str, t: ScalarAttributeType| {
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(t)
                .build()
                .expect("complete")
        };
        let key = |name: &str, t: aws_sdk_dynamodb::types::KeyType| {
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
                .expect("complete")
        };
        let d = TableDescription::builder()
            .table_name("t")
            .attribute_definitions(attr("PK", ScalarAttributeType::S))
            .attribute_definitions(attr("TS", ScalarAttributeType::N))
            .key_schema(key("PK", aws_sdk_dynamodb::types::KeyType::Hash))
            .key_schema(key("TS", aws_sdk_dynamodb::types::KeyType::Range))
            .build();
        let info = TableInfo::from_description(&d);
        assert_eq!(info.pk, Some(KeyDef::new("PK", KeyKind::S)));
        assert_eq!(info.sk, Some(KeyDef::new("TS", KeyKind::N)));
        // A key attribute the description gives no type for is shown as `?`.
        let d = TableDescription::builder()
            .table_name("t")
            .key_schema(key("PK", aws_sdk_dynamodb::types::KeyType::Hash))
            .build();
        let pk = TableInfo::from_description(&d).pk.expect("a partition key");
        assert_eq!(pk.kind, None);
        assert_eq!(pk.kind_label(), "?");
        assert_eq!(KeyDef::new("PK", KeyKind::B).kind_label(), "B");
    }

    #[test]
    fn default_timeouts_bound_every_request() {
        let t = Timeouts::default();
        let c = t.config();
        assert_eq!(c.connect_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(c.operation_attempt_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(c.operation_timeout(), Some(Duration::from_secs(30)));
        assert!(t.attempt < t.operation);
    }
}
