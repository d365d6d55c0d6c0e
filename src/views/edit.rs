//! Editing dialogs: the diff to confirm, the conflict screen, bulk
//! confirmation and its outcome, an unparsable edit, and the progress of a
//! write in flight.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{ConfirmText, confirm_lines, estimate_line};
use super::{SPINNER, centered, popup};
use crate::app::config::Theme;
use crate::app::tui::screens::edit::{BULK_PREVIEW, Modal, diff_lines};
use crate::app::tui::state::App;
use crate::app::tui::widgets::Confirm;
use crate::dynamo::edit::{Change, ChangeKind};
use crate::dynamo::write::key_text;

fn diff_spans(change: &Change, t: &Theme, out: &mut Vec<Line<'static>>) {
    for (sign, text) in diff_lines(change) {
        let colour = match sign {
            '+' => t.string,
            '-' => t.error,
            _ => t.warning,
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {sign} "), Style::default().fg(colour)),
            Span::raw(text),
        ]));
    }
}

/// The name of a protected table typed to confirm a write, and the last
/// refusal.
fn confirm_answer(c: &Confirm, table: &str, t: &Theme, out: &mut Vec<Line<'static>>) {
    let text = ConfirmText {
        heading: Line::styled(
            format!("Protected table: type `{table}` to confirm"),
            Style::default().fg(t.error).add_modifier(Modifier::BOLD),
        ),
        prompt: "> ",
        keys: None,
        yes_no: None,
        refusal: true,
    };
    confirm_lines(c, t, text, out);
}

/// Draws the dialog in front, or the write in flight.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.settings.theme;
    if app.edit.busy() && app.edit.modal.is_none() {
        let what = &app.edit.what;
        let r = centered(area, 70, 4);
        let block = popup(f, r, "Writing", app);
        let mut text = format!("{} {what}", SPINNER[app.spinner % SPINNER.len()]);
        if app.edit.total > 1 {
            let done = app.edit.progress.load(std::sync::atomic::Ordering::Relaxed);
            text.push_str(&format!("  {done}/{}", app.edit.total));
        }
        f.render_widget(Paragraph::new(text).block(block), r);
        return;
    }
    let Some(modal) = &app.edit.modal else { return };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let (title, hint, width) = match modal {
        Modal::Invalid { error, .. } => {
            lines.push(Line::styled(
                "What was saved is not a valid item; nothing was written.",
                Style::default().fg(t.warning),
            ));
            lines.push(Line::raw(""));
            lines.push(Line::styled(error.clone(), Style::default().fg(t.error)));
            (
                "Cannot read the edit".to_string(),
                "e edit again (your text is kept) · esc drop it",
                80,
            )
        }
        Modal::Review(r) => {
            let kind = r.change.kind(&r.info);
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", kind.verb()),
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(r.change.key(&r.info), Style::default().fg(t.key)),
                Span::styled(
                    format!("  in {}", r.info.name),
                    Style::default().fg(t.muted),
                ),
            ]));
            if kind == ChangeKind::Move {
                lines.push(Line::styled(
                    "The key changes: the new item is put and the old one deleted in one transaction.",
                    Style::default().fg(t.warning),
                ));
            }
            lines.push(Line::raw(""));
            diff_spans(&r.change, t, &mut lines);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Written only if the item is still as it was read.",
                Style::default().fg(t.muted),
            ));
            let needs_name = r.confirm.name.is_some();
            confirm_answer(&r.confirm, &r.info.name, t, &mut lines);
            let hint = if needs_name {
                "enter write · esc cancel"
            } else if r.change.after.is_some() {
                "y/enter write · e edit again · esc cancel"
            } else {
                "y/enter write · esc cancel"
            };
            (format!("Confirm: {}", kind.verb()), hint, 90)
        }
        Modal::Conflict {
            info,
            mine,
            current,
            ..
        } => {
            lines.push(Line::styled(
                format!(
                    "{} changed since it was read. Nothing was overwritten.",
                    mine.key(info)
                ),
                Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
            ));
            lines.push(Line::raw(""));
            match current {
                Some(now) => {
                    lines.push(Line::styled(
                        "Changed meanwhile (as read -> as it is now):",
                        Style::default().fg(t.accent),
                    ));
                    diff_spans(
                        &Change {
                            before: mine.before.clone(),
                            after: Some(now.clone()),
                        },
                        t,
                        &mut lines,
                    );
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        "Your change (as read -> yours):",
                        Style::default().fg(t.accent),
                    ));
                    diff_spans(mine, t, &mut lines);
                }
                None => {
                    lines.push(Line::styled(
                        "It was deleted meanwhile.",
                        Style::default().fg(t.error),
                    ));
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        "Your change (as read -> yours):",
                        Style::default().fg(t.accent),
                    ));
                    diff_spans(mine, t, &mut lines);
                }
            }
            let hint = if current.is_some() {
                "r re-apply your change onto the current item (shows the diff) · esc drop yours"
            } else {
                "esc drop your change"
            };
            ("Conflict".to_string(), hint, 96)
        }
        Modal::Bulk {
            info,
            kind,
            changes,
            estimate,
            confirm,
        } => {
            let needs_name = confirm.name.is_some();
            lines.push(Line::styled(
                format!("{} in {}", kind.describe(changes.len()), info.name),
                Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
            ));
            lines.extend(estimate_line(estimate, t));
            lines.push(Line::raw(""));
            for c in changes.iter().take(BULK_PREVIEW) {
                let key = c
                    .before
                    .as_ref()
                    .map(|b| key_text(info, b))
                    .unwrap_or_default();
                lines.push(Line::styled(format!("  {key}"), Style::default().fg(t.key)));
            }
            if changes.len() > BULK_PREVIEW {
                lines.push(Line::styled(
                    format!("  … and {} more", changes.len() - BULK_PREVIEW),
                    Style::default().fg(t.muted),
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Each write is conditional: items changed since they were read are skipped and reported.",
                Style::default().fg(t.muted),
            ));
            confirm_answer(confirm, &info.name, t, &mut lines);
            let hint = if needs_name {
                "enter write · esc cancel"
            } else {
                "y/enter write · esc cancel"
            };
            (
                format!("Confirm: {}", kind.describe(changes.len())),
                hint,
                90,
            )
        }
        Modal::BulkDone(o) => {
            lines.push(Line::styled(
                format!(
                    "{}: {} written, {} changed meanwhile (skipped), {} failed",
                    o.kind
                        .describe(o.written + o.conflicts.len() + o.errors.len()),
                    o.written,
                    o.conflicts.len(),
                    o.errors.len()
                ),
                Style::default().add_modifier(Modifier::BOLD),
            ));
            if !o.consumed.is_empty() {
                lines.push(Line::styled(
                    o.consumed.clone(),
                    Style::default().fg(t.muted),
                ));
            }
            if !o.conflicts.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    "Changed since they were read (not overwritten; the view shows them as they are now):",
                    Style::default().fg(t.warning),
                ));
                for k in o.conflicts.iter().take(BULK_PREVIEW) {
                    lines.push(Line::raw(format!("  {k}")));
                }
            }
            if !o.errors.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::styled("Failed:", Style::default().fg(t.error)));
                for (k, e) in o.errors.iter().take(BULK_PREVIEW) {
                    lines.push(Line::raw(format!("  {k}: {e}")));
                }
            }
            ("Done".to_string(), "enter/esc close", 90)
        }
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled(hint.to_string(), Style::default().fg(t.muted)));
    let inner_w = width.min(area.width).saturating_sub(2).max(1) as usize;
    let h: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let r = centered(area, width, h as u16 + 2);
    let block = popup(f, r, &title, app);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}
