//! The command palette's commands, run on the application (they open
//! screens, switch connections, lock tables...). The palette itself, its
//! commands and their completion are in `tui::palette`.

use crossterm::event::{KeyCode, KeyEvent};

use super::App;
use crate::app::tui::cx::{Level, Screen};
use crate::app::tui::input::Input;
use crate::app::tui::keymap::Action;
use crate::app::tui::palette::{
    ArgKind, Completion, Palette, REGIONS, SHOWN, command, completions,
};
use crate::app::tui::widgets::edit_line;

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
        completions(text, |k| self.palette_args(k), limit)
    }

    /// Computes the open palette's completions again (its text, or what
    /// it completes from, changed).
    pub(crate) fn refresh_palette(&mut self) {
        if let Some(Input::Palette(p)) = &self.input {
            let text = p.text.clone();
            let c = self.palette_completions(&text, SHOWN);
            if let Some(Input::Palette(p)) = &mut self.input {
                p.cursor.clamp(c.len());
                p.completions = c;
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
        self.refresh_palette();
    }

    pub(crate) fn on_palette_key(&mut self, mut p: Palette, k: &KeyEvent) {
        let completions = std::mem::take(&mut p.completions);
        match k.code {
            KeyCode::Esc => return,
            KeyCode::Tab => {
                if let Some(c) = completions.get(p.cursor.selected) {
                    p.text = c.line.clone();
                    p.cursor.reset();
                    p.error = None;
                }
            }
            KeyCode::Down => {
                p.cursor.on_action(Action::Down, completions.len(), SHOWN);
            }
            KeyCode::Up => {
                p.cursor.on_action(Action::Up, completions.len(), SHOWN);
            }
            KeyCode::Enter => {
                // A bare partial command runs the highlighted completion
                // when it takes no argument (`:aud` + enter = `:audit`).
                let line = p.text.trim().to_string();
                let line = if command(line.split(' ').next().unwrap_or("")).is_none()
                    && !line.contains(' ')
                {
                    match completions.get(p.cursor.selected) {
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
                    p.cursor.reset();
                    p.error = None;
                }
            }
        }
        p.completions = completions;
        self.input = Some(Input::Palette(p));
        self.refresh_palette();
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
            "tail" => {
                let t = if arg.is_empty() {
                    self.current_table()
                } else {
                    Some(arg.to_string())
                };
                self.open_live(t);
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
            "init" => self.start_init(arg)?,
            "audit" => self.open_audit(),
            "help" => self.open_help(),
            "quit" => self.quit(),
            _ => return Err(format!("`{name}` is not handled")),
        }
        Ok(())
    }

    /// The table in front: the items view's, else the selected one.
    pub fn current_table(&self) -> Option<String> {
        match self.screen {
            Screen::Tables => self.tables.selected_name(),
            Screen::Metrics => self.metrics.table.clone(),
            Screen::Live => self.live.table.clone(),
            Screen::Migrate => self.migrate.table.clone(),
            _ => self
                .items
                .as_ref()
                .map(|i| i.table.clone())
                .or_else(|| self.tables.selected_name()),
        }
    }
}
