//! Drawing shared by the views: a data table over rows that say their own
//! cells ([`DataTable`], [`TableRow`]), a selectable list ([`SelectList`])
//! and the answer part of a confirmation ([`confirm_lines`]). Their state
//! (cursor, confirmation) is in `crate::app::tui::widgets`; drawing only
//! reads it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, List, ListItem, ListState, Row, Table, TableState};

use crate::app::config::Theme;
use crate::app::tui::estimate::ConfirmEstimate;
use crate::app::tui::widgets::{Confirm, ListCursor};

/// The style of the selected row of a list or a table.
pub fn selected_style(t: &Theme) -> Style {
    Style::default()
        .bg(t.selection_bg)
        .add_modifier(Modifier::BOLD)
}

/// The style of a table's header line.
pub fn header_style(t: &Theme) -> Style {
    Style::default().fg(t.muted).add_modifier(Modifier::BOLD)
}

/// The rows of items a table drawn in `block` over `area` has room for
/// (its header line taken).
pub fn table_rows(block: &Block, area: Rect) -> usize {
    block.inner(area).height.saturating_sub(1) as usize
}

/// How wide a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// Exactly this many cells.
    Fixed(u16),
    /// At least this many; such columns share what is left.
    Min(u16),
    /// What the other columns leave.
    Fill,
    /// As wide as its header and its widest cell (of the rows measured,
    /// see [`DataTable::fit_every_row`]), at most `max`.
    Fit { max: usize },
}

/// A column: what the rows are asked for, its header and its width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column<C> {
    pub key: C,
    pub header: String,
    pub width: Width,
}

impl<C> Column<C> {
    pub fn new(key: C, header: impl Into<String>, width: Width) -> Column<C> {
        Column {
            key,
            header: header.into(),
            width,
        }
    }
}

/// The text of a cell, plain or in a style of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellText {
    pub text: String,
    pub style: Option<Style>,
}

impl CellText {
    pub fn styled(text: impl Into<String>, style: Style) -> CellText {
        CellText {
            text: text.into(),
            style: Some(style),
        }
    }

    /// Its width as columns are measured (characters).
    pub fn width(&self) -> usize {
        self.text.chars().count()
    }

    /// The text cut to `width` columns, with `…` where it was cut: a cell
    /// never looks whole when it is not.
    pub fn fit(mut self, width: usize) -> CellText {
        self.text = fit_text(&self.text, width);
        self
    }

    fn into_cell(self) -> Cell<'static> {
        match self.style {
            Some(style) => Cell::from(Span::styled(self.text, style)),
            None => Cell::from(self.text),
        }
    }
}

impl From<String> for CellText {
    fn from(text: String) -> CellText {
        CellText { text, style: None }
    }
}

impl From<&str> for CellText {
    fn from(text: &str) -> CellText {
        CellText::from(text.to_string())
    }
}

/// `text` cut to `width` terminal columns, ending in `…` when cut.
pub fn fit_text(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A row of a [`DataTable`]: its cell in each column.
pub trait TableRow {
    /// What names a column (the view's own enum of columns).
    type Col;

    /// The cell in column `col`.
    fn cell(&self, col: &Self::Col) -> CellText;

    /// The style of the whole row.
    fn style(&self) -> Style {
        Style::default()
    }
}

/// A table of rows with a header line, the selection from a [`ListCursor`]
/// (highlighted and kept in view), only the rows on screen laid out.
pub struct DataTable<'a, C> {
    columns: Vec<Column<C>>,
    block: Block<'a>,
    theme: &'a Theme,
    symbol: Option<&'a str>,
    fit_every_row: bool,
}

impl<'a, C> DataTable<'a, C> {
    pub fn new(columns: Vec<Column<C>>, block: Block<'a>, theme: &'a Theme) -> DataTable<'a, C> {
        DataTable {
            columns,
            block,
            theme,
            symbol: None,
            fit_every_row: false,
        }
    }

    /// Marks the selected row with `symbol` too.
    pub fn highlight_symbol(mut self, symbol: &'a str) -> DataTable<'a, C> {
        self.symbol = Some(symbol);
        self
    }

    /// [`Width::Fit`] columns are measured over every row, not only the rows
    /// on screen: a short list's columns do not move while it scrolls.
    pub fn fit_every_row(mut self) -> DataTable<'a, C> {
        self.fit_every_row = true;
        self
    }

    /// Draws `len` rows, row `i` made by `row(i)` (called only for the rows
    /// laid out), `cursor` selecting; returns the rows it had room for.
    pub fn render<R>(
        self,
        f: &mut Frame,
        area: Rect,
        cursor: &ListCursor,
        len: usize,
        row: impl Fn(usize) -> R,
    ) -> usize
    where
        R: TableRow<Col = C>,
    {
        let room = table_rows(&self.block, area);
        let sel = cursor.selected.min(len.saturating_sub(1));
        let first = cursor.first_shown(room).min(sel);
        let end = (first + room).min(len);
        // With no room for a row, the selected one is still given (and not
        // drawn) so that the selection column stays where it is.
        let drawn_end = end.max((first + 1).min(len));
        let from = if self.fit_every_row { 0 } else { first };
        let to = if self.fit_every_row { len } else { drawn_end };
        let rows: Vec<(Style, Vec<CellText>)> = (from..to)
            .map(|i| {
                let r = row(i);
                let cells = self.columns.iter().map(|c| r.cell(&c.key)).collect();
                (r.style(), cells)
            })
            .collect();
        let measured = if self.fit_every_row {
            &rows[..]
        } else {
            &rows[..end - first]
        };
        let widths: Vec<Constraint> = self
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| match c.width {
                Width::Fixed(n) => Constraint::Length(n),
                Width::Min(n) => Constraint::Min(n),
                Width::Fill => Constraint::Fill(1),
                Width::Fit { max } => {
                    let head = c.header.chars().count().min(max);
                    let widest = measured
                        .iter()
                        .filter_map(|(_, cells)| cells.get(j).map(CellText::width))
                        .max()
                        .unwrap_or(head);
                    Constraint::Length(widest.clamp(head, max) as u16)
                }
            })
            .collect();
        // The columns' widths as the table lays them out (after the
        // selection symbol, one space apart), so that a cut cell is marked.
        let inner = self.block.inner(area);
        let selection = match self.symbol {
            Some(s) if len > 0 => unicode_width::UnicodeWidthStr::width(s) as u16,
            _ => 0,
        };
        let [_, cols_area] =
            Layout::horizontal([Constraint::Length(selection), Constraint::Fill(0)])
                .areas(Rect::new(0, 0, inner.width, 1));
        let col_widths: Vec<usize> = Layout::horizontal(widths.clone())
            .flex(Flex::Start)
            .spacing(1)
            .split(cols_area)
            .iter()
            .map(|r| r.width as usize)
            .collect();
        let header = Row::new(
            self.columns
                .iter()
                .zip(&col_widths)
                .map(|(c, w)| Cell::from(fit_text(&c.header, *w))),
        )
        .style(header_style(self.theme));
        let shown: Vec<Row> = rows
            .into_iter()
            .skip(first - from)
            .take(drawn_end - first)
            .map(|(style, cells)| {
                Row::new(
                    cells
                        .into_iter()
                        .zip(&col_widths)
                        .map(|(c, w)| c.fit(*w).into_cell()),
                )
                .style(style)
            })
            .collect();
        let mut table = Table::new(shown, widths)
            .header(header)
            .block(self.block)
            .row_highlight_style(selected_style(self.theme))
            .column_spacing(1);
        if let Some(s) = self.symbol {
            table = table.highlight_symbol(s);
        }
        let mut state = TableState::default().with_selected((len > 0).then_some(sel - first));
        f.render_stateful_widget(table, area, &mut state);
        room
    }
}

/// A list with the selected item (from a [`ListCursor`]) highlighted, `▶ `
/// before it, and kept in view.
pub struct SelectList<'a> {
    items: Vec<ListItem<'a>>,
    block: Block<'a>,
    highlight: Style,
    symbol: Option<&'static str>,
    item_height: usize,
}

impl<'a> SelectList<'a> {
    pub fn new(items: Vec<ListItem<'a>>, block: Block<'a>, t: &Theme) -> SelectList<'a> {
        SelectList {
            items,
            block,
            highlight: selected_style(t),
            symbol: Some("▶ "),
            item_height: 1,
        }
    }

    /// Without the `▶ ` symbol, the selection shown in `style`.
    pub fn plain(items: Vec<ListItem<'a>>, block: Block<'a>, style: Style) -> SelectList<'a> {
        SelectList {
            items,
            block,
            highlight: style,
            symbol: None,
            item_height: 1,
        }
    }

    /// Each item takes `lines` lines.
    pub fn item_height(mut self, lines: usize) -> SelectList<'a> {
        self.item_height = lines.max(1);
        self
    }

    /// Draws the list, `cursor` selecting (None: nothing is); returns the
    /// items it has room for.
    pub fn render(self, f: &mut Frame, area: Rect, cursor: Option<&ListCursor>) -> usize {
        let rows = self.block.inner(area).height as usize / self.item_height;
        let mut state = ListState::default();
        if let Some(c) = cursor {
            state = state
                .with_selected(Some(c.selected.min(self.items.len().saturating_sub(1))))
                .with_offset(c.first_shown(rows));
        }
        let mut list = List::new(self.items)
            .block(self.block)
            .highlight_style(self.highlight);
        if let Some(s) = self.symbol {
            list = list.highlight_symbol(s);
        }
        f.render_stateful_widget(list, area, &mut state);
        rows
    }
}

/// What a confirmation says around its answer.
#[derive(Debug, Clone)]
pub struct ConfirmText<'a> {
    /// First, when the table's name must be typed: why.
    pub heading: Line<'static>,
    /// Before what was typed.
    pub prompt: &'a str,
    /// Under what was typed: the keys (None: no line).
    pub keys: Option<&'a str>,
    /// When no name is asked: the keys, after a blank line (None: nothing).
    pub yes_no: Option<&'a str>,
    /// The last refusal is shown (else the screen tells it otherwise).
    pub refusal: bool,
}

impl ConfirmText<'static> {
    /// Seeding and migrations: why the table is protected, and the name to
    /// type; or y/n.
    pub fn table_name(c: &Confirm, t: &Theme) -> ConfirmText<'static> {
        ConfirmText {
            heading: Line::styled(
                c.why.clone().unwrap_or_default(),
                Style::default().fg(t.error),
            ),
            prompt: "Type the table name to confirm: ",
            keys: Some("enter confirms · esc cancels"),
            yes_no: Some("y / enter confirms · n / esc cancels"),
            refusal: false,
        }
    }
}

/// Appends the answer part of the confirmation `c` to `out`: with a name to
/// type, `text`'s heading, the prompt with what was typed (a cursor after
/// it) and the keys; else the y/n keys; then the last refusal.
pub fn confirm_lines(c: &Confirm, t: &Theme, text: ConfirmText<'_>, out: &mut Vec<Line<'static>>) {
    let muted = Style::default().fg(t.muted);
    if c.name.is_some() {
        out.push(text.heading);
        out.push(Line::raw(format!("{}{}▏", text.prompt, c.typed)));
        if let Some(k) = text.keys {
            out.push(Line::styled(k.to_string(), muted));
        }
    } else if let Some(k) = text.yes_no {
        out.push(Line::raw(""));
        out.push(Line::styled(k.to_string(), muted));
    }
    if text.refusal
        && let Some(e) = &c.error
    {
        out.push(Line::styled(e.clone(), Style::default().fg(t.error)));
    }
}

/// The estimate line of a confirmation (none when no estimate is asked):
/// in the warning colour above `[estimates] confirm_above_units`, or when
/// it failed.
pub fn estimate_line(e: &ConfirmEstimate, t: &Theme) -> Option<Line<'static>> {
    let (text, warn) = e.text()?;
    let style = if warn {
        Style::default().fg(t.warning)
    } else {
        Style::default().fg(t.muted)
    };
    Some(Line::styled(text, style))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::widgets::Borders;

    /// A row of long values: column `c` is a run of one letter per column
    /// (`A`, `B`, `C`), of a length that varies by row.
    struct Long(usize);

    impl Long {
        fn text(&self, col: usize) -> String {
            let letter = ['A', 'B', 'C'][col % 3];
            letter.to_string().repeat(3 + (self.0 * 7 + col * 5) % 40)
        }
    }

    impl TableRow for Long {
        type Col = usize;
        fn cell(&self, col: &usize) -> CellText {
            CellText::from(self.text(*col))
        }
    }

    #[test]
    fn no_cell_is_cut_without_a_mark_at_any_size() {
        let theme = Theme::default();
        for (w, h) in [(80u16, 24u16), (120, 40), (200, 50), (30, 10)] {
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
            let cols = vec![
                Column::new(0, "Key", Width::Fit { max: 12 }),
                Column::new(1, "Other", Width::Min(5)),
                Column::new(2, "Rest", Width::Fill),
            ];
            let cursor = ListCursor::default();
            term.draw(|f| {
                DataTable::new(cols, Block::default().borders(Borders::ALL), &theme)
                    .highlight_symbol("▶ ")
                    .render(f, f.area(), &cursor, 40, Long);
            })
            .unwrap_or_else(|e| panic!("{e}"));
            let buf = term.backend().buffer();
            let mut cells = 0;
            for y in 2..buf.area.height.saturating_sub(1) {
                let line: Vec<String> = (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect();
                let row = Long(usize::from(y) - 2);
                for col in 0..3 {
                    let full = row.text(col);
                    let letter = &full[..1];
                    let Some(at) = line.iter().position(|s| s == letter) else {
                        continue;
                    };
                    let run = line[at..].iter().take_while(|s| *s == letter).count();
                    let marked = line.get(at + run).is_some_and(|s| s == "…");
                    assert!(
                        run == full.len() || marked,
                        "{w}x{h} row {} col {col}: {run} of {} shown without a mark: {}",
                        y - 2,
                        full.len(),
                        line.concat()
                    );
                    cells += 1;
                }
            }
            assert!(cells > 10, "{w}x{h}: cells were checked");
        }
    }

    #[test]
    fn fit_text_marks_what_it_cuts_and_keeps_what_fits() {
        assert_eq!(fit_text("o001102", 7), "o001102");
        assert_eq!(fit_text("o001102", 6), "o0011…");
        assert_eq!(fit_text("o001102", 1), "…");
        assert_eq!(fit_text("o001102", 0), "");
        assert_eq!(
            fit_text("日本語です", 5),
            "日本…",
            "wide characters count twice"
        );
    }

    struct Num(usize);

    impl TableRow for Num {
        type Col = usize;
        fn cell(&self, col: &usize) -> CellText {
            if *col == 0 {
                CellText::from(self.0.to_string())
            } else {
                CellText::from("x".repeat(self.0))
            }
        }
    }

    fn columns() -> Vec<Column<usize>> {
        vec![
            Column::new(0, "N", Width::Fit { max: 8 }),
            Column::new(1, "XS", Width::Fit { max: 6 }),
        ]
    }

    /// Draws with `render` on a `w` x `h` screen: what it returned and the
    /// lines drawn (the right border and the spaces before it cut).
    fn drawn(w: u16, h: u16, render: impl FnOnce(&mut Frame) -> usize) -> (usize, Vec<String>) {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        let mut rows = 0;
        term.draw(|f| rows = render(f)).expect("draw");
        let buf = term.backend().buffer();
        let lines = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end_matches('│')
                    .trim_end()
                    .to_string()
            })
            .collect();
        (rows, lines)
    }

    fn bordered() -> Block<'static> {
        Block::default().borders(Borders::ALL)
    }

    /// Row `selected` selected, the list not scrolled yet.
    fn selecting(selected: usize) -> ListCursor {
        ListCursor {
            selected,
            offset: 0,
        }
    }

    #[test]
    fn only_the_rows_on_screen_are_made_and_measured() {
        let theme = Theme::default();
        let cursor = selecting(9);
        let (room, l) = drawn(20, 6, |f| {
            DataTable::new(columns(), bordered(), &theme).render(f, f.area(), &cursor, 1000, |i| {
                assert!((7..=9).contains(&i), "row {i} is not on screen");
                Num(i)
            })
        });
        assert_eq!(room, 3, "6 lines less the borders and the header");
        assert_eq!(l[1], "│N XS", "fitted to the rows shown");
        assert_eq!(l[2], "│7 xxxxx…", "cut at the column's max, marked");
        assert_eq!(l[4], "│9 xxxxx…", "the selected row last");
    }

    #[test]
    fn every_row_is_measured_when_asked() {
        let theme = Theme::default();
        let (_, l) = drawn(30, 5, |f| {
            DataTable::new(columns(), bordered(), &theme)
                .fit_every_row()
                .highlight_symbol("▶ ")
                .render(f, f.area(), &ListCursor::default(), 12, Num)
        });
        assert_eq!(l[1], "│  N  XS", "as wide as `10` further down");
        assert_eq!(l[2], "│▶ 0");
        assert_eq!(l[3], "│  1  x");
    }

    #[test]
    fn a_list_keeps_its_selection_in_view() {
        let theme = Theme::default();
        let cursor = selecting(7);
        let (rows, l) = drawn(12, 5, |f| {
            let items = (0..10)
                .map(|i| ListItem::new(format!("item {i}")))
                .collect();
            SelectList::new(items, bordered(), &theme).render(f, f.area(), Some(&cursor))
        });
        assert_eq!(rows, 3);
        assert_eq!(l[1], "│  item 5");
        assert_eq!(l[3], "│▶ item 7");
    }

    #[test]
    fn a_protected_table_asks_for_its_name_and_shows_a_refusal() {
        let t = Theme::default();
        let mut c = Confirm::typed("prod", "protected by rule `prod*`");
        c.typed = "pr".into();
        c.error = Some("type it".into());
        let mut out = Vec::new();
        confirm_lines(&c, &t, ConfirmText::table_name(&c, &t), &mut out);
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "protected by rule `prod*`",
                "Type the table name to confirm: pr▏",
                "enter confirms · esc cancels"
            ],
            "seeding and migrations flash the refusal"
        );
        let mut out = Vec::new();
        let ask = ConfirmText {
            heading: Line::raw("why"),
            prompt: "name: ",
            keys: None,
            yes_no: None,
            refusal: true,
        };
        confirm_lines(&c, &t, ask.clone(), &mut out);
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["why", "name: pr▏", "type it"]);
        let mut out = Vec::new();
        confirm_lines(&Confirm::yes_no(), &t, ask, &mut out);
        assert!(out.is_empty(), "y/n with no keys to say");
        confirm_lines(
            &Confirm::yes_no(),
            &t,
            ConfirmText::table_name(&Confirm::yes_no(), &t),
            &mut out,
        );
        let text: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["", "y / enter confirms · n / esc cancels"]);
    }
}
