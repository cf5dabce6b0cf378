//! The numbers a learner reads: lock clients, servers and app clients each counted from 1 in a
//! room's run, whatever the server's ids (which go on across resets, and are shared by every
//! kind of client). Lock clients count from 1 again whenever the queue starts afresh (empty:
//! no lock client, no node; or a recipe switch), as a lesson's "the first client" does.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::kinds::ClientId;

/// What kind of session a client of the room is; each kind is counted on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Lock,
    Server,
    App,
}

/// A client as a learner calls it: the `n` of "client n".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientName {
    pub kind: ClientKind,
    pub number: u32,
}

/// Every client's number since the room last started afresh (a reset or a lesson's step).
///
/// A client keeps its number while the room runs: a crashed client 2's lines in the log stay
/// its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientNames {
    clients: BTreeMap<ClientId, ClientName>,
    /// Lock clients counted since the queue was last empty.
    #[serde(default)]
    locks_counted: u32,
}

impl ClientNames {
    /// Folds `event`; `queue_empty` says whether the room had no lock client and no lock node
    /// before it.
    pub fn apply(&mut self, event: &RoomEvent, queue_empty: bool) {
        let (client, kind) = match event {
            RoomEvent::ClientAdded { client, .. } => (*client, ClientKind::Lock),
            RoomEvent::ServerAdded { client, .. } => (*client, ClientKind::Server),
            RoomEvent::AppClientAdded { client } => (*client, ClientKind::App),
            RoomEvent::RoomReset => {
                *self = ClientNames::default();
                return;
            }
            // A recipe switch closes every lock client: the queue starts afresh, even while
            // the old nodes are still going.
            RoomEvent::RecipeChanged { .. } => {
                self.locks_counted = 0;
                return;
            }
            _ => return,
        };
        let number = match kind {
            ClientKind::Lock => {
                if queue_empty {
                    self.locks_counted = 0;
                }
                self.locks_counted += 1;
                self.locks_counted
            }
            _ => self.clients.values().filter(|n| n.kind == kind).count() as u32 + 1,
        };
        self.clients.insert(client, ClientName { kind, number });
    }

    /// The learner's number of a client, if the room named it in this run.
    pub fn get(&self, client: ClientId) -> Option<ClientName> {
        self.clients.get(&client).copied()
    }

    /// How to write a client's number: its learner's number, or `#id` for one this run never
    /// named (a snapshot from before names were kept), which no learner's number can be taken
    /// for.
    pub fn number(&self, client: ClientId) -> ClientNumber {
        match self.get(client) {
            Some(name) => ClientNumber::Named(name.number),
            None => ClientNumber::Unnamed(client),
        }
    }
}

/// A client's number as written: `3`, or `#17` for one the room did not name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientNumber {
    Named(u32),
    Unnamed(ClientId),
}

impl fmt::Display for ClientNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientNumber::Named(n) => write!(f, "{n}"),
            ClientNumber::Unnamed(id) => write!(f, "#{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(client: ClientId) -> RoomEvent {
        RoomEvent::ClientAdded {
            client,
            owner: None,
        }
    }

    #[test]
    fn each_kind_counts_from_one_and_a_reset_starts_again() {
        let mut names = ClientNames::default();
        names.apply(&RoomEvent::AppClientAdded { client: 1 }, true);
        names.apply(&added(2), true);
        names.apply(&added(3), false);
        names.apply(
            &RoomEvent::ServerAdded {
                client: 4,
                name: "192.168.1.1:8080".into(),
                owner: None,
            },
            false,
        );
        assert_eq!(names.number(1).to_string(), "1");
        assert_eq!(names.number(2).to_string(), "1");
        assert_eq!(names.number(3).to_string(), "2");
        assert_eq!(
            names.get(4).map(|n| (n.kind, n.number)),
            Some((ClientKind::Server, 1))
        );
        // A client that leaves keeps its number: the next one does not take it.
        names.apply(
            &RoomEvent::ClientClosed {
                client: 2,
                reason: crate::kinds::CloseReason::Crashed,
            },
            false,
        );
        names.apply(&added(5), false);
        assert_eq!(names.number(5).to_string(), "3");
        assert_eq!(names.number(2).to_string(), "1");
        // The queue emptied (a recipe switch closed every lock client): it counts afresh,
        // and the clients that were keep their numbers in the log.
        names.apply(&added(6), true);
        assert_eq!(names.number(6).to_string(), "1");
        assert_eq!(names.number(5).to_string(), "3");

        names.apply(&added(7), false);
        names.apply(
            &RoomEvent::RecipeChanged {
                recipe: crate::kinds::LockRecipeKind::Predecessor,
            },
            false,
        );
        names.apply(&added(8), false);
        assert_eq!(
            names.number(8).to_string(),
            "1",
            "a recipe switch starts afresh"
        );

        names.apply(&RoomEvent::RoomReset, false);
        names.apply(&added(21), true);
        assert_eq!(names.number(21).to_string(), "1");
        assert_eq!(names.number(3).to_string(), "#3");
    }
}
