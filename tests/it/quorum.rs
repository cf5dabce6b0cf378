//! ZooKeeper itself failing: a three-member ensemble losing its leader, and losing its quorum.

use shared::{ClientMsg, CloseReason, MemberMode, RoomEvent};
use tests::{zookeeper, Viewer};

/// Waits for the probe to show a leader other than `not`; returns its member id.
async fn leader(viewer: &mut Viewer, not: Option<u32>) -> u32 {
    let ensemble = viewer
        .until_ensemble("a leader", |e| {
            e.members
                .iter()
                .any(|m| m.mode == MemberMode::Leader && Some(m.id) != not)
        })
        .await;
    ensemble
        .members
        .iter()
        .find(|m| m.mode == MemberMode::Leader && Some(m.id) != not)
        .map(|m| m.id)
        .expect("found above")
}

#[tokio::test]
async fn stopping_the_leader_during_hand_offs_loses_no_client_and_never_two_holders() {
    let ensemble = zookeeper::three_members().await;
    let app = tests::spawn_app_on(&ensemble).await;
    let mut viewer = app.viewer().await;
    let first_leader = leader(&mut viewer, None).await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 300 }).await;
    for _ in 0..6 {
        viewer.add_lock_client().await;
    }
    viewer
        .until("the first hand-off", |_, history| {
            history
                .iter()
                .any(|(_, e)| matches!(e, RoomEvent::LockReleased { .. }))
                .then_some(())
        })
        .await;
    viewer
        .send(&ClientMsg::StopMember {
            member: first_leader,
        })
        .await;
    viewer
        .until("all six to leave", |_, history| {
            let closed = history
                .iter()
                .filter(|(_, e)| matches!(e, RoomEvent::ClientClosed { .. }))
                .count();
            (closed == 6).then_some(())
        })
        .await;
    let lost: Vec<_> = viewer
        .history
        .iter()
        .filter(|(_, e)| matches!(e, RoomEvent::ClientClosed { reason, .. } if *reason != CloseReason::Finished))
        .collect();
    let errors: Vec<_> = viewer
        .history
        .iter()
        .filter(|(_, e)| matches!(e, RoomEvent::ClientError { .. }))
        .collect();
    assert!(
        lost.is_empty(),
        "clients lost: {lost:?}, errors: {errors:?}"
    );
    let violations = viewer
        .history
        .iter()
        .filter(|(_, e)| matches!(e, RoomEvent::Violation { .. }))
        .count();
    assert_eq!(violations, 0);
    // A new leader serves.
    let new_leader = leader(&mut viewer, Some(first_leader)).await;
    assert_ne!(new_leader, first_leader);
    app.stop().await;
    ensemble.stop().await;
}

#[tokio::test]
async fn without_a_quorum_a_create_waits_until_a_member_returns() {
    let ensemble = zookeeper::three_members().await;
    let app = tests::spawn_app_on(&ensemble).await;
    let mut viewer = app.viewer().await;
    leader(&mut viewer, None).await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    viewer.send(&ClientMsg::StopMember { member: 1 }).await;
    viewer.send(&ClientMsg::StopMember { member: 2 }).await;
    viewer.add_lock_client().await;
    viewer
        .until_ensemble("the quorum to be gone", |e| {
            !e.quorum && !e.members.is_empty()
        })
        .await;
    let created = |history: &[(u64, RoomEvent)]| {
        history
            .iter()
            .position(|(_, e)| matches!(e, RoomEvent::NodeCreatedByClient { .. }))
    };
    // The client has been trying all along; without a quorum nothing is written.
    assert_eq!(
        created(&viewer.history),
        None,
        "a create completed without a quorum"
    );
    assert!(viewer.view.locks.nodes.is_empty());
    let restarted_at = viewer.history.len();
    viewer.send(&ClientMsg::StartMember { member: 1 }).await;
    viewer
        .until("the waiting client to get the lock", |view, _| {
            view.holders().next().map(|_| ())
        })
        .await;
    assert!(created(&viewer.history).unwrap() >= restarted_at);
    assert!(viewer.ensemble.members.len() == 3);
    app.stop().await;
    ensemble.stop().await;
}
