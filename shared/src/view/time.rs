//! The room's time as its view keeps it: the mode, and the moves waiting at the gate.

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;
use crate::kinds::ClientId;
use crate::time::{slow_delay_ms, MoveKind, PendingMove, TimeMode, DEFAULT_SLOW_FACTOR};

/// The room's time: its mode and the moves waiting, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeView {
    pub mode: TimeMode,
    pub slow_factor: u32,
    pub pending: Vec<PendingMove>,
}

impl Default for TimeView {
    fn default() -> Self {
        TimeView {
            mode: TimeMode::Live,
            slow_factor: DEFAULT_SLOW_FACTOR,
            pending: Vec::new(),
        }
    }
}

impl TimeView {
    /// How many times longer holds last, and animations play, in this mode.
    pub fn stretch(&self) -> u32 {
        self.mode.stretch(self.slow_factor)
    }

    /// The client's waiting move, if it has one (a client waits at one move at a time).
    pub fn pending_of(&self, client: ClientId) -> Option<&PendingMove> {
        self.pending.iter().find(|m| m.client == client)
    }

    pub fn apply(&mut self, at_ms: u64, event: &RoomEvent) {
        match event {
            RoomEvent::TimeChanged { mode, slow_factor } => {
                self.mode = *mode;
                self.slow_factor = *slow_factor;
                // As the room's gate does: into slow motion, what waits is due a delay from now.
                let due = (*mode == TimeMode::Slow).then(|| at_ms + slow_delay_ms(*slow_factor));
                for pending in &mut self.pending {
                    pending.due_ms = due;
                }
            }
            RoomEvent::MovePending { pending } => self.pending.push(pending.clone()),
            RoomEvent::MoveReleased { id, .. } => self.pending.retain(|m| m.id != *id),
            // A client that is gone makes no more moves.
            RoomEvent::ClientClosed { client, .. } => self.pending.retain(|m| m.client != *client),
            RoomEvent::RoomReset => self.pending.clear(),
            _ => {}
        }
    }

    /// A notification ZooKeeper delivered that `client` has not acted on yet.
    pub fn unread(&self, client: ClientId) -> Option<&PendingMove> {
        self.pending_of(client)
            .filter(|m| m.kind == MoveKind::Notification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::SeedPoint;

    #[test]
    fn moves_wait_and_go_and_slow_motion_makes_them_due() {
        let mut time = TimeView::default();
        let pending = |id, client| PendingMove {
            id,
            client,
            kind: MoveKind::Create,
            point: SeedPoint::Create,
            path: None,
            since_ms: 0,
            due_ms: None,
        };
        time.apply(
            0,
            &RoomEvent::MovePending {
                pending: pending(1, 3),
            },
        );
        time.apply(
            0,
            &RoomEvent::MovePending {
                pending: pending(2, 4),
            },
        );
        assert_eq!(time.pending_of(4).map(|m| m.id), Some(2));
        assert!(time.unread(4).is_none());
        time.apply(
            1_000,
            &RoomEvent::TimeChanged {
                mode: TimeMode::Slow,
                slow_factor: 2,
            },
        );
        assert!(time.pending.iter().all(|m| m.due_ms == Some(1_300)));
        assert_eq!(time.stretch(), 2);
        time.apply(0, &RoomEvent::MoveReleased { id: 1, client: 3 });
        time.apply(
            0,
            &RoomEvent::ClientClosed {
                client: 4,
                reason: crate::kinds::CloseReason::Crashed,
            },
        );
        assert!(time.pending.is_empty());
    }
}
