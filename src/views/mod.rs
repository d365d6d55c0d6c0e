//! Rendering. Views read [`App`] state and draw; they never call AWS.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::tui::cx::Viewport;
use crate::app::tui::state::{App, Screen};
use crate::dynamo::error::AwsError;

pub mod audit;
pub mod contexts;
pub mod detail;
pub mod edit;
pub mod export;
pub mod help;
pub mod input;
pub mod items;
pub mod live;
pub mod metrics;
pub mod migrate;
pub mod patterns;
pub mod seed;
pub mod status;
pub mod tables;
pub mod widgets;

pub const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// Draws the whole screen.
pub fn render(f: &mut Frame, app: &App) {
    draw(f, app);
}

/// Draws the whole screen and says what it showed: the rows visible in the
/// list in front (the event loop sends it to the application as
/// [`Msg::Viewport`](crate::app::tui::msg::Msg::Viewport)).
pub fn draw(f: &mut Frame, app: &App) -> Viewport {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    render_header(f, header, app);
    // Rows of the list in front: what list screens report, else the body
    // less its borders and header line.
    let mut shown = None;
    let mut scroll = 0;
    if let Some(e) = &app.fatal {
        render_error(f, body, app, "Cannot connect", e);
    } else {
        match app.screen {
            Screen::Tables => shown = tables::render(f, body, app),
            Screen::Items => shown = items::render(f, body, app),
            Screen::Detail => {
                if let Some((rows, first)) = detail::render(f, body, app) {
                    shown = Some(rows);
                    scroll = first;
                }
            }
            Screen::Patterns => patterns::render(f, body, app),
            Screen::Seed => shown = seed::render(f, body, app),
            Screen::Migrate => shown = migrate::render(f, body, app),
            Screen::Metrics => shown = metrics::render(f, body, app),
            Screen::Contexts => shown = contexts::render(f, body, app),
            Screen::Audit => shown = audit::render(f, body, app),
            Screen::Live => shown = live::render(f, body, app),
        }
    }
    if app.screen == Screen::Migrate {
        migrate::render_status(f, status, app);
    } else {
        status::render(f, status, app);
    }
    edit::render(f, body, app);
    export::render_confirm(f, body, app);
    if app.input.is_some() {
        input::render(f, body, app);
    }
    if let Some(scroll) = app.help {
        help::render(f, body, app, scroll);
    }
    if app.quit_confirm {
        render_quit_demo(f, body, app);
    }
    Viewport {
        rows: shown.unwrap_or(body.height.saturating_sub(3) as usize),
        scroll,
    }
}

fn render_header(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let mut spans = vec![Span::styled(
        " dyntui ",
        Style::default()
            .fg(ratatui::style::Color::Black)
            .bg(t.accent)
            .add_modifier(Modifier::BOLD),
    )];
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        app.ctx.describe(),
        Style::default().fg(t.muted),
    ));
    if let Some(p) = &app.project.name {
        spans.push(Span::styled(
            format!("  project {p}"),
            Style::default().fg(t.muted),
        ));
    }
    let title = match app.screen {
        Screen::Tables => None,
        Screen::Patterns => app.pattern_table(),
        Screen::Seed => app.seed.target.table.clone(),
        Screen::Metrics => app.metrics.table.clone(),
        Screen::Migrate => app.migrate.table.clone(),
        Screen::Items => app.items.as_ref().map(|i| i.table.clone()),
        Screen::Detail => app.detail.as_ref().map(|d| d.table.clone()),
        Screen::Live => app.live.table.clone(),
        Screen::Contexts | Screen::Audit => None,
    };
    if let Some(tname) = title {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!("table {tname}"),
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        ));
        if let Some((label, colour)) = protection_label(app, &tname) {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                format!(" {label} "),
                Style::default()
                    .fg(ratatui::style::Color::Black)
                    .bg(colour)
                    .add_modifier(Modifier::BOLD),
            ));
        }
    }
    if app.read_only {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::default()
                .fg(ratatui::style::Color::Black)
                .bg(t.warning)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(cmd) = &app.sso_expired {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!("session expired: run `{cmd}` (L copies it), then :reconnect"),
            Style::default().fg(t.error).add_modifier(Modifier::BOLD),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The label and colour of a protected table: `PROTECTED read-only`, or
/// `PROTECTED writes unlocked` once the user unlocked it.
pub fn protection_label(app: &App, table: &str) -> Option<(&'static str, ratatui::style::Color)> {
    app.protection_of(table)?;
    Some(if app.unlocked.contains(table) && !app.read_only {
        ("PROTECTED · writes unlocked", app.settings.theme.warning)
    } else {
        ("PROTECTED · read-only", app.settings.theme.error)
    })
}

/// The border style of a view of `table`: coloured when it is protected.
pub fn table_border(app: &App, table: &str) -> (Style, Option<String>) {
    match protection_label(app, table) {
        Some((label, colour)) => (Style::default().fg(colour), Some(format!(" {label} "))),
        None => (Style::default(), None),
    }
}

/// An error as a screen: code, message, hint.
pub fn render_error(f: &mut Frame, area: Rect, app: &App, title: &str, e: &AwsError) {
    let t = &app.settings.theme;
    let mut lines = vec![
        Line::from(Span::styled(
            e.code.clone(),
            Style::default().fg(t.error).add_modifier(Modifier::BOLD),
        )),
        Line::raw(""),
        Line::raw(e.message.clone()),
    ];
    for r in &e.throttling {
        lines.push(Line::raw(format!(
            "throttled: {} on {}",
            r.reason, r.resource
        )));
    }
    if let Some(h) = &e.hint {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled("hint: ", Style::default().fg(t.warning)),
            Span::raw(h.clone()),
        ]));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.error))
        .title(format!(" {title} "));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// "Quit the demo?": its DynamoDB Local runs in memory.
fn render_quit_demo(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    let r = centered(area, 72, 6);
    let block = popup(f, r, "Quit the demo?", app);
    let lines = vec![
        Line::raw("The demo's DynamoDB Local runs in memory: when it stops, its"),
        Line::raw("tables and items are gone."),
        Line::raw(""),
        Line::from(vec![
            Span::styled("y", Style::default().fg(t.key)),
            Span::raw(" quit and stop it  "),
            Span::styled("k", Style::default().fg(t.key)),
            Span::raw(" quit, keep it running  "),
            Span::styled("n", Style::default().fg(t.key)),
            Span::raw("/"),
            Span::styled("esc", Style::default().fg(t.key)),
            Span::raw(" stay"),
        ]),
    ];
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}

/// Clears and frames a popup.
pub fn popup<'a>(f: &mut Frame, area: Rect, title: &'a str, app: &App) -> Block<'a> {
    f.render_widget(Clear, area);
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(app.settings.theme.accent))
        .title(format!(" {title} "))
}

/// Human byte sizes: 1.2 MB.
pub fn human_bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", n as i64)
    } else {
        format!("{v:.1} {}", units[u])
    }
}
