//! A fleet of zkplay servers on one real ensemble: a room runs on the server first in its owner
//! queue and is driven through the others; when that server stops, dies or pauses past its
//! session timeout, the room moves to the next, and the picture equals the tree a raw session
//! reads. A deposed owner's late writes are refused by their fence.

use std::net::SocketAddr;
use std::time::Duration;

use shared::classroom::{Role, RoomKind};
use shared::fleet::{owner_dir, FleetView};
use shared::{ClientMsg, ErrorCode, ServerMsg};
use tests::soak::zkplay::{workdir, Launch, Zkplay};
use tests::viewer::WAIT;
use tests::zookeeper::RawSession;
use tests::{http, spawn_app, spawn_app_with, unique_room, zookeeper, Viewer};

/// The URLs held by `room`'s owner queue, in queue order, as a raw session reads them.
async fn owner_queue(raw: &RawSession, room: &str) -> Vec<String> {
    let nodes = raw.children_with_data(&owner_dir(room)).await;
    nodes
        .into_iter()
        .map(|(_, data)| String::from_utf8_lossy(&data).into_owned())
        .collect()
}

/// Waits until `room`'s owner queue is `want`.
async fn until_queue(raw: &RawSession, room: &str, want: &[String], when: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let queue = owner_queue(raw, room).await;
        if queue == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{when}: the owner queue is {queue:?}, not {want:?}"
        );
        // The queue has no event of its own for the test to await: a raw session's watch would
        // do, but the server's node may be made before or after the watch is set.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `GET /fleet.json` of the server at `addr`.
async fn fleet_json(addr: SocketAddr) -> FleetView {
    let (status, body) = http(addr, "GET", "/fleet.json", b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("a fleet view")
}

fn runs_on(viewer: &Viewer) -> Option<String> {
    viewer.server.as_ref().and_then(|s| s.runs_on.clone())
}

#[tokio::test]
async fn a_room_runs_on_one_server_is_driven_through_the_others_and_moves_on_ctrl_c() {
    let mut servers = Vec::new();
    for n in 0..3 {
        // Each server keeps its recordings under a data directory of its own.
        let data = workdir(&format!("fleet-data-{}-{n}", std::process::id())).unwrap();
        servers.push(spawn_app_with(move |s| s.data_dir = Some(data)).await);
    }
    let urls: Vec<String> = servers.iter().map(|s| s.http_url()).collect();
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.server.addr()).collect();
    let room = unique_room();
    let raw = RawSession::connect(&zookeeper::connect_string()).await;

    let mut first = Viewer::join_room(addrs[0], &room).await;
    assert_eq!(runs_on(&first), Some(urls[0].clone()));
    let mut second = Viewer::join_room(addrs[1], &room).await;
    assert_eq!(
        runs_on(&second),
        Some(urls[0].clone()),
        "forwarded to the room's server"
    );
    let mut third = Viewer::join_room(addrs[2], &room).await;
    assert_eq!(runs_on(&third), Some(urls[0].clone()));
    until_queue(&raw, &room, &urls, "three servers joined").await;

    // Driven through the second server, seen through all three.
    second.queue_up(2).await;
    for viewer in [&mut first, &mut third] {
        viewer
            .until("two lock nodes", |view, _| {
                (view.locks.nodes.len() == 2 && view.holders().count() == 1).then_some(())
            })
            .await;
    }
    third
        .until_locks_are_the_tree(&raw, "through the third server")
        .await;

    // Every server reads the same fleet from ZooKeeper.
    let fleet = fleet_json(addrs[2]).await;
    assert_eq!(fleet.this, urls[2]);
    for url in &urls {
        assert!(
            fleet.backends.iter().any(|b| &b.url == url),
            "{url} not in {:?}",
            fleet.backends
        );
    }
    let queue = fleet
        .rooms
        .iter()
        .find(|r| r.room == room)
        .expect("the room's queue");
    let queued: Vec<&str> = queue.queue.iter().map(|n| n.url.as_str()).collect();
    assert_eq!(queued, urls.iter().map(String::as_str).collect::<Vec<_>>());

    // A hello that does not name its room in the URL reaches a server that cannot forward it:
    // it is told where the room runs.
    let mut bare = Viewer::connect(addrs[1]).await;
    futures_util::SinkExt::send(
        &mut bare,
        tokio_tungstenite::tungstenite::Message::text(
            serde_json::to_string(&ClientMsg::hello(&room)).unwrap(),
        ),
    )
    .await
    .unwrap();
    let refusal = futures_util::StreamExt::next(&mut bare).await;
    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = refusal else {
        panic!("no answer to the hello: {refusal:?}");
    };
    match serde_json::from_str::<ServerMsg>(&text).unwrap() {
        ServerMsg::Error { code, message } => {
            assert_eq!(code, ErrorCode::Elsewhere);
            assert!(message.contains(&urls[0]), "{message}");
        }
        other => panic!("expected elsewhere, got {other:?}"),
    }

    // The room's HTTP routes are the owner's too, through any server.
    let (status, recording) = http(addrs[2], "GET", &format!("/rooms/{room}/recording"), b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&recording));
    // Kept by the server that runs the room, and found through any other.
    let (status, stored) = http(
        addrs[2],
        "POST",
        &format!("/recordings?room={room}"),
        &recording,
    )
    .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&stored));
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    let id = stored["id"].as_str().expect("an id");
    let (status, again) = http(addrs[1], "GET", &format!("/recordings/{id}"), b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&again));
    assert_eq!(
        again, recording,
        "the same recording through another server"
    );

    // Ctrl-C on the room's server hands the room to the next in its queue at once.
    let stopped = servers.remove(0);
    stopped.stop().await;
    until_queue(&raw, &room, &urls[1..], "after the first server stopped").await;
    drop((first, second, third));
    let mut moved = Viewer::join_room(addrs[2], &room).await;
    assert_eq!(
        runs_on(&moved),
        Some(urls[1].clone()),
        "the next in line runs it"
    );
    moved
        .until_locks_are_the_tree(&raw, "after the hand-over")
        .await;
    moved.queue_up(2).await;
    moved
        .until_locks_are_the_tree(&raw, "with clients of the new server")
        .await;
    for server in servers {
        server.stop().await;
    }
}

/// `zkplay` processes of the fleet, on the test ZooKeeper.
fn launch(name: &str) -> Launch {
    let work = workdir(name).expect("a work folder");
    Launch {
        binary: tests::zkplay_binary(),
        zk: zookeeper::connect_string(),
        session_timeout: Duration::from_millis(4000),
        hold: Duration::from_millis(0),
        data_dir: work.join("data"),
        ui_dir: None,
        logs: work,
        flags: Vec::new(),
    }
}

#[tokio::test]
async fn a_killed_owners_room_moves_and_a_paused_owners_late_writes_are_refused() {
    let launch = launch("fleet-kill");
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut servers = Vec::new();
    for n in 0..3 {
        servers.push(Zkplay::start(&launch, any, n).await.expect("zkplay"));
    }
    let urls: Vec<String> = servers
        .iter()
        .map(|s| format!("http://{}", s.addr))
        .collect();
    let room = unique_room();
    let raw = RawSession::connect(&launch.zk).await;

    // A busy room on the first server, watched through the second.
    let viewer = Viewer::join_room(servers[0].addr, &room).await;
    assert_eq!(runs_on(&viewer), Some(urls[0].clone()));
    let mut through = Viewer::join_room(servers[1].addr, &room).await;
    through.queue_up(3).await;
    until_queue(&raw, &room, &urls[..2], "two servers joined").await;

    // kill -9: the room moves once the dead server's session expires.
    servers.remove(0).kill().await.expect("kill");
    drop(viewer);
    until_queue(&raw, &room, &urls[1..2], "after the owner was killed").await;
    let mut on_second = Viewer::join_room(servers[1].addr, &room).await;
    assert_eq!(runs_on(&on_second), Some(urls[1].clone()));
    // Through the third server, forwarded to the new owner.
    let mut on_third = Viewer::join_room(servers[1].addr, &room).await;
    assert_eq!(runs_on(&on_third), Some(urls[1].clone()));
    on_second
        .until_locks_are_the_tree(&raw, "after the takeover")
        .await;
    on_second.queue_up(2).await;
    on_third
        .until_locks_are_the_tree(&raw, "with the new owner's clients")
        .await;

    // The third server takes a seat behind the second by forwarding a viewer to it.
    let _forwarded = Viewer::join_room(servers[1].addr, &room).await;
    until_queue(&raw, &room, &urls[1..], "the third server queued").await;

    // The second server pauses past its session timeout: the third takes the room.
    let paused = servers[0].pid().expect("a running server") as i32;
    // SAFETY: signals to a child process of this test.
    unsafe { libc::kill(paused, libc::SIGSTOP) };
    until_queue(&raw, &room, &urls[2..], "while the owner is paused").await;
    // The third server's forwarded connections end as its seat comes first: they reconnect
    // and find the room run there.
    on_third.until_closed().await;
    let mut on_new = Viewer::join_room(servers[1].addr, &room).await;
    assert_eq!(runs_on(&on_new), Some(urls[2].clone()));
    on_new.queue_up(2).await;
    let before: Vec<String> = on_new.lock_paths();
    unsafe { libc::kill(paused, libc::SIGCONT) };

    // Awake, the old owner finds its session expired and ends the room there; every write it
    // tries for the room is refused by its fence, and the new owner's nodes stay.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let refused = fleet_json(servers[0].addr).await.fenced_writes;
        if refused > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the paused owner made no fenced write"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    until_queue(&raw, &room, &urls[2..], "after the old owner woke").await;
    // Its own viewers are let go: it runs the room no more.
    on_second.until_closed().await;
    on_new
        .until_locks_are_the_tree(&raw, "after the old owner woke")
        .await;
    let after: Vec<String> = on_new.lock_paths();
    assert_eq!(after, before, "the new owner's nodes are untouched");
    drop(through);
    for server in servers {
        server.stop().await.expect("a clean stop");
    }
}

#[tokio::test]
async fn a_page_reached_through_any_server_shows_which_server_runs_its_room() {
    let owner = spawn_app().await;
    let other = spawn_app().await;
    let room = unique_room();
    let first = Viewer::join_room(owner.server.addr(), &room).await;
    assert_eq!(runs_on(&first), Some(owner.http_url()));
    let url = format!("{}/?room={room}", other.http_url());
    let owner_url = owner.http_url();
    let other_url = other.http_url();
    tests::browser::browser_test("fleet_room_owner", &url, async |b| {
        let shown = b
            .wait_for("the room's server shown", async |c| {
                let found = c
                    .find_all(fantoccini::Locator::Css("[data-testid=room-owner]"))
                    .await?;
                match found.first() {
                    Some(element) => Ok(element.attr("data-url").await?),
                    None => Ok(None),
                }
            })
            .await?;
        anyhow::ensure!(shown == owner_url, "the page says {shown}, not {owner_url}");
        // Driven through the other server, run by the owner.
        b.click("[data-testid=add-lock-client]").await?;
        b.wait_for("a lock node", async |_| {
            Ok((b.lock_nodes().await?.len() == 1).then_some(()))
        })
        .await?;
        // The fleet page: both servers, and the room's owner queue as lesson 1 draws a queue.
        b.click("[data-testid=room-owner]").await?;
        let queue = b
            .wait_for("the fleet page", async |c| {
                let servers = c
                    .find_all(fantoccini::Locator::Css("[data-testid=fleet-server]"))
                    .await?;
                let selector =
                    format!("[data-testid=fleet-room][data-room='{room}'] [data-testid=lock-node]");
                let cards = c.find_all(fantoccini::Locator::Css(&selector)).await?;
                let mut states = Vec::new();
                for card in &cards {
                    states.push((
                        card.attr("data-state").await?.unwrap_or_default(),
                        card.text().await?,
                    ));
                }
                Ok((servers.len() >= 2 && cards.len() == 2).then_some(states))
            })
            .await?;
        // The cards name each server by its address.
        let address = |url: &str| url.trim_start_matches("http://").to_string();
        anyhow::ensure!(
            queue[0].0 == "holding" && queue[0].1.contains(&address(&owner_url)),
            "{queue:?}: the owner is {owner_url}"
        );
        anyhow::ensure!(
            queue[1].0 == "waiting" && queue[1].1.contains(&address(&other_url)),
            "{queue:?}: the other is {other_url}"
        );
        b.screenshot("fleet-page").await?;
        Ok(())
    })
    .await;
    drop(first);
    other.stop().await;
    owner.stop().await;
}

#[tokio::test]
async fn a_classroom_made_on_one_server_knows_its_teacher_through_any_other() {
    let servers = [spawn_app().await, spawn_app().await, spawn_app().await];
    let (room, key) = servers[0].new_classroom().await;
    let hello = |key: Option<&str>| match ClientMsg::hello(&room) {
        ClientMsg::Hello {
            protocol,
            room,
            viewer,
            student,
            ..
        } => ClientMsg::Hello {
            protocol,
            room,
            key: key.map(str::to_string),
            viewer,
            student,
        },
        other => other,
    };
    // The first page reaches the second server, which has never seen the classroom: it reads
    // it from ZooKeeper, and runs the room.
    let teacher = Viewer::join_room_with(servers[1].server.addr(), &hello(Some(&key))).await;
    assert_eq!(teacher.you.as_ref().unwrap().member.role, Role::Teacher);
    assert_eq!(runs_on(&teacher), Some(servers[1].http_url()));
    assert_eq!(teacher.view.classroom.kind, RoomKind::Classroom);
    // A student and a wrong key through the third, forwarded to the second.
    let student = Viewer::join_room_with(servers[2].server.addr(), &hello(None)).await;
    assert_eq!(student.you.as_ref().unwrap().member.role, Role::Student);
    let wrong = Viewer::join_room_with(servers[2].server.addr(), &hello(Some("0000"))).await;
    assert_eq!(wrong.you.as_ref().unwrap().member.role, Role::Viewer);
    assert!(
        wrong
            .errors
            .iter()
            .any(|(code, _)| *code == ErrorCode::Forbidden),
        "{:?}",
        wrong.errors
    );
    // The fleet keeps the key's digest, never the key.
    let raw = RawSession::connect(&zookeeper::connect_string()).await;
    let path = shared::fleet::classroom_node(&room);
    let (record, _) = raw.again(|| raw.client.get_data(&path)).await;
    let record = String::from_utf8(record).unwrap();
    assert!(!record.contains(&key), "{record}");
    assert!(record.contains("key_sha256"), "{record}");
    drop((teacher, student, wrong));
    for server in servers {
        server.stop().await;
    }
}
