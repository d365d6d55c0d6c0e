//! The command line (`:`), as k9s users expect: every action by name with
//! fuzzy completion of commands and of their argument (table names, saved
//! patterns, AWS profiles, regions). `tab` completes, `up`/`down` choose a
//! completion, `enter` runs.

use crossterm::event::{KeyCode, KeyEvent};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern as Fuzzy};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::app::tui::state::{App, Input, Level, Screen, edit_line};

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
        "export the marked items, else the view's request (.csv: CSV per type)",
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

/// The command line's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub text: String,
    /// The highlighted completion.
    pub selected: usize,
    pub error: Option<String>,
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

impl App {
    /// The candidates a command's argument completes from.
    pub fn palette_args(&self, kind: ArgKind) -> Vec<String> {
        match kind {
            ArgKind::None => Vec::new(),
            ArgKind::Table => self.tables.list.ready().cloned().unwrap_or_default(),
            ArgKind::Pattern => self
                .project
                .patterns
                .iter()
                .map(|p| p.pattern.name.clone())
                .collect(),
            // Read from the AWS files when the palette opens, not per frame.
            ArgKind::Profile => self
                .contexts
                .profiles
                .iter()
                .map(|p| p.name.clone())
                .collect(),
            ArgKind::Region => REGIONS.iter().map(|r| r.to_string()).collect(),
            ArgKind::Endpoint => vec!["none".into(), "http://127.0.0.1:8000".into()],
            ArgKind::File => {
                let t = self
                    .items
                    .as_ref()
                    .map(|i| i.table.clone())
                    .unwrap_or_else(|| "export".into());
                vec![format!("{t}.jsonl"), format!("{t}.csv")]
            }
        }
    }

    /// Completions of the palette's text (at most `limit`).
    pub fn palette_completions(&self, text: &str, limit: usize) -> Vec<Completion> {
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
                let args = self.palette_args(c.arg);
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

    /// Opens the command line.
    pub fn open_palette(&mut self) {
        if self.tables.list.ready().is_none() {
            // Table names complete `:table`.
            self.load_tables_if_idle();
        }
        // Profile names complete `:ctx`.
        self.contexts.profiles = crate::app::contexts::profiles();
        self.input = Some(Input::Palette(Palette::default()));
    }

    pub(crate) fn on_palette_key(&mut self, mut p: Palette, k: &KeyEvent) {
        let completions = self.palette_completions(&p.text, 8);
        match k.code {
            KeyCode::Esc => return,
            KeyCode::Tab => {
                if let Some(c) = completions.get(p.selected) {
                    p.text = c.line.clone();
                    p.selected = 0;
                    p.error = None;
                }
            }
            KeyCode::Down => p.selected = (p.selected + 1).min(completions.len().saturating_sub(1)),
            KeyCode::Up => p.selected = p.selected.saturating_sub(1),
            KeyCode::Enter => {
                // A bare partial command runs the highlighted completion
                // when it takes no argument (`:aud` + enter = `:audit`).
                let line = p.text.trim().to_string();
                let line = if command(line.split(' ').next().unwrap_or("")).is_none()
                    && !line.contains(' ')
                {
                    match completions.get(p.selected) {
                        Some(c) => c.line.trim().to_string(),
                        None => line,
                    }
                } else {
                    line
                };
                match self.run_command_line(&line) {
                    Ok(()) => return,
                    Err(e) => {
                        p.text = line;
                        p.error = Some(e);
                    }
                }
            }
            _ => {
                if edit_line(&mut p.text, k) {
                    p.selected = 0;
                    p.error = None;
                }
            }
        }
        self.input = Some(Input::Palette(p));
    }

    /// Runs one command line (`table orders`, `ctx dev`, ...).
    pub fn run_command_line(&mut self, line: &str) -> Result<(), String> {
        let line = line.trim();
        let (name, arg) = match line.split_once(' ') {
            Some((n, a)) => (n, a.trim()),
            None => (line, ""),
        };
        let Some(c) = command(name) else {
            return Err(format!("unknown command `{name}` (tab lists them)"));
        };
        if c.arg_required && arg.is_empty() {
            return Err(format!("`{name}` needs an argument: {}", c.help));
        }
        match c.name {
            "table" => {
                self.detail = None;
                self.open_table(arg);
            }
            "tables" => {
                self.detail = None;
                self.screen = Screen::Tables;
                self.load_tables_if_idle();
            }
            "pattern" if arg.is_empty() => self.open_patterns(),
            "pattern" => {
                let Some(i) = self
                    .project
                    .patterns
                    .iter()
                    .position(|p| p.pattern.name == arg)
                else {
                    return Err(format!("no saved pattern `{arg}`"));
                };
                self.open_patterns();
                self.open_pattern_form(i);
            }
            "seed" => self.open_seed(),
            "migrate" => {
                let t = self.current_table();
                self.open_migrations(t);
            }
            "metrics" => {
                let t = self.current_table();
                self.open_metrics(t);
            }
            "ctx" if arg.is_empty() => self.open_contexts(),
            "ctx" => self.switch_profile(arg),
            "region" => self.switch_region(arg),
            "endpoint" => self.switch_endpoint(arg),
            "reconnect" => self.reconnect(),
            "unlock" => {
                let Some(t) = self.current_table() else {
                    return Err("no table in front to unlock".into());
                };
                self.ask_unlock(&t);
            }
            "lock" => {
                let Some(t) = self.current_table() else {
                    return Err("no table in front".into());
                };
                self.unlocked.remove(&t);
                self.flash(Level::Info, format!("`{t}` is read-only again"));
            }
            "readonly" => {
                self.read_only = true;
                self.flash(
                    Level::Warn,
                    "read-only: every write is refused for the rest of the session",
                );
            }
            "export" => self.start_export(arg)?,
            "audit" => self.open_audit(),
            "help" => self.help = Some(0),
            "quit" => self.should_quit = true,
            _ => return Err(format!("`{name}` is not handled")),
        }
        Ok(())
    }

    /// The table in front: the items view's, else the selected one.
    pub fn current_table(&self) -> Option<String> {
        match self.screen {
            Screen::Tables => self.tables.selected_name(),
            Screen::Metrics => self.metrics.table.clone(),
            Screen::Migrate => self.migrate.table.clone(),
            _ => self
                .items
                .as_ref()
                .map(|i| i.table.clone())
                .or_else(|| self.tables.selected_name()),
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
