//! Builds seeds for `seed.sh` from the real data in ../shared with the project's own code:
//!
//! * `seedgen bundles IPSUM_FILE OUT_DIR`: signed intel bundles (`outpost intel build`) from
//!   slices of the IPsum feed, in range and in filter mode, and from a small plain feed with
//!   every other indicator kind;
//! * `seedgen bodies OUT_DIR LOG...`: agent → server bodies (hits, events, check-in, enroll)
//!   whose events are read from real EVTX samples and audit logs (`outpost_oslog`).
use outpost_core::api::{CheckinRequest, EnrollRequest, EventBatch, IntelStatus};
use outpost_core::hit::{Hit, HitPayload, IntelMatch};
use outpost_core::{Event, net::Protocol};

type R = Result<(), Box<dyn std::error::Error>>;

fn intel(args: &[&str]) -> R {
    let cmd = outpost_intel::cli::parse_args(args)?;
    outpost_intel::cli::run(cmd).map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> R {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2), args.get(3)) {
        (Some("bundles"), Some(ipsum), Some(out)) => bundles(ipsum, out),
        (Some("bodies"), Some(out), Some(_)) => bodies(out, &args[3..]),
        _ => {
            Err("usage: seedgen bundles IPSUM_FILE OUT_DIR | seedgen bodies OUT_DIR LOG...".into())
        }
    }
}

fn write_body(out: &std::path::Path, name: &str, selector: u8, body: &impl serde::Serialize) -> R {
    let mut b = vec![selector];
    b.extend(serde_json::to_vec(body)?);
    std::fs::write(out.join(name), b)?;
    Ok(())
}

fn bodies(out: &str, logs: &[String]) -> R {
    let out = std::path::PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    let opts = outpost_oslog::IngestOptions::default();
    for (n, log) in logs.iter().enumerate() {
        let mut events: Vec<Event> = Vec::new();
        let r = outpost_oslog::ingest_file(std::path::Path::new(log), &opts, &mut |e| {
            if events.len() < 6 {
                events.push(e);
            }
            Ok::<(), outpost_oslog::SinkError>(())
        });
        if r.is_err() || events.is_empty() {
            continue;
        }
        let batch = EventBatch {
            batch_id: format!("b-{n}"),
            events: events.clone(),
        };
        write_body(&out, &format!("events-{n}.json"), 2, &batch)?;
        let first = &events[0];
        let hit = Hit {
            remote_ip: Some(first.remote_ip().unwrap_or([203, 0, 113, 9].into())),
            domain: None,
            remote_port: Some(443),
            protocol: Protocol::Tcp,
            process_name: first.process_name().unwrap_or("svchost.exe").to_string(),
            pid: first.process.as_ref().map(|p| p.pid),
            exe_path: None,
            sha256: Some("ab".repeat(32)),
            first_seen_utc: first.ts,
            last_seen_utc: first.ts,
            hit_count: events.len() as u64,
            sample_events: events.iter().take(3).cloned().collect(),
            direction: None,
            intel: Some(IntelMatch {
                indicator: "203.0.113.0/24".into(),
                source: Some("ipsum".into()),
                score: Some(3),
                kind: Some("ip".into()),
                ..IntelMatch::default()
            }),
        };
        let payload = HitPayload {
            batch_id: format!("h-{n}"),
            tenant_id: "t1".into(),
            device_id: "d1".into(),
            hostname: "host".into(),
            agent_version: "0.1.0".into(),
            hotlist_version: "ipsum-1".into(),
            hits: vec![hit],
        };
        write_body(&out, &format!("hits-{n}.json"), 0, &payload)?;
    }
    let checkin = CheckinRequest {
        agent_version: Some("0.1.0".into()),
        hostname: Some("host".into()),
        os: Some("linux".into()),
        hotlist_version: Some("ipsum-1".into()),
        config_version: Some("3".into()),
        counters: Some(
            serde_json::json!({"events": {"network": 12}, "dropped": 0, "rss_mib": 30.5}),
        ),
        interval_s: Some(60),
        wait_s: Some(30),
        intel: Some(IntelStatus::default()),
        update: None,
    };
    write_body(&out, "checkin.json", 1, &checkin)?;
    let enroll = EnrollRequest {
        enrollment_key: "ek-1".into(),
        hostname: "host".into(),
        os: Some("linux".into()),
        agent_version: Some("0.1.0".into()),
    };
    write_body(&out, "enroll.json", 3, &enroll)?;
    Ok(())
}

fn bundles(ipsum: &str, out: &str) -> R {
    let out = std::path::PathBuf::from(out);
    let work = out.join(".work");
    std::fs::create_dir_all(&work)?;
    let sk = work.join("key.sec");
    let pk = work.join("key.pub");
    let (sk_s, pk_s) = (sk.display().to_string(), pk.display().to_string());
    intel(&["keygen", "--secret", &sk_s, "--public", &pk_s, "--force"])?;
    let text = std::fs::read_to_string(ipsum)?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let mut feeds = Vec::new();
    for (name, from, n) in [
        ("ipsum-8", 0, 8),
        ("ipsum-60", 0, 60),
        ("ipsum-400", 1000, 400),
    ] {
        let slice: Vec<&str> = lines.iter().skip(from).take(n).copied().collect();
        let p = work.join(format!("{name}.txt"));
        std::fs::write(&p, slice.join("\n") + "\n")?;
        feeds.push((name.to_string(), p, "ipsum"));
    }
    let plain = work.join("mixed.txt");
    std::fs::write(
        &plain,
        "198.51.100.0/24\n203.0.113.9\n2001:db8:dead::/48\n2001:db8::9\nevil.example.com\n\
         bad.example.org\n44d88612fea8a8f36de82e1278abb02f\n\
         3395856ce81f2b7382dee72602f798b642f14140\n\
         275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f\n",
    )?;
    feeds.push(("mixed".to_string(), plain, "plain"));
    for (name, feed, format) in &feeds {
        for filter in [false, true] {
            let file = out.join(format!(
                "{name}{}.bundle",
                if filter { "-filter" } else { "" }
            ));
            let (feed_s, file_s) = (feed.display().to_string(), file.display().to_string());
            let mut a = vec![
                "build",
                &feed_s,
                "--format",
                format,
                "--key",
                &sk_s,
                "--bundle-version",
                name,
                "--created",
                "2026-05-28T00:00:00Z",
                "--ttl-secs",
                "864000",
                "--out",
                &file_s,
            ];
            if filter {
                a.push("--filter");
            }
            intel(&a)?;
        }
    }
    std::fs::remove_dir_all(&work)?;
    Ok(())
}
