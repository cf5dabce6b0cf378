//! One AppServer of the seed: a session that registers `/sgroup/sub` EPHEMERAL_SEQUENTIAL with
//! its address as data, then serves (waits) until it is crashed or closed.

use std::future::Future;

use shared::{CloseReason, RoomEvent};
use zookeeper_client::{Acls, Client, CreateMode};

use super::session::{Session, SessionRole};
use crate::recipes::registry::SERVER_PREFIX;

pub struct AppServerTask {
    pub session: Session,
    /// Its address, the data of its node.
    pub name: String,
}

impl SessionRole for AppServerTask {
    fn session(&mut self) -> &mut Session {
        &mut self.session
    }

    fn act(&mut self, client: &Client) -> impl Future<Output = CloseReason> + Send {
        self.serve(client)
    }
}

impl AppServerTask {
    async fn serve(&mut self, client: &Client) -> CloseReason {
        let id = self.session.id;
        self.session.publish(RoomEvent::ClientConnected {
            client: id,
            session: format!("{:#x}", client.session_id().0),
            timeout_ms: client.session_timeout().as_millis() as u64,
        });
        let options = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
        match client
            .create(SERVER_PREFIX, self.name.as_bytes(), &options)
            .await
        {
            // The seed prints `create: <path>`.
            Ok((_, sequence)) => self.session.publish(RoomEvent::NodeCreatedByClient {
                client: id,
                path: format!("{SERVER_PREFIX}{sequence}"),
            }),
            Err(e) => {
                self.session.publish(RoomEvent::ClientError {
                    client: id,
                    message: e.to_string(),
                });
                return CloseReason::Failed;
            }
        }
        let mut watch = self.session.watch(client);
        loop {
            tokio::select! {
                cmd = self.session.cmds.recv() => {
                    if let Some(reason) = self.session.handle(cmd) {
                        return reason;
                    }
                }
                change = watch.next_change() => {
                    if let Some(reason) = change {
                        return reason;
                    }
                }
            }
        }
    }
}
