//! Seed sets against DynamoDB Local (fresh tables per test), through
//! `dynamo::seeding` and through `dyntui seed`: exact counts, idempotent
//! re-runs, resets that remove exactly a set's items, interrupted runs that
//! resume from their checkpoint, every kind of bad input refused before
//! anything is written, protected tables, and missing tables created from the
//! design only when confirmed.
//!
//! The binary runs with stdin from /dev/null (no terminal), its state dir
//! (checkpoints) in a temporary directory, and the same dummy credentials
//! and region as the tests' own client (DynamoDB Local keeps one database per
//! access key and region).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test and benchmark code may fail loudly

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{db, demo_design, unique};
use dyntui::app::config::{Project, demo_project};
use dyntui::dynamo::client::Dynamo;
use dyntui::dynamo::demo::{DemoSize, generate};
use dyntui::dynamo::seed::{Progress, WriteOptions};
use dyntui::dynamo::seeding::{
    self, Checkpoint, DEFAULT_MARKER, RunOptions, SeedOutcome, SeedSet, SeedSettings, key_schema,
    validate_set,
};
use dyntui::dynamo::{AttributeValue, Item};

const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo/dyntui.toml");
const DEMO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo");

/// Items of the demo's `fixtures` file and `more-customers` generators.
const FIXTURES: u64 = 3;
const MORE_CUSTOMERS: u64 = 200 + 600;

fn demo_len() -> u64 {
    generate(42, DemoSize::default()).len() as u64
}

// ------------------------------------------------------------------ helpers

async fn count(db: &Dynamo, table: &str) -> u64 {
    seeding::count_items(db, table).await.expect("count items")
}

async fn exists(db: &Dynamo, table: &str) -> bool {
    match db.describe(table).await {
        Ok(_) => true,
        Err(e) if e.code == "ResourceNotFoundException" => false,
        Err(e) => panic!("describe {table}: {e}"),
    }
}

/// Every item of a table, every page.
async fn scan_all(db: &Dynamo, table: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let r = db
            .client()
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("scan");
        out.extend(r.items.unwrap_or_default());
        match r.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out
}

fn s(it: &Item, attr: &str) -> Option<String> {
    match it.get(attr) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

/// How many items carry each marker value (`None`: no marker).
async fn markers(db: &Dynamo, table: &str) -> BTreeMap<Option<String>, u64> {
    let mut m = BTreeMap::new();
    for it in scan_all(db, table).await {
        *m.entry(s(&it, DEFAULT_MARKER)).or_insert(0) += 1;
    }
    m
}

async fn put_plain(db: &Dynamo, table: &str, pk: &str, sk: &str) {
    db.client()
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(pk.into()))
        .item("SK", AttributeValue::S(sk.into()))
        .item("note", AttributeValue::S("not seeded".into()))
        .send()
        .await
        .expect("put item");
}

fn set_of(project: &Project, name: &str) -> SeedSet {
    dyntui::app::project::seed_sets::seed_sets(project)
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no seed set {name}"))
}

/// `seeding::run` as `dyntui seed` calls it.
#[allow(clippy::too_many_arguments)]
async fn run_lib(
    db: &Dynamo,
    project: &Project,
    set: &SeedSet,
    table: &str,
    base_dir: &Path,
    state_dir: Option<&Path>,
    write: WriteOptions,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<SeedOutcome, String> {
    let info = db.describe(table).await.expect("describe");
    let schema = key_schema(&info).expect("key schema");
    let v = validate_set(set, &project.decode, &schema, base_dir)?;
    assert!(v.errors.is_empty(), "invalid items: {:?}", v.errors);
    seeding::run(
        db,
        set,
        table,
        &project.decode,
        &schema,
        &project.seeding,
        base_dir,
        &RunOptions {
            write,
            skip_invalid: false,
            state_dir: state_dir.map(Path::to_path_buf),
            redactor: None,
        },
        progress,
        stop,
    )
    .await
}

async fn run_simple(
    db: &Dynamo,
    project: &Project,
    set: &SeedSet,
    table: &str,
    base_dir: &Path,
    state_dir: &Path,
) -> SeedOutcome {
    run_lib(
        db,
        project,
        set,
        table,
        base_dir,
        Some(state_dir),
        WriteOptions::default(),
        Arc::new(Progress::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("seed run")
}

/// Deletes exactly the set's items (what `dyntui seed --reset` does).
async fn reset_lib(db: &Dynamo, table: &str, set: &str) -> u64 {
    let info = db.describe(table).await.expect("describe");
    let keys = seeding::seeded_keys(db, table, &info, DEFAULT_MARKER, set)
        .await
        .expect("seeded keys");
    let n = keys.len() as u64;
    let r = seeding::delete_keys(
        db,
        table,
        keys,
        &WriteOptions::default(),
        Arc::new(Progress::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("delete");
    assert_eq!(r.written, n);
    n
}

struct Run {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `dyntui` with a project file, DynamoDB Local, a private state dir and
/// no terminal.
fn bin(config: &Path, state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dyntui"));
    c.arg("--config")
        .arg(config)
        .arg("--endpoint-url")
        .arg(common::endpoint())
        .arg("--log-file")
        .arg(state.join("dyntui.log"))
        .env("XDG_STATE_HOME", state)
        .env("AWS_ACCESS_KEY_ID", "dummy")
        .env("AWS_SECRET_ACCESS_KEY", "dummy")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .stdin(Stdio::null());
    c
}

fn run_bin(config: &Path, state: &Path, args: &[&str]) -> Run {
    let out = bin(config, state).args(args).output().expect("run dyntui");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The run id printed at the end of a successful `dyntui seed`.
fn run_id_of(r: &Run) -> String {
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("wrote "))
        .unwrap_or_else(|| panic!("no `wrote` line in\n{r}"));
    let (_, id) = line
        .rsplit_once("; run ")
        .unwrap_or_else(|| panic!("no run id in `{line}`"));
    id.trim().to_string()
}

// ------------------------------------------------------- a project on disk

/// The design and entities of the test projects (one design, so any table
/// name can be created from it).
const HEADER: &str = r#"[project]
name = "seedtest"

[decode]
type_attribute = "Type"

[[table]]
name = "seedtest-dev"
partition_key = { name = "PK", type = "S" }
sort_key = { name = "SK", type = "S" }

[[table.gsi]]
name = "ByEmail"
partition_key = { name = "GSI1PK", type = "S" }
sort_key = { name = "GSI1SK", type = "S" }
projection = "ALL"

[[table.gsi]]
name = "ByKind"
partition_key = { name = "kind", type = "S" }
projection = "KEYS_ONLY"

[[entity]]
name = "Customer"
pk = "CUSTOMER#{customerId}"
sk = "PROFILE"
[entity.index_keys]
GSI1PK = "EMAIL#{email}"
GSI1SK = "CUSTOMER#{customerId}"
"#;

/// Seed sets over the files written by [`write_files`].
const SETS: &str = r#"
[[seed]]
name = "good"
description = "60 valid items in a JSONL file and a JSON array"
files = ["data/good.jsonl", "data/good.json"]

[[seed]]
name = "gen"
seed = 9

[[seed.generator]]
entity = "Customer"
count = 130
[seed.generator.fields]
customerId = { sequence = 1, format = "c{:04}" }
name = { fake = "name" }
email = { fake = "email" }
tier = { choice = ["standard", "gold"] }
points = { int = [0, 1000] }
ref = { uuid = true }

[[seed]]
name = "malformed"
files = ["data/malformed.jsonl"]

[[seed]]
name = "missing-key"
files = ["data/missing-key.jsonl"]

[[seed]]
name = "wrong-type"
files = ["data/wrong-type.jsonl"]

[[seed]]
name = "oversize"
files = ["data/oversize.jsonl"]

[[seed]]
name = "truncated"
files = ["data/truncated.json"]
"#;

/// A set whose generator names an undeclared entity: the whole project file
/// is refused when it loads, naming the file and the set's line.
const GHOST: &str = r#"
[[seed]]
name = "ghost"

[[seed.generator]]
entity = "Nope"
count = 5
[seed.generator.fields]
id = { sequence = 1 }
"#;

const GOOD: u64 = 60;
const GEN: u64 = 130;

fn line(pk: &str, sk: &str) -> String {
    format!(r#"{{"PK":"{pk}","SK":"{sk}","Type":"Thing","n":1}}"#)
}

/// The data files of [`SETS`], under `dir/data`.
fn write_files(dir: &Path) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let w = |name: &str, text: String| std::fs::write(data.join(name), text).unwrap();

    // 40 lines, every fifth in DynamoDB JSON, a blank line and CRLF endings
    // in between; and a pretty JSON array of 20.
    let mut jsonl = String::new();
    for i in 0..40 {
        if i % 5 == 0 {
            jsonl.push_str(&format!(
                r#"{{"PK":{{"S":"GOOD#{i:03}"}},"SK":{{"S":"LINE"}},"Type":{{"S":"Thing"}},"n":{{"N":"{i}"}},"tags":{{"SS":["a","b"]}}}}"#
            ));
        } else {
            jsonl.push_str(&format!(
                r#"{{"PK":"GOOD#{i:03}","SK":"LINE","Type":"Thing","n":{i},"big":12345678901234567890.5,"nested":{{"l":[1,"x",null]}}}}"#
            ));
        }
        jsonl.push_str(if i % 7 == 0 { "\r\n" } else { "\n" });
        if i == 20 {
            jsonl.push('\n');
        }
    }
    w("good.jsonl", jsonl);
    let arr: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "  {{\n    \"PK\": \"GOOD#{i:03}\",\n    \"SK\": \"ARRAY\",\n    \"n\": {i}\n  }}"
            )
        })
        .collect();
    w("good.json", format!("[\n{}\n]\n", arr.join(",\n")));

    // Line 3 is not JSON; 4 valid.
    w(
        "malformed.jsonl",
        [
            line("BAD#1", "A"),
            line("BAD#2", "A"),
            r#"{"PK":"BAD#3","SK": "A", "n": }"#.to_string(),
            line("BAD#4", "A"),
            line("BAD#5", "A"),
        ]
        .join("\n")
            + "\n",
    );
    // Line 4 has no sort key; 4 valid.
    w(
        "missing-key.jsonl",
        [
            line("MISS#1", "A"),
            line("MISS#2", "A"),
            line("MISS#3", "A"),
            r#"{"PK":"MISS#4","Type":"Thing"}"#.to_string(),
            line("MISS#5", "A"),
        ]
        .join("\n")
            + "\n",
    );
    // Line 2's partition key is a number; 4 valid.
    w(
        "wrong-type.jsonl",
        [
            line("TYPE#1", "A"),
            r#"{"PK":12,"SK":"A"}"#.to_string(),
            line("TYPE#3", "A"),
            line("TYPE#4", "A"),
            line("TYPE#5", "A"),
        ]
        .join("\n")
            + "\n",
    );
    // Line 2 is over 400 KB; 2 valid.
    w(
        "oversize.jsonl",
        [
            line("BIG#1", "A"),
            format!(
                r#"{{"PK":"BIG#2","SK":"A","blob":"{}"}}"#,
                "x".repeat(410_000)
            ),
            line("BIG#3", "A"),
        ]
        .join("\n")
            + "\n",
    );
    // An array cut off inside its fourth item (which starts on line 5); 3
    // valid.
    w(
        "truncated.json",
        "[\n  {\"PK\": \"CUT#1\", \"SK\": \"A\"},\n  {\"PK\": \"CUT#2\", \"SK\": \"A\"},\n  {\"PK\": \"CUT#3\", \"SK\": \"A\"},\n  {\"PK\": \"CUT#4\",\n   \"SK\": \"A\", \"note\": \"cut he"
            .to_string(),
    );
}

/// A project directory: `dyntui.toml` = header + `extra`, data files, and a
/// state dir for the binary.
struct Proj {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Proj {
    fn new(extra: &str) -> Proj {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path());
        std::fs::write(dir.path().join("dyntui.toml"), format!("{HEADER}{extra}")).unwrap();
        Proj {
            dir,
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn with_sets() -> Proj {
        Proj::new(SETS)
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("dyntui.toml")
    }

    fn file(&self, name: &str) -> String {
        self.dir
            .path()
            .join("data")
            .join(name)
            .display()
            .to_string()
    }

    fn project(&self) -> Project {
        Project::load(&self.config()).expect("project loads")
    }

    fn run(&self, args: &[&str]) -> Run {
        run_bin(&self.config(), self.state.path(), args)
    }
}

fn demo_run(state: &Path, args: &[&str]) -> Run {
    run_bin(Path::new(DEMO_CONFIG), state, args)
}

// ------------------------------------------------- exact and idempotent

#[tokio::test]
async fn a_file_set_seeds_exactly_its_items_and_again_the_same() {
    let db = db();
    let p = Proj::with_sets();
    let project = p.project();
    let t = unique("seed-files");
    demo_design(&t).create(&db).await.expect("create");
    let set = set_of(&project, "good");
    let first = run_simple(&db, &project, &set, &t, p.dir.path(), p.state.path()).await;
    assert_eq!(first.report.written, GOOD);
    assert!(!first.report.stopped);
    assert_eq!((first.resumed_from_batch, first.skipped_invalid), (0, 0));
    assert_eq!(count(&db, &t).await, GOOD);
    assert!(
        !Checkpoint::path(p.state.path(), "good", &t).exists(),
        "the checkpoint is removed after a complete run"
    );
    let m = markers(&db, &t).await;
    assert_eq!(
        m,
        BTreeMap::from([(Some(format!("good#{}", first.run_id)), GOOD)])
    );

    // Again: the same items (puts), a new run id.
    let second = run_simple(&db, &project, &set, &t, p.dir.path(), p.state.path()).await;
    assert_eq!(second.report.written, GOOD);
    assert_ne!(second.run_id, first.run_id);
    assert_eq!(count(&db, &t).await, GOOD);
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(Some(format!("good#{}", second.run_id)), GOOD)])
    );

    // The values made it as written: numbers keep their text, sets and
    // nested values their types.
    let items = scan_all(&db, &t).await;
    let one = items
        .iter()
        .find(|i| {
            s(i, "PK").as_deref() == Some("GOOD#001") && s(i, "SK").as_deref() == Some("LINE")
        })
        .expect("GOOD#001");
    assert_eq!(
        one.get("big"),
        Some(&AttributeValue::N("12345678901234567890.5".into()))
    );
    let five = items
        .iter()
        .find(|i| {
            s(i, "PK").as_deref() == Some("GOOD#005") && s(i, "SK").as_deref() == Some("LINE")
        })
        .expect("GOOD#005");
    assert_eq!(five.get("n"), Some(&AttributeValue::N("5".into())));
    assert!(matches!(five.get("tags"), Some(AttributeValue::Ss(v)) if v.len() == 2));
}

#[tokio::test]
async fn a_generator_set_seeds_exactly_its_items_and_again_the_same() {
    let db = db();
    let project = demo_project().unwrap();
    let t = unique("seed-gen");
    demo_design(&t).create(&db).await.expect("create");
    let set = set_of(&project, "more-customers");
    let state = tempfile::tempdir().unwrap();
    let first = run_simple(&db, &project, &set, &t, Path::new(DEMO_DIR), state.path()).await;
    assert_eq!(first.report.written, MORE_CUSTOMERS);
    assert_eq!(count(&db, &t).await, MORE_CUSTOMERS);
    let before: BTreeSet<(Option<String>, Option<String>)> = scan_all(&db, &t)
        .await
        .iter()
        .map(|i| (s(i, "PK"), s(i, "SK")))
        .collect();
    let second = run_simple(&db, &project, &set, &t, Path::new(DEMO_DIR), state.path()).await;
    assert_eq!(second.report.written, MORE_CUSTOMERS);
    assert_eq!(count(&db, &t).await, MORE_CUSTOMERS);
    let after: BTreeSet<(Option<String>, Option<String>)> = scan_all(&db, &t)
        .await
        .iter()
        .map(|i| (s(i, "PK"), s(i, "SK")))
        .collect();
    assert_eq!(before, after, "the same seed number makes the same keys");
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(
            Some(format!("more-customers#{}", second.run_id)),
            MORE_CUSTOMERS
        )])
    );
}

#[tokio::test]
async fn the_demo_builtin_seeds_exactly_its_items_and_again_the_same() {
    let db = db();
    let project = demo_project().unwrap();
    let t = unique("seed-demo");
    demo_design(&t).create(&db).await.expect("create");
    let set = set_of(&project, "demo");
    let n = demo_len();
    let state = tempfile::tempdir().unwrap();
    let first = run_simple(&db, &project, &set, &t, Path::new(DEMO_DIR), state.path()).await;
    assert_eq!(first.report.written, n);
    assert_eq!(count(&db, &t).await, n);
    let second = run_simple(&db, &project, &set, &t, Path::new(DEMO_DIR), state.path()).await;
    assert_eq!(second.report.written, n);
    assert_eq!(count(&db, &t).await, n);
}

#[tokio::test]
async fn the_binary_seeds_the_demo_exactly_and_again_the_same() {
    let db = db();
    let state = tempfile::tempdir().unwrap();
    let t = unique("seed-bin-demo");
    let n = demo_len();
    let r = demo_run(state.path(), &["seed", "demo", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert!(
        r.stderr
            .contains(&format!("wrote {n} items of `demo` to {t}")),
        "{r}"
    );
    assert_eq!(count(&db, &t).await, n);
    let first = run_id_of(&r);
    let r = demo_run(state.path(), &["seed", "demo", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, n);
    let second = run_id_of(&r);
    assert_ne!(first, second);
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(Some(format!("demo#{second}")), n)])
    );
    // No checkpoint is left behind.
    let left: Vec<_> = std::fs::read_dir(state.path().join("dyntui"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !left
            .iter()
            .any(|f| f.to_string_lossy().starts_with("seed-")),
        "{left:?}"
    );
}

#[tokio::test]
async fn the_binary_seeds_file_and_generator_sets_exactly_and_again_the_same() {
    let db = db();
    let p = Proj::with_sets();
    let t = unique("seed-bin-sets");
    let r = p.run(&["seed", "good", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, GOOD);
    let r = p.run(&["seed", "gen", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!("wrote {GEN} items of `gen`")),
        "{r}"
    );
    assert_eq!(count(&db, &t).await, GOOD + GEN);
    for set in ["good", "gen"] {
        let r = p.run(&["seed", set, "--table", &t, "--yes"]);
        assert!(r.ok, "{r}");
        assert_eq!(
            count(&db, &t).await,
            GOOD + GEN,
            "after seeding {set} again"
        );
    }
    // A different seed number makes other values for the same keys.
    let r = p.run(&["seed", "gen", "--table", &t, "--seed", "10", "--yes"]);
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, GOOD + GEN);
    // And --list shows the sets.
    let r = p.run(&["seed", "--list"]);
    assert!(r.ok, "{r}");
    for name in ["good", "gen", "malformed", "demo"] {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(name)),
            "{name} not listed:\n{r}"
        );
    }
}

// ---------------------------------------------------------------- reset

#[tokio::test]
async fn reset_removes_exactly_the_sets_items() {
    let db = db();
    let project = demo_project().unwrap();
    let t = unique("seed-reset");
    demo_design(&t).create(&db).await.expect("create");
    let state = tempfile::tempdir().unwrap();
    let dir = Path::new(DEMO_DIR);
    run_simple(
        &db,
        &project,
        &set_of(&project, "fixtures"),
        &t,
        dir,
        state.path(),
    )
    .await;
    let more = set_of(&project, "more-customers");
    // Two runs of the same set: reset finds the items of either.
    run_simple(&db, &project, &more, &t, dir, state.path()).await;
    run_simple(&db, &project, &more, &t, dir, state.path()).await;
    put_plain(&db, &t, "HAND#1", "MADE").await;
    assert_eq!(count(&db, &t).await, FIXTURES + MORE_CUSTOMERS + 1);

    assert_eq!(reset_lib(&db, &t, "more-customers").await, MORE_CUSTOMERS);
    assert_eq!(count(&db, &t).await, FIXTURES + 1);
    let left = scan_all(&db, &t).await;
    let fixtures = left
        .iter()
        .filter(|i| s(i, "PK").is_some_and(|p| p.starts_with("FIXTURE#")))
        .count();
    assert_eq!(fixtures as u64, FIXTURES);
    assert!(left.iter().any(|i| s(i, "PK").as_deref() == Some("HAND#1")));
    // Nothing left to reset; the fixtures reset on their own.
    assert_eq!(reset_lib(&db, &t, "more-customers").await, 0);
    assert_eq!(reset_lib(&db, &t, "fixtures").await, FIXTURES);
    assert_eq!(count(&db, &t).await, 1);
}

#[tokio::test]
async fn reset_through_the_binary_removes_exactly_the_sets_items() {
    let db = db();
    let state = tempfile::tempdir().unwrap();
    let t = unique("seed-bin-reset");
    for set in ["fixtures", "more-customers"] {
        let r = demo_run(state.path(), &["seed", set, "--table", &t, "--yes"]);
        assert!(r.ok, "{r}");
    }
    put_plain(&db, &t, "HAND#1", "MADE").await;
    assert_eq!(count(&db, &t).await, FIXTURES + MORE_CUSTOMERS + 1);

    // Without --yes and without a terminal: refused, nothing deleted.
    let r = demo_run(
        state.path(),
        &["seed", "more-customers", "--reset", "--table", &t],
    );
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("pass --yes"), "{r}");
    assert_eq!(count(&db, &t).await, FIXTURES + MORE_CUSTOMERS + 1);

    let r = demo_run(
        state.path(),
        &["seed", "more-customers", "--reset", "--table", &t, "--yes"],
    );
    assert!(r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "{MORE_CUSTOMERS} items of seed set `more-customers` in `{t}`"
        )),
        "{r}"
    );
    assert!(
        r.stderr.contains(&format!(
            "deleted {MORE_CUSTOMERS} of {MORE_CUSTOMERS} items"
        )),
        "{r}"
    );
    assert_eq!(count(&db, &t).await, FIXTURES + 1);
    let m = markers(&db, &t).await;
    assert_eq!(m.get(&None), Some(&1), "{m:?}");
    assert_eq!(
        m.iter()
            .filter(|(k, _)| k.as_deref().is_some_and(|k| k.starts_with("fixtures#")))
            .map(|(_, n)| n)
            .sum::<u64>(),
        FIXTURES
    );

    // Again: nothing to delete.
    let r = demo_run(
        state.path(),
        &["seed", "more-customers", "--reset", "--table", &t, "--yes"],
    );
    assert!(r.ok, "{r}");
    assert!(
        r.stderr.contains("0 items of seed set `more-customers`"),
        "{r}"
    );
    assert_eq!(count(&db, &t).await, FIXTURES + 1);
}

#[tokio::test]
async fn reset_with_markers_off_refuses_clearly() {
    let db = db();
    let p = Proj::new(
        "\n[seeding]\nmarker_attribute = \"\"\n\n[[seed]]\nname = \"good\"\nfiles = [\"data/good.jsonl\", \"data/good.json\"]\n",
    );
    let project = p.project();
    assert_eq!(project.seeding.marker_attribute, None);
    let t = unique("seed-nomarker");
    let r = p.run(&["seed", "good", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, GOOD);
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(None, GOOD)]),
        "no marker attribute on the items"
    );
    let r = p.run(&["seed", "good", "--reset", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("markers are off"), "{r}");
    assert!(r.stderr.contains("cannot be found"), "{r}");
    assert_eq!(count(&db, &t).await, GOOD);

    // Through the library: no marker is written either.
    let t2 = unique("seed-nomarker-lib");
    demo_design(&t2).create(&db).await.expect("create");
    let out = run_simple(
        &db,
        &project,
        &set_of(&project, "good"),
        &t2,
        p.dir.path(),
        p.state.path(),
    )
    .await;
    assert_eq!(out.report.written, GOOD);
    assert_eq!(markers(&db, &t2).await, BTreeMap::from([(None, GOOD)]));
}

// --------------------------------------------------------------- resume

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_resumes_from_its_checkpoint_and_ends_exact() {
    let db = db();
    let project = demo_project().unwrap();
    let t = unique("seed-resume");
    demo_design(&t).create(&db).await.expect("create");
    let set = set_of(&project, "more-customers");
    let state = tempfile::tempdir().unwrap();
    let dir = Path::new(DEMO_DIR);
    let total_batches = MORE_CUSTOMERS.div_ceil(25);
    let one_at_a_time = WriteOptions {
        concurrency: 1,
        ..WriteOptions::default()
    };

    // Stop once 200 items are written.
    let progress = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (p, s) = (progress.clone(), stop.clone());
        tokio::spawn(async move {
            while p.written.load(Ordering::Relaxed) < 200 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            s.store(true, Ordering::Relaxed);
        })
    };
    let first = run_lib(
        &db,
        &project,
        &set,
        &t,
        dir,
        Some(state.path()),
        one_at_a_time.clone(),
        progress,
        stop,
    )
    .await
    .expect("first run");
    watcher.abort();
    assert!(first.report.stopped, "{first:?}");
    assert_eq!(first.resumed_from_batch, 0);
    let done = first.report.batches_done;
    assert!(done >= 8 && done < total_batches, "{first:?}");
    assert_eq!(first.report.written, done * 25);
    assert_eq!(count(&db, &t).await, done * 25);
    let path = Checkpoint::path(state.path(), "more-customers", &t);
    assert!(path.is_file(), "no checkpoint at {}", path.display());
    let cp = Checkpoint::load(state.path(), "more-customers", &t).expect("checkpoint");
    assert_eq!(cp.batches_done, done);
    assert_eq!(cp.run_id, first.run_id);
    assert_eq!(
        (cp.seed, cp.set.as_str(), cp.table.as_str()),
        (7, "more-customers", t.as_str())
    );

    // Run again: it picks up after the batches done, under the same run id.
    let second = run_lib(
        &db,
        &project,
        &set,
        &t,
        dir,
        Some(state.path()),
        one_at_a_time,
        Arc::new(Progress::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .expect("second run");
    assert!(!second.report.stopped);
    assert_eq!(second.resumed_from_batch, done);
    assert_eq!(second.run_id, first.run_id);
    assert_eq!(second.report.written, MORE_CUSTOMERS - done * 25);
    assert_eq!(second.report.batches_done, total_batches);
    assert_eq!(count(&db, &t).await, MORE_CUSTOMERS);
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(
            Some(format!("more-customers#{}", first.run_id)),
            MORE_CUSTOMERS
        )])
    );
    assert!(!path.exists(), "the checkpoint is removed after completion");
    // A reset finds every item of the two halves.
    assert_eq!(reset_lib(&db, &t, "more-customers").await, MORE_CUSTOMERS);
    assert_eq!(count(&db, &t).await, 0);
}

#[tokio::test]
async fn a_checkpoint_of_another_seed_number_is_not_resumed() {
    let db = db();
    let project = demo_project().unwrap();
    let t = unique("seed-otherseed");
    demo_design(&t).create(&db).await.expect("create");
    let state = tempfile::tempdir().unwrap();
    let set = set_of(&project, "fixtures");
    Checkpoint {
        set: "fixtures".into(),
        table: t.clone(),
        run_id: "01OLDRUN".into(),
        seed: set.seed + 1,
        batches_done: 1,
        fingerprint: set.fingerprint(Path::new(DEMO_DIR)).unwrap(),
    }
    .save(state.path())
    .unwrap();
    let out = run_simple(&db, &project, &set, &t, Path::new(DEMO_DIR), state.path()).await;
    assert_eq!(out.resumed_from_batch, 0);
    assert_ne!(out.run_id, "01OLDRUN");
    assert_eq!(out.report.written, FIXTURES);
    assert_eq!(count(&db, &t).await, FIXTURES);
}

#[tokio::test]
async fn the_binary_stopped_by_ctrl_c_resumes_on_the_next_run() {
    let db = db();
    let state = tempfile::tempdir().unwrap();
    let t = unique("seed-bin-sigint");
    let n = demo_len();
    // Slowed down so it is surely mid-way when interrupted.
    let mut child = bin(Path::new(DEMO_CONFIG), state.path())
        .args([
            "seed",
            "demo",
            "--table",
            &t,
            "--yes",
            "--concurrency",
            "1",
            "--rate-limit",
            "800",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dyntui");
    let cp = Checkpoint::path(&state.path().join("dyntui"), "demo", &t);
    let began = std::time::Instant::now();
    while !cp.is_file() {
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "no checkpoint at {}",
            cp.display()
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("dyntui ended before writing: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not finished: scripts must not take it for success (130 = 128 + SIGINT).
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped:"), "{stderr}");
    let saved = Checkpoint::load(&state.path().join("dyntui"), "demo", &t).expect("checkpoint");
    assert!(saved.batches_done > 0, "{saved:?}");
    let written = count(&db, &t).await;
    assert!(written > 0 && written < n, "{written} of {n}");
    assert_eq!(written, saved.batches_done * 25);

    let r = demo_run(state.path(), &["seed", "demo", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "resuming the interrupted run {} after {} items",
            saved.run_id,
            saved.batches_done * 25
        )),
        "{r}"
    );
    assert_eq!(run_id_of(&r), saved.run_id);
    assert_eq!(count(&db, &t).await, n);
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(Some(format!("demo#{}", saved.run_id)), n)])
    );
    assert!(!cp.exists(), "checkpoint left at {}", cp.display());
}

// ------------------------------------------------------------ bad input

/// A set that fails validation: the binary exits non-zero naming `what`
/// (file and line), writes nothing; with --skip-invalid it writes the
/// `valid` items.
async fn refuses_then_skips(set: &str, what: &[String], valid: u64) {
    let db = db();
    let p = Proj::with_sets();
    let t = unique(&format!("seed-bad-{set}"));
    let r = p.run(&["seed", set, "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    assert_eq!(r.code, Some(1), "{r}");
    for w in what {
        assert!(r.stderr.contains(w.as_str()), "`{w}` not in\n{r}");
    }
    assert!(r.stderr.contains("nothing written"), "{r}");
    if exists(&db, &t).await {
        assert_eq!(count(&db, &t).await, 0, "written despite the error");
    }

    let r = p.run(&["seed", set, "--table", &t, "--yes", "--skip-invalid"]);
    assert!(r.ok, "{r}");
    assert!(r.stderr.contains(&format!("wrote {valid} items")), "{r}");
    assert!(r.stderr.contains("invalid skipped"), "{r}");
    assert_eq!(count(&db, &t).await, valid);
}

#[tokio::test]
async fn a_malformed_json_line_is_refused_with_file_and_line() {
    refuses_then_skips(
        "malformed",
        &["malformed.jsonl:3: ".into(), "1 invalid items".into()],
        4,
    )
    .await;
}

#[tokio::test]
async fn a_missing_key_is_refused_with_file_and_line() {
    refuses_then_skips(
        "missing-key",
        &[
            "missing-key.jsonl:4: the sort key `SK` is missing".into(),
            "1 invalid items".into(),
        ],
        4,
    )
    .await;
}

#[tokio::test]
async fn a_wrong_key_type_is_refused_with_file_and_line() {
    refuses_then_skips(
        "wrong-type",
        &["wrong-type.jsonl:2: `PK` must be a string (S), got a number (N)".into()],
        4,
    )
    .await;
}

#[tokio::test]
async fn an_oversize_item_is_refused_with_file_and_line() {
    refuses_then_skips(
        "oversize",
        &[
            "oversize.jsonl:2: the item is".into(),
            "at most 409,600 bytes (400 KB)".into(),
        ],
        2,
    )
    .await;
}

#[tokio::test]
async fn a_truncated_json_array_is_refused_with_file_and_line() {
    refuses_then_skips(
        "truncated",
        &["truncated.json:5: truncated: the file ends inside an item".into()],
        3,
    )
    .await;
}

#[tokio::test]
async fn every_error_is_reported_with_its_file_path() {
    // The message names the file by its path in the project directory.
    let db = db();
    let p = Proj::with_sets();
    let t = unique("seed-bad-path");
    let r = p.run(&["seed", "malformed", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    let want = format!("invalid: {}:3: ", p.file("malformed.jsonl"));
    assert!(r.stderr.contains(&want), "`{want}` not in\n{r}");
    if exists(&db, &t).await {
        assert_eq!(count(&db, &t).await, 0);
    }
}

#[tokio::test]
async fn an_unknown_generator_entity_is_refused_and_nothing_written() {
    let db = db();
    let p = Proj::new(GHOST);
    let t = unique("seed-bad-ghost");
    for extra in [&[][..], &["--skip-invalid"][..]] {
        let mut args = vec!["seed", "ghost", "--table", t.as_str(), "--yes"];
        args.extend_from_slice(extra);
        let r = p.run(&args);
        assert!(!r.ok, "{r}");
        assert_eq!(r.code, Some(1), "{r}");
        assert!(r.stderr.contains("seed set `ghost`"), "{r}");
        assert!(
            r.stderr.contains(
                "generator 1 names entity `Nope`, which is not declared (declared: Customer)"
            ),
            "{r}"
        );
        if exists(&db, &t).await {
            assert_eq!(count(&db, &t).await, 0);
        }
    }
}

/// The line of `[[seed]]` that declares set `name` in `src`.
fn seed_line(src: &str, name: &str) -> usize {
    let lines: Vec<&str> = src.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == format!("name = \"{name}\""))
        .expect("set in the file");
    lines[..at]
        .iter()
        .rposition(|l| l.trim() == "[[seed]]")
        .expect("[[seed]] header")
        + 1
}

#[tokio::test]
async fn an_unknown_generator_entity_names_the_config_line() {
    let p = Proj::new(GHOST);
    let src = std::fs::read_to_string(p.config()).unwrap();
    let t = unique("seed-bad-ghost-line");
    let r = p.run(&["seed", "ghost", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    let want = format!("{}:{}", p.config().display(), seed_line(&src, "ghost"));
    assert!(r.stderr.contains(&want), "`{want}` not in\n{r}");
}

#[tokio::test]
async fn a_bad_generator_rule_is_a_config_error_with_its_line() {
    let db = db();
    let extra = r#"
[[seed]]
name = "fine"
files = ["data/good.jsonl"]

[[seed]]
name = "bad-rule"

[[seed.generator]]
entity = "Customer"
count = 10
[seed.generator.fields]
customerId = { sequence = 1 }
email = { fake = "email" }
age = { int = [5, 1] }
"#;
    let p = Proj::new(extra);
    let src = std::fs::read_to_string(p.config()).unwrap();
    let t = unique("seed-bad-rule");
    for set in ["bad-rule", "fine"] {
        let r = p.run(&["seed", set, "--table", &t, "--yes", "--skip-invalid"]);
        assert!(!r.ok, "{r}");
        assert_eq!(r.code, Some(1), "{r}");
        let want = format!("{}:{}", p.config().display(), seed_line(&src, "bad-rule"));
        assert!(r.stderr.contains(&want), "`{want}` not in\n{r}");
        assert!(
            r.stderr.contains(
                "seed set `bad-rule`: generator `Customer`: field `age`: int min 5 > max 1"
            ),
            "{r}"
        );
        // The project is refused before anything is asked of DynamoDB.
        assert!(!exists(&db, &t).await, "table {t} created");
    }
    // Project::parse says the same, naming the file it is given.
    let e = Project::parse("dyntui.toml", &src).expect_err("refused");
    assert_eq!(e.line, Some(seed_line(&src, "bad-rule")));
    assert!(e.to_string().contains("int min 5 > max 1"), "{e}");
}

// ------------------------------------------------------------ protection

#[tokio::test]
async fn a_protected_table_name_needs_allow_and_confirmation() {
    let db = db();
    let p = Proj::with_sets();
    let t = unique("x-prod-y");
    let r = p.run(&["seed", "good", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "refusing to seed `{t}`: table `{t}` matches the protected pattern `*prod*`"
        )),
        "{r}"
    );
    assert!(r.stderr.contains("--allow-protected"), "{r}");
    assert!(!exists(&db, &t).await);

    // Allowed but not confirmed, and no terminal to ask on.
    let r = p.run(&["seed", "good", "--table", &t, "--yes", "--allow-protected"]);
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!("pass --confirm-table {t}")),
        "{r}"
    );
    assert!(!exists(&db, &t).await);

    // Confirmed with another name.
    let r = p.run(&[
        "seed",
        "good",
        "--table",
        &t,
        "--yes",
        "--allow-protected",
        "--confirm-table",
        "x-prod-z",
    ]);
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("--confirm-table does not match"), "{r}");
    assert!(!exists(&db, &t).await);

    let r = p.run(&[
        "seed",
        "good",
        "--table",
        &t,
        "--allow-protected",
        "--confirm-table",
        &t,
        "--yes",
    ]);
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, GOOD);

    // Reset is protected the same way.
    let r = p.run(&["seed", "good", "--reset", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr
            .contains(&format!("refusing to reset seed data in `{t}`")),
        "{r}"
    );
    let r = p.run(&[
        "seed",
        "good",
        "--reset",
        "--table",
        &t,
        "--yes",
        "--allow-protected",
    ]);
    assert!(!r.ok, "{r}");
    assert_eq!(count(&db, &t).await, GOOD);
    let r = p.run(&[
        "seed",
        "good",
        "--reset",
        "--table",
        &t,
        "--yes",
        "--allow-protected",
        "--confirm-table",
        &t,
    ]);
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, 0);
}

#[tokio::test]
async fn protected_patterns_and_profiles_come_from_the_project() {
    // Own patterns replace the default `*prod*`.
    let p = Proj::new(
        "\n[seeding]\nprotected_tables = [\"keep-?-*\"]\n\n[[seed]]\nname = \"good\"\nfiles = [\"data/good.jsonl\"]\n",
    );
    let project = p.project();
    let settings: &SeedSettings = &project.seeding;
    assert_eq!(settings.protected_tables, vec!["keep-?-*".to_string()]);
    assert!(settings.protection("keep-a-1", None, false).is_some());
    assert!(settings.protection("x-prod-y", None, false).is_none());
    let db = db();
    let t = unique("keep-a");
    let r = p.run(&["seed", "good", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr
            .contains("matches the protected pattern `keep-?-*`"),
        "{r}"
    );
    assert!(!exists(&db, &t).await);
}

#[tokio::test]
async fn a_table_marked_protected_in_its_design_refuses() {
    let db = db();
    let t = unique("guarded");
    let toml = format!(
        r#"[project]
name = "guarded"

[[table]]
name = "{t}"
partition_key = {{ name = "PK", type = "S" }}
sort_key = {{ name = "SK", type = "S" }}
protected = true

[[seed]]
name = "good"
files = ["data/good.jsonl", "data/good.json"]
"#
    );
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path());
    let config = dir.path().join("dyntui.toml");
    std::fs::write(&config, toml).unwrap();
    let state = tempfile::tempdir().unwrap();
    let r = run_bin(
        &config,
        state.path(),
        &["seed", "good", "--table", &t, "--yes"],
    );
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "table `{t}` is marked protected in the project file"
        )),
        "{r}"
    );
    assert!(!exists(&db, &t).await);
    let r = run_bin(
        &config,
        state.path(),
        &[
            "seed",
            "good",
            "--table",
            &t,
            "--yes",
            "--allow-protected",
            "--confirm-table",
            &t,
        ],
    );
    assert!(r.ok, "{r}");
    assert_eq!(count(&db, &t).await, GOOD);
}

// -------------------------------------------------------- missing tables

#[tokio::test]
async fn a_missing_table_is_created_only_when_confirmed() {
    let db = db();
    let p = Proj::with_sets();
    let t = unique("seed-missing");
    let r = p.run(&["seed", "gen", "--table", &t]);
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "Table `{t}` does not exist. Create it from the design? needs confirmation: pass --yes"
        )),
        "{r}"
    );
    assert!(!exists(&db, &t).await, "created without confirmation");

    let r = p.run(&["seed", "gen", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert!(r.stderr.contains(&format!("creating table {t}")), "{r}");
    let info = db.describe(&t).await.expect("created");
    assert_eq!(info.status, "ACTIVE");
    assert_eq!(info.pk.as_ref().map(|k| k.name.as_str()), Some("PK"));
    assert_eq!(info.sk.as_ref().map(|k| k.name.as_str()), Some("SK"));
    let mut gsis: Vec<(&str, bool, &str)> = info
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.global, i.pk.name.as_str()))
        .collect();
    gsis.sort();
    assert_eq!(
        gsis,
        vec![("ByEmail", true, "GSI1PK"), ("ByKind", true, "kind")]
    );
    assert_eq!(count(&db, &t).await, GEN);
    // The generated index keys are there to query.
    let by_email = db
        .client()
        .scan()
        .table_name(&t)
        .index_name("ByEmail")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("scan GSI");
    assert_eq!(by_email.count as u64, GEN);
}

#[tokio::test]
async fn a_missing_table_without_a_design_is_not_created() {
    let db = db();
    // Two designs, neither of that name: nothing to create it from.
    let toml = r#"[[table]]
name = "one"
partition_key = { name = "PK", type = "S" }

[[table]]
name = "two"
partition_key = { name = "id", type = "S" }

[[seed]]
name = "good"
files = ["data/good.jsonl"]
"#;
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path());
    let config = dir.path().join("dyntui.toml");
    std::fs::write(&config, toml).unwrap();
    let state = tempfile::tempdir().unwrap();
    let t = unique("seed-nodesign");
    let r = run_bin(
        &config,
        state.path(),
        &["seed", "good", "--table", &t, "--yes"],
    );
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "table `{t}` does not exist, and the project has no [[table]] design named `{t}`"
        )),
        "{r}"
    );
    assert!(!exists(&db, &t).await);
    // Reset of a missing table says it is missing, and creates nothing.
    let r = run_bin(
        &config,
        state.path(),
        &["seed", "good", "--reset", "--table", &t, "--yes"],
    );
    assert!(!r.ok, "{r}");
    assert!(r.stderr.contains("ResourceNotFoundException"), "{r}");
    assert!(!exists(&db, &t).await);
}

#[tokio::test]
async fn an_unknown_set_lists_the_available_ones() {
    let p = Proj::with_sets();
    // Nothing is asked of DynamoDB before the set is found.
    let r = run_bin(
        &p.config(),
        p.state.path(),
        &["seed", "nope", "--table", "whatever"],
    );
    assert!(!r.ok, "{r}");
    assert!(
        r.stderr
            .contains("no seed set `nope` (available: good, gen,"),
        "{r}"
    );
    assert!(r.stderr.contains("demo"), "{r}");
}

// ------------------------------------------------------------ found bugs

#[tokio::test]
async fn a_checkpoint_of_another_table_is_not_resumed() {
    // `orders.dev` and `orders_dev` are two tables, but Checkpoint::path
    // maps both names to the same file, and Checkpoint::load does not check
    // the table it read: an interrupted run on one is "resumed" on the other.
    let db = db();
    let p = Proj::with_sets();
    let project = p.project();
    let base = unique("seed-cpname");
    let (dotted, underscored) = (format!("{base}.a"), format!("{base}_a"));
    demo_design(&underscored).create(&db).await.expect("create");
    Checkpoint {
        set: "good".into(),
        table: dotted.clone(),
        run_id: "01INTERRUPTEDELSEWHERE0000".into(),
        seed: 42,
        batches_done: 2,
        fingerprint: set_of(&project, "good").fingerprint(p.dir.path()).unwrap(),
    }
    .save(p.state.path())
    .unwrap();
    let out = run_simple(
        &db,
        &project,
        &set_of(&project, "good"),
        &underscored,
        p.dir.path(),
        p.state.path(),
    )
    .await;
    assert_eq!(out.resumed_from_batch, 0, "resumed another table's run");
    assert_eq!(count(&db, &underscored).await, GOOD);
}

#[tokio::test]
async fn a_set_name_with_the_marker_separator_is_refused() {
    // Markers are `<set>#<run id>` and reset finds them with
    // begins_with(marker, "<set>#"): a set named `x#y` would be found by a
    // reset of `x` too, so such names are refused when the project loads.
    let p = Proj::new(
        "\n[[seed]]\nname = \"x\"\nfiles = [\"data/good.json\"]\n\n[[seed]]\nname = \"x#y\"\nfiles = [\"data/good.jsonl\"]\n",
    );
    let src = std::fs::read_to_string(p.config()).unwrap();
    let r = p.run(&["seed", "--list"]);
    assert!(!r.ok, "{r}");
    let want = format!("{}:{}", p.config().display(), seed_line(&src, "x#y"));
    assert!(r.stderr.contains(&want), "`{want}` not in\n{r}");
    assert!(r.stderr.contains("must not contain `#`"), "{r}");
}

// ------------------------------------- duplicate keys, changed files, table

/// `n` lines `DUP#0000`..; `dups` maps a 1-based line to the 1-based line
/// whose key it repeats.
fn lines_with_duplicates(n: usize, dups: &[(usize, usize)]) -> String {
    let mut text = String::new();
    for i in 1..=n {
        let of = dups.iter().find(|(l, _)| *l == i).map_or(i, |(_, f)| *f);
        text.push_str(&line(&format!("DUP#{of:04}"), "A"));
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn duplicate_keys_are_refused_before_anything_is_written() {
    // Line 20 repeats line 10's key (the same batch of 25) and line 560
    // line 3's (another batch). Validation used to pass; BatchWriteItem then
    // failed with "Provided list of item keys contains duplicates" after the
    // batches before, and every rerun failed at the same batch.
    let db = db();
    let p = Proj::new("\n[[seed]]\nname = \"dups\"\nfiles = [\"data/dups.jsonl\"]\n");
    std::fs::write(
        p.dir.path().join("data/dups.jsonl"),
        lines_with_duplicates(600, &[(20, 10), (560, 3)]),
    )
    .unwrap();
    let t = unique("seed-dups");
    demo_design(&t).create(&db).await.expect("create");
    let f = p.file("dups.jsonl");
    let r = p.run(&["seed", "dups", "--table", &t, "--yes"]);
    assert!(!r.ok, "{r}");
    for (later, first, key) in [(20, 10, "DUP#0010"), (560, 3, "DUP#0003")] {
        let want =
            format!("{f}:{later}: duplicate key PK={key}, SK=A: {f}:{first} has the same key");
        assert!(r.stderr.contains(&want), "`{want}` not in\n{r}");
    }
    assert!(r.stderr.contains("2 invalid items; nothing written"), "{r}");
    assert_eq!(count(&db, &t).await, 0, "nothing written");

    // Asked to, the first of each pair is written and no batch fails.
    let r = p.run(&["seed", "dups", "--table", &t, "--yes", "--skip-invalid"]);
    assert!(r.ok, "{r}");
    assert!(r.stderr.contains("2 invalid skipped"), "{r}");
    assert_eq!(count(&db, &t).await, 598);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_file_changed_after_an_interruption_starts_over() {
    // Lines added at the top after a stopped run: resuming by position
    // skipped the new lines.
    let db = db();
    let p = Proj::new("\n[[seed]]\nname = \"grow\"\nfiles = [\"data/grow.jsonl\"]\n");
    let file = p.dir.path().join("data/grow.jsonl");
    let old: String = (0..300)
        .map(|i| line(&format!("OLD#{i:03}"), "A") + "\n")
        .collect();
    std::fs::write(&file, &old).unwrap();
    let project = p.project();
    let set = set_of(&project, "grow");
    let t = unique("seed-grow");
    demo_design(&t).create(&db).await.expect("create");
    // The binary's state dir is $XDG_STATE_HOME/dyntui.
    let state = p.state.path().join("dyntui");
    let progress = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (p, s) = (progress.clone(), stop.clone());
        tokio::spawn(async move {
            while p.written.load(Ordering::Relaxed) < 100 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            s.store(true, Ordering::Relaxed);
        })
    };
    let first = run_lib(
        &db,
        &project,
        &set,
        &t,
        p.dir.path(),
        Some(&state),
        WriteOptions {
            concurrency: 1,
            ..WriteOptions::default()
        },
        progress,
        stop,
    )
    .await
    .expect("first run");
    watcher.abort();
    assert!(first.report.stopped, "{first:?}");
    let done = first.report.batches_done;
    assert!(done > 0 && done * 25 < 300, "{first:?}");

    // 50 new lines at the top.
    let new: String = (0..50)
        .map(|i| line(&format!("NEW#{i:03}"), "A") + "\n")
        .collect();
    std::fs::write(&file, format!("{new}{old}")).unwrap();
    let r = p.run(&["seed", "grow", "--table", &t, "--yes"]);
    assert!(r.ok, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "seed set `grow` changed since the interrupted run {} (which wrote {} items): starting over",
            first.run_id,
            done * 25
        )),
        "{r}"
    );
    assert!(!r.stderr.contains("resuming"), "{r}");
    let run_id = run_id_of(&r);
    assert_ne!(run_id, first.run_id);
    assert_eq!(count(&db, &t).await, 350, "every line of the new file");
    assert_eq!(
        markers(&db, &t).await,
        BTreeMap::from([(Some(format!("grow#{run_id}")), 350)])
    );
    assert!(!Checkpoint::path(&state, "grow", &t).exists());
}

#[tokio::test]
async fn seed_without_table_uses_the_projects_only_design() {
    // No --table, no `table` on the set, no default_table: the project's
    // only [[table]] design names the table (as README says).
    let db = db();
    let name = unique("seed-only-design");
    let p = Proj::with_sets();
    std::fs::write(
        p.config(),
        format!("{}{SETS}", HEADER.replace("seedtest-dev", &name)),
    )
    .unwrap();
    let r = p.run(&["seed", "good", "--yes"]);
    assert!(r.ok, "{r}");
    assert!(r.stderr.contains(&format!("creating table {name}")), "{r}");
    assert_eq!(count(&db, &name).await, GOOD);
}
