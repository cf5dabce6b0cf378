//! A learner's own recipe on a real ZooKeeper: checked by the server's model checker, run on the
//! room's lock clients, its bad code answered with typed errors while the room goes on.

use shared::recipe::{
    BudgetKind, Failure, RecipeErrorKind, RecipeTemplate, Verdict, VerdictStatus,
};
use shared::{ClientId, ClientMsg, CloseReason, ErrorCode, LockRecipeKind, RoomEvent, RoomView};
use tests::zookeeper::RawSession;
use tests::{spawn_app, Viewer};

/// Checks `source` in the viewer's room and waits for the verdict on exactly it.
async fn check(viewer: &mut Viewer, source: &str) -> Verdict {
    viewer
        .send(&ClientMsg::CheckRecipe {
            source: source.into(),
        })
        .await;
    viewer
        .until("the check's verdict", |view, _| {
            let checked = view.script.checked.as_ref()?;
            (checked.source == source).then(|| checked.verdict.clone())
        })
        .await
}

/// Runs `source` on the room's lock clients and waits until the room has switched to it.
async fn run(viewer: &mut Viewer, source: &str) {
    viewer
        .send(&ClientMsg::RunRecipe {
            source: source.into(),
        })
        .await;
    viewer
        .until("the room's own recipe", |view, _| {
            let loaded = view.script.source.as_deref() == Some(source);
            (loaded && view.recipe == LockRecipeKind::Script && view.locks.clients.is_empty())
                .then_some(())
        })
        .await;
}

#[tokio::test]
async fn the_templates_checked_over_the_socket_give_the_built_in_verdicts() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let naive = check(&mut viewer, RecipeTemplate::PredecessorNaive.source()).await;
    assert_eq!(naive.status, VerdictStatus::Unsafe, "{naive:?}");
    assert_eq!(naive.failure, Some(Failure::TwoHolders));
    assert_eq!((naive.clients, naive.moves.len()), (3, 8), "{naive:?}");
    let fixed = check(&mut viewer, RecipeTemplate::Predecessor.source()).await;
    assert_eq!(fixed.status, VerdictStatus::Safe, "{fixed:?}");
    assert_eq!(fixed.clients, 4);
    assert_eq!(fixed.herd.map(|h| h.notifications), Some(1));
    let herd = check(&mut viewer, RecipeTemplate::ChildrenWatch.source()).await;
    assert_eq!(herd.status, VerdictStatus::Safe, "{herd:?}");
    assert_eq!(herd.herd.map(|h| h.notifications), Some(3));
    // Every viewer of the room sees the verdict: it is the room's.
    let other = app.viewer().await;
    let seen = other
        .view
        .script
        .checked
        .as_ref()
        .expect("a verdict in the snapshot");
    assert_eq!(seen.source, RecipeTemplate::ChildrenWatch.source());
    app.stop().await;
}

#[tokio::test]
async fn a_second_check_from_one_address_is_busy_until_the_first_answers() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    let first = ClientMsg::CheckRecipe {
        source: RecipeTemplate::Predecessor.source().into(),
    };
    // The first is still exploring four clients when the second arrives, milliseconds later.
    viewer.send(&first).await;
    let answers = viewer.answers_to(&first).await;
    assert_eq!(answers, vec![ErrorCode::Busy]);
    let verdict = viewer
        .until("the first check's verdict", |view, _| {
            view.script.checked.as_ref().map(|c| c.verdict.clone())
        })
        .await;
    assert_eq!(verdict.status, VerdictStatus::Safe);
    // Once it answered, the address may check again.
    let again = check(&mut viewer, "fn on_connected() { gain_lock(); }").await;
    assert_eq!(again.status, VerdictStatus::Unsafe);
    app.stop().await;
}

#[tokio::test]
async fn a_fixed_recipe_runs_live_through_a_crashed_waiter_with_one_holder() {
    let app = spawn_app().await;
    let raw = RawSession::connect(&app.server_zk()).await;
    let mut viewer = app.viewer().await;
    run(&mut viewer, RecipeTemplate::Predecessor.source()).await;
    let queue = viewer.queue_up(4).await;
    // Each call names the line of the learner's recipe that made it.
    assert!(
        viewer.view.locks.clients.iter().all(|c| c.line.is_some()),
        "{:?}",
        viewer.view.locks.clients
    );
    viewer.send(&ClientMsg::Crash { client: queue[2] }).await;
    viewer
        .until(
            "the last waiter to watch the holder's successor",
            |view, _| {
                let watching = view.client(queue[3])?.watching.as_ref()?;
                let second = view.client(queue[1])?.path.as_deref()?;
                (watching.path == second && view.locks.nodes.len() == 3).then_some(())
            },
        )
        .await;
    assert_eq!(
        viewer.view.holders().count(),
        1,
        "one holder, as the fix promises"
    );
    assert!(viewer.view.locks.violations.is_empty());
    // The picture is ZooKeeper's truth: the nodes a separate session reads.
    let room = &viewer.view.room;
    let mut names = raw
        .again(|| raw.client.list_children(&format!("/zkplay/{room}/locks")))
        .await;
    names.sort();
    let shown: Vec<String> = (viewer.view.locks.nodes.iter())
        .map(|n| n.path.trim_start_matches("/locks/").to_string())
        .collect();
    assert_eq!(names, shown);
    app.stop().await;
}

/// Adds `n` lock clients with hold time 0, each once the queue has settled after the one
/// before (every waiter has listed every node and armed its watch again), so that ZooKeeper's
/// timing cannot order two runs differently; the clients in queue order.
async fn queue_one_by_one(viewer: &mut Viewer, n: usize) -> Vec<ClientId> {
    viewer.send(&ClientMsg::SetHoldMs { hold_ms: 0 }).await;
    let mut queue = Vec::new();
    for k in 1..=n {
        viewer.add_lock_client().await;
        let last = viewer
            .until("the queue settled", |view: &RoomView, history| {
                let listed = |c: ClientId| {
                    history.iter().rev().find_map(|(_, e)| match e {
                        RoomEvent::ChildrenListed { client, total, .. } if *client == c => {
                            Some(*total as usize)
                        }
                        _ => None,
                    })
                };
                let settled = view.locks.nodes.len() == k
                    && view.locks.clients.len() == k
                    && view.holders().count() == 1
                    && view.locks.clients.iter().all(|c| {
                        c.phase == shared::ClientPhase::Holding
                            || (c.watching.is_some() && listed(c.id) == Some(k))
                    });
                settled.then(|| view.locks.clients.iter().map(|c| c.id).max())?
            })
            .await;
        queue.push(last);
    }
    queue
}

/// What a client's recipe did, in order, so that two runs compare: its calls and their answers,
/// its watches, its hold (not the session's state, nor the room's judgement of its writes,
/// whose moments the recipe does not choose).
fn story(history: &[(u64, RoomEvent)], client: ClientId) -> Vec<String> {
    let recipes = |e: &RoomEvent| {
        !matches!(
            e,
            RoomEvent::SessionChanged { .. } | RoomEvent::ResourceWritten { .. }
        )
    };
    history
        .iter()
        .filter(|(_, e)| e.client() == Some(client) && recipes(e))
        .map(|(_, e)| match e {
            RoomEvent::CallSent { op, .. } => format!("call {op:?}"),
            RoomEvent::CallAnswered { op, reply, .. } => format!("answer {op:?} {reply:?}"),
            RoomEvent::WatchSet { call, .. } => format!("watch {call:?}"),
            RoomEvent::WatchFired { event, .. } => format!("fired {event:?}"),
            RoomEvent::ClientClosed { reason, .. } => format!("closed {reason:?}"),
            other => serde_json::to_value(other).expect("an event")["kind"].to_string(),
        })
        .collect()
}

#[tokio::test]
async fn a_template_run_live_tells_the_story_its_built_in_recipe_tells() {
    let app = spawn_app().await;
    let mut stories = Vec::new();
    for own in [false, true] {
        let mut viewer = app.viewer().await;
        if own {
            run(&mut viewer, RecipeTemplate::ChildrenWatch.source()).await;
        } else {
            let recipe = LockRecipeKind::ChildrenWatch;
            viewer.send(&ClientMsg::SetRecipe { recipe }).await;
            viewer
                .until("the switch", |view, _| {
                    (view.recipe == recipe).then_some(())
                })
                .await;
        }
        let queue = queue_one_by_one(&mut viewer, 3).await;
        viewer.send(&ClientMsg::Release { client: queue[0] }).await;
        let history = viewer
            .until("the lock handed to the second", |view, history| {
                let holder = view.holders().next().map(|c| c.id);
                let settled = view.client(queue[0]).is_none() && view.locks.armed() == 1;
                (settled && holder == Some(queue[1])).then(|| history.to_vec())
            })
            .await;
        stories.push(
            queue
                .iter()
                .map(|c| story(&history, *c))
                .collect::<Vec<_>>(),
        );
    }
    // The third, a waiter too, was told of the holder's leaving: the herd, told both ways.
    let fired = |story: &Vec<String>| story.iter().filter(|e| e.starts_with("fired")).count();
    assert_eq!(fired(&stories[0][2]), 1, "{:?}", stories[0][2]);
    assert_eq!(stories[0], stories[1]);
    app.stop().await;
}

#[tokio::test]
async fn bad_code_is_answered_with_typed_errors_while_the_room_goes_on() {
    let app = spawn_app().await;
    let mut viewer = app.viewer().await;
    // Refused before it runs: it does not compile.
    let answers = (viewer.answers_to(&ClientMsg::RunRecipe {
        source: "fn on_connected( {".into(),
    }))
    .await;
    assert_eq!(answers, vec![ErrorCode::BadRecipe]);
    assert_ne!(viewer.view.recipe, LockRecipeKind::Script);
    // Checked: each kind named, at its line.
    let endless = "fn on_connected() {\n  loop {}\n}";
    let verdict = check(&mut viewer, endless).await;
    let error = verdict.error.expect("an error");
    assert_eq!(
        (error.kind, error.budget),
        (RecipeErrorKind::Budget, Some(BudgetKind::Operations))
    );
    // Run live, a handler past its budget ends its own client, not the room.
    let runaway = "fn on_connected() { create(\"/locks/sub\", EPHEMERAL_SEQUENTIAL); }\n\
                   fn on_create(path) { let s = \"x\"; loop { s += s; } }";
    run(&mut viewer, runaway).await;
    viewer.add_lock_client().await;
    let (client, message) = viewer
        .until("the client's error", |_, history| {
            history.iter().find_map(|(_, e)| match e {
                RoomEvent::ClientError { client, message } => Some((*client, message.clone())),
                _ => None,
            })
        })
        .await;
    assert!(message.contains("line 2"), "{message}");
    viewer
        .until("the client closed as failed", |view, history| {
            let closed = history.iter().any(|(_, e)| {
                matches!(e, RoomEvent::ClientClosed { client: c, reason: CloseReason::Failed } if *c == client)
            });
            (closed && view.client(client).is_none() && view.locks.nodes.is_empty()).then_some(())
        })
        .await;
    // The room goes on: back to a built-in recipe, a client holds.
    viewer
        .send(&ClientMsg::SetRecipe {
            recipe: LockRecipeKind::Predecessor,
        })
        .await;
    let queue = viewer.queue_up(1).await;
    assert_eq!(queue.len(), 1);
    app.stop().await;
}
