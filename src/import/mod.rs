//! Import: write declarations for objects that already exist in a portal, so that customers
//! onboarded by hand (or by another tenantry repository) can be adopted.
//!
//! The inverse of `model::expand`: every portal object of a portal becomes the Tenant,
//! TenantAdmin or ServiceBinding field that would expand to it. Objects tenantry created keep
//! their names (read from `externalRef`), so `tenantry plan` on the imported files finds them
//! and shows no change; see docs/import.md for what cannot round-trip.

mod build;
mod customer;
mod daas;
mod fields;
mod name;
mod render;
mod services;
mod tenant;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use customer::{Customer, Doc};
pub use fields::Skipped;
pub use name::{is_label, sanitise};
pub use render::{RenderError, render, render_customer};

use crate::api::{ManagementPolicy, Portal, SecretKey};
use crate::engine::{self, Selection};
use crate::model::{Kind, PortalObject};
use crate::portal::{PortalApi, PortalError};

/// Every object of the listed kinds, by kind.
pub type Listing = BTreeMap<Kind, Vec<PortalObject>>;

/// How imported objects are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Namespace of objects whose `externalRef` names none (made outside tenantry).
    pub namespace: String,
    /// The Tenants' managementPolicy; Observe adopts without writing.
    pub management_policy: ManagementPolicy,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            namespace: "default".to_owned(),
            management_policy: ManagementPolicy::Observe,
        }
    }
}

/// A Secret an imported object refers to and the user must supply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NeededSecret {
    /// The Secret key.
    pub key: SecretKey,
    /// The object that refers to it, e.g. `TenantAdmin customers/jroe`.
    pub object: String,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// Customers in `namespace/name` order.
    pub customers: Vec<Customer>,
    /// Secrets to supply (passwords cannot be read back).
    pub secrets: Vec<NeededSecret>,
    /// Objects skipped and other things a person should know.
    pub warnings: Vec<String>,
}

/// The kinds of `portals`, in `Kind::ALL` order.
pub fn kinds(portals: &[Portal]) -> Vec<Kind> {
    Kind::ALL
        .into_iter()
        .filter(|k| portals.contains(&k.portal()))
        .collect()
}

/// Lists every object of every kind of `portals` (one list call per page and kind), through
/// the engine's observe like every other reader of portal state.
pub async fn list<P: PortalApi>(portal: &P, portals: &[Portal]) -> Result<Listing, PortalError> {
    let observed = engine::observe(portal, &Selection::All(kinds(portals))).await?;
    let mut listing = Listing::new();
    for kind in kinds(portals) {
        listing.insert(kind, observed.of_kind(kind).cloned().collect());
    }
    for (kind, duplicate) in observed.duplicates() {
        listing.entry(*kind).or_default().push(duplicate.clone());
    }
    Ok(listing)
}

/// Turns listed portal objects into declarations. Pure and deterministic: the same listing
/// gives the same customers in the same order, whatever the order of the objects.
pub fn import(listing: &Listing, options: &ImportOptions) -> Imported {
    let mut listing = listing.clone();
    for objects in listing.values_mut() {
        objects.sort_by(|a, b| (&a.external_ref, &a.id).cmp(&(&b.external_ref, &b.id)));
    }
    let mut b = build::Builder::new(options, &listing);
    let empty = Vec::new();
    let of = |kind: Kind| listing.get(&kind).unwrap_or(&empty);
    // Customer objects first, so that children and other portals find their Tenant.
    for o in of(Kind::DaasCustomer) {
        if let Err(e) = tenant::daas_customer(&mut b, o) {
            b.skip(e);
        }
    }
    for o in of(Kind::CloudLinkAccount) {
        if let Err(e) = tenant::cloudlink_account(&mut b, o) {
            b.skip(e);
        }
    }
    for o in of(Kind::DaasAdmin) {
        if let Err(e) = daas::admin(&mut b, o) {
            b.skip(e);
        }
    }
    for kind in [
        Kind::AzureAd,
        Kind::MicrosoftOnline,
        Kind::Citrix,
        Kind::FileSharing,
    ] {
        for o in of(kind) {
            if let Err(e) = daas::service(&mut b, kind, o) {
                b.skip(e);
            }
        }
    }
    for o in of(Kind::CloudLinkGateway) {
        if let Err(e) = services::gateway(&mut b, o) {
            b.skip(e);
        }
    }
    if let Err(skipped) = services::contact_centers(
        &mut b,
        of(Kind::ContactCenterTenant),
        of(Kind::CallbackFolder),
    ) {
        for e in skipped {
            b.skip(e);
        }
    }
    for o in of(Kind::Enterprise) {
        if let Err(e) = services::enterprise(&mut b, o) {
            b.skip(e);
        }
    }
    for e in services::licenses(&mut b, of(Kind::License)) {
        b.skip(e);
    }
    for o in of(Kind::SmsNumber) {
        if let Err(e) = services::sms(&mut b, o) {
            b.skip(e);
        }
    }
    b.finish()
}
