//! Nodes made by other ZooKeeper clients show up in the queue and take part in the ordering.

use shared::{ClientMsg, NodeState, RoomEvent};
use tests::{spawn_app, zookeeper};
use zookeeper_client::{Acls, Client, CreateMode};

#[tokio::test]
async fn a_node_from_another_session_is_an_external_contender() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    // The room's folders exist once a viewer joined; wait for the observer to have made them.
    viewer.add_lock_client().await;
    let holder = viewer
        .until("a holder", |view, _| Some(view.holders().next()?.id))
        .await;

    let outsider = Client::connect(&zookeeper::connect_string()).await.unwrap();
    let prefix = format!("/zkplay/{}/locks/sub", app.room);
    let (_, sequence) = outsider
        .create(
            &prefix,
            b"zkCli",
            &CreateMode::EphemeralSequential.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    let external = format!("/locks/sub{sequence}");
    viewer
        .until("the external node", |view, _| {
            let node = view.locks.nodes.iter().find(|n| n.path == external)?;
            (view.node_state(node) == NodeState::External).then_some(())
        })
        .await;

    // A client added now queues behind the external node and watches it.
    viewer.add_lock_client().await;
    let late = viewer
        .until("a client watching the external node", |view, _| {
            let c = view.locks.clients.iter().find(|c| c.id != holder)?;
            (c.watching.as_ref()?.path == external).then_some(c.id)
        })
        .await;

    // The holder finishes; the external node is next and "holds" (it is not ours to release).
    viewer.send(&ClientMsg::Release { client: holder }).await;
    viewer
        .until("the holder gone", |view, _| {
            view.client(holder).is_none().then_some(())
        })
        .await;
    assert_eq!(
        viewer.view.holders().count(),
        0,
        "the outsider is first now"
    );

    // When the outsider deletes its node, our client's watch fires and it takes the lock.
    outsider
        .delete(&format!("/zkplay/{}{external}", app.room), None)
        .await
        .unwrap();
    viewer
        .until(
            "the late client to hold, and the outsider's node gone",
            |view, _| {
                let holds = view.holders().next()?.id == late;
                (holds && !view.locks.nodes.iter().any(|n| n.path == external)).then_some(())
            },
        )
        .await;
    assert!(viewer.history.iter().any(|(_, e)| matches!(
        e,
        RoomEvent::WatchFired { client, path, .. } if *client == late && *path == external
    )));
    app.stop().await;
}
