//! `cargo xtask bench`: runs the measuring program (`tests/src/bin/bench.rs`) and sizes the UI,
//! then writes BENCHMARKS.md (tables, and the same figures as JSON).

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::{cargo, install, step};

pub fn measure(root: &Path) -> Result<()> {
    install::zookeeper()?;
    let ui = crate::dist(root, true)?;
    let wasm = std::fs::read(ui.join("frontend_bg.wasm")).context("read the built wasm")?;
    let gzip = compressed_size(&wasm, "gzip", &["-9", "-c"])?;
    step("build the measuring program (release)", || {
        crate::run(cargo().args(["build", "--release", "--package", "tests", "--bin", "bench"]))
    })?;
    let report = step("measure (a few minutes; progress below)", || {
        let output = Command::new(root.join("target/release/bench"))
            .stderr(Stdio::inherit())
            .output()
            .context("run target/release/bench")?;
        anyhow::ensure!(
            output.status.success(),
            "the bench failed: {}",
            output.status
        );
        Ok(serde_json::from_slice::<serde_json::Value>(&output.stdout)?)
    })?;
    let mut report = report;
    report["frontend"] = serde_json::json!({
        "wasm_bytes": wasm.len(),
        "wasm_gzip_bytes": gzip,
    });
    let markdown = render(&report, &machine());
    std::fs::write(root.join("BENCHMARKS.md"), markdown)?;
    println!("wrote BENCHMARKS.md");
    Ok(())
}

fn compressed_size(data: &[u8], tool: &str, args: &[&str]) -> Result<usize> {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("run {tool}"))?;
    child.stdin.take().expect("piped").write_all(data)?;
    let out = child.wait_with_output()?;
    Ok(out.stdout.len())
}

fn machine() -> String {
    let text = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} cores, {}; {}; ZooKeeper 3.8.0 (Debian); run on {}",
        text("nproc", &[]),
        text(
            "sh",
            &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]
        ),
        text("rustc", &["--version"]),
        text("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    )
}

fn render(report: &serde_json::Value, machine: &str) -> String {
    let row = |name: &str, v: &serde_json::Value| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            v["raw_ms"]["p50"],
            v["raw_ms"]["p99"],
            v["ws_ms"]["p50"],
            v["ws_ms"]["p99"],
            v["overhead_ms"]["p50"],
            v["overhead_ms"]["p99"]
        )
    };
    let bridge = &report["bridge_overhead"];
    let frontend = &report["frontend"];
    format!(
        "# Benchmarks\n\nWritten by `cargo xtask bench`. Machine: {machine}.\n\n\
         ## Bridge overhead\n\
         A raw session creates and deletes a child of a room's `/locks`, {rounds} rounds of each \
         after {warmup} warm-up rounds. Latency from just before the write to (a) a raw \
         persistent watch firing and (b) a zkplay viewer receiving the change over the \
         WebSocket; overhead = (b) − (a) per round. Milliseconds. Targets: overhead ≤ 1 ms p50, \
         ≤ 5 ms p99.\n\n\
         | ZooKeeper | raw p50 | raw p99 | ws p50 | ws p99 | overhead p50 | overhead p99 |\n\
         |---|---|---|---|---|---|---|\n{standalone}{ensemble}\n\
         ## Frontend size\n\
         `frontend_bg.wasm` of the `ui` profile (opt-level z, fat LTO, panic=abort, no \
         wasm-opt): {wasm} bytes raw, {gzip} bytes gzip -9. Targets: 250 000 raw, 90 000 gzip.\n\n\
         ## Not measured yet\n\
         Fan-out to 100-1 000 viewers, rooms of 100 and 1 000 lock clients, and the browser's \
         render time for 1 000 nodes are still to come (issue 5).\n\n\
         ## The figures as JSON\n\n```json\n{json}\n```\n",
        rounds = bridge["rounds"],
        warmup = bridge["warmup"],
        standalone = row("standalone", &bridge["standalone"]),
        ensemble = row("three members", &bridge["ensemble"]),
        wasm = frontend["wasm_bytes"],
        gzip = frontend["wasm_gzip_bytes"],
        json = serde_json::to_string_pretty(report).unwrap_or_default(),
    )
}
