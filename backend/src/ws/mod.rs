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

mod ending;
pub(crate) mod message;

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use shared::{is_valid_room_name, ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::admission::ConnectionSlot;
use crate::listener::Peer;
use crate::room::{encode, Frame, Joined, RoomHandle, ViewerId};
use crate::state::AppState;
use ending::Ending;
use message::{parse_client_msg, RateLimit, Rejection};
pub use message::{Limits, DEFAULT_FRAME_TIMEOUT_MS};

/// How long a new connection may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// What the WebSocket layer buffers for reading (tungstenite's default, 128 KiB, is zeroed
/// at every read) and for writing before it flushes.
const READ_BUFFER_BYTES: usize = 4096;
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// How long a close frame may take to go out before the connection is dropped anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// The handshake: upgraded, the frame and message limits set, and the connection counted
/// against its address. A foreign origin, or an address with all its connections, is upgraded
/// only to be told why in words the page can show (a refused handshake reaches a page as a
/// bare 1006): it joins nothing and is closed (1008).
pub async fn upgrade(
    ws: WebSocketUpgrade,
    ConnectInfo(mut peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    State(app): State<AppState>,
) -> Response {
    // A browser's connection forwarded by another server of the fleet counts as the browser's.
    peer.addr.set_ip(app.client_ip(peer.addr.ip(), &headers));
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
        match join(text.as_str(), app, peer).await {
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
                welcome(sink, app, &name, &joined, wrong_key)
                    .await
                    .map_err(gone)?;
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

/// The room a hello asks for, joined: its name, its handle, who the connection is in it, and
/// whether a teacher's key was wrong (it watches as a viewer).
async fn join(
    text: &str,
    app: &AppState,
    peer: &Peer,
) -> Result<(String, RoomHandle, Joined, bool), Rejection> {
    let ClientMsg::Hello {
        protocol,
        room,
        key,
        viewer,
        student,
    } = parse_client_msg(text, &app.limits)?
    else {
        return Err(Rejection::new(
            ErrorCode::HelloExpected,
            "the first message must be a hello",
        ));
    };
    if protocol != PROTOCOL_VERSION {
        return Err(Rejection::new(
            ErrorCode::ProtocolMismatch,
            format!("this server speaks protocol {PROTOCOL_VERSION}, not {protocol}"),
        ));
    }
    if !is_valid_room_name(&room) {
        return Err(Rejection::new(
            ErrorCode::BadRoom,
            "a room name is 1-32 characters of a-z, 0-9 and -",
        ));
    }
    let (handle, joined, wrong_key) = app
        .rooms
        .join(&room, key.as_deref(), viewer, student, peer.addr.ip())
        .await?;
    Ok((room, handle, joined, wrong_key))
}

/// The welcome, and after it, if the teacher's key was wrong, why the page only watches.
async fn welcome(
    sink: &mut Sink,
    app: &AppState,
    room: &str,
    joined: &Joined,
    wrong_key: bool,
) -> Result<(), axum::Error> {
    let welcome = encode(&ServerMsg::Welcome {
        protocol: PROTOCOL_VERSION,
        room: room.to_string(),
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
    sent
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
                Ok(msg) => act(msg, &mut joined, &room, &out, (app, peer)).await,
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

/// One intent: the connection's own (a second hello, a resync) here, any other in the room,
/// which checks who may send it; a new name is told back. A recipe check, once the room has
/// said the sender may, runs here: off the room, within the server's and the address's share.
async fn act(
    msg: ClientMsg,
    joined: &mut Joined,
    room: &RoomHandle,
    out: &mpsc::Sender<Outgoing>,
    (app, peer): (&AppState, &Peer),
) -> Result<(), Rejection> {
    match msg {
        ClientMsg::CheckRecipe { source } => {
            let place = app.checks.try_start(Some(peer.addr.ip()))?;
            let intent = ClientMsg::CheckRecipe {
                source: String::new(),
            };
            room.intent(joined, intent).await?;
            let room = room.clone();
            tokio::spawn(async move {
                let verdict = place.run(source.clone()).await;
                room.checked(source, verdict).await;
            });
            Ok(())
        }
        ClientMsg::Hello { .. } => Err(Rejection::new(
            ErrorCode::HelloExpected,
            "already joined a room; open a new connection for another",
        )),
        ClientMsg::Resync => {
            let _ = out.send(Outgoing::Resync).await;
            Ok(())
        }
        msg => {
            if let Some(you) = room.intent(joined, msg).await? {
                joined.you = you;
                let you = encode(&ServerMsg::You {
                    you: joined.you.clone(),
                });
                let _ = out.send(Outgoing::Frame(you)).await;
            }
            Ok(())
        }
    }
}
