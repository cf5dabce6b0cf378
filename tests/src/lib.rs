//! The test harness: one real ZooKeeper per test binary, a zkplay server per test in a room of
//! its own, WebSocket viewers that keep a `RoomView`, a headless Chromium, and the soak.

pub mod browser;
pub mod fleet;
pub mod soak;
pub mod viewer;
pub mod zookeeper;

use std::sync::atomic::{AtomicU32, Ordering};

use backend::{Server, ServerSettings};
use tokio::net::TcpListener;

pub use viewer::Viewer;

/// A zkplay server for one test, with its own room.
pub struct TestApp {
    pub server: Server,
    zk: String,
    /// The room this test uses; no other test touches it.
    pub room: String,
}

/// Starts a server on a free port against the shared test ZooKeeper.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings changed by `tune`.
/// What a recipe check may take in the tests: enough for four clients on a loaded machine, so
/// that a verdict's number of clients does not depend on the machine's speed.
pub const TEST_CHECK_TIME: std::time::Duration = std::time::Duration::from_secs(120);

pub async fn spawn_app_with(tune: impl FnOnce(&mut ServerSettings)) -> TestApp {
    init_tracing();
    let mut settings = ServerSettings::new(zookeeper::connect_string());
    if let Some(ui) = std::env::var_os("ZKPLAY_TEST_UI_DIR") {
        settings.ui_dir = ui.into();
    }
    settings.checks.budget.time = TEST_CHECK_TIME;
    tune(&mut settings);
    let zk = settings.zk.connect.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let server = Server::start(listener, settings).expect("start server");
    TestApp {
        server,
        zk,
        room: unique_room(),
    }
}

impl TestApp {
    /// The ZooKeeper connect string this server's sessions use.
    pub fn server_zk(&self) -> String {
        self.zk.clone()
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// A viewer joined to this test's room.
    pub async fn viewer(&self) -> Viewer {
        Viewer::join(self.server.addr(), &self.room).await
    }

    /// Makes a classroom as the page's New classroom does: its name and its teacher's key.
    pub async fn new_classroom(&self) -> (String, String) {
        let (status, body) = http(self.server.addr(), "POST", "/classrooms", b"").await;
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        let made: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        (
            made["room"].as_str().expect("room").to_string(),
            made["key"].as_str().expect("key").to_string(),
        )
    }

    /// Stops the server: every session closed, every socket shut.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// Starts a server on a three-member ensemble of the test's own, which it may stop and start;
/// sessions get 10 s, room for a re-election on a busy 2-core machine.
pub async fn spawn_app_on(ensemble: &backend::EnsembleControl) -> TestApp {
    let connect = ensemble.connect_string().await;
    let control = ensemble.clone();
    spawn_app_with(move |s| {
        s.zk.connect = connect;
        s.ensemble = Some(control);
        s.zk.session_timeout = std::time::Duration::from_millis(10_000);
    })
    .await
}

/// One HTTP/1.1 request to `addr`, answered with its status and body (the server's answers
/// to these requests carry a length, so reading to the close is reading the body).
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    http_with(addr, method, path, &[], body).await
}

/// [`http`] with extra headers (`("Origin", "http://evil.example")`).
pub async fn http_with(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let status = std::str::from_utf8(&answer[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, answer[split + 4..].to_vec())
}

/// A room name no other test (or earlier run against the same ZooKeeper) has used.
pub fn unique_room() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "t{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The workspace's `target` folder, where tests keep their files.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(Into::into)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into())
}

/// The `zkplay` binary (tests that kill a server with SIGKILL or pause it with SIGSTOP run it
/// as a process of its own). `cargo test --workspace` builds it beside the tests; a test run of
/// this package alone builds it first.
pub fn zkplay_binary() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let binary = target_dir().join("debug").join("zkplay");
            if !binary.exists() {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let status = std::process::Command::new(cargo)
                    .args([
                        "build",
                        "--quiet",
                        "--package",
                        "backend",
                        "--bin",
                        "zkplay",
                    ])
                    .status()
                    .expect("run cargo build");
                assert!(status.success(), "cargo build --bin zkplay failed");
            }
            binary
        })
        .clone()
}

/// Logs stay quiet unless `RUST_LOG` asks for them.
fn init_tracing() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}
