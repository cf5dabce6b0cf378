//! The three lock recipes on a real ZooKeeper: the crash bug caught, and the herd counted.

use shared::{ClientMsg, LockRecipeKind, RoomEvent, WatchCall};
use tests::{spawn_app, Viewer};

/// Switches the viewer's room to `recipe` and waits until it took effect.
async fn use_recipe(viewer: &mut Viewer, recipe: LockRecipeKind) {
    if viewer.view.recipe == recipe {
        return;
    }
    viewer.send(&ClientMsg::SetRecipe { recipe }).await;
    viewer
        .until("the recipe switch", |view, _| {
            (view.recipe == recipe).then_some(())
        })
        .await;
}

fn violations(history: &[(u64, RoomEvent)]) -> Vec<RoomEvent> {
    history
        .iter()
        .filter(|(_, e)| matches!(e, RoomEvent::Violation { .. }))
        .map(|(_, e)| e.clone())
        .collect()
}

#[tokio::test]
async fn a_crashed_waiter_makes_the_naive_recipe_give_two_holders() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    use_recipe(&mut viewer, LockRecipeKind::PredecessorNaive).await;
    let queue = viewer.queue_up(4).await;
    let paths = viewer.lock_paths();

    viewer.send(&ClientMsg::Crash { client: queue[2] }).await;
    let violation = viewer
        .until("a violation", |_, history| violations(history).pop())
        .await;
    assert_eq!(
        violation,
        RoomEvent::Violation {
            first: queue[0],
            first_path: paths[0].clone(),
            second: queue[3],
            second_path: paths[3].clone(),
        }
    );
    assert_eq!(
        viewer.view.holders().count(),
        2,
        "both believe they hold it"
    );
    assert_eq!(viewer.view.locks.violations.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_fixed_recipe_rewatches_and_never_gives_two_holders() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    use_recipe(&mut viewer, LockRecipeKind::Predecessor).await;
    let queue = viewer.queue_up(4).await;
    let paths = viewer.lock_paths();

    viewer.send(&ClientMsg::Crash { client: queue[2] }).await;
    viewer
        .until("the fourth to re-watch the second", |view, _| {
            let w = view.client(queue[3])?.watching.as_ref()?;
            (w.path == paths[1] && w.call == WatchCall::Exists).then_some(())
        })
        .await;
    // Drain the rest: release each holder in turn.
    for holder in [queue[0], queue[1], queue[3]] {
        viewer
            .until("the next holder", |view, _| {
                (view.holders().next()?.id == holder).then_some(())
            })
            .await;
        viewer.send(&ClientMsg::Release { client: holder }).await;
    }
    viewer
        .until("an empty queue", |view, _| {
            (view.locks.clients.is_empty() && view.locks.nodes.is_empty()).then_some(())
        })
        .await;
    assert_eq!(violations(&viewer.history), Vec::<RoomEvent>::new());
    app.stop().await;
}

/// Queues `n` clients, then drains the queue and returns the notifications the drain took, as
/// the room counts them, after checking that count against the events.
async fn drain(recipe: LockRecipeKind, n: usize) -> u64 {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    use_recipe(&mut viewer, recipe).await;
    viewer.queue_up(n).await;
    let before = viewer.view.herd.total;
    let history_before = viewer.history.len();
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 20 }).await;
    viewer
        .until("the queue to drain", |view, _| {
            (view.locks.clients.is_empty() && view.locks.nodes.is_empty()).then_some(())
        })
        .await;
    let counted = viewer.view.herd.total - before;
    let lock_clients_fired = viewer.history[history_before..]
        .iter()
        .filter(
            |(_, e)| matches!(e, RoomEvent::WatchFired { path, .. } if path.starts_with("/locks")),
        )
        .count() as u64;
    assert_eq!(counted, lock_clients_fired, "the counter is the events");
    assert_eq!(violations(&viewer.history), Vec::<RoomEvent>::new());
    app.stop().await;
    counted
}

#[tokio::test]
async fn draining_ten_waiters_takes_nine_notifications_with_the_predecessor_recipe() {
    assert_eq!(drain(LockRecipeKind::Predecessor, 10).await, 9);
}

#[tokio::test]
async fn draining_ten_waiters_with_a_children_watch_is_a_herd() {
    let n: u64 = 10;
    let herd = drain(LockRecipeKind::ChildrenWatch, n as usize).await;
    // Every deletion tells every waiter left: up to 9 + 8 + ... + 1 = 45. A waiter that has not
    // re-armed yet when the next deletion comes misses one, so allow a few fewer; what matters
    // is the order: far above the n - 1 of the predecessor recipe.
    assert!(
        herd > 3 * (n - 1) && herd <= n * (n - 1) / 2,
        "children-watch drain of {n} took {herd} notifications"
    );
}

#[tokio::test]
async fn switching_recipes_closes_the_lock_clients_and_every_viewer_follows() {
    let app = spawn_app().await;
    let mut a = app.viewer().await;
    let mut b = app.viewer().await;
    a.queue_up(3).await;
    a.send(&ClientMsg::SetRecipe {
        recipe: LockRecipeKind::ChildrenWatch,
    })
    .await;
    for viewer in [&mut a, &mut b] {
        viewer
            .until("the switch, with an empty queue", |view, _| {
                let done = view.recipe == LockRecipeKind::ChildrenWatch;
                (done && view.locks.clients.is_empty() && view.locks.nodes.is_empty()).then_some(())
            })
            .await;
    }
    // The new recipe runs: a waiter watches the children of /locks.
    a.queue_up(2).await;
    let watch = a
        .view
        .locks
        .clients
        .iter()
        .find_map(|c| c.watching.clone())
        .unwrap();
    assert_eq!(watch.path, "/locks");
    assert_eq!(watch.call, WatchCall::GetChildren);
    app.stop().await;
}
