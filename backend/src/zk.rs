//! The ZooKeeper layer: the only code that talks to ZooKeeper. One task per session.
//!
//! - [`lock_client`]: one simulated lock client, driving a [`crate::recipes::lock::LockRecipe`].
//! - [`app_server`] and [`app_client`]: the seed's live server list.
//! - [`observer`]: the room's own session that watches `/locks` and `/sgroup` and reports the
//!   real tree.
//! - [`session`]: what they share: commands, opening, and ending in a causal order.

pub mod app_client;
pub mod app_server;
pub mod lock_client;
pub mod observer;
pub mod proxy;
pub mod session;

use std::time::Duration;

use shared::RoomEvent;
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
    async fn open(&self, connect: &str) -> Result<Client, ZkError> {
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
        for dir in [crate::recipes::lock::LOCK_DIR, shared::REGISTRY_DIR] {
            ensure_path(&client, &format!("{root}{dir}")).await?;
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

/// Deletes every child of the room's `/locks` and `/sgroup`, whoever made it: a killed
/// client's node that would stay until its session expires, a node from another program. The
/// folders stay (the observer watches them). Waits out a lost quorum like any session.
pub async fn sweep_room(settings: &ZkSettings, room: &str) -> Result<(), ZkError> {
    let client = loop {
        match settings.connect_room(room).await {
            Ok(client) => break client,
            Err(ZkError::Connect { .. }) => tokio::time::sleep(Duration::from_millis(250)).await,
            Err(e) => return Err(e),
        }
    };
    for dir in [crate::recipes::lock::LOCK_DIR, shared::REGISTRY_DIR] {
        let names = session::retrying(&client, || client.list_children(dir)).await?;
        for name in names {
            let path = format!("{dir}/{name}");
            match session::retrying(&client, || client.delete(&path, None)).await {
                Ok(()) | Err(zookeeper_client::Error::NoNode) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    close(client).await;
    Ok(())
}

/// Deletes what an ended room leaves in ZooKeeper: every node of its folders (a killed client's,
/// another program's), the folders, and the room's own node.
pub async fn remove_room(settings: &ZkSettings, room: &str) -> Result<(), ZkError> {
    sweep_room(settings, room).await?;
    let client = settings.open(&settings.connect).await?;
    let root = room_root(room);
    let paths = [
        format!("{root}{}", crate::recipes::lock::LOCK_DIR),
        format!("{root}{}", shared::REGISTRY_DIR),
        root,
    ];
    for path in &paths {
        match session::retrying(&client, || client.delete(path, None)).await {
            Ok(()) | Err(zookeeper_client::Error::NoNode) => {}
            Err(e) => {
                close(client).await;
                return Err(e.into());
            }
        }
    }
    close(client).await;
    Ok(())
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
