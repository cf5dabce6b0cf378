//! Failures as they really happen: a killed process's session outlives it; a paused one is
//! expired behind its back.

use std::time::Instant;

use shared::{ClientMsg, CloseReason, NodeState, RoomEvent, SessionStatus, WriteOutcome};
use tests::spawn_app_with;

#[tokio::test]
async fn a_killed_holders_node_stays_until_its_session_expires_then_the_lock_passes() {
    // The test ZooKeeper ticks every 500 ms; a 2 s session keeps the wait short.
    let app =
        spawn_app_with(|s| s.zk.session_timeout = std::time::Duration::from_millis(2000)).await;
    let mut viewer = app.viewer().await;
    let (holder, waiter) = viewer.holder_and_waiter().await;
    let timeout_ms = viewer
        .view
        .locks
        .clients
        .iter()
        .find(|c| c.id == holder)
        .and_then(|c| c.timeout_ms)
        .expect("the holder's negotiated timeout");
    let holder_node = viewer.view.locks.nodes[0].clone();

    let killed_at = Instant::now();
    viewer.send(&ClientMsg::Kill { client: holder }).await;
    viewer
        .until("the holder's death", |view, _| {
            view.client(holder).is_none().then_some(())
        })
        .await;
    // The process is gone, its node is not: ZooKeeper still holds the session.
    assert!(viewer.history.iter().any(|(_, e)| matches!(
        e,
        RoomEvent::ClientClosed { client, reason: CloseReason::Killed } if *client == holder
    )));
    // Drawn crashed once the observer's read has named the node's owner (until then it is
    // `new`: ZooKeeper reported it, whose it is is being read).
    let node = viewer
        .until("the killed holder's node drawn crashed", |view, _| {
            let node = view.locks.nodes.iter().find(|n| n.path == holder_node.path);
            let node = node.expect("the killed holder's node is still there");
            let state = view.node_state(node);
            assert!(
                matches!(state, NodeState::New | NodeState::Crashed),
                "the killed holder's node is drawn {state:?}"
            );
            (state == NodeState::Crashed).then(|| node.clone())
        })
        .await;
    let node = &node;
    assert_eq!(
        viewer
            .view
            .sessions
            .departed_owner(node)
            .unwrap()
            .timeout_ms,
        Some(timeout_ms)
    );

    viewer
        .until("the waiter to hold", |view, _| {
            (view.holders().next()?.id == waiter).then_some(())
        })
        .await;
    let waited = killed_at.elapsed().as_millis() as u64;
    // Expiry is the negotiated timeout, rounded up to the server's next tick (500 ms here).
    assert!(
        waited + 200 >= timeout_ms && waited <= timeout_ms + 500 + 1000,
        "the lock passed {waited} ms after the kill; the session timeout is {timeout_ms} ms"
    );
    viewer
        .until("the killed node gone", |view, _| {
            (!view.locks.nodes.iter().any(|n| n.path == holder_node.path)).then_some(())
        })
        .await;
    assert!(viewer.view.sessions.departed.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_pause_shorter_than_the_session_timeout_leaves_the_holder_unharmed() {
    let app =
        spawn_app_with(|s| s.zk.session_timeout = std::time::Duration::from_millis(4000)).await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    viewer.add_lock_client().await;
    let (holder, session) = viewer
        .until("a holder", |view, _| {
            let h = view.holders().next()?;
            Some((h.id, h.session?))
        })
        .await;
    viewer
        .send(&ClientMsg::Pause {
            client: holder,
            ms: 600,
        })
        .await;
    viewer
        .until("the link to freeze and open again", |_, history| {
            let frozen = history.iter().any(|(_, e)| {
                matches!(e, RoomEvent::LinkChanged { client, frozen: true, .. } if *client == holder)
            });
            let opened = history.iter().any(|(_, e)| {
                matches!(e, RoomEvent::LinkChanged { client, frozen: false, .. } if *client == holder)
            });
            (frozen && opened).then_some(())
        })
        .await;
    // Still the holder, on the same session, its node still there.
    let h = viewer.view.holders().next().expect("still holding");
    assert_eq!((h.id, h.session), (holder, Some(session)));
    assert_eq!(viewer.view.locks.nodes.len(), 1);
    // And it still works: release it.
    viewer.send(&ClientMsg::Release { client: holder }).await;
    viewer
        .until("a clean finish", |view, _| {
            (view.locks.clients.is_empty() && view.locks.nodes.is_empty()).then_some(())
        })
        .await;
    assert!(!viewer.history.iter().any(|(_, e)| matches!(
        e,
        RoomEvent::ClientClosed {
            reason: CloseReason::Expired,
            ..
        }
    )));
    app.stop().await;
}

#[tokio::test]
async fn a_holder_paused_past_its_timeout_is_expired_while_it_still_believes_it_holds() {
    let app =
        spawn_app_with(|s| s.zk.session_timeout = std::time::Duration::from_millis(2000)).await;
    let mut viewer = app.viewer().await;
    let (holder, waiter) = viewer.holder_and_waiter().await;
    viewer
        .send(&ClientMsg::Pause {
            client: holder,
            ms: 5000,
        })
        .await;
    // The server expires the paused session and the waiter takes the lock, while the paused
    // client, knowing nothing, still believes it holds it: two holders, caught.
    viewer
        .until(
            "the waiter to hold while the paused one still believes",
            |view, _| {
                let holders: Vec<_> = view.holders().map(|c| c.id).collect();
                (holders.contains(&waiter) && holders.contains(&holder)).then_some(())
            },
        )
        .await;
    // Frozen, it noticed nothing: its own view is still a connected session.
    assert_eq!(
        viewer.view.sessions.liveness(holder).map(|l| l.state),
        Some(SessionStatus::Connected)
    );
    viewer
        .until("the room to flag the two holders", |_, history| {
            history
                .iter()
                .any(|(_, e)| {
                    matches!(e, RoomEvent::Violation { first, second, .. }
                        if *first == holder && *second == waiter)
                })
                .then_some(())
        })
        .await;
    // When it wakes, it learns its session expired, and leaves.
    viewer
        .until("the paused client to learn it expired", |_, history| {
            history
                .iter()
                .any(|(_, e)| {
                    matches!(e, RoomEvent::ClientClosed { client, reason: CloseReason::Expired } if *client == holder)
                })
                .then_some(())
        })
        .await;
    app.stop().await;
}

/// A holder is paused past its session timeout; the next client gains the lock and writes;
/// the paused one wakes and writes with its old token. Returns the outcome of that stale write.
async fn stale_write(fencing: bool) -> WriteOutcome {
    let app =
        spawn_app_with(|s| s.zk.session_timeout = std::time::Duration::from_millis(2000)).await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetFencing { on: fencing }).await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 1000 }).await;
    viewer.add_lock_client().await;
    let paused = viewer
        .until("a holder", |view, _| Some(view.holders().next()?.id))
        .await;
    viewer
        .send(&ClientMsg::Pause {
            client: paused,
            ms: 4500,
        })
        .await;
    viewer.add_lock_client().await;
    let written = |view: &shared::RoomView, client| {
        view.resource
            .writes
            .iter()
            .filter(|w| w.client == client)
            .cloned()
            .collect::<Vec<_>>()
    };
    // The paused holder wrote once, when it gained the lock, with its node's czxid.
    let first = viewer
        .until("the paused holder's first write", |view, _| {
            written(view, paused).pop()
        })
        .await;
    assert_eq!(first.outcome, WriteOutcome::Accepted);
    let next = viewer
        .until("the next holder's write", |view, _| {
            view.resource
                .writes
                .iter()
                .find(|w| w.client != paused)
                .cloned()
        })
        .await;
    assert!(
        next.token > first.token,
        "a later lock node has a higher czxid"
    );
    assert_eq!(next.outcome, WriteOutcome::Accepted);
    let stale = viewer
        .until("the paused holder's write after it wakes", |view, _| {
            let writes = written(view, paused);
            (writes.len() == 2).then(|| writes[1].clone())
        })
        .await;
    assert_eq!(
        stale.token, first.token,
        "it still writes with its old token"
    );
    if fencing {
        assert_eq!(
            viewer.view.resource.highest,
            Some(next.token.max(stale.token))
        );
    }
    app.stop().await;
    stale.outcome
}

#[tokio::test]
async fn with_fencing_the_stale_holders_write_is_rejected() {
    assert_eq!(stale_write(true).await, WriteOutcome::Rejected);
}

#[tokio::test]
async fn without_fencing_the_stale_holders_write_lands_and_is_flagged() {
    assert_eq!(stale_write(false).await, WriteOutcome::Corrupted);
}
