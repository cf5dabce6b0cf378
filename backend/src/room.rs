//! Rooms: the sessions of one room, its `RoomView`, and the fan-out of its events to browsers.
//!
//! Each room is one actor task. Sessions report `RoomEvent`s to it; it numbers them, applies them
//! to its `RoomView` (with the same code browsers use), serialises each once and broadcasts the
//! bytes to every viewer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Utf8Bytes;
use shared::{
    ClientId, ClientPhase, CloseReason, LockRecipeKind, MoveId, PendingMove, RoomEvent, RoomView,
    ServerMsg, TimeMode,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinSet;

use crate::gate::{Gate, GateError, Press};
use crate::zk;
use crate::zk::app_client::AppClientTask;
use crate::zk::app_server::AppServerTask;
use crate::zk::lock_client::LockClientTask;
use crate::zk::observer::Observer;
use crate::zk::session::{Clock, Session, SessionCmd};
use crate::zk::{Report, ZkSettings};

/// One serialised `ServerMsg`, shared by every viewer that sends it.
pub type Frame = Utf8Bytes;

/// Settings every room shares.
#[derive(Clone, Debug)]
pub struct RoomSettings {
    pub zk: Arc<ZkSettings>,
    pub max_lock_clients: usize,
    /// AppServers a room may run at once.
    pub max_servers: usize,
    /// AppClients a room may run at once (one starts with the room).
    pub max_app_clients: usize,
    /// Rooms the server runs at once (each holds an observer session).
    pub max_rooms: usize,
    /// Frames a viewer may fall behind before it is resynced with a snapshot.
    pub viewer_queue: usize,
    pub default_hold_ms: u64,
}

/// Why a room refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    #[error("the room already has {1} {0}, its limit")]
    Full(&'static str, usize),
    #[error("the room is switching recipes; add clients once the queue is empty")]
    Switching,
    #[error("no client {0} in this room")]
    NoSuchClient(ClientId),
    #[error("client {0} does not hold the lock")]
    NotHolding(ClientId),
    #[error("the server already runs {0} rooms, its limit")]
    TooManyRooms(usize),
    #[error("the room is shutting down")]
    Closed,
    #[error("{0}")]
    Gate(#[from] GateError),
}

/// A viewer's start: the room as it is, and every frame after it.
pub struct Subscription {
    pub snapshot: Frame,
    pub frames: broadcast::Receiver<Frame>,
}

enum RoomCmd {
    Subscribe(oneshot::Sender<Subscription>),
    AddLockClient(oneshot::Sender<Result<ClientId, RoomError>>),
    AddServer(Option<String>, oneshot::Sender<Result<ClientId, RoomError>>),
    AddAppClient(oneshot::Sender<Result<ClientId, RoomError>>),
    SetRecipe(LockRecipeKind),
    Crash(ClientId, oneshot::Sender<Result<(), RoomError>>),
    Kill(ClientId, oneshot::Sender<Result<(), RoomError>>),
    Pause(ClientId, Duration, oneshot::Sender<Result<(), RoomError>>),
    Release(ClientId, oneshot::Sender<Result<(), RoomError>>),
    SetHold(u64),
    SetFencing(bool),
    SetTime(TimeMode, u32),
    StepNext(Option<MoveId>, oneshot::Sender<Result<(), RoomError>>),
    Shutdown(oneshot::Sender<()>),
}

/// A cheap handle to a running room.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    cmds: mpsc::Sender<RoomCmd>,
}

impl RoomHandle {
    async fn ask<T>(
        &self,
        cmd: impl FnOnce(oneshot::Sender<T>) -> RoomCmd,
    ) -> Result<T, RoomError> {
        let (tx, rx) = oneshot::channel();
        self.cmds
            .send(cmd(tx))
            .await
            .map_err(|_| RoomError::Closed)?;
        rx.await.map_err(|_| RoomError::Closed)
    }

    pub async fn subscribe(&self) -> Result<Subscription, RoomError> {
        self.ask(RoomCmd::Subscribe).await
    }

    pub async fn add_lock_client(&self) -> Result<ClientId, RoomError> {
        self.ask(RoomCmd::AddLockClient).await?
    }

    pub async fn add_server(&self, name: Option<String>) -> Result<ClientId, RoomError> {
        self.ask(|tx| RoomCmd::AddServer(name, tx)).await?
    }

    pub async fn add_app_client(&self) -> Result<ClientId, RoomError> {
        self.ask(RoomCmd::AddAppClient).await?
    }

    pub async fn set_recipe(&self, recipe: LockRecipeKind) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetRecipe(recipe))
            .await
            .map_err(|_| RoomError::Closed)
    }

    pub async fn crash(&self, client: ClientId) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Crash(client, tx)).await?
    }

    pub async fn pause(&self, client: ClientId, pause: Duration) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Pause(client, pause, tx)).await?
    }

    pub async fn kill(&self, client: ClientId) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Kill(client, tx)).await?
    }

    pub async fn release(&self, client: ClientId) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::Release(client, tx)).await?
    }

    pub async fn set_fencing(&self, on: bool) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetFencing(on))
            .await
            .map_err(|_| RoomError::Closed)
    }

    /// Sets the room's time mode and slow-motion factor (already validated).
    pub async fn set_time(&self, mode: TimeMode, slow_factor: u32) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetTime(mode, slow_factor))
            .await
            .map_err(|_| RoomError::Closed)
    }

    /// Lets one waiting move go: the oldest, or the one named.
    pub async fn step_next(&self, id: Option<MoveId>) -> Result<(), RoomError> {
        self.ask(|tx| RoomCmd::StepNext(id, tx)).await?
    }

    pub async fn set_hold(&self, hold_ms: u64) -> Result<(), RoomError> {
        self.cmds
            .send(RoomCmd::SetHold(hold_ms))
            .await
            .map_err(|_| RoomError::Closed)
    }
}

/// Every room of the server, created on first use.
pub struct Rooms {
    settings: RoomSettings,
    rooms: Mutex<HashMap<String, (RoomHandle, tokio::task::JoinHandle<()>)>>,
}

impl Rooms {
    pub fn new(settings: RoomSettings) -> Self {
        Rooms {
            settings,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &RoomSettings {
        &self.settings
    }

    /// The room called `name` (already validated), started if it was not running.
    pub fn get_or_start(&self, name: &str) -> Result<RoomHandle, RoomError> {
        let mut rooms = self.rooms.lock().expect("rooms lock");
        if let Some((handle, task)) = rooms.get(name) {
            if !task.is_finished() {
                return Ok(handle.clone());
            }
        }
        rooms.retain(|_, (_, task)| !task.is_finished());
        if rooms.len() >= self.settings.max_rooms {
            return Err(RoomError::TooManyRooms(self.settings.max_rooms));
        }
        let (handle, task) = RoomActor::start(name.to_string(), self.settings.clone());
        rooms.insert(name.to_string(), (handle.clone(), task));
        Ok(handle)
    }

    /// Closes every session of every room and waits for them.
    pub async fn shutdown(&self) {
        let rooms: Vec<_> = self
            .rooms
            .lock()
            .expect("rooms lock")
            .drain()
            .map(|(_, r)| r)
            .collect();
        for (handle, task) in rooms {
            let _ = handle.ask(RoomCmd::Shutdown).await;
            let _ = task.await;
        }
    }
}

struct RoomActor {
    settings: RoomSettings,
    view: RoomView,
    /// Every running session of the room (lock clients, servers, app clients) by id.
    sessions: HashMap<ClientId, mpsc::Sender<SessionCmd>>,
    next_client: ClientId,
    /// Servers added so far, for default names.
    next_server: u32,
    /// Set while the lock clients close for a recipe switch.
    switching_to: Option<LockRecipeKind>,
    hold_ms: watch::Sender<u64>,
    frames: broadcast::Sender<Frame>,
    events_tx: mpsc::UnboundedSender<Report>,
    tasks: JoinSet<()>,
    stop_observer: watch::Sender<bool>,
    /// Where the sessions' moves wait; with `clock`, the room's time.
    gate: Gate,
    /// How to let each waiting move go.
    tickets: HashMap<MoveId, oneshot::Sender<()>>,
    clock: watch::Sender<Clock>,
}

impl RoomActor {
    fn start(name: String, settings: RoomSettings) -> (RoomHandle, tokio::task::JoinHandle<()>) {
        let (cmds_tx, cmds_rx) = mpsc::channel(256);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (stop_observer, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(
            Observer {
                room: name.clone(),
                zk: settings.zk.clone(),
                events: events_tx.clone(),
                stop: stop_rx,
            }
            .run(),
        );
        let mut actor = RoomActor {
            view: RoomView::new(name, settings.default_hold_ms),
            hold_ms: watch::channel(settings.default_hold_ms).0,
            frames: broadcast::channel(settings.viewer_queue.max(1)).0,
            settings,
            sessions: HashMap::new(),
            next_client: 1,
            next_server: 0,
            switching_to: None,
            events_tx,
            tasks,
            stop_observer,
            gate: Gate::default(),
            tickets: HashMap::new(),
            clock: watch::channel(Clock::default()).0,
        };
        // The seed runs one AppClient; a room starts with one watching its server list.
        if let Err(e) = actor.add_app_client() {
            tracing::warn!("no app client in the new room: {e}");
        }
        let task = tokio::spawn(actor.run(cmds_rx, events_rx));
        (RoomHandle { cmds: cmds_tx }, task)
    }

    async fn run(
        mut self,
        mut cmds: mpsc::Receiver<RoomCmd>,
        mut events: mpsc::UnboundedReceiver<Report>,
    ) {
        loop {
            let due = self.gate.next_due();
            tokio::select! {
                // Events first: a command answered from the view must see every event before it.
                biased;
                Some(report) = events.recv() => self.report(report),
                () = sleep_until_ms(due.unwrap_or_default()), if due.is_some() => {
                    let released = self.gate.due(now_ms());
                    self.release(released);
                }
                cmd = cmds.recv() => match cmd {
                    Some(RoomCmd::Shutdown(done)) => {
                        self.shutdown(&mut events).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(cmd) => self.handle(cmd),
                    None => {
                        self.shutdown(&mut events).await;
                        return;
                    }
                },
            }
            // Reap finished client tasks so the set does not grow.
            while self.tasks.try_join_next().is_some() {}
        }
    }

    fn handle(&mut self, cmd: RoomCmd) {
        match cmd {
            RoomCmd::Subscribe(reply) => {
                let _ = reply.send(Subscription {
                    snapshot: self.snapshot(),
                    frames: self.frames.subscribe(),
                });
            }
            RoomCmd::AddLockClient(reply) => {
                let _ = reply.send(self.add_lock_client());
            }
            RoomCmd::AddServer(name, reply) => {
                let _ = reply.send(self.add_server(name));
            }
            RoomCmd::AddAppClient(reply) => {
                let _ = reply.send(self.add_app_client());
            }
            RoomCmd::SetRecipe(recipe) => self.switch_recipe(recipe),
            RoomCmd::Crash(client, reply) => {
                let _ = reply.send(self.command(client, SessionCmd::Crash));
            }
            RoomCmd::Kill(client, reply) => {
                let _ = reply.send(self.command(client, SessionCmd::Kill));
            }
            RoomCmd::Pause(client, pause, reply) => {
                let _ = reply.send(self.command(client, SessionCmd::Pause(pause)));
            }
            RoomCmd::Release(client, reply) => {
                let holding = self
                    .view
                    .client(client)
                    .map(|c| c.phase == ClientPhase::Holding);
                let result = match holding {
                    Some(false) => Err(RoomError::NotHolding(client)),
                    Some(true) => self.command(client, SessionCmd::Release),
                    None => Err(RoomError::NoSuchClient(client)),
                };
                let _ = reply.send(result);
            }
            RoomCmd::SetFencing(on) => self.publish(RoomEvent::FencingChanged { on }),
            RoomCmd::SetTime(mode, slow_factor) => self.set_time(mode, slow_factor),
            RoomCmd::StepNext(id, reply) => {
                let press = id.map_or(Press::Oldest, Press::Chosen);
                let result = self
                    .gate
                    .press(press)
                    .map(|released| self.release(released));
                let _ = reply.send(result.map_err(RoomError::from));
            }
            RoomCmd::SetHold(hold_ms) => {
                self.hold_ms.send_replace(hold_ms);
                self.publish(RoomEvent::HoldChanged { hold_ms });
            }
            RoomCmd::Shutdown(_) => unreachable!("handled in run"),
        }
    }

    /// A new session's place in the room: an id, a command channel, the event sink.
    fn new_session(&mut self) -> Session {
        let id = self.next_client;
        self.next_client += 1;
        let (tx, rx) = mpsc::channel(8);
        self.sessions.insert(id, tx);
        Session::new(
            id,
            self.view.room.clone(),
            self.settings.zk.clone(),
            self.events_tx.clone(),
            rx,
            self.clock.subscribe(),
        )
    }

    fn set_time(&mut self, mode: TimeMode, slow_factor: u32) {
        if (mode, slow_factor) == (self.gate.mode(), self.gate.slow_factor()) {
            return;
        }
        let released = self.gate.set_mode(mode, slow_factor, now_ms());
        self.clock.send_replace(Clock { mode, slow_factor });
        // Back to live, the waiting moves go in order, and the view says so before the mode.
        self.release(released);
        self.publish(RoomEvent::TimeChanged { mode, slow_factor });
    }

    /// Lets moves go: each is published as released, then its client is told.
    fn release(&mut self, released: Vec<(MoveId, ClientId)>) {
        for (id, client) in released {
            self.publish(RoomEvent::MoveReleased { id, client });
            if let Some(go) = self.tickets.remove(&id) {
                let _ = go.send(());
            }
        }
    }

    /// Serves the presses the gate can serve now (a client came to rest, left, or froze).
    fn serve_presses(&mut self) {
        let released = self.gate.serve();
        self.release(released);
    }

    fn add_lock_client(&mut self) -> Result<ClientId, RoomError> {
        if self.switching_to.is_some() {
            return Err(RoomError::Switching);
        }
        let limit = self.settings.max_lock_clients;
        if self.view.locks.clients.len() >= limit {
            return Err(RoomError::Full("lock clients", limit));
        }
        let session = self.new_session();
        let id = session.id;
        self.publish(RoomEvent::ClientAdded { client: id });
        self.tasks.spawn(zk::session::run(LockClientTask {
            session,
            recipe: self.view.recipe,
            hold_ms: self.hold_ms.subscribe(),
        }));
        Ok(id)
    }

    fn add_server(&mut self, name: Option<String>) -> Result<ClientId, RoomError> {
        let limit = self.settings.max_servers;
        if self.view.registry.servers.len() >= limit {
            return Err(RoomError::Full("servers", limit));
        }
        let name = name.unwrap_or_else(|| format!("server{:04}", self.next_server));
        self.next_server += 1;
        let session = self.new_session();
        let id = session.id;
        self.publish(RoomEvent::ServerAdded {
            client: id,
            name: name.clone(),
        });
        self.tasks
            .spawn(zk::session::run(AppServerTask { session, name }));
        Ok(id)
    }

    fn add_app_client(&mut self) -> Result<ClientId, RoomError> {
        let limit = self.settings.max_app_clients;
        if self.view.registry.app_clients.len() >= limit {
            return Err(RoomError::Full("app clients", limit));
        }
        let session = self.new_session();
        let id = session.id;
        self.publish(RoomEvent::AppClientAdded { client: id });
        self.tasks
            .spawn(zk::session::run(AppClientTask { session }));
        Ok(id)
    }

    /// Closes the lock clients; the new recipe takes effect once they are all gone, so the
    /// queue starts afresh.
    fn switch_recipe(&mut self, recipe: LockRecipeKind) {
        if recipe == self.view.recipe && self.switching_to.is_none() {
            return;
        }
        self.switching_to = Some(recipe);
        let lock_clients: Vec<ClientId> = self.view.locks.clients.iter().map(|c| c.id).collect();
        for id in lock_clients {
            let _ = self.command(id, SessionCmd::Close(CloseReason::RecipeSwitched));
        }
        self.finish_switch();
    }

    fn finish_switch(&mut self) {
        if self.view.locks.clients.is_empty() {
            if let Some(recipe) = self.switching_to.take() {
                self.publish(RoomEvent::RecipeChanged { recipe });
            }
        }
    }

    fn command(&mut self, client: ClientId, cmd: SessionCmd) -> Result<(), RoomError> {
        let sender = self
            .sessions
            .get(&client)
            .ok_or(RoomError::NoSuchClient(client))?;
        // A full queue means the session already has commands to act on; one more adds nothing.
        let _ = sender.try_send(cmd);
        Ok(())
    }

    fn report(&mut self, report: Report) {
        match report {
            Report::Event(event) => self.publish(event),
            Report::Write {
                client,
                path,
                token,
            } => {
                let outcome = self.view.resource.judge(token);
                self.publish(RoomEvent::ResourceWritten {
                    client,
                    path,
                    token,
                    outcome,
                });
            }
            Report::Move {
                client,
                kind,
                point,
                path,
                go,
            } => {
                let now = now_ms();
                let submitted = self.gate.submit(client, now);
                if submitted.go_now {
                    let _ = go.send(());
                    return;
                }
                self.tickets.insert(submitted.id, go);
                self.publish(RoomEvent::MovePending {
                    pending: PendingMove {
                        id: submitted.id,
                        client,
                        kind,
                        point,
                        path,
                        since_ms: now,
                        due_ms: submitted.due_ms,
                    },
                });
                self.serve_presses();
            }
            Report::Rest { client } => {
                self.gate.rest(client);
                self.serve_presses();
            }
        }
    }

    fn publish(&mut self, event: RoomEvent) {
        // Two holders at once is the crash bug of the naive recipe: catch it as it happens.
        let violation = match &event {
            RoomEvent::LockGained { client, path } => self
                .view
                .holders()
                .find(|h| h.id != *client)
                .map(|h| RoomEvent::Violation {
                    first: h.id,
                    first_path: h.path.clone().unwrap_or_default(),
                    second: *client,
                    second_path: path.clone(),
                }),
            _ => None,
        };
        let closed = match &event {
            RoomEvent::ClientClosed { client, .. } => Some(*client),
            _ => None,
        };
        let link = match &event {
            RoomEvent::LinkChanged { client, frozen, .. } => Some((*client, *frozen)),
            _ => None,
        };
        let seq = self.view.seq + 1;
        let at_ms = now_ms();
        self.view.apply(seq, at_ms, &event);
        let frame = encode(&ServerMsg::Event { seq, at_ms, event });
        // No viewers is fine: the view keeps the state for the next one.
        let _ = self.frames.send(frame);
        if let Some(violation) = violation {
            self.publish(violation);
        }
        if let Some(client) = closed {
            self.sessions.remove(&client);
            for id in self.gate.drop_client(client) {
                self.tickets.remove(&id);
            }
            self.finish_switch();
            self.serve_presses();
        }
        if let Some((client, frozen)) = link {
            self.gate.set_frozen(client, frozen);
            self.serve_presses();
        }
    }

    fn snapshot(&self) -> Frame {
        encode(&ServerMsg::Snapshot {
            view: Box::new(self.view.clone()),
        })
    }

    async fn shutdown(&mut self, events: &mut mpsc::UnboundedReceiver<Report>) {
        // Waiting moves go (their sessions are closing): nothing waits for a gate no one opens.
        self.tickets.clear();
        for sender in self.sessions.values() {
            let _ = sender.try_send(SessionCmd::Close(CloseReason::Shutdown));
        }
        let _ = self.stop_observer.send(true);
        let drained = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Err(e) = joined {
                    tracing::warn!("room task failed: {e}");
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), drained)
            .await
            .is_err()
        {
            tracing::warn!(room = %self.view.room, "sessions still closing after 10 s; aborting them");
            self.tasks.abort_all();
        }
        while let Ok(report) = events.try_recv() {
            self.report(report);
        }
    }
}

/// Serialises a message for the wire. The protocol types hold only strings and numbers, so
/// this cannot fail.
pub fn encode(msg: &ServerMsg) -> Frame {
    Utf8Bytes::from(serde_json::to_string(msg).expect("protocol types always serialise"))
}

/// Sleeps until `ms` on the server's clock (ms since the epoch).
async fn sleep_until_ms(ms: u64) {
    let wait = ms.saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
