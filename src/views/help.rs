//! Help, generated from the keymap: it cannot drift from the bindings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{centered, popup};
use crate::app::tui::keymap::Mode;
use crate::app::tui::state::App;

/// Help lines for every mode: the screen's it was opened on first, then
/// the keys that work everywhere, then the other screens'.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.settings.theme;
    let mut out = Vec::new();
    let first = app.help_for;
    let order = std::iter::once(first)
        .chain((first != Mode::Global).then_some(Mode::Global))
        .chain(
            Mode::ALL
                .into_iter()
                .filter(|m| *m != first && *m != Mode::Global),
        );
    for mode in order {
        let bindings = app.settings.keymap.bindings(mode);
        if bindings.is_empty() {
            continue;
        }
        out.push(Line::styled(
            mode.title().to_string(),
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        ));
        for (action, keys) in bindings {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            out.push(Line::from(vec![
                Span::styled(
                    format!("  {:<22}", keys.join(" ")),
                    Style::default().fg(t.key),
                ),
                Span::raw(action.describe()),
            ]));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled(
        "Text inputs: type to edit, backspace, ctrl-u clears, enter applies, esc cancels.",
        Style::default().fg(t.muted),
    ));
    out.push(Line::styled(
        "Query form: tab/↑↓ move between fields, ←/→/space change index, operator and order.",
        Style::default().fg(t.muted),
    ));
    out
}

pub fn render(f: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let r = centered(area, 78, area.height.saturating_sub(2));
    let lines = lines(app);
    let max = (lines.len() as u16).saturating_sub(r.height.saturating_sub(2));
    let title = if scroll.min(max) < max {
        "Help — j/↓ scrolls, esc closes"
    } else {
        "Help — esc closes"
    };
    let block = popup(f, r, title, app);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .scroll((scroll.min(max), 0)),
        r,
    );
}
