//! The seed view: seed sets, the target table, a progress gauge while
//! writing, the outcome, and confirmations.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, ListItem, Paragraph, Wrap};

use super::widgets::{ConfirmText, SelectList, confirm_lines, estimate_line};
use super::{centered, popup};
use crate::app::tui::state::{App, Level};
use crate::dynamo::seeding::SeedSource;

/// Draws the seed view; returns the rows of sets it has room for.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let t = &app.settings.theme;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let sets = &app.seed.sets;
    let table = app.seed.target.table.clone();
    let items: Vec<ListItem> = sets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let size = app
                .seed
                .sizes
                .get(i)
                .copied()
                .flatten()
                .map(|n| format!(" {n} items"))
                .unwrap_or_else(|| " files".into());
            ListItem::new(Line::from(vec![
                Span::raw(s.name.clone()),
                Span::styled(size, Style::default().fg(t.muted)),
            ]))
        })
        .collect();
    let block = Block::default().borders(Borders::ALL).title(" Seed sets ");
    let rows = SelectList::new(items, block, t).render(f, left, Some(&app.seed.nav));
    let sel = app.seed.nav.selected.min(sets.len().saturating_sub(1));

    let block = Block::default().borders(Borders::ALL).title(format!(
        " into {} ",
        table.as_deref().unwrap_or("(no table: open or select one)")
    ));
    let inner = block.inner(right);
    f.render_widget(block, right);
    let [info_area, gauge_area, out_area] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(if app.seed.run.is_some() { 3 } else { 0 }),
        Constraint::Min(1),
    ])
    .areas(inner);

    if let Some(s) = sets.get(sel) {
        let source = match &s.source {
            SeedSource::Builtin(b) => format!("built-in `{b}`"),
            SeedSource::Export(e) => format!("AWS export: {}", e.location()),
            SeedSource::Files(files) => format!(
                "files: {}",
                files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SeedSource::Generators(g) => format!(
                "generators: {}",
                g.iter()
                    .map(|g| format!("{} × {}", g.count, g.entity))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut lines = vec![
            Line::styled(
                s.name.clone(),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Line::raw(s.description.clone()),
            Line::styled(source, Style::default().fg(t.muted)),
            Line::styled(
                match &app.project.seeding.marker_attribute {
                    Some(m) => format!("items are marked with `{m}` so R removes exactly them"),
                    None => "markers are off: a reset cannot find seeded items".to_string(),
                },
                Style::default().fg(t.muted),
            ),
        ];
        if let Some(tb) = &table {
            if let Some(reason) = app.project.seeding.protection(
                tb,
                app.ctx.profile.as_deref(),
                app.project.protected_tables.contains(tb),
            ) {
                lines.push(Line::styled(
                    format!("PROTECTED: {reason}"),
                    Style::default().fg(t.error).add_modifier(Modifier::BOLD),
                ));
            }
            if let Some(c) = app
                .seed
                .checkpoints
                .iter()
                .find(|c| c.set == s.name && &c.table == tb)
            {
                lines.push(Line::styled(
                    format!(
                        "an interrupted run ({}) will resume after {} items",
                        c.run_id,
                        c.batches_done * 25
                    ),
                    Style::default().fg(t.warning),
                ));
            }
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), info_area);
    }

    if let Some(run) = &app.seed.run {
        let p = &run.progress;
        let done = p.written.load(std::sync::atomic::Ordering::Relaxed);
        let secs = run.started.elapsed().as_secs_f64().max(0.001);
        let ratio = if run.total > 0 {
            (done as f64 / run.total as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let label = format!(
            "{} {done}{} items · {:.0}/s · {} retries · {} throttled{}",
            if run.reset { "deleted" } else { "wrote" },
            if run.total > 0 {
                format!("/{}", run.total)
            } else {
                String::new()
            },
            done as f64 / secs,
            p.retries.load(std::sync::atomic::Ordering::Relaxed),
            p.throttles.load(std::sync::atomic::Ordering::Relaxed),
            if run.stop.load(std::sync::atomic::Ordering::Relaxed) {
                " · stopping…"
            } else {
                ""
            }
        );
        f.render_widget(
            Gauge::default()
                .block(Block::default().borders(Borders::ALL).title(format!(
                    " {} `{}` ",
                    if run.reset { "resetting" } else { "seeding" },
                    run.set
                )))
                .gauge_style(Style::default().fg(t.accent))
                .ratio(ratio)
                .label(label),
            gauge_area,
        );
    }
    if let Some((level, lines)) = &app.seed.last {
        let colour = match level {
            Level::Info => t.accent,
            Level::Warn => t.warning,
            Level::Error => t.error,
        };
        let lines: Vec<Line> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    Line::styled(l.clone(), Style::default().fg(colour))
                } else {
                    Line::raw(format!("  {l}"))
                }
            })
            .collect();
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), out_area);
    }

    if let Some(c) = &app.seed.confirm {
        let r = centered(area, 76, 10);
        let title = if c.reset {
            "Reset seed data"
        } else {
            "Seed data"
        };
        let block = popup(f, r, title, app);
        let mut lines = Vec::new();
        if c.reset {
            match c.count.ready() {
                None => lines.push(Line::raw(format!(
                    "counting the items of `{}` in `{}`…",
                    c.set, c.table
                ))),
                Some(n) => lines.push(Line::raw(format!(
                    "Delete the {n} items that seed set `{}` wrote to `{}`?",
                    c.set, c.table
                ))),
            }
        } else {
            lines.push(Line::raw(format!("Seed `{}` into `{}`?", c.set, c.table)));
            lines.extend(estimate_line(&c.estimate, t));
            if c.creates {
                lines.push(Line::styled(
                    format!(
                        "`{}` does not exist: it will be created from the design.",
                        c.table
                    ),
                    Style::default().fg(t.warning),
                ));
            }
        }
        confirm_lines(&c.ask, t, ConfirmText::table_name(&c.ask, t), &mut lines);
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block),
            r,
        );
    }
    Some(rows)
}
