//! Why a room refused a request, and the error code each reason has on the wire.

use shared::classroom::Forbidden;
use shared::lesson::LessonId;
use shared::{ClientId, ErrorCode};

use super::gate::GateError;
use crate::admission::{QuotaSpent, RoomsHeld};

/// Why a room refused a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    #[error("the room already has {1} {0}, its limit")]
    Full(&'static str, usize),
    #[error("the room is switching recipes; add clients once the queue is empty")]
    Switching,
    #[error("no client {0} in this room")]
    NoSuchClient(ClientId),
    #[error("client {0} does not hold the lock")]
    NotHolding(ClientId),
    #[error("the server already runs {0} rooms, its limit")]
    TooManyRooms(usize),
    #[error(transparent)]
    Quota(#[from] QuotaSpent),
    #[error(transparent)]
    Held(RoomsHeld),
    #[error("the room is shutting down")]
    Closed,
    #[error("{0}")]
    Gate(#[from] GateError),
    #[error("the room runs no lesson")]
    NoLesson,
    #[error("there is no lesson {0}")]
    NoSuchLesson(LessonId),
    #[error("lesson {0} stops ZooKeeper servers, and this server lends no ensembles of a room's own (--lesson-ensembles 0): every room shares its servers, and only whoever runs the server stops them")]
    SharedMembers(LessonId),
    #[error("the lesson has no step {0}")]
    NoSuchStep(usize),
    #[error("the lesson is busy: wait until it has done what it is doing")]
    LessonBusy,
    #[error("this step is decided: go on, or go back to do it again")]
    StepDecided,
    #[error("no client in the room fits what the step acts on")]
    NoTarget,
    #[error("the room is being emptied for its lesson")]
    Resetting,
    #[error("client {0} is already paused or cut off")]
    LinkBusy(ClientId),
    #[error("you already run {0} clients, a student's limit")]
    StudentLimit(usize),
    #[error("this server runs classrooms only: make one with New classroom")]
    NoSuchRoom,
    #[error("this server has no classroom {0}: the link is old, or the server was reset")]
    NoSuchClassroom(String),
    #[error("the room already has {0} students, its limit")]
    TooManyStudents(usize),
    #[error("the system's random source failed")]
    Random,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("this server uses an ensemble it did not start (--zk); it cannot stop its members")]
    NoMembers,
    #[error("every room on this server shares these ZooKeeper servers: only whoever runs the server stops them; lesson 6 stops servers of your own")]
    SharedEnsemble,
    /// The ensemble refused to stop or start a member (no such member, say).
    #[error("{0}")]
    Member(String),
    #[error("the recipe does not compile: {0}")]
    BadRecipe(String),
    #[error("the room has no recipe of its own yet: run one from Your recipe")]
    NoScript,
    #[error("the room's last check found no failure to play: check a recipe first")]
    NothingToPlay,
    #[error("the room's last check found no safe recipe to run: make Check say safe first")]
    NoSafeRecipe,
    #[error("{0}")]
    Busy(String),
    /// In a fleet: another server runs the room (its URL).
    #[error("the room runs on {0}: connect to /ws?room=<room> on any server of the fleet, which forwards there")]
    Elsewhere(String),
    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),
}

impl RoomError {
    /// The code a browser is told with this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            RoomError::Full(..) | RoomError::TooManyStudents(_) => ErrorCode::RoomFull,
            RoomError::TooManyRooms(_) => ErrorCode::TooManyRooms,
            RoomError::Quota(_) | RoomError::Held(_) => ErrorCode::TooManyNewRooms,
            RoomError::NoSuchClient(_) => ErrorCode::NoSuchClient,
            RoomError::NotHolding(_)
            | RoomError::Switching
            | RoomError::Closed
            | RoomError::Gate(_)
            | RoomError::NoLesson
            | RoomError::LessonBusy
            | RoomError::StepDecided
            | RoomError::NoTarget
            | RoomError::Resetting
            | RoomError::LinkBusy(_)
            | RoomError::Random => ErrorCode::InvalidState,
            RoomError::NoSuchLesson(_) | RoomError::NoSuchStep(_) => ErrorCode::InvalidMessage,
            RoomError::SharedMembers(_) | RoomError::Forbidden(_) | RoomError::SharedEnsemble => {
                ErrorCode::Forbidden
            }
            RoomError::StudentLimit(_) => ErrorCode::StudentLimit,
            RoomError::NoSuchRoom | RoomError::NoSuchClassroom(_) => ErrorCode::NoSuchRoom,
            RoomError::NoMembers | RoomError::Member(_) => ErrorCode::NoSuchMember,
            RoomError::BadRecipe(_) => ErrorCode::BadRecipe,
            RoomError::NoScript | RoomError::NothingToPlay | RoomError::NoSafeRecipe => {
                ErrorCode::InvalidState
            }
            RoomError::Busy(_) => ErrorCode::Busy,
            RoomError::Elsewhere(_) | RoomError::Fleet(_) => ErrorCode::Elsewhere,
        }
    }
}
