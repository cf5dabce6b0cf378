//! The `/ws` endpoint: admission, hello, validation and limits, and one writer per browser.
//!
//! A connection is a reading half and a writing half joined by `select!`. The writer sends the
//! room's shared frames; when a browser falls more than `viewer_queue` frames behind, it gets a
//! fresh snapshot instead of the backlog. However a connection ends, it ends with one
//! [`Ending`], and every ending the server chooses is told with a close frame whose code says why.
//!
//! What one connection can hold is bounded by construction: a frame or message of at most
//! `max_message_bytes` (longer ones are refused at their header), the 4 KiB read buffer, the
//! 16 KiB write buffer plus the one frame being written, and 64 queued answers.

use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use shared::classroom::{student_name, Forbidden, Member, Need, Role, STUDENT_NAME_MAX_CHARS};
use shared::{
    is_valid_room_name, is_valid_server_name, ClientMsg, ErrorCode, ServerMsg, MAX_HOLD_MS,
    MAX_PAUSE_MS, PROTOCOL_VERSION, SLOW_FACTORS,
};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::admission::ConnectionSlot;
use crate::http::AppState;
use crate::listener::Peer;
use crate::room::{encode, Frame, Joined, RoomError, RoomHandle, ViewerId};

/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// What the WebSocket layer buffers for reading (tungstenite's default, 128 KiB, is zeroed
/// at every read) and for writing before it flushes.
const READ_BUFFER_BYTES: usize = 4096;
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// How long the server waits for the rest of a frame unless told otherwise.
pub const DEFAULT_FRAME_TIMEOUT_MS: u64 = 5000;

/// How long a close frame may take to go out before the connection is dropped anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Per-connection limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest message, and so longest frame: a longer one is refused at its header with
    /// `too_large` and close code 1009, before any of it is kept.
    pub max_message_bytes: usize,
    /// Messages per second a browser may send (bursts of twice that are allowed).
    pub max_messages_per_sec: u32,
    /// Longest the server waits for the rest of a frame or message it has begun to receive.
    pub frame_timeout: Duration,
}

/// A message the server will not act on, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: String,
}

impl Rejection {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }

    fn frame(&self) -> Frame {
        encode(&ServerMsg::Error {
            code: self.code,
            message: self.message.clone(),
        })
    }
}

impl From<RoomError> for Rejection {
    fn from(e: RoomError) -> Self {
        let code = match e {
            RoomError::Full(..) => ErrorCode::RoomFull,
            RoomError::TooManyRooms(_) => ErrorCode::TooManyRooms,
            RoomError::Quota(_) | RoomError::Held(_) => ErrorCode::TooManyNewRooms,
            RoomError::NoSuchClient(_) => ErrorCode::NoSuchClient,
            RoomError::NotHolding(_)
            | RoomError::Switching
            | RoomError::Closed
            | RoomError::Gate(_)
            | RoomError::NoLesson
            | RoomError::LessonBusy
            | RoomError::StepDecided
            | RoomError::NoTarget
            | RoomError::Resetting
            | RoomError::LinkBusy(_) => ErrorCode::InvalidState,
            RoomError::NoSuchLesson(_) | RoomError::NoSuchStep(_) => ErrorCode::InvalidMessage,
            RoomError::SharedMembers(_) => ErrorCode::Forbidden,
            RoomError::StudentLimit(_) => ErrorCode::StudentLimit,
            RoomError::NoSuchRoom | RoomError::NoSuchClassroom(_) => ErrorCode::NoSuchRoom,
            RoomError::TooManyStudents(_) => ErrorCode::RoomFull,
            RoomError::Random => ErrorCode::InvalidState,
        };
        Rejection::new(code, e.to_string())
    }
}

impl From<Forbidden> for Rejection {
    fn from(e: Forbidden) -> Self {
        Rejection::new(ErrorCode::Forbidden, e.to_string())
    }
}

/// Parses and validates one text frame from a browser.
pub fn parse_client_msg(text: &str, limits: &Limits) -> Result<ClientMsg, Rejection> {
    if text.len() > limits.max_message_bytes {
        return Err(Rejection::new(
            ErrorCode::TooLarge,
            format!(
                "message of {} bytes exceeds the limit of {} bytes",
                text.len(),
                limits.max_message_bytes
            ),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Rejection::new(ErrorCode::Malformed, format!("not JSON: {e}")))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    let msg: ClientMsg = serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        // Only an unknown `type` is an unknown message; an unknown value inside a known one
        // (a recipe name, say) is an invalid message.
        let code = if text.starts_with(&format!("unknown variant `{kind}`")) {
            ErrorCode::UnknownMessage
        } else {
            ErrorCode::InvalidMessage
        };
        Rejection::new(code, text)
    })?;
    match &msg {
        ClientMsg::SetHoldMs { hold_ms } if *hold_ms > MAX_HOLD_MS => Err(Rejection::new(
            ErrorCode::InvalidMessage,
            format!("hold_ms must be at most {MAX_HOLD_MS}"),
        )),
        ClientMsg::Pause { ms, .. } if !(1..=MAX_PAUSE_MS).contains(ms) => Err(Rejection::new(
            ErrorCode::InvalidMessage,
            format!("a pause lasts 1 to {MAX_PAUSE_MS} ms"),
        )),
        ClientMsg::Partition { ms, .. } if !(1..=MAX_PAUSE_MS).contains(ms) => Err(Rejection::new(
            ErrorCode::InvalidMessage,
            format!("a partition lasts 1 to {MAX_PAUSE_MS} ms"),
        )),
        ClientMsg::SetTime { slow_factor, .. } if !SLOW_FACTORS.contains(slow_factor) => {
            Err(Rejection::new(
                ErrorCode::InvalidMessage,
                format!("slow_factor must be one of {SLOW_FACTORS:?}"),
            ))
        }
        ClientMsg::AddServer { name: Some(name) } if !is_valid_server_name(name) => {
            Err(Rejection::new(
                ErrorCode::BadName,
                "a server name is 1-32 characters of A-Z, a-z, 0-9, '.', ':', '_' and '-'",
            ))
        }
        ClientMsg::SetName { name } => match student_name(name) {
            Some(name) => Ok(ClientMsg::SetName { name }),
            None => Err(Rejection::new(
                ErrorCode::BadName,
                format!(
                    "a display name is 1-{STUDENT_NAME_MAX_CHARS} characters, none of them a control character"
                ),
            )),
        },
        _ => Ok(msg),
    }
}

/// A token bucket: `rate` per second, bursts of `2 * rate`.
struct RateLimit {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    fn new(per_sec: u32) -> Self {
        let rate = f64::from(per_sec.max(1));
        RateLimit {
            rate,
            tokens: rate * 2.0,
            last: Instant::now(),
        }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate * 2.0);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The handshake: upgraded, the frame and message limits set, and the connection counted
/// against its address. A foreign origin, or an address with all its connections, is upgraded
/// only to be told why in words the page can show (a refused handshake reaches a page as a
/// bare 1006): it joins nothing and is closed (1008).
pub async fn upgrade(
    ws: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    State(app): State<AppState>,
) -> Response {
    let admitted = match app.admission.origins.check_headers(&headers) {
        Err(refused) => {
            tracing::warn!(peer = %peer.addr, "{refused}");
            Err(Rejection::new(
                ErrorCode::ForeignOrigin,
                refused.to_string(),
            ))
        }
        Ok(()) => app
            .admission
            .connections
            .take(peer.addr.ip())
            .ok_or_else(|| {
                let limit = app.admission.connections.limit();
                Rejection::new(
                    ErrorCode::TooManyConnections,
                    format!(
                        "{} already has {limit} connections open (--connections-per-address)",
                        peer.addr.ip()
                    ),
                )
            }),
    };
    let max = app.limits.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .on_upgrade(move |socket| connection(socket, app, peer, admitted))
}

/// Why a connection ends.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// The browser went away without a word: there is no one to tell.
    Gone,
    /// The browser sent a close frame: it is answered with one (RFC 6455, 5.5.1).
    ClosedByPeer,
    /// A text frame that is not UTF-8 (1007).
    NotUtf8(String),
    /// A frame or message over the limit (1009).
    TooBig(String),
    /// Against the server's rules: too many connections, a frame left unfinished, no hello
    /// (1008).
    Policy(String),
    /// Not a WebSocket as the standard has it (1002).
    Protocol(String),
    /// The server stops (1001).
    Away(String),
    /// Something in the server failed: the room ended under a connection while the server
    /// runs (1011).
    Internal(String),
}

impl Ending {
    /// The close frame that tells the browser why, if there is anyone to tell.
    fn close_frame(&self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            Ending::Gone | Ending::ClosedByPeer => return None,
            Ending::NotUtf8(why) => (close_code::INVALID, why),
            Ending::TooBig(why) => (close_code::SIZE, why),
            Ending::Policy(why) => (close_code::POLICY, why),
            Ending::Protocol(why) => (close_code::PROTOCOL, why),
            Ending::Away(why) => (close_code::AWAY, why),
            Ending::Internal(why) => (close_code::ERROR, why),
        };
        Some(CloseFrame {
            code,
            reason: close_reason(reason).into(),
        })
    }

    /// What the WebSocket layer's error means for the connection.
    fn of(error: axum::Error, limits: &Limits) -> Ending {
        use tungstenite::Error as WsError;
        match error.into_inner().downcast::<WsError>().map(|e| *e) {
            Ok(WsError::Capacity(too_big)) => Ending::TooBig(format!(
                "{too_big} (at most {} bytes a message)",
                limits.max_message_bytes
            )),
            Ok(WsError::Protocol(bad)) => Ending::Protocol(bad.to_string()),
            Ok(WsError::Utf8(bad)) => {
                Ending::NotUtf8(format!("a text message that is not UTF-8: {bad}"))
            }
            _ => Ending::Gone,
        }
    }
}

/// A close frame's reason is at most 123 bytes; a longer one is cut at a character boundary.
fn close_reason(why: &str) -> &str {
    const MAX: usize = 123;
    if why.len() <= MAX {
        return why;
    }
    let mut end = MAX;
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    &why[..end]
}

/// What the reading half asks the writing half to send.
enum Outgoing {
    Frame(Frame),
    /// Send a fresh snapshot and continue from it.
    Resync,
}

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

async fn connection(
    socket: WebSocket,
    app: AppState,
    peer: Peer,
    admitted: Result<ConnectionSlot, Rejection>,
) {
    // The handshake's bytes started the clock; the WebSocket starts with nothing pending.
    peer.unfinished.finished();
    let (mut sink, mut stream) = socket.split();
    let ending = match admitted {
        Err(refused) => {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Text(refused.frame())))
                .await;
            Ending::Policy(refused.message)
        }
        Ok(_slot) => serve(&mut sink, &mut stream, &app, &peer).await,
    };
    if let Ending::TooBig(why) = &ending {
        let too_big = Rejection::new(ErrorCode::TooLarge, why.clone());
        let _ =
            tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Text(too_big.frame()))).await;
    }
    if let Some(frame) = ending.close_frame() {
        tracing::info!(peer = %peer.addr, code = frame.code, reason = %frame.reason, "closing");
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
    } else if ending == Ending::ClosedByPeer {
        // The WebSocket layer queued the answering close frame when it read the browser's;
        // closing the sink sends it.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
    }
}

/// A connection that got its slot: the hello, then the room's stream until it ends.
async fn serve(sink: &mut Sink, stream: &mut Stream, app: &AppState, peer: &Peer) -> Ending {
    let mut shutdown = app.shutdown.clone();
    let shutting_down = || Ending::Away("the server is shutting down".into());
    let joined = tokio::select! {
        joined = hello(sink, stream, app, peer) => joined,
        _ = shutdown.changed() => return shutting_down(),
    };
    let (name, room, joined, _leaving) = match joined {
        Ok(joined) => joined,
        Err(ending) => return ending,
    };
    let (out_tx, out_rx) = mpsc::channel(64);
    let ending = tokio::select! {
        ending = write_half(sink, room.clone(), out_rx) => ending,
        ending = read_half(stream, room, joined, out_tx, app, peer) => ending,
        _ = shutdown.changed() => shutting_down(),
    };
    // Rooms end as the server stops: that is no failure.
    let ending = match ending {
        Ending::Internal(_) if *app.shutdown.borrow() => shutting_down(),
        ending => ending,
    };
    tracing::debug!(room = %name, ?ending, "viewer left");
    ending
}

/// The next message from the browser, or why the connection ends: it closed, broke a limit, or
/// left a frame unfinished for longer than `frame_timeout`.
async fn next_message(
    stream: &mut Stream,
    limits: &Limits,
    peer: &Peer,
) -> Result<Message, Ending> {
    let clock = &peer.unfinished;
    clock.waiting();
    let overdue = async {
        loop {
            let waited = clock.pending_for().unwrap_or_default();
            if waited >= limits.frame_timeout {
                return;
            }
            tokio::time::sleep(limits.frame_timeout - waited).await;
        }
    };
    tokio::select! {
        biased;
        next = stream.next() => match next {
            Some(Ok(Message::Close(_))) => Err(Ending::ClosedByPeer),
            None => Err(Ending::Gone),
            Some(Ok(message)) => {
                // Bytes of the next frame read in the same chunk as this one's end are counted
                // from the next bytes that come: they hold no more than the read buffer.
                clock.finished();
                Ok(message)
            }
            Some(Err(error)) => Err(Ending::of(error, limits)),
        },
        () = overdue => Err(Ending::Policy(format!(
            "a frame was left unfinished for {} ms",
            limits.frame_timeout.as_millis()
        ))),
    }
}

/// Tells the room a connection has gone, however it ends.
struct Leaving {
    room: RoomHandle,
    viewer: ViewerId,
}

impl Drop for Leaving {
    fn drop(&mut self) {
        self.room.leave(self.viewer);
    }
}

/// Waits for a good hello, answering anything else with an error.
async fn hello(
    sink: &mut Sink,
    stream: &mut Stream,
    app: &AppState,
    peer: &Peer,
) -> Result<(String, RoomHandle, Joined, Leaving), Ending> {
    let deadline = Instant::now() + HELLO_TIMEOUT;
    let gone = |_| Ending::Gone;
    loop {
        let next = tokio::time::timeout_at(deadline, next_message(stream, &app.limits, peer)).await;
        let message = match next {
            Ok(message) => message?,
            Err(_) => {
                let late = Rejection::new(ErrorCode::HelloExpected, "no hello within 10 s");
                let _ = sink.send(Message::Text(late.frame())).await;
                return Err(Ending::Policy(late.message));
            }
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) | Message::Ping(_) | Message::Pong(_) => continue,
            Message::Binary(_) => {
                let bad = Rejection::new(ErrorCode::Malformed, "binary frames are not spoken here");
                sink.send(Message::Text(bad.frame())).await.map_err(gone)?;
                continue;
            }
        };
        let answer = match parse_client_msg(text.as_str(), &app.limits) {
            Ok(ClientMsg::Hello {
                protocol,
                room,
                key,
                viewer,
                student,
            }) => {
                if protocol != PROTOCOL_VERSION {
                    Err(Rejection::new(
                        ErrorCode::ProtocolMismatch,
                        format!("this server speaks protocol {PROTOCOL_VERSION}, not {protocol}"),
                    ))
                } else if !is_valid_room_name(&room) {
                    Err(Rejection::new(
                        ErrorCode::BadRoom,
                        "a room name is 1-32 characters of a-z, 0-9 and -",
                    ))
                } else {
                    app.rooms
                        .join(&room, key.as_deref(), viewer, student, peer.addr.ip())
                        .await
                        .map(|(handle, joined, wrong_key)| (room, handle, joined, wrong_key))
                        .map_err(Rejection::from)
                }
            }
            Ok(_) => Err(Rejection::new(
                ErrorCode::HelloExpected,
                "the first message must be a hello",
            )),
            Err(rejection) => Err(rejection),
        };
        match answer {
            Ok((name, room, mut joined, wrong_key)) => {
                joined.you.stops_members = app
                    .member_control
                    .allows(peer.addr.ip(), joined.you.member.role);
                // From here on the room counts this connection: it is told when it goes,
                // however the connection ends.
                let leaving = Leaving {
                    room: room.clone(),
                    viewer: joined.viewer,
                };
                let welcome = encode(&ServerMsg::Welcome {
                    protocol: PROTOCOL_VERSION,
                    room: name.clone(),
                    server: app.info.clone(),
                    you: joined.you.clone(),
                });
                let sent = sink.send(Message::Text(welcome)).await;
                if sent.is_ok() && wrong_key {
                    let wrong = Rejection::new(
                        ErrorCode::Forbidden,
                        "this is not the teacher's key of the room: you watch as a viewer",
                    );
                    let _ = sink.send(Message::Text(wrong.frame())).await;
                }
                sent.map_err(gone)?;
                return Ok((name, room, joined, leaving));
            }
            Err(rejection) => {
                sink.send(Message::Text(rejection.frame()))
                    .await
                    .map_err(gone)?;
            }
        }
    }
}

/// Sends the room's frames and the reading half's answers until the browser is gone or the
/// room ends.
async fn write_half(
    sink: &mut Sink,
    room: RoomHandle,
    mut out: mpsc::Receiver<Outgoing>,
) -> Ending {
    let room_ended = || Ending::Internal("the room ended under this connection".into());
    let Ok(first) = room.subscribe().await else {
        return room_ended();
    };
    let (mut frames, mut ensemble) = (first.frames, first.ensemble);
    let mut next = Some(first.snapshot);
    // The ensemble as it is now goes right after the snapshot.
    ensemble.mark_changed();
    loop {
        let frame = match next.take() {
            Some(frame) => frame,
            None => tokio::select! {
                biased;
                Ok(()) = ensemble.changed() => {
                    let view = ensemble.borrow_and_update().clone();
                    encode(&ServerMsg::Ensemble { ensemble: view })
                }
                outgoing = out.recv() => match outgoing {
                    Some(Outgoing::Frame(frame)) => frame,
                    Some(Outgoing::Resync) => match resubscribe(&room, &mut frames).await {
                        Some(frame) => frame,
                        None => return room_ended(),
                    },
                    // The reading half has ended, with its own reason.
                    None => std::future::pending().await,
                },
                received = frames.recv() => match received {
                    Ok(frame) => frame,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        match fell_behind(missed, &room, &mut frames).await {
                            Some(frame) => frame,
                            None => return room_ended(),
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return room_ended(),
                },
            },
        };
        if sink.feed(Message::Text(frame)).await.is_err() {
            return Ending::Gone;
        }
        // What else the room has published already goes out in the same write: a hand-off is a
        // burst of events, and a thousand viewers make a system call per write each.
        for _ in 1..MAX_BATCH {
            match frames.try_recv() {
                Ok(frame) => {
                    if sink.feed(Message::Text(frame)).await.is_err() {
                        return Ending::Gone;
                    }
                }
                Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                    next = fell_behind(missed, &room, &mut frames).await;
                    if next.is_none() {
                        return room_ended();
                    }
                    break;
                }
                // Closed shows again on the next `recv`.
                Err(_) => break,
            }
        }
        if sink.flush().await.is_err() {
            return Ending::Gone;
        }
    }
}

/// Most frames written to one viewer before a flush.
const MAX_BATCH: usize = 64;

/// A viewer `missed` frames: it gets the room as it is instead.
async fn fell_behind(
    missed: u64,
    room: &RoomHandle,
    frames: &mut broadcast::Receiver<Frame>,
) -> Option<Frame> {
    tracing::debug!(missed, "viewer fell behind; sending a snapshot");
    resubscribe(room, frames).await
}

/// Replaces the viewer's place in the stream with a fresh snapshot and the frames after it.
async fn resubscribe(room: &RoomHandle, frames: &mut broadcast::Receiver<Frame>) -> Option<Frame> {
    let sub = room.subscribe().await.ok()?;
    *frames = sub.frames;
    Some(sub.snapshot)
}

/// Reads the browser's intents and acts on them until it goes or breaks a limit.
async fn read_half(
    stream: &mut Stream,
    room: RoomHandle,
    mut joined: Joined,
    out: mpsc::Sender<Outgoing>,
    app: &AppState,
    peer: &Peer,
) -> Ending {
    let mut rate = RateLimit::new(app.limits.max_messages_per_sec);
    loop {
        let text = match next_message(stream, &app.limits, peer).await {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_) | Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Binary(_)) => {
                let bad = Rejection::new(ErrorCode::Malformed, "binary frames are not spoken here");
                if out.send(Outgoing::Frame(bad.frame())).await.is_err() {
                    return Ending::Gone;
                }
                continue;
            }
            Err(ending) => return ending,
        };
        let result = if rate.allow() {
            match parse_client_msg(text.as_str(), &app.limits) {
                Ok(msg) => {
                    let member = joined.you.member;
                    match allowed(member, &msg, &room).await {
                        Ok(()) => act(msg, member, &mut joined, &room, &out).await,
                        Err(refused) => Err(refused),
                    }
                }
                Err(rejection) => Err(rejection),
            }
        } else {
            Err(Rejection::new(
                ErrorCode::RateLimited,
                format!(
                    "more than {} messages per second",
                    app.limits.max_messages_per_sec
                ),
            ))
        };
        if let Err(rejection) = result {
            if out.send(Outgoing::Frame(rejection.frame())).await.is_err() {
                return Ending::Gone;
            }
        }
    }
}

/// Whether `member` may send `msg`: the role's rule, with the owner of the client it names.
async fn allowed(member: Member, msg: &ClientMsg, room: &RoomHandle) -> Result<(), Rejection> {
    let need = Need::of(msg);
    let owner = match (member.role, need) {
        (Role::Student, Need::OwnClient(client)) => room.owner_of(client).await?,
        _ => None,
    };
    Ok(member.may(need, |_| owner)?)
}

async fn act(
    msg: ClientMsg,
    member: Member,
    joined: &mut Joined,
    room: &RoomHandle,
    out: &mpsc::Sender<Outgoing>,
) -> Result<(), Rejection> {
    // What a student adds is theirs.
    let owner = member.student;
    match msg {
        ClientMsg::Hello { .. } => Err(Rejection::new(
            ErrorCode::HelloExpected,
            "already joined a room; open a new connection for another",
        )),
        ClientMsg::SetName { name } => {
            let stops_members = joined.you.stops_members;
            joined.you = room.name_student(joined.viewer, name).await?;
            joined.you.stops_members = stops_members;
            let you = encode(&ServerMsg::You {
                you: joined.you.clone(),
            });
            let _ = out.send(Outgoing::Frame(you)).await;
            Ok(())
        }
        ClientMsg::ResetRoom => room.reset_room().await.map_err(Into::into),
        ClientMsg::AddLockClient => room
            .add_lock_client(owner)
            .await
            .map(drop)
            .map_err(Into::into),
        ClientMsg::Crash { client } => room.crash(client).await.map_err(Into::into),
        ClientMsg::Kill { client } => room.kill(client).await.map_err(Into::into),
        ClientMsg::Pause { client, ms } => room
            .pause(client, Duration::from_millis(ms))
            .await
            .map_err(Into::into),
        ClientMsg::Release { client } => room.release(client).await.map_err(Into::into),
        ClientMsg::SetHoldMs { hold_ms } => room.set_hold(hold_ms).await.map_err(Into::into),
        ClientMsg::SetRecipe { recipe } => room.set_recipe(recipe).await.map_err(Into::into),
        ClientMsg::AddServer { name } => room
            .add_server(name, owner)
            .await
            .map(drop)
            .map_err(Into::into),
        ClientMsg::AddAppClient => room.add_app_client().await.map(drop).map_err(Into::into),
        ClientMsg::SetFencing { on } => room.set_fencing(on).await.map_err(Into::into),
        ClientMsg::SetTime { mode, slow_factor } => {
            room.set_time(mode, slow_factor).await.map_err(Into::into)
        }
        ClientMsg::StepNext { id } => room.step_next(id).await.map_err(Into::into),
        ClientMsg::Partition { client, ms } => room
            .partition(client, Duration::from_millis(ms))
            .await
            .map_err(Into::into),
        ClientMsg::SetSuspendOnDisconnect { on } => room.set_suspend(on).await.map_err(Into::into),
        ClientMsg::StartLesson { lesson } => room
            .start_lesson(lesson, joined.you.stops_members)
            .await
            .map_err(Into::into),
        ClientMsg::LessonDo => room.lesson_do().await.map_err(Into::into),
        ClientMsg::LessonGoto { step } => room.lesson_goto(step).await.map_err(Into::into),
        ClientMsg::LeaveLesson => room.leave_lesson().await.map_err(Into::into),
        ClientMsg::StopMember { member } | ClientMsg::StartMember { member } => {
            let Some(members) = room.members().await? else {
                return Err(Rejection::new(
                    ErrorCode::NoSuchMember,
                    "this server uses an ensemble it did not start (--zk); it cannot stop its members",
                ));
            };
            // The room's own ensemble is whoever runs the room's; the shared one is the
            // operator's, and allowed teachers'.
            if !members.own && !joined.you.stops_members {
                return Err(Rejection::new(
                    ErrorCode::Forbidden,
                    "every room on this server shares these ZooKeeper servers: only whoever runs the \
                     server stops them; lesson 6 stops servers of your own",
                ));
            }
            let done = if matches!(msg, ClientMsg::StopMember { .. }) {
                members.control.stop_member(member as usize).await
            } else {
                members.control.start_member(member as usize).await
            };
            done.map_err(|e| Rejection::new(ErrorCode::NoSuchMember, e.to_string()))
        }
        ClientMsg::Resync => {
            let _ = out.send(Outgoing::Resync).await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_message_bytes: 64,
            max_messages_per_sec: 5,
            frame_timeout: Duration::from_secs(5),
        }
    }

    fn code(text: &str) -> ErrorCode {
        parse_client_msg(text, &limits()).unwrap_err().code
    }

    #[test]
    fn good_messages_parse() {
        assert_eq!(
            parse_client_msg(r#"{"type":"crash","client":3}"#, &limits()),
            Ok(ClientMsg::Crash { client: 3 })
        );
    }

    #[test]
    fn bad_messages_get_typed_rejections() {
        assert_eq!(code("{not json"), ErrorCode::Malformed);
        assert_eq!(
            code(r#"{"type":"launch_rockets"}"#),
            ErrorCode::UnknownMessage
        );
        assert_eq!(code(r#"{"type":"crash"}"#), ErrorCode::InvalidMessage);
        assert_eq!(
            code(r#"{"type":"crash","client":-1}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(code(r#"{"client":1}"#), ErrorCode::InvalidMessage);
        assert_eq!(
            code(&format!(
                r#"{{"type":"resync","pad":"{}"}}"#,
                "x".repeat(64)
            )),
            ErrorCode::TooLarge
        );
        assert_eq!(
            code(r#"{"type":"set_hold_ms","hold_ms":600001}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(r#"{"type":"set_recipe","recipe":"bogo"}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(r#"{"type":"add_server","name":"a b"}"#),
            ErrorCode::BadName
        );
        assert_eq!(
            code(r#"{"type":"add_server","name":""}"#),
            ErrorCode::BadName
        );
        assert_eq!(
            parse_client_msg(r#"{"type":"add_server","name":"10.0.0.7:8080"}"#, &limits()),
            Ok(ClientMsg::AddServer {
                name: Some("10.0.0.7:8080".into())
            })
        );
        assert_eq!(
            parse_client_msg(
                r#"{"type":"set_recipe","recipe":"children-watch"}"#,
                &limits()
            ),
            Ok(ClientMsg::SetRecipe {
                recipe: shared::LockRecipeKind::ChildrenWatch
            })
        );
    }

    #[test]
    fn every_ending_the_server_chooses_has_its_close_code() {
        let code = |ending: Ending| ending.close_frame().map(|f| f.code);
        assert_eq!(code(Ending::Gone), None);
        assert_eq!(code(Ending::ClosedByPeer), None);
        assert_eq!(code(Ending::NotUtf8("\u{fffd}".into())), Some(1007));
        assert_eq!(code(Ending::TooBig("big".into())), Some(1009));
        assert_eq!(code(Ending::Policy("rule".into())), Some(1008));
        assert_eq!(code(Ending::Protocol("bad".into())), Some(1002));
        assert_eq!(code(Ending::Away("bye".into())), Some(1001));
        assert_eq!(code(Ending::Internal("bug".into())), Some(1011));
    }

    #[test]
    fn a_close_reason_fits_its_frame() {
        let long = "é".repeat(100);
        let reason = close_reason(&long);
        assert!(reason.len() <= 123 && long.starts_with(reason));
        assert_eq!(close_reason("short"), "short");
    }

    #[test]
    fn rate_limit_allows_a_burst_then_refuses() {
        let mut rate = RateLimit::new(5);
        let allowed = (0..20).filter(|_| rate.allow()).count();
        assert_eq!(allowed, 10);
    }
}
