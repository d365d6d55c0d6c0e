//! The migrations view: the folder's migrations with their ledger status,
//! the selected one's plan and last run, a run's gauge, counts, live log
//! and diff preview, the report, and confirmations. Empty and error states
//! say what to do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::widgets::{
    CellText, Column, ConfirmText, DataTable, TableRow, Width, confirm_lines, estimate_line,
};
use super::{SPINNER, centered, popup};
use crate::app::config::Theme;
use crate::app::tui::keymap::{Action, Mode};
use crate::app::tui::request::Loadable;
use crate::app::tui::screens::migrate::{COMMAND, Files, Listing, MigrateRun, Pane};
use crate::app::tui::state::App;
use crate::app::tui::widgets::ListCursor;
use crate::dynamo::migrate::{
    self, Counts, DIFF_LIMIT, Direction, FileStatus, ItemDiff, LedgerEntry, Migration, Plan,
};

/// The colour of a status.
pub fn status_colour(s: FileStatus, t: &Theme) -> Color {
    match s {
        FileStatus::Pending => t.accent,
        FileStatus::Running => t.accent,
        FileStatus::Applied => t.string,
        FileStatus::Changed => t.number,
        FileStatus::Failed => t.error,
        FileStatus::Interrupted => t.warning,
        FileStatus::Reverted => t.muted,
    }
}

/// `declarative`, `transform script, down`, ...
pub fn kind_text(m: &Migration) -> String {
    format!(
        "{}{}",
        m.kind(),
        if m.down.is_some() { ", down" } else { "" }
    )
}

/// `2025-03-14T09:26:53Z` as `2025-03-14 09:26`.
fn short_time(s: &str) -> String {
    s.replacen('T', " ", 1).chars().take(16).collect()
}

fn counts_short(c: &Counts) -> String {
    let mut s = format!("{}/{} changed", c.changed, c.selected);
    for (n, w) in [
        (c.deleted, "deleted"),
        (c.moved, "moved"),
        (c.conflicts, "conflict"),
    ] {
        if n > 0 {
            let plural = if w == "conflict" && n > 1 { "s" } else { "" };
            s.push_str(&format!(", {n} {w}{plural}"));
        }
    }
    s
}

/// What a plan selects.
fn select_text(p: &Plan) -> String {
    let s = &p.select;
    let mut parts = Vec::new();
    if let Some(t) = &s.type_value {
        parts.push(format!("type = {t}"));
    }
    if let Some(k) = &s.key_prefix {
        parts.push(format!("key begins with {k}"));
    }
    if let Some(f) = &s.filter {
        parts.push(format!("filter {}", f.source));
    }
    if parts.is_empty() {
        "every item".into()
    } else {
        parts.join(", ")
    }
}

/// What a plan does to what it selects.
fn plan_text(p: &Plan) -> String {
    match &p.action {
        migrate::Action::Ops(ops) => format!(
            "{}: {}",
            select_text(p),
            ops.iter()
                .map(|o| o.describe())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        migrate::Action::Transform(s) => {
            format!("{}: transform script `{}`", select_text(p), s.display())
        }
        migrate::Action::Command(s) => format!("command script `{}`", s.display()),
    }
}

/// Draws the migrations screen; returns the lines of the log and diff
/// panes when a run is shown (their page keys scroll by it).
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let t = &app.settings.theme;
    let st = &app.migrate;
    let mut pane_rows = None;
    let table = st.table.as_deref().unwrap_or("?");
    match &st.listing.state {
        Loadable::Idle | Loadable::Loading => {
            let s = SPINNER[app.spinner % SPINNER.len()];
            f.render_widget(
                Paragraph::new(format!("{s} reading the migrations of {table}…"))
                    .block(Block::default().borders(Borders::ALL).title(" Migrations ")),
                area,
            );
        }
        Loadable::Failed(e) => {
            f.render_widget(
                Paragraph::new(vec![
                    Line::styled(
                        format!("cannot list the migrations of {table}"),
                        Style::default().fg(t.error).add_modifier(Modifier::BOLD),
                    ),
                    Line::raw(""),
                    Line::raw(e.clone()),
                ])
                .wrap(Wrap { trim: false })
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(Style::default().fg(t.error))
                        .title(" Migrations "),
                ),
                area,
            );
        }
        Loadable::Ready(l) => match &l.files {
            Files::NoFolder => render_no_folder(f, area, app, l),
            Files::Errors(errors) => render_errors(f, area, app, l, errors),
            Files::Ready(ms) if ms.is_empty() => render_no_files(f, area, app, l),
            Files::Ready(_) => pane_rows = render_listing(f, area, app, l),
        },
    }
    render_confirm(f, area, app);
    pane_rows
}

fn reload_key(app: &App) -> String {
    app.settings
        .keymap
        .key_for(Mode::Migrate, Action::Refresh)
        .map(|k| k.to_string())
        .unwrap_or_else(|| "reload".into())
}

fn render_no_folder(f: &mut Frame, area: Rect, app: &App, l: &Listing) {
    let t = &app.settings.theme;
    let muted = Style::default().fg(t.muted);
    let mut lines = vec![
        Line::styled(
            "No migrations folder.",
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Line::raw(""),
        Line::raw("dyntui looks for migration files (NNN_name.toml, run in number order) in"),
        Line::styled(format!("  {}", l.dir.display()), Style::default().fg(t.key)),
        Line::raw(""),
    ];
    match (&app.project.migrations_dir, &app.project.path) {
        (Some(_), Some(p)) => lines.push(Line::raw(format!(
            "That is the [migrations] dir set in {}; the folder does not exist.",
            p.display()
        ))),
        (Some(_), None) => lines.push(Line::raw(
            "That is the [migrations] dir of the project; the folder does not exist.",
        )),
        (None, Some(p)) => lines.push(Line::raw(format!(
            "That is migrations/ next to the project file {}.",
            p.display()
        ))),
        (None, None) => lines.push(Line::raw(
            "There is no project file, so that is migrations/ in the current directory.",
        )),
    }
    lines.extend([
        Line::raw("Another folder is set in the project file (relative to that file):"),
        Line::raw(""),
        Line::styled("  [migrations]", Style::default().fg(t.key)),
        Line::styled("  dir = \"db/migrations\"", Style::default().fg(t.key)),
        Line::raw(""),
        Line::styled(
            format!(
                "Then add a file such as 001_add_gsi2.toml and press {} to read the folder again.",
                reload_key(app)
            ),
            muted,
        ),
    ]);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" Migrations of {} ", l.info.name)),
        ),
        area,
    );
}

fn render_no_files(f: &mut Frame, area: Rect, app: &App, l: &Listing) {
    let t = &app.settings.theme;
    let lines = vec![
        Line::styled(
            format!("No migration files in {}.", l.dir.display()),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Line::raw(""),
        Line::raw("A migration is a file NNN_name.toml (001_add_gsi2.toml): [select] and"),
        Line::raw("[[op]] (set, set_key, rename, remove, copy) or a [script]; [down] reverts it."),
        Line::raw(""),
        Line::styled(
            format!(
                "Add one and press {} to read the folder again.",
                reload_key(app)
            ),
            Style::default().fg(t.muted),
        ),
    ];
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" Migrations of {} ", l.info.name)),
        ),
        area,
    );
}

fn render_errors(f: &mut Frame, area: Rect, app: &App, l: &Listing, errors: &[String]) {
    let t = &app.settings.theme;
    let mut lines: Vec<Line> = errors
        .iter()
        .map(|e| Line::styled(e.clone(), Style::default().fg(t.error)))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "Nothing can run until every file is valid. Fix the files and press {} to read them again.",
            reload_key(app)
        ),
        Style::default().fg(t.muted),
    ));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default().fg(t.error))
                .title(format!(
                    " {} problem(s) in the migration files of {} ",
                    errors.len(),
                    l.dir.display()
                )),
        ),
        area,
    );
}

/// The status shown for a migration: the ledger's, or the run going on.
fn shown_status(app: &App, l: &Listing, i: usize, m: &Migration) -> (String, Style) {
    let t = &app.settings.theme;
    if let Some(r) = app.migrate.run.as_ref().filter(|r| r.id == m.id) {
        let word = match (r.dry_run, r.direction) {
            (true, _) => "dry run…",
            (false, Direction::Up) => "running…",
            (false, Direction::Down) => "reverting…",
        };
        return (
            word.into(),
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        );
    }
    match l.status(i) {
        Some((s, _)) => (s.as_str().into(), Style::default().fg(status_colour(s, t))),
        None => ("unknown".into(), Style::default().fg(t.muted)),
    }
}

fn render_listing(f: &mut Frame, area: Rect, app: &App, l: &Listing) -> Option<usize> {
    let st = &app.migrate;
    let ms = l.migrations();
    let show_run = st.run.is_some() || st.outcome.is_some() || !st.log.is_empty();
    let rows = ms.len() as u16 + 3;
    let (list_h, detail_h) = if show_run {
        (rows.min((area.height * 2 / 5).max(5)), 6)
    } else {
        (rows.min((area.height / 2).max(5)), area.height)
    };
    let [list_area, detail_area, run_area] = Layout::vertical([
        Constraint::Length(list_h),
        Constraint::Length(detail_h),
        Constraint::Min(0),
    ])
    .areas(area);
    render_table(f, list_area, app, l);
    render_detail(f, detail_area, app, l);
    show_run.then(|| render_run(f, run_area, app))
}

enum Col {
    Id,
    Kind,
    Status,
    LastRun,
    Counts,
    Description,
}

/// A migration in the list.
struct MigrationLine<'a> {
    app: &'a App,
    listing: &'a Listing,
    /// Its place in the folder.
    index: usize,
    migration: &'a Migration,
}

impl TableRow for MigrationLine<'_> {
    type Col = Col;

    fn cell(&self, col: &Col) -> CellText {
        let muted = Style::default().fg(self.app.settings.theme.muted);
        let m = self.migration;
        let entry: Option<&LedgerEntry> = self.listing.status(self.index).and_then(|(_, e)| e);
        match col {
            Col::Id => CellText::from(m.id.clone()),
            Col::Kind => CellText::styled(kind_text(m), muted),
            Col::Status => {
                let (status, style) = shown_status(self.app, self.listing, self.index, m);
                CellText::styled(status, style)
            }
            Col::LastRun => CellText::styled(
                match entry {
                    Some(e) => format!(
                        "{} {}",
                        short_time(e.ended_at.as_deref().unwrap_or(&e.started_at)),
                        e.run_by
                    ),
                    None => "—".into(),
                },
                muted,
            ),
            Col::Counts => CellText::styled(
                match entry {
                    // A command script's writes are its own: not counted.
                    Some(_) if m.kind() == COMMAND => "—".into(),
                    Some(e) => counts_short(&e.counts),
                    None => "—".into(),
                },
                muted,
            ),
            Col::Description => CellText::from(m.description.clone()),
        }
    }
}

fn render_table(f: &mut Frame, area: Rect, app: &App, l: &Listing) {
    let t = &app.settings.theme;
    let st = &app.migrate;
    let ms = l.migrations();
    // Each column as wide as its widest cell (within limits); the
    // description takes the rest.
    let columns = vec![
        Column::new(Col::Id, "ID", Width::Fit { max: 32 }),
        Column::new(Col::Kind, "KIND", Width::Fit { max: 22 }),
        Column::new(Col::Status, "STATUS", Width::Fixed(11)),
        Column::new(Col::LastRun, "LAST RUN", Width::Fit { max: 32 }),
        Column::new(Col::Counts, "COUNTS", Width::Fit { max: 32 }),
        Column::new(Col::Description, "DESCRIPTION", Width::Fill),
    ];
    let title = format!(
        " Migrations in {} ({}){} ",
        l.dir.display(),
        ms.len(),
        if st.loading() {
            format!(" {} reading…", SPINNER[app.spinner % SPINNER.len()])
        } else {
            String::new()
        }
    );
    // The list is short: drawn from its top, the selection kept in view.
    let cursor = ListCursor {
        selected: st.cursor.selected,
        offset: 0,
    };
    DataTable::new(
        columns,
        Block::default().borders(Borders::ALL).title(title),
        t,
    )
    .fit_every_row()
    .highlight_symbol("▶ ")
    .render(f, area, &cursor, ms.len(), |index| MigrationLine {
        app,
        listing: l,
        index,
        migration: &ms[index],
    });
}

fn render_detail(f: &mut Frame, area: Rect, app: &App, l: &Listing) {
    let t = &app.settings.theme;
    let st = &app.migrate;
    let Some(m) = st.selected_migration() else {
        return;
    };
    let label = |s: &str| Span::styled(format!("{s:<6}"), Style::default().fg(t.muted));
    let mut lines = vec![
        Line::from(vec![label("up"), Span::raw(plan_text(&m.up))]),
        Line::from(vec![
            label("down"),
            match &m.down {
                Some(d) => Span::raw(plan_text(d)),
                None => Span::styled(
                    "no [down] part: it cannot be reverted",
                    Style::default().fg(t.muted),
                ),
            },
        ]),
    ];
    match &l.statuses {
        Err(e) => lines.push(Line::from(vec![
            label("ledger"),
            Span::styled(format!("cannot be read: {e}"), Style::default().fg(t.error)),
        ])),
        Ok(_) => match l.status(st.cursor.selected) {
            Some((s, Some(e))) => {
                let mut spans = vec![
                    label("last"),
                    Span::styled(e.status.clone(), Style::default().fg(status_colour(s, t))),
                    Span::raw(format!(
                        " · started {}{} by {}{}",
                        short_time(&e.started_at),
                        e.ended_at
                            .as_deref()
                            .map(|x| format!(", ended {}", short_time(x)))
                            .unwrap_or_default(),
                        e.run_by,
                        if m.kind() == COMMAND {
                            String::new()
                        } else {
                            format!(" · {}", e.counts)
                        }
                    )),
                ];
                match s {
                    FileStatus::Interrupted => spans.push(Span::styled(
                        " · running it again resumes",
                        Style::default().fg(t.warning),
                    )),
                    FileStatus::Changed => spans.push(Span::styled(
                        " · the file changed since it was applied",
                        Style::default().fg(t.number),
                    )),
                    _ => {}
                }
                lines.push(Line::from(spans));
                if let Some(err) = &e.error {
                    lines.push(Line::from(vec![
                        label("error"),
                        Span::styled(
                            err.lines().next().unwrap_or_default().to_string(),
                            Style::default().fg(t.error),
                        ),
                    ]));
                }
                // A run shared by workers: the job, its workers, takeovers.
                for (i, line) in l.jobs.get(&m.id).into_iter().flatten().enumerate() {
                    let (head, text) = match line.strip_prefix("job ") {
                        Some(rest) if i == 0 => ("job", rest),
                        _ => ("", line.as_str()),
                    };
                    lines.push(Line::from(vec![label(head), Span::raw(text.to_string())]));
                }
            }
            _ => lines.push(Line::from(vec![
                label("last"),
                Span::styled("never run on this table", Style::default().fg(t.muted)),
            ])),
        },
    }
    lines.push(Line::from(vec![
        label("file"),
        Span::styled(
            format!("{} · checksum {}", m.path.display(), m.checksum),
            Style::default().fg(t.muted),
        ),
    ]));
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(if m.description.is_empty() {
                    format!(" {} ", m.id)
                } else {
                    format!(" {} · {} ", m.id, m.description)
                }),
        ),
        area,
    );
}

fn gauge_label(r: &MigrateRun) -> String {
    if r.kind == COMMAND {
        return format!(
            "command script running: its output is in the log{}",
            if r.stopping() { " · stopping…" } else { "" }
        );
    }
    let done = r.counts.done();
    let of = if r.estimate >= r.counts.selected {
        format!("{done}/{} items (total: table size estimate)", r.total())
    } else {
        format!("{done}/{} selected items", r.total())
    };
    format!(
        "{of}{}",
        if r.stopping() {
            " · stopping after the pages in flight…"
        } else {
            ""
        }
    )
}

fn counts_line(c: &Counts, t: &Theme) -> Line<'static> {
    let muted = Style::default().fg(t.muted);
    let mut spans = Vec::new();
    for (i, (w, n, colour)) in [
        ("changed", c.changed, t.string),
        ("unchanged", c.unchanged, t.muted),
        ("deleted", c.deleted, t.error),
        ("moved", c.moved, t.accent),
        ("conflicts", c.conflicts, t.warning),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            spans.push(Span::styled(" · ", muted));
        }
        spans.push(Span::styled(format!("{w} "), muted));
        spans.push(Span::styled(
            n.to_string(),
            Style::default().fg(if n > 0 { colour } else { t.muted }),
        ));
    }
    if c.incomplete > 0 {
        spans.push(Span::styled(
            format!(
                " · incomplete {} (a set template lacked a value)",
                c.incomplete
            ),
            Style::default().fg(t.warning),
        ));
    }
    Line::from(spans)
}

fn render_run(f: &mut Frame, area: Rect, app: &App) -> usize {
    let t = &app.settings.theme;
    let st = &app.migrate;
    let [top, panes] = Layout::vertical([Constraint::Length(4), Constraint::Min(3)]).areas(area);
    if let Some(r) = &st.run {
        let title = format!(
            " {} {} ",
            match (r.dry_run, r.direction) {
                (true, _) => "dry run of",
                (false, Direction::Up) => "running",
                (false, Direction::Down) => "reverting",
            },
            r.id
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(Style::default().fg(t.accent))
            .title(title);
        let inner = block.inner(top);
        f.render_widget(block, top);
        let [g, c] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
        let total = r.total();
        let ratio = if total > 0 {
            (r.counts.done() as f64 / total as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        f.render_widget(
            Gauge::default()
                .gauge_style(Style::default().fg(t.accent))
                .ratio(ratio)
                .label(gauge_label(r)),
            g,
        );
        let counts = if r.kind == COMMAND {
            Line::styled(
                "a command script does its own writes: dyntui shows its output, not counts",
                Style::default().fg(t.muted),
            )
        } else {
            counts_line(&r.counts, t)
        };
        f.render_widget(Paragraph::new(counts), c);
    } else if let Some(o) = &st.outcome {
        let (colour, second) = match &o.result {
            Err(_) => (t.error, None),
            Ok(rep) => {
                let mut notes = Vec::new();
                if rep.dry_run {
                    notes.push("nothing written".to_string());
                }
                if rep.resumed {
                    notes.push("resumed the run stopped earlier".into());
                }
                if rep.stopped && !rep.dry_run {
                    notes.push(if o.kind == COMMAND {
                        "stopped (the script was ended): the ledger says interrupted; running it again starts the script again".into()
                    } else {
                        "stopped: the ledger says interrupted; running it again resumes".into()
                    });
                }
                if let Some(n) = &rep.note {
                    notes.push(n.clone());
                }
                let colour = if rep.stopped { t.warning } else { t.string };
                (colour, Some((rep.counts, notes)))
            }
        };
        let title = match (o.dry_run, o.direction) {
            (true, _) => format!(" dry run of {} ", o.id),
            (false, Direction::Up) => format!(" run of {} ", o.id),
            (false, Direction::Down) => format!(" revert of {} ", o.id),
        };
        let mut lines = Vec::new();
        match (&o.result, second) {
            (Err(e), _) => {
                lines.push(Line::styled(
                    format!("failed: {}", e.lines().next().unwrap_or_default()),
                    Style::default().fg(t.error).add_modifier(Modifier::BOLD),
                ));
                lines.push(Line::styled(
                    "the whole message is in the log",
                    Style::default().fg(t.muted),
                ));
            }
            (Ok(_), Some((_, notes))) if o.kind == COMMAND => {
                lines.push(Line::styled(
                    "the command script did its own writes: its output is in the log",
                    Style::default().fg(t.muted),
                ));
                lines.push(Line::styled(notes.join(" · "), Style::default().fg(colour)));
            }
            (Ok(_), Some((counts, notes))) => {
                let mut first = counts_line(&counts, t);
                first.spans.insert(
                    0,
                    Span::styled(
                        format!("selected {} · ", counts.selected),
                        Style::default().fg(t.muted),
                    ),
                );
                lines.push(first);
                lines.push(Line::styled(notes.join(" · "), Style::default().fg(colour)));
            }
            (Ok(_), None) => {}
        }
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(Style::default().fg(colour))
                    .title(title),
            ),
            top,
        );
    }
    let [log_area, diff_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(panes);
    render_log(f, log_area, app);
    render_diffs(f, diff_area, app);
    panes.height.saturating_sub(2) as usize
}

fn pane_block(app: &App, title: String, focused: bool) -> Block<'static> {
    let t = &app.settings.theme;
    let b = Block::default().borders(Borders::ALL).title(title);
    if focused {
        b.border_style(Style::default().fg(t.accent))
    } else {
        b
    }
}

/// A line cut into rows of at most `width` columns.
fn wrap_rows(s: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut rows = vec![String::new()];
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width.max(1) && w > 0 {
            rows.push(String::new());
            w = 0;
        }
        if let Some(r) = rows.last_mut() {
            r.push(c);
        }
        w += cw;
    }
    rows
}

fn render_log(f: &mut Frame, area: Rect, app: &App) {
    let st = &app.migrate;
    let h = area.height.saturating_sub(2) as usize;
    let w = area.width.saturating_sub(2) as usize;
    let n = st.log.len();
    let end = n.saturating_sub(st.log_scroll.min(n.saturating_sub(1)));
    // The last lines up to `end`, wrapped, as many as fit.
    let mut rows: Vec<String> = Vec::new();
    for line in st.log.range(..end).rev() {
        if rows.len() >= h {
            break;
        }
        let mut r = wrap_rows(line, w);
        r.append(&mut rows);
        rows = r;
    }
    let skip = rows.len().saturating_sub(h);
    let lines: Vec<Line> = rows.into_iter().skip(skip).map(Line::raw).collect();
    let title = if end < n {
        format!(" Log ({} more below) ", n - end)
    } else {
        " Log ".to_string()
    };
    f.render_widget(
        Paragraph::new(lines).block(pane_block(app, title, st.focus == Pane::Log)),
        area,
    );
}

fn diff_lines(d: &ItemDiff, t: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        d.key.clone(),
        Style::default().add_modifier(Modifier::BOLD),
    )];
    let red = Style::default().fg(t.error);
    let green = Style::default().fg(t.string);
    for (name, before, after) in &d.changes {
        out.push(match (before, after) {
            (Some(b), Some(a)) => Line::from(vec![
                Span::raw(format!("  ~ {name}: ")),
                Span::styled(b.clone(), red),
                Span::raw(" -> "),
                Span::styled(a.clone(), green),
            ]),
            (None, Some(a)) => Line::from(vec![
                Span::styled(format!("  + {name}: "), green),
                Span::styled(a.clone(), green),
            ]),
            (Some(b), None) => Line::from(vec![
                Span::styled(format!("  - {name}: "), red),
                Span::styled(b.clone(), red),
            ]),
            (None, None) => Line::raw(format!("  {name}")),
        });
    }
    out
}

fn render_diffs(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let st = &app.migrate;
    let mut lines: Vec<Line> = st.diffs.iter().flat_map(|d| diff_lines(d, t)).collect();
    let n = st.diffs.len();
    let title = if n >= DIFF_LIMIT {
        format!(" Diff preview (the first {n} items) ")
    } else if n > 0 {
        format!(" Diff preview ({n} items) ")
    } else {
        " Diff preview ".to_string()
    };
    if lines.is_empty() {
        let command = st
            .run
            .as_ref()
            .map(|r| r.kind)
            .or(st.outcome.as_ref().map(|o| o.kind))
            == Some(COMMAND);
        let text = if command {
            "a command script's changes are not previewed"
        } else if st.run.is_some() {
            "no item changed yet"
        } else {
            "no item changed"
        };
        lines.push(Line::styled(text, Style::default().fg(t.muted)));
    }
    let scroll = st.diff_scroll.min(lines.len().saturating_sub(1)) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(pane_block(app, title, st.focus == Pane::Diffs)),
        area,
    );
}

fn render_confirm(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let Some(c) = &app.migrate.confirm else {
        return;
    };
    let m = app.migrate.migrations().iter().find(|m| m.id == c.id);
    let mut lines = vec![Line::raw(match c.direction {
        Direction::Up => format!("Run {} on `{}`?", c.id, c.table),
        Direction::Down => format!("Revert {} on `{}` with its [down] part?", c.id, c.table),
    })];
    lines.extend(estimate_line(&c.estimate, t));
    if let Some(p) = m.and_then(|m| m.plan(c.direction)) {
        lines.push(Line::styled(plan_text(p), Style::default().fg(t.muted)));
    }
    for n in &c.notes {
        lines.push(Line::styled(n.clone(), Style::default().fg(t.warning)));
    }
    if let Some(w) = &c.warning {
        lines.push(Line::styled(
            w.clone(),
            Style::default().fg(t.error).add_modifier(Modifier::BOLD),
        ));
    }
    lines.push(Line::styled(
        "Each item is written only if it is still as read; d runs a dry run instead.",
        Style::default().fg(t.muted),
    ));
    confirm_lines(
        &c.answer,
        t,
        ConfirmText::table_name(&c.answer, t),
        &mut lines,
    );
    // Rows once wrapped, plus borders and a blank line at the end.
    let inner = 84u16.min(area.width).saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let r = centered(area, 84, rows as u16 + 3);
    let title = match c.direction {
        Direction::Up => "Run migration",
        Direction::Down => "Revert migration",
    };
    let block = popup(f, r, title, app);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}

/// The actions hinted in the status bar.
pub fn hinted(app: &App) -> &'static [Action] {
    use Action::*;
    if app.migrate.run.is_some() {
        &[Stop, PageUp, TogglePane, Help]
    } else if app.migrate.migrations().is_empty() {
        // Nothing to run: empty, bad files, or still reading.
        &[Refresh, Back, Help]
    } else {
        &[
            DryRun,
            RunMigration,
            Revert,
            TogglePane,
            Refresh,
            Back,
            Help,
        ]
    }
}

/// The status bar of this view: its key hints, or what the common status
/// bar shows (a message, an input, help).
pub fn render_status(f: &mut Frame, area: Rect, app: &App) {
    if app.flash.is_some() || app.input.is_some() || app.help.is_some() || app.fatal.is_some() {
        super::status::render(f, area, app);
        return;
    }
    let t = &app.settings.theme;
    let mut spans = Vec::new();
    for (key, word) in app.settings.keymap.hints(Mode::Migrate, hinted(app)) {
        spans.push(Span::styled(format!(" {key}"), Style::default().fg(t.key)));
        spans.push(Span::styled(
            format!(" {word} "),
            Style::default().fg(t.muted),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
