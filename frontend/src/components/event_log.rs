//! The event log: newest first, with the seed's `gain lock:` / `finished:` lines.

use shared::{LogEntry, RoomEvent, RoomView, SessionStatus};
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use crate::i18n::{describe, Text};
use crate::layout::clock;

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

/// The log's lines, newest first, without the ones that say again what the line before them
/// about the same client said: a new session's first Connected after its `client_connected`.
pub fn shown(view: &RoomView) -> Vec<&LogEntry> {
    let mut last_of_client: std::collections::HashMap<_, &RoomEvent> = Default::default();
    let mut lines = Vec::with_capacity(view.log.len());
    for entry in view.log.iter() {
        let repeat = matches!(
            (
                &entry.event,
                entry
                    .event
                    .client()
                    .and_then(|c| last_of_client.get(&c).copied())
            ),
            (
                RoomEvent::SessionChanged {
                    state: SessionStatus::Connected,
                    ..
                },
                Some(RoomEvent::ClientConnected { .. })
            )
        );
        if let Some(client) = entry.event.client() {
            last_of_client.insert(client, &entry.event);
        }
        if !repeat {
            lines.push(entry);
        }
    }
    lines.reverse();
    lines
}

#[function_component(EventLog)]
pub fn event_log() -> Html {
    let Page { lang, .. } = use_page();
    let view = use_room();
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i64);
    html! {
        <section class="event-log" data-testid="event-log">
            <h2>{ Text::EventLog.get(lang) }</h2>
            <ol>
                { for shown(&view).into_iter().map(|entry| html! {
                    <li key={entry.seq} class={kind_class(&entry.event)} data-seq={entry.seq.to_string()}>
                        <time>{ clock(entry.at_ms, offset) }</time>
                        <span>{ describe(&entry.event, &view.names, lang) }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_sessions_first_connected_is_not_told_twice() {
        let mut view = RoomView::new("main", 0);
        let connected = |client, state| RoomEvent::SessionChanged {
            client,
            state,
            member: Some("127.0.0.1:4180".into()),
        };
        let events = [
            RoomEvent::ClientConnected {
                client: 2,
                session: shared::SessionId(0x10),
                timeout_ms: 5000,
            },
            RoomEvent::HoldChanged { hold_ms: 1 },
            connected(2, SessionStatus::Connected),
            // A reconnection after a disconnection is news.
            connected(2, SessionStatus::Disconnected),
            connected(2, SessionStatus::Connected),
        ];
        for (seq, event) in events.iter().enumerate() {
            view.apply(seq as u64 + 1, 0, event);
        }
        let seqs: Vec<u64> = shown(&view).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [5, 4, 2, 1]);
    }
}
