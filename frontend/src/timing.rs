//! Performance marks for a snapshot's way to the screen, seen in DevTools' timeline and read by
//! `cargo xtask bench`: `zkplay:snapshot-rendered` runs from the message's arrival to the DOM
//! holding it, `zkplay:snapshot-painted` to the end of the frame that shows it.

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

const RECEIVED: &str = "zkplay:snapshot-received";
pub const RENDERED: &str = "zkplay:snapshot-rendered";
pub const PAINTED: &str = "zkplay:snapshot-painted";

thread_local! {
    /// A snapshot arrived and no render has been measured since.
    static PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Call as a snapshot's text arrives, before it is parsed.
pub fn snapshot_received() {
    if let Some(performance) = performance() {
        let _ = performance.mark(RECEIVED);
        PENDING.set(true);
    }
}

/// Call after every render of the root (its children are committed by then).
pub fn rendered() {
    if !PENDING.take() {
        return;
    }
    let (Some(window), Some(performance)) = (web_sys::window(), performance()) else {
        return;
    };
    let _ = performance.measure_with_start_mark(RENDERED, RECEIVED);
    // The frame after the commit does the style, layout and paint; a task queued from its
    // animation callback runs once that frame is done.
    let after_frame = Closure::once_into_js(move || {
        let measure = Closure::once_into_js(move || {
            let _ = performance.measure_with_start_mark(PAINTED, RECEIVED);
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback(measure.unchecked_ref());
        }
    });
    let _ = window.request_animation_frame(after_frame.unchecked_ref());
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}
