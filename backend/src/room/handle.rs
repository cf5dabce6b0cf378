//! How the rest of the server speaks to a room: its commands, and the handle that sends them.

use std::net::IpAddr;

use axum::extract::ws::Utf8Bytes;
use shared::classroom::Role;
use shared::lesson::action::MoveClass;
use shared::lesson::{Action, Busy, Settle};
use shared::{ClientId, ClientMsg, EnsembleView, MoveId, RoomView, ServerMsg, TimeMode, You};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::error::RoomError;
use crate::ensemble::EnsembleControl;
use crate::lesson::Failure;
use crate::lesson_ensembles::LessonEnsemble;

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

/// The ensemble a lesson's runner works on: its members, and the probe's view of it.
pub type WorldParts = (Option<EnsembleControl>, watch::Receiver<EnsembleView>);

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
    /// From the room's lesson runner.
    Runner(RunnerCmd),
    Shutdown(oneshot::Sender<()>),
}

/// What the lesson's runner asks of its room.
pub(super) enum RunnerCmd {
    AddLockClient(oneshot::Sender<Result<ClientId, RoomError>>),
    AddServer(oneshot::Sender<Result<ClientId, RoomError>>),
    SetTime(TimeMode, u32),
    Kill(ClientId, oneshot::Sender<Result<(), RoomError>>),
    Crash(ClientId, oneshot::Sender<Result<(), RoomError>>),
    /// Let go the client's oldest waiting move of a class (a recorded trace's move).
    ReleaseMove(
        ClientId,
        MoveClass,
        oneshot::Sender<Result<MoveId, RoomError>>,
    ),
    /// The room's own ensemble, if it has one.
    OwnEnsemble(oneshot::Sender<Option<WorldParts>>),
    /// The room moves onto this ensemble of its own at its next reset.
    AdoptEnsemble(LessonEnsemble, oneshot::Sender<WorldParts>),
    /// The room gives its own ensemble back at its next reset, and runs on the shared one.
    LeaveOwnEnsemble(oneshot::Sender<()>),
    /// The runner (by its number) is done, or could not do its step.
    Idle(u64, Result<(), Failure>),
    /// Whether step `at` is still to be done.
    StepOpen(usize, oneshot::Sender<bool>),
    /// Whether the room's time is live.
    IsLive(oneshot::Sender<bool>),
    Busy(Option<Busy>, oneshot::Sender<()>),
    /// Close every session, empty the tree, set the lesson up; answered when done.
    Reset(oneshot::Sender<()>),
    /// One intent of a Do it, aimed by the view; answered with what to wait for.
    Act(Action, oneshot::Sender<Result<Settle, RoomError>>),
    Settle(Settle, oneshot::Sender<()>),
    /// Answered once step `at` is done (`true`) or can no longer be (`false`).
    StepDone(usize, oneshot::Sender<bool>),
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

    async fn runner<T>(
        &self,
        cmd: impl FnOnce(oneshot::Sender<T>) -> RunnerCmd,
    ) -> Result<T, RoomError> {
        self.ask(|tx| RoomCmd::Runner(cmd(tx))).await
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

    /// The room's history as it stands, for a recording.
    pub async fn recording(&self) -> Result<RecordingParts, RoomError> {
        self.ask(RoomCmd::Recording).await
    }

    pub(crate) async fn add_lock_client(&self) -> Result<ClientId, RoomError> {
        self.runner(RunnerCmd::AddLockClient).await?
    }

    pub(crate) async fn add_server(&self) -> Result<ClientId, RoomError> {
        self.runner(RunnerCmd::AddServer).await?
    }

    pub(crate) async fn set_time(&self, mode: TimeMode, slow_factor: u32) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::Runner(RunnerCmd::SetTime(mode, slow_factor)))
            .await
            .map_err(|_| RoomError::Closed)
    }

    pub(crate) async fn kill(&self, client: ClientId) -> Result<(), RoomError> {
        self.runner(|tx| RunnerCmd::Kill(client, tx)).await?
    }

    pub(crate) async fn crash(&self, client: ClientId) -> Result<(), RoomError> {
        self.runner(|tx| RunnerCmd::Crash(client, tx)).await?
    }

    pub(crate) async fn own_ensemble(&self) -> Result<Option<WorldParts>, RoomError> {
        self.runner(RunnerCmd::OwnEnsemble).await
    }

    pub(crate) async fn adopt_ensemble(
        &self,
        lease: LessonEnsemble,
    ) -> Result<WorldParts, RoomError> {
        self.runner(|tx| RunnerCmd::AdoptEnsemble(lease, tx)).await
    }

    pub(crate) async fn leave_own_ensemble(&self) -> Result<(), RoomError> {
        self.runner(RunnerCmd::LeaveOwnEnsemble).await
    }

    /// Tells the room what its lesson waits for, without waiting for it to hear.
    pub(crate) fn tell_busy(&self, busy: Busy) {
        let (tx, _) = oneshot::channel();
        let _ = self
            .cmds
            .try_send(RoomCmd::Runner(RunnerCmd::Busy(Some(busy), tx)));
    }

    pub(crate) async fn lesson_idle(
        &self,
        generation: u64,
        result: Result<(), Failure>,
    ) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::Runner(RunnerCmd::Idle(generation, result)))
            .await
            .map_err(|_| RoomError::Closed)
    }

    pub(crate) async fn step_open(&self, at: usize) -> Result<bool, RoomError> {
        self.runner(|tx| RunnerCmd::StepOpen(at, tx)).await
    }

    pub(crate) async fn is_live(&self) -> Result<bool, RoomError> {
        self.runner(RunnerCmd::IsLive).await
    }

    pub(crate) async fn lesson_busy(&self, busy: Option<Busy>) -> Result<(), RoomError> {
        self.runner(|tx| RunnerCmd::Busy(busy, tx)).await
    }

    pub(crate) async fn lesson_reset(&self) -> Result<(), RoomError> {
        self.runner(RunnerCmd::Reset).await
    }

    /// Lets go the client's oldest waiting move of `class`, and names it.
    pub(crate) async fn release_move(
        &self,
        client: ClientId,
        class: MoveClass,
    ) -> Result<MoveId, RoomError> {
        self.runner(|tx| RunnerCmd::ReleaseMove(client, class, tx))
            .await?
    }

    pub(crate) async fn lesson_act(&self, action: Action) -> Result<Settle, RoomError> {
        self.runner(|tx| RunnerCmd::Act(action, tx)).await?
    }

    /// Resolves once the room has settled as `settle` says.
    pub(crate) async fn settle(&self, settle: Settle) -> Result<(), RoomError> {
        self.runner(|tx| RunnerCmd::Settle(settle, tx)).await
    }

    pub(crate) async fn step_done(&self, at: usize) -> Result<bool, RoomError> {
        self.runner(|tx| RunnerCmd::StepDone(at, tx)).await
    }
}

/// A room's actor as the server keeps it.
pub(super) struct Running {
    /// The address whose page opened it, counted while it runs (none for a classroom).
    pub(super) opener: Option<IpAddr>,
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
