//! Recordings over HTTP, against real rooms: a room's recording replays to the views the live
//! room sent at its events (seeded random histories); a stored recording comes back byte for
//! byte; bad, oversized, unauthorised and one-too-many uploads are refused.

use shared::recording::{Recording, Replay};
use shared::{ClientId, ClientMsg, RoomView, ServerMsg};
use tests::{http, TestApp, Viewer};

/// A small xorshift: the histories are random but each seed is the same history of intents.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn recording_of(app: &TestApp, room: &str) -> String {
    let (status, body) = http(
        app.server.addr(),
        "GET",
        &format!("/rooms/{room}/recording"),
        b"",
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    String::from_utf8(body).expect("a recording is text")
}

/// One of the room's intents, picked by `rng`, aimed at a client the view has.
fn intent(rng: &mut Seeded, view: &RoomView) -> ClientMsg {
    let clients: Vec<ClientId> = view.locks.clients.iter().map(|c| c.id).collect();
    let some = |rng: &mut Seeded| clients[rng.below(clients.len() as u64) as usize];
    match (rng.below(8), clients.is_empty()) {
        (0..=2, _) | (_, true) => ClientMsg::AddLockClient,
        (3, false) => ClientMsg::Crash { client: some(rng) },
        (4, false) => ClientMsg::Kill { client: some(rng) },
        (5, false) => ClientMsg::Release { client: some(rng) },
        (6, false) => ClientMsg::Pause {
            client: some(rng),
            ms: 200,
        },
        _ => ClientMsg::AddServer { name: None },
    }
}

#[tokio::test]
async fn a_rooms_recording_replays_to_the_view_the_live_room_sent_at_every_event() {
    // The room keeps 120 events: each history outgrows it, so its recording starts from a view
    // the room folded its older events into.
    let app = tests::spawn_app_with(|s| {
        s.limits.max_messages_per_sec = 100_000;
        s.zk.session_timeout = std::time::Duration::from_millis(3000);
        s.history_events = 120;
    })
    .await;
    for seed in [7_u64, 1234, 99_991] {
        let room = format!("{}-{seed}", app.room);
        let mut driver = Viewer::join(app.server.addr(), &room).await;
        driver.send(&ClientMsg::SetHoldMs { hold_ms: 150 }).await;
        // One checker folds every event the room sends into the view it was sent; another asks
        // for the room as the server has it after each event it hears of (a resync skips what
        // the snapshot holds, so the two cannot be one).
        let mut folder = Viewer::join(app.server.addr(), &room).await;
        let mut asker = Viewer::join(app.server.addr(), &room).await;
        // Told the last event of the recording, the folder reads on to it.
        let (until_tx, mut until) = tokio::sync::watch::channel(None::<u64>);
        let folding = tokio::spawn(async move {
            let mut folded: Vec<RoomView> = vec![folder.view.clone()];
            loop {
                if until.borrow().is_some_and(|last| folder.view.seq >= last) {
                    break;
                }
                tokio::select! {
                    _ = until.changed() => {}
                    msg = folder.next() => if let ServerMsg::Event { seq, at_ms, event } = msg {
                        folder.view.apply(seq, at_ms, &event);
                        folded.push(folder.view.clone());
                    },
                }
            }
            folded
        });
        let (stop_tx, mut stopped) = tokio::sync::watch::channel(false);
        let asking = tokio::spawn(async move {
            let mut snapshots: Vec<RoomView> = Vec::new();
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    msg = asker.next() => match msg {
                        ServerMsg::Event { .. } => asker.send(&ClientMsg::Resync).await,
                        ServerMsg::Snapshot { view } => snapshots.push(*view),
                        _ => {}
                    },
                }
            }
            snapshots
        });
        let mut rng = Seeded(seed);
        // Intents until the room has sent more than it keeps (at most 200 of them).
        for _ in 0..200 {
            if driver.view.seq > 150 {
                break;
            }
            let msg = intent(&mut rng, &driver.view);
            // Answered with the room as it is then, which the next intent aims at.
            driver.answers_to(&msg).await;
        }
        // Settled: the last of the holds and pauses over.
        driver
            .until("the queue drained or settled", |view, _| {
                view.time.pending.is_empty().then_some(())
            })
            .await;
        let text = recording_of(&app, &room).await;
        let replay = Replay::new(Recording::parse(&text).expect("the room's recording reads back"));
        let start = replay.recording.start.seq;
        let end = start + replay.len() as u64;
        let _ = until_tx.send(Some(end));
        let _ = stop_tx.send(true);
        let (mut folded, snapshots) = (folding.await.unwrap(), asking.await.unwrap());
        assert!(
            start > 0,
            "seed {seed}: the history never outgrew the room's 120 events"
        );
        folded.retain(|v| (start..=end).contains(&v.seq));
        // A replay also draws the timeline, which no viewer is sent: the room is the rest.
        let after = |view: &RoomView| RoomView {
            spacetime: None,
            ..replay.view_after((view.seq - start) as usize)
        };
        // Every event the room sent, one by one: the replay is the room as it was sent.
        let (first, last) = (folded[0].seq, folded[folded.len() - 1].seq);
        assert_eq!(
            folded.len() as u64,
            last - first + 1,
            "seed {seed}: the checker missed events"
        );
        assert_eq!(
            (first, last),
            (start, end),
            "seed {seed}: the recording is elsewhere"
        );
        for view in &folded {
            assert_eq!(
                &after(view),
                view,
                "seed {seed}: the view after event {}",
                view.seq
            );
        }
        // And the room as the server itself had it, wherever the checker asked.
        for snapshot in snapshots.iter().filter(|s| (start..=end).contains(&s.seq)) {
            assert_eq!(
                &after(snapshot),
                snapshot,
                "seed {seed}: the server's view at {}",
                snapshot.seq
            );
        }
        assert_eq!(
            replay.len(),
            120,
            "seed {seed}: the room keeps its last 120 events"
        );
        assert!(
            snapshots.len() >= 10,
            "seed {seed}: {} snapshots",
            snapshots.len()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_stored_recording_comes_back_byte_for_byte_and_bad_uploads_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let app = tests::spawn_app_with(move |s| {
        s.data_dir = Some(dir);
        s.max_recordings = 2;
        s.max_recording_bytes = 256 * 1024;
    })
    .await;
    let addr = app.server.addr();
    let mut viewer = app.viewer().await;
    let (_holder, _waiter) = viewer.holder_and_waiter().await;
    let text = recording_of(&app, &app.room).await;
    let recording = Recording::parse(&text).expect("a recording");
    assert_eq!(recording.header.room, app.room);
    assert!(
        recording.events.len() >= 10,
        "{} events",
        recording.events.len()
    );

    // An upload, then the room's own: each served back exactly as kept.
    let store = format!("/recordings?room={}", app.room);
    let (status, body) = http(addr, "POST", &store, text.as_bytes()).await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let stored: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let url = stored["url"].as_str().unwrap().to_string();
    assert_eq!(stored["replay"], format!("/?replay={url}"));
    let (status, back) = http(addr, "GET", &url, b"").await;
    assert_eq!(status, 200);
    assert_eq!(back, text.as_bytes(), "served back byte for byte");
    let (status, body) = http(addr, "POST", &store, b"").await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let own: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let (_, own_back) = http(addr, "GET", own["url"].as_str().unwrap(), b"").await;
    Recording::parse(std::str::from_utf8(&own_back).unwrap()).expect("the room's own recording");

    // Refused: a third (the limit is two), garbage, one over the size, a classroom's without
    // its key, a path out of the folder, a room that does not run.
    let (status, _) = http(addr, "POST", &store, text.as_bytes()).await;
    assert_eq!(status, 507);
    let (status, body) = http(addr, "POST", &store, b"{\"not\": \"a recording\"}").await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let big = vec![b'x'; 256 * 1024 + 10];
    let (status, _) = http(addr, "POST", &store, &big).await;
    assert_eq!(status, 413);
    let (room, _key) = app.new_classroom().await;
    let (status, _) = http(
        addr,
        "POST",
        &format!("/recordings?room={room}&key=nope"),
        text.as_bytes(),
    )
    .await;
    assert_eq!(status, 403);
    for bad in [
        "/recordings/..%2Fclassrooms.json",
        "/recordings/0000000000000000",
    ] {
        assert_eq!(http(addr, "GET", bad, b"").await.0, 404, "{bad}");
    }
    assert_eq!(
        http(addr, "GET", "/rooms/no-such-room/recording", b"")
            .await
            .0,
        404
    );
    drop(viewer);
    app.stop().await;
}
