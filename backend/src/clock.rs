//! The server's clock: milliseconds since the epoch, as events are stamped, for the rooms, the
//! sessions and the classrooms alike (none of them imports another to read the time).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in ms since the epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Sleeps until `ms` on this clock.
pub(crate) async fn sleep_until_ms(ms: u64) {
    let wait = ms.saturating_sub(now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
}
