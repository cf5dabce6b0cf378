//! Bad input gets a typed error and the connection stays usable.

use futures_util::SinkExt;
use shared::{ClientMsg, ErrorCode, ServerMsg, PROTOCOL_VERSION};
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
async fn malformed_unknown_invalid_and_oversized_messages_get_typed_errors() {
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
            Message::text(format!(
                r#"{{"type":"resync","pad":"{}"}}"#,
                "x".repeat(300)
            )),
            ErrorCode::TooLarge,
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

#[tokio::test]
async fn the_first_message_must_be_a_good_hello() {
    let app = spawn_app().await;
    let mut ws = Viewer::connect(app.server.addr()).await;
    let mut expect = async |text: String, code: ErrorCode| {
        ws.send(Message::text(text)).await.unwrap();
        let frame = futures_util::StreamExt::next(&mut ws)
            .await
            .unwrap()
            .unwrap();
        let msg: ServerMsg = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        assert!(
            matches!(&msg, ServerMsg::Error { code: got, .. } if *got == code),
            "expected {code:?}, got {msg:?}"
        );
    };
    expect(
        r#"{"type":"add_lock_client"}"#.into(),
        ErrorCode::HelloExpected,
    )
    .await;
    expect(
        format!(
            r#"{{"type":"hello","protocol":{},"room":"main"}}"#,
            PROTOCOL_VERSION + 1
        ),
        ErrorCode::ProtocolMismatch,
    )
    .await;
    expect(
        r#"{"type":"hello","protocol":1,"room":"../etc"}"#.into(),
        ErrorCode::BadRoom,
    )
    .await;
    // And then a good hello still works on the same connection.
    ws.send(Message::text(format!(
        r#"{{"type":"hello","protocol":1,"room":"{}"}}"#,
        app.room
    )))
    .await
    .unwrap();
    let frame = futures_util::StreamExt::next(&mut ws)
        .await
        .unwrap()
        .unwrap();
    assert!(frame.to_text().unwrap().contains(r#""type":"welcome""#));
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
            Some(view.clients.iter().find(|c| c.watching.is_some())?.id)
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
    let other = tests::unique_room();
    ws.send(Message::text(format!(
        r#"{{"type":"hello","protocol":1,"room":"{other}"}}"#
    )))
    .await
    .unwrap();
    let frame = futures_util::StreamExt::next(&mut ws)
        .await
        .unwrap()
        .unwrap();
    let msg: ServerMsg = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert!(
        matches!(
            msg,
            ServerMsg::Error {
                code: ErrorCode::TooManyRooms,
                ..
            }
        ),
        "{msg:?}"
    );
    // The room that runs still takes more viewers.
    let second = app.viewer().await;
    assert_eq!(second.view.room, app.room);
    app.stop().await;
}
