//! Plans: desired resources vs observed portal objects → ordered changes, and their renderings.
//!
//! Pure and deterministic (DESIGN.md §3): no I/O, no clock, no randomness; the same input gives
//! the same plan, byte for byte, and the same hash.

mod action;
mod diff;
mod drift;
mod hash;
mod normalize;
mod outputs;
pub mod render;
mod teardown;

#[cfg(test)]
pub(crate) mod tests;

pub use action::{
    Action, ActionKind, FieldChange, FieldValue, Orphan, OrphanReason, Pending, Phase, Plan,
    PlanOptions, Routing, Scope, Summary, Via, gdap_approval_link,
};
pub use diff::{DELETION_POLICY, plan, plan_with};
pub use drift::{Accepted, Applied, Drift};
pub use hash::plan_hash;
pub use normalize::{equivalent, equivalent_in};
pub use outputs::{Output, OutputName, outputs, values_of};
pub use teardown::teardown;
