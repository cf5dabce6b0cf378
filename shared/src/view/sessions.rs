//! Sessions as their clients see them (state, member, a frozen link), and the sessions of
//! clients that left while ZooKeeper still shows their nodes.

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::kinds::{ClientId, CloseReason, SessionStatus};
use crate::session::SessionId;
use crate::znode::Znode;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    /// How each client's session is doing, as the client itself sees it.
    pub liveness: Vec<Liveness>,
    /// Clients that left the room while ZooKeeper still shows their nodes (a killed client's
    /// node lingers until its session expires).
    pub departed: Vec<Departed>,
}

/// A client's own view of its session, and whether its connection is frozen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liveness {
    pub client: ClientId,
    pub state: SessionStatus,
    /// The ensemble member its connection goes to.
    pub member: Option<String>,
    /// While paused: when the connection opens again (server clock).
    pub frozen_until: Option<u64>,
    /// While cut off from ZooKeeper: when the partition heals (server clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitioned_until: Option<u64>,
}

/// A client that left the room while its session's nodes remain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departed {
    pub client: ClientId,
    pub session: SessionId,
    pub reason: CloseReason,
    /// When it left (server clock, ms since the epoch).
    pub at_ms: u64,
    /// Its negotiated session timeout: a killed session's nodes go by `at_ms + timeout_ms`
    /// (rounded up to the server's next tick).
    pub timeout_ms: Option<u64>,
    /// When ZooKeeper's leader expires the session, where it said so (a session of an earlier
    /// run of the server, whose last moment this run cannot know).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<u64>,
}

impl Departed {
    /// When its nodes go, if anyone can say: the leader's word for an earlier run's session, a
    /// killed session's last moment plus its timeout; a closed session's are gone already.
    pub fn deadline_ms(&self) -> Option<u64> {
        match self.reason {
            CloseReason::ServerDied => self.expires_at_ms,
            CloseReason::Killed => Some(self.at_ms + self.timeout_ms?),
            _ => None,
        }
    }
}

impl Sessions {
    pub fn liveness(&self, client: ClientId) -> Option<&Liveness> {
        self.liveness.iter().find(|l| l.client == client)
    }

    fn liveness_mut(&mut self, client: ClientId) -> Option<&mut Liveness> {
        self.liveness.iter_mut().find(|l| l.client == client)
    }

    /// The client that owned this node and has left the room, if any.
    pub fn departed_owner(&self, node: &Znode) -> Option<&Departed> {
        let owner = node.owner_session()?;
        self.departed.iter().find(|d| d.session == owner)
    }

    /// A client left; its session is remembered while `owns_nodes` says ZooKeeper still has
    /// nodes of it.
    pub(super) fn left(&mut self, gone: Departed, owns_nodes: bool) {
        self.liveness.retain(|l| l.client != gone.client);
        if owns_nodes {
            self.departed.push(gone);
        }
    }

    /// A session of an earlier run of the server, told again when its expiry moves: its entry
    /// is replaced, and no client of this run is touched (client numbers start again with
    /// each run).
    pub(super) fn earlier(&mut self, gone: Departed) {
        match self.departed.iter_mut().find(|d| d.session == gone.session) {
            Some(known) => *known = gone,
            None => self.departed.push(gone),
        }
    }

    /// After a node left ZooKeeper: forget the departed sessions that own no node any more.
    pub(super) fn keep_departed(&mut self, still_owns: impl Fn(SessionId) -> bool) {
        self.departed.retain(|d| still_owns(d.session));
    }

    pub fn apply(&mut self, event: &RoomEvent) {
        match event {
            RoomEvent::SessionChanged {
                client,
                state,
                member,
            } => match self.liveness_mut(*client) {
                Some(live) => {
                    live.state = *state;
                    live.member = member.clone();
                }
                None => self.liveness.push(Liveness {
                    client: *client,
                    state: *state,
                    member: member.clone(),
                    frozen_until: None,
                    partitioned_until: None,
                }),
            },
            RoomEvent::LinkChanged {
                client,
                frozen,
                until_ms,
            } => {
                if let Some(live) = self.liveness_mut(*client) {
                    live.frozen_until = until_ms.filter(|_| *frozen);
                }
            }
            RoomEvent::PartitionChanged {
                client,
                partitioned,
                until_ms,
            } => {
                if let Some(live) = self.liveness_mut(*client) {
                    live.partitioned_until = until_ms.filter(|_| *partitioned);
                }
            }
            RoomEvent::ClientClosed { client, .. } => self.liveness.retain(|l| l.client != *client),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_follows_session_and_link_changes_and_leaves_with_the_client() {
        let mut s = Sessions::default();
        let events = [
            RoomEvent::SessionChanged {
                client: 1,
                state: SessionStatus::Connected,
                member: Some("127.0.0.1:4180".into()),
            },
            RoomEvent::LinkChanged {
                client: 1,
                frozen: true,
                until_ms: Some(9_000),
            },
            RoomEvent::SessionChanged {
                client: 1,
                state: SessionStatus::Disconnected,
                member: Some("127.0.0.1:4180".into()),
            },
        ];
        for e in &events {
            s.apply(e);
        }
        let live = s.liveness(1).unwrap();
        assert_eq!(live.state, SessionStatus::Disconnected);
        assert_eq!(live.frozen_until, Some(9_000));
        s.apply(&RoomEvent::LinkChanged {
            client: 1,
            frozen: false,
            until_ms: None,
        });
        assert_eq!(s.liveness(1).unwrap().frozen_until, None);
        s.apply(&RoomEvent::ClientClosed {
            client: 1,
            reason: CloseReason::Expired,
        });
        assert!(s.liveness(1).is_none());
    }
}
