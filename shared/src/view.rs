//! `RoomView`: a room's lock queue and clients as the server knows them, and how events change it.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::protocol::{ClientId, RoomEvent, WatchCall};

/// How many recent events a view keeps for the event log.
pub const LOG_CAPACITY: usize = 200;

/// A room: its lock queue as ZooKeeper has it, and the lock clients the server runs in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub room: String,
    /// The `seq` of the last event applied; the next event has `seq + 1`.
    pub seq: u64,
    pub hold_ms: u64,
    /// Children of `/locks`, in sequence order.
    pub nodes: Vec<Znode>,
    /// The room's lock clients, by id.
    pub clients: Vec<LockClientView>,
    /// Sessions of clients that left the room while ZooKeeper still shows their nodes
    /// (a crashed client's node lingers until its session is really gone).
    pub departed: Vec<String>,
    /// The latest events, oldest first, at most `LOG_CAPACITY`.
    pub log: VecDeque<LogEntry>,
    /// Watch notifications delivered to the room's clients since the room started.
    pub watch_notifications: u64,
}

/// A child of `/locks` as the room's observer session saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Znode {
    /// Chroot-relative, e.g. `/locks/sub0000000003`.
    pub path: String,
    pub czxid: i64,
    /// The owning session (`ephemeralOwner`) in hex, `0x0` for a persistent node.
    pub owner_session: String,
}

/// One lock client and what its recipe is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockClientView {
    pub id: ClientId,
    /// Its ZooKeeper session id in hex, once connected.
    pub session: Option<String>,
    pub phase: ClientPhase,
    /// Its own lock node (`thisPath`), once created.
    pub path: Option<String>,
    /// The watch it waits on (`waitPath`), if any.
    pub watching: Option<Watch>,
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
}

/// How a lock node is drawn (`data-state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    Holding,
    Waiting,
    /// Its client crashed (or otherwise left); ZooKeeper has not removed the node yet.
    Crashed,
    /// Created by a session that is not one of the room's clients.
    External,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Holding => "holding",
            NodeState::Waiting => "waiting",
            NodeState::Crashed => "crashed",
            NodeState::External => "external",
        }
    }
}

/// One event as the log keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: u64,
    pub at_ms: u64,
    pub event: RoomEvent,
}

/// Room names become a znode path segment, so they are kept to a safe alphabet.
pub fn is_valid_room_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl RoomView {
    pub fn new(room: impl Into<String>, hold_ms: u64) -> Self {
        RoomView {
            room: room.into(),
            hold_ms,
            ..RoomView::default()
        }
    }

    pub fn client(&self, id: ClientId) -> Option<&LockClientView> {
        self.clients.iter().find(|c| c.id == id)
    }

    fn client_mut(&mut self, id: ClientId) -> Option<&mut LockClientView> {
        self.clients.iter_mut().find(|c| c.id == id)
    }

    /// The room's client whose session owns this node, if any.
    pub fn owner(&self, node: &Znode) -> Option<&LockClientView> {
        self.clients
            .iter()
            .find(|c| c.session.as_deref() == Some(node.owner_session.as_str()))
    }

    pub fn node_state(&self, node: &Znode) -> NodeState {
        match self.owner(node) {
            Some(c) if c.phase == ClientPhase::Holding => NodeState::Holding,
            Some(_) => NodeState::Waiting,
            None if self.departed.contains(&node.owner_session) => NodeState::Crashed,
            None => NodeState::External,
        }
    }

    /// Clients that believe they hold the lock right now.
    pub fn holders(&self) -> impl Iterator<Item = &LockClientView> {
        self.clients
            .iter()
            .filter(|c| c.phase == ClientPhase::Holding)
    }

    /// Applies one event. Events from different sessions may arrive in any order relative to
    /// the observer's `znode_*` events, so nothing here assumes one came before the other.
    pub fn apply(&mut self, seq: u64, at_ms: u64, event: &RoomEvent) {
        self.seq = seq;
        match event {
            RoomEvent::ClientAdded { client } => {
                if self.client(*client).is_none() {
                    self.clients.push(LockClientView {
                        id: *client,
                        session: None,
                        phase: ClientPhase::Connecting,
                        path: None,
                        watching: None,
                    });
                    self.clients.sort_by_key(|c| c.id);
                }
            }
            RoomEvent::ClientConnected { client, session } => {
                if let Some(c) = self.client_mut(*client) {
                    c.session = Some(session.clone());
                    c.phase = ClientPhase::Contending;
                }
            }
            RoomEvent::NodeCreatedByClient { client, path } => {
                if let Some(c) = self.client_mut(*client) {
                    c.path = Some(path.clone());
                }
            }
            RoomEvent::ChildrenListed { .. } | RoomEvent::ClientError { .. } => {}
            RoomEvent::WatchSet { client, path, call } => {
                if let Some(c) = self.client_mut(*client) {
                    c.phase = ClientPhase::Waiting;
                    c.watching = Some(Watch {
                        path: path.clone(),
                        call: *call,
                    });
                }
            }
            RoomEvent::WatchFired { client, .. } => {
                self.watch_notifications += 1;
                if let Some(c) = self.client_mut(*client) {
                    c.watching = None;
                    c.phase = ClientPhase::Contending;
                }
            }
            RoomEvent::LockGained { client, .. } => {
                if let Some(c) = self.client_mut(*client) {
                    c.phase = ClientPhase::Holding;
                    c.watching = None;
                }
            }
            RoomEvent::LockReleased { client, .. } => {
                if let Some(c) = self.client_mut(*client) {
                    c.phase = ClientPhase::Contending;
                }
            }
            RoomEvent::ClientClosed { client, .. } => {
                if let Some(at) = self.clients.iter().position(|c| c.id == *client) {
                    let gone = self.clients.remove(at);
                    if let Some(session) = gone.session {
                        if self.nodes.iter().any(|n| n.owner_session == session) {
                            self.departed.push(session);
                        }
                    }
                }
            }
            RoomEvent::ZnodeAdded { node } => {
                if let Err(at) = self.nodes.binary_search_by(|n| n.path.cmp(&node.path)) {
                    self.nodes.insert(at, node.clone());
                }
            }
            RoomEvent::ZnodeRemoved { path } => {
                self.nodes.retain(|n| &n.path != path);
                let nodes = &self.nodes;
                self.departed
                    .retain(|s| nodes.iter().any(|n| &n.owner_session == s));
            }
            RoomEvent::HoldChanged { hold_ms } => self.hold_ms = *hold_ms,
        }
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            seq,
            at_ms,
            event: event.clone(),
        });
    }
}
