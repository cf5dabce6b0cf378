//! The lock queue: the children of `/locks` as ZooKeeper has them, the room's lock clients and
//! what their recipe is doing, and the moments two of them held the lock at once.

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::kinds::{ClientId, WatchCall};
use crate::session::SessionId;
use crate::znode::{fill_read, insert_sorted, Znode};

/// How many violations the queue keeps.
pub const VIOLATION_CAPACITY: usize = 20;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockQueue {
    /// Children of `/locks`, in sequence order.
    pub nodes: Vec<Znode>,
    /// The room's lock clients, by id.
    pub clients: Vec<LockClientView>,
    /// Moments two clients held the lock at once, latest last.
    pub violations: Vec<Violation>,
}

/// One lock client and what its recipe is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockClientView {
    pub id: ClientId,
    /// Its ZooKeeper session, once connected.
    pub session: Option<SessionId>,
    /// The negotiated session timeout, once connected.
    pub timeout_ms: Option<u64>,
    pub phase: ClientPhase,
    /// Its own lock node (`thisPath`), once created.
    pub path: Option<String>,
    /// The watch it waits on (`waitPath`), if any.
    pub watching: Option<Watch>,
    /// The line of the room's own recipe its last call was made at (a learner's recipe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// An armed one-shot watch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    pub path: String,
    pub call: WatchCall,
}

/// Where a lock client is in the recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientPhase {
    Connecting,
    /// Connected; creating or listing.
    Contending,
    /// Watching its predecessor.
    Waiting,
    Holding,
    /// A careful holder that lost its connection: it holds its node but does not act on it.
    Suspended,
    /// It printed `finished:` and is deleting its node: the lock is being let go.
    Releasing,
}

/// Two holders at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub seq: u64,
    pub first: ClientId,
    pub first_path: String,
    pub second: ClientId,
    pub second_path: String,
    /// Why the first still believed it held when the second gained, as the room saw it then.
    #[serde(default)]
    pub cause: ViolationCause,
}

/// Why two clients held the lock at once, read from the room at the moment the second gained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViolationCause {
    /// The first's node was still there: the second took a notification for a release (the
    /// crash bug: its predecessor `watched` was a waiter that went, not the holder).
    TrustedNotification { watched: Option<String> },
    /// The first was frozen past its session timeout: ZooKeeper expired its session and
    /// deleted its node, and the first, paused, still believes it holds.
    ExpiredWhilePaused,
    /// The first is cut off from ZooKeeper and works on: its session expired behind its back.
    Partitioned,
    /// The first's node is gone for a reason the room did not see.
    #[default]
    Unknown,
}

impl Violation {
    /// Both clients still believe they hold: the overlap is going on.
    pub fn ongoing(&self, queue: &LockQueue) -> bool {
        let holds = |id| {
            queue
                .client(id)
                .is_some_and(|c| c.phase == ClientPhase::Holding)
        };
        holds(self.first) && holds(self.second)
    }
}

impl LockQueue {
    /// The latest overlap, while both its clients still believe they hold; `None` once it is
    /// over (the log keeps the episode).
    pub fn ongoing_violation(&self) -> Option<&Violation> {
        self.violations.last().filter(|v| v.ongoing(self))
    }

    pub fn client(&self, id: ClientId) -> Option<&LockClientView> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub(crate) fn client_mut(&mut self, id: ClientId) -> Option<&mut LockClientView> {
        self.clients.iter_mut().find(|c| c.id == id)
    }

    /// The room's client whose session owns this node, if any. Until the node's read is back,
    /// a client of the room knows its own node from its create's answer.
    pub fn owner(&self, node: &Znode) -> Option<&LockClientView> {
        match node.owner_session() {
            Some(owner) => self.clients.iter().find(|c| c.session == Some(owner)),
            None => self
                .clients
                .iter()
                .find(|c| c.path.as_deref() == Some(node.path.as_str())),
        }
    }

    /// The holder as ZooKeeper has it: the owner of the smallest node, if it holds. A paused or
    /// cut-off client may still believe it holds a node that is gone; it is not this one.
    pub fn holder(&self) -> Option<&LockClientView> {
        let owner = self.owner(self.nodes.first()?)?;
        (owner.phase == ClientPhase::Holding).then_some(owner)
    }

    /// How many clients have a watch armed.
    pub fn armed(&self) -> usize {
        self.clients.iter().filter(|c| c.watching.is_some()).count()
    }

    /// The clients waiting for the lock, in queue order (by their nodes).
    pub fn waiters_in_order(&self) -> Vec<&LockClientView> {
        let mut waiting: Vec<&LockClientView> = self
            .clients
            .iter()
            .filter(|c| c.phase == ClientPhase::Waiting && c.path.is_some())
            .collect();
        waiting.sort_by(|a, b| a.path.cmp(&b.path));
        waiting
    }

    /// Clients that believe they hold the lock right now.
    pub fn holders(&self) -> impl Iterator<Item = &LockClientView> {
        self.clients
            .iter()
            .filter(|c| c.phase == ClientPhase::Holding)
    }

    /// Removes a lock client; returns its session and timeout if it was one of the queue's.
    pub(super) fn remove_client(
        &mut self,
        id: ClientId,
    ) -> Option<(Option<SessionId>, Option<u64>)> {
        let at = self.clients.iter().position(|c| c.id == id)?;
        let c = self.clients.remove(at);
        Some((c.session, c.timeout_ms))
    }

    /// Folds the events that concern the queue (a client's closing is the room's, which knows
    /// what else it touches).
    pub fn apply(&mut self, seq: u64, event: &RoomEvent) {
        match event {
            RoomEvent::ClientAdded { client, .. } if self.client(*client).is_none() => {
                self.clients.push(LockClientView {
                    id: *client,
                    session: None,
                    timeout_ms: None,
                    phase: ClientPhase::Connecting,
                    path: None,
                    watching: None,
                    line: None,
                });
                self.clients.sort_by_key(|c| c.id);
            }
            RoomEvent::Violation {
                first,
                first_path,
                second,
                second_path,
            } => {
                if self.violations.len() == VIOLATION_CAPACITY {
                    self.violations.remove(0);
                }
                self.violations.push(Violation {
                    seq,
                    first: *first,
                    first_path: first_path.clone(),
                    second: *second,
                    second_path: second_path.clone(),
                    cause: ViolationCause::Unknown,
                });
            }
            RoomEvent::ZnodeAdded { node } if node.path.starts_with(crate::znode::LOCK_DIR) => {
                insert_sorted(&mut self.nodes, node);
            }
            RoomEvent::ZnodeRead { path, read } if path.starts_with(crate::znode::LOCK_DIR) => {
                fill_read(&mut self.nodes, path, read);
            }
            RoomEvent::ZnodeRemoved { path } => self.nodes.retain(|n| &n.path != path),
            _ => {
                if let Some(c) = event.client().and_then(|id| self.client_mut(id)) {
                    c.apply(event);
                }
            }
        }
    }
}

impl LockClientView {
    /// Folds an event about this client: where its recipe stands.
    fn apply(&mut self, event: &RoomEvent) {
        match event {
            RoomEvent::ClientConnected {
                session,
                timeout_ms,
                ..
            } => {
                self.session = Some(*session);
                self.timeout_ms = Some(*timeout_ms);
                self.phase = ClientPhase::Contending;
            }
            RoomEvent::NodeCreatedByClient { path, .. } => self.path = Some(path.clone()),
            RoomEvent::WatchSet { path, call, .. } => {
                self.phase = ClientPhase::Waiting;
                self.watching = Some(Watch {
                    path: path.clone(),
                    call: *call,
                });
            }
            RoomEvent::WatchFired { .. } => {
                self.watching = None;
                if self.phase == ClientPhase::Waiting {
                    self.phase = ClientPhase::Contending;
                }
            }
            RoomEvent::LockGained { .. } => {
                self.phase = ClientPhase::Holding;
                self.watching = None;
            }
            RoomEvent::LockSuspended { .. } => self.phase = ClientPhase::Suspended,
            RoomEvent::LockResumed { .. } => self.phase = ClientPhase::Holding,
            RoomEvent::LockReleased { .. } => self.phase = ClientPhase::Releasing,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::WatchedKind;

    fn node(n: u32, owner: i64) -> Znode {
        Znode::read(format!("/locks/sub{n:010}"), n.into(), SessionId(owner), "")
    }

    #[test]
    fn a_hand_off_moves_the_phases_and_the_watch() {
        let mut q = LockQueue::default();
        let events = [
            RoomEvent::ClientAdded {
                client: 2,
                owner: None,
            },
            RoomEvent::ClientAdded {
                client: 1,
                owner: None,
            },
            RoomEvent::ClientConnected {
                client: 1,
                session: SessionId(1),
                timeout_ms: 5000,
            },
            RoomEvent::ClientConnected {
                client: 2,
                session: SessionId(2),
                timeout_ms: 5000,
            },
            // The observer's report may come before the client's own.
            RoomEvent::ZnodeAdded { node: node(1, 2) },
            RoomEvent::ZnodeAdded { node: node(0, 1) },
            RoomEvent::LockGained {
                client: 1,
                path: "/locks/sub0000000000".into(),
            },
            RoomEvent::WatchSet {
                client: 2,
                path: "/locks/sub0000000000".into(),
                call: WatchCall::GetData,
            },
        ];
        for (i, e) in events.iter().enumerate() {
            q.apply(i as u64 + 1, e);
        }
        assert_eq!(q.clients.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(q.nodes[0], node(0, 1), "nodes in sequence order");
        assert_eq!(q.owner(&q.nodes[1]).map(|c| c.id), Some(2));
        assert_eq!(q.holders().map(|c| c.id).collect::<Vec<_>>(), [1]);
        assert_eq!(q.client(2).unwrap().phase, ClientPhase::Waiting);
        q.apply(
            9,
            &RoomEvent::ZnodeRemoved {
                path: "/locks/sub0000000000".into(),
            },
        );
        q.apply(
            10,
            &RoomEvent::WatchFired {
                client: 2,
                path: "/locks/sub0000000000".into(),
                event: WatchedKind::NodeDeleted,
            },
        );
        let waiter = q.client(2).unwrap();
        assert_eq!(
            (waiter.phase, &waiter.watching),
            (ClientPhase::Contending, &None)
        );
        assert_eq!(q.nodes.len(), 1);
        assert_eq!(q.remove_client(1), Some((Some(SessionId(1)), Some(5000))));
        assert_eq!(q.remove_client(1), None);
    }

    #[test]
    fn violations_keep_the_latest() {
        let mut q = LockQueue::default();
        for seq in 0..(VIOLATION_CAPACITY as u64 + 3) {
            q.apply(
                seq,
                &RoomEvent::Violation {
                    first: 1,
                    first_path: "/locks/a".into(),
                    second: 2,
                    second_path: "/locks/b".into(),
                },
            );
        }
        assert_eq!(q.violations.len(), VIOLATION_CAPACITY);
        assert_eq!(q.violations[0].seq, 3);
    }
}
