//! `dyntui completions`, `dyntui man` and the hidden `dyntui complete` that
//! the bash and zsh scripts call for names: every shell's script and the man
//! page name every subcommand clap knows; names come from the project file,
//! the endpoint (nothing when it is unreachable) and bash really completes
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::process::{Command, Output};

use clap::{CommandFactory, ValueEnum};
use clap_complete::Shell;
use dyntui::app::cli::Cli;

const PROJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dyntui")
}

fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The visible subcommands, nested ones too (`patterns list`, `migrate up`).
fn subcommand_names() -> Vec<String> {
    fn walk(cmd: &clap::Command, names: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            names.push(sub.get_name().to_string());
            walk(sub, names);
        }
    }
    let mut names = Vec::new();
    walk(&Cli::command(), &mut names);
    assert!(names.len() > 20, "{names:?}");
    names
}

fn pattern_names() -> Vec<String> {
    let project = dyntui::app::config::Project::load(std::path::Path::new(PROJECT)).unwrap();
    let names: Vec<String> = project
        .patterns
        .into_iter()
        .map(|p| p.pattern.name)
        .collect();
    assert!(names.len() >= 2, "{names:?}");
    names
}

#[test]
fn every_shell_script_names_every_subcommand() {
    let names = subcommand_names();
    for shell in Shell::value_variants() {
        let shell = shell.to_possible_value().unwrap();
        let script = stdout(&run(&["completions", shell.get_name()]));
        for name in &names {
            assert!(
                script.contains(name.as_str()),
                "{} script lacks `{name}`",
                shell.get_name()
            );
        }
    }
}

#[test]
fn bash_and_zsh_scripts_ask_for_names() {
    for shell in ["bash", "zsh"] {
        let script = stdout(&run(&["completions", shell]));
        assert!(script.contains("complete \"$1\"") || script.contains("complete $1"));
        assert!(script.contains("_dyntui_with_names"), "{shell}");
    }
    let zsh = stdout(&run(&["completions", "zsh"]));
    assert!(zsh.contains("compdef _dyntui_with_names dyntui"), "{zsh}");
    assert!(!zsh.contains("compdef _dyntui dyntui"), "{zsh}");
}

#[test]
fn man_page_is_roff_naming_every_subcommand() {
    let page = stdout(&run(&["man"]));
    assert!(page.lines().any(|l| l.starts_with(".TH dyntui")), "{page}");
    for name in Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
    {
        assert!(page.contains(&name), "man page lacks `{name}`");
    }
}

#[test]
fn completions_and_man_ignore_a_broken_project_file() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("dyntui.toml");
    std::fs::write(&broken, "this is [not toml").unwrap();
    let broken = broken.to_str().unwrap();
    assert!(!stdout(&run(&["--config", broken, "completions", "bash"])).is_empty());
    assert!(!stdout(&run(&["--config", broken, "man"])).is_empty());
    assert_eq!(
        stdout(&run(&["--config", broken, "complete", "patterns"])),
        ""
    );
}

#[test]
fn complete_patterns_lists_the_project_files_patterns() {
    let out = stdout(&run(&["--config", PROJECT, "complete", "patterns"]));
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed, pattern_names());
}

#[test]
fn complete_tables_prints_nothing_when_the_endpoint_is_unreachable() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let out = run(&["--endpoint-url", "http://127.0.0.1:9", "complete", "tables"]);
    assert_eq!(stdout(&out), "");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the bash completion script for `words` (the last one is being
/// completed) and returns what bash would offer. COMP_WORDS is split as bash
/// splits it, at `:` too (COMP_WORDBREAKS), so URLs arrive in pieces.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = stdout(&run(&["completions", "bash"]));
    let line: Vec<&str> = std::iter::once(bin())
        .chain(words.iter().copied())
        .collect();
    let mut comp_words: Vec<String> = Vec::new();
    for w in &line {
        let pieces: Vec<&str> = w.split(':').collect();
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                comp_words.push(":".into());
            }
            if !piece.is_empty() || pieces.len() == 1 {
                comp_words.push((*piece).to_string());
            }
        }
    }
    let quote = |w: &str| format!("'{w}'");
    let driver = format!(
        "{script}\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE={line}\nCOMP_POINT=${{#COMP_LINE}}\n_dyntui_with_names \"${{COMP_WORDS[0]}}\" \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = comp_words
            .iter()
            .map(|w| quote(w))
            .collect::<Vec<_>>()
            .join(" "),
        cword = comp_words.len() - 1,
        line = quote(&line.join(" ")),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver])
        .output()
        .unwrap();
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_pattern_names_after_query() {
    let mut offered = bash_complete(&["--config", PROJECT, "query", ""]);
    offered.sort();
    let mut expected = pattern_names();
    expected.sort();
    assert_eq!(offered, expected);
    // A prefix narrows them.
    let first = &expected[0];
    let offered = bash_complete(&["--config", PROJECT, "query", &first[..3]]);
    assert!(offered.contains(first), "{offered:?}");
    assert!(
        offered.iter().all(|o| o.starts_with(&first[..3])),
        "{offered:?}"
    );
}

#[test]
fn bash_still_completes_subcommands() {
    let offered = bash_complete(&["patt"]);
    assert!(offered.contains(&"patterns".to_string()), "{offered:?}");
}

#[tokio::test]
async fn tables_are_completed_from_the_endpoint_on_the_line() {
    let db = common::db();
    let name = common::unique("compl");
    common::demo_design(&name).create(&db).await.unwrap();
    let endpoint = common::endpoint();
    let out = stdout(&run(&["--endpoint-url", &endpoint, "complete", "tables"]));
    assert!(out.lines().any(|l| l == name), "{out}");
    // Bash passes the --endpoint-url typed before to `dyntui complete`.
    let offered = bash_complete(&["--endpoint-url", &endpoint, "scan", "-t", &name]);
    assert_eq!(offered, vec![name.clone()]);
}
