//! The picture is ZooKeeper's truth through ensemble faults: after every member is stopped and
//! started again, the room's view, its lock clients and its app client agree with the tree a
//! separate raw session reads.

use shared::{ClientMsg, CloseReason, MemberMode, RoomEvent};
use tests::viewer::WAIT;
use tests::zookeeper::RawSession;
use tests::{zookeeper, Viewer};
use tokio::time::Instant;
use zookeeper_client::{Acls, CreateMode};

/// The children of a room folder as the raw session reads them: sorted chroot-relative paths,
/// with each node's data.
async fn raw_children(raw: &RawSession, room: &str, dir: &str) -> Vec<(String, String)> {
    let nodes = raw
        .children_with_data(&format!("/zkplay/{room}{dir}"))
        .await;
    nodes
        .into_iter()
        .map(|(name, data)| {
            let data = String::from_utf8_lossy(&data).into_owned();
            (format!("{dir}/{name}"), data)
        })
        .collect()
}

/// Waits until the viewer's queue and registry are exactly what the raw session reads, and the
/// app client's latest line lists exactly the registered addresses.
async fn converge(viewer: &mut Viewer, raw: &RawSession, room: &str, when: &str) {
    let locks = raw_children(raw, room, "/locks").await;
    let registry = raw_children(raw, room, "/sgroup").await;
    let line = format!(
        "server list updated: [{}]",
        registry
            .iter()
            .map(|(_, data)| data.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let locks: Vec<String> = locks.into_iter().map(|(path, _)| path).collect();
    viewer
        .until(&format!("the view to match ZooKeeper {when}"), |view, _| {
            let shown = |nodes: &[shared::Znode]| {
                nodes
                    .iter()
                    .map(|n| (n.path.clone(), n.data().to_string()))
                    .collect::<Vec<_>>()
            };
            let shown_locks: Vec<String> = shown(&view.locks.nodes)
                .into_iter()
                .map(|(path, _)| path)
                .collect();
            let app_line = view.registry.app_clients.first()?.lines.last()?;
            // Registry nodes with the data their reads told.
            (shown_locks == locks && shown(&view.registry.nodes) == registry && *app_line == line)
                .then_some(())
        })
        .await;
}

/// The members (1-based) whose `wchp` lists a watch on `path`.
async fn members_watching(members: &[String], path: &str) -> Vec<u32> {
    let mut watching = Vec::new();
    for (i, address) in members.iter().enumerate() {
        if let Ok(wchp) = backend::four_letter_word(address, "wchp").await {
            if wchp.lines().any(|line| line.trim() == path) {
                watching.push(i as u32 + 1);
            }
        }
    }
    watching
}

async fn until_mode(viewer: &mut Viewer, member: u32, serving: bool) {
    viewer
        .until_ensemble(&format!("member {member} serving: {serving}"), |e| {
            e.members.iter().any(|m| {
                m.id == member
                    && matches!(m.mode, MemberMode::Leader | MemberMode::Follower) == serving
                    && (serving || m.mode == MemberMode::Down)
            }) && (!serving || e.quorum)
        })
        .await;
}

fn closed(history: &[(u64, RoomEvent)]) -> Vec<CloseReason> {
    history
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::ClientClosed { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

fn finished(history: &[(u64, RoomEvent)]) -> usize {
    closed(history)
        .iter()
        .filter(|r| **r == CloseReason::Finished)
        .count()
}

#[tokio::test]
async fn after_each_member_restarts_the_view_and_the_clients_converge_to_the_tree() {
    let ensemble = zookeeper::three_members().await;
    let app = tests::spawn_app_on(&ensemble).await;
    let connect = ensemble.connect_string().await;
    let members: Vec<String> = connect.split(',').map(str::to_string).collect();
    let mut viewer = app.viewer().await;
    until_mode(&mut viewer, 1, true).await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 150 }).await;
    let raw = RawSession::connect(&connect).await;

    // The observer's persistent watch on the room's lock folder is on the member it talks to.
    let observed = format!("/zkplay/{}/locks", app.room);
    let deadline = Instant::now() + WAIT;
    let observer_member = loop {
        match members_watching(&members, &observed).await[..] {
            [member] => break member,
            ref other => assert!(
                Instant::now() < deadline,
                "the observer's watch on {observed} is on members {other:?}"
            ),
        }
    };
    let mut order = vec![observer_member];
    order.extend((1..=3).filter(|m| *m != observer_member));

    let mut lock_clients = 0;
    for (round, member) in order.into_iter().enumerate() {
        let servers = round + 1;
        let when = format!("after member {member} came back");
        // Hand-offs run while the member goes down.
        for _ in 0..3 {
            viewer.add_lock_client().await;
        }
        lock_clients += 3;
        viewer.send(&ClientMsg::StopMember { member }).await;
        until_mode(&mut viewer, member, false).await;
        viewer
            .until("the hand-offs around the stop", |_, history| {
                (finished(history) == lock_clients).then_some(())
            })
            .await;

        // While it is down: a node from outside joins the queue, two clients queue behind it,
        // and the registry changes.
        let prefix = format!("/zkplay/{}/locks/sub", app.room);
        let ephemeral = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
        let (_, sequence) = raw
            .again(|| raw.client.create(&prefix, b"outside", &ephemeral))
            .await;
        let external = format!("/zkplay/{}/locks/sub{sequence}", app.room);
        for _ in 0..2 {
            viewer.add_lock_client().await;
        }
        lock_clients += 2;
        if let Some(earlier) = viewer.view.registry.servers.first().map(|s| s.id) {
            viewer.send(&ClientMsg::Crash { client: earlier }).await;
        }
        viewer.send(&ClientMsg::AddServer { name: None }).await;
        viewer
            .until("the new server registered", |view, history| {
                let added = history
                    .iter()
                    .filter(|(_, e)| matches!(e, RoomEvent::ServerAdded { .. }))
                    .count();
                (added == servers && view.registry.servers.iter().all(|s| s.path.is_some()))
                    .then_some(())
            })
            .await;

        viewer.send(&ClientMsg::StartMember { member }).await;
        until_mode(&mut viewer, member, true).await;
        // The two late clients wait behind the outside node, whose removal they must hear of.
        viewer
            .until("the two late clients waiting", |view, _| {
                (view.locks.clients.len() == 2
                    && view.locks.clients.iter().all(|c| c.watching.is_some()))
                .then_some(())
            })
            .await;
        converge(&mut viewer, &raw, &app.room, &when).await;

        raw.again(|| raw.client.delete(&external, None)).await;
        viewer
            .until("every lock client to finish", |_, history| {
                (finished(history) == lock_clients).then_some(())
            })
            .await;
        converge(&mut viewer, &raw, &app.room, &format!("{when}, drained")).await;
        let watching = members_watching(&members, &observed).await;
        assert_eq!(
            watching.len(),
            1,
            "{when}: the observer's persistent watch on {observed} is on members {watching:?}"
        );
    }
    let lost: Vec<_> = closed(&viewer.history)
        .into_iter()
        .filter(|r| !matches!(r, CloseReason::Finished | CloseReason::Crashed))
        .collect();
    assert!(lost.is_empty(), "sessions lost to the faults: {lost:?}");
    assert!(
        viewer.view.locks.violations.is_empty(),
        "two holders at once: {:?}",
        viewer.view.locks.violations
    );
    drop(raw);
    app.stop().await;
    ensemble.stop().await;
}
