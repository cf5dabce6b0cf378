//! The HTTP server: the router (UI files, `/ws`, `/healthz`), its state, start and stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{EnsembleView, ServerInfo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::services::{ServeDir, ServeFile};

use crate::admission::{Admission, AdmissionSettings, MemberControl};
use crate::classroom::{Classrooms, KeyCheck};
use crate::ensemble::EnsembleControl;
use crate::lesson_ensembles::LessonEnsembles;
use crate::listener::{Listener, Peer};
use crate::recordings::{RecordingStore, StoreError};
use crate::room::{RoomSettings, Rooms};
use crate::ws::{self, Limits};
use crate::zk::ZkSettings;
use shared::recording::{recording_head, RecordingHeader, StoredRecording};

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
}

impl ServerSettings {
    /// Defaults for a given ZooKeeper, as the command line has them.
    pub fn new(zk_connect: impl Into<String>) -> Self {
        ServerSettings {
            zk: ZkSettings::new(zk_connect, Duration::from_millis(5000)),
            ui_dir: default_ui_dir(),
            limits: Limits {
                max_message_bytes: 4096,
                max_messages_per_sec: 20,
                frame_timeout: Duration::from_millis(ws::DEFAULT_FRAME_TIMEOUT_MS),
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
    pub admission: Arc<Admission>,
    pub info: ServerInfo,
    /// Turns true when the server stops; open WebSockets close.
    pub shutdown: watch::Receiver<bool>,
    /// Who may stop and start the shared ensemble's members.
    pub member_control: Arc<MemberControl>,
    pub recordings: Arc<RecordingStore>,
}

/// The routes: `/ws`, `/healthz`, `/lessons/*.json`, `/classrooms`, and the UI's files for
/// everything else.
pub fn router(state: AppState, ui_dir: PathBuf) -> Router {
    let index = ServeFile::new(ui_dir.join("index.html"));
    Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/lessons/{file}", get(lesson_file))
        .route("/classrooms", post(new_classroom))
        .route("/classrooms/{room}/qr.svg", get(student_qr))
        .route("/rooms/{room}/recording", get(room_recording))
        .route(
            "/recordings",
            // The store checks the size itself; the layer only stops a body from being read
            // far past it.
            post(store_recording).layer(DefaultBodyLimit::max(
                state.recordings.max_bytes.saturating_add(1),
            )),
        )
        .route("/recordings/{id}", get(stored_recording))
        // `cargo xtask dist` writes `.br` and `.gz` beside the wasm, script and stylesheet: a
        // classroom's laptops on one Wi-Fi fetch a quarter of the bytes.
        .fallback_service(
            ServeDir::new(ui_dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(index),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            same_origin_writes,
        ))
        .with_state(state)
}

/// Every request that changes state (a classroom made, a recording stored) passes the same
/// origin rule as the WebSocket: a page on another site cannot spend a teacher's rooms. Reads
/// are anyone's.
async fn same_origin_writes(
    State(app): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method();
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    if let Err(refused) = app.admission.origins.check_headers(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "{refused}");
        return (StatusCode::FORBIDDEN, format!("{refused}\n")).into_response();
    }
    next.run(request).await
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

/// `POST /classrooms`: a new classroom, `{"room": "quiet-otter-42", "key": "…"}`. The key is
/// in no other answer: the page puts it in the teacher's link.
async fn new_classroom(
    ConnectInfo(peer): ConnectInfo<Peer>,
    State(app): State<AppState>,
) -> Response {
    let rooms = &app.rooms;
    if let Err(spent) = rooms.spend_quota(peer.addr.ip()) {
        tracing::warn!(peer = %peer.addr, "no new classroom: {spent}");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(
                header::RETRY_AFTER,
                spent.retry_in.as_secs().max(1).to_string(),
            )],
            format!("no new classroom: {spent}"),
        )
            .into_response();
    }
    match rooms.classrooms().create(|name| rooms.is_running(name)) {
        Ok(classroom) => {
            tracing::info!(room = %classroom.room, "new classroom");
            (StatusCode::CREATED, Json(classroom)).into_response()
        }
        Err(e) => {
            tracing::warn!("no new classroom: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no new classroom: {e}"),
            )
                .into_response()
        }
    }
}

/// `GET /classrooms/{room}/qr.svg`: the students' link of a room as a QR code, to project.
async fn student_qr(
    State(app): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !shared::is_valid_room_name(&room) {
        return (
            StatusCode::BAD_REQUEST,
            "a room name is 1-32 characters of a-z, 0-9 and -",
        )
            .into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let origin = app
        .info
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{host}"));
    let link = shared::classroom::student_link(&origin, &room);
    match qr_svg(&link) {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            svg,
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            "that link is too long for a QR code",
        )
            .into_response(),
    }
}

/// `GET /rooms/{room}/recording`: the room's history as a recording file.
async fn room_recording(State(app): State<AppState>, Path(room): Path<String>) -> Response {
    match live_recording(&app, &room).await {
        Ok(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/x-ndjson; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"zkplay-{room}.jsonl\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(refused) => refused,
    }
}

/// The recording of a running room: a header, where its history starts, its event frames.
async fn live_recording(app: &AppState, room: &str) -> Result<String, Response> {
    if !shared::is_valid_room_name(room) {
        return Err((
            StatusCode::BAD_REQUEST,
            "a room name is 1-32 characters of a-z, 0-9 and -",
        )
            .into_response());
    }
    let not_running = || {
        (
            StatusCode::NOT_FOUND,
            format!("no room {room} runs on this server"),
        )
            .into_response()
    };
    let handle = app.rooms.running(room).ok_or_else(not_running)?;
    let parts = handle.recording().await.map_err(|_| not_running())?;
    let header = RecordingHeader::new(room, app.info.clone(), parts.frames.len() as u64);
    let mut text = recording_head(&header, &parts.start);
    for frame in &parts.frames {
        text.push_str(frame.as_str());
        text.push('\n');
    }
    Ok(text)
}

#[derive(serde::Deserialize)]
struct StoreQuery {
    room: String,
    key: Option<String>,
}

/// `POST /recordings?room=…&key=…`: keeps the body as a recording, or with no body the room's
/// own; answers `{"id", "url", "replay"}`. Only who runs the room stores.
async fn store_recording(
    State(app): State<AppState>,
    Query(query): Query<StoreQuery>,
    body: axum::body::Bytes,
) -> Response {
    let check = app
        .rooms
        .classrooms()
        .check(&query.room, query.key.as_deref());
    let allowed = match check {
        KeyCheck::Open => !app.rooms.settings().classroom_only,
        KeyCheck::Right => true,
        KeyCheck::NoKey | KeyCheck::Wrong => false,
    };
    if !allowed {
        return (
            StatusCode::FORBIDDEN,
            "only the room's teacher stores its recordings",
        )
            .into_response();
    }
    // Who runs a room that runs: no name made up for the occasion fills the store.
    if app.rooms.running(&query.room).is_none() {
        let missing = format!("no room {} runs on this server", query.room);
        return (StatusCode::NOT_FOUND, missing).into_response();
    }
    let bytes = if body.is_empty() {
        match live_recording(&app, &query.room).await {
            Ok(text) => text.into_bytes(),
            Err(refused) => return refused,
        }
    } else {
        body.to_vec()
    };
    match app.recordings.store(&bytes) {
        Ok(id) => {
            tracing::info!(room = %query.room, %id, bytes = bytes.len(), "recording stored");
            (StatusCode::CREATED, Json(StoredRecording::new(id))).into_response()
        }
        Err(e) => {
            let status = match e {
                StoreError::TooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
                StoreError::Full(_) => StatusCode::INSUFFICIENT_STORAGE,
                StoreError::Invalid(_) | StoreError::NotText => StatusCode::BAD_REQUEST,
                StoreError::NoDataDir => StatusCode::SERVICE_UNAVAILABLE,
                StoreError::NotFound(_) => StatusCode::NOT_FOUND,
                StoreError::Random | StoreError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, e.to_string()).into_response()
        }
    }
}

/// `GET /recordings/{id}`: a stored recording, byte for byte.
async fn stored_recording(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    match app.recordings.read(&id) {
        Ok(bytes) => (
            [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
            bytes,
        )
            .into_response(),
        Err(e @ StoreError::NotFound(_)) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// A QR code as SVG, dark on light with its quiet zone, readable from the back of a room
/// (error correction M: a smudged projector still reads).
fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(320, 320)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
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

/// A running server.
pub struct Server {
    addr: SocketAddr,
    rooms: Arc<Rooms>,
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
            public_url: public_url(settings.public_url.clone(), addr),
        };
        if let Some(dir) = &settings.data_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                std::io::Error::other(format!("data directory {}: {e}", dir.display()))
            })?;
        }
        let classrooms = Classrooms::load(settings.data_dir.as_deref(), settings.max_classrooms)
            .map_err(std::io::Error::other)?;
        let course = crate::lesson::builtin_course().map_err(std::io::Error::other)?;
        let (ensemble_tx, ensemble) = watch::channel(EnsembleView::default());
        let pool = settings.lesson_ensembles.clone();
        let rooms = Arc::new(Rooms::new(
            RoomSettings {
                course: Arc::new(course),
                ensemble: ensemble.clone(),
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
            },
            classrooms,
        ));
        let recordings = Arc::new(RecordingStore::new(
            settings.data_dir.clone(),
            settings.max_recordings,
            settings.max_recording_bytes,
        ));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let probe = tokio::spawn(crate::probe::run(
            info.zookeeper.clone(),
            settings.ensemble.is_some(),
            ensemble_tx,
        ));
        let state = AppState {
            rooms: rooms.clone(),
            limits: Arc::new(settings.limits),
            admission: Arc::new(Admission::new(&settings.admission)),
            info,
            shutdown: shutdown_rx.clone(),
            member_control: Arc::new(settings.member_control),
            recordings,
        };
        let app = router(state, settings.ui_dir);
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
            shutdown,
            task,
            probe,
            lesson_ensembles: pool,
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
