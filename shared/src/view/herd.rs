//! The herd, counted: watch notifications delivered to lock clients, per recipe, per hand-off
//! and per round, beside what each recipe predicts.

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::kinds::{ClientId, CloseReason, LockRecipeKind};
use crate::view::locks::{ClientPhase, LockClientView, LockQueue};
use crate::znode::LOCK_DIR;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Herd {
    /// The figures of each recipe used, in the order recipes were used.
    pub recipes: Vec<HerdStats>,
    /// Notifications delivered to lock clients since the last `lock_gained` (a queue forming
    /// under a children watch is counted here too: it is not what a hand-off costs).
    pub since_gain: u64,
    /// Notifications delivered to the room's lock clients since the room started.
    pub total: u64,
    /// The hand-off under way, from the moment the holder let go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandOffCount>,
}

/// One hand-off, counted: it starts when the holder lets go (its `lock_released`, its client
/// leaving, or its node going while it still holds) and ends at the next `lock_gained`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOffCount {
    /// Notifications delivered since the holder let go.
    pub notifications: u64,
    /// The clients whose watch the release fires (armed on the holder's node, or on the
    /// children of `/locks`, when it let go) and whose notification is not reported yet: in
    /// step mode the next holder may gain before the others act on theirs, which still count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owed: Vec<ClientId>,
    /// The next holder has gained: only what is `owed` still adds to the count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gained: bool,
}

/// Watch notifications delivered to lock clients under one recipe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HerdStats {
    pub recipe: LockRecipeKind,
    /// Lock clients started under this recipe.
    pub clients: u64,
    /// `lock_gained` events (a round's first gain and a second holder's included).
    pub handoffs: u64,
    /// Notifications delivered under this recipe.
    pub notifications: u64,
    /// The notifications the last hand-off cost: from the holder letting go to the next gain,
    /// and the late ones of the watches that release fired. The first gain under the recipe
    /// costs none; a gain while another client holds (the crash bug) is no hand-off.
    pub last_handoff: Option<u64>,
    /// Clients of the latest round: a round starts when a client joins an empty queue.
    pub round_clients: u64,
    /// Notifications delivered in the latest round, the queue's forming included (under a
    /// children watch every client that joins tells the waiters already watching).
    pub round_notifications: u64,
}

impl HerdStats {
    fn new(recipe: LockRecipeKind) -> Self {
        HerdStats {
            recipe,
            clients: 0,
            handoffs: 0,
            notifications: 0,
            last_handoff: None,
            round_clients: 0,
            round_notifications: 0,
        }
    }

    /// What the recipe predicts for draining the latest round's clients (its hand-offs only,
    /// not the queue's forming); none for a learner's recipe.
    pub fn round_predicted(&self) -> Option<u64> {
        self.recipe.predicted_notifications(self.round_clients)
    }
}

/// A client that believes it holds the lock.
fn holds(c: &LockClientView) -> bool {
    matches!(c.phase, ClientPhase::Holding | ClientPhase::Suspended)
}

/// The node the holder lets go with this event, if it does: it releases; its client leaves
/// while its node is still there (crashed, killed, expired; not a switch or a reset, which
/// take every client); or its node goes, or a watch on it fires, while it still holds (its
/// session expired behind its back, or the removal's report comes after the notification).
fn let_go<'a>(queue: &'a LockQueue, event: &'a RoomEvent) -> Option<&'a str> {
    let held = |path: &str| {
        queue
            .nodes
            .iter()
            .find(|n| n.path == path)
            .and_then(|n| queue.owner(n))
            .is_some_and(holds)
    };
    match event {
        RoomEvent::LockReleased { path, .. } => Some(path),
        RoomEvent::ClientClosed { client, reason } if !ends_every_client(*reason) => {
            let path = queue
                .client(*client)
                .filter(|c| holds(c))?
                .path
                .as_deref()?;
            queue.nodes.iter().any(|n| n.path == path).then_some(path)
        }
        RoomEvent::ZnodeRemoved { path } | RoomEvent::WatchFired { path, .. } => {
            held(path).then_some(path.as_str())
        }
        _ => None,
    }
}

/// A close that takes every lock client at once: what follows is no hand-off.
fn ends_every_client(reason: CloseReason) -> bool {
    matches!(
        reason,
        CloseReason::RecipeSwitched | CloseReason::Reset | CloseReason::Shutdown
    )
}

impl Herd {
    /// The figures of `recipe`, if it was used.
    pub fn of(&self, recipe: LockRecipeKind) -> Option<&HerdStats> {
        self.recipes.iter().find(|h| h.recipe == recipe)
    }

    fn of_mut(&mut self, recipe: LockRecipeKind) -> &mut HerdStats {
        match self.recipes.iter().position(|h| h.recipe == recipe) {
            Some(at) => &mut self.recipes[at],
            None => {
                self.recipes.push(HerdStats::new(recipe));
                self.recipes.last_mut().expect("just pushed")
            }
        }
    }

    /// Folds an event under the room's `recipe`. It reads the queue as it was before the
    /// event: a round starts when a client joins an empty queue, a hand-off when the holder
    /// lets go, and only lock clients' notifications are the herd (an app client's are the
    /// registry's).
    pub fn apply(&mut self, recipe: LockRecipeKind, queue: &LockQueue, event: &RoomEvent) {
        let open = self.handoff.as_ref().is_some_and(|h| !h.gained);
        if let Some(node) = let_go(queue, event).filter(|_| !open) {
            let owed = queue
                .clients
                .iter()
                .filter(|c| {
                    c.watching
                        .as_ref()
                        .is_some_and(|w| w.path == node || w.path == LOCK_DIR)
                })
                .map(|c| c.id)
                .collect();
            self.handoff = Some(HandOffCount {
                owed,
                ..HandOffCount::default()
            });
        }
        match event {
            RoomEvent::ClientAdded { .. } => self.client_added(recipe, queue.clients.is_empty()),
            RoomEvent::WatchFired { client, .. } if queue.client(*client).is_some() => {
                self.notified(recipe, *client)
            }
            RoomEvent::LockGained { client, .. } => {
                let another_holds = queue.holders().any(|c| c.id != *client);
                self.gained(recipe, another_holds)
            }
            RoomEvent::ClientClosed { client, reason } => {
                if ends_every_client(*reason) {
                    self.handoff = None;
                } else if let Some(h) = &mut self.handoff {
                    // Its notification will not come.
                    h.owed.retain(|c| c != client);
                }
            }
            RoomEvent::RecipeChanged { recipe } => {
                self.since_gain = 0;
                self.handoff = None;
                self.of_mut(*recipe);
            }
            _ => {}
        }
        // A hand-off done and owed nothing is over.
        if self
            .handoff
            .as_ref()
            .is_some_and(|h| h.gained && h.owed.is_empty())
        {
            self.handoff = None;
        }
    }

    /// A lock client joined; into an empty queue (`round_starts`), a new round begins.
    fn client_added(&mut self, recipe: LockRecipeKind, round_starts: bool) {
        let herd = self.of_mut(recipe);
        if round_starts {
            herd.round_clients = 0;
            herd.round_notifications = 0;
        }
        herd.clients += 1;
        herd.round_clients += 1;
        if round_starts {
            self.handoff = None;
        }
    }

    /// A notification reached lock client `client`: delivered while the hand-off is under
    /// way, or owed to it once it is done.
    fn notified(&mut self, recipe: LockRecipeKind, client: ClientId) {
        self.total += 1;
        self.since_gain += 1;
        let herd = self.of_mut(recipe);
        herd.notifications += 1;
        herd.round_notifications += 1;
        let late = match &mut self.handoff {
            Some(h) => {
                let owed = h.owed.iter().position(|c| *c == client);
                if let Some(at) = owed {
                    h.owed.remove(at);
                }
                if h.gained && owed.is_none() {
                    None
                } else {
                    h.notifications += 1;
                    h.gained.then_some(h.notifications)
                }
            }
            None => None,
        };
        if let Some(count) = late {
            self.of_mut(recipe).last_handoff = Some(count);
        }
    }

    /// A client gained the lock: the hand-off's cost is known (a first gain costs nothing,
    /// unless another already holds).
    fn gained(&mut self, recipe: LockRecipeKind, another_holds: bool) {
        self.since_gain = 0;
        let cost = match &mut self.handoff {
            Some(h) if !h.gained => {
                h.gained = true;
                Some(h.notifications)
            }
            _ => None,
        };
        let herd = self.of_mut(recipe);
        herd.handoffs += 1;
        match cost {
            Some(n) => herd.last_handoff = Some(n),
            None if herd.last_handoff.is_none() && !another_holds => herd.last_handoff = Some(0),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{ClientId, WatchCall, WatchedKind};
    use crate::session::SessionId;
    use crate::znode::Znode;

    #[test]
    fn notifications_count_per_recipe_and_round() {
        let mut herd = Herd::default();
        let mut queue = LockQueue::default();
        let mut seq = 0;
        let mut apply = |herd: &mut Herd, queue: &mut LockQueue, recipe, e: RoomEvent| {
            seq += 1;
            herd.apply(recipe, queue, &e);
            queue.apply(seq, &e);
        };
        let p = LockRecipeKind::Predecessor;
        for client in 1..=3 {
            apply(
                &mut herd,
                &mut queue,
                p,
                RoomEvent::ClientAdded {
                    client,
                    owner: None,
                },
            );
        }
        let fired = |client: ClientId| RoomEvent::WatchFired {
            client,
            path: "/locks/x".into(),
            event: WatchedKind::NodeDeleted,
        };
        let gained = |client: ClientId| RoomEvent::LockGained {
            client,
            path: format!("/locks/{client}"),
        };
        let released = |client: ClientId| RoomEvent::LockReleased {
            client,
            path: format!("/locks/{client}"),
        };
        apply(&mut herd, &mut queue, p, gained(1));
        assert_eq!(herd.of(p).unwrap().last_handoff, Some(0), "a free lock");
        apply(&mut herd, &mut queue, p, released(1));
        apply(&mut herd, &mut queue, p, fired(2));
        apply(&mut herd, &mut queue, p, gained(2));
        // Client 9 is no lock client (an app client): its notification is not the herd's.
        apply(&mut herd, &mut queue, p, fired(9));
        apply(&mut herd, &mut queue, p, released(2));
        apply(&mut herd, &mut queue, p, fired(3));
        apply(&mut herd, &mut queue, p, gained(3));
        let stats = herd.of(p).unwrap();
        assert_eq!(
            (stats.clients, stats.handoffs, stats.notifications),
            (3, 3, 2)
        );
        assert_eq!(stats.last_handoff, Some(1));
        assert_eq!(stats.round_predicted(), Some(2));
        assert_eq!(herd.total, 2);

        for client in 1..=3 {
            queue.remove_client(client);
        }
        let c = LockRecipeKind::ChildrenWatch;
        apply(
            &mut herd,
            &mut queue,
            c,
            RoomEvent::RecipeChanged { recipe: c },
        );
        apply(
            &mut herd,
            &mut queue,
            c,
            RoomEvent::ClientAdded {
                client: 4,
                owner: None,
            },
        );
        let stats = herd.of(c).unwrap();
        assert_eq!(
            (stats.clients, stats.round_clients, stats.notifications),
            (1, 1, 0)
        );
        assert_eq!(
            herd.recipes.len(),
            2,
            "the other recipe's figures stay for comparison"
        );
    }

    fn node(n: u32) -> String {
        format!("/locks/sub{n:010}")
    }

    /// A herd and the queue it reads, fed events as the room feeds them.
    struct Room {
        herd: Herd,
        queue: LockQueue,
        recipe: LockRecipeKind,
        seq: u64,
    }

    impl Room {
        fn new(recipe: LockRecipeKind) -> Self {
            let mut room = Room {
                herd: Herd::default(),
                queue: LockQueue::default(),
                recipe,
                seq: 0,
            };
            room.on([RoomEvent::RecipeChanged { recipe }]);
            room
        }

        fn on(&mut self, events: impl IntoIterator<Item = RoomEvent>) -> &mut Self {
            for e in events {
                self.seq += 1;
                self.herd.apply(self.recipe, &self.queue, &e);
                self.queue.apply(self.seq, &e);
                match e {
                    RoomEvent::RecipeChanged { recipe } => self.recipe = recipe,
                    RoomEvent::ClientClosed { client, .. } => {
                        self.queue.remove_client(client);
                    }
                    _ => {}
                }
            }
            self
        }

        /// Client `id` connects and creates node `id - 1`.
        fn join(&mut self, id: ClientId) -> &mut Self {
            let session = SessionId(id.into());
            self.on([
                RoomEvent::ClientAdded {
                    client: id,
                    owner: None,
                },
                RoomEvent::ClientConnected {
                    client: id,
                    session,
                    timeout_ms: 5000,
                },
                RoomEvent::NodeCreatedByClient {
                    client: id,
                    path: node(id - 1),
                },
                RoomEvent::ZnodeAdded {
                    node: Znode::read(node(id - 1), id.into(), session, ""),
                },
            ])
        }

        fn last_handoff(&self) -> Option<u64> {
            self.herd.of(self.recipe).and_then(|h| h.last_handoff)
        }
    }

    fn gained(client: ClientId) -> RoomEvent {
        RoomEvent::LockGained {
            client,
            path: node(client - 1),
        }
    }

    fn released(client: ClientId) -> RoomEvent {
        RoomEvent::LockReleased {
            client,
            path: node(client - 1),
        }
    }

    fn fired(client: ClientId, path: &str) -> RoomEvent {
        RoomEvent::WatchFired {
            client,
            path: path.to_string(),
            event: WatchedKind::NodeDeleted,
        }
    }

    fn watches(client: ClientId, path: &str, call: WatchCall) -> RoomEvent {
        RoomEvent::WatchSet {
            client,
            path: path.to_string(),
            call,
        }
    }

    /// `n` clients under a children watch, as the seed's `DistributedClient2` queues them:
    /// every client that joins tells each waiter already watching, which lists and watches
    /// again.
    fn children_queue(n: u32) -> Room {
        let mut room = Room::new(LockRecipeKind::ChildrenWatch);
        room.join(1).on([gained(1)]);
        for id in 2..=n {
            room.join(id);
            for waiter in 2..id {
                room.on([
                    fired(waiter, LOCK_DIR),
                    watches(waiter, LOCK_DIR, WatchCall::GetChildren),
                ]);
            }
            room.on([watches(id, LOCK_DIR, WatchCall::GetChildren)]);
        }
        room
    }

    #[test]
    fn a_hand_off_counts_from_the_release_not_from_the_last_gain() {
        // Ten under a children watch: the queue's forming tells 1 + 2 + ... + 8 waiters.
        let mut room = children_queue(10);
        assert_eq!(room.herd.since_gain, 36);
        assert_eq!(
            room.last_handoff(),
            Some(0),
            "the first gain took the free lock"
        );
        room.on([released(1), RoomEvent::ZnodeRemoved { path: node(0) }]);
        room.on((2..=10).map(|w| fired(w, LOCK_DIR)))
            .on([gained(2)]);
        assert_eq!(
            room.last_handoff(),
            Some(9),
            "the release told nine, not 45"
        );
        assert_eq!(room.herd.handoff, None);
        let stats = room.herd.of(LockRecipeKind::ChildrenWatch).unwrap();
        assert_eq!(
            stats.round_notifications,
            36 + 9,
            "the round counts the forming too"
        );
    }

    #[test]
    fn notifications_reported_after_the_gain_still_count_for_the_hand_off() {
        // Step mode: the next one acts on its notification and gains before the others act.
        let mut room = children_queue(4);
        room.on([released(1), fired(2, LOCK_DIR), gained(2)]);
        assert_eq!(room.last_handoff(), Some(1));
        room.on([
            RoomEvent::ZnodeRemoved { path: node(0) },
            fired(3, LOCK_DIR),
            watches(3, LOCK_DIR, WatchCall::GetChildren),
        ]);
        assert_eq!(room.last_handoff(), Some(2));
        // A client that goes owes nothing more.
        room.on([RoomEvent::ClientClosed {
            client: 4,
            reason: CloseReason::Crashed,
        }]);
        assert_eq!(room.herd.handoff, None);
        // Later notifications are no part of that hand-off: client 5 joining tells client 3.
        room.join(5).on([fired(3, LOCK_DIR)]);
        assert_eq!(room.last_handoff(), Some(2));
    }

    /// Three under the predecessor recipe: 2 watches 1's node, 3 watches 2's.
    fn predecessor_queue() -> Room {
        let mut room = Room::new(LockRecipeKind::Predecessor);
        room.join(1).on([gained(1)]);
        room.join(2).on([watches(2, &node(0), WatchCall::GetData)]);
        room.join(3).on([watches(3, &node(1), WatchCall::GetData)]);
        room
    }

    #[test]
    fn a_holder_that_is_killed_or_expires_lets_go_when_it_goes() {
        // Killed: its node stays until its session expires, then the next one is told.
        let mut killed = predecessor_queue();
        killed.on([RoomEvent::ClientClosed {
            client: 1,
            reason: CloseReason::Killed,
        }]);
        // A waiter's crash meanwhile tells the one behind it: the fixed recipe's re-watch.
        killed.on([
            RoomEvent::ClientClosed {
                client: 2,
                reason: CloseReason::Crashed,
            },
            RoomEvent::ZnodeRemoved { path: node(1) },
            fired(3, &node(1)),
            watches(3, &node(0), WatchCall::Exists),
        ]);
        killed.on([
            RoomEvent::ZnodeRemoved { path: node(0) },
            fired(3, &node(0)),
            gained(3),
        ]);
        assert_eq!(killed.last_handoff(), Some(2), "from the kill to the gain");

        // Expired while paused: the notification may be reported before the node's removal.
        let mut paused = predecessor_queue();
        paused.on([fired(2, &node(0)), gained(2)]);
        assert_eq!(paused.last_handoff(), Some(1));
    }

    #[test]
    fn a_switch_and_a_second_holder_are_no_hand_off() {
        let mut room = predecessor_queue();
        room.on([released(1), fired(2, &node(0)), gained(2)]);
        assert_eq!(room.last_handoff(), Some(1));
        // The switch closes every client; one told meanwhile gains under the old recipe.
        room.on([
            RoomEvent::ClientClosed {
                client: 2,
                reason: CloseReason::RecipeSwitched,
            },
            RoomEvent::ZnodeRemoved { path: node(1) },
            fired(3, &node(1)),
            gained(3),
        ]);
        assert_eq!(room.last_handoff(), Some(1));
        assert_eq!(room.herd.handoff, None);

        // The crash bug: a waiter goes, the one behind it takes the lock while 1 still holds.
        let mut naive = Room::new(LockRecipeKind::PredecessorNaive);
        naive.join(1).on([gained(1)]);
        naive.join(2).on([watches(2, &node(0), WatchCall::GetData)]);
        naive.join(3).on([watches(3, &node(1), WatchCall::GetData)]);
        naive.on([
            RoomEvent::ClientClosed {
                client: 2,
                reason: CloseReason::Crashed,
            },
            RoomEvent::ZnodeRemoved { path: node(1) },
            fired(3, &node(1)),
            gained(3),
        ]);
        assert_eq!(naive.last_handoff(), Some(0), "only the first gain's");
        assert_eq!(
            naive
                .herd
                .of(LockRecipeKind::PredecessorNaive)
                .unwrap()
                .handoffs,
            2
        );
    }
}
