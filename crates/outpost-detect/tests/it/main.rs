//! The integration tests of `outpost-detect`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod index_equivalence;
mod linux_live;
mod props;
mod sigma_evtx_golden;
mod sigma_unsupported;
