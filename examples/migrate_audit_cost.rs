//! The measurement behind "Audit of bulk writes" in BENCHMARKS.md
//! (`scripts/bench/audit.sh`): how much recording every migrated item in
//! the audit log (before and after, buffered, flushed at the end) slows a
//! migration.
//!
//! ```sh
//! migrate_audit_cost --endpoint URL --items 20000 --runs 5
//! ```
//!
//! Creates a table of N demo-shaped items, then runs the same kind of
//! migration (every item's `note` set to a new value, so every run writes
//! every item) 2 x RUNS times, alternating audited and unaudited runs, and
//! prints the median of each and their ratio. Credentials and region come
//! from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use dyntui::app::audit::{AuditEntry, AuditLog, AuditWriter};
use dyntui::dynamo::client::KeyKind;
use dyntui::dynamo::client::{ConnectOptions, Dynamo};
use dyntui::dynamo::design::{KeyAttr, TableDesign};
use dyntui::dynamo::migrate::{self, RunOptions};
use dyntui::dynamo::{AttributeValue, Item};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let endpoint = arg("--endpoint").ok_or("--endpoint URL is required")?;
    let items: u32 = arg("--items").map_or(Ok(20_000), |v| v.parse())?;
    let runs: u32 = arg("--runs").map_or(Ok(5), |v| v.parse())?;
    let db = Dynamo::connect(&ConnectOptions {
        endpoint_url: Some(endpoint),
        ..ConnectOptions::default()
    })
    .await?;
    let table = format!("audit-bench-{}", std::process::id());
    let key = |name: &str| KeyAttr {
        name: name.into(),
        kind: KeyKind::S,
    };
    TableDesign {
        name: table.clone(),
        partition_key: key("PK"),
        sort_key: Some(key("SK")),
        provisioned: None,
        ttl_attribute: None,
        stream: None,
        gsis: Vec::new(),
        lsis: Vec::new(),
    }
    .create(&db)
    .await?;
    let all: Vec<Item> = (0..items)
        .map(|i| {
            let s = |v: String| AttributeValue::S(v);
            Item::from([
                ("PK".to_string(), s(format!("CUSTOMER#c{i:06}"))),
                ("SK".to_string(), s(format!("ORDER#o{i:06}"))),
                ("Type".to_string(), s("Order".into())),
                ("status".to_string(), s("OPEN".into())),
                ("amount".to_string(), AttributeValue::N(format!("{i}.25"))),
                ("note".to_string(), s("none".into())),
                (
                    "address".to_string(),
                    s("12 Main Street, Springfield".into()),
                ),
            ])
        })
        .collect();
    for chunk in all.chunks(25) {
        let mut reqs: Vec<WriteRequest> = chunk
            .iter()
            .map(|it| {
                Ok::<_, Error>(
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(it.clone())).build()?)
                        .build(),
                )
            })
            .collect::<Result<_, _>>()?;
        while !reqs.is_empty() {
            let out = db
                .client()
                .batch_write_item()
                .request_items(&table, reqs)
                .send()
                .await?;
            reqs = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&table))
                .unwrap_or_default();
        }
    }
    let info = db.describe(&table).await?;
    let dir = tempfile::tempdir()?;
    let log = AuditLog::at(&dir.path().join("audit.jsonl"));
    let (mut plain, mut audited) = (Vec::new(), Vec::new());
    for r in 0..runs * 2 {
        let text = format!(
            "[select]\ntype = \"Order\"\n[[op]]\nset = {{ attribute = \"note\", template = \"run {r}\" }}\n"
        );
        let file = dir.path().join(format!("{:03}_note.toml", r + 1));
        std::fs::write(&file, text)?;
        let m = migrate::load_dir(dir.path())
            .map_err(|e| format!("{e:?}"))?
            .into_iter()
            .find(|m| m.path == file)
            .ok_or("the migration file")?;
        let with_audit = r % 2 == 1;
        let mut opts = RunOptions {
            segments: 4,
            ..RunOptions::default()
        };
        let writer = if with_audit {
            let w = Arc::new(AuditWriter::open(&log)?);
            let (w2, ctx, info2) = (w.clone(), db.context().clone(), info.clone());
            opts.on_write = Some(Arc::new(move |run, before, after| {
                w2.write(&AuditEntry::bulk_item(
                    &ctx, &info2, "migrate", run, before, after,
                ));
            }));
            Some(w)
        } else {
            None
        };
        let began = Instant::now();
        let report = migrate::run(&db, &info, &m, &opts, Arc::new(AtomicBool::new(false))).await?;
        if let Some(w) = writer {
            w.finish()?;
        }
        let took = began.elapsed();
        if report.counts.changed != u64::from(items) {
            return Err(format!("run {r} changed {} items", report.counts.changed).into());
        }
        eprintln!(
            "run {r}: {} {:.2} s",
            if with_audit { "audited  " } else { "unaudited" },
            took.as_secs_f64()
        );
        if with_audit {
            audited.push(took);
        } else {
            plain.push(took);
        }
    }
    db.client().delete_table().table_name(&table).send().await?;
    let (p, a) = (median(plain), median(audited));
    println!(
        "items={items} runs={runs} unaudited_s={:.2} audited_s={:.2} overhead_pct={:.1} audit_log_bytes={}",
        p.as_secs_f64(),
        a.as_secs_f64(),
        (a.as_secs_f64() / p.as_secs_f64() - 1.0) * 100.0,
        std::fs::metadata(&log.path).map(|m| m.len()).unwrap_or(0)
    );
    Ok(())
}
