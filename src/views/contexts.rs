//! Contexts (`:ctx`): the AWS profiles with their region and how they sign
//! in; the current one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, ListItem, Paragraph, Wrap};

use super::SPINNER;
use super::widgets::SelectList;
use crate::app::tui::state::App;

/// Draws the contexts list; returns the rows of profiles it has room for.
pub fn render(f: &mut Frame, area: Rect, app: &App) -> Option<usize> {
    let t = &app.settings.theme;
    let filter = &app.contexts.nav.filter;
    let title = if filter.is_empty() {
        " Contexts (AWS profiles) ".to_string()
    } else {
        format!(" Contexts /{filter} ")
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let visible = app.contexts.visible();
    if visible.is_empty() {
        let msg = if app.contexts.profiles.is_empty() {
            "No profiles in ~/.aws/config or ~/.aws/credentials. Add one with `aws configure` or `aws configure sso`."
                .to_string()
        } else {
            format!("No profile matches `{filter}`.")
        };
        f.render_widget(
            Paragraph::new(msg).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return None;
    }
    let width = visible
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let connecting = app.contexts.connecting_to();
    let items: Vec<ListItem> = visible
        .iter()
        .map(|p| {
            let current = app.ctx.profile.as_deref() == Some(p.name.as_str());
            let sign = if connecting == Some(p.name.as_str()) {
                SPINNER[app.spinner % SPINNER.len()].to_string()
            } else if current {
                "●".to_string()
            } else {
                " ".to_string()
            };
            let how = if p.sso {
                "sso"
            } else if p.static_keys {
                "keys"
            } else {
                ""
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{sign} "), Style::default().fg(t.accent)),
                Span::styled(
                    format!("{:<width$}  ", p.name),
                    if current {
                        Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
                    } else {
                        Style::default()
                    },
                ),
                Span::styled(
                    format!("{:<16}", p.region.as_deref().unwrap_or("-")),
                    Style::default().fg(t.muted),
                ),
                Span::styled(how.to_string(), Style::default().fg(t.muted)),
            ]))
        })
        .collect();
    Some(SelectList::new(items, block, t).render(f, area, Some(&app.contexts.nav.cursor)))
}
