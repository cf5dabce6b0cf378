//! The `zkplay` process a soak runs: started on an address, killed without warning, started
//! again on the same address, stopped cleanly at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::viewer::WAIT;

/// How one `zkplay` run is started.
#[derive(Clone, Debug)]
pub struct Launch {
    pub binary: PathBuf,
    pub zk: String,
    pub session_timeout: Duration,
    pub hold: Duration,
    pub data_dir: PathBuf,
    /// The page's files; none: the server serves no page (`/ws` and the API only).
    pub ui_dir: Option<PathBuf>,
    /// Where each run's output goes (`server-<n>.log`).
    pub logs: PathBuf,
    /// More flags, as given.
    pub flags: Vec<String>,
}

/// A running `zkplay` process; killed if dropped.
pub struct Zkplay {
    child: Child,
    pub addr: SocketAddr,
}

impl Zkplay {
    /// Starts run `n` on `listen` (port 0 for any) and waits until it serves.
    pub async fn start(launch: &Launch, listen: SocketAddr, n: usize) -> Result<Zkplay> {
        let log = launch.logs.join(format!("server-{n}.log"));
        let stderr = std::fs::File::create(&log).with_context(|| format!("{}", log.display()))?;
        let mut command = Command::new(&launch.binary);
        // SAFETY: only an async-signal-safe call between fork and exec. The server dies with
        // the process that started it (a soak or bench killed by a signal would otherwise leave
        // it running); `PR_SET_PDEATHSIG` follows the forking thread: the runtime's main thread
        // or one of its workers, which live as long as the runtime.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command
            .arg("--listen")
            .arg(listen.to_string())
            .args(["--zk", &launch.zk])
            .arg("--session-timeout-ms")
            .arg(launch.session_timeout.as_millis().to_string())
            .arg("--hold-ms")
            .arg(launch.hold.as_millis().to_string())
            .arg("--data-dir")
            .arg(&launch.data_dir)
            .arg("--ui-dir")
            .arg(launch.ui_dir.as_ref().unwrap_or(&launch.data_dir))
            .args(&launch.flags)
            .env("RUST_LOG", "warn,zookeeper_client=error")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", launch.binary.display()))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let serving = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("zkplay is serving http://") {
                    return Ok(url.parse::<SocketAddr>()?);
                }
            }
            bail!("zkplay ended before serving (see {})", log.display())
        })
        .await
        .context("zkplay did not serve within the wait")??;
        // Read on: a closed pipe would fail the server's next line.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Zkplay {
            child,
            addr: serving,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL): its sessions are never closed and must expire.
    pub async fn kill(mut self) -> Result<()> {
        self.child.kill().await.context("kill zkplay")
    }

    /// Stops it as Ctrl-C does and waits: every session closed, every socket shut.
    pub async fn stop(mut self) -> Result<()> {
        let pid = self.child.id().context("zkplay has ended already")? as i32;
        // SAFETY: a signal to our own child, which is still running.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .context("zkplay did not stop on SIGTERM")??;
        if !status.success() {
            bail!("zkplay ended with {status}");
        }
        Ok(())
    }
}

/// The resident memory of process `pid`, in KiB.
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
}

/// The folder for a soak's files under cargo's target folder, emptied first.
pub fn workdir(name: &str) -> Result<PathBuf> {
    let dir = crate::target_dir().join("tmp").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(dir.join("data"))?;
    Ok(dir)
}

/// `path` shown relative to the current folder when it is inside it.
pub fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
