//! The status bar: a message, or the key hints of the view in front.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::tui::keymap::Action;
use crate::app::tui::state::{App, Input, Level};

/// The actions hinted in each view, in order.
pub fn hinted(app: &App) -> &'static [Action] {
    use Action::*;
    if app.help.is_some() {
        return &[Back, Down, Quit];
    }
    if app.fatal.is_some() {
        return &[Quit, Help];
    }
    match app.mode() {
        crate::app::tui::keymap::Mode::Tables => &[
            Open, Filter, Refresh, Patterns, Seed, Metrics, Live, Palette, Help, Quit,
        ],
        crate::app::tui::keymap::Mode::Patterns => &[Open, Filter, Back, Help],
        crate::app::tui::keymap::Mode::Metrics => &[
            CursorLeft,
            NextRange,
            Focus,
            Open,
            Refresh,
            EnableInsights,
            SaveSnapshot,
            Back,
            Help,
        ],
        crate::app::tui::keymap::Mode::Seed if app.seed.run.is_some() => &[Stop],
        crate::app::tui::keymap::Mode::Seed => &[Open, Reset, Back, Help],
        crate::app::tui::keymap::Mode::Items
            if app.items.as_ref().is_some_and(|i| !i.marks.is_empty()) =>
        {
            &[Mark, Delete, BulkSet, ClearMarks, Back, Help]
        }
        // The screen's keys first, the routes to other screens (hot keys
        // are one `m` away) before the rarer ones; what does not fit is
        // dropped, `?` kept.
        crate::app::tui::keymap::Mode::Items => &[
            Open,
            Back,
            Query,
            Scan,
            Filter,
            NextType,
            Metrics,
            Patterns,
            Migrations,
            HistoryBack,
            Live,
            ServerFilter,
            Edit,
            Delete,
            Mark,
            Palette,
            Help,
        ],
        crate::app::tui::keymap::Mode::Detail => &[
            QuickEdit,
            Edit,
            Delete,
            CopyJson,
            CopyDynamoJson,
            CopyKey,
            CopyCli,
            ToggleTypes,
            Back,
            Help,
        ],
        crate::app::tui::keymap::Mode::Contexts => &[Open, Filter, Back, Help],
        crate::app::tui::keymap::Mode::Audit => &[Open, Filter, Refresh, Back, Help],
        crate::app::tui::keymap::Mode::Live
            if app.live.phase == crate::app::tui::screens::live::Phase::NoStream =>
        {
            &[EnableStream, Back, Help]
        }
        crate::app::tui::keymap::Mode::Live => &[
            Pause, Open, Filter, NextType, NextEvent, Focus, FromOldest, CopyJson, Back, Help,
        ],
        _ => &[Back],
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    if let Some((level, msg)) = &app.flash {
        let colour = match level {
            Level::Info => t.accent,
            Level::Warn => t.warning,
            Level::Error => t.error,
        };
        f.render_widget(
            Paragraph::new(Line::styled(format!(" {msg}"), Style::default().fg(colour))),
            area,
        );
        return;
    }
    if let Some(n) = &app.export.native
        && app.input.is_none()
    {
        f.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    " {} {}",
                    super::SPINNER[app.spinner % super::SPINNER.len()],
                    n.line()
                ),
                Style::default().fg(t.accent),
            )),
            area,
        );
        return;
    }
    if let Some(e) = &app.export.run
        && app.input.is_none()
    {
        let n = e.progress.items.load(std::sync::atomic::Ordering::Relaxed);
        f.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    " {} exporting to {}: {n} items, scanned {}",
                    super::SPINNER[app.spinner % super::SPINNER.len()],
                    e.path.display(),
                    e.progress
                        .scanned
                        .load(std::sync::atomic::Ordering::Relaxed)
                ),
                Style::default().fg(t.accent),
            )),
            area,
        );
        return;
    }
    let text = match &app.input {
        Some(Input::PatternForm(_)) => " tab next parameter · enter run · esc cancel".to_string(),
        Some(Input::TablesFilter) | Some(Input::TextFilter) | Some(Input::PatternsFilter) => {
            " type to filter · enter keep · esc clear".to_string()
        }
        Some(Input::ServerFilter { .. }) => {
            " e.g. status = SHIPPED and total > 100 · enter run · esc cancel".to_string()
        }
        Some(Input::Query(_)) => {
            " tab next field · ←/→ change · enter run · esc cancel".to_string()
        }
        Some(Input::Palette(_)) => " tab complete · ↑/↓ choose · enter run · esc close".to_string(),
        Some(Input::BulkSet { .. }) => {
            " e.g. status=ARCHIVED (a number stays a number) · enter review · esc cancel"
                .to_string()
        }
        Some(Input::QuickEdit { .. }) => " enter review the change · esc cancel".to_string(),
        Some(Input::Overwrite { .. }) => " y replace it · n/esc keep it".to_string(),
        Some(Input::ReadAll { .. }) => {
            " y read everything · n/esc keep the rows loaded".to_string()
        }
        Some(Input::Unlock { .. }) => {
            " type the table name · enter unlock · esc cancel".to_string()
        }
        Some(Input::LiveKeyFilter(_)) => {
            " e.g. c00001 or customerId=c00001 · enter keep · esc clear".to_string()
        }
        Some(Input::ContextsFilter) | Some(Input::AuditFilter) => {
            " type to filter · enter keep · esc clear".to_string()
        }
        None => String::new(),
    };
    if !text.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(text, Style::default().fg(t.muted))),
            area,
        );
        return;
    }
    let mode = app.mode();
    let hints: Vec<(String, &str)> = app
        .settings
        .keymap
        .hints(mode, hinted(app))
        .into_iter()
        .map(|(key, word)| match (mode, word) {
            // Enter starts seeding on the seed view.
            (crate::app::tui::keymap::Mode::Seed, "open") => (key, "seed"),
            _ => (key, word),
        })
        .collect();
    let mut spans = Vec::new();
    for (key, word) in fitting(&hints, area.width as usize) {
        spans.push(Span::styled(format!(" {key}"), Style::default().fg(t.key)));
        spans.push(Span::styled(
            format!(" {word} "),
            Style::default().fg(t.muted),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The hints that fit in `width` columns, in order; the help hint (else
/// the last one) is always kept, so `?` is never pushed off a narrow
/// terminal.
fn fitting<'h>(hints: &'h [(String, &'h str)], width: usize) -> Vec<&'h (String, &'h str)> {
    let w = |(k, word): &(String, &str)| k.chars().count() + word.chars().count() + 3;
    let Some(kept) = hints
        .iter()
        .position(|(_, word)| *word == "help")
        .or(hints.len().checked_sub(1))
    else {
        return Vec::new();
    };
    let mut used = w(&hints[kept]);
    let mut out = Vec::new();
    let mut full = false;
    for (i, h) in hints.iter().enumerate() {
        if i == kept {
            out.push(h);
        } else if !full && used + w(h) <= width {
            used += w(h);
            out.push(h);
        } else {
            full = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_hint_is_kept_when_the_others_do_not_fit() {
        let hints: Vec<(String, &str)> = vec![
            ("enter".into(), "open"),
            ("s".into(), "query"),
            ("m".into(), "metrics"),
            ("?".into(), "help"),
            ("q".into(), "quit"),
        ];
        let words = |w| -> Vec<&str> { fitting(&hints, w).iter().map(|h| h.1).collect() };
        assert_eq!(words(200), vec!["open", "query", "metrics", "help", "quit"]);
        assert_eq!(words(22), vec!["open", "help"], "in order, `?` kept");
        assert_eq!(words(3), vec!["help"]);
    }
}
