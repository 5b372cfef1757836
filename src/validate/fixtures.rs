//! Test objects: one valid customer using every portal and service, parsed from YAML, and
//! accessors to break it one field at a time.

use crate::api::{
    Declared, Located, Location, PortalConnection, SecretKey, Sensitive, ServiceBinding,
    ServiceBindingSpec, Tenant, TenantAdmin, TenantAdminSpec, TenantSpec,
};

/// The file name every fixture object is "declared" in.
pub const FILE: &str = "customers/kenton.yaml";
/// The admin's password in the fixture's Secret (policy-compliant for user jroe).
pub const ADMIN_PASSWORD: &str = "Summer-Harbor-42";

/// A valid customer: a Tenant in all five portals, its admin, one binding of every service,
/// a PortalConnection and the two password Secrets.
pub const KENTON: &str = r#"
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: kenton-electronics, namespace: customers}
spec:
  displayName: Kenton Electronics
  code: KE-1042
  type: Standard
  contact: {name: Jane Roe, email: jane@kenton-electronics.com, phone: "+15555550100"}
  address: {line1: 1 Main St, line2: Suite 5, city: Springfield, region: IL, postalCode: "62701", country: US}
  billingId: RQ-10042
  domains: [kenton-electronics.com, kenton.io]
  passwordPolicy: {minLength: 10}
  businessType: Manufacturing
  adminContacts: [{name: Sam Poe, email: sam@kenton-electronics.com, phone: "+15555550101"}]
  supportContacts:
    - {role: Maintainer, name: Max Ma, email: max@partner.example.com}
    - {role: OnsiteAdmin, name: Olga On, email: olga@kenton-electronics.com}
    - {role: Other, name: Otto Ot, email: otto@kenton-electronics.com}
  portals: [daas, contactcenter, teammate, apps, cloudlink]
  portalConnectionRef: {name: default}
---
apiVersion: tenantry.dev/v1alpha1
kind: TenantAdmin
metadata: {name: kenton-admin, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  firstName: Jane
  lastName: Roe
  displayName: Jane Roe
  upnDomain: kenton-electronics.com
  externalEmail: jane.roe@example.net
  phone: "+15555550102"
  passwordSecretRef: {name: kenton-admin, key: password}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-azure-ad, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  azureAD:
    mode: ConnectExisting
    existingTenantId: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
    acceptedBy: {name: Jane Roe, email: jane@kenton-electronics.com, phone: "+15555550100"}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-microsoft-online, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  dependsOn: [{name: kenton-azure-ad}]
  microsoftOnline: {}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-citrix, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  citrix: {applications: [Excel, Word], desktops: [Win11]}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-file-sharing, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  dependsOn: [{name: kenton-citrix}]
  fileSharing: {driveLetter: X}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-teams, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  teamsConnector:
    enterpriseName: Kenton Electronics
    adminEmail: globaladmin@kenton-electronics.com
    userLimit: 50
    musicOnHold: true
    sipDataAccess: true
    requestConsent: true
    sbcRegions: [UsEast, UsWest]
    services: [PBX, Trunk]
    pbxTypes: [Ringlogix]
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-contact-center, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  contactCenter:
    template: Standard
    name: KentonElectronics
    shortName: ke
    upnSuffix: kenton-electronics.com
    adminUser: keAdmin
    passwordSecretRef: {name: kenton-cc, key: password}
    ani: "+15555550100"
    notificationEmail: it@kenton-electronics.com
    callbackFolderEmail: callbacks@kenton-electronics.com
    contact: {name: Jane Roe, email: jane@kenton-electronics.com}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-meet, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  licenses:
    app: Meet
    assignments:
      - {user: jane@kenton-electronics.com, type: Professional}
      - {user: sam@kenton-electronics.com, type: Basic}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-sms, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  sms: {did: "+15555550123", user: jane@kenton-electronics.com, licenseType: Standard, campaignId: C1A2B3C}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: kenton-cloudlink, namespace: customers}
spec:
  tenantRef: {name: kenton-electronics}
  cloudlinkGateway: {platform: MiVoice}
---
apiVersion: tenantry.dev/v1alpha1
kind: PortalConnection
metadata: {name: default}
spec:
  url: https://portal.example.net
  portals: [daas, contactcenter, teammate, apps, cloudlink]
  credentialsSecretRef: {namespace: tenantry-system, name: portal-token, key: token}
"#;

/// Parses a multi-document YAML stream of tenantry objects; each keeps its document's line.
pub fn parse(yaml: &str) -> Declared {
    let mut declared = Declared::default();
    let mut line = 1;
    for doc in yaml.split("\n---\n") {
        let location = Location {
            file: FILE.to_owned(),
            line: line + doc.chars().take_while(|c| *c == '\n').count(),
        };
        line += doc.lines().count() + 1;
        if doc.trim().is_empty() {
            continue;
        }
        let value: serde_yaml::Value = serde_yaml::from_str(doc).expect("fixture YAML parses");
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_owned();
        match kind.as_str() {
            "Tenant" => declared.tenants.push(located(value, location)),
            "TenantAdmin" => declared.admins.push(located(value, location)),
            "ServiceBinding" => declared.bindings.push(located(value, location)),
            "PortalConnection" => declared.connections.push(located(value, location)),
            other => panic!("fixture kind {other:?}"),
        }
    }
    declared
}

fn located<T: serde::de::DeserializeOwned>(
    value: serde_yaml::Value,
    location: Location,
) -> Located<T> {
    let object = serde_yaml::from_value(value).expect("fixture matches the types");
    Located { object, location }
}

/// The valid customer of [`KENTON`], with both password Secrets present.
pub fn kenton() -> Declared {
    let mut declared = parse(KENTON);
    set_secret(&mut declared, "kenton-admin", ADMIN_PASSWORD);
    set_secret(&mut declared, "kenton-cc", "Queue-Master-77");
    declared
}

/// Sets the `password` key of Secret `name` in namespace `customers`.
pub fn set_secret(declared: &mut Declared, name: &str, value: &str) {
    declared.secrets.insert(
        SecretKey {
            namespace: "customers".into(),
            name: name.into(),
            key: "password".into(),
        },
        Sensitive::new(value),
    );
}

/// The spec of the first Tenant.
pub fn tenant(declared: &mut Declared) -> &mut TenantSpec {
    &mut declared.tenants[0].object.spec
}

/// The spec of the first TenantAdmin.
pub fn admin(declared: &mut Declared) -> &mut TenantAdminSpec {
    &mut declared.admins[0].object.spec
}

/// The spec of binding `name` (without the `kenton-` prefix).
pub fn binding<'a>(declared: &'a mut Declared, name: &str) -> &'a mut ServiceBindingSpec {
    let full = format!("kenton-{name}");
    &mut declared
        .bindings
        .iter_mut()
        .find(|b| b.object.metadata.name.as_deref() == Some(full.as_str()))
        .unwrap_or_else(|| panic!("no binding {full}"))
        .object
        .spec
}

/// A copy of binding `name` renamed to `new_name`, appended to the input.
pub fn clone_binding<'a>(
    declared: &'a mut Declared,
    name: &str,
    new_name: &str,
) -> &'a mut ServiceBindingSpec {
    let full = format!("kenton-{name}");
    let mut copy: Located<ServiceBinding> = declared
        .bindings
        .iter()
        .find(|b| b.object.metadata.name.as_deref() == Some(full.as_str()))
        .unwrap_or_else(|| panic!("no binding {full}"))
        .clone();
    copy.object.metadata.name = Some(new_name.to_owned());
    copy.location.line += 1000;
    declared.bindings.push(copy);
    &mut declared
        .bindings
        .last_mut()
        .expect("just pushed")
        .object
        .spec
}

/// The first PortalConnection.
pub fn connection(declared: &mut Declared) -> &mut PortalConnection {
    &mut declared.connections[0].object
}

/// A second Tenant object (same spec as the first) named `name`.
pub fn clone_tenant<'a>(declared: &'a mut Declared, name: &str) -> &'a mut Tenant {
    let mut copy = declared.tenants[0].clone();
    copy.object.metadata.name = Some(name.to_owned());
    copy.location.line += 1000;
    declared.tenants.push(copy);
    &mut declared.tenants.last_mut().expect("just pushed").object
}

/// A second TenantAdmin object named `name`.
pub fn clone_admin<'a>(declared: &'a mut Declared, name: &str) -> &'a mut TenantAdmin {
    let mut copy = declared.admins[0].clone();
    copy.object.metadata.name = Some(name.to_owned());
    copy.location.line += 1000;
    declared.admins.push(copy);
    &mut declared.admins.last_mut().expect("just pushed").object
}
