//! A running server: its settings (from the command line or a test), how it starts (the rooms,
//! the probe, the router on a bound listener) and how it stops (every room's sessions closed,
//! lent ensembles stopped, then the listener).

use crate::checks::{CheckSettings, Checks};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shared::{EnsembleView, ServerInfo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admission::{Admission, AdmissionSettings, MemberControl};
use crate::classroom::Classrooms;
use crate::ensemble::EnsembleControl;
use crate::fleet::Fleet;
use crate::lesson_ensembles::LessonEnsembles;
use crate::listener::{Listener, Peer};
use crate::recordings::RecordingStore;
use crate::room::{RoomSettings, Rooms};
use crate::state::AppState;
use crate::ws::{Limits, DEFAULT_FRAME_TIMEOUT_MS};
use crate::zk::ZkSettings;

use super::routes::router;

/// Everything a server needs, whether it comes from the command line or from a test.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub zk: ZkSettings,
    pub ui_dir: PathBuf,
    pub limits: Limits,
    /// Allowed origins and what one address may hold.
    pub admission: AdmissionSettings,
    pub max_lock_clients: usize,
    pub max_servers: usize,
    pub max_app_clients: usize,
    pub max_rooms: usize,
    pub viewer_queue: usize,
    /// The kernel's send buffer per connection, in bytes: with the viewer queue, it bounds what
    /// a viewer that stops reading can have pending before it is given a snapshot instead.
    pub send_buffer_bytes: usize,
    pub default_hold_ms: u64,
    /// A room no browser watches for this long ends (its sessions close, its nodes go).
    pub room_idle: Duration,
    /// The same for a learner's own lesson room (`lesson-…`).
    pub lesson_room_idle: Duration,
    /// Lock clients and AppServers one student may run at once.
    pub student_clients: usize,
    /// Only classrooms run.
    pub classroom_only: bool,
    /// Classrooms kept.
    pub max_classrooms: usize,
    /// Events a room keeps for its recording.
    pub history_events: usize,
    /// Recordings kept under the data directory, and the largest one.
    pub max_recordings: usize,
    pub max_recording_bytes: usize,
    /// Where classrooms are kept across restarts; `None`: in memory only.
    pub data_dir: Option<PathBuf>,
    /// Where students reach the server, if the page's own address would not do.
    pub public_url: Option<String>,
    /// The ensemble zkplay started itself, if it did: its members can be stopped and started.
    pub ensemble: Option<EnsembleControl>,
    /// Who may stop and start that ensemble's members, which every room shares.
    pub member_control: MemberControl,
    /// Ensembles lent to a room for a lesson that stops members (`--lesson-ensembles`).
    pub lesson_ensembles: Option<LessonEnsembles>,
    /// What a learner's recipe may spend running and being checked.
    pub checks: CheckSettings,
    /// Join the fleet of servers on this ensemble (`--zk`): register in its server list, run
    /// a room only while holding its lock, forward the others to their servers.
    pub fleet: bool,
}

impl ServerSettings {
    /// Defaults for a given ZooKeeper, as the command line has them.
    pub fn new(zk_connect: impl Into<String>) -> Self {
        ServerSettings {
            zk: ZkSettings::new(zk_connect, Duration::from_millis(5000)),
            ui_dir: default_ui_dir(),
            limits: Limits {
                max_message_bytes: shared::DEFAULT_MAX_MESSAGE_BYTES,
                max_messages_per_sec: 20,
                frame_timeout: Duration::from_millis(DEFAULT_FRAME_TIMEOUT_MS),
            },
            admission: AdmissionSettings::default(),
            max_lock_clients: 50,
            max_servers: 20,
            max_app_clients: 10,
            max_rooms: 64,
            viewer_queue: 1024,
            send_buffer_bytes: 16 * 1024,
            default_hold_ms: 3000,
            room_idle: Duration::from_secs(30 * 60),
            lesson_room_idle: Duration::from_secs(2 * 60),
            student_clients: shared::classroom::DEFAULT_STUDENT_CLIENTS,
            classroom_only: false,
            max_classrooms: 1000,
            history_events: 20_000,
            max_recordings: 200,
            max_recording_bytes: 16 * 1024 * 1024,
            data_dir: None,
            public_url: None,
            ensemble: None,
            member_control: MemberControl::default(),
            lesson_ensembles: None,
            checks: CheckSettings::default(),
            fleet: true,
        }
    }
}

/// Where `cargo xtask dist` writes the UI.
pub fn default_ui_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/dist"))
}

/// Where students reach a server listening on `addr`: `--public-url`, else, when it listens on
/// every interface, its address on the network it routes to (no packet is sent to find it).
fn public_url(configured: Option<String>, addr: SocketAddr) -> Option<String> {
    if configured.is_some() || !addr.ip().is_unspecified() {
        return configured.map(|u| u.trim_end_matches('/').to_string());
    }
    let probe = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    // A documentation address (RFC 5737): connect only picks the route.
    probe.connect(("192.0.2.1", 9)).ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then(|| format!("http://{ip}:{}", addr.port()))
}

/// This server's URL in a fleet, which the others forward to: `--public-url`, else its network
/// address, else its listening address. Two servers must not share one, so an address on
/// every interface that names no machine is refused.
fn fleet_url(configured: Option<String>, addr: SocketAddr) -> std::io::Result<String> {
    match public_url(configured, addr) {
        Some(url) => Ok(url),
        None if addr.ip().is_unspecified() => Err(std::io::Error::other(format!(
            "in a fleet (--zk) a server listening on {addr} needs --public-url: the address the other servers reach it at"
        ))),
        None => Ok(format!("http://{addr}")),
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    rooms: Arc<Rooms>,
    fleet: Option<Arc<Fleet>>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    probe: tokio::task::JoinHandle<()>,
    lesson_ensembles: Option<LessonEnsembles>,
}

impl Server {
    /// Serves on an already-bound listener (port 0 in tests).
    pub fn start(listener: TcpListener, settings: ServerSettings) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        // Accepted connections inherit it; left alone, loopback lets a stalled reader's backlog
        // grow to megabytes of stale frames.
        socket2::SockRef::from(&listener).set_send_buffer_size(settings.send_buffer_bytes)?;
        let (ensemble_tx, ensemble) = watch::channel(EnsembleView::default());
        let probe = tokio::spawn(crate::probe::run(
            settings.zk.connect.clone(),
            settings.ensemble.is_some(),
            ensemble_tx,
        ));
        let lesson_ensembles = settings.lesson_ensembles.clone();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let fleet = match settings.fleet {
            true => {
                let url = fleet_url(settings.public_url.clone(), addr)?;
                Some(Fleet::start(url, &settings.zk))
            }
            false => None,
        };
        let (fleet, gained) = match fleet {
            Some((fleet, gained)) => (Some(fleet), Some(gained)),
            None => (None, None),
        };
        let assembled = Assembled::new(
            settings,
            Some(addr),
            (ensemble, fleet.clone()),
            shutdown_rx.clone(),
        )?;
        let rooms = assembled.rooms.clone();
        if let Some(mut gained) = gained {
            // A room whose lock this server comes to hold starts here: a takeover.
            let rooms = rooms.clone();
            tokio::spawn(async move {
                while let Some(room) = gained.recv().await {
                    let rooms = rooms.clone();
                    tokio::spawn(async move { rooms.start_owned(&room).await });
                }
            });
        }
        let app = assembled.router;
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<Peer>();
            axum::serve(Listener::new(listener), app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        });
        Ok(Server {
            addr,
            rooms,
            fleet,
            shutdown,
            task,
            probe,
            lesson_ensembles,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn rooms(&self) -> &Arc<Rooms> {
        &self.rooms
    }

    /// Closes every WebSocket and every ZooKeeper session, then stops serving.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.probe.abort();
        self.rooms.shutdown().await;
        // Every seat given up with the session: the next server in each queue takes the room.
        if let Some(fleet) = &self.fleet {
            fleet.stop().await;
        }
        // The rooms gave back their own ensembles; their members stop before the server does.
        if let Some(pool) = &self.lesson_ensembles {
            if tokio::time::timeout(Duration::from_secs(20), pool.all_returned())
                .await
                .is_err()
            {
                tracing::warn!("lesson ensembles still stopping after 20 s");
            }
        }
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("server ended with {e}"),
            Err(e) => tracing::warn!("server task failed: {e}"),
        }
    }
}

/// The server's parts, put together from its settings: the rooms and the router that serves
/// them (no listener, no probe: [`Server::start`] adds those).
struct Assembled {
    rooms: Arc<Rooms>,
    router: axum::Router,
}

impl Assembled {
    /// `addr` is where the server listens, if it does; `ensemble` the probe's view of the
    /// ensemble every room shares, and `fleet` this server's part in one; `shutdown` turns true
    /// when the server stops.
    fn new(
        settings: ServerSettings,
        addr: Option<SocketAddr>,
        (ensemble, fleet): (watch::Receiver<EnsembleView>, Option<Arc<Fleet>>),
        shutdown: watch::Receiver<bool>,
    ) -> std::io::Result<Assembled> {
        if !settings.ui_dir.join("index.html").exists() {
            tracing::warn!(
                "no UI in {}: run `cargo xtask dist` (or pass --ui-dir); /ws works without it",
                settings.ui_dir.display()
            );
        }
        let info = ServerInfo {
            zookeeper: settings.zk.connect.clone(),
            session_timeout_ms: settings.zk.session_timeout.as_millis() as u64,
            max_lock_clients: settings.max_lock_clients,
            max_message_bytes: settings.limits.max_message_bytes,
            student_clients: settings.student_clients,
            public_url: match addr {
                Some(addr) => public_url(settings.public_url.clone(), addr),
                None => settings.public_url.clone(),
            },
            runs_on: fleet.as_ref().map(|fleet| fleet.url().to_string()),
        };
        if let Some(dir) = &settings.data_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                std::io::Error::other(format!("data directory {}: {e}", dir.display()))
            })?;
        }
        let classrooms = Classrooms::load(settings.data_dir.as_deref(), settings.max_classrooms)
            .map_err(std::io::Error::other)?;
        let course = crate::lesson::builtin_course().map_err(std::io::Error::other)?;
        let checks = Arc::new(Checks::new(settings.checks));
        let rooms = Arc::new(Rooms::new(
            RoomSettings {
                course: Arc::new(course),
                ensemble,
                members: settings.ensemble.clone(),
                lesson_ensembles: settings.lesson_ensembles.clone(),
                idle_limit: settings.room_idle,
                lesson_idle_limit: settings.lesson_room_idle,
                zk: Arc::new(settings.zk),
                max_lock_clients: settings.max_lock_clients,
                max_servers: settings.max_servers,
                max_app_clients: settings.max_app_clients,
                max_rooms: settings.max_rooms,
                rooms_per_address: settings.admission.rooms_per_address,
                classrooms_per_address: settings.admission.classrooms_per_address,
                viewer_queue: settings.viewer_queue,
                default_hold_ms: settings.default_hold_ms,
                student_clients: settings.student_clients,
                classroom_only: settings.classroom_only,
                history_events: settings.history_events,
                script_limits: settings.checks.limits,
                checks: checks.clone(),
            },
            classrooms,
            fleet.clone(),
        ));
        let recordings = Arc::new(RecordingStore::new(
            settings.data_dir.clone(),
            settings.max_recordings,
            settings.max_recording_bytes,
        ));
        let state = AppState {
            rooms: rooms.clone(),
            limits: Arc::new(settings.limits),
            admission: Arc::new(Admission::new(&settings.admission)),
            info,
            shutdown,
            member_control: Arc::new(settings.member_control),
            recordings,
            checks,
            fleet,
        };
        Ok(Assembled {
            rooms,
            router: router(state, settings.ui_dir),
        })
    }
}

/// The router a server with `settings` would serve, on no socket and with no probe (the
/// ensemble shows as unknown): for serving requests in a test without a listener.
pub fn router_without_listener(settings: ServerSettings) -> std::io::Result<axum::Router> {
    let ensemble = watch::channel(EnsembleView::default()).1;
    let shutdown = watch::channel(false).1;
    Ok(Assembled::new(settings, None, (ensemble, None), shutdown)?.router)
}
