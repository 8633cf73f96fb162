//! Many datagrams per system call: `recvmmsg(2)` into the slots of one buffer.
//!
//! The proc connector and the DNS tap receive one small datagram per event; a `recv` each was
//! most of their threads' kernel time (~170 calls a second each under the footprint workload).
//! One `recvmmsg` takes everything queued, up to the number of slots.

use std::ffi::c_int;
use std::io;
use std::os::fd::RawFd;

/// The slots' memory: an anonymous mapping whose pages become resident only as datagrams are
/// written into them (a slot sized for the largest datagram costs a page for a small one), or,
/// if the mapping fails, the heap.
enum Storage {
    Mapped(*mut u8, usize),
    Heap(Vec<u8>),
}

/// Up to `slots` datagrams of at most `slot_len` bytes each (longer ones are cut and flagged),
/// with the sender's address of each (`sockaddr_ll` for a packet socket).
pub(crate) struct RecvBatch {
    storage: Storage,
    slot_len: usize,
    lens: Vec<usize>,
    truncated: Vec<bool>,
    addrs: Vec<libc::sockaddr_ll>,
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

// SAFETY: the mapping and the pointers in `iovs`/`hdrs` point into memory this value owns;
// they are rebuilt before every call and only used through `&mut self`.
unsafe impl Send for RecvBatch {}

impl Drop for RecvBatch {
    fn drop(&mut self) {
        if let Storage::Mapped(p, len) = self.storage {
            // SAFETY: exactly the mapping `new` made; nothing refers to it any more.
            unsafe { libc::munmap(p.cast(), len) };
        }
    }
}

impl RecvBatch {
    pub fn new(slots: usize, slot_len: usize) -> RecvBatch {
        let slots = slots.max(1);
        let len = slots * slot_len;
        // SAFETY: a fresh private anonymous mapping; the result is checked.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        let storage = if p == libc::MAP_FAILED {
            Storage::Heap(vec![0u8; len])
        } else {
            Storage::Mapped(p.cast(), len)
        };
        RecvBatch {
            storage,
            slot_len,
            lens: vec![0; slots],
            truncated: vec![false; slots],
            // SAFETY: all-zero is a valid sockaddr_ll.
            addrs: vec![unsafe { std::mem::zeroed() }; slots],
            iovs: Vec::with_capacity(slots),
            hdrs: Vec::with_capacity(slots),
        }
    }

    fn base(&mut self) -> *mut u8 {
        match &mut self.storage {
            Storage::Mapped(p, _) => *p,
            Storage::Heap(v) => v.as_mut_ptr(),
        }
    }

    /// One `recvmmsg(2)` on `fd` with `flags` (`MSG_DONTWAIT`, or `MSG_WAITFORONE` to block
    /// for the first datagram as the socket's timeout allows and take what else is queued):
    /// how many datagrams [`RecvBatch::get`] now holds.
    pub fn recv(&mut self, fd: RawFd, flags: c_int) -> io::Result<usize> {
        let slots = self.lens.len();
        let base = self.base();
        self.iovs.clear();
        self.hdrs.clear();
        for i in 0..slots {
            self.iovs.push(libc::iovec {
                // SAFETY: slot `i` lies inside the storage (slots * slot_len bytes).
                iov_base: unsafe { base.add(i * self.slot_len) }.cast(),
                iov_len: self.slot_len,
            });
        }
        for i in 0..slots {
            // SAFETY: all-zero is a valid msghdr.
            let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
            h.msg_name = (&raw mut self.addrs[i]).cast();
            h.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            h.msg_iov = &raw mut self.iovs[i];
            h.msg_iovlen = 1;
            self.hdrs.push(libc::mmsghdr {
                msg_hdr: h,
                msg_len: 0,
            });
        }
        // SAFETY: `hdrs` holds `slots` headers whose buffers and addresses are owned by self
        // and stay in place for the call.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                slots as libc::c_uint,
                // glibc declares the flags `int`, musl `unsigned int`.
                flags as _,
                std::ptr::null_mut(),
            )
        };
        let Ok(n) = usize::try_from(n) else {
            return Err(io::Error::last_os_error());
        };
        for (i, h) in self.hdrs.iter().take(n).enumerate() {
            self.lens[i] = (h.msg_len as usize).min(self.slot_len);
            self.truncated[i] = h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
        }
        Ok(n)
    }

    /// Datagram `i` of the last [`RecvBatch::recv`], whether it was cut to the slot's length,
    /// and its sender's address.
    pub fn get(&self, i: usize) -> (&[u8], bool, &libc::sockaddr_ll) {
        let base = match &self.storage {
            Storage::Mapped(p, _) => p.cast_const(),
            Storage::Heap(v) => v.as_ptr(),
        };
        let i = i.min(self.lens.len() - 1);
        // SAFETY: slot `i` lies inside the storage and its first `lens[i]` bytes were written
        // by the kernel (or zeroed at creation).
        let data = unsafe { std::slice::from_raw_parts(base.add(i * self.slot_len), self.lens[i]) };
        (data, self.truncated[i], &self.addrs[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// Everything queued comes in one call, in order; a datagram longer than its slot is cut
    /// and flagged; an empty queue is `WouldBlock`.
    #[test]
    fn takes_all_queued_datagrams_in_one_call() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..5u8 {
            tx.send_to(&[i; 10], rx.local_addr().unwrap()).unwrap();
        }
        tx.send_to(&[9; 300], rx.local_addr().unwrap()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut b = RecvBatch::new(4, 256);
        let fd = rx.as_raw_fd();
        assert_eq!(b.recv(fd, libc::MSG_DONTWAIT).unwrap(), 4);
        for i in 0..4u8 {
            assert_eq!(b.get(usize::from(i)).0, &[i; 10][..]);
            assert!(!b.get(usize::from(i)).1);
        }
        assert_eq!(b.recv(fd, libc::MSG_DONTWAIT).unwrap(), 2);
        assert_eq!(b.get(0).0, &[4; 10][..]);
        assert_eq!(b.get(1).0, &[9; 256][..]);
        assert!(b.get(1).1, "cut to the slot and flagged");
        let e = b.recv(fd, libc::MSG_DONTWAIT).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
}
