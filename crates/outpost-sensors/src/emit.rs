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

    /// For start-up inventories (not kernel readers): waits up to ~1 s for room in the channel
    /// before dropping (and counting), so that a burst of thousands of inventory events does not
    /// overflow it.
    pub fn emit_paced(&self, ev: Event) {
        let kind = ev.kind;
        let mut ev = ev;
        for _ in 0..100 {
            match self.tx.try_send(ev) {
                Ok(()) => {
                    self.shared.counters.event(kind);
                    return;
                }
                Err(TrySendError::Full(back)) if !self.stopped() => {
                    ev = back;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(TrySendError::Full(_)) => break,
                Err(TrySendError::Disconnected(_)) => {
                    self.shared.counters.drop(Drop::ReceiverGone, 1);
                    return;
                }
            }
        }
        self.shared.counters.drop(Drop::QueueFull, 1);
    }

    pub fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed)
    }

    pub fn count_drop(&self, d: Drop, n: u64) {
        self.shared.counters.drop(d, n);
    }
}

/// Events a reader thread produced during one read burst, handed to the channel together when
/// the burst ends (or `MAX` are waiting). A consumer blocked on the channel is then woken once
/// per burst instead of once per event, on both sides of the channel. Sending never blocks.
pub(crate) struct Batch {
    em: Emitter,
    events: Vec<Event>,
}

impl Batch {
    const MAX: usize = 256;

    pub fn new(em: Emitter) -> Self {
        Batch {
            em,
            events: Vec::new(),
        }
    }

    pub fn push(&mut self, ev: Event) {
        self.events.push(ev);
        if self.events.len() >= Self::MAX {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        for ev in self.events.drain(..) {
            self.em.emit(ev);
        }
    }
}
