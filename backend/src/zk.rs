//! The ZooKeeper layer: the only code that talks to ZooKeeper. One task per session.
//!
//! - [`lock_client`]: one simulated lock client, driving a [`crate::recipes::lock::LockRecipe`].
//! - [`app_server`] and [`app_client`]: the seed's live server list.
//! - [`observer`]: the room's own session that watches `/locks` and `/sgroup` and reports the
//!   real tree.
//! - [`room_nodes`]: the room's own writes (its folders, a sweep, its removal), fenced in a
//!   fleet.
//! - [`fleet`]: the fleet's nodes: the live server list, rooms' owner queues, the fence.
//! - [`session`]: what they share: commands, opening, and ending in a causal order.

pub mod app_client;
pub mod app_server;
pub mod fleet;
pub mod lock_client;
pub mod observer;
pub mod proxy;
pub mod room_nodes;
pub mod session;

use std::time::Duration;

use shared::{ClientId, RoomEvent};
use tokio::sync::mpsc;
use zookeeper_client::{Acls, Client, CreateMode, SessionState};

/// What a room's sessions tell the room.
#[derive(Debug)]
pub enum Report {
    /// Something happened; the room orders and publishes it.
    Event(RoomEvent),
    /// A lock holder writes to the room's protected resource, with its lock node's czxid as
    /// token; the room's resource decides.
    Write {
        client: shared::ClientId,
        path: String,
        token: i64,
    },
    /// The client's next move waits at the room's gate; `go` is sent when it may go.
    Move {
        client: shared::ClientId,
        kind: shared::MoveKind,
        point: shared::SeedPoint,
        path: Option<String>,
        go: tokio::sync::oneshot::Sender<()>,
    },
    /// The client came to rest without a new move: it waits on ZooKeeper.
    Rest { client: shared::ClientId },
    /// The room's folders were emptied ([`sweep_room`]), or could not be.
    Swept(Result<(), String>),
}

/// Where the sessions of a room report to.
pub type EventSink = mpsc::UnboundedSender<Report>;

/// How to reach ZooKeeper.
#[derive(Clone, Debug)]
pub struct ZkSettings {
    /// A connect string, `host:port,host:port`.
    pub connect: String,
    pub session_timeout: Duration,
    /// This run of the server, in the records its sessions leave (see [`SessionRecord`]).
    pub run: RunId,
    /// In a fleet, a room's own writes (its folders, sweeps, its removal) go in a `multi` with
    /// a check of its owner node: a server that lost the room cannot change it.
    pub fence: Option<fleet::Fence>,
}

impl ZkSettings {
    /// Settings for a new run of the server.
    pub fn new(connect: impl Into<String>, session_timeout: Duration) -> Self {
        ZkSettings {
            connect: connect.into(),
            session_timeout,
            run: RunId::new(),
            fence: None,
        }
    }
}

/// One run of the server: a process, from start to end. Its sessions' records carry it, so a
/// later run can tell the sessions an earlier one left behind from its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunId(pub u64);

impl RunId {
    pub fn new() -> Self {
        let mut bytes = [0u8; 8];
        // Without the system's random source, the clock still tells two runs apart.
        if getrandom::fill(&mut bytes).is_err() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            bytes = (now.as_nanos() as u64).to_le_bytes();
        }
        RunId(u64::from_le_bytes(bytes))
    }
}

impl Default for RunId {
    fn default() -> Self {
        RunId::new()
    }
}

/// Where each client session records itself: `/sessions/<session id>`, an ephemeral node of
/// that session, so it goes when the session goes. A server that dies leaves its sessions (and
/// their records) until they expire; the next run reads them to say whose nodes those are.
pub const SESSIONS_DIR: &str = "/sessions";

/// What a session's record says (its node's data, JSON).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    pub run: RunId,
    pub client: ClientId,
    pub timeout_ms: u64,
}

/// The folders of a room: the two the seed's recipes use, and the sessions' records.
pub(crate) const ROOM_DIRS: [&str; 3] = [
    crate::recipes::lock::LOCK_DIR,
    shared::REGISTRY_DIR,
    SESSIONS_DIR,
];

/// Records an open session of this run under [`SESSIONS_DIR`].
pub async fn record_session(
    client: &Client,
    record: &SessionRecord,
) -> Result<(), zookeeper_client::Error> {
    let path = format!(
        "{SESSIONS_DIR}/{}",
        shared::SessionId(client.session_id().0)
    );
    let data = serde_json::to_vec(record).expect("a record serializes");
    let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    match session::retrying(client, || client.create(&path, &data, &options)).await {
        // A create cut off by a lost connection and made again finds its own node.
        Ok(_) | Err(zookeeper_client::Error::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Errors of the ZooKeeper layer.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    #[error("ZooKeeper at {connect}: {source}")]
    Connect {
        connect: String,
        source: zookeeper_client::Error,
    },
    #[error("bad chroot {0}")]
    Chroot(String),
    #[error("ZooKeeper: {0}")]
    Call(#[from] zookeeper_client::Error),
    /// A write for a room whose owner node (this fence) is gone: another server may run it.
    #[error("refused: this server no longer owns the room ({0} is gone)")]
    Fenced(String),
}

/// The chroot of a room: its recipes see `/locks` and `/sgroup` as in the seed.
pub fn room_root(room: &str) -> String {
    format!("/zkplay/{room}")
}

impl ZkSettings {
    /// Opens a new session rooted at the room's chroot, creating the room's folders if needed
    /// (the observer and the first clients race to do so; whoever is first wins).
    pub async fn connect_room(&self, room: &str) -> Result<Client, ZkError> {
        self.connect_room_via(room, &self.connect).await
    }

    /// Opens a new session through `connect` (the ensemble, or a session's relay).
    pub async fn open(&self, connect: &str) -> Result<Client, ZkError> {
        Client::connector()
            .with_session_timeout(self.session_timeout)
            .connect(connect)
            .await
            .map_err(|source| ZkError::Connect {
                connect: connect.to_string(),
                source,
            })
    }

    /// Like [`ZkSettings::connect_room`], through another connect string (a session's relay).
    pub async fn connect_room_via(&self, room: &str, connect: &str) -> Result<Client, ZkError> {
        let root = room_root(room);
        let client = self.open(connect).await?;
        for dir in ROOM_DIRS {
            room_nodes::create_own(self, &client, &format!("{root}{dir}")).await?;
        }
        client
            .chroot(root.clone())
            .map_err(|_| ZkError::Chroot(root))
    }
}

/// Creates `path` and its missing parents as persistent nodes.
pub async fn ensure_path(client: &Client, path: &str) -> Result<(), ZkError> {
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    // A member going down while a session starts must not fail it: make the call again.
    match session::retrying(client, || client.mkdir(path, &options)).await {
        Ok(()) | Err(zookeeper_client::Error::NodeExists) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Closes a session and waits until ZooKeeper confirms, so its ephemeral nodes are gone when
/// this returns (a runtime that ends right after a drop can lose the CloseSession).
pub async fn close(client: Client) {
    let mut state = client.state_watcher();
    drop(client);
    let closed = async {
        loop {
            match state.changed().await {
                SessionState::Closed | SessionState::Expired | SessionState::AuthFailed => break,
                _ => continue,
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .is_err()
    {
        tracing::warn!("session did not confirm close within 5 s");
    }
}
