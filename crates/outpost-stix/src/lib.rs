//! STIX 2.1 for Outpost.
//!
//! * [`model`]: import and export of STIX bundles (indicator, observed-data, sighting,
//!   relationship, attack-pattern, intrusion-set, identity; every other object is kept as raw
//!   JSON so nothing is lost on a round trip), with errors that name the object and field.
//! * [`attack`]: attack models, the graph of intrusion sets, attack patterns (steps, in order)
//!   and indicators a bundle describes.
//! * [`pattern`]: a hand-written parser and evaluator for the full STIX 2.1 patterning
//!   language, checked against the 423 cases of the OASIS reference matcher's test suite.
//! * [`observation`]: observed-data objects with their cyber observables, as patterns see them.
//! * [`observables`]: Outpost [`outpost_core::Event`]s mapped to STIX cyber observables, so live
//!   events can be matched against indicator patterns.
//! * [`sighting`]: a match turned into a STIX sighting of the indicator.
//! * `cli` (feature `cli`): `outpost intel stix-match`.

pub mod attack;
#[cfg(feature = "cli")]
pub mod cli;
pub mod model;
pub mod observables;
pub mod observation;
pub mod pattern;
pub mod sighting;

pub use model::{Bundle, IdPolicy, ImportError, Indicator, StixObject};
pub use observables::observation_from_event;
pub use observation::{Observation, ObservationError, observations_from_json};
pub use pattern::{Pattern, PatternError, PatternMatch, SimpleIoc};
pub use sighting::sighting_for;
