//! The room's space-time (Lamport) diagram as data: a lane per session, every call its sessions
//! make to ZooKeeper and every answer, the notifications ZooKeeper delivers, who held the lock
//! when and their writes, each on the row of the event that told it. Rows follow the order the
//! room saw its events in; `crate::diagram` lays them out, and the page and the SVG export draw
//! that layout.
//!
//! It is the page's (and a replay's): never sent, so it needs no wire form.
//!
//! Only what the events tell is kept: a call's answer carries a zxid when ZooKeeper's answer
//! did (a create's czxid), a notification's cause is not guessed, a killed session's expiry is
//! the moment its nodes left the tree.

use super::sessions::Departed;
use crate::event::RoomEvent;
use crate::kinds::{
    CallReply, ClientId, CloseReason, SessionStatus, WatchedKind, WriteOutcome, ZkOp,
};
use crate::session::SessionId;
use crate::time::MoveKind;

/// A row of the diagram: the number of the happening, counted from the room's first.
pub type Row = u64;

/// Rows the diagram keeps; older ones are let go (counted in [`Forgotten`]), whatever a room
/// does for however long.
pub const SPACETIME_ROWS: usize = 600;
/// Rows let go at once when the diagram is full, so the trim is not paid at every event.
const TRIM_ROWS: usize = 100;

/// The diagram's data; see the module's text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spacetime {
    /// The first row still kept.
    pub first: Row,
    /// When each kept row happened (server clock, ms): row `first + i` at `row_ms[i]`.
    pub row_ms: Vec<u64>,
    pub lanes: Vec<Lane>,
    pub calls: Vec<Call>,
    pub notes: Vec<Note>,
    pub holds: Vec<Hold>,
    pub writes: Vec<Write>,
    /// Nodes of `/locks` and `/sgroup` that left the tree, as the room's observer saw them.
    pub removed: Vec<(Row, String)>,
    /// What was let go from the front.
    pub forgotten: Forgotten,
}

/// What kind of session a lane is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneKind {
    Lock,
    Server,
    App,
    /// A session of an earlier run of the server, found owning nodes of the room.
    Earlier,
}

/// One session's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    pub client: ClientId,
    pub kind: LaneKind,
    pub session: Option<SessionId>,
    /// Added (connecting).
    pub from: Row,
    /// Its session established.
    pub connected: Option<Row>,
    /// Its process ended (closed, crashed, killed, finished).
    pub to: Option<Row>,
    pub reason: Option<CloseReason>,
    pub stretches: Vec<Stretch>,
}

/// A stretch of a lane that is not plain running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub kind: StretchKind,
    pub from: Row,
    pub to: Option<Row>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StretchKind {
    /// The process is dead but ZooKeeper keeps its session (and its nodes) until it expires.
    Expiring,
    /// The client's connection is down (it says Disconnected).
    Disconnected,
    /// Cut off from ZooKeeper by a partition.
    Partitioned,
    /// The process is paused (frozen): it does nothing, its clock stopped.
    Frozen,
}

impl StretchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StretchKind::Expiring => "expiring",
            StretchKind::Disconnected => "disconnected",
            StretchKind::Partitioned => "partitioned",
            StretchKind::Frozen => "frozen",
        }
    }
}

/// A call and, once it came, its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub client: ClientId,
    pub op: ZkOp,
    /// As the call names it (a create's is the prefix).
    pub path: String,
    pub sent: Row,
    pub answer: Option<Answer>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub row: Row,
    pub reply: CallReply,
    /// The node the answer names: a create's new node, else the call's path.
    pub path: String,
    pub zxid: Option<i64>,
    /// A listing's names (the first the event carries) and how many there were.
    pub listed: Option<Listed>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub names: Vec<String>,
    pub total: u32,
}

/// A notification ZooKeeper delivered: when it arrived, and when the client acted on it (in
/// step mode it waits, arrived but unread, until the move is let go).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub client: ClientId,
    pub path: String,
    /// Known once read.
    pub event: Option<WatchedKind>,
    pub arrived: Row,
    pub read: Option<Row>,
    /// The client gained the lock on this notification while another still held it.
    pub caused_overlap: bool,
}

/// A client believed it held the lock from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub client: ClientId,
    pub node: String,
    pub from: Row,
    pub to: Option<Row>,
    /// Another client believed it held the lock during this hold.
    pub overlap: bool,
}

/// A write to the room's protected resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub client: ClientId,
    pub row: Row,
    pub token: i64,
    pub outcome: WriteOutcome,
}

/// What the diagram let go from its front.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub rows: u64,
    pub hand_offs: u64,
}

impl Spacetime {
    /// The row the next happening gets.
    pub fn next_row(&self) -> Row {
        self.first + self.row_ms.len() as u64
    }

    /// When a kept row happened.
    pub fn row_ms(&self, row: Row) -> Option<u64> {
        let at = usize::try_from(row.checked_sub(self.first)?).ok()?;
        self.row_ms.get(at).copied()
    }

    /// A lane of this run's client.
    pub fn lane(&self, client: ClientId) -> Option<&Lane> {
        self.lanes
            .iter()
            .rev()
            .find(|l| l.client == client && l.kind != LaneKind::Earlier)
    }

    fn lane_mut(&mut self, client: ClientId) -> Option<&mut Lane> {
        self.lanes
            .iter_mut()
            .rev()
            .find(|l| l.client == client && l.kind != LaneKind::Earlier)
    }

    fn row(&mut self, at_ms: u64) -> Row {
        let row = self.next_row();
        self.row_ms.push(at_ms);
        row
    }

    /// Folds one event. `departed` is the view's sessions that are gone but may still own
    /// nodes, after the event: a killed session's expiry is when it leaves them.
    pub fn apply(&mut self, at_ms: u64, event: &RoomEvent, departed: &[Departed]) {
        if let RoomEvent::RoomReset = event {
            // Rows are never given twice: what the page remembers of a row stays true.
            let first = self.next_row();
            *self = Spacetime {
                first,
                ..Spacetime::default()
            };
            return;
        }
        let drawn = self.session_event(at_ms, event, departed)
            || self.call_event(at_ms, event)
            || self.lock_event(at_ms, event);
        if drawn {
            self.trim();
        }
    }

    /// A session came, connected, changed or went; whether the event was one of those.
    fn session_event(&mut self, at_ms: u64, event: &RoomEvent, departed: &[Departed]) -> bool {
        use RoomEvent as E;
        match event {
            E::ClientAdded { client, .. } => self.add_lane(at_ms, *client, LaneKind::Lock, None),
            E::ServerAdded { client, .. } => self.add_lane(at_ms, *client, LaneKind::Server, None),
            E::AppClientAdded { client } => self.add_lane(at_ms, *client, LaneKind::App, None),
            E::EarlierSession {
                client, session, ..
            } => self.earlier(at_ms, *client, *session, departed),
            E::ClientConnected {
                client, session, ..
            } => {
                let row = self.row(at_ms);
                if let Some(lane) = self.lane_mut(*client) {
                    lane.session = Some(*session);
                    lane.connected = Some(row);
                }
            }
            E::ClientClosed { client, reason } => self.closed(at_ms, *client, *reason, departed),
            E::SessionChanged { client, state, .. } => {
                let down = match state {
                    SessionStatus::Disconnected => true,
                    SessionStatus::Connected => false,
                    _ => return true,
                };
                self.stretch(at_ms, *client, StretchKind::Disconnected, down);
            }
            E::PartitionChanged {
                client,
                partitioned,
                ..
            } => self.stretch(at_ms, *client, StretchKind::Partitioned, *partitioned),
            E::LinkChanged { client, frozen, .. } => {
                self.stretch(at_ms, *client, StretchKind::Frozen, *frozen)
            }
            E::ZnodeRemoved { path } => {
                // ZooKeeper's own deed: a node left the tree (deleted, or its session ended).
                let row = self.row(at_ms);
                self.removed.push((row, path.clone()));
                self.expired(row, departed);
            }
            E::ZnodeRead { .. } => {
                if self.expiring_ended(departed) {
                    let row = self.row(at_ms);
                    self.expired(row, departed);
                }
            }
            _ => return false,
        }
        true
    }

    /// A call, its answer, a listing's names, a notification; whether the event was one.
    fn call_event(&mut self, at_ms: u64, event: &RoomEvent) -> bool {
        use RoomEvent as E;
        match event {
            E::CallSent {
                client, op, path, ..
            } => {
                let sent = self.row(at_ms);
                self.calls.push(Call {
                    client: *client,
                    op: *op,
                    path: path.clone(),
                    sent,
                    answer: None,
                });
            }
            E::CallAnswered {
                client,
                op,
                path,
                reply,
                zxid,
            } => self.answered(at_ms, *client, *op, path, *reply, *zxid),
            E::ChildrenListed {
                client,
                children,
                total,
                ..
            } => self.listed(*client, children, *total),
            E::MovePending { pending } if pending.kind == MoveKind::Notification => {
                let arrived = self.row(at_ms);
                self.notes.push(Note {
                    client: pending.client,
                    path: pending.path.clone().unwrap_or_default(),
                    event: None,
                    arrived,
                    read: None,
                    caused_overlap: false,
                });
            }
            E::WatchFired {
                client,
                path,
                event,
            } => self.notified(at_ms, *client, path, *event),
            _ => return false,
        }
        true
    }

    /// A hold began or ended, two overlapped, a holder wrote; whether the event was one.
    fn lock_event(&mut self, at_ms: u64, event: &RoomEvent) -> bool {
        use RoomEvent as E;
        match event {
            E::LockGained { client, path } => {
                let from = self.row(at_ms);
                self.holds.push(Hold {
                    client: *client,
                    node: path.clone(),
                    from,
                    to: None,
                    overlap: false,
                });
            }
            E::LockReleased { client, .. } => {
                let row = self.row(at_ms);
                self.end_hold(*client, row);
            }
            E::ResourceWritten {
                client,
                token,
                outcome,
                ..
            } => {
                let row = self.row(at_ms);
                self.writes.push(Write {
                    client: *client,
                    row,
                    token: *token,
                    outcome: *outcome,
                });
            }
            E::Violation { first, second, .. } => self.overlapped(*first, *second),
            _ => return false,
        }
        true
    }

    fn earlier(&mut self, at_ms: u64, client: ClientId, session: SessionId, departed: &[Departed]) {
        let known = self.lanes.iter().any(|l| l.session == Some(session));
        if known || !departed.iter().any(|d| d.session == session) {
            return;
        }
        self.add_lane(at_ms, client, LaneKind::Earlier, Some(session));
        let row = self.next_row() - 1;
        if let Some(lane) = self.lanes.last_mut() {
            lane.to = Some(row);
            lane.reason = Some(CloseReason::ServerDied);
            lane.stretches
                .push(Stretch::open(StretchKind::Expiring, row));
        }
    }

    /// A listing's names, for the answer of the client's latest `getChildren`.
    fn listed(&mut self, client: ClientId, children: &[String], total: u32) {
        let call = self.calls.iter_mut().rev().find(|c| {
            c.client == client
                && c.op == ZkOp::GetChildren
                && c.answer.as_ref().is_some_and(|a| a.listed.is_none())
        });
        if let Some(answer) = call.and_then(|c| c.answer.as_mut()) {
            answer.listed = Some(Listed {
                names: children.to_vec(),
                total,
            });
        }
    }

    fn add_lane(
        &mut self,
        at_ms: u64,
        client: ClientId,
        kind: LaneKind,
        session: Option<SessionId>,
    ) {
        let from = self.row(at_ms);
        self.lanes.push(Lane {
            client,
            kind,
            session,
            from,
            connected: None,
            to: None,
            reason: None,
            stretches: Vec::new(),
        });
    }

    fn answered(
        &mut self,
        at_ms: u64,
        client: ClientId,
        op: ZkOp,
        path: &str,
        reply: CallReply,
        zxid: Option<i64>,
    ) {
        let row = self.row(at_ms);
        let call = self
            .calls
            .iter_mut()
            .rev()
            .find(|c| c.client == client && c.op == op && c.answer.is_none());
        if let Some(call) = call {
            call.answer = Some(Answer {
                row,
                reply,
                path: path.to_string(),
                zxid,
                listed: None,
            });
        }
    }

    fn notified(&mut self, at_ms: u64, client: ClientId, path: &str, event: WatchedKind) {
        let row = self.row(at_ms);
        let unread = self
            .notes
            .iter_mut()
            .rev()
            .find(|n| n.client == client && n.read.is_none() && n.path == path);
        match unread {
            Some(note) => {
                note.read = Some(row);
                note.event = Some(event);
            }
            None => self.notes.push(Note {
                client,
                path: path.to_string(),
                event: Some(event),
                arrived: row,
                read: Some(row),
                caused_overlap: false,
            }),
        }
    }

    /// The client's hold under way, if it holds.
    fn open_hold(&mut self, client: ClientId) -> Option<&mut Hold> {
        self.holds
            .iter_mut()
            .rev()
            .find(|h| h.client == client && h.to.is_none())
    }

    fn end_hold(&mut self, client: ClientId, row: Row) {
        if let Some(hold) = self.open_hold(client) {
            hold.to = Some(row);
        }
    }

    /// `second` gained while `first` held: both holds overlap, and the notification `second`
    /// last acted on is the one it trusted.
    fn overlapped(&mut self, first: ClientId, second: ClientId) {
        for client in [first, second] {
            if let Some(hold) = self.open_hold(client) {
                hold.overlap = true;
            }
        }
        let trusted = self
            .notes
            .iter_mut()
            .rev()
            .find(|n| n.client == second && n.read.is_some());
        if let Some(note) = trusted {
            note.caused_overlap = true;
        }
    }

    fn closed(&mut self, at_ms: u64, client: ClientId, reason: CloseReason, departed: &[Departed]) {
        let row = self.row(at_ms);
        self.end_hold(client, row);
        let Some(lane) = self.lane_mut(client) else {
            return;
        };
        lane.to = Some(row);
        lane.reason = Some(reason);
        for stretch in lane.stretches.iter_mut().filter(|s| s.to.is_none()) {
            stretch.to = Some(row);
        }
        // A killed process's session lives on in ZooKeeper while the view still counts it
        // among the gone that own nodes: until ZooKeeper expires it. (A closed one's nodes go
        // with the close: the observer sees them leave a moment later.)
        let lives_on = reason == CloseReason::Killed
            && lane
                .session
                .is_some_and(|s| departed.iter().any(|d| d.session == s));
        if lives_on {
            lane.stretches
                .push(Stretch::open(StretchKind::Expiring, row));
        }
    }

    fn stretch(&mut self, at_ms: u64, client: ClientId, kind: StretchKind, begins: bool) {
        let open_now = self.lane(client).is_some_and(|lane| {
            lane.to.is_none()
                && lane
                    .stretches
                    .iter()
                    .any(|s| s.kind == kind && s.to.is_none())
        });
        if begins == open_now || self.lane(client).is_none_or(|l| l.to.is_some()) {
            return;
        }
        let row = self.row(at_ms);
        let Some(lane) = self.lane_mut(client) else {
            return;
        };
        if begins {
            lane.stretches.push(Stretch::open(kind, row));
        } else if let Some(s) = lane
            .stretches
            .iter_mut()
            .find(|s| s.kind == kind && s.to.is_none())
        {
            s.to = Some(row);
        }
    }

    /// A dead process's session is no longer among the gone that own nodes: ZooKeeper
    /// expired it (its nodes left the tree).
    /// Whether a dead process's session is no longer among the gone that own nodes: ZooKeeper
    /// expired it (its nodes left the tree).
    fn expiring_ended(&self, departed: &[Departed]) -> bool {
        self.lanes.iter().any(|l| lane_expired(l, departed))
    }

    /// Ends, at `row`, the expiring stretch of every session ZooKeeper has expired.
    fn expired(&mut self, row: Row, departed: &[Departed]) {
        for lane in self.lanes.iter_mut().filter(|l| lane_expired(l, departed)) {
            for s in lane.stretches.iter_mut().filter(|s| s.to.is_none()) {
                s.to = Some(row);
            }
        }
    }

    /// Lets the oldest rows go once the diagram holds more than [`SPACETIME_ROWS`]; what is
    /// still open (a call unanswered, a hold, a lane) stays.
    fn trim(&mut self) {
        if self.row_ms.len() <= SPACETIME_ROWS + TRIM_ROWS {
            return;
        }
        let cut = self.first + TRIM_ROWS as u64;
        let before = |row: Option<Row>| row.is_some_and(|r| r < cut);
        self.calls
            .retain(|c| !before(c.answer.as_ref().map(|a| a.row)));
        self.notes.retain(|n| !before(n.read));
        self.writes.retain(|w| w.row >= cut);
        self.removed.retain(|r| r.0 >= cut);
        let held = self.holds.len();
        self.holds.retain(|h| !before(h.to));
        self.forgotten.hand_offs += (held - self.holds.len()) as u64;
        self.lanes
            .retain(|l| !before(l.to) || l.stretches.iter().any(|s| !before(s.to)));
        self.row_ms.drain(..TRIM_ROWS);
        self.first = cut;
        self.forgotten.rows += TRIM_ROWS as u64;
    }
}

/// The lane's process is dead and its session, still expiring here, is no longer among the
/// gone that own nodes.
fn lane_expired(lane: &Lane, departed: &[Departed]) -> bool {
    let expiring = lane
        .stretches
        .iter()
        .any(|s| s.kind == StretchKind::Expiring && s.to.is_none());
    expiring
        && !lane
            .session
            .is_some_and(|s| departed.iter().any(|d| d.session == s))
}

impl Stretch {
    fn open(kind: StretchKind, from: Row) -> Self {
        Stretch {
            kind,
            from,
            to: None,
        }
    }
}
