//! The classroom bar: who watches, the students with clients, and by role the teacher's links
//! and QR code, a student's name, or a viewer's note; New classroom for who runs the room.

use shared::classroom::{NewClassroom, Role, RoomKind};
use shared::{ClientId, ClientMsg, ClientPhase};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use crate::classroom::{host_of, is_loopback, links};
use crate::i18n::{client_name, Text};
use crate::page;
use crate::texts::{fill, ClassroomText};

#[derive(Properties, PartialEq)]
pub struct ClassroomBarProps {
    /// The teacher's key, from the page's own URL.
    #[prop_or_default]
    pub teacher_key: Option<AttrValue>,
    /// Where students reach the server, if the server knows better than the page.
    #[prop_or_default]
    pub public_url: Option<AttrValue>,
    pub student_clients: usize,
    /// Opens the teacher's join screen.
    #[prop_or_default]
    pub on_join: Callback<()>,
}

/// Who watches, and what this page's role says: a student's name (or the prompt for it), a
/// viewer's note, for a teacher the button to the join screen. Compact: it sits in the header.
#[function_component(ClassroomBar)]
pub fn classroom_bar(props: &ClassroomBarProps) -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    let room = &view.classroom;
    let presence = html! {
        <div class="presence" data-testid="presence" data-watching={room.watching.to_string()}>
            <span class="watching">{ fill(ClassroomText::Watching.get(lang), &[("n", &room.watching)]) }</span>
            if room.kind == RoomKind::Classroom {
                <span class="students">
                    { for room.students_with_clients().map(|(s, n)| html! {
                        <span class={classes!("student", s.here.then_some("here"))}
                            data-testid="presence-student" data-student={s.id.to_string()}
                            title={ClassroomText::StudentsWithClients.get(lang)}>
                            { format!("{} · {n}", s.name) }
                        </span>
                    }) }
                </span>
            }
        </div>
    };
    let role_part = match member.role {
        Role::Teacher => {
            let show = props.on_join.reform(|_| ());
            html! {
                <button class="join-show" data-testid="join-show" onclick={show} title="J">
                    { ClassroomText::JoinShow.get(lang) }
                </button>
            }
        }
        Role::Student => match member.student.and_then(|id| room.student(id)) {
            Some(me) => html! {
                <p class="you" data-testid="student-you">
                    { fill(ClassroomText::YouAre.get(lang), &[("name", &me.name), ("n", &room.clients_of(me.id)), ("max", &props.student_clients)]) }
                </p>
            },
            None => {
                let link = link.clone();
                let onkeydown = Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" {
                        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                        link.send(ClientMsg::SetName {
                            name: input.value(),
                        });
                    }
                });
                html! {
                    <label class="name">
                        <span>{ ClassroomText::PickName.get(lang) }</span>
                        <input data-testid="student-name" type="text" maxlength="24"
                            autocomplete="nickname" {onkeydown} />
                        <small>{ ClassroomText::PickNameHint.get(lang) }</small>
                    </label>
                }
            }
        },
        Role::Viewer => {
            html! { <p class="you" data-testid="viewer-only">{ ClassroomText::ViewerOnly.get(lang) }</p> }
        }
        Role::Open => html! {},
    };
    html! {
        <section class="classroom" data-testid="classroom" data-role={member.role.as_str()}>
            { presence }
            { role_part }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct JoinScreenProps {
    pub room: AttrValue,
    /// The teacher's key, from the page's own URL.
    #[prop_or_default]
    pub teacher_key: Option<AttrValue>,
    /// Where students reach the server, if the server knows better than the page.
    #[prop_or_default]
    pub public_url: Option<AttrValue>,
    pub on_close: Callback<()>,
}

/// The teacher's join screen: the students' link and its QR code, large enough for the back
/// row; the view-only link; the teacher's own link folded away (its key is not for the
/// projector). `J` opens and closes it.
#[function_component(JoinScreen)]
pub fn join_screen(props: &JoinScreenProps) -> Html {
    let Page { lang, .. } = use_page();
    let origin = props
        .public_url
        .as_ref()
        .map_or_else(page::origin, |u| u.to_string());
    let links = links(&origin, &props.room, props.teacher_key.as_deref());
    let qr = format!("/classrooms/{}/qr.svg", props.room);
    let close = props.on_close.reform(|_| ());
    html! {
        <section class="join-screen" data-testid="join-screen" role="dialog"
            aria-label={ClassroomText::JoinTitle.get(lang)}>
            <h2>{ ClassroomText::JoinTitle.get(lang) }</h2>
            <div class="links">
                <label>{ ClassroomText::StudentLink.get(lang) }
                    <a data-testid="student-link" href={links.student.clone()}>{ links.student.clone() }</a></label>
                <img class="qr" data-testid="room-qr" src={qr} alt={ClassroomText::QrAlt.get(lang)} />
                <label>{ ClassroomText::ViewerLink.get(lang) }
                    <a data-testid="viewer-link" href={links.viewer.clone()}>{ links.viewer.clone() }</a></label>
                // Folded: the key in it is not for the projector.
                if let Some(teacher) = links.teacher {
                    <details class="teacher-link">
                        <summary>{ ClassroomText::TeacherLink.get(lang) }</summary>
                        <a data-testid="teacher-link" href={teacher.clone()}>{ teacher }</a>
                    </details>
                }
                if is_loopback(&origin) {
                    <p class="warn" data-testid="loopback-warning">
                        { fill(ClassroomText::Loopback.get(lang), &[("host", &host_of(&origin))]) }
                    </p>
                }
            </div>
            <button class="join-close" data-testid="join-close" onclick={close}>{ ClassroomText::JoinClose.get(lang) }
                <span class="key-hint">{ " " }{ fill(crate::texts::Text::OrKey.get(lang), &[("key", &"J")]) }</span>
            </button>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct RoomMenuProps {
    /// The room's recording tools (download, store, open), beside a live room.
    pub children: Html,
}

/// What is used less, one click away: a new classroom, emptying the room (after a
/// confirmation), the recordings.
#[function_component(RoomMenu)]
pub fn room_menu(props: &RoomMenuProps) -> Html {
    let Page { lang, link, member } = use_page();
    let runs = member.role.runs_the_room();
    let failed = use_state(|| None::<String>);
    let confirming = use_state(|| false);
    let new_room = {
        let failed = failed.clone();
        Callback::from(move |_| {
            let failed = failed.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match page::post_json::<NewClassroom>("/classrooms").await {
                    Ok(made) => page::go_to(&format!(
                        "/?room={}&key={}&lang={}",
                        made.room,
                        made.key,
                        lang.code()
                    )),
                    Err(why) => failed.set(Some(why)),
                }
            });
        })
    };
    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(true))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_| confirming.set(false))
    };
    let reset = {
        let (link, confirming) = (link.clone(), confirming.clone());
        Callback::from(move |_| {
            confirming.set(false);
            link.send(ClientMsg::ResetRoom)
        })
    };
    let menu = use_node_ref();
    use_closed_by_a_press_outside(menu.clone());
    html! {
        <details class="room-menu" data-testid="room-menu" ref={menu}>
            <summary>{ format!("☰ {}", ClassroomText::RoomMenu.get(lang)) }</summary>
            <div class="room-menu-body">
                if runs {
                    <button class="new-room" data-testid="new-room" title={ClassroomText::NewRoomTitle.get(lang)}
                        onclick={new_room}>{ ClassroomText::NewRoom.get(lang) }</button>
                    if *confirming {
                        <div class="confirm" data-testid="reset-room-ask" role="alertdialog">
                            <p>{ ClassroomText::ResetRoomConfirm.get(lang) }</p>
                            <button class="danger" data-testid="reset-room-confirm" onclick={reset}>
                                { ClassroomText::ResetRoomYes.get(lang) }</button>
                            <button data-testid="reset-room-cancel" onclick={cancel}>{ ClassroomText::Cancel.get(lang) }</button>
                        </div>
                    } else {
                        <button class="reset-room" data-testid="reset-room" title={ClassroomText::ResetRoomTitle.get(lang)}
                            onclick={ask}>{ ClassroomText::ResetRoom.get(lang) }</button>
                    }
                }
                if let Some(why) = &*failed {
                    <p class="warn">{ fill(ClassroomText::NewRoomFailed.get(lang), &[("why", why)]) }</p>
                }
                { props.children.clone() }
            </div>
        </details>
    }
}

/// A menu: a press anywhere else closes it (Esc does too, with the page's other keys). On the
/// press, not the click: a click inside re-renders the menu (Empty the room's confirmation)
/// and its target may be gone from the page by the time it bubbles here.
#[hook]
fn use_closed_by_a_press_outside(menu: NodeRef) {
    use_effect_with((), move |_| {
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                gloo_events::EventListener::new(&document, "pointerdown", move |event| {
                    let Some(details) = menu.cast::<web_sys::Element>() else {
                        return;
                    };
                    let inside = event
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                        .is_none_or(|node| !node.is_connected() || details.contains(Some(&node)));
                    if details.has_attribute("open") && !inside {
                        let _ = details.remove_attribute("open");
                    }
                })
            });
        move || drop(listener)
    });
}

#[derive(Properties, PartialEq)]
pub struct MyClientsProps {
    pub pause_ms: u64,
}

/// A student's own clients first, each with its controls, large enough to tap on a phone.
#[function_component(MyClients)]
pub fn my_clients(props: &MyClientsProps) -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    let Some(me) = member.student else {
        return html! {};
    };
    let view = &view;
    let mine: Vec<ClientId> = crate::selection::clients_in_order(view)
        .into_iter()
        .filter(|c| view.classroom.owner_of(*c) == Some(me))
        .collect();
    if mine.is_empty() {
        return html! {};
    }
    let button = |label: Text, testid: &'static str, msg: ClientMsg| {
        let link = link.clone();
        html! {
            <button class={testid} data-testid={testid} onclick={Callback::from(move |_| link.send(msg.clone()))}>
                { label.get(lang) }
            </button>
        }
    };
    let rows = mine.iter().map(|&client| {
        let lock = view.client(client);
        let path = match (lock, view.registry.server(client)) {
            (Some(c), _) => c.path.clone(),
            (None, Some(s)) => s.path.clone(),
            (None, None) => None,
        };
        let holding = lock.is_some_and(|c| c.phase == ClientPhase::Holding);
        let ms = props.pause_ms;
        html! {
            <li class="my-client" data-testid="my-client" data-client={client.to_string()}
                data-path={path.clone()}>
                <span class="what">{ client_name(&view.names, client, lang) }</span>
                <span class="path">{ path.unwrap_or_default() }</span>
                <span class="buttons">
                    if holding {
                        { button(Text::Release, "release", ClientMsg::Release { client }) }
                    }
                    { button(Text::Crash, "crash", ClientMsg::Crash { client }) }
                    { button(Text::Kill, "kill", ClientMsg::Kill { client }) }
                    if lock.is_some() {
                        { button(Text::Pause, "pause", ClientMsg::Pause { client, ms }) }
                        { button(Text::Partition, "partition", ClientMsg::Partition { client, ms }) }
                    }
                </span>
            </li>
        }
    });
    html! {
        <section class="my-clients" data-testid="my-clients">
            <ul>{ for rows }</ul>
        </section>
    }
}
