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
