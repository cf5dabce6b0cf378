//! Viewers of one room: one that stops reading is given a fresh snapshot, not the backlog.

use shared::{ClientMsg, ServerMsg};
use tests::{spawn_app_with, Viewer};

#[tokio::test]
async fn a_viewer_that_stops_reading_gets_a_snapshot_not_the_backlog() {
    let app = spawn_app_with(|s| {
        s.viewer_queue = 8;
        s.send_buffer_bytes = 4096;
        s.limits.max_messages_per_sec = 1000;
    })
    .await;
    let mut driver = app.viewer().await;
    driver.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    // A small receive buffer, as on a slow link: the backlog is the server's to bound.
    let socket = Viewer::connect_with(app.server.addr(), Some(4096))
        .await
        .expect("connect");
    let mut stalled = Viewer::join_socket(socket, &app.room).await;
    let joined_at = stalled.view.seq;

    const CLIENTS: usize = 40;
    for _ in 0..CLIENTS {
        driver.add_lock_client().await;
    }
    // Not a byte is read from the stalled viewer meanwhile.
    let settled = driver
        .until(
            "every client queued, watching its predecessor",
            |view, _| {
                // From the view, not the history: with a queue this short, the driver itself may
                // be given a snapshot while it is busy sending.
                let watching = view.locks.armed();
                (view.locks.nodes.len() == CLIENTS && watching == CLIENTS - 1).then_some(view.seq)
            },
        )
        .await;
    let published = (settled - joined_at) as usize;

    let mut frames_before = 0;
    let snapshot = loop {
        match stalled.next().await {
            ServerMsg::Snapshot { view } => break view,
            ServerMsg::Event { .. } => frames_before += 1,
            _ => {}
        }
    };
    assert!(
        frames_before < published / 2,
        "{frames_before} of {published} events reached the stalled viewer before its snapshot"
    );
    stalled.view = *snapshot;
    // Both read on to the same event (a session change may trail the settled queue).
    let seq = stalled
        .until("the stalled viewer to catch up", |view, _| {
            (view.seq >= settled).then_some(view.seq)
        })
        .await;
    let seq = driver
        .until("the driver to reach it", |view, _| {
            (view.seq >= seq).then_some(view.seq)
        })
        .await;
    stalled
        .until("the same event", |view, _| (view.seq >= seq).then_some(()))
        .await;
    assert_eq!(stalled.view.seq, driver.view.seq);
    assert_eq!(stalled.view.locks.nodes, driver.view.locks.nodes);
    assert_eq!(stalled.view.locks.clients, driver.view.locks.clients);
    app.stop().await;
}

#[tokio::test]
async fn a_room_no_one_watches_ends_closes_its_sessions_and_deletes_its_nodes() {
    let app = tests::spawn_app_with(|s| s.room_idle = std::time::Duration::from_secs(1)).await;
    let mut viewer = app.viewer().await;
    let (_holder, waiter) = viewer.holder_and_waiter().await;
    // A killed client's node stays until ZooKeeper expires its session (5 s here), and a node
    // of another program stays for ever: the ending room deletes both.
    viewer.send(&ClientMsg::Kill { client: waiter }).await;
    viewer
        .until("the killed client gone", |view, _| {
            view.client(waiter).is_none().then_some(())
        })
        .await;
    let raw = zookeeper_client::Client::connect(&tests::zookeeper::connect_string())
        .await
        .unwrap();
    let root = format!("/zkplay/{}", app.room);
    let locks = format!("{root}/locks");
    let stranger = format!("{root}/sgroup/stranger");
    let persistent =
        zookeeper_client::CreateMode::Persistent.with_acls(zookeeper_client::Acls::anyone_all());
    raw.create(&stranger, b"zkCli", &persistent).await.unwrap();
    assert_eq!(raw.list_children(&locks).await.unwrap().len(), 2);
    let (_, gone) = raw.check_and_watch_stat(&root).await.unwrap();
    drop(viewer);
    // A second later the room ends: its sessions close, its nodes and folders go.
    let event = tokio::time::timeout(tests::viewer::WAIT, gone.changed())
        .await
        .expect("the room's own node deleted");
    assert_eq!(event.event_type, zookeeper_client::EventType::NodeDeleted);
    for path in [&locks, &stranger, &root] {
        assert_eq!(raw.check_stat(path).await.unwrap(), None, "{path} is left");
    }
    // Whoever comes next finds the room afresh.
    let next = app.viewer().await;
    assert!(
        next.view.locks.clients.is_empty() && next.view.locks.nodes.is_empty(),
        "{:?}",
        next.view.locks
    );
    app.stop().await;
}
