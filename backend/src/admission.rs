//! Who may connect, and how much one address may take: the origin policy for WebSocket
//! handshakes, open connections per address, and new rooms per address per hour.
//!
//! Addresses are counted as a browser's network would share them: an IPv4 address, or an
//! IPv6 /64 (one host is given a whole /64, so counting single v6 addresses would count
//! nothing).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Open WebSocket connections one address may hold unless told otherwise: a classroom of 30
/// behind one NAT, each with a laptop and a phone and a few tabs.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 256;

/// Rooms one address may open per hour unless told otherwise.
/// Rooms one address may hold open at once: a class of 40 behind one address, each learner in
/// a lesson room of their own, with room to spare.
pub const DEFAULT_ROOMS_PER_ADDRESS: usize = 48;

/// Classrooms one address may make per hour.
pub const DEFAULT_CLASSROOMS_PER_ADDRESS: usize = 20;

/// The window over which new classrooms are counted.
pub const ROOM_QUOTA_WINDOW: Duration = Duration::from_secs(3600);

/// The admission rules a server runs with.
#[derive(Clone, Debug)]
pub struct AdmissionSettings {
    /// Origins allowed besides the server's own (`--allow-origin`), as `scheme://host[:port]`.
    pub allow_origins: Vec<String>,
    /// Open WebSocket connections one address may hold (`--connections-per-address`).
    pub connections_per_address: usize,
    /// Rooms one address may hold open at once (`--rooms-per-address`).
    pub rooms_per_address: usize,
    /// Classrooms one address may make per hour (`--classrooms-per-address`).
    pub classrooms_per_address: usize,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        AdmissionSettings {
            allow_origins: Vec::new(),
            connections_per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            rooms_per_address: DEFAULT_ROOMS_PER_ADDRESS,
            classrooms_per_address: DEFAULT_CLASSROOMS_PER_ADDRESS,
        }
    }
}

/// The server's admission state at the handshake. New rooms are counted where they are made,
/// by [`crate::room::Rooms`]' own [`RoomQuota`].
pub struct Admission {
    pub origins: OriginPolicy,
    pub connections: Arc<ConnectionCounts>,
}

impl Admission {
    pub fn new(settings: &AdmissionSettings) -> Self {
        Admission {
            origins: OriginPolicy::new(settings.allow_origins.clone()),
            connections: Arc::new(ConnectionCounts::new(settings.connections_per_address)),
        }
    }
}

/// Checks an `--allow-origin` value: `http://` or `https://`, a host, an optional port, no
/// path. Returns it as browsers send it (lower case, no trailing slash).
pub fn parse_origin(text: &str) -> Result<String, String> {
    let origin = text.trim_end_matches('/').to_ascii_lowercase();
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or_else(|| format!("{text}: an origin starts with http:// or https://"))?;
    let valid_host = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if valid_host {
        Ok(origin)
    } else {
        Err(format!(
            "{text}: an origin is scheme://host[:port], with no path (e.g. http://127.0.0.1:8081)"
        ))
    }
}

/// Which pages may open a WebSocket: the server's own (the `Host` it is reached by) and the
/// listed origins. A handshake without `Origin` comes from no web page (a command-line tool, a
/// test client) and is let in; `null` (a sandboxed frame, a file) is a page and is not.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    listed: Vec<String>,
}

/// A handshake refused for its origin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a page from {origin} may not use this server ({host}): start it with --allow-origin {origin} (`cargo xtask dev` does, for trunk serve)")]
pub struct ForeignOrigin {
    pub origin: String,
    pub host: String,
}

impl OriginPolicy {
    /// `listed` as [`parse_origin`] returns them.
    pub fn new(listed: Vec<String>) -> Self {
        OriginPolicy { listed }
    }

    /// [`OriginPolicy::check`] on a request's `Origin` and `Host` (the WebSocket's handshake
    /// and every request that changes state ask the same).
    pub fn check_headers(&self, headers: &axum::http::HeaderMap) -> Result<(), ForeignOrigin> {
        use axum::http::header;
        let origin = headers
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("?"));
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        self.check(origin, host)
    }

    pub fn check(&self, origin: Option<&str>, host: Option<&str>) -> Result<(), ForeignOrigin> {
        let Some(origin) = origin else {
            return Ok(());
        };
        let origin = origin.to_ascii_lowercase();
        let own = host.is_some_and(|host| {
            let host = host.to_ascii_lowercase();
            origin.strip_prefix("http://") == Some(host.as_str())
                || origin.strip_prefix("https://") == Some(host.as_str())
        });
        if own || self.listed.contains(&origin) {
            Ok(())
        } else {
            Err(ForeignOrigin {
                origin,
                host: host.unwrap_or("no Host").to_string(),
            })
        }
    }
}

/// The key an address is counted under.
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Open WebSocket connections per address.
#[derive(Debug)]
pub struct ConnectionCounts {
    limit: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of an address; dropping it frees the place.
#[derive(Debug)]
pub struct ConnectionSlot {
    counts: Arc<ConnectionCounts>,
    key: IpAddr,
}

impl ConnectionCounts {
    pub fn new(limit: usize) -> Self {
        ConnectionCounts {
            limit,
            open: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A place for one more connection from `ip`, if it has fewer than the limit open.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let key = counted_as(ip);
        let mut open = self.open.lock().expect("connection counts");
        let count = open.entry(key).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            counts: self.clone(),
            key,
        })
    }

    /// Connections `ip` holds open.
    #[cfg(test)]
    pub fn open(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().expect("connection counts");
        open.get(&counted_as(ip)).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().expect("connection counts");
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// An address already holds as many open rooms as it may.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("this address already holds {limit} open rooms (--rooms-per-address): close a tab you no longer use, or join a running room; a lesson room nobody watches ends after {lesson_idle_minutes} min")]
pub struct RoomsHeld {
    pub limit: usize,
    pub lesson_idle_minutes: u64,
}

/// The key an address's open rooms are counted under: an IPv4 address, an IPv6 /64.
pub fn address_key(ip: IpAddr) -> IpAddr {
    counted_as(ip)
}

/// New classrooms per address within [`ROOM_QUOTA_WINDOW`].
#[derive(Debug)]
pub struct RoomQuota {
    per_window: usize,
    created: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// An address has created as many rooms as it may for now.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("this address has made {per_hour} classrooms within the hour (--classrooms-per-address); the next one may be made in {} s", retry_in.as_secs().max(1))]
pub struct QuotaSpent {
    pub per_hour: usize,
    pub retry_in: Duration,
}

impl RoomQuota {
    pub fn new(per_window: usize) -> Self {
        RoomQuota {
            per_window,
            created: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a new room for `ip` at `now`, unless it has had its quota.
    pub fn spend(&self, ip: IpAddr, now: Instant) -> Result<(), QuotaSpent> {
        let mut created = self.created.lock().expect("room quota");
        let forget_before = now.checked_sub(ROOM_QUOTA_WINDOW);
        let expired = |at: &Instant| forget_before.is_some_and(|before| *at <= before);
        // Addresses whose rooms are all older than the window are forgotten, so the map holds
        // only the last hour's creators.
        if created.len() > 1024 {
            created.retain(|_, times| times.back().is_some_and(|t| !expired(t)));
        }
        let times = created.entry(counted_as(ip)).or_default();
        while times.front().is_some_and(expired) {
            times.pop_front();
        }
        if times.len() >= self.per_window {
            let oldest = *times.front().expect("a full window has an oldest");
            return Err(QuotaSpent {
                per_hour: self.per_window,
                retry_in: (oldest + ROOM_QUOTA_WINDOW).saturating_duration_since(now),
            });
        }
        times.push_back(now);
        Ok(())
    }
}

/// Who may stop and start the members of the ensemble every room shares (a room's own
/// ensemble, lent for a lesson, is whoever runs the room's).
#[derive(Clone, Debug)]
pub struct MemberControl {
    /// Pages from these addresses are the server's operator's (`--operators`): by default the
    /// server's own machine, where `cargo xtask play` opens it.
    pub operators: Vec<AddressRange>,
    /// A classroom's teacher may too (`--teachers-stop-members`).
    pub teachers: bool,
}

impl Default for MemberControl {
    fn default() -> Self {
        MemberControl {
            operators: DEFAULT_OPERATORS
                .iter()
                .map(|r| r.parse().expect("a valid default range"))
                .collect(),
            teachers: false,
        }
    }
}

/// The operators' addresses unless told otherwise: the server's own machine.
pub const DEFAULT_OPERATORS: [&str; 2] = ["127.0.0.0/8", "::1/128"];

impl MemberControl {
    /// Whether a page from `addr` with `role` may stop the shared ensemble's members.
    pub fn allows(&self, addr: IpAddr, role: shared::classroom::Role) -> bool {
        let addr = addr.to_canonical();
        self.operators.iter().any(|r| r.contains(addr))
            || (self.teachers && role == shared::classroom::Role::Teacher)
    }
}

/// Addresses given as `address/prefix` (or one address): `127.0.0.0/8`, `192.168.1.20`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressRange {
    net: IpAddr,
    prefix: u8,
}

impl AddressRange {
    pub fn contains(&self, addr: IpAddr) -> bool {
        let bits = |a: IpAddr| match a {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let ((net, width), (addr, addr_width)) = (bits(self.net), bits(addr.to_canonical()));
        if width != addr_width {
            return false;
        }
        let mask = match self.prefix {
            0 => 0,
            p => u128::MAX << (128 - u32::from(p)),
        };
        net & mask == addr & mask
    }
}

impl std::str::FromStr for AddressRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text}: not an IP address (e.g. 192.168.1.0/24)"))?;
        let width = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => width,
            p => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{text}: a prefix is 0 to {width}"))?,
        };
        Ok(AddressRange { net, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_operator_is_the_servers_own_machine_unless_told_and_a_teacher_if_allowed() {
        use shared::classroom::Role;
        let mut control = MemberControl::default();
        assert!(control.allows(ip("127.0.0.1"), Role::Open));
        assert!(control.allows(ip("::1"), Role::Open));
        assert!(control.allows(ip("::ffff:127.0.0.1"), Role::Viewer));
        assert!(!control.allows(ip("192.168.1.20"), Role::Open));
        assert!(!control.allows(ip("192.168.1.20"), Role::Teacher));
        control.teachers = true;
        assert!(control.allows(ip("192.168.1.20"), Role::Teacher));
        assert!(!control.allows(ip("192.168.1.20"), Role::Student));
        control.operators = vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8::7".parse().unwrap(),
        ];
        assert!(control.allows(ip("10.1.2.3"), Role::Open));
        assert!(!control.allows(ip("11.1.2.3"), Role::Open));
        assert!(control.allows(ip("2001:db8::7"), Role::Open));
        assert!(!control.allows(ip("2001:db8::8"), Role::Open));
        assert!(!control.allows(ip("127.0.0.1"), Role::Open));
        for bad in ["10.0.0.0/33", "localhost", "::1/129", "1.2.3/8"] {
            assert!(bad.parse::<AddressRange>().is_err(), "{bad}");
        }
        assert!("0.0.0.0/0"
            .parse::<AddressRange>()
            .unwrap()
            .contains(ip("8.8.8.8")));
    }

    #[test]
    fn origins_the_server_s_own_the_listed_and_none() {
        let policy = OriginPolicy::new(vec![parse_origin("http://127.0.0.1:8081").unwrap()]);
        let host = Some("192.168.1.20:8080");
        assert_eq!(policy.check(Some("http://192.168.1.20:8080"), host), Ok(()));
        assert_eq!(
            policy.check(Some("https://192.168.1.20:8080"), host),
            Ok(())
        );
        assert_eq!(policy.check(Some("HTTP://192.168.1.20:8080"), host), Ok(()));
        assert_eq!(policy.check(Some("http://127.0.0.1:8081"), host), Ok(()));
        assert_eq!(policy.check(None, host), Ok(()));
        for foreign in [
            "http://evil.example",
            "null",
            "http://192.168.1.20:8081",
            "http://192.168.1.20",
            "http://192.168.1.20:8080.evil.example",
        ] {
            let refused = policy.check(Some(foreign), host).unwrap_err();
            assert_eq!(refused.origin, foreign.to_ascii_lowercase());
        }
        assert!(policy.check(Some("http://x"), None).is_err());
    }

    #[test]
    fn allow_origin_values_are_checked() {
        assert_eq!(
            parse_origin("HTTP://127.0.0.1:8081/").as_deref(),
            Ok("http://127.0.0.1:8081")
        );
        assert_eq!(
            parse_origin("https://[::1]:8081").as_deref(),
            Ok("https://[::1]:8081")
        );
        assert!(parse_origin("127.0.0.1:8081").is_err());
        assert!(parse_origin("http://host/path").is_err());
        assert!(parse_origin("http://").is_err());
    }

    #[test]
    fn connections_are_counted_per_address_and_freed_on_drop() {
        let counts = Arc::new(ConnectionCounts::new(2));
        let a = ip("10.0.0.1");
        let first = counts.take(a).unwrap();
        let _second = counts.take(a).unwrap();
        assert!(counts.take(a).is_none());
        // Another address has its own places; a v4-mapped v6 address is the v4 one.
        assert!(counts.take(ip("10.0.0.2")).is_some());
        assert!(counts.take(ip("::ffff:10.0.0.1")).is_none());
        drop(first);
        assert_eq!(counts.open(a), 1);
        assert!(counts.take(a).is_some());
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        let counts = Arc::new(ConnectionCounts::new(1));
        let _one = counts.take(ip("2001:db8:1:2::1")).unwrap();
        assert!(counts.take(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(counts.take(ip("2001:db8:1:3::1")).is_some());
    }

    #[test]
    fn the_room_quota_is_a_sliding_hour() {
        let quota = RoomQuota::new(2);
        let a = ip("10.0.0.1");
        let t0 = Instant::now();
        let minute = Duration::from_secs(60);
        assert_eq!(quota.spend(a, t0), Ok(()));
        assert_eq!(quota.spend(a, t0 + 10 * minute), Ok(()));
        let spent = quota.spend(a, t0 + 20 * minute).unwrap_err();
        assert_eq!(spent.per_hour, 2);
        assert_eq!(spent.retry_in, 40 * minute);
        assert_eq!(quota.spend(ip("10.0.0.2"), t0 + 20 * minute), Ok(()));
        // An hour after the first, one room may open again, and only one.
        assert_eq!(quota.spend(a, t0 + 60 * minute), Ok(()));
        assert!(quota.spend(a, t0 + 61 * minute).is_err());
    }
}
