//! The herd, counted: watch notifications delivered to lock clients, per recipe, per hand-off
//! and per round, beside what each recipe predicts.

use serde::{Deserialize, Serialize};

use crate::protocol::{LockRecipeKind, RoomEvent};
use crate::view::LockQueue;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Herd {
    /// The figures of each recipe used, in the order recipes were used.
    pub recipes: Vec<HerdStats>,
    /// Notifications delivered to lock clients since the last `lock_gained`.
    pub since_gain: u64,
    /// Notifications delivered to the room's lock clients since the room started.
    pub total: u64,
}

/// Watch notifications delivered to lock clients under one recipe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HerdStats {
    pub recipe: LockRecipeKind,
    /// Lock clients started under this recipe.
    pub clients: u64,
    /// `lock_gained` events.
    pub handoffs: u64,
    pub notifications: u64,
    /// Notifications delivered between the last two gains.
    pub last_handoff: Option<u64>,
    /// Clients of the latest round: a round starts when a client joins an empty room.
    pub round_clients: u64,
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

    /// What the recipe predicts for the latest round's clients.
    pub fn round_predicted(&self) -> u64 {
        self.recipe.predicted_notifications(self.round_clients)
    }
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
    /// event: a round starts when a client joins an empty queue, and only lock clients'
    /// notifications are the herd (an app client's are the registry's).
    pub fn apply(&mut self, recipe: LockRecipeKind, queue: &LockQueue, event: &RoomEvent) {
        match event {
            RoomEvent::ClientAdded { .. } => {
                let herd = self.of_mut(recipe);
                if queue.clients.is_empty() {
                    herd.round_clients = 0;
                    herd.round_notifications = 0;
                }
                herd.clients += 1;
                herd.round_clients += 1;
            }
            RoomEvent::WatchFired { client, .. } if queue.client(*client).is_some() => {
                self.total += 1;
                self.since_gain += 1;
                let herd = self.of_mut(recipe);
                herd.notifications += 1;
                herd.round_notifications += 1;
            }
            RoomEvent::LockGained { .. } => {
                let since = std::mem::take(&mut self.since_gain);
                let herd = self.of_mut(recipe);
                herd.handoffs += 1;
                herd.last_handoff = Some(since);
            }
            RoomEvent::RecipeChanged { recipe } => {
                self.since_gain = 0;
                self.of_mut(*recipe);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientId, WatchedKind};

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
        apply(&mut herd, &mut queue, p, gained(1));
        apply(&mut herd, &mut queue, p, fired(2));
        apply(&mut herd, &mut queue, p, gained(2));
        // Client 9 is no lock client (an app client): its notification is not the herd's.
        apply(&mut herd, &mut queue, p, fired(9));
        apply(&mut herd, &mut queue, p, fired(3));
        apply(&mut herd, &mut queue, p, gained(3));
        let stats = herd.of(p).unwrap();
        assert_eq!(
            (stats.clients, stats.handoffs, stats.notifications),
            (3, 3, 2)
        );
        assert_eq!(stats.last_handoff, Some(1));
        assert_eq!(stats.round_predicted(), 2);
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
}
