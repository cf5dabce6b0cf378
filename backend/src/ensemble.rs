//! Starts, probes and stops local ZooKeeper servers (one standalone server or an ensemble).
//!
//! Each member is a real `QuorumPeerMain` JVM from the installed ZooKeeper, in a fresh data
//! directory that is removed on stop. Members are tied to this process (`PR_SET_PDEATHSIG`), so
//! even a killed zkplay leaves no JVM behind.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::{sleep, Instant};

/// What can go wrong while starting or probing ZooKeeper.
#[derive(Debug, thiserror::Error)]
pub enum EnsembleError {
    #[error("ports already in use: {}; stop what holds them or choose other ports (--zk-port)", join_ports(.0))]
    PortsInUse(Vec<u16>),
    #[error("ZooKeeper is not installed: {0} not found (run `cargo xtask play`, which installs Debian's `zookeeper`, or set ZOOKEEPER_HOME)")]
    NotInstalled(PathBuf),
    #[error(
        "could not start java: {0} (is a JRE installed? `apt-get install zookeeper` brings one)"
    )]
    Java(std::io::Error),
    #[error("ZooKeeper member {member} exited during start-up; last lines of {log}:\n{tail}")]
    MemberExited {
        member: usize,
        log: PathBuf,
        tail: String,
    },
    #[error("ZooKeeper member {member} was not serving after {seconds} s; see {log}")]
    NotReady {
        member: usize,
        seconds: u64,
        log: PathBuf,
    },
    #[error("no member {0} in this ensemble")]
    NoSuchMember(usize),
    #[error("the server is shutting down: no lesson ensemble starts")]
    PoolClosed,
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

fn join_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How to start local ZooKeeper servers.
#[derive(Clone, Debug)]
pub struct EnsembleConfig {
    /// 1 = standalone, 3 = the classic ensemble.
    pub members: usize,
    /// Member `i` (from 0) serves clients on `client_port + i`, talks to peers on
    /// `client_port + 100 + i` and elects on `client_port + 200 + i`.
    pub client_port: u16,
    pub tick_ms: u32,
    /// `forceSync=no` trades durability for speed; only for tests.
    pub fsync: bool,
    /// The longest session the members grant; absent: ZooKeeper's own 20 ticks.
    pub max_session_timeout_ms: Option<u32>,
    /// A ZooKeeper tarball's top folder; absent: Debian's jars in `/usr/share/java`.
    pub zookeeper_home: Option<PathBuf>,
    /// Where the fresh data directory is made; absent: the system's temp folder.
    pub data_parent: Option<PathBuf>,
}

impl EnsembleConfig {
    /// The default: three members on 127.0.0.1:4180-4182, as in the seed tutorial.
    pub fn classic() -> Self {
        EnsembleConfig {
            members: 3,
            client_port: 4180,
            // A short tick makes ZooKeeper expire a session within half a second of its timeout
            // (it rounds expiry up to the next tick): a kill's countdown and a partition's
            // overlap are what the clock says.
            tick_ms: 500,
            fsync: true,
            max_session_timeout_ms: None,
            zookeeper_home: std::env::var_os("ZOOKEEPER_HOME").map(PathBuf::from),
            data_parent: None,
        }
    }

    fn ports(&self) -> Vec<u16> {
        if self.members == 1 {
            return vec![self.client_port];
        }
        (0..self.members as u16)
            .flat_map(|i| {
                [
                    self.client_port + i,
                    self.client_port + 100 + i,
                    self.client_port + 200 + i,
                ]
            })
            .collect()
    }

    fn class_path(&self) -> Result<String, EnsembleError> {
        match &self.zookeeper_home {
            Some(home) => {
                let lib = home.join("lib");
                if !lib.is_dir() {
                    return Err(EnsembleError::NotInstalled(lib));
                }
                Ok(format!("{}/*", lib.display()))
            }
            None => {
                let jar = Path::new("/usr/share/java/zookeeper.jar");
                if !jar.exists() {
                    return Err(EnsembleError::NotInstalled(jar.into()));
                }
                // The jar's manifest names its dependencies; slf4j-simple makes it log at all.
                Ok(format!(
                    "{}:/usr/share/java/slf4j-simple.jar",
                    jar.display()
                ))
            }
        }
    }
}

struct Member {
    id: usize,
    /// `None` while the member is stopped.
    child: Option<Child>,
    cfg: PathBuf,
    log: PathBuf,
}

/// Running local ZooKeeper servers. `stop` them; dropping kills them.
pub struct Ensemble {
    config: EnsembleConfig,
    class_path: String,
    members: Vec<Member>,
    dir: Option<tempfile::TempDir>,
}

impl Ensemble {
    /// Starts every member in a fresh data directory and waits until each one serves.
    pub async fn start(config: EnsembleConfig) -> Result<Self, EnsembleError> {
        let busy: Vec<u16> = config
            .ports()
            .into_iter()
            .filter(|p| !port_is_free(*p))
            .collect();
        if !busy.is_empty() {
            return Err(EnsembleError::PortsInUse(busy));
        }
        let class_path = config.class_path()?;
        let mut builder = tempfile::Builder::new();
        builder.prefix("zkplay-zk-");
        let dir = match &config.data_parent {
            Some(parent) => builder.tempdir_in(parent)?,
            None => builder.tempdir()?,
        };
        let mut ensemble = Ensemble {
            config: config.clone(),
            class_path,
            members: Vec::new(),
            dir: None,
        };
        for id in 1..=config.members {
            let member_dir = dir.path().join(format!("member-{id}"));
            fs::create_dir_all(&member_dir)?;
            fs::write(member_dir.join("myid"), format!("{id}\n"))?;
            let cfg_path = member_dir.join("zoo.cfg");
            fs::write(&cfg_path, zoo_cfg(&config, id, &member_dir))?;
            ensemble.members.push(Member {
                id,
                child: None,
                cfg: cfg_path,
                log: member_dir.join("zookeeper.log"),
            });
            ensemble.spawn_member(id)?;
        }
        ensemble.dir = Some(dir);
        ensemble.wait_serving(Duration::from_secs(60)).await?;
        Ok(ensemble)
    }

    /// Starts member `id` (1-based) from its config and data; it joins the others by itself.
    fn spawn_member(&mut self, id: usize) -> Result<(), EnsembleError> {
        let member = self
            .members
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or(EnsembleError::NoSuchMember(id))?;
        if member.child.is_some() {
            return Ok(());
        }
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&member.log)?;
        let mut cmd = Command::new(java());
        cmd.arg("-Xms32m")
            .arg("-Xmx256m")
            .arg("-XX:+UseSerialGC")
            .arg("-Dzookeeper.admin.enableServer=false")
            // Times in the log, to the millisecond, so that its lines can be put beside ours;
            // in UTC, as `dump` prints its session expiries (which the observer reads).
            .arg("-Duser.timezone=UTC")
            .arg("-Dorg.slf4j.simpleLogger.showDateTime=true")
            .arg("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS")
            .arg("-cp")
            .arg(&self.class_path)
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&member.cfg)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        member.child = Some(spawn_tied(cmd).map_err(EnsembleError::Java)?);
        Ok(())
    }

    /// Starts a stopped member again (its data is kept); the probe shows when it serves.
    pub fn start_member(&mut self, id: usize) -> Result<(), EnsembleError> {
        self.spawn_member(id)
    }

    /// Stops member `id` (1-based) as an operator would (SIGTERM, SIGKILL after 5 s).
    pub async fn stop_member(&mut self, id: usize) -> Result<(), EnsembleError> {
        let member = self
            .members
            .iter_mut()
            .find(|m| m.id == id)
            .ok_or(EnsembleError::NoSuchMember(id))?;
        if let Some(mut child) = member.child.take() {
            let _ = tokio::task::spawn_blocking(move || {
                terminate(&mut child, Duration::from_secs(5));
            })
            .await;
        }
        Ok(())
    }

    /// Each member's log file, in member order (they go with the data when the ensemble stops).
    pub fn logs(&self) -> Vec<PathBuf> {
        self.members.iter().map(|m| m.log.clone()).collect()
    }

    pub fn members(&self) -> usize {
        self.members.len()
    }

    /// The connect string for clients, e.g. `127.0.0.1:4180,127.0.0.1:4181,127.0.0.1:4182`.
    pub fn connect_string(&self) -> String {
        (0..self.config.members as u16)
            .map(|i| format!("127.0.0.1:{}", self.config.client_port + i))
            .collect::<Vec<_>>()
            .join(",")
    }

    async fn wait_serving(&mut self, limit: Duration) -> Result<(), EnsembleError> {
        let deadline = Instant::now() + limit;
        for i in 0..self.members.len() {
            let port = self.config.client_port + i as u16;
            loop {
                let member = &mut self.members[i];
                let exited = match member.child.as_mut() {
                    Some(child) => child.try_wait()?.is_some(),
                    None => true,
                };
                if exited {
                    return Err(EnsembleError::MemberExited {
                        member: member.id,
                        tail: log_tail(&member.log),
                        log: member.log.clone(),
                    });
                }
                // `ruok` answers before the server serves; a `Mode:` line in `srvr` is the
                // real signal. The JVM offers no event to wait on, so this polls.
                let address = format!("127.0.0.1:{port}");
                if let Ok(srvr) = crate::probe::four_letter_word(&address, "srvr").await {
                    if srvr.lines().any(|l| l.starts_with("Mode:")) {
                        break;
                    }
                }
                if Instant::now() > deadline {
                    return Err(EnsembleError::NotReady {
                        member: member.id,
                        seconds: limit.as_secs(),
                        log: member.log.clone(),
                    });
                }
                sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    /// Stops every member (SIGTERM, then SIGKILL after 5 s) and removes the data directory.
    pub async fn stop(&mut self) {
        let members = std::mem::take(&mut self.members);
        let waits = members
            .into_iter()
            .filter_map(|m| m.child)
            .map(|mut child| {
                tokio::task::spawn_blocking(move || {
                    terminate(&mut child, Duration::from_secs(5));
                })
            });
        for w in waits {
            let _ = w.await;
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        // An owner that panics (a failing test, a crashing zkplay) loses the data folder with
        // the members' logs; what they said last about elections and sessions goes to stderr.
        if std::thread::panicking() {
            for member in &self.members {
                eprintln!(
                    "ZooKeeper member {} ({}), last events:\n{}",
                    member.id,
                    member.log.display(),
                    log_events(&member.log)
                );
            }
        }
        for child in self.members.iter_mut().filter_map(|m| m.child.as_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn zoo_cfg(config: &EnsembleConfig, id: usize, data_dir: &Path) -> String {
    let port = config.client_port + (id as u16 - 1);
    let mut cfg = format!(
        "tickTime={tick}\ninitLimit=10\nsyncLimit=5\ndataDir={dir}\nclientPort={port}\n\
         clientPortAddress=127.0.0.1\nmaxClientCnxns=0\nclientPortListenBacklog=1024\n\
         4lw.commands.whitelist=*\nadmin.enableServer=false\nforceSync={sync}\n",
        tick = config.tick_ms,
        dir = data_dir.display(),
        sync = if config.fsync { "yes" } else { "no" },
    );
    if let Some(max) = config.max_session_timeout_ms {
        cfg.push_str(&format!("maxSessionTimeout={max}\n"));
    }
    if config.members > 1 {
        for m in 0..config.members as u16 {
            cfg.push_str(&format!(
                "server.{}=127.0.0.1:{}:{}\n",
                m + 1,
                config.client_port + 100 + m,
                config.client_port + 200 + m
            ));
        }
    }
    cfg
}

fn java() -> PathBuf {
    match std::env::var_os("JAVA_HOME") {
        Some(home) => Path::new(&home).join("bin/java"),
        None => PathBuf::from("java"),
    }
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok()
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// The last lines of a member's log that tell of its role, its sessions or trouble.
fn log_events(log: &Path) -> String {
    const TOLD: [&str; 8] = [
        "WARN",
        "ERROR",
        "LOOKING",
        "LEADING",
        "FOLLOWING",
        "Expiring session",
        "elected",
        "Shutting down",
    ];
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.contains("Notification:") && TOLD.iter().any(|t| line.contains(t)))
        .collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}

fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // SAFETY: kill(2) on our own child's pid; at worst it fails with ESRCH.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `cmd` so that it dies with this process, in its own process group (so a terminal's
/// Ctrl-C reaches zkplay, which then stops it in order).
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked exits, so every child is forked by
/// one thread that lives as long as the process.
fn spawn_tied(cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("zkplay-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    use std::os::unix::process::CommandExt;
                    // SAFETY: only async-signal-safe calls between fork and exec.
                    unsafe {
                        cmd.pre_exec(|| {
                            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                            libc::setpgid(0, 0);
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawn the process spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .lock()
        .expect("spawner lock")
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("spawner thread is gone"))?
}

/// A handle to an ensemble zkplay started, for stopping and starting its members while it runs.
#[derive(Clone)]
pub struct EnsembleControl(Arc<tokio::sync::Mutex<Ensemble>>);

impl std::fmt::Debug for EnsembleControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnsembleControl")
    }
}

impl EnsembleControl {
    pub fn new(ensemble: Ensemble) -> Self {
        EnsembleControl(Arc::new(tokio::sync::Mutex::new(ensemble)))
    }

    pub async fn stop_member(&self, id: usize) -> Result<(), EnsembleError> {
        self.0.lock().await.stop_member(id).await
    }

    pub async fn start_member(&self, id: usize) -> Result<(), EnsembleError> {
        self.0.lock().await.start_member(id)
    }

    pub async fn connect_string(&self) -> String {
        self.0.lock().await.connect_string()
    }

    pub async fn logs(&self) -> Vec<PathBuf> {
        self.0.lock().await.logs()
    }

    /// Stops every member and removes the data.
    pub async fn stop(&self) {
        self.0.lock().await.stop().await;
    }
}
