//! The seed's first `DistributedClient`, with the fix from its 思考 section.
//!
//! A waiter watches the node just before its own. When that watch fires it does not trust it:
//! the predecessor may have crashed while waiting, so it lists `/locks` again and either holds
//! or watches its new predecessor.

use shared::{ClientId, WatchedKind};

use super::base::{Core, Input, Step};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PredecessorLock {
    pub(super) core: Core,
}

impl PredecessorLock {
    pub fn new(client: ClientId) -> Self {
        PredecessorLock {
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
                    // The fix: re-list instead of taking the notification for a release.
                    WatchedKind::NodeDeleted => steps.push(self.core.list()),
                    WatchedKind::Session => {}
                    // A data change: the one-shot watch is spent, so re-arm it.
                    _ => steps.extend(self.core.rewatch(path)),
                }
                steps
            }
            Err(_) => Vec::new(),
        }
    }
}
