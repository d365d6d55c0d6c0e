//! The command line (`:`), as k9s users expect: every action by name with
//! fuzzy completion of commands and of their argument (table names, saved
//! patterns, AWS profiles, regions). `tab` completes, `up`/`down` choose a
//! completion, `enter` runs.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern as Fuzzy};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::app::tui::widgets::ListCursor;

/// What the argument of a command completes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    Table,
    Pattern,
    Profile,
    Region,
    Endpoint,
    File,
}

/// A command of the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    pub arg: ArgKind,
    /// The argument is required (else it may be left out).
    pub arg_required: bool,
    pub help: &'static str,
}

const fn cmd(name: &'static str, arg: ArgKind, arg_required: bool, help: &'static str) -> Command {
    Command {
        name,
        arg,
        arg_required,
        help,
    }
}

/// Every command, in the order listed when nothing is typed.
pub const COMMANDS: &[Command] = &[
    cmd("table", ArgKind::Table, true, "open a table's items"),
    cmd("tables", ArgKind::None, false, "the tables list"),
    cmd(
        "pattern",
        ArgKind::Pattern,
        false,
        "run a saved access pattern",
    ),
    cmd("seed", ArgKind::None, false, "seed dev data"),
    cmd("migrate", ArgKind::None, false, "migrations of the table"),
    cmd("metrics", ArgKind::None, false, "throttling and hot keys"),
    cmd(
        "tail",
        ArgKind::Table,
        false,
        "live changes of a table (its stream) and hot write keys",
    ),
    cmd(
        "ctx",
        ArgKind::Profile,
        false,
        "switch AWS profile (none: list them)",
    ),
    cmd("region", ArgKind::Region, true, "switch region"),
    cmd(
        "endpoint",
        ArgKind::Endpoint,
        true,
        "switch endpoint (`none` for AWS)",
    ),
    cmd(
        "reconnect",
        ArgKind::None,
        false,
        "connect again (after `aws sso login`), keeping the view",
    ),
    cmd(
        "unlock",
        ArgKind::None,
        false,
        "allow writes to this protected table",
    ),
    cmd(
        "lock",
        ArgKind::None,
        false,
        "make this table read-only again",
    ),
    cmd(
        "readonly",
        ArgKind::None,
        false,
        "refuse every write for the rest of the session",
    ),
    cmd(
        "export",
        ArgKind::File,
        true,
        "export the marked items, else the view's request (.csv: CSV per type); s3://bucket/prefix: DynamoDB's own export of the table",
    ),
    cmd(
        "init",
        ArgKind::File,
        false,
        "write a project file learned from this table (default dyntui.toml; asks before replacing)",
    ),
    cmd("audit", ArgKind::None, false, "the log of writes made here"),
    cmd("help", ArgKind::None, false, "key bindings"),
    cmd("quit", ArgKind::None, false, "leave dyntui"),
];

/// Regions offered for completion (any name is accepted).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
    "me-south-1",
    "af-south-1",
];

pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Completions shown under the command line.
pub const SHOWN: usize = 8;

/// The command line's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub text: String,
    /// The highlighted completion.
    pub cursor: ListCursor,
    pub error: Option<String>,
    /// The completions of `text` (computed when the text or what it
    /// completes from changes).
    pub completions: Vec<Completion>,
}

/// A completion: the whole line it produces, and a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub line: String,
    pub help: String,
}

/// Ranks `candidates` by fuzzy match of `needle` (all of them, in order,
/// when the needle is empty).
pub fn fuzzy_rank<'a>(needle: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    if needle.is_empty() {
        return candidates.to_vec();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let fuzzy = Fuzzy::parse(needle, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize, &str)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            fuzzy
                .score(Utf32Str::new(c, &mut buf), &mut matcher)
                .map(|s| (s, i, *c))
        })
        .collect();
    // Best score first; exact prefixes before other matches of equal score.
    scored.sort_by(|a, b| {
        let pa = a.2.starts_with(needle);
        let pb = b.2.starts_with(needle);
        pb.cmp(&pa).then(b.0.cmp(&a.0)).then(a.1.cmp(&b.1))
    });
    scored.into_iter().map(|(_, _, c)| c).collect()
}

/// Completions of a command line (at most `limit`): command names, or a
/// command's argument from `args_of` (table names, patterns, profiles...).
pub fn completions(
    text: &str,
    args_of: impl Fn(ArgKind) -> Vec<String>,
    limit: usize,
) -> Vec<Completion> {
    let text = text.trim_start();
    match text.split_once(' ') {
        None => {
            let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
            fuzzy_rank(text, &names)
                .into_iter()
                .take(limit)
                .filter_map(command)
                .map(|c| Completion {
                    line: if c.arg == ArgKind::None {
                        c.name.to_string()
                    } else {
                        format!("{} ", c.name)
                    },
                    help: c.help.to_string(),
                })
                .collect()
        }
        Some((name, arg)) => {
            let Some(c) = command(name) else {
                return Vec::new();
            };
            let args = args_of(c.arg);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            fuzzy_rank(arg.trim(), &refs)
                .into_iter()
                .take(limit)
                .map(|a| Completion {
                    line: format!("{} {a}", c.name),
                    help: String::new(),
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_rank_puts_prefixes_first() {
        let c = ["tables", "table", "metrics", "migrate"];
        assert_eq!(fuzzy_rank("ta", &c)[..2], ["tables", "table"]);
        assert_eq!(fuzzy_rank("mig", &c), vec!["migrate"]);
        assert_eq!(fuzzy_rank("", &c), c.to_vec());
        assert!(fuzzy_rank("zzz", &c).is_empty());
    }

    #[test]
    fn every_command_is_unique() {
        let mut names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }
}
