//! The small ZooKeeper a lock recipe is checked against, as a stateright model: lock clients
//! driving any [`LockMachine`] through every interleaving, with crashes and kills at any point.
//!
//! The model is the checker's, never a stand-in for ZooKeeper in the product or in the
//! integration tests. What it holds of ZooKeeper: the children of `/locks` with their sequence
//! numbers and owners, a session per client that closes when it crashes or finishes (its
//! ephemeral node goes at once) or, killed, expires later, and one-shot watches that fire when
//! their node goes (data and exists watches) or when a child is added or removed (children
//! watches). A client's call is made and answered in one step: its recipe decides nothing
//! between the two, and as the server's lock client does, it acts on a notification only
//! between calls; a client holds one armed watch at a time, and arming another replaces it.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use shared::recipe::Failure;
use shared::{CloseReason, TraceMove, WatchedKind, LOCK_DIR};
use stateright::{Model, Property, Representative};

use crate::recipes::lock::{Input, LockMachine, Step, ZkCall, LOCK_PREFIX};

/// A client's one watch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Watch {
    None,
    /// Armed on a node (data or exists), or on the children of `/locks`.
    On {
        path: String,
    },
    /// Fired and delivered; the client acts on it when it next rests.
    Fired {
        path: String,
        kind: WatchedKind,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Client<M> {
    pub(super) recipe: M,
    /// Its process runs.
    pub(super) alive: bool,
    /// Its session is open (a killed client's lives on until it expires).
    pub(super) session: bool,
    /// The call it waits on, made at ZooKeeper by [`Action::Call`].
    pub(super) call: Option<ZkCall>,
    /// It holds and waits for its hold to end.
    pub(super) holding: bool,
    pub(super) watch: Watch,
    /// Its recipe closed it as failed (a learner's recipe that raised an error).
    pub(super) failed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State<M> {
    pub(super) clients: Vec<Client<M>>,
    /// The children of `/locks`: sequence number → owning client.
    nodes: BTreeMap<u32, usize>,
    next_seq: u32,
}

/// One move of the model; [`Action::trace`] is the same move as the room plays it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Client `n`'s pending ZooKeeper call is made, and its recipe gets the result.
    Call(usize),
    /// Client `n`'s recipe acts on its delivered notification.
    Notify(usize),
    /// Client `n`'s hold ends.
    HoldOver(usize),
    /// Client `n`'s process dies and its session is closed (zkplay's crash).
    Crash(usize),
    /// Client `n`'s process dies and nothing closes its session (zkplay's kill).
    Kill(usize),
    /// A killed client's session expires.
    Expire(usize),
}

impl Action {
    pub fn trace(self) -> TraceMove {
        match self {
            Action::Call(n) => TraceMove::Call(n as u32),
            Action::Notify(n) => TraceMove::Notify(n as u32),
            Action::HoldOver(n) => TraceMove::HoldOver(n as u32),
            Action::Crash(n) => TraceMove::Crash(n as u32),
            Action::Kill(n) => TraceMove::Kill(n as u32),
            Action::Expire(n) => TraceMove::Expire(n as u32),
        }
    }

    pub fn of(step: TraceMove) -> Action {
        match step {
            TraceMove::Call(n) => Action::Call(n as usize),
            TraceMove::Notify(n) => Action::Notify(n as usize),
            TraceMove::HoldOver(n) => Action::HoldOver(n as usize),
            TraceMove::Crash(n) => Action::Crash(n as usize),
            TraceMove::Kill(n) => Action::Kill(n as usize),
            TraceMove::Expire(n) => Action::Expire(n as usize),
        }
    }
}

/// The property names stateright reports, and what each failure is.
pub(super) const TWO_HOLDERS: &str = "never two holders";
pub(super) const WAITS_ON_NOTHING: &str = "no waiter waits on nothing";
pub(super) const STUCK: &str = "no client is stuck";
pub(super) const RECIPE_ERROR: &str = "no recipe error";
/// Not a failure: shown, it says the model hands the lock on at all.
pub(super) const HANDS_OVER: &str = "the lock changes hands";

pub(super) const FAILURES: [(&str, Option<Failure>); 4] = [
    (TWO_HOLDERS, Some(Failure::TwoHolders)),
    (WAITS_ON_NOTHING, Some(Failure::WaitsOnNothing)),
    (STUCK, Some(Failure::Stuck)),
    (RECIPE_ERROR, None),
];

/// `clients` lock clients, each starting as `prototype`.
pub struct LockModel<M> {
    pub prototype: M,
    pub clients: usize,
    /// After this, no state is explored further (stateright's own timeout holds a lock while
    /// it sleeps, which costs every check a second or two).
    deadline: Option<Instant>,
    /// The deadline passed before the exploration ended.
    pub late: Arc<AtomicBool>,
}

impl<M> LockModel<M> {
    pub fn new(prototype: M, clients: usize) -> Self {
        LockModel {
            prototype,
            clients,
            deadline: None,
            late: Arc::default(),
        }
    }

    pub fn until(self, deadline: Instant) -> Self {
        LockModel {
            deadline: Some(deadline),
            ..self
        }
    }
}

fn node_path(seq: u32) -> String {
    format!("{LOCK_PREFIX}{seq:010}")
}

/// The sequence number a lock node's path ends in.
fn seq_of(path: &str) -> Option<u32> {
    path.strip_prefix(LOCK_PREFIX)?.parse().ok()
}

impl<M: LockMachine> State<M> {
    /// Feeds client `n` an input and carries out the recipe's steps.
    fn feed(&mut self, n: usize, input: Input) {
        let steps = self.clients[n].recipe.on(input);
        for step in steps {
            match step {
                Step::Call(call) => self.clients[n].call = Some(call),
                Step::Hold => self.clients[n].holding = true,
                Step::Close(reason) => {
                    self.clients[n].failed = reason == CloseReason::Failed;
                    self.close(n);
                }
                Step::Publish(_) | Step::Write { .. } => {}
            }
        }
    }

    /// Client `n`'s process ends; it does nothing more.
    fn die(&mut self, n: usize) {
        let client = &mut self.clients[n];
        client.alive = false;
        client.call = None;
        client.holding = false;
        client.watch = Watch::None;
    }

    /// Client `n`'s session closes or expires: its node goes, and the watches on it fire.
    fn close(&mut self, n: usize) {
        self.die(n);
        self.clients[n].session = false;
        let owned: Vec<u32> = self
            .nodes
            .iter()
            .filter(|(_, owner)| **owner == n)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in owned {
            self.delete(seq);
        }
    }

    fn delete(&mut self, seq: u32) {
        self.nodes.remove(&seq);
        let path = node_path(seq);
        for client in self.clients.iter_mut().filter(|c| c.alive) {
            if matches!(&client.watch, Watch::On { path: on } if *on == path) {
                client.watch = Watch::Fired {
                    path: path.clone(),
                    kind: WatchedKind::NodeDeleted,
                };
            }
        }
        self.children_changed();
    }

    fn children_changed(&mut self) {
        for client in self.clients.iter_mut().filter(|c| c.alive) {
            if matches!(&client.watch, Watch::On { path } if path == LOCK_DIR) {
                client.watch = Watch::Fired {
                    path: LOCK_DIR.into(),
                    kind: WatchedKind::NodeChildrenChanged,
                };
            }
        }
    }

    /// Makes a call at ZooKeeper, as the server's lock client (`crate::zk::lock_client`) does,
    /// and returns its result.
    fn make(&mut self, n: usize, call: ZkCall) -> Input {
        match call {
            ZkCall::CreateLockNode => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.nodes.insert(seq, n);
                self.children_changed();
                Input::Created {
                    path: node_path(seq),
                    czxid: i64::from(seq) + 1,
                }
            }
            ZkCall::ListLockDir { watch } => {
                if watch {
                    self.clients[n].watch = Watch::On {
                        path: LOCK_DIR.into(),
                    };
                }
                Input::Children {
                    names: self
                        .nodes
                        .keys()
                        .map(|seq| node_path(*seq)[LOCK_DIR.len() + 1..].to_string())
                        .collect(),
                }
            }
            ZkCall::Watch { path, call } => {
                let exists = seq_of(&path).is_some_and(|seq| self.nodes.contains_key(&seq));
                // The driver keeps the new watcher, or none when the node was already gone.
                self.clients[n].watch = if exists {
                    Watch::On { path: path.clone() }
                } else {
                    Watch::None
                };
                Input::WatchArmed { path, call, exists }
            }
            ZkCall::Delete { path } => {
                if let Some(seq) = seq_of(&path).filter(|seq| self.nodes.contains_key(seq)) {
                    self.delete(seq);
                }
                Input::Deleted
            }
        }
    }

    pub fn holders(&self) -> usize {
        self.clients
            .iter()
            .filter(|c| c.alive && c.recipe.is_holding())
            .count()
    }

    /// A waiter with nothing armed and nothing delivered waits for ever.
    fn waits_on_nothing(&self) -> bool {
        self.clients
            .iter()
            .any(|c| c.alive && c.call.is_none() && c.recipe.is_waiting() && c.watch == Watch::None)
    }

    /// Someone has not ended, yet nothing but a fault can happen next: no call to make, no
    /// notification to act on, no hold to end, no session to expire.
    fn stuck(&self) -> bool {
        let can_move = |c: &Client<M>| {
            (c.alive && (c.call.is_some() || c.holding || matches!(c.watch, Watch::Fired { .. })))
                || (!c.alive && c.session)
        };
        let ended = |c: &Client<M>| !c.alive && !c.session;
        !self.clients.iter().all(ended) && !self.clients.iter().any(can_move)
    }

    /// The recipe of a client that failed, for the error it ran into.
    pub(super) fn failed(&self) -> Option<&M> {
        self.clients.iter().find(|c| c.failed).map(|c| &c.recipe)
    }
}

/// Clients are interchangeable: a state with two of them swapped (their nodes' owners with
/// them) behaves the same. The representative orders clients by a hash of their state.
impl<M: LockMachine> Representative for State<M> {
    fn representative(&self) -> Self {
        let key = |client: &Client<M>| {
            let mut hasher = DefaultHasher::new();
            client.hash(&mut hasher);
            hasher.finish()
        };
        let mut order: Vec<usize> = (0..self.clients.len()).collect();
        order.sort_by_key(|&n| key(&self.clients[n]));
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        State {
            clients: order.iter().map(|&n| self.clients[n].clone()).collect(),
            nodes: self
                .nodes
                .iter()
                .map(|(seq, owner)| (*seq, new_index[*owner]))
                .collect(),
            next_seq: self.next_seq,
        }
    }
}

impl<M: LockMachine + 'static> Model for LockModel<M> {
    type State = State<M>;
    type Action = Action;

    fn init_states(&self) -> Vec<State<M>> {
        let client = Client {
            recipe: self.prototype.clone(),
            alive: true,
            session: true,
            call: None,
            holding: false,
            watch: Watch::None,
            failed: false,
        };
        let mut state = State {
            clients: vec![client; self.clients],
            nodes: BTreeMap::new(),
            next_seq: 0,
        };
        for n in 0..self.clients {
            state.feed(
                n,
                Input::Connected {
                    session: n as i64 + 1,
                    timeout_ms: 5000,
                },
            );
        }
        vec![state]
    }

    fn actions(&self, state: &State<M>, actions: &mut Vec<Action>) {
        for (n, client) in state.clients.iter().enumerate() {
            if !client.alive {
                if client.session {
                    actions.push(Action::Expire(n));
                }
                continue;
            }
            if client.call.is_some() {
                actions.push(Action::Call(n));
            } else {
                if matches!(client.watch, Watch::Fired { .. }) {
                    actions.push(Action::Notify(n));
                }
                if client.holding {
                    actions.push(Action::HoldOver(n));
                }
            }
            actions.push(Action::Crash(n));
            actions.push(Action::Kill(n));
        }
    }

    fn next_state(&self, state: &State<M>, action: Action) -> Option<State<M>> {
        let mut next = state.clone();
        match action {
            Action::Call(n) => {
                let call = next.clients[n].call.take()?;
                let result = next.make(n, call);
                next.feed(n, result);
            }
            Action::Notify(n) => {
                let Watch::Fired { path, kind } =
                    std::mem::replace(&mut next.clients[n].watch, Watch::None)
                else {
                    return None;
                };
                next.feed(n, Input::WatchFired { path, kind });
            }
            Action::HoldOver(n) => {
                next.clients[n].holding = false;
                next.feed(n, Input::HoldOver);
            }
            Action::Crash(n) | Action::Expire(n) => next.close(n),
            Action::Kill(n) => next.die(n),
        }
        Some(next)
    }

    fn within_boundary(&self, _: &State<M>) -> bool {
        let late = self.deadline.is_some_and(|d| Instant::now() > d);
        if late {
            self.late.store(true, Ordering::Relaxed);
        }
        !late
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(TWO_HOLDERS, |_, s: &State<M>| s.holders() <= 1),
            Property::always(WAITS_ON_NOTHING, |_, s: &State<M>| !s.waits_on_nothing()),
            Property::always(STUCK, |_, s: &State<M>| !s.stuck()),
            Property::always(RECIPE_ERROR, |_, s: &State<M>| s.failed().is_none()),
            // That the model does something: a client holds after one whose node came first.
            Property::sometimes(HANDS_OVER, |_, s: &State<M>| {
                s.clients.iter().any(|holder| {
                    holder.alive
                        && holder.recipe.is_holding()
                        && s.clients.iter().any(|gone| {
                            !gone.alive
                                && gone.recipe.this_path().is_some()
                                && gone.recipe.this_path() < holder.recipe.this_path()
                        })
                })
            }),
        ]
    }
}

impl<M: LockMachine + 'static> LockModel<M> {
    /// The ZooKeeper call each `call` move of `moves` makes, in order, as far as they can be
    /// made.
    pub fn calls(&self, moves: &[TraceMove]) -> Vec<shared::ZkOp> {
        let mut state = self.init_states().remove(0);
        let mut calls = Vec::new();
        for step in moves {
            let action = Action::of(*step);
            if let Action::Call(n) = action {
                calls.extend(
                    state
                        .clients
                        .get(n)
                        .and_then(|c| c.call.as_ref())
                        .map(|c| c.op().0),
                );
            }
            match self.next_state(&state, action) {
                Some(next) => state = next,
                None => break,
            }
        }
        calls
    }

    /// Plays `moves` from the start; the state reached, or the first move that cannot be made.
    pub fn play(&self, moves: &[TraceMove]) -> Result<State<M>, usize> {
        let mut state = self.init_states().remove(0);
        for (i, step) in moves.iter().enumerate() {
            let action = Action::of(*step);
            let mut possible = Vec::new();
            self.actions(&state, &mut possible);
            if !possible.contains(&action) {
                return Err(i);
            }
            state = self.next_state(&state, action).ok_or(i)?;
        }
        Ok(state)
    }
}
