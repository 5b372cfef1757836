//! Adapters of the vendors' own APIs (issue 15), one module per vendor, each a [`PortalApi`]
//! built on the contract client's transport (`HttpPortal::call`: token, retries, budget,
//! scrubbing).
//!
//! [`PortalApi`]: super::PortalApi

pub mod campaignregistry;
pub mod cloudlink;
pub mod connecttoteams;
pub mod graph;
pub mod partnercenter;

pub use campaignregistry::CampaignRegistry;
pub use cloudlink::CloudLink;
pub use connecttoteams::ConnectToTeams;
pub use graph::Graph;
pub use partnercenter::PartnerCenter;
