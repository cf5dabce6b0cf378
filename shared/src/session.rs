//! A ZooKeeper session id, typed: compared as a number, written as ZooKeeper's tools print it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A session id (`ephemeralOwner` of an ephemeral node; `0x0` owns a persistent one). On the
/// wire and on screen it is hex, `"0x1000002a4d60003"`, as zkCli and the four-letter words
/// print it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl std::str::FromStr for SessionId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex = text
            .strip_prefix("0x")
            .ok_or_else(|| format!("a session id is hex with 0x, not {text:?}"))?;
        u64::from_str_radix(hex, 16)
            .map(|id| SessionId(id as i64))
            .map_err(|e| format!("a session id is hex with 0x, not {text:?}: {e}"))
    }
}

impl Serialize for SessionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_zookeeper_prints_it_and_read_back() {
        let id = SessionId(0x1000002a4d60003);
        assert_eq!(id.to_string(), "0x1000002a4d60003");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0x1000002a4d60003\"");
        assert_eq!(
            serde_json::from_str::<SessionId>("\"0x100\"").unwrap(),
            SessionId(0x100)
        );
        assert_eq!(SessionId(0).to_string(), "0x0");
        // ZooKeeper's ids use the top bit (the server id is in the high byte).
        let high = SessionId(i64::MIN + 5);
        assert_eq!(high.to_string().parse::<SessionId>(), Ok(high));
        assert!(serde_json::from_str::<SessionId>("\"256\"").is_err());
        assert!(serde_json::from_str::<SessionId>("\"0xzz\"").is_err());
    }
}
