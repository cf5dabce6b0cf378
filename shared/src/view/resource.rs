//! The protected resource lock holders write to; with fencing on it refuses any token lower
//! than the highest it accepted.

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::kinds::{ClientId, WriteOutcome};

/// How many writes the resource log keeps.
pub const RESOURCE_LOG_CAPACITY: usize = 50;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub fencing: bool,
    /// The highest token a write landed with.
    pub highest: Option<i64>,
    /// The latest writes, oldest first.
    pub writes: Vec<ResourceWrite>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceWrite {
    pub seq: u64,
    pub client: ClientId,
    pub path: String,
    pub token: i64,
    pub outcome: WriteOutcome,
}

impl Resource {
    /// What a write with `token` comes to now.
    pub fn judge(&self, token: i64) -> WriteOutcome {
        match self.highest {
            Some(highest) if token < highest && self.fencing => WriteOutcome::Rejected,
            Some(highest) if token < highest => WriteOutcome::Corrupted,
            _ => WriteOutcome::Accepted,
        }
    }

    pub fn apply(&mut self, seq: u64, event: &RoomEvent) {
        match event {
            RoomEvent::ResourceWritten {
                client,
                path,
                token,
                outcome,
            } => {
                if *outcome != WriteOutcome::Rejected {
                    self.highest = self.highest.max(Some(*token));
                }
                if self.writes.len() == RESOURCE_LOG_CAPACITY {
                    self.writes.remove(0);
                }
                self.writes.push(ResourceWrite {
                    seq,
                    client: *client,
                    path: path.clone(),
                    token: *token,
                    outcome: *outcome,
                });
            }
            RoomEvent::FencingChanged { on } => self.fencing = *on,
            _ => {}
        }
    }
}
