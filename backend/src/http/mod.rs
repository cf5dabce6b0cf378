//! The HTTP face: the router and its handlers ([`routes`]), the one place a refusal becomes a
//! status code ([`error`]), and the server that serves them ([`server`]).

mod error;
mod routes;
mod server;

pub use server::{default_ui_dir, router_without_listener, Server, ServerSettings};
