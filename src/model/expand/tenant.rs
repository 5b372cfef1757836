//! Tenants → DaaS customer and CloudLink account; TenantAdmins → DaaS admins.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Origin, address_json, contact_json, enum_str, strings, tenant_object};
use crate::api::{Located, Portal, SecretKey, Sensitive, Tenant, TenantAdmin};
use crate::model::error::ModelError;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// A Tenant's own objects: a DaaS customer and/or a CloudLink account, per `spec.portals`.
pub(super) fn expand_tenant(located: &Located<Tenant>, out: &mut Vec<Resource>) {
    let tenant = &located.object;
    let s = &tenant.spec;
    let origin = Origin::new("Tenant", tenant, &located.location, tenant, None, None);
    if s.portals.contains(&Portal::Daas) {
        let mut spec = Map::new();
        spec.insert("name".into(), s.display_name.clone().into());
        if let Some(code) = &s.code {
            spec.insert("code".into(), code.clone().into());
        }
        spec.insert("type".into(), enum_str(&s.customer_type));
        spec.insert("contact".into(), contact_json(&s.contact));
        if let Some(address) = &s.address {
            spec.insert("address".into(), address_json(address));
        }
        if let Some(billing_id) = &s.billing_id {
            spec.insert("billingId".into(), billing_id.clone().into());
        }
        spec.insert("domains".into(), strings(&s.domains));
        spec.insert("dnsZone".into(), s.dns_zone.into());
        spec.insert(
            "minPasswordLength".into(),
            s.password_policy.min_length.into(),
        );
        spec.insert(
            "changePasswordAtNextLogon".into(),
            s.password_policy.change_at_next_logon.into(),
        );
        out.push(origin.resource(Kind::DaasCustomer, origin.external_ref(), spec));
    }
    if s.portals.contains(&Portal::CloudLink) {
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
        out.push(origin.resource(Kind::CloudLinkAccount, origin.external_ref(), spec));
    }
}

/// A TenantAdmin's DaaS admin account, under its Tenant's DaaS customer.
pub(super) fn expand_admin(
    located: &Located<TenantAdmin>,
    tenant: &Located<Tenant>,
    secrets: &BTreeMap<SecretKey, Sensitive>,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let admin = &located.object;
    let s = &admin.spec;
    let origin = Origin::new(
        "TenantAdmin",
        admin,
        &located.location,
        &tenant.object,
        s.deletion_policy,
        s.management_policy,
    );
    let customer = tenant_object(
        &tenant.object,
        Portal::Daas,
        Kind::DaasCustomer,
        &origin.declared_by,
    )?;
    let username = s.effective_username();
    let mut spec = Map::new();
    spec.insert("upnDomain".into(), s.upn_domain.clone().into());
    spec.insert("username".into(), username.into());
    spec.insert("firstName".into(), s.first_name.clone().into());
    spec.insert("lastName".into(), s.last_name.clone().into());
    let display_name = s
        .display_name
        .clone()
        .unwrap_or_else(|| format!("{} {}", s.first_name, s.last_name));
    spec.insert("displayName".into(), display_name.into());
    spec.insert("externalEmail".into(), s.external_email.clone().into());
    if let Some(phone) = &s.phone {
        spec.insert("phone".into(), phone.clone().into());
    }
    spec.insert("role".into(), enum_str(&s.role));
    spec.insert(
        "changePasswordAtNextLogon".into(),
        tenant
            .object
            .spec
            .password_policy
            .change_at_next_logon
            .into(),
    );
    let password = origin.password(
        "spec.passwordSecretRef",
        s.password_secret_ref.as_ref(),
        secrets,
    )?;
    out.push(
        origin
            .resource(Kind::DaasAdmin, origin.external_ref(), spec)
            .with_parent(customer)
            .with_password(password),
    );
    Ok(())
}
