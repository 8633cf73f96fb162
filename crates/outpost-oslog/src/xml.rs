//! Windows event XML (what `EvtRender(EvtRenderEventXml)` returns for a live channel's record)
//! turned into the same [`LogRecord`] and normalized [`Event`] as the EVTX file reader makes.
//!
//! The XML is first put into the JSON shape the `evtx` crate renders for a record
//! (`{"Event": {"System": {"Provider": {"#attributes": {"Name": …}}, "EventID": …}, "EventData":
//! {"Name": value, …}}}`), and then goes through the very same code as a record of an EVTX file:
//! [`crate::evtx::log_record`] and [`crate::windows::normalize_log`]. So a live Security 5156 and
//! the same record exported to a file become equal events (tested on every record of the real
//! EVTX samples: the `evtx` crate renders each record both as XML and as JSON).
//!
//! Shape rules (those of the `evtx` crate's JSON): an element without attributes or child
//! elements is its text (`null` when empty); otherwise an object with `#attributes`, one member
//! per child element (a repeated name gets `_1`, `_2`, … suffixes) and `#text`. Inside
//! `EventData` / `UserData`, `<Data Name="X">v</Data>` becomes the member `X`, and unnamed `Data`
//! elements become one `Data` array.

use crate::error::OsLogError;
use crate::evtx::{RawEvtxRecord, log_record};
use crate::ingest::IngestOptions;
use chrono::{DateTime, Utc};
use outpost_core::{Event, LogRecord};
use quick_xml::events::Event as XmlEvent;
use serde_json::{Map, Value};

/// Largest nesting accepted (event XML is 4–6 levels deep); deeper input is refused, so a
/// hostile document cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

#[derive(Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

fn bad(msg: impl std::fmt::Display) -> OsLogError {
    OsLogError::Windows(format!("invalid event XML: {msg}"))
}

/// Parses the XML into an element tree (namespaces are left out of names).
fn parse_tree(xml: &str) -> Result<Element, OsLogError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event().map_err(bad)? {
            XmlEvent::Start(s) => {
                if stack.len() > MAX_DEPTH {
                    return Err(bad(format!("nested deeper than {MAX_DEPTH} elements")));
                }
                stack.push(start_element(&s)?);
            }
            XmlEvent::Empty(s) => {
                let el = start_element(&s)?;
                push_child(&mut stack, el)?;
            }
            XmlEvent::End(_) => {
                let el = stack.pop().ok_or_else(|| bad("unbalanced end tag"))?;
                push_child(&mut stack, el)?;
            }
            // Raw text (no line-end normalization): values stay byte for byte as the event
            // log holds them, as in the file reader's JSON.
            XmlEvent::Text(t) => top(&mut stack)?.text.push_str(&t.into_inner()),
            XmlEvent::CData(t) => top(&mut stack)?.text.push_str(&t.into_inner()),
            XmlEvent::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(bad)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.into_inner();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                top(&mut stack)?.text.push_str(&c);
            }
            XmlEvent::Eof => break,
            // Declaration, comments, processing instructions, doctype: not part of the record.
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(bad("unclosed element"));
    }
    let mut root = stack.pop().unwrap_or_default();
    match root.children.len() {
        1 => Ok(root.children.remove(0)),
        0 => Err(bad("no element")),
        _ => Err(bad("more than one root element")),
    }
}

fn top(stack: &mut [Element]) -> Result<&mut Element, OsLogError> {
    stack.last_mut().ok_or_else(|| bad("unbalanced end tag"))
}

fn push_child(stack: &mut [Element], el: Element) -> Result<(), OsLogError> {
    top(stack)?.children.push(el);
    Ok(())
}

fn start_element(s: &quick_xml::events::BytesStart<'_>) -> Result<Element, OsLogError> {
    let name = s.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(bad)?;
        let key = a.key.local_name().as_ref().to_string();
        if a.key.as_ref() == "xmlns" || a.key.prefix().is_some_and(|p| p.as_ref() == "xmlns") {
            continue;
        }
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(bad)?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        ..Default::default()
    })
}

fn text_value(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        Value::String(text.to_string())
    }
}

/// Inserts `key` into `map`, suffixing `_1`, `_2`, … when the name is taken.
fn insert_unique(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !map.contains_key(key) {
        map.insert(key.to_string(), value);
        return;
    }
    let mut n = 1usize;
    loop {
        let k = format!("{key}_{n}");
        if !map.contains_key(&k) {
            map.insert(k, value);
            return;
        }
        n += 1;
    }
}

fn to_value(el: &Element) -> Value {
    let container = el.name == "EventData" || el.name == "UserData";
    // Text between child elements is layout (indentation), not content.
    let text = if el.children.is_empty() {
        el.text.as_str()
    } else if el.text.trim().is_empty() {
        ""
    } else {
        el.text.as_str()
    };
    if el.attrs.is_empty() && el.children.is_empty() {
        return text_value(text);
    }
    let mut map = Map::new();
    if !el.attrs.is_empty() {
        let attrs: Map<String, Value> = el
            .attrs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        map.insert("#attributes".into(), Value::Object(attrs));
    }
    let named = container
        && el
            .children
            .iter()
            .any(|c| c.name == "Data" && c.attrs.iter().any(|(k, v)| k == "Name" && !v.is_empty()));
    let mut positional = Vec::new();
    for c in &el.children {
        if container && c.name == "Data" {
            if named {
                // Named form: `Data Name="X"` → X (unnamed ones are left out, as evtx does).
                if let Some((_, name)) = c.attrs.iter().find(|(k, v)| k == "Name" && !v.is_empty())
                {
                    insert_unique(&mut map, name, text_value(&c.text));
                }
            } else {
                positional.push(text_value(&c.text));
            }
            continue;
        }
        insert_unique(&mut map, &c.name, to_value(c));
    }
    match positional.len() {
        0 => {}
        1 => insert_unique(&mut map, "Data", positional.remove(0)),
        _ => insert_unique(&mut map, "Data", Value::Array(positional)),
    }
    if !text.is_empty() {
        map.insert("#text".into(), Value::String(text.to_string()));
    }
    Value::Object(map)
}

/// The record `xml` in the JSON shape the `evtx` crate renders (`{"Event": {…}}`).
pub fn event_json_from_xml(xml: &str) -> Result<Value, OsLogError> {
    let root = parse_tree(xml)?;
    let mut map = Map::new();
    map.insert(root.name.clone(), to_value(&root));
    Ok(Value::Object(map))
}

/// The [`LogRecord`] of one rendered event and its creation time (`received` when the XML has no
/// `TimeCreated`).
pub fn log_record_from_xml(
    xml: &str,
    received: DateTime<Utc>,
) -> Result<(LogRecord, DateTime<Utc>), OsLogError> {
    let json = serde_json::to_vec(&event_json_from_xml(xml)?).map_err(bad)?;
    let raw = RawEvtxRecord {
        record_id: 0,
        written: received,
        json,
    };
    log_record(&raw).map_err(bad)
}

/// Normalizes one rendered event exactly as [`crate::windows::normalize`] does a record of an
/// EVTX file.
pub fn normalize_xml(
    xml: &str,
    received: DateTime<Utc>,
    opts: &IngestOptions,
) -> Result<Event, OsLogError> {
    let (log, ts) = log_record_from_xml(xml, received)?;
    Ok(crate::windows::normalize_log(log, ts, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Security 5156 as `EvtRender` returns it on Windows (single quotes, namespace, no
    /// layout whitespace, empty `Qualifiers`).
    const LIVE_5156: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>5156</EventID><Version>1</Version><Level>0</Level><Task>12810</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2026-12-06T10:00:01.1234567Z'/><EventRecordID>91822</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='88'/><Channel>Security</Channel><Computer>PC7.corp.example</Computer><Security/></System><EventData><Data Name='ProcessID'>4312</Data><Data Name='Application'>\\device\\harddiskvolume3\\users\\bob\\a &amp; b.exe</Data><Data Name='Direction'>%%14593</Data><Data Name='SourceAddress'>10.0.0.5</Data><Data Name='SourcePort'>50122</Data><Data Name='DestAddress'>127.0.0.9</Data><Data Name='DestPort'>443</Data><Data Name='Protocol'>6</Data><Data Name='FilterRTID'>0</Data><Data Name='LayerName'>%%14611</Data><Data Name='LayerRTID'>48</Data><Data Name='RemoteUserID'>S-1-0-0</Data><Data Name='RemoteMachineID'>S-1-0-0</Data></EventData></Event>";

    #[test]
    fn a_live_5156_becomes_a_network_event() {
        let mut opts = IngestOptions::default();
        opts.drive_map.insert(r"\Device\HarddiskVolume3", "C:");
        let e = normalize_xml(LIVE_5156, DateTime::<Utc>::UNIX_EPOCH, &opts).unwrap();
        assert_eq!(e.kind, outpost_core::EventKind::Network);
        let p = e.process.as_ref().unwrap();
        assert_eq!(p.pid, 4312);
        assert_eq!(p.exe.as_deref(), Some(r"C:\users\bob\a & b.exe"));
        let n = e.network.as_ref().unwrap();
        assert_eq!(n.remote_ip, Some("127.0.0.9".parse().unwrap()));
        assert_eq!(n.remote_port, Some(443));
        assert_eq!(n.direction, outpost_core::Direction::Outbound);
        let log = e.log.as_ref().unwrap();
        assert_eq!(log.record_id, Some(91822));
        assert_eq!(log.event_id, Some(5156));
        assert_eq!(log.channel, "Security");
        assert_eq!(log.computer.as_deref(), Some("PC7.corp.example"));
        assert_eq!(e.ts.to_rfc3339(), "2026-12-06T10:00:01.123456700+00:00");
    }

    /// A DNS-Client 3008 as `EvtRender` gives it (shape of the Windows 10 manifest's template:
    /// QueryName, QueryType, QueryOptions, QueryStatus, QueryResults): the querying process
    /// is only in `System/Execution`.
    #[test]
    fn a_live_dns_client_3008_becomes_a_dns_event() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
            <Provider Name='Microsoft-Windows-DNS-Client' Guid='{1C95126E-7EEA-49A9-A3FE-A378B03DDB4D}'/>\
            <EventID>3008</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>\
            <Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2026-12-06T10:00:02.5Z'/>\
            <EventRecordID>77</EventRecordID><Correlation/><Execution ProcessID='5120' ThreadID='6400'/>\
            <Channel>Microsoft-Windows-DNS-Client/Operational</Channel><Computer>PC7</Computer>\
            <Security UserID='S-1-5-21-1-2-3-1001'/></System><EventData>\
            <Data Name='QueryName'>evil-test.example</Data><Data Name='QueryType'>1</Data>\
            <Data Name='QueryOptions'>140737488355328</Data><Data Name='QueryStatus'>0</Data>\
            <Data Name='QueryResults'>type:  5 edge.evil-test.example;::ffff:192.0.2.55;</Data>\
            </EventData></Event>";
        let e = normalize_xml(xml, DateTime::<Utc>::UNIX_EPOCH, &IngestOptions::default()).unwrap();
        assert_eq!(e.kind, outpost_core::EventKind::Dns);
        let d = e.dns.as_ref().unwrap();
        assert_eq!(d.query, "evil-test.example");
        assert_eq!(d.qtype.as_deref(), Some("A"));
        assert_eq!(d.rcode.as_deref(), Some("NOERROR"));
        assert_eq!(d.answers, ["edge.evil-test.example", "192.0.2.55"]);
        assert_eq!(e.process.as_ref().map(|p| p.pid), Some(5120));
        assert_eq!(e.log.as_ref().unwrap().record_id, Some(77));
    }

    #[test]
    fn shapes() {
        let v = event_json_from_xml(
            "<Event><System><EventID Qualifiers='16384'>7036</EventID><A/><A>x</A></System>\
             <EventData><Data>one</Data><Data>two</Data><Binary>00</Binary></EventData></Event>",
        )
        .unwrap();
        assert_eq!(
            v["Event"]["System"]["EventID"]["#attributes"]["Qualifiers"],
            "16384"
        );
        assert_eq!(v["Event"]["System"]["EventID"]["#text"], "7036");
        assert_eq!(v["Event"]["System"]["A"], Value::Null);
        assert_eq!(v["Event"]["System"]["A_1"], "x");
        assert_eq!(
            v["Event"]["EventData"]["Data"],
            serde_json::json!(["one", "two"])
        );
        assert_eq!(v["Event"]["EventData"]["Binary"], "00");
    }

    #[test]
    fn bad_xml_is_an_error_not_a_panic() {
        for xml in [
            "",
            "<Event>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "<a>&bogus;</a>",
            "<a x='1' x='2'/>",
            "text only",
        ] {
            assert!(event_json_from_xml(xml).is_err(), "{xml:?} accepted");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 2) + &"</a>".repeat(MAX_DEPTH + 2);
        assert!(event_json_from_xml(&deep).is_err());
    }

    proptest::proptest! {
        /// Any text: an error or a record, never a panic; mutations of a real live record too.
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,300}", cut in 0usize..1200, ins in "[<>/='&;#a-z ]{0,8}") {
            let _ = normalize_xml(&s, DateTime::<Utc>::UNIX_EPOCH, &IngestOptions::default());
            let mut live = LIVE_5156.to_string();
            let at = live.char_indices().map(|(i, _)| i).nth(cut % live.len()).unwrap_or(0);
            live.insert_str(at, &ins);
            let _ = normalize_xml(&live, DateTime::<Utc>::UNIX_EPOCH, &IngestOptions::default());
        }
    }
}
