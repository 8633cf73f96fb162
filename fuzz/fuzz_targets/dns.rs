//! DNS messages (`outpost_sensors::dns::decode`): what the Linux DNS sensor runs on the payload
//! of every UDP port-53 datagram the host sends or receives, i.e. bytes any DNS server (or
//! anyone on the path) chooses. A decoded message must respect the decoder's bounds.
use outpost_sensors::dns;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(m) = dns::decode(data) {
            assert!(m.answers.len() <= dns::MAX_ANSWERS);
            // 255 wire bytes, each escaped to at most 4 characters.
            assert!(m.query.len() <= 4 * 255);
            assert!(m.answers.iter().all(|a| a.len() <= 4 * 255));
        }
    });
}
