//! Everything that happens in a room, in the order the room saw it: the one stream every part
//! of the view folds, the server publishes and a recording keeps.

use serde::{Deserialize, Serialize};

use crate::classroom::StudentId;
use crate::kinds::{
    CallReply, ClientId, CloseReason, LockRecipeKind, SessionStatus, WatchCall, WatchedKind,
    WriteOutcome, ZkOp,
};
use crate::progress::LessonProgress;
use crate::recipe::Verdict;
use crate::session::SessionId;
use crate::time::{MoveId, PendingMove, TimeMode};
use crate::znode::{Znode, ZnodeRead};

pub(crate) mod wire;

/// Most names a `children_listed` event carries. Every viewer gets every listing, and in a
/// children-watch room every change makes every waiter list: whole listings of 1 000 names
/// (25 KB each, a million names per hand-off) held such a room at no hand-off in a minute.
pub const LISTED_NAMES_MAX: usize = 32;

/// Everything that happens in a room, in the order the room saw it. Its kinds, as the wire
/// names them, are `EventKind` (made from the variants, so a new event has its kind at once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "wire::WireEvent")]
#[strum_discriminants(
    name(EventKind),
    vis(pub(crate)),
    derive(Deserialize),
    serde(rename_all = "snake_case")
)]
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
    /// A simulated session sent a ZooKeeper call, once the room's gate let it go: the path as
    /// the call names it (a create's is the prefix, `/locks/sub`).
    CallSent {
        client: ClientId,
        op: ZkOp,
        path: String,
        /// The line of the room's own recipe that made the call (a learner's recipe only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    /// ZooKeeper answered the client's call: for a create, the node it made and the zxid of
    /// the write (the node's czxid). No other answer of ZooKeeper 3.8 carries a zxid a client
    /// library hands on, so none is told.
    CallAnswered {
        client: ClientId,
        op: ZkOp,
        path: String,
        reply: CallReply,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zxid: Option<i64>,
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
    /// The room's own recipe: what its lock clients run from its next switch to
    /// [`LockRecipeKind::Script`] on.
    ScriptLoaded { source: String },
    /// A recipe was checked: the model checker's verdict on exactly `source`.
    RecipeChecked {
        source: String,
        /// Boxed: the largest of the events, the others stay small.
        verdict: Box<Verdict>,
    },
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
            | CallSent { client, .. }
            | CallAnswered { client, .. }
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
            | ScriptLoaded { .. }
            | RecipeChecked { .. }
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
