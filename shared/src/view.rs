//! `RoomView`: a room's lock queue and clients as the server knows them, and how events change it.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::protocol::{
    ClientId, CloseReason, LockRecipeKind, RoomEvent, SessionStatus, WatchCall, WriteOutcome,
};
use crate::seed::{SeedListing, SeedPoint};
use crate::time::{TimeMode, TimeView, SLOW_MOVE_MS};

/// How many recent events a view keeps for the event log.
pub const LOG_CAPACITY: usize = 200;
/// How many lines an app client's log keeps.
pub const APP_LOG_CAPACITY: usize = 100;
/// How many violations a view keeps.
pub const VIOLATION_CAPACITY: usize = 20;
/// The registry folder of the seed's AppServer / AppClient.
pub const REGISTRY_DIR: &str = "/sgroup";

/// A room: its lock queue as ZooKeeper has it, and the lock clients the server runs in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub room: String,
    /// The `seq` of the last event applied; the next event has `seq + 1`.
    pub seq: u64,
    pub hold_ms: u64,
    /// The lock recipe new lock clients run.
    pub recipe: LockRecipeKind,
    /// Children of `/locks`, in sequence order.
    pub nodes: Vec<Znode>,
    /// Children of `/sgroup` (the live server list), in sequence order.
    pub registry: Vec<Znode>,
    /// The room's lock clients, by id.
    pub clients: Vec<LockClientView>,
    /// The room's AppServers, by id.
    pub servers: Vec<ServerView>,
    /// The room's AppClients, by id.
    pub app_clients: Vec<AppClientView>,
    /// How each client's session is doing, as the client itself sees it.
    pub liveness: Vec<Liveness>,
    /// Clients that left the room while ZooKeeper still shows their nodes (a killed
    /// client's node lingers until its session expires).
    pub departed: Vec<Departed>,
    /// Moments two clients held the lock at once, latest last.
    pub violations: Vec<Violation>,
    /// The protected resource lock holders write to.
    pub resource: Resource,
    /// Watch notifications counted per lock recipe, in the order recipes were used.
    pub herd: Vec<HerdStats>,
    /// Notifications delivered to lock clients since the last `lock_gained`.
    pub notifications_since_gain: u64,
    /// The latest events, oldest first, at most `LOG_CAPACITY`.
    pub log: VecDeque<LogEntry>,
    /// Watch notifications delivered to the room's lock clients since the room started.
    pub watch_notifications: u64,
    /// The time mode and the moves waiting at the room's gate.
    #[serde(default)]
    pub time: TimeView,
}

/// How many writes the resource log keeps.
pub const RESOURCE_LOG_CAPACITY: usize = 50;

/// A shared register that lock holders write to; with fencing on, it refuses any token lower
/// than the highest it accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub fencing: bool,
    /// The highest token a write landed with.
    pub highest: Option<i64>,
    /// The latest writes, oldest first.
    pub writes: Vec<ResourceWrite>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceWrite {
    pub seq: u64,
    pub client: ClientId,
    pub path: String,
    pub token: i64,
    pub outcome: WriteOutcome,
}

impl Resource {
    /// What a write with `token` comes to now.
    pub fn judge(&self, token: i64) -> WriteOutcome {
        match self.highest {
            Some(highest) if token < highest && self.fencing => WriteOutcome::Rejected,
            Some(highest) if token < highest => WriteOutcome::Corrupted,
            _ => WriteOutcome::Accepted,
        }
    }
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
}

/// A client that left the room while its session's nodes remain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departed {
    pub client: ClientId,
    pub session: String,
    pub reason: CloseReason,
    /// When it left (server clock, ms since the epoch).
    pub at_ms: u64,
    /// Its negotiated session timeout: a killed session's nodes go by `at_ms + timeout_ms`
    /// (rounded up to the server's next tick).
    pub timeout_ms: Option<u64>,
}

/// An AppServer: registered under `/sgroup` with its name as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerView {
    pub id: ClientId,
    pub name: String,
    pub session: Option<String>,
    pub timeout_ms: Option<u64>,
    pub path: Option<String>,
}

/// An AppClient and the lines it printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClientView {
    pub id: ClientId,
    pub session: Option<String>,
    /// `server list updated: [...]` lines, oldest first, at most `APP_LOG_CAPACITY`.
    pub lines: Vec<String>,
}

/// Two holders at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub seq: u64,
    pub first: ClientId,
    pub first_path: String,
    pub second: ClientId,
    pub second_path: String,
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

/// A child of `/locks` as the room's observer session saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Znode {
    /// Chroot-relative, e.g. `/locks/sub0000000003`.
    pub path: String,
    pub czxid: i64,
    /// The owning session (`ephemeralOwner`) in hex, `0x0` for a persistent node.
    pub owner_session: String,
    /// The node's data as text (a registry node's server address; empty for lock nodes).
    #[serde(default)]
    pub data: String,
}

/// One lock client and what its recipe is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockClientView {
    pub id: ClientId,
    /// Its ZooKeeper session id in hex, once connected.
    pub session: Option<String>,
    /// The negotiated session timeout, once connected.
    pub timeout_ms: Option<u64>,
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

/// A server's name is its node's data; kept short and printable.
pub fn is_valid_server_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(&b))
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

    /// The room's AppServer whose session owns this registry node, if any.
    pub fn server_owner(&self, node: &Znode) -> Option<&ServerView> {
        self.servers
            .iter()
            .find(|s| s.session.as_deref() == Some(node.owner_session.as_str()))
    }

    /// The client that owned this node and has left the room, if any.
    pub fn departed_owner(&self, node: &Znode) -> Option<&Departed> {
        self.departed
            .iter()
            .find(|d| d.session == node.owner_session)
    }

    /// True when the node's session belonged to a client that has left the room.
    pub fn is_departed(&self, node: &Znode) -> bool {
        self.departed_owner(node).is_some()
    }

    /// The stats of the room's current recipe.
    pub fn herd_now(&self) -> Option<&HerdStats> {
        self.herd.iter().find(|h| h.recipe == self.recipe)
    }

    /// How a client's session is doing, as the client sees it.
    pub fn liveness(&self, client: ClientId) -> Option<&Liveness> {
        self.liveness.iter().find(|l| l.client == client)
    }

    fn herd_mut(&mut self) -> &mut HerdStats {
        let recipe = self.recipe;
        match self.herd.iter().position(|h| h.recipe == recipe) {
            Some(at) => &mut self.herd[at],
            None => {
                self.herd.push(HerdStats::new(recipe));
                self.herd.last_mut().expect("just pushed")
            }
        }
    }

    fn connected(&mut self, id: ClientId, session: &str, timeout_ms: u64) {
        let session = Some(session.to_string());
        if let Some(c) = self.clients.iter_mut().find(|c| c.id == id) {
            c.session = session;
            c.timeout_ms = Some(timeout_ms);
            c.phase = ClientPhase::Contending;
        } else if let Some(s) = self.servers.iter_mut().find(|s| s.id == id) {
            s.session = session;
            s.timeout_ms = Some(timeout_ms);
        } else if let Some(a) = self.app_clients.iter_mut().find(|a| a.id == id) {
            a.session = session;
        }
    }

    /// Removes a client of any kind; its session is remembered while its nodes remain.
    fn remove_client(&mut self, id: ClientId, reason: CloseReason, at_ms: u64) {
        let (session, timeout_ms) = if let Some(at) = self.clients.iter().position(|c| c.id == id) {
            let c = self.clients.remove(at);
            (c.session, c.timeout_ms)
        } else if let Some(at) = self.servers.iter().position(|s| s.id == id) {
            let s = self.servers.remove(at);
            (s.session, s.timeout_ms)
        } else if let Some(at) = self.app_clients.iter().position(|a| a.id == id) {
            (self.app_clients.remove(at).session, None)
        } else {
            (None, None)
        };
        if let Some(session) = session {
            let owns = |n: &Znode| n.owner_session == session;
            if self.nodes.iter().any(owns) || self.registry.iter().any(owns) {
                self.departed.push(Departed {
                    client: id,
                    session,
                    reason,
                    at_ms,
                    timeout_ms,
                });
            }
        }
    }

    /// The room's client whose session owns this node, if any.
    pub fn owner(&self, node: &Znode) -> Option<&LockClientView> {
        self.clients
            .iter()
            .find(|c| c.session.as_deref() == Some(node.owner_session.as_str()))
    }

    pub fn node_state(&self, node: &Znode) -> NodeState {
        self.node_state_owned(node, self.owner(node))
    }

    /// [`RoomView::node_state`] with the node's owner already looked up.
    pub fn node_state_owned(&self, node: &Znode, owner: Option<&LockClientView>) -> NodeState {
        match owner {
            Some(c) if c.phase == ClientPhase::Holding => NodeState::Holding,
            Some(_) => NodeState::Waiting,
            None if self.is_departed(node) => NodeState::Crashed,
            None => NodeState::External,
        }
    }

    /// Clients that believe they hold the lock right now.
    pub fn holders(&self) -> impl Iterator<Item = &LockClientView> {
        self.clients
            .iter()
            .filter(|c| c.phase == ClientPhase::Holding)
    }

    /// Where in the seed's code a client of the room stands: its waiting move's line if it
    /// has one, else the line its state is at.
    pub fn seed_point(&self, client: ClientId) -> Option<(SeedListing, SeedPoint)> {
        if let Some(c) = self.client(client) {
            let listing = SeedListing::of(self.recipe);
            let point = match self.time.pending_of(client) {
                Some(pending) => pending.point,
                None => match c.phase {
                    ClientPhase::Connecting => SeedPoint::Connect,
                    ClientPhase::Contending if c.path.is_none() => SeedPoint::Create,
                    ClientPhase::Contending => SeedPoint::GetChildren,
                    ClientPhase::Waiting => SeedPoint::Waiting,
                    ClientPhase::Holding => SeedPoint::Hold,
                },
            };
            return Some((listing, point));
        }
        if let Some(s) = self.servers.iter().find(|s| s.id == client) {
            let point = match (self.time.pending_of(client), &s.session, &s.path) {
                (Some(pending), _, _) => pending.point,
                (None, None, _) => SeedPoint::Connect,
                (None, Some(_), None) => SeedPoint::Create,
                (None, Some(_), Some(_)) => SeedPoint::Serve,
            };
            return Some((SeedListing::AppServer, point));
        }
        let a = self.app_clients.iter().find(|a| a.id == client)?;
        let point = match (self.time.pending_of(client), &a.session) {
            (Some(pending), _) => pending.point,
            (None, None) => SeedPoint::Connect,
            (None, Some(_)) => SeedPoint::Waiting,
        };
        Some((SeedListing::AppClient, point))
    }

    /// Applies one event. Events from different sessions may arrive in any order relative to
    /// the observer's `znode_*` events, so nothing here assumes one came before the other.
    pub fn apply(&mut self, seq: u64, at_ms: u64, event: &RoomEvent) {
        self.seq = seq;
        match event {
            RoomEvent::ClientAdded { client } => {
                if self.clients.is_empty() {
                    let herd = self.herd_mut();
                    herd.round_clients = 0;
                    herd.round_notifications = 0;
                }
                let herd = self.herd_mut();
                herd.clients += 1;
                herd.round_clients += 1;
                if self.client(*client).is_none() {
                    self.clients.push(LockClientView {
                        id: *client,
                        session: None,
                        timeout_ms: None,
                        phase: ClientPhase::Connecting,
                        path: None,
                        watching: None,
                    });
                    self.clients.sort_by_key(|c| c.id);
                }
            }
            RoomEvent::ServerAdded { client, name } => self.servers.push(ServerView {
                id: *client,
                name: name.clone(),
                session: None,
                timeout_ms: None,
                path: None,
            }),
            RoomEvent::AppClientAdded { client } => self.app_clients.push(AppClientView {
                id: *client,
                session: None,
                lines: Vec::new(),
            }),
            RoomEvent::ClientConnected {
                client,
                session,
                timeout_ms,
            } => self.connected(*client, session, *timeout_ms),
            RoomEvent::NodeCreatedByClient { client, path } => {
                if let Some(c) = self.client_mut(*client) {
                    c.path = Some(path.clone());
                } else if let Some(s) = self.servers.iter_mut().find(|s| s.id == *client) {
                    s.path = Some(path.clone());
                }
            }
            RoomEvent::ChildrenListed { .. } | RoomEvent::ClientError { .. } => {}
            RoomEvent::ServerListUpdated { client, servers } => {
                if let Some(a) = self.app_clients.iter_mut().find(|a| a.id == *client) {
                    if a.lines.len() == APP_LOG_CAPACITY {
                        a.lines.remove(0);
                    }
                    a.lines
                        .push(format!("server list updated: [{}]", servers.join(", ")));
                }
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
                });
            }
            RoomEvent::RecipeChanged { recipe } => {
                self.recipe = *recipe;
                self.notifications_since_gain = 0;
                self.herd_mut();
            }
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
                // Only lock clients' notifications are the herd; app clients' are the registry.
                if let Some(c) = self.client_mut(*client) {
                    c.watching = None;
                    if c.phase == ClientPhase::Waiting {
                        c.phase = ClientPhase::Contending;
                    }
                    self.watch_notifications += 1;
                    self.notifications_since_gain += 1;
                    let herd = self.herd_mut();
                    herd.notifications += 1;
                    herd.round_notifications += 1;
                }
            }
            RoomEvent::LockGained { client, .. } => {
                let since = std::mem::take(&mut self.notifications_since_gain);
                let herd = self.herd_mut();
                herd.handoffs += 1;
                herd.last_handoff = Some(since);
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
            RoomEvent::SessionChanged {
                client,
                state,
                member,
            } => match self.liveness.iter_mut().find(|l| l.client == *client) {
                Some(live) => {
                    live.state = *state;
                    live.member = member.clone();
                }
                None => self.liveness.push(Liveness {
                    client: *client,
                    state: *state,
                    member: member.clone(),
                    frozen_until: None,
                }),
            },
            RoomEvent::LinkChanged {
                client,
                frozen,
                until_ms,
            } => {
                if let Some(live) = self.liveness.iter_mut().find(|l| l.client == *client) {
                    live.frozen_until = if *frozen { *until_ms } else { None };
                }
            }
            RoomEvent::ResourceWritten {
                client,
                path,
                token,
                outcome,
            } => {
                if *outcome != WriteOutcome::Rejected {
                    self.resource.highest = self.resource.highest.max(Some(*token));
                }
                if self.resource.writes.len() == RESOURCE_LOG_CAPACITY {
                    self.resource.writes.remove(0);
                }
                self.resource.writes.push(ResourceWrite {
                    seq,
                    client: *client,
                    path: path.clone(),
                    token: *token,
                    outcome: *outcome,
                });
            }
            RoomEvent::FencingChanged { on } => self.resource.fencing = *on,
            RoomEvent::ClientClosed { client, reason } => {
                self.liveness.retain(|l| l.client != *client);
                // A client that is gone makes no more moves.
                self.time.pending.retain(|m| m.client != *client);
                self.remove_client(*client, *reason, at_ms);
            }
            RoomEvent::ZnodeAdded { node } => {
                let list = if node.path.starts_with(REGISTRY_DIR) {
                    &mut self.registry
                } else {
                    &mut self.nodes
                };
                if let Err(at) = list.binary_search_by(|n| n.path.cmp(&node.path)) {
                    list.insert(at, node.clone());
                }
            }
            RoomEvent::ZnodeRemoved { path } => {
                self.nodes.retain(|n| &n.path != path);
                self.registry.retain(|n| &n.path != path);
                let (nodes, registry) = (&self.nodes, &self.registry);
                self.departed.retain(|d| {
                    nodes
                        .iter()
                        .chain(registry)
                        .any(|n| n.owner_session == d.session)
                });
            }
            RoomEvent::HoldChanged { hold_ms } => self.hold_ms = *hold_ms,
            RoomEvent::TimeChanged { mode, slow_factor } => {
                self.time.mode = *mode;
                self.time.slow_factor = *slow_factor;
                // As the room's gate does: into slow motion, what waits is due a delay from now.
                let due = (*mode == TimeMode::Slow)
                    .then(|| at_ms + SLOW_MOVE_MS * u64::from(*slow_factor));
                for pending in &mut self.time.pending {
                    pending.due_ms = due;
                }
            }
            RoomEvent::MovePending { pending } => self.time.pending.push(pending.clone()),
            RoomEvent::MoveReleased { id, .. } => self.time.pending.retain(|m| m.id != *id),
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
