//! Copying to the clipboard: the system clipboard through arboard, or the
//! terminal's OSC 52 sequence when there is no display (over SSH).

use std::io::Write;

use base64::Engine;

pub enum Clipboard {
    /// The system clipboard (kept alive: on X11 the owner serves the content).
    System(arboard::Clipboard),
    /// OSC 52 written to the terminal.
    Osc52,
    /// Keeps what was copied (tests).
    Memory(Vec<String>),
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

    /// Copies `text`; returns how it was copied.
    pub fn set(&mut self, text: &str) -> Result<&'static str, String> {
        match self {
            Clipboard::System(c) => match c.set_text(text.to_string()) {
                Ok(()) => Ok("clipboard"),
                Err(e) => {
                    // Fall back to the terminal, which often still works.
                    osc52(text).map_err(|o| format!("{e}; OSC 52 also failed: {o}"))?;
                    Ok("OSC 52")
                }
            },
            Clipboard::Osc52 => {
                osc52(text).map_err(|e| e.to_string())?;
                Ok("OSC 52")
            }
            Clipboard::Memory(v) => {
                v.push(text.to_string());
                Ok("memory")
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

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52_sequence(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    if std::env::var_os("TMUX").is_some() {
        // tmux passes the sequence through when wrapped.
        format!("\x1bPtmux;\x1b\x1b]52;c;{b64}\x07\x1b\\")
    } else {
        format!("\x1b]52;c;{b64}\x07")
    }
}

fn osc52(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    out.write_all(osc52_sequence(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_base64() {
        let s = osc52_sequence("hi");
        assert!(s.contains("]52;c;aGk="), "{s:?}");
    }
}
