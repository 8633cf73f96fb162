//! pcap/pcapng (`outpost_jobs::pcapio`): `read_capture_bytes`, which decodes an uploaded
//! `pcap` job result for `/api/packets` (input from an agent), then every frame through the
//! packet summary and the flow matcher; and `read_capture_file`, the agent's reader of its
//! rolling capture directory (the same bytes written to a scratch file in /dev/shm).
use outpost_jobs::Filter;
use outpost_jobs::pcapio::{self, FlowMatcher};
use std::ops::ControlFlow;

fn main() {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("outpost-fuzz-pcap-{}.pcap", std::process::id()));
    let filter = Filter {
        src_ip: Some("127.0.0.1".into()),
        dst_port: Some(443),
        ..Filter::default()
    };
    let matcher = FlowMatcher::new(&filter).expect("a valid filter");
    afl::fuzz!(|data: &[u8]| {
        if let Ok(frames) = pcapio::read_capture_bytes(data) {
            for (i, f) in frames.iter().enumerate() {
                let _ = pcapio::packet_json(i + 1, f);
                let _ = matcher.matches(f);
            }
        }
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let _ = pcapio::read_capture_file(&path, |f| {
            let _ = pcapio::decode(f.linktype, &f.data);
            ControlFlow::Continue(())
        });
    });
    let _ = std::fs::remove_file(&path);
}
