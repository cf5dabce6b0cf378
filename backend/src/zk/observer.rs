//! The room's observer: its own session, recursive persistent watches on `/locks` and
//! `/sgroup`, and the real children reported as `znode_added` / `znode_removed` the moment
//! ZooKeeper names them, whoever created them, with each node's stat and data following as
//! `znode_read`; on its first listing it names the nodes an earlier run of the server left
//! behind (`earlier_session`), and follows their expiry.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{join_all, BoxFuture};
use futures_util::stream::{FuturesOrdered, StreamExt};
use shared::{RoomEvent, SessionId, Znode, ZnodeRead, REGISTRY_DIR};
use tokio::sync::watch;
use zookeeper_client::{
    AddWatchMode, Client, EventType, PersistentWatcher, SessionState, Stat, WatchedEvent,
};

use super::{EventSink, Report, SessionRecord, ZkError, ZkSettings, SESSIONS_DIR};
use crate::recipes::lock::LOCK_DIR;

/// The folders a room shows; a registry node's data (its server's address) is read too.
const FOLDERS: [(&str, bool); 2] = [(LOCK_DIR, false), (REGISTRY_DIR, true)];

/// Recursive persistent watches on the room's folders, in [`FOLDERS`] order: their events name
/// the child created or deleted, so a new node is told without listing the folder again.
async fn watch_folders(client: &Client) -> Result<[PersistentWatcher; 2], ZkError> {
    let locks = client
        .watch(LOCK_DIR, AddWatchMode::PersistentRecursive)
        .await?;
    let registry = client
        .watch(REGISTRY_DIR, AddWatchMode::PersistentRecursive)
        .await?;
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

/// The earlier run's sessions the room was told of, with the expiry it was last told.
type Earlier = BTreeMap<SessionId, (SessionRecord, Option<u64>)>;

/// How often the leader is asked again when the earlier run's sessions expire.
const EARLIER_EVERY: Duration = Duration::from_secs(1);
/// Asks in a row with no leader's answer after which the room stops asking.
const EARLIER_SILENCE: u32 = 30;

/// What the room has been told of one folder's children.
#[derive(Default)]
struct Told {
    /// Every child reported and not yet removed.
    known: BTreeSet<String>,
    /// Children reported whose read has not been told (it failed, or is under way), each with
    /// the number of its creation: a node deleted and made again under the same name (any
    /// program may do that) is not given the read of the one before.
    unread: BTreeMap<String, u64>,
    /// Creations seen so far.
    made: u64,
}

impl Told {
    /// A child's creation, as a watch event names it: its creation number, if it is new to
    /// the room (a listing may have told of it already).
    fn created(&mut self, name: &str) -> Option<u64> {
        if !self.known.insert(name.to_string()) {
            return None;
        }
        self.made += 1;
        self.unread.insert(name.to_string(), self.made);
        Some(self.made)
    }

    /// A child's deletion: whether the room had been told of it.
    fn deleted(&mut self, name: &str) -> bool {
        self.unread.remove(name);
        self.known.remove(name)
    }

    /// Whether a read of creation `made` is still owed to the room: not told already (by a
    /// listing), nor the read of an earlier node of the same name.
    fn owed(&self, name: &str, made: u64) -> bool {
        self.unread.get(name) == Some(&made)
    }
}

/// A node's stat and data, or nothing if it was gone when read.
type Look = Result<Option<(Stat, Vec<u8>)>, zookeeper_client::Error>;

/// Reads under way, answered in the order they were asked.
type Reads<'a> = FuturesOrdered<BoxFuture<'a, (usize, String, u64, Look)>>;

/// Reads a child of folder `folder` (creation `made`): its stat, and its data where the folder
/// shows data.
fn look<'a>(
    client: &'a Client,
    folder: usize,
    name: String,
    made: u64,
) -> BoxFuture<'a, (usize, String, u64, Look)> {
    let (dir, with_data) = FOLDERS[folder];
    let path = format!("{dir}/{name}");
    Box::pin(async move {
        let look = if with_data {
            match client.get_data(&path).await {
                Ok((data, stat)) => Ok(Some((stat, data))),
                Err(zookeeper_client::Error::NoNode) => Ok(None),
                Err(e) => Err(e),
            }
        } else {
            client
                .check_stat(&path)
                .await
                .map(|stat| stat.map(|stat| (stat, Vec::new())))
        };
        (folder, name, made, look)
    })
}

fn znode_read(stat: &Stat, data: &[u8]) -> ZnodeRead {
    ZnodeRead {
        czxid: stat.czxid,
        owner_session: shared::SessionId(stat.ephemeral_owner),
        data: String::from_utf8_lossy(data).into_owned(),
    }
}

impl Observer {
    /// Creates the room's folders and watches them. Survives session loss by starting over
    /// with a new session and diffing against what it reported before.
    pub async fn run(mut self) {
        let mut told = [Told::default(), Told::default()];
        let mut backoff = Duration::from_millis(100);
        let mut first = true;
        loop {
            let stop = self.stop.clone();
            match self.observe(&mut told, &mut first).await {
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

    async fn observe(&mut self, told: &mut [Told; 2], first: &mut bool) -> Result<(), ZkError> {
        let client = self.zk.connect_room(&self.room).await?;
        // Watch first, then list: a change between the two is seen by both, never by neither.
        let [mut locks, mut registry] = watch_folders(&client).await?;
        let owners = self.sync_all(&client, told).await?;
        if std::mem::take(first) {
            let earlier = self.name_earlier_sessions(&client, &owners).await?;
            if !earlier.is_empty() {
                let (events, stop) = (self.events.clone(), self.stop.clone());
                tokio::spawn(follow_earlier(self.zk.clone(), events, earlier, stop));
            }
        }
        let mut reads = Reads::new();
        loop {
            let (folder, event) = tokio::select! {
                event = locks.changed() => (0, event),
                event = registry.changed() => (1, event),
                Some((folder, name, made, look)) = reads.next(), if !reads.is_empty() => {
                    self.tell_read(&mut told[folder], folder, name, made, look);
                    continue;
                }
                _ = self.stop.changed() => {
                    drop(reads);
                    super::close(client).await;
                    return Ok(());
                }
            };
            if event.event_type != EventType::Session {
                self.tell_change(&client, &mut told[folder], folder, &event, &mut reads);
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
                    self.sync_all(&client, told).await?;
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

    /// A child created or deleted, as its watch event names it: told at once, and a new one
    /// read (its stat and data follow as `znode_read`). The folder itself, and anything
    /// deeper, is not shown.
    fn tell_change<'a>(
        &self,
        client: &'a Client,
        told: &mut Told,
        folder: usize,
        event: &WatchedEvent,
        reads: &mut Reads<'a>,
    ) {
        let (dir, _) = FOLDERS[folder];
        let Some(name) = event
            .path
            .strip_prefix(dir)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|name| !name.contains('/'))
        else {
            return;
        };
        match event.event_type {
            EventType::NodeCreated => {
                if let Some(made) = told.created(name) {
                    let _ = self.events.send(Report::Event(RoomEvent::ZnodeAdded {
                        node: Znode::reported(format!("{dir}/{name}")),
                    }));
                    reads.push_back(look(client, folder, name.to_string(), made));
                }
            }
            EventType::NodeDeleted if told.deleted(name) => {
                let _ = self.events.send(Report::Event(RoomEvent::ZnodeRemoved {
                    path: format!("{dir}/{name}"),
                }));
            }
            _ => {}
        }
    }

    /// A read is back: its stat and data are told, if the node is still shown. A read that
    /// failed is made again after the next listing.
    fn tell_read(&self, told: &mut Told, folder: usize, name: String, made: u64, look: Look) {
        let (dir, _) = FOLDERS[folder];
        if !told.owed(&name, made) {
            return;
        }
        match look {
            Ok(Some((stat, data))) => {
                told.unread.remove(&name);
                let _ = self.events.send(Report::Event(RoomEvent::ZnodeRead {
                    path: format!("{dir}/{name}"),
                    read: znode_read(&stat, &data),
                }));
            }
            Ok(None) => {
                // Gone before it was read: its deletion is (or will be) told.
                told.unread.remove(&name);
            }
            Err(e) => tracing::debug!(room = %self.room, %name, "reading a new node: {e}"),
        }
    }

    async fn sync_all(&self, client: &Client, told: &mut [Told; 2]) -> Result<Owners, ZkError> {
        let mut owners = Owners::new();
        for (folder, told) in told.iter_mut().enumerate() {
            owners.extend(self.sync(client, folder, told).await?);
        }
        Ok(owners)
    }

    /// Tells the room which of the nodes' owners are sessions an earlier run of the server
    /// recorded (and died without closing), with the expiry the leader's `dump` gives them.
    async fn name_earlier_sessions(
        &self,
        client: &Client,
        owners: &Owners,
    ) -> Result<Earlier, ZkError> {
        let names = match client.list_children(SESSIONS_DIR).await {
            Err(zookeeper_client::Error::NoNode) => return Ok(Earlier::new()),
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
            return Ok(Earlier::new());
        }
        let expiries = leaders_expiries(&self.zk.connect).await;
        let mut named = Earlier::new();
        for (session, record) in earlier {
            let expires_at_ms = expiries.get(&session).copied();
            tell_earlier(&self.events, session, &record, expires_at_ms);
            named.insert(session, (record, expires_at_ms));
        }
        // An ensemble that does not answer `dump` (only `srvr` is allowed by default) is not
        // asked again.
        if expiries.is_empty() {
            named.clear();
        }
        Ok(named)
    }

    /// Lists a folder and reports the difference from what was reported before, with each
    /// new child's read, and the reads still owed; returns the owners of the nodes it read.
    async fn sync(
        &self,
        client: &Client,
        folder: usize,
        told: &mut Told,
    ) -> Result<Owners, ZkError> {
        let (dir, _) = FOLDERS[folder];
        let now: BTreeSet<String> = client.list_children(dir).await?.into_iter().collect();
        for gone in told.known.difference(&now) {
            told.unread.remove(gone);
            let _ = self.events.send(Report::Event(RoomEvent::ZnodeRemoved {
                path: format!("{dir}/{gone}"),
            }));
        }
        told.known.retain(|name| now.contains(name));
        // New children and children still unread, read together: requests are sent in call
        // order, so building all futures first pipelines them.
        let to_read: Vec<String> = now
            .iter()
            .filter(|name| !told.known.contains(*name) || told.unread.contains_key(*name))
            .cloned()
            .collect();
        let looks = join_all(
            to_read
                .into_iter()
                .map(|name| look(client, folder, name, 0)),
        )
        .await;
        let mut owners = Owners::new();
        for (_, name, _, look) in looks {
            let path = format!("{dir}/{name}");
            // Gone again before we looked: told removed if it had been told.
            let Some((stat, data)) = look? else {
                if told.known.remove(&name) {
                    told.unread.remove(&name);
                    let _ = self
                        .events
                        .send(Report::Event(RoomEvent::ZnodeRemoved { path }));
                }
                continue;
            };
            owners.insert(stat.ephemeral_owner);
            let read = znode_read(&stat, &data);
            let event = if told.known.insert(name.clone()) {
                RoomEvent::ZnodeAdded {
                    node: Znode {
                        path,
                        read: Some(read),
                    },
                }
            } else {
                RoomEvent::ZnodeRead { path, read }
            };
            told.unread.remove(&name);
            let _ = self.events.send(Report::Event(event));
        }
        Ok(owners)
    }
}

fn tell_earlier(
    events: &EventSink,
    session: SessionId,
    record: &SessionRecord,
    expires_at_ms: Option<u64>,
) {
    let _ = events.send(Report::Event(RoomEvent::EarlierSession {
        client: record.client,
        session,
        timeout_ms: record.timeout_ms,
        expires_at_ms,
    }));
}

/// Asks the leader every [`EARLIER_EVERY`] when the earlier run's sessions expire, and tells
/// those whose expiry moved (the leader may learn of a last touch late); a session the leader
/// no longer lists has expired and is let go. Ends with them, with the room, or after
/// [`EARLIER_SILENCE`] asks in a row that no leader answered.
async fn follow_earlier(
    zk: Arc<ZkSettings>,
    events: EventSink,
    mut earlier: Earlier,
    mut stop: watch::Receiver<bool>,
) {
    let mut ask = tokio::time::interval(EARLIER_EVERY);
    ask.tick().await;
    let mut silent = 0;
    while !earlier.is_empty() && !*stop.borrow() && silent < EARLIER_SILENCE {
        tokio::select! {
            _ = ask.tick() => {}
            _ = stop.changed() => return,
        }
        let expiries = leaders_expiries(&zk.connect).await;
        // No leader to ask just now (an election): try again next time.
        if expiries.is_empty() {
            silent += 1;
            continue;
        }
        silent = 0;
        earlier.retain(|session, (record, shown)| match expiries.get(session) {
            None => false,
            Some(&at) => {
                if *shown != Some(at) {
                    *shown = Some(at);
                    tell_earlier(&events, *session, record, Some(at));
                }
                true
            }
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_owed_once_and_only_for_the_node_shown_now() {
        let mut told = Told::default();
        let first = told.created("job").expect("new");
        assert_eq!(told.created("job"), None, "told once");
        assert!(told.owed("job", first));
        // Deleted and made again under the same name before the first read came back.
        assert!(told.deleted("job"));
        assert!(!told.deleted("job"), "told gone once");
        let second = told.created("job").expect("new again");
        assert!(
            !told.owed("job", first),
            "the earlier node's read is not the new one's"
        );
        assert!(told.owed("job", second));
    }
}
