//! `RoomView`: a room as the server knows it, one part per domain, and the one fold of events
//! into it that the server and the browser share.
//!
//! Each part folds the events that concern it ([`LockQueue`], [`Registry`], [`Sessions`],
//! [`Herd`], [`Resource`], [`TimeView`], [`Log`], [`ClientNames`]); [`RoomView::apply`] runs them in an order
//! that gives each what it needs and does the few things that span parts (a client leaving).

mod classroom;
mod herd;
mod locks;
mod log;
mod names;
mod registry;
mod resource;
mod sessions;
mod spacetime;
mod time;

use serde::{Deserialize, Serialize};

pub use self::classroom::Classroom;
pub use self::herd::{Herd, HerdStats};
pub use self::locks::{
    ClientPhase, LockClientView, LockQueue, Violation, ViolationCause, Watch, VIOLATION_CAPACITY,
};
pub use self::log::{Log, LogEntry, LOG_CAPACITY};
pub use self::names::{ClientKind, ClientName, ClientNames, ClientNumber};
pub use self::registry::{AppClientView, Registry, ServerView, APP_LOG_CAPACITY};
pub use self::resource::{Resource, ResourceWrite, RESOURCE_LOG_CAPACITY};
pub use self::sessions::{Departed, Liveness, Sessions};
pub use self::spacetime::{
    Answer, Call, Forgotten, Hold, Lane, LaneKind, Listed, Note, Row, Spacetime, Stretch,
    StretchKind, Write, SPACETIME_ROWS,
};
pub use self::time::TimeView;
use crate::event::RoomEvent;
use crate::kinds::{ClientId, CloseReason, LockRecipeKind};
use crate::progress::LessonProgress;
use crate::recipe::Verdict;
use crate::seed::{SeedListing, SeedPoint};
use crate::session::SessionId;
use crate::znode::{NodeState, Znode};

/// A room: what ZooKeeper has in its folders, and what the server's sessions are doing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub room: String,
    /// The `seq` of the last event applied; the next event has `seq + 1`.
    pub seq: u64,
    pub hold_ms: u64,
    /// The lock recipe new lock clients run.
    pub recipe: LockRecipeKind,
    pub locks: LockQueue,
    pub registry: Registry,
    pub sessions: Sessions,
    pub herd: Herd,
    pub resource: Resource,
    pub time: TimeView,
    pub log: Log,
    /// The numbers a learner reads for the room's clients ("client 1"), per kind.
    #[serde(default)]
    pub names: ClientNames,
    /// Careful holders: they stop on Disconnected and give up on session loss.
    #[serde(default)]
    pub suspend_on_disconnect: bool,
    /// The lesson the room runs, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<LessonProgress>,
    /// Who is in the room: students, their clients, how many watch.
    #[serde(default)]
    pub classroom: Classroom,
    /// The room's own recipe and its latest check.
    #[serde(default, skip_serializing_if = "ScriptView::is_empty")]
    pub script: ScriptView,
    /// Every call, answer and notification of the room's sessions: the timeline's data,
    /// folded only where it is drawn (`Some` in the page and in a replay; the server keeps
    /// none). Never sent: a page that joins late folds the room's recording to draw it from
    /// where the room's history begins.
    #[serde(skip)]
    pub spacetime: Option<Spacetime>,
}

/// The room's own lock recipe, a learner's, and what the model checker last said of a recipe.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptView {
    /// The source the room's lock clients run when its recipe is the room's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<CheckedRecipe>,
}

impl ScriptView {
    pub fn is_empty(&self) -> bool {
        self == &ScriptView::default()
    }
}

/// A check's verdict, and the source it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedRecipe {
    pub source: String,
    pub verdict: Verdict,
}

/// Where a lock client's state puts it in the seed's code, when no move of its waits.
fn lock_point(c: &LockClientView) -> SeedPoint {
    match c.phase {
        ClientPhase::Connecting => SeedPoint::Connect,
        ClientPhase::Contending if c.path.is_none() => SeedPoint::Create,
        ClientPhase::Contending => SeedPoint::GetChildren,
        ClientPhase::Waiting => SeedPoint::Waiting,
        ClientPhase::Holding | ClientPhase::Suspended => SeedPoint::Hold,
        ClientPhase::Releasing => SeedPoint::Delete,
    }
}

fn server_point(s: &ServerView) -> SeedPoint {
    match (&s.session, &s.path) {
        (None, _) => SeedPoint::Connect,
        (Some(_), None) => SeedPoint::Create,
        (Some(_), Some(_)) => SeedPoint::Serve,
    }
}

fn app_client_point(a: &AppClientView) -> SeedPoint {
    match a.session {
        None => SeedPoint::Connect,
        Some(_) => SeedPoint::Waiting,
    }
}

/// Whether ZooKeeper may still hold a node of `session` among `nodes`: one it owns, or one
/// whose owner is still being read.
fn may_own<'a>(mut nodes: impl Iterator<Item = &'a Znode>, session: SessionId) -> bool {
    nodes.any(|n| n.owner_session().is_none_or(|owner| owner == session))
}

/// What a learner's own lesson room is called before its lesson and tag (`lesson-2-k3x9qa`).
pub const LESSON_ROOM_PREFIX: &str = "lesson-";

/// A room a `?lesson=N` link made for one learner: the server lets it go soon after its last
/// viewer leaves.
pub fn is_lesson_room(name: &str) -> bool {
    name.starts_with(LESSON_ROOM_PREFIX)
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

    /// A lock client of the room.
    pub fn client(&self, id: ClientId) -> Option<&LockClientView> {
        self.locks.client(id)
    }

    /// The room's lock client whose session owns this node, if any.
    pub fn owner(&self, node: &Znode) -> Option<&LockClientView> {
        self.locks.owner(node)
    }

    /// Clients that believe they hold the lock right now.
    pub fn holders(&self) -> impl Iterator<Item = &LockClientView> {
        self.locks.holders()
    }

    /// The stats of the room's current recipe.
    pub fn herd_now(&self) -> Option<&HerdStats> {
        self.herd.of(self.recipe)
    }

    pub fn node_state(&self, node: &Znode) -> NodeState {
        self.node_state_owned(node, self.owner(node))
    }

    /// [`RoomView::node_state`] with the node's owner already looked up.
    pub fn node_state_owned(&self, node: &Znode, owner: Option<&LockClientView>) -> NodeState {
        match owner {
            Some(c) if c.phase == ClientPhase::Holding => NodeState::Holding,
            Some(c) if c.phase == ClientPhase::Suspended => NodeState::Suspended,
            Some(c) if c.phase == ClientPhase::Releasing => NodeState::Releasing,
            Some(_) => NodeState::Waiting,
            None if self.sessions.departed_owner(node).is_some() => NodeState::Crashed,
            None if node.read.is_none() => NodeState::New,
            None => NodeState::External,
        }
    }

    /// Where in the seed's code a client of the room stands: its waiting move's line if it
    /// has one, else the line its state is at.
    pub fn seed_point(&self, client: ClientId) -> Option<(SeedListing, SeedPoint)> {
        let at = |point: SeedPoint| self.time.pending_of(client).map_or(point, |m| m.point);
        if let Some(c) = self.client(client) {
            // A learner's recipe is its own code: the page places its clients by line.
            return Some((SeedListing::of(self.recipe)?, at(lock_point(c))));
        }
        if let Some(s) = self.registry.server(client) {
            return Some((SeedListing::AppServer, at(server_point(s))));
        }
        let a = self.registry.app_client(client)?;
        Some((SeedListing::AppClient, at(app_client_point(a))))
    }

    /// [`RoomView::seed_point`] of every client of the room, in one pass (a room of a thousand
    /// clients asks for all of them at every event).
    pub fn seed_points(&self) -> impl Iterator<Item = (ClientId, SeedListing, SeedPoint)> + '_ {
        let lock = SeedListing::of(self.recipe);
        let locks = self.locks.clients.iter();
        let locks = locks.filter_map(move |c| Some((c.id, lock?, lock_point(c))));
        let servers = self.registry.servers.iter();
        let servers = servers.map(|s| (s.id, SeedListing::AppServer, server_point(s)));
        let apps = self.registry.app_clients.iter();
        let apps = apps.map(|a| (a.id, SeedListing::AppClient, app_client_point(a)));
        locks
            .chain(servers)
            .chain(apps)
            .map(|(id, listing, point)| {
                let point = self.time.pending_of(id).map_or(point, |m| m.point);
                (id, listing, point)
            })
    }

    /// Applies one event. Events from different sessions may arrive in any order relative to
    /// the observer's `znode_*` events, so nothing here assumes one came before the other.
    pub fn apply(&mut self, seq: u64, at_ms: u64, event: &RoomEvent) {
        self.seq = seq;
        let queue_empty = self.locks.clients.is_empty() && self.locks.nodes.is_empty();
        self.names.apply(event, queue_empty);
        // The herd reads the queue as it was before this event.
        self.herd.apply(self.recipe, &self.locks, event);
        match event {
            RoomEvent::HoldChanged { hold_ms } => self.hold_ms = *hold_ms,
            RoomEvent::RecipeChanged { recipe } => self.recipe = *recipe,
            RoomEvent::ScriptLoaded { source } => self.script.source = Some(source.clone()),
            RoomEvent::RecipeChecked { source, verdict } => {
                self.script.checked = Some(CheckedRecipe {
                    source: source.clone(),
                    verdict: (**verdict).clone(),
                });
            }
            RoomEvent::CallSent {
                client,
                line: Some(line),
                ..
            } => {
                if let Some(c) = self.locks.client_mut(*client) {
                    c.line = Some(*line);
                }
            }
            RoomEvent::SuspendChanged { on } => self.suspend_on_disconnect = *on,
            RoomEvent::LessonChanged { progress } => self.lesson = progress.clone(),
            RoomEvent::RoomReset => self.start_afresh(),
            RoomEvent::ClientClosed { client, reason } => self.client_left(*client, *reason, at_ms),
            // Told again when its expiry moves; not once its nodes are gone.
            RoomEvent::EarlierSession {
                client,
                session,
                timeout_ms,
                expires_at_ms,
            } if self.owns_nodes(*session) => self.sessions.earlier(Departed {
                client: *client,
                session: *session,
                reason: CloseReason::ServerDied,
                at_ms,
                timeout_ms: Some(*timeout_ms),
                expires_at_ms: *expires_at_ms,
            }),
            _ => {}
        }
        let cause = match event {
            RoomEvent::Violation {
                first,
                first_path,
                second,
                ..
            } => Some(self.violation_cause(*first, first_path, *second)),
            _ => None,
        };
        self.locks.apply(seq, event);
        if let (Some(cause), Some(violation)) = (cause, self.locks.violations.last_mut()) {
            violation.cause = cause;
        }
        self.registry.apply(event);
        self.sessions.apply(event);
        if let RoomEvent::ZnodeRemoved { .. } | RoomEvent::ZnodeRead { .. } = event {
            let (locks, registry) = (&self.locks.nodes, &self.registry.nodes);
            self.sessions
                .keep_departed(|session| may_own(locks.iter().chain(registry), session));
        }
        if let Some(spacetime) = self.spacetime.as_mut() {
            spacetime.apply(at_ms, event, &self.sessions.departed);
        }
        self.resource.apply(seq, event);
        self.classroom.apply(event);
        self.time.apply(at_ms, event);
        self.log.apply(seq, at_ms, event);
    }

    /// The room was emptied: only the settings stay; every trace of the sessions that were goes.
    fn start_afresh(&mut self) {
        self.locks = LockQueue::default();
        self.registry = Registry::default();
        self.sessions = Sessions::default();
        self.herd = Herd::default();
        self.resource = Resource {
            fencing: self.resource.fencing,
            ..Resource::default()
        };
        self.log = Log::default();
    }

    /// A client of any kind leaves; its session is remembered while its nodes remain, so they
    /// are drawn crashed, not external.
    fn client_left(&mut self, client: ClientId, reason: CloseReason, at_ms: u64) {
        let gone = self
            .locks
            .remove_client(client)
            .or_else(|| self.registry.remove_client(client));
        if let Some((Some(session), timeout_ms)) = gone {
            let owns = self.owns_nodes(session);
            self.sessions.left(
                Departed {
                    client,
                    session,
                    reason,
                    at_ms,
                    timeout_ms,
                    expires_at_ms: None,
                },
                owns,
            );
        }
    }

    /// Lock clients whose create waits at the gate (step mode): they are about to join the
    /// queue, though ZooKeeper has no node of theirs yet.
    pub fn about_to_create(&self) -> usize {
        self.locks
            .clients
            .iter()
            .filter(|c| self.creates_next(c.id))
            .count()
    }

    /// Whether the client's next move, waiting at the gate, is its create.
    pub fn creates_next(&self, client: ClientId) -> bool {
        self.time
            .pending_of(client)
            .is_some_and(|m| m.kind == crate::time::MoveKind::Create)
    }

    /// Why `first` still held when `second` gained, from the room as it is at that moment.
    fn violation_cause(
        &self,
        first: ClientId,
        first_path: &str,
        second: ClientId,
    ) -> ViolationCause {
        let liveness = self.sessions.liveness(first);
        if liveness.is_some_and(|l| l.partitioned_until.is_some()) {
            return ViolationCause::Partitioned;
        }
        if liveness.is_some_and(|l| l.frozen_until.is_some()) {
            return ViolationCause::ExpiredWhilePaused;
        }
        if !self.locks.nodes.iter().any(|n| n.path == first_path) {
            return ViolationCause::Unknown;
        }
        // The notification the second acted on: its latest, in the room's recent events.
        let watched = self.log.iter().rev().find_map(|entry| match &entry.event {
            RoomEvent::WatchFired { client, path, .. } if *client == second => Some(path.clone()),
            _ => None,
        });
        ViolationCause::TrustedNotification { watched }
    }

    fn owns_nodes(&self, session: SessionId) -> bool {
        may_own(self.locks.nodes.iter().chain(&self.registry.nodes), session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{WatchCall, WatchedKind, WriteOutcome};
    use crate::znode::ZnodeRead;

    fn lock_node(n: u32, owner: i64) -> Znode {
        Znode::read(format!("/locks/sub{n:010}"), n.into(), SessionId(owner), "")
    }

    fn connected(client: ClientId, session: i64, timeout_ms: u64) -> RoomEvent {
        RoomEvent::ClientConnected {
            client,
            session: SessionId(session),
            timeout_ms,
        }
    }

    fn apply_all(view: &mut RoomView, events: &[RoomEvent]) {
        for e in events {
            view.apply(view.seq + 1, 1_000, e);
        }
    }

    /// Three clients: 1 holds sub0, 2 waits on sub0, 3 on sub1.
    fn three_in_the_queue() -> RoomView {
        let mut view = RoomView::new("main", 0);
        let mut events = Vec::new();
        for client in 1..=3u32 {
            events.push(RoomEvent::ClientAdded {
                client,
                owner: None,
            });
            events.push(connected(client, client.into(), 5000));
            events.push(RoomEvent::SessionChanged {
                client,
                state: crate::kinds::SessionStatus::Connected,
                member: Some("127.0.0.1:4180".into()),
            });
            events.push(RoomEvent::ZnodeAdded {
                node: lock_node(client - 1, client.into()),
            });
        }
        events.push(RoomEvent::LockGained {
            client: 1,
            path: "/locks/sub0000000000".into(),
        });
        apply_all(&mut view, &events);
        view
    }

    fn gained_while_held(view: &mut RoomView, second: ClientId, path: &str) {
        apply_all(
            view,
            &[
                RoomEvent::LockGained {
                    client: second,
                    path: path.into(),
                },
                RoomEvent::Violation {
                    first: 1,
                    first_path: "/locks/sub0000000000".into(),
                    second,
                    second_path: path.into(),
                },
            ],
        );
    }

    #[test]
    fn two_holders_are_explained_by_what_the_room_saw_and_shown_while_they_overlap() {
        // The crash bug: waiter 2 goes, 3's watch on its node fires, 3 trusts it.
        let mut view = three_in_the_queue();
        apply_all(
            &mut view,
            &[
                RoomEvent::ZnodeRemoved {
                    path: "/locks/sub0000000001".into(),
                },
                RoomEvent::WatchFired {
                    client: 3,
                    path: "/locks/sub0000000001".into(),
                    event: WatchedKind::NodeDeleted,
                },
            ],
        );
        gained_while_held(&mut view, 3, "/locks/sub0000000002");
        let v = view.locks.ongoing_violation().expect("both hold");
        assert_eq!(
            v.cause,
            ViolationCause::TrustedNotification {
                watched: Some("/locks/sub0000000001".into())
            }
        );
        // The holder finishes: the overlap is over, the episode stays in the log.
        apply_all(
            &mut view,
            &[RoomEvent::LockReleased {
                client: 1,
                path: "/locks/sub0000000000".into(),
            }],
        );
        assert_eq!(view.locks.ongoing_violation(), None);
        assert!(view
            .log
            .iter()
            .any(|e| matches!(e.event, RoomEvent::Violation { .. })));

        // A holder paused past its timeout: its node went with its session.
        let mut view = three_in_the_queue();
        apply_all(
            &mut view,
            &[
                RoomEvent::LinkChanged {
                    client: 1,
                    frozen: true,
                    until_ms: Some(9_000),
                },
                RoomEvent::ZnodeRemoved {
                    path: "/locks/sub0000000000".into(),
                },
            ],
        );
        gained_while_held(&mut view, 2, "/locks/sub0000000001");
        assert_eq!(
            view.locks.ongoing_violation().map(|v| &v.cause),
            Some(&ViolationCause::ExpiredWhilePaused)
        );

        // A holder cut off from ZooKeeper that works on.
        let mut view = three_in_the_queue();
        apply_all(
            &mut view,
            &[
                RoomEvent::PartitionChanged {
                    client: 1,
                    partitioned: true,
                    until_ms: Some(9_000),
                },
                RoomEvent::ZnodeRemoved {
                    path: "/locks/sub0000000000".into(),
                },
            ],
        );
        gained_while_held(&mut view, 2, "/locks/sub0000000001");
        assert_eq!(
            view.locks.ongoing_violation().map(|v| &v.cause),
            Some(&ViolationCause::Partitioned)
        );
    }

    #[test]
    fn a_holder_that_finished_is_drawn_releasing_and_waiting_creates_are_counted() {
        let mut view = three_in_the_queue();
        apply_all(
            &mut view,
            &[RoomEvent::LockReleased {
                client: 1,
                path: "/locks/sub0000000000".into(),
            }],
        );
        let first = view.locks.nodes[0].clone();
        // Until ZooKeeper reports the node gone, it is the lock being let go, not a waiter's.
        assert_eq!(view.node_state(&first), NodeState::Releasing);
        let client = view.locks.client(1).unwrap().clone();
        assert_eq!(lock_point(&client), SeedPoint::Delete);

        // In step mode a new client's create waits at the gate: it is about to create.
        assert_eq!(view.about_to_create(), 0);
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 9,
                    owner: None,
                },
                RoomEvent::MovePending {
                    pending: crate::time::PendingMove {
                        id: 1,
                        client: 9,
                        kind: crate::time::MoveKind::Create,
                        point: SeedPoint::Create,
                        path: None,
                        since_ms: 0,
                        due_ms: None,
                    },
                },
            ],
        );
        assert_eq!(view.about_to_create(), 1);
    }

    #[test]
    fn a_hand_off_is_drawn_and_counted() {
        let mut view = RoomView::new("main", 0);
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
                RoomEvent::ClientAdded {
                    client: 2,
                    owner: None,
                },
                connected(1, 1, 5000),
                connected(2, 2, 5000),
                RoomEvent::ZnodeAdded {
                    node: lock_node(1, 2),
                },
                RoomEvent::ZnodeAdded {
                    node: lock_node(0, 1),
                },
                RoomEvent::LockGained {
                    client: 1,
                    path: "/locks/sub0000000000".into(),
                },
                RoomEvent::WatchSet {
                    client: 2,
                    path: "/locks/sub0000000000".into(),
                    call: WatchCall::GetData,
                },
            ],
        );
        let states: Vec<_> = view
            .locks
            .nodes
            .iter()
            .map(|n| view.node_state(n))
            .collect();
        assert_eq!(states, [NodeState::Holding, NodeState::Waiting]);
        apply_all(
            &mut view,
            &[
                RoomEvent::LockReleased {
                    client: 1,
                    path: "/locks/sub0000000000".into(),
                },
                RoomEvent::ZnodeRemoved {
                    path: "/locks/sub0000000000".into(),
                },
                RoomEvent::WatchFired {
                    client: 2,
                    path: "/locks/sub0000000000".into(),
                    event: WatchedKind::NodeDeleted,
                },
                RoomEvent::ClientClosed {
                    client: 1,
                    reason: CloseReason::Finished,
                },
            ],
        );
        assert_eq!((view.locks.nodes.len(), view.locks.clients.len()), (1, 1));
        assert_eq!(view.herd.total, 1);
        assert_eq!(view.herd_now().unwrap().last_handoff, Some(0));
        assert!(view.sessions.departed.is_empty(), "its node had gone first");
        assert_eq!(view.log.len(), 12);
    }

    #[test]
    fn a_killed_clients_node_is_drawn_crashed_until_zookeeper_removes_it() {
        let mut view = RoomView::new("main", 0);
        let node = lock_node(0, 1);
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
                connected(1, 1, 4000),
                RoomEvent::ZnodeAdded { node: node.clone() },
                RoomEvent::ClientClosed {
                    client: 1,
                    reason: CloseReason::Killed,
                },
            ],
        );
        assert_eq!(view.node_state(&node), NodeState::Crashed);
        assert_eq!(
            view.sessions.departed_owner(&node),
            Some(&Departed {
                client: 1,
                session: SessionId(1),
                reason: CloseReason::Killed,
                at_ms: 1_000,
                timeout_ms: Some(4000),
                expires_at_ms: None,
            })
        );
        assert_eq!(
            view.sessions.departed_owner(&node).unwrap().deadline_ms(),
            Some(5_000)
        );
        apply_all(
            &mut view,
            &[RoomEvent::ZnodeRemoved {
                path: node.path.clone(),
            }],
        );
        assert!(view.locks.nodes.is_empty());
        assert!(
            view.sessions.departed.is_empty(),
            "nothing is kept once the node is gone"
        );
    }

    #[test]
    fn a_node_is_drawn_when_reported_and_completed_when_read() {
        let mut view = RoomView::new("main", 0);
        let path = "/locks/sub0000000000";
        let read = ZnodeRead {
            czxid: 40,
            owner_session: SessionId(0x99),
            data: String::new(),
        };
        apply_all(
            &mut view,
            &[RoomEvent::ZnodeAdded {
                node: Znode::reported(path),
            }],
        );
        assert_eq!(view.node_state(&view.locks.nodes[0]), NodeState::New);
        assert_eq!(view.locks.nodes[0].czxid(), None);
        apply_all(
            &mut view,
            &[RoomEvent::ZnodeRead {
                path: path.into(),
                read: read.clone(),
            }],
        );
        assert_eq!(view.locks.nodes[0].read, Some(read.clone()));
        assert_eq!(view.node_state(&view.locks.nodes[0]), NodeState::External);
        // The log keeps one line for the node, completed by its read.
        let told: Vec<_> = view.log.entries.iter().map(|e| &e.event).collect();
        assert_eq!(
            told,
            [&RoomEvent::ZnodeAdded {
                node: Znode::read(path, 40, SessionId(0x99), "")
            }]
        );
        // A read that comes back after the node went does not bring it back.
        apply_all(
            &mut view,
            &[
                RoomEvent::ZnodeRemoved { path: path.into() },
                RoomEvent::ZnodeRead {
                    path: path.into(),
                    read,
                },
            ],
        );
        assert!(view.locks.nodes.is_empty());
    }

    #[test]
    fn before_its_read_a_node_is_its_clients_by_the_path_it_created() {
        let mut view = RoomView::new("main", 0);
        let path = "/locks/sub0000000003";
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
                connected(1, 0x41, 5000),
                RoomEvent::NodeCreatedByClient {
                    client: 1,
                    path: path.into(),
                },
                RoomEvent::ZnodeAdded {
                    node: Znode::reported(path),
                },
            ],
        );
        let node = &view.locks.nodes[0];
        assert_eq!(view.owner(node).map(|c| c.id), Some(1));
        assert_eq!(view.node_state(node), NodeState::Waiting);
    }

    #[test]
    fn a_client_that_leaves_before_its_nodes_read_is_still_drawn_crashed() {
        let mut view = RoomView::new("main", 0);
        let path = "/locks/sub0000000001";
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 2,
                    owner: None,
                },
                connected(2, 0x52, 5000),
                RoomEvent::ZnodeAdded {
                    node: Znode::reported(path),
                },
                RoomEvent::ClientClosed {
                    client: 2,
                    reason: CloseReason::Killed,
                },
                RoomEvent::ZnodeRead {
                    path: path.into(),
                    read: ZnodeRead {
                        czxid: 12,
                        owner_session: SessionId(0x52),
                        data: String::new(),
                    },
                },
            ],
        );
        assert_eq!(view.node_state(&view.locks.nodes[0]), NodeState::Crashed);
        // Its departure stays while ZooKeeper has its node.
        assert_eq!(view.sessions.departed.len(), 1);
    }

    #[test]
    fn an_earlier_runs_session_draws_its_nodes_crashed_until_the_leaders_expiry() {
        let mut view = RoomView::new("main", 0);
        let node = Znode::read("/locks/sub0000000004", 9, SessionId(0x77), "");
        // The node may be told before or after its session is recognised.
        apply_all(
            &mut view,
            &[
                RoomEvent::ZnodeAdded { node: node.clone() },
                RoomEvent::EarlierSession {
                    client: 3,
                    session: SessionId(0x77),
                    timeout_ms: 10_000,
                    expires_at_ms: Some(1_700_000_012_000),
                },
            ],
        );
        assert_eq!(view.node_state(&node), NodeState::Crashed);
        let departed = view.sessions.departed_owner(&node).unwrap();
        assert_eq!(departed.reason, CloseReason::ServerDied);
        assert_eq!(departed.deadline_ms(), Some(1_700_000_012_000));
        apply_all(
            &mut view,
            &[RoomEvent::ZnodeRemoved {
                path: node.path.clone(),
            }],
        );
        assert!(view.sessions.departed.is_empty());
    }

    #[test]
    fn an_earlier_session_told_again_moves_its_countdown_and_leaves_this_runs_clients_alone() {
        let mut view = RoomView::new("main", 0);
        let node = Znode::read("/locks/sub0000000002", 5, SessionId(0x70), "");
        let earlier = |expires_at_ms| RoomEvent::EarlierSession {
            client: 1,
            session: SessionId(0x70),
            timeout_ms: 10_000,
            expires_at_ms: Some(expires_at_ms),
        };
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
                connected(1, 0x81, 5000),
                RoomEvent::SessionChanged {
                    client: 1,
                    state: crate::kinds::SessionStatus::Connected,
                    member: None,
                },
                RoomEvent::ZnodeAdded { node: node.clone() },
                earlier(1_000),
                earlier(2_500),
            ],
        );
        assert_eq!(view.sessions.departed.len(), 1);
        let departed = view.sessions.departed_owner(&node).unwrap();
        assert_eq!(departed.deadline_ms(), Some(2_500));
        assert!(
            view.sessions.liveness(1).is_some(),
            "this run's client 1 is not the earlier run's"
        );
        // Once its node is gone, a late word of it changes nothing.
        apply_all(
            &mut view,
            &[
                RoomEvent::ZnodeRemoved {
                    path: node.path.clone(),
                },
                earlier(3_000),
            ],
        );
        assert!(view.sessions.departed.is_empty());
    }

    #[test]
    fn a_crashed_servers_node_is_departed_not_external() {
        let mut view = RoomView::new("main", 0);
        let node = Znode::read("/sgroup/sub0000000000", 7, SessionId(2), "server0000");
        apply_all(
            &mut view,
            &[
                RoomEvent::ServerAdded {
                    client: 2,
                    name: "server0000".into(),
                    owner: None,
                },
                connected(2, 2, 5000),
                RoomEvent::ZnodeAdded { node: node.clone() },
                RoomEvent::ClientClosed {
                    client: 2,
                    reason: CloseReason::Crashed,
                },
            ],
        );
        assert!(
            view.locks.nodes.is_empty(),
            "registry nodes are not lock nodes"
        );
        assert!(view.sessions.departed_owner(&node).is_some());
        assert!(view.registry.server_owner(&node).is_none());
    }

    #[test]
    fn the_resource_judges_tokens_by_the_highest_accepted() {
        let mut view = RoomView::new("main", 0);
        let write = |client, token, outcome| RoomEvent::ResourceWritten {
            client,
            path: "/locks/x".into(),
            token,
            outcome,
        };
        assert_eq!(view.resource.judge(5), WriteOutcome::Accepted);
        apply_all(
            &mut view,
            &[
                write(1, 5, WriteOutcome::Accepted),
                write(2, 9, WriteOutcome::Accepted),
            ],
        );
        assert_eq!(view.resource.highest, Some(9));
        // Fencing off: a stale token lands, flagged.
        assert_eq!(view.resource.judge(5), WriteOutcome::Corrupted);
        apply_all(&mut view, &[RoomEvent::FencingChanged { on: true }]);
        assert_eq!(view.resource.judge(5), WriteOutcome::Rejected);
        assert_eq!(view.resource.judge(9), WriteOutcome::Accepted);
        apply_all(&mut view, &[write(1, 5, WriteOutcome::Rejected)]);
        assert_eq!(
            view.resource.highest,
            Some(9),
            "a rejected write changes nothing"
        );
        assert_eq!(view.resource.writes.len(), 3);
    }

    #[test]
    fn a_client_stands_on_its_seed_line() {
        let mut view = RoomView::new("main", 0);
        apply_all(
            &mut view,
            &[
                RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
                RoomEvent::AppClientAdded { client: 2 },
                RoomEvent::ServerAdded {
                    client: 3,
                    name: "s".into(),
                    owner: None,
                },
            ],
        );
        let fixed = SeedListing::DistributedClientFixed;
        assert_eq!(view.seed_point(1), Some((fixed, SeedPoint::Connect)));
        apply_all(&mut view, &[connected(1, 1, 5000), connected(2, 2, 5000)]);
        assert_eq!(view.seed_point(1), Some((fixed, SeedPoint::Create)));
        assert_eq!(
            view.seed_point(2),
            Some((SeedListing::AppClient, SeedPoint::Waiting))
        );
        assert_eq!(
            view.seed_point(3),
            Some((SeedListing::AppServer, SeedPoint::Connect))
        );
        assert_eq!(view.seed_point(9), None);
        let all: Vec<_> = view.seed_points().collect();
        assert_eq!(all.len(), 3);
        for (id, listing, point) in all {
            assert_eq!(view.seed_point(id), Some((listing, point)));
        }
    }

    #[test]
    fn room_and_server_names() {
        assert!(is_valid_room_name("main"));
        assert!(is_valid_room_name("class-7b"));
        assert!(!is_valid_room_name(""));
        assert!(!is_valid_room_name("Main"));
        assert!(!is_valid_room_name("a/b"));
        assert!(!is_valid_room_name(&"x".repeat(33)));
        assert!(is_valid_server_name("10.0.0.7:80"));
        assert!(!is_valid_server_name("a b"));
    }
}
