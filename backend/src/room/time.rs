//! The room's time: the gate where moves wait (a pure state machine, [`super::gate`]), the
//! tickets that let each waiting move go, and the clock its sessions read.

use std::collections::HashMap;

use shared::lesson::action::MoveClass;
use shared::{ClientId, MoveId, MoveKind, PendingMove, SeedPoint, TimeMode};
use tokio::sync::{oneshot, watch};

use super::error::RoomError;
use super::gate::{Gate, Press, Released};
use crate::zk::session::Clock;

/// A move a session asks to make.
pub(super) struct Move {
    pub(super) client: ClientId,
    pub(super) kind: MoveKind,
    pub(super) point: SeedPoint,
    pub(super) path: Option<String>,
    /// Sent when the move may go.
    pub(super) go: oneshot::Sender<()>,
}

pub(super) struct Time {
    gate: Gate,
    /// How to let each waiting move go.
    tickets: HashMap<MoveId, oneshot::Sender<()>>,
    clock: watch::Sender<Clock>,
}

impl Default for Time {
    fn default() -> Self {
        Time {
            gate: Gate::default(),
            tickets: HashMap::new(),
            clock: watch::channel(Clock::default()).0,
        }
    }
}

impl Time {
    pub(super) fn mode(&self) -> TimeMode {
        self.gate.mode()
    }

    pub(super) fn slow_factor(&self) -> u32 {
        self.gate.slow_factor()
    }

    /// The clock a new session reads.
    pub(super) fn clock(&self) -> watch::Receiver<Clock> {
        self.clock.subscribe()
    }

    /// When the next move goes on its own (slow motion).
    pub(super) fn next_due(&self) -> Option<u64> {
        self.gate.next_due()
    }

    /// The moves due by `now_ms`.
    pub(super) fn due(&mut self, now_ms: u64) -> Vec<Released> {
        self.gate.due(now_ms)
    }

    /// A new mode, unless it is the mode already; back to live, every waiting move goes.
    pub(super) fn set(
        &mut self,
        mode: TimeMode,
        slow_factor: u32,
        now_ms: u64,
    ) -> Option<Vec<Released>> {
        if (mode, slow_factor) == (self.gate.mode(), self.gate.slow_factor()) {
            return None;
        }
        let released = self.gate.set_mode(mode, slow_factor, now_ms);
        self.clock.send_replace(Clock { mode, slow_factor });
        Some(released)
    }

    /// The released move `id` goes: its session is told.
    pub(super) fn let_go(&mut self, id: MoveId) {
        if let Some(go) = self.tickets.remove(&id) {
            let _ = go.send(());
        }
    }

    /// A session's next move: it goes at once (live time, nothing to show), or waits and is
    /// shown waiting.
    pub(super) fn submit(&mut self, asked: Move, now_ms: u64) -> Option<PendingMove> {
        let submitted = self.gate.submit(asked.client, now_ms);
        if submitted.go_now {
            let _ = asked.go.send(());
            return None;
        }
        self.tickets.insert(submitted.id, asked.go);
        Some(PendingMove {
            id: submitted.id,
            client: asked.client,
            kind: asked.kind,
            point: asked.point,
            path: asked.path,
            since_ms: now_ms,
            due_ms: submitted.due_ms,
        })
    }

    /// The client came to rest without a new move: it waits on ZooKeeper.
    pub(super) fn rest(&mut self, client: ClientId) {
        self.gate.rest(client);
    }

    /// The presses the gate can serve now (a client came to rest, left, or froze).
    pub(super) fn serve(&mut self) -> Vec<Released> {
        self.gate.serve()
    }

    /// Next, or a click on one waiting move.
    pub(super) fn press(&mut self, press: Press) -> Result<Vec<Released>, RoomError> {
        Ok(self.gate.press(press)?)
    }

    /// The client's oldest waiting move of `class` (a recorded trace's move), let go.
    pub(super) fn press_class(
        &mut self,
        pending: &[PendingMove],
        client: ClientId,
        class: MoveClass,
    ) -> Result<(MoveId, Vec<Released>), RoomError> {
        let waiting = pending
            .iter()
            .find(|m| m.client == client && MoveClass::of(m.kind) == Some(class));
        let id = waiting.map(|m| m.id).ok_or(RoomError::NoTarget)?;
        Ok((id, self.gate.press(Press::Chosen(id))?))
    }

    /// The client has gone: its waiting moves with it.
    pub(super) fn drop_client(&mut self, client: ClientId) {
        for id in self.gate.drop_client(client) {
            self.tickets.remove(&id);
        }
    }

    /// The client's link froze or thawed: a frozen client's move is not waited for.
    pub(super) fn set_frozen(&mut self, client: ClientId, frozen: bool) {
        self.gate.set_frozen(client, frozen);
    }

    /// Every waiting move goes (the room ends and its sessions are closing).
    pub(super) fn forget_tickets(&mut self) {
        self.tickets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(client: ClientId) -> (Move, oneshot::Receiver<()>) {
        let (go, went) = oneshot::channel();
        let asked = Move {
            client,
            kind: MoveKind::Create,
            point: SeedPoint::Create,
            path: None,
            go,
        };
        (asked, went)
    }

    #[test]
    fn a_move_waits_in_step_mode_and_goes_when_pressed() {
        let mut time = Time::default();
        let (live, mut went) = asked(1);
        assert_eq!(time.submit(live, 10), None);
        assert!(went.try_recv().is_ok(), "live: the move went at once");
        assert!(time.set(TimeMode::Step, 2, 10).is_some());
        assert_eq!(
            time.set(TimeMode::Step, 2, 11),
            None,
            "the mode it has already"
        );
        assert_eq!(time.clock().borrow().mode, TimeMode::Step);
        let (stepped, mut went) = asked(1);
        let pending = time.submit(stepped, 20).expect("shown waiting");
        assert_eq!((pending.client, pending.since_ms), (1, 20));
        assert!(went.try_recv().is_err());
        let released = time.press(Press::Oldest).unwrap();
        assert_eq!(released, vec![(pending.id, 1)]);
        time.let_go(pending.id);
        assert!(went.try_recv().is_ok());
    }

    #[test]
    fn a_trace_lets_go_the_clients_move_of_its_class_and_no_other() {
        let mut time = Time::default();
        time.set(TimeMode::Step, 2, 0);
        let (first, _a) = asked(1);
        let pending = vec![time.submit(first, 1).unwrap()];
        let class = MoveClass::of(MoveKind::Create).unwrap();
        assert_eq!(
            time.press_class(&pending, 2, class).unwrap_err(),
            RoomError::NoTarget
        );
        let (id, released) = time.press_class(&pending, 1, class).unwrap();
        assert_eq!((id, released), (pending[0].id, vec![(pending[0].id, 1)]));
    }
}
