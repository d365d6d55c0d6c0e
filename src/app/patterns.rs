//! The saved access patterns screen: a fuzzy-searchable list, a parameter
//! form with types checked as you type, and running a pattern into the items
//! view (same request path as `dyntui query <pattern>`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern as Fuzzy};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::app::config::Project;
use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Input, Level, Screen, edit_line};
use crate::dynamo::client::TableInfo;

/// The patterns list.
#[derive(Debug, Default)]
pub struct PatternsState {
    pub selected: usize,
    pub filter: String,
    /// Where `esc` returns to.
    pub back_to: Option<Screen>,
}

impl PatternsState {
    /// Indices of the project's patterns matching the filter, best first
    /// (fuzzy over name, description, entity and index).
    pub fn visible(&self, project: &Project) -> Vec<usize> {
        if self.filter.is_empty() {
            return (0..project.patterns.len()).collect();
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let fuzzy = Fuzzy::parse(&self.filter, CaseMatching::Ignore, Normalization::Smart);
        let mut buf = Vec::new();
        // Names first; the description, entity and index only when the name
        // does not match, ranked below every name match.
        let mut scored: Vec<(bool, u32, usize)> = project
            .patterns
            .iter()
            .enumerate()
            .filter_map(|(i, sp)| {
                let p = &sp.pattern;
                if let Some(s) = fuzzy.score(Utf32Str::new(&p.name, &mut buf), &mut matcher) {
                    return Some((true, s, i));
                }
                let hay = format!(
                    "{} {} {}",
                    p.description,
                    p.entity.as_deref().unwrap_or(""),
                    p.index.as_deref().unwrap_or("")
                );
                fuzzy
                    .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                    .map(|s| (false, s, i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        scored.into_iter().map(|(_, _, i)| i).collect()
    }
}

/// The parameter form of one pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternForm {
    pub name: String,
    /// (param name, value) in declaration order.
    pub values: Vec<(String, String)>,
    pub field: usize,
    /// Per-field type errors, checked as you type.
    pub errors: Vec<Option<String>>,
    /// Error from compiling the request (shown under the fields).
    pub error: Option<String>,
}

/// Recent parameter values per pattern, kept in the state dir.
#[derive(Debug, Default)]
pub struct RecentParams {
    path: Option<PathBuf>,
    map: BTreeMap<String, BTreeMap<String, String>>,
}

impl RecentParams {
    /// `$XDG_STATE_HOME/dyntui/recent-params.json`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "dyntui").map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.cache_dir())
                .join("recent-params.json")
        })
    }

    /// Loads (a missing or unreadable file is an empty memory, logged).
    pub fn load(path: Option<PathBuf>) -> RecentParams {
        let map = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| match serde_json::from_str(&s) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::warn!("ignoring unreadable recent-params file: {e}");
                    None
                }
            })
            .unwrap_or_default();
        RecentParams { path, map }
    }

    pub fn get(&self, pattern: &str) -> Option<&BTreeMap<String, String>> {
        self.map.get(pattern)
    }

    /// Remembers values and writes the file (best effort, logged on failure).
    pub fn remember(&mut self, pattern: &str, values: &BTreeMap<String, String>) {
        self.map.insert(pattern.to_string(), values.clone());
        let Some(path) = &self.path else { return };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&self.map)?)?;
            std::fs::rename(&tmp, path)
        };
        if let Err(e) = write() {
            tracing::warn!("cannot save recent parameters to {}: {e}", path.display());
        }
    }
}

impl App {
    /// Opens the patterns list.
    pub fn open_patterns(&mut self) {
        if self.screen != Screen::Patterns {
            self.patterns.back_to = Some(self.screen);
        }
        self.screen = Screen::Patterns;
        if self.project.patterns.is_empty() {
            self.flash(
                Level::Warn,
                "no saved patterns: add [[pattern]] entries to dyntui.toml (see README)",
            );
        }
    }

    /// The table patterns run against: the open items view's, else the
    /// selected table, else the project's default table.
    pub fn pattern_table(&self) -> Option<String> {
        if let Some(i) = &self.items {
            return Some(i.table.clone());
        }
        let from_tables =
            [self.patterns.back_to, self.seed.back_to].contains(&Some(Screen::Tables));
        if from_tables && let Some(n) = self.tables.selected_name() {
            return Some(n);
        }
        self.project
            .default_table
            .clone()
            .or_else(|| self.tables.selected_name())
    }

    /// The description of the pattern table, when known.
    pub fn pattern_table_info(&self) -> Option<TableInfo> {
        self.known_info(&self.pattern_table()?)
    }

    /// Warnings from checking a pattern against the live table description.
    pub fn pattern_warnings(&self, index: usize) -> Vec<String> {
        match (self.project.patterns.get(index), self.pattern_table_info()) {
            (Some(sp), Some(info)) => sp.pattern.fit(&info),
            _ => Vec::new(),
        }
    }

    pub(super) fn patterns_action(&mut self, action: Action) {
        let visible = self.patterns.visible(&self.project);
        let n = visible.len();
        let sel = &mut self.patterns.selected;
        match action {
            Action::Down => *sel = (*sel + 1).min(n.saturating_sub(1)),
            Action::Up => *sel = sel.saturating_sub(1),
            Action::PageDown => *sel = (*sel + 10).min(n.saturating_sub(1)),
            Action::PageUp => *sel = sel.saturating_sub(10),
            Action::Top => *sel = 0,
            Action::Bottom => *sel = n.saturating_sub(1),
            Action::Filter => self.input = Some(Input::PatternsFilter),
            Action::Back => {
                if !self.patterns.filter.is_empty() {
                    self.patterns.filter.clear();
                    self.patterns.selected = 0;
                } else {
                    self.screen = self.patterns.back_to.take().unwrap_or(Screen::Tables);
                }
            }
            Action::Open => {
                if let Some(&i) = visible.get(self.patterns.selected) {
                    let form = self.pattern_form(i);
                    self.input = Some(Input::PatternForm(form));
                }
            }
            _ => {}
        }
    }

    /// Opens the parameter form of pattern `index`.
    pub fn open_pattern_form(&mut self, index: usize) {
        if index < self.project.patterns.len() {
            let form = self.pattern_form(index);
            self.input = Some(Input::PatternForm(form));
        }
    }

    /// A form prefilled with recent values, else defaults, else examples.
    fn pattern_form(&self, index: usize) -> PatternForm {
        let sp = &self.project.patterns[index];
        let p = &sp.pattern;
        let recent = self.recent.get(&p.name);
        let used = p.used_params();
        let values: Vec<(String, String)> = p
            .params
            .iter()
            .filter(|d| used.contains(&d.name))
            .map(|d| {
                let v = recent
                    .and_then(|r| r.get(&d.name).cloned())
                    .or_else(|| d.default.clone())
                    .or_else(|| d.example.clone())
                    .unwrap_or_default();
                (d.name.clone(), v)
            })
            .collect();
        let mut form = PatternForm {
            name: p.name.clone(),
            errors: vec![None; values.len()],
            values,
            field: 0,
            error: None,
        };
        self.check_form(&mut form);
        form
    }

    fn check_form(&self, form: &mut PatternForm) {
        let Some(sp) = self.project.pattern(&form.name) else {
            return;
        };
        for (i, (name, v)) in form.values.iter().enumerate() {
            form.errors[i] = match sp.pattern.param(name) {
                Some(_) if v.is_empty() && !sp.pattern.is_required(name) => None,
                Some(_) if v.is_empty() => Some("required".into()),
                Some(d) => d.check(v).err(),
                None => None,
            };
        }
    }

    pub(super) fn on_pattern_form_key(&mut self, mut form: PatternForm, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Tab | KeyCode::Down => {
                form.field = (form.field + 1) % form.values.len().max(1);
                self.input = Some(Input::PatternForm(form));
            }
            KeyCode::BackTab | KeyCode::Up => {
                let n = form.values.len().max(1);
                form.field = (form.field + n - 1) % n;
                self.input = Some(Input::PatternForm(form));
            }
            KeyCode::Enter => {
                self.check_form(&mut form);
                if form.errors.iter().any(Option::is_some) {
                    form.error = Some("fix the marked parameters first".into());
                    self.input = Some(Input::PatternForm(form));
                    return;
                }
                let given: BTreeMap<String, String> = form
                    .values
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .cloned()
                    .collect();
                if let Err(e) = self.run_pattern(&form.name, &given) {
                    form.error = Some(e);
                    self.input = Some(Input::PatternForm(form));
                }
            }
            _ => {
                if let Some((_, v)) = form.values.get_mut(form.field) {
                    edit_line(v, k);
                }
                form.error = None;
                self.check_form(&mut form);
                self.input = Some(Input::PatternForm(form));
            }
        }
    }

    /// Runs a saved pattern on the pattern table into the items view.
    pub fn run_pattern(
        &mut self,
        name: &str,
        given: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let sp = self
            .project
            .pattern(name)
            .ok_or_else(|| format!("no pattern `{name}`"))?
            .clone();
        let values = sp.pattern.resolve(given).map_err(|errs| {
            errs.iter()
                .map(|e| format!("{}: {}", e.param, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        let table = self
            .pattern_table()
            .ok_or("no table: open one first, or set [project] default_table")?;
        let Some(info) = self.pattern_table_info() else {
            // Describe first; the run continues when the description arrives.
            self.pending_pattern = Some((table.clone(), name.to_string(), values));
            self.open_table(&table);
            return Ok(());
        };
        let req = sp.pattern.compile(&table, &info, &values)?;
        self.recent.remember(name, given);
        self.open_request(&table, info, req, Some(name.to_string()));
        Ok(())
    }
}
