//! This server's part in a fleet of zkplay servers on one ensemble (`--zk`): its session, its
//! node in the live server list, its seats in rooms' owner queues, and where a room runs.
//!
//! The ZooKeeper side is `zk::fleet`; this is what the rest of the server asks: [`Fleet::place`]
//! (here, with the room's fence, or at another server's URL), [`Fleet::release`] when a room
//! ends here, [`Fleet::forwarding`] while a browser's connection is forwarded, and
//! [`Fleet::view`] for `/fleet.json`.

mod forward;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::fleet::{classroom_node, owner_dir, FleetNode, FleetView};
use tokio::sync::{mpsc, watch};
use zookeeper_client::Client;

use crate::zk::fleet::{self as zkfleet, Fence, Seat};
use crate::zk::{self, ZkSettings};

pub use forward::{forward, trusted_client_ip, ForwardError, FORWARDED_HEADER};

/// How long finding where a room runs may take: the fleet's session opened, the seat taken.
const PLACE_WAIT: Duration = Duration::from_secs(10);

/// Why a room's place could not be found.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FleetError {
    #[error("this server has had no ZooKeeper session for the fleet for {PLACE_WAIT:?}; try again in a moment")]
    NoSession,
    #[error("no answer from the room's owner queue in {0:?}")]
    Slow(Duration),
    #[error("this server lost its seat in the room's owner queue; try again")]
    SeatLost,
    #[error("{0}")]
    ZooKeeper(String),
}

/// Where a room runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// On this server, which holds the room's lock: its own writes carry this fence.
    Here(Fence),
    /// On the server at this URL.
    There(String),
}

/// This server's seat in one room's owner queue.
struct SeatHandle {
    seat: watch::Receiver<Seat>,
    leave: watch::Sender<bool>,
    /// Browser connections forwarded to the owner through this server: while any is open, the
    /// seat stays, so that this server is next in line if the owner dies.
    forwarded: usize,
    /// Counts the times it had none left: a linger started at one count ends only a seat
    /// still idle at that count.
    idle: u64,
}

/// This server in the fleet.
pub struct Fleet {
    url: String,
    session: watch::Receiver<Option<Client>>,
    backends: watch::Receiver<Vec<FleetNode>>,
    seats: Mutex<HashMap<String, SeatHandle>>,
    fenced: Arc<AtomicU64>,
    /// Rooms whose seat came first in line: the server starts them (a takeover, or a room a
    /// browser asked for).
    gained: mpsc::UnboundedSender<String>,
    /// How long a seat kept for forwarded connections stays after the last one closed: long
    /// enough for the owner's session to expire and this server to take over.
    linger: Duration,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Fleet {
    /// Joins the fleet on `zk` as `url`: a session of its own, kept (a new one when it
    /// expires), with this server's node in the live server list. The receiver gets the rooms
    /// whose lock this server comes to hold.
    pub fn start(url: String, zk: &ZkSettings) -> (Arc<Fleet>, mpsc::UnboundedReceiver<String>) {
        let (session_tx, session) = watch::channel(None);
        let (backends_tx, backends) = watch::channel(Vec::new());
        let (gained, gained_rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(keep_session(
            zk.clone(),
            url.clone(),
            session_tx,
            backends_tx,
            stop_rx,
        ));
        let fleet = Fleet {
            url,
            session,
            backends,
            seats: Mutex::new(HashMap::new()),
            fenced: Arc::new(AtomicU64::new(0)),
            gained,
            linger: zk.session_timeout * 2 + Duration::from_secs(5),
            stop,
            task: Mutex::new(Some(task)),
        };
        (Arc::new(fleet), gained_rx)
    }

    /// This server's URL in the fleet (what its nodes hold).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The live server list as this server last read it.
    pub fn backends(&self) -> Vec<FleetNode> {
        self.backends.borrow().clone()
    }

    /// Whether `ip` is a server of the fleet (a forwarded request's `X-Forwarded-For` is
    /// believed only from one).
    pub fn is_member(&self, ip: IpAddr) -> bool {
        self.backends
            .borrow()
            .iter()
            .any(|node| forward::host_ip(&node.url) == Some(ip))
    }

    /// Where `room` runs. A server that has no seat in its owner queue takes one: first in line
    /// runs the room; behind another, it forwards to it and is next if it dies. A seat taken
    /// and not used for a forwarded connection is given up after [`Fleet::linger`].
    pub async fn place(self: &Arc<Self>, room: &str) -> Result<Place, FleetError> {
        let placed = self.decide(room).await;
        if !matches!(placed, Ok(Place::Here(_))) {
            self.maybe_idle(room);
        }
        placed
    }

    async fn decide(&self, room: &str) -> Result<Place, FleetError> {
        let wait = PLACE_WAIT;
        let client = self.client().await?;
        let mut seat = self.seat(room, client);
        let decided = seat.wait_for(|s| !matches!(s, Seat::Joining));
        let seat = match tokio::time::timeout(wait, decided).await {
            Ok(Ok(seat)) => seat.clone(),
            Ok(Err(_)) => return Err(FleetError::SeatLost),
            Err(_) => return Err(FleetError::Slow(wait)),
        };
        let owner = match seat {
            Seat::Owner(fence) => return Ok(Place::Here(fence)),
            // The seat learnt the owner when it last listed the queue; a server further ahead
            // that left since is not noticed until the node just ahead goes: read it now.
            Seat::Queued { owner } => self.owner_of(room).await.unwrap_or(owner),
            Seat::Joining | Seat::Gone => return Err(FleetError::SeatLost),
        };
        // This server's own URL ahead of its seat: a seat of its own still leaving.
        match owner == self.url {
            true => Err(FleetError::SeatLost),
            false => Ok(Place::There(owner)),
        }
    }

    /// The fleet session, once open (waiting up to [`PLACE_WAIT`]).
    async fn client(&self) -> Result<Client, FleetError> {
        let mut session = self.session.clone();
        let joined = session.wait_for(Option::is_some);
        let client = match tokio::time::timeout(PLACE_WAIT, joined).await {
            Ok(Ok(client)) => client.clone(),
            _ => None,
        };
        client.ok_or(FleetError::NoSession)
    }

    /// Keeps classroom `room`'s record (its key's digest, never the key) where every server of
    /// the fleet reads it; false when the name is taken in the fleet already.
    pub async fn share_classroom(&self, room: &str, record: &[u8]) -> Result<bool, FleetError> {
        let client = self.client().await?;
        zkfleet::create_record(&client, &classroom_node(room), record)
            .await
            .map_err(|e| FleetError::ZooKeeper(e.to_string()))
    }

    /// Classroom `room`'s record as the fleet keeps it, if it is one.
    pub async fn classroom(&self, room: &str) -> Result<Option<Vec<u8>>, FleetError> {
        let client = self.client().await?;
        zkfleet::read_record(&client, &classroom_node(room))
            .await
            .map_err(|e| FleetError::ZooKeeper(e.to_string()))
    }

    /// This server's seat in `room`'s queue, taken now if it has none (or its last one ended).
    fn seat(&self, room: &str, client: Client) -> watch::Receiver<Seat> {
        let mut seats = self.seats.lock().expect("seats lock");
        if let Some(held) = seats.get(room) {
            if *held.seat.borrow() != Seat::Gone {
                return held.seat.clone();
            }
        }
        let (seat_tx, seat) = watch::channel(Seat::Joining);
        let (leave, leave_rx) = watch::channel(false);
        tokio::spawn(zkfleet::keep_seat(
            client,
            room.to_string(),
            self.url.clone(),
            self.fenced.clone(),
            seat_tx,
            leave_rx,
        ));
        tokio::spawn(announce_takeover(
            room.to_string(),
            seat.clone(),
            self.gained.clone(),
        ));
        let (forwarded, idle) = seats
            .remove(room)
            .map_or((0, 0), |old| (old.forwarded, old.idle));
        seats.insert(
            room.to_string(),
            SeatHandle {
                seat: seat.clone(),
                leave,
                forwarded,
                idle,
            },
        );
        seat
    }

    /// The room ended here (or was never wanted): leave its owner queue, which hands it to the
    /// next in line at once. Its folders go when the queue is empty.
    pub fn release(&self, room: &str) {
        let held = self.seats.lock().expect("seats lock").remove(room);
        if let Some(held) = held {
            self.leave(room, held);
        }
    }

    fn leave(&self, room: &str, held: SeatHandle) {
        held.leave.send_replace(true);
        let session = self.session.borrow().clone();
        let mut seat = held.seat;
        let room = room.to_string();
        tokio::spawn(async move {
            let _ = seat.wait_for(|s| *s == Seat::Gone).await;
            if let Some(client) = session {
                zkfleet::remove_empty_room(&client, &room).await;
            }
        });
    }

    /// Returns once this server no longer holds `room`'s lock with `fence` (its session
    /// expired, or the seat was given up).
    pub async fn lost(&self, room: &str, fence: &Fence) {
        let seat = self
            .seats
            .lock()
            .expect("seats lock")
            .get(room)
            .map(|held| held.seat.clone());
        if let Some(mut seat) = seat {
            let _ = seat
                .wait_for(|s| !matches!(s, Seat::Owner(held) if held == fence))
                .await;
        }
    }

    /// The room that ran here with `fence` has ended: its seat is given up, unless a newer
    /// seat has taken its place.
    pub fn release_seat(&self, room: &str, fence: &Fence) {
        let same = self
            .seats
            .lock()
            .expect("seats lock")
            .get(room)
            .is_some_and(|held| match &*held.seat.borrow() {
                Seat::Owner(held) => held == fence,
                seat => *seat == Seat::Gone,
            });
        if same {
            self.release(room);
        }
    }

    /// A browser's connection to `room` is forwarded to its owner: the seat stays while the
    /// returned guard lives, and for [`Fleet::linger`] after the last one.
    pub fn forwarding(self: &Arc<Self>, room: &str) -> Forwarding {
        let seat = {
            let mut seats = self.seats.lock().expect("seats lock");
            seats.get_mut(room).map(|held| {
                held.forwarded += 1;
                held.seat.clone()
            })
        };
        Forwarding {
            fleet: self.clone(),
            room: room.to_string(),
            seat,
        }
    }

    fn forward_ended(self: &Arc<Self>, room: &str) {
        if let Some(held) = self.seats.lock().expect("seats lock").get_mut(room) {
            held.forwarded = held.forwarded.saturating_sub(1);
        }
        self.maybe_idle(room);
    }

    /// A queued seat with no forwarded connection is given up after [`Fleet::linger`], unless
    /// one came meanwhile (or it came first: then its room runs here).
    fn maybe_idle(self: &Arc<Self>, room: &str) {
        let count = {
            let mut seats = self.seats.lock().expect("seats lock");
            match seats.get_mut(room) {
                Some(held) if held.forwarded == 0 => {
                    held.idle += 1;
                    held.idle
                }
                _ => return,
            }
        };
        let fleet = self.clone();
        let room = room.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(fleet.linger).await;
            let idle = {
                let mut seats = fleet.seats.lock().expect("seats lock");
                let still = seats.get(&room).is_some_and(|h| {
                    h.idle == count
                        && h.forwarded == 0
                        && !matches!(*h.seat.borrow(), Seat::Owner(_))
                });
                if still {
                    seats.remove(&room)
                } else {
                    None
                }
            };
            if let Some(held) = idle {
                fleet.leave(&room, held);
            }
        });
    }

    /// The server that runs `room` now, as its owner queue says (no seat is taken).
    pub async fn owner_of(&self, room: &str) -> Option<String> {
        let client = self.session.borrow().clone()?;
        let queue = zkfleet::read_queue(&client, &owner_dir(room)).await.ok()?;
        queue.into_iter().next().map(|node| node.url)
    }

    /// The fleet as ZooKeeper holds it now.
    pub async fn view(&self) -> FleetView {
        let mut view = FleetView {
            this: self.url.clone(),
            backends: self.backends(),
            rooms: Vec::new(),
            fenced_writes: self.fenced.load(Ordering::Relaxed),
        };
        let session = self.session.borrow().clone();
        if let Some(client) = session {
            match zkfleet::all_owner_queues(&client).await {
                Ok(rooms) => view.rooms = rooms,
                Err(e) => tracing::warn!("reading the fleet's owner queues: {e}"),
            }
        }
        view
    }

    /// Leaves the fleet: the session closes, so this server's node and every seat it held go
    /// at once, and the next server in each queue takes the room.
    pub async fn stop(&self) {
        let seats: Vec<_> = self
            .seats
            .lock()
            .expect("seats lock")
            .drain()
            .map(|(_, held)| held)
            .collect();
        for held in &seats {
            held.leave.send_replace(true);
        }
        let all_gone = async {
            for mut held in seats {
                let _ = held.seat.wait_for(|s| *s == Seat::Gone).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), all_gone)
            .await
            .is_err()
        {
            tracing::warn!("seats still leaving after 5 s: closing the fleet session anyway");
        }
        self.stop.send_replace(true);
        let task = self.task.lock().expect("fleet task").take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// A forwarded connection's hold on its seat.
pub struct Forwarding {
    fleet: Arc<Fleet>,
    room: String,
    seat: Option<watch::Receiver<Seat>>,
}

impl Forwarding {
    /// Resolves when the forwarded connection must end: this server's seat came first (the
    /// room runs here now) or was lost. The browser reconnects and finds the room.
    pub fn moved(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let seat = self.seat.clone();
        async move {
            match seat {
                Some(mut seat) => {
                    let _ = seat
                        .wait_for(|s| matches!(s, Seat::Owner(_) | Seat::Gone))
                        .await;
                }
                None => std::future::pending().await,
            }
        }
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        self.fleet.forward_ended(&self.room);
    }
}

/// Tells the server when `room`'s seat comes first after waiting behind another: a takeover,
/// which no browser's request starts. A seat first at once belongs to a request that starts
/// the room itself, with the limits of whoever opened it.
async fn announce_takeover(
    room: String,
    mut seat: watch::Receiver<Seat>,
    gained: mpsc::UnboundedSender<String>,
) {
    let queued = seat
        .wait_for(|s| !matches!(s, Seat::Joining))
        .await
        .is_ok_and(|s| matches!(*s, Seat::Queued { .. }));
    if queued
        && seat
            .wait_for(|s| matches!(s, Seat::Owner(_) | Seat::Gone))
            .await
            .is_ok_and(|s| matches!(*s, Seat::Owner(_)))
    {
        let _ = gained.send(room);
    }
}

/// Keeps a fleet session open and this server registered in it, a new session whenever one
/// expires, until `stop`; then closes it, which deletes every node it held.
async fn keep_session(
    zk: ZkSettings,
    url: String,
    session: watch::Sender<Option<Client>>,
    backends: watch::Sender<Vec<FleetNode>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut retry = Duration::from_millis(250);
    while !*stop.borrow() {
        let joined = async {
            let client = zk.open(&zk.connect).await?;
            let node = zkfleet::register(&client, &url).await?;
            Ok::<_, zk::ZkError>((client, node))
        };
        let (client, node) = tokio::select! {
            joined = joined => match joined {
                Ok(joined) => joined,
                Err(e) => {
                    tracing::warn!("joining the fleet: {e}; again in {retry:?}");
                    tokio::select! {
                        _ = tokio::time::sleep(retry) => {}
                        _ = stop.changed() => {}
                    }
                    retry = (retry * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        retry = Duration::from_millis(250);
        tracing::info!(%node, %url, "joined the fleet");
        session.send_replace(Some(client.clone()));
        tokio::select! {
            () = zkfleet::follow_backends(&client, &url, &backends) => {
                tracing::warn!("the fleet session ended; joining again");
            }
            _ = stop.changed() => {}
        }
        session.send_replace(None);
        zk::close(client).await;
    }
}
