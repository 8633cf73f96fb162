//! Windows Filtering Platform events from a real EVTX file become grouped hits: ingest
//! `DE_RDP_Tunnel_5156.evtx` into the buffer, put one remote address of that file on a hotlist,
//! correlate, and compare the group with the events themselves.

use outpost_agent::buffer;
use outpost_agent::correlate::scan;
use outpost_intel::Hotlist;

#[test]
fn wfp_5156_remote_address_on_hotlist_yields_the_grouped_hit() {
    let Some(file) = outpost_testkit::shared(outpost_testkit::RDP_TUNNEL_5156) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();

    let stats = outpost_agent::ingest::ingest_files(
        d.path(),
        std::slice::from_ref(&file),
        &Default::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(stats.records_read, 101);
    assert_eq!(stats.malformed, 0);

    // The same events, read independently, tell what the group must be.
    let mut events = Vec::new();
    outpost_oslog::ingest_file(&file, &Default::default(), &mut |e| {
        events.push(e);
        Ok::<_, std::io::Error>(())
    })
    .unwrap();
    let target: std::net::IpAddr = "10.0.2.18".parse().unwrap();
    let matching: Vec<_> = events
        .iter()
        .filter(|e| e.remote_ip() == Some(target) && e.process_name() == Some("plink.exe"))
        .collect();
    assert!(!matching.is_empty());
    let other_processes: std::collections::BTreeSet<_> = events
        .iter()
        .filter(|e| e.remote_ip() == Some(target))
        .filter_map(|e| e.process_name())
        .collect();

    let list = d.path().join("hot.txt");
    std::fs::write(&list, "# test\n10.0.2.18\n").unwrap();
    let hotlist = Hotlist::from_path(&list).unwrap();
    let pending = buffer::pending(d.path(), None).unwrap();
    let result = scan(&pending, &hotlist, 5).unwrap();

    assert_eq!(result.stats.lines, 101);
    assert_eq!(result.stats.malformed, 0);
    let names: std::collections::BTreeSet<_> = result
        .groups
        .iter()
        .map(|g| g.process_name.as_str())
        .collect();
    assert_eq!(
        names, other_processes,
        "one group per process talking to the listed address"
    );
    let g = result
        .groups
        .iter()
        .find(|g| g.process_name == "plink.exe")
        .unwrap();
    let first = matching.iter().min_by_key(|e| e.ts).unwrap();
    assert_eq!(g.remote_ip, Some(target));
    assert_eq!(g.count, matching.len() as u64);
    assert_eq!(g.first_seen, first.ts);
    assert_eq!(g.last_seen, matching.iter().map(|e| e.ts).max().unwrap());
    assert_eq!(g.pid, Some(3324));
    assert_eq!(g.remote_port, Some(80));
    assert_eq!(
        g.exe_path.as_deref(),
        Some(r"\device\harddiskvolume1\users\user01\desktop\plink.exe")
    );
    assert_eq!(g.direction, outpost_core::Direction::Outbound);
    assert_eq!(g.intel.indicator, "10.0.2.18/32");
    assert_eq!(g.samples.len(), matching.len().min(5));
}
