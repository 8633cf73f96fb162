//! Reading a buffer line: in full through serde, or a few fields in place, exactly or not at
//! all (see the module documentation of [`crate::line`]).

use memchr::memmem;
use outpost_core::Event;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

/// The key before a connection's remote address, as the encoder writes it (compact, with the
/// value's opening quote).
pub const REMOTE_IP_KEY: &[u8] = br#""remote_ip":""#;
/// The key before a DNS event's queried name.
pub const QUERY_KEY: &[u8] = br#""query":""#;
/// The key before an event's kind.
pub const KIND_KEY: &[u8] = br#""kind":""#;
/// The encoder writes `"kind"` right after `"ts"`: within this many bytes of the line's start.
pub const KIND_HEAD: usize = 72;
/// An exec event's process section as the encoder starts it.
const PROCESS: &[u8] = b"\"process\":{\"pid\":";
/// A process's hashes as the encoder starts them.
const HASHES: &[u8] = b"\"hashes\":{";

/// Parses a whole line (the exact reading every in-place reading falls back to).
#[inline]
pub fn parse(line: &[u8]) -> serde_json::Result<Event> {
    serde_json::from_slice::<Event>(line)
}

/// The line without its trailing ASCII whitespace (the `\r` of a CRLF file, blanks).
#[inline]
pub fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// The address written right after [`REMOTE_IP_KEY`]: `rest` starts just after the key and
/// holds the value up to its closing quote. `None` when it cannot be read cheaply (the caller
/// then parses the line).
#[inline]
pub fn remote_ip_after_key(rest: &[u8]) -> Option<IpAddr> {
    memchr::memchr(b'"', rest).and_then(|q| parse_ip(&rest[..q]))
}

/// Where a line's `"kind"` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindAt<'a> {
    /// As the encoder writes it, in the line's head: the bytes after `"kind":"`, up to the
    /// head's end (the first [`KIND_HEAD`] bytes of the line).
    Head(&'a [u8]),
    /// In another form or place: decide on the parsed event.
    Elsewhere,
    /// The line has no `"kind"`.
    Absent,
}

/// Finds the line's kind (see [`KindAt`]).
#[inline]
pub fn kind_at(line: &[u8]) -> KindAt<'_> {
    let head = &line[..line.len().min(KIND_HEAD)];
    match memmem::find(head, KIND_KEY) {
        Some(at) => KindAt::Head(&head[at + KIND_KEY.len()..]),
        None if memmem::find(line, b"\"kind\"").is_some() => KindAt::Elsewhere,
        None => KindAt::Absent,
    }
}

/// A DNS line's queried name: `Some(None)` when the line has none, `None` when it cannot be
/// read exactly.
#[inline]
pub fn dns_query(line: &[u8]) -> Option<Option<Cow<'_, str>>> {
    only_str(line, QUERY_KEY)
}

/// The string value after the only occurrence of `key` (which ends with its opening
/// quote): `Some(None)` when `key` does not occur, `None` when it occurs more than once or
/// the value cannot be read exactly.
pub fn only_str<'a>(line: &'a [u8], key: &[u8]) -> Option<Option<Cow<'a, str>>> {
    let Some(at) = memmem::find(line, key) else {
        return Some(None);
    };
    let rest = &line[at + key.len()..];
    if memmem::find(rest, key).is_some() {
        return None;
    }
    str_value(rest).map(|(v, _)| Some(v))
}

/// A JSON string's value from just after its opening quote, and the bytes after its
/// closing quote. `None` for an escape other than `\\` and `\/`, a raw control character or
/// a missing closing quote.
pub fn str_value(s: &[u8]) -> Option<(Cow<'_, str>, &[u8])> {
    let mut i = 0;
    let mut owned: Option<Vec<u8>> = None;
    let mut from = 0;
    while i < s.len() {
        match s[i] {
            b'"' => {
                let v = match owned {
                    None => Cow::Borrowed(std::str::from_utf8(&s[..i]).ok()?),
                    Some(mut o) => {
                        o.extend_from_slice(&s[from..i]);
                        Cow::Owned(String::from_utf8(o).ok()?)
                    }
                };
                return Some((v, &s[i + 1..]));
            }
            b'\\' => {
                let c = *s.get(i + 1)?;
                if c != b'\\' && c != b'/' {
                    return None;
                }
                let o = owned.get_or_insert_with(Vec::new);
                o.extend_from_slice(&s[from..i]);
                o.push(c);
                i += 2;
                from = i;
            }
            // A raw control character is invalid JSON: the parser says so.
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
    None
}

/// Fields of an exec event the correlator matches, read in place.
#[derive(Debug, Default)]
pub struct ExecFields<'a> {
    pub name: Option<Cow<'a, str>>,
    pub exe: Option<Cow<'a, str>>,
    pub sha256: Option<Cow<'a, str>>,
    pub sha1: Option<Cow<'a, str>>,
    pub md5: Option<Cow<'a, str>>,
}

/// `"process":{"pid":N,"name":"…","exe":"…"` (the encoder's field order) and the
/// process's `"hashes":{["sha256":"…"][,"sha1":"…"][,"md5":"…"]` followed by `}` or
/// `,"other"`; each of the two keys must occur once in the line (`"hashes"` at most once).
pub fn exec_fields(line: &[u8]) -> Option<ExecFields<'_>> {
    let at = memmem::find(line, PROCESS)?;
    let mut rest = &line[at + PROCESS.len()..];
    if memmem::find(rest, PROCESS).is_some() || memmem::find(line, b"\"process\"") != Some(at) {
        return None;
    }
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    rest = &rest[digits..];
    // Both right after the pid, as the encoder puts them; without either, another layout
    // could hold it further on: parse.
    let (name, rest) = str_value(rest.strip_prefix(b",\"name\":\"")?)?;
    let (exe, _) = str_value(rest.strip_prefix(b",\"exe\":\"")?)?;
    let mut f = ExecFields {
        name: Some(name),
        exe: Some(exe),
        ..ExecFields::default()
    };
    if let Some(at) = memmem::find(line, HASHES) {
        let mut h = &line[at + HASHES.len()..];
        if memmem::find(h, HASHES).is_some() || memmem::find(line, b"\"hashes\"") != Some(at) {
            return None;
        }
        let mut first = true;
        for (key, slot) in [
            (&b"\"sha256\":\""[..], &mut f.sha256),
            (&b"\"sha1\":\""[..], &mut f.sha1),
            (&b"\"md5\":\""[..], &mut f.md5),
        ] {
            let after = if first { Some(h) } else { h.strip_prefix(b",") };
            if let Some(r) = after.and_then(|a| a.strip_prefix(key)) {
                let (v, r) = str_value(r)?;
                *slot = Some(v);
                h = r;
                first = false;
            }
        }
        if !(h.starts_with(b"}")
            || h.starts_with(b",\"other\":")
            || (first && h.starts_with(b"\"other\":")))
        {
            return None;
        }
    } else if memmem::find(line, b"\"hashes\"").is_some() {
        return None;
    }
    Some(f)
}

/// The address in `s`: dotted-quad IPv4 read directly, anything else through the standard
/// parser (which also decides on every dotted quad the fast path declines, such as octets with
/// leading zeros, so the result is always exactly `str::parse::<IpAddr>`'s).
#[inline]
pub fn parse_ip(s: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_v4(s) {
        return Some(IpAddr::V4(v4));
    }
    std::str::from_utf8(s).ok()?.parse::<IpAddr>().ok()
}

/// Four decimal octets `0`–`255` without leading zeros, separated by dots; `None` otherwise.
#[inline]
pub fn parse_v4(s: &[u8]) -> Option<Ipv4Addr> {
    if s.len() < 7 || s.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        if n > 0 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let begin = i;
        let mut v: u32 = 0;
        while let Some(&d) = s.get(i) {
            if !d.is_ascii_digit() || i - begin == 3 {
                break;
            }
            v = v * 10 + u32::from(d - b'0');
            i += 1;
        }
        let len = i - begin;
        if len == 0 || (len > 1 && s[begin] == b'0') || v > 255 {
            return None;
        }
        *o = v as u8;
    }
    (i == s.len()).then_some(Ipv4Addr::from(octets))
}
