//! The timeline's layout for recorded histories, folded through `RoomView` as the page does.

use super::svg::{render, Part, Words};
use super::*;
use crate::event::RoomEvent;
use crate::kinds::{CloseReason, SessionStatus, WatchCall};
use crate::time::PendingMove;
use crate::znode::Znode;

/// A room and the clock of its events.
struct Story {
    view: RoomView,
    at_ms: u64,
}

impl Story {
    fn new() -> Self {
        let mut view = RoomView::new("t", 0);
        view.spacetime = Some(Spacetime::default());
        Story { view, at_ms: 1_000 }
    }

    fn then(&mut self, event: RoomEvent) -> &mut Self {
        self.at_ms += 10;
        self.view.apply(self.view.seq + 1, self.at_ms, &event);
        self
    }

    fn idle(&mut self, ms: u64) -> &mut Self {
        self.at_ms += ms;
        self
    }

    fn diagram(&self) -> Diagram {
        Diagram::of(&self.view, &DiagramOptions::default())
    }

    /// Client `c` joins with session `c` and creates `sub{n}` (zxid `0x100 + n`).
    fn joins(&mut self, c: ClientId, n: u32) -> &mut Self {
        let node = node(n);
        self.then(RoomEvent::ClientAdded {
            client: c,
            owner: None,
        })
        .then(RoomEvent::ClientConnected {
            client: c,
            session: SessionId(c.into()),
            timeout_ms: 4_000,
        })
        .then(sent(c, ZkOp::Create, "/locks/sub"))
        .then(answered(c, ZkOp::Create, &node, Some(0x100 + i64::from(n))))
        .then(RoomEvent::NodeCreatedByClient {
            client: c,
            path: node.clone(),
        })
        .then(RoomEvent::ZnodeAdded {
            node: Znode::read(node, 0x100 + i64::from(n), SessionId(c.into()), ""),
        })
    }

    /// Client `c` lists `/locks` and finds `names`.
    fn lists(&mut self, c: ClientId, names: &[u32]) -> &mut Self {
        let names: Vec<String> = names.iter().map(|n| node(*n)[7..].to_string()).collect();
        self.then(sent(c, ZkOp::GetChildren, "/locks"))
            .then(answered(c, ZkOp::GetChildren, "/locks", None))
            .then(RoomEvent::children_listed(c, "/locks", &names))
    }

    fn watches(&mut self, c: ClientId, n: u32) -> &mut Self {
        let path = node(n);
        self.then(sent(c, ZkOp::GetData, &path))
            .then(answered(c, ZkOp::GetData, &path, None))
            .then(RoomEvent::WatchSet {
                client: c,
                path,
                call: WatchCall::GetData,
            })
    }

    fn gains(&mut self, c: ClientId, n: u32) -> &mut Self {
        self.then(RoomEvent::LockGained {
            client: c,
            path: node(n),
        })
    }

    fn releases(&mut self, c: ClientId, n: u32) -> &mut Self {
        let path = node(n);
        self.then(RoomEvent::LockReleased {
            client: c,
            path: path.clone(),
        })
        .then(sent(c, ZkOp::Delete, &path))
        .then(answered(c, ZkOp::Delete, &path, None))
        .then(RoomEvent::ClientClosed {
            client: c,
            reason: CloseReason::Finished,
        })
        .then(RoomEvent::ZnodeRemoved { path })
    }

    fn told(&mut self, c: ClientId, n: u32) -> &mut Self {
        self.then(RoomEvent::WatchFired {
            client: c,
            path: node(n),
            event: WatchedKind::NodeDeleted,
        })
    }
}

fn node(n: u32) -> String {
    format!("/locks/sub{n:010}")
}

fn sent(client: ClientId, op: ZkOp, path: &str) -> RoomEvent {
    RoomEvent::CallSent {
        client,
        op,
        path: path.into(),
        line: None,
    }
}

fn answered(client: ClientId, op: ZkOp, path: &str, zxid: Option<i64>) -> RoomEvent {
    RoomEvent::CallAnswered {
        client,
        op,
        path: path.into(),
        reply: CallReply::Ok,
        zxid,
    }
}

fn words() -> Words<'static> {
    Words {
        zookeeper: "ZooKeeper",
        lock: "client {n}",
        server: "server {n}",
        app: "AppClient {n}",
        earlier: "earlier {s}",
        hand_offs: "×{n} hand-offs",
        idle: "{s} s idle",
        forgotten: "{n} older rows",
        order_note: "rows: arrival order",
        title: "t",
        crashed: "crashed",
        killed: "killed",
        failed: "failed",
        expired: "expired",
        two_holders: "two holders",
    }
}

fn arrows(d: &Diagram, kind: ArrowKind, client: ClientId) -> Vec<&Arrow> {
    d.arrows
        .iter()
        .filter(|a| a.kind == kind && a.client == client)
        .collect()
}

/// Two clients: 1 holds, 2 waits on it, 1 lets go, 2 is told, lists again and holds.
fn hand_off() -> Story {
    let mut s = Story::new();
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    s.joins(2, 1).lists(2, &[0, 1]).watches(2, 0);
    s.releases(1, 0).told(2, 0).lists(2, &[1]).gains(2, 1);
    s
}

#[test]
fn a_hand_off_is_calls_answers_a_notification_and_two_holds_one_after_the_other() {
    let s = hand_off();
    let d = s.diagram();
    let lanes: Vec<String> = d.lanes.iter().map(|l| l.id.key()).collect();
    assert_eq!(lanes, ["zk", "1", "2"]);
    // 1: create, getChildren, delete; 2: create, getChildren, getData, getChildren.
    let ops = |c| -> Vec<ZkOp> {
        arrows(&d, ArrowKind::Call, c)
            .iter()
            .filter_map(|a| a.op)
            .collect()
    };
    assert_eq!(ops(1), [ZkOp::Create, ZkOp::GetChildren, ZkOp::Delete]);
    use ZkOp::*;
    assert_eq!(ops(2), [Create, GetChildren, GetData, GetChildren]);
    assert_eq!(arrows(&d, ArrowKind::Reply, 2).len(), 4);
    // Every call goes to ZooKeeper's lane and comes back below where it left.
    for a in &d.arrows {
        match a.kind {
            ArrowKind::Call => assert_eq!(a.x2, LEFT),
            ArrowKind::Reply | ArrowKind::Notify => assert_eq!(a.x1, LEFT),
        }
        assert!(a.y2 > a.y1, "{a:?}");
    }
    // The create's answer carries its zxid; the listing its names.
    let replies = arrows(&d, ArrowKind::Reply, 2);
    assert_eq!(replies[0].zxid, Some(0x101));
    assert_eq!(replies[0].path, node(1));
    assert_eq!(svg::label_text(&replies[1].label), "[sub…0, sub…1]");
    let told = arrows(&d, ArrowKind::Notify, 2);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].path, node(0));
    assert!(!told[0].unread && !told[0].trusted);
    // Two holds, the second below the first's end: no overlap.
    assert_eq!(d.holds.len(), 2);
    assert!(d.holds.iter().all(|h| !h.overlap));
    assert!(d.holds[1].y1 > d.holds[0].y2);
    assert!(d.holds[1].open && !d.holds[0].open);
    // The finished client's lane ends; the holder's runs on.
    assert!(!d.lanes[1].open && d.lanes[2].open);
    // ZooKeeper's lane has both writes, in zxid order down the page.
    let zxids: Vec<i64> = d.zxids.iter().map(|z| z.zxid).collect();
    assert_eq!(zxids, [0x100, 0x101]);
    assert!(d.zxids[0].y < d.zxids[1].y);
}

#[test]
fn writes_meet_zookeepers_lane_in_zxid_order_whatever_order_their_answers_came_in() {
    let mut s = Story::new();
    for c in [1, 2] {
        s.then(RoomEvent::ClientAdded {
            client: c,
            owner: None,
        });
    }
    // Both send; 2's write got the smaller zxid, but 1's answer came first.
    s.then(sent(1, ZkOp::Create, "/locks/sub"))
        .then(sent(2, ZkOp::Create, "/locks/sub"))
        .then(answered(1, ZkOp::Create, &node(1), Some(0x21)))
        .then(answered(2, ZkOp::Create, &node(0), Some(0x20)));
    let d = s.diagram();
    let by_zxid: Vec<(i64, f32)> = d.zxids.iter().map(|z| (z.zxid, z.y)).collect();
    let y = |zxid| by_zxid.iter().find(|z| z.0 == zxid).unwrap().1;
    assert!(y(0x20) < y(0x21), "{by_zxid:?}");
    // Each meeting point lies between its call and its answer.
    for c in [1, 2] {
        let call = arrows(&d, ArrowKind::Call, c)[0];
        let reply = arrows(&d, ArrowKind::Reply, c)[0];
        assert!(
            call.y1 <= call.y2 && call.y2 <= reply.y2,
            "{call:?} {reply:?}"
        );
    }
}

#[test]
fn the_naive_recipes_two_holders_overlap_in_red_and_the_trusted_notification_is_marked() {
    let mut s = Story::new();
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    s.joins(2, 1).lists(2, &[0, 1]).watches(2, 0);
    s.joins(3, 2).lists(3, &[0, 1, 2]).watches(3, 1);
    // 2 crashes while 1 still holds; 3 is told its predecessor left and trusts it.
    s.then(RoomEvent::ClientClosed {
        client: 2,
        reason: CloseReason::Crashed,
    })
    .then(RoomEvent::ZnodeRemoved { path: node(1) })
    .told(3, 1)
    .gains(3, 2)
    .then(RoomEvent::Violation {
        first: 1,
        first_path: node(0),
        second: 3,
        second_path: node(2),
    });
    let d = s.diagram();
    let overlapping: Vec<(ClientId, &str)> = d
        .holds
        .iter()
        .filter(|h| h.overlap)
        .map(|h| (h.client, h.node.as_str()))
        .collect();
    assert_eq!(overlapping, [(1, node(0).as_str()), (3, node(2).as_str())]);
    let trusted: Vec<&Arrow> = d.arrows.iter().filter(|a| a.trusted).collect();
    assert_eq!(trusted.len(), 1);
    assert_eq!(
        (trusted[0].client, trusted[0].path.as_str()),
        (3, node(1).as_str())
    );
    // One band where both held: from 3's gain to the bottom (both still hold).
    assert_eq!(d.two_holders.len(), 1);
    let three = d.holds.iter().find(|h| h.client == 3).unwrap();
    assert_eq!(d.two_holders[0], (three.y1, three.y2));
    // The crashed waiter's node left the tree, on ZooKeeper's lane.
    assert_eq!(d.removals.len(), 1);
    assert_eq!(d.removals[0].path, node(1));
    let drawn = super::svg::layers(&d, &words()).concat();
    assert_eq!(drawn.matches(r#"data-overlap="true""#).count(), 2);
    assert!(drawn.contains(r#"data-testid="st-two-holders""#));
    // Each lane is named with its node.
    let head = render(&d, &words(), Part::Head);
    assert!(head.contains("client 3 · sub…2"), "{head}");
    assert!(drawn.contains(r#"data-event="NodeDeleted""#));
}

#[test]
fn a_killed_session_runs_dashed_until_zookeeper_expires_it() {
    let mut s = Story::new();
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    s.joins(2, 1).lists(2, &[0, 1]).watches(2, 0);
    s.then(RoomEvent::ClientClosed {
        client: 1,
        reason: CloseReason::Killed,
    });
    let d = s.diagram();
    let lane = d.lanes.iter().find(|l| l.id == LaneId::Client(1)).unwrap();
    assert!(!lane.open);
    assert_eq!(lane.stretches.len(), 1);
    assert_eq!(lane.stretches[0].kind, StretchKind::Expiring);
    // Not expired yet: the dashed stretch reaches the bottom.
    assert_eq!(lane.stretches[0].y2, lane.y2);
    let killed_at = lane.stretches[0].y1;
    // Its hold ended when the process died.
    assert_eq!(d.holds[0].y2, killed_at);
    let drawn = super::svg::layers(&d, &words()).concat();
    assert!(drawn.contains(">killed<") && !drawn.contains(">expired<"));
    s.idle(4_000)
        .then(RoomEvent::ZnodeRemoved { path: node(0) })
        .told(2, 0);
    let d = s.diagram();
    let lane = d.lanes.iter().find(|l| l.id == LaneId::Client(1)).unwrap();
    let stretch = lane.stretches[0];
    assert!(stretch.y2 > stretch.y1);
    let told = arrows(&d, ArrowKind::Notify, 2)[0];
    assert!(
        stretch.y2 < told.y2,
        "expiry {stretch:?} before the notification {told:?}"
    );
    assert_eq!(d.gaps.len(), 1, "the 4 s wait is an idle gap");
    assert_eq!(lane.y2, stretch.y2);
    assert!(super::svg::layers(&d, &words())
        .concat()
        .contains(">expired<"));
}

#[test]
fn a_crashed_session_ends_at_once() {
    let mut s = Story::new();
    s.joins(1, 0).then(RoomEvent::ClientClosed {
        client: 1,
        reason: CloseReason::Crashed,
    });
    s.then(RoomEvent::ZnodeRemoved { path: node(0) });
    let lane = &s.diagram().lanes[1];
    assert!(lane.stretches.is_empty());
}

#[test]
fn a_partition_shows_its_cut_and_the_disconnected_stretch() {
    let mut s = Story::new();
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    s.then(RoomEvent::PartitionChanged {
        client: 1,
        partitioned: true,
        until_ms: Some(9_000),
    })
    .then(RoomEvent::SessionChanged {
        client: 1,
        state: SessionStatus::Disconnected,
        member: None,
    })
    .then(RoomEvent::PartitionChanged {
        client: 1,
        partitioned: false,
        until_ms: None,
    })
    .then(RoomEvent::SessionChanged {
        client: 1,
        state: SessionStatus::Connected,
        member: None,
    });
    let d = s.diagram();
    let kinds: Vec<StretchKind> = d.lanes[1].stretches.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [StretchKind::Partitioned, StretchKind::Disconnected]);
    let (cut, down) = (d.lanes[1].stretches[0], d.lanes[1].stretches[1]);
    assert!(cut.y1 < down.y1 && cut.y2 < down.y2 && down.y2 < d.lanes[1].y2);
    let drawn = super::svg::layers(&d, &words()).concat();
    assert!(drawn.contains(r#"data-kind="partitioned""#));
    assert!(drawn.contains(r#"data-kind="disconnected""#));
}

#[test]
fn in_step_mode_a_notification_waits_unread_and_waiting_calls_are_ghosts() {
    let mut s = Story::new();
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    s.joins(2, 1).lists(2, &[0, 1]).watches(2, 0);
    s.then(RoomEvent::ClientAdded {
        client: 3,
        owner: None,
    });
    s.then(RoomEvent::MovePending {
        pending: PendingMove {
            id: 7,
            client: 3,
            kind: MoveKind::Create,
            point: SeedPoint::Create,
            path: Some("/locks/sub".into()),
            since_ms: 0,
            due_ms: None,
        },
    });
    s.releases(1, 0).then(RoomEvent::MovePending {
        pending: PendingMove {
            id: 8,
            client: 2,
            kind: MoveKind::Notification,
            point: SeedPoint::Notified,
            path: Some(node(0)),
            since_ms: 0,
            due_ms: None,
        },
    });
    let d = s.diagram();
    let told = arrows(&d, ArrowKind::Notify, 2);
    assert_eq!(told.len(), 1);
    assert!(told[0].unread);
    let ghosts: Vec<(MoveId, ClientId, Option<ZkOp>)> =
        d.ghosts.iter().map(|g| (g.id, g.client, g.op)).collect();
    assert_eq!(ghosts, [(7, 3, Some(ZkOp::Create)), (8, 2, None)]);
    assert!(d.ghosts.iter().all(|g| g.y > told[0].y2));
    // Next lets the notification go: the same arrow, read now.
    s.then(RoomEvent::MoveReleased { id: 8, client: 2 })
        .told(2, 0);
    let d = s.diagram();
    let told = arrows(&d, ArrowKind::Notify, 2);
    assert_eq!(told.len(), 1);
    assert!(!told[0].unread);
    assert_eq!(d.ghosts.len(), 1);
    let drawn = super::svg::layers(&d, &words()).concat();
    assert!(drawn.contains(r#"data-testid="st-ghost" data-move="7""#));
}

#[test]
fn a_thousand_events_of_hand_offs_fold_into_bands_and_keep_the_newest_rows_open() {
    let mut s = Story::new();
    let mut events = 0;
    let mut n = 0;
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    while s.view.seq < 1_000 {
        let (holder, next) = (n + 1, n + 2);
        s.joins(next, n + 1)
            .lists(next, &[n, n + 1])
            .watches(next, n)
            .releases(holder, n)
            .told(next, n)
            .lists(next, &[n + 1])
            .gains(next, n + 1);
        n += 1;
        events += 1;
    }
    assert!(events > 40);
    let d = s.diagram();
    assert!(!d.folds.is_empty());
    let folded: usize = d.folds.iter().map(|f| f.hand_offs).sum();
    let drawn_holds = d.holds.len();
    // Every hand-off kept is either in a band or drawn.
    assert_eq!(
        folded + drawn_holds,
        s.view.spacetime.as_ref().unwrap().holds.len()
    );
    assert!(folded >= 3 * d.folds.len());
    // Rows were let go at the front, so the diagram stays bounded.
    assert!(s.view.spacetime.as_ref().unwrap().row_ms.len() <= SPACETIME_ROWS + 100);
    assert!(d.forgotten.rows > 0);
    // The newest rows are open: the last hold is drawn.
    assert!(d.holds.last().is_some_and(|h| h.open));
    let height_unfolded = s.view.spacetime.as_ref().unwrap().row_ms.len() as f32 * ROW_HEIGHT;
    assert!(
        d.height < height_unfolded / 2.0,
        "{} of {height_unfolded}",
        d.height
    );
    // A band opened by a click is drawn in full.
    let opened = DiagramOptions {
        opened: vec![d.folds[0].first],
        ..DiagramOptions::default()
    };
    let more = Diagram::of(&s.view, &opened);
    assert_eq!(more.folds.len(), d.folds.len() - 1);
    assert_eq!(more.holds.len(), drawn_holds + d.folds[0].hand_offs);
}

#[test]
fn a_lane_picked_keeps_only_what_its_client_saw() {
    let s = hand_off();
    let only = DiagramOptions {
        only: Some(LaneId::Client(2)),
        ..DiagramOptions::default()
    };
    let d = Diagram::of(&s.view, &only);
    let lanes: Vec<String> = d.lanes.iter().map(|l| l.id.key()).collect();
    assert_eq!(lanes, ["zk", "2"]);
    assert!(d.arrows.iter().all(|a| a.client == 2));
    assert_eq!(d.holds.len(), 1);
}

#[test]
fn a_reset_starts_afresh_and_never_gives_a_row_twice() {
    let mut s = hand_off();
    let next = s.view.spacetime.as_ref().unwrap().next_row();
    s.then(RoomEvent::RoomReset);
    assert!(s.diagram().arrows.is_empty());
    s.joins(1, 0);
    assert_eq!(s.view.spacetime.as_ref().unwrap().calls[0].sent, next + 2);
}

#[test]
fn details_name_the_call_its_zxid_and_the_seed_line() {
    let s = hand_off();
    let d = s.diagram();
    let create = arrows(&d, ArrowKind::Reply, 2)[0];
    let details = details(&s.view, create.mark).unwrap();
    assert_eq!(details.op, Some(ZkOp::Create));
    assert_eq!(details.zxid, Some(0x101));
    assert_eq!(details.path, node(1));
    assert_eq!(details.seed.map(|s| s.1), Some(SeedPoint::Create));
    assert!(details.to_ms > details.from_ms);
    for mark in [Mark::Call(3), Mark::Note(9), Mark::Hold(12)] {
        assert_eq!(Mark::parse(&mark.key()), Some(mark));
    }
    for lane in [
        LaneId::Zk,
        LaneId::Client(4),
        LaneId::Earlier(SessionId(0x1f)),
    ] {
        assert_eq!(LaneId::parse(&lane.key()), Some(lane));
    }
}

#[test]
fn the_whole_drawing_is_one_svg_with_a_title_and_names_every_lane() {
    let s = hand_off();
    let drawn = render(&s.diagram(), &words(), Part::Whole);
    assert!(drawn.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(drawn.ends_with("</svg>"));
    for name in ["ZooKeeper", "client 1", "client 2", "rows: arrival order"] {
        assert!(drawn.contains(name), "{name}");
    }
    assert_eq!(drawn.matches(r#"data-testid="st-lane""#).count(), 3);
    assert!(
        drawn.contains(r#"data-op="create" data-zxid="0x101""#)
            || drawn.contains(r#"data-zxid="0x101""#)
    );
}

#[test]
fn the_body_in_layers_holds_every_shape_once_the_newest_band_apart_from_the_oldest() {
    let mut s = Story::new();
    let mut n = 0;
    s.joins(1, 0).lists(1, &[0]).gains(1, 0);
    while s.view.seq < 300 {
        s.joins(n + 2, n + 1)
            .lists(n + 2, &[n, n + 1])
            .watches(n + 2, n)
            .releases(n + 1, n)
            .told(n + 2, n)
            .lists(n + 2, &[n + 1])
            .gains(n + 2, n + 1);
        n += 1;
    }
    let d = s.diagram();
    let layers = super::svg::layers(&d, &words());
    // The lanes, at least two bands of shapes, the waiting moves.
    assert!(layers.len() >= 4, "{} layers", layers.len());
    let all: String = layers.concat();
    let whole = render(&d, &words(), Part::Whole);
    for shape in ["st-arrow", "st-hold", "st-zxid", "st-lane\""] {
        let id = format!("data-testid=\"{shape}");
        assert_eq!(
            all.matches(&id).count(),
            whole.matches(&id).count(),
            "{shape}"
        );
    }
    // Another hand-off changes the newest bands, not the first.
    s.joins(n + 2, n + 1).lists(n + 2, &[n, n + 1]);
    let again = super::svg::layers(&s.diagram(), &words());
    assert_eq!(again[1], layers[1]);
    assert_ne!(again.last(), layers.last().filter(|_| false));
}
