//! zkplay beside what a user would write instead: a Node bridge (node-zookeeper-client and ws)
//! and a Python one (kazoo and websockets), `tests/peers/bridge.{js,py}`, each its own process
//! like zkplay's release binary, all on the same standalone ZooKeeper. One load generator: a
//! raw session creates and deletes a child of the folder a bridge shows, a raw persistent
//! watch notices, and 1, 100 or 500 WebSocket viewers receive the message that shows the
//! change. Overhead = a viewer's receipt − the raw watch's, per viewer and round. The bridges
//! take turns (in a rotating order), three times over, and each figure is the median of the
//! three runs' own.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ClientMsg;
use tests::soak::zkplay::{Launch, Zkplay};
use tests::viewer::{RawSocket, Viewer};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use zookeeper_client::{Acls, AddWatchMode, Client, CreateMode, EventType};

use crate::percentiles;

const WARMUP: usize = 100;
const ROUNDS: usize = 200;
const REPEATS: usize = 3;
const VIEWERS: [usize; 3] = [1, 100, 500];
/// The room zkplay's viewers join; its `/locks` is the folder the writer changes.
const ROOM: &str = "peers";
/// How long a bridge may take to start, and a viewer to see one change.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bridge {
    Zkplay,
    Node,
    Python,
}

impl Bridge {
    const ALL: [Bridge; 3] = [Bridge::Zkplay, Bridge::Node, Bridge::Python];

    fn name(self) -> &'static str {
        match self {
            Bridge::Zkplay => "zkplay",
            Bridge::Node => "node",
            Bridge::Python => "python",
        }
    }

    /// The folder it shows, as the raw sessions name it.
    fn folder(self) -> String {
        match self {
            Bridge::Zkplay => format!("/zkplay/{ROOM}/locks"),
            peer => format!("/peers/{}", peer.name()),
        }
    }

    /// Whether a viewer's message shows child `name` created (or, `created` false, deleted).
    fn shows(self, text: &str, name: &str, created: bool) -> bool {
        match self {
            // Events name the node by its path in the room.
            Bridge::Zkplay => {
                let kind = if created {
                    "\"znode_added\""
                } else {
                    "\"znode_removed\""
                };
                text.contains(kind) && text.contains(&format!("\"/locks/{name}\""))
            }
            // The sorted children: the name is in it, or no longer.
            _ => text.contains(&format!("\"{name}\"")) == created,
        }
    }
}

/// A running bridge: zkplay's binary, or a peer's script.
enum Running {
    Zkplay(Zkplay),
    Peer(Child, SocketAddr),
}

impl Running {
    fn addr(&self) -> SocketAddr {
        match self {
            Running::Zkplay(z) => z.addr,
            Running::Peer(_, addr) => *addr,
        }
    }

    async fn stop(self) -> Result<()> {
        match self {
            Running::Zkplay(z) => z.stop().await,
            Running::Peer(mut child, _) => {
                if let Some(pid) = child.id() {
                    // SAFETY: a signal to our own child, which is still running.
                    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
                }
                tokio::time::timeout(WAIT, child.wait())
                    .await
                    .context("a peer bridge did not stop on SIGTERM")??;
                Ok(())
            }
        }
    }
}

/// Where the bench finds what it runs.
struct Tools {
    zkplay: PathBuf,
    scripts: PathBuf,
    node_modules: PathBuf,
    python_packages: PathBuf,
    work: PathBuf,
}

impl Tools {
    fn find() -> Result<Tools> {
        let here = std::env::current_exe()?;
        let zkplay = here.with_file_name("zkplay");
        if !zkplay.exists() {
            bail!("no {} (cargo xtask bench builds it)", zkplay.display());
        }
        let tools = tests::target_dir().join("tools");
        let node_modules = tools.join("peers-node/node_modules");
        let python_packages = tools.join("peers-python");
        for needed in [&node_modules, &python_packages] {
            if !needed.exists() {
                bail!("no {} (cargo xtask bench installs it)", needed.display());
            }
        }
        Ok(Tools {
            zkplay,
            scripts: Path::new(env!("CARGO_MANIFEST_DIR")).join("peers"),
            node_modules,
            python_packages,
            work: tests::soak::zkplay::workdir("bench-peers")?,
        })
    }

    async fn start(&self, bridge: Bridge, zk: &str) -> Result<Running> {
        if bridge == Bridge::Zkplay {
            let launch = Launch {
                binary: self.zkplay.clone(),
                zk: zk.to_string(),
                session_timeout: Duration::from_secs(10),
                hold: Duration::from_millis(0),
                data_dir: self.work.join("data"),
                ui_dir: None,
                logs: self.work.clone(),
                // 500 viewers from one address.
                flags: vec!["--connections-per-address".into(), "2000".into()],
            };
            let listen: SocketAddr = "127.0.0.1:0".parse()?;
            return Ok(Running::Zkplay(Zkplay::start(&launch, listen, 0).await?));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let (program, script, env, path) = match bridge {
            Bridge::Node => ("node", "bridge.js", "NODE_PATH", &self.node_modules),
            _ => ("python3", "bridge.py", "PYTHONPATH", &self.python_packages),
        };
        let log = std::fs::File::create(self.work.join(format!("{}.log", bridge.name())))?;
        let mut child = Command::new(program)
            .arg(self.scripts.join(script))
            .args([zk, &bridge.folder(), &port.to_string()])
            .env(env, path)
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {program} {script}"))?;
        let mut lines = BufReader::new(child.stdout.take().context("piped")?).lines();
        tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await? {
                if line == "ready" {
                    return Ok(());
                }
            }
            bail!("{script} ended before it was ready")
        })
        .await
        .with_context(|| format!("{script} was not ready within {WAIT:?}"))??;
        Ok(Running::Peer(child, ([127, 0, 0, 1], port).into()))
    }
}

/// A viewer of `bridge`, past its first message (zkplay's: past the welcome and snapshot).
async fn viewer(bridge: Bridge, addr: SocketAddr) -> Result<RawSocket> {
    let mut ws = Viewer::connect_with(addr, None).await?;
    if bridge == Bridge::Zkplay {
        let hello = serde_json::to_string(&ClientMsg::hello(ROOM))?;
        ws.send(Message::text(hello)).await?;
        next_text(&mut ws).await?; // welcome
    }
    next_text(&mut ws).await?; // the snapshot, or the children now
    Ok(ws)
}

async fn next_text(ws: &mut RawSocket) -> Result<String> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.to_string()),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => bail!("a viewer's socket: {e}"),
            Ok(None) => bail!("a viewer's socket closed"),
            Err(_) => bail!("a viewer heard nothing for {WAIT:?}"),
        }
    }
}

/// Reads until a message shows the change; the time since `start`.
async fn until_shown(
    ws: &mut RawSocket,
    bridge: Bridge,
    name: &str,
    created: bool,
    start: Instant,
) -> Result<Duration> {
    loop {
        let text = next_text(ws).await?;
        if bridge.shows(&text, name, created) {
            return Ok(start.elapsed());
        }
    }
}

/// What one run measured of one kind of change (a create, or a delete).
#[derive(Default)]
struct Samples {
    raw: Vec<Duration>,
    /// Per viewer and round: its receipt − the raw watch's.
    overhead: Vec<Duration>,
    /// Per round: the last viewer's.
    last: Vec<Duration>,
}

impl Samples {
    /// Overhead p50 and p99, the last viewer's p50, and the raw watch's p50, in ms.
    fn figures(mut self) -> [f64; 4] {
        let (o, l, r) = (
            percentiles(&mut self.overhead),
            percentiles(&mut self.last),
            percentiles(&mut self.raw),
        );
        [at(&o, "p50"), at(&o, "p99"), at(&l, "p50"), at(&r, "p50")]
    }
}

/// One run: `bridge` started, `viewers` connected, the rounds played; creates' samples, then
/// deletes'.
async fn run(tools: &Tools, zk: &str, bridge: Bridge, viewers: usize) -> Result<[Samples; 2]> {
    let running = tools.start(bridge, zk).await?;
    let writer = Client::connect(zk).await?;
    let folder = bridge.folder();
    backend::ensure_path(&writer, &folder).await?;
    let mut sockets = Vec::with_capacity(viewers);
    for _ in 0..viewers {
        sockets.push(viewer(bridge, running.addr()).await?);
    }
    let watcher_session = Client::connect(zk).await?;
    let mut watcher = watcher_session
        .watch(&folder, AddWatchMode::Persistent)
        .await?;
    let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    let mut samples = [Samples::default(), Samples::default()];
    for round in 0..WARMUP + ROUNDS {
        let name = format!("bench{round}");
        let path = format!("{folder}/{name}");
        for (kind, created) in [(0, true), (1, false)] {
            let start = Instant::now();
            let write = async {
                match created {
                    true => writer.create(&path, &[], &options).await.map(drop),
                    false => writer.delete(&path, None).await,
                }
            };
            let raw_watch = async {
                loop {
                    if watcher.changed().await.event_type == EventType::NodeChildrenChanged {
                        return start.elapsed();
                    }
                }
            };
            let shown = join_all(
                sockets
                    .iter_mut()
                    .map(|ws| until_shown(ws, bridge, &name, created, start)),
            );
            let (written, raw_at, shown) = tokio::join!(write, raw_watch, shown);
            written?;
            let shown = shown.into_iter().collect::<Result<Vec<_>>>()?;
            if round >= WARMUP {
                let s = &mut samples[kind];
                s.raw.push(raw_at);
                s.overhead
                    .extend(shown.iter().map(|at| at.saturating_sub(raw_at)));
                let slowest = shown.iter().max().copied().unwrap_or_default();
                s.last.push(slowest.saturating_sub(raw_at));
            }
        }
    }
    for mut ws in sockets {
        let _ = ws.close(None).await;
    }
    running.stop().await?;
    Ok(samples)
}

/// The median of the runs' figures.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `ms` of the percentiles JSON.
fn at(p: &Value, key: &str) -> f64 {
    p[key].as_f64().unwrap_or(f64::NAN)
}

pub async fn peers(zk: &str) -> Result<Value> {
    let tools = Tools::find()?;
    let mut rows = Vec::new();
    for viewers in VIEWERS {
        // Per bridge and kind of change, each run's figures.
        let mut runs: Vec<(Bridge, [Vec<[f64; 4]>; 2])> = Bridge::ALL
            .iter()
            .map(|b| (*b, [Vec::new(), Vec::new()]))
            .collect();
        for repeat in 0..REPEATS {
            for turn in 0..Bridge::ALL.len() {
                let bridge = Bridge::ALL[(turn + repeat) % Bridge::ALL.len()];
                eprintln!(
                    "  peers: {} with {viewers} viewers, run {}/{REPEATS}",
                    bridge.name(),
                    repeat + 1
                );
                let [created, deleted] = run(&tools, zk, bridge, viewers).await?;
                let row = &mut runs
                    .iter_mut()
                    .find(|(b, _)| *b == bridge)
                    .expect("every bridge has a row")
                    .1;
                row[0].push(created.figures());
                row[1].push(deleted.figures());
            }
        }
        for (bridge, kinds) in runs {
            for (change, figures) in ["created", "deleted"].into_iter().zip(kinds) {
                let each = |i: usize| figures.iter().map(|f| f[i]).collect::<Vec<_>>();
                rows.push(json!({
                    "bridge": bridge.name(),
                    "viewers": viewers,
                    "change": change,
                    "overhead_p50_ms": median(&mut each(0)),
                    "overhead_p99_ms": median(&mut each(1)),
                    "last_viewer_p50_ms": median(&mut each(2)),
                    "raw_p50_ms": median(&mut each(3)),
                    "overhead_p50_each_ms": each(0),
                }));
            }
        }
    }
    Ok(json!({"warmup": WARMUP, "rounds": ROUNDS, "repeats": REPEATS, "rows": rows}))
}
