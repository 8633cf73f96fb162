//! The integration tests of `outpost-hunt`, one test binary with a module per area
//! (one binary per crate keeps CI's link time and disk use down).

mod common;
mod sigma_regression;
mod sigmahq;
