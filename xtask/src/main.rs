//! `cargo xtask`: set up what zkplay needs, build the UI, run it, test it.
//!
//! Every step says what it does; a failed step stops the run with its reason.

mod bench;
mod install;
mod shape;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "zkplay's automation")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install what is missing, build the UI, start ZooKeeper and the server (Ctrl-C stops all).
    Play {
        /// Arguments for the `zkplay` server, e.g. `-- --listen 127.0.0.1:9000`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// The frontend's development loop: `trunk serve` on http://127.0.0.1:8081, rebuilding the
    /// page on every change, with the zkplay server on 127.0.0.1:8080 allowing trunk's origin.
    /// Ctrl-C stops both (and the ensemble).
    Dev {
        /// More arguments for the `zkplay` server, e.g. `-- --hold-ms 0`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// A fleet on this machine: a ZooKeeper ensemble, `--servers` zkplay servers on it and one
    /// front address that hands each connection to the next server (Ctrl-C stops all).
    Fleet {
        /// How many zkplay servers.
        #[arg(long, default_value_t = 3)]
        servers: u64,
        /// Where the front listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        front: String,
    },
    /// Install what is missing, then run every check and test: format, lints, unit,
    /// real-ZooKeeper integration, wasm in headless Chromium, browser end-to-end.
    Test,
    /// Run zkplay (release) through random faults for a while and check what happened: no two
    /// holders, no waiter left waiting, orphaned nodes gone in time, the picture equal to the
    /// tree, sessions and memory back at their baseline. A summary line ends it.
    Soak {
        /// How long to inject faults.
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// The faults' seed (default: from the clock; the summary names it).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Measure what users feel (so far: the bridge overhead, the UI's size) and write
    /// BENCHMARKS.md. Benchmarks are not tests: nothing here fails on a slow figure.
    Bench,
    /// Take the tours a person takes (a first visit, step mode, lessons in both languages, a
    /// classroom on a phone, presenter mode) against a real ZooKeeper and save a screenshot of
    /// every stop in target/tour/, to look at.
    Tour,
    /// Print the code's shape: the largest files, functions over 80 lines, import circles,
    /// and the props the page hands its components by hand.
    Shape {
        /// Another checkout to measure (an earlier commit's, to compare).
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Build the UI into target/dist (no trunk needed).
    Dist {
        /// Build the wasm in debug mode (faster to build, larger and slower).
        #[arg(long)]
        debug: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match cli.command {
        Cmd::Play { args } => play(&root, args),
        Cmd::Dev { args } => dev(&root, args),
        Cmd::Fleet { servers, front } => fleet(&root, servers, &front),
        Cmd::Test => test(&root),
        Cmd::Bench => bench::measure(&root),
        Cmd::Soak { minutes, seed } => soak(&root, "release", minutes, seed),
        Cmd::Tour => tour(&root),
        Cmd::Shape { root: other } => shape::report(other.as_deref().unwrap_or(&root)),
        Cmd::Dist { debug } => dist(&root, !debug).map(drop),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Prints a step's title, runs it, and says how long it took.
fn step<T>(title: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("==> {title}");
    let start = Instant::now();
    let result = f().with_context(|| format!("step failed: {title}"))?;
    println!("    done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(result)
}

/// Runs a command, streaming its output; fails with the command line if it fails.
fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds binaries in release, each `(package, bin)`.
fn build_release(what: &str, bins: &[(&str, &str)]) -> Result<()> {
    step(&format!("build {what} (release)"), || {
        let mut cmd = cargo();
        cmd.args(["build", "--release"]);
        for (package, bin) in bins {
            cmd.args(["--package", package, "--bin", bin]);
        }
        run(&mut cmd)
    })
}

fn play(root: &Path, args: Vec<String>) -> Result<()> {
    install::zookeeper()?;
    install::wasm_target()?;
    let ui = dist(root, true)?;
    build_release("the zkplay server", &[("backend", "zkplay")])?;
    let server = root.join("target/release/zkplay");
    println!("==> start zkplay (Ctrl-C stops the server and the ZooKeeper ensemble)");
    let mut cmd = Command::new(server);
    cmd.arg("--ui-dir").arg(&ui).args(&args);
    // Become the server, so Ctrl-C reaches it alone and the terminal returns only when it
    // has stopped everything it started.
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(err).context("could not start target/release/zkplay")
}

/// Builds the UI, zkplay and the fleet launcher (release), and becomes the launcher
/// (`tests/src/bin/fleet.rs`).
fn fleet(root: &Path, servers: u64, front: &str) -> Result<()> {
    install::zookeeper()?;
    install::wasm_target()?;
    let ui = dist(root, true)?;
    build_release(
        "zkplay and the fleet launcher",
        &[("backend", "zkplay"), ("tests", "fleet")],
    )?;
    let bin = root.join("target/release");
    println!("==> start the fleet (Ctrl-C stops every server, then the ZooKeeper ensemble)");
    let mut cmd = Command::new(bin.join("fleet"));
    cmd.arg("--server")
        .arg(bin.join("zkplay"))
        .arg("--ui-dir")
        .arg(&ui)
        .args(["--servers", &servers.to_string(), "--front", front]);
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(err).context("could not start target/release/fleet")
}

/// trunk's page and where it forwards `/ws` (`Trunk.toml`).
const TRUNK_PAGE: &str = "http://127.0.0.1:8081";
const DEV_SERVER: &str = "127.0.0.1:8080";

fn dev(root: &Path, args: Vec<String>) -> Result<()> {
    install::zookeeper()?;
    install::wasm_target()?;
    let tools = install::trunk(root)?;
    step("build the zkplay server (debug)", || {
        run(cargo().args(["build", "--package", "backend", "--bin", "zkplay"]))
    })?;
    println!("==> start zkplay on {DEV_SERVER}, allowing trunk's page {TRUNK_PAGE}");
    // Both children share this terminal's process group: Ctrl-C reaches each, and each stops
    // what it started.
    let mut server = Command::new(root.join("target/debug/zkplay"))
        .args(["--listen", DEV_SERVER, "--allow-origin", TRUNK_PAGE])
        .args(&args)
        .spawn()
        .context("start target/debug/zkplay")?;
    println!("==> trunk serve: open {TRUNK_PAGE} (Ctrl-C stops trunk and the server)");
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let served = Command::new(tools.join("trunk"))
        .arg("serve")
        .env("PATH", path)
        .current_dir(root)
        .status();
    // trunk ended (Ctrl-C, or it failed): the server goes with it.
    if server.try_wait()?.is_none() {
        // As Ctrl-C would: the server stops its sessions and the ensemble in order.
        let _ = Command::new("kill")
            .args(["-INT", &server.id().to_string()])
            .status();
    }
    let stopped = server.wait()?;
    let served = served.context("start trunk")?;
    if !served.success() {
        bail!("trunk serve ended with {served}");
    }
    println!("zkplay stopped ({stopped})");
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    let start = Instant::now();
    install::zookeeper()?;
    install::wasm_target()?;
    install::chromium()?;
    let tools = install::wasm_bindgen_cli(root)?;
    let axe = install::axe_core(root)?;
    step("cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    step("clippy (native, all targets)", || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (wasm32: shared, frontend)", || {
        run(cargo().args([
            "clippy",
            "--package",
            "shared",
            "--package",
            "frontend",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    let ui = dist(root, true)?;
    step(
        "native tests: unit, real-ZooKeeper integration, browser end-to-end",
        || {
            run(cargo()
                .args(["test", "--workspace"])
                .env("ZKPLAY_TEST_UI_DIR", &ui)
                .env("ZKPLAY_AXE_JS", &axe)
                .env("CHROMEDRIVER", "/usr/bin/chromedriver"))
        },
    )?;
    soak(root, "dev", SHORT_SOAK_MINUTES, None)?;
    step(
        "wasm tests in headless Chromium (wasm-bindgen-test)",
        || {
            let path = format!(
                "{}:{}",
                tools.display(),
                std::env::var("PATH").unwrap_or_default()
            );
            let result = run(cargo()
                .args([
                    "test",
                    "--package",
                    "frontend",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .env("PATH", path)
                .env("CHROMEDRIVER", "/usr/bin/chromedriver")
                .env("WASM_BINDGEN_TEST_TIMEOUT", "120"));
            install::remove_chromium_leftovers();
            result
        },
    )?;
    println!(
        "all checks and tests passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The soak `cargo xtask test` runs: long enough for every fault kind (each comes once before
/// any repeats) and several hand-offs around each.
const SHORT_SOAK_MINUTES: f64 = 2.0;

/// Builds the server and the soak in `profile`, and runs the soak for `minutes`.
fn soak(root: &Path, profile: &str, minutes: f64, seed: Option<u64>) -> Result<()> {
    install::zookeeper()?;
    step(
        &format!("build zkplay and the soak (profile {profile})"),
        || {
            run(cargo().args([
                "build",
                "--package",
                "backend",
                "--bin",
                "zkplay",
                "--package",
                "tests",
                "--bin",
                "soak",
                "--profile",
                profile,
            ]))
        },
    )?;
    let folder = if profile == "dev" { "debug" } else { profile };
    let bin = root.join("target").join(folder);
    step(&format!("soak: {minutes} minutes of random faults"), || {
        let mut cmd = Command::new(bin.join("soak"));
        cmd.arg("--server")
            .arg(bin.join("zkplay"))
            .arg("--minutes")
            .arg(minutes.to_string());
        if let Some(seed) = seed {
            cmd.arg("--seed").arg(seed.to_string());
        }
        run(&mut cmd)
    })
}

/// Builds the release UI and runs the tour (`tests/src/bin/tour.rs`) in headless Chromium.
fn tour(root: &Path) -> Result<()> {
    install::zookeeper()?;
    install::chromium()?;
    let ui = dist(root, true)?;
    step("the tour: screenshots in target/tour/", || {
        run(cargo()
            .args(["run", "--package", "tests", "--bin", "tour"])
            .env("ZKPLAY_TEST_UI_DIR", &ui)
            .env("CHROMEDRIVER", "/usr/bin/chromedriver"))
    })
}

/// Builds the wasm UI and writes it, with its page and style, to `target/dist`.
pub(crate) fn dist(root: &Path, release: bool) -> Result<PathBuf> {
    install::wasm_target()?;
    // `ui` is the release profile tuned for size (see Cargo.toml); cargo builds it in `target/ui`.
    let (profile, folder) = if release {
        ("ui", "ui")
    } else {
        ("dev", "debug")
    };
    step(&format!("build the UI's wasm (profile {profile})"), || {
        run(cargo().args([
            "build",
            "--package",
            "frontend",
            "--bin",
            "frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
        ]))
    })?;
    let out = root.join("target/dist");
    step("wasm-bindgen and page into target/dist", || {
        let wasm = root.join(format!(
            "target/wasm32-unknown-unknown/{folder}/frontend.wasm"
        ));
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        std::fs::create_dir_all(&out)?;
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .web(true)?
            .omit_default_module_path(false)
            .typescript(false)
            // Function names are a quarter of the file; keep them only for debug builds.
            .remove_name_section(release)
            .remove_producers_section(release)
            .generate(&out)
            .context("wasm-bindgen")?;
        if release {
            shrink(root, &out.join("frontend_bg.wasm"))?;
        }
        std::fs::copy(root.join("frontend/style.css"), out.join("style.css"))?;
        let ace = install::ace(root)?;
        let vendor = out.join("vendor/ace");
        std::fs::create_dir_all(&vendor)?;
        for name in install::ACE_FILES {
            std::fs::copy(ace.join(name), vendor.join(name))?;
        }
        if release {
            for name in ["frontend_bg.wasm", "frontend.js", "style.css"] {
                precompress(&out.join(name))?;
            }
            for name in install::ACE_FILES {
                precompress(&vendor.join(name))?;
            }
        }
        let page = std::fs::read_to_string(root.join("index.html"))?;
        std::fs::write(out.join("index.html"), page_without_trunk(&page))?;
        let size = std::fs::metadata(out.join("frontend_bg.wasm"))?.len();
        println!("    frontend_bg.wasm: {size} bytes");
        Ok(())
    })?;
    Ok(out)
}

/// Writes `<file>.br` and `<file>.gz` beside `file`, at the highest settings.
fn precompress(file: &Path) -> Result<()> {
    let data = std::fs::read(file)?;
    let with_suffix = |suffix: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    std::fs::write(with_suffix(".br"), brotli_bytes(&data)?)?;
    std::fs::write(with_suffix(".gz"), gzip_bytes(&data)?)?;
    Ok(())
}

fn brotli_bytes(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
    Ok(out)
}

fn gzip_bytes(data: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

/// `wasm-opt -Oz` in place, with the features rustc's wasm32 target uses.
fn shrink(root: &Path, wasm: &Path) -> Result<()> {
    let wasm_opt = install::wasm_opt(root)?;
    run(Command::new(wasm_opt)
        .arg("-Oz")
        .args(WASM_FEATURES.iter().map(|f| format!("--enable-{f}")))
        .arg(wasm)
        .arg("-o")
        .arg(wasm))
}

const WASM_FEATURES: [&str; 7] = [
    "bulk-memory",
    "bulk-memory-opt",
    "multivalue",
    "mutable-globals",
    "nontrapping-float-to-int",
    "reference-types",
    "sign-ext",
];

/// Turns trunk's `index.html` into a plain page: trunk's links become a stylesheet link and a
/// module script that loads the wasm.
fn page_without_trunk(page: &str) -> String {
    let mut out = String::new();
    for line in page.lines() {
        if line.contains("data-trunk") {
            if line.contains(r#"rel="css""#) {
                out.push_str("    <link rel=\"stylesheet\" href=\"/style.css\">\n");
            } else if line.contains(r#"rel="rust""#) {
                // The preloads start the script and the wasm with the stylesheet, not after
                // the script has run: one round trip less on a first visit.
                out.push_str(
                    "    <link rel=\"modulepreload\" href=\"/frontend.js\">\n    \
                     <link rel=\"preload\" href=\"/frontend_bg.wasm\" as=\"fetch\" \
                     type=\"application/wasm\" crossorigin>\n    \
                     <script type=\"module\">import init from '/frontend.js'; \
                     init({ module_or_path: '/frontend_bg.wasm' });</script>\n",
                );
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
