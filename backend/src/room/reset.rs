//! Emptying a room: every session closes, then its folders are swept, then (once the view has
//! seen every node go) it starts afresh. The stages are a pure state machine; the sweep is one
//! task, retried, that reports back like a session.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::zk::{self, Report, ZkSettings};

/// How long one attempt at emptying a room's folders may take.
pub(super) const SWEEP_LIMIT: Duration = Duration::from_secs(20);

/// A reset under way.
pub(super) struct Resetting {
    stage: Stage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Closing,
    Sweeping,
    Swept,
}

/// What the room does next for its reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    Wait,
    /// Every session has closed: sweep the folders.
    Sweep,
    /// The tree is empty: start afresh.
    Finish,
}

impl Resetting {
    /// A reset begins: the room's sessions are told to close.
    pub(super) fn new() -> Self {
        Resetting {
            stage: Stage::Closing,
        }
    }

    /// The next stage, given whether every session has closed and whether the view still
    /// shows nodes.
    pub(super) fn next(&mut self, sessions_closed: bool, tree_empty: bool) -> Next {
        match self.stage {
            Stage::Closing if sessions_closed => {
                self.stage = Stage::Sweeping;
                Next::Sweep
            }
            Stage::Swept if tree_empty => Next::Finish,
            _ => Next::Wait,
        }
    }

    /// The sweep has emptied the folders.
    pub(super) fn swept(&mut self) {
        self.stage = Stage::Swept;
    }
}

/// Sweeps the room's folders (up to three attempts, each within [`SWEEP_LIMIT`]: without a
/// quorum a sweep would wait for ever) and reports how it went.
pub(super) fn spawn_sweep(
    tasks: &mut JoinSet<()>,
    zk: Arc<ZkSettings>,
    room: String,
    events: mpsc::UnboundedSender<Report>,
) {
    tasks.spawn(async move {
        let mut swept = Err(String::new());
        for attempt in 1..=3 {
            let sweep = tokio::time::timeout(SWEEP_LIMIT, zk::room_nodes::sweep_room(&zk, &room));
            let mut fenced = false;
            swept = match sweep.await {
                Ok(done) => done.map_err(|e| {
                    fenced = matches!(e, zk::ZkError::Fenced(_));
                    e.to_string()
                }),
                Err(_) => Err(format!("no answer from ZooKeeper in {SWEEP_LIMIT:?}")),
            };
            match &swept {
                Ok(()) => break,
                Err(_) if fenced => break,
                Err(e) => tracing::warn!(%room, attempt, "sweeping the room: {e}"),
            }
        }
        let _ = events.send(Report::Swept(swept));
    });
}

/// Deletes an ended room's nodes, its folders and its own node too, whoever made them.
pub(super) async fn remove_nodes(zk: &ZkSettings, room: &str) {
    for attempt in 1..=3 {
        match tokio::time::timeout(SWEEP_LIMIT, zk::room_nodes::remove_room(zk, room)).await {
            Ok(Ok(())) => return,
            // Another server runs the room now: its nodes are not this server's to delete.
            Ok(Err(zk::ZkError::Fenced(_))) => return,
            Ok(Err(e)) => tracing::warn!(%room, attempt, "deleting the ended room's nodes: {e}"),
            Err(_) => {
                tracing::warn!(%room, attempt, "deleting the ended room's nodes: no answer in {SWEEP_LIMIT:?}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_sweeps_once_every_session_closed_and_ends_once_the_tree_is_empty() {
        let mut reset = Resetting::new();
        assert_eq!(reset.next(false, false), Next::Wait);
        assert_eq!(reset.next(true, false), Next::Sweep);
        // Sweeping: nothing more until the sweep reports, however the room looks.
        assert_eq!(reset.next(true, true), Next::Wait);
        reset.swept();
        assert_eq!(reset.next(true, false), Next::Wait, "nodes still shown");
        assert_eq!(reset.next(true, true), Next::Finish);
    }
}
