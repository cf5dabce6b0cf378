//! One simulated lock client: its own ZooKeeper session, driving a `LockRecipe`.
//!
//! The task owns the `Client`, executes the calls the recipe asks for, arms the watches, keeps the
//! hold timer and obeys the room's commands (crash, release, shutdown).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use shared::{ClientId, CloseReason, RoomEvent, WatchCall, WatchedKind};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Duration, Instant};
use zookeeper_client::{
    Acls, Client, CreateMode, EventType, OneshotWatcher, SessionState, WatchedEvent,
};

use super::{EventSink, ZkSettings};
use crate::recipes::lock::{Input, LockRecipe, Step, ZkCall, LOCK_DIR, LOCK_PREFIX};

/// What the room can ask of a lock client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockClientCmd {
    /// Close the session at once, whatever the recipe is doing.
    Crash,
    /// A holder finishes now instead of waiting for the hold time.
    Release,
    /// The server is stopping: close the session.
    Shutdown,
}

/// Everything a lock client task needs.
pub struct LockClientTask {
    pub id: ClientId,
    pub room: String,
    pub zk: Arc<ZkSettings>,
    pub events: EventSink,
    /// The room's hold time in ms; 0 = until released.
    pub hold_ms: watch::Receiver<u64>,
    pub cmds: mpsc::Receiver<LockClientCmd>,
}

impl LockClientTask {
    /// Runs the client until it finishes, crashes, fails or is shut down; always reports a
    /// `client_closed` event.
    pub async fn run(mut self) {
        let client = tokio::select! {
            client = self.zk.connect_room(&self.room) => client,
            cmd = self.cmds.recv() => return self.closed(reason_for(cmd)),
        };
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                let _ = self.events.send(RoomEvent::ClientError {
                    client: self.id,
                    message: e.to_string(),
                });
                return self.closed(CloseReason::Failed);
            }
        };
        let reason = self.drive_session(&client).await;
        match reason {
            // A crashed process holds nothing from the moment it dies: say so before the
            // session closes, so no successor's gain is recorded before this client's end.
            CloseReason::Crashed | CloseReason::Shutdown => {
                self.closed(reason);
                super::close(client).await;
            }
            // The session is gone already.
            CloseReason::Expired => self.closed(reason),
            CloseReason::Finished | CloseReason::Failed => {
                super::close(client).await;
                self.closed(reason);
            }
        }
    }

    fn closed(&self, reason: CloseReason) {
        let _ = self.events.send(RoomEvent::ClientClosed {
            client: self.id,
            reason,
        });
    }

    async fn drive_session(&mut self, client: &Client) -> CloseReason {
        let mut recipe = LockRecipe::new(self.id);
        let mut state = client.state_watcher();
        let mut steps: VecDeque<Step> = recipe
            .on(Input::Connected {
                session: client.session_id().0,
            })
            .into();
        let mut armed: Option<ArmedWatch> = None;
        let mut held_since: Option<Instant> = None;
        loop {
            while let Some(step) = steps.pop_front() {
                match step {
                    Step::Publish(event) => {
                        let _ = self.events.send(event);
                    }
                    Step::Call(call) => {
                        // A crash must not wait for a call that ZooKeeper cannot answer now.
                        let call = execute(client, call, &mut armed);
                        tokio::pin!(call);
                        let input = loop {
                            tokio::select! {
                                input = &mut call => break input,
                                cmd = self.cmds.recv() => match cmd {
                                    Some(LockClientCmd::Release) => continue,
                                    other => return reason_for(other),
                                },
                            }
                        };
                        steps.extend(recipe.on(input));
                    }
                    Step::Hold => held_since = Some(Instant::now()),
                    Step::Close(reason) => return reason,
                }
            }
            let hold_ms = *self.hold_ms.borrow();
            let deadline = held_since
                .filter(|_| hold_ms > 0)
                .map(|t| t + Duration::from_millis(hold_ms));
            tokio::select! {
                event = fired(&mut armed) => {
                    armed = None;
                    steps.extend(recipe.on(Input::WatchFired {
                        path: event.path.clone(),
                        kind: watched_kind(&event),
                    }));
                }
                _ = async { sleep_until(deadline.expect("guarded by is_some")).await }, if deadline.is_some() => {
                    held_since = None;
                    steps.extend(recipe.on(Input::HoldOver));
                }
                changed = self.hold_ms.changed() => {
                    if changed.is_err() {
                        return CloseReason::Shutdown;
                    }
                    // The loop recomputes the deadline from the new hold time.
                }
                cmd = self.cmds.recv() => match cmd {
                    Some(LockClientCmd::Release) => {
                        if recipe.is_holding() {
                            held_since = None;
                            steps.extend(recipe.on(Input::HoldOver));
                        }
                    }
                    other => return reason_for(other),
                },
                s = state.changed() => match s {
                    SessionState::Expired => return CloseReason::Expired,
                    SessionState::Closed | SessionState::AuthFailed => return CloseReason::Failed,
                    _ => {}
                },
            }
        }
    }
}

/// A one-shot watch waiting to fire. Boxed so it survives the `select!` rounds it loses.
type ArmedWatch = Pin<Box<dyn Future<Output = WatchedEvent> + Send>>;

async fn fired(armed: &mut Option<ArmedWatch>) -> WatchedEvent {
    match armed {
        Some(watch) => watch.await,
        None => std::future::pending().await,
    }
}

fn reason_for(cmd: Option<LockClientCmd>) -> CloseReason {
    match cmd {
        Some(LockClientCmd::Crash) => CloseReason::Crashed,
        // Release before holding cannot reach here; a dropped command channel means the room
        // is gone.
        Some(LockClientCmd::Release) | Some(LockClientCmd::Shutdown) | None => {
            CloseReason::Shutdown
        }
    }
}

fn watched_kind(event: &WatchedEvent) -> WatchedKind {
    match event.event_type {
        EventType::NodeCreated => WatchedKind::NodeCreated,
        EventType::NodeDeleted => WatchedKind::NodeDeleted,
        EventType::NodeDataChanged => WatchedKind::NodeDataChanged,
        EventType::NodeChildrenChanged => WatchedKind::NodeChildrenChanged,
        EventType::Session => WatchedKind::Session,
    }
}

/// Makes one ZooKeeper call for the recipe and turns its result into the recipe's next input.
async fn execute(client: &Client, call: ZkCall, armed: &mut Option<ArmedWatch>) -> Input {
    let failed = |e: zookeeper_client::Error| Input::Failed {
        message: e.to_string(),
    };
    match call {
        ZkCall::CreateLockNode => {
            let options = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
            match client.create(LOCK_PREFIX, &[], &options).await {
                Ok((_, sequence)) => Input::Created {
                    path: format!("{LOCK_PREFIX}{sequence}"),
                },
                Err(e) => failed(e),
            }
        }
        ZkCall::ListLockDir => match client.list_children(LOCK_DIR).await {
            Ok(names) => Input::Children { names },
            Err(e) => failed(e),
        },
        ZkCall::Watch { path, call } => {
            let result = match call {
                WatchCall::GetData => match client.get_and_watch_data(&path).await {
                    Ok((_, _, watcher)) => Ok(Some(watcher)),
                    Err(zookeeper_client::Error::NoNode) => Ok(None),
                    Err(e) => Err(e),
                },
                WatchCall::Exists | WatchCall::GetChildren => {
                    match client.check_and_watch_stat(&path).await {
                        Ok((Some(_), watcher)) => Ok(Some(watcher)),
                        // The watch would wait for a creation; the recipe lists again instead.
                        Ok((None, _)) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            };
            match result {
                Ok(watcher) => {
                    let exists = watcher.is_some();
                    *armed = watcher.map(|w: OneshotWatcher| Box::pin(w.changed()) as ArmedWatch);
                    Input::WatchArmed { path, call, exists }
                }
                Err(e) => failed(e),
            }
        }
        ZkCall::Delete { path } => match client.delete(&path, None).await {
            Ok(()) => Input::Deleted,
            Err(e) => failed(e),
        },
    }
}
