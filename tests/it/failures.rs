//! Failures as they really happen: a killed process's session outlives it.

use std::time::Instant;

use shared::{ClientMsg, CloseReason, NodeState, RoomEvent};
use tests::spawn_app_with;

#[tokio::test]
async fn a_killed_holders_node_stays_until_its_session_expires_then_the_lock_passes() {
    // The test ZooKeeper ticks every 500 ms; a 2 s session keeps the wait short.
    let app =
        spawn_app_with(|s| s.zk.session_timeout = std::time::Duration::from_millis(2000)).await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    viewer.add_lock_client().await;
    viewer.add_lock_client().await;
    let (holder, waiter, timeout_ms) = viewer
        .until("a holder and a waiter", |view, _| {
            let holder = view.holders().next()?;
            let waiter = view.clients.iter().find(|c| c.watching.is_some())?;
            Some((holder.id, waiter.id, holder.timeout_ms?))
        })
        .await;
    let holder_node = viewer.view.nodes[0].clone();

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
    let node = viewer
        .view
        .nodes
        .iter()
        .find(|n| n.path == holder_node.path)
        .expect("the killed holder's node is still there");
    assert_eq!(viewer.view.node_state(node), NodeState::Crashed);
    assert_eq!(
        viewer.view.departed_owner(node).unwrap().timeout_ms,
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
            (!view.nodes.iter().any(|n| n.path == holder_node.path)).then_some(())
        })
        .await;
    assert!(viewer.view.departed.is_empty());
    app.stop().await;
}
