//! A minimal raw netlink socket and message splitter (enough for the proc connector and
//! sock_diag), on top of libc.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;

/// A bound netlink socket.
pub struct NlSocket {
    fd: OwnedFd,
}

impl NlSocket {
    /// Opens a `protocol` socket bound to the multicast `groups` bitmask.
    pub fn open(protocol: i32, groups: u32) -> io::Result<Self> {
        // SAFETY: plain socket(2) call, which returns a new descriptor or -1.
        let fd = unsafe {
            owned_fd(libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                protocol,
            ))
        }?;
        // SAFETY: sockaddr_nl is plain old data; all-zero is a valid value.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as u16;
        sa.nl_groups = groups;
        // SAFETY: sa is a valid sockaddr_nl and the length matches it.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(NlSocket { fd })
    }

    /// Sends one datagram to the kernel.
    pub fn send(&self, buf: &[u8]) -> io::Result<()> {
        // SAFETY: all-zero sockaddr_nl addresses the kernel (nl_pid 0).
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as u16;
        // SAFETY: buf is valid for buf.len() bytes; sa is a valid address of the given length.
        let rc = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                0,
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Receives one datagram (at most `buf.len()` bytes).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: buf is valid and writable for buf.len() bytes.
        let rc = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc as usize)
    }

    /// Receives the datagrams waiting, up to `b`'s slots, in one call; with `wait`, blocks for
    /// the first one (up to the socket's timeout).
    pub fn recv_batch(
        &self,
        b: &mut crate::recv_batch::RecvBatch,
        wait: bool,
    ) -> io::Result<usize> {
        let flags = if wait {
            libc::MSG_WAITFORONE
        } else {
            libc::MSG_DONTWAIT
        };
        b.recv(self.fd.as_raw_fd(), flags)
    }

    /// Asks for a receive buffer of `bytes` (forced past rmem_max when privileged).
    pub fn set_rcvbuf(&self, bytes: i32) {
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            if setsockopt(&self.fd, libc::SOL_SOCKET, opt, &bytes).is_ok() {
                return;
            }
        }
    }

    /// Makes `recv` return `WouldBlock`/`TimedOut` after `d` without data.
    pub fn set_timeout(&self, d: Duration) -> io::Result<()> {
        // Converted into whatever the libc declares (musl deprecates naming its types).
        let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
        let tv = libc::timeval {
            tv_sec: d.as_secs().try_into().map_err(|_| invalid())?,
            tv_usec: d.subsec_micros().try_into().map_err(|_| invalid())?,
        };
        setsockopt(&self.fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)
    }

    /// Attaches a classic BPF socket filter: the kernel drops the datagrams it rejects before
    /// they are queued, so they cost this process neither a wakeup nor a copy.
    pub fn attach_filter(&self, prog: &[libc::sock_filter]) -> io::Result<()> {
        let fprog = libc::sock_fprog {
            len: u16::try_from(prog.len())
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
            filter: prog.as_ptr().cast_mut(),
        };
        // `fprog` points to `prog`, which outlives the call (the kernel copies it).
        setsockopt(&self.fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog)
    }

    /// Bytes waiting in the receive queue.
    pub fn pending(&self) -> u64 {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int to the pointer we pass.
        let rc = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::FIONREAD, &mut n) };
        if rc < 0 { 0 } else { n.max(0) as u64 }
    }
}

/// Builds a netlink message: header (type, flags, seq, our pid) + payload.
pub fn nlmsg(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + payload.len();
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&(len as u32).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&std::process::id().to_ne_bytes());
    v.extend_from_slice(payload);
    v
}

/// One netlink message of a datagram.
#[derive(Debug, PartialEq, Eq)]
pub struct NlMsg<'a> {
    pub kind: u16,
    pub payload: &'a [u8],
}

/// Splits a datagram into messages; stops at the first malformed header.
pub fn split(mut buf: &[u8]) -> impl Iterator<Item = NlMsg<'_>> {
    std::iter::from_fn(move || {
        if buf.len() < NLMSG_HDRLEN {
            return None;
        }
        let len = u32::from_ne_bytes(buf[0..4].try_into().ok()?) as usize;
        let kind = u16::from_ne_bytes(buf[4..6].try_into().ok()?);
        if len < NLMSG_HDRLEN || len > buf.len() {
            buf = &[];
            return None;
        }
        let payload = &buf[NLMSG_HDRLEN..len];
        let aligned = (len + 3) & !3;
        buf = buf.get(aligned..).unwrap_or(&[]);
        Some(NlMsg { kind, payload })
    })
}

/// Reads a native-endian u32 at `off`.
pub fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// Reads a native-endian u64 at `off`.
pub fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// The result of a call that creates a descriptor (`socket(2)`, `inotify_init1(2)`, …) as an
/// owned descriptor, or the call's OS error when it returned a negative value.
///
/// # Safety
/// `raw` is what such a call just returned: a new descriptor nobody else owns, or -1.
pub(crate) unsafe fn owned_fd(raw: std::ffi::c_int) -> io::Result<OwnedFd> {
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor owned by nobody else (the caller's promise).
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// `setsockopt(2)` with the option value `v` (its size is `T`'s).
pub(crate) fn setsockopt<T>(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    v: &T,
) -> io::Result<()> {
    // SAFETY: `v` points to a live T of the size passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (v as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A classic BPF interpreter for the socket filters' tests: the opcodes the filters use, with
/// the kernel's semantics (absolute loads big-endian, a load past the packet's end returns
/// 0 = drop; the `SKF_AD_*` ancillary loads of the protocol and packet type).
#[cfg(test)]
pub(crate) fn run_cbpf(prog: &[libc::sock_filter], pkt: &[u8], ethertype: u16, pkttype: u8) -> u32 {
    const SKF_AD_OFF: u32 = 0xffff_f000;
    let (mut a, mut x, mut pc, mut mem) = (0u32, 0u32, 0usize, [0u32; 16]);
    let load = |off: usize, size: usize| -> Option<u32> {
        let b = pkt.get(off..off.checked_add(size)?)?;
        Some(b.iter().fold(0u32, |v, byte| (v << 8) | u32::from(*byte)))
    };
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let k = i.k as usize;
        let loaded = match i.code {
            0x20 if i.k == SKF_AD_OFF => Some(u32::from(ethertype)),
            0x20 if i.k == SKF_AD_OFF + 4 => Some(u32::from(pkttype)),
            0x20 => load(k, 4),
            0x28 => load(k, 2),
            0x30 => load(k, 1),
            0x48 => load(x as usize + k, 2),
            0xb1 => {
                match load(k, 1) {
                    Some(b) => x = (b & 0xf) * 4,
                    None => return 0,
                }
                continue;
            }
            _ => None,
        };
        match i.code {
            0x20 | 0x28 | 0x30 | 0x48 => match loaded {
                Some(v) => a = v,
                None => return 0,
            },
            0x02 => mem[k] = a,
            0x60 => a = mem[k],
            0x07 => x = a,
            0x05 => pc += k,
            0x15 | 0x1d | 0x45 => {
                let v = if i.code == 0x1d { x } else { i.k };
                let hit = if i.code == 0x45 { a & v != 0 } else { a == v };
                pc += usize::from(if hit { i.jt } else { i.jf });
            }
            0x06 => return i.k,
            c => panic!("opcode {c:#x}"),
        }
    }
    panic!("fell off the program")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_two_messages() {
        let mut d = nlmsg(20, 0, 1, &[1, 2, 3]);
        d.push(0); // padding to 4
        d.extend(nlmsg(NLMSG_DONE, 0, 1, &[0; 4]));
        let v: Vec<_> = split(&d).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0],
            NlMsg {
                kind: 20,
                payload: &[1, 2, 3]
            }
        );
        assert_eq!(v[1].kind, NLMSG_DONE);
    }

    proptest! {
        #[test]
        fn split_never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            for m in split(&b) { prop_assert!(m.payload.len() <= b.len()); }
        }
    }
}
