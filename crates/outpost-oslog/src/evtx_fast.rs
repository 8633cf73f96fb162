//! The fast path from an EVTX record to its [`LogRecord`]: without rendering the record to
//! JSON and parsing that JSON back.
//!
//! Almost every record is one BinXML template instance: a template definition (stored once per
//! chunk) with the record's substitution values. The definition is read here once per chunk into
//! a [`Plan`] — which substitution (or which static text) is the provider, the event id, the
//! time, the record id, the channel, the computer, and each `EventData` field — and each record
//! then only turns its values into strings. The result is the [`LogRecord`] that
//! [`crate::evtx::log_record`] builds from the `evtx` crate's JSON (a test compares the two on
//! every record of the sample corpus).
//!
//! The records are found by [`RawWalk`], which walks a chunk's records as the `evtx` crate's
//! iterator does, without the crate's own build of each record's content; the first record the
//! fast path does not take hands the rest of the chunk to the crate. Since the crate's build no
//! longer validates the records taken here, this module checks what the crate would reject
//! before taking one (the chunk's string table, value types and sizes, names), and a test reads
//! corrupted copies of real files both ways (`corrupted_evtx_reads_like_the_crate_alone`).
//!
//! Anything outside the shapes handled here — `UserData`, `Data` elements without a `Name`,
//! nested elements in `EventData`, array or nested-BinXML values, floating-point values, mixed
//! content, several template instances, repeated names — gives `None`, and the caller renders
//! the record to JSON as before. So the fast path changes speed, not results.

use crate::windows::{DNS_CLIENT_PROVIDER, EXECUTION_PID};
use chrono::{DateTime, Utc};
use evtx::EvtxRecord;
use evtx::binxml::value_variant::BinXmlValue;
use outpost_core::LogRecord;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::rc::Rc;

/// Plans kept per thread across chunks and files (then they start over).
const MAX_SHARED_PLANS: usize = 4096;

/// Plans by template content, per thread.
struct SharedPlans {
    hasher: std::hash::RandomState,
    plans: HashMap<u64, Option<Rc<Plan>>>,
    /// A template's content as [`template_key`] reads it, before it is hashed.
    scratch: Vec<u8>,
}

/// A [`Hasher`] that keeps the bytes written to it (to hash them in one call).
struct ByteSink<'a>(&'a mut Vec<u8>);

impl Hasher for ByteSink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

thread_local! {
    static SHARED: std::cell::RefCell<SharedPlans> = std::cell::RefCell::new(SharedPlans {
        hasher: std::hash::RandomState::new(),
        plans: HashMap::new(),
        scratch: Vec::new(),
    });
}

/// A hash of the template definition at `def_offset` as content: its GUID, size and tokens,
/// with each name reference replaced by the name it refers to (references are chunk offsets,
/// which differ from chunk to chunk). `None` when the tokens are not all understood.
fn template_key(chunk: &[u8], def_offset: u32, mut h: impl Hasher) -> Option<u64> {
    let off = usize::try_from(def_offset).ok()?;
    let header = chunk.get(off.checked_add(4)?..off.checked_add(24)?)?;
    h.write(header);
    let size = usize::try_from(read_u32(header, 16)?).ok()?;
    let body = off + 24;
    let mut r = DefReader {
        chunk,
        pos: body,
        end: body.checked_add(size)?.min(chunk.len()),
    };
    let name = |r: &mut DefReader<'_>, h: &mut dyn Hasher| -> Option<()> {
        let (start, units) = r.name_ref()?;
        h.write(chunk.get(start..start.checked_add(units * 2)?)?);
        h.write_u8(0xff);
        Some(())
    };
    while r.pos < r.end {
        let t = r.u8()?;
        h.write_u8(t);
        match t {
            0x00 => break,
            0x0f => {
                let b = chunk.get(r.pos..r.pos + 3)?;
                h.write(b);
                r.pos += 3;
            }
            0x01 | 0x41 => {
                h.write_u16(r.u16()?);
                r.u32()?;
                name(&mut r, &mut h)?;
                if t == 0x41 {
                    r.u32()?;
                }
            }
            0x02..=0x04 => {}
            0x05 | 0x45 => {
                let ty = r.u8()?;
                if ty != STRING_TYPE {
                    return None;
                }
                let units = usize::from(r.u16()?);
                let b = chunk.get(r.pos..r.pos.checked_add(units * 2)?)?;
                h.write_u16(u16::try_from(units).ok()?);
                h.write(b);
                r.pos += units * 2;
            }
            0x06 | 0x46 => name(&mut r, &mut h)?,
            0x0d | 0x0e => {
                h.write_u16(r.u16()?);
                h.write_u8(r.u8()?);
            }
            _ => return None,
        }
    }
    (r.pos <= r.end).then(|| h.finish())
}

/// Deepest element nesting read in a template definition.
const MAX_DEPTH: usize = 32;

/// BinXML value type of a UTF-16 string.
const STRING_TYPE: u8 = 0x01;

/// One piece of content: static text from the template, or substitution `index`.
#[derive(Debug, Clone)]
enum Piece {
    Static(String),
    Sub { index: u16, optional: bool },
}

/// A template definition's element (only what the plan needs).
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, Vec<Piece>)>,
    children: Vec<Element>,
    /// Text and substitutions directly inside the element.
    content: Vec<Piece>,
}

impl Element {
    /// The element's content as one piece (empty content is empty text); none for mixed
    /// content or child elements.
    fn single_content(&self) -> Option<Piece> {
        if !self.children.is_empty() {
            return None;
        }
        match self.content.as_slice() {
            [] => Some(Piece::Static(String::new())),
            [p] => Some(p.clone()),
            _ => None,
        }
    }

    fn attr(&self, name: &str) -> Option<&[Piece]> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Where each part of a [`LogRecord`] comes from, for one template.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    provider: Option<Piece>,
    event_id: Option<Piece>,
    time_created: Option<Piece>,
    record_id: Option<Piece>,
    channel: Option<Piece>,
    computer: Option<Piece>,
    execution_pid: Option<Piece>,
    /// `EventData` fields, sorted by name (names are unique).
    data: Vec<(String, Piece)>,
    /// The substitution that holds the record's `EventData` as nested BinXML (a template
    /// instance of its own), when the template has it that way.
    event_data_sub: Option<u16>,
    /// This plan is for an `EventData` template (nested in a record), not an `Event`.
    event_data_root: bool,
}

/// Plans by template definition offset, for one chunk (offsets are chunk-relative). `None`:
/// that template is not handled by the fast path.
#[derive(Default)]
pub(crate) struct ChunkPlans {
    plans: HashMap<u32, Option<Rc<Plan>>>,
}

impl ChunkPlans {
    /// Forgets the plans (call it for each new chunk).
    pub(crate) fn clear(&mut self) {
        self.plans.clear();
    }

    /// The record's [`LogRecord`] and `TimeCreated` (none when it is absent or not a time
    /// string: the caller falls back to the record header time), or `None` when the record is
    /// not one the fast path handles.
    pub(crate) fn log_record(
        &mut self,
        record: &EvtxRecord<'_>,
    ) -> Option<(LogRecord, Option<DateTime<Utc>>)> {
        let start = usize::try_from(record.binxml_offset).ok()?;
        let len = usize::try_from(record.binxml_size).ok()?;
        self.log_record_at(record.chunk.data, start, len, record.event_record_id)
    }

    /// [`ChunkPlans::log_record`] of the record whose BinXML is the `len` bytes at `start` in
    /// the chunk `data` (as [`RawWalk`] finds it, without the `evtx` crate's record build).
    pub(crate) fn log_record_at(
        &mut self,
        data: &[u8],
        start: usize,
        len: usize,
        header_record_id: u64,
    ) -> Option<(LogRecord, Option<DateTime<Utc>>)> {
        let stream = data.get(start..start.checked_add(len)?)?;
        let def_offset = single_instance_def_offset(stream, start)?;
        let plan = self.plan(data, def_offset)?;
        if plan.event_data_root {
            return None;
        }
        let values = instance_values(stream, start, plan.event_data_sub)?;
        self.apply(data, &plan, &values, header_record_id)
    }

    /// The plan of the template at `def_offset`: from this chunk's plans, else from the
    /// thread's plans of templates with the same content (the same template is defined again
    /// in every chunk that uses it), else read.
    fn plan(&mut self, chunk: &[u8], def_offset: u32) -> Option<Rc<Plan>> {
        if let Some(p) = self.plans.get(&def_offset) {
            return p.clone();
        }
        let p = SHARED.with(|shared| {
            let mut shared = shared.borrow_mut();
            // The content is gathered first and hashed in one go (SipHash is slow per write).
            let mut buf = std::mem::take(&mut shared.scratch);
            buf.clear();
            let key = template_key(chunk, def_offset, ByteSink(&mut buf))
                .map(|_| shared.hasher.hash_one(buf.as_slice()));
            shared.scratch = buf;
            if let Some(k) = key
                && let Some(p) = shared.plans.get(&k)
            {
                return p.clone();
            }
            let p = build_plan(chunk, def_offset).map(Rc::new);
            if let Some(k) = key {
                if shared.plans.len() >= MAX_SHARED_PLANS {
                    shared.plans.clear();
                }
                shared.plans.insert(k, p.clone());
            }
            p
        });
        self.plans.insert(def_offset, p.clone());
        p
    }

    /// The fields of a nested `EventData` (`bytes`, a part of `chunk`): a fragment with one
    /// template instance whose template is an `EventData` element.
    fn nested_fields(
        &mut self,
        chunk: &[u8],
        bytes: &[u8],
        fields: &mut Vec<(String, String)>,
    ) -> Option<()> {
        // Where `bytes` is in the chunk (inline template definitions are recognized by it).
        let base = (bytes.as_ptr() as usize).checked_sub(chunk.as_ptr() as usize)?;
        if base.checked_add(bytes.len())? > chunk.len() {
            return None;
        }
        let def_offset = single_instance_def_offset(bytes, base)?;
        let plan = self.plan(chunk, def_offset)?;
        if !plan.event_data_root {
            return None;
        }
        let values = instance_values(bytes, base, None)?;
        fields.reserve(plan.data.len());
        for (name, piece) in &plan.data {
            fields.push((name.clone(), content_text(piece, &values)?));
        }
        Some(())
    }
}

/// A substitution value as stored: its type and bytes.
type Raw<'a> = (u8, &'a [u8]);

/// The substitution values of the one template instance in `stream` (at chunk offset `base`;
/// see [`single_instance_def_offset`]).
///
/// Every value must have a shape the `evtx` crate reads without error and as exactly its
/// descriptor's bytes (see [`value_shape_ok`]); a non-empty nested BinXML value only at
/// substitution `binxml_at`. Anything else is `None` (the record goes to the crate), so a
/// record read without the crate's own record build is one the crate reads too.
fn instance_values(stream: &[u8], base: usize, binxml_at: Option<u16>) -> Option<Vec<Raw<'_>>> {
    let (_, descriptors, mut pos) = instance_header(stream, base)?;
    let mut out = Vec::with_capacity(descriptors.len() / 4);
    for (i, d) in descriptors.chunks_exact(4).enumerate() {
        let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
        let v = stream.get(pos..pos.checked_add(size)?)?;
        if !value_shape_ok(d[2], v) {
            return None;
        }
        if d[2] == 0x21 && !v.is_empty() && binxml_at.map(usize::from) != Some(i) {
            return None;
        }
        out.push((d[2], v));
        pos += size;
    }
    Some(out)
}

/// Whether `t` is a BinXML value type the `evtx` crate knows.
fn known_value_type(t: u8) -> bool {
    matches!(t, 0x00..=0x15 | 0x20 | 0x21 | 0x23 | 0x81..=0x95)
}

/// Whether the `evtx` crate reads a substitution value of type `ty` stored as `b` without
/// error and as exactly these bytes (stricter than the crate, which reads some sizes other
/// than a type's width and then skips to the next value: those records go to the crate).
fn value_shape_ok(ty: u8, b: &[u8]) -> bool {
    let n = b.len();
    match ty {
        0x00 | 0x0e | 0x21 => true,
        0x01 | 0x81 => n.is_multiple_of(2),
        0x03 | 0x04 => n == 1,
        0x05 | 0x06 => n == 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => n == 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => n == 8,
        0x0f | 0x12 => n == 16,
        0x10 => n == 4 || n == 8,
        0x13 => n >= 8 && n == 8 + 4 * usize::from(b[1]),
        // ANSI text (decoded with a code page), handles, XML, other arrays: left to the crate.
        _ => false,
    }
}

/// A substitution value's text from its type and bytes, as the `evtx` crate renders it (for
/// the types handled; others are `None`).
fn raw_value_text((ty, b): Raw<'_>) -> Option<String> {
    fn arr<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
        b.try_into().ok()
    }
    let v = match ty {
        0x00 => BinXmlValue::NullType,
        0x01 => {
            if b.len() % 2 != 0 {
                return None;
            }
            let units = b.len() / 2;
            let end = b.chunks_exact(2).position(|u| u == [0, 0]).unwrap_or(units);
            return utf16(b, 0, end);
        }
        0x03 => BinXmlValue::Int8Type(i8::from_le_bytes(arr(b)?)),
        0x04 => BinXmlValue::UInt8Type(u8::from_le_bytes(arr(b)?)),
        0x05 => BinXmlValue::Int16Type(i16::from_le_bytes(arr(b)?)),
        0x06 => BinXmlValue::UInt16Type(u16::from_le_bytes(arr(b)?)),
        0x07 => BinXmlValue::Int32Type(i32::from_le_bytes(arr(b)?)),
        0x08 => BinXmlValue::UInt32Type(u32::from_le_bytes(arr(b)?)),
        0x09 => BinXmlValue::Int64Type(i64::from_le_bytes(arr(b)?)),
        0x0a => BinXmlValue::UInt64Type(u64::from_le_bytes(arr(b)?)),
        0x0d => match i32::from_le_bytes(arr(b)?) {
            0 => BinXmlValue::BoolType(false),
            1 => BinXmlValue::BoolType(true),
            raw => BinXmlValue::Int32Type(raw),
        },
        0x0e => BinXmlValue::BinaryType(b),
        0x0f => BinXmlValue::GuidType(arr(b)?),
        0x10 if b.len() == 4 => BinXmlValue::HexInt32Type(u32::from_le_bytes(arr(b)?)),
        0x10 if b.len() == 8 => BinXmlValue::HexInt64Type(u64::from_le_bytes(arr(b)?)),
        0x11 => BinXmlValue::FileTimeType(evtx::binxml::value_variant::FileTime(
            u64::from_le_bytes(arr(b)?),
        )),
        0x12 => {
            BinXmlValue::SysTimeType(evtx::binxml::value_variant::SysTime::from_bytes(&arr(b)?))
        }
        0x13 => return sid_text(b),
        0x14 => BinXmlValue::HexInt32Type(u32::from_le_bytes(arr(b)?)),
        0x15 => BinXmlValue::HexInt64Type(u64::from_le_bytes(arr(b)?)),
        _ => return None,
    };
    value_text(&v)
}

/// A SID as `S-R-A-S1-S2…`, exactly the bytes it takes.
fn sid_text(b: &[u8]) -> Option<String> {
    let &[revision, sub_count, a0, a1, a2, a3, a4, a5, ref subs @ ..] = b else {
        return None;
    };
    if subs.len() != usize::from(sub_count) * 4 {
        return None;
    }
    let authority = u64::from_be_bytes([0, 0, a0, a1, a2, a3, a4, a5]);
    let mut s = format!("S-{revision}-{authority}");
    for c in subs.chunks_exact(4) {
        s.push('-');
        s.push_str(&u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string());
    }
    Some(s)
}

/// The template instance after the fragment header of `stream` (at chunk offset `base`): its
/// template definition offset, its value descriptors (size u16, type u8, unknown u8 each) and
/// where its values start.
///
/// Instance: unknown u8, template id u32, definition offset u32, [definition, when inline],
/// value count u32, descriptors, values.
fn instance_header(stream: &[u8], base: usize) -> Option<(u32, &[u8], usize)> {
    let mut pos = 5 + 1 + 4;
    let def_offset = read_u32(stream, pos)?;
    pos += 4;
    if usize::try_from(def_offset).ok()? == base + pos {
        let size = read_u32(stream, pos + 20)?;
        pos = pos
            .checked_add(24)?
            .checked_add(usize::try_from(size).ok()?)?;
    }
    let n = usize::try_from(read_u32(stream, pos)?).ok()?;
    pos += 4;
    let descriptors = stream.get(pos..pos.checked_add(n.checked_mul(4)?)?)?;
    Some((def_offset, descriptors, pos + descriptors.len()))
}

/// When `stream` (the record's BinXML, at chunk offset `base`) is a fragment header and one
/// template instance and nothing after it but EOF: the instance's template definition offset.
fn single_instance_def_offset(stream: &[u8], base: usize) -> Option<u32> {
    let [0x0f, _, _, _, 0x0c, ..] = stream else {
        return None;
    };
    let (def_offset, descriptors, mut pos) = instance_header(stream, base)?;
    for d in descriptors.chunks_exact(4) {
        pos = pos.checked_add(usize::from(u16::from_le_bytes([d[0], d[1]])))?;
    }
    match stream.get(pos..)? {
        [] | [0x00, ..] => Some(def_offset),
        _ => None,
    }
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// UTF-16LE text of `units` code units at `at` (none for unpaired surrogates).
fn utf16(b: &[u8], at: usize, units: usize) -> Option<String> {
    let bytes = b.get(at..at.checked_add(units.checked_mul(2)?)?)?;
    // Most text is ASCII: one allocation and a copy.
    if bytes.chunks_exact(2).all(|u| u[1] == 0 && u[0] < 0x80) {
        let ascii: Vec<u8> = bytes.chunks_exact(2).map(|u| u[0]).collect();
        return String::from_utf8(ascii).ok();
    }
    let mut out = String::with_capacity(units + units / 2);
    for c in char::decode_utf16(
        bytes
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]])),
    ) {
        out.push(c.ok()?);
    }
    Some(out)
}

/// Reads BinXML tokens of a template definition.
struct DefReader<'a> {
    chunk: &'a [u8],
    pos: usize,
    end: usize,
}

impl DefReader<'_> {
    fn u8(&mut self) -> Option<u8> {
        if self.pos >= self.end {
            return None;
        }
        let v = *self.chunk.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    fn u16(&mut self) -> Option<u16> {
        let v = read_u16(self.chunk, self.pos)?;
        self.pos += 2;
        (self.pos <= self.end).then_some(v)
    }
    fn u32(&mut self) -> Option<u32> {
        let v = read_u32(self.chunk, self.pos)?;
        self.pos += 4;
        (self.pos <= self.end).then_some(v)
    }
    fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.chunk.get(self.pos).copied())?
    }

    /// A name reference: where the name's UTF-16 text is in the chunk and its length in code
    /// units (an inline name is skipped over).
    fn name_ref(&mut self) -> Option<(usize, usize)> {
        let offset = usize::try_from(self.u32()?).ok()?;
        // Name: next u32, hash u16, length u16, UTF-16 text, NUL u16.
        let units = usize::from(read_u16(self.chunk, offset.checked_add(6)?)?);
        if offset == self.pos {
            self.pos = self.pos.checked_add(10 + 2 * units)?;
            if self.pos > self.end {
                return None;
            }
        }
        Some((offset + 8, units))
    }

    /// A name reference's name.
    fn name(&mut self) -> Option<String> {
        let (at, units) = self.name_ref()?;
        let name = utf16(self.chunk, at, units)?;
        // The crate ends a name at a NUL, and writes it into the JSON unescaped (a control
        // character, quote or backslash makes JSON that cannot be read): such (damaged)
        // names are left to it.
        (!name.chars().any(|c| c < ' ' || c == '"' || c == '\\')).then_some(name)
    }

    /// A value or substitution token's piece (the token already read).
    fn piece(&mut self, token: u8) -> Option<Piece> {
        match token {
            0x05 | 0x45 => {
                if self.u8()? != STRING_TYPE {
                    return None;
                }
                let units = usize::from(self.u16()?);
                let s = utf16(self.chunk, self.pos, units)?;
                // The crate ends text at a NUL: such (damaged) text is left to it.
                if s.contains('\0') {
                    return None;
                }
                self.pos = self.pos.checked_add(2 * units)?;
                (self.pos <= self.end).then_some(Piece::Static(s))
            }
            0x0d | 0x0e => {
                let index = self.u16()?;
                // The value type: one the crate knows, or it rejects the template.
                if !known_value_type(self.u8()?) {
                    return None;
                }
                Some(Piece::Sub {
                    index,
                    optional: token == 0x0e,
                })
            }
            _ => None,
        }
    }

    /// An element, its open token (`0x01` / `0x41`) already read.
    fn element(&mut self, token: u8, depth: usize) -> Option<Element> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.u16()?; // dependency id
        self.u32()?; // data size
        let mut el = Element {
            name: self.name()?,
            ..Default::default()
        };
        if token & 0x40 != 0 {
            self.u32()?; // attribute list size
        }
        while matches!(self.peek()?, 0x06 | 0x46) {
            self.u8()?;
            let name = self.name()?;
            let mut value = Vec::new();
            while matches!(self.peek()?, 0x05 | 0x45 | 0x0d | 0x0e) {
                let t = self.u8()?;
                value.push(self.piece(t)?);
            }
            el.attrs.push((name, value));
        }
        match self.u8()? {
            0x03 => return Some(el),
            0x02 => {}
            _ => return None,
        }
        loop {
            match self.u8()? {
                0x04 => return Some(el),
                t @ (0x01 | 0x41) => el.children.push(self.element(t, depth + 1)?),
                t @ (0x05 | 0x45 | 0x0d | 0x0e) => el.content.push(self.piece(t)?),
                _ => return None,
            }
        }
    }
}

/// Reads the template definition at `def_offset` into a plan; none for shapes not handled.
fn build_plan(chunk: &[u8], def_offset: u32) -> Option<Plan> {
    let off = usize::try_from(def_offset).ok()?;
    // Header: next offset u32, GUID, data size u32; then the body.
    let size = usize::try_from(read_u32(chunk, off.checked_add(20)?)?).ok()?;
    let body = off + 24;
    let mut r = DefReader {
        chunk,
        pos: body,
        end: body.checked_add(size)?.min(chunk.len()),
    };
    if r.u8()? != 0x0f {
        return None;
    }
    r.pos += 3;
    let root = match r.u8()? {
        t @ (0x01 | 0x41) => r.element(t, 0)?,
        _ => return None,
    };
    if !matches!(r.peek(), None | Some(0x00)) {
        return None;
    }
    plan_of(&root)
}

/// The one piece of an attribute's value (empty value: empty text).
fn attr_piece(el: &Element, name: &str) -> Option<Option<Piece>> {
    match el.attr(name) {
        None => Some(None),
        Some([]) => Some(Some(Piece::Static(String::new()))),
        Some([p]) => Some(Some(p.clone())),
        Some(_) => None,
    }
}

fn plan_of(root: &Element) -> Option<Plan> {
    let mut plan = Plan::default();
    if root.name == "EventData" {
        plan.event_data_root = true;
        if !root.content.is_empty() || !root.attrs.is_empty() {
            return None;
        }
        event_data_plan(root, &mut plan)?;
        return Some(plan);
    }
    if root.name != "Event" {
        return None;
    }
    match root.content.as_slice() {
        [] => {}
        [Piece::Sub { index, .. }] => plan.event_data_sub = Some(*index),
        _ => return None,
    }
    let (mut seen_system, mut seen_data) = (false, false);
    for part in &root.children {
        match part.name.as_str() {
            "System" => {
                if std::mem::replace(&mut seen_system, true) || !part.content.is_empty() {
                    return None;
                }
                let mut seen: Vec<&str> = Vec::new();
                for el in &part.children {
                    // A repeated element is a JSON duplicate key: left to the JSON path.
                    if seen.contains(&el.name.as_str()) {
                        return None;
                    }
                    seen.push(&el.name);
                    match el.name.as_str() {
                        "Provider" => plan.provider = attr_piece(el, "Name")?,
                        "TimeCreated" => plan.time_created = attr_piece(el, "SystemTime")?,
                        "Execution" => plan.execution_pid = attr_piece(el, "ProcessID")?,
                        "EventID" => plan.event_id = Some(el.single_content()?),
                        "EventRecordID" => plan.record_id = Some(el.single_content()?),
                        "Channel" => plan.channel = Some(el.single_content()?),
                        "Computer" => plan.computer = Some(el.single_content()?),
                        _ => {}
                    }
                }
            }
            "EventData" => {
                if std::mem::replace(&mut seen_data, true)
                    || plan.event_data_sub.is_some()
                    || !part.content.is_empty()
                {
                    return None;
                }
                event_data_plan(part, &mut plan)?;
            }
            "UserData" => return None,
            _ => {}
        }
    }
    Some(plan)
}

/// The `Data` children of an `EventData` element into `plan.data`.
fn event_data_plan(part: &Element, plan: &mut Plan) -> Option<()> {
    for el in &part.children {
        let name = if el.name == "Data" {
            match el.attrs.as_slice() {
                [(n, v)] if n == "Name" => match v.as_slice() {
                    [Piece::Static(s)] if !s.is_empty() => s.clone(),
                    _ => return None,
                },
                _ => return None,
            }
        } else if el.attrs.is_empty() {
            el.name.clone()
        } else {
            return None;
        };
        // Names the JSON flattening would store elsewhere (`#text`, `#attributes`, dotted or
        // numeric names) are left to the JSON path.
        // Nor names the JSON would not carry as they are (see `DefReader::name`).
        if name.starts_with('#')
            || name.contains('.')
            || name.bytes().all(|b| b.is_ascii_digit())
            || name.chars().any(|c| c < ' ' || c == '"' || c == '\\')
        {
            return None;
        }
        plan.data.push((name, el.single_content()?));
    }
    plan.data.sort_by(|a, b| a.0.cmp(&b.0));
    if plan.data.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    Some(())
}

/// A value's text as the JSON path would store it; none for values it renders differently
/// (arrays, nested BinXML, floats, handles).
fn value_text(v: &BinXmlValue<'_>) -> Option<String> {
    Some(match v {
        BinXmlValue::NullType => String::new(),
        BinXmlValue::StringType(s) => return utf16(s.as_bytes(), 0, s.as_bytes().len() / 2),
        BinXmlValue::AnsiStringType(s) => (*s).to_string(),
        BinXmlValue::Int8Type(n) => n.to_string(),
        BinXmlValue::UInt8Type(n) => n.to_string(),
        BinXmlValue::Int16Type(n) => n.to_string(),
        BinXmlValue::UInt16Type(n) => n.to_string(),
        BinXmlValue::Int32Type(n) => n.to_string(),
        BinXmlValue::UInt32Type(n) => n.to_string(),
        BinXmlValue::Int64Type(n) => n.to_string(),
        BinXmlValue::UInt64Type(n) => n.to_string(),
        BinXmlValue::SizeTType(n) => n.to_string(),
        BinXmlValue::BoolType(b) => b.to_string(),
        BinXmlValue::HexInt32Type(n) => format!("{n:#x}"),
        BinXmlValue::HexInt64Type(n) => format!("{n:#x}"),
        BinXmlValue::BinaryType(_)
        | BinXmlValue::GuidType(_)
        | BinXmlValue::FileTimeType(_)
        | BinXmlValue::SysTimeType(_)
        | BinXmlValue::SidType(_) => v.to_string(),
        _ => return None,
    })
}

/// Whether an optional substitution of this value is left out (as the `evtx` crate does:
/// null, and empty text or binary).
fn optional_empty((ty, b): Raw<'_>) -> bool {
    match ty {
        0x00 => true,
        0x01 => b.len() < 2 || b[..2] == [0, 0],
        0x02 => b.iter().all(|&c| c == 0),
        0x0e => b.is_empty(),
        _ => false,
    }
}

/// Text of an element's content piece.
fn content_text(p: &Piece, values: &[Raw<'_>]) -> Option<String> {
    match p {
        Piece::Static(s) => Some(s.clone()),
        Piece::Sub { index, .. } => raw_value_text(*values.get(usize::from(*index))?),
    }
}

/// Text of an attribute's piece: `Ok(None)` when the attribute is left out (an empty optional
/// substitution), `Err` when the JSON path's result is not known (a null non-optional value).
fn attr_text(p: &Piece, values: &[Raw<'_>]) -> Result<Option<String>, ()> {
    match p {
        Piece::Static(s) => Ok(Some(s.clone())),
        Piece::Sub { index, optional } => {
            let v = *values.get(usize::from(*index)).ok_or(())?;
            if *optional && optional_empty(v) {
                return Ok(None);
            }
            if v.0 == 0x00 {
                return Err(());
            }
            raw_value_text(v).map(Some).ok_or(())
        }
    }
}

/// Whether the piece renders as a JSON string (what `TimeCreated` must be to be read): text,
/// or a string, ANSI string, FILETIME or SYSTEMTIME value.
fn is_string(p: &Piece, values: &[Raw<'_>]) -> bool {
    match p {
        Piece::Static(_) => true,
        Piece::Sub { index, .. } => matches!(
            values.get(usize::from(*index)),
            Some((0x01 | 0x02 | 0x11 | 0x12, _))
        ),
    }
}

/// FILETIME ticks (100 ns) from 1601-01-01 to 1970-01-01.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;
/// FILETIME ticks from 1601-01-01 to 10000-01-01: below it, the `evtx` crate renders a
/// FILETIME as an RFC 3339 time with 7 decimals, which parses back to exactly this instant.
const FILETIME_YEAR_10000: u64 = 2_650_467_744_000_000_000;

/// The time of a FILETIME substitution, straight from its ticks: what parsing its rendered
/// text gives (for years before 10000; other values and pieces: none).
fn filetime_of(p: &Piece, values: &[Raw<'_>]) -> Option<DateTime<Utc>> {
    let Piece::Sub { index, .. } = p else {
        return None;
    };
    let (0x11, b) = *values.get(usize::from(*index))? else {
        return None;
    };
    let ticks = u64::from_le_bytes(b.try_into().ok()?);
    if ticks >= FILETIME_YEAR_10000 {
        return None;
    }
    let (secs, sub) = (ticks / 10_000_000, ticks % 10_000_000);
    let secs = i64::try_from(secs).ok()? - i64::try_from(FILETIME_UNIX_EPOCH / 10_000_000).ok()?;
    DateTime::from_timestamp(secs, u32::try_from(sub * 100).ok()?)
}

impl ChunkPlans {
    fn apply(
        &mut self,
        chunk: &[u8],
        plan: &Plan,
        values: &[Raw<'_>],
        header_record_id: u64,
    ) -> Option<(LogRecord, Option<DateTime<Utc>>)> {
        let text = |p: &Option<Piece>| -> Option<Option<String>> {
            match p {
                None => Some(None),
                Some(p) => content_text(p, values).map(Some),
            }
        };
        let attr = |p: &Option<Piece>| -> Option<Option<String>> {
            match p {
                None => Some(None),
                Some(p) => attr_text(p, values).ok(),
            }
        };
        let provider = attr(&plan.provider)?.filter(|s| !s.is_empty());
        let event_id = text(&plan.event_id)?
            .and_then(|s| crate::evtx::parse_number(&s))
            .and_then(|n| u32::try_from(n).ok());
        let ts = match &plan.time_created {
            Some(p) if let Some(t) = filetime_of(p, values) => Some(t),
            Some(p) if is_string(p, values) => attr(&plan.time_created)?
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|d| d.with_timezone(&Utc)),
            Some(_) => {
                // Still checked, so a value the JSON path cannot read falls back.
                attr(&plan.time_created)?;
                None
            }
            None => None,
        };
        let record_id = text(&plan.record_id)?
            .and_then(|s| crate::evtx::parse_number(&s))
            .unwrap_or(header_record_id);
        let channel = text(&plan.channel)?.unwrap_or_default();
        let computer = text(&plan.computer)?.filter(|s| !s.is_empty());
        // In name order (the plan's data is sorted, and a template has either its own
        // `EventData` or a nested one), so the map is built in one go.
        let mut pairs = Vec::with_capacity(plan.data.len());
        for (name, piece) in &plan.data {
            pairs.push((name.clone(), content_text(piece, values)?));
        }
        if let Some(i) = plan.event_data_sub {
            match *values.get(usize::from(i))? {
                (0x00, _) => {}
                (0x21, []) => {}
                (0x21, b) => self.nested_fields(chunk, b, &mut pairs)?,
                _ => return None,
            }
        }
        let mut fields: BTreeMap<String, String> = pairs.into_iter().collect();
        if provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(DNS_CLIENT_PROVIDER))
            && let Some(pid) = attr(&plan.execution_pid)?
        {
            fields.insert(EXECUTION_PID.into(), pid);
        }
        Some((
            LogRecord {
                channel,
                provider,
                event_id,
                record_id: Some(record_id),
                computer,
                fields,
            },
            ts,
        ))
    }
}

/// Size of an EVTX chunk header (where the first record starts).
const CHUNK_HEADER_SIZE: usize = 512;
/// Size of an EVTX record header (magic, size, record id, time).
const RECORD_HEADER_SIZE: usize = 24;

/// A record found by [`RawWalk`]: its header fields and where its BinXML is in the chunk.
pub(crate) struct RawRecord {
    pub(crate) record_id: u64,
    pub(crate) timestamp: evtx::Timestamp,
    /// Chunk offset of the record's BinXML.
    pub(crate) start: usize,
    /// Length of the record's BinXML (without the trailing copy of the record size).
    pub(crate) len: usize,
}

/// Walks a chunk's records the way the `evtx` crate's record iterator does when nothing is
/// wrong (from the chunk header to the free space or to the chunk header's last record id),
/// without building the records' content. Where the crate would report an error or search for
/// the next record, it stops with `Err`: the caller then reads the rest of the chunk with the
/// crate, whose iterator yields the same records first, one item each.
pub(crate) struct RawWalk<'a> {
    data: &'a [u8],
    last_record_id: u64,
    live_end: usize,
    next: Option<usize>,
}

impl<'a> RawWalk<'a> {
    pub(crate) fn new(data: &'a [u8], header: &evtx::EvtxChunkHeader) -> RawWalk<'a> {
        let free = usize::try_from(header.free_space_offset).unwrap_or(usize::MAX);
        RawWalk {
            data,
            last_record_id: header.last_event_record_id,
            live_end: free.min(data.len()),
            next: Some(CHUNK_HEADER_SIZE),
        }
    }

    /// The next record, `Ok(None)` at the end of the chunk's records, `Err` where the crate
    /// would do more than read the next record (see [`RawWalk`]).
    pub(crate) fn next_record(&mut self) -> Result<Option<RawRecord>, ()> {
        let Some(offset) = self.next else {
            return Ok(None);
        };
        if offset >= self.live_end {
            self.next = None;
            return Ok(None);
        }
        // The crate's own header reader (magic, size, id, a time it can represent).
        let header = evtx::EvtxRecordHeader::from_bytes_at(self.data, offset).map_err(|_| ())?;
        let size = usize::try_from(header.data_size).map_err(|_| ())?;
        let len = size.checked_sub(RECORD_HEADER_SIZE + 4).ok_or(())?;
        let start = offset + RECORD_HEADER_SIZE;
        if start
            .checked_add(len)
            .is_none_or(|end| end > self.data.len())
        {
            return Err(());
        }
        self.next = if header.event_record_id == self.last_record_id {
            None
        } else {
            Some(offset.checked_add(size).ok_or(())?)
        };
        Ok(Some(RawRecord {
            record_id: header.event_record_id,
            timestamp: header.timestamp,
            start,
            len,
        }))
    }
}

/// Whether the `evtx` crate builds the chunk's string table without error (what its chunk
/// parse checks before any record is read: every chain of names from the header's 64 buckets
/// in bounds, each name valid UTF-16 up to its first NUL). `seen` is scratch space.
pub(crate) fn string_table_ok(data: &[u8], seen: &mut std::collections::HashSet<u32>) -> bool {
    seen.clear();
    for bucket in 0..64 {
        let Some(first) = read_u32(data, 128 + bucket * 4) else {
            return false;
        };
        if first == 0 {
            continue;
        }
        let mut pos = first;
        loop {
            let Ok(at) = usize::try_from(pos) else {
                return false;
            };
            // Next offset u32, hash u16, length u16, UTF-16 text, NUL u16.
            let (Some(next), Some(units)) = (read_u32(data, at), read_u16(data, at + 6)) else {
                return false;
            };
            let text_end = at + 8 + 2 * usize::from(units);
            let Some(text) = data.get(at + 8..text_end) else {
                return false;
            };
            if text_end + 2 > data.len() {
                return false;
            }
            let end = text.chunks_exact(2).position(|u| u == [0, 0]);
            let text = &text[..end.map_or(text.len(), |e| e * 2)];
            let units = text
                .chunks_exact(2)
                .map(|u| u16::from_le_bytes([u[0], u[1]]));
            if char::decode_utf16(units).any(|c| c.is_err()) {
                return false;
            }
            seen.insert(pos);
            if next == 0 || seen.contains(&next) {
                break;
            }
            if usize::try_from(next).map_or(true, |n| n > data.len()) {
                return false;
            }
            pos = next;
        }
    }
    true
}
