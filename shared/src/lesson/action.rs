//! What a step's Do it does: the ordinary intents a learner could click, aimed at clients and
//! members chosen by their place in the room when the step runs.

use serde::{Deserialize, Serialize};

use crate::ensemble::EnsembleView;

use crate::kinds::{ClientId, LockRecipeKind, MemberMode};
use crate::time::MoveId;
pub use crate::time::{MoveClass, TraceMove};
use crate::view::{ClientPhase, RoomView};
use crate::znode::Znode;

/// One intent of a Do it. The server performs them in order and waits after each for what it
/// needs to settle (a new client's node in the queue, the AppClient's next line), so the room
/// is the same each time the step is done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    /// Lock clients, one after another, each waiting until it is in the queue (unless
    /// `no_wait`: without a quorum a new client cannot even connect).
    AddLockClients {
        count: u32,
        #[serde(default)]
        no_wait: bool,
    },
    /// AppServers, one after another, each waiting until every AppClient has listed it.
    AddServers {
        count: u32,
    },
    Crash {
        who: Target,
    },
    Kill {
        who: Target,
    },
    Pause {
        who: Target,
        #[serde(rename = "for")]
        span: Span,
    },
    Partition {
        who: Target,
        #[serde(rename = "for")]
        span: Span,
    },
    Release {
        who: Target,
    },
    SetRecipe {
        recipe: LockRecipeKind,
    },
    SetHold {
        hold: Span,
    },
    SetFencing {
        on: bool,
    },
    SetSuspendOnDisconnect {
        on: bool,
    },
    StopMember {
        which: MemberTarget,
    },
    StartMember {
        which: MemberTarget,
    },
    /// The model checker checks a template (the room publishes its verdict); the step's check
    /// waits for it.
    CheckRecipe {
        template: crate::recipe::RecipeTemplate,
    },
    /// A recipe becomes the room's own and its lock clients run it: the template, or without
    /// one the recipe of the room's last safe verdict (the learner's own).
    RunRecipe {
        #[serde(default)]
        template: Option<crate::recipe::RecipeTemplate>,
    },
    /// The room in step mode, `clients` lock clients added one after another, then the
    /// recorded interleaving `trace` (by name, from `lessons/traces.json`) played at the gate
    /// move by move, `pace` apart so the eye can follow: each move is let go once its client
    /// stands at it, and the next waits until its answer is in.
    PlayTrace {
        trace: String,
        clients: u32,
        #[serde(default)]
        pace: Span,
    },
}

/// A length of time: fixed, or in percent of the room's session timeout (a pause that must
/// outlast the session is written so, and holds for a server whatever its timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    Ms(u64),
    TimeoutPercent(u64),
}

impl Default for Span {
    fn default() -> Self {
        Span::Ms(0)
    }
}

impl Span {
    pub fn ms(self, session_timeout_ms: u64) -> u64 {
        match self {
            Span::Ms(ms) => ms,
            Span::TimeoutPercent(percent) => session_timeout_ms.saturating_mul(percent) / 100,
        }
    }
}

/// A client, by its place in the room now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The lock client that holds the lock as ZooKeeper has it: the owner of the smallest
    /// node (a paused or cut-off client may still believe it holds a node that is gone).
    Holder,
    /// The `n`th waiting lock client in queue order (1 = right behind the holder).
    Waiter(u32),
    /// The lock client added last.
    Newest,
    /// The `n`th registered AppServer in `/sgroup` order.
    Server(u32),
    /// The AppServer added last.
    NewestServer,
}

impl Action {
    /// The client the intent is aimed at, if it is aimed at one.
    pub fn target(&self) -> Option<Target> {
        match self {
            Action::Crash { who }
            | Action::Kill { who }
            | Action::Pause { who, .. }
            | Action::Partition { who, .. }
            | Action::Release { who } => Some(*who),
            _ => None,
        }
    }
}

impl Target {
    /// The client this names in `view`, if there is one.
    pub fn resolve(self, view: &RoomView) -> Option<ClientId> {
        let locks = &view.locks;
        match self {
            Target::Holder => locks.holder().map(|c| c.id),
            Target::Waiter(n) => locks.waiters_in_order().get(nth(n)?).map(|c| c.id),
            Target::Newest => locks.clients.iter().map(|c| c.id).max(),
            Target::Server(n) => {
                let mut registered: Vec<_> = view
                    .registry
                    .servers
                    .iter()
                    .filter_map(|s| Some((s.path.as_deref()?, s.id)))
                    .collect();
                registered.sort();
                registered.get(nth(n)?).map(|(_, id)| *id)
            }
            Target::NewestServer => view.registry.servers.iter().map(|s| s.id).max(),
        }
    }
}

fn nth(n: u32) -> Option<usize> {
    usize::try_from(n).ok()?.checked_sub(1)
}

/// An ensemble member, by its role now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberTarget {
    Leader,
    /// The first member that follows.
    Follower,
    /// The first member that is down.
    Stopped,
}

impl MemberTarget {
    /// The member (1-based) this names in `ensemble`, if there is one.
    pub fn resolve(self, ensemble: &EnsembleView) -> Option<u32> {
        let wanted = match self {
            MemberTarget::Leader => MemberMode::Leader,
            MemberTarget::Follower => MemberMode::Follower,
            MemberTarget::Stopped => MemberMode::Down,
        };
        ensemble
            .members
            .iter()
            .find(|m| m.mode == wanted)
            .map(|m| m.id)
    }
}

/// What the server waits for after one intent before it does the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    /// Nothing: the step's check watches what follows.
    Nothing,
    /// The lock client has its node, the room's observer has seen it, and it waits or holds.
    Queued(ClientId),
    /// Every AppServer is registered, every AppClient's latest line lists exactly them, and
    /// the server `gone` (one that was crashed or killed) has left the room.
    Listed { gone: Option<ClientId> },
    /// The room runs this recipe (its old lock clients have closed).
    Recipe(LockRecipeKind),
    /// The room runs this recipe and `/locks` is empty: no old client's node is left to play
    /// a trace against.
    Fresh(LockRecipeKind),
    /// The member is down, or serves again.
    Member { id: u32, serving: bool },
    /// The client's next move of this class waits at the gate.
    Pending { client: ClientId, class: MoveClass },
    /// The move let go has been made and the client stands still again: at its next move,
    /// holding, watching, or gone.
    Moved { client: ClientId, released: MoveId },
    /// The client has left the room.
    Left(ClientId),
    /// The client has left the room and its session owns no node any more: a kill's expiry.
    Expired(ClientId),
    /// The room has a client the target names (a hand-off under way has ended, so there is a
    /// holder to aim at).
    Targetable(Target),
}

impl Settle {
    pub fn reached(self, view: &RoomView, ensemble: &EnsembleView) -> bool {
        match self {
            Settle::Recipe(recipe) => view.recipe == recipe && view.locks.clients.is_empty(),
            Settle::Fresh(recipe) => {
                Settle::Recipe(recipe).reached(view, ensemble) && view.locks.nodes.is_empty()
            }
            Settle::Member { id, serving } => ensemble.members.iter().any(|m| {
                m.id == id
                    && if serving {
                        m.mode.serves()
                    } else {
                        m.mode == MemberMode::Down
                    }
            }),
            Settle::Nothing => true,
            Settle::Pending { client, class } => view
                .time
                .pending
                .iter()
                .any(|m| m.client == client && MoveClass::of(m.kind) == Some(class)),
            Settle::Moved { client, released } => {
                let time = &view.time;
                if time.pending.iter().any(|m| m.id == released) {
                    return false;
                }
                match view.locks.client(client) {
                    None => true,
                    Some(c) => {
                        time.pending.iter().any(|m| m.client == client)
                            || c.phase == ClientPhase::Holding
                            || c.watching.is_some()
                    }
                }
            }
            Settle::Left(client) => view.locks.client(client).is_none(),
            Settle::Expired(client) => {
                view.locks.client(client).is_none()
                    && !view.sessions.departed.iter().any(|d| d.client == client)
            }
            Settle::Targetable(target) => target.resolve(view).is_some(),
            Settle::Queued(id) => view.locks.client(id).is_some_and(|c| {
                let seen = |path: &String| view.locks.nodes.iter().any(|n| &n.path == path);
                c.path.as_ref().is_some_and(seen)
                    && matches!(c.phase, ClientPhase::Waiting | ClientPhase::Holding)
            }),
            Settle::Listed { gone } => {
                let registry = &view.registry;
                if gone.is_some_and(|id| registry.server(id).is_some()) {
                    return false;
                }
                let line = crate::seed::server_list_line(registry.nodes.iter().map(Znode::data));
                registry.servers.iter().all(|s| s.path.is_some())
                    && registry.nodes.len() == registry.servers.len()
                    && registry
                        .app_clients
                        .iter()
                        .all(|a| a.lines.last() == Some(&line))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RoomEvent;

    #[test]
    fn a_crashed_server_has_settled_once_it_is_gone_and_listed() {
        let mut view = RoomView::new("t", 0);
        let events = [
            RoomEvent::AppClientAdded { client: 1 },
            RoomEvent::ServerAdded {
                client: 2,
                name: "server0000".into(),
                owner: None,
            },
            RoomEvent::ServerListUpdated {
                client: 1,
                servers: vec![],
            },
        ];
        for (i, e) in events.iter().enumerate() {
            view.apply(i as u64 + 1, 0, e);
        }
        // The old line lists nothing, and no node is registered, but the server has not gone.
        assert!(!Settle::Listed { gone: Some(2) }.reached(&view, &EnsembleView::default()));
        view.apply(
            4,
            0,
            &RoomEvent::ClientClosed {
                client: 2,
                reason: crate::kinds::CloseReason::Crashed,
            },
        );
        assert!(Settle::Listed { gone: Some(2) }.reached(&view, &EnsembleView::default()));
    }

    #[test]
    fn spans_in_percent_follow_the_session_timeout() {
        assert_eq!(Span::TimeoutPercent(118).ms(5000), 5900);
        assert_eq!(Span::Ms(300).ms(5000), 300);
    }
}

/// The recorded interleavings (`lessons/traces.json`), by name.
pub const TRACES_JSON: &str = include_str!("../../lessons/traces.json");

/// The recorded interleaving called `name`, if `lessons/traces.json` has it.
pub fn trace(name: &str) -> Option<Vec<TraceMove>> {
    let traces: std::collections::BTreeMap<String, Vec<TraceMove>> =
        serde_json::from_str(TRACES_JSON).expect("lessons/traces.json is valid (tested)");
    traces.get(name).cloned()
}

/// The shortest way the naive predecessor recipe gets two holders, as the model checker finds
/// it (`backend/tests/model_check.rs` checks that it is one, and that none is shorter).
pub fn shortest_naive_failure() -> Vec<TraceMove> {
    trace("shortest_naive_failure").expect("lessons/traces.json names it (tested)")
}

#[cfg(test)]
mod trace_tests {
    use super::*;

    #[test]
    fn the_stored_shortest_failure_reads_as_eight_moves_of_three_clients() {
        let trace = shortest_naive_failure();
        assert_eq!(trace.len(), 8);
        assert_eq!(trace[6], TraceMove::Crash(1));
        assert_eq!(trace[7], TraceMove::Notify(2));
    }
}
