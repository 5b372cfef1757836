//! The oldest Kubernetes the CRDs need, from the API fields they use, and the README's claim.
//!
//! An API server older than a field's release drops the field when the CRD is installed (with
//! a warning at most), so a rule would run without its `fieldPath` or a transition rule without
//! `optionalOldSelf`: the README must name the release of the newest field used.

use serde_json::Value as Json;
use tenantry::api::crds;

/// CRD fields newer than CEL validation itself (on by default from 1.25), by the minor release
/// that brought them (Kubernetes CHANGELOG; KEP-2876 for the `x-kubernetes-validations` ones).
const FIELD_RELEASES: [(&str, u32); 5] = [
    ("messageExpression", 27),
    ("fieldPath", 28),
    ("reason", 28),
    ("optionalOldSelf", 30),
    ("selectableFields", 30),
];

/// The oldest minor release CEL validation rules need.
const CEL_RELEASE: u32 = 25;

/// The minor release each of those fields needs, for every use of one in `value`.
fn releases_needed(value: &Json, inside_rules: bool, found: &mut Vec<(String, u32)>) {
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                let is_rule_field = inside_rules
                    && matches!(
                        key.as_str(),
                        "messageExpression" | "fieldPath" | "reason" | "optionalOldSelf"
                    );
                if (is_rule_field || key == "selectableFields")
                    && let Some((_, release)) = FIELD_RELEASES.iter().find(|(k, _)| k == key)
                {
                    found.push((key.clone(), *release));
                }
                if key == "x-kubernetes-validations" {
                    found.push((key.clone(), CEL_RELEASE));
                }
                releases_needed(child, key == "x-kubernetes-validations", found);
            }
        }
        Json::Array(items) => {
            for item in items {
                releases_needed(item, inside_rules, found);
            }
        }
        _ => {}
    }
}

fn readme_minimum() -> u32 {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let re = regex::Regex::new(r"needs Kubernetes 1\.(\d+) or newer").expect("static regex");
    let found: Vec<u32> = re
        .captures_iter(&readme)
        .map(|c| c[1].parse().expect("a number"))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "README.md says once which Kubernetes it needs (\"needs Kubernetes 1.N or newer\"): {found:?}"
    );
    found[0]
}

#[test]
fn the_readme_names_the_oldest_kubernetes_the_crds_need() {
    let mut found = Vec::new();
    for crd in crds() {
        releases_needed(
            &serde_json::to_value(&crd).expect("serializes"),
            false,
            &mut found,
        );
    }
    let (field, needed) = found
        .iter()
        .max_by_key(|(_, release)| *release)
        .cloned()
        .expect("the CRDs use CEL rules");
    let claimed = readme_minimum();
    assert_eq!(
        claimed, needed,
        "README.md says Kubernetes 1.{claimed}, but the CRDs use `{field}`, which needs 1.{needed}"
    );
}

#[test]
fn a_rule_field_path_needs_1_28() {
    let crd = serde_json::json!({"spec": {"versions": [{"schema": {"openAPIV3Schema": {
        "properties": {"reason": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": "true", "fieldPath": ".reason"}]
    }}}]}});
    let mut found = Vec::new();
    releases_needed(&crd, false, &mut found);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("fieldPath".to_owned(), 28),
            ("x-kubernetes-validations".to_owned(), 25)
        ],
        "a property named `reason` is not the rule field `reason`"
    );
}
