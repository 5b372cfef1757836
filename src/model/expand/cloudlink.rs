//! CloudLink onboarding (seed 004): a Tenant's account and a binding's gateway step.

use serde_json::{Map, Value};

use super::binding::Binding;
use super::origin::Origin;
use super::wire::{address_json, contact_json, enum_str};
use crate::api::{CloudlinkGateway, Portal, TenantSpec};
use crate::model::error::ModelError;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// A Tenant's CloudLink customer account with its admin and support contacts.
pub(super) fn account(origin: &Origin, s: &TenantSpec) -> Resource {
    let mut spec = Map::new();
    spec.insert("name".into(), s.display_name.clone().into());
    if let Some(address) = &s.address {
        spec.insert("address".into(), address_json(address));
    }
    if let Some(business_type) = &s.business_type {
        spec.insert("businessType".into(), business_type.clone().into());
    }
    let admins = s.admin_contacts.iter().map(contact_json).collect();
    spec.insert("adminContacts".into(), Value::Array(admins));
    let support = s
        .support_contacts
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("role".into(), enum_str(&c.role));
            m.insert("name".into(), c.name.clone().into());
            m.insert("email".into(), c.email.clone().into());
            Value::Object(m)
        })
        .collect();
    spec.insert("supportContacts".into(), Value::Array(support));
    origin.resource(Kind::CloudLinkAccount, origin.external_ref(), spec)
}

/// The gateway (or sync) step of the Tenant's CloudLink account.
pub(super) fn gateway(
    b: &Binding<'_>,
    gateway: &CloudlinkGateway,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let account = b.tenant_object(Portal::CloudLink, Kind::CloudLinkAccount)?;
    let mut spec = Map::new();
    spec.insert("platform".into(), enum_str(&gateway.platform));
    out.push(
        b.origin
            .resource(Kind::CloudLinkGateway, b.own_ref.clone(), spec)
            .with_parent(account),
    );
    Ok(())
}
