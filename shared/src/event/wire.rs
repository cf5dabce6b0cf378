//! How a [`RoomEvent`] is read: through one flat struct of optional fields, in one pass.
//!
//! serde's derive for an internally tagged enum buffers the whole message into its `Content`
//! tree and builds a visitor per variant, per deserializer: 141 KB of the page's wasm for
//! `ServerMsg` and `RoomEvent`. The wire format stays the derive's own (their `Serialize` is
//! derived); the golden tests check that every kind reads back as it was written, and its
//! [`EventKind`] is made from the variants, so a new event fails to compile until it has its arm
//! in `TryFrom`. One difference from the derive: a field of another kind, sent along, is
//! checked against its type instead of ignored (the server never sends one). `ServerMsg` is read the same way
//! (`crate::protocol::wire`), with [`MissingField`] and `need!` from here.

use std::fmt;

use serde::Deserialize;

use super::{EventKind, RoomEvent};
use crate::classroom::StudentId;
use crate::kinds::{
    CallReply, ClientId, CloseReason, LockRecipeKind, SessionStatus, WatchCall, WatchedKind,
    WriteOutcome, ZkOp,
};
use crate::progress::LessonProgress;
use crate::recipe::Verdict;
use crate::session::SessionId;
use crate::time::{MoveId, PendingMove, TimeMode};
use crate::znode::{Znode, ZnodeRead};

/// A field the message's tag requires is absent.
#[derive(Debug)]
pub struct MissingField(pub(crate) &'static str);

impl fmt::Display for MissingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "missing field `{}`", self.0)
    }
}

/// `$wire.$field`, or the error naming it.
macro_rules! need {
    ($wire:ident . $field:ident) => {
        $wire
            .$field
            .ok_or($crate::event::wire::MissingField(stringify!($field)))?
    };
}
pub(crate) use need;

/// Every field of every [`RoomEvent`].
#[derive(Deserialize)]
pub struct WireEvent {
    kind: EventKind,
    client: Option<ClientId>,
    owner: Option<StudentId>,
    name: Option<String>,
    session: Option<SessionId>,
    timeout_ms: Option<u64>,
    path: Option<String>,
    dir: Option<String>,
    children: Option<Vec<String>>,
    total: Option<u32>,
    call: Option<WatchCall>,
    event: Option<WatchedKind>,
    message: Option<String>,
    reason: Option<CloseReason>,
    node: Option<Znode>,
    read: Option<ZnodeRead>,
    state: Option<SessionStatus>,
    member: Option<String>,
    token: Option<i64>,
    outcome: Option<WriteOutcome>,
    on: Option<bool>,
    frozen: Option<bool>,
    partitioned: Option<bool>,
    until_ms: Option<u64>,
    hold_ms: Option<u64>,
    recipe: Option<LockRecipeKind>,
    servers: Option<Vec<String>>,
    first: Option<ClientId>,
    first_path: Option<String>,
    second: Option<ClientId>,
    second_path: Option<String>,
    progress: Option<LessonProgress>,
    mode: Option<TimeMode>,
    slow_factor: Option<u32>,
    pending: Option<PendingMove>,
    id: Option<MoveId>,
    student: Option<StudentId>,
    watching: Option<u32>,
    here: Option<Vec<StudentId>>,
    expires_at_ms: Option<u64>,
    op: Option<ZkOp>,
    reply: Option<CallReply>,
    zxid: Option<i64>,
    line: Option<u32>,
    source: Option<String>,
    verdict: Option<Verdict>,
}

impl TryFrom<WireEvent> for RoomEvent {
    type Error = MissingField;

    fn try_from(w: WireEvent) -> Result<RoomEvent, MissingField> {
        use EventKind as K;
        use RoomEvent as E;
        Ok(match w.kind {
            K::ClientAdded => E::ClientAdded {
                client: need!(w.client),
                owner: w.owner,
            },
            K::ServerAdded => E::ServerAdded {
                client: need!(w.client),
                name: need!(w.name),
                owner: w.owner,
            },
            K::AppClientAdded => E::AppClientAdded {
                client: need!(w.client),
            },
            K::ClientConnected => E::ClientConnected {
                client: need!(w.client),
                session: need!(w.session),
                timeout_ms: need!(w.timeout_ms),
            },
            K::NodeCreatedByClient => E::NodeCreatedByClient {
                client: need!(w.client),
                path: need!(w.path),
            },
            K::ChildrenListed => E::ChildrenListed {
                client: need!(w.client),
                dir: need!(w.dir),
                children: need!(w.children),
                total: need!(w.total),
            },
            K::WatchSet => E::WatchSet {
                client: need!(w.client),
                path: need!(w.path),
                call: need!(w.call),
            },
            K::WatchFired => E::WatchFired {
                client: need!(w.client),
                path: need!(w.path),
                event: need!(w.event),
            },
            K::CallSent => E::CallSent {
                client: need!(w.client),
                op: need!(w.op),
                path: need!(w.path),
                line: w.line,
            },
            K::CallAnswered => E::CallAnswered {
                client: need!(w.client),
                op: need!(w.op),
                path: need!(w.path),
                reply: need!(w.reply),
                zxid: w.zxid,
            },
            K::LockGained => E::LockGained {
                client: need!(w.client),
                path: need!(w.path),
            },
            K::LockReleased => E::LockReleased {
                client: need!(w.client),
                path: need!(w.path),
            },
            K::ClientError => E::ClientError {
                client: need!(w.client),
                message: need!(w.message),
            },
            K::ClientClosed => E::ClientClosed {
                client: need!(w.client),
                reason: need!(w.reason),
            },
            K::ZnodeAdded => E::ZnodeAdded {
                node: need!(w.node),
            },
            K::ZnodeRead => E::ZnodeRead {
                path: need!(w.path),
                read: need!(w.read),
            },
            K::ZnodeRemoved => E::ZnodeRemoved {
                path: need!(w.path),
            },
            K::SessionChanged => E::SessionChanged {
                client: need!(w.client),
                state: need!(w.state),
                member: w.member,
            },
            K::ResourceWritten => E::ResourceWritten {
                client: need!(w.client),
                path: need!(w.path),
                token: need!(w.token),
                outcome: need!(w.outcome),
            },
            K::FencingChanged => E::FencingChanged { on: need!(w.on) },
            K::LinkChanged => E::LinkChanged {
                client: need!(w.client),
                frozen: need!(w.frozen),
                until_ms: w.until_ms,
            },
            K::HoldChanged => E::HoldChanged {
                hold_ms: need!(w.hold_ms),
            },
            K::RecipeChanged => E::RecipeChanged {
                recipe: need!(w.recipe),
            },
            K::ScriptLoaded => E::ScriptLoaded {
                source: need!(w.source),
            },
            K::RecipeChecked => E::RecipeChecked {
                source: need!(w.source),
                verdict: Box::new(need!(w.verdict)),
            },
            K::ServerListUpdated => E::ServerListUpdated {
                client: need!(w.client),
                servers: need!(w.servers),
            },
            K::Violation => E::Violation {
                first: need!(w.first),
                first_path: need!(w.first_path),
                second: need!(w.second),
                second_path: need!(w.second_path),
            },
            K::LockSuspended => E::LockSuspended {
                client: need!(w.client),
                path: need!(w.path),
            },
            K::LockResumed => E::LockResumed {
                client: need!(w.client),
                path: need!(w.path),
            },
            K::PartitionChanged => E::PartitionChanged {
                client: need!(w.client),
                partitioned: need!(w.partitioned),
                until_ms: w.until_ms,
            },
            K::SuspendChanged => E::SuspendChanged { on: need!(w.on) },
            K::RoomReset => E::RoomReset,
            K::LessonChanged => E::LessonChanged {
                progress: w.progress,
            },
            K::TimeChanged => E::TimeChanged {
                mode: need!(w.mode),
                slow_factor: need!(w.slow_factor),
            },
            K::MovePending => E::MovePending {
                pending: need!(w.pending),
            },
            K::MoveReleased => E::MoveReleased {
                id: need!(w.id),
                client: need!(w.client),
            },
            K::StudentJoined => E::StudentJoined {
                student: need!(w.student),
                name: need!(w.name),
            },
            K::PresenceChanged => E::PresenceChanged {
                watching: need!(w.watching),
                here: need!(w.here),
            },
            K::EarlierSession => E::EarlierSession {
                client: need!(w.client),
                session: need!(w.session),
                timeout_ms: need!(w.timeout_ms),
                expires_at_ms: w.expires_at_ms,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_under_its_own_kind() {
        let events = [
            RoomEvent::RoomReset,
            RoomEvent::LockGained {
                client: 3,
                path: "/locks/sub0000000001".into(),
            },
            RoomEvent::FencingChanged { on: true },
        ];
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            let wire: WireEvent = serde_json::from_value(json).unwrap();
            assert_eq!(wire.kind, EventKind::from(&event));
            assert_eq!(RoomEvent::try_from(wire).unwrap(), event);
        }
    }
}
