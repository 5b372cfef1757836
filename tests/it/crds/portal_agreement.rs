//! The types, the CRD, `validate` and the portal contract agree on what is required.
//!
//! For each kind (and each service of a binding), every optional field of a full declaration
//! is left out in turn, and then all the removable ones together: whatever the CRD (schema and
//! CEL rules) and `validate` accept must expand, through `model::expand`, to portal requests
//! that hold every field the contract (`openapi/portal.yaml`) requires. The reverse: a text
//! value the CRD requires must not land only in fields the contract leaves optional (tenantry
//! would refuse what the portal takes).

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json, json};
use tenantry::api::crds;
use tenantry::manifest::{LoadOptions, load_reader};
use tenantry::model::semantics::OPENAPI;
use tenantry::model::{Resource, expand};

use super::cel_rules::root_schema;
use super::examples::rejections_of;

const NS: &str = "customers";

fn object(kind: &str, name: &str, spec: Json) -> Json {
    json!({
        "apiVersion": "tenantry.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    })
}

/// A Tenant in every portal with every field set; text values are distinct, so the reverse
/// check can find where each one lands.
fn tenant() -> Json {
    object(
        "Tenant",
        "kenton",
        json!({
            "displayName": "Kenton Electronics",
            "code": "KENTON1",
            "type": "Standard",
            "contact": {"name": "Jane Roe", "email": "jane@kenton.example", "phone": "+15555550100"},
            "address": {"line1": "1 Main St", "line2": "Suite 2", "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US"},
            "billingId": "RQ-10042",
            "domains": ["kenton.example", "kenton-two.example"],
            "dnsZone": false,
            "passwordPolicy": {"minLength": 10, "changeAtNextLogon": true},
            "businessType": "Manufacturing",
            "adminContacts": [{"name": "Ann Admin", "email": "ann@kenton.example", "phone": "+15555550101"}],
            "supportContacts": [
                {"role": "Maintainer", "name": "Max Maintainer", "email": "max@msp.example"},
                {"role": "OnsiteAdmin", "name": "Olga Onsite", "email": "olga@kenton.example"}
            ],
            "portals": ["daas", "contactcenter", "teammate", "apps", "cloudlink"],
            "deletionPolicy": "Orphan",
            "managementPolicy": "Apply"
        }),
    )
}

fn admin() -> Json {
    object(
        "TenantAdmin",
        "kenton-admin",
        json!({
            "tenantRef": {"name": "kenton"},
            "firstName": "Jane",
            "lastName": "Roe",
            "displayName": "Jane A. Roe",
            "username": "jroe",
            "upnDomain": "kenton.example",
            "externalEmail": "jane.roe@example.net",
            "phone": "+15555550102",
            "role": "DaaSPartnerAdmin",
            "generatePassword": true,
            "deletionPolicy": "Orphan",
            "managementPolicy": "Apply"
        }),
    )
}

fn binding(name: &str, block: &str, value: Json) -> Json {
    object(
        "ServiceBinding",
        name,
        json!({"tenantRef": {"name": "kenton"}, block: value}),
    )
}

/// One binding per service, every field set.
fn bindings() -> Vec<Json> {
    vec![
        binding(
            "azure-ad",
            "azureAD",
            json!({"mode": "CreateNew", "acceptedBy": {"name": "Terry Terms", "email": "terry@kenton.example"}}),
        ),
        binding("microsoft-online", "microsoftOnline", json!({})),
        binding(
            "citrix",
            "citrix",
            json!({"applications": ["Word"], "desktops": ["Office Desktop"]}),
        ),
        binding("file-sharing", "fileSharing", json!({"driveLetter": "Y"})),
        binding(
            "teams",
            "teamsConnector",
            json!({
                "enterpriseName": "Kenton Teams",
                "adminEmail": "m365@kenton.example",
                "userLimit": 50,
                "musicOnHold": true,
                "sipDataAccess": true,
                "requestConsent": true,
                "sbcRegions": ["UsEast"],
                "services": ["PBX", "Trunk"],
                "pbxTypes": ["Ringlogix"],
                "enabled": true
            }),
        ),
        binding(
            "contact-center",
            "contactCenter",
            json!({
                "template": "standard",
                "name": "KentonCC",
                "shortName": "kcc",
                "upnSuffix": "cc.kenton.example",
                "adminUser": "ccadmin",
                "generatePassword": true,
                "ani": "+15555550103",
                "notificationEmail": "notify@msp.example",
                "callbackFolderEmail": "callback@kenton.example",
                "contact": {"name": "Carl Center", "email": "carl@kenton.example"}
            }),
        ),
        binding(
            "licenses",
            "licenses",
            json!({"app": "Meet", "assignments": [{"user": "jroe@kenton.example", "type": "Professional"}]}),
        ),
        binding(
            "sms",
            "sms",
            json!({"did": "+15555550123", "user": "sms@kenton.example", "licenseType": "Basic", "campaignId": "CABC123"}),
        ),
        binding(
            "gateway",
            "cloudlinkGateway",
            json!({"platform": "MiVoice"}),
        ),
    ]
}

/// Every object of the input, the subject at `index` replaced by `subject`.
fn input(subject: usize, replacement: &Json) -> Vec<Json> {
    let mut all = vec![tenant(), admin()];
    all.extend(bindings());
    all[subject] = replacement.clone();
    all
}

fn to_yaml(objects: &[Json]) -> String {
    objects
        .iter()
        .map(|o| serde_yaml::to_string(o).expect("JSON renders as YAML"))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The portal requests of `subject`'s object when the input is accepted by the CRD and by
/// `validate`; `None` when either refuses it.
fn accepted_requests(objects: &[Json], subject: &Json) -> Option<Vec<(String, Json)>> {
    let text = to_yaml(objects);
    if !rejections_of(&text).is_empty() {
        return None;
    }
    let loaded = load_reader("agreement.yaml", text.as_bytes(), &LoadOptions::default())
        .expect("an in-memory input reads");
    let mut problems = loaded.problems;
    problems.extend(tenantry::validate::validate(&loaded.declared));
    if problems
        .iter()
        .any(|p| p.severity == tenantry::api::Severity::Error)
    {
        return None;
    }
    let model = expand(&loaded.declared).expect("a valid input expands");
    let name = subject["metadata"]["name"].as_str().unwrap_or_default();
    let kind = subject["kind"].as_str().unwrap_or_default();
    Some(
        model
            .resources()
            .iter()
            .filter(|r| r.declared_by.kind == kind && r.declared_by.name == name)
            .map(|r| (schema_name(r), request(r)))
            .collect(),
    )
}

/// The contract's schema of a resource's spec, e.g. `CloudLinkAccountSpec`.
fn schema_name(r: &Resource) -> String {
    let kind = format!("{:?}", r.address.kind);
    let kind = match kind.as_str() {
        "DaasCustomer" => "Customer",
        "DaasAdmin" => "Admin",
        other => other,
    };
    format!("{kind}Spec")
}

/// The body a create sends: parent id and generated secrets filled in.
fn request(r: &Resource) -> Json {
    let secret = tenantry::api::Sensitive::new("Generated-Secret-1".to_owned());
    let generated: Vec<(&str, &tenantry::api::Sensitive)> =
        r.secrets.iter().map(|s| (s.field, &secret)).collect();
    r.wire_spec(Some("parent-id"), &generated)
        .expect("the body builds")
        .into_value()
}

struct Contract {
    schemas: Map<String, Json>,
}

impl Contract {
    fn load() -> Self {
        let doc: Json = serde_yaml::from_str(OPENAPI).expect("the contract parses");
        let schemas = doc["components"]["schemas"]
            .as_object()
            .expect("components.schemas")
            .clone();
        Self { schemas }
    }

    fn resolve<'a>(&'a self, mut schema: &'a Json) -> &'a Json {
        while let Some(r) = schema.get("$ref").and_then(Json::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            schema = &self.schemas[name];
        }
        schema
    }

    /// The branch of a `oneOf` that describes `value` (the non-null one for a non-null value).
    fn branch<'a>(&'a self, schema: &'a Json, value: &Json) -> &'a Json {
        let schema = self.resolve(schema);
        match schema.get("oneOf").and_then(Json::as_array) {
            Some(branches) => branches
                .iter()
                .map(|b| self.resolve(b))
                .find(|b| (b.get("type") == Some(&json!("null"))) == value.is_null())
                .unwrap_or(schema),
            None => schema,
        }
    }

    /// Every field the contract requires that `value` lacks, by path.
    fn missing(&self, schema: &Json, value: &Json, path: &str, out: &mut Vec<String>) {
        let schema = self.branch(schema, value);
        match value {
            Json::Object(map) => {
                for r in schema["required"].as_array().into_iter().flatten() {
                    let r = r.as_str().unwrap_or_default();
                    if map.get(r).is_none_or(Json::is_null) {
                        out.push(join(path, r));
                    }
                }
                for (k, v) in map {
                    if let Some(s) = schema["properties"].get(k) {
                        self.missing(s, v, &join(path, k), out);
                    }
                }
            }
            Json::Array(items) => {
                if let Some(s) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.missing(s, v, &format!("{path}[{i}]"), out);
                    }
                }
            }
            _ => {}
        }
    }

    /// Every text value of `value` with whether the contract requires its field.
    fn texts(&self, schema: &Json, value: &Json, required: bool, out: &mut Vec<(String, bool)>) {
        let schema = self.branch(schema, value);
        match value {
            Json::String(s) => out.push((s.clone(), required)),
            Json::Object(map) => {
                let req: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                for (k, v) in map {
                    let s = schema["properties"].get(k).unwrap_or(&Json::Null);
                    self.texts(s, v, req.contains(&k.as_str()), out);
                }
            }
            Json::Array(items) => {
                let s = schema.get("items").unwrap_or(&Json::Null);
                for v in items {
                    self.texts(s, v, required, out);
                }
            }
            _ => {}
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The CRD's spec schema of `kind`, as JSON.
fn crd_spec(kind: &str) -> Json {
    let crds = crds();
    let crd = crds
        .iter()
        .find(|c| c.spec.names.kind == kind)
        .expect("a CRD per kind");
    serde_json::to_value(root_schema(crd)).expect("schemas serialize")["properties"]["spec"].clone()
}

/// Paths (as key lists) of every field present in `value` that its schema does not require,
/// and of every text value its schema does require (with the value).
fn crd_fields(
    schema: &Json,
    value: &Json,
    path: &[String],
    optional: &mut Vec<Vec<String>>,
    required_texts: &mut Vec<(Vec<String>, String)>,
) {
    match value {
        Json::Object(map) => {
            let req: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            for (k, v) in map {
                let mut p = path.to_vec();
                p.push(k.clone());
                if !req.contains(k.as_str()) {
                    optional.push(p.clone());
                } else if let Json::String(s) = v {
                    required_texts.push((p.clone(), s.clone()));
                }
                let s = &schema["properties"][k];
                crd_fields(s, v, &p, optional, required_texts);
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(i.to_string());
                crd_fields(&schema["items"], v, &p, optional, required_texts);
            }
        }
        _ => {}
    }
}

fn without(value: &Json, path: &[String]) -> Json {
    let mut out = value.clone();
    let (last, parents) = path.split_last().expect("a non-empty path");
    let mut at = &mut out;
    for p in parents {
        at = match at {
            Json::Object(m) => m.get_mut(p).expect("the path exists"),
            Json::Array(a) => &mut a[p.parse::<usize>().expect("an index")],
            _ => unreachable!("paths lead through objects and arrays"),
        };
    }
    match at {
        Json::Object(m) => {
            m.remove(last);
        }
        Json::Array(a) => {
            a.remove(last.parse::<usize>().expect("an index"));
        }
        _ => {}
    }
    out
}

fn shown(path: &[String]) -> String {
    path.join(".")
}

/// What the contract requires and the requests of `subject` lack.
fn gaps(contract: &Contract, requests: &[(String, Json)]) -> Vec<String> {
    let mut out = Vec::new();
    for (schema, body) in requests {
        let mut missing = Vec::new();
        contract.missing(
            &json!({"$ref": format!("#/{schema}")}),
            body,
            "",
            &mut missing,
        );
        out.extend(missing.into_iter().map(|m| format!("{schema}.{m}")));
    }
    out
}

#[test]
fn what_the_crd_and_validate_accept_the_portal_accepts_and_the_reverse() {
    let contract = Contract::load();
    let subjects = input(0, &tenant());
    let mut findings = Vec::new();
    for (index, subject) in subjects.iter().enumerate() {
        let kind = subject["kind"].as_str().unwrap_or_default();
        let label = format!(
            "{kind} {}",
            subject["metadata"]["name"].as_str().unwrap_or_default()
        );
        let schema = crd_spec(kind);
        let mut optional = Vec::new();
        let mut required_texts = Vec::new();
        crd_fields(
            &schema,
            &subject["spec"],
            &["spec".to_owned()],
            &mut optional,
            &mut required_texts,
        );
        let full = accepted_requests(&subjects, subject)
            .unwrap_or_else(|| panic!("{label}: the full declaration must be valid"));
        for gap in gaps(&contract, &full) {
            findings.push(format!(
                "{label} (full declaration): the portal request lacks {gap}"
            ));
        }
        // Each optional field left out on its own, then all that can go together.
        let mut smallest = subject.clone();
        for path in &optional {
            let fewer = without(subject, path);
            if let Some(requests) = accepted_requests(&input(index, &fewer), &fewer) {
                for gap in gaps(&contract, &requests) {
                    findings.push(format!(
                        "{label}: without {} (CRD and validate accept it) the portal request lacks {gap}",
                        shown(path)
                    ));
                }
            }
            // Paths are visited parents first: a child of a removed field is gone already.
            let Some(parent) = smallest.pointer(&format!("/{}", path[..path.len() - 1].join("/")))
            else {
                continue;
            };
            if parent.get(path.last().expect("non-empty")).is_none() && !parent.is_array() {
                continue;
            }
            let candidate = without(&smallest, path);
            if accepted_requests(&input(index, &candidate), &candidate).is_some() {
                smallest = candidate;
            }
        }
        let requests = accepted_requests(&input(index, &smallest), &smallest)
            .expect("the smallest declaration is accepted");
        for gap in gaps(&contract, &requests) {
            findings.push(format!(
                "{label} (smallest declaration {}): the portal request lacks {gap}",
                smallest["spec"]
            ));
        }
        // The reverse: a required text value must reach a field the portal requires, if any.
        let mut texts = Vec::new();
        for (schema, body) in &full {
            contract.texts(
                &json!({"$ref": format!("#/{schema}")}),
                body,
                true,
                &mut texts,
            );
        }
        for (path, value) in required_texts {
            let landed: Vec<bool> = texts
                .iter()
                .filter(|(v, _)| *v == value)
                .map(|(_, r)| *r)
                .collect();
            if !landed.is_empty() && !landed.contains(&true) {
                findings.push(format!(
                    "{label}: the CRD requires {} but the portal does not (it is optional in every request it reaches)",
                    shown(&path)
                ));
            }
        }
    }
    findings.sort();
    findings.dedup();
    assert!(
        findings.is_empty(),
        "types, CRD, validate and the contract disagree:\n{}",
        findings.join("\n")
    );
}
