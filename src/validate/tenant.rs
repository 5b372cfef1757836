//! Rules of a Tenant on its own: the DaaS customer form (seed 000) and the CloudLink customer
//! step (seed 004: name, complete mailing address, business type, support contacts).
//!
//! The customer type (Standard, Test, Demo) is an enum: the loader rejects any other value with
//! a type error before validation runs, so no rule here repeats it.

use super::rule;
use super::subject::{Field, Subject, shown};
use super::syntax;
use super::values;
use crate::api::Problem;
use crate::api::{Portal, SupportRole, TenantSpec};

/// The most domains the DaaS portal takes for one customer.
const MAX_DOMAINS: usize = 32;
/// The most contacts of each list the CloudLink portal takes.
const MAX_CONTACTS: usize = 50;

/// Checks one Tenant's spec.
pub fn check(s: &Subject, t: &TenantSpec, out: &mut Vec<Problem>) {
    values::text(
        s,
        "spec.displayName",
        &t.display_name,
        128,
        "the customer's company name",
        out,
    );
    if let Some(code) = &t.code
        && !syntax::is_tenant_code(code)
    {
        out.push(s.error(
            "spec.code",
            rule::TENANT_CODE,
            format!(
                "customer code {} does not match the portal's pattern: 2 to 32 letters, digits or '-', starting with a letter or digit; or remove it and let the portal generate one",
                shown(code)
            ),
        ));
    }
    values::contact(s, "spec.contact".into(), &t.contact, out);
    if let Some(address) = &t.address {
        values::address(s, "spec.address".into(), address, out);
    }
    values::optional_text(
        s,
        "spec.billingId",
        t.billing_id.as_deref(),
        64,
        "the billing id",
        out,
    );
    values::optional_text(
        s,
        "spec.businessType",
        t.business_type.as_deref(),
        64,
        "the business type",
        out,
    );
    domains(s, &t.domains, out);
    let min = t.password_policy.min_length;
    if !(8..=128).contains(&min) {
        out.push(s.error(
            "spec.passwordPolicy.minLength",
            rule::RANGE,
            format!("minimum password length {min} is outside 8..128: the portals never accept passwords shorter than 8; set 8 or more"),
        ));
    }
    contacts(s, t, out);
    portals(s, &t.portals, out);
    if t.portals.contains(&Portal::CloudLink) {
        cloudlink(s, t, out);
    }
}

fn domains(s: &Subject, domains: &[String], out: &mut Vec<Problem>) {
    if domains.is_empty() {
        out.push(s.error(
            "spec.domains",
            rule::REQUIRED,
            "no domains: list at least the customer's primary domain, e.g. [kenton-electronics.com]",
        ));
    }
    if domains.len() > MAX_DOMAINS {
        out.push(s.error(
            "spec.domains",
            rule::LENGTH,
            format!(
                "{} domains; the portal takes at most {MAX_DOMAINS}: remove some",
                domains.len()
            ),
        ));
    }
    for (i, d) in domains.iter().enumerate() {
        if syntax::is_lower_domain(d) {
            continue;
        }
        let message = if syntax::is_domain(d) {
            format!(
                "domain {} has upper-case letters: write it in lower case ({})",
                shown(d),
                d.to_ascii_lowercase()
            )
        } else {
            format!(
                "{} is not a DNS domain name: write it like kenton-electronics.com (lower case, no scheme, path or spaces)",
                shown(d)
            )
        };
        out.push(s.error(format!("spec.domains[{i}]"), rule::DOMAIN_SYNTAX, message));
    }
    if domains.len() > 1 {
        let mut seen =
            <foldhash::HashMap<_, _> as foldhash::HashMapExt>::with_capacity(domains.len());
        for (i, d) in domains.iter().enumerate() {
            if let Some(&first) = seen.get(&d.to_ascii_lowercase()) {
                out.push(s.error(
                    format!("spec.domains[{i}]"),
                    rule::DUPLICATE_DOMAIN,
                    format!(
                        "domain {} is listed twice (also spec.domains[{first}]): remove one",
                        shown(d)
                    ),
                ));
            } else {
                seen.insert(d.to_ascii_lowercase(), i);
            }
        }
    }
}

fn contacts(s: &Subject, t: &TenantSpec, out: &mut Vec<Problem>) {
    for (field, n) in [
        ("spec.adminContacts", t.admin_contacts.len()),
        ("spec.supportContacts", t.support_contacts.len()),
    ] {
        if n > MAX_CONTACTS {
            out.push(s.error(
                field,
                rule::LENGTH,
                format!("{n} contacts; the portal takes at most {MAX_CONTACTS}: remove some"),
            ));
        }
    }
    for (i, c) in t.admin_contacts.iter().enumerate() {
        values::contact(s, Field::from("spec.adminContacts").at(i), c, out);
    }
    for (i, c) in t.support_contacts.iter().enumerate() {
        values::text(
            s,
            Field::from("spec.supportContacts").at(i).member("name"),
            &c.name,
            128,
            "the support contact's name",
            out,
        );
        values::email(
            s,
            Field::from("spec.supportContacts").at(i).member("email"),
            &c.email,
            out,
        );
    }
}

fn portals(s: &Subject, portals: &[Portal], out: &mut Vec<Problem>) {
    if portals.is_empty() {
        out.push(s.error(
            "spec.portals",
            rule::REQUIRED,
            "no portals: list where this customer must exist, e.g. [daas]",
        ));
    }
    for (i, p) in portals.iter().enumerate() {
        if let Some(first) = portals[..i].iter().position(|q| q == p) {
            out.push(s.error(
                format!("spec.portals[{i}]"),
                rule::DUPLICATE_PORTAL,
                format!("portal {p} is listed twice (also spec.portals[{first}]): remove one"),
            ));
        }
    }
}

/// CloudLink's customer step: a mailing address and at least one Maintainer and one OnsiteAdmin.
fn cloudlink(s: &Subject, t: &TenantSpec, out: &mut Vec<Problem>) {
    if t.address.is_none() {
        out.push(s.error(
            "spec.address",
            rule::CLOUDLINK_ADDRESS,
            "CloudLink needs the customer's complete mailing address: set spec.address (line1, city, postalCode where the country has them, country)",
        ));
    }
    if t.business_type.is_none() {
        out.push(s.error(
            "spec.businessType",
            rule::CLOUDLINK_BUSINESS_TYPE,
            "CloudLink needs the customer's business type (the closest entry of its Business Type menu): set spec.businessType, e.g. Manufacturing",
        ));
    }
    let has = |role| t.support_contacts.iter().any(|c| c.role == role);
    let missing: Vec<&str> = [
        (SupportRole::Maintainer, "Maintainer"),
        (SupportRole::OnsiteAdmin, "OnsiteAdmin"),
    ]
    .into_iter()
    .filter(|(role, _)| !has(*role))
    .map(|(_, name)| name)
    .collect();
    if !missing.is_empty() {
        out.push(s.error(
            "spec.supportContacts",
            rule::CLOUDLINK_SUPPORT_CONTACTS,
            format!(
                "CloudLink requires at least one Maintainer and one OnsiteAdmin support contact; missing: {}. Add them to spec.supportContacts with name and email",
                missing.join(", ")
            ),
        ));
    }
}
