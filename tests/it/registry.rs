//! The live server list on a real ZooKeeper: the seed's AppServer and AppClient.

use shared::{ClientId, ClientMsg};
use tests::{spawn_app, zookeeper, Viewer};
use zookeeper_client::{Acls, Client, CreateMode};

/// The seed's example output, line for line.
const SEED_OUTPUT: [&str; 9] = shared::SEED_APP_CLIENT_OUTPUT;

/// Waits until the room's first app client has printed `count` lines; returns them.
async fn lines(viewer: &mut Viewer, count: usize) -> Vec<String> {
    viewer
        .until(&format!("{count} app client lines"), |view, _| {
            let lines = &view.registry.app_clients.first()?.lines;
            (lines.len() >= count).then(|| lines.clone())
        })
        .await
}

#[tokio::test]
async fn four_servers_started_and_stopped_one_by_one_print_the_seeds_output() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    assert_eq!(lines(&mut viewer, 1).await, SEED_OUTPUT[..1]);
    let mut servers: Vec<ClientId> = Vec::new();
    for i in 0..4 {
        viewer.send(&ClientMsg::AddServer { name: None }).await;
        lines(&mut viewer, i + 2).await;
        servers.push(viewer.view.registry.servers.last().unwrap().id);
    }
    // As in the seed: end the AppServer processes one by one, the newest first.
    for (i, server) in servers.iter().rev().enumerate() {
        viewer.send(&ClientMsg::Crash { client: *server }).await;
        lines(&mut viewer, i + 6).await;
    }
    assert_eq!(lines(&mut viewer, 9).await, SEED_OUTPUT);
    viewer
        .until("an empty /sgroup", |view, _| {
            view.registry.nodes.is_empty().then_some(())
        })
        .await;
    app.stop().await;
}

#[tokio::test]
async fn servers_registered_by_other_clients_show_up_with_their_data() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    lines(&mut viewer, 1).await;
    viewer
        .send(&ClientMsg::AddServer {
            name: Some("10.0.0.7:8080".into()),
        })
        .await;
    lines(&mut viewer, 2).await;
    let outsider = Client::connect(&zookeeper::connect_string()).await.unwrap();
    outsider
        .create(
            &format!("/zkplay/{}/sgroup/sub", app.room),
            b"outsider:1",
            &CreateMode::EphemeralSequential.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    let last = lines(&mut viewer, 3).await.pop().unwrap();
    assert_eq!(last, "server list updated: [10.0.0.7:8080, outsider:1]");
    let node = viewer
        .until("the outsider's node", |view, _| {
            view.registry
                .nodes
                .iter()
                .find(|n| n.data() == "outsider:1")
                .cloned()
        })
        .await;
    assert!(
        viewer.view.registry.server_owner(&node).is_none(),
        "not one of ours"
    );

    // A second app client starts with the current list.
    viewer.send(&ClientMsg::AddAppClient).await;
    let second = viewer
        .until("the second app client's first line", |view, _| {
            view.registry.app_clients.get(1)?.lines.first().cloned()
        })
        .await;
    assert_eq!(second, "server list updated: [10.0.0.7:8080, outsider:1]");
    app.stop().await;
}
