//! Messages on the `/ws` WebSocket, one JSON object per text frame, tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::view::{RoomView, Znode};

/// Bumped on any change to the wire format; the hello exchange rejects a mismatch.
pub const PROTOCOL_VERSION: u32 = 1;

/// A simulated lock client, numbered per room from 1 in the order it was added.
pub type ClientId = u32;

/// Browser to server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Must be the first message: names the protocol version and the room to join.
    Hello { protocol: u32, room: String },
    /// Start a new lock client (its own ZooKeeper session) in the room.
    AddLockClient,
    /// Close a client's session now, as a process that exits would.
    Crash { client: ClientId },
    /// Ask a holder to finish: delete its lock node.
    Release { client: ClientId },
    /// How long a holder keeps the lock; 0 = until released.
    SetHoldMs { hold_ms: u64 },
    /// Ask for a fresh snapshot.
    Resync,
}

/// Server to browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to a good hello; a snapshot follows.
    Welcome {
        protocol: u32,
        room: String,
        server: ServerInfo,
    },
    /// The whole room as it is now; replaces whatever the browser had.
    Snapshot { view: RoomView },
    /// One thing that happened, numbered per room (`seq` follows the snapshot's `seq`).
    Event {
        seq: u64,
        at_ms: u64,
        event: RoomEvent,
    },
    /// A request could not be served; the connection stays open.
    Error { code: ErrorCode, message: String },
}

/// What the server tells a browser about itself in the welcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The ZooKeeper connect string the sessions use.
    pub zookeeper: String,
    pub session_timeout_ms: u64,
    pub max_lock_clients: usize,
    pub max_message_bytes: usize,
}

/// The ZooKeeper call that set a watch, named as in the seed's Java code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchCall {
    GetData,
    Exists,
    GetChildren,
}

/// The kind of a delivered watch notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchedKind {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
    /// The session ended (expired or closed) while the watch was armed.
    Session,
}

/// Why a lock client left the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// It held the lock, released it and closed its session.
    Finished,
    /// A user crashed it: the session was closed at once.
    Crashed,
    /// ZooKeeper expired its session.
    Expired,
    /// A ZooKeeper call failed; the message is in a preceding `client_error`.
    Failed,
    /// The server is shutting down.
    Shutdown,
}

/// Everything that happens in a room, in the order the room saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomEvent {
    /// A lock client was started; it is connecting to ZooKeeper.
    ClientAdded { client: ClientId },
    /// Its session is established.
    ClientConnected { client: ClientId, session: String },
    /// It created its EPHEMERAL_SEQUENTIAL node (the seed's `thisPath`).
    NodeCreatedByClient { client: ClientId, path: String },
    /// It listed `/locks` (sorted, as the seed sorts them).
    ChildrenListed {
        client: ClientId,
        children: Vec<String>,
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
    /// The room's observer saw a node appear under `/locks` (any ZooKeeper client's).
    ZnodeAdded { node: Znode },
    /// The room's observer saw a node leave `/locks`.
    ZnodeRemoved { path: String },
    /// The hold time for lock holders changed.
    HoldChanged { hold_ms: u64 },
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
    /// The frame is longer than `max_message_bytes`.
    TooLarge,
    /// Too many messages per second from this connection.
    RateLimited,
    /// Something other than a hello came first, or a second hello came.
    HelloExpected,
    /// The hello named another protocol version.
    ProtocolMismatch,
    /// The room name is not 1-32 of `a-z`, `0-9`, `-`.
    BadRoom,
    /// The room already has `max_lock_clients` clients.
    RoomFull,
    /// The server already runs `--max-rooms` rooms.
    TooManyRooms,
    /// No client with that id is in the room.
    NoSuchClient,
    /// The request is valid but the client is not in a state to do it.
    InvalidState,
}
