//! The non-blocking path from the collectors to the caller's channel.

use crate::Shared;
use crate::counters::Drop;
use outpost_core::Event;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};

/// A cloneable handle every collector thread sends through.
#[derive(Clone)]
pub(crate) struct Emitter {
    tx: SyncSender<Event>,
    pub shared: Arc<Shared>,
}

impl Emitter {
    pub fn new(tx: SyncSender<Event>, shared: Arc<Shared>) -> Self {
        Emitter { tx, shared }
    }

    /// Sends without ever blocking; a full or closed channel drops the event and counts it.
    pub fn emit(&self, ev: Event) {
        let kind = ev.kind;
        match self.tx.try_send(ev) {
            Ok(()) => self.shared.counters.event(kind),
            Err(TrySendError::Full(_)) => self.shared.counters.drop(Drop::QueueFull, 1),
            Err(TrySendError::Disconnected(_)) => self.shared.counters.drop(Drop::ReceiverGone, 1),
        }
    }

    pub fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
    }

    pub fn count_drop(&self, d: Drop, n: u64) {
        self.shared.counters.drop(d, n);
    }
}
