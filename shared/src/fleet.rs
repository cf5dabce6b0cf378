//! A fleet of zkplay servers on one ensemble, as ZooKeeper holds it: the live server list
//! (lesson 4's recipe) and each room's owner queue (lesson 1's), and the `/fleet` view of both.

use serde::{Deserialize, Serialize};

/// The fleet's own folder, beside the rooms' `/zkplay`.
pub const FLEET_DIR: &str = "/zkplay-fleet";
/// Where every server of the fleet registers, as the seed's AppServer does under `/sgroup`.
pub const BACKENDS_DIR: &str = "/zkplay-fleet/backends";
/// A server's node: EPHEMERAL_SEQUENTIAL, its public URL as data.
pub const BACKEND_PREFIX: &str = "/zkplay-fleet/backends/sub";
/// Classrooms made anywhere in the fleet: one persistent node each, named as the room.
pub const CLASSROOMS_DIR: &str = "/zkplay-fleet/classrooms";
/// Where the fleet keeps classroom `room` (its name, the digest of its teacher's key and when
/// it was made; never the key).
pub fn classroom_node(room: &str) -> String {
    format!("{CLASSROOMS_DIR}/{room}")
}

/// A room's owner queue, under the room's own node: `/zkplay/<room>/owner/sub…`.
pub const OWNER_DIR: &str = "/owner";

/// The owner queue of `room`: `/zkplay/<room>/owner`.
pub fn owner_dir(room: &str) -> String {
    format!("/zkplay/{room}{OWNER_DIR}")
}

/// One node of a queue or list: its name (`sub0000000003`) and the server URL it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetNode {
    pub name: String,
    pub url: String,
}

/// One room's owner queue, in ZooKeeper's order: the first node's server runs the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOwners {
    pub room: String,
    pub queue: Vec<FleetNode>,
}

impl RoomOwners {
    /// The server that runs the room: the lowest node's.
    pub fn owner(&self) -> Option<&FleetNode> {
        self.queue.first()
    }
}

/// What `GET /fleet.json` answers: the fleet as ZooKeeper holds it now, read by the server
/// that answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetView {
    /// The URL of the server that answered.
    pub this: String,
    /// The live server list, in the order of their nodes.
    pub backends: Vec<FleetNode>,
    /// Every room with an owner queue, by name.
    pub rooms: Vec<RoomOwners>,
    /// Writes this server made for a room it no longer owned, refused by their fence.
    pub fenced_writes: u64,
}

/// Sorts sequential node names as ZooKeeper numbers them (names of one prefix, so their
/// text order is their number order; a stray name without the prefix sorts last).
pub fn in_queue_order(names: &mut [String]) {
    names.sort_by_key(|name| {
        let number = name.strip_prefix("sub").and_then(|n| n.parse::<u64>().ok());
        (number.is_none(), number, name.clone())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_in_sequence_order_and_its_first_node_owns() {
        let mut names = vec![
            "sub0000000010".to_string(),
            "other".to_string(),
            "sub0000000002".to_string(),
        ];
        in_queue_order(&mut names);
        assert_eq!(names, ["sub0000000002", "sub0000000010", "other"]);
        let owners = RoomOwners {
            room: "main".into(),
            queue: names
                .iter()
                .map(|name| FleetNode {
                    name: name.clone(),
                    url: format!("http://{name}"),
                })
                .collect(),
        };
        assert_eq!(
            owners.owner().map(|n| n.name.as_str()),
            Some("sub0000000002")
        );
        assert_eq!(owner_dir("main"), "/zkplay/main/owner");
    }
}
