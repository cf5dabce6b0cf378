//! A room's recent history, for recordings: the room as it was before the oldest event kept,
//! and the frames of the events since, as they went out.

use std::collections::VecDeque;

use shared::{RoomView, ServerMsg};

use super::handle::{Frame, RecordingParts};

pub(super) struct History {
    start: RoomView,
    frames: VecDeque<Frame>,
    limit: usize,
}

impl History {
    /// A history that starts at `start` and keeps at most `limit` events.
    pub(super) fn new(start: RoomView, limit: usize) -> Self {
        History {
            start,
            frames: VecDeque::new(),
            limit,
        }
    }

    /// Keeps an event's frame; the oldest folds into where the history starts.
    pub(super) fn push(&mut self, frame: Frame) {
        if self.frames.len() >= self.limit.max(1) {
            if let Some(oldest) = self.frames.pop_front() {
                // The frame is the room's own serialisation of an event: it reads back.
                if let Ok(ServerMsg::Event { seq, at_ms, event }) = serde_json::from_str(&oldest) {
                    self.start.apply(seq, at_ms, &event);
                }
            }
        }
        self.frames.push_back(frame);
    }

    pub(super) fn recording(&self) -> RecordingParts {
        RecordingParts {
            start: self.start.clone(),
            frames: self.frames.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::handle::encode;
    use shared::RoomEvent;

    #[test]
    fn a_full_history_folds_its_oldest_events_into_where_it_starts() {
        let mut room = RoomView::new("r", 0);
        let mut history = History::new(room.clone(), 3);
        for seq in 1..=5 {
            let event = RoomEvent::HoldChanged { hold_ms: seq * 10 };
            room.apply(seq, 100 + seq, &event);
            history.push(encode(&ServerMsg::Event {
                seq,
                at_ms: 100 + seq,
                event,
            }));
        }
        let parts = history.recording();
        assert_eq!(parts.frames.len(), 3);
        // It starts after event 2, and its events are 3, 4 and 5: together, the room.
        assert_eq!(parts.start.seq, 2);
        assert_eq!(parts.start.hold_ms, 20);
        let mut replayed = parts.start.clone();
        for frame in &parts.frames {
            let Ok(ServerMsg::Event { seq, at_ms, event }) = serde_json::from_str(frame) else {
                panic!("{frame}");
            };
            replayed.apply(seq, at_ms, &event);
        }
        assert_eq!(replayed, room);
    }
}
