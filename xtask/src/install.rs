//! Installs what zkplay needs when it is missing, or says exactly how to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use anyhow::{bail, Context, Result};

use crate::{run, step};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `apt-get install` of Debian packages, as root; otherwise the command to run.
fn apt_install(packages: &[&str], no_recommends: bool) -> Result<()> {
    let mut args = vec!["install", "-y"];
    if no_recommends {
        args.push("--no-install-recommends");
    }
    args.extend_from_slice(packages);
    if !is_root() {
        bail!(
            "missing Debian packages {packages:?}; as root, run:\n    apt-get update && apt-get {}",
            args.join(" ")
        );
    }
    static UPDATE: Once = Once::new();
    let mut updated = Ok(());
    UPDATE.call_once(|| updated = run(Command::new("apt-get").args(["update", "-q"])));
    updated?;
    run(Command::new("apt-get")
        .args(&args)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn have(path: &str) -> bool {
    Path::new(path).exists()
}

fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Debian's ZooKeeper 3.8 and the JRE it brings.
pub fn zookeeper() -> Result<()> {
    if std::env::var_os("ZOOKEEPER_HOME").is_some()
        || (have("/usr/share/java/zookeeper.jar") && on_path("java"))
    {
        return Ok(());
    }
    step("install ZooKeeper (Debian package zookeeper)", || {
        apt_install(&["zookeeper"], true)
    })
}

/// The wasm32 target of the Rust toolchain.
pub fn wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the wasm32 target")?;
    if String::from_utf8_lossy(&installed.stdout).contains("wasm32-unknown-unknown") {
        return Ok(());
    }
    step("add the wasm32-unknown-unknown target (rustup)", || {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
    })
}

/// Debian's Chromium and its matching chromedriver, for browser tests, and the fonts a
/// reader's screen has: the walkthrough measures Chinese text and its screenshots are looked
/// at, so CJK glyphs and the symbols the cards use (⏸ ✂) must be real, not boxes.
pub fn chromium() -> Result<()> {
    const FONTS: [&str; 2] = [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    ];
    if have("/usr/bin/chromium") && have("/usr/bin/chromedriver") && FONTS.iter().all(|f| have(f)) {
        return Ok(());
    }
    step(
        "install Chromium, chromedriver and the CJK and symbol fonts (Debian)",
        || {
            apt_install(
                &[
                    "chromium",
                    "chromium-driver",
                    "fonts-noto-cjk",
                    "fonts-noto-color-emoji",
                ],
                false,
            )
        },
    )
}

/// The version of wasm-bindgen the lock file holds.
fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == r#"name = "wasm-bindgen""# {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return Ok(version.trim_matches('"').to_string());
            }
        }
    }
    bail!("no wasm-bindgen in Cargo.lock")
}

/// `wasm-bindgen-test-runner` of exactly the locked version, in `target/tools/bin`.
pub fn wasm_bindgen_cli(root: &Path) -> Result<PathBuf> {
    let version = locked_wasm_bindgen(root)?;
    let tools = root.join("target/tools");
    let bin = tools.join("bin");
    let runner = bin.join("wasm-bindgen-test-runner");
    let current = Command::new(&runner)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(&version))
        .unwrap_or(false);
    if current {
        return Ok(bin);
    }
    step(
        &format!("install wasm-bindgen-cli {version} into target/tools (about 2 minutes)"),
        || {
            // Without --locked: the CLI's own lock file names a crate version the registry
            // no longer serves.
            run(crate::cargo()
                .args([
                    "install",
                    "wasm-bindgen-cli",
                    "--version",
                    &version,
                    "--root",
                ])
                .arg(&tools))
        },
    )?;
    Ok(bin)
}

/// The trunk `Trunk.toml` is written for.
const TRUNK: &str = "0.22.1";

/// trunk, for `cargo xtask dev`, into `target/tools/bin` beside wasm-bindgen-cli. It declares a
/// newer rust-version than this toolchain but builds with it (about 10 minutes, once).
pub fn trunk(root: &Path) -> Result<PathBuf> {
    let bin = wasm_bindgen_cli(root)?;
    let trunk = bin.join("trunk");
    let current = Command::new(&trunk)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(TRUNK))
        .unwrap_or(false);
    if current {
        return Ok(bin);
    }
    step(
        &format!("install trunk {TRUNK} into target/tools (about 10 minutes, once)"),
        || {
            run(crate::cargo()
                .args([
                    "install",
                    "trunk",
                    "--version",
                    TRUNK,
                    "--locked",
                    "--ignore-rust-version",
                    "--root",
                ])
                .arg(root.join("target/tools")))
        },
    )?;
    Ok(bin)
}

/// Binaryen's version from npm: Debian's (108) and the crates.io `wasm-opt` (116) cannot read
/// what today's wasm-bindgen writes.
const BINARYEN: &str = "132.0.0";

/// `wasm-opt` from npm's `binaryen`, in `target/tools/binaryen`; Node and npm from Debian if
/// they are missing.
pub fn wasm_opt(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/tools/binaryen");
    let wasm_opt = prefix.join("node_modules/.bin/wasm-opt");
    let current = Command::new(&wasm_opt)
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .contains(BINARYEN.split('.').next().unwrap_or_default())
        })
        .unwrap_or(false);
    if current {
        return Ok(wasm_opt);
    }
    npm_install(&prefix, &format!("binaryen@{BINARYEN}"), "(wasm-opt)")?;
    Ok(wasm_opt)
}

/// axe-core, the accessibility checker the browser tests run in the page (its contrast rule
/// checks presenter mode against WCAG AA).
const AXE_CORE: &str = "4.14.1";

/// `axe.min.js` from npm's `axe-core`, in `target/tools/axe-core-<version>`.
pub fn axe_core(root: &Path) -> Result<PathBuf> {
    let prefix = root.join(format!("target/tools/axe-core-{AXE_CORE}"));
    let script = prefix.join("node_modules/axe-core/axe.min.js");
    if !script.exists() {
        npm_install(
            &prefix,
            &format!("axe-core@{AXE_CORE}"),
            "(accessibility checks)",
        )?;
    }
    Ok(script)
}

/// Ace, the code editor of the recipe panel: prebuilt, no bundler needed, loaded by the page
/// only when the panel opens.
const ACE: &str = "1.45.2";

/// The files of npm's `ace-builds` the page serves (`src-min-noconflict`): the editor, its
/// Rust mode (whose highlighting suits Rhai's `fn`, `let`, `if`, `//` and strings), and a dark
/// theme that matches the page.
pub const ACE_FILES: [&str; 3] = ["ace.js", "mode-rust.js", "theme-github_dark.js"];

/// `ace-builds` from npm, in `target/tools/ace-builds-<version>`; the folder of its files.
pub fn ace(root: &Path) -> Result<PathBuf> {
    let prefix = root.join(format!("target/tools/ace-builds-{ACE}"));
    let files = prefix.join("node_modules/ace-builds/src-min-noconflict");
    if !ACE_FILES.iter().all(|f| files.join(f).exists()) {
        npm_install(&prefix, &format!("ace-builds@{ACE}"), "(the recipe editor)")?;
    }
    Ok(files)
}

/// The peers' own dependencies, pinned (`tests/peers/bridge.js` and `bridge.py`).
const PEERS_NODE: [&str; 2] = ["node-zookeeper-client@1.1.3", "ws@8.23.1"];
const PEERS_PYTHON: [&str; 2] = ["kazoo==2.11.0", "websockets==17.4"];

/// What the benchmark's peer bridges need: their npm packages in `target/tools/peers-node`,
/// their Python packages in `target/tools/peers-python`.
pub fn peers(root: &Path) -> Result<()> {
    let node = root.join("target/tools/peers-node");
    let marker = node.join("node_modules/node-zookeeper-client/package.json");
    if !marker.exists() {
        npm_install(&node, &PEERS_NODE.join(" "), "(the Node peer bridge)")?;
    }
    let python = root.join("target/tools/peers-python");
    if !python.join("kazoo").exists() {
        if Command::new("python3").arg("--version").output().is_err() {
            apt_install(&["python3", "python3-pip"], true)?;
        }
        step(
            &format!(
                "install {} (the Python peer bridge) from PyPI into target/tools",
                PEERS_PYTHON.join(" ")
            ),
            || {
                std::fs::create_dir_all(&python)?;
                run(Command::new("python3")
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                    ])
                    .arg("--target")
                    .arg(&python)
                    .args(PEERS_PYTHON))
            },
        )?;
    }
    Ok(())
}

/// `npm install <specs>` (space-separated) into `prefix`; Node and npm from Debian if they are
/// missing.
fn npm_install(prefix: &Path, spec: &str, what: &str) -> Result<()> {
    if Command::new("npm").arg("--version").output().is_err() {
        apt_install(&["nodejs", "npm"], true)?;
    }
    step(
        &format!("install {spec} {what} from npm into target/tools"),
        || {
            std::fs::create_dir_all(prefix)?;
            run(Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(prefix)
                .args(spec.split(' ')))
        },
    )
}

/// wasm-bindgen-test-runner leaves Chromium profile folders in /tmp.
pub fn remove_chromium_leftovers() {
    if let Ok(entries) = std::fs::read_dir("/tmp") {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("org.chromium.Chromium.")
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}
