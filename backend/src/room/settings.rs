//! What every room of a server shares: its limits, its ZooKeeper, its course and ensembles.

use std::sync::Arc;
use std::time::Duration;

use shared::lesson::Course;
use shared::EnsembleView;
use tokio::sync::watch;

use crate::ensemble::EnsembleControl;
use crate::lesson_ensembles::LessonEnsembles;
use crate::zk::ZkSettings;

/// Students a room keeps (each named connection is one, and every snapshot carries them all).
pub const MAX_STUDENTS: usize = 200;

/// Settings every room shares.
#[derive(Clone, Debug)]
pub struct RoomSettings {
    pub zk: Arc<ZkSettings>,
    /// The sandbox's budget for the room's own recipe, as its lock clients run it.
    pub script_limits: shared::recipe::ScriptLimits,
    /// The server's recipe checks: a lesson's Check takes its place among them.
    pub checks: Arc<crate::checks::Checks>,
    pub max_lock_clients: usize,
    /// AppServers a room may run at once.
    pub max_servers: usize,
    /// AppClients a room may run at once (one starts with the room).
    pub max_app_clients: usize,
    /// Rooms the server runs at once (each holds an observer session).
    pub max_rooms: usize,
    /// Rooms one address may open per hour (`--rooms-per-address`).
    pub rooms_per_address: usize,
    /// Classrooms one address may make per hour.
    pub classrooms_per_address: usize,
    /// A lesson room (`lesson-…`, one learner's) no browser watches for this long ends: a
    /// class behind one address gets its rooms back soon after its learners leave.
    pub lesson_idle_limit: Duration,
    /// Frames a viewer may fall behind before it is resynced with a snapshot.
    pub viewer_queue: usize,
    pub default_hold_ms: u64,
    /// The lessons a room can run.
    pub course: Arc<Course>,
    /// The ensemble as the probe sees it (lesson checks and Do it read it).
    pub ensemble: watch::Receiver<EnsembleView>,
    /// zkplay's own ensemble, whose members a lesson may stop and start.
    pub members: Option<EnsembleControl>,
    /// Ensembles lent to a room for a lesson that stops members; absent: such a lesson runs
    /// on the shared ensemble, for who may stop its members.
    pub lesson_ensembles: Option<LessonEnsembles>,
    /// A room no browser has watched for this long closes its sessions, deletes its nodes
    /// and ends (a lesson link makes a room each time it is opened).
    pub idle_limit: Duration,
    /// Lock clients and AppServers a student may run at once.
    pub student_clients: usize,
    /// Only classrooms run: a hello for any other room is refused.
    pub classroom_only: bool,
    /// Events a room keeps for its recording; older ones fold into where it starts.
    pub history_events: usize,
}

impl RoomSettings {
    /// How long a room of this name lives unwatched: a learner's lesson room briefly, any
    /// other long.
    pub fn idle_limit_of(&self, room: &str) -> Duration {
        if shared::is_lesson_room(room) {
            self.lesson_idle_limit.min(self.idle_limit)
        } else {
            self.idle_limit
        }
    }
}

#[cfg(test)]
impl RoomSettings {
    /// Small limits, no ZooKeeper: for the rooms' pure decisions.
    pub(super) fn for_tests() -> RoomSettings {
        RoomSettings {
            script_limits: shared::recipe::ScriptLimits::default(),
            checks: Arc::new(crate::checks::Checks::new(Default::default())),
            zk: Arc::new(ZkSettings::new("127.0.0.1:9", Duration::from_secs(5))),
            max_lock_clients: 2,
            max_servers: 1,
            max_app_clients: 1,
            max_rooms: 4,
            rooms_per_address: 2,
            classrooms_per_address: 2,
            lesson_idle_limit: Duration::from_secs(60),
            viewer_queue: 8,
            default_hold_ms: 0,
            course: Arc::new(crate::lesson::builtin_course().expect("the course")),
            ensemble: watch::channel(EnsembleView::default()).1,
            members: None,
            lesson_ensembles: None,
            idle_limit: Duration::from_secs(600),
            student_clients: 1,
            classroom_only: false,
            history_events: 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learners_lesson_room_lives_unwatched_briefly_any_other_long() {
        let settings = RoomSettings::for_tests();
        let lesson_room = format!("{}abc", shared::LESSON_ROOM_PREFIX);
        assert_eq!(
            settings.idle_limit_of(&lesson_room),
            Duration::from_secs(60)
        );
        assert_eq!(settings.idle_limit_of("main"), Duration::from_secs(600));
    }
}
