//! Guided lessons in a room: the lesson's progress, with its current step's check fed by every
//! event the room publishes ([`LessonRun`]), and the runner that does a step's Do it, or
//! empties the room and does the steps before a chosen one again, through the room's ordinary
//! intents ([`Runner`]).

use std::future::Future;
use std::time::Duration;

use shared::lesson::action::{Span, TraceMove};
use shared::lesson::{
    Action, Busy, CheckReport, CheckStatus, Course, CourseError, Lesson, LessonProgress,
    MemberTarget, Outcome, Settle, StepLog, StepStatus, Why, COURSE_JSON,
};
use shared::{EnsembleView, RoomEvent, RoomView, TimeMode, DEFAULT_SLOW_FACTOR};
use tokio::sync::watch;

use crate::ensemble::EnsembleControl;
use crate::lesson_ensembles::LessonEnsembles;
use crate::room::{RoomError, RoomHandle};

/// How long Do it waits, in live time, for the room to settle after one intent, or for a
/// step's check while it does the steps before a chosen one again (a killed client's session
/// takes its timeout). In step or slow motion the teacher sets the pace, and it waits on.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// How long an intent aimed at a client waits for one that fits before it says there is none.
const TARGET_WAIT: Duration = Duration::from_secs(10);

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

/// Why a runner could not do a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step it was doing.
    pub step: usize,
    pub why: Why,
    /// The room's own words, when it refused an intent.
    pub message: Option<String>,
}

/// A room's lesson: where it is, and what its current step has seen.
pub struct LessonRun {
    lesson: Lesson,
    progress: LessonProgress,
    log: StepLog,
    /// True while the room empties itself: nothing that happens counts for a step.
    emptying: bool,
    /// The Do it, Back or Restart under way, and its number (a runner that was replaced may
    /// still report; only the latest counts).
    runner: Option<tokio::task::AbortHandle>,
    generation: u64,
    /// The step whose Do it slowed the room (its `pace`), until it is decided.
    paced: Option<usize>,
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
            emptying: true,
            runner: None,
            generation: 0,
            paced: None,
        }
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

    /// The current step and its index, while it is still to be done.
    pub fn current(&self) -> Option<(usize, &shared::lesson::Step)> {
        let at = self.progress.step;
        (self.progress.steps.get(at)?.status == StepStatus::Current)
            .then(|| (at, &self.lesson.steps[at]))
    }

    /// The current step's Do it slowed the room for its key moment.
    pub fn paced(&mut self) {
        self.paced = Some(self.progress.step);
    }

    /// Whether the step that slowed the room has been decided (or the lesson began again):
    /// once, the room goes back to live.
    pub fn pace_over(&mut self) -> bool {
        let Some(at) = self.paced else {
            return false;
        };
        let running = self.progress.step == at
            && self
                .progress
                .steps
                .get(at)
                .is_some_and(|s| s.status == StepStatus::Current && !self.emptying);
        if running {
            return false;
        }
        self.paced = None;
        true
    }

    /// Do it has been pressed for the current step.
    pub fn mark_acted(&mut self) {
        let at = self.progress.step;
        if let Some(step) = self.progress.steps.get_mut(at) {
            step.acted = true;
        }
    }

    /// The new runner (numbered by [`LessonRun::next_generation`]) takes the old one's place.
    pub fn set_runner(&mut self, runner: tokio::task::AbortHandle) {
        self.stop_runner();
        self.runner = Some(runner);
    }

    /// The number the next runner will have.
    pub fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Whether a runner's report is the latest runner's.
    pub fn is_current_runner(&self, generation: u64) -> bool {
        generation == self.generation
    }

    pub fn stop_runner(&mut self) {
        if let Some(old) = self.runner.take() {
            old.abort();
        }
    }

    pub fn set_busy(&mut self, busy: Option<Busy>) -> LessonProgress {
        if busy == Some(Busy::Resetting) {
            self.emptying = true;
        }
        self.progress.busy = busy;
        self.progress.clone()
    }

    /// The room has been emptied and set up: the lesson begins again at its first step (a
    /// new attempt), and what happens from now on counts. The runner still says when it is
    /// done.
    pub fn restart(&mut self, view: &RoomView, ensemble: &EnsembleView) -> LessonProgress {
        let (busy, attempt) = (self.progress.busy, self.progress.attempt + 1);
        self.progress = LessonProgress::start(&self.lesson);
        self.progress.busy = busy;
        self.progress.attempt = attempt;
        self.log = StepLog::new(view.clone(), ensemble.clone());
        self.emptying = false;
        self.progress.clone()
    }

    /// The runner could not do step `failure.step`: it fails, if it is still the one to do.
    pub fn fail(&mut self, failure: Failure) {
        let Some(step) = self.progress.steps.get_mut(failure.step) else {
            return;
        };
        if step.status != StepStatus::Current {
            return;
        }
        step.status = StepStatus::Failed;
        step.check.status = CheckStatus::Failed;
        step.check.why = Some(failure.why);
        if let Some(message) = failure.message {
            step.check.found.line = Some(message);
        }
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
        if self.emptying || matches!(event, RoomEvent::LessonChanged { .. }) {
            return None;
        }
        self.log.record(seq, at_ms, event);
        self.recheck(view, ensemble)
    }

    /// Checks the current step against the room and the ensemble now.
    pub fn recheck(&mut self, view: &RoomView, ensemble: &EnsembleView) -> Option<LessonProgress> {
        if self.emptying {
            return None;
        }
        let at = self.progress.step;
        if self.progress.steps.get(at)?.status != StepStatus::Current {
            return None;
        }
        let step = &self.lesson.steps[at];
        let (status, found, why) = match step.check.evaluate(&self.log, view, ensemble) {
            Outcome::Waiting(found) => (CheckStatus::Waiting, found, None),
            Outcome::Passed(found) => (CheckStatus::Passed, found, None),
            Outcome::Failed(why, found) => (CheckStatus::Failed, found, Some(why)),
        };
        // Once ZooKeeper has answered, the question's choices say what happened.
        let happened = if status == CheckStatus::Waiting {
            Vec::new()
        } else {
            step.quiz
                .iter()
                .flat_map(|q| q.options.iter().enumerate())
                .filter(|(_, o)| {
                    matches!(
                        o.shows.evaluate(&self.log, view, ensemble),
                        Outcome::Passed(_)
                    )
                })
                .map(|(i, _)| i)
                .collect()
        };
        let report = CheckReport {
            status,
            found,
            why,
            happened,
        };
        if self.progress.steps[at].check == report {
            return None;
        }
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

/// Why a played trace stopped.
enum Played {
    Refused(RoomError),
    Stuck(Why),
}

/// What a runner needs besides its room.
#[derive(Clone, Debug)]
pub struct Runner {
    pub room: RoomHandle,
    pub members: Option<EnsembleControl>,
    pub ensemble: watch::Receiver<EnsembleView>,
    /// Where a lesson that stops members gets an ensemble of the room's own.
    pub lesson_ensembles: Option<LessonEnsembles>,
}

impl Runner {
    /// Does step `at`'s Do it, intent by intent, waiting after each for the room to settle;
    /// stops once the step is decided (a check that failed on the way).
    pub async fn run_step(&self, at: usize, actions: &[Action]) -> Result<(), Failure> {
        let fail = |why: Why| Failure {
            step: at,
            why,
            message: None,
        };
        let refused = |e: RoomError| Failure {
            step: at,
            why: if e == RoomError::NoTarget {
                Why::NoTarget
            } else {
                Why::Refused
            },
            message: Some(e.to_string()),
        };
        for action in actions {
            if !self.room.step_open(at).await.map_err(refused)? {
                return Ok(());
            }
            match action {
                Action::AddLockClients { count, no_wait } => {
                    for _ in 0..*count {
                        let id = self.room.add_lock_client().await.map_err(refused)?;
                        if !no_wait {
                            self.settle(Settle::Queued(id)).await.map_err(fail)?;
                        }
                    }
                }
                Action::AddServers { count } => {
                    for _ in 0..*count {
                        self.room.add_server().await.map_err(refused)?;
                        self.settle(Settle::Listed { gone: None })
                            .await
                            .map_err(fail)?;
                    }
                }
                Action::PlayTrace {
                    trace,
                    clients,
                    pace,
                } => self
                    .play(trace, *clients, *pace)
                    .await
                    .map_err(|e| match e {
                        Played::Refused(e) => refused(e),
                        Played::Stuck(why) => fail(why),
                    })?,
                Action::StopMember { which } => self.member(*which, false).await.map_err(fail)?,
                Action::StartMember { which } => self.member(*which, true).await.map_err(fail)?,
                other => {
                    // A step may begin while the room still moves (a hand-off after the last
                    // step's crash): wait a moment for a client that fits, then act or say
                    // there is none.
                    if let Some(target) = other.target() {
                        let fits = self.room.settle(Settle::Targetable(target));
                        let _ = tokio::time::timeout(TARGET_WAIT, fits).await;
                    }
                    let settle = self.room.lesson_act(other.clone()).await.map_err(refused)?;
                    self.settle(settle).await.map_err(fail)?;
                }
            }
        }
        Ok(())
    }

    /// Holds time still, adds the trace's clients, and plays its moves one by one at the gate.
    async fn play(&self, name: &str, clients: u32, pace: Span) -> Result<(), Played> {
        let moves = shared::lesson::action::trace(name).ok_or(Played::Stuck(Why::NoTarget))?;
        self.room
            .set_time(TimeMode::Step, DEFAULT_SLOW_FACTOR)
            .await
            .map_err(Played::Refused)?;
        let mut ids = Vec::new();
        for _ in 0..clients {
            ids.push(self.room.add_lock_client().await.map_err(Played::Refused)?);
        }
        let pace = Duration::from_millis(pace.ms(0));
        for step in moves {
            let client = *ids
                .get(step.client() as usize)
                .ok_or(Played::Stuck(Why::NoTarget))?;
            match (step, step.class()) {
                (_, Some(class)) => {
                    self.moved(Settle::Pending { client, class }).await?;
                    let released = self
                        .room
                        .release_move(client, class)
                        .await
                        .map_err(Played::Refused)?;
                    self.moved(Settle::Moved { client, released }).await?;
                }
                (TraceMove::Kill(_), None) => {
                    self.room.kill(client).await.map_err(Played::Refused)?;
                    self.moved(Settle::Left(client)).await?;
                }
                (_, None) => {
                    self.room.crash(client).await.map_err(Played::Refused)?;
                    self.moved(Settle::Left(client)).await?;
                }
            }
            // For the eye, not for the room: the next move waits for nothing but its turn.
            tokio::time::sleep(pace).await;
        }
        Ok(())
    }

    /// A trace's moves wait for nothing the teacher does, so even in step mode each waits at
    /// most [`SETTLE_LIMIT`].
    async fn moved(&self, settle: Settle) -> Result<(), Played> {
        match tokio::time::timeout(SETTLE_LIMIT, self.room.settle(settle)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Played::Refused(e)),
            Err(_) => Err(Played::Stuck(Why::Stuck)),
        }
    }

    /// Waits for `done`: within [`SETTLE_LIMIT`] in live time; in step or slow motion as long
    /// as the teacher takes.
    async fn within_limit<T>(&self, done: impl Future<Output = T>) -> Result<T, Why> {
        if self.room.is_live().await.unwrap_or(true) {
            tokio::time::timeout(SETTLE_LIMIT, done)
                .await
                .map_err(|_| Why::Stuck)
        } else {
            Ok(done.await)
        }
    }

    async fn settle(&self, settle: Settle) -> Result<(), Why> {
        match self.within_limit(self.room.settle(settle)).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(Why::Stuck),
        }
    }

    /// Stops or starts the member `which` names, and waits until the probe sees it so.
    async fn member(&self, which: MemberTarget, start: bool) -> Result<(), Why> {
        let members = self.members.as_ref().ok_or(Why::NoEnsemble)?;
        // The probe asks about once a second, and a busy member may miss an answer: wait a
        // moment for one that fits (a leader), as an intent aimed at a client does.
        let mut ensemble = self.ensemble.clone();
        let fits = ensemble.wait_for(|e| which.resolve(e).is_some());
        let _ = tokio::time::timeout(TARGET_WAIT, fits).await;
        let id = which
            .resolve(&self.ensemble.borrow())
            .ok_or(Why::NoTarget)?;
        let done = if start {
            members.start_member(id as usize).await
        } else {
            members.stop_member(id as usize).await
        };
        done.map_err(|_| Why::NoEnsemble)?;
        let settle = Settle::Member { id, serving: start };
        self.until_ensemble(|e| settle.reached(&RoomView::default(), e))
            .await
    }

    /// Starts every stopped member of zkplay's own ensemble (a lesson may have stopped two),
    /// and waits until the ensemble serves again.
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
        self.until_ensemble(|e| e.quorum && e.members.iter().all(|m| m.mode.serves()))
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
    pub async fn go_to(&self, lesson: &Lesson, step: usize) -> Result<(), Failure> {
        let at_target = |why: Why| Failure {
            step,
            why,
            message: None,
        };
        // A lesson that stops members runs on an ensemble of the room's own, where the server
        // lends them; another lesson gives the room's own back.
        let runner = match (lesson.stops_members(), &self.lesson_ensembles) {
            (true, Some(pool)) => self
                .on_own_ensemble(pool)
                .await
                .map_err(|(why, message)| Failure { step, why, message })?,
            (false, Some(_)) => {
                self.room
                    .leave_own_ensemble()
                    .await
                    .map_err(|_| at_target(Why::Stuck))?;
                self.clone()
            }
            (_, None) => self.clone(),
        };
        runner.replay_to(lesson, step).await
    }

    /// The runner on the room's own ensemble: lent now (waiting in line while every one is
    /// taken) unless the room has one; the room moves onto it at its next reset.
    async fn on_own_ensemble(
        &self,
        pool: &LessonEnsembles,
    ) -> Result<Runner, (Why, Option<String>)> {
        let stuck = |_| (Why::Stuck, None);
        let parts = match self.room.own_ensemble().await.map_err(stuck)? {
            Some(parts) => parts,
            None => {
                self.room.tell_busy(Busy::StartingEnsemble);
                let room = self.room.clone();
                let lease = pool
                    .lease(|place| room.tell_busy(Busy::WaitingForEnsemble { place }))
                    .await
                    .map_err(|e| (Why::NoEnsemble, Some(e.to_string())))?;
                self.room.tell_busy(Busy::Resetting);
                self.room.adopt_ensemble(lease).await.map_err(stuck)?
            }
        };
        let (members, ensemble) = parts;
        Ok(Runner {
            members,
            ensemble,
            ..self.clone()
        })
    }

    /// Empties the room (onto the ensemble it moves to, if it moves) and does every step before
    /// `step` again.
    async fn replay_to(&self, lesson: &Lesson, step: usize) -> Result<(), Failure> {
        let at_target = |why: Why| Failure {
            step,
            why,
            message: None,
        };
        if lesson.stops_members() {
            self.start_stopped_members().await.map_err(at_target)?;
        }
        match tokio::time::timeout(SETTLE_LIMIT, self.room.lesson_reset()).await {
            Ok(Ok(())) => {}
            _ => return Err(at_target(Why::Stuck)),
        }
        for (at, earlier) in lesson.steps.iter().enumerate().take(step) {
            let replaying = Some(Busy::Replaying { step: at });
            self.room
                .lesson_busy(replaying)
                .await
                .map_err(|_| at_target(Why::Stuck))?;
            self.run_step(at, &earlier.actions).await?;
            match self.within_limit(self.room.step_done(at)).await {
                Ok(Ok(true)) => {}
                // A check that failed on the way back has said why itself.
                Ok(Ok(false)) => return Ok(()),
                _ => {
                    return Err(Failure {
                        step: at,
                        why: Why::Stuck,
                        message: None,
                    })
                }
            }
        }
        Ok(())
    }
}
