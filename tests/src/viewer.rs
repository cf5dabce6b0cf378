//! A WebSocket viewer of one room, as a browser would be: it keeps a `RoomView` from the
//! snapshot and the events, and the whole event history for checks on ordering.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::{ClientId, ClientMsg, EnsembleView, ErrorCode, RoomEvent, RoomView, ServerMsg, You};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait may take before the test fails (a bound, not a pause).
pub const WAIT: Duration = Duration::from_secs(30);

/// What reading a viewer's socket gave.
#[derive(Debug)]
pub enum Polled {
    Message(ServerMsg),
    /// Nothing came before the deadline.
    Quiet,
    /// The connection has ended.
    Closed,
}

/// A WebSocket to the server, before or without the viewer's bookkeeping.
pub type RawSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a connection ended: the typed errors the server sent before it closed, and its close
/// frame's code and reason (`None`: it closed without one).
#[derive(Debug)]
pub struct Closed {
    pub errors: Vec<ErrorCode>,
    pub close: Option<(u16, String)>,
}

/// Reads a socket to its end (failing the test after [`WAIT`]).
pub async fn read_to_close(ws: &mut RawSocket) -> Closed {
    let mut errors = Vec::new();
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the server did not close within the wait");
        match next {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerMsg::Error { code, .. }) = serde_json::from_str(&text) {
                    errors.push(code);
                }
            }
            Some(Ok(Message::Close(frame))) => {
                let close = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                return Closed { errors, close };
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                return Closed {
                    errors,
                    close: None,
                }
            }
        }
    }
}

pub struct Viewer {
    ws: RawSocket,
    /// The room as the stream built it.
    pub view: RoomView,
    /// Every event received, in order, with its `seq` (unless `keep_history` is off).
    pub history: Vec<(u64, RoomEvent)>,
    /// Off for long runs (benchmarks), where the history would outgrow memory.
    pub keep_history: bool,
    /// Error messages received and not yet taken by [`Viewer::next_error`].
    pub errors: Vec<(ErrorCode, String)>,
    /// The ensemble as the server last described it.
    pub ensemble: EnsembleView,
    /// Who the server says this connection is in the room.
    pub you: Option<You>,
    /// The server as its welcome described it (in a fleet, the one that runs the room).
    pub server: Option<shared::ServerInfo>,
}

impl Viewer {
    /// Connects without saying hello.
    pub async fn connect(addr: SocketAddr) -> RawSocket {
        Self::connect_with(addr, None)
            .await
            .expect("WebSocket connect")
    }

    /// Connects without saying hello, with a 4 KiB read buffer (tungstenite's 128 KiB one is
    /// zeroed on every read, which a thousand viewers pay for) and, if asked, the socket's
    /// kernel receive buffer set: a small one stands for a slow link.
    pub async fn connect_with(
        addr: SocketAddr,
        receive_buffer: Option<u32>,
    ) -> Result<RawSocket, tokio_tungstenite::tungstenite::Error> {
        Self::connect_to(addr, "/ws", receive_buffer).await
    }

    /// Connects to `path` (`/ws`, or `/ws?room=<room>` as the page does, which a fleet's
    /// servers forward to the room's) without saying hello.
    pub async fn connect_to(
        addr: SocketAddr,
        path: &str,
        receive_buffer: Option<u32>,
    ) -> Result<RawSocket, tokio_tungstenite::tungstenite::Error> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        if let Some(bytes) = receive_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            format!("ws://{addr}{path}"),
            MaybeTlsStream::Plain(stream),
            Some(config),
        )
        .await?;
        Ok(ws)
    }

    /// Connects, says hello, and waits for the welcome and the snapshot.
    pub async fn join(addr: SocketAddr, room: &str) -> Viewer {
        Self::join_socket(Self::connect(addr).await, room).await
    }

    /// Joins `room` as the page does, naming it in the URL: any server of a fleet takes it.
    pub async fn join_room(addr: SocketAddr, room: &str) -> Viewer {
        Self::join_room_with(addr, &ClientMsg::hello(room)).await
    }

    /// [`Viewer::join_room`] with a hello of the caller's (a teacher's key, a viewer).
    pub async fn join_room_with(addr: SocketAddr, hello: &ClientMsg) -> Viewer {
        let ClientMsg::Hello { room, .. } = hello else {
            panic!("{hello:?} is no hello");
        };
        let path = format!("/ws?room={room}");
        let ws = Self::connect_to(addr, &path, None)
            .await
            .expect("WebSocket connect");
        Self::join_with(ws, hello).await
    }

    /// [`Viewer::join`] over a socket of the caller's.
    pub async fn join_socket(ws: RawSocket, room: &str) -> Viewer {
        Self::join_with(ws, &ClientMsg::hello(room)).await
    }

    /// Joins with a hello of the caller's (a teacher's key, a viewer, a student's token).
    pub async fn join_hello(addr: SocketAddr, hello: &ClientMsg) -> Viewer {
        Self::join_with(Self::connect(addr).await, hello).await
    }

    async fn join_with(mut ws: RawSocket, hello: &ClientMsg) -> Viewer {
        let ClientMsg::Hello { room, .. } = hello else {
            panic!("{hello:?} is no hello");
        };
        ws.send(Message::text(serde_json::to_string(hello).unwrap()))
            .await
            .expect("send hello");
        let mut viewer = Viewer {
            ws,
            view: RoomView::default(),
            history: Vec::new(),
            keep_history: true,
            errors: Vec::new(),
            ensemble: EnsembleView::default(),
            you: None,
            server: None,
        };
        match viewer.next().await {
            ServerMsg::Welcome {
                room: joined,
                you,
                server,
                ..
            } => {
                assert_eq!(&joined, room);
                viewer.you = Some(you);
                viewer.server = Some(server);
            }
            other => panic!("expected a welcome, got {other:?}"),
        }
        // A wrong teacher key's warning comes between the welcome and the snapshot.
        loop {
            match viewer.next().await {
                ServerMsg::Snapshot { view } => {
                    viewer.view = *view;
                    return viewer;
                }
                ServerMsg::Error { code, message } => viewer.errors.push((code, message)),
                other => panic!("expected a snapshot, got {other:?}"),
            }
        }
    }

    /// Reads on until the server closes the connection.
    pub async fn until_closed(&mut self) -> Closed {
        read_to_close(&mut self.ws).await
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(Message::text(serde_json::to_string(msg).unwrap()))
            .await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next server message (failing the test after [`WAIT`]).
    pub async fn next(&mut self) -> ServerMsg {
        self.next_before(tokio::time::Instant::now() + WAIT)
            .await
            .expect("no server message within the wait")
    }

    /// The next server message, or `None` at `deadline`.
    pub async fn next_before(&mut self, deadline: tokio::time::Instant) -> Option<ServerMsg> {
        match self.poll(deadline).await {
            Polled::Message(msg) => Some(msg),
            Polled::Quiet => None,
            Polled::Closed => panic!("the server closed the connection"),
        }
    }

    /// The next server message, [`Polled::Quiet`] at `deadline`, or [`Polled::Closed`] when
    /// the connection has ended (the server stopped, or died). The message is not applied:
    /// [`Viewer::absorb`] does that.
    pub async fn poll(&mut self, deadline: tokio::time::Instant) -> Polled {
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Polled::Quiet,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Polled::Closed,
                Ok(Some(Ok(Message::Text(text)))) => {
                    return Polled::Message(serde_json::from_str(&text).expect("a server message"))
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Reads messages, applying them, until `done` holds for the view; returns what it said.
    pub async fn until<T>(
        &mut self,
        what: &str,
        done: impl FnMut(&RoomView, &[(u64, RoomEvent)]) -> Option<T>,
    ) -> T {
        match self.until_within(WAIT, done).await {
            Some(result) => result,
            None => panic!(
                "timed out waiting for {what}; view: {:#?}\nlast events: {:#?}",
                self.view,
                &self.history[self.history.len().saturating_sub(20)..]
            ),
        }
    }

    /// Like [`Viewer::until`], giving up (with `None`) after `within`.
    pub async fn until_within<T>(
        &mut self,
        within: Duration,
        mut done: impl FnMut(&RoomView, &[(u64, RoomEvent)]) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(result) = done(&self.view, &self.history) {
                return Some(result);
            }
            let msg = self.next_before(deadline).await?;
            self.absorb(msg);
        }
    }

    /// Applies a server message to the view, the history, the errors and the ensemble.
    pub fn absorb(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Event { seq, at_ms, event } => {
                if seq > self.view.seq {
                    self.view.apply(seq, at_ms, &event);
                    if self.keep_history {
                        self.history.push((seq, event));
                    }
                }
            }
            ServerMsg::Snapshot { view } => self.view = *view,
            ServerMsg::Error { code, message } => self.errors.push((code, message)),
            ServerMsg::Ensemble { ensemble } => self.ensemble = ensemble,
            ServerMsg::You { you } => self.you = Some(you),
            ServerMsg::Welcome { .. } => {}
        }
    }

    /// Reads messages until the server has described the ensemble; returns that description.
    pub async fn ensemble(&mut self) -> EnsembleView {
        self.until_ensemble("an ensemble description", |e| !e.members.is_empty())
            .await
    }

    /// Reads messages until the ensemble, as the server describes it, satisfies `done`.
    pub async fn until_ensemble(
        &mut self,
        what: &str,
        mut done: impl FnMut(&EnsembleView) -> bool,
    ) -> EnsembleView {
        // Three members may take a while to elect; a quorum's loss takes a few probes.
        let deadline = tokio::time::Instant::now() + 2 * WAIT;
        while !done(&self.ensemble) {
            let msg = tokio::time::timeout_at(deadline, self.next())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}: {:#?}", self.ensemble));
            self.absorb(msg);
        }
        self.ensemble.clone()
    }

    /// Waits for an error message and returns its code.
    pub async fn next_error(&mut self) -> ErrorCode {
        loop {
            if !self.errors.is_empty() {
                return self.errors.remove(0).0;
            }
            let msg = self.next().await;
            self.absorb(msg);
        }
    }

    /// Sends `msg`, then a resync, and returns the error codes the server answered before the
    /// resync's snapshot: exactly what it said to `msg` (a connection's answers keep its order).
    pub async fn answers_to(&mut self, msg: &ClientMsg) -> Vec<ErrorCode> {
        self.errors.clear();
        self.send(msg).await;
        if *msg != ClientMsg::Resync {
            self.send(&ClientMsg::Resync).await;
        }
        loop {
            match self.next().await {
                ServerMsg::Snapshot { view } => {
                    self.view = *view;
                    return self.errors.drain(..).map(|(code, _)| code).collect();
                }
                other => self.absorb(other),
            }
        }
    }

    /// Picks a display name as a student and waits until the server says who they are now.
    pub async fn pick_name(&mut self, name: &str) -> You {
        self.send(&ClientMsg::SetName { name: name.into() }).await;
        loop {
            if let Some(you) = self.you.as_ref().filter(|y| y.member.student.is_some()) {
                return you.clone();
            }
            assert!(
                self.errors.is_empty(),
                "naming {name:?} was refused: {:?}",
                self.errors
            );
            assert!(
                self.errors.is_empty(),
                "naming {name:?} was refused: {:?}",
                self.errors
            );
            let msg = self.next().await;
            self.absorb(msg);
        }
    }

    /// Adds a lock client and returns nothing; its id shows up in the events.
    /// Adds `n` lock clients with hold time 0 and waits until one holds and every other
    /// waits on an armed watch; the clients in queue order.
    pub async fn queue_up(&mut self, n: usize) -> Vec<shared::ClientId> {
        self.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
        for _ in 0..n {
            self.add_lock_client().await;
        }
        self.until("a full queue", |view, _| {
            let ready = view.locks.nodes.len() == n
                && view.holders().count() == 1
                && view.locks.armed() == n - 1;
            ready.then(|| {
                let owners = view.locks.nodes.iter().map(|node| view.owner(node));
                owners.map(|c| c.expect("our node").id).collect()
            })
        })
        .await
    }

    /// The lock nodes the view shows, in queue order.
    pub fn lock_paths(&self) -> Vec<String> {
        self.view
            .locks
            .nodes
            .iter()
            .map(|n| n.path.clone())
            .collect()
    }

    /// Waits until the view's `/locks` is exactly the children `raw` reads in the view's room.
    pub async fn until_locks_are_the_tree(
        &mut self,
        raw: &crate::zookeeper::RawSession,
        when: &str,
    ) {
        let dir = format!("/zkplay/{}/locks", self.view.room);
        let mut names = raw.again(|| raw.client.list_children(&dir)).await;
        names.sort();
        let tree: Vec<String> = names.iter().map(|n| format!("/locks/{n}")).collect();
        self.until(
            &format!("the queue to be ZooKeeper's {when}: {tree:?}"),
            |view, _| {
                let shown: Vec<&str> = view.locks.nodes.iter().map(|n| n.path.as_str()).collect();
                (shown == tree).then_some(())
            },
        )
        .await;
    }

    pub async fn add_lock_client(&mut self) {
        self.send(&ClientMsg::AddLockClient).await;
    }

    /// Waits until the room's own AppClient has printed its first line, so its moves are done
    /// (before a test holds time still).
    pub async fn until_app_client_settled(&mut self) {
        self.until("the app client's first line", |view, _| {
            (!view.registry.app_clients.first()?.lines.is_empty()).then_some(())
        })
        .await;
    }

    /// With hold time 0, adds two lock clients and waits until one holds and the other watches
    /// it, both nodes shown; returns `(holder, waiter)`.
    pub async fn holder_and_waiter(&mut self) -> (ClientId, ClientId) {
        self.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
        self.add_lock_client().await;
        self.add_lock_client().await;
        self.until("a holder and a waiter", |view, _| {
            let holder = view.holders().next()?.id;
            let waiter = view.locks.clients.iter().find(|c| c.watching.is_some())?.id;
            (view.locks.nodes.len() == 2).then_some((holder, waiter))
        })
        .await
    }
}
