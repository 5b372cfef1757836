//! Adapters of the vendors' own APIs (issue 15), one module per vendor, each a [`PortalApi`]
//! built on the contract client's transport (`HttpPortal::call`: token, retries, budget,
//! scrubbing).
//!
//! [`PortalApi`]: super::PortalApi

pub mod connecttoteams;
pub mod graph;

pub use connecttoteams::ConnectToTeams;
pub use graph::Graph;
