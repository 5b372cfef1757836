//! DaaS portal services (seed 000): Azure AD, Citrix, file sharing.
//!
//! Microsoft Online has no settings; that it needs the tenant's azureAD binding is a cross-object
//! rule (see `references`).

use crate::api::Problem;
use crate::api::{AzureAd, AzureAdMode, Citrix, FileSharing};
use crate::validate::rule;
use crate::validate::subject::{Field, Subject, shown};
use crate::validate::{syntax, values};

/// ConnectExisting needs the existing tenant's id; CreateNew must not have one.
pub fn azure_ad(s: &Subject, a: &AzureAd, out: &mut Vec<Problem>) {
    const FIELD: &str = "spec.azureAD.existingTenantId";
    match (a.mode, &a.existing_tenant_id) {
        (AzureAdMode::ConnectExisting, None) => out.push(s.error(
            FIELD,
            rule::AZURE_AD_MODE,
            "mode ConnectExisting needs existingTenantId: set the Microsoft tenant id of the tenant imported into Partner Center, or use mode CreateNew",
        )),
        (AzureAdMode::CreateNew, Some(_)) => out.push(s.error(
            FIELD,
            rule::AZURE_AD_MODE,
            "mode CreateNew makes a new Microsoft 365 tenant, so existingTenantId does not apply: remove it, or use mode ConnectExisting",
        )),
        (_, Some(id)) if !syntax::is_guid(id) => out.push(s.error(
            FIELD,
            rule::AZURE_AD_MODE,
            format!(
                "existingTenantId {} is not a Microsoft tenant id: copy the GUID (8-4-4-4-12 hex digits) from Partner Center",
                shown(id)
            ),
        )),
        _ => {}
    }
    if let Some(c) = &a.accepted_by {
        values::contact(s, "spec.azureAD.acceptedBy".into(), c, out);
    }
}

/// Published applications and desktops: names, each once (both lists may be empty).
pub fn citrix(s: &Subject, c: &Citrix, out: &mut Vec<Problem>) {
    for (list, values_) in [
        ("spec.citrix.applications", &c.applications),
        ("spec.citrix.desktops", &c.desktops),
    ] {
        if values_.len() > 200 {
            out.push(s.error(
                list,
                rule::LENGTH,
                format!("{} entries; the portal takes at most 200", values_.len()),
            ));
        }
        for (i, v) in values_.iter().enumerate() {
            values::text(s, Field::from(list).at(i), v, 256, "the resource name", out);
        }
        values::distinct(s, list, values_.iter().map(String::as_str), out);
    }
}

/// The CorpShare drive letter.
pub fn file_sharing(s: &Subject, f: &FileSharing, out: &mut Vec<Problem>) {
    if !syntax::is_drive_letter(&f.drive_letter) {
        out.push(s.error(
            "spec.fileSharing.driveLetter",
            rule::DRIVE_LETTER,
            format!(
                "drive letter {} is not one of D to Z: use one upper-case letter, X by default",
                shown(&f.drive_letter)
            ),
        ));
    }
}
