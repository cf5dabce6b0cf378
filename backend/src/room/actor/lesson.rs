//! The room's lesson, as the room carries it out: starting and leaving it, Do it and Back
//! (decided by [`crate::room::hosting`]), the runner that does a step, and what that runner
//! asks of the room.

use shared::lesson::{Action, LessonId, Settle};
use shared::{RoomEvent, TimeMode};
use tokio::sync::oneshot;

use super::RoomActor;
use crate::lesson::{Failure, Runner};
use crate::room::error::RoomError;
use crate::room::handle::{RoomHandle, RunnerCmd};
use crate::room::hosting::{aim, Aimed, DoIt};
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
        self.hosting.start(lesson, &self.view, &ensemble);
        self.publish_progress();
        self.spawn_runner(|runner, lesson| async move { runner.go_to(&lesson, 0).await });
        Ok(())
    }

    pub(super) fn lesson_do(&mut self) -> Result<(), RoomError> {
        let Some(DoIt { at, actions, slow }) = self.hosting.do_it(self.time.mode())? else {
            return Ok(());
        };
        if let Some(factor) = slow {
            self.set_time(TimeMode::Slow, factor);
        }
        self.publish_progress();
        self.spawn_runner(move |runner, _| async move { runner.run_step(at, &actions).await });
        Ok(())
    }

    pub(super) fn lesson_goto(&mut self, step: usize) -> Result<(), RoomError> {
        self.hosting.go_to(step)?;
        self.publish_progress();
        self.spawn_runner(move |runner, lesson| async move { runner.go_to(&lesson, step).await });
        Ok(())
    }

    /// The teacher empties the room: a lesson it runs ends.
    pub(super) fn reset_room(&mut self) {
        if self.hosting.stop() {
            self.publish(RoomEvent::LessonChanged { progress: None });
        }
        // No one waits for this reset's end; the room says it with `room_reset`.
        self.start_reset(oneshot::channel().0);
    }

    /// The room leaves its lesson; the lesson's own ensemble goes with it: the room empties
    /// onto the shared one.
    pub(super) fn leave_lesson(&mut self) {
        if self.hosting.stop() {
            self.publish(RoomEvent::LessonChanged { progress: None });
        }
        if self.place.leave_own() {
            self.start_reset(oneshot::channel().0);
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

    /// Starts the lesson's runner on `work`; it tells the room when it is done.
    fn spawn_runner<F, Fut>(&mut self, work: F)
    where
        F: FnOnce(Runner, shared::lesson::Lesson) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), Failure>> + Send,
    {
        let (Some(run), Some(cmds)) = (self.hosting.run_mut(), self.cmds.upgrade()) else {
            return;
        };
        let runner = Runner {
            room: RoomHandle { cmds },
            members: self.place.world.members.clone(),
            ensemble: self.place.world.ensemble.clone(),
            lesson_ensembles: self.settings.lesson_ensembles.clone(),
        };
        let lesson = run.lesson().clone();
        let generation = run.next_generation();
        let task = tokio::spawn(async move {
            let result = work(runner.clone(), lesson).await;
            let _ = runner.room.lesson_idle(generation, result).await;
        });
        run.set_runner(task.abort_handle());
    }

    /// What the lesson's runner asks of the room.
    pub(super) fn runner(&mut self, cmd: RunnerCmd) {
        match cmd {
            RunnerCmd::AddLockClient(reply) => {
                let _ = reply.send(self.add_client(NewClient::Lock(None)));
            }
            RunnerCmd::AddServer(reply) => {
                let _ = reply.send(self.add_client(NewClient::Server(None, None)));
            }
            RunnerCmd::SetTime(mode, slow_factor) => self.set_time(mode, slow_factor),
            RunnerCmd::Kill(client, reply) => {
                let _ = reply.send(self.sessions.command(client, SessionCmd::Kill));
            }
            RunnerCmd::Crash(client, reply) => {
                let _ = reply.send(self.sessions.command(client, SessionCmd::Crash));
            }
            RunnerCmd::ReleaseMove(client, class, reply) => {
                let pressed = self
                    .time
                    .press_class(&self.view.time.pending, client, class);
                let _ = reply.send(pressed.map(|(id, released)| {
                    self.release(released);
                    id
                }));
            }
            RunnerCmd::OwnEnsemble(reply) => {
                let _ = reply.send(self.place.own_ensemble());
            }
            RunnerCmd::AdoptEnsemble(lease, reply) => {
                let _ = reply.send(self.place.adopt(lease));
            }
            RunnerCmd::LeaveOwnEnsemble(reply) => {
                self.place.leave_own();
                let _ = reply.send(());
            }
            RunnerCmd::Idle(generation, result) => {
                if self.hosting.idle(generation, result) {
                    self.publish_progress();
                }
            }
            RunnerCmd::StepOpen(at, reply) => {
                let _ = reply.send(self.hosting.step_open(at));
            }
            RunnerCmd::IsLive(reply) => {
                let _ = reply.send(self.time.mode() == TimeMode::Live);
            }
            RunnerCmd::Busy(busy, reply) => {
                if self.hosting.set_busy(busy) {
                    self.publish_progress();
                }
                let _ = reply.send(());
            }
            RunnerCmd::Reset(reply) => self.start_reset(reply),
            RunnerCmd::Act(action, reply) => {
                let _ = reply.send(self.lesson_act(action));
            }
            RunnerCmd::Settle(settle, reply) => {
                self.hosting.wait_settle(settle, reply);
                self.serve_waiters();
            }
            RunnerCmd::StepDone(at, reply) => {
                self.hosting.wait_step_done(at, reply);
                self.serve_waiters();
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
        }
    }
}
