//! Headless editing: `dyntui put`, `edit`, `set`, `delete`, `audit` and
//! `profiles`. The same code as the TUI's editing (`dynamo::edit`): every
//! write shows its diff, asks, and is conditional on the item being as it
//! was read (or on its entity's version attribute); on a conflict both
//! versions are shown and the edit can be re-applied onto the newer one.
//! Protected tables need `--unlock` and the table name; `--read-only`
//! refuses every write. Every write is appended to the audit log.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use crate::app::audit::{AuditEntry, AuditLog};
use crate::app::cli::seed::{confirm, confirm_table_name};
use crate::app::config::Project;
use crate::app::project::writes::guard_of;
use crate::dynamo::client::{Dynamo, TableInfo};
use crate::dynamo::edit::{self, Change, ChangeKind, EditFormat};
use crate::dynamo::seed::WriteOptions;
use crate::dynamo::write::{Guard, WriteError, Writer, key_text};
use crate::dynamo::{Item, value};

/// Options of every write command.
#[derive(Debug, Args, Clone, Default)]
pub struct WriteArgs {
    /// Answer yes to the confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow writes to a protected table (its name must be confirmed).
    #[arg(long)]
    pub unlock: bool,
    /// The table name, typed to confirm a write to a protected table without a prompt.
    #[arg(long, value_name = "TABLE")]
    pub confirm_table: Option<String>,
    /// Edit and read DynamoDB JSON (every type explicit) instead of plain JSON.
    #[arg(long)]
    pub dynamo_json: bool,
}

impl WriteArgs {
    fn format(&self) -> EditFormat {
        if self.dynamo_json {
            EditFormat::Dynamo
        } else {
            EditFormat::Plain
        }
    }
}

/// A key given as JSON (plain or DynamoDB JSON).
pub fn parse_key(text: &str) -> anyhow::Result<Item> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("--key is not JSON: {e}"))?;
    let (key, _) = value::item_from_json(&v).map_err(|e| anyhow::anyhow!("--key {e}"))?;
    Ok(key)
}

/// Refuses writes under `--read-only`, and to a protected table unless
/// unlocked with its name confirmed.
pub fn check_writable(
    db: &Dynamo,
    project: &Project,
    table: &str,
    read_only: bool,
    args: &WriteArgs,
) -> anyhow::Result<()> {
    check_protection(
        db,
        project,
        table,
        read_only,
        args.unlock,
        args.confirm_table.as_deref(),
    )
}

/// The one protection check of every writing command: `--read-only`
/// refuses, and a protected table needs `--unlock` and its name confirmed.
pub fn check_protection(
    db: &Dynamo,
    project: &Project,
    table: &str,
    read_only: bool,
    unlock: bool,
    confirm_table: Option<&str>,
) -> anyhow::Result<()> {
    if read_only {
        anyhow::bail!("--read-only: this command writes to `{table}`; nothing done");
    }
    if let Some(reason) = project.protection(table, db.context().profile.as_deref()) {
        if !unlock {
            anyhow::bail!(
                "`{table}` is read-only: {reason}. Pass --unlock and confirm the table name to write to it."
            );
        }
        confirm_table_name(table, confirm_table)?;
    }
    Ok(())
}

fn print_change(info: &TableInfo, change: &Change) {
    let kind = change.kind(info);
    eprintln!("{} {}", kind.verb(), change.key(info));
    for (name, before, after) in change.diff() {
        match (before, after) {
            (None, Some(a)) => eprintln!("  + {name}: {a}"),
            (Some(b), None) => eprintln!("  - {name}: {b}"),
            (Some(b), Some(a)) => eprintln!("  ~ {name}: {b} -> {a}"),
            (None, None) => {}
        }
    }
}

/// Shows the change, asks, writes it conditionally, and on a conflict
/// shows what changed meanwhile and offers to re-apply the edit onto it.
pub async fn commit(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    change: Change,
    args: &WriteArgs,
) -> anyhow::Result<()> {
    commit_with(db, project, info, change, args, true).await
}

/// [`commit`]; `rebase`: whether the user's change can be re-applied onto
/// the current item after a conflict (it can when `before` is the whole
/// item the user changed, not only its version).
async fn commit_with(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    change: Change,
    args: &WriteArgs,
    rebase: bool,
) -> anyhow::Result<()> {
    let mut change = change;
    let audit = AuditLog::default_log();
    let opts = WriteOptions::default();
    let w = Writer {
        db,
        info,
        opts: &opts,
        limiter: None,
    };
    for _ in 0..5 {
        if change.kind(info) == ChangeKind::None {
            eprintln!("nothing to change");
            return Ok(());
        }
        print_change(info, &change);
        if !confirm(
            &format!("{} in `{}`?", change.kind(info).verb(), info.name),
            args.yes,
        )? {
            anyhow::bail!("nothing written");
        }
        let guard = match change.before.as_ref().or(change.after.as_ref()) {
            Some(i) => guard_of(project, info, i),
            None => Guard::Unchanged,
        };
        match edit::apply(&w, &change, &guard).await {
            Ok(written) => {
                if let Some(log) = &audit {
                    let entry = AuditEntry::of(db.context(), info, &change, written.as_ref());
                    if let Err(e) = log.append(&entry) {
                        eprintln!(
                            "warning: cannot append to the audit log {}: {e}",
                            log.path.display()
                        );
                    }
                }
                eprintln!("done: {} {}", change.kind(info).verb(), change.key(info));
                return Ok(());
            }
            Err(WriteError::Conflict) => {
                let before = change.before.clone().unwrap_or_default();
                let current = w
                    .current(&before)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                eprintln!(
                    "conflict: {} changed since it was read; nothing was overwritten.",
                    change.key(info)
                );
                let Some(current) = current else {
                    anyhow::bail!("the item was deleted meanwhile; nothing written");
                };
                if !rebase {
                    eprintln!("the item as it is now, against your file:");
                    print_change(
                        info,
                        &Change {
                            before: Some(current.clone()),
                            after: change.after.clone(),
                        },
                    );
                    anyhow::bail!(
                        "conflict on {}: your file was made from an older version than the item's now; nothing written. Read the item again and make your change on it, or pass --expect FILE with the item as you read it to have your change re-applied.",
                        change.key(info)
                    );
                }
                eprintln!("what changed meanwhile:");
                print_change(
                    info,
                    &Change {
                        before: Some(before.clone()),
                        after: Some(current.clone()),
                    },
                );
                let after = change
                    .after
                    .as_ref()
                    .map(|a| edit::rebase(&before, a, &current));
                eprintln!("your change, re-applied onto the current version:");
                change = Change {
                    before: Some(current),
                    after,
                };
                if args.yes {
                    // Shown, not written: --yes confirmed the change as it
                    // was, not this one.
                    print_change(info, &change);
                    anyhow::bail!(
                        "conflict on {}: run again to re-apply onto the current version",
                        change.key(info)
                    );
                }
            }
            Err(e) => anyhow::bail!("{e}"),
        }
    }
    anyhow::bail!("the item kept changing; nothing written")
}

async fn current(db: &Dynamo, info: &TableInfo, key: &Item) -> anyhow::Result<Option<Item>> {
    db.get_item(&info.name, key.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// What `dyntui put` compares the item at the key with before replacing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutMode {
    /// What the file says the user saw: its entity's version attribute.
    Seen,
    /// `--expect FILE`: the item exactly as the user last read it.
    Expect(PathBuf),
    /// `--overwrite`: whatever is there now.
    Overwrite,
}

/// An item from a file (`-` or none: stdin), plain or DynamoDB JSON, with
/// the name errors give it.
fn read_item_file(file: Option<&PathBuf>) -> anyhow::Result<(Item, String)> {
    let (text, name) = match file.filter(|f| f.as_os_str() != "-") {
        Some(f) => (
            std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
            f.display().to_string(),
        ),
        None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            (s, "stdin".to_string())
        }
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{name}:{}:{}: {e}", e.line(), e.column()))?;
    let (item, _) = value::item_from_json(&v).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok((item, name))
}

/// `dyntui put`: an item from a file or stdin. Creates it where no item
/// exists; replaces an existing item only if it is still as the user last
/// saw it: at the version the file carries (entities with a version
/// attribute), or exactly as `--expect` says; `--overwrite` replaces
/// whatever is there.
pub async fn put(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    file: Option<&PathBuf>,
    mode: &PutMode,
    read_only: bool,
    args: &WriteArgs,
) -> anyhow::Result<()> {
    check_writable(db, project, &info.name, read_only, args)?;
    let (item, name) = read_item_file(file)?;
    if let Some(schema) = crate::dynamo::seeding::key_schema(info) {
        crate::dynamo::itemfile::validate_item(&item, &schema)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    }
    let key = info
        .key_of(&item)
        .ok_or_else(|| anyhow::anyhow!("{name}: the item has no complete primary key"))?;
    let now = current(db, info, &key).await?;
    let (before, rebase) = match (mode, now) {
        (PutMode::Expect(f), now) => {
            let (seen, seen_name) = read_item_file(Some(f))?;
            if info.key_of(&seen).as_ref() != Some(&key) {
                anyhow::bail!(
                    "{seen_name}: --expect is another item than {name} (their keys differ)"
                );
            }
            if now.is_none() {
                anyhow::bail!(
                    "{} was deleted since you read it; nothing written (put without --expect creates it again)",
                    key_text(info, &key)
                );
            }
            (Some(seen), true)
        }
        (_, None) => (None, true),
        (PutMode::Overwrite, Some(now)) => (Some(now), true),
        (PutMode::Seen, Some(now)) => match guard_of(project, info, &item) {
            Guard::Version(attr) if item.contains_key(&attr) => {
                // The condition compares the version the file was made
                // from; the write sets the next one.
                let mut seen = now;
                if let Some(v) = item.get(&attr) {
                    seen.insert(attr.clone(), v.clone());
                }
                (Some(seen), false)
            }
            Guard::Version(attr) => anyhow::bail!(
                "{name}: an item exists at {} and the file has no `{attr}` (its entity's version attribute), so dyntui cannot tell whether it was changed since you read it. Keep `{attr}` in the file as read, pass --expect FILE with the item as you read it, or --overwrite to replace it as it is now.",
                key_text(info, &key)
            ),
            Guard::Unchanged => anyhow::bail!(
                "{name}: an item exists at {}. `put` replaces it only if it is as you last saw it: pass --expect FILE with the item as you read it (e.g. `dyntui get ... > seen.json`), or --overwrite to replace it as it is now. To change some attributes, `dyntui edit` or `dyntui set` read and compare the item themselves.",
                key_text(info, &key)
            ),
        },
    };
    commit_with(
        db,
        project,
        info,
        Change {
            before,
            after: Some(item),
        },
        args,
        rebase,
    )
    .await
}

/// The item to change, once writes to its table are allowed: an error
/// when there is no item with that key.
async fn read_for_write(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    key: &Item,
    read_only: bool,
    args: &WriteArgs,
) -> anyhow::Result<Item> {
    check_writable(db, project, &info.name, read_only, args)?;
    current(db, info, key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no item with that key in `{}`", info.name))
}

/// `dyntui edit`: the item in $EDITOR, then its diff and a conditional write.
pub async fn edit_in_editor(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    key: &Item,
    read_only: bool,
    args: &WriteArgs,
) -> anyhow::Result<()> {
    let before = read_for_write(db, project, info, key, read_only, args).await?;
    let format = args.format();
    let mut text = edit::editor_text(info, &before, format);
    loop {
        let Some(saved) =
            crate::app::editor::edit(&text, "item.json").map_err(|e| anyhow::anyhow!(e))?
        else {
            eprintln!("no change");
            return Ok(());
        };
        match edit::parse_editor_text(info, Some(&before), &saved, format) {
            Ok(after) => {
                return commit(
                    db,
                    project,
                    info,
                    Change {
                        before: Some(before),
                        after: Some(after),
                    },
                    args,
                )
                .await;
            }
            Err(e) => {
                eprintln!("error: {e}");
                if !confirm("Edit again?", false).unwrap_or(false) {
                    anyhow::bail!("nothing written: {e}");
                }
                text = saved;
            }
        }
    }
}

/// `dyntui set`: NAME=VALUE quick edits of strings and numbers.
pub async fn set(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    key: &Item,
    assignments: &[String],
    read_only: bool,
    args: &WriteArgs,
) -> anyhow::Result<()> {
    let before = read_for_write(db, project, info, key, read_only, args).await?;
    let mut after = before.clone();
    for a in assignments {
        let (name, text) = a
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("`{a}`: expected NAME=VALUE"))?;
        let v = edit::quick_value(before.get(name), text)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        after.insert(name.to_string(), v);
    }
    commit(
        db,
        project,
        info,
        Change {
            before: Some(before),
            after: Some(after),
        },
        args,
    )
    .await
}

/// `dyntui delete`: one item, conditional on it being as read now.
pub async fn delete(
    db: &Dynamo,
    project: &Project,
    info: &TableInfo,
    key: &Item,
    read_only: bool,
    args: &WriteArgs,
) -> anyhow::Result<()> {
    let before = read_for_write(db, project, info, key, read_only, args).await?;
    commit(
        db,
        project,
        info,
        Change {
            before: Some(before),
            after: None,
        },
        args,
    )
    .await
}

/// `dyntui audit`: the last entries of the audit log.
pub fn audit(limit: usize, json: bool) -> anyhow::Result<()> {
    let log = AuditLog::default_log()
        .ok_or_else(|| anyhow::anyhow!("no state directory for the audit log"))?;
    let entries = log
        .last(limit)
        .map_err(|e| anyhow::anyhow!("{}: {e}", log.path.display()))?;
    if entries.is_empty() {
        eprintln!("no writes recorded in {}", log.path.display());
    }
    for e in entries {
        if json {
            println!("{}", serde_json::to_string(&e)?);
        } else {
            println!(
                "{}  {:<6} {:<24} {}  ({})",
                e.time,
                e.action,
                e.table,
                e.key_text(),
                [
                    e.profile.as_deref(),
                    e.region.as_deref(),
                    e.endpoint.as_deref()
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            );
        }
    }
    Ok(())
}

/// `dyntui profiles`: AWS profiles (contexts) with region and sign-in.
pub fn profiles() {
    let ps = crate::app::contexts::profiles();
    if ps.is_empty() {
        eprintln!("no profiles in ~/.aws/config or ~/.aws/credentials");
    }
    for p in ps {
        println!(
            "{:<24} {:<16} {}",
            p.name,
            p.region.as_deref().unwrap_or("-"),
            if p.sso {
                "sso"
            } else if p.static_keys {
                "keys"
            } else {
                ""
            }
        );
    }
}
