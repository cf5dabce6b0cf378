//! The app's effects, each a hook of its own: what the page fetches, remembers and starts as
//! the room and the language change, and the keyboard.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use shared::classroom::Role;
use shared::lesson::LessonId;
use shared::{ClientMsg, ServerMsg};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::replay;
use crate::i18n::Lang;
use crate::keys::{self, KeyAction, KeyEffect};
use crate::lesson::Answers;
use crate::page;
use crate::state::{Action, AppState};
use crate::ws::ServerLink;

/// The learner's predictions, kept in the tab across a reload.
#[hook]
pub fn use_remembered_answers(room: String, answers: Answers) {
    use_effect_with(answers, move |answers| {
        page::remember_answers(&room, answers)
    });
}

/// `?replay=<url>`: the page loads that recording and plays it.
#[hook]
pub fn use_replay_loader(url: Option<String>, lang: Lang, dispatch: Callback<Action>) {
    use_effect_with(url, move |url| {
        if let Some(url) = url.clone() {
            wasm_bindgen_futures::spawn_local(async move {
                let loaded = page::request_text(&url, "GET")
                    .await
                    .and_then(|text| replay::load(&text, lang));
                dispatch.emit(match loaded {
                    Ok(replay) => Action::ReplayLoaded(replay),
                    Err(message) => Action::Server(ServerMsg::Error {
                        code: shared::ErrorCode::Malformed,
                        message,
                    }),
                });
            });
        }
    });
}

/// The room's recording, read once for the timeline's history when `wanted` names the room
/// and the snapshot's seq (a page that came into a room under way, with the timeline shown).
#[hook]
pub fn use_timeline_history(wanted: Option<(String, u64)>, dispatch: Callback<Action>) {
    use_effect_with(wanted, move |wanted| {
        if let Some((room, _)) = wanted.clone() {
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("/rooms/{room}/recording");
                let read = page::request_text(&path, "GET").await.and_then(|text| {
                    shared::recording::Recording::parse(&text).map_err(|e| e.to_string())
                });
                if let Err(e) = &read {
                    web_sys::console::warn_1(&format!("zkplay: the room's history: {e}").into());
                }
                dispatch.emit(Action::History(read.ok().map(Rc::new)));
            });
        }
    });
}

/// The lessons' outline once, and their texts for each language the page shows.
#[hook]
pub fn use_lesson_files(lang: Lang, dispatch: Callback<Action>) {
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match page::fetch_json("/lessons/course.json").await {
                    Ok(course) => dispatch.emit(Action::CourseLoaded(Rc::new(course))),
                    Err(e) => web_sys::console::warn_1(&format!("zkplay: {e}").into()),
                }
            });
        });
    }
    use_effect_with(lang, move |lang| {
        let lang = *lang;
        wasm_bindgen_futures::spawn_local(async move {
            let path = format!("/lessons/{}.json", lang.code());
            match page::fetch_json(&path).await {
                Ok(texts) => dispatch.emit(Action::TextsLoaded(lang, Rc::new(texts))),
                Err(e) => web_sys::console::warn_1(&format!("zkplay: {e}").into()),
            }
        });
    });
}

/// `?lesson=N` (`wanted`): once the room is known (`running`: the lesson it runs, if any),
/// starts the lesson unless the room already runs it (a reload, a second viewer). A page that
/// does not run the room (a student's) follows the teacher's lesson and starts none.
#[hook]
pub fn use_url_lesson(
    running: Option<Option<LessonId>>,
    wanted: Option<LessonId>,
    link: ServerLink,
    runs_the_room: bool,
) {
    let asked = use_mut_ref(|| false);
    use_effect_with(running, move |running| {
        // Read before the match: a borrow in its scrutinee would live through the arm.
        let already = *asked.borrow();
        if let (Some(running), Some(wanted), false) = (running, wanted, already) {
            *asked.borrow_mut() = true;
            if *running != Some(wanted) && runs_the_room {
                link.send(ClientMsg::StartLesson { lesson: wanted });
            }
        }
    });
}

/// A teacher meets the join screen first (a new classroom's students need its link), until
/// they close it.
#[hook]
pub fn use_teacher_join_screen(role: Role, room: String, dispatch: Callback<Action>) {
    use_effect_with(role, move |role| {
        if *role == Role::Teacher && !page::join_closed(&room) {
            dispatch.emit(Action::JoinScreen(true));
        }
    });
}

/// The address bar names the lesson the room runs (`running`), and none once it is left.
#[hook]
pub fn use_lesson_in_url(running: Option<Option<LessonId>>) {
    use_effect_with(running, move |running| {
        if let Some(lesson) = running {
            page::show_lesson_in_url(*lesson);
        }
    });
}

/// The keys ([`keys::effects`]): one listener for the page's life, reading the latest state.
#[hook]
pub fn use_shortcut_keys(link: ServerLink, state: UseReducerHandle<AppState>) {
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state;
    use_effect_with((), move |_| {
        let listener = listen(link, latest);
        move || drop(listener)
    });
}

fn listen(link: ServerLink, latest: Rc<RefCell<UseReducerHandle<AppState>>>) -> EventListener {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    // Not passive (gloo's default), or `prevent_default` is ignored and Space scrolls the
    // projected page off the queue.
    let options = gloo_events::EventListenerOptions::enable_prevent_default();
    EventListener::new_with_options(&document, "keydown", options, move |event| {
        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        if typing(event) || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let Some(action) = KeyAction::of(&event.key()) else {
            return;
        };
        // A key the page uses does nothing else: Space and the arrows would scroll the page,
        // Space press the focused button, `/` or `'` open the browser's quick find.
        event.prevent_default();
        let state = latest.borrow().clone();
        for effect in keys::effects(action, &state) {
            match effect {
                KeyEffect::Send(msg) => link.send(msg),
                KeyEffect::Page(action) => state.dispatch(action),
                KeyEffect::RememberLang(lang) => page::remember_lang(lang),
                KeyEffect::RememberJoinClosed(room, closed) => {
                    page::remember_join_closed(&room, closed)
                }
                KeyEffect::CloseRoomMenu => close_room_menu(),
            }
        }
    })
}

/// Whether the key goes to what takes typing (a text field, a list); a checkbox keeps only
/// Space, which ticks it, so that A, P and the rest still work after a click on one.
fn typing(event: &web_sys::KeyboardEvent) -> bool {
    event.target().is_some_and(|t| {
        let toggle = t
            .dyn_ref::<web_sys::HtmlInputElement>()
            .map(|i| matches!(i.type_().as_str(), "checkbox" | "radio"));
        match toggle {
            Some(true) => event.key() == " ",
            Some(false) => true,
            None => t.dyn_ref::<web_sys::HtmlSelectElement>().is_some(),
        }
    })
}

/// Closes the ☰ Room menu, a `<details>` the page does not keep in its state.
fn close_room_menu() {
    let open = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("details.room-menu[open]").ok().flatten());
    if let Some(menu) = open {
        let _ = menu.remove_attribute("open");
    }
}
