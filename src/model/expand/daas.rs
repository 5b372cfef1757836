//! DaaS (Connected Workspace, seed 000): a Tenant's customer, a TenantAdmin's admin account,
//! and the Azure AD, Microsoft Online, Citrix and file-sharing services.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::binding::Binding;
use super::origin::{Origin, tenant_object};
use super::wire::{address_json, contact_json, enum_str, strings};
use crate::api::{
    AzureAd, AzureAdMode, Citrix, DeletionPolicy, FileSharing, Located, Portal, SecretKey,
    Sensitive, Tenant, TenantAdmin, TenantSpec,
};
use crate::model::address::Address;
use crate::model::error::ModelError;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// A Tenant's DaaS customer.
pub(super) fn customer(origin: &Origin, s: &TenantSpec) -> Resource {
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
    origin.resource(Kind::DaasCustomer, origin.external_ref(), spec)
}

/// A TenantAdmin's DaaS admin account, under its Tenant's DaaS customer.
pub(super) fn admin(
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
        s.drift_policy,
    )
    .allowing_replace(s.allow_replace)
    .deviating(&s.accepted_deviations)?;
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
            .with_password(password, origin.secret_from(s.password_secret_ref.as_ref())),
    );
    Ok(())
}

/// The Azure AD (Microsoft 365) tenant of a customer.
pub(super) fn azure_ad(
    b: &Binding<'_>,
    azure: &AzureAd,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let mut spec = Map::new();
    spec.insert("mode".into(), enum_str(&azure.mode));
    if azure.mode == AzureAdMode::ConnectExisting
        && let Some(id) = &azure.existing_tenant_id
    {
        spec.insert("existingTenantId".into(), id.clone().into());
    }
    let accepted_by = azure.accepted_by.as_ref().unwrap_or(&b.tenant.spec.contact);
    spec.insert("acceptedBy".into(), contact_json(accepted_by));
    // What a vendor portal needs to choose the onmicrosoft domain (name, then name + code)
    // and bill the new tenant; the contract's portal reads them from the customer instead.
    let tenant = &b.tenant.spec;
    spec.insert("customerName".into(), tenant.display_name.clone().into());
    if let Some(code) = &tenant.code {
        spec.insert("customerCode".into(), code.clone().into());
    }
    if let Some(address) = &tenant.address {
        spec.insert("address".into(), address_json(address));
    }
    under_customer(b, Kind::AzureAd, spec, out)?;
    out.push(admin_relationship(
        b,
        Address::new(Kind::AzureAd, b.own_ref.clone()),
    ));
    Ok(())
}

/// GDAP roles the partner asks for: the least seed 000's admin step needs (create the user:
/// User Administrator; make it Global Administrator: Privileged Role Administrator).
pub const GDAP_ROLES: [&str; 2] = [
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
];

/// The partner's GDAP relationship with the Tenant's Microsoft tenant, one per Tenant (its
/// `externalRef` is the Tenant's), under the Azure AD tenant; the Tenant's admins wait for it.
fn admin_relationship(b: &Binding<'_>, azure: Address) -> Resource {
    let mut spec = Map::new();
    spec.insert("roles".into(), strings(&GDAP_ROLES.map(str::to_owned)));
    // Two years, the longest Microsoft allows, extended by 180 days at expiry.
    spec.insert("duration".into(), "P730D".into());
    spec.insert("autoExtendDuration".into(), "P180D".into());
    let tenant_ref = format!(
        "{}/{}",
        super::origin::namespace(b.tenant),
        kube::ResourceExt::name_any(b.tenant)
    );
    let mut relationship = b
        .origin
        .resource(Kind::AdminRelationship, tenant_ref, spec)
        .with_parent(azure);
    // Never terminated by tenantry: that takes the partner's access away from the customer.
    relationship.deletion_policy = DeletionPolicy::Orphan;
    relationship
}

/// The Microsoft Online service of a customer.
pub(super) fn microsoft_online(b: &Binding<'_>, out: &mut Vec<Resource>) -> Result<(), ModelError> {
    under_customer(b, Kind::MicrosoftOnline, Map::new(), out)
}

/// The Citrix service of a customer.
pub(super) fn citrix(
    b: &Binding<'_>,
    citrix: &Citrix,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let mut spec = Map::new();
    spec.insert("applications".into(), strings(&citrix.applications));
    spec.insert("desktops".into(), strings(&citrix.desktops));
    under_customer(b, Kind::Citrix, spec, out)
}

/// The file-sharing (CorpShare drive) service of a customer.
pub(super) fn file_sharing(
    b: &Binding<'_>,
    sharing: &FileSharing,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let mut spec = Map::new();
    spec.insert("driveLetter".into(), sharing.drive_letter.clone().into());
    under_customer(b, Kind::FileSharing, spec, out)
}

/// Adds a service object of the binding under the Tenant's DaaS customer.
fn under_customer(
    b: &Binding<'_>,
    kind: Kind,
    spec: Map<String, Value>,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let customer = b.tenant_object(Portal::Daas, Kind::DaasCustomer)?;
    out.push(
        b.origin
            .resource(kind, b.own_ref.clone(), spec)
            .with_parent(customer),
    );
    Ok(())
}
