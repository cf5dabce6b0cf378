//! What every lock recipe shares: the calls it asks ZooKeeper for, the inputs it gets back, the
//! steps it takes, and the [`Core`] of the queue (create, list, hold, release).

use shared::{CallReply, ClientId, CloseReason, RoomEvent, WatchCall, WatchedKind, ZkOp};

use shared::LOCK_DIR;

/// The prefix of every lock node.
pub const LOCK_PREFIX: &str = "/locks/sub";

/// A ZooKeeper call the recipe wants made; its result comes back as an [`Input`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

impl ZkCall {
    /// The call as the seed's Java makes it: the method, and the path it names.
    pub fn op(&self) -> (ZkOp, String) {
        match self {
            ZkCall::CreateLockNode => (ZkOp::Create, LOCK_PREFIX.to_string()),
            ZkCall::ListLockDir { .. } => (ZkOp::GetChildren, LOCK_DIR.to_string()),
            ZkCall::Watch {
                path,
                call: WatchCall::GetData,
            } => (ZkOp::GetData, path.clone()),
            ZkCall::Watch { path, .. } => (ZkOp::Exists, path.clone()),
            ZkCall::Delete { path } => (ZkOp::Delete, path.clone()),
        }
    }
}

/// The `call_answered` event of a call whose result came back as `input`: a create's answer
/// names its node and carries its czxid, the zxid of the write.
pub fn answered(client: ClientId, call: (ZkOp, String), input: &Input) -> RoomEvent {
    let (op, path) = call;
    let (path, reply, zxid) = match input {
        Input::Created { path, czxid } => (path.clone(), CallReply::Ok, Some(*czxid)),
        Input::WatchArmed { exists: false, .. } => (path, CallReply::NoNode, None),
        Input::Failed { .. } => (path, CallReply::Failed, None),
        _ => (path, CallReply::Ok, None),
    };
    RoomEvent::CallAnswered {
        client,
        op,
        path,
        reply,
        zxid,
    }
}

/// A client's call failed: it says why and closes.
pub(super) fn failed(client: ClientId, message: String) -> Vec<Step> {
    vec![
        Step::Publish(RoomEvent::ClientError { client, message }),
        Step::Close(CloseReason::Failed),
    ]
}

/// Its session is established.
pub(super) fn connected(client: ClientId, session: i64, timeout_ms: u64) -> Step {
    Step::Publish(RoomEvent::ClientConnected {
        client,
        session: shared::SessionId(session),
        timeout_ms,
    })
}

/// It holds the lock: the seed's `gain lock:`, then a write to what the lock protects, then the
/// hold.
pub(super) fn gained(client: ClientId, path: String, token: i64) -> Vec<Step> {
    vec![
        Step::Publish(RoomEvent::LockGained { client, path }),
        Step::Write { token },
        Step::Hold,
    ]
}

/// It lets go: once more a write (a paused holder's, after it wakes), then the seed's
/// `finished:`, published before the delete so that no successor's gain comes first.
pub(super) fn letting_go(client: ClientId, path: String, token: i64) -> Vec<Step> {
    vec![
        Step::Write { token },
        Step::Publish(RoomEvent::LockReleased { client, path }),
    ]
}

/// A careful holder (`careful`) stops acting while disconnected and goes on once it is back; a
/// careless holder's lost connection changes nothing. Whether it is suspended now, and what it
/// says, if anything changed.
pub(super) fn careful_holder(
    (client, path): (ClientId, String),
    (holding, suspended): (bool, bool),
    connected: bool,
    careful: bool,
) -> Option<(bool, Step)> {
    match (holding, suspended, connected, careful) {
        (true, false, false, true) => Some((
            true,
            Step::Publish(RoomEvent::LockSuspended { client, path }),
        )),
        (_, true, true, _) => Some((
            false,
            Step::Publish(RoomEvent::LockResumed { client, path }),
        )),
        _ => None,
    }
}

/// What the driver must do next, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Call(ZkCall),
    Publish(RoomEvent),
    /// The lock is held: keep it for the room's hold time (or until released), then send
    /// [`Input::HoldOver`].
    Hold,
    /// Write to the protected resource with this fencing token (the lock node's czxid).
    Write {
        token: i64,
    },
    /// Close the session; the client is done.
    Close(CloseReason),
}

/// What happened to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Connected {
        session: i64,
        timeout_ms: u64,
    },
    Created {
        path: String,
        czxid: i64,
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
    /// The session's connection dropped or came back; `careful`: the room wants holders to
    /// follow Apache Curator's rule (stop on SUSPENDED, hold again once connected).
    Connection {
        connected: bool,
        careful: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Phase {
    Connecting,
    Creating,
    Listing,
    Arming,
    Waiting,
    Holding,
    /// A careful holder whose connection dropped: it keeps its node and does nothing with it.
    Suspended,
    Releasing,
    Done,
}

/// What every lock recipe does alike: connect, create, list, hold, release.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Core {
    pub(super) client: ClientId,
    pub(super) phase: Phase,
    /// Whether listings arm a children watch.
    pub(super) list_watch: bool,
    /// The seed's `thisPath`.
    pub(super) this_path: Option<String>,
    /// Its node's czxid: a fencing token that grows with every new lock node.
    pub(super) czxid: i64,
    /// The seed's `waitPath`: what this waiter watches. Kept once the lock is held, as the
    /// seed's field is: a listing after it was set is a re-check.
    pub(super) wait_path: Option<String>,
}

impl Core {
    pub(super) fn new(client: ClientId, list_watch: bool) -> Self {
        Core {
            client,
            phase: Phase::Connecting,
            list_watch,
            this_path: None,
            czxid: 0,
            wait_path: None,
        }
    }

    pub(super) fn list(&mut self) -> Step {
        self.phase = Phase::Listing;
        Step::Call(ZkCall::ListLockDir {
            watch: self.list_watch,
        })
    }

    pub(super) fn this_path(&self) -> String {
        self.this_path.clone().unwrap_or_default()
    }

    pub(super) fn gain(&mut self) -> Vec<Step> {
        self.phase = Phase::Holding;
        gained(self.client, self.this_path(), self.czxid)
    }

    /// Handles the inputs every recipe treats alike. A listing and a notification while
    /// waiting come back as `Err` for the recipe to decide on; a listing has already been
    /// sorted and published.
    pub(super) fn on(&mut self, input: Input) -> Result<Vec<Step>, Input> {
        let client = self.client;
        let steps = match (self.phase, input) {
            (_, Input::Failed { message }) => {
                self.phase = Phase::Done;
                failed(client, message)
            }
            (
                Phase::Connecting,
                Input::Connected {
                    session,
                    timeout_ms,
                },
            ) => self.connected(session, timeout_ms),
            (Phase::Creating, Input::Created { path, czxid }) => {
                self.this_path = Some(path.clone());
                self.czxid = czxid;
                vec![
                    Step::Publish(RoomEvent::NodeCreatedByClient { client, path }),
                    self.list(),
                ]
            }
            (Phase::Listing, Input::Children { mut names }) => {
                // Sequence numbers are zero-padded, so sorting the names sorts the queue.
                names.sort();
                return Err(Input::Children { names });
            }
            (Phase::Arming, Input::WatchArmed { path, call, exists }) => {
                if exists {
                    self.phase = Phase::Waiting;
                    vec![Step::Publish(RoomEvent::WatchSet { client, path, call })]
                } else {
                    // What it was to watch left between the listing and the watch: look again.
                    vec![self.list()]
                }
            }
            (Phase::Waiting, Input::WatchFired { path, kind }) if self.waits_on(&path) => {
                return Err(Input::WatchFired { path, kind });
            }
            // A notification for anything else (a holder's children watch: the seed's holder
            // re-arms it too) was delivered and is reported, but changes nothing.
            (_, Input::WatchFired { path, kind }) => vec![Step::Publish(RoomEvent::WatchFired {
                client,
                path,
                event: kind,
            })],
            (Phase::Holding, Input::HoldOver) => self.let_go(),
            (Phase::Releasing, Input::Deleted) => {
                self.phase = Phase::Done;
                vec![Step::Close(CloseReason::Finished)]
            }
            (phase, Input::Connection { connected, careful }) => {
                self.connection(phase, connected, careful)
            }
            // Anything else is stale (a release of a client that does not hold): nothing to do.
            _ => Vec::new(),
        };
        Ok(steps)
    }

    /// What a waiter waits on: its `waitPath`, or the children of `/locks` where the listing
    /// arms their watch.
    fn waits_on(&self, path: &str) -> bool {
        match &self.wait_path {
            Some(wait_path) => wait_path == path,
            None => self.list_watch && path == LOCK_DIR,
        }
    }

    fn connected(&mut self, session: i64, timeout_ms: u64) -> Vec<Step> {
        self.phase = Phase::Creating;
        vec![
            connected(self.client, session, timeout_ms),
            Step::Call(ZkCall::CreateLockNode),
        ]
    }

    /// The hold is over. As the seed does: print `finished:` first, then delete. Publishing
    /// before the delete keeps the room's history causal: no successor can gain the lock before
    /// this release is recorded.
    fn let_go(&mut self) -> Vec<Step> {
        self.phase = Phase::Releasing;
        let path = self.this_path();
        let mut steps = letting_go(self.client, path.clone(), self.czxid);
        steps.push(Step::Call(ZkCall::Delete { path }));
        steps
    }

    /// A careful holder's lost connection ([`careful_holder`]).
    fn connection(&mut self, phase: Phase, connected: bool, careful: bool) -> Vec<Step> {
        let state = (phase == Phase::Holding, phase == Phase::Suspended);
        let who = (self.client, self.this_path());
        let Some((suspended, said)) = careful_holder(who, state, connected, careful) else {
            return Vec::new();
        };
        self.phase = if suspended {
            Phase::Suspended
        } else {
            Phase::Holding
        };
        vec![said]
    }

    /// The steps that report a listing, and where this client stands in it: `Ok(0)` holds,
    /// `Ok(i)` waits behind `sorted[i - 1]`, `Err` means its own node is gone.
    pub(super) fn position(&mut self, sorted: &[String]) -> (Step, Result<usize, Vec<Step>>) {
        let listed = Step::Publish(RoomEvent::children_listed(self.client, LOCK_DIR, sorted));
        let this_path = self.this_path();
        let this_name = this_path.rsplit('/').next().unwrap_or_default();
        let at = sorted.iter().position(|n| n == this_name).ok_or_else(|| {
            // Our own ephemeral node is gone: the session must have ended under us.
            self.phase = Phase::Done;
            vec![
                Step::Publish(RoomEvent::ClientError {
                    client: self.client,
                    message: format!("{this_path} is no longer in {LOCK_DIR}"),
                }),
                Step::Close(CloseReason::Failed),
            ]
        });
        (listed, at)
    }

    /// After a listing, as both predecessor recipes decide: hold if first, else watch the node
    /// just before this one.
    pub(super) fn hold_or_watch_predecessor(&mut self, sorted: &[String]) -> Vec<Step> {
        let (listed, at) = self.position(sorted);
        let mut steps = vec![listed];
        steps.extend(match at {
            Ok(0) => self.gain(),
            Ok(index) => self.watch_predecessor(sorted, index),
            Err(failed) => failed,
        });
        steps
    }

    /// Watches the node just before this one: the seed arms the first watch with `getData`
    /// and re-watches with `exists`.
    pub(super) fn watch_predecessor(&mut self, sorted: &[String], index: usize) -> Vec<Step> {
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

    /// Re-arms a spent watch on the same node (after a data change).
    pub(super) fn rewatch(&mut self, path: String) -> Vec<Step> {
        self.phase = Phase::Arming;
        vec![Step::Call(ZkCall::Watch {
            path,
            call: WatchCall::Exists,
        })]
    }

    pub(super) fn fired(&self, path: &str, kind: WatchedKind) -> Step {
        Step::Publish(RoomEvent::WatchFired {
            client: self.client,
            path: path.to_string(),
            event: kind,
        })
    }
}
