//! Golden tests: the exact JSON of every message kind, so a change to the wire format is a
//! visible, deliberate change (and a `PROTOCOL_VERSION` bump).

use serde_json::{json, Value};
use shared::*;

fn assert_wire<T>(value: &T, expected: Value)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_value(value).unwrap(), expected);
    let back: T = serde_json::from_value(expected).unwrap();
    assert_eq!(&back, value);
}

#[test]
fn protocol_version_is_pinned() {
    assert_eq!(PROTOCOL_VERSION, 1);
}

#[test]
fn client_messages() {
    assert_wire(
        &ClientMsg::Hello {
            protocol: 1,
            room: "main".into(),
        },
        json!({"type": "hello", "protocol": 1, "room": "main"}),
    );
    assert_wire(
        &ClientMsg::AddLockClient,
        json!({"type": "add_lock_client"}),
    );
    assert_wire(
        &ClientMsg::Crash { client: 3 },
        json!({"type": "crash", "client": 3}),
    );
    assert_wire(
        &ClientMsg::Release { client: 3 },
        json!({"type": "release", "client": 3}),
    );
    assert_wire(
        &ClientMsg::SetHoldMs { hold_ms: 0 },
        json!({"type": "set_hold_ms", "hold_ms": 0}),
    );
    assert_wire(&ClientMsg::Resync, json!({"type": "resync"}));
}

#[test]
fn welcome_error_and_snapshot() {
    assert_wire(
        &ServerMsg::Welcome {
            protocol: 1,
            room: "main".into(),
            server: ServerInfo {
                zookeeper: "127.0.0.1:4180".into(),
                session_timeout_ms: 5000,
                max_lock_clients: 50,
                max_message_bytes: 4096,
            },
        },
        json!({"type": "welcome", "protocol": 1, "room": "main", "server": {
            "zookeeper": "127.0.0.1:4180", "session_timeout_ms": 5000,
            "max_lock_clients": 50, "max_message_bytes": 4096}}),
    );
    assert_wire(
        &ServerMsg::Error {
            code: ErrorCode::RoomFull,
            message: "full".into(),
        },
        json!({"type": "error", "code": "room_full", "message": "full"}),
    );
    let mut view = RoomView::new("main", 3000);
    view.apply(1, 1700000000000, &RoomEvent::ClientAdded { client: 1 });
    view.apply(
        2,
        1700000000001,
        &RoomEvent::ClientConnected {
            client: 1,
            session: "0x100".into(),
        },
    );
    view.apply(
        3,
        1700000000002,
        &RoomEvent::ZnodeAdded {
            node: Znode {
                path: "/locks/sub0000000000".into(),
                czxid: 4294967317,
                owner_session: "0x100".into(),
            },
        },
    );
    assert_wire(
        &ServerMsg::Snapshot { view },
        json!({"type": "snapshot", "view": {
            "room": "main", "seq": 3, "hold_ms": 3000,
            "nodes": [{"path": "/locks/sub0000000000", "czxid": 4294967317_i64, "owner_session": "0x100"}],
            "clients": [{"id": 1, "session": "0x100", "phase": "contending", "path": null, "watching": null}],
            "departed": [],
            "log": [
                {"seq": 1, "at_ms": 1700000000000_u64, "event": {"kind": "client_added", "client": 1}},
                {"seq": 2, "at_ms": 1700000000001_u64, "event": {"kind": "client_connected", "client": 1, "session": "0x100"}},
                {"seq": 3, "at_ms": 1700000000002_u64, "event": {"kind": "znode_added", "node": {
                    "path": "/locks/sub0000000000", "czxid": 4294967317_i64, "owner_session": "0x100"}}}
            ],
            "watch_notifications": 0}}),
    );
}

#[test]
fn every_event_kind() {
    let event = |e: RoomEvent| ServerMsg::Event {
        seq: 9,
        at_ms: 5,
        event: e,
    };
    let cases = [
        (
            RoomEvent::NodeCreatedByClient {
                client: 1,
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "node_created_by_client", "client": 1, "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::ChildrenListed {
                client: 1,
                children: vec!["sub0000000000".into()],
            },
            json!({"kind": "children_listed", "client": 1, "children": ["sub0000000000"]}),
        ),
        (
            RoomEvent::WatchSet {
                client: 2,
                path: "/locks/sub0000000000".into(),
                call: WatchCall::GetData,
            },
            json!({"kind": "watch_set", "client": 2, "path": "/locks/sub0000000000", "call": "get_data"}),
        ),
        (
            RoomEvent::WatchFired {
                client: 2,
                path: "/locks/sub0000000000".into(),
                event: WatchedKind::NodeDeleted,
            },
            json!({"kind": "watch_fired", "client": 2, "path": "/locks/sub0000000000", "event": "node_deleted"}),
        ),
        (
            RoomEvent::LockGained {
                client: 2,
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "lock_gained", "client": 2, "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::LockReleased {
                client: 2,
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "lock_released", "client": 2, "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::ClientError {
                client: 2,
                message: "connection loss".into(),
            },
            json!({"kind": "client_error", "client": 2, "message": "connection loss"}),
        ),
        (
            RoomEvent::ClientClosed {
                client: 2,
                reason: CloseReason::Crashed,
            },
            json!({"kind": "client_closed", "client": 2, "reason": "crashed"}),
        ),
        (
            RoomEvent::ZnodeRemoved {
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "znode_removed", "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::HoldChanged { hold_ms: 250 },
            json!({"kind": "hold_changed", "hold_ms": 250}),
        ),
    ];
    for (e, expected) in cases {
        assert_wire(
            &event(e),
            json!({"type": "event", "seq": 9, "at_ms": 5, "event": expected}),
        );
    }
}

#[test]
fn views_follow_a_hand_off() {
    let mut view = RoomView::new("main", 0);
    let node = |n: u32, owner: &str| Znode {
        path: format!("/locks/sub{n:010}"),
        czxid: n.into(),
        owner_session: owner.into(),
    };
    let events = [
        RoomEvent::ClientAdded { client: 1 },
        RoomEvent::ClientAdded { client: 2 },
        RoomEvent::ClientConnected {
            client: 1,
            session: "0x1".into(),
        },
        RoomEvent::ClientConnected {
            client: 2,
            session: "0x2".into(),
        },
        // The observer's report may come before the client's own.
        RoomEvent::ZnodeAdded {
            node: node(1, "0x2"),
        },
        RoomEvent::ZnodeAdded {
            node: node(0, "0x1"),
        },
        RoomEvent::LockGained {
            client: 1,
            path: "/locks/sub0000000000".into(),
        },
        RoomEvent::WatchSet {
            client: 2,
            path: "/locks/sub0000000000".into(),
            call: WatchCall::GetData,
        },
    ];
    for (i, e) in events.iter().enumerate() {
        view.apply(i as u64 + 1, 0, e);
    }
    let states: Vec<_> = view.nodes.iter().map(|n| view.node_state(n)).collect();
    assert_eq!(states, [NodeState::Holding, NodeState::Waiting]);
    assert_eq!(view.holders().count(), 1);

    view.apply(
        9,
        0,
        &RoomEvent::LockReleased {
            client: 1,
            path: "/locks/sub0000000000".into(),
        },
    );
    view.apply(
        10,
        0,
        &RoomEvent::ZnodeRemoved {
            path: "/locks/sub0000000000".into(),
        },
    );
    view.apply(
        11,
        0,
        &RoomEvent::WatchFired {
            client: 2,
            path: "/locks/sub0000000000".into(),
            event: WatchedKind::NodeDeleted,
        },
    );
    view.apply(
        12,
        0,
        &RoomEvent::ClientClosed {
            client: 1,
            reason: CloseReason::Finished,
        },
    );
    assert_eq!(view.nodes.len(), 1);
    assert_eq!(view.clients.len(), 1);
    assert_eq!(view.watch_notifications, 1);
    assert_eq!(view.client(2).unwrap().watching, None);
}

#[test]
fn a_crashed_clients_node_is_drawn_crashed_until_zookeeper_removes_it() {
    let mut view = RoomView::new("main", 0);
    let events = [
        RoomEvent::ClientAdded { client: 1 },
        RoomEvent::ClientConnected {
            client: 1,
            session: "0x1".into(),
        },
        RoomEvent::ZnodeAdded {
            node: Znode {
                path: "/locks/sub0000000000".into(),
                czxid: 1,
                owner_session: "0x1".into(),
            },
        },
        RoomEvent::ClientClosed {
            client: 1,
            reason: CloseReason::Crashed,
        },
    ];
    for (i, e) in events.iter().enumerate() {
        view.apply(i as u64 + 1, 0, e);
    }
    assert_eq!(view.node_state(&view.nodes[0]), NodeState::Crashed);
    assert_eq!(view.node_state(&view.nodes[0]).as_str(), "crashed");
    view.apply(
        5,
        0,
        &RoomEvent::ZnodeRemoved {
            path: "/locks/sub0000000000".into(),
        },
    );
    assert!(view.nodes.is_empty());
    assert!(
        view.departed.is_empty(),
        "nothing is kept once the node is gone"
    );
}

#[test]
fn log_keeps_the_latest_entries() {
    let mut view = RoomView::new("main", 0);
    for seq in 1..=(LOG_CAPACITY as u64 + 5) {
        view.apply(seq, 0, &RoomEvent::HoldChanged { hold_ms: seq });
    }
    assert_eq!(view.log.len(), LOG_CAPACITY);
    assert_eq!(view.log.front().unwrap().seq, 6);
    assert_eq!(view.hold_ms, LOG_CAPACITY as u64 + 5);
}

#[test]
fn room_names() {
    assert!(is_valid_room_name("main"));
    assert!(is_valid_room_name("class-7b"));
    assert!(!is_valid_room_name(""));
    assert!(!is_valid_room_name("Main"));
    assert!(!is_valid_room_name("a/b"));
    assert!(!is_valid_room_name(&"x".repeat(33)));
}
