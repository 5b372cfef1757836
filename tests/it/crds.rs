//! The CRDs: checked-in files and reference in step with the types, Kubernetes-valid
//! structural schemas, and CEL rules tested on valid and invalid objects.

mod admission;
mod cel_cases;
mod cel_rules;
mod examples;
mod fixtures;
mod min_version;
mod portal_agreement;
mod structure;

use assert_cmd::Command;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde::Deserialize;
use tenantry::api::{CRDS_COMMAND, REFERENCE_COMMAND, crds, crds_yaml, reference_markdown};

const CRDS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crds/tenantry.dev.yaml");
const REFERENCE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[test]
fn checked_in_crds_match_the_types() {
    let generated = crds_yaml().expect("the CRDs serialize");
    assert!(
        read(CRDS_FILE) == generated,
        "crds/tenantry.dev.yaml is out of date with src/api; regenerate it with\n\n    {CRDS_COMMAND}\n"
    );
}

#[test]
fn checked_in_reference_matches_the_types() {
    assert!(
        read(REFERENCE_FILE) == reference_markdown(),
        "docs/reference.md is out of date with src/api; regenerate it with\n\n    {REFERENCE_COMMAND}\n"
    );
}

#[test]
fn tenantry_crds_prints_the_checked_in_stream() {
    let output = Command::cargo_bin("tenantry")
        .expect("the binary builds")
        .arg("crds")
        .output()
        .expect("tenantry crds runs");
    assert!(output.status.success());
    assert!(
        output.stdout == read(CRDS_FILE).as_bytes(),
        "`tenantry crds` differs from crds/tenantry.dev.yaml; regenerate it with\n\n    {CRDS_COMMAND}\n"
    );
}

/// The `kubectl apply --dry-run=client` analogue: every document of every file under `crds/`
/// is a `CustomResourceDefinition` that survives a round trip through the Kubernetes type
/// unchanged (a misspelled or unknown field would be lost on the way).
#[test]
fn checked_in_crds_round_trip_through_the_kubernetes_type() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/crds");
    let mut kinds = Vec::new();
    // What `kubectl apply -f crds/` reads: the *.yaml, *.yml and *.json files of the folder.
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("crds/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ["yaml", "yml", "json"].contains(&&*ext.to_string_lossy()))
        })
        .collect();
    files.sort();
    // `kubectl apply -k manifests/` reads the same files through crds/Kustomization, which
    // kubectl apply -f skips for its lack of an extension.
    let kustomization: serde_json::Value =
        serde_yaml::from_str(&read(&format!("{dir}/Kustomization"))).expect("valid YAML");
    let listed: Vec<_> = kustomization["resources"]
        .as_array()
        .expect("crds/Kustomization lists resources")
        .iter()
        .map(|r| format!("{dir}/{}", r.as_str().expect("a file name")))
        .collect();
    let found: Vec<_> = files.iter().map(|f| f.display().to_string()).collect();
    assert_eq!(listed, found, "crds/Kustomization lists every CRD file");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable file");
        for document in serde_yaml::Deserializer::from_str(&text) {
            let raw = serde_json::Value::deserialize(document).expect("valid YAML");
            let crd: CustomResourceDefinition =
                serde_json::from_value(raw.clone()).expect("a CustomResourceDefinition");
            let back = serde_json::to_value(&crd).expect("serializes");
            assert_eq!(back, raw, "{} changes in a round trip", file.display());
            kinds.push(crd.spec.names.kind);
        }
    }
    let want: Vec<_> = crds().into_iter().map(|c| c.spec.names.kind).collect();
    assert_eq!(kinds, want, "crds/ holds each kind exactly once");
}

/// The README's quickstart runs the tests the way CI does, and says how to install the CRDs.
#[test]
fn readme_quickstart_and_ci_agree() {
    let readme = read(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
    let ci = read(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run"));
    let quickstart = readme
        .split("## Quickstart")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|block| block.split("```").next())
        .expect("README.md has a quickstart code block");
    let commands: Vec<&str> = quickstart.lines().collect();
    assert_eq!(
        commands.len(),
        2,
        "the quickstart is two commands: {commands:?}"
    );
    assert!(
        ci.lines().any(|line| line.trim() == commands[1]),
        "the quickstart's test command `{}` is not what .ci/run runs",
        commands[1]
    );
    for install in [
        "kubectl apply -f crds/",
        "tenantry crds | kubectl apply -f -",
    ] {
        assert!(readme.contains(install), "README.md lacks `{install}`");
    }
}

#[test]
fn the_shipped_deployment_sets_the_allocator_environment_the_bench_measured() {
    let text = read(&format!(
        "{}/manifests/deployment.yaml",
        env!("CARGO_MANIFEST_DIR")
    ));
    let deployment: serde_json::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    for (name, value) in tenantry::controller::ALLOCATOR_ENV {
        let set = env
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["name"] == name);
        assert_eq!(
            set.map(|e| e["value"].clone()),
            Some(serde_json::Value::from(value)),
            "manifests/deployment.yaml sets {name}={value}"
        );
    }
}
