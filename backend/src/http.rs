//! The HTTP server: the router (UI files, `/ws`, `/healthz`), its state, start and stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use shared::{EnsembleView, ServerInfo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::services::{ServeDir, ServeFile};

use crate::ensemble::EnsembleControl;
use crate::room::{RoomSettings, Rooms};
use crate::ws::{self, Limits};
use crate::zk::ZkSettings;

/// Everything a server needs, whether it comes from the command line or from a test.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub zk: ZkSettings,
    pub ui_dir: PathBuf,
    pub limits: Limits,
    pub max_lock_clients: usize,
    pub max_servers: usize,
    pub max_app_clients: usize,
    pub max_rooms: usize,
    pub viewer_queue: usize,
    /// The kernel's send buffer per connection, in bytes: with the viewer queue, it bounds what
    /// a viewer that stops reading can have pending before it is given a snapshot instead.
    pub send_buffer_bytes: usize,
    pub default_hold_ms: u64,
    /// A room no browser watches for this long ends (its sessions close).
    pub room_idle: Duration,
    /// The ensemble zkplay started itself, if it did: its members can be stopped and started.
    pub ensemble: Option<EnsembleControl>,
}

impl ServerSettings {
    /// Defaults for a given ZooKeeper, as the command line has them.
    pub fn new(zk_connect: impl Into<String>) -> Self {
        ServerSettings {
            zk: ZkSettings {
                connect: zk_connect.into(),
                session_timeout: Duration::from_millis(5000),
            },
            ui_dir: default_ui_dir(),
            limits: Limits {
                max_message_bytes: 4096,
                max_messages_per_sec: 20,
            },
            max_lock_clients: 50,
            max_servers: 20,
            max_app_clients: 10,
            max_rooms: 64,
            viewer_queue: 1024,
            send_buffer_bytes: 16 * 1024,
            default_hold_ms: 3000,
            room_idle: Duration::from_secs(30 * 60),
            ensemble: None,
        }
    }
}

/// Where `cargo xtask dist` writes the UI.
pub fn default_ui_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/dist"))
}

/// The state every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub rooms: Arc<Rooms>,
    pub limits: Arc<Limits>,
    pub info: ServerInfo,
    /// Turns true when the server stops; open WebSockets close.
    pub shutdown: watch::Receiver<bool>,
    /// The ensemble as the probe last saw it.
    pub ensemble: watch::Receiver<EnsembleView>,
    /// The embedded ensemble's members, to stop and start.
    pub members: Option<EnsembleControl>,
}

/// The routes: `/ws`, `/healthz`, `/lessons/*.json`, and the UI's files for everything else.
pub fn router(state: AppState, ui_dir: PathBuf) -> Router {
    let index = ServeFile::new(ui_dir.join("index.html"));
    Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/lessons/{file}", get(lesson_file))
        // `cargo xtask dist` writes `.br` and `.gz` beside the wasm, script and stylesheet: a
        // classroom's laptops on one Wi-Fi fetch a quarter of the bytes.
        .fallback_service(
            ServeDir::new(ui_dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(index),
        )
        .with_state(state)
}

/// `GET /lessons/{course,en,zh}.json`: the lessons' structure and texts, as the page fetches
/// them (the wasm does not carry them, so it does not grow with every lesson).
async fn lesson_file(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = match file.as_str() {
        "course.json" => shared::lesson::COURSE_JSON,
        other => match other
            .strip_suffix(".json")
            .and_then(shared::lesson::Lang::from_code)
        {
            Some(lang) => lang.texts_json(),
            None => {
                return (
                    axum::http::StatusCode::NOT_FOUND,
                    "no such lessons file: there are course.json, en.json and zh.json",
                )
                    .into_response()
            }
        },
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    rooms: Arc<Rooms>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    probe: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serves on an already-bound listener (port 0 in tests).
    pub fn start(listener: TcpListener, settings: ServerSettings) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        // Accepted connections inherit it; left alone, loopback lets a stalled reader's backlog
        // grow to megabytes of stale frames.
        socket2::SockRef::from(&listener).set_send_buffer_size(settings.send_buffer_bytes)?;
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
        };
        let course = crate::lesson::builtin_course().map_err(std::io::Error::other)?;
        let (ensemble_tx, ensemble) = watch::channel(EnsembleView::default());
        let rooms = Arc::new(Rooms::new(RoomSettings {
            course: Arc::new(course),
            ensemble: ensemble.clone(),
            members: settings.ensemble.clone(),
            idle_limit: settings.room_idle,
            zk: Arc::new(settings.zk),
            max_lock_clients: settings.max_lock_clients,
            max_servers: settings.max_servers,
            max_app_clients: settings.max_app_clients,
            max_rooms: settings.max_rooms,
            viewer_queue: settings.viewer_queue,
            default_hold_ms: settings.default_hold_ms,
        }));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let probe = tokio::spawn(crate::probe::run(
            info.zookeeper.clone(),
            settings.ensemble.is_some(),
            ensemble_tx,
        ));
        let state = AppState {
            rooms: rooms.clone(),
            limits: Arc::new(settings.limits),
            info,
            shutdown: shutdown_rx.clone(),
            ensemble,
            members: settings.ensemble,
        };
        let app = router(state, settings.ui_dir);
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        });
        Ok(Server {
            addr,
            rooms,
            shutdown,
            task,
            probe,
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
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("server ended with {e}"),
            Err(e) => tracing::warn!("server task failed: {e}"),
        }
    }
}
