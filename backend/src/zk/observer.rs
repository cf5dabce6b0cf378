//! The room's observer: its own session, persistent watches on `/locks` and `/sgroup`, and the
//! real children reported as `znode_added` / `znode_removed`, whoever created them; on its first
//! listing it names the nodes an earlier run of the server left behind (`earlier_session`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use shared::{RoomEvent, Znode, REGISTRY_DIR};
use tokio::sync::watch;
use zookeeper_client::{AddWatchMode, Client, EventType, PersistentWatcher, SessionState};

use super::{EventSink, Report, SessionRecord, ZkError, ZkSettings, SESSIONS_DIR};
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

/// The owners of the nodes a listing reported.
type Owners = BTreeSet<i64>;

impl Observer {
    /// Creates the room's folders and watches them. Survives session loss by starting over
    /// with a new session and diffing against what it reported before.
    pub async fn run(mut self) {
        let mut known = [BTreeSet::new(), BTreeSet::new()];
        let mut backoff = Duration::from_millis(100);
        let mut first = true;
        loop {
            let stop = self.stop.clone();
            match self.observe(&mut known, &mut first).await {
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

    async fn observe(
        &mut self,
        known: &mut [BTreeSet<String>; 2],
        first: &mut bool,
    ) -> Result<(), ZkError> {
        let client = self.zk.connect_room(&self.room).await?;
        // Watch first, then list: a change between the two is seen by both, never by neither.
        let [mut locks, mut registry] = watch_folders(&client).await?;
        let owners = self.sync_all(&client, known).await?;
        if std::mem::take(first) {
            self.name_earlier_sessions(&client, &owners).await?;
        }
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
    ) -> Result<Owners, ZkError> {
        let mut owners = Owners::new();
        for (folder, known) in known.iter_mut().enumerate() {
            owners.extend(self.sync(client, folder, known).await?);
        }
        Ok(owners)
    }

    /// Tells the room which of the nodes' owners are sessions an earlier run of the server
    /// recorded (and died without closing), with the expiry the leader's `dump` gives them.
    async fn name_earlier_sessions(&self, client: &Client, owners: &Owners) -> Result<(), ZkError> {
        let names = match client.list_children(SESSIONS_DIR).await {
            Err(zookeeper_client::Error::NoNode) => return Ok(()),
            other => other?,
        };
        let sessions: Vec<shared::SessionId> = names
            .iter()
            .filter_map(|name| name.parse::<shared::SessionId>().ok())
            .filter(|id| owners.contains(&id.0))
            .collect();
        let mut earlier = Vec::new();
        for session in sessions {
            let data = match client.get_data(&format!("{SESSIONS_DIR}/{session}")).await {
                Ok((data, _)) => data,
                // Expired while we looked.
                Err(zookeeper_client::Error::NoNode) => continue,
                Err(e) => return Err(e.into()),
            };
            match serde_json::from_slice::<SessionRecord>(&data) {
                Ok(record) if record.run != self.zk.run => earlier.push((session, record)),
                Ok(_) => {}
                Err(e) => tracing::warn!(room = %self.room, %session, "a session record: {e}"),
            }
        }
        if earlier.is_empty() {
            return Ok(());
        }
        let expiries = leaders_expiries(&self.zk.connect).await;
        for (session, record) in earlier {
            let _ = self.events.send(Report::Event(RoomEvent::EarlierSession {
                client: record.client,
                session,
                timeout_ms: record.timeout_ms,
                expires_at_ms: expiries.get(&session).copied(),
            }));
        }
        Ok(())
    }

    /// Lists a folder and reports the difference from what was reported before; returns the
    /// owners of the nodes it reported.
    async fn sync(
        &self,
        client: &Client,
        folder: usize,
        known: &mut BTreeSet<String>,
    ) -> Result<Owners, ZkError> {
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
        let mut owners = Owners::new();
        for (name, look) in added.into_iter().zip(looks) {
            match look? {
                Some((stat, data)) => {
                    owners.insert(stat.ephemeral_owner);
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
        Ok(owners)
    }
}

/// Each session's expiry as the ensemble's leader reports it (the first member whose `dump`
/// lists expiries); none where the four-letter word is not allowed.
async fn leaders_expiries(connect: &str) -> std::collections::BTreeMap<shared::SessionId, u64> {
    for member in connect.split(',') {
        if let Ok(dump) = crate::probe::four_letter_word(member, "dump").await {
            let expiries = crate::probe::session_expiries(&dump);
            if !expiries.is_empty() {
                return expiries;
            }
        }
    }
    Default::default()
}
