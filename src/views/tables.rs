//! The tables list with a DescribeTable summary of the selected table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, ListItem, Paragraph, Wrap};

use super::widgets::SelectList;
use super::{SPINNER, human_bytes, render_error};
use crate::app::tui::state::{App, Loadable};
use crate::dynamo::client::TableInfo;

/// Draws the tables list; returns the rows of names it has room for.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let t = &app.settings.theme;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)]).areas(area);
    let shown = Some(left.height.saturating_sub(2) as usize);
    let title = if app.tables.nav.filter.is_empty() {
        " Tables ".to_string()
    } else {
        format!(" Tables /{} ", app.tables.nav.filter)
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    match &app.tables.list.state {
        Loadable::Idle | Loadable::Loading => {
            let s = SPINNER[app.spinner % SPINNER.len()];
            f.render_widget(
                Paragraph::new(format!("{s} loading tables…")).block(block),
                left,
            );
        }
        Loadable::Failed(e) => {
            render_error(f, area, app, "ListTables failed", e);
            return shown;
        }
        Loadable::Ready(_) => {
            let names = app.tables.visible();
            if names.is_empty() {
                let msg = if app.tables.nav.filter.is_empty() {
                    "No tables here. Create one, or run `dyntui seed demo`.".to_string()
                } else {
                    format!("No table matches `{}`.", app.tables.nav.filter)
                };
                f.render_widget(
                    Paragraph::new(msg).wrap(Wrap { trim: true }).block(block),
                    left,
                );
            } else {
                // Each table with its throttle sparkline (last hour) when known.
                let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
                let items: Vec<ListItem> = names
                    .iter()
                    .map(|n| match app.tables.sparks.get(*n) {
                        Some(bars) => {
                            let hot = bars.iter().any(|b| *b > 0.0);
                            ListItem::new(Line::from(vec![
                                Span::raw(format!("{n:<width$} ")),
                                Span::styled(
                                    crate::metrics::sparklines::render(bars),
                                    Style::default().fg(if hot { t.error } else { t.muted }),
                                ),
                            ]))
                        }
                        None => ListItem::new(*n),
                    })
                    .collect();
                SelectList::new(items, block, t).render(f, left, Some(&app.tables.nav.cursor));
            }
        }
    }
    let block = Block::default().borders(Borders::ALL).title(" Summary ");
    let Some(name) = app.tables.selected_name() else {
        f.render_widget(block, right);
        return shown;
    };
    match app.described.get(&name) {
        Some(Loadable::Ready(info)) => {
            f.render_widget(
                Paragraph::new(summary_lines(info, app))
                    .wrap(Wrap { trim: false })
                    .block(block.title(format!(" {name} "))),
                right,
            );
        }
        Some(Loadable::Failed(e)) => render_error(f, right, app, "DescribeTable failed", e),
        _ => {
            let s = SPINNER[app.spinner % SPINNER.len()];
            f.render_widget(
                Paragraph::new(format!("{s} describing {name}…")).block(block),
                right,
            );
        }
    }
    shown
}

/// The DescribeTable summary: keys, indexes, billing, counts, stream, TTL, PITR.
pub fn summary_lines(info: &TableInfo, app: &App) -> Vec<Line<'static>> {
    let t = &app.settings.theme;
    let label = |s: &str| Span::styled(format!("{s:<20}"), Style::default().fg(t.muted));
    let key = |k: &Option<crate::dynamo::client::KeyDef>| match k {
        Some(k) => format!("{} ({})", k.name, k.kind_label()),
        None => "—".to_string(),
    };
    let mut lines = vec![
        Line::from(vec![label("Status"), Span::raw(info.status.clone())]),
        Line::from(vec![
            label("Partition key"),
            Span::styled(key(&info.pk), Style::default().fg(t.key)),
        ]),
        Line::from(vec![
            label("Sort key"),
            Span::styled(key(&info.sk), Style::default().fg(t.key)),
        ]),
    ];
    let billing = match (
        info.billing_mode.as_str(),
        info.capacity,
        info.on_demand_max,
    ) {
        ("PAY_PER_REQUEST", _, Some((r, w))) => format!("on demand (max {r} RRU / {w} WRU)"),
        ("PAY_PER_REQUEST", _, None) => "on demand".to_string(),
        (_, Some((r, w)), _) => format!("provisioned {r} RCU / {w} WCU"),
        (m, _, _) => m.to_string(),
    };
    lines.push(Line::from(vec![label("Billing"), Span::raw(billing)]));
    lines.push(Line::from(vec![
        label("Items (approx.)"),
        Span::raw(
            info.item_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
        ),
        Span::styled(
            "  updated every ~6 h by DynamoDB",
            Style::default().fg(t.muted),
        ),
    ]));
    lines.push(Line::from(vec![
        label("Size"),
        Span::raw(
            info.size_bytes
                .map(human_bytes)
                .unwrap_or_else(|| "?".into()),
        ),
    ]));
    let onoff = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    lines.push(Line::from(vec![
        label("Stream"),
        Span::raw(onoff(&info.stream)),
    ]));
    lines.push(Line::from(vec![label("TTL"), Span::raw(onoff(&info.ttl))]));
    lines.push(Line::from(vec![
        label("PITR"),
        Span::raw(onoff(&info.pitr)),
    ]));
    lines.push(Line::from(vec![
        label("Deletion protection"),
        Span::raw(match info.deletion_protection {
            Some(true) => "on",
            Some(false) => "off",
            None => "—",
        }),
    ]));
    if let Some(c) = &info.created {
        lines.push(Line::from(vec![label("Created"), Span::raw(c.clone())]));
    }
    lines.push(Line::raw(""));
    if info.indexes.is_empty() {
        lines.push(Line::styled(
            "No secondary indexes",
            Style::default().fg(t.muted),
        ));
    }
    for i in &info.indexes {
        let kind = if i.global { "GSI" } else { "LSI" };
        let sk =
            i.sk.as_ref()
                .map(|k| format!(", {} ({})", k.name, k.kind_label()))
                .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{kind} {}", i.name),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("  keys {} ({}){sk}", i.pk.name, i.pk.kind_label())),
        ]));
        let mut detail = format!("    projection {}", i.projection);
        if let Some(s) = &i.status {
            detail.push_str(&format!(", {s}"));
        }
        if let Some((r, w)) = i.capacity {
            detail.push_str(&format!(", {r} RCU / {w} WCU"));
        }
        if let Some(n) = i.item_count {
            detail.push_str(&format!(", {n} items"));
        }
        lines.push(Line::styled(detail, Style::default().fg(t.muted)));
    }
    lines
}
