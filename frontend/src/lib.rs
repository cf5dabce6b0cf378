//! zkplay's browser UI: one reducer fed by server messages, components that render it.
//!
//! [`state`], [`layout`], [`code`], [`lesson`] and [`i18n`] are plain Rust (tested on native); [`ws`] talks to the
//! server; [`components`] render.

pub mod address;
pub mod classroom;
pub mod code;
pub mod components;
pub mod fleet;
pub mod i18n;
pub mod keys;
pub mod layout;
pub mod lesson;
pub mod page;
pub mod recipe;
pub mod selection;
pub mod state;
pub mod texts;
pub mod timing;
pub mod ws;

/// Mounts the app on `<body>`.
pub fn start() {
    // The page's own words from here on: the static "loading…" of index.html goes.
    if let Some(loading) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("page-loading"))
    {
        loading.remove();
    }
    // `/fleet`: the fleet's own page (the server serves the same page at every path).
    let path = web_sys::window().and_then(|w| w.location().pathname().ok());
    match path.as_deref() {
        Some("/fleet") => {
            yew::Renderer::<components::fleet::FleetPage>::new().render();
        }
        _ => {
            yew::Renderer::<components::app::App>::new().render();
        }
    }
}
