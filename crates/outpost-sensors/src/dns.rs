//! A bounded decoder of the DNS messages the DNS sensor sees (RFC 1035 wire format): the
//! header, the first question, and the A, AAAA and CNAME records of the answer section.
//!
//! It never panics and never loops: every read is bounds-checked, a compression pointer must
//! point before the name that uses it (so a chain of pointers strictly decreases and ends),
//! a name has at most 255 bytes and 128 labels, and at most [`MAX_ANSWERS`] answer records
//! are read. Anything else is a [`DnsError`] (the sensor counts it as malformed).

use std::net::{Ipv4Addr, Ipv6Addr};

/// Answer records read from one message; the rest are ignored.
pub const MAX_ANSWERS: usize = 32;
/// Longest name on the wire (RFC 1035 §2.3.4).
const MAX_NAME: usize = 255;

/// Why a message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("message shorter than its header or a record")]
    Short,
    #[error("no question")]
    NoQuestion,
    #[error("bad name (label type, length or compression pointer)")]
    BadName,
}

/// The parts of a DNS message the sensor keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    /// QR bit: a response.
    pub response: bool,
    /// Response code (low 4 bits of the header; extended rcodes are not read).
    pub rcode: u16,
    /// The first question's name: lower case, no trailing dot (`.` for the root).
    pub query: String,
    pub qtype: u16,
    /// A/AAAA addresses and CNAME targets of the answer section, in order, as text.
    pub answers: Vec<String>,
}

fn u16_at(b: &[u8], o: usize) -> Result<u16, DnsError> {
    let s = b.get(o..o + 2).ok_or(DnsError::Short)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads the name at `start`; returns it (lower case, escaped like `dig` for bytes outside
/// letters, digits, `-` and `_`) and the offset just after it in the original position.
fn name(b: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut out = String::new();
    let mut pos = start;
    // Where reading continues after the name: set at the first pointer.
    let mut end = None;
    // Pointers must go strictly backwards from the lowest position read so far.
    let mut floor = start;
    let mut wire_len = 0usize;
    let mut labels = 0usize;
    loop {
        let len = *b.get(pos).ok_or(DnsError::Short)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    let after = end.unwrap_or(pos + 1);
                    if out.is_empty() {
                        out.push('.');
                    }
                    return Ok((out, after));
                }
                let l = usize::from(len);
                let label = b.get(pos + 1..pos + 1 + l).ok_or(DnsError::Short)?;
                wire_len += l + 1;
                labels += 1;
                if wire_len > MAX_NAME || labels > 128 {
                    return Err(DnsError::BadName);
                }
                if !out.is_empty() {
                    out.push('.');
                }
                for &c in label {
                    let c = c.to_ascii_lowercase();
                    if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
                        out.push(char::from(c));
                    } else {
                        out.push_str(&format!("\\{c:03}"));
                    }
                }
                pos += 1 + l;
            }
            0xc0 => {
                let ptr = usize::from(u16_at(b, pos)? & 0x3fff);
                if ptr >= floor {
                    return Err(DnsError::BadName);
                }
                end.get_or_insert(pos + 2);
                floor = ptr;
                pos = ptr;
            }
            // 0x40 (extended label types, RFC 6891) and 0x80 are not names we read.
            _ => return Err(DnsError::BadName),
        }
    }
}

/// Decodes `b`, a whole DNS message (a UDP payload).
pub fn decode(b: &[u8]) -> Result<Message, DnsError> {
    if b.len() < 12 {
        return Err(DnsError::Short);
    }
    let id = u16_at(b, 0)?;
    let flags = u16_at(b, 2)?;
    let qdcount = u16_at(b, 4)?;
    let ancount = u16_at(b, 6)?;
    if qdcount == 0 {
        return Err(DnsError::NoQuestion);
    }
    let (query, mut pos) = name(b, 12)?;
    let qtype = u16_at(b, pos)?;
    u16_at(b, pos + 2)?; // class
    pos += 4;
    // Further questions (practically never more than one) are skipped.
    for _ in 1..qdcount.min(8) {
        pos = name(b, pos)?.1 + 4;
    }
    let response = flags & 0x8000 != 0;
    let mut answers = Vec::new();
    if response {
        for _ in 0..usize::from(ancount).min(MAX_ANSWERS) {
            let (_, p) = name(b, pos)?;
            let rtype = u16_at(b, p)?;
            let rdlen = usize::from(u16_at(b, p + 8)?);
            let rdata = p + 10;
            let data = b.get(rdata..rdata + rdlen).ok_or(DnsError::Short)?;
            match (rtype, rdlen) {
                (1, 4) => {
                    answers.push(Ipv4Addr::new(data[0], data[1], data[2], data[3]).to_string())
                }
                (28, 16) => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(data);
                    answers.push(Ipv6Addr::from(a).to_string());
                }
                (5, _) => {
                    let (target, after) = name(b, rdata)?;
                    if after > rdata + rdlen {
                        return Err(DnsError::BadName);
                    }
                    answers.push(target);
                }
                _ => {}
            }
            pos = rdata + rdlen;
        }
    }
    Ok(Message {
        id,
        response,
        rcode: flags & 0x000f,
        query,
        qtype,
        answers,
    })
}

/// A query message for `name` (type `qtype`, recursion desired): what the tests and the
/// footprint benchmark send.
pub fn encode_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut b = Vec::with_capacity(18 + name.len());
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        let l = &label.as_bytes()[..label.len().min(63)];
        b.push(l.len() as u8);
        b.extend_from_slice(l);
    }
    b.push(0);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A response to `q` with a CNAME (compressed, pointing to the question) and an A record
    /// whose owner is a pointer to the CNAME target.
    fn answer(q: &[u8]) -> Vec<u8> {
        let mut b = q.to_vec();
        b[2] = 0x81;
        b[3] = 0x80;
        b[7] = 3; // ancount
        // CNAME: owner = ptr to 12, target "cdn" + ptr to "example" in the question
        let cname_at = b.len();
        b.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, b'c', b'd', b'n']);
        let example = 12 + 1 + q[12] as usize; // offset of the second label
        b.extend_from_slice(&[0xc0, example as u8]);
        let target = cname_at + 12;
        b.extend_from_slice(&[
            0xc0,
            target as u8,
            0,
            1,
            0,
            1,
            0,
            0,
            0,
            60,
            0,
            4,
            192,
            0,
            2,
            55,
        ]);
        b.extend_from_slice(&[0xc0, target as u8, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16]);
        b.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        b
    }

    #[test]
    fn query_and_compressed_answer() {
        let q = encode_query(0x1234, "Evil-Test.Example.", 1);
        let m = decode(&q).unwrap();
        assert_eq!((m.id, m.response, m.qtype), (0x1234, false, 1));
        assert_eq!(m.query, "evil-test.example");
        assert!(m.answers.is_empty());
        let a = decode(&answer(&q)).unwrap();
        assert!(a.response);
        assert_eq!(a.rcode, 0);
        assert_eq!(a.answers, ["cdn.example", "192.0.2.55", "2001:db8::1"]);
    }

    #[test]
    fn malformed_messages_are_errors() {
        let q = encode_query(1, "a.example", 28);
        assert_eq!(decode(&q[..11]), Err(DnsError::Short));
        assert_eq!(decode(&q[..q.len() - 1]), Err(DnsError::Short));
        let mut none = q.clone();
        none[5] = 0;
        assert_eq!(decode(&none), Err(DnsError::NoQuestion));
        // a pointer to itself, and one pointing forward: refused, not followed
        let mut selfptr = q[..12].to_vec();
        selfptr.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(decode(&selfptr), Err(DnsError::BadName));
        let mut fwd = q[..12].to_vec();
        fwd.extend_from_slice(&[0xc0, 14, 0, 0, 1, 0, 1]);
        assert_eq!(decode(&fwd), Err(DnsError::BadName));
        // two labels pointing at each other: the second pointer is not below the first
        let mut pair = q[..12].to_vec();
        pair.extend_from_slice(&[1, b'a', 0xc0, 16, 1, b'b', 0xc0, 12]);
        assert_eq!(decode(&pair), Err(DnsError::BadName));
        // extended label type
        let mut ext = q[..12].to_vec();
        ext.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
        assert_eq!(decode(&ext), Err(DnsError::BadName));
        // an answer whose rdata runs past the end
        let mut a = answer(&q);
        a.truncate(a.len() - 3);
        assert_eq!(decode(&a), Err(DnsError::Short));
        // a name over 255 bytes
        let long = (0..5).map(|_| "x".repeat(63)).collect::<Vec<_>>().join(".");
        assert_eq!(decode(&encode_query(1, &long, 1)), Err(DnsError::BadName));
    }

    #[test]
    fn odd_bytes_are_escaped_and_root_is_a_dot() {
        let mut q = encode_query(1, "x", 1);
        q[13] = b'.';
        assert_eq!(decode(&q).unwrap().query, "\\046");
        let root = encode_query(1, "", 2);
        assert_eq!(decode(&root).unwrap().query, ".");
    }

    proptest! {
        /// Arbitrary bytes, and real messages with bytes flipped or cut: never a panic, and a
        /// decoded name is never longer than the wire allows (escapes at most ×4).
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..600),
                        flips in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..8),
                        cut in any::<u16>()) {
            if let Ok(m) = decode(&b) {
                prop_assert!(m.query.len() <= 4 * MAX_NAME);
                prop_assert!(m.answers.len() <= MAX_ANSWERS);
            }
            let mut a = answer(&encode_query(7, "www.example.org", 1));
            for (at, v) in flips {
                let i = usize::from(at) % a.len();
                a[i] = v;
            }
            a.truncate(usize::from(cut) % (a.len() + 1));
            if let Ok(m) = decode(&a) {
                prop_assert!(m.query.len() <= 4 * MAX_NAME);
            }
        }
    }
}
