//! Migrations beyond declarative ops, against DynamoDB Local: the demo's
//! three migrations (rename, a transform script in Node, a key layout
//! change) up and down, command scripts, transform scripts that fail in
//! every way a script can (each refused with its stderr, the ledger marked
//! failed, no partial item), and a run whose DynamoDB Local is killed in
//! the middle, restarted and resumed: every item migrated exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use common::items::{dir_with, get, put, snapshot};
use common::{db, demo_design, unique};
use dyntui::dynamo::client::{Dynamo, TableInfo};
use dyntui::dynamo::migrate::{self, Direction, FileStatus, Migration, RunOptions, RunReport};
use dyntui::dynamo::{AttributeValue, Item};

const DEMO_MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/migrations");

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

async fn table_on(db: &Dynamo) -> TableInfo {
    let t = unique("mscript");
    demo_design(&t).create(db).await.expect("create table");
    db.describe(&t).await.expect("describe")
}

fn customer(i: u32, name: Option<&str>) -> Item {
    let id = format!("c{i:03}");
    let mut it = Item::new();
    it.insert("PK".into(), s(&format!("CUSTOMER#{id}")));
    it.insert("SK".into(), s(&format!("CUSTOMER#{id}")));
    it.insert("Type".into(), s("Customer"));
    it.insert("customerId".into(), s(&id));
    if let Some(name) = name {
        it.insert("name".into(), s(name));
    }
    it.insert(
        "marketingOptIn".into(),
        AttributeValue::Bool(i.is_multiple_of(2)),
    );
    // Types a plain-JSON script cannot express must survive it untouched.
    it.insert("big".into(), n("12345678901234567890123456789012345678"));
    it.insert(
        "tags".into(),
        AttributeValue::Ss(vec!["a".into(), "b".into()]),
    );
    it.insert(
        "blob".into(),
        AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![
            0u8, 159, 255, i as u8,
        ])),
    );
    it
}

fn review(product: u32, customer: u32, date: &str) -> Item {
    let mut it = Item::new();
    it.insert("PK".into(), s(&format!("PRODUCT#p{product:02}")));
    it.insert("SK".into(), s(&format!("REVIEW#{date}#c{customer:03}")));
    it.insert("Type".into(), s("Review"));
    it.insert("customerId".into(), s(&format!("c{customer:03}")));
    it.insert("reviewDate".into(), s(date));
    it.insert("rating".into(), n("4"));
    it.insert(
        "nums".into(),
        AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
    );
    it
}

fn opts() -> RunOptions {
    RunOptions {
        segments: 2,
        run_by: "tester".into(),
        ..RunOptions::default()
    }
}

fn stop() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

async fn run(db: &Dynamo, info: &TableInfo, m: &Migration, o: &RunOptions) -> RunReport {
    migrate::run(db, info, m, o, stop())
        .await
        .unwrap_or_else(|e| panic!("{} runs: {e}", m.id))
}

fn demo(id: &str) -> Migration {
    migrate::load_dir(Path::new(DEMO_MIGRATIONS))
        .expect("demo migrations load")
        .into_iter()
        .find(|m| m.matches(id))
        .expect("demo migration exists")
}

async fn status_of(db: &Dynamo, info: &TableInfo, m: &Migration) -> (FileStatus, Option<String>) {
    let st = migrate::status(db, info, std::slice::from_ref(m))
        .await
        .expect("status");
    let (f, e) = st.into_iter().next().expect("one status");
    (f, e.and_then(|e| e.error))
}

/// Items of the snapshot other than the ledger.
fn data(snap: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    snap.iter()
        .filter(|(k, _)| !k.contains("_dyntui#migrations"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// ----------------------------------------------------------------- the demo

#[tokio::test]
async fn demo_migrations_up_then_down_restore_the_table_exactly() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    let names = ["Ada Lovelace", "Grace Brewster Hopper", "Linus"];
    for (i, name) in names.iter().enumerate() {
        put(&db, &t, customer(i as u32, Some(name))).await;
    }
    put(&db, &t, customer(9, None)).await;
    for p in 0..3 {
        for c in 0..4 {
            put(&db, &t, review(p, c, &format!("2024-0{}-1{c}", p + 1))).await;
        }
    }
    let original = snapshot(&db, &t).await;

    // 001: rename.
    let m1 = demo("1");
    let r = run(&db, &info, &m1, &opts()).await;
    assert_eq!((r.counts.selected, r.counts.changed), (4, 4));
    let c0 = get(&db, &t, "CUSTOMER#c000", "CUSTOMER#c000").await;
    assert_eq!(c0.get("emailOptIn"), Some(&AttributeValue::Bool(true)));
    assert!(!c0.contains_key("marketingOptIn"));

    // 002: the Node transform script splits names; types it cannot express
    // in plain JSON (38-digit number, string set, binary) are kept exactly.
    let m2 = demo("2");
    assert_eq!(m2.kind(), "transform script");
    let r = run(&db, &info, &m2, &opts()).await;
    assert_eq!(
        (r.counts.selected, r.counts.changed, r.counts.unchanged),
        (4, 3, 1),
        "{:?}",
        r.counts
    );
    let want = [
        ("c000", "Ada", "Lovelace"),
        ("c001", "Grace", "Brewster Hopper"),
        ("c002", "Linus", ""),
    ];
    for (id, first, last) in want {
        let it = get(
            &db,
            &t,
            &format!("CUSTOMER#{id}"),
            &format!("CUSTOMER#{id}"),
        )
        .await;
        assert_eq!(it.get("firstName"), Some(&s(first)), "{id}");
        assert_eq!(it.get("lastName"), Some(&s(last)), "{id}");
        let orig = customer(0, None);
        for k in ["big", "tags"] {
            assert_eq!(it.get(k), orig.get(k), "{id}.{k} kept its type and value");
        }
        assert!(matches!(it.get("blob"), Some(AttributeValue::B(_))));
    }
    let nameless = get(&db, &t, "CUSTOMER#c009", "CUSTOMER#c009").await;
    assert!(!nameless.contains_key("firstName"));

    // 003: reviews move to REVIEW#<customer>#<date>, in transactions.
    let m3 = demo("3");
    let r = run(&db, &info, &m3, &opts()).await;
    assert_eq!(
        (r.counts.changed, r.counts.moved),
        (12, 12),
        "{:?}",
        r.counts
    );
    let moved = get(&db, &t, "PRODUCT#p01", "REVIEW#c002#2024-02-12").await;
    assert_eq!(moved.get("rating"), Some(&n("4")));
    assert_eq!(
        moved.get("nums"),
        Some(&AttributeValue::Ns(vec!["1".into(), "2.5".into()]))
    );
    let snap = data(&snapshot(&db, &t).await);
    assert_eq!(snap.len(), original.len(), "no review lost or duplicated");
    assert!(
        !snap.keys().any(|k| k.contains("REVIEW#2024")),
        "no review left under its old key"
    );
    // Running it again moves nothing (the new keys are a fixed point).
    let again = run(&db, &info, &m3, &opts()).await;
    assert_eq!((again.counts.changed, again.counts.unchanged), (0, 12));

    // Down, in reverse order: the table is exactly as it was.
    let down = RunOptions {
        direction: Direction::Down,
        ..opts()
    };
    for m in [&m3, &m2, &m1] {
        let r = run(&db, &info, m, &down).await;
        assert_eq!(r.direction, Direction::Down);
        assert_eq!(status_of(&db, &info, m).await.0, FileStatus::Reverted);
        assert!(FileStatus::Reverted.pending());
    }
    assert_eq!(data(&snapshot(&db, &t).await), original);
}

#[tokio::test]
async fn a_dry_run_of_scripts_and_key_moves_writes_nothing() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    put(&db, &t, customer(1, Some("Ada Lovelace"))).await;
    put(&db, &t, review(1, 1, "2024-01-01")).await;
    let before = snapshot(&db, &t).await;
    let dry = RunOptions {
        dry_run: true,
        ..opts()
    };
    for id in ["2", "3"] {
        let r = run(&db, &info, &demo(id), &dry).await;
        assert_eq!(r.counts.changed, 1, "{id}");
        assert_eq!(r.diffs.len(), 1, "{id}");
    }
    let r = run(&db, &info, &demo("3"), &dry).await;
    assert!(r.diffs[0].key.contains("(moved)"), "{:?}", r.diffs[0]);
    assert_eq!(
        snapshot(&db, &t).await,
        before,
        "no item and no ledger written"
    );
}

#[tokio::test]
async fn moving_onto_an_existing_key_is_refused_and_keeps_both_items() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    put(&db, &t, review(1, 1, "2024-01-01")).await;
    // Something already lives at the new key.
    let mut squatter = review(1, 1, "2024-01-01");
    squatter.insert("SK".into(), s("REVIEW#c001#2024-01-01"));
    squatter.insert("Type".into(), s("Other"));
    put(&db, &t, squatter).await;
    let before = snapshot(&db, &t).await;
    let m3 = demo("3");
    let err = migrate::run(&db, &info, &m3, &opts(), stop())
        .await
        .expect_err("the move collides");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(data(&snapshot(&db, &t).await), data(&before));
    assert_eq!(status_of(&db, &info, &m3).await.0, FileStatus::Failed);
}

#[tokio::test]
async fn a_set_key_that_is_not_a_fixed_point_is_refused_before_writing() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    put(&db, &t, review(1, 1, "2024-01-01")).await;
    let before = snapshot(&db, &t).await;
    let dir = dir_with(&[(
        "001_prefix.toml",
        "[select]\ntype = \"Review\"\n[[op]]\nset_key = { attribute = \"SK\", template = \"V2#{SK}\" }\n",
    )]);
    let ms = migrate::load_dir(dir.path()).expect("loads");
    let err = migrate::run(&db, &info, &ms[0], &opts(), stop())
        .await
        .expect_err("not idempotent");
    assert!(err.contains("not idempotent"), "{err}");
    assert_eq!(data(&snapshot(&db, &t).await), data(&before));
    // set_key on an attribute that is not a key, and set on a key: refused.
    for (text, want) in [
        (
            "[select]\n[[op]]\nset_key = { attribute = \"GSI1PK\", template = \"X\" }\n",
            "not a key attribute",
        ),
        (
            "[select]\n[[op]]\nset = { attribute = \"SK\", template = \"X\" }\n",
            "use set_key",
        ),
    ] {
        let dir = dir_with(&[("001_k.toml", text)]);
        let ms = migrate::load_dir(dir.path()).expect("loads");
        let e = migrate::check_against(&ms[0], &info).expect_err(want);
        assert!(e.to_string().contains(want), "{e}");
        assert!(e.to_string().contains("001_k.toml:2:1:"), "{e}");
    }
}

// ---------------------------------------------------------- command scripts

#[tokio::test]
async fn a_command_script_gets_the_connection_and_its_output_is_shown() {
    let db = db();
    let info = table_on(&db).await;
    let out = tempfile::tempdir().expect("tempdir");
    let env_file = out.path().join("env.txt");
    let script = format!(
        "echo starting\necho \"$DYNTUI_TABLE|$DYNTUI_ENDPOINT|$AWS_ENDPOINT_URL_DYNAMODB|$DYNTUI_REGION|$DYNTUI_DRY_RUN|$1\" > '{}'\necho done\n",
        env_file.display()
    );
    let dir = dir_with(&[
        (
            "001_cmd.toml",
            "description = \"own work\"\n[script]\nmode = \"command\"\ncommand = [\"sh\", \"./cmd.sh\", \"first arg with spaces\"]\ndry_run_args = [\"--dry-run\"]\n",
        ),
        ("cmd.sh", &script),
        (
            "002_fails.toml",
            "[script]\nmode = \"command\"\ncommand = [\"sh\", \"./fails.sh\"]\n",
        ),
        (
            "fails.sh",
            "echo 'cannot reach the payments API' >&2\nexit 3\n",
        ),
    ]);
    let ms = migrate::load_dir(dir.path()).expect("loads");
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let l2 = lines.clone();
    let o = RunOptions {
        events: Some(Arc::new(move |e| {
            if let migrate::RunEvent::Log(line) = e {
                l2.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        })),
        ..opts()
    };
    run(&db, &info, &ms[0], &o).await;
    let got = std::fs::read_to_string(&env_file).expect("the script ran");
    let ep = common::endpoint();
    assert_eq!(
        got.trim(),
        format!("{}|{ep}|{ep}|us-east-1|0|first arg with spaces", info.name)
    );
    let shown = lines.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        shown.contains(&"starting".to_string()) && shown.contains(&"done".to_string()),
        "{shown:?}"
    );
    assert_eq!(status_of(&db, &info, &ms[0]).await.0, FileStatus::Applied);

    // A dry run passes dry_run_args and DYNTUI_DRY_RUN=1.
    std::fs::remove_file(&env_file).expect("rm");
    let dry = RunOptions {
        dry_run: true,
        ..opts()
    };
    run(&db, &info, &ms[0], &dry).await;
    let got = std::fs::read_to_string(&env_file).expect("the script ran");
    assert!(got.trim().ends_with("|1|first arg with spaces"), "{got}");

    // A failing script: its stderr in the error and in the ledger.
    let err = migrate::run(&db, &info, &ms[1], &opts(), stop())
        .await
        .expect_err("exit 3");
    assert!(err.contains("exited with status 3"), "{err}");
    assert!(err.contains("cannot reach the payments API"), "{err}");
    let (st, ledger_err) = status_of(&db, &info, &ms[1]).await;
    assert_eq!(st, FileStatus::Failed);
    assert!(ledger_err.unwrap_or_default().contains("payments API"));
    // Without dry_run_args, a dry run does not start it.
    let r = run(&db, &info, &ms[1], &dry).await;
    assert!(r.note.unwrap_or_default().contains("not started"));
}

// ------------------------------------------------------ failing transforms

const PASSTHROUGH_HEAD: &str = "import { createInterface } from \"node:readline\";\nconst rl = createInterface({ input: process.stdin });\nlet n = 0;\nfor await (const line of rl) {\n  const item = JSON.parse(line);\n  n += 1;\n";

#[tokio::test]
async fn failing_transform_scripts_are_reported_and_write_nothing() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    for i in 0..30 {
        put(&db, &t, customer(i, Some("Ada Lovelace"))).await;
    }
    let before = snapshot(&db, &t).await;
    // Each script changes the first items correctly, then fails on a later
    // one: nothing of the page may be written.
    let cases: [(&str, String, &[&str]); 5] = [
        (
            "crash",
            format!(
                "{PASSTHROUGH_HEAD}  if (n === 20) {{ console.error(\"boom: no nickname on \" + item.PK); process.exit(2); }}\n  console.log(JSON.stringify({{ ...item, nick: \"x\" }}));\n}}\n"
            ),
            &["exited with status 2", "boom: no nickname on CUSTOMER#"],
        ),
        (
            "invalid_json",
            format!(
                "{PASSTHROUGH_HEAD}  console.error(\"writing item \" + n);\n  console.log(n === 20 ? \"{{not json\" : JSON.stringify({{ ...item, nick: \"x\" }}));\n}}\n"
            ),
            &["output line 20", "invalid JSON", "writing item 20"],
        ),
        (
            "key_change",
            format!(
                "{PASSTHROUGH_HEAD}  if (n === 20) item.SK = \"CHANGED\";\n  console.log(JSON.stringify({{ ...item, nick: \"x\" }}));\n}}\n"
            ),
            &["changed the key attribute `SK`", "must not change keys"],
        ),
        (
            "too_few_lines",
            format!("{PASSTHROUGH_HEAD}  if (n % 2) console.log(\"null\");\n}}\n"),
            &["printed 15 line(s) for 30 item(s)"],
        ),
        (
            "not_an_object",
            format!("{PASSTHROUGH_HEAD}  console.log(n === 20 ? \"42\" : \"null\");\n}}\n"),
            &["expected the item as a JSON object"],
        ),
    ];
    for (name, script, wants) in cases {
        let file = format!("{name}.mjs");
        let dir = dir_with(&[
            (
                "001_t.toml",
                &format!(
                    "[select]\ntype = \"Customer\"\n[script]\ncommand = [\"node\", \"./{file}\"]\n"
                ),
            ),
            (&file, &script),
        ]);
        let ms = migrate::load_dir(dir.path()).expect("loads");
        let o = RunOptions {
            segments: 1,
            ..opts()
        };
        let err = migrate::run(&db, &info, &ms[0], &o, stop())
            .await
            .expect_err(name);
        for want in wants {
            assert!(err.contains(want), "{name}: want {want:?} in {err}");
        }
        assert_eq!(
            data(&snapshot(&db, &t).await),
            data(&before),
            "{name}: no item written"
        );
        let (st, e) = status_of(&db, &info, &ms[0]).await;
        assert_eq!(st, FileStatus::Failed, "{name}");
        assert!(e.unwrap_or_default().contains(wants[0]), "{name}");
    }
    // A program that does not exist.
    let dir = dir_with(&[(
        "001_t.toml",
        "[select]\n[script]\ncommand = [\"dyntui-no-such-program\"]\n",
    )]);
    let ms = migrate::load_dir(dir.path()).expect("loads");
    let err = migrate::run(&db, &info, &ms[0], &opts(), stop())
        .await
        .expect_err("no program");
    assert!(
        err.contains("cannot start `dyntui-no-such-program`"),
        "{err}"
    );
}

#[test]
fn bad_script_sections_name_file_and_line() {
    let cases = [
        (
            "[select]\n[script]\ncommand = []\n",
            ":3:11: script.command is empty",
        ),
        (
            "[select]\n[script]\ncommand = [\"./missing.sh\"]\n",
            "does not exist",
        ),
        (
            "[select]\n[script]\ncommand = [\"node\"]\nmode = \"batch\"\n",
            ":4:8: script.mode `batch`",
        ),
        (
            "[select]\n[script]\ncommand = [\"node\"]\n[[op]]\nremove = { attribute = \"a\" }\n",
            "cannot be used together",
        ),
        (
            "[select]\n[script]\ncommand = [\"node\"]\nformat = \"xml\"\n",
            "script.format `xml`",
        ),
        (
            "[select]\ntype = \"A\"\n[script]\nmode = \"command\"\ncommand = [\"sh\"]\n",
            "does not apply to a command script",
        ),
        (
            "[select]\n[[op]]\nremove = { attribute = \"a\" }\n[down]\n",
            ":4:1: no [[down.op]] and no [down.script]",
        ),
    ];
    for (text, want) in cases {
        let dir = dir_with(&[("001_s.toml", text)]);
        let errs = migrate::load_dir(dir.path()).expect_err(want);
        let msg = errs[0].to_string();
        assert!(msg.contains("001_s.toml"), "{msg}");
        assert!(msg.contains(want), "want {want:?} in {msg}");
    }
    // Editing a script flags the migration as changed: the checksum covers it.
    let dir = dir_with(&[
        (
            "001_s.toml",
            "[select]\n[script]\ncommand = [\"node\", \"s.mjs\"]\n",
        ),
        ("s.mjs", "// v1\n"),
    ]);
    let a = migrate::load_dir(dir.path()).expect("loads")[0]
        .checksum
        .clone();
    std::fs::write(dir.path().join("s.mjs"), "// v2\n").expect("write");
    let b = migrate::load_dir(dir.path()).expect("loads")[0]
        .checksum
        .clone();
    assert_ne!(a, b);
}

// --------------------------------------------------------- crash and resume

/// A DynamoDB Local of this test's own, with its data on disk.
struct OwnDdb {
    port: u16,
    state: tempfile::TempDir,
    data: tempfile::TempDir,
}

impl OwnDdb {
    fn script() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dynamodb-local.sh")
    }

    fn start(&self) {
        let st = Command::new("bash")
            .arg(Self::script())
            .args(["start", "--port", &self.port.to_string(), "--db-path"])
            .arg(self.data.path())
            .env("DYNTUI_DDB_STATE", self.state.path())
            .status()
            .expect("run dynamodb-local.sh");
        assert!(st.success(), "DynamoDB Local (on disk) starts");
    }

    fn kill_hard(&self) {
        let pidfile = self.state.path().join(format!("ddb-{}.pid", self.port));
        let pid = std::fs::read_to_string(pidfile).expect("pid file");
        let st = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .expect("kill");
        assert!(st.success());
        // Until the port is free.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnDdb {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Self::script())
            .args(["stop", "--port", &self.port.to_string()])
            .env("DYNTUI_DDB_STATE", self.state.path())
            .status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn client(endpoint: &str) -> Dynamo {
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_dynamodb::config::Credentials;
    let config = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("dummy", "dummy", None, None, "test"),
        ))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(std::time::Duration::from_secs(5))
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
        .build();
    Dynamo::from_config(config, None, Some(endpoint.to_string()))
}

#[tokio::test]
async fn killed_dynamodb_local_mid_run_then_resume_migrates_each_item_exactly_once() {
    let ddb = OwnDdb {
        port: free_port(),
        state: tempfile::tempdir().expect("tempdir"),
        data: tempfile::tempdir().expect("tempdir"),
    };
    ddb.start();
    let db = client(&ddb.endpoint());
    let info = table_on(&db).await;
    let t = info.name.clone();
    const N: u32 = 400;
    let mut batch = Vec::new();
    for i in 0..N {
        let mut it = customer(i, Some("Ada Lovelace"));
        it.insert("tag".into(), s("v"));
        batch.push(it);
    }
    for it in batch {
        put(&db, &t, it).await;
    }
    // Not idempotent: applied twice, an item would read "v++".
    let dir = dir_with(&[(
        "001_tag.toml",
        "[select]\ntype = \"Customer\"\n[[op]]\nset = { attribute = \"tag\", template = \"{tag}+\" }\n",
    )]);
    let ms = migrate::load_dir(dir.path()).expect("loads");
    let state = tempfile::tempdir().expect("tempdir");
    let pages = Arc::new(AtomicU32::new(0));
    let p2 = pages.clone();
    let pid_file = ddb.state.path().join(format!("ddb-{}.pid", ddb.port));
    let hook: migrate::PageHook = Arc::new(move |_seg, _items: &[Item]| {
        let k = p2.fetch_add(1, Ordering::SeqCst);
        let pid_file = pid_file.clone();
        Box::pin(async move {
            if k == 4 {
                // Kill while this page's writes are in flight.
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(15));
                    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
                        let _ = Command::new("kill").args(["-9", pid.trim()]).status();
                    }
                });
            }
        })
    });
    let o = RunOptions {
        segments: 2,
        page_size: Some(40),
        concurrency: 4,
        state_dir: Some(state.path().to_path_buf()),
        hook: Some(hook),
        ..opts()
    };
    let first = migrate::run(&db, &info, &ms[0], &o, stop()).await;
    assert!(first.is_err(), "the run fails when DynamoDB Local dies");
    ddb.kill_hard_if_alive();
    assert!(
        migrate::MigrationCheckpoint::load(
            state.path(),
            &migrate::checkpoint_scope(&db, &t),
            &ms[0]
        )
        .is_some(),
        "a checkpoint is left"
    );
    ddb.start();
    let db = client(&ddb.endpoint());
    let partial: Vec<String> = tags(&db, &t).await;
    assert!(
        partial.iter().any(|t| t == "v+") && partial.iter().any(|t| t == "v"),
        "the crash happened mid-run: {:?}",
        count(&partial)
    );
    let o = RunOptions { hook: None, ..o };
    let r = run(&db, &info, &ms[0], &o).await;
    assert!(r.resumed);
    let all = tags(&db, &t).await;
    assert_eq!(all.len(), N as usize, "no item lost or added");
    assert_eq!(
        count(&all),
        BTreeMap::from([("v+".to_string(), N as usize)])
    );
    assert_eq!(status_of(&db, &info, &ms[0]).await.0, FileStatus::Applied);
    assert!(
        migrate::MigrationCheckpoint::load(
            state.path(),
            &migrate::checkpoint_scope(&db, &t),
            &ms[0]
        )
        .is_none()
    );
}

impl OwnDdb {
    fn kill_hard_if_alive(&self) {
        if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            self.kill_hard();
        }
    }
}

async fn tags(db: &Dynamo, t: &str) -> Vec<String> {
    snapshot(db, t)
        .await
        .into_iter()
        .filter(|(k, _)| !k.contains("_dyntui#migrations"))
        .map(|(_, v)| {
            v.split(',')
                .find_map(|kv| kv.strip_prefix("tag="))
                .map(|j| {
                    j.trim_start_matches("{\"S\":\"")
                        .trim_end_matches("\"}")
                        .to_string()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn count(tags: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for t in tags {
        *m.entry(t.clone()).or_insert(0) += 1;
    }
    m
}

// ------------------------------------------------------------- one at a time

#[tokio::test]
async fn a_second_run_of_a_migration_in_progress_is_refused_unless_forced() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    for i in 0..20 {
        put(&db, &t, customer(i, Some("Ada Lovelace"))).await;
    }
    let m1 = demo("1");
    let second = Arc::new(std::sync::Mutex::new(None));
    let (db2, info2, m2, s2) = (db.clone(), info.clone(), m1.clone(), second.clone());
    let started = Arc::new(AtomicBool::new(false));
    let hook: migrate::PageHook = Arc::new(move |_seg, _items: &[Item]| {
        let (db2, info2, m2, s2) = (db2.clone(), info2.clone(), m2.clone(), s2.clone());
        let first_page = !started.swap(true, Ordering::SeqCst);
        Box::pin(async move {
            if first_page {
                let r = migrate::run(&db2, &info2, &m2, &opts(), stop()).await;
                *s2.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            }
        })
    });
    let o = RunOptions {
        segments: 1,
        page_size: Some(5),
        hook: Some(hook),
        ..opts()
    };
    let r = run(&db, &info, &m1, &o).await;
    assert_eq!(r.counts.changed, 20, "the first run did all the work");
    let other = second
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("the second run was tried");
    let err = other.expect_err("refused while the first runs");
    assert!(err.contains("another run is in progress"), "{err}");
    assert_eq!(status_of(&db, &info, &m1).await.0, FileStatus::Applied);

    // A run that died leaves `running`: refused, unless forced.
    let ledger = migrate::Ledger::new(&info).expect("ledger");
    let mut e = migrate::status(&db, &info, std::slice::from_ref(&m1))
        .await
        .expect("status")[0]
        .1
        .clone()
        .expect("entry");
    e.status = "running".into();
    e.started_at = "2020-01-01T00:00:00Z".into();
    ledger.put(&db, &e).await.expect("put ledger");
    let err = migrate::run(&db, &info, &m1, &opts(), stop())
        .await
        .expect_err("refused");
    assert!(err.contains("--force"), "{err}");
    let forced = RunOptions {
        force: true,
        ..opts()
    };
    run(&db, &info, &m1, &forced).await;
    assert_eq!(status_of(&db, &info, &m1).await.0, FileStatus::Applied);
}

#[tokio::test]
async fn a_partition_selection_reads_one_partition_with_a_query() {
    let db = db();
    let info = table_on(&db).await;
    let t = info.name.clone();
    for c in 0..3 {
        put(&db, &t, customer(c, Some("Ada Lovelace"))).await;
        for o in 0..4 {
            let mut it = customer(c, None);
            it.insert("SK".into(), s(&format!("ORDER#{o}")));
            it.insert("Type".into(), s("Order"));
            put(&db, &t, it).await;
        }
    }
    let before = snapshot(&db, &t).await;
    let dir = dir_with(&[(
        "001_p.toml",
        "[select]\npk = \"CUSTOMER#c001\"\nkey_prefix = \"ORDER#\"\n[[op]]\nset = { attribute = \"touched\", template = \"yes\" }\n",
    )]);
    let ms = migrate::load_dir(dir.path()).expect("loads");
    assert_eq!(ms[0].up.select.partition.as_deref(), Some("CUSTOMER#c001"));
    let r = run(
        &db,
        &info,
        &ms[0],
        &RunOptions {
            page_size: Some(3),
            ..opts()
        },
    )
    .await;
    assert_eq!(
        (r.counts.selected, r.counts.changed),
        (4, 4),
        "{:?}",
        r.counts
    );
    let after = data(&snapshot(&db, &t).await);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed.len(), 4);
    assert!(
        changed
            .iter()
            .all(|k| k.contains("CUSTOMER#c001") && k.contains("ORDER#")),
        "{changed:?}"
    );
}
