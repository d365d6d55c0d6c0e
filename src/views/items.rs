//! The items view: what was asked (Scan said plainly), counts per type, and a
//! table of decoded items. Only the visible rows are laid out, so a view
//! holding 100,000 items draws as fast as one holding 50.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::widgets::{CellText, Column, DataTable, TableRow, Width, table_rows};
use super::{SPINNER, render_error};
use crate::app::config::Theme;
use crate::app::tui::screens::items::{ItemsState, Row as ItemRow};
use crate::app::tui::state::App;
use crate::dynamo::entity::Decoder;
use crate::dynamo::keyshape::{self, KeyField};
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
    // Before `G`: what reading everything left would cost.
    if let Some(text) = whole_read_text(app, items) {
        spans.push(Span::styled(
            format!("  {text}"),
            Style::default().fg(t.muted),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), head);

    // Counts per type over what is loaded (said), the table's approximate
    // item count beside; the active type filter highlighted.
    let mut counted = format!(
        "types of {} loaded",
        crate::dynamo::itemfile::thousands(items.rows.len())
    );
    if let Some(n) = items
        .info
        .as_ref()
        .and_then(|i| i.item_count)
        .and_then(|n| usize::try_from(n).ok())
    {
        counted.push_str(&format!(
            " (table ~{} items)",
            crate::dynamo::itemfile::thousands(n)
        ));
    }
    counted.push_str(": ");
    let mut tspans = vec![Span::styled(counted, Style::default().fg(t.muted))];
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
    Some(render_table(f, body, app, items))
}

/// What `G` would read, from DescribeTable: `G reads all: ≈ 221 RRU
/// reading 6,626 items · $0.000028` for a Scan; the most the rest of a
/// Query can read. None once everything is loaded.
fn whole_read_text(app: &App, items: &ItemsState) -> Option<String> {
    let info = items.info.as_ref()?;
    if items.done {
        return None;
    }
    let e = crate::dynamo::estimate::plan::describe_only(
        info,
        &items.request,
        app.ctx.region.as_deref(),
        &app.settings.estimates.prices,
    );
    let r = e.read.as_ref()?;
    Some(match &r.at_most {
        Some(b) => format!(
            "G reads the rest: at most {} {} (the whole {})",
            crate::dynamo::estimate::units(b.units),
            if e.on_demand() { "RRU" } else { "RCU" },
            if r.index.is_some() { "index" } else { "table" }
        ),
        None => format!("G reads all: {}", e.line()),
    })
}

/// The columns shown: how to fill each cell.
enum Col {
    /// `●` on marked items (while any is marked).
    Mark,
    Type,
    Key,
    Attr(String),
    Summary,
}

fn columns(items: &ItemsState, width: usize, max_cell: usize) -> Vec<Column<Col>> {
    let mut cols = Vec::new();
    if !items.marks.is_empty() {
        cols.push(Column::new(Col::Mark, " ", Width::Fixed(1)));
    }
    // Columns are as wide as their widest cell on screen, within limits, so
    // a view of 100,000 rows still only measures the rows on screen.
    let attr = |a: String| Column::new(Col::Attr(a.clone()), a, Width::Fit { max: max_cell });
    cols.push(Column::new(Col::Type, "Type", Width::Fit { max: 24 }));
    if items.raw_keys || items.info.is_none() {
        if let Some(info) = &items.info {
            for k in info.pk.iter().chain(info.sk.iter()) {
                cols.push(attr(k.name.clone()));
            }
        }
    } else {
        // Identifying fields get width first: the attributes get what is
        // left (and go first on a small terminal).
        let key_cap = (width * 2 / 3).max(12);
        cols.push(Column::new(Col::Key, "Key", Width::Fit { max: key_cap }));
    }
    if items.show_index_keys
        && let Some(info) = &items.info
    {
        for a in info.index_key_attrs() {
            cols.push(attr(a));
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
            cols.extend(attrs.into_iter().map(attr));
        }
        None => cols.push(Column::new(Col::Summary, "Attributes", Width::Fill)),
    }
    cols
}

/// The table key's named fields, without the key format's own (index-key
/// fields and format fields are in the detail view).
fn key_fields(decoder: &Decoder, row: &ItemRow) -> Vec<KeyField> {
    decoder
        .primary_key_fields(&row.item, &row.class)
        .into_iter()
        .filter(|f| !f.meta)
        .collect()
}

fn key_text(decoder: &Decoder, row: &ItemRow, fields: &[KeyField], max: usize) -> String {
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
    keyshape::shown(fields)
}

fn summary_text(
    items: &ItemsState,
    row: &ItemRow,
    fields: &[KeyField],
    max_total: usize,
    max_cell: usize,
) -> String {
    let configured = row
        .class
        .entity
        .and_then(|e| items.decoder.entity_def(e))
        .map(|d| d.columns.as_slice())
        .unwrap_or(&[]);
    // A field shown in the Key column is not repeated here.
    let in_key: &[KeyField] = if items.raw_keys { &[] } else { fields };
    let mut out = String::new();
    let mut push = |k: &str, v: &crate::dynamo::AttributeValue| {
        if in_key.iter().any(|f| f.name == k) {
            return;
        }
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

/// An item on screen: its cell in each column.
struct ItemLine<'a> {
    items: &'a ItemsState,
    row: ItemRow,
    /// The row's key fields, decoded once for the Key and Attributes cells.
    fields: Vec<KeyField>,
    marked: bool,
    theme: &'a Theme,
    max_cell: usize,
    /// The table's width (the summary is cut to it).
    width: usize,
}

impl TableRow for ItemLine<'_> {
    type Col = Col;

    fn cell(&self, col: &Col) -> CellText {
        let (t, row) = (self.theme, &self.row);
        match col {
            Col::Mark => CellText::styled(
                if self.marked { "●" } else { " " },
                Style::default().fg(t.warning),
            ),
            Col::Type => CellText::styled(
                row.class
                    .entity
                    .map(|e| self.items.decoder.entity_name(e).to_string())
                    .unwrap_or_else(|| "—".into()),
                Style::default().fg(t.accent),
            ),
            Col::Key => CellText::styled(
                key_text(&self.items.decoder, row, &self.fields, self.max_cell),
                Style::default().fg(t.key),
            ),
            Col::Attr(a) => CellText::from(
                row.item
                    .get(a)
                    .map(|v| value::cell_text(v, self.max_cell))
                    .unwrap_or_default(),
            ),
            Col::Summary => CellText::from(summary_text(
                self.items,
                row,
                &self.fields,
                self.width,
                self.max_cell,
            )),
        }
    }

    fn style(&self) -> Style {
        if self.marked {
            Style::default().fg(self.theme.warning)
        } else {
            Style::default()
        }
    }
}

/// Draws the table of items; returns the rows it has room for.
fn render_table(f: &mut Frame, area: Rect, app: &App, items: &ItemsState) -> usize {
    let t = &app.settings.theme;
    let max_cell = app.settings.ui.max_cell_width;
    // A protected table's border is coloured and labelled.
    let (border, label) = super::table_border(app, &items.table);
    let mut block = Block::default().borders(Borders::ALL).border_style(border);
    if let Some(l) = label {
        block =
            block.title_top(Line::styled(l, border.add_modifier(Modifier::BOLD)).right_aligned());
    }
    if items.view.is_empty() {
        let msg = if items.loading() || (items.rows.is_empty() && items.info.is_none()) {
            format!("{} loading…", SPINNER[app.spinner % SPINNER.len()])
        } else if items.rows.is_empty() && !items.done && items.error.is_none() {
            format!(
                "No items in the first {} scanned ({} pages read; the read budget is {}). \
                 G reads the rest, s/S starts another request.",
                items.stats.scanned,
                items.stats.pages,
                crate::dynamo::pages::ReadBudget::default()
            )
        } else if items.rows.is_empty() {
            "No items. Try another query (s) or a scan (S).".to_string()
        } else {
            if items.done {
                "No loaded item matches the filter (esc clears it).".to_string()
            } else {
                "No loaded item matches the filter (esc clears it; G loads every page).".to_string()
            }
        };
        let rows = table_rows(&block, area);
        f.render_widget(Paragraph::new(msg).block(block), area);
        return rows;
    }
    let sel = items.cursor.selected.min(items.view.len() - 1);
    let width = area.width as usize;
    let marking = !items.marks.is_empty();
    let st = &items.stats;
    let title = format!(
        " {} / {}{} · scanned {} · {} page{} · {:.1} RCU{} · last {} ms{}{} ",
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
        st.estimated
            .map(|e| format!(" (est. {})", crate::dynamo::estimate::units(e)))
            .unwrap_or_default(),
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
    // Only the rows on screen are decoded.
    let rows = DataTable::new(columns(items, width, max_cell), block.title(title), t).render(
        f,
        area,
        &items.cursor,
        items.view.len(),
        |i| {
            let ri = items.view[i];
            let row = items.rows[ri].row();
            ItemLine {
                items,
                fields: key_fields(&items.decoder, &row),
                row,
                marked: items.marks.contains(&ri),
                theme: t,
                max_cell,
                width,
            }
        },
    );
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
    rows
}
