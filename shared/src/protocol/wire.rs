//! How a [`ServerMsg`] is read: through one flat struct of optional fields, in one pass, as
//! a `RoomEvent` is (`crate::event::wire` says why).

use serde::Deserialize;

use super::{ServerInfo, ServerMsg, You};
use crate::ensemble::EnsembleView;
use crate::event::wire::{need, MissingField};
use crate::event::RoomEvent;
use crate::kinds::ErrorCode;
use crate::view::RoomView;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum MsgType {
    Welcome,
    You,
    Snapshot,
    Event,
    Error,
    Ensemble,
}

/// Every field of every [`ServerMsg`].
#[derive(Deserialize)]
pub struct WireMsg {
    #[serde(rename = "type")]
    kind: MsgType,
    protocol: Option<u32>,
    room: Option<String>,
    server: Option<ServerInfo>,
    you: Option<You>,
    view: Option<Box<RoomView>>,
    seq: Option<u64>,
    at_ms: Option<u64>,
    event: Option<RoomEvent>,
    code: Option<ErrorCode>,
    message: Option<String>,
    ensemble: Option<EnsembleView>,
}

impl TryFrom<WireMsg> for ServerMsg {
    type Error = MissingField;

    fn try_from(w: WireMsg) -> Result<ServerMsg, MissingField> {
        Ok(match w.kind {
            MsgType::Welcome => ServerMsg::Welcome {
                protocol: need!(w.protocol),
                room: need!(w.room),
                server: need!(w.server),
                you: need!(w.you),
            },
            MsgType::You => ServerMsg::You { you: need!(w.you) },
            MsgType::Snapshot => ServerMsg::Snapshot {
                view: need!(w.view),
            },
            MsgType::Event => ServerMsg::Event {
                seq: need!(w.seq),
                at_ms: need!(w.at_ms),
                event: need!(w.event),
            },
            MsgType::Error => ServerMsg::Error {
                code: need!(w.code),
                message: need!(w.message),
            },
            MsgType::Ensemble => ServerMsg::Ensemble {
                ensemble: need!(w.ensemble),
            },
        })
    }
}
