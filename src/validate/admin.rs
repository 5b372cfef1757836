//! Rules of a TenantAdmin: the DaaS "Create Administrator" form (seed 000).

use super::Options;
use super::index::Index;
use super::rule;
use super::secrets;
use super::subject::{Subject, shown};
use super::syntax;
use super::values;
use crate::api::Problem;
use crate::api::{Portal, Tenant, TenantAdminSpec, derive_username};

/// Checks one TenantAdmin; `tenant` is its Tenant when the reference resolves.
pub fn check(
    s: &Subject,
    a: &TenantAdminSpec,
    tenant: Option<&Tenant>,
    index: &Index,
    options: &Options,
    out: &mut Vec<Problem>,
) {
    values::text(
        s,
        "spec.firstName",
        &a.first_name,
        64,
        "the first name",
        out,
    );
    values::text(s, "spec.lastName", &a.last_name, 64, "the last name", out);
    values::optional_text(
        s,
        "spec.displayName",
        a.display_name.as_deref(),
        128,
        "the display name",
        out,
    );
    let username = username(s, a, out);
    values::text(
        s,
        "spec.upnDomain",
        &a.upn_domain,
        253,
        "the UPN domain",
        out,
    );
    values::email(s, "spec.externalEmail", &a.external_email, out);
    values::optional_phone(s, "spec.phone", a.phone.as_deref(), out);
    secrets::password_source(
        s,
        "spec",
        a.password_secret_ref.as_ref(),
        a.generate_password,
        out,
    );
    if let Some(tenant) = tenant {
        upn_domain(s, a, tenant, out);
        if !tenant.spec.portals.contains(&Portal::Daas) {
            out.push(s.error(
                "spec.tenantRef",
                rule::PORTAL_NOT_ENABLED,
                format!(
                    "admins are DaaS portal accounts, but Tenant {} does not list daas in spec.portals: add daas there",
                    shown(&a.tenant_ref.name)
                ),
            ));
        }
    }
    if let Some(secret_ref) = &a.password_secret_ref {
        let min = tenant.map_or(8, |t| t.spec.password_policy.min_length);
        let username = username.as_deref();
        secrets::password(s, "spec", index, options, secret_ref, username, min, out);
    }
}

/// The declared or derived username, when valid.
fn username(s: &Subject, a: &TenantAdminSpec, out: &mut Vec<Problem>) -> Option<String> {
    if let Some(declared) = &a.username {
        if syntax::is_username(declared) {
            return Some(declared.clone());
        }
        out.push(s.error(
            "spec.username",
            rule::USERNAME,
            format!(
                "username {} is not a valid logon name: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
                shown(declared)
            ),
        ));
        return None;
    }
    let derived = derive_username(&a.first_name, &a.last_name);
    if syntax::is_username(&derived) {
        return Some(derived);
    }
    let why = if derived.is_empty() {
        "no username can be derived from the first initial and last name (they have no Latin letters or digits)".to_owned()
    } else {
        format!(
            "the username derived from the name ({}) is not a valid logon name",
            shown(&derived)
        )
    };
    out.push(s.error(
        "spec.username",
        rule::USERNAME,
        format!("{why}: set spec.username, e.g. jroe (lower-case letters, digits, '.', '_' or '-', at most 64)"),
    ));
    None
}

fn upn_domain(s: &Subject, a: &TenantAdminSpec, tenant: &Tenant, out: &mut Vec<Problem>) {
    let domains = &tenant.spec.domains;
    if values::is_blank(&a.upn_domain)
        || domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&a.upn_domain))
    {
        return;
    }
    out.push(s.error(
        "spec.upnDomain",
        rule::UPN_DOMAIN,
        format!(
            "UPN domain {} is not one of the tenant's domains ({}): use one of them, or add it to the Tenant's spec.domains",
            shown(&a.upn_domain),
            shown(&domains.join(", "))
        ),
    ));
}
