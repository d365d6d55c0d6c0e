//! Text inputs: the filter boxes and the query form.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{centered, popup};
use crate::app::state::{App, Input, QueryForm};
use crate::dynamo::request::SORT_OPS;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    match &app.input {
        Some(Input::TablesFilter) => {
            line_box(f, area, app, "Filter tables", &app.tables.filter, None)
        }
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
            let sk_op = SORT_OPS.get(form.sk_op).copied().unwrap_or("(none)");
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
