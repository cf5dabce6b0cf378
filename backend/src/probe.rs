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
