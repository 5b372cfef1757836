//! ServiceBindings from CloudLink gateways, contact-center tenants, TeamMate enterprises and
//! apps licenses and SMS numbers.
//!
//! Only CloudLink gateways have a customer object above them; the other portals' objects are
//! grouped under a Tenant by the customer's domain (see [`Builder::carrier`]).

use std::collections::{BTreeMap, HashMap};

use super::build::{Builder, TenantKey};
use super::customer::Doc;
use super::fields::{Fields, Skipped};
use super::name::{email_domain, own_ref, sanitise};
use crate::api::{
    CloudlinkGateway, Contact, ContactCenter, LicenseAssignment, LicensedApp, Licenses, Portal,
    ServiceBinding, Sms, TeamsConnector,
};
use crate::model::{Kind, PortalObject};

/// A CloudLink gateway step as a ServiceBinding of its account's Tenant.
pub(super) fn gateway(b: &mut Builder<'_>, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(Kind::CloudLinkGateway, o);
    let account: String = f.req("accountId")?;
    let key = b
        .parents
        .get(&(Kind::CloudLinkAccount, account))
        .cloned()
        .ok_or_else(|| Skipped {
            kind: Kind::CloudLinkGateway,
            id: o.id.clone(),
            field: "accountId".to_owned(),
            problem: "names no account of this portal",
        })?;
    let fallback = format!("{}-cloudlink", key.1);
    let mut doc = b.binding(&key, Kind::CloudLinkGateway, o, false, &fallback);
    doc.object.spec.cloudlink_gateway = Some(Box::new(CloudlinkGateway {
        platform: f.req("platform")?,
    }));
    b.push_binding(&key, doc);
    Ok(())
}

/// Contact-center tenants with their callback folders (`tenantId`) folded in.
pub(super) fn contact_centers(
    b: &mut Builder<'_>,
    tenants: &[PortalObject],
    folders: &[PortalObject],
) -> Result<(), Vec<Skipped>> {
    let mut skipped = Vec::new();
    let mut folder_of: HashMap<&str, &PortalObject> = HashMap::new();
    for folder in folders {
        match Fields::new(Kind::CallbackFolder, folder).str("tenantId") {
            Some(id) => {
                folder_of.entry(id).or_insert(folder);
            }
            None => skipped.push(Skipped {
                kind: Kind::CallbackFolder,
                id: folder.id.clone(),
                field: "tenantId".to_owned(),
                problem: "is missing",
            }),
        }
    }
    for o in tenants {
        if let Err(e) = contact_center(b, o, folder_of.remove(o.id.as_str())) {
            skipped.push(e);
        }
    }
    for folder in folder_of.into_values() {
        skipped.push(Skipped {
            kind: Kind::CallbackFolder,
            id: folder.id.clone(),
            field: "tenantId".to_owned(),
            problem: "names no tenant of this portal",
        });
    }
    if skipped.is_empty() {
        Ok(())
    } else {
        Err(skipped)
    }
}

fn contact_center(
    b: &mut Builder<'_>,
    o: &PortalObject,
    folder: Option<&PortalObject>,
) -> Result<(), Skipped> {
    let f = Fields::new(Kind::ContactCenterTenant, o);
    let name: String = f.req("name")?;
    let upn_suffix = f.req::<String>("upnSuffix")?.to_ascii_lowercase();
    let contact: Contact = f.req("contact")?;
    let namespace = b.namespace(o, false);
    let seed = || (name.clone(), contact.clone());
    let key = b.carrier(
        &namespace,
        Portal::ContactCenter,
        Some(&upn_suffix),
        &name,
        seed,
    );
    let fallback = format!("{}-contact-center", key.1);
    let mut doc = b.binding(&key, Kind::ContactCenterTenant, o, false, &fallback);
    let binding_name = doc.object.metadata.name.clone().unwrap_or_default();
    let password = b.password_ref(&mut doc, "ServiceBinding", &key.0, &binding_name);
    let mut callback_folder_email = None;
    if let Some(folder) = folder {
        callback_folder_email = Fields::new(Kind::CallbackFolder, folder).opt("email");
        doc.note(super::build::source(Kind::CallbackFolder, folder));
        let own = format!("{}/{binding_name}", key.0);
        if folder.external_ref != format!("{own}/callback-folder") {
            doc.note(super::build::not_adopted(folder));
        }
    }
    let tenant_contact = b.tenant_contact(&key).cloned();
    doc.object.spec.contact_center = Some(Box::new(ContactCenter {
        template: f.req("template")?,
        name,
        short_name: f.req("shortName")?,
        upn_suffix,
        admin_user: f.req("adminUser")?,
        password_secret_ref: Some(password),
        generate_password: false,
        ani: f.req("ani")?,
        notification_email: f.opt("notificationEmail"),
        callback_folder_email,
        contact: Some(contact).filter(|c| Some(c) != tenant_contact.as_ref()),
    }));
    b.push_binding(&key, doc);
    Ok(())
}

/// A TeamMate enterprise as a teamsConnector binding.
pub(super) fn enterprise(b: &mut Builder<'_>, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(Kind::Enterprise, o);
    let name: String = f.req("name")?;
    let admin_email: String = f.req("adminEmail")?;
    let namespace = b.namespace(o, false);
    let domain = email_domain(&admin_email);
    let seed = || {
        let contact = Contact {
            name: name.clone(),
            email: admin_email.clone(),
            phone: None,
        };
        (name.clone(), contact)
    };
    let key = b.carrier(&namespace, Portal::TeamMate, domain.as_deref(), &name, seed);
    let fallback = format!("{}-teams", key.1);
    let mut doc = b.binding(&key, Kind::Enterprise, o, false, &fallback);
    let tenant_name = b.tenant_name(&key).map(str::to_owned);
    doc.object.spec.teams_connector = Some(Box::new(TeamsConnector {
        enterprise_name: Some(name).filter(|n| Some(n) != tenant_name.as_ref()),
        admin_email,
        user_limit: f.opt("userLimit"),
        music_on_hold: f.or_default("musicOnHold")?,
        sip_data_access: f.or_default("sipDataAccess")?,
        request_consent: f.or_default("requestConsent")?,
        sbc_regions: f.req("sbcRegions")?,
        services: f.req("services")?,
        pbx_types: f.opt("pbxTypes").unwrap_or_default(),
        enabled: f.or_default("enabled")?,
    }));
    b.push_binding(&key, doc);
    Ok(())
}

/// An SMS number as an sms binding.
pub(super) fn sms(b: &mut Builder<'_>, o: &PortalObject) -> Result<(), Skipped> {
    let f = Fields::new(Kind::SmsNumber, o);
    let did: String = f.req("did")?;
    let user: Option<String> = f.opt("user");
    let namespace = b.namespace(o, false);
    let fallback = sanitise(&format!("sms-{did}"), "sms");
    let domain = user.as_deref().and_then(email_domain);
    let seed = || {
        let email = user.clone().unwrap_or_default();
        (
            domain.clone().unwrap_or_else(|| did.clone()),
            contact_of(&email),
        )
    };
    let key = b.carrier(&namespace, Portal::Apps, domain.as_deref(), &fallback, seed);
    let mut doc = b.binding(&key, Kind::SmsNumber, o, false, &format!("{}-sms", key.1));
    // The portal fills campaignId from the DID's campaign; a US number needs it declared.
    let campaign_id: Option<String> = f.opt("campaignId").or_else(|| f.status("campaignId"));
    if f.str("campaignId").is_none() && campaign_id.is_some() {
        doc.note(
            "campaignId is the portal's (status.campaignId): declaring it shows as a change \
             of spec.campaignId in the first plan.",
        );
    }
    doc.object.spec.sms = Some(Box::new(Sms {
        did,
        user,
        license_type: f.req("licenseType")?,
        campaign_id,
    }));
    b.push_binding(&key, doc);
    Ok(())
}

/// Apps licenses, one binding per declaring binding (tenantry's `ns/binding/user` references)
/// or, for licenses made by hand, per Tenant and app.
pub(super) fn licenses(b: &mut Builder<'_>, objects: &[PortalObject]) -> Vec<Skipped> {
    struct Group<'o> {
        first: &'o PortalObject,
        app: LicensedApp,
        user: String,
        assignments: Vec<LicenseAssignment>,
        extra: Vec<&'o PortalObject>,
    }
    let mut skipped = Vec::new();
    // Group key: (namespace, binding name) for tenantry's own, (namespace, "", app) otherwise.
    let mut groups: BTreeMap<(String, String, String), Group<'_>> = BTreeMap::new();
    for o in objects {
        let f = Fields::new(Kind::License, o);
        let read = || -> Result<(LicensedApp, LicenseAssignment), Skipped> {
            Ok((
                f.req("app")?,
                LicenseAssignment {
                    user: f.req("user")?,
                    license_type: f.req("licenseType")?,
                },
            ))
        };
        let (app, assignment) = match read() {
            Ok(v) => v,
            Err(e) => {
                skipped.push(e);
                continue;
            }
        };
        let app_name = serde_json::to_value(app)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let own = own_ref(&o.external_ref, true)
            .filter(|r| r.part == Some(assignment.user.to_lowercase().as_str()));
        let key = match &own {
            Some(r) => (r.namespace.to_owned(), r.name.to_owned(), String::new()),
            None => {
                let domain = email_domain(&assignment.user).unwrap_or_default();
                (b.options.namespace.clone(), domain, app_name)
            }
        };
        match groups.get_mut(&key) {
            Some(g) if g.app == app => {
                g.assignments.push(assignment);
                g.extra.push(o);
            }
            Some(_) => skipped.push(Skipped {
                kind: Kind::License,
                id: o.id.clone(),
                field: "app".to_owned(),
                problem: "differs from the other licenses of its binding",
            }),
            None => {
                groups.insert(
                    key,
                    Group {
                        first: o,
                        app,
                        user: assignment.user.clone(),
                        assignments: vec![assignment],
                        extra: Vec::new(),
                    },
                );
            }
        }
    }
    for ((namespace, _, app_name), mut g) in groups {
        let domain = email_domain(&g.user);
        let user = g.user.clone();
        let seed = || (domain.clone().unwrap_or_default(), contact_of(&user));
        let key: TenantKey = b.carrier(&namespace, Portal::Apps, domain.as_deref(), &user, seed);
        let fallback = if app_name.is_empty() {
            format!("{}-licenses", key.1)
        } else {
            format!("{}-{}", key.1, app_name)
        };
        let mut doc: Doc<ServiceBinding> = b.binding(&key, Kind::License, g.first, true, &fallback);
        for o in &g.extra {
            doc.note(super::build::source(Kind::License, o));
        }
        g.assignments.sort_by(|a, b| a.user.cmp(&b.user));
        doc.object.spec.licenses = Some(Box::new(Licenses {
            app: g.app,
            assignments: g.assignments,
        }));
        b.push_binding(&key, doc);
    }
    skipped
}

/// A contact that is only an e-mail address (apps keep no names).
fn contact_of(email: &str) -> Contact {
    Contact {
        name: email.to_owned(),
        email: email.to_owned(),
        phone: None,
    }
}
