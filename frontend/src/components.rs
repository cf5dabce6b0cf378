//! The page's components, one file each.

pub mod app;
pub mod classroom;
pub mod code_panel;
pub mod context;
pub mod controls;
pub mod countdown;
pub mod editor;
pub mod ensemble;
pub mod event_log;
pub mod fleet;
pub mod herd;
pub mod hooks;
pub mod lessons;
pub mod lock_queue;
pub mod recipe;
pub mod registry;
pub mod replay;
pub mod resource;
pub mod time_control;
pub mod timeline;
