//! A room's lesson as the room hosts it: the lesson's run (its progress, checked on every
//! event, and the plan under way, [`LessonRun`]), what Do it and Back decide, the tasks a plan
//! started, and where a Do it's intent is aimed. Pure decisions; the actor carries them out.

use std::time::Duration;

use shared::lesson::{Action, Busy, Lesson, LessonProgress, Pace, Settle, Setup, Target, Why};
use shared::recipe::VerdictStatus;
use shared::{ClientId, EnsembleView, LockRecipeKind, RoomEvent, RoomView, TimeMode};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::error::RoomError;
use crate::lesson::{Answer, Deed, LessonRun, Next, Plan, Seen};
use crate::lesson_ensembles::LessonEnsemble;
use crate::zk::session::SessionCmd;

/// What a press of Do it starts: step `at`'s plan, slowed to `slow` if its key moment asks
/// for a pace a person can follow.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct DoIt {
    pub(super) at: usize,
    pub(super) slow: Option<u32>,
}

/// What a task of the lesson's plan says, with the plan's number.
pub(super) enum LessonNews {
    Answer(u64, Answer),
    /// A lease waits in line: `place` 1 is next.
    InLine(u64, usize),
    Lent(u64, Result<LessonEnsemble, String>),
    /// The ensemble the room is about to move onto changed: the plan looks again.
    Woken,
    /// A check a lesson asked for has its verdict on this source.
    Checked(String, shared::recipe::Verdict),
}

/// One intent of a Do it, aimed at the client the view names.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Aimed {
    /// A command to a client's session, and what to wait for after it.
    Session(ClientId, SessionCmd, Settle),
    /// A pause or a partition (refused if the client's link is already frozen or cut).
    CutLink(ClientId, SessionCmd),
    Recipe(LockRecipeKind, Settle),
    Hold(u64),
    Fencing(bool),
    Suspend(bool),
    /// A recipe to check: the verdict comes as the room's event.
    Check(String),
    /// A recipe for the room's lock clients to run.
    Run(String),
}

#[derive(Default)]
pub(super) struct Hosting {
    run: Option<LessonRun>,
    /// A plan the room follows outside any lesson: a recipe's failure played.
    played: Option<Played>,
    /// The tasks the plan under way started (a lease, a member stopped or started): a plan
    /// that stops takes them with it.
    tasks: Vec<AbortHandle>,
    /// Plans begun in this room, so far: the next plan's number.
    plans: u64,
}

impl Hosting {
    pub(super) fn run_mut(&mut self) -> Option<&mut LessonRun> {
        self.run.as_mut()
    }

    /// The lesson's setup, if the room runs one.
    pub(super) fn setup(&self) -> Option<Setup> {
        self.run.as_ref().map(|run| run.lesson().setup.clone())
    }

    /// `lesson` begins: the room is emptied for it (onto an ensemble of its own if it stops
    /// members and the server lends them: `lent`); a lesson before it stops.
    pub(super) fn start(
        &mut self,
        lesson: Lesson,
        view: &RoomView,
        ensemble: &EnsembleView,
        lent: bool,
    ) {
        self.stop();
        let plan = Plan::go_to(&lesson, 0, lent);
        let mut run = LessonRun::new(lesson, view, ensemble);
        self.plans += 1;
        run.begin(plan, self.plans);
        self.run = Some(run);
    }

    /// The room leaves its lesson (and a failure it plays); whether it had one.
    pub(super) fn stop(&mut self) -> bool {
        self.stop_tasks();
        self.played = None;
        self.run.take().is_some()
    }

    /// What a press of Do it starts, if anything: a second press while the step is done or
    /// waited for (a double click, a key held down, two teachers) does nothing.
    pub(super) fn do_it(&mut self, time: TimeMode) -> Result<Option<DoIt>, RoomError> {
        let run = self.run.as_mut().ok_or(RoomError::NoLesson)?;
        let acted = run
            .current()
            .is_some_and(|(at, _)| run.progress().steps[at].acted);
        if run.busy() == Some(Busy::Doing) || (acted && run.busy().is_none()) {
            return Ok(None);
        }
        if run.busy().is_some() {
            return Err(RoomError::LessonBusy);
        }
        let (at, step) = run.current().ok_or(RoomError::StepDecided)?;
        let plan = Plan::do_step(at, &step.actions);
        // The key moment at a pace a person can follow, unless the room already runs slower.
        let slow = match step.pace {
            Some(Pace::Slow(factor)) if time == TimeMode::Live => Some(factor),
            _ => None,
        };
        run.mark_acted();
        run.set_busy(Some(Busy::Doing));
        if slow.is_some() {
            run.paced();
        }
        self.plans += 1;
        run.begin(plan, self.plans);
        self.stop_tasks();
        Ok(Some(DoIt { at, slow }))
    }

    /// Back or Restart to `step`: the plan under way stops, and the room will be emptied
    /// (`lent`: as for [`Hosting::start`]).
    pub(super) fn go_to(&mut self, step: usize, lent: bool) -> Result<(), RoomError> {
        let run = self.run.as_mut().ok_or(RoomError::NoLesson)?;
        if step >= run.lesson().steps.len() {
            return Err(RoomError::NoSuchStep(step));
        }
        let plan = Plan::go_to(run.lesson(), step, lent);
        run.set_busy(Some(Busy::Resetting));
        self.plans += 1;
        run.begin(plan, self.plans);
        self.stop_tasks();
        Ok(())
    }

    /// A recipe's failure played: within the lesson if the room runs one (its plan under way
    /// stops), else on its own.
    pub(super) fn play(&mut self, plan: Plan) {
        self.plans += 1;
        self.stop_tasks();
        match &mut self.run {
            Some(run) => run.begin(plan, self.plans),
            None => {
                self.played = Some(Played {
                    plan,
                    number: self.plans,
                    progress: LessonProgress {
                        lesson: shared::lesson::LessonId(0),
                        attempt: 0,
                        step: 0,
                        steps: Vec::new(),
                        busy: None,
                    },
                })
            }
        }
    }

    /// What the plan under way asks of the room next, if anything.
    pub(super) fn next_deed(&mut self, seen: &Seen) -> Option<Deed> {
        if let Some(run) = &mut self.run {
            return run.next_deed(seen);
        }
        let played = self.played.as_mut()?;
        loop {
            match played.plan.next(seen, &played.progress) {
                Next::Wait => return None,
                Next::Room(deed) => return Some(deed),
                Next::Busy(_) => {}
                Next::Finished(_) => {
                    self.played = None;
                    return None;
                }
            }
        }
    }

    /// The room's answer to the plan's last deed.
    pub(super) fn answer(&mut self, answer: Answer) {
        if let Some(run) = &mut self.run {
            run.answer(answer);
        } else if let Some(played) = &mut self.played {
            played.plan.answer(answer);
        }
    }

    /// The room's refusal of the plan's last deed.
    pub(super) fn refused(&mut self, e: RoomError) {
        let why = if e == RoomError::NoTarget {
            Why::NoTarget
        } else {
            Why::Refused
        };
        self.answer(Answer::Failed {
            why,
            message: Some(e.to_string()),
        });
    }

    /// The plan under way's number, for a task it starts to answer with.
    pub(super) fn plan_generation(&self) -> Option<u64> {
        match (&self.run, &self.played) {
            (Some(run), _) => run.plan_generation(),
            (None, Some(played)) => Some(played.number),
            (None, None) => None,
        }
    }

    /// A task the plan under way started.
    pub(super) fn keep_task(&mut self, task: AbortHandle) {
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.push(task);
    }

    /// A task's answer, if the plan that started it is still under way.
    pub(super) fn task_answer(&mut self, generation: u64, answer: Answer) {
        if let Some(run) = &mut self.run {
            run.task_answer(generation, answer);
        }
    }

    /// The room's reset is over (`ok`), or could not be done.
    pub(super) fn reset_over(&mut self, ok: bool) {
        if let Some(run) = &mut self.run {
            run.reset_over(ok);
        }
    }

    /// When the plan under way wants to look again though nothing happened.
    pub(super) fn due(&self) -> Option<Instant> {
        match (&self.run, &self.played) {
            (Some(run), _) => run.due(),
            (None, Some(played)) => played.plan.due(),
            (None, None) => None,
        }
    }

    /// The lesson waits for `busy`; whether the room runs a lesson.
    pub(super) fn set_busy(&mut self, busy: Option<Busy>) -> bool {
        match &mut self.run {
            Some(run) => {
                run.set_busy(busy);
                true
            }
            None => false,
        }
    }

    /// The lesson's progress to publish, if the view does not show it yet; and whether the
    /// step that slowed the room is decided (the room goes back to live time).
    pub(super) fn news(&mut self, view: &RoomView) -> (Option<RoomEvent>, bool) {
        let Some(run) = self.run.as_mut() else {
            return (None, false);
        };
        let pace_over = run.pace_over();
        let progress = run.progress();
        let event = (view.lesson.as_ref() != Some(progress)).then(|| RoomEvent::LessonChanged {
            progress: Some(progress.clone()),
        });
        (event, pace_over)
    }

    /// The room ends: its plan stops, with its tasks.
    pub(super) fn end(&mut self) {
        if let Some(run) = &mut self.run {
            run.stop_plan();
        }
        self.stop_tasks();
    }

    fn stop_tasks(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

/// A plan the room follows outside a lesson, with a progress of no step for it to read.
struct Played {
    plan: Plan,
    number: u64,
    progress: LessonProgress,
}

/// Aims one intent of a Do it at the client the view names; `requested_ms` is the session
/// timeout the server asks for (a client's own, if ZooKeeper granted it one, is preferred).
pub(super) fn aim(action: Action, view: &RoomView, requested_ms: u64) -> Result<Aimed, RoomError> {
    let target = |who: Target| who.resolve(view).ok_or(RoomError::NoTarget);
    // A span in percent of the timeout ZooKeeper granted the client, if it has one.
    let span_for = |id: ClientId, span: shared::lesson::action::Span| {
        let timeout = view
            .client(id)
            .and_then(|c| c.timeout_ms)
            .unwrap_or(requested_ms);
        Duration::from_millis(span.ms(timeout).min(shared::MAX_PAUSE_MS))
    };
    // A server that leaves changes the AppClient's list: wait until it is gone and listed.
    let after = |who: Target, id: ClientId| match who {
        Target::Server(_) | Target::NewestServer => Settle::Listed { gone: Some(id) },
        _ => Settle::Nothing,
    };
    Ok(match action {
        Action::Crash { who } => {
            let id = target(who)?;
            Aimed::Session(id, SessionCmd::Crash, after(who, id))
        }
        Action::Kill { who } => {
            let id = target(who)?;
            Aimed::Session(id, SessionCmd::Kill, after(who, id))
        }
        Action::Pause { who, span } => {
            let id = target(who)?;
            Aimed::CutLink(id, SessionCmd::Pause(span_for(id, span)))
        }
        Action::Partition { who, span } => {
            let id = target(who)?;
            Aimed::CutLink(id, SessionCmd::Partition(span_for(id, span)))
        }
        Action::Release { who } => {
            Aimed::Session(target(who)?, SessionCmd::Release, Settle::Nothing)
        }
        // The room runs it already: nothing closes, nothing to wait for.
        Action::SetRecipe { recipe } if recipe == view.recipe => {
            Aimed::Recipe(recipe, Settle::Nothing)
        }
        Action::SetRecipe { recipe } => Aimed::Recipe(recipe, Settle::Recipe(recipe)),
        Action::SetHold { hold } => Aimed::Hold(hold.ms(requested_ms).min(shared::MAX_HOLD_MS)),
        Action::SetFencing { on } => Aimed::Fencing(on),
        Action::SetSuspendOnDisconnect { on } => Aimed::Suspend(on),
        Action::CheckRecipe { template } => Aimed::Check(template.source().to_string()),
        Action::RunRecipe {
            template: Some(template),
        } => Aimed::Run(template.source().to_string()),
        Action::RunRecipe { template: None } => {
            let checked = view.script.checked.as_ref();
            let safe = checked.filter(|c| c.verdict.status == VerdictStatus::Safe);
            Aimed::Run(safe.ok_or(RoomError::NoSafeRecipe)?.source.clone())
        }
        // The plan adds clients and servers one by one, and stops and starts members,
        // itself.
        Action::AddLockClients { .. }
        | Action::AddServers { .. }
        | Action::StopMember { .. }
        | Action::StartMember { .. }
        | Action::PlayTrace { .. } => return Err(RoomError::NoTarget),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::settings::RoomSettings;
    use shared::lesson::action::Span;

    fn seen<'a>(view: &'a RoomView, ensemble: &'a EnsembleView) -> Seen<'a> {
        Seen {
            view,
            ensemble,
            members: false,
            live: true,
            now: Instant::now(),
        }
    }

    /// The room hosts the course's first lesson, set up (the room emptied) and idle.
    fn hosting_lesson_one(view: &RoomView) -> Hosting {
        let course = RoomSettings::for_tests().course;
        let lesson = course.lessons[0].clone();
        let ensemble = EnsembleView::default();
        let mut hosting = Hosting::default();
        hosting.start(lesson, view, &ensemble, false);
        assert_eq!(
            hosting.next_deed(&seen(view, &ensemble)),
            Some(Deed::Reset),
            "a lesson begins in an empty room"
        );
        assert_eq!(hosting.next_deed(&seen(view, &ensemble)), None);
        hosting.run_mut().unwrap().restart(view, &ensemble);
        hosting.reset_over(true);
        assert_eq!(hosting.next_deed(&seen(view, &ensemble)), None, "set up");
        hosting
    }

    #[test]
    fn do_it_starts_the_current_step_once_and_back_stops_it() {
        let view = RoomView::new("r", 0);
        let ensemble = EnsembleView::default();
        let mut hosting = hosting_lesson_one(&view);
        let first = hosting
            .do_it(TimeMode::Live)
            .unwrap()
            .expect("step 0 starts");
        assert_eq!(first.at, 0);
        // A double click does nothing while the step is under way.
        assert_eq!(hosting.do_it(TimeMode::Live), Ok(None));
        assert!(hosting.next_deed(&seen(&view, &ensemble)).is_some());
        assert_eq!(hosting.go_to(99, false), Err(RoomError::NoSuchStep(99)));
        assert_eq!(hosting.go_to(0, false), Ok(()));
        assert_eq!(hosting.do_it(TimeMode::Live), Err(RoomError::LessonBusy));
        assert_eq!(
            hosting.next_deed(&seen(&view, &ensemble)),
            Some(Deed::Reset),
            "Back empties the room, whatever Do it was doing"
        );
        assert!(hosting.stop());
        assert!(!hosting.stop());
        assert_eq!(hosting.do_it(TimeMode::Live), Err(RoomError::NoLesson));
    }

    #[test]
    fn a_refused_deed_fails_its_step_and_a_replaced_plans_task_is_not_heard() {
        let view = RoomView::new("r", 0);
        let ensemble = EnsembleView::default();
        let mut hosting = hosting_lesson_one(&view);
        hosting
            .do_it(TimeMode::Live)
            .unwrap()
            .expect("step 0 starts");
        let old = hosting.plan_generation().expect("a plan runs");
        assert!(hosting.next_deed(&seen(&view, &ensemble)).is_some());
        hosting.task_answer(
            old + 1,
            Answer::Failed {
                why: Why::Stuck,
                message: None,
            },
        );
        assert_eq!(hosting.plan_generation(), Some(old), "not that plan's task");
        hosting.refused(RoomError::Full("clients", 3));
        assert_eq!(hosting.next_deed(&seen(&view, &ensemble)), None);
        assert_eq!(hosting.plan_generation(), None, "the plan is over");
        let (news, _) = hosting.news(&view);
        let Some(RoomEvent::LessonChanged {
            progress: Some(progress),
        }) = news
        else {
            panic!("the lesson changed: {news:?}");
        };
        assert_eq!(progress.steps[0].status, shared::lesson::StepStatus::Failed);
        assert_eq!(progress.steps[0].check.why, Some(Why::Refused));
        assert_eq!(progress.busy, None);
    }

    #[test]
    fn a_do_it_aims_at_the_client_the_view_names() {
        let mut view = RoomView::new("r", 0);
        view.apply(
            1,
            1,
            &RoomEvent::ServerAdded {
                client: 7,
                name: "server0000".into(),
                owner: None,
            },
        );
        assert_eq!(
            aim(
                Action::Crash {
                    who: Target::Holder
                },
                &view,
                5000
            ),
            Err(RoomError::NoTarget),
            "no one holds the lock"
        );
        assert_eq!(
            aim(
                Action::Kill {
                    who: Target::NewestServer
                },
                &view,
                5000
            ),
            Ok(Aimed::Session(
                7,
                SessionCmd::Kill,
                Settle::Listed { gone: Some(7) }
            ))
        );
        assert_eq!(
            aim(
                Action::SetRecipe {
                    recipe: view.recipe
                },
                &view,
                5000
            ),
            Ok(Aimed::Recipe(view.recipe, Settle::Nothing)),
            "the recipe it runs: nothing to wait for"
        );
        assert_eq!(
            aim(
                Action::Pause {
                    who: Target::NewestServer,
                    span: Span::TimeoutPercent(200)
                },
                &view,
                5000
            ),
            Ok(Aimed::CutLink(
                7,
                SessionCmd::Pause(Duration::from_millis(10_000))
            ))
        );
        assert_eq!(
            aim(
                Action::AddLockClients {
                    count: 1,
                    no_wait: false
                },
                &view,
                5000
            ),
            Err(RoomError::NoTarget),
            "the plan adds clients itself"
        );
    }
}
