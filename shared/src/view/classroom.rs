//! Who is in the room, as its view keeps it: how many watch, the students, whose clients are
//! whose.

use serde::{Deserialize, Serialize};

use crate::classroom::{RoomKind, StudentId, StudentView};
use crate::event::RoomEvent;
use crate::kinds::ClientId;

/// Who is in the room: its kind, how many watch, the students and whose clients are whose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classroom {
    pub kind: RoomKind,
    /// Connections that have the room open, whatever their role.
    pub watching: u32,
    /// Every student who picked a name, by number.
    pub students: Vec<StudentView>,
    /// The clients students own, `(client, student)` by client (the teacher's and open
    /// rooms' clients are no one's). A list, not a map: JSON's keys would be strings.
    pub owners: Vec<(ClientId, StudentId)>,
}

impl Classroom {
    pub fn student(&self, id: StudentId) -> Option<&StudentView> {
        self.students.iter().find(|s| s.id == id)
    }

    pub fn owner_of(&self, client: ClientId) -> Option<StudentId> {
        let at = self
            .owners
            .binary_search_by_key(&client, |(c, _)| *c)
            .ok()?;
        Some(self.owners[at].1)
    }

    /// The name on a client's card, if a student owns it.
    pub fn owner_name(&self, client: ClientId) -> Option<&str> {
        let student = self.owner_of(client)?;
        self.student(student).map(|s| s.name.as_str())
    }

    /// How many clients `student` runs now.
    pub fn clients_of(&self, student: StudentId) -> usize {
        self.owners.iter().filter(|(_, s)| *s == student).count()
    }

    /// Students with at least one client, by number: presence's second line.
    pub fn students_with_clients(&self) -> impl Iterator<Item = (&StudentView, usize)> {
        self.students
            .iter()
            .map(|s| (s, self.clients_of(s.id)))
            .filter(|(_, n)| *n > 0)
    }

    pub fn apply(&mut self, event: &RoomEvent) {
        match event {
            RoomEvent::ClientAdded {
                client,
                owner: Some(student),
            }
            | RoomEvent::ServerAdded {
                client,
                owner: Some(student),
                ..
            } => {
                if let Err(at) = self.owners.binary_search_by_key(client, |(c, _)| *c) {
                    self.owners.insert(at, (*client, *student));
                }
            }
            RoomEvent::ClientClosed { client, .. } => {
                self.owners.retain(|(c, _)| c != client);
            }
            RoomEvent::RoomReset => self.owners.clear(),
            RoomEvent::StudentJoined { student, name } => {
                match self.students.iter_mut().find(|s| s.id == *student) {
                    Some(s) => s.name.clone_from(name),
                    None => self.students.push(StudentView {
                        id: *student,
                        name: name.clone(),
                        here: true,
                    }),
                }
            }
            RoomEvent::PresenceChanged { watching, here } => {
                self.watching = *watching;
                for s in &mut self.students {
                    s.here = here.contains(&s.id);
                }
            }
            _ => {}
        }
    }
}
