//! Migration scripts, started without a shell (program and arguments as a
//! list), in the migrations folder, with the connection in their
//! environment.
//!
//! Transform mode, per page of selected items: every item is written to the
//! script's stdin as one JSON line, stdin is closed, and the script prints
//! exactly one line per item, in order: the item as it should be, `null`
//! (unchanged), or `{"_delete": true}`. Nothing of a page is written unless
//! the script exited 0 and every line is valid; so a crash or bad output
//! never leaves a partial item. Key attributes must come back unchanged.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use super::{Script, ScriptFormat};
use crate::dynamo::{Item, value};

/// How much of a script's stderr an error message keeps (the end of it).
const STDERR_TAIL: usize = 4000;

/// What a transform script made of one item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Unchanged,
    Change(Item),
    Delete,
}

/// A script failure, with what the script said on stderr.
#[derive(Debug, Clone)]
pub(crate) struct ScriptError {
    pub message: String,
    pub stderr: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        let tail = self.stderr.trim_end();
        if !tail.is_empty() {
            write!(f, "\n--- script stderr ---\n{tail}")?;
        }
        Ok(())
    }
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= STDERR_TAIL {
        return text.into_owned();
    }
    let mut start = text.len() - STDERR_TAIL;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &text[start..])
}

fn command(script: &Script, extra: &[String], env: &[(String, String)]) -> Command {
    let mut c = Command::new(&script.program);
    c.args(script.command.iter().skip(1))
        .args(extra)
        .current_dir(&script.dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .kill_on_drop(true);
    c
}

fn spawn_error(script: &Script, e: std::io::Error) -> ScriptError {
    ScriptError {
        message: format!(
            "cannot start `{}` (in {}): {e}",
            script.display(),
            script.dir.display()
        ),
        stderr: String::new(),
    }
}

fn short(line: &str) -> String {
    let mut s: String = line.chars().take(160).collect();
    if s.len() < line.len() {
        s.push_str("...");
    }
    s
}

/// Runs a transform script over `items` (one page).
pub(crate) async fn transform(
    script: &Script,
    env: &[(String, String)],
    items: &[Item],
    key_names: &[String],
    key_text: impl Fn(&Item) -> String,
) -> Result<(Vec<Outcome>, String), ScriptError> {
    let mut input = Vec::with_capacity(items.len() * 256);
    for it in items {
        let v = match script.format {
            ScriptFormat::Plain => value::item_to_plain(it),
            ScriptFormat::Dynamo => value::item_to_dynamo(it),
        };
        serde_json::to_writer(&mut input, &v).map_err(|e| ScriptError {
            message: format!("cannot encode an item for the script: {e}"),
            stderr: String::new(),
        })?;
        input.push(b'\n');
    }
    let mut child = command(script, &[], env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(script, e))?;
    let mut stdin = child.stdin.take();
    let writer = async move {
        if let Some(s) = stdin.as_mut() {
            // A script that exits early closes its stdin: its exit status
            // and output say what happened, not the broken pipe.
            let _ = s.write_all(&input).await;
            let _ = s.shutdown().await;
        }
        drop(stdin);
    };
    let (_, out) = tokio::join!(writer, child.wait_with_output());
    let out = out.map_err(|e| ScriptError {
        message: format!("`{}`: {e}", script.display()),
        stderr: String::new(),
    })?;
    let stderr = tail(&out.stderr);
    let fail = |message: String| ScriptError {
        message: format!("transform script `{}`: {message}", script.display()),
        stderr: stderr.clone(),
    };
    if !out.status.success() {
        return Err(fail(format!(
            "{}; nothing of this page was written",
            describe_status(out.status)
        )));
    }
    let text = std::str::from_utf8(&out.stdout)
        .map_err(|e| fail(format!("its output is not UTF-8: {e}")))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != items.len() {
        return Err(fail(format!(
            "printed {} line(s) for {} item(s): print exactly one line per input line (the item, null, or {{\"_delete\": true}}), and log to stderr",
            lines.len(),
            items.len()
        )));
    }
    let mut outcomes = Vec::with_capacity(items.len());
    for (i, (line, before)) in lines.iter().zip(items).enumerate() {
        let at = || format!("output line {} (for {})", i + 1, key_text(before));
        let v: Value = serde_json::from_str(line.trim())
            .map_err(|e| fail(format!("{}: invalid JSON ({e}): {}", at(), short(line))))?;
        let outcome = match &v {
            Value::Null => Outcome::Unchanged,
            Value::Object(m) if m.get("_delete") == Some(&Value::Bool(true)) => {
                if m.len() != 1 {
                    return Err(fail(format!(
                        "{}: a delete marker is exactly {{\"_delete\": true}}",
                        at()
                    )));
                }
                Outcome::Delete
            }
            Value::Object(m) => {
                let after = match script.format {
                    ScriptFormat::Plain => value::merge_item(before, m),
                    ScriptFormat::Dynamo => value::item_from_dynamo(&v).map_err(|e| e.to_string()),
                }
                .map_err(|e| fail(format!("{}: {e}", at())))?;
                for k in key_names {
                    if after.get(k) != before.get(k) {
                        return Err(fail(format!(
                            "{}: the script changed the key attribute `{k}` ({} -> {}); a transform script must not change keys (a declarative set_key moves items)",
                            at(),
                            before
                                .get(k)
                                .map(|v| value::cell_text(v, 60))
                                .unwrap_or_else(|| "(absent)".into()),
                            after
                                .get(k)
                                .map(|v| value::cell_text(v, 60))
                                .unwrap_or_else(|| "(absent)".into()),
                        )));
                    }
                }
                if &after == before {
                    Outcome::Unchanged
                } else {
                    Outcome::Change(after)
                }
            }
            _ => {
                return Err(fail(format!(
                    "{}: expected the item as a JSON object, null, or {{\"_delete\": true}}, got {}",
                    at(),
                    short(line)
                )));
            }
        };
        outcomes.push(outcome);
    }
    Ok((outcomes, stderr))
}

fn describe_status(s: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = s.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match s.code() {
        Some(c) => format!("exited with status {c}"),
        None => "exited abnormally".into(),
    }
}

/// How a command script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommandEnd {
    Finished,
    /// `stop` was set: the script was killed.
    Stopped,
}

/// Runs a command script to its end, each line of its stdout and stderr
/// passed to `on_line` as it comes. Non-zero exit is an error carrying the
/// end of its stderr.
pub(crate) async fn run_command(
    script: &Script,
    extra: &[String],
    env: &[(String, String)],
    on_line: &(dyn Fn(String) + Send + Sync),
    stop: &AtomicBool,
) -> Result<CommandEnd, ScriptError> {
    let mut child = command(script, extra, env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(script, e))?;
    let mut out = child.stdout.take().map(|s| BufReader::new(s).lines());
    let mut err = child.stderr.take().map(|s| BufReader::new(s).lines());
    let mut stderr = String::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            l = async { match out.as_mut() { Some(o) => o.next_line().await, None => std::future::pending().await } } => {
                match l {
                    Ok(Some(line)) => on_line(line),
                    _ => out = None,
                }
            }
            l = async { match err.as_mut() { Some(e) => e.next_line().await, None => std::future::pending().await } } => {
                match l {
                    Ok(Some(line)) => {
                        stderr.push_str(&line);
                        stderr.push('\n');
                        if stderr.len() > 4 * STDERR_TAIL {
                            stderr = tail(stderr.as_bytes());
                        }
                        on_line(line);
                    }
                    _ => err = None,
                }
            }
            _ = tick.tick() => {
                if stop.load(Ordering::Relaxed) {
                    let _ = child.kill().await;
                    return Ok(CommandEnd::Stopped);
                }
            }
        }
        if out.is_none() && err.is_none() {
            break;
        }
    }
    let status = child.wait().await.map_err(|e| ScriptError {
        message: format!("`{}`: {e}", script.display()),
        stderr: tail(stderr.as_bytes()),
    })?;
    if status.success() {
        Ok(CommandEnd::Finished)
    } else {
        Err(ScriptError {
            message: format!(
                "command script `{}` {}",
                script.display(),
                describe_status(status)
            ),
            stderr: tail(stderr.as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::AttributeValue;
    use crate::dynamo::value::merge_item;
    use serde_json::json;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    #[test]
    fn untouched_attributes_keep_their_types() {
        let mut before = Item::new();
        before.insert(
            "tags".into(),
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
        );
        before.insert(
            "blob".into(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![0u8, 255, 7])),
        );
        before.insert(
            "big".into(),
            AttributeValue::N("12345678901234567890123456789012345678".into()),
        );
        before.insert("name".into(), s("Ada Lovelace"));
        let plain = value::item_to_plain(&before);
        let mut out = plain.as_object().cloned().unwrap_or_default();
        out.insert("first".into(), json!("Ada"));
        // A float-based script prints the 38-digit number rounded.
        out.insert(
            "big".into(),
            serde_json::from_str("1.2345678901234568e37").unwrap_or(Value::Null),
        );
        let after = merge_item(&before, &out).expect("merges");
        assert_eq!(after["tags"], before["tags"]);
        assert_eq!(after["blob"], before["blob"]);
        assert_eq!(after["big"], before["big"]);
        assert_eq!(after["first"], s("Ada"));
    }

    #[test]
    fn arrays_written_to_sets_stay_sets_and_real_changes_apply() {
        let mut before = Item::new();
        before.insert("tags".into(), AttributeValue::Ss(vec!["a".into()]));
        before.insert("nums".into(), AttributeValue::Ns(vec!["1".into()]));
        before.insert("n".into(), AttributeValue::N("1.5".into()));
        let out = json!({"tags": ["a", "c"], "nums": [1, 2.5], "n": 2});
        let after = merge_item(&before, out.as_object().unwrap_or(&serde_json::Map::new()))
            .expect("merges");
        assert_eq!(
            after["tags"],
            AttributeValue::Ss(vec!["a".into(), "c".into()])
        );
        assert_eq!(
            after["nums"],
            AttributeValue::Ns(vec!["1".into(), "2.5".into()])
        );
        assert_eq!(after["n"], AttributeValue::N("2".into()));
        // A set cannot be emptied: DynamoDB has no empty sets.
        let bad = json!({"tags": []});
        assert!(merge_item(&before, bad.as_object().unwrap_or(&serde_json::Map::new())).is_err());
    }

    #[test]
    fn nested_maps_merge_member_by_member() {
        let mut inner = Item::new();
        inner.insert("ids".into(), AttributeValue::Ns(vec!["3".into()]));
        inner.insert("city".into(), s("Oslo"));
        let mut before = Item::new();
        before.insert("addr".into(), AttributeValue::M(inner.clone()));
        let out = json!({"addr": {"ids": [3], "city": "Bergen"}});
        let after = merge_item(&before, out.as_object().unwrap_or(&serde_json::Map::new()))
            .expect("merges");
        let AttributeValue::M(m) = &after["addr"] else {
            panic!("addr stays a map")
        };
        assert_eq!(m["ids"], inner["ids"]);
        assert_eq!(m["city"], s("Bergen"));
    }
}
