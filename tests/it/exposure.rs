//! Safe to expose: which pages may open a WebSocket, what one address may hold, and the close
//! code of every connection the server ends.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::{ClientMsg, ErrorCode, ServerMsg};
use tests::viewer::{read_to_close, RawSocket};
use tests::{spawn_app, spawn_app_with, Viewer};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A handshake from a page of `origin` (none: a tool that is no web page): the socket, or the
/// HTTP status and body it was refused with.
async fn handshake(
    addr: std::net::SocketAddr,
    origin: Option<&str>,
) -> Result<RawSocket, (u16, String)> {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            Err((
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            ))
        }
        Err(e) => panic!("handshake: {e}"),
    }
}

#[tokio::test]
async fn only_the_server_s_own_and_listed_origins_may_open_a_websocket() {
    let trunk = "http://127.0.0.1:8081";
    let app = spawn_app_with(|s| s.admission.allow_origins = vec![trunk.into()]).await;
    let addr = app.server.addr();
    let own = format!("http://{addr}");
    for allowed in [Some(own.as_str()), Some(trunk), None] {
        let ws = handshake(addr, allowed).await;
        let mut viewer = Viewer::join_socket(ws.expect("let in"), &app.room).await;
        assert!(viewer.you.is_some(), "{allowed:?} joined");
        viewer.send(&ClientMsg::Resync).await;
    }
    // A page of any other origin is told why in words it can show, joins nothing, and the
    // connection closes (1008).
    for foreign in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:8082",
        "https://evil.example:443",
    ] {
        let mut ws = handshake(addr, Some(foreign))
            .await
            .expect("upgraded only to be told why");
        let _ = ws
            .send(Message::text(
                serde_json::to_string(&ClientMsg::hello(app.room.clone())).unwrap(),
            ))
            .await;
        let mut said = None;
        let mut joined = false;
        let close = loop {
            match tokio::time::timeout(tests::viewer::WAIT, ws.next())
                .await
                .expect("closed within the wait")
            {
                Some(Ok(Message::Text(text))) => match serde_json::from_str(&text).unwrap() {
                    ServerMsg::Error { code, message } => said = Some((code, message)),
                    _ => joined = true,
                },
                Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break None,
            }
        };
        assert!(!joined, "{foreign} joined the room");
        let (code, message) = said.expect("a typed error");
        assert_eq!(code, ErrorCode::ForeignOrigin, "{foreign}");
        assert!(
            message.contains(foreign) && message.contains("--allow-origin"),
            "{foreign}: {message}"
        );
        assert_eq!(close, Some(1008), "{foreign}");
    }
    app.stop().await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_connections_and_gets_a_typed_error_beyond() {
    let app = spawn_app_with(|s| s.admission.connections_per_address = 3).await;
    let mut first = app.viewer().await;
    let _second = app.viewer().await;
    let third = app.viewer().await;
    let mut fourth = Viewer::connect(app.server.addr()).await;
    let closed = read_to_close(&mut fourth).await;
    assert_eq!(closed.errors, [ErrorCode::TooManyConnections]);
    let (code, reason) = closed.close.expect("a close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("127.0.0.1"), "{reason}");
    // One leaves: once the room has seen it go, its place is free again.
    first
        .until("three watching", |view, _| {
            (view.classroom.watching == 3).then_some(())
        })
        .await;
    drop(third);
    first
        .until("the third viewer gone", |view, _| {
            (view.classroom.watching == 2).then_some(())
        })
        .await;
    let again = app.viewer().await;
    assert_eq!(again.view.room, app.room);
    app.stop().await;
}

/// Sends a hello for a new room from a fresh connection and returns the server's first answer.
async fn open_room(addr: std::net::SocketAddr, room: String) -> ServerMsg {
    let mut ws = Viewer::connect(addr).await;
    ws.send(Message::text(
        serde_json::to_string(&ClientMsg::hello(room)).unwrap(),
    ))
    .await
    .unwrap();
    let answer = tokio::time::timeout(tests::viewer::WAIT, ws.next())
        .await
        .expect("an answer")
        .expect("open")
        .unwrap();
    serde_json::from_str(answer.to_text().unwrap()).unwrap()
}

#[tokio::test]
async fn one_address_holds_at_most_its_rooms_at_once_and_gets_them_back_when_they_end() {
    let app = spawn_app_with(|s| {
        s.admission.rooms_per_address = 2;
        s.admission.classrooms_per_address = 1;
        s.lesson_room_idle = std::time::Duration::from_millis(300);
    })
    .await;
    let addr = app.server.addr();
    let _first = app.viewer().await;
    let lesson_room = format!("{}1-{}", shared::LESSON_ROOM_PREFIX, tests::unique_room());
    let second = Viewer::join(addr, &lesson_room).await;
    let refused = open_room(addr, tests::unique_room()).await;
    assert!(
        matches!(&refused, ServerMsg::Error { code: ErrorCode::TooManyNewRooms, message }
            if message.contains("--rooms-per-address") && message.contains("close a tab")),
        "{refused:?}"
    );
    // A room that runs takes the same address as before.
    let again = app.viewer().await;
    assert_eq!(again.view.room, app.room);
    // The learner leaves the lesson room: it ends soon, and the address may open another.
    drop(second);
    let deadline = tokio::time::Instant::now() + tests::viewer::WAIT;
    loop {
        match open_room(addr, tests::unique_room()).await {
            ServerMsg::Welcome { .. } => break,
            ServerMsg::Error {
                code: ErrorCode::TooManyNewRooms,
                ..
            } if tokio::time::Instant::now() < deadline => {}
            other => panic!("the lesson room's place did not come back: {other:?}"),
        }
    }
    // Classrooms are counted by the hour.
    let (status, body) = tests::http(addr, "POST", "/classrooms", b"").await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let (status, body) = tests::http(addr, "POST", "/classrooms", b"").await;
    assert_eq!(status, 429, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("--classrooms-per-address"));
    app.stop().await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_told_too_large_and_closed_with_1009() {
    let app = spawn_app_with(|s| s.limits.max_message_bytes = 256).await;
    let mut viewer = app.viewer().await;
    let pad = "x".repeat(300);
    viewer
        .send_raw(Message::text(format!(
            r#"{{"type":"resync","pad":"{pad}"}}"#
        )))
        .await;
    let closed = viewer.until_closed().await;
    assert!(closed.errors.contains(&ErrorCode::TooLarge), "{closed:?}");
    let (code, reason) = closed.close.expect("a close frame");
    assert_eq!(code, 1009);
    assert!(reason.contains("256"), "{reason}");
    // Just under the limit is a message like any other.
    let mut viewer = app.viewer().await;
    let pad = "x".repeat(200);
    viewer
        .send_raw(Message::text(format!(
            r#"{{"type":"resync","pad":"{pad}"}}"#
        )))
        .await;
    loop {
        if let ServerMsg::Snapshot { .. } = viewer.next().await {
            break;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_page_of_another_site_may_not_make_classrooms_or_store_recordings() {
    let app = spawn_app_with(|s| s.admission.classrooms_per_address = 1).await;
    let addr = app.server.addr();
    let evil = [("Origin", "http://evil.example")];
    for (path, body) in [("/classrooms", &b""[..]), ("/recordings", &b"{}"[..])] {
        let (status, body) = tests::http_with(addr, "POST", path, &evil, body).await;
        let said = String::from_utf8_lossy(&body);
        assert_eq!(status, 403, "{path}: {said}");
        assert!(said.contains("evil.example"), "{path}: {said}");
    }
    // Refused before it counted: the address still has its one new classroom.
    let own = format!("http://{addr}");
    let (status, body) =
        tests::http_with(addr, "POST", "/classrooms", &[("Origin", &own)], b"").await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    // Reads stay anyone's.
    let (status, _) = tests::http_with(addr, "GET", "/healthz", &evil, b"").await;
    assert_eq!(status, 200);
    app.stop().await;
}

/// Sends `frames` after a good hello and returns how the server closed the connection.
async fn closed_after(frames: Vec<Message>) -> tests::viewer::Closed {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    for frame in frames {
        viewer.send_raw(frame).await;
    }
    let closed = viewer.until_closed().await;
    app.stop().await;
    closed
}

fn text_frame(bytes: &[u8], fin: bool) -> Message {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    Message::Frame(Frame::message(
        bytes.to_vec(),
        OpCode::Data(Data::Text),
        fin,
    ))
}

fn continuation(bytes: &[u8]) -> Message {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    Message::Frame(Frame::message(
        bytes.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    ))
}

#[tokio::test]
async fn text_that_is_not_utf8_is_closed_with_1007() {
    // Whole, and split over two frames with the bad byte in the second.
    for frames in [
        vec![text_frame(b"{\"type\":\"resync\xff\"}", true)],
        vec![
            text_frame(b"{\"type\":\"res", false),
            continuation(b"ync\xc3\x28\"}"),
        ],
    ] {
        let closed = closed_after(frames).await;
        let (code, reason) = closed.close.expect("a close frame");
        assert_eq!(code, 1007, "{reason}");
        assert!(reason.contains("UTF-8"), "{reason}");
    }
    // Before the hello, too.
    let app = spawn_app().await;
    let mut ws = Viewer::connect(app.server.addr()).await;
    ws.send(text_frame(b"\xff\xfe", true)).await.unwrap();
    let closed = read_to_close(&mut ws).await;
    assert_eq!(closed.close.map(|c| c.0), Some(1007));
    app.stop().await;
}

#[tokio::test]
async fn a_close_from_the_browser_is_answered_with_a_close() {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    let closed = closed_after(vec![Message::Close(Some(CloseFrame {
        code: 1000.into(),
        reason: "done".into(),
    }))])
    .await;
    let (code, _) = closed.close.expect("the server answers the close");
    assert_eq!(code, 1000);
}

#[tokio::test]
async fn a_server_that_stops_closes_its_connections_with_1001() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let stopping = tokio::spawn(app.stop());
    let closed = viewer.until_closed().await;
    let (code, _) = closed.close.expect("a close frame");
    assert_eq!(code, 1001);
    stopping.await.unwrap();
}

#[tokio::test]
async fn a_connection_that_only_listens_is_never_timed_out() {
    let app = spawn_app_with(|s| s.limits.frame_timeout = Duration::from_millis(300)).await;
    let mut viewer = app.viewer().await;
    // Four frame timeouts of silence from the browser: it is waiting, not sending.
    let until = tokio::time::Instant::now() + Duration::from_millis(1200);
    while viewer.next_before(until).await.is_some() {}
    viewer.send(&ClientMsg::Resync).await;
    loop {
        if let ServerMsg::Snapshot { .. } = viewer.next().await {
            break;
        }
    }
    app.stop().await;
}

/// The sessions every member of `ensemble` holds, as `cons` lists them (its own connection
/// carries no session).
async fn sessions_on(members: &[String]) -> std::collections::BTreeSet<String> {
    let mut sessions = std::collections::BTreeSet::new();
    for member in members {
        let cons = backend::four_letter_word(member, "cons")
            .await
            .unwrap_or_default();
        sessions.extend(
            cons.split("sid=")
                .skip(1)
                .filter_map(|rest| rest.split([',', ')']).next())
                .filter(|sid| *sid != "0x0")
                .map(str::to_string),
        );
    }
    sessions
}

/// Polls `cons` until `done` holds for the ensemble's sessions (each check is one round of
/// four-letter words; there is no event to wait for from outside the server).
async fn until_sessions(
    members: &[String],
    what: &str,
    done: impl Fn(&std::collections::BTreeSet<String>) -> bool,
) -> std::collections::BTreeSet<String> {
    let deadline = tokio::time::Instant::now() + tests::viewer::WAIT;
    loop {
        let sessions = sessions_on(members).await;
        if done(&sessions) {
            return sessions;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; sessions: {sessions:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_room_no_one_watches_keeps_no_zookeeper_session_open() {
    // An ensemble of the test's own, so that every session on it is this server's.
    let ensemble = tests::zookeeper::three_members().await;
    let members: Vec<String> = ensemble
        .connect_string()
        .await
        .split(',')
        .map(str::to_string)
        .collect();
    let connect = ensemble.connect_string().await;
    let app = spawn_app_with(move |s| {
        s.zk.connect = connect;
        s.room_idle = Duration::from_secs(1);
    })
    .await;
    // Before any room, the server's one session in the fleet (its node in the server list).
    let fleet = until_sessions(&members, "the fleet session", |s| s.len() == 1).await;

    let mut viewer = app.viewer().await;
    viewer.until_app_client_settled().await;
    // The room's observer and its own AppClient.
    let open: std::collections::BTreeSet<_> =
        until_sessions(&members, "the room's sessions", |s| s.len() >= 3)
            .await
            .difference(&fleet)
            .cloned()
            .collect();
    drop(viewer);
    // A second without a viewer ends the room, and with it every session it opened: only the
    // fleet's is left.
    until_sessions(&members, "the room's sessions to close", |s| s == &fleet).await;
    // Whoever comes next opens the room afresh, with sessions of its own.
    let again = app.viewer().await;
    let reopened = until_sessions(&members, "the new room's sessions", |s| s.len() > 1).await;
    assert!(reopened.is_disjoint(&open), "{reopened:?} reuses {open:?}");
    drop(again);
    app.stop().await;
    ensemble.stop().await;
}
