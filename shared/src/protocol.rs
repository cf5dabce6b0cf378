//! Messages on the `/ws` WebSocket, one JSON object per text frame, tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::classroom::{Member, Need};
use crate::ensemble::EnsembleView;
use crate::event::RoomEvent;
use crate::kinds::{ClientId, ErrorCode, LockRecipeKind};
use crate::progress::LessonId;
use crate::time::{MoveId, TimeMode};
use crate::view::RoomView;

mod wire;

/// Bumped on any change to the wire format; the hello exchange rejects a mismatch.
pub const PROTOCOL_VERSION: u32 = 11;

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
    /// Model-check a recipe (Rhai source): the room publishes the verdict
    /// (`recipe_checked`); `busy` while the server or this address runs as many as it may.
    CheckRecipe { source: String },
    /// Run a recipe (Rhai source) on the room's lock clients: it becomes the room's own
    /// (`script_loaded`) and the room switches to it (`recipe_changed` to `script`); a recipe
    /// that does not compile is refused (`bad_recipe`).
    RunRecipe { source: String },
    /// Play the room's last verdict's failure on the real ensemble: the checked recipe becomes
    /// the room's own, and its moves are let go one by one in step mode, as lesson 2's last
    /// step does.
    PlayFailure,
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
    /// In a fleet, this server's URL: the room the hello named runs here (a browser that
    /// reached another server of the fleet was forwarded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_on: Option<String>,
}

impl Need {
    /// What `msg` needs.
    pub fn of(msg: &ClientMsg) -> Need {
        match msg {
            ClientMsg::Hello { .. } | ClientMsg::Resync => Need::Nothing,
            ClientMsg::SetName { .. } => Need::BeStudent,
            ClientMsg::AddLockClient | ClientMsg::AddServer { .. } => Need::AddOwn,
            ClientMsg::Crash { client }
            | ClientMsg::Kill { client }
            | ClientMsg::Pause { client, .. }
            | ClientMsg::Partition { client, .. }
            | ClientMsg::Release { client } => Need::OwnClient(*client),
            ClientMsg::AddAppClient
            | ClientMsg::SetHoldMs { .. }
            | ClientMsg::SetRecipe { .. }
            | ClientMsg::CheckRecipe { .. }
            | ClientMsg::RunRecipe { .. }
            | ClientMsg::PlayFailure
            | ClientMsg::SetFencing { .. }
            | ClientMsg::StopMember { .. }
            | ClientMsg::StartMember { .. }
            | ClientMsg::SetTime { .. }
            | ClientMsg::StepNext { .. }
            | ClientMsg::SetSuspendOnDisconnect { .. }
            | ClientMsg::StartLesson { .. }
            | ClientMsg::LessonDo
            | ClientMsg::LessonGoto { .. }
            | ClientMsg::LeaveLesson
            | ClientMsg::ResetRoom => Need::RunTheRoom,
        }
    }
}
