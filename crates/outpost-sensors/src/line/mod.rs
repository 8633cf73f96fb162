//! The buffer line format: one [`Event`](outpost_core::Event) as one line of compact JSON in
//! the agent's hourly buffer files, written by [`EventEncoder`] and read back by the agent —
//! in full through [`parse`], or, on the correlator's hot path, a few fields in place
//! ([`remote_ip_after_key`], [`kind_at`], [`exec_fields`], [`dns_query`]).
//!
//! The contract between the two halves (checked by this module's tests, which feed the
//! encoder's output to the readers):
//!
//! - The line is byte for byte what `serde_json::to_writer(&event)` writes: `Event`'s field
//!   order, no whitespace, serde_json's escapes. Every consumer may therefore parse it.
//! - A connection's remote address follows [`REMOTE_IP_KEY`] (`"remote_ip":"`), once per line.
//! - `"kind":"…"` comes right after `"ts"`, within the first [`KIND_HEAD`] bytes.
//! - An exec event's process section starts `"process":{"pid":N,"name":"…","exe":"…"` when
//!   both are known, and its hashes are written `"hashes":{"sha256":…,"sha1":…,"md5":…` in that
//!   order, followed by `}` or `"other"`.
//! - A DNS event's queried name follows [`QUERY_KEY`] (`"query":"`), once per line.
//!
//! The in-place readers read exactly or not at all: they answer `None` (or
//! [`KindAt::Elsewhere`]) whenever a line is not laid out this way — hand-written, pretty
//! printed, an escaped string — and the caller then parses the line, so a result never
//! depends on formatting; the encoder's own lines always take the cheap path.
//!
//! Writing is cheap for a stream of events from the same few processes: the `process`
//! section — the largest part of a connection event (arguments, command line, parent), about
//! two thirds of its ~1 KiB — is serialized once per distinct process record and then
//! copied, because a busy process's connections all carry the same record.

mod encode;
mod read;

pub use encode::EventEncoder;
pub use read::{
    ExecFields, KIND_HEAD, KIND_KEY, KindAt, QUERY_KEY, REMOTE_IP_KEY, dns_query, exec_fields,
    kind_at, only_str, parse, parse_ip, parse_v4, remote_ip_after_key, str_value, trim_ascii,
};

#[cfg(test)]
mod tests;
