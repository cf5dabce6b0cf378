//! Who watches a room: its connections, the students among them and their tokens, and when
//! viewers are next told who is here (joins and leaves within [`PRESENCE_EVERY`] are one
//! change: a class arriving is thirty joins in a few seconds).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use shared::classroom::{Member, Role, StudentId};
use shared::Classroom;
use shared::{RoomEvent, You};
use tokio::time::Instant;

use super::error::RoomError;
use super::handle::{JoinAs, Joined, ViewerId};
use super::settings::MAX_STUDENTS;

/// Joins and leaves within this long are told to viewers as one presence change.
pub(super) const PRESENCE_EVERY: Duration = Duration::from_millis(250);

pub(super) struct Presence {
    /// The connections watching the room, and who each is.
    viewers: HashMap<ViewerId, Member>,
    next_viewer: ViewerId,
    /// Students' tokens: who comes back as whom.
    tokens: HashMap<String, StudentId>,
    next_student: StudentId,
    /// When the next presence change is told, if one is due.
    due: Option<Instant>,
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            viewers: HashMap::new(),
            next_viewer: 1,
            tokens: HashMap::new(),
            next_student: 1,
            due: None,
        }
    }
}

impl Presence {
    /// When viewers are next to be told who is here.
    pub(super) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// A new connection: a student with a token they were given comes back as who they were.
    pub(super) fn join(&mut self, join: JoinAs, now: Instant) -> Joined {
        let student = match (join.role, &join.token) {
            (Role::Student, Some(token)) => self.tokens.get(token).copied(),
            _ => None,
        };
        let member = Member {
            role: join.role,
            student,
        };
        let viewer = self.next_viewer;
        self.next_viewer += 1;
        self.viewers.insert(viewer, member);
        self.changed(now);
        Joined {
            viewer,
            you: You {
                member,
                token: student.and(join.token),
                // The connection knows where it comes from; it says.
                stops_members: false,
            },
        }
    }

    /// The connection `viewer` has gone; whether it was here.
    pub(super) fn leave(&mut self, viewer: ViewerId, now: Instant) -> bool {
        let here = self.viewers.remove(&viewer).is_some();
        if here {
            self.changed(now);
        }
        here
    }

    /// A student names themselves (the first time, they get a number and a `token`, unless the
    /// room knows `known` students, its limit) or renames: who they are now.
    pub(super) fn name(
        &mut self,
        viewer: ViewerId,
        known: usize,
        token: impl FnOnce() -> Result<String, RoomError>,
        now: Instant,
    ) -> Result<(StudentId, You), RoomError> {
        let member = self.viewers.get_mut(&viewer).ok_or(RoomError::Closed)?;
        if member.student.is_none() && known >= MAX_STUDENTS {
            return Err(RoomError::TooManyStudents(MAX_STUDENTS));
        }
        let (student, token) = match member.student {
            Some(student) => {
                let token = self.tokens.iter().find(|(_, s)| **s == student);
                (student, token.map(|(t, _)| t.clone()))
            }
            None => {
                let token = token()?;
                let student = self.next_student;
                self.next_student += 1;
                self.tokens.insert(token.clone(), student);
                member.student = Some(student);
                (student, Some(token))
            }
        };
        let member = *member;
        self.changed(now);
        let you = You {
            member,
            token,
            stops_members: false,
        };
        Ok((student, you))
    }

    /// Someone came or went: viewers are told soon, with whatever else changes by then.
    fn changed(&mut self, now: Instant) {
        if self.due.is_none() {
            self.due = Some(now + PRESENCE_EVERY);
        }
    }

    /// The change to tell, if what the room shows differs from who is here.
    pub(super) fn news(&mut self, shown: &Classroom) -> Option<RoomEvent> {
        self.due = None;
        let watching = u32::try_from(self.viewers.len()).unwrap_or(u32::MAX);
        let here: BTreeSet<StudentId> = self.viewers.values().filter_map(|m| m.student).collect();
        let here: Vec<StudentId> = here.into_iter().collect();
        let shown_here: Vec<StudentId> = shown
            .students
            .iter()
            .filter(|s| s.here)
            .map(|s| s.id)
            .collect();
        (shown.watching != watching || shown_here != here)
            .then_some(RoomEvent::PresenceChanged { watching, here })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student(token: Option<&str>) -> JoinAs {
        JoinAs {
            role: Role::Student,
            token: token.map(String::from),
        }
    }

    #[test]
    fn a_student_comes_back_as_who_they_were_and_a_stranger_does_not() {
        let now = Instant::now();
        let mut presence = Presence::default();
        let first = presence.join(student(None), now);
        assert_eq!(first.you.member.student, None);
        let (number, you) = presence
            .name(first.viewer, 0, || Ok("t1".into()), now)
            .unwrap();
        assert_eq!((number, you.token.as_deref()), (1, Some("t1")));
        // A rename keeps the number and the token, and asks for no new one.
        let (again, you) = presence
            .name(first.viewer, 1, || panic!("a rename needs no token"), now)
            .unwrap();
        assert_eq!((again, you.token.as_deref()), (1, Some("t1")));
        let back = presence.join(student(Some("t1")), now);
        assert_eq!(back.you.member.student, Some(1));
        assert_eq!(back.you.token.as_deref(), Some("t1"));
        let stranger = presence.join(student(Some("made-up")), now);
        assert_eq!(
            (stranger.you.member.student, stranger.you.token),
            (None, None)
        );
        assert_ne!(back.viewer, stranger.viewer);
    }

    #[test]
    fn a_full_room_names_no_new_student_but_renames_a_known_one() {
        let now = Instant::now();
        let mut presence = Presence::default();
        let known = presence.join(student(None), now);
        presence
            .name(known.viewer, 0, || Ok("t".into()), now)
            .unwrap();
        let new = presence.join(student(None), now);
        assert_eq!(
            presence.name(new.viewer, MAX_STUDENTS, || Ok("u".into()), now),
            Err(RoomError::TooManyStudents(MAX_STUDENTS))
        );
        assert!(presence
            .name(known.viewer, MAX_STUDENTS, || Ok("v".into()), now)
            .is_ok());
    }

    #[test]
    fn viewers_are_told_once_a_burst_of_joins_and_only_what_changed() {
        let now = Instant::now();
        let mut presence = Presence::default();
        let a = presence.join(student(None), now);
        presence.join(student(None), now + Duration::from_millis(100));
        // The first change sets when to tell; the second does not put it off.
        assert_eq!(presence.due(), Some(now + PRESENCE_EVERY));
        presence.name(a.viewer, 0, || Ok("t".into()), now).unwrap();
        let mut shown = Classroom::default();
        assert_eq!(
            presence.news(&shown),
            Some(RoomEvent::PresenceChanged {
                watching: 2,
                here: vec![1]
            })
        );
        assert_eq!(presence.due(), None);
        shown.watching = 2;
        shown.students.push(shared::classroom::StudentView {
            id: 1,
            name: "Ann".into(),
            here: true,
        });
        assert_eq!(presence.news(&shown), None);
        assert!(presence.leave(a.viewer, now));
        assert!(!presence.leave(a.viewer, now));
        assert_eq!(
            presence.news(&shown),
            Some(RoomEvent::PresenceChanged {
                watching: 1,
                here: vec![]
            })
        );
    }
}
