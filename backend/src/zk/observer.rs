//! The room's observer: its own session, persistent watches on `/locks` and `/sgroup`, and the
//! real children reported as `znode_added` / `znode_removed`, whoever created them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use shared::{RoomEvent, Znode, REGISTRY_DIR};
use tokio::sync::watch;
use zookeeper_client::{AddWatchMode, Client, EventType, PersistentWatcher, SessionState};

use super::{EventSink, Report, ZkError, ZkSettings};
use crate::recipes::lock::LOCK_DIR;

/// The folders a room shows; a registry node's data (its server's address) is read too.
const FOLDERS: [(&str, bool); 2] = [(LOCK_DIR, false), (REGISTRY_DIR, true)];

/// Persistent watches on the room's folders, in [`FOLDERS`] order.
async fn watch_folders(client: &Client) -> Result<[PersistentWatcher; 2], ZkError> {
    let locks = client.watch(LOCK_DIR, AddWatchMode::Persistent).await?;
    let registry = client.watch(REGISTRY_DIR, AddWatchMode::Persistent).await?;
    Ok([locks, registry])
}

/// Watches one room's folders until `stop` turns true.
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
        let mut known = [BTreeSet::new(), BTreeSet::new()];
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

    async fn observe(&mut self, known: &mut [BTreeSet<String>; 2]) -> Result<(), ZkError> {
        let client = self.zk.connect_room(&self.room).await?;
        // Watch first, then list: a change between the two is seen by both, never by neither.
        let [mut locks, mut registry] = watch_folders(&client).await?;
        self.sync_all(&client, known).await?;
        loop {
            let (folder, event) = tokio::select! {
                event = locks.changed() => (0, event),
                event = registry.changed() => (1, event),
                _ = self.stop.changed() => {
                    super::close(client).await;
                    return Ok(());
                }
            };
            if event.event_type != EventType::Session {
                self.sync(&client, folder, &mut known[folder]).await?;
                continue;
            }
            match event.session_state {
                // ZooKeeper keeps a connection's watches with that connection, and
                // zookeeper-client 0.11 leaves persistent watches out of the SetWatches it
                // sends on reconnecting, so after a member went down the new one had none and
                // the room saw nothing more. Add them again on the new connection (as Curator's
                // PersistentWatcher does; replacing the old watchers removes nothing on the
                // server), then list both folders: ZooKeeper does not replay what a persistent
                // watch missed while disconnected.
                SessionState::SyncConnected => {
                    [locks, registry] = watch_folders(&client).await?;
                    self.sync_all(&client, known).await?;
                }
                SessionState::Disconnected | SessionState::ConnectedReadOnly => {}
                // Terminal: a persistent watcher must not be polled again.
                SessionState::Expired => {
                    return Err(ZkError::Call(zookeeper_client::Error::SessionExpired))
                }
                _ => return Err(ZkError::Call(zookeeper_client::Error::ClientClosed)),
            }
        }
    }

    async fn sync_all(
        &self,
        client: &Client,
        known: &mut [BTreeSet<String>; 2],
    ) -> Result<(), ZkError> {
        for (folder, known) in known.iter_mut().enumerate() {
            self.sync(client, folder, known).await?;
        }
        Ok(())
    }

    /// Lists a folder and reports the difference from what was reported before.
    async fn sync(
        &self,
        client: &Client,
        folder: usize,
        known: &mut BTreeSet<String>,
    ) -> Result<(), ZkError> {
        let (dir, with_data) = FOLDERS[folder];
        let now: BTreeSet<String> = client.list_children(dir).await?.into_iter().collect();
        for gone in known.difference(&now) {
            let _ = self.events.send(Report::Event(RoomEvent::ZnodeRemoved {
                path: format!("{dir}/{gone}"),
            }));
        }
        let added: Vec<&String> = now.difference(known).collect();
        // Requests are sent in call order, so building all futures first pipelines them.
        let looks = join_all(added.iter().map(|name| {
            let path = format!("{dir}/{name}");
            async move {
                if with_data {
                    match client.get_data(&path).await {
                        Ok((data, stat)) => Ok(Some((stat, data))),
                        Err(zookeeper_client::Error::NoNode) => Ok(None),
                        Err(e) => Err(e),
                    }
                } else {
                    Ok(client
                        .check_stat(&path)
                        .await?
                        .map(|stat| (stat, Vec::new())))
                }
            }
        }))
        .await;
        let mut reported = now.clone();
        for (name, look) in added.into_iter().zip(looks) {
            match look? {
                Some((stat, data)) => {
                    let _ = self.events.send(Report::Event(RoomEvent::ZnodeAdded {
                        node: Znode {
                            path: format!("{dir}/{name}"),
                            czxid: stat.czxid,
                            owner_session: shared::SessionId(stat.ephemeral_owner),
                            data: String::from_utf8_lossy(&data).into_owned(),
                        },
                    }));
                }
                // Gone again before we looked; the next notification reports nothing for it.
                None => {
                    reported.remove(name);
                }
            }
        }
        *known = reported;
        Ok(())
    }
}
