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

/// `(raw, ws)` latencies for each round, as percentiles, and a second raw watcher's: the
/// spread between two plain ZooKeeper clients on different members, the floor under any
/// bridge's tail on an ensemble.
pub async fn bridge_overhead(connect: &str) -> Result<serde_json::Value> {
    let server_connect = connect.to_string();
    let app = spawn_app_with(move |s| s.zk.connect = server_connect).await;
    let mut viewer = app.viewer().await;
    let locks = format!("/zkplay/{}/locks", app.room);
    // The two raw watchers sit on different members where there are several (the first and
    // the second of the connect string), so their spread shows how far apart two members tell
    // of one change: zkplay's observer is on whichever member its client picked.
    let members: Vec<&str> = connect.split(',').collect();
    let zk = Client::connect(members[0]).await?;
    let zk2 = Client::connect(members[1 % members.len()]).await?;
    let writer = Client::connect(&app.server_zk()).await?;
    // The room makes its folders as it starts; do not race it.
    backend::ensure_path(&writer, &locks).await?;
    let mut watcher = zk.watch(&locks, AddWatchMode::Persistent).await?;
    let mut watcher2 = zk2.watch(&locks, AddWatchMode::Persistent).await?;
    let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    let mut raw = Vec::with_capacity(ROUNDS * 2);
    let mut ws = Vec::with_capacity(ROUNDS * 2);
    let mut spread = Vec::with_capacity(ROUNDS * 2);
    for round in 0..WARMUP + ROUNDS {
        let path = format!("{locks}/bench{round}");
        let name = format!("/locks/bench{round}");
        for create in [true, false] {
            // Each party is timed as its own notice arrives, all awaited at once.
            let start = Instant::now();
            let write = async {
                match create {
                    true => writer.create(&path, &[], &options).await.map(drop),
                    false => writer.delete(&path, None).await,
                }
            };
            let raw_watch = async |watcher: &mut zookeeper_client::PersistentWatcher| loop {
                if watcher.changed().await.event_type == EventType::NodeChildrenChanged {
                    return start.elapsed();
                }
            };
            let bridged = async {
                loop {
                    match viewer.next().await {
                        ServerMsg::Event {
                            event: RoomEvent::ZnodeAdded { node },
                            ..
                        } if create && node.path == name => return start.elapsed(),
                        ServerMsg::Event {
                            event: RoomEvent::ZnodeRemoved { path },
                            ..
                        } if !create && path == name => return start.elapsed(),
                        _ => {}
                    }
                }
            };
            let (written, raw_at, raw2_at, ws_at) = tokio::join!(
                write,
                raw_watch(&mut watcher),
                raw_watch(&mut watcher2),
                bridged
            );
            written?;
            if round >= WARMUP {
                raw.push(raw_at);
                ws.push(ws_at);
                spread.push(raw_at.abs_diff(raw2_at));
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
        "raw_spread_ms": percentiles(&mut spread),
    }))
}
