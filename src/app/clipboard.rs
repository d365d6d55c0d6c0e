//! Copying to the clipboard: the system clipboard through arboard, or the
//! terminal's OSC 52 sequence when there is no display (over SSH), sent the
//! way whatever sits in between (tmux, GNU screen) passes it on.
//!
//! - tmux ($TMUX): the plain sequence. With `set-clipboard on` tmux takes it
//!   into a paste buffer and passes it on to the outer terminal when that
//!   terminal has the `clipboard` feature (`Ms`). With `external` (tmux's
//!   default) or `off` tmux drops it; then only `allow-passthrough` gets it
//!   through, wrapped in tmux's DCS passthrough, or nothing does and the copy
//!   is refused with the fix.
//! - GNU screen ($STY): the sequence wrapped in screen's DCS passthrough,
//!   in pieces short enough for screen's string limit.
//! - Otherwise the plain sequence; when TERM names screen or tmux with
//!   neither variable set (logged in over SSH from inside one), the plain
//!   sequence and the screen-wrapped one, since which of the two is on the
//!   other side cannot be told (each ignores the form meant for the other).
//!
//! Nothing says "copied" unless it is on a clipboard dyntui can see being
//! set; the rest says "sent" and what it depends on.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;

/// The longest text sent by OSC 52: 100 000 bytes once base64 encoded, about
/// what terminals commonly accept (some cut longer sequences or ignore them).
pub const OSC52_MAX_TEXT: usize = 75_000;

/// GNU screen keeps at most 768 bytes of a DCS string (since 4.2.1); each
/// piece of the wrapped sequence stays within that with its `ESC P` and
/// `ESC \`.
const SCREEN_CHUNK: usize = 764;

/// How long asking tmux for its clipboard options may take.
const TMUX_QUERY_TIMEOUT: Duration = Duration::from_secs(1);

pub enum Clipboard {
    /// The system clipboard (kept alive: on X11 the owner serves the content).
    System(arboard::Clipboard),
    /// OSC 52 written to the terminal.
    Osc52,
    /// Keeps what was copied (tests).
    Memory(Vec<String>),
}

/// A copy that went out: what to tell the user, and whether that needs
/// their attention (it went somewhere other than intended, or what it
/// depends on could not be checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub message: String,
    pub warn: bool,
}

impl Copied {
    fn info(message: String) -> Copied {
        Copied {
            message,
            warn: false,
        }
    }
}

impl Clipboard {
    /// The system clipboard when a display is reachable, else OSC 52.
    pub fn detect() -> Clipboard {
        let has_display = std::env::var_os("DISPLAY").is_some()
            || std::env::var_os("WAYLAND_DISPLAY").is_some()
            || cfg!(any(target_os = "macos", target_os = "windows"));
        if has_display && let Ok(c) = arboard::Clipboard::new() {
            return Clipboard::System(c);
        }
        Clipboard::Osc52
    }

    /// Copies `text` (described as `what`); says where it went, or why
    /// nothing was sent.
    pub fn set(&mut self, text: &str, what: &str) -> Result<Copied, String> {
        match self {
            Clipboard::System(c) => match c.set_text(text.to_string()) {
                Ok(()) => Ok(Copied::info(format!(
                    "copied {what} to the system clipboard ({} bytes)",
                    text.len()
                ))),
                Err(e) => {
                    // Fall back to the terminal, which often still works.
                    let sent = send_osc52(text, what)
                        .map_err(|o| format!("system clipboard: {e}; OSC 52: {o}"))?;
                    Ok(Copied {
                        message: format!("system clipboard failed ({e}); {}", sent.message),
                        warn: true,
                    })
                }
            },
            Clipboard::Osc52 => send_osc52(text, what),
            Clipboard::Memory(v) => {
                v.push(text.to_string());
                Ok(Copied::info(format!("copied {what} (memory)")))
            }
        }
    }

    /// The last text copied into a memory clipboard.
    pub fn last(&self) -> Option<&str> {
        match self {
            Clipboard::Memory(v) => v.last().map(String::as_str),
            _ => None,
        }
    }
}

/// The environment variables that tell what sits between dyntui and the
/// terminal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermEnv {
    /// `$TMUX`: set inside a tmux pane.
    pub tmux: Option<String>,
    /// `$TMUX_PANE`: the pane, to ask tmux about its options.
    pub tmux_pane: Option<String>,
    /// `$STY`: set inside a GNU screen window.
    pub sty: Option<String>,
    pub term: Option<String>,
}

impl TermEnv {
    pub fn from_process() -> TermEnv {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        TermEnv {
            tmux: var("TMUX"),
            tmux_pane: var("TMUX_PANE"),
            sty: var("STY"),
            term: var("TERM"),
        }
    }

    /// The route; inside tmux, `ask_tmux` reads tmux's options for the
    /// pane ([`tmux_clipboard`] outside tests).
    pub fn route(&self, ask_tmux: impl FnOnce(Option<&str>) -> TmuxClipboard) -> Route {
        if self.tmux.is_some() {
            return Route::Tmux(ask_tmux(self.tmux_pane.as_deref()));
        }
        if self.sty.is_some() {
            return Route::Screen;
        }
        let term = self.term.as_deref().unwrap_or("");
        if term.starts_with("screen") || term.starts_with("tmux") {
            return Route::Terminal {
                through: Some(term.to_string()),
            };
        }
        Route::Terminal { through: None }
    }
}

/// How an OSC 52 sequence reaches the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Straight to the terminal; `through` is a TERM naming screen or tmux
    /// with neither $STY nor $TMUX set (one is on the other end of an SSH
    /// login, or TERM is only borrowed).
    Terminal { through: Option<String> },
    /// Inside GNU screen ($STY).
    Screen,
    /// Inside tmux ($TMUX), with what its options say.
    Tmux(TmuxClipboard),
}

/// tmux's options for a program's OSC 52, as the pane sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TmuxClipboard {
    /// `set-clipboard` (`on`, `external` or `off`) and whether
    /// `allow-passthrough` is on.
    Options {
        set_clipboard: String,
        passthrough: bool,
    },
    /// The options could not be read (why).
    Unknown(String),
}

impl TmuxClipboard {
    /// Reads `display-message -p '#{set-clipboard}|#{allow-passthrough}'`.
    /// tmux before 3.3 has no allow-passthrough (empty); from 3.4 it is
    /// `on`, `all` or `off` rather than a flag.
    pub fn parse(out: &str) -> TmuxClipboard {
        let line = out.lines().next().unwrap_or("").trim();
        match line.split_once('|') {
            Some((set_clipboard, passthrough)) if !set_clipboard.is_empty() => {
                TmuxClipboard::Options {
                    set_clipboard: match set_clipboard {
                        // A flag before tmux 2.6, where on meant both.
                        "1" => "on".to_string(),
                        "0" => "off".to_string(),
                        s => s.to_string(),
                    },
                    passthrough: matches!(passthrough, "1" | "on" | "all"),
                }
            }
            _ => TmuxClipboard::Unknown(format!("tmux answered {line:?}")),
        }
    }
}

/// Asks the tmux server of this pane for its clipboard options, waiting at
/// most [`TMUX_QUERY_TIMEOUT`].
pub fn tmux_clipboard(pane: Option<&str>) -> TmuxClipboard {
    let mut cmd = Command::new("tmux");
    cmd.arg("display-message").arg("-p");
    // Without a target tmux answers for the session's active pane, which
    // need not be this one.
    if let Some(pane) = pane {
        cmd.arg("-t").arg(pane);
    }
    cmd.arg("#{set-clipboard}|#{allow-passthrough}")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return TmuxClipboard::Unknown(format!("running tmux: {e}")),
    };
    match wait_timeout::ChildExt::wait_timeout(&mut child, TMUX_QUERY_TIMEOUT) {
        Ok(Some(status)) if status.success() => {
            let mut out = String::new();
            if let Some(mut s) = child.stdout.take()
                && let Err(e) = s.read_to_string(&mut out)
            {
                return TmuxClipboard::Unknown(format!("reading tmux's answer: {e}"));
            }
            TmuxClipboard::parse(&out)
        }
        Ok(Some(status)) => TmuxClipboard::Unknown(format!("tmux display-message: {status}")),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            TmuxClipboard::Unknown(format!(
                "tmux did not answer within {} s",
                TMUX_QUERY_TIMEOUT.as_secs()
            ))
        }
        Err(e) => TmuxClipboard::Unknown(format!("waiting for tmux: {e}")),
    }
}

/// What to write to the terminal for a copy, and what to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub sequence: String,
    pub copied: Copied,
}

/// The plain OSC 52 sequence that sets the clipboard to `text`, ended by
/// BEL (the one ending that also works inside screen's DCS, whose string
/// the ST ending would close).
pub fn osc52_sequence(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// `seq` in tmux's passthrough: `ESC P tmux;`, each ESC doubled, `ESC \`.
fn tmux_passthrough(seq: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
}

/// `seq` in GNU screen's passthrough: pieces of at most [`SCREEN_CHUNK`]
/// bytes, each as its own `ESC P` ... `ESC \` string (screen cuts longer
/// ones); the terminal sees the pieces joined.
fn screen_passthrough(seq: &str) -> String {
    // The sequence is ASCII (ESC, "]52;c;", base64, BEL): any byte is a
    // character boundary.
    seq.as_bytes()
        .chunks(SCREEN_CHUNK)
        .map(|c| format!("\x1bP{}\x1b\\", String::from_utf8_lossy(c)))
        .collect()
}

/// What to send for copying `text` (described as `what`) by OSC 52 along
/// `route`, or why nothing should be sent.
pub fn plan(text: &str, what: &str, route: &Route) -> Result<Plan, String> {
    let n = text.len();
    if n > OSC52_MAX_TEXT {
        return Err(format!(
            "{what} is {n} bytes, over the {OSC52_MAX_TEXT} OSC 52 carries (100 kB encoded, \
             a common terminal limit); nothing was sent. `dyntui get` prints an item in full"
        ));
    }
    let seq = osc52_sequence(text);
    let terminal = "on the clipboard if your terminal allows clipboard writes";
    let plan = match route {
        Route::Terminal { through: None } => Plan {
            sequence: seq,
            copied: Copied::info(format!("sent {what} by OSC 52 ({n} bytes): {terminal}")),
        },
        Route::Terminal {
            through: Some(term),
        } => {
            let mut sequence = seq.clone();
            if term.starts_with("screen") {
                sequence.push_str(&screen_passthrough(&seq));
            }
            Plan {
                sequence,
                copied: Copied::info(format!(
                    "sent {what} by OSC 52 ({n} bytes) for the tmux or screen TERM={term} names \
                     (tmux needs set-clipboard on): {terminal}"
                )),
            }
        }
        Route::Screen => Plan {
            sequence: screen_passthrough(&seq),
            copied: Copied::info(format!(
                "sent {what} by OSC 52 through screen ({n} bytes): {terminal}"
            )),
        },
        Route::Tmux(TmuxClipboard::Options { set_clipboard, .. }) if set_clipboard == "on" => {
            Plan {
                sequence: seq,
                copied: Copied::info(format!(
                    "sent {what} to tmux ({n} bytes, set-clipboard on): paste with prefix ], \
                     or from your terminal if tmux passes it on (terminal-features clipboard)"
                )),
            }
        }
        Route::Tmux(TmuxClipboard::Options {
            set_clipboard,
            passthrough: true,
        }) => Plan {
            sequence: tmux_passthrough(&seq),
            copied: Copied::info(format!(
                "sent {what} by OSC 52 through tmux's allow-passthrough ({n} bytes; \
                 set-clipboard is {set_clipboard}): {terminal}"
            )),
        },
        Route::Tmux(TmuxClipboard::Options { set_clipboard, .. }) => {
            return Err(format!(
                "tmux's set-clipboard is {set_clipboard}, which drops programs' copies; fix: \
                 `tmux set -g set-clipboard on` (and `set -g set-clipboard on` in ~/.tmux.conf)"
            ));
        }
        Route::Tmux(TmuxClipboard::Unknown(why)) => Plan {
            sequence: seq,
            copied: Copied {
                message: format!(
                    "sent {what} by OSC 52 to tmux ({n} bytes): kept only with \
                     set -g set-clipboard on, which could not be checked ({why})"
                ),
                warn: true,
            },
        },
    };
    Ok(plan)
}

/// Sends `text` by OSC 52 the way this process's environment calls for.
fn send_osc52(text: &str, what: &str) -> Result<Copied, String> {
    let plan = plan(text, what, &TermEnv::from_process().route(tmux_clipboard))?;
    let mut out = std::io::stdout();
    out.write_all(plan.sequence.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing the OSC 52 sequence to the terminal: {e}"))?;
    Ok(plan.copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmux(set_clipboard: &str, passthrough: bool) -> Route {
        Route::Tmux(TmuxClipboard::Options {
            set_clipboard: set_clipboard.to_string(),
            passthrough,
        })
    }

    #[test]
    fn osc52_encodes_base64_and_ends_with_bel() {
        assert_eq!(osc52_sequence("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn the_environment_picks_the_route() {
        let env = |tmux: Option<&str>, sty: Option<&str>, term: &str| TermEnv {
            tmux: tmux.map(str::to_string),
            tmux_pane: None,
            sty: sty.map(str::to_string),
            term: Some(term.to_string()),
        };
        let unasked = |_: Option<&str>| -> TmuxClipboard { panic!("tmux asked outside tmux") };
        assert_eq!(
            env(None, None, "xterm-256color").route(unasked),
            Route::Terminal { through: None }
        );
        assert_eq!(
            env(None, Some("123.pts-0.host"), "screen.xterm-256color").route(unasked),
            Route::Screen
        );
        assert_eq!(
            env(None, None, "screen-256color").route(unasked),
            Route::Terminal {
                through: Some("screen-256color".into())
            }
        );
        assert_eq!(
            env(None, None, "tmux-256color").route(unasked),
            Route::Terminal {
                through: Some("tmux-256color".into())
            }
        );
        assert_eq!(
            TermEnv::default().route(unasked),
            Route::Terminal { through: None }
        );
        // Inside tmux (even within screen) tmux is asked, about this pane.
        let inside = TermEnv {
            tmux: Some("/tmp/tmux-1000/default,1,0".into()),
            tmux_pane: Some("%3".into()),
            ..env(None, Some("1.x"), "screen")
        };
        let route = inside.route(|pane| {
            assert_eq!(pane, Some("%3"));
            TmuxClipboard::parse("on|0")
        });
        assert_eq!(route, tmux("on", false));
    }

    #[test]
    fn tmux_with_set_clipboard_on_gets_the_plain_sequence() {
        let p = plan("hi", "key", &tmux("on", false)).unwrap();
        assert_eq!(p.sequence, "\x1b]52;c;aGk=\x07");
        assert!(!p.sequence.contains("Ptmux;"), "{:?}", p.sequence);
        assert!(!p.copied.warn);
        assert!(
            p.copied
                .message
                .starts_with("sent key to tmux (2 bytes, set-clipboard on): paste with prefix ]"),
            "{}",
            p.copied.message
        );
        // With passthrough on as well, the plain sequence still: tmux keeps
        // a buffer and passes the copy on itself.
        assert_eq!(
            plan("hi", "key", &tmux("on", true)).unwrap().sequence,
            p.sequence
        );
    }

    #[test]
    fn tmux_without_set_clipboard_sends_nothing_and_names_the_fix() {
        for value in ["external", "off"] {
            let e = plan("hi", "key", &tmux(value, false)).unwrap_err();
            assert!(e.contains(&format!("set-clipboard is {value}")), "{e}");
            assert!(e.contains("`tmux set -g set-clipboard on`"), "{e}");
        }
    }

    #[test]
    fn tmux_passthrough_wraps_when_set_clipboard_is_not_on() {
        let p = plan("hi", "key", &tmux("external", true)).unwrap();
        assert_eq!(p.sequence, "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\");
        assert!(
            p.copied
                .message
                .starts_with("sent key by OSC 52 through tmux's allow-passthrough")
        );
        assert!(!p.copied.message.contains("copied"));
    }

    #[test]
    fn tmux_unknown_sends_plain_and_warns() {
        let p = plan(
            "hi",
            "key",
            &Route::Tmux(TmuxClipboard::Unknown("running tmux: not found".into())),
        )
        .unwrap();
        assert_eq!(p.sequence, "\x1b]52;c;aGk=\x07");
        assert!(p.copied.warn);
        assert!(
            p.copied.message.contains("set -g set-clipboard on"),
            "{}",
            p.copied.message
        );
        assert!(
            p.copied.message.contains("running tmux: not found"),
            "{}",
            p.copied.message
        );
    }

    #[test]
    fn screen_gets_the_sequence_in_pieces_it_keeps() {
        let text = "x".repeat(2000);
        let seq = osc52_sequence(&text);
        let p = plan(&text, "item as JSON", &Route::Screen).unwrap();
        let pieces: Vec<&str> = p
            .sequence
            .strip_prefix("\x1bP")
            .unwrap()
            .strip_suffix("\x1b\\")
            .unwrap()
            .split("\x1b\\\x1bP")
            .collect();
        assert!(pieces.len() > 3, "{}", pieces.len());
        assert!(
            pieces.iter().all(|c| c.len() + 4 <= 768),
            "a piece is too long"
        );
        assert_eq!(pieces.concat(), seq, "the terminal sees the whole sequence");
        assert!(
            p.copied
                .message
                .starts_with("sent item as JSON by OSC 52 through screen")
        );
        // A short one is one piece.
        let short = plan("hi", "key", &Route::Screen).unwrap();
        assert_eq!(short.sequence, "\x1bP\x1b]52;c;aGk=\x07\x1b\\");
    }

    #[test]
    fn a_remote_term_naming_screen_gets_both_forms() {
        let p = plan(
            "hi",
            "key",
            &Route::Terminal {
                through: Some("screen-256color".into()),
            },
        )
        .unwrap();
        assert_eq!(
            p.sequence,
            "\x1b]52;c;aGk=\x07\x1bP\x1b]52;c;aGk=\x07\x1b\\"
        );
        assert!(
            p.copied.message.contains("TERM=screen-256color"),
            "{}",
            p.copied.message
        );
        let tmux_term = plan(
            "hi",
            "key",
            &Route::Terminal {
                through: Some("tmux-256color".into()),
            },
        )
        .unwrap();
        assert_eq!(tmux_term.sequence, "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn a_plain_terminal_is_sent_to_not_copied_to() {
        let p = plan("héllo", "key", &Route::Terminal { through: None }).unwrap();
        assert_eq!(p.sequence, osc52_sequence("héllo"));
        assert_eq!(
            p.copied.message,
            "sent key by OSC 52 (6 bytes): on the clipboard if your terminal allows clipboard writes"
        );
    }

    #[test]
    fn too_long_a_text_is_refused_on_every_route() {
        let text = "x".repeat(OSC52_MAX_TEXT + 1);
        for route in [
            Route::Terminal { through: None },
            Route::Screen,
            tmux("on", false),
        ] {
            let e = plan(&text, "item as JSON", &route).unwrap_err();
            assert!(e.contains("75001 bytes"), "{e}");
            assert!(e.contains("nothing was sent"), "{e}");
        }
        let at = "x".repeat(OSC52_MAX_TEXT);
        let p = plan(&at, "item as JSON", &Route::Terminal { through: None }).unwrap();
        assert!(p.sequence.len() <= 100_000 + 8, "{}", p.sequence.len());
    }

    #[test]
    fn tmux_options_parse() {
        assert_eq!(
            TmuxClipboard::parse("on|0\n"),
            TmuxClipboard::Options {
                set_clipboard: "on".into(),
                passthrough: false
            }
        );
        assert_eq!(
            TmuxClipboard::parse("external|1\n"),
            TmuxClipboard::Options {
                set_clipboard: "external".into(),
                passthrough: true
            }
        );
        // tmux 3.4: allow-passthrough is on/all/off; before 3.3 it is unknown.
        for (out, pt) in [
            ("off|all", true),
            ("off|on", true),
            ("off|off", false),
            ("off|", false),
        ] {
            assert_eq!(
                TmuxClipboard::parse(out),
                TmuxClipboard::Options {
                    set_clipboard: "off".into(),
                    passthrough: pt
                },
                "{out}"
            );
        }
        assert!(matches!(
            TmuxClipboard::parse(""),
            TmuxClipboard::Unknown(_)
        ));
        assert!(matches!(
            TmuxClipboard::parse("|0"),
            TmuxClipboard::Unknown(_)
        ));
    }

    #[test]
    fn memory_says_copied() {
        let mut c = Clipboard::Memory(Vec::new());
        let copied = c.set("k", "key").unwrap();
        assert_eq!(copied.message, "copied key (memory)");
        assert_eq!(c.last(), Some("k"));
    }
}
