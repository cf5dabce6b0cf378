//! The server's TCP listener: each accepted connection comes with its peer's address and a
//! clock of how long the server has waited for the rest of what the peer began to send.
//!
//! The WebSocket layer parses frames out of the bytes it reads and says nothing of a frame that
//! is only half there; the stream below it sees every byte arrive. The two together tell how
//! long a frame has been unfinished: the stream starts the clock when bytes come while nothing
//! is pending, and the connection stops it at every message it gets whole.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections and hands each out as a [`WatchedStream`].
pub struct Listener {
    inner: TcpListener,
}

impl Listener {
    pub fn new(inner: TcpListener) -> Self {
        Listener { inner }
    }
}

impl axum::serve::Listener for Listener {
    type Io = WatchedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept retries on errors and logs them.
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let _ = stream.set_nodelay(true);
        let watched = WatchedStream {
            stream: Some(stream),
            unfinished: Arc::new(Unfinished::default()),
        };
        (watched, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// What a handler learns of its connection: who is at the other end, and the clock.
#[derive(Clone, Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    pub unfinished: Arc<Unfinished>,
}

impl Connected<IncomingStream<'_, Listener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            unfinished: stream.io().unfinished.clone(),
        }
    }
}

/// Since when bytes have been read that no whole message has yet come of.
#[derive(Debug, Default)]
pub struct Unfinished {
    /// Microseconds since [`epoch`], plus one; 0: nothing pending.
    since: AtomicU64,
}

impl Unfinished {
    /// Bytes came: the clock starts unless it runs already.
    fn bytes_arrived(&self) {
        self.bytes_arrived_at(micros_now());
    }

    fn bytes_arrived_at(&self, now: u64) {
        let _ = self
            .since
            .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// A whole message came of what was read.
    pub fn finished(&self) {
        self.since.store(0, Ordering::Relaxed);
    }

    /// The reader starts waiting again. Bytes that came while it was busy elsewhere (acting on
    /// the last message) are counted from now: only the time the server waits counts.
    pub fn waiting(&self) {
        self.waiting_at(micros_now());
    }

    fn waiting_at(&self, now: u64) {
        let _ = self
            .since
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |since| {
                (since != 0).then_some(now)
            });
    }

    /// How long the server has waited for the rest, if it waits for anything.
    pub fn pending_for(&self) -> Option<Duration> {
        self.pending_at(micros_now())
    }

    fn pending_at(&self, now: u64) -> Option<Duration> {
        match self.since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(Duration::from_micros(now.saturating_sub(since))),
        }
    }
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn micros_now() -> u64 {
    epoch().elapsed().as_micros() as u64 + 1
}

/// How long a closed connection's last bytes from the peer are read and dropped.
const LINGER: Duration = Duration::from_secs(2);

/// A TCP stream that starts its [`Unfinished`] clock whenever bytes arrive, and closes with
/// care: see [`linger`].
pub struct WatchedStream {
    /// Always there until the stream is dropped.
    stream: Option<TcpStream>,
    unfinished: Arc<Unfinished>,
}

impl WatchedStream {
    fn tcp(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(self.stream.as_mut().expect("a stream until dropped"))
    }
}

impl Drop for WatchedStream {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(stream));
        }
    }
}

/// Closes the way a careful server does. Closing a socket that still has unread bytes (the
/// rest of an oversized frame the server refused) makes the kernel send a reset and throw
/// away what it had not sent yet, the close frame that says why among it. So the write side
/// closes first, and what the peer still sends is read and dropped until it closes too, or
/// [`LINGER`] has passed.
async fn linger(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = stream.shutdown().await;
    let mut dropped = [0u8; 4096];
    let drain = async { while let Ok(1..) = stream.read(&mut dropped).await {} };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = self.tcp().poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.unfinished.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.tcp().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.tcp().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1000;

    #[test]
    fn the_clock_runs_from_the_first_unfinished_byte_to_the_message() {
        let clock = Unfinished::default();
        assert_eq!(clock.pending_at(10 * MS), None);
        clock.bytes_arrived_at(10 * MS);
        // More bytes of the same frame do not restart it.
        clock.bytes_arrived_at(12 * MS);
        assert_eq!(clock.pending_at(15 * MS), Some(Duration::from_millis(5)));
        clock.finished();
        assert_eq!(clock.pending_at(16 * MS), None);
        clock.bytes_arrived_at(20 * MS);
        assert_eq!(clock.pending_at(21 * MS), Some(Duration::from_millis(1)));
    }

    #[test]
    fn waiting_restarts_a_running_clock_and_leaves_a_stopped_one() {
        let clock = Unfinished::default();
        clock.waiting_at(5 * MS);
        assert_eq!(clock.pending_at(6 * MS), None);
        clock.bytes_arrived_at(10 * MS);
        clock.waiting_at(40 * MS);
        assert_eq!(clock.pending_at(41 * MS), Some(Duration::from_millis(1)));
    }

    #[test]
    fn the_live_clock_counts_from_its_epoch() {
        let clock = Unfinished::default();
        clock.bytes_arrived();
        assert!(clock.pending_for().is_some());
        clock.finished();
        assert_eq!(clock.pending_for(), None);
    }
}
