//! Real EVTX files from `<shared>/data/evtx/attack-samples/` (EVTX-ATTACK-SAMPLES). The
//! expected values were read from the records with `examples/evtx_dump_json`.

use crate::common;

use outpost_core::{Direction, Event, EventKind, NetworkAction, Protocol};
use outpost_oslog::{
    Cursors, IngestOptions, IngestStats, SourcesConfig, ingest_file, ingest_file_with_progress,
    poll_sources,
};
use std::convert::Infallible;
use std::path::Path;

fn read_all(path: &Path, opts: &IngestOptions) -> (Vec<Event>, IngestStats) {
    let mut events = Vec::new();
    let stats = ingest_file(path, opts, &mut |e| {
        events.push(e);
        Ok::<(), Infallible>(())
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (events, stats)
}

/// Attack sample `rel` (under `data/evtx/attack-samples`) read with the default options;
/// `None` when the shared data is absent (skipped, or failed under `OUTPOST_REQUIRE_SHARED`).
fn read_sample(rel: &str) -> Option<(Vec<Event>, IngestStats)> {
    let dir = common::attack_samples_dir()?;
    Some(read_all(&dir.join(rel), &IngestOptions::default()))
}

fn record_id(e: &Event) -> u64 {
    e.log.as_ref().and_then(|l| l.record_id).unwrap()
}

fn by_record(events: &[Event], id: u64) -> &Event {
    events
        .iter()
        .find(|e| record_id(e) == id)
        .unwrap_or_else(|| panic!("record {id} not found"))
}

#[test]
fn all_attack_samples_are_read_without_panic() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let files = common::evtx_files(&dir);
    assert_eq!(files.len(), 277, "expected the 277 EVTX samples");
    let mut total = IngestStats::default();
    for f in &files {
        let mut n = 0u64;
        let s = ingest_file(f, &IngestOptions::default(), &mut |e| {
            assert!(e.log.is_some(), "every EVTX event keeps its log record");
            n += 1;
            Ok::<(), Infallible>(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(s.files, 1);
        assert_eq!(n, s.events_total());
        assert_eq!(s.records_read, s.events_total(), "{}", f.display());
        total.merge(&s);
    }
    println!(
        "277 files: {} records, {} malformed skipped, events {:?}",
        total.records_read, total.malformed, total.events
    );
    // Exact figures of this corpus (also in docs/benchmarks/oslog.md): a change in how many
    // records are read or how they are normalized must show up here.
    assert_eq!(total.files, 277);
    assert_eq!(total.records_read, 8255);
    assert_eq!(
        total.malformed, 0,
        "the real samples hold no malformed record"
    );
    assert_eq!(total.events_of(EventKind::Network), 256);
    assert_eq!(total.events_of(EventKind::ProcessExec), 1533);
    // The corpus's only Sysmon 22 (see `sysmon_22_dns_query`).
    assert_eq!(total.events_of(EventKind::Dns), 1);
}

/// The only DNS record of the corpus: Sysmon 22, svchost.exe looking up `wpad`, which does
/// not exist (QueryStatus 9003, DNS_ERROR_RCODE_NAME_ERROR).
#[test]
fn sysmon_22_dns_query() {
    let Some((events, _)) = read_sample("Privilege_Escalation/Sysmon_UACME_64.evtx") else {
        return;
    };
    let e = by_record(&events, 1084);
    assert_eq!(e.kind, EventKind::Dns);
    let d = e.dns.as_ref().unwrap();
    assert_eq!(d.query, "wpad");
    assert_eq!(d.rcode.as_deref(), Some("NXDOMAIN"));
    assert!(d.answers.is_empty(), "QueryResults is '-'");
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.pid, 2428);
    assert_eq!(p.exe.as_deref(), Some(r"C:\Windows\System32\svchost.exe"));
    assert_eq!(p.name.as_deref(), Some("svchost.exe"));
    assert_eq!(
        p.entity_id.as_deref(),
        Some("{23f38d93-abac-5f8e-3900-000000000c00}")
    );
    assert_eq!(e.ts.to_rfc3339(), "2020-10-20T11:51:01.476722900+00:00");
}

#[test]
fn wfp_5156_rdp_tunnel() {
    let Some((events, stats)) = read_sample("Command_and_Control/DE_RDP_Tunnel_5156.evtx") else {
        return;
    };
    assert_eq!(stats.records_read, 101);
    assert_eq!(stats.malformed, 0);
    let wfp: Vec<&Event> = events
        .iter()
        .filter(|e| e.log.as_ref().unwrap().event_id == Some(5156))
        .collect();
    assert_eq!(wfp.len(), 63);
    let mut outbound = 0;
    for e in &wfp {
        assert_eq!(e.kind, EventKind::Network);
        assert_eq!(e.source, "evtx");
        let n = e.network.as_ref().unwrap();
        assert_eq!(n.action, NetworkAction::Allowed);
        // Each event against its own raw EventData: Source is the local side and Dest the
        // remote side; %%14592 is inbound, %%14593 outbound; the process id is ProcessID.
        let f = &e.log.as_ref().unwrap().fields;
        let raw = |k: &str| {
            f.get(k)
                .map(String::as_str)
                .unwrap_or_else(|| panic!("{k} missing"))
        };
        let want_dir = match raw("Direction") {
            "%%14592" => Direction::Inbound,
            "%%14593" => Direction::Outbound,
            other => panic!("unexpected Direction {other}"),
        };
        outbound += usize::from(want_dir == Direction::Outbound);
        assert_eq!(n.direction, want_dir, "record {}", record_id(e));
        assert_eq!(
            n.remote_ip,
            raw("DestAddress").parse().ok(),
            "record {}",
            record_id(e)
        );
        assert_eq!(n.remote_port, raw("DestPort").parse().ok());
        assert_eq!(n.local_ip, raw("SourceAddress").parse().ok());
        assert_eq!(n.local_port, raw("SourcePort").parse().ok());
        assert_eq!(
            n.protocol,
            Protocol::from_number(raw("Protocol").parse().unwrap())
        );
        assert_eq!(
            e.process.as_ref().unwrap().pid,
            raw("ProcessID").parse::<u32>().unwrap()
        );
        assert_eq!(
            e.process.as_ref().unwrap().exe.as_deref(),
            Some(raw("Application"))
        );
    }
    assert!(
        outbound > 0 && outbound < wfp.len(),
        "both directions are in the file"
    );
    // 17 × 4688 → process_exec; the rest (1102, 4624, 4648, 4672, 5158) → log
    assert_eq!(stats.events_of(EventKind::Network), 63);
    assert_eq!(stats.events_of(EventKind::ProcessExec), 17);
    assert_eq!(stats.events_of(EventKind::Log), 21);

    // Record 227717: plink.exe (pid 3324) opens the SSH tunnel to 10.0.2.18:80.
    let e = by_record(&events, 227717);
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.pid, 3324);
    assert_eq!(
        p.exe.as_deref(),
        Some(r"\device\harddiskvolume1\users\user01\desktop\plink.exe")
    );
    assert_eq!(e.process_name(), Some("plink.exe"));
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.direction, Direction::Outbound);
    assert_eq!(n.protocol, Protocol::Tcp);
    assert_eq!(n.local_ip, Some("10.0.2.17".parse().unwrap()));
    assert_eq!(n.local_port, Some(49269));
    assert_eq!(n.remote_ip, Some("10.0.2.18".parse().unwrap()));
    assert_eq!(n.remote_port, Some(80));
    for (k, v) in [
        ("wfp.filter_rtid", "0"),
        ("wfp.layer_name", "Connect"),
        ("wfp.layer_rtid", "48"),
    ] {
        assert_eq!(e.labels.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(
        e.ts,
        chrono::DateTime::parse_from_rfc3339("2019-02-13T18:03:28.3485590Z").unwrap()
    );
    let log = e.log.as_ref().unwrap();
    assert_eq!(log.channel, "Security");
    assert_eq!(
        log.provider.as_deref(),
        Some("Microsoft-Windows-Security-Auditing")
    );
    assert_eq!(log.computer.as_deref(), Some("PC01.example.corp"));
    assert_eq!(
        log.fields.get("Direction").map(String::as_str),
        Some("%%14593")
    );
    assert_eq!(
        log.fields.get("DestAddress").map(String::as_str),
        Some("10.0.2.18")
    );
    assert_eq!(log.fields.len(), 13, "{:?}", log.fields.keys());

    // Record 227727: plink forwards to the local RDP port 127.0.0.2:3389 …
    let e = by_record(&events, 227727);
    assert_eq!(e.process.as_ref().unwrap().pid, 3324);
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.direction, Direction::Outbound);
    assert_eq!(n.remote_ip, Some("127.0.0.2".parse().unwrap()));
    assert_eq!(n.remote_port, Some(3389));
    // … and record 227728 is the inbound side, accepted by System (pid 4).
    let e = by_record(&events, 227728);
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.pid, 4);
    assert_eq!(p.exe.as_deref(), Some("System"));
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.direction, Direction::Inbound);
    assert_eq!(n.local_ip, Some("127.0.0.2".parse().unwrap()));
    assert_eq!(n.local_port, Some(3389));
    assert_eq!(n.remote_ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(n.remote_port, Some(49271));
    assert_eq!(
        e.labels.get("wfp.layer_name").map(String::as_str),
        Some("Receive/Accept")
    );

    // Record 227694: IPv6 UDP (DHCPv6) from svchost.
    let e = by_record(&events, 227694);
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.protocol, Protocol::Udp);
    assert_eq!(
        n.local_ip,
        Some("fe80::80ac:4126:fa58:1b81".parse().unwrap())
    );
    assert_eq!(n.remote_ip, Some("ff02::1:2".parse().unwrap()));
    assert_eq!(n.remote_port, Some(547));

    // Security 4688 for the same plink.exe: NewProcessId 0xcfc = 3324, parent 0xe60.
    let e = by_record(&events, 227714);
    assert_eq!(e.kind, EventKind::ProcessExec);
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.pid, 3324);
    assert_eq!(p.exe.as_deref(), Some(r"C:\Users\user01\Desktop\plink.exe"));
    assert_eq!(p.ppid, Some(0xe60));
    assert_eq!(p.user.as_deref(), Some(r"EXAMPLE\user01"));
    assert_eq!(
        p.command_line, None,
        "empty CommandLine is not a command line"
    );

    // A log record with UserData (1102 log cleared) keeps its fields.
    let e = by_record(&events, 227693);
    assert_eq!(e.kind, EventKind::Log);
    let log = e.log.as_ref().unwrap();
    assert_eq!(log.event_id, Some(1102));
    assert_eq!(log.provider.as_deref(), Some("Microsoft-Windows-Eventlog"));
    assert_eq!(
        log.fields.get("SubjectUserName").map(String::as_str),
        Some("admin01")
    );
}

#[test]
fn wfp_application_is_drive_mapped_when_configured() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let path = dir.join("Command_and_Control/DE_RDP_Tunnel_5156.evtx");
    let mut opts = IngestOptions::default();
    opts.drive_map.insert(r"\Device\HarddiskVolume1", "C:");
    let (events, _) = read_all(&path, &opts);
    let e = by_record(&events, 227717);
    assert_eq!(
        e.process.as_ref().unwrap().exe.as_deref(),
        Some(r"C:\users\user01\desktop\plink.exe")
    );
    // The raw value stays in the log fields.
    assert_eq!(
        e.log
            .as_ref()
            .unwrap()
            .fields
            .get("Application")
            .map(String::as_str),
        Some(r"\device\harddiskvolume1\users\user01\desktop\plink.exe")
    );
}

#[test]
fn sysmon_1_and_3() {
    let Some((events, stats)) = read_sample("Command_and_Control/DE_sysmon-3-rdp-tun.evtx") else {
        return;
    };
    assert_eq!(stats.events_of(EventKind::Network), 42);
    assert_eq!(stats.events_of(EventKind::ProcessExec), 13);

    // Sysmon 1: plink.exe started from cmd.exe
    let e = by_record(&events, 1940899);
    assert_eq!(e.kind, EventKind::ProcessExec);
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.pid, 2312);
    assert_eq!(p.exe.as_deref(), Some(r"C:\Users\IEUser\Desktop\plink.exe"));
    assert_eq!(p.name.as_deref(), Some("plink.exe"));
    assert_eq!(
        p.command_line.as_deref(),
        Some("plink.exe  10.0.2.18 -P 80 -C -R 127.0.0.3:4444:127.0.0.2:3389 -l test -pw test")
    );
    assert_eq!(p.cwd.as_deref(), Some(r"C:\Users\IEUser\Desktop\"));
    assert_eq!(p.user.as_deref(), Some(r"PC01\IEUser"));
    assert_eq!(
        p.hashes.sha1.as_deref(),
        Some("7806ad24f669cd8bb9ebe16f87e90173047f8ee4")
    );
    assert_eq!(
        p.entity_id.as_deref(),
        Some("{365abb72-dfad-5c67-0000-0010e0811500}")
    );
    assert_eq!(p.ppid, Some(3904));
    let parent = p.parent.as_ref().unwrap();
    assert_eq!(parent.pid, 3904);
    assert_eq!(parent.exe.as_deref(), Some(r"C:\Windows\System32\cmd.exe"));
    assert_eq!(parent.name.as_deref(), Some("cmd.exe"));
    assert_eq!(
        parent.command_line.as_deref(),
        Some(r#""C:\Windows\system32\cmd.exe" "#)
    );
    assert_eq!(
        e.labels.get("sysmon.integrity_level").map(String::as_str),
        Some("High")
    );
    let log = e.log.as_ref().unwrap();
    assert_eq!(log.channel, "Microsoft-Windows-Sysmon/Operational");
    assert_eq!(
        log.fields.get("Company").map(String::as_str),
        Some("Simon Tatham")
    );

    // Sysmon 3: plink → 10.0.2.18:80 (outbound, Source = local)
    let e = by_record(&events, 1940900);
    assert_eq!(e.kind, EventKind::Network);
    assert_eq!(e.process.as_ref().unwrap().pid, 2312);
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.direction, Direction::Outbound);
    assert_eq!(n.protocol, Protocol::Tcp);
    assert_eq!(n.local_ip, Some("10.0.2.17".parse().unwrap()));
    assert_eq!(n.local_port, Some(49185));
    assert_eq!(n.remote_ip, Some("10.0.2.18".parse().unwrap()));
    assert_eq!(n.remote_port, Some(80));
    assert_eq!(n.remote_hostname.as_deref(), Some("PC02"));

    // Sysmon 3, Initiated=false: the RDP service accepts the tunnelled connection.
    let e = by_record(&events, 1940902);
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.pid, 1276);
    assert_eq!(p.user.as_deref(), Some(r"NT AUTHORITY\NETWORK SERVICE"));
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.direction, Direction::Inbound);
    assert_eq!(n.local_ip, Some("127.0.0.2".parse().unwrap()));
    assert_eq!(n.local_port, Some(3389));
    assert_eq!(n.remote_ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(n.remote_port, Some(49186));

    // Sysmon 3, IPv6 written in full form by Sysmon.
    let e = by_record(&events, 1940903);
    let n = e.network.as_ref().unwrap();
    assert_eq!(n.protocol, Protocol::Udp);
    assert_eq!(n.local_ip, Some("ff02::1:3".parse().unwrap()));
    assert_eq!(
        n.remote_ip,
        Some("fe80::80ac:4126:fa58:1b81".parse().unwrap())
    );
}

#[test]
fn sysmon_1_all_hashes() {
    let Some((events, _)) = read_sample("Execution/exec_sysmon_1_ftp.evtx") else {
        return;
    };
    let e = by_record(&events, 16512);
    let p = e.process.as_ref().unwrap();
    assert_eq!(p.exe.as_deref(), Some(r"C:\Python27\python.exe"));
    assert_eq!(
        p.hashes.sha256.as_deref(),
        Some("b6b4bd10303797c209c4f3c3fcc863a925a77ae2c38090fb8b3ff1bf9c4dde84")
    );
    assert_eq!(
        p.hashes.md5.as_deref(),
        Some("e11683e4a1e88666dd5e0331f969e0c6")
    );
    assert_eq!(
        p.hashes.sha1.as_deref(),
        Some("eca93aaaa5039e12d2f0cc3f0c8f5af8fdb15c71")
    );
    assert_eq!(
        p.hashes.other.get("IMPHASH").map(String::as_str),
        Some("f3f3de6c332cf6049756a5b794ebd0c5")
    );
    assert_eq!(p.parent.as_ref().unwrap().pid, 4092);
}

#[test]
fn cursor_reads_only_new_records() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.join("Command_and_Control/DE_RDP_Tunnel_5156.evtx"),
        tmp.path().join("a.evtx"),
    )
    .unwrap();
    std::fs::copy(
        dir.join("Command_and_Control/DE_sysmon-3-rdp-tun.evtx"),
        tmp.path().join("b.evtx"),
    )
    .unwrap();
    let cfg = SourcesConfig {
        evtx: vec![format!("{}/*.evtx", tmp.path().display())],
        ..Default::default()
    };
    let store = tmp.path().join("cursors.json");
    let mut cursors = Cursors::load(&store).unwrap();
    let mut n = 0u64;
    let s1 = poll_sources(&cfg, &mut cursors, &mut |_| {
        n += 1;
        Ok::<(), Infallible>(())
    })
    .unwrap();
    assert_eq!(s1.files, 2);
    assert_eq!(s1.failed_sources, 0);
    assert!(n > 150, "{n}");
    assert_eq!(n, s1.events_total());
    cursors.save(&store).unwrap();

    // Second run with the saved cursors: nothing new.
    let mut cursors = Cursors::load(&store).unwrap();
    let mut again = 0u64;
    let s2 = poll_sources(&cfg, &mut cursors, &mut |_| {
        again += 1;
        Ok::<(), Infallible>(())
    })
    .unwrap();
    assert_eq!(again, 0);
    assert_eq!(s2.records_read, 0);
    assert!(s2.skipped_seen >= s1.records_read);

    // A cursor in the middle of a file: only the later records.
    let key = tmp.path().join("a.evtx").to_string_lossy().into_owned();
    cursors.evtx.get_mut(&key).unwrap().last_record_id = 90;
    let mut ids = Vec::new();
    poll_sources(&cfg, &mut cursors, &mut |e| {
        ids.push(record_id(&e));
        Ok::<(), Infallible>(())
    })
    .unwrap();
    // Header record numbers 91..=101 are EventRecordIDs 227950..=227960 in this export.
    assert_eq!(ids, (227950..=227960).collect::<Vec<u64>>());

    // A cursor beyond the file's last record: the log was replaced, read again from the start.
    cursors.evtx.get_mut(&key).unwrap().last_record_id = 10_000;
    let mut count = 0;
    poll_sources(&cfg, &mut cursors, &mut |_| {
        count += 1;
        Ok::<(), Infallible>(())
    })
    .unwrap();
    assert_eq!(count, 101);
    assert_eq!(cursors.evtx[&key].last_record_id, 101);
}

#[test]
fn progress_reaches_the_file_size_and_sink_errors_stop() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let path = dir.join("AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx");
    let size = std::fs::metadata(&path).unwrap().len();
    let mut last = None;
    let mut calls = 0;
    ingest_file_with_progress(
        &path,
        &IngestOptions::default(),
        &mut |p| {
            assert!(p.bytes_done <= p.bytes_total);
            calls += 1;
            last = Some(p);
        },
        &mut |_| Ok::<(), Infallible>(()),
    )
    .unwrap();
    let last = last.unwrap();
    assert_eq!(last.bytes_done, size);
    assert_eq!(last.bytes_total, size);
    assert!(calls > 2);

    let mut seen = 0;
    let err = ingest_file(&path, &IngestOptions::default(), &mut |_| {
        seen += 1;
        if seen == 5 {
            Err("disk full".to_string())
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!(seen, 5);
    assert!(matches!(err, outpost_oslog::OsLogError::Sink(_)), "{err}");
}

/// The fast path (records turned into log records from their template and values, without
/// rendering JSON) gives exactly what the JSON path gives, on every record of the attack samples
/// and of SigmaHQ's regression data, and it handles most records (else it would be no faster).
#[test]
fn fast_path_matches_json_path_on_every_record() {
    let Some(dir) = common::attack_samples_dir() else {
        return;
    };
    let mut files = common::evtx_files(&dir);
    if let Some(reg) = outpost_testkit::shared("conformance/sigma-regression") {
        files.extend(common::evtx_files(&reg));
    }
    let (mut records, mut fast) = (0u64, 0u64);
    let mut mismatches = Vec::new();
    for f in &files {
        let c = outpost_oslog::evtx::check_fast_path(f)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        records += c.records;
        fast += c.fast;
        mismatches.extend(
            c.mismatches
                .into_iter()
                .map(|m| format!("{}: {m}", f.display())),
        );
    }
    println!(
        "{} files: {records} records, {fast} by the fast path",
        files.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(records >= 8_255, "{records}");
    assert!(
        fast * 10 >= records * 9,
        "fast path for {fast} of {records} records"
    );
}
