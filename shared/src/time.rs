//! Time in the teacher's hands: the room's time mode and the moves its clients wait to make.
//!
//! ZooKeeper never waits. What waits is each simulated client's next move: a call it is about to
//! make, a notification it is about to act on, a hold that ran out, a write.

use serde::{Deserialize, Serialize};

use crate::kinds::ClientId;
use crate::seed::SeedPoint;

/// How the room's clients move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeMode {
    /// Every move goes at once.
    #[default]
    Live,
    /// Every move waits until someone lets it go (Next, or a click on it).
    Step,
    /// The room's moves go on their own one at a time, `slow_factor × SLOW_MOVE_MS` apart;
    /// holds last `slow_factor` times as long.
    Slow,
}

impl TimeMode {
    pub const ALL: [TimeMode; 3] = [TimeMode::Live, TimeMode::Step, TimeMode::Slow];

    /// The name on the wire and in the page's `<select>`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeMode::Live => "live",
            TimeMode::Step => "step",
            TimeMode::Slow => "slow",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// How many times longer holds last, and animations play, in this mode.
    pub fn stretch(self, slow_factor: u32) -> u32 {
        match self {
            TimeMode::Slow => slow_factor,
            TimeMode::Live | TimeMode::Step => 1,
        }
    }
}

/// How long a move waits in slow motion before it goes on its own.
pub fn slow_delay_ms(slow_factor: u32) -> u64 {
    SLOW_MOVE_MS * u64::from(slow_factor)
}

/// The slow-motion factors a room may use.
pub const SLOW_FACTORS: [u32; 3] = [2, 5, 10];
/// The factor a room starts with.
pub const DEFAULT_SLOW_FACTOR: u32 = 5;
/// In slow motion, each move waits this many milliseconds times the factor.
pub const SLOW_MOVE_MS: u64 = 150;

/// The next slow factor up (`+`) or down (`−`), staying at the ends.
pub fn slower(factor: u32, up: bool) -> u32 {
    let at = SLOW_FACTORS.iter().position(|f| *f == factor).unwrap_or(1);
    let at = if up {
        (at + 1).min(SLOW_FACTORS.len() - 1)
    } else {
        at.saturating_sub(1)
    };
    SLOW_FACTORS[at]
}

/// A waiting move, numbered per room from 1.
pub type MoveId = u64;

/// What a client is about to do (`data-move`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    Create,
    GetChildren,
    GetData,
    Exists,
    Delete,
    /// Act on a notification ZooKeeper has delivered.
    Notification,
    /// The hold ran out: go on to `finished:` and the delete.
    HoldOver,
    /// Write to the protected resource.
    Write,
}

impl MoveKind {
    pub const ALL: [MoveKind; 8] = [
        MoveKind::Create,
        MoveKind::GetChildren,
        MoveKind::GetData,
        MoveKind::Exists,
        MoveKind::Delete,
        MoveKind::Notification,
        MoveKind::HoldOver,
        MoveKind::Write,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Create => "create",
            MoveKind::GetChildren => "get_children",
            MoveKind::GetData => "get_data",
            MoveKind::Exists => "exists",
            MoveKind::Delete => "delete",
            MoveKind::Notification => "notification",
            MoveKind::HoldOver => "hold_over",
            MoveKind::Write => "write",
        }
    }
}

/// One move waiting at the room's gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMove {
    pub id: MoveId,
    pub client: ClientId,
    pub kind: MoveKind,
    /// Where in the seed's code the client stands.
    pub point: SeedPoint,
    /// The znode the move is about, if any (the node to watch, delete, or that fired).
    pub path: Option<String>,
    /// When it began to wait (server clock, ms since the epoch).
    pub since_ms: u64,
    /// In slow motion: when it goes on its own.
    pub due_ms: Option<u64>,
}

/// What a recorded move lets go at the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveClass {
    /// A ZooKeeper call (create, list, read, watch, delete).
    Call,
    /// Acting on a delivered notification.
    Notify,
    /// The end of a hold.
    HoldOver,
}

impl MoveClass {
    /// The class of a waiting move; a write to the protected resource has none (no recipe
    /// model has it).
    pub fn of(kind: MoveKind) -> Option<MoveClass> {
        match kind {
            MoveKind::Create
            | MoveKind::GetChildren
            | MoveKind::GetData
            | MoveKind::Exists
            | MoveKind::Delete => Some(MoveClass::Call),
            MoveKind::Notification => Some(MoveClass::Notify),
            MoveKind::HoldOver => Some(MoveClass::HoldOver),
            MoveKind::Write => None,
        }
    }
}

/// One move of a recorded interleaving of lock clients, each named by its place in the order
/// they were added (0 = the first): the model checker's moves, which step mode can play one by
/// one on the real ensemble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceMove {
    /// The client's waiting ZooKeeper call goes, and its recipe gets the answer.
    Call(u32),
    /// The client acts on the notification ZooKeeper delivered.
    Notify(u32),
    /// The client's hold ends.
    HoldOver(u32),
    /// The client's process exits, closing its session.
    Crash(u32),
    /// The client's process dies, its session left to expire.
    Kill(u32),
    /// A killed client's session expires: ZooKeeper deletes its ephemeral node.
    Expire(u32),
}

impl TraceMove {
    /// The client it moves, by its place in the order added (0 = the first).
    pub fn client(self) -> u32 {
        match self {
            TraceMove::Call(n)
            | TraceMove::Notify(n)
            | TraceMove::HoldOver(n)
            | TraceMove::Crash(n)
            | TraceMove::Kill(n)
            | TraceMove::Expire(n) => n,
        }
    }

    /// What it lets go at the gate; a crash or a kill is an intent, not a move that waits.
    pub fn class(self) -> Option<MoveClass> {
        match self {
            TraceMove::Call(_) => Some(MoveClass::Call),
            TraceMove::Notify(_) => Some(MoveClass::Notify),
            TraceMove::HoldOver(_) => Some(MoveClass::HoldOver),
            TraceMove::Crash(_) | TraceMove::Kill(_) | TraceMove::Expire(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_factors_step_up_and_down_and_stay_at_the_ends() {
        assert_eq!(slower(2, true), 5);
        assert_eq!(slower(5, true), 10);
        assert_eq!(slower(10, true), 10);
        assert_eq!(slower(10, false), 5);
        assert_eq!(slower(2, false), 2);
    }

    #[test]
    fn names_round_trip() {
        for mode in TimeMode::ALL {
            assert_eq!(TimeMode::from_name(mode.as_str()), Some(mode));
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
        }
        for kind in MoveKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}
