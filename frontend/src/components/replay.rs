//! Recordings in the page: download the room's history, store it on the server, open one
//! (file, drop, or `/?replay=<url>`), and play it: play and pause, speed, and a slider that
//! shows the room after any event, folded by the same `RoomView::apply` as a live room.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use shared::recording::{Recording, Replay, StoredRecording};
use yew::prelude::*;

use super::context::{use_page, Page};
use crate::i18n::Lang;
use crate::layout::Tenths;
use crate::page;
use crate::state::{Action, ReplayState, REPLAY_SPEEDS};
use crate::texts::{fill, RecordingText};

/// The longest a replay waits between two events, however long the room was quiet.
const LONGEST_WAIT_MS: u64 = 1500;

/// Reads a recording's text into a replay, or says why it cannot be played.
pub fn load(text: &str, lang: Lang) -> Result<Rc<Replay>, String> {
    Recording::parse(text)
        .map(|r| Rc::new(Replay::new(r)))
        .map_err(|e| fill(RecordingText::OpenFailed.get(lang), &[("why", &e)]))
}

#[derive(Properties, PartialEq)]
pub struct RecordingToolsProps {
    pub room: AttrValue,
    /// Whether this page may store the room's recording (who runs the room).
    pub may_store: bool,
    /// The teacher's key, which the store asks for in a classroom.
    #[prop_or_default]
    pub teacher_key: Option<AttrValue>,
    pub dispatch: Callback<Action>,
}

/// Download, store and open, beside a live room.
#[function_component(RecordingTools)]
pub fn recording_tools(props: &RecordingToolsProps) -> Html {
    let Page { lang, .. } = use_page();
    let stored = use_state(|| None::<Result<String, String>>);
    let store = {
        let stored = stored.clone();
        let mut path = format!("/recordings?room={}", props.room);
        if let Some(key) = &props.teacher_key {
            path.push_str(&format!("&key={key}"));
        }
        Callback::from(move |_| {
            let (stored, path) = (stored.clone(), path.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = page::post_json::<StoredRecording>(&path)
                    .await
                    .map(|s| s.replay);
                stored.set(Some(answer));
            });
        })
    };
    let open = {
        let (dispatch, lang) = (props.dispatch.clone(), lang);
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                open_file(file, lang, dispatch.clone());
            }
        })
    };
    html! {
        <div class="recording-tools">
            <a class="button" data-testid="download-recording" title={RecordingText::DownloadTitle.get(lang)}
                href={format!("/rooms/{}/recording", props.room)}
                download={format!("zkplay-{}.jsonl", props.room)}>{ RecordingText::Download.get(lang) }</a>
            if props.may_store {
                <button data-testid="store-recording" onclick={store}>{ RecordingText::Store.get(lang) }</button>
            }
            <label class="button open">
                { RecordingText::Open.get(lang) }
                <input type="file" data-testid="open-recording" accept=".jsonl,.json,application/x-ndjson"
                    onchange={open} />
            </label>
            <small>{ RecordingText::DropHint.get(lang) }</small>
            { match &*stored {
                Some(Ok(replay)) => html! {
                    <span class="stored">{ RecordingText::Stored.get(lang) }{ " " }
                        <a data-testid="stored-recording" href={replay.clone()}>{ replay.clone() }</a></span>
                },
                Some(Err(why)) => html! {
                    <span class="warn">{ fill(RecordingText::StoreFailed.get(lang), &[("why", why)]) }</span>
                },
                None => html! {},
            } }
        </div>
    }
}

/// Reads a picked or dropped file and plays it.
pub fn open_file(file: web_sys::File, lang: Lang, dispatch: Callback<Action>) {
    wasm_bindgen_futures::spawn_local(async move {
        match page::file_text(file)
            .await
            .and_then(|text| load(&text, lang))
        {
            Ok(replay) => dispatch.emit(Action::ReplayLoaded(replay)),
            Err(why) => dispatch.emit(Action::Server(shared::ServerMsg::Error {
                code: shared::ErrorCode::Malformed,
                message: why,
            })),
        }
    });
}

#[derive(Properties, PartialEq)]
pub struct ReplayBarProps {
    pub replay: ReplayState,
    pub dispatch: Callback<Action>,
}

/// The replay's controls: play or pause, speed, the slider, where it is.
#[function_component(ReplayBar)]
pub fn replay_bar(props: &ReplayBarProps) -> Html {
    let Page { lang, .. } = use_page();
    let state = &props.replay;
    let replay = &state.replay;
    let total = replay.len();
    // Playing: the next event comes after as long as it came after in the room (shortened by
    // the speed, and never longer than LONGEST_WAIT_MS).
    {
        let dispatch = props.dispatch.clone();
        let (at, playing, speed) = (state.at, state.playing, state.speed);
        let wait = (replay.at_ms(at + 1).saturating_sub(replay.at_ms(at)) / u64::from(speed))
            .min(LONGEST_WAIT_MS);
        use_effect_with((at, playing, speed), move |_| {
            let timer = (playing && at < total).then(|| {
                Timeout::new(wait as u32, move || dispatch.emit(Action::ReplayAt(at + 1)))
            });
            move || drop(timer)
        });
    }
    let toggle = {
        let (dispatch, playing) = (props.dispatch.clone(), state.playing);
        Callback::from(move |_| dispatch.emit(Action::ReplayPlaying(!playing)))
    };
    let speed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(speed) = select.value().parse() {
                dispatch.emit(Action::ReplaySpeed(speed));
            }
        })
    };
    let scrub = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = input.value().parse() {
                dispatch.emit(Action::ReplayAt(n));
            }
        })
    };
    let header = &replay.recording.header;
    let elapsed = replay.at_ms(state.at).saturating_sub(replay.at_ms(0)) as f64 / 1000.0;
    html! {
        <section class="replay" data-testid="replay" data-at={state.at.to_string()}
            data-total={total.to_string()} data-playing={state.playing.to_string()}>
            <p class="replay-title">{ fill(RecordingText::Replaying.get(lang), &[("room", &header.room), ("server", &header.server.zookeeper)]) }</p>
            <button class="primary" data-testid="replay-play" onclick={toggle} title="Space">
                { if state.playing { RecordingText::Pause.get(lang).to_string() } else { format!("▶ {}", RecordingText::Play.get(lang)) } }
            </button>
            <label>
                <span>{ RecordingText::Speed.get(lang) }</span>
                <select data-testid="replay-speed" onchange={speed}>
                    { for REPLAY_SPEEDS.iter().map(|s| html! {
                        <option value={s.to_string()} selected={*s == state.speed}>{ format!("×{s}") }</option>
                    }) }
                </select>
            </label>
            <input class="scrub" type="range" data-testid="replay-scrub" min="0" max={total.to_string()}
                value={state.at.to_string()} oninput={scrub} />
            <span class="replay-position" data-testid="replay-position">
                { fill(RecordingText::Position.get(lang), &[("n", &state.at), ("total", &total)]) }
                { " · " }
                { fill(RecordingText::Elapsed.get(lang), &[("s", &Tenths(elapsed))]) }
            </span>
            <a href="/" data-testid="replay-leave">{ RecordingText::BackLive.get(lang) }</a>
        </section>
    }
}
