//! The root: owns the state and the server link, gives every component the page and the room
//! ([`PageProvider`]), and lays out the page: the header, what overlays it, the notices, and the
//! stage. Its effects are hooks of their own ([`super::hooks`]).

use std::rc::Rc;

use shared::classroom::Role;
use shared::lesson::{Focus, LessonId};
use shared::{ClientId, RoomView};
use yew::prelude::*;

use super::classroom::{ClassroomBar, JoinScreen, MyClients, RoomMenu};
use super::code_panel::CodePanel;
use super::context::{use_page, Page, PageProvider};
use super::controls::Controls;
use super::ensemble::EnsemblePanel;
use super::event_log::EventLog;
use super::herd::{HerdCounter, ViolationBanner};
use super::hooks::{
    use_lesson_files, use_lesson_in_url, use_remembered_answers, use_replay_loader,
    use_shortcut_keys, use_teacher_join_screen, use_timeline_history, use_url_lesson,
};
use super::lessons::{Lessons, OnAnswer};
use super::lock_queue::LockQueue;
use super::recipe::RecipePanel;
use super::registry::Registry;
use super::replay::{self, RecordingTools, ReplayBar};
use super::resource::ResourcePanel;
use super::time_control::PendingList;
use super::timeline::Timeline;
use crate::address::Join;
use crate::i18n::{Lang, Text};
use crate::keys::KEY_LIST;
use crate::layout::Tenths;
use crate::lesson::{focus, focus_name};
use crate::page;
use crate::state::{Action, AppState, Connection, History};
use crate::texts::{fill, ClassroomText, KeyText, PresenterText, RecipeText, TimelineText};
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
            recipe: page::start_recipe(),
            ..AppState::default()
        })
    };
    use_remembered_answers(start.0.clone(), state.answers.clone());
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
        let (dispatch, join, live) = (dispatch.clone(), (*join).clone(), replay_url.is_none());
        use_memo((), move |_| match live {
            true => ws::connect(page::server_url(&join.room), join, dispatch),
            false => ServerLink::detached(),
        })
    };
    use_replay_loader((*replay_url).clone(), state.lang, dispatch.clone());
    use_room_effects(&state, start.0.clone(), start.1, &link, &dispatch);
    // The bench's (and DevTools') marks for a snapshot's way to the screen.
    use_effect(crate::timing::rendered);
    let (on_answer, select) = use_stage_callbacks(&dispatch);
    let page = Page {
        lang: state.lang,
        link: (*link).clone(),
        member: state.member,
    };
    let parts = Parts {
        state: &state,
        join: &join,
        dispatch: &dispatch,
        select: &select,
    };
    // Slow motion stretches the page's animations as much as the moves.
    let stretch = state.view.as_ref().map_or(1, |v| v.time.stretch());
    let focus = focus(
        state.view.as_ref().and_then(|v| v.lesson.as_ref()),
        state.course.as_deref(),
    );
    html! {
        <PageProvider page={page} room={state.view.clone()}>
            <div class={classes!("app", state.presenter.then_some("presenter"))}
                style={format!("--stretch: {stretch}")} data-presenter={state.presenter.to_string()}
                data-role={state.member.role.as_str()} data-focus={focus_name(focus)}
                ondragover={Callback::from(|e: DragEvent| e.prevent_default())}
                ondrop={on_drop(state.lang, &dispatch)}>
                { parts.header() }
                { parts.overlays() }
                { parts.notices() }
                { match &state.view {
                    Some(view) => parts.stage(view, focus, on_answer),
                    None => parts.waiting(),
                } }
            </div>
        </PageProvider>
    }
}

/// The callbacks the stage hands down (a prediction, a selection): the same every render, so
/// the parts that take them compare equal and stay put.
#[hook]
fn use_stage_callbacks(dispatch: &Callback<Action>) -> (OnAnswer, Callback<Option<ClientId>>) {
    let on_answer = {
        let dispatch = dispatch.clone();
        use_callback((), move |(lesson, attempt, step, option), _| {
            dispatch.emit(Action::Answer {
                lesson,
                attempt,
                step,
                option,
            })
        })
    };
    let select = {
        let dispatch = dispatch.clone();
        use_callback((), move |client, _| dispatch.emit(Action::Select(client)))
    };
    (on_answer, select)
}

/// What follows the room and the page's role: the lesson files, the URL's lesson started, the
/// teacher's join screen, the address bar, the keys.
#[hook]
fn use_room_effects(
    state: &UseReducerHandle<AppState>,
    room: String,
    wanted: Option<LessonId>,
    link: &ServerLink,
    dispatch: &Callback<Action>,
) {
    use_lesson_files(state.lang, dispatch.clone());
    let running = state
        .view
        .as_ref()
        .map(|v| v.lesson.as_ref().map(|p| p.lesson));
    let runs_the_room = state.member.role.runs_the_room();
    use_url_lesson(running, wanted, link.clone(), runs_the_room);
    use_teacher_join_screen(state.member.role, room, dispatch.clone());
    use_lesson_in_url(running.filter(|_| state.replay.is_none()));
    let history = match &state.history {
        History::Wanted { since, .. } if state.timeline_shown() && state.replay.is_none() => {
            state.view.as_ref().map(|v| (v.room.clone(), *since))
        }
        _ => None,
    };
    use_timeline_history(history, dispatch.clone());
    use_shortcut_keys(link.clone(), state.clone());
}

/// A recording dropped anywhere on the page plays.
fn on_drop(lang: Lang, dispatch: &Callback<Action>) -> Callback<DragEvent> {
    let dispatch = dispatch.clone();
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
}

/// What the page's parts are drawn from.
struct Parts<'a> {
    state: &'a AppState,
    join: &'a Join,
    dispatch: &'a Callback<Action>,
    select: &'a Callback<Option<ClientId>>,
}

impl Parts<'_> {
    fn emit(&self, action: Action) -> Callback<MouseEvent> {
        self.dispatch.reform(move |_| action.clone())
    }

    /// The title, the room and the connection, the classroom's bar and menu, the presenter
    /// and language toggles.
    fn header(&self) -> Html {
        let (state, lang) = (self.state, self.state.lang);
        let room = state
            .view
            .as_ref()
            .map(|v| v.room.clone())
            .unwrap_or_default();
        let (status_class, status_text) = status(state);
        let student_clients = state.server.as_ref().map_or(0, |s| s.student_clients);
        let teacher_key = self.join.key.clone().map(AttrValue::from);
        let toggle_lang = {
            let (dispatch, other) = (self.dispatch.clone(), lang.other());
            Callback::from(move |_| {
                page::remember_lang(other);
                dispatch.emit(Action::SetLang(other))
            })
        };
        html! {
            <header class="top">
                <h1>{ Text::Title.get(lang) }<small class="subtitle">{ Text::Subtitle.get(lang) }</small></h1>
                <div class="top-right">
                    <span class="room" data-testid="room" title={format!("room: {room}")}>{ room.clone() }</span>
                    <span class={status_class} data-testid="connection" title={Text::ConnectionTitle.get(lang)}>{ status_text }</span>
                    // In a fleet, the server that runs the room, when it is not the one the
                    // page came from (a load balancer's address, another server's).
                    if let Some(url) = state.server.as_ref().and_then(|s| s.runs_on.clone())
                        .filter(|url| state.replay.is_none() && page::origin() != *url) {
                        <a class="room-owner" data-testid="room-owner" data-url={url.clone()} href="/fleet"
                            title={Text::RoomOwnerTitle.get(lang)}>
                            { fill(Text::RoomOwner.get(lang), &[("server", &url.trim_start_matches("http://"))]) }
                        </a>
                    }
                    if state.view.is_some() && state.replay.is_none() {
                        <ClassroomBar student_clients={student_clients} on_join={self.set_join(true)} />
                        <RoomMenu>
                            <RecordingTools room={room.clone()} may_store={state.member.role.runs_the_room()}
                                teacher_key={teacher_key} dispatch={self.dispatch.clone()} />
                        </RoomMenu>
                    }
                    if state.view.is_some() {
                        <button class="timeline-toggle" data-testid="st-show"
                            title={TimelineText::ToggleTitle.get(lang)}
                            aria-pressed={state.timeline_shown().to_string()}
                            onclick={self.emit(Action::Timeline(!state.timeline_shown()))}>
                            { TimelineText::Toggle.get(lang) }
                        </button>
                    }
                    if state.view.is_some() && state.replay.is_none() {
                        <button class="recipe-toggle" data-testid="recipe-show"
                            title={RecipeText::ToggleTitle.get(lang)}
                            aria-pressed={state.recipe_shown().to_string()}
                            onclick={self.emit(Action::RecipePanel(!state.recipe_shown()))}>
                            { RecipeText::Toggle.get(lang) }
                        </button>
                    }
                    <button class="presenter-toggle" data-testid="presenter-toggle"
                        onclick={self.emit(Action::Presenter(!state.presenter))}
                        title={PresenterText::ToggleTitle.get(lang)} aria-pressed={state.presenter.to_string()}>
                        { PresenterText::Toggle.get(lang) }
                    </button>
                    <button class="lang" onclick={toggle_lang} data-testid="lang-toggle">
                        { if lang == Lang::En { "中文" } else { "English" } }
                    </button>
                </div>
            </header>
        }
    }

    /// Opens or closes the join screen, remembered for the room.
    fn set_join(&self, open: bool) -> Callback<()> {
        let room = self.state.view.as_ref().map(|v| v.room.clone());
        let dispatch = self.dispatch.clone();
        Callback::from(move |()| {
            if let Some(room) = &room {
                page::remember_join_closed(room, !open);
            }
            dispatch.emit(Action::JoinScreen(open))
        })
    }

    /// The key list and the classroom's join screen, over the page.
    fn overlays(&self) -> Html {
        let state = self.state;
        let room = state
            .view
            .as_ref()
            .map(|v| v.room.clone())
            .unwrap_or_default();
        let joining = state.join_open && state.member.role == Role::Teacher && !room.is_empty();
        let public_url = state.server.as_ref().and_then(|s| s.public_url.clone());
        html! {
            <>
                if state.key_list {
                    <KeyList on_close={self.emit(Action::KeyList(false))} />
                }
                if joining {
                    <JoinScreen room={AttrValue::from(room)}
                        teacher_key={self.join.key.clone().map(AttrValue::from)}
                        public_url={public_url.map(AttrValue::from)}
                        on_close={self.set_join(false)} />
                }
            </>
        }
    }

    /// What the page tells its user now: the selected client (presenter), a student's clients
    /// gone, a key that needs a selection, where the teacher's lesson is, the server's error.
    fn notices(&self) -> Html {
        let (state, lang) = (self.state, self.state.lang);
        let lesson_now = lesson_now(state);
        html! {
            <>
                if state.presenter {
                    <p class="selected-client" data-testid="selected-client">{ selected_text(state) }</p>
                }
                if state.clients_reset {
                    <div class="notice" data-testid="clients-reset">
                        <span>{ ClassroomText::ClientsReset.get(lang) }</span>
                        <button onclick={self.emit(Action::DismissError)}>{ Text::Dismiss.get(lang) }</button>
                    </div>
                }
                if state.needs_selection {
                    <p class="needs-selection" data-testid="needs-selection" role="status">
                        { PresenterText::NeedsSelection.get(lang) }
                    </p>
                }
                if let Some(now) = lesson_now {
                    <p class="lesson-now" data-testid="lesson-now">{ now }</p>
                }
                if let Some((code, message)) = &state.last_error {
                    <div class="error-banner" data-testid="server-error" data-code={format!("{code:?}")}>
                        <span>
                            <strong>{ crate::i18n::error_text(*code).get(lang) }</strong>
                            { " " }<span class="error-detail">{ message.clone() }</span>
                        </span>
                        <button onclick={self.emit(Action::DismissError)}>{ Text::Dismiss.get(lang) }</button>
                    </div>
                }
            </>
        }
    }

    /// Before the first snapshot: connecting, or why the server refused.
    fn waiting(&self) -> Html {
        let (state, lang) = (self.state, self.state.lang);
        match &state.connection {
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
        }
    }

    /// The room: the replay's bar, a student's clients, the controls, and the stage (the lesson's
    /// own part first, right under the queue; the lessons, the code and the log beside it).
    fn stage(&self, view: &Rc<RoomView>, focus: Focus, on_answer: OnAnswer) -> Html {
        let state = self.state;
        let ensemble = state.ensemble.as_ref().map(|ensemble| {
            html! {
                <EnsemblePanel ensemble={ensemble.clone()} stops_shared={state.stops_members} />
            }
        });
        let herd = html! { <HerdCounter /> };
        let resource = html! { <ResourcePanel /> };
        let registry = html! { <Registry /> };
        let queue = self.queue();
        let (first, rest) = match focus {
            Focus::Registry => (
                html! { <>{ registry }{ queue }</> },
                html! { <>{ herd }{ resource }</> },
            ),
            Focus::Resource => (
                html! { <>{ queue }{ resource }</> },
                html! { <>{ herd }{ registry }</> },
            ),
            Focus::Ensemble => (
                html! { <>{ queue }{ for ensemble.clone() }</> },
                html! { <>{ herd }{ resource }{ registry }</> },
            ),
            // The timeline right under the queue: the lessons about the lock draw on it.
            Focus::Locks | Focus::Herd => (
                html! { <>{ queue }{ self.timeline() }{ herd }</> },
                html! { <>{ resource }{ registry }</> },
            ),
        };
        let timeline_after = !matches!(focus, Focus::Locks | Focus::Herd);
        let set_pause_ms = self.dispatch.reform(Action::SetPauseMs);
        let lesson_line = view
            .lesson
            .as_ref()
            .zip(state.course.as_deref())
            .and_then(|(progress, course)| crate::lesson::current_line(progress, course));
        let classroom = view.classroom.kind == shared::classroom::RoomKind::Classroom;
        html! {
            <>
                if let Some(replay) = &state.replay {
                    <ReplayBar replay={replay.clone()} dispatch={self.dispatch.clone()} />
                }
                // A student's own clients come first, before the room's controls.
                <MyClients pause_ms={state.pause_ms} />
                <Controls pause_ms={state.pause_ms} on_pause_ms={set_pause_ms} />
                <main class="stage">
                    <div class="main-column">
                        <ViolationBanner />
                        <PendingList selected={state.selected} on_select={self.select.clone()} />
                        { first }
                        if timeline_after {
                            { self.timeline() }
                        }
                        { rest }
                    </div>
                    <div class="side-column">
                        <Lessons progress={view.lesson.clone()} names={view.names.clone()}
                            course={state.course.clone()} texts={state.texts.clone()}
                            answers={state.answers.clone()} on_answer={on_answer}
                            classroom={classroom} />
                        <CodePanel selected={state.selected} on_select={self.select.clone()}
                            lesson_line={state.traced.or(lesson_line)} />
                        if focus != Focus::Ensemble {
                            { for ensemble }
                        }
                        <EventLog />
                    </div>
                </main>
            </>
        }
    }
}

impl Parts<'_> {
    /// The lock queue, and the learner's own recipe beside the queue its clients join: above
    /// it in a lesson about the recipe, right under it otherwise.
    fn queue(&self) -> Html {
        let state = self.state;
        let recipe = (state.recipe_shown() && state.replay.is_none()).then(|| {
            html! { <RecipePanel draft={state.recipe.clone()} dispatch={self.dispatch.clone()} /> }
        });
        let above = state.recipe_lesson();
        html! {
            <>
                if above { { for recipe.clone() } }
                <LockQueue presenter={state.presenter} pause_ms={state.pause_ms}
                    selected={state.selected} on_select={self.select.clone()} />
                if !above { { for recipe } }
            </>
        }
    }

    /// The timeline, when it is shown.
    fn timeline(&self) -> Html {
        if !self.state.timeline_shown() {
            return html! {};
        }
        let hide = self.dispatch.reform(|_| Action::Timeline(false));
        let trace = self.dispatch.reform(Action::Trace);
        let reading = matches!(self.state.history, History::Wanted { .. });
        html! { <Timeline on_hide={hide} on_trace={trace} reading_history={reading} /> }
    }
}

/// The header's connection badge: its class and its words.
fn status(state: &AppState) -> (&'static str, String) {
    let lang = state.lang;
    match &state.connection {
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
    }
}

/// The presenter's line: which client the keys act on.
fn selected_text(state: &AppState) -> String {
    let lang = state.lang;
    match state.selected {
        Some(client) => {
            let who = state
                .view
                .as_deref()
                .map(|v| crate::i18n::client_name(&v.names, client, lang))
                .unwrap_or_default();
            fill(PresenterText::Selected.get(lang), &[("client", &who)])
        }
        None => PresenterText::NoneSelected.get(lang).to_string(),
    }
}

/// Where the teacher's lesson is, on a page that does not run the room.
fn lesson_now(state: &AppState) -> Option<String> {
    if state.member.role.runs_the_room() {
        return None;
    }
    let progress = state.view.as_ref()?.lesson.as_ref()?;
    crate::lesson::lesson_now(
        progress,
        state.course.as_ref()?,
        state.texts.as_ref()?,
        ClassroomText::LessonNow.get(state.lang),
    )
}

#[derive(Properties, PartialEq)]
struct KeyListProps {
    on_close: Callback<MouseEvent>,
}

/// The keys and what they do (`?`).
#[function_component(KeyList)]
fn key_list(props: &KeyListProps) -> Html {
    let lang = use_page().lang;
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
