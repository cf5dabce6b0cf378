//! zkplay's server: real ZooKeeper sessions per simulated client, bridged to browsers.
//!
//! Layers, from the outside in: [`http`] and [`ws`] speak to browsers; [`room`] orders and fans
//! out what happens in a room; [`zk`] is the only code that talks to ZooKeeper; [`recipes`] are
//! pure state machines; [`ensemble`] runs local ZooKeeper servers, [`lesson_ensembles`] lends
//! a room one of its own for a lesson that stops members, and [`probe`] asks them how they are.

pub mod admission;
pub mod classroom;
mod clock;
pub mod config;
pub mod ensemble;
pub mod http;
pub mod lesson;
pub mod lesson_ensembles;
pub mod listener;
pub mod probe;
pub mod recipes;
pub mod recordings;
pub mod room;
pub mod state;
pub mod ws;
pub mod zk;

pub use http::{Server, ServerSettings};
