//! A step's check: a named predicate over what the room saw since the step began, implemented
//! once, here, and unit-tested on recorded histories.
//!
//! A check reports what it found (the real clients, nodes and counts the step's texts name)
//! and whether the step has happened, has yet to, or no longer can. It reads only events and
//! views, never a clock: what it says is what ZooKeeper did.

use serde::{Deserialize, Serialize};

use crate::ensemble::EnsembleView;
use crate::progress::{Found, Why};
use crate::recipe::VerdictStatus;

use crate::event::RoomEvent;

use crate::kinds::{
    ClientId, CloseReason, LockRecipeKind, MemberMode, SessionStatus, WatchCall, WriteOutcome,
};
use crate::seed::{server_list_line, SEED_APP_CLIENT_OUTPUT};
use crate::view::{ClientNames, ClientPhase, LogEntry, RoomView};
use crate::znode::{Znode, LOCK_DIR};

/// Events a step keeps for its check; a step that sees more keeps the first ones. A check
/// reads them all at every event, on the room's own task: a lesson's step sees a few hundred.
pub const MAX_STEP_EVENTS: usize = 5_000;

/// What the room saw since a step began.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepLog {
    /// The room when the step began.
    pub start: RoomView,
    /// The ensemble when the step began.
    pub start_ensemble: EnsembleView,
    /// Every event since, oldest first.
    pub events: Vec<LogEntry>,
}

impl StepLog {
    pub fn new(start: RoomView, start_ensemble: EnsembleView) -> Self {
        StepLog {
            start,
            start_ensemble,
            events: Vec::new(),
        }
    }

    pub fn record(&mut self, seq: u64, at_ms: u64, event: &RoomEvent) {
        if self.events.len() < MAX_STEP_EVENTS {
            self.events.push(LogEntry {
                seq,
                at_ms,
                event: event.clone(),
            });
        }
    }

    fn events(&self) -> impl Iterator<Item = &RoomEvent> + Clone {
        self.events.iter().map(|e| &e.event)
    }

    fn first_violation(&self) -> Option<Found> {
        self.events().find_map(|e| match e {
            RoomEvent::Violation {
                first,
                first_path,
                second,
                second_path,
            } => Some(Found {
                client: Some(*first),
                node: Some(first_path.clone()),
                other: Some(*second),
                watched: Some(second_path.clone()),
                ..Found::default()
            }),
            _ => None,
        })
    }

    /// Whether a lock client was notified while a recipe that looks again before it takes the
    /// lock was the room's: the moment the naive recipe would have given two holders.
    fn fixed_recipe_notified(&self) -> bool {
        let mut recipe = self.start.recipe;
        // A switch closes the lock clients first and is told last; what they are notified of
        // while they go is no test of either recipe.
        let mut switching = false;
        self.events().any(|e| match e {
            RoomEvent::ClientClosed {
                reason: CloseReason::RecipeSwitched,
                ..
            } => {
                switching = true;
                false
            }
            RoomEvent::RecipeChanged { recipe: now } => {
                (recipe, switching) = (*now, false);
                false
            }
            RoomEvent::WatchFired { path, .. } => {
                // A learner's recipe may well give two holders: only the seed's fixes may not.
                !switching
                    && matches!(
                        recipe,
                        LockRecipeKind::Predecessor | LockRecipeKind::ChildrenWatch
                    )
                    && path.starts_with(LOCK_DIR)
            }
            _ => false,
        })
    }

    /// Notifications delivered to lock clients since the step began.
    fn notifications(&self) -> u64 {
        self.events()
            .filter(|e| match e {
                RoomEvent::WatchFired { client, .. } => self.start.locks.client(*client).is_some(),
                _ => false,
            })
            .count() as u64
    }

    /// Where the holder of the step's start left (released or closed), and who gained next.
    fn hand_off(&self) -> Option<HandOff> {
        let holder = self.start.locks.holder()?;
        let mut left = false;
        let mut next = None;
        for event in self.events() {
            match event {
                RoomEvent::LockReleased { client, .. } | RoomEvent::ClientClosed { client, .. }
                    if *client == holder.id =>
                {
                    left = true
                }
                RoomEvent::LockGained { client, path } if left && *client != holder.id => {
                    next = Some((*client, path.clone()));
                    break;
                }
                _ => {}
            }
        }
        Some(HandOff {
            holder: holder.id,
            holder_path: holder.path.clone().unwrap_or_default(),
            next,
        })
    }

    fn waiters_at_start(&self) -> u64 {
        self.start
            .locks
            .clients
            .iter()
            .filter(|c| c.phase == ClientPhase::Waiting)
            .count() as u64
    }
}

struct HandOff {
    holder: ClientId,
    holder_path: String,
    next: Option<(ClientId, String)>,
}

impl Found {
    /// The value of placeholder `name`, if found; a client by its learner's number.
    pub fn get(&self, name: &str, names: &ClientNames) -> Option<String> {
        let id = |v: Option<ClientId>| v.map(|v| names.number(v).to_string());
        let n = |v: Option<u64>| v.map(|v| v.to_string());
        match name {
            "client" => id(self.client),
            "other" => id(self.other),
            "node" => self.node.clone(),
            "watched" => self.watched.clone(),
            "line" => self.line.clone(),
            "count" => n(self.count),
            "expected" => n(self.expected),
            "compared" => n(self.compared),
            "member" => self.member.map(|m| m.to_string()),
            "leader" => self.leader.map(|m| m.to_string()),
            _ => None,
        }
    }
}

/// Where a check stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Waiting(Found),
    Passed(Found),
    Failed(Why, Found),
}

/// How many notifications one hand-off should deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notified {
    /// Only the next in line.
    One,
    /// Every client that was waiting.
    AllWaiters,
}

/// The named predicates a step can run. Each reads the step's events, the room now and the
/// ensemble now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// A lock client gained the lock: created its node, listed `/locks`, found it smallest.
    Gained,
    /// One holder, and at least `waiters` clients waiting, each watching what its recipe
    /// watches: the node just before its own, or the children of `/locks`.
    Queued { waiters: u64 },
    /// The holder of the step's start let go, and the next client was told and gained.
    HandedOn,
    /// After the holder let go and another gained, this many notifications were delivered.
    Notified { to: Notified },
    /// The room flagged two holders at once.
    TwoHolders,
    /// A notified waiter listed `/locks` again and watches another node, one holder still.
    Rewatched,
    /// One hand-off delivered as many notifications as the room's recipe sends: every waiter
    /// with a children watch, one with a predecessor watch.
    Herd,
    /// The AppClient's latest line lists exactly the `servers` registered nodes.
    ServerList { servers: u64 },
    /// The AppClient printed the seed's nine lines, line for line.
    SeedOutput,
    /// A server left, and the AppClient printed the list without it.
    ServerLeft,
    /// A lock client left and its node went at once (before half its session timeout).
    GoneAtOnce,
    /// A lock client left and its node stayed until ZooKeeper expired its session.
    StaysUntilExpiry,
    /// The leader of the step's start is down, another leads, and every lock client's
    /// session lives on.
    LeaderMoved,
    /// A lock client's session expired.
    SessionLost,
    /// No quorum, and a lock client added in this step has no node: its write waits.
    WritesWait,
    /// The quorum is back, and a lock client that had no node has made it.
    WritesResume,
    /// A holder whose lock had passed on wrote, and the resource decided `outcome`.
    StaleWrite { outcome: WriteOutcome },
    /// The partitioned holder went on working: the room flagged two holders, and it wrote
    /// after the next holder gained.
    Overlap,
    /// The partitioned holder stopped on Disconnected, wrote nothing more, and another
    /// gained the lock with no overlap.
    CarefulHolder,
    /// A recipe checked in this step had this verdict (and, with `herd`, one hand-off with
    /// three waiters cost that many notifications).
    Verdict {
        status: VerdictStatus,
        #[serde(default)]
        herd: Option<u32>,
    },
    /// The room runs its own recipe, and `of` passes.
    Own { of: Box<Check> },
}

impl Check {
    pub fn evaluate(&self, log: &StepLog, now: &RoomView, ensemble: &EnsembleView) -> Outcome {
        match self {
            Check::Gained => gained(log, now),
            Check::Queued { waiters } => queued(log, now, *waiters),
            Check::HandedOn => handed_on(log),
            Check::Notified { to } => {
                let expected = match to {
                    Notified::One => 1,
                    Notified::AllWaiters => log.waiters_at_start(),
                };
                notified(log, expected, None)
            }
            Check::TwoHolders => two_holders(log),
            Check::Rewatched => rewatched(log, now),
            Check::Verdict { status, herd } => verdict(log, *status, *herd),
            Check::Own { of } if now.recipe == LockRecipeKind::Script => {
                of.evaluate(log, now, ensemble)
            }
            Check::Own { .. } => Outcome::Waiting(Found::default()),
            Check::Herd => {
                let (expected, other) = match now.recipe {
                    LockRecipeKind::ChildrenWatch => {
                        (log.waiters_at_start(), LockRecipeKind::Predecessor)
                    }
                    _ => (1, LockRecipeKind::ChildrenWatch),
                };
                let compared = now.herd.of(other).and_then(|h| h.last_handoff);
                notified(log, expected, compared)
            }
            Check::ServerList { servers } => server_list(now, *servers),
            Check::SeedOutput => seed_output(now),
            Check::ServerLeft => server_left(log, now),
            Check::GoneAtOnce => node_went(log, true),
            Check::StaysUntilExpiry => node_went(log, false),
            Check::LeaderMoved => leader_moved(log, now, ensemble),
            Check::SessionLost => match expired(log) {
                Some(client) => Outcome::Passed(Found {
                    client: Some(client),
                    ..Found::default()
                }),
                None => Outcome::Waiting(Found::default()),
            },
            Check::WritesWait => writes_wait(log, now, ensemble),
            Check::WritesResume => writes_resume(log, now, ensemble),
            Check::StaleWrite { outcome } => stale_write(log, *outcome),
            Check::Overlap => overlap(log),
            Check::CarefulHolder => careful_holder(log),
        }
    }
}

fn gained(log: &StepLog, now: &RoomView) -> Outcome {
    for event in log.events() {
        if let RoomEvent::LockGained { client, path } = event {
            return Outcome::Passed(Found {
                client: Some(*client),
                node: Some(path.clone()),
                ..Found::default()
            });
        }
    }
    let someone_left = log
        .events()
        .any(|e| matches!(e, RoomEvent::ClientClosed { .. }));
    if someone_left && now.locks.clients.is_empty() {
        return Outcome::Failed(Why::ClientGone, Found::default());
    }
    Outcome::Waiting(Found::default())
}

fn queued(log: &StepLog, now: &RoomView, waiters: u64) -> Outcome {
    if let Some(found) = log.first_violation() {
        return Outcome::Failed(Why::TwoHolders, found);
    }
    let queue = &now.locks;
    let holder = queue.holders().next().map(|h| h.id);
    let settled = queue
        .clients
        .iter()
        .all(|c| matches!(c.phase, ClientPhase::Waiting | ClientPhase::Holding));
    let waiting = queue.waiters_in_order();
    let watches_right = |c: &&crate::view::LockClientView| {
        let (Some(path), Some(watch)) = (&c.path, &c.watching) else {
            return false;
        };
        let children = watch.call == WatchCall::GetChildren && watch.path == LOCK_DIR;
        // The node just before its own in the queue as ZooKeeper has it now.
        let before = queue.nodes.iter().map(|n| &n.path).rfind(|p| *p < path);
        let predecessor = before == Some(&watch.path);
        match now.recipe {
            LockRecipeKind::ChildrenWatch => children,
            // A learner's recipe watches as it will: either way waits rightly.
            LockRecipeKind::Script => children || predecessor,
            _ => predecessor,
        }
    };
    let last = waiting.last();
    let found = Found {
        client: last.map(|c| c.id),
        node: last.and_then(|c| c.path.clone()),
        watched: last.and_then(|c| c.watching.as_ref().map(|w| w.path.clone())),
        other: holder,
        count: Some(waiting.len() as u64),
        expected: Some(waiters),
        ..Found::default()
    };
    let ready = settled
        && queue.holders().count() == 1
        && waiting.len() as u64 >= waiters
        && waiting.iter().all(watches_right);
    if ready {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

fn handed_on(log: &StepLog) -> Outcome {
    if let Some(found) = log.first_violation() {
        return Outcome::Failed(Why::TwoHolders, found);
    }
    let Some(hand_off) = log.hand_off() else {
        return Outcome::Failed(Why::NoHolder, Found::default());
    };
    let mut found = Found {
        other: Some(hand_off.holder),
        node: Some(hand_off.holder_path),
        count: Some(log.notifications()),
        ..Found::default()
    };
    match hand_off.next {
        Some((client, path)) => {
            found.client = Some(client);
            found.watched = Some(path);
            Outcome::Passed(found)
        }
        None => Outcome::Waiting(found),
    }
}

fn notified(log: &StepLog, expected: u64, compared: Option<u64>) -> Outcome {
    let Some(hand_off) = log.hand_off() else {
        return Outcome::Failed(Why::NoHolder, Found::default());
    };
    let count = log.notifications();
    let found = Found {
        other: Some(hand_off.holder),
        node: Some(hand_off.holder_path),
        client: hand_off.next.as_ref().map(|n| n.0),
        watched: hand_off.next.as_ref().map(|n| n.1.clone()),
        count: Some(count),
        expected: Some(expected),
        compared,
        ..Found::default()
    };
    if count > expected {
        Outcome::Failed(Why::OtherCount, found)
    } else if hand_off.next.is_some() && count == expected {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

fn two_holders(log: &StepLog) -> Outcome {
    if let Some(found) = log.first_violation() {
        return Outcome::Passed(found);
    }
    // Only once a fixed recipe has been put to the test: a step may switch to the naive one
    // before it begins (the shortest failure does).
    if log.fixed_recipe_notified() {
        return Outcome::Failed(Why::FixedRecipe, Found::default());
    }
    Outcome::Waiting(Found::default())
}

/// The latest check of the step with `status` (and the herd cost asked for); an earlier verdict
/// of another kind waits for the next.
fn verdict(log: &StepLog, status: VerdictStatus, herd: Option<u32>) -> Outcome {
    let latest = log.events().filter_map(|e| match e {
        RoomEvent::RecipeChecked { verdict, .. } => Some(verdict),
        _ => None,
    });
    let Some(verdict) = latest.last() else {
        return Outcome::Waiting(Found::default());
    };
    let cost = verdict.herd.map(|h| u64::from(h.notifications));
    // `{count}`: the clients checked; `{expected}`: what one hand-off cost.
    let found = Found {
        count: Some(verdict.clients.into()),
        expected: cost,
        ..Found::default()
    };
    let herd_fits = herd.is_none_or(|n| cost == Some(u64::from(n)));
    if verdict.status == status && herd_fits {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

fn rewatched(log: &StepLog, now: &RoomView) -> Outcome {
    if let Some(found) = log.first_violation() {
        return Outcome::Failed(Why::TwoHolders, found);
    }
    // One pass: per client, the node whose watch fired and whether it has listed since.
    let mut fired: std::collections::HashMap<ClientId, (&String, bool)> = Default::default();
    for event in log.events() {
        match event {
            RoomEvent::WatchFired { client, path, .. } => {
                fired.insert(*client, (path, false));
            }
            RoomEvent::ChildrenListed { client, .. } => {
                if let Some((_, listed)) = fired.get_mut(client) {
                    *listed = true;
                }
            }
            RoomEvent::WatchSet { client, path, .. } => {
                let Some(&(node, true)) = fired.get(client) else {
                    continue;
                };
                let waits = now
                    .locks
                    .client(*client)
                    .is_some_and(|c| c.phase == ClientPhase::Waiting);
                if path != node && waits && now.locks.holders().count() == 1 {
                    return Outcome::Passed(Found {
                        client: Some(*client),
                        node: Some(node.clone()),
                        watched: Some(path.clone()),
                        other: now.locks.holders().next().map(|h| h.id),
                        ..Found::default()
                    });
                }
            }
            _ => {}
        }
    }
    Outcome::Waiting(Found::default())
}

/// The room's first AppClient's latest line, and the line the registry's nodes make now.
fn app_client_lines(now: &RoomView) -> Option<(&[String], String)> {
    let app = now.registry.app_clients.first()?;
    let expected = server_list_line(now.registry.nodes.iter().map(Znode::data));
    Some((&app.lines, expected))
}

fn server_list(now: &RoomView, servers: u64) -> Outcome {
    let Some((lines, expected)) = app_client_lines(now) else {
        return Outcome::Failed(Why::NoAppClient, Found::default());
    };
    let found = Found {
        line: lines.last().cloned(),
        count: Some(now.registry.nodes.len() as u64),
        expected: Some(servers),
        ..Found::default()
    };
    if lines.last() == Some(&expected) && now.registry.nodes.len() as u64 == servers {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

fn seed_output(now: &RoomView) -> Outcome {
    let Some((lines, _)) = app_client_lines(now) else {
        return Outcome::Failed(Why::NoAppClient, Found::default());
    };
    let mut found = Found {
        count: Some(lines.len() as u64),
        expected: Some(SEED_APP_CLIENT_OUTPUT.len() as u64),
        line: lines.last().cloned(),
        ..Found::default()
    };
    let differs = lines
        .iter()
        .zip(SEED_APP_CLIENT_OUTPUT)
        .position(|(line, seed)| line != seed);
    let longer = lines.len() > SEED_APP_CLIENT_OUTPUT.len();
    if let Some(at) = differs.or(longer.then_some(SEED_APP_CLIENT_OUTPUT.len())) {
        found.line = lines.get(at).cloned();
        return Outcome::Failed(Why::OtherOutput, found);
    }
    if lines.len() == SEED_APP_CLIENT_OUTPUT.len() {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

fn server_left(log: &StepLog, now: &RoomView) -> Outcome {
    let Some((lines, expected)) = app_client_lines(now) else {
        return Outcome::Failed(Why::NoAppClient, Found::default());
    };
    let left = log.events().find_map(|e| match e {
        RoomEvent::ClientClosed { client, .. } => log.start.registry.server(*client),
        _ => None,
    });
    let Some(server) = left else {
        return Outcome::Waiting(Found::default());
    };
    let found = Found {
        client: Some(server.id),
        node: Some(server.name.clone()),
        line: lines.last().cloned(),
        ..Found::default()
    };
    let listed_without = lines.last() == Some(&expected)
        && !now.registry.nodes.iter().any(|n| n.data() == server.name);
    if listed_without {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

/// A lock client of the step's start left; `at_once` asks that its node went before half its
/// session timeout (a close), otherwise that it stayed at least that long (a crash: ZooKeeper
/// expires the session no sooner than two thirds of the timeout after the last ping). The
/// two may come in either order: a client that finishes deletes its node before it is
/// reported closed.
fn node_went(log: &StepLog, at_once: bool) -> Outcome {
    let mut left: Option<(&crate::view::LockClientView, &String, u64)> = None;
    let mut removed: std::collections::HashMap<&str, u64> = Default::default();
    for entry in &log.events {
        match &entry.event {
            RoomEvent::ClientClosed { client, .. } if left.is_none() => {
                if let Some(c) = log.start.locks.client(*client) {
                    if let Some(path) = &c.path {
                        left = Some((c, path, entry.at_ms));
                    }
                }
            }
            RoomEvent::ZnodeRemoved { path } => {
                removed.entry(path.as_str()).or_insert(entry.at_ms);
            }
            _ => {}
        }
    }
    let Some((client, node, since)) = left else {
        return Outcome::Waiting(Found::default());
    };
    let mut found = Found {
        client: Some(client.id),
        node: Some(node.clone()),
        expected: client.timeout_ms,
        ..Found::default()
    };
    let (Some(timeout), Some(&gone)) = (client.timeout_ms, removed.get(node.as_str())) else {
        return Outcome::Waiting(found);
    };
    let elapsed = gone.saturating_sub(since);
    found.count = Some(elapsed);
    match (at_once, elapsed < timeout / 2) {
        (true, true) | (false, false) => Outcome::Passed(found),
        (true, false) => Outcome::Failed(Why::NodeStayed, found),
        (false, true) => Outcome::Failed(Why::RemovedAtOnce, found),
    }
}

fn leader_of(ensemble: &EnsembleView) -> Option<u32> {
    crate::lesson::action::MemberTarget::Leader.resolve(ensemble)
}

fn expired(log: &StepLog) -> Option<ClientId> {
    log.events().find_map(|e| match e {
        RoomEvent::ClientClosed {
            client,
            reason: CloseReason::Expired,
        } => Some(*client),
        _ => None,
    })
}

fn leader_moved(log: &StepLog, now: &RoomView, ensemble: &EnsembleView) -> Outcome {
    let Some(old) = leader_of(&log.start_ensemble) else {
        return Outcome::Failed(Why::NoEnsemble, Found::default());
    };
    if let Some(client) = expired(log) {
        let found = Found {
            client: Some(client),
            member: Some(old),
            ..Found::default()
        };
        return Outcome::Failed(Why::SessionLost, found);
    }
    let new = leader_of(ensemble);
    let old_down = ensemble
        .members
        .iter()
        .any(|m| m.id == old && m.mode == MemberMode::Down);
    let clients = &log.start.locks.clients;
    let connected = clients
        .iter()
        .filter(|c| {
            now.sessions
                .liveness
                .iter()
                .any(|l| l.client == c.id && l.state == SessionStatus::Connected)
        })
        .count();
    let found = Found {
        member: Some(old),
        leader: new,
        count: Some(connected as u64),
        expected: Some(clients.len() as u64),
        ..Found::default()
    };
    let moved = old_down && new.is_some_and(|n| n != old) && ensemble.quorum;
    if moved && connected == clients.len() {
        Outcome::Passed(found)
    } else {
        Outcome::Waiting(found)
    }
}

/// Members running (serving, or looking for a quorum).
fn running(ensemble: &EnsembleView) -> u64 {
    ensemble
        .members
        .iter()
        .filter(|m| m.mode != MemberMode::Down)
        .count() as u64
}

fn writes_wait(log: &StepLog, now: &RoomView, ensemble: &EnsembleView) -> Outcome {
    if log.start_ensemble.members.len() < 3 {
        return Outcome::Failed(Why::NoEnsemble, Found::default());
    }
    let added = log.events().find_map(|e| match e {
        RoomEvent::ClientAdded { client, .. } => now.locks.client(*client),
        _ => None,
    });
    let found = Found {
        client: added.map(|c| c.id),
        count: Some(running(ensemble)),
        expected: Some(ensemble.members.len() as u64),
        ..Found::default()
    };
    match added {
        Some(c) if !ensemble.quorum && c.path.is_none() => Outcome::Passed(found),
        _ => Outcome::Waiting(found),
    }
}

fn writes_resume(log: &StepLog, now: &RoomView, ensemble: &EnsembleView) -> Outcome {
    let waiting: Vec<ClientId> = log
        .start
        .locks
        .clients
        .iter()
        .filter(|c| c.path.is_none())
        .map(|c| c.id)
        .collect();
    if waiting.is_empty() {
        return Outcome::Failed(Why::NoTarget, Found::default());
    }
    let made = waiting
        .iter()
        .find_map(|id| Some((*id, now.locks.client(*id)?.path.clone()?)));
    match made {
        Some((client, node)) if ensemble.quorum => Outcome::Passed(Found {
            client: Some(client),
            node: Some(node),
            ..Found::default()
        }),
        _ if waiting.iter().all(|id| now.locks.client(*id).is_none()) => {
            Outcome::Failed(Why::ClientGone, Found::default())
        }
        _ => Outcome::Waiting(Found::default()),
    }
}

fn stale_write(log: &StepLog, wanted: WriteOutcome) -> Outcome {
    for event in log.events() {
        let RoomEvent::ResourceWritten {
            client,
            path,
            token,
            outcome,
        } = event
        else {
            continue;
        };
        let found = Found {
            client: Some(*client),
            node: Some(path.clone()),
            count: Some(u64::try_from(*token).unwrap_or_default()),
            ..Found::default()
        };
        match outcome {
            WriteOutcome::Accepted => {}
            o if *o == wanted => return Outcome::Passed(found),
            WriteOutcome::Rejected => return Outcome::Failed(Why::FencingOn, found),
            WriteOutcome::Corrupted => return Outcome::Failed(Why::FencingOff, found),
        }
    }
    Outcome::Waiting(Found::default())
}

/// The client cut off in this step, and where in the events it then saw Disconnected.
fn partitioned_holder(log: &StepLog) -> Option<(ClientId, usize)> {
    let cut = log.events().position(|e| {
        matches!(
            e,
            RoomEvent::PartitionChanged {
                partitioned: true,
                ..
            }
        )
    })?;
    let RoomEvent::PartitionChanged { client: holder, .. } = &log.events[cut].event else {
        return None;
    };
    let holder = *holder;
    let at = log.events().skip(cut).position(|e| {
        matches!(e, RoomEvent::SessionChanged { client, state: SessionStatus::Disconnected, .. }
            if *client == holder)
    })?;
    Some((holder, cut + at))
}

fn overlap(log: &StepLog) -> Outcome {
    let Some((holder, disconnected)) = partitioned_holder(log) else {
        return Outcome::Waiting(Found::default());
    };
    // The partitioned holder's own events since it saw Disconnected.
    let its: Vec<&RoomEvent> = log
        .events()
        .skip(disconnected)
        .filter(|e| match e {
            RoomEvent::LockSuspended { client, .. }
            | RoomEvent::Violation { first: client, .. }
            | RoomEvent::ResourceWritten { client, .. }
            | RoomEvent::ClientClosed { client, .. } => *client == holder,
            _ => false,
        })
        .collect();
    let mut found = Found {
        client: Some(holder),
        ..Found::default()
    };
    if its
        .iter()
        .any(|e| matches!(e, RoomEvent::LockSuspended { .. }))
    {
        return Outcome::Failed(Why::Suspended, found);
    }
    if let Some(at) = its
        .iter()
        .position(|e| matches!(e, RoomEvent::Violation { .. }))
    {
        found = log.first_violation().unwrap_or_default();
        found.client = Some(holder);
        if its[at..]
            .iter()
            .any(|e| matches!(e, RoomEvent::ResourceWritten { .. }))
        {
            return Outcome::Passed(found);
        }
    }
    // Gone without two holders and a write after the next one gained: it cannot happen now.
    if its
        .iter()
        .any(|e| matches!(e, RoomEvent::ClientClosed { .. }))
    {
        Outcome::Failed(Why::ClientGone, found)
    } else {
        Outcome::Waiting(found)
    }
}

fn careful_holder(log: &StepLog) -> Outcome {
    if let Some(found) = log.first_violation() {
        return Outcome::Failed(Why::TwoHolders, found);
    }
    let Some((holder, disconnected)) = partitioned_holder(log) else {
        return Outcome::Waiting(Found::default());
    };
    let after: Vec<&RoomEvent> = log.events().skip(disconnected).collect();
    let mut found = Found {
        client: Some(holder),
        ..Found::default()
    };
    if after
        .iter()
        .any(|e| matches!(e, RoomEvent::ResourceWritten { client, .. } if *client == holder))
    {
        return Outcome::Failed(Why::WroteWhileDisconnected, found);
    }
    let suspended = after
        .iter()
        .position(|e| matches!(e, RoomEvent::LockSuspended { client, .. } if *client == holder));
    let next = suspended.and_then(|at| {
        after[at..].iter().find_map(|e| match e {
            RoomEvent::LockGained { client, path } if *client != holder => {
                Some((*client, path.clone()))
            }
            _ => None,
        })
    });
    match next {
        Some((client, path)) => {
            found.other = Some(client);
            found.watched = Some(path);
            Outcome::Passed(found)
        }
        None => Outcome::Waiting(found),
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
