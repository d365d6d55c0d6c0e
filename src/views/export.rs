//! The question before exporting the items view's request: what is read,
//! into which file, and the read's estimate.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{ConfirmText, confirm_lines, estimate_line};
use super::{centered, popup};
use crate::app::tui::state::App;

/// Draws the question before a native export when point-in-time
/// recovery is off.
fn render_pitr(f: &mut Frame, area: Rect, app: &App) {
    let Some(c) = &app.export.pitr else {
        return;
    };
    let t = &app.settings.theme;
    let mut lines = vec![
        Line::raw(format!(
            "Point-in-time recovery is off on {}. DynamoDB exports to {} from it.",
            c.table, c.dest
        )),
        Line::raw("Enable point-in-time recovery and export?"),
        Line::styled(
            "PITR is billed by the table's size each month; the export reads no capacity and is billed per GB.",
            Style::default().fg(t.muted),
        ),
    ];
    confirm_lines(&c.ask, t, ConfirmText::table_name(&c.ask, t), &mut lines);
    show(f, area, lines, "Native export", app);
}

/// A confirmation popup 84 columns wide, as tall as its wrapped lines.
fn show(f: &mut Frame, area: Rect, lines: Vec<Line<'_>>, title: &str, app: &App) {
    let inner = 84u16.min(area.width).saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let r = centered(area, 84, rows as u16 + 2);
    let block = popup(f, r, title, app);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}

/// Draws the export confirmation, when one is open.
pub fn render_confirm(f: &mut Frame, area: Rect, app: &App) {
    render_pitr(f, area, app);
    let Some(c) = &app.export.confirm else {
        return;
    };
    let t = &app.settings.theme;
    let mut lines = vec![Line::raw(format!(
        "Export every item of {} to {}?",
        c.what, c.path
    ))];
    lines.extend(estimate_line(&c.estimate, t));
    lines.push(Line::styled(
        "Every page is read; the file is written as it goes (a stop leaves a .partial file).",
        Style::default().fg(t.muted),
    ));
    confirm_lines(&c.ask, t, ConfirmText::table_name(&c.ask, t), &mut lines);
    show(f, area, lines, "Export", app);
}
