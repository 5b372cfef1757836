//! What `kubectl apply -k manifests/` installs besides the CRDs, applied from the files in
//! `manifests/`: the namespace (restricted Pod Security), the service account and its RBAC.
//! The controller replicas of the suite then run as that service account (impersonated), so a
//! missing permission fails the suite as it would fail the shipped Deployment.

use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde::Deserialize;
use serde_json::{Value, json};

use super::steps::from_json;

/// The namespace `manifests/kustomization.yaml` installs into.
pub const NAMESPACE: &str = "tenantry-system";
/// The controller's service account (manifests/serviceaccount.yaml).
pub const SERVICE_ACCOUNT: &str = "tenantry-controller";
/// The Lease the shipped Role lets the service account use (manifests/rbac.yaml).
pub const LEASE: &str = "tenantry-controller";

const MANAGER: &str = "tenantry-e2e";

/// The documents of a file under `manifests/`.
fn manifest(file: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

/// Server-side applies the namespace, service account and RBAC of `manifests/`.
pub async fn install_service_account(client: &Client) {
    let params = PatchParams::apply(MANAGER).force();
    let mut documents = manifest("namespace.yaml");
    documents.extend(manifest("serviceaccount.yaml"));
    documents.extend(manifest("rbac.yaml"));
    for mut document in documents {
        let kind = document["kind"].as_str().unwrap_or_default().to_owned();
        let name = document["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if matches!(kind.as_str(), "ServiceAccount" | "Role" | "RoleBinding") {
            document["metadata"]["namespace"] = json!(NAMESPACE);
        }
        let result = match kind.as_str() {
            "Namespace" => Api::<Namespace>::all(client.clone())
                .patch(&name, &params, &Patch::Apply(&document))
                .await
                .map(drop),
            "ClusterRole" => Api::<ClusterRole>::all(client.clone())
                .patch(&name, &params, &Patch::Apply(&document))
                .await
                .map(drop),
            "ClusterRoleBinding" => Api::<ClusterRoleBinding>::all(client.clone())
                .patch(&name, &params, &Patch::Apply(&document))
                .await
                .map(drop),
            "ServiceAccount" => Api::<ServiceAccount>::namespaced(client.clone(), NAMESPACE)
                .patch(&name, &params, &Patch::Apply(&document))
                .await
                .map(drop),
            "Role" => Api::<Role>::namespaced(client.clone(), NAMESPACE)
                .patch(&name, &params, &Patch::Apply(&document))
                .await
                .map(drop),
            "RoleBinding" => Api::<RoleBinding>::namespaced(client.clone(), NAMESPACE)
                .patch(&name, &params, &Patch::Apply(&document))
                .await
                .map(drop),
            other => panic!("manifests/ holds a {other} the suite does not install"),
        };
        result.unwrap_or_else(|e| panic!("installing {kind} {name}: {e}"));
    }
}

/// `config` acting as the controller's service account, with the groups the API server gives
/// a service-account token, so the shipped RBAC alone decides what it may do.
pub fn as_service_account(mut config: kube::Config) -> kube::Config {
    config.auth_info.impersonate = Some(format!(
        "system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
    ));
    config.auth_info.impersonate_groups = Some(vec![
        "system:serviceaccounts".to_owned(),
        format!("system:serviceaccounts:{NAMESPACE}"),
        "system:authenticated".to_owned(),
    ]);
    config
}

/// The controller's pod, from the Deployment in `manifests/`, passes the restricted Pod
/// Security level that `manifests/namespace.yaml` enforces: a server-side dry-run create of
/// the pod is admitted (the PodSecurity admission plugin runs on dry runs too).
pub async fn controller_pod_passes_restricted_pod_security(client: &Client) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let labels = namespaces
        .get(NAMESPACE)
        .await
        .expect("the namespace")
        .metadata
        .labels
        .unwrap_or_default();
    assert_eq!(
        labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("restricted"),
        "{NAMESPACE} enforces restricted Pod Security"
    );
    let deployment = manifest("deployment.yaml")
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("manifests/deployment.yaml has a Deployment");
    let template = &deployment["spec"]["template"];
    let pod: Pod = from_json(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "tenantry-e2e-pod-security", "labels": template["metadata"]["labels"]},
        "spec": template["spec"],
    }));
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    let params = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    if let Err(e) = pods.create(&params, &pod).await {
        panic!("the controller's pod is refused in {NAMESPACE} (restricted Pod Security): {e}");
    }
}
