//! The client the arrow keys select: the room's clients in the order the page shows them, and
//! the next one up or down, as pure functions.

use shared::{ClientId, RoomView};

/// The room's clients in the order the page shows them: lock clients by their node's place in
/// the queue (those without a node after), then servers, then app clients.
pub fn clients_in_order(view: &RoomView) -> Vec<ClientId> {
    let place = |c: &&shared::LockClientView| {
        c.path
            .as_deref()
            .and_then(|p| view.locks.nodes.iter().position(|n| n.path == p))
            .unwrap_or(usize::MAX)
    };
    let mut locks: Vec<_> = view.locks.clients.iter().collect();
    locks.sort_by_key(|c| (place(c), c.id));
    locks
        .into_iter()
        .map(|c| c.id)
        .chain(view.registry.servers.iter().map(|s| s.id))
        .chain(view.registry.app_clients.iter().map(|a| a.id))
        .collect()
}

/// The clients ↑ and ↓ walk: the queue's, which the stage shows first, so that a projected
/// selection never lands on a card far below it; the registry's (servers, then app clients)
/// when the stage is about the registry (`registry`), or when no lock client runs.
fn walked(view: &RoomView, registry: bool) -> Vec<ClientId> {
    let all = clients_in_order(view);
    let locks = view.locks.clients.len().min(all.len());
    let (queue, rest) = all.split_at(locks);
    match (registry, queue.is_empty()) {
        (true, _) => rest.iter().chain(queue).copied().collect(),
        (false, false) => queue.to_vec(),
        (false, true) => rest.to_vec(),
    }
}

/// The client ↑ (`down: false`) or ↓ selects after `selected`: the next one along, wrapping;
/// the first (or last) when none is selected (see [`walked`]). When the selected one left
/// from place `left_at` of the queue, ↓ selects the one now there and ↑ the one before.
pub fn select_next(
    view: &RoomView,
    selected: Option<ClientId>,
    down: bool,
    registry: bool,
    left_at: Option<usize>,
) -> Option<ClientId> {
    let order = walked(view, registry);
    let at = selected.and_then(|s| order.iter().position(|c| *c == s));
    let n = order.len();
    if n == 0 {
        return None;
    }
    // Where the selected one left, the one now in its place is next down: a cursor there.
    let cursor = at.or(left_at.filter(|_| !registry).map(|gap| gap.min(n)));
    let next = match (cursor, down) {
        (None, true) => 0,
        (Some(i), true) if at.is_none() => i.min(n - 1),
        (Some(i), true) => (i + 1) % n,
        (None, false) => n - 1,
        (Some(i), false) => (i + n - 1) % n,
    };
    Some(order[next])
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{RoomEvent, SessionId, Znode};

    /// Clients 1, 2, 3 queued as 3, 1, (2 without a node), and server 4.
    fn room() -> RoomView {
        let mut view = RoomView::new("r", 0);
        let mut seq = 0;
        let mut apply = |view: &mut RoomView, e: RoomEvent| {
            seq += 1;
            view.apply(seq, 0, &e);
        };
        for client in [1, 2, 3] {
            apply(
                &mut view,
                RoomEvent::ClientAdded {
                    client,
                    owner: None,
                },
            );
        }
        for (client, n) in [(3, 0), (1, 1)] {
            let session = SessionId(100 + i64::from(client));
            apply(
                &mut view,
                RoomEvent::ClientConnected {
                    client,
                    session,
                    timeout_ms: 1,
                },
            );
            let path = format!("/locks/sub{n:010}");
            apply(
                &mut view,
                RoomEvent::NodeCreatedByClient {
                    client,
                    path: path.clone(),
                },
            );
            apply(
                &mut view,
                RoomEvent::ZnodeAdded {
                    node: Znode::read(path, n, session, ""),
                },
            );
        }
        apply(
            &mut view,
            RoomEvent::ServerAdded {
                client: 4,
                name: "server0000".into(),
                owner: None,
            },
        );
        view
    }

    #[test]
    fn the_arrows_walk_the_clients_in_the_order_the_page_shows_them() {
        let view = room();
        assert_eq!(clients_in_order(&view), [3, 1, 2, 4]);
        // The queue's clients, not server 4 below the stage.
        assert_eq!(select_next(&view, None, true, false, None), Some(3));
        assert_eq!(select_next(&view, None, false, false, None), Some(2));
        assert_eq!(select_next(&view, Some(3), true, false, None), Some(1));
        assert_eq!(
            select_next(&view, Some(2), true, false, None),
            Some(3),
            "it wraps"
        );
        assert_eq!(select_next(&view, Some(3), false, false, None), Some(2));
        assert_eq!(
            select_next(&view, Some(99), true, false, None),
            Some(3),
            "a client that left"
        );
        // A lesson about the registry walks its clients first.
        assert_eq!(select_next(&view, None, true, true, None), Some(4));
        assert_eq!(select_next(&view, Some(4), true, true, None), Some(3));
        assert_eq!(
            select_next(&RoomView::default(), Some(1), true, false, None),
            None
        );
        // Client 1 (second in the queue) left: ↓ goes to the one now second, ↑ to the first.
        assert_eq!(select_next(&view, None, true, false, Some(1)), Some(1));
        assert_eq!(select_next(&view, None, false, false, Some(1)), Some(3));
        assert_eq!(
            select_next(&view, None, true, false, Some(7)),
            Some(2),
            "past the end"
        );
    }
}
