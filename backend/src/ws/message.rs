//! What a browser may send: the per-connection limits, the parsing and validation of one
//! message into a `ClientMsg` (a typed `Rejection` with its error code otherwise), and the rate
//! limit.

use crate::checks::ChecksBusy;
use std::time::Duration;

use shared::classroom::{student_name, Forbidden, STUDENT_NAME_MAX_CHARS};
use shared::{
    is_valid_server_name, ClientMsg, ErrorCode, ServerMsg, MAX_HOLD_MS, MAX_PAUSE_MS, SLOW_FACTORS,
};
use tokio::time::Instant;

use crate::room::{encode, Frame, RoomError};

/// How long the server waits for the rest of a frame unless told otherwise.
pub const DEFAULT_FRAME_TIMEOUT_MS: u64 = 5000;

/// Per-connection limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest message, and so longest frame: a longer one is refused at its header with
    /// `too_large` and close code 1009, before any of it is kept.
    pub max_message_bytes: usize,
    /// Messages per second a browser may send (bursts of twice that are allowed).
    pub max_messages_per_sec: u32,
    /// Longest the server waits for the rest of a frame or message it has begun to receive.
    pub frame_timeout: Duration,
}

/// A message the server will not act on, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: String,
}

impl Rejection {
    pub(super) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }

    pub(super) fn frame(&self) -> Frame {
        encode(&ServerMsg::Error {
            code: self.code,
            message: self.message.clone(),
        })
    }
}

impl From<RoomError> for Rejection {
    fn from(e: RoomError) -> Self {
        Rejection::new(e.code(), e.to_string())
    }
}

impl From<ChecksBusy> for Rejection {
    fn from(e: ChecksBusy) -> Self {
        Rejection::new(ErrorCode::Busy, e.to_string())
    }
}

impl From<Forbidden> for Rejection {
    fn from(e: Forbidden) -> Self {
        Rejection::new(ErrorCode::Forbidden, e.to_string())
    }
}

/// Parses and validates one text frame from a browser.
pub fn parse_client_msg(text: &str, limits: &Limits) -> Result<ClientMsg, Rejection> {
    if text.len() > limits.max_message_bytes {
        return Err(Rejection::new(
            ErrorCode::TooLarge,
            format!(
                "message of {} bytes exceeds the limit of {} bytes",
                text.len(),
                limits.max_message_bytes
            ),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Rejection::new(ErrorCode::Malformed, format!("not JSON: {e}")))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    let msg: ClientMsg = serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        // Only an unknown `type` is an unknown message; an unknown value inside a known one
        // (a recipe name, say) is an invalid message.
        let code = if text.starts_with(&format!("unknown variant `{kind}`")) {
            ErrorCode::UnknownMessage
        } else {
            ErrorCode::InvalidMessage
        };
        Rejection::new(code, text)
    })?;
    match &msg {
        ClientMsg::SetHoldMs { hold_ms } if *hold_ms > MAX_HOLD_MS => Err(Rejection::new(
            ErrorCode::InvalidMessage,
            format!("hold_ms must be at most {MAX_HOLD_MS}"),
        )),
        ClientMsg::Pause { ms, .. } if !(1..=MAX_PAUSE_MS).contains(ms) => Err(Rejection::new(
            ErrorCode::InvalidMessage,
            format!("a pause lasts 1 to {MAX_PAUSE_MS} ms"),
        )),
        ClientMsg::Partition { ms, .. } if !(1..=MAX_PAUSE_MS).contains(ms) => Err(Rejection::new(
            ErrorCode::InvalidMessage,
            format!("a partition lasts 1 to {MAX_PAUSE_MS} ms"),
        )),
        ClientMsg::SetTime { slow_factor, .. } if !SLOW_FACTORS.contains(slow_factor) => {
            Err(Rejection::new(
                ErrorCode::InvalidMessage,
                format!("slow_factor must be one of {SLOW_FACTORS:?}"),
            ))
        }
        ClientMsg::AddServer { name: Some(name) } if !is_valid_server_name(name) => {
            Err(Rejection::new(
                ErrorCode::BadName,
                "a server name is 1-32 characters of A-Z, a-z, 0-9, '.', ':', '_' and '-'",
            ))
        }
        ClientMsg::SetName { name } => match student_name(name) {
            Some(name) => Ok(ClientMsg::SetName { name }),
            None => Err(Rejection::new(
                ErrorCode::BadName,
                format!(
                    "a display name is 1-{STUDENT_NAME_MAX_CHARS} characters, none of them a control character"
                ),
            )),
        },
        _ => Ok(msg),
    }
}

/// A token bucket: `rate` per second, bursts of `2 * rate`.
pub(super) struct RateLimit {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub(super) fn new(per_sec: u32) -> Self {
        let rate = f64::from(per_sec.max(1));
        RateLimit {
            rate,
            tokens: rate * 2.0,
            last: Instant::now(),
        }
    }

    pub(super) fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate * 2.0);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_message_bytes: 64,
            max_messages_per_sec: 5,
            frame_timeout: Duration::from_secs(5),
        }
    }

    fn code(text: &str) -> ErrorCode {
        parse_client_msg(text, &limits()).unwrap_err().code
    }

    #[test]
    fn good_messages_parse() {
        assert_eq!(
            parse_client_msg(r#"{"type":"crash","client":3}"#, &limits()),
            Ok(ClientMsg::Crash { client: 3 })
        );
    }

    #[test]
    fn bad_messages_get_typed_rejections() {
        assert_eq!(code("{not json"), ErrorCode::Malformed);
        assert_eq!(
            code(r#"{"type":"launch_rockets"}"#),
            ErrorCode::UnknownMessage
        );
        assert_eq!(code(r#"{"type":"crash"}"#), ErrorCode::InvalidMessage);
        assert_eq!(
            code(r#"{"type":"crash","client":-1}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(code(r#"{"client":1}"#), ErrorCode::InvalidMessage);
        assert_eq!(
            code(&format!(
                r#"{{"type":"resync","pad":"{}"}}"#,
                "x".repeat(64)
            )),
            ErrorCode::TooLarge
        );
        assert_eq!(
            code(r#"{"type":"set_hold_ms","hold_ms":600001}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(r#"{"type":"set_recipe","recipe":"bogo"}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(r#"{"type":"add_server","name":"a b"}"#),
            ErrorCode::BadName
        );
        assert_eq!(
            code(r#"{"type":"add_server","name":""}"#),
            ErrorCode::BadName
        );
        assert_eq!(
            parse_client_msg(r#"{"type":"add_server","name":"10.0.0.7:8080"}"#, &limits()),
            Ok(ClientMsg::AddServer {
                name: Some("10.0.0.7:8080".into())
            })
        );
        assert_eq!(
            parse_client_msg(
                r#"{"type":"set_recipe","recipe":"children-watch"}"#,
                &limits()
            ),
            Ok(ClientMsg::SetRecipe {
                recipe: shared::LockRecipeKind::ChildrenWatch
            })
        );
    }

    #[test]
    fn rate_limit_allows_a_burst_then_refuses() {
        let mut rate = RateLimit::new(5);
        let allowed = (0..20).filter(|_| rate.allow()).count();
        assert_eq!(allowed, 10);
    }
}
