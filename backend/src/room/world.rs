//! The ZooKeeper a room runs on: the server's, which every room shares, or an ensemble of its
//! own, lent for a lesson that stops members; and the room's observer session on it.

use std::sync::Arc;

use shared::EnsembleView;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::settings::RoomSettings;
use crate::ensemble::EnsembleControl;
use crate::lesson_ensembles::LessonEnsemble;
use crate::zk::observer::Observer;
use crate::zk::{Report, ZkSettings};

pub(super) struct World {
    pub(super) zk: Arc<ZkSettings>,
    pub(super) ensemble: watch::Receiver<EnsembleView>,
    pub(super) members: Option<EnsembleControl>,
    /// The room's own ensemble: dropped, its members stop and its slot is free.
    pub(super) own: Option<LessonEnsemble>,
}

impl World {
    fn shared(settings: &RoomSettings) -> World {
        World {
            zk: settings.zk.clone(),
            ensemble: settings.ensemble.clone(),
            members: settings.members.clone(),
            own: None,
        }
    }

    fn own(settings: &RoomSettings, lease: LessonEnsemble) -> World {
        World {
            zk: Arc::new(ZkSettings {
                connect: lease.connect.clone(),
                // A lent ensemble is this room's alone: no other server writes there.
                fence: None,
                ..(*settings.zk).clone()
            }),
            ensemble: lease.view.clone(),
            members: Some(lease.control.clone()),
            own: Some(lease),
        }
    }

    /// The probe's view, saying whose the ensemble is.
    pub(super) fn view(&self) -> EnsembleView {
        EnsembleView {
            own: self.own.is_some(),
            ..self.ensemble.borrow().clone()
        }
    }
}

/// Starts the room's observer on `zk`; sending `true` on the answer stops it.
fn spawn_observer(
    tasks: &mut JoinSet<()>,
    room: String,
    zk: Arc<ZkSettings>,
    events: mpsc::UnboundedSender<Report>,
) -> watch::Sender<bool> {
    let (stop, stop_rx) = watch::channel(false);
    tasks.spawn(
        Observer {
            room,
            zk,
            events,
            stop: stop_rx,
        }
        .run(),
    );
    stop
}

/// Where a room runs, and where it goes at its next reset.
pub(super) struct Place {
    /// The ZooKeeper the room runs on.
    pub(super) world: World,
    /// Bumped at each move to another ensemble, so that the room watches the new one.
    pub(super) generation: u64,
    /// Where the room goes at the end of its next reset: onto its own ensemble, or (`None`)
    /// back to the shared one.
    moving_to: Option<Option<LessonEnsemble>>,
    /// The ensemble the room runs on, for its viewers.
    pub(super) out: watch::Sender<EnsembleView>,
    stop_observer: watch::Sender<bool>,
}

impl Place {
    /// The shared ensemble, with the room's observer on it.
    pub(super) fn shared(
        settings: &RoomSettings,
        room: &str,
        tasks: &mut JoinSet<()>,
        events: mpsc::UnboundedSender<Report>,
    ) -> Place {
        let world = World::shared(settings);
        Place {
            stop_observer: spawn_observer(tasks, room.to_string(), world.zk.clone(), events),
            out: watch::channel(world.view()).0,
            world,
            generation: 0,
            moving_to: None,
        }
    }

    /// Whether the room will run on an ensemble of its own after its next reset.
    pub(super) fn going_own(&self) -> bool {
        match &self.moving_to {
            Some(to) => to.is_some(),
            None => self.world.own.is_some(),
        }
    }

    /// The ensemble the room runs on after its next reset (where it is, if it does not move):
    /// the probe's view of it, and its members if they may be stopped and started. A lesson's
    /// plan works on this one: before the reset it starts the members the lesson will use.
    pub(super) fn next_world(
        &self,
        settings: &RoomSettings,
    ) -> (watch::Receiver<EnsembleView>, Option<EnsembleControl>) {
        match &self.moving_to {
            Some(Some(lease)) => (lease.view.clone(), Some(lease.control.clone())),
            Some(None) => (settings.ensemble.clone(), settings.members.clone()),
            None => (self.world.ensemble.clone(), self.world.members.clone()),
        }
    }

    /// The probe's view of the ensemble of its own the room moves onto at its next reset.
    pub(super) fn upcoming_view(&self) -> Option<watch::Receiver<EnsembleView>> {
        match &self.moving_to {
            Some(Some(lease)) => Some(lease.view.clone()),
            _ => None,
        }
    }

    /// Whether the room runs, or is about to run, on an ensemble of its own.
    pub(super) fn has_own(&self) -> bool {
        self.world.own.is_some() || matches!(self.moving_to, Some(Some(_)))
    }

    /// The room moves onto `lease` at its next reset.
    pub(super) fn adopt(&mut self, lease: LessonEnsemble) {
        self.moving_to = Some(Some(lease));
    }

    /// The room gives its own ensemble back at its next reset; whether it has one to give.
    pub(super) fn leave_own(&mut self) -> bool {
        let own = self.has_own();
        if own {
            self.moving_to = Some(None);
        }
        own
    }

    /// The members of the ensemble the room runs on, and whether they are the room's own.
    pub(super) fn members(&self) -> Option<(EnsembleControl, bool)> {
        let own = self.world.own.is_some();
        self.world.members.clone().map(|control| (control, own))
    }

    /// At the end of a reset: the room, empty, moves where it is going, if anywhere (a new
    /// observer on the new ensemble; the old one's members stop if they were the room's own).
    pub(super) fn arrive(
        &mut self,
        settings: &RoomSettings,
        room: &str,
        tasks: &mut JoinSet<()>,
        events: mpsc::UnboundedSender<Report>,
    ) {
        let Some(to) = self.moving_to.take() else {
            return;
        };
        let _ = self.stop_observer.send(true);
        self.world = match to {
            Some(lease) => World::own(settings, lease),
            None => World::shared(settings),
        };
        self.generation += 1;
        self.stop_observer = spawn_observer(tasks, room.to_string(), self.world.zk.clone(), events);
        self.out.send_replace(self.world.view());
        tracing::info!(%room, connect = %self.world.zk.connect, "the room moves to another ensemble");
    }

    /// The probe saw the ensemble change: viewers are told.
    pub(super) fn changed(&self) {
        self.out.send_replace(self.world.view());
    }

    /// Stops the room's observer (the room ends).
    pub(super) fn stop_observer(&self) {
        let _ = self.stop_observer.send(true);
    }
}
