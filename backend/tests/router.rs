//! The router without a socket (`tower::ServiceExt::oneshot`): UI files, health, and `/ws`
//! refusing plain HTTP.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::{router_without_listener, ServerSettings};
use tower::ServiceExt;

fn app(ui: &std::path::Path) -> axum::Router {
    // Never dialled here: no request below starts a room.
    let mut settings = ServerSettings::new("127.0.0.1:1");
    settings.ui_dir = ui.to_path_buf();
    settings.max_rooms = 4;
    router_without_listener(settings).expect("the router")
}

async fn get(app: axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn makes_classrooms_and_draws_their_students_link_as_a_qr_code() {
    let ui = tempfile::tempdir().unwrap();
    let response = app(ui.path())
        .oneshot(
            Request::post("/classrooms")
                // What the server's listener gives every request: who sent it.
                .extension(axum::extract::ConnectInfo(backend::Peer {
                    addr: "192.168.1.31:50000".parse().unwrap(),
                    unfinished: Default::default(),
                }))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let made: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let room = made["room"].as_str().unwrap();
    assert!(shared::is_valid_room_name(room), "{room}");
    assert_eq!(made["key"].as_str().unwrap().len(), 32);

    let response = app(ui.path())
        .oneshot(
            Request::get(format!("/classrooms/{room}/qr.svg"))
                .header("host", "192.168.1.20:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let svg = String::from_utf8(svg.to_vec()).unwrap();
    assert!(
        svg.starts_with("<?xml") && svg.contains("<svg"),
        "{svg:.80}"
    );
    assert_eq!(
        get(app(ui.path()), "/classrooms/Not%20A%20Room/qr.svg")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let (status, _) = get(app(ui.path()), "/classrooms").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn serves_the_lessons_course_and_texts_and_refuses_other_files() {
    let ui = tempfile::tempdir().unwrap();
    let (status, course) = get(app(ui.path()), "/lessons/course.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(course, shared::lesson::COURSE_JSON);
    for lang in shared::lesson::Lang::ALL {
        let (status, texts) = get(app(ui.path()), &format!("/lessons/{}.json", lang.code())).await;
        assert_eq!(status, StatusCode::OK);
        let texts: shared::lesson::LessonTexts = serde_json::from_str(&texts).unwrap();
        assert_eq!(texts.lessons.len(), 10);
    }
    for bad in ["/lessons/fr.json", "/lessons/..%2Fsecret", "/lessons/en"] {
        assert_eq!(
            get(app(ui.path()), bad).await.0,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn serves_the_recipe_templates_and_refuses_other_files() {
    let ui = tempfile::tempdir().unwrap();
    for template in shared::recipe::RecipeTemplate::ALL {
        let path = format!("/recipes/{}.rhai", template.as_str());
        let (status, text) = get(app(ui.path()), &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(text, template.source());
    }
    for bad in [
        "/recipes/other.rhai",
        "/recipes/predecessor",
        "/recipes/..%2Fsecret",
    ] {
        assert_eq!(
            get(app(ui.path()), bad).await.0,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn serves_the_ui_health_and_refuses_plain_http_on_ws() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<title>zkplay</title>").unwrap();
    std::fs::write(ui.path().join("style.css"), "body{}").unwrap();

    assert_eq!(
        get(app(ui.path()), "/healthz").await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(
        get(app(ui.path()), "/").await,
        (StatusCode::OK, "<title>zkplay</title>".into())
    );
    assert_eq!(
        get(app(ui.path()), "/style.css").await,
        (StatusCode::OK, "body{}".into())
    );
    // A room link (`/?room=x`) and unknown paths load the app, which reads the URL itself.
    assert_eq!(
        get(app(ui.path()), "/?room=class-7").await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(app(ui.path()), "/no/such/page").await.1,
        "<title>zkplay</title>"
    );
    // Without an upgrade handshake the WebSocket route answers with a client error.
    assert!(get(app(ui.path()), "/ws").await.0.is_client_error());
}

#[tokio::test]
async fn serves_precompressed_files_to_browsers_that_accept_them() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<title>zkplay</title>").unwrap();
    std::fs::write(ui.path().join("app.wasm"), "plain").unwrap();
    std::fs::write(ui.path().join("app.wasm.br"), "brotli").unwrap();
    std::fs::write(ui.path().join("app.wasm.gz"), "gzip").unwrap();
    let fetch = async |accept: Option<&str>| {
        let mut request = Request::get("/app.wasm");
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        let response = app(ui.path())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (encoding, String::from_utf8_lossy(&body).into_owned())
    };
    assert_eq!(
        fetch(Some("gzip, deflate, br")).await,
        (Some("br".into()), "brotli".into())
    );
    assert_eq!(
        fetch(Some("gzip")).await,
        (Some("gzip".into()), "gzip".into())
    );
    assert_eq!(fetch(None).await, (None, "plain".into()));
}
