//! The seed's first `DistributedClient` as first listed, without the fix.
//!
//! A waiter watches the node just before its own and, when that watch fires, takes the lock at
//! once. If the predecessor was a waiter that crashed, the holder still holds the lock: two
//! clients now believe they hold it.

use shared::{ClientId, WatchedKind};

use super::base::{Core, Input, Step};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NaiveLock {
    pub(super) core: Core,
}

impl NaiveLock {
    pub fn new(client: ClientId) -> Self {
        NaiveLock {
            core: Core::new(client, false),
        }
    }

    pub fn on(&mut self, input: Input) -> Vec<Step> {
        match self.core.on(input) {
            Ok(steps) => steps,
            Err(Input::Children { names }) => self.core.hold_or_watch_predecessor(&names),
            Err(Input::WatchFired { path, kind }) => {
                let mut steps = vec![self.core.fired(&path, kind)];
                match kind {
                    // The bug: "my predecessor is gone, so the lock is mine".
                    WatchedKind::NodeDeleted => steps.extend(self.core.gain()),
                    WatchedKind::Session => {}
                    _ => steps.extend(self.core.rewatch(path)),
                }
                steps
            }
            Err(_) => Vec::new(),
        }
    }
}
