//! zkplay's integration tests: a real ZooKeeper (started by the harness), real sessions, the
//! real WebSocket, and a real browser. One binary, listed modules.

mod bad_input;
mod browser;
mod browser_classroom;
mod browser_lessons;
mod browser_presenter;
mod browser_recipe;
mod browser_replay;
mod browser_timeline;
mod browser_walkthrough;
mod classroom;
mod convergence;
mod ensemble;
mod exposure;
mod external;
mod failures;
mod fleet;
mod lessons;
mod lock;
mod own_recipe;
mod quorum;
mod recipes;
mod recordings;
mod registry;
mod time;
mod viewers;
