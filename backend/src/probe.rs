//! What the ensemble's members say about themselves, through the four-letter words, refreshed
//! about once a second for the ensemble panel.

use std::time::Duration;

use shared::{EnsembleView, MemberMode, MemberView};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// How often the members are asked.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Sends a four-letter word (`srvr`, `mntr`, `ruok`, ...) to `address` and returns the answer.
pub async fn four_letter_word(address: &str, word: &str) -> std::io::Result<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        stream.write_all(word.as_bytes()).await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        Ok(answer)
    };
    tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "four-letter word timed out")
        })?
}

/// Reads a member's `mntr` answer (tab-separated `key value` lines), or failing that its
/// `srvr` answer (`Key: value` lines), into a `MemberView`.
pub fn parse_member(id: u32, address: &str, mntr: Option<&str>, srvr: Option<&str>) -> MemberView {
    let mut member = MemberView {
        id,
        address: address.to_string(),
        mode: MemberMode::Down,
        connections: None,
        znodes: None,
        watches: None,
        outstanding: None,
    };
    let mode = |state: &str| match state.trim() {
        "leader" => MemberMode::Leader,
        "follower" | "observer" => MemberMode::Follower,
        "standalone" => MemberMode::Standalone,
        _ => MemberMode::Looking,
    };
    if let Some(mntr) = mntr.filter(|m| m.contains("zk_server_state")) {
        for line in mntr.lines() {
            let Some((key, value)) = line.split_once('\t') else {
                continue;
            };
            let number = value.trim().parse().ok();
            match key {
                "zk_server_state" => member.mode = mode(value),
                "zk_num_alive_connections" => member.connections = number,
                "zk_znode_count" => member.znodes = number,
                "zk_watch_count" => member.watches = number,
                "zk_outstanding_requests" => member.outstanding = number,
                _ => {}
            }
        }
        return member;
    }
    if let Some(srvr) = srvr {
        // A member that answers but does not serve says so instead of listing its state.
        member.mode = MemberMode::Looking;
        for line in srvr.lines() {
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            let number = value.trim().parse().ok();
            match key {
                "Mode" => member.mode = mode(value),
                "Connections" => member.connections = number,
                "Node count" => member.znodes = number,
                "Outstanding" => member.outstanding = number,
                _ => {}
            }
        }
    }
    member
}

/// Asks every member once.
pub async fn probe(addresses: &[String], embedded: bool) -> EnsembleView {
    let asks = addresses.iter().enumerate().map(|(i, address)| async move {
        let mntr = four_letter_word(address, "mntr").await.ok();
        // `srvr` is the one word every server allows; ask it when `mntr` told nothing.
        let srvr = match &mntr {
            Some(m) if m.contains("zk_server_state") => None,
            _ => four_letter_word(address, "srvr").await.ok(),
        };
        parse_member(i as u32 + 1, address, mntr.as_deref(), srvr.as_deref())
    });
    let members: Vec<MemberView> = futures_util::future::join_all(asks).await;
    let quorum = members
        .iter()
        .any(|m| matches!(m.mode, MemberMode::Leader | MemberMode::Standalone));
    EnsembleView {
        members,
        quorum,
        embedded,
        own: false,
    }
}

/// Probes the ensemble every [`PROBE_EVERY`] until every receiver is gone.
pub async fn run(connect: String, embedded: bool, view: watch::Sender<EnsembleView>) {
    let addresses: Vec<String> = connect.split(',').map(str::to_string).collect();
    loop {
        let now = probe(&addresses, embedded).await;
        view.send_if_modified(|old| {
            let changed = *old != now;
            *old = now;
            changed
        });
        tokio::select! {
            _ = tokio::time::sleep(PROBE_EVERY) => {}
            _ = view.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mntr_gives_mode_and_counts() {
        let mntr = "zk_version\t3.8.0\nzk_server_state\tleader\nzk_num_alive_connections\t7\n\
                    zk_outstanding_requests\t0\nzk_znode_count\t12\nzk_watch_count\t3\n";
        let m = parse_member(2, "127.0.0.1:4181", Some(mntr), None);
        assert_eq!(m.mode, MemberMode::Leader);
        assert_eq!(
            (m.connections, m.znodes, m.watches, m.outstanding),
            (Some(7), Some(12), Some(3), Some(0))
        );
    }

    #[test]
    fn srvr_is_the_fallback_and_silence_is_down() {
        let srvr = "Zookeeper version: 3.8.0\nConnections: 1\nOutstanding: 0\nZxid: 0x0\n\
                    Mode: follower\nNode count: 5\n";
        let m = parse_member(
            1,
            "a:1",
            Some("mntr is not executed because it is not in the whitelist."),
            Some(srvr),
        );
        assert_eq!(
            (m.mode, m.znodes, m.watches),
            (MemberMode::Follower, Some(5), None)
        );
        let not_serving = "This ZooKeeper instance is not currently serving requests\n";
        assert_eq!(
            parse_member(1, "a:1", Some(not_serving), Some(not_serving)).mode,
            MemberMode::Looking
        );
        assert_eq!(parse_member(3, "a:1", None, None).mode, MemberMode::Down);
    }
}

/// When the leader expires each session, from its `dump` answer: its session tracker lists
/// buckets as `<n> expire at <date>:` followed by one tab-indented session id per line. A
/// follower's `dump` has no such buckets (the leader alone expires sessions), so it gives
/// none. Java prints the date to the second, in the server's time zone: only UTC (the zone of
/// the ensemble zkplay starts) is read. Each expiry is the end of its second, the latest the
/// bucket can be.
pub fn session_expiries(dump: &str) -> std::collections::BTreeMap<shared::SessionId, u64> {
    let mut expiries = std::collections::BTreeMap::new();
    let mut bucket = None;
    for line in dump.lines() {
        if let Some(session) = line.strip_prefix('\t') {
            if let (Some(at), Ok(id)) = (bucket, session.trim().parse::<shared::SessionId>()) {
                expiries.insert(id, at);
            }
            continue;
        }
        bucket = line
            .split_once(" expire at ")
            .and_then(|(_, date)| java_date_utc_ms(date.trim_end_matches(':')))
            .map(|ms| ms + 999);
    }
    expiries
}

/// `Wed Dec 02 22:05:12 UTC 2026` (Java's `Date.toString` in UTC) as ms since the epoch.
fn java_date_utc_ms(date: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let [_weekday, month, day, time, zone, year] = date
        .split_whitespace()
        .collect::<Vec<_>>()
        .try_into()
        .ok()?;
    if !matches!(zone, "UTC" | "GMT") {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let mut hms = time.split(':').map(|part| part.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    // Days from the civil date (Howard Hinnant's algorithm), 1970-01-01 being day 0.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(((days * 24 + h) * 60 + m) * 60 + s)
        .ok()
        .map(|secs| secs * 1000)
}

#[cfg(test)]
mod dump_tests {
    use super::*;
    use shared::SessionId;

    #[test]
    fn a_java_date_in_utc_is_read_to_the_second() {
        assert_eq!(java_date_utc_ms("Thu Jan 01 00:00:00 UTC 1970"), Some(0));
        // 2026-12-02T22:05:12Z
        assert_eq!(
            java_date_utc_ms("Wed Dec 02 22:05:12 UTC 2026"),
            Some(1_796_249_112_000)
        );
        assert_eq!(java_date_utc_ms("Wed Dec 02 22:05:12 CET 2026"), None);
        assert_eq!(java_date_utc_ms("yesterday"), None);
    }

    #[test]
    fn the_leaders_dump_gives_each_sessions_expiry_and_a_followers_none() {
        let leader = "SessionTracker dump:\nSession Sets (3)/(2):\n\
                      0 expire at Thu Jan 01 00:00:00 UTC 1970:\n\
                      1 expire at Wed Dec 02 22:05:12 UTC 2026:\n\t0x100009a25ab0005\n\
                      1 expire at Wed Dec 02 22:05:13 UTC 2026:\n\t0x300009a261f0003\n\
                      ephemeral nodes dump:\nSessions with Ephemerals (1):\n0x100009a25ab0005:\n\
                      \t/zkplay/main/locks/sub0000000001\n";
        let expiries = session_expiries(leader);
        assert_eq!(expiries.len(), 2, "{expiries:?}");
        assert_eq!(
            expiries.get(&SessionId(0x100009a25ab0005)),
            Some(&1_796_249_112_999)
        );
        assert_eq!(
            expiries.get(&SessionId(0x300009a261f0003)),
            Some(&1_796_249_113_999)
        );
        let follower = "SessionTracker dump:\nGlobal Sessions(1):\n0x100009a25ab0005\t10000ms\n";
        assert!(session_expiries(follower).is_empty());
    }
}
