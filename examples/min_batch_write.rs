//! The baseline for `scripts/bench/seed.sh`: a minimal program that does
//! nothing but BatchWriteItem, to compare `dyntui seed` against.
//!
//! ```sh
//! # N demo items as DynamoDB JSON lines (demo::generate over seeds 1, 2, ...;
//! # `#s<seed>` appended to every SK so keys never repeat across seeds)
//! min_batch_write --write-jsonl items.jsonl --items 100000
//! # the demo table design (PK/SK, GSI1, GSI2, on demand)
//! min_batch_write --endpoint URL --table T --create-table
//! # read the file streaming, groups of 25, C batches in flight, retry
//! # UnprocessedItems; prints `items=.. secs=.. items_per_s=.. retries=..`
//! min_batch_write --endpoint URL --table T --file items.jsonl --concurrency C
//! # print the table's item count, then delete it
//! min_batch_write --endpoint URL --table T --delete-table
//! ```
//!
//! Credentials and region come from the environment (the bench script sets
//! dummy ones for DynamoDB Local). `dyntui` is used only to generate items.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, PutRequest, ScalarAttributeType, WriteRequest,
};
use futures::StreamExt;
use serde_json::Value;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Default)]
struct Args {
    write_jsonl: Option<String>,
    items: Option<u64>,
    endpoint: Option<String>,
    table: Option<String>,
    file: Option<String>,
    concurrency: usize,
    create_table: bool,
    delete_table: bool,
}

fn parse_args() -> Result<Args, Error> {
    let mut a = Args {
        concurrency: 8,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--write-jsonl" => a.write_jsonl = Some(value()?),
            "--items" => a.items = Some(value()?.parse()?),
            "--endpoint" => a.endpoint = Some(value()?),
            "--table" => a.table = Some(value()?),
            "--file" => a.file = Some(value()?),
            "--concurrency" => a.concurrency = value()?.parse::<usize>()?.max(1),
            "--create-table" => a.create_table = true,
            "--delete-table" => a.delete_table = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = parse_args()?;
    if let Some(path) = &args.write_jsonl {
        let n = args.items.ok_or("--write-jsonl needs --items N")?;
        return write_jsonl(path, n);
    }
    let endpoint = args
        .endpoint
        .as_deref()
        .ok_or("--endpoint URL is required")?;
    let table = args.table.as_deref().ok_or("--table T is required")?;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let client = Client::new(&config);
    if args.create_table {
        create_table(&client, table).await?;
    }
    if let Some(file) = &args.file {
        write_file(client.clone(), table, file, args.concurrency).await?;
    }
    if args.delete_table {
        let d = client.describe_table().table_name(table).send().await?;
        let count = d.table().and_then(|t| t.item_count()).unwrap_or(-1);
        println!("item_count={count}");
        client.delete_table().table_name(table).send().await?;
    }
    Ok(())
}

/// N demo items as DynamoDB JSON lines.
fn write_jsonl(path: &str, n: u64) -> Result<(), Error> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0u64;
    let mut seed = 1u64;
    while written < n {
        for mut item in
            dyntui::dynamo::demo::generate(seed, dyntui::dynamo::demo::DemoSize::default())
        {
            if written == n {
                break;
            }
            match item.get_mut("SK") {
                Some(AttributeValue::S(sk)) => sk.push_str(&format!("#s{seed}")),
                _ => return Err("demo item without a string SK".into()),
            }
            serde_json::to_writer(&mut out, &dyntui::dynamo::value::item_to_dynamo(&item))?;
            out.write_all(b"\n")?;
            written += 1;
        }
        seed += 1;
    }
    out.flush()?;
    Ok(())
}

async fn create_table(client: &Client, table: &str) -> Result<(), Error> {
    let key = |name: &str, kt: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kt)
            .build()
    };
    let mut req = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?);
    for a in ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"] {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        );
    }
    for g in ["GSI1", "GSI2"] {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(g)
                .key_schema(key(&format!("{g}PK"), KeyType::Hash)?)
                .key_schema(key(&format!("{g}SK"), KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
    }
    req.send().await?;
    // DynamoDB Local is ACTIVE at once; real DynamoDB takes a while.
    for _ in 0..600 {
        let d = client.describe_table().table_name(table).send().await?;
        if d.table().and_then(|t| t.table_status()).map(|s| s.as_str()) == Some("ACTIVE") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("table {table} not ACTIVE after 60 s").into())
}

/// DynamoDB JSON (`{"S": "x"}`, ...) to an AttributeValue.
fn attr(v: Value) -> Result<AttributeValue, Error> {
    let Value::Object(m) = v else {
        return Err("attribute value is not an object".into());
    };
    let (tag, v) = m.into_iter().next().ok_or("empty attribute value")?;
    let string = |v: Value| match v {
        Value::String(s) => Ok(s),
        other => Err(Error::from(format!("expected a string, got {other}"))),
    };
    let strings = |v: Value| match v {
        Value::Array(a) => a.into_iter().map(string).collect::<Result<Vec<_>, _>>(),
        _ => Err("expected an array".into()),
    };
    let blob =
        |s: String| -> Result<Blob, Error> { Ok(Blob::new(aws_smithy_types::base64::decode(s)?)) };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(string(v)?),
        "N" => AttributeValue::N(string(v)?),
        "B" => AttributeValue::B(blob(string(v)?)?),
        "BOOL" => AttributeValue::Bool(v.as_bool().ok_or("BOOL is not a boolean")?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings(v)?),
        "NS" => AttributeValue::Ns(strings(v)?),
        "BS" => AttributeValue::Bs(
            strings(v)?
                .into_iter()
                .map(blob)
                .collect::<Result<_, _>>()?,
        ),
        "L" => match v {
            Value::Array(a) => {
                AttributeValue::L(a.into_iter().map(attr).collect::<Result<_, _>>()?)
            }
            _ => return Err("L is not an array".into()),
        },
        "M" => AttributeValue::M(item(v)?),
        other => return Err(format!("unknown type tag {other}").into()),
    })
}

fn item(v: Value) -> Result<HashMap<String, AttributeValue>, Error> {
    let Value::Object(m) = v else {
        return Err("item is not an object".into());
    };
    m.into_iter().map(|(k, v)| Ok((k, attr(v)?))).collect()
}

/// Reads the file on a blocking thread (one line at a time), sends groups of
/// 25 puts to the writers; `concurrency` batches in flight, each a spawned
/// task so both runtime threads share the HTTP work.
async fn write_file(
    client: Client,
    table: &str,
    file: &str,
    concurrency: usize,
) -> Result<(), Error> {
    let began = Instant::now();
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<WriteRequest>>(concurrency * 2);
    let path = file.to_string();
    let reader = tokio::task::spawn_blocking(move || -> Result<u64, Error> {
        let mut lines = BufReader::with_capacity(1 << 16, std::fs::File::open(&path)?);
        let mut line = String::new();
        let mut batch = Vec::with_capacity(25);
        let mut n = 0u64;
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                break;
            }
            if line.trim().is_empty() {
                continue;
            }
            let it = item(serde_json::from_str(&line)?)?;
            batch.push(
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(it)).build()?)
                    .build(),
            );
            n += 1;
            if batch.len() == 25
                && tx
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(25)))
                    .is_err()
            {
                return Ok(n); // the writers stopped on an error
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(n)
    });

    let client = Arc::new(client);
    let table: Arc<str> = Arc::from(table);
    let batches =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
    let mut results = std::pin::pin!(
        batches
            .map(|batch| {
                let (client, table) = (client.clone(), table.clone());
                tokio::spawn(async move { write_batch(&client, &table, batch).await })
            })
            .buffer_unordered(concurrency)
    );
    let (mut written, mut retries) = (0u64, 0u64);
    while let Some(r) = results.next().await {
        let (n, r) = r??;
        written += n;
        retries += r;
    }
    let read = reader.await??;
    let secs = began.elapsed().as_secs_f64();
    if read != written {
        return Err(format!("read {read} items but wrote {written}").into());
    }
    println!(
        "items={written} secs={secs:.3} items_per_s={:.0} retries={retries} concurrency={concurrency}",
        written as f64 / secs
    );
    Ok(())
}

/// One BatchWriteItem, then again with what came back unprocessed (backoff
/// with jitter). Throttling errors are retried by the SDK's standard retry.
async fn write_batch(
    client: &Client,
    table: &str,
    mut reqs: Vec<WriteRequest>,
) -> Result<(u64, u64), Error> {
    let n = reqs.len() as u64;
    let mut retries = 0u64;
    loop {
        let out = client
            .batch_write_item()
            .request_items(table, reqs)
            .send()
            .await?;
        let left = out
            .unprocessed_items
            .and_then(|mut m| m.remove(table))
            .unwrap_or_default();
        if left.is_empty() {
            return Ok((n, retries));
        }
        if retries >= 10 {
            return Err(format!("{} items still unprocessed after 10 retries", left.len()).into());
        }
        let cap_ms = (50u64 << retries).min(5000);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
        let jitter = nanos % cap_ms.max(1);
        tokio::time::sleep(Duration::from_millis(jitter)).await;
        reqs = left;
        retries += 1;
    }
}
