//! One AppServer of the seed: a session that registers `/sgroup/sub` EPHEMERAL_SEQUENTIAL with
//! its address as data, then serves (waits) until it is crashed or closed.

use std::future::Future;

use shared::{CallReply, CloseReason, MoveKind, RoomEvent, SeedPoint, ZkOp};
use zookeeper_client::Client;

use super::session::{create_sequential, Session, SessionRole};
use crate::recipes::registry::SERVER_PREFIX;

pub struct AppServerTask {
    /// Its address, the data of its node.
    pub name: String,
}

impl SessionRole for AppServerTask {
    fn act(
        &mut self,
        session: &mut Session,
        client: &Client,
    ) -> impl Future<Output = CloseReason> + Send {
        self.serve(session, client)
    }
}

impl AppServerTask {
    async fn serve(&mut self, session: &mut Session, client: &Client) -> CloseReason {
        let id = session.id;
        session.publish(RoomEvent::ClientConnected {
            client: id,
            session: shared::SessionId(client.session_id().0),
            timeout_ms: client.session_timeout().as_millis() as u64,
        });
        let into = Some(SERVER_PREFIX.to_string());
        if let Err(reason) = session
            .pass(MoveKind::Create, SeedPoint::Create, into)
            .await
        {
            return reason;
        }
        session.publish(RoomEvent::CallSent {
            client: id,
            op: ZkOp::Create,
            path: SERVER_PREFIX.to_string(),
            line: None,
        });
        let created = create_sequential(client, SERVER_PREFIX, self.name.as_bytes()).await;
        let (path, reply, zxid) = match &created {
            Ok((path, czxid)) => (path.clone(), CallReply::Ok, Some(*czxid)),
            Err(_) => (SERVER_PREFIX.to_string(), CallReply::Failed, None),
        };
        session.publish(RoomEvent::CallAnswered {
            client: id,
            op: ZkOp::Create,
            path,
            reply,
            zxid,
        });
        match created {
            // The seed prints `create: <path>`.
            Ok((path, _)) => session.publish(RoomEvent::NodeCreatedByClient { client: id, path }),
            Err(e) => {
                session.publish(RoomEvent::ClientError {
                    client: id,
                    message: e.to_string(),
                });
                return CloseReason::Failed;
            }
        }
        let mut watch = session.watch(client);
        session.gate().rest();
        loop {
            tokio::select! {
                cmd = session.cmds.recv() => {
                    if let Some(reason) = session.handle(cmd) {
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
