//! The zkplay wire protocol (`ClientMsg`, `ServerMsg`) and the room view both ends keep.
//!
//! This crate does no I/O and compiles for native and `wasm32-unknown-unknown`: the server
//! applies every `RoomEvent` to its `RoomView` with the same code the browser uses, so a
//! snapshot and a replay of events can never disagree.
//!
//! It is built in floors; a module imports only from the floors below it:
//! 1. words: `kinds` (ids and closed sets of names), `session`, `limits`, `seed` (the
//!    tutorial's code points), `time` (moves and modes), `classroom` (roles, members),
//!    `ensemble`, `znode`, `progress` (a lesson's progress as the view carries it), `recipe` (a
//!    learner's own lock recipe: templates, limits, a check's verdict), `fleet` (the servers'
//!    own nodes in ZooKeeper);
//! 2. `event`: `RoomEvent`, everything that happens in a room;
//! 3. `view`: `RoomView` and its parts, each folding events;
//!    `diagram`: the timeline's layout and its SVG, from a view;
//! 4. `protocol`: `ClientMsg`, `ServerMsg` and who may send what;
//! 5. `recording`;
//! 6. `lesson`: the course, its checks and actions, run by the server.

pub mod classroom;
pub mod diagram;
mod ensemble;
mod event;
pub mod fleet;
mod kinds;
pub mod lesson;
mod limits;
mod progress;
mod protocol;
pub mod recipe;
pub mod recording;
mod seed;
mod session;
mod time;
mod view;
mod znode;

pub use ensemble::{EnsembleView, MemberView};
pub use event::{RoomEvent, LISTED_NAMES_MAX};
pub use kinds::{
    CallReply, ClientId, CloseReason, ErrorCode, LockRecipeKind, MemberMode, SessionStatus,
    WatchCall, WatchedKind, WriteOutcome, ZkOp,
};
pub use limits::{DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_PAUSE_MS, MAX_HOLD_MS, MAX_PAUSE_MS};
pub use protocol::{ClientMsg, ServerInfo, ServerMsg, You, PROTOCOL_VERSION};
pub use seed::{server_list_line, SeedListing, SeedPoint, SEED_APP_CLIENT_OUTPUT};
pub use session::SessionId;
pub use time::{
    slow_delay_ms, slower, MoveClass, MoveId, MoveKind, PendingMove, TimeMode, TraceMove,
    DEFAULT_SLOW_FACTOR, SLOW_FACTORS, SLOW_MOVE_MS,
};
pub use view::{
    is_lesson_room, is_valid_room_name, is_valid_server_name, AppClientView, CheckedRecipe,
    Classroom, ClientKind, ClientName, ClientNames, ClientNumber, ClientPhase, Departed, Herd,
    HerdStats, Liveness, LockClientView, LockQueue, Log, LogEntry, Registry, Resource,
    ResourceWrite, RoomView, ScriptView, ServerView, Sessions, TimeView, Violation, ViolationCause,
    Watch, APP_LOG_CAPACITY, LESSON_ROOM_PREFIX, LOG_CAPACITY, RESOURCE_LOG_CAPACITY,
    VIOLATION_CAPACITY,
};
pub use znode::{NodeState, Znode, ZnodeRead, LOCK_DIR, REGISTRY_DIR};
