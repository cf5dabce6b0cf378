//! The protected resource: the writes lock holders made, with their fencing tokens, and what
//! the resource did with each; the fencing switch.

use shared::{ClientMsg, WriteOutcome};
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use crate::i18n::{client_name, Lang, Text};

fn outcome_text(outcome: WriteOutcome, lang: Lang) -> &'static str {
    match outcome {
        WriteOutcome::Accepted => Text::WriteAccepted.get(lang),
        WriteOutcome::Rejected => Text::WriteRejected.get(lang),
        WriteOutcome::Corrupted => Text::WriteCorrupted.get(lang),
    }
}

#[function_component(ResourcePanel)]
pub fn resource_panel() -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    let runs = member.role.runs_the_room();
    let resource = &view.resource;
    let toggle = {
        let link = link.clone();
        let on = !resource.fencing;
        Callback::from(move |_| link.send(ClientMsg::SetFencing { on }))
    };
    let toggle_suspend = {
        let link = link.clone();
        let on = !view.suspend_on_disconnect;
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
                    checked={view.suspend_on_disconnect} onclick={toggle_suspend} disabled={!runs} />
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
                            { format!("{} · {} · token {} → {}", client_name(&view.names, w.client, lang), w.path, w.token,
                                outcome_text(w.outcome, lang)) }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
