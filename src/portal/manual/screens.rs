//! Where a person does each kind of change, and the words the portal's screens use, in the
//! order the vendors' procedures enter them (DESIGN.md's seeds 000, 001 and 003).
//!
//! A field the table does not name is still listed (after the named ones, with its wire name),
//! so a work order never leaves a declared value out.

use serde_json::{Map, Value};

use crate::model::Kind;

/// One kind's screen: where to go, what to enter in which words, what to read back.
pub struct Screen {
    /// The portal as its users call it.
    pub portal: &'static str,
    /// The menu path or page to open.
    pub screen: &'static str,
    /// Wire field → the label on the screen, in the procedure's order.
    pub fields: &'static [(&'static str, &'static str)],
    /// Values the portal shows after the change that the person reports back (`--set KEY=`).
    pub read_back: &'static [(&'static str, &'static str)],
    /// The last thing to do on the screen.
    pub finish: &'static str,
    /// Values the procedure sets that no declaration carries (label, value).
    pub fixed: &'static [(&'static str, &'static str)],
}

const DAAS: &str = "Connected Workspace Portal (https://daasportal.star2star.io)";
const CONTACT_CENTER: &str = "Contact-center Provisioning Portal";
const APPS: &str = "Sangoma Apps: Configuration › License management";

/// The screen of `kind`.
pub fn screen(kind: Kind) -> Screen {
    match kind {
        Kind::DaasCustomer => Screen {
            portal: DAAS,
            screen: "Customers › New Customer",
            fields: &[
                ("name", "Full Name"),
                ("code", "Code"),
                ("contact.name", "Contact Name"),
                ("contact.email", "Email Address"),
                ("type", "Customer Type"),
                ("address", "Address"),
                ("contact.phone", "Phone"),
                ("minPasswordLength", "Minimum Password Length"),
                ("billingId", "Billing Identifier"),
                ("domains", "Domain Management: domains (first is primary)"),
                ("dnsZone", "DNS Zone"),
                ("changePasswordAtNextLogon", "Change password at next logon"),
            ],
            read_back: &[(
                "code",
                "Code (the value the portal generated, or the one entered)",
            )],
            finish: "Click Provision.",
            fixed: &[],
        },
        Kind::DaasAdmin => Screen {
            portal: DAAS,
            screen: "Customers › the customer › Create Administrator",
            fields: &[
                ("upnDomain", "UPN: the username @ this domain"),
                ("username", "Username"),
                ("firstName", "First Name"),
                ("lastName", "Last Name"),
                ("displayName", "Display Name"),
                ("externalEmail", "External Email"),
                ("phone", "Phone"),
                ("changePasswordAtNextLogon", "Change Password at Logon"),
                ("role", "Common Roles"),
            ],
            read_back: &[],
            finish: "Click Provision.",
            fixed: &[
                ("Custom 1, Custom 2", "blank"),
                ("Location, Department", "Unassigned"),
                ("Account Disabled", "No"),
                ("Account Locked", "No"),
                ("Account Expires", "Never"),
                ("Custom Role Collection", "unchecked"),
                ("Email Addresses", "blank (the portal fills it in)"),
            ],
        },
        Kind::AzureAd => Screen {
            portal: DAAS,
            screen: "Customers › the customer › Provision Services › Azure AD",
            fields: &[
                ("mode", "Create New Tenant / Connect Existing"),
                ("existingTenantId", "Existing tenant id"),
                ("acceptedBy.name", "Accepted By Customer: name"),
                ("acceptedBy.email", "Accepted By Customer: email"),
                ("acceptedBy.phone", "Accepted By Customer: phone"),
            ],
            read_back: &[(
                "onmicrosoftDomain",
                "Microsoft domain (the customer's name in lower case without spaces; when taken, with the customer code appended)",
            )],
            finish: "Check Accepted By Customer, click Provision, and wait until the service is provisioned (2-3 minutes).",
            fixed: &[
                ("In Azure, Set Target Addresses", "unchecked"),
                (
                    "Microsoft domain",
                    "click Verify Domain; if taken, append the Customer Code; if that is taken too, consult the TTU team",
                ),
            ],
        },
        Kind::MicrosoftOnline => Screen {
            portal: DAAS,
            screen: "Customers › the customer › Provision Services › Microsoft Online",
            fields: &[],
            read_back: &[],
            finish: "Click Provision (only after Azure AD is provisioned).",
            fixed: &[],
        },
        Kind::Citrix => Screen {
            portal: DAAS,
            screen: "Customers › the customer › Provision Services › Citrix",
            fields: &[("applications", "Applications"), ("desktops", "Desktops")],
            read_back: &[],
            finish: "Click Provision, even when no applications or desktops are listed.",
            fixed: &[],
        },
        Kind::FileSharing => Screen {
            portal: DAAS,
            screen: "Customers › the customer › Provision Services › File Sharing",
            fields: &[("driveLetter", "CorpShare drive letter")],
            read_back: &[],
            finish: "Click Provision (creates the CorpShare drive and the Users folder).",
            fixed: &[],
        },
        Kind::ContactCenterTenant => Screen {
            portal: CONTACT_CENTER,
            screen: "Tenant Registration",
            fields: &[
                ("template", "Template"),
                ("name", "Name"),
                ("shortName", "Short Name"),
                ("upnSuffix", "UPN Suffix"),
                ("adminUser", "User Name"),
                ("ani", "ANI"),
                ("contact.name", "Contact: Name"),
                ("contact.email", "Contact: Email"),
                ("contact.phone", "Contact: Phone"),
                ("notificationEmail", "Notification email"),
            ],
            read_back: &[(
                "personnelId",
                "Personnel ID (the portal prefixes the User Name with prp)",
            )],
            finish: "Click Create Tenant, then follow it in Tenant Creation Management until it is provisioned (it may be scheduled off-peak).",
            fixed: &[],
        },
        Kind::CallbackFolder => Screen {
            portal: CONTACT_CENTER,
            screen: "the tenant › Smart Queues › general parameters",
            fields: &[("email", "Callback Folder email address")],
            read_back: &[],
            finish: "Publish the general parameters.",
            fixed: &[],
        },
        Kind::License => Screen {
            portal: APPS,
            screen: "Meet, Chat, and Connector License Configuration",
            fields: &[
                ("app", "Application"),
                ("user", "User"),
                ("licenseType", "License Type"),
            ],
            read_back: &[],
            finish: "Save the License Type (the user receives the welcome e-mail).",
            fixed: &[],
        },
        Kind::SmsNumber => Screen {
            portal: APPS,
            screen: "StarMessenger License Configuration",
            fields: &[
                ("user", "User"),
                ("did", "DID (purchased, registered and unassigned)"),
                ("licenseType", "License Type"),
                ("campaignId", "10DLC campaign (Sangoma TCR Portal)"),
            ],
            read_back: &[],
            finish: "Save the License Type.",
            fixed: &[],
        },
        // tenantry never registers a campaign: the person checks the one the binding names.
        Kind::Campaign => Screen {
            portal: "The Campaign Registry CSP portal (https://csp.campaignregistry.com)",
            screen: "Campaigns › the campaign",
            fields: &[("campaignId", "Campaign ID")],
            read_back: &[],
            finish: "Check that the campaign is ACTIVE and its sharing with the connectivity partner is ACCEPTED; confirm only then.",
            fixed: &[],
        },
        Kind::AdminRelationship => Screen {
            portal: "Microsoft Partner Center (https://partner.microsoft.com)",
            screen: "Customers › the customer › Admin relationships › Request admin relationship",
            fields: &[
                ("roles", "Microsoft Entra roles (role definition ids)"),
                ("duration", "Duration"),
                ("autoExtendDuration", "Auto extend"),
            ],
            read_back: &[],
            finish: "Send the approval link to the customer's Global Administrator; confirm once the relationship is Active.",
            fixed: &[],
        },
        Kind::Enterprise => Screen {
            portal: "TeamMate reseller portal",
            screen: "Enterprises › New Enterprise",
            fields: &[],
            read_back: &[],
            finish: "Save; the customer's Global Admin receives the invitation.",
            fixed: &[],
        },
        Kind::CloudLinkAccount => Screen {
            portal: "Mitel CloudLink Accounts portal",
            screen: "Accounts › New Account",
            fields: &[("name", "Name"), ("businessType", "Business Type")],
            read_back: &[("accountId", "Account ID")],
            finish: "Save the account.",
            fixed: &[],
        },
        Kind::CloudLinkGateway => Screen {
            portal: "Mitel CloudLink Accounts portal",
            screen: "the account › next step",
            fields: &[("platform", "Platform")],
            read_back: &[],
            finish: "Complete the step the portal offers (Gateway: PBX + Connect; Sync for SMBC/VA).",
            fixed: &[],
        },
    }
}

/// What an object of `kind` is called on the portal's screens.
pub fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::DaasCustomer => "customer",
        Kind::DaasAdmin => "customer administrator",
        Kind::AzureAd => "Azure AD service",
        Kind::MicrosoftOnline => "Microsoft Online service",
        Kind::AdminRelationship => "GDAP admin relationship",
        Kind::Citrix => "Citrix service",
        Kind::FileSharing => "File Sharing service",
        Kind::ContactCenterTenant => "tenant",
        Kind::CallbackFolder => "callback folder e-mail",
        Kind::License => "user license",
        Kind::SmsNumber => "StarMessenger license",
        Kind::Campaign => "10DLC campaign",
        Kind::Enterprise => "enterprise",
        Kind::CloudLinkAccount => "CloudLink account",
        Kind::CloudLinkGateway => "CloudLink onboarding step",
    }
}

/// Every (label, value) of `spec` in the screen's order: the named fields first (dotted
/// paths reach into objects), then any other field by its wire name. Fingerprints are left
/// out: they identify a secret, and a person has no use for them.
pub fn entries(kind: Kind, spec: &Map<String, Value>) -> Vec<(String, String, String)> {
    let screen = screen(kind);
    let mut out = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for (path, label) in screen.fields {
        let top = path.split('.').next().unwrap_or(path);
        used.push(top);
        if let Some(value) = at(spec, path) {
            out.push(((*path).to_owned(), (*label).to_owned(), shown(path, value)));
        }
    }
    if kind == Kind::DaasCustomer {
        // Seed 000: leave the generated Code unless one is specified, and note it.
        if at(spec, "code").is_none()
            && let Some(i) = out.iter().position(|(p, _, _)| p == "name")
        {
            out.insert(
                i + 1,
                (
                    "code".to_owned(),
                    "Code".to_owned(),
                    "leave the value the portal generated, and make a note of it".to_owned(),
                ),
            );
        }
        let demo = at(spec, "type").and_then(Value::as_str) == Some("Demo");
        out.push((
            "type".to_owned(),
            "Demo Customer".to_owned(),
            if demo { "Yes" } else { "No" }.to_owned(),
        ));
    }
    for (key, value) in spec {
        if used.contains(&key.as_str()) || key.ends_with("Fingerprint") {
            continue;
        }
        out.push((key.clone(), key.clone(), shown(key, value)));
    }
    out
}

/// The parts of an address in the order a form asks for them.
const ADDRESS: [&str; 6] = ["line1", "line2", "city", "region", "postalCode", "country"];

/// The value at a dotted `path` of `spec`.
pub fn at<'a>(spec: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = spec.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// A value as a person types or picks it: Yes/No, lists joined, role names in words.
pub fn shown(path: &str, value: &Value) -> String {
    match value {
        Value::Bool(true) if path == "dnsZone" => "checked".to_owned(),
        Value::Bool(false) if path == "dnsZone" => "unchecked".to_owned(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(s) if path == "role" => match s.as_str() {
            "DaaSPartnerAdmin" => "DaaS Partner Admin".to_owned(),
            "DaaSPartnerManager" => "DaaS Partner Manager".to_owned(),
            other => other.to_owned(),
        },
        Value::String(s) if path == "mode" => match s.as_str() {
            "CreateNew" => "Create New Tenant".to_owned(),
            "ConnectExisting" => "Connect Existing".to_owned(),
            other => other.to_owned(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|v| shown("", v))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) if path == "address" => ADDRESS
            .iter()
            .filter_map(|k| map.get(*k).map(|v| shown(k, v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", shown(k, v)))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
    }
}
