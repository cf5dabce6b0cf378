//! The fleet's ZooKeeper side: a server's node in the live server list (the seed's AppServer
//! and AppClient, lesson 4), its seats in rooms' owner queues (the seed's fixed predecessor
//! recipe, lesson 1: the same predecessor machine the model checker proves), and the fence a
//! room's own writes carry (lesson 7): one `multi` with a `check` of the owner's node.
//!
//! All of a server's fleet nodes belong to one session, so a server that dies or pauses past
//! its session timeout leaves the list and every owner queue at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use shared::fleet::{
    in_queue_order, owner_dir, FleetNode, RoomOwners, BACKENDS_DIR, BACKEND_PREFIX,
};
use shared::LockRecipeKind;
use tokio::sync::watch;
use zookeeper_client::{Acls, Client, CreateMode, SessionState};

use super::lock_client::{execute, LockDir};
use super::session::{create_sequential, fired, reconnected, retrying, watched_kind, ArmedWatch};
use super::{ensure_path, ZkError};
use crate::recipes::lock::{Input, LockMachine, LockRecipe, Step};

/// The proof that a room is this server's to write: an ephemeral node of its fleet session,
/// made when its seat came first in the room's owner queue and named by that seat's czxid.
/// Every write the room makes for itself checks that the node still exists, in the same
/// `multi`; a server whose session expired has lost the node, and its late writes fail. (The
/// seat's own path would not do: a queue made again numbers its nodes from 0 again.)
#[derive(Clone, Debug)]
pub struct Fence {
    /// The fence node, `/zkplay/<room>/fence-<czxid>`.
    pub node: String,
    /// The node's czxid: the fencing token, larger for every later owner.
    pub token: i64,
    /// Writes this server's rooms made after their fence was gone, counted fleet-wide.
    pub refused: Arc<AtomicU64>,
}

impl PartialEq for Fence {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node && self.token == other.token
    }
}

impl Eq for Fence {}

/// What one fenced write did.
#[derive(Debug)]
pub enum Fenced {
    Done,
    /// The write's own operation failed (`NoNode` for a delete, `NodeExists` for a create).
    Failed(zookeeper_client::Error),
}

impl Fence {
    /// Deletes `path` (absolute) if the fence still stands.
    pub async fn delete(&self, client: &Client, path: &str) -> Result<Fenced, ZkError> {
        self.commit(client, |w| w.add_delete(path, None)).await
    }

    /// Creates the persistent node `path` (absolute) if the fence still stands.
    pub async fn create(&self, client: &Client, path: &str) -> Result<Fenced, ZkError> {
        let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
        self.commit(client, |w| w.add_create(path, &[], &options))
            .await
    }

    async fn commit(
        &self,
        client: &Client,
        op: impl Fn(&mut zookeeper_client::CheckWriter<'_>) -> Result<(), zookeeper_client::Error>,
    ) -> Result<Fenced, ZkError> {
        use zookeeper_client::CheckWriteError;
        loop {
            let mut writer = client.new_check_writer(&self.node, None)?;
            op(&mut writer)?;
            match writer.commit().await {
                Ok(_) => return Ok(Fenced::Done),
                Err(CheckWriteError::CheckFailed { .. }) => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(fence = %self.node, "a write for a room this server no longer runs, refused");
                    return Err(ZkError::Fenced(self.node.clone()));
                }
                Err(CheckWriteError::OperationFailed { source, .. }) => {
                    return Ok(Fenced::Failed(source))
                }
                // Made again once connected: a delete done already fails with NoNode, a
                // create with NodeExists, which is what each caller expects anyway.
                Err(CheckWriteError::RequestFailed {
                    source: zookeeper_client::Error::ConnectionLoss,
                }) if reconnected(client).await => {}
                Err(CheckWriteError::RequestFailed { source }) => return Err(source.into()),
            }
        }
    }
}

/// Registers this server in the live server list: `/zkplay-fleet/backends/sub…`,
/// EPHEMERAL_SEQUENTIAL, its URL as data (the seed's AppServer). A node with the same URL and
/// another session is this server's own earlier run, dead: it bound the same address.
pub async fn register(client: &Client, url: &str) -> Result<String, ZkError> {
    ensure_path(client, BACKENDS_DIR).await?;
    remove_earlier_runs(client, BACKENDS_DIR, url).await?;
    let (path, _) = create_sequential(client, BACKEND_PREFIX, url.as_bytes()).await?;
    Ok(path)
}

/// Deletes the nodes of `dir` that hold `url` and belong to another session than `client`'s.
async fn remove_earlier_runs(client: &Client, dir: &str, url: &str) -> Result<(), ZkError> {
    for name in retrying(client, || client.list_children(dir)).await? {
        read_unless_earlier_run(client, &format!("{dir}/{name}"), url).await?;
    }
    Ok(())
}

/// The data of node `path`; none if it is gone, or if it holds this server's `url` from
/// another session: an earlier run of this server, dead (this run bound its address), whose
/// node is deleted rather than waited out.
async fn read_unless_earlier_run(
    client: &Client,
    path: &str,
    url: &str,
) -> Result<Option<Vec<u8>>, ZkError> {
    let (data, stat) = match retrying(client, || client.get_data(path)).await {
        Ok(read) => read,
        Err(zookeeper_client::Error::NoNode) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if data != url.as_bytes() || stat.ephemeral_owner == client.session_id().0 {
        return Ok(Some(data));
    }
    tracing::info!(%path, "an earlier run of this server left its node; deleting it");
    match retrying(client, || client.delete(path, None)).await {
        Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The nodes of `dir` in queue order with the URL each holds (a node gone while it was read
/// is left out; a missing folder is an empty list).
pub async fn read_queue(client: &Client, dir: &str) -> Result<Vec<FleetNode>, ZkError> {
    let mut names = match retrying(client, || client.list_children(dir)).await {
        Ok(names) => names,
        Err(zookeeper_client::Error::NoNode) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    in_queue_order(&mut names);
    read_urls(client, dir, names).await
}

async fn read_urls(
    client: &Client,
    dir: &str,
    names: Vec<String>,
) -> Result<Vec<FleetNode>, ZkError> {
    let mut nodes = Vec::with_capacity(names.len());
    for name in names {
        let path = format!("{dir}/{name}");
        match retrying(client, || client.get_data(&path)).await {
            Ok((data, _)) => nodes.push(FleetNode {
                name,
                url: String::from_utf8_lossy(&data).into_owned(),
            }),
            Err(zookeeper_client::Error::NoNode) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(nodes)
}

/// Keeps `list` equal to the live server list, as the seed's AppClient does: list with a
/// watch, read every node's data, wait for the watch, again. Returns when the session ends.
/// Two live nodes with this server's `url` mean two servers given one `--public-url`: each
/// would take the other's seats for its own dead run's, so it is said loudly.
pub async fn follow_backends(client: &Client, url: &str, list: &watch::Sender<Vec<FleetNode>>) {
    loop {
        let listed = retrying(client, || client.list_and_watch_children(BACKENDS_DIR)).await;
        let (mut names, watcher) = match listed {
            Ok(listed) => listed,
            Err(e) => {
                tracing::warn!("the fleet's server list: {e}");
                return;
            }
        };
        in_queue_order(&mut names);
        match read_urls(client, BACKENDS_DIR, names).await {
            Ok(nodes) => {
                if nodes.iter().filter(|node| node.url == url).count() > 1 {
                    tracing::error!(
                        %url,
                        "another server of the fleet has this server's URL: give each server its own --public-url (its own address, not the load balancer's)"
                    );
                }
                list.send_replace(nodes);
            }
            Err(e) => {
                tracing::warn!("the fleet's server list: {e}");
                return;
            }
        }
        let event = watcher.changed().await;
        if event.event_type == zookeeper_client::EventType::Session {
            return;
        }
    }
}

/// Every room that has an owner queue, with its queue.
pub async fn all_owner_queues(client: &Client) -> Result<Vec<RoomOwners>, ZkError> {
    let mut rooms = match retrying(client, || client.list_children("/zkplay")).await {
        Ok(rooms) => rooms,
        Err(zookeeper_client::Error::NoNode) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    rooms.sort();
    let mut queues = Vec::new();
    for room in rooms {
        let queue = read_queue(client, &owner_dir(&room)).await?;
        if !queue.is_empty() {
            queues.push(RoomOwners { room, queue });
        }
    }
    Ok(queues)
}

/// This server's place in a room's owner queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seat {
    /// Its node is being made and its place read.
    Joining,
    /// Another server runs the room: the first node's URL.
    Queued { owner: String },
    /// This server runs the room.
    Owner(Fence),
    /// Left the queue (released, or lost with the session): the seat is over.
    Gone,
}

/// Takes a seat in `room`'s owner queue and keeps it until `leave` turns true or the session
/// ends, running the predecessor recipe on `/zkplay/<room>/owner`: first in line runs the
/// room, the others watch the node before theirs. `seat` says where it stands.
pub async fn keep_seat(
    client: Client,
    room: String,
    url: String,
    fenced: Arc<AtomicU64>,
    seat: watch::Sender<Seat>,
    leave: watch::Receiver<bool>,
) {
    let dir = owner_dir(&room);
    if let Err(e) = ensure_path(&client, &dir).await {
        tracing::warn!(%room, "no seat in the owner queue: {e}");
        seat.send_replace(Seat::Gone);
        return;
    }
    let mut recipe = LockRecipe::new(LockRecipeKind::Predecessor, 0).expect("a built-in recipe");
    let timeout_ms = client.session_timeout().as_millis() as u64;
    let steps = recipe
        .on(Input::Connected {
            session: client.session_id().0,
            timeout_ms,
        })
        .into();
    let mut run = SeatRun {
        queue: SeatQueue {
            client: &client,
            dir: LockDir::at(&dir).holding(url.as_bytes()),
            path: dir.clone(),
            url: &url,
        },
        room: &room,
        recipe,
        steps,
        armed: None,
        token: 0,
        fence: None,
        own_node: None,
        fenced,
        seat,
    };
    run.run(leave).await;
}

/// A seat as it runs: the recipe, the steps it has still to take, its armed watch.
struct SeatRun<'a> {
    queue: SeatQueue<'a>,
    room: &'a str,
    recipe: LockRecipe,
    steps: VecDeque<Step>,
    armed: Option<ArmedWatch>,
    /// The owner node's czxid, the recipe's fencing token.
    token: i64,
    /// While it owns the room: its fence node, and a watch on its own node in the queue.
    fence: Option<String>,
    own_node: Option<ArmedWatch>,
    fenced: Arc<AtomicU64>,
    seat: watch::Sender<Seat>,
}

impl SeatRun<'_> {
    async fn run(&mut self, mut leave: watch::Receiver<bool>) {
        let client = self.queue.client;
        let mut state = client.state_watcher();
        // Curator's rule for a holder: a connection lost for a session timeout may be a session
        // ZooKeeper has expired, and another server may run the room: stop acting for it.
        let mut lost_at: Option<tokio::time::Instant> = None;
        loop {
            if self.take_steps().await {
                return;
            }
            if *leave.borrow() {
                self.leave().await;
                return;
            }
            tokio::select! {
                event = fired(&mut self.armed) => {
                    self.armed = None;
                    self.steps.extend(self.recipe.on(Input::WatchFired {
                        path: self.queue.dir.seen(&event.path),
                        kind: watched_kind(&event),
                    }));
                }
                event = fired(&mut self.own_node) => {
                    self.own_node = None;
                    if event.event_type != zookeeper_client::EventType::Session {
                        tracing::error!(room = %self.room, "this server's owner node was deleted by another: it no longer runs the room");
                        self.resign().await;
                        return;
                    }
                }
                () = sleep_until_some(lost_at) => {
                    tracing::warn!(room = %self.room, "no ZooKeeper for a session timeout: this server stops running the room");
                    self.seat.send_replace(Seat::Gone);
                    // Back before its session expired, it gives its seat up itself.
                    if reconnected(client).await {
                        self.resign().await;
                    }
                    return;
                }
                _ = leave.changed() => {}
                now = state.changed() => match now {
                    SessionState::Expired | SessionState::Closed | SessionState::AuthFailed => {
                        tracing::warn!(room = %self.room, "the fleet session ended: this server no longer runs the room");
                        self.seat.send_replace(Seat::Gone);
                        return;
                    }
                    SessionState::Disconnected if lost_at.is_none() => {
                        lost_at = Some(tokio::time::Instant::now() + client.session_timeout());
                    }
                    SessionState::SyncConnected | SessionState::ConnectedReadOnly => lost_at = None,
                    _ => {}
                },
            }
        }
    }

    /// Leaves the queue as asked: a holder lets go as the recipe does (its fence first, so no
    /// write of the room's outlives its hold), a waiter deletes its node.
    async fn leave(&mut self) {
        let client = self.queue.client;
        if self.recipe.is_holding() {
            self.drop_fence().await;
            self.steps.extend(self.recipe.on(Input::HoldOver));
            if self.take_steps().await {
                return;
            }
        }
        if let Some(path) = self.recipe.this_path() {
            let real = self.queue.dir.real(path);
            let _ = retrying(client, || client.delete(&real, None)).await;
        }
        self.seat.send_replace(Seat::Gone);
    }

    /// Gives the seat up without the recipe: its fence and its node deleted, if still there.
    async fn resign(&mut self) {
        self.seat.send_replace(Seat::Gone);
        self.drop_fence().await;
        if let Some(path) = self.recipe.this_path() {
            let (client, real) = (self.queue.client, self.queue.dir.real(path));
            let _ = retrying(client, || client.delete(&real, None)).await;
        }
    }

    async fn drop_fence(&mut self) {
        if let Some(fence) = self.fence.take() {
            let client = self.queue.client;
            let _ = retrying(client, || client.delete(&fence, None)).await;
        }
    }

    /// The seat came first: it holds the room's lock. Its fence is an ephemeral node named by
    /// the owner node's czxid (never made twice, unlike a path in a queue made again), and its
    /// own node is watched: deleted by another (a server given this one's URL), it resigns.
    async fn gained(&mut self) -> Result<(), ZkError> {
        let client = self.queue.client;
        let node = self
            .queue
            .dir
            .real(self.recipe.this_path().unwrap_or_default());
        let fence = fence_node(self.room, self.token);
        let options = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
        match retrying(client, || client.create(&fence, &[], &options)).await {
            Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
            Err(e) => return Err(e.into()),
        }
        self.fence = Some(fence.clone());
        if let (Some(_), watcher) = retrying(client, || client.check_and_watch_stat(&node)).await? {
            self.own_node = Some(Box::pin(watcher.changed()));
        }
        tracing::info!(room = %self.room, %node, "this server runs the room");
        self.seat.send_replace(Seat::Owner(Fence {
            node: fence,
            token: self.token,
            refused: self.fenced.clone(),
        }));
        Ok(())
    }

    /// Takes the recipe's steps until none is left; true once the recipe has ended.
    async fn take_steps(&mut self) -> bool {
        while let Some(step) = self.steps.pop_front() {
            match step {
                Step::Call(call) => {
                    let input =
                        execute(self.queue.client, call, &mut self.armed, &self.queue.dir).await;
                    if let Input::Children { names } = &input {
                        match self.queue.owner_of(names, self.recipe.this_path()).await {
                            Ok(Some(owner)) => {
                                self.seat.send_replace(Seat::Queued { owner });
                            }
                            Ok(None) => {}
                            Err(e) => {
                                tracing::warn!(room = %self.room, "reading the room's owner: {e}")
                            }
                        }
                    }
                    self.steps.extend(self.recipe.on(input));
                }
                Step::Write { token } => self.token = token,
                Step::Hold => {
                    if let Err(e) = self.gained().await {
                        tracing::warn!(room = %self.room, "no fence for the room: {e}");
                        self.resign().await;
                        return true;
                    }
                }
                Step::Publish(_) => {}
                Step::Close(reason) => {
                    tracing::info!(room = %self.room, ?reason, "left the room's owner queue");
                    self.seat.send_replace(Seat::Gone);
                    return true;
                }
            }
        }
        false
    }
}

/// Sleeps until `at`, or for ever when there is none.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The fence of the owner whose node has czxid `token`: `/zkplay/<room>/fence-<token>`.
fn fence_node(room: &str, token: i64) -> String {
    format!("{}/fence-{token:016x}", super::room_root(room))
}

/// A room's owner queue as the seat's driver reads it.
struct SeatQueue<'a> {
    client: &'a Client,
    dir: LockDir,
    path: String,
    url: &'a str,
}

impl SeatQueue<'_> {
    /// Who runs the room, when it is not this seat: the first node's URL. A node ahead that
    /// holds this server's own URL from another session is an earlier run of this server,
    /// dead (this run bound its address): it is deleted, and the recipe's watch on it fires.
    async fn owner_of(
        &self,
        names: &[String],
        own: Option<&str>,
    ) -> Result<Option<String>, ZkError> {
        let own_name = own.and_then(|p| p.rsplit('/').next());
        let mut names = names.to_vec();
        in_queue_order(&mut names);
        for name in names {
            if Some(name.as_str()) == own_name {
                return Ok(None);
            }
            let path = format!("{}/{name}", self.path);
            if let Some(data) = read_unless_earlier_run(self.client, &path, self.url).await? {
                return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
            }
        }
        Ok(None)
    }
}

/// Creates the persistent node `path` with `data`, its folders first; false when it exists.
pub async fn create_record(client: &Client, path: &str, data: &[u8]) -> Result<bool, ZkError> {
    if let Some((dir, _)) = path.rsplit_once('/') {
        ensure_path(client, dir).await?;
    }
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    match retrying(client, || client.create(path, data, &options)).await {
        Ok(_) => Ok(true),
        Err(zookeeper_client::Error::NodeExists) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The data of `path`, if it exists.
pub async fn read_record(client: &Client, path: &str) -> Result<Option<Vec<u8>>, ZkError> {
    match retrying(client, || client.get_data(path)).await {
        Ok((data, _)) => Ok(Some(data)),
        Err(zookeeper_client::Error::NoNode) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a room's owner queue and its node once both are empty (a room ended and its last
/// seat left); a queue someone joined meanwhile stays.
pub async fn remove_empty_room(client: &Client, room: &str) {
    for path in [owner_dir(room), super::room_root(room)] {
        match retrying(client, || client.delete(&path, None)).await {
            Ok(()) | Err(zookeeper_client::Error::NoNode) => {}
            Err(zookeeper_client::Error::NotEmpty) => return,
            Err(e) => {
                tracing::warn!(%path, "deleting an ended room's folder: {e}");
                return;
            }
        }
    }
}
