//! The seed tutorial's recipes as plain state machines: ZooKeeper results and watch events in,
//! the next ZooKeeper calls and the protocol events to publish out. No I/O happens here.

pub mod lock;
pub mod registry;
