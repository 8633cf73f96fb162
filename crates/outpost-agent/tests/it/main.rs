//! The integration tests of `outpost-agent`, one test binary with a module per area (the
//! governor test is a binary of its own: it is also cross-built and run under Wine)
//! (one binary per crate keeps CI's link time and disk use down).

mod capture;
mod evtx_hits;
mod jobs_server;
