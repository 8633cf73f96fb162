//! Property tests of the disk queue: random append / read / ack / restart sequences never
//! lose or reorder unacknowledged records; the size cap drops only the oldest records and
//! counts them; a torn tail is truncated on open.

use outpost_outputs::queue::{DiskQueue, QueueLimits};
use proptest::prelude::*;
use std::collections::VecDeque;

#[derive(Debug, Clone)]
enum Op {
    Append(usize),
    Read(usize),
    AckRead(usize),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0usize..600).prop_map(Op::Append),
        3 => (1usize..20).prop_map(Op::Read),
        2 => (0usize..20).prop_map(Op::AckRead),
        1 => Just(Op::Restart),
    ]
}

fn payload(id: u64, len: usize) -> Vec<u8> {
    let mut p = id.to_le_bytes().to_vec();
    p.extend(std::iter::repeat_n((id % 251) as u8, len));
    p
}

fn limits(max_bytes: u64) -> QueueLimits {
    QueueLimits {
        max_bytes,
        segment_bytes: 4096,
        fsync: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_loss_no_reorder(ops in proptest::collection::vec(op(), 1..150)) {
        let dir = tempfile::tempdir().unwrap();
        let mut q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
        // (seq, payload) of every unacknowledged record, in order.
        let mut unacked: VecDeque<(u64, Vec<u8>)> = VecDeque::new();
        let mut read_pos = 0usize;
        let mut next_id = 0u64;
        for op in ops {
            match op {
                Op::Append(len) => {
                    let p = payload(next_id, len);
                    next_id += 1;
                    let dropped = q.append(&p).unwrap();
                    prop_assert_eq!(dropped, 0);
                    // Sequence numbers are dense and survive restarts.
                    unacked.push_back((next_id - 1, p));
                }
                Op::Read(n) => {
                    let got = q.read_batch(n, usize::MAX).unwrap();
                    let want: Vec<_> = unacked.iter().skip(read_pos).take(n).cloned().collect();
                    prop_assert_eq!(got.len(), want.len());
                    for (g, (seq, p)) in got.iter().zip(want.iter()) {
                        prop_assert_eq!(&g.payload, p);
                        prop_assert_eq!(g.seq, *seq);
                    }
                    read_pos += got.len();
                }
                Op::AckRead(k) => {
                    let k = k.min(read_pos);
                    if k > 0 {
                        let up_to = unacked[k - 1].0 + 1;
                        q.ack(up_to).unwrap();
                        unacked.drain(..k);
                        read_pos -= k;
                    }
                }
                Op::Restart => {
                    drop(q);
                    q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
                    read_pos = 0;
                }
            }
            prop_assert_eq!(q.depth(), unacked.len() as u64);
        }
        // After a final restart every unacknowledged record comes back, in order.
        drop(q);
        let q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
        let all = q.read_batch(usize::MAX, usize::MAX).unwrap();
        prop_assert_eq!(all.len(), unacked.len());
        for (g, (seq, p)) in all.iter().zip(unacked.iter()) {
            prop_assert_eq!(&g.payload, p);
            prop_assert_eq!(g.seq, *seq);
        }
    }

    #[test]
    fn cap_drops_oldest_only_and_counts(
        lens in proptest::collection::vec(0usize..2000, 1..300),
        restart_every in 5usize..50,
        ack_every in 3usize..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let cap = 64 * 1024;
        let mut q = DiskQueue::open(dir.path(), limits(cap)).unwrap();
        let mut dropped_total = 0u64;
        let mut acked_ids = 0u64; // records acknowledged via reads
        for (i, len) in lens.iter().enumerate() {
            dropped_total += q.append(&payload(i as u64, *len)).unwrap();
            prop_assert!(q.bytes() <= cap, "queue over its cap: {}", q.bytes());
            if i % ack_every == 0 {
                let got = q.read_batch(3, usize::MAX).unwrap();
                if let Some(last) = got.last() {
                    q.ack(last.seq + 1).unwrap();
                    acked_ids += got.len() as u64;
                }
            }
            if i % restart_every == 0 {
                drop(q);
                q = DiskQueue::open(dir.path(), limits(cap)).unwrap();
            }
        }
        drop(q);
        let q = DiskQueue::open(dir.path(), limits(cap)).unwrap();
        let rest = q.read_batch(usize::MAX, usize::MAX).unwrap();
        // Ids left are strictly increasing and end with the last appended record.
        let ids: Vec<u64> = rest
            .iter()
            .map(|r| u64::from_le_bytes(r.payload[..8].try_into().unwrap()))
            .collect();
        prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "reordered: {:?}", ids);
        if let Some(&first) = ids.first() {
            // Acks and drops both take the oldest records, so what is left is a contiguous
            // suffix ending with the last appended record.
            prop_assert_eq!(ids.last().copied(), Some(lens.len() as u64 - 1));
            prop_assert_eq!(ids.len() as u64, lens.len() as u64 - first);
        }
        // Every record is accounted for: acknowledged, dropped (counted) or still queued.
        prop_assert_eq!(acked_ids + dropped_total + ids.len() as u64, lens.len() as u64);
    }
}

/// A queue directory with `n` records of `size` bytes appended and the queue closed; the path
/// of its last segment file.
fn closed_queue(n: u64, size: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
    for i in 0..n {
        q.append(&payload(i, size)).unwrap();
    }
    drop(q);
    let seg = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .max()
        .unwrap();
    (dir, seg)
}

#[test]
fn torn_tail_is_truncated_and_counted() {
    let (dir, seg) = closed_queue(10, 100);
    // Cut the last record in half, as a crash in the middle of a write would.
    let len = std::fs::metadata(&seg).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(len - 50).unwrap();
    drop(f);
    let q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
    assert_eq!(q.dropped(), 1);
    let got = q.read_batch(100, usize::MAX).unwrap();
    assert_eq!(got.len(), 9);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.payload, payload(i as u64, 100));
    }
    // Appending after recovery continues cleanly.
    q.append(&payload(99, 5)).unwrap();
    drop(q);
    let q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
    assert_eq!(q.dropped(), 0);
    let got = q.read_batch(100, usize::MAX).unwrap();
    assert_eq!(got.len(), 10);
    assert_eq!(got[9].payload, payload(99, 5));
}

#[test]
fn corrupt_record_detected_by_crc() {
    let (dir, seg) = closed_queue(3, 10);
    let mut bytes = std::fs::read(&seg).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff; // flip a payload byte of the third record
    std::fs::write(&seg, bytes).unwrap();
    let q = DiskQueue::open(dir.path(), limits(1 << 30)).unwrap();
    let got = q.read_batch(10, usize::MAX).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(q.dropped(), 1);
}
