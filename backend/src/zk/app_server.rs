//! One AppServer of the seed: a session that registers `/sgroup/sub` EPHEMERAL_SEQUENTIAL with
//! its address as data, then serves (waits) until it is crashed or closed.

use std::future::Future;

use shared::{CloseReason, MoveKind, RoomEvent, SeedPoint};
use zookeeper_client::Client;

use super::session::{create_sequential, Session, SessionRole};
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
            session: shared::SessionId(client.session_id().0),
            timeout_ms: client.session_timeout().as_millis() as u64,
        });
        let into = Some(SERVER_PREFIX.to_string());
        if let Err(reason) = self
            .session
            .pass(MoveKind::Create, SeedPoint::Create, into)
            .await
        {
            return reason;
        }
        match create_sequential(client, SERVER_PREFIX, self.name.as_bytes()).await {
            // The seed prints `create: <path>`.
            Ok((path, _)) => self
                .session
                .publish(RoomEvent::NodeCreatedByClient { client: id, path }),
            Err(e) => {
                self.session.publish(RoomEvent::ClientError {
                    client: id,
                    message: e.to_string(),
                });
                return CloseReason::Failed;
            }
        }
        let mut watch = self.session.watch(client);
        self.session.gate().rest();
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
