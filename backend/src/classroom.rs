//! Classrooms the server made: their readable names and the digests of their teacher keys,
//! kept under `--data-dir` so a teacher's link outlives a restart of the server.
//!
//! A classroom is only a name and a key; the room with that name runs (and is reaped) like any
//! other. Keys are never stored, only their SHA-256.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
pub use shared::classroom::NewClassroom;

use crate::clock::now_ms;

/// The file under `--data-dir` that lists the classrooms.
const FILE: &str = "classrooms.json";

/// A classroom whose room has not run for this long may be forgotten to make room for a new
/// one; none is forgotten sooner, so no link a teacher handed out stops being theirs.
const KEPT_FOR_MS: u64 = 30 * 24 * 3600 * 1000;

/// Words of a classroom's name: `quiet-otter-42`. 48 × 48 × 90 names, easy to read aloud.
const ADJECTIVES: [&str; 48] = [
    "amber", "brave", "bright", "calm", "clever", "cosy", "crisp", "curious", "daring", "eager",
    "early", "fair", "fancy", "gentle", "glad", "golden", "grand", "happy", "honest", "jolly",
    "keen", "kind", "lively", "lucky", "merry", "mild", "misty", "neat", "noble", "patient",
    "plain", "polite", "proud", "quick", "quiet", "rapid", "ready", "rosy", "shy", "silver",
    "smart", "steady", "sunny", "swift", "tidy", "warm", "wise", "witty",
];
const ANIMALS: [&str; 48] = [
    "badger", "bear", "beaver", "bison", "crane", "deer", "dolphin", "eagle", "falcon", "ferret",
    "finch", "fox", "gecko", "goose", "hare", "hawk", "heron", "horse", "ibis", "koala", "lark",
    "lemur", "lion", "llama", "lynx", "marten", "mole", "moose", "newt", "otter", "owl", "panda",
    "parrot", "pelican", "puffin", "quail", "rabbit", "raven", "robin", "seal", "sparrow", "swan",
    "tiger", "toad", "turtle", "walrus", "whale", "wolf",
];

/// Why classrooms could not be made, kept or read.
#[derive(Debug, thiserror::Error)]
pub enum ClassroomError {
    #[error("the system's random source failed: {0}")]
    Random(getrandom::Error),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a list of classrooms: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("no free classroom name after {0} tries")]
    NoFreeName(usize),
    #[error("the server keeps {0} classrooms, its limit, none of them 30 days old")]
    Full(usize),
    /// In a fleet, the classroom could not be kept where the other servers read it.
    #[error("the fleet could not keep it: {0}")]
    Unshared(String),
}

/// What a teacher key says about a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// The room is no classroom: it is open.
    Open,
    /// A classroom, and no key was given.
    NoKey,
    Right,
    Wrong,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    room: String,
    key_sha256: String,
    created_ms: u64,
}

/// The server's classrooms.
pub struct Classrooms {
    entries: Mutex<HashMap<String, Entry>>,
    file: Option<PathBuf>,
    /// Most classrooms kept; making one more forgets the oldest whose room is not running.
    limit: usize,
}

impl Classrooms {
    /// Reads the classrooms under `data_dir`, if there is one (none: they live in memory).
    pub fn load(data_dir: Option<&Path>, limit: usize) -> Result<Self, ClassroomError> {
        let file = data_dir.map(|dir| dir.join(FILE));
        let mut entries = HashMap::new();
        if let Some(path) = &file {
            match std::fs::read(path) {
                Ok(bytes) => {
                    let list: Vec<Entry> =
                        serde_json::from_slice(&bytes).map_err(|source| ClassroomError::Parse {
                            path: path.clone(),
                            source,
                        })?;
                    entries.extend(list.into_iter().map(|e| (e.room.clone(), e)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(ClassroomError::File {
                        path: path.clone(),
                        source,
                    })
                }
            }
        }
        Ok(Classrooms {
            entries: Mutex::new(entries),
            file,
            limit: limit.max(1),
        })
    }

    /// Makes a classroom with a fresh name, none of the kept ones nor one `running` says runs.
    /// At the limit, the oldest of those made 30 days ago or more whose room is not running is
    /// forgotten; if there is none, no classroom is made.
    pub fn create(&self, running: impl Fn(&str) -> bool) -> Result<NewClassroom, ClassroomError> {
        self.create_at(now_ms(), running)
    }

    fn create_at(
        &self,
        now: u64,
        running: impl Fn(&str) -> bool,
    ) -> Result<NewClassroom, ClassroomError> {
        const TRIES: usize = 64;
        let mut entries = self.entries.lock().expect("classrooms lock");
        let mut room = None;
        for _ in 0..TRIES {
            let name = readable_name(&random_bytes::<3>()?);
            if !entries.contains_key(&name) && !running(&name) {
                room = Some(name);
                break;
            }
        }
        let room = room.ok_or(ClassroomError::NoFreeName(TRIES))?;
        if entries.len() >= self.limit {
            let oldest = entries
                .values()
                .filter(|e| now.saturating_sub(e.created_ms) >= KEPT_FOR_MS && !running(&e.room))
                .min_by_key(|e| e.created_ms)
                .map(|e| e.room.clone())
                .ok_or(ClassroomError::Full(self.limit))?;
            entries.remove(&oldest);
        }
        let key = hex(&random_bytes::<16>()?);
        entries.insert(
            room.clone(),
            Entry {
                room: room.clone(),
                key_sha256: digest(&key),
                created_ms: now,
            },
        );
        self.save(&entries)?;
        Ok(NewClassroom { room, key })
    }

    /// Classroom `room` as a fleet shares it: JSON of its name, its key's digest and when it
    /// was made (never the key).
    pub fn record(&self, room: &str) -> Option<Vec<u8>> {
        let entries = self.entries.lock().expect("classrooms lock");
        let entry = entries.get(room)?;
        Some(serde_json::to_vec(entry).expect("an entry serialises"))
    }

    /// Keeps a classroom another server of the fleet made (its `record`); false if the record
    /// is not one or names another room.
    pub fn remember(&self, room: &str, record: &[u8]) -> bool {
        let Ok(entry) = serde_json::from_slice::<Entry>(record) else {
            return false;
        };
        if entry.room != room {
            return false;
        }
        let mut entries = self.entries.lock().expect("classrooms lock");
        entries.entry(entry.room.clone()).or_insert(entry);
        if let Err(e) = self.save(&entries) {
            tracing::warn!("keeping a classroom of the fleet: {e}");
        }
        true
    }

    /// Forgets classroom `room` (its name was taken in the fleet meanwhile).
    pub fn forget(&self, room: &str) {
        let mut entries = self.entries.lock().expect("classrooms lock");
        if entries.remove(room).is_some() {
            if let Err(e) = self.save(&entries) {
                tracing::warn!("forgetting a classroom: {e}");
            }
        }
    }

    pub fn is_classroom(&self, room: &str) -> bool {
        self.entries
            .lock()
            .expect("classrooms lock")
            .contains_key(room)
    }

    pub fn check(&self, room: &str, key: Option<&str>) -> KeyCheck {
        let entries = self.entries.lock().expect("classrooms lock");
        let Some(entry) = entries.get(room) else {
            return KeyCheck::Open;
        };
        match key {
            None => KeyCheck::NoKey,
            // Digests of equal length compared whole: the time taken says nothing of the key.
            Some(key) if constant_time_eq(&digest(key), &entry.key_sha256) => KeyCheck::Right,
            Some(_) => KeyCheck::Wrong,
        }
    }

    /// Writes the list beside itself and renames it over the old one, so a crash mid-write
    /// leaves the old list whole.
    fn save(&self, entries: &HashMap<String, Entry>) -> Result<(), ClassroomError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let mut list: Vec<&Entry> = entries.values().collect();
        list.sort_by(|a, b| a.room.cmp(&b.room));
        let bytes = serde_json::to_vec_pretty(&list).expect("entries serialise");
        let tmp = path.with_extension("json.tmp");
        let io = |source| ClassroomError::File {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// A random secret of `N` bytes: a student's token, a teacher's key.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ClassroomError> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(ClassroomError::Random)?;
    Ok(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// `quiet-otter-42` from three random bytes.
fn readable_name(bytes: &[u8; 3]) -> String {
    let adjective = ADJECTIVES[usize::from(bytes[0]) % ADJECTIVES.len()];
    let animal = ANIMALS[usize::from(bytes[1]) % ANIMALS.len()];
    format!("{adjective}-{animal}-{}", 10 + u16::from(bytes[2]) % 90)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_readable_room_names() {
        for bytes in [[0, 0, 0], [255, 255, 255], [29, 7, 32]] {
            let name = readable_name(&bytes);
            assert!(shared::is_valid_room_name(&name), "{name}");
            assert_eq!(name.split('-').count(), 3, "{name}");
        }
        assert_eq!(readable_name(&[34, 29, 32]), "quiet-otter-42");
    }

    #[test]
    fn a_key_opens_its_own_classroom_only_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let rooms = Classrooms::load(Some(dir.path()), 10).unwrap();
        let a = rooms.create(|_| false).unwrap();
        let b = rooms.create(|_| false).unwrap();
        assert_ne!(a.room, b.room);
        assert_eq!(a.key.len(), 32);
        assert_eq!(rooms.check(&a.room, Some(&a.key)), KeyCheck::Right);
        assert_eq!(rooms.check(&a.room, Some(&b.key)), KeyCheck::Wrong);
        assert_eq!(rooms.check(&a.room, None), KeyCheck::NoKey);
        assert_eq!(rooms.check("main", Some(&a.key)), KeyCheck::Open);
        let kept = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(!kept.contains(&a.key), "only the key's digest is kept");
        let again = Classrooms::load(Some(dir.path()), 10).unwrap();
        assert_eq!(again.check(&b.room, Some(&b.key)), KeyCheck::Right);
    }

    #[test]
    fn at_the_limit_only_a_month_old_idle_classroom_is_forgotten() {
        let rooms = Classrooms::load(None, 2).unwrap();
        let first = rooms.create_at(1, |_| false).unwrap();
        let second = rooms.create_at(2, |_| false).unwrap();
        // A day later nothing may go: no classroom is made.
        let day = 24 * 3600 * 1000;
        assert!(matches!(
            rooms.create_at(day, |_| false),
            Err(ClassroomError::Full(2))
        ));
        // A month later the oldest idle one goes; the first one's room runs, so the second.
        let third = rooms
            .create_at(KEPT_FOR_MS + 3, |name| name == first.room)
            .unwrap();
        assert!(rooms.is_classroom(&first.room));
        assert!(!rooms.is_classroom(&second.room));
        assert!(rooms.is_classroom(&third.room));
    }

    #[test]
    fn a_damaged_list_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "{not a list").unwrap();
        let e = Classrooms::load(Some(dir.path()), 10).err().unwrap();
        assert!(e.to_string().contains("classrooms.json"), "{e}");
    }
}
