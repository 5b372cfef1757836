//! `tenantry gen`: a realistic, deterministic GitOps repository of N customers, for benchmarks
//! and chaos runs. Every generated repository passes `tenantry validate`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::api::{
    Address, AdminRole, AzureAd, AzureAdMode, Citrix, CloudlinkGateway, CloudlinkPlatform, Contact,
    ContactCenter, CustomerType, DeletionPolicy, FileSharing, LicenseAssignment, LicenseType,
    LicensedApp, Licenses, LocalRef, ManagementPolicy, MicrosoftOnline, PasswordPolicy, Portal,
    SbcRegion, SecretKeyRef, ServiceBinding, ServiceBindingSpec, Sms, SupportContact, SupportRole,
    TeamsConnector, TeamsService, Tenant, TenantAdmin, TenantAdminSpec, TenantSpec,
};

/// Options of a generated repository.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Number of tenants.
    pub tenants: usize,
    /// Seed: the same seed gives the same repository, byte for byte.
    pub seed: u64,
    /// Namespace of every object.
    pub namespace: String,
}

/// One generated file: its name and its multi-document YAML.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    /// File name (relative), e.g. `t00042-acme.yaml`.
    pub name: String,
    /// Content.
    pub yaml: String,
    /// Objects in the file (Secrets included).
    pub objects: usize,
}

use crate::sandbox::{DEMO_CAMPAIGN, DEMO_DID_PREFIX, DEMO_GENERATED_DIDS};

const WORDS: &[&str] = &[
    "acme",
    "kenton",
    "harbor",
    "summit",
    "cedar",
    "granite",
    "nimbus",
    "orchid",
    "pioneer",
    "quartz",
    "riverside",
    "sierra",
    "tundra",
    "vertex",
    "willow",
    "zephyr",
    "beacon",
    "cobalt",
];
const FIRST: &[&str] = &[
    "Jane", "John", "Maria", "Wei", "Aisha", "Lars", "Priya", "Tom",
];
const LAST: &[&str] = &[
    "Roe", "Doe", "Garcia", "Chen", "Khan", "Berg", "Patel", "Nguyen",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Boston", "MA", "02108"),
    ("Seattle", "WA", "98101"),
];

/// Generates the repository: one multi-document file per tenant.
pub fn generate(options: &GenOptions) -> Vec<GeneratedFile> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    (0..options.tenants)
        .map(|i| tenant_file(i, &options.namespace, &mut rng))
        .collect()
}

fn tenant_file(i: usize, namespace: &str, rng: &mut ChaCha8Rng) -> GeneratedFile {
    let word = *WORDS.choose(rng).unwrap_or(&"acme");
    let name = format!("t{i:05}-{word}");
    let display = format!("{} Holdings {i}", capitalize(word));
    let domain = format!("{name}.com");
    let (city, region, postal) = *CITIES.choose(rng).unwrap_or(&CITIES[0]);
    let contact = person(rng, &domain);

    // 2–6 bindings; the portal list follows from them.
    let mut pool = [
        "azure", "citrix", "files", "teams", "contact", "licenses", "sms", "gateway",
    ];
    pool.shuffle(rng);
    // The demo inventory has one DID per customer for the first 10,000 customers.
    let sms_ok = u32::try_from(i).is_ok_and(|i| i < DEMO_GENERATED_DIDS);
    let want = rng.random_range(2..=6usize);
    let mut services: Vec<&str> = Vec::new();
    for pick in pool {
        if services.len() >= want {
            break;
        }
        if pick == "sms" && !sms_ok {
            continue;
        }
        // Microsoft Online comes with Azure AD, so the pair needs two slots.
        if pick == "azure" {
            if services.len() + 2 <= want {
                services.extend(["azure", "online"]);
            }
        } else {
            services.push(pick);
        }
    }
    services.sort_unstable();

    let mut portals = vec![Portal::Daas];
    for (svc, portal) in [
        ("teams", Portal::TeamMate),
        ("contact", Portal::ContactCenter),
        ("licenses", Portal::Apps),
        ("sms", Portal::Apps),
        ("gateway", Portal::CloudLink),
    ] {
        if services.contains(&svc) && !portals.contains(&portal) {
            portals.push(portal);
        }
    }
    portals.sort();
    let cloudlink = portals.contains(&Portal::CloudLink);

    let tenant_spec = TenantSpec {
        display_name: display.clone(),
        code: None,
        customer_type: if i % 50 == 7 {
            CustomerType::Test
        } else {
            CustomerType::Standard
        },
        contact: contact.clone(),
        address: Some(Address {
            line1: format!("{} Main Street", 100 + i % 900),
            line2: None,
            city: city.to_owned(),
            region: Some(region.to_owned()),
            postal_code: Some(postal.to_owned()),
            country: "US".to_owned(),
        }),
        billing_id: Some(format!("RQ-{}", 10_000 + i)),
        domains: vec![domain.clone()],
        dns_zone: false,
        password_policy: PasswordPolicy::default(),
        business_type: cloudlink.then(|| "Manufacturing".to_owned()),
        admin_contacts: Vec::new(),
        support_contacts: if cloudlink {
            vec![
                support(SupportRole::Maintainer, rng, &domain),
                support(SupportRole::OnsiteAdmin, rng, &domain),
            ]
        } else {
            Vec::new()
        },
        portals,
        portal_connection_ref: None,
        deletion_policy: DeletionPolicy::Orphan,
        management_policy: ManagementPolicy::Apply,
        allow_replace: false,
        drift_policy: Default::default(),
        accepted_deviations: Vec::new(),
    };
    let mut out = String::new();
    let mut objects = 0usize;
    push_doc(
        &mut out,
        &mut objects,
        &with_ns(Tenant::new(&name, tenant_spec), namespace),
    );

    let secret_name = format!("{name}-passwords");
    let mut secret_data = BTreeMap::new();
    let admins = rng.random_range(1..=3usize);
    let mut used_usernames = Vec::new();
    for a in 0..admins {
        let first = *FIRST.choose(rng).unwrap_or(&"Jane");
        let last = LAST[(a + i) % LAST.len()];
        // Usernames (first initial + last name) must differ within a customer.
        let username = crate::api::derive_username(first, last);
        if used_usernames.contains(&username) {
            continue;
        }
        used_usernames.push(username);
        let key = format!("admin-{a}");
        secret_data.insert(key.clone(), password(rng));
        let spec = TenantAdminSpec {
            tenant_ref: LocalRef { name: name.clone() },
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            display_name: None,
            username: None,
            upn_domain: domain.clone(),
            external_email: format!(
                "{}.{}.{i}@example.net",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            phone: None,
            role: AdminRole::DaaSPartnerAdmin,
            password_secret_ref: Some(SecretKeyRef {
                name: secret_name.clone(),
                key,
            }),
            generate_password: false,
            deletion_policy: None,
            management_policy: None,
            allow_replace: None,
            drift_policy: Default::default(),
            accepted_deviations: Vec::new(),
        };
        let admin = TenantAdmin::new(&format!("{name}-admin-{a}"), spec);
        push_doc(&mut out, &mut objects, &with_ns(admin, namespace));
    }

    for svc in &services {
        let mut spec = empty_binding(&name);
        let suffix = match *svc {
            "azure" => {
                spec.azure_ad = Some(Box::new(AzureAd {
                    mode: AzureAdMode::CreateNew,
                    existing_tenant_id: None,
                    accepted_by: None,
                }));
                "azure-ad"
            }
            "online" => {
                spec.microsoft_online = Some(Box::new(MicrosoftOnline {}));
                "microsoft-online"
            }
            "citrix" => {
                spec.citrix = Some(Box::new(Citrix {
                    applications: vec!["Office".to_owned()],
                    desktops: Vec::new(),
                }));
                "citrix"
            }
            "files" => {
                spec.file_sharing = Some(Box::new(FileSharing {
                    drive_letter: "X".to_owned(),
                }));
                "file-sharing"
            }
            "teams" => {
                spec.teams_connector = Some(Box::new(TeamsConnector {
                    enterprise_name: None,
                    admin_email: format!("globaladmin@{domain}"),
                    user_limit: Some(rng.random_range(10..=500)),
                    music_on_hold: rng.random_bool(0.5),
                    sip_data_access: rng.random_bool(0.5),
                    request_consent: true,
                    sbc_regions: vec![SbcRegion::UsEast],
                    services: vec![TeamsService::Pbx, TeamsService::Trunk],
                    pbx_types: vec!["Ringlogix".to_owned()],
                    enabled: true,
                }));
                "teams"
            }
            "contact" => {
                secret_data.insert("contact-center".to_owned(), password(rng));
                spec.contact_center = Some(Box::new(ContactCenter {
                    template: if i % 10 == 3 {
                        "enterprise"
                    } else {
                        "standard"
                    }
                    .to_owned(),
                    name: format!("T{i:05}{}", capitalize(word)),
                    short_name: format!("t{i:05}"),
                    upn_suffix: domain.clone(),
                    admin_user: "ccadmin".to_owned(),
                    password_secret_ref: Some(SecretKeyRef {
                        name: secret_name.clone(),
                        key: "contact-center".to_owned(),
                    }),
                    generate_password: false,
                    ani: format!("+1555{:07}", 1_000_000 + i),
                    notification_email: Some(format!("ops@{domain}")),
                    callback_folder_email: Some(format!("callbacks@{domain}")),
                    contact: None,
                }));
                "contact-center"
            }
            "licenses" => {
                let app = *[LicensedApp::Meet, LicensedApp::Chat, LicensedApp::Connector]
                    .choose(rng)
                    .unwrap_or(&LicensedApp::Meet);
                spec.licenses = Some(Box::new(Licenses {
                    app,
                    assignments: (0..rng.random_range(1..=4usize))
                        .map(|u| LicenseAssignment {
                            user: format!("user{u}@{domain}"),
                            license_type: LicenseType::Standard,
                        })
                        .collect(),
                }));
                "licenses"
            }
            "sms" => {
                // The sandbox's demo inventory holds these DIDs, all in its campaign.
                let n = u32::try_from(i).unwrap_or(0);
                spec.sms = Some(Box::new(Sms {
                    did: format!("{DEMO_DID_PREFIX}{n:04}"),
                    user: Some(format!("user0@{domain}")),
                    license_type: LicenseType::Basic,
                    campaign_id: Some(DEMO_CAMPAIGN.to_owned()),
                }));
                "sms"
            }
            _ => {
                spec.cloudlink_gateway = Some(Box::new(CloudlinkGateway {
                    platform: if i.is_multiple_of(3) {
                        CloudlinkPlatform::Smbc
                    } else {
                        CloudlinkPlatform::MiVoice
                    },
                }));
                "cloudlink-gateway"
            }
        };
        let binding = ServiceBinding::new(&format!("{name}-{suffix}"), spec);
        push_doc(&mut out, &mut objects, &with_ns(binding, namespace));
    }

    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(secret_name),
            namespace: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        string_data: Some(secret_data),
        ..Secret::default()
    };
    push_doc(&mut out, &mut objects, &secret);
    GeneratedFile {
        name: format!("{name}.yaml"),
        yaml: out,
        objects,
    }
}

fn empty_binding(tenant: &str) -> ServiceBindingSpec {
    ServiceBindingSpec {
        tenant_ref: LocalRef {
            name: tenant.to_owned(),
        },
        depends_on: Vec::new(),
        azure_ad: None,
        microsoft_online: None,
        citrix: None,
        file_sharing: None,
        teams_connector: None,
        contact_center: None,
        licenses: None,
        sms: None,
        cloudlink_gateway: None,
        deletion_policy: None,
        management_policy: None,
        allow_replace: None,
        drift_policy: Default::default(),
        accepted_deviations: Vec::new(),
    }
}

fn with_ns<K: kube::Resource>(mut obj: K, namespace: &str) -> K {
    obj.meta_mut().namespace = Some(namespace.to_owned());
    obj
}

fn push_doc<T: serde::Serialize>(out: &mut String, count: &mut usize, obj: &T) {
    // Serializing our own well-formed types cannot fail; an empty document would be caught by validate.
    let yaml = serde_yaml::to_string(obj).unwrap_or_default();
    let _ = write!(out, "---\n{yaml}");
    *count += 1;
}

fn person(rng: &mut ChaCha8Rng, domain: &str) -> Contact {
    let first = *FIRST.choose(rng).unwrap_or(&"Jane");
    let last = *LAST.choose(rng).unwrap_or(&"Roe");
    Contact {
        name: format!("{first} {last}"),
        email: format!("{}@{domain}", first.to_lowercase()),
        phone: Some(format!("+1555{:07}", rng.random_range(0..10_000_000u32))),
    }
}

fn support(role: SupportRole, rng: &mut ChaCha8Rng, domain: &str) -> SupportContact {
    let c = person(rng, domain);
    SupportContact {
        role,
        name: c.name,
        email: format!("support-{}@{domain}", role_slug(role)),
    }
}

fn role_slug(role: SupportRole) -> &'static str {
    match role {
        SupportRole::Maintainer => "maintainer",
        SupportRole::OnsiteAdmin => "onsite",
        SupportRole::Other => "other",
    }
}

/// A policy-compliant password (upper, lower, digits, a symbol; 14 characters).
fn password(rng: &mut ChaCha8Rng) -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut s = String::new();
    for set in [UPPER, LOWER, LOWER, DIGIT] {
        for _ in 0..3 {
            s.push(char::from(*set.choose(rng).unwrap_or(&b'x')));
        }
    }
    s.push_str("!#");
    s
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_other_seed_differs() {
        let opts = GenOptions {
            tenants: 20,
            seed: 7,
            namespace: "customers".to_owned(),
        };
        let a = generate(&opts);
        let b = generate(&opts);
        assert_eq!(a.len(), 20);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.yaml == y.yaml && x.name == y.name)
        );
        let c = generate(&GenOptions { seed: 8, ..opts });
        assert!(a.iter().zip(&c).any(|(x, y)| x.yaml != y.yaml));
    }

    #[test]
    fn shape_per_tenant() {
        let files = generate(&GenOptions {
            tenants: 200,
            seed: 1,
            namespace: "customers".to_owned(),
        });
        for f in &files {
            let admins = f.yaml.matches("kind: TenantAdmin").count();
            let bindings = f.yaml.matches("kind: ServiceBinding").count();
            assert!((1..=3).contains(&admins), "{}: {admins} admins", f.name);
            let usernames: std::collections::BTreeSet<_> = f
                .yaml
                .lines()
                .filter(|l| l.trim_start().starts_with("lastName:"))
                .collect();
            assert_eq!(
                usernames.len(),
                admins,
                "{}: admins share a last name",
                f.name
            );
            assert!(
                (2..=6).contains(&bindings),
                "{}: {bindings} bindings",
                f.name
            );
            assert_eq!(f.yaml.matches("kind: Tenant\n").count(), 1);
            assert_eq!(f.objects, 1 + admins + bindings + 1);
        }
        let all: String = files.iter().map(|f| f.yaml.as_str()).collect();
        for kind in [
            "azureAD:",
            "microsoftOnline:",
            "citrix:",
            "fileSharing:",
            "teamsConnector:",
            "contactCenter:",
            "licenses:",
            "sms:",
            "cloudlinkGateway:",
        ] {
            assert!(all.contains(kind), "no {kind} in 200 tenants");
        }
    }
}
