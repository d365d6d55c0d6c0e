//! The baseline for `scripts/bench/export.sh`: a minimal parallel Scan that
//! reads every item of a table and does nothing else (it counts them), to
//! measure what the endpoint can deliver. `dyntui export` does the same
//! reads and also writes every item as DynamoDB JSON.
//!
//! ```sh
//! min_parallel_scan --endpoint URL --table T --segments 4
//! # prints `items=.. secs=.. items_per_s=..`
//! ```
//!
//! Credentials and region come from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut endpoint = None;
    let mut table = None;
    let mut segments = 4i32;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => endpoint = Some(value()?),
            "--table" => table = Some(value()?),
            "--segments" => segments = value()?.parse::<i32>()?.max(1),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let endpoint = endpoint.ok_or("--endpoint URL is required")?;
    let table = table.ok_or("--table T is required")?;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let client = Client::new(&config);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for seg in 0..segments {
        let client = client.clone();
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut start = None;
            loop {
                let out = client
                    .scan()
                    .table_name(&table)
                    .segment(seg)
                    .total_segments(segments)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await?;
                n += out.items().len() as u64;
                match out.last_evaluated_key {
                    Some(k) if !k.is_empty() => start = Some(k),
                    _ => return Ok::<u64, Error>(n),
                }
            }
        }));
    }
    let mut items = 0;
    for t in tasks {
        items += t.await??;
    }
    let secs = began.elapsed().as_secs_f64();
    println!(
        "items={items} secs={secs:.3} items_per_s={:.0}",
        items as f64 / secs
    );
    Ok(())
}
