//! Rooms: the sessions of one room, its `RoomView`, and the fan-out of its events to browsers.
//!
//! Each room is one actor task. Sessions report `RoomEvent`s to it; it numbers them, applies them
//! to its `RoomView` (with the same code browsers use), serialises each once and broadcasts the
//! bytes to every viewer.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Utf8Bytes;
use shared::classroom::{Member, Role, RoomKind, StudentId};
use shared::lesson::{Action, Busy, Course, LessonId, Settle};
use shared::{
    ClientId, ClientPhase, CloseReason, EnsembleView, LockRecipeKind, MoveId, PendingMove,
    RoomEvent, RoomView, ServerMsg, TimeMode, You,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinSet;

use crate::admission::{address_key, QuotaSpent, RoomQuota, RoomsHeld};
use crate::classroom::{hex, random_bytes, Classrooms, KeyCheck};
use crate::ensemble::EnsembleControl;
use crate::gate::{Gate, GateError, Press};
use crate::lesson::{Failure, LessonRun, Runner};
use crate::lesson_ensembles::{LessonEnsemble, LessonEnsembles};
use crate::zk;
use crate::zk::app_client::AppClientTask;
use crate::zk::app_server::AppServerTask;
use crate::zk::lock_client::LockClientTask;
use crate::zk::observer::Observer;
use crate::zk::session::{Clock, Session, SessionCmd};
use crate::zk::{Report, ZkSettings};

/// How long one attempt at emptying a room's folders may take.
const SWEEP_LIMIT: Duration = Duration::from_secs(20);

/// Students a room keeps (each named connection is one, and every snapshot carries them all).
pub const MAX_STUDENTS: usize = 200;

/// Joins and leaves within this long are told to viewers as one presence change (a class
/// arriving is thirty joins in a few seconds).
const PRESENCE_EVERY: Duration = Duration::from_millis(250);

/// One serialised `ServerMsg`, shared by every viewer that sends it.
pub type Frame = Utf8Bytes;

/// Settings every room shares.
#[derive(Clone, Debug)]
pub struct RoomSettings {
    pub zk: Arc<ZkSettings>,
    pub max_lock_clients: usize,
    /// AppServers a room may run at once.
    pub max_servers: usize,
    /// AppClients a room may run at once (one starts with the room).
    pub max_app_clients: usize,
    /// Rooms the server runs at once (each holds an observer session).
    pub max_rooms: usize,
    /// Rooms one address may open per hour (`--rooms-per-address`).
    pub rooms_per_address: usize,
    /// Classrooms one address may make per hour.
    pub classrooms_per_address: usize,
    /// A lesson room (`lesson-…`, one learner's) no browser watches for this long ends: a
    /// class behind one address gets its rooms back soon after its learners leave.
    pub lesson_idle_limit: Duration,
    /// Frames a viewer may fall behind before it is resynced with a snapshot.
    pub viewer_queue: usize,
    pub default_hold_ms: u64,
    /// The lessons a room can run.
    pub course: Arc<Course>,
    /// The ensemble as the probe sees it (lesson checks and Do it read it).
    pub ensemble: watch::Receiver<EnsembleView>,
    /// zkplay's own ensemble, whose members a lesson may stop and start.
    pub members: Option<EnsembleControl>,
    /// Ensembles lent to a room for a lesson that stops members; absent: such a lesson runs
    /// on the shared ensemble, for who may stop its members.
    pub lesson_ensembles: Option<LessonEnsembles>,
    /// A room no browser has watched for this long closes its sessions, deletes its nodes
    /// and ends (a lesson link makes a room each time it is opened).
    pub idle_limit: Duration,
    /// Lock clients and AppServers a student may run at once.
    pub student_clients: usize,
    /// Only classrooms run: a hello for any other room is refused.
    pub classroom_only: bool,
    /// Events a room keeps for its recording; older ones fold into where it starts.
    pub history_events: usize,
}

/// A room's recent history, for recordings: the room as it was before the oldest event kept,
/// and the frames of the events since, as they went out.
struct History {
    start: RoomView,
    frames: VecDeque<Frame>,
    limit: usize,
}

impl History {
    fn push(&mut self, frame: Frame) {
        if self.frames.len() >= self.limit.max(1) {
            if let Some(oldest) = self.frames.pop_front() {
                // The frame is the room's own serialisation of an event: it reads back.
                if let Ok(ServerMsg::Event { seq, at_ms, event }) = serde_json::from_str(&oldest) {
                    self.start.apply(seq, at_ms, &event);
                }
            }
        }
        self.frames.push_back(frame);
    }
}

/// What a recording of a room holds: where it starts, and every event frame since.
pub struct RecordingParts {
    pub start: RoomView,
    pub frames: Vec<Frame>,
}

/// Why a room refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    #[error("the room already has {1} {0}, its limit")]
    Full(&'static str, usize),
    #[error("the room is switching recipes; add clients once the queue is empty")]
    Switching,
    #[error("no client {0} in this room")]
    NoSuchClient(ClientId),
    #[error("client {0} does not hold the lock")]
    NotHolding(ClientId),
    #[error("the server already runs {0} rooms, its limit")]
    TooManyRooms(usize),
    #[error(transparent)]
    Quota(#[from] QuotaSpent),
    #[error(transparent)]
    Held(RoomsHeld),
    #[error("the room is shutting down")]
    Closed,
    #[error("{0}")]
    Gate(#[from] GateError),
    #[error("the room runs no lesson")]
    NoLesson,
    #[error("there is no lesson {0}")]
    NoSuchLesson(LessonId),
    #[error("lesson {0} stops ZooKeeper servers, and this server lends no ensembles of a room's own (--lesson-ensembles 0): every room shares its servers, and only whoever runs the server stops them")]
    SharedMembers(LessonId),
    #[error("the lesson has no step {0}")]
    NoSuchStep(usize),
    #[error("the lesson is busy: wait until it has done what it is doing")]
    LessonBusy,
    #[error("this step is decided: go on, or go back to do it again")]
    StepDecided,
    #[error("no client in the room fits what the step acts on")]
    NoTarget,
    #[error("the room is being emptied for its lesson")]
    Resetting,
    #[error("client {0} is already paused or cut off")]
    LinkBusy(ClientId),
    #[error("you already run {0} clients, a student's limit")]
    StudentLimit(usize),
    #[error("this server runs classrooms only: make one with New classroom")]
    NoSuchRoom,
    #[error("this server has no classroom {0}: the link is old, or the server was reset")]
    NoSuchClassroom(String),
    #[error("the room already has {0} students, its limit")]
    TooManyStudents(usize),
    #[error("the system's random source failed")]
    Random,
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

/// An ensemble's members to stop and start, and whether they are the room's own.
#[derive(Clone, Debug)]
pub struct Members {
    pub control: EnsembleControl,
    pub own: bool,
}

/// The ensemble a lesson's runner works on: its members, and the probe's view of it.
pub type WorldParts = (Option<EnsembleControl>, watch::Receiver<EnsembleView>);

enum RoomCmd {
    Subscribe(oneshot::Sender<Subscription>),
    /// The members of the ensemble the room runs on, if zkplay runs it.
    Members(oneshot::Sender<Option<Members>>),
    /// The room's own ensemble, if it has one.
    OwnEnsemble(oneshot::Sender<Option<WorldParts>>),
    /// The room moves onto this ensemble of its own at its next reset.
    AdoptEnsemble(LessonEnsemble, oneshot::Sender<WorldParts>),
    /// The room gives its own ensemble back at its next reset, and runs on the shared one.
    LeaveOwnEnsemble(oneshot::Sender<()>),
    Join(JoinAs, oneshot::Sender<Result<Joined, RoomError>>),
    Leave(ViewerId),
    /// A student (by their connection) picks a name; answered with who they are now.
    NameStudent(ViewerId, String, oneshot::Sender<Result<You, RoomError>>),
    OwnerOf(ClientId, oneshot::Sender<Option<StudentId>>),
    AddLockClient(
        Option<StudentId>,
        oneshot::Sender<Result<ClientId, RoomError>>,
    ),
    AddServer(
        Option<String>,
        Option<StudentId>,
        oneshot::Sender<Result<ClientId, RoomError>>,
    ),
    ResetRoom,
    Recording(oneshot::Sender<RecordingParts>),
    AddAppClient(oneshot::Sender<Result<ClientId, RoomError>>),
    SetRecipe(LockRecipeKind),
    Crash(ClientId, oneshot::Sender<Result<(), RoomError>>),
    Kill(ClientId, oneshot::Sender<Result<(), RoomError>>),
    Pause(ClientId, Duration, oneshot::Sender<Result<(), RoomError>>),
    Release(ClientId, oneshot::Sender<Result<(), RoomError>>),
    SetHold(u64),
    SetFencing(bool),
    SetTime(TimeMode, u32),
    StepNext(Option<MoveId>, oneshot::Sender<Result<(), RoomError>>),
    /// Let go the client's oldest waiting move of a class (a recorded trace's move).
    ReleaseMove(
        ClientId,
        shared::lesson::action::MoveClass,
        oneshot::Sender<Result<MoveId, RoomError>>,
    ),
    Partition(ClientId, Duration, oneshot::Sender<Result<(), RoomError>>),
    SetSuspend(bool),
    StartLesson(LessonId, bool, oneshot::Sender<Result<(), RoomError>>),
    LessonDo(oneshot::Sender<Result<(), RoomError>>),
    LessonGoto(usize, oneshot::Sender<Result<(), RoomError>>),
    LeaveLesson,
    /// From a lesson's runner (by its number): it is done, or could not do its step.
    LessonIdle(u64, Result<(), Failure>),
    /// Whether step `at` is still to be done.
    StepOpen(usize, oneshot::Sender<bool>),
    /// Whether the room's time is live.
    IsLive(oneshot::Sender<bool>),
    LessonBusy(Option<Busy>, oneshot::Sender<()>),
    /// Close every session, empty the tree, set the lesson up; answered when done.
    LessonReset(oneshot::Sender<()>),
    /// One intent of a Do it, aimed by the view; answered with what to wait for.
    LessonAct(Action, oneshot::Sender<Result<Settle, RoomError>>),
    Settle(Settle, oneshot::Sender<()>),
    /// Answered once step `at` is done (`true`) or can no longer be (`false`).
    StepDone(usize, oneshot::Sender<bool>),
    Shutdown(oneshot::Sender<()>),
}

/// A cheap handle to a running room.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    cmds: mpsc::Sender<RoomCmd>,
}

impl RoomHandle {
    async fn ask<T>(
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

    pub async fn subscribe(&self) -> Result<Subscription, RoomError> {
        self.ask(RoomCmd::Subscribe).await
    }

    /// The members of the ensemble the room runs on (its own, or the shared one).
    pub async fn members(&self) -> Result<Option<Members>, RoomError> {
        self.ask(RoomCmd::Members).await
    }

    pub(crate) async fn own_ensemble(&self) -> Result<Option<WorldParts>, RoomError> {
        self.ask(RoomCmd::OwnEnsemble).await
    }

    pub(crate) async fn adopt_ensemble(
        &self,
        lease: LessonEnsemble,
    ) -> Result<WorldParts, RoomError> {
        self.ask(|tx| RoomCmd::AdoptEnsemble(lease, tx)).await
    }

    pub(crate) async fn leave_own_ensemble(&self) -> Result<(), RoomError> {
        self.ask(RoomCmd::LeaveOwnEnsemble).await
    }

    /// Tells the room what its lesson waits for, without waiting for it to hear.
    pub(crate) fn tell_busy(&self, busy: Busy) {
        let (tx, _) = oneshot::channel();
        let _ = self.cmds.try_send(RoomCmd::LessonBusy(Some(busy), tx));
    }

    /// A new connection watches the room as `join` says.
    pub async fn join(&self, join: JoinAs) -> Result<Joined, RoomError> {
        self.ask(|tx| RoomCmd::Join(join, tx)).await?
    }

    /// The connection `viewer` has left (called from a drop, so it does not wait).
    pub fn leave(&self, viewer: ViewerId) {
        let cmds = self.cmds.clone();
        tokio::spawn(async move {
            let _ = cmds.send(RoomCmd::Leave(viewer)).await;
        });
    }

    pub async fn name_student(&self, viewer: ViewerId, name: String) -> Result<You, RoomError> {
        self.ask(|tx| RoomCmd::NameStudent(viewer, name, tx))
            .await?
    }

    /// The student who owns `client`, if one does.
    pub async fn owner_of(&self, client: ClientId) -> Result<Option<StudentId>, RoomError> {
        self.ask(|tx| RoomCmd::OwnerOf(client, tx)).await
    }

    /// Adds a lock client, owned by `owner` if a student adds it.
    pub async fn add_lock_client(&self, owner: Option<StudentId>) -> Result<ClientId, RoomError> {
        self.ask(|tx| RoomCmd::AddLockClient(owner, tx)).await?
    }

    pub async fn add_server(
        &self,
        name: Option<String>,
        owner: Option<StudentId>,
    ) -> Result<ClientId, RoomError> {
        self.ask(|tx| RoomCmd::AddServer(name, owner, tx)).await?
    }

    pub async fn reset_room(&self) -> Result<(), RoomError> {
        self.send(RoomCmd::ResetRoom).await
    }

    /// The room's history as it stands, for a recording.
    pub async fn recording(&self) -> Result<RecordingParts, RoomError> {
        self.ask(RoomCmd::Recording).await
    }

    pub async fn add_app_client(&self) -> Result<ClientId, RoomError> {
        self.ask(RoomCmd::AddAppClient).await?
    }

    pub async fn set_recipe(&self, recipe: LockRecipeKind) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetRecipe(recipe))
            .await
            .map_err(|_| RoomError::Closed)
    }

    pub async fn crash(&self, client: ClientId) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Crash(client, tx)).await?
    }

    pub async fn pause(&self, client: ClientId, pause: Duration) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Pause(client, pause, tx)).await?
    }

    pub async fn kill(&self, client: ClientId) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Kill(client, tx)).await?
    }

    pub async fn release(&self, client: ClientId) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Release(client, tx)).await?
    }

    pub async fn set_fencing(&self, on: bool) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetFencing(on))
            .await
            .map_err(|_| RoomError::Closed)
    }

    /// Sets the room's time mode and slow-motion factor (already validated).
    pub async fn set_time(&self, mode: TimeMode, slow_factor: u32) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetTime(mode, slow_factor))
            .await
            .map_err(|_| RoomError::Closed)
    }

    /// Lets one waiting move go: the oldest, or the one named.
    pub async fn step_next(&self, id: Option<MoveId>) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::StepNext(id, tx)).await?
    }

    pub async fn set_hold(&self, hold_ms: u64) -> Result<(), RoomError> {
        self.send(RoomCmd::SetHold(hold_ms)).await
    }

    async fn send(&self, cmd: RoomCmd) -> Result<(), RoomError> {
        self.cmds.send(cmd).await.map_err(|_| RoomError::Closed)
    }

    pub async fn partition(&self, client: ClientId, cut: Duration) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Partition(client, cut, tx)).await?
    }

    pub async fn set_suspend(&self, on: bool) -> Result<(), RoomError> {
        self.send(RoomCmd::SetSuspend(on)).await
    }

    /// Starts `lesson`; `stops_shared` says whether the page may stop the shared ensemble's
    /// members, which a lesson that stops members needs where the server lends none.
    pub async fn start_lesson(
        &self,
        lesson: LessonId,
        stops_shared: bool,
    ) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::StartLesson(lesson, stops_shared, tx))
            .await?
    }

    pub async fn lesson_do(&self) -> Result<(), RoomError> {
        self.ask(RoomCmd::LessonDo).await?
    }

    pub async fn lesson_goto(&self, step: usize) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::LessonGoto(step, tx)).await?
    }

    pub async fn leave_lesson(&self) -> Result<(), RoomError> {
        self.send(RoomCmd::LeaveLesson).await
    }

    pub(crate) async fn lesson_idle(
        &self,
        generation: u64,
        result: Result<(), Failure>,
    ) -> Result<(), RoomError> {
        self.send(RoomCmd::LessonIdle(generation, result)).await
    }

    pub(crate) async fn step_open(&self, at: usize) -> Result<bool, RoomError> {
        self.ask(|tx| RoomCmd::StepOpen(at, tx)).await
    }

    pub(crate) async fn is_live(&self) -> Result<bool, RoomError> {
        self.ask(RoomCmd::IsLive).await
    }

    pub(crate) async fn lesson_busy(&self, busy: Option<Busy>) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::LessonBusy(busy, tx)).await
    }

    pub(crate) async fn lesson_reset(&self) -> Result<(), RoomError> {
        self.ask(RoomCmd::LessonReset).await
    }

    /// Lets go the client's oldest waiting move of `class`, and names it.
    pub(crate) async fn release_move(
        &self,
        client: ClientId,
        class: shared::lesson::action::MoveClass,
    ) -> Result<MoveId, RoomError> {
        self.ask(|tx| RoomCmd::ReleaseMove(client, class, tx))
            .await?
    }

    pub(crate) async fn lesson_act(&self, action: Action) -> Result<Settle, RoomError> {
        self.ask(|tx| RoomCmd::LessonAct(action, tx)).await?
    }

    /// Resolves once the room has settled as `settle` says.
    pub(crate) async fn settle(&self, settle: Settle) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Settle(settle, tx)).await
    }

    pub(crate) async fn step_done(&self, at: usize) -> Result<bool, RoomError> {
        self.ask(|tx| RoomCmd::StepDone(at, tx)).await
    }
}

/// A room's actor as the server keeps it.
struct Running {
    /// The address whose page opened it, counted while it runs (none for a classroom).
    opener: Option<IpAddr>,
    handle: RoomHandle,
    task: tokio::task::JoinHandle<()>,
    /// Its sender lives in the actor: it is closed once the room has ended, nodes deleted.
    ended: watch::Receiver<()>,
}

impl Running {
    fn ended(&self) -> bool {
        self.task.is_finished() || self.ended.has_changed().is_err()
    }

    /// Ending: it takes no more commands, and is closing its sessions and deleting its nodes.
    fn ending(&self) -> bool {
        self.handle.cmds.is_closed()
    }
}

/// Every room of the server, created on first use, and the classrooms among them.
pub struct Rooms {
    settings: RoomSettings,
    classrooms: Classrooms,
    rooms: Mutex<HashMap<String, Running>>,
    /// Classrooms made per address in the last hour.
    quota: RoomQuota,
}

impl Rooms {
    pub fn new(settings: RoomSettings, classrooms: Classrooms) -> Self {
        Rooms {
            quota: RoomQuota::new(settings.classrooms_per_address),
            settings,
            classrooms,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &RoomSettings {
        &self.settings
    }

    pub fn classrooms(&self) -> &Classrooms {
        &self.classrooms
    }

    /// Whether a room of this name runs (or is still ending).
    pub fn is_running(&self, name: &str) -> bool {
        let rooms = self.rooms.lock().expect("rooms lock");
        rooms.get(name).is_some_and(|r| !r.ended())
    }

    /// The room of this name if it runs; none is started.
    pub fn running(&self, name: &str) -> Option<RoomHandle> {
        let rooms = self.rooms.lock().expect("rooms lock");
        rooms
            .get(name)
            .filter(|r| !r.ended() && !r.ending())
            .map(|r| r.handle.clone())
    }

    /// Counts a classroom made against the address that asks for it.
    pub fn spend_quota(&self, from: IpAddr) -> Result<(), QuotaSpent> {
        self.quota.spend(from, tokio::time::Instant::now())
    }

    /// Joins the room a hello from `from` names as the hello asks: a classroom's teacher (the
    /// right key), its viewer (the viewer link, or a wrong key: `wrong_key` says so), or a
    /// student; in any other room, as anyone. A room that does not run is opened for `from`,
    /// and counts among the rooms it holds while it runs, unless it is a classroom (counted when
    /// it was made).
    pub async fn join(
        &self,
        name: &str,
        key: Option<&str>,
        viewer: bool,
        token: Option<String>,
        from: IpAddr,
    ) -> Result<(RoomHandle, Joined, bool), RoomError> {
        let check = self.classrooms.check(name, key);
        if check == KeyCheck::Open && self.settings.classroom_only {
            return Err(RoomError::NoSuchRoom);
        }
        // A teacher's key for a room that is no classroom must not open it to everyone.
        if check == KeyCheck::Open && key.is_some() {
            return Err(RoomError::NoSuchClassroom(name.to_string()));
        }
        let (role, wrong_key) = match check {
            KeyCheck::Open => (Role::Open, false),
            _ if viewer => (Role::Viewer, false),
            KeyCheck::Right => (Role::Teacher, false),
            KeyCheck::Wrong => (Role::Viewer, true),
            KeyCheck::NoKey => (Role::Student, false),
        };
        let kind = match check {
            KeyCheck::Open => RoomKind::Open,
            _ => RoomKind::Classroom,
        };
        let join = JoinAs { role, token };
        // A room that began to end after it was found takes no join: the next one does.
        for _ in 0..2 {
            let opener = (kind == RoomKind::Open).then_some(from);
            let handle = self.get_or_start(name, kind, opener).await?;
            match handle.join(join.clone()).await {
                Ok(joined) => return Ok((handle, joined, wrong_key)),
                Err(RoomError::Closed) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(RoomError::Closed)
    }

    /// The room called `name` (already validated), started if it was not running, held by
    /// `opener` if one is named (at most `rooms_per_address` at once). A room that is ending is
    /// waited for: a new one must not meet the old one's deletions.
    pub async fn get_or_start(
        &self,
        name: &str,
        kind: RoomKind,
        opener: Option<IpAddr>,
    ) -> Result<RoomHandle, RoomError> {
        loop {
            let mut ended = {
                let mut rooms = self.rooms.lock().expect("rooms lock");
                match rooms.get(name) {
                    Some(r) if !r.ended() && !r.ending() => return Ok(r.handle.clone()),
                    Some(r) if !r.ended() => r.ended.clone(),
                    _ => {
                        rooms.retain(|_, r| !r.ended());
                        if rooms.len() >= self.settings.max_rooms {
                            return Err(RoomError::TooManyRooms(self.settings.max_rooms));
                        }
                        let opener = opener.map(address_key);
                        if let Some(opener) = opener {
                            let held = rooms.values().filter(|r| r.opener == Some(opener)).count();
                            if held >= self.settings.rooms_per_address {
                                return Err(RoomError::Held(RoomsHeld {
                                    limit: self.settings.rooms_per_address,
                                    lesson_idle_minutes: self.settings.lesson_idle_limit.as_secs()
                                        / 60,
                                }));
                            }
                        }
                        let mut running =
                            RoomActor::start(name.to_string(), kind, self.settings.clone());
                        running.opener = opener;
                        let handle = running.handle.clone();
                        rooms.insert(name.to_string(), running);
                        return Ok(handle);
                    }
                }
            };
            // An error: the sender has gone with the old room.
            let _ = ended.changed().await;
        }
    }

    /// Closes every session of every room and waits for them.
    pub async fn shutdown(&self) {
        let rooms: Vec<_> = self
            .rooms
            .lock()
            .expect("rooms lock")
            .drain()
            .map(|(_, r)| r)
            .collect();
        for room in rooms {
            let _ = room.handle.ask(RoomCmd::Shutdown).await;
            let _ = room.task.await;
        }
    }
}

struct RoomActor {
    settings: RoomSettings,
    view: RoomView,
    /// Every running session of the room (lock clients, servers, app clients) by id.
    sessions: HashMap<ClientId, mpsc::Sender<SessionCmd>>,
    next_client: ClientId,
    /// Servers added so far, for default names.
    next_server: u32,
    /// Set while the lock clients close for a recipe switch.
    switching_to: Option<LockRecipeKind>,
    hold_ms: watch::Sender<u64>,
    frames: broadcast::Sender<Frame>,
    events_tx: mpsc::UnboundedSender<Report>,
    tasks: JoinSet<()>,
    stop_observer: watch::Sender<bool>,
    /// The ZooKeeper the room runs on.
    world: World,
    /// Bumped at each move to another ensemble, so that the loop watches the new one.
    world_generation: u64,
    /// Where the room goes at the end of its next reset: onto its own ensemble, or (`None`)
    /// back to the shared one.
    moving_to: Option<Option<LessonEnsemble>>,
    /// The ensemble the room runs on, for its viewers.
    ensemble_out: watch::Sender<EnsembleView>,
    /// Where the sessions' moves wait; with `clock`, the room's time.
    gate: Gate,
    /// How to let each waiting move go.
    tickets: HashMap<MoveId, oneshot::Sender<()>>,
    clock: watch::Sender<Clock>,
    /// Whether holders suspend while disconnected.
    suspend: watch::Sender<bool>,
    lesson: Option<LessonRun>,
    /// Set while the room empties itself for a lesson.
    resetting: Option<Resetting>,
    /// Lesson runners waiting for the room to settle.
    waiters: Vec<Waiter>,
    /// The room's own commands, for its lesson runners (weak: the room's own handle must not
    /// keep its command channel open).
    cmds: mpsc::WeakSender<RoomCmd>,
    /// Since when no browser watches the room.
    unwatched_since: Option<tokio::time::Instant>,
    /// The connections watching the room, and who each is.
    viewers: HashMap<ViewerId, Member>,
    next_viewer: ViewerId,
    /// Students' tokens: who comes back as whom.
    tokens: HashMap<String, StudentId>,
    next_student: StudentId,
    /// When the next presence change is told, if one is due.
    presence_due: Option<tokio::time::Instant>,
    /// Dropped when the actor ends: [`Rooms`] waits on it.
    _alive: watch::Sender<()>,
    history: History,
}

/// The ZooKeeper a room runs on: the server's, which every room shares, or an ensemble of
/// its own, lent for a lesson that stops members.
struct World {
    zk: Arc<ZkSettings>,
    ensemble: watch::Receiver<EnsembleView>,
    members: Option<EnsembleControl>,
    /// The room's own ensemble: dropped, its members stop and its slot is free.
    own: Option<LessonEnsemble>,
}

impl World {
    fn shared(settings: &RoomSettings) -> World {
        World {
            zk: settings.zk.clone(),
            ensemble: settings.ensemble.clone(),
            members: settings.members.clone(),
            own: None,
        }
    }

    fn own(settings: &RoomSettings, lease: LessonEnsemble) -> World {
        World {
            zk: Arc::new(ZkSettings {
                connect: lease.connect.clone(),
                ..(*settings.zk).clone()
            }),
            ensemble: lease.view.clone(),
            members: Some(lease.control.clone()),
            own: Some(lease),
        }
    }

    /// The probe's view, saying whose the ensemble is.
    fn view(&self) -> EnsembleView {
        EnsembleView {
            own: self.own.is_some(),
            ..self.ensemble.borrow().clone()
        }
    }
}

/// A lent ensemble as a lesson's runner works on it.
fn lease_parts(lease: &LessonEnsemble) -> WorldParts {
    (Some(lease.control.clone()), lease.view.clone())
}

/// Starts the room's observer on `zk`; sending `true` on the answer stops it.
fn spawn_observer(
    tasks: &mut JoinSet<()>,
    room: String,
    zk: Arc<ZkSettings>,
    events: mpsc::UnboundedSender<Report>,
) -> watch::Sender<bool> {
    let (stop, stop_rx) = watch::channel(false);
    tasks.spawn(
        Observer {
            room,
            zk,
            events,
            stop: stop_rx,
        }
        .run(),
    );
    stop
}

/// Emptying the room: every session closes, then the folders are swept.
struct Resetting {
    reply: oneshot::Sender<()>,
    stage: ResetStage,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ResetStage {
    Closing,
    Sweeping,
    Swept,
}

enum Waiter {
    Settle(Settle, oneshot::Sender<()>),
    StepDone(usize, oneshot::Sender<bool>),
}

impl RoomActor {
    fn start(name: String, kind: RoomKind, settings: RoomSettings) -> Running {
        let (cmds_tx, cmds_rx) = mpsc::channel(256);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (alive, ended) = watch::channel(());
        let mut tasks = JoinSet::new();
        let stop_observer = spawn_observer(
            &mut tasks,
            name.clone(),
            settings.zk.clone(),
            events_tx.clone(),
        );
        let world = World::shared(&settings);
        let mut actor = RoomActor {
            suspend: watch::channel(false).0,
            ensemble_out: watch::channel(world.view()).0,
            world,
            world_generation: 0,
            moving_to: None,
            lesson: None,
            resetting: None,
            waiters: Vec::new(),
            cmds: cmds_tx.downgrade(),
            unwatched_since: None,
            viewers: HashMap::new(),
            next_viewer: 1,
            tokens: HashMap::new(),
            next_student: 1,
            presence_due: None,
            _alive: alive,
            history: History {
                start: RoomView::default(),
                frames: VecDeque::new(),
                limit: settings.history_events,
            },
            view: RoomView::new(name, settings.default_hold_ms),
            hold_ms: watch::channel(settings.default_hold_ms).0,
            frames: broadcast::channel(settings.viewer_queue.max(1)).0,
            settings,
            sessions: HashMap::new(),
            next_client: 1,
            next_server: 0,
            switching_to: None,
            events_tx,
            tasks,
            stop_observer,
            gate: Gate::default(),
            tickets: HashMap::new(),
            clock: watch::channel(Clock::default()).0,
        };
        actor.view.classroom.kind = kind;
        actor.history.start = actor.view.clone();
        // The seed runs one AppClient; a room starts with one watching its server list.
        if let Err(e) = actor.add_app_client() {
            tracing::warn!("no app client in the new room: {e}");
        }
        let task = tokio::spawn(actor.run(cmds_rx, events_rx));
        Running {
            opener: None,
            handle: RoomHandle { cmds: cmds_tx },
            task,
            ended,
        }
    }

    async fn run(
        mut self,
        mut cmds: mpsc::Receiver<RoomCmd>,
        mut events: mpsc::UnboundedReceiver<Report>,
    ) {
        let mut ensemble = self.world.ensemble.clone();
        let mut watching = self.world_generation;
        let mut idle_check =
            tokio::time::interval((self.idle_limit() / 2).max(Duration::from_millis(50)));
        loop {
            if watching != self.world_generation {
                // The room moved to another ensemble: its probe's view is the one to follow.
                (ensemble, watching) = (self.world.ensemble.clone(), self.world_generation);
                ensemble.mark_changed();
            }
            let due = self.gate.next_due();
            tokio::select! {
                // Events first: a command answered from the view must see every event before it.
                biased;
                Some(report) = events.recv() => self.report(report),
                () = sleep_until_ms(due.unwrap_or_default()), if due.is_some() => {
                    let released = self.gate.due(now_ms());
                    self.release(released);
                }
                Ok(()) = ensemble.changed() => self.ensemble_changed(),
                () = tokio::time::sleep_until(self.presence_due.unwrap_or_else(tokio::time::Instant::now)),
                    if self.presence_due.is_some() => self.publish_presence(),
                _ = idle_check.tick() => {
                    if self.idle_for_too_long() {
                        tracing::info!(room = %self.view.room, "no browser for {:?}; the room ends", self.idle_limit());
                        // New viewers wait for a new room while this one closes its sessions
                        // and deletes its nodes.
                        cmds.close();
                        self.shutdown(&mut events).await;
                        self.remove_nodes().await;
                        return;
                    }
                }
                cmd = cmds.recv() => match cmd {
                    Some(RoomCmd::Shutdown(done)) => {
                        self.shutdown(&mut events).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(cmd) => self.handle(cmd),
                    None => {
                        self.shutdown(&mut events).await;
                        return;
                    }
                },
            }
            // Reap finished client tasks so the set does not grow.
            while self.tasks.try_join_next().is_some() {}
        }
    }

    fn handle(&mut self, cmd: RoomCmd) {
        match cmd {
            RoomCmd::Subscribe(reply) => {
                let _ = reply.send(Subscription {
                    snapshot: self.snapshot(),
                    frames: self.frames.subscribe(),
                    ensemble: self.ensemble_out.subscribe(),
                });
            }
            RoomCmd::Members(reply) => {
                let members = self.world.members.clone().map(|control| Members {
                    control,
                    own: self.world.own.is_some(),
                });
                let _ = reply.send(members);
            }
            RoomCmd::OwnEnsemble(reply) => {
                // Where the room is going, if it moves at its next reset; else where it is.
                let parts = match &self.moving_to {
                    Some(to) => to.as_ref().map(lease_parts),
                    None => self.world.own.as_ref().map(lease_parts),
                };
                let _ = reply.send(parts);
            }
            RoomCmd::AdoptEnsemble(lease, reply) => {
                let parts = lease_parts(&lease);
                self.moving_to = Some(Some(lease));
                let _ = reply.send(parts);
            }
            RoomCmd::LeaveOwnEnsemble(reply) => {
                if self.world.own.is_some() || matches!(self.moving_to, Some(Some(_))) {
                    self.moving_to = Some(None);
                }
                let _ = reply.send(());
            }
            RoomCmd::Join(join, reply) => {
                let _ = reply.send(self.join(join));
            }
            RoomCmd::Leave(viewer) => {
                if self.viewers.remove(&viewer).is_some() {
                    self.presence_changed();
                }
            }
            RoomCmd::NameStudent(viewer, name, reply) => {
                let _ = reply.send(self.name_student(viewer, name));
            }
            RoomCmd::OwnerOf(client, reply) => {
                let _ = reply.send(self.view.classroom.owner_of(client));
            }
            RoomCmd::AddLockClient(owner, reply) => {
                let _ = reply.send(self.add_lock_client(owner));
            }
            RoomCmd::AddServer(name, owner, reply) => {
                let _ = reply.send(self.add_server(name, owner));
            }
            RoomCmd::ResetRoom => {
                if let Some(mut run) = self.lesson.take() {
                    run.stop_runner();
                    self.publish(RoomEvent::LessonChanged { progress: None });
                }
                // No one waits for this reset's end; the room says it with `room_reset`.
                self.start_reset(oneshot::channel().0);
            }
            RoomCmd::Recording(reply) => {
                let _ = reply.send(RecordingParts {
                    start: self.history.start.clone(),
                    frames: self.history.frames.iter().cloned().collect(),
                });
            }
            RoomCmd::AddAppClient(reply) => {
                let _ = reply.send(self.add_app_client());
            }
            RoomCmd::SetRecipe(recipe) => self.switch_recipe(recipe),
            RoomCmd::Crash(client, reply) => {
                let _ = reply.send(self.command(client, SessionCmd::Crash));
            }
            RoomCmd::Kill(client, reply) => {
                let _ = reply.send(self.command(client, SessionCmd::Kill));
            }
            RoomCmd::Pause(client, pause, reply) => {
                let _ = reply.send(self.cut_link(client, SessionCmd::Pause(pause)));
            }
            RoomCmd::Release(client, reply) => {
                let holding = self
                    .view
                    .client(client)
                    .map(|c| c.phase == ClientPhase::Holding);
                let result = match holding {
                    Some(false) => Err(RoomError::NotHolding(client)),
                    Some(true) => self.command(client, SessionCmd::Release),
                    None => Err(RoomError::NoSuchClient(client)),
                };
                let _ = reply.send(result);
            }
            RoomCmd::SetFencing(on) => self.set_fencing(on),
            RoomCmd::SetTime(mode, slow_factor) => self.set_time(mode, slow_factor),
            RoomCmd::StepNext(id, reply) => {
                let press = id.map_or(Press::Oldest, Press::Chosen);
                let result = self
                    .gate
                    .press(press)
                    .map(|released| self.release(released));
                let _ = reply.send(result.map_err(RoomError::from));
            }
            RoomCmd::ReleaseMove(client, class, reply) => {
                let waiting = self.view.time.pending.iter().find(|m| {
                    m.client == client
                        && shared::lesson::action::MoveClass::of(m.kind) == Some(class)
                });
                let result = match waiting.map(|m| m.id) {
                    None => Err(RoomError::NoTarget),
                    Some(id) => self
                        .gate
                        .press(Press::Chosen(id))
                        .map(|released| {
                            self.release(released);
                            id
                        })
                        .map_err(RoomError::from),
                };
                let _ = reply.send(result);
            }
            RoomCmd::SetHold(hold_ms) => self.set_hold(hold_ms),
            RoomCmd::Partition(client, cut, reply) => {
                let _ = reply.send(self.cut_link(client, SessionCmd::Partition(cut)));
            }
            RoomCmd::SetSuspend(on) => self.set_suspend(on),
            RoomCmd::StartLesson(id, stops_shared, reply) => {
                let _ = reply.send(self.start_lesson(id, stops_shared));
            }
            RoomCmd::LessonDo(reply) => {
                let _ = reply.send(self.lesson_do());
            }
            RoomCmd::LessonGoto(step, reply) => {
                let _ = reply.send(self.lesson_goto(step));
            }
            RoomCmd::LeaveLesson => {
                if let Some(mut run) = self.lesson.take() {
                    run.stop_runner();
                    self.publish(RoomEvent::LessonChanged { progress: None });
                }
                // The lesson's own ensemble goes with it: the room empties onto the shared one.
                if self.world.own.is_some() || matches!(self.moving_to, Some(Some(_))) {
                    self.moving_to = Some(None);
                    self.start_reset(oneshot::channel().0);
                }
            }
            RoomCmd::LessonIdle(generation, result) => {
                if let Some(run) = self
                    .lesson
                    .as_mut()
                    .filter(|r| r.is_current_runner(generation))
                {
                    if let Err(failure) = result {
                        run.fail(failure);
                    }
                    run.set_busy(None);
                    self.publish_progress();
                }
            }
            RoomCmd::StepOpen(at, reply) => {
                let open = self
                    .lesson
                    .as_ref()
                    .is_some_and(|run| run.current().is_some_and(|(now, _)| now == at));
                let _ = reply.send(open);
            }
            RoomCmd::IsLive(reply) => {
                let _ = reply.send(self.gate.mode() == TimeMode::Live);
            }
            RoomCmd::LessonBusy(busy, reply) => {
                if let Some(run) = &mut self.lesson {
                    run.set_busy(busy);
                    self.publish_progress();
                }
                let _ = reply.send(());
            }
            RoomCmd::LessonReset(reply) => self.start_reset(reply),
            RoomCmd::LessonAct(action, reply) => {
                let _ = reply.send(self.lesson_act(action));
            }
            RoomCmd::Settle(settle, reply) => {
                self.waiters.push(Waiter::Settle(settle, reply));
                self.serve_waiters();
            }
            RoomCmd::StepDone(at, reply) => {
                self.waiters.push(Waiter::StepDone(at, reply));
                self.serve_waiters();
            }
            RoomCmd::Shutdown(_) => unreachable!("handled in run"),
        }
    }

    fn set_hold(&mut self, hold_ms: u64) {
        self.hold_ms.send_replace(hold_ms);
        self.publish(RoomEvent::HoldChanged { hold_ms });
    }

    fn set_fencing(&mut self, on: bool) {
        self.publish(RoomEvent::FencingChanged { on });
    }

    /// Publishes the lesson's progress if the view does not have it yet; a step that slowed
    /// the room and is now decided gives it back to live time.
    fn publish_progress(&mut self) {
        let Some(run) = self.lesson.as_mut() else {
            return;
        };
        let progress = run.progress().clone();
        let pace_over = run.pace_over();
        if self.view.lesson.as_ref() != Some(&progress) {
            self.publish(RoomEvent::LessonChanged {
                progress: Some(progress),
            });
        }
        if pace_over && self.gate.mode() == TimeMode::Slow {
            self.set_time(TimeMode::Live, self.gate.slow_factor());
        }
    }

    /// A pause or a partition, unless the client's link is already frozen or cut.
    fn cut_link(&mut self, client: ClientId, cmd: SessionCmd) -> Result<(), RoomError> {
        let busy = self
            .view
            .sessions
            .liveness(client)
            .is_some_and(|l| l.frozen_until.is_some() || l.partitioned_until.is_some());
        if busy {
            return Err(RoomError::LinkBusy(client));
        }
        self.command(client, cmd)
    }

    fn join(&mut self, join: JoinAs) -> Result<Joined, RoomError> {
        let student = match (join.role, &join.token) {
            (Role::Student, Some(token)) => self.tokens.get(token).copied(),
            _ => None,
        };
        let member = Member {
            role: join.role,
            student,
        };
        let viewer = self.next_viewer;
        self.next_viewer += 1;
        self.viewers.insert(viewer, member);
        self.presence_changed();
        Ok(Joined {
            viewer,
            you: You {
                member,
                token: student.and(join.token),
                // The connection knows where it comes from; it says.
                stops_members: false,
            },
        })
    }

    /// A student names themselves (the first time, they get a number and a token) or renames.
    fn name_student(&mut self, viewer: ViewerId, name: String) -> Result<You, RoomError> {
        let known = self.view.classroom.students.len();
        let member = self.viewers.get_mut(&viewer).ok_or(RoomError::Closed)?;
        if member.student.is_none() && known >= MAX_STUDENTS {
            return Err(RoomError::TooManyStudents(MAX_STUDENTS));
        }
        let (student, token) = match member.student {
            Some(student) => {
                let token = self.tokens.iter().find(|(_, s)| **s == student);
                (student, token.map(|(t, _)| t.clone()))
            }
            None => {
                let token = hex(&random_bytes::<16>().map_err(|_| RoomError::Random)?);
                let student = self.next_student;
                self.next_student += 1;
                self.tokens.insert(token.clone(), student);
                member.student = Some(student);
                (student, Some(token))
            }
        };
        let member = *member;
        self.publish(RoomEvent::StudentJoined { student, name });
        self.presence_changed();
        Ok(You {
            member,
            token,
            stops_members: false,
        })
    }

    /// Someone came or went: viewers are told soon, with whatever else changes by then.
    fn presence_changed(&mut self) {
        if self.presence_due.is_none() {
            self.presence_due = Some(tokio::time::Instant::now() + PRESENCE_EVERY);
        }
    }

    fn publish_presence(&mut self) {
        self.presence_due = None;
        let watching = u32::try_from(self.viewers.len()).unwrap_or(u32::MAX);
        let here: BTreeSet<StudentId> = self.viewers.values().filter_map(|m| m.student).collect();
        let here: Vec<StudentId> = here.into_iter().collect();
        let room = &self.view.classroom;
        let known_here: Vec<StudentId> = room
            .students
            .iter()
            .filter(|s| s.here)
            .map(|s| s.id)
            .collect();
        if room.watching != watching || known_here != here {
            self.publish(RoomEvent::PresenceChanged { watching, here });
        }
    }

    /// An ended room's nodes go, its folders and its own node too, whoever made them.
    async fn remove_nodes(&self) {
        let room = &self.view.room;
        for attempt in 1..=3 {
            let removed = tokio::time::timeout(SWEEP_LIMIT, zk::remove_room(&self.world.zk, room));
            match removed.await {
                Ok(Ok(())) => return,
                Ok(Err(e)) => {
                    tracing::warn!(%room, attempt, "deleting the ended room's nodes: {e}")
                }
                Err(_) => {
                    tracing::warn!(%room, attempt, "deleting the ended room's nodes: no answer in {SWEEP_LIMIT:?}")
                }
            }
        }
    }

    /// No browser has watched the room for `idle_limit`.
    fn idle_for_too_long(&mut self) -> bool {
        if self.frames.receiver_count() > 0 {
            self.unwatched_since = None;
            return false;
        }
        let since = *self
            .unwatched_since
            .get_or_insert_with(tokio::time::Instant::now);
        since.elapsed() >= self.idle_limit()
    }

    /// How long the room lives unwatched: a learner's lesson room briefly, any other long.
    fn idle_limit(&self) -> Duration {
        if shared::is_lesson_room(&self.view.room) {
            self.settings
                .lesson_idle_limit
                .min(self.settings.idle_limit)
        } else {
            self.settings.idle_limit
        }
    }

    fn set_suspend(&mut self, on: bool) {
        self.suspend.send_replace(on);
        self.publish(RoomEvent::SuspendChanged { on });
    }

    fn ensemble_changed(&mut self) {
        self.ensemble_out.send_replace(self.world.view());
        let moved = match &mut self.lesson {
            Some(run) => run
                .recheck(&self.view, &self.world.ensemble.borrow())
                .is_some(),
            None => false,
        };
        if moved {
            self.publish_progress();
        }
        self.serve_waiters();
    }

    /// Answers the lesson runners whose wait is over.
    fn serve_waiters(&mut self) {
        if self.waiters.is_empty() {
            return;
        }
        let ensemble = self.world.ensemble.borrow();
        let waiters = std::mem::take(&mut self.waiters);
        for waiter in waiters {
            // A runner that was stopped waits no more.
            let gone = match &waiter {
                Waiter::Settle(_, reply) => reply.is_closed(),
                Waiter::StepDone(_, reply) => reply.is_closed(),
            };
            if gone {
                continue;
            }
            match waiter {
                Waiter::Settle(settle, reply) if settle.reached(&self.view, &ensemble) => {
                    let _ = reply.send(());
                }
                Waiter::StepDone(at, reply) => {
                    match self.lesson.as_ref().and_then(|run| run.step_done(at)) {
                        Some(done) => {
                            let _ = reply.send(done);
                        }
                        None => self.waiters.push(Waiter::StepDone(at, reply)),
                    }
                }
                waiter => self.waiters.push(waiter),
            }
        }
    }

    fn start_lesson(&mut self, id: LessonId, stops_shared: bool) -> Result<(), RoomError> {
        let lesson = self
            .settings
            .course
            .lesson(id)
            .cloned()
            .ok_or(RoomError::NoSuchLesson(id))?;
        let lent = self.settings.lesson_ensembles.is_some();
        if lesson.stops_members() && !lent && !stops_shared && self.settings.members.is_some() {
            return Err(RoomError::SharedMembers(id));
        }
        if let Some(mut old) = self.lesson.take() {
            old.stop_runner();
        }
        let ensemble = self.world.ensemble.borrow().clone();
        self.lesson = Some(LessonRun::new(lesson, &self.view, &ensemble));
        self.publish_progress();
        self.spawn_runner(|runner, lesson| async move { runner.go_to(&lesson, 0).await });
        Ok(())
    }

    fn lesson_do(&mut self) -> Result<(), RoomError> {
        let run = self.lesson.as_mut().ok_or(RoomError::NoLesson)?;
        let acted = run
            .current()
            .is_some_and(|(at, _)| run.progress().steps[at].acted);
        // A second press while the step is done or waited for (a double click, a key held
        // down, two teachers) does nothing: the step is under way.
        if run.busy() == Some(Busy::Doing) || (acted && run.busy().is_none()) {
            return Ok(());
        }
        if run.busy().is_some() {
            return Err(RoomError::LessonBusy);
        }
        let (at, step) = run.current().ok_or(RoomError::StepDecided)?;
        let actions = step.actions.clone();
        // The key moment at a pace a person can follow, unless the room already runs slower.
        let pace = step.pace.filter(|_| self.gate.mode() == TimeMode::Live);
        run.mark_acted();
        run.set_busy(Some(Busy::Doing));
        if let Some(shared::lesson::Pace::Slow(factor)) = pace {
            run.paced();
            self.set_time(TimeMode::Slow, factor);
        }
        self.publish_progress();
        self.spawn_runner(move |runner, _| async move { runner.run_step(at, &actions).await });
        Ok(())
    }

    fn lesson_goto(&mut self, step: usize) -> Result<(), RoomError> {
        let run = self.lesson.as_mut().ok_or(RoomError::NoLesson)?;
        if step >= run.lesson().steps.len() {
            return Err(RoomError::NoSuchStep(step));
        }
        run.stop_runner();
        run.set_busy(Some(Busy::Resetting));
        self.publish_progress();
        self.spawn_runner(move |runner, lesson| async move { runner.go_to(&lesson, step).await });
        Ok(())
    }

    /// Starts the lesson's runner on `work`; it tells the room when it is done.
    fn spawn_runner<F, Fut>(&mut self, work: F)
    where
        F: FnOnce(Runner, shared::lesson::Lesson) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), Failure>> + Send,
    {
        let (Some(run), Some(cmds)) = (self.lesson.as_mut(), self.cmds.upgrade()) else {
            return;
        };
        let runner = Runner {
            room: RoomHandle { cmds },
            members: self.world.members.clone(),
            ensemble: self.world.ensemble.clone(),
            lesson_ensembles: self.settings.lesson_ensembles.clone(),
        };
        let lesson = run.lesson().clone();
        let generation = run.next_generation();
        let task = tokio::spawn(async move {
            let result = work(runner.clone(), lesson).await;
            let _ = runner.room.lesson_idle(generation, result).await;
        });
        run.set_runner(task.abort_handle());
    }

    /// One intent of a Do it, aimed at the client the view names; what to wait for after it.
    fn lesson_act(&mut self, action: Action) -> Result<Settle, RoomError> {
        let requested_ms = self.settings.zk.session_timeout.as_millis() as u64;
        let target =
            |who: shared::lesson::Target| who.resolve(&self.view).ok_or(RoomError::NoTarget);
        // A span in percent of the timeout ZooKeeper granted the client, if it has one.
        let timeout_of = |client: ClientId| {
            self.view
                .client(client)
                .and_then(|c| c.timeout_ms)
                .unwrap_or(requested_ms)
        };
        // A server that leaves changes the AppClient's list: wait until it is gone and listed.
        let after = |who: shared::lesson::Target, id: ClientId| match who {
            shared::lesson::Target::Server(_) | shared::lesson::Target::NewestServer => {
                Settle::Listed { gone: Some(id) }
            }
            _ => Settle::Nothing,
        };
        match action {
            Action::Crash { who } => {
                let id = target(who)?;
                self.command(id, SessionCmd::Crash)?;
                Ok(after(who, id))
            }
            Action::Kill { who } => {
                let id = target(who)?;
                self.command(id, SessionCmd::Kill)?;
                Ok(after(who, id))
            }
            Action::Pause { who, span } => {
                let id = target(who)?;
                let ms = span.ms(timeout_of(id)).min(shared::MAX_PAUSE_MS);
                self.cut_link(id, SessionCmd::Pause(Duration::from_millis(ms)))?;
                Ok(Settle::Nothing)
            }
            Action::Partition { who, span } => {
                let id = target(who)?;
                let ms = span.ms(timeout_of(id)).min(shared::MAX_PAUSE_MS);
                self.cut_link(id, SessionCmd::Partition(Duration::from_millis(ms)))?;
                Ok(Settle::Nothing)
            }
            Action::Release { who } => {
                self.command(target(who)?, SessionCmd::Release)?;
                Ok(Settle::Nothing)
            }
            Action::SetRecipe { recipe } if recipe == self.view.recipe => {
                // The room runs it already: nothing closes, nothing to wait for.
                self.switch_recipe(recipe);
                Ok(Settle::Nothing)
            }
            Action::SetRecipe { recipe } => {
                self.switch_recipe(recipe);
                Ok(Settle::Recipe(recipe))
            }
            Action::SetHold { hold } => {
                self.set_hold(hold.ms(requested_ms).min(shared::MAX_HOLD_MS));
                Ok(Settle::Nothing)
            }
            Action::SetFencing { on } => {
                self.set_fencing(on);
                Ok(Settle::Nothing)
            }
            Action::SetSuspendOnDisconnect { on } => {
                self.set_suspend(on);
                Ok(Settle::Nothing)
            }
            // The runner adds clients and servers one by one, and stops and starts members,
            // itself.
            Action::AddLockClients { .. }
            | Action::AddServers { .. }
            | Action::StopMember { .. }
            | Action::StartMember { .. }
            | Action::PlayTrace { .. } => Err(RoomError::NoTarget),
        }
    }

    /// Empties the room: live time, every session closed, then the folders swept; then the
    /// lesson is set up ([`RoomActor::finish_reset`]).
    fn start_reset(&mut self, reply: oneshot::Sender<()>) {
        if let Some(reset) = &mut self.resetting {
            reset.reply = reply;
            return;
        }
        // Nothing may wait at the gate while the room empties and earlier steps are redone.
        if self.gate.mode() != TimeMode::Live {
            self.set_time(TimeMode::Live, self.gate.slow_factor());
        }
        self.switching_to = None;
        let ids: Vec<ClientId> = self.sessions.keys().copied().collect();
        for id in ids {
            self.close_session(id, CloseReason::Reset);
        }
        self.resetting = Some(Resetting {
            reply,
            stage: ResetStage::Closing,
        });
        self.advance_reset();
    }

    fn advance_reset(&mut self) {
        let Some(reset) = &mut self.resetting else {
            return;
        };
        match reset.stage {
            ResetStage::Closing if self.sessions.is_empty() => {
                reset.stage = ResetStage::Sweeping;
                let zk = self.world.zk.clone();
                let (room, events) = (self.view.room.clone(), self.events_tx.clone());
                self.tasks.spawn(async move {
                    let mut swept = Err(String::new());
                    for attempt in 1..=3 {
                        // Without a quorum a sweep would wait for ever; the room must not.
                        let sweep = tokio::time::timeout(SWEEP_LIMIT, zk::sweep_room(&zk, &room));
                        let done = match sweep.await {
                            Ok(done) => done.map_err(|e| e.to_string()),
                            Err(_) => Err(format!("no answer from ZooKeeper in {SWEEP_LIMIT:?}")),
                        };
                        match done {
                            Ok(()) => {
                                swept = Ok(());
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(%room, attempt, "sweeping the room: {e}");
                                swept = Err(e);
                            }
                        }
                    }
                    let _ = events.send(Report::Swept(swept));
                });
            }
            ResetStage::Swept
                if self.view.locks.nodes.is_empty() && self.view.registry.nodes.is_empty() =>
            {
                if let Some(to) = self.moving_to.take() {
                    self.move_to(to);
                }
                self.finish_reset();
            }
            _ => {}
        }
    }

    /// The room, empty, runs on another ensemble from now on: its own (`Some`), or the shared
    /// one again, its own given back (its members stop).
    fn move_to(&mut self, to: Option<LessonEnsemble>) {
        let _ = self.stop_observer.send(true);
        self.world = match to {
            Some(lease) => World::own(&self.settings, lease),
            None => World::shared(&self.settings),
        };
        self.world_generation += 1;
        self.stop_observer = spawn_observer(
            &mut self.tasks,
            self.view.room.clone(),
            self.world.zk.clone(),
            self.events_tx.clone(),
        );
        self.ensemble_out.send_replace(self.world.view());
        tracing::info!(room = %self.view.room, connect = %self.world.zk.connect, "the room moves to another ensemble");
    }

    /// The room is empty: it starts afresh (client numbers from 1), with the lesson's setup.
    fn finish_reset(&mut self) {
        let Some(reset) = self.resetting.take() else {
            return;
        };
        self.publish(RoomEvent::RoomReset);
        // Client numbers go on (a pause's timer of a closed client must not reach a new one);
        // server names start again, as the seed's do.
        self.next_server = 0;
        if let Some(setup) = self.lesson.as_ref().map(|run| run.lesson().setup.clone()) {
            if self.view.recipe != setup.recipe {
                self.publish(RoomEvent::RecipeChanged {
                    recipe: setup.recipe,
                });
            }
            let hold_ms = setup
                .hold
                .ms(self.settings.zk.session_timeout.as_millis() as u64);
            if self.view.hold_ms != hold_ms {
                self.set_hold(hold_ms);
            }
            if self.view.resource.fencing != setup.fencing {
                self.set_fencing(setup.fencing);
            }
            if self.view.suspend_on_disconnect != setup.suspend_on_disconnect {
                self.set_suspend(setup.suspend_on_disconnect);
            }
            if setup.app_client {
                if let Err(e) = self.add_app_client() {
                    tracing::warn!("no app client for the lesson: {e}");
                }
            }
        } else if let Err(e) = self.add_app_client() {
            // Emptied by its teacher, the room is as new: with the seed's one AppClient.
            tracing::warn!("no app client in the emptied room: {e}");
        }
        let ensemble = self.world.ensemble.borrow().clone();
        if let Some(run) = &mut self.lesson {
            run.restart(&self.view, &ensemble);
            self.publish_progress();
        }
        let _ = reset.reply.send(());
    }

    /// A new session's place in the room: an id, a command channel, the event sink.
    fn new_session(&mut self) -> Session {
        let id = self.next_client;
        self.next_client += 1;
        let (tx, rx) = mpsc::channel(8);
        self.sessions.insert(id, tx);
        Session::new(
            id,
            self.view.room.clone(),
            self.world.zk.clone(),
            self.events_tx.clone(),
            rx,
            self.clock.subscribe(),
        )
    }

    fn set_time(&mut self, mode: TimeMode, slow_factor: u32) {
        if (mode, slow_factor) == (self.gate.mode(), self.gate.slow_factor()) {
            return;
        }
        let released = self.gate.set_mode(mode, slow_factor, now_ms());
        self.clock.send_replace(Clock { mode, slow_factor });
        // Back to live, the waiting moves go in order, and the view says so before the mode.
        self.release(released);
        self.publish(RoomEvent::TimeChanged { mode, slow_factor });
    }

    /// Lets moves go: each is published as released, then its client is told.
    fn release(&mut self, released: Vec<(MoveId, ClientId)>) {
        for (id, client) in released {
            self.publish(RoomEvent::MoveReleased { id, client });
            if let Some(go) = self.tickets.remove(&id) {
                let _ = go.send(());
            }
        }
    }

    /// Serves the presses the gate can serve now (a client came to rest, left, or froze).
    fn serve_presses(&mut self) {
        let released = self.gate.serve();
        self.release(released);
    }

    /// While the room empties itself nothing new may start in it.
    fn refuse_while_resetting(&self) -> Result<(), RoomError> {
        match self.resetting {
            Some(_) => Err(RoomError::Resetting),
            None => Ok(()),
        }
    }

    /// A student may run so many clients at once.
    fn refuse_over_student_limit(&self, owner: Option<StudentId>) -> Result<(), RoomError> {
        let limit = self.settings.student_clients;
        match owner {
            Some(student) if self.view.classroom.clients_of(student) >= limit => {
                Err(RoomError::StudentLimit(limit))
            }
            _ => Ok(()),
        }
    }

    fn add_lock_client(&mut self, owner: Option<StudentId>) -> Result<ClientId, RoomError> {
        self.refuse_while_resetting()?;
        if self.switching_to.is_some() {
            return Err(RoomError::Switching);
        }
        self.refuse_over_student_limit(owner)?;
        let limit = self.settings.max_lock_clients;
        if self.view.locks.clients.len() >= limit {
            return Err(RoomError::Full("lock clients", limit));
        }
        let session = self.new_session();
        let id = session.id;
        self.publish(RoomEvent::ClientAdded { client: id, owner });
        self.tasks.spawn(zk::session::run(LockClientTask {
            session,
            recipe: self.view.recipe,
            hold_ms: self.hold_ms.subscribe(),
            suspend: self.suspend.subscribe(),
        }));
        Ok(id)
    }

    fn add_server(
        &mut self,
        name: Option<String>,
        owner: Option<StudentId>,
    ) -> Result<ClientId, RoomError> {
        self.refuse_while_resetting()?;
        self.refuse_over_student_limit(owner)?;
        let limit = self.settings.max_servers;
        if self.view.registry.servers.len() >= limit {
            return Err(RoomError::Full("servers", limit));
        }
        let name = name.unwrap_or_else(|| format!("server{:04}", self.next_server));
        self.next_server += 1;
        let session = self.new_session();
        let id = session.id;
        self.publish(RoomEvent::ServerAdded {
            client: id,
            name: name.clone(),
            owner,
        });
        self.tasks
            .spawn(zk::session::run(AppServerTask { session, name }));
        Ok(id)
    }

    fn add_app_client(&mut self) -> Result<ClientId, RoomError> {
        self.refuse_while_resetting()?;
        let limit = self.settings.max_app_clients;
        if self.view.registry.app_clients.len() >= limit {
            return Err(RoomError::Full("app clients", limit));
        }
        let session = self.new_session();
        let id = session.id;
        self.publish(RoomEvent::AppClientAdded { client: id });
        self.tasks
            .spawn(zk::session::run(AppClientTask { session }));
        Ok(id)
    }

    /// Closes the lock clients; the new recipe takes effect once they are all gone, so the
    /// queue starts afresh.
    fn switch_recipe(&mut self, recipe: LockRecipeKind) {
        if recipe == self.view.recipe && self.switching_to.is_none() {
            return;
        }
        self.switching_to = Some(recipe);
        let lock_clients: Vec<ClientId> = self.view.locks.clients.iter().map(|c| c.id).collect();
        for id in lock_clients {
            self.close_session(id, CloseReason::RecipeSwitched);
        }
        self.finish_switch();
    }

    /// Tells a session to close, even if its command queue is full: a close must arrive.
    fn close_session(&self, client: ClientId, reason: CloseReason) {
        let Some(sender) = self.sessions.get(&client) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(cmd)) =
            sender.try_send(SessionCmd::Close(reason))
        {
            let sender = sender.clone();
            tokio::spawn(async move {
                let _ = sender.send(cmd).await;
            });
        }
    }

    fn finish_switch(&mut self) {
        if self.view.locks.clients.is_empty() {
            if let Some(recipe) = self.switching_to.take() {
                self.publish(RoomEvent::RecipeChanged { recipe });
            }
        }
    }

    fn command(&mut self, client: ClientId, cmd: SessionCmd) -> Result<(), RoomError> {
        let sender = self
            .sessions
            .get(&client)
            .ok_or(RoomError::NoSuchClient(client))?;
        // A full queue means the session already has commands to act on; one more adds nothing.
        let _ = sender.try_send(cmd);
        Ok(())
    }

    fn report(&mut self, report: Report) {
        match report {
            Report::Event(event) => self.publish(event),
            Report::Write {
                client,
                path,
                token,
            } => {
                let outcome = self.view.resource.judge(token);
                self.publish(RoomEvent::ResourceWritten {
                    client,
                    path,
                    token,
                    outcome,
                });
            }
            Report::Move {
                client,
                kind,
                point,
                path,
                go,
            } => {
                let now = now_ms();
                let submitted = self.gate.submit(client, now);
                if submitted.go_now {
                    let _ = go.send(());
                    return;
                }
                self.tickets.insert(submitted.id, go);
                self.publish(RoomEvent::MovePending {
                    pending: PendingMove {
                        id: submitted.id,
                        client,
                        kind,
                        point,
                        path,
                        since_ms: now,
                        due_ms: submitted.due_ms,
                    },
                });
                self.serve_presses();
            }
            Report::Rest { client } => {
                self.gate.rest(client);
                self.serve_presses();
            }
            Report::Swept(Ok(())) => {
                if let Some(reset) = &mut self.resetting {
                    reset.stage = ResetStage::Swept;
                }
                self.advance_reset();
            }
            // The runner, not answered, says the step is stuck; the room is usable again.
            Report::Swept(Err(e)) => {
                tracing::warn!(room = %self.view.room, "the room could not be emptied: {e}");
                self.resetting = None;
            }
        }
    }

    fn publish(&mut self, event: RoomEvent) {
        // Two holders at once is the crash bug of the naive recipe: catch it as it happens.
        let violation = match &event {
            RoomEvent::LockGained { client, path } => self
                .view
                .holders()
                .find(|h| h.id != *client)
                .map(|h| RoomEvent::Violation {
                    first: h.id,
                    first_path: h.path.clone().unwrap_or_default(),
                    second: *client,
                    second_path: path.clone(),
                }),
            _ => None,
        };
        let closed = match &event {
            RoomEvent::ClientClosed { client, .. } => Some(*client),
            _ => None,
        };
        let link = match &event {
            RoomEvent::LinkChanged { client, frozen, .. } => Some((*client, *frozen)),
            _ => None,
        };
        let seq = self.view.seq + 1;
        let at_ms = now_ms();
        self.view.apply(seq, at_ms, &event);
        let moved = match &mut self.lesson {
            // Borrowed, not cloned: this runs for every event of a lesson's room.
            Some(run) => run
                .observe(
                    seq,
                    at_ms,
                    &event,
                    &self.view,
                    &self.world.ensemble.borrow(),
                )
                .is_some(),
            None => false,
        };
        let frame = encode(&ServerMsg::Event { seq, at_ms, event });
        self.history.push(frame.clone());
        // No viewers is fine: the view keeps the state for the next one.
        let _ = self.frames.send(frame);
        if let Some(violation) = violation {
            self.publish(violation);
        }
        // After the violation, which may have moved the lesson further: the latest progress.
        if moved {
            self.publish_progress();
        }
        if let Some(client) = closed {
            self.sessions.remove(&client);
            for id in self.gate.drop_client(client) {
                self.tickets.remove(&id);
            }
            self.finish_switch();
            self.serve_presses();
        }
        if let Some((client, frozen)) = link {
            self.gate.set_frozen(client, frozen);
            self.serve_presses();
        }
        self.serve_waiters();
        self.advance_reset();
    }

    fn snapshot(&self) -> Frame {
        encode(&ServerMsg::Snapshot {
            view: Box::new(self.view.clone()),
        })
    }

    async fn shutdown(&mut self, events: &mut mpsc::UnboundedReceiver<Report>) {
        if let Some(run) = &mut self.lesson {
            run.stop_runner();
        }
        self.waiters.clear();
        self.resetting = None;
        // Waiting moves go (their sessions are closing): nothing waits for a gate no one opens.
        self.tickets.clear();
        for sender in self.sessions.values() {
            let _ = sender.try_send(SessionCmd::Close(CloseReason::Shutdown));
        }
        let _ = self.stop_observer.send(true);
        let drained = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Err(e) = joined {
                    tracing::warn!("room task failed: {e}");
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), drained)
            .await
            .is_err()
        {
            tracing::warn!(room = %self.view.room, "sessions still closing after 10 s; aborting them");
            self.tasks.abort_all();
        }
        while let Ok(report) = events.try_recv() {
            self.report(report);
        }
    }
}

/// Serialises a message for the wire. The protocol types hold only strings and numbers, so
/// this cannot fail.
pub fn encode(msg: &ServerMsg) -> Frame {
    Utf8Bytes::from(serde_json::to_string(msg).expect("protocol types always serialise"))
}

/// Sleeps until `ms` on the server's clock (ms since the epoch).
async fn sleep_until_ms(ms: u64) {
    let wait = ms.saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

/// The server's clock: ms since the epoch, as events are stamped.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_history_folds_its_oldest_events_into_where_it_starts() {
        let mut room = RoomView::new("r", 0);
        let mut history = History {
            start: room.clone(),
            frames: VecDeque::new(),
            limit: 3,
        };
        for seq in 1..=5 {
            let event = RoomEvent::HoldChanged { hold_ms: seq * 10 };
            room.apply(seq, 100 + seq, &event);
            history.push(encode(&ServerMsg::Event {
                seq,
                at_ms: 100 + seq,
                event,
            }));
        }
        assert_eq!(history.frames.len(), 3);
        // It starts after event 2, and its events are 3, 4 and 5: together, the room.
        assert_eq!(history.start.seq, 2);
        assert_eq!(history.start.hold_ms, 20);
        let mut replayed = history.start.clone();
        for frame in &history.frames {
            let Ok(ServerMsg::Event { seq, at_ms, event }) = serde_json::from_str(frame) else {
                panic!("{frame}");
            };
            replayed.apply(seq, at_ms, &event);
        }
        assert_eq!(replayed, room);
    }
}
