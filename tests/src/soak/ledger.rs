//! What the soak checks, as pure bookkeeping over what it saw: who held the lock when, which
//! waiters never got it, and whether dead sessions' nodes went in the time ZooKeeper promises.

use std::collections::BTreeMap;
use std::time::Duration;

use shared::{ClientId, CloseReason, RoomEvent};

/// Where a lock client of the current server run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stand {
    /// Added, not yet holding: connecting, creating its node, or waiting in the queue.
    Waiting,
    /// It believes it holds the lock and acts on it.
    Holding,
    /// It holds, but has stopped acting while its connection is down (Curator's SUSPENDED).
    Suspended,
}

#[derive(Clone, Debug)]
struct Client {
    stand: Stand,
    /// Its lock node, once it has said it created one, until it deletes it.
    node: Option<String>,
    /// The session timeout ZooKeeper gave it.
    timeout: Duration,
    /// When its session was established.
    connected: Duration,
}

/// Two clients acting as holders at once: `second` gained (or resumed) while `first` held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    pub first: ClientId,
    pub second: ClientId,
    pub second_path: String,
}

/// A lock node whose session died without closing: ZooKeeper must delete it when the session
/// expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    pub path: String,
    pub timeout: Duration,
    /// When its session was established.
    pub connected: Duration,
}

/// The lock clients of one server run, and what the soak has counted over all runs.
#[derive(Debug, Default)]
pub struct Ledger {
    clients: BTreeMap<ClientId, Client>,
    pub overlaps: Vec<Overlap>,
    /// Locks gained: each is a hand-off from the previous holder (or from nobody).
    pub hand_offs: u64,
    /// How lock clients left, by reason (`Debug` names, for the summary).
    pub closes: BTreeMap<String, u64>,
    /// Clients that died with a server process.
    pub lost_with_server: u64,
}

impl Ledger {
    /// Takes in one event of the room, seen `at`. A killed client's node (if it had one) is
    /// returned: its session lives on until ZooKeeper expires it.
    pub fn observe(&mut self, at: Duration, event: &RoomEvent) -> Option<Orphan> {
        match event {
            RoomEvent::ClientAdded { client, .. } => {
                self.clients.insert(
                    *client,
                    Client {
                        stand: Stand::Waiting,
                        node: None,
                        timeout: Duration::ZERO,
                        connected: at,
                    },
                );
            }
            RoomEvent::ClientConnected {
                client, timeout_ms, ..
            } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.timeout = Duration::from_millis(*timeout_ms);
                    c.connected = at;
                }
            }
            RoomEvent::NodeCreatedByClient { client, path } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.node = Some(path.clone());
                }
            }
            RoomEvent::LockGained { client, path } => {
                self.hand_offs += 1;
                self.begin_holding(*client, path);
            }
            RoomEvent::LockResumed { client, path } => self.begin_holding(*client, path),
            RoomEvent::LockSuspended { client, .. } => self.set_stand(*client, Stand::Suspended),
            RoomEvent::LockReleased { client, .. } => {
                if let Some(c) = self.clients.get_mut(client) {
                    c.stand = Stand::Waiting;
                    c.node = None;
                }
            }
            RoomEvent::ClientClosed { client, reason } => {
                *self.closes.entry(format!("{reason:?}")).or_default() += 1;
                let gone = self.clients.remove(client)?;
                if *reason == CloseReason::Killed {
                    return gone.node.map(|path| Orphan {
                        path,
                        timeout: gone.timeout,
                        connected: gone.connected,
                    });
                }
            }
            _ => {}
        }
        None
    }

    fn begin_holding(&mut self, client: ClientId, path: &str) {
        if let Some((&first, _)) = self
            .clients
            .iter()
            .find(|(id, c)| **id != client && c.stand == Stand::Holding)
        {
            self.overlaps.push(Overlap {
                first,
                second: client,
                second_path: path.to_string(),
            });
        }
        self.set_stand(client, Stand::Holding);
    }

    fn set_stand(&mut self, client: ClientId, stand: Stand) {
        if let Some(c) = self.clients.get_mut(&client) {
            c.stand = stand;
        }
    }

    /// The server process died: its clients are gone with it, and their nodes are orphans.
    pub fn server_died(&mut self) -> Vec<Orphan> {
        self.lost_with_server += self.clients.len() as u64;
        std::mem::take(&mut self.clients)
            .into_values()
            .filter_map(|c| {
                c.node.map(|path| Orphan {
                    path,
                    timeout: c.timeout,
                    connected: c.connected,
                })
            })
            .collect()
    }

    /// The clients of this server run that have not left, with where they stand.
    pub fn live(&self) -> impl Iterator<Item = (ClientId, Stand)> + '_ {
        self.clients.iter().map(|(id, c)| (*id, c.stand))
    }

    pub fn live_count(&self) -> usize {
        self.clients.len()
    }

    /// The client holding the lock now, if any.
    pub fn holder(&self) -> Option<ClientId> {
        self.live()
            .find(|(_, stand)| *stand == Stand::Holding)
            .map(|(id, _)| id)
    }
}

/// How an orphan's deletion measured up to ZooKeeper's promise.
#[derive(Clone, Debug, PartialEq)]
pub enum Deletion {
    /// Gone `after` its session died, within `bound`.
    InTime { after: Duration, bound: Duration },
    /// Gone, but later than `bound`.
    Late { after: Duration, bound: Duration },
    /// Still there at the end.
    NotGone,
}

/// A member's outage: stopped at `down`, serving again (synced with the leader) at `back`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    pub down: Duration,
    pub back: Duration,
}

/// The moments ZooKeeper gives sessions a fresh timeout, whatever their clients do.
#[derive(Clone, Debug, Default)]
pub struct Renewals {
    /// A new leader serves: it starts every session's clock again.
    pub elections: Vec<Duration>,
    /// A member that comes back replays the sessions created while it was down, and reports
    /// them to the leader as just seen (ZooKeeper 3.8): their clocks start again when it syncs.
    pub outages: Vec<Outage>,
}

impl Renewals {
    /// The last renewal of a session established at `connected` that came after `died` and by
    /// `by`; `died` itself if there was none.
    pub fn last(&self, connected: Duration, died: Duration, by: Duration) -> Duration {
        let elections = self.elections.iter().copied();
        let rejoins = self
            .outages
            .iter()
            .filter(|o| o.down <= connected && connected <= o.back)
            .map(|o| o.back);
        elections
            .chain(rejoins)
            .filter(|t| *t > died && *t <= by)
            .max()
            .unwrap_or(died)
    }
}

/// Whether an orphan that died at `died` went by its deadline: the session timeout plus one
/// tick (ZooKeeper expires sessions in tick-sized buckets) after the leader last heard of the
/// session. That is its death, or half a tick later when it was connected to a follower (a
/// follower tells the leader which sessions it has heard from in its answer to the leader's
/// ping, every half tick), unless ZooKeeper renewed it later ([`Renewals`]). `gone` is the
/// earliest the node can have gone (the last reading that still had it), so a late verdict is
/// certain. Times are from the soak's start.
pub fn judge_deletion(
    orphan: &Orphan,
    died: Duration,
    gone: Option<Duration>,
    renewals: &Renewals,
    tick: Duration,
) -> Deletion {
    let Some(gone) = gone else {
        return Deletion::NotGone;
    };
    let restarted = renewals.last(orphan.connected, died, gone);
    let bound = (restarted - died) + tick / 2 + orphan.timeout + tick;
    let after = gone.saturating_sub(died);
    if after <= bound {
        Deletion::InTime { after, bound }
    } else {
        Deletion::Late { after, bound }
    }
}

/// The least-squares slope of `(seconds, kib)` samples, in MiB per hour.
pub fn growth_mib_per_hour(samples: &[(f64, u64)]) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let n = samples.len() as f64;
    let mean_t = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let mean_m = samples.iter().map(|s| s.1 as f64).sum::<f64>() / n;
    let spread: f64 = samples.iter().map(|s| (s.0 - mean_t).powi(2)).sum();
    if spread == 0.0 {
        return None;
    }
    let slope_kib_per_s = samples
        .iter()
        .map(|s| (s.0 - mean_t) * (s.1 as f64 - mean_m))
        .sum::<f64>()
        / spread;
    Some(slope_kib_per_s * 3600.0 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(client: ClientId) -> RoomEvent {
        RoomEvent::ClientAdded {
            client,
            owner: None,
        }
    }
    fn created(client: ClientId, path: &str) -> RoomEvent {
        RoomEvent::NodeCreatedByClient {
            client,
            path: path.into(),
        }
    }
    fn gained(client: ClientId, path: &str) -> RoomEvent {
        RoomEvent::LockGained {
            client,
            path: path.into(),
        }
    }
    fn closed(client: ClientId, reason: CloseReason) -> RoomEvent {
        RoomEvent::ClientClosed { client, reason }
    }

    fn ledger_of(events: &[RoomEvent]) -> Ledger {
        let mut ledger = Ledger::default();
        for (i, e) in events.iter().enumerate() {
            ledger.observe(Duration::from_secs(i as u64), e);
        }
        ledger
    }

    #[test]
    fn a_gain_while_another_holds_is_an_overlap_and_a_hand_off_is_not() {
        let handed = ledger_of(&[
            added(1),
            added(2),
            gained(1, "/locks/a1"),
            RoomEvent::LockReleased {
                client: 1,
                path: "/locks/a1".into(),
            },
            gained(2, "/locks/a2"),
        ]);
        assert!(handed.overlaps.is_empty());
        assert_eq!(handed.hand_offs, 2);
        assert_eq!(handed.holder(), Some(2));

        let both = ledger_of(&[
            added(1),
            added(2),
            gained(1, "/locks/a1"),
            gained(2, "/locks/a2"),
        ]);
        assert_eq!(
            both.overlaps,
            vec![Overlap {
                first: 1,
                second: 2,
                second_path: "/locks/a2".into()
            }]
        );
    }

    #[test]
    fn a_suspended_holder_does_not_act_but_resuming_beside_a_holder_overlaps() {
        let mut ledger = ledger_of(&[
            added(1),
            added(2),
            gained(1, "/locks/a1"),
            RoomEvent::LockSuspended {
                client: 1,
                path: "/locks/a1".into(),
            },
            gained(2, "/locks/a2"),
        ]);
        assert!(ledger.overlaps.is_empty());
        ledger.observe(
            Duration::ZERO,
            &RoomEvent::LockResumed {
                client: 1,
                path: "/locks/a1".into(),
            },
        );
        assert_eq!(ledger.overlaps.len(), 1);
        assert_eq!(
            (ledger.overlaps[0].first, ledger.overlaps[0].second),
            (2, 1)
        );
    }

    #[test]
    fn a_killed_client_leaves_its_node_as_an_orphan_and_a_crashed_one_does_not() {
        let mut ledger = ledger_of(&[
            added(1),
            RoomEvent::ClientConnected {
                client: 1,
                session: shared::SessionId(7),
                timeout_ms: 4000,
            },
            created(1, "/locks/a1"),
            added(2),
            created(2, "/locks/a2"),
        ]);
        assert_eq!(
            ledger.observe(Duration::from_secs(9), &closed(1, CloseReason::Killed)),
            Some(Orphan {
                path: "/locks/a1".into(),
                timeout: Duration::from_secs(4),
                connected: Duration::from_secs(1),
            })
        );
        assert_eq!(
            ledger.observe(Duration::from_secs(9), &closed(2, CloseReason::Crashed)),
            None
        );
        assert_eq!(ledger.live_count(), 0);
        assert_eq!(ledger.closes["Killed"], 1);
    }

    #[test]
    fn a_server_death_orphans_every_node_of_its_clients_and_forgets_them() {
        let mut ledger = ledger_of(&[
            added(1),
            created(1, "/locks/a1"),
            gained(1, "/locks/a1"),
            added(2),
            created(2, "/locks/a2"),
            added(3),
        ]);
        let orphans: Vec<_> = ledger.server_died().into_iter().map(|o| o.path).collect();
        assert_eq!(orphans, ["/locks/a1", "/locks/a2"]);
        assert_eq!(ledger.lost_with_server, 3);
        assert_eq!(ledger.holder(), None);
        // The next run's clients may hold without overlapping the dead one.
        ledger.observe(Duration::ZERO, &added(1));
        ledger.observe(Duration::ZERO, &gained(1, "/locks/a4"));
        assert!(ledger.overlaps.is_empty());
    }

    #[test]
    fn a_deletion_is_due_a_timeout_and_a_tick_after_the_death_or_the_last_renewal() {
        let s = Duration::from_secs_f64;
        let orphan = Orphan {
            path: "/locks/a1".into(),
            timeout: s(10.0),
            connected: s(95.0),
        };
        let tick = s(0.5);
        let none = Renewals::default();
        assert_eq!(
            judge_deletion(&orphan, s(100.0), Some(s(110.7)), &none, tick),
            Deletion::InTime {
                after: s(10.7),
                bound: s(10.75)
            }
        );
        assert!(matches!(
            judge_deletion(&orphan, s(100.0), Some(s(110.8)), &none, tick),
            Deletion::Late { .. }
        ));
        // An election at 104 s renews the session: 10.75 s from then.
        let elected = Renewals {
            elections: vec![s(90.0), s(104.0)],
            ..Renewals::default()
        };
        assert!(matches!(
            judge_deletion(&orphan, s(100.0), Some(s(114.0)), &elected, tick),
            Deletion::InTime { .. }
        ));
        // A member down when the session began renews it when it comes back at 103 s; one
        // that went down after the session began does not.
        let rejoined = |down: f64| Renewals {
            outages: vec![Outage {
                down: s(down),
                back: s(103.0),
            }],
            ..Renewals::default()
        };
        assert!(matches!(
            judge_deletion(&orphan, s(100.0), Some(s(113.6)), &rejoined(92.0), tick),
            Deletion::InTime { .. }
        ));
        assert!(matches!(
            judge_deletion(&orphan, s(100.0), Some(s(113.6)), &rejoined(97.0), tick),
            Deletion::Late { .. }
        ));
        assert_eq!(
            judge_deletion(&orphan, s(100.0), None, &none, tick),
            Deletion::NotGone
        );
    }

    #[test]
    fn growth_is_the_fitted_slope_in_mib_per_hour() {
        // 1 MiB (1024 KiB) more every hour, sampled each minute with noise that cancels.
        let samples: Vec<(f64, u64)> = (0..60)
            .map(|m| {
                let t = m as f64 * 60.0;
                let noise = if m % 2 == 0 { 50 } else { 0 };
                (t, 20_000 + (t / 3600.0 * 1024.0) as u64 + noise)
            })
            .collect();
        let slope = growth_mib_per_hour(&samples).unwrap();
        assert!((slope - 1.0).abs() < 0.05, "{slope}");
        assert_eq!(growth_mib_per_hour(&samples[..1]), None);
    }
}
