//! Project conventions checked as ordinary tests (`cargo test -p xtask`): module docs, no
//! ignored tests or stubs, docs that name every test id and server flag, and the code's shape
//! (`cargo xtask shape`: no import circle, no long function, no context handed by hand).

#![cfg(test)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    crate::workspace_root()
}

fn rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["shared", "backend", "frontend", "xtask", "tests"] {
        collect(&root().join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    files
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_module_says_what_it_is_for() {
    for file in rust_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} does not start with a `//!` line",
            file.display()
        );
    }
}

#[test]
fn no_ignored_tests_or_stubs() {
    let banned = [
        concat!("#[", "ignore"),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("dbg", "!("),
    ];
    for file in rust_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in banned {
            assert!(!text.contains(word), "{} contains {word}", file.display());
        }
    }
}

/// Every `data-testid` the UI renders is listed in ARCHITECTURE.md.
#[test]
fn every_test_id_is_documented() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut ids = Vec::new();
    for file in rust_files()
        .into_iter()
        .filter(|f| f.starts_with(root().join("frontend/src")))
    {
        let text = std::fs::read_to_string(&file).unwrap();
        for part in text.split("data-testid=\"").skip(1) {
            ids.push(part.split('"').next().unwrap().to_string());
        }
    }
    assert!(ids.len() >= 10, "found only {ids:?}");
    for id in ids {
        assert!(
            architecture.contains(&format!("`{id}`")),
            "test id `{id}` is not in ARCHITECTURE.md"
        );
    }
}

/// Every server flag is in the README's table.
#[test]
fn every_server_flag_is_documented() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let config = std::fs::read_to_string(root().join("backend/src/config.rs")).unwrap();
    let flags: Vec<String> = config
        .lines()
        .filter_map(|l| l.strip_prefix("    pub "))
        .filter_map(|l| l.split_once(':').map(|(field, _)| field))
        .filter(|field| field.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|field| format!("`--{}`", field.replace('_', "-")))
        .collect();
    assert!(flags.len() >= 8, "found only {flags:?}");
    for flag in flags {
        assert!(readme.contains(&flag), "{flag} is not in README.md");
    }
}

#[test]
fn the_code_keeps_its_shape() {
    for src in crate::shape::CRATES {
        let shape = crate::shape::measure(&root(), src).unwrap();
        assert!(
            shape.circles.is_empty(),
            "{src}: import circles (SHAPE_EDGES=1 cargo xtask shape names their edges): {:?}",
            shape.circles
        );
        assert!(
            shape.long_fns.is_empty(),
            "{src}: functions over {} lines: {:?}",
            crate::shape::LONGEST_FN,
            shape.long_fns
        );
        assert!(
            shape.context_props.is_empty(),
            "{src}: props that hand the page's context down by hand (use_page, use_room): {:?}",
            shape.context_props
        );
    }
}
