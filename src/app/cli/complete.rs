//! `dyntui completions <shell>`, `dyntui man` and the hidden
//! `dyntui complete tables|patterns|profiles` that the bash and zsh scripts
//! call to complete names. None of them needs the project file to load
//! (a broken one must not break the shell's completion).
//!
//! The scripts are clap_complete's static ones; for bash and zsh a small
//! wrapper is added that completes the values of `--table`, `--profile`,
//! `--pattern` and `dyntui query <pattern>` from `dyntui complete`, passing
//! along the `--profile`, `--region`, `--endpoint-url` and `--config` already
//! typed on the line.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, ValueEnum};
use clap_complete::Shell;

use crate::app::cli::{Cli, Command, ConnArgs};
use crate::dynamo::client::Dynamo;

/// What `dyntui complete` lists.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Names {
    /// Tables at the endpoint (nothing when it cannot be reached quickly).
    Tables,
    /// The project file's saved access patterns.
    Patterns,
    /// AWS profiles from ~/.aws/config and ~/.aws/credentials.
    Profiles,
}

/// The longest a table-name completion may wait for the endpoint: a shell
/// waiting on TAB must not hang.
pub const TABLES_WAIT: Duration = Duration::from_secs(2);

/// Runs `completions`, `man` or `complete`; `None` for any other command.
/// `config` is `--config` (else `dyntui.toml` is looked for upwards).
pub async fn run(
    cmd: &Command,
    conn: &ConnArgs,
    config: Option<&PathBuf>,
) -> Option<anyhow::Result<u8>> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let done = match cmd {
        Command::Completions { shell } => write_completions(*shell, &mut out),
        Command::Man => write_man(&mut out),
        Command::Complete { names: kind } => {
            let found = names(*kind, conn, config).await;
            found.iter().try_for_each(|n| writeln!(out, "{n}"))
        }
        _ => return None,
    };
    Some(
        done.and_then(|()| out.flush())
            .map(|()| 0)
            .map_err(Into::into),
    )
}

/// Writes the completion script for `shell`.
pub fn write_completions(shell: Shell, out: &mut impl Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dyntui", &mut script);
    let script = String::from_utf8_lossy(&script);
    match shell {
        Shell::Bash => write!(out, "{script}{BASH_NAMES}"),
        Shell::Zsh => write!(out, "{}", with_zsh_names(&script)),
        _ => write!(out, "{script}"),
    }
}

/// Writes the man page (roff).
pub fn write_man(out: &mut impl Write) -> std::io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// The names of one kind; empty when there are none or they cannot be had.
pub async fn names(kind: Names, conn: &ConnArgs, config: Option<&PathBuf>) -> Vec<String> {
    match kind {
        Names::Profiles => crate::app::contexts::profiles()
            .into_iter()
            .map(|p| p.name)
            .collect(),
        Names::Patterns => crate::app::cli::load_project(config)
            .map(|p| p.patterns.into_iter().map(|s| s.pattern.name).collect())
            .unwrap_or_default(),
        Names::Tables => {
            let mut opts = conn.options();
            opts.timeouts.connect = opts.timeouts.connect.min(Duration::from_secs(1));
            opts.timeouts.attempt = opts.timeouts.attempt.min(TABLES_WAIT);
            opts.timeouts.operation = opts.timeouts.operation.min(TABLES_WAIT);
            let list = async {
                let db = Dynamo::connect(&opts).await.ok()?;
                db.list_tables().await.ok()
            };
            tokio::time::timeout(TABLES_WAIT, list)
                .await
                .ok()
                .flatten()
                .unwrap_or_default()
        }
    }
}

/// Appended to clap's bash script: wraps `_dyntui` and registers the wrapper.
const BASH_NAMES: &str = r#"
# Names: tables, saved patterns and AWS profiles, from `dyntui complete`.
_dyntui_names() {
    # From the line itself: COMP_WORDS splits URLs at `:`.
    local i w line=() conn=()
    IFS=$' \t\n' read -ra line <<< "${COMP_LINE:0:COMP_POINT}"
    for ((i = 1; i < ${#line[@]}; i++)); do
        w="${line[i]}"
        case "$w" in
            --profile|--region|--endpoint-url|--config)
                if ((i + 1 < ${#line[@]})); then conn+=("$w" "${line[i+1]}"); fi
                ((i++))
                ;;
            --profile=*|--region=*|--endpoint-url=*|--config=*) conn+=("$w") ;;
        esac
    done
    "${line[0]}" "${conn[@]}" complete "$1" 2>/dev/null
}

_dyntui_with_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" kind=""
    if [[ "$prev" == "=" && COMP_CWORD -ge 2 ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi
    if [[ "$cur" == "=" ]]; then cur=""; fi
    case "$prev" in
        -t|--table|--from-table|--to-table) kind=tables ;;
        --profile|--from-profile|--to-profile) kind=profiles ;;
        --pattern|query) kind=patterns ;;
    esac
    if [[ -n "$kind" && "$cur" != -* ]]; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(_dyntui_names "$kind")" -- "$cur"))
        return 0
    fi
    _dyntui "$@"
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _dyntui_with_names -o nosort -o bashdefault -o default dyntui
else
    complete -F _dyntui_with_names -o bashdefault -o default dyntui
fi
"#;

/// Defined before clap's zsh script ends; the script's last lines then call
/// this wrapper instead of `_dyntui`.
const ZSH_NAMES: &str = r#"
# Names: tables, saved patterns and AWS profiles, from `dyntui complete`.
_dyntui_names() {
    local -a conn
    local i
    for ((i = 2; i < CURRENT; i++)); do
        case $words[i] in
            --profile|--region|--endpoint-url|--config)
                conn+=($words[i] ${(Q)words[i+1]})
                ((i++))
                ;;
            --profile=*|--region=*|--endpoint-url=*|--config=*)
                conn+=(${(Q)words[i]})
                ;;
        esac
    done
    ${words[1]} $conn complete $1 2>/dev/null
}

_dyntui_with_names() {
    local kind
    case $words[CURRENT-1] in
        -t|--table|--from-table|--to-table) kind=tables ;;
        --profile|--from-profile|--to-profile) kind=profiles ;;
        --pattern|query) kind=patterns ;;
    esac
    if [[ -n $kind && $PREFIX != -* ]]; then
        local -a found
        found=(${(f)"$(_dyntui_names $kind)"})
        compadd -a found
        return
    fi
    _dyntui "$@"
}

"#;

/// clap's zsh script with the names wrapper registered in place of
/// `_dyntui`, whether the script is sourced or autoloaded from `fpath` as
/// `_dyntui` (then later completions go to the wrapper too).
fn with_zsh_names(script: &str) -> String {
    const TAIL: &str = "if [ \"$funcstack[1]\" = \"_dyntui\" ]; then";
    match script.rfind(TAIL) {
        Some(at) => format!(
            "{}{ZSH_NAMES}{TAIL}\n    compdef _dyntui_with_names dyntui\n    _dyntui_with_names \"$@\"\nelse\n    compdef _dyntui_with_names dyntui\nfi\n",
            &script[..at]
        ),
        // clap changed its ending: the static script still works.
        None => script.to_string(),
    }
}
