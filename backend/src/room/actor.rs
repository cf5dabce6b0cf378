//! The room's actor: one task that owns the room's state (one part per concern), reads its
//! commands and its sessions' reports in one loop, and publishes every event in order.
//!
//! Each event is numbered, applied to the room's `RoomView` (with the same code browsers use),
//! shown to the lesson's check, kept for recordings, serialised once and broadcast to every
//! viewer; then what it means for the room follows (a closed session's waiting moves go, a
//! reset moves on). Whatever woke the room, the lesson's plan then does what it can
//! ([`RoomActor::drive_lesson`]). A browser's intents are in [`intents`], the lesson in
//! [`lesson`].

mod intents;
mod lesson;

use crate::recipes::lock::script::Program;
use std::sync::Arc;
use std::time::Duration;

use shared::classroom::RoomKind;
use shared::{ClientId, CloseReason, RoomEvent, RoomView, ServerMsg, TimeMode};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

use super::error::RoomError;
use super::gate::Released;
use super::handle::{encode, Frame, RoomCmd, RoomHandle, Running, Subscription};
use super::history::History;
use super::hosting::{Hosting, LessonNews};
use super::presence::Presence;
use super::reset::{self, Next, Resetting};
use super::sessions::{may_add, may_cut_link, NewClient, Sessions};
use super::settings::RoomSettings;
use super::time::{Move, Time};
use super::world::Place;
use crate::clock::{now_ms, sleep_until_ms};
use crate::zk::session::SessionCmd;
use crate::zk::Report;

/// How far apart a played failure's moves go, for the eye to follow.
const FAILURE_PACE: Duration = Duration::from_millis(700);

pub(super) struct RoomActor {
    settings: RoomSettings,
    view: RoomView,
    /// Every event's frame, to every viewer.
    frames: broadcast::Sender<Frame>,
    history: History,
    sessions: Sessions,
    time: Time,
    presence: Presence,
    /// The ZooKeeper the room runs on, and where it goes next.
    place: Place,
    hosting: Hosting,
    /// Set while the room empties itself.
    resetting: Option<Resetting>,
    /// For the tasks of the lesson's plan to answer with.
    lesson_news: mpsc::UnboundedSender<LessonNews>,
    /// Since when no browser watches the room.
    unwatched_since: Option<Instant>,
    /// Dropped when the actor ends: [`super::registry::Rooms`] waits on it.
    _alive: watch::Sender<()>,
}

impl RoomActor {
    /// Starts a room's actor, with the seed's one AppClient watching its server list.
    /// In a fleet, `fence` is the room's owner node: every write the room makes for itself
    /// checks it.
    pub(super) fn start(
        name: String,
        kind: RoomKind,
        mut settings: RoomSettings,
        fence: Option<crate::zk::fleet::Fence>,
    ) -> Running {
        if fence.is_some() {
            settings.zk = Arc::new(crate::zk::ZkSettings {
                fence,
                ..(*settings.zk).clone()
            });
        }
        let (cmds_tx, cmds_rx) = mpsc::channel(256);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (news_tx, news_rx) = mpsc::unbounded_channel();
        let (alive, ended) = watch::channel(());
        let mut sessions = Sessions::new(settings.default_hold_ms, events_tx.clone());
        let place = Place::shared(&settings, &name, &mut sessions.tasks, events_tx);
        let mut view = RoomView::new(name, settings.default_hold_ms);
        view.classroom.kind = kind;
        let mut actor = RoomActor {
            history: History::new(view.clone(), settings.history_events),
            frames: broadcast::channel(settings.viewer_queue.max(1)).0,
            view,
            sessions,
            time: Time::default(),
            presence: Presence::default(),
            place,
            hosting: Hosting::default(),
            resetting: None,
            lesson_news: news_tx,
            unwatched_since: None,
            _alive: alive,
            settings,
        };
        if let Err(e) = actor.add_client(NewClient::App) {
            tracing::warn!("no app client in the new room: {e}");
        }
        let task = tokio::spawn(actor.run(cmds_rx, events_rx, news_rx));
        Running {
            opener: None,
            fence: None,
            handle: RoomHandle { cmds: cmds_tx },
            task,
            ended,
        }
    }

    async fn run(
        mut self,
        mut cmds: mpsc::Receiver<RoomCmd>,
        mut events: mpsc::UnboundedReceiver<Report>,
        mut lesson_news: mpsc::UnboundedReceiver<LessonNews>,
    ) {
        let mut ensemble = self.place.world.ensemble.clone();
        let mut watching = self.place.generation;
        let idle_limit = self.settings.idle_limit_of(&self.view.room);
        let mut idle_check = tokio::time::interval((idle_limit / 2).max(Duration::from_millis(50)));
        loop {
            if watching != self.place.generation {
                // The room moved to another ensemble: its probe's view is the one to follow.
                (ensemble, watching) = (self.place.world.ensemble.clone(), self.place.generation);
                ensemble.mark_changed();
            }
            let due = self.time.next_due();
            let presence_due = self.presence.due();
            let lesson_due = self.hosting.due();
            tokio::select! {
                // Events first: a command answered from the view must see every event before it.
                biased;
                Some(report) = events.recv() => self.report(report),
                () = sleep_until_ms(due.unwrap_or_default()), if due.is_some() => {
                    let released = self.time.due(now_ms());
                    self.release(released);
                }
                Ok(()) = ensemble.changed() => self.ensemble_changed(),
                Some(news) = lesson_news.recv() => self.lesson_news(news),
                () = tokio::time::sleep_until(lesson_due.unwrap_or_else(Instant::now)),
                    if lesson_due.is_some() => {}
                () = tokio::time::sleep_until(presence_due.unwrap_or_else(Instant::now)),
                    if presence_due.is_some() => self.publish_presence(),
                _ = idle_check.tick() => {
                    if self.idle_for(idle_limit) {
                        tracing::info!(room = %self.view.room, "no browser for {idle_limit:?}; the room ends");
                        self.end(&mut cmds, &mut events).await;
                        return;
                    }
                }
                cmd = cmds.recv() => match cmd {
                    Some(RoomCmd::Deposed) => {
                        tracing::warn!(room = %self.view.room, "this server no longer owns the room; it ends here");
                        self.end(&mut cmds, &mut events).await;
                        return;
                    }
                    Some(RoomCmd::Shutdown(done)) => {
                        self.shutdown(&mut events).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(cmd) => self.handle(cmd),
                    None => {
                        self.shutdown(&mut events).await;
                        return;
                    }
                },
            }
            self.drive_lesson();
            self.sessions.reap();
        }
    }

    /// The room ends: new viewers wait for a new room while this one closes its sessions and
    /// deletes its nodes (in a fleet, only while it still owns the room: the deletes are
    /// fenced).
    async fn end(
        &mut self,
        cmds: &mut mpsc::Receiver<RoomCmd>,
        events: &mut mpsc::UnboundedReceiver<Report>,
    ) {
        cmds.close();
        self.shutdown(events).await;
        reset::remove_nodes(&self.place.world.zk, &self.view.room).await;
    }

    fn handle(&mut self, cmd: RoomCmd) {
        match cmd {
            RoomCmd::Subscribe(reply) => {
                let _ = reply.send(Subscription {
                    snapshot: self.snapshot(),
                    frames: self.frames.subscribe(),
                    ensemble: self.place.out.subscribe(),
                });
            }
            RoomCmd::Join(join, reply) => {
                let _ = reply.send(self.presence.join(join, Instant::now()));
            }
            RoomCmd::Leave(viewer) => {
                self.presence.leave(viewer, Instant::now());
            }
            RoomCmd::Intent(joined, msg, reply) => self.intent(joined, msg, reply),
            RoomCmd::Checked(source, verdict) => self.checked(source, verdict),
            RoomCmd::Recording(reply) => {
                let _ = reply.send(self.history.recording());
            }
            RoomCmd::Shutdown(_) | RoomCmd::Deposed => unreachable!("handled in run"),
        }
    }

    fn report(&mut self, report: Report) {
        match report {
            Report::Event(event) => self.publish(event),
            Report::Write {
                client,
                path,
                token,
            } => {
                let outcome = self.view.resource.judge(token);
                self.publish(RoomEvent::ResourceWritten {
                    client,
                    path,
                    token,
                    outcome,
                });
            }
            Report::Move {
                client,
                kind,
                point,
                path,
                go,
            } => {
                let asked = Move {
                    client,
                    kind,
                    point,
                    path,
                    go,
                };
                if let Some(pending) = self.time.submit(asked, now_ms()) {
                    self.publish(RoomEvent::MovePending { pending });
                    self.serve_presses();
                }
            }
            Report::Rest { client } => {
                self.time.rest(client);
                self.serve_presses();
            }
            Report::Swept(Ok(())) => {
                if let Some(reset) = &mut self.resetting {
                    reset.swept();
                }
                self.advance_reset();
            }
            // The lesson's plan says the step is stuck; the room is usable again.
            Report::Swept(Err(e)) => {
                tracing::warn!(room = %self.view.room, "the room could not be emptied: {e}");
                self.resetting = None;
                self.hosting.reset_over(false);
            }
        }
    }

    /// Numbers `event`, applies it, shows it to the lesson, keeps it and sends it to every
    /// viewer; then does what it means for the room.
    fn publish(&mut self, event: RoomEvent) {
        // Two holders at once is the crash bug of the naive recipe: catch it as it happens.
        let violation = violation(&self.view, &event);
        let closed = match &event {
            RoomEvent::ClientClosed { client, .. } => Some(*client),
            _ => None,
        };
        let link = match &event {
            RoomEvent::LinkChanged { client, frozen, .. } => Some((*client, *frozen)),
            _ => None,
        };
        let seq = self.view.seq + 1;
        let at_ms = now_ms();
        self.view.apply(seq, at_ms, &event);
        let moved = match self.hosting.run_mut() {
            // Borrowed, not cloned: this runs for every event of a lesson's room.
            Some(run) => run
                .observe(
                    seq,
                    at_ms,
                    &event,
                    &self.view,
                    &self.place.world.ensemble.borrow(),
                )
                .is_some(),
            None => false,
        };
        let frame = encode(&ServerMsg::Event { seq, at_ms, event });
        self.history.push(frame.clone());
        // No viewers is fine: the view keeps the state for the next one.
        let _ = self.frames.send(frame);
        if let Some(violation) = violation {
            self.publish(violation);
        }
        // After the violation, which may have moved the lesson further: the latest progress.
        if moved {
            self.publish_progress();
        }
        if let Some(client) = closed {
            self.sessions.closed(client);
            self.time.drop_client(client);
            if let Some(changed) = self.sessions.finish_switch(&self.view) {
                self.publish(changed);
            }
            self.serve_presses();
        }
        if let Some((client, frozen)) = link {
            self.time.set_frozen(client, frozen);
            self.serve_presses();
        }
        self.advance_reset();
    }

    fn snapshot(&self) -> Frame {
        encode(&ServerMsg::Snapshot {
            view: Box::new(self.view.clone()),
        })
    }

    fn publish_presence(&mut self) {
        if let Some(news) = self.presence.news(&self.view.classroom) {
            self.publish(news);
        }
    }

    fn ensemble_changed(&mut self) {
        self.place.changed();
        let moved = match self.hosting.run_mut() {
            Some(run) => run
                .recheck(&self.view, &self.place.world.ensemble.borrow())
                .is_some(),
            None => false,
        };
        if moved {
            self.publish_progress();
        }
    }

    /// No browser has watched the room for `limit`.
    fn idle_for(&mut self, limit: Duration) -> bool {
        if self.frames.receiver_count() > 0 {
            self.unwatched_since = None;
            return false;
        }
        let since = *self.unwatched_since.get_or_insert_with(Instant::now);
        since.elapsed() >= limit
    }

    /// Adds a client's session, if the room may now.
    fn add_client(&mut self, new: NewClient) -> Result<ClientId, RoomError> {
        let (resetting, switching) = (self.resetting.is_some(), self.sessions.switching());
        may_add(&new, &self.view, &self.settings, resetting, switching)?;
        let zk = self.place.world.zk.clone();
        let (id, added) = self.sessions.add(new, &self.view, zk, self.time.clock());
        self.publish(added);
        Ok(id)
    }

    /// A pause or a partition, unless the client's link is already frozen or cut.
    fn cut_link(&mut self, client: ClientId, cmd: SessionCmd) -> Result<(), RoomError> {
        may_cut_link(&self.view, client)?;
        self.sessions.command(client, cmd)
    }

    /// A built-in recipe, or the room's own once it has one.
    fn set_recipe(&mut self, recipe: shared::LockRecipeKind) -> Result<(), RoomError> {
        if recipe == shared::LockRecipeKind::Script && self.view.script.source.is_none() {
            return Err(RoomError::NoScript);
        }
        self.switch_recipe(recipe);
        Ok(())
    }

    /// A learner's recipe becomes the room's own, and its lock clients start afresh on it.
    fn run_recipe(&mut self, source: String) -> Result<(), RoomError> {
        let program = Program::compile(&source, self.settings.script_limits)
            .map_err(|e| RoomError::BadRecipe(described(&e)))?;
        self.sessions.load_script(program);
        // Run it live: a room left held still (a failure played) lets its moves go again; slow
        // motion, a lesson's pace, stays.
        if self.time.mode() == TimeMode::Step {
            self.set_time(TimeMode::Live, self.time.slow_factor());
        }
        self.publish(RoomEvent::ScriptLoaded { source });
        self.switch_recipe(shared::LockRecipeKind::Script);
        Ok(())
    }

    /// The room's last verdict's failure, played on the real ensemble: its recipe runs, and
    /// its moves are let go one by one in step mode.
    fn play_failure(&mut self) -> Result<(), RoomError> {
        let checked = self
            .view
            .script
            .checked
            .clone()
            .ok_or(RoomError::NothingToPlay)?;
        let verdict = checked.verdict;
        if verdict.moves.is_empty() || verdict.status == shared::recipe::VerdictStatus::Safe {
            return Err(RoomError::NothingToPlay);
        }
        self.run_recipe(checked.source)?;
        let plan = crate::lesson::Plan::play_failure(
            shared::LockRecipeKind::Script,
            verdict.moves,
            verdict.clients,
            FAILURE_PACE,
        );
        self.hosting.play(plan);
        Ok(())
    }

    /// A check's verdict, brought by the connection that ran it.
    fn checked(&mut self, source: String, verdict: shared::recipe::Verdict) {
        let verdict = Box::new(verdict);
        self.publish(RoomEvent::RecipeChecked { source, verdict });
    }

    fn switch_recipe(&mut self, recipe: shared::LockRecipeKind) {
        if let Some(changed) = self.sessions.switch(recipe, &self.view) {
            self.publish(changed);
        }
    }

    fn set_hold(&mut self, hold_ms: u64) {
        self.sessions.set_hold(hold_ms);
        self.publish(RoomEvent::HoldChanged { hold_ms });
    }

    fn set_fencing(&mut self, on: bool) {
        self.publish(RoomEvent::FencingChanged { on });
    }

    fn set_suspend(&mut self, on: bool) {
        self.sessions.set_suspend(on);
        self.publish(RoomEvent::SuspendChanged { on });
    }

    fn set_time(&mut self, mode: TimeMode, slow_factor: u32) {
        // Back to live, the waiting moves go in order, and the view says so before the mode.
        if let Some(released) = self.time.set(mode, slow_factor, now_ms()) {
            self.release(released);
            self.publish(RoomEvent::TimeChanged { mode, slow_factor });
        }
    }

    /// Serves the presses the gate can serve now (a client came to rest, left, or froze).
    fn serve_presses(&mut self) {
        let released = self.time.serve();
        self.release(released);
    }

    /// Lets moves go: each is published as released, then its client is told.
    fn release(&mut self, released: Vec<Released>) {
        for (id, client) in released {
            self.publish(RoomEvent::MoveReleased { id, client });
            self.time.let_go(id);
        }
    }

    /// Empties the room: live time, every session closed, then the folders swept; then the
    /// lesson is set up ([`RoomActor::finish_reset`]).
    fn start_reset(&mut self) {
        if self.resetting.is_some() {
            return;
        }
        // Nothing may wait at the gate while the room empties and earlier steps are redone.
        if self.time.mode() != TimeMode::Live {
            self.set_time(TimeMode::Live, self.time.slow_factor());
        }
        self.sessions.close_all(CloseReason::Reset);
        self.resetting = Some(Resetting::new());
        self.advance_reset();
    }

    fn advance_reset(&mut self) {
        let Some(reset) = &mut self.resetting else {
            return;
        };
        let tree_empty = self.view.locks.nodes.is_empty() && self.view.registry.nodes.is_empty();
        match reset.next(self.sessions.is_empty(), tree_empty) {
            Next::Wait => {}
            Next::Sweep => reset::spawn_sweep(
                &mut self.sessions.tasks,
                self.place.world.zk.clone(),
                self.view.room.clone(),
                self.sessions.events.clone(),
            ),
            Next::Finish => {
                let (room, events) = (self.view.room.clone(), self.sessions.events.clone());
                self.place
                    .arrive(&self.settings, &room, &mut self.sessions.tasks, events);
                self.finish_reset();
            }
        }
    }

    /// The room is empty: it starts afresh (client numbers from 1), with the lesson's setup or,
    /// emptied by its teacher, as new: with the seed's one AppClient.
    fn finish_reset(&mut self) {
        if self.resetting.take().is_none() {
            return;
        }
        self.publish(RoomEvent::RoomReset);
        self.sessions.start_afresh();
        let app_client = match self.hosting.setup() {
            Some(setup) => {
                self.set_up(&setup);
                setup.app_client
            }
            None => true,
        };
        if app_client {
            if let Err(e) = self.add_client(NewClient::App) {
                tracing::warn!("no app client in the emptied room: {e}");
            }
        }
        let ensemble = self.place.world.ensemble.borrow().clone();
        if let Some(run) = self.hosting.run_mut() {
            run.restart(&self.view, &ensemble);
            self.publish_progress();
        }
        self.hosting.reset_over(true);
    }

    /// The lesson's recipe, hold time, fencing and suspension, where the room differs.
    fn set_up(&mut self, setup: &shared::lesson::Setup) {
        if self.view.recipe != setup.recipe {
            self.publish(RoomEvent::RecipeChanged {
                recipe: setup.recipe,
            });
        }
        let hold_ms = setup.hold.ms(self.requested_timeout_ms());
        if self.view.hold_ms != hold_ms {
            self.set_hold(hold_ms);
        }
        if self.view.resource.fencing != setup.fencing {
            self.set_fencing(setup.fencing);
        }
        if self.view.suspend_on_disconnect != setup.suspend_on_disconnect {
            self.set_suspend(setup.suspend_on_disconnect);
        }
    }

    /// The session timeout the server asks ZooKeeper for, in ms.
    fn requested_timeout_ms(&self) -> u64 {
        self.settings.zk.session_timeout.as_millis() as u64
    }

    async fn shutdown(&mut self, events: &mut mpsc::UnboundedReceiver<Report>) {
        self.hosting.end();
        self.resetting = None;
        // Waiting moves go (their sessions are closing): nothing waits for a gate no one opens.
        self.time.forget_tickets();
        self.place.stop_observer();
        self.sessions.close_down(&self.view.room).await;
        while let Ok(report) = events.try_recv() {
            self.report(report);
        }
    }
}

/// Two holders at once: the event that says so, if `event` makes a second holder.
fn violation(view: &RoomView, event: &RoomEvent) -> Option<RoomEvent> {
    let RoomEvent::LockGained { client, path } = event else {
        return None;
    };
    let first = view.holders().find(|h| h.id != *client)?;
    Some(RoomEvent::Violation {
        first: first.id,
        first_path: first.path.clone().unwrap_or_default(),
        second: *client,
        second_path: path.clone(),
    })
}

/// A recipe's error as one line: where, then what.
fn described(error: &shared::recipe::RecipeError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => format!("line {line}, column {column}: {}", error.detail),
        (Some(line), None) => format!("line {line}: {}", error.detail),
        _ => error.detail.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_a_violation_and_the_first_is_not() {
        let mut view = RoomView::new("r", 0);
        let events = [
            RoomEvent::ClientAdded {
                client: 1,
                owner: None,
            },
            RoomEvent::ClientAdded {
                client: 2,
                owner: None,
            },
        ];
        for (seq, event) in (1..).zip(events) {
            view.apply(seq, seq, &event);
        }
        let gained = |client: ClientId, path: &str| RoomEvent::LockGained {
            client,
            path: path.into(),
        };
        let first = gained(1, "/locks/sub0000000000");
        assert_eq!(violation(&view, &first), None);
        view.apply(3, 3, &first);
        let second = violation(&view, &gained(2, "/locks/sub0000000001"));
        assert!(
            matches!(
                &second,
                Some(RoomEvent::Violation { first: 1, second: 2, second_path, .. })
                    if second_path == "/locks/sub0000000001"
            ),
            "{second:?}"
        );
    }
}
