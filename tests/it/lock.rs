//! The lock recipe end to end: hand-offs in sequence order, crashes, never two holders.

use shared::{ClientId, ClientMsg, CloseReason, NodeState, RoomEvent, RoomView, WatchCall};
use tests::spawn_app;

/// Replays the recorded history and fails if two clients ever believed they held the lock at
/// once. Returns the paths in the order they gained the lock.
fn check_one_holder_at_a_time(history: &[(u64, RoomEvent)]) -> Vec<String> {
    let mut holder: Option<(ClientId, String)> = None;
    let mut order = Vec::new();
    for (seq, event) in history {
        match event {
            RoomEvent::LockGained { client, path } => {
                assert!(
                    holder.is_none(),
                    "two holders at seq {seq}: {holder:?} and client {client} ({path})"
                );
                holder = Some((*client, path.clone()));
                order.push(path.clone());
            }
            RoomEvent::LockReleased { client, .. } | RoomEvent::ClientClosed { client, .. }
                if holder.as_ref().is_some_and(|(h, _)| h == client) =>
            {
                holder = None;
            }
            _ => {}
        }
    }
    order
}

fn created_paths(history: &[(u64, RoomEvent)]) -> Vec<String> {
    history
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::NodeCreatedByClient { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// The client owning the node at `index` of the queue.
fn client_at(view: &RoomView, index: usize) -> ClientId {
    view.owner(&view.locks.nodes[index])
        .expect("an owned node")
        .id
}

#[tokio::test]
async fn ten_clients_hand_the_lock_over_in_sequence_order() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 100 }).await;
    for _ in 0..10 {
        viewer.add_lock_client().await;
    }
    viewer
        .until("ten clients to finish", |_, history| {
            let finished = history
                .iter()
                .filter(|(_, e)| {
                    matches!(
                        e,
                        RoomEvent::ClientClosed {
                            reason: CloseReason::Finished,
                            ..
                        }
                    )
                })
                .count();
            (finished == 10).then_some(())
        })
        .await;
    let order = check_one_holder_at_a_time(&viewer.history);
    let mut created = created_paths(&viewer.history);
    created.sort();
    assert_eq!(order.len(), 10);
    assert_eq!(order, created, "the lock went in sequence order");
    // Every waiter watched exactly its predecessor: nine notifications for ten clients.
    assert_eq!(viewer.view.herd.total, 9);
    // ZooKeeper's tree is empty again, as the observer saw it.
    viewer
        .until("the queue to empty", |view, _| {
            view.locks.nodes.is_empty().then_some(())
        })
        .await;
    app.stop().await;
}

#[tokio::test]
async fn crashing_a_waiting_client_makes_its_successor_rewatch_and_never_yields_two_holders() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    for _ in 0..4 {
        viewer.add_lock_client().await;
    }
    viewer
        .until("one holder and three armed waiters", |view, _| {
            let waiting = view.locks.armed();
            (view.locks.nodes.len() == 4 && view.holders().count() == 1 && waiting == 3)
                .then_some(())
        })
        .await;
    let view = viewer.view.clone();
    let paths: Vec<String> = view.locks.nodes.iter().map(|n| n.path.clone()).collect();
    let (first, second, third, fourth) = (
        client_at(&view, 0),
        client_at(&view, 1),
        client_at(&view, 2),
        client_at(&view, 3),
    );
    assert_eq!(view.node_state(&view.locks.nodes[0]), NodeState::Holding);

    viewer.send(&ClientMsg::Crash { client: third }).await;
    // The fourth's watch on the third fires; it re-lists and re-watches the second with exists.
    viewer
        .until("the fourth to re-watch the second", |view, _| {
            let w = view.client(fourth)?.watching.as_ref()?;
            (w.path == paths[1] && w.call == WatchCall::Exists).then_some(())
        })
        .await;
    assert_eq!(
        viewer.view.holders().map(|c| c.id).collect::<Vec<_>>(),
        vec![first],
        "the holder still holds, and alone"
    );
    assert!(viewer.history.iter().any(|(_, e)| matches!(
        e,
        RoomEvent::WatchFired { client, path, .. } if *client == fourth && *path == paths[2]
    )));

    // The chain goes on: first → second → fourth.
    for (releaser, next) in [(first, second), (second, fourth)] {
        viewer.send(&ClientMsg::Release { client: releaser }).await;
        viewer
            .until("the next holder", |view, _| {
                (view.holders().next()?.id == next).then_some(())
            })
            .await;
    }
    viewer.send(&ClientMsg::Release { client: fourth }).await;
    viewer
        .until("everyone gone", |view, _| {
            (view.locks.clients.is_empty() && view.locks.nodes.is_empty()).then_some(())
        })
        .await;
    assert_eq!(
        check_one_holder_at_a_time(&viewer.history),
        vec![paths[0].clone(), paths[1].clone(), paths[3].clone()]
    );
    app.stop().await;
}

#[tokio::test]
async fn crashing_the_holder_passes_the_lock_on() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let (holder, waiter) = viewer.holder_and_waiter().await;
    viewer.send(&ClientMsg::Crash { client: holder }).await;
    viewer
        .until(
            "the waiter to hold and the holder's node to go",
            |view, _| {
                let passed = view.holders().next()?.id == waiter && view.client(holder).is_none();
                (passed && view.locks.nodes.len() == 1).then_some(())
            },
        )
        .await;
    assert!(viewer.history.iter().any(|(_, e)| matches!(
        e,
        RoomEvent::ClientClosed { client, reason: CloseReason::Crashed } if *client == holder
    )));
    check_one_holder_at_a_time(&viewer.history);
    app.stop().await;
}

#[tokio::test]
async fn two_viewers_see_the_same_room_and_stopping_closes_every_session() {
    let app = spawn_app().await;
    let mut a = app.viewer().await;
    a.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    a.add_lock_client().await;
    a.add_lock_client().await;
    a.until("two nodes, read", |view, _| {
        let nodes = &view.locks.nodes;
        (nodes.len() == 2 && nodes.iter().all(|n| n.read.is_some())).then_some(())
    })
    .await;
    let mut b = app.viewer().await;
    assert_eq!(
        b.view.locks.nodes, a.view.locks.nodes,
        "the snapshot is the room"
    );
    a.add_lock_client().await;
    let nodes = a
        .until("three nodes, read", |view, _| {
            let nodes = &view.locks.nodes;
            (nodes.len() == 3 && nodes.iter().all(|n| n.read.is_some())).then_some(nodes.clone())
        })
        .await;
    b.until("the same three nodes", |view, _| {
        (view.locks.nodes == nodes).then_some(())
    })
    .await;

    let zk = zookeeper_client::Client::connect(&tests::zookeeper::connect_string())
        .await
        .unwrap();
    let locks = format!("/zkplay/{}/locks", app.room);
    assert_eq!(zk.list_children(&locks).await.unwrap().len(), 3);
    app.stop().await;
    // Sessions were closed, not abandoned: the ephemeral nodes are gone at once.
    assert_eq!(
        zk.list_children(&locks).await.unwrap(),
        Vec::<String>::new()
    );
}
