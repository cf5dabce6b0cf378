//! `cargo xtask bench`'s measuring program: how long the picture takes to follow ZooKeeper, how
//! many browsers can watch one room, how many clients a room holds. Each figure is taken beside
//! the real ZooKeeper measured in the same run, so ratios hold on a noisy machine. Prints a JSON
//! report on stdout; progress goes to stderr. Which parts run: all, or those named as
//! arguments (see `PARTS`). The UI must be built (`ZKPLAY_TEST_UI_DIR`).
mod fanout;
mod fleet;
mod overhead;
mod page;
mod peers;
mod recording;
mod render;
mod rooms;
mod scale;
mod step;
mod timeline;

use std::time::Duration;

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};
use tests::zookeeper;

const PARTS: [&str; 10] = [
    "overhead",
    "peers",
    "fanout",
    "scale",
    "rooms",
    "fleet",
    "step",
    "recording",
    "timeline",
    "page",
];
/// Chromium measures the room of this many lock clients.
const RENDER_AT: usize = 1000;

#[tokio::main]
async fn main() -> Result<()> {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    if let Some(unknown) = wanted.iter().find(|w| !PARTS.contains(&w.as_str())) {
        bail!("unknown part {unknown:?}; the parts are {PARTS:?}");
    }
    let runs = |part: &str| wanted.is_empty() || wanted.iter().any(|w| w == part);
    let standalone = zookeeper::connect_string();
    let mut report = Map::new();
    if runs("overhead") {
        eprintln!("bridge overhead against a standalone server ({standalone}) ...");
        let single = overhead::bridge_overhead(&standalone).await?;
        eprintln!("bridge overhead against a three-member ensemble ...");
        let ensemble = zookeeper::three_members().await;
        let three = overhead::bridge_overhead(&ensemble.connect_string().await).await;
        ensemble.stop().await;
        report.insert(
            "bridge_overhead".into(),
            json!({
                "rounds": overhead::ROUNDS,
                "warmup": overhead::WARMUP,
                "standalone": single,
                "ensemble": three?,
            }),
        );
    }
    if runs("peers") {
        eprintln!("zkplay beside a Node and a Python bridge ({standalone}) ...");
        report.insert("peers".into(), peers::peers(&standalone).await?);
    }
    if runs("fanout") {
        report.insert("fan_out".into(), fanout::fan_out(&standalone).await?);
    }
    if runs("scale") {
        report.insert(
            "lock_scale".into(),
            scale::lock_scale(&standalone, RENDER_AT).await?,
        );
    }
    if runs("rooms") {
        eprintln!(
            "up to {} rooms of {} lock clients on one server ({standalone}) ...",
            rooms::ROOMS,
            rooms::CLIENTS_PER_ROOM
        );
        report.insert("many_rooms".into(), rooms::many_rooms(&standalone).await?);
    }
    if runs("fleet") {
        eprintln!(
            "a fleet of {} servers: {} rooms of {} lock clients, then a takeover ({standalone}) ...",
            fleet::SERVERS,
            fleet::ROOMS,
            rooms::CLIENTS_PER_ROOM
        );
        report.insert("fleet".into(), fleet::fleet(&standalone).await?);
    }
    if runs("step") {
        report.insert("step".into(), step::next_to_screen().await?);
    }
    if runs("recording") {
        report.insert("recording".into(), recording::recording().await?);
    }
    if runs("timeline") {
        report.insert("timeline".into(), timeline::busy_room().await?);
    }
    if runs("page") {
        eprintln!("the page's first visit over a slow link ...");
        report.insert("first_visit".into(), page::first_visit().await?);
    }
    println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    Ok(())
}

/// p50, p95 and p99 in milliseconds (three decimals).
pub fn percentiles(samples: &mut [Duration]) -> Value {
    if samples.is_empty() {
        return Value::Null;
    }
    samples.sort_unstable();
    let at = |p: f64| {
        let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
        (samples[i].as_secs_f64() * 1e6).round() / 1e3
    };
    json!({"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": at(1.0)})
}
