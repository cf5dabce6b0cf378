//! The event log: newest first, with the seed's `gain lock:` / `finished:` lines.

use std::rc::Rc;

use shared::{RoomEvent, RoomView};
use yew::prelude::*;

use crate::i18n::{describe, Lang, Text};
use crate::layout::clock;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub view: Rc<RoomView>,
    pub lang: Lang,
}

fn kind_class(event: &RoomEvent) -> &'static str {
    match event {
        RoomEvent::LockGained { .. } => "gain",
        RoomEvent::LockReleased { .. } => "finished",
        RoomEvent::WatchFired { .. } => "fired",
        RoomEvent::WatchSet { .. } => "watch",
        RoomEvent::ClientError { .. } => "error",
        RoomEvent::ZnodeAdded { .. } | RoomEvent::ZnodeRemoved { .. } => "zk",
        RoomEvent::Violation { .. } => "violation",
        RoomEvent::ResourceWritten {
            outcome: shared::WriteOutcome::Rejected | shared::WriteOutcome::Corrupted,
            ..
        } => "violation",
        RoomEvent::ServerListUpdated { .. } => "registry",
        _ => "step",
    }
}

#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i64);
    html! {
        <section class="event-log" data-testid="event-log">
            <h2>{ Text::EventLog.get(props.lang) }</h2>
            <ol>
                { for props.view.log.iter().rev().map(|entry| html! {
                    <li key={entry.seq} class={kind_class(&entry.event)} data-seq={entry.seq.to_string()}>
                        <time>{ clock(entry.at_ms, offset) }</time>
                        <span>{ describe(&entry.event, &props.view.names, props.lang) }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
