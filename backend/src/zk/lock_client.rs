//! One simulated lock client: its own ZooKeeper session, driving a `LockRecipe`.
//!
//! The task owns the `Client`, executes the calls the recipe asks for, arms the watches, keeps the
//! hold timer and obeys the room's commands (crash, release, close).

use std::collections::VecDeque;
use std::future::Future;

use shared::{CloseReason, MoveKind, RoomEvent, SeedPoint, SessionStatus, WatchCall};
use tokio::sync::watch;
use tokio::time::{sleep_until, Duration, Instant};
use zookeeper_client::{Client, OneshotWatcher, WatchedEvent};

use super::proxy::Link;
use super::session::{
    create_sequential, fired, retrying, watched_kind, ArmedWatch, Session, SessionRole,
};
use crate::recipes::lock::{
    answered, Input, LockMachine, RoomRecipe, Step, ZkCall, LOCK_DIR, LOCK_PREFIX,
};

/// Everything a lock client task needs.
pub struct LockClientTask {
    pub recipe: RoomRecipe,
    /// The room's hold time in ms; 0 = until released.
    pub hold_ms: watch::Receiver<u64>,
    /// Whether a holder suspends while disconnected (Curator's rule) or goes on (the seed's).
    pub suspend: watch::Receiver<bool>,
}

impl SessionRole for LockClientTask {
    fn act(
        &mut self,
        session: &mut Session,
        client: &Client,
    ) -> impl Future<Output = CloseReason> + Send {
        self.drive_session(session, client)
    }
}

impl LockClientTask {
    async fn drive_session(&mut self, session: &mut Session, client: &Client) -> CloseReason {
        match self.drive(session, client).await {
            Ok(reason) | Err(reason) => reason,
        }
    }

    /// Runs the recipe; every call, notification, hold expiry and write first passes the
    /// room's gate. `Err` is a command (crash, kill, close) that ended it meanwhile.
    async fn drive(
        &mut self,
        session: &mut Session,
        client: &Client,
    ) -> Result<CloseReason, CloseReason> {
        let Some(mut recipe) = self.recipe.start(session.id) else {
            session.publish(RoomEvent::ClientError {
                client: session.id,
                message: "the room has no recipe of its own loaded".into(),
            });
            return Ok(CloseReason::Failed);
        };
        let mut run = Running {
            steps: recipe
                .on(Input::Connected {
                    session: client.session_id().0,
                    timeout_ms: client.session_timeout().as_millis() as u64,
                })
                .into(),
            recipe,
            armed: None,
            held_since: None,
            listed: false,
        };
        let (mut watch, mut link, mut gate) =
            (session.watch(client), session.link(), session.gate());
        loop {
            if let Some(reason) = run.take_steps(session, client).await? {
                return Ok(reason);
            }
            // A Release asked for while it was busy: a holder lets go now; anyone else ignores it.
            // A suspended holder keeps the request until it is back.
            if !run.recipe.is_suspended() && session.take_release() && run.recipe.is_holding() {
                run.held_since = None;
                run.steps.extend(run.recipe.on(Input::HoldOver));
                continue;
            }
            gate.rest();
            let frozen = *link.borrow() == Link::Frozen;
            let deadline = self.hold_deadline(&run, frozen, gate.stretch());
            tokio::select! {
                // A holder that wakes from a pause past its hold time acts on its own clock
                // first (it writes and lets go), and only then hears what happened meanwhile.
                biased;
                event = fired(&mut run.armed) => run.notified(session, event).await?,
                _ = async { sleep_until(deadline.expect("guarded by is_some")).await }, if deadline.is_some() => {
                    run.hold_over(session).await?
                }
                Ok(()) = link.changed() => {}
                () = gate.changed() => {}
                changed = self.hold_ms.changed() => {
                    if changed.is_err() {
                        return Ok(CloseReason::Shutdown);
                    }
                    // The loop recomputes the deadline from the new hold time.
                }
                cmd = session.cmds.recv() => {
                    if let Some(reason) = session.handle(cmd) {
                        return Err(reason);
                    }
                }
                change = watch.next_change() => {
                    if let Some(reason) = change {
                        return Err(reason);
                    }
                    // The recipe decides what a careful holder does about it.
                    let connected = match watch.status() {
                        SessionStatus::Connected => true,
                        SessionStatus::Disconnected => false,
                        _ => continue,
                    };
                    let careful = *self.suspend.borrow();
                    run.steps.extend(run.recipe.on(Input::Connection { connected, careful }));
                }
            }
        }
    }
}

impl LockClientTask {
    /// When the hold ends. A paused process's clock stops with it (`frozen`): its hold ends
    /// only once it runs again (a partitioned one's runs on). In slow motion, holds last
    /// `stretch` times longer. A suspended holder does no work: its hold waits until it is back.
    fn hold_deadline(&self, run: &Running, frozen: bool, stretch: u32) -> Option<Instant> {
        let running = !frozen && !run.recipe.is_suspended();
        let hold_ms = self.hold_ms.borrow().saturating_mul(u64::from(stretch));
        run.held_since
            .filter(|_| hold_ms > 0 && running)
            .and_then(|t| t.checked_add(Duration::from_millis(hold_ms)))
    }
}

/// A lock client's recipe as it runs: the steps it has still to take, its armed watch, and
/// since when it holds.
struct Running {
    recipe: crate::recipes::lock::LockRecipe,
    steps: VecDeque<Step>,
    armed: Option<ArmedWatch>,
    held_since: Option<Instant>,
    /// It has listed `/locks` before: a listing now is a second look.
    listed: bool,
}

impl Running {
    /// ZooKeeper has delivered a notification; the recipe acts on it once the gate says so.
    async fn notified(
        &mut self,
        session: &mut Session,
        event: WatchedEvent,
    ) -> Result<(), CloseReason> {
        self.armed = None;
        let path = Some(event.path.clone());
        session
            .pass(MoveKind::Notification, SeedPoint::Notified, path)
            .await?;
        self.steps.extend(self.recipe.on(Input::WatchFired {
            path: event.path.clone(),
            kind: watched_kind(&event),
        }));
        Ok(())
    }

    /// The hold is over (once the gate says so).
    async fn hold_over(&mut self, session: &mut Session) -> Result<(), CloseReason> {
        let path = self.recipe.this_path().map(str::to_string);
        session
            .pass(MoveKind::HoldOver, SeedPoint::Hold, path)
            .await?;
        self.held_since = None;
        self.steps.extend(self.recipe.on(Input::HoldOver));
        Ok(())
    }

    /// Takes the recipe's steps until none is left; the reason it closed, if a step closed it.
    async fn take_steps(
        &mut self,
        session: &mut Session,
        client: &Client,
    ) -> Result<Option<CloseReason>, CloseReason> {
        while let Some(step) = self.steps.pop_front() {
            match step {
                Step::Publish(event) => session.publish(event),
                Step::Call(call) => {
                    let (kind, point) = self.recipe.call_move(&call, self.listed);
                    self.listed |= matches!(call, ZkCall::ListLockDir { .. });
                    let (op, path) = call.op();
                    session.pass(kind, point, Some(path.clone())).await?;
                    session.publish(RoomEvent::CallSent {
                        client: session.id,
                        op,
                        path: path.clone(),
                        line: self.recipe.line(),
                    });
                    let input = session
                        .obeying(execute(client, call, &mut self.armed, &LockDir::SEED))
                        .await?;
                    session.publish(answered(session.id, (op, path), &input));
                    self.steps.extend(self.recipe.on(input));
                }
                Step::Hold => self.held_since = Some(Instant::now()),
                Step::Write { token } => {
                    let path = self.recipe.this_path().unwrap_or_default().to_string();
                    session
                        .pass(MoveKind::Write, SeedPoint::Work, Some(path.clone()))
                        .await?;
                    session.write(path, token);
                }
                Step::Close(reason) => return Ok(Some(reason)),
            }
        }
        Ok(None)
    }
}

/// Where a recipe's `/locks` is in ZooKeeper: the room's own `/locks` (its sessions are
/// rooted at the room), or another folder that runs the same recipe (a room's owner queue),
/// and what its nodes hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockDir {
    dir: Option<String>,
    data: Vec<u8>,
}

impl LockDir {
    /// The recipe's `/locks`, as the seed names it, its nodes empty.
    pub const SEED: LockDir = LockDir {
        dir: None,
        data: Vec::new(),
    };

    /// The recipe's `/locks` is `dir`.
    pub fn at(dir: impl Into<String>) -> Self {
        LockDir {
            dir: Some(dir.into()),
            data: Vec::new(),
        }
    }

    /// Its nodes hold `data`.
    pub fn holding(self, data: &[u8]) -> Self {
        LockDir {
            data: data.to_vec(),
            ..self
        }
    }

    /// The path in ZooKeeper of the recipe's `path`.
    pub fn real(&self, path: &str) -> String {
        match &self.dir {
            Some(dir) => path.replacen(LOCK_DIR, dir, 1),
            None => path.to_string(),
        }
    }

    /// The recipe's name for a path in ZooKeeper.
    pub fn seen(&self, path: &str) -> String {
        match &self.dir {
            Some(dir) => path.replacen(dir.as_str(), LOCK_DIR, 1),
            None => path.to_string(),
        }
    }
}

/// Makes one ZooKeeper call for the recipe and turns its result into the recipe's next input;
/// its paths are the recipe's, as `dir` places them.
pub async fn execute(
    client: &Client,
    call: ZkCall,
    armed: &mut Option<ArmedWatch>,
    dir: &LockDir,
) -> Input {
    let failed = |e: zookeeper_client::Error| Input::Failed {
        message: e.to_string(),
    };
    let folder = dir.real(LOCK_DIR);
    match call {
        ZkCall::CreateLockNode => {
            match create_sequential(client, &dir.real(LOCK_PREFIX), &dir.data).await {
                Ok((path, czxid)) => Input::Created {
                    path: dir.seen(&path),
                    czxid,
                },
                Err(e) => failed(e),
            }
        }
        ZkCall::ListLockDir { watch: false } => {
            match retrying(client, || client.list_children(&folder)).await {
                Ok(names) => Input::Children { names },
                Err(e) => failed(e),
            }
        }
        ZkCall::ListLockDir { watch: true } => {
            match retrying(client, || client.list_and_watch_children(&folder)).await {
                Ok((names, watcher)) => {
                    *armed = Some(Box::pin(watcher.changed()));
                    Input::Children { names }
                }
                Err(e) => failed(e),
            }
        }
        ZkCall::Watch { path, call } => {
            let real = dir.real(&path);
            let result = match call {
                WatchCall::GetData => {
                    match retrying(client, || client.get_and_watch_data(&real)).await {
                        Ok((_, _, watcher)) => Ok(Some(watcher)),
                        Err(zookeeper_client::Error::NoNode) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
                WatchCall::Exists | WatchCall::GetChildren => {
                    match retrying(client, || client.check_and_watch_stat(&real)).await {
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
        // A delete retried after a lost connection may find its work done already.
        ZkCall::Delete { path } => {
            let real = dir.real(&path);
            match retrying(client, || client.delete(&real, None)).await {
                Ok(()) | Err(zookeeper_client::Error::NoNode) => Input::Deleted,
                Err(e) => failed(e),
            }
        }
    }
}
