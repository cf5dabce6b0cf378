//! The UI's one state, and the reducer that server messages and connection changes feed.

use crate::recipe::RecipeDraft;
use std::rc::Rc;

use shared::classroom::{Member, Need, Role};
use shared::diagram::Spacetime;
use shared::lesson::{CourseOutline, LessonId, LessonOutline, LessonTexts};
use shared::recording::{Recorded, Recording, Replay};
use shared::{
    ClientId, ClientMsg, EnsembleView, ErrorCode, RoomEvent, RoomView, SeedListing, ServerInfo,
    ServerMsg,
};
use yew::Reducible;

use crate::i18n::Lang;
use crate::lesson::Answers;

/// The WebSocket's state, as shown in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// Lost; the next attempt is in `retry_ms`. `why`: the reason the server gave in its
    /// close frame, if it closed the connection itself.
    Lost {
        retry_ms: u32,
        why: Option<String>,
    },
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub connection: Connection,
    pub server: Option<ServerInfo>,
    /// Who the page is in its room; until the server says, as in an open room (the server
    /// refuses what the role may not do anyway).
    pub member: Member,
    /// The page may stop and start the members of the ensemble every room shares.
    pub stops_members: bool,
    /// A key that acts on the selected client found none: the page says how to select one.
    pub needs_selection: bool,
    /// Where the selected client stood when it left: ↓ goes on from there, to the one that
    /// took its place, not back to the top.
    pub left_at: Option<usize>,
    /// The classroom just made here: its teacher's key is shown once, in the teacher's link.
    pub new_key: Option<String>,
    /// The room as the server streams it; `None` until the first snapshot.
    /// Shared with the components as is: an event copies it once, a render never.
    pub view: Option<Rc<RoomView>>,
    /// The last error the server answered, shown until the next one replaces it.
    pub last_error: Option<(ErrorCode, String)>,
    pub lang: Lang,
    /// How long the Pause buttons freeze a client, in ms.
    pub pause_ms: u64,
    /// The ZooKeeper ensemble as the server last described it.
    pub ensemble: Option<EnsembleView>,
    /// The client whose line the code panel lights.
    pub selected: Option<ClientId>,
    /// The lessons' outline, once fetched.
    pub course: Option<Rc<CourseOutline>>,
    /// The lessons' texts in `lang`, once fetched.
    pub texts: Option<Rc<LessonTexts>>,
    /// This learner's predictions.
    pub answers: Answers,
    /// A recording the page plays instead of a live room.
    pub replay: Option<ReplayState>,
    /// Drawn for a projector: large type, few controls, the keyboard does the rest.
    pub presenter: bool,
    /// The key list (`?`) is open.
    pub key_list: bool,
    /// A teacher's join screen (the students' link and QR code) is open.
    pub join_open: bool,
    /// A student's clients went with the room (a lesson began, the teacher emptied it): the
    /// page says so until they add one again or dismiss it.
    pub clients_reset: bool,
    /// The timeline shown or hidden by the user (T, or its button); `None`: as the lesson
    /// has it ([`AppState::timeline_shown`]).
    pub timeline: Option<bool>,
    /// The seed's line of what was picked on the timeline, lit in the code panel.
    pub traced: Option<(SeedListing, u32)>,
    /// Whether the timeline has the room's history before the last snapshot.
    pub history: History,
    /// The learner's own recipe: the panel, its text, a check asked for.
    pub recipe: RecipeDraft,
}

/// The timeline's history before the page's snapshot: a snapshot carries no timeline, so a page
/// that comes into a room under way reads the room's recording and folds it, with the events
/// it has had meanwhile.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum History {
    /// The timeline holds everything since the room's history begins (or there is none).
    #[default]
    Complete,
    /// The room had a history at the snapshot (`since`, its seq): the events since are kept to
    /// be folded after it, once the recording is read.
    Wanted { since: u64, events: Vec<Recorded> },
}

/// Most events kept while the room's history is read; beyond, the page gives up on the
/// history and draws from its snapshot on.
pub const HISTORY_WAIT_EVENTS: usize = 20_000;

/// Where the page is in a recording it plays.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayState {
    pub replay: Rc<Replay>,
    /// Events shown: the view is the room after the first `at`.
    pub at: usize,
    pub playing: bool,
    /// How many times faster than it happened.
    pub speed: u32,
}

/// The replay's speeds.
pub const REPLAY_SPEEDS: [u32; 5] = [1, 2, 5, 10, 50];

impl Default for AppState {
    fn default() -> Self {
        AppState {
            connection: Connection::Connecting,
            server: None,
            member: Member::OPEN,
            stops_members: false,
            needs_selection: false,
            left_at: None,
            new_key: None,
            view: None,
            last_error: None,
            lang: Lang::En,
            pause_ms: shared::DEFAULT_PAUSE_MS,
            ensemble: None,
            selected: None,
            course: None,
            texts: None,
            answers: Answers::new(),
            replay: None,
            presenter: false,
            key_list: false,
            join_open: false,
            clients_reset: false,
            timeline: None,
            traced: None,
            history: History::Complete,
            recipe: RecipeDraft::default(),
        }
    }
}

/// What can change the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Server(ServerMsg),
    Connection(Connection),
    SetLang(Lang),
    SetPauseMs(u64),
    DismissError,
    /// Light a client's line in the code panel (`None`: no one's).
    Select(Option<ClientId>),
    /// A key that acts on the selected client was pressed with none selected.
    NeedsSelection,
    CourseLoaded(Rc<CourseOutline>),
    /// Texts fetched for a language (kept only if it is still the page's).
    TextsLoaded(Lang, Rc<LessonTexts>),
    /// A recording to play, read and checked.
    ReplayLoaded(Rc<Replay>),
    /// Show the room after the first `n` events of the recording.
    ReplayAt(usize),
    ReplayPlaying(bool),
    ReplaySpeed(u32),
    Presenter(bool),
    KeyList(bool),
    JoinScreen(bool),
    /// Show or hide the timeline.
    Timeline(bool),
    /// Light this seed line, picked on the timeline (`None`: none).
    Trace(Option<(SeedListing, u32)>),
    /// The room's recording, read for the timeline's history (`None`: it could not be read).
    History(Option<Rc<Recording>>),
    /// Open or close the recipe panel.
    RecipePanel(bool),
    /// The recipe's text as the learner edits it (or picks a template).
    RecipeEdit(Rc<str>),
    /// A check of this text was sent; its verdict comes as an event.
    RecipeChecking(Rc<str>),
    /// A template is wanted in the editor (its text is fetched).
    RecipeWanted(shared::recipe::RecipeTemplate),
    /// A template's text has come.
    RecipePicked(shared::recipe::RecipeTemplate, Rc<str>),
    /// The learner predicts: option `option` of step `step` in this attempt of the lesson.
    Answer {
        lesson: LessonId,
        attempt: u32,
        step: usize,
        option: usize,
    },
}

impl AppState {
    /// Whether the timeline is shown: as the user set it, else open in the lessons that draw
    /// on it (a lesson's `timeline`), else closed.
    pub fn timeline_shown(&self) -> bool {
        (self.timeline).unwrap_or_else(|| self.lesson_outline().is_some_and(|l| l.timeline))
    }

    /// The outline of the lesson the room runs, once the course is fetched.
    fn lesson_outline(&self) -> Option<&LessonOutline> {
        let lesson = self.view.as_ref().and_then(|v| v.lesson.as_ref())?;
        self.course.as_deref()?.lesson(lesson.lesson)
    }

    /// The recipe panel shown: as the learner chose, else as the lesson has it.
    pub fn recipe_shown(&self) -> bool {
        self.recipe.open.unwrap_or_else(|| self.recipe_lesson())
    }

    /// The room runs a lesson about the learner's own recipe (9, 10).
    pub fn recipe_lesson(&self) -> bool {
        self.lesson_outline().is_some_and(|l| l.recipe)
    }

    /// Whether the page's role may send `msg`: what the page offers, the server's rule.
    pub fn may(&self, msg: &ClientMsg) -> bool {
        let owners = self.view.as_ref().map(|v| &v.classroom);
        self.member
            .may(Need::of(msg), |c| owners.and_then(|o| o.owner_of(c)))
            .is_ok()
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let changed = match action {
            Action::Server(msg) => next.on_server(msg),
            Action::Connection(connection) => {
                next.connection = connection;
                true
            }
            Action::SetLang(lang) => {
                if lang != next.lang {
                    next.texts = None;
                }
                next.lang = lang;
                true
            }
            Action::CourseLoaded(course) => {
                next.course = Some(course);
                true
            }
            Action::TextsLoaded(lang, texts) => {
                let now = lang == next.lang;
                if now {
                    next.texts = Some(texts);
                }
                now
            }
            Action::Answer {
                lesson,
                attempt,
                step,
                option,
            } => {
                // Earlier attempts' predictions are of no more use.
                next.answers.retain(|(_, a, _), _| *a == attempt);
                next.answers
                    .entry((lesson, attempt, step))
                    .or_insert(option);
                true
            }
            Action::ReplayLoaded(_)
            | Action::ReplayAt(_)
            | Action::ReplayPlaying(_)
            | Action::ReplaySpeed(_) => next.on_replay(action),
            page => {
                next.on_page(page);
                true
            }
        };
        if changed {
            Rc::new(next)
        } else {
            self
        }
    }
}

impl AppState {
    /// A message from the server; whether the state changed.
    fn on_server(&mut self, msg: ServerMsg) -> bool {
        match msg {
            // A recording that plays is the page's room: the live one's stream waits behind it.
            ServerMsg::Welcome { .. }
            | ServerMsg::You { .. }
            | ServerMsg::Snapshot { .. }
            | ServerMsg::Event { .. }
                if self.replay.is_some() =>
            {
                return false
            }
            ServerMsg::Welcome { server, you, .. } => {
                self.server = Some(server);
                self.member = you.member;
                self.stops_members = you.stops_members;
            }
            ServerMsg::You { you } => {
                self.member = you.member;
                self.stops_members = you.stops_members;
            }
            ServerMsg::Snapshot { view } => {
                let mut view = *view;
                view.spacetime = Some(Spacetime::default());
                // Before it, the room's history: read once the timeline is shown.
                self.history = match view.seq {
                    0 => History::Complete,
                    since => History::Wanted {
                        since,
                        events: Vec::new(),
                    },
                };
                self.view = Some(Rc::new(view));
            }
            ServerMsg::Event { seq, at_ms, event } => return self.on_event(seq, at_ms, event),
            ServerMsg::Ensemble { ensemble } => self.ensemble = Some(ensemble),
            ServerMsg::Error { code, message } => {
                // A refused check (busy, say) is answered: the panel stops waiting.
                self.recipe.checking = None;
                self.last_error = Some((code, message));
            }
        }
        true
    }

    /// One event of the room, folded into the view; whether it was new (after a resync the
    /// stream may repeat events the snapshot already holds).
    fn on_event(&mut self, seq: u64, at_ms: u64, event: RoomEvent) -> bool {
        let (member, selected) = (self.member, self.selected);
        let Some(view) = self.view.as_mut().filter(|v| seq > v.seq) else {
            return false;
        };
        // An emptied room makes an error about what was in it stale ("you already run 3
        // clients" once a lesson has closed them).
        if matches!(event, RoomEvent::RoomReset) {
            self.last_error = None;
            let mine = member.student.map_or(0, |s| view.classroom.clients_of(s));
            self.clients_reset |= mine > 0;
        }
        // A student's client closed with the room (a lesson began, the teacher emptied it):
        // say so on their page.
        if let RoomEvent::ClientClosed {
            client,
            reason: shared::CloseReason::Reset,
        } = &event
        {
            let mine =
                member.student.is_some() && view.classroom.owner_of(*client) == member.student;
            self.clients_reset |= mine;
        }
        // Where the selected client stands, should it leave with this event.
        let left = match &event {
            RoomEvent::ClientClosed { client, .. } if selected == Some(*client) => Some(
                crate::selection::clients_in_order(view)
                    .iter()
                    .position(|c| c == client),
            ),
            _ => None,
        };
        Rc::make_mut(view).apply(seq, at_ms, &event);
        // The verdict on the text the page asked about has come.
        if let RoomEvent::RecipeChecked { source, .. } = &event {
            if self.recipe.checking.as_deref() == Some(source.as_str()) {
                self.recipe.checking = None;
            }
        }
        if member
            .student
            .is_some_and(|s| view.classroom.clients_of(s) > 0)
        {
            self.clients_reset = false;
        }
        // The selected client left: the keys no longer aim at it.
        if let Some(place) = left {
            self.selected = None;
            self.left_at = place;
        }
        if let History::Wanted { events, .. } = &mut self.history {
            events.push(Recorded { seq, at_ms, event });
            if events.len() > HISTORY_WAIT_EVENTS {
                self.history = History::Complete;
            }
        }
        true
    }

    /// The room's recording came: the timeline is its fold up to the snapshot, then the events
    /// since, as a page that had been there all along would have it. A recording that does not
    /// reach the snapshot (or none) leaves the timeline as it is, from the snapshot on.
    fn with_history(&mut self, recording: Option<Rc<Recording>>) {
        let wanted = std::mem::take(&mut self.history);
        let (History::Wanted { since, events }, Some(recording), Some(view)) =
            (wanted, recording, self.view.as_mut())
        else {
            return;
        };
        let mut past = recording.start.clone();
        if past.seq > since {
            return;
        }
        past.spacetime = Some(Spacetime::default());
        let before = recording.events.iter().filter(|e| e.seq <= since);
        for e in before.chain(&events) {
            past.apply(e.seq, e.at_ms, &e.event);
        }
        if past.seq == view.seq {
            Rc::make_mut(view).spacetime = past.spacetime;
        }
    }

    /// A recording loaded, moved through, played or paused; whether the state changed.
    fn on_replay(&mut self, action: Action) -> bool {
        if let Action::ReplayLoaded(replay) = action {
            // A replay draws the timeline from where the recording starts.
            self.view = Some(Rc::new(replay.view_after(0)));
            self.history = History::Complete;
            // A recording is only watched: no control of it reaches a server.
            self.member = Member {
                role: Role::Viewer,
                student: None,
            };
            self.replay = Some(ReplayState {
                replay,
                at: 0,
                playing: false,
                speed: 1,
            });
            return true;
        }
        let Some(replay) = &mut self.replay else {
            return false;
        };
        match action {
            Action::ReplayAt(n) => {
                let n = n.min(replay.replay.len());
                // Playing, the next event folds into the view as a live one would; a jump
                // starts from the nearest checkpoint.
                match (&mut self.view, n.checked_sub(1)) {
                    (Some(view), Some(last)) if last == replay.at => {
                        let e = &replay.replay.recording.events[last];
                        Rc::make_mut(view).apply(e.seq, e.at_ms, &e.event);
                    }
                    _ => self.view = Some(Rc::new(replay.replay.view_after(n))),
                }
                replay.at = n;
                replay.playing &= n < replay.replay.len();
            }
            Action::ReplayPlaying(on) => {
                // Play at the end starts again from the beginning.
                if on && replay.at == replay.replay.len() {
                    replay.at = 0;
                    self.view = Some(Rc::new(replay.replay.view_after(0)));
                }
                replay.playing = on && !replay.replay.is_empty();
            }
            Action::ReplaySpeed(speed) => replay.speed = speed.max(1),
            _ => return false,
        }
        true
    }

    /// The page's own settings: the pause, presenter mode, the key list, the join screen, the
    /// selection, a dismissed notice.
    fn on_page(&mut self, action: Action) {
        match action {
            Action::SetPauseMs(ms) => self.pause_ms = ms,
            Action::Presenter(on) => self.presenter = on,
            Action::KeyList(open) => self.key_list = open,
            Action::JoinScreen(open) => self.join_open = open,
            Action::Timeline(shown) => self.timeline = Some(shown),
            Action::RecipePanel(open) => self.recipe.open = Some(open),
            Action::RecipeEdit(source) => self.recipe.source = source,
            Action::RecipeChecking(source) => self.recipe.checking = Some(source),
            Action::RecipeWanted(template) => self.recipe.wanted = Some(template),
            Action::RecipePicked(template, text) => self.recipe.picked(template, text),
            Action::Trace(line) => self.traced = line,
            Action::History(recording) => self.with_history(recording),
            Action::DismissError => {
                self.last_error = None;
                self.clients_reset = false;
            }
            Action::Select(client) => {
                self.selected = client;
                self.left_at = None;
                self.needs_selection = false;
            }
            Action::NeedsSelection => self.needs_selection = true,
            // Handled by `reduce` itself.
            Action::Server(_)
            | Action::Connection(_)
            | Action::SetLang(_)
            | Action::CourseLoaded(_)
            | Action::TextsLoaded(..)
            | Action::Answer { .. }
            | Action::ReplayLoaded(_)
            | Action::ReplayAt(_)
            | Action::ReplayPlaying(_)
            | Action::ReplaySpeed(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Znode;

    fn reduce(state: Rc<AppState>, msg: ServerMsg) -> Rc<AppState> {
        state.reduce(Action::Server(msg))
    }

    fn node(n: u32, owner: i64) -> Znode {
        Znode::read(
            format!("/locks/sub{n:010}"),
            n as i64 + 100,
            shared::SessionId(owner),
            "",
        )
    }

    fn replay_of(n: u64) -> Rc<Replay> {
        use shared::recording::{Recorded, Recording};
        let events = (1..=n)
            .map(|seq| Recorded {
                seq,
                at_ms: seq * 100,
                event: RoomEvent::ClientAdded {
                    client: seq as u32,
                    owner: None,
                },
            })
            .collect();
        let header = shared::recording::RecordingHeader::new("r", ServerInfo::default(), n);
        Rc::new(Replay::new(Recording {
            header,
            start: RoomView::new("r", 0),
            events,
        }))
    }

    #[test]
    fn a_replay_steps_and_jumps_to_the_same_views_and_is_only_watched() {
        let replay = replay_of(600);
        let mut s = Rc::new(AppState::default()).reduce(Action::ReplayLoaded(replay.clone()));
        assert_eq!(s.member.role, Role::Viewer);
        s = s.reduce(Action::ReplayPlaying(true));
        for n in 1..=300 {
            s = s.reduce(Action::ReplayAt(n));
        }
        assert_eq!(s.view.as_deref(), Some(&replay.view_after(300)));
        s = s.reduce(Action::ReplayAt(599));
        assert_eq!(s.view.as_deref(), Some(&replay.view_after(599)));
        s = s.reduce(Action::ReplayAt(10_000));
        let at = s.replay.as_ref().unwrap();
        assert_eq!((at.at, at.playing), (600, false), "the end stops the play");
        s = s.reduce(Action::ReplayAt(0));
        assert_eq!(s.view.as_deref().map(|v| v.locks.clients.len()), Some(0));
    }

    /// A room's first events: a client added, its create sent and answered, its listing.
    fn timeline_events() -> Vec<RoomEvent> {
        use shared::{CallReply, ZkOp};
        let sent = |op, path: &str| RoomEvent::CallSent {
            client: 1,
            op,
            path: path.into(),
            line: None,
        };
        let answered = |op, path: &str, zxid| RoomEvent::CallAnswered {
            client: 1,
            op,
            path: path.into(),
            reply: CallReply::Ok,
            zxid,
        };
        vec![
            RoomEvent::ClientAdded {
                client: 1,
                owner: None,
            },
            sent(ZkOp::Create, "/locks/sub"),
            answered(ZkOp::Create, "/locks/sub0000000000", Some(0x21)),
            sent(ZkOp::GetChildren, "/locks"),
            answered(ZkOp::GetChildren, "/locks", None),
            RoomEvent::LockGained {
                client: 1,
                path: "/locks/sub0000000000".into(),
            },
        ]
    }

    #[test]
    fn a_late_page_draws_the_timeline_from_where_the_rooms_history_begins() {
        let events = timeline_events();
        // What a page there from the start has.
        let mut all_along = RoomView::new("r", 0);
        all_along.spacetime = Some(Spacetime::default());
        for (i, e) in events.iter().enumerate() {
            all_along.apply(i as u64 + 1, 10 * i as u64, e);
        }
        // A page that joins after three events: its snapshot has no timeline.
        let mut snapshot = RoomView::new("r", 0);
        for (i, e) in events[..3].iter().enumerate() {
            snapshot.apply(i as u64 + 1, 10 * i as u64, e);
        }
        let mut state = reduce(
            Rc::new(AppState::default()),
            ServerMsg::Snapshot {
                view: Box::new(snapshot),
            },
        );
        assert_eq!(
            state.history,
            History::Wanted {
                since: 3,
                events: vec![]
            }
        );
        for (i, e) in events.iter().enumerate().skip(3) {
            let seq = i as u64 + 1;
            let (at_ms, event) = (10 * i as u64, e.clone());
            state = reduce(state, ServerMsg::Event { seq, at_ms, event });
        }
        let drawn = |s: &AppState| s.view.as_ref().and_then(|v| v.spacetime.clone());
        assert_ne!(drawn(&state), all_along.spacetime, "only what came since");
        // The recording, read a moment later, holds five of the events.
        let recorded: Vec<Recorded> = events[..5]
            .iter()
            .enumerate()
            .map(|(i, e)| Recorded {
                seq: i as u64 + 1,
                at_ms: 10 * i as u64,
                event: e.clone(),
            })
            .collect();
        let recording = Recording {
            header: shared::recording::RecordingHeader::new("r", ServerInfo::default(), 5),
            start: RoomView::new("r", 0),
            events: recorded,
        };
        let state = state.reduce(Action::History(Some(Rc::new(recording))));
        assert_eq!(drawn(&state), all_along.spacetime);
        assert_eq!(state.history, History::Complete);
    }

    #[test]
    fn snapshot_then_events_build_the_queue() {
        let mut s = Rc::new(AppState::default());
        s = reduce(
            s,
            ServerMsg::Snapshot {
                view: Box::new(RoomView::new("main", 3000)),
            },
        );
        let events = [
            RoomEvent::ClientAdded {
                client: 1,
                owner: None,
            },
            RoomEvent::ClientConnected {
                client: 1,
                session: shared::SessionId(0x1),
                timeout_ms: 5000,
            },
            RoomEvent::ZnodeAdded { node: node(0, 0x1) },
            RoomEvent::ZnodeAdded {
                node: node(1, 0x99),
            },
            RoomEvent::LockGained {
                client: 1,
                path: "/locks/sub0000000000".into(),
            },
        ];
        for (i, event) in events.into_iter().enumerate() {
            s = reduce(
                s,
                ServerMsg::Event {
                    seq: i as u64 + 1,
                    at_ms: 0,
                    event,
                },
            );
        }
        let view = s.view.as_ref().unwrap();
        let states: Vec<_> = view
            .locks
            .nodes
            .iter()
            .map(|n| view.node_state(n))
            .collect();
        assert_eq!(
            states,
            vec![shared::NodeState::Holding, shared::NodeState::External]
        );
        assert_eq!(view.seq, 5);
        assert_eq!(view.log.len(), 5);
    }

    #[test]
    fn events_already_in_the_snapshot_are_ignored() {
        let mut view = RoomView::new("main", 0);
        view.seq = 7;
        let s = reduce(
            Rc::new(AppState::default()),
            ServerMsg::Snapshot {
                view: Box::new(view),
            },
        );
        let same = reduce(
            s.clone(),
            ServerMsg::Event {
                seq: 7,
                at_ms: 0,
                event: RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
            },
        );
        assert!(Rc::ptr_eq(&s, &same));
        let next = reduce(
            s,
            ServerMsg::Event {
                seq: 8,
                at_ms: 0,
                event: RoomEvent::ClientAdded {
                    client: 1,
                    owner: None,
                },
            },
        );
        assert_eq!(next.view.as_ref().unwrap().locks.clients.len(), 1);
    }

    #[test]
    fn events_before_any_snapshot_are_dropped_and_errors_kept() {
        let s = reduce(
            Rc::new(AppState::default()),
            ServerMsg::Event {
                seq: 1,
                at_ms: 0,
                event: RoomEvent::HoldChanged { hold_ms: 0 },
            },
        );
        assert!(s.view.is_none());
        let s = reduce(
            s,
            ServerMsg::Error {
                code: ErrorCode::RoomFull,
                message: "full".into(),
            },
        );
        assert_eq!(s.last_error, Some((ErrorCode::RoomFull, "full".into())));
        let s = s.reduce(Action::DismissError);
        assert_eq!(s.last_error, None);
    }

    #[test]
    fn a_student_is_told_their_clients_went_with_the_room_until_they_add_one() {
        use shared::classroom::Role;
        let mut s = AppState {
            member: Member {
                role: Role::Student,
                student: Some(4),
            },
            ..AppState::default()
        };
        let mut view = RoomView::new("r", 0);
        let events = [
            RoomEvent::StudentJoined {
                student: 4,
                name: "Ana".into(),
            },
            RoomEvent::ClientAdded {
                client: 7,
                owner: Some(4),
            },
        ];
        for (i, e) in events.iter().enumerate() {
            view.apply(i as u64 + 1, 0, e);
        }
        s.view = Some(Rc::new(view));
        let event = |seq, event| ServerMsg::Event {
            seq,
            at_ms: 0,
            event,
        };
        let s = reduce(Rc::new(s), event(3, RoomEvent::RoomReset));
        assert!(s.clients_reset, "the student had a client");
        let s = reduce(
            s,
            event(
                4,
                RoomEvent::ClientAdded {
                    client: 8,
                    owner: Some(4),
                },
            ),
        );
        assert!(!s.clients_reset, "a new client of theirs ends the notice");
    }

    #[test]
    fn an_error_about_the_room_goes_when_the_room_is_emptied() {
        let s = reduce(
            Rc::new(AppState::default()),
            ServerMsg::Snapshot {
                view: Box::new(RoomView::new("r", 0)),
            },
        );
        let limit = ServerMsg::Error {
            code: ErrorCode::StudentLimit,
            message: "you already run 3 clients".into(),
        };
        let s = reduce(s, limit);
        let s = reduce(
            s,
            ServerMsg::Event {
                seq: 1,
                at_ms: 0,
                event: RoomEvent::HoldChanged { hold_ms: 0 },
            },
        );
        assert!(s.last_error.is_some(), "an unrelated event keeps it");
        let s = reduce(
            s,
            ServerMsg::Event {
                seq: 2,
                at_ms: 0,
                event: RoomEvent::RoomReset,
            },
        );
        assert_eq!(s.last_error, None);
    }

    #[test]
    fn a_prediction_is_kept_once_made_and_only_for_its_attempt() {
        let lesson = LessonId(2);
        let answer = |attempt, step, option| Action::Answer {
            lesson,
            attempt,
            step,
            option,
        };
        let mut s = Rc::new(AppState::default());
        for action in [answer(1, 1, 1), answer(1, 1, 0), answer(1, 3, 0)] {
            s = s.reduce(action);
        }
        assert_eq!(
            s.answers.get(&(lesson, 1, 1)),
            Some(&1),
            "a prediction is not changed after"
        );
        assert_eq!(s.answers.len(), 2);
        s = s.reduce(answer(2, 0, 1));
        assert_eq!(s.answers.len(), 1, "a new attempt asks again");
    }

    #[test]
    fn texts_of_a_language_the_page_left_are_dropped() {
        let texts: Rc<LessonTexts> =
            Rc::new(serde_json::from_str(shared::lesson::TEXTS_EN).unwrap());
        let s = Rc::new(AppState::default()).reduce(Action::SetLang(Lang::Zh));
        let same = s
            .clone()
            .reduce(Action::TextsLoaded(Lang::En, texts.clone()));
        assert!(Rc::ptr_eq(&s, &same));
        let s = s.reduce(Action::SetLang(Lang::En));
        assert!(s
            .reduce(Action::TextsLoaded(Lang::En, texts))
            .texts
            .is_some());
    }

    #[test]
    fn a_key_with_nothing_selected_asks_for_a_selection_until_one_is_made() {
        let state = Rc::new(AppState::default());
        let asked = state.reduce(Action::NeedsSelection);
        assert!(asked.needs_selection);
        let chosen = asked.reduce(Action::Select(Some(3)));
        assert!(!chosen.needs_selection);
        assert_eq!(chosen.selected, Some(3));
    }

    #[test]
    fn a_selected_client_that_leaves_leaves_its_place_for_the_arrows() {
        let mut s = reduce(
            Rc::new(AppState::default()),
            ServerMsg::Snapshot {
                view: Box::new(RoomView::new("main", 0)),
            },
        );
        let mut seq = 0;
        let mut event = |s: Rc<AppState>, event: RoomEvent| {
            seq += 1;
            reduce(
                s,
                ServerMsg::Event {
                    seq,
                    at_ms: 0,
                    event,
                },
            )
        };
        for client in [4, 5, 6] {
            s = event(
                s,
                RoomEvent::ClientAdded {
                    client,
                    owner: None,
                },
            );
        }
        s = s.reduce(Action::Select(Some(5)));
        s = event(
            s,
            RoomEvent::ClientClosed {
                client: 5,
                reason: shared::CloseReason::Killed,
            },
        );
        assert_eq!((s.selected, s.left_at), (None, Some(1)));
        let view = s.view.clone().unwrap();
        let next = crate::selection::select_next(&view, s.selected, true, false, s.left_at);
        assert_eq!(next, Some(6), "↓ goes on to the one after it");
        assert_eq!(s.reduce(Action::Select(next)).left_at, None);
    }
}
