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
