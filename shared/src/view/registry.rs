//! The live server list: the children of `/sgroup`, the room's AppServers, and its AppClients
//! with the lines they printed.

use serde::{Deserialize, Serialize};

use crate::event::RoomEvent;

use crate::kinds::ClientId;
use crate::session::SessionId;
use crate::znode::{fill_read, insert_sorted, Znode, REGISTRY_DIR};

/// How many lines an app client's log keeps.
pub const APP_LOG_CAPACITY: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// Children of `/sgroup`, in sequence order.
    pub nodes: Vec<Znode>,
    /// The room's AppServers, by id.
    pub servers: Vec<ServerView>,
    /// The room's AppClients, by id.
    pub app_clients: Vec<AppClientView>,
}

/// An AppServer: registered under `/sgroup` with its name as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerView {
    pub id: ClientId,
    pub name: String,
    pub session: Option<SessionId>,
    pub timeout_ms: Option<u64>,
    pub path: Option<String>,
}

/// An AppClient and the lines it printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClientView {
    pub id: ClientId,
    pub session: Option<SessionId>,
    /// `server list updated: [...]` lines, oldest first, at most `APP_LOG_CAPACITY`.
    pub lines: Vec<String>,
}

impl Registry {
    /// The room's AppServer whose session owns this registry node, if any.
    pub fn server_owner(&self, node: &Znode) -> Option<&ServerView> {
        match node.owner_session() {
            Some(owner) => self.servers.iter().find(|s| s.session == Some(owner)),
            None => self
                .servers
                .iter()
                .find(|s| s.path.as_deref() == Some(node.path.as_str())),
        }
    }

    pub fn server(&self, id: ClientId) -> Option<&ServerView> {
        self.servers.iter().find(|s| s.id == id)
    }

    pub fn app_client(&self, id: ClientId) -> Option<&AppClientView> {
        self.app_clients.iter().find(|a| a.id == id)
    }

    /// Removes a server or app client; returns its session and timeout if it was one.
    pub(super) fn remove_client(
        &mut self,
        id: ClientId,
    ) -> Option<(Option<SessionId>, Option<u64>)> {
        if let Some(at) = self.servers.iter().position(|s| s.id == id) {
            let s = self.servers.remove(at);
            return Some((s.session, s.timeout_ms));
        }
        let at = self.app_clients.iter().position(|a| a.id == id)?;
        Some((self.app_clients.remove(at).session, None))
    }

    pub fn apply(&mut self, event: &RoomEvent) {
        match event {
            RoomEvent::ServerAdded { client, name, .. } => self.servers.push(ServerView {
                id: *client,
                name: name.clone(),
                session: None,
                timeout_ms: None,
                path: None,
            }),
            RoomEvent::AppClientAdded { client } => self.app_clients.push(AppClientView {
                id: *client,
                session: None,
                lines: Vec::new(),
            }),
            RoomEvent::ClientConnected {
                client,
                session,
                timeout_ms,
            } => {
                if let Some(s) = self.servers.iter_mut().find(|s| s.id == *client) {
                    s.session = Some(*session);
                    s.timeout_ms = Some(*timeout_ms);
                } else if let Some(a) = self.app_clients.iter_mut().find(|a| a.id == *client) {
                    a.session = Some(*session);
                }
            }
            RoomEvent::NodeCreatedByClient { client, path } => {
                if let Some(s) = self.servers.iter_mut().find(|s| s.id == *client) {
                    s.path = Some(path.clone());
                }
            }
            RoomEvent::ServerListUpdated { client, servers } => {
                if let Some(a) = self.app_clients.iter_mut().find(|a| a.id == *client) {
                    if a.lines.len() == APP_LOG_CAPACITY {
                        a.lines.remove(0);
                    }
                    a.lines.push(crate::seed::server_list_line(
                        servers.iter().map(String::as_str),
                    ));
                }
            }
            RoomEvent::ZnodeAdded { node } if node.path.starts_with(REGISTRY_DIR) => {
                insert_sorted(&mut self.nodes, node);
            }
            RoomEvent::ZnodeRead { path, read } if path.starts_with(REGISTRY_DIR) => {
                fill_read(&mut self.nodes, path, read);
            }
            RoomEvent::ZnodeRemoved { path } => self.nodes.retain(|n| &n.path != path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_register_and_app_clients_print_the_seeds_lines() {
        let mut r = Registry::default();
        let events = [
            RoomEvent::ServerAdded {
                client: 2,
                name: "server0000".into(),
                owner: None,
            },
            RoomEvent::AppClientAdded { client: 1 },
            RoomEvent::ClientConnected {
                client: 2,
                session: SessionId(2),
                timeout_ms: 5000,
            },
            RoomEvent::ZnodeAdded {
                node: Znode::read("/sgroup/sub0000000000", 7, SessionId(2), "server0000"),
            },
            RoomEvent::ZnodeAdded {
                node: Znode::read("/locks/sub0000000000", 8, SessionId(3), ""),
            },
            RoomEvent::ServerListUpdated {
                client: 1,
                servers: vec![],
            },
            RoomEvent::ServerListUpdated {
                client: 1,
                servers: vec!["server0000".into()],
            },
        ];
        for e in &events {
            r.apply(e);
        }
        assert_eq!(r.nodes.len(), 1, "lock nodes are not registry nodes");
        assert_eq!(r.server_owner(&r.nodes[0]).unwrap().name, "server0000");
        assert_eq!(
            r.app_client(1).unwrap().lines,
            [
                "server list updated: []",
                "server list updated: [server0000]"
            ]
        );
        assert_eq!(r.remove_client(2), Some((Some(SessionId(2)), Some(5000))));
        assert!(r.server_owner(&r.nodes[0]).is_none());
    }
}
