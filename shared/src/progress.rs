//! A room's way through a lesson, as its view carries it to every page: which step, what each
//! step's check found, what the room is doing for it. The lesson engine that decides it is
//! above, in `lesson`.

use serde::{Deserialize, Serialize};

use crate::kinds::ClientId;

/// A lesson's number, 1-based, as in `?lesson=N` and `data-lesson`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LessonId(pub u8);

impl std::fmt::Display for LessonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A room's way through one lesson: part of its `RoomView`, so every viewer follows the same
/// step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    pub lesson: LessonId,
    /// Counts the room's starts of the lesson (a start, Back, Restart): a page keeps its
    /// learner's predictions for one attempt.
    #[serde(default)]
    pub attempt: u32,
    /// The current step (0-based).
    pub step: usize,
    /// One per step of the lesson.
    pub steps: Vec<StepProgress>,
    /// What the room is doing for the lesson, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<Busy>,
}

impl LessonProgress {
    /// Every step done.
    pub fn finished(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Done)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    pub status: StepStatus,
    pub check: CheckReport,
    /// Do it has been pressed for this step: what is left is ZooKeeper's answer (a session
    /// to expire, a watch to fire), and a second press does nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acted: bool,
}

/// `data-status` of a `lesson-step`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    #[default]
    Todo,
    Current,
    Done,
    /// Its check can no longer pass; Redo replays the room up to it.
    Failed,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Todo => "todo",
            StepStatus::Current => "current",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
        }
    }
}

/// What a step's check has found so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub status: CheckStatus,
    #[serde(default)]
    pub found: Found,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Why>,
    /// Once decided: the quiz options (by index) whose check passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub happened: Vec<usize>,
}

/// `data-status` of a `lesson-check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    #[default]
    Waiting,
    Passed,
    Failed,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Waiting => "waiting",
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
        }
    }
}

/// What the room is doing for the lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Busy {
    /// Running the current step's Do it.
    Doing,
    /// Emptying the room: stopped members started again, every session closed, the tree
    /// swept.
    Resetting,
    /// Doing an earlier step again on the way back to the chosen one.
    Replaying { step: usize },
    /// Waiting for an ensemble of the room's own (the lesson stops members): every one the
    /// server lends is taken; `place` 1 is next.
    WaitingForEnsemble { place: usize },
    /// Starting the room's own three members.
    StartingEnsemble,
}

/// What a check found, for its texts' `{client}`, `{node}` ... placeholders.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<ClientId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watched: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    /// What a hand-off cost under the other recipe, beside this step's `count` (the `herd`
    /// check): that recipe's `HerdStats::last_handoff`, the notifications from its holder
    /// letting go to the next gain, when the room has used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<u32>,
}

impl Found {
    /// The placeholders a text may use, and what each is.
    pub const PLACEHOLDERS: [&'static str; 10] = [
        "client", "other", "node", "watched", "line", "count", "expected", "compared", "member",
        "leader",
    ];
}

/// Why a check can no longer pass; each has its text in the language files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Two clients held the lock at once.
    TwoHolders,
    /// The room runs a recipe that cannot give two holders.
    FixedRecipe,
    /// Nobody held the lock when the step began.
    NoHolder,
    /// Its client left before it did what the step is about.
    ClientGone,
    /// More notifications than the recipe sends were delivered.
    OtherCount,
    /// A closed session's node stayed as if the process had crashed.
    NodeStayed,
    /// A killed process's node went before its session could have expired.
    RemovedAtOnce,
    /// A session expired.
    SessionLost,
    /// The step needs zkplay's own three-member ensemble.
    NoEnsemble,
    /// The AppClient printed something the seed does not.
    OtherOutput,
    /// The room has no AppClient to print the list.
    NoAppClient,
    /// The resource rejected the write: fencing is on.
    FencingOn,
    /// The resource let the write land: fencing is off.
    FencingOff,
    /// The holder stopped on Disconnected: the careful holder is on.
    Suspended,
    /// The careful holder wrote while it was disconnected.
    WroteWhileDisconnected,
    /// Do it found no client to act on: the room is not as the step expects.
    NoTarget,
    /// Do it waited in vain for the room to settle.
    Stuck,
    /// The room refused one of Do it's intents (the room's reason is in `line`).
    Refused,
}

impl Why {
    pub const ALL: [Why; 18] = [
        Why::TwoHolders,
        Why::FixedRecipe,
        Why::NoHolder,
        Why::ClientGone,
        Why::OtherCount,
        Why::NodeStayed,
        Why::RemovedAtOnce,
        Why::SessionLost,
        Why::NoEnsemble,
        Why::OtherOutput,
        Why::NoAppClient,
        Why::FencingOn,
        Why::FencingOff,
        Why::Suspended,
        Why::WroteWhileDisconnected,
        Why::NoTarget,
        Why::Stuck,
        Why::Refused,
    ];
}
