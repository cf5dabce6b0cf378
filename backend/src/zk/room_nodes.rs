//! A room's own writes to ZooKeeper, as opposed to its sessions': its folders, a reset's sweep,
//! its removal when it ends. In a fleet each is one `multi` with a `check` of the room's owner
//! node ([`super::fleet::Fence`]), so a server that lost the room cannot change it.

use std::time::Duration;

use zookeeper_client::Client;

use super::fleet::Fenced;
use super::{close, ensure_path, room_root, session, ZkError, ZkSettings, ROOM_DIRS, SESSIONS_DIR};

/// Makes the room's folder `path` (absolute) if it is missing, as the room's own write.
pub async fn create_own(settings: &ZkSettings, client: &Client, path: &str) -> Result<(), ZkError> {
    let Some(fence) = &settings.fence else {
        return ensure_path(client, path).await;
    };
    match fence.create(client, path).await? {
        Fenced::Done | Fenced::Failed(zookeeper_client::Error::NodeExists) => Ok(()),
        Fenced::Failed(e) => Err(e.into()),
    }
}

/// Deletes `path` (absolute) as the room's own write; gone already is done.
async fn delete_own(settings: &ZkSettings, client: &Client, path: &str) -> Result<(), ZkError> {
    let done = match &settings.fence {
        Some(fence) => match fence.delete(client, path).await? {
            Fenced::Done => Ok(()),
            Fenced::Failed(e) => Err(e),
        },
        None => session::retrying(client, || client.delete(path, None)).await,
    };
    match done {
        Ok(()) | Err(zookeeper_client::Error::NoNode) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A session for the room's own writes; a lost quorum is waited out like any session's.
async fn open_patiently(settings: &ZkSettings) -> Result<Client, ZkError> {
    loop {
        match settings.open(&settings.connect).await {
            Ok(client) => return Ok(client),
            Err(ZkError::Connect { .. }) => tokio::time::sleep(Duration::from_millis(250)).await,
            Err(e) => return Err(e),
        }
    }
}

/// Deletes every child of the room's `/locks` and `/sgroup`, whoever made it: a killed
/// client's node that would stay until its session expires, a node from another program. The
/// folders stay (the observer watches them). Waits out a lost quorum like any session.
pub async fn sweep_room(settings: &ZkSettings, room: &str) -> Result<(), ZkError> {
    let client = open_patiently(settings).await?;
    let swept = sweep(settings, &client, room).await;
    close(client).await;
    swept
}

async fn sweep(settings: &ZkSettings, client: &Client, room: &str) -> Result<(), ZkError> {
    let root = room_root(room);
    for dir in [crate::recipes::lock::LOCK_DIR, shared::REGISTRY_DIR] {
        let dir = format!("{root}{dir}");
        let names = match session::retrying(client, || client.list_children(&dir)).await {
            Ok(names) => names,
            Err(zookeeper_client::Error::NoNode) => continue,
            Err(e) => return Err(e.into()),
        };
        for name in names {
            delete_own(settings, client, &format!("{dir}/{name}")).await?;
        }
    }
    Ok(())
}

/// Deletes what an ended room leaves in ZooKeeper: every node of its folders (a killed client's,
/// another program's, a killed session's record), the folders, and the room's own node (in a
/// fleet the owner queue is under it: the fleet deletes the node once its seat is given up).
pub async fn remove_room(settings: &ZkSettings, room: &str) -> Result<(), ZkError> {
    let client = open_patiently(settings).await?;
    let removed = remove(settings, &client, room).await;
    close(client).await;
    removed
}

async fn remove(settings: &ZkSettings, client: &Client, room: &str) -> Result<(), ZkError> {
    sweep(settings, client, room).await?;
    let root = room_root(room);
    let records = format!("{root}{SESSIONS_DIR}");
    let names = match session::retrying(client, || client.list_children(&records)).await {
        Ok(names) => names,
        Err(zookeeper_client::Error::NoNode) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut paths: Vec<String> = names.iter().map(|n| format!("{records}/{n}")).collect();
    paths.extend(ROOM_DIRS.iter().map(|dir| format!("{root}{dir}")));
    for path in &paths {
        delete_own(settings, client, path).await?;
    }
    if settings.fence.is_none() {
        delete_own(settings, client, &root).await?;
    }
    Ok(())
}
