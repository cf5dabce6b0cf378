//! Messages on the `/ws` WebSocket, one JSON object per text frame, tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::classroom::{Member, StudentId};
use crate::lesson::{LessonId, LessonProgress};
use crate::session::SessionId;
use crate::time::{MoveId, PendingMove, TimeMode};
use crate::view::{RoomView, Znode, ZnodeRead};

mod wire;

/// Bumped on any change to the wire format; the hello exchange rejects a mismatch.
pub const PROTOCOL_VERSION: u32 = 8;

/// A simulated lock client, numbered per room from 1 in the order it was added.
pub type ClientId = u32;

/// Browser to server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Must be the first message: names the protocol version and the room to join, and in a
    /// classroom who joins. Make it with [`ClientMsg::hello`].
    Hello {
        protocol: u32,
        room: String,
        /// The classroom's teacher key, from the teacher's link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// Join only to watch (the viewer link).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        viewer: bool,
        /// The token a student was given on an earlier visit: they come back as themselves,
        /// with their name and their clients.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        student: Option<String>,
    },
    /// A student picks the display name on their clients' cards.
    SetName { name: String },
    /// Start a new lock client (its own ZooKeeper session) in the room.
    AddLockClient,
    /// Close a client's (or server's, or app client's) session now, as a process that exits.
    Crash { client: ClientId },
    /// Kill a client's process: it dies without closing its session, so its ephemeral nodes
    /// stay until ZooKeeper expires the session.
    Kill { client: ClientId },
    /// Freeze a client's connection for `ms` (a GC pause, a cut cable), then let it resume.
    Pause { client: ClientId, ms: u64 },
    /// Cut a client off from ZooKeeper for `ms` (a network partition): its connection drops
    /// and no new one gets through, while its process and its clock run on.
    Partition { client: ClientId, ms: u64 },
    /// Ask a holder to finish: delete its lock node.
    Release { client: ClientId },
    /// How long a holder keeps the lock; 0 = until released.
    SetHoldMs { hold_ms: u64 },
    /// Switch the room's lock recipe: its lock clients close and the queue starts afresh.
    SetRecipe { recipe: LockRecipeKind },
    /// Start an AppServer session that registers under `/sgroup`; `name` defaults to
    /// `server0000`, `server0001`, ...
    AddServer { name: Option<String> },
    /// Start another AppClient session that watches `/sgroup`.
    AddAppClient,
    /// Turn fencing tokens on or off for the room's protected resource.
    SetFencing { on: bool },
    /// Stop ZooKeeper member `member` (1-based) of the ensemble zkplay started.
    StopMember { member: u32 },
    /// Start it again.
    StartMember { member: u32 },
    /// Ask for a fresh snapshot.
    Resync,
    /// Set the room's time mode (and the slow-motion factor, one of `SLOW_FACTORS`).
    SetTime { mode: TimeMode, slow_factor: u32 },
    /// In step mode, let one waiting move go: the oldest, or the one named.
    StepNext {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<MoveId>,
    },
    /// Lock holders stop acting while disconnected and give the lock up when their session
    /// is lost (Apache Curator's rule for SUSPENDED and LOST), or go on as the seed's do.
    SetSuspendOnDisconnect { on: bool },
    /// Start a lesson in this room: its sessions close, its tree empties, and the lesson's
    /// first step becomes current.
    StartLesson { lesson: LessonId },
    /// Do the current step's Do it.
    LessonDo,
    /// Go to step `step` (0-based) of the lesson: the room is emptied and the steps before it
    /// are done again. Back, Restart (0) and Redo (the current step) are this.
    LessonGoto { step: usize },
    /// Leave the lesson; the room stays as it is.
    LeaveLesson,
    /// Empty the room: every session closes, every node of its folders goes, the settings stay.
    ResetRoom,
}

impl ClientMsg {
    /// A hello of this protocol for `room`, as anyone but a classroom's teacher or viewer.
    pub fn hello(room: impl Into<String>) -> ClientMsg {
        ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            room: room.into(),
            key: None,
            viewer: false,
            student: None,
        }
    }
}

/// Server to browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "wire::WireMsg")]
pub enum ServerMsg {
    /// The answer to a good hello; a snapshot follows.
    Welcome {
        protocol: u32,
        room: String,
        server: ServerInfo,
        /// Who this connection is in the room.
        you: You,
    },
    /// Who this connection is now: sent when a student has picked a name.
    You { you: You },
    /// The whole room as it is now; replaces whatever the browser had.
    Snapshot { view: Box<RoomView> },
    /// One thing that happened, numbered per room (`seq` follows the snapshot's `seq`).
    Event {
        seq: u64,
        at_ms: u64,
        event: RoomEvent,
    },
    /// A request could not be served; the connection stays open.
    Error { code: ErrorCode, message: String },
    /// The ZooKeeper ensemble as its four-letter words describe it; sent on joining and
    /// whenever it changes (about once a second at most).
    Ensemble { ensemble: EnsembleView },
}

/// The ZooKeeper ensemble, member by member.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnsembleView {
    pub members: Vec<MemberView>,
    /// True while a leader serves (a standalone server counts as its own quorum).
    pub quorum: bool,
    /// True when zkplay started the ensemble itself (and so may stop and start members).
    pub embedded: bool,
    /// True when it is the room's own, started for its lesson and stopped when the room gives
    /// it back: whoever runs the room may stop its members. Else every room shares it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own: bool,
}

/// One ZooKeeper server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// 1-based, in connect-string order.
    pub id: u32,
    pub address: String,
    pub mode: MemberMode,
    pub connections: Option<u64>,
    pub znodes: Option<u64>,
    pub watches: Option<u64>,
    pub outstanding: Option<u64>,
}

/// What a member is doing, from `mntr`'s `zk_server_state` (or `srvr`'s `Mode:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberMode {
    Leader,
    Follower,
    Standalone,
    /// Running but not serving: looking for a quorum.
    Looking,
    /// Not answering.
    Down,
}

impl MemberMode {
    /// Whether the member serves clients: it leads, follows, or stands alone.
    pub fn serves(self) -> bool {
        matches!(
            self,
            MemberMode::Leader | MemberMode::Follower | MemberMode::Standalone
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberMode::Leader => "leader",
            MemberMode::Follower => "follower",
            MemberMode::Standalone => "standalone",
            MemberMode::Looking => "looking",
            MemberMode::Down => "down",
        }
    }
}

/// Who a connection is in its room, and what lets a student come back as themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct You {
    #[serde(flatten)]
    pub member: Member,
    /// This page may stop and start the members of the ensemble every room shares: it runs on
    /// the server's own machine (`--operators`), or is a classroom's teacher on a server that
    /// lets teachers (`--teachers-stop-members`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stops_members: bool,
    /// A student's token: the page keeps it and sends it in its next hello to this room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// What the server tells a browser about itself in the welcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The ZooKeeper connect string the sessions use.
    pub zookeeper: String,
    pub session_timeout_ms: u64,
    pub max_lock_clients: usize,
    pub max_message_bytes: usize,
    /// Lock clients and AppServers a student may run at once.
    pub student_clients: usize,
    /// Where students reach this server, when it knows better than the page's own address
    /// (`--public-url`, or its network address when it listens on every interface).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// The lock recipes of the seed tutorial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LockRecipeKind {
    /// The first `DistributedClient`, with the re-check fix: watch the predecessor, re-list on
    /// every notification.
    #[default]
    #[serde(rename = "predecessor")]
    Predecessor,
    /// The same without the fix: a deleted predecessor is taken as the lock's release.
    #[serde(rename = "predecessor-naive")]
    PredecessorNaive,
    /// `DistributedClient2`: every waiter watches the children of `/locks` (the herd).
    #[serde(rename = "children-watch")]
    ChildrenWatch,
}

impl LockRecipeKind {
    pub const ALL: [LockRecipeKind; 3] = [
        LockRecipeKind::Predecessor,
        LockRecipeKind::PredecessorNaive,
        LockRecipeKind::ChildrenWatch,
    ];

    /// The name on the wire and in the UI's `<select>`.
    pub fn as_str(self) -> &'static str {
        match self {
            LockRecipeKind::Predecessor => "predecessor",
            LockRecipeKind::PredecessorNaive => "predecessor-naive",
            LockRecipeKind::ChildrenWatch => "children-watch",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Watch notifications the recipe needs to drain a queue of `n` clients that all wait:
    /// each waiter of the predecessor recipes is told once; with a children watch every
    /// deletion tells every waiter still there, (n-1) + (n-2) + ... + 1.
    pub fn predicted_notifications(self, n: u64) -> u64 {
        match self {
            LockRecipeKind::Predecessor | LockRecipeKind::PredecessorNaive => n.saturating_sub(1),
            LockRecipeKind::ChildrenWatch => n * n.saturating_sub(1) / 2,
        }
    }
}

/// The ZooKeeper call that set a watch, named as in the seed's Java code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchCall {
    GetData,
    Exists,
    GetChildren,
}

/// The kind of a delivered watch notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchedKind {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
    /// The session ended (expired or closed) while the watch was armed.
    Session,
}

/// What the protected resource did with a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    /// Its token is the highest seen (or fencing is off and it is).
    Accepted,
    /// Fencing is on and a higher token was accepted before: the stale holder is refused.
    Rejected,
    /// Fencing is off and a higher token was accepted before: the stale write landed anyway.
    Corrupted,
}

/// A session's state as its own client sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Connected,
    Disconnected,
    Expired,
    Closed,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Connected => "connected",
            SessionStatus::Disconnected => "disconnected",
            SessionStatus::Expired => "expired",
            SessionStatus::Closed => "closed",
        }
    }
}

impl WriteOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOutcome::Accepted => "accepted",
            WriteOutcome::Rejected => "rejected",
            WriteOutcome::Corrupted => "corrupted",
        }
    }
}

/// Why a lock client left the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// It held the lock, released it and closed its session.
    Finished,
    /// A user crashed it: the session was closed at once.
    Crashed,
    /// A user killed it: the process died without closing its session, which lives on in
    /// ZooKeeper until it expires.
    Killed,
    /// ZooKeeper expired its session.
    Expired,
    /// A ZooKeeper call failed; the message is in a preceding `client_error`.
    Failed,
    /// The server is shutting down.
    Shutdown,
    /// The room was emptied for a lesson's start, Back or Restart.
    Reset,
    /// It belonged to an earlier run of this server, which ended without closing its session
    /// (the process crashed or was killed): ZooKeeper keeps its nodes until the session expires.
    ServerDied,
    /// The room switched its lock recipe.
    RecipeSwitched,
}

/// Most names a `children_listed` event carries. Every viewer gets every listing, and in a
/// children-watch room every change makes every waiter list: whole listings of 1 000 names
/// (25 KB each, a million names per hand-off) held such a room at no hand-off in a minute.
pub const LISTED_NAMES_MAX: usize = 32;

/// Everything that happens in a room, in the order the room saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "wire::WireEvent")]
pub enum RoomEvent {
    /// A lock client was started (by a student, who owns it, or by who runs the room); it is
    /// connecting to ZooKeeper.
    ClientAdded {
        client: ClientId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<StudentId>,
    },
    /// An AppServer was started with this address (its node's data).
    ServerAdded {
        client: ClientId,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<StudentId>,
    },
    /// An AppClient was started.
    AppClientAdded { client: ClientId },
    /// Its session is established, with the session timeout the server negotiated.
    ClientConnected {
        client: ClientId,
        session: SessionId,
        timeout_ms: u64,
    },
    /// It created its EPHEMERAL_SEQUENTIAL node (the seed's `thisPath`, or an AppServer's
    /// `create:` line).
    NodeCreatedByClient { client: ClientId, path: String },
    /// It listed the children of `dir` (sorted, as the seed sorts them): the first
    /// [`LISTED_NAMES_MAX`] of them, and how many there were. Make it with
    /// [`RoomEvent::children_listed`].
    ChildrenListed {
        client: ClientId,
        dir: String,
        children: Vec<String>,
        total: u32,
    },
    /// It armed a one-shot watch.
    WatchSet {
        client: ClientId,
        path: String,
        call: WatchCall,
    },
    /// ZooKeeper delivered a watch notification to it.
    WatchFired {
        client: ClientId,
        path: String,
        event: WatchedKind,
    },
    /// `gain lock: <path>`
    LockGained { client: ClientId, path: String },
    /// `finished: <path>`: it deleted its node.
    LockReleased { client: ClientId, path: String },
    /// A ZooKeeper call of this client failed.
    ClientError { client: ClientId, message: String },
    /// The client's session is gone and the client left the room.
    ClientClosed {
        client: ClientId,
        reason: CloseReason,
    },
    /// The room's observer saw a node appear under `/locks` or `/sgroup` (any client's). Told
    /// as soon as ZooKeeper reports it: a watch event names only the path, so its stat and
    /// data usually follow in [`RoomEvent::ZnodeRead`].
    ZnodeAdded { node: Znode },
    /// What the observer's read of a node already added told (its stat and data).
    ZnodeRead { path: String, read: ZnodeRead },
    /// The room's observer saw a node leave `/locks` or `/sgroup`.
    ZnodeRemoved { path: String },
    /// A client's own view of its session changed: its state, or the member it is connected to.
    SessionChanged {
        client: ClientId,
        state: SessionStatus,
        member: Option<String>,
    },
    /// A lock holder wrote to the room's protected resource with its lock node's czxid as
    /// token, and the resource decided.
    ResourceWritten {
        client: ClientId,
        path: String,
        token: i64,
        outcome: WriteOutcome,
    },
    /// Fencing was turned on or off.
    FencingChanged { on: bool },
    /// A client's connection was frozen (until `until_ms`, server clock) or opened again.
    LinkChanged {
        client: ClientId,
        frozen: bool,
        until_ms: Option<u64>,
    },
    /// The hold time for lock holders changed.
    HoldChanged { hold_ms: u64 },
    /// The room's lock recipe changed (its lock clients have closed).
    RecipeChanged { recipe: LockRecipeKind },
    /// An AppClient printed `server list updated: [...]`.
    ServerListUpdated {
        client: ClientId,
        servers: Vec<String>,
    },
    /// Two clients believed they held the lock at once: `second` gained it while `first`
    /// still held it.
    Violation {
        first: ClientId,
        first_path: String,
        second: ClientId,
        second_path: String,
    },
    /// A careful holder lost its connection: it stops acting as a holder until it is back.
    LockSuspended { client: ClientId, path: String },
    /// Its connection is back with its session alive: it holds again.
    LockResumed { client: ClientId, path: String },
    /// A client was cut off from ZooKeeper (until `until_ms`, server clock), or the cut healed.
    PartitionChanged {
        client: ClientId,
        partitioned: bool,
        until_ms: Option<u64>,
    },
    /// Holders now do (or do not) suspend on Disconnected.
    SuspendChanged { on: bool },
    /// The room was emptied for a lesson: every session closed, every node gone. The view
    /// starts afresh, keeping only its settings.
    RoomReset,
    /// The room's lesson progressed (or ended: `None`).
    LessonChanged { progress: Option<LessonProgress> },
    /// The room's time mode changed. Back to live, every waiting move has been released.
    TimeChanged { mode: TimeMode, slow_factor: u32 },
    /// A client's next move waits at the room's gate.
    MovePending { pending: PendingMove },
    /// A waiting move was let go: by Next, by a click on it, by slow motion's timer, or by
    /// the room going back to live.
    MoveReleased { id: MoveId, client: ClientId },
    /// A student picked their display name (or a new one).
    StudentJoined { student: StudentId, name: String },
    /// How many have the room open, and which students are among them.
    PresenceChanged { watching: u32, here: Vec<StudentId> },
    /// The room found a session of an earlier run of this server (its record under
    /// `/sessions`), dead with that process but not yet expired, owning nodes of the room: they
    /// are drawn as crashed, counting down to the expiry ZooKeeper's leader reports.
    EarlierSession {
        /// The client it was in that run (numbers start again with each run).
        client: ClientId,
        session: SessionId,
        timeout_ms: u64,
        /// When the leader expires it (its `dump`, to the second), if it could be asked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at_ms: Option<u64>,
    },
}

impl RoomEvent {
    /// The client of this room the event is about, if one is (a violation's two are not one).
    pub fn client(&self) -> Option<ClientId> {
        use RoomEvent::*;
        match self {
            ClientAdded { client, .. }
            | ServerAdded { client, .. }
            | AppClientAdded { client }
            | ClientConnected { client, .. }
            | NodeCreatedByClient { client, .. }
            | ChildrenListed { client, .. }
            | WatchSet { client, .. }
            | WatchFired { client, .. }
            | LockGained { client, .. }
            | LockReleased { client, .. }
            | ClientError { client, .. }
            | ClientClosed { client, .. }
            | SessionChanged { client, .. }
            | ResourceWritten { client, .. }
            | LinkChanged { client, .. }
            | ServerListUpdated { client, .. }
            | LockSuspended { client, .. }
            | LockResumed { client, .. }
            | PartitionChanged { client, .. }
            | MoveReleased { client, .. } => Some(*client),
            MovePending { pending } => Some(pending.client),
            // The earlier run's id, not this room's.
            EarlierSession { .. }
            | ZnodeAdded { .. }
            | ZnodeRead { .. }
            | ZnodeRemoved { .. }
            | FencingChanged { .. }
            | HoldChanged { .. }
            | RecipeChanged { .. }
            | Violation { .. }
            | SuspendChanged { .. }
            | RoomReset
            | LessonChanged { .. }
            | TimeChanged { .. }
            | StudentJoined { .. }
            | PresenceChanged { .. } => None,
        }
    }

    /// A `children_listed` event for a sorted listing: its first [`LISTED_NAMES_MAX`] names,
    /// and the count.
    pub fn children_listed(client: ClientId, dir: &str, sorted: &[String]) -> RoomEvent {
        RoomEvent::ChildrenListed {
            client,
            dir: dir.to_string(),
            children: sorted.iter().take(LISTED_NAMES_MAX).cloned().collect(),
            total: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
        }
    }
}

/// Machine-readable reason of an `error` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not JSON, or not a text frame.
    Malformed,
    /// The `type` is not one this server knows.
    UnknownMessage,
    /// A known `type` with missing or ill-typed fields.
    InvalidMessage,
    /// The message is longer than `max_message_bytes`; the connection closes (1009).
    TooLarge,
    /// Too many messages per second from this connection.
    RateLimited,
    /// Something other than a hello came first, or a second hello came.
    HelloExpected,
    /// The hello named another protocol version.
    ProtocolMismatch,
    /// The room name is not 1-32 of `a-z`, `0-9`, `-`.
    BadRoom,
    /// The room already has as many clients (or servers, or app clients) as its limit.
    RoomFull,
    /// A server name is not 1-32 of `A-Z a-z 0-9 . : _ -`.
    BadName,
    /// The server already runs `--max-rooms` rooms.
    TooManyRooms,
    /// This address has opened `--rooms-per-address` new rooms (or classrooms) within the
    /// hour.
    TooManyNewRooms,
    /// This address already holds `--connections-per-address` connections; the connection
    /// closes (1008).
    TooManyConnections,
    /// No client with that id is in the room.
    NoSuchClient,
    /// The request is valid but the client is not in a state to do it.
    InvalidState,
    /// The ensemble is not zkplay's own (`--zk`), or has no such member.
    NoSuchMember,
    /// The sender's role may not do this (a student changing the recipe, acting on another
    /// student's client; a viewer doing anything; a wrong teacher key).
    Forbidden,
    /// The server runs classrooms only (`--classroom-only`) and this is not one of them.
    NoSuchRoom,
    /// The student already runs `student_clients` clients.
    StudentLimit,
    /// The page's origin is neither the server's own nor one it allows (`--allow-origin`):
    /// the message says which, and how to allow it; the connection closes (1008).
    ForeignOrigin,
}
