//! The room's ZooKeeper sessions: one task per lock client, AppServer and AppClient, the
//! commands each is sent, and the rules for adding one (limits, a student's share, not while
//! the room empties or switches recipes). The sessions themselves live in [`crate::zk`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shared::classroom::StudentId;
use shared::{ClientId, CloseReason, LockRecipeKind, RoomEvent, RoomView};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::error::RoomError;
use super::settings::RoomSettings;
use crate::recipes::lock::script::Program;
use crate::recipes::lock::RoomRecipe;
use crate::zk::app_client::AppClientTask;
use crate::zk::app_server::AppServerTask;
use crate::zk::lock_client::LockClientTask;
use crate::zk::session::{self, Clock, Session, SessionCmd};
use crate::zk::{Report, ZkSettings};

/// How long closing sessions may take when the room ends before they are aborted.
const CLOSE_LIMIT: Duration = Duration::from_secs(10);

/// A client to add, and whose it is if a student adds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum NewClient {
    Lock(Option<StudentId>),
    /// An AppServer, with the name it registers (a default one if none).
    Server(Option<String>, Option<StudentId>),
    App,
}

pub(super) struct Sessions {
    /// Every running session of the room by id, and how to command it.
    senders: HashMap<ClientId, mpsc::Sender<SessionCmd>>,
    next_client: ClientId,
    /// Servers added so far, for default names.
    next_server: u32,
    /// Set while the lock clients close for a recipe switch.
    switching_to: Option<LockRecipeKind>,
    /// The room's own recipe, compiled: what its lock clients run when the room's recipe is
    /// [`LockRecipeKind::Script`].
    script: Option<Arc<Program>>,
    hold_ms: watch::Sender<u64>,
    /// Whether holders suspend while disconnected.
    suspend: watch::Sender<bool>,
    pub(super) tasks: JoinSet<()>,
    /// Where every session (and the observer, and a sweep) reports.
    pub(super) events: mpsc::UnboundedSender<Report>,
}

impl Sessions {
    pub(super) fn new(hold_ms: u64, events: mpsc::UnboundedSender<Report>) -> Self {
        Sessions {
            senders: HashMap::new(),
            next_client: 1,
            next_server: 0,
            switching_to: None,
            script: None,
            hold_ms: watch::channel(hold_ms).0,
            suspend: watch::channel(false).0,
            tasks: JoinSet::new(),
            events,
        }
    }

    /// Whether every session has closed.
    pub(super) fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }

    /// Starts a session for `new`: its id, and the event that says it was added.
    pub(super) fn add(
        &mut self,
        new: NewClient,
        view: &RoomView,
        zk: Arc<ZkSettings>,
        clock: watch::Receiver<Clock>,
    ) -> (ClientId, RoomEvent) {
        let id = self.next_client;
        self.next_client += 1;
        let (tx, rx) = mpsc::channel(8);
        self.senders.insert(id, tx);
        let session = Session::new(id, view.room.clone(), zk, self.events.clone(), rx, clock);
        match new {
            NewClient::Lock(owner) => {
                self.tasks.spawn(session::run(
                    session,
                    LockClientTask {
                        recipe: RoomRecipe {
                            kind: view.recipe,
                            script: self.script.clone(),
                        },
                        hold_ms: self.hold_ms.subscribe(),
                        suspend: self.suspend.subscribe(),
                    },
                ));
                (id, RoomEvent::ClientAdded { client: id, owner })
            }
            NewClient::Server(name, owner) => {
                let name = name.unwrap_or_else(|| format!("server{:04}", self.next_server));
                self.next_server += 1;
                let added = RoomEvent::ServerAdded {
                    client: id,
                    name: name.clone(),
                    owner,
                };
                self.tasks
                    .spawn(session::run(session, AppServerTask { name }));
                (id, added)
            }
            NewClient::App => {
                self.tasks.spawn(session::run(session, AppClientTask));
                (id, RoomEvent::AppClientAdded { client: id })
            }
        }
    }

    /// Sends a command to a client's session.
    pub(super) fn command(&self, client: ClientId, cmd: SessionCmd) -> Result<(), RoomError> {
        let sender = self
            .senders
            .get(&client)
            .ok_or(RoomError::NoSuchClient(client))?;
        // A full queue means the session already has commands to act on; one more adds nothing.
        let _ = sender.try_send(cmd);
        Ok(())
    }

    /// Tells a session to close, even if its command queue is full: a close must arrive.
    fn close(&self, client: ClientId, reason: CloseReason) {
        let Some(sender) = self.senders.get(&client) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(cmd)) =
            sender.try_send(SessionCmd::Close(reason))
        {
            let sender = sender.clone();
            tokio::spawn(async move {
                let _ = sender.send(cmd).await;
            });
        }
    }

    /// Every session closes (the room empties); a recipe switch under way is dropped.
    pub(super) fn close_all(&mut self, reason: CloseReason) {
        self.switching_to = None;
        for &id in self.senders.keys() {
            self.close(id, reason);
        }
    }

    /// A session has closed.
    pub(super) fn closed(&mut self, client: ClientId) {
        self.senders.remove(&client);
    }

    /// Whether the room is switching recipes.
    pub(super) fn switching(&self) -> bool {
        self.switching_to.is_some()
    }

    /// The lock clients close; the new recipe takes effect once they are all gone, so the
    /// queue starts afresh: the event that says so if it is empty already. A new program of
    /// the room's own switches even from the room's own.
    pub(super) fn switch(&mut self, recipe: LockRecipeKind, view: &RoomView) -> Option<RoomEvent> {
        if recipe == view.recipe && self.switching_to.is_none() && recipe != LockRecipeKind::Script
        {
            return None;
        }
        self.switching_to = Some(recipe);
        for client in &view.locks.clients {
            self.close(client.id, CloseReason::RecipeSwitched);
        }
        self.finish_switch(view)
    }

    /// The recipe the room switches to, once its last lock client is gone.
    pub(super) fn finish_switch(&mut self, view: &RoomView) -> Option<RoomEvent> {
        if !view.locks.clients.is_empty() {
            return None;
        }
        let recipe = self.switching_to.take()?;
        Some(RoomEvent::RecipeChanged { recipe })
    }

    /// The room's own recipe, which its lock clients run from the next switch to it on.
    pub(super) fn load_script(&mut self, program: Arc<Program>) {
        self.script = Some(program);
    }

    pub(super) fn set_hold(&self, hold_ms: u64) {
        self.hold_ms.send_replace(hold_ms);
    }

    pub(super) fn set_suspend(&self, on: bool) {
        self.suspend.send_replace(on);
    }

    /// The room starts afresh: server names start again, as the seed's do. Client numbers go
    /// on (a pause's timer of a closed client must not reach a new one).
    pub(super) fn start_afresh(&mut self) {
        self.next_server = 0;
    }

    /// Reaps finished tasks so the set does not grow.
    pub(super) fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
    }

    /// The room ends: every session closes (aborted after [`CLOSE_LIMIT`]).
    pub(super) async fn close_down(&mut self, room: &str) {
        for sender in self.senders.values() {
            let _ = sender.try_send(SessionCmd::Close(CloseReason::Shutdown));
        }
        let drained = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Err(e) = joined {
                    tracing::warn!("room task failed: {e}");
                }
            }
        };
        if tokio::time::timeout(CLOSE_LIMIT, drained).await.is_err() {
            tracing::warn!(%room, "sessions still closing after {CLOSE_LIMIT:?}; aborting them");
            self.tasks.abort_all();
        }
    }
}

/// Whether the room may add `new` now: not while it empties itself or switches recipes (for a
/// lock client), within the room's limits and the student's share.
pub(super) fn may_add(
    new: &NewClient,
    view: &RoomView,
    settings: &RoomSettings,
    resetting: bool,
    switching: bool,
) -> Result<(), RoomError> {
    if resetting {
        return Err(RoomError::Resetting);
    }
    let owner = match new {
        NewClient::Lock(owner) | NewClient::Server(_, owner) => *owner,
        NewClient::App => None,
    };
    if matches!(new, NewClient::Lock(_)) && switching {
        return Err(RoomError::Switching);
    }
    let share = settings.student_clients;
    if owner.is_some_and(|student| view.classroom.clients_of(student) >= share) {
        return Err(RoomError::StudentLimit(share));
    }
    let (what, running, limit) = match new {
        NewClient::Lock(_) => (
            "lock clients",
            view.locks.clients.len(),
            settings.max_lock_clients,
        ),
        NewClient::Server(..) => ("servers", view.registry.servers.len(), settings.max_servers),
        NewClient::App => (
            "app clients",
            view.registry.app_clients.len(),
            settings.max_app_clients,
        ),
    };
    if running >= limit {
        return Err(RoomError::Full(what, limit));
    }
    Ok(())
}

/// A pause or a partition, unless the client's link is already frozen or cut.
pub(super) fn may_cut_link(view: &RoomView, client: ClientId) -> Result<(), RoomError> {
    let busy = view
        .sessions
        .liveness(client)
        .is_some_and(|l| l.frozen_until.is_some() || l.partitioned_until.is_some());
    if busy {
        return Err(RoomError::LinkBusy(client));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(view: &mut RoomView, client: ClientId, owner: Option<StudentId>) {
        let seq = view.seq + 1;
        view.apply(seq, seq, &RoomEvent::ClientAdded { client, owner });
    }

    #[test]
    fn a_client_is_added_within_the_rooms_limits_and_the_students_share() {
        let settings = RoomSettings::for_tests();
        let mut view = RoomView::new("r", 0);
        let may = |new: NewClient, view: &RoomView| may_add(&new, view, &settings, false, false);
        assert_eq!(may(NewClient::Lock(Some(1)), &view), Ok(()));
        added(&mut view, 1, Some(1));
        assert_eq!(
            may(NewClient::Lock(Some(1)), &view),
            Err(RoomError::StudentLimit(1))
        );
        assert_eq!(
            may(NewClient::Server(None, Some(1)), &view),
            Err(RoomError::StudentLimit(1)),
            "a student's share counts servers too"
        );
        assert_eq!(may(NewClient::Lock(Some(2)), &view), Ok(()));
        added(&mut view, 2, None);
        assert_eq!(
            may(NewClient::Lock(None), &view),
            Err(RoomError::Full("lock clients", 2))
        );
        assert_eq!(may(NewClient::App, &view), Ok(()));
    }

    #[test]
    fn nothing_is_added_while_the_room_empties_and_no_lock_client_while_it_switches() {
        let settings = RoomSettings::for_tests();
        let view = RoomView::new("r", 0);
        for new in [
            NewClient::Lock(None),
            NewClient::Server(None, None),
            NewClient::App,
        ] {
            assert_eq!(
                may_add(&new, &view, &settings, true, false),
                Err(RoomError::Resetting)
            );
        }
        assert_eq!(
            may_add(&NewClient::Lock(None), &view, &settings, false, true),
            Err(RoomError::Switching)
        );
        assert_eq!(
            may_add(
                &NewClient::Server(None, None),
                &view,
                &settings,
                false,
                true
            ),
            Ok(())
        );
    }
}
