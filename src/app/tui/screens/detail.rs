//! The detail view: one item, its decoded entity and key fields, then the
//! item as pretty JSON (plain, or DynamoDB JSON). The cursor moves over
//! top-level attributes; page keys scroll the lines by the height shown.
//! Editing is the edit screen's (`screens::edit`), reached from here.

use crate::app::tui::cx::{Core, Cx, Level, Screen};
use crate::app::tui::keymap::Action;
use crate::app::tui::screens::items::{Row, get_item_command, json_compact, json_pretty};
use crate::dynamo::client::TableInfo;
use crate::dynamo::value;

/// The detail view has no effects of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailEffect {}

pub type DetailCx<'a> = Cx<'a, DetailEffect>;

#[derive(Debug, Clone)]
pub struct DetailState {
    pub row: Row,
    /// The row of the items view it was opened from (index into `rows`).
    pub row_index: Option<usize>,
    pub table: String,
    pub info: Option<TableInfo>,
    pub entity: Option<String>,
    pub key_fields: Vec<crate::dynamo::keyshape::KeyField>,
    pub show_types: bool,
    pub raw_keys: bool,
    /// First line shown, as the last frame showed it (see
    /// [`DetailState::shown_from`]).
    pub scroll: usize,
    /// The selected top-level attribute (in the order shown).
    pub attr: usize,
    /// True after the cursor moved: the next frame scrolls to it.
    pub follow: bool,
    /// Where `esc` returns (None: the items view it was opened from).
    pub back_to: Option<Screen>,
}

impl DetailState {
    /// Top-level attribute names in the order shown: keys first, then sorted.
    pub fn attr_names(&self) -> Vec<String> {
        let keys = self
            .info
            .as_ref()
            .map(TableInfo::key_names)
            .unwrap_or_default();
        value::ordered_names(&self.row.item, &keys)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The name of the selected attribute.
    pub fn selected_attr(&self) -> Option<String> {
        let names = self.attr_names();
        names
            .get(self.attr.min(names.len().saturating_sub(1)))
            .cloned()
    }

    /// The first line to show: the stored scroll, moved (after the cursor
    /// moved) so that the selected attribute, which spans lines `at..end`,
    /// is on screen, and kept within the `total` lines.
    pub fn first_line(&self, at: Option<(usize, usize)>, total: usize, visible: usize) -> usize {
        let mut scroll = self.scroll;
        if self.follow
            && let Some((at, end)) = at
        {
            if at < scroll {
                scroll = at;
            } else if visible > 0 && end > scroll + visible {
                scroll = end.saturating_sub(visible).min(at);
            }
        }
        scroll.min(total.saturating_sub(visible))
    }

    /// The frame showed the lines from `first`: later page keys start there.
    pub fn shown_from(&mut self, first: usize) {
        self.scroll = first;
        self.follow = false;
    }

    pub fn on_action(&mut self, cx: &mut DetailCx, action: Action) {
        let last = self.row.item.len().saturating_sub(1);
        let page = cx.page_rows();
        let move_to = |d: &mut DetailState, to: usize| {
            d.attr = to.min(last);
            d.follow = true;
        };
        match action {
            Action::Down => move_to(self, self.attr + 1),
            Action::Up => move_to(self, self.attr.saturating_sub(1)),
            // Pages scroll the lines (a long attribute reads to its end).
            Action::PageDown => {
                self.follow = false;
                self.scroll = self.scroll.saturating_add(page);
            }
            Action::PageUp => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(page);
            }
            Action::Top => move_to(self, 0),
            Action::Bottom => move_to(self, last),
            Action::ToggleTypes => self.show_types = !self.show_types,
            Action::ToggleRawKeys => self.raw_keys = !self.raw_keys,
            Action::Back => {
                cx.core(Core::CloseDetail);
                cx.core(Core::Go(self.back_to.unwrap_or(Screen::Items)));
            }
            Action::CopyJson => {
                let text = json_pretty(&value::item_to_plain(&self.row.item));
                cx.copy(text, "item as JSON");
            }
            Action::CopyDynamoJson => {
                let text = json_pretty(&value::item_to_dynamo(&self.row.item));
                cx.copy(text, "item as DynamoDB JSON");
            }
            Action::CopyKey => match self.info.as_ref().and_then(|i| i.key_of(&self.row.item)) {
                Some(key) => {
                    let text = json_compact(&value::item_to_dynamo(&key));
                    cx.copy(text, "key");
                }
                None => cx.flash(Level::Warn, "this item has no complete primary key"),
            },
            Action::CopyCli => match self.info.as_ref().and_then(|i| i.key_of(&self.row.item)) {
                Some(key) => match get_item_command(&self.table, &key, cx.conn) {
                    Ok(text) => cx.copy(text, "aws dynamodb get-item command"),
                    Err(e) => cx.flash(Level::Error, format!("copy failed: {e}")),
                },
                None => cx.flash(Level::Warn, "this item has no complete primary key"),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tui::cx::testing::Parts;
    use crate::dynamo::entity::{Classified, TypeSource};
    use crate::dynamo::{AttributeValue, Item};

    fn detail(attrs: usize) -> DetailState {
        let item: Item = (0..attrs)
            .map(|i| (format!("a{i:02}"), AttributeValue::S("x".into())))
            .collect();
        DetailState {
            row: Row {
                item,
                class: Classified {
                    entity: None,
                    source: TypeSource::Unknown,
                },
            },
            row_index: None,
            table: "shop".into(),
            info: None,
            entity: None,
            key_fields: Vec::new(),
            show_types: false,
            raw_keys: false,
            scroll: 0,
            attr: 0,
            follow: false,
            back_to: None,
        }
    }

    #[test]
    fn moving_follows_the_cursor_and_pages_scroll_by_the_height_shown() {
        let mut parts = Parts::new();
        parts.viewport.rows = 7;
        let mut d = detail(40);
        let mut cx = parts.cx();
        d.on_action(&mut cx, Action::Bottom);
        assert_eq!(d.attr, 39);
        assert!(d.follow, "the next frame scrolls to the cursor");
        // Attribute 39 on lines 44..45 of 46, 7 shown: the frame starts at 38.
        let first = d.first_line(Some((44, 45)), 46, 7);
        assert_eq!(first, 38);
        d.shown_from(first);
        assert!(!d.follow);
        let mut cx = parts.cx();
        d.on_action(&mut cx, Action::PageUp);
        assert_eq!(d.scroll, 31, "one page is the 7 lines shown");
        assert_eq!(
            d.first_line(Some((44, 45)), 46, 7),
            31,
            "no follow after a page key"
        );
    }

    #[test]
    fn esc_goes_back_to_the_items_and_copy_json_copies_the_item() {
        let mut parts = Parts::new();
        let mut d = detail(2);
        let mut cx = parts.cx();
        d.on_action(&mut cx, Action::CopyJson);
        assert!(
            matches!(&*cx.flash, Some((Level::Info, m)) if m.starts_with("copied item as JSON"))
        );
        let mut cx = parts.cx();
        d.on_action(&mut cx, Action::Back);
        assert!(matches!(
            cx.core.as_slice(),
            [Core::CloseDetail, Core::Go(Screen::Items)]
        ));
        let mut cx = parts.cx();
        d.on_action(&mut cx, Action::CopyKey);
        assert!(
            matches!(&*cx.flash, Some((Level::Warn, _))),
            "no key without a description"
        );
    }
}
