//! The ZooKeeper ensemble as the server's probe describes it, member by member.

use serde::{Deserialize, Serialize};

use crate::kinds::MemberMode;

/// The ZooKeeper ensemble, member by member.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnsembleView {
    pub members: Vec<MemberView>,
    /// True while a leader serves (a standalone server counts as its own quorum).
    pub quorum: bool,
    /// True when zkplay started the ensemble itself (and so may stop and start members).
    pub embedded: bool,
    /// True when it is the room's own, started for its lesson and stopped when the room gives
    /// it back: whoever runs the room may stop its members. Else every room shares it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own: bool,
}

/// One ZooKeeper server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// 1-based, in connect-string order.
    pub id: u32,
    pub address: String,
    pub mode: MemberMode,
    pub connections: Option<u64>,
    pub znodes: Option<u64>,
    pub watches: Option<u64>,
    pub outstanding: Option<u64>,
}
