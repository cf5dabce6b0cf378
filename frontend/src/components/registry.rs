//! The live server list: `/sgroup` as ZooKeeper has it, the AppServers that registered there,
//! and each AppClient's `server list updated: [...]` lines.

use shared::classroom::Need;
use shared::{ClientId, ClientMsg, RoomView, Znode};
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use super::countdown::Countdown;
use crate::i18n::{client_name, Lang, Text};
use crate::ws::ServerLink;

fn crash_button(link: &ServerLink, client: u32, lang: Lang) -> Html {
    let link = link.clone();
    let crash = Callback::from(move |_| link.send(ClientMsg::Crash { client }));
    html! {
        <button class="crash" data-testid="crash" onclick={crash}>{ Text::Crash.get(lang) }</button>
    }
}

fn kill_button(link: &ServerLink, client: u32, lang: Lang) -> Html {
    let link = link.clone();
    let kill = Callback::from(move |_| link.send(ClientMsg::Kill { client }));
    html! {
        <button class="kill" data-testid="kill" onclick={kill}>{ Text::Kill.get(lang) }</button>
    }
}

#[function_component(Registry)]
pub fn registry() -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    let view = &view;
    let may_act = |client| member.may_act_on(view.classroom.owner_of(client));
    let name = use_node_ref();
    let add_server = {
        let (link, name) = (link.clone(), name.clone());
        Callback::from(move |_| {
            let input = name.cast::<web_sys::HtmlInputElement>();
            let typed = input
                .as_ref()
                .map(|i| i.value().trim().to_string())
                .unwrap_or_default();
            if let Some(input) = input {
                input.set_value("");
            }
            link.send(ClientMsg::AddServer {
                name: (!typed.is_empty()).then_some(typed),
            });
        })
    };
    let add_app_client = {
        let link = link.clone();
        Callback::from(move |_| link.send(ClientMsg::AddAppClient))
    };
    html! {
        <section class="registry">
            <h2>{ Text::Registry.get(lang) }</h2>
            <div class="registry-controls">
                if member.may(Need::AddOwn, |_| None).is_ok() {
                    <input ref={name} type="text" maxlength="32" data-testid="server-name"
                        placeholder={Text::ServerName.get(lang)} />
                    <button class="primary" data-testid="add-server" onclick={add_server}>
                        { format!("+ {}", Text::AddServer.get(lang)) }
                    </button>
                }
                if member.role.runs_the_room() {
                    <button data-testid="add-app-client" onclick={add_app_client}>
                        { format!("+ {}", Text::AddAppClient.get(lang)) }
                    </button>
                }
            </div>
            if view.registry.nodes.is_empty() {
                <p class="empty">{ Text::NoServers.get(lang) }</p>
            }
            <ul class="servers">
                { for view.registry.nodes.iter().map(|node| server_node(view, node, &may_act, &link, lang)) }
            </ul>
            <div class="app-clients">
                { for view.registry.app_clients.iter().map(|a| html! {
                    <div key={a.id} class="app-client" data-testid="app-client" data-client={a.id.to_string()}>
                        <div class="app-client-head">
                            <strong>{ client_name(&view.names, a.id, lang) }</strong>
                            if may_act(a.id) {
                                { crash_button(&link, a.id, lang) }
                            }
                        </div>
                        <ol data-testid="app-client-log">
                            { for a.lines.iter().map(|line| html! { <li>{ line.clone() }</li> }) }
                        </ol>
                    </div>
                }) }
            </div>
        </section>
    }
}

/// One child of `/sgroup`: its name and data, whose it is, its session, and what the page may
/// do to its server.
fn server_node(
    view: &RoomView,
    node: &Znode,
    may_act: &dyn Fn(ClientId) -> bool,
    link: &ServerLink,
    lang: Lang,
) -> Html {
    let owner = view.registry.server_owner(node);
    let departed = view.sessions.departed_owner(node);
    let state = match owner {
        Some(_) => "registered",
        None if departed.is_some() => "crashed",
        None if node.read.is_none() => "new",
        None => "external",
    };
    let acts = owner.filter(|s| may_act(s.id)).map(|s| s.id);
    html! {
        <li key={node.path.clone()} class={classes!("server-node", state)}
            data-testid="server-node" data-path={node.path.clone()} data-state={state}>
            <span class="name">{ node.path.rsplit('/').next().unwrap_or_default() }</span>
            { for owner.and_then(|s| view.classroom.owner_name(s.id)).map(|name| html! {
                <span class="owner" data-testid="owner">{ name.to_string() }</span>
            }) }
            <span class="data">{ node.data().to_string() }</span>
            { for owner.and_then(|s| view.sessions.liveness(s.id)).map(|l| {
                let state = l.state.as_str();
                let member = l.member.clone().unwrap_or_default();
                let port = format!("● {}", member.rsplit(':').next().unwrap_or_default());
                html! {
                    <span class={classes!("liveness", state)} data-testid="session-state"
                        data-state={state} data-member={member}>
                        { port }
                    </span>
                }
            }) }
            { for acts.map(|id| crash_button(link, id, lang)) }
            { for acts.map(|id| kill_button(link, id, lang)) }
            { for departed.and_then(|d| d.deadline_ms()).map(|deadline_ms| html! {
                <Countdown deadline_ms={deadline_ms} />
            }) }
        </li>
    }
}
