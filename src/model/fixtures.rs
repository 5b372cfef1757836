//! Test fixtures: a small, realistic declaration (one customer with every service).

use serde::de::DeserializeOwned;

use crate::api::{Declared, Located, Location, SecretKey, Sensitive};

/// The admin password of the fixture (a test value, never a real secret).
pub const ADMIN_PASSWORD: &str = "Kenton-Admin-2026";

const TENANT: &str = r#"
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: kenton-electronics, namespace: customers}
spec:
  displayName: Kenton Electronics
  type: Standard
  contact: {name: Jane Roe, email: jane@kenton-electronics.com, phone: "+15555550100"}
  address: {line1: 1 Main St, city: Springfield, region: IL, postalCode: "62701", country: US}
  billingId: RQ-10042
  domains: [kenton-electronics.com, kenton.example]
  businessType: Manufacturing
  adminContacts: [{name: Sam Admin, email: sam@kenton-electronics.com}]
  supportContacts:
    - {role: Maintainer, name: Max Maint, email: max@partner.example}
    - {role: OnsiteAdmin, name: Olive Site, email: olive@kenton-electronics.com}
  portals: [daas, cloudlink]
  deletionPolicy: Delete
"#;

const ADMIN: &str = r#"
apiVersion: tenantry.dev/v1alpha1
kind: TenantAdmin
metadata: {name: kenton-jroe, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  firstName: Jane
  lastName: Roe
  upnDomain: kenton-electronics.com
  externalEmail: jane.roe@example.net
  passwordSecretRef: {name: kenton-admin, key: password}
"#;

const BINDINGS: [&str; 9] = [
    r#"
metadata: {name: kenton-azure-ad, namespace: customers}
spec: {tenantRef: {name: kenton-electronics}, azureAD: {mode: CreateNew}}
"#,
    r#"
metadata: {name: kenton-m365, namespace: customers}
spec: {tenantRef: {name: kenton-electronics}, microsoftOnline: {}}
"#,
    r#"
metadata: {name: kenton-citrix, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  dependsOn: [{name: kenton-m365}]
  citrix: {applications: [Excel, Word], desktops: [Win11]}
"#,
    r#"
metadata: {name: kenton-files, namespace: customers}
spec: {tenantRef: {name: kenton-electronics}, fileSharing: {}, managementPolicy: Observe}
"#,
    r#"
metadata: {name: kenton-teams, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  teamsConnector:
    adminEmail: GlobalAdmin@kenton-electronics.com
    sbcRegions: [UsEast, UsWest]
    services: [PBX, Trunk]
    pbxTypes: [Ringlogix]
    requestConsent: true
"#,
    r#"
metadata: {name: kenton-cc, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  contactCenter:
    template: Standard-CC
    name: KentonElectronics
    shortName: ke
    upnSuffix: kenton-electronics.com
    adminUser: kadmin
    generatePassword: true
    ani: "+15555550199"
    notificationEmail: ops@partner.example
    callbackFolderEmail: callbacks@kenton-electronics.com
"#,
    r#"
metadata: {name: kenton-meet, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  deletionPolicy: Orphan
  licenses:
    app: Meet
    assignments: [{user: Ann@Kenton-Electronics.com, type: Standard}, {user: bob@kenton-electronics.com, type: Basic}]
"#,
    r#"
metadata: {name: kenton-sms, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  sms: {did: "+15555550123", licenseType: Basic, campaignId: CABC123}
"#,
    r#"
metadata: {name: kenton-gateway, namespace: customers}
spec: {tenantRef: {name: kenton-electronics}, cloudlinkGateway: {platform: MiVoice}}
"#,
];

/// Parses one fixture document.
pub fn parse<T: DeserializeOwned>(yaml: &str) -> T {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("fixture does not parse: {e}\n{yaml}"))
}

fn located<T>(object: T, line: usize) -> Located<T> {
    let file = "customers/kenton.yaml".to_owned();
    Located {
        object,
        location: Location { file, line },
    }
}

/// One customer (DaaS + CloudLink) with an admin and one binding of every service.
pub fn kenton() -> Declared {
    let mut declared = Declared::default();
    declared.tenants.push(located(parse(TENANT), 1));
    declared.admins.push(located(parse(ADMIN), 20));
    for (i, b) in BINDINGS.iter().enumerate() {
        let yaml = format!("apiVersion: tenantry.dev/v1alpha1\nkind: ServiceBinding\n{b}");
        declared.bindings.push(located(parse(&yaml), 40 + 10 * i));
    }
    declared.secrets.insert(
        SecretKey {
            namespace: "customers".into(),
            name: "kenton-admin".into(),
            key: "password".into(),
        },
        Sensitive::new(ADMIN_PASSWORD),
    );
    declared
}

/// A second customer in DaaS only, named `name`, with an admin: for plans over several tenants.
pub fn small_tenant(declared: &mut Declared, name: &str) {
    let tenant = TENANT
        .replace("kenton-electronics", name)
        .replace("portals: [daas, cloudlink]", "portals: [daas]")
        .replace("deletionPolicy: Delete", "")
        .replace("Kenton Electronics", "Acme Corp");
    declared.tenants.push(located(parse(&tenant), 1));
    let admin = ADMIN
        .replace("kenton-electronics", name)
        .replace("kenton-jroe", &format!("{name}-jroe"));
    declared.admins.push(located(parse(&admin), 20));
}
