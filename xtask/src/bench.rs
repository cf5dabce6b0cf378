//! `cargo xtask bench`: runs the measuring program (`tests/src/bin/bench`) and sizes the UI,
//! then writes the figures into BENCHMARKS.md (tables, and the same as JSON) between two
//! markers, keeping the hand-written findings around them.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::{cargo, install, step};

const BEGIN: &str = "<!-- figures: written by `cargo xtask bench`; edits here are lost -->";
const END: &str = "<!-- end of figures -->";
/// The issue's target for live lock sessions on one server.
const TARGET_SESSIONS: f64 = 10_000.0;

pub fn measure(root: &Path) -> Result<()> {
    install::zookeeper()?;
    install::chromium()?;
    let ui = crate::dist(root, true)?;
    let size = |name: &str| std::fs::metadata(ui.join(name)).map(|m| m.len());
    let frontend = json!({
        "wasm_bytes": size("frontend_bg.wasm")?,
        "wasm_gzip_bytes": size("frontend_bg.wasm.gz")?,
        "wasm_brotli_bytes": size("frontend_bg.wasm.br")?,
        "js_brotli_bytes": size("frontend.js.br")?,
    });
    install::peers(root)?;
    step("build the measuring program and zkplay (release)", || {
        crate::run(cargo().args([
            "build",
            "--release",
            "--package",
            "tests",
            "--bin",
            "bench",
            "--package",
            "backend",
            "--bin",
            "zkplay",
        ]))
    })?;
    let report = step("measure (about five minutes; progress below)", || {
        let output = Command::new(root.join("target/release/bench"))
            .env("ZKPLAY_TEST_UI_DIR", &ui)
            .stderr(Stdio::inherit())
            .output()
            .context("run target/release/bench")?;
        anyhow::ensure!(
            output.status.success(),
            "the bench failed: {}",
            output.status
        );
        Ok(serde_json::from_slice::<Value>(&output.stdout)?)
    })?;
    let mut report = report;
    report["frontend"]["size"] = frontend;
    report["machine"] = json!(machine());
    let path = root.join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, splice(&old, &figures(&report)))?;
    println!("wrote BENCHMARKS.md");
    Ok(())
}

/// Puts `figures` between the markers of `page`, or makes a page of them.
fn splice(page: &str, figures: &str) -> String {
    match (page.find(BEGIN), page.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{BEGIN}\n{figures}{END}{}",
            &page[..begin],
            &page[end + END.len()..]
        ),
        _ => format!("# Benchmarks\n\n{BEGIN}\n{figures}{END}\n"),
    }
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
        "{} cores ({}), {} GiB; {}; ZooKeeper 3.8.0 (Debian), {}; {}; run on {}",
        text("nproc", &[]),
        text(
            "sh",
            &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]
        )
        .trim(),
        text(
            "sh",
            &[
                "-c",
                "awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo"
            ]
        ),
        text("rustc", &["--version"]),
        text("sh", &["-c", "java -version 2>&1 | head -1"]),
        text("chromium", &["--version"]),
        text("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    )
}

/// A number rounded to a whole one, as the tables show it.
fn whole(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| n(v), |x| n(&json!(x.round() as i64)))
}

/// A number as the tables show it.
fn n(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::Number(x) => match x.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.3}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string(),
            _ => x.to_string(),
        },
        other => other.to_string(),
    }
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**missed**"
    }
}

fn figures(r: &Value) -> String {
    let mut out = format!("Machine: {}.\n\n", r["machine"].as_str().unwrap_or("?"));
    out += &targets(r);
    out += &bridge(&r["bridge_overhead"]);
    out += &peers(&r["peers"]);
    out += &fan_out(&r["fan_out"]);
    out += &scale(&r["lock_scale"]);
    out += &many_rooms(&r["many_rooms"]);
    out += &fleet(&r["fleet"]);
    out += &frontend(&r["frontend"], &r["lock_scale"]);
    out += &first_visit(&r["first_visit"]);
    out += &step_mode(&r["step"]);
    out += &recording(&r["recording"]);
    out += &timeline(&r["timeline"], &r["recording"]);
    out += &format!(
        "### The figures as JSON\n\n```json\n{}\n```\n",
        serde_json::to_string_pretty(r).unwrap_or_default()
    );
    out
}

fn targets(r: &Value) -> String {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let bridge = &r["bridge_overhead"];
    let worst = |key: &str| {
        f(&bridge["standalone"]["overhead_ms"][key]).max(f(&bridge["ensemble"]["overhead_ms"][key]))
    };
    let fan = thousand_viewers(&r["fan_out"], false)
        .map(|run| f(&run["latency_ms"]["p95"]))
        .unwrap_or(f64::NAN);
    let thousand = r["lock_scale"]["runs"]
        .as_array()
        .and_then(|runs| {
            runs.iter()
                .find(|run| run["clients"] == 1000 && run["recipe"] == "predecessor")
        })
        .cloned()
        .unwrap_or_default();
    let held = !thousand["queued_s"].is_null() && !thousand["drain_s"].is_null();
    let size = &r["frontend"]["size"];
    let visit = &r["first_visit"]["slow_link"];
    let rooms = &r["many_rooms"];
    let ten_thousand_mib =
        f(&rooms["rss_idle_mib"]) + f(&rooms["rss_per_session_kib"]) * TARGET_SESSIONS / 1024.0;
    let render = &thousand["frontend"];
    let warm = f(&render["warm_painted_ms"]["p50"]);
    let cold = f(&render["cold_painted_ms"]["p50"]);
    let rows = [
        (
            "bridge overhead p50 (worse of standalone, ensemble)",
            "≤ 1 ms",
            format!("{} ms", n(&json!(worst("p50")))),
            Some(worst("p50") <= 1.0),
        ),
        (
            "bridge overhead p99 (worse of the two)",
            "≤ 5 ms",
            format!("{} ms", n(&json!(worst("p99")))),
            Some(worst("p99") <= 5.0),
        ),
        (
            "fan-out p95, 1 000 viewers",
            "≤ 50 ms",
            format!("{} ms", n(&json!(fan))),
            Some(fan <= 50.0),
        ),
        (
            "lock clients in one room",
            "1 000",
            format!(
                "1 000 queued in {} s, drained in {} s",
                n(&thousand["queued_s"]),
                n(&thousand["drain_s"])
            ),
            Some(held),
        ),
        (
            "lock sessions on one server",
            "10 000 under 1.5 GiB",
            format!(
                "{} held in {} MiB ({} KiB each): {} at {}",
                n(&rooms["sessions"]),
                whole(&rooms["rss_full_mib"]),
                whole(&rooms["rss_per_session_kib"]),
                if rooms["sessions"] == TARGET_SESSIONS {
                    "measured".to_string()
                } else {
                    format!(
                        "{} MiB extrapolated (the open-file limit)",
                        whole(&json!(ten_thousand_mib))
                    )
                },
                n(&json!(TARGET_SESSIONS as u64)),
            ),
            // Only a run that held them all can say; short of that the line is a forecast.
            (rooms["sessions"] == TARGET_SESSIONS).then_some(ten_thousand_mib < 1536.0),
        ),
        (
            "intent → its first event, p99, every room handing over",
            "≤ 50 ms",
            format!("{} ms", n(&rooms["release_to_event_ms"]["p99"])),
            Some(f(&rooms["release_to_event_ms"]["p99"]) <= 50.0),
        ),
        (
            "lock sessions across a fleet of three servers",
            "10 000",
            format!(
                "{} held, {} KiB each, every queue formed in {} s",
                n(&r["fleet"]["many_sessions"]["sessions"]),
                whole(&r["fleet"]["many_sessions"]["rss_per_session_kib"]),
                n(&r["fleet"]["many_sessions"]["open_s"])
            ),
            Some(r["fleet"]["many_sessions"]["sessions"] == TARGET_SESSIONS),
        ),
        (
            "intent → its first event, p99, a fleet's rooms handing over",
            "≤ 50 ms",
            format!(
                "{} ms",
                n(&r["fleet"]["many_sessions"]["release_to_event_ms"]["p99"])
            ),
            Some(f(&r["fleet"]["many_sessions"]["release_to_event_ms"]["p99"]) <= 50.0),
        ),
        (
            "takeover of 100 busy rooms after kill -9, slowest",
            "≤ session timeout + 2 s",
            format!(
                "{} ms ({} ms sessions)",
                n(&r["fleet"]["takeover"]["slowest_ms"]),
                n(&r["fleet"]["takeover"]["session_timeout_ms"])
            ),
            Some(
                f(&r["fleet"]["takeover"]["slowest_ms"]) <= f(&r["fleet"]["takeover"]["target_ms"]),
            ),
        ),
        (
            "wasm raw",
            "≤ 250 000 B",
            format!("{} B", n(&size["wasm_bytes"])),
            Some(f(&size["wasm_bytes"]) <= 250_000.0),
        ),
        (
            "wasm gzip",
            "≤ 90 000 B",
            format!("{} B", n(&size["wasm_gzip_bytes"])),
            Some(f(&size["wasm_gzip_bytes"]) <= 90_000.0),
        ),
        (
            "first visit over the slow link: first paint, p50",
            "≤ 2 000 ms",
            format!(
                "{} ms at {} bit/s, {} ms RTT (the room drawn at {} ms)",
                n(&visit["first_contentful_paint_ms"]["p50"]),
                n(&r["first_visit"]["link"]["down_bits_per_s"]),
                n(&r["first_visit"]["link"]["rtt_ms"]),
                n(&visit["room_painted_ms"]["p50"])
            ),
            Some(f(&visit["first_contentful_paint_ms"]["p50"]) <= 2000.0),
        ),
        (
            "1 000-node snapshot to the screen, p50 (page as it stands)",
            "≤ 16 ms",
            format!("{} ms", n(&json!(warm))),
            Some(warm <= 16.0),
        ),
        (
            "the same on a fresh page load, p50",
            "≤ 16 ms",
            format!("{} ms", n(&json!(cold))),
            Some(cold <= 16.0),
        ),
    ];
    let mut rows = Vec::from(rows);
    for (viewers, change) in [
        (1, "created"),
        (1, "deleted"),
        (100, "created"),
        (100, "deleted"),
    ] {
        let ratio = peer_ratio(&r["peers"], viewers, change);
        let before_size = rows.iter().position(|row| row.0 == "wasm raw");
        rows.insert(
            before_size.unwrap_or(rows.len()),
            (
                "overhead p50 against the best peer",
                "≤ 0.5×",
                format!("{}× ({viewers} viewer(s), node {change})", n(&json!(ratio))),
                Some(ratio <= 0.5),
            ),
        );
    }
    let mut out = String::from("## Targets\n\n| what | target | measured | |\n|---|---|---|---|\n");
    for (what, target, measured, met) in rows {
        let verdict = match met {
            Some(met) => verdict(met),
            None => "not measured here",
        };
        out += &format!("| {what} | {target} | {measured} | {verdict} |\n");
    }
    out + "\n"
}

/// The peers part's row for a bridge, a number of viewers and a kind of change.
fn peer_row<'a>(p: &'a Value, bridge: &str, viewers: u64, change: &str) -> Option<&'a Value> {
    p["rows"]
        .as_array()?
        .iter()
        .find(|row| row["bridge"] == bridge && row["viewers"] == viewers && row["change"] == change)
}

/// zkplay's overhead p50 over the better peer's (NaN where the part did not run).
fn peer_ratio(p: &Value, viewers: u64, change: &str) -> f64 {
    let p50 = |bridge: &str| {
        peer_row(p, bridge, viewers, change)
            .and_then(|row| row["overhead_p50_ms"].as_f64())
            .unwrap_or(f64::NAN)
    };
    let best = p50("node").min(p50("python"));
    ((p50("zkplay") / best) * 100.0).round() / 100.0
}

fn peers(p: &Value) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut out = format!(
        "## Beside the peers\n\
         What a user would write instead, each its own process on the same standalone \
         ZooKeeper: a Node bridge (node-zookeeper-client and ws) and a Python one (kazoo and \
         websockets), `tests/peers/bridge.js` and `bridge.py`, each a children watch re-armed \
         on every event that sends the sorted children as JSON to every viewer; zkplay is its \
         release binary. One load generator: a raw session creates and deletes a child of the \
         folder each shows, {} rounds after {} warm-up rounds; overhead = a viewer's receipt \
         of the message that shows the change − a raw persistent watch's notice, per viewer and \
         round. The bridges take turns in a rotating order, {} times over; each figure is the \
         median of the runs' own. Milliseconds; ratio = zkplay's overhead p50 over the better \
         peer's.\n\n\
         | viewers | change | Node p50 | Python p50 | zkplay p50 | ratio | Node p99 | Python p99 | zkplay p99 | last viewer p50 (Node, Python, zkplay) | raw p50 |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
        n(&p["rounds"]),
        n(&p["warmup"]),
        n(&p["repeats"]),
    );
    for viewers in [1, 100, 500] {
        for change in ["created", "deleted"] {
            let cell = |bridge: &str, key: &str| {
                peer_row(p, bridge, viewers, change).map_or("–".into(), |row| n(&row[key]))
            };
            out += &format!(
                "| {viewers} | {change} | {} | {} | {} | {}× | {} | {} | {} | {}, {}, {} | {} |\n",
                cell("node", "overhead_p50_ms"),
                cell("python", "overhead_p50_ms"),
                cell("zkplay", "overhead_p50_ms"),
                n(&json!(peer_ratio(p, viewers, change))),
                cell("node", "overhead_p99_ms"),
                cell("python", "overhead_p99_ms"),
                cell("zkplay", "overhead_p99_ms"),
                cell("node", "last_viewer_p50_ms"),
                cell("python", "last_viewer_p50_ms"),
                cell("zkplay", "last_viewer_p50_ms"),
                cell("zkplay", "raw_p50_ms"),
            );
        }
    }
    out + "\n"
}

fn bridge(b: &Value) -> String {
    let row = |name: &str, v: &Value| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |\n",
            n(&v["raw_ms"]["p50"]),
            n(&v["raw_ms"]["p99"]),
            n(&v["ws_ms"]["p50"]),
            n(&v["ws_ms"]["p99"]),
            n(&v["overhead_ms"]["p50"]),
            n(&v["overhead_ms"]["p99"]),
            n(&v["raw_spread_ms"]["p99"]),
        )
    };
    format!(
        "## Bridge overhead\n\
         A raw session creates and deletes a child of a room's `/locks`, {} rounds of each after \
         {} warm-up rounds. Latency from just before the write to (a) a raw persistent watch \
         firing and (b) a zkplay viewer receiving the change over the WebSocket; overhead = \
         (b) − (a) per round. The raw watcher is on the first member; a second raw watcher, \
         on the second member, gives the floor: the spread between two plain ZooKeeper clients \
         on different members told of the same change (zkplay's observer is on a member its \
         client picked). All four parties \
         are awaited at once, each timed as its notice arrives. Milliseconds.\n\n\
         | ZooKeeper | raw p50 | raw p99 | ws p50 | ws p99 | overhead p50 | overhead p99 | raw–raw spread p99 |\n\
         |---|---|---|---|---|---|---|---|\n{}{}\n",
        n(&b["rounds"]),
        n(&b["warmup"]),
        row("standalone", &b["standalone"]),
        row("three members", &b["ensemble"]),
    )
}

fn fan_out(f: &Value) -> String {
    let mut out = format!(
        "## Fan-out\n\
         Viewers of one room (tokio-tungstenite, on a thread of their own in the same process) \
         while lock hand-offs run (hold {} ms, a new client every hold). For every event, the \
         time from the room's publication (its `at_ms`, whole milliseconds, so figures read up \
         to 1 ms high) to each viewer's receipt, over a {} s window after 2 s of warm-up. The \
         last run adds one viewer that stops reading (a 4 KiB socket receive buffer, as on a \
         slow link); the server's viewer queue is {} frames here. The two runs of 1 000 are \
         compared, so each is made three times, in the order A B B A A B, and pooled.\n\n\
         | viewers | runs | events per run | messages/s | p50 ms | p95 ms | p99 ms | max ms | resyncs |\n\
         |---|---|---|---|---|---|---|---|---|\n",
        n(&f["hold_ms"]),
        n(&f["window_s"]),
        n(&f["viewer_queue"]),
    );
    let runs = f["runs"].as_array().cloned().unwrap_or_default();
    for run in &runs {
        let stalled = if run["stalled_viewer"].is_null() {
            ""
        } else {
            " + 1 stalled"
        };
        out += &format!(
            "| {}{stalled} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            n(&run["viewers"]),
            n(&run["runs"]),
            n(&run["events"]),
            n(&run["messages_per_s"]),
            n(&run["latency_ms"]["p50"]),
            n(&run["latency_ms"]["p95"]),
            n(&run["latency_ms"]["p99"]),
            n(&run["latency_ms"]["max"]),
            n(&run["resyncs"]),
        );
    }
    out += &stalled_viewer(f).unwrap_or_default();
    out + "\n"
}

/// What one viewer that stops reading did to the others, and what it got once it read again.
fn stalled_viewer(f: &Value) -> Option<String> {
    let p99 =
        |stalled: bool| thousand_viewers(f, stalled).and_then(|r| r["latency_ms"]["p99"].as_f64());
    let per_run = |stalled: bool| {
        thousand_viewers(f, stalled)
            .and_then(|r| r["p99_per_run_ms"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (alone, with, stalled) = (p99(false)?, p99(true)?, thousand_viewers(f, true)?);
    {
        let change = (with / alone - 1.0) * 100.0;
        let resumed: Vec<String> = stalled["stalled_viewers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|s| {
                format!(
                    "{} frames ({} bytes: what the socket buffers held), then a snapshot of {} \
                     bytes {} ms after it resumed",
                    n(&s["frames_before_snapshot"]),
                    n(&s["bytes_before_snapshot"]),
                    n(&s["snapshot_bytes"]),
                    n(&s["snapshot_after_ms"]),
                )
            })
            .collect();
        Some(format!(
            "\nWith the stalled viewer the others' p99 was {} ms against {} ms without it \
             ({change:+.0} %; the target is within +10 %: {}); run by run, {} ms without and {} ms \
             with. Reading again, the stalled viewer got {}, instead of the backlog.\n",
            n(&json!(with)),
            n(&json!(alone)),
            verdict(change <= 10.0),
            per_run(false),
            per_run(true),
            resumed.join("; in the next run "),
        ))
    }
}

/// The fan-out run of 1 000 viewers, with or without the one that stops reading.
fn thousand_viewers(fan_out: &Value, stalled: bool) -> Option<&Value> {
    fan_out["runs"]
        .as_array()?
        .iter()
        .find(|r| r["viewers"] == 1000 && r["stalled_viewer"].is_null() != stalled)
}

fn step_mode(s: &Value) -> String {
    let t = &s["next_to_screen_ms"];
    format!(
        "### Step mode: Next to the screen\n\n\
         In headless Chromium, a room in step mode with lock clients queueing: from a click on \
         Next to the frame that shows the move done (the moved client's code badge has left \
         its line), by the page's own clock, over {} presses.\n\n\
         | p50 | p95 | p99 | max |\n|---|---|---|---|\n| {} ms | {} ms | {} ms | {} ms |\n\n",
        n(&s["presses"]),
        n(&t["p50"]),
        n(&t["p95"]),
        n(&t["p99"]),
        n(&t["max"]),
    )
}

fn fleet(f: &Value) -> String {
    if f.is_null() {
        return String::new();
    }
    let m = &f["many_sessions"];
    let t = &f["takeover"];
    let z = |key: &str| n(&m["zookeeper_full"][key]);
    let list = |v: &Value| {
        v.as_array()
            .map(|a| a.iter().map(whole).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let released = &m["release_to_event_ms"];
    let served = &t["served_again_ms"];
    format!(
        "## A fleet

\
         {} zkplay processes (release binaries, each with its own open-file limit of {}) on the \
         standalone ZooKeeper: {} rooms of {} lock clients, **{} lock sessions**, each room \
         opened through server *i* mod 3 with `/ws?room=` (as a page does), which took its lock \
         and ran it; sessions of {} ms. Every queue formed in **{} s**. Resident memory per \
         server {} MiB idle, {} MiB full: **{} KiB per lock session**; files open {}. Every room \
         then released its holder once a second, all at once, until empty: {} releases in {} s; \
         intent → its `lock_released` p50 {} ms, p95 {} ms, **p99 {} ms**, max {} ms. \
         ZooKeeper's `mntr` with every room full: {} connections, {} ephemeral nodes, {} znodes, \
         {} watches, average latency {} ms, max {} ms.\n\n\
         **Takeover.** {} busy rooms (three clients handing the lock on every 200 ms) run by one \
         server, each with a seat of a second server's behind it; the first killed with SIGKILL, \
         sessions of {} ms. From the kill until a page through the second server found the room \
         run there and its queue equal to the tree a raw session read: p50 {} ms, p95 {} ms, \
         **slowest {} ms** (target {} ms). Rooms whose owner queue's first node changed exactly \
         once, to a later node (a larger fencing token), as a raw session's watch saw it: {} of \
         {}; writes refused by a fence on the surviving servers: {}.\n\n",
        n(&m["servers"]),
        n(&f["open_files_limit"]),
        n(&m["rooms"]),
        n(&m["clients_per_room"]),
        n(&m["sessions"]),
        n(&m["session_timeout_ms"]),
        n(&m["open_s"]),
        list(&m["rss_idle_mib"]),
        list(&m["rss_full_mib"]),
        whole(&m["rss_per_session_kib"]),
        list(&m["open_files_full"]),
        n(&m["releases"]),
        n(&m["handover_s"]),
        n(&released["p50"]),
        n(&released["p95"]),
        n(&released["p99"]),
        n(&released["max"]),
        z("zk_num_alive_connections"),
        z("zk_ephemerals_count"),
        z("zk_znode_count"),
        z("zk_watch_count"),
        z("zk_avg_latency"),
        z("zk_max_latency"),
        n(&t["rooms"]),
        n(&t["session_timeout_ms"]),
        n(&served["p50"]),
        n(&served["p95"]),
        n(&t["slowest_ms"]),
        n(&t["target_ms"]),
        n(&t["rooms_with_one_owner_change"]),
        n(&t["rooms"]),
        n(&t["fenced_writes"]),
    )
}

fn many_rooms(m: &Value) -> String {
    if m.is_null() {
        return String::new();
    }
    let z = |when: &str, key: &str| n(&m["zookeeper"][when][key]);
    let released = &m["release_to_event_ms"];
    let next = &m["release_to_next_holder_ms"];
    format!(
        "## Many rooms

\
         A large course's lesson rooms on one zkplay process (release binary) and the \
         standalone ZooKeeper: {} rooms of {} lock clients ({} asked; the rest would pass the \
         open-file limit of {}: each lock client holds four sockets in zkplay), each room with \
         its viewer, observer and AppClient; sessions of {} ms. All joined {} rooms at a time, \
         every queue formed in **{} s**. zkplay's resident memory {} MiB idle, **{} MiB** full: \
         {} KiB per lock client, {} files open. Then every room released its holder once every \
         {} ms, all rooms at once, until empty: {} releases in {} s.\n\n\
         | from a release (intent) | p50 | p95 | p99 | max |\n|---|---|---|---|---|\n\
         | to its `lock_released` | {} ms | {} ms | {} ms | {} ms |\n\
         | to the next `lock_gained` | {} ms | {} ms | {} ms | {} ms |\n\n\
         ZooKeeper's `mntr` with every room full: {} connections, {} ephemeral nodes, {} \
         znodes, {} watches, average latency {} ms, max {} ms, {} files open; after the rooms \
         emptied: {} connections, {} ephemerals (the rooms' observers and AppClients).\n\n",
        n(&m["rooms"]),
        n(&m["clients_per_room"]),
        n(&m["rooms_asked"]),
        n(&m["open_files_limit"]),
        n(&m["session_timeout_ms"]),
        n(&m["joining_at_once"]),
        n(&m["open_s"]),
        whole(&m["rss_idle_mib"]),
        whole(&m["rss_full_mib"]),
        whole(&m["rss_per_session_kib"]),
        n(&m["open_files_full"]),
        n(&m["handover_every_ms"]),
        n(&m["releases"]),
        n(&m["handover_s"]),
        n(&released["p50"]),
        n(&released["p95"]),
        n(&released["p99"]),
        n(&released["max"]),
        n(&next["p50"]),
        n(&next["p95"]),
        n(&next["p99"]),
        n(&next["max"]),
        z("full", "zk_num_alive_connections"),
        z("full", "zk_ephemerals_count"),
        z("full", "zk_znode_count"),
        z("full", "zk_watch_count"),
        z("full", "zk_avg_latency"),
        z("full", "zk_max_latency"),
        z("full", "zk_open_file_descriptor_count"),
        z("after", "zk_num_alive_connections"),
        z("after", "zk_ephemerals_count"),
    )
}

fn first_visit(v: &Value) -> String {
    if v.is_null() {
        return String::new();
    }
    let link = &v["link"];
    let mut out = format!(
        "### The first visit\n\n\
         Headless Chromium in a fresh profile (nothing cached) opens an empty room, {} times \
         each way; timed from the navigation's start to the first contentful paint and to the \
         end of the frame that shows the room (`zkplay:snapshot-painted`). The slow link is \
         Chromium's network emulation at {} bit/s down, {} bit/s up, {} ms added to each \
         round trip (it does not slow the WebSocket).\n\n\
         | link | first paint p50 | max | room drawn p50 | max |\n|---|---|---|---|---|\n",
        n(&v["loads"]),
        n(&link["down_bits_per_s"]),
        n(&link["up_bits_per_s"]),
        n(&link["rtt_ms"]),
    );
    for (key, name) in [("unthrottled", "loopback"), ("slow_link", "slow link")] {
        let run = &v[key];
        out += &format!(
            "| {name} | {} ms | {} ms | {} ms | {} ms |\n",
            n(&run["first_contentful_paint_ms"]["p50"]),
            n(&run["first_contentful_paint_ms"]["max"]),
            n(&run["room_painted_ms"]["p50"]),
            n(&run["room_painted_ms"]["max"]),
        );
    }
    out += "\nWhat the slow link carried (each body's bytes on the wire, then decoded):";
    for file in v["slow_link"]["files"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        out += &format!(
            " {} {} / {};",
            file["name"].as_str().unwrap_or("?"),
            n(&file["wire_bytes"]),
            n(&file["bytes"]),
        );
    }
    out.pop();
    out + ".\n\n"
}

fn recording(r: &Value) -> String {
    let step = &r["sweep_step_ms"];
    format!(
        "### Recordings: size and scrubbing\n\n\
         A room's history of {} events (lock clients through the lock, hold 1 ms), downloaded \
         from `/rooms/<room>/recording`: {} bytes, **{} bytes per 1 000 events** ({} bytes \
         gzip). Opened from a file in headless Chromium ({} ms to the replay bar), then \
         scrubbed by the page's own clock, each move of the slider to the frame that shows it: \
         one jump from the start to the end **{} ms**; a sweep from the start to the end in {} \
         steps **{} ms** in all (per step p50 {} ms, p95 {} ms, max {} ms).\n\n",
        n(&r["events"]),
        n(&r["bytes"]),
        n(&r["bytes_per_1000_events"]),
        n(&r["gzip_bytes"]),
        n(&r["open_ms"]),
        n(&r["jump_to_end_ms"]),
        n(&r["sweep_steps"]),
        n(&r["sweep_total_ms"]),
        n(&step["p50"]),
        n(&step["p95"]),
        n(&step["max"]),
    )
}

fn timeline(t: &Value, r: &Value) -> String {
    if t.is_null() {
        return String::new();
    }
    let frame = &t["frame_ms"];
    format!(
        "### The timeline\n\n\
         Headless Chromium with the timeline open while {} lock clients hand the lock over for \
         {} s (hold {} ms; a new client for each that finished): {} hand-offs, {} events; \
         {} frames, p50 {} ms, **p95 {} ms**, p99 {} ms, max {} ms, {} over 50 ms (with the timeline \
         closed, over {} s before: p50 {} ms, p95 {} ms). At the end the diagram drew {} arrows \
         and {} folded bands. The {}-event recording above, with the \
         timeline open, jumps from its start to its end in **{} ms** (without: {} ms).\n\n",
        n(&t["clients"]),
        n(&t["seconds"]),
        n(&t["hold_ms"]),
        n(&t["handoffs"]),
        n(&t["events"]),
        n(&t["frames"]),
        n(&frame["p50"]),
        n(&frame["p95"]),
        n(&frame["p99"]),
        n(&frame["max"]),
        n(&t["frames_over_50ms"]),
        n(&t["closed_seconds"]),
        n(&t["closed_frame_ms"]["p50"]),
        n(&t["closed_frame_ms"]["p95"]),
        n(&t["arrows_drawn_at_end"]),
        n(&t["folds_at_end"]),
        n(&r["events"]),
        n(&r["jump_to_end_with_timeline_ms"]),
        n(&r["jump_to_end_ms"]),
    )
}

fn scale(s: &Value) -> String {
    let mut out = format!(
        "## Lock scale\n\
         Real lock clients in one room, each its own ZooKeeper session through its own relay, \
         against the standalone server; the room limit raised to the room's size and sessions \
         of 20 s. Added at once with hold 0 (held until released), then drained with hold {} ms \
         (zkplay's 0 means \"until released\"). Notifications are watch events delivered to the \
         room's lock clients. Memory is the resident set of the process that runs the server \
         (and one viewer). Budgets: {} s to queue, {} s to drain.\n\n\
         | clients | recipe | sessions open s | queued s | drained s | hand-offs | notifications | while joining | per hand-off | RSS MiB | KiB per client |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
        n(&s["drain_hold_ms"]),
        n(&s["open_budget_s"]),
        n(&s["drain_budget_s"]),
    );
    for run in s["runs"].as_array().cloned().unwrap_or_default() {
        let handoffs = run["handoffs"].as_f64().unwrap_or(0.0);
        let per = if handoffs > 0.0 {
            json!(run["notifications"].as_f64().unwrap_or(0.0) / handoffs)
        } else {
            Value::Null
        };
        let rss = run["rss_full_mib"].as_f64().map(|m| json!(m.round()));
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            n(&run["clients"]),
            run["recipe"].as_str().unwrap_or("?"),
            n(&run["open_s"]),
            n(&run["queued_s"]),
            n(&run["drain_s"]),
            n(&run["handoffs"]),
            n(&run["notifications"]),
            n(&run["notifications_while_joining"]),
            n(&per),
            n(&rss.unwrap_or_default()),
            n(&json!(run["rss_per_client_kib"]
                .as_f64()
                .unwrap_or(0.0)
                .round())),
        );
    }
    out + "\n"
}

fn frontend(f: &Value, s: &Value) -> String {
    let size = &f["size"];
    let mut out = format!(
        "## Frontend\n\
         `frontend_bg.wasm` of the `ui` profile (opt-level z, fat LTO, panic=abort), names \
         removed, then `wasm-opt -Oz` (binaryen 132 from npm): {} bytes raw, {} gzip -9, {} \
         brotli 11 (the server sends the precompressed files; the script adds {} bytes brotli).\n\n",
        n(&size["wasm_bytes"]),
        n(&size["wasm_gzip_bytes"]),
        n(&size["wasm_brotli_bytes"]),
        n(&size["js_brotli_bytes"]),
    );
    let render = s["runs"]
        .as_array()
        .and_then(|runs| runs.iter().find(|r| !r["frontend"].is_null()))
        .map(|r| r["frontend"].clone());
    if let Some(r) = render {
        out += &format!(
            "Headless Chromium (1600×1000) showing the room of {} queued clients. A snapshot's \
             time from its arrival to the DOM holding it (`rendered`) and to the end of the frame \
             that shows it (`painted`), the page's own performance marks; cold = {} page loads, \
             warm = {} fresh snapshots on the page as it stands (key S). The crowd draws the \
             rows near the screen: {} cards here.\n\n\
             | snapshot | rendered p50 | rendered max | painted p50 | painted max |\n\
             |---|---|---|---|---|\n\
             | cold (page load) | {} | {} | {} | {} |\n\
             | warm | {} | {} | {} | {} |\n\n\
             Frames while {} hand-offs play, one every 600 ms: {} frames, p50 {} ms, p95 {} ms, \
             max {} ms, {} over 50 ms.\n\n",
            n(&r["nodes"]),
            n(&r["loads"]),
            n(&r["loads"]),
            n(&r["cards_drawn"]),
            n(&r["cold_rendered_ms"]["p50"]),
            n(&r["cold_rendered_ms"]["max"]),
            n(&r["cold_painted_ms"]["p50"]),
            n(&r["cold_painted_ms"]["max"]),
            n(&r["warm_rendered_ms"]["p50"]),
            n(&r["warm_rendered_ms"]["max"]),
            n(&r["warm_painted_ms"]["p50"]),
            n(&r["warm_painted_ms"]["max"]),
            n(&r["handoffs"]),
            n(&r["frames"]),
            n(&r["frame_ms"]["p50"]),
            n(&r["frame_ms"]["p95"]),
            n(&r["frame_ms"]["max"]),
            n(&r["frames_over_50ms"]),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_keeps_what_is_around_the_markers() {
        let page = format!("# B\n\nintro\n{BEGIN}\nold\n{END}\n\n## Findings\nkept\n");
        let new = splice(&page, "new\n");
        assert_eq!(
            new,
            format!("# B\n\nintro\n{BEGIN}\nnew\n{END}\n\n## Findings\nkept\n")
        );
        assert!(splice("no markers", "x\n").contains(&format!("{BEGIN}\nx\n{END}")));
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(n(&json!(0.25)), "0.25");
        assert_eq!(n(&json!(3.0)), "3.0");
        assert_eq!(n(&json!(12)), "12");
        assert_eq!(n(&Value::Null), "–");
    }

    #[test]
    fn a_forecast_is_not_a_verdict_and_a_missing_part_writes_nothing() {
        let rooms = json!({
            "rooms": 412, "clients_per_room": 10, "sessions": 4120, "rooms_asked": 1000,
            "rss_idle_mib": 6.9, "rss_full_mib": 364.3, "rss_per_session_kib": 88.7,
            "release_to_event_ms": {"p50": 0.2, "p95": 1.6, "p99": 9.5, "max": 30.3},
        });
        let report = json!({"machine": "test", "many_rooms": rooms});
        let page = figures(&report);
        let row = page
            .lines()
            .find(|l| l.starts_with("| lock sessions on one server"))
            .expect("the sessions row");
        assert!(
            row.contains("4120 held in 364 MiB (89 KiB each): 873 MiB extrapolated"),
            "{row}"
        );
        assert!(row.ends_with("| not measured here |"), "{row}");
        assert!(page.contains("## Many rooms"));
        assert!(!page.contains("### The first visit"), "no page part ran");
        let measured = json!({"machine": "test", "many_rooms": {"sessions": 10000,
            "rss_idle_mib": 7.0, "rss_per_session_kib": 90.0}});
        let page = figures(&measured);
        let row = page
            .lines()
            .find(|l| l.starts_with("| lock sessions"))
            .unwrap();
        assert!(row.ends_with("| met |"), "{row}");
    }
}
