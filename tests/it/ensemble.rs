//! The ensemble panel's data: what the four-letter words say about the real server.

use shared::MemberMode;
use tests::{spawn_app, zookeeper};

#[tokio::test]
async fn a_viewer_is_told_the_ensemble_as_its_members_describe_it() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let ensemble = viewer.ensemble().await;
    // The harness runs one standalone server; zkplay did not start it, so it may not stop it.
    assert_eq!(ensemble.members.len(), 1);
    let member = &ensemble.members[0];
    assert_eq!(member.address, zookeeper::connect_string());
    assert_eq!(member.mode, MemberMode::Standalone);
    assert!(ensemble.quorum);
    assert!(!ensemble.embedded);
    // mntr is allowed on the test server, so the counts are there (at least / and
    // /zookeeper exist, and this probe is a connection itself).
    assert!(
        member.connections.is_some() && member.watches.is_some(),
        "{member:?}"
    );
    assert!(member.znodes.unwrap() >= 2, "{member:?}");
    app.stop().await;
}

#[tokio::test]
async fn only_the_operator_and_an_allowed_teacher_stop_the_ensemble_every_room_shares() {
    use shared::classroom::Role;
    use shared::lesson::LessonId;
    use shared::{ClientMsg, ErrorCode, PROTOCOL_VERSION};
    let ensemble = zookeeper::three_members().await;
    // No address is the operator's here (the tests' pages come from the server's own
    // machine, which is by default); a classroom's teacher may; no ensembles are lent.
    let connect = ensemble.connect_string().await;
    let app = tests::spawn_app_with(|s| {
        s.zk.connect = connect;
        s.ensemble = Some(ensemble.clone());
        s.member_control.operators.clear();
        s.member_control.teachers = true;
    })
    .await;
    let mut visitor = app.viewer().await;
    assert!(!visitor.you.as_ref().unwrap().stops_members);
    visitor
        .until_ensemble("a quorum", |e| e.quorum && e.members.len() == 3)
        .await;
    assert_eq!(
        visitor
            .answers_to(&ClientMsg::StopMember { member: 1 })
            .await,
        [ErrorCode::Forbidden]
    );
    // Lesson 6 would stop them: refused, with nothing started.
    assert_eq!(
        visitor
            .answers_to(&ClientMsg::StartLesson {
                lesson: LessonId(6)
            })
            .await,
        [ErrorCode::Forbidden]
    );
    assert!(visitor.view.lesson.is_none());
    assert!(visitor.ensemble.members.iter().all(|m| m.mode.serves()));

    let (room, key) = app.new_classroom().await;
    let mut teacher = tests::Viewer::join_hello(
        app.server.addr(),
        &ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            room,
            key: Some(key),
            viewer: false,
            student: None,
        },
    )
    .await;
    let you = teacher.you.clone().unwrap();
    assert_eq!(you.member.role, Role::Teacher);
    assert!(you.stops_members);
    assert_eq!(
        teacher
            .answers_to(&ClientMsg::StopMember { member: 3 })
            .await,
        []
    );
    teacher
        .until_ensemble("member 3 down", |e| {
            e.members.iter().any(|m| m.id == 3 && !m.mode.serves())
        })
        .await;
    assert_eq!(
        teacher
            .answers_to(&ClientMsg::StartMember { member: 3 })
            .await,
        []
    );
    teacher
        .until_ensemble("member 3 back", |e| {
            e.members.iter().all(|m| m.mode.serves())
        })
        .await;
    app.stop().await;
    ensemble.stop().await;
}
