#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The layout of `src/app` holds: no import cycle among its modules, the
//! TUI and `src/views` never import the command line, and the command line
//! imports nothing from the TUI or the views.
//!
//! Every `use` (groups expanded, `super::`/`self::` resolved) and every
//! inline `crate::...` path of each file is resolved to the module it names;
//! a module depends on each module it names outside itself. The check then
//! looks for strongly connected components of that graph (Tarjan), as
//! `cargo modules dependencies --acyclic` would, without building the
//! crate's compiler data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path like `app::tui::screens::items` (without `crate`).
type Module = String;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/app/tui/screens/items/mod.rs` -> `app::tui::screens::items`.
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts.join("::")
}

/// The code without comments and string contents (paths in docs and
/// messages are not imports).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '{' (not a lifetime).
            i += 3;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    fn go(prefix: &str, t: &str, out: &mut Vec<String>) {
        match t.find('{') {
            None => {
                for part in split_top(t) {
                    let p = part.split(" as ").next().unwrap_or(part);
                    out.push(format!("{prefix}{p}"));
                }
            }
            Some(open) => {
                // `head::{inner}` possibly followed by nothing else.
                let head = &t[..open];
                let close = matching(t, open);
                let inner = &t[open + 1..close];
                for part in split_top(inner) {
                    go(&format!("{prefix}{head}"), part, out);
                }
            }
        }
    }
    fn matching(t: &str, open: usize) -> usize {
        let mut depth = 0;
        for (i, c) in t.char_indices().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        t.len()
    }
    fn split_top(t: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let (mut depth, mut start) = (0, 0);
        for (i, c) in t.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&t[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(&t[start..]);
        out.into_iter().filter(|s| !s.is_empty()).collect()
    }
    let mut out = Vec::new();
    go("", &tree, &mut out);
    out
}

/// The paths a file names: its `use` trees and inline `crate::` paths,
/// made absolute (without `crate::`).
fn named_paths(module: &Module, modules: &BTreeSet<Module>, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // `super` of `a::b::c` (a file module) is `a::b`; of a `mod.rs`
    // module the same: the parent of the directory's module.
    let parent = |m: &str| {
        m.rsplit_once("::")
            .map(|(p, _)| p.to_string())
            .unwrap_or_default()
    };
    let absolute = |p: &str| -> Option<String> {
        let p = p.trim_start_matches("::");
        if let Some(rest) = p.strip_prefix("crate::") {
            return Some(rest.to_string());
        }
        if p.starts_with("super::") {
            let mut base = module.clone();
            let mut rest = p;
            while let Some(r) = rest.strip_prefix("super::") {
                base = parent(&base);
                rest = r;
            }
            return Some(if base.is_empty() {
                rest.to_string()
            } else {
                format!("{base}::{rest}")
            });
        }
        if let Some(rest) = p.strip_prefix("self::") {
            return Some(format!("{module}::{rest}"));
        }
        // A path from a child module (`use effects::perform;`).
        let first = p.split("::").next().unwrap_or(p);
        modules
            .contains(&format!("{module}::{first}"))
            .then(|| format!("{module}::{p}"))
    };
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        let tree = &after[..end];
        for p in expand(tree) {
            if let Some(a) = absolute(&p) {
                out.push(a);
            }
        }
    }
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let tail = &rest[i + 7..];
        let path: String = tail
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        out.push(path.trim_end_matches(':').to_string());
        rest = tail;
    }
    out
}

/// The longest known module a path starts with.
fn resolve(path: &str, modules: &BTreeSet<Module>) -> Option<Module> {
    let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| modules.contains(m))
}

struct Graph {
    edges: BTreeMap<Module, BTreeSet<Module>>,
    files: BTreeMap<Module, PathBuf>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut by_module = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let deps = edges.entry(m.clone()).or_default();
        for p in named_paths(&m, &modules, &code) {
            if let Some(t) = resolve(&p, &modules)
                && t != m
                // Naming an ancestor module itself (not an item of it) is
                // how `mod` trees are walked, not a dependency.
                && !(m.starts_with(&format!("{t}::")) && t.split("::").count() < 3)
            {
                deps.insert(t);
            }
        }
        by_module.insert(m, f.clone());
    }
    Graph {
        edges,
        files: by_module,
    }
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct T<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.edges.get(v) {
            for w in ws {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let l = t.low[w].min(t.low[v]);
                    t.low.insert(v, l);
                } else if t.on.contains(w) {
                    let l = t.index[w].min(t.low[v]);
                    t.low.insert(v, l);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_import_cycle_among_the_modules_of_src_app() {
    let g = graph();
    let app: BTreeMap<Module, BTreeSet<Module>> = g
        .edges
        .iter()
        .filter(|(m, _)| m.as_str() == "app" || m.starts_with("app::"))
        .map(|(m, d)| {
            let d = d
                .iter()
                .filter(|t| t.as_str() == "app" || t.starts_with("app::"))
                .cloned()
                .collect();
            (m.clone(), d)
        })
        .collect();
    assert!(app.len() > 20, "the walk found src/app: {}", app.len());
    let found = cycles(&app);
    let explain: Vec<String> = found
        .iter()
        .map(|scc| {
            let members: BTreeSet<&String> = scc.iter().collect();
            let uses: Vec<String> = scc
                .iter()
                .flat_map(|m| {
                    app[m]
                        .iter()
                        .filter(|t| members.contains(t))
                        .map(move |t| format!("{m} -> {t}"))
                })
                .collect();
            format!("cycle: {}", uses.join(", "))
        })
        .collect();
    assert!(found.is_empty(), "{}", explain.join("\n"));
}

/// `m` is `module` or inside it.
fn in_module(m: &str, module: &str) -> bool {
    m == module || m.starts_with(&format!("{module}::"))
}

#[test]
fn the_tui_and_the_views_never_import_the_command_line_and_it_never_imports_them() {
    let g = graph();
    let mut wrong = Vec::new();
    for (m, deps) in &g.edges {
        let front = in_module(m, "app::tui") || in_module(m, "views");
        let cli = in_module(m, "app::cli");
        for d in deps {
            if (front && in_module(d, "app::cli"))
                || (cli && (in_module(d, "app::tui") || in_module(d, "views")))
            {
                wrong.push(format!("{} ({}) uses {d}", m, g.files[m].display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_imports_groups_super_and_inline_paths() {
    let code = code_of(
        "use crate::app::tui::{cx::{Core, Cx}, request::Request};\n\
         use super::effects::perform; // crate::app::cli in a comment\n\
         pub use tests::helper;\n\
         fn f() { crate::app::tui::msg::Msg::Event; let s = \"crate::app::cli\"; }",
    );
    let modules = BTreeSet::from(["app::tui::screens::items::tests".to_string()]);
    let paths = named_paths(&"app::tui::screens::items".to_string(), &modules, &code);
    for want in [
        "app::tui::screens::items::tests::helper",
        "app::tui::cx::Core",
        "app::tui::cx::Cx",
        "app::tui::request::Request",
        "app::tui::screens::effects::perform",
        "app::tui::msg::Msg::Event",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    assert!(!paths.iter().any(|p| p.contains("cli")), "{paths:?}");
    let edges = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
        ("d".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycles(&edges), vec![vec!["a", "b", "c"]]);
}
