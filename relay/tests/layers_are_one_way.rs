//! The relay's modules know each other one way (docs/architecture.md, "Layers"): the route table
//! (`http`) is imported by nobody but the command line; the top-level modules form no cycle; no
//! two files import each other; and a handler stays short (its rules live in services).
//!
//! A small reader of `crate::` and `super::` paths, not a Rust parser: it reads every file under
//! relay/src, drops comments, and resolves each path to the file that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A handler (a `pub async fn` in the API, the WebSocket or WHIP/WHEP edge) has at most this many
/// lines; what it needs beyond reading the request and writing the response is a service's job.
const MAX_HANDLER_LINES: usize = 80;

/// A module path such as `["api", "scheduling", "access"]`; the crate root is `[]`.
type Module = Vec<String>;

struct Source {
    module: Module,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&root).expect("under src");
            let mut module: Module = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            Source {
                module,
                text: without_comments(&text),
            }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path a file names through `crate::` or `super::`, resolved to absolute module paths.
fn referenced(source: &Source) -> Vec<Module> {
    let mut out = Vec::new();
    let text = &source.text;
    for (start, prefix) in text
        .match_indices("crate::")
        .chain(text.match_indices("super::"))
    {
        if start > 0 && text[..start].ends_with(|c: char| is_ident(c) || c == ':') {
            continue; // `super::super::` is read from its first `super`
        }
        let mut base: Module = if prefix == "crate::" {
            Vec::new()
        } else {
            let mut m = source.module.clone();
            m.pop();
            m
        };
        let mut rest = &text[start + prefix.len()..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        read_path(&base, rest, &mut out);
    }
    out
}

/// Reads one path (`a::b::c`, `a::{b, c::d}`) after `base`, pushing each module path it names.
fn read_path(base: &Module, text: &str, out: &mut Vec<Module>) {
    let mut m = base.clone();
    let mut rest = text.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        read_path(&m, &group[item_start..i], out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        read_path(&m, &group[item_start..i], out);
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let ident: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_uppercase()) {
            break;
        }
        rest = &rest[ident.len()..];
        m.push(ident);
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    out.push(m);
}

/// The longest known module that `path` lies in.
fn owner(path: &Module, known: &BTreeSet<Module>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| known.contains(m))
}

/// File -> the files it imports (a file never counts its own ancestors or descendants).
fn file_graph(sources: &[Source]) -> BTreeMap<Module, BTreeSet<Module>> {
    let known: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph = BTreeMap::new();
    for s in sources {
        let targets: BTreeSet<Module> = referenced(s)
            .iter()
            .filter_map(|p| owner(p, &known))
            .filter(|t| !t.starts_with(&s.module) && !s.module.starts_with(t))
            .collect();
        graph.insert(s.module.clone(), targets);
    }
    graph
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[test]
fn nothing_but_the_command_line_imports_the_route_table() {
    let graph = file_graph(&sources());
    let importers: Vec<String> = graph
        .iter()
        .filter(|(from, to)| to.contains(&vec!["http".to_string()]) && !from.is_empty())
        .map(|(from, _)| name(from))
        .filter(|from| from != "cli")
        .collect();
    assert!(
        importers.is_empty(),
        "the route table (http) is imported by {importers:?}: take AppState from crate::state"
    );
}

#[test]
fn no_two_files_import_each_other() {
    let graph = file_graph(&sources());
    let mut pairs = Vec::new();
    for (a, targets) in &graph {
        for b in targets {
            if a < b && graph.get(b).is_some_and(|t| t.contains(a)) {
                pairs.push(format!("{} <-> {}", name(a), name(b)));
            }
        }
    }
    assert!(pairs.is_empty(), "files that import each other: {pairs:?}");
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in file_graph(&sources()) {
        let Some(top) = from.first() else { continue };
        let entry = graph.entry(top.clone()).or_default();
        entry.extend(
            targets
                .iter()
                .filter_map(|t| t.first())
                .filter(|t| *t != top)
                .cloned(),
        );
    }
    // Peel off modules that import nothing left, or that nothing left imports: what remains
    // lies on a cycle.
    let mut left = graph.clone();
    loop {
        let free: Vec<String> = left
            .iter()
            .filter(|(m, deps)| {
                deps.iter().all(|d| !left.contains_key(d))
                    || !left.values().any(|other| other.contains(*m))
            })
            .map(|(m, _)| m.clone())
            .collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    for deps in left.values_mut() {
        let on_cycle: BTreeSet<String> = deps
            .iter()
            .filter(|d| graph.contains_key(*d))
            .cloned()
            .collect();
        *deps = on_cycle;
    }
    let keys: BTreeSet<String> = left.keys().cloned().collect();
    for deps in left.values_mut() {
        deps.retain(|d| keys.contains(d));
    }
    assert!(
        left.is_empty(),
        "top-level modules on an import cycle: {:?}",
        left.iter()
            .map(|(m, deps)| format!("{m} -> {deps:?}"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn handlers_stay_short() {
    let mut long = Vec::new();
    for s in sources() {
        let edge = matches!(s.module.first().map(String::as_str), Some("ws" | "whip"))
            || (s.module.first().map(String::as_str) == Some("api")
                && s.module.get(1).map(String::as_str) != Some("scheduling"));
        if !edge {
            continue;
        }
        let lines: Vec<&str> = s.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.strip_prefix("pub async fn ") else {
                continue;
            };
            let len = lines[i..]
                .iter()
                .position(|l| *l == "}")
                .map_or(lines.len() - i, |n| n + 1);
            if len > MAX_HANDLER_LINES {
                let fn_name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                long.push(format!("{}::{fn_name} ({len} lines)", name(&s.module)));
            }
        }
    }
    assert!(
        long.is_empty(),
        "handlers over {MAX_HANDLER_LINES} lines (move their rules into a service): {long:?}"
    );
}

#[test]
fn the_reader_sees_paths_in_all_their_forms() {
    let s = Source {
        module: vec!["api".into(), "lessons".into()],
        text: without_comments(
            "use crate::state::AppState;\nuse super::scheduling::{access::missing, basics};\n\
             // use crate::http::app;\nlet x = crate::auth::now_secs();\nuse super::super::ws;",
        ),
    };
    let got = referenced(&s);
    let want: Vec<Module> = [
        "state",
        "auth::now_secs",
        "api::scheduling::access::missing",
        "api::scheduling::basics",
        "ws",
    ]
    .iter()
    .map(|p| p.split("::").map(String::from).collect())
    .collect();
    for w in &want {
        assert!(got.contains(w), "{w:?} not read from {got:?}");
    }
    assert!(!got.iter().any(|m| m.first().is_some_and(|f| f == "http")));
}
