//! Recordings: a room's history as JSON lines (a header, the room as it was when the recording
//! starts, then its events), read back and replayed with the same fold the room uses.
//!
//! ```text
//! {"zkplay_recording":1,"protocol":4,"room":"quiet-otter-42","server":{…},"events":2}
//! {"type":"snapshot","view":{…}}
//! {"type":"event","seq":41,"at_ms":1764650000123,"event":{"kind":"client_added","client":3}}
//! {"type":"event","seq":42,"at_ms":1764650000130,"event":{…}}
//! ```

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::protocol::{ServerInfo, ServerMsg, PROTOCOL_VERSION};
use crate::view::RoomView;

/// Bumped when the file's own shape changes (its lines are the protocol's messages).
pub const RECORDING_FORMAT: u32 = 1;

/// Events between two of the replay's checkpoints: a scrub folds at most this many.
pub const CHECKPOINT_EVERY: usize = 256;

/// A recording's first line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingHeader {
    /// The file format, [`RECORDING_FORMAT`].
    pub zkplay_recording: u32,
    /// The protocol its lines speak.
    pub protocol: u32,
    pub room: String,
    /// The server that recorded it, as its welcome describes it.
    pub server: ServerInfo,
    /// How many event lines follow the snapshot.
    pub events: u64,
}

impl RecordingHeader {
    /// The header of a recording of `events` events of `room`, in this format and protocol.
    pub fn new(room: impl Into<String>, server: ServerInfo, events: u64) -> Self {
        RecordingHeader {
            zkplay_recording: RECORDING_FORMAT,
            protocol: PROTOCOL_VERSION,
            room: room.into(),
            server,
            events,
        }
    }
}

/// `POST /recordings`'s answer: where the stored recording is, and the page that replays it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecording {
    pub id: String,
    pub url: String,
    pub replay: String,
}

impl StoredRecording {
    pub fn new(id: String) -> Self {
        let url = format!("/recordings/{id}");
        StoredRecording {
            replay: format!("/?replay={url}"),
            url,
            id,
        }
    }
}

/// One event of a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub seq: u64,
    pub at_ms: u64,
    pub event: RoomEvent,
}

/// Why a file is no recording zkplay can play.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    #[error("the file is empty")]
    Empty,
    #[error("line 1 is no zkplay recording header: {0}")]
    Header(String),
    #[error("a recording of format {0}; this page plays format {RECORDING_FORMAT}")]
    Format(u32),
    #[error("a recording of protocol {0}; this page speaks protocol {PROTOCOL_VERSION}")]
    Protocol(u32),
    #[error("line 2 must be the room's snapshot")]
    NoSnapshot,
    #[error("line {line}: {why}")]
    Line { line: usize, why: String },
    #[error("line {line}: event {seq} does not follow event {after}")]
    OutOfOrder { line: usize, seq: u64, after: u64 },
    #[error("the header promises {promised} events; the file has {found}")]
    Count { promised: u64, found: u64 },
}

/// A recording read back: where it starts and what happened after.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    pub header: RecordingHeader,
    /// The room when the recording starts.
    pub start: RoomView,
    pub events: Vec<Recorded>,
}

impl Recording {
    /// Reads a recording, checking every line: a bad one is refused, never half played.
    /// Not inlined: the page reads recordings in two places (a replay, the timeline's history),
    /// and one copy of it is enough.
    #[inline(never)]
    pub fn parse(text: &str) -> Result<Recording, RecordingError> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines.next().ok_or(RecordingError::Empty)?;
        let header: RecordingHeader =
            serde_json::from_str(first).map_err(|e| RecordingError::Header(e.to_string()))?;
        if header.zkplay_recording != RECORDING_FORMAT {
            return Err(RecordingError::Format(header.zkplay_recording));
        }
        if header.protocol != PROTOCOL_VERSION {
            return Err(RecordingError::Protocol(header.protocol));
        }
        let message = |(at, line): (usize, &str)| {
            serde_json::from_str::<ServerMsg>(line).map_err(|e| RecordingError::Line {
                line: at + 1,
                why: e.to_string(),
            })
        };
        let start = match lines.next().map(message).transpose()? {
            Some(ServerMsg::Snapshot { view }) => *view,
            _ => return Err(RecordingError::NoSnapshot),
        };
        let mut events = Vec::new();
        let mut after = start.seq;
        for (at, line) in lines {
            match message((at, line))? {
                ServerMsg::Event { seq, at_ms, event } if after.checked_add(1) == Some(seq) => {
                    after = seq;
                    events.push(Recorded { seq, at_ms, event });
                }
                ServerMsg::Event { seq, .. } => {
                    return Err(RecordingError::OutOfOrder {
                        line: at + 1,
                        seq,
                        after,
                    })
                }
                _ => {
                    return Err(RecordingError::Line {
                        line: at + 1,
                        why: "only events follow the snapshot".into(),
                    })
                }
            }
        }
        let found = events.len() as u64;
        if found != header.events {
            return Err(RecordingError::Count {
                promised: header.events,
                found,
            });
        }
        Ok(Recording {
            header,
            start,
            events,
        })
    }

    /// The file's text: the header, the snapshot, the events, one per line.
    pub fn to_lines(&self) -> String {
        let mut out = recording_head(&self.header, &self.start);
        for e in &self.events {
            let line = ServerMsg::Event {
                seq: e.seq,
                at_ms: e.at_ms,
                event: e.event.clone(),
            };
            out.push_str(&serde_json::to_string(&line).expect("events serialise"));
            out.push('\n');
        }
        out
    }
}

/// A recording's first two lines: its header and the room it starts from.
pub fn recording_head(header: &RecordingHeader, start: &RoomView) -> String {
    let snapshot = ServerMsg::Snapshot {
        view: Box::new(start.clone()),
    };
    let mut out = serde_json::to_string(header).expect("headers serialise");
    out.push('\n');
    out.push_str(&serde_json::to_string(&snapshot).expect("views serialise"));
    out.push('\n');
    out
}

/// A recording ready to scrub: the room after any of its events in a bounded fold.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    pub recording: Recording,
    /// The room after events `0..k * CHECKPOINT_EVERY`, for each `k`.
    checkpoints: Vec<RoomView>,
}

impl Replay {
    pub fn new(recording: Recording) -> Replay {
        // A replay draws the timeline from where the recording starts.
        let mut view = recording.start.clone();
        view.spacetime.get_or_insert_with(Default::default);
        let mut checkpoints = vec![view.clone()];
        for (i, e) in recording.events.iter().enumerate() {
            view.apply(e.seq, e.at_ms, &e.event);
            if (i + 1) % CHECKPOINT_EVERY == 0 {
                checkpoints.push(view.clone());
            }
        }
        Replay {
            recording,
            checkpoints,
        }
    }

    /// How many events there are to step through.
    pub fn len(&self) -> usize {
        self.recording.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recording.events.is_empty()
    }

    /// The room after the first `n` events (0: as the recording starts).
    pub fn view_after(&self, n: usize) -> RoomView {
        let n = n.min(self.len());
        let from = n / CHECKPOINT_EVERY;
        let mut view = self.checkpoints[from].clone();
        for e in &self.recording.events[from * CHECKPOINT_EVERY..n] {
            view.apply(e.seq, e.at_ms, &e.event);
        }
        view
    }

    /// The server's clock at the `n`th event (the start's first event for 0).
    pub fn at_ms(&self, n: usize) -> u64 {
        let events = &self.recording.events;
        match n.checked_sub(1).and_then(|i| events.get(i)) {
            Some(e) => e.at_ms,
            None => events.first().map_or(0, |e| e.at_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientMsg;

    fn info() -> ServerInfo {
        ServerInfo {
            zookeeper: "127.0.0.1:4180".into(),
            session_timeout_ms: 5000,
            max_lock_clients: 50,
            max_message_bytes: 4096,
            student_clients: 3,
            public_url: None,
            runs_on: None,
        }
    }

    fn recording(n: u64) -> Recording {
        let start = RoomView::new("r", 3000);
        let events = (1..=n)
            .map(|seq| Recorded {
                seq,
                at_ms: 1000 + seq,
                event: RoomEvent::HoldChanged { hold_ms: seq },
            })
            .collect();
        Recording {
            header: RecordingHeader {
                zkplay_recording: RECORDING_FORMAT,
                protocol: PROTOCOL_VERSION,
                room: "r".into(),
                server: info(),
                events: n,
            },
            start,
            events,
        }
    }

    #[test]
    fn a_recording_reads_back_as_written() {
        let original = recording(3);
        let text = original.to_lines();
        assert_eq!(text.lines().count(), 5);
        assert_eq!(Recording::parse(&text).unwrap(), original);
    }

    #[test]
    fn every_view_of_a_replay_is_the_fold_of_the_events_before_it() {
        let replay = Replay::new(recording(3 * CHECKPOINT_EVERY as u64 + 7));
        let mut folded = replay.recording.start.clone();
        // A replay draws the timeline from where the recording starts.
        folded.spacetime = Some(Default::default());
        assert_eq!(replay.view_after(0), folded);
        for (i, e) in replay.recording.events.iter().enumerate() {
            folded.apply(e.seq, e.at_ms, &e.event);
            assert_eq!(replay.view_after(i + 1), folded, "after {}", i + 1);
        }
        assert_eq!(replay.view_after(usize::MAX), folded);
        assert_eq!(replay.at_ms(0), 1001);
        assert_eq!(replay.at_ms(2), 1002);
    }

    #[test]
    fn bad_files_are_refused_with_the_line_that_is_wrong() {
        let good = recording(2).to_lines();
        let lines: Vec<&str> = good.lines().collect();
        assert_eq!(Recording::parse(""), Err(RecordingError::Empty));
        assert!(matches!(
            Recording::parse("{}"),
            Err(RecordingError::Header(_))
        ));
        let old = good.replacen(
            &format!("\"protocol\":{PROTOCOL_VERSION}"),
            "\"protocol\":1",
            1,
        );
        assert_eq!(Recording::parse(&old), Err(RecordingError::Protocol(1)));
        let no_snapshot = [lines[0], lines[2]].join("\n");
        assert_eq!(
            Recording::parse(&no_snapshot),
            Err(RecordingError::NoSnapshot)
        );
        let swapped = [lines[0], lines[1], lines[3], lines[2]].join("\n");
        assert!(matches!(
            Recording::parse(&swapped),
            Err(RecordingError::OutOfOrder {
                line: 3,
                seq: 2,
                after: 0
            })
        ));
        let garbage = [lines[0], lines[1], "{not json"].join("\n");
        assert!(matches!(
            Recording::parse(&garbage),
            Err(RecordingError::Line { line: 3, .. })
        ));
        let intent = serde_json::to_string(&ClientMsg::Resync).unwrap();
        let wrong = [lines[0], lines[1], &intent].join("\n");
        assert!(matches!(
            Recording::parse(&wrong),
            Err(RecordingError::Line { .. })
        ));
        let short = [lines[0], lines[1], lines[2]].join("\n");
        assert_eq!(
            Recording::parse(&short),
            Err(RecordingError::Count {
                promised: 2,
                found: 1
            })
        );
    }
}
