//! Literal helpers: timestamps, hex, base64 and IP/CIDR containment.

use chrono::{DateTime, NaiveDate, Utc};
use std::net::IpAddr;

/// A point in time as microseconds since the Unix epoch (UTC).
///
/// Microseconds are the precision of the OASIS reference matcher: longer fractions are
/// truncated, so `…43.1234567Z` and `…43.1234568Z` are equal.
pub type Timestamp = i64;

/// Parses a STIX timestamp (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, upper-case `T` and `Z`).
///
/// Used for `t'…'` literals and for JSON strings compared with a timestamp literal.
pub fn parse_timestamp_literal(s: &str) -> Result<Timestamp, String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let fmt_err = || "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z with upper-case T and Z".to_string();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[b.len() - 1] != b'Z'
    {
        return Err(fmt_err());
    }
    let year = digits(0..4).ok_or_else(fmt_err)?;
    let month = digits(5..7).ok_or_else(fmt_err)?;
    let day = digits(8..10).ok_or_else(fmt_err)?;
    let hour = digits(11..13).ok_or_else(fmt_err)?;
    let minute = digits(14..16).ok_or_else(fmt_err)?;
    let second = digits(17..19).ok_or_else(fmt_err)?;
    let mut micros: u32 = 0;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 || !rest[1..].iter().all(u8::is_ascii_digit) {
            return Err(fmt_err());
        }
        for i in 0..6 {
            let d = rest.get(1 + i).map(|c| u32::from(c - b'0')).unwrap_or(0);
            micros = micros * 10 + d;
        }
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| format!("{year:04}-{month:02}-{day:02} is not a valid date"))?;
    let time = date
        .and_hms_micro_opt(hour, minute, second, micros)
        .ok_or_else(|| format!("{hour:02}:{minute:02}:{second:02} is not a valid time of day"))?;
    Ok(time.and_utc().timestamp_micros())
}

/// Converts a chrono time to a [`Timestamp`] (microsecond precision).
pub fn timestamp_from_datetime(dt: &DateTime<Utc>) -> Timestamp {
    dt.timestamp_micros()
}

/// Decodes pairs of hex digits.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    b.chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes standard, padded base64 (length a multiple of 4).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let chunks = b.len() / 4;
    for (i, q) in b.chunks(4).enumerate() {
        let last = i + 1 == chunks;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n: u32 = 0;
        for &c in &q[..4 - pad] {
            n = n << 6 | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// Encodes bytes as standard, padded base64.
pub fn encode_base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An address or a CIDR network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Parses `a.b.c.d`, `a.b.c.d/n` (1 ≤ n ≤ 32), an IPv6 address or `v6/n`.
///
/// `require_prefix` is set for the container side of a subset test, which must be a network.
pub fn parse_net(s: &str, require_prefix: bool) -> Result<Net, String> {
    let (addr_s, prefix_s) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: IpAddr = addr_s
        .parse()
        .map_err(|_| format!("invalid IP address: {s}"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_s {
        None if require_prefix => {
            return Err(format!("invalid CIDR subnet (no prefix length): {s}"));
        }
        None => max,
        Some(p) => {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) || p.len() > 3 {
                return Err(format!("invalid CIDR subnet: {s}"));
            }
            let n: u8 = p.parse().map_err(|_| format!("invalid CIDR subnet: {s}"))?;
            if n < 1 || n > max {
                return Err(format!(
                    "invalid CIDR prefix length in {s} (must be 1..={max})"
                ));
            }
            n
        }
    };
    Ok(Net { addr, prefix })
}

fn masked(addr: IpAddr, prefix: u8) -> u128 {
    match addr {
        IpAddr::V4(a) => {
            let v = u128::from(u32::from(a));
            let mask: u128 = if prefix == 0 {
                0
            } else {
                (u128::from(u32::MAX) << (32 - prefix)) & u128::from(u32::MAX)
            };
            v & mask
        }
        IpAddr::V6(a) => {
            let v = u128::from(a);
            let mask: u128 = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            v & mask
        }
    }
}

/// Whether `inner` (an address or network) lies within the network `outer`.
pub fn net_contains(outer: Net, inner: Net) -> bool {
    if outer.addr.is_ipv4() != inner.addr.is_ipv4() || outer.prefix > inner.prefix {
        return false;
    }
    masked(outer.addr, outer.prefix) == masked(inner.addr, outer.prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for data in [&b""[..], b"a", b"ab", b"abc", b"alice", b"\x01\x02\x03\x04"] {
            let e = encode_base64(data);
            assert_eq!(decode_base64(&e).as_deref(), Some(data));
        }
        assert_eq!(decode_base64("YWxpY2U=").as_deref(), Some(&b"alice"[..]));
        assert!(decode_base64("YWxpY2U").is_none());
        assert!(decode_base64("YW=xY2U=").is_none());
    }

    #[test]
    fn timestamps_are_strict() {
        assert!(parse_timestamp_literal("2010-05-21T13:21:43Z").is_ok());
        assert!(parse_timestamp_literal("2010-05-21T13:21:43.123456789Z").is_ok());
        for bad in [
            "2010-05-21T13:21:43",
            "2010-05-21T13:21:43z",
            "2010-05-21t13:21:43Z",
            "2010/05/21T13:21:43Z",
            "2010-05-21T13:21:99Z",
            "2010-05-21T13:21Z",
            "2010-02-30T13:21:43Z",
        ] {
            assert!(parse_timestamp_literal(bad).is_err(), "{bad}");
        }
        let a = parse_timestamp_literal("2010-05-21T13:21:43.1234567Z").unwrap();
        let b = parse_timestamp_literal("2010-05-21T13:21:43.1234568Z").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn cidr_containment() {
        let n = |s| parse_net(s, false).unwrap();
        assert!(net_contains(n("11.22.41.123/20"), n("11.22.33.44")));
        assert!(!net_contains(n("11.22.123.41/20"), n("11.22.33.44")));
        assert!(net_contains(n("2001:db8::/32"), n("2001:db8::1")));
        assert!(!net_contains(n("2001:db8::/32"), n("10.0.0.1")));
        assert!(parse_net("11.22.33.44", true).is_err());
        assert!(parse_net("1.2.3.4/0", false).is_err());
    }
}
