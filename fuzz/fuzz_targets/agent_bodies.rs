//! Agent → server bodies (`POST /api/v1/hits`, `/checkin`, `/events`, `/enroll`), parsed the
//! way the server's `AgentJson` extractor does: serde_json into the wire type, then the
//! unknown-field scan (`WireFields::unknown_fields`). The first byte picks the body; the rest
//! is the body. An accepted body must serialize and parse again, and every event of a hit or
//! event batch goes through the STIX observation mapping the ingest stage runs on it.
use outpost_core::api::{CheckinRequest, EnrollRequest, EventBatch, WireFields};
use outpost_core::hit::HitPayload;

fn body<T: WireFields + serde::Serialize>(data: &[u8]) -> Option<T> {
    let _ = T::unknown_fields(data);
    let v = serde_json::from_slice::<T>(data).ok()?;
    let again = serde_json::to_vec(&v).expect("an accepted body serializes");
    if let Err(e) = serde_json::from_slice::<T>(&again) {
        panic!(
            "an accepted {} body does not parse again: {e}",
            T::WIRE_NAME
        );
    }
    Some(v)
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&sel, rest)) = data.split_first() else {
            return;
        };
        match sel % 4 {
            0 => {
                if let Some(p) = body::<HitPayload>(rest) {
                    for h in &p.hits {
                        for e in &h.sample_events {
                            let _ = outpost_stix::observation_from_event(e);
                        }
                    }
                }
            }
            1 => {
                let _ = body::<CheckinRequest>(rest);
            }
            2 => {
                if let Some(b) = body::<EventBatch>(rest) {
                    for e in &b.events {
                        let _ = outpost_stix::observation_from_event(e);
                    }
                }
            }
            _ => {
                let _ = body::<EnrollRequest>(rest);
            }
        }
    });
}
