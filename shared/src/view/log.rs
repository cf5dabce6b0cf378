//! The room's recent events, for the event log.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

/// How many recent events a view keeps for the event log.
pub const LOG_CAPACITY: usize = 200;

/// The latest events, oldest first, at most [`LOG_CAPACITY`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Log {
    pub entries: VecDeque<LogEntry>,
}

/// One event as the log keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: u64,
    pub at_ms: u64,
    pub event: RoomEvent,
}

impl Log {
    pub fn apply(&mut self, seq: u64, at_ms: u64, event: &RoomEvent) {
        // Who comes and goes is the presence line's, not the log's: a class arriving would
        // push every recipe event out.
        if let RoomEvent::PresenceChanged { .. } = event {
            return;
        }
        // Calls and their answers are the timeline's: the log keeps the lines the seed
        // prints and what the room did.
        if let RoomEvent::CallSent { .. } | RoomEvent::CallAnswered { .. } = event {
            return;
        }
        // A node's read completes the line that told of it, rather than adding one.
        if let RoomEvent::ZnodeRead { path, read } = event {
            let told = self
                .entries
                .iter_mut()
                .rev()
                .find_map(|e| match &mut e.event {
                    RoomEvent::ZnodeAdded { node } if &node.path == path => Some(node),
                    _ => None,
                });
            if let Some(node) = told {
                node.read = Some(read.clone());
            }
            return;
        }
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry {
            seq,
            at_ms,
            event: event.clone(),
        });
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_entries() {
        let mut log = Log::default();
        for seq in 1..=(LOG_CAPACITY as u64 + 5) {
            log.apply(seq, 0, &RoomEvent::HoldChanged { hold_ms: seq });
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log.iter().next().unwrap().seq, 6);
    }
}
