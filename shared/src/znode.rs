//! The nodes of a room's folders as the room's observer session saw them, and the folders'
//! names.

use serde::{Deserialize, Serialize};

use crate::session::SessionId;

/// The folder the lock recipes contend in, as the seed names it (inside the room's chroot).
pub const LOCK_DIR: &str = "/locks";
/// The registry folder of the seed's AppServer / AppClient.
pub const REGISTRY_DIR: &str = "/sgroup";

/// A child of `/locks` or `/sgroup` as the room's observer session saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Znode {
    /// Chroot-relative, e.g. `/locks/sub0000000003`.
    pub path: String,
    /// What only reading the node tells: absent from the moment ZooKeeper reports the node
    /// (a watch event names just its path) until the observer's read of it is back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<ZnodeRead>,
}

/// A node's stat and data, as the observer read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZnodeRead {
    pub czxid: i64,
    /// The owning session (`ephemeralOwner`), `0x0` for a persistent node.
    pub owner_session: SessionId,
    /// The node's data as text (a registry node's server address; empty for lock nodes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data: String,
}

impl Znode {
    /// A node as a watch event names it: its path, nothing read yet.
    pub fn reported(path: impl Into<String>) -> Self {
        Znode {
            path: path.into(),
            read: None,
        }
    }

    /// A node with what its read told.
    pub fn read(path: impl Into<String>, czxid: i64, owner_session: SessionId, data: &str) -> Self {
        Znode {
            path: path.into(),
            read: Some(ZnodeRead {
                czxid,
                owner_session,
                data: data.to_string(),
            }),
        }
    }

    /// The owning session, once read.
    pub fn owner_session(&self) -> Option<SessionId> {
        self.read.as_ref().map(|r| r.owner_session)
    }

    pub fn czxid(&self) -> Option<i64> {
        self.read.as_ref().map(|r| r.czxid)
    }

    /// The node's data, once read (empty before).
    pub fn data(&self) -> &str {
        self.read.as_ref().map_or("", |r| r.data.as_str())
    }
}

/// A node's read, folded into the folder that shows it (a node gone since is not brought back).
pub(crate) fn fill_read(list: &mut [Znode], path: &str, read: &ZnodeRead) {
    if let Ok(at) = list.binary_search_by(|n| n.path.as_str().cmp(path)) {
        list[at].read = Some(read.clone());
    }
}

/// Inserts a node in path order, once (a second report only adds what was read).
pub(crate) fn insert_sorted(list: &mut Vec<Znode>, node: &Znode) {
    match list.binary_search_by(|n| n.path.cmp(&node.path)) {
        Err(at) => list.insert(at, node.clone()),
        Ok(_) => {
            if let Some(read) = &node.read {
                fill_read(list, &node.path, read);
            }
        }
    }
}

/// How a lock node is drawn (`data-state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    Holding,
    Waiting,
    /// A careful holder that lost its connection: the node is its, it does not act on it.
    Suspended,
    /// Its client crashed (or otherwise left); ZooKeeper has not removed the node yet.
    Crashed,
    /// Created by a session that is not one of the room's clients.
    External,
    /// Just reported by ZooKeeper; whose it is is being read.
    New,
    /// Its client has finished (`finished:`) and its delete is on its way (or waits its turn
    /// in step mode): the lock is being let go.
    Releasing,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Holding => "holding",
            NodeState::Waiting => "waiting",
            NodeState::Suspended => "suspended",
            NodeState::Crashed => "crashed",
            NodeState::External => "external",
            NodeState::New => "new",
            NodeState::Releasing => "releasing",
        }
    }
}
