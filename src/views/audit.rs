//! The audit log (`:audit`): writes made with dyntui, newest first; `enter`
//! shows the selected entry's item before and after.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::SPINNER;
use super::widgets::{CellText, Column, DataTable, TableRow, Width};
use crate::app::audit::AuditEntry;
use crate::app::config::Theme;
use crate::app::tui::state::App;

enum Col {
    Time,
    Action,
    Table,
    Key,
    Context,
}

/// An entry on screen.
struct EntryLine<'a> {
    entry: &'a AuditEntry,
    theme: &'a Theme,
}

impl TableRow for EntryLine<'_> {
    type Col = Col;

    fn cell(&self, col: &Col) -> CellText {
        let (t, e) = (self.theme, self.entry);
        match col {
            Col::Time => CellText::from(e.time.clone()),
            Col::Action => {
                let colour = match e.action.as_str() {
                    "delete" => t.error,
                    "create" => t.string,
                    _ => t.warning,
                };
                CellText::styled(e.action.clone(), Style::default().fg(colour))
            }
            Col::Table => CellText::from(e.table.clone()),
            Col::Key => CellText::from(e.key_text()),
            Col::Context => CellText::styled(
                [e.profile.as_deref(), e.region.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("/"),
                Style::default().fg(t.muted),
            ),
        }
    }
}

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
    let columns = vec![
        Column::new(Col::Time, "TIME", Width::Fixed(20)),
        Column::new(Col::Action, "ACTION", Width::Fixed(7)),
        Column::new(Col::Table, "TABLE", Width::Fixed(24)),
        Column::new(Col::Key, "KEY", Width::Min(20)),
        Column::new(Col::Context, "CONTEXT", Width::Fixed(24)),
    ];
    let entries: Vec<&AuditEntry> = visible.iter().filter_map(|&i| a.entries().get(i)).collect();
    let rows =
        DataTable::new(columns, block, t).render(f, list_area, &a.nav.cursor, entries.len(), |i| {
            EntryLine {
                entry: entries[i],
                theme: t,
            }
        });
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
