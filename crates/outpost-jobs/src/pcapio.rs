//! Reading pcap/pcapng captures, matching packets against a job [`Filter`], writing pcap, and
//! decoding packets into Sensoroni's `/api/packets` shape.

use std::io::{BufReader, Read, Seek};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use etherparse::{LinkSlice, NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgReader};
use serde::{Deserialize, Serialize};

use crate::model::Filter;

/// Capture-file errors.
#[derive(Debug, thiserror::Error)]
pub enum PcapIoError {
    /// Opening or reading failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a pcap or pcapng file, or a corrupt header.
    #[error("{path} is not a readable pcap/pcapng file: {reason}")]
    Format {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Writing the output failed.
    #[error("cannot write pcap: {0}")]
    Write(String),
}

/// One captured frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Capture time since the Unix epoch.
    pub ts: Duration,
    /// Link type of the interface it was captured on.
    pub linktype: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// Captured bytes.
    pub data: Vec<u8>,
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Converts raw pcapng timestamp ticks to nanoseconds given `if_tsresol`.
fn ticks_to_duration(ticks: u64, tsresol: u8) -> Duration {
    let nanos: u128 = if tsresol & 0x80 == 0 {
        let exp = u32::from(tsresol & 0x7f);
        if exp <= 9 {
            u128::from(ticks) * 10u128.pow(9 - exp)
        } else {
            u128::from(ticks) / 10u128.pow((exp - 9).min(38))
        }
    } else {
        let exp = u32::from(tsresol & 0x7f).min(127);
        (u128::from(ticks) * 1_000_000_000u128) >> exp
    };
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}

/// Reads every frame of a pcap or pcapng file, calling `visit` for each. A truncated last
/// record (a file still being written by tcpdump/dumpcap) ends the file quietly.
pub fn read_capture_file(
    path: &Path,
    visit: impl FnMut(Frame) -> ControlFlow<()>,
) -> Result<(), PcapIoError> {
    let p = path.display().to_string();
    let io = |source| PcapIoError::Io {
        path: p.clone(),
        source,
    };
    // Opened without blocking and checked on the descriptor: a FIFO or device dropped into
    // the capture directory is refused instead of hanging the job.
    let mut file = crate::fsopen::open_regular(path, crate::fsopen::Links::Follow)
        .map_err(|e| match e {
            crate::fsopen::OpenError::Io { source, .. } => io(source),
            other => io(std::io::Error::other(other.to_string())),
        })?
        .file;
    let mut magic = [0u8; 4];
    match file.read_exact(&mut magic) {
        Ok(()) => {}
        // An empty file (capture just rotated) has no packets.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
        Err(e) => return Err(io(e)),
    }
    file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
    read_capture_stream(BufReader::with_capacity(1 << 16, file), magic, &p, visit)
}

/// Reads the frames of a stored pcap/pcapng result one at a time, calling `visit` for each
/// until it breaks: memory is one frame whatever the file's size (`/api/packets`).
pub fn visit_capture_stream<R: Read>(
    mut reader: R,
    label: &str,
    visit: impl FnMut(Frame) -> ControlFlow<()>,
) -> Result<(), PcapIoError> {
    let mut magic = [0u8; 4];
    reader
        .read_exact(&mut magic)
        .map_err(|_| PcapIoError::Format {
            path: label.to_string(),
            reason: "too short".into(),
        })?;
    let chained = std::io::Cursor::new(magic).chain(reader);
    read_capture_stream(chained, magic, label, visit)
}

fn read_capture_stream<R: Read>(
    reader: R,
    magic: [u8; 4],
    p: &str,
    mut visit: impl FnMut(Frame) -> ControlFlow<()>,
) -> Result<(), PcapIoError> {
    let fmt = |reason: String| PcapIoError::Format {
        path: p.to_string(),
        reason,
    };
    if PCAP_MAGICS.contains(&magic) {
        let mut r = PcapReader::new(reader).map_err(|e| fmt(e.to_string()))?;
        let linktype = u32::from(r.header().datalink);
        while let Some(pkt) = r.next_packet() {
            let Ok(pkt) = pkt else { break };
            let frame = Frame {
                ts: pkt.timestamp,
                linktype,
                orig_len: pkt.orig_len,
                data: pkt.data.into_owned(),
            };
            if visit(frame).is_break() {
                break;
            }
        }
        Ok(())
    } else if magic == PCAPNG_MAGIC {
        let mut r = PcapNgReader::new(reader).map_err(|e| fmt(e.to_string()))?;
        // (linktype, if_tsresol) per interface of the current section.
        let mut ifaces: Vec<(u32, u8)> = Vec::new();
        while let Some(block) = r.next_block() {
            let Ok(block) = block else { break };
            match block {
                Block::SectionHeader(_) => ifaces.clear(),
                Block::InterfaceDescription(idb) => {
                    let resol = idb
                        .options
                        .iter()
                        .find_map(|o| match o {
                            pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption::IfTsResol(r) => Some(*r),
                            _ => None,
                        })
                        .unwrap_or(6);
                    ifaces.push((u32::from(idb.linktype), resol));
                }
                Block::EnhancedPacket(epb) => {
                    let Some(&(linktype, resol)) = usize::try_from(epb.interface_id)
                        .ok()
                        .and_then(|i| ifaces.get(i))
                    else {
                        continue;
                    };
                    // pcap-file hands the raw tick count over as nanoseconds; rescale it.
                    let ticks = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                    let frame = Frame {
                        ts: ticks_to_duration(ticks, resol),
                        linktype,
                        orig_len: epb.original_len,
                        data: epb.data.into_owned(),
                    };
                    if visit(frame).is_break() {
                        break;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    } else {
        Err(fmt("unknown magic number".into()))
    }
}

/// The addressing facts of one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Source address.
    pub src_ip: Option<IpAddr>,
    /// Destination address.
    pub dst_ip: Option<IpAddr>,
    /// Source port (TCP/UDP).
    pub src_port: Option<u16>,
    /// Destination port (TCP/UDP).
    pub dst_port: Option<u16>,
    /// IP protocol number of the payload (after IPv6 extension headers).
    pub ip_proto: Option<u8>,
}

fn slice(linktype: u32, data: &[u8]) -> Option<SlicedPacket<'_>> {
    match DataLink::from(linktype) {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data).ok(),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data).ok(),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data).ok(),
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..)?).ok(),
        _ => None,
    }
}

/// Decodes the addresses and ports of a frame (`None` for unsupported link types).
pub fn decode(linktype: u32, data: &[u8]) -> Option<Decoded> {
    let s = slice(linktype, data)?;
    let (src_ip, dst_ip, ip_proto) = match &s.net {
        Some(NetSlice::Ipv4(v4)) => (
            Some(IpAddr::V4(v4.header().source_addr())),
            Some(IpAddr::V4(v4.header().destination_addr())),
            Some(v4.payload().ip_number.0),
        ),
        Some(NetSlice::Ipv6(v6)) => (
            Some(IpAddr::V6(v6.header().source_addr())),
            Some(IpAddr::V6(v6.header().destination_addr())),
            Some(v6.payload().ip_number.0),
        ),
        _ => (None, None, None),
    };
    let (src_port, dst_port) = match &s.transport {
        Some(TransportSlice::Tcp(t)) => (Some(t.source_port()), Some(t.destination_port())),
        Some(TransportSlice::Udp(u)) => (Some(u.source_port()), Some(u.destination_port())),
        _ => (None, None),
    };
    Some(Decoded {
        src_ip,
        dst_ip,
        src_port,
        dst_port,
        ip_proto,
    })
}

/// A compiled packet predicate: a flow (either direction) and a time window.
#[derive(Debug, Clone, Default)]
pub struct FlowMatcher {
    src_ip: Option<IpAddr>,
    dst_ip: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    /// IP protocol number (any when `None`).
    proto: Option<u8>,
    /// Window start (inclusive).
    pub begin: Option<Duration>,
    /// Window end (inclusive).
    pub end: Option<Duration>,
}

fn since_epoch(t: chrono::DateTime<chrono::Utc>) -> Duration {
    let nanos = t.timestamp_nanos_opt().unwrap_or(0).max(0);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

impl FlowMatcher {
    /// Compiles a job filter; fails on unparsable IP addresses.
    pub fn new(f: &Filter) -> Result<Self, String> {
        let ip = |v: &Option<String>, name: &str| -> Result<Option<IpAddr>, String> {
            v.as_deref()
                .map(|s| {
                    s.parse::<IpAddr>()
                        .map_err(|_| format!("{name} is not an IP address"))
                })
                .transpose()
        };
        Ok(FlowMatcher {
            src_ip: ip(&f.src_ip, "srcIp")?,
            dst_ip: ip(&f.dst_ip, "dstIp")?,
            src_port: f.src_port,
            dst_port: f.dst_port,
            proto: f.protocol_number()?,
            begin: f.begin_time.map(since_epoch),
            end: f.end_time.map(since_epoch),
        })
    }

    fn one_way(
        &self,
        s: Option<IpAddr>,
        sp: Option<u16>,
        d: Option<IpAddr>,
        dp: Option<u16>,
    ) -> bool {
        (self.src_ip.is_none() || self.src_ip == s)
            && (self.src_port.is_none() || self.src_port == sp)
            && (self.dst_ip.is_none() || self.dst_ip == d)
            && (self.dst_port.is_none() || self.dst_port == dp)
    }

    /// True when the frame's time lies in the window.
    pub fn in_window(&self, ts: Duration) -> bool {
        self.begin.is_none_or(|b| ts >= b) && self.end.is_none_or(|e| ts <= e)
    }

    /// True when the decoded packet belongs to the flow, in either direction.
    pub fn matches_flow(&self, d: &Decoded) -> bool {
        (self.proto.is_none() || self.proto == d.ip_proto)
            && (self.one_way(d.src_ip, d.src_port, d.dst_ip, d.dst_port)
                || self.one_way(d.dst_ip, d.dst_port, d.src_ip, d.src_port))
    }

    /// True when the matcher selects nothing but time (no addresses or ports).
    pub fn is_time_only(&self) -> bool {
        self.src_ip.is_none()
            && self.dst_ip.is_none()
            && self.src_port.is_none()
            && self.dst_port.is_none()
            && self.proto.is_none()
    }

    /// Time window and flow.
    pub fn matches(&self, frame: &Frame) -> bool {
        if !self.in_window(frame.ts) {
            return false;
        }
        if self.is_time_only() {
            return true;
        }
        decode(frame.linktype, &frame.data).is_some_and(|d| self.matches_flow(&d))
    }
}

/// Writes frames (all of one link type) as a nanosecond-resolution pcap file.
pub fn write_pcap(linktype: u32, frames: &[Frame]) -> Result<Vec<u8>, PcapIoError> {
    let header = PcapHeader {
        datalink: DataLink::from(linktype),
        ts_resolution: pcap_file::TsResolution::NanoSecond,
        endianness: pcap_file::Endianness::native(),
        snaplen: 262_144,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header)
        .map_err(|e| PcapIoError::Write(e.to_string()))?;
    for f in frames {
        let p = PcapPacket::new(f.ts, f.orig_len, &f.data);
        w.write_packet(&p)
            .map_err(|e| PcapIoError::Write(e.to_string()))?;
    }
    Ok(w.into_writer())
}

/// Reads all frames of an in-memory pcap/pcapng (the same reader as
/// [`visit_capture_stream`], collecting every frame).
pub fn read_capture_bytes(bytes: &[u8]) -> Result<Vec<Frame>, PcapIoError> {
    let mut out = Vec::new();
    visit_capture_stream(bytes, "result", |f| {
        out.push(f);
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// One packet in Sensoroni's `/api/packets` shape (`model/packet.go`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PacketJson {
    /// 1-based packet number in the result.
    pub number: usize,
    /// Top protocol (`TCP`, `UDP`, `ICMPv4`, `IPv4`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Source MAC.
    pub src_mac: String,
    /// Destination MAC.
    pub dst_mac: String,
    /// Source IP.
    pub src_ip: String,
    /// Source port.
    pub src_port: u16,
    /// Destination IP.
    pub dst_ip: String,
    /// Destination port.
    pub dst_port: u16,
    /// Wire length.
    pub length: u32,
    /// Capture time (RFC 3339).
    pub timestamp: String,
    /// TCP sequence number.
    pub sequence: u32,
    /// TCP acknowledgment number.
    pub acknowledge: u32,
    /// TCP window.
    pub window: u16,
    /// Transport checksum.
    pub checksum: u16,
    /// TCP flags set (`SYN`, `ACK`, …).
    pub flags: Vec<String>,
    /// The whole frame, base64.
    pub payload: String,
    /// Offset of the transport payload in the frame.
    pub payload_offset: usize,
}

fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Sensoroni's packet view of a frame.
pub fn packet_json(number: usize, f: &Frame) -> PacketJson {
    let ts = chrono::DateTime::from_timestamp(
        i64::try_from(f.ts.as_secs()).unwrap_or(0),
        f.ts.subsec_nanos(),
    )
    .unwrap_or_default();
    let mut p = PacketJson {
        number,
        kind: "UNKNOWN".into(),
        length: f.orig_len,
        timestamp: ts.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        payload: base64::engine::general_purpose::STANDARD.encode(&f.data),
        ..PacketJson::default()
    };
    let Some(s) = slice(f.linktype, &f.data) else {
        return p;
    };
    if let Some(LinkSlice::Ethernet2(e)) = &s.link {
        p.src_mac = mac(e.source());
        p.dst_mac = mac(e.destination());
    }
    match &s.net {
        Some(NetSlice::Ipv4(v4)) => {
            p.kind = "IPv4".into();
            p.src_ip = v4.header().source_addr().to_string();
            p.dst_ip = v4.header().destination_addr().to_string();
        }
        Some(NetSlice::Ipv6(v6)) => {
            p.kind = "IPv6".into();
            p.src_ip = v6.header().source_addr().to_string();
            p.dst_ip = v6.header().destination_addr().to_string();
        }
        Some(NetSlice::Arp(_)) => p.kind = "ARP".into(),
        None => {}
    }
    let base = f.data.as_ptr() as usize;
    let offset_of = |payload: &[u8]| (payload.as_ptr() as usize).saturating_sub(base);
    match &s.transport {
        Some(TransportSlice::Tcp(t)) => {
            p.kind = "TCP".into();
            p.src_port = t.source_port();
            p.dst_port = t.destination_port();
            p.sequence = t.sequence_number();
            p.acknowledge = t.acknowledgment_number();
            p.window = t.window_size();
            p.checksum = t.checksum();
            for (set, name) in [
                (t.fin(), "FIN"),
                (t.syn(), "SYN"),
                (t.rst(), "RST"),
                (t.psh(), "PSH"),
                (t.ack(), "ACK"),
                (t.urg(), "URG"),
                (t.ece(), "ECE"),
                (t.cwr(), "CWR"),
                (t.ns(), "NS"),
            ] {
                if set {
                    p.flags.push(name.into());
                }
            }
            p.payload_offset = offset_of(t.payload());
        }
        Some(TransportSlice::Udp(u)) => {
            p.kind = "UDP".into();
            p.src_port = u.source_port();
            p.dst_port = u.destination_port();
            p.checksum = u.checksum();
            p.payload_offset = offset_of(u.payload());
        }
        Some(TransportSlice::Icmpv4(_)) => p.kind = "ICMPv4".into(),
        Some(TransportSlice::Icmpv6(_)) => p.kind = "ICMPv6".into(),
        _ => {}
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_conversion() {
        assert_eq!(ticks_to_duration(1_500_000, 6), Duration::from_millis(1500));
        assert_eq!(
            ticks_to_duration(1_500_000_000, 9),
            Duration::from_millis(1500)
        );
        assert_eq!(
            ticks_to_duration(3 << 20, 0x80 | 20),
            Duration::from_secs(3)
        );
    }

    /// An Ethernet frame at `ts` (seconds) of the packet `write` builds.
    fn ethernet_frame(ts: u64, write: impl FnOnce(&mut Vec<u8>)) -> Frame {
        let mut data = Vec::new();
        write(&mut data);
        Frame {
            ts: Duration::from_secs(ts),
            linktype: 1,
            orig_len: data.len() as u32,
            data,
        }
    }

    fn tcp_frame(ts: u64, sp: u16, dp: u16) -> Frame {
        ethernet_frame(ts, |data| {
            etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
                .tcp(sp, dp, 7, 1024)
                .syn()
                .write(data, b"hi")
                .unwrap()
        })
    }

    #[test]
    fn flow_matching_is_bidirectional_and_exact() {
        let f = Filter {
            src_ip: Some("127.0.0.1".into()),
            src_port: Some(40000),
            dst_ip: Some("127.0.0.1".into()),
            dst_port: Some(8080),
            begin_time: chrono::DateTime::from_timestamp(100, 0),
            end_time: chrono::DateTime::from_timestamp(200, 0),
            ..Default::default()
        };
        let m = FlowMatcher::new(&f).unwrap();
        assert!(m.matches(&tcp_frame(150, 40000, 8080)));
        assert!(m.matches(&tcp_frame(150, 8080, 40000)));
        assert!(!m.matches(&tcp_frame(150, 40001, 8080)));
        assert!(!m.matches(&tcp_frame(150, 8080, 40001)));
        assert!(!m.matches(&tcp_frame(250, 40000, 8080)));
        let bytes = write_pcap(1, &[tcp_frame(150, 40000, 8080)]).unwrap();
        let back = read_capture_bytes(&bytes).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].ts, Duration::from_secs(150));
        let j = packet_json(1, &back[0]);
        assert_eq!(
            (j.kind.as_str(), j.src_port, j.dst_port),
            ("TCP", 40000, 8080)
        );
        assert_eq!(j.flags, vec!["SYN".to_string()]);
        assert_eq!(j.payload_offset, 14 + 20 + 20);
    }

    fn udp_frame(ts: u64, sp: u16, dp: u16) -> Frame {
        ethernet_frame(ts, |data| {
            etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv6([0xfe; 16], [0xfd; 16], 64)
                .udp(sp, dp)
                .write(data, b"hi")
                .unwrap()
        })
    }

    /// The 5th element of the tuple. With a protocol only that protocol's
    /// packets of the flow match (IPv4 and IPv6); a protocol alone is not "time only".
    #[test]
    fn the_protocol_narrows_the_flow() {
        let by = |p: Option<&str>| {
            FlowMatcher::new(&Filter {
                src_port: Some(5353),
                protocol: p.map(str::to_string),
                ..Default::default()
            })
            .unwrap()
        };
        let (t, u) = (tcp_frame(1, 5353, 53), udp_frame(1, 5353, 53));
        assert!(by(None).matches(&t) && by(None).matches(&u));
        assert!(by(Some("tcp")).matches(&t) && !by(Some("tcp")).matches(&u));
        assert!(!by(Some("udp")).matches(&t) && by(Some("udp")).matches(&u));
        let only = FlowMatcher::new(&Filter {
            protocol: Some("udp".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(!only.is_time_only());
        assert!(only.matches(&u) && !only.matches(&t));
        assert!(
            FlowMatcher::new(&Filter {
                protocol: Some("quic".into()),
                ..Default::default()
            })
            .is_err()
        );
    }
}
