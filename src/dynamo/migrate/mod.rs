//! Data migrations: a folder of `NNN_name.toml` files, run in order.
//!
//! A file selects items (entity type, sort-key prefix, filter language) and
//! either lists declarative operations (`set` from a template over the
//! item's attributes, `set_key` to move items to a new primary key,
//! `rename`, `remove`, `copy`), or names a script: in transform mode the
//! selected items are streamed to its stdin as JSON lines and its stdout
//! says what each becomes; in command mode it does its own work. A `[down]`
//! part reverts it.
//!
//! Items are read with a parallel Scan and written one by one, each write
//! conditional on the item being exactly as read (otherwise it is re-read
//! and transformed again), key moves as a transaction (put new, delete old).
//! A ledger of runs lives in the table itself, under the partition key value
//! `_dyntui#migrations`; a checkpoint per scan segment in the state dir,
//! with a journal of the page being written, lets a stopped or crashed run
//! resume where it stopped without applying anything twice.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::client::TableInfo;
use super::entity::KeyTemplate;
use super::request::Filter;
use super::{AttributeValue, Item, value};

mod exec;
mod ledger;
mod script;
mod workers;

pub use exec::{
    EventSink, Inflight, MigrationCheckpoint, PageHook, RUN_PAGE_ITEMS, RunEvent, RunOptions,
    RunReport, SegmentState, WriteSink, checkpoint_scope, checkpoint_scope_of, plan_filter, run,
    run_by, scan_filter,
};
pub(crate) use ledger::now_ms;
pub use ledger::{
    Counts, FileStatus, Ledger, LedgerEntry, Progress, RunLease, SegmentLease, file_status, status,
};
pub(crate) use workers::number_at_end;
pub use workers::{INDEX_VARS, Job, JobStatus, SegmentView, Workers, index_from_env};

/// The partition key value of ledger items (tables with a sort key), and the
/// prefix of it (tables without one: `_dyntui#migrations#<id>`).
pub const LEDGER_PK: &str = "_dyntui#migrations";

/// How many items a dry run shows a diff for.
pub const DIFF_LIMIT: usize = 20;

// ------------------------------------------------------------------- files

/// A migration file error that names where it is.
pub type MigrationError = super::error::FileError;

/// The file's checksum in the ledger: the project's stable hash
/// ([`crate::dynamo::hash`]) as 16 hex digits; it detects edits.
pub fn checksum(bytes: &[u8]) -> String {
    super::hash::fnv64_hex(bytes)
}

/// Which items a migration touches (all given conditions must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Value of the type attribute.
    pub type_value: Option<String>,
    /// Prefix of the sort key (of the partition key on tables without one).
    pub key_prefix: Option<String>,
    pub filter: Option<Filter>,
    /// One partition key value: the items are read with a Query (with
    /// `key_prefix` as a begins_with on the sort key) instead of a Scan.
    pub partition: Option<String>,
}

/// One operation, applied in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Set an attribute to a template rendered over the item's own
    /// attributes (string and number values).
    Set {
        attribute: String,
        template: KeyTemplate,
    },
    /// Set a primary-key attribute from a template: the item moves to its
    /// new key (the new item is put and the old one deleted in one
    /// transaction).
    SetKey {
        attribute: String,
        template: KeyTemplate,
    },
    Rename {
        from: String,
        to: String,
    },
    Remove {
        attribute: String,
    },
    Copy {
        from: String,
        to: String,
    },
}

impl Op {
    /// Attributes the op writes.
    fn targets(&self) -> Vec<&str> {
        match self {
            Op::Set { attribute, .. } | Op::SetKey { attribute, .. } | Op::Remove { attribute } => {
                vec![attribute]
            }
            Op::Rename { from, to } => vec![from, to],
            Op::Copy { to, .. } => vec![to],
        }
    }

    /// Attributes the op reads or writes.
    pub(crate) fn touched(&self) -> Vec<&str> {
        match self {
            Op::Set {
                attribute,
                template,
            }
            | Op::SetKey {
                attribute,
                template,
            } => std::iter::once(attribute.as_str())
                .chain(template.params())
                .collect(),
            Op::Remove { attribute } => vec![attribute],
            Op::Rename { from, to } | Op::Copy { from, to } => vec![from, to],
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Op::Set {
                attribute,
                template,
            } => format!("set {attribute} = {}", template.source()),
            Op::SetKey {
                attribute,
                template,
            } => format!("set_key {attribute} = {}", template.source()),
            Op::Rename { from, to } => format!("rename {from} -> {to}"),
            Op::Remove { attribute } => format!("remove {attribute}"),
            Op::Copy { from, to } => format!("copy {from} -> {to}"),
        }
    }
}

/// How a transform script reads and writes items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScriptFormat {
    /// Plain JSON (`{"name": "Ada", "total": 12.5}`): numbers exact;
    /// attributes the script leaves as they were keep their DynamoDB type
    /// (sets, binary), and an array written to an attribute that was a set
    /// stays a set.
    #[default]
    Plain,
    /// DynamoDB JSON (`{"name": {"S": "Ada"}}`): every type explicit.
    Dynamo,
}

/// An executable run without a shell.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// As written in the file: program, then arguments.
    pub command: Vec<String>,
    /// The program to start (a path with a `/` is relative to the
    /// migrations folder; a bare name is looked up in PATH).
    pub program: PathBuf,
    /// Working directory: the migrations folder.
    pub dir: PathBuf,
    pub format: ScriptFormat,
    /// Command mode: arguments added for a dry run. Without them a dry run
    /// does not start the script.
    pub dry_run_args: Option<Vec<String>>,
}

impl Script {
    pub fn display(&self) -> String {
        self.command
            .iter()
            .map(|a| super::request::shell_word_shown(a))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a migration (or its down part) does to the selected items.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Declarative operations, in order.
    Ops(Vec<Op>),
    /// Items streamed to a script's stdin as JSON lines; it prints one line
    /// per item: the item as it should be, `null` (unchanged), or
    /// `{"_delete": true}`. dyntui does the reading, writing and retries.
    Transform(Script),
    /// A script that does its own work, given the connection in its
    /// environment; its output is shown as it runs.
    Command(Script),
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Ops(_) => "declarative",
            Action::Transform(_) => "transform script",
            Action::Command(_) => "command script",
        }
    }
}

/// One direction of a migration: what it selects and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub select: Selection,
    pub action: Action,
    /// (line, column) of each op, for messages.
    op_positions: Vec<(usize, usize)>,
}

impl Plan {
    pub fn ops(&self) -> &[Op] {
        match &self.action {
            Action::Ops(ops) => ops,
            _ => &[],
        }
    }
}

/// Which part of a migration runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    Up,
    Down,
}

/// One migration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The file name without `.toml`: `001_add_gsi2`.
    pub id: String,
    /// The leading number: 1.
    pub number: u64,
    pub path: PathBuf,
    pub description: String,
    /// Over the file and the script files its commands name.
    pub checksum: String,
    pub up: Plan,
    /// `[down]`, when the file defines one.
    pub down: Option<Plan>,
}

impl Migration {
    /// True when `want` names this migration: the id, or its number (`1`, `001`).
    pub fn matches(&self, want: &str) -> bool {
        self.id == want || want.parse::<u64>().is_ok_and(|n| n == self.number)
    }

    pub fn plan(&self, dir: Direction) -> Option<&Plan> {
        match dir {
            Direction::Up => Some(&self.up),
            Direction::Down => self.down.as_ref(),
        }
    }

    /// The declarative ops of the up part (empty for scripts).
    pub fn ops(&self) -> &[Op] {
        self.up.ops()
    }

    /// `declarative`, `transform script` or `command script`.
    pub fn kind(&self) -> &'static str {
        self.up.action.kind()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRaw {
    description: Option<String>,
    select: Option<Spanned<SelectRaw>>,
    #[serde(default)]
    op: Vec<Spanned<OpRaw>>,
    script: Option<Spanned<ScriptRaw>>,
    down: Option<Spanned<DownRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DownRaw {
    select: Option<Spanned<SelectRaw>>,
    #[serde(default)]
    op: Vec<Spanned<OpRaw>>,
    script: Option<Spanned<ScriptRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptRaw {
    command: Spanned<Vec<String>>,
    mode: Option<Spanned<String>>,
    format: Option<Spanned<String>>,
    dry_run_args: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectRaw {
    #[serde(rename = "type")]
    type_value: Option<Spanned<String>>,
    key_prefix: Option<Spanned<String>>,
    filter: Option<Spanned<String>>,
    pk: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpRaw {
    set: Option<SetRaw>,
    set_key: Option<SetRaw>,
    rename: Option<FromTo>,
    remove: Option<RemoveRaw>,
    copy: Option<FromTo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRaw {
    attribute: Spanned<String>,
    template: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromTo {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveRaw {
    attribute: Spanned<String>,
}

/// The id and number of a file name `NNN_name.toml`.
fn id_of(path: &Path) -> Option<(String, u64)> {
    let name = path.file_name()?.to_str()?;
    let id = name.strip_suffix(".toml")?;
    let digits: String = id.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &id[digits.len()..];
    if digits.is_empty() || !(rest.is_empty() || rest.starts_with('_')) {
        return None;
    }
    Some((id.to_string(), digits.parse().ok()?))
}

/// Parsing context of one file.
struct FileCx<'a> {
    file: &'a str,
    src: &'a str,
    dir: PathBuf,
}

impl FileCx<'_> {
    fn err(&self, at: usize, m: impl Into<String>) -> MigrationError {
        MigrationError::at(self.file, self.src, Some(at), m)
    }

    fn nonempty(&self, s: &Spanned<String>, what: &str) -> Result<String, MigrationError> {
        if s.get_ref().is_empty() {
            Err(self.err(s.span().start, format!("{what} is empty")))
        } else {
            Ok(s.get_ref().clone())
        }
    }

    fn selection(&self, sel: &SelectRaw, prefix: &str) -> Result<Selection, MigrationError> {
        let filter = match &sel.filter {
            None => None,
            Some(f) => Some(Filter::parse(f.get_ref()).map_err(|m| {
                // "column N: ..." is relative to the filter text, inside its quote.
                let (off, msg) = match m
                    .strip_prefix("column ")
                    .and_then(|r| r.split_once(": "))
                    .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest)))
                {
                    Some((n, rest)) => (f.span().start + n, rest.to_string()),
                    None => (f.span().start, m.clone()),
                };
                self.err(off, format!("{prefix}select.filter: {msg}"))
            })?),
        };
        Ok(Selection {
            type_value: sel
                .type_value
                .as_ref()
                .map(|t| self.nonempty(t, &format!("{prefix}select.type")))
                .transpose()?,
            key_prefix: sel
                .key_prefix
                .as_ref()
                .map(|t| self.nonempty(t, &format!("{prefix}select.key_prefix")))
                .transpose()?,
            filter,
            partition: sel
                .pk
                .as_ref()
                .map(|t| self.nonempty(t, &format!("{prefix}select.pk")))
                .transpose()?,
        })
    }

    fn template(&self, s: &SetRaw) -> Result<KeyTemplate, MigrationError> {
        KeyTemplate::parse(s.template.get_ref()).map_err(|e| {
            // Point at the offending character inside the quotes.
            use super::entity::TemplateError as T;
            let start = s.template.span().start;
            let at = match &e {
                T::UnclosedBrace { offset, .. }
                | T::UnmatchedCloseBrace { offset, .. }
                | T::EmptyParam { offset, .. }
                | T::InvalidParamChar { offset, .. }
                | T::AdjacentParams { offset, .. } => start + 1 + offset,
                _ => start,
            };
            self.err(at, e.to_string())
        })
    }

    fn op(&self, o: &Spanned<OpRaw>, prefix: &str) -> Result<Op, MigrationError> {
        let r = o.get_ref();
        let n = usize::from(r.set.is_some())
            + usize::from(r.set_key.is_some())
            + usize::from(r.rename.is_some())
            + usize::from(r.remove.is_some())
            + usize::from(r.copy.is_some());
        if n != 1 {
            return Err(self.err(
                o.span().start,
                format!(
                    "an [[{prefix}op]] needs exactly one of set, set_key, rename, remove, copy (found {n})"
                ),
            ));
        }
        Ok(if let Some(s) = &r.set {
            Op::Set {
                attribute: self.nonempty(&s.attribute, "set.attribute")?,
                template: self.template(s)?,
            }
        } else if let Some(s) = &r.set_key {
            Op::SetKey {
                attribute: self.nonempty(&s.attribute, "set_key.attribute")?,
                template: self.template(s)?,
            }
        } else if let Some(f) = &r.rename {
            let (from, to) = (
                self.nonempty(&f.from, "rename.from")?,
                self.nonempty(&f.to, "rename.to")?,
            );
            if from == to {
                return Err(self.err(f.to.span().start, "rename.to is the same as rename.from"));
            }
            Op::Rename { from, to }
        } else if let Some(f) = &r.copy {
            let (from, to) = (
                self.nonempty(&f.from, "copy.from")?,
                self.nonempty(&f.to, "copy.to")?,
            );
            if from == to {
                return Err(self.err(f.to.span().start, "copy.to is the same as copy.from"));
            }
            Op::Copy { from, to }
        } else if let Some(rm) = &r.remove {
            Op::Remove {
                attribute: self.nonempty(&rm.attribute, "remove.attribute")?,
            }
        } else {
            unreachable!("exactly one op kind is present")
        })
    }

    fn script(&self, s: &Spanned<ScriptRaw>, prefix: &str) -> Result<Action, MigrationError> {
        let r = s.get_ref();
        let command = r.command.get_ref().clone();
        let Some(first) = command.first().filter(|p| !p.is_empty()) else {
            return Err(self.err(
                r.command.span().start,
                format!(
                    "{prefix}script.command is empty: give the program and its arguments as a list, e.g. [\"node\", \"002_split.mjs\"]"
                ),
            ));
        };
        let program = if first.contains('/') {
            self.dir.join(first)
        } else {
            PathBuf::from(first)
        };
        if first.contains('/') && !program.is_file() {
            return Err(self.err(
                r.command.span().start,
                format!(
                    "{prefix}script.command: `{}` does not exist",
                    program.display()
                ),
            ));
        }
        let format = match r.format.as_ref().map(|f| f.get_ref().as_str()) {
            None | Some("plain") => ScriptFormat::Plain,
            Some("dynamodb") => ScriptFormat::Dynamo,
            Some(other) => {
                return Err(self.err(
                    r.format.as_ref().map(|f| f.span().start).unwrap_or(0),
                    format!("{prefix}script.format `{other}`: use \"plain\" or \"dynamodb\""),
                ));
            }
        };
        let script = Script {
            command: command.clone(),
            program,
            dir: self.dir.clone(),
            format,
            dry_run_args: r.dry_run_args.clone(),
        };
        match r.mode.as_ref().map(|m| m.get_ref().as_str()) {
            None | Some("transform") => {
                if r.dry_run_args.is_some() {
                    return Err(self.err(
                        s.span().start,
                        format!(
                            "{prefix}script.dry_run_args is for mode = \"command\" (a transform script never writes)"
                        ),
                    ));
                }
                Ok(Action::Transform(script))
            }
            Some("command") => Ok(Action::Command(script)),
            Some(other) => Err(self.err(
                r.mode.as_ref().map(|m| m.span().start).unwrap_or(0),
                format!("{prefix}script.mode `{other}`: use \"transform\" or \"command\""),
            )),
        }
    }

    fn plan(
        &self,
        select: Option<&Spanned<SelectRaw>>,
        ops: &[Spanned<OpRaw>],
        script: Option<&Spanned<ScriptRaw>>,
        prefix: &str,
        fallback_select: Option<&Selection>,
        at: Option<usize>,
    ) -> Result<Plan, MigrationError> {
        let action = match (ops.is_empty(), script) {
            (false, Some(s)) => {
                return Err(self.err(
                    s.span().start,
                    format!("[{prefix}script] and [[{prefix}op]] cannot be used together"),
                ));
            }
            (true, None) => {
                return Err(MigrationError::at(
                    self.file,
                    self.src,
                    at,
                    format!(
                        "no [[{prefix}op]] and no [{prefix}script]: a migration needs at least one operation or a script"
                    ),
                ));
            }
            (true, Some(s)) => self.script(s, prefix)?,
            (false, None) => Action::Ops(
                ops.iter()
                    .map(|o| self.op(o, prefix))
                    .collect::<Result<_, _>>()?,
            ),
        };
        if let (Action::Command(_), Some(s)) = (&action, select) {
            return Err(self.err(
                s.span().start,
                format!(
                    "[{prefix}select] does not apply to a command script (it selects its own items)"
                ),
            ));
        }
        let select = match (select, fallback_select) {
            (Some(s), _) => self.selection(s.get_ref(), prefix)?,
            (None, Some(f)) => f.clone(),
            (None, None) if matches!(action, Action::Command(_)) => Selection::default(),
            (None, None) => {
                return Err(MigrationError::at(
                    self.file,
                    self.src,
                    at,
                    "missing [select] (an empty [select] table selects every item)",
                ));
            }
        };
        Ok(Plan {
            select,
            op_positions: ops
                .iter()
                .map(|o| super::error::line_col(self.src, o.span().start))
                .collect(),
            action,
        })
    }
}

/// Parses one migration file's text; `file` names it in errors, and script
/// paths are relative to its folder.
pub fn parse(file: &str, id: &str, number: u64, bytes: &[u8]) -> Result<Migration, MigrationError> {
    let src = std::str::from_utf8(bytes)
        .map_err(|e| MigrationError::at(file, "", None, format!("not UTF-8: {e}")))?;
    let raw: FileRaw = toml::from_str(src).map_err(|e| {
        MigrationError::at(
            file,
            src,
            e.span().map(|s| s.start),
            e.message().trim().to_string(),
        )
    })?;
    let cx = FileCx {
        file,
        src,
        dir: Path::new(file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let up = cx.plan(
        raw.select.as_ref(),
        &raw.op,
        raw.script.as_ref(),
        "",
        None,
        None,
    )?;
    let down = match &raw.down {
        None => None,
        Some(d) => {
            let r = d.get_ref();
            Some(cx.plan(
                r.select.as_ref(),
                &r.op,
                r.script.as_ref(),
                "down.",
                Some(&up.select),
                Some(d.span().start),
            )?)
        }
    };
    // The checksum covers the scripts too: editing one flags the migration.
    let mut sum = bytes.to_vec();
    for plan in std::iter::once(&up).chain(down.iter()) {
        if let Action::Transform(s) | Action::Command(s) = &plan.action {
            for arg in &s.command {
                let p = cx.dir.join(arg);
                if !arg.is_empty()
                    && p.is_file()
                    && let Ok(b) = std::fs::read(&p)
                {
                    sum.extend_from_slice(arg.as_bytes());
                    sum.extend_from_slice(&b);
                }
            }
        }
    }
    Ok(Migration {
        id: id.to_string(),
        number,
        path: PathBuf::from(file),
        description: raw.description.unwrap_or_default(),
        checksum: checksum(&sum),
        up,
        down,
    })
}

/// Loads every `NNN_name.toml` of a folder, ordered by number. Every file is
/// checked; any error (bad file, duplicate number, other files that look
/// like migrations) means no migration is returned. Other files (scripts)
/// are left alone.
pub fn load_dir(dir: &Path) -> Result<Vec<Migration>, Vec<MigrationError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![MigrationError {
            file: dir.display().to_string(),
            line: None,
            column: None,
            message: format!("cannot read the migrations folder: {e}"),
        }]
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut numbers: BTreeMap<u64, String> = BTreeMap::new();
    for p in paths {
        let file = p.display().to_string();
        let Some((id, number)) = id_of(&p) else {
            errors.push(MigrationError::at(
                &file,
                "",
                None,
                "a migration file is named NNN_name.toml (e.g. 001_add_gsi2.toml)",
            ));
            continue;
        };
        if let Some(other) = numbers.insert(number, id.clone()) {
            errors.push(MigrationError::at(
                &file,
                "",
                None,
                format!("migration number {number} is also used by {other}.toml"),
            ));
            continue;
        }
        match std::fs::read(&p) {
            Err(e) => errors.push(MigrationError::at(
                &file,
                "",
                None,
                format!("cannot read: {e}"),
            )),
            Ok(bytes) => match parse(&file, &id, number, &bytes) {
                Ok(m) => out.push(m),
                Err(e) => errors.push(e),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.sort_by_key(|m| m.number);
    Ok(out)
}

/// Checks a migration against the table: `set_key` names key attributes,
/// and no other op writes one.
pub fn check_against(m: &Migration, info: &TableInfo) -> Result<(), MigrationError> {
    let keys: Vec<&str> = info
        .pk
        .iter()
        .chain(info.sk.iter())
        .map(|k| k.name.as_str())
        .collect();
    for plan in std::iter::once(&m.up).chain(m.down.iter()) {
        for (op, (line, col)) in plan.ops().iter().zip(&plan.op_positions) {
            let at = |message: String| MigrationError {
                file: m.path.display().to_string(),
                line: Some(*line),
                column: Some(*col),
                message,
            };
            if let Op::SetKey { attribute, .. } = op {
                if !keys.contains(&attribute.as_str()) {
                    return Err(at(format!(
                        "`{}`: `{attribute}` is not a key attribute of `{}` (its keys: {}); use set",
                        op.describe(),
                        info.name,
                        keys.join(", ")
                    )));
                }
                continue;
            }
            if let Some(k) = op.targets().into_iter().find(|t| keys.contains(t)) {
                return Err(at(format!(
                    "`{}` would change the key attribute `{k}` of `{}` (use set_key to move items to a new key)",
                    op.describe(),
                    info.name
                )));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- transform

fn text_of(av: &AttributeValue) -> Option<String> {
    match av {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.clone()),
        _ => None,
    }
}

/// The item after the ops, and whether some `set` had no value for a
/// template parameter (that op is then skipped for this item).
pub fn apply_ops(ops: &[Op], item: &Item) -> (Item, bool) {
    let mut out = item.clone();
    let mut incomplete = false;
    for op in ops {
        match op {
            Op::Set {
                attribute,
                template,
            }
            | Op::SetKey {
                attribute,
                template,
            } => match template.render(|p| out.get(p).and_then(text_of)) {
                Ok(v) => {
                    out.insert(attribute.clone(), AttributeValue::S(v));
                }
                Err(_) => incomplete = true,
            },
            Op::Rename { from, to } => {
                if let Some(v) = out.remove(from) {
                    out.insert(to.clone(), v);
                }
            }
            Op::Remove { attribute } => {
                out.remove(attribute);
            }
            Op::Copy { from, to } => {
                if let Some(v) = out.get(from).cloned() {
                    out.insert(to.clone(), v);
                }
            }
        }
    }
    (out, incomplete)
}

/// One attribute that differs: (name, before, after) as text.
pub type AttrDiff = (String, Option<String>, Option<String>);

/// Attributes that differ between two items, by name.
pub fn diff(before: &Item, after: &Item) -> Vec<AttrDiff> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .map(|n| {
            (
                n.clone(),
                before.get(n).map(|v| value::cell_text(v, 80)),
                after.get(n).map(|v| value::cell_text(v, 80)),
            )
        })
        .collect()
}

/// An item's diff for a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDiff {
    /// The key as text (`PK=..., SK=...`).
    pub key: String,
    pub changes: Vec<AttrDiff>,
}

impl fmt::Display for ItemDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.key)?;
        for (n, b, a) in &self.changes {
            writeln!(
                f,
                "  {n}: {} -> {}",
                b.as_deref().unwrap_or("(absent)"),
                a.as_deref().unwrap_or("(absent)")
            )?;
        }
        Ok(())
    }
}
