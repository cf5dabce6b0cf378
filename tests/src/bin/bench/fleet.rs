//! A fleet on one ensemble: three zkplay processes (release binaries, each with its own
//! open-file limit) on the standalone ZooKeeper.
//!
//! Many sessions: 1 000 rooms of 10 lock clients, each room opened through server `i mod 3`
//! (`/ws?room=`, as a page does), which takes its lock and runs it; measured as the `rooms`
//! part measures one server (the time to form every queue, each process's memory per session,
//! each release's intent → first event while every room hands over, ZooKeeper's `mntr`).
//!
//! Takeover: 100 busy rooms (three clients handing the lock on every 200 ms) run by the first
//! server, each with a seat of the second's behind it; the first is killed (SIGKILL). Measured:
//! for each room, the time from the kill until a page joining through the second server finds
//! the room run there and its queue equal to the tree a raw session reads. Checked on the
//! history of each room's owner queue (every change a raw session's watch saw) that the room
//! never had two owners' nodes first, and on `/fleet.json` that no server had a write refused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::future::join_all;
use serde_json::{json, Value};
use shared::fleet::{owner_dir, FleetView};
use tests::soak::zkplay::{resident_kib, workdir, Launch, Zkplay};
use tests::zookeeper::RawSession;
use tests::Viewer;
use tokio::sync::Semaphore;

use crate::percentiles;
use crate::rooms::{
    fill_room, hand_over_all, mntr, open_files, raise_file_limit, CLIENTS_PER_ROOM, FILES_BESIDE,
    FILES_PER_ROOM, JOINING_AT_ONCE, SESSION_TIMEOUT,
};

pub const SERVERS: usize = 3;
pub const ROOMS: usize = 1000;
/// Busy rooms whose server is killed.
const TAKEOVER_ROOMS: usize = 100;
/// The takeover's sessions: what a fleet would run with (the default).
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(5);

fn launch(
    work: &std::path::Path,
    zk: &str,
    timeout: Duration,
    hold: Duration,
    rooms: usize,
) -> Launch {
    let here = std::env::current_exe().expect("the bench's own path");
    Launch {
        binary: here.with_file_name("zkplay"),
        zk: zk.to_string(),
        session_timeout: timeout,
        hold,
        data_dir: work.join("data"),
        ui_dir: None,
        logs: work.to_path_buf(),
        flags: [
            ("--max-rooms", rooms),
            ("--rooms-per-address", rooms),
            ("--connections-per-address", rooms * 2 + 10),
            ("--max-lock-clients", CLIENTS_PER_ROOM),
            ("--max-messages-per-sec", 1000),
        ]
        .iter()
        .flat_map(|(flag, n)| [flag.to_string(), n.to_string()])
        .collect(),
    }
}

async fn start_fleet(launch: &Launch) -> Result<Vec<Zkplay>> {
    let mut servers = Vec::new();
    for n in 0..SERVERS {
        servers.push(Zkplay::start(launch, "127.0.0.1:0".parse()?, n).await?);
    }
    Ok(servers)
}

/// The whole part: many sessions, then the takeover, each on a fleet of its own.
pub async fn fleet(standalone: &str) -> Result<Value> {
    let per_server = ROOMS.div_ceil(SERVERS);
    let files = raise_file_limit(per_server as u64 * FILES_PER_ROOM + FILES_BESIDE)?;
    let fits = ((files.saturating_sub(FILES_BESIDE) / FILES_PER_ROOM) as usize) * SERVERS;
    let rooms = ROOMS.min(fits);
    let work = workdir("bench-fleet")?;
    let many = launch(&work, standalone, SESSION_TIMEOUT, Duration::ZERO, rooms);
    let servers = start_fleet(&many).await?;
    let sessions = many_sessions(&servers, standalone, rooms).await;
    for server in servers {
        server.stop().await?;
    }
    let work = workdir("bench-fleet-takeover")?;
    let busy = launch(
        &work,
        standalone,
        TAKEOVER_TIMEOUT,
        Duration::from_millis(200),
        TAKEOVER_ROOMS,
    );
    let servers = start_fleet(&busy).await?;
    let takeover = takeover(servers, standalone).await;
    Ok(json!({"many_sessions": sessions?, "takeover": takeover?, "open_files_limit": files}))
}

async fn many_sessions(servers: &[Zkplay], standalone: &str, rooms: usize) -> Result<Value> {
    let pids: Vec<u32> = servers.iter().filter_map(Zkplay::pid).collect();
    let idle: Vec<u64> = pids.iter().filter_map(|pid| resident_kib(*pid)).collect();
    eprintln!("  {rooms} rooms of {CLIENTS_PER_ROOM} lock clients on {SERVERS} servers: opening");
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(JOINING_AT_ONCE));
    let opened = join_all((0..rooms).map(|room| {
        let (addr, gate) = (servers[room % SERVERS].addr, gate.clone());
        async move {
            let _turn = gate.acquire_owned().await?;
            let viewer = Viewer::join_room(addr, &format!("fleet-{room:04}")).await;
            let owner = viewer.server.as_ref().and_then(|s| s.runs_on.clone());
            if owner != Some(format!("http://{addr}")) {
                bail!("room {room} opened through {addr} runs on {owner:?}");
            }
            fill_room(viewer, room).await
        }
    }))
    .await;
    let mut viewers = opened.into_iter().collect::<Result<Vec<_>>>()?;
    let open_s = started.elapsed().as_secs_f64();
    let full: Vec<u64> = pids.iter().filter_map(|pid| resident_kib(*pid)).collect();
    let files: Vec<usize> = pids
        .iter()
        .filter_map(|pid| open_files(*pid).ok())
        .collect();
    let mntr_full = mntr(standalone).await?;
    let sessions = rooms * CLIENTS_PER_ROOM;
    eprintln!(
        "  open in {open_s:.1} s; zkplay {:?} MiB resident; ZooKeeper: {} connections",
        full.iter().map(|k| k / 1024).collect::<Vec<_>>(),
        mntr_full["zk_num_alive_connections"]
    );
    let (mut released, mut gained, handover_s) = hand_over_all(&mut viewers).await?;
    let grown: u64 = full
        .iter()
        .zip(&idle)
        .map(|(f, i)| f.saturating_sub(*i))
        .sum();
    Ok(json!({
        "servers": SERVERS,
        "rooms": rooms,
        "clients_per_room": CLIENTS_PER_ROOM,
        "sessions": sessions,
        "session_timeout_ms": SESSION_TIMEOUT.as_millis() as u64,
        "open_s": open_s,
        "rss_idle_mib": idle.iter().map(|k| *k as f64 / 1024.0).collect::<Vec<_>>(),
        "rss_full_mib": full.iter().map(|k| *k as f64 / 1024.0).collect::<Vec<_>>(),
        "rss_per_session_kib": grown as f64 / sessions as f64,
        "open_files_full": files,
        "handover_s": handover_s,
        "releases": released.len(),
        "release_to_event_ms": percentiles(&mut released),
        "release_to_next_holder_ms": percentiles(&mut gained),
        "zookeeper_full": mntr_full,
    }))
}

async fn takeover(mut servers: Vec<Zkplay>, standalone: &str) -> Result<Value> {
    let (first, second) = (servers[0].addr, servers[1].addr);
    eprintln!(
        "  takeover: {TAKEOVER_ROOMS} busy rooms on {first}, a seat of {second}'s behind each"
    );
    let mut busy = Vec::new();
    let mut seats = Vec::new();
    for room in 0..TAKEOVER_ROOMS {
        let name = format!("busy-{room:03}");
        let mut viewer = Viewer::join_room(first, &name).await;
        viewer.keep_history = false;
        for _ in 0..3 {
            viewer.add_lock_client().await;
        }
        busy.push(viewer);
        seats.push(Viewer::join_room(second, &name).await);
    }
    let raw = Arc::new(RawSession::connect(standalone).await);
    for room in 0..TAKEOVER_ROOMS {
        let queue = owner_queue(&raw, room).await;
        if queue.len() != 2 {
            bail!("busy-{room:03}'s owner queue is {queue:?}");
        }
    }
    let (history_tx, mut history_rx) = tokio::sync::mpsc::unbounded_channel();
    let watchers: Vec<_> = (0..TAKEOVER_ROOMS)
        .map(|room| tokio::spawn(watch_queue(raw.clone(), room, history_tx.clone())))
        .collect();
    let killed = Instant::now();
    servers.remove(0).kill().await?;
    drop(busy);
    let served =
        join_all((0..TAKEOVER_ROOMS).map(|room| served_again(second, room, &raw, killed))).await;
    let mut times = served.into_iter().collect::<Result<Vec<_>>>()?;
    drop(seats);
    // Each room's first nodes in the order its queue had them: exactly two (the killed
    // server's, then the second's), in increasing sequence (a later owner's fencing token is
    // larger), never back.
    for watcher in watchers {
        watcher.abort();
    }
    drop(history_tx);
    let mut firsts = vec![Vec::new(); TAKEOVER_ROOMS];
    while let Some((room, first)) = history_rx.recv().await {
        firsts[room].push(first);
    }
    let one_handover = firsts
        .iter()
        .filter(|h| h.len() == 2 && h[0] < h[1])
        .count();
    let mut refused = 0;
    for server in &servers {
        refused += fleet_view(server.addr).await?.fenced_writes;
    }
    let slowest = times.iter().max().copied().unwrap_or_default();
    let result = json!({
        "rooms": TAKEOVER_ROOMS,
        "session_timeout_ms": TAKEOVER_TIMEOUT.as_millis() as u64,
        "served_again_ms": percentiles(&mut times),
        "slowest_ms": slowest.as_millis() as u64,
        "target_ms": (TAKEOVER_TIMEOUT + Duration::from_secs(2)).as_millis() as u64,
        "rooms_with_one_owner_change": one_handover,
        "fenced_writes": refused,
    });
    for server in servers {
        server.stop().await?;
    }
    Ok(result)
}

/// The URLs in room `busy-<room>`'s owner queue, in order.
async fn owner_queue(raw: &RawSession, room: usize) -> Vec<String> {
    let nodes = raw
        .children_with_data(&owner_dir(&format!("busy-{room:03}")))
        .await;
    nodes
        .into_iter()
        .map(|(_, data)| String::from_utf8_lossy(&data).into_owned())
        .collect()
}

/// Every first node room `busy-<room>`'s owner queue had, in order, as a watch on the queue saw
/// it, sent as it changes.
async fn watch_queue(
    raw: Arc<RawSession>,
    room: usize,
    history: tokio::sync::mpsc::UnboundedSender<(usize, String)>,
) -> Result<()> {
    let dir = owner_dir(&format!("busy-{room:03}"));
    let mut last: Option<String> = None;
    loop {
        let (mut names, watcher) = raw.client.list_and_watch_children(&dir).await?;
        names.sort();
        if let Some(first) = names.first() {
            if last.as_ref() != Some(first) {
                last = Some(first.clone());
                let _ = history.send((room, first.clone()));
            }
        }
        watcher.changed().await;
    }
}

/// The time from the kill until a page through `second` finds room `busy-<room>` run there,
/// its queue the tree a raw session reads.
async fn served_again(
    second: SocketAddr,
    room: usize,
    raw: &RawSession,
    killed: Instant,
) -> Result<Duration> {
    let name = format!("busy-{room:03}");
    let url = format!("http://{second}");
    let deadline = killed + Duration::from_secs(60);
    loop {
        let path = format!("/ws?room={name}");
        if let Ok(ws) = Viewer::connect_to(second, &path, None).await {
            let mut viewer = Viewer::join_socket(ws, &name).await;
            if viewer.server.as_ref().and_then(|s| s.runs_on.as_deref()) == Some(url.as_str()) {
                let dir = format!("/zkplay/{name}/locks");
                loop {
                    let mut tree = raw.again(|| raw.client.list_children(&dir)).await;
                    tree.sort();
                    let tree: Vec<String> = tree.iter().map(|n| format!("/locks/{n}")).collect();
                    let shown = viewer.lock_paths();
                    if shown == tree {
                        return Ok(killed.elapsed());
                    }
                    if Instant::now() > deadline {
                        bail!("{name}: shows {shown:?}, ZooKeeper has {tree:?}");
                    }
                    // The room's events for a tenth of a second, then the tree again.
                    let _ = viewer
                        .until_within(Duration::from_millis(100), |_, _| None::<()>)
                        .await;
                }
            }
        }
        if Instant::now() > deadline {
            bail!("{name} was not served through {second} within a minute of the kill");
        }
        // A dead server has no event to await: the room moves when its session expires.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fleet_view(addr: SocketAddr) -> Result<FleetView> {
    let (status, body) = tests::http(addr, "GET", "/fleet.json", b"").await;
    if status != 200 {
        bail!("/fleet.json on {addr}: {status}");
    }
    serde_json::from_slice(&body).context("a fleet view")
}
