//! Ten thousand sessions: a large course's lesson rooms, up to 1 000 rooms of 10 lock clients
//! each, on one zkplay process (its release binary) and the standalone ZooKeeper, as many rooms
//! as the process's open-file limit lets it hold (each lock client holds four sockets in
//! zkplay: its relay's listener, both ends of the relayed connection, and its session's own; a
//! hard limit of 20 000, which root cannot raise without CAP_SYS_RESOURCE, holds 412). Each room
//! has a viewer that adds its clients and, once every room's queue has formed, releases its
//! holder once a second (a class at a lesson's pace) until the room is empty, all rooms at once.
//! Measured: the time to open every session and form every queue, zkplay's resident memory per
//! session, and each release's time from the intent to its first event (`lock_released`) and to
//! the next holder's `lock_gained`, while all rooms hand over; the viewers share one task of
//! the measuring process, so the times include its own scheduling. ZooKeeper's own figures come
//! from `mntr`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::future::join_all;
use serde_json::{json, Value};
use shared::{ClientMsg, RoomEvent};
use tests::soak::zkplay::{resident_kib, workdir, Launch, Zkplay};
use tests::Viewer;
use tokio::sync::Semaphore;

use crate::percentiles;
use crate::scale::queue_formed;

/// The rooms the issue asks for.
pub const ROOMS: usize = 1000;
pub const CLIENTS_PER_ROOM: usize = 10;
/// Sockets zkplay holds for each lock client (see above).
const FILES_PER_CLIENT: u64 = 4;
/// A room's own AppClient (relayed too), its observer's session and its viewer's WebSocket.
pub const FILES_PER_ROOM: u64 = CLIENTS_PER_ROOM as u64 * FILES_PER_CLIENT + 6;
/// Files zkplay holds whatever its rooms (its listener, logs, data, the runtime's own).
pub const FILES_BESIDE: u64 = 1024;
/// Rooms joining at once: the rest wait their turn, as a course's students arrive.
pub const JOINING_AT_ONCE: usize = 100;
/// Each room releases its holder this often, the rooms spread evenly over the period.
pub const HANDOVER_EVERY: Duration = Duration::from_secs(1);
/// Every queue must have formed within this; every room emptied within the same again.
pub const BUDGET: Duration = Duration::from_secs(240);
/// Ten thousand heartbeats on two cores: the sessions get room for a slow one.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the part: starts zkplay with limits for the rooms it can hold, measures, stops it.
pub async fn many_rooms(standalone: &str) -> Result<Value> {
    let files = raise_file_limit(ROOMS as u64 * FILES_PER_ROOM + FILES_BESIDE)?;
    let rooms = ROOMS.min((files.saturating_sub(FILES_BESIDE) / FILES_PER_ROOM) as usize);
    let work = workdir("bench-rooms")?;
    let here = std::env::current_exe()?;
    let launch = Launch {
        binary: here.with_file_name("zkplay"),
        zk: standalone.to_string(),
        session_timeout: SESSION_TIMEOUT,
        // Held until released: the viewer hands each room over.
        hold: Duration::ZERO,
        data_dir: work.join("data"),
        ui_dir: None,
        logs: work.clone(),
        flags: [
            ("--max-rooms", rooms),
            ("--rooms-per-address", rooms),
            ("--connections-per-address", rooms + 10),
            ("--max-lock-clients", CLIENTS_PER_ROOM),
            ("--max-messages-per-sec", 1000),
        ]
        .iter()
        .flat_map(|(flag, n)| [flag.to_string(), n.to_string()])
        .collect(),
    };
    let server = Zkplay::start(&launch, "127.0.0.1:0".parse()?, 0).await?;
    let result = measure(&server, standalone, rooms).await;
    server.stop().await?;
    let mut result = result?;
    result["rooms_asked"] = json!(ROOMS);
    result["open_files_limit"] = json!(files);
    Ok(result)
}

async fn measure(server: &Zkplay, standalone: &str, rooms: usize) -> Result<Value> {
    let pid = server.pid().context("zkplay's pid")?;
    let rss_idle_kib = resident_kib(pid).context("zkplay's memory")?;
    let mntr_idle = mntr(standalone).await?;

    eprintln!(
        "  {rooms} rooms of {CLIENTS_PER_ROOM} lock clients: opening ({JOINING_AT_ONCE} rooms at a time)"
    );
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(JOINING_AT_ONCE));
    let opened = join_all((0..rooms).map(|room| open_room(server.addr, room, gate.clone()))).await;
    let mut viewers = opened.into_iter().collect::<Result<Vec<_>>>()?;
    let open_s = started.elapsed().as_secs_f64();
    let rss_full_kib = resident_kib(pid).context("zkplay's memory")?;
    let files_full = open_files(pid)?;
    let mntr_full = mntr(standalone).await?;
    let sessions = rooms * CLIENTS_PER_ROOM;
    eprintln!(
        "  open in {open_s:.1} s; zkplay {} MiB resident; ZooKeeper: {} connections",
        rss_full_kib / 1024,
        mntr_full["zk_num_alive_connections"]
    );

    let (mut released, mut gained, handover_s) = hand_over_all(&mut viewers).await?;
    let mntr_after = mntr(standalone).await?;
    eprintln!(
        "  {} releases in {handover_s:.1} s; intent to lock_released p99 {:?}",
        released.len(),
        percentiles(&mut released)["p99"]
    );
    Ok(json!({
        "rooms": rooms,
        "clients_per_room": CLIENTS_PER_ROOM,
        "sessions": sessions,
        "session_timeout_ms": SESSION_TIMEOUT.as_millis() as u64,
        "joining_at_once": JOINING_AT_ONCE,
        "open_s": open_s,
        "rss_idle_mib": rss_idle_kib as f64 / 1024.0,
        "rss_full_mib": rss_full_kib as f64 / 1024.0,
        "rss_per_session_kib": rss_full_kib.saturating_sub(rss_idle_kib) as f64 / sessions as f64,
        "open_files_full": files_full,
        "handover_every_ms": HANDOVER_EVERY.as_millis() as u64,
        "handover_s": handover_s,
        "releases": released.len(),
        "release_to_event_ms": percentiles(&mut released),
        "release_to_next_holder_ms": percentiles(&mut gained),
        "zookeeper": {"idle": mntr_idle, "full": mntr_full, "after": mntr_after},
    }))
}

/// Joins room `room`, adds its clients and waits until its queue has formed.
async fn open_room(addr: SocketAddr, room: usize, gate: Arc<Semaphore>) -> Result<Viewer> {
    let _turn = gate.acquire_owned().await?;
    fill_room(Viewer::join(addr, &format!("course-{room:04}")).await, room).await
}

/// Adds the room's clients through `viewer` and waits until its queue has formed.
pub async fn fill_room(mut viewer: Viewer, room: usize) -> Result<Viewer> {
    for _ in 0..CLIENTS_PER_ROOM {
        viewer.add_lock_client().await;
    }
    let formed = viewer
        .until_within(BUDGET, |view, _| {
            queue_formed(view, CLIENTS_PER_ROOM).then_some(())
        })
        .await;
    if formed.is_none() {
        bail!("room {room}'s queue did not form within {BUDGET:?}");
    }
    viewer.history.clear();
    Ok(viewer)
}

/// Every room hands its lock over until it is empty, the rooms' first releases spread over one
/// [`HANDOVER_EVERY`]: each release's time to its event, to the next holder's gain, and how
/// long it all took in seconds.
pub async fn hand_over_all(viewers: &mut [Viewer]) -> Result<(Vec<Duration>, Vec<Duration>, f64)> {
    eprintln!("  every room hands over until it is empty");
    let rooms = viewers.len();
    let started = Instant::now();
    let handed = join_all(viewers.iter_mut().enumerate().map(|(i, viewer)| {
        let first = started + HANDOVER_EVERY.mul_f64(i as f64 / rooms as f64);
        hand_over(viewer, first)
    }))
    .await;
    let handover_s = started.elapsed().as_secs_f64();
    let (mut released, mut gained) = (Vec::new(), Vec::new());
    for room in handed {
        let room = room?;
        released.extend(room.released);
        gained.extend(room.gained);
    }
    Ok((released, gained, handover_s))
}

struct Handed {
    pub released: Vec<Duration>,
    gained: Vec<Duration>,
}

/// Releases the room's holder every [`HANDOVER_EVERY`] from `first` until no client is left;
/// times each release.
async fn hand_over(viewer: &mut Viewer, first: Instant) -> Result<Handed> {
    let mut handed = Handed {
        released: Vec::new(),
        gained: Vec::new(),
    };
    let deadline = Instant::now() + BUDGET;
    let mut next_release = first;
    loop {
        tokio::time::sleep_until(next_release.into()).await;
        next_release += HANDOVER_EVERY;
        let holder = viewer.view.holders().next().map(|c| c.id);
        let Some(holder) = holder else { break };
        let left = deadline.saturating_duration_since(Instant::now());
        viewer.history.clear();
        let sent = Instant::now();
        viewer.send(&ClientMsg::Release { client: holder }).await;
        let released = viewer
            .until_within(left, |_, history| {
                history
                    .iter()
                    .any(|(_, e)| matches!(e, RoomEvent::LockReleased { client, .. } if *client == holder))
                    .then(|| sent.elapsed())
            })
            .await
            .context("a release was not told within the budget")?;
        handed.released.push(released);
        let next = viewer
            .until_within(left, |view, history| {
                let gained = history
                    .iter()
                    .any(|(_, e)| matches!(e, RoomEvent::LockGained { .. }));
                let empty = view.locks.clients.is_empty();
                (gained || empty).then(|| (gained, sent.elapsed()))
            })
            .await
            .context("the lock was not handed over within the budget")?;
        if next.0 {
            handed.gained.push(next.1);
        }
    }
    Ok(handed)
}

/// How many files process `pid` has open.
pub fn open_files(pid: u32) -> Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))
        .context("zkplay's open files")?
        .count())
}

/// The `mntr` figures this part reports.
pub async fn mntr(address: &str) -> Result<Value> {
    let text = backend::four_letter_word(address, "mntr")
        .await
        .context("ZooKeeper's mntr")?;
    let mut figures = serde_json::Map::new();
    for key in [
        "zk_num_alive_connections",
        "zk_ephemerals_count",
        "zk_znode_count",
        "zk_watch_count",
        "zk_outstanding_requests",
        "zk_avg_latency",
        "zk_max_latency",
        "zk_open_file_descriptor_count",
    ] {
        let value = text.lines().find_map(|line| {
            let (k, v) = line.split_once('\t')?;
            (k == key).then(|| v.trim().parse::<f64>().ok()).flatten()
        });
        // Counts as integers; latencies keep their fraction.
        let value = value.map(|v| {
            if v.fract() == 0.0 {
                json!(v as u64)
            } else {
                json!(v)
            }
        });
        figures.insert(key.into(), value.unwrap_or_default());
    }
    Ok(Value::Object(figures))
}

/// Lets this process (and zkplay, which inherits it) hold up to `wanted` open files, as far as
/// its hard limit allows; returns the limit it has.
pub fn raise_file_limit(wanted: u64) -> Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reads this process's limit into a struct of ours.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        bail!("getrlimit: {}", std::io::Error::last_os_error());
    }
    let mut raised = libc::rlimit {
        rlim_cur: wanted,
        rlim_max: limit.rlim_max.max(wanted),
    };
    // SAFETY: sets this process's limit from a struct of ours. Beyond the hard limit it takes
    // CAP_SYS_RESOURCE; without it, go as far as the hard limit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        raised = libc::rlimit {
            rlim_cur: wanted.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: as above, within the hard limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            bail!("setrlimit: {}", std::io::Error::last_os_error());
        }
    }
    Ok(raised.rlim_cur)
}
