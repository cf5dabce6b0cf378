//! Guided lessons in a room: the course zkplay ships, a lesson's run (its progress, checked on
//! every event the room publishes) and its plans (Do it, Back and Restart, as state machines the
//! room carries out). Nothing here reaches the room: it reads what the room shows it and says
//! what to do.

mod plan;
mod run;

pub use plan::{Answer, Deed, Next, Plan, Seen};
pub use run::LessonRun;

use shared::lesson::{Course, CourseError, COURSE_JSON};

/// The course zkplay ships, checked.
#[derive(Debug, thiserror::Error)]
pub enum CourseLoadError {
    #[error("shared/lessons/course.json does not parse: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("shared/lessons/course.json: {0}")]
    Invalid(#[from] CourseError),
}

pub fn builtin_course() -> Result<Course, CourseLoadError> {
    let course: Course = serde_json::from_str(COURSE_JSON)?;
    course.validate()?;
    Ok(course)
}
