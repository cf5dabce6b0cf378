//! The seed's live server list: the AppClient's `updateServerList` as a state machine.
//!
//! On start and on every NodeChildrenChanged of `/sgroup`, the client lists `/sgroup` with a
//! children watch (one-shot, so it re-arms each time), reads every child's data (the server's
//! address) and prints `server list updated: [server0000, server0001]`.

use shared::{
    ClientId, CloseReason, MoveKind, RoomEvent, SeedPoint, WatchCall, WatchedKind, ZkOp,
    REGISTRY_DIR,
};

/// The prefix of every AppServer's node.
pub const SERVER_PREFIX: &str = "/sgroup/sub";

/// A ZooKeeper call the AppClient wants made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryCall {
    /// `getChildren(REGISTRY_DIR, true)` → [`RegistryInput::Children`].
    ListAndWatch,
    /// `getData` of each child, in order → [`RegistryInput::Servers`]; children gone by then
    /// are left out.
    ReadAll { paths: Vec<String> },
}

impl RegistryCall {
    /// The calls as the seed's Java makes them: the method and the path of each.
    pub fn ops(&self) -> Vec<(ZkOp, String)> {
        match self {
            RegistryCall::ListAndWatch => vec![(ZkOp::GetChildren, REGISTRY_DIR.to_string())],
            RegistryCall::ReadAll { paths } => {
                paths.iter().map(|p| (ZkOp::GetData, p.clone())).collect()
            }
        }
    }

    /// What the call is as a move at the room's gate, and the seed line it is.
    pub fn as_move(&self) -> (MoveKind, SeedPoint) {
        match self {
            RegistryCall::ListAndWatch => (MoveKind::GetChildren, SeedPoint::GetChildren),
            RegistryCall::ReadAll { .. } => (MoveKind::GetData, SeedPoint::ReadData),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryStep {
    Call(RegistryCall),
    Publish(RoomEvent),
    Close(CloseReason),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryInput {
    Connected { session: i64, timeout_ms: u64 },
    Children { names: Vec<String> },
    Servers { addresses: Vec<String> },
    WatchFired { path: String, kind: WatchedKind },
    Failed { message: String },
}

/// One AppClient.
#[derive(Clone, Debug)]
pub struct AppClientRecipe {
    client: ClientId,
}

impl AppClientRecipe {
    pub fn new(client: ClientId) -> Self {
        AppClientRecipe { client }
    }

    pub fn on(&mut self, input: RegistryInput) -> Vec<RegistryStep> {
        use RegistryStep::{Call, Publish};
        let client = self.client;
        match input {
            RegistryInput::Connected {
                session,
                timeout_ms,
            } => vec![
                Publish(RoomEvent::ClientConnected {
                    client,
                    session: shared::SessionId(session),
                    timeout_ms,
                }),
                Call(RegistryCall::ListAndWatch),
            ],
            RegistryInput::Children { mut names } => {
                // ZooKeeper lists children in no particular order; the seed's output shows them
                // in sequence order, so sort them as it appears to.
                names.sort();
                let paths = names
                    .iter()
                    .map(|n| format!("{REGISTRY_DIR}/{n}"))
                    .collect();
                vec![
                    Publish(RoomEvent::children_listed(client, REGISTRY_DIR, &names)),
                    Publish(RoomEvent::WatchSet {
                        client,
                        path: REGISTRY_DIR.into(),
                        call: WatchCall::GetChildren,
                    }),
                    Call(RegistryCall::ReadAll { paths }),
                ]
            }
            RegistryInput::Servers { addresses } => vec![Publish(RoomEvent::ServerListUpdated {
                client,
                servers: addresses,
            })],
            RegistryInput::WatchFired { path, kind } => {
                let mut steps = vec![Publish(RoomEvent::WatchFired {
                    client,
                    path: path.clone(),
                    event: kind,
                })];
                if kind == WatchedKind::NodeChildrenChanged && path == REGISTRY_DIR {
                    steps.push(Call(RegistryCall::ListAndWatch));
                }
                steps
            }
            RegistryInput::Failed { message } => vec![
                Publish(RoomEvent::ClientError { client, message }),
                RegistryStep::Close(CloseReason::Failed),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_relists_rewatches_rereads_and_prints() {
        let mut r = AppClientRecipe::new(4);
        let steps = r.on(RegistryInput::Connected {
            session: 1,
            timeout_ms: 5000,
        });
        assert_eq!(
            steps.last(),
            Some(&RegistryStep::Call(RegistryCall::ListAndWatch))
        );
        let steps = r.on(RegistryInput::Children {
            names: vec!["sub0000000001".into(), "sub0000000000".into()],
        });
        assert_eq!(
            steps.last(),
            Some(&RegistryStep::Call(RegistryCall::ReadAll {
                paths: vec![
                    "/sgroup/sub0000000000".into(),
                    "/sgroup/sub0000000001".into()
                ]
            }))
        );
        let steps = r.on(RegistryInput::Servers {
            addresses: vec!["server0000".into(), "server0001".into()],
        });
        assert_eq!(
            steps,
            vec![RegistryStep::Publish(RoomEvent::ServerListUpdated {
                client: 4,
                servers: vec!["server0000".into(), "server0001".into()]
            })]
        );
        let steps = r.on(RegistryInput::WatchFired {
            path: "/sgroup".into(),
            kind: WatchedKind::NodeChildrenChanged,
        });
        assert_eq!(
            steps.last(),
            Some(&RegistryStep::Call(RegistryCall::ListAndWatch))
        );
    }

    #[test]
    fn a_session_event_is_reported_but_does_not_relist() {
        let mut r = AppClientRecipe::new(4);
        let steps = r.on(RegistryInput::WatchFired {
            path: String::new(),
            kind: WatchedKind::Session,
        });
        assert_eq!(steps.len(), 1);
    }
}
