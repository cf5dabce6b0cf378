//! Golden tests: the exact JSON of every message kind, so a change to the wire format is a
//! visible, deliberate change (and a `PROTOCOL_VERSION` bump). How events fold into a view is
//! tested beside each part of the view.

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
    assert_eq!(PROTOCOL_VERSION, 11);
}

#[test]
fn client_messages() {
    assert_wire(
        &ClientMsg::Hello {
            protocol: 1,
            room: "main".into(),
            key: None,
            viewer: false,
            student: None,
        },
        json!({"type": "hello", "protocol": 1, "room": "main"}),
    );
    assert_wire(
        &ClientMsg::Hello {
            protocol: 4,
            room: "quiet-otter-42".into(),
            key: Some("k3y".into()),
            viewer: true,
            student: Some("t0ken".into()),
        },
        json!({"type": "hello", "protocol": 4, "room": "quiet-otter-42", "key": "k3y",
               "viewer": true, "student": "t0ken"}),
    );
    assert_wire(
        &ClientMsg::SetName { name: "Ana".into() },
        json!({"type": "set_name", "name": "Ana"}),
    );
    assert_wire(&ClientMsg::ResetRoom, json!({"type": "reset_room"}));
    assert_wire(
        &ClientMsg::CheckRecipe {
            source: "fn on_connected() {}".into(),
        },
        json!({"type": "check_recipe", "source": "fn on_connected() {}"}),
    );
    assert_wire(
        &ClientMsg::RunRecipe {
            source: "fn on_connected() {}".into(),
        },
        json!({"type": "run_recipe", "source": "fn on_connected() {}"}),
    );
    assert_wire(&ClientMsg::PlayFailure, json!({"type": "play_failure"}));
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
    assert_wire(
        &ClientMsg::Partition {
            client: 3,
            ms: 12000,
        },
        json!({"type": "partition", "client": 3, "ms": 12000}),
    );
    assert_wire(
        &ClientMsg::SetSuspendOnDisconnect { on: true },
        json!({"type": "set_suspend_on_disconnect", "on": true}),
    );
    assert_wire(
        &ClientMsg::StartLesson {
            lesson: lesson::LessonId(2),
        },
        json!({"type": "start_lesson", "lesson": 2}),
    );
    assert_wire(&ClientMsg::LessonDo, json!({"type": "lesson_do"}));
    assert_wire(
        &ClientMsg::LessonGoto { step: 1 },
        json!({"type": "lesson_goto", "step": 1}),
    );
    assert_wire(&ClientMsg::LeaveLesson, json!({"type": "leave_lesson"}));
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
                student_clients: 3,
                public_url: Some("http://192.168.1.20:8080".into()),
                runs_on: Some("http://10.0.0.3:8080".into()),
            },
            you: You {
                member: classroom::Member {
                    role: classroom::Role::Student,
                    student: Some(2),
                },
                token: Some("t0ken".into()),
                stops_members: false,
            },
        },
        json!({"type": "welcome", "protocol": 1, "room": "main", "server": {
            "zookeeper": "127.0.0.1:4180", "session_timeout_ms": 5000,
            "max_lock_clients": 50, "max_message_bytes": 4096, "student_clients": 3,
            "public_url": "http://192.168.1.20:8080", "runs_on": "http://10.0.0.3:8080"},
            "you": {"role": "student", "student": 2, "token": "t0ken"}}),
    );
    assert_wire(
        &ServerMsg::You {
            you: You {
                member: classroom::Member::OPEN,
                token: None,
                stops_members: true,
            },
        },
        json!({"type": "you", "you": {"role": "open", "stops_members": true}}),
    );
    assert_wire(
        &ServerMsg::Error {
            code: ErrorCode::RoomFull,
            message: "full".into(),
        },
        json!({"type": "error", "code": "room_full", "message": "full"}),
    );
    let mut view = RoomView::new("main", 3000);
    view.apply(
        1,
        1700000000000,
        &RoomEvent::ClientAdded {
            client: 1,
            owner: None,
        },
    );
    view.apply(
        2,
        1700000000001,
        &RoomEvent::ClientConnected {
            client: 1,
            session: SessionId(0x100),
            timeout_ms: 5000,
        },
    );
    view.apply(
        3,
        1700000000002,
        &RoomEvent::ZnodeAdded {
            node: Znode::read("/locks/sub0000000000", 4294967317, SessionId(0x100), ""),
        },
    );
    assert_wire(
        &ServerMsg::Snapshot {
            view: Box::new(view),
        },
        json!({"type": "snapshot", "view": {
        "room": "main", "seq": 3, "hold_ms": 3000, "recipe": "predecessor",
        "locks": {
            "nodes": [{"path": "/locks/sub0000000000", "read": {"czxid": 4294967317_i64, "owner_session": "0x100"}}],
            "clients": [{"id": 1, "session": "0x100", "timeout_ms": 5000, "phase": "contending", "path": null, "watching": null}],
            "violations": []},
        "registry": {"nodes": [], "servers": [], "app_clients": []},
        "sessions": {"liveness": [], "departed": []},
        "suspend_on_disconnect": false,
        "herd": {"recipes": [{"recipe": "predecessor", "clients": 1, "handoffs": 0, "notifications": 0,
                  "last_handoff": null, "round_clients": 1, "round_notifications": 0}],
                 "since_gain": 0, "total": 0},
        "resource": {"fencing": false, "highest": null, "writes": []},
        "time": {"mode": "live", "slow_factor": 5, "pending": []},
        "classroom": {"kind": "open", "watching": 0, "students": [], "owners": []},
        "names": {"clients": {"1": {"kind": "lock", "number": 1}}, "locks_counted": 1},
        "log": [
            {"seq": 1, "at_ms": 1700000000000_u64, "event": {"kind": "client_added", "client": 1}},
            {"seq": 2, "at_ms": 1700000000001_u64, "event": {"kind": "client_connected", "client": 1, "session": "0x100", "timeout_ms": 5000}},
            {"seq": 3, "at_ms": 1700000000002_u64, "event": {"kind": "znode_added", "node": {
                "path": "/locks/sub0000000000", "read": {"czxid": 4294967317_i64, "owner_session": "0x100"}}}}
        ]}}),
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
            RoomEvent::CallSent {
                client: 1,
                op: ZkOp::Create,
                path: "/locks/sub".into(),
                line: None,
            },
            json!({"kind": "call_sent", "client": 1, "op": "create", "path": "/locks/sub"}),
        ),
        (
            RoomEvent::CallAnswered {
                client: 1,
                op: ZkOp::Create,
                path: "/locks/sub0000000001".into(),
                reply: CallReply::Ok,
                zxid: Some(0x1_0000_0015),
            },
            json!({"kind": "call_answered", "client": 1, "op": "create", "path": "/locks/sub0000000001", "reply": "ok", "zxid": 0x1_0000_0015u64}),
        ),
        (
            RoomEvent::CallAnswered {
                client: 2,
                op: ZkOp::GetChildren,
                path: "/locks".into(),
                reply: CallReply::NoNode,
                zxid: None,
            },
            json!({"kind": "call_answered", "client": 2, "op": "getChildren", "path": "/locks", "reply": "no_node"}),
        ),
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
            RoomEvent::EarlierSession {
                client: 3,
                session: shared::SessionId(0x100009a25ab0005),
                timeout_ms: 10_000,
                expires_at_ms: Some(1_796_249_112_999),
            },
            json!({"kind": "earlier_session", "client": 3, "session": "0x100009a25ab0005",
                   "timeout_ms": 10000, "expires_at_ms": 1_796_249_112_999u64}),
        ),
        (
            RoomEvent::ZnodeRemoved {
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "znode_removed", "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::ZnodeAdded {
                node: Znode::reported("/sgroup/sub0000000002"),
            },
            json!({"kind": "znode_added", "node": {"path": "/sgroup/sub0000000002"}}),
        ),
        (
            RoomEvent::ZnodeRead {
                path: "/sgroup/sub0000000002".into(),
                read: ZnodeRead {
                    czxid: 21,
                    owner_session: SessionId(0x101),
                    data: "server0002".into(),
                },
            },
            json!({"kind": "znode_read", "path": "/sgroup/sub0000000002",
                   "read": {"czxid": 21, "owner_session": "0x101", "data": "server0002"}}),
        ),
        (
            RoomEvent::HoldChanged { hold_ms: 250 },
            json!({"kind": "hold_changed", "hold_ms": 250}),
        ),
        (
            RoomEvent::ServerAdded {
                client: 5,
                name: "server0000".into(),
                owner: None,
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
            RoomEvent::RecipeChanged {
                recipe: LockRecipeKind::Script,
            },
            json!({"kind": "recipe_changed", "recipe": "script"}),
        ),
        (
            RoomEvent::ScriptLoaded {
                source: "fn on_connected() {}".into(),
            },
            json!({"kind": "script_loaded", "source": "fn on_connected() {}"}),
        ),
        (
            RoomEvent::RecipeChecked {
                source: "fn on_connected() { gain_lock(); }".into(),
                verdict: Box::new(recipe::Verdict {
                    status: recipe::VerdictStatus::Unsafe,
                    clients: 2,
                    states: 5,
                    ms: 3,
                    unfinished: None,
                    failure: Some(recipe::Failure::TwoHolders),
                    moves: vec![TraceMove::Call(0), TraceMove::Crash(1)],
                    calls: Vec::new(),
                    herd: None,
                    error: None,
                }),
            },
            json!({"kind": "recipe_checked", "source": "fn on_connected() { gain_lock(); }",
            "verdict": {"status": "unsafe", "clients": 2, "states": 5, "ms": 3,
                        "failure": "two_holders", "moves": [{"call": 0}, {"crash": 1}]
                        }}),
        ),
        (
            RoomEvent::RecipeChecked {
                source: "fn on_connected( {".into(),
                verdict: Box::new(recipe::Verdict::error(
                    recipe::RecipeError::new(recipe::RecipeErrorKind::Syntax, "Expecting ')'")
                        .at(Some(1), Some(19)),
                    Vec::new(),
                )),
            },
            json!({"kind": "recipe_checked", "source": "fn on_connected( {",
                   "verdict": {"status": "error", "clients": 0, "states": 0, "ms": 0,
                               "error": {"kind": "syntax", "line": 1,
                               "column": 19, "detail": "Expecting ')'"}}}),
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
        (
            RoomEvent::LockSuspended {
                client: 2,
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "lock_suspended", "client": 2, "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::LockResumed {
                client: 2,
                path: "/locks/sub0000000001".into(),
            },
            json!({"kind": "lock_resumed", "client": 2, "path": "/locks/sub0000000001"}),
        ),
        (
            RoomEvent::PartitionChanged {
                client: 2,
                partitioned: true,
                until_ms: Some(1700000012000),
            },
            json!({"kind": "partition_changed", "client": 2, "partitioned": true,
                   "until_ms": 1700000012000_u64}),
        ),
        (
            RoomEvent::SuspendChanged { on: true },
            json!({"kind": "suspend_changed", "on": true}),
        ),
        (RoomEvent::RoomReset, json!({"kind": "room_reset"})),
        (
            RoomEvent::LessonChanged {
                progress: Some(lesson::LessonProgress {
                    lesson: lesson::LessonId(1),
                    attempt: 2,
                    step: 1,
                    steps: vec![
                        lesson::StepProgress {
                            status: lesson::StepStatus::Done,
                            check: lesson::CheckReport {
                                status: lesson::CheckStatus::Passed,
                                found: lesson::Found {
                                    client: Some(1),
                                    node: Some("/locks/sub0000000000".into()),
                                    ..lesson::Found::default()
                                },
                                why: None,
                                happened: vec![],
                            },
                            acted: false,
                        },
                        lesson::StepProgress {
                            status: lesson::StepStatus::Current,
                            check: lesson::CheckReport::default(),
                            acted: true,
                        },
                    ],
                    busy: Some(lesson::Busy::Replaying { step: 0 }),
                }),
            },
            json!({"kind": "lesson_changed", "progress": {"lesson": 1, "attempt": 2, "step": 1, "steps": [
                {"status": "done", "check": {"status": "passed",
                    "found": {"client": 1, "node": "/locks/sub0000000000"}}},
                {"status": "current", "check": {"status": "waiting", "found": {}}, "acted": true}
            ], "busy": {"kind": "replaying", "step": 0}}}),
        ),
        (
            RoomEvent::LessonChanged { progress: None },
            json!({"kind": "lesson_changed", "progress": null}),
        ),
        (
            RoomEvent::ClientAdded {
                client: 4,
                owner: Some(2),
            },
            json!({"kind": "client_added", "client": 4, "owner": 2}),
        ),
        (
            RoomEvent::ServerAdded {
                client: 5,
                name: "server0001".into(),
                owner: Some(2),
            },
            json!({"kind": "server_added", "client": 5, "name": "server0001", "owner": 2}),
        ),
        (
            RoomEvent::StudentJoined {
                student: 2,
                name: "李雷".into(),
            },
            json!({"kind": "student_joined", "student": 2, "name": "李雷"}),
        ),
        (
            RoomEvent::PresenceChanged {
                watching: 31,
                here: vec![1, 2],
            },
            json!({"kind": "presence_changed", "watching": 31, "here": [1, 2]}),
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
fn predictions() {
    let predicted = |kind: LockRecipeKind, n| kind.predicted_notifications(n);
    assert_eq!(predicted(LockRecipeKind::Predecessor, 10), Some(9));
    assert_eq!(predicted(LockRecipeKind::PredecessorNaive, 1), Some(0));
    assert_eq!(predicted(LockRecipeKind::ChildrenWatch, 10), Some(45));
    assert_eq!(predicted(LockRecipeKind::ChildrenWatch, 0), Some(0));
    assert_eq!(predicted(LockRecipeKind::Script, 10), None);
    for kind in LockRecipeKind::ALL {
        assert_eq!(LockRecipeKind::from_name(kind.as_str()), Some(kind));
    }
}

#[test]
fn a_message_missing_a_field_its_kind_needs_names_the_field() {
    let missing = |json: &str| {
        serde_json::from_str::<ServerMsg>(json)
            .unwrap_err()
            .to_string()
    };
    let e = missing(
        r#"{"type": "event", "seq": 1, "at_ms": 2, "event": {"kind": "lock_gained", "client": 3}}"#,
    );
    assert!(e.starts_with("missing field `path`"), "{e}");
    let e = missing(r#"{"type": "welcome", "room": "main"}"#);
    assert!(e.starts_with("missing field `protocol`"), "{e}");
    let e = missing(r#"{"type": "gossip"}"#);
    assert!(e.starts_with("unknown variant `gossip`"), "{e}");
    let e = missing(r#"{"type": "event", "seq": 1, "at_ms": 2, "event": {"kind": "gossip"}}"#);
    assert!(e.starts_with("unknown variant `gossip`"), "{e}");
}

#[test]
fn the_ensemble() {
    assert_wire(
        &ServerMsg::Ensemble {
            ensemble: EnsembleView {
                members: vec![
                    MemberView {
                        id: 1,
                        address: "127.0.0.1:4180".into(),
                        mode: MemberMode::Follower,
                        connections: Some(4),
                        znodes: Some(12),
                        watches: Some(3),
                        outstanding: Some(0),
                    },
                    MemberView {
                        id: 2,
                        address: "127.0.0.1:4181".into(),
                        mode: MemberMode::Down,
                        connections: None,
                        znodes: None,
                        watches: None,
                        outstanding: None,
                    },
                ],
                quorum: true,
                embedded: true,
                own: true,
            },
        },
        json!({"type": "ensemble", "ensemble": {"members": [
            {"id": 1, "address": "127.0.0.1:4180", "mode": "follower", "connections": 4,
             "znodes": 12, "watches": 3, "outstanding": 0},
            {"id": 2, "address": "127.0.0.1:4181", "mode": "down", "connections": null,
             "znodes": null, "watches": null, "outstanding": null}],
            "quorum": true, "embedded": true, "own": true}}),
    );
}
