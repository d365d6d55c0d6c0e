//! The saved access patterns screen: a fuzzy-searchable list, a parameter
//! form with types checked as you type, and running a pattern into the items
//! view (same request path as `dyntui query <pattern>`). Each pattern is
//! checked against the table it runs on when the screen opens or the
//! table's description arrives, not when drawn.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern as Fuzzy};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::app::config::Project;
use crate::app::patterns::RecentParams;
use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::input::{Input, PatternForm};
use crate::app::tui::keymap::Action;
use crate::app::tui::widgets::edit_line;
use crate::app::tui::widgets::{FilterKey, FilterList};

/// The patterns screen has no effects of its own (running a pattern opens
/// the items view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternsEffect {}

pub type PatternsCx<'a> = Cx<'a, PatternsEffect>;

/// The patterns list.
#[derive(Debug, Default)]
pub struct PatternsState {
    /// The filter and the cursor (over `shown`).
    pub list: FilterList,
    /// Where `esc` returns to.
    pub back_to: Option<Screen>,
    /// The table patterns run against (set when the screen opens).
    pub table: Option<String>,
    /// Indices of the project's patterns in view, best first (computed
    /// when the filter changes).
    pub shown: Vec<usize>,
    /// Per pattern, the warnings from checking it against the table's
    /// description (empty while the description is unknown).
    pub fits: Vec<Vec<String>>,
    /// Recent parameter values (prefill the form).
    pub recent: RecentParams,
}

impl PatternsState {
    /// Indices of the project's patterns matching the filter, best first
    /// (fuzzy over name, description, entity and index).
    pub fn visible(&self, project: &Project) -> Vec<usize> {
        let filter = &self.list.filter;
        if filter.is_empty() {
            return (0..project.patterns.len()).collect();
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let fuzzy = Fuzzy::parse(filter, CaseMatching::Ignore, Normalization::Smart);
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

    /// The pattern under the cursor (an index into the project's patterns).
    pub fn selected(&self) -> Option<usize> {
        self.shown.get(self.list.cursor.selected).copied()
    }

    /// The screen comes to the front, on `table`.
    pub fn opened(&mut self, cx: &mut PatternsCx, table: Option<String>) {
        self.table = table;
        self.shown = self.visible(cx.project);
        self.list.cursor.clamp(self.shown.len());
        self.refit(cx);
        if let Some(t) = &self.table
            && cx.info(t).is_none()
        {
            cx.core(Core::Describe(t.clone()));
        }
        if cx.project.patterns.is_empty() {
            cx.flash(
                Level::Warn,
                "no saved patterns: add [[pattern]] entries to dyntui.toml (see README)",
            );
        }
    }

    /// Checks every pattern against the table's description (again).
    pub fn refit(&mut self, cx: &PatternsCx) {
        let info = self.table.as_deref().and_then(|t| cx.info(t));
        self.fits = cx
            .project
            .patterns
            .iter()
            .map(|sp| info.map(|i| sp.pattern.fit(i)).unwrap_or_default())
            .collect();
    }

    pub fn on_action(&mut self, cx: &mut PatternsCx, action: Action) {
        let n = self.shown.len();
        if self.list.cursor.on_action(action, n, cx.page_rows()) {
            return;
        }
        match action {
            Action::Filter => *cx.input = Some(Input::PatternsFilter),
            Action::Back => {
                if self.list.clear() {
                    self.shown = self.visible(cx.project);
                } else {
                    cx.core(Core::Go(self.back_to.take().unwrap_or(Screen::Tables)));
                }
            }
            Action::Open => {
                if let Some(i) = self.selected() {
                    self.open_form(cx, i);
                }
            }
            _ => {}
        }
    }

    /// A key typed into the filter (`/`).
    pub fn on_filter_key(&mut self, cx: &mut PatternsCx, k: &KeyEvent) {
        if let FilterKey::Typing { .. } = self.list.on_filter_key(k) {
            *cx.input = Some(Input::PatternsFilter);
        }
        self.shown = self.visible(cx.project);
    }

    /// Opens the parameter form of pattern `index`.
    pub fn open_form(&mut self, cx: &mut PatternsCx, index: usize) {
        if let Some(form) = self.form(cx.project, index) {
            *cx.input = Some(Input::PatternForm(form));
        }
    }

    /// A form prefilled with recent values, else defaults, else examples.
    fn form(&self, project: &Project, index: usize) -> Option<PatternForm> {
        let p = &project.patterns.get(index)?.pattern;
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
        check_form(project, &mut form);
        Some(form)
    }

    /// A key typed into the parameter form.
    pub fn on_form_key(&mut self, cx: &mut PatternsCx, mut form: PatternForm, k: &KeyEvent) {
        match k.code {
            KeyCode::Esc => {}
            KeyCode::Tab | KeyCode::Down => {
                form.field = (form.field + 1) % form.values.len().max(1);
                *cx.input = Some(Input::PatternForm(form));
            }
            KeyCode::BackTab | KeyCode::Up => {
                let n = form.values.len().max(1);
                form.field = (form.field + n - 1) % n;
                *cx.input = Some(Input::PatternForm(form));
            }
            KeyCode::Enter => {
                check_form(cx.project, &mut form);
                if form.errors.iter().any(Option::is_some) {
                    form.error = Some("fix the marked parameters first".into());
                    *cx.input = Some(Input::PatternForm(form));
                    return;
                }
                let given: BTreeMap<String, String> = form
                    .values
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .cloned()
                    .collect();
                if let Err(e) = self.run(cx, &form.name, &given) {
                    form.error = Some(e);
                    *cx.input = Some(Input::PatternForm(form));
                }
            }
            _ => {
                if let Some((_, v)) = form.values.get_mut(form.field) {
                    edit_line(v, k);
                }
                form.error = None;
                check_form(cx.project, &mut form);
                *cx.input = Some(Input::PatternForm(form));
            }
        }
    }

    /// Runs a saved pattern on the pattern table into the items view.
    pub fn run(
        &mut self,
        cx: &mut PatternsCx,
        name: &str,
        given: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let sp = cx
            .project
            .pattern(name)
            .ok_or_else(|| format!("no pattern `{name}`"))?;
        let values = sp.pattern.resolve(given).map_err(|errs| {
            errs.iter()
                .map(|e| format!("{}: {}", e.param, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        let table = self
            .table
            .clone()
            .ok_or("no table: open one first, or set [project] default_table")?;
        let Some(info) = cx.info(&table).cloned() else {
            // Describe first; the run continues when the description arrives.
            cx.core(Core::OpenPatternWhenDescribed {
                table: table.clone(),
                pattern: name.to_string(),
                values,
            });
            cx.core(Core::OpenTable(table));
            return Ok(());
        };
        let req = sp.pattern.compile(&table, &info, &values)?;
        self.recent.remember(name, given);
        cx.core(Core::OpenItems {
            table,
            info: Box::new(info),
            request: Box::new(req),
            pattern: Some(name.to_string()),
        });
        Ok(())
    }
}

/// What running the form's pattern would read with the parameters filled
/// so far, by DescribeTable alone (None until they resolve and compile).
pub fn form_estimate(
    project: &Project,
    form: &PatternForm,
    table: &str,
    info: &crate::dynamo::client::TableInfo,
    region: Option<&str>,
    prices: &crate::dynamo::estimate::Prices,
) -> Option<crate::dynamo::estimate::Estimate> {
    let sp = project.pattern(&form.name)?;
    let given: BTreeMap<String, String> = form
        .values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .cloned()
        .collect();
    let values = sp.pattern.resolve(&given).ok()?;
    let req = sp.pattern.compile(table, info, &values).ok()?;
    Some(crate::dynamo::estimate::plan::describe_only(
        info, &req, region, prices,
    ))
}

/// Checks each parameter's value against its declared type.
fn check_form(project: &Project, form: &mut PatternForm) {
    let Some(sp) = project.pattern(&form.name) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::config::demo_project;
    use crate::app::tui::cx::testing::Parts;
    use crate::app::tui::request::Loadable;
    use crate::dynamo::client::TableInfo;

    fn parts() -> Parts {
        let mut p = Parts::new();
        p.project = demo_project().unwrap_or_else(|e| panic!("{e}"));
        p
    }

    fn info() -> TableInfo {
        crate::app::tui::cx::testing::keyed_table("shop")
    }

    fn index_of(p: &Parts, name: &str) -> usize {
        p.project
            .patterns
            .iter()
            .position(|sp| sp.pattern.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    }

    #[test]
    fn opening_on_an_undescribed_table_asks_for_it_and_fits_once_described() {
        let mut parts = parts();
        let mut st = PatternsState::default();
        let mut cx = parts.cx();
        st.opened(&mut cx, Some("shop".into()));
        assert!(matches!(cx.core.as_slice(), [Core::Describe(t)] if t == "shop"));
        assert!(st.fits.iter().all(Vec::is_empty), "nothing to check yet");
        // The demo table has no GSI1 here: the patterns on it do not fit.
        parts
            .described
            .insert("shop".into(), Loadable::Ready(info()));
        let cx = parts.cx();
        st.refit(&cx);
        let i = index_of(&parts, "orders-by-status");
        assert!(!st.fits[i].is_empty(), "{:?}", st.fits[i]);
        assert!(st.fits[index_of(&parts, "customer-orders")].is_empty());
    }

    #[test]
    fn the_filter_ranks_names_first_and_is_computed_when_typed() {
        let mut parts = parts();
        let mut st = PatternsState::default();
        let mut cx = parts.cx();
        st.opened(&mut cx, Some("shop".into()));
        let all = st.shown.len();
        for c in "ordrs".chars() {
            st.on_filter_key(&mut cx, &KeyEvent::from(KeyCode::Char(c)));
        }
        assert!(st.shown.len() < all);
        let first = &parts.project.patterns[st.shown[0]].pattern.name;
        assert!(first.contains("order"), "{first}");
    }

    #[test]
    fn enter_runs_the_pattern_into_the_items_view_and_remembers_its_values() {
        let mut parts = parts();
        parts
            .described
            .insert("shop".into(), Loadable::Ready(info()));
        let mut st = PatternsState::default();
        let mut cx = parts.cx();
        st.opened(&mut cx, Some("shop".into()));
        let i = index_of(&parts, "customer-orders");
        let mut cx = parts.cx();
        st.open_form(&mut cx, i);
        let Some(Input::PatternForm(form)) = cx.input.take() else {
            panic!("the form opens");
        };
        assert_eq!(form.values, vec![("customerId".into(), "c00001".into())]);
        st.on_form_key(&mut cx, form, &KeyEvent::from(KeyCode::Enter));
        match cx.core.as_slice() {
            [
                Core::OpenItems {
                    table,
                    request,
                    pattern,
                    ..
                },
            ] => {
                assert_eq!(table, "shop");
                assert_eq!(pattern.as_deref(), Some("customer-orders"));
                assert!(request.describe().contains("CUSTOMER#c00001"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            st.recent
                .get("customer-orders")
                .and_then(|r| r.get("customerId")),
            Some(&"c00001".to_string())
        );
    }

    #[test]
    fn a_run_on_an_undescribed_table_opens_it_and_runs_once_described() {
        let mut parts = parts();
        let mut st = PatternsState {
            table: Some("shop".into()),
            ..PatternsState::default()
        };
        let mut cx = parts.cx();
        let given = BTreeMap::from([("customerId".to_string(), "c7".to_string())]);
        assert_eq!(st.run(&mut cx, "customer-orders", &given), Ok(()));
        assert!(matches!(
            cx.core.as_slice(),
            [Core::OpenPatternWhenDescribed { table, pattern, .. }, Core::OpenTable(t)]
                if table == "shop" && pattern == "customer-orders" && t == "shop"
        ));
        assert!(st.run(&mut cx, "nope", &given).is_err());
    }

    #[test]
    fn esc_clears_the_filter_then_goes_back() {
        let mut parts = parts();
        let mut st = PatternsState {
            back_to: Some(Screen::Items),
            ..PatternsState::default()
        };
        let mut cx = parts.cx();
        st.opened(&mut cx, None);
        st.on_filter_key(&mut cx, &KeyEvent::from(KeyCode::Char('x')));
        let mut cx = parts.cx();
        st.on_action(&mut cx, Action::Back);
        assert!(cx.core.is_empty());
        assert!(st.list.filter.is_empty());
        st.on_action(&mut cx, Action::Back);
        assert!(matches!(cx.core.as_slice(), [Core::Go(Screen::Items)]));
    }
}
