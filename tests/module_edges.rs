//! The edges between modules, read from the code: every `crate::…`,
//! `super::…` and child-module path in `src/**/*.rs`, resolved to the file it
//! names. Fails when a module reaches across a forbidden edge (the layers of
//! `docs/ARCHITECTURE.md`) and when files of `src/engine/` form a cycle.
//!
//! `cargo test --test module_edges -- --nocapture` prints every edge with the
//! file and line of its first use, so the architecture page can be kept true.
//!
//! No parser crate: comments, strings and character literals are blanked,
//! then paths are read from the tokens. Code inside `#[cfg(test)]` modules is
//! listed apart and not held to the rules (tests may build whatever they need).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a module must never use, from the layers of `docs/ARCHITECTURE.md`:
/// arrows point down; `domain` is plain types (it may read the `clock`);
/// `store` is the only SQL and knows nothing of the protocol or the window;
/// `dci` is the wire protocol alone; the engine never draws.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("clock", &["*"]),
    ("domain", &["*", "!clock"]),
    (
        "dci",
        &["store", "engine", "ui", "cli", "ibr", "roster", "secrets", "sandbox"],
    ),
    (
        "store",
        &["engine", "ui", "cli", "dci", "ibr", "sandbox", "roster", "secrets"],
    ),
    (
        "secrets",
        &["store", "engine", "ui", "cli", "dci", "ibr", "roster", "sandbox"],
    ),
    ("ibr", &["store", "secrets", "engine", "ui", "cli", "roster", "sandbox"]),
    ("roster", &["engine", "ui", "cli", "dci", "ibr", "secrets", "sandbox"]),
    ("sandbox", &["store", "engine", "ui", "cli", "ibr", "roster", "secrets"]),
    ("engine", &["ui", "cli"]),
    ("ui", &["cli", "sandbox", "rusqlite"]),
];

/// Files that set up what they measure (a sandbox population, planned
/// checks): their edges are listed, not held to the rules.
const HARNESS_FILE: &str = "bench.rs";

fn is_harness(file: &str) -> bool {
    file == HARNESS_FILE || file.ends_with(&format!("/{HARNESS_FILE}"))
}

/// Submodules of `store` the window may name (the rest is the store's own).
const UI_MAY_USE_FROM_STORE: &[&str] = &["paths"];

/// External crates whose use is listed too (and `rusqlite` checked).
const WATCHED_CRATES: &[&str] = &["rusqlite", "egui", "eframe", "egui_extras", "tokio", "reqwest"];

/// One path in the code, resolved.
#[derive(Debug, Clone)]
struct Reference {
    /// The file it is written in, relative to `src/` (`engine/requests.rs`).
    file: String,
    line: usize,
    /// The file it names (relative to `src/`), or `extern:<crate>`.
    target: String,
    /// The module path it names, as written after resolution (`engine::event::Event`).
    path: Vec<String>,
    /// Inside a `#[cfg(test)]` module.
    test: bool,
}

/// The module path of a file (`engine/mod.rs` → `engine`; `lib.rs` → root).
fn module_of(file: &str) -> Vec<String> {
    if file == "lib.rs" || file == "main.rs" {
        return vec![];
    }
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The top-level module of a file (`lib` for the crate root, `main` for the binary).
fn top_of(file: &str) -> String {
    if let Some(c) = file.strip_prefix("extern:") {
        return c.to_string();
    }
    match file {
        "lib.rs" => "lib".into(),
        "main.rs" => "main".into(),
        _ => module_of(file).first().cloned().unwrap_or_default(),
    }
}

/// The text with comments, string literals and character literals blanked
/// (newlines kept, so lines still count).
fn blank_non_code(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r' && (next == Some('"') || next == Some('#')) && !ident_char_before(&c, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &c[i..j.min(c.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c[i] == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{7f}', '{'), or a lifetime.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                for _ in i..=j.min(c.len() - 1) {
                    out.push(' ');
                }
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push(' ');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident_char_before(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Star,
    Other(char),
}

fn tokens(code: &str) -> Vec<(Token, usize)> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((Token::Ident(c[start..i].iter().collect()), line));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push((Token::PathSep, line));
            i += 2;
        } else {
            out.push((
                match ch {
                    '{' => Token::Open,
                    '}' => Token::Close,
                    ',' => Token::Comma,
                    '*' => Token::Star,
                    other => Token::Other(other),
                },
                line,
            ));
            i += 1;
        }
    }
    out
}

/// Reads the path that starts at `toks[i]` (an identifier): its segment lists
/// (more than one for `a::{b, c::d}`) and the index after it.
fn read_path(toks: &[(Token, usize)], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        match toks.get(i) {
            Some((Token::Ident(s), _)) => {
                prefix.push(s.clone());
                i += 1;
            }
            _ => return (vec![prefix], i),
        }
        if toks.get(i).map(|t| &t.0) != Some(&Token::PathSep) {
            return (vec![prefix], i);
        }
        i += 1;
        match toks.get(i).map(|t| &t.0) {
            Some(Token::Open) => {
                i += 1;
                let mut all = Vec::new();
                while let Some((t, _)) = toks.get(i) {
                    match t {
                        Token::Close => {
                            i += 1;
                            break;
                        }
                        Token::Comma => i += 1,
                        Token::Ident(_) => {
                            let (inner, next) = read_path(toks, i);
                            for p in inner {
                                let mut full = prefix.clone();
                                full.extend(p.into_iter().filter(|s| s != "self"));
                                all.push(full);
                            }
                            i = next;
                        }
                        _ => i += 1,
                    }
                }
                if all.is_empty() {
                    all.push(prefix);
                }
                return (all, i);
            }
            Some(Token::Ident(_)) => continue,
            _ => return (vec![prefix], i),
        }
    }
}

/// Every reference to another file of the crate (or a watched crate) in the
/// files given as (path relative to `src/`, text).
fn references(files: &[(String, String)]) -> Vec<Reference> {
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .filter(|(f, _)| f != "main.rs")
        .map(|(f, _)| (module_of(f), f.clone()))
        .collect();
    let mut out = Vec::new();
    for (file, text) in files {
        let toks = tokens(&blank_non_code(text));
        let file_module = module_of(file);
        // Modules declared `mod name;` here: `name::…` is a path into them.
        let children: BTreeSet<String> = toks
            .windows(3)
            .filter_map(|w| match (&w[0].0, &w[1].0, &w[2].0) {
                (Token::Ident(m), Token::Ident(n), Token::Other(';')) if m == "mod" => Some(n.clone()),
                _ => None,
            })
            .collect();
        let test_only = test_only_tokens(&toks);
        // Inline modules open at a brace depth: (name, depth, is a test module).
        let mut inline: Vec<(String, usize, bool)> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < toks.len() {
            match &toks[i].0 {
                Token::Open => {
                    depth += 1;
                    i += 1;
                    continue;
                }
                Token::Close => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|m| m.1 == depth) {
                        inline.pop();
                    }
                    i += 1;
                    continue;
                }
                Token::Ident(m) if m == "mod" => {
                    if let (Some((Token::Ident(name), _)), Some((Token::Open, _))) = (toks.get(i + 1), toks.get(i + 2))
                    {
                        let before = &toks[i.saturating_sub(12)..i];
                        let test = before.windows(4).any(|w| {
                            w[0].0 == Token::Ident("cfg".into())
                                && w[1].0 == Token::Other('(')
                                && w[2].0 == Token::Ident("test".into())
                                && w[3].0 == Token::Other(')')
                        }) || inline.last().is_some_and(|m| m.2);
                        inline.push((name.clone(), depth, test));
                        depth += 1;
                        i += 3;
                        continue;
                    }
                }
                _ => {}
            }
            let Token::Ident(first) = &toks[i].0 else {
                i += 1;
                continue;
            };
            let starts_path =
                toks.get(i + 1).map(|t| &t.0) == Some(&Token::PathSep) && (i == 0 || toks[i - 1].0 != Token::PathSep);
            let at_file_level = inline.is_empty();
            let known = matches!(first.as_str(), "crate" | "super" | "self")
                || (file == "main.rs" && first == "ibr_desk")
                || (at_file_level && children.contains(first))
                || WATCHED_CRATES.contains(&first.as_str());
            if !starts_path || !known {
                i += 1;
                continue;
            }
            let line = toks[i].1;
            let test = inline.last().is_some_and(|m| m.2) || test_only[i];
            let (paths, next) = read_path(&toks, i);
            let mut here = file_module.clone();
            here.extend(inline.iter().map(|m| m.0.clone()));
            for p in paths {
                if let Some(r) = resolve(&here, &p, file) {
                    let target = if WATCHED_CRATES.contains(&r[0].as_str()) && p[0] == r[0] {
                        format!("extern:{}", r[0])
                    } else {
                        match longest_module(&modules, &r) {
                            Some(f) => f,
                            None => continue,
                        }
                    };
                    if &target != file {
                        out.push(Reference {
                            file: file.clone(),
                            line,
                            target,
                            path: r,
                            test,
                        });
                    }
                }
            }
            i = next.max(i + 1);
        }
    }
    out
}

/// Which tokens belong to an item or statement under `#[cfg(test)]`: from
/// the attribute to the `;` that ends it or the `}` that closes its block.
fn test_only_tokens(toks: &[(Token, usize)]) -> Vec<bool> {
    let attr = [
        Token::Other('#'),
        Token::Other('['),
        Token::Ident("cfg".into()),
        Token::Other('('),
        Token::Ident("test".into()),
        Token::Other(')'),
        Token::Other(']'),
    ];
    let mut marked = vec![false; toks.len()];
    for i in 0..toks.len() {
        if toks.len() - i < attr.len() || !toks[i..i + attr.len()].iter().map(|t| &t.0).eq(attr.iter()) {
            continue;
        }
        let mut depth = 0i32;
        let mut end = toks.len() - 1;
        for (j, (t, _)) in toks.iter().enumerate().skip(i + attr.len()) {
            match t {
                Token::Open => depth += 1,
                Token::Close => {
                    depth -= 1;
                    if depth <= 0 {
                        end = j;
                        break;
                    }
                }
                Token::Other(';') if depth == 0 => {
                    end = j;
                    break;
                }
                _ => {}
            }
        }
        marked[i..=end].iter_mut().for_each(|m| *m = true);
    }
    marked
}

/// The absolute module path `p` names when written in module `here`.
fn resolve(here: &[String], p: &[String], file: &str) -> Option<Vec<String>> {
    let mut base: Vec<String> = here.to_vec();
    let mut rest = p;
    match p.first()?.as_str() {
        "crate" => {
            base.clear();
            rest = &p[1..];
        }
        "ibr_desk" if file == "main.rs" => {
            base.clear();
            rest = &p[1..];
        }
        "self" => rest = &p[1..],
        "super" => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        c if WATCHED_CRATES.contains(&c) => return Some(p.to_vec()),
        _ => {}
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file of the longest module prefix of `path`.
fn longest_module(modules: &BTreeMap<Vec<String>, String>, path: &[String]) -> Option<String> {
    (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned())
}

/// Top-level module edges of the code outside tests (and, unless
/// `harness`, outside bench files): (from, to) → first use.
fn module_edges(refs: &[Reference], harness: bool) -> BTreeMap<(String, String), String> {
    let mut edges = BTreeMap::new();
    for r in refs.iter().filter(|r| !r.test && (harness || !is_harness(&r.file))) {
        let (from, to) = (top_of(&r.file), top_of(&r.target));
        if from != to {
            edges
                .entry((from, to))
                .or_insert_with(|| format!("{}:{} ({})", r.file, r.line, r.path.join("::")));
        }
    }
    edges
}

/// Each edge the rules forbid, as a sentence.
fn violations(refs: &[Reference]) -> Vec<String> {
    let mut out = Vec::new();
    for ((from, to), at) in module_edges(refs, false) {
        let Some((_, rule)) = FORBIDDEN.iter().find(|(m, _)| *m == from) else {
            continue;
        };
        let excepted = rule.contains(&format!("!{to}").as_str());
        let extern_crate = WATCHED_CRATES.contains(&to.as_str());
        let all = rule.contains(&"*") && !excepted && !extern_crate && to != "lib";
        if all || rule.contains(&to.as_str()) {
            out.push(format!("`{from}` must not use `{to}`: {at}"));
        }
    }
    for r in refs
        .iter()
        .filter(|r| !r.test && !is_harness(&r.file) && top_of(&r.file) == "ui" && top_of(&r.target) == "store")
    {
        let sub = r.target.strip_prefix("store/").and_then(|s| s.strip_suffix(".rs"));
        if let Some(sub) = sub.filter(|s| *s != "mod" && !UI_MAY_USE_FROM_STORE.contains(s)) {
            out.push(format!(
                "`ui` must not reach into `store::{sub}`: {}:{} ({})",
                r.file,
                r.line,
                r.path.join("::")
            ));
        }
    }
    out
}

/// The cycles between files of `dir` (its `mod.rs`, the module's root that
/// declares the files and holds what they share, left out): each group of
/// files that reach one another, with the references that close it.
fn cycles(refs: &[Reference], dir: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let in_dir = |f: &str| {
        f.strip_prefix(dir)
            .and_then(|s| s.strip_prefix('/'))
            .is_some_and(|s| !s.contains('/') && s != "mod.rs")
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut first_use: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in refs.iter().filter(|r| !r.test && in_dir(&r.file) && in_dir(&r.target)) {
        graph.entry(r.file.clone()).or_default().insert(r.target.clone());
        graph.entry(r.target.clone()).or_default();
        first_use
            .entry((r.file.clone(), r.target.clone()))
            .or_insert_with(|| format!("{}:{} → {} ({})", r.file, r.line, r.target, r.path.join("::")));
    }
    // Strongly connected components (Kosaraju: small graphs, clarity first).
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for m in graph.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    todo.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<String, BTreeSet<String>> = graph.keys().map(|n| (n.clone(), reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in graph.keys() {
        if done.contains(n) || !reaches[n].contains(n) {
            continue;
        }
        let group: Vec<String> = graph
            .keys()
            .filter(|m| reaches[n].contains(*m) && reaches[*m].contains(n))
            .cloned()
            .collect();
        done.extend(group.iter().cloned());
        let closing = first_use
            .iter()
            .filter(|((a, b), _)| group.contains(a) && group.contains(b))
            .map(|(_, at)| at.clone())
            .collect();
        out.push((group, closing));
    }
    out
}

fn source_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src is readable").flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).expect("a source file")));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

#[test]
fn modules_use_only_the_edges_the_layers_allow() {
    let refs = references(&source_files());
    println!("Edges between the crate's top-level modules (first use outside tests):");
    let checked = module_edges(&refs, false);
    for ((from, to), at) in &checked {
        println!("  {from} → {to}    {at}");
    }
    println!("Only from bench files (not held to the rules):");
    for ((from, to), at) in module_edges(&refs, true)
        .iter()
        .filter(|(e, _)| !checked.contains_key(*e))
    {
        println!("  {from} → {to}    {at}");
    }
    let ui_from_store: BTreeSet<String> = refs
        .iter()
        .filter(|r| !r.test && top_of(&r.file) == "ui" && top_of(&r.target) == "store")
        .map(|r| r.path.join("::"))
        .collect();
    println!("What `ui` names of `store`: {ui_from_store:?}");
    let bad = violations(&refs);
    assert!(bad.is_empty(), "forbidden edges:\n  {}", bad.join("\n  "));
}

#[test]
fn files_of_the_engine_form_no_cycle() {
    let refs = references(&source_files());
    let found = cycles(&refs, "engine");
    let report: Vec<String> = found
        .iter()
        .map(|(files, closing)| format!("{}\n      {}", files.join(" ↔ "), closing.join("\n      ")))
        .collect();
    assert!(
        found.is_empty(),
        "files of src/engine/ that use one another in a cycle (move what they share into a file of its own):\n  {}",
        report.join("\n  ")
    );
}

/// The checks themselves, over small made-up crates.
mod rules {
    use super::*;

    fn crate_of(files: &[(&str, &str)]) -> Vec<Reference> {
        let owned: Vec<(String, String)> = files.iter().map(|(f, t)| (f.to_string(), t.to_string())).collect();
        references(&owned)
    }

    fn targets(refs: &[Reference], file: &str) -> BTreeSet<String> {
        refs.iter()
            .filter(|r| r.file == file && !r.test)
            .map(|r| r.target.clone())
            .collect()
    }

    const BASE: &[(&str, &str)] = &[
        (
            "lib.rs",
            "pub mod domain;\npub mod store;\npub mod engine;\npub mod ui;\npub mod clock;",
        ),
        ("clock.rs", ""),
        ("domain/mod.rs", "mod check;\npub use check::Check;"),
        ("domain/check.rs", "pub struct Check;"),
        ("store/mod.rs", "use crate::domain::Check;"),
        ("ui/mod.rs", "use crate::store::Store;"),
        ("engine/mod.rs", "mod a;\nmod b;\npub struct Shared;"),
        ("engine/a.rs", "use super::Shared;"),
        ("engine/b.rs", ""),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<Reference> {
        let mut files: Vec<(&str, &str)> = BASE
            .iter()
            .filter(|(f, _)| !extra.iter().any(|(e, _)| e == f))
            .copied()
            .collect();
        files.extend_from_slice(extra);
        crate_of(&files)
    }

    #[test]
    fn the_allowed_crate_passes() {
        let refs = with(&[]);
        assert_eq!(violations(&refs), Vec::<String>::new());
        assert!(cycles(&refs, "engine").is_empty());
        assert_eq!(
            targets(&refs, "store/mod.rs"),
            BTreeSet::from(["domain/mod.rs".to_string()])
        );
        assert_eq!(
            targets(&refs, "engine/a.rs"),
            BTreeSet::from(["engine/mod.rs".to_string()])
        );
        assert_eq!(
            targets(&refs, "domain/mod.rs"),
            BTreeSet::from(["domain/check.rs".to_string()])
        );
    }

    #[test]
    fn a_forbidden_edge_fails() {
        let refs = with(&[("domain/check.rs", "pub fn f(s: &crate::store::Store) {}")]);
        let bad = violations(&refs);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(
            bad[0].starts_with("`domain` must not use `store`: domain/check.rs:1"),
            "{bad:?}"
        );
        // The engine must not draw, however the path is written.
        let refs = with(&[("engine/b.rs", "use crate::{domain::Check, ui::{self, Screen}};")]);
        assert!(
            violations(&refs)
                .iter()
                .any(|v| v.starts_with("`engine` must not use `ui`"))
        );
        // …but domain may read the clock.
        assert!(violations(&with(&[("domain/check.rs", "fn t() { crate::clock::today(); }")])).is_empty());
    }

    #[test]
    fn a_bench_file_may_set_up_what_it_measures() {
        let refs = with(&[
            ("store/bench.rs", "use crate::engine::Engine;"),
            ("store/mod.rs", "pub mod bench;"),
        ]);
        assert_eq!(violations(&refs), Vec::<String>::new());
        let refs = with(&[
            ("store/benches.rs", "use crate::engine::Engine;"),
            ("store/mod.rs", "pub mod benches;"),
        ]);
        assert_eq!(violations(&refs).len(), 1);
    }

    #[test]
    fn the_window_uses_neither_sql_nor_the_stores_files() {
        let refs = with(&[(
            "ui/mod.rs",
            "use rusqlite::Connection;\nuse crate::store::history::Page;",
        )]);
        let bad = violations(&refs);
        assert!(
            bad.iter().any(|v| v.starts_with("`ui` must not use `rusqlite`")),
            "{bad:?}"
        );
        // `store::history` is no file in this crate, so it is `store`'s own file
        // only where one exists:
        let refs = with(&[
            ("store/mod.rs", "mod history;"),
            ("store/history.rs", ""),
            ("ui/mod.rs", "use crate::store::history::Page;"),
        ]);
        assert!(
            violations(&refs).iter().any(|v| v.contains("store::history")),
            "{:?}",
            violations(&refs)
        );
    }

    #[test]
    fn comments_strings_and_tests_are_not_edges() {
        let refs = with(&[(
            "domain/check.rs",
            "// crate::store::Store\n/* crate::ui::x */ const S: &str = \"crate::engine::E\";\n\
             const R: &str = r#\"crate::ui::y\"#; const C: char = '{';\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::store::Store;\n}\n",
        )]);
        assert_eq!(violations(&refs), Vec::<String>::new());
        let test_refs: Vec<_> = refs.iter().filter(|r| r.test).collect();
        assert_eq!(test_refs.len(), 1, "{test_refs:?}");
        // A statement under `#[cfg(test)]` is test code too; the next one is not.
        let refs = with(&[(
            "domain/check.rs",
            "fn f() {\n    #[cfg(test)]\n    crate::store::hit(|| { 1 });\n    crate::ui::draw();\n}",
        )]);
        let bad = violations(&refs);
        assert!(
            bad.len() == 1 && bad[0].contains("`ui`") && bad[0].contains(":4 "),
            "{bad:?}"
        );
        assert_eq!(test_refs[0].target, "store/mod.rs");
        assert_eq!(test_refs[0].line, 7);
    }

    #[test]
    fn a_cycle_between_engine_files_is_found_with_its_files() {
        let refs = with(&[
            ("engine/a.rs", "use super::b::helper;\npub fn key() {}"),
            ("engine/b.rs", "pub fn helper() { super::a::key(); }"),
        ]);
        let found = cycles(&refs, "engine");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, ["engine/a.rs", "engine/b.rs"]);
        assert!(
            found[0].1.iter().any(|c| c.starts_with("engine/b.rs:1 → engine/a.rs")),
            "{found:?}"
        );
        // mod.rs (the module's root) is no part of a cycle.
        let refs = with(&[(
            "engine/mod.rs",
            "mod a;\nmod b;\npub struct Shared;\nfn run() { a::go(); }",
        )]);
        assert!(cycles(&refs, "engine").is_empty());
    }
}
