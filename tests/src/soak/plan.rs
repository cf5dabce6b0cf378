//! The soak's faults, drawn from a seed: which fault comes next, when, and how long it lasts.
//! The same seed gives the same plan, so a failing run can be named and run again.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

/// One fault the soak injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// A client closes its session at once.
    Crash,
    /// A client's process dies; its session lives on until it expires.
    Kill,
    /// A client's connection freezes for less than its session timeout.
    Pause,
    /// A client is cut off from ZooKeeper for less than its session timeout.
    Partition,
    /// One ensemble member stops, and starts again a few seconds later.
    Member,
    /// The zkplay process is killed and started again on the same address.
    Server,
    /// The server that runs the room, one of a fleet of two, is killed: the other takes the
    /// room once the dead one's session expires.
    Fleet,
}

impl Fault {
    pub const ALL: [Fault; 7] = [
        Fault::Crash,
        Fault::Kill,
        Fault::Pause,
        Fault::Partition,
        Fault::Member,
        Fault::Server,
        Fault::Fleet,
    ];

    /// Ends every session of the room's server: the room starts again, elsewhere or anew.
    fn ends_the_server(self) -> bool {
        matches!(self, Fault::Server | Fault::Fleet)
    }

    /// How often each comes, against the others: client faults are cheap and frequent; a kill
    /// blocks the queue for a session timeout; a server restart ends every session.
    fn weight(self) -> u32 {
        match self {
            Fault::Crash => 6,
            Fault::Kill => 2,
            Fault::Pause => 5,
            Fault::Partition => 5,
            Fault::Member => 2,
            Fault::Server => 1,
            // Once, in the first round: a second server started, a takeover waited for.
            Fault::Fleet => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Fault::Crash => "crash",
            Fault::Kill => "kill",
            Fault::Pause => "pause",
            Fault::Partition => "partition",
            Fault::Member => "member",
            Fault::Server => "server",
            Fault::Fleet => "fleet",
        }
    }
}

/// The faults of one soak run.
pub struct Plan {
    rng: StdRng,
    /// Every kind once, in a shuffled order, before any repeats: a short run sees them all.
    first: Vec<Fault>,
    /// No server's end after this point, so the last server run lasts a third of the soak
    /// and its memory can be measured.
    last_restart: Duration,
}

impl Plan {
    pub fn new(seed: u64, run: Duration) -> Plan {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut first = Fault::ALL.to_vec();
        first.shuffle(&mut rng);
        // A server's end first would end the run's first clients before anything else.
        first.retain(|f| !f.ends_the_server());
        first.extend([Fault::Fleet, Fault::Server]);
        first.reverse();
        Plan {
            rng,
            first,
            last_restart: run * 2 / 3,
        }
    }

    /// The wait before the next fault: 0.5 to 3 s.
    pub fn gap(&mut self) -> Duration {
        Duration::from_millis(self.rng.random_range(500..=3000))
    }

    /// The next fault at `at` (since the start); `member_down` rules out a second member.
    pub fn next(&mut self, at: Duration, member_down: bool) -> Fault {
        let allowed = |f: Fault| match f {
            Fault::Member => !member_down,
            f if f.ends_the_server() => at <= self.last_restart,
            _ => true,
        };
        if let Some(pos) = self.first.iter().rposition(|f| allowed(*f)) {
            return self.first.remove(pos);
        }
        let kinds: Vec<Fault> = Fault::ALL
            .into_iter()
            .filter(|f| allowed(*f) && f.weight() > 0)
            .collect();
        *kinds
            .choose_weighted(&mut self.rng, |f| f.weight())
            .expect("client faults are always allowed")
    }

    /// How long a pause or a partition lasts: at most 40 % of the session timeout, so the
    /// session lives through it even on a slow machine.
    pub fn cut(&mut self, session_timeout: Duration) -> Duration {
        let most = (session_timeout.as_millis() as u64 * 2 / 5).max(300);
        Duration::from_millis(self.rng.random_range(200..=most))
    }

    /// How long a stopped member stays down.
    pub fn outage(&mut self) -> Duration {
        Duration::from_millis(self.rng.random_range(1500..=5000))
    }

    /// One of `items`, or `None` if there are none.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        items.choose(&mut self.rng).copied()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_faults_are_every_kind_once_the_servers_ends_last() {
        let mut plan = Plan::new(7, Duration::from_secs(120));
        let first: Vec<Fault> = (0..7)
            .map(|i| plan.next(Duration::from_secs(i), false))
            .collect();
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, Fault::ALL);
        assert_eq!(first[5..], [Fault::Fleet, Fault::Server]);
    }

    #[test]
    fn a_seed_gives_one_plan() {
        let draw = |seed| {
            let mut plan = Plan::new(seed, Duration::from_secs(600));
            (0..50)
                .map(|i| (plan.next(Duration::from_secs(i), false), plan.gap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn a_fleet_takeover_comes_once() {
        let mut plan = Plan::new(5, Duration::from_secs(600));
        let takeovers = (0..500)
            .filter(|i| plan.next(Duration::from_secs(*i), false) == Fault::Fleet)
            .count();
        assert_eq!(takeovers, 1);
    }

    #[test]
    fn no_second_member_and_no_restart_in_the_last_third() {
        let mut plan = Plan::new(11, Duration::from_secs(90));
        for i in 0..500 {
            let fault = plan.next(Duration::from_secs(61 + i % 20), true);
            assert!(
                !matches!(fault, Fault::Member | Fault::Server | Fault::Fleet),
                "{fault:?}"
            );
        }
    }

    #[test]
    fn cuts_stay_well_inside_the_session_timeout() {
        let mut plan = Plan::new(1, Duration::from_secs(60));
        for _ in 0..1000 {
            let cut = plan.cut(Duration::from_secs(10));
            assert!(cut >= Duration::from_millis(200) && cut <= Duration::from_secs(4));
        }
    }
}
