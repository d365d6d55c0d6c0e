//! The state of the widgets screens share: a list cursor (every list moves
//! the same way), a filterable list (a cursor and the `/` filter text) and a
//! confirmation (y/n, or the table name typed for protected tables), and
//! one-line text editing. Their
//! drawing is in `crate::views::widgets`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::tui::keymap::Action;

/// Applies an editing key to a one-line text; true when the text changed.
pub fn edit_line(s: &mut String, k: &KeyEvent) -> bool {
    match k.code {
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
            s.push(c);
            true
        }
        KeyCode::Char('u') => {
            let changed = !s.is_empty();
            s.clear();
            changed
        }
        KeyCode::Backspace => s.pop().is_some(),
        _ => false,
    }
}

/// The selected row of a list and the first row shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    /// First row shown; kept by [`ListCursor::follow`] so that the selected
    /// row stays on screen and scrolling is stable.
    pub offset: usize,
}

impl ListCursor {
    /// Moves for a movement action over `len` rows, `page` rows a page;
    /// false (and nothing changes) for other actions.
    pub fn on_action(&mut self, action: Action, len: usize, page: usize) -> bool {
        let last = len.saturating_sub(1);
        let page = page.max(1);
        self.selected = match action {
            Action::Down => (self.selected + 1).min(last),
            Action::Up => self.selected.saturating_sub(1),
            Action::PageDown => (self.selected + page).min(last),
            Action::PageUp => self.selected.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        };
        self.follow(page);
        true
    }

    /// Keeps the selection inside `len` rows.
    pub fn clamp(&mut self, len: usize) {
        if self.selected >= len {
            self.selected = len.saturating_sub(1);
        }
        if self.offset > self.selected {
            self.offset = self.selected;
        }
    }

    /// Back to the first row.
    pub fn reset(&mut self) {
        *self = ListCursor::default();
    }

    /// Scrolls so that the selected row is one of `rows` rows shown.
    pub fn follow(&mut self, rows: usize) {
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if rows > 0 && self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
    }

    /// The first row to show in `rows` rows (the selection always visible,
    /// also before [`ListCursor::follow`] saw the real height).
    pub fn first_shown(&self, rows: usize) -> usize {
        let mut c = *self;
        c.follow(rows);
        c.offset
    }
}

/// How a key changed a filter being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// Still typing (`changed`: the text changed).
    Typing { changed: bool },
    /// `enter`: the filter stays.
    Done,
    /// `esc`: the filter is cleared.
    Cleared,
}

/// A list with a `/` filter (tables, patterns, contexts, audit entries,
/// seed sets, migrations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterList {
    pub filter: String,
    pub cursor: ListCursor,
}

impl FilterList {
    /// True when any of `texts` contains the filter (case-insensitive).
    pub fn matches<'s>(&self, texts: impl IntoIterator<Item = &'s str>) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let f = self.filter.to_lowercase();
        texts.into_iter().any(|t| t.to_lowercase().contains(&f))
    }

    /// Indices of the rows that match, each row given by its texts.
    pub fn visible<'s, R, I>(&self, rows: impl IntoIterator<Item = R>) -> Vec<usize>
    where
        R: IntoIterator<Item = &'s str, IntoIter = I>,
        I: Iterator<Item = &'s str>,
    {
        rows.into_iter()
            .enumerate()
            .filter_map(|(i, texts)| self.matches(texts).then_some(i))
            .collect()
    }

    /// A key typed into the filter; the cursor goes back to the top when
    /// the text changes.
    pub fn on_filter_key(&mut self, k: &KeyEvent) -> FilterKey {
        match k.code {
            KeyCode::Enter => FilterKey::Done,
            KeyCode::Esc => {
                self.clear();
                FilterKey::Cleared
            }
            _ => {
                let changed = edit_line(&mut self.filter, k);
                if changed {
                    self.cursor.reset();
                }
                FilterKey::Typing { changed }
            }
        }
    }

    /// Clears the filter (true when there was one).
    pub fn clear(&mut self) -> bool {
        let had = !self.filter.is_empty();
        self.filter.clear();
        self.cursor.reset();
        had
    }
}

/// What a key did to a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Still open.
    Pending,
    /// `enter` or `y` (with the table name typed when one is asked for).
    Yes,
    /// `esc` or `n`.
    No,
    /// `enter` without the right table name typed: the message to show.
    Refused(String),
}

/// A yes/no question, or for a protected table one answered by typing the
/// table's name (seeding, migrations, deletes, unlocking writes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confirm {
    /// The name to type (None: `y`/`enter` confirms).
    pub name: Option<String>,
    /// Why the name is asked for (e.g. "protected by rule `prod*`").
    pub why: Option<String>,
    /// What was typed so far.
    pub typed: String,
    /// The last refusal (shown in the dialog).
    pub error: Option<String>,
}

impl Confirm {
    /// A y/n confirmation.
    pub fn yes_no() -> Confirm {
        Confirm::default()
    }

    /// A confirmation by typing `name`, `why` it is asked.
    pub fn typed(name: impl Into<String>, why: impl Into<String>) -> Confirm {
        Confirm {
            name: Some(name.into()),
            why: Some(why.into()),
            ..Confirm::default()
        }
    }

    /// A confirmation by typing the table `name` (no reason given).
    pub fn typed_name(name: impl Into<String>) -> Confirm {
        Confirm {
            name: Some(name.into()),
            ..Confirm::default()
        }
    }

    /// Applies a key.
    pub fn on_key(&mut self, k: &KeyEvent) -> Answer {
        match (&self.name, k.code) {
            (_, KeyCode::Esc) => Answer::No,
            (None, KeyCode::Enter | KeyCode::Char('y')) => Answer::Yes,
            (None, KeyCode::Char('n')) => Answer::No,
            (None, _) => Answer::Pending,
            (Some(name), KeyCode::Enter) => {
                if &self.typed == name {
                    Answer::Yes
                } else {
                    let e = match &self.why {
                        Some(why) => format!("{why}: type the table name to confirm"),
                        None => format!("type `{name}` to confirm"),
                    };
                    self.error = Some(e.clone());
                    Answer::Refused(e)
                }
            }
            (Some(_), _) => {
                self.error = None;
                edit_line(&mut self.typed, k);
                Answer::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn the_cursor_moves_by_the_real_page_and_keeps_the_selection_in_view() {
        let mut c = ListCursor::default();
        assert!(c.on_action(Action::PageDown, 100, 7));
        assert_eq!(c.selected, 7);
        assert_eq!(c.offset, 1, "row 7 is the last of 7 rows shown");
        c.on_action(Action::Bottom, 100, 7);
        assert_eq!((c.selected, c.offset), (99, 93));
        c.on_action(Action::Top, 100, 7);
        assert_eq!((c.selected, c.offset), (0, 0));
        assert!(!c.on_action(Action::Open, 100, 7));
        c.on_action(Action::Down, 0, 7);
        assert_eq!(c.selected, 0, "an empty list stays at 0");
    }

    #[test]
    fn a_filter_resets_the_cursor_and_esc_clears_it() {
        let mut l = FilterList::default();
        l.cursor.selected = 4;
        assert_eq!(
            l.on_filter_key(&key(KeyCode::Char('o'))),
            FilterKey::Typing { changed: true }
        );
        assert_eq!(l.cursor.selected, 0);
        assert_eq!(l.visible([["Orders"], ["users"]]), vec![0]);
        assert_eq!(l.on_filter_key(&key(KeyCode::Esc)), FilterKey::Cleared);
        assert_eq!(l.filter, "");
    }

    #[test]
    fn a_protected_table_is_confirmed_only_by_its_name() {
        let mut c = Confirm::typed("prod-orders", "protected by rule `prod*`");
        assert_eq!(c.on_key(&key(KeyCode::Char('y'))), Answer::Pending);
        assert!(matches!(c.on_key(&key(KeyCode::Enter)), Answer::Refused(_)));
        c.typed.clear();
        for ch in "prod-orders".chars() {
            c.on_key(&key(KeyCode::Char(ch)));
        }
        assert_eq!(c.on_key(&key(KeyCode::Enter)), Answer::Yes);
        let mut yn = Confirm::yes_no();
        assert_eq!(yn.on_key(&key(KeyCode::Char('y'))), Answer::Yes);
        assert_eq!(yn.on_key(&key(KeyCode::Char('n'))), Answer::No);
        assert_eq!(yn.on_key(&key(KeyCode::Esc)), Answer::No);
    }
}
