//! The root: owns the state and the server link, lays out the page, handles shortcut keys.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use shared::{slower, ClientMsg, RoomView, TimeMode};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::code_panel::CodePanel;
use super::controls::Controls;
use super::ensemble::EnsemblePanel;
use super::event_log::EventLog;
use super::herd::{HerdCounter, ViolationBanner};
use super::lock_queue::LockQueue;
use super::registry::Registry;
use super::resource::ResourcePanel;
use super::time_control::PendingList;
use crate::i18n::{Lang, Text};
use crate::state::{Action, AppState, Connection};
use crate::ws::{self, ServerLink};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let link = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            ws::connect(
                ws::server_url(),
                ws::room_from_location(),
                Callback::from(move |action| dispatcher.dispatch(action)),
            )
        })
    };
    // The key listener is registered once and reads the latest state through this cell.
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    {
        let link = (*link).clone();
        use_effect_with((), move |_| {
            let listener = shortcut_keys(link, latest);
            move || drop(listener)
        });
    }
    use_effect(crate::timing::rendered);
    let lang = state.lang;
    let toggle_lang = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| {
            dispatcher.dispatch(Action::SetLang(match lang {
                Lang::En => Lang::Zh,
                Lang::Zh => Lang::En,
            }))
        })
    };
    let set_pause_ms = {
        let dispatcher = state.dispatcher();
        Callback::from(move |ms| dispatcher.dispatch(Action::SetPauseMs(ms)))
    };
    let dismiss = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(Action::DismissError))
    };
    // The same callback every render, so the code panel's lines compare equal and stay put.
    let select = {
        let dispatcher = state.dispatcher();
        use_callback((), move |client, _| {
            dispatcher.dispatch(Action::Select(client))
        })
    };
    // Slow motion stretches the page's animations as much as the moves.
    let stretch = state.view.as_ref().map_or(1, |v| v.time.stretch());
    let (status_class, status_text) = match state.connection {
        Connection::Connecting => ("status connecting", Text::Connecting.get(lang).to_string()),
        Connection::Live => ("status live", Text::Live.get(lang).to_string()),
        Connection::Lost { retry_ms } => (
            "status lost",
            format!(
                "{} ({:.1} s)",
                Text::Lost.get(lang),
                f64::from(retry_ms) / 1000.0
            ),
        ),
    };
    let room = state
        .view
        .as_ref()
        .map(|v| v.room.clone())
        .unwrap_or_default();
    html! {
        <div class="app" style={format!("--stretch: {stretch}")}>
            <header class="top">
                <div>
                    <h1>{ Text::Title.get(lang) }</h1>
                    <p class="subtitle">{ Text::Subtitle.get(lang) }</p>
                </div>
                <div class="top-right">
                    <span class="room" data-testid="room">{ format!("room: {room}") }</span>
                    <span class={status_class} data-testid="connection">{ status_text }</span>
                    <button class="lang" onclick={toggle_lang} data-testid="lang-toggle">
                        { if lang == Lang::En { "中文" } else { "English" } }
                    </button>
                </div>
            </header>
            if let Some((code, message)) = &state.last_error {
                <div class="error-banner" data-testid="server-error" data-code={format!("{code:?}")}>
                    <span>{ message.clone() }</span>
                    <button onclick={dismiss}>{ Text::Dismiss.get(lang) }</button>
                </div>
            }
            {
                match &state.view {
                    Some(view) => {
                        let view = view.clone();
                        html! {
                            <>
                                <Controls view={view.clone()} lang={lang} link={(*link).clone()}
                                    pause_ms={state.pause_ms} on_pause_ms={set_pause_ms} />
                                <ViolationBanner view={view.clone()} lang={lang} />
                                <main class="stage">
                                    <div class="main-column">
                                        <PendingList view={view.clone()} lang={lang} link={(*link).clone()}
                                            selected={state.selected} on_select={select.clone()} />
                                        <LockQueue view={view.clone()} lang={lang} link={(*link).clone()}
                                            pause_ms={state.pause_ms} selected={state.selected}
                                            on_select={select.clone()} />
                                        <HerdCounter view={view.clone()} lang={lang} />
                                        <ResourcePanel view={view.clone()} lang={lang} link={(*link).clone()} />
                                        <Registry view={view.clone()} lang={lang} link={(*link).clone()} />
                                    </div>
                                    <div class="side-column">
                                        <CodePanel view={view.clone()} lang={lang}
                                            selected={state.selected} on_select={select} />
                                        if let Some(ensemble) = &state.ensemble {
                                            <EnsemblePanel ensemble={ensemble.clone()} lang={lang} link={(*link).clone()} />
                                        }
                                        <EventLog view={view} lang={lang} />
                                    </div>
                                </main>
                            </>
                        }
                    }
                    None => html! { <p class="loading">{ Text::Connecting.get(lang) }</p> },
                }
            }
        </div>
    }
}

/// `A` adds a client, `R` releases the holder, `L` switches language, `Space` toggles live and
/// step, `N` or `→` is Next, `+` and `−` change the slow factor: a teacher at a projector should
/// not need the mouse.
fn shortcut_keys(
    link: ServerLink,
    latest: Rc<RefCell<UseReducerHandle<AppState>>>,
) -> EventListener {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    EventListener::new(&document, "keydown", move |event| {
        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        let typing = event.target().is_some_and(|t| {
            t.dyn_ref::<web_sys::HtmlInputElement>().is_some()
                || t.dyn_ref::<web_sys::HtmlSelectElement>().is_some()
        });
        if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let state = latest.borrow().clone();
        match event.key().as_str() {
            "a" | "A" => link.send(ClientMsg::AddLockClient),
            "r" | "R" => {
                if let Some(view) = &state.view {
                    for holder in RoomView::holders(view) {
                        link.send(ClientMsg::Release { client: holder.id });
                    }
                }
            }
            // A fresh snapshot from the server: the picture redrawn from ZooKeeper's truth.
            "s" | "S" => link.send(ClientMsg::Resync),
            "l" | "L" => state.dispatch(Action::SetLang(match state.lang {
                Lang::En => Lang::Zh,
                Lang::Zh => Lang::En,
            })),
            " " => {
                // Space would also scroll the page or press the focused button.
                event.prevent_default();
                if let Some(view) = &state.view {
                    let mode = match view.time.mode {
                        TimeMode::Step => TimeMode::Live,
                        TimeMode::Live | TimeMode::Slow => TimeMode::Step,
                    };
                    link.send(ClientMsg::SetTime {
                        mode,
                        slow_factor: view.time.slow_factor,
                    });
                }
            }
            "n" | "N" | "ArrowRight" => link.send(ClientMsg::StepNext { id: None }),
            "+" | "=" | "-" | "−" => {
                if let Some(view) = &state.view {
                    let up = matches!(event.key().as_str(), "+" | "=");
                    link.send(ClientMsg::SetTime {
                        mode: view.time.mode,
                        slow_factor: slower(view.time.slow_factor, up),
                    });
                }
            }
            _ => {}
        }
    })
}
