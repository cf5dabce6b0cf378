//! Guided lessons: the course (each lesson's steps, what a step's Do it does, the check it runs,
//! its question), a room's progress through one lesson, and the texts a page shows for it.
//!
//! The course and its texts are data (`shared/lessons/*.json`) a teacher can edit; this module
//! gives them types, and the checks (`check`) are the one place a step's outcome is decided.

pub mod action;
pub mod check;
pub mod texts;

use serde::{Deserialize, Serialize};

use crate::kinds::LockRecipeKind;
use crate::limits::{MAX_HOLD_MS, MAX_PAUSE_MS};
use crate::seed::{SeedListing, SeedPoint};

pub use self::action::{Action, MemberTarget, Settle, Span, Target};
pub use self::check::{Check, Outcome, StepLog};
pub use self::texts::{
    fill, fill_with, Lang, LessonText, LessonTexts, PanelTexts, QuizText, StepText, TEXTS_EN,
    TEXTS_ZH,
};
pub use crate::progress::{
    Busy, CheckReport, CheckStatus, Found, LessonId, LessonProgress, StepProgress, StepStatus, Why,
};

/// The course's structure, as `shared/lessons/course.json` has it. The server parses it to run
/// steps and checks; the page fetches the same file to draw them.
pub const COURSE_JSON: &str = include_str!("../lessons/course.json");

/// Most clients or servers one intent of a Do it adds.
pub const MAX_COUNT: u32 = 20;
/// Longest span in percent of the session timeout (the room's limits clamp it too).
pub const MAX_PERCENT: u64 = 500;

/// Every lesson, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub lessons: Vec<Lesson>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub id: LessonId,
    /// The part of the stage the lesson is about, drawn first beside its steps.
    #[serde(default)]
    pub focus: Focus,
    /// The timeline is open while the lesson runs (a learner may close it).
    #[serde(default)]
    pub timeline: bool,
    /// The recipe panel is open while the lesson runs (a learner may close it).
    #[serde(default)]
    pub recipe: bool,
    /// How the room is set when the lesson starts (and again on Back or Restart).
    #[serde(default)]
    pub setup: Setup,
    pub steps: Vec<Step>,
}

impl Lesson {
    /// Whether a step stops or starts ZooKeeper members (so the lesson needs an ensemble it
    /// may stop).
    pub fn stops_members(&self) -> bool {
        self.steps
            .iter()
            .flat_map(|s| &s.actions)
            .any(|a| matches!(a, Action::StopMember { .. } | Action::StartMember { .. }))
    }
}

/// The room a lesson starts from: empty, with these settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Setup {
    pub recipe: LockRecipeKind,
    /// 0 = hold until released, so the queue stays still while the narration explains it.
    pub hold: Span,
    pub fencing: bool,
    pub suspend_on_disconnect: bool,
    /// Start the seed's AppClient, which watches `/sgroup`.
    pub app_client: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            recipe: LockRecipeKind::Predecessor,
            hold: Span::Ms(0),
            fencing: false,
            suspend_on_disconnect: false,
            app_client: false,
        }
    }
}

/// One step: what Do it does, the check that says whether it happened, and maybe a question
/// asked before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Names the step's texts in each language file.
    pub key: String,
    /// The seed's line this step illustrates, highlighted while the step is current.
    pub seed: SeedRef,
    #[serde(rename = "do")]
    pub actions: Vec<Action>,
    pub check: Check,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<Quiz>,
    /// How fast the room runs while the step's key moment plays: slowed for the eye, then
    /// back to live once the step is decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace: Option<Pace>,
}

/// A step's pace: `{"slow": 5}` runs the room in slow motion ×5 from Do it until the step is
/// decided (a hand-off is over in a fraction of a second otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    Slow(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRef {
    pub listing: SeedListing,
    pub point: SeedPoint,
}

/// Predict, then see: the choices, each with the check that says it is what happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quiz {
    pub options: Vec<QuizOption>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizOption {
    /// Names the option's text.
    pub key: String,
    /// The option is what ZooKeeper did if this check passes once the step's own check is
    /// decided; no answer is marked right by the file.
    pub shows: Check,
}

/// What is wrong with a course file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CourseError {
    /// A count or a length beyond what the room allows.
    Limit {
        lesson: LessonId,
        key: String,
    },
    /// Lessons must be numbered 1, 2, 3 ... in order.
    Numbering {
        at: usize,
        found: LessonId,
    },
    NoSteps(LessonId),
    DuplicateStep {
        lesson: LessonId,
        key: String,
    },
    /// A question needs two to four choices, with distinct keys.
    Quiz {
        lesson: LessonId,
        key: String,
    },
}

impl std::fmt::Display for CourseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CourseError::Numbering { at, found } => {
                write!(f, "lesson {} is numbered {found}", at + 1)
            }
            CourseError::NoSteps(id) => write!(f, "lesson {id} has no steps"),
            CourseError::Limit { lesson, key } => write!(
                f,
                "lesson {lesson}, step {key:?}: a count above {MAX_COUNT}, or a time beyond the \
                 room's limits (holds {MAX_HOLD_MS} ms, pauses {MAX_PAUSE_MS} ms, \
                 {MAX_PERCENT} % of the session timeout), or a pace other than slow ×2, ×5 or \
                 ×10"
            ),
            CourseError::DuplicateStep { lesson, key } => {
                write!(f, "lesson {lesson} has two steps called {key:?}")
            }
            CourseError::Quiz { lesson, key } => write!(
                f,
                "the question of lesson {lesson}, step {key:?}, needs 2-4 choices with distinct keys"
            ),
        }
    }
}

impl std::error::Error for CourseError {}

impl Course {
    /// Checks what serde cannot: numbering, unique step keys, question sizes.
    pub fn validate(&self) -> Result<(), CourseError> {
        for (at, lesson) in self.lessons.iter().enumerate() {
            if usize::from(lesson.id.0) != at + 1 {
                return Err(CourseError::Numbering {
                    at,
                    found: lesson.id,
                });
            }
            if lesson.steps.is_empty() {
                return Err(CourseError::NoSteps(lesson.id));
            }
            let within = |span: Span, max_ms: u64| match span {
                Span::Ms(ms) => ms <= max_ms,
                Span::TimeoutPercent(p) => p <= MAX_PERCENT,
            };
            let limit = |key: &str| CourseError::Limit {
                lesson: lesson.id,
                key: key.to_string(),
            };
            if !within(lesson.setup.hold, MAX_HOLD_MS) {
                return Err(limit("setup"));
            }
            for (i, step) in lesson.steps.iter().enumerate() {
                if lesson.steps[..i].iter().any(|s| s.key == step.key) {
                    return Err(CourseError::DuplicateStep {
                        lesson: lesson.id,
                        key: step.key.clone(),
                    });
                }
                let fits = step.actions.iter().all(|a| match a {
                    Action::AddLockClients { count, .. } | Action::AddServers { count } => {
                        *count <= MAX_COUNT
                    }
                    // A trace the file has, whose moves name only the clients it adds.
                    Action::PlayTrace {
                        trace,
                        clients,
                        pace,
                    } => {
                        *clients <= MAX_COUNT
                            && within(*pace, MAX_HOLD_MS)
                            && action::trace(trace)
                                .is_some_and(|moves| moves.iter().all(|m| m.client() < *clients))
                    }
                    Action::SetHold { hold } => within(*hold, MAX_HOLD_MS),
                    Action::Pause { span, .. } | Action::Partition { span, .. } => {
                        within(*span, MAX_PAUSE_MS)
                    }
                    _ => true,
                });
                let paced = step
                    .pace
                    .is_none_or(|Pace::Slow(f)| crate::time::SLOW_FACTORS.contains(&f));
                if !fits || !paced {
                    return Err(limit(&step.key));
                }
                if let Some(quiz) = &step.quiz {
                    let distinct = quiz
                        .options
                        .iter()
                        .enumerate()
                        .all(|(j, o)| quiz.options[..j].iter().all(|p| p.key != o.key));
                    if !(2..=4).contains(&quiz.options.len()) || !distinct {
                        return Err(CourseError::Quiz {
                            lesson: lesson.id,
                            key: step.key.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    pub fn lesson(&self, id: LessonId) -> Option<&Lesson> {
        self.lessons.get(usize::from(id.0).checked_sub(1)?)
    }
}

/// What a page needs of the course to draw it: each lesson's steps, their seed lines and
/// questions. It reads the same `course.json` and skips what only the server uses (Do it and
/// the checks), so the page's code does not grow with them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseOutline {
    pub lessons: Vec<LessonOutline>,
}

/// A part of the stage a lesson is about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    /// The lock queue, `/locks`.
    #[default]
    Locks,
    /// The watch notifications counted per hand-off.
    Herd,
    /// The live server list, `/sgroup`.
    Registry,
    /// The protected resource and its writes.
    Resource,
    /// ZooKeeper's own members.
    Ensemble,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonOutline {
    pub id: LessonId,
    #[serde(default)]
    pub focus: Focus,
    #[serde(default)]
    pub timeline: bool,
    #[serde(default)]
    pub recipe: bool,
    pub steps: Vec<StepOutline>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutline {
    pub key: String,
    pub seed: SeedRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<QuizOutline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pace: Option<Pace>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizOutline {
    pub options: Vec<OptionOutline>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionOutline {
    pub key: String,
}

impl CourseOutline {
    pub fn lesson(&self, id: LessonId) -> Option<&LessonOutline> {
        self.lessons.iter().find(|l| l.id == id)
    }
}

impl LessonProgress {
    /// A lesson at its first step, nothing checked yet.
    pub fn start(lesson: &Lesson) -> Self {
        let mut steps = vec![StepProgress::default(); lesson.steps.len()];
        if let Some(first) = steps.first_mut() {
            first.status = StepStatus::Current;
        }
        LessonProgress {
            lesson: lesson.id,
            attempt: 0,
            step: 0,
            steps,
            busy: None,
        }
    }
}
