//! Command line: the TUI by default, headless subcommands beside it. Both
//! call the same functions in `crate::dynamo`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::config::{Project, demo_project};
use crate::dynamo::client::{ConnectOptions, Dynamo};
use crate::dynamo::error::AwsError;
use crate::dynamo::request::{Filter, ItemsRequest, RequestKind, SortCondition};
use crate::dynamo::seed::{Progress, WriteOptions, write_all};
use crate::dynamo::{Item, demo, value};

#[derive(Debug, Parser)]
#[command(
    name = "dyntui",
    version,
    about = "A terminal UI for Amazon DynamoDB single-table designs",
    long_about = "A terminal UI for Amazon DynamoDB single-table designs.\n\nWith no subcommand, opens the TUI (on --table's items when given)."
)]
pub struct Cli {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Project file (default: dyntui.toml in this directory or a parent).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Open this table's items directly.
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// Log file (default: $XDG_STATE_HOME/dyntui/dyntui.log). Level from DYNTUI_LOG.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ConnArgs {
    /// AWS profile (from ~/.aws/config); default: the SDK's chain.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region.
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Endpoint URL, e.g. http://127.0.0.1:8000 for DynamoDB Local
    /// (AWS_ENDPOINT_URL is honoured too).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl ConnArgs {
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Aligned text for people.
    Text,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List tables.
    Tables {
        #[arg(long, short, value_enum, default_value = "text")]
        output: Output,
    },
    /// Describe a table: keys, indexes, billing, counts, stream, TTL, PITR.
    Describe {
        #[arg(long, short = 't')]
        table: String,
    },
    /// Scan a table or index, printing items (all pages unless --max-items).
    Scan {
        #[arg(long, short = 't')]
        table: String,
        #[command(flatten)]
        items: ItemsArgs,
    },
    /// Query a table or index by partition key, with an optional sort-key condition.
    Query {
        #[arg(long, short = 't')]
        table: String,
        /// Partition key value (typed by the key's schema).
        #[arg(long)]
        pk: String,
        /// Sort-key condition: `=V`, `<V`, `<=V`, `>V`, `>=V`, `begins_with:V`, `between:A,B`.
        #[arg(long, value_name = "COND")]
        sk: Option<String>,
        /// Newest (highest sort key) first.
        #[arg(long)]
        desc: bool,
        #[command(flatten)]
        items: ItemsArgs,
    },
    /// Get one item by its key (plain or DynamoDB JSON).
    Get {
        #[arg(long, short = 't')]
        table: String,
        /// e.g. '{"PK":"CUSTOMER#c00001","SK":"CUSTOMER#c00001"}'
        #[arg(long)]
        key: String,
        /// Print DynamoDB JSON (with types) instead of plain JSON.
        #[arg(long)]
        dynamo_json: bool,
    },
    /// Load seed data. `seed demo` creates and fills the demo table.
    Seed {
        /// Seed set name (`demo`).
        set: String,
        /// Target table (default: the design's table name).
        #[arg(long, short = 't')]
        table: Option<String>,
        /// Seed number for deterministic generation.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Batches in flight.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
}

#[derive(Debug, Args, Clone)]
pub struct ItemsArgs {
    /// Global or local secondary index.
    #[arg(long, short = 'i')]
    pub index: Option<String>,
    /// Server-side filter, e.g. `status = SHIPPED and total > 100`.
    #[arg(long, short = 'f')]
    pub filter: Option<String>,
    /// Stop after this many items.
    #[arg(long)]
    pub max_items: Option<usize>,
    /// Items per request (DynamoDB Limit).
    #[arg(long)]
    pub page_size: Option<i32>,
    #[arg(long, short, value_enum, default_value = "jsonl")]
    pub output: Output,
    /// Print DynamoDB JSON (with types) instead of plain JSON.
    #[arg(long)]
    pub dynamo_json: bool,
}

/// A headless command's failure, printed as `error: ...` with exit code 1.
pub fn report(e: &anyhow::Error) -> String {
    format!("error: {e:#}")
}

fn aws(e: AwsError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Loads the project file: `--config`, else `dyntui.toml` upwards.
pub fn load_project(explicit: Option<&PathBuf>) -> anyhow::Result<Project> {
    let path = match explicit {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir().ok().and_then(|d| Project::find(&d)),
    };
    match path {
        Some(p) => Ok(Project::load(&p)?),
        None => Ok(Project::default()),
    }
}

/// Runs a headless subcommand.
pub async fn run_command(cmd: Command, conn: &ConnArgs, project: &Project) -> anyhow::Result<()> {
    let db = Dynamo::connect(&conn.options()).await.map_err(aws)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cmd {
        Command::Tables { output } => {
            let names = db.list_tables().await.map_err(aws)?;
            match output {
                Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(&names)?)?,
                Output::Jsonl => {
                    for n in &names {
                        writeln!(out, "{}", serde_json::to_string(n)?)?;
                    }
                }
                Output::Text => {
                    for n in &names {
                        writeln!(out, "{n}")?;
                    }
                }
            }
        }
        Command::Describe { table } => {
            let info = db.describe(&table).await.map_err(aws)?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&describe_json(&info))?
            )?;
        }
        Command::Scan { table, items } => {
            let req = items_request(&table, &items, RequestKind::Scan, true)?;
            stream_items(&db, &req, &items, &mut out).await?;
        }
        Command::Query {
            table,
            pk,
            sk,
            desc,
            items,
        } => {
            let info = db.describe(&table).await.map_err(aws)?;
            let (pk_def, sk_def) = info.keys_of(items.index.as_deref()).ok_or_else(|| {
                anyhow::anyhow!(
                    "table `{table}` has no index `{}`",
                    items.index.as_deref().unwrap_or("")
                )
            })?;
            let pk_val = super::state::typed_value(&pk, &pk_def.kind)
                .map_err(|e| anyhow::anyhow!("--pk: {e}"))?;
            let sort = match sk {
                None => None,
                Some(cond) => {
                    let sk_def = sk_def.ok_or_else(|| {
                        anyhow::anyhow!("--sk: the table or index has no sort key")
                    })?;
                    Some((
                        sk_def.name.clone(),
                        parse_sort_condition(&cond, &sk_def.kind)
                            .map_err(|e| anyhow::anyhow!("--sk: {e}"))?,
                    ))
                }
            };
            let kind = RequestKind::Query {
                pk_name: pk_def.name.clone(),
                pk: pk_val,
                sort,
            };
            let req = items_request(&table, &items, kind, !desc)?;
            stream_items(&db, &req, &items, &mut out).await?;
        }
        Command::Get {
            table,
            key,
            dynamo_json,
        } => {
            let v: serde_json::Value = serde_json::from_str(&key)
                .map_err(|e| anyhow::anyhow!("--key is not JSON: {e}"))?;
            let (key, _) = value::item_from_json(&v).map_err(|e| anyhow::anyhow!("--key {e}"))?;
            match db.get_item(&table, key).await.map_err(aws)? {
                Some(item) => writeln!(out, "{}", item_json(&item, dynamo_json))?,
                None => anyhow::bail!("no item with that key in `{table}`"),
            }
        }
        Command::Seed {
            set,
            table,
            seed,
            concurrency,
        } => {
            drop(out);
            seed_command(&db, project, &set, table, seed, concurrency).await?;
            return Ok(());
        }
    }
    out.flush()?;
    Ok(())
}

/// `=V`, `<V`, `<=V`, `>V`, `>=V`, `begins_with:V`, `between:A,B`.
pub fn parse_sort_condition(s: &str, kind: &str) -> Result<SortCondition, String> {
    let tv = |v: &str| super::state::typed_value(v, kind);
    if let Some(v) = s.strip_prefix("begins_with:") {
        return Ok(SortCondition::BeginsWith(tv(v)?));
    }
    if let Some(v) = s.strip_prefix("between:") {
        let (a, b) = v
            .split_once(',')
            .ok_or("between needs two values: between:A,B")?;
        return Ok(SortCondition::Between(tv(a)?, tv(b)?));
    }
    for (p, op) in [
        ("<=", "<="),
        (">=", ">="),
        ("<", "<"),
        (">", ">"),
        ("=", "="),
    ] {
        if let Some(v) = s.strip_prefix(p) {
            return SortCondition::from_op(op, tv(v)?, None);
        }
    }
    Err(format!(
        "`{s}` is not a sort-key condition (use =V, <V, <=V, >V, >=V, begins_with:V, between:A,B)"
    ))
}

fn items_request(
    table: &str,
    a: &ItemsArgs,
    kind: RequestKind,
    forward: bool,
) -> anyhow::Result<ItemsRequest> {
    Ok(ItemsRequest {
        table: table.to_string(),
        index: a.index.clone(),
        kind,
        filter: a
            .filter
            .as_deref()
            .map(Filter::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--filter: {e}"))?,
        page_size: a.page_size,
        forward,
        projection: Vec::new(),
    })
}

fn item_json(item: &Item, dynamo: bool) -> String {
    let v = if dynamo {
        value::item_to_dynamo(item)
    } else {
        value::item_to_plain(item)
    };
    serde_json::to_string(&v).unwrap_or_default()
}

/// Streams every page to `out` (memory stays flat whatever the table size).
async fn stream_items(
    db: &Dynamo,
    req: &ItemsRequest,
    a: &ItemsArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut start = None;
    let mut n = 0usize;
    let max = a.max_items.unwrap_or(usize::MAX);
    if req.is_scan() {
        tracing::info!(table = %req.table, "headless scan: reads every item");
    }
    if a.output == Output::Json {
        write!(out, "[")?;
    }
    'pages: loop {
        let page = db.fetch_page(req, start.take()).await.map_err(aws)?;
        for item in &page.items {
            if n >= max {
                break 'pages;
            }
            let line = match a.output {
                Output::Text => value::ordered_names(item, &[])
                    .into_iter()
                    .filter_map(|k| {
                        item.get(k)
                            .map(|v| format!("{k}={}", value::cell_text(v, 80)))
                    })
                    .collect::<Vec<_>>()
                    .join("  "),
                _ => item_json(item, a.dynamo_json),
            };
            if a.output == Output::Json && n > 0 {
                write!(out, ",")?;
            }
            if a.output == Output::Json {
                write!(out, "\n{line}")?;
            } else {
                writeln!(out, "{line}")?;
            }
            n += 1;
        }
        match page.next {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    if a.output == Output::Json {
        writeln!(out, "\n]")?;
    }
    Ok(())
}

fn describe_json(info: &crate::dynamo::client::TableInfo) -> serde_json::Value {
    let key =
        |k: &crate::dynamo::client::KeyDef| serde_json::json!({"name": k.name, "type": k.kind});
    serde_json::json!({
        "name": info.name,
        "status": info.status,
        "partitionKey": info.pk.as_ref().map(key),
        "sortKey": info.sk.as_ref().map(key),
        "billingMode": info.billing_mode,
        "provisioned": info.capacity.map(|(r, w)| serde_json::json!({"read": r, "write": w})),
        "onDemandMax": info.on_demand_max.map(|(r, w)| serde_json::json!({"read": r, "write": w})),
        "itemCount": info.item_count,
        "sizeBytes": info.size_bytes,
        "stream": info.stream,
        "ttl": info.ttl,
        "pitr": info.pitr,
        "deletionProtection": info.deletion_protection,
        "created": info.created,
        "indexes": info.indexes.iter().map(|i| serde_json::json!({
            "name": i.name,
            "kind": if i.global { "GSI" } else { "LSI" },
            "partitionKey": key(&i.pk),
            "sortKey": i.sk.as_ref().map(key),
            "projection": i.projection,
            "status": i.status,
            "itemCount": i.item_count,
        })).collect::<Vec<_>>(),
    })
}

/// `dyntui seed demo`: creates the demo table when missing and writes the
/// generated items (idempotent puts: running it again leaves the same data).
pub async fn seed_command(
    db: &Dynamo,
    project: &Project,
    set: &str,
    table: Option<String>,
    seed: u64,
    concurrency: usize,
) -> anyhow::Result<()> {
    if set != "demo" {
        anyhow::bail!("unknown seed set `{set}` (available: demo)");
    }
    let demo = demo_project()?;
    // The demo set always uses the demo design; other sets (declared in the
    // project file) arrive with the seeding work.
    let _ = project;
    let mut design = demo
        .tables
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the demo project has no table design"))?;
    if let Some(t) = table {
        design.name = t;
    }
    let exists = db.list_tables().await.map_err(aws)?.contains(&design.name);
    if !exists {
        eprintln!("creating table {} ...", design.name);
        design.create(db).await.map_err(aws)?;
    }
    let items = demo::generate(seed, demo::DemoSize::default());
    let total = items.len() as u64;
    eprintln!("writing {total} items to {} ...", design.name);
    let progress = Arc::new(Progress::default());
    let opts = WriteOptions {
        concurrency,
        ..WriteOptions::default()
    };
    let watcher = {
        let p = progress.clone();
        let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(if tty {
                    200
                } else {
                    2000
                }))
                .await;
                let w = p.written.load(Ordering::Relaxed);
                if tty {
                    eprint!("\r  {w}/{total} items");
                } else {
                    eprintln!("  {w}/{total} items");
                }
            }
        })
    };
    let r = write_all(db, &design.name, items, &opts, progress).await;
    watcher.abort();
    let report = r.map_err(aws)?;
    eprintln!(
        "\rwrote {} items to {} in {} ms ({} retries, {} throttled requests)",
        report.written, design.name, report.elapsed_ms, report.retries, report.throttles
    );
    Ok(())
}
