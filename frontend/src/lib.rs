//! zkplay's browser UI: one reducer fed by server messages, components that render it.
//!
//! [`state`], [`layout`], [`code`], [`lesson`] and [`i18n`] are plain Rust (tested on native); [`ws`] talks to the
//! server; [`components`] render.

pub mod classroom;
pub mod code;
pub mod components;
pub mod i18n;
pub mod keys;
pub mod layout;
pub mod lesson;
pub mod page;
pub mod state;
pub mod texts;
pub mod timing;
pub mod ws;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
