//! The seed tutorial's Java, and which of its lines each step of a recipe is.
//!
//! Defined once, here: the server names the line of every waiting move with it, and the code
//! panel puts each client's badge on the same line.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::kinds::LockRecipeKind;

/// One of the seed's listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedListing {
    /// `DistributedClient` with the 思考 fix in `process` (recipe `predecessor`).
    DistributedClientFixed,
    /// `DistributedClient` as first given (recipe `predecessor-naive`).
    DistributedClient,
    /// `DistributedClient2` (recipe `children-watch`).
    DistributedClient2,
    AppServer,
    AppClient,
}

/// A place in a listing where a client can stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedPoint {
    /// `new ZooKeeper(...)`: the session is being established.
    Connect,
    /// `zk.create(...)` EPHEMERAL_SEQUENTIAL.
    Create,
    /// The first `zk.getChildren(...)` after the create (an AppClient's, with its watch).
    GetChildren,
    /// `zk.getData(waitPath, true, ...)`: the watch on the predecessor.
    WatchPredecessor,
    /// Waiting for a notification: the watcher's `process(WatchedEvent event)`.
    Waiting,
    /// `if (event.getType() == ...)`: a notification arrived.
    Notified,
    /// The fix's (or `DistributedClient2`'s) `getChildren` inside `process`.
    Relist,
    /// The fix's `zk.exists(waitPath, true)`: the watch on the new predecessor.
    Rewatch,
    /// `System.out.println("gain lock: " + thisPath)`.
    GainLock,
    /// `// do something`: the holder writes to the shared resource.
    Work,
    /// `Thread.sleep(2000)`: holding.
    Hold,
    /// `System.out.println("finished: " + thisPath)`.
    Finished,
    /// `zk.delete(this.thisPath, -1)`: the release.
    Delete,
    /// An AppServer's `handle()`: it serves (sleeps) while registered.
    Serve,
    /// An AppClient's `zk.getData(...)` of each server node.
    ReadData,
    /// An AppClient's `System.out.println("server list updated: " + serverList)`.
    PrintList,
}

/// What the seed's AppClient prints on every change of `/sgroup`: `server list updated: [a, b]`.
pub fn server_list_line<'a>(servers: impl IntoIterator<Item = &'a str>) -> String {
    let servers: Vec<&str> = servers.into_iter().collect();
    format!("server list updated: [{}]", servers.join(", "))
}

/// The seed's example output: one AppClient while four AppServers start one by one and then
/// stop, the newest first.
pub const SEED_APP_CLIENT_OUTPUT: [&str; 9] = [
    "server list updated: []",
    "server list updated: [server0000]",
    "server list updated: [server0000, server0001]",
    "server list updated: [server0000, server0001, server0002]",
    "server list updated: [server0000, server0001, server0002, server0003]",
    "server list updated: [server0000, server0001, server0002]",
    "server list updated: [server0000, server0001]",
    "server list updated: [server0000]",
    "server list updated: []",
];

/// A line found by its text: the `nth` (from 0) line that contains `text`.
struct Anchor {
    point: SeedPoint,
    text: &'static str,
    nth: usize,
}

const fn at(point: SeedPoint, text: &'static str, nth: usize) -> Anchor {
    Anchor { point, text, nth }
}

use SeedPoint as P;

/// What every lock listing has alike: connect, create, wait in `process`, and `doSomething`.
const LOCK_COMMON: &[Anchor] = &[
    at(P::Connect, "zk = new ZooKeeper(", 0),
    at(P::Create, "thisPath = zk.create(", 0),
    at(P::Waiting, "public void process(WatchedEvent event)", 0),
    at(P::GainLock, "System.out.println(\"gain lock: \"", 0),
    at(P::Work, "// do something", 0),
    at(P::Hold, "Thread.sleep(2000);", 0),
    at(P::Finished, "System.out.println(\"finished: \"", 0),
    at(P::Delete, "zk.delete(this.thisPath, -1);", 0),
];

const FIXED: &[Anchor] = &[
    at(P::WatchPredecessor, "zk.getData(waitPath, true", 0),
    at(
        P::Notified,
        "if (event.getType() == EventType.NodeDeleted",
        0,
    ),
    at(P::Relist, "zk.getChildren(\"/\" + groupNode, false)", 0),
    at(P::Rewatch, "zk.exists(waitPath, true)", 0),
    at(
        P::GetChildren,
        "zk.getChildren(\"/\" + groupNode, false)",
        1,
    ),
];

const NAIVE: &[Anchor] = &[
    at(P::WatchPredecessor, "zk.getData(waitPath, true", 0),
    at(
        P::Notified,
        "if (event.getType() == EventType.NodeDeleted",
        0,
    ),
    at(
        P::GetChildren,
        "zk.getChildren(\"/\" + groupNode, false)",
        0,
    ),
];

const CHILDREN_WATCH: &[Anchor] = &[
    at(
        P::Notified,
        "if (event.getType() == EventType.NodeChildrenChanged",
        0,
    ),
    at(P::Relist, "zk.getChildren(\"/\" + groupNode, true)", 0),
    at(P::GetChildren, "zk.getChildren(\"/\" + groupNode, true)", 1),
];

const APP_SERVER: &[Anchor] = &[
    at(P::Connect, "new ZooKeeper(", 0),
    at(P::Create, "String createdPath = zk.create(", 0),
    at(P::Serve, "Thread.sleep(Long.MAX_VALUE);", 0),
];

const APP_CLIENT: &[Anchor] = &[
    at(P::Connect, "zk = new ZooKeeper(", 0),
    at(P::Waiting, "public void process(WatchedEvent event)", 0),
    at(
        P::Notified,
        "if (event.getType() == EventType.NodeChildrenChanged",
        0,
    ),
    at(P::GetChildren, "zk.getChildren(\"/\" + groupNode, true)", 0),
    at(P::ReadData, "byte[] data = zk.getData(", 0),
    at(
        P::PrintList,
        "System.out.println(\"server list updated: \"",
        0,
    ),
];

impl SeedListing {
    pub const ALL: [SeedListing; 5] = [
        SeedListing::DistributedClientFixed,
        SeedListing::DistributedClient,
        SeedListing::DistributedClient2,
        SeedListing::AppServer,
        SeedListing::AppClient,
    ];

    /// The listing a lock recipe runs; a learner's recipe is its own code.
    pub fn of(recipe: LockRecipeKind) -> Option<Self> {
        match recipe {
            LockRecipeKind::Predecessor => Some(SeedListing::DistributedClientFixed),
            LockRecipeKind::PredecessorNaive => Some(SeedListing::DistributedClient),
            LockRecipeKind::ChildrenWatch => Some(SeedListing::DistributedClient2),
            LockRecipeKind::Script => None,
        }
    }

    /// The class name, as the seed calls it.
    pub fn class(self) -> &'static str {
        match self {
            SeedListing::DistributedClientFixed | SeedListing::DistributedClient => {
                "DistributedClient"
            }
            SeedListing::DistributedClient2 => "DistributedClient2",
            SeedListing::AppServer => "AppServer",
            SeedListing::AppClient => "AppClient",
        }
    }

    /// The Java source, mended where the blog's copy lost characters (see `seed/README.md`).
    pub fn source(self) -> &'static str {
        match self {
            SeedListing::DistributedClientFixed => {
                include_str!("../seed/distributed_client_fixed.java")
            }
            SeedListing::DistributedClient => include_str!("../seed/distributed_client.java"),
            SeedListing::DistributedClient2 => include_str!("../seed/distributed_client2.java"),
            SeedListing::AppServer => include_str!("../seed/app_server.java"),
            SeedListing::AppClient => include_str!("../seed/app_client.java"),
        }
    }

    fn anchors(self) -> impl Iterator<Item = &'static Anchor> {
        let (own, common): (&[Anchor], &[Anchor]) = match self {
            SeedListing::DistributedClientFixed => (FIXED, LOCK_COMMON),
            SeedListing::DistributedClient => (NAIVE, LOCK_COMMON),
            SeedListing::DistributedClient2 => (CHILDREN_WATCH, LOCK_COMMON),
            SeedListing::AppServer => (APP_SERVER, &[]),
            SeedListing::AppClient => (APP_CLIENT, &[]),
        };
        own.iter().chain(common)
    }

    /// The line (from 1) of `point` in this listing, if the listing has it. A listing without
    /// the fix re-lists and re-watches where it first listed and watched.
    pub fn line(self, point: SeedPoint) -> Option<u32> {
        let fallback = match point {
            SeedPoint::Relist => Some(SeedPoint::GetChildren),
            SeedPoint::Rewatch => Some(SeedPoint::WatchPredecessor),
            _ => None,
        };
        self.exact_line(point)
            .or_else(|| self.exact_line(fallback?))
    }

    /// Looked up, not searched: the page asks for a line per client at every event.
    fn exact_line(self, point: SeedPoint) -> Option<u32> {
        static LINES: OnceLock<HashMap<(SeedListing, SeedPoint), u32>> = OnceLock::new();
        let lines = LINES.get_or_init(|| {
            let mut lines = HashMap::new();
            for listing in SeedListing::ALL {
                for anchor in listing.anchors() {
                    if let Some(line) = listing.find(anchor) {
                        lines.insert((listing, anchor.point), line);
                    }
                }
            }
            lines
        });
        lines.get(&(self, point)).copied()
    }

    /// The line (from 1) an anchor names, searched in the source.
    fn find(self, anchor: &Anchor) -> Option<u32> {
        self.source()
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains(anchor.text))
            .nth(anchor.nth)
            .map(|(i, _)| i as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_text(listing: SeedListing, point: SeedPoint) -> &'static str {
        let line = listing
            .line(point)
            .unwrap_or_else(|| panic!("{listing:?} has no line for {point:?}"));
        listing.source().lines().nth(line as usize - 1).unwrap()
    }

    #[test]
    fn every_point_a_lock_client_stands_at_is_a_line_of_its_listing() {
        let points = [
            P::Connect,
            P::Create,
            P::GetChildren,
            P::Waiting,
            P::Notified,
            P::GainLock,
            P::Work,
            P::Hold,
            P::Finished,
            P::Delete,
        ];
        for recipe in LockRecipeKind::ALL {
            for point in points {
                line_text(SeedListing::of(recipe).expect("built in"), point);
            }
        }
        for listing in [
            SeedListing::DistributedClientFixed,
            SeedListing::DistributedClient,
        ] {
            assert!(line_text(listing, P::WatchPredecessor)
                .contains("getData(waitPath, true, new Stat())"));
        }
    }

    #[test]
    fn the_fixed_listing_relists_inside_process_and_lists_first_after_the_create() {
        let fixed = SeedListing::DistributedClientFixed;
        let relist = fixed.line(P::Relist).unwrap();
        let first = fixed.line(P::GetChildren).unwrap();
        let process = fixed.line(P::Waiting).unwrap();
        let create = fixed.line(P::Create).unwrap();
        assert!(process < relist && relist < create && create < first);
        assert!(line_text(fixed, P::Rewatch).contains("zk.exists(waitPath, true) == null"));
        // The naive listing has neither: it re-lists and re-watches where it first did.
        let naive = SeedListing::DistributedClient;
        assert_eq!(naive.line(P::Relist), naive.line(P::GetChildren));
        assert_eq!(naive.line(P::Rewatch), naive.line(P::WatchPredecessor));
    }

    #[test]
    fn the_seeds_lines_are_kept_and_its_copy_errors_mended() {
        assert_eq!(SeedListing::DistributedClient.source().lines().count(), 103);
        assert_eq!(SeedListing::DistributedClient2.source().lines().count(), 95);
        assert_eq!(SeedListing::AppServer.source().lines().count(), 43);
        assert_eq!(SeedListing::AppClient.source().lines().count(), 64);
        // The fix's 21 lines replace the 4 of the naive `NodeDeleted` branch.
        assert_eq!(
            SeedListing::DistributedClientFixed.source().lines().count(),
            103 - 4 + 21
        );
        assert_eq!(
            SeedListing::DistributedClient.line(P::WatchPredecessor),
            Some(69)
        );
        for listing in SeedListing::ALL {
            let source = listing.source();
            assert!(!source.contains("truenew") && !source.contains("5000new"));
            assert!(!source.contains('\u{a0}'));
        }
    }

    #[test]
    fn registry_listings_name_their_lines() {
        assert!(
            line_text(SeedListing::AppServer, P::Create).contains("zk.create(\"/\" + groupNode")
        );
        assert!(line_text(SeedListing::AppServer, P::Serve).contains("Long.MAX_VALUE"));
        assert!(line_text(SeedListing::AppClient, P::GetChildren)
            .contains("getChildren(\"/\" + groupNode, true)"));
        assert!(line_text(SeedListing::AppClient, P::ReadData).contains("getData("));
        assert!(line_text(SeedListing::AppClient, P::PrintList).contains("server list updated"));
    }
}
