//! The seed's three lock recipes: a shared core, and one state machine per recipe beside it.
//!
//! Every client creates `/locks/sub` EPHEMERAL_SEQUENTIAL and lists `/locks`; the smallest node
//! holds the lock, and a holder releases by deleting its node. That much is the [`base::Core`]. The
//! recipes differ in how a waiter waits and what a notification means to it:
//! - [`predecessor::PredecessorLock`]: the seed's first `DistributedClient` with the fix from its
//!   思考 section: watch the node just before your own, re-list on every notification.
//! - [`naive::NaiveLock`]: the same without the fix: a fired watch is taken as the release.
//! - [`children_watch::ChildrenWatchLock`]: `DistributedClient2`: watch the children of
//!   `/locks`, re-list on every change; every change wakes every waiter (the herd).
//!
//! A learner's own recipe, written in Rhai, is a fourth: [`script::ScriptLock`]. All of them are
//! [`LockMachine`]s, which the server's lock client and the model checker (`crate::check`) drive.

mod base;
mod children_watch;
mod naive;
mod predecessor;
pub mod script;

use shared::recipe::RecipeError;
use shared::{ClientId, LockRecipeKind, MoveKind, SeedPoint, WatchCall};

use self::children_watch::ChildrenWatchLock;
use self::naive::NaiveLock;
use self::predecessor::PredecessorLock;
use self::script::{Program, ScriptLock};
use std::sync::Arc;

pub use self::base::{answered, Input, Step, ZkCall, LOCK_PREFIX};
use self::base::{Core, Phase};
pub use shared::LOCK_DIR;
/// A lock client's recipe as a state machine: inputs in, steps out. Comparable and hashable,
/// so that the model checker can tell its states apart.
pub trait LockMachine: Clone + std::fmt::Debug + Eq + std::hash::Hash + Send + Sync {
    /// Feeds one input and returns what to do next.
    fn on(&mut self, input: Input) -> Vec<Step>;
    /// The node it created, once it has.
    fn this_path(&self) -> Option<&str>;
    fn is_holding(&self) -> bool;
    /// Waiting for a notification: it makes no call until one comes.
    fn is_waiting(&self) -> bool;
    /// A careful holder whose connection dropped: it holds its node and does no work.
    fn is_suspended(&self) -> bool;
    /// The error a learner's recipe ran into, which ended the client; built-in recipes have
    /// none.
    fn error(&self) -> Option<&RecipeError> {
        None
    }
}

/// One lock client's recipe, whichever the room runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockRecipe {
    Predecessor(PredecessorLock),
    Naive(NaiveLock),
    ChildrenWatch(ChildrenWatchLock),
    Script(Box<ScriptLock>),
}

/// What a room's lock clients run: a recipe by kind, and the room's own program for
/// [`LockRecipeKind::Script`].
#[derive(Clone, Debug, Default)]
pub struct RoomRecipe {
    pub kind: LockRecipeKind,
    pub script: Option<Arc<Program>>,
}

impl RoomRecipe {
    /// A new client's recipe; none when the room runs its own recipe and has no program.
    pub fn start(&self, client: ClientId) -> Option<LockRecipe> {
        match (self.kind, &self.script) {
            (LockRecipeKind::Script, Some(program)) => {
                Some(LockRecipe::script(program.clone(), client))
            }
            (kind, _) => LockRecipe::new(kind, client),
        }
    }
}

impl LockRecipe {
    /// A built-in recipe; a learner's needs its program ([`LockRecipe::script`]).
    pub fn new(kind: LockRecipeKind, client: ClientId) -> Option<Self> {
        match kind {
            LockRecipeKind::Predecessor => {
                Some(LockRecipe::Predecessor(PredecessorLock::new(client)))
            }
            LockRecipeKind::PredecessorNaive => Some(LockRecipe::Naive(NaiveLock::new(client))),
            LockRecipeKind::ChildrenWatch => {
                Some(LockRecipe::ChildrenWatch(ChildrenWatchLock::new(client)))
            }
            LockRecipeKind::Script => None,
        }
    }

    /// A client running a learner's recipe.
    pub fn script(program: Arc<Program>, client: ClientId) -> Self {
        LockRecipe::Script(Box::new(ScriptLock::new(program, client)))
    }

    /// The built-in recipe's shared core; a learner's recipe has none.
    fn core(&self) -> Option<&Core> {
        match self {
            LockRecipe::Predecessor(r) => Some(&r.core),
            LockRecipe::Naive(r) => Some(&r.core),
            LockRecipe::ChildrenWatch(r) => Some(&r.core),
            LockRecipe::Script(_) => None,
        }
    }

    /// The line of a learner's recipe its last call was made at; none for a built-in recipe.
    pub fn line(&self) -> Option<u32> {
        match self {
            LockRecipe::Script(r) => Some(r.line()).filter(|&l| l > 0),
            _ => None,
        }
    }

    /// What a call is as a move at the room's gate, and the seed line it is; `relist`: the
    /// client has listed `/locks` before (a second look is the fix's line).
    pub fn call_move(&self, call: &ZkCall, relist: bool) -> (MoveKind, SeedPoint) {
        match call {
            ZkCall::CreateLockNode => (MoveKind::Create, SeedPoint::Create),
            ZkCall::ListLockDir { .. } if relist => (MoveKind::GetChildren, SeedPoint::Relist),
            ZkCall::ListLockDir { .. } => (MoveKind::GetChildren, SeedPoint::GetChildren),
            ZkCall::Watch {
                call: WatchCall::GetData,
                ..
            } => (MoveKind::GetData, SeedPoint::WatchPredecessor),
            ZkCall::Watch { .. } => (MoveKind::Exists, SeedPoint::Rewatch),
            ZkCall::Delete { .. } => (MoveKind::Delete, SeedPoint::Delete),
        }
    }
}

impl LockMachine for LockRecipe {
    fn on(&mut self, input: Input) -> Vec<Step> {
        match self {
            LockRecipe::Predecessor(r) => r.on(input),
            LockRecipe::Naive(r) => r.on(input),
            LockRecipe::ChildrenWatch(r) => r.on(input),
            LockRecipe::Script(r) => r.on(input),
        }
    }

    fn this_path(&self) -> Option<&str> {
        match (self.core(), self) {
            (Some(core), _) => core.this_path.as_deref(),
            (None, LockRecipe::Script(r)) => r.this_path(),
            (None, _) => None,
        }
    }

    fn is_holding(&self) -> bool {
        match (self.core(), self) {
            (Some(core), _) => core.phase == Phase::Holding,
            (None, LockRecipe::Script(r)) => r.is_holding(),
            (None, _) => false,
        }
    }

    fn is_waiting(&self) -> bool {
        match (self.core(), self) {
            (Some(core), _) => core.phase == Phase::Waiting,
            (None, LockRecipe::Script(r)) => r.is_waiting(),
            (None, _) => false,
        }
    }

    fn is_suspended(&self) -> bool {
        match (self.core(), self) {
            (Some(core), _) => core.phase == Phase::Suspended,
            (None, LockRecipe::Script(r)) => r.is_suspended(),
            (None, _) => false,
        }
    }

    fn error(&self) -> Option<&RecipeError> {
        match self {
            LockRecipe::Script(r) => r.error(),
            _ => None,
        }
    }
}

impl LockMachine for ScriptLock {
    fn on(&mut self, input: Input) -> Vec<Step> {
        ScriptLock::on(self, input)
    }

    fn this_path(&self) -> Option<&str> {
        ScriptLock::this_path(self)
    }

    fn is_holding(&self) -> bool {
        ScriptLock::is_holding(self)
    }

    fn is_waiting(&self) -> bool {
        ScriptLock::is_waiting(self)
    }

    fn is_suspended(&self) -> bool {
        ScriptLock::is_suspended(self)
    }

    fn error(&self) -> Option<&RecipeError> {
        ScriptLock::error(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{CloseReason, RoomEvent, WatchedKind};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn calls(steps: &[Step]) -> Vec<ZkCall> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Call(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// Drives a recipe through connect, create and the first listing.
    fn contend(client: ClientId, own: &str, children: &[&str]) -> (LockRecipe, Vec<Step>) {
        contend_with(LockRecipeKind::Predecessor, client, own, children)
    }

    fn contend_with(
        kind: LockRecipeKind,
        client: ClientId,
        own: &str,
        children: &[&str],
    ) -> (LockRecipe, Vec<Step>) {
        let mut r = LockRecipe::new(kind, client).expect("built in");
        assert_eq!(
            calls(&r.on(Input::Connected {
                session: 0x10,
                timeout_ms: 5000
            })),
            vec![ZkCall::CreateLockNode]
        );
        assert_eq!(
            calls(&r.on(Input::Created {
                path: format!("/locks/{own}"),
                czxid: 100 + i64::from(client),
            })),
            vec![ZkCall::ListLockDir {
                watch: kind == LockRecipeKind::ChildrenWatch
            }]
        );
        let steps = r.on(Input::Children {
            names: names(children),
        });
        (r, steps)
    }

    #[test]
    fn smallest_node_gains_the_lock_and_releases_after_hold() {
        let (mut r, steps) = contend(1, "sub0000000000", &["sub0000000000"]);
        assert!(steps.contains(&Step::Publish(RoomEvent::LockGained {
            client: 1,
            path: "/locks/sub0000000000".into()
        })));
        assert_eq!(steps.last(), Some(&Step::Hold));
        // The holder writes with its node's czxid as fencing token when it gains the lock.
        assert!(steps.contains(&Step::Write { token: 101 }));
        assert!(r.is_holding());
        assert_eq!(
            r.on(Input::HoldOver),
            vec![
                Step::Write { token: 101 },
                Step::Publish(RoomEvent::LockReleased {
                    client: 1,
                    path: "/locks/sub0000000000".into()
                }),
                Step::Call(ZkCall::Delete {
                    path: "/locks/sub0000000000".into()
                })
            ]
        );
        assert_eq!(
            r.on(Input::Deleted),
            vec![Step::Close(CloseReason::Finished)]
        );
    }

    #[test]
    fn a_careful_holder_suspends_on_a_lost_connection_and_holds_again_once_back() {
        let path = || "/locks/sub0000000000".to_string();
        for kind in [
            LockRecipeKind::Predecessor,
            LockRecipeKind::PredecessorNaive,
            LockRecipeKind::ChildrenWatch,
        ] {
            let mut r = LockRecipe::new(kind, 1).expect("built in");
            r.on(Input::Connected {
                session: 1,
                timeout_ms: 5000,
            });
            r.on(Input::Created {
                path: path(),
                czxid: 101,
            });
            r.on(Input::Children {
                names: names(&["sub0000000000"]),
            });
            assert!(r.is_holding(), "{kind:?}");
            // The seed's holder goes on as if nothing happened.
            let careless = Input::Connection {
                connected: false,
                careful: false,
            };
            assert!(r.on(careless).is_empty() && r.is_holding());
            let lost = Input::Connection {
                connected: false,
                careful: true,
            };
            assert_eq!(
                r.on(lost),
                vec![Step::Publish(RoomEvent::LockSuspended {
                    client: 1,
                    path: path()
                })]
            );
            assert!(r.is_suspended() && !r.is_holding());
            let back = Input::Connection {
                connected: true,
                careful: true,
            };
            assert_eq!(
                r.on(back),
                vec![Step::Publish(RoomEvent::LockResumed {
                    client: 1,
                    path: path()
                })]
            );
            assert!(r.is_holding());
        }
    }

    #[test]
    fn listing_is_sorted_before_deciding() {
        let (_, steps) = contend(
            3,
            "sub0000000002",
            &["sub0000000002", "sub0000000000", "sub0000000001"],
        );
        assert!(steps.contains(&Step::Publish(RoomEvent::ChildrenListed {
            client: 3,
            dir: "/locks".into(),
            children: names(&["sub0000000000", "sub0000000001", "sub0000000002"]),
            total: 3,
        })));
        assert_eq!(
            calls(&steps),
            vec![ZkCall::Watch {
                path: "/locks/sub0000000001".into(),
                call: WatchCall::GetData
            }]
        );
    }

    #[test]
    fn waiter_takes_the_lock_when_its_predecessor_releases() {
        let (mut r, _) = contend(2, "sub0000000001", &["sub0000000000", "sub0000000001"]);
        let armed = r.on(Input::WatchArmed {
            path: "/locks/sub0000000000".into(),
            call: WatchCall::GetData,
            exists: true,
        });
        assert_eq!(
            armed,
            vec![Step::Publish(RoomEvent::WatchSet {
                client: 2,
                path: "/locks/sub0000000000".into(),
                call: WatchCall::GetData
            })]
        );
        let fired = r.on(Input::WatchFired {
            path: "/locks/sub0000000000".into(),
            kind: WatchedKind::NodeDeleted,
        });
        assert_eq!(calls(&fired), vec![ZkCall::ListLockDir { watch: false }]);
        assert!(!r.is_holding(), "the fixed recipe re-checks before holding");
        let steps = r.on(Input::Children {
            names: names(&["sub0000000001"]),
        });
        assert!(r.is_holding());
        assert_eq!(steps.last(), Some(&Step::Hold));
    }

    #[test]
    fn crashed_waiter_makes_its_successor_rewatch_not_hold() {
        // sub5 holds, sub6 waits on sub5, sub7 waits on sub6; client 6 crashes.
        let (mut r, _) = contend(
            7,
            "sub0000000007",
            &["sub0000000005", "sub0000000006", "sub0000000007"],
        );
        r.on(Input::WatchArmed {
            path: "/locks/sub0000000006".into(),
            call: WatchCall::GetData,
            exists: true,
        });
        let fired = r.on(Input::WatchFired {
            path: "/locks/sub0000000006".into(),
            kind: WatchedKind::NodeDeleted,
        });
        assert_eq!(calls(&fired), vec![ZkCall::ListLockDir { watch: false }]);
        let steps = r.on(Input::Children {
            names: names(&["sub0000000007", "sub0000000005"]),
        });
        assert!(!r.is_holding(), "sub5 still holds the lock");
        assert_eq!(
            calls(&steps),
            vec![ZkCall::Watch {
                path: "/locks/sub0000000005".into(),
                call: WatchCall::Exists
            }]
        );
        assert!(!steps
            .iter()
            .any(|s| matches!(s, Step::Publish(RoomEvent::LockGained { .. }))));
    }

    #[test]
    fn predecessor_gone_before_the_watch_is_armed_means_list_again() {
        let (mut r, _) = contend(2, "sub0000000001", &["sub0000000000", "sub0000000001"]);
        let steps = r.on(Input::WatchArmed {
            path: "/locks/sub0000000000".into(),
            call: WatchCall::GetData,
            exists: false,
        });
        assert_eq!(
            steps,
            vec![Step::Call(ZkCall::ListLockDir { watch: false })]
        );
    }

    #[test]
    fn release_while_waiting_and_stale_notifications_are_ignored() {
        let (mut r, _) = contend(2, "sub0000000001", &["sub0000000000", "sub0000000001"]);
        r.on(Input::WatchArmed {
            path: "/locks/sub0000000000".into(),
            call: WatchCall::GetData,
            exists: true,
        });
        assert!(r.on(Input::HoldOver).is_empty());
        let other = r.on(Input::WatchFired {
            path: "/locks/elsewhere".into(),
            kind: WatchedKind::NodeDeleted,
        });
        assert_eq!(calls(&other), vec![]);
    }

    #[test]
    fn own_node_missing_from_listing_fails_the_client() {
        let (_, steps) = contend(4, "sub0000000004", &["sub0000000000"]);
        assert_eq!(steps.last(), Some(&Step::Close(CloseReason::Failed)));
    }

    #[test]
    fn a_failed_call_closes_the_client_with_its_message() {
        let mut r = LockRecipe::new(LockRecipeKind::Predecessor, 9).expect("built in");
        let steps = r.on(Input::Failed {
            message: "connection loss".into(),
        });
        assert_eq!(
            steps,
            vec![
                Step::Publish(RoomEvent::ClientError {
                    client: 9,
                    message: "connection loss".into()
                }),
                Step::Close(CloseReason::Failed)
            ]
        );
    }

    #[test]
    fn calls_name_their_move_and_seed_line() {
        let (mut r, steps) = contend(2, "sub0000000001", &["sub0000000000", "sub0000000001"]);
        let watch = &calls(&steps)[0];
        assert_eq!(
            r.call_move(watch, true),
            (MoveKind::GetData, SeedPoint::WatchPredecessor)
        );
        // Its first listing is at the seed's first getChildren...
        let fresh = LockRecipe::new(LockRecipeKind::Predecessor, 1).expect("built in");
        let list = ZkCall::ListLockDir { watch: false };
        assert_eq!(
            fresh.call_move(&ZkCall::CreateLockNode, false),
            (MoveKind::Create, SeedPoint::Create)
        );
        assert_eq!(
            fresh.call_move(&list, false),
            (MoveKind::GetChildren, SeedPoint::GetChildren)
        );
        // ...and after a notification at the fix's re-check.
        r.on(Input::WatchArmed {
            path: "/locks/sub0000000000".into(),
            call: WatchCall::GetData,
            exists: true,
        });
        let steps = r.on(Input::WatchFired {
            path: "/locks/sub0000000000".into(),
            kind: WatchedKind::NodeDeleted,
        });
        assert_eq!(calls(&steps), vec![list.clone()]);
        assert_eq!(
            r.call_move(&list, true),
            (MoveKind::GetChildren, SeedPoint::Relist)
        );
        let steps = r.on(Input::Children {
            names: names(&["sub0000000001"]),
        });
        assert_eq!(steps.last(), Some(&Step::Hold));
        let release = r.on(Input::HoldOver);
        assert_eq!(
            r.call_move(&calls(&release)[0], true),
            (MoveKind::Delete, SeedPoint::Delete)
        );
        assert_eq!(
            r.call_move(
                &ZkCall::Watch {
                    path: "/locks/sub0000000000".into(),
                    call: WatchCall::Exists
                },
                true
            ),
            (MoveKind::Exists, SeedPoint::Rewatch)
        );
    }

    #[test]
    fn naive_waiter_takes_a_crashed_predecessor_for_a_release() {
        // sub5 holds, sub6 waits on sub5, sub7 waits on sub6; client 6 crashes.
        let (mut r, _) = contend_with(
            LockRecipeKind::PredecessorNaive,
            7,
            "sub0000000007",
            &["sub0000000005", "sub0000000006", "sub0000000007"],
        );
        r.on(Input::WatchArmed {
            path: "/locks/sub0000000006".into(),
            call: WatchCall::GetData,
            exists: true,
        });
        let steps = r.on(Input::WatchFired {
            path: "/locks/sub0000000006".into(),
            kind: WatchedKind::NodeDeleted,
        });
        assert!(r.is_holding(), "the naive recipe trusts the notification");
        assert!(calls(&steps).is_empty(), "and does not look again");
        assert!(steps.contains(&Step::Publish(RoomEvent::LockGained {
            client: 7,
            path: "/locks/sub0000000007".into()
        })));
    }

    #[test]
    fn children_watch_waiter_relists_with_a_watch_on_every_change() {
        let (mut r, steps) = contend_with(
            LockRecipeKind::ChildrenWatch,
            2,
            "sub0000000001",
            &["sub0000000000", "sub0000000001"],
        );
        assert!(steps.contains(&Step::Publish(RoomEvent::WatchSet {
            client: 2,
            path: "/locks".into(),
            call: WatchCall::GetChildren
        })));
        assert!(calls(&steps).is_empty(), "it waits on the children watch");
        // Someone joins behind it: notified, re-lists, still not first.
        let steps = r.on(Input::WatchFired {
            path: "/locks".into(),
            kind: WatchedKind::NodeChildrenChanged,
        });
        assert_eq!(calls(&steps), vec![ZkCall::ListLockDir { watch: true }]);
        r.on(Input::Children {
            names: names(&["sub0000000000", "sub0000000001", "sub0000000002"]),
        });
        assert!(!r.is_holding());
        // The holder leaves: notified, re-lists, holds.
        r.on(Input::WatchFired {
            path: "/locks".into(),
            kind: WatchedKind::NodeChildrenChanged,
        });
        let steps = r.on(Input::Children {
            names: names(&["sub0000000001", "sub0000000002"]),
        });
        assert!(r.is_holding());
        assert_eq!(steps.last(), Some(&Step::Hold));
        // A change while holding is reported and changes nothing.
        let steps = r.on(Input::WatchFired {
            path: "/locks".into(),
            kind: WatchedKind::NodeChildrenChanged,
        });
        assert_eq!(steps.len(), 1);
        assert!(r.is_holding());
    }
}
