//! What connections can make the server hold: the `zkplay` binary's resident memory while
//! connections send most of oversized frames, or leave frames and messages unfinished, and the
//! close frame each of them gets. Raw bytes on a socket, since no WebSocket library sends half
//! a frame. No hello is said, so no ZooKeeper session is opened: these connections never get
//! that far.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const WAIT: Duration = Duration::from_secs(30);

/// A `zkplay` process, stopped (SIGTERM, then waited for) when dropped.
struct Zkplay {
    child: Child,
    addr: String,
    _data: tempfile::TempDir,
}

impl Zkplay {
    async fn start(extra: &[&str]) -> Zkplay {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().to_str().unwrap().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkplay"))
            // An ensemble is named, so none is started; no hello comes, so it is never used.
            .args(["--listen", "127.0.0.1:0", "--zk", "127.0.0.1:2181"])
            .args(["--data-dir", &dir, "--ui-dir", &dir])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start zkplay");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("zkplay is serving http://") {
                    return url.to_string();
                }
            }
            panic!("zkplay ended before serving");
        })
        .await
        .expect("zkplay serving");
        // Read on: a closed pipe would fail the server's next line.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Zkplay {
            child,
            addr,
            _data: data,
        }
    }

    /// `VmRSS` (resident now) or `VmHWM` (the most ever resident) in KiB.
    fn memory_kib(&self, field: &str) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
    }

    /// A connection through the WebSocket handshake, as a tool (no Origin) would open it.
    async fn websocket(&self) -> TcpStream {
        let mut stream = TcpStream::connect(&self.addr).await.unwrap();
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        stream
    }

    async fn stop(mut self) {
        let pid = self.child.id().expect("running") as i32;
        // SAFETY: a signal to our own child, which is still running.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("zkplay stops on SIGTERM")
            .unwrap();
        assert!(status.success(), "zkplay ended with {status}");
    }
}

/// A client frame's header (FIN set or not, text or continuation) for a payload of `len`
/// bytes, masked with the zero mask so the payload goes as it is.
fn frame_header(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
    let mut header = vec![(u8::from(fin) << 7) | opcode];
    match len {
        0..=125 => header.push(0x80 | len as u8),
        126..=0xffff => {
            header.push(0x80 | 126);
            header.extend((len as u16).to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend(len.to_be_bytes());
        }
    }
    header.extend([0, 0, 0, 0]);
    header
}

const TEXT: u8 = 1;

/// Reads the server's frames to its close frame: the text frames before it, and its code and
/// reason (`None`: the connection ended without one).
async fn read_to_close(stream: &mut TcpStream) -> (Vec<String>, Option<(u16, String)>) {
    let mut texts = Vec::new();
    let read = async {
        loop {
            let mut head = [0u8; 2];
            if stream.read_exact(&mut head).await.is_err() {
                return None;
            }
            let len = match head[1] & 0x7f {
                126 => u64::from(stream.read_u16().await.ok()?),
                127 => stream.read_u64().await.ok()?,
                n => u64::from(n),
            };
            let mut payload = vec![0; len as usize];
            stream.read_exact(&mut payload).await.ok()?;
            match head[0] & 0x0f {
                0x8 => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    return Some((code, String::from_utf8_lossy(&payload[2..]).into_owned()));
                }
                TEXT => texts.push(String::from_utf8_lossy(&payload).into_owned()),
                _ => {}
            }
        }
    };
    let close = tokio::time::timeout(WAIT, read)
        .await
        .expect("the server ends the connection");
    (texts, close)
}

#[tokio::test]
async fn most_of_a_15_mb_frame_is_refused_at_its_header_with_1009_and_not_kept() {
    let server = Zkplay::start(&[]).await;
    let before = server.memory_kib("VmRSS");
    const FRAME: u64 = 15_000_000;
    let mut attackers = Vec::new();
    for _ in 0..8 {
        let mut stream = server.websocket().await;
        attackers.push(tokio::spawn(async move {
            stream
                .write_all(&frame_header(true, TEXT, FRAME))
                .await
                .unwrap();
            // The server may have closed before all of it is sent: it is being refused.
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < FRAME - 1024 {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len() as u64;
            }
            read_to_close(&mut stream).await
        }));
    }
    for attacker in attackers {
        let (texts, close) = attacker.await.unwrap();
        assert!(
            texts.iter().any(|t| t.contains(r#""code":"too_large""#)),
            "{texts:?}"
        );
        let (code, reason) = close.expect("a close frame, not a dropped connection");
        assert_eq!(code, 1009, "{reason}");
        let limit = shared::DEFAULT_MAX_MESSAGE_BYTES.to_string();
        assert!(reason.contains(&limit), "{reason}");
    }
    // Before the limit applied to frames, eight such connections took it from 17 MB to 132 MB.
    let grew = server.memory_kib("VmHWM").saturating_sub(before);
    eprintln!("8 connections, 15 MB frames: the peak grew by {grew} KiB from {before} KiB");
    assert!(grew < 8 * 1024, "the server's memory grew by {grew} KiB");
    server.stop().await;
}

#[tokio::test]
async fn frames_and_messages_left_unfinished_are_closed_with_1008_after_the_timeout() {
    let server = Zkplay::start(&["--frame-timeout-ms", "1000"]).await;
    let before = server.memory_kib("VmRSS");
    const CONNECTIONS: usize = 200;
    let mut held = Vec::new();
    for n in 0..CONNECTIONS {
        let mut stream = server.websocket().await;
        // Before the first byte goes: the server's clock starts when it arrives.
        let sent = Instant::now();
        if n % 2 == 0 {
            // All but the last 96 bytes of a frame of the largest size.
            stream
                .write_all(&frame_header(true, TEXT, 4096))
                .await
                .unwrap();
            stream.write_all(&[b' '; 4000]).await.unwrap();
        } else {
            // A whole first fragment of a message whose last never comes.
            stream
                .write_all(&frame_header(false, TEXT, 3000))
                .await
                .unwrap();
            stream.write_all(&[b' '; 3000]).await.unwrap();
        }
        held.push((sent, stream));
    }
    let holding = server.memory_kib("VmRSS").saturating_sub(before);
    eprintln!("{CONNECTIONS} unfinished frames and messages: {holding} KiB over {before} KiB");
    for (sent, mut stream) in held {
        let (_, close) = read_to_close(&mut stream).await;
        let (code, reason) = close.expect("a close frame");
        assert_eq!(code, 1008, "{reason}");
        assert!(reason.contains("unfinished"), "{reason}");
        assert!(sent.elapsed() >= Duration::from_millis(1000));
    }
    // Each holds at most the 4 KiB read buffer and a 4 KiB frame, with its task and socket.
    assert!(
        holding < 16 * 1024,
        "{CONNECTIONS} unfinished frames held {holding} KiB"
    );
    server.stop().await;
}
