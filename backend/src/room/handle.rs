//! How the rest of the server speaks to a room: its commands, and the handle that sends them.

use std::net::IpAddr;

use axum::extract::ws::Utf8Bytes;
use shared::classroom::Role;
use shared::{ClientMsg, EnsembleView, RoomView, ServerMsg, You};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::error::RoomError;

/// One serialised `ServerMsg`, shared by every viewer that sends it.
pub type Frame = Utf8Bytes;

/// Serialises a message for the wire. The protocol types hold only strings and numbers, so
/// this cannot fail.
pub fn encode(msg: &ServerMsg) -> Frame {
    Utf8Bytes::from(serde_json::to_string(msg).expect("protocol types always serialise"))
}

/// Who a connection joins a room as, before the room knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinAs {
    pub role: Role,
    /// A student's token from an earlier visit.
    pub token: Option<String>,
}

/// A connection's place in its room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined {
    pub viewer: ViewerId,
    pub you: You,
}

/// One connection watching a room, numbered per room.
pub type ViewerId = u64;

/// A viewer's start: the room as it is, and every frame after it.
pub struct Subscription {
    pub snapshot: Frame,
    pub frames: broadcast::Receiver<Frame>,
    /// The ensemble the room runs on, as its probe sees it.
    pub ensemble: watch::Receiver<EnsembleView>,
}

/// What a recording of a room holds: where it starts, and every event frame since.
pub struct RecordingParts {
    pub start: RoomView,
    pub frames: Vec<Frame>,
}

/// What a room is asked to do.
pub(super) enum RoomCmd {
    Subscribe(oneshot::Sender<Subscription>),
    Join(JoinAs, oneshot::Sender<Joined>),
    Leave(ViewerId),
    /// A browser's intent: the room checks who may, acts, and answers with who the sender is
    /// now if that changed (a student named themselves).
    Intent(
        Joined,
        ClientMsg,
        oneshot::Sender<Result<Option<You>, RoomError>>,
    ),
    Recording(oneshot::Sender<RecordingParts>),
    /// A recipe check's verdict, to publish.
    Checked(String, shared::recipe::Verdict),
    Shutdown(oneshot::Sender<()>),
    /// In a fleet, the room's owner node is gone (this server's session expired): another
    /// server may run it now. The room ends as an idle one does; its writes are fenced.
    Deposed,
}

/// A cheap handle to a running room.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    pub(super) cmds: mpsc::Sender<RoomCmd>,
}

impl RoomHandle {
    pub(super) async fn ask<T>(
        &self,
        cmd: impl FnOnce(oneshot::Sender<T>) -> RoomCmd,
    ) -> Result<T, RoomError> {
        let (tx, rx) = oneshot::channel();
        self.cmds
            .send(cmd(tx))
            .await
            .map_err(|_| RoomError::Closed)?;
        rx.await.map_err(|_| RoomError::Closed)
    }

    /// The room as it is, and every frame after it.
    pub async fn subscribe(&self) -> Result<Subscription, RoomError> {
        self.ask(RoomCmd::Subscribe).await
    }

    /// A new connection watches the room as `join` says.
    pub(crate) async fn join(&self, join: JoinAs) -> Result<Joined, RoomError> {
        self.ask(|tx| RoomCmd::Join(join, tx)).await
    }

    /// The connection `viewer` has left (called from a drop, so it does not wait).
    pub fn leave(&self, viewer: ViewerId) {
        let cmds = self.cmds.clone();
        tokio::spawn(async move {
            let _ = cmds.send(RoomCmd::Leave(viewer)).await;
        });
    }

    /// A browser's intent, from the connection `joined`: done, or why not; with who the sender
    /// is now if that changed.
    pub async fn intent(&self, joined: &Joined, msg: ClientMsg) -> Result<Option<You>, RoomError> {
        self.ask(|tx| RoomCmd::Intent(joined.clone(), msg, tx))
            .await?
    }

    /// Publishes a recipe check's verdict in the room.
    pub async fn checked(&self, source: String, verdict: shared::recipe::Verdict) {
        let _ = self.cmds.send(RoomCmd::Checked(source, verdict)).await;
    }

    /// The room is no longer this server's to run.
    pub(super) async fn deposed(&self) {
        let _ = self.cmds.send(RoomCmd::Deposed).await;
    }

    /// The room's history as it stands, for a recording.
    pub async fn recording(&self) -> Result<RecordingParts, RoomError> {
        self.ask(RoomCmd::Recording).await
    }
}

/// A room's actor as the server keeps it.
pub(super) struct Running {
    /// The address whose page opened it, counted while it runs (none for a classroom).
    pub(super) opener: Option<IpAddr>,
    /// In a fleet, its fence: the new room after it waits until this one's seat is given up.
    pub(super) fence: Option<crate::zk::fleet::Fence>,
    pub(super) handle: RoomHandle,
    pub(super) task: tokio::task::JoinHandle<()>,
    /// Its sender lives in the actor: it is closed once the room has ended, nodes deleted.
    pub(super) ended: watch::Receiver<()>,
}

impl Running {
    pub(super) fn ended(&self) -> bool {
        self.task.is_finished() || self.ended.has_changed().is_err()
    }

    /// Ending: it takes no more commands, and is closing its sessions and deleting its nodes.
    pub(super) fn ending(&self) -> bool {
        self.handle.cmds.is_closed()
    }
}
