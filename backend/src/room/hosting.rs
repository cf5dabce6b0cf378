//! A room's lesson as the room hosts it: the lesson's run (its progress, checked on every
//! event, [`LessonRun`]), what Do it and Back decide, the runners waiting for the room to
//! settle, and where a Do it's intent is aimed. Pure decisions; the actor carries them out.

use std::time::Duration;

use shared::lesson::{Action, Busy, Lesson, Pace, Settle, Setup, Target};
use shared::{ClientId, EnsembleView, LockRecipeKind, RoomEvent, RoomView, TimeMode};
use tokio::sync::oneshot;

use super::error::RoomError;
use crate::lesson::{Failure, LessonRun};
use crate::zk::session::SessionCmd;

/// A lesson runner waiting for the room.
enum Waiter {
    Settle(Settle, oneshot::Sender<()>),
    StepDone(usize, oneshot::Sender<bool>),
}

impl Waiter {
    /// A runner that was stopped waits no more.
    fn gone(&self) -> bool {
        match self {
            Waiter::Settle(_, reply) => reply.is_closed(),
            Waiter::StepDone(_, reply) => reply.is_closed(),
        }
    }
}

/// What a press of Do it starts: step `at`'s actions, slowed to `slow` if its key moment
/// asks for a pace a person can follow.
pub(super) struct DoIt {
    pub(super) at: usize,
    pub(super) actions: Vec<Action>,
    pub(super) slow: Option<u32>,
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
}

#[derive(Default)]
pub(super) struct Hosting {
    run: Option<LessonRun>,
    /// Lesson runners waiting for the room to settle.
    waiters: Vec<Waiter>,
}

impl Hosting {
    pub(super) fn run_mut(&mut self) -> Option<&mut LessonRun> {
        self.run.as_mut()
    }

    /// The lesson's setup, if the room runs one.
    pub(super) fn setup(&self) -> Option<Setup> {
        self.run.as_ref().map(|run| run.lesson().setup.clone())
    }

    /// `lesson` begins (the room is about to be emptied for it); a lesson before it stops.
    pub(super) fn start(&mut self, lesson: Lesson, view: &RoomView, ensemble: &EnsembleView) {
        self.stop();
        self.run = Some(LessonRun::new(lesson, view, ensemble));
    }

    /// The room leaves its lesson; whether it had one.
    pub(super) fn stop(&mut self) -> bool {
        match self.run.take() {
            Some(mut run) => {
                run.stop_runner();
                true
            }
            None => false,
        }
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
        let actions = step.actions.clone();
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
        Ok(Some(DoIt { at, actions, slow }))
    }

    /// Back or Restart to `step`: the runner under way stops, and the room will be emptied.
    pub(super) fn go_to(&mut self, step: usize) -> Result<(), RoomError> {
        let run = self.run.as_mut().ok_or(RoomError::NoLesson)?;
        if step >= run.lesson().steps.len() {
            return Err(RoomError::NoSuchStep(step));
        }
        run.stop_runner();
        run.set_busy(Some(Busy::Resetting));
        Ok(())
    }

    /// A runner (by its number) is done; whether it was the latest, so that the lesson changed.
    pub(super) fn idle(&mut self, generation: u64, result: Result<(), Failure>) -> bool {
        let Some(run) = self
            .run
            .as_mut()
            .filter(|r| r.is_current_runner(generation))
        else {
            return false;
        };
        if let Err(failure) = result {
            run.fail(failure);
        }
        run.set_busy(None);
        true
    }

    /// Whether step `at` is still to be done.
    pub(super) fn step_open(&self, at: usize) -> bool {
        self.run
            .as_ref()
            .is_some_and(|run| run.current().is_some_and(|(now, _)| now == at))
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

    pub(super) fn wait_settle(&mut self, settle: Settle, reply: oneshot::Sender<()>) {
        self.waiters.push(Waiter::Settle(settle, reply));
    }

    pub(super) fn wait_step_done(&mut self, at: usize, reply: oneshot::Sender<bool>) {
        self.waiters.push(Waiter::StepDone(at, reply));
    }

    /// Answers the lesson runners whose wait is over.
    pub(super) fn serve_waiters(&mut self, view: &RoomView, ensemble: &EnsembleView) {
        if self.waiters.is_empty() {
            return;
        }
        for waiter in std::mem::take(&mut self.waiters) {
            if waiter.gone() {
                continue;
            }
            match waiter {
                Waiter::Settle(settle, reply) if settle.reached(view, ensemble) => {
                    let _ = reply.send(());
                }
                Waiter::StepDone(at, reply) => {
                    match self.run.as_ref().and_then(|run| run.step_done(at)) {
                        Some(done) => {
                            let _ = reply.send(done);
                        }
                        None => self.waiters.push(Waiter::StepDone(at, reply)),
                    }
                }
                waiter => self.waiters.push(waiter),
            }
        }
    }

    /// The room ends: its runner stops and no one waits.
    pub(super) fn end(&mut self) {
        if let Some(run) = &mut self.run {
            run.stop_runner();
        }
        self.waiters.clear();
    }
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
        // The runner adds clients and servers one by one, and stops and starts members,
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

    /// The room hosts the course's first lesson, set up (the room emptied) and idle.
    fn hosting_lesson_one(view: &RoomView) -> Hosting {
        let course = RoomSettings::for_tests().course;
        let lesson = course.lessons[0].clone();
        let ensemble = EnsembleView::default();
        let mut hosting = Hosting::default();
        hosting.start(lesson, view, &ensemble);
        hosting.run_mut().unwrap().restart(view, &ensemble);
        hosting
    }

    #[test]
    fn do_it_starts_the_current_step_once_and_back_stops_it() {
        let view = RoomView::new("r", 0);
        let mut hosting = hosting_lesson_one(&view);
        assert!(
            matches!(hosting.do_it(TimeMode::Live), Err(RoomError::LessonBusy)),
            "still setting up"
        );
        assert!(hosting.idle(0, Ok(())));
        let first = hosting
            .do_it(TimeMode::Live)
            .unwrap()
            .expect("step 0 starts");
        assert_eq!(first.at, 0);
        assert!(!first.actions.is_empty());
        // A double click does nothing while the step is under way, and nothing once it is done.
        assert!(hosting.do_it(TimeMode::Live).unwrap().is_none());
        assert!(hosting.idle(0, Ok(())));
        assert!(hosting.do_it(TimeMode::Live).unwrap().is_none());
        assert!(hosting.step_open(0));
        assert_eq!(hosting.go_to(99), Err(RoomError::NoSuchStep(99)));
        assert_eq!(hosting.go_to(0), Ok(()));
        assert!(matches!(
            hosting.do_it(TimeMode::Live),
            Err(RoomError::LessonBusy)
        ));
        assert!(hosting.stop());
        assert!(!hosting.stop());
        assert!(matches!(
            hosting.do_it(TimeMode::Live),
            Err(RoomError::NoLesson)
        ));
    }

    #[test]
    fn a_runner_that_failed_fails_its_step_unless_a_newer_one_runs() {
        let view = RoomView::new("r", 0);
        let mut hosting = hosting_lesson_one(&view);
        let failure = |why| Failure {
            step: 0,
            why,
            message: Some("no".into()),
        };
        assert!(
            !hosting.idle(7, Err(failure(shared::lesson::Why::Stuck))),
            "not the runner"
        );
        assert!(hosting.step_open(0));
        assert!(hosting.idle(0, Err(failure(shared::lesson::Why::Stuck))));
        assert!(!hosting.step_open(0));
        let (news, _) = hosting.news(&view);
        assert!(matches!(
            news,
            Some(RoomEvent::LessonChanged { progress: Some(_) })
        ));
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
            "the runner adds clients itself"
        );
    }
}
