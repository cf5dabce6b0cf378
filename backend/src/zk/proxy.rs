//! A TCP relay between one simulated session and the ensemble, so that its connection can fail
//! the ways a real process's does: frozen for a while (a GC pause), partitioned (a cut cable
//! while the process runs on) or cut for good (a killed process that never says goodbye).
//!
//! The session's connect string names only the relay; each connection the client opens is
//! relayed to the next ensemble member that accepts, so the client still fails over between
//! members as it would with the whole connect string.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Bytes a relayed connection reads at a time, each way. Most of ZooKeeper's packets are small;
/// a listing of a folder of 1 000 nodes (about 17 KB) takes a few reads more. With 16 KiB each
/// way, zkplay held 98 KiB per lock session in the many-rooms bench; with 4 KiB, 89 KiB.
const RELAY_BUFFER: usize = 4 * 1024;

/// How long a relay waits after a failed accept before it tries again.
const ACCEPT_RETRY: std::time::Duration = std::time::Duration::from_millis(100);

/// What the relay does with the bytes it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Bytes flow both ways.
    Open,
    /// Bytes (and new connections) are held until the link opens again.
    Frozen,
    /// A network partition: the connection drops at once; new ones get through the TCP
    /// handshake and no further until the link opens (so the client keeps trying, and learns
    /// what became of its session only once it is through).
    Partitioned,
    /// Every connection is dropped and no new one is taken: the process is gone.
    Cut,
}

/// One session's relay. It follows `link`; when the link's sender is dropped, it cuts.
pub struct SessionProxy {
    addr: SocketAddr,
    member: watch::Receiver<Option<String>>,
}

impl SessionProxy {
    /// Starts relaying to `members` (`host:port`s) as `link` says.
    pub async fn start(
        members: Vec<String>,
        link: watch::Receiver<Link>,
    ) -> std::io::Result<SessionProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (member_tx, member) = watch::channel(None);
        tokio::spawn(accept(listener, Arc::new(members), link, member_tx));
        Ok(SessionProxy { addr, member })
    }

    /// The connect string the session uses.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// The member the latest connection was relayed to.
    pub fn member(&self) -> watch::Receiver<Option<String>> {
        self.member.clone()
    }
}

async fn accept(
    listener: TcpListener,
    members: Arc<Vec<String>>,
    mut link: watch::Receiver<Link>,
    member: watch::Sender<Option<String>>,
) {
    // Spread sessions over the members as a client library does (it shuffles the connect
    // string): start each relay at a member chosen by its own port.
    let start = listener
        .local_addr()
        .map(|a| a.port() as usize)
        .unwrap_or(0);
    let next = Arc::new(AtomicUsize::new(start));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Cut, or the session that owns the link is gone.
            _ = link.wait_for(|l| *l == Link::Cut) => return,
        };
        let Ok((client, _)) = accepted else {
            // Out of file descriptors (EMFILE): the connection waits in the backlog and every
            // retry fails at once, so wait before the next instead of spinning a core.
            tokio::time::sleep(ACCEPT_RETRY).await;
            continue;
        };
        let _ = client.set_nodelay(true);
        let (members, next, link, member) =
            (members.clone(), next.clone(), link.clone(), member.clone());
        tokio::spawn(async move {
            // A frozen link takes the connection but lets nothing through, not even the connect.
            if !open(&mut link.clone()).await {
                return;
            }
            let Some((upstream, to)) = connect_any(&members, &next).await else {
                return;
            };
            member.send_replace(Some(to));
            let (client_read, client_write) = client.into_split();
            let (up_read, up_write) = upstream.into_split();
            tokio::select! {
                _ = relay(client_read, up_write, link.clone()) => {}
                _ = relay(up_read, client_write, link.clone()) => {}
            }
        });
    }
}

/// Connects to the next member that accepts, starting after the last one used.
async fn connect_any(members: &[String], next: &AtomicUsize) -> Option<(TcpStream, String)> {
    for _ in 0..members.len() {
        let i = next.fetch_add(1, Ordering::Relaxed) % members.len();
        if let Ok(stream) = TcpStream::connect(&members[i]).await {
            let _ = stream.set_nodelay(true);
            return Some((stream, members[i].clone()));
        }
    }
    None
}

/// Waits while the link is frozen or partitioned; false once it is cut.
async fn open(link: &mut watch::Receiver<Link>) -> bool {
    match link
        .wait_for(|l| !matches!(l, Link::Frozen | Link::Partitioned))
        .await
    {
        Ok(l) => *l == Link::Open,
        Err(_) => false,
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut link: watch::Receiver<Link>,
) {
    let mut buf = vec![0u8; RELAY_BUFFER];
    loop {
        if !open(&mut link).await {
            return;
        }
        let n = tokio::select! {
            n = from.read(&mut buf) => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            // A partition drops the connection now; the client sees it go.
            _ = link.wait_for(|l| matches!(l, Link::Cut | Link::Partitioned)) => return,
        };
        // Bytes read just before a freeze are held, not delivered, until the link opens.
        if !open(&mut link).await || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
