//! What the code panel shows: the seed's listings of the room, and which client stands on
//! which line. Plain Rust over the view, tested on native; the lines come from `shared`'s one
//! map, the same the server names waiting moves with.

use std::collections::BTreeMap;

use shared::{ClientId, PendingMove, RoomView, SeedListing};

/// The seed's listings the room runs: its lock recipe's (unless it runs its own), then the live
/// server list's two.
pub fn listings(view: &RoomView) -> Vec<SeedListing> {
    let lock = SeedListing::of(view.recipe);
    lock.into_iter()
        .chain([SeedListing::AppServer, SeedListing::AppClient])
        .collect()
}

/// Every client of the room that runs `listing`, by the line it stands on (ascending ids).
pub fn badges(view: &RoomView, listing: SeedListing) -> BTreeMap<u32, Vec<ClientId>> {
    let mut lines: BTreeMap<u32, Vec<ClientId>> = BTreeMap::new();
    for (id, runs, point) in view.seed_points() {
        if let Some(line) = (runs == listing).then(|| listing.line(point)).flatten() {
            lines.entry(line).or_default().push(id);
        }
    }
    for clients in lines.values_mut() {
        clients.sort_unstable();
    }
    lines
}

/// Every lock client of a room that runs its own recipe, by the line of that recipe its last
/// call was made at (ascending ids); none while the room runs a built-in one.
pub fn script_badges(view: &RoomView) -> BTreeMap<u32, Vec<ClientId>> {
    let mut lines: BTreeMap<u32, Vec<ClientId>> = BTreeMap::new();
    if view.recipe != shared::LockRecipeKind::Script {
        return lines;
    }
    for c in &view.locks.clients {
        if let Some(line) = c.line {
            lines.entry(line).or_default().push(c.id);
        }
    }
    lines
}

/// The listing a client runs and the line it is at.
pub fn client_line(view: &RoomView, client: ClientId) -> Option<(SeedListing, u32)> {
    let (listing, point) = view.seed_point(client)?;
    Some((listing, listing.line(point)?))
}

/// The line a waiting move is, in its client's listing.
pub fn pending_line(view: &RoomView, pending: &PendingMove) -> Option<u32> {
    let (listing, _) = view.seed_point(pending.client)?;
    listing.line(pending.point)
}

/// The badges a line draws: the first `max` of the clients standing there, and the selected
/// one if it is further down; and how many more stand there. A crowd on one line (a thousand
/// waiters in `process`) would otherwise draw a thousand buttons at every hand-off.
pub fn shown_badges(
    here: &[ClientId],
    selected: Option<ClientId>,
    max: usize,
) -> (Vec<ClientId>, usize) {
    let mut shown: Vec<ClientId> = here.iter().copied().take(max).collect();
    if let Some(c) = selected.filter(|c| here.contains(c) && !shown.contains(c)) {
        shown.push(c);
    }
    let more = here.len() - shown.len();
    (shown, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{MoveKind, RoomEvent, SeedPoint, WatchCall};

    fn view_with_two_clients() -> RoomView {
        let mut view = RoomView::new("main", 0);
        let events = [
            RoomEvent::ClientAdded {
                client: 1,
                owner: None,
            },
            RoomEvent::ClientAdded {
                client: 2,
                owner: None,
            },
            RoomEvent::ClientConnected {
                client: 1,
                session: shared::SessionId(0x1),
                timeout_ms: 5000,
            },
            RoomEvent::ClientConnected {
                client: 2,
                session: shared::SessionId(0x2),
                timeout_ms: 5000,
            },
            RoomEvent::NodeCreatedByClient {
                client: 1,
                path: "/locks/sub0000000000".into(),
            },
            RoomEvent::LockGained {
                client: 1,
                path: "/locks/sub0000000000".into(),
            },
            RoomEvent::NodeCreatedByClient {
                client: 2,
                path: "/locks/sub0000000001".into(),
            },
            RoomEvent::WatchSet {
                client: 2,
                path: "/locks/sub0000000000".into(),
                call: WatchCall::GetData,
            },
        ];
        for (i, e) in events.iter().enumerate() {
            view.apply(i as u64 + 1, 0, e);
        }
        view
    }

    #[test]
    fn a_holder_sleeps_and_a_waiter_waits_in_process() {
        let view = view_with_two_clients();
        let fixed = SeedListing::DistributedClientFixed;
        let hold = fixed.line(SeedPoint::Hold).unwrap();
        let waiting = fixed.line(SeedPoint::Waiting).unwrap();
        let lines = badges(&view, fixed);
        assert_eq!(lines.get(&hold), Some(&vec![1]));
        assert_eq!(lines.get(&waiting), Some(&vec![2]));
        assert!(badges(&view, SeedListing::AppServer).is_empty());
    }

    #[test]
    fn a_waiting_move_puts_its_client_on_the_moves_line() {
        let mut view = view_with_two_clients();
        let pending = PendingMove {
            id: 1,
            client: 2,
            kind: MoveKind::Notification,
            point: SeedPoint::Notified,
            path: Some("/locks/sub0000000000".into()),
            since_ms: 0,
            due_ms: None,
        };
        view.apply(
            9,
            0,
            &RoomEvent::MovePending {
                pending: pending.clone(),
            },
        );
        let fixed = SeedListing::DistributedClientFixed;
        let notified = fixed.line(SeedPoint::Notified).unwrap();
        assert_eq!(pending_line(&view, &pending), Some(notified));
        assert_eq!(client_line(&view, 2), Some((fixed, notified)));
        assert_eq!(badges(&view, fixed).get(&notified), Some(&vec![2]));
        // Released, it is back where its state puts it.
        view.apply(10, 0, &RoomEvent::MoveReleased { id: 1, client: 2 });
        assert_eq!(
            client_line(&view, 2),
            Some((fixed, fixed.line(SeedPoint::Waiting).unwrap()))
        );
    }

    #[test]
    fn a_crowded_line_draws_a_few_badges_and_counts_the_rest() {
        let here: Vec<ClientId> = (1..=1000).collect();
        assert_eq!(shown_badges(&here, None, 12), ((1..=12).collect(), 988));
        let (shown, more) = shown_badges(&here, Some(700), 12);
        assert_eq!((shown.len(), shown.last(), more), (13, Some(&700), 987));
        assert_eq!(shown_badges(&here[..3], Some(2), 12), (vec![1, 2, 3], 0));
        assert_eq!(shown_badges(&here[..3], Some(9), 12), (vec![1, 2, 3], 0));
    }

    #[test]
    fn the_listings_follow_the_recipe() {
        let mut view = RoomView::new("main", 0);
        assert_eq!(listings(&view)[0], SeedListing::DistributedClientFixed);
        view.apply(
            1,
            0,
            &RoomEvent::RecipeChanged {
                recipe: shared::LockRecipeKind::ChildrenWatch,
            },
        );
        assert_eq!(listings(&view)[0], SeedListing::DistributedClient2);
    }
}
