//! The numbers a learner reads: lock clients, servers and app clients each counted from 1 in a
//! room's run, whatever the server's ids (which go on across resets, and are shared by every
//! kind of client).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::protocol::{ClientId, RoomEvent};

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
/// Numbers are never reused within a run: a crashed client 2's lines in the log stay its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientNames {
    names: BTreeMap<ClientId, ClientName>,
}

impl ClientNames {
    pub fn apply(&mut self, event: &RoomEvent) {
        let (client, kind) = match event {
            RoomEvent::ClientAdded { client, .. } => (*client, ClientKind::Lock),
            RoomEvent::ServerAdded { client, .. } => (*client, ClientKind::Server),
            RoomEvent::AppClientAdded { client } => (*client, ClientKind::App),
            RoomEvent::RoomReset => {
                self.names.clear();
                return;
            }
            _ => return,
        };
        let number = self.names.values().filter(|n| n.kind == kind).count() as u32 + 1;
        self.names.insert(client, ClientName { kind, number });
    }

    /// The learner's number of a client, if the room named it in this run.
    pub fn get(&self, client: ClientId) -> Option<ClientName> {
        self.names.get(&client).copied()
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
        names.apply(&RoomEvent::AppClientAdded { client: 1 });
        names.apply(&added(2));
        names.apply(&added(3));
        names.apply(&RoomEvent::ServerAdded {
            client: 4,
            name: "192.168.1.1:8080".into(),
            owner: None,
        });
        assert_eq!(names.number(1).to_string(), "1");
        assert_eq!(names.number(2).to_string(), "1");
        assert_eq!(names.number(3).to_string(), "2");
        assert_eq!(
            names.get(4).map(|n| (n.kind, n.number)),
            Some((ClientKind::Server, 1))
        );
        // A client that leaves keeps its number: the next one does not take it.
        names.apply(&RoomEvent::ClientClosed {
            client: 2,
            reason: crate::protocol::CloseReason::Crashed,
        });
        names.apply(&added(5));
        assert_eq!(names.number(5).to_string(), "3");
        assert_eq!(names.number(2).to_string(), "1");

        names.apply(&RoomEvent::RoomReset);
        names.apply(&added(21));
        assert_eq!(names.number(21).to_string(), "1");
        assert_eq!(names.number(3).to_string(), "#3");
    }
}
