//! The zkplay wire protocol (`ClientMsg`, `ServerMsg`) and the room view both ends keep.
//!
//! This crate does no I/O and compiles for native and `wasm32-unknown-unknown`: the server
//! applies every `RoomEvent` to its `RoomView` with the same code the browser uses, so a
//! snapshot and a replay of events can never disagree.

pub mod classroom;
pub mod lesson;
mod limits;
mod protocol;
pub mod recording;
mod seed;
mod session;
mod time;
mod view;

pub use limits::{DEFAULT_PAUSE_MS, MAX_HOLD_MS, MAX_PAUSE_MS};
pub use protocol::{
    ClientId, ClientMsg, CloseReason, EnsembleView, ErrorCode, LockRecipeKind, MemberMode,
    MemberView, RoomEvent, ServerInfo, ServerMsg, SessionStatus, WatchCall, WatchedKind,
    WriteOutcome, You, LISTED_NAMES_MAX, PROTOCOL_VERSION,
};
pub use seed::{server_list_line, SeedListing, SeedPoint, SEED_APP_CLIENT_OUTPUT};
pub use session::SessionId;
pub use time::{
    slow_delay_ms, slower, MoveId, MoveKind, PendingMove, TimeMode, TimeView, DEFAULT_SLOW_FACTOR,
    SLOW_FACTORS, SLOW_MOVE_MS,
};
pub use view::{
    is_lesson_room, is_valid_room_name, is_valid_server_name, AppClientView, ClientKind,
    ClientName, ClientNames, ClientNumber, ClientPhase, Departed, Herd, HerdStats, Liveness,
    LockClientView, LockQueue, Log, LogEntry, NodeState, Registry, Resource, ResourceWrite,
    RoomView, ServerView, Sessions, Violation, ViolationCause, Watch, Znode, ZnodeRead,
    APP_LOG_CAPACITY, LESSON_ROOM_PREFIX, LOCK_DIR, LOG_CAPACITY, REGISTRY_DIR,
    RESOURCE_LOG_CAPACITY, VIOLATION_CAPACITY,
};
