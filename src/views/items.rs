//! The items view: what was asked (Scan said plainly), counts per type, and a
//! table of decoded items. Only the visible rows are laid out, so a view
//! holding 100,000 items draws as fast as one holding 50.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::{SPINNER, render_error};
use crate::app::tui::screens::items::{ItemsState, Row as ItemRow};
use crate::app::tui::state::App;
use crate::dynamo::entity::Decoder;
use crate::dynamo::value;

/// Draws the items view; returns the rows of items it has room for.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let Some(items) = &app.items else {
        return None;
    };
    let t = &app.settings.theme;
    // A pattern's compiled request is shown under what ran.
    let compiled = items.compiled.clone();
    let [head, compiled_area, types, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(compiled.as_ref().map_or(0, |c| {
            // Wrapped over as many lines as it needs (at most 3).
            let w = area.width.max(1) as usize;
            c.chars().count().div_ceil(w).clamp(1, 3) as u16
        })),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    if let Some(c) = compiled {
        f.render_widget(
            Paragraph::new(Line::styled(c, Style::default().fg(t.muted)))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            compiled_area,
        );
    }

    // What was asked, and what it cost.
    let desc = match &items.pattern {
        Some(p) => format!("[{p}] {}", items.request.describe()),
        None => items.request.describe(),
    };
    let style = if items.request.is_scan() {
        Style::default().fg(t.warning)
    } else {
        Style::default().fg(t.accent)
    };
    let mut spans = vec![Span::styled(desc, style.add_modifier(Modifier::BOLD))];
    if items.loading() {
        spans.push(Span::raw(format!(
            " {}",
            SPINNER[app.spinner % SPINNER.len()]
        )));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), head);

    // Counts per type; the active type filter highlighted.
    let mut tspans = vec![Span::styled("types ", Style::default().fg(t.muted))];
    for (id, n) in &items.type_counts {
        let name = id
            .map(|e| items.decoder.entity_name(e).to_string())
            .unwrap_or_else(|| "—".into());
        let active = items.type_filter.is_some() && *id == items.type_filter;
        let st = if active {
            Style::default()
                .fg(t.accent)
                .add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        tspans.push(Span::styled(format!("{name} {n}"), st));
        tspans.push(Span::raw("  "));
    }
    if !items.text_filter.is_empty() {
        tspans.push(Span::styled(
            format!(
                "/{}  ({} match{})",
                items.text_filter,
                items.view.len(),
                if items.view.len() == 1 { "" } else { "es" }
            ),
            Style::default().fg(t.accent),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(tspans)), types);

    if let Some(e) = &items.error
        && items.rows.is_empty()
    {
        render_error(f, body, app, "Request failed", e);
        return None;
    }
    render_table(f, body, app, items);
    Some(body.height.saturating_sub(3) as usize)
}

/// `KeyConditionExpression ... | names {...} | values {...}` on one line.
/// The columns shown: header and how to fill each cell.
enum Col {
    Type,
    Key,
    Attr(String),
    Summary,
}

fn columns(items: &ItemsState) -> Vec<Col> {
    let mut cols = vec![Col::Type, Col::Key];
    if items.raw_keys || items.info.is_none() {
        cols.pop();
        if let Some(info) = &items.info {
            for k in info.pk.iter().chain(info.sk.iter()) {
                cols.push(Col::Attr(k.name.clone()));
            }
        }
    }
    if items.show_index_keys
        && let Some(info) = &items.info
    {
        for a in info.index_key_attrs() {
            cols.push(Col::Attr(a));
        }
    }
    match items.type_filter {
        Some(t) => {
            let configured = items
                .decoder
                .entity_def(t)
                .map(|d| d.columns.clone())
                .unwrap_or_default();
            let attrs = if configured.is_empty() {
                items.derived_columns.clone()
            } else {
                configured
            };
            cols.extend(attrs.into_iter().map(Col::Attr));
        }
        None => cols.push(Col::Summary),
    }
    cols
}

fn header(c: &Col) -> String {
    match c {
        Col::Type => "Type".into(),
        Col::Key => "Key".into(),
        Col::Attr(a) => a.clone(),
        Col::Summary => "Attributes".into(),
    }
}

fn key_text(decoder: &Decoder, row: &ItemRow, max: usize) -> String {
    // The primary key's fields only; index-key fields are in the detail view.
    let def = row.class.entity.and_then(|e| decoder.entity_def(e));
    let primary: Vec<&str> = def
        .map(|d| {
            d.pk.iter()
                .chain(d.sk.iter())
                .flat_map(|t| t.params())
                .collect()
        })
        .unwrap_or_default();
    let fields: Vec<(String, String)> = decoder
        .key_fields(&row.item, &row.class)
        .into_iter()
        .filter(|(k, _)| primary.contains(&k.as_str()))
        .collect();
    if fields.is_empty() {
        // Not decodable: the raw key.
        let keys = decoder.keys();
        let mut s = row
            .item
            .get(&keys.pk)
            .map(|v| value::cell_text(v, max))
            .unwrap_or_default();
        if let Some(sk) = keys.sk.as_ref().and_then(|k| row.item.get(k)) {
            s.push_str(" · ");
            s.push_str(&value::cell_text(sk, max));
        }
        return s;
    }
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn summary_text(items: &ItemsState, row: &ItemRow, max_total: usize, max_cell: usize) -> String {
    let configured = row
        .class
        .entity
        .and_then(|e| items.decoder.entity_def(e))
        .map(|d| d.columns.as_slice())
        .unwrap_or(&[]);
    let mut out = String::new();
    let mut push = |k: &str, v: &crate::dynamo::AttributeValue| {
        if out.chars().count() >= max_total {
            return;
        }
        if !out.is_empty() {
            out.push_str("  ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&value::cell_text(v, max_cell));
    };
    if configured.is_empty() {
        for k in value::ordered_names(&row.item, &[]) {
            if !items.is_key_attr(k)
                && let Some(v) = row.item.get(k)
            {
                push(k, v);
            }
        }
    } else {
        for k in configured {
            if let Some(v) = row.item.get(k) {
                push(k, v);
            }
        }
    }
    out
}

fn render_table(f: &mut Frame, area: Rect, app: &App, items: &ItemsState) {
    let t = &app.settings.theme;
    let max_cell = app.settings.ui.max_cell_width;
    let cols = columns(items);
    // A protected table's border is coloured and labelled.
    let (border, label) = super::table_border(app, &items.table);
    let mut block = Block::default().borders(Borders::ALL).border_style(border);
    if let Some(l) = label {
        block =
            block.title_top(Line::styled(l, border.add_modifier(Modifier::BOLD)).right_aligned());
    }
    let inner_h = area.height.saturating_sub(3) as usize; // borders + header
    if items.view.is_empty() {
        let msg = if items.loading() || (items.rows.is_empty() && items.info.is_none()) {
            format!("{} loading…", SPINNER[app.spinner % SPINNER.len()])
        } else if items.rows.is_empty() {
            "No items. Try another query (s) or a scan (S).".to_string()
        } else {
            if items.done {
                "No loaded item matches the filter (esc clears it).".to_string()
            } else {
                "No loaded item matches the filter (esc clears it; G loads every page).".to_string()
            }
        };
        f.render_widget(Paragraph::new(msg).block(block), area);
        return;
    }
    // Keep the cursor on screen; lay out only the visible window.
    let sel = items.cursor.selected.min(items.view.len() - 1);
    let offset = items.cursor.first_shown(inner_h);
    let end = (offset + inner_h).min(items.view.len());
    let width = area.width as usize;
    // Only the rows on screen are decoded.
    let visible: Vec<ItemRow> = items.view[offset..end]
        .iter()
        .map(|&i| items.rows[i].row())
        .collect();
    let marking = !items.marks.is_empty();
    let rows: Vec<Row> = visible
        .iter()
        .zip(&items.view[offset..end])
        .map(|(row, &ri)| {
            let marked = items.marks.contains(&ri);
            let mut cells: Vec<Cell> = Vec::with_capacity(cols.len() + 1);
            if marking {
                cells.push(Cell::from(Span::styled(
                    if marked { "●" } else { " " },
                    Style::default().fg(t.warning),
                )));
            }
            cells.extend(cols.iter().map(|c| {
                match c {
                    Col::Type => Cell::from(Span::styled(
                        row.class
                            .entity
                            .map(|e| items.decoder.entity_name(e).to_string())
                            .unwrap_or_else(|| "—".into()),
                        Style::default().fg(t.accent),
                    )),
                    Col::Key => Cell::from(Span::styled(
                        key_text(&items.decoder, row, max_cell),
                        Style::default().fg(t.key),
                    )),
                    Col::Attr(a) => Cell::from(
                        row.item
                            .get(a)
                            .map(|v| value::cell_text(v, max_cell))
                            .unwrap_or_default(),
                    ),
                    Col::Summary => Cell::from(summary_text(items, row, width, max_cell)),
                }
            }));
            let r = Row::new(cells);
            if marked {
                r.style(Style::default().fg(t.warning))
            } else {
                r
            }
        })
        .collect();
    // Columns are as wide as their widest visible cell, within limits, so a
    // view of 100,000 rows still only measures the rows on screen.
    let measure = |f: &dyn Fn(&ItemRow) -> usize, min: usize, max: usize| -> u16 {
        visible
            .iter()
            .map(f)
            .max()
            .unwrap_or(min)
            .clamp(min, max.max(min)) as u16
    };
    let key_cap = (width / 3).clamp(12, 64);
    let mark_col = marking.then_some(Constraint::Length(1));
    let widths: Vec<Constraint> = mark_col
        .into_iter()
        .chain(cols.iter().map(|c| match c {
            Col::Type => Constraint::Length(measure(
                &|r| {
                    r.class
                        .entity
                        .map(|e| items.decoder.entity_name(e).chars().count())
                        .unwrap_or(1)
                },
                4,
                24,
            )),
            Col::Key => Constraint::Length(measure(
                &|r| key_text(&items.decoder, r, max_cell).chars().count(),
                3,
                key_cap,
            )),
            Col::Attr(a) => Constraint::Length(measure(
                &|r| {
                    r.item
                        .get(a)
                        .map(|v| value::cell_text(v, max_cell).chars().count())
                        .unwrap_or(0)
                },
                a.chars().count().min(max_cell),
                max_cell,
            )),
            Col::Summary => Constraint::Fill(1),
        }))
        .collect();
    let head = Row::new(
        marking
            .then(|| Cell::from(" "))
            .into_iter()
            .chain(cols.iter().map(|c| Cell::from(header(c)))),
    )
    .style(Style::default().add_modifier(Modifier::BOLD).fg(t.muted));
    let st = &items.stats;
    let title = format!(
        " {} / {}{} · scanned {} · {} page{} · {:.1} RCU · last {} ms{}{} ",
        sel + 1,
        items.view.len(),
        if items.view.len() == items.rows.len() {
            String::new()
        } else {
            format!(" of {} loaded", items.rows.len())
        },
        st.scanned,
        st.pages,
        if st.pages == 1 { "" } else { "s" },
        st.consumed,
        st.last_ms,
        if items.done {
            " · all loaded"
        } else {
            " · more on scroll"
        },
        if marking {
            format!(" · {} marked", items.marks.len())
        } else {
            String::new()
        }
    );
    let table = Table::new(rows, widths)
        .header(head)
        .block(block.title(title))
        .row_highlight_style(
            Style::default()
                .bg(t.selection_bg)
                .add_modifier(Modifier::BOLD),
        )
        .column_spacing(1);
    let mut state = TableState::default().with_selected(Some(sel - offset));
    f.render_stateful_widget(table, area, &mut state);
    if let Some(e) = &items.error {
        // A later page failed: say so over the bottom border.
        let msg = Line::styled(
            format!(" next page failed: {} — r to retry ", e.code),
            Style::default().fg(t.error),
        );
        let y = area.y + area.height.saturating_sub(1);
        let r = Rect {
            x: area.x + 1,
            y,
            width: area.width.saturating_sub(2),
            height: 1,
        };
        f.render_widget(Paragraph::new(msg), r);
    }
}
