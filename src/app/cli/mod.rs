//! Command line: the TUI by default, headless subcommands beside it. Both
//! call the same functions in `crate::dynamo`.

pub mod complete;
pub mod diagnose;
pub mod edit;
pub mod explain;
pub mod export;
pub mod load;
pub mod migrate;
pub mod native;
pub mod seed;
pub mod tail;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::config::Project;
use crate::dynamo::client::{ConnectOptions, Dynamo, Timeouts, parse_timeout};
use crate::dynamo::error::AwsError;
use crate::dynamo::pages::{ReadBudget, ReadTotals, Stop};
use crate::dynamo::request::{Filter, ItemsRequest, RequestKind, SortText, query_of_text};
use crate::dynamo::{Item, value};

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
    /// Open a saved metrics snapshot (`dyntui diagnose --save`) in the metrics view.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// The endpoint is the demo's in-memory DynamoDB Local (`scripts/demo.sh`):
    /// quitting asks first, and keeping it running writes this file.
    #[arg(long, value_name = "KEEP_FILE", hide = true)]
    pub in_memory_demo: Option<PathBuf>,
    /// Errors also print the AWS SDK's own error chain.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
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
    #[arg(long, global = true, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint_url: Option<String>,
    /// S3's endpoint for native exports and imports and `s3://` sources,
    /// e.g. moto's (default: --endpoint-url when given, else AWS;
    /// AWS_ENDPOINT_URL_S3 is honoured too). Addressed path-style.
    #[arg(long, global = true, value_name = "URL", env = "DYNTUI_S3_ENDPOINT", value_parser = parse_endpoint)]
    pub s3_endpoint: Option<String>,
    /// Refuse every write (editing, seeding, migrations, imports), in the
    /// TUI and in commands.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// How long to wait for a connection to the endpoint (seconds, or e.g.
    /// 500ms) [default: 3]
    #[arg(long, global = true, value_name = "SECS", env = "DYNTUI_CONNECT_TIMEOUT", value_parser = parse_timeout)]
    pub connect_timeout: Option<Duration>,
    /// How long one try of a request may wait for its response [default: 10]
    #[arg(long, global = true, value_name = "SECS", env = "DYNTUI_ATTEMPT_TIMEOUT", value_parser = parse_timeout)]
    pub attempt_timeout: Option<Duration>,
    /// How long a request may take with its retries [default: 30]
    #[arg(long, global = true, value_name = "SECS", env = "DYNTUI_OPERATION_TIMEOUT", value_parser = parse_timeout)]
    pub operation_timeout: Option<Duration>,
}

impl ConnArgs {
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            s3_endpoint: self.s3_endpoint.clone(),
            timeouts: self.timeouts(),
        }
    }

    /// The timeouts given, the defaults for the rest.
    pub fn timeouts(&self) -> Timeouts {
        let d = Timeouts::default();
        Timeouts {
            connect: self.connect_timeout.unwrap_or(d.connect),
            attempt: self.attempt_timeout.unwrap_or(d.attempt),
            operation: self.operation_timeout.unwrap_or(d.operation),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    /// One JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Aligned columns for people.
    #[value(alias = "text")]
    Table,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List tables.
    Tables {
        #[arg(long, short, value_enum, default_value = "table")]
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
        #[command(flatten)]
        explain: crate::app::cli::explain::ExplainArgs,
    },
    /// Run a saved access pattern (`dyntui query customer-orders --param customerId=c00001`),
    /// or an ad-hoc query by partition key (`--pk`, optional `--sk`).
    Query {
        /// A saved access pattern (see `dyntui patterns list`).
        pattern: Option<String>,
        /// Table (default: the project's default_table).
        #[arg(long, short = 't')]
        table: Option<String>,
        /// Pattern parameter, repeatable.
        #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Partition key value (ad-hoc query; typed by the key's schema).
        #[arg(long)]
        pk: Option<String>,
        /// Sort-key condition: `=V`, `<V`, `<=V`, `>V`, `>=V`, `begins_with:V`, `between:A,B`.
        #[arg(long, value_name = "COND")]
        sk: Option<String>,
        /// Newest (highest sort key) first.
        #[arg(long)]
        desc: bool,
        /// Every page (default: the first page with items, then the next
        /// page's cursor on stderr).
        #[arg(long)]
        all: bool,
        /// Continue after the cursor a previous run printed.
        #[arg(long)]
        cursor: Option<String>,
        #[command(flatten)]
        explain: crate::app::cli::explain::ExplainArgs,
        #[command(flatten)]
        items: ItemsArgs,
        #[command(flatten)]
        budget: ReadBudgetArgs,
    },
    /// Saved access patterns: list them, or check them all against a table.
    Patterns {
        #[command(subcommand)]
        command: PatternsCommand,
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
        /// Also print, on stderr, the item's size by DynamoDB's rules, its
        /// share of the 400 KB limit, and its read and write units (with a
        /// write to each GSI it is in).
        #[arg(long)]
        size: bool,
    },
    /// Seed dev data: `dyntui seed <set>` (files or generators from dyntui.toml,
    /// or the built-in `demo`), `--list`, and `--reset <set>` to remove exactly
    /// what a set wrote.
    Seed(crate::app::cli::seed::SeedArgs),
    /// Write-load drill: `--rate` updates a second on existing items, a
    /// `--hot-share` of them on one partition (ADD to a counter, never
    /// creating items), to rehearse hot-key alerts on a test table.
    Load(crate::app::cli::load::LoadArgs),
    /// On-call diagnosis of throttling: alerts and key figures from CloudWatch
    /// and Contributor Insights (or a snapshot). Exit code: 0 ok, 2 warning, 3 critical.
    Diagnose(crate::app::cli::diagnose::DiagnoseArgs),
    /// Follow a table's changes as they happen (its DynamoDB Stream),
    /// decoded by entity: `dyntui tail -t T --type Order --for 60s -o jsonl`.
    Tail(crate::app::cli::tail::TailArgs),
    /// Data migrations: `dyntui migrate status|up|run <id>` from
    /// `migrations/NNN_name.toml` files, with a ledger in the table.
    Migrate(crate::app::cli::migrate::MigrateArgs),
    /// Put an item (JSON from FILE or stdin): creates it, or replaces the item
    /// at its key only if it is as you last saw it (its entity's version
    /// attribute, or --expect), after showing the diff.
    Put {
        #[arg(long, short = 't')]
        table: String,
        /// JSON file (plain or DynamoDB JSON); `-` or none: stdin.
        file: Option<PathBuf>,
        /// The item as you last read it (e.g. saved from `dyntui get`): the
        /// put happens only if the item is still exactly that; otherwise the
        /// changes made since are shown and your change is re-applied onto
        /// them.
        #[arg(long, value_name = "FILE", conflicts_with = "overwrite")]
        expect: Option<PathBuf>,
        /// Replace whatever item is at the key now, without checking what
        /// changed since you read it.
        #[arg(long)]
        overwrite: bool,
        #[command(flatten)]
        write: crate::app::cli::edit::WriteArgs,
    },
    /// Edit an item in $EDITOR; shows the diff and writes conditionally.
    Edit {
        #[arg(long, short = 't')]
        table: String,
        /// e.g. '{"PK":"CUSTOMER#c00001","SK":"CUSTOMER#c00001"}'
        #[arg(long)]
        key: String,
        #[command(flatten)]
        write: crate::app::cli::edit::WriteArgs,
    },
    /// Set string or number attributes of an item: `dyntui set -t T --key K tier=gold`.
    Set {
        #[arg(long, short = 't')]
        table: String,
        #[arg(long)]
        key: String,
        /// NAME=VALUE (a number attribute stays a number).
        #[arg(required = true)]
        assignments: Vec<String>,
        #[command(flatten)]
        write: crate::app::cli::edit::WriteArgs,
    },
    /// Delete an item, conditional on it being as read.
    Delete {
        #[arg(long, short = 't')]
        table: String,
        #[arg(long)]
        key: String,
        #[command(flatten)]
        write: crate::app::cli::edit::WriteArgs,
    },
    /// The local audit log of writes made with dyntui.
    Audit {
        /// How many of the latest entries.
        #[arg(long, short = 'n', default_value_t = 50)]
        limit: usize,
        /// One JSON object per line (with the items before and after).
        #[arg(long)]
        json: bool,
    },
    /// AWS profiles (contexts) from ~/.aws/config and ~/.aws/credentials.
    Profiles,
    /// Write a project file (dyntui.toml) learned from a table's items:
    /// entity types, key templates, usual columns, the table design and an
    /// example access pattern per index. Never replaces a file without --force.
    Init {
        #[arg(long, short = 't')]
        table: String,
        /// Where to write it.
        #[arg(long, default_value = "dyntui.toml")]
        out: PathBuf,
        /// How many items to read.
        #[arg(long, default_value_t = crate::app::project::init::DEFAULT_SAMPLE)]
        sample: usize,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
        /// Print the file to stdout instead of writing it.
        #[arg(long)]
        print: bool,
    },
    /// Export a table, a pattern's items, a type or a filter to a file:
    /// DynamoDB JSON lines (every type exact), plain JSON or CSV; a parallel
    /// Scan with flat memory, ending with an end marker import checks.
    ///
    /// With --s3 s3://bucket/prefix: DynamoDB's own export
    /// (ExportTableToPointInTime) of the whole table into S3, reading no
    /// capacity; point-in-time recovery must be on (offered when off).
    Export(crate::app::cli::export::ExportArgs),
    /// List a table's native exports to S3, newest first, or describe
    /// (and --follow) one: `dyntui exports describe ARN --follow`.
    Exports(crate::app::cli::native::ExportsArgs),
    /// Import a file written by `dyntui export` (validated first, batched,
    /// resumable); a truncated file is refused.
    ///
    /// An s3://bucket/prefix source is read here and written with
    /// BatchWriteItem (into an existing table, or one created from the
    /// design); with --native, DynamoDB's ImportTable creates the table
    /// (which must not exist) and loads it without using write capacity.
    Import(crate::app::cli::export::ImportArgs),
    /// Copy items between tables and connections (e.g. a slice of production
    /// into DynamoDB Local), optionally redacting personal data.
    Copy(Box<crate::app::cli::export::CopyArgs>),
    /// Print a shell completion script (`dyntui completions bash > ...`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `dyntui man | man -l -`.
    Man,
    /// Names for the bash and zsh completion scripts (tables, patterns,
    /// profiles), one a line; nothing when they cannot be had.
    #[command(hide = true)]
    Complete {
        #[arg(value_enum)]
        names: crate::app::cli::complete::Names,
    },
}

#[derive(Debug, Subcommand)]
pub enum PatternsCommand {
    /// List the project's patterns.
    List {
        #[arg(long, short, value_enum, default_value = "table")]
        output: Output,
    },
    /// Run every pattern with its example parameters and report: passed,
    /// empty, wrong types returned, or error. Exits non-zero when any fails.
    Check {
        /// Table (default: the project's default_table).
        #[arg(long, short = 't')]
        table: Option<String>,
        /// Count a pattern that returns nothing as passed.
        #[arg(long)]
        allow_empty: bool,
        #[command(flatten)]
        budget: ReadBudgetArgs,
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

/// How much may be read past empty pages (a filter matched nothing on
/// them) looking for the first page with items.
#[derive(Debug, Args, Clone, Default)]
pub struct ReadBudgetArgs {
    /// Items DynamoDB may read (before the filter) looking for a page with
    /// items; the page that reaches it is the last read [default: 10000]
    #[arg(long, value_name = "ITEMS", env = "DYNTUI_READ_BUDGET", value_parser = clap::value_parser!(u64).range(1..))]
    pub read_budget: Option<u64>,
    /// Read capacity units that may be consumed looking for a page with
    /// items [default: no limit]
    #[arg(long, value_name = "RCU", env = "DYNTUI_READ_BUDGET_RCU", value_parser = parse_rcu)]
    pub read_budget_rcu: Option<f64>,
}

impl ReadBudgetArgs {
    pub fn budget(&self) -> ReadBudget {
        let d = ReadBudget::default();
        ReadBudget {
            items: self.read_budget.unwrap_or(d.items),
            capacity: self.read_budget_rcu.or(d.capacity),
        }
    }
}

fn parse_rcu(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a positive number of capacity units")),
    }
}

/// Says that the budget ran out before a page held items, and how to read
/// further.
pub fn budget_spent_text(budget: &ReadBudget, read: &ReadTotals) -> String {
    format!(
        "nothing found within the read budget of {budget} ({read}); raise it with --read-budget ITEMS{}",
        if budget.capacity.is_some() {
            " or --read-budget-rcu RCU"
        } else {
            ""
        }
    )
}

/// Writing a command's output failed because its reader closed the pipe
/// (`dyntui scan | head`).
#[derive(Debug, thiserror::Error)]
#[error("the reader of the output went away")]
pub struct OutputClosed;

/// A command's standard output: a closed pipe is reported as [`OutputClosed`]
/// (and not a broken pipe elsewhere, such as a migration script's).
struct CommandOutput<W>(W);

impl<W: Write> CommandOutput<W> {
    fn closed(e: std::io::Error) -> std::io::Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, OutputClosed)
        } else {
            e
        }
    }
}

impl<W: Write> Write for CommandOutput<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(Self::closed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(Self::closed)
    }
}

/// True when a command stopped because the reader of its output went away:
/// it exits quietly, as `head` expects.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<OutputClosed>()
            || c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.get_ref().is_some_and(|inner| inner.is::<OutputClosed>()))
    })
}

/// `--endpoint-url`: a URL with its scheme (`127.0.0.1:8000` is refused with
/// the `http://` it lacks named).
pub fn parse_endpoint(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty endpoint URL".into());
    }
    match s.split_once("://") {
        Some(("http" | "https", rest)) if !rest.is_empty() => Ok(s.to_string()),
        Some((scheme, _)) => Err(format!(
            "`{s}`: the scheme must be http or https, not `{scheme}` (e.g. http://127.0.0.1:8000)"
        )),
        None => Err(format!(
            "`{s}` has no scheme: write `http://{s}` (DynamoDB Local) or `https://{s}`"
        )),
    }
}

/// A headless command's failure, printed as `error: ...` with exit code 1.
pub fn report(e: &anyhow::Error) -> String {
    format!("error: {e:#}")
}

/// The table's description and the item's key, as `--key` gives it.
async fn item_target(
    db: &Dynamo,
    table: &str,
    key: &str,
) -> anyhow::Result<(crate::dynamo::client::TableInfo, Item)> {
    let info = describe(db, table).await?;
    let key = crate::app::cli::edit::parse_key(key)?;
    info.check_key(&key)
        .map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    Ok((info, key))
}

/// DescribeTable; a table that does not exist gets the nearest existing
/// name suggested (the list is read only then).
pub(crate) async fn describe(
    db: &Dynamo,
    table: &str,
) -> anyhow::Result<crate::dynamo::client::TableInfo> {
    match db.describe(table).await {
        Ok(info) => Ok(info),
        Err(e) if e.code == "ResourceNotFoundException" => {
            let names = db.list_tables().await.unwrap_or_default();
            let hint =
                crate::dynamo::suggest::did_you_mean(table, names.iter().map(String::as_str));
            Err(anyhow::anyhow!("{e}{hint}"))
        }
        Err(e) => Err(aws(e)),
    }
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

/// Runs a headless subcommand; returns the process exit code.
pub async fn run_command(cmd: Command, conn: &ConnArgs, project: &Project) -> anyhow::Result<u8> {
    // Reading a snapshot, the audit log or the profiles needs no connection.
    if let Command::Diagnose(args) = &cmd
        && args.snapshot.is_some()
    {
        return crate::app::cli::diagnose::run(None, project, args.clone()).await;
    }
    match &cmd {
        Command::Audit { limit, json } => {
            crate::app::cli::edit::audit(*limit, *json)?;
            return Ok(0);
        }
        Command::Profiles => {
            crate::app::cli::edit::profiles();
            return Ok(0);
        }
        Command::Completions { .. } | Command::Man | Command::Complete { .. } => {
            if let Some(done) = crate::app::cli::complete::run(&cmd, conn, None).await {
                return done;
            }
        }
        Command::Copy(args) => {
            return crate::app::cli::export::copy(
                &conn.options(),
                project,
                (**args).clone(),
                conn.read_only,
            )
            .await;
        }
        Command::Load(_) if conn.read_only => {
            anyhow::bail!("--read-only: dyntui load writes to the table; nothing done");
        }
        Command::Seed(_) | Command::Migrate(_) if conn.read_only => {
            let dry = matches!(&cmd, Command::Migrate(a) if a.dry_run || a.explain.is_some() || matches!(a.command, crate::app::cli::migrate::MigrateCommand::Status));
            let seed_list =
                matches!(&cmd, Command::Seed(a) if a.list || a.explain.explain.is_some());
            if !dry && !seed_list {
                anyhow::bail!("--read-only: this command writes; nothing done");
            }
        }
        _ => {}
    }
    let db = Dynamo::connect(&conn.options()).await.map_err(aws)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(CommandOutput(stdout.lock()));
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
                Output::Table => {
                    for n in &names {
                        writeln!(out, "{n}")?;
                    }
                }
            }
        }
        Command::Init {
            table,
            out: path,
            sample,
            force,
            print,
        } => {
            use crate::app::project::init;
            if !print && path.exists() && !force {
                return Err(init::InitError::Exists {
                    path: path.display().to_string(),
                }
                .into());
            }
            let info = describe(&db, &table).await?;
            let items = init::sample(&db, &table, sample).await.map_err(aws)?;
            let found = init::infer(&info, &items)?;
            if print {
                write!(out, "{}", found.text)?;
            } else {
                init::write_new(&path, &found.text, force)?;
                eprintln!("{}", found.summary(&path.display().to_string()));
            }
        }
        Command::Describe { table } => {
            let info = describe(&db, &table).await?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&describe_json(&info))?
            )?;
        }
        Command::Scan {
            table,
            items,
            explain,
        } => {
            let req = items_request(&table, &items, RequestKind::Scan, true)?;
            let settings = crate::app::cli::explain::settings()?;
            // The estimate needs DescribeTable; a run goes on without it
            // (a role allowed to Scan but not to describe), --explain not.
            let estimate = async {
                let info = describe(&db, &table).await?;
                let mut e = crate::dynamo::estimate::plan::read_estimate(
                    &db,
                    &info,
                    &req,
                    format!("Scan of {}", describe_target(&req)),
                    &settings.prices,
                )
                .await
                .map_err(aws)?;
                if let (Some(max), None) = (items.max_items, &req.filter) {
                    e.cap_items(max as u64);
                }
                anyhow::Ok(e)
            }
            .await;
            let estimate = match (explain.explain, estimate) {
                (Some(f), e) => {
                    crate::app::cli::explain::print(&mut out, f, &[e?], None)?;
                    return Ok(0);
                }
                (None, Ok(e)) => Some(e),
                (None, Err(e)) => {
                    tracing::info!("no estimate for the scan: {e:#}");
                    None
                }
            };
            // On a terminal only: `dyntui scan | head` keeps stderr quiet.
            if let Some(e) = &estimate
                && std::io::IsTerminal::is_terminal(&std::io::stderr())
            {
                eprintln!("estimate: {}", e.line());
            }
            let meter = crate::dynamo::meter::Meter::default();
            let metered = db.metered(&meter);
            stream_items(&metered, &req, &items, &mut out, None, Pages::All).await?;
            out.flush()?;
            let capped_by_filter = items.max_items.is_some() && req.filter.is_some();
            crate::app::cli::explain::report(
                &meter,
                match &estimate {
                    Some(e) if !capped_by_filter => std::slice::from_ref(e),
                    _ => &[],
                },
            );
        }
        Command::Query {
            pattern,
            table,
            params,
            pk,
            sk,
            desc,
            all,
            cursor,
            explain,
            items,
            budget,
        } => {
            let table = table_or_default(table, project)?;
            // Parameters are checked before any request is sent.
            let resolved = match &pattern {
                Some(name) => {
                    let names = || project.patterns.iter().map(|p| p.pattern.name.as_str());
                    let Some(saved) = project.pattern(name) else {
                        if pk.is_some() {
                            anyhow::bail!(
                                "`{name}` was taken as a saved pattern's name, and there is none{}; \
                                 for an ad-hoc query of a table, write `--table {name} --pk ...`",
                                crate::dynamo::suggest::did_you_mean(name, names())
                            );
                        }
                        anyhow::bail!(
                            "no pattern `{name}` in {}{} (see `dyntui patterns list`)",
                            project_name(project),
                            crate::dynamo::suggest::did_you_mean(name, names())
                        );
                    };
                    if pk.is_some() || sk.is_some() {
                        anyhow::bail!(
                            "--pk/--sk are for ad-hoc queries; pattern `{name}` has its own keys"
                        );
                    }
                    let given = parse_params(&params)?;
                    let known = saved.pattern.used_params();
                    if let Some(bad) = given.keys().find(|k| !known.contains(k)) {
                        anyhow::bail!(
                            "--param {bad}: pattern `{name}` has no such parameter{}; its parameters: {}",
                            crate::dynamo::suggest::did_you_mean(
                                bad,
                                known.iter().map(String::as_str)
                            ),
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        );
                    }
                    let values = saved.pattern.resolve(&given).map_err(|errs| {
                        anyhow::anyhow!(
                            "pattern `{name}`: {}",
                            errs.iter()
                                .map(|e| format!("--param {}: {}", e.param, e.message))
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    })?;
                    Some((saved, values))
                }
                None => None,
            };
            let info = describe(&db, &table).await?;
            let req = match (pattern, resolved) {
                (Some(name), Some((saved, values))) => {
                    for w in saved.pattern.fit(&info) {
                        eprintln!("warning: pattern `{name}` on table `{table}`: {w}");
                    }
                    let mut req = saved
                        .pattern
                        .compile(&table, &info, &values)
                        .map_err(|e| anyhow::anyhow!(e))?;
                    if req.is_scan() {
                        eprintln!(
                            "note: pattern `{name}` runs a SCAN of {table}: it reads every item"
                        );
                    }
                    if items.page_size.is_some() {
                        req.page_size = items.page_size;
                    }
                    if let Some(f) = &items.filter {
                        anyhow::bail!("--filter `{f}`: patterns carry their own filter");
                    }
                    req
                }
                _ => {
                    let pk = pk.ok_or_else(|| {
                        anyhow::anyhow!("give a pattern name, or --pk for an ad-hoc query")
                    })?;
                    let sort = sk
                        .as_deref()
                        .map(SortText::parse)
                        .transpose()
                        .map_err(|e| anyhow::anyhow!("--sk: {e}"))?;
                    let kind = query_of_text(&info, items.index.as_deref(), &pk, sort)
                        .map_err(|e| anyhow::anyhow!("--pk/--sk: {e}"))?;
                    items_request(&table, &items, kind, !desc)?
                }
            };
            let settings = crate::app::cli::explain::settings()?;
            let estimate = if explain.explain.is_some() || all {
                Some(
                    crate::dynamo::estimate::plan::read_estimate(
                        &db,
                        &info,
                        &req,
                        format!("Query of {}", describe_target(&req)),
                        &settings.prices,
                    )
                    .await
                    .map_err(aws)?,
                )
            } else {
                None
            };
            if let (Some(f), Some(e)) = (explain.explain, &estimate) {
                let mut e = e.clone();
                if !all {
                    e.notes.push(
                        "without --all the command prints the first page with items; this is the whole result"
                            .into(),
                    );
                }
                crate::app::cli::explain::print(
                    &mut out,
                    f,
                    &[e],
                    Some(("request", req.to_json_request())),
                )?;
                return Ok(0);
            }
            if let Some(e) = &estimate
                && std::io::IsTerminal::is_terminal(&std::io::stderr())
            {
                eprintln!("estimate: {}", e.line());
            }
            let meter = crate::dynamo::meter::Meter::default();
            let db = db.metered(&meter);
            let start = cursor.as_deref().map(decode_cursor).transpose()?;
            let pages = if all {
                Pages::All
            } else {
                Pages::FirstWithItems(budget.budget())
            };
            let next = stream_items(&db, &req, &items, &mut out, start, pages).await?;
            out.flush()?;
            if let Some(k) = next {
                eprintln!("next page: --cursor {}", encode_cursor(&k));
            }
            let whole = all && cursor.is_none() && items.max_items.is_none();
            crate::app::cli::explain::report(
                &meter,
                estimate
                    .as_slice()
                    .get(..usize::from(whole))
                    .unwrap_or_default(),
            );
        }
        Command::Patterns { command } => match command {
            PatternsCommand::List { output } => list_patterns(project, output, &mut out)?,
            PatternsCommand::Check {
                table,
                allow_empty,
                budget,
            } => {
                let table = table_or_default(table, project)?;
                out.flush()?;
                drop(out);
                check_patterns(&db, project, &table, allow_empty, budget.budget()).await?;
                return Ok(0);
            }
        },
        Command::Get {
            table,
            key,
            dynamo_json,
            size,
        } => {
            let (info, key) = item_target(&db, &table, &key).await?;
            match db.get_item(&table, key).await.map_err(aws)? {
                Some(item) => {
                    writeln!(out, "{}", item_json(&item, dynamo_json))?;
                    if size {
                        eprintln!("size: {}", crate::dynamo::size::summary(&item, Some(&info)));
                    }
                }
                None => anyhow::bail!("no item with that key in `{table}`"),
            }
        }
        Command::Seed(args) => {
            drop(out);
            return crate::app::cli::seed::run(&db, project, args).await;
        }
        Command::Load(args) => {
            drop(out);
            return crate::app::cli::load::run(&db, project, args, conn.read_only).await;
        }
        Command::Diagnose(args) => {
            drop(out);
            return crate::app::cli::diagnose::run(Some(&db), project, args).await;
        }
        Command::Tail(args) => {
            drop(out);
            return crate::app::cli::tail::run(&db, project, args, conn.read_only).await;
        }
        Command::Export(args) => {
            drop(out);
            return crate::app::cli::export::export(&db, project, args, conn.read_only).await;
        }
        Command::Exports(args) => {
            drop(out);
            return crate::app::cli::native::exports(&db, project, args).await;
        }
        Command::Import(args) => {
            drop(out);
            return crate::app::cli::export::import(&db, project, args, conn.read_only).await;
        }
        Command::Copy(_) => anyhow::bail!("copy connects on its own (handled above)"),
        Command::Migrate(args) => {
            drop(out);
            crate::app::cli::migrate::run(&db, project, args).await?;
            return Ok(0);
        }
        Command::Put {
            table,
            file,
            expect,
            overwrite,
            write,
        } => {
            let info = describe(&db, &table).await?;
            let mode = match (expect, overwrite) {
                (Some(f), _) => crate::app::cli::edit::PutMode::Expect(f),
                (None, true) => crate::app::cli::edit::PutMode::Overwrite,
                (None, false) => crate::app::cli::edit::PutMode::Seen,
            };
            crate::app::cli::edit::put(
                &db,
                project,
                &info,
                file.as_ref(),
                &mode,
                conn.read_only,
                &write,
            )
            .await?;
        }
        Command::Edit { table, key, write } => {
            let (info, key) = item_target(&db, &table, &key).await?;
            crate::app::cli::edit::edit_in_editor(
                &db,
                project,
                &info,
                &key,
                conn.read_only,
                &write,
            )
            .await?;
        }
        Command::Set {
            table,
            key,
            assignments,
            write,
        } => {
            let (info, key) = item_target(&db, &table, &key).await?;
            crate::app::cli::edit::set(
                &db,
                project,
                &info,
                &key,
                &assignments,
                conn.read_only,
                &write,
            )
            .await?;
        }
        Command::Delete { table, key, write } => {
            let (info, key) = item_target(&db, &table, &key).await?;
            crate::app::cli::edit::delete(&db, project, &info, &key, conn.read_only, &write)
                .await?;
        }
        Command::Audit { .. }
        | Command::Profiles
        | Command::Completions { .. }
        | Command::Man
        | Command::Complete { .. } => {}
    }
    out.flush()?;
    Ok(0)
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

/// `orders` or `orders (index GSI1)`.
fn describe_target(req: &ItemsRequest) -> String {
    match &req.index {
        Some(i) => format!("{} (index {i})", req.table),
        None => req.table.clone(),
    }
}

fn item_json(item: &Item, dynamo: bool) -> String {
    let v = if dynamo {
        value::item_to_dynamo(item)
    } else {
        value::item_to_plain(item)
    };
    serde_json::to_string(&v).unwrap_or_default()
}

/// Which pages a command prints.
#[derive(Debug, Clone, Copy)]
enum Pages {
    /// Every page.
    All,
    /// The first page that holds items, reading past empty ones within the
    /// budget.
    FirstWithItems(ReadBudget),
}

/// Writes items page by page to `out` (memory stays flat whatever the table
/// size). Returns the next page's start.
async fn stream_items(
    db: &Dynamo,
    req: &ItemsRequest,
    a: &ItemsArgs,
    out: &mut impl Write,
    mut start: Option<Item>,
    pages: Pages,
) -> anyhow::Result<Option<Item>> {
    let mut n = 0usize;
    let max = a.max_items.unwrap_or(usize::MAX);
    if req.is_scan() {
        tracing::info!(table = %req.table, "headless scan: reads every item");
    }
    if a.output == Output::Json {
        write!(out, "[")?;
    }
    let next = match pages {
        Pages::FirstWithItems(budget) => {
            let first = db
                .fetch_until_items(req, start, budget)
                .await
                .map_err(aws)?;
            write_items(&first.items, a, out, &mut n, max)?;
            if first.stop == Stop::Budget {
                eprintln!("{}", budget_spent_text(&budget, &first.read));
            } else if first.read.pages > 1 {
                eprintln!("{} to reach a page with items", first.read);
            }
            first.next
        }
        Pages::All => loop {
            let page = db.fetch_page(req, start.take()).await.map_err(aws)?;
            write_items(&page.items, a, out, &mut n, max)?;
            match page.next {
                Some(k) if n < max => start = Some(k),
                next => break next,
            }
        },
    };
    if a.output == Output::Json {
        writeln!(out, "\n]")?;
    }
    Ok(next)
}

/// Writes a page's items, at most `max` in all; `n` counts them.
fn write_items(
    items: &[Item],
    a: &ItemsArgs,
    out: &mut impl Write,
    n: &mut usize,
    max: usize,
) -> anyhow::Result<()> {
    let take = items.len().min(max - *n);
    if a.output == Output::Table {
        write_table(&items[..take], out)?;
        *n += take;
        return Ok(());
    }
    for item in &items[..take] {
        if a.output == Output::Json {
            write!(
                out,
                "{}\n{}",
                if *n > 0 { "," } else { "" },
                item_json(item, a.dynamo_json)
            )?;
        } else {
            writeln!(out, "{}", item_json(item, a.dynamo_json))?;
        }
        *n += 1;
    }
    Ok(())
}

/// Items as aligned columns: key attributes first, then the rest by name.
fn write_table(items: &[Item], out: &mut impl Write) -> anyhow::Result<()> {
    let mut cols: Vec<String> = Vec::new();
    for it in items {
        for k in value::ordered_names(it, &["PK", "SK", "Type"]) {
            if !cols.iter().any(|c| c == k) {
                cols.push(k.to_string());
            }
        }
    }
    let cells: Vec<Vec<String>> = items
        .iter()
        .map(|it| {
            cols.iter()
                .map(|c| {
                    it.get(c)
                        .map(|v| value::cell_text(v, 40))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: &[String]| {
        vals.iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    if !items.is_empty() {
        writeln!(out, "{}", line(&cols))?;
    }
    for r in &cells {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

/// A page cursor for the command line: base64 of the key's DynamoDB JSON.
pub fn encode_cursor(key: &Item) -> String {
    use base64::Engine;
    let json = serde_json::to_string(&value::item_to_dynamo(key)).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor(s: &str) -> anyhow::Result<Item> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .map_err(|e| anyhow::anyhow!("--cursor is not a cursor printed by dyntui: {e}"))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("--cursor is not a cursor printed by dyntui: {e}"))?;
    value::item_from_dynamo(&v).map_err(|e| anyhow::anyhow!("--cursor: {e}"))
}

/// `--table`, else the project's default table, else an error saying how to
/// give one.
pub(crate) fn table_or_default(table: Option<String>, project: &Project) -> anyhow::Result<String> {
    table
        .or_else(|| project.default_table.clone())
        .ok_or_else(|| {
            anyhow::anyhow!("no table: pass --table, or set [project] default_table in dyntui.toml")
        })
}

fn project_name(project: &Project) -> String {
    project
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the project (no dyntui.toml found; use --config)".into())
}

/// `name=value` pairs; the first `=` splits.
pub(crate) fn parse_params(
    params: &[String],
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for p in params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--param `{p}`: use NAME=VALUE"))?;
        if out.insert(k.trim().to_string(), v.to_string()).is_some() {
            anyhow::bail!("--param `{}` given twice", k.trim());
        }
    }
    Ok(out)
}

fn list_patterns(project: &Project, output: Output, out: &mut impl Write) -> anyhow::Result<()> {
    match output {
        Output::Table => {
            if project.patterns.is_empty() {
                writeln!(out, "no patterns in {}", project_name(project))?;
            }
            let w = project
                .patterns
                .iter()
                .map(|p| p.pattern.name.len())
                .max()
                .unwrap_or(0);
            for sp in &project.patterns {
                let p = &sp.pattern;
                let on = if p.needs_scan() {
                    format!("SCAN {}", p.index.as_deref().unwrap_or("table"))
                } else {
                    p.index.clone().unwrap_or_else(|| "table".into())
                };
                writeln!(out, "{:<w$}  {:<10}  {}", p.name, on, p.description)?;
            }
        }
        _ => {
            let v: Vec<serde_json::Value> = project
                .patterns
                .iter()
                .map(|sp| {
                    let p = &sp.pattern;
                    serde_json::json!({
                        "name": p.name,
                        "description": p.description,
                        "entity": p.entity,
                        "index": p.index,
                        "scan": p.needs_scan(),
                        "params": p.params.iter().map(|d| serde_json::json!({
                            "name": d.name,
                            "type": format!("{:?}", d.kind).to_lowercase(),
                            "default": d.default,
                            "example": d.example,
                        })).collect::<Vec<_>>(),
                        "file": sp.file,
                        "line": sp.line,
                    })
                })
                .collect();
            if output == Output::Json {
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                for x in v {
                    writeln!(out, "{}", serde_json::to_string(&x)?)?;
                }
            }
        }
    }
    Ok(())
}

/// The outcome of checking one pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckOutcome {
    /// The first page with items holds only the expected type.
    Passed {
        items: usize,
        read: ReadTotals,
    },
    /// Every page read was empty, to the end of the request.
    Empty {
        read: ReadTotals,
    },
    /// Every page read was empty and the read budget ran out: there may be
    /// items further on.
    OutOfBudget {
        read: ReadTotals,
        budget: ReadBudget,
    },
    WrongTypes {
        expected: String,
        found: Vec<String>,
    },
    Error(String),
}

/// Runs one pattern with its example parameters up to its first page with
/// items (reading past empty pages within `budget`).
pub async fn check_pattern(
    db: &Dynamo,
    project: &Project,
    table: &str,
    info: &crate::dynamo::client::TableInfo,
    pattern: &crate::dynamo::pattern::Pattern,
    budget: ReadBudget,
) -> CheckOutcome {
    let values = match pattern.resolve(&pattern.example_params()) {
        Ok(v) => v,
        Err(errs) => {
            return CheckOutcome::Error(
                errs.iter()
                    .map(|e| format!("{}: {}", e.param, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    };
    let req = match pattern.compile(table, info, &values) {
        Ok(r) => r,
        Err(e) => return CheckOutcome::Error(e),
    };
    let page = match db.fetch_until_items(&req, None, budget).await {
        Ok(p) => p,
        Err(e) => return CheckOutcome::Error(e.to_string()),
    };
    match page.stop {
        Stop::Items => {}
        Stop::End => return CheckOutcome::Empty { read: page.read },
        Stop::Budget => {
            return CheckOutcome::OutOfBudget {
                read: page.read,
                budget,
            };
        }
    }
    if let Some(expected) = &pattern.entity {
        let mut decoder = crate::dynamo::entity::Decoder::new(
            &project.decode,
            crate::dynamo::entity::TableKeys {
                pk: info.pk.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
                sk: info.sk.as_ref().map(|k| k.name.clone()),
                index_key_attrs: info.index_key_attrs(),
            },
        );
        let mut found: Vec<String> = Vec::new();
        for it in &page.items {
            let c = decoder.classify(it);
            let name = c
                .entity
                .map(|e| decoder.entity_name(e).to_string())
                .unwrap_or_else(|| "(untyped)".into());
            if &name != expected && !found.contains(&name) {
                found.push(name);
            }
        }
        if !found.is_empty() {
            return CheckOutcome::WrongTypes {
                expected: expected.clone(),
                found,
            };
        }
    }
    CheckOutcome::Passed {
        items: page.items.len(),
        read: page.read,
    }
}

/// The report line of one checked pattern, and whether it counts as passed.
pub fn check_line(name: &str, outcome: &CheckOutcome, allow_empty: bool) -> (bool, String) {
    match outcome {
        CheckOutcome::Passed { items, read } => {
            (true, format!("PASS   {name} ({items} items; {read})"))
        }
        CheckOutcome::Empty { read } => (
            allow_empty,
            format!("EMPTY  {name} (no items for the example parameters; {read})"),
        ),
        CheckOutcome::OutOfBudget { read, budget } => (
            allow_empty,
            format!("EMPTY  {name} ({})", budget_spent_text(budget, read)),
        ),
        CheckOutcome::WrongTypes { expected, found } => (
            false,
            format!(
                "TYPES  {name}: expected only {expected}, also got {}",
                found.join(", ")
            ),
        ),
        CheckOutcome::Error(e) => (false, format!("ERROR  {name}: {e}")),
    }
}

async fn check_patterns(
    db: &Dynamo,
    project: &Project,
    table: &str,
    allow_empty: bool,
    budget: ReadBudget,
) -> anyhow::Result<()> {
    if project.patterns.is_empty() {
        anyhow::bail!("no patterns to check in {}", project_name(project));
    }
    let info = describe(db, table).await?;
    let mut failed = 0;
    for sp in &project.patterns {
        let p = &sp.pattern;
        for w in p.fit(&info) {
            println!("WARN   {}: {w}", p.name);
        }
        let outcome = check_pattern(db, project, table, &info, p, budget).await;
        let (ok, text) = check_line(&p.name, &outcome, allow_empty);
        println!("{text}");
        if !ok {
            failed += 1;
        }
    }
    let total = project.patterns.len();
    println!("{} passed, {failed} failed", total - failed);
    if failed > 0 {
        anyhow::bail!("{failed} of {total} patterns failed on table `{table}`");
    }
    Ok(())
}

fn describe_json(info: &crate::dynamo::client::TableInfo) -> serde_json::Value {
    let key = |k: &crate::dynamo::client::KeyDef| serde_json::json!({"name": k.name, "type": k.kind_label()});
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
