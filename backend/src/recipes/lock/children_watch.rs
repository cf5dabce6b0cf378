//! The seed's `DistributedClient2`: every client lists `/locks` with a children watch.
//!
//! A waiter re-lists (and so re-arms the watch) on every change of `/locks`, and holds when it
//! finds itself first. Simple and correct, but every change notifies every waiter: draining a
//! queue of n costs about n(n-1)/2 notifications (the herd effect).

use shared::{ClientId, RoomEvent, WatchCall, WatchedKind};

use super::base::{Core, Input, Phase, Step};
use shared::LOCK_DIR;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildrenWatchLock {
    pub(super) core: Core,
}

impl ChildrenWatchLock {
    pub fn new(client: ClientId) -> Self {
        ChildrenWatchLock {
            core: Core::new(client, true),
        }
    }

    pub fn on(&mut self, input: Input) -> Vec<Step> {
        match self.core.on(input) {
            Ok(steps) => steps,
            Err(Input::Children { names }) => {
                let (listed, at) = self.core.position(&names);
                // The listing armed the children watch.
                let mut steps = vec![
                    listed,
                    Step::Publish(RoomEvent::WatchSet {
                        client: self.core.client,
                        path: LOCK_DIR.into(),
                        call: WatchCall::GetChildren,
                    }),
                ];
                steps.extend(match at {
                    Ok(0) => self.core.gain(),
                    Ok(_) => {
                        self.core.phase = Phase::Waiting;
                        Vec::new()
                    }
                    Err(failed) => failed,
                });
                steps
            }
            Err(Input::WatchFired { path, kind }) => {
                let mut steps = vec![self.core.fired(&path, kind)];
                if kind == WatchedKind::NodeChildrenChanged {
                    steps.push(self.core.list());
                }
                steps
            }
            Err(_) => Vec::new(),
        }
    }
}
