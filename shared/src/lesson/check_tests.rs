//! Each check over recorded histories: one that passes, one that has not (yet), one that can
//! no longer pass.

use super::*;
use crate::ensemble::MemberView;
use crate::kinds::WatchedKind;
use crate::session::SessionId;
use crate::znode::Znode;

fn node(n: u32) -> String {
    format!("/locks/sub{n:010}")
}

/// A room built by applying events, with a clock.
#[derive(Clone)]
struct Room {
    view: RoomView,
    at_ms: u64,
}

impl Room {
    fn new(recipe: LockRecipeKind) -> Self {
        let mut room = Room {
            view: RoomView::new("t", 0),
            at_ms: 1_000,
        };
        room.apply(RoomEvent::RecipeChanged { recipe });
        room
    }

    fn apply(&mut self, event: RoomEvent) -> (u64, u64, RoomEvent) {
        let seq = self.view.seq + 1;
        self.view.apply(seq, self.at_ms, &event);
        (seq, self.at_ms, event)
    }

    /// Client `id` (session `id`) connects and creates lock node `id - 1`.
    fn join(&mut self, id: ClientId) {
        self.apply(RoomEvent::ClientAdded {
            client: id,
            owner: None,
        });
        self.apply(RoomEvent::ClientConnected {
            client: id,
            session: SessionId(id.into()),
            timeout_ms: 5000,
        });
        let path = node(id - 1);
        self.apply(RoomEvent::NodeCreatedByClient {
            client: id,
            path: path.clone(),
        });
        self.apply(RoomEvent::ZnodeAdded {
            node: Znode::read(path, id.into(), SessionId(id.into()), ""),
        });
    }

    /// `n` clients: client 1 holds, each other watches what the recipe watches.
    fn queue(recipe: LockRecipeKind, n: u32) -> Self {
        let mut room = Room::new(recipe);
        for id in 1..=n {
            room.join(id);
            if id == 1 {
                room.apply(gained(1));
            } else {
                let (path, call) = match recipe {
                    LockRecipeKind::ChildrenWatch => (LOCK_DIR.to_string(), WatchCall::GetChildren),
                    _ => (node(id - 2), WatchCall::GetData),
                };
                room.apply(RoomEvent::WatchSet {
                    client: id,
                    path,
                    call,
                });
            }
        }
        room
    }

    fn step(self, ensemble: EnsembleView) -> Run {
        Run {
            log: StepLog::new(self.view.clone(), ensemble.clone()),
            room: self,
            ensemble,
        }
    }
}

fn gained(client: ClientId) -> RoomEvent {
    RoomEvent::LockGained {
        client,
        path: node(client - 1),
    }
}

fn fired(client: ClientId, path: &str) -> RoomEvent {
    RoomEvent::WatchFired {
        client,
        path: path.to_string(),
        event: WatchedKind::NodeDeleted,
    }
}

fn closed(client: ClientId, reason: CloseReason) -> RoomEvent {
    RoomEvent::ClientClosed { client, reason }
}

fn removed(n: u32) -> RoomEvent {
    RoomEvent::ZnodeRemoved { path: node(n) }
}

/// One step's run: events go to the room and the step's log.
struct Run {
    log: StepLog,
    room: Room,
    ensemble: EnsembleView,
}

impl Run {
    fn on(&mut self, events: impl IntoIterator<Item = RoomEvent>) -> &mut Self {
        for event in events {
            let (seq, at, event) = self.room.apply(event);
            self.log.record(seq, at, &event);
        }
        self
    }

    fn after(&mut self, ms: u64) -> &mut Self {
        self.room.at_ms += ms;
        self
    }

    fn check(&self, check: &Check) -> Outcome {
        check.evaluate(&self.log, &self.room.view, &self.ensemble)
    }
}

fn passed(outcome: Outcome) -> Found {
    match outcome {
        Outcome::Passed(found) => found,
        other => panic!("expected a pass, got {other:?}"),
    }
}

fn waiting(outcome: Outcome) {
    assert!(matches!(outcome, Outcome::Waiting(_)), "{outcome:?}");
}

fn failed(outcome: Outcome) -> Why {
    match outcome {
        Outcome::Failed(why, _) => why,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn standalone() -> EnsembleView {
    EnsembleView::default()
}

fn ensemble(modes: [MemberMode; 3]) -> EnsembleView {
    EnsembleView {
        members: modes
            .iter()
            .enumerate()
            .map(|(i, mode)| MemberView {
                id: i as u32 + 1,
                address: format!("127.0.0.1:{}", 4180 + i),
                mode: *mode,
                connections: None,
                znodes: None,
                watches: None,
                outstanding: None,
            })
            .collect(),
        quorum: modes
            .iter()
            .filter(|m| matches!(m, MemberMode::Leader | MemberMode::Follower))
            .count()
            >= 2
            && modes.contains(&MemberMode::Leader),
        embedded: true,
        own: false,
    }
}

const P: LockRecipeKind = LockRecipeKind::Predecessor;
const NAIVE: LockRecipeKind = LockRecipeKind::PredecessorNaive;
const CHILDREN: LockRecipeKind = LockRecipeKind::ChildrenWatch;

#[test]
fn gained_names_the_client_and_its_node() {
    let mut run = Room::new(P).step(standalone());
    waiting(run.check(&Check::Gained));
    run.room.join(1);
    run.on([gained(1)]);
    let found = passed(run.check(&Check::Gained));
    assert_eq!((found.client, found.node), (Some(1), Some(node(0))));

    let mut gone = Room::new(P).step(standalone());
    gone.on([
        RoomEvent::ClientAdded {
            client: 1,
            owner: None,
        },
        closed(1, CloseReason::Crashed),
    ]);
    assert_eq!(failed(gone.check(&Check::Gained)), Why::ClientGone);
}

#[test]
fn queued_wants_each_waiter_on_the_node_before_its_own() {
    let run = Room::queue(P, 3).step(standalone());
    let found = passed(run.check(&Check::Queued { waiters: 2 }));
    assert_eq!(found.client, Some(3));
    assert_eq!(found.watched, Some(node(1)));
    assert_eq!(found.other, Some(1));
    waiting(run.check(&Check::Queued { waiters: 3 }));

    // A waiter that watches the holder instead of its predecessor is not the recipe.
    let mut wrong = Room::queue(P, 2);
    wrong.join(3);
    wrong.apply(RoomEvent::WatchSet {
        client: 3,
        path: node(0),
        call: WatchCall::GetData,
    });
    waiting(
        wrong
            .step(standalone())
            .check(&Check::Queued { waiters: 2 }),
    );

    let children = Room::queue(CHILDREN, 10).step(standalone());
    assert_eq!(
        passed(children.check(&Check::Queued { waiters: 9 })).count,
        Some(9)
    );

    let mut two = Room::queue(NAIVE, 2).step(standalone());
    two.on([RoomEvent::Violation {
        first: 1,
        first_path: node(0),
        second: 2,
        second_path: node(1),
    }]);
    assert_eq!(
        failed(two.check(&Check::Queued { waiters: 1 })),
        Why::TwoHolders
    );
}

#[test]
fn handed_on_follows_the_holder_to_the_next_client() {
    let mut run = Room::queue(P, 3).step(standalone());
    run.on([
        RoomEvent::LockReleased {
            client: 1,
            path: node(0),
        },
        removed(0),
    ]);
    waiting(run.check(&Check::HandedOn));
    run.on([fired(2, &node(0)), gained(2)]);
    let found = passed(run.check(&Check::HandedOn));
    assert_eq!(
        (found.other, found.client, found.count),
        (Some(1), Some(2), Some(1))
    );

    let empty = Room::new(P).step(standalone());
    assert_eq!(failed(empty.check(&Check::HandedOn)), Why::NoHolder);
}

#[test]
fn notified_counts_one_hand_off() {
    let release = |run: &mut Run| {
        run.on([
            RoomEvent::LockReleased {
                client: 1,
                path: node(0),
            },
            removed(0),
        ]);
    };
    let mut one = Room::queue(P, 4).step(standalone());
    release(&mut one);
    one.on([fired(2, &node(0)), gained(2)]);
    passed(one.check(&Check::Notified { to: Notified::One }));
    waiting(one.check(&Check::Notified {
        to: Notified::AllWaiters,
    }));

    let mut all = Room::queue(CHILDREN, 4).step(standalone());
    release(&mut all);
    all.on([fired(2, LOCK_DIR), gained(2), fired(3, LOCK_DIR)]);
    waiting(all.check(&Check::Notified {
        to: Notified::AllWaiters,
    }));
    all.on([fired(4, LOCK_DIR)]);
    passed(all.check(&Check::Notified {
        to: Notified::AllWaiters,
    }));
    assert_eq!(
        failed(all.check(&Check::Notified { to: Notified::One })),
        Why::OtherCount
    );
}

#[test]
fn herd_expects_what_the_rooms_recipe_sends_and_compares() {
    // The children watch first. Client 3 joining told client 2, which watches again: the
    // queue's forming, which is no part of the hand-off.
    let mut room = Room::queue(CHILDREN, 3);
    room.apply(fired(2, LOCK_DIR));
    room.apply(RoomEvent::WatchSet {
        client: 2,
        path: LOCK_DIR.to_string(),
        call: WatchCall::GetChildren,
    });
    // A hand-off with every waiter told.
    room.apply(RoomEvent::LockReleased {
        client: 1,
        path: node(0),
    });
    room.apply(fired(2, LOCK_DIR));
    room.apply(fired(3, LOCK_DIR));
    room.apply(gained(2));
    let mut run = room.step(standalone());
    run.on([RoomEvent::RecipeChanged { recipe: P }]);
    let mut calm = Room::queue(P, 3);
    calm.view.herd = run.room.view.herd.clone();
    let mut calm = calm.step(standalone());
    calm.on([
        RoomEvent::LockReleased {
            client: 1,
            path: node(0),
        },
        fired(2, &node(0)),
    ]);
    waiting(calm.check(&Check::Herd));
    calm.on([gained(2)]);
    let found = passed(calm.check(&Check::Herd));
    // Compared: the children watch's hand-off, two, from the release to the gain.
    assert_eq!(
        (found.count, found.expected, found.compared),
        (Some(1), Some(1), Some(2))
    );
    calm.on([fired(3, &node(1))]);
    assert_eq!(failed(calm.check(&Check::Herd)), Why::OtherCount);
}

fn violation() -> RoomEvent {
    RoomEvent::Violation {
        first: 1,
        first_path: node(0),
        second: 3,
        second_path: node(2),
    }
}

#[test]
fn two_holders_passes_on_the_rooms_violation() {
    let mut run = Room::queue(NAIVE, 3).step(standalone());
    run.on([
        closed(2, CloseReason::Crashed),
        removed(1),
        fired(3, &node(1)),
    ]);
    waiting(run.check(&Check::TwoHolders));
    run.on([gained(3), violation()]);
    let found = passed(run.check(&Check::TwoHolders));
    assert_eq!((found.client, found.other), (Some(1), Some(3)));

    // A fixed recipe fails the check once it has been notified and looked again, not before:
    // a step may switch to the naive recipe first.
    let mut fixed = Room::queue(P, 3).step(standalone());
    waiting(fixed.check(&Check::TwoHolders));
    fixed.on([
        closed(2, CloseReason::Crashed),
        removed(1),
        fired(3, &node(1)),
    ]);
    assert_eq!(failed(fixed.check(&Check::TwoHolders)), Why::FixedRecipe);

    // A switch to the naive recipe: the fixed one's clients are closed first, and what they
    // are notified of while they go does not count.
    let mut switched = Room::queue(P, 3).step(standalone());
    switched.on([
        closed(1, CloseReason::RecipeSwitched),
        removed(0),
        fired(2, &node(0)),
        closed(2, CloseReason::RecipeSwitched),
        RoomEvent::RecipeChanged { recipe: NAIVE },
    ]);
    switched.on([fired(3, &node(1))]);
    waiting(switched.check(&Check::TwoHolders));
}

#[test]
fn rewatched_wants_a_new_listing_and_a_new_watch() {
    let mut run = Room::queue(P, 3).step(standalone());
    run.on([
        closed(2, CloseReason::Crashed),
        removed(1),
        fired(3, &node(1)),
    ]);
    waiting(run.check(&Check::Rewatched));
    run.on([
        RoomEvent::children_listed(3, LOCK_DIR, &[node(0), node(2)]),
        RoomEvent::WatchSet {
            client: 3,
            path: node(0),
            call: WatchCall::Exists,
        },
    ]);
    let found = passed(run.check(&Check::Rewatched));
    assert_eq!(
        (found.client, found.node, found.watched),
        (Some(3), Some(node(1)), Some(node(0)))
    );

    let mut naive = Room::queue(NAIVE, 3).step(standalone());
    naive.on([
        closed(2, CloseReason::Crashed),
        fired(3, &node(1)),
        gained(3),
        violation(),
    ]);
    assert_eq!(failed(naive.check(&Check::Rewatched)), Why::TwoHolders);
}

fn checked(status: crate::recipe::VerdictStatus, notifications: u32) -> RoomEvent {
    use crate::recipe::{HerdCost, Verdict};
    RoomEvent::RecipeChecked {
        source: "fn on_connected() {}".into(),
        verdict: Box::new(Verdict {
            status,
            clients: 3,
            states: 10,
            ms: 1,
            unfinished: None,
            failure: None,
            moves: Vec::new(),
            calls: Vec::new(),
            herd: Some(HerdCost {
                waiters: 3,
                notifications,
            }),
            error: None,
        }),
    }
}

#[test]
fn a_verdict_check_reads_the_latest_verdict_of_the_step_and_its_herd_cost() {
    use crate::recipe::VerdictStatus::{Safe, Unsafe};
    let mut run = Room::new(P).step(standalone());
    let safe_one = Check::Verdict {
        status: Safe,
        herd: Some(1),
    };
    waiting(run.check(&safe_one));
    run.on([checked(Unsafe, 1)]);
    waiting(run.check(&safe_one));
    run.on([checked(Safe, 3)]);
    waiting(run.check(&safe_one));
    let found = passed(run.check(&Check::Verdict {
        status: Safe,
        herd: None,
    }));
    assert_eq!((found.count, found.expected), (Some(3), Some(3)));
    run.on([checked(Safe, 1)]);
    passed(run.check(&safe_one));
}

#[test]
fn an_own_check_passes_only_while_the_room_runs_its_own_recipe() {
    let mut run = Room::queue(P, 3).step(standalone());
    run.on([
        closed(2, CloseReason::Crashed),
        removed(1),
        fired(3, &node(1)),
        RoomEvent::children_listed(3, LOCK_DIR, &[node(0), node(2)]),
        RoomEvent::WatchSet {
            client: 3,
            path: node(0),
            call: WatchCall::Exists,
        },
    ]);
    let own = Check::Own {
        of: Box::new(Check::Rewatched),
    };
    passed(run.check(&Check::Rewatched));
    waiting(run.check(&own));
    run.room.apply(RoomEvent::RecipeChanged {
        recipe: LockRecipeKind::Script,
    });
    passed(run.check(&own));
}

fn registry_room(servers: u32) -> Room {
    let mut room = Room::new(P);
    room.apply(RoomEvent::AppClientAdded { client: 100 });
    room.apply(RoomEvent::ServerListUpdated {
        client: 100,
        servers: vec![],
    });
    let mut names = Vec::new();
    for i in 0..servers {
        add_server(&mut room, i, &mut names);
    }
    room
}

fn add_server(room: &mut Room, i: u32, names: &mut Vec<String>) {
    let name = format!("server{i:04}");
    let id = 200 + i;
    room.apply(RoomEvent::ServerAdded {
        client: id,
        name: name.clone(),
        owner: None,
    });
    let path = format!("/sgroup/sub{i:010}");
    room.apply(RoomEvent::NodeCreatedByClient {
        client: id,
        path: path.clone(),
    });
    room.apply(RoomEvent::ZnodeAdded {
        node: Znode::read(path, id.into(), SessionId(id.into()), &name),
    });
    names.push(name);
    room.apply(RoomEvent::ServerListUpdated {
        client: 100,
        servers: names.clone(),
    });
}

fn stop_server(run: &mut Run, i: u32) {
    let names: Vec<String> = (0..i).map(|j| format!("server{j:04}")).collect();
    run.on([
        closed(200 + i, CloseReason::Crashed),
        RoomEvent::ZnodeRemoved {
            path: format!("/sgroup/sub{i:010}"),
        },
        RoomEvent::ServerListUpdated {
            client: 100,
            servers: names,
        },
    ]);
}

#[test]
fn server_list_and_server_left_read_the_app_clients_latest_line() {
    let run = registry_room(4).step(standalone());
    let found = passed(run.check(&Check::ServerList { servers: 4 }));
    assert_eq!(found.line.as_deref(), Some(SEED_APP_CLIENT_OUTPUT[4]));
    waiting(run.check(&Check::ServerList { servers: 3 }));
    waiting(run.check(&Check::ServerLeft));

    let mut run = run;
    stop_server(&mut run, 3);
    let found = passed(run.check(&Check::ServerLeft));
    assert_eq!(found.node.as_deref(), Some("server0003"));
    passed(run.check(&Check::ServerList { servers: 3 }));

    let lonely = Room::new(P).step(standalone());
    assert_eq!(
        failed(lonely.check(&Check::ServerList { servers: 1 })),
        Why::NoAppClient
    );
    assert_eq!(failed(lonely.check(&Check::ServerLeft)), Why::NoAppClient);
}

#[test]
fn seed_output_wants_the_nine_lines_exactly() {
    let mut run = registry_room(4).step(standalone());
    waiting(run.check(&Check::SeedOutput));
    for i in (0..4).rev() {
        stop_server(&mut run, i);
    }
    assert_eq!(passed(run.check(&Check::SeedOutput)).count, Some(9));

    let mut other = registry_room(1).step(standalone());
    other.on([RoomEvent::ServerListUpdated {
        client: 100,
        servers: vec!["elsewhere".into()],
    }]);
    assert_eq!(failed(other.check(&Check::SeedOutput)), Why::OtherOutput);
}

#[test]
fn a_closed_nodes_quick_removal_and_a_killed_nodes_wait_tell_apart() {
    let close = |ms: u64, reason| {
        let mut run = Room::queue(P, 2).step(standalone());
        run.on([closed(1, reason)]).after(ms).on([removed(0)]);
        run
    };
    let quick = close(12, CloseReason::Crashed);
    assert_eq!(passed(quick.check(&Check::GoneAtOnce)).count, Some(12));
    assert_eq!(
        failed(quick.check(&Check::StaysUntilExpiry)),
        Why::RemovedAtOnce
    );
    let slow = close(5_400, CloseReason::Killed);
    let found = passed(slow.check(&Check::StaysUntilExpiry));
    assert_eq!((found.count, found.expected), (Some(5_400), Some(5000)));
    assert_eq!(failed(slow.check(&Check::GoneAtOnce)), Why::NodeStayed);

    let mut pending = Room::queue(P, 2).step(standalone());
    pending.on([closed(1, CloseReason::Killed)]);
    waiting(pending.check(&Check::StaysUntilExpiry));
}

fn connected(run: &mut Run, clients: &[ClientId], member: &str) {
    run.on(clients.iter().map(|c| RoomEvent::SessionChanged {
        client: *c,
        state: SessionStatus::Connected,
        member: Some(member.into()),
    }));
}

#[test]
fn leader_moved_wants_a_new_leader_and_every_session_alive() {
    use MemberMode::{Down, Follower, Leader, Looking};
    let mut room = Room::queue(P, 3).step(ensemble([Leader, Follower, Follower]));
    connected(&mut room, &[1, 2, 3], "127.0.0.1:4180");
    let mut run = room.room.step(ensemble([Leader, Follower, Follower]));
    run.ensemble = ensemble([Down, Looking, Looking]);
    run.on([RoomEvent::SessionChanged {
        client: 1,
        state: SessionStatus::Disconnected,
        member: None,
    }]);
    waiting(run.check(&Check::LeaderMoved));
    run.ensemble = ensemble([Down, Leader, Follower]);
    connected(&mut run, &[1], "127.0.0.1:4181");
    let found = passed(run.check(&Check::LeaderMoved));
    assert_eq!(
        (found.member, found.leader, found.count),
        (Some(1), Some(2), Some(3))
    );
    waiting(run.check(&Check::SessionLost));

    run.on([closed(3, CloseReason::Expired)]);
    assert_eq!(failed(run.check(&Check::LeaderMoved)), Why::SessionLost);
    assert_eq!(passed(run.check(&Check::SessionLost)).client, Some(3));

    let alone = Room::queue(P, 1).step(standalone());
    assert_eq!(failed(alone.check(&Check::LeaderMoved)), Why::NoEnsemble);
}

#[test]
fn writes_wait_without_a_quorum_and_resume_with_it() {
    use MemberMode::{Down, Follower, Leader, Looking};
    let mut run = Room::queue(P, 1).step(ensemble([Down, Leader, Follower]));
    run.ensemble = ensemble([Down, Down, Looking]);
    waiting(run.check(&Check::WritesWait));
    run.on([RoomEvent::ClientAdded {
        client: 2,
        owner: None,
    }]);
    let found = passed(run.check(&Check::WritesWait));
    assert_eq!((found.client, found.count), (Some(2), Some(1)));

    let mut back = run.room.clone().step(run.ensemble.clone());
    waiting(back.check(&Check::WritesResume));
    back.ensemble = ensemble([Down, Leader, Follower]);
    back.room.join(2);
    back.on([]);
    let found = passed(back.check(&Check::WritesResume));
    assert_eq!((found.client, found.node), (Some(2), Some(node(1))));

    let mut gone = run.room.clone().step(run.ensemble.clone());
    gone.on([closed(2, CloseReason::Crashed)]);
    assert_eq!(failed(gone.check(&Check::WritesResume)), Why::ClientGone);
    assert_eq!(
        failed(
            Room::queue(P, 1)
                .step(standalone())
                .check(&Check::WritesWait)
        ),
        Why::NoEnsemble
    );
}

fn write(client: ClientId, token: i64, outcome: WriteOutcome) -> RoomEvent {
    RoomEvent::ResourceWritten {
        client,
        path: node(client - 1),
        token,
        outcome,
    }
}

#[test]
fn stale_write_wants_the_outcome_fencing_gives() {
    let mut run = Room::queue(P, 2).step(standalone());
    run.on([write(2, 2, WriteOutcome::Accepted)]);
    let corrupted = Check::StaleWrite {
        outcome: WriteOutcome::Corrupted,
    };
    let rejected = Check::StaleWrite {
        outcome: WriteOutcome::Rejected,
    };
    waiting(run.check(&corrupted));
    run.on([write(1, 1, WriteOutcome::Rejected)]);
    assert_eq!(passed(run.check(&rejected)).count, Some(1));
    assert_eq!(failed(run.check(&corrupted)), Why::FencingOn);
}

fn partition(client: ClientId) -> [RoomEvent; 2] {
    [
        RoomEvent::PartitionChanged {
            client,
            partitioned: true,
            until_ms: Some(99_000),
        },
        RoomEvent::SessionChanged {
            client,
            state: SessionStatus::Disconnected,
            member: None,
        },
    ]
}

#[test]
fn overlap_wants_two_holders_and_a_write_after_the_second_gained() {
    let mut run = Room::queue(P, 2).step(standalone());
    run.on(partition(1));
    waiting(run.check(&Check::Overlap));
    run.on([
        removed(0),
        fired(2, &node(0)),
        gained(2),
        RoomEvent::Violation {
            first: 1,
            first_path: node(0),
            second: 2,
            second_path: node(1),
        },
        write(2, 2, WriteOutcome::Accepted),
    ]);
    waiting(run.check(&Check::Overlap));
    run.on([write(1, 1, WriteOutcome::Corrupted)]);
    let found = passed(run.check(&Check::Overlap));
    assert_eq!((found.client, found.other), (Some(1), Some(2)));

    let mut careful = Room::queue(P, 2).step(standalone());
    careful.on(partition(1)).on([RoomEvent::LockSuspended {
        client: 1,
        path: node(0),
    }]);
    assert_eq!(failed(careful.check(&Check::Overlap)), Why::Suspended);
}

#[test]
fn careful_holder_wants_a_stop_no_write_and_a_lone_successor() {
    let suspend = RoomEvent::LockSuspended {
        client: 1,
        path: node(0),
    };
    let mut run = Room::queue(P, 2).step(standalone());
    run.on(partition(1)).on([suspend.clone()]);
    waiting(run.check(&Check::CarefulHolder));
    run.on([removed(0), fired(2, &node(0)), gained(2)]);
    let found = passed(run.check(&Check::CarefulHolder));
    assert_eq!((found.client, found.other), (Some(1), Some(2)));

    let mut wrote = Room::queue(P, 2).step(standalone());
    wrote
        .on(partition(1))
        .on([suspend, write(1, 1, WriteOutcome::Accepted)]);
    assert_eq!(
        failed(wrote.check(&Check::CarefulHolder)),
        Why::WroteWhileDisconnected
    );

    let mut seed = Room::queue(P, 2).step(standalone());
    seed.on(partition(1)).on([gained(2), violation()]);
    assert_eq!(failed(seed.check(&Check::CarefulHolder)), Why::TwoHolders);
}

#[test]
fn a_node_that_goes_before_its_client_is_reported_closed_still_counts() {
    // A client that finishes deletes its node first, then is reported closed.
    let mut run = Room::queue(P, 2).step(standalone());
    run.on([removed(0)])
        .after(4)
        .on([closed(1, CloseReason::Finished)]);
    assert_eq!(passed(run.check(&Check::GoneAtOnce)).count, Some(0));
}

#[test]
fn an_overlap_that_can_no_longer_come_fails() {
    let mut run = Room::queue(P, 2).step(standalone());
    run.on(partition(1))
        .on([removed(0), closed(1, CloseReason::Expired)]);
    assert_eq!(failed(run.check(&Check::Overlap)), Why::ClientGone);
}

#[test]
fn writes_resume_needs_a_client_that_was_waiting() {
    use MemberMode::{Follower, Leader};
    let run = Room::queue(P, 2).step(ensemble([Leader, Follower, Follower]));
    assert_eq!(failed(run.check(&Check::WritesResume)), Why::NoTarget);
}
