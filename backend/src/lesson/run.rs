//! A room's lesson as it runs: its progress, with the current step's check fed by every event
//! the room publishes, and the plan (Do it, Back or Restart) under way.

use shared::lesson::{
    Busy, CheckReport, CheckStatus, Lesson, LessonProgress, Outcome, StepLog, StepStatus,
};
use shared::{EnsembleView, RoomEvent, RoomView};
use tokio::time::Instant;

use super::plan::{Answer, Deed, Failure, Next, Plan, Seen};

/// A room's lesson: where it is, and what its current step has seen.
pub struct LessonRun {
    lesson: Lesson,
    progress: LessonProgress,
    log: StepLog,
    /// True while the room empties itself: nothing that happens counts for a step.
    emptying: bool,
    /// The Do it, Back or Restart under way, and its number (a task it started may answer
    /// after a newer plan took its place; only the latest plan's count).
    plan: Option<Plan>,
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
            plan: None,
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

    /// `plan` takes the place of the one under way, numbered `number` for the tasks it starts
    /// (numbers never repeat in a room, so no task of an earlier lesson's plan is heard).
    pub fn begin(&mut self, plan: Plan, number: u64) {
        self.generation = number;
        self.plan = Some(plan);
    }

    /// The plan's number, while one is under way.
    pub fn plan_generation(&self) -> Option<u64> {
        self.plan.as_ref().map(|_| self.generation)
    }

    /// The plan under way stops where it is.
    pub fn stop_plan(&mut self) {
        self.plan = None;
    }

    /// What the plan asks of the room next, if anything; a plan that finished leaves the
    /// lesson idle (its step failed, if it could not do it).
    pub fn next_deed(&mut self, seen: &Seen) -> Option<Deed> {
        loop {
            let plan = self.plan.as_mut()?;
            match plan.next(seen, &self.progress) {
                Next::Wait => return None,
                Next::Room(deed) => return Some(deed),
                Next::Busy(busy) => {
                    self.set_busy(Some(busy));
                }
                Next::Finished(result) => {
                    self.plan = None;
                    if let Err(failure) = result {
                        self.fail(failure);
                    }
                    self.set_busy(None);
                    return None;
                }
            }
        }
    }

    /// The room's answer to the plan's last deed.
    pub fn answer(&mut self, answer: Answer) {
        if let Some(plan) = &mut self.plan {
            plan.answer(answer);
        }
    }

    /// A task's answer, if the plan that started it (by its number) is still under way.
    pub fn task_answer(&mut self, generation: u64, answer: Answer) {
        if self.plan_generation() == Some(generation) {
            self.answer(answer);
        }
    }

    /// The room's reset is over, or could not be done.
    pub fn reset_over(&mut self, ok: bool) {
        if let Some(plan) = &mut self.plan {
            plan.reset_over(ok);
        }
    }

    /// When the plan wants to look again though nothing happened.
    pub fn due(&self) -> Option<Instant> {
        self.plan.as_ref()?.due()
    }

    pub fn set_busy(&mut self, busy: Option<Busy>) {
        if busy == Some(Busy::Resetting) {
            self.emptying = true;
        }
        self.progress.busy = busy;
    }

    /// The room has been emptied and set up: the lesson begins again at its first step (a
    /// new attempt), and what happens from now on counts. The plan still says when it is
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

    /// The plan could not do step `failure.step`: it fails, if it is still the one to do.
    fn fail(&mut self, failure: Failure) {
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
    /// A step that passes makes the next one current, checked at once: the progress a viewer
    /// sees is never a step behind the room.
    pub fn recheck(&mut self, view: &RoomView, ensemble: &EnsembleView) -> Option<LessonProgress> {
        if self.emptying {
            return None;
        }
        let mut changed = false;
        while let Some(advanced) = self.check_current(view, ensemble) {
            changed = true;
            if !advanced {
                break;
            }
        }
        changed.then(|| self.progress.clone())
    }

    /// Checks the current step once: `None` if its report is as it was, else whether it
    /// passed and the next step is now current.
    fn check_current(&mut self, view: &RoomView, ensemble: &EnsembleView) -> Option<bool> {
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
                    return Some(true);
                }
            }
        }
        Some(false)
    }
}
