//! Editing text in the user's editor: `$VISUAL`, else `$EDITOR`, else `vi`,
//! split like a shell would (`code --wait` works) but run without a shell,
//! on a temporary `.json` file. The TUI suspends the terminal around it.

use std::path::Path;
use std::process::Command;

use crate::dynamo::Item;
use crate::dynamo::client::TableInfo;
use crate::dynamo::edit::EditFormat;

/// The editor command: program and arguments.
pub fn editor_command() -> Result<Vec<String>, String> {
    let raw = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    let words = shlex::split(&raw)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| format!("cannot split the editor command `{raw}` ($VISUAL / $EDITOR)"))?;
    Ok(words)
}

/// Opens `text` in the editor and returns what was saved (None: the file is
/// unchanged). `name` ends the temporary file's name (`item.json`).
pub fn edit(text: &str, name: &str) -> Result<Option<String>, String> {
    edit_with(&editor_command()?, text, name)
}

/// Like [`edit`], with a given editor command (program and arguments; the
/// file's path is appended).
pub fn edit_with(cmd: &[String], text: &str, name: &str) -> Result<Option<String>, String> {
    let dir = tempfile::Builder::new()
        .prefix("dyntui-edit")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    let path = dir.path().join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    run_editor(cmd, &path)?;
    let after = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok((after != text).then_some(after))
}

fn run_editor(cmd: &[String], path: &Path) -> Result<(), String> {
    let (program, args) = cmd.split_first().ok_or("no editor command")?;
    let status = Command::new(program)
        .args(args)
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start the editor `{program}`: {e} (set $EDITOR)"))?;
    if !status.success() {
        return Err(format!(
            "the editor `{program}` exited with {status}; nothing changed"
        ));
    }
    Ok(())
}

/// Text to edit in `$EDITOR`; the event loop suspends the terminal, runs the
/// editor, and hands what was saved to the screen that asked.
#[derive(Debug, Clone)]
pub struct EditorRequest {
    pub info: TableInfo,
    /// The item as read (None: a new item).
    pub before: Option<Item>,
    pub format: EditFormat,
    pub text: String,
    /// The row of the items view it came from.
    pub row: Option<usize>,
}

impl EditorRequest {
    /// Runs the editor (blocking): what was saved (None: unchanged).
    pub fn run(&self) -> Result<Option<String>, String> {
        self.run_with(&editor_command()?)
    }

    /// Runs the given editor command (program and arguments) on the text.
    pub fn run_with(&self, cmd: &[String]) -> Result<Option<String>, String> {
        edit_with(cmd, &self.text, "item.json")
    }
}
