//! The room's lesson, as the room carries it out: starting and leaving it, Do it and Back
//! (decided by [`crate::room::hosting`]), and the deeds of the lesson's plan, done one by one
//! (the slow ones, a lease or a member stopped, in tasks that answer with [`LessonNews`]).

use shared::lesson::{Action, Busy, LessonId, Settle, Why};
use shared::{RoomEvent, TimeMode, DEFAULT_SLOW_FACTOR};
use tokio::time::Instant;

use super::RoomActor;
use crate::lesson::{Answer, Deed, Seen};
use crate::room::error::RoomError;
use crate::room::hosting::{aim, Aimed, DoIt, LessonNews};
use crate::room::sessions::NewClient;
use crate::zk::session::SessionCmd;

impl RoomActor {
    /// Starts lesson `id`: the room empties and sets it up. `stops_shared` says whether the
    /// sender may stop the shared ensemble's members, which a lesson that stops members needs
    /// where the server lends no ensembles.
    pub(super) fn start_lesson(
        &mut self,
        id: LessonId,
        stops_shared: bool,
    ) -> Result<(), RoomError> {
        let lesson = self
            .settings
            .course
            .lesson(id)
            .cloned()
            .ok_or(RoomError::NoSuchLesson(id))?;
        let lent = self.settings.lesson_ensembles.is_some();
        if lesson.stops_members() && !lent && !stops_shared && self.settings.members.is_some() {
            return Err(RoomError::SharedMembers(id));
        }
        let ensemble = self.place.world.ensemble.borrow().clone();
        self.hosting.start(lesson, &self.view, &ensemble, lent);
        self.publish_progress();
        Ok(())
    }

    pub(super) fn lesson_do(&mut self) -> Result<(), RoomError> {
        let Some(DoIt { slow, .. }) = self.hosting.do_it(self.time.mode())? else {
            return Ok(());
        };
        if let Some(factor) = slow {
            self.set_time(TimeMode::Slow, factor);
        }
        self.publish_progress();
        Ok(())
    }

    pub(super) fn lesson_goto(&mut self, step: usize) -> Result<(), RoomError> {
        self.hosting
            .go_to(step, self.settings.lesson_ensembles.is_some())?;
        self.publish_progress();
        Ok(())
    }

    /// The teacher empties the room: a lesson it runs ends.
    pub(super) fn reset_room(&mut self) {
        if self.hosting.stop() {
            self.publish(RoomEvent::LessonChanged { progress: None });
        }
        self.start_reset();
    }

    /// The room leaves its lesson; the lesson's own ensemble goes with it: the room empties
    /// onto the shared one.
    pub(super) fn leave_lesson(&mut self) {
        if self.hosting.stop() {
            self.publish(RoomEvent::LessonChanged { progress: None });
        }
        if self.place.leave_own() {
            self.start_reset();
        }
    }

    /// Publishes the lesson's progress if the view does not have it yet; a step that slowed
    /// the room and is now decided gives it back to live time.
    pub(super) fn publish_progress(&mut self) {
        let (news, pace_over) = self.hosting.news(&self.view);
        if let Some(news) = news {
            self.publish(news);
        }
        if pace_over && self.time.mode() == TimeMode::Slow {
            self.set_time(TimeMode::Live, self.time.slow_factor());
        }
    }

    /// Carries out what the lesson's plan asks, deed by deed, until it waits for something
    /// (an event, the ensemble, a timer, a task, the reset's end) or is done. Called once the
    /// room has done whatever woke it.
    pub(super) fn drive_lesson(&mut self) {
        // Called after every event: a room without a plan under way does nothing here (its
        // progress is published where it changes).
        if self.hosting.plan_generation().is_none() {
            return;
        }
        loop {
            let (next, members) = self.place.next_world(&self.settings);
            let deed = {
                let ensemble = next.borrow();
                let seen = Seen {
                    view: &self.view,
                    ensemble: &ensemble,
                    members: members.is_some(),
                    live: self.time.mode() == TimeMode::Live,
                    now: Instant::now(),
                };
                self.hosting.next_deed(&seen)
            };
            // A step replayed, or the plan's end, shows before what follows.
            self.publish_progress();
            let Some(deed) = deed else {
                return;
            };
            match self.carry_out(deed) {
                Some(Ok(answer)) => self.hosting.answer(answer),
                Some(Err(e)) => self.hosting.refused(e),
                None => {}
            }
        }
    }

    /// Does one deed of the lesson's plan: its answer, or `None` where a task (or the reset's
    /// end) answers later.
    fn carry_out(&mut self, deed: Deed) -> Option<Result<Answer, RoomError>> {
        let done = |r: Result<(), RoomError>| Some(r.map(|()| Answer::Done));
        match deed {
            Deed::AddLockClient => Some(self.add_client(NewClient::Lock(None)).map(Answer::Added)),
            Deed::AddServer => Some(
                self.add_client(NewClient::Server(None, None))
                    .map(Answer::Added),
            ),
            Deed::HoldTime => {
                self.set_time(TimeMode::Step, DEFAULT_SLOW_FACTOR);
                done(Ok(()))
            }
            Deed::Press(client, class) => {
                let pressed = self
                    .time
                    .press_class(&self.view.time.pending, client, class);
                Some(pressed.map(|(id, released)| {
                    self.release(released);
                    Answer::Pressed(id)
                }))
            }
            Deed::Kill(client) => done(self.sessions.command(client, SessionCmd::Kill)),
            Deed::Crash(client) => done(self.sessions.command(client, SessionCmd::Crash)),
            Deed::Act(action) => Some(self.lesson_act(action).map(Answer::Acted)),
            Deed::Member { id, start } => self.spawn_member(id, start),
            Deed::OwnEnsemble => self.spawn_lease(),
            Deed::SharedEnsemble => {
                self.place.leave_own();
                done(Ok(()))
            }
            Deed::Reset => {
                self.start_reset();
                None
            }
        }
    }

    /// Stops or starts a member of the ensemble the room runs on, in a task that answers.
    fn spawn_member(&mut self, id: u32, start: bool) -> Option<Result<Answer, RoomError>> {
        let no_ensemble = Answer::Failed {
            why: Why::NoEnsemble,
            message: None,
        };
        let (Some(members), Some(generation)) = (
            self.place.next_world(&self.settings).1,
            self.hosting.plan_generation(),
        ) else {
            return Some(Ok(no_ensemble));
        };
        let news = self.lesson_news.clone();
        let task = tokio::spawn(async move {
            let done = if start {
                members.start_member(id as usize).await
            } else {
                members.stop_member(id as usize).await
            };
            let answer = match done {
                Ok(()) => Answer::Done,
                Err(_) => no_ensemble,
            };
            let _ = news.send(LessonNews::Answer(generation, answer));
        });
        self.hosting.keep_task(task.abort_handle());
        None
    }

    /// An ensemble of the room's own: it has one (or is moving onto one), or one is lent in a
    /// task that answers (after a wait in line while every one is taken).
    fn spawn_lease(&mut self) -> Option<Result<Answer, RoomError>> {
        let (Some(pool), Some(generation), false) = (
            self.settings.lesson_ensembles.clone(),
            self.hosting.plan_generation(),
            self.place.going_own(),
        ) else {
            self.follow_upcoming();
            return Some(Ok(Answer::Done));
        };
        self.hosting.set_busy(Some(Busy::StartingEnsemble));
        let news = self.lesson_news.clone();
        let task = tokio::spawn(async move {
            let in_line = |place| {
                let _ = news.send(LessonNews::InLine(generation, place));
            };
            let lease = pool.lease(in_line).await.map_err(|e| e.to_string());
            let _ = news.send(LessonNews::Lent(generation, lease));
        });
        self.hosting.keep_task(task.abort_handle());
        None
    }

    /// While the room is about to move onto an ensemble of its own, the plan reads that one's
    /// probe (its members up, its quorum): every change of it wakes the room, in a task the plan
    /// takes with it.
    fn follow_upcoming(&mut self) {
        let Some(mut view) = self.place.upcoming_view() else {
            return;
        };
        let news = self.lesson_news.clone();
        let task = tokio::spawn(async move {
            while view.changed().await.is_ok() {
                if news.send(LessonNews::Woken).is_err() {
                    break;
                }
            }
        });
        self.hosting.keep_task(task.abort_handle());
    }

    /// What a task of the lesson's plan says.
    pub(super) fn lesson_news(&mut self, news: LessonNews) {
        match news {
            LessonNews::Answer(generation, answer) => self.hosting.task_answer(generation, answer),
            // The loop's end drives the plan.
            LessonNews::Woken => {}
            LessonNews::Checked(source, verdict) => self.checked(source, verdict),
            LessonNews::InLine(generation, place) => {
                if self.hosting.plan_generation() == Some(generation) {
                    self.hosting
                        .set_busy(Some(Busy::WaitingForEnsemble { place }));
                }
            }
            LessonNews::Lent(generation, lease) => {
                if self.hosting.plan_generation() != Some(generation) {
                    // A lease no plan wants goes back to the pool as it drops.
                    return;
                }
                let answer = match lease {
                    Ok(lease) => {
                        self.place.adopt(lease);
                        self.follow_upcoming();
                        self.hosting.set_busy(Some(Busy::Resetting));
                        Answer::Done
                    }
                    Err(message) => Answer::Failed {
                        why: Why::NoEnsemble,
                        message: Some(message),
                    },
                };
                self.hosting.task_answer(generation, answer);
            }
        }
    }

    /// One intent of a Do it, aimed at the client the view names; what to wait for after it.
    fn lesson_act(&mut self, action: Action) -> Result<Settle, RoomError> {
        match aim(action, &self.view, self.requested_timeout_ms())? {
            Aimed::Session(client, cmd, settle) => {
                self.sessions.command(client, cmd)?;
                Ok(settle)
            }
            Aimed::CutLink(client, cmd) => {
                self.cut_link(client, cmd)?;
                Ok(Settle::Nothing)
            }
            Aimed::Recipe(recipe, settle) => {
                self.switch_recipe(recipe);
                Ok(settle)
            }
            Aimed::Hold(hold_ms) => {
                self.set_hold(hold_ms);
                Ok(Settle::Nothing)
            }
            Aimed::Fencing(on) => {
                self.set_fencing(on);
                Ok(Settle::Nothing)
            }
            Aimed::Suspend(on) => {
                self.set_suspend(on);
                Ok(Settle::Nothing)
            }
            Aimed::Check(source) => {
                let place = (self.settings.checks.try_start(None))
                    .map_err(|e| RoomError::Busy(e.to_string()))?;
                let news = self.lesson_news.clone();
                tokio::spawn(async move {
                    let verdict = place.run(source.clone()).await;
                    let _ = news.send(LessonNews::Checked(source, verdict));
                });
                Ok(Settle::Nothing)
            }
            Aimed::Run(source) => {
                self.run_recipe(source)?;
                Ok(Settle::Recipe(shared::LockRecipeKind::Script))
            }
        }
    }
}
