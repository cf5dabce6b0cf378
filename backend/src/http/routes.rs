//! The routes and their handlers: the UI's files, `/ws`, `/healthz`, the lessons' files, new
//! classrooms and their QR codes, and recordings. Every refusal is an [`HttpError`].

use std::path::PathBuf;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::recording::{recording_head, RecordingHeader, StoredRecording};
use tower_http::services::{ServeDir, ServeFile};

use super::error::HttpError;
use crate::classroom::KeyCheck;
use crate::fleet::{forward, Place, FORWARDED_HEADER};
use crate::listener::Peer;
use crate::recordings::StoreError;
use crate::state::AppState;
use crate::ws;

/// The routes: `/ws`, `/healthz`, `/lessons/*.json`, `/classrooms`, and the UI's files for
/// everything else.
pub fn router(state: AppState, ui_dir: PathBuf) -> Router {
    let index = ServeFile::new(ui_dir.join("index.html"));
    Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/lessons/{file}", get(lesson_file))
        .route("/recipes/{file}", get(recipe_file))
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
        .route("/fleet.json", get(fleet_view))
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
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            to_the_rooms_server,
        ))
        .with_state(state)
}

/// In a fleet, a room's requests go to the server that runs it: its WebSocket
/// (`/ws?room=<room>`, which takes this server's seat in the room's owner queue: the first in
/// line runs it) and its HTTP routes (its recording, storing it, its QR code), passed on as
/// they came.
async fn to_the_rooms_server(
    State(app): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (Some(fleet), Some((room, socket))) = (app.fleet.clone(), room_of(&request)) else {
        return next.run(request).await;
    };
    let forwarded = request.headers().contains_key(FORWARDED_HEADER);
    // A seat is taken for a WebSocket a page of ours opens, not for a request forwarded here
    // (the server that forwarded it holds one) nor for one the handshake refuses.
    let seats = socket
        && !forwarded
        && app
            .admission
            .origins
            .check_headers(request.headers())
            .is_ok();
    let owner = if seats {
        match fleet.place(&room).await {
            Ok(Place::Here(_)) => return next.run(request).await,
            Ok(Place::There(url)) => url,
            Err(e) => return HttpError::Fleet(e).into_response(),
        }
    } else {
        match fleet.owner_of(&room).await {
            Some(url) if url != fleet.url() => url,
            _ => return next.run(request).await,
        }
    };
    if forwarded {
        return HttpError::Moving(room).into_response();
    }
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<Peer>>().cloned() else {
        return next.run(request).await;
    };
    let from = app.client_ip(peer.addr.ip(), request.headers());
    let tunnel = socket.then(|| {
        let hold = fleet.forwarding(&room);
        let ends = hold.moved();
        (hold, ends)
    });
    match forward(request, &owner, (from, fleet.url()), tunnel).await {
        Ok(answer) => answer,
        Err(e) => HttpError::Forward(e).into_response(),
    }
}

/// The room a request is for, and whether it is the room's WebSocket (an upgrade).
fn room_of(request: &axum::extract::Request) -> Option<(String, bool)> {
    let uri = request.uri();
    let path = uri.path();
    let room = if path == "/ws" || path == "/recordings" {
        uri.query()?
            .split('&')
            .find_map(|pair| pair.strip_prefix("room="))?
    } else {
        let rest = path
            .strip_prefix("/rooms/")
            .or_else(|| path.strip_prefix("/classrooms/"))?;
        let (room, tail) = rest.split_once('/')?;
        if tail != "recording" && tail != "qr.svg" {
            return None;
        }
        room
    };
    let socket = path == "/ws" && request.headers().contains_key(header::UPGRADE);
    shared::is_valid_room_name(room).then(|| (room.to_string(), socket))
}

/// `GET /fleet.json`: the fleet as ZooKeeper holds it (the live server list, each room's owner
/// queue), read by this server; a server alone on its ensemble answers 404.
async fn fleet_view(
    State(app): State<AppState>,
) -> Result<Json<shared::fleet::FleetView>, HttpError> {
    let fleet = app.fleet.as_ref().ok_or(HttpError::NoFleet)?;
    Ok(Json(fleet.view().await))
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
        return HttpError::ForeignOrigin(refused.to_string()).into_response();
    }
    next.run(request).await
}

/// `GET /lessons/{course,en,zh}.json`: the lessons' structure and texts, as the page fetches
/// them (the wasm does not carry them, so it does not grow with every lesson).
async fn lesson_file(Path(file): Path<String>) -> Result<Response, HttpError> {
    let body = match file.as_str() {
        "course.json" => shared::lesson::COURSE_JSON,
        other => other
            .strip_suffix(".json")
            .and_then(shared::lesson::Lang::from_code)
            .ok_or(HttpError::NoLessonsFile)?
            .texts_json(),
    };
    let json = [(header::CONTENT_TYPE, "application/json; charset=utf-8")];
    Ok((json, body).into_response())
}

/// `GET /recipes/<template>.rhai`: a recipe template's source, fetched by the page when the
/// learner picks it (the page's wasm carries none).
async fn recipe_file(Path(file): Path<String>) -> Result<Response, HttpError> {
    let template = file
        .strip_suffix(".rhai")
        .and_then(shared::recipe::RecipeTemplate::parse)
        .ok_or(HttpError::NoRecipeFile)?;
    let text = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    Ok((text, template.source()).into_response())
}

/// `POST /classrooms`: a new classroom, `{"room": "quiet-otter-42", "key": "…"}`. The key is
/// in no other answer: the page puts it in the teacher's link.
async fn new_classroom(
    ConnectInfo(peer): ConnectInfo<Peer>,
    State(app): State<AppState>,
) -> Result<Response, HttpError> {
    let rooms = &app.rooms;
    rooms.spend_quota(peer.addr.ip()).map_err(|spent| {
        tracing::warn!(peer = %peer.addr, "no new classroom: {spent}");
        HttpError::ClassroomQuota(spent)
    })?;
    let classroom = rooms
        .make_classroom()
        .await
        .map_err(HttpError::NoClassroom)?;
    tracing::info!(room = %classroom.room, "new classroom");
    Ok((StatusCode::CREATED, Json(classroom)).into_response())
}

/// A room name from a path, checked.
fn room_name(room: &str) -> Result<&str, HttpError> {
    shared::is_valid_room_name(room)
        .then_some(room)
        .ok_or(HttpError::BadRoomName)
}

/// `GET /classrooms/{room}/qr.svg`: the students' link of a room as a QR code, to project.
async fn student_qr(
    State(app): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let room = room_name(&room)?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let origin = app
        .info
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{host}"));
    let link = shared::classroom::student_link(&origin, room);
    let svg = qr_svg(&link).ok_or(HttpError::LinkTooLong)?;
    let headers = [
        (header::CONTENT_TYPE, "image/svg+xml"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    Ok((headers, svg).into_response())
}

/// `GET /rooms/{room}/recording`: the room's history as a recording file.
async fn room_recording(
    State(app): State<AppState>,
    Path(room): Path<String>,
) -> Result<Response, HttpError> {
    let text = live_recording(&app, &room).await?;
    let headers = [
        (
            header::CONTENT_TYPE,
            "application/x-ndjson; charset=utf-8".to_string(),
        ),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"zkplay-{room}.jsonl\""),
        ),
    ];
    Ok((headers, text).into_response())
}

/// The recording of a running room: a header, where its history starts, its event frames.
async fn live_recording(app: &AppState, room: &str) -> Result<String, HttpError> {
    let room = room_name(room)?;
    let not_running = || HttpError::NotRunning(room.to_string());
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
) -> Result<Response, HttpError> {
    app.rooms
        .learn_classroom(&query.room)
        .await
        .map_err(|_| HttpError::Moving(query.room.clone()))?;
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
        return Err(HttpError::NotTeacher);
    }
    // Who runs a room that runs: no name made up for the occasion fills the store.
    if app.rooms.running(&query.room).is_none() {
        return Err(HttpError::NotRunning(query.room));
    }
    let bytes = if body.is_empty() {
        live_recording(&app, &query.room).await?.into_bytes()
    } else {
        body.to_vec()
    };
    let id = app.recordings.store(&bytes)?;
    tracing::info!(room = %query.room, %id, bytes = bytes.len(), "recording stored");
    Ok((StatusCode::CREATED, Json(StoredRecording::new(id))).into_response())
}

/// `GET /recordings/{id}`: a stored recording, byte for byte.
async fn stored_recording(
    State(app): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    match app.recordings.read(&id) {
        Ok(bytes) => {
            let ndjson = [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")];
            Ok((ndjson, bytes).into_response())
        }
        // In a fleet each server keeps what it stored under its own --data-dir: ask the
        // others (once: a server asked by another answers from its own store alone).
        Err(StoreError::NotFound(missing)) => match &app.fleet {
            Some(fleet)
                if !headers.contains_key(FORWARDED_HEADER) && crate::recordings::is_id(&id) =>
            {
                let from = app.client_ip(peer.addr.ip(), &headers);
                for server in fleet.backends() {
                    if server.url == fleet.url() {
                        continue;
                    }
                    let Ok(ask) = axum::http::Request::get(format!("/recordings/{id}"))
                        .body(axum::body::Body::empty())
                    else {
                        break;
                    };
                    let plain: Option<((), std::future::Ready<()>)> = None;
                    if let Ok(found) = forward(ask, &server.url, (from, fleet.url()), plain).await {
                        if found.status() == StatusCode::OK {
                            return Ok(found);
                        }
                    }
                }
                Err(StoreError::NotFound(missing).into())
            }
            _ => Err(StoreError::NotFound(missing).into()),
        },
        Err(e) => Err(e.into()),
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
