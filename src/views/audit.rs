//! The audit log (`:audit`): writes made with dyntui, newest first; `enter`
//! shows the selected entry's item before and after.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::SPINNER;
use crate::app::tui::state::App;

/// Draws the audit log; returns the rows of entries it has room for.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let t = &app.settings.theme;
    let a = &app.audit;
    let path = app
        .audit_log
        .as_ref()
        .map(|l| l.path.display().to_string())
        .unwrap_or_default();
    let title = if a.nav.filter.is_empty() {
        format!(" Audit log · {path} ")
    } else {
        format!(" Audit log /{} ", a.nav.filter)
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    if let Some(e) = a.error() {
        f.render_widget(
            Paragraph::new(Line::styled(e.to_string(), Style::default().fg(t.error)))
                .wrap(Wrap { trim: false })
                .block(block),
            area,
        );
        return None;
    }
    let visible = a.visible();
    if visible.is_empty() {
        let msg = if a.busy() {
            format!(
                "{} reading the audit log…",
                SPINNER[app.spinner % SPINNER.len()]
            )
        } else if a.entries().is_empty() {
            "No writes recorded yet: every create, edit, move and delete made with dyntui lands here.".to_string()
        } else {
            format!("No entry matches `{}`.", a.nav.filter)
        };
        f.render_widget(
            Paragraph::new(msg).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return None;
    }
    let (list_area, detail_area) = if a.open {
        let [l, d] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
        (l, Some(d))
    } else {
        (area, None)
    };
    let rows: Vec<Row> = visible
        .iter()
        .filter_map(|&i| a.entries().get(i))
        .map(|e| {
            let colour = match e.action.as_str() {
                "delete" => t.error,
                "create" => t.string,
                _ => t.warning,
            };
            let ctx = [e.profile.as_deref(), e.region.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/");
            Row::new(vec![
                Cell::from(e.time.clone()),
                Cell::from(Span::styled(e.action.clone(), Style::default().fg(colour))),
                Cell::from(e.table.clone()),
                Cell::from(e.key_text()),
                Cell::from(Span::styled(ctx, Style::default().fg(t.muted))),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(20),
            Constraint::Length(7),
            Constraint::Length(24),
            Constraint::Min(20),
            Constraint::Length(24),
        ],
    )
    .header(
        Row::new(vec!["TIME", "ACTION", "TABLE", "KEY", "CONTEXT"])
            .style(Style::default().fg(t.muted).add_modifier(Modifier::BOLD)),
    )
    .block(block)
    .row_highlight_style(
        Style::default()
            .bg(t.selection_bg)
            .add_modifier(Modifier::BOLD),
    );
    // Borders and the header line.
    let rows = list_area.height.saturating_sub(3) as usize;
    let cursor = a.nav.cursor;
    let mut state = TableState::default()
        .with_selected(Some(cursor.selected))
        .with_offset(cursor.first_shown(rows));
    f.render_stateful_widget(table, list_area, &mut state);
    if let (Some(d), Some(e)) = (detail_area, a.selected_entry()) {
        let mut lines = Vec::new();
        let show = |label: &str, v: &Option<serde_json::Value>, lines: &mut Vec<Line>| {
            lines.push(Line::styled(
                label.to_string(),
                Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
            ));
            lines.push(Line::raw(
                v.as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(none)".into()),
            ));
        };
        show("before (DynamoDB JSON)", &e.before, &mut lines);
        show("after", &e.after, &mut lines);
        if let Some(ep) = &e.endpoint {
            lines.push(Line::styled(
                format!("endpoint {ep}"),
                Style::default().fg(t.muted),
            ));
        }
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::default().borders(Borders::ALL).title(" Entry ")),
            d,
        );
    }
    Some(rows)
}
