//! The lock recipes, model-checked: the very `LockRecipe` state machines the server runs, driven
//! by stateright through every interleaving of up to four clients over a small model of
//! ZooKeeper, with any client crashing at any point.
//!
//! The model is a test fixture for exploring interleavings, never a stand-in for ZooKeeper in
//! the product or in the integration tests. What it holds of ZooKeeper: the children of
//! `/locks` with their sequence numbers and owners, a session per client that closes when it
//! crashes or finishes (its ephemeral node goes at once), and one-shot watches that fire when
//! their node goes (data and exists watches) or when a child is added or removed (children
//! watches). A client's call is made and answered in one step: its recipe decides nothing
//! between the two, and as the server's driver does, it acts on a notification only between
//! calls; a client holds one armed watch at a time, and arming another replaces it.
//!
//! Properties: never two holders; never a waiter with nothing armed and nothing delivered
//! (waiting on nothing); and on every path everyone ends, holding and releasing or crashed
//! (no hand-off lost). `predecessor` and `children-watch` keep all three. `predecessor-naive`
//! does not, and breadth-first search finds its shortest failure.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use backend::recipes::lock::{Input, LockRecipe, Step, ZkCall, LOCK_DIR, LOCK_PREFIX};
use shared::lesson::action::TraceMove;
use shared::{LockRecipeKind, WatchedKind};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use stateright::{Checker, HasDiscoveries, Model, Path, Property, Representative};

/// A client's one watch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Watch {
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
struct Client {
    recipe: LockRecipe,
    /// Its process runs.
    alive: bool,
    /// Its session is open (a killed client's lives on until it expires).
    session: bool,
    /// The call it waits on, made at ZooKeeper by [`Action::Call`].
    call: Option<ZkCall>,
    /// It holds and waits for its hold to end.
    holding: bool,
    watch: Watch,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct State {
    clients: Vec<Client>,
    /// The children of `/locks`: sequence number → owning client.
    nodes: BTreeMap<u32, usize>,
    next_seq: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Action {
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

const TWO_HOLDERS: &str = "never two holders";
/// Not a failure: shown, it says the model hands the lock on at all.
const HANDS_OVER: &str = "the lock changes hands";

struct LockModel {
    recipe: LockRecipeKind,
    clients: usize,
}

fn node_path(seq: u32) -> String {
    format!("{LOCK_PREFIX}{seq:010}")
}

/// The sequence number a lock node's path ends in.
fn seq_of(path: &str) -> Option<u32> {
    path.strip_prefix(LOCK_PREFIX)?.parse().ok()
}

impl State {
    /// Feeds client `n` an input and carries out the recipe's steps.
    fn feed(&mut self, n: usize, input: Input) {
        let steps = self.clients[n].recipe.on(input);
        for step in steps {
            match step {
                Step::Call(call) => self.clients[n].call = Some(call),
                Step::Hold => self.clients[n].holding = true,
                Step::Close(_) => self.close(n),
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
            match &client.watch {
                Watch::On { path: on } if *on == path => {
                    client.watch = Watch::Fired {
                        path: path.clone(),
                        kind: WatchedKind::NodeDeleted,
                    }
                }
                _ => {}
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

    /// Makes a call at ZooKeeper, as the server's lock client (`backend/src/zk/lock_client.rs`) does, and returns its result.
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

    fn holders(&self) -> usize {
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

    fn all_ended(&self) -> bool {
        self.clients.iter().all(|c| !c.alive && !c.session)
    }
}

/// Clients are interchangeable: a state with two of them swapped (their nodes' owners with
/// them) behaves the same. The representative orders clients by a hash of their state.
impl Representative for State {
    fn representative(&self) -> Self {
        let key = |client: &Client| {
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

impl Model for LockModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let mut state = State {
            clients: (0..self.clients)
                .map(|_| Client {
                    // One number for all: it only names the client in the events, which the
                    // model does not keep, and clients that differ only by number are the
                    // same state to symmetry reduction.
                    recipe: LockRecipe::new(self.recipe, 1),
                    alive: true,
                    session: true,
                    call: None,
                    holding: false,
                    watch: Watch::None,
                })
                .collect(),
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

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
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

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
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

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(TWO_HOLDERS, |_, s: &State| s.holders() <= 1),
            Property::always("no waiter waits on nothing", |_, s: &State| {
                !s.waits_on_nothing()
            }),
            Property::eventually("everyone ends", |_, s: &State| s.all_ended()),
            // That the model does something: a client holds after one whose node came first.
            Property::sometimes(HANDS_OVER, |_, s: &State| {
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

/// Checks one recipe with `clients` clients and prints what it explored. Breadth first finds
/// a shortest counterexample; depth first with symmetry reduction visits each state once up
/// to swapping clients (stateright reduces only depth first).
fn check(recipe: LockRecipeKind, clients: usize, shortest: bool) -> Verdict {
    let started = Instant::now();
    let builder = LockModel { recipe, clients }.checker().threads(2);
    let (discoveries, states) = if shortest {
        // Breadth first stops at the first two holders: every state fewer moves away has been
        // seen, so no shorter way exists.
        let first_failure = HasDiscoveries::AnyOf(BTreeSet::from([TWO_HOLDERS]));
        let checker = builder.finish_when(first_failure).spawn_bfs().join();
        (checker.discoveries(), checker.unique_state_count())
    } else {
        let checker = builder.symmetry().spawn_dfs().join();
        (checker.discoveries(), checker.unique_state_count())
    };
    println!(
        "{recipe:?} with {clients} clients, {}: {states} states in {:.2} s",
        if shortest {
            "breadth first"
        } else {
            "depth first, symmetry reduced"
        },
        started.elapsed().as_secs_f64()
    );
    Verdict {
        discoveries: discoveries.into_iter().collect(),
    }
}

/// What a check found: for each property it found broken (or, for a `sometimes`, shown), the
/// path there.
struct Verdict {
    discoveries: BTreeMap<&'static str, Path<State, Action>>,
}

impl Verdict {
    fn broken(&self) -> Vec<&'static str> {
        self.discoveries
            .keys()
            .copied()
            .filter(|name| *name != HANDS_OVER)
            .collect()
    }

    fn hands_over(&self) -> bool {
        self.discoveries.contains_key(HANDS_OVER)
    }
}

/// A correct recipe, for 1 to 4 clients: nothing broken, and the lock handed on once there
/// are two.
fn keeps_every_property(recipe: LockRecipeKind) {
    for clients in 1..=4 {
        let verdict = check(recipe, clients, false);
        assert_eq!(verdict.broken(), Vec::<&str>::new(), "{clients} clients");
        assert_eq!(verdict.hands_over(), clients >= 2, "{clients} clients");
    }
}

#[test]
fn predecessor_never_has_two_holders_nor_a_waiter_on_nothing() {
    keeps_every_property(LockRecipeKind::Predecessor);
}

#[test]
fn children_watch_never_has_two_holders_nor_a_waiter_on_nothing() {
    keeps_every_property(LockRecipeKind::ChildrenWatch);
}

#[test]
fn predecessor_naive_has_two_holders_and_the_shortest_way_there_is_found() {
    // Two clients cannot show it: the only waiter's predecessor is the holder.
    let two = check(LockRecipeKind::PredecessorNaive, 2, true);
    assert_eq!(two.broken(), Vec::<&str>::new());
    let four = check(LockRecipeKind::PredecessorNaive, 4, true);
    assert_eq!(four.broken(), [TWO_HOLDERS]);
    let path = &four.discoveries[TWO_HOLDERS];
    assert_eq!(path.last_state().holders(), 2);
    let actions = path.clone().into_actions();
    println!("shortest failure ({} moves): {actions:?}", actions.len());
    // Three clients create their nodes; the third lists and watches the second's; the second
    // crashes, and its node goes; the first lists and holds; the third takes the notification
    // for the lock: eight moves.
    assert_eq!(actions.len(), 8, "{actions:?}");
    assert_eq!(
        actions
            .iter()
            .filter(|a| matches!(a, Action::Crash(_) | Action::Kill(_)))
            .count(),
        1,
        "{actions:?}"
    );
    assert!(
        matches!(actions.last(), Some(Action::Notify(_))),
        "{actions:?}"
    );
    // The failure the lessons keep (threads may find another of the same length) is one too,
    // move by move, and as short.
    let stored = shared::lesson::action::shortest_naive_failure();
    assert_eq!(
        stored.len(),
        actions.len(),
        "{stored:?} against {actions:?}"
    );
    let model = LockModel {
        recipe: LockRecipeKind::PredecessorNaive,
        clients: 4,
    };
    let mut state = model.init_states().remove(0);
    for (i, step) in stored.iter().enumerate() {
        assert!(state.holders() < 2, "two holders before move {i}");
        let action = match *step {
            TraceMove::Call(n) => Action::Call(n as usize),
            TraceMove::Notify(n) => Action::Notify(n as usize),
            TraceMove::HoldOver(n) => Action::HoldOver(n as usize),
            TraceMove::Crash(n) => Action::Crash(n as usize),
            TraceMove::Kill(n) => Action::Kill(n as usize),
        };
        let mut possible = Vec::new();
        model.actions(&state, &mut possible);
        assert!(
            possible.contains(&action),
            "stored move {i} ({step:?}) cannot be made; possible: {possible:?}"
        );
        state = model.next_state(&state, action).expect("a next state");
    }
    assert_eq!(state.holders(), 2, "the stored moves end with two holders");
}
