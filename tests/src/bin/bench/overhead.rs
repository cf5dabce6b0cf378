//! Bridge overhead: a raw session creates and deletes a child of a room's `/locks`; a raw
//! watcher session (a persistent watch) and a zkplay viewer (over the WebSocket) both notice;
//! each round records both latencies from the moment just before the write.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;
use shared::{RoomEvent, ServerMsg};
use tests::spawn_app_with;
use zookeeper_client::{Acls, AddWatchMode, Client, CreateMode, EventType};

use crate::percentiles;

pub const WARMUP: usize = 300;
pub const ROUNDS: usize = 1000;

/// `(raw, ws)` latencies in µs for each round, as percentiles.
pub async fn bridge_overhead(connect: &str) -> Result<serde_json::Value> {
    let connect = connect.to_string();
    let app = spawn_app_with(move |s| s.zk.connect = connect.clone()).await;
    let mut viewer = app.viewer().await;
    let locks = format!("/zkplay/{}/locks", app.room);
    let zk = zookeeper_client::Client::connect(&app.server_zk()).await?;
    let writer = Client::connect(&app.server_zk()).await?;
    // The room makes its folders as it starts; do not race it.
    backend::zk::ensure_path(&writer, &locks).await?;
    let mut watcher = zk.watch(&locks, AddWatchMode::Persistent).await?;
    let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    let (mut raw, mut ws) = (
        Vec::with_capacity(ROUNDS * 2),
        Vec::with_capacity(ROUNDS * 2),
    );
    for round in 0..WARMUP + ROUNDS {
        let path = format!("{locks}/bench{round}");
        for create in [true, false] {
            let start = Instant::now();
            if create {
                writer.create(&path, &[], &options).await?;
            } else {
                writer.delete(&path, None).await?;
            }
            // The raw watcher first: it is one hop; the viewer's message comes through zkplay.
            loop {
                let event = watcher.changed().await;
                if event.event_type == EventType::NodeChildrenChanged {
                    break;
                }
            }
            let raw_at = start.elapsed();
            let name = format!("/locks/bench{round}");
            loop {
                match viewer.next().await {
                    ServerMsg::Event {
                        event: RoomEvent::ZnodeAdded { node },
                        ..
                    } if create && node.path == name => break,
                    ServerMsg::Event {
                        event: RoomEvent::ZnodeRemoved { path },
                        ..
                    } if !create && path == name => break,
                    _ => {}
                }
            }
            let ws_at = start.elapsed();
            if round >= WARMUP {
                raw.push(raw_at);
                ws.push(ws_at);
            }
        }
        if round % 200 == 0 {
            eprintln!("  round {round}/{}", WARMUP + ROUNDS);
        }
    }
    app.stop().await;
    let overhead: Vec<Duration> = ws
        .iter()
        .zip(&raw)
        .map(|(w, r)| w.saturating_sub(*r))
        .collect();
    let mut overhead = overhead;
    Ok(json!({
        "samples": raw.len(),
        "raw_ms": percentiles(&mut raw),
        "ws_ms": percentiles(&mut ws),
        "overhead_ms": percentiles(&mut overhead),
    }))
}
