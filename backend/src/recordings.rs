//! Stored recordings: files of JSON lines under `--data-dir/recordings`, each checked before it
//! is kept, bounded in size and in number, served back byte for byte at `/recordings/<id>`.

use std::path::PathBuf;
use std::sync::Mutex;

use shared::recording::{Recording, RecordingError};

use crate::classroom::{hex, random_bytes};

/// Why a recording was not stored or cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("this server keeps no recordings: start it with --data-dir")]
    NoDataDir,
    #[error("a recording of {0} bytes is over the limit of {1} bytes")]
    TooLarge(usize, usize),
    #[error("the server keeps {0} recordings, its limit")]
    Full(usize),
    #[error("not a zkplay recording: {0}")]
    Invalid(#[from] RecordingError),
    #[error("a recording is text (UTF-8)")]
    NotText,
    #[error("no recording {0}")]
    NotFound(String),
    #[error("the system's random source failed")]
    Random,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where recordings are kept, and how many of how large.
pub struct RecordingStore {
    dir: Option<PathBuf>,
    pub max_count: usize,
    pub max_bytes: usize,
    /// Storing counts, then writes: one at a time.
    writing: Mutex<()>,
}

/// A recording's id: 16 lowercase hex digits, so a name from a URL can never leave the folder.
pub fn is_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl RecordingStore {
    pub fn new(data_dir: Option<PathBuf>, max_count: usize, max_bytes: usize) -> Self {
        RecordingStore {
            dir: data_dir.map(|d| d.join("recordings")),
            max_count,
            max_bytes,
            writing: Mutex::new(()),
        }
    }

    /// Checks `bytes` as a recording and keeps it; answers its id.
    pub fn store(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let dir = self.dir.as_ref().ok_or(StoreError::NoDataDir)?;
        if bytes.len() > self.max_bytes {
            return Err(StoreError::TooLarge(bytes.len(), self.max_bytes));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| StoreError::NotText)?;
        Recording::parse(text)?;
        let _one = self.writing.lock().expect("recordings lock");
        std::fs::create_dir_all(dir)?;
        let kept = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with(".jsonl"))
            })
            .count();
        if kept >= self.max_count {
            return Err(StoreError::Full(self.max_count));
        }
        let id = hex(&random_bytes::<8>().map_err(|_| StoreError::Random)?);
        let tmp = dir.join(format!("{id}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, dir.join(format!("{id}.jsonl")))?;
        Ok(id)
    }

    /// The bytes of recording `id`, as stored.
    pub fn read(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        let dir = self.dir.as_ref().ok_or(StoreError::NoDataDir)?;
        if !is_id(id) {
            return Err(StoreError::NotFound(id.to_string()));
        }
        std::fs::read(dir.join(format!("{id}.jsonl"))).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(id.to_string()),
            _ => StoreError::Io(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording() -> String {
        let view = shared::RoomView::new("r", 0);
        let header = shared::recording::RecordingHeader::new("r", shared::ServerInfo::default(), 0);
        shared::recording::recording_head(&header, &view)
    }

    #[test]
    fn a_stored_recording_reads_back_byte_for_byte_within_the_limits() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecordingStore::new(Some(dir.path().into()), 2, 4096);
        let text = recording();
        let id = store.store(text.as_bytes()).unwrap();
        assert!(is_id(&id), "{id}");
        assert_eq!(store.read(&id).unwrap(), text.as_bytes());
        store.store(text.as_bytes()).unwrap();
        assert!(matches!(
            store.store(text.as_bytes()),
            Err(StoreError::Full(2))
        ));
        let big = "x".repeat(5000);
        assert!(matches!(
            store.store(big.as_bytes()),
            Err(StoreError::TooLarge(5000, 4096))
        ));
        assert!(matches!(store.store(b"{}"), Err(StoreError::Invalid(_))));
        assert!(matches!(
            store.store(&[0xff, 0xfe]),
            Err(StoreError::NotText)
        ));
        for bad in ["../classrooms", "0123456789ABCDEF", "abc"] {
            assert!(
                matches!(store.read(bad), Err(StoreError::NotFound(_))),
                "{bad}"
            );
        }
        let none = RecordingStore::new(None, 2, 4096);
        assert!(matches!(
            none.store(text.as_bytes()),
            Err(StoreError::NoDataDir)
        ));
    }
}
