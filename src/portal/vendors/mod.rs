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

/// `Ok` when `api` implements `portal`'s `kind` (the routing table, `ConnectionApi::kinds`),
/// else the protocol error of a call the router should never have sent to this adapter.
pub(crate) fn served(
    api: crate::api::ConnectionApi,
    portal: crate::api::Portal,
    kind: &str,
) -> Result<(), super::PortalError> {
    if api.implements(portal, kind) {
        return Ok(());
    }
    Err(super::PortalError::Protocol {
        portal: portal.id().to_owned(),
        status: 0,
        detail: format!(
            "the {api} adapter serves {} only, not {}/{kind}",
            api.kinds().unwrap_or_default().join(" and "),
            portal.id()
        ),
    })
}
