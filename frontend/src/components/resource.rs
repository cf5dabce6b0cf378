//! The protected resource: the writes lock holders made, with their fencing tokens, and what
//! the resource did with each; the fencing switch.

use std::rc::Rc;

use shared::{ClientMsg, RoomView, WriteOutcome};
use yew::prelude::*;

use crate::i18n::{client_name, Lang, Text};
use crate::ws::ServerLink;

#[derive(Properties, PartialEq)]
pub struct ResourceProps {
    pub view: Rc<RoomView>,
    pub lang: Lang,
    pub link: ServerLink,
}

fn outcome_text(outcome: WriteOutcome, lang: Lang) -> &'static str {
    match outcome {
        WriteOutcome::Accepted => Text::WriteAccepted.get(lang),
        WriteOutcome::Rejected => Text::WriteRejected.get(lang),
        WriteOutcome::Corrupted => Text::WriteCorrupted.get(lang),
    }
}

#[function_component(ResourcePanel)]
pub fn resource_panel(props: &ResourceProps) -> Html {
    let lang = props.lang;
    let runs = super::use_member().role.runs_the_room();
    let resource = &props.view.resource;
    let toggle = {
        let link = props.link.clone();
        let on = !resource.fencing;
        Callback::from(move |_| link.send(ClientMsg::SetFencing { on }))
    };
    let toggle_suspend = {
        let link = props.link.clone();
        let on = !props.view.suspend_on_disconnect;
        Callback::from(move |_| link.send(ClientMsg::SetSuspendOnDisconnect { on }))
    };
    html! {
        <section class="resource">
            <h2>{ Text::Resource.get(lang) }</h2>
            <label class="fencing">
                <input type="checkbox" data-testid="fencing-toggle" checked={resource.fencing}
                    onclick={toggle} disabled={!runs} />
                <span>{ Text::Fencing.get(lang) }</span>
            </label>
            <label class="suspend">
                <input type="checkbox" data-testid="suspend-on-disconnect"
                    checked={props.view.suspend_on_disconnect} onclick={toggle_suspend} disabled={!runs} />
                <span>{ Text::SuspendOnDisconnect.get(lang) }</span>
            </label>
            <ol data-testid="resource-log">
                { for resource.writes.iter().rev().map(|w| {
                    let outcome = w.outcome.as_str();
                    let class = classes!("write", outcome);
                    html! {
                        <li key={w.seq} class={class}
                            data-outcome={outcome} data-token={w.token.to_string()}
                            data-client={w.client.to_string()}>
                            { format!("{} · {} · token {} → {}", client_name(&props.view.names, w.client, lang), w.path, w.token,
                                outcome_text(w.outcome, lang)) }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
