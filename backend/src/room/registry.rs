//! Every room of the server: started on first use, found by name, ended when idle, and the
//! limits on how many run and how many one address holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use shared::classroom::{Role, RoomKind};

use super::actor::RoomActor;
use super::error::RoomError;
use super::handle::{JoinAs, Joined, RoomCmd, RoomHandle, Running};
use super::settings::RoomSettings;
use crate::admission::{address_key, QuotaSpent, RoomQuota, RoomsHeld};
use crate::classroom::{ClassroomError, Classrooms, KeyCheck, NewClassroom};
use crate::fleet::{Fleet, Place};
use crate::zk::fleet::Fence;

/// Every room of the server, created on first use, and the classrooms among them.
pub struct Rooms {
    settings: RoomSettings,
    classrooms: Classrooms,
    rooms: Mutex<HashMap<String, Running>>,
    /// Classrooms made per address in the last hour.
    quota: RoomQuota,
    /// In a fleet, a room runs here only while this server holds its lock.
    fleet: Option<Arc<Fleet>>,
}

impl Rooms {
    pub fn new(settings: RoomSettings, classrooms: Classrooms, fleet: Option<Arc<Fleet>>) -> Self {
        Rooms {
            quota: RoomQuota::new(settings.classrooms_per_address),
            settings,
            classrooms,
            rooms: Mutex::new(HashMap::new()),
            fleet,
        }
    }

    /// A new classroom: made here and, in a fleet, kept where every server reads it (a name
    /// another server took meanwhile is given up for another).
    pub async fn make_classroom(&self) -> Result<NewClassroom, ClassroomError> {
        const TRIES: usize = 8;
        for _ in 0..TRIES {
            let made = self.classrooms.create(|name| self.is_running(name))?;
            let Some(fleet) = &self.fleet else {
                return Ok(made);
            };
            let record = self.classrooms.record(&made.room).unwrap_or_default();
            match fleet.share_classroom(&made.room, &record).await {
                Ok(true) => return Ok(made),
                Ok(false) => self.classrooms.forget(&made.room),
                Err(e) => {
                    self.classrooms.forget(&made.room);
                    return Err(ClassroomError::Unshared(e.to_string()));
                }
            }
        }
        Err(ClassroomError::NoFreeName(TRIES))
    }

    /// In a fleet, learns whether `name` is a classroom another server made, before its key is
    /// checked. Unread, it is not taken for an open room: a classroom would lose its roles.
    pub async fn learn_classroom(&self, name: &str) -> Result<(), RoomError> {
        let Some(fleet) = &self.fleet else {
            return Ok(());
        };
        if self.classrooms.is_classroom(name) {
            return Ok(());
        }
        if let Some(record) = fleet.classroom(name).await? {
            if !self.classrooms.remember(name, &record) {
                tracing::warn!(room = %name, "the fleet's record of this classroom is unreadable");
            }
        }
        Ok(())
    }

    /// Starts a room whose lock this server came to hold (a takeover: the owner before it died
    /// or left), unless it runs already.
    pub async fn start_owned(&self, name: &str) {
        let started = async {
            self.learn_classroom(name).await?;
            let kind = match self.classrooms.check(name, None) {
                KeyCheck::Open => RoomKind::Open,
                _ => RoomKind::Classroom,
            };
            self.get_or_start(name, kind, None).await
        };
        match started.await {
            Ok(_) | Err(RoomError::Elsewhere(_)) => {}
            Err(e) => {
                tracing::warn!(room = %name, "a room this server came to own did not start: {e}; the next server in its queue takes it");
                if let Some(fleet) = &self.fleet {
                    fleet.release(name);
                }
            }
        }
    }

    /// Where the room must run: here, with its fence in a fleet; or elsewhere.
    async fn place(&self, name: &str) -> Result<Option<Fence>, RoomError> {
        let Some(fleet) = &self.fleet else {
            return Ok(None);
        };
        match fleet.place(name).await? {
            Place::Here(fence) => Ok(Some(fence)),
            Place::There(url) => Err(RoomError::Elsewhere(url)),
        }
    }

    pub fn settings(&self) -> &RoomSettings {
        &self.settings
    }

    pub fn classrooms(&self) -> &Classrooms {
        &self.classrooms
    }

    /// Whether a room of this name runs (or is still ending).
    pub fn is_running(&self, name: &str) -> bool {
        let rooms = self.rooms.lock().expect("rooms lock");
        rooms.get(name).is_some_and(|r| !r.ended())
    }

    /// The room of this name if it runs; none is started.
    pub fn running(&self, name: &str) -> Option<RoomHandle> {
        let rooms = self.rooms.lock().expect("rooms lock");
        rooms
            .get(name)
            .filter(|r| !r.ended() && !r.ending())
            .map(|r| r.handle.clone())
    }

    /// Counts a classroom made against the address that asks for it.
    pub fn spend_quota(&self, from: IpAddr) -> Result<(), QuotaSpent> {
        self.quota.spend(from, tokio::time::Instant::now())
    }

    /// Joins the room a hello from `from` names as the hello asks: a classroom's teacher (the
    /// right key), its viewer (the viewer link, or a wrong key: `wrong_key` says so), or a
    /// student; in any other room, as anyone. A room that does not run is opened for `from`,
    /// and counts among the rooms it holds while it runs, unless it is a classroom (counted when
    /// it was made).
    pub async fn join(
        &self,
        name: &str,
        key: Option<&str>,
        viewer: bool,
        token: Option<String>,
        from: IpAddr,
    ) -> Result<(RoomHandle, Joined, bool), RoomError> {
        self.learn_classroom(name).await?;
        let check = self.classrooms.check(name, key);
        let (role, kind, wrong_key) = admit(
            name,
            check,
            key.is_some(),
            viewer,
            self.settings.classroom_only,
        )?;
        let join = JoinAs { role, token };
        // A room that began to end after it was found takes no join: the next one does.
        for _ in 0..2 {
            let opener = (kind == RoomKind::Open).then_some(from);
            let handle = self.get_or_start(name, kind, opener).await?;
            match handle.join(join.clone()).await {
                Ok(joined) => return Ok((handle, joined, wrong_key)),
                Err(RoomError::Closed) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(RoomError::Closed)
    }

    /// The room called `name` (already validated), started if it was not running, held by
    /// `opener` if one is named (at most `rooms_per_address` at once). A room that is ending is
    /// waited for: a new one must not meet the old one's deletions.
    pub async fn get_or_start(
        &self,
        name: &str,
        kind: RoomKind,
        opener: Option<IpAddr>,
    ) -> Result<RoomHandle, RoomError> {
        loop {
            // Placed afresh each time: a room that ended here gave its seat up, and the one
            // after it takes a new seat (and a new fence).
            let fence = self.place(name).await?;
            let (mut ended, old_fence) = {
                let mut rooms = self.rooms.lock().expect("rooms lock");
                match rooms.get(name) {
                    Some(r) if !r.ended() && !r.ending() => return Ok(r.handle.clone()),
                    Some(r) if !r.ended() => (r.ended.clone(), r.fence.clone()),
                    _ => return self.start(&mut rooms, name, (kind, opener), fence),
                }
            };
            // An error: the sender has gone with the old room.
            let _ = ended.changed().await;
            if let (Some(fleet), Some(old)) = (&self.fleet, old_fence) {
                fleet.lost(name, &old).await;
            }
        }
    }

    /// Starts room `name` in `rooms` (the registry's lock held), within the limits: how many
    /// run, and how many its opener holds.
    fn start(
        &self,
        rooms: &mut HashMap<String, Running>,
        name: &str,
        (kind, opener): (RoomKind, Option<IpAddr>),
        fence: Option<Fence>,
    ) -> Result<RoomHandle, RoomError> {
        rooms.retain(|_, r| !r.ended());
        if rooms.len() >= self.settings.max_rooms {
            return Err(RoomError::TooManyRooms(self.settings.max_rooms));
        }
        let opener = opener.map(address_key);
        if let Some(opener) = opener {
            let held = rooms.values().filter(|r| r.opener == Some(opener)).count();
            if held >= self.settings.rooms_per_address {
                return Err(RoomError::Held(RoomsHeld {
                    limit: self.settings.rooms_per_address,
                    lesson_idle_minutes: self.settings.lesson_idle_limit.as_secs() / 60,
                }));
            }
        }
        let mut running =
            RoomActor::start(name.to_string(), kind, self.settings.clone(), fence.clone());
        running.opener = opener;
        running.fence = fence.clone();
        let handle = running.handle.clone();
        if let (Some(fleet), Some(fence)) = (&self.fleet, fence) {
            tokio::spawn(hold_room(
                fleet.clone(),
                name.to_string(),
                fence,
                (handle.clone(), running.ended.clone()),
            ));
        }
        rooms.insert(name.to_string(), running);
        Ok(handle)
    }

    /// Closes every session of every room and waits for them.
    pub async fn shutdown(&self) {
        let rooms: Vec<_> = self
            .rooms
            .lock()
            .expect("rooms lock")
            .drain()
            .map(|(_, r)| r)
            .collect();
        for room in rooms {
            let _ = room.handle.ask(RoomCmd::Shutdown).await;
            let _ = room.task.await;
        }
    }
}

/// A room this server runs in a fleet: ended here when its seat is lost (another server may
/// run it now), and its seat given up once it has ended.
async fn hold_room(
    fleet: Arc<Fleet>,
    name: String,
    fence: Fence,
    (handle, mut ended): (RoomHandle, tokio::sync::watch::Receiver<()>),
) {
    tokio::select! {
        () = fleet.lost(&name, &fence) => {
            handle.deposed().await;
            // An error: the room has ended, its sender gone.
            while ended.changed().await.is_ok() {}
        }
        _ = async { while ended.changed().await.is_ok() {} } => {}
    }
    fleet.release_seat(&name, &fence);
}

/// Who a hello joins as, in which kind of room, and whether it brought a wrong key: a
/// classroom's teacher (the right key), its viewer (the viewer link, or a wrong key), or a
/// student; in any other room, anyone.
fn admit(
    name: &str,
    check: KeyCheck,
    has_key: bool,
    viewer: bool,
    classroom_only: bool,
) -> Result<(Role, RoomKind, bool), RoomError> {
    if check == KeyCheck::Open && classroom_only {
        return Err(RoomError::NoSuchRoom);
    }
    let (role, wrong_key) = match check {
        // A teacher's key for a room that is no classroom must not open it to everyone.
        KeyCheck::Open if has_key => return Err(RoomError::NoSuchClassroom(name.to_string())),
        KeyCheck::Open => (Role::Open, false),
        _ if viewer => (Role::Viewer, false),
        KeyCheck::Right => (Role::Teacher, false),
        KeyCheck::Wrong => (Role::Viewer, true),
        KeyCheck::NoKey => (Role::Student, false),
    };
    let kind = match check {
        KeyCheck::Open => RoomKind::Open,
        _ => RoomKind::Classroom,
    };
    Ok((role, kind, wrong_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_joins_as_its_key_says() {
        let role =
            |check, key, viewer| admit("r", check, key, viewer, false).map(|(r, _, w)| (r, w));
        assert_eq!(role(KeyCheck::Open, false, false), Ok((Role::Open, false)));
        assert_eq!(
            role(KeyCheck::Right, true, false),
            Ok((Role::Teacher, false))
        );
        assert_eq!(role(KeyCheck::Right, true, true), Ok((Role::Viewer, false)));
        assert_eq!(role(KeyCheck::Wrong, true, false), Ok((Role::Viewer, true)));
        assert_eq!(
            role(KeyCheck::NoKey, false, false),
            Ok((Role::Student, false))
        );
        assert_eq!(
            role(KeyCheck::Open, true, false),
            Err(RoomError::NoSuchClassroom("r".into()))
        );
        assert_eq!(
            admit("r", KeyCheck::Open, false, false, true),
            Err(RoomError::NoSuchRoom)
        );
        assert_eq!(
            admit("r", KeyCheck::NoKey, false, false, true).map(|(_, kind, _)| kind),
            Ok(RoomKind::Classroom)
        );
    }
}
