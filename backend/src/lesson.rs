//! Guided lessons in a room: the lesson's progress, with its current step's check fed by every
//! event the room publishes ([`LessonRun`]), and the runner that does a step's Do it, or
//! empties the room and does the steps before a chosen one again, through the room's ordinary
//! intents ([`run_step`], [`go_to`]).

use std::time::Duration;

use shared::lesson::{
    Action, Busy, CheckReport, CheckStatus, Course, CourseError, Lesson, LessonId, LessonProgress,
    MemberTarget, Outcome, Settle, Step, StepLog, StepStatus, Why, COURSE_JSON,
};
use shared::{EnsembleView, MemberMode, RoomEvent, RoomView};
use tokio::sync::watch;

use crate::ensemble::EnsembleControl;
use crate::room::{RoomError, RoomHandle};

/// How long Do it waits for the room to settle after one intent, or for a step's check while
/// it does the steps before a chosen one again (a killed client's session takes its timeout).
pub const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// The course zkplay ships, checked.
#[derive(Debug, thiserror::Error)]
pub enum CourseLoadError {
    #[error("shared/lessons/course.json does not parse: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("shared/lessons/course.json: {0}")]
    Invalid(#[from] CourseError),
}

pub fn builtin_course() -> Result<Course, CourseLoadError> {
    let course: Course = serde_json::from_str(COURSE_JSON)?;
    course.validate()?;
    Ok(course)
}

/// A room's lesson: where it is, and what its current step has seen.
pub struct LessonRun {
    lesson: Lesson,
    progress: LessonProgress,
    log: StepLog,
    /// The Do it, Back or Restart under way.
    runner: Option<tokio::task::AbortHandle>,
}

impl LessonRun {
    /// The lesson, about to be set up (the room is being emptied).
    pub fn new(lesson: Lesson, view: &RoomView, ensemble: &EnsembleView) -> Self {
        let mut progress = LessonProgress::start(&lesson);
        progress.busy = Some(Busy::Resetting);
        LessonRun {
            lesson,
            progress,
            log: StepLog::new(view.clone(), ensemble.clone()),
            runner: None,
        }
    }

    pub fn id(&self) -> LessonId {
        self.lesson.id
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    pub fn progress(&self) -> &LessonProgress {
        &self.progress
    }

    pub fn busy(&self) -> Option<Busy> {
        self.progress.busy
    }

    /// The current step, while it is still to be done.
    pub fn current(&self) -> Option<&Step> {
        let at = self.progress.step;
        (self.progress.steps.get(at)?.status == StepStatus::Current).then(|| &self.lesson.steps[at])
    }

    pub fn set_runner(&mut self, runner: tokio::task::AbortHandle) {
        if let Some(old) = self.runner.replace(runner) {
            old.abort();
        }
    }

    pub fn stop_runner(&mut self) {
        if let Some(old) = self.runner.take() {
            old.abort();
        }
    }

    pub fn set_busy(&mut self, busy: Option<Busy>) -> LessonProgress {
        self.progress.busy = busy;
        self.progress.clone()
    }

    /// The room has been emptied and set up: the lesson begins again at its first step, and
    /// what happens from now on counts.
    pub fn restart(&mut self, view: &RoomView, ensemble: &EnsembleView) -> LessonProgress {
        self.progress = LessonProgress::start(&self.lesson);
        self.log = StepLog::new(view.clone(), ensemble.clone());
        self.progress.clone()
    }

    /// The runner could not do the current step.
    pub fn fail(&mut self, why: Why) -> LessonProgress {
        if let Some(step) = self.progress.steps.get_mut(self.progress.step) {
            step.status = StepStatus::Failed;
            step.check.status = CheckStatus::Failed;
            step.check.why = Some(why);
        }
        self.progress.clone()
    }

    /// Records one published event and checks the current step again; the new progress if
    /// it changed. While the room is being emptied nothing counts.
    pub fn observe(
        &mut self,
        seq: u64,
        at_ms: u64,
        event: &RoomEvent,
        view: &RoomView,
        ensemble: &EnsembleView,
    ) -> Option<LessonProgress> {
        if matches!(event, RoomEvent::LessonChanged { .. })
            || self.progress.busy == Some(Busy::Resetting)
        {
            return None;
        }
        self.log.record(seq, at_ms, event);
        self.recheck(view, ensemble)
    }

    /// Checks the current step against the room and the ensemble now.
    pub fn recheck(&mut self, view: &RoomView, ensemble: &EnsembleView) -> Option<LessonProgress> {
        if self.progress.busy == Some(Busy::Resetting) {
            return None;
        }
        let at = self.progress.step;
        let step = self.current()?.clone();
        let outcome = step.check.evaluate(&self.log, view, ensemble);
        let decided = !matches!(outcome, Outcome::Waiting(_));
        let report = match outcome {
            Outcome::Waiting(found) => CheckReport {
                status: CheckStatus::Waiting,
                found,
                ..CheckReport::default()
            },
            Outcome::Passed(found) => CheckReport {
                status: CheckStatus::Passed,
                found,
                ..CheckReport::default()
            },
            Outcome::Failed(why, found) => CheckReport {
                status: CheckStatus::Failed,
                found,
                why: Some(why),
                ..CheckReport::default()
            },
        };
        let mut report = report;
        if decided {
            // What the question's choices say, now that ZooKeeper has answered.
            report.happened = step
                .quiz
                .iter()
                .flat_map(|q| q.options.iter().enumerate())
                .filter(|(_, o)| {
                    matches!(
                        o.shows.evaluate(&self.log, view, ensemble),
                        Outcome::Passed(_)
                    )
                })
                .map(|(i, _)| i)
                .collect();
        }
        if self.progress.steps[at].check == report {
            return None;
        }
        let status = report.status;
        self.progress.steps[at].check = report;
        match status {
            CheckStatus::Waiting => {}
            CheckStatus::Failed => self.progress.steps[at].status = StepStatus::Failed,
            CheckStatus::Passed => {
                self.progress.steps[at].status = StepStatus::Done;
                if at + 1 < self.progress.steps.len() {
                    self.progress.step = at + 1;
                    self.progress.steps[at + 1].status = StepStatus::Current;
                    self.log = StepLog::new(view.clone(), ensemble.clone());
                }
            }
        }
        Some(self.progress.clone())
    }

    /// Whether step `at` is done (`Some(true)`), can no longer be (`Some(false)`), or not yet.
    pub fn step_done(&self, at: usize) -> Option<bool> {
        match self.progress.steps.get(at)?.status {
            StepStatus::Done => Some(true),
            StepStatus::Failed => Some(false),
            _ => None,
        }
    }
}

/// What a runner needs besides its room.
#[derive(Clone, Debug)]
pub struct Runner {
    pub room: RoomHandle,
    pub members: Option<EnsembleControl>,
    pub ensemble: watch::Receiver<EnsembleView>,
}

impl Runner {
    /// Does a step's Do it, intent by intent, waiting after each for the room to settle.
    pub async fn run_step(&self, actions: &[Action]) -> Result<(), Why> {
        for action in actions {
            match action {
                Action::AddLockClients { count, no_wait } => {
                    for _ in 0..*count {
                        let id = self.room.add_lock_client().await.map_err(stuck)?;
                        if !no_wait {
                            self.settle(Settle::Queued(id)).await?;
                        }
                    }
                }
                Action::AddServers { count } => {
                    for _ in 0..*count {
                        self.room.add_server(None).await.map_err(stuck)?;
                        self.settle(Settle::Listed).await?;
                    }
                }
                Action::StopMember { which } => self.member(*which, false).await?,
                Action::StartMember { which } => self.member(*which, true).await?,
                other => {
                    let settle =
                        self.room
                            .lesson_act(other.clone())
                            .await
                            .map_err(|e| match e {
                                RoomError::NoTarget => Why::NoTarget,
                                _ => Why::Stuck,
                            })?;
                    self.settle(settle).await?;
                }
            }
        }
        Ok(())
    }

    async fn settle(&self, settle: Settle) -> Result<(), Why> {
        let waited = self.room.settle(settle);
        match tokio::time::timeout(SETTLE_LIMIT, waited).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Why::Stuck),
        }
    }

    /// Stops or starts the member `which` names, and waits until the probe sees it so.
    async fn member(&self, which: MemberTarget, start: bool) -> Result<(), Why> {
        let members = self.members.as_ref().ok_or(Why::NoEnsemble)?;
        let id = which
            .resolve(&self.ensemble.borrow())
            .ok_or(Why::NoTarget)?;
        let done = if start {
            members.start_member(id as usize).await
        } else {
            members.stop_member(id as usize).await
        };
        done.map_err(|_| Why::NoEnsemble)?;
        let settle = Settle::Member(id, start);
        self.until_ensemble(|e| settle.reached(&RoomView::default(), e))
            .await
    }

    /// Starts every stopped member of zkplay's own ensemble (a lesson may have stopped two),
    /// and waits until each serves.
    async fn start_stopped_members(&self) -> Result<(), Why> {
        if self.members.is_none() {
            return Ok(());
        }
        while MemberTarget::Stopped
            .resolve(&self.ensemble.borrow())
            .is_some()
        {
            self.member(MemberTarget::Stopped, true).await?;
        }
        self.until_ensemble(|e| {
            e.quorum
                && e.members
                    .iter()
                    .all(|m| matches!(m.mode, MemberMode::Leader | MemberMode::Follower))
        })
        .await
    }

    /// Waits (within [`SETTLE_LIMIT`]) until the probe's view of the ensemble is `ready`.
    async fn until_ensemble(&self, ready: impl Fn(&EnsembleView) -> bool) -> Result<(), Why> {
        let mut ensemble = self.ensemble.clone();
        let seen = async move { ensemble.wait_for(|e| ready(e)).await.map(drop) };
        match tokio::time::timeout(SETTLE_LIMIT, seen).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Why::Stuck),
        }
    }

    /// Empties the room, sets the lesson up, and does every step before `step` again, each
    /// until its check passes.
    pub async fn go_to(&self, lesson: &Lesson, step: usize) -> Result<(), Why> {
        self.start_stopped_members().await?;
        self.room.lesson_reset().await.map_err(stuck)?;
        for (at, earlier) in lesson.steps.iter().enumerate().take(step) {
            self.room
                .lesson_busy(Some(Busy::Replaying { step: at }))
                .await
                .map_err(stuck)?;
            self.run_step(&earlier.actions).await?;
            let done = self.room.step_done(at);
            match tokio::time::timeout(SETTLE_LIMIT, done).await {
                Ok(Ok(true)) => {}
                // A check that failed on the way back has said why itself.
                Ok(Ok(false)) => return Ok(()),
                _ => return Err(Why::Stuck),
            }
        }
        Ok(())
    }
}

fn stuck(_: RoomError) -> Why {
    Why::Stuck
}
