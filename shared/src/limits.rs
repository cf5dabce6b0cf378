//! Limits and defaults that the server enforces and the page's inputs offer, defined once.

/// Longest WebSocket message a browser may send by default, in bytes: a recipe of
/// [`crate::recipe::RECIPE_SOURCE_MAX`] bytes fits, with room for its escapes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 24 * 1024;

/// Longest hold a room may set, in ms (10 minutes).
pub const MAX_HOLD_MS: u64 = 10 * 60 * 1000;
/// Longest pause of a client, in ms.
pub const MAX_PAUSE_MS: u64 = 120_000;
/// What the page's Pause buttons freeze a client for until the user picks another duration.
pub const DEFAULT_PAUSE_MS: u64 = 8000;
