//! Contact-center tenant (seed 001): names, UPN suffix, admin user and password, ANI, e-mails.
//!
//! Names must be unique across the input: that is a cross-object rule (see `uniqueness`).

use crate::api::Problem;
use crate::api::{ContactCenter, Tenant};
use crate::validate::Options;
use crate::validate::index::Index;
use crate::validate::rule;
use crate::validate::secrets;
use crate::validate::subject::{Subject, shown};
use crate::validate::{syntax, values};

/// The key under which contact-center names are compared: the portal ignores case.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Checks one contactCenter block.
pub fn check(
    s: &Subject,
    c: &ContactCenter,
    tenant: Option<&Tenant>,
    index: &Index,
    options: &Options,
    out: &mut Vec<Problem>,
) {
    values::text(
        s,
        "spec.contactCenter.template",
        &c.template,
        64,
        "the template",
        out,
    );
    letters_and_digits(
        s,
        "spec.contactCenter.name",
        &c.name,
        64,
        "KentonElectronics",
        out,
    );
    letters_and_digits(
        s,
        "spec.contactCenter.shortName",
        &c.short_name,
        16,
        "ke",
        out,
    );
    upn_suffix(s, &c.upn_suffix, tenant, out);
    if !syntax::is_admin_user(&c.admin_user) {
        out.push(s.error(
            "spec.contactCenter.adminUser",
            rule::ADMIN_USER,
            format!(
                "admin user {} is not a valid user name: use 1 to 64 letters, digits, '.', '_' or '-', e.g. keAdmin (the portal adds the prp prefix itself)",
                shown(&c.admin_user)
            ),
        ));
    }
    secrets::password_source(
        s,
        "spec.contactCenter",
        c.password_secret_ref.as_ref(),
        c.generate_password,
        out,
    );
    if let Some(secret_ref) = &c.password_secret_ref {
        let min = tenant.map_or(8, |t| t.spec.password_policy.min_length);
        secrets::password(
            s,
            "spec.contactCenter",
            index,
            options,
            secret_ref,
            Some(&c.admin_user),
            min,
            out,
        );
    }
    values::phone(s, "spec.contactCenter.ani", &c.ani, "the ANI", out);
    values::optional_email(
        s,
        "spec.contactCenter.notificationEmail",
        c.notification_email.as_deref(),
        out,
    );
    values::optional_email(
        s,
        "spec.contactCenter.callbackFolderEmail",
        c.callback_folder_email.as_deref(),
        out,
    );
    if let Some(contact) = &c.contact {
        values::contact(s, "spec.contactCenter.contact".into(), contact, out);
    }
}

fn letters_and_digits(
    s: &Subject,
    field: &str,
    value: &str,
    max: usize,
    example: &str,
    out: &mut Vec<Problem>,
) {
    if !syntax::is_letters_and_digits(value) {
        out.push(s.error(
            field,
            rule::CONTACT_CENTER_NAME,
            format!(
                "{} must be letters and digits only, no spaces, underscores or special characters, e.g. {example}",
                shown(value)
            ),
        ));
    }
    values::length(s, field, value, max, "the name", out);
}

fn upn_suffix(s: &Subject, suffix: &str, tenant: Option<&Tenant>, out: &mut Vec<Problem>) {
    const FIELD: &str = "spec.contactCenter.upnSuffix";
    if !syntax::is_domain(suffix) {
        out.push(s.error(
            FIELD,
            rule::UPN_SUFFIX,
            format!(
                "UPN suffix {} is not a domain: use the customer's e-mail domain, e.g. kenton-electronics.com",
                shown(suffix)
            ),
        ));
        return;
    }
    // Usually the customer's own domain; another one is allowed but is more often a typo.
    if let Some(t) = tenant
        && !t
            .spec
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(suffix))
    {
        out.push(
            s.error(
                FIELD,
                rule::UPN_SUFFIX,
                format!(
                    "UPN suffix {} is not one of the tenant's domains: check for a typo, or add it to the Tenant's spec.domains",
                    shown(suffix)
                ),
            )
            .warning(),
        );
    }
}
