//! Why a WebSocket connection ends, and the close frame that tells the browser.

use axum::extract::ws::{close_code, CloseFrame};

use super::message::Limits;

/// Why a connection ends.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ending {
    /// The browser went away without a word: there is no one to tell.
    Gone,
    /// The browser sent a close frame: it is answered with one (RFC 6455, 5.5.1).
    ClosedByPeer,
    /// A text frame that is not UTF-8 (1007).
    NotUtf8(String),
    /// A frame or message over the limit (1009).
    TooBig(String),
    /// Against the server's rules: too many connections, a frame left unfinished, no hello
    /// (1008).
    Policy(String),
    /// Not a WebSocket as the standard has it (1002).
    Protocol(String),
    /// The server stops (1001).
    Away(String),
    /// Something in the server failed: the room ended under a connection while the server
    /// runs (1011).
    Internal(String),
}

impl Ending {
    /// The close frame that tells the browser why, if there is anyone to tell.
    pub(super) fn close_frame(&self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            Ending::Gone | Ending::ClosedByPeer => return None,
            Ending::NotUtf8(why) => (close_code::INVALID, why),
            Ending::TooBig(why) => (close_code::SIZE, why),
            Ending::Policy(why) => (close_code::POLICY, why),
            Ending::Protocol(why) => (close_code::PROTOCOL, why),
            Ending::Away(why) => (close_code::AWAY, why),
            Ending::Internal(why) => (close_code::ERROR, why),
        };
        Some(CloseFrame {
            code,
            reason: close_reason(reason).into(),
        })
    }

    /// What the WebSocket layer's error means for the connection.
    pub(super) fn of(error: axum::Error, limits: &Limits) -> Ending {
        use tungstenite::Error as WsError;
        match error.into_inner().downcast::<WsError>().map(|e| *e) {
            Ok(WsError::Capacity(too_big)) => Ending::TooBig(format!(
                "{too_big} (at most {} bytes a message)",
                limits.max_message_bytes
            )),
            Ok(WsError::Protocol(bad)) => Ending::Protocol(bad.to_string()),
            Ok(WsError::Utf8(bad)) => {
                Ending::NotUtf8(format!("a text message that is not UTF-8: {bad}"))
            }
            _ => Ending::Gone,
        }
    }
}

/// A close frame's reason is at most 123 bytes; a longer one is cut at a character boundary.
fn close_reason(why: &str) -> &str {
    const MAX: usize = 123;
    if why.len() <= MAX {
        return why;
    }
    let mut end = MAX;
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    &why[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ending_the_server_chooses_has_its_close_code() {
        let code = |ending: Ending| ending.close_frame().map(|f| f.code);
        assert_eq!(code(Ending::Gone), None);
        assert_eq!(code(Ending::ClosedByPeer), None);
        assert_eq!(code(Ending::NotUtf8("\u{fffd}".into())), Some(1007));
        assert_eq!(code(Ending::TooBig("big".into())), Some(1009));
        assert_eq!(code(Ending::Policy("rule".into())), Some(1008));
        assert_eq!(code(Ending::Protocol("bad".into())), Some(1002));
        assert_eq!(code(Ending::Away("bye".into())), Some(1001));
        assert_eq!(code(Ending::Internal("bug".into())), Some(1011));
    }

    #[test]
    fn a_close_reason_fits_its_frame() {
        let long = "é".repeat(100);
        let reason = close_reason(&long);
        assert!(reason.len() <= 123 && long.starts_with(reason));
        assert_eq!(close_reason("short"), "short");
    }
}
