//! Bounding the size of one event, so that no single process (a 64 KiB command line of
//! control bytes, a log record with thousands of fields) can make a batch holding other
//! processes' events too large to store.
//!
//! [`bound_event`] cuts every string longer than [`MAX_FIELD_BYTES`] (and every string list,
//! such as `process.args`, whose strings add up to more) at a character boundary and appends
//! a marker, `…[truncated N bytes]` (N: the bytes cut). The event's `labels` then carry
//! [`TRUNCATED_LABEL`] (`outpost.truncated`) listing the cut fields' paths, comma-separated
//! (`process.args,process.command_line`). An event still larger than [`MAX_EVENT_BYTES`] of
//! JSON after that (many long fields, control bytes that grow six-fold when escaped) is cut
//! again with a smaller limit, and as a last resort loses its open maps (`log.fields`,
//! `labels`), listed the same way. Both the agent (before batching) and the server (before
//! storing) apply it; applying it twice changes nothing.

use crate::{Event, Hit};
use serde_json::Value;
use std::collections::BTreeSet;

/// Longest string (or string list, in total) an event keeps, in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;
/// Largest serialized event kept after bounding, in bytes of JSON.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Label listing the fields [`bound_event`] cut.
pub const TRUNCATED_LABEL: &str = "outpost.truncated";
/// The start of the marker appended to a cut string.
pub const TRUNCATED_MARKER: &str = "…[truncated ";

/// Longest `process_name` a hit keeps, in bytes.
pub const MAX_PROCESS_NAME: usize = 1024;
/// Longest `exe_path` a hit keeps, in bytes.
pub const MAX_EXE_PATH: usize = 4096;

/// Bounds a hit: its sample events ([`bound_event`]) and an over-long `process_name` or
/// `exe_path` (cut with the same marker). Answers how many fields were cut. The agent applies
/// it before batching and the server before storing; applying it twice changes nothing.
pub fn bound_hit(h: &mut Hit) -> u64 {
    let mut n = 0;
    for e in &mut h.sample_events {
        n += bound_event(e);
    }
    for (s, max) in [
        (Some(&mut h.process_name), MAX_PROCESS_NAME),
        (h.exe_path.as_mut(), MAX_EXE_PATH),
    ] {
        if let Some(s) = s
            && s.len() > max
        {
            // Room for the marker, so the cut name stays within `max`.
            let mut end = max - 64;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            let cut = s.len() - end;
            s.truncate(end);
            s.push_str(&format!("{TRUNCATED_MARKER}{cut} bytes]"));
            n += 1;
        }
    }
    n
}

/// Bounds `e` (see the module documentation); answers how many fields were cut (0: the event
/// is unchanged). Cheap for small events: only events whose JSON is longer than
/// [`MAX_FIELD_BYTES`] are inspected.
pub fn bound_event(e: &mut Event) -> u64 {
    let mut w = CountingWriter(0);
    if serde_json::to_writer(&mut w, &*e).is_err() {
        return 0;
    }
    bound_event_sized(e, w.0)
}

/// Counts the bytes written to it (the JSON length without building the JSON).
struct CountingWriter(usize);

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// [`bound_event`] when the event's JSON length is known (a buffer line's length).
pub fn bound_event_sized(e: &mut Event, json_len: usize) -> u64 {
    if json_len <= MAX_FIELD_BYTES {
        return 0;
    }
    let Ok(mut v) = serde_json::to_value(&*e) else {
        return 0;
    };
    let mut cut = BTreeSet::new();
    walk(&mut v, &mut String::new(), MAX_FIELD_BYTES, &mut cut);
    if serialized_len(&v) > MAX_EVENT_BYTES {
        walk(&mut v, &mut String::new(), 256, &mut cut);
    }
    if serialized_len(&v) > MAX_EVENT_BYTES {
        if let Some(log) = v.get_mut("log").and_then(Value::as_object_mut)
            && log.remove("fields").is_some()
        {
            cut.insert("log.fields".to_string());
        }
        if let Some(obj) = v.as_object_mut()
            && obj.remove("labels").is_some()
        {
            cut.insert("labels".to_string());
        }
    }
    if cut.is_empty() {
        return 0;
    }
    // The label lists every field cut so far, including by an earlier pass.
    let mut listed: BTreeSet<String> = v
        .get("labels")
        .and_then(|l| l.get(TRUNCATED_LABEL))
        .and_then(Value::as_str)
        .map(|s| {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    listed.remove(&format!("labels.{TRUNCATED_LABEL}"));
    cut.remove(&format!("labels.{TRUNCATED_LABEL}"));
    let n = cut.len() as u64;
    listed.extend(cut);
    let Some(obj) = v.as_object_mut() else {
        return 0;
    };
    let labels = obj
        .entry("labels")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(l) = labels.as_object_mut() {
        l.insert(
            TRUNCATED_LABEL.to_string(),
            Value::String(listed.into_iter().collect::<Vec<_>>().join(",")),
        );
    }
    match serde_json::from_value::<Event>(v) {
        Ok(bounded) => {
            *e = bounded;
            n
        }
        Err(_) => 0,
    }
}

fn serialized_len(v: &Value) -> usize {
    let mut w = CountingWriter(0);
    match serde_json::to_writer(&mut w, v) {
        Ok(()) => w.0,
        Err(_) => usize::MAX,
    }
}

/// Cuts `s` to at most `max` bytes at a character boundary, with the marker.
fn cut_string(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let dropped = s.len() - end;
    s.truncate(end);
    s.push_str(&format!("{TRUNCATED_MARKER}{dropped} bytes]"));
    true
}

fn already_marked(s: &str, max: usize) -> bool {
    // A string cut before (by the agent) is at most `max` bytes plus the marker: leave it.
    s.len() <= max + 48
        && s.rfind(TRUNCATED_MARKER).is_some_and(|i| i <= max)
        && s.ends_with(" bytes]")
}

fn walk(v: &mut Value, path: &mut String, max: usize, cut: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            // Cuts `s` in place (a guard could not: it borrows `s` shared).
            let was_cut = !already_marked(s, max) && cut_string(s, max);
            if was_cut {
                cut.insert(path.clone());
            }
        }
        Value::Array(items) => {
            // A list of strings (argv) is bounded as a whole.
            let mut total = 0usize;
            let mut keep = items.len();
            for (i, it) in items.iter_mut().enumerate() {
                if let Value::String(s) = it {
                    if total + s.len() > max {
                        if already_marked(s, max) {
                            // Cut by an earlier pass (its trailing marker item stays).
                            break;
                        }
                        let room = max.saturating_sub(total).max(1);
                        if cut_string(s, room) {
                            cut.insert(path.clone());
                        }
                        keep = i + 1;
                        break;
                    }
                    total += s.len();
                } else {
                    let len = path.len();
                    path.push_str(&format!(".{i}"));
                    walk(it, path, max, cut);
                    path.truncate(len);
                }
            }
            if keep < items.len() {
                let dropped = items.len() - keep;
                items.truncate(keep);
                items.push(Value::String(format!(
                    "{TRUNCATED_MARKER}{dropped} more items]"
                )));
                cut.insert(path.clone());
            }
        }
        Value::Object(map) => {
            for (k, it) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(it, path, max, cut);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, ProcessInfo};
    use std::sync::Arc;

    fn huge_event() -> Event {
        let mut e = Event::new(chrono::Utc::now(), EventKind::Network, "test");
        let huge = "\u{1}".repeat(64 * 1024);
        e.process = Some(Arc::new(ProcessInfo {
            pid: 1,
            name: Some("noisy".into()),
            args: vec!["a".into(), huge.clone(), "b".into()],
            command_line: Some(format!("é{huge}")),
            ..Default::default()
        }));
        e
    }

    /// Asserts that bounding `e` changes nothing (and says so).
    fn assert_unchanged_by_bounding(e: &mut Event) {
        let before = e.clone();
        assert_eq!(bound_event(e), 0);
        assert_eq!(*e, before);
    }

    #[test]
    fn long_fields_are_cut_marked_and_listed_and_a_second_pass_changes_nothing() {
        let mut e = huge_event();
        assert_eq!(bound_event(&mut e), 2);
        let p = e.process.as_ref().unwrap();
        let cl = p.command_line.as_ref().unwrap();
        assert!(cl.len() <= MAX_FIELD_BYTES + 40, "{}", cl.len());
        assert!(cl.ends_with(" bytes]") && cl.contains(TRUNCATED_MARKER));
        assert_eq!(p.args.len(), 3, "{:?}", p.args.len());
        assert!(p.args[2].starts_with(TRUNCATED_MARKER), "{}", p.args[2]);
        assert_eq!(
            e.labels[TRUNCATED_LABEL],
            "process.args,process.command_line"
        );
        assert!(serde_json::to_vec(&e).unwrap().len() <= MAX_EVENT_BYTES);
        assert_unchanged_by_bounding(&mut e);
    }

    #[test]
    fn small_events_are_untouched() {
        let mut e = Event::new(chrono::Utc::now(), EventKind::Network, "test");
        e.labels.insert("k".into(), "v".repeat(100));
        assert_unchanged_by_bounding(&mut e);
    }

    #[test]
    fn many_fields_fall_back_to_dropping_open_maps() {
        let mut e = Event::new(chrono::Utc::now(), EventKind::Log, "test");
        for i in 0..200 {
            e.labels.insert(format!("k{i}"), "\u{2}".repeat(3000));
        }
        assert!(bound_event(&mut e) > 0);
        assert!(serde_json::to_vec(&e).unwrap().len() <= MAX_EVENT_BYTES);
        assert_eq!(e.labels.len(), 1);
        assert!(e.labels[TRUNCATED_LABEL].contains("labels"));
    }
}
