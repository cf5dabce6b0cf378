//! The timeline's layout: the room's [`Spacetime`] (and its view, for names and the moves
//! that wait) laid out as a space-time diagram, time going down. One pure function,
//! [`Diagram::of`], serves the live room, a replay and the SVG export ([`svg`]), so a replay
//! at event k draws what the live room drew at event k.
//!
//! Rows are the order zkplay saw things in. ZooKeeper's own order is drawn where ZooKeeper
//! tells it: the writes whose zxid an answer carried meet ZooKeeper's lane in zxid order.
//! Long runs stay readable: runs of ordinary hand-offs (nothing failed, no overlap, no fault)
//! older than the newest rows fold into one band, and idle stretches into a gap.

pub mod svg;

use crate::kinds::{CallReply, ClientId, CloseReason, WatchedKind, WriteOutcome, ZkOp};
use crate::seed::{SeedListing, SeedPoint};
use crate::session::SessionId;
use crate::time::{MoveId, MoveKind};
pub use crate::view::{
    Answer, Call, Forgotten, Hold, Lane, LaneKind, Listed, Note, Row, Spacetime, Stretch,
    StretchKind, Write, SPACETIME_ROWS,
};
use crate::view::{ClientNumber, RoomView};

/// Horizontal room for each lane, px.
pub const LANE_WIDTH: f32 = 150.0;
/// Height of a row, px.
pub const ROW_HEIGHT: f32 = 18.0;
const FOLD_HEIGHT: f32 = 24.0;
const GAP_HEIGHT: f32 = 20.0;
const TOP: f32 = 44.0;
const LEFT: f32 = 56.0;
/// Room under the last row for the moves that wait (step mode).
const GHOST_ROOM: f32 = 44.0;
/// The newest rows are never folded.
pub const OPEN_ROWS: u64 = 160;
/// Fewest hand-offs a band folds, and the step it grows by.
const FOLD_LEAST: usize = 6;
/// A pause between two rows this long (ms) is drawn as an idle gap.
pub const IDLE_MS: u64 = 2_000;

/// A lane: ZooKeeper's, or a session's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneId {
    Zk,
    Client(ClientId),
    Earlier(SessionId),
}

impl LaneId {
    /// As `data-lane` writes it: `zk`, the client's id, or `earlier-0x…`.
    pub fn key(&self) -> String {
        match self {
            LaneId::Zk => "zk".to_string(),
            LaneId::Client(id) => id.to_string(),
            LaneId::Earlier(session) => format!("earlier-{session}"),
        }
    }

    pub fn parse(key: &str) -> Option<LaneId> {
        if key == "zk" {
            return Some(LaneId::Zk);
        }
        if let Some(session) = key.strip_prefix("earlier-") {
            return session.parse().ok().map(LaneId::Earlier);
        }
        key.parse().ok().map(LaneId::Client)
    }

    fn of(lane: &Lane) -> LaneId {
        match (lane.kind, lane.session) {
            (LaneKind::Earlier, Some(session)) => LaneId::Earlier(session),
            _ => LaneId::Client(lane.client),
        }
    }
}

/// What a click can pick: a call (by the row it was sent on), a notification (the row it
/// arrived on) or a hold (the row it began on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mark {
    Call(Row),
    Note(Row),
    Hold(Row),
}

impl Mark {
    /// As `data-mark` writes it.
    pub fn key(&self) -> String {
        match self {
            Mark::Call(row) => format!("c{row}"),
            Mark::Note(row) => format!("n{row}"),
            Mark::Hold(row) => format!("h{row}"),
        }
    }

    pub fn parse(key: &str) -> Option<Mark> {
        let (kind, row) = key.split_at_checked(1)?;
        let row = row.parse().ok()?;
        match kind {
            "c" => Some(Mark::Call(row)),
            "n" => Some(Mark::Note(row)),
            "h" => Some(Mark::Hold(row)),
            _ => None,
        }
    }
}

/// What the viewer asked of the drawing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiagramOptions {
    /// Draw only what this lane's session saw (and ZooKeeper's lane).
    pub only: Option<LaneId>,
    /// Folds opened by a click, by their first row.
    pub opened: Vec<Row>,
    /// The mark picked, drawn highlighted.
    pub picked: Option<Mark>,
}

/// The diagram, in px.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagram {
    pub width: f32,
    pub height: f32,
    pub lanes: Vec<LaneLine>,
    pub arrows: Vec<Arrow>,
    pub holds: Vec<HoldBar>,
    pub writes: Vec<WriteTick>,
    /// ZooKeeper's writes whose zxid is known, on its lane.
    pub zxids: Vec<ZxidDot>,
    pub folds: Vec<FoldBand>,
    pub gaps: Vec<IdleGap>,
    pub ghosts: Vec<Ghost>,
    /// Nodes that left the tree, on ZooKeeper's lane.
    pub removals: Vec<Removal>,
    /// Where two clients held the lock at once: from the second's gain to the first end.
    pub two_holders: Vec<(f32, f32)>,
    pub forgotten: Forgotten,
    pub picked: Option<Mark>,
}

/// A node that left the tree (deleted, or its session ended); ZooKeeper tells no zxid of it
/// that zkplay can read.
#[derive(Clone, Debug, PartialEq)]
pub struct Removal {
    pub path: String,
    pub y: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LaneLine {
    pub id: LaneId,
    pub kind: Option<LaneKind>,
    pub number: Option<ClientNumber>,
    pub x: f32,
    pub y1: f32,
    pub y2: f32,
    /// Still running at the bottom.
    pub open: bool,
    /// Before its session was established: drawn thin.
    pub connecting_to: Option<f32>,
    pub stretches: Vec<Segment>,
    /// How its process ended, and where.
    pub ended: Option<(CloseReason, f32)>,
    /// The node its create made, named beside the client.
    pub node: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub kind: StretchKind,
    pub y1: f32,
    pub y2: f32,
    /// Not over yet: it runs to the bottom.
    pub open: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowKind {
    Call,
    Reply,
    Notify,
}

impl ArrowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArrowKind::Call => "call",
            ArrowKind::Reply => "reply",
            ArrowKind::Notify => "notify",
        }
    }
}

/// What an arrow says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArrowLabel {
    /// `create`, `getChildren`, ... and the path as called.
    Call {
        op: ZkOp,
        path: String,
    },
    /// A create's answer: the node and the zxid.
    Created {
        path: String,
        zxid: Option<i64>,
    },
    Listed(Listed),
    /// An `exists` or `getData` that found the node (and armed its watch), or not (`null`).
    Found {
        op: ZkOp,
        exists: bool,
    },
    Deleted,
    Failed,
    /// Waiting for its answer.
    InFlight,
    Notified {
        event: Option<WatchedKind>,
        path: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub mark: Mark,
    pub kind: ArrowKind,
    pub client: ClientId,
    pub op: Option<ZkOp>,
    /// The node it is about: the call's path, the answer's node, the notification's path.
    pub path: String,
    pub zxid: Option<i64>,
    pub label: ArrowLabel,
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    /// A notification arrived and not yet acted on.
    pub unread: bool,
    /// The notification a client trusted when it gained the lock while another held it.
    pub trusted: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HoldBar {
    pub mark: Mark,
    pub client: ClientId,
    pub node: String,
    pub x: f32,
    pub y1: f32,
    pub y2: f32,
    pub open: bool,
    pub overlap: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WriteTick {
    pub client: ClientId,
    pub x: f32,
    pub y: f32,
    pub token: i64,
    pub outcome: WriteOutcome,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ZxidDot {
    pub zxid: i64,
    pub y: f32,
}

/// Ordinary hand-offs folded into one band.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldBand {
    pub first: Row,
    pub hand_offs: usize,
    pub y: f32,
}

/// An idle stretch between two rows.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleGap {
    pub ms: u64,
    pub y: f32,
}

/// A move that waits at the room's gate (step mode): drawn faint at the bottom of its lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Ghost {
    pub id: MoveId,
    pub client: ClientId,
    pub kind: MoveKind,
    pub op: Option<ZkOp>,
    pub path: Option<String>,
    pub x: f32,
    pub y: f32,
    /// ZooKeeper's lane, for a call.
    pub to_x: f32,
}

/// A click's answer: what a mark is, in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details {
    pub client: ClientId,
    pub mark: Mark,
    pub op: Option<ZkOp>,
    pub path: String,
    pub zxid: Option<i64>,
    pub reply: Option<CallReply>,
    pub event: Option<WatchedKind>,
    /// When it began and ended (server clock, ms).
    pub from_ms: Option<u64>,
    pub to_ms: Option<u64>,
    /// The seed's line it is.
    pub seed: Option<(SeedListing, SeedPoint)>,
    /// A notification the client trusted while another held the lock, or a hold that
    /// overlapped another.
    pub flagged: bool,
}

/// The ZooKeeper call a waiting move will make, if it is one.
pub fn move_op(kind: MoveKind) -> Option<ZkOp> {
    match kind {
        MoveKind::Create => Some(ZkOp::Create),
        MoveKind::GetChildren => Some(ZkOp::GetChildren),
        MoveKind::GetData => Some(ZkOp::GetData),
        MoveKind::Exists => Some(ZkOp::Exists),
        MoveKind::Delete => Some(ZkOp::Delete),
        MoveKind::Notification | MoveKind::HoldOver | MoveKind::Write => None,
    }
}

/// Where rows go down the page, folds and gaps counted.
struct Rows {
    first: Row,
    ys: Vec<f32>,
    bottom: f32,
}

impl Rows {
    /// The y of a row, or of a point between two (`row` + a fraction).
    fn y(&self, row: f64) -> f32 {
        let at = (row - self.first as f64).max(0.0);
        let low = at.floor() as usize;
        let Some(&y_low) = self.ys.get(low) else {
            return self.bottom;
        };
        let y_high = self.ys.get(low + 1).copied().unwrap_or(y_low + ROW_HEIGHT);
        y_low + (y_high - y_low) * (at - low as f64) as f32
    }

    fn at(&self, row: Row) -> f32 {
        self.y(row as f64)
    }

    /// Whether every one of these rows is inside one fold.
    fn hidden(&self, folds: &[(Row, Row)], rows: &[Row]) -> bool {
        folds
            .iter()
            .any(|&(a, b)| rows.iter().all(|r| (a..b).contains(r)))
    }
}

impl Diagram {
    /// The diagram of `view`'s timeline.
    pub fn of(view: &RoomView, options: &DiagramOptions) -> Diagram {
        let empty = Spacetime::default();
        let st = view.spacetime.as_ref().unwrap_or(&empty);
        let folds = fold_ranges(st, options);
        let (rows, gaps) = place_rows(st, &folds);
        let lanes = lane_order(view, st, options);
        // A few dozen lanes: a list is as quick as a map, and smaller in the page's wasm.
        let xs: Vec<(LaneId, f32)> = lanes.iter().map(|l| (l.id, l.x)).collect();
        let zk_x = LEFT;
        let x_of = |client: ClientId| lane_x(&xs, client);
        let mut diagram = Diagram {
            width: LEFT + LANE_WIDTH * lanes.len() as f32 + LANE_WIDTH * 0.6,
            height: rows.bottom + GHOST_ROOM,
            lanes: Vec::new(),
            picked: options.picked,
            forgotten: st.forgotten.clone(),
            gaps,
            ..Diagram::default()
        };
        diagram.lanes = lanes.into_iter().map(|l| l.placed(st, &rows)).collect();
        let hidden = |r: &[Row]| rows.hidden(&folds, r);
        let writes_at = zxid_rows(&st.calls);
        for call in st.calls.iter() {
            let Some(x) = x_of(call.client) else { continue };
            let rows_of: Vec<Row> = [Some(call.sent), call.answer.as_ref().map(|a| a.row)]
                .into_iter()
                .flatten()
                .collect();
            if hidden(&rows_of) {
                continue;
            }
            let z = writes_at
                .binary_search_by_key(&call.sent, |w| w.0)
                .ok()
                .map(|at| writes_at[at].1);
            diagram.call_arrows(call, x, zk_x, z, &rows);
        }
        for note in st.notes.iter() {
            let Some(x) = x_of(note.client) else { continue };
            if hidden(&[note.arrived]) {
                continue;
            }
            diagram.arrows.push(note_arrow(note, x, zk_x, &rows));
        }
        for hold in st.holds.iter() {
            let Some(x) = x_of(hold.client) else { continue };
            if hidden(&[hold.from, hold.to.unwrap_or(hold.from)]) {
                continue;
            }
            diagram.holds.push(hold_bar(hold, x, &rows));
        }
        for write in st.writes.iter().filter(|w| !hidden(&[w.row])) {
            let Some(x) = x_of(write.client) else {
                continue;
            };
            diagram.writes.push(WriteTick {
                client: write.client,
                x,
                y: rows.at(write.row),
                token: write.token,
                outcome: write.outcome,
            });
        }
        diagram.zookeepers_own(st, &rows, &folds);
        diagram.ghosts(view, &xs, zk_x, rows.bottom);
        diagram.keep_only(options.only);
        diagram
    }

    /// What ZooKeeper did on its own lane (nodes leaving the tree), where two held at once,
    /// and the folded bands.
    fn zookeepers_own(&mut self, st: &Spacetime, rows: &Rows, folds: &[(Row, Row)]) {
        self.removals = st
            .removed
            .iter()
            .filter(|(row, _)| !rows.hidden(folds, &[*row]))
            .map(|(row, path)| Removal {
                path: path.clone(),
                y: rows.at(*row),
            })
            .collect();
        self.two_holders = two_holders(&self.holds);
        self.folds = folds
            .iter()
            .map(|&(first, _)| FoldBand {
                first,
                hand_offs: hand_offs_in(st, first, folds),
                y: rows.at(first) - ROW_HEIGHT / 2.0 + FOLD_HEIGHT / 2.0,
            })
            .collect();
    }

    fn call_arrows(&mut self, call: &Call, x: f32, zk_x: f32, z: Option<f64>, rows: &Rows) {
        let mark = Mark::Call(call.sent);
        let (sent, client, op) = (call.sent as f64, call.client, Some(call.op));
        let answer = call.answer.as_ref();
        let answered = answer.map_or(sent + 0.5, |a| a.row as f64);
        // Where the call meets ZooKeeper: between sending and answering; a write whose zxid
        // is known, where ZooKeeper's order puts it.
        let meet = z.unwrap_or((sent + answered) / 2.0);
        let zxid = answer.and_then(|a| a.zxid);
        self.arrows.push(Arrow {
            mark,
            kind: ArrowKind::Call,
            client,
            op,
            path: call.path.clone(),
            zxid: None,
            label: ArrowLabel::Call {
                op: call.op,
                path: call.path.clone(),
            },
            x1: x,
            y1: rows.y(sent),
            x2: zk_x,
            y2: rows.y(meet),
            unread: false,
            trusted: false,
        });
        if let Some(zxid) = zxid {
            self.zxids.push(ZxidDot {
                zxid,
                y: rows.y(meet),
            });
        }
        let Some(answer) = answer else {
            return;
        };
        let label = match (call.op, answer.reply) {
            (_, CallReply::Failed) => ArrowLabel::Failed,
            (ZkOp::Create, _) => ArrowLabel::Created {
                path: answer.path.clone(),
                zxid,
            },
            (ZkOp::GetChildren, _) => ArrowLabel::Listed(answer.listed.clone().unwrap_or(Listed {
                names: Vec::new(),
                total: 0,
            })),
            (ZkOp::Delete, _) => ArrowLabel::Deleted,
            (op, reply) => ArrowLabel::Found {
                op,
                exists: reply == CallReply::Ok,
            },
        };
        self.arrows.push(Arrow {
            mark,
            kind: ArrowKind::Reply,
            client,
            op,
            path: answer.path.clone(),
            zxid,
            label,
            x1: zk_x,
            y1: rows.y(meet),
            x2: x,
            y2: rows.y(answered),
            unread: false,
            trusted: false,
        });
    }

    fn ghosts(&mut self, view: &RoomView, xs: &[(LaneId, f32)], zk_x: f32, bottom: f32) {
        for pending in &view.time.pending {
            let Some(x) = lane_x(xs, pending.client) else {
                continue;
            };
            self.ghosts.push(Ghost {
                id: pending.id,
                client: pending.client,
                kind: pending.kind,
                op: move_op(pending.kind),
                path: pending.path.clone(),
                x,
                y: bottom + GHOST_ROOM / 2.0,
                to_x: zk_x,
            });
        }
    }

    /// Keeps only what `lane` saw: its arrows, holds, writes and waiting moves.
    fn keep_only(&mut self, lane: Option<LaneId>) {
        let Some(LaneId::Client(client)) = lane else {
            return;
        };
        self.arrows.retain(|a| a.client == client);
        self.holds.retain(|h| h.client == client);
        self.writes.retain(|w| w.client == client);
        self.ghosts.retain(|g| g.client == client);
    }
}

fn note_arrow(note: &Note, x: f32, zk_x: f32, rows: &Rows) -> Arrow {
    let arrived = note.arrived as f64;
    Arrow {
        mark: Mark::Note(note.arrived),
        kind: ArrowKind::Notify,
        client: note.client,
        op: None,
        path: note.path.clone(),
        zxid: None,
        label: ArrowLabel::Notified {
            event: note.event,
            path: note.path.clone(),
        },
        // ZooKeeper's notifications carry no zxid: it leaves ZooKeeper's lane just above
        // where it arrives, not at the write that caused it.
        x1: zk_x,
        y1: rows.y(arrived - 0.6),
        x2: x,
        y2: rows.y(arrived),
        unread: note.read.is_none(),
        trusted: note.caused_overlap,
    }
}

fn hold_bar(hold: &Hold, x: f32, rows: &Rows) -> HoldBar {
    HoldBar {
        mark: Mark::Hold(hold.from),
        client: hold.client,
        node: hold.node.clone(),
        x,
        y1: rows.at(hold.from),
        y2: hold.to.map_or(rows.bottom, |to| rows.at(to)),
        open: hold.to.is_none(),
        overlap: hold.overlap,
    }
}

/// Where two holds marked overlapping are both drawn: from the later start to the earlier end.
fn two_holders(holds: &[HoldBar]) -> Vec<(f32, f32)> {
    let over: Vec<&HoldBar> = holds.iter().filter(|h| h.overlap).collect();
    let mut bands = Vec::new();
    for (i, a) in over.iter().enumerate() {
        for b in &over[i + 1..] {
            let (from, to) = (a.y1.max(b.y1), a.y2.min(b.y2));
            if to > from && a.client != b.client {
                bands.push((from, to));
            }
        }
    }
    bands
}

/// Where each write whose zxid is known meets ZooKeeper's lane (by the row it was sent on):
/// in zxid order, each no higher than the one before it. ZooKeeper applied the write between
/// the call and its answer, and a write answered before another was sent has the smaller
/// zxid, so the order fits between the arrows' ends; the clamp only guards a skewed history.
fn zxid_rows(calls: &[Call]) -> Vec<(Row, f64)> {
    // In call order, which is the order of the rows they were sent on.
    let mut at: Vec<(Row, f64)> = Vec::new();
    let mut zxids: Vec<(i64, usize, f64)> = Vec::new();
    for c in calls {
        if let Some((zxid, answered)) = c.answer.as_ref().and_then(|a| Some((a.zxid?, a.row))) {
            zxids.push((zxid, at.len(), answered as f64));
            at.push((c.sent, 0.0));
        }
    }
    sort_small(&mut zxids, |w| w.0);
    let mut last = f64::MIN;
    for (_, i, answered) in zxids {
        let meet = (at[i].0 as f64 + 0.5).max(last + 0.1).min(answered - 0.1);
        last = meet;
        at[i].1 = meet;
    }
    at
}

/// A lane before it is placed: the order is ZooKeeper, lock clients, AppServers, AppClients,
/// then sessions of an earlier run; each kind by the client's number.
struct LaneSlot<'a> {
    id: LaneId,
    lane: Option<&'a Lane>,
    number: Option<ClientNumber>,
    x: f32,
}

fn lane_order<'a>(
    view: &'a RoomView,
    st: &'a Spacetime,
    options: &DiagramOptions,
) -> Vec<LaneSlot<'a>> {
    let rank = |l: &Lane| match l.kind {
        LaneKind::Lock => 0,
        LaneKind::Server => 1,
        LaneKind::App => 2,
        LaneKind::Earlier => 3,
    };
    let number = |l: &Lane| match view.names.number(l.client) {
        ClientNumber::Named(n) if l.kind != LaneKind::Earlier => (0, n),
        _ => (1, l.client),
    };
    let mut lanes: Vec<&Lane> = st
        .lanes
        .iter()
        .filter(|l| {
            let id = LaneId::of(l);
            options
                .only
                .is_none_or(|only| only == id || only == LaneId::Zk)
        })
        .collect();
    sort_small(&mut lanes, |l| (rank(l), number(l), l.from));
    let zk = LaneSlot {
        id: LaneId::Zk,
        lane: None,
        number: None,
        x: LEFT,
    };
    std::iter::once(zk)
        .chain(lanes.into_iter().enumerate().map(|(i, l)| LaneSlot {
            id: LaneId::of(l),
            lane: Some(l),
            number: (l.kind != LaneKind::Earlier).then(|| view.names.number(l.client)),
            x: LEFT + LANE_WIDTH * (i as f32 + 1.0),
        }))
        .collect()
}

impl LaneSlot<'_> {
    fn placed(self, st: &Spacetime, rows: &Rows) -> LaneLine {
        let Some(lane) = self.lane else {
            return LaneLine {
                id: self.id,
                kind: None,
                number: None,
                x: self.x,
                y1: TOP,
                y2: rows.bottom,
                open: true,
                connecting_to: None,
                stretches: Vec::new(),
                ended: None,
                node: None,
            };
        };
        let end = |row: Option<Row>| row.map_or(rows.bottom, |r| rows.at(r));
        let lived_to = lane
            .stretches
            .iter()
            .filter(|s| s.kind == StretchKind::Expiring)
            .map(|s| end(s.to))
            .fold(end(lane.to), f32::max);
        LaneLine {
            id: self.id,
            kind: Some(lane.kind),
            number: self.number,
            x: self.x,
            y1: rows.at(lane.from.max(st.first)),
            y2: lived_to,
            open: lane.to.is_none(),
            connecting_to: lane.connected.map(|r| rows.at(r)),
            stretches: lane
                .stretches
                .iter()
                .map(|s| Segment {
                    kind: s.kind,
                    y1: rows.at(s.from),
                    y2: end(s.to),
                    open: s.to.is_none(),
                })
                .collect(),
            ended: lane
                .reason
                .zip(lane.to)
                .map(|(reason, to)| (reason, rows.at(to))),
            node: st
                .calls
                .iter()
                .filter(|c| c.client == lane.client && c.op == ZkOp::Create)
                .find_map(|c| c.answer.as_ref().filter(|a| a.reply == CallReply::Ok))
                .map(|a| a.path.clone()),
        }
    }
}

/// The rows the folds take, `[first, end)`: runs of at least [`FOLD_LEAST`] ordinary
/// hand-offs before the newest [`OPEN_ROWS`], unless opened. A hand-off runs from one hold's
/// start to the next's; it is ordinary if nothing in it failed, overlapped or broke.
fn fold_ranges(st: &Spacetime, options: &DiagramOptions) -> Vec<(Row, Row)> {
    if options.only.is_some() {
        return Vec::new();
    }
    let open_from = st.next_row().saturating_sub(OPEN_ROWS);
    let marked = remarkable_rows(st);
    let starts: Vec<Row> = st.holds.iter().map(|h| h.from).collect();
    let mut folds = Vec::new();
    let mut run: Vec<(Row, Row)> = Vec::new();
    let mut close = |run: &mut Vec<(Row, Row)>| {
        // A band grows [`FOLD_LEAST`] hand-offs at a time: the rows under it move rarely,
        // so the page redraws few of them.
        let folded = run.len() / FOLD_LEAST * FOLD_LEAST;
        if folded > 0 {
            let (first, end) = (run[0].0, run[folded - 1].1);
            if !options.opened.contains(&first) {
                folds.push((first, end));
            }
        }
        run.clear();
    };
    for pair in starts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let quiet = b <= open_from && !marked.any_in(a, b);
        if quiet {
            run.push((a, b));
        } else {
            close(&mut run);
        }
    }
    close(&mut run);
    folds
}

/// Rows where something worth seeing happened: a fault began or ended, a call failed, holds
/// overlapped, a write was refused or corrupted, a session of an earlier run was found.
fn remarkable_rows(st: &Spacetime) -> Marked {
    let mut marked = Marked {
        first: st.first,
        rows: vec![false; st.row_ms.len()],
    };
    for lane in &st.lanes {
        if lane.kind == LaneKind::Earlier {
            marked.mark(Some(lane.from));
        }
        for s in &lane.stretches {
            marked.mark(Some(s.from));
            marked.mark(s.to);
        }
    }
    for call in &st.calls {
        let failed = call
            .answer
            .as_ref()
            .filter(|a| a.reply == CallReply::Failed);
        marked.mark(failed.map(|a| a.row));
    }
    for hold in st.holds.iter().filter(|h| h.overlap) {
        marked.mark(Some(hold.from));
        marked.mark(hold.to);
    }
    for w in st
        .writes
        .iter()
        .filter(|w| w.outcome != WriteOutcome::Accepted)
    {
        marked.mark(Some(w.row));
    }
    marked
}

/// The kept rows, each marked or not.
struct Marked {
    first: Row,
    rows: Vec<bool>,
}

impl Marked {
    fn mark(&mut self, row: Option<Row>) {
        let at = row.and_then(|r| r.checked_sub(self.first));
        if let Some(slot) = at.and_then(|at| self.rows.get_mut(at as usize)) {
            *slot = true;
        }
    }

    /// Whether a row of `[a, b)` is marked.
    fn any_in(&self, a: Row, b: Row) -> bool {
        let index = |r: Row| (r.saturating_sub(self.first) as usize).min(self.rows.len());
        self.rows[index(a)..index(b)].contains(&true)
    }
}

fn hand_offs_in(st: &Spacetime, first: Row, folds: &[(Row, Row)]) -> usize {
    let end = folds.iter().find(|f| f.0 == first).map_or(first, |f| f.1);
    st.holds
        .iter()
        .filter(|h| (first..end).contains(&h.from))
        .count()
}

/// Each kept row's y, with folds taking one band and idle stretches a gap.
fn place_rows(st: &Spacetime, folds: &[(Row, Row)]) -> (Rows, Vec<IdleGap>) {
    let mut ys = Vec::with_capacity(st.row_ms.len());
    let mut gaps = Vec::new();
    let mut y = TOP + ROW_HEIGHT;
    let mut last_ms: Option<u64> = None;
    let mut in_fold: Option<(Row, Row)> = None;
    for (i, &ms) in st.row_ms.iter().enumerate() {
        let row = st.first + i as u64;
        if let Some(fold) = folds.iter().find(|f| (f.0..f.1).contains(&row)) {
            if in_fold != Some(*fold) {
                in_fold = Some(*fold);
                y += FOLD_HEIGHT;
            }
            ys.push(y - FOLD_HEIGHT / 2.0);
            last_ms = Some(ms);
            continue;
        }
        in_fold = None;
        if let Some(idle) = last_ms.map(|last| ms.saturating_sub(last)) {
            if idle >= IDLE_MS {
                gaps.push(IdleGap {
                    ms: idle,
                    y: y + GAP_HEIGHT / 2.0 - ROW_HEIGHT / 2.0,
                });
                y += GAP_HEIGHT;
            }
        }
        ys.push(y);
        y += ROW_HEIGHT;
        last_ms = Some(ms);
    }
    let rows = Rows {
        first: st.first,
        ys,
        bottom: y,
    };
    (rows, gaps)
}

/// What a mark is, in full, for the details a click opens.
pub fn details(view: &RoomView, mark: Mark) -> Option<Details> {
    let st = view.spacetime.as_ref()?;
    // The listing the client ran: by its lane's kind (a client gone since is still drawn).
    let listing = |client: ClientId| match st.lane(client)?.kind {
        LaneKind::Lock => SeedListing::of(view.recipe),
        LaneKind::Server => Some(SeedListing::AppServer),
        LaneKind::App => Some(SeedListing::AppClient),
        LaneKind::Earlier => None,
    };
    match mark {
        Mark::Call(row) => {
            let call = st.calls.iter().find(|c| c.sent == row)?;
            let answer = call.answer.as_ref();
            Some(Details {
                client: call.client,
                mark,
                op: Some(call.op),
                path: answer.map_or(call.path.clone(), |a| a.path.clone()),
                zxid: answer.and_then(|a| a.zxid),
                reply: answer.map(|a| a.reply),
                event: None,
                from_ms: st.row_ms(call.sent),
                to_ms: answer.and_then(|a| st.row_ms(a.row)),
                seed: listing(call.client).map(|l| (l, op_point(l, call.op))),
                flagged: answer.is_some_and(|a| a.reply == CallReply::Failed),
            })
        }
        Mark::Note(row) => {
            let note = st.notes.iter().find(|n| n.arrived == row)?;
            Some(Details {
                client: note.client,
                mark,
                op: None,
                path: note.path.clone(),
                zxid: None,
                reply: None,
                event: note.event,
                from_ms: st.row_ms(note.arrived),
                to_ms: note.read.and_then(|r| st.row_ms(r)),
                seed: listing(note.client).map(|l| (l, SeedPoint::Notified)),
                flagged: note.caused_overlap,
            })
        }
        Mark::Hold(row) => {
            let hold = st.holds.iter().find(|h| h.from == row)?;
            Some(Details {
                client: hold.client,
                mark,
                op: None,
                path: hold.node.clone(),
                zxid: None,
                reply: None,
                event: None,
                from_ms: st.row_ms(hold.from),
                to_ms: hold.to.and_then(|r| st.row_ms(r)),
                seed: listing(hold.client).map(|l| (l, SeedPoint::GainLock)),
                flagged: hold.overlap,
            })
        }
    }
}

/// The seed's line a call is, in a listing.
fn op_point(listing: SeedListing, op: ZkOp) -> SeedPoint {
    match (listing, op) {
        (_, ZkOp::Create) => SeedPoint::Create,
        (_, ZkOp::GetChildren) => SeedPoint::GetChildren,
        (SeedListing::AppClient, ZkOp::GetData) => SeedPoint::ReadData,
        (_, ZkOp::GetData) => SeedPoint::WatchPredecessor,
        (_, ZkOp::Exists) => SeedPoint::Rewatch,
        (_, ZkOp::Delete) => SeedPoint::Delete,
    }
}

#[cfg(test)]
mod tests;

/// The x of a client's lane.
fn lane_x(xs: &[(LaneId, f32)], client: ClientId) -> Option<f32> {
    xs.iter()
        .find(|(id, _)| *id == LaneId::Client(client))
        .map(|(_, x)| *x)
}

/// Sorts a list that is short or nearly sorted already (the lanes; the writes, which come
/// nearly in zxid order), stably, by insertion: a few bytes of the page's wasm where the
/// standard library's sort costs kilobytes for each type it sorts.
fn sort_small<T, K: Ord>(list: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..list.len() {
        let mut j = i;
        while j > 0 && key(&list[j - 1]) > key(&list[j]) {
            list.swap(j - 1, j);
            j -= 1;
        }
    }
}
