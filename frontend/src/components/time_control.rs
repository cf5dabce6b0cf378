//! Time in the teacher's hands: the mode, the slow factor, Next, and the moves waiting.
//!
//! Everyone in the room shares the mode; the waiting moves come from the server's gate, so a
//! viewer who joins late sees the same list. A click on a waiting move lets that one go first.

use shared::{ClientId, ClientMsg, TimeMode, SLOW_FACTORS};
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use crate::code::pending_line;
use crate::i18n::{client_name, mode_name, move_name, Text};

/// The mode, the slow factor and Next, for the control bar.
#[function_component(TimeControl)]
pub fn time_control() -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();
    // Time is the teacher's: the others see it, and cannot change it.
    let runs = member.role.runs_the_room();
    let time = &view.time;
    let set_mode = {
        let (link, factor) = (link.clone(), time.slow_factor);
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(mode) = TimeMode::from_name(&select.value()) {
                link.send(ClientMsg::SetTime {
                    mode,
                    slow_factor: factor,
                });
            }
        })
    };
    let set_factor = {
        let (link, mode) = (link.clone(), time.mode);
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(slow_factor) = select.value().parse::<u32>() {
                link.send(ClientMsg::SetTime { mode, slow_factor });
            }
        })
    };
    let next = {
        let link = link.clone();
        Callback::from(move |_| link.send(ClientMsg::StepNext { id: None }))
    };
    let stepping = time.mode == TimeMode::Step;
    html! {
        <div class={classes!("time-control", time.mode.as_str())}>
            <label>
                <span>{ Text::Time.get(lang) }</span>
                <select data-testid="time-mode" onchange={set_mode} title="Space" disabled={!runs}>
                    { for TimeMode::ALL.iter().map(|m| html! {
                        <option value={m.as_str()} selected={*m == time.mode}>{ mode_name(*m, lang) }</option>
                    }) }
                </select>
            </label>
            <label>
                <span>{ Text::SlowFactor.get(lang) }</span>
                <select data-testid="slow-factor" onchange={set_factor} title="+ / −" disabled={!runs}>
                    { for SLOW_FACTORS.iter().map(|f| html! {
                        <option value={f.to_string()} selected={*f == time.slow_factor}>{ format!("×{f}") }</option>
                    }) }
                </select>
            </label>
            // Nothing waits (a hold runs, a watch is armed): Next has nothing to let go.
            <button class="next" data-testid="step-next" onclick={next}
                disabled={!stepping || !runs || time.pending.is_empty()}
                title="N / →">
                { Text::Next.get(lang) }
            </button>
            <small class="time-note" data-testid="time-note">{ Text::ZkNeverWaits.get(lang) }</small>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PendingProps {
    /// The selected client, whose move is marked.
    pub selected: Option<ClientId>,
    pub on_select: Callback<Option<ClientId>>,
}

/// The room's waiting moves, oldest first; each is a button that lets it go.
#[function_component(PendingList)]
pub fn pending_list(props: &PendingProps) -> Html {
    let Page { lang, link, member } = use_page();
    let view = use_room();

    let view = &view;
    if view.time.mode == TimeMode::Live && view.time.pending.is_empty() {
        return html! {};
    }
    let items = view.time.pending.iter().enumerate().map(|(i, pending)| {
        let go = {
            let (link, select, id, client) = (
                link.clone(),
                props.on_select.clone(),
                pending.id,
                pending.client,
            );
            Callback::from(move |_| {
                select.emit(Some(client));
                link.send(ClientMsg::StepNext { id: Some(id) });
            })
        };
        let line = pending_line(view, pending);
        let path = pending.path.clone().unwrap_or_default();
        html! {
            <li key={pending.id}>
                <button class={classes!("pending-step", pending.kind.as_str(),
                        (i == 0).then_some("oldest"),
                        (props.selected == Some(pending.client)).then_some("selected"))}
                    data-testid="pending-step" data-id={pending.id.to_string()}
                    data-client={pending.client.to_string()} data-move={pending.kind.as_str()}
                    data-line={line.map(|l| l.to_string())} onclick={go}
                    disabled={!member.role.runs_the_room()}>
                    <span class="who">{ client_name(&view.names, pending.client, lang) }</span>
                    <strong>{ move_name(pending.kind, lang) }</strong>
                    <code>{ path }</code>
                    if let Some(line) = line {
                        <span class="line">{ format!("L{line}") }</span>
                    }
                </button>
            </li>
        }
    });
    html! {
        <section class="pending" data-testid="pending-list">
            <h2>{ Text::Pending.get(lang) }</h2>
            if view.time.pending.is_empty() {
                <p class="empty">{ Text::NothingPending.get(lang) }</p>
            } else {
                <ol>{ for items }</ol>
            }
        </section>
    }
}
