//! The live changes screen: a head line (stream, start, counts, paused),
//! the changes newest first, the selected change's diff, and the hot write
//! keys beside DynamoDB's per-partition limit. A table without a stream
//! shows the offer to enable one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, ListItem, Paragraph, Wrap};

use super::widgets::{ConfirmText, SelectList, confirm_lines, fit_text};
use super::{SPINNER, centered, popup, render_error};
use crate::app::live::{Decoded, diff_text};
use crate::app::tui::screens::live::{Focus, LiveState, Phase};
use crate::app::tui::state::App;
use crate::dynamo::stream::{EventName, StartAt, ViewType};
use crate::dynamo::value;
use crate::metrics::alerts::Severity;
use crate::metrics::hotwrites::PARTITION_WCU_PER_SECOND;

/// Draws the screen; returns the rows the focused list shows.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let l = &app.live;
    let [head, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
    f.render_widget(Paragraph::new(head_lines(app)), head);
    match &l.phase {
        Phase::Failed(e) => {
            render_error(
                f,
                body,
                app,
                "Following the stream failed (r tries again)",
                e,
            );
            None
        }
        Phase::NoStream | Phase::Enabling(_) => {
            render_offer(f, body, app);
            None
        }
        Phase::Idle if l.table.is_none() => {
            f.render_widget(
                Paragraph::new("No table: open one, then press C (or :tail TABLE)."),
                body,
            );
            None
        }
        _ => Some(render_body(f, body, app)),
    }
}

fn head_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.settings.theme;
    let l = &app.live;
    let muted = Style::default().fg(t.muted);
    let table = l.table.clone().unwrap_or_else(|| "(no table)".into());
    // What is going on first (it must fit 80 columns), then the stream.
    let mut first = vec![Span::styled(
        format!("live {table}"),
        Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
    )];
    if l.paused {
        first.push(Span::raw("  "));
        first.push(Span::styled(
            format!(
                " PAUSED {} held{} ",
                l.held.len(),
                if l.dropped > 0 {
                    format!(", {} dropped", l.dropped)
                } else {
                    String::new()
                }
            ),
            Style::default()
                .fg(ratatui::style::Color::Black)
                .bg(t.warning)
                .add_modifier(Modifier::BOLD),
        ));
    }
    let state = match &l.phase {
        Phase::Idle => "stopped".to_string(),
        Phase::Describing => format!("{} describing", spin(app)),
        Phase::NoStream => "no stream".to_string(),
        Phase::Enabling(v) => format!("{} enabling a {} stream", spin(app), v.label()),
        Phase::Starting => format!("{} reading shards", spin(app)),
        Phase::Following => format!(
            "following {} shard{}",
            l.shards.0,
            if l.shards.0 == 1 { "" } else { "s" },
        ),
        Phase::Failed(_) => "failed".to_string(),
    };
    first.push(Span::styled(
        format!("  {state}"),
        Style::default().fg(t.accent),
    ));
    if matches!(l.phase, Phase::Following | Phase::Starting) || l.total > 0 {
        first.push(Span::styled(
            format!(
                "  {} changes (+{} ~{} -{})",
                l.total, l.inserts, l.modifies, l.removes
            ),
            muted,
        ));
    }
    let mut second = Vec::new();
    if let Some(v) = l.view() {
        second.push(Span::styled(format!("stream {}", v.label()), muted));
    }
    second.push(Span::styled(
        format!(
            "{}from {}",
            if second.is_empty() { "" } else { " · " },
            match l.start {
                StartAt::Latest => "now",
                StartAt::Oldest => "the oldest record kept",
            }
        ),
        muted,
    ));
    if l.shards.1 > 0 {
        second.push(Span::styled(
            format!(
                " · {} shard{} finished",
                l.shards.1,
                if l.shards.1 == 1 { "" } else { "s" }
            ),
            muted,
        ));
    }
    if !l.filter.is_empty() {
        second.push(Span::styled(
            format!("  filter {}", l.filter.describe()),
            Style::default().fg(t.accent),
        ));
    }
    let third = if let Some(n) = l.notices.front() {
        Line::styled(n.clone(), Style::default().fg(t.warning))
    } else if let Some(missing) = l.view().and_then(ViewType::missing) {
        Line::styled(missing, Style::default().fg(t.warning))
    } else {
        Line::styled("streams see writes only: reads never appear here", muted)
    };
    vec![Line::from(first), Line::from(second), third]
}

fn spin(app: &App) -> &'static str {
    SPINNER[app.spinner % SPINNER.len()]
}

/// The changes, the diff and the hot keys; returns the rows of the focused
/// list.
fn render_body(f: &mut Frame, area: Rect, app: &App) -> usize {
    let wide = area.width >= 120;
    let (list_area, diff_area, hot_area) = if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(area);
        let [hot, diff] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(right);
        (left, diff, hot)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        let [diff, hot] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        (top, diff, hot)
    };
    let rows = render_changes(f, list_area, app);
    render_diff(f, diff_area, app);
    let hot_rows = render_hot(f, hot_area, app);
    match app.live.focus {
        Focus::Changes => rows,
        Focus::HotKeys => hot_rows,
    }
}

fn focus_style(app: &App, on: bool) -> Style {
    if on {
        Style::default().fg(app.settings.theme.accent)
    } else {
        Style::default()
    }
}

fn event_style(app: &App, e: EventName) -> Style {
    let t = &app.settings.theme;
    Style::default().fg(match e {
        EventName::Insert => t.string,
        EventName::Modify => t.number,
        EventName::Remove => t.error,
    })
}

/// `06:10:00.123` of a change (its stream time, else when it arrived).
fn clock(d: &Decoded) -> String {
    let ms = d.record.time_ms.unwrap_or(d.seen_ms);
    let text = crate::app::live::time_text(ms);
    text.get(11..23).unwrap_or(&text).to_string()
}

fn render_changes(f: &mut Frame, area: Rect, app: &App) -> usize {
    let t = &app.settings.theme;
    let l = &app.live;
    let visible = l.visible();
    let inner_width = area.width.saturating_sub(4) as usize;
    let items: Vec<ListItem> = if visible.is_empty() {
        vec![ListItem::new(Span::styled(
            if l.total == 0 {
                "waiting for changes… (writes to the table appear here as they happen)"
            } else {
                "no change matches the filter"
            },
            Style::default().fg(t.muted),
        ))]
    } else {
        visible
            .iter()
            .map(|d| {
                let head = format!("{} ", clock(d));
                let ev = format!("{:<6} ", d.record.event.label());
                let ty = format!("{:<10} ", fit_text(d.entity_label(), 10));
                let used = head.chars().count() + ev.len() + ty.chars().count();
                let rest = inner_width.saturating_sub(used);
                let diff = diff_text(&d.record, 40);
                let key = fit_text(&d.key_text, rest);
                let key_len = key.chars().count();
                let mut spans = vec![
                    Span::styled(head, Style::default().fg(t.muted)),
                    Span::styled(ev, event_style(app, d.record.event)),
                    Span::styled(ty, Style::default().fg(t.accent)),
                    Span::styled(key, Style::default().fg(t.key)),
                ];
                let room = rest.saturating_sub(key_len + 2);
                if room > 3 && !diff.is_empty() {
                    spans.push(Span::styled(
                        format!("  {}", fit_text(&diff, room)),
                        Style::default().fg(t.muted),
                    ));
                }
                ListItem::new(Line::from(spans))
            })
            .collect()
    };
    let shown = visible.len();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(focus_style(app, l.focus == Focus::Changes))
        .title(if shown == l.changes.len() {
            format!(" Changes ({shown}, newest first) ")
        } else {
            format!(" Changes ({shown} of {}, newest first) ", l.changes.len())
        });
    let focused = l.focus == Focus::Changes && !visible.is_empty();
    SelectList::new(items, block, t).render(f, area, focused.then_some(&l.list))
}

fn render_diff(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let l = &app.live;
    let muted = Style::default().fg(t.muted);
    let mut lines: Vec<Line> = Vec::new();
    let title = match l.selected() {
        None => " Change ".to_string(),
        Some(d) => {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", d.record.event.label()),
                    event_style(app, d.record.event).add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!("{} ", d.entity_label()),
                    Style::default().fg(t.accent),
                ),
                Span::styled(d.key_text.clone(), Style::default().fg(t.key)),
            ]));
            lines.push(Line::styled(
                format!(
                    "{}{} · ~{} WCU · {} bytes in the stream",
                    d.record
                        .time_ms
                        .map(crate::app::live::time_text)
                        .unwrap_or_else(|| "time unknown".into()),
                    if d.record.by_ttl {
                        " · deleted by TTL"
                    } else {
                        ""
                    },
                    d.units,
                    d.record.size_bytes
                ),
                muted,
            ));
            let diff = d.record.diff();
            if d.record.old.is_none() && d.record.new.is_none() {
                lines.push(Line::styled(
                    "keys only: this stream carries no item images",
                    Style::default().fg(t.warning),
                ));
            } else if diff.is_empty() {
                lines.push(Line::styled("no attribute changed", muted));
            }
            let v = |a: &crate::dynamo::AttributeValue| value::cell_text(a, 200);
            for a in diff {
                let mut spans = vec![Span::styled(
                    format!("{} ", a.name),
                    Style::default().fg(t.key),
                )];
                match (&a.old, &a.new) {
                    (Some(o), Some(n)) => {
                        spans.push(Span::styled(v(o), Style::default().fg(t.error)));
                        spans.push(Span::styled(" → ", muted));
                        spans.push(Span::styled(v(n), Style::default().fg(t.string)));
                    }
                    (None, Some(n)) => spans.push(Span::styled(
                        format!("+ {}", v(n)),
                        Style::default().fg(t.string),
                    )),
                    (Some(o), None) => spans.push(Span::styled(
                        format!("- {}", v(o)),
                        Style::default().fg(t.error),
                    )),
                    (None, None) => {}
                }
                lines.push(Line::from(spans));
            }
            " Change (enter opens the item) ".to_string()
        }
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn render_hot(f: &mut Frame, area: Rect, app: &App) -> usize {
    let t = &app.settings.theme;
    let l = &app.live;
    let muted = Style::default().fg(t.muted);
    let mut items: Vec<ListItem> = Vec::new();
    let inner = area.width.saturating_sub(4) as usize;
    for a in &l.alerts {
        let colour = match a.severity {
            Severity::Critical => t.error,
            _ => t.warning,
        };
        items.push(ListItem::new(Line::styled(
            fit_text(&a.title, inner),
            Style::default().fg(colour).add_modifier(Modifier::BOLD),
        )));
    }
    if !l.by_entity.is_empty() {
        let types: Vec<String> = l
            .by_entity
            .iter()
            .map(|e| {
                format!(
                    "{} {:.0}%",
                    e.entity.as_deref().unwrap_or("—"),
                    e.share_of_writes * 100.0
                )
            })
            .collect();
        items.push(ListItem::new(Line::styled(
            fit_text(&format!("by type: {}", types.join(" · ")), inner),
            muted,
        )));
    }
    let first_key = items.len();
    if l.hot.is_empty() {
        items.push(ListItem::new(Span::styled(
            "no writes in the window yet",
            muted,
        )));
    }
    for k in &l.hot {
        let share = format!("{:>3.0}%", k.share_of_writes * 100.0);
        let wcu = format!(
            " {:>6} WCU/s",
            format!("~{}", crate::metrics::alerts::num(k.wcu_per_s))
        );
        let limit = k.wcu_per_s / PARTITION_WCU_PER_SECOND;
        // Narrow: the key and its numbers; wide: its type and a bar of
        // its share of the partition limit too.
        let narrow = inner < 60;
        let bar_w = 8usize;
        let filled = ((limit.min(1.0)) * bar_w as f64).round() as usize;
        let bar = if narrow {
            String::new()
        } else {
            format!(
                " {}{}",
                "█".repeat(filled),
                "·".repeat(bar_w.saturating_sub(filled))
            )
        };
        let label = match (&k.entity, narrow) {
            (Some(ty), false) => format!("{} {ty}", k.key),
            _ => k.key.clone(),
        };
        let fixed = share.len() + wcu.chars().count() + bar.chars().count() + 1;
        let key_w = inner.saturating_sub(fixed);
        let key = fit_text(&label, key_w);
        items.push(ListItem::new(Line::from(vec![
            Span::styled(format!("{key:<key_w$} "), Style::default().fg(t.key)),
            Span::styled(share, Style::default().fg(t.accent)),
            Span::raw(wcu),
            Span::styled(
                bar,
                Style::default().fg(if limit >= 0.8 { t.error } else { t.muted }),
            ),
        ])));
    }
    let total_rate = l
        .tracker
        .as_ref()
        .map(|tr| tr.hot.wcu_per_s())
        .unwrap_or(0.0);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(focus_style(app, l.focus == Focus::HotKeys))
        .title(if area.width >= 70 {
            format!(
                " Hot write keys · last {} s · ~{} WCU/s · limit {} WCU/s per partition ",
                crate::app::live::HOT_WINDOW.as_secs(),
                crate::metrics::alerts::num(total_rate),
                crate::metrics::alerts::num(PARTITION_WCU_PER_SECOND)
            )
        } else {
            format!(
                " Hot writes · {} s · ~{} WCU/s ",
                crate::app::live::HOT_WINDOW.as_secs(),
                crate::metrics::alerts::num(total_rate)
            )
        });
    let focused = l.focus == Focus::HotKeys && !l.hot.is_empty();
    let mut cursor = l.hot_list;
    cursor.selected += first_key;
    cursor.offset = cursor.offset.min(cursor.selected);
    SelectList::new(items, block, t).render(f, area, focused.then_some(&cursor))
}

fn render_offer(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let l: &LiveState = &app.live;
    let table = l.table.clone().unwrap_or_default();
    let r = centered(area, 76, 16);
    let block = popup(f, r, " No stream on this table ", app);
    let muted = Style::default().fg(t.muted);
    let mut lines = vec![
        Line::raw(format!("`{table}` has no DynamoDB Stream.")),
        Line::styled(
            "A stream keeps every write for 24 hours: dyntui reads it to show",
            muted,
        ),
        Line::styled(
            "changes live and find hot write keys without Contributor Insights.",
            muted,
        ),
        Line::styled(
            "Stream reads are billed per request beyond the free tier.",
            muted,
        ),
        Line::raw(""),
        Line::raw("View type:"),
    ];
    for (i, v) in ViewType::ALL.iter().enumerate() {
        let on = i == l.offer.view;
        let note = match v {
            ViewType::NewAndOldImages => "diffs of every change (recommended)",
            ViewType::NewImage => "items after each change",
            ViewType::OldImage => "items before each change",
            ViewType::KeysOnly => "keys only: no diffs, sizes estimated",
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {:<20}", if on { "▶" } else { " " }, v.label()),
                if on {
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                },
            ),
            Span::styled(note, muted),
        ]));
    }
    lines.push(Line::raw(""));
    match (&l.phase, &l.offer.confirm) {
        (Phase::Enabling(v), _) => lines.push(Line::styled(
            format!("{} enabling a {} stream…", spin(app), v.label()),
            Style::default().fg(t.accent),
        )),
        (_, Some(c)) => {
            let v = ViewType::ALL.get(l.offer.view).map_or("", |v| v.label());
            lines.push(Line::styled(
                format!("Enable a {v} stream on `{table}` (UpdateTable)?"),
                Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
            ));
            confirm_lines(c, t, ConfirmText::table_name(c, t), &mut lines);
        }
        _ => lines.push(Line::styled(
            "↑/↓ view type · enter enable (asks first) · esc back",
            muted,
        )),
    }
    f.render_widget(Paragraph::new(lines).block(block), r);
}
