//! The configuration overlay the server sends an agent (`outpost_agent::checkin`): the check-in
//! answer (`CheckinResponse`) is parsed as the agent parses it, and its `config` is applied to
//! the agent's configuration with `apply_overlay` (section allow-list, recursive merge, the
//! configuration types' validation). An accepted overlay gives a configuration that
//! serializes and parses again, as the daemon restarts its pipeline with it.
use outpost_agent::checkin::apply_overlay;
use outpost_agent::config::AgentConfig;
use outpost_core::api::CheckinResponse;

fn main() {
    let base = AgentConfig {
        server_url: Some("https://127.0.0.1:8443".into()),
        tenant_id: Some("t1".into()),
        device_id: Some("d1".into()),
        device_token: Some("secret".into()),
        hostname: Some("host".into()),
        ..AgentConfig::default()
    };
    afl::fuzz!(|data: &[u8]| {
        // The first byte picks the framing: a whole check-in answer, or the overlay alone.
        let Some((&sel, rest)) = data.split_first() else {
            return;
        };
        let overlay = if sel & 1 == 0 {
            match serde_json::from_slice::<CheckinResponse>(rest) {
                Ok(r) => match r.config {
                    Some(c) => c,
                    None => return,
                },
                Err(_) => return,
            }
        } else {
            match serde_json::from_slice::<serde_json::Value>(rest) {
                Ok(v) => v,
                Err(_) => return,
            }
        };
        if let Ok(cfg) = apply_overlay(&base, &overlay) {
            let v = serde_json::to_value(&cfg).expect("a configuration serializes");
            if let Err(e) = serde_json::from_value::<AgentConfig>(v) {
                panic!("an accepted overlay gives a configuration that does not parse again: {e}");
            }
            let _ = cfg.identity();
        }
    });
}
