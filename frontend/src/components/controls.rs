//! The control bar: add a client, set the hold time, see the watch counter.

use std::rc::Rc;

use shared::{ClientMsg, RoomView};
use yew::prelude::*;

use crate::i18n::{Lang, Text};
use crate::ws::ServerLink;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub view: Rc<RoomView>,
    pub lang: Lang,
    pub link: ServerLink,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let lang = props.lang;
    let add = {
        let link = props.link.clone();
        Callback::from(move |_| link.send(ClientMsg::AddLockClient))
    };
    let set_hold = {
        let link = props.link.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(hold_ms) = input.value().trim().parse::<u64>() {
                link.send(ClientMsg::SetHoldMs { hold_ms });
            }
        })
    };
    html! {
        <section class="controls">
            <button class="primary" data-testid="add-lock-client" onclick={add} title="A">
                { format!("+ {}", Text::AddClient.get(lang)) }
            </button>
            <label class="hold">
                <span>{ Text::HoldMs.get(lang) }</span>
                <input type="number" min="0" max="600000" step="500" data-testid="hold-ms"
                    value={props.view.hold_ms.to_string()} onchange={set_hold} />
                <small>{ Text::HoldHint.get(lang) }</small>
            </label>
            <div class="counter" data-testid="watch-counter"
                data-notifications={props.view.watch_notifications.to_string()}>
                <strong>{ props.view.watch_notifications }</strong>
                <span>{ Text::Notifications.get(lang) }</span>
            </div>
        </section>
    }
}
