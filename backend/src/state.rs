//! The state every HTTP handler and WebSocket connection shares.

use crate::checks::Checks;
use std::sync::Arc;

use shared::ServerInfo;
use tokio::sync::watch;

use crate::admission::{Admission, MemberControl};
use crate::recordings::RecordingStore;
use crate::room::Rooms;
use crate::ws::message::Limits;

/// The state every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub rooms: Arc<Rooms>,
    pub limits: Arc<Limits>,
    pub admission: Arc<Admission>,
    pub info: ServerInfo,
    /// Turns true when the server stops; open WebSockets close.
    pub shutdown: watch::Receiver<bool>,
    /// Who may stop and start the shared ensemble's members.
    pub member_control: Arc<MemberControl>,
    pub recordings: Arc<RecordingStore>,
    /// The recipe checks under way, and how many may be.
    pub checks: Arc<Checks>,
}
