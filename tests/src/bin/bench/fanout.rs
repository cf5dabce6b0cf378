//! Fan-out: many WebSocket viewers of one room while lock hand-offs run. For every event, the
//! time from the server's publication (the event's `at_ms`) to each viewer's receipt; then the
//! same with one viewer that stops reading, which must not slow the others and must get a fresh
//! snapshot, not an unbounded backlog, when it reads again.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ClientMsg;
use tests::viewer::RawSocket;
use tests::{spawn_app_with, Viewer};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::percentiles;

/// How a snapshot frame starts (serde writes the tag first); the viewers read no further.
const SNAPSHOT: &str = r#"{"type":"snapshot""#;

/// Holders keep the lock this long; a new client joins the queue as often, so hand-offs run at
/// a steady pace (about four a second, each a dozen events) whatever the number of viewers.
const HOLD_MS: u64 = 200;
/// Frames a viewer may fall behind before it gets a snapshot instead (the default is 1 024; less,
/// so that a ten-second stall overflows it).
const VIEWER_QUEUE: usize = 256;
/// Hand-offs before the measured window, and the window itself.
const WARMUP: Duration = Duration::from_secs(2);
const WINDOW: Duration = Duration::from_secs(10);

/// Every run: 100, 500 and 1 000 viewers, then 1 000 with one more that stops reading. The two
/// runs of 1 000 are compared, so each is made three times, in a balanced order (A B B A A B),
/// and their samples pooled: a p99 rests on the slowest few events of a run, and one noisy
/// second moves it.
pub async fn fan_out(connect: &str) -> Result<Value> {
    let plan = [
        (100, false),
        (500, false),
        (1000, false),
        (1000, true),
        (1000, true),
        (1000, false),
        (1000, false),
        (1000, true),
    ];
    let mut pooled: Vec<(usize, bool, Samples)> = Vec::new();
    for (viewers, stalled) in plan {
        eprintln!(
            "fan-out to {viewers} viewers{} ...",
            if stalled {
                " and one that stops reading"
            } else {
                ""
            }
        );
        let samples = run(connect, viewers, stalled).await?;
        match pooled
            .iter_mut()
            .find(|(v, s, _)| *v == viewers && *s == stalled)
        {
            Some((_, _, pool)) => pool.absorb(samples),
            None => pooled.push((viewers, stalled, samples)),
        }
    }
    let runs: Vec<Value> = pooled
        .into_iter()
        .map(|(viewers, _, mut samples)| samples.report(viewers))
        .collect();
    Ok(json!({
        "hold_ms": HOLD_MS,
        "window_s": WINDOW.as_secs(),
        "viewer_queue": VIEWER_QUEUE,
        "runs": runs,
    }))
}

/// What the viewers of one or more runs measured in their windows.
struct Samples {
    runs: usize,
    latencies: Vec<Duration>,
    /// Each run's own p99, to show how much runs differ.
    p99s: Vec<Value>,
    received: usize,
    resyncs: usize,
    secs: f64,
    stalled: Vec<Value>,
}

impl Samples {
    fn absorb(&mut self, other: Samples) {
        self.runs += other.runs;
        self.latencies.extend(other.latencies);
        self.p99s.extend(other.p99s);
        self.received += other.received;
        self.resyncs += other.resyncs;
        self.secs += other.secs;
        self.stalled.extend(other.stalled);
    }

    fn report(&mut self, viewers: usize) -> Value {
        json!({
            "viewers": viewers,
            "runs": self.runs,
            "stalled_viewer": self.stalled.last().cloned(),
            "stalled_viewers": self.stalled,
            "events": self.received / viewers.max(1) / self.runs.max(1),
            "messages": self.received,
            "messages_per_s": (self.received as f64 / self.secs).round(),
            "resyncs": self.resyncs,
            "latency_ms": percentiles(&mut self.latencies),
            "p99_per_run_ms": self.p99s,
        })
    }
}

async fn run(connect: &str, viewers: usize, stalled: bool) -> Result<Samples> {
    let connect = connect.to_string();
    let app = spawn_app_with(move |s| {
        s.zk.connect = connect;
        s.limits.max_messages_per_sec = 1000;
        s.max_lock_clients = 500;
        s.viewer_queue = VIEWER_QUEUE;
        // Here a thousand browsers come from one address.
        s.admission.connections_per_address = viewers + 16;
    })
    .await;
    let mut driver = app.viewer().await;
    driver
        .send(&ClientMsg::SetHoldMs { hold_ms: HOLD_MS })
        .await;

    // The viewers run on a thread and runtime of their own, as a classroom's browsers would be
    // other processes: the server's runtime does not poll them.
    let (addr, room) = (app.server.addr(), app.room.clone());
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let crowd = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the viewers")
            .block_on(crowd(addr, room, viewers, stalled, ready_tx, stop_rx))
    });
    ready_rx.await.context("the viewers did not all join")?;
    eprintln!("  {viewers} viewers joined; hand-offs for {WINDOW:?} after {WARMUP:?}");

    // The load: one more lock client per hold time keeps the queue fed. The driver reads
    // everything too, or it would be a stalled viewer itself.
    let started = Instant::now();
    let window_from = epoch_ms() + WARMUP.as_millis() as u64;
    let mut pace = tokio::time::interval(Duration::from_millis(HOLD_MS));
    while started.elapsed() < WARMUP + WINDOW {
        tokio::select! {
            _ = pace.tick() => driver.add_lock_client().await,
            _ = driver.next() => {}
        }
    }
    let window_to = epoch_ms();
    stop_tx.send(true)?;
    let outcome = tokio::task::spawn_blocking(move || crowd.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the viewers' thread panicked"))??;
    app.stop().await;

    let mut latencies: Vec<Duration> = Vec::new();
    let mut received = 0usize;
    let mut resyncs = 0usize;
    for seen in &outcome.viewers {
        resyncs += seen.snapshots;
        for &(at_ms, latency) in &seen.events {
            if (window_from..window_to).contains(&at_ms) {
                received += 1;
                latencies.push(latency);
            }
        }
    }
    let p99 = percentiles(&mut latencies)["p99"].clone();
    Ok(Samples {
        runs: 1,
        p99s: vec![p99],
        latencies,
        received,
        resyncs,
        secs: (window_to - window_from) as f64 / 1000.0,
        stalled: (!outcome.stalled.is_null())
            .then_some(outcome.stalled)
            .into_iter()
            .collect(),
    })
}

/// What one viewer saw: each event's `at_ms` with its latency, and snapshots after the first.
struct Seen {
    events: Vec<(u64, Duration)>,
    snapshots: usize,
}

struct Outcome {
    viewers: Vec<Seen>,
    stalled: Value,
}

async fn crowd(
    addr: SocketAddr,
    room: String,
    viewers: usize,
    stalled: bool,
    ready: tokio::sync::oneshot::Sender<()>,
    stop: watch::Receiver<bool>,
) -> Result<Outcome> {
    let mut sockets = Vec::with_capacity(viewers);
    // Joined a hundred at a time, so the accept queue is never the thing measured.
    for batch in (0..viewers).collect::<Vec<_>>().chunks(100) {
        let joins = batch.iter().map(|_| join(addr, &room, None));
        for socket in futures_util::future::join_all(joins).await {
            sockets.push(socket?);
        }
    }
    let laggard = match stalled {
        true => Some(tokio::spawn(stall(
            join(addr, &room, Some(4096)).await?,
            stop.clone(),
        ))),
        false => None,
    };
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(watch_room(ws, stop.clone())))
        .collect();
    let _ = ready.send(());
    let mut seen = Vec::with_capacity(viewers);
    for task in tasks {
        seen.push(task.await??);
    }
    let stalled = match laggard {
        Some(task) => task.await??,
        None => Value::Null,
    };
    Ok(Outcome {
        viewers: seen,
        stalled,
    })
}

/// Connects as a browser would, says hello, and reads up to the first snapshot; a receive
/// buffer, if given, is the socket's (small for the stalled viewer, as on a slow link, so that
/// its backlog is the server's to bound rather than loopback's).
async fn join(addr: SocketAddr, room: &str, receive_buffer: Option<u32>) -> Result<RawSocket> {
    let mut ws = Viewer::connect_with(addr, receive_buffer).await?;
    let hello = ClientMsg::hello(room);
    ws.send(Message::text(serde_json::to_string(&hello)?))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.starts_with(SNAPSHOT) => return Ok(ws),
            Some(Ok(_)) => {}
            other => bail!("the server ended a join: {other:?}"),
        }
    }
}

/// Reads until told to stop, timing every event.
async fn watch_room(mut ws: RawSocket, mut stop: watch::Receiver<bool>) -> Result<Seen> {
    let mut seen = Seen {
        events: Vec::with_capacity(4096),
        snapshots: 0,
    };
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return Ok(seen),
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let now = epoch_us();
                    if let Some(at_ms) = event_at_ms(&text) {
                        let latency = now.saturating_sub(at_ms * 1000);
                        seen.events.push((at_ms, Duration::from_micros(latency)));
                    } else if text.starts_with(SNAPSHOT) {
                        seen.snapshots += 1;
                    }
                }
                Some(Ok(_)) => {}
                other => bail!("a viewer's connection ended: {other:?}"),
            },
        }
    }
}

/// Joins, then stops reading until the run ends; then reads what the server sends until a
/// fresh snapshot arrives, counting what came before it.
async fn stall(mut ws: RawSocket, mut stop: watch::Receiver<bool>) -> Result<Value> {
    stop.changed().await?;
    let resumed = Instant::now();
    let (mut frames, mut bytes) = (0usize, 0usize);
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .with_context(|| {
                format!("no snapshot within 30 s of reading again, after {frames} frames")
            })?;
        match frame {
            Some(Ok(Message::Text(text))) if text.starts_with(SNAPSHOT) => {
                return Ok(json!({
                    "frames_before_snapshot": frames,
                    "bytes_before_snapshot": bytes,
                    "snapshot_bytes": text.len(),
                    "snapshot_after_ms": resumed.elapsed().as_millis() as u64,
                }));
            }
            Some(Ok(Message::Text(text))) => {
                frames += 1;
                bytes += text.len();
            }
            Some(Ok(_)) => {}
            other => bail!("the stalled viewer's connection ended: {other:?}"),
        }
    }
}

/// An event frame's `at_ms`, read without parsing the rest (the viewers share two cores with the
/// server they measure). Serde writes the tag first and `seq` before `at_ms`.
fn event_at_ms(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(r#"{"type":"event","seq":"#)?;
    let rest = &rest[rest.find(r#","at_ms":"#)? + r#","at_ms":"#.len()..];
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..digits].parse().ok()
}

fn epoch_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn epoch_ms() -> u64 {
    epoch_us() / 1000
}
