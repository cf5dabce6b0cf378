//! The `zkplay` binary as a user runs it: it starts its own three-member ensemble, serves, and
//! on Ctrl-C stops everything, leaving no JVM and no port behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A base port whose ensemble ports (+0..2, +100..102, +200..202) are all free now, different
/// for each call (tests run in parallel, and a probe is no reservation).
fn free_base() -> u16 {
    static CALLS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (0..200)
        .map(|i| 21000 + call * 1500 + i * 7 + (std::process::id() % 7) as u16)
        .find(|base| {
            (0..3).all(|i| {
                [base + i, base + 100 + i, base + 200 + i]
                    .iter()
                    .all(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok())
            })
        })
        .expect("a free port range")
}

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn starts_an_ensemble_serves_and_stops_everything_on_ctrl_c() {
    let base = free_base();
    let listen = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "zkplay ui").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkplay"))
        .args([
            "--listen",
            &listen.to_string(),
            "--zk-port",
            &base.to_string(),
        ])
        .arg("--ui-dir")
        .arg(ui.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let serving = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.starts_with("zkplay is serving"))
        .expect("the server says where it serves");
    assert_eq!(serving, format!("zkplay is serving http://{listen}"));

    // The three members serve, and so does the UI.
    for i in 0..3 {
        let mut zk = TcpStream::connect(("127.0.0.1", base + i)).unwrap();
        zk.write_all(b"srvr").unwrap();
        let mut srvr = String::new();
        zk.read_to_string(&mut srvr).unwrap();
        assert!(srvr.contains("Mode: "), "member {i}: {srvr}");
    }
    assert!(http_get(&listen.to_string(), "/").ends_with("zkplay ui"));

    // Ctrl-C. SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}; said {rest:?}");
    assert_eq!(rest.last().map(String::as_str), Some("stopped"));
    for port in (0..3).flat_map(|i| [base + i, base + 100 + i, base + 200 + i]) {
        assert!(
            TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} still taken after stop"
        );
    }
    assert!(TcpStream::connect_timeout(&listen, Duration::from_secs(1)).is_err());
}

#[test]
fn busy_ensemble_ports_are_named_in_a_clear_error() {
    // Take a port first, then ask for an ensemble whose peer port it is.
    let taken = (0..100)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .find(|l| l.local_addr().unwrap().port() > 1124)
        .expect("a port above 1124");
    let base = taken.local_addr().unwrap().port() - 101;
    let output = Command::new(env!("CARGO_BIN_EXE_zkplay"))
        .args(["--listen", "127.0.0.1:0", "--zk-port", &base.to_string()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{}", base + 101))
            && stderr.contains("ports already in use"),
        "{stderr}"
    );
}

#[test]
fn a_busy_listen_address_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_zkplay"))
        .args(["--listen", &addr, "--zk", "127.0.0.1:1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
