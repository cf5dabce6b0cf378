//! Classrooms over the real protocol: every intent from every role is allowed or `forbidden`,
//! a refusal changes nothing, students own what they add, presence, tokens, classroom-only.

use shared::classroom::{Role, StudentId};
use shared::lesson::LessonId;
use shared::{ClientId, ClientMsg, ErrorCode, LockRecipeKind, TimeMode, PROTOCOL_VERSION};
use tests::{TestApp, Viewer};

fn hello(room: &str, key: Option<&str>, viewer: bool, student: Option<&str>) -> ClientMsg {
    ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        room: room.into(),
        key: key.map(str::to_string),
        viewer,
        student: student.map(str::to_string),
    }
}

/// A server whose students may run two clients, and whose browsers may send as fast as a
/// test does.
async fn classroom_app() -> TestApp {
    tests::spawn_app_with(|s| {
        s.student_clients = 2;
        s.limits.max_messages_per_sec = 10_000;
    })
    .await
}

/// Every intent there is, aimed at `own` (the sender's client, if a student) or `other`
/// (another student's), in an order that leaves the room's most disruptive for last.
fn every_intent(own: ClientId, other: ClientId) -> Vec<ClientMsg> {
    vec![
        ClientMsg::AddLockClient,
        ClientMsg::AddServer { name: None },
        ClientMsg::AddAppClient,
        ClientMsg::Pause {
            client: own,
            ms: 300,
        },
        ClientMsg::Partition {
            client: other,
            ms: 300,
        },
        ClientMsg::Release { client: own },
        ClientMsg::Pause {
            client: other,
            ms: 300,
        },
        ClientMsg::Release { client: other },
        ClientMsg::SetHoldMs { hold_ms: 1234 },
        ClientMsg::SetFencing { on: true },
        ClientMsg::SetSuspendOnDisconnect { on: true },
        ClientMsg::SetTime {
            mode: TimeMode::Slow,
            slow_factor: 2,
        },
        ClientMsg::SetTime {
            mode: TimeMode::Live,
            slow_factor: 2,
        },
        ClientMsg::StepNext { id: None },
        ClientMsg::StopMember { member: 1 },
        ClientMsg::StartMember { member: 1 },
        ClientMsg::Kill { client: other },
        ClientMsg::Crash { client: own },
        ClientMsg::SetRecipe {
            recipe: LockRecipeKind::ChildrenWatch,
        },
        ClientMsg::StartLesson {
            lesson: LessonId(1),
        },
        ClientMsg::LessonDo,
        ClientMsg::LessonGoto { step: 0 },
        ClientMsg::LeaveLesson,
        ClientMsg::ResetRoom,
    ]
}

/// What a student may do: add, and act on their own clients.
fn a_students(msg: &ClientMsg, own: ClientId) -> bool {
    match msg {
        ClientMsg::AddLockClient | ClientMsg::AddServer { .. } => true,
        ClientMsg::Pause { client, .. }
        | ClientMsg::Partition { client, .. }
        | ClientMsg::Release { client }
        | ClientMsg::Kill { client }
        | ClientMsg::Crash { client } => *client == own,
        _ => false,
    }
}

async fn student(app: &TestApp, room: &str, name: &str) -> (Viewer, StudentId) {
    let mut viewer = Viewer::join_hello(app.server.addr(), &hello(room, None, false, None)).await;
    assert_eq!(viewer.you.as_ref().unwrap().member.role, Role::Student);
    let you = viewer.pick_name(name).await;
    (viewer, you.member.student.unwrap())
}

/// The lock client a student added, once the teacher's view has it queued.
async fn client_of(teacher: &mut Viewer, student: StudentId) -> ClientId {
    teacher
        .until("the student's client queued", |view, _| {
            let (client, _) = view.classroom.owners.iter().find(|(_, s)| *s == student)?;
            view.client(*client)?.path.as_ref().map(|_| *client)
        })
        .await
}

#[tokio::test]
async fn every_intent_from_every_role_is_allowed_or_forbidden_and_a_refusal_changes_nothing() {
    let app = classroom_app().await;
    let addr = app.server.addr();
    let (room, key) = app.new_classroom().await;
    let mut teacher = Viewer::join_hello(addr, &hello(&room, Some(&key), false, None)).await;
    assert_eq!(teacher.you.as_ref().unwrap().member.role, Role::Teacher);
    assert_eq!(
        teacher
            .answers_to(&ClientMsg::SetHoldMs { hold_ms: 0 })
            .await,
        []
    );
    teacher.until_app_client_settled().await;

    let (mut ana, ana_id) = student(&app, &room, "Ana").await;
    let (mut bo, bo_id) = student(&app, &room, "Bo").await;
    assert_eq!(ana.answers_to(&ClientMsg::AddLockClient).await, []);
    let ana_client = client_of(&mut teacher, ana_id).await;
    assert_eq!(bo.answers_to(&ClientMsg::AddLockClient).await, []);
    let bo_client = client_of(&mut teacher, bo_id).await;
    teacher
        .until("a holder and a waiter", |view, _| {
            let watching = view.locks.clients.iter().any(|c| c.watching.is_some());
            (view.holders().count() == 1 && watching).then_some(())
        })
        .await;
    assert_eq!(teacher.view.classroom.owner_name(ana_client), Some("Ana"));
    assert_eq!(teacher.view.classroom.owner_name(bo_client), Some("Bo"));

    let mut viewer = Viewer::join_hello(addr, &hello(&room, Some(&key), true, None)).await;
    let mut no_name = Viewer::join_hello(addr, &hello(&room, None, false, None)).await;
    let mut wrong_key = Viewer::join_hello(addr, &hello(&room, Some("0ld"), false, None)).await;
    assert_eq!(viewer.you.as_ref().unwrap().member.role, Role::Viewer);
    assert_eq!(wrong_key.you.as_ref().unwrap().member.role, Role::Viewer);
    assert_eq!(wrong_key.next_error().await, ErrorCode::Forbidden);
    // Six watch; the two named students are here.
    teacher
        .until("presence", |view, _| {
            let here: Vec<_> = view.classroom.students.iter().filter(|s| s.here).collect();
            (view.classroom.watching == 6 && here.len() == 2).then_some(())
        })
        .await;
    let before = teacher.answers_to(&ClientMsg::Resync).await;
    assert_eq!(before, []);
    let before = teacher.view.clone();

    // Refusals: nothing from a viewer, a wrong key or a student without a name; a student
    // nothing of the room's and nothing of another student's.
    let intents = every_intent(ana_client, bo_client);
    for msg in &intents {
        assert_eq!(
            viewer.answers_to(msg).await,
            [ErrorCode::Forbidden],
            "viewer: {msg:?}"
        );
        assert_eq!(
            wrong_key.answers_to(msg).await,
            [ErrorCode::Forbidden],
            "wrong key: {msg:?}"
        );
        assert_eq!(
            no_name.answers_to(msg).await,
            [ErrorCode::Forbidden],
            "no name: {msg:?}"
        );
        if !a_students(msg, ana_client) {
            assert_eq!(
                ana.answers_to(msg).await,
                [ErrorCode::Forbidden],
                "student: {msg:?}"
            );
        }
    }
    // A client no student owns (the room's own AppClient) is not a student's either.
    let app_client = teacher.view.registry.app_clients[0].id;
    let crash_it = ClientMsg::Crash { client: app_client };
    assert_eq!(ana.answers_to(&crash_it).await, [ErrorCode::Forbidden]);
    let name = ClientMsg::SetName { name: "Eve".into() };
    assert_eq!(viewer.answers_to(&name).await, [ErrorCode::Forbidden]);
    assert_eq!(teacher.answers_to(&name).await, [ErrorCode::Forbidden]);
    assert_eq!(teacher.answers_to(&ClientMsg::Resync).await, []);
    assert_eq!(teacher.view, before, "a refused intent changed the room");

    // A student's own: allowed, within their limit of two.
    assert_eq!(
        ana.answers_to(&ClientMsg::AddServer { name: None }).await,
        []
    );
    teacher
        .until("Ana's server", |view, _| {
            view.registry
                .servers
                .iter()
                .any(|s| view.classroom.owner_of(s.id) == Some(ana_id))
                .then_some(())
        })
        .await;
    assert_eq!(
        ana.answers_to(&ClientMsg::AddLockClient).await,
        [ErrorCode::StudentLimit]
    );
    for msg in intents.iter().filter(|m| a_students(m, ana_client)) {
        let answers = ana.answers_to(msg).await;
        match msg {
            // These must simply work on her own client.
            ClientMsg::Pause { .. } | ClientMsg::Crash { .. } => {
                assert_eq!(answers, [], "student: {msg:?}")
            }
            _ => assert!(
                !answers.contains(&ErrorCode::Forbidden),
                "student: {msg:?}: {answers:?}"
            ),
        }
    }
    teacher
        .until("Ana's lock client crashed", |view, _| {
            view.client(ana_client).is_none().then_some(())
        })
        .await;

    // The teacher may do everything (what fails, fails for another reason).
    for msg in every_intent(bo_client, ana_client) {
        let answers = teacher.answers_to(&msg).await;
        // What changes only the room's settings must simply work.
        let settles = matches!(
            msg,
            ClientMsg::SetHoldMs { .. }
                | ClientMsg::SetFencing { .. }
                | ClientMsg::SetSuspendOnDisconnect { .. }
                | ClientMsg::SetTime { .. }
                | ClientMsg::AddAppClient
                | ClientMsg::SetRecipe { .. }
                | ClientMsg::StartLesson { .. }
                | ClientMsg::LeaveLesson
                | ClientMsg::ResetRoom
        );
        if settles {
            assert_eq!(answers, [], "teacher: {msg:?}");
        } else {
            assert!(
                !answers.contains(&ErrorCode::Forbidden),
                "teacher: {msg:?}: {answers:?}"
            );
        }
    }
    teacher
        .until("the room emptied", |view, _| {
            (view.locks.clients.is_empty() && view.classroom.owners.is_empty()).then_some(())
        })
        .await;

    // Who leaves is no longer here.
    drop(ana);
    teacher
        .until("Ana gone", |view, _| {
            let ana = view.classroom.student(ana_id)?;
            (!ana.here && view.classroom.watching == 5).then_some(())
        })
        .await;
    drop((bo, viewer, no_name, wrong_key));
    app.stop().await;
}

#[tokio::test]
async fn a_student_comes_back_as_themselves_and_an_open_room_lets_anyone_do_anything() {
    let app = classroom_app().await;
    let addr = app.server.addr();
    let (room, _key) = app.new_classroom().await;
    let (mut ana, ana_id) = student(&app, &room, "  Ana   Lima ").await;
    let token = ana.you.clone().unwrap().token.expect("a token");
    assert_eq!(ana.answers_to(&ClientMsg::AddLockClient).await, []);
    ana.until("Ana's client", |view, _| {
        view.classroom
            .owners
            .iter()
            .any(|(_, s)| *s == ana_id)
            .then_some(())
    })
    .await;
    assert_eq!(
        ana.view.classroom.student(ana_id).map(|s| s.name.as_str()),
        Some("Ana Lima")
    );
    let own = ana.view.classroom.owners[0].0;
    drop(ana);

    let mut back = Viewer::join_hello(addr, &hello(&room, None, false, Some(&token))).await;
    let you = back.you.clone().unwrap();
    assert_eq!(you.member.student, Some(ana_id));
    assert_eq!(back.answers_to(&ClientMsg::Crash { client: own }).await, []);
    // A made-up token is a new, nameless student.
    let stranger = Viewer::join_hello(addr, &hello(&room, None, false, Some("f00"))).await;
    assert_eq!(stranger.you.as_ref().unwrap().member.student, None);
    // Bad names are refused with a typed error.
    for bad in ["", "   ", "a\u{1}b", &"x".repeat(25)] {
        let name = ClientMsg::SetName { name: bad.into() };
        assert_eq!(
            back.answers_to(&name).await,
            [ErrorCode::BadName],
            "{bad:?}"
        );
    }

    let mut open = app.viewer().await;
    assert_eq!(open.you.as_ref().unwrap().member.role, Role::Open);
    let recipe = ClientMsg::SetRecipe {
        recipe: LockRecipeKind::PredecessorNaive,
    };
    assert_eq!(open.answers_to(&recipe).await, []);
    assert_eq!(open.answers_to(&ClientMsg::AddLockClient).await, []);
    app.stop().await;
}

#[tokio::test]
async fn a_classroom_only_server_refuses_other_rooms() {
    let app = tests::spawn_app_with(|s| s.classroom_only = true).await;
    let mut socket = Viewer::connect(app.server.addr()).await;
    use futures_util::{SinkExt, StreamExt};
    let hello = serde_json::to_string(&ClientMsg::hello("main")).unwrap();
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(hello))
        .await
        .unwrap();
    let answer = socket.next().await.unwrap().unwrap().into_text().unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["type"], "error");
    assert_eq!(answer["code"], "no_such_room");
    let (room, key) = app.new_classroom().await;
    let teacher = Viewer::join_hello(app.server.addr(), &hello_of(&room, &key)).await;
    assert_eq!(teacher.you.unwrap().member.role, Role::Teacher);
    app.stop().await;
}

fn hello_of(room: &str, key: &str) -> ClientMsg {
    hello(room, Some(key), false, None)
}
