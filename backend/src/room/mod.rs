//! Rooms: the sessions of one room, its `RoomView`, and the fan-out of its events to browsers.
//!
//! Each room is one actor task ([`actor`]) behind a cheap [`RoomHandle`]. Sessions report
//! `RoomEvent`s to it; it numbers them, applies them to its `RoomView` (with the same code
//! browsers use), serialises each once and broadcasts the bytes to every viewer. A browser's
//! intent reaches it as one command carrying who sent it and the `ClientMsg`; the room checks
//! who may do it where it acts.
//!
//! One file per concern, each a small state of its own whose decisions are pure functions with
//! unit tests: [`registry`] (every room of the server), [`presence`] (who watches), [`time`]
//! (the gate where moves wait, its tickets and the room's clock), [`reset`] (emptying the
//! room), [`history`] (what a recording holds), [`hosting`] (the room's lesson),
//! [`sessions`] (the room's ZooKeeper sessions) and [`world`] (the ensemble the room runs on).
//! The [`actor`] holds one of each and carries out what they decide: its core (the loop,
//! publishing, reports) in `actor.rs`, a browser's intents in `actor/intents.rs`, the deeds of
//! the lesson's plan in `actor/lesson.rs`.

mod actor;
mod error;
mod gate;
mod handle;
mod history;
mod hosting;
mod presence;
mod registry;
mod reset;
mod sessions;
mod settings;
mod time;
mod world;

pub use error::RoomError;
pub use handle::{encode, Frame, Joined, RoomHandle, ViewerId};
pub use registry::Rooms;
pub use settings::RoomSettings;
