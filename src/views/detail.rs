//! Item detail: decoded entity and key fields, then the item as coloured,
//! pretty JSON (plain, or DynamoDB JSON with its types on demand).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::Value;

use crate::app::config::Theme;
use crate::app::tui::screens::detail::DetailState;
use crate::app::tui::state::App;
use crate::dynamo::value;

/// Draws the detail view; returns the lines it has room for and the first
/// line it showed.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<(usize, usize)> {
    let d = app.detail.as_ref()?;
    let t = &app.settings.theme;
    let (mut lines, starts) = lines_with_starts(d, t);
    let visible = area.height.saturating_sub(2) as usize;
    // The selected attribute is highlighted, and kept on screen after the
    // cursor moved.
    let attr = d.attr.min(starts.len().saturating_sub(1));
    if let Some(l) = starts.get(attr).and_then(|&at| lines.get_mut(at)) {
        *l = l.clone().style(Style::default().bg(t.selection_bg));
    }
    // Lines wider than the view continue on the next ones: nothing is cut.
    let (lines, starts) = fold(lines, &starts, usize::from(area.width.saturating_sub(2)));
    let span = starts
        .get(attr)
        .map(|&at| (at, starts.get(attr + 1).copied().unwrap_or(lines.len())));
    let first = d.first_line(span, lines.len(), visible);
    let scroll = u16::try_from(first).unwrap_or(u16::MAX);
    let position = if lines.len() > visible {
        format!(
            " · lines {}-{} of {}",
            scroll as usize + 1,
            (scroll as usize + visible).min(lines.len()),
            lines.len()
        )
    } else {
        String::new()
    };
    let title = format!(
        " {} {}{position} ",
        d.entity.as_deref().unwrap_or("Item"),
        if d.show_types {
            "· DynamoDB JSON"
        } else {
            "· JSON"
        }
    );
    let (border, label) = super::table_border(app, &d.table);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title);
    if let Some(l) = label {
        block =
            block.title_top(Line::styled(l, border.add_modifier(Modifier::BOLD)).right_aligned());
    }
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
    Some((visible, first))
}

/// Splits every line wider than `width` columns into lines of at most
/// `width` (keeping each piece's style), and moves the attribute starts to
/// match.
pub fn fold(
    lines: Vec<Line<'static>>,
    starts: &[usize],
    width: usize,
) -> (Vec<Line<'static>>, Vec<usize>) {
    use unicode_width::UnicodeWidthChar;
    if width == 0 {
        return (lines, starts.to_vec());
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut moved = Vec::with_capacity(lines.len());
    for line in lines {
        moved.push(out.len());
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let style = line.style;
        let mut cur: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut piece = String::new();
            for ch in span.content.chars() {
                let w = ch.width().unwrap_or(0);
                if used + w > width && used > 0 {
                    if !piece.is_empty() {
                        cur.push(Span::styled(std::mem::take(&mut piece), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut cur)).style(style));
                    used = 0;
                }
                piece.push(ch);
                used += w;
            }
            if !piece.is_empty() {
                cur.push(Span::styled(piece, span.style));
            }
        }
        if !cur.is_empty() {
            out.push(Line::from(cur).style(style));
        }
    }
    let starts = starts
        .iter()
        .filter_map(|&s| moved.get(s).copied())
        .collect();
    (out, starts)
}

/// All lines of the detail view.
pub fn lines(d: &DetailState, t: &Theme) -> Vec<Line<'static>> {
    lines_with_starts(d, t).0
}

/// All lines of the detail view, and the line where each top-level
/// attribute starts (in the order shown).
pub fn lines_with_starts(d: &DetailState, t: &Theme) -> (Vec<Line<'static>>, Vec<usize>) {
    let mut out = Vec::new();
    let label = |s: &str| Span::styled(format!("{s:<10}"), Style::default().fg(t.muted));
    out.push(Line::from(vec![
        label("Entity"),
        Span::styled(
            d.entity.clone().unwrap_or_else(|| "(untyped)".into()),
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        ),
    ]));
    if !d.key_fields.is_empty() && !d.raw_keys {
        let mut spans = vec![label("Key")];
        for (i, f) in d.key_fields.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(
                format!("{}=", f.label()),
                Style::default().fg(t.muted),
            ));
            spans.push(Span::styled(f.value.clone(), Style::default().fg(t.key)));
        }
        out.push(Line::from(spans));
        if d.key_fields.iter().any(|f| f.inferred()) {
            out.push(Line::from(vec![
                label(""),
                Span::styled(
                    "~ name guessed from the key's shape (`dyntui init` writes exact templates)",
                    Style::default().fg(t.muted),
                ),
            ]));
        }
    }
    if let Some(info) = &d.info {
        let mut spans = vec![label("Raw key")];
        for k in info.pk.iter().chain(info.sk.iter()) {
            if let Some(v) = d.row.item.get(&k.name) {
                spans.push(Span::styled(
                    format!("{}=", k.name),
                    Style::default().fg(t.muted),
                ));
                spans.push(Span::styled(
                    value::cell_text(v, 200),
                    Style::default().fg(t.key),
                ));
                spans.push(Span::raw("  "));
            }
        }
        out.push(Line::from(spans));
    }
    out.push(size_line(d, t, label("Size")));
    out.push(Line::raw(""));
    let json = if d.show_types {
        value::item_to_dynamo(&d.row.item)
    } else {
        value::item_to_plain(&d.row.item)
    };
    let key_names = d
        .info
        .as_ref()
        .map(crate::dynamo::client::TableInfo::key_names)
        .unwrap_or_default();
    // Key attributes first, then the rest sorted; one attribute per line
    // (or more, for a long value).
    let mut starts = Vec::new();
    let Value::Object(map) = json else {
        json_lines(&json, t, &mut out);
        return (out, starts);
    };
    out.push(Line::raw("{"));
    let names = value::ordered_names(&d.row.item, &key_names);
    let n = names.len();
    for (i, k) in names.into_iter().enumerate() {
        let Some(v) = map.get(k) else { continue };
        starts.push(out.len());
        let mut cur = vec![
            indent(1),
            Span::styled(
                serde_json::to_string(k).unwrap_or_default(),
                Style::default().fg(t.key),
            ),
            Span::raw(": "),
        ];
        emit(v, 1, t, &mut cur, &mut out);
        if i + 1 < n {
            cur.push(Span::raw(","));
        }
        out.push(Line::from(cur));
    }
    out.push(Line::raw("}"));
    (out, starts)
}

/// The item's size by DynamoDB's rules, how close it is to 400 KB, and
/// what reading and writing it costs (with a write to each GSI it is in).
fn size_line(d: &DetailState, t: &Theme, label: Span<'static>) -> Line<'static> {
    use crate::dynamo::size::{near_limit, summary};
    let colour = if near_limit(&d.row.item) {
        t.warning
    } else {
        t.muted
    };
    Line::from(vec![
        label,
        Span::styled(
            summary(&d.row.item, d.info.as_ref()),
            Style::default().fg(colour),
        ),
    ])
}

/// Pretty JSON with colours: keys, strings, numbers, literals.
pub fn json_lines(v: &Value, t: &Theme, out: &mut Vec<Line<'static>>) {
    let mut cur: Vec<Span<'static>> = Vec::new();
    emit(v, 0, t, &mut cur, out);
    if !cur.is_empty() {
        out.push(Line::from(cur));
    }
}

fn indent(n: usize) -> Span<'static> {
    Span::raw("  ".repeat(n))
}

fn scalar(v: &Value, t: &Theme) -> Span<'static> {
    match v {
        Value::String(s) => Span::styled(
            serde_json::to_string(s).unwrap_or_default(),
            Style::default().fg(t.string),
        ),
        Value::Number(n) => Span::styled(n.to_string(), Style::default().fg(t.number)),
        Value::Bool(b) => Span::styled(b.to_string(), Style::default().fg(t.warning)),
        Value::Null => Span::styled("null", Style::default().fg(t.muted)),
        _ => Span::raw(""),
    }
}

fn emit(
    v: &Value,
    depth: usize,
    t: &Theme,
    cur: &mut Vec<Span<'static>>,
    out: &mut Vec<Line<'static>>,
) {
    // Small objects and arrays stay on one line: `{"S": "x"}`, `[1, 2]`.
    if matches!(v, Value::Object(_) | Value::Array(_)) && inline_fits(v, INLINE_WIDTH) {
        inline(v, t, cur);
        return;
    }
    match v {
        Value::Object(m) if !m.is_empty() => {
            cur.push(Span::raw("{"));
            out.push(Line::from(std::mem::take(cur)));
            let n = m.len();
            for (i, (k, val)) in m.iter().enumerate() {
                cur.push(indent(depth + 1));
                cur.push(Span::styled(
                    serde_json::to_string(k).unwrap_or_default(),
                    Style::default().fg(t.key),
                ));
                cur.push(Span::raw(": "));
                emit(val, depth + 1, t, cur, out);
                if i + 1 < n {
                    cur.push(Span::raw(","));
                }
                out.push(Line::from(std::mem::take(cur)));
            }
            cur.push(indent(depth));
            cur.push(Span::raw("}"));
        }
        Value::Array(a) if !a.is_empty() => {
            cur.push(Span::raw("["));
            out.push(Line::from(std::mem::take(cur)));
            let n = a.len();
            for (i, val) in a.iter().enumerate() {
                cur.push(indent(depth + 1));
                emit(val, depth + 1, t, cur, out);
                if i + 1 < n {
                    cur.push(Span::raw(","));
                }
                out.push(Line::from(std::mem::take(cur)));
            }
            cur.push(indent(depth));
            cur.push(Span::raw("]"));
        }
        Value::Object(_) => cur.push(Span::raw("{}")),
        Value::Array(_) => cur.push(Span::raw("[]")),
        other => cur.push(scalar(other, t)),
    }
}

const INLINE_WIDTH: usize = 60;

/// True when `v` printed compactly is at most `max` characters.
fn inline_fits(v: &Value, max: usize) -> bool {
    serde_json::to_string(v).is_ok_and(|s| s.chars().count() + 8 <= max)
}

fn inline(v: &Value, t: &Theme, cur: &mut Vec<Span<'static>>) {
    match v {
        Value::Object(m) => {
            cur.push(Span::raw("{"));
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    cur.push(Span::raw(", "));
                }
                cur.push(Span::styled(
                    serde_json::to_string(k).unwrap_or_default(),
                    Style::default().fg(t.key),
                ));
                cur.push(Span::raw(": "));
                inline(val, t, cur);
            }
            cur.push(Span::raw("}"));
        }
        Value::Array(a) => {
            cur.push(Span::raw("["));
            for (i, val) in a.iter().enumerate() {
                if i > 0 {
                    cur.push(Span::raw(", "));
                }
                inline(val, t, cur);
            }
            cur.push(Span::raw("]"));
        }
        other => cur.push(scalar(other, t)),
    }
}
