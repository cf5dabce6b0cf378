//! One AppClient of the seed: its own session, driving an `AppClientRecipe` that keeps the live
//! server list of `/sgroup`.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::future::join_all;
use shared::{CallReply, CloseReason, MoveKind, RoomEvent, SeedPoint, ZkOp};
use zookeeper_client::Client;

use super::session::{fired, retrying, watched_kind, ArmedWatch, Session, SessionRole};
use crate::recipes::registry::{AppClientRecipe, RegistryCall, RegistryInput, RegistryStep};
use shared::REGISTRY_DIR;

pub struct AppClientTask;

impl SessionRole for AppClientTask {
    fn act(
        &mut self,
        session: &mut Session,
        client: &Client,
    ) -> impl Future<Output = CloseReason> + Send {
        self.watch(session, client)
    }
}

impl AppClientTask {
    async fn watch(&mut self, session: &mut Session, client: &Client) -> CloseReason {
        let mut recipe = AppClientRecipe::new(session.id);
        let mut watch = session.watch(client);
        let mut armed: Option<ArmedWatch> = None;
        let mut steps: VecDeque<RegistryStep> = recipe
            .on(RegistryInput::Connected {
                session: client.session_id().0,
                timeout_ms: client.session_timeout().as_millis() as u64,
            })
            .into();
        let gate = session.gate();
        loop {
            while let Some(step) = steps.pop_front() {
                match step {
                    RegistryStep::Publish(event) => session.publish(event),
                    RegistryStep::Call(call) => {
                        let (kind, point) = call.as_move();
                        let path = Some(REGISTRY_DIR.to_string());
                        if let Err(reason) = session.pass(kind, point, path).await {
                            return reason;
                        }
                        for (op, path) in call.ops() {
                            session.publish(RoomEvent::CallSent {
                                client: session.id,
                                op,
                                path,
                                line: None,
                            });
                        }
                        let (input, answers) = execute(client, call, &mut armed).await;
                        for (op, path, reply) in answers {
                            let client = session.id;
                            let zxid = None;
                            session.publish(RoomEvent::CallAnswered {
                                client,
                                op,
                                path,
                                reply,
                                zxid,
                            });
                        }
                        steps.extend(recipe.on(input));
                    }
                    RegistryStep::Close(reason) => return reason,
                }
            }
            gate.rest();
            tokio::select! {
                event = fired(&mut armed) => {
                    armed = None;
                    let path = Some(event.path.clone());
                    if let Err(reason) = session.pass(MoveKind::Notification, SeedPoint::Notified, path).await {
                        return reason;
                    }
                    steps.extend(recipe.on(RegistryInput::WatchFired {
                        path: event.path.clone(),
                        kind: watched_kind(&event),
                    }));
                }
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

/// What ZooKeeper answered each call of a batch: the method, the path, and how.
type Answers = Vec<(ZkOp, String, CallReply)>;

/// Makes the recipe's call (a listing, or the reads of a listing's nodes, pipelined) and
/// turns the results into the recipe's next input, with ZooKeeper's answer to each call.
async fn execute(
    client: &Client,
    call: RegistryCall,
    armed: &mut Option<ArmedWatch>,
) -> (RegistryInput, Answers) {
    let failed = |e: zookeeper_client::Error| RegistryInput::Failed {
        message: e.to_string(),
    };
    let listing = |reply| vec![(ZkOp::GetChildren, REGISTRY_DIR.to_string(), reply)];
    match call {
        RegistryCall::ListAndWatch => {
            match retrying(client, || client.list_and_watch_children(REGISTRY_DIR)).await {
                Ok((names, watcher)) => {
                    *armed = Some(Box::pin(watcher.changed()));
                    (RegistryInput::Children { names }, listing(CallReply::Ok))
                }
                Err(e) => (failed(e), listing(CallReply::Failed)),
            }
        }
        RegistryCall::ReadAll { paths } => read_all(client, paths).await,
    }
}

async fn read_all(client: &Client, paths: Vec<String>) -> (RegistryInput, Answers) {
    let answer = |path: &String, reply| (ZkOp::GetData, path.clone(), reply);
    // Requests go out in call order, so these are pipelined.
    let reads = retrying(client, || async {
        let reads = join_all(paths.iter().map(|p| client.get_data(p))).await;
        // A lost connection fails the rest of the batch: read it all again.
        match reads
            .iter()
            .any(|r| matches!(r, Err(zookeeper_client::Error::ConnectionLoss)))
        {
            true => Err(zookeeper_client::Error::ConnectionLoss),
            false => Ok(reads),
        }
    })
    .await;
    let reads = match reads {
        Ok(reads) => reads,
        Err(e) => {
            let answers = paths.iter().map(|p| answer(p, CallReply::Failed)).collect();
            let message = e.to_string();
            return (RegistryInput::Failed { message }, answers);
        }
    };
    let mut addresses = Vec::new();
    let mut answers = Vec::new();
    let mut failure = None;
    for (path, read) in paths.iter().zip(reads) {
        match read {
            Ok((data, _)) => {
                addresses.push(String::from_utf8_lossy(&data).into_owned());
                answers.push(answer(path, CallReply::Ok));
            }
            // A server that left between the listing and the read: the watch just
            // armed reports its leaving, and the next line leaves it out.
            Err(zookeeper_client::Error::NoNode) => answers.push(answer(path, CallReply::NoNode)),
            Err(e) => {
                answers.push(answer(path, CallReply::Failed));
                failure.get_or_insert(e.to_string());
            }
        }
    }
    match failure {
        Some(message) => (RegistryInput::Failed { message }, answers),
        None => (RegistryInput::Servers { addresses }, answers),
    }
}
