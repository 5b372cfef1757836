//! TenantAdmins and DaaS service bindings from DaaS admins, Azure AD, Microsoft Online, Citrix
//! and file sharing, each under the Tenant of its customer.

use super::build::{Builder, DocKind, TenantKey, meta, not_adopted, source};
use super::customer::Doc;
use super::fields::{Fields, Skipped};
use crate::api::{
    AzureAd, Citrix, Contact, FileSharing, MicrosoftOnline, TenantAdmin, TenantAdminSpec,
};
use crate::model::{Kind, PortalObject};

/// The Tenant of a DaaS object's customer (`spec.customerId`).
fn parent(b: &Builder<'_>, f: &Fields<'_>) -> Result<TenantKey, Skipped> {
    let id: String = f.req("customerId")?;
    b.parents
        .get(&(Kind::DaasCustomer, id))
        .cloned()
        .ok_or_else(|| Skipped {
            kind: f.kind,
            id: f.object.id.clone(),
            field: "customerId".to_owned(),
            problem: "names no customer of this portal",
        })
}

/// A DaaS admin as a TenantAdmin whose password comes from a Secret the user supplies.
pub(super) fn admin(b: &mut Builder<'_>, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(Kind::DaasAdmin, o);
    let key = parent(b, &f)?;
    let first_name: String = f.req("firstName")?;
    let last_name: String = f.req("lastName")?;
    let username: String = f
        .opt("username")
        .or_else(|| f.status("username"))
        .unwrap_or_else(|| crate::api::derive_username(&first_name, &last_name));
    let display_name: Option<String> = f
        .opt::<String>("displayName")
        .filter(|d| *d != format!("{first_name} {last_name}"));
    let (name, adopted) = b.name(o, DocKind::Admin, false, &key.0, &username);
    let mut doc = Doc::new(TenantAdmin {
        metadata: meta(&key.0, &name),
        spec: TenantAdminSpec {
            tenant_ref: crate::api::LocalRef {
                name: key.1.clone(),
            },
            first_name,
            last_name,
            display_name,
            username: Some(username),
            upn_domain: f.req::<String>("upnDomain")?.to_ascii_lowercase(),
            external_email: f.req("externalEmail")?,
            phone: f.opt("phone"),
            role: f.or_default("role")?,
            password_secret_ref: None,
            generate_password: false,
            deletion_policy: b.inherited(&key, o.deletion_policy),
            management_policy: None,
            allow_replace: None,
            drift_policy: Default::default(),
            accepted_deviations: Vec::new(),
        },
        status: None,
    });
    doc.note(source(Kind::DaasAdmin, o));
    if !adopted {
        doc.note(not_adopted(o));
    }
    let tenant_policy = b
        .customers
        .get(&key)
        .map(|c| c.tenant.object.spec.password_policy.change_at_next_logon);
    if let (Some(want), Some(seen)) = (tenant_policy, f.opt::<bool>("changePasswordAtNextLogon"))
        && want != seen
    {
        doc.note(format!(
            "The portal has changePasswordAtNextLogon {seen} for this admin, but it follows the \
             Tenant's passwordPolicy.changeAtNextLogon ({want}): the plan shows that change."
        ));
    }
    let secret = b.password_ref(&mut doc, "TenantAdmin", &key.0, &name);
    doc.object.spec.password_secret_ref = Some(secret);
    if let Some(c) = b.customers.get_mut(&key) {
        c.admins.push(doc);
    }
    Ok(())
}

/// A DaaS service object as a ServiceBinding of its customer's Tenant.
pub(super) fn service(b: &mut Builder<'_>, kind: Kind, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(kind, o);
    let key = parent(b, &f)?;
    let service = match kind {
        Kind::AzureAd => "azure-ad",
        Kind::MicrosoftOnline => "microsoft-online",
        Kind::Citrix => "citrix",
        _ => "file-sharing",
    };
    let fallback = format!("{}-{service}", key.1);
    let mut doc = b.binding(&key, kind, o, false, &fallback);
    let spec = &mut doc.object.spec;
    match kind {
        Kind::AzureAd => {
            let accepted_by: Option<Contact> = f.opt("acceptedBy");
            let tenant_contact = b.tenant_contact(&key);
            spec.azure_ad = Some(Box::new(AzureAd {
                mode: f.req("mode")?,
                existing_tenant_id: f.opt("existingTenantId"),
                // Left out when it is the Tenant's contact, which is the default.
                accepted_by: accepted_by.filter(|c| Some(c) != tenant_contact),
            }));
        }
        Kind::MicrosoftOnline => spec.microsoft_online = Some(Box::new(MicrosoftOnline {})),
        Kind::Citrix => {
            spec.citrix = Some(Box::new(Citrix {
                applications: f.opt("applications").unwrap_or_default(),
                desktops: f.opt("desktops").unwrap_or_default(),
            }));
        }
        _ => {
            spec.file_sharing = Some(Box::new(FileSharing {
                drive_letter: f.or_default("driveLetter")?,
            }));
        }
    }
    b.push_binding(&key, doc);
    Ok(())
}
