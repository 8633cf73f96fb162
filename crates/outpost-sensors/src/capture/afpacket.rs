//! An AF_PACKET socket with a TPACKET_V3 receive ring, bound to one interface.
//!
//! The kernel fills blocks of the memory-mapped ring with packets and hands a block to user
//! space when it is full or `retire_blk_tov` (100 ms) has passed; the reader walks the block's
//! packets and returns it. The only socket filter is libpcap's one-instruction "accept, cut to
//! the snap length" program, so the kernel copies at most `snaplen` bytes per packet.

use std::ffi::c_int;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, Instant};

use super::pcap::RollingWriter;
use super::{CaptureError, Shared};

/// `TPACKET_V3` of `enum tpacket_versions`.
const TPACKET_V3: c_int = 2;
/// `SO_ATTACH_FILTER` (asm-generic/socket.h).
const SO_ATTACH_FILTER: c_int = 26;
/// `BPF_RET | BPF_K`.
const BPF_RET_K: u16 = 0x06;
const BLOCK_SIZE: usize = 1 << 20;
const FRAME_SIZE: usize = 2048;
const ARPHRD_ETHER: u32 = 1;
const ARPHRD_LOOPBACK: u32 = 772;
const ARPHRD_RAWIP: u32 = 519;
const ARPHRD_NONE: u32 = 65534;
const IFF_LOOPBACK: u32 = 0x8;
/// pcap link types.
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;

/// What sysfs says about an interface.
#[derive(Debug, Clone, Copy)]
pub(super) struct Iface {
    pub ifindex: c_int,
    pub linktype: u32,
    pub loopback: bool,
}

fn sysfs_num(iface: &str, what: &str) -> Result<u64, CaptureError> {
    let p = Path::new("/sys/class/net").join(iface).join(what);
    let s = std::fs::read_to_string(&p).map_err(|e| CaptureError::Interface {
        interface: iface.to_string(),
        reason: format!("cannot read {}: {e}", p.display()),
    })?;
    let s = s.trim();
    let v = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    v.map_err(|_| CaptureError::Interface {
        interface: iface.to_string(),
        reason: format!("unexpected {what} {s:?}"),
    })
}

/// Index, pcap link type and loopback flag of `iface`.
pub(super) fn interface(iface: &str) -> Result<Iface, CaptureError> {
    if iface.is_empty() || iface.len() >= 16 || iface.contains('/') || iface.starts_with('.') {
        return Err(CaptureError::Interface {
            interface: iface.to_string(),
            reason: "not an interface name".into(),
        });
    }
    let ifindex = c_int::try_from(sysfs_num(iface, "ifindex")?).unwrap_or(0);
    let hatype = u32::try_from(sysfs_num(iface, "type")?).unwrap_or(0);
    let flags = sysfs_num(iface, "flags")?;
    let linktype = match hatype {
        ARPHRD_ETHER | ARPHRD_LOOPBACK => LINKTYPE_ETHERNET,
        ARPHRD_NONE | ARPHRD_RAWIP => LINKTYPE_RAW,
        other => {
            return Err(CaptureError::Interface {
                interface: iface.to_string(),
                reason: format!(
                    "link type ARPHRD {other} is not supported (Ethernet, loopback and raw-IP interfaces are)"
                ),
            });
        }
    };
    Ok(Iface {
        ifindex,
        linktype,
        loopback: flags & u64::from(IFF_LOOPBACK) != 0,
    })
}

/// The socket and its mapped ring.
pub(super) struct Ring {
    fd: OwnedFd,
    map: *mut u8,
    map_len: usize,
    blocks: usize,
    pub iface: Iface,
}

// SAFETY: the mapping is owned by this value and only touched by the thread that owns it.
unsafe impl Send for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `map`/`map_len` are exactly what mmap returned; the fd closes afterwards.
        unsafe {
            libc::munmap(self.map.cast(), self.map_len);
        }
    }
}

fn os_err(what: &'static str) -> CaptureError {
    CaptureError::Socket {
        what,
        source: std::io::Error::last_os_error(),
    }
}

use crate::netlink::{owned_fd, setsockopt};

impl Ring {
    /// Opens the socket on `iface` with a ring of `ring_mb` one-MiB blocks.
    pub fn open(iface_name: &str, ring_mb: u32, snaplen: u32) -> Result<Ring, CaptureError> {
        let iface = interface(iface_name)?;
        // Protocol 0: nothing is queued before the ring is set up and the socket is bound.
        // SAFETY: plain syscall, which returns a new descriptor or -1.
        let fd = unsafe {
            owned_fd(libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                0,
            ))
        }
        .map_err(|source| CaptureError::Socket {
            what: "socket(AF_PACKET)",
            source,
        })?;
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, &TPACKET_V3).map_err(|source| {
            CaptureError::Socket {
                what: "PACKET_VERSION TPACKET_V3",
                source,
            }
        })?;
        let mut insn = [libc::sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: snaplen,
        }];
        let prog = libc::sock_fprog {
            len: 1,
            filter: insn.as_mut_ptr(),
        };
        if let Err(e) = setsockopt(&fd, libc::SOL_SOCKET, SO_ATTACH_FILTER, &prog) {
            // Only an optimisation: the writer cuts packets to the snap length anyway.
            tracing::warn!(error = %e, "cannot attach the snap-length filter; cutting in user space");
        }
        let blocks = ring_mb.max(1) as usize;
        let req = libc::tpacket_req3 {
            tp_block_size: BLOCK_SIZE as u32,
            tp_block_nr: blocks as u32,
            tp_frame_size: FRAME_SIZE as u32,
            tp_frame_nr: (BLOCK_SIZE / FRAME_SIZE * blocks) as u32,
            tp_retire_blk_tov: 100,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req).map_err(|source| {
            CaptureError::Socket {
                what: "PACKET_RX_RING",
                source,
            }
        })?;
        let map_len = BLOCK_SIZE * blocks;
        // SAFETY: maps the ring the kernel just allocated for this socket.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(os_err("mmap of the packet ring"));
        }
        let ring = Ring {
            fd,
            map: map.cast(),
            map_len,
            blocks,
            iface,
        };
        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = iface.ifindex;
        // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
        let r = unsafe {
            libc::bind(
                ring.fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(os_err("bind to the interface"));
        }
        Ok(ring)
    }

    /// Adds the kernel's counters since the last call (reading them resets them).
    pub fn kernel_stats(&self, shared: &Shared) {
        // SAFETY: all-zero is a valid tpacket_stats_v3.
        let mut st: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: `st` is writable for `len` bytes.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        if r == 0 {
            // TPACKET_V3's tp_packets includes the drops.
            shared
                .kernel_packets
                .fetch_add(u64::from(st.tp_packets), Ordering::Relaxed);
            shared
                .kernel_drops
                .fetch_add(u64::from(st.tp_drops), Ordering::Relaxed);
            shared
                .ring_freezes
                .fetch_add(u64::from(st.tp_freeze_q_cnt), Ordering::Relaxed);
        }
    }

    fn wait(&self, timeout: Duration) {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN | libc::POLLERR,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe {
            libc::poll(&mut p, 1, timeout.as_millis() as c_int);
        }
    }

    /// Reads packets into `writer` until `shared.stop` is set.
    pub fn run(&self, writer: &mut RollingWriter, shared: &Shared) {
        let mut idx = 0usize;
        let mut next_stats = Instant::now() + Duration::from_secs(1);
        let mut failing = false;
        while !shared.stop.load(Ordering::Relaxed) {
            if Instant::now() >= next_stats {
                self.kernel_stats(shared);
                next_stats = Instant::now() + Duration::from_secs(1);
            }
            // SAFETY: idx < blocks, so the block lies inside the mapping.
            let block = unsafe { self.map.add(idx * BLOCK_SIZE) };
            let desc = block.cast::<libc::tpacket_block_desc>();
            // SAFETY: the descriptor is at the start of the block; the kernel writes
            // block_status last, so it is read volatile and followed by an acquire fence.
            let status = unsafe {
                std::ptr::read_volatile(std::ptr::addr_of!((*desc).hdr.bh1.block_status))
            };
            if status & libc::TP_STATUS_USER == 0 {
                if let Err(e) = writer.tick(shared) {
                    tracing::warn!(error = %e, "capture file rotation failed");
                }
                self.wait(Duration::from_millis(100));
                continue;
            }
            fence(Ordering::Acquire);
            // SAFETY: the block is ours until block_status is set back to TP_STATUS_KERNEL.
            let bh = unsafe { std::ptr::read_unaligned(std::ptr::addr_of!((*desc).hdr.bh1)) };
            self.walk_block(block, &bh, writer, shared, &mut failing);
            fence(Ordering::Release);
            // SAFETY: hands the block back to the kernel.
            unsafe {
                std::ptr::write_volatile(
                    std::ptr::addr_of_mut!((*desc).hdr.bh1.block_status),
                    libc::TP_STATUS_KERNEL,
                );
            }
            idx = (idx + 1) % self.blocks;
            if let Err(e) = writer.flush() {
                tracing::warn!(error = %e, "capture flush failed");
            }
        }
        self.kernel_stats(shared);
    }

    fn walk_block(
        &self,
        block: *mut u8,
        bh: &libc::tpacket_hdr_v1,
        writer: &mut RollingWriter,
        shared: &Shared,
        failing: &mut bool,
    ) {
        let hdr_len = std::mem::size_of::<libc::tpacket3_hdr>();
        let sll_off = hdr_len.div_ceil(16) * 16;
        let mut off = bh.offset_to_first_pkt as usize;
        for i in 0..bh.num_pkts {
            if off + sll_off + std::mem::size_of::<libc::sockaddr_ll>() > BLOCK_SIZE {
                shared
                    .malformed
                    .fetch_add(u64::from(bh.num_pkts - i), Ordering::Relaxed);
                return;
            }
            // SAFETY: bounds checked above; the kernel wrote a tpacket3_hdr and a sockaddr_ll
            // at this offset.
            let (h, sll) = unsafe {
                (
                    std::ptr::read_unaligned(block.add(off).cast::<libc::tpacket3_hdr>()),
                    std::ptr::read_unaligned(block.add(off + sll_off).cast::<libc::sockaddr_ll>()),
                )
            };
            let start = off + usize::from(h.tp_mac);
            let len = h.tp_snaplen as usize;
            if start + len > BLOCK_SIZE {
                shared
                    .malformed
                    .fetch_add(u64::from(bh.num_pkts - i), Ordering::Relaxed);
                return;
            }
            // On a loopback interface every packet passes the tap twice: once going out
            // (PACKET_OUTGOING) and once coming back in. Like libpcap, keep the incoming copy.
            if self.iface.loopback && sll.sll_pkttype == libc::PACKET_OUTGOING {
                shared.loopback_duplicates.fetch_add(1, Ordering::Relaxed);
            } else {
                // SAFETY: bounds checked above.
                let data = unsafe { std::slice::from_raw_parts(block.add(start), len) };
                let ts = Duration::new(u64::from(h.tp_sec), h.tp_nsec.min(999_999_999));
                match writer.write(shared, ts, h.tp_len, data) {
                    Ok(()) => *failing = false,
                    Err(e) => {
                        shared.write_drops.fetch_add(1, Ordering::Relaxed);
                        if !*failing {
                            tracing::error!(error = %e, "cannot write captured packets; dropping (counted)");
                        }
                        *failing = true;
                    }
                }
            }
            if h.tp_next_offset == 0 {
                if i + 1 < bh.num_pkts {
                    shared
                        .malformed
                        .fetch_add(u64::from(bh.num_pkts - i - 1), Ordering::Relaxed);
                }
                return;
            }
            off += h.tp_next_offset as usize;
        }
    }
}
