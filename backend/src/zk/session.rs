//! What every simulated session shares: its identity in the room, its commands, and how it
//! opens and ends (in an order that keeps the room's history causal).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use std::time::Duration;

use shared::{
    ClientId, CloseReason, MoveKind, RoomEvent, SeedPoint, SessionStatus, TimeMode, WatchedKind,
};
use tokio::sync::{mpsc, oneshot, watch};
use zookeeper_client::{
    Acls, Client, CreateMode, EventType, SessionState, StateWatcher, WatchedEvent,
};

use super::proxy::{Link, SessionProxy};
use super::{EventSink, Report, ZkError, ZkSettings};

/// What the room can ask of a simulated session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionCmd {
    /// Close the session at once, whatever it is doing (a process that exits).
    Crash,
    /// A lock holder finishes now instead of waiting for the hold time.
    Release,
    /// Kill the process: its connection is cut and its session never closed.
    Kill,
    /// Freeze the process's connection for a while (a GC pause).
    Pause(Duration),
    /// Cut the process off from ZooKeeper for a while (a network partition); it runs on.
    Partition(Duration),
    /// Close the session because the room says so (shutdown, recipe switch, lesson reset).
    Close(CloseReason),
}

impl SessionCmd {
    /// The reason a command ends the session for, or `None` for one that does not.
    /// A closed command channel means the room is gone.
    pub fn ends(cmd: Option<SessionCmd>) -> Option<CloseReason> {
        match cmd {
            Some(SessionCmd::Crash) => Some(CloseReason::Crashed),
            Some(SessionCmd::Kill) => Some(CloseReason::Killed),
            Some(SessionCmd::Close(reason)) => Some(reason),
            Some(SessionCmd::Release | SessionCmd::Pause(_) | SessionCmd::Partition(_)) => None,
            None => Some(CloseReason::Shutdown),
        }
    }
}

/// A simulated process: what it does with its session until the session ends.
pub trait SessionRole: Send + 'static {
    /// Acts on an open session; returns why it ended.
    fn act(
        &mut self,
        session: &mut Session,
        client: &Client,
    ) -> impl Future<Output = CloseReason> + Send;
}

/// Runs a role on `session`: opens it, lets the role act, ends it. Always reports
/// `client_closed`.
pub async fn run(mut session: Session, mut role: impl SessionRole) {
    match session.open().await {
        Ok(client) => {
            let reason = role.act(&mut session, &client).await;
            session.end(Some(client), reason).await;
        }
        Err(reason) => session.end(None, reason).await,
    }
}

/// A session's state and member, reported as they change.
pub struct SessionWatch {
    client: ClientId,
    events: EventSink,
    state: StateWatcher,
    member: watch::Receiver<Option<String>>,
    link: watch::Receiver<Link>,
    /// The state last reported.
    status: SessionStatus,
}

impl SessionWatch {
    /// The session's state as last reported.
    pub fn status(&self) -> SessionStatus {
        self.status
    }

    fn report(&mut self, state: SessionStatus) {
        self.status = state;
        let _ = self.events.send(Report::Event(RoomEvent::SessionChanged {
            client: self.client,
            state,
            member: self.member.borrow().clone(),
        }));
    }

    /// Waits for the next change, reports it, and says whether it ends the session.
    ///
    /// A paused process notices nothing: while the link is frozen, changes wait (the client
    /// library would otherwise give up on the session by itself, which a process stopped in a
    /// GC pause cannot do) and come out once it runs again.
    pub async fn next_change(&mut self) -> Option<CloseReason> {
        if self.link.wait_for(|l| *l != Link::Frozen).await.is_err() {
            return std::future::pending().await;
        }
        tokio::select! {
            () = async { drop(self.link.wait_for(|l| *l == Link::Frozen).await) } => None,
            state = self.state.changed() => {
                let status = match state {
                    SessionState::SyncConnected | SessionState::ConnectedReadOnly => {
                        SessionStatus::Connected
                    }
                    SessionState::Disconnected => SessionStatus::Disconnected,
                    SessionState::Expired => SessionStatus::Expired,
                    SessionState::Closed | SessionState::AuthFailed => SessionStatus::Closed,
                };
                self.report(status);
                ended_by(state)
            }
            Ok(()) = self.member.changed() => {
                let status = match self.state.peek_state() {
                    SessionState::Disconnected => SessionStatus::Disconnected,
                    _ => SessionStatus::Connected,
                };
                self.report(status);
                None
            }
        }
    }
}

use crate::clock::now_ms;

/// The reason a session state ends a simulated process, if it does.
pub fn ended_by(state: SessionState) -> Option<CloseReason> {
    match state {
        SessionState::Expired => Some(CloseReason::Expired),
        SessionState::Closed | SessionState::AuthFailed => Some(CloseReason::Failed),
        _ => None,
    }
}

/// The room's time as its sessions need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub mode: TimeMode,
    pub slow_factor: u32,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            mode: TimeMode::Live,
            slow_factor: shared::DEFAULT_SLOW_FACTOR,
        }
    }
}

/// A session's way through its room's gate.
#[derive(Clone, Debug)]
pub struct Gate {
    client: ClientId,
    events: EventSink,
    clock: watch::Receiver<Clock>,
}

impl Gate {
    /// Waits until the room lets this move go; at once in live mode, which never asks the room.
    pub async fn pass(&self, kind: MoveKind, point: SeedPoint, path: Option<String>) {
        if self.clock.borrow().mode == TimeMode::Live {
            return;
        }
        let (go, gone) = oneshot::channel();
        let asked = self.events.send(Report::Move {
            client: self.client,
            kind,
            point,
            path,
            go,
        });
        if asked.is_ok() {
            // An error means the room let go of the move without sending (it is shutting down).
            let _ = gone.await;
        }
    }

    /// Tells the room this client now waits on ZooKeeper, not at the gate.
    pub fn rest(&self) {
        if self.clock.borrow().mode != TimeMode::Live {
            let _ = self.events.send(Report::Rest {
                client: self.client,
            });
        }
    }

    /// How many times longer holds last now.
    pub fn stretch(&self) -> u32 {
        let clock = *self.clock.borrow();
        clock.mode.stretch(clock.slow_factor)
    }

    /// Resolves when the room's time changes (a hold's deadline depends on it).
    pub async fn changed(&mut self) {
        if self.clock.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One simulated session's place in its room.
pub struct Session {
    pub id: ClientId,
    pub room: String,
    pub zk: Arc<ZkSettings>,
    pub events: EventSink,
    pub cmds: mpsc::Receiver<SessionCmd>,
    /// The relay its connection goes through, once open.
    proxy: Option<SessionProxy>,
    /// What the relay does; shared with the timer that ends a pause.
    link: Arc<watch::Sender<Link>>,
    clock: watch::Receiver<Clock>,
    /// A Release that came while the client was busy (at the gate, in a call): acted on when
    /// it next rests.
    release_asked: bool,
}

impl Session {
    pub fn new(
        id: ClientId,
        room: String,
        zk: Arc<ZkSettings>,
        events: EventSink,
        cmds: mpsc::Receiver<SessionCmd>,
        clock: watch::Receiver<Clock>,
    ) -> Self {
        Session {
            id,
            room,
            zk,
            events,
            cmds,
            proxy: None,
            link: Arc::new(watch::channel(Link::Open).0),
            clock,
            release_asked: false,
        }
    }

    /// This session's way through the room's gate.
    pub fn gate(&self) -> Gate {
        Gate {
            client: self.id,
            events: self.events.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Runs `work` while obeying the room's commands: a crash must not wait for a call that
    /// ZooKeeper cannot answer now, nor for a gate no one opens. Returns why the session ends,
    /// if a command ends it first.
    pub async fn obeying<F: Future>(&mut self, work: F) -> Result<F::Output, CloseReason> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return Ok(done),
                cmd = self.cmds.recv() => {
                    if let Some(reason) = self.handle(cmd) {
                        return Err(reason);
                    }
                }
            }
        }
    }

    /// Waits at the room's gate for a move to go (crash, kill and pause act at once).
    pub async fn pass(
        &mut self,
        kind: MoveKind,
        point: SeedPoint,
        path: Option<String>,
    ) -> Result<(), CloseReason> {
        let gate = self.gate();
        self.obeying(gate.pass(kind, point, path)).await
    }

    /// Whether the process's connection is open, frozen or cut (a paused process's timers
    /// stop too).
    pub fn link(&self) -> watch::Receiver<Link> {
        self.link.subscribe()
    }

    /// Acts on a command from the room; returns why the session ends, if it does. A pause is
    /// handled here: the link freezes now and opens again by itself.
    pub fn handle(&mut self, cmd: Option<SessionCmd>) -> Option<CloseReason> {
        match cmd {
            Some(SessionCmd::Pause(pause)) => self.pause(pause),
            Some(SessionCmd::Partition(cut)) => self.partition(cut),
            Some(SessionCmd::Release) => self.release_asked = true,
            _ => {}
        }
        SessionCmd::ends(cmd)
    }

    /// Whether a Release was asked for since the last call (and forgets it).
    pub fn take_release(&mut self) -> bool {
        std::mem::take(&mut self.release_asked)
    }

    fn partition(&self, cut: Duration) {
        self.hold_link(Link::Partitioned, cut);
    }

    fn pause(&self, pause: Duration) {
        self.hold_link(Link::Frozen, pause);
    }

    /// Freezes or partitions the link for `span`, if it is open (the room refuses a second
    /// one; a kill's cut is for good), and opens it again by itself; each change is published.
    fn hold_link(&self, held: Link, span: Duration) {
        let took = self.link.send_if_modified(|l| {
            let open = *l == Link::Open;
            if open {
                *l = held;
            }
            open
        });
        if !took {
            return;
        }
        let until_ms = Some(now_ms() + span.as_millis() as u64);
        let (client, events) = (self.id, self.events.clone());
        let change = move |on: bool| match held {
            Link::Partitioned => RoomEvent::PartitionChanged {
                client,
                partitioned: on,
                until_ms: until_ms.filter(|_| on),
            },
            _ => RoomEvent::LinkChanged {
                client,
                frozen: on,
                until_ms: until_ms.filter(|_| on),
            },
        };
        self.publish(change(true));
        let link = self.link.clone();
        tokio::spawn(async move {
            tokio::time::sleep(span).await;
            // A kill meanwhile cut the link for good; only a link still held opens.
            let opened = link.send_if_modified(|l| {
                let still = *l == held;
                if still {
                    *l = Link::Open;
                }
                still
            });
            if opened {
                let _ = events.send(Report::Event(change(false)));
            }
        });
    }

    /// Follows the client's session state and the member its connection goes to.
    pub fn watch(&self, client: &Client) -> SessionWatch {
        let mut watch = SessionWatch {
            status: SessionStatus::Connected,
            client: self.id,
            events: self.events.clone(),
            state: client.state_watcher(),
            member: self
                .proxy
                .as_ref()
                .map(SessionProxy::member)
                .unwrap_or_else(|| watch::channel(None).1),
            link: self.link.subscribe(),
        };
        watch.report(SessionStatus::Connected);
        watch
    }

    pub fn publish(&self, event: RoomEvent) {
        // The room outlives its sessions; a send fails only while the server stops.
        let _ = self.events.send(Report::Event(event));
    }

    /// Connects to the room's chroot through its own relay. A crash while connecting, or a
    /// failure, ends it.
    pub async fn open(&mut self) -> Result<Client, CloseReason> {
        let members = self.zk.connect.split(',').map(str::to_string).collect();
        let proxy = match SessionProxy::start(members, self.link.subscribe()).await {
            Ok(proxy) => proxy,
            Err(e) => {
                self.publish(RoomEvent::ClientError {
                    client: self.id,
                    message: format!("no relay for the session: {e}"),
                });
                return Err(CloseReason::Failed);
            }
        };
        let via = proxy.connect_string();
        self.proxy = Some(proxy);
        // No member serving (no quorum) is a wait, not a failure: the client keeps trying, as a
        // real one would, until the ensemble serves again or the user gives up on it.
        let zk = self.zk.clone();
        let room = self.room.clone();
        let id = self.id;
        let connect = async move {
            let client = loop {
                match zk.connect_room_via(&room, &via).await {
                    // Back off a little: a refused connection fails at once.
                    Err(ZkError::Connect { .. }) => {
                        tokio::time::sleep(Duration::from_millis(250)).await
                    }
                    other => break other?,
                }
            };
            let record = super::SessionRecord {
                run: zk.run,
                client: id,
                timeout_ms: client.session_timeout().as_millis() as u64,
            };
            // Without its record the session still works; only a later run could not say
            // whose its nodes are.
            if let Err(e) = super::record_session(&client, &record).await {
                tracing::warn!(%room, client = id, "the session's record: {e}");
            }
            Ok::<_, ZkError>(client)
        };
        self.obeying(connect).await?.map_err(|e| {
            self.publish(RoomEvent::ClientError {
                client: self.id,
                message: e.to_string(),
            });
            CloseReason::Failed
        })
    }

    /// Writes to the room's protected resource (not through ZooKeeper: a holder's writes go
    /// to the service the lock protects).
    pub fn write(&self, path: String, token: i64) {
        let _ = self.events.send(Report::Write {
            client: self.id,
            path,
            token,
        });
    }

    /// Ends the session for `reason` and reports `client_closed`.
    pub async fn end(&self, client: Option<Client>, reason: CloseReason) {
        let closed = RoomEvent::ClientClosed {
            client: self.id,
            reason,
        };
        match (client, reason) {
            // A process that dies (or is told to go) holds nothing from that moment: say so
            // before the session closes, so no successor's gain is recorded before this end.
            (
                Some(client),
                CloseReason::Crashed
                | CloseReason::Shutdown
                | CloseReason::RecipeSwitched
                | CloseReason::Reset,
            ) => {
                self.publish(closed);
                super::close(client).await;
            }
            // A killed process says nothing to ZooKeeper: cut its connection first, so the
            // client's CloseSession cannot get through, and let the session expire.
            (Some(client), CloseReason::Killed) => {
                self.link.send_replace(Link::Cut);
                self.publish(closed);
                drop(client);
            }
            // An expired session is gone already (and an earlier run's is no client's).
            (Some(_), CloseReason::Expired | CloseReason::ServerDied) | (None, _) => {
                self.publish(closed)
            }
            (Some(client), CloseReason::Finished | CloseReason::Failed) => {
                super::close(client).await;
                self.publish(closed);
            }
        }
    }
}

/// A one-shot watch waiting to fire. Boxed so it survives the `select!` rounds it loses.
pub type ArmedWatch = Pin<Box<dyn Future<Output = WatchedEvent> + Send>>;

pub async fn fired(armed: &mut Option<ArmedWatch>) -> WatchedEvent {
    match armed {
        Some(watch) => watch.await,
        None => std::future::pending().await,
    }
}

pub fn watched_kind(event: &WatchedEvent) -> WatchedKind {
    match event.event_type {
        EventType::NodeCreated => WatchedKind::NodeCreated,
        EventType::NodeDeleted => WatchedKind::NodeDeleted,
        EventType::NodeDataChanged => WatchedKind::NodeDataChanged,
        EventType::NodeChildrenChanged => WatchedKind::NodeChildrenChanged,
        EventType::Session => WatchedKind::Session,
    }
}

/// Makes a call again when it failed because the connection dropped (a member went down or
/// lost its quorum): the client reconnects by itself, to the same session, and the call can go
/// again once it is connected. Gives up when the session ends.
pub async fn retrying<T, F, Fut>(client: &Client, mut call: F) -> Result<T, zookeeper_client::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, zookeeper_client::Error>>,
{
    loop {
        match call().await {
            Err(zookeeper_client::Error::ConnectionLoss) => {
                if !reconnected(client).await {
                    return Err(zookeeper_client::Error::SessionExpired);
                }
            }
            other => return other,
        }
    }
}

/// Waits until the client is connected again to the same session: false if it ended.
pub async fn reconnected(client: &Client) -> bool {
    let mut state = client.state_watcher();
    loop {
        match state.state() {
            SessionState::SyncConnected | SessionState::ConnectedReadOnly => return true,
            SessionState::Disconnected => {
                state.changed().await;
            }
            _ => return false,
        }
    }
}

/// Creates an EPHEMERAL_SEQUENTIAL node `prefix` + sequence with `data`; returns its path and
/// czxid. A create cut off by a lost connection may or may not have happened, so before trying
/// again it looks for a node of this session in the folder: a retry never makes a second one.
pub async fn create_sequential(
    client: &Client,
    prefix: &str,
    data: &[u8],
) -> Result<(String, i64), zookeeper_client::Error> {
    let options = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
    loop {
        match client.create(prefix, data, &options).await {
            Ok((stat, sequence)) => return Ok((format!("{prefix}{sequence}"), stat.czxid)),
            Err(zookeeper_client::Error::ConnectionLoss) => {
                if let Some(node) = retrying(client, || own_node(client, prefix)).await? {
                    return Ok(node);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Makes the member this client is connected to apply every write committed before this call
/// ahead of the client's next read: a create of `dir` is ordered with all writes (the room
/// made the folder, so it fails with NodeExists and changes nothing; were it missing, it is
/// made, as the room would). `sync` promises less: the leader treats its own client's sync as
/// a read (its CommitProcessor does not match syncs), answered before it has applied commits
/// its followers may already have (see ZOOKEEPER-1675).
async fn barrier(client: &Client, dir: &str) -> Result<(), zookeeper_client::Error> {
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    match client.create(dir, &[], &options).await {
        Ok(_) | Err(zookeeper_client::Error::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// This session's node under `prefix`'s folder, if it has one: `(path, czxid)`; if it has
/// several, the first in the queue, and the others are deleted.
async fn own_node(
    client: &Client,
    prefix: &str,
) -> Result<Option<(String, i64)>, zookeeper_client::Error> {
    let dir = prefix.rsplit_once('/').map_or("/", |(dir, _)| dir);
    let session = client.session_id().0;
    // The member we reconnected to may not have applied the create yet (we never saw its
    // zxid, so ZooKeeper's rule that a client never goes back in time does not cover it): a
    // barrier brings it up to date first, or a second node would be made.
    barrier(client, dir).await?;
    let mut names = client.list_children(dir).await?;
    names.sort();
    let paths: Vec<String> = names.iter().map(|n| format!("{dir}/{n}")).collect();
    let stats = futures_util::future::join_all(paths.iter().map(|p| client.check_stat(p))).await;
    let mut own = Vec::new();
    for (path, stat) in paths.into_iter().zip(stats) {
        if let Some(stat) = stat? {
            if stat.ephemeral_owner == session {
                own.push((path, stat.czxid));
            }
        }
    }
    // A second node of this session would block whoever queues behind it until the session
    // ends: keep the first, delete the rest.
    for (path, _) in own.iter().skip(1) {
        match client.delete(path, None).await {
            Ok(()) | Err(zookeeper_client::Error::NoNode) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(own.into_iter().next())
}
