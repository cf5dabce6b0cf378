//! One real standalone ZooKeeper for the whole test binary, started on first use.
//!
//! It is tied to the test process (see `backend::Ensemble`), so it dies with it; its data lives
//! under cargo's target tmp folder, and earlier runs' folders are removed at start.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use backend::{Ensemble, EnsembleConfig, EnsembleControl};
use tokio::time::Instant;
use zookeeper_client::{Acls, Client, CreateMode, Error, SessionState};

static ZOOKEEPER: OnceLock<Ensemble> = OnceLock::new();

/// The connect string of the test ZooKeeper, starting it if needed.
pub fn connect_string() -> String {
    ZOOKEEPER.get_or_init(start).connect_string()
}

fn start() -> Ensemble {
    let parent = crate::target_dir().join("tmp");
    remove_dead_runs(&parent);
    let data = parent.join(format!("zookeeper-{}", std::process::id()));
    std::fs::create_dir_all(&data).expect("create the test ZooKeeper's folder");
    // Its own runtime: each test has its own, and this server outlives them all.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let mut last = None;
        for _ in 0..5 {
            let config = EnsembleConfig {
                members: 1,
                client_port: free_port(),
                tick_ms: TICK.as_millis() as u32,
                fsync: false,
                // As the test ensembles: a test may ask for sessions that outlive its checks.
                max_session_timeout_ms: Some(LONGEST_SESSION.as_millis() as u32),
                data_parent: Some(data.clone()),
                ..EnsembleConfig::classic()
            };
            match runtime.block_on(Ensemble::start(config)) {
                Ok(ensemble) => return ensemble,
                // Another process may take the port between our probe and ZooKeeper's bind.
                Err(e) => last = Some(e),
            }
        }
        panic!("the test ZooKeeper did not start: {}", last.expect("tried"));
    })
    .join()
    .expect("start the test ZooKeeper")
}

/// Removes the data of earlier test processes (their JVMs died with them); a runner that starts
/// one process per test (nextest) may have live ones beside us.
fn remove_dead_runs(parent: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("zookeeper-") {
            if !std::path::Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The test ensembles' tick: ZooKeeper expires sessions in buckets of it, and grants sessions of
/// 2 to 20 ticks unless told otherwise.
pub const TICK: Duration = Duration::from_millis(500);

/// The longest session a three-member test ensemble grants: a test's own checking session asks
/// for it, so that it outlives the faults it watches zkplay's 10 s sessions go through.
pub const LONGEST_SESSION: std::time::Duration = std::time::Duration::from_secs(30);

/// A three-member ensemble of the test's own (its data in cargo's target tmp folder), for
/// tests that stop members. Stop it with `EnsembleControl::stop` at the end of the test.
pub async fn three_members() -> EnsembleControl {
    let parent = crate::target_dir().join("tmp");
    std::fs::create_dir_all(&parent).expect("create the ensemble's folder");
    let mut last = None;
    for attempt in 0..5u16 {
        let base = free_base(attempt);
        let config = EnsembleConfig {
            members: 3,
            client_port: base,
            tick_ms: TICK.as_millis() as u32,
            fsync: false,
            max_session_timeout_ms: Some(LONGEST_SESSION.as_millis() as u32),
            data_parent: Some(parent.clone()),
            ..EnsembleConfig::classic()
        };
        match Ensemble::start(config).await {
            Ok(ensemble) => return EnsembleControl::new(ensemble),
            Err(e) => last = Some(e),
        }
    }
    panic!("no three-member ensemble: {}", last.expect("tried"));
}

/// A pool of `slots` lesson ensembles like [`three_members`], each on ports that look free
/// now (a slot's members start only when a room's lesson takes it).
pub fn lesson_ensembles(slots: usize) -> backend::LessonEnsembles {
    let parent = crate::target_dir().join("tmp");
    std::fs::create_dir_all(&parent).expect("create the ensembles' folder");
    let configs = (0..slots)
        .map(|_| EnsembleConfig {
            members: 3,
            client_port: free_base(0),
            tick_ms: TICK.as_millis() as u32,
            fsync: false,
            max_session_timeout_ms: Some(LONGEST_SESSION.as_millis() as u32),
            data_parent: Some(parent.clone()),
            ..EnsembleConfig::classic()
        })
        .collect();
    backend::LessonEnsembles::new(configs)
}

/// A base port whose ensemble ports (+0..2, +100..102, +200..202) look free, different for
/// each call (tests run in parallel, and a probe is no reservation).
fn free_base(attempt: u16) -> u16 {
    static CALLS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (0..400u16)
        .map(|i| {
            30000
                + ((std::process::id() as u16 % 97) * 53 + call * 997 + i * 11 + attempt * 7)
                    % 20000
        })
        .find(|base| {
            (0..3).all(|i| {
                [base + i, base + 100 + i, base + 200 + i]
                    .iter()
                    .all(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
            })
        })
        .expect("a free port range")
}

/// A test's own raw session, which reads the tree a view must match. It asks for the longest
/// session the test ensembles grant, so that it outlives the faults it watches, and keeps a log
/// of its states, so that a failure says what the session went through.
pub struct RawSession {
    pub client: Client,
    states: Arc<Mutex<Vec<(Duration, SessionState)>>>,
}

impl RawSession {
    pub async fn connect(connect: &str) -> Self {
        let client = Client::connector()
            .with_session_timeout(LONGEST_SESSION)
            .connect(connect)
            .await
            .expect("a raw session");
        let states = Arc::new(Mutex::new(Vec::new()));
        let mut watcher = client.state_watcher();
        let log = states.clone();
        let opened = Instant::now();
        tokio::spawn(async move {
            loop {
                let state = watcher.changed().await;
                log.lock().unwrap().push((opened.elapsed(), state));
                if state.is_terminated() {
                    break;
                }
            }
        });
        RawSession { client, states }
    }

    /// `call` on the raw session, made again once it has reconnected after a lost connection
    /// (a member going down shows as a connection loss, or as the socket's own error).
    pub async fn again<T, F, Fut>(&self, mut call: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let deadline = Instant::now() + crate::viewer::WAIT;
        loop {
            match call().await {
                Ok(value) => return value,
                Err(Error::ConnectionLoss | Error::Timeout | Error::Custom(_))
                    if Instant::now() < deadline =>
                {
                    let mut watcher = self.client.state_watcher();
                    // The error may come before the state says Disconnected: give it a moment.
                    let _ =
                        tokio::time::timeout(Duration::from_millis(100), watcher.changed()).await;
                    while watcher.state() != SessionState::SyncConnected {
                        if tokio::time::timeout_at(deadline, watcher.changed())
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                }
                Err(e) => {
                    let states = self.states.lock().unwrap().clone();
                    panic!("raw session: {e}; its states since it opened: {states:?}")
                }
            }
        }
    }

    /// The children of `dir` in name order (sequence order for sequential nodes) with each
    /// one's data; a node gone while it was read is left out, a missing folder is empty.
    pub async fn children_with_data(&self, dir: &str) -> Vec<(String, Vec<u8>)> {
        let mut names = self
            .again(|| async {
                match self.client.list_children(dir).await {
                    Err(Error::NoNode) => Ok(Vec::new()),
                    other => other,
                }
            })
            .await;
        names.sort();
        let mut nodes = Vec::new();
        for name in names {
            let path = format!("{dir}/{name}");
            let read = self
                .again(|| async {
                    match self.client.get_data(&path).await {
                        Ok((data, _)) => Ok(Some(data)),
                        Err(Error::NoNode) => Ok(None),
                        Err(e) => Err(e),
                    }
                })
                .await;
            nodes.extend(read.map(|data| (name, data)));
        }
        nodes
    }

    /// After this, the session's reads see every change ZooKeeper committed before it: a
    /// create of `node` (made if missing; when it exists the write fails and changes nothing)
    /// is a write, ordered with every other, and no member answers it before it has applied
    /// all that came first. `sync` does not promise that: the leader answers a sync of its own
    /// client at once, while it may not yet have applied a commit its followers have
    /// (ZOOKEEPER-1675). Read that way, the soak once saw a lock node that a client on a
    /// follower had already seen deleted.
    pub async fn barrier(&self, node: &str) {
        let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
        self.again(|| async {
            match self.client.create(node, b"", &options).await {
                Ok(_) | Err(Error::NodeExists) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await
    }
}
