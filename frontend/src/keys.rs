//! The keyboard: which key does what (a teacher at a projector needs no mouse), as pure
//! functions from the page's state to what the page does ([`effects`]); the listener that
//! carries them out is `components::hooks::use_shortcut_keys`.

use shared::{slower, ClientId, ClientMsg, TimeMode};

use crate::i18n::Lang;
use crate::selection::select_next;
use crate::state::{Action, AppState};

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    Add,
    Crash,
    Kill,
    Freeze,
    Release,
    StepOrLive,
    Next,
    Faster,
    Slower,
    Lang,
    Presenter,
    SelectUp,
    SelectDown,
    DoIt,
    Resync,
    Help,
    Close,
    /// The classroom's join screen: the students' link and its QR code, large.
    JoinScreen,
    /// Show or hide the timeline.
    Timeline,
    /// Show or hide the recipe panel.
    Recipe,
}

/// The key list as shown (`?`): the keys, and the action whose words say what they do.
pub const KEY_LIST: [(&str, KeyAction); 18] = [
    ("A", KeyAction::Add),
    ("C", KeyAction::Crash),
    ("K", KeyAction::Kill),
    ("F", KeyAction::Freeze),
    ("R", KeyAction::Release),
    ("Space", KeyAction::StepOrLive),
    ("N / →", KeyAction::Next),
    ("+ / −", KeyAction::Faster),
    ("↑ / ↓", KeyAction::SelectDown),
    ("D", KeyAction::DoIt),
    ("L", KeyAction::Lang),
    ("P", KeyAction::Presenter),
    ("T", KeyAction::Timeline),
    ("E", KeyAction::Recipe),
    ("J", KeyAction::JoinScreen),
    ("S", KeyAction::Resync),
    ("?", KeyAction::Help),
    ("Esc", KeyAction::Close),
];

impl KeyAction {
    /// What the key list says this key does.
    pub fn words(self, lang: shared::lesson::Lang) -> &'static str {
        use crate::texts::KeyText;
        match self {
            KeyAction::Add => KeyText::Add,
            KeyAction::Crash => KeyText::Crash,
            KeyAction::Kill => KeyText::Kill,
            KeyAction::Freeze => KeyText::Freeze,
            KeyAction::Release => KeyText::Release,
            KeyAction::StepOrLive => KeyText::StepOrLive,
            KeyAction::Next => KeyText::Next,
            KeyAction::Faster | KeyAction::Slower => KeyText::Speed,
            KeyAction::SelectUp | KeyAction::SelectDown => KeyText::Select,
            KeyAction::DoIt => KeyText::DoIt,
            KeyAction::Lang => KeyText::Lang,
            KeyAction::Presenter => KeyText::Presenter,
            KeyAction::Resync => KeyText::Resync,
            KeyAction::Help => KeyText::Help,
            KeyAction::Close => KeyText::Close,
            KeyAction::JoinScreen => KeyText::JoinScreen,
            KeyAction::Timeline => KeyText::Timeline,
            KeyAction::Recipe => KeyText::Recipe,
        }
        .get(lang)
    }

    /// The action of a `KeyboardEvent.key`.
    pub fn of(key: &str) -> Option<KeyAction> {
        Some(match key {
            "a" | "A" => KeyAction::Add,
            "c" | "C" => KeyAction::Crash,
            "k" | "K" => KeyAction::Kill,
            "f" | "F" => KeyAction::Freeze,
            "r" | "R" => KeyAction::Release,
            " " => KeyAction::StepOrLive,
            "n" | "N" | "ArrowRight" => KeyAction::Next,
            "+" | "=" => KeyAction::Faster,
            "-" | "−" => KeyAction::Slower,
            "l" | "L" => KeyAction::Lang,
            "p" | "P" => KeyAction::Presenter,
            "ArrowUp" => KeyAction::SelectUp,
            "ArrowDown" => KeyAction::SelectDown,
            "d" | "D" => KeyAction::DoIt,
            "s" | "S" => KeyAction::Resync,
            "?" => KeyAction::Help,
            "j" | "J" => KeyAction::JoinScreen,
            "t" | "T" => KeyAction::Timeline,
            "e" | "E" => KeyAction::Recipe,
            "Escape" => KeyAction::Close,
            _ => return None,
        })
    }
}

/// What a key asks for, once the page has looked at its state.
#[derive(Debug)]
pub enum KeyEffect {
    /// An intent to the server (only what the page's role may send).
    Send(ClientMsg),
    /// A change to the page's own state.
    Page(Action),
    /// The language chosen, remembered for the next visit.
    RememberLang(Lang),
    /// Whether the room's join screen is closed, remembered for the room.
    RememberJoinClosed(String, bool),
    /// The ☰ Room menu closes (a `<details>` the page does not keep in its state).
    CloseRoomMenu,
}

/// What `action` does on a page in `state`: the intents its role may send, and the page's own
/// changes. A key that acts on the selected client with none selected says how to select one.
pub fn effects(action: KeyAction, state: &AppState) -> Vec<KeyEffect> {
    let replay = state.replay.is_some();
    let mut effects = match action {
        KeyAction::StepOrLive | KeyAction::Next if replay => replay_effects(action, state),
        _ if action.is_room_key() => room_effects(action, state),
        _ => page_effects(action, state),
    };
    effects.retain(|e| !matches!(e, KeyEffect::Send(msg) if !state.may(msg)));
    effects
}

impl KeyAction {
    /// Whether the key acts on the room (and so needs one).
    fn is_room_key(self) -> bool {
        !matches!(
            self,
            KeyAction::Lang
                | KeyAction::Presenter
                | KeyAction::Help
                | KeyAction::Close
                | KeyAction::JoinScreen
                | KeyAction::Timeline
                | KeyAction::Recipe
        )
    }
}

/// A recording plays in the page: Space plays or pauses, Next is its next event.
fn replay_effects(action: KeyAction, state: &AppState) -> Vec<KeyEffect> {
    let Some(replay) = &state.replay else {
        return Vec::new();
    };
    vec![KeyEffect::Page(match action {
        KeyAction::Next => Action::ReplayAt(replay.at + 1),
        _ => Action::ReplayPlaying(!replay.playing),
    })]
}

/// The keys that change the page itself.
fn page_effects(action: KeyAction, state: &AppState) -> Vec<KeyEffect> {
    match action {
        KeyAction::Lang => {
            let other = state.lang.other();
            vec![
                KeyEffect::RememberLang(other),
                KeyEffect::Page(Action::SetLang(other)),
            ]
        }
        KeyAction::Presenter => vec![KeyEffect::Page(Action::Presenter(!state.presenter))],
        KeyAction::Help => vec![KeyEffect::Page(Action::KeyList(!state.key_list))],
        KeyAction::Timeline => vec![KeyEffect::Page(Action::Timeline(!state.timeline_shown()))],
        KeyAction::Recipe => vec![KeyEffect::Page(Action::RecipePanel(!state.recipe_shown()))],
        KeyAction::Close => vec![
            KeyEffect::Page(Action::KeyList(false)),
            KeyEffect::Page(Action::JoinScreen(false)),
            KeyEffect::CloseRoomMenu,
        ],
        KeyAction::JoinScreen => {
            let open = !state.join_open;
            let room = state.view.as_ref().map(|v| v.room.clone());
            let remember = room.map(|room| KeyEffect::RememberJoinClosed(room, !open));
            remember
                .into_iter()
                .chain([KeyEffect::Page(Action::JoinScreen(open))])
                .collect()
        }
        // Every other key needs a room.
        _ => Vec::new(),
    }
}

/// The keys that act on the room.
/// The keys that act on the room. Before the first snapshot, an intent is sent all the same
/// (the link sends it once joined) and a key that needs a selection says so; the rest need the
/// room.
fn room_effects(action: KeyAction, state: &AppState) -> Vec<KeyEffect> {
    let send = |msg| vec![KeyEffect::Send(msg)];
    let on_selected = |msg: &dyn Fn(ClientId) -> ClientMsg| match state.selected {
        Some(client) => send(msg(client)),
        None => vec![KeyEffect::Page(Action::NeedsSelection)],
    };
    match action {
        KeyAction::Add => return send(ClientMsg::AddLockClient),
        KeyAction::Crash => return on_selected(&|client| ClientMsg::Crash { client }),
        KeyAction::Kill => return on_selected(&|client| ClientMsg::Kill { client }),
        KeyAction::Freeze => {
            return on_selected(&|client| ClientMsg::Pause {
                client,
                ms: state.pause_ms,
            })
        }
        // A fresh snapshot from the server: the picture redrawn from ZooKeeper's truth.
        KeyAction::Resync => return send(ClientMsg::Resync),
        _ => {}
    }
    let Some(view) = state.view.as_deref() else {
        return Vec::new();
    };
    let time = &view.time;
    match action {
        KeyAction::SelectUp | KeyAction::SelectDown => {
            let down = action == KeyAction::SelectDown;
            let focus = crate::lesson::focus(view.lesson.as_ref(), state.course.as_deref());
            let registry = focus == shared::lesson::Focus::Registry;
            let next = select_next(view, state.selected, down, registry, state.left_at);
            vec![KeyEffect::Page(Action::Select(next))]
        }
        KeyAction::Release => view
            .holders()
            .map(|holder| KeyEffect::Send(ClientMsg::Release { client: holder.id }))
            .collect(),
        // As the button: only once the step's prediction is made.
        KeyAction::DoIt => match (&state.course, &state.texts) {
            (Some(course), Some(texts))
                if crate::lesson::do_ready(view, course, texts, &state.answers) =>
            {
                send(ClientMsg::LessonDo)
            }
            _ => Vec::new(),
        },
        KeyAction::StepOrLive => {
            let mode = match time.mode {
                TimeMode::Step => TimeMode::Live,
                TimeMode::Live | TimeMode::Slow => TimeMode::Step,
            };
            send(ClientMsg::SetTime {
                mode,
                slow_factor: time.slow_factor,
            })
        }
        // As the button: only when a move waits.
        KeyAction::Next if time.pending.is_empty() => Vec::new(),
        KeyAction::Next => send(ClientMsg::StepNext { id: None }),
        KeyAction::Faster | KeyAction::Slower => send(ClientMsg::SetTime {
            mode: time.mode,
            slow_factor: slower(time.slow_factor, action == KeyAction::Faster),
        }),
        // Taken above: the intents, and the page's own keys.
        KeyAction::Add
        | KeyAction::Crash
        | KeyAction::Kill
        | KeyAction::Freeze
        | KeyAction::Resync
        | KeyAction::Lang
        | KeyAction::Presenter
        | KeyAction::Help
        | KeyAction::Close
        | KeyAction::JoinScreen
        | KeyAction::Timeline
        | KeyAction::Recipe => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::RoomView;
    use std::rc::Rc;

    fn page_in(view: RoomView) -> AppState {
        AppState {
            view: Some(Rc::new(view)),
            ..AppState::default()
        }
    }

    #[test]
    fn a_key_sends_only_what_the_role_may_and_asks_for_a_selection_it_needs() {
        let mut state = page_in(RoomView::new("r", 0));
        let sent = |effects: Vec<KeyEffect>| -> Vec<ClientMsg> {
            effects
                .into_iter()
                .filter_map(|e| match e {
                    KeyEffect::Send(msg) => Some(msg),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            sent(effects(KeyAction::Add, &state)),
            vec![ClientMsg::AddLockClient]
        );
        assert!(matches!(
            effects(KeyAction::Crash, &state).as_slice(),
            [KeyEffect::Page(Action::NeedsSelection)]
        ));
        assert!(
            sent(effects(KeyAction::Next, &state)).is_empty(),
            "no move waits"
        );
        // Before the first snapshot an intent still goes (once joined), and a key that needs a
        // selection says so.
        let joining = AppState::default();
        assert_eq!(
            sent(effects(KeyAction::Add, &joining)),
            vec![ClientMsg::AddLockClient]
        );
        assert!(matches!(
            effects(KeyAction::Kill, &joining).as_slice(),
            [KeyEffect::Page(Action::NeedsSelection)]
        ));
        assert!(effects(KeyAction::StepOrLive, &joining).is_empty());
        state.member.role = shared::classroom::Role::Viewer;
        assert!(
            sent(effects(KeyAction::Add, &state)).is_empty(),
            "a viewer only watches"
        );
        assert!(matches!(
            effects(KeyAction::Presenter, &state).as_slice(),
            [KeyEffect::Page(Action::Presenter(true))]
        ));
    }

    #[test]
    fn every_listed_key_does_what_the_list_says() {
        for (label, action) in KEY_LIST {
            let key = match label {
                "Space" => " ",
                "N / →" => "ArrowRight",
                "+ / −" => "+",
                "↑ / ↓" => "ArrowDown",
                "Esc" => "Escape",
                other => other,
            };
            assert_eq!(KeyAction::of(key), Some(action), "{label}");
        }
        assert_eq!(KeyAction::of("ArrowUp"), Some(KeyAction::SelectUp));
        assert_eq!(KeyAction::of("x"), None);
    }
}
