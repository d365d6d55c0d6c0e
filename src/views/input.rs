//! Text inputs: the filter boxes and the query form.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{ConfirmText, confirm_lines, selected_style};
use super::{centered, popup};
use crate::app::tui::input::PatternForm;
use crate::app::tui::palette::Palette;
use crate::app::tui::state::{App, Input, QueryForm};
use crate::dynamo::request::SortOp;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    match &app.input {
        Some(Input::TablesFilter) => {
            line_box(f, area, app, "Filter tables", &app.tables.nav.filter, None)
        }
        Some(Input::PatternsFilter) => line_box(
            f,
            area,
            app,
            "Find a pattern (fuzzy)",
            &app.patterns.list.filter,
            None,
        ),
        Some(Input::PatternForm(form)) => pattern_form(f, area, app, form),
        Some(Input::Palette(p)) => palette(f, area, app, p),
        Some(Input::BulkSet { text, error }) => {
            let n = app.items.as_ref().map_or(0, |i| i.marks.len());
            line_box(
                f,
                area,
                app,
                &format!("Set an attribute on {n} marked items: name=value"),
                text,
                error.as_deref(),
            )
        }
        Some(Input::QuickEdit { attr, text, error }) => line_box(
            f,
            area,
            app,
            &format!("New value of {attr}"),
            text,
            error.as_deref(),
        ),
        Some(Input::Unlock { table, confirm, .. }) => {
            let reason = app.protection_of(table).unwrap_or_default();
            let r = centered(area, 80, if confirm.error.is_some() { 8 } else { 7 });
            let block = popup(f, r, "Protected table", app);
            let text = ConfirmText {
                heading: Line::styled(
                    format!("`{table}` is read-only: {reason}."),
                    Style::default().fg(t.error).add_modifier(Modifier::BOLD),
                ),
                prompt: "Type the table name to allow writes for this session: ",
                keys: Some("enter unlock · esc keep it read-only"),
                yes_no: None,
                refusal: true,
            };
            let mut lines = Vec::new();
            confirm_lines(confirm, t, text, &mut lines);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                r,
            );
        }
        Some(Input::Overwrite { path, table, .. }) => {
            let r = centered(area, 80, 7);
            let block = popup(f, r, "Project file exists", app);
            let lines = vec![
                Line::styled(
                    format!("{path} already exists."),
                    Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
                ),
                Line::raw(format!(
                    "Replace it with a project file learned from `{table}`?"
                )),
                Line::raw(""),
                Line::styled("y replace it · n/esc keep it", Style::default().fg(t.muted)),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                r,
            );
        }
        Some(Input::ReadAll { estimate, .. }) => {
            let r = centered(area, 84, 8);
            let block = popup(f, r, "Read everything?", app);
            let what = match estimate.read.as_ref().map(|p| p.kind.as_str()) {
                Some("Scan") => format!(
                    "G reads all of {} again (a parallel Scan from the start).",
                    estimate.table
                ),
                _ => "G reads the rest of this Query, page after page.".to_string(),
            };
            let lines = vec![
                Line::styled(
                    what,
                    Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
                ),
                Line::raw(estimate.line()),
                Line::styled(
                    format!(
                        "That is above [estimates] confirm_above_units ({} capacity units).",
                        crate::dynamo::estimate::units(app.settings.estimates.confirm_above_units)
                    ),
                    Style::default().fg(t.muted),
                ),
                Line::raw(""),
                Line::styled(
                    "y read it · n/esc keep the rows loaded",
                    Style::default().fg(t.muted),
                ),
            ];
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                r,
            );
        }
        Some(Input::ContextsFilter) => line_box(
            f,
            area,
            app,
            "Filter profiles",
            &app.contexts.nav.filter,
            None,
        ),
        Some(Input::AuditFilter) => line_box(
            f,
            area,
            app,
            "Filter the audit log",
            &app.audit.nav.filter,
            None,
        ),
        Some(Input::LiveKeyFilter(text)) => line_box(
            f,
            area,
            app,
            "Changes whose key has (text, or NAME=VALUE)",
            text,
            None,
        ),
        Some(Input::TextFilter) => {
            let text = app
                .items
                .as_ref()
                .map(|i| i.text_filter.as_str())
                .unwrap_or("");
            line_box(f, area, app, "Filter loaded items (text)", text, None)
        }
        Some(Input::ServerFilter { text, error }) => line_box(
            f,
            area,
            app,
            "Server-side filter (FilterExpression; still reads every item it scans)",
            text,
            error.as_deref(),
        ),
        Some(Input::Query(form)) => {
            let r = centered(area, 72, 14);
            let block = popup(f, r, "Query", app);
            let indexes = index_names(app);
            let (pk_name, sk_name) = key_names(app, form);
            let sk_op = form.sk_op.map_or("(none)", SortOp::as_str);
            let values = [
                indexes.get(form.index).cloned().unwrap_or_default(),
                form.pk.clone(),
                sk_op.to_string(),
                form.sk.clone(),
                form.sk2.clone(),
                form.filter.clone(),
                if form.descending {
                    "descending (newest first)".into()
                } else {
                    "ascending".into()
                },
            ];
            let mut lines = Vec::new();
            for (i, label) in QueryForm::FIELDS.iter().enumerate() {
                let label = match i {
                    1 => format!("{label} ({pk_name})"),
                    3 => format!(
                        "{label} ({})",
                        sk_name.clone().unwrap_or_else(|| "none".into())
                    ),
                    _ => label.to_string(),
                };
                let focused = form.field == i;
                let cursor = if focused && matches!(i, 1 | 3 | 4 | 5) {
                    "▏"
                } else {
                    ""
                };
                let choice = if matches!(i, 0 | 2 | 6) {
                    "‹ › "
                } else {
                    ""
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} {:<26}", if focused { "▶" } else { " " }, label),
                        if focused {
                            Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                        } else {
                            Style::default().fg(t.muted)
                        },
                    ),
                    Span::styled(choice, Style::default().fg(t.muted)),
                    Span::raw(format!("{}{cursor}", values[i])),
                ]));
            }
            lines.push(Line::raw(""));
            if form.pk.is_empty() {
                lines.push(Line::styled(
                    "No partition key: this runs a SCAN of the whole table or index.",
                    Style::default().fg(t.warning),
                ));
            }
            if let Some(e) = &form.error {
                lines.push(Line::styled(e.clone(), Style::default().fg(t.error)));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                r,
            );
        }
        None => {}
    }
}

fn pattern_form(f: &mut Frame, area: Rect, app: &App, form: &PatternForm) {
    let t = &app.settings.theme;
    let Some(sp) = app.project.pattern(&form.name) else {
        return;
    };
    let p = &sp.pattern;
    let h = (form.values.len() as u16) * 2 + 9;
    let r = centered(area, 78, h);
    let table = app.pattern_table().unwrap_or_else(|| "?".into());
    let title = format!("Run {} on {table}", p.name);
    let block = popup(f, r, &title, app);
    let mut lines = vec![Line::styled(
        p.description.clone(),
        Style::default().fg(t.muted),
    )];
    if p.needs_scan() {
        lines.push(Line::styled(
            "This pattern runs a SCAN: it reads (and bills) every item of the table or index.",
            Style::default().fg(t.warning),
        ));
    }
    // Its cost with these parameters, from the table's description.
    let estimate = app.pattern_table_info().and_then(|info| {
        crate::app::tui::screens::patterns::form_estimate(
            &app.project,
            form,
            &table,
            &info,
            app.ctx.region.as_deref(),
            &app.settings.estimates.prices,
        )
    });
    lines.push(
        match estimate
            .as_ref()
            .and_then(|e| e.read.as_ref().map(|r| (e, r)))
        {
            Some((e, r)) => match &r.at_most {
                Some(b) => Line::styled(
                    format!(
                        "Cost: reads what the key condition selects, at most {} {} (all of {})",
                        crate::dynamo::estimate::units(b.units),
                        if e.on_demand() { "RRU" } else { "RCU" },
                        r.index.as_deref().unwrap_or(&e.table),
                    ),
                    Style::default().fg(t.muted),
                ),
                None => {
                    let above =
                        e.units_for_threshold() > app.settings.estimates.confirm_above_units;
                    Line::styled(
                        format!("Cost to read it all: {}", e.line()),
                        Style::default().fg(if above { t.warning } else { t.muted }),
                    )
                }
            },
            None => Line::styled(
                "Cost: shown once the parameters are filled and the table is described",
                Style::default().fg(t.muted),
            ),
        },
    );
    lines.push(Line::raw(""));
    if form.values.is_empty() {
        lines.push(Line::raw("No parameters. Enter runs it."));
    }
    for (i, (name, v)) in form.values.iter().enumerate() {
        let focused = form.field == i;
        let kind = p
            .param(name)
            .map(|d| d.kind.to_string())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {:<16}", if focused { "▶" } else { " " }, name),
                if focused {
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                } else {
                    Style::default().fg(t.muted)
                },
            ),
            Span::styled(format!("{kind:<10}"), Style::default().fg(t.muted)),
            Span::raw(format!("{v}{}", if focused { "▏" } else { "" })),
        ]));
        let hint = match form.errors.get(i).cloned().flatten() {
            Some(e) => Span::styled(format!("    {e}"), Style::default().fg(t.error)),
            None => Span::styled(
                p.param(name)
                    .map(|d| match &d.kind {
                        crate::dynamo::pattern::ParamType::Enum(values) => {
                            format!("    one of {}", values.join(", "))
                        }
                        _ => d
                            .example
                            .as_ref()
                            .map(|e| format!("    e.g. {e}"))
                            .unwrap_or_default(),
                    })
                    .unwrap_or_default(),
                Style::default().fg(t.muted),
            ),
        };
        lines.push(Line::from(hint));
    }
    if let Some(e) = &form.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(e.clone(), Style::default().fg(t.error)));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}

fn index_names(app: &App) -> Vec<String> {
    let mut v = vec!["(table)".to_string()];
    if let Some(info) = app.items.as_ref().and_then(|i| i.info.as_ref()) {
        for i in &info.indexes {
            let sk =
                i.sk.as_ref()
                    .map(|k| format!(", {}", k.name))
                    .unwrap_or_default();
            v.push(format!("{} ({}{sk})", i.name, i.pk.name));
        }
    }
    v
}

fn key_names(app: &App, form: &QueryForm) -> (String, Option<String>) {
    let Some(info) = app.items.as_ref().and_then(|i| i.info.as_ref()) else {
        return ("?".into(), None);
    };
    let index = (form.index > 0)
        .then(|| info.indexes.get(form.index - 1).map(|i| i.name.clone()))
        .flatten();
    match info.keys_of(index.as_deref()) {
        Some((pk, sk)) => (pk.name.clone(), sk.map(|k| k.name.clone())),
        None => ("?".into(), None),
    }
}

fn line_box(f: &mut Frame, area: Rect, app: &App, title: &str, text: &str, error: Option<&str>) {
    let t = &app.settings.theme;
    let h = if error.is_some() { 4 } else { 3 };
    let r = centered(area, 80, h);
    let block = popup(f, r, title, app);
    let mut lines = vec![Line::raw(format!("{text}▏"))];
    if let Some(e) = error {
        lines.push(Line::styled(e.to_string(), Style::default().fg(t.error)));
    }
    f.render_widget(Paragraph::new(lines).block(block), r);
}

/// The command line at the bottom of the body, its completions above it.
fn palette(f: &mut Frame, area: Rect, app: &App, p: &Palette) {
    let t = &app.settings.theme;
    let completions = &p.completions;
    let h = (completions.len() as u16 + 3 + u16::from(p.error.is_some())).min(area.height);
    let r = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(h),
        width: area.width,
        height: h,
    };
    let block = popup(f, r, "Command (tab completes)", app);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            ":",
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("{}▏", p.text)),
    ])];
    if let Some(e) = &p.error {
        lines.push(Line::styled(e.clone(), Style::default().fg(t.error)));
    }
    for (i, c) in completions.iter().enumerate() {
        let style = if i == p.cursor.selected {
            selected_style(t)
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<32}", c.line), style),
            Span::styled(c.help.clone(), Style::default().fg(t.muted)),
        ]));
    }
    f.render_widget(Paragraph::new(lines).block(block), r);
}
