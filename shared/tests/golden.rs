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
    assert_eq!(PROTOCOL_VERSION, 2);
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
    assert_wire(
        &ClientMsg::SetRecipe {
            recipe: LockRecipeKind::PredecessorNaive,
        },
        json!({"type": "set_recipe", "recipe": "predecessor-naive"}),
    );
    assert_wire(
        &ClientMsg::AddServer {
            name: Some("10.0.0.7:80".into()),
        },
        json!({"type": "add_server", "name": "10.0.0.7:80"}),
    );
    assert_wire(
        &ClientMsg::AddServer { name: None },
        json!({"type": "add_server", "name": null}),
    );
    assert_wire(&ClientMsg::AddAppClient, json!({"type": "add_app_client"}));
    assert_wire(
        &ClientMsg::Kill { client: 3 },
        json!({"type": "kill", "client": 3}),
    );
    assert_wire(
        &ClientMsg::Pause {
            client: 3,
            ms: 8000,
        },
        json!({"type": "pause", "client": 3, "ms": 8000}),
    );
    assert_wire(
        &ClientMsg::SetFencing { on: true },
        json!({"type": "set_fencing", "on": true}),
    );
    assert_wire(
        &ClientMsg::SetTime {
            mode: TimeMode::Slow,
            slow_factor: 5,
        },
        json!({"type": "set_time", "mode": "slow", "slow_factor": 5}),
    );
    assert_wire(
        &ClientMsg::StepNext { id: None },
        json!({"type": "step_next"}),
    );
    assert_wire(
        &ClientMsg::StepNext { id: Some(7) },
        json!({"type": "step_next", "id": 7}),
    );
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
            timeout_ms: 5000,
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
                data: String::new(),
            },
        },
    );
    assert_wire(
        &ServerMsg::Snapshot {
            view: Box::new(view),
        },
        json!({"type": "snapshot", "view": {
            "room": "main", "seq": 3, "hold_ms": 3000, "recipe": "predecessor",
            "nodes": [{"path": "/locks/sub0000000000", "czxid": 4294967317_i64, "owner_session": "0x100", "data": ""}],
            "registry": [],
            "clients": [{"id": 1, "session": "0x100", "timeout_ms": 5000, "phase": "contending", "path": null, "watching": null}],
            "servers": [],
            "app_clients": [],
            "liveness": [],
            "departed": [],
            "violations": [],
            "resource": {"fencing": false, "highest": null, "writes": []},
            "herd": [{"recipe": "predecessor", "clients": 1, "handoffs": 0, "notifications": 0,
                      "last_handoff": null, "round_clients": 1, "round_notifications": 0}],
            "notifications_since_gain": 0,
            "log": [
                {"seq": 1, "at_ms": 1700000000000_u64, "event": {"kind": "client_added", "client": 1}},
                {"seq": 2, "at_ms": 1700000000001_u64, "event": {"kind": "client_connected", "client": 1, "session": "0x100", "timeout_ms": 5000}},
                {"seq": 3, "at_ms": 1700000000002_u64, "event": {"kind": "znode_added", "node": {
                    "path": "/locks/sub0000000000", "czxid": 4294967317_i64, "owner_session": "0x100", "data": ""}}}
            ],
            "watch_notifications": 0,
            "time": {"mode": "live", "slow_factor": 5, "pending": []}}}),
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
                dir: "/locks".into(),
                children: vec!["sub0000000000".into()],
                total: 1,
            },
            json!({"kind": "children_listed", "client": 1, "dir": "/locks", "children": ["sub0000000000"], "total": 1}),
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
        (
            RoomEvent::ServerAdded {
                client: 5,
                name: "server0000".into(),
            },
            json!({"kind": "server_added", "client": 5, "name": "server0000"}),
        ),
        (
            RoomEvent::SessionChanged {
                client: 2,
                state: SessionStatus::Disconnected,
                member: Some("127.0.0.1:4181".into()),
            },
            json!({"kind": "session_changed", "client": 2, "state": "disconnected",
                   "member": "127.0.0.1:4181"}),
        ),
        (
            RoomEvent::LinkChanged {
                client: 2,
                frozen: true,
                until_ms: Some(1700000008000),
            },
            json!({"kind": "link_changed", "client": 2, "frozen": true, "until_ms": 1700000008000_u64}),
        ),
        (
            RoomEvent::ResourceWritten {
                client: 2,
                path: "/locks/sub0000000001".into(),
                token: 4294967331,
                outcome: WriteOutcome::Rejected,
            },
            json!({"kind": "resource_written", "client": 2, "path": "/locks/sub0000000001",
                   "token": 4294967331_i64, "outcome": "rejected"}),
        ),
        (
            RoomEvent::FencingChanged { on: false },
            json!({"kind": "fencing_changed", "on": false}),
        ),
        (
            RoomEvent::AppClientAdded { client: 6 },
            json!({"kind": "app_client_added", "client": 6}),
        ),
        (
            RoomEvent::RecipeChanged {
                recipe: LockRecipeKind::ChildrenWatch,
            },
            json!({"kind": "recipe_changed", "recipe": "children-watch"}),
        ),
        (
            RoomEvent::ServerListUpdated {
                client: 6,
                servers: vec!["server0000".into(), "server0001".into()],
            },
            json!({"kind": "server_list_updated", "client": 6, "servers": ["server0000", "server0001"]}),
        ),
        (
            RoomEvent::Violation {
                first: 1,
                first_path: "/locks/sub0000000000".into(),
                second: 4,
                second_path: "/locks/sub0000000003".into(),
            },
            json!({"kind": "violation", "first": 1, "first_path": "/locks/sub0000000000",
                   "second": 4, "second_path": "/locks/sub0000000003"}),
        ),
        (
            RoomEvent::TimeChanged {
                mode: TimeMode::Step,
                slow_factor: 5,
            },
            json!({"kind": "time_changed", "mode": "step", "slow_factor": 5}),
        ),
        (
            RoomEvent::MovePending {
                pending: PendingMove {
                    id: 3,
                    client: 4,
                    kind: MoveKind::GetChildren,
                    point: SeedPoint::Relist,
                    path: Some("/locks".into()),
                    since_ms: 1700000000000,
                    due_ms: None,
                },
            },
            json!({"kind": "move_pending", "pending": {"id": 3, "client": 4, "kind": "get_children",
                   "point": "relist", "path": "/locks", "since_ms": 1700000000000_u64, "due_ms": null}}),
        ),
        (
            RoomEvent::MoveReleased { id: 3, client: 4 },
            json!({"kind": "move_released", "id": 3, "client": 4}),
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
        data: String::new(),
    };
    let events = [
        RoomEvent::ClientAdded { client: 1 },
        RoomEvent::ClientAdded { client: 2 },
        RoomEvent::ClientConnected {
            client: 1,
            session: "0x1".into(),
            timeout_ms: 5000,
        },
        RoomEvent::ClientConnected {
            client: 2,
            session: "0x2".into(),
            timeout_ms: 5000,
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
fn a_killed_clients_node_is_drawn_crashed_with_its_expiry() {
    let mut view = RoomView::new("main", 0);
    view.apply(1, 0, &RoomEvent::ClientAdded { client: 1 });
    view.apply(
        2,
        0,
        &RoomEvent::ClientConnected {
            client: 1,
            session: "0x1".into(),
            timeout_ms: 4000,
        },
    );
    let node = Znode {
        path: "/locks/sub0000000000".into(),
        czxid: 1,
        owner_session: "0x1".into(),
        data: String::new(),
    };
    view.apply(3, 0, &RoomEvent::ZnodeAdded { node: node.clone() });
    view.apply(
        4,
        1_000,
        &RoomEvent::ClientClosed {
            client: 1,
            reason: CloseReason::Killed,
        },
    );
    assert_eq!(view.node_state(&node), NodeState::Crashed);
    assert_eq!(
        view.departed_owner(&node),
        Some(&Departed {
            client: 1,
            session: "0x1".into(),
            reason: CloseReason::Killed,
            at_ms: 1_000,
            timeout_ms: Some(4000),
        })
    );
}

#[test]
fn a_crashed_clients_node_is_drawn_crashed_until_zookeeper_removes_it() {
    let mut view = RoomView::new("main", 0);
    let events = [
        RoomEvent::ClientAdded { client: 1 },
        RoomEvent::ClientConnected {
            client: 1,
            session: "0x1".into(),
            timeout_ms: 5000,
        },
        RoomEvent::ZnodeAdded {
            node: Znode {
                path: "/locks/sub0000000000".into(),
                czxid: 1,
                owner_session: "0x1".into(),
                data: String::new(),
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

#[test]
fn herd_stats_count_lock_notifications_per_recipe_and_round() {
    let mut view = RoomView::new("main", 0);
    let mut seq = 0;
    let mut apply = |view: &mut RoomView, e: RoomEvent| {
        seq += 1;
        view.apply(seq, 0, &e);
    };
    for client in 1..=3 {
        apply(&mut view, RoomEvent::ClientAdded { client });
    }
    apply(&mut view, RoomEvent::AppClientAdded { client: 9 });
    let fired = |client| RoomEvent::WatchFired {
        client,
        path: "/locks/x".into(),
        event: WatchedKind::NodeDeleted,
    };
    apply(
        &mut view,
        RoomEvent::LockGained {
            client: 1,
            path: "/locks/a".into(),
        },
    );
    apply(&mut view, fired(2));
    apply(
        &mut view,
        RoomEvent::LockGained {
            client: 2,
            path: "/locks/b".into(),
        },
    );
    // An app client's notification is the registry's, not the herd's.
    apply(&mut view, fired(9));
    apply(&mut view, fired(3));
    apply(
        &mut view,
        RoomEvent::LockGained {
            client: 3,
            path: "/locks/c".into(),
        },
    );
    let herd = view.herd_now().unwrap();
    assert_eq!(herd.recipe, LockRecipeKind::Predecessor);
    assert_eq!((herd.clients, herd.handoffs, herd.notifications), (3, 3, 2));
    assert_eq!(herd.last_handoff, Some(1));
    assert_eq!(herd.round_predicted(), 2);
    assert_eq!(view.watch_notifications, 2);

    for client in 1..=3 {
        apply(
            &mut view,
            RoomEvent::ClientClosed {
                client,
                reason: CloseReason::Finished,
            },
        );
    }
    apply(
        &mut view,
        RoomEvent::RecipeChanged {
            recipe: LockRecipeKind::ChildrenWatch,
        },
    );
    apply(&mut view, RoomEvent::ClientAdded { client: 4 });
    let herd = view.herd_now().unwrap();
    assert_eq!(herd.recipe, LockRecipeKind::ChildrenWatch);
    assert_eq!(
        (herd.clients, herd.round_clients, herd.notifications),
        (1, 1, 0)
    );
    assert_eq!(
        view.herd.len(),
        2,
        "the other recipe's figures stay for comparison"
    );
}

#[test]
fn predictions() {
    assert_eq!(LockRecipeKind::Predecessor.predicted_notifications(10), 9);
    assert_eq!(
        LockRecipeKind::PredecessorNaive.predicted_notifications(1),
        0
    );
    assert_eq!(
        LockRecipeKind::ChildrenWatch.predicted_notifications(10),
        45
    );
    assert_eq!(LockRecipeKind::ChildrenWatch.predicted_notifications(0), 0);
    for kind in LockRecipeKind::ALL {
        assert_eq!(LockRecipeKind::from_name(kind.as_str()), Some(kind));
    }
}

#[test]
fn registry_nodes_servers_and_app_client_lines() {
    let mut view = RoomView::new("main", 0);
    let events = [
        RoomEvent::ServerAdded {
            client: 2,
            name: "server0000".into(),
        },
        RoomEvent::AppClientAdded { client: 1 },
        RoomEvent::ClientConnected {
            client: 2,
            session: "0x2".into(),
            timeout_ms: 5000,
        },
        RoomEvent::ZnodeAdded {
            node: Znode {
                path: "/sgroup/sub0000000000".into(),
                czxid: 7,
                owner_session: "0x2".into(),
                data: "server0000".into(),
            },
        },
        RoomEvent::ServerListUpdated {
            client: 1,
            servers: vec![],
        },
        RoomEvent::ServerListUpdated {
            client: 1,
            servers: vec!["server0000".into()],
        },
    ];
    for (i, e) in events.iter().enumerate() {
        view.apply(i as u64 + 1, 0, e);
    }
    assert!(view.nodes.is_empty(), "registry nodes are not lock nodes");
    assert_eq!(view.registry.len(), 1);
    assert_eq!(
        view.server_owner(&view.registry[0]).unwrap().name,
        "server0000"
    );
    assert_eq!(
        view.app_clients[0].lines,
        [
            "server list updated: []",
            "server list updated: [server0000]"
        ]
    );
    view.apply(
        7,
        0,
        &RoomEvent::ClientClosed {
            client: 2,
            reason: CloseReason::Crashed,
        },
    );
    assert!(view.is_departed(&view.registry[0]));
    assert!(view.server_owner(&view.registry[0]).is_none());
}

#[test]
fn liveness_follows_session_and_link_changes_and_leaves_with_the_client() {
    let mut view = RoomView::new("main", 0);
    let events = [
        RoomEvent::ClientAdded { client: 1 },
        RoomEvent::SessionChanged {
            client: 1,
            state: SessionStatus::Connected,
            member: Some("127.0.0.1:4180".into()),
        },
        RoomEvent::LinkChanged {
            client: 1,
            frozen: true,
            until_ms: Some(9_000),
        },
        RoomEvent::SessionChanged {
            client: 1,
            state: SessionStatus::Disconnected,
            member: Some("127.0.0.1:4180".into()),
        },
    ];
    for (i, e) in events.iter().enumerate() {
        view.apply(i as u64 + 1, 0, e);
    }
    let live = view.liveness(1).unwrap();
    assert_eq!(live.state, SessionStatus::Disconnected);
    assert_eq!(live.frozen_until, Some(9_000));
    view.apply(
        5,
        0,
        &RoomEvent::LinkChanged {
            client: 1,
            frozen: false,
            until_ms: None,
        },
    );
    assert_eq!(view.liveness(1).unwrap().frozen_until, None);
    view.apply(
        6,
        0,
        &RoomEvent::ClientClosed {
            client: 1,
            reason: CloseReason::Expired,
        },
    );
    assert!(view.liveness(1).is_none());
}

#[test]
fn the_resource_judges_tokens_by_the_highest_accepted() {
    let mut view = RoomView::new("main", 0);
    let write = |client, token, outcome| RoomEvent::ResourceWritten {
        client,
        path: "/locks/x".into(),
        token,
        outcome,
    };
    assert_eq!(view.resource.judge(5), WriteOutcome::Accepted);
    view.apply(1, 0, &write(1, 5, WriteOutcome::Accepted));
    view.apply(2, 0, &write(2, 9, WriteOutcome::Accepted));
    assert_eq!(view.resource.highest, Some(9));
    // Fencing off: a stale token lands, flagged.
    assert_eq!(view.resource.judge(5), WriteOutcome::Corrupted);
    view.apply(3, 0, &RoomEvent::FencingChanged { on: true });
    assert_eq!(view.resource.judge(5), WriteOutcome::Rejected);
    assert_eq!(view.resource.judge(9), WriteOutcome::Accepted);
    view.apply(4, 0, &write(1, 5, WriteOutcome::Rejected));
    assert_eq!(
        view.resource.highest,
        Some(9),
        "a rejected write changes nothing"
    );
    assert_eq!(view.resource.writes.len(), 3);
}
