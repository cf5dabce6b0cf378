//! The page's components, one file each.

use shared::classroom::Member;
use yew::{hook, use_context};

pub mod app;
pub mod classroom;
pub mod code_panel;
pub mod controls;
pub mod countdown;
pub mod ensemble;
pub mod event_log;
pub mod herd;
pub mod lessons;
pub mod lock_queue;
pub mod registry;
pub mod replay;
pub mod resource;
pub mod time_control;

/// Who the page is in its room, from the app's context (open until the server says).
#[hook]
pub fn use_member() -> Member {
    use_context::<Member>().unwrap_or(Member::OPEN)
}
