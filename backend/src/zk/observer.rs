//! The room's observer: its own session, a persistent watch on `/locks`, and the real children
//! reported as `znode_added` / `znode_removed`, whoever created them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use shared::{RoomEvent, Znode};
use tokio::sync::watch;
use zookeeper_client::{AddWatchMode, Client, EventType, SessionState};

use super::{EventSink, ZkError, ZkSettings};
use crate::recipes::lock::LOCK_DIR;

/// Watches one room's `/locks` until `stop` turns true.
pub struct Observer {
    pub room: String,
    pub zk: Arc<ZkSettings>,
    pub events: EventSink,
    pub stop: watch::Receiver<bool>,
}

impl Observer {
    /// Creates the room's folders and watches them. Survives session loss by starting over
    /// with a new session and diffing against what it reported before.
    pub async fn run(mut self) {
        let mut known = BTreeSet::new();
        let mut backoff = Duration::from_millis(100);
        loop {
            let stop = self.stop.clone();
            match self.observe(&mut known).await {
                Ok(()) => return,
                Err(e) => tracing::warn!(room = %self.room, "observer: {e}; starting over"),
            }
            if *stop.borrow() {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn observe(&mut self, known: &mut BTreeSet<String>) -> Result<(), ZkError> {
        let client = self.zk.connect_room(&self.room).await?;
        // Watch first, then list: a change between the two is seen by both, never by neither.
        let mut watcher = client.watch(LOCK_DIR, AddWatchMode::Persistent).await?;
        self.sync(&client, known).await?;
        loop {
            tokio::select! {
                event = watcher.changed() => {
                    if event.event_type == EventType::Session {
                        match event.session_state {
                            // After a reconnect, events during the gap may be lost: re-list.
                            SessionState::SyncConnected => self.sync(&client, known).await?,
                            SessionState::Disconnected | SessionState::ConnectedReadOnly => {}
                            terminal => return Err(ZkError::Call(match terminal {
                                SessionState::Expired => zookeeper_client::Error::SessionExpired,
                                _ => zookeeper_client::Error::ClientClosed,
                            })),
                        }
                    } else {
                        self.sync(&client, known).await?;
                    }
                }
                _ = self.stop.changed() => {
                    super::close(client).await;
                    return Ok(());
                }
            }
        }
    }

    /// Lists `/locks` and reports the difference from what was reported before.
    async fn sync(&self, client: &Client, known: &mut BTreeSet<String>) -> Result<(), ZkError> {
        let now: BTreeSet<String> = client.list_children(LOCK_DIR).await?.into_iter().collect();
        for gone in known.difference(&now) {
            let _ = self.events.send(RoomEvent::ZnodeRemoved {
                path: format!("{LOCK_DIR}/{gone}"),
            });
        }
        let added: Vec<String> = now
            .difference(known)
            .map(|name| format!("{LOCK_DIR}/{name}"))
            .collect();
        // Requests are sent in call order, so building all futures first pipelines them.
        let stats = join_all(added.iter().map(|path| client.check_stat(path))).await;
        let mut reported = now.clone();
        for (path, stat) in added.into_iter().zip(stats) {
            match stat? {
                Some(stat) => {
                    let _ = self.events.send(RoomEvent::ZnodeAdded {
                        node: Znode {
                            path,
                            czxid: stat.czxid,
                            owner_session: format!("{:#x}", stat.ephemeral_owner),
                        },
                    });
                }
                // Gone again before we looked; the next notification reports nothing for it.
                None => {
                    reported.remove(path.trim_start_matches(&format!("{LOCK_DIR}/")));
                }
            }
        }
        *known = reported;
        Ok(())
    }
}
