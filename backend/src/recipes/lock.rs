//! The seed's three lock recipes, one state machine with a `LockRecipeKind`.
//!
//! Every client creates `/locks/sub` EPHEMERAL_SEQUENTIAL and lists `/locks`; the smallest node
//! holds the lock. Then:
//! - `Predecessor` (the first `DistributedClient` with the fix from its 思考 section): a waiter
//!   watches the node just before its own; when that watch fires it lists `/locks` again (a
//!   predecessor that crashed while waiting is not a release) and holds or re-watches.
//! - `PredecessorNaive` (the same without the fix): a fired watch is taken as the release, and
//!   the waiter holds at once. A waiter that crashes gives its successor the lock while the
//!   holder still holds it.
//! - `ChildrenWatch` (`DistributedClient2`): every client lists `/locks` with a children watch and
//!   re-lists on every change; every change notifies every waiter (the herd effect).

use shared::{ClientId, CloseReason, LockRecipeKind, RoomEvent, WatchCall, WatchedKind};

/// The folder the recipe contends in, as the seed names it (inside the room's chroot).
pub const LOCK_DIR: &str = "/locks";
/// The prefix of every lock node.
pub const LOCK_PREFIX: &str = "/locks/sub";

/// A ZooKeeper call the recipe wants made; its result comes back as an [`Input`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZkCall {
    /// `create(LOCK_PREFIX, EPHEMERAL_SEQUENTIAL)` → [`Input::Created`].
    CreateLockNode,
    /// `getChildren(LOCK_DIR, watch)` → [`Input::Children`]; with `watch`, the children watch
    /// is armed when the result comes back.
    ListLockDir { watch: bool },
    /// Arm a one-shot watch on `path` with `call` → [`Input::WatchArmed`].
    Watch { path: String, call: WatchCall },
    /// `delete(path, -1)` → [`Input::Deleted`].
    Delete { path: String },
}

/// What the driver must do next, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Call(ZkCall),
    Publish(RoomEvent),
    /// The lock is held: keep it for the room's hold time (or until released), then send
    /// [`Input::HoldOver`].
    Hold,
    /// Close the session; the client is done.
    Close(CloseReason),
}

/// What happened to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Connected {
        session: i64,
    },
    Created {
        path: String,
    },
    Children {
        names: Vec<String>,
    },
    /// The watch is armed; `exists` is false when the watched node was already gone.
    WatchArmed {
        path: String,
        call: WatchCall,
        exists: bool,
    },
    WatchFired {
        path: String,
        kind: WatchedKind,
    },
    /// The hold time elapsed or a user pressed Release.
    HoldOver,
    Deleted,
    /// A ZooKeeper call failed.
    Failed {
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Connecting,
    Creating,
    Listing,
    Arming,
    Waiting,
    Holding,
    Releasing,
    Done,
}

/// One lock client's recipe state.
#[derive(Clone, Debug)]
pub struct LockRecipe {
    kind: LockRecipeKind,
    client: ClientId,
    phase: Phase,
    /// The seed's `thisPath`.
    this_path: Option<String>,
    /// The seed's `waitPath`.
    wait_path: Option<String>,
}

impl LockRecipe {
    pub fn new(kind: LockRecipeKind, client: ClientId) -> Self {
        LockRecipe {
            kind,
            client,
            phase: Phase::Connecting,
            this_path: None,
            wait_path: None,
        }
    }

    pub fn this_path(&self) -> Option<&str> {
        self.this_path.as_deref()
    }

    pub fn is_holding(&self) -> bool {
        self.phase == Phase::Holding
    }

    fn list(&self) -> Step {
        Step::Call(ZkCall::ListLockDir {
            watch: self.kind == LockRecipeKind::ChildrenWatch,
        })
    }

    /// Feeds one input and returns what to do next.
    pub fn on(&mut self, input: Input) -> Vec<Step> {
        let client = self.client;
        match (&self.phase, input) {
            (_, Input::Failed { message }) => {
                self.phase = Phase::Done;
                vec![
                    Step::Publish(RoomEvent::ClientError { client, message }),
                    Step::Close(CloseReason::Failed),
                ]
            }
            (Phase::Connecting, Input::Connected { session }) => {
                self.phase = Phase::Creating;
                vec![
                    Step::Publish(RoomEvent::ClientConnected {
                        client,
                        session: format!("{session:#x}"),
                    }),
                    Step::Call(ZkCall::CreateLockNode),
                ]
            }
            (Phase::Creating, Input::Created { path }) => {
                self.phase = Phase::Listing;
                self.this_path = Some(path.clone());
                vec![
                    Step::Publish(RoomEvent::NodeCreatedByClient { client, path }),
                    self.list(),
                ]
            }
            (Phase::Listing, Input::Children { mut names }) => {
                // Sequence numbers are zero-padded, so sorting the names sorts the queue.
                names.sort();
                let mut steps = vec![Step::Publish(RoomEvent::ChildrenListed {
                    client,
                    children: names.clone(),
                })];
                if self.kind == LockRecipeKind::ChildrenWatch {
                    steps.push(Step::Publish(RoomEvent::WatchSet {
                        client,
                        path: LOCK_DIR.into(),
                        call: WatchCall::GetChildren,
                    }));
                }
                steps.extend(self.decide(&names));
                steps
            }
            (Phase::Arming, Input::WatchArmed { path, call, exists }) => {
                if exists {
                    self.phase = Phase::Waiting;
                    vec![Step::Publish(RoomEvent::WatchSet { client, path, call })]
                } else {
                    // The predecessor left between the listing and the watch: look again.
                    self.phase = Phase::Listing;
                    vec![self.list()]
                }
            }
            (Phase::Waiting, Input::WatchFired { path, kind }) => {
                let mut steps = vec![Step::Publish(RoomEvent::WatchFired {
                    client,
                    path: path.clone(),
                    event: kind,
                })];
                if self.wait_path.as_deref() != Some(path.as_str()) {
                    return steps;
                }
                match (self.kind, kind) {
                    (LockRecipeKind::PredecessorNaive, WatchedKind::NodeDeleted) => {
                        // The seed's first listing: the predecessor is gone, so "I hold it".
                        steps.extend(self.gain());
                    }
                    (_, WatchedKind::NodeDeleted | WatchedKind::NodeChildrenChanged) => {
                        // The fix (and the children watch): re-list instead of trusting the
                        // notification: a deleted predecessor may have crashed while waiting.
                        self.phase = Phase::Listing;
                        steps.push(self.list());
                    }
                    (_, WatchedKind::Session) => {}
                    _ => {
                        // A data change on the predecessor: the one-shot watch is spent, re-arm.
                        self.phase = Phase::Arming;
                        steps.push(Step::Call(ZkCall::Watch {
                            path,
                            call: WatchCall::Exists,
                        }));
                    }
                }
                steps
            }
            (Phase::Holding, Input::HoldOver) => {
                // As the seed does: print `finished:` first, then delete. Publishing before the
                // delete keeps the room's history causal: no successor can gain the lock before
                // this release is recorded.
                self.phase = Phase::Releasing;
                let path = self.this_path.clone().unwrap_or_default();
                vec![
                    Step::Publish(RoomEvent::LockReleased {
                        client,
                        path: path.clone(),
                    }),
                    Step::Call(ZkCall::Delete { path }),
                ]
            }
            (Phase::Releasing, Input::Deleted) => {
                self.phase = Phase::Done;
                vec![Step::Close(CloseReason::Finished)]
            }
            // A holder's children watch may still fire (the seed's holder re-arms it too): the
            // notification was delivered and is reported, but changes nothing.
            (Phase::Holding | Phase::Releasing, Input::WatchFired { path, kind }) => {
                vec![Step::Publish(RoomEvent::WatchFired {
                    client,
                    path,
                    event: kind,
                })]
            }
            // Anything else is stale (a release of a client that does not hold): nothing to do.
            _ => Vec::new(),
        }
    }

    fn gain(&mut self) -> Vec<Step> {
        self.phase = Phase::Holding;
        self.wait_path = None;
        vec![
            Step::Publish(RoomEvent::LockGained {
                client: self.client,
                path: self.this_path.clone().unwrap_or_default(),
            }),
            Step::Hold,
        ]
    }

    /// After a listing: hold if smallest, else wait (on the predecessor, or on the children
    /// watch the listing armed).
    fn decide(&mut self, sorted: &[String]) -> Vec<Step> {
        let client = self.client;
        let this_path = self.this_path.clone().unwrap_or_default();
        let this_name = this_path.rsplit('/').next().unwrap_or_default();
        match sorted.iter().position(|n| n == this_name) {
            Some(0) => self.gain(),
            Some(_) if self.kind == LockRecipeKind::ChildrenWatch => {
                self.phase = Phase::Waiting;
                self.wait_path = Some(LOCK_DIR.into());
                Vec::new()
            }
            Some(index) => {
                // The seed arms the first watch with getData and re-watches with exists.
                let call = if self.wait_path.is_none() {
                    WatchCall::GetData
                } else {
                    WatchCall::Exists
                };
                let path = format!("{LOCK_DIR}/{}", sorted[index - 1]);
                self.wait_path = Some(path.clone());
                self.phase = Phase::Arming;
                vec![Step::Call(ZkCall::Watch { path, call })]
            }
            None => {
                // Our own ephemeral node is gone: the session must have ended under us.
                self.phase = Phase::Done;
                vec![
                    Step::Publish(RoomEvent::ClientError {
                        client,
                        message: format!("{this_path} is no longer in {LOCK_DIR}"),
                    }),
                    Step::Close(CloseReason::Failed),
                ]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut r = LockRecipe::new(kind, client);
        assert_eq!(
            calls(&r.on(Input::Connected { session: 0x10 })),
            vec![ZkCall::CreateLockNode]
        );
        assert_eq!(
            calls(&r.on(Input::Created {
                path: format!("/locks/{own}")
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
        assert!(r.is_holding());
        assert_eq!(
            r.on(Input::HoldOver),
            vec![
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
    fn listing_is_sorted_before_deciding() {
        let (_, steps) = contend(
            3,
            "sub0000000002",
            &["sub0000000002", "sub0000000000", "sub0000000001"],
        );
        assert!(steps.contains(&Step::Publish(RoomEvent::ChildrenListed {
            client: 3,
            children: names(&["sub0000000000", "sub0000000001", "sub0000000002"])
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
        let mut r = LockRecipe::new(LockRecipeKind::Predecessor, 9);
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
