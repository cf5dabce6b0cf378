//! Where the page starts: its room (a lesson link makes one of its own), its language (the
//! URL, the learner's last choice, the browser), and the lessons' files it fetches.

use serde::de::DeserializeOwned;
use shared::lesson::{Lang, LessonId};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::address::{
    initial_lang, lesson_from_query, lesson_room, query_param, query_with_lesson,
    query_without_key, room_from_query, Join,
};
use crate::lesson::{answers_from_text, answers_to_text, Answers};

/// Where the learner's language choice is remembered.
const LANG_KEY: &str = "zkplay.lang";

fn search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Where a student's token for a room is kept: they come back as themselves after a reload.
fn token_key(room: &str) -> String {
    format!("zkplay.student.{room}")
}

pub fn student_token(room: &str) -> Option<String> {
    storage()?.get_item(&token_key(room)).ok()?
}

pub fn remember_token(room: &str, token: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&token_key(room), token);
    }
}

/// Who the page joins as, from the URL. A teacher's key leaves the address bar at once (a
/// projected screen shows it) and stays in this tab's session storage, so a reload keeps it.
pub fn join(room: String) -> Join {
    let query = search();
    let mut join = Join::from_query(&query, room);
    let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    let stored = format!("zkplay.key.{}", join.room);
    match (&join.key, &session) {
        (Some(key), Some(session)) => {
            let _ = session.set_item(&stored, key);
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let url = query_without_key(&query);
                let _ =
                    history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
            }
        }
        (None, Some(session)) => join.key = session.get_item(&stored).ok().flatten(),
        _ => {}
    }
    join
}

/// Keeps `lesson=N` in the address bar equal to the lesson the room runs.
pub fn show_lesson_in_url(lesson: Option<LessonId>) {
    let query = search();
    let wanted = query_with_lesson(&query, lesson);
    if wanted == query {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    // An empty query still needs the path, or the URL keeps its old one.
    let url = match wanted.is_empty() {
        true => window.location().pathname().unwrap_or_else(|_| "/".into()),
        false => wanted,
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn answers_key(room: &str) -> String {
    format!("zkplay.answers.{room}")
}

/// The predictions this tab made in `room` before a reload.
pub fn stored_answers(room: &str) -> Answers {
    session_storage()
        .and_then(|s| s.get_item(&answers_key(room)).ok()?)
        .map(|text| answers_from_text(&text))
        .unwrap_or_default()
}

pub fn remember_answers(room: &str, answers: &Answers) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(&answers_key(room), &answers_to_text(answers));
    }
}

fn join_key(room: &str) -> String {
    format!("zkplay.join-closed.{room}")
}

/// Whether the teacher closed the join screen of `room` in this tab.
pub fn join_closed(room: &str) -> bool {
    session_storage()
        .and_then(|s| s.get_item(&join_key(room)).ok()?)
        .is_some()
}

pub fn remember_join_closed(room: &str, closed: bool) {
    if let Some(storage) = session_storage() {
        let _ = match closed {
            true => storage.set_item(&join_key(room), "1"),
            false => storage.remove_item(&join_key(room)),
        };
    }
}

/// The page's own origin, `http://host:port`.
pub fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Opens another address in this tab (a new classroom's teacher link).
pub fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

/// The room to join and the lesson the URL asks for. `?lesson=N` without a room makes a
/// fresh room, written into the URL so that a reload or a shared link finds it again.
pub fn room_and_lesson() -> (String, Option<LessonId>) {
    let query = search();
    let lesson = lesson_from_query(&query);
    if let (Some(lesson), None) = (lesson, query_param(&query, "room")) {
        let random = (js_sys::Math::random() * 2f64.powi(52)) as u64;
        let room = lesson_room(lesson, random);
        let mut url = format!("?room={room}&lesson={lesson}");
        if let Some(lang) = query_param(&query, "lang") {
            url.push_str(&format!("&lang={lang}"));
        }
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
        return (room, Some(lesson));
    }
    (room_from_query(&query), lesson)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The recipe draft a page starts with: a shared link's (the address bar keeps it, so a reload
/// opens the same), else the one this browser kept.
pub fn start_recipe() -> crate::recipe::RecipeDraft {
    let linked = crate::recipe::recipe_from_query(&search());
    let stored = storage().and_then(|s| s.get_item(crate::recipe::STORED_KEY).ok()?);
    crate::recipe::RecipeDraft::start(linked, stored)
}

/// Keeps the draft for the next visit.
pub fn remember_recipe(source: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(crate::recipe::STORED_KEY, source);
    }
}

/// Puts a link that opens the panel on `source` in the clipboard and the address bar.
pub fn copy_recipe_link(source: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let query = crate::recipe::query_with_recipe(&search(), source);
    let path = window.location().pathname().unwrap_or_default();
    if let Ok(history) = window.history() {
        let url = format!("{path}{query}");
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
    let href = window.location().href().unwrap_or_default();
    let _ = window.navigator().clipboard().write_text(&href);
}

/// The page's language at start.
pub fn start_lang() -> Lang {
    let stored = storage().and_then(|s| s.get_item(LANG_KEY).ok()?);
    let browser = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default();
    initial_lang(&search(), stored.as_deref(), &browser)
}

/// Remembers the learner's choice for the next visit.
pub fn remember_lang(lang: Lang) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(LANG_KEY, lang.code());
    }
}

/// `GET path`, parsed as JSON.
pub async fn fetch_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    request_json(path, "GET").await
}

/// `POST path` with no body, its answer parsed as JSON.
pub async fn post_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    request_json(path, "POST").await
}

async fn request_json<T: DeserializeOwned>(path: &str, method: &str) -> Result<T, String> {
    let text = request_text(path, method).await?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

/// `method path`, its answer as text; an HTTP error is the server's own words.
pub async fn request_text(path: &str, method: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|e| format!("{path}: {e:?}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    let text = JsFuture::from(response.text().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{path}: {e:?}"))?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        return Err(format!("{path}: HTTP {}: {text}", response.status()));
    }
    Ok(text)
}

/// The recording `?replay=` names (a path on this server, or a full URL).
pub fn replay_url() -> Option<String> {
    query_param(&search(), "replay").map(|url| {
        js_sys::decode_uri_component(url)
            .ok()
            .and_then(|u| u.as_string())
            .unwrap_or_else(|| url.to_string())
    })
}

/// A file the user picked or dropped, as text.
pub async fn file_text(file: web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .map_err(|e| format!("{}: {e:?}", file.name()))?
        .as_string()
        .ok_or_else(|| format!("{}: not text", file.name()))
}

/// The `/ws` URL of the server that served this page, naming the room: in a fleet, whichever
/// server the page reached forwards it to the one that runs the room.
pub fn server_url(room: &str) -> String {
    let location = web_sys::window().expect("a window").location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    let host = location.host().unwrap_or_else(|_| "127.0.0.1:8080".into());
    format!("{scheme}://{host}/ws?room={room}")
}
