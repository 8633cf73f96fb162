//! Network value types shared by events and hits.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Transport protocol of a connection.
///
/// Serialized as a lowercase name (`"tcp"`, `"udp"`, `"icmp"`, …); other protocols with an
/// IANA keyword by that keyword (`"gre"`, `"esp"`, `"sctp"` — see [`NAMED`]), the rest by number
/// (`"proto-253"` round-trips as `Other(253)`), so nothing is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    Other(u8),
}

/// IANA keywords of the protocols kept as [`Protocol::Other`] that have a well-known name.
pub const NAMED: &[(u8, &str)] = &[
    (0, "hopopt"),
    (2, "igmp"),
    (4, "ipip"),
    (8, "egp"),
    (41, "ipv6"),
    (43, "ipv6-route"),
    (44, "ipv6-frag"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (59, "ipv6-nonxt"),
    (60, "ipv6-opts"),
    (88, "eigrp"),
    (89, "ospf"),
    (94, "ipip-legacy"),
    (97, "etherip"),
    (103, "pim"),
    (108, "ipcomp"),
    (112, "vrrp"),
    (115, "l2tp"),
    (132, "sctp"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
];

impl Protocol {
    /// Maps an IANA protocol number (as in Windows 5156 `Protocol` or `/proc/net`) to a protocol.
    pub fn from_number(n: u8) -> Self {
        match n {
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            1 => Protocol::Icmp,
            58 => Protocol::Icmpv6,
            other => Protocol::Other(other),
        }
    }

    /// The IANA protocol number.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Icmp => 1,
            Protocol::Icmpv6 => 58,
            Protocol::Other(n) => n,
        }
    }

    pub fn as_str(self) -> std::borrow::Cow<'static, str> {
        match self {
            Protocol::Tcp => "tcp".into(),
            Protocol::Udp => "udp".into(),
            Protocol::Icmp => "icmp".into(),
            Protocol::Icmpv6 => "icmpv6".into(),
            Protocol::Other(n) => match NAMED.iter().find(|(k, _)| *k == n) {
                Some((_, name)) => (*name).into(),
                None => format!("proto-{n}").into(),
            },
        }
    }
}

impl schemars::JsonSchema for Protocol {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Protocol".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`tcp`, `udp`, `icmp`, `icmpv6`, an IANA keyword (`gre`, `esp`, `sctp`, …) or `proto-N`",
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// Error for a protocol name that is neither known nor `proto-N` nor a number.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown protocol {0:?} (expected tcp, udp, icmp, icmpv6, an IANA keyword such as gre or sctp, proto-N or a number 0-255)"
)]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "icmp" => Ok(Protocol::Icmp),
            "icmpv6" | "ipv6-icmp" => Ok(Protocol::Icmpv6),
            other => {
                if let Some((n, _)) = NAMED.iter().find(|(_, name)| *name == other) {
                    return Ok(Protocol::Other(*n));
                }
                let digits = other.strip_prefix("proto-").unwrap_or(other);
                digits
                    .parse::<u8>()
                    .map(Protocol::from_number)
                    .map_err(|_| UnknownProtocol(s.to_string()))
            }
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Protocol;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a protocol name or number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Protocol, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Protocol, E> {
                u8::try_from(v)
                    .map(Protocol::from_number)
                    .map_err(|_| E::custom(format!("protocol number {v} out of range")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Protocol, E> {
                u8::try_from(v)
                    .map(Protocol::from_number)
                    .map_err(|_| E::custom(format!("protocol number {v} out of range")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Direction of a connection as seen from the monitored host.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Outbound,
    Inbound,
    #[default]
    Unknown,
}

impl Direction {
    /// The serialized name (`outbound`, `inbound`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
            Direction::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn protocol_names_round_trip() {
        for p in [
            Protocol::Tcp,
            Protocol::Udp,
            Protocol::Icmp,
            Protocol::Icmpv6,
            Protocol::Other(132),
        ] {
            let j = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Protocol>(&j).unwrap(), p);
        }
        assert_eq!(
            serde_json::from_str::<Protocol>("6").unwrap(),
            Protocol::Tcp
        );
        assert_eq!(
            serde_json::from_str::<Protocol>("\"TCP\"").unwrap(),
            Protocol::Tcp
        );
        assert!(serde_json::from_str::<Protocol>("\"tcpx\"").is_err());
        // Named by their IANA keyword; the old `proto-N` form still parses.
        assert_eq!(Protocol::from_number(47).to_string(), "gre");
        assert_eq!(Protocol::from_number(132).to_string(), "sctp");
        assert_eq!("proto-47".parse::<Protocol>().unwrap(), Protocol::Other(47));
        assert_eq!("ESP".parse::<Protocol>().unwrap(), Protocol::Other(50));
        assert_eq!(Protocol::from_number(253).to_string(), "proto-253");
        assert!(serde_json::from_str::<Protocol>("300").is_err());
    }

    proptest! {
        #[test]
        fn protocol_numbers_round_trip(n in 0u8..=255) {
            let p = Protocol::from_number(n);
            prop_assert_eq!(p.number(), n);
            prop_assert_eq!(p.to_string().parse::<Protocol>().unwrap(), p);
        }
    }
}
