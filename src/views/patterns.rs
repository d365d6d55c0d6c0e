//! The saved access patterns: list (fuzzy filtered) and the selected
//! pattern's definition, parameters and fit with the live table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, ListItem, Paragraph, Wrap};

use super::widgets::SelectList;
use crate::app::tui::state::App;
use crate::dynamo::pattern::Pattern;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let st = &app.patterns;
    let visible = &st.shown;
    let table = st
        .table
        .as_ref()
        .map(|t| format!(" on {t}"))
        .unwrap_or_default();
    let title = if st.list.filter.is_empty() {
        format!(" Access patterns{table} ")
    } else {
        format!(" Access patterns{table} /{} ", st.list.filter)
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    // Checked against the table when the screen opened, not per frame.
    let warnings_of = |i: usize| st.fits.get(i).cloned().unwrap_or_default();
    if visible.is_empty() {
        let msg = if app.project.patterns.is_empty() {
            "No saved patterns. Declare [[pattern]] entries in dyntui.toml (see README)."
                .to_string()
        } else {
            format!("No pattern matches `{}`.", st.list.filter)
        };
        f.render_widget(
            Paragraph::new(msg).wrap(Wrap { trim: true }).block(block),
            left,
        );
        f.render_widget(Block::default().borders(Borders::ALL), right);
        return;
    }
    let items: Vec<ListItem> = visible
        .iter()
        .map(|&i| {
            let p = &app.project.patterns[i].pattern;
            let on = if p.needs_scan() {
                Span::styled(" SCAN", Style::default().fg(t.warning))
            } else {
                Span::styled(
                    format!(" {}", p.index.as_deref().unwrap_or("table")),
                    Style::default().fg(t.muted),
                )
            };
            let warn = if warnings_of(i).is_empty() {
                Span::raw("")
            } else {
                Span::styled(" ⚠", Style::default().fg(t.warning))
            };
            ListItem::new(Line::from(vec![Span::raw(p.name.clone()), on, warn]))
        })
        .collect();
    SelectList::new(items, block, t).render(f, left, Some(&st.list.cursor));
    let sel = st.list.cursor.selected.min(visible.len() - 1);

    let index = visible[sel];
    let sp = &app.project.patterns[index];
    let mut lines = definition_lines(&sp.pattern, app);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("declared at {}:{}", sp.file, sp.line),
        Style::default().fg(t.muted),
    ));
    let warnings = warnings_of(index);
    if !warnings.is_empty() {
        lines.push(Line::raw(""));
        for w in warnings {
            lines.push(Line::styled(
                format!("⚠ {w}"),
                Style::default().fg(t.warning),
            ));
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", sp.pattern.name));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        right,
    );
}

/// What a pattern does, for the detail pane.
pub fn definition_lines(p: &Pattern, app: &App) -> Vec<Line<'static>> {
    let t = &app.settings.theme;
    let label = |s: &str| Span::styled(format!("{s:<12}"), Style::default().fg(t.muted));
    let mut lines = vec![Line::raw(p.description.clone()), Line::raw("")];
    if p.needs_scan() {
        lines.push(Line::styled(
            "SCAN: reads every item of the table or index (no partition key)",
            Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::from(vec![
        label("Index"),
        Span::raw(p.index.clone().unwrap_or_else(|| "(table)".into())),
    ]));
    if let Some(e) = &p.entity {
        lines.push(Line::from(vec![label("Returns"), Span::raw(e.clone())]));
    }
    if let Some(pk) = &p.pk {
        lines.push(Line::from(vec![
            label("Partition"),
            Span::styled(pk.source().to_string(), Style::default().fg(t.key)),
        ]));
    }
    if let Some(sk) = &p.sk {
        let mut text = format!("{} {}", sk.op, sk.value.source());
        if let Some(v2) = &sk.value2 {
            text.push_str(&format!(" and {}", v2.source()));
        }
        lines.push(Line::from(vec![
            label("Sort"),
            Span::styled(text, Style::default().fg(t.key)),
        ]));
    }
    if let Some(fl) = &p.filter {
        lines.push(Line::from(vec![label("Filter"), Span::raw(fl.clone())]));
    }
    if !p.projection.is_empty() {
        lines.push(Line::from(vec![
            label("Projection"),
            Span::raw(p.projection.join(", ")),
        ]));
    }
    let mut order = Vec::new();
    if p.descending {
        order.push("newest first".to_string());
    }
    if let Some(l) = p.limit {
        order.push(format!("{l} per page"));
    }
    if !order.is_empty() {
        lines.push(Line::from(vec![
            label("Order"),
            Span::raw(order.join(", ")),
        ]));
    }
    if !p.params.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Parameters",
            Style::default().add_modifier(Modifier::BOLD),
        ));
        for d in &p.params {
            let mut extra = Vec::new();
            if let crate::dynamo::pattern::ParamType::Enum(values) = &d.kind {
                extra.push(format!("one of {}", values.join(", ")));
            }
            if let Some(v) = &d.default {
                extra.push(format!("default {v}"));
            }
            if let Some(v) = &d.example {
                extra.push(format!("e.g. {v}"));
            }
            if let Some(v) = &d.description {
                extra.push(v.clone());
            }
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<14}", d.name), Style::default().fg(t.key)),
                Span::raw(format!("{:<10}", d.kind.to_string())),
                Span::styled(extra.join(" · "), Style::default().fg(t.muted)),
            ]));
        }
    }
    lines
}
