//! Valid and invalid objects for every CEL rule of the CRDs, and the check that no rule
//! goes without both.
//!
//! Each case is an object (and, for an update, the stored object) with the rejections the
//! API server would answer: CEL messages, or `path: ...` schema errors. A new rule in the
//! types fails `every_cel_rule_has_passing_and_failing_cases` until a case here rejects it.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use serde_json::{Value as Json, json};
use tenantry::api::{
    NotificationSink, PortalConnection, ServiceBinding, Tenant, TenantAdmin, crds,
};

use super::admission::admit;
use super::cel_rules::{
    Evaluation, RuleSite, evaluate, root_schema, rule_sites, unknown_references,
};
use super::fixtures::{
    admin, azure_existing, azure_new, binding, cloudlink_tenant, contact_center, merge, sms, teams,
    tenant, with_null,
};

/// One object the API server is asked to store.
struct Case {
    name: &'static str,
    /// The stored object, for an update.
    old: Option<Json>,
    new: Json,
    /// Substrings of the expected rejections (CEL messages or schema error paths); empty = accepted.
    rejects: &'static [&'static str],
}

fn create(name: &'static str, new: Json, rejects: &'static [&'static str]) -> Case {
    Case {
        name,
        old: None,
        new,
        rejects,
    }
}

fn update(name: &'static str, old: Json, new: Json, rejects: &'static [&'static str]) -> Case {
    Case {
        name,
        old: Some(old),
        new,
        rejects,
    }
}

const ONE_SERVICE: &str = "set exactly one service block";
const CLOUDLINK_CONTACTS: &str = "CloudLink needs at least one Maintainer and one OnsiteAdmin";
const CLOUDLINK_ADDRESS: &str = "CloudLink needs the customer's mailing address";
const CLOUDLINK_BUSINESS_TYPE: &str = "CloudLink needs the customer's business type";
const CODE_FIXED: &str = "spec.code cannot change";
const ADMIN_PASSWORD: &str = "set exactly one of spec.passwordSecretRef";
const TENANT_REF_FIXED: &str = "spec.tenantRef cannot change";
const SERVICE_FIXED: &str = "the service block of a binding cannot change";
const SELF_DEPENDENCY: &str = "cannot depend on itself";
const EXISTING_TENANT_ID: &str = "existingTenantId (the tenant imported into Partner Center)";
const AZURE_MODE_FIXED: &str = "azureAD.mode cannot change";
const CC_PASSWORD: &str = "set exactly one of contactCenter.passwordSecretRef";
const CC_NAMES_FIXED: &str = "contactCenter name and shortName cannot change";
const US_SMS: &str = "US numbers need a registered 10DLC campaign";
const PBX_TYPES: &str = "services include PBX: set pbxTypes";

fn cases() -> Vec<Case> {
    vec![
        // Tenant
        create("a minimal DaaS tenant", tenant(), &[]),
        create(
            "an explicit null code is absent",
            with_null(tenant(), "code"),
            &[],
        ),
        create(
            "a CloudLink tenant with address and both support roles",
            cloudlink_tenant(),
            &[],
        ),
        create(
            "CloudLink without a Maintainer",
            merge(
                cloudlink_tenant(),
                json!({"spec": {"supportContacts": [
                    {"role": "OnsiteAdmin", "name": "Jane Roe", "email": "jane@kenton-electronics.com"},
                    {"role": "Other", "name": "Bob", "email": "bob@kenton-electronics.com"}
                ]}}),
            ),
            &[CLOUDLINK_CONTACTS],
        ),
        create(
            "CloudLink without support contacts or address",
            merge(
                cloudlink_tenant(),
                json!({"spec": {"supportContacts": null, "address": null}}),
            ),
            &[CLOUDLINK_CONTACTS, CLOUDLINK_ADDRESS],
        ),
        create(
            "CloudLink without a business type",
            merge(cloudlink_tenant(), json!({"spec": {"businessType": null}})),
            &[CLOUDLINK_BUSINESS_TYPE],
        ),
        create(
            "CloudLink with an empty support contact list",
            merge(cloudlink_tenant(), json!({"spec": {"supportContacts": []}})),
            &[CLOUDLINK_CONTACTS],
        ),
        create(
            "a DaaS-only tenant needs no support contacts",
            merge(
                tenant(),
                json!({"spec": {"supportContacts": [
                    {"role": "Other", "name": "Bob", "email": "bob@kenton-electronics.com"}
                ]}}),
            ),
            &[],
        ),
        create(
            "domains are lower-case DNS names without duplicates",
            merge(
                tenant(),
                json!({"spec": {"domains": ["Kenton.COM", "kenton-electronics.com", "kenton-electronics.com"]}}),
            ),
            &[
                "spec.domains[0]: should match",
                "spec.domains[2]: Duplicate value",
            ],
        ),
        update(
            "a code may be set once",
            tenant(),
            merge(tenant(), json!({"spec": {"code": "KE1001"}})),
            &[],
        ),
        update(
            "an unchanged code",
            merge(tenant(), json!({"spec": {"code": "KE1001"}})),
            merge(
                tenant(),
                json!({"spec": {"code": "KE1001", "billingId": "RQ-10042"}}),
            ),
            &[],
        ),
        update(
            "a changed code",
            merge(tenant(), json!({"spec": {"code": "KE1001"}})),
            merge(tenant(), json!({"spec": {"code": "KE1002"}})),
            &[CODE_FIXED],
        ),
        update(
            "a removed code",
            merge(tenant(), json!({"spec": {"code": "KE1001"}})),
            tenant(),
            &[CODE_FIXED],
        ),
        // TenantAdmin
        create("an admin with a generated password", admin(), &[]),
        create(
            "an admin with a password Secret",
            merge(
                admin(),
                json!({"spec": {"generatePassword": null, "passwordSecretRef": {"name": "kenton-admin"}}}),
            ),
            &[],
        ),
        create(
            "an admin with both password sources",
            merge(
                admin(),
                json!({"spec": {"passwordSecretRef": {"name": "kenton-admin", "key": "password"}}}),
            ),
            &[ADMIN_PASSWORD],
        ),
        create(
            "an admin with no password source",
            merge(admin(), json!({"spec": {"generatePassword": null}})),
            &[ADMIN_PASSWORD],
        ),
        create(
            "generatePassword false is no password source",
            merge(admin(), json!({"spec": {"generatePassword": false}})),
            &[ADMIN_PASSWORD],
        ),
        update(
            "an admin's names may change",
            admin(),
            merge(admin(), json!({"spec": {"lastName": "Doe"}})),
            &[],
        ),
        update(
            "an admin moved to another tenant",
            admin(),
            merge(
                admin(),
                json!({"spec": {"tenantRef": {"name": "other-customer"}}}),
            ),
            &[TENANT_REF_FIXED],
        ),
        // ServiceBinding: the object and its spec
        create("an Azure AD binding", azure_new(), &[]),
        create(
            "a binding that depends on another",
            merge(
                binding("kenton-m365", "microsoftOnline", json!({})),
                json!({"spec": {"dependsOn": [{"name": "kenton-azure-ad"}]}}),
            ),
            &[],
        ),
        create(
            "a Microsoft Online binding has no settings",
            binding(
                "kenton-m365",
                "microsoftOnline",
                json!({"domain": "kenton.example"}),
            ),
            &["spec.microsoftOnline: Too many: 1: must have at most 0 items"],
        ),
        create(
            "a binding that depends on itself",
            merge(
                azure_new(),
                json!({"spec": {"dependsOn": [{"name": "kenton-azure-ad"}]}}),
            ),
            &[SELF_DEPENDENCY],
        ),
        create(
            "a binding with no service",
            merge(azure_new(), json!({"spec": {"azureAD": null}})),
            &[ONE_SERVICE],
        ),
        create(
            "a binding with two services",
            merge(
                azure_new(),
                json!({"spec": {"citrix": {"applications": ["Word"]}}}),
            ),
            &[ONE_SERVICE],
        ),
        create(
            "file sharing gets its default drive",
            binding("kenton-files", "fileSharing", json!({})),
            &[],
        ),
        create(
            "a CloudLink gateway",
            binding(
                "kenton-gateway",
                "cloudlinkGateway",
                json!({"platform": "SMBC"}),
            ),
            &[],
        ),
        create(
            "licenses, one per user",
            binding(
                "kenton-meet",
                "licenses",
                json!({"app": "Meet", "assignments": [
                    {"user": "jane@kenton-electronics.com", "type": "Standard"},
                    {"user": "jane@kenton-electronics.com", "type": "Basic"}
                ]}),
            ),
            &["spec.licenses.assignments[1]: Duplicate value"],
        ),
        update(
            "a binding keeps its tenant",
            azure_new(),
            merge(
                azure_new(),
                json!({"spec": {"tenantRef": {"name": "other-customer"}}}),
            ),
            &[TENANT_REF_FIXED],
        ),
        update(
            "a binding keeps its service",
            azure_new(),
            merge(
                azure_new(),
                json!({"spec": {"azureAD": null, "citrix": {}}}),
            ),
            &[SERVICE_FIXED],
        ),
        update(
            "a binding's service settings may change",
            binding("kenton-citrix", "citrix", json!({"applications": ["Word"]})),
            binding(
                "kenton-citrix",
                "citrix",
                json!({"applications": ["Word", "Excel"], "desktops": ["Win11"]}),
            ),
            &[],
        ),
        // azureAD
        create(
            "Azure AD connecting an existing tenant",
            azure_existing(),
            &[],
        ),
        create(
            "ConnectExisting without a tenant id",
            merge(
                azure_existing(),
                json!({"spec": {"azureAD": {"existingTenantId": null}}}),
            ),
            &[EXISTING_TENANT_ID],
        ),
        create(
            "CreateNew with a tenant id",
            merge(
                azure_existing(),
                json!({"spec": {"azureAD": {"mode": "CreateNew"}}}),
            ),
            &[EXISTING_TENANT_ID],
        ),
        update(
            "Azure AD terms contact may change",
            azure_new(),
            merge(
                azure_new(),
                json!({"spec": {"azureAD": {"acceptedBy": {"name": "Jane Roe", "email": "jane@kenton-electronics.com"}}}}),
            ),
            &[],
        ),
        update(
            "Azure AD mode switched",
            azure_new(),
            azure_existing(),
            &[AZURE_MODE_FIXED],
        ),
        // contactCenter
        create("a contact-center tenant", contact_center(), &[]),
        create(
            "a contact-center tenant with both password sources",
            merge(
                contact_center(),
                json!({"spec": {"contactCenter": {"passwordSecretRef": {"name": "kenton-cc"}}}}),
            ),
            &[CC_PASSWORD],
        ),
        create(
            "a contact-center tenant with no password source",
            merge(
                contact_center(),
                json!({"spec": {"contactCenter": {"generatePassword": null}}}),
            ),
            &[CC_PASSWORD],
        ),
        create(
            "contact-center names are letters and digits",
            merge(
                contact_center(),
                json!({"spec": {"contactCenter": {"name": "Kenton Electronics", "shortName": "k-e"}}}),
            ),
            &[
                "spec.contactCenter.name: should match",
                "spec.contactCenter.shortName: should match",
            ],
        ),
        update(
            "the callback folder e-mail may be added later",
            contact_center(),
            merge(
                contact_center(),
                json!({"spec": {"contactCenter": {"callbackFolderEmail": "callbacks@kenton-electronics.com"}}}),
            ),
            &[],
        ),
        update(
            "a renamed contact-center tenant",
            contact_center(),
            merge(
                contact_center(),
                json!({"spec": {"contactCenter": {"name": "Kenton"}}}),
            ),
            &[CC_NAMES_FIXED],
        ),
        update(
            "a contact-center short name changed",
            contact_center(),
            merge(
                contact_center(),
                json!({"spec": {"contactCenter": {"shortName": "kel"}}}),
            ),
            &[CC_NAMES_FIXED],
        ),
        // sms
        create("US SMS with a 10DLC campaign", sms(), &[]),
        create(
            "US SMS without a campaign",
            merge(sms(), json!({"spec": {"sms": {"campaignId": null}}})),
            &[US_SMS],
        ),
        create(
            "UK SMS needs no campaign",
            merge(
                sms(),
                json!({"spec": {"sms": {"did": "+447700900123", "campaignId": null}}}),
            ),
            &[],
        ),
        create(
            "an SMS DID is an E.164 number",
            merge(sms(), json!({"spec": {"sms": {"did": "555-0123"}}})),
            &["spec.sms.did: should match"],
        ),
        // teamsConnector
        create("a Teams connector with PBX and a PBX type", teams(), &[]),
        create(
            "PBX without a PBX type",
            merge(
                teams(),
                json!({"spec": {"teamsConnector": {"pbxTypes": null}}}),
            ),
            &[PBX_TYPES],
        ),
        create(
            "PBX with an empty PBX type list",
            merge(
                teams(),
                json!({"spec": {"teamsConnector": {"pbxTypes": []}}}),
            ),
            &[PBX_TYPES],
        ),
        create(
            "Trunk only needs no PBX type",
            merge(
                teams(),
                json!({"spec": {"teamsConnector": {"services": ["Trunk"], "pbxTypes": null}}}),
            ),
            &[],
        ),
        create(
            "a Teams connector needs an SBC region",
            merge(
                teams(),
                json!({"spec": {"teamsConnector": {"sbcRegions": []}}}),
            ),
            &["spec.teamsConnector.sbcRegions: fewer than 1 items"],
        ),
        // NotificationSink
        create(
            "a ticket sink with a signing key",
            sink(
                json!({"url": "https://psa.example.net/hooks/tenantry", "format": "ticket",
                         "signingSecretRef": secret()}),
            ),
            &[],
        ),
        create(
            "a chat sink whose URL is a Secret",
            sink(
                json!({"urlSecretRef": secret(), "format": "chat", "events": ["WorkOrder", "Failed"]}),
            ),
            &[],
        ),
        create(
            "a sink with both a URL and a URL Secret",
            sink(json!({"url": "https://psa.example.net/hooks", "urlSecretRef": secret()})),
            &["set spec.url or spec.urlSecretRef"],
        ),
        create(
            "a sink with no URL",
            sink(json!({"format": "generic"})),
            &["set spec.url or spec.urlSecretRef"],
        ),
        // PortalConnection
        create(
            "a portal connection",
            json!({
                "apiVersion": "tenantry.dev/v1alpha1",
                "kind": "PortalConnection",
                "metadata": {"name": "default"},
                "spec": {"url": "https://portal.example.net", "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal-token"}}
            }),
            &[],
        ),
        create(
            "an OAuth2 contract connection",
            connection(json!({"auth": {"clientCredentials": cc()}})),
            &[],
        ),
        create(
            "a Graph connection with client credentials",
            connection(json!({"api": "graph", "auth": {"clientCredentials": cc()}})),
            &[],
        ),
        create(
            "a bearer token and an auth block",
            connection(
                json!({"auth": {"clientCredentials": cc()}, "credentialsSecretRef": secret()}),
            ),
            &["spec.credentialsSecretRef (a bearer token) or spec.auth, not both"],
        ),
        create(
            "a static token for a vendor API",
            connection(json!({"api": "partnerCenter", "credentialsSecretRef": secret()})),
            &[
                "is for api contract only",
                "api partnerCenter and graph authenticate with OAuth2",
            ],
        ),
        create(
            "a password grant for ConnectToTeams",
            connection(json!({"api": "connectToTeams", "auth": {"password": password(json!({}))}})),
            &[],
        ),
        create(
            "ConnectToTeams without a password grant",
            connection(json!({"api": "connectToTeams", "auth": {"clientCredentials": cc()}})),
            &["api connectToTeams and cloudLink authenticate with a password grant"],
        ),
        create(
            "CloudLink with its account id",
            connection(
                json!({"api": "cloudLink", "auth": {"password": password(json!({"accountId": "acc-1"}))}}),
            ),
            &[],
        ),
        create(
            "CloudLink without an account id",
            connection(json!({"api": "cloudLink", "auth": {"password": password(json!({}))}})),
            &["api cloudLink needs spec.auth.password.accountId"],
        ),
        create(
            "TCR with an API key",
            connection(
                json!({"api": "campaignRegistry", "auth": {"apiKey": {"keyRef": secret(), "secretRef": secret()}}}),
            ),
            &[],
        ),
        create(
            "TCR without an API key",
            connection(json!({"api": "campaignRegistry", "auth": {"clientCredentials": cc()}})),
            &["api campaignRegistry authenticates with an API key"],
        ),
        create(
            "an API key for the contract",
            connection(json!({"auth": {"apiKey": {"keyRef": secret(), "secretRef": secret()}}})),
            &["spec.auth.apiKey (HTTP Basic) is for api campaignRegistry only"],
        ),
        create(
            "two flows at once",
            connection(
                json!({"auth": {"clientCredentials": cc(), "password": password(json!({}))}}),
            ),
            &["set exactly one of auth.clientCredentials"],
        ),
        create(
            "scope and resource",
            connection(
                json!({"auth": {"clientCredentials": merge(cc(), json!({"resource": "https://api.partnercenter.microsoft.com"}))}}),
            ),
            &["set scope (v2.0 endpoint) or resource (v1 endpoint), not both"],
        ),
        create(
            "a Partner Center refresh token",
            connection(json!({"api": "partnerCenter", "auth": {"refreshToken": {
                "tokenUrl": "https://login.microsoftonline.com/partner/oauth2/token",
                "clientId": "app", "refreshTokenRef": secret(),
                "resource": "https://api.partnercenter.microsoft.com"}}})),
            &[],
        ),
        create(
            "a refresh token with scope and resource",
            connection(json!({"api": "partnerCenter", "auth": {"refreshToken": {
                "tokenUrl": "https://login.microsoftonline.com/partner/oauth2/token",
                "clientId": "app", "refreshTokenRef": secret(), "scope": "s",
                "resource": "https://api.partnercenter.microsoft.com"}}})),
            &["set scope (v2.0 endpoint) or resource (v1 endpoint), not both"],
        ),
        create(
            "a manual connection (work orders, no URL, no credentials)",
            connection(json!({"api": "manual", "url": null, "portals": ["daas", "apps"]})),
            &[],
        ),
        create(
            "a manual connection attested every 30 days",
            connection(json!({"api": "manual", "url": null, "attestEvery": "30d"})),
            &[],
        ),
        create(
            "a contract connection with attestEvery",
            connection(json!({"attestEvery": "30d", "credentialsSecretRef": secret()})),
            &["spec.attestEvery is for api manual only"],
        ),
        create(
            "a manual connection with a URL and a token",
            connection(json!({"api": "manual", "credentialsSecretRef": secret()})),
            &[
                "api manual sends nothing to a portal",
                "is for api contract only",
            ],
        ),
        create(
            "a contract connection without a URL",
            connection(json!({"url": null, "credentialsSecretRef": secret()})),
            &["spec.url is required"],
        ),
        create(
            "a client secret without a client id",
            connection(
                json!({"api": "connectToTeams", "auth": {"password": password(json!({"clientId": null}))}}),
            ),
            &["password.clientSecretRef needs password.clientId"],
        ),
    ]
}

fn secret() -> Json {
    json!({"namespace": "tenantry-system", "name": "vendor", "key": "value"})
}

fn cc() -> Json {
    json!({"tokenUrl": "https://login.microsoftonline.com/t/oauth2/v2.0/token", "clientId": "app",
           "clientSecretRef": secret(), "scope": "https://graph.microsoft.com/.default"})
}

fn password(extra: Json) -> Json {
    merge(
        json!({"tokenUrl": "https://api.connecttoteams.com/oauth/token", "clientId": "c2t",
               "clientSecretRef": secret(), "username": "api-user", "passwordRef": secret()}),
        extra,
    )
}

fn sink(spec: Json) -> Json {
    json!({"apiVersion": "tenantry.dev/v1alpha1", "kind": "NotificationSink",
           "metadata": {"name": "psa"}, "spec": spec})
}

fn connection(spec: Json) -> Json {
    merge(
        json!({"apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
               "metadata": {"name": "vendor"}, "spec": {"url": "https://api.example.net"}}),
        json!({"spec": spec}),
    )
}

fn crd_of(kind: &str) -> CustomResourceDefinition {
    crds()
        .into_iter()
        .find(|crd| crd.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD of kind {kind}"))
}

/// Deserializes an admitted object into its Rust type, as the controller will.
fn typed(kind: &str, object: &Json) -> Result<(), String> {
    let value = object.clone();
    let result = match kind {
        "Tenant" => serde_json::from_value::<Tenant>(value).map(drop),
        "TenantAdmin" => serde_json::from_value::<TenantAdmin>(value).map(drop),
        "ServiceBinding" => serde_json::from_value::<ServiceBinding>(value).map(drop),
        "PortalConnection" => serde_json::from_value::<PortalConnection>(value).map(drop),
        "NotificationSink" => serde_json::from_value::<NotificationSink>(value).map(drop),
        other => return Err(format!("unknown kind {other}")),
    };
    result.map_err(|e| e.to_string())
}

/// Runs the API server's checks on a case: schema errors, then CEL rules.
fn review(case: &Case) -> Result<(Vec<String>, Vec<Evaluation>), String> {
    let kind = case.new["kind"].as_str().unwrap_or_default().to_owned();
    let crd = crd_of(&kind);
    let schema = root_schema(&crd);
    let mut new = case.new.clone();
    let mut rejections = admit(schema, &mut new);
    let old = match &case.old {
        Some(old) => {
            let mut old = old.clone();
            let old_errors = admit(schema, &mut old);
            if !old_errors.is_empty() {
                return Err(format!("the stored object is invalid: {old_errors:?}"));
            }
            Some(old)
        }
        None => None,
    };
    let evaluations = evaluate(&crd, &new, old.as_ref())?;
    rejections.extend(
        evaluations
            .iter()
            .filter(|e| !e.passed)
            .map(|e| format!("{}: {}", e.at, e.site.message)),
    );
    if case.rejects.is_empty() {
        typed(&kind, &new).map_err(|e| format!("an accepted object does not deserialize: {e}"))?;
    }
    Ok((rejections, evaluations))
}

/// The cases as JSON lines for `scripts/kube-check`, which replays them on a real API server:
/// `{"name", "old", "new", "accepted", "messages"}`, where `messages` are the expected CEL
/// messages (schema errors are worded differently by the API server, so only the verdict
/// counts for them).
fn export(cases: &[Case], path: &std::path::Path) {
    let messages: Vec<String> = crds()
        .iter()
        .flat_map(|crd| rule_sites(crd).into_iter().map(|(site, _)| site.message))
        .collect();
    let lines: Vec<String> = cases
        .iter()
        .map(|case| {
            let cel: Vec<&str> = case
                .rejects
                .iter()
                .copied()
                .filter(|want| messages.iter().any(|m| m.contains(want)))
                .collect();
            json!({
                "name": case.name,
                "old": case.old,
                "new": case.new,
                "accepted": case.rejects.is_empty(),
                "messages": cel,
            })
            .to_string()
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n")
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

#[test]
fn cel_rules_accept_and_reject_as_declared() {
    let mut failures = Vec::new();
    if let Some(path) = std::env::var_os("TENANTRY_EXPORT_CEL_CASES") {
        export(&cases(), std::path::Path::new(&path));
    }
    for case in cases() {
        let (rejections, _) = match review(&case) {
            Ok(result) => result,
            Err(err) => {
                failures.push(format!("{}: {err}", case.name));
                continue;
            }
        };
        let unexpected: Vec<_> = rejections
            .iter()
            .filter(|r| !case.rejects.iter().any(|want| r.contains(want)))
            .collect();
        let missing: Vec<_> = case
            .rejects
            .iter()
            .filter(|want| !rejections.iter().any(|r| r.contains(*want)))
            .collect();
        if !unexpected.is_empty() || !missing.is_empty() {
            failures.push(format!(
                "{}: unexpected rejections {unexpected:?}, missing rejections {missing:?}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_cel_rule_has_passing_and_failing_cases() {
    // rule → (held at least once, failed at least once)
    let mut seen: BTreeMap<RuleSite, (bool, bool)> = BTreeMap::new();
    for crd in crds() {
        for (site, _) in rule_sites(&crd) {
            seen.insert(site, (false, false));
        }
    }
    for case in cases() {
        let Ok((_, evaluations)) = review(&case) else {
            continue; // reported by cel_rules_accept_and_reject_as_declared
        };
        for evaluation in evaluations {
            let entry = seen.entry(evaluation.site).or_default();
            if evaluation.passed {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    let untested: Vec<String> = seen
        .iter()
        .filter_map(|(site, (held, failed))| match (held, failed) {
            (true, true) => None,
            (false, _) => Some(format!("{site}: no case where it holds")),
            (true, false) => Some(format!("{site}: no case where it rejects")),
        })
        .collect();
    assert!(
        untested.is_empty(),
        "CEL rules without test cases; add valid and invalid objects to tests/it/crds/cel_cases.rs:\n{}",
        untested.join("\n")
    );
}

#[test]
fn cel_rules_name_only_fields_their_schema_has() {
    let mut unknown = Vec::new();
    for crd in crds() {
        for (site, schema) in rule_sites(&crd) {
            for reference in unknown_references(&site.rule, schema, site.path.is_empty()) {
                unknown.push(format!("{site}: {reference}"));
            }
        }
    }
    assert!(unknown.is_empty(), "\n{}", unknown.join("\n"));
}

#[test]
fn the_harness_sees_a_misspelled_field() {
    let crd = crd_of("Tenant");
    let schema = root_schema(&crd);
    let spec = schema
        .properties
        .as_ref()
        .and_then(|p| p.get("spec"))
        .expect("a spec");
    assert_eq!(
        unknown_references(
            "has(self.supportContact) && self.portals.size() > 0",
            spec,
            false
        ),
        vec!["self.supportContact (no field `supportContact`)"]
    );
    assert_eq!(
        unknown_references(
            "self.metadata.name != '' && self.metadata.labels.size() > 0",
            schema,
            true
        ),
        vec!["self.metadata.labels (metadata has only name and generateName in CEL)"]
    );
    let mut object = merge(tenant(), json!({"spec": {"displayname": "typo"}}));
    assert_eq!(
        admit(schema, &mut object),
        vec!["spec.displayname: unknown field (the API server would drop it)"]
    );
}

/// Issue 13: with `microsoftOnline` as a plain `{type: object}` (the schema an empty struct
/// derives, shipped before the fix), the API server refused `microsoftOnline: {}`. The harness
/// must refuse it the same way, or it could not have caught that. (A real kube-apiserver
/// 1.28.3 refuses it with this very message; 1.36 types such an object as an empty one and
/// accepts it. The harness keeps the refusal of the older releases the CRDs support; the
/// shipped schema passes on both, which `scripts/kube-check` showed on each.)
#[test]
fn the_harness_refuses_the_binding_the_api_server_refused_in_issue_13() {
    let mut crd = crd_of("ServiceBinding");
    let spec = crd.spec.versions[0]
        .schema
        .as_mut()
        .and_then(|s| s.open_api_v3_schema.as_mut())
        .and_then(|s| s.properties.as_mut())
        .and_then(|p| p.get_mut("spec"))
        .expect("a spec");
    spec.properties.as_mut().expect("spec properties").insert(
        "microsoftOnline".to_owned(),
        JSONSchemaProps {
            type_: Some("object".to_owned()),
            nullable: Some(true),
            ..JSONSchemaProps::default()
        },
    );
    let object = binding("kenton-m365", "microsoftOnline", json!({}));
    let err = evaluate(&crd, &object, None).expect_err("the API server refused it");
    assert!(
        err.contains(
            "invalid object type, expected either Properties or AdditionalProperties with \
             Allows=true and non-empty Schema evaluating rule: set exactly one service block"
        ),
        "{err}"
    );
}

/// `tenantry validate` (rule `connection-auth` and the rest) and the CRD agree on every
/// PortalConnection case: what the API server stores, validate accepts; each CEL message the
/// API server answers, validate reports too (same words), so input that never meets an API
/// server (the CLI) is held to the same rules. Schema errors (`should match`, `Required
/// value`) are left to the loader and the types.
#[test]
fn validate_agrees_with_the_cel_rules_on_portal_connections() {
    let cel: Vec<String> = crds()
        .iter()
        .flat_map(|crd| rule_sites(crd).into_iter().map(|(site, _)| site.message))
        .collect();
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in cases()
        .iter()
        .filter(|c| c.new["kind"] == "PortalConnection" && c.old.is_none())
    {
        let wanted: Vec<&str> = case
            .rejects
            .iter()
            .copied()
            .filter(|want| cel.iter().any(|m| m.contains(want)))
            .collect();
        if wanted.len() != case.rejects.len() {
            continue; // a schema error: not validate's to word
        }
        let text = case.new.to_string();
        let loaded = tenantry::manifest::load_reader(
            "case.yaml",
            text.as_bytes(),
            &tenantry::manifest::LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(
            loaded.problems.is_empty(),
            "{}: {:?}",
            case.name,
            loaded.problems
        );
        let errors: Vec<String> = tenantry::validate::validate(&loaded.declared)
            .into_iter()
            .filter(|p| p.severity == tenantry::api::Severity::Error)
            .map(|p| p.message)
            .collect();
        compared += 1;
        if wanted.is_empty() && !errors.is_empty() {
            failures.push(format!(
                "{}: stored by the API server, validate refuses: {errors:?}",
                case.name
            ));
        }
        for want in &wanted {
            if !errors.iter().any(|e| e.contains(want)) {
                failures.push(format!(
                    "{}: the API server says {want:?}, validate: {errors:?}",
                    case.name
                ));
            }
        }
    }
    assert!(compared >= 15, "{compared} cases compared");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
