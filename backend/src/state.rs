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
    /// This server's part in a fleet on one ensemble (`--zk`); none when it runs its own.
    pub fleet: Option<Arc<crate::fleet::Fleet>>,
}

impl AppState {
    /// The address a request comes from: its peer's, or the browser's when a server of the
    /// fleet forwarded it.
    pub fn client_ip(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        match &self.fleet {
            Some(fleet) => crate::fleet::trusted_client_ip(peer, headers, |ip| fleet.is_member(ip)),
            None => peer,
        }
    }
}
