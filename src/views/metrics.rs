//! The on-call view: throttling, capacity, latency and error charts with a
//! shared time cursor, alerts, Contributor Insights status and hot keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Chart, Dataset, GraphType, ListItem, Paragraph, Wrap,
};

use super::widgets::{SelectList, selected_style};
use super::{SPINNER, centered, popup, render_error};
use crate::app::tui::screens::metrics::{CI_MODES, Fetched, Focus, Pick, max_of, short_resource};
use crate::app::tui::state::{App, Loadable};
use crate::metrics::alerts::Severity;
use crate::metrics::{Series, fmt_time};

const PALETTE: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
];

/// Draws the view; returns the rows the focused list shows.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let t = &app.settings.theme;
    let m = &app.metrics;
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let table = m.table.clone().unwrap_or_else(|| "(no table)".into());
    let mut spans = vec![Span::styled(
        format!("metrics {table}"),
        Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
    )];
    if let Some(at) = m.snapshot {
        spans.push(Span::styled(
            format!("  SNAPSHOT captured {}", fmt_time(at)),
            Style::default()
                .fg(Color::Black)
                .bg(t.warning)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Loadable::Ready(fd) = &m.data.state {
        let d = &fd.data;
        spans.push(Span::styled(
            format!(
                "  range {} ({} → {}) · period {} s · fetched {}{}",
                d.range.label(),
                fmt_time(d.start),
                fmt_time(d.end),
                d.period,
                fmt_time(d.fetched_at),
                if m.snapshot.is_none() {
                    format!(
                        " · refresh every {} s",
                        app.settings.ui.metrics_refresh_secs
                    )
                } else {
                    String::new()
                }
            ),
            Style::default().fg(t.muted),
        ));
        if d.partial {
            spans.push(Span::styled(
                "  PARTIAL DATA",
                Style::default().fg(t.warning),
            ));
        }
        if let Some(c) = m.cursor_time() {
            spans.push(Span::styled(
                format!("  cursor {}", fmt_time(c)),
                Style::default().fg(t.accent),
            ));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), head);

    let mut shown = None;
    match &m.data.state {
        Loadable::Idle => f.render_widget(
            Paragraph::new("Select a table and press m for its metrics.")
                .block(Block::default().borders(Borders::ALL)),
            body,
        ),
        Loadable::Loading => f.render_widget(
            Paragraph::new(format!(
                "{} fetching CloudWatch metrics and Contributor Insights…",
                SPINNER[app.spinner % SPINNER.len()]
            ))
            .block(Block::default().borders(Borders::ALL)),
            body,
        ),
        Loadable::Failed(e) => render_error(f, body, app, "Metrics unavailable", e),
        Loadable::Ready(fd) => shown = Some(ready(f, body, app, fd)),
    }

    if let Some(a) = m.alert_open.and_then(|i| m.alerts.get(i)) {
        let r = centered(area, 100, 16);
        let block = popup(f, r, "Alert", app);
        let mut lines = vec![
            Line::styled(
                a.title.clone(),
                Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
            ),
            Line::styled(
                format!(
                    "{} · {} · {}",
                    a.resource.label(),
                    crate::metrics::fmt_time(a.time),
                    a.rule
                ),
                Style::default().fg(t.muted),
            ),
            Line::raw(""),
            Line::raw(a.detail.clone()),
        ];
        if let Some(key) = &a.key {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled("key ", Style::default().fg(t.muted)),
                Span::styled(key.join(" · "), Style::default().fg(t.key)),
            ]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "esc closes · tab then enter opens a hot key's partition",
            Style::default().fg(t.muted),
        ));
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block),
            r,
        );
    }

    if let Some(mode) = m.enable_confirm.as_ref().map(|c| c.mode) {
        let r = centered(area, 80, 11);
        let block = popup(f, r, "Enable Contributor Insights", app);
        let mut lines = vec![
            Line::raw(format!("Enable Contributor Insights on table `{table}`?")),
            Line::styled(
                "It is billed per event and publishes key values in plain text to CloudWatch.",
                Style::default().fg(t.warning),
            ),
            Line::raw(""),
        ];
        for (i, md) in CI_MODES.iter().enumerate() {
            let note = if *md == "THROTTLED_KEYS" {
                "only throttled keys (AWS suggests this for always-on)"
            } else {
                "most accessed and throttled keys"
            };
            lines.push(Line::styled(
                format!("{} {md:<28} {note}", if i == mode { "▶" } else { " " }),
                if i == mode {
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                },
            ));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "↑/↓ choose the mode · enter enables · esc cancels",
            Style::default().fg(t.muted),
        ));
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block),
            r,
        );
    }
    shown
}

fn ready(f: &mut Frame, area: Rect, app: &App, fd: &Fetched) -> usize {
    let narrow = area.width < 100;
    let (charts_area, side_area) = if narrow {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        (a, b)
    } else {
        let [a, b] = Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
            .areas(area);
        (a, b)
    };
    charts(f, charts_area, app, fd);
    side(f, side_area, app, fd)
}

fn charts(f: &mut Frame, area: Rect, app: &App, fd: &Fetched) {
    let c = &app.metrics.derived.charts;
    let rows = Layout::vertical([Constraint::Ratio(1, 4); 4]).split(area);
    chart(
        f,
        rows[0],
        app,
        fd,
        "Throttle events",
        "count",
        &c.throttles,
    );
    chart(
        f,
        rows[1],
        app,
        fd,
        "Capacity (units/s)",
        "units/s",
        &c.capacity,
    );
    chart(
        f,
        rows[2],
        app,
        fd,
        "Latency p99 (server side)",
        "ms",
        &c.latency,
    );
    chart(f, rows[3], app, fd, "Errors", "count", &c.errors);
}

fn value_at(s: &Series, t: i64) -> Option<f64> {
    s.points.iter().find(|p| p.0 == t).map(|p| p.1)
}

fn fmt_value(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn chart(
    f: &mut Frame,
    area: Rect,
    app: &App,
    fd: &Fetched,
    title: &str,
    unit: &str,
    picks: &[Pick],
) {
    let t = &app.settings.theme;
    let m = &app.metrics;
    let d = &fd.data;
    // The series picked for the chart, with their legends and points.
    let picks: Vec<(&Series, &Pick)> = picks
        .iter()
        .filter_map(|p| d.series.get(p.series).map(|s| (s, p)))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "));
    if picks.is_empty() || picks.iter().all(|p| p.0.points.is_empty()) {
        f.render_widget(
            Paragraph::new(Span::styled(
                "no data in this range",
                Style::default().fg(t.muted),
            ))
            .block(block),
            area,
        );
        return;
    }
    let x0 = d.start as f64;
    let x1 = d.end as f64;
    let ymax = picks
        .iter()
        .map(|p| max_of(p.0))
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let cursor = m.cursor_time();
    let cursor_line: Vec<(f64, f64)> = cursor
        .map(|c| vec![(c as f64, 0.0), (c as f64, ymax)])
        .unwrap_or_default();
    let mut datasets: Vec<Dataset> = picks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let at = cursor
                .and_then(|c| value_at(p.0, c))
                .map(fmt_value)
                .unwrap_or_else(|| "–".into());
            Dataset::default()
                .name(format!("{} {at}", p.1.label))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(PALETTE[i % PALETTE.len()]))
                .data(&p.1.points)
        })
        .collect();
    if !cursor_line.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(t.muted))
                .data(&cursor_line),
        );
    }
    let hhmm = |ts: i64| {
        let s = fmt_time(ts);
        s.get(11..16).unwrap_or(&s).to_string()
    };
    let mid = d.start + (d.end - d.start) / 2;
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels(vec![
                    Span::raw(hhmm(d.start)),
                    Span::raw(hhmm(mid)),
                    Span::raw(format!("{}Z", hhmm(d.end))),
                ])
                .style(Style::default().fg(t.muted)),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, ymax])
                .labels(vec![
                    Span::raw("0"),
                    Span::raw(format!("{} {unit}", fmt_value(ymax / 1.1))),
                ])
                .style(Style::default().fg(t.muted)),
        )
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Ratio(1, 1), Constraint::Ratio(1, 1)));
    f.render_widget(chart, area);
}

/// The side panels; returns the rows the focused list shows.
fn side(f: &mut Frame, area: Rect, app: &App, fd: &Fetched) -> usize {
    let t = &app.settings.theme;
    let m = &app.metrics;
    let n_status = fd.statuses.len() as u16;
    let [alerts_area, status_area, keys_area] = Layout::vertical([
        Constraint::Percentage(40),
        Constraint::Length(n_status + 2),
        Constraint::Min(3),
    ])
    .areas(area);

    // Alerts, newest first; with room, each with what it saw.
    let with_detail = (alerts_area.height.saturating_sub(2) as usize) >= 2 * m.alerts.len().min(4);
    let items: Vec<ListItem> = if m.alerts.is_empty() {
        vec![ListItem::new(Span::styled(
            "no alerts in this range",
            Style::default().fg(t.muted),
        ))]
    } else {
        m.alerts
            .iter()
            .map(|a| {
                let (tag, colour) = match a.severity {
                    Severity::Critical => ("CRIT", t.error),
                    Severity::Warn => ("WARN", t.warning),
                    Severity::Info => ("INFO", t.accent),
                };
                let hhmm = fmt_time(a.time);
                let head = Line::from(vec![
                    Span::styled(
                        format!("{tag} "),
                        Style::default().fg(colour).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(
                        format!("{} ", hhmm.get(11..).unwrap_or(&hhmm)),
                        Style::default().fg(t.muted),
                    ),
                    Span::raw(a.title.clone()),
                ]);
                if with_detail {
                    ListItem::new(vec![
                        head,
                        Line::styled(format!("     {}", a.detail), Style::default().fg(t.muted)),
                    ])
                } else {
                    ListItem::new(head)
                }
            })
            .collect()
    };
    let focus_style = |on: bool| {
        if on {
            Style::default().fg(t.accent)
        } else {
            Style::default()
        }
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(focus_style(m.focus == Focus::Alerts))
        .title(format!(" Alerts ({}) ", m.alerts.len()));
    let alerts_focused = m.focus == Focus::Alerts && !m.alerts.is_empty();
    let alert_rows = SelectList::plain(items, block, Style::default().bg(t.selection_bg))
        .item_height(if with_detail { 2 } else { 1 })
        .render(f, alerts_area, alerts_focused.then_some(&m.alert_list));

    // Contributor Insights status per resource.
    let lines: Vec<Line> = fd
        .statuses
        .iter()
        .map(|s| match s {
            Ok(s) => {
                let colour = match s.status.as_str() {
                    "ENABLED" => t.string,
                    "FAILED" => t.error,
                    _ => t.warning,
                };
                let mut spans = vec![
                    Span::raw(format!("{:<10} ", short_resource(&s.resource))),
                    Span::styled(s.status.clone(), Style::default().fg(colour)),
                ];
                if let Some(md) = &s.mode {
                    spans.push(Span::styled(format!(" {md}"), Style::default().fg(t.muted)));
                }
                if let Some(fl) = &s.failure {
                    spans.push(Span::styled(format!(" {fl}"), Style::default().fg(t.error)));
                }
                Line::from(spans)
            }
            Err(e) => Line::styled(
                format!("{}: {}", e.code, e.message),
                Style::default().fg(t.error),
            ),
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Contributor Insights (E enables) "),
        ),
        status_area,
    );

    // Hot keys decoded by entity.
    let keys = m.hot_keys();
    let mut items: Vec<ListItem> = keys
        .iter()
        .map(|k| {
            let kind = k.rule.split('-').nth(1).unwrap_or("").to_string();
            ListItem::new(Line::from(vec![
                Span::styled(
                    format!("{kind:<4}"),
                    Style::default().fg(if k.throttled { t.error } else { t.muted }),
                ),
                Span::styled(format!("{} ", k.entity), Style::default().fg(t.accent)),
                Span::raw(k.decoded.clone()),
                Span::styled(
                    format!("  {} {}", fmt_value(k.value), short_resource(&k.resource)),
                    Style::default().fg(t.muted),
                ),
            ]))
        })
        .collect();
    if items.is_empty() {
        let errors = &m.derived.report_errors;
        let msg = if errors.is_empty() {
            "no top keys: Contributor Insights is off or saw nothing".to_string()
        } else {
            errors.join("; ")
        };
        items.push(ListItem::new(Span::styled(
            msg,
            Style::default().fg(t.muted),
        )));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(focus_style(m.focus == Focus::Keys))
        .title(" Hot keys (enter opens the partition) ");
    let keys_focused = m.focus == Focus::Keys && !keys.is_empty();
    let key_rows = SelectList::plain(items, block, selected_style(t)).render(
        f,
        keys_area,
        keys_focused.then_some(&m.keys),
    );
    match m.focus {
        Focus::Keys => key_rows,
        Focus::Alerts => alert_rows,
    }
}
