//! The example repository passes the CRDs: the API server would store every tenantry object
//! under `examples/` (outside `examples/invalid/`), as `kubectl apply --dry-run=server` would.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use tenantry::api::{API_VERSION, crds};

use super::admission::admit;
use super::cel_rules::{evaluate, root_schema};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "invalid") {
                yaml_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn examples_pass_the_crd_schemas_and_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    if !root.is_dir() {
        eprintln!("skipped: no examples/ directory yet");
        return;
    }
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    let crds = crds();
    let mut objects = 0;
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable example");
        let file = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&file);
        for document in serde_yaml::Deserializer::from_str(&text) {
            let Ok(mut object) = Json::deserialize(document) else {
                problems.push(format!("{}: not YAML", file.display()));
                continue;
            };
            if object["apiVersion"] != API_VERSION {
                continue; // Secrets, Namespaces: not ours to check
            }
            let kind = object["kind"].as_str().unwrap_or_default().to_owned();
            let name = object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let Some(crd) = crds.iter().find(|c| c.spec.names.kind == kind) else {
                problems.push(format!("{}: {kind}/{name}: unknown kind", file.display()));
                continue;
            };
            objects += 1;
            let mut rejections = admit(root_schema(crd), &mut object);
            match evaluate(crd, &object, None) {
                Ok(evaluations) => rejections.extend(
                    evaluations
                        .into_iter()
                        .filter(|e| !e.passed)
                        .map(|e| format!("{}: {}", e.at, e.site.message)),
                ),
                Err(err) => rejections.push(err),
            }
            for rejection in rejections {
                problems.push(format!("{}: {kind}/{name}: {rejection}", file.display()));
            }
        }
    }
    assert!(objects > 0, "examples/ holds no tenantry objects");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// What the API server answers for each file of `examples/invalid/` (all its documents applied
/// with `kubectl apply -f`): a substring of the rejection of a schema constraint or CEL rule,
/// or `None` where the rule spans objects or lives in `tenantry validate` and the controller
/// only (references, uniqueness, cycles, password strength), so the API server stores it.
const INVALID_EXAMPLES: [(&str, Option<&str>); 25] = [
    ("ani.yaml", Some("spec.contactCenter.ani: should match")),
    ("bad-domain.yaml", Some("spec.domains[0]: should match")),
    (
        "bad-email.yaml",
        Some("spec.externalEmail: in body must be of type email"),
    ),
    (
        "cloudlink-business-type.yaml",
        Some("CloudLink needs the customer's business type"),
    ),
    (
        "cloudlink-contacts.yaml",
        Some("CloudLink needs at least one Maintainer and one OnsiteAdmin"),
    ),
    (
        "contact-center-name.yaml",
        Some("spec.contactCenter.name: should match"),
    ),
    ("customer-type.yaml", Some("spec.type: Unsupported value")),
    ("dependency-cycle.yaml", None),
    ("duplicate-key.yaml", None),
    ("duplicate-name.yaml", None),
    ("duplicate-teammate-email.yaml", None),
    (
        "metadata-typo.yaml",
        Some("unknown field \"metadata.namspace\""),
    ),
    ("missing-name.yaml", Some("metadata.name: Required value")),
    ("no-sbc-region.yaml", Some("spec.teamsConnector.sbcRegions")),
    ("password-contains-username.yaml", None),
    (
        "pbx-without-type.yaml",
        Some("services include PBX: set pbxTypes"),
    ),
    (
        "sms-us-campaign.yaml",
        Some("US numbers need a registered 10DLC campaign"),
    ),
    ("two-services.yaml", Some("set exactly one service block")),
    (
        "type-error.yaml",
        Some("spec.teamsConnector.userLimit: must be of type integer"),
    ),
    ("unknown-kind.yaml", Some("unknown kind")),
    ("unknown-tenant.yaml", None),
    ("upn-domain.yaml", None),
    ("weak-password.yaml", None),
    ("wrong-api-version.yaml", Some("unknown kind")),
    ("yaml-syntax.yaml", Some("not YAML")),
];

/// The fields of ObjectMeta a client may send.
const OBJECT_META: [&str; 15] = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Every rejection the API server would answer for the documents of one file.
pub(super) fn rejections_of(text: &str) -> Vec<String> {
    let crds = crds();
    let mut rejections = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let Ok(mut object) = Json::deserialize(document) else {
            rejections.push("not YAML".to_owned());
            break;
        };
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        if !api_version.starts_with("tenantry.dev/") {
            continue; // Secrets, Namespaces: not ours to check
        }
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let crd = crds.iter().find(|c| c.spec.names.kind == kind);
        let Some(crd) = crd.filter(|_| api_version == API_VERSION) else {
            rejections.push(format!("{api_version} {kind}: unknown kind"));
            continue;
        };
        if object["metadata"]["name"].as_str().is_none() {
            rejections.push("metadata.name: Required value".to_owned());
        }
        // kubectl asks for strict field validation: the server refuses what ObjectMeta lacks.
        if let Some(metadata) = object["metadata"].as_object() {
            rejections.extend(
                metadata
                    .keys()
                    .filter(|k| !OBJECT_META.contains(&k.as_str()))
                    .map(|k| format!("strict decoding error: unknown field \"metadata.{k}\"")),
            );
        }
        rejections.extend(admit(root_schema(crd), &mut object));
        match evaluate(crd, &object, None) {
            Ok(evaluations) => rejections.extend(
                evaluations
                    .into_iter()
                    .filter(|e| !e.passed)
                    .map(|e| format!("{}: {}", e.at, e.site.message)),
            ),
            Err(err) => rejections.push(err),
        }
    }
    rejections
}

/// `scripts/kube-check` replays these verdicts on a real API server: its list is this table's.
#[test]
fn kube_check_expects_the_same_verdicts() {
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kube-check"))
            .expect("scripts/kube-check");
    let list: Vec<&str> = script
        .split("rejected_by_api_server=(")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("scripts/kube-check lists rejected_by_api_server=( ... )")
        .split_whitespace()
        .collect();
    let refused: Vec<&str> = INVALID_EXAMPLES
        .iter()
        .filter(|(_, want)| want.is_some())
        .map(|(file, _)| *file)
        .collect();
    assert_eq!(
        list, refused,
        "scripts/kube-check and INVALID_EXAMPLES disagree"
    );
}

#[test]
fn invalid_examples_get_the_api_servers_verdict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/invalid");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/invalid exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed: Vec<&str> = INVALID_EXAMPLES.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        files, listed,
        "every file of examples/invalid has a verdict here"
    );
    let mut problems = Vec::new();
    for (file, want) in INVALID_EXAMPLES {
        let text = std::fs::read_to_string(dir.join(file)).expect("readable");
        let rejections = rejections_of(&text);
        match want {
            Some(want) if !rejections.iter().any(|r| r.contains(want)) => {
                problems.push(format!(
                    "{file}: no rejection with {want:?}: {rejections:?}"
                ));
            }
            None if !rejections.is_empty() => {
                problems.push(format!(
                    "{file}: expected to be stored, rejected: {rejections:?}"
                ));
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
