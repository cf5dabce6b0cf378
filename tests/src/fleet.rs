//! A fleet on one machine, for trying and for measuring: a three-member ensemble, `n` `zkplay`
//! processes on it, and a front address that hands each connection to the next server in turn
//! (what a load balancer or DNS does in front of a real fleet).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use backend::{Ensemble, EnsembleConfig, EnsembleControl};
use tokio::net::{TcpListener, TcpStream};

use crate::soak::zkplay::{Launch, Zkplay};

/// How a fleet is started.
pub struct FleetSettings {
    pub servers: usize,
    /// The `zkplay` binary.
    pub binary: PathBuf,
    /// The page's files, served by every server.
    pub ui_dir: Option<PathBuf>,
    /// Where the front listens.
    pub front: SocketAddr,
    /// The ensemble's first client port (three members from there).
    pub zk_port: u16,
    pub session_timeout: Duration,
    /// Where the servers' data and logs go, a folder each.
    pub work: PathBuf,
    /// More flags for every server.
    pub flags: Vec<String>,
}

/// A running fleet.
pub struct LocalFleet {
    pub ensemble: EnsembleControl,
    pub zk: String,
    /// The servers, by number; a killed one's place is empty.
    pub servers: Vec<Option<Zkplay>>,
    pub front: SocketAddr,
    /// The servers' addresses the front hands connections to.
    targets: Arc<Mutex<Vec<SocketAddr>>>,
    front_task: tokio::task::JoinHandle<()>,
}

impl LocalFleet {
    pub async fn start(settings: &FleetSettings) -> Result<LocalFleet> {
        std::fs::create_dir_all(&settings.work)?;
        let ensemble = Ensemble::start(EnsembleConfig {
            client_port: settings.zk_port,
            data_parent: Some(settings.work.clone()),
            ..EnsembleConfig::classic()
        })
        .await
        .context("start the ensemble")?;
        let ensemble = EnsembleControl::new(ensemble);
        let zk = ensemble.connect_string().await;
        let mut servers = Vec::new();
        for n in 0..settings.servers {
            let work = settings.work.join(format!("server-{n}"));
            std::fs::create_dir_all(work.join("data"))?;
            let launch = Launch {
                binary: settings.binary.clone(),
                zk: zk.clone(),
                session_timeout: settings.session_timeout,
                hold: Duration::from_millis(3000),
                data_dir: work.join("data"),
                ui_dir: settings.ui_dir.clone(),
                logs: work,
                flags: settings.flags.clone(),
            };
            let any: SocketAddr = "127.0.0.1:0".parse()?;
            servers.push(Some(Zkplay::start(&launch, any, n).await?));
        }
        let targets = Arc::new(Mutex::new(
            servers.iter().flatten().map(|s| s.addr).collect::<Vec<_>>(),
        ));
        let listener = TcpListener::bind(settings.front)
            .await
            .with_context(|| format!("the front cannot listen on {}", settings.front))?;
        let front = listener.local_addr()?;
        let front_task = tokio::spawn(serve_front(listener, targets.clone()));
        Ok(LocalFleet {
            ensemble,
            zk,
            servers,
            front,
            targets,
            front_task,
        })
    }

    /// Server `n`'s address.
    pub fn addr(&self, n: usize) -> Option<SocketAddr> {
        self.servers.get(n)?.as_ref().map(|s| s.addr)
    }

    /// Kills server `n` at once (SIGKILL); the front stops handing it connections.
    pub async fn kill(&mut self, n: usize) -> Result<()> {
        let server = self.servers[n].take().context("no such server")?;
        self.targets
            .lock()
            .expect("targets")
            .retain(|addr| *addr != server.addr);
        server.kill().await
    }

    /// Stops every server as Ctrl-C does, then the ensemble.
    pub async fn stop(self) -> Result<()> {
        self.front_task.abort();
        for server in self.servers.into_iter().flatten() {
            server.stop().await?;
        }
        self.ensemble.stop().await;
        Ok(())
    }
}

/// Hands each connection to the next server in turn, byte for byte; a server that refuses is
/// skipped.
async fn serve_front(listener: TcpListener, targets: Arc<Mutex<Vec<SocketAddr>>>) {
    let next = Arc::new(AtomicUsize::new(0));
    while let Ok((mut browser, _)) = listener.accept().await {
        let (targets, next) = (targets.clone(), next.clone());
        tokio::spawn(async move {
            let list = targets.lock().expect("targets").clone();
            for _ in 0..list.len() {
                let at = next.fetch_add(1, Ordering::Relaxed) % list.len();
                if let Ok(mut server) = TcpStream::connect(list[at]).await {
                    let _ = browser.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut browser, &mut server).await;
                    return;
                }
            }
        });
    }
}
