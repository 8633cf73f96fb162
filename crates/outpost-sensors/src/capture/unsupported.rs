//! The AF_PACKET ring outside Linux: opening it fails with [`CaptureError::Unsupported`], so
//! `[capture]` and `outpost agent capture` say so instead of crashing (`pcap` jobs still read a
//! directory written by another capture tool).

use super::pcap::RollingWriter;
use super::{CaptureError, Shared};

pub(super) struct Iface {
    pub linktype: u32,
}

pub(super) struct Ring {
    pub iface: Iface,
    never: std::convert::Infallible,
}

impl Ring {
    pub fn open(_iface_name: &str, _ring_mb: u32, _snaplen: u32) -> Result<Ring, CaptureError> {
        Err(CaptureError::Unsupported(std::env::consts::OS))
    }

    pub fn run(&self, _writer: &mut RollingWriter, _shared: &Shared) {
        match self.never {}
    }
}
