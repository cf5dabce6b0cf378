//! The root: owns the state and the server link, lays out the page, handles shortcut keys.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use shared::classroom::Member;
use shared::lesson::Focus;
use shared::{slower, ClientId, ClientMsg, RoomView, ServerMsg, TimeMode};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::classroom::{ClassroomBar, JoinScreen, MyClients, RoomMenu};
use super::code_panel::CodePanel;
use super::controls::Controls;
use super::ensemble::EnsemblePanel;
use super::event_log::EventLog;
use super::herd::{HerdCounter, ViolationBanner};
use super::lessons::Lessons;
use super::lock_queue::LockQueue;
use super::registry::Registry;
use super::replay::{self, RecordingTools, ReplayBar};
use super::resource::ResourcePanel;
use super::time_control::PendingList;
use crate::i18n::{Lang, Text};
use crate::keys::{select_next, KeyAction, KEY_LIST};
use crate::layout::Tenths;
use crate::page;
use crate::state::{Action, AppState, Connection};
use crate::texts::{fill, ClassroomText, KeyText, PresenterText};
use crate::ws::{self, ServerLink};

#[function_component(App)]
pub fn app() -> Html {
    // The room (a lesson link makes one of its own) and the lesson the URL asks for.
    let start = use_memo((), |_| page::room_and_lesson());
    let state = {
        let room = start.0.clone();
        use_reducer(move || AppState {
            lang: page::start_lang(),
            // A reload mid-lesson keeps the learner's predictions.
            answers: page::stored_answers(&room),
            ..AppState::default()
        })
    };
    {
        let room = start.0.clone();
        use_effect_with(state.answers.clone(), move |answers| {
            page::remember_answers(&room, answers)
        });
    }
    let join = {
        let room = start.0.clone();
        use_memo((), move |_| page::join(room))
    };
    // `?replay=<url>`: the page plays that recording and talks to no room.
    let replay_url = use_memo((), |_| page::replay_url());
    let dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |action, _| dispatcher.dispatch(action))
    };
    let link = {
        let dispatch = dispatch.clone();
        let join = (*join).clone();
        let live = replay_url.is_none();
        use_memo((), move |_| match live {
            true => ws::connect(ws::server_url(), join, dispatch),
            false => ServerLink::detached(),
        })
    };
    {
        let (dispatch, lang) = (dispatch.clone(), state.lang);
        use_effect_with(replay_url.clone(), move |url| {
            if let Some(url) = (**url).clone() {
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
    // A recording dropped anywhere on the page plays.
    let on_drag_over = Callback::from(|e: DragEvent| e.prevent_default());
    let on_drop = {
        let (dispatch, lang) = (dispatch.clone(), state.lang);
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let file = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                replay::open_file(file, lang, dispatch.clone());
            }
        })
    };
    // The lessons' outline once, their texts for each language the page shows.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match page::fetch_json("/lessons/course.json").await {
                    Ok(course) => dispatcher.dispatch(Action::CourseLoaded(Rc::new(course))),
                    Err(e) => web_sys::console::warn_1(&format!("zkplay: {e}").into()),
                }
            });
        });
    }
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.lang, move |lang| {
            let lang = *lang;
            wasm_bindgen_futures::spawn_local(async move {
                let path = format!("/lessons/{}.json", lang.code());
                match page::fetch_json(&path).await {
                    Ok(texts) => dispatcher.dispatch(Action::TextsLoaded(lang, Rc::new(texts))),
                    Err(e) => web_sys::console::warn_1(&format!("zkplay: {e}").into()),
                }
            });
        });
    }
    // `?lesson=N`: once the room is known, start the lesson unless the room already runs it
    // (a reload, a second viewer).
    {
        let asked = use_mut_ref(|| false);
        let running = state
            .view
            .as_ref()
            .map(|v| v.lesson.as_ref().map(|p| p.lesson));
        let (link, wanted, member) = ((*link).clone(), start.1, state.member);
        use_effect_with(running, move |running| {
            let already = *asked.borrow();
            if let (Some(running), Some(wanted), false) = (running, wanted, already) {
                *asked.borrow_mut() = true;
                // A student's page follows the teacher's lesson; it starts none.
                if *running != Some(wanted) && member.role.runs_the_room() {
                    link.send(ClientMsg::StartLesson { lesson: wanted });
                }
            }
        });
    }
    // A teacher meets the join screen first (a new classroom's students need its link), until
    // they close it.
    {
        let (dispatcher, room) = (state.dispatcher(), start.0.clone());
        use_effect_with(state.member.role, move |role| {
            if *role == shared::classroom::Role::Teacher && !page::join_closed(&room) {
                dispatcher.dispatch(Action::JoinScreen(true));
            }
        });
    }
    // The address bar names the lesson the room runs, and none once it is left.
    {
        let running = state
            .view
            .as_ref()
            .filter(|_| state.replay.is_none())
            .map(|v| v.lesson.as_ref().map(|p| p.lesson));
        use_effect_with(running, move |running| {
            if let Some(lesson) = running {
                page::show_lesson_in_url(*lesson);
            }
        });
    }
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
            let other = other_lang(lang);
            page::remember_lang(other);
            dispatcher.dispatch(Action::SetLang(other))
        })
    };
    let on_answer = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(lesson, attempt, step, option), _| {
            dispatcher.dispatch(Action::Answer {
                lesson,
                attempt,
                step,
                option,
            })
        })
    };
    let lesson_line = lesson_line(&state);
    let set_pause_ms = {
        let dispatcher = state.dispatcher();
        Callback::from(move |ms| dispatcher.dispatch(Action::SetPauseMs(ms)))
    };
    let toggle_presenter = {
        let (dispatcher, on) = (state.dispatcher(), state.presenter);
        Callback::from(move |_| dispatcher.dispatch(Action::Presenter(!on)))
    };
    let close_keys = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(Action::KeyList(false)))
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
    let (status_class, status_text) = match &state.connection {
        _ if state.replay.is_some() => ("status replay", "replay".to_string()),
        Connection::Connecting => ("status connecting", Text::Connecting.get(lang).to_string()),
        Connection::Live => ("status live", Text::Live.get(lang).to_string()),
        Connection::Lost { retry_ms, why } => (
            "status lost",
            format!(
                "{} ({} s){}",
                Text::Lost.get(lang),
                Tenths(f64::from(*retry_ms) / 1000.0),
                why.as_ref()
                    .map(|why| format!(" · {why}"))
                    .unwrap_or_default()
            ),
        ),
    };
    let room = state
        .view
        .as_ref()
        .map(|v| v.room.clone())
        .unwrap_or_default();
    let set_join = {
        let (dispatcher, room) = (state.dispatcher(), room.clone());
        Callback::from(move |open: bool| {
            page::remember_join_closed(&room, !open);
            dispatcher.dispatch(Action::JoinScreen(open))
        })
    };
    let focus = lesson_focus(&state);
    html! {
        <div class={classes!("app", state.presenter.then_some("presenter"))}
            style={format!("--stretch: {stretch}")} data-presenter={state.presenter.to_string()}
            data-role={state.member.role.as_str()} data-focus={focus_name(focus)}
            ondragover={on_drag_over} ondrop={on_drop}>
            <header class="top">
                <h1>{ Text::Title.get(lang) }<small class="subtitle">{ Text::Subtitle.get(lang) }</small></h1>
                <div class="top-right">
                    <span class="room" data-testid="room" title={format!("room: {room}")}>{ room.clone() }</span>
                    <span class={status_class} data-testid="connection" title={Text::ConnectionTitle.get(lang)}>{ status_text }</span>
                    if let (Some(view), None) = (&state.view, &state.replay) {
                        <ContextProvider<Member> context={state.member}>
                            <ClassroomBar view={view.clone()} lang={lang} link={(*link).clone()}
                                member={state.member} student_clients={state.server.as_ref().map_or(0, |s| s.student_clients)}
                                on_join={set_join.reform(|_| true)} />
                            <RoomMenu lang={lang} link={(*link).clone()}>
                                <RecordingTools room={view.room.clone()} lang={lang}
                                    may_store={state.member.role.runs_the_room()}
                                    teacher_key={join.key.clone().map(AttrValue::from)}
                                    dispatch={dispatch.clone()} />
                            </RoomMenu>
                        </ContextProvider<Member>>
                    }
                    <button class="presenter-toggle" data-testid="presenter-toggle" onclick={toggle_presenter}
                        title={PresenterText::ToggleTitle.get(lang)} aria-pressed={state.presenter.to_string()}>
                        { PresenterText::Toggle.get(lang) }
                    </button>
                    <button class="lang" onclick={toggle_lang} data-testid="lang-toggle">
                        { if lang == Lang::En { "中文" } else { "English" } }
                    </button>
                </div>
            </header>
            if state.key_list {
                <KeyList lang={lang} on_close={close_keys} />
            }
            if state.join_open && state.member.role == shared::classroom::Role::Teacher && !room.is_empty() {
                <JoinScreen room={AttrValue::from(room.clone())} lang={lang}
                    teacher_key={join.key.clone().map(AttrValue::from)}
                    public_url={state.server.as_ref().and_then(|s| s.public_url.clone()).map(AttrValue::from)}
                    on_close={set_join.reform(|_| false)} />
            }
            if state.presenter {
                <p class="selected-client" data-testid="selected-client">
                    { match state.selected {
                        Some(client) => {
                            let who = state.view.as_deref()
                                .map(|v| crate::i18n::client_name(&v.names, client, lang))
                                .unwrap_or_default();
                            fill(PresenterText::Selected.get(lang), &[("client", &who)])
                        }
                        None => PresenterText::NoneSelected.get(lang).to_string(),
                    } }
                </p>
            }
            if state.clients_reset {
                <div class="notice" data-testid="clients-reset">
                    <span>{ ClassroomText::ClientsReset.get(lang) }</span>
                    <button onclick={dismiss.clone()}>{ Text::Dismiss.get(lang) }</button>
                </div>
            }
            if state.needs_selection {
                <p class="needs-selection" data-testid="needs-selection" role="status">
                    { PresenterText::NeedsSelection.get(lang) }
                </p>
            }
            if let Some(now) = lesson_now(&state) {
                <p class="lesson-now" data-testid="lesson-now">{ now }</p>
            }
            if let Some((code, message)) = &state.last_error {
                <div class="error-banner" data-testid="server-error" data-code={format!("{code:?}")}>
                    <span>
                        <strong>{ crate::i18n::error_text(*code).get(lang) }</strong>
                        { " " }<span class="error-detail">{ message.clone() }</span>
                    </span>
                    <button onclick={dismiss}>{ Text::Dismiss.get(lang) }</button>
                </div>
            }
            {
                match &state.view {
                    Some(view) => {
                        let view = view.clone();
                        let code = html! {
                            <CodePanel view={view.clone()} lang={lang}
                                selected={state.selected} on_select={select.clone()}
                                lesson_line={lesson_line} />
                        };
                        let ensemble = state.ensemble.as_ref().map(|ensemble| html! {
                            <EnsemblePanel ensemble={ensemble.clone()} lang={lang} link={(*link).clone()}
                                stops_shared={state.stops_members} />
                        });
                        // The lesson's own part of the stage comes first, right under the queue.
                        let herd = html! { <HerdCounter view={view.clone()} lang={lang} /> };
                        let resource = html! { <ResourcePanel view={view.clone()} lang={lang} link={(*link).clone()} /> };
                        let registry = html! { <Registry view={view.clone()} lang={lang} link={(*link).clone()} /> };
                        let queue = html! {
                            <LockQueue view={view.clone()} lang={lang} link={(*link).clone()}
                                presenter={state.presenter}
                                pause_ms={state.pause_ms} selected={state.selected}
                                on_select={select.clone()} />
                        };
                        let (first, rest) = match focus {
                            Focus::Registry => (html! { <>{ registry }{ queue }</> }, html! { <>{ herd }{ resource }</> }),
                            Focus::Resource => (html! { <>{ queue }{ resource }</> }, html! { <>{ herd }{ registry }</> }),
                            Focus::Ensemble => (html! { <>{ queue }{ for ensemble.clone() }</> }, html! { <>{ herd }{ resource }{ registry }</> }),
                            Focus::Locks | Focus::Herd => (html! { <>{ queue }{ herd }</> }, html! { <>{ resource }{ registry }</> }),
                        };
                        html! {
                            <ContextProvider<Member> context={state.member}>
                                if let Some(replay) = &state.replay {
                                    <ReplayBar replay={replay.clone()} lang={lang} dispatch={dispatch.clone()} />
                                }
                                // A student's own clients come first, before the room's controls.
                                <MyClients view={view.clone()} lang={lang} link={(*link).clone()}
                                    member={state.member} pause_ms={state.pause_ms} />
                                <Controls view={view.clone()} lang={lang} link={(*link).clone()}
                                    pause_ms={state.pause_ms} on_pause_ms={set_pause_ms} />
                                <main class="stage">
                                    <div class="main-column">
                                        <ViolationBanner view={view.clone()} lang={lang} />
                                        <PendingList view={view.clone()} lang={lang} link={(*link).clone()}
                                            selected={state.selected} on_select={select.clone()} />
                                        { first }
                                        { rest }
                                    </div>
                                    <div class="side-column">
                                        <Lessons progress={view.lesson.clone()} names={view.names.clone()} link={(*link).clone()}
                                            course={state.course.clone()} texts={state.texts.clone()}
                                            answers={state.answers.clone()} on_answer={on_answer}
                                            classroom={view.classroom.kind == shared::classroom::RoomKind::Classroom} />
                                        { code }
                                        if focus != Focus::Ensemble {
                                            { for ensemble }
                                        }
                                        <EventLog view={view} lang={lang} />
                                    </div>
                                </main>
                            </ContextProvider<Member>>
                        }
                    }
                    None => match &state.connection {
                        // Refused before a room was joined: say why, not "connecting…".
                        Connection::Lost { why: Some(why), .. } => html! {
                            <p class="refused" data-testid="refused">
                                if let Some((code, _)) = &state.last_error {
                                    <strong>{ crate::i18n::error_text(*code).get(lang) }</strong>{ " " }
                                }
                                <span class="error-detail">{ why.clone() }</span>
                            </p>
                        },
                        _ => html! { <p class="loading">{ Text::Connecting.get(lang) }</p> },
                    },
                }
            }
        </div>
    }
}

/// On a page that does not run the room (a student's, a viewer's), where the teacher's lesson
/// is: `Lesson 2 · step 3 of 5: The fix: look again`, at the top of the page, since the
/// Lessons panel is far below the queue on a phone.
fn lesson_now(state: &AppState) -> Option<String> {
    if state.member.role.runs_the_room() {
        return None;
    }
    let progress = state.view.as_ref()?.lesson.as_ref()?;
    let outline = state.course.as_ref()?.lesson(progress.lesson)?;
    let texts = state.texts.as_ref()?;
    let step = outline.steps.get(progress.step)?;
    let title = texts
        .lesson(progress.lesson)
        .and_then(|l| l.steps.get(&step.key))
        .map_or(step.key.as_str(), |t| t.title.as_str());
    Some(fill(
        ClassroomText::LessonNow.get(state.lang),
        &[
            ("lesson", &progress.lesson),
            ("step", &(progress.step + 1)),
            ("steps", &progress.steps.len()),
            ("title", &title),
        ],
    ))
}

/// The part of the stage the room's lesson is about (the lock queue when none runs).
fn lesson_focus(state: &AppState) -> Focus {
    let lesson = state.view.as_ref().and_then(|v| v.lesson.as_ref());
    lesson
        .and_then(|p| state.course.as_ref()?.lesson(p.lesson))
        .map_or(Focus::Locks, |l| l.focus)
}

/// `data-focus` of the page.
fn focus_name(focus: Focus) -> &'static str {
    match focus {
        Focus::Locks => "locks",
        Focus::Herd => "herd",
        Focus::Registry => "registry",
        Focus::Resource => "resource",
        Focus::Ensemble => "ensemble",
    }
}

fn other_lang(lang: Lang) -> Lang {
    match lang {
        Lang::En => Lang::Zh,
        Lang::Zh => Lang::En,
    }
}

/// Esc closes the ☰ Room menu, a `<details>` the page does not keep in its state.
fn close_room_menu() {
    let open = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("details.room-menu[open]").ok().flatten());
    if let Some(menu) = open {
        let _ = menu.remove_attribute("open");
    }
}

/// Whether the room's current lesson step may be done now (the D key).
fn do_ready(state: &AppState) -> bool {
    let (Some(view), Some(course), Some(texts)) = (&state.view, &state.course, &state.texts) else {
        return false;
    };
    let Some(progress) = &view.lesson else {
        return false;
    };
    let Some(outline) = course.lesson(progress.lesson) else {
        return false;
    };
    crate::lesson::steps_shown(outline, texts, progress, &view.names, &state.answers)
        .get(progress.step)
        .is_some_and(|step| step.do_ready)
}

/// The tutorial's line the room's current lesson step illustrates.
fn lesson_line(state: &AppState) -> Option<(shared::SeedListing, u32)> {
    let progress = state.view.as_ref()?.lesson.as_ref()?;
    let step = state
        .course
        .as_ref()?
        .lesson(progress.lesson)?
        .steps
        .get(progress.step)?;
    Some((step.seed.listing, step.seed.listing.line(step.seed.point)?))
}

/// `A` adds a client, `R` releases the holder, `L` switches language, `Space` toggles live and
/// step, `N` or `→` is Next, `+` and `−` change the slow factor, `D` is the lesson's Do it: a
/// teacher at a projector should not need the mouse.
fn shortcut_keys(
    link: ServerLink,
    latest: Rc<RefCell<UseReducerHandle<AppState>>>,
) -> EventListener {
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
        // Keys go to what takes typing (a text field, a list); a checkbox keeps only Space,
        // which ticks it, so that A, P and the rest still work after a click on one.
        let typing = event.target().is_some_and(|t| {
            let toggle = t
                .dyn_ref::<web_sys::HtmlInputElement>()
                .map(|i| matches!(i.type_().as_str(), "checkbox" | "radio"));
            match toggle {
                Some(true) => event.key() == " ",
                Some(false) => true,
                None => t.dyn_ref::<web_sys::HtmlSelectElement>().is_some(),
            }
        });
        if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let state = latest.borrow().clone();
        // What the page's role may not do, its keys do not send either.
        let send = |msg: ClientMsg| {
            if state.may(&msg) {
                link.send(msg);
            }
        };
        let Some(action) = KeyAction::of(&event.key()) else {
            return;
        };
        // A key the page uses does nothing else: Space and the arrows would scroll the page,
        // Space press the focused button, `/` or `'` open the browser's quick find.
        event.prevent_default();
        let selected = state.selected;
        let pause_ms = state.pause_ms;
        let on_selected = |msg: &dyn Fn(ClientId) -> ClientMsg| match selected {
            Some(client) => send(msg(client)),
            None => state.dispatch(Action::NeedsSelection),
        };
        match action {
            KeyAction::Lang => {
                let other = other_lang(state.lang);
                page::remember_lang(other);
                state.dispatch(Action::SetLang(other));
            }
            KeyAction::Presenter => state.dispatch(Action::Presenter(!state.presenter)),
            KeyAction::Help => state.dispatch(Action::KeyList(!state.key_list)),
            KeyAction::Close => {
                state.dispatch(Action::KeyList(false));
                state.dispatch(Action::JoinScreen(false));
                close_room_menu();
            }
            KeyAction::JoinScreen => {
                let open = !state.join_open;
                if let Some(view) = &state.view {
                    page::remember_join_closed(&view.room, !open);
                }
                state.dispatch(Action::JoinScreen(open));
            }
            KeyAction::SelectUp | KeyAction::SelectDown => {
                if let Some(view) = &state.view {
                    let down = action == KeyAction::SelectDown;
                    let registry = lesson_focus(&state) == Focus::Registry;
                    let next = select_next(view, selected, down, registry, state.left_at);
                    state.dispatch(Action::Select(next));
                }
            }
            // A recording plays in the page: Space plays or pauses, Next is its next event.
            KeyAction::StepOrLive if state.replay.is_some() => {
                let playing = state.replay.as_ref().is_some_and(|r| r.playing);
                state.dispatch(Action::ReplayPlaying(!playing));
            }
            KeyAction::Next if state.replay.is_some() => {
                let at = state.replay.as_ref().map_or(0, |r| r.at);
                state.dispatch(Action::ReplayAt(at + 1));
            }
            KeyAction::Add => send(ClientMsg::AddLockClient),
            KeyAction::Crash => on_selected(&|client| ClientMsg::Crash { client }),
            KeyAction::Kill => on_selected(&|client| ClientMsg::Kill { client }),
            KeyAction::Freeze => on_selected(&|client| ClientMsg::Pause {
                client,
                ms: pause_ms,
            }),
            KeyAction::Release => {
                if let Some(view) = &state.view {
                    for holder in RoomView::holders(view) {
                        send(ClientMsg::Release { client: holder.id });
                    }
                }
            }
            // A fresh snapshot from the server: the picture redrawn from ZooKeeper's truth.
            KeyAction::Resync => send(ClientMsg::Resync),
            // As the button: only once the step's prediction is made.
            KeyAction::DoIt if do_ready(&state) => send(ClientMsg::LessonDo),
            KeyAction::DoIt => {}
            KeyAction::StepOrLive => {
                if let Some(view) = &state.view {
                    let mode = match view.time.mode {
                        TimeMode::Step => TimeMode::Live,
                        TimeMode::Live | TimeMode::Slow => TimeMode::Step,
                    };
                    send(ClientMsg::SetTime {
                        mode,
                        slow_factor: view.time.slow_factor,
                    });
                }
            }
            // As the button: only when a move waits.
            KeyAction::Next => {
                if state
                    .view
                    .as_ref()
                    .is_some_and(|v| !v.time.pending.is_empty())
                {
                    send(ClientMsg::StepNext { id: None });
                }
            }
            KeyAction::Faster | KeyAction::Slower => {
                if let Some(view) = &state.view {
                    send(ClientMsg::SetTime {
                        mode: view.time.mode,
                        slow_factor: slower(view.time.slow_factor, action == KeyAction::Faster),
                    });
                }
            }
        }
    })
}

#[derive(Properties, PartialEq)]
struct KeyListProps {
    lang: Lang,
    on_close: Callback<MouseEvent>,
}

/// The keys and what they do (`?`).
#[function_component(KeyList)]
fn key_list(props: &KeyListProps) -> Html {
    let lang = props.lang;
    html! {
        <div class="key-list" data-testid="key-list" role="dialog" aria-label={KeyText::Title.get(lang)}>
            <h2>{ KeyText::Title.get(lang) }</h2>
            <table>
                { for KEY_LIST.iter().map(|(key, action)| html! {
                    <tr><th><kbd>{ *key }</kbd></th><td>{ action.words(lang) }</td></tr>
                }) }
            </table>
            <button onclick={props.on_close.clone()}>{ KeyText::Close.get(lang) }</button>
        </div>
    }
}
