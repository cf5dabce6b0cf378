//! The link to the server: connect, hello, reconnect with backoff, and an outbox for intents.

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::future::{select, Either};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use shared::{ClientMsg, ServerMsg};
use yew::Callback;

use crate::address::Join;
use crate::page;
use crate::state::{Action, Connection};

const FIRST_RETRY_MS: u32 = 500;
const LAST_RETRY_MS: u32 = 8000;

/// Sends intents to the server. Cheap to clone; intents while disconnected are dropped (the page
/// shows the connection is lost, and acting on stale clicks later would surprise).
#[derive(Clone, Debug)]
pub struct ServerLink {
    outbox: UnboundedSender<ClientMsg>,
}

impl PartialEq for ServerLink {
    fn eq(&self, other: &Self) -> bool {
        self.outbox.same_receiver(&other.outbox)
    }
}

impl ServerLink {
    pub fn send(&self, msg: ClientMsg) {
        let _ = self.outbox.unbounded_send(msg);
    }

    /// A link whose messages go nowhere (for rendering components without a server).
    pub fn detached() -> Self {
        ServerLink {
            outbox: unbounded().0,
        }
    }
}

/// Starts the connection task; it runs as long as the page.
pub fn connect(url: String, join: Join, dispatch: Callback<Action>) -> ServerLink {
    let (outbox, inbox) = unbounded();
    wasm_bindgen_futures::spawn_local(run(url, join, inbox, dispatch));
    ServerLink { outbox }
}

async fn run(
    url: String,
    join: Join,
    mut inbox: UnboundedReceiver<ClientMsg>,
    dispatch: Callback<Action>,
) {
    let mut retry_ms = FIRST_RETRY_MS;
    loop {
        dispatch.emit(Action::Connection(Connection::Connecting));
        let mut why = None;
        if let Ok(socket) = WebSocket::open(&url) {
            let (mut write, mut read) = socket.split();
            // Read at every attempt: a student named since the last one comes back as such.
            let hello = join.hello(page::student_token(&join.room));
            let mut welcomed = false;
            if write.send(encode(&hello)).await.is_ok() {
                loop {
                    match select(read.next(), inbox.next()).await {
                        Either::Left((Some(Ok(Message::Text(text))), _)) => {
                            if text.starts_with(r#"{"type":"snapshot""#) {
                                crate::timing::snapshot_received();
                            }
                            match serde_json::from_str::<ServerMsg>(&text) {
                                Ok(msg) => {
                                    if matches!(msg, ServerMsg::Welcome { .. }) {
                                        welcomed = true;
                                        retry_ms = FIRST_RETRY_MS;
                                        dispatch.emit(Action::Connection(Connection::Live));
                                    }
                                    // Refused at the door (a limit, an origin): the page says
                                    // why in place of "connecting…", and asks again later.
                                    if let (false, ServerMsg::Error { message, .. }) =
                                        (welcomed, &msg)
                                    {
                                        why = Some(message.clone());
                                        dispatch.emit(Action::Server(msg));
                                        break;
                                    }
                                    if let ServerMsg::Welcome { you, .. } | ServerMsg::You { you } =
                                        &msg
                                    {
                                        if let Some(token) = &you.token {
                                            page::remember_token(&join.room, token);
                                        }
                                    }
                                    dispatch.emit(Action::Server(msg));
                                }
                                Err(e) => web_sys::console::warn_1(
                                    &format!("zkplay: unreadable server message: {e}").into(),
                                ),
                            }
                        }
                        Either::Left((Some(Ok(Message::Bytes(_))), _)) => {}
                        Either::Left((Some(Err(WebSocketError::ConnectionClose(close))), _)) => {
                            why = closed_because(close.code, &close.reason);
                            break;
                        }
                        Either::Left((_, _)) => break,
                        Either::Right((Some(msg), _)) => {
                            if write.send(encode(&msg)).await.is_err() {
                                break;
                            }
                        }
                        // The page is gone.
                        Either::Right((None, _)) => return,
                    }
                }
            }
        }
        dispatch.emit(Action::Connection(Connection::Lost { retry_ms, why }));
        TimeoutFuture::new(retry_ms).await;
        while inbox.try_recv().is_ok() {}
        retry_ms = (retry_ms * 2).min(LAST_RETRY_MS);
    }
}

/// What a close frame says, if the server closed the connection for a reason (1008 policy,
/// 1009 too big, 1001 going away, 1011 a failure) rather than a browser's own close.
fn closed_because(code: u16, reason: &str) -> Option<String> {
    (code != 1000 && code != 1005 && code != 1006 && !reason.is_empty())
        .then(|| format!("{code}: {reason}"))
}

fn encode(msg: &ClientMsg) -> Message {
    Message::Text(serde_json::to_string(msg).expect("protocol types always serialise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_s_close_reason_is_kept_and_a_plain_close_is_not() {
        assert_eq!(
            closed_because(1008, "127.0.0.1 already has 256 connections open").as_deref(),
            Some("1008: 127.0.0.1 already has 256 connections open")
        );
        assert_eq!(closed_because(1006, ""), None);
        assert_eq!(closed_because(1000, "bye"), None);
    }
}
