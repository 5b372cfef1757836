//! Tenants from the portals' customer objects: DaaS customers and CloudLink accounts.

use super::build::Builder;
use super::fields::{Fields, Skipped};
use super::name::email_domain;
use crate::api::{Contact, PasswordPolicy, Portal, SupportContact, TenantSpec};
use crate::model::{Kind, PortalObject};

/// A DaaS customer as a Tenant; the generated customer code becomes `spec.code`, so the plan
/// keeps it.
pub(super) fn daas_customer(b: &mut Builder<'_>, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(Kind::DaasCustomer, o);
    let domains: Vec<String> = f.req::<Vec<String>>("domains")?;
    let spec = TenantSpec {
        display_name: f.req("name")?,
        code: f.opt("code").or_else(|| f.status("code")),
        customer_type: f.or_default("type")?,
        contact: f.req("contact")?,
        address: f.opt("address"),
        billing_id: f.opt("billingId"),
        // The portal compares domains case-insensitively; declarations are lower case.
        domains: domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
        dns_zone: f.or_default("dnsZone")?,
        password_policy: PasswordPolicy {
            min_length: f.or_default("minPasswordLength")?,
            change_at_next_logon: f.or_default("changePasswordAtNextLogon")?,
        },
        business_type: None,
        admin_contacts: Vec::new(),
        support_contacts: Vec::new(),
        portals: vec![Portal::Daas],
        portal_connection_ref: None,
        deletion_policy: o.deletion_policy,
        management_policy: b.options.management_policy,
        allow_replace: false,
        drift_policy: Default::default(),
        accepted_deviations: Vec::new(),
    };
    b.root(Kind::DaasCustomer, o, spec);
    Ok(())
}

/// A CloudLink account as a Tenant, or its part of the Tenant the DaaS customer made.
///
/// CloudLink keeps no business contact and no domains; a Tenant made from the account alone
/// takes its first admin (else support) contact and that contact's e-mail domain, and says so.
pub(super) fn cloudlink_account(b: &mut Builder<'_>, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(Kind::CloudLinkAccount, o);
    let admin_contacts: Vec<Contact> = f.opt("adminContacts").unwrap_or_default();
    let support_contacts: Vec<SupportContact> = f.opt("supportContacts").unwrap_or_default();
    let contact = admin_contacts.first().cloned().or_else(|| {
        support_contacts.first().map(|c| Contact {
            name: c.name.clone(),
            email: c.email.clone(),
            phone: None,
        })
    });
    let Some(contact) = contact else {
        return Err(Skipped {
            kind: Kind::CloudLinkAccount,
            id: o.id.clone(),
            field: "adminContacts".to_owned(),
            problem: "and supportContacts are empty, so the Tenant would have no contact",
        });
    };
    let domains = email_domain(&contact.email).into_iter().collect();
    let spec = TenantSpec {
        display_name: f.req("name")?,
        code: None,
        customer_type: Default::default(),
        contact,
        address: f.opt("address"),
        billing_id: None,
        domains,
        dns_zone: false,
        password_policy: PasswordPolicy::default(),
        business_type: f.opt("businessType"),
        admin_contacts,
        support_contacts,
        portals: vec![Portal::CloudLink],
        portal_connection_ref: None,
        deletion_policy: o.deletion_policy,
        management_policy: b.options.management_policy,
        allow_replace: false,
        drift_policy: Default::default(),
        accepted_deviations: Vec::new(),
    };
    let key = b.root(Kind::CloudLinkAccount, o, spec);
    if let Some(c) = b.customers.get_mut(&key)
        && c.tenant.object.spec.portals == [Portal::CloudLink]
    {
        c.tenant.note(
            "CloudLink keeps no business contact or domains: spec.contact is the account's \
             first contact and spec.domains its e-mail domain. Check them.",
        );
    }
    Ok(())
}
