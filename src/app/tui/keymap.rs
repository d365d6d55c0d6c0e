//! The keymap is data: mode -> key -> action, loaded from `config/default.toml`
//! and the user's file. Help and the status bar are generated from it, so the
//! hints shown can never drift from the bindings.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// A mode of the keymap: one per view, plus bindings active everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Global,
    Tables,
    Items,
    Detail,
    Patterns,
    Seed,
    Migrate,
    Metrics,
    Contexts,
    Audit,
    Live,
    Help,
}

impl Mode {
    pub const ALL: [Mode; 12] = [
        Mode::Global,
        Mode::Tables,
        Mode::Items,
        Mode::Detail,
        Mode::Patterns,
        Mode::Seed,
        Mode::Migrate,
        Mode::Metrics,
        Mode::Contexts,
        Mode::Audit,
        Mode::Live,
        Mode::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere",
            Mode::Tables => "Tables",
            Mode::Items => "Items",
            Mode::Detail => "Item detail",
            Mode::Patterns => "Access patterns",
            Mode::Seed => "Seed data",
            Mode::Migrate => "Migrations",
            Mode::Metrics => "Metrics (on call)",
            Mode::Contexts => "Contexts (AWS profiles, :ctx)",
            Mode::Audit => "Audit log (:audit)",
            Mode::Live => "Live changes (the table's stream, :tail)",
            Mode::Help => "Help",
        }
    }
}

/// Everything a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Removes a default binding in a user file.
    None,
    Quit,
    Help,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Refresh,
    Filter,
    ServerFilter,
    Query,
    Scan,
    NextType,
    PrevType,
    ToggleIndexKeys,
    ToggleRawKeys,
    ToggleTypes,
    CopyJson,
    CopyDynamoJson,
    CopyKey,
    CopyCli,
    Patterns,
    CopyRequestCli,
    CopyRequestJson,
    Seed,
    Reset,
    Stop,
    Metrics,
    CursorLeft,
    CursorRight,
    NextRange,
    PrevRange,
    Focus,
    EnableInsights,
    SaveSnapshot,
    Migrations,
    DryRun,
    RunMigration,
    Revert,
    TogglePane,
    Palette,
    Edit,
    EditDynamo,
    NewItem,
    Delete,
    Mark,
    ClearMarks,
    BulkSet,
    QuickEdit,
    CopyLogin,
    /// The previous request on the table (its pages, cursor and filters).
    HistoryBack,
    /// The request gone back from.
    HistoryForward,
    /// The table's changes as they happen (its DynamoDB Stream).
    Live,
    /// Pause or resume the live changes.
    Pause,
    /// Show INSERT, MODIFY or REMOVE changes only, or all.
    NextEvent,
    /// Read the stream from its oldest record, or from now on.
    FromOldest,
    /// Enable a DynamoDB Stream on the table (asks first).
    EnableStream,
}

impl Action {
    /// One-line description used by help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::None => "unbound",
            Action::Quit => "quit",
            Action::Help => "show this help",
            Action::Back => "go back / close",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "go to top",
            Action::Bottom => "go to bottom (items: loads every page)",
            Action::Open => "open",
            Action::Refresh => "reload from DynamoDB",
            Action::Filter => "filter loaded rows by text",
            Action::ServerFilter => "server-side filter expression",
            Action::Query => "query by partition key (table or index)",
            Action::Scan => "scan (table or index)",
            Action::NextType => "show next entity type only",
            Action::PrevType => "show previous entity type only",
            Action::ToggleIndexKeys => "show/hide index key attributes",
            Action::ToggleRawKeys => "raw keys / decoded key fields",
            Action::ToggleTypes => "show DynamoDB types",
            Action::CopyJson => "copy item as JSON",
            Action::CopyDynamoJson => "copy item as DynamoDB JSON",
            Action::CopyKey => "copy the key (DynamoDB JSON)",
            Action::CopyCli => "copy an `aws dynamodb get-item` command",
            Action::Patterns => "saved access patterns",
            Action::CopyRequestCli => "copy the request as an `aws dynamodb query/scan` command",
            Action::CopyRequestJson => "copy the request as JSON",
            Action::Seed => "seed data into the table",
            Action::Reset => "remove exactly what a seed set wrote",
            Action::Stop => "stop after the work in flight; run again resumes",
            Action::Metrics => "CloudWatch metrics, hot keys and alerts",
            Action::CursorLeft => "move the time cursor left",
            Action::CursorRight => "move the time cursor right",
            Action::NextRange => "longer time range",
            Action::PrevRange => "shorter time range",
            Action::Focus => "switch lists (hot keys / alerts; changes / hot keys)",
            Action::EnableInsights => "enable Contributor Insights (asks first)",
            Action::SaveSnapshot => "save a snapshot of this view to a file",
            Action::Migrations => "data migrations of the table: status, runs, diffs",
            Action::DryRun => "dry run: show the diffs, write nothing",
            Action::RunMigration => "run the migration (asks first)",
            Action::Revert => "revert with the [down] part (asks first)",
            Action::TogglePane => "switch the pane pgup/pgdn scroll (log / diffs)",
            Action::Palette => {
                "command line: table, pattern, ctx, region, unlock, audit, … (tab completes)"
            }
            Action::Edit => "edit the item in $EDITOR (plain JSON), then review the diff",
            Action::EditDynamo => "edit the item in $EDITOR as DynamoDB JSON",
            Action::NewItem => "new item in $EDITOR",
            Action::Delete => "delete the item, or the marked items (asks first)",
            Action::Mark => "mark / unmark the item (for bulk delete and bulk set)",
            Action::ClearMarks => "clear every mark",
            Action::BulkSet => "set an attribute on the marked items: name=value (asks first)",
            Action::QuickEdit => "quick edit of the selected string or number attribute",
            Action::CopyLogin => "copy the `aws sso login` command of the profile",
            Action::HistoryBack => "back to the previous request, as it was left",
            Action::HistoryForward => "forward to the request gone back from",
            Action::Live => "live changes: the table's stream, decoded, with hot write keys",
            Action::Pause => "pause / resume (changes are held, not lost)",
            Action::NextEvent => "show INSERT, MODIFY or REMOVE only, or all",
            Action::FromOldest => "read from the oldest record kept (24 h) / from now",
            Action::EnableStream => "enable a DynamoDB Stream on the table (asks first)",
        }
    }

    /// Short word used in the status bar.
    pub fn short(self) -> &'static str {
        match self {
            Action::None => "",
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Back => "back",
            Action::Up | Action::Down => "move",
            Action::PageUp | Action::PageDown => "page",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Refresh => "reload",
            Action::Filter => "filter",
            Action::ServerFilter => "server filter",
            Action::Query => "query",
            Action::Scan => "scan",
            Action::NextType | Action::PrevType => "type",
            Action::ToggleIndexKeys => "index keys",
            Action::ToggleRawKeys => "raw keys",
            Action::ToggleTypes => "types",
            Action::CopyJson => "copy",
            Action::CopyDynamoJson => "copy ddb",
            Action::CopyKey => "copy key",
            Action::CopyCli => "copy cli",
            Action::Patterns => "patterns",
            Action::CopyRequestCli => "copy request",
            Action::CopyRequestJson => "copy request json",
            Action::Seed => "seed",
            Action::Reset => "reset",
            Action::Stop => "stop",
            Action::Metrics => "metrics",
            Action::CursorLeft | Action::CursorRight => "cursor",
            Action::NextRange | Action::PrevRange => "range",
            Action::Focus => "switch list",
            Action::EnableInsights => "enable insights",
            Action::SaveSnapshot => "save snapshot",
            Action::Migrations => "migrations",
            Action::DryRun => "dry run",
            Action::RunMigration => "run",
            Action::Revert => "revert",
            Action::TogglePane => "log/diffs",
            Action::Palette => "command",
            Action::Edit => "edit",
            Action::EditDynamo => "edit ddb",
            Action::NewItem => "new",
            Action::Delete => "delete",
            Action::Mark => "mark",
            Action::ClearMarks => "unmark all",
            Action::BulkSet => "set on marks",
            Action::QuickEdit => "quick edit",
            Action::CopyLogin => "copy sso login",
            Action::HistoryBack => "prev request",
            Action::HistoryForward => "next request",
            Action::Live => "live",
            Action::Pause => "pause",
            Action::NextEvent => "event",
            Action::FromOldest => "oldest/latest",
            Action::EnableStream => "enable stream",
        }
    }
}

/// A key with its modifiers, normalised so `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCodeOrd,
    ctrl: bool,
    alt: bool,
}

/// `KeyCode` is not `Ord`; this is the subset we bind, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyCodeOrd {
    // Enter and Esc sort first so hints show them rather than letters.
    Enter,
    Esc,
    Char(char),
    F(u8),
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `"ctrl-c"`, `"G"`, `"pagedown"`, `"f5"`, `"-"`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if shift => KeyCodeOrd::Char(c.to_ascii_uppercase()),
            (Some(c), None) => KeyCodeOrd::Char(c),
            _ if shift && rest.eq_ignore_ascii_case("tab") => KeyCodeOrd::BackTab,
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCodeOrd::Enter,
                "esc" | "escape" => KeyCodeOrd::Esc,
                "tab" => KeyCodeOrd::Tab,
                "backtab" => KeyCodeOrd::BackTab,
                "backspace" => KeyCodeOrd::Backspace,
                "delete" | "del" => KeyCodeOrd::Delete,
                "up" => KeyCodeOrd::Up,
                "down" => KeyCodeOrd::Down,
                "left" => KeyCodeOrd::Left,
                "right" => KeyCodeOrd::Right,
                "pageup" | "pgup" => KeyCodeOrd::PageUp,
                "pagedown" | "pgdn" => KeyCodeOrd::PageDown,
                "home" => KeyCodeOrd::Home,
                "end" => KeyCodeOrd::End,
                "space" => KeyCodeOrd::Char(' '),
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=12).contains(&n) => KeyCodeOrd::F(n),
                    _ => return Err(format!("unknown key `{s}`")),
                },
                _ => return Err(format!("unknown key `{s}`")),
            },
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Enter => f.write_str("enter"),
            KeyCodeOrd::Esc => f.write_str("esc"),
            KeyCodeOrd::Tab => f.write_str("tab"),
            KeyCodeOrd::BackTab => f.write_str("shift-tab"),
            KeyCodeOrd::Backspace => f.write_str("backspace"),
            KeyCodeOrd::Delete => f.write_str("del"),
            KeyCodeOrd::Up => f.write_str("↑"),
            KeyCodeOrd::Down => f.write_str("↓"),
            KeyCodeOrd::Left => f.write_str("←"),
            KeyCodeOrd::Right => f.write_str("→"),
            KeyCodeOrd::PageUp => f.write_str("pgup"),
            KeyCodeOrd::PageDown => f.write_str("pgdn"),
            KeyCodeOrd::Home => f.write_str("home"),
            KeyCodeOrd::End => f.write_str("end"),
        }
    }
}

/// The resolved keymap.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    modes: BTreeMap<Mode, BTreeMap<Key, Action>>,
}

impl Keymap {
    pub fn new(modes: BTreeMap<Mode, BTreeMap<Key, Action>>) -> Self {
        let mut modes = modes;
        for map in modes.values_mut() {
            map.retain(|_, a| *a != Action::None);
        }
        Keymap { modes }
    }

    /// The action for a key in a mode; mode bindings win over global ones.
    pub fn action(&self, mode: Mode, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev)?;
        self.modes
            .get(&mode)
            .and_then(|m| m.get(&key))
            .or_else(|| self.modes.get(&Mode::Global).and_then(|m| m.get(&key)))
            .copied()
    }

    /// Bindings of one mode grouped by action, in action order.
    pub fn bindings(&self, mode: Mode) -> Vec<(Action, Vec<Key>)> {
        let mut by_action: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        if let Some(m) = self.modes.get(&mode) {
            for (k, a) in m {
                by_action.entry(*a).or_default().push(*k);
            }
        }
        by_action.into_iter().collect()
    }

    /// The first key bound to `action` in `mode` (or globally).
    pub fn key_for(&self, mode: Mode, action: Action) -> Option<Key> {
        // Plain keys before ctrl/alt chords; Enter and Esc before letters.
        let find = |m: Mode| {
            self.modes.get(&m).and_then(|map| {
                map.iter()
                    .filter(|(_, a)| **a == action)
                    .map(|(k, _)| *k)
                    .min_by_key(|k| (k.ctrl || k.alt, *k))
            })
        };
        find(mode).or_else(|| find(Mode::Global))
    }

    /// Status-bar hints: `key action` for the given actions that are bound.
    pub fn hints(&self, mode: Mode, actions: &[Action]) -> Vec<(String, &'static str)> {
        actions
            .iter()
            .filter_map(|a| self.key_for(mode, *a).map(|k| (k.to_string(), a.short())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_keys() {
        assert_eq!(Key::parse("ctrl-c").unwrap().to_string(), "ctrl-c");
        assert_eq!(Key::parse("G").unwrap().to_string(), "G");
        assert_eq!(Key::parse("shift-g").unwrap(), Key::parse("G").unwrap());
        assert_eq!(Key::parse("pagedown").unwrap().to_string(), "pgdn");
        assert_eq!(Key::parse("f5").unwrap().to_string(), "F5");
        assert_eq!(Key::parse("-").unwrap().to_string(), "-");
        assert!(Key::parse("f13").is_err());
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn shifted_char_events_match_uppercase_binding() {
        let mut m = BTreeMap::new();
        m.insert(
            Mode::Items,
            BTreeMap::from([(Key::parse("G").unwrap(), Action::Bottom)]),
        );
        m.insert(
            Mode::Global,
            BTreeMap::from([
                (Key::parse("q").unwrap(), Action::Quit),
                (Key::parse("x").unwrap(), Action::None),
            ]),
        );
        let km = Keymap::new(m);
        assert_eq!(
            km.action(Mode::Items, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(Mode::Items, &ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(Mode::Items, &ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.action(Mode::Items, &ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            None
        );
    }
}
