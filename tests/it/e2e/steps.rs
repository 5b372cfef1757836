//! The end-to-end steps and their cleanup.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};
use tenantry::api::{PortalConnection, ServiceBinding, Tenant, condition, find_condition};
use tenantry::controller::{APPROVE_ANNOTATION, FINALIZER, RunOptions, Settings};
use tenantry::sandbox::{Sandbox, SandboxConfig};
use tokio::sync::oneshot;

use super::TIMEOUT;

const MANAGER: &str = "tenantry-e2e";

/// What the steps share.
struct World {
    client: Client,
    namespace: String,
    connection: String,
    sandbox: Sandbox,
}

/// Runs every step, then cleans up whatever happened.
pub async fn run(config: kube::Config, client: Client) {
    install_crds(&client).await;
    let suffix = format!("{:x}", std::process::id() ^ u32::from(rand_suffix()));
    let namespace = format!("tenantry-e2e-{suffix}");
    let connection = format!("tenantry-e2e-{suffix}");
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let world = World {
        client: client.clone(),
        namespace,
        connection,
        sandbox,
    };
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let options = RunOptions {
        portal: None,
        portal_token: None,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        settings: Settings {
            resync: Duration::from_secs(20),
            dependency_wait: Duration::from_secs(2),
            poll: Duration::from_secs(1),
            ..Settings::default()
        },
        concurrency: 4,
        lease: None,
        instance: Some("e2e".to_owned()),
    };
    let controller = tokio::spawn(tenantry::controller::run(config, options, async move {
        let _ = stop_rx.await;
    }));

    let outcome = AssertUnwindSafe(steps(&world)).catch_unwind().await;
    cleanup(&world).await;
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), controller).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    eprintln!("e2e: passed");
}

fn rand_suffix() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos & 0xffff) as u16
}

/// Server-side applies the CRDs generated from the types and waits until they are served.
async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in tenantry::api::crds() {
        let name = crd.name_any();
        api.patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap_or_else(|e| panic!("installing CRD {name}: {e}"));
        wait(&format!("CRD {name} established"), || {
            let api = api.clone();
            let name = name.clone();
            async move {
                let crd = api.get(&name).await.ok()?;
                crd.status?
                    .conditions?
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
                    .then_some(())
            }
        })
        .await;
    }
}

async fn steps(w: &World) {
    let ns = &w.namespace;
    let namespaces: Api<Namespace> = Api::all(w.client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &from_json(json!({"metadata": {"name": ns}})),
        )
        .await
        .expect("namespace");
    let secrets: Api<Secret> = Api::namespaced(w.client.clone(), ns);
    secrets
        .create(
            &PostParams::default(),
            &from_json(
                json!({"metadata": {"name": "portal-token"}, "stringData": {"token": "e2e-token"}}),
            ),
        )
        .await
        .expect("token Secret");
    let connections: Api<PortalConnection> = Api::all(w.client.clone());
    connections
        .create(
            &PostParams::default(),
            &from_json(json!({
                "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
                "metadata": {"name": w.connection},
                "spec": {"url": w.sandbox.url(), "portals": ["cloudlink"],
                         "credentialsSecretRef": {"namespace": ns, "name": "portal-token", "key": "token"}}
            })),
        )
        .await
        .expect("PortalConnection");

    let tenants: Api<Tenant> = Api::namespaced(w.client.clone(), ns);
    let bindings: Api<ServiceBinding> = Api::namespaced(w.client.clone(), ns);

    // Apply a Tenant and a binding that depends on it; both become Ready.
    tenants
        .create(
            &PostParams::default(),
            &tenant(&w.connection, "kenton", "Apply"),
        )
        .await
        .expect("Tenant");
    bindings
        .create(
            &PostParams::default(),
            &from_json(json!({
                "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
                "metadata": {"name": "kenton-gateway"},
                "spec": {"tenantRef": {"name": "kenton"}, "cloudlinkGateway": {"platform": "MiVoice"},
                         "deletionPolicy": "Delete"}
            })),
        )
        .await
        .expect("ServiceBinding");
    wait_ready(&tenants, "kenton").await;
    wait_ready(&bindings, "kenton-gateway").await;
    let t = tenants.get("kenton").await.expect("tenant");
    assert!(t.finalizers().iter().any(|f| f == FINALIZER));
    let status = t.status.clone().unwrap_or_default();
    assert!(
        status
            .external_ids
            .contains_key(&format!("cloudlink/accounts/{ns}/kenton"))
    );
    assert_eq!(
        w.sandbox
            .count_objects("cloudlink", "accounts", &format!("{ns}/kenton"))
            .await,
        1
    );

    // Change a field: the portal follows, the generation is observed.
    tenants
        .patch(
            "kenton",
            &PatchParams::apply(MANAGER),
            &Patch::Merge(json!({"spec": {"businessType": "Retail"}})),
        )
        .await
        .expect("change");
    wait("the change to reach the portal", || async {
        let t = tenants.get("kenton").await.ok()?;
        let s = t.status?;
        (s.observed_generation == t.metadata.generation && is_true(&s.conditions, condition::READY))
            .then_some(())
    })
    .await;

    // A Plan-policy Tenant waits; approving the published hash applies exactly that plan.
    tenants
        .create(
            &PostParams::default(),
            &tenant(&w.connection, "acme", "Plan"),
        )
        .await
        .expect("Plan Tenant");
    let hash = wait("a published plan", || async {
        let s = tenants.get("acme").await.ok()?.status?;
        is_true(&s.conditions, condition::PLAN_PENDING).then_some(())?;
        s.plan.map(|p| p.hash)
    })
    .await;
    assert_eq!(
        w.sandbox
            .count_objects("cloudlink", "accounts", &format!("{ns}/acme"))
            .await,
        0
    );
    tenants
        .patch(
            "acme",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {APPROVE_ANNOTATION: hash}}})),
        )
        .await
        .expect("approve");
    wait_ready(&tenants, "acme").await;
    assert_eq!(
        w.sandbox
            .count_objects("cloudlink", "accounts", &format!("{ns}/acme"))
            .await,
        1
    );

    // Delete with deletionPolicy Delete: dependants first, then the Tenant.
    bindings
        .delete("kenton-gateway", &DeleteParams::default())
        .await
        .expect("delete binding");
    wait_gone(&bindings, "kenton-gateway").await;
    tenants
        .delete("kenton", &DeleteParams::default())
        .await
        .expect("delete tenant");
    wait_gone(&tenants, "kenton").await;
    assert_eq!(
        w.sandbox
            .count_objects("cloudlink", "accounts", &format!("{ns}/kenton"))
            .await,
        0
    );
    assert_eq!(
        w.sandbox
            .count_objects("cloudlink", "gateways", &format!("{ns}/kenton-gateway"))
            .await,
        0
    );
}

/// Deletes what the suite created; strips finalizers the controller could not drop.
async fn cleanup(w: &World) {
    let ns = &w.namespace;
    let strip = json!({"metadata": {"finalizers": null}});
    let tenants: Api<Tenant> = Api::namespaced(w.client.clone(), ns);
    let bindings: Api<ServiceBinding> = Api::namespaced(w.client.clone(), ns);
    for b in bindings
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
    {
        let _ = bindings
            .delete(&b.name_any(), &DeleteParams::default())
            .await;
        let _ = bindings
            .patch(
                &b.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&strip),
            )
            .await;
    }
    for t in tenants
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
    {
        let _ = tenants
            .delete(&t.name_any(), &DeleteParams::default())
            .await;
        let _ = tenants
            .patch(
                &t.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&strip),
            )
            .await;
    }
    let connections: Api<PortalConnection> = Api::all(w.client.clone());
    let _ = connections
        .delete(&w.connection, &DeleteParams::default())
        .await;
    let namespaces: Api<Namespace> = Api::all(w.client.clone());
    let _ = namespaces.delete(ns, &DeleteParams::default()).await;
    eprintln!(
        "e2e: removed namespace {ns} and PortalConnection {} (CRDs stay installed)",
        w.connection
    );
}

fn tenant(connection: &str, name: &str, policy: &str) -> Tenant {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "Tenant",
        "metadata": {"name": name},
        "spec": {
            "displayName": format!("{name} Electronics"),
            "contact": {"name": "Jane Roe", "email": "jane@kenton-electronics.com"},
            "domains": ["kenton-electronics.com"],
            "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"},
            "businessType": "Manufacturing",
            "supportContacts": [
                {"role": "Maintainer", "name": "Max Maintainer", "email": "max@kenton-electronics.com"},
                {"role": "OnsiteAdmin", "name": "Olga Onsite", "email": "olga@kenton-electronics.com"}
            ],
            "portals": ["cloudlink"],
            "portalConnectionRef": {"name": connection},
            "managementPolicy": policy,
            "deletionPolicy": "Delete"
        }
    }))
}

fn is_true(
    conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    type_: &str,
) -> bool {
    find_condition(conditions, type_).is_some_and(|c| c.status == "True")
}

async fn wait_ready<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + serde::Serialize,
{
    wait(&format!("{name} to be Ready"), || async {
        let value = serde_json::to_value(api.get(name).await.ok()?).ok()?;
        let conditions = value["status"]["conditions"].as_array()?.clone();
        conditions
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
            .then_some(())
    })
    .await;
}

async fn wait_gone<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait(&format!("{name} to be deleted"), || async {
        matches!(api.get_opt(name).await, Ok(None)).then_some(())
    })
    .await;
}

/// Polls `probe` every second until it returns a value, or fails after `TIMEOUT`.
async fn wait<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("e2e object: {e}"))
}
