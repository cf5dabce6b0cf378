//! Time in the teacher's hands, on a real ZooKeeper: step mode lets one move go per Next,
//! a chosen move goes first, the snapshot carries the waiting moves, back to live they all go,
//! and ZooKeeper itself never waits.

use shared::{
    ClientId, ClientMsg, ClientPhase, LockRecipeKind, MoveId, MoveKind, PendingMove, RoomEvent,
    RoomView, SessionStatus, TimeMode, DEFAULT_SLOW_FACTOR,
};
use tests::{spawn_app, spawn_app_with, Viewer};

/// Step mode, once the room's own AppClient has printed its first line (so its moves are done).
async fn stepping(viewer: &mut Viewer) {
    viewer.until_app_client_settled().await;
    set_mode(viewer, TimeMode::Step).await;
}

async fn set_mode(viewer: &mut Viewer, mode: TimeMode) {
    viewer
        .send(&ClientMsg::SetTime {
            mode,
            slow_factor: DEFAULT_SLOW_FACTOR,
        })
        .await;
    viewer
        .until("the mode to change", |view, _| {
            (view.time.mode == mode).then_some(())
        })
        .await;
}

fn released(history: &[(u64, RoomEvent)]) -> Vec<(MoveId, ClientId)> {
    history
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::MoveReleased { id, client } => Some((*id, *client)),
            _ => None,
        })
        .collect()
}

/// A client is at rest when it has no move waiting and waits on ZooKeeper (a watch or a hold)
/// or has left.
fn at_rest(view: &RoomView, client: ClientId) -> bool {
    if view.time.pending_of(client).is_some() {
        return false;
    }
    match view.client(client) {
        None => true,
        Some(c) => c.watching.is_some() || c.phase == ClientPhase::Holding,
    }
}

/// Presses Next (or clicks `chosen`) and waits until the move it let go has played out: its
/// client's next move waits, or the client rests. Returns the move that went.
async fn next(viewer: &mut Viewer, chosen: Option<MoveId>) -> PendingMove {
    let before = released(&viewer.history).len();
    // A client at rest for a moment may have its next move on the way.
    viewer
        .until("a move waiting", |view, _| {
            (!view.time.pending.is_empty()).then_some(())
        })
        .await;
    let moving = match chosen {
        Some(id) => viewer.view.time.pending.iter().find(|m| m.id == id),
        None => viewer.view.time.pending.first(),
    }
    .cloned()
    .expect("a move to let go");
    viewer.send(&ClientMsg::StepNext { id: chosen }).await;
    viewer
        .until("the move to go and play out", |view, history| {
            let now = released(history);
            (now.len() > before && now[before].0 == moving.id).then_some(())?;
            let next = view.time.pending_of(moving.client).map(|m| m.id);
            (next.is_some_and(|id| id > moving.id) || at_rest(view, moving.client)).then_some(())
        })
        .await;
    assert_eq!(
        released(&viewer.history).len(),
        before + 1,
        "one press let exactly one move go"
    );
    moving
}

/// Waits until `n` moves wait.
async fn until_pending(viewer: &mut Viewer, n: usize) {
    viewer
        .until(&format!("{n} waiting moves"), |view, _| {
            (view.time.pending.len() == n).then_some(())
        })
        .await;
}

#[tokio::test]
async fn in_step_mode_each_next_lets_exactly_one_move_go() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    stepping(&mut viewer).await;
    viewer.add_lock_client().await;
    viewer.add_lock_client().await;
    until_pending(&mut viewer, 2).await;
    // ZooKeeper has nothing of theirs yet: their creates wait.
    assert!(viewer.view.locks.nodes.is_empty());
    let kinds: Vec<MoveKind> = viewer.view.time.pending.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, vec![MoveKind::Create, MoveKind::Create]);

    // create, create, getChildren, getChildren, write (the holder), getData (the waiter).
    let mut went = Vec::new();
    for _ in 0..6 {
        went.push(next(&mut viewer, None).await.kind);
    }
    assert_eq!(
        went,
        vec![
            MoveKind::Create,
            MoveKind::Create,
            MoveKind::GetChildren,
            MoveKind::GetChildren,
            MoveKind::Write,
            MoveKind::GetData,
        ]
    );
    let holder = viewer.view.holders().next().expect("a holder").id;
    let waiter = viewer
        .view
        .locks
        .clients
        .iter()
        .find(|c| c.watching.is_some())
        .expect("a waiter")
        .id;
    assert_ne!(holder, waiter);
    assert!(
        viewer.view.time.pending.is_empty(),
        "both rest on ZooKeeper"
    );
    // A press with nothing waiting is refused, and nothing moves.
    viewer.send(&ClientMsg::StepNext { id: None }).await;
    assert_eq!(viewer.next_error().await, shared::ErrorCode::InvalidState);
    assert_eq!(released(&viewer.history).len(), 6);

    // Every released move's result came before the next move went: between two releases,
    // the client that moved published something.
    let history = &viewer.history;
    let releases: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, (_, e))| matches!(e, RoomEvent::MoveReleased { .. }))
        .map(|(i, _)| i)
        .collect();
    for pair in releases.windows(2) {
        let RoomEvent::MoveReleased { client, .. } = &history[pair[0]].1 else {
            unreachable!()
        };
        let acted = history[pair[0] + 1..pair[1]]
            .iter()
            .any(|(_, e)| event_client(e) == Some(*client));
        assert!(
            acted,
            "client {client}'s move showed no result before the next one went"
        );
    }
    app.stop().await;
}

fn event_client(event: &RoomEvent) -> Option<ClientId> {
    match event {
        RoomEvent::NodeCreatedByClient { client, .. }
        | RoomEvent::ChildrenListed { client, .. }
        | RoomEvent::WatchSet { client, .. }
        | RoomEvent::LockGained { client, .. }
        | RoomEvent::ResourceWritten { client, .. }
        | RoomEvent::MovePending {
            pending: PendingMove { client, .. },
        } => Some(*client),
        _ => None,
    }
}

#[tokio::test]
async fn a_late_viewer_sees_the_mode_and_the_waiting_moves_and_live_lets_them_go_in_order() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    stepping(&mut viewer).await;
    for _ in 0..3 {
        viewer.add_lock_client().await;
    }
    until_pending(&mut viewer, 3).await;
    let waiting: Vec<MoveId> = viewer.view.time.pending.iter().map(|m| m.id).collect();

    let late = app.viewer().await;
    assert_eq!(late.view.time.mode, TimeMode::Step);
    assert_eq!(late.view.time.pending, viewer.view.time.pending);

    let before = viewer.history.len();
    set_mode(&mut viewer, TimeMode::Live).await;
    let drained: Vec<MoveId> = released(&viewer.history[before..])
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        drained, waiting,
        "back to live, every waiting move went, oldest first"
    );
    // Live again: the queue forms by itself.
    viewer
        .until("one holder and two waiters", |view, _| {
            let waiters = view.locks.armed();
            (view.holders().count() == 1 && waiters == 2 && view.locks.nodes.len() == 3)
                .then_some(())
        })
        .await;
    assert!(viewer.view.time.pending.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_naive_recipes_two_holders_come_from_chosen_moves_alone() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    viewer
        .send(&ClientMsg::SetRecipe {
            recipe: LockRecipeKind::PredecessorNaive,
        })
        .await;
    viewer
        .until("the naive recipe", |view, _| {
            (view.recipe == LockRecipeKind::PredecessorNaive).then_some(())
        })
        .await;
    stepping(&mut viewer).await;
    for _ in 0..3 {
        viewer.add_lock_client().await;
    }
    until_pending(&mut viewer, 3).await;
    // The three creates, in order, then the three listings.
    for _ in 0..6 {
        next(&mut viewer, None).await;
    }
    // Client 1 writes as it gains the lock; clients 2 and 3 are about to watch. Choose: the
    // third client's watch first, then the second's, then the holder's write.
    // The queue's order is the order the creates went.
    let view = &viewer.view;
    let queue: Vec<ClientId> = view
        .locks
        .nodes
        .iter()
        .filter_map(|n| view.owner(n).map(|c| c.id))
        .collect();
    let [first, second, third] = queue[..] else {
        panic!("three clients queued, got {queue:?}");
    };
    let move_of = |view: &RoomView, client| view.time.pending_of(client).map(|m| m.id);
    let third_watch = move_of(&viewer.view, third).expect("the third client's watch");
    assert_eq!(
        next(&mut viewer, Some(third_watch)).await.kind,
        MoveKind::GetData
    );
    let second_watch = move_of(&viewer.view, second).expect("the second client's watch");
    assert_eq!(
        next(&mut viewer, Some(second_watch)).await.kind,
        MoveKind::GetData
    );
    assert_eq!(next(&mut viewer, None).await.kind, MoveKind::Write);
    assert_eq!(viewer.view.holders().next().map(|c| c.id), Some(first));

    // The waiter in the middle crashes (at once, in step mode too). ZooKeeper deletes its
    // node and notifies the third client, whose notification waits, unread.
    viewer.send(&ClientMsg::Crash { client: second }).await;
    viewer
        .until("the third client's notification waiting", |view, _| {
            let unread = view.time.unread(third)?;
            (unread.kind == MoveKind::Notification).then_some(())
        })
        .await;
    assert!(viewer.view.locks.violations.is_empty());
    // Let it be read: the naive client takes the notification for the lock.
    next(&mut viewer, None).await;
    viewer
        .until("the violation", |view, _| {
            view.locks.violations.first().cloned()
        })
        .await;
    let violation = &viewer.view.locks.violations[0];
    assert_eq!((violation.first, violation.second), (first, third));
    app.stop().await;
}

#[tokio::test]
async fn a_client_held_in_step_mode_for_three_session_timeouts_keeps_its_session() {
    let timeout = std::time::Duration::from_millis(2000);
    let app = spawn_app_with(|s| s.zk.session_timeout = timeout).await;
    let mut viewer = app.viewer().await;
    stepping(&mut viewer).await;
    viewer.add_lock_client().await;
    until_pending(&mut viewer, 1).await;
    let client = viewer.view.locks.clients[0].id;
    let session = viewer.view.locks.clients[0].session.expect("connected");
    // The point is time passing: ZooKeeper keeps the session while its client waits.
    tokio::time::sleep(3 * timeout).await;
    next(&mut viewer, None).await;
    viewer
        .until("the client's node", |view, _| {
            view.locks
                .nodes
                .iter()
                .any(|n| n.owner_session() == Some(session))
                .then_some(())
        })
        .await;
    let expired = viewer.history.iter().any(|(_, e)| {
        matches!(e, RoomEvent::SessionChanged { client: c, state: SessionStatus::Expired, .. } if *c == client)
            || matches!(e, RoomEvent::ClientClosed { client: c, .. } if *c == client)
    });
    assert!(!expired, "the waiting client lost its session");
    app.stop().await;
}

#[tokio::test]
async fn in_slow_motion_moves_go_on_their_own_after_their_delay_and_holds_stretch() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.until_app_client_settled().await;
    let factor = 2;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 200 }).await;
    viewer
        .send(&ClientMsg::SetTime {
            mode: TimeMode::Slow,
            slow_factor: factor,
        })
        .await;
    viewer.add_lock_client().await;
    viewer
        .until("the client to finish by itself", |_, history| {
            history
                .iter()
                .any(|(_, e)| matches!(e, RoomEvent::ClientClosed { .. }))
                .then_some(())
        })
        .await;
    let delay = shared::SLOW_MOVE_MS * u64::from(factor);
    let at = |seq: u64| {
        viewer
            .view
            .log
            .iter()
            .find(|l| l.seq == seq)
            .map(|l| l.at_ms)
            .expect("in the log")
    };
    let mut waited = Vec::new();
    for (seq, event) in &viewer.history {
        if let RoomEvent::MoveReleased { id, .. } = event {
            let pending = viewer.history.iter().find_map(|(s, e)| match e {
                RoomEvent::MovePending { pending } if pending.id == *id => Some((*s, pending)),
                _ => None,
            });
            let (_, pending) = pending.expect("released moves were pending");
            // The gate's own clock: due its delay after it began to wait (the event that says
            // so may be stamped a millisecond later).
            assert_eq!(pending.due_ms, Some(pending.since_ms + delay));
            waited.push(at(*seq) - pending.since_ms);
        }
    }
    // create, getChildren, write, hold over, write, delete: each waited its delay.
    assert_eq!(waited.len(), 6, "{waited:?}");
    assert!(waited.iter().all(|w| *w >= delay), "{waited:?} < {delay}");
    let gained = viewer
        .history
        .iter()
        .find(|(_, e)| matches!(e, RoomEvent::LockGained { .. }))
        .map(|(s, _)| at(*s))
        .unwrap();
    let hold_over = viewer
        .history
        .iter()
        .find(|(_, e)| {
            matches!(e, RoomEvent::MovePending { pending } if pending.kind == MoveKind::HoldOver)
        })
        .map(|(s, _)| at(*s))
        .unwrap();
    assert!(
        hold_over - gained >= 200 * u64::from(factor),
        "a 200 ms hold lasted {} ms in slow motion ×{factor}",
        hold_over - gained
    );
    app.stop().await;
}

#[tokio::test]
async fn in_slow_motion_the_room_makes_one_move_at_a_time_whichever_client() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.until_app_client_settled().await;
    let factor = 2;
    viewer
        .send(&ClientMsg::SetTime {
            mode: TimeMode::Slow,
            slow_factor: factor,
        })
        .await;
    for _ in 0..3 {
        viewer.send(&ClientMsg::AddLockClient).await;
    }
    viewer
        .until("three clients queued", |view, _| {
            (view.locks.nodes.len() == 3).then_some(())
        })
        .await;
    // Every move the gate scheduled, whichever client's: a delay apart, never together.
    let delay = shared::SLOW_MOVE_MS * u64::from(factor);
    let mut due: Vec<u64> = viewer
        .history
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::MovePending { pending } => pending.due_ms,
            _ => None,
        })
        .collect();
    let clients: std::collections::BTreeSet<_> = viewer
        .history
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::MovePending { pending } => Some(pending.client),
            _ => None,
        })
        .collect();
    assert!(clients.len() >= 3, "moves of {clients:?}");
    due.sort_unstable();
    assert!(
        due.windows(2).all(|w| w[1] - w[0] >= delay),
        "moves due closer than {delay} ms: {due:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_release_asked_for_while_the_holder_waits_at_the_gate_is_kept() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    stepping(&mut viewer).await;
    viewer.add_lock_client().await;
    until_pending(&mut viewer, 1).await;
    next(&mut viewer, None).await; // create
    next(&mut viewer, None).await; // getChildren: it holds, its first write waits
    let holder = viewer
        .until("the holder's first write waiting", |view, _| {
            let holder = view.holders().next()?.id;
            (view.time.pending_of(holder)?.kind == MoveKind::Write).then_some(holder)
        })
        .await;
    viewer.send(&ClientMsg::Release { client: holder }).await;
    // The write goes; the Release asked for meanwhile ends the hold (hold 0 would last
    // forever): the last write, then the delete.
    let went: Vec<MoveKind> = [
        next(&mut viewer, None).await.kind,
        next(&mut viewer, None).await.kind,
        next(&mut viewer, None).await.kind,
    ]
    .into();
    assert_eq!(went, [MoveKind::Write, MoveKind::Write, MoveKind::Delete]);
    viewer
        .until("the holder to finish", |view, _| {
            view.client(holder).is_none().then_some(())
        })
        .await;
    assert!(viewer.errors.is_empty(), "{:?}", viewer.errors);
    app.stop().await;
}
