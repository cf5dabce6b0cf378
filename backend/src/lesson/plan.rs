//! Do it, Back and Restart as a plan: the intents a step's actions come to, and what to wait
//! for after each, as a pure state machine. The room asks the plan for its next deed whenever
//! something happened (an event, the ensemble, a timer, a task's answer), does it, and answers;
//! the plan never reaches the room itself.

use std::collections::VecDeque;
use std::time::Duration;

use shared::lesson::action::{MoveClass, TraceMove};
use shared::lesson::{Action, Busy, Lesson, LessonProgress, MemberTarget, Settle, StepStatus, Why};
use shared::{ClientId, EnsembleView, LockRecipeKind, MoveId, RoomView};
use tokio::time::Instant;

/// How long a plan waits, in live time, for the room to settle after one intent, or for a
/// step's check while it does the steps before a chosen one again (a killed client's session
/// takes its timeout). In step or slow motion the teacher sets the pace, and it waits on.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// How long an intent aimed at a client (or a member) waits for one that fits before it says
/// there is none.
pub const TARGET_WAIT: Duration = Duration::from_secs(10);

/// Why a plan could not do a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step it was doing.
    pub step: usize,
    pub why: Why,
    /// The room's own words, when it refused an intent.
    pub message: Option<String>,
}

/// The room as a plan reads it.
pub struct Seen<'a> {
    pub view: &'a RoomView,
    /// The ensemble the room runs on, as its probe sees it.
    pub ensemble: &'a EnsembleView,
    /// Whether the room can stop and start that ensemble's members.
    pub members: bool,
    /// Whether the room's time is live: in step or slow motion the teacher sets the pace.
    pub live: bool,
    pub now: Instant,
}

/// What a plan asks the room to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deed {
    AddLockClient,
    AddServer,
    /// Hold time still: every move waits at the gate (a recorded trace is played).
    HoldTime,
    /// Let go the client's waiting move of this class.
    Press(ClientId, MoveClass),
    Kill(ClientId),
    Crash(ClientId),
    /// One intent of a Do it, for the room to aim at the client the view names.
    Act(Action),
    /// Stop or start member `id` of the ensemble the room runs on (a task: answered later).
    Member {
        id: u32,
        start: bool,
    },
    /// Have an ensemble of the room's own, lent now if it has none (maybe after a wait in
    /// line); the room moves onto it at its next reset.
    OwnEnsemble,
    /// Give the room's own ensemble back at its next reset.
    SharedEnsemble,
    /// Empty the room and set the lesson up (answered when it is done).
    Reset,
}

/// The room's answer to a deed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Done,
    Added(ClientId),
    /// The move let go.
    Pressed(MoveId),
    /// What to wait for after an intent.
    Acted(Settle),
    Failed {
        why: Why,
        message: Option<String>,
    },
}

/// What a plan does next, as the lesson reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing until something changes (or [`Plan::due`]).
    Wait,
    Room(Deed),
    /// What the lesson waits for now, for the page.
    Busy(Busy),
    Finished(Result<(), Failure>),
}

/// One thing a plan does, in order.
#[derive(Clone, Debug)]
enum Op {
    /// One of step `at`'s actions, unless a check decided the step on the way.
    Action(usize, Action),
    /// A deed whose answer needs nothing more than to be a success.
    Ask(Deed),
    /// A lock client, and then (if `queued`) a wait until it waits or holds.
    AddLock {
        queued: bool,
    },
    /// An AppServer, and then a wait until every AppClient lists it.
    AddServer,
    /// One of a trace's clients.
    AddTraced,
    /// One of a trace's moves.
    Move(TraceMove),
    /// Let go the client's waiting move of this class; its answer says which move to wait for.
    Press(ClientId, MoveClass),
    /// Stop or start the member the target names now.
    Member(MemberTarget, bool),
    /// Start every stopped member, then wait until the ensemble serves again.
    StartStopped,
    /// Fail at once (`NoEnsemble`) unless the room can stop and start members.
    NeedMembers,
    Busy(Busy),
    Wait(Until, Limit),
}

/// What a wait waits for.
#[derive(Clone, Debug)]
enum Until {
    Settled(Settle),
    /// A member the target names.
    Resolves(MemberTarget),
    /// A quorum, every member serving.
    Serving,
    /// Step `at` is done, or can no longer be.
    Decided(usize),
    /// Only the time (a pace for the eye).
    Elapsed,
}

/// How long a wait may take, and what happens after.
#[derive(Clone, Copy, Debug)]
enum Limit {
    /// As long as it takes.
    None,
    /// [`SETTLE_LIMIT`] in live time, then the step is stuck; in step or slow motion, none.
    Live,
    /// [`SETTLE_LIMIT`] whatever the time: the wait needs nothing the teacher does.
    Always,
    /// At most this long; then the plan goes on.
    GoOnAfter(Duration),
}

/// A deed out, its answer awaited, and what that answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    Plain,
    AddLock { queued: bool },
    AddServer,
    AddTraced,
    Press(ClientId),
    Act,
    Member { id: u32, start: bool },
    Reset,
}

/// What the plan waits for now, and until when.
#[derive(Debug)]
struct Pending {
    what: Awaited,
    limit: Limit,
    deadline: Deadline,
}

/// Until when a wait may last: set when the plan first looks at it, in the time (and the mode
/// of time) it then finds.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    NotLookedAt,
    Never,
    At(Instant),
}

#[derive(Debug)]
enum Awaited {
    Answer(Asked),
    Until(Until),
}

/// Do it, Back or Restart, under way.
#[derive(Debug)]
pub struct Plan {
    todo: VecDeque<Op>,
    pending: Option<Pending>,
    /// The clients of the trace being played, in the trace's order.
    traced: Vec<ClientId>,
    /// The step a failure is told against.
    blame: usize,
    finished: Option<Result<(), Failure>>,
    /// Its end has been told.
    over: bool,
}

impl Plan {
    /// Do it for step `at`: its actions, intent by intent, each followed by its settling.
    pub fn do_step(at: usize, actions: &[Action]) -> Plan {
        let todo = actions.iter().map(|a| Op::Action(at, a.clone())).collect();
        Plan::new(todo, at)
    }

    /// A recipe's failure played: once the room runs the recipe (`recipe`, its old clients
    /// gone and their nodes with them), `moves` with `clients` clients in step mode.
    pub fn play_failure(
        recipe: LockRecipeKind,
        moves: Vec<TraceMove>,
        clients: u32,
        pace: Duration,
    ) -> Plan {
        let settled = Op::Wait(Until::Settled(Settle::Fresh(recipe)), Limit::None);
        let todo = std::iter::once(settled).chain(trace_ops(moves, clients, pace));
        Plan::new(todo.collect(), 0)
    }

    /// Back or Restart to `step`: the room onto the ensemble the lesson needs (`lent`: the
    /// server lends ensembles of their own to rooms whose lesson stops members), emptied and
    /// set up; then every step before `step` again, each until its check has decided it.
    pub fn go_to(lesson: &Lesson, step: usize, lent: bool) -> Plan {
        let mut todo = VecDeque::new();
        let stops = lesson.stops_members();
        match (stops, lent) {
            (true, true) => todo.push_back(Op::Ask(Deed::OwnEnsemble)),
            (false, true) => todo.push_back(Op::Ask(Deed::SharedEnsemble)),
            (_, false) => {}
        }
        if stops {
            todo.push_back(Op::StartStopped);
        }
        todo.push_back(Op::Ask(Deed::Reset));
        for (at, earlier) in lesson.steps.iter().enumerate().take(step) {
            todo.push_back(Op::Busy(Busy::Replaying { step: at }));
            todo.extend(earlier.actions.iter().map(|a| Op::Action(at, a.clone())));
            todo.push_back(Op::Wait(Until::Decided(at), Limit::Live));
        }
        Plan::new(todo, step)
    }

    fn new(todo: VecDeque<Op>, blame: usize) -> Plan {
        Plan {
            todo,
            pending: None,
            traced: Vec::new(),
            blame,
            finished: None,
            over: false,
        }
    }

    /// What the plan does next, given the room as it is and the lesson's progress.
    pub fn next(&mut self, seen: &Seen, progress: &LessonProgress) -> Next {
        loop {
            if self.over {
                return Next::Wait;
            }
            if let Some(result) = self.finished.take() {
                self.todo.clear();
                self.pending = None;
                self.over = true;
                return Next::Finished(result);
            }
            if let Some(pending) = &mut self.pending {
                match pending.look(seen, progress) {
                    Look::Wait => return Next::Wait,
                    Look::Over => self.pending = None,
                    Look::StepFailed => {
                        self.finish(Ok(()));
                        continue;
                    }
                    Look::TimedOut => {
                        self.fail(Why::Stuck, None);
                        continue;
                    }
                }
            }
            let Some(op) = self.todo.pop_front() else {
                self.finished = Some(Ok(()));
                continue;
            };
            if let Some(next) = self.take(op, seen, progress) {
                return next;
            }
        }
    }

    /// Starts one op: what the room or the page is to be told, if anything.
    fn take(&mut self, op: Op, seen: &Seen, progress: &LessonProgress) -> Option<Next> {
        let ask = |plan: &mut Plan, deed: Deed, asked: Asked, limit: Limit| {
            plan.pending = Some(Pending::new(Awaited::Answer(asked), limit));
            Some(Next::Room(deed))
        };
        match op {
            Op::Action(at, action) => {
                self.blame = at;
                if is_open(progress, at) {
                    self.expand(action);
                }
                None
            }
            Op::Ask(Deed::Reset) => ask(self, Deed::Reset, Asked::Reset, Limit::Always),
            Op::Ask(deed @ Deed::Act(_)) => ask(self, deed, Asked::Act, Limit::None),
            Op::Ask(deed) => ask(self, deed, Asked::Plain, Limit::None),
            Op::AddLock { queued } => ask(
                self,
                Deed::AddLockClient,
                Asked::AddLock { queued },
                Limit::None,
            ),
            Op::AddServer => ask(self, Deed::AddServer, Asked::AddServer, Limit::None),
            Op::AddTraced => ask(self, Deed::AddLockClient, Asked::AddTraced, Limit::None),
            Op::Move(step) => {
                self.play(step);
                None
            }
            Op::Press(client, class) => ask(
                self,
                Deed::Press(client, class),
                Asked::Press(client),
                Limit::None,
            ),
            Op::Member(which, start) => match which.resolve(seen.ensemble) {
                Some(id) => ask(
                    self,
                    Deed::Member { id, start },
                    Asked::Member { id, start },
                    Limit::None,
                ),
                None => {
                    self.fail(Why::NoTarget, None);
                    None
                }
            },
            Op::StartStopped => {
                self.start_stopped(seen);
                None
            }
            Op::NeedMembers => {
                if !seen.members {
                    self.fail(Why::NoEnsemble, None);
                }
                None
            }
            Op::Busy(busy) => Some(Next::Busy(busy)),
            Op::Wait(until, limit) => {
                self.pending = Some(Pending::new(Awaited::Until(until), limit));
                None
            }
        }
    }

    /// One move of a trace: wait until its client's move of that class is at the gate and let
    /// it go, or crash or kill the client; each time until the room shows it done.
    fn play(&mut self, step: TraceMove) {
        let Some(&client) = self.traced.get(step.client() as usize) else {
            self.fail(Why::NoTarget, None);
            return;
        };
        let left = Settle::Left(client);
        match (step, step.class()) {
            (_, Some(class)) => {
                let pending = Settle::Pending { client, class };
                self.then([
                    Op::Wait(Until::Settled(pending), Limit::Always),
                    Op::Press(client, class),
                ]);
            }
            (TraceMove::Expire(_), None) => self.then([Op::Wait(
                Until::Settled(Settle::Expired(client)),
                Limit::Always,
            )]),
            (TraceMove::Kill(_), None) => self.then([
                Op::Ask(Deed::Kill(client)),
                Op::Wait(Until::Settled(left), Limit::Always),
            ]),
            (_, None) => self.then([
                Op::Ask(Deed::Crash(client)),
                Op::Wait(Until::Settled(left), Limit::Always),
            ]),
        }
    }

    /// Starts every stopped member of the ensemble the room runs on, one by one (a lesson may
    /// have stopped two), then waits until it serves again.
    fn start_stopped(&mut self, seen: &Seen) {
        if !seen.members {
            return;
        }
        if MemberTarget::Stopped.resolve(seen.ensemble).is_some() {
            let again = member(MemberTarget::Stopped, true).into_iter();
            self.then(again.chain([Op::StartStopped]));
        } else {
            self.then([Op::Wait(Until::Serving, Limit::Always)]);
        }
    }

    /// The ops one action of a step comes to, done next.
    fn expand(&mut self, action: Action) {
        match action {
            Action::AddLockClients { count, no_wait } => {
                self.then((0..count).map(|_| Op::AddLock { queued: !no_wait }))
            }
            Action::AddServers { count } => self.then((0..count).map(|_| Op::AddServer)),
            Action::PlayTrace {
                trace,
                clients,
                pace,
            } => {
                let Some(moves) = shared::lesson::action::trace(&trace) else {
                    self.fail(Why::NoTarget, None);
                    return;
                };
                self.traced.clear();
                let pace = Duration::from_millis(pace.ms(0));
                self.then(trace_ops(moves, clients, pace));
            }
            Action::StopMember { which } => self.then(member(which, false)),
            Action::StartMember { which } => self.then(member(which, true)),
            other => {
                // A step may begin while the room still moves (a hand-off after the last
                // step's crash): wait a moment for a client that fits, then act or say there
                // is none.
                let fits = other.target().map(|target| {
                    Op::Wait(
                        Until::Settled(Settle::Targetable(target)),
                        Limit::GoOnAfter(TARGET_WAIT),
                    )
                });
                self.then(fits.into_iter().chain([Op::Ask(Deed::Act(other))]));
            }
        }
    }

    /// The room's answer to the deed it was asked (a reset is answered by its end).
    pub fn answer(&mut self, answer: Answer) {
        if !self.awaits(Asked::Reset) {
            self.answered(answer);
        }
    }

    fn awaits(&self, asked: Asked) -> bool {
        matches!(&self.pending, Some(Pending { what: Awaited::Answer(a), .. }) if *a == asked)
    }

    /// The answer to the question pending; one that does not fit it (not the room's answer to
    /// this deed) leaves the question open.
    fn answered(&mut self, answer: Answer) {
        let Some(Pending {
            what: Awaited::Answer(asked),
            ..
        }) = self.pending
        else {
            return;
        };
        let settled = |settle, limit| vec![Op::Wait(Until::Settled(settle), limit)];
        let then = match (asked, answer) {
            (_, Answer::Failed { why, message }) => {
                self.fail(why, message);
                return;
            }
            (Asked::AddLock { queued }, Answer::Added(id)) => match queued {
                true => settled(Settle::Queued(id), Limit::Live),
                false => Vec::new(),
            },
            (Asked::AddServer, Answer::Added(_)) => {
                settled(Settle::Listed { gone: None }, Limit::Live)
            }
            (Asked::AddTraced, Answer::Added(id)) => {
                self.traced.push(id);
                Vec::new()
            }
            (Asked::Press(client), Answer::Pressed(released)) => {
                settled(Settle::Moved { client, released }, Limit::Always)
            }
            (Asked::Act, Answer::Acted(settle)) => settled(settle, Limit::Live),
            (Asked::Member { id, start }, Answer::Done) => {
                settled(Settle::Member { id, serving: start }, Limit::Always)
            }
            (Asked::Plain | Asked::Reset, Answer::Done) => Vec::new(),
            _ => return,
        };
        self.pending = None;
        self.then(then);
    }

    /// The room's reset is over (`ok`: emptied and set up); heard only if the plan waits for it.
    pub fn reset_over(&mut self, ok: bool) {
        if self.awaits(Asked::Reset) {
            self.answered(if ok {
                Answer::Done
            } else {
                Answer::Failed {
                    why: Why::Stuck,
                    message: None,
                }
            });
        }
    }

    /// When the plan wants to look again though nothing happened (a wait's limit).
    pub fn due(&self) -> Option<Instant> {
        match self.pending.as_ref()?.deadline {
            Deadline::At(at) => Some(at),
            Deadline::NotLookedAt | Deadline::Never => None,
        }
    }

    fn then(&mut self, ops: impl IntoIterator<Item = Op>) {
        let ops: Vec<Op> = ops.into_iter().collect();
        for op in ops.into_iter().rev() {
            self.todo.push_front(op);
        }
    }

    fn fail(&mut self, why: Why, message: Option<String>) {
        self.finish(Err(Failure {
            step: self.blame,
            why,
            message,
        }));
    }

    fn finish(&mut self, result: Result<(), Failure>) {
        self.pending = None;
        self.finished = Some(result);
    }
}

/// Stop or start the member `which` names: a moment to wait for one that fits (the probe asks
/// about once a second, and a busy member may miss an answer), then the deed.
fn member(which: MemberTarget, start: bool) -> [Op; 3] {
    [
        Op::NeedMembers,
        Op::Wait(Until::Resolves(which), Limit::GoOnAfter(TARGET_WAIT)),
        Op::Member(which, start),
    ]
}

/// Whether step `at` is still to be done.
/// A trace played at the gate: step mode, its clients added, then each move let go (or each
/// crash, kill or expiry done) once the one before is answered, `pace` apart for the eye.
fn trace_ops(moves: Vec<TraceMove>, clients: u32, pace: Duration) -> Vec<Op> {
    let ops = std::iter::once(Op::Ask(Deed::HoldTime))
        .chain((0..clients).map(|_| Op::AddTraced))
        .chain(moves.into_iter().flat_map(|step| {
            // For the eye, not for the room: the next move waits for nothing but its turn.
            [
                Op::Move(step),
                Op::Wait(Until::Elapsed, Limit::GoOnAfter(pace)),
            ]
        }));
    ops.collect()
}

fn is_open(progress: &LessonProgress, at: usize) -> bool {
    progress.step == at
        && progress
            .steps
            .get(at)
            .is_some_and(|s| s.status == StepStatus::Current)
}

/// What a look at the pending wait finds.
enum Look {
    Wait,
    Over,
    /// The step waited for can no longer be done: its check has said why.
    StepFailed,
    TimedOut,
}

impl Pending {
    fn new(what: Awaited, limit: Limit) -> Pending {
        Pending {
            what,
            limit,
            deadline: Deadline::NotLookedAt,
        }
    }

    fn look(&mut self, seen: &Seen, progress: &LessonProgress) -> Look {
        let limit = self.limit;
        if let Deadline::NotLookedAt = self.deadline {
            self.deadline = match limit {
                Limit::None => Deadline::Never,
                Limit::Live if !seen.live => Deadline::Never,
                Limit::Live | Limit::Always => Deadline::At(seen.now + SETTLE_LIMIT),
                Limit::GoOnAfter(span) => Deadline::At(seen.now + span),
            };
        }
        let reached = match &self.what {
            Awaited::Answer(_) => false,
            Awaited::Until(until) => match until {
                Until::Settled(settle) => settle.reached(seen.view, seen.ensemble),
                Until::Resolves(which) => which.resolve(seen.ensemble).is_some(),
                Until::Serving => {
                    seen.ensemble.quorum && seen.ensemble.members.iter().all(|m| m.mode.serves())
                }
                Until::Decided(at) => match progress.steps.get(*at).map(|s| s.status) {
                    Some(StepStatus::Done) => true,
                    Some(StepStatus::Failed) => return Look::StepFailed,
                    _ => false,
                },
                Until::Elapsed => false,
            },
        };
        match self.deadline {
            _ if reached => Look::Over,
            Deadline::At(at) if seen.now >= at => match limit {
                Limit::GoOnAfter(_) => Look::Over,
                _ => Look::TimedOut,
            },
            _ => Look::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::lesson::Target;

    fn course_lesson() -> Lesson {
        crate::lesson::builtin_course().unwrap().lessons[0].clone()
    }

    struct Room {
        view: RoomView,
        ensemble: EnsembleView,
        live: bool,
        now: Instant,
        progress: LessonProgress,
    }

    impl Room {
        fn new() -> Room {
            Room {
                view: RoomView::new("r", 0),
                ensemble: EnsembleView::default(),
                live: true,
                now: Instant::now(),
                progress: LessonProgress::start(&course_lesson()),
            }
        }

        fn next(&self, plan: &mut Plan) -> Next {
            let seen = Seen {
                view: &self.view,
                ensemble: &self.ensemble,
                members: false,
                live: self.live,
                now: self.now,
            };
            plan.next(&seen, &self.progress)
        }
    }

    #[test]
    fn an_intent_at_the_holder_waits_a_moment_for_one_then_acts_and_waits_for_its_settling() {
        let room = Room::new();
        let crash = Action::Crash {
            who: Target::Holder,
        };
        let mut plan = Plan::do_step(0, std::slice::from_ref(&crash));
        assert_eq!(room.next(&mut plan), Next::Wait, "no holder yet");
        assert_eq!(plan.due(), Some(room.now + TARGET_WAIT));
        let later = Room {
            now: room.now + TARGET_WAIT,
            ..Room::new()
        };
        assert_eq!(
            later.next(&mut plan),
            Next::Room(Deed::Act(crash)),
            "after the moment, the room says there is none"
        );
        assert_eq!(later.next(&mut plan), Next::Wait, "its answer is awaited");
        plan.answer(Answer::Acted(Settle::Left(5)));
        assert_eq!(later.next(&mut plan), Next::Finished(Ok(())), "5 is gone");
    }

    #[test]
    fn a_wait_is_stuck_after_the_limit_in_live_time_and_waits_on_in_step_mode() {
        let add = [Action::AddLockClients {
            count: 1,
            no_wait: false,
        }];
        for live in [true, false] {
            let room = Room {
                live,
                ..Room::new()
            };
            let mut plan = Plan::do_step(0, &add);
            assert_eq!(room.next(&mut plan), Next::Room(Deed::AddLockClient));
            plan.answer(Answer::Added(3));
            assert_eq!(room.next(&mut plan), Next::Wait, "3 is not queued yet");
            let late = Room {
                now: room.now + SETTLE_LIMIT,
                live,
                ..Room::new()
            };
            if live {
                assert_eq!(plan.due(), Some(room.now + SETTLE_LIMIT));
                let stuck = Failure {
                    step: 0,
                    why: Why::Stuck,
                    message: None,
                };
                assert_eq!(late.next(&mut plan), Next::Finished(Err(stuck)));
            } else {
                assert_eq!(plan.due(), None, "the teacher sets the pace");
                assert_eq!(late.next(&mut plan), Next::Wait);
            }
        }
    }

    #[test]
    fn a_refusal_fails_the_step_with_the_rooms_words() {
        let room = Room::new();
        let add = [Action::AddServers { count: 2 }];
        let mut plan = Plan::do_step(0, &add);
        assert_eq!(room.next(&mut plan), Next::Room(Deed::AddServer));
        plan.answer(Answer::Failed {
            why: Why::Refused,
            message: Some("full".into()),
        });
        assert_eq!(
            room.next(&mut plan),
            Next::Finished(Err(Failure {
                step: 0,
                why: Why::Refused,
                message: Some("full".into())
            }))
        );
        assert_eq!(room.next(&mut plan), Next::Wait, "a finished plan is quiet");
    }

    #[test]
    fn a_member_cannot_be_stopped_where_the_room_has_no_members_and_a_stray_answer_is_not_heard() {
        let room = Room::new();
        let stop = [Action::StopMember {
            which: MemberTarget::Leader,
        }];
        let mut plan = Plan::do_step(0, &stop);
        assert_eq!(
            room.next(&mut plan),
            Next::Finished(Err(Failure {
                step: 0,
                why: Why::NoEnsemble,
                message: None
            })),
            "at once, not after waiting for a leader"
        );
        let add = [Action::AddLockClients {
            count: 1,
            no_wait: false,
        }];
        let mut plan = Plan::do_step(0, &add);
        assert_eq!(room.next(&mut plan), Next::Room(Deed::AddLockClient));
        plan.answer(Answer::Pressed(9));
        assert_eq!(
            room.next(&mut plan),
            Next::Wait,
            "still waiting for its client"
        );
        plan.answer(Answer::Added(4));
        assert_eq!(
            room.next(&mut plan),
            Next::Wait,
            "now for client 4 to queue"
        );
        assert!(plan.due().is_some());
    }

    #[test]
    fn back_empties_the_room_then_replays_each_earlier_step_until_one_fails() {
        let lesson = course_lesson();
        assert!(lesson.steps.len() >= 2);
        let mut room = Room::new();
        // Step 0 already failed: its actions are skipped, and its failure ends the replay.
        room.progress.steps[0].status = StepStatus::Failed;
        let mut plan = Plan::go_to(&lesson, 1, true);
        assert_eq!(room.next(&mut plan), Next::Room(Deed::SharedEnsemble));
        plan.answer(Answer::Done);
        assert_eq!(room.next(&mut plan), Next::Room(Deed::Reset));
        plan.answer(Answer::Done);
        assert_eq!(
            room.next(&mut plan),
            Next::Wait,
            "only the reset's end answers it"
        );
        plan.reset_over(true);
        assert_eq!(
            room.next(&mut plan),
            Next::Busy(Busy::Replaying { step: 0 })
        );
        assert_eq!(room.next(&mut plan), Next::Finished(Ok(())));
    }
}
