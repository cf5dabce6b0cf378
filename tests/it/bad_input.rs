//! Bad input gets a typed error and the connection stays usable.

use futures_util::{SinkExt, StreamExt};
use shared::{ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};
use tests::viewer::RawSocket;
use tests::{spawn_app, spawn_app_with, Viewer};
use tokio_tungstenite::tungstenite::Message;

/// After an error the connection still answers: a resync brings a snapshot.
async fn still_usable(viewer: &mut Viewer) {
    viewer.send(&ClientMsg::Resync).await;
    loop {
        if let ServerMsg::Snapshot { .. } = viewer.next().await {
            return;
        }
    }
}

#[tokio::test]
async fn malformed_unknown_and_invalid_messages_get_typed_errors() {
    let app = spawn_app_with(|s| s.limits.max_message_bytes = 256).await;
    let mut viewer = app.viewer().await;
    let cases = [
        (Message::text("{nope"), ErrorCode::Malformed),
        (Message::binary(vec![1, 2, 3]), ErrorCode::Malformed),
        (
            Message::text(r#"{"type":"rm_rf"}"#),
            ErrorCode::UnknownMessage,
        ),
        (
            Message::text(r#"{"type":"crash","client":"x"}"#),
            ErrorCode::InvalidMessage,
        ),
        (
            Message::text(r#"{"type":"set_hold_ms","hold_ms":99999999}"#),
            ErrorCode::InvalidMessage,
        ),
        (
            Message::text(r#"{"type":"hello","protocol":1,"room":"other"}"#),
            ErrorCode::HelloExpected,
        ),
        (
            Message::text(r#"{"type":"crash","client":999}"#),
            ErrorCode::NoSuchClient,
        ),
    ];
    for (message, code) in cases {
        viewer.send_raw(message).await;
        assert_eq!(viewer.next_error().await, code);
        still_usable(&mut viewer).await;
    }
    app.stop().await;
}

/// Sends one raw text frame before (or instead of) a hello and returns the server's answer.
async fn exchange(ws: &mut RawSocket, text: String) -> ServerMsg {
    ws.send(Message::text(text)).await.unwrap();
    let frame = ws.next().await.unwrap().unwrap();
    serde_json::from_str(frame.to_text().unwrap()).unwrap()
}

fn error_code(msg: &ServerMsg) -> Option<ErrorCode> {
    match msg {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    }
}

fn hello(protocol: u32, room: &str) -> String {
    format!(r#"{{"type":"hello","protocol":{protocol},"room":"{room}"}}"#)
}

#[tokio::test]
async fn the_first_message_must_be_a_good_hello() {
    let app = spawn_app().await;
    let mut ws = Viewer::connect(app.server.addr()).await;
    let cases = [
        (
            r#"{"type":"add_lock_client"}"#.to_string(),
            ErrorCode::HelloExpected,
        ),
        (
            hello(PROTOCOL_VERSION + 1, "main"),
            ErrorCode::ProtocolMismatch,
        ),
        // A page of protocol 1 (before time control) is told, not left guessing.
        (hello(1, "main"), ErrorCode::ProtocolMismatch),
        (hello(PROTOCOL_VERSION, "../etc"), ErrorCode::BadRoom),
    ];
    for (text, code) in cases {
        let answer = exchange(&mut ws, text).await;
        assert_eq!(error_code(&answer), Some(code), "{answer:?}");
    }
    // And then a good hello still works on the same connection.
    let answer = exchange(&mut ws, hello(PROTOCOL_VERSION, &app.room)).await;
    assert!(matches!(answer, ServerMsg::Welcome { .. }), "{answer:?}");
    app.stop().await;
}

#[tokio::test]
async fn limits_room_size_release_state_and_message_rate() {
    let app = spawn_app_with(|s| {
        s.max_lock_clients = 2;
        s.limits.max_messages_per_sec = 5;
    })
    .await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    viewer.add_lock_client().await;
    viewer.add_lock_client().await;
    viewer.add_lock_client().await;
    assert_eq!(viewer.next_error().await, ErrorCode::RoomFull);
    let waiter = viewer
        .until("a waiter", |view, _| {
            Some(view.locks.clients.iter().find(|c| c.watching.is_some())?.id)
        })
        .await;
    viewer.send(&ClientMsg::Release { client: waiter }).await;
    assert_eq!(viewer.next_error().await, ErrorCode::InvalidState);

    // A burst far above 5/s: the bucket (10) empties and the rest are refused.
    for _ in 0..30 {
        viewer.send(&ClientMsg::Resync).await;
    }
    assert_eq!(viewer.next_error().await, ErrorCode::RateLimited);
    app.stop().await;
}

#[tokio::test]
async fn rooms_beyond_the_limit_are_refused() {
    let app = spawn_app_with(|s| s.max_rooms = 1).await;
    let _first = app.viewer().await;
    let mut ws = Viewer::connect(app.server.addr()).await;
    let answer = exchange(&mut ws, hello(PROTOCOL_VERSION, &tests::unique_room())).await;
    assert_eq!(
        error_code(&answer),
        Some(ErrorCode::TooManyRooms),
        "{answer:?}"
    );
    // The room that runs still takes more viewers.
    let second = app.viewer().await;
    assert_eq!(second.view.room, app.room);
    app.stop().await;
}

#[tokio::test]
async fn time_control_refuses_what_it_cannot_do_with_typed_errors() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let cases = [
        // Not one of the slow factors.
        (
            r#"{"type":"set_time","mode":"slow","slow_factor":3}"#,
            ErrorCode::InvalidMessage,
        ),
        (
            r#"{"type":"set_time","mode":"fast","slow_factor":5}"#,
            ErrorCode::InvalidMessage,
        ),
        // Next outside step mode.
        (r#"{"type":"step_next"}"#, ErrorCode::InvalidState),
        (
            r#"{"type":"step_next","id":"x"}"#,
            ErrorCode::InvalidMessage,
        ),
    ];
    for (text, code) in cases {
        viewer.send_raw(Message::text(text)).await;
        assert_eq!(viewer.next_error().await, code, "{text}");
    }
    // In step mode with nothing waiting, and for a move that is not waiting.
    viewer
        .send(&ClientMsg::SetTime {
            mode: shared::TimeMode::Step,
            slow_factor: 5,
        })
        .await;
    for id in [None, Some(999)] {
        viewer.send(&ClientMsg::StepNext { id }).await;
        assert_eq!(viewer.next_error().await, ErrorCode::InvalidState);
    }
    viewer
        .until("step mode", |view, _| {
            (view.time.mode == shared::TimeMode::Step).then_some(())
        })
        .await;
    app.stop().await;
}

#[tokio::test]
async fn lessons_and_partitions_refuse_what_they_cannot_do_with_typed_errors() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let cases = [
        (
            r#"{"type":"start_lesson","lesson":99}"#,
            ErrorCode::InvalidMessage,
        ),
        (
            r#"{"type":"start_lesson","lesson":"one"}"#,
            ErrorCode::InvalidMessage,
        ),
        (r#"{"type":"lesson_do"}"#, ErrorCode::InvalidState),
        (
            r#"{"type":"lesson_goto","step":0}"#,
            ErrorCode::InvalidState,
        ),
        (
            r#"{"type":"partition","client":1,"ms":0}"#,
            ErrorCode::InvalidMessage,
        ),
        (
            r#"{"type":"partition","client":1,"ms":999999999}"#,
            ErrorCode::InvalidMessage,
        ),
        (
            r#"{"type":"partition","client":77,"ms":1000}"#,
            ErrorCode::NoSuchClient,
        ),
    ];
    for (text, code) in cases {
        viewer.send_raw(Message::text(text)).await;
        assert_eq!(viewer.next_error().await, code, "{text}");
    }
    viewer
        .send(&ClientMsg::StartLesson {
            lesson: shared::lesson::LessonId(1),
        })
        .await;
    viewer
        .until("lesson 1 set up", |view, _| {
            view.lesson.as_ref()?.busy.is_none().then_some(())
        })
        .await;
    viewer
        .send_raw(Message::text(r#"{"type":"lesson_goto","step":3}"#))
        .await;
    assert_eq!(viewer.next_error().await, ErrorCode::InvalidMessage);
    app.stop().await;
}
