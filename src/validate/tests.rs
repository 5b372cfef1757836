//! Table-driven tests of every rule: the valid fixture, broken one field at a time.

use super::fixtures::{
    self, admin, binding, clone_admin, clone_binding, clone_tenant, connection, kenton, tenant,
};
use super::{Options, validate, validate_with};
use crate::api::{
    AzureAdMode, Declared, FileSharing, LocalRef, Portal, SbcRegion, SecretKeyRef, SupportRole,
    TeamsService,
};
use crate::api::{Problem, Severity};

/// One problem as `object field rule`, with ` (warning)` for warnings.
fn brief(p: &Problem) -> String {
    let warning = if p.severity == Severity::Warning {
        " (warning)"
    } else {
        ""
    };
    format!("{} {} {}{warning}", p.object.name, p.field, p.rule)
}

fn briefs(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(brief).collect()
}

type Case = (&'static str, fn(&mut Declared), &'static [&'static str]);

fn run(cases: &[Case]) {
    for (name, break_it, want) in cases {
        let mut d = kenton();
        break_it(&mut d);
        let got = validate(&d);
        let mut got_briefs = briefs(&got);
        got_briefs.sort();
        let mut want: Vec<String> = want.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(
            got_briefs,
            want,
            "case {name:?}; problems:\n{}",
            render(&got)
        );
        for p in &got {
            assert!(!p.message.is_empty(), "case {name:?}: empty message");
            assert!(
                p.message.chars().count() < 700,
                "case {name:?}: message too long: {}",
                p.message
            );
        }
    }
}

fn render(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {p}\n")).collect()
}

const LONG: usize = 10_000;

#[test]
fn the_fixture_is_valid() {
    let d = kenton();
    assert_eq!(render(&validate(&d)), "");
    assert_eq!(
        render(&validate_with(
            &d,
            &Options {
                require_secrets: true
            }
        )),
        ""
    );
}

#[test]
fn empty_input_is_valid() {
    assert!(validate(&Declared::default()).is_empty());
}

#[test]
fn identity_rules() {
    run(&[
        (
            "bad name",
            |d| _ = clone_tenant(d, "Bad_Name"),
            &["Bad_Name metadata.name object-name"],
        ),
        (
            "missing name",
            |d| clone_tenant(d, "x").metadata.name = None,
            &[" metadata.name object-name"],
        ),
        (
            "bad namespace",
            |d| clone_tenant(d, "other").metadata.namespace = Some("Bad.NS".into()),
            &["other metadata.namespace object-name"],
        ),
        (
            "duplicate tenant",
            |d| _ = clone_tenant(d, "kenton-electronics"),
            &["kenton-electronics metadata.name duplicate-object"],
        ),
        (
            "duplicate admin",
            |d| _ = clone_admin(d, "kenton-admin"),
            &["kenton-admin metadata.name duplicate-object"],
        ),
        (
            "duplicate binding is not also a second citrix",
            |d| _ = clone_binding(d, "citrix", "kenton-citrix"),
            &["kenton-citrix metadata.name duplicate-object"],
        ),
        (
            "duplicate connection",
            |d| d.connections.push(d.connections[0].clone()),
            &["default metadata.name duplicate-object"],
        ),
    ]);
}

#[test]
fn duplicate_objects_name_both_locations() {
    let mut d = kenton();
    clone_tenant(&mut d, "kenton-electronics");
    let problems = validate(&d);
    assert_eq!(problems.len(), 1);
    let m = &problems[0].message;
    assert!(
        m.contains("customers/kenton.yaml:2 and at customers/kenton.yaml:1002"),
        "{m}"
    );
}

#[test]
fn tenant_rules() {
    run(&[
        (
            "empty display name",
            |d| tenant(d).display_name = String::new(),
            &["kenton-electronics spec.displayName required"],
        ),
        (
            "blank display name",
            |d| tenant(d).display_name = "  \t ".into(),
            &["kenton-electronics spec.displayName required"],
        ),
        (
            "very long display name",
            |d| tenant(d).display_name = "K".repeat(LONG),
            &["kenton-electronics spec.displayName length"],
        ),
        (
            "line break in display name",
            |d| tenant(d).display_name = "Kenton\nElectronics".into(),
            &["kenton-electronics spec.displayName control-characters"],
        ),
        (
            "unicode display name",
            |d| tenant(d).display_name = "Kenton Électronique 株式会社 🚀".into(),
            &[],
        ),
        (
            "128 wide characters are fine",
            |d| tenant(d).display_name = "株".repeat(128),
            &[],
        ),
        (
            "bad code",
            |d| tenant(d).code = Some("ke 1042".into()),
            &["kenton-electronics spec.code tenant-code"],
        ),
        (
            "empty code",
            |d| tenant(d).code = Some(String::new()),
            &["kenton-electronics spec.code tenant-code"],
        ),
        ("no code", |d| tenant(d).code = None, &[]),
        (
            "contact name",
            |d| tenant(d).contact.name = String::new(),
            &["kenton-electronics spec.contact.name required"],
        ),
        (
            "contact email",
            |d| tenant(d).contact.email = "jane".into(),
            &["kenton-electronics spec.contact.email email-syntax"],
        ),
        (
            "empty contact email",
            |d| tenant(d).contact.email = String::new(),
            &["kenton-electronics spec.contact.email required"],
        ),
        (
            "very long contact email",
            |d| tenant(d).contact.email = format!("{}@x.com", "a".repeat(LONG)),
            &["kenton-electronics spec.contact.email email-syntax"],
        ),
        (
            "contact phone",
            |d| tenant(d).contact.phone = Some("555-0100".into()),
            &["kenton-electronics spec.contact.phone phone-syntax"],
        ),
        (
            "address country",
            |d| tenant(d).address.as_mut().unwrap().country = "usa".into(),
            &["kenton-electronics spec.address.country country-code"],
        ),
        (
            "address city",
            |d| tenant(d).address.as_mut().unwrap().city = String::new(),
            &["kenton-electronics spec.address.city required"],
        ),
        (
            "billing id",
            |d| tenant(d).billing_id = Some("x".repeat(65)),
            &["kenton-electronics spec.billingId length"],
        ),
        (
            "no domains",
            |d| tenant(d).domains.clear(),
            &[
                "kenton-electronics spec.domains required",
                "kenton-admin spec.upnDomain upn-domain",
                "kenton-contact-center spec.contactCenter.upnSuffix upn-suffix (warning)",
            ],
        ),
        (
            "upper-case domain",
            |d| tenant(d).domains[1] = "Kenton.IO".into(),
            &["kenton-electronics spec.domains[1] domain-syntax"],
        ),
        (
            "url as domain",
            |d| tenant(d).domains[1] = "https://kenton.io".into(),
            &["kenton-electronics spec.domains[1] domain-syntax"],
        ),
        (
            "empty domain",
            |d| tenant(d).domains[1] = String::new(),
            &["kenton-electronics spec.domains[1] domain-syntax"],
        ),
        (
            "very long domain",
            |d| tenant(d).domains[1] = format!("{}.com", "a".repeat(LONG)),
            &["kenton-electronics spec.domains[1] domain-syntax"],
        ),
        (
            "duplicate domain",
            |d| tenant(d).domains.push("kenton.io".into()),
            &["kenton-electronics spec.domains[2] duplicate-domain"],
        ),
        (
            "too many domains",
            |d| {
                tenant(d)
                    .domains
                    .extend((0..31).map(|i| format!("d{i}.example.com")))
            },
            &["kenton-electronics spec.domains length"],
        ),
        (
            "policy below 8",
            |d| tenant(d).password_policy.min_length = 4,
            &["kenton-electronics spec.passwordPolicy.minLength range"],
        ),
        (
            "policy longer than the passwords",
            |d| tenant(d).password_policy.min_length = 20,
            &[
                "kenton-admin spec.passwordSecretRef password-policy",
                "kenton-contact-center spec.contactCenter.passwordSecretRef password-policy",
            ],
        ),
        (
            "admin contact phone",
            |d| tenant(d).admin_contacts[0].phone = Some("+0123".into()),
            &["kenton-electronics spec.adminContacts[0].phone phone-syntax"],
        ),
        (
            "support contact email",
            |d| tenant(d).support_contacts[2].email = "otto at kenton".into(),
            &["kenton-electronics spec.supportContacts[2].email email-syntax"],
        ),
        (
            "duplicate portal",
            |d| tenant(d).portals.push(Portal::Apps),
            &["kenton-electronics spec.portals[5] duplicate-portal"],
        ),
        (
            "connection not in the input",
            |d| tenant(d).portal_connection_ref = Some(LocalRef { name: "eu".into() }),
            &["kenton-electronics spec.portalConnectionRef.name connection-ref (warning)"],
        ),
        (
            "connection without a portal of the tenant",
            |d| connection(d).spec.portals = vec![Portal::Daas],
            &["kenton-electronics spec.portalConnectionRef.name connection-ref"],
        ),
        (
            "connection serving every portal",
            |d| connection(d).spec.portals.clear(),
            &[],
        ),
    ]);
}

#[test]
fn cloudlink_rules() {
    run(&[
        (
            "no address",
            |d| tenant(d).address = None,
            &["kenton-electronics spec.address cloudlink-address"],
        ),
        (
            "no maintainer",
            |d| {
                tenant(d)
                    .support_contacts
                    .retain(|c| c.role != SupportRole::Maintainer)
            },
            &["kenton-electronics spec.supportContacts cloudlink-support-contacts"],
        ),
        (
            "no support contacts",
            |d| tenant(d).support_contacts.clear(),
            &["kenton-electronics spec.supportContacts cloudlink-support-contacts"],
        ),
        (
            "without cloudlink neither is needed, but the gateway binding is out of place",
            |d| {
                let t = tenant(d);
                t.portals.retain(|p| *p != Portal::CloudLink);
                t.address = None;
                t.support_contacts.clear();
            },
            &["kenton-cloudlink spec.cloudlinkGateway portal-not-enabled"],
        ),
        (
            "a second gateway",
            |d| _ = clone_binding(d, "cloudlink", "kenton-cloudlink-2"),
            &["kenton-cloudlink-2 spec.cloudlinkGateway one-per-tenant"],
        ),
    ]);
}

#[test]
fn cloudlink_message_names_the_missing_roles() {
    let mut d = kenton();
    tenant(&mut d)
        .support_contacts
        .retain(|c| c.role != SupportRole::OnsiteAdmin);
    let problems = validate(&d);
    assert!(
        problems[0].message.contains("missing: OnsiteAdmin"),
        "{}",
        problems[0].message
    );
}

#[test]
fn admin_rules() {
    run(&[
        (
            "empty first name",
            |d| admin(d).first_name = String::new(),
            &["kenton-admin spec.firstName required"],
        ),
        (
            "non-Latin names cannot derive a username",
            |d| {
                admin(d).first_name = "李".into();
                admin(d).last_name = "王".into();
            },
            &["kenton-admin spec.username username"],
        ),
        (
            "an underivable username does not hide a missing secret",
            |d| {
                admin(d).first_name = "李".into();
                admin(d).last_name = "王".into();
                d.secrets.clear();
            },
            &[
                "kenton-admin spec.username username",
                "kenton-admin spec.passwordSecretRef secret-missing (warning)",
                "kenton-contact-center spec.contactCenter.passwordSecretRef secret-missing (warning)",
            ],
        ),
        (
            "non-Latin names with a username",
            |d| {
                admin(d).first_name = "李".into();
                admin(d).last_name = "王".into();
                admin(d).username = Some("wli".into());
            },
            &[],
        ),
        (
            "accented names fold",
            |d| admin(d).last_name = "Röe-Zoë".into(),
            &[],
        ),
        (
            "very long last name",
            |d| admin(d).last_name = "r".repeat(LONG),
            &[
                "kenton-admin spec.lastName length",
                "kenton-admin spec.username username",
            ],
        ),
        (
            "upper-case username",
            |d| admin(d).username = Some("JRoe".into()),
            &["kenton-admin spec.username username"],
        ),
        (
            "empty username",
            |d| admin(d).username = Some(String::new()),
            &["kenton-admin spec.username username"],
        ),
        (
            "dotted username",
            |d| admin(d).username = Some("jane.roe".into()),
            &[],
        ),
        (
            "upn domain elsewhere",
            |d| admin(d).upn_domain = "example.com".into(),
            &["kenton-admin spec.upnDomain upn-domain"],
        ),
        (
            "upn domain in another case",
            |d| admin(d).upn_domain = "KENTON.IO".into(),
            &[],
        ),
        (
            "empty upn domain",
            |d| admin(d).upn_domain = String::new(),
            &["kenton-admin spec.upnDomain required"],
        ),
        (
            "external email",
            |d| admin(d).external_email = "jane roe@example.net".into(),
            &["kenton-admin spec.externalEmail email-syntax"],
        ),
        (
            "phone",
            |d| admin(d).phone = Some("+1 555 555 0102".into()),
            &["kenton-admin spec.phone phone-syntax"],
        ),
        (
            "both password sources",
            |d| admin(d).generate_password = true,
            &["kenton-admin spec.passwordSecretRef password-source"],
        ),
        (
            "no password source",
            |d| admin(d).password_secret_ref = None,
            &["kenton-admin spec.passwordSecretRef password-source"],
        ),
        (
            "generated password",
            |d| {
                admin(d).password_secret_ref = None;
                admin(d).generate_password = true;
            },
            &[],
        ),
        (
            "secret not in the input",
            |d| d.secrets.clear(),
            &[
                "kenton-admin spec.passwordSecretRef secret-missing (warning)",
                "kenton-contact-center spec.contactCenter.passwordSecretRef secret-missing (warning)",
            ],
        ),
        (
            "secret key not in the input",
            |d| {
                admin(d).password_secret_ref = Some(SecretKeyRef {
                    name: "kenton-admin".into(),
                    key: "initial".into(),
                })
            },
            &["kenton-admin spec.passwordSecretRef secret-missing (warning)"],
        ),
        (
            "password contains the derived username",
            |d| fixtures::set_secret(d, "kenton-admin", "Hello-JRoe-2024"),
            &["kenton-admin spec.passwordSecretRef password-policy"],
        ),
        (
            "password is a variant of the username",
            |d| fixtures::set_secret(d, "kenton-admin", "Xx-j.r.0.e-2024"),
            &["kenton-admin spec.passwordSecretRef password-policy"],
        ),
        (
            "password equal to the username in another case",
            |d| {
                admin(d).username = Some("harbor.master".into());
                fixtures::set_secret(d, "kenton-admin", "HARBOR.MASTER");
            },
            &[
                "kenton-admin spec.passwordSecretRef password-policy",
                "kenton-admin spec.passwordSecretRef password-policy",
            ],
        ),
        (
            "password too short and one class",
            |d| fixtures::set_secret(d, "kenton-admin", "abc"),
            &[
                "kenton-admin spec.passwordSecretRef password-policy",
                "kenton-admin spec.passwordSecretRef password-policy",
            ],
        ),
        (
            "empty password",
            |d| fixtures::set_secret(d, "kenton-admin", ""),
            &[
                "kenton-admin spec.passwordSecretRef password-policy",
                "kenton-admin spec.passwordSecretRef password-policy",
            ],
        ),
        (
            "tenant without daas",
            |d| tenant(d).portals.retain(|p| *p != Portal::Daas),
            &[
                "kenton-admin spec.tenantRef portal-not-enabled",
                "kenton-azure-ad spec.azureAD portal-not-enabled",
                "kenton-citrix spec.citrix portal-not-enabled",
                "kenton-file-sharing spec.fileSharing portal-not-enabled",
                "kenton-microsoft-online spec.microsoftOnline portal-not-enabled",
            ],
        ),
        (
            "unknown tenant",
            |d| admin(d).tenant_ref.name = "kenton".into(),
            &["kenton-admin spec.tenantRef.name tenant-ref"],
        ),
        (
            "empty tenant ref",
            |d| admin(d).tenant_ref.name = String::new(),
            &["kenton-admin spec.tenantRef.name tenant-ref"],
        ),
        (
            "tenant of another namespace",
            |d| {
                clone_tenant(d, "elsewhere").metadata.namespace = Some("other".into());
                admin(d).tenant_ref.name = "elsewhere".into();
            },
            &["kenton-admin spec.tenantRef.name tenant-ref"],
        ),
    ]);
}

#[test]
fn missing_secrets_are_errors_when_required() {
    let mut d = kenton();
    d.secrets.clear();
    let problems = validate_with(
        &d,
        &Options {
            require_secrets: true,
        },
    );
    assert_eq!(
        briefs(&problems),
        [
            "kenton-admin spec.passwordSecretRef secret-missing",
            "kenton-contact-center spec.contactCenter.passwordSecretRef secret-missing",
        ]
    );
    let m = &problems[0].message;
    assert!(m.contains("add a Secret manifest to the input"), "{m}");
    assert!(
        m.contains("TENANTRY_SECRET_CUSTOMERS_KENTON_ADMIN_PASSWORD"),
        "{m}"
    );
}

#[test]
fn binding_rules() {
    run(&[
        (
            "no service block",
            |d| binding(d, "citrix").citrix = None,
            &["kenton-citrix spec service-block"],
        ),
        (
            "two service blocks",
            |d| {
                binding(d, "citrix").file_sharing = Some(Box::new(FileSharing {
                    drive_letter: "X".into(),
                }))
            },
            &["kenton-citrix spec service-block"],
        ),
        (
            "unknown tenant",
            |d| binding(d, "meet").tenant_ref.name = "nobody".into(),
            &["kenton-meet spec.tenantRef.name tenant-ref"],
        ),
        (
            "portal not enabled",
            |d| tenant(d).portals.retain(|p| *p != Portal::Apps),
            &[
                "kenton-meet spec.licenses portal-not-enabled",
                "kenton-sms spec.sms portal-not-enabled",
            ],
        ),
        (
            "dependency not declared",
            |d| {
                binding(d, "citrix").depends_on.push(LocalRef {
                    name: "kenton-ghost".into(),
                })
            },
            &["kenton-citrix spec.dependsOn[0].name depends-on"],
        ),
        (
            "dependency listed twice",
            |d| {
                binding(d, "microsoft-online").depends_on.push(LocalRef {
                    name: "kenton-azure-ad".into(),
                })
            },
            &["kenton-microsoft-online spec.dependsOn[1] duplicate-entry"],
        ),
    ]);
}

#[test]
fn daas_rules() {
    run(&[
        (
            "create new with a tenant id",
            |d| binding(d, "azure-ad").azure_ad.as_mut().unwrap().mode = AzureAdMode::CreateNew,
            &["kenton-azure-ad spec.azureAD.existingTenantId azure-ad-mode"],
        ),
        (
            "create new",
            |d| {
                let a = binding(d, "azure-ad").azure_ad.as_mut().unwrap();
                a.mode = AzureAdMode::CreateNew;
                a.existing_tenant_id = None;
            },
            &[],
        ),
        (
            "connect existing without a tenant id",
            |d| {
                binding(d, "azure-ad")
                    .azure_ad
                    .as_mut()
                    .unwrap()
                    .existing_tenant_id = None
            },
            &["kenton-azure-ad spec.azureAD.existingTenantId azure-ad-mode"],
        ),
        (
            "malformed tenant id",
            |d| {
                binding(d, "azure-ad")
                    .azure_ad
                    .as_mut()
                    .unwrap()
                    .existing_tenant_id = Some("kenton.onmicrosoft.com".into())
            },
            &["kenton-azure-ad spec.azureAD.existingTenantId azure-ad-mode"],
        ),
        (
            "accepted by",
            |d| {
                binding(d, "azure-ad")
                    .azure_ad
                    .as_mut()
                    .unwrap()
                    .accepted_by
                    .as_mut()
                    .unwrap()
                    .email = "x@y".into()
            },
            &["kenton-azure-ad spec.azureAD.acceptedBy.email email-syntax"],
        ),
        (
            "microsoft online without azure ad",
            |d| {
                d.bindings
                    .retain(|b| b.object.metadata.name.as_deref() != Some("kenton-azure-ad"))
            },
            &[
                "kenton-microsoft-online spec.dependsOn[0].name depends-on",
                "kenton-microsoft-online spec.microsoftOnline microsoft-online-needs-azure-ad",
            ],
        ),
        (
            "a second azure ad",
            |d| _ = clone_binding(d, "azure-ad", "kenton-azure-ad-2"),
            &["kenton-azure-ad-2 spec.azureAD one-per-tenant"],
        ),
        (
            "a second microsoft online",
            |d| _ = clone_binding(d, "microsoft-online", "kenton-microsoft-online-2"),
            &["kenton-microsoft-online-2 spec.microsoftOnline one-per-tenant"],
        ),
        (
            "a second citrix",
            |d| _ = clone_binding(d, "citrix", "kenton-citrix-2"),
            &["kenton-citrix-2 spec.citrix one-per-tenant"],
        ),
        (
            "a second file sharing",
            |d| _ = clone_binding(d, "file-sharing", "kenton-file-sharing-2"),
            &["kenton-file-sharing-2 spec.fileSharing one-per-tenant"],
        ),
        (
            "citrix with nothing published yet",
            |d| **binding(d, "citrix").citrix.as_mut().unwrap() = Default::default(),
            &[],
        ),
        (
            "duplicate application",
            |d| {
                binding(d, "citrix")
                    .citrix
                    .as_mut()
                    .unwrap()
                    .applications
                    .push("Excel".into())
            },
            &["kenton-citrix spec.citrix.applications[2] duplicate-entry"],
        ),
        (
            "blank desktop",
            |d| {
                binding(d, "citrix")
                    .citrix
                    .as_mut()
                    .unwrap()
                    .desktops
                    .push(" ".into())
            },
            &["kenton-citrix spec.citrix.desktops[1] required"],
        ),
        (
            "drive letter",
            |d| {
                binding(d, "file-sharing")
                    .file_sharing
                    .as_mut()
                    .unwrap()
                    .drive_letter = "C".into()
            },
            &["kenton-file-sharing spec.fileSharing.driveLetter drive-letter"],
        ),
    ]);
}

#[test]
fn teammate_rules() {
    fn teams(d: &mut Declared) -> &mut crate::api::TeamsConnector {
        binding(d, "teams").teams_connector.as_mut().unwrap()
    }
    run(&[
        (
            "admin email",
            |d| teams(d).admin_email = "globaladmin".into(),
            &["kenton-teams spec.teamsConnector.adminEmail email-syntax"],
        ),
        (
            "user limit 0",
            |d| teams(d).user_limit = Some(0),
            &["kenton-teams spec.teamsConnector.userLimit range"],
        ),
        (
            "user limit too high",
            |d| teams(d).user_limit = Some(u32::MAX),
            &["kenton-teams spec.teamsConnector.userLimit range"],
        ),
        ("no user limit", |d| teams(d).user_limit = None, &[]),
        (
            "no region",
            |d| teams(d).sbc_regions.clear(),
            &["kenton-teams spec.teamsConnector.sbcRegions sbc-region"],
        ),
        (
            "region twice",
            |d| teams(d).sbc_regions.push(SbcRegion::UsEast),
            &["kenton-teams spec.teamsConnector.sbcRegions[2] duplicate-entry"],
        ),
        (
            "no service",
            |d| teams(d).services.clear(),
            &["kenton-teams spec.teamsConnector.services teams-services"],
        ),
        (
            "pbx without type",
            |d| teams(d).pbx_types.clear(),
            &["kenton-teams spec.teamsConnector.pbxTypes pbx-type"],
        ),
        (
            "trunk only needs no type",
            |d| {
                teams(d).services = vec![TeamsService::Trunk];
                teams(d).pbx_types.clear();
            },
            &[],
        ),
        (
            "blank pbx type",
            |d| teams(d).pbx_types = vec![String::new()],
            &["kenton-teams spec.teamsConnector.pbxTypes[0] required"],
        ),
        (
            "admin e-mail shared by two enterprises, in another case",
            |d| {
                clone_binding(d, "teams", "kenton-teams-2")
                    .teams_connector
                    .as_mut()
                    .unwrap()
                    .admin_email = "GlobalAdmin@Kenton-Electronics.com".into()
            },
            &["kenton-teams-2 spec.teamsConnector.adminEmail duplicate-admin-email"],
        ),
        (
            "admin e-mail shared across tenants and namespaces",
            |d| {
                let t = clone_tenant(d, "kenton-electronics");
                t.metadata.namespace = Some("other".into());
                let b = clone_binding(d, "teams", "other-teams");
                b.tenant_ref.name = "kenton-electronics".into();
                d.bindings.last_mut().unwrap().object.metadata.namespace = Some("other".into());
            },
            &["other-teams spec.teamsConnector.adminEmail duplicate-admin-email"],
        ),
    ]);
}

#[test]
fn contact_center_rules() {
    fn cc(d: &mut Declared) -> &mut crate::api::ContactCenter {
        binding(d, "contact-center")
            .contact_center
            .as_mut()
            .unwrap()
    }
    run(&[
        (
            "name with a space",
            |d| cc(d).name = "Kenton Electronics".into(),
            &["kenton-contact-center spec.contactCenter.name contact-center-name"],
        ),
        (
            "short name with underscore",
            |d| cc(d).short_name = "k_e".into(),
            &["kenton-contact-center spec.contactCenter.shortName contact-center-name"],
        ),
        (
            "unicode name",
            |d| cc(d).name = "Kentön".into(),
            &["kenton-contact-center spec.contactCenter.name contact-center-name"],
        ),
        (
            "empty name",
            |d| cc(d).name = String::new(),
            &["kenton-contact-center spec.contactCenter.name contact-center-name"],
        ),
        (
            "very long name",
            |d| cc(d).name = "K".repeat(LONG),
            &["kenton-contact-center spec.contactCenter.name length"],
        ),
        (
            "long short name",
            |d| cc(d).short_name = "k".repeat(17),
            &["kenton-contact-center spec.contactCenter.shortName length"],
        ),
        (
            "empty template",
            |d| cc(d).template = String::new(),
            &["kenton-contact-center spec.contactCenter.template required"],
        ),
        (
            "upn suffix not a domain",
            |d| cc(d).upn_suffix = "kenton electronics".into(),
            &["kenton-contact-center spec.contactCenter.upnSuffix upn-suffix"],
        ),
        (
            "upn suffix of another domain",
            |d| cc(d).upn_suffix = "example.com".into(),
            &["kenton-contact-center spec.contactCenter.upnSuffix upn-suffix (warning)"],
        ),
        (
            "admin user with a space",
            |d| cc(d).admin_user = "ke admin".into(),
            &["kenton-contact-center spec.contactCenter.adminUser admin-user"],
        ),
        (
            "ani without +",
            |d| cc(d).ani = "5555550100".into(),
            &["kenton-contact-center spec.contactCenter.ani phone-syntax"],
        ),
        (
            "empty ani",
            |d| cc(d).ani = String::new(),
            &["kenton-contact-center spec.contactCenter.ani phone-syntax"],
        ),
        (
            "notification email",
            |d| cc(d).notification_email = Some("it@".into()),
            &["kenton-contact-center spec.contactCenter.notificationEmail email-syntax"],
        ),
        (
            "callback folder email",
            |d| cc(d).callback_folder_email = Some("callbacks".into()),
            &["kenton-contact-center spec.contactCenter.callbackFolderEmail email-syntax"],
        ),
        (
            "contact",
            |d| cc(d).contact.as_mut().unwrap().name = String::new(),
            &["kenton-contact-center spec.contactCenter.contact.name required"],
        ),
        (
            "both password sources",
            |d| cc(d).generate_password = true,
            &["kenton-contact-center spec.contactCenter.passwordSecretRef password-source"],
        ),
        (
            "password contains the admin user in another case",
            |d| fixtures::set_secret(d, "kenton-cc", "KEADMIN-2024-x"),
            &["kenton-contact-center spec.contactCenter.passwordSecretRef password-policy"],
        ),
        (
            "names unique across the input",
            |d| _ = clone_binding(d, "contact-center", "kenton-contact-center-2"),
            &[
                "kenton-contact-center-2 spec.contactCenter.name duplicate-contact-center",
                "kenton-contact-center-2 spec.contactCenter.shortName duplicate-contact-center",
            ],
        ),
        (
            "names unique ignoring case",
            |d| {
                let c = clone_binding(d, "contact-center", "kenton-contact-center-2")
                    .contact_center
                    .as_mut()
                    .unwrap();
                c.name = "KENTONELECTRONICS".into();
                c.short_name = "ke2".into();
            },
            &["kenton-contact-center-2 spec.contactCenter.name duplicate-contact-center"],
        ),
    ]);
}

#[test]
fn apps_rules() {
    fn sms(d: &mut Declared) -> &mut crate::api::Sms {
        binding(d, "sms").sms.as_mut().unwrap()
    }
    fn licenses(d: &mut Declared) -> &mut crate::api::Licenses {
        binding(d, "meet").licenses.as_mut().unwrap()
    }
    run(&[
        (
            "license user",
            |d| licenses(d).assignments[0].user = "jane".into(),
            &["kenton-meet spec.licenses.assignments[0].user email-syntax"],
        ),
        (
            "license user twice, in another case",
            |d| licenses(d).assignments[1].user = "JANE@kenton-electronics.com".into(),
            &["kenton-meet spec.licenses.assignments[1].user duplicate-license-user"],
        ),
        (
            "no assignments",
            |d| licenses(d).assignments.clear(),
            &["kenton-meet spec.licenses.assignments required"],
        ),
        (
            "did not E.164",
            |d| sms(d).did = "5555550123".into(),
            &["kenton-sms spec.sms.did phone-syntax"],
        ),
        (
            "did empty",
            |d| sms(d).did = String::new(),
            &["kenton-sms spec.sms.did phone-syntax"],
        ),
        (
            "US did without campaign",
            |d| sms(d).campaign_id = None,
            &["kenton-sms spec.sms.campaignId sms-10dlc-campaign"],
        ),
        (
            "UK did without campaign",
            |d| {
                sms(d).did = "+442071838750".into();
                sms(d).campaign_id = None;
            },
            &[],
        ),
        (
            "campaign id syntax",
            |d| sms(d).campaign_id = Some("c1a2b3c".into()),
            &["kenton-sms spec.sms.campaignId campaign-id"],
        ),
        (
            "sms user",
            |d| sms(d).user = Some("jane@".into()),
            &["kenton-sms spec.sms.user email-syntax"],
        ),
        (
            "same DID bound twice",
            |d| _ = clone_binding(d, "sms", "kenton-sms-2"),
            &["kenton-sms-2 spec.sms.did duplicate-did"],
        ),
    ]);
}

#[test]
fn the_10dlc_message_names_the_rule() {
    let mut d = kenton();
    binding(&mut d, "sms").sms.as_mut().unwrap().campaign_id = None;
    let problems = validate(&d);
    assert_eq!(problems[0].severity, Severity::Error);
    let m = &problems[0].message;
    assert!(
        m.contains("2023-06-01") && m.contains("not delivered") && m.contains("campaignId"),
        "{m}"
    );
}

#[test]
fn connection_rules() {
    run(&[
        (
            "ftp url",
            |d| connection(d).spec.url = "ftp://portal.example.net".into(),
            &["default spec.url connection-url"],
        ),
        (
            "empty url",
            |d| connection(d).spec.url = String::new(),
            &["default spec.url connection-url"],
        ),
        (
            "very long url",
            |d| connection(d).spec.url = format!("https://portal.example.net/{}", "a".repeat(LONG)),
            &["default spec.url length"],
        ),
        (
            "timeout 0",
            |d| connection(d).spec.timeout_seconds = 0,
            &["default spec.timeoutSeconds range"],
        ),
        (
            "portal twice",
            |d| connection(d).spec.portals.push(Portal::Daas),
            &["default spec.portals[5] duplicate-entry"],
        ),
        (
            "credentials key empty",
            |d| {
                connection(d)
                    .spec
                    .credentials_secret_ref
                    .as_mut()
                    .unwrap()
                    .key = String::new()
            },
            &["default spec.credentialsSecretRef.key required"],
        ),
    ]);
}

/// Sets the first connection's `spec.api` and `spec.auth` (from the manifest's JSON), with no
/// bearer token unless `keep_token`.
fn vendor(d: &mut Declared, api: &str, auth: serde_json::Value, keep_token: bool) {
    let c = connection(d);
    c.spec.api = serde_json::from_value(serde_json::json!(api)).expect("an api");
    c.spec.auth =
        (!auth.is_null()).then(|| Box::new(serde_json::from_value(auth).expect("an auth block")));
    if !keep_token {
        c.spec.credentials_secret_ref = None;
    }
}

fn secret_ref() -> serde_json::Value {
    serde_json::json!({"namespace": "tenantry-system", "name": "vendor", "key": "value"})
}

fn client_credentials() -> serde_json::Value {
    serde_json::json!({"clientCredentials": {
        "tokenUrl": "https://login.microsoftonline.com/t/oauth2/v2.0/token", "clientId": "app",
        "clientSecretRef": secret_ref(), "scope": "https://graph.microsoft.com/.default"}})
}

fn refresh_token() -> serde_json::Value {
    serde_json::json!({"refreshToken": {
        "tokenUrl": "https://login.microsoftonline.com/partner/oauth2/token", "clientId": "app",
        "clientSecretRef": secret_ref(), "refreshTokenRef": secret_ref(),
        "resource": "https://api.partnercenter.microsoft.com"}})
}

fn password_grant(account: bool) -> serde_json::Value {
    let mut grant = serde_json::json!({
        "tokenUrl": "https://api.connecttoteams.com/oauth/token", "clientId": "c2t",
        "clientSecretRef": secret_ref(), "username": "api-user", "passwordRef": secret_ref()});
    if account {
        grant["accountId"] = serde_json::json!("acc-1");
    }
    serde_json::json!({ "password": grant })
}

fn api_key() -> serde_json::Value {
    serde_json::json!({"apiKey": {"keyRef": secret_ref(), "secretRef": secret_ref()}})
}

/// One flow's block with `field` replaced by `value` (`null` removes it).
fn with(
    mut auth: serde_json::Value,
    flow: &str,
    field: &str,
    value: serde_json::Value,
) -> serde_json::Value {
    match value {
        serde_json::Value::Null => {
            auth[flow].as_object_mut().expect("a flow").remove(field);
        }
        value => auth[flow][field] = value,
    }
    auth
}

#[test]
fn each_api_takes_its_own_auth() {
    run(&[
        ("contract, bearer token (the fixture)", |_| {}, &[]),
        (
            "contract, client credentials",
            |d| vendor(d, "contract", client_credentials(), false),
            &[],
        ),
        (
            "contract, refresh token",
            |d| vendor(d, "contract", refresh_token(), false),
            &[],
        ),
        (
            "contract, password",
            |d| vendor(d, "contract", password_grant(false), false),
            &[],
        ),
        (
            "contract, no credentials at all",
            |d| vendor(d, "contract", serde_json::Value::Null, false),
            &[],
        ),
        (
            "partnerCenter, client credentials",
            |d| vendor(d, "partnerCenter", client_credentials(), false),
            &[],
        ),
        (
            "partnerCenter, refresh token",
            |d| vendor(d, "partnerCenter", refresh_token(), false),
            &[],
        ),
        (
            "graph, client credentials",
            |d| vendor(d, "graph", client_credentials(), false),
            &[],
        ),
        (
            "connectToTeams, password",
            |d| vendor(d, "connectToTeams", password_grant(false), false),
            &[],
        ),
        (
            "cloudLink, password with accountId",
            |d| vendor(d, "cloudLink", password_grant(true), false),
            &[],
        ),
        (
            "campaignRegistry, API key",
            |d| vendor(d, "campaignRegistry", api_key(), false),
            &[],
        ),
    ]);
}

/// A manual connection (no URL, no credentials) attested every `every`.
fn manual_every(d: &mut Declared, every: Option<&str>) {
    let c = connection(d);
    c.spec.api = serde_json::from_value(serde_json::json!("manual")).expect("an api");
    c.spec.url = String::new();
    c.spec.credentials_secret_ref = None;
    c.spec.attest_every = every.map(str::to_owned);
}

#[test]
fn connection_attest_every_rules() {
    const ATTEST: &str = "default spec.attestEvery connection-attest";
    run(&[
        ("manual, default 90 days", |d| manual_every(d, None), &[]),
        ("manual, 30d", |d| manual_every(d, Some("30d")), &[]),
        ("manual, 12h", |d| manual_every(d, Some("12h")), &[]),
        ("manual, never", |d| manual_every(d, Some("never")), &[]),
        ("manual, 0", |d| manual_every(d, Some("0")), &[]),
        (
            "manual, no unit",
            |d| manual_every(d, Some("90")),
            &[ATTEST],
        ),
        ("manual, weeks", |d| manual_every(d, Some("2w")), &[ATTEST]),
        (
            "manual, negative",
            |d| manual_every(d, Some("-1d")),
            &[ATTEST],
        ),
        (
            "contract with attestEvery",
            |d| connection(d).spec.attest_every = Some("30d".to_owned()),
            &[ATTEST],
        ),
    ]);
}

#[test]
fn connection_auth_rules() {
    const AUTH: &str = "default spec.auth connection-auth";
    run(&[
        // Each vendor API with a flow it does not take.
        (
            "partnerCenter, password",
            |d| vendor(d, "partnerCenter", password_grant(false), false),
            &[AUTH],
        ),
        (
            "partnerCenter, API key",
            |d| vendor(d, "partnerCenter", api_key(), false),
            &[AUTH, "default spec.auth.apiKey connection-auth"],
        ),
        (
            "graph, password",
            |d| vendor(d, "graph", password_grant(false), false),
            &[AUTH],
        ),
        (
            "connectToTeams, client credentials",
            |d| vendor(d, "connectToTeams", client_credentials(), false),
            &[AUTH],
        ),
        (
            "connectToTeams, refresh token",
            |d| vendor(d, "connectToTeams", refresh_token(), false),
            &[AUTH],
        ),
        (
            "cloudLink, client credentials",
            |d| vendor(d, "cloudLink", client_credentials(), false),
            &[AUTH],
        ),
        (
            "cloudLink, password without accountId",
            |d| vendor(d, "cloudLink", password_grant(false), false),
            &["default spec.auth.password.accountId connection-auth"],
        ),
        (
            "campaignRegistry, client credentials",
            |d| vendor(d, "campaignRegistry", client_credentials(), false),
            &[AUTH],
        ),
        (
            "campaignRegistry, password",
            |d| vendor(d, "campaignRegistry", password_grant(false), false),
            &[AUTH],
        ),
        (
            "contract, API key",
            |d| vendor(d, "contract", api_key(), false),
            &["default spec.auth.apiKey connection-auth"],
        ),
        // A bearer token where it does not belong, or no credentials for a vendor API.
        (
            "partnerCenter, bearer token",
            |d| vendor(d, "partnerCenter", serde_json::Value::Null, true),
            &[AUTH, "default spec.credentialsSecretRef connection-auth"],
        ),
        (
            "graph, no credentials",
            |d| vendor(d, "graph", serde_json::Value::Null, false),
            &[AUTH],
        ),
        (
            "cloudLink, no credentials",
            |d| vendor(d, "cloudLink", serde_json::Value::Null, false),
            &[AUTH],
        ),
        (
            "campaignRegistry, no credentials",
            |d| vendor(d, "campaignRegistry", serde_json::Value::Null, false),
            &[AUTH],
        ),
        (
            "bearer token and an auth block",
            |d| vendor(d, "contract", client_credentials(), true),
            &[AUTH],
        ),
        // The shape of the block.
        (
            "no flow",
            |d| vendor(d, "contract", serde_json::json!({}), false),
            &[AUTH],
        ),
        (
            "two flows",
            |d| {
                let mut both = client_credentials();
                both["password"] = password_grant(false)["password"].clone();
                vendor(d, "contract", both, false)
            },
            &[AUTH],
        ),
        (
            "client credentials with scope and resource",
            |d| {
                let auth = with(
                    client_credentials(),
                    "clientCredentials",
                    "resource",
                    serde_json::json!("https://api.partnercenter.microsoft.com"),
                );
                vendor(d, "graph", auth, false)
            },
            &["default spec.auth.clientCredentials connection-auth"],
        ),
        (
            "refresh token with scope and resource",
            |d| {
                let auth = with(
                    refresh_token(),
                    "refreshToken",
                    "scope",
                    serde_json::json!("s"),
                );
                vendor(d, "partnerCenter", auth, false)
            },
            &["default spec.auth.refreshToken connection-auth"],
        ),
        (
            "password client secret without client id",
            |d| {
                let auth = with(
                    password_grant(false),
                    "password",
                    "clientId",
                    serde_json::Value::Null,
                );
                vendor(d, "connectToTeams", auth, false)
            },
            &["default spec.auth.password.clientId connection-auth"],
        ),
        (
            "token URL not http",
            |d| {
                let auth = with(
                    client_credentials(),
                    "clientCredentials",
                    "tokenUrl",
                    serde_json::json!("ftp://login.example"),
                );
                vendor(d, "graph", auth, false)
            },
            &["default spec.auth.clientCredentials.tokenUrl connection-auth"],
        ),
        (
            "a connection delegating to itself",
            |d| {
                connection(d).spec.delegates.push(
                    serde_json::from_value(serde_json::json!({"name": "default"})).expect("a ref"),
                );
            },
            &["default spec.delegates[0].name connection-auth"],
        ),
        // Secret references that name nothing.
        (
            "client secret name empty",
            |d| {
                let auth = with(
                    client_credentials(),
                    "clientCredentials",
                    "clientSecretRef",
                    serde_json::json!({"namespace": "tenantry-system", "name": "", "key": "k"}),
                );
                vendor(d, "graph", auth, false)
            },
            &["default spec.auth.clientCredentials.clientSecretRef.name required"],
        ),
        (
            "refresh token key empty",
            |d| {
                let auth = with(
                    refresh_token(),
                    "refreshToken",
                    "refreshTokenRef",
                    serde_json::json!({"namespace": "tenantry-system", "name": "pc", "key": ""}),
                );
                vendor(d, "partnerCenter", auth, false)
            },
            &["default spec.auth.refreshToken.refreshTokenRef.key required"],
        ),
        (
            "password namespace empty",
            |d| {
                let auth = with(
                    password_grant(true),
                    "password",
                    "passwordRef",
                    serde_json::json!({"namespace": "", "name": "mitel", "key": "k"}),
                );
                vendor(d, "cloudLink", auth, false)
            },
            &["default spec.auth.password.passwordRef.namespace required"],
        ),
        (
            "API secret name empty",
            |d| {
                let mut auth = api_key();
                auth["apiKey"]["secretRef"]["name"] = serde_json::json!("");
                vendor(d, "campaignRegistry", auth, false)
            },
            &["default spec.auth.apiKey.secretRef.name required"],
        ),
    ]);
}

#[test]
fn connection_auth_messages_say_what_to_set() {
    let mut d = kenton();
    vendor(&mut d, "cloudLink", client_credentials(), false);
    let problems = validate(&d);
    assert_eq!(problems.len(), 1, "{}", render(&problems));
    let m = &problems[0].message;
    assert!(m.contains("set spec.auth.password"), "{m}");
}

fn depend(d: &mut Declared, from: &str, to: &str) {
    binding(d, from).depends_on.push(LocalRef {
        name: format!("kenton-{to}"),
    });
}

#[test]
fn dependency_cycles() {
    run(&[
        (
            "two bindings",
            |d| depend(d, "citrix", "file-sharing"),
            &["kenton-citrix spec.dependsOn dependency-cycle"],
        ),
        (
            "self",
            |d| depend(d, "citrix", "citrix"),
            &["kenton-citrix spec.dependsOn dependency-cycle"],
        ),
        (
            "explicit microsoftOnline → azureAD edge",
            |d| depend(d, "azure-ad", "microsoft-online"),
            &["kenton-azure-ad spec.dependsOn dependency-cycle"],
        ),
        (
            "implicit microsoftOnline → azureAD edge",
            |d| {
                binding(d, "microsoft-online").depends_on.clear();
                depend(d, "azure-ad", "microsoft-online");
            },
            &["kenton-azure-ad spec.dependsOn dependency-cycle"],
        ),
        (
            "three bindings",
            |d| {
                depend(d, "meet", "sms");
                depend(d, "sms", "cloudlink");
                depend(d, "cloudlink", "meet");
            },
            &["kenton-cloudlink spec.dependsOn dependency-cycle"],
        ),
        (
            "two separate cycles",
            |d| {
                depend(d, "citrix", "file-sharing");
                depend(d, "meet", "sms");
                depend(d, "sms", "meet");
            },
            &[
                "kenton-citrix spec.dependsOn dependency-cycle",
                "kenton-meet spec.dependsOn dependency-cycle",
            ],
        ),
        (
            "a chain is no cycle",
            |d| {
                depend(d, "meet", "sms");
                depend(d, "sms", "cloudlink");
                depend(d, "cloudlink", "teams");
            },
            &[],
        ),
    ]);
}

#[test]
fn cycle_messages_spell_out_the_cycle() {
    let mut d = kenton();
    depend(&mut d, "meet", "sms");
    depend(&mut d, "sms", "cloudlink");
    depend(&mut d, "cloudlink", "meet");
    let m = &validate(&d)[0].message;
    assert!(
        m.contains("kenton-cloudlink → kenton-meet → kenton-sms → kenton-cloudlink"),
        "{m}"
    );

    let mut d = kenton();
    binding(&mut d, "microsoft-online").depends_on.clear();
    depend(&mut d, "azure-ad", "microsoft-online");
    let m = &validate(&d)[0].message;
    assert!(
        m.contains("kenton-azure-ad → kenton-microsoft-online → kenton-azure-ad"),
        "{m}"
    );
    assert!(m.contains("microsoftOnline always waits"), "{m}");

    let mut d = kenton();
    depend(&mut d, "citrix", "citrix");
    let m = &validate(&d)[0].message;
    assert!(m.contains("kenton-citrix → kenton-citrix"), "{m}");
}

#[test]
fn a_long_chain_of_dependencies_does_not_overflow() {
    let mut d = kenton();
    let n = 20_000;
    for i in 0..n {
        let b = clone_binding(&mut d, "teams", &format!("chain-{i}"));
        b.teams_connector.as_mut().unwrap().admin_email =
            format!("admin{i}@kenton-electronics.com");
        b.depends_on = vec![LocalRef {
            name: format!("chain-{}", (i + 1) % n),
        }];
    }
    let problems = validate(&d);
    assert_eq!(
        briefs(&problems),
        ["chain-0 spec.dependsOn dependency-cycle"]
    );
}

#[test]
fn many_independent_problems_are_reported_together_and_sorted() {
    let mut d = kenton();
    tenant(&mut d).display_name = String::new();
    admin(&mut d).external_email = "nope".into();
    binding(&mut d, "sms").sms.as_mut().unwrap().campaign_id = None;
    connection(&mut d).spec.url = "nope".into();
    let problems = validate(&d);
    assert_eq!(
        briefs(&problems),
        [
            "kenton-electronics spec.displayName required",
            "kenton-admin spec.externalEmail email-syntax",
            "kenton-sms spec.sms.campaignId sms-10dlc-campaign",
            "default spec.url connection-url",
        ]
    );
    let mut sorted = problems.clone();
    sorted.sort_by(|a, b| (&a.location, &a.field).cmp(&(&b.location, &b.field)));
    assert_eq!(problems, sorted);
}

#[test]
fn messages_never_contain_a_secret_value() {
    const CANARY: &str = "jroe-CANARY-7f3a";
    const CC_CANARY: &str = "Zq9-CANARY-keadmin";
    let mut d = kenton();
    fixtures::set_secret(&mut d, "kenton-admin", CANARY);
    fixtures::set_secret(&mut d, "kenton-cc", CC_CANARY);
    tenant(&mut d).password_policy.min_length = 40;
    let problems = validate(&d);
    assert!(
        problems
            .iter()
            .filter(|p| p.rule == super::rule::PASSWORD_POLICY)
            .count()
            >= 4
    );
    for p in &problems {
        for shown in [
            p.to_string(),
            format!("{p:?}"),
            serde_json::to_string(p).unwrap(),
        ] {
            assert!(
                !shown.contains(CANARY) && !shown.contains(CC_CANARY),
                "{shown}"
            );
        }
    }
}

#[test]
fn unknown_customer_types_are_rejected_by_the_types() {
    let yaml = fixtures::KENTON.replacen("type: Standard", "type: Premium", 1);
    let first = yaml.split("\n---\n").next().unwrap();
    let err = serde_yaml::from_str::<crate::api::Tenant>(first)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Standard") && err.contains("Demo"), "{err}");
}

#[test]
#[ignore = "prints sample messages for review"]
fn print_sample_messages() {
    let mut d = kenton();
    tenant(&mut d).domains[1] = "Kenton.IO".into();
    tenant(&mut d).support_contacts.clear();
    admin(&mut d).first_name = "李".into();
    admin(&mut d).last_name = "王".into();
    admin(&mut d).upn_domain = "example.com".into();
    fixtures::set_secret(&mut d, "kenton-cc", "KEADMIN-2024-x");
    binding(&mut d, "sms").sms.as_mut().unwrap().campaign_id = None;
    clone_binding(&mut d, "teams", "kenton-teams-2");
    clone_binding(&mut d, "contact-center", "kenton-cc-2");
    clone_tenant(&mut d, "kenton-electronics");
    depend(&mut d, "citrix", "file-sharing");
    d.secrets.remove(&crate::api::SecretKey {
        namespace: "customers".into(),
        name: "kenton-admin".into(),
        key: "password".into(),
    });
    admin(&mut d).generate_password = true;
    tenant(&mut d).display_name = "x".repeat(LONG);
    print!("{}", render(&validate(&d)));
}

/// DESIGN.md §8's repository shape: 10,000 tenants, 54,200 objects, each tenant in its own namespace.
fn ten_thousand_tenants() -> Declared {
    let base = kenton();
    let pick = |name: &str| {
        base.bindings
            .iter()
            .find(|b| b.object.metadata.name.as_deref() == Some(name))
            .unwrap()
            .clone()
    };
    let bindings = [
        pick("kenton-azure-ad"),
        pick("kenton-microsoft-online"),
        pick("kenton-citrix"),
    ];
    let teams = pick("kenton-teams");
    let mut d = Declared {
        connections: base.connections.clone(),
        ..Declared::default()
    };
    for i in 0..10_000 {
        let ns = format!("customer-{i}");
        let file = format!("customers/{ns}.yaml");
        let mut t = base.tenants[0].clone();
        t.object.metadata.namespace = Some(ns.clone());
        t.location.file.clone_from(&file);
        d.tenants.push(t);
        let mut a = base.admins[0].clone();
        a.object.metadata.namespace = Some(ns.clone());
        a.location.file.clone_from(&file);
        d.admins.push(a);
        fixtures::set_secret(&mut d, "kenton-admin", fixtures::ADMIN_PASSWORD);
        let last = d.secrets.pop_last().unwrap();
        d.secrets.insert(
            crate::api::SecretKey {
                namespace: ns.clone(),
                ..last.0
            },
            last.1,
        );
        let mut extra = Vec::new();
        if i % 50 < 21 {
            let mut b = teams.clone();
            b.object.spec.teams_connector.as_mut().unwrap().admin_email =
                format!("admin{i}@kenton-electronics.com");
            extra.push(b);
        }
        for mut b in bindings.iter().cloned().chain(extra) {
            b.object.metadata.namespace = Some(ns.clone());
            b.location.file.clone_from(&file);
            d.bindings.push(b);
        }
    }
    d
}

/// Prints the time to validate 54,200 objects (budget: 40 ms in release builds). Run with
/// `cargo test --lib --config 'profile.dev.package.tenantry.opt-level=3' validate::tests::scale -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test: prints the time"]
fn scale() {
    let d = ten_thousand_tenants();
    assert_eq!(d.len(), 54_201);
    let problems = validate(&d);
    assert_eq!(render(&problems), "");
    // CPU time of this thread (Linux), so other processes on a shared machine do not count.
    let cpu = || {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .map(std::time::Duration::from_nanos)
    };
    let runs = std::env::var("SCALE_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let (wall, before) = (std::time::Instant::now(), cpu());
    for _ in 0..runs {
        std::hint::black_box(validate(std::hint::black_box(&d)));
    }
    let on_cpu = before.zip(cpu()).map(|(b, a)| (a - b) / runs);
    println!(
        "validate: {} objects in {:?} per run (wall), {on_cpu:?} on CPU",
        d.len(),
        wall.elapsed() / runs
    );
}
