//! `dyntui tail`: a table's changes as they happen (its DynamoDB Stream),
//! decoded by entity like the live screen, as text or one JSON object per
//! change; exits cleanly on Ctrl-C or after `--for`. The same follow as the
//! TUI's live screen (`app::live`).

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::app::config::Project;
use crate::app::live::{ChangeFilter, Decoded, FollowSink, FollowSpec, HOT_WINDOW, follow_table};
use crate::dynamo::client::Dynamo;
use crate::dynamo::stream::{EventName, StartAt, ViewType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TailOutput {
    /// One line per change: time, event, type, key fields, what changed.
    Text,
    /// One JSON object per change: event, type, key, keys, old, new, time.
    Jsonl,
}

#[derive(Debug, Args, Clone)]
pub struct TailArgs {
    /// Table (default: the project's default_table).
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// Only changes of this entity type.
    #[arg(long = "type", value_name = "TYPE")]
    pub entity: Option<String>,
    /// Only changes whose key matches: NAME=VALUE (a key attribute or a
    /// decoded key field), or text found in the key.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Only INSERT, MODIFY or REMOVE changes.
    #[arg(long, value_parser = parse_event)]
    pub event: Option<EventName>,
    /// latest: changes from now on; oldest: from the oldest record the
    /// stream keeps (up to 24 hours).
    #[arg(long, default_value = "latest", value_parser = parse_start)]
    pub from: StartAt,
    /// Stop after this long (e.g. 30s, 5m), counted once every shard is
    /// read; default: until Ctrl-C.
    #[arg(long = "for", value_name = "DURATION", value_parser = crate::app::live::parse_duration)]
    pub duration: Option<std::time::Duration>,
    #[arg(long, short, value_enum, default_value = "text")]
    pub output: TailOutput,
    /// JSON values as DynamoDB JSON (with types) instead of plain JSON.
    #[arg(long)]
    pub dynamodb_json: bool,
    /// The table has no stream: enable one with this view type
    /// (KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES), asking first.
    #[arg(long, value_name = "VIEW_TYPE", value_parser = parse_view)]
    pub enable_stream: Option<ViewType>,
    /// Answer yes to enabling the stream.
    #[arg(long)]
    pub yes: bool,
}

fn parse_event(s: &str) -> Result<EventName, String> {
    s.parse()
}

fn parse_start(s: &str) -> Result<StartAt, String> {
    s.parse()
}

fn parse_view(s: &str) -> Result<ViewType, String> {
    ViewType::parse(s).ok_or_else(|| {
        format!("`{s}` is not a view type: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES")
    })
}

/// Prints changes to stdout, notices and progress to stderr.
struct Printer<W: Write> {
    out: W,
    output: TailOutput,
    dynamo: bool,
    printed: u64,
}

impl<W: Write> FollowSink for Printer<W> {
    fn ready(&mut self, shards: usize) {
        eprintln!(
            "following: {shards} shard{} read; writes appear as they happen",
            if shards == 1 { "" } else { "s" }
        );
    }

    fn change(&mut self, d: &Decoded) -> std::io::Result<()> {
        match self.output {
            TailOutput::Text => writeln!(self.out, "{}", d.text_line())?,
            TailOutput::Jsonl => writeln!(
                self.out,
                "{}",
                serde_json::to_string(&d.to_json(self.dynamo)).map_err(std::io::Error::other)?
            )?,
        }
        // A pipe reader sees each change as it happens.
        self.out.flush()?;
        self.printed += 1;
        Ok(())
    }

    fn notice(&mut self, text: &str) {
        eprintln!("notice: {text}");
    }
}

/// Refuses, or asks and enables a stream of `view` on `table`.
async fn enable(
    db: &Dynamo,
    project: &Project,
    table: &str,
    view: ViewType,
    yes: bool,
    read_only: bool,
) -> anyhow::Result<()> {
    if read_only {
        anyhow::bail!("--read-only: enabling a stream is a write (UpdateTable); nothing done");
    }
    if let Some(reason) = project.protection(table, db.context().profile.as_deref()) {
        anyhow::bail!(
            "refusing to enable a stream on `{table}`: {reason}. Enable it with the AWS console or CLI if you mean it."
        );
    }
    let q = format!(
        "Enable a {} stream on `{table}` (UpdateTable; stream reads are billed beyond the free tier)?",
        view.label()
    );
    if !crate::app::cli::seed::confirm(&q, yes)? {
        anyhow::bail!("nothing done");
    }
    let audit = crate::app::audit::AuditLog::default_log();
    crate::app::live::enable_stream(db, audit.as_ref(), table, view)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("stream enabled on `{table}` ({})", view.label());
    Ok(())
}

/// Runs the command.
pub async fn run(
    db: &Dynamo,
    project: &Project,
    args: TailArgs,
    read_only: bool,
) -> anyhow::Result<u8> {
    let table = crate::app::cli::table_or_default(args.table.clone(), project)?;
    let mut info = crate::app::cli::describe(db, &table).await?;
    if info.stream_arn.is_none() {
        let Some(view) = args.enable_stream else {
            anyhow::bail!(
                "NoStream: table `{table}` has no DynamoDB Stream\nhint: enable one with `dyntui tail --table {table} --enable-stream NEW_AND_OLD_IMAGES` (asks first), the TUI's live screen (C), or `stream = \"NEW_AND_OLD_IMAGES\"` in the project's [[table]]"
            );
        };
        enable(db, project, &table, view, args.yes, read_only).await?;
        info = crate::app::cli::describe(db, &table).await?;
    }
    if let Some(missing) = info.stream_view().and_then(ViewType::missing) {
        eprintln!("note: {missing}");
    }
    let filter = ChangeFilter {
        entity: args.entity.clone(),
        key: args.key.clone(),
        event: args.event,
    };
    let mut printer = Printer {
        out: std::io::stdout().lock(),
        output: args.output,
        dynamo: args.dynamodb_json,
        printed: 0,
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let r = follow_table(
        db,
        project,
        &info,
        &FollowSpec {
            start: args.from,
            duration: args.duration,
            window: HOT_WINDOW,
            filter,
        },
        &mut printer,
        stop,
    )
    .await;
    let printed = printer.printed;
    drop(printer);
    let tracker = r.map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "{printed} change{} shown ({} written in the last {} s)",
        if printed == 1 { "" } else { "s" },
        tracker.hot.total_writes(),
        HOT_WINDOW.as_secs()
    );
    Ok(0)
}
