//! Why an HTTP request was refused: the one place a status code is chosen, and what the body
//! says. A failure inside the server (a file, the random source) is logged in full and told
//! only as what could not be done.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::admission::QuotaSpent;
use crate::classroom::ClassroomError;
use crate::recordings::StoreError;

/// A refused request.
#[derive(Debug, thiserror::Error)]
pub(super) enum HttpError {
    #[error("a room name is 1-32 characters of a-z, 0-9 and -")]
    BadRoomName,
    #[error("no such lessons file: there are course.json, en.json and zh.json")]
    NoLessonsFile,
    #[error("no such recipe template: there are predecessor-naive.rhai, predecessor.rhai, children-watch.rhai and skeleton.rhai")]
    NoRecipeFile,
    #[error("that link is too long for a QR code")]
    LinkTooLong,
    #[error("no room {0} runs on this server")]
    NotRunning(String),
    #[error("only the room's teacher stores its recordings")]
    NotTeacher,
    /// A write from a page of another site.
    #[error("{0}")]
    ForeignOrigin(String),
    #[error("no new classroom: {0}")]
    ClassroomQuota(QuotaSpent),
    #[error("no new classroom: {0}")]
    NoClassroom(ClassroomError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Fleet(#[from] crate::fleet::FleetError),
    #[error("{0}")]
    Forward(#[from] crate::fleet::ForwardError),
    #[error("this server is alone on its ensemble: it belongs to no fleet (a fleet's servers are started with --zk)")]
    NoFleet,
    /// A forwarded request reached a server that does not run the room either.
    #[error("room {0} is moving between the fleet's servers; try again in a moment")]
    Moving(String),
}

impl HttpError {
    fn status(&self) -> StatusCode {
        match self {
            HttpError::BadRoomName | HttpError::LinkTooLong => StatusCode::BAD_REQUEST,
            HttpError::NoLessonsFile
            | HttpError::NoRecipeFile
            | HttpError::NotRunning(_)
            | HttpError::NoFleet => StatusCode::NOT_FOUND,
            HttpError::NotTeacher | HttpError::ForeignOrigin(_) => StatusCode::FORBIDDEN,
            HttpError::ClassroomQuota(_) => StatusCode::TOO_MANY_REQUESTS,
            HttpError::Fleet(_) | HttpError::Moving(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Forward(_) => StatusCode::BAD_GATEWAY,
            HttpError::NoClassroom(
                ClassroomError::NoFreeName(_)
                | ClassroomError::Full(_)
                | ClassroomError::Unshared(_),
            ) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::NoClassroom(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::Store(e) => match e {
                StoreError::TooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
                StoreError::Full(_) => StatusCode::INSUFFICIENT_STORAGE,
                StoreError::Invalid(_) | StoreError::NotText => StatusCode::BAD_REQUEST,
                StoreError::NoDataDir => StatusCode::SERVICE_UNAVAILABLE,
                StoreError::NotFound(_) => StatusCode::NOT_FOUND,
                StoreError::Random | StoreError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// What the body says: the refusal in words, or, for a failure inside the server, only
    /// what could not be done.
    fn text(&self) -> String {
        match self {
            HttpError::NoClassroom(
                ClassroomError::Random(_)
                | ClassroomError::File { .. }
                | ClassroomError::Parse { .. },
            ) => "no new classroom: the server could not keep it (its log says why)".into(),
            HttpError::Store(StoreError::Io(_) | StoreError::Random) => {
                "the server could not keep or read the recording (its log says why)".into()
            }
            HttpError::ForeignOrigin(refused) => format!("{refused}\n"),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!("{status}: {self}");
        }
        let text = self.text();
        match self {
            HttpError::ClassroomQuota(spent) => {
                let retry = spent.retry_in.as_secs().max(1).to_string();
                (status, [(header::RETRY_AFTER, retry)], text).into_response()
            }
            _ => (status, text).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_inside_the_server_is_told_without_its_details() {
        let io = HttpError::Store(StoreError::Io(std::io::Error::other("/secret/path: disk")));
        assert_eq!(io.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!io.text().contains("/secret"), "{}", io.text());
        let file = HttpError::NoClassroom(ClassroomError::File {
            path: "/secret/classrooms.json".into(),
            source: std::io::Error::other("denied"),
        });
        assert_eq!(file.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!file.text().contains("/secret"), "{}", file.text());
        let full = HttpError::NoClassroom(ClassroomError::Full(3));
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(full.text().contains("3 classrooms"), "{}", full.text());
    }

    #[test]
    fn each_refusal_has_its_status() {
        assert_eq!(HttpError::BadRoomName.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            HttpError::NotRunning("r".into()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(HttpError::NotTeacher.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            HttpError::Store(StoreError::TooLarge(2, 1)).status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            HttpError::Store(StoreError::Full(1)).status(),
            StatusCode::INSUFFICIENT_STORAGE
        );
    }
}
