//! Classrooms: who may do what in a room (teacher, student, viewer), the students' names and
//! clients, and who is watching.
//!
//! The rule of who may do what is here, pure, so the server enforces it and the page hides
//! what a role may not do from the same table.

use serde::{Deserialize, Serialize};

use crate::kinds::ClientId;

/// A student of a room, numbered from 1 in the order they picked a name.
pub type StudentId = u32;

/// Longest display name a student may pick, in characters.
pub const STUDENT_NAME_MAX_CHARS: usize = 24;

/// Lock clients and AppServers one student may run at once unless the server says otherwise
/// (`--student-clients`).
pub const DEFAULT_STUDENT_CLIENTS: usize = 3;

/// How a room is run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// Everyone may do everything (the shared room `main`, a lesson's own room).
    #[default]
    Open,
    /// A teacher's room: the teacher changes it, students run their own clients, viewers watch.
    Classroom,
}

/// `POST /classrooms`'s answer: the new classroom's name and its teacher's key (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClassroom {
    pub room: String,
    pub key: String,
}

/// The link students open: the room at `origin`, nothing more.
pub fn student_link(origin: &str, room: &str) -> String {
    format!("{}/?room={room}", origin.trim_end_matches('/'))
}

/// Who a connection is in its room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// In an open room: may do everything.
    Open,
    /// Holds the classroom's key: may do everything.
    Teacher,
    /// May add lock clients and AppServers of their own, once named, and act on those only.
    Student,
    /// Only watches.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Open => "open",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role changes the room itself (recipe, time, lessons, members).
    pub fn runs_the_room(self) -> bool {
        matches!(self, Role::Open | Role::Teacher)
    }
}

/// What an intent asks of whoever sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Anyone may (a resync).
    Nothing,
    /// Only who runs the room may: it changes the room for everyone.
    RunTheRoom,
    /// Adds a client: who runs the room, or a named student within their limit.
    AddOwn,
    /// Acts on one client: who runs the room, or the student who owns it.
    OwnClient(ClientId),
    /// A student picks their display name.
    BeStudent,
}

/// Why an intent is refused to its sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    #[error("only the teacher changes the room")]
    TeacherOnly,
    #[error("a viewer only watches")]
    ViewerOnly,
    #[error("pick a display name first")]
    NameFirst,
    #[error("client {0} is another student's")]
    NotYours(ClientId),
    #[error("only a student picks a display name")]
    NotAStudent,
}

/// Who sent an intent: their role, and their student number once they have a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<StudentId>,
}

impl Member {
    pub const OPEN: Member = Member {
        role: Role::Open,
        student: None,
    };

    /// Whether this member may do what `need` asks; `owner` tells who owns a client (`None`
    /// for a client no student owns, or one that is not in the room).
    pub fn may(
        self,
        need: Need,
        owner: impl FnOnce(ClientId) -> Option<StudentId>,
    ) -> Result<(), Forbidden> {
        match (self.role, need) {
            (_, Need::Nothing) => Ok(()),
            (Role::Student, Need::BeStudent) => Ok(()),
            (_, Need::BeStudent) => Err(Forbidden::NotAStudent),
            (Role::Open | Role::Teacher, _) => Ok(()),
            (Role::Viewer, _) => Err(Forbidden::ViewerOnly),
            (Role::Student, Need::RunTheRoom) => Err(Forbidden::TeacherOnly),
            (Role::Student, Need::AddOwn | Need::OwnClient(_)) if self.student.is_none() => {
                Err(Forbidden::NameFirst)
            }
            (Role::Student, Need::AddOwn) => Ok(()),
            (Role::Student, Need::OwnClient(client)) => {
                if owner(client) == self.student {
                    Ok(())
                } else {
                    Err(Forbidden::NotYours(client))
                }
            }
        }
    }

    /// Whether this member may act on a client owned by `owner` (the page's buttons).
    pub fn may_act_on(self, owner: Option<StudentId>) -> bool {
        self.may(Need::OwnClient(0), |_| owner).is_ok()
    }
}

/// A display name as a student typed it, made tidy: trimmed, inner runs of spaces made one,
/// 1 to [`STUDENT_NAME_MAX_CHARS`] characters, none of them a control character.
pub fn student_name(typed: &str) -> Option<String> {
    let name = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = name.chars().count();
    let printable = name.chars().all(|c| !c.is_control());
    ((1..=STUDENT_NAME_MAX_CHARS).contains(&chars) && printable).then_some(name)
}

/// A student of the room, as everyone sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentView {
    pub id: StudentId,
    pub name: String,
    /// Whether they have the room open now.
    pub here: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RoomEvent;
    use crate::kinds::{CloseReason, LockRecipeKind};
    use crate::protocol::ClientMsg;
    use crate::view::Classroom;

    const TEACHER: Member = Member {
        role: Role::Teacher,
        student: None,
    };
    const VIEWER: Member = Member {
        role: Role::Viewer,
        student: None,
    };
    const UNNAMED: Member = Member {
        role: Role::Student,
        student: None,
    };
    const ANA: Member = Member {
        role: Role::Student,
        student: Some(1),
    };

    /// Client 7 is Ana's (student 1), client 8 is student 2's, client 9 is no one's.
    fn owner(client: ClientId) -> Option<StudentId> {
        match client {
            7 => Some(1),
            8 => Some(2),
            _ => None,
        }
    }

    #[test]
    fn the_teacher_and_an_open_room_may_do_everything_but_pick_a_student_name() {
        for member in [TEACHER, Member::OPEN] {
            for msg in [
                ClientMsg::SetRecipe {
                    recipe: LockRecipeKind::ChildrenWatch,
                },
                ClientMsg::Crash { client: 8 },
                ClientMsg::AddLockClient,
                ClientMsg::ResetRoom,
                ClientMsg::StopMember { member: 1 },
                ClientMsg::CheckRecipe {
                    source: String::new(),
                },
                ClientMsg::RunRecipe {
                    source: String::new(),
                },
                ClientMsg::PlayFailure,
            ] {
                assert_eq!(member.may(Need::of(&msg), owner), Ok(()), "{msg:?}");
            }
            let name = ClientMsg::SetName { name: "x".into() };
            assert_eq!(
                member.may(Need::of(&name), owner),
                Err(Forbidden::NotAStudent)
            );
        }
    }

    #[test]
    fn a_student_acts_on_their_own_clients_only_and_needs_a_name_first() {
        let crash = |client| Need::of(&ClientMsg::Crash { client });
        assert_eq!(ANA.may(crash(7), owner), Ok(()));
        assert_eq!(ANA.may(crash(8), owner), Err(Forbidden::NotYours(8)));
        assert_eq!(ANA.may(crash(9), owner), Err(Forbidden::NotYours(9)));
        assert_eq!(ANA.may(Need::AddOwn, owner), Ok(()));
        assert_eq!(
            ANA.may(Need::of(&ClientMsg::LessonDo), owner),
            Err(Forbidden::TeacherOnly)
        );
        assert_eq!(UNNAMED.may(Need::AddOwn, owner), Err(Forbidden::NameFirst));
        assert_eq!(UNNAMED.may(crash(7), owner), Err(Forbidden::NameFirst));
        assert_eq!(UNNAMED.may(Need::BeStudent, owner), Ok(()));
        assert!(ANA.may_act_on(Some(1)));
        assert!(!ANA.may_act_on(Some(2)));
        assert!(!ANA.may_act_on(None));
        assert!(TEACHER.may_act_on(Some(2)));
    }

    #[test]
    fn a_viewer_only_watches() {
        assert_eq!(VIEWER.may(Need::Nothing, owner), Ok(()));
        for need in [Need::AddOwn, Need::RunTheRoom, Need::OwnClient(9)] {
            assert_eq!(VIEWER.may(need, owner), Err(Forbidden::ViewerOnly));
        }
        assert!(!VIEWER.may_act_on(None));
    }

    #[test]
    fn names_are_tidied_and_bounded() {
        assert_eq!(student_name("  Ana   Lima "), Some("Ana Lima".into()));
        assert_eq!(student_name("李雷"), Some("李雷".into()));
        assert_eq!(student_name("   "), None);
        assert_eq!(student_name("a\u{7}b"), None);
        assert_eq!(student_name(&"名".repeat(24)), Some("名".repeat(24)));
        assert_eq!(student_name(&"名".repeat(25)), None);
    }

    #[test]
    fn owners_follow_their_clients_and_presence_marks_who_is_here() {
        let mut room = Classroom::default();
        for e in [
            RoomEvent::StudentJoined {
                student: 1,
                name: "Ana".into(),
            },
            RoomEvent::StudentJoined {
                student: 2,
                name: "Bo".into(),
            },
            RoomEvent::ClientAdded {
                client: 3,
                owner: Some(1),
            },
            RoomEvent::ServerAdded {
                client: 4,
                name: "server0000".into(),
                owner: Some(1),
            },
            RoomEvent::ClientAdded {
                client: 5,
                owner: None,
            },
            RoomEvent::PresenceChanged {
                watching: 4,
                here: vec![2],
            },
        ] {
            room.apply(&e);
        }
        assert_eq!(room.owner_name(3), Some("Ana"));
        assert_eq!(room.owner_of(5), None);
        assert_eq!(room.clients_of(1), 2);
        let with: Vec<_> = room
            .students_with_clients()
            .map(|(s, n)| (s.name.as_str(), n))
            .collect();
        assert_eq!(with, [("Ana", 2)]);
        assert_eq!(room.watching, 4);
        assert!(!room.student(1).unwrap().here && room.student(2).unwrap().here);
        room.apply(&RoomEvent::ClientClosed {
            client: 3,
            reason: CloseReason::Crashed,
        });
        assert_eq!(room.clients_of(1), 1);
        room.apply(&RoomEvent::RoomReset);
        assert_eq!(room.clients_of(1), 0);
        assert_eq!(room.students.len(), 2, "a reset keeps the students");
    }
}
