//! What the fleet page draws, as pure functions: the live server list and each room's owner
//! queue as ZooKeeper holds them (`GET /fleet.json`), in the shapes lessons 4 and 1 draw.

use shared::fleet::{FleetNode, FleetView, RoomOwners};
use shared::NodeState;

/// A node of a room's owner queue as its card shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerCard {
    /// The node as ZooKeeper names it: `/zkplay/<room>/owner/sub…`.
    pub path: String,
    /// The server whose seat it is.
    pub url: String,
    /// The server as the card names it: its address without the scheme.
    pub who: String,
    /// The first node holds (its server runs the room); each other waits.
    pub state: NodeState,
    /// The card it watches: the node just before it (the fixed predecessor recipe).
    pub watches: Option<usize>,
}

/// One room's queue, drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomQueue {
    pub room: String,
    pub cards: Vec<OwnerCard>,
}

/// The whole page's picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetPicture {
    /// The server that answered (the one this page came from).
    pub this: String,
    pub servers: Vec<FleetNode>,
    pub rooms: Vec<RoomQueue>,
    pub fenced_writes: u64,
}

impl FleetPicture {
    pub fn of(view: &FleetView) -> FleetPicture {
        FleetPicture {
            this: view.this.clone(),
            servers: view.backends.clone(),
            rooms: view.rooms.iter().map(room_queue).collect(),
            fenced_writes: view.fenced_writes,
        }
    }

    /// How many rooms the server at `url` runs.
    pub fn runs(&self, url: &str) -> usize {
        self.rooms
            .iter()
            .filter(|room| room.cards.first().is_some_and(|card| card.url == url))
            .count()
    }
}

fn room_queue(owners: &RoomOwners) -> RoomQueue {
    let cards = owners
        .queue
        .iter()
        .enumerate()
        .map(|(index, node)| OwnerCard {
            path: format!("{}/{}", shared::fleet::owner_dir(&owners.room), node.name),
            url: node.url.clone(),
            who: node
                .url
                .split_once("://")
                .map_or(node.url.as_str(), |(_, rest)| rest)
                .to_string(),
            state: match index {
                0 => NodeState::Holding,
                _ => NodeState::Waiting,
            },
            watches: index.checked_sub(1),
        })
        .collect();
    RoomQueue {
        room: owners.room.clone(),
        cards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, url: &str) -> FleetNode {
        FleetNode {
            name: name.into(),
            url: url.into(),
        }
    }

    #[test]
    fn the_first_seat_runs_the_room_and_each_other_watches_the_one_before_it() {
        let view = FleetView {
            this: "http://a".into(),
            backends: vec![
                node("sub0000000000", "http://a"),
                node("sub0000000001", "http://b"),
            ],
            rooms: vec![
                RoomOwners {
                    room: "main".into(),
                    queue: vec![
                        node("sub0000000004", "http://b"),
                        node("sub0000000005", "http://a"),
                        node("sub0000000009", "http://c"),
                    ],
                },
                RoomOwners {
                    room: "quiet-otter-42".into(),
                    queue: vec![node("sub0000000000", "http://b")],
                },
            ],
            fenced_writes: 0,
        };
        let picture = FleetPicture::of(&view);
        let main = &picture.rooms[0];
        assert_eq!(main.cards[0].path, "/zkplay/main/owner/sub0000000004");
        assert_eq!(main.cards[0].who, "b");
        let states: Vec<_> = main.cards.iter().map(|c| (c.state, c.watches)).collect();
        assert_eq!(
            states,
            [
                (NodeState::Holding, None),
                (NodeState::Waiting, Some(0)),
                (NodeState::Waiting, Some(1)),
            ]
        );
        assert_eq!(picture.runs("http://b"), 2);
        assert_eq!(picture.runs("http://a"), 0);
    }
}
