//! `cargo xtask shape`: the code's shape in figures — the largest files, the functions over
//! [`LONGEST_FN`] lines, the import circles inside each crate, and the props the page hands to
//! its components by hand. Tidy holds the rules it reports on; this prints them for a note.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use syn::visit::Visit;

/// Longest a function may be, outside the data tables named in [`DATA_TABLES`].
pub const LONGEST_FN: usize = 80;

/// Functions that are tables of data rather than logic, long because the data is: `(file,
/// function)`.
pub const DATA_TABLES: &[(&str, &str)] = &[
    // The words of the event log: one arm per kind of event.
    ("frontend/src/i18n.rs", "describe"),
    // A `RoomEvent` read from its flat wire struct: one arm per kind of event.
    ("shared/src/event/wire.rs", "try_from"),
    // BENCHMARKS.md's targets: one row per target.
    ("xtask/src/bench.rs", "targets"),
];

/// The crates whose shape is measured, by their source folder.
pub const CRATES: &[&str] = &["shared/src", "backend/src", "frontend/src", "xtask/src"];

/// Props whose type is one of these are the page's context, handed down by hand.
const CONTEXT_TYPES: &[&str] = &["RoomView", "Lang", "ServerLink", "Member"];

/// One function and where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LongFn {
    pub lines: usize,
    pub name: String,
    pub file: String,
    pub line: usize,
}

/// What one crate's source looks like.
#[derive(Debug, Default)]
pub struct Shape {
    /// Every file and its line count.
    pub files: Vec<(String, usize)>,
    /// Functions (not tests) over [`LONGEST_FN`] lines.
    pub long_fns: Vec<LongFn>,
    /// Sets of files that import each other, directly or round about.
    pub circles: Vec<Vec<String>>,
    /// Component props carrying the page's context, as `file: Props.field`.
    pub context_props: Vec<String>,
}

/// Measures one crate whose sources are under `src` (relative to `root`).
pub fn measure(root: &Path, src: &str) -> Result<Shape> {
    let dir = root.join(src);
    let mut paths = Vec::new();
    collect(&dir, &mut paths)?;
    paths.sort();
    let mut shape = Shape::default();
    let modules: BTreeMap<Vec<String>, String> = paths
        .iter()
        .filter_map(|p| module_of(&dir, p).map(|m| (m, rel(root, p))))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &paths {
        let text = std::fs::read_to_string(path)?;
        let file = rel(root, path);
        shape.files.push((file.clone(), text.lines().count()));
        let ast = syn::parse_file(&text).with_context(|| format!("parsing {file}"))?;
        let mut seen = Seen {
            file: &file,
            shape: &mut shape,
            uses: Vec::new(),
            prefix: Vec::new(),
        };
        seen.visit_file(&ast);
        let uses = std::mem::take(&mut seen.uses);
        let Some(me) = module_of(&dir, path) else {
            continue;
        };
        let targets = edges.entry(file.clone()).or_default();
        for used in uses {
            if let Some(target) = resolve(&me, &used, &modules) {
                if target != file {
                    targets.insert(target);
                }
            }
        }
    }
    shape.circles = circles(&edges);
    // Which imports close a circle, for whoever breaks it.
    if std::env::var_os("SHAPE_EDGES").is_some() {
        for circle in &shape.circles {
            for from in circle {
                for to in edges[from].iter().filter(|t| circle.contains(t)) {
                    eprintln!("{from} -> {to}");
                }
            }
        }
    }
    shape.long_fns.sort_by(|a, b| b.cmp(a));
    shape.files.sort_by_key(|f| std::cmp::Reverse(f.1));
    Ok(shape)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The module path a file is (`lib.rs` is the crate; a binary's `main.rs` is none of it).
fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.last().map(String::as_str) {
        Some("lib") if parts.len() == 1 => Some(Vec::new()),
        Some("main") if parts.len() == 1 => None,
        Some("mod") => {
            parts.pop();
            Some(parts)
        }
        _ => Some(parts),
    }
}

/// The file a path used in module `me` leads into: the deepest module it names.
fn resolve(
    me: &[String],
    used: &[String],
    modules: &BTreeMap<Vec<String>, String>,
) -> Option<String> {
    let (mut base, rest): (Vec<String>, &[String]) = match used.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &used[1..]),
        Some("super") => {
            let mut base = me.to_vec();
            let mut rest = used;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
            (base, rest)
        }
        Some("self") => (me.to_vec(), &used[1..]),
        // A path from a child module (2018 edition): `use handle::RoomHandle;`.
        Some(first) if modules.contains_key(&[me, &[first.to_string()]].concat()) => {
            (me.to_vec(), used)
        }
        _ => return None,
    };
    let mut found = modules.get(&base).cloned();
    for part in rest {
        base.push(part.clone());
        match modules.get(&base) {
            Some(file) => found = Some(file.clone()),
            None => break,
        }
    }
    found
}

/// Walks one file: its functions' lengths, the paths it uses, its components' props.
struct Seen<'a> {
    file: &'a str,
    shape: &'a mut Shape,
    uses: Vec<Vec<String>>,
    prefix: Vec<String>,
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        if path.is_ident("test") || path.segments.last().is_some_and(|s| s.ident == "test") {
            return true;
        }
        path.is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl Seen<'_> {
    fn function(&mut self, name: &syn::Ident, sig: &syn::Signature, body: &syn::Block) {
        let start = sig.fn_token.span.start().line;
        let end = body.brace_token.span.close().end().line;
        let lines = end + 1 - start;
        let table = DATA_TABLES
            .iter()
            .any(|(file, table)| *file == self.file && name == table);
        if lines > LONGEST_FN && !table {
            self.shape.long_fns.push(LongFn {
                lines,
                name: name.to_string(),
                file: self.file.to_string(),
                line: start,
            });
        }
    }

    fn use_tree(&mut self, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                self.prefix.push(p.ident.to_string());
                self.use_tree(&p.tree);
                self.prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = self.prefix.clone();
                path.push(n.ident.to_string());
                self.uses.push(path);
            }
            syn::UseTree::Rename(r) => {
                let mut path = self.prefix.clone();
                path.push(r.ident.to_string());
                self.uses.push(path);
            }
            syn::UseTree::Glob(_) => self.uses.push(self.prefix.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(t)),
        }
    }
}

impl<'ast> Visit<'ast> for Seen<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_test(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_test(&f.attrs) {
            return;
        }
        self.function(&f.sig.ident, &f.sig, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if is_test(&f.attrs) {
            return;
        }
        self.function(&f.sig.ident, &f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(body) = &f.default {
            self.function(&f.sig.ident, &f.sig, body);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if !is_test(&u.attrs) {
            self.prefix.clear();
            self.use_tree(&u.tree);
        }
    }

    /// `pub(crate)` and `pub(super)` name a module without using it.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let first = p.segments.first().map(|s| s.ident.to_string());
        if matches!(first.as_deref(), Some("crate" | "super")) {
            self.uses
                .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let props = s.attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && a.meta
                    .require_list()
                    .is_ok_and(|l| l.tokens.to_string().contains("Properties"))
        });
        // The provider gives the context: its props are the context.
        let provider = s.ident.to_string().ends_with("ProviderProps");
        if props && !provider {
            for field in &s.fields {
                let ty = quote_type(&field.ty);
                if CONTEXT_TYPES
                    .iter()
                    .any(|t| ty.split(|c: char| !c.is_alphanumeric()).any(|w| w == *t))
                {
                    let name = field.ident.as_ref().map(|i| i.to_string());
                    self.shape.context_props.push(format!(
                        "{}: {}.{}",
                        self.file,
                        s.ident,
                        name.unwrap_or_default()
                    ));
                }
            }
        }
        syn::visit::visit_item_struct(self, s);
    }
}

fn quote_type(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .iter()
            .map(|s| {
                let mut text = s.ident.to_string();
                if let syn::PathArguments::AngleBracketed(args) = &s.arguments {
                    for arg in &args.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            text.push('<');
                            text.push_str(&quote_type(t));
                            text.push('>');
                        }
                    }
                }
                text
            })
            .collect::<Vec<_>>()
            .join("::"),
        _ => String::new(),
    }
}

/// The strongly connected sets of more than one file (Tarjan's algorithm).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut set = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    set.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if set.len() > 1 {
                    set.sort();
                    self.found.push(set);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

/// Prints every crate's shape.
pub fn report(root: &Path) -> Result<()> {
    let mut all_files = Vec::new();
    let mut long = Vec::new();
    for src in CRATES {
        let shape = measure(root, src)?;
        let in_circles: usize = shape.circles.iter().map(Vec::len).sum();
        println!("## {src}: {} files", shape.files.len());
        println!(
            "import circles: {} (files in them: {in_circles})",
            shape.circles.len()
        );
        for circle in &shape.circles {
            println!("  - {}", circle.join(" ↔ "));
        }
        if !shape.context_props.is_empty() {
            println!(
                "props carrying the page's context: {}",
                shape.context_props.len()
            );
            for prop in &shape.context_props {
                println!("  - {prop}");
            }
        }
        all_files.extend(shape.files);
        long.extend(shape.long_fns);
    }
    all_files.sort_by_key(|f| std::cmp::Reverse(f.1));
    println!("## largest files");
    for (file, lines) in all_files.iter().take(10) {
        println!("  {lines:5}  {file}");
    }
    long.sort_by(|a, b| b.cmp(a));
    println!("## functions over {LONGEST_FN} lines: {}", long.len());
    for f in &long {
        println!("  {:4}  {} ({}:{})", f.lines, f.name, f.file, f.line);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_is_found_and_a_line_is_not() {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        edges.entry("a".into()).or_default().insert("b".into());
        edges.entry("b".into()).or_default().insert("c".into());
        edges.entry("c".into()).or_default().insert("a".into());
        edges.entry("d".into()).or_default().insert("a".into());
        assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
        edges.get_mut("c").unwrap().clear();
        assert!(circles(&edges).is_empty());
    }

    #[test]
    fn a_path_leads_into_the_deepest_module_it_names() {
        let modules: BTreeMap<Vec<String>, String> = [
            (vec![], "lib.rs"),
            (vec!["room".to_string()], "room/mod.rs"),
            (vec!["room".into(), "time".into()], "room/time.rs"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        let path = |p: &str| p.split("::").map(String::from).collect::<Vec<_>>();
        let me = vec!["room".to_string(), "reset".to_string()];
        assert_eq!(
            resolve(&me, &path("super::time::Clock"), &modules).as_deref(),
            Some("room/time.rs")
        );
        assert_eq!(
            resolve(&me, &path("crate::room::RoomError"), &modules).as_deref(),
            Some("room/mod.rs")
        );
        assert_eq!(resolve(&me, &path("std::sync::Arc"), &modules), None);
        let room = vec!["room".to_string()];
        assert_eq!(
            resolve(&room, &path("time::Time"), &modules).as_deref(),
            Some("room/time.rs"),
            "a child module's path"
        );
    }
}
