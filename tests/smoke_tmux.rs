//! Smoke test of the real binary in tmux against DynamoDB Local with the
//! demo data: seed, open the TUI on the table, open an item, and check the
//! screen shows its decoded type and fields. Uses the binary in DYNTUI_BIN
//! (scripts/test.sh builds the release binary) or the test build's own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> String {
    std::env::var("DYNTUI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_dyntui").to_string())
}

/// This test's own tmux server (socket, by process and test): a server
/// started elsewhere (another run, another test, a user's shell) has its
/// own environment and options, which panes would inherit, and exits under
/// a test when another one kills its last session.
fn socket() -> String {
    let test: String = std::thread::current()
        .name()
        .unwrap_or("main")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("dyntui-test-{}-{test}", std::process::id())
}

/// Keeps the test's tmux server up for the whole test (a session that
/// only sleeps), so that sessions killed and created in turn never meet a
/// server on its way out; the server goes with the guard.
struct Server;

impl Server {
    fn start() -> Server {
        tmux(&["new-session", "-d", "-s", "keep", "sleep 3600"]);
        Server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        tmux(&["kill-server"]);
    }
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", &socket()])
        .args(args)
        .output()
        .expect("tmux is installed (scripts/test.sh installs it)");
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn capture(session: &str) -> String {
    tmux(&["capture-pane", "-p", "-t", session])
}

/// Waits until the screen contains `needle`.
fn wait_for(session: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let screen = capture(session);
        if screen.contains(needle) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(30) {
            panic!("`{needle}` did not appear on screen within 30 s; the screen:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

struct Session(String);
impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn tui_opens_an_item_and_shows_its_decoded_type_and_fields() {
    let _server = Server::start();
    let endpoint = common::endpoint();
    let table = seed_demo("smoke");

    let session = Session(format!("dyntui-smoke-{}", std::process::id()));
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");
    let log = std::env::temp_dir().join(format!("{}.log", session.0));
    // A scripted $EDITOR: the TUI hands it the terminal and takes it back.
    let editor = std::env::temp_dir().join(format!("{}-editor.mjs", session.0));
    std::fs::write(
        &editor,
        r#"import { readFileSync, writeFileSync } from "node:fs";
const f = process.argv[2];
const item = JSON.parse(readFileSync(f, "utf8"));
item.name = "Smoke Edited";
writeFileSync(f, JSON.stringify(item, null, 2));
"#,
    )
    .expect("write the editor script");
    let audit = std::env::temp_dir().join(format!("{}-audit.jsonl", session.0));
    let cmd = format!(
        "env EDITOR='node {}' VISUAL= DYNTUI_AUDIT_LOG={} {} --endpoint-url {endpoint} --config {config} --log-file {} --table {table}",
        editor.display(),
        audit.display(),
        bin(),
        log.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "160",
        "-y",
        "45",
        &cmd,
    ]);
    let screen = wait_for(&session.0, "scanned");
    assert!(screen.contains(&format!("SCAN {table}")), "{screen}");
    assert!(screen.contains("types "), "{screen}");

    // Query one customer's partition through the form, then open the first item.
    tmux(&["send-keys", "-t", &session.0, "s"]);
    wait_for(&session.0, "Partition key (PK)");
    tmux(&[
        "send-keys",
        "-t",
        &session.0,
        "C-u",
        "CUSTOMER#c00001",
        "Enter",
    ]);
    let screen = wait_for(&session.0, "QUERY");
    assert!(screen.contains("CUSTOMER#c00001"), "{screen}");
    wait_for(&session.0, "types of 2 loaded");
    tmux(&["send-keys", "-t", &session.0, "g", "Enter"]);
    let screen = wait_for(&session.0, "Entity");
    assert!(
        screen.contains("Customer"),
        "decoded type missing:\n{screen}"
    );
    assert!(
        screen.contains("customerId=c00001"),
        "decoded key field missing:\n{screen}"
    );
    assert!(
        screen.contains("\"email\""),
        "attributes missing:\n{screen}"
    );

    // e edits the item in $EDITOR; the diff is shown, y writes it.
    tmux(&["send-keys", "-t", &session.0, "e"]);
    let screen = wait_for(&session.0, "Confirm: update");
    assert!(
        screen.contains("name: ") && screen.contains("-> Smoke Edited"),
        "diff missing:\n{screen}"
    );
    tmux(&["send-keys", "-t", &session.0, "y"]);
    let screen = wait_for(&session.0, "done: update");
    assert!(
        screen.contains("\"Smoke Edited\""),
        "the detail view shows the item as written:\n{screen}"
    );
    let written = std::fs::read_to_string(&audit).expect("audit log written");
    assert!(written.contains("Smoke Edited"), "{written}");

    // Quit restores the terminal (the shell's pane is gone with the program).
    tmux(&["send-keys", "-t", &session.0, "q"]);
    let start = Instant::now();
    while Command::new("tmux")
        .args(["-L", &socket(), "has-session", "-t", &session.0])
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "dyntui did not quit on q"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn pane(session: &str, format: &str) -> String {
    tmux(&["display-message", "-p", "-t", session, format])
        .trim()
        .to_string()
}

/// Waits until `check` holds, or panics with the screen and `what`.
fn wait_until(session: &str, what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > Duration::from_secs(30) {
            panic!("{what} within 30 s; the screen:\n{}", capture(session));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_signal_restores_the_terminal_as_quitting_does() {
    let _server = Server::start();
    // SIGTERM, SIGINT and SIGHUP used to kill dyntui with the alternate
    // screen on, the cursor hidden and the terminal raw. The pane's shell
    // outlives dyntui here: it prints the exit code and the terminal modes,
    // then reads a line typed afterwards.
    let endpoint = common::endpoint();
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let pid_file = dir.path().join("pid");
        let script = dir.path().join("pane.sh");
        std::fs::write(
            &script,
            format!(
                r#"export AWS_ACCESS_KEY_ID=dummy AWS_SECRET_ACCESS_KEY=dummy AWS_REGION=us-east-1 XDG_STATE_HOME='{state}'
sh -c 'echo $$ > "$1"; exec "$2" --endpoint-url "$3" --log-file "$4"' sh '{pid}' '{bin}' '{endpoint}' '{log}'
echo "EXIT=$?"
echo "MODES=$(stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo)$' | tr '\n' ' ')"
printf 'type: '
read line
echo "got=$line"
sleep 600
"#,
                state = dir.path().display(),
                pid = pid_file.display(),
                bin = bin(),
                log = dir.path().join("dyntui.log").display(),
            ),
        )
        .expect("write the pane script");
        let session = Session(format!("dyntui-signal-{}-{signal}", std::process::id()));
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &session.0,
            "-x",
            "120",
            "-y",
            "30",
            "-c",
            &dir.path().display().to_string(),
            &format!("sh {}", script.display()),
        ]);
        wait_until(&session.0, "the TUI did not start", || {
            pane(&session.0, "#{alternate_on}") == "1" && capture(&session.0).contains("dyntui")
        });
        let pid = std::fs::read_to_string(&pid_file).expect("pid file");
        // Let it finish drawing and settle in its event loop.
        std::thread::sleep(Duration::from_millis(500));
        let kill = Command::new("kill")
            .args([format!("-{signal}"), pid.trim().to_string()])
            .status()
            .expect("kill");
        assert!(kill.success());
        let screen = wait_for(&session.0, "type:");
        assert!(
            screen.contains(&format!("EXIT={code}")),
            "SIG{signal}: exit code 128 + the signal:\n{screen}"
        );
        assert!(
            screen.contains("MODES=icanon echo"),
            "SIG{signal}: the terminal is back in cooked mode with echo:\n{screen}"
        );
        assert_eq!(
            pane(&session.0, "#{alternate_on}"),
            "0",
            "SIG{signal}: the alternate screen is left:\n{screen}"
        );
        assert_eq!(
            pane(&session.0, "#{cursor_flag}"),
            "1",
            "SIG{signal}: the cursor is visible"
        );
        tmux(&["send-keys", "-t", &session.0, "hello", "Enter"]);
        let screen = wait_for(&session.0, "got=hello");
        assert!(
            screen.contains("type: hello"),
            "SIG{signal}: typed input is echoed:\n{screen}"
        );
    }
}

/// Seeds the demo data into a new table named after `prefix`.
fn seed_demo(prefix: &str) -> String {
    let table = common::unique(prefix);
    // The demo's design without its stream: DynamoDB Local writes several
    // times slower to a streamed table, and several of these tests seed at
    // once (a seed timed out that way). These tests do not read the stream.
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(common::demo_design(&table).create(&common::db()))
        .expect("create the table");
    let seed = Command::new(bin())
        .args([
            "--endpoint-url",
            &common::endpoint(),
            "seed",
            "demo",
            "--table",
            &table,
            "--yes",
        ])
        .output()
        .expect("run dyntui seed");
    assert!(
        seed.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&seed.stderr)
    );
    table
}

/// The newest tmux paste buffer ("" when there is none).
fn buffer() -> String {
    tmux(&["show-buffer"])
}

#[test]
fn a_copy_inside_tmux_with_set_clipboard_on_lands_in_its_paste_buffer() {
    // The copy used to go out wrapped in tmux's DCS passthrough, which tmux
    // drops unless allow-passthrough is on, while the status line said
    // "copied". With set-clipboard on (what the README advises) tmux takes
    // the plain OSC 52 into a paste buffer; there is no outer terminal here,
    // so the buffer is where the copy shows.
    let _server = Server::start();
    tmux(&["set-option", "-g", "set-clipboard", "on"]);
    let table = seed_demo("smoke-copy");
    let session = Session(format!("dyntui-copy-{}", std::process::id()));
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");
    let log = std::env::temp_dir().join(format!("{}.log", session.0));
    // No display: the system clipboard is not an option, OSC 52 is.
    let cmd = format!(
        "env -u DISPLAY -u WAYLAND_DISPLAY {} --endpoint-url {} --config {config} --log-file {} --table {table}",
        bin(),
        common::endpoint(),
        log.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "200",
        "-y",
        "45",
        &cmd,
    ]);
    wait_for(&session.0, "scanned");
    tmux(&["send-keys", "-t", &session.0, "s"]);
    wait_for(&session.0, "Partition key (PK)");
    tmux(&[
        "send-keys",
        "-t",
        &session.0,
        "C-u",
        "CUSTOMER#c00001",
        "Enter",
    ]);
    // The scan's rows (a customer among them) stay on show until the
    // query's answer: wait for the query's own rows.
    wait_for(&session.0, "QUERY");
    wait_for(&session.0, "types of 2 loaded");
    assert_eq!(buffer(), "", "no paste buffer before the copy");

    // y on the items list copies the item under the cursor (the customer).
    tmux(&["send-keys", "-t", &session.0, "g", "y"]);
    let screen = wait_for(&session.0, "item as JSON");
    wait_until(&session.0, "no tmux paste buffer appeared", || {
        !buffer().is_empty()
    });
    let copied = buffer();
    let item: serde_json::Value = serde_json::from_str(&copied)
        .unwrap_or_else(|e| panic!("the buffer is not the item's JSON ({e}): {copied:?}"));
    assert_eq!(item["PK"], "CUSTOMER#c00001", "{copied}");
    assert_eq!(item["SK"], "CUSTOMER#c00001", "{copied}");
    assert!(
        screen.contains("sent item as JSON to tmux") && !screen.contains("copied item"),
        "the status line says it went to tmux, not that it was copied:\n{screen}"
    );

    // With set-clipboard back at tmux's default, tmux would drop the copy:
    // nothing is sent, and the status line says so and names the fix.
    tmux(&["set-option", "-g", "set-clipboard", "external"]);
    tmux(&["send-keys", "-t", &session.0, "y"]);
    let screen = wait_for(&session.0, "copy failed");
    assert!(
        screen.contains("set-clipboard is external") && screen.contains("set-clipboard on"),
        "{screen}"
    );
    assert_eq!(
        tmux(&["list-buffers", "-F", "#{buffer_name}"])
            .lines()
            .count(),
        1,
        "no second buffer"
    );
}

/// Waits until the screen contains `needle`, for at most `limit`.
fn wait_within(session: &str, needle: &str, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let screen = capture(session);
        if screen.contains(needle) {
            return screen;
        }
        if start.elapsed() > limit {
            panic!("`{needle}` did not appear within {limit:?}; the screen:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// A small demo table with the demo's stream (seeding the whole demo into a
/// table with a stream takes DynamoDB Local minutes).
fn small_demo_with_stream(prefix: &str) -> String {
    use dyntui::dynamo::demo::{DemoSize, generate};
    use dyntui::dynamo::seed::{Progress, WriteOptions, write_all};
    let table = common::unique(prefix);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let db = common::db();
        common::demo_design_with_stream(&table)
            .create(&db)
            .await
            .expect("create the table");
        let items = generate(
            42,
            DemoSize {
                customers: 30,
                products: 6,
                orders: 60,
                reviews: 20,
            },
        );
        write_all(
            &db,
            &table,
            items,
            &WriteOptions::default(),
            std::sync::Arc::new(Progress::default()),
        )
        .await
        .expect("write the items");
    });
    table
}

#[test]
fn the_drill_shows_a_hot_write_key_live_and_opens_its_items() {
    let _server = Server::start();
    let endpoint = common::endpoint();
    let table = small_demo_with_stream("drill");
    let session = Session(format!("dyntui-drill-{}", std::process::id()));
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");
    let cmd = format!(
        "{} --endpoint-url {endpoint} --config {config} --table {table}",
        bin()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "160",
        "-y",
        "45",
        &cmd,
    ]);
    wait_for(&session.0, "scanned");
    tmux(&["send-keys", "-t", &session.0, "C"]);
    wait_for(&session.0, "following");

    // The drill: one command, a hot partition at half of the writes.
    let mut load = Command::new(bin())
        .args([
            "--endpoint-url",
            &endpoint,
            "--config",
            config,
            "load",
            "--table",
            &table,
            "--rate",
            "50",
            "--hot-share",
            "0.5",
            "--for",
            "30s",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run dyntui load");
    // Seconds alone on a quiet machine; other tests seeding DynamoDB Local
    // at the same time slow the load's writes, hence the margin.
    let started = Instant::now();
    let screen = wait_within(
        &session.0,
        "hot write key suspected",
        Duration::from_secs(45),
    );
    eprintln!(
        "the hot write key showed {:?} after the load started",
        started.elapsed()
    );
    assert!(screen.contains("of writes"), "{screen}");
    assert!(screen.contains("MODIFY"), "changes listed:\n{screen}");
    let hot = screen
        .split("hot write key suspected: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .expect("the hot key")
        .to_string();
    // The hot key's partition, decoded, one key press away.
    tmux(&["send-keys", "-t", &session.0, "Tab"]);
    tmux(&["send-keys", "-t", &session.0, "Enter"]);
    // "QUERY" shows at once; the rows come with the answer.
    let start = Instant::now();
    let screen = loop {
        let screen = capture(&session.0);
        if screen.contains("QUERY")
            && screen.contains("types of")
            && !screen.contains("types of 0 loaded")
        {
            break screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the hot key's items did not load:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(150));
    };
    assert!(screen.contains(&hot), "the hot key's partition:\n{screen}");
    let types = screen
        .lines()
        .find(|l| l.starts_with("types of"))
        .unwrap_or_default();
    assert!(
        ["Customer ", "Product ", "Order ", "Review "]
            .iter()
            .any(|t| types.contains(t)),
        "items decoded by entity:\n{screen}"
    );
    let _ = load.kill();
    let _ = load.wait();
    tmux(&["send-keys", "-t", &session.0, "q"]);
}
