//! The soak: a room of lock clients on the `predecessor` recipe, on a real three-member ensemble
//! and a real `zkplay` process, through faults drawn from a seed (crash, kill, pause, partition,
//! a member stopped and started, the server killed and started again), checked on what happened:
//! no two holders, no waiter left waiting, every orphaned node gone in time, the picture equal
//! to the tree, sessions and memory back where they started.

pub mod ledger;
pub mod plan;
pub mod zkplay;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use backend::EnsembleControl;
use shared::fleet::owner_dir;
use shared::{ClientId, ClientMsg, ErrorCode, RoomEvent, ServerMsg};
use tokio::sync::mpsc;
use tokio::time::Instant;
use zookeeper_client::Error;

use crate::viewer::{Polled, WAIT};
use crate::zookeeper::{self, RawSession, TICK};
use crate::Viewer;
use ledger::{Deletion, Ledger, Orphan, Outage, Renewals, Stand};
use plan::{Fault, Plan};
use zkplay::{Launch, Zkplay};

/// The room the soak runs in (its ensemble is its own, so the name is free).
const ROOM: &str = "soak";
/// How often the soak reads the lock folder to see nodes go.
const POLL: Duration = Duration::from_millis(100);
/// The raw session's scratch node for [`RawSession::barrier`], outside every room.
const BARRIER: &str = "/zkplay-soak-barrier";
/// How often memory and ZooKeeper's counts are sampled.
const SAMPLE: Duration = Duration::from_secs(5);
/// Memory is fitted over the last server run from this long after its start.
const WARM_UP: Duration = Duration::from_secs(30);
/// The room history the soak's server keeps: full within [`WARM_UP`] (about 15 events a
/// second), so what memory does after it is churn.
const ROOM_HISTORY_EVENTS: usize = 400;
/// Memory growth is judged only over a server run at least this long.
const MEMORY_RUN: Duration = Duration::from_secs(600);
/// Most memory growth allowed, in MiB per hour of churn.
const MEMORY_GROWTH_MIB_PER_HOUR: f64 = 5.0;

/// What a soak run does.
#[derive(Clone, Debug)]
pub struct SoakSettings {
    pub seed: u64,
    /// How long faults are injected; draining and checking follow.
    pub run: Duration,
    /// Lock clients kept in the room.
    pub clients: usize,
    /// The `zkplay` binary.
    pub server: PathBuf,
    pub session_timeout: Duration,
    /// How long a holder keeps the lock.
    pub hold: Duration,
}

/// What the soak counted and found; [`SoakReport::summary`] is its one line.
#[derive(Debug, Default)]
pub struct SoakReport {
    pub seed: u64,
    pub run: Duration,
    pub server_runs: usize,
    pub hand_offs: u64,
    pub faults: BTreeMap<Fault, u64>,
    /// Member stops that stopped the leader.
    pub leaders_stopped: u64,
    /// Faults the server refused because their client had just left.
    pub refused: u64,
    pub overlaps: u64,
    pub stuck: u64,
    pub closes: BTreeMap<String, u64>,
    pub orphans: u64,
    pub orphans_in_time: u64,
    /// The slowest orphan: how long it outlived its session, and its bound.
    pub worst_orphan: Option<(Duration, Duration)>,
    pub pictures: u64,
    pub pictures_true: u64,
    /// Nodes shown after a restart as an earlier run's with their expiry, of all shown then.
    pub recognised: (u64, u64),
    /// The largest gap between a shown expiry and the last sighting of its node, in ms (a
    /// node seen after its countdown ended, or gone well before, is a failure).
    pub worst_expiry_gap_ms: Option<i64>,
    /// Shown expiries compared with the node's going (no renewal between).
    pub expiries_judged: u64,
    /// ZooKeeper's connections and ephemeral nodes before the room filled, and after it emptied.
    pub connections: (u64, u64),
    pub ephemerals: (u64, u64),
    /// Resident memory of the last server run at its start and at the end, in KiB.
    pub memory_kib: (u64, u64),
    /// Fitted growth over the last server run, in MiB per hour, and how long it ran.
    pub memory_growth: Option<(f64, Duration)>,
    /// Every check that failed, said in words.
    pub failures: Vec<String>,
}

impl SoakReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// One line: hand-offs, faults by kind, overlaps, stuck waiters, orphans, pictures,
    /// sessions and memory.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "soak seed {} for {:.0} s, {} server runs: {} hand-offs; faults",
            self.seed,
            self.run.as_secs_f64(),
            self.server_runs,
            self.hand_offs
        );
        for fault in Fault::ALL {
            let _ = write!(
                line,
                " {} {}",
                fault.name(),
                self.faults.get(&fault).copied().unwrap_or(0)
            );
            if fault == Fault::Member {
                let _ = write!(line, " ({} leaders)", self.leaders_stopped);
            }
            line.push(',');
        }
        let _ = write!(
            line,
            " refused {}; overlaps {}; stuck waiters {}; orphaned nodes {}, gone in time {}",
            self.refused, self.overlaps, self.stuck, self.orphans, self.orphans_in_time
        );
        if let Some((after, bound)) = self.worst_orphan {
            let _ = write!(
                line,
                " (the slowest seen {:.2} s after its death, due by {:.2} s)",
                after.as_secs_f64(),
                bound.as_secs_f64()
            );
        }
        let _ = write!(
            line,
            "; pictures true {}/{}; earlier runs' nodes named {}/{}{}; ZooKeeper connections \
             {} -> {}, ephemerals {} -> {}; memory {:.1} -> {:.1} MiB",
            self.pictures_true,
            self.pictures,
            self.recognised.0,
            self.recognised.1,
            self.worst_expiry_gap_ms
                .map(|gap| format!(
                    " (of {} countdowns, the furthest from its node's going: {gap:+} ms)",
                    self.expiries_judged
                ))
                .unwrap_or_default(),
            self.connections.0,
            self.connections.1,
            self.ephemerals.0,
            self.ephemerals.1,
            self.memory_kib.0 as f64 / 1024.0,
            self.memory_kib.1 as f64 / 1024.0,
        );
        if let Some((growth, over)) = self.memory_growth {
            let _ = write!(
                line,
                " ({growth:+.1} MiB/h over {:.0} s)",
                over.as_secs_f64()
            );
        }
        line.push_str(if self.passed() {
            ": PASSED"
        } else {
            ": FAILED"
        });
        line
    }
}

/// Runs a soak on a three-member ensemble of its own, which it stops at the end.
pub async fn run(settings: SoakSettings) -> Result<SoakReport> {
    let ensemble = zookeeper::three_members().await;
    let work = zkplay::workdir(&format!("soak-{}", std::process::id()))?;
    let result = match Soak::start(&settings, &ensemble, &work).await {
        Ok(soak) => soak.go().await,
        Err(e) => Err(e),
    };
    // The members' logs stay beside the server's: a failure's story is in them.
    for (i, log) in ensemble.logs().await.iter().enumerate() {
        let _ = std::fs::copy(log, work.join(format!("zookeeper-{}.log", i + 1)));
    }
    ensemble.stop().await;
    result
}

/// What the soak's helpers tell its loop.
#[derive(Debug)]
enum Note {
    /// A node left the lock folder (seen by the raw session's reading).
    Gone {
        path: String,
        at: Duration,
    },
    /// A gain, checked against the tree after a barrier: the nodes before the gainer's.
    Truth {
        /// The server run the gain happened in.
        run: usize,
        client: ClientId,
        /// The gainer's session, as the room last showed it.
        session: Option<shared::SessionId>,
        path: String,
        /// The nodes before the gainer's, then the gainer's, each with its owner and czxid.
        before: Vec<String>,
    },
    MemberDown {
        id: usize,
        was_leader: bool,
    },
    /// A leader serves again after the leader was stopped.
    Elected {
        at: Duration,
    },
    MemberBack {
        id: usize,
    },
    MemberTrouble(String),
}

struct Soak {
    settings: SoakSettings,
    ensemble: EnsembleControl,
    members: Vec<String>,
    launch: Launch,
    server: Option<Zkplay>,
    addr: SocketAddr,
    viewer: Viewer,
    raw: Arc<RawSession>,
    start: Instant,
    notes: mpsc::UnboundedReceiver<Note>,
    tell: mpsc::UnboundedSender<Note>,
    plan: Plan,
    ledger: Ledger,
    report: SoakReport,
    /// Lock clients asked for and not yet added.
    adding: usize,
    orphans: Vec<(Orphan, Duration)>,
    gone: HashMap<String, Duration>,
    /// The expiry (server clock, ms) shown for an earlier run's node after a restart, and when.
    shown_expiries: Vec<(String, u64, Duration)>,
    /// The soak's start on the system clock, in ms since the epoch (the server's clock).
    start_wall_ms: u64,
    renewals: Renewals,
    /// The member down now, and since when.
    member_down: Option<Duration>,
    /// `(seconds since the run's start, KiB)` of the current server run.
    memory: Vec<(f64, u64)>,
    run_started: Instant,
}

impl Soak {
    async fn start(
        settings: &SoakSettings,
        ensemble: &EnsembleControl,
        work: &std::path::Path,
    ) -> Result<Soak> {
        let zk = ensemble.connect_string().await;
        let members = zk.split(',').map(str::to_string).collect();
        let launch = Launch {
            binary: settings.server.clone(),
            zk: zk.clone(),
            session_timeout: settings.session_timeout,
            hold: settings.hold,
            data_dir: work.join("data"),
            ui_dir: None,
            logs: work.to_path_buf(),
            // The room's history is bounded (20 000 events by default), and filling it is no
            // leak: keep it small enough to be full before memory is fitted.
            flags: vec![
                "--room-history-events".into(),
                ROOM_HISTORY_EVENTS.to_string(),
            ],
        };
        println!(
            "soak: seed {}, {:.0} s of faults, {} lock clients; server logs in {}",
            settings.seed,
            settings.run.as_secs_f64(),
            settings.clients,
            zkplay::shown(work)
        );
        let server = Zkplay::start(&launch, "127.0.0.1:0".parse()?, 1).await?;
        let addr = server.addr;
        let viewer = join(addr).await;
        let raw = Arc::new(RawSession::connect(&zk).await);
        let (tell, notes) = mpsc::unbounded_channel();
        let mut soak = Soak {
            settings: settings.clone(),
            ensemble: ensemble.clone(),
            members,
            launch,
            server: Some(server),
            addr,
            viewer,
            raw,
            start: Instant::now(),
            notes,
            tell,
            plan: Plan::new(settings.seed, settings.run),
            ledger: Ledger::default(),
            report: SoakReport {
                seed: settings.seed,
                run: settings.run,
                server_runs: 1,
                ..SoakReport::default()
            },
            adding: 0,
            orphans: Vec::new(),
            gone: HashMap::new(),
            shown_expiries: Vec::new(),
            start_wall_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            renewals: Renewals::default(),
            member_down: None,
            memory: Vec::new(),
            run_started: Instant::now(),
        };
        // The room's own sessions are open once its AppClient has printed its first line; the
        // server's probes open short connections of their own, so the least of a few readings
        // is the baseline.
        soak.viewer.until_app_client_settled().await;
        let mut census = soak.census().await;
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let again = soak.census().await;
            census = (census.0.min(again.0), census.1.min(again.1));
        }
        soak.report.connections.0 = census.0;
        soak.report.ephemerals.0 = census.1;
        soak.report.memory_kib.0 = soak.resident();
        soak.watch_the_folder();
        Ok(soak)
    }

    async fn go(mut self) -> Result<SoakReport> {
        let end = self.start + self.settings.run;
        let mut next_fault = Instant::now() + self.plan.gap();
        let mut next_sample = Instant::now();
        let mut last_progress = Instant::now();
        self.refill().await;
        while Instant::now() < end {
            let deadline = next_fault.min(next_sample).min(end);
            self.read_until(deadline).await?;
            let now = Instant::now();
            if now >= next_sample {
                self.sample();
                next_sample = now + SAMPLE;
            }
            if now >= next_fault && now < end {
                self.fault().await?;
                next_fault = Instant::now() + self.plan.gap();
            }
            if last_progress.elapsed() >= Duration::from_secs(60) {
                last_progress = Instant::now();
                println!(
                    "soak: {:.0} s, {} hand-offs, {} faults, {} overlaps",
                    self.start.elapsed().as_secs_f64(),
                    self.ledger.hand_offs,
                    self.report.faults.values().sum::<u64>(),
                    self.overlaps()
                );
            }
        }
        self.finish().await
    }

    /// Reads the viewer and the helpers' notes until `deadline`, keeping the room full.
    async fn read_until(&mut self, deadline: Instant) -> Result<()> {
        loop {
            while let Ok(note) = self.notes.try_recv() {
                self.take_note(note);
            }
            match self.viewer.poll(deadline).await {
                Polled::Quiet => return Ok(()),
                Polled::Closed => anyhow::bail!("the server closed the soak's connection"),
                Polled::Message(msg) => self.take(msg).await,
            }
        }
    }

    async fn take(&mut self, msg: ServerMsg) {
        match &msg {
            ServerMsg::Event { seq, event, .. } if *seq > self.viewer.view.seq => {
                self.observe(event.clone());
            }
            ServerMsg::Error { code, message } => match code {
                // The client a fault was aimed at had just left, or was not yet connected.
                ErrorCode::NoSuchClient | ErrorCode::InvalidState => self.report.refused += 1,
                _ => self
                    .report
                    .failures
                    .push(format!("the server answered {code:?}: {message}")),
            },
            _ => {}
        }
        self.viewer.absorb(msg);
        self.refill().await;
    }

    fn observe(&mut self, event: RoomEvent) {
        let at = self.start.elapsed();
        let overlaps = self.ledger.overlaps.len();
        if let Some(orphan) = self.ledger.observe(at, &event) {
            self.orphans.push((orphan, at));
        }
        // Said at once, with the run it happened in, so a long run's log places it.
        if let Some(overlap) = self.ledger.overlaps.get(overlaps) {
            self.say(&format!(
                "OVERLAP in run {}: two holders in the room's events: {overlap:?}",
                self.report.server_runs
            ));
        }
        match event {
            RoomEvent::ClientAdded { .. } => self.adding = self.adding.saturating_sub(1),
            RoomEvent::LockGained { client, path } => self.check_against_the_tree(client, path),
            // The leader's word on an earlier session's expiry changed: the countdown of each
            // of its nodes is judged against the latest.
            RoomEvent::EarlierSession {
                session,
                expires_at_ms: Some(deadline_ms),
                ..
            } => {
                let view = &self.viewer.view;
                for (path, deadline, shown_at) in &mut self.shown_expiries {
                    let owned = view
                        .locks
                        .nodes
                        .iter()
                        .any(|n| &n.path == path && n.owner_session() == Some(session));
                    if owned {
                        (*deadline, *shown_at) = (deadline_ms, at);
                    }
                }
            }
            RoomEvent::Violation {
                first,
                second,
                second_path,
                ..
            } => self.report.failures.push(format!(
                "the server saw two holders: {second} gained {second_path} while {first} held"
            )),
            RoomEvent::ClientClosed { reason, .. } => match reason {
                shared::CloseReason::Crashed => self.count(Fault::Crash),
                shared::CloseReason::Killed => self.count(Fault::Kill),
                _ => {}
            },
            RoomEvent::LinkChanged { frozen: true, .. } => self.count(Fault::Pause),
            RoomEvent::PartitionChanged {
                partitioned: true, ..
            } => self.count(Fault::Partition),
            _ => {}
        }
    }

    /// Prints a line of the run's timeline (the rare faults: members and server restarts).
    fn say(&self, what: &str) {
        println!("soak: {:7.1} s: {what}", self.start.elapsed().as_secs_f64());
    }

    fn count(&mut self, fault: Fault) {
        *self.report.faults.entry(fault).or_default() += 1;
    }

    fn overlaps(&self) -> u64 {
        self.report.overlaps + self.ledger.overlaps.len() as u64
    }

    fn take_note(&mut self, note: Note) {
        match note {
            Note::Gone { path, at } => {
                self.gone.insert(path, at);
            }
            Note::Truth {
                run,
                client,
                session,
                path,
                before,
            } => {
                if !before.is_empty() {
                    self.report.overlaps += 1;
                    let session = session.map_or("?".into(), |s| s.to_string());
                    let failure = format!(
                        "client {client} (session {session}) gained {path} while ZooKeeper still \
                         had nodes before it: {before:?}"
                    );
                    self.say(&format!("OVERLAP in run {run}: {failure}"));
                    self.report.failures.push(failure);
                }
            }
            Note::MemberDown { id, was_leader } => {
                let role = if was_leader { " (the leader)" } else { "" };
                self.say(&format!("member {id}{role} stopped"));
                self.count(Fault::Member);
                if was_leader {
                    self.report.leaders_stopped += 1;
                }
            }
            Note::Elected { at } => {
                self.say("a new leader serves");
                self.renewals.elections.push(at);
            }
            Note::MemberBack { id } => {
                self.say(&format!("member {id} serves again"));
                if let Some(down) = self.member_down.take() {
                    let back = self.start.elapsed();
                    self.renewals.outages.push(Outage { down, back });
                }
            }
            Note::MemberTrouble(what) => {
                self.member_down = None;
                self.report.failures.push(what);
            }
        }
    }

    /// Asks for lock clients until the room has its number (live or on their way).
    async fn refill(&mut self) {
        while self.ledger.live_count() + self.adding < self.settings.clients {
            self.adding += 1;
            self.viewer.send(&ClientMsg::AddLockClient).await;
        }
    }

    /// Reads the tree after a barrier (so it is at least as new as the gain) and tells which
    /// nodes still come before the gainer's: none, if the recipe is right.
    fn check_against_the_tree(&self, client: ClientId, path: String) {
        let (raw, tell, run) = (self.raw.clone(), self.tell.clone(), self.report.server_runs);
        let session = self
            .viewer
            .view
            .locks
            .client(client)
            .and_then(|c| c.session);
        tokio::spawn(async move {
            let dir = format!("/zkplay/{ROOM}/locks");
            raw.barrier(BARRIER).await;
            let names = raw.again(|| list(&raw, &dir)).await;
            let Some(mine) = path.rsplit('/').next().map(str::to_string) else {
                return;
            };
            // Released already: nothing to compare with.
            if !names.contains(&mine) {
                return;
            }
            let before: Vec<String> = names
                .into_iter()
                .filter(|n| sequence(n) < sequence(&mine))
                .collect();
            // Whose each node is, and when it was made: enough to tell a second node of one
            // session from another session's, or an earlier run's.
            let mut described = Vec::new();
            for name in before.iter().chain([&mine]).filter(|_| !before.is_empty()) {
                let full = format!("{dir}/{name}");
                let stat = raw.again(|| raw.client.check_stat(&full)).await;
                described.push(match stat {
                    Some(s) => format!(
                        "/locks/{name} (owner {}, czxid {:#x})",
                        shared::SessionId(s.ephemeral_owner),
                        s.czxid
                    ),
                    None => format!("/locks/{name} (gone since)"),
                });
            }
            let _ = tell.send(Note::Truth {
                run,
                client,
                session,
                path,
                before: described,
            });
        });
    }

    /// Reads the lock folder every [`POLL`], each time after a barrier (so no member shows a
    /// node ZooKeeper has deleted), and tells which nodes left it: each with the
    /// start of the last reading that still had it, the earliest it can have gone.
    fn watch_the_folder(&self) {
        let (raw, tell, start) = (self.raw.clone(), self.tell.clone(), self.start);
        tokio::spawn(async move {
            let dir = format!("/zkplay/{ROOM}/locks");
            let (mut known, mut read_at): (Vec<String>, Duration) = (Vec::new(), Duration::ZERO);
            loop {
                let reading = start.elapsed();
                raw.barrier(BARRIER).await;
                let names = raw.again(|| list(&raw, &dir)).await;
                for name in known.iter().filter(|n| !names.contains(n)) {
                    let gone = Note::Gone {
                        path: format!("/locks/{name}"),
                        at: read_at,
                    };
                    if tell.send(gone).is_err() {
                        return;
                    }
                }
                (known, read_at) = (names, reading);
                tokio::time::sleep(POLL).await;
            }
        });
    }

    async fn fault(&mut self) -> Result<()> {
        let at = self.start.elapsed();
        let fault = self.plan.next(at, self.member_down.is_some());
        let timeout = self.settings.session_timeout;
        match fault {
            Fault::Crash | Fault::Kill | Fault::Pause | Fault::Partition => {
                let Some(client) = self.target() else {
                    self.report.refused += 1;
                    return Ok(());
                };
                let msg = match fault {
                    Fault::Crash => ClientMsg::Crash { client },
                    Fault::Kill => ClientMsg::Kill { client },
                    Fault::Pause => ClientMsg::Pause {
                        client,
                        ms: self.plan.cut(timeout).as_millis() as u64,
                    },
                    _ => ClientMsg::Partition {
                        client,
                        ms: self.plan.cut(timeout).as_millis() as u64,
                    },
                };
                self.viewer.send(&msg).await;
            }
            Fault::Member => self.stop_a_member(),
            Fault::Server => self.restart_the_server().await?,
            Fault::Fleet => self.move_the_room().await?,
        }
        Ok(())
    }

    /// The holder half the time (faults on it are the ones that test the hand-off), else any
    /// live client.
    fn target(&mut self) -> Option<ClientId> {
        if let Some(holder) = self.ledger.holder().filter(|_| self.plan.chance(0.5)) {
            return Some(holder);
        }
        let live: Vec<ClientId> = self.ledger.live().map(|(id, _)| id).collect();
        self.plan.pick(&live)
    }

    /// Stops a member, and starts it again after an outage, in a task of its own: the room
    /// goes on meanwhile.
    fn stop_a_member(&mut self) {
        self.member_down = Some(self.start.elapsed());
        let id = self.plan.pick(&[1, 2, 3]).expect("three members");
        let outage = self.plan.outage();
        let (ensemble, members, tell, start) = (
            self.ensemble.clone(),
            self.members.clone(),
            self.tell.clone(),
            self.start,
        );
        tokio::spawn(async move {
            let was_leader = mode(&members[id - 1]).await.as_deref() == Some("leader");
            if let Err(e) = ensemble.stop_member(id).await {
                let _ = tell.send(Note::MemberTrouble(format!("stop member {id}: {e}")));
                return;
            }
            let _ = tell.send(Note::MemberDown { id, was_leader });
            if was_leader {
                let others: Vec<String> = (1..=members.len())
                    .filter(|m| *m != id)
                    .map(|m| members[m - 1].clone())
                    .collect();
                if !until_any_leads(&others).await {
                    let _ = tell.send(Note::MemberTrouble(format!(
                        "no leader within {WAIT:?} after leader {id} stopped"
                    )));
                }
                let _ = tell.send(Note::Elected {
                    at: start.elapsed(),
                });
            }
            // The outage is the fault itself, not a wait for anything.
            tokio::time::sleep(outage).await;
            if let Err(e) = ensemble.start_member(id).await {
                let _ = tell.send(Note::MemberTrouble(format!("start member {id}: {e}")));
                return;
            }
            let deadline = Instant::now() + 2 * WAIT;
            loop {
                if matches!(
                    mode(&members[id - 1]).await.as_deref(),
                    Some("leader" | "follower")
                ) {
                    let _ = tell.send(Note::MemberBack { id });
                    return;
                }
                if Instant::now() > deadline {
                    let _ = tell.send(Note::MemberTrouble(format!(
                        "member {id} did not serve again within {:?}",
                        2 * WAIT
                    )));
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        });
    }

    /// Kills the server process without warning and starts another on the same address; the
    /// viewer joins again, and the new run must show the tree as it is before it adds anyone.
    async fn restart_the_server(&mut self) -> Result<()> {
        self.kill_the_server(Fault::Server).await?;
        self.report.server_runs += 1;
        self.say(&format!(
            "server killed; run {} starts",
            self.report.server_runs
        ));
        let server = Zkplay::start(&self.launch, self.addr, self.report.server_runs).await?;
        self.server = Some(server);
        self.viewer = join(self.addr).await;
        self.new_run("after the server restarted").await;
        Ok(())
    }

    /// Starts a second server of the fleet, lets it take a seat in the room's owner queue (a
    /// connection through it, forwarded to the room's server), kills the room's server without
    /// warning, and follows the room to the second one once the dead one's session expired:
    /// it must show the tree as it is before it adds anyone.
    async fn move_the_room(&mut self) -> Result<()> {
        let runs = self.report.server_runs + 1;
        let standby = Zkplay::start(&self.launch, "127.0.0.1:0".parse()?, runs).await?;
        let seat = hold_a_seat(standby.addr).await;
        let queue = owner_dir(ROOM);
        let raw = self.raw.clone();
        let deadline = Instant::now() + WAIT;
        while raw.again(|| list(&raw, &queue)).await.len() < 2 {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the second server took no seat in {WAIT:?}"
            );
            // The queue has no event the soak can await without a watch of its own racing the
            // server's create; the seat is taken within milliseconds.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.kill_the_server(Fault::Fleet).await?;
        self.report.server_runs = runs;
        self.say(&format!(
            "the room's server killed; the fleet's other server (run {runs}) takes the room"
        ));
        self.addr = standby.addr;
        self.server = Some(standby);
        self.viewer = join_when_run_here(self.addr).await?;
        seat.abort();
        self.new_run("after the room moved to another server").await;
        Ok(())
    }

    /// Kills the room's server without warning, for `fault`: its clients' nodes are orphans
    /// from now, and nothing it was asked to add comes.
    async fn kill_the_server(&mut self, fault: Fault) -> Result<()> {
        let died = self.start.elapsed();
        for orphan in self.ledger.server_died() {
            self.orphans.push((orphan, died));
        }
        self.adding = 0;
        if let Some(server) = self.server.take() {
            server.kill().await?;
        }
        self.count(fault);
        Ok(())
    }

    /// A new server run serves the room, the viewer joined to it: its picture and the earlier
    /// run's nodes are checked, and its memory is measured from here.
    async fn new_run(&mut self, when: &str) {
        self.memory.clear();
        self.run_started = Instant::now();
        self.picture(when).await;
        self.recognised().await;
        self.report.memory_kib.0 = self.resident();
    }

    /// After a restart, before any client is added, every node shown is an earlier run's: it
    /// must be drawn as such, counting down to its session's expiry, which is kept to compare
    /// with the moment it really goes.
    async fn recognised(&mut self) {
        let nodes = self.viewer.view.locks.nodes.len() as u64;
        let all_named = self
            .viewer
            .until_within(WAIT, |view, _| {
                let deadlines: Option<Vec<(String, u64)>> = view
                    .locks
                    .nodes
                    .iter()
                    .map(|node| {
                        let departed = view.sessions.departed_owner(node)?;
                        (departed.reason == shared::CloseReason::ServerDied).then_some(())?;
                        Some((node.path.clone(), departed.deadline_ms()?))
                    })
                    .collect();
                deadlines
            })
            .await;
        self.report.recognised.1 += nodes;
        match all_named {
            Some(deadlines) => {
                self.report.recognised.0 += deadlines.len() as u64;
                let at = self.start.elapsed();
                self.shown_expiries
                    .extend(deadlines.into_iter().map(|(path, ms)| (path, ms, at)));
            }
            None => self.report.failures.push(format!(
                "after a restart, not every node is shown as an earlier run's with its expiry: \
                 {:?}, departed {:?}",
                self.viewer.view.locks.nodes, self.viewer.view.sessions.departed
            )),
        }
    }

    /// Checks that the viewer shows exactly the lock nodes the raw session reads.
    async fn picture(&mut self, when: &str) {
        self.report.pictures += 1;
        let dir = format!("/zkplay/{ROOM}/locks");
        let deadline = Instant::now() + WAIT;
        let mut expected = Vec::new();
        while Instant::now() < deadline {
            let raw = self.raw.clone();
            expected = raw
                .again(|| list(&raw, &dir))
                .await
                .into_iter()
                .map(|n| format!("/locks/{n}"))
                .collect::<Vec<_>>();
            expected.sort();
            let want = expected.clone();
            let matched = self
                .viewer
                .until_within(Duration::from_secs(1), |view, _| {
                    let shown: Vec<&str> =
                        view.locks.nodes.iter().map(|n| n.path.as_str()).collect();
                    (shown == want).then_some(())
                })
                .await;
            if matched.is_some() {
                self.report.pictures_true += 1;
                return;
            }
        }
        let shown: Vec<String> = self
            .viewer
            .view
            .locks
            .nodes
            .iter()
            .map(|n| n.path.clone())
            .collect();
        self.report.failures.push(format!(
            "{when}: the view shows {shown:?}, ZooKeeper has {expected:?}"
        ));
    }

    fn resident(&self) -> u64 {
        self.server
            .as_ref()
            .and_then(Zkplay::pid)
            .and_then(zkplay::resident_kib)
            .unwrap_or(0)
    }

    fn sample(&mut self) {
        let kib = self.resident();
        if kib > 0 {
            self.memory
                .push((self.run_started.elapsed().as_secs_f64(), kib));
        }
    }

    /// ZooKeeper's live connections (all members) and ephemeral nodes (the most any member
    /// reports), from `mntr`.
    async fn census(&self) -> (u64, u64) {
        let (mut connections, mut ephemerals) = (0, 0);
        for member in &self.members {
            if let Ok(mntr) = backend::four_letter_word(member, "mntr").await {
                connections += mntr_value(&mntr, "zk_num_alive_connections").unwrap_or(0);
                ephemerals = ephemerals.max(mntr_value(&mntr, "zk_ephemerals_count").unwrap_or(0));
            }
        }
        (connections, ephemerals)
    }

    /// Stops the faults, lets every client finish, and checks what is left.
    async fn finish(mut self) -> Result<SoakReport> {
        println!("soak: faults over; draining the queue");
        // The member outage in progress ends first.
        let deadline = Instant::now() + 3 * WAIT;
        while self.member_down.is_some() && Instant::now() < deadline {
            self.read_until(Instant::now() + Duration::from_millis(200))
                .await?;
        }
        let memory_end = self.resident();
        let run_length = self.run_started.elapsed();
        let fitted: Vec<(f64, u64)> = self
            .memory
            .iter()
            .copied()
            .filter(|(t, _)| *t >= WARM_UP.as_secs_f64())
            .collect();

        // No more clients: the ones here must each hold and finish, or leave.
        self.settings.clients = 0;
        let drain = 2 * (self.settings.session_timeout + TICK)
            + (self.settings.hold + Duration::from_secs(2)) * self.ledger.live_count() as u32
            + WAIT;
        let deadline = Instant::now() + drain;
        while (self.ledger.live_count() > 0 || self.adding > 0) && Instant::now() < deadline {
            self.read_until(Instant::now() + Duration::from_millis(200))
                .await?;
        }
        let stuck: Vec<(ClientId, Stand)> = self.ledger.live().collect();
        self.report.stuck = stuck.len() as u64;
        if !stuck.is_empty() {
            self.report.failures.push(format!(
                "clients still in the room {drain:?} after the faults ended: {stuck:?}"
            ));
        }

        // Every orphan goes by its deadline.
        let last_due = self
            .orphans
            .iter()
            .map(|(o, died)| *died + o.timeout)
            .max()
            .unwrap_or_default()
            + 2 * TICK
            + WAIT;
        while self
            .orphans
            .iter()
            .any(|(o, _)| !self.gone.contains_key(&o.path))
            && self.start.elapsed() < last_due
        {
            self.read_until(Instant::now() + Duration::from_millis(200))
                .await?;
        }
        self.judge_orphans();
        self.judge_shown_expiries();

        self.picture("after the room emptied").await;
        let baseline = (self.report.connections.0, self.report.ephemerals.0);
        let deadline = Instant::now() + WAIT;
        let mut census = self.census().await;
        while census != baseline && Instant::now() < deadline {
            self.read_until(Instant::now() + Duration::from_millis(500))
                .await?;
            census = self.census().await;
        }
        (self.report.connections.1, self.report.ephemerals.1) = census;
        if census != baseline {
            self.report.failures.push(format!(
                "ZooKeeper's connections and ephemerals are {census:?} after the room emptied, \
                 {baseline:?} before it filled"
            ));
        }

        self.report.memory_kib.1 = memory_end;
        if let Some(growth) = ledger::growth_mib_per_hour(&fitted) {
            self.report.memory_growth = Some((growth, run_length));
            if run_length >= MEMORY_RUN && growth >= MEMORY_GROWTH_MIB_PER_HOUR {
                self.report.failures.push(format!(
                    "the server's memory grew {growth:.1} MiB/h over its last {:.0} s",
                    run_length.as_secs_f64()
                ));
            }
        }

        for fault in Fault::ALL {
            if !self.report.faults.contains_key(&fault) {
                self.report
                    .failures
                    .push(format!("no {} fault happened", fault.name()));
            }
        }
        self.report.hand_offs = self.ledger.hand_offs;
        self.report.overlaps = self.overlaps();
        for overlap in &self.ledger.overlaps {
            self.report
                .failures
                .push(format!("two holders: {overlap:?}"));
        }
        self.report.closes = std::mem::take(&mut self.ledger.closes);
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        Ok(self.report)
    }

    /// A node shown with a countdown after a restart goes when it ends: ZooKeeper's leader
    /// names the second (the countdown ends with it), so the last sighting comes at most a
    /// second and a reading before the end, and never after it (a quarter second of slack
    /// for the expiry's own commit). A new leader or a member back since then may move the
    /// real expiry: those are not judged.
    fn judge_shown_expiries(&mut self) {
        const EARLY_MS: i64 = 1000 + POLL.as_millis() as i64 + 400;
        const LATE_MS: i64 = 250;
        for (path, deadline_ms, shown_at) in std::mem::take(&mut self.shown_expiries) {
            let Some(gone) = self.gone.get(&path).copied() else {
                continue;
            };
            let renewed = self
                .renewals
                .elections
                .iter()
                .chain(self.renewals.outages.iter().map(|o| &o.back))
                .any(|t| *t > shown_at && *t <= gone);
            if renewed {
                continue;
            }
            let ends = Duration::from_millis(deadline_ms.saturating_sub(self.start_wall_ms));
            let gap = gone.as_millis() as i64 - ends.as_millis() as i64;
            self.report.expiries_judged += 1;
            let worst = self.report.worst_expiry_gap_ms.get_or_insert(gap);
            if gap.abs() > worst.abs() {
                *worst = gap;
            }
            if !(-EARLY_MS..=LATE_MS).contains(&gap) {
                self.report.failures.push(format!(
                    "{path} was shown to expire at {:.2} s and was last seen at {:.2} s",
                    ends.as_secs_f64(),
                    gone.as_secs_f64()
                ));
            }
        }
    }

    fn judge_orphans(&mut self) {
        self.report.orphans = self.orphans.len() as u64;
        for (orphan, died) in &self.orphans {
            let verdict = ledger::judge_deletion(
                orphan,
                *died,
                self.gone.get(&orphan.path).copied(),
                &self.renewals,
                TICK,
            );
            match verdict {
                Deletion::InTime { after, bound } => {
                    self.report.orphans_in_time += 1;
                    let worst = self.report.worst_orphan.get_or_insert((after, bound));
                    if after.as_secs_f64() / bound.as_secs_f64()
                        > worst.0.as_secs_f64() / worst.1.as_secs_f64()
                    {
                        *worst = (after, bound);
                    }
                }
                Deletion::Late { after, bound } => self.report.failures.push(format!(
                    "{} was still there {:.2} s after its session died at {:.1} s, later than \
                     {:.2} s (session from {:.1} s; {:?})",
                    orphan.path,
                    after.as_secs_f64(),
                    died.as_secs_f64(),
                    bound.as_secs_f64(),
                    orphan.connected.as_secs_f64(),
                    self.renewals
                )),
                Deletion::NotGone => self
                    .report
                    .failures
                    .push(format!("{} outlived its session", orphan.path)),
            }
        }
    }
}

/// A connection to the room through the server at `addr`, read and thrown away, which keeps
/// that server's seat in the room's owner queue while it lasts.
async fn hold_a_seat(addr: SocketAddr) -> tokio::task::JoinHandle<()> {
    let mut viewer = Viewer::join_room(addr, ROOM).await;
    tokio::spawn(async move {
        while let Polled::Message(_) = viewer.poll(Instant::now() + WAIT * 100).await {}
    })
}

/// Joins the room through the server at `addr` once that server runs it: until the dead
/// server's session expires, it forwards to the dead server and the connection is refused.
async fn join_when_run_here(addr: SocketAddr) -> Result<Viewer> {
    let url = format!("http://{addr}");
    let deadline = Instant::now() + 2 * WAIT;
    loop {
        let path = format!("/ws?room={ROOM}");
        if let Ok(ws) = Viewer::connect_to(addr, &path, None).await {
            let viewer = Viewer::join_socket(ws, ROOM).await;
            let runs_on = viewer.server.as_ref().and_then(|s| s.runs_on.clone());
            if runs_on.as_deref() == Some(url.as_str()) {
                return Ok(prepare(viewer).await);
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{url} did not take the room within {:?}",
            2 * WAIT
        );
        // Nothing of the dead server's to await: its session's expiry is ZooKeeper's.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Joins the soak's room, with holders that suspend while disconnected (Curator's rule).
async fn join(addr: SocketAddr) -> Viewer {
    prepare(Viewer::join(addr, ROOM).await).await
}

/// The soak's viewer: no history kept, and holders that suspend while disconnected.
async fn prepare(mut viewer: Viewer) -> Viewer {
    viewer.keep_history = false;
    viewer
        .send(&ClientMsg::SetSuspendOnDisconnect { on: true })
        .await;
    viewer
}

/// The children of `dir`, none if it does not exist yet.
async fn list(raw: &RawSession, dir: &str) -> Result<Vec<String>, Error> {
    match raw.client.list_children(dir).await {
        Err(Error::NoNode) => Ok(Vec::new()),
        other => other,
    }
}

/// A sequential node's number: its last ten digits.
fn sequence(name: &str) -> u64 {
    name.get(name.len().saturating_sub(10)..)
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(u64::MAX)
}

/// A member's `Mode:` as `srvr` says it, or `None` if it does not answer.
async fn mode(address: &str) -> Option<String> {
    let srvr = backend::four_letter_word(address, "srvr").await.ok()?;
    srvr.lines()
        .find_map(|l| l.strip_prefix("Mode: "))
        .map(|m| m.trim().to_string())
}

/// Waits (at most [`WAIT`]) until one of `members` says it leads.
async fn until_any_leads(members: &[String]) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        for member in members {
            if mode(member).await.as_deref() == Some("leader") {
                return true;
            }
        }
        tokio::time::sleep(POLL).await;
    }
    false
}

fn mntr_value(mntr: &str, key: &str) -> Option<u64> {
    mntr.lines().find_map(|line| {
        let (k, v) = line.split_once('\t')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Runs a soak and fails with its summary if any check failed.
pub async fn run_and_judge(settings: SoakSettings) -> Result<SoakReport> {
    let report = run(settings).await.context("the soak could not run")?;
    println!("{}", report.summary());
    if !report.closes.is_empty() {
        println!("soak: clients left by {:?}", report.closes);
    }
    for failure in &report.failures {
        println!("soak: FAILED: {failure}");
    }
    if !report.passed() {
        anyhow::bail!("the soak found {} failures", report.failures.len());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_is_the_last_ten_digits() {
        assert_eq!(sequence("lock-0000000042"), 42);
        assert_eq!(sequence("sub0000000007"), 7);
        assert_eq!(sequence("odd"), u64::MAX);
    }

    #[test]
    fn mntr_values_are_read_by_key() {
        let mntr = "zk_version\t3.8.0\nzk_num_alive_connections\t5\nzk_ephemerals_count\t0\n";
        assert_eq!(mntr_value(mntr, "zk_num_alive_connections"), Some(5));
        assert_eq!(mntr_value(mntr, "zk_ephemerals_count"), Some(0));
        assert_eq!(mntr_value(mntr, "zk_missing"), None);
    }
}
