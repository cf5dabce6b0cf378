//! The words every floor above shares: ids and kinds, each a number or a closed set of names
//! on the wire. Nothing here knows a view, an event or a message.

use serde::{Deserialize, Serialize};

/// A simulated lock client, numbered per room from 1 in the order it was added.
pub type ClientId = u32;

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
    /// The room's own recipe, written by a learner (`RoomView::script`).
    #[serde(rename = "script")]
    Script,
}

impl LockRecipeKind {
    /// The built-in recipes, the seed's three.
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
            LockRecipeKind::Script => "script",
        }
    }

    /// A recipe by its name: a built-in one, or the room's own (`script`).
    pub fn from_name(name: &str) -> Option<Self> {
        let all = Self::ALL.into_iter().chain([LockRecipeKind::Script]);
        all.into_iter().find(|k| k.as_str() == name)
    }

    /// Watch notifications the recipe needs to drain a queue of `n` clients that all wait:
    /// each waiter of the predecessor recipes is told once; with a children watch every
    /// deletion tells every waiter still there, (n-1) + (n-2) + ... + 1. A learner's recipe's
    /// cost is what its check measured, not a formula: none here.
    pub fn predicted_notifications(self, n: u64) -> Option<u64> {
        match self {
            LockRecipeKind::Predecessor | LockRecipeKind::PredecessorNaive => {
                Some(n.saturating_sub(1))
            }
            LockRecipeKind::ChildrenWatch => Some(n * n.saturating_sub(1) / 2),
            LockRecipeKind::Script => None,
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

/// A ZooKeeper call a simulated session makes, named as the seed's Java calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ZkOp {
    #[serde(rename = "create")]
    Create,
    #[serde(rename = "getChildren")]
    GetChildren,
    #[serde(rename = "getData")]
    GetData,
    #[serde(rename = "exists")]
    Exists,
    #[serde(rename = "delete")]
    Delete,
}

impl ZkOp {
    pub const ALL: [ZkOp; 5] = [
        ZkOp::Create,
        ZkOp::GetChildren,
        ZkOp::GetData,
        ZkOp::Exists,
        ZkOp::Delete,
    ];

    /// The Java method's name (`data-op`).
    pub fn as_str(self) -> &'static str {
        match self {
            ZkOp::Create => "create",
            ZkOp::GetChildren => "getChildren",
            ZkOp::GetData => "getData",
            ZkOp::Exists => "exists",
            ZkOp::Delete => "delete",
        }
    }

    /// The call changes the tree: ZooKeeper gives it a zxid.
    pub fn is_write(self) -> bool {
        matches!(self, ZkOp::Create | ZkOp::Delete)
    }
}

/// How ZooKeeper answered a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallReply {
    Ok,
    /// The node is not there (`exists` returned null, or `KeeperException.NoNodeException`).
    NoNode,
    /// The call failed; the message is in the `client_error` that follows.
    Failed,
}

impl CallReply {
    pub fn as_str(self) -> &'static str {
        match self {
            CallReply::Ok => "ok",
            CallReply::NoNode => "no_node",
            CallReply::Failed => "failed",
        }
    }
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

impl WatchedKind {
    /// The name of Java's `EventType` (`None` for a session's own event), as recipes compare it.
    pub fn java_name(self) -> &'static str {
        match self {
            WatchedKind::NodeCreated => "NodeCreated",
            WatchedKind::NodeDeleted => "NodeDeleted",
            WatchedKind::NodeDataChanged => "NodeDataChanged",
            WatchedKind::NodeChildrenChanged => "NodeChildrenChanged",
            WatchedKind::Session => "None",
        }
    }
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
    /// The server runs as many recipe checks as it may at once (`--checks-at-once`), or this
    /// address already runs one; try again when it has finished.
    Busy,
    /// The recipe to run does not compile: the message says where and why.
    BadRecipe,
    /// In a fleet, another server runs the room: the message names it. A page connects with
    /// `/ws?room=<room>`, which any server of the fleet forwards to the room's.
    Elsewhere,
}
