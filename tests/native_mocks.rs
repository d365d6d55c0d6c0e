//! What the native export and import ask DynamoDB for, checked on the
//! requests themselves (aws-smithy-mocks): moto has no incremental export,
//! ignores the format and never refuses an export just after PITR is
//! enabled, so those parts are checked here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
use aws_sdk_dynamodb::operation::export_table_to_point_in_time::{
    ExportTableToPointInTimeError, ExportTableToPointInTimeInput, ExportTableToPointInTimeOutput,
};
use aws_sdk_dynamodb::operation::import_table::{ImportTableInput, ImportTableOutput};
use aws_sdk_dynamodb::types::error::PointInTimeRecoveryUnavailableException;
use aws_sdk_dynamodb::types::{
    BillingMode, ExportDescription, ExportFormat, ExportStatus, ExportType, ExportViewType,
    ImportStatus, ImportTableDescription, InputCompressionType, InputFormat, TableDescription,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dyntui::dynamo::client::{Dynamo, KeyKind};
use dyntui::dynamo::design::{IndexDesign, KeyAttr, Projection, TableDesign};
use dyntui::dynamo::error::ConnContext;
use dyntui::dynamo::native::{
    self, Compression, ExportSpec, ImportFormat, ImportSpec, Incremental, NativeFormat, S3Url,
};

const ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";

fn client(rules: &[&Rule]) -> Dynamo {
    let c = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules, |c| c
        .retry_config(RetryConfig::disabled()));
    Dynamo::from_client(
        c,
        ConnContext {
            profile: None,
            region: Some("us-east-1".into()),
            endpoint: None,
        },
    )
}

fn describe_table() -> Rule {
    mock!(aws_sdk_dynamodb::Client::describe_table).then_output(|| {
        DescribeTableOutput::builder()
            .table(TableDescription::builder().table_arn(ARN).build())
            .build()
    })
}

fn started() -> ExportTableToPointInTimeOutput {
    ExportTableToPointInTimeOutput::builder()
        .export_description(
            ExportDescription::builder()
                .export_arn(format!("{ARN}/export/01733-ab"))
                .export_status(ExportStatus::InProgress)
                .build(),
        )
        .build()
}

fn spec(incremental: Option<Incremental>, format: NativeFormat) -> ExportSpec {
    ExportSpec {
        table: "orders".into(),
        dest: S3Url::parse("s3://backups/orders").unwrap(),
        format,
        incremental,
        client_token: "token-1".into(),
    }
}

fn recorder() -> (
    Arc<Mutex<Vec<ExportTableToPointInTimeInput>>>,
    impl Fn(&ExportTableToPointInTimeInput) -> bool + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (seen, move |r: &ExportTableToPointInTimeInput| {
        s.lock().unwrap().push(r.clone());
        true
    })
}

#[tokio::test]
async fn an_incremental_ion_export_asks_for_its_window_with_both_images() {
    let (seen, matcher) = recorder();
    let export = mock!(aws_sdk_dynamodb::Client::export_table_to_point_in_time)
        .match_requests(matcher)
        .then_output(started);
    let db = client(&[&describe_table(), &export]);
    let window = Incremental {
        from: 1_800_000_000,
        to: Some(1_800_003_600),
    };
    let e = native::start_export(&db, &spec(Some(window), NativeFormat::Ion))
        .await
        .unwrap();
    assert_eq!(e.arn, format!("{ARN}/export/01733-ab"));
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.table_arn(), Some(ARN), "the ARN from DescribeTable");
    assert_eq!(r.s3_bucket(), Some("backups"));
    assert_eq!(r.s3_prefix(), Some("orders"));
    assert_eq!(r.export_format(), Some(&ExportFormat::Ion));
    assert_eq!(r.export_type(), Some(&ExportType::IncrementalExport));
    assert_eq!(r.client_token(), Some("token-1"));
    let inc = r.incremental_export_specification().unwrap();
    assert_eq!(
        inc.export_from_time().map(|t| t.secs()),
        Some(1_800_000_000)
    );
    assert_eq!(inc.export_to_time().map(|t| t.secs()), Some(1_800_003_600));
    assert_eq!(
        inc.export_view_type(),
        Some(&ExportViewType::NewAndOldImages)
    );
}

#[tokio::test]
async fn a_full_export_is_dynamodb_json_without_a_window() {
    let (seen, matcher) = recorder();
    let export = mock!(aws_sdk_dynamodb::Client::export_table_to_point_in_time)
        .match_requests(matcher)
        .then_output(started);
    let db = client(&[&describe_table(), &export]);
    native::start_export(&db, &spec(None, NativeFormat::DynamoJson))
        .await
        .unwrap();
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.export_format(), Some(&ExportFormat::DynamodbJson));
    assert_eq!(r.export_type(), Some(&ExportType::FullExport));
    assert!(r.incremental_export_specification().is_none());
}

fn pitr_unavailable() -> ExportTableToPointInTimeError {
    ExportTableToPointInTimeError::PointInTimeRecoveryUnavailableException(
        PointInTimeRecoveryUnavailableException::builder()
            .message("Point in time recovery is not enabled")
            .meta(
                ErrorMetadata::builder()
                    .code("PointInTimeRecoveryUnavailableException")
                    .message("Point in time recovery is not enabled")
                    .build(),
            )
            .build(),
    )
}

#[tokio::test(start_paused = true)]
async fn just_after_pitr_is_enabled_a_refused_start_is_retried_with_the_same_token() {
    let (seen, matcher) = recorder();
    let export = mock!(aws_sdk_dynamodb::Client::export_table_to_point_in_time)
        .match_requests(matcher)
        .sequence()
        .error(pitr_unavailable)
        .output(started)
        .build();
    let db = client(&[&describe_table(), &export]);
    let s = spec(None, NativeFormat::DynamoJson);
    native::start_export_after(&db, &s, true).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.client_token() == Some("token-1")));

    // PITR that was already on: the refusal is the answer.
    let export = mock!(aws_sdk_dynamodb::Client::export_table_to_point_in_time)
        .sequence()
        .error(pitr_unavailable)
        .output(started)
        .build();
    let db = client(&[&describe_table(), &export]);
    let e = native::start_export_after(&db, &s, false)
        .await
        .unwrap_err();
    assert_eq!(e.code, "PointInTimeRecoveryUnavailableException");
    assert_eq!(export.num_calls(), 1);
}

fn s(name: &str) -> KeyAttr {
    KeyAttr {
        name: name.into(),
        kind: KeyKind::S,
    }
}

fn design() -> TableDesign {
    TableDesign {
        name: "orders-restored".into(),
        partition_key: s("PK"),
        sort_key: Some(s("SK")),
        provisioned: None,
        ttl_attribute: None,
        stream: None,
        gsis: vec![IndexDesign {
            name: "GSI1".into(),
            partition_key: s("GSI1PK"),
            sort_key: Some(s("GSI1SK")),
            projection: Projection::KeysOnly,
            provisioned: None,
        }],
        lsis: vec![],
    }
}

#[tokio::test]
async fn a_native_import_creates_the_design_from_the_s3_prefix() {
    let seen: Arc<Mutex<Vec<ImportTableInput>>> = Arc::default();
    let s2 = seen.clone();
    let import = mock!(aws_sdk_dynamodb::Client::import_table)
        .match_requests(move |r| {
            s2.lock().unwrap().push(r.clone());
            true
        })
        .then_output(|| {
            ImportTableOutput::builder()
                .import_table_description(
                    ImportTableDescription::builder()
                        .import_arn(format!("{ARN}-restored/import/01"))
                        .import_status(ImportStatus::InProgress)
                        .build(),
                )
                .build()
        });
    let db = client(&[&import]);
    let spec = ImportSpec {
        source: S3Url::parse("s3://backups/orders/AWSDynamoDB/01/data").unwrap(),
        design: design(),
        format: ImportFormat::DynamoJson,
        compression: Compression::Gzip,
        client_token: "t".into(),
    };
    let i = native::start_import(&db, &spec).await.unwrap();
    assert_eq!(i.status, Some(native::JobStatus::InProgress));
    let r = seen.lock().unwrap()[0].clone();
    let src = r.s3_bucket_source().unwrap();
    assert_eq!(src.s3_bucket(), "backups");
    assert_eq!(src.s3_key_prefix(), Some("orders/AWSDynamoDB/01/data"));
    assert_eq!(r.input_format(), Some(&InputFormat::DynamodbJson));
    assert_eq!(
        r.input_compression_type(),
        Some(&InputCompressionType::Gzip)
    );
    let p = r.table_creation_parameters().unwrap();
    assert_eq!(p.table_name(), "orders-restored");
    let keys: Vec<(&str, &str)> = p
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, [("PK", "HASH"), ("SK", "RANGE")]);
    let mut attrs: Vec<&str> = p
        .attribute_definitions()
        .iter()
        .map(|a| a.attribute_name())
        .collect();
    attrs.sort();
    assert_eq!(attrs, ["GSI1PK", "GSI1SK", "PK", "SK"]);
    assert_eq!(p.billing_mode(), Some(&BillingMode::PayPerRequest));
    assert_eq!(p.global_secondary_indexes()[0].index_name(), "GSI1");

    // A design with an LSI cannot be created by ImportTable: refused
    // before any request.
    let mut with_lsi = design();
    with_lsi.lsis.push(IndexDesign {
        name: "byDate".into(),
        partition_key: s("PK"),
        sort_key: Some(s("date")),
        projection: Projection::All,
        provisioned: None,
    });
    let e = native::start_import(
        &db,
        &ImportSpec {
            design: with_lsi,
            ..spec
        },
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("local secondary index (byDate)"), "{e}");
    assert_eq!(import.num_calls(), 1);
}
