//! zkplay's server: real ZooKeeper sessions per simulated client, bridged to browsers.
//!
//! Layers, from the outside in: `http` and `ws` speak to browsers; `room` orders and fans
//! out what happens in a room; `zk` is the only code that talks to ZooKeeper; [`recipes`] are
//! pure state machines, a learner's Rhai recipe among them, and [`check`] explores them through
//! every interleaving over a small model of ZooKeeper (public: the tests use both);
//! `fleet` is this server's part in a fleet of servers on one ensemble (`--zk`): where a room
//! runs, and forwarding to it; `ensemble` runs local ZooKeeper servers, `lesson_ensembles` lends a room one of its own for
//! a lesson that stops members, and `probe` asks them how they are.

mod admission;
pub mod check;
mod checks;
mod classroom;
mod clock;
mod config;
mod ensemble;
mod fleet;
mod http;
mod lesson;
mod lesson_ensembles;
mod listener;
mod probe;
pub mod recipes;
mod recordings;
mod room;
mod state;
mod ws;
mod zk;

// What the binary, the tests and the benches use; everything else is the server's own.
pub use admission::{AdmissionSettings, MemberControl};
pub use checks::CheckSettings;
pub use config::Config;
pub use ensemble::{Ensemble, EnsembleConfig, EnsembleControl};
pub use http::{default_ui_dir, router_without_listener, Server, ServerSettings};
pub use lesson::builtin_course;
pub use lesson_ensembles::LessonEnsembles;
pub use listener::Peer;
pub use probe::four_letter_word;
pub use ws::Limits;
pub use zk::{ensure_path, ZkSettings};
