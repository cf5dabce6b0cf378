//! The room's gate: where each simulated session's next move waits while time is in the
//! teacher's hands. A pure state machine; the room actor owns it and does what it decides.
//!
//! In step mode a move goes when someone presses Next (the oldest goes) or clicks it (that one
//! goes). One released move is in flight at a time: the next press is served once the client
//! that moved has come to rest (its next move waits, it waits on ZooKeeper, or it is gone),
//! so a move's result is published before the next move goes. In slow motion the room's moves
//! go on their own one at a time, a delay apart, whichever client makes them. Back to live, everything waiting goes, oldest first.

use std::collections::{HashSet, VecDeque};

use shared::{slow_delay_ms, ClientId, MoveId, TimeMode, DEFAULT_SLOW_FACTOR};

/// What a press of Next asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Press {
    Oldest,
    Chosen(MoveId),
}

/// Why a press was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GateError {
    #[error("the room is not in step mode")]
    NotStepping,
    #[error("no move is waiting")]
    NothingWaiting,
    #[error("no move {0} is waiting")]
    NoSuchMove(MoveId),
}

/// A move the gate let go, and whose it is.
pub type Released = (MoveId, ClientId);

/// A move submitted to the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub id: MoveId,
    /// True in live mode: the move goes at once and nothing is published.
    pub go_now: bool,
    /// In slow motion, when it goes on its own.
    pub due_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiting {
    id: MoveId,
    client: ClientId,
    due_ms: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Gate {
    mode: TimeMode,
    slow_factor: u32,
    next_id: MoveId,
    /// Oldest first.
    waiting: Vec<Waiting>,
    /// The client whose released move has not come to rest yet.
    in_flight: Option<ClientId>,
    /// Presses not served yet because a move was in flight.
    presses: VecDeque<Press>,
    /// Paused clients: a move of theirs goes nowhere until they wake, so it holds up no one.
    frozen: HashSet<ClientId>,
    /// In slow motion, when the latest move is due: the next one is due a delay after it, so
    /// the room moves one move at a time, however many clients it has.
    last_due_ms: u64,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            mode: TimeMode::Live,
            slow_factor: DEFAULT_SLOW_FACTOR,
            next_id: 1,
            waiting: Vec::new(),
            in_flight: None,
            presses: VecDeque::new(),
            frozen: HashSet::new(),
            last_due_ms: 0,
        }
    }
}

impl Gate {
    pub fn mode(&self) -> TimeMode {
        self.mode
    }

    pub fn slow_factor(&self) -> u32 {
        self.slow_factor
    }

    fn slow_delay_ms(&self) -> u64 {
        slow_delay_ms(self.slow_factor)
    }

    /// A client was paused (`true`) or runs again: while paused, a move of its that goes is
    /// not in flight (it would hold up every press for the whole pause).
    pub fn set_frozen(&mut self, client: ClientId, frozen: bool) {
        if frozen {
            self.frozen.insert(client);
            self.rest(client);
        } else {
            self.frozen.remove(&client);
        }
    }

    /// A client is about to make a move. It came to rest, so a press waiting for that may be
    /// served: call [`Gate::serve`] after publishing the move.
    pub fn submit(&mut self, client: ClientId, now_ms: u64) -> Submitted {
        let id = self.next_id;
        self.next_id += 1;
        self.rest(client);
        let due_ms = match self.mode {
            TimeMode::Live => {
                return Submitted {
                    id,
                    go_now: true,
                    due_ms: None,
                }
            }
            TimeMode::Slow => Some(self.next_slot(now_ms)),
            TimeMode::Step => None,
        };
        self.waiting.push(Waiting { id, client, due_ms });
        Submitted {
            id,
            go_now: false,
            due_ms,
        }
    }

    /// The next free moment in slow motion: a delay after `now_ms` or after the latest move
    /// due, whichever is later.
    fn next_slot(&mut self, now_ms: u64) -> u64 {
        let due = now_ms.max(self.last_due_ms) + self.slow_delay_ms();
        self.last_due_ms = due;
        due
    }

    /// The client came to rest without a new move (it waits on ZooKeeper, or it was paused):
    /// it no longer holds up the next press.
    pub fn rest(&mut self, client: ClientId) {
        if self.in_flight == Some(client) {
            self.in_flight = None;
        }
    }

    /// Next, or a click on a waiting move. Served at once unless a move is in flight; then it
    /// is served when that move has played out. With nothing waiting it is refused.
    pub fn press(&mut self, press: Press) -> Result<Vec<Released>, GateError> {
        if self.mode != TimeMode::Step {
            return Err(GateError::NotStepping);
        }
        match press {
            Press::Oldest if self.waiting.is_empty() => return Err(GateError::NothingWaiting),
            Press::Chosen(id) if !self.waiting.iter().any(|w| w.id == id) => {
                return Err(GateError::NoSuchMove(id))
            }
            _ => {}
        }
        self.presses.push_back(press);
        Ok(self.serve())
    }

    /// Serves the presses that can be served now: at most one move goes, then it is in flight.
    /// A press whose move is gone (its client crashed) is dropped.
    pub fn serve(&mut self) -> Vec<Released> {
        while self.in_flight.is_none() {
            let Some(press) = self.presses.pop_front() else {
                break;
            };
            let at = match press {
                Press::Oldest => (!self.waiting.is_empty()).then_some(0),
                Press::Chosen(id) => self.waiting.iter().position(|w| w.id == id),
            };
            if let Some(at) = at {
                let moved = self.waiting.remove(at);
                if !self.frozen.contains(&moved.client) {
                    self.in_flight = Some(moved.client);
                    return vec![(moved.id, moved.client)];
                }
                // A paused client's move: it went, and the next press may be served too.
                let mut released = vec![(moved.id, moved.client)];
                released.extend(self.serve());
                return released;
            }
        }
        Vec::new()
    }

    /// A client left the room: its waiting moves are dropped (returned), and it holds up
    /// nothing.
    pub fn drop_client(&mut self, client: ClientId) -> Vec<MoveId> {
        let dropped: Vec<MoveId> = self
            .waiting
            .iter()
            .filter(|w| w.client == client)
            .map(|w| w.id)
            .collect();
        self.waiting.retain(|w| w.client != client);
        self.frozen.remove(&client);
        self.presses
            .retain(|p| !matches!(p, Press::Chosen(id) if dropped.contains(id)));
        self.rest(client);
        dropped
    }

    /// Changes the mode. Back to live, every waiting move goes, oldest first; into slow
    /// motion, the waiting moves are due one delay after another, oldest first.
    pub fn set_mode(&mut self, mode: TimeMode, slow_factor: u32, now_ms: u64) -> Vec<Released> {
        if mode != self.mode {
            self.presses.clear();
        }
        self.mode = mode;
        self.slow_factor = slow_factor;
        match mode {
            TimeMode::Live => {
                self.in_flight = None;
                self.waiting.drain(..).map(|w| (w.id, w.client)).collect()
            }
            TimeMode::Slow => {
                self.last_due_ms = now_ms;
                let mut waiting = std::mem::take(&mut self.waiting);
                for w in &mut waiting {
                    w.due_ms = Some(self.next_slot(now_ms));
                }
                self.waiting = waiting;
                self.in_flight = None;
                Vec::new()
            }
            TimeMode::Step => {
                for w in &mut self.waiting {
                    w.due_ms = None;
                }
                Vec::new()
            }
        }
    }

    /// In slow motion, the moves due by `now_ms`, oldest first.
    pub fn due(&mut self, now_ms: u64) -> Vec<Released> {
        let (due, rest): (Vec<Waiting>, Vec<Waiting>) = self
            .waiting
            .iter()
            .partition(|w| w.due_ms.is_some_and(|d| d <= now_ms));
        self.waiting = rest;
        due.into_iter().map(|w| (w.id, w.client)).collect()
    }

    /// When the next move is due on its own, if one is.
    pub fn next_due(&self) -> Option<u64> {
        self.waiting.iter().filter_map(|w| w.due_ms).min()
    }

    /// The ids waiting, oldest first.
    #[cfg(test)]
    pub fn waiting(&self) -> impl Iterator<Item = MoveId> + '_ {
        self.waiting.iter().map(|w| w.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::SLOW_MOVE_MS;

    fn stepping() -> Gate {
        let mut gate = Gate::default();
        gate.set_mode(TimeMode::Step, DEFAULT_SLOW_FACTOR, 0);
        gate
    }

    #[test]
    fn live_moves_go_at_once() {
        let mut gate = Gate::default();
        let moved = gate.submit(1, 0);
        assert!(moved.go_now);
        assert_eq!(gate.waiting().count(), 0);
    }

    #[test]
    fn next_lets_the_oldest_go_and_waits_for_it_to_rest() {
        let mut gate = stepping();
        let a = gate.submit(1, 0).id;
        let b = gate.submit(2, 0).id;
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(a, 1)]));
        // A second press while client 1's move is in flight goes only once it rests.
        assert_eq!(gate.press(Press::Oldest), Ok(vec![]));
        let c = gate.submit(1, 0).id;
        assert_eq!(gate.serve(), vec![(b, 2)]);
        // Nothing moves between presses.
        gate.rest(2);
        assert_eq!(gate.serve(), vec![]);
        assert_eq!(gate.waiting().collect::<Vec<_>>(), vec![c]);
    }

    #[test]
    fn a_chosen_move_goes_first() {
        let mut gate = stepping();
        let a = gate.submit(1, 0).id;
        let b = gate.submit(2, 0).id;
        assert_eq!(gate.press(Press::Chosen(b)), Ok(vec![(b, 2)]));
        gate.rest(2);
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(a, 1)]));
        assert_eq!(
            gate.press(Press::Chosen(99)),
            Err(GateError::NoSuchMove(99))
        );
    }

    #[test]
    fn a_press_with_nothing_waiting_or_outside_step_mode_is_refused() {
        let mut gate = stepping();
        assert_eq!(gate.press(Press::Oldest), Err(GateError::NothingWaiting));
        // Nor is one queued behind a move in flight when nothing else waits.
        let a = gate.submit(1, 0).id;
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(a, 1)]));
        assert_eq!(gate.press(Press::Oldest), Err(GateError::NothingWaiting));
        gate.submit(1, 0);
        assert_eq!(
            gate.serve(),
            vec![],
            "the refused press left nothing behind"
        );
        let mut live = Gate::default();
        assert_eq!(live.press(Press::Oldest), Err(GateError::NotStepping));
    }

    #[test]
    fn leaving_step_mode_lets_everything_go_in_order() {
        let mut gate = stepping();
        let ids: Vec<MoveId> = (1..=3).map(|c| gate.submit(c, 0).id).collect();
        let released = gate.set_mode(TimeMode::Live, DEFAULT_SLOW_FACTOR, 0);
        assert_eq!(released, vec![(ids[0], 1), (ids[1], 2), (ids[2], 3)]);
        assert_eq!(gate.waiting().count(), 0);
        assert!(gate.submit(1, 0).go_now);
    }

    #[test]
    fn a_crash_drops_the_clients_moves_and_its_chosen_presses() {
        let mut gate = stepping();
        let a = gate.submit(1, 0).id;
        let b = gate.submit(2, 0).id;
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(a, 1)]));
        // Client 2 is clicked while client 1 is in flight, then crashes.
        assert_eq!(gate.press(Press::Chosen(b)), Ok(vec![]));
        assert_eq!(gate.drop_client(2), vec![b]);
        gate.rest(1);
        assert_eq!(gate.serve(), vec![]);
        // Client 1 crashing while in flight frees the gate.
        let c = gate.submit(3, 0).id;
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(c, 3)]));
        assert_eq!(gate.drop_client(3), Vec::<MoveId>::new());
        let d = gate.submit(4, 0).id;
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(d, 4)]));
    }

    #[test]
    fn a_paused_clients_move_holds_up_no_press() {
        let mut gate = stepping();
        let a = gate.submit(1, 0).id;
        let b = gate.submit(2, 0).id;
        gate.set_frozen(1, true);
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(a, 1)]));
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(b, 2)]));
        // Paused while its move plays out: the next press need not wait for it either.
        let c = gate.submit(3, 0).id;
        gate.set_frozen(2, true);
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(c, 3)]));
        gate.set_frozen(1, false);
        gate.rest(3);
        let d = gate.submit(1, 0).id;
        let e = gate.submit(4, 0).id;
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(d, 1)]));
        assert_eq!(
            gate.press(Press::Oldest),
            Ok(vec![]),
            "client 1 runs again: in flight"
        );
        gate.rest(1);
        assert_eq!(gate.serve(), vec![(e, 4)]);
    }

    #[test]
    fn slow_moves_go_on_their_own_one_at_a_time_for_the_room() {
        let mut gate = Gate::default();
        gate.set_mode(TimeMode::Slow, 2, 0);
        let delay = 2 * SLOW_MOVE_MS;
        let a = gate.submit(1, 1_000);
        assert_eq!(a.due_ms, Some(1_000 + delay));
        // Three clients asking at once go a delay apart, not together.
        let b = gate.submit(2, 1_100);
        let c = gate.submit(3, 1_100);
        assert_eq!(b.due_ms, Some(1_000 + 2 * delay));
        assert_eq!(c.due_ms, Some(1_000 + 3 * delay));
        assert_eq!(gate.next_due(), Some(1_300));
        assert_eq!(gate.due(1_299), vec![]);
        assert_eq!(gate.due(1_300), vec![(a.id, 1)]);
        assert_eq!(gate.due(1_600), vec![(b.id, 2)]);
        assert_eq!(gate.due(5_000), vec![(c.id, 3)]);
        assert_eq!(gate.next_due(), None);
        // After a quiet spell the next move waits one delay from when it asks.
        assert_eq!(gate.submit(1, 9_000).due_ms, Some(9_000 + delay));
    }

    #[test]
    fn switching_from_step_to_slow_makes_waiting_moves_due() {
        let mut gate = stepping();
        let a = gate.submit(1, 0).id;
        let b = gate.submit(2, 0).id;
        gate.set_mode(TimeMode::Slow, 10, 500);
        assert_eq!(gate.next_due(), Some(500 + 10 * SLOW_MOVE_MS));
        assert_eq!(
            gate.due(500 + 10 * SLOW_MOVE_MS),
            vec![(a, 1)],
            "one at a time"
        );
        assert_eq!(gate.due(500 + 20 * SLOW_MOVE_MS), vec![(b, 2)]);
        let a = gate.submit(1, 3_500).id;
        gate.set_mode(TimeMode::Step, 10, 600);
        assert_eq!(gate.next_due(), None);
        assert_eq!(gate.press(Press::Oldest), Ok(vec![(a, 1)]));
    }
}
