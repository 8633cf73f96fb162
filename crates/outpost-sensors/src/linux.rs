//! The live collectors on Linux: their shared state (the stop eventfd, counters, process
//! table), [`Sensors`] and [`start`].

use crate::counters::Counters;
use crate::emit::Emitter;
use crate::{Capabilities, SensorConfig, SensorCounters, SensorError};
use crate::{dns_sensor, fanotify, fim, net, proc_connector, process, users};
use outpost_core::Event;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Shared state of the running sensors.
pub(crate) struct Shared {
    pub stop: AtomicBool,
    /// An eventfd that becomes readable when the sensors stop, so that a reader blocked in
    /// poll(2) can sleep long while idle and still stop at once (`None` if eventfd failed:
    /// readers then notice `stop` at their next timeout).
    pub stop_fd: Option<std::os::fd::OwnedFd>,
    pub counters: Counters,
    pub procs: Mutex<process::ProcessTable>,
    pub users: users::Users,
}

impl Shared {
    /// Waits up to `timeout` until `fd` is readable or the sensors stop; whether `fd` is
    /// readable.
    pub fn wait_readable(&self, fd: std::os::fd::RawFd, timeout: std::time::Duration) -> bool {
        use std::os::fd::AsRawFd;
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                // poll(2) ignores a negative descriptor.
                fd: self.stop_fd.as_ref().map_or(-1, |f| f.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is an array of two valid pollfd structures.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        r > 0 && fds[0].revents & libc::POLLIN != 0
    }

    fn signal_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(f) = &self.stop_fd {
            use std::os::fd::AsRawFd;
            let one: u64 = 1;
            // SAFETY: writes the 8 bytes of `one` to an eventfd we own; a failure (counter
            // full) still leaves it readable, which is all the readers need.
            unsafe { libc::write(f.as_raw_fd(), (&raw const one).cast(), 8) };
        }
    }
}

/// A non-blocking eventfd, or `None` when the kernel refuses one.
fn eventfd() -> Option<std::os::fd::OwnedFd> {
    // SAFETY: eventfd takes no pointers and returns a new descriptor or -1.
    unsafe { crate::netlink::owned_fd(libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)) }
        .ok()
}

/// The running sensors. Dropping it without [`Sensors::stop`] leaves the threads running until the
/// receiver is dropped and the process exits; call `stop` for an orderly shutdown.
pub struct Sensors {
    shared: Arc<Shared>,
    caps: Capabilities,
    threads: Vec<JoinHandle<()>>,
    stoppers: Vec<Box<dyn FnOnce() + Send>>,
}

impl Sensors {
    /// A snapshot of the counters (events by kind, drops by reason, queue depths, lost kernel
    /// events, cache sizes).
    pub fn counters(&self) -> SensorCounters {
        let procs = self
            .shared
            .procs
            .lock()
            .map(|p| p.stats())
            .unwrap_or_default();
        self.shared.counters.snapshot(procs)
    }

    /// What runs, with which mechanism, and what cannot be seen.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Stops every collector, persists the file baseline and joins the threads (within ~0.5 s).
    pub fn stop(self) {
        self.shared.signal_stop();
        for s in self.stoppers {
            s();
        }
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Starts every enabled collector. Events go to `tx`; when it is full they are dropped and
/// counted, never waited for. Returns an error only when the configuration is invalid or nothing
/// at all can run; partial failures are reported in [`Sensors::capabilities`].
pub fn start(config: SensorConfig, tx: SyncSender<Event>) -> Result<Sensors, SensorError> {
    config.validate()?;
    let shared = Arc::new(Shared {
        stop: AtomicBool::new(false),
        stop_fd: eventfd(),
        counters: Counters::default(),
        procs: Mutex::new(process::ProcessTable::new(
            &config.processes,
            &config.containers,
        )),
        users: users::Users::load(),
    });
    let emitter = Emitter::new(tx, Arc::clone(&shared));
    let mut caps = Capabilities::default();
    let mut threads = Vec::new();
    let mut stoppers: Vec<Box<dyn FnOnce() + Send>> = Vec::new();

    // Files first: container starts found by the process collector are forwarded to it.
    let (fim_tx, fim_rx) = std::sync::mpsc::sync_channel::<fim::ContainerNote>(256);
    let fim_started = fim::start(&config, emitter.clone(), fim_rx, &mut caps)?;
    if let Some(t) = fim_started {
        threads.push(t);
    }
    if let Some(t) = fanotify::start(&config, emitter.clone(), &mut caps)? {
        threads.push(t);
    }
    if let Some(t) = proc_connector::start(&config, emitter.clone(), fim_tx, &mut caps)? {
        threads.push(t);
    }
    let mut net_started = net::start(&config, emitter.clone(), &mut caps)?;
    threads.extend(net_started.threads);
    stoppers.extend(net_started.stoppers);
    let (owners, no_owners) = match net_started.dns_owners.take() {
        Some(Ok(f)) => (Some(f), None),
        Some(Err(why)) => (None, Some(why)),
        None => (None, Some("no eBPF sensor".to_string())),
    };
    if let Some(t) = dns_sensor::start(&config, emitter.clone(), owners, no_owners, &mut caps) {
        threads.push(t);
    }

    if threads.is_empty() {
        let why = caps
            .collectors
            .iter()
            .filter_map(|(k, v)| v.note.as_ref().map(|n| format!("{k}: {n}")))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SensorError::NothingRuns(why));
    }
    Ok(Sensors {
        shared,
        caps,
        threads,
        stoppers,
    })
}
