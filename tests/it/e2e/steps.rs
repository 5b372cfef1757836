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
use tenantry::api::TenantAdmin;
use tenantry::api::{PortalConnection, ServiceBinding, Tenant, condition, find_condition};
use tenantry::controller::{APPROVE_ANNOTATION, FINALIZER, LeaseSettings, RunOptions, Settings};
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};
use tokio::sync::oneshot;

use super::TIMEOUT;
use super::install::{
    LEASE, NAMESPACE, as_service_account, controller_pod_passes_restricted_pod_security,
    install_service_account,
};

/// The controllers' resync in the suite: the quiet window spans several.
const RESYNC: Duration = Duration::from_secs(5);
/// How long a converged controller must write nothing (issue 13).
const QUIET: Duration = Duration::from_secs(20);

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
    install_service_account(&client).await;
    controller_pod_passes_restricted_pod_security(&client).await;
    let suffix = format!("{:x}", std::process::id() ^ u32::from(rand_suffix()));
    let namespace = format!("tenantry-e2e-{suffix}");
    let connection = format!("tenantry-e2e-{suffix}");
    // The demo inventory has the DIDs and 10DLC campaign the examples use.
    let sandbox = Sandbox::start(SandboxConfig::default().with_fixtures(Fixtures::demo()))
        .await
        .expect("sandbox");
    let world = World {
        client: client.clone(),
        namespace,
        connection,
        sandbox,
    };
    // Two replicas electing a leader with the shipped Lease, as in a cluster: only the leader
    // runs the controllers. Both act as the shipped service account, with its RBAC only.
    let controller_config = as_service_account(config.clone());
    let controller_client =
        Client::try_from(controller_config.clone()).expect("service-account client");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &from_json(json!({"metadata": {"name": world.namespace}})),
        )
        .await
        .expect("namespace");
    let mut replicas = Vec::new();
    for identity in ["e2e-a", "e2e-b"] {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let options = RunOptions {
            portal: None,
            portal_token: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            settings: Settings {
                resync: RESYNC,
                dependency_wait: Duration::from_secs(2),
                poll: Duration::from_secs(1),
                ..Settings::default()
            },
            concurrency: 4,
            lease: Some(LeaseSettings {
                namespace: NAMESPACE.to_owned(),
                name: LEASE.to_owned(),
                identity: identity.to_owned(),
            }),
            instance: Some(identity.to_owned()),
        };
        let lease_client =
            tenantry::controller::lease_client(controller_config.clone()).expect("lease client");
        let task = tokio::spawn(tenantry::controller::run(
            controller_client.clone(),
            Some(lease_client),
            options,
            async move {
                let _ = stop_rx.await;
            },
        ));
        replicas.push((stop_tx, task));
    }

    let outcome = AssertUnwindSafe(steps(&world)).catch_unwind().await;
    cleanup(&world).await;
    for (stop, task) in replicas {
        let _ = stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let _ = namespaces
        .delete(&world.namespace, &DeleteParams::default())
        .await;
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
                "spec": {"url": w.sandbox.url(),
                         "credentialsSecretRef": {"namespace": ns, "name": "portal-token", "key": "token"}}
            })),
        )
        .await
        .expect("PortalConnection");

    let sink = super::notify::create_sink(&w.client, ns, &w.connection).await;
    let tenants: Api<Tenant> = Api::namespaced(w.client.clone(), ns);
    let bindings: Api<ServiceBinding> = Api::namespaced(w.client.clone(), ns);

    // The example customers, as a user would apply them: every object becomes Ready.
    let mut applied = Vec::new();
    for folder in example_customers() {
        applied.extend(apply_example(w, &folder).await);
    }
    // Some examples wait for people: the Plan-policy bindings for a reviewer's approval, the
    // Teams connectors for their Global Admin's consent. Play those people until all is Ready.
    examples_reach_ready(w, &applied).await;
    // The Teams connectors' consent waits reached the sink from the leader, signed.
    super::notify::assert_waits_delivered(&w.client, &sink).await;
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(w.client.clone(), NAMESPACE);
    let lease = leases.get(LEASE).await.expect("the Lease");
    let holder = lease
        .spec
        .and_then(|s| s.holder_identity)
        .unwrap_or_default();
    assert!(
        ["e2e-a", "e2e-b"].contains(&holder.as_str()),
        "one leader, got {holder:?}"
    );
    let example = tenants
        .get("kenton-electronics")
        .await
        .expect("example tenant");
    let observed = example.status.unwrap_or_default().observed;
    assert!(
        observed.customer_code.is_some(),
        "the portal's customer code is reported"
    );

    // Converged, the controller writes nothing: over QUIET (several resyncs) no tenantry object
    // changes (status, finalizers), no Event or Secret is written, and no portal write reaches
    // the sandbox. The last reconcile
    // of each object may still be finishing when it turned Ready: one resync lets it end.
    tokio::time::sleep(RESYNC).await;
    let versions_before = resource_versions(w).await;
    let writes_before = portal_writes(w);
    tokio::time::sleep(QUIET).await;
    let versions_after = resource_versions(w).await;
    assert_eq!(
        versions_before, versions_after,
        "a converged controller changed objects within {QUIET:?}"
    );
    assert_eq!(
        portal_writes(w),
        writes_before,
        "a converged controller wrote to the portal within {QUIET:?}"
    );

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

/// (kind, name, resourceVersion) of every tenantry object, Event and Secret in the suite's
/// namespace.
async fn resource_versions(w: &World) -> Vec<(String, String, String)> {
    let mut versions = Vec::new();
    versions.extend(versions_of::<Tenant>(w, "Tenant").await);
    versions.extend(versions_of::<TenantAdmin>(w, "TenantAdmin").await);
    versions.extend(versions_of::<ServiceBinding>(w, "ServiceBinding").await);
    // Nor does it record Events or write Secrets (a generated password is stored once).
    versions.extend(versions_of::<k8s_openapi::api::events::v1::Event>(w, "Event").await);
    versions.extend(versions_of::<Secret>(w, "Secret").await);
    versions.sort();
    versions
}

/// (kind, name, resourceVersion) of every `K` in the suite's namespace, listed as metadata.
async fn versions_of<K>(w: &World, kind: &str) -> Vec<(String, String, String)>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Api::<K>::namespaced(w.client.clone(), &w.namespace)
        .list_metadata(&Default::default())
        .await
        .unwrap_or_else(|e| panic!("list {kind}s: {e}"))
        .items
        .into_iter()
        .map(|m| {
            (
                kind.to_owned(),
                m.name_any(),
                m.resource_version().unwrap_or_default(),
            )
        })
        .collect()
}

/// Portal writes the sandbox has answered so far.
fn portal_writes(w: &World) -> usize {
    w.sandbox.requests().iter().filter(|r| r.is_write()).count()
}

/// Waits until every applied example object is Ready, doing the people's steps on the way:
/// approving each published plan (`managementPolicy: Plan`) with its hash, as a reviewer would
/// after reading it, and granting a Teams connector's consent (two steps, seed 002) with the
/// invitation code the portal e-mailed its Global Admin.
async fn examples_reach_ready(w: &World, applied: &[(String, String)]) {
    let tenants: Api<Tenant> = Api::namespaced(w.client.clone(), &w.namespace);
    let admins: Api<TenantAdmin> = Api::namespaced(w.client.clone(), &w.namespace);
    let bindings: Api<ServiceBinding> = Api::namespaced(w.client.clone(), &w.namespace);
    let portal = crate::sandbox::Client::new(&w.sandbox);
    let approved = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let consented = std::cell::RefCell::new(std::collections::BTreeSet::new());
    wait("the examples to be Ready", || async {
        let mut waiting = Vec::new();
        for (kind, name) in applied {
            let value = match kind.as_str() {
                "Tenant" => serde_json::to_value(tenants.get(name).await.ok()?).ok()?,
                "TenantAdmin" => serde_json::to_value(admins.get(name).await.ok()?).ok()?,
                "ServiceBinding" => serde_json::to_value(bindings.get(name).await.ok()?).ok()?,
                _ => continue,
            };
            let conditions = value["status"]["conditions"].as_array().cloned();
            let status_of = |type_: &str| {
                conditions
                    .iter()
                    .flatten()
                    .any(|c| c["type"] == type_ && c["status"] == "True")
            };
            if status_of(condition::READY) {
                continue;
            }
            waiting.push(format!("{kind} {name}"));
            let hash = value["status"]["plan"]["hash"].as_str().filter(|hash| {
                status_of(condition::PLAN_PENDING)
                    && approved
                        .borrow_mut()
                        .insert((name.clone(), (*hash).to_owned()))
            });
            if let Some(hash) = hash {
                let approve = json!({"metadata": {"annotations": {APPROVE_ANNOTATION: hash}}});
                let patched = match kind.as_str() {
                    "Tenant" => tenants
                        .patch(name, &PatchParams::default(), &Patch::Merge(&approve))
                        .await
                        .map(drop),
                    "TenantAdmin" => admins
                        .patch(name, &PatchParams::default(), &Patch::Merge(&approve))
                        .await
                        .map(drop),
                    _ => bindings
                        .patch(name, &PatchParams::default(), &Patch::Merge(&approve))
                        .await
                        .map(drop),
                };
                patched.unwrap_or_else(|e| panic!("approving the plan of {kind} {name}: {e}"));
            }
            if let Some(email) = value["spec"]["teamsConnector"]["adminEmail"].as_str() {
                let mails = w.sandbox.outbox(Some(email)).await;
                let code = mails
                    .iter()
                    .rev()
                    .find(|m| m.kind == "invitation")
                    .and_then(|m| m.data["invitationCode"].as_str().map(str::to_owned));
                let code = code.filter(|code| consented.borrow_mut().insert(code.clone()));
                if let Some(code) = code {
                    for step in ["Partial", "Granted"] {
                        let answer = portal
                            .post(
                                "/sandbox/teammate/consent",
                                &json!({"invitationCode": code}),
                            )
                            .await;
                        assert_eq!(answer.expect(200)["consent"], step, "consent for {email}");
                    }
                }
            }
        }
        waiting.is_empty().then_some(())
    })
    .await;
}

/// The folders under `examples/customers/`, each one customer, relative to the crate root.
fn example_customers() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/customers");
    let mut folders: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| format!("examples/customers/{}", e.file_name().to_string_lossy()))
        .collect();
    folders.sort();
    assert!(!folders.is_empty(), "no customers in examples/customers");
    folders
}

/// Creates every object of an example folder in the suite's namespace, pointing its Tenants at
/// the suite's PortalConnection. Returns (kind, name) of each object.
async fn apply_example(w: &World, folder: &str) -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "yaml") && !p.ends_with("kustomization.yaml")
        })
        .collect();
    // Secrets first, then Tenants, admins and bindings (the controller copes with any order).
    let rank = |p: &std::path::PathBuf| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let first = ["secrets.yaml", "tenant.yaml", "admins.yaml"];
        (
            first.iter().position(|f| *f == name).unwrap_or(first.len()),
            name,
        )
    };
    files.sort_by_key(rank);
    let mut applied = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for document in serde_yaml::Deserializer::from_str(&text) {
            let mut value: Value = serde::Deserialize::deserialize(document)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            if value.is_null() {
                continue;
            }
            value["metadata"]["namespace"] = Value::String(w.namespace.clone());
            let kind = value["kind"].as_str().unwrap_or_default().to_owned();
            let name = value["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if kind == "Tenant" {
                value["spec"]["portalConnectionRef"] = json!({"name": w.connection});
            }
            let created = match kind.as_str() {
                "Secret" => create::<Secret>(w, value).await,
                "Tenant" => create::<Tenant>(w, value).await,
                "TenantAdmin" => create::<TenantAdmin>(w, value).await,
                "ServiceBinding" => create::<ServiceBinding>(w, value).await,
                _ => continue,
            };
            created.unwrap_or_else(|e| panic!("creating {kind} {name}: {e}"));
            applied.push((kind, name));
        }
    }
    assert!(!applied.is_empty(), "no objects in {folder}");
    applied
}

async fn create<K>(w: &World, value: Value) -> Result<(), kube::Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(w.client.clone(), &w.namespace);
    api.create(&PostParams::default(), &from_json(value))
        .await
        .map(drop)
}

/// Deletes every object of a kind in the namespace and strips finalizers the controller
/// could not drop (so the namespace can go).
async fn remove_all<K>(api: &Api<K>)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let strip = json!({"metadata": {"finalizers": null}});
    let items = api
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    for item in items {
        let name = item.name_any();
        let _ = api.delete(&name, &DeleteParams::default()).await;
        let _ = api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&strip))
            .await;
    }
}

/// Prints the conditions of every object of a kind in the namespace: what a failed wait was
/// waiting on.
async fn report_conditions<K>(api: &Api<K>)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + serde::Serialize,
{
    let items = api
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    for item in items {
        let value = serde_json::to_value(&item).unwrap_or_default();
        let conditions: Vec<String> = value["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}={} {} {}",
                    c["type"].as_str().unwrap_or_default(),
                    c["status"].as_str().unwrap_or_default(),
                    c["reason"].as_str().unwrap_or_default(),
                    c["message"].as_str().unwrap_or_default()
                )
            })
            .collect();
        eprintln!(
            "e2e: {} {}: {}",
            value["kind"].as_str().unwrap_or_default(),
            item.name_any(),
            conditions.join("; ")
        );
    }
}

/// Deletes what the suite created, in dependency order; the CRDs stay installed.
async fn cleanup(w: &World) {
    let ns = &w.namespace;
    report_conditions(&Api::<Tenant>::namespaced(w.client.clone(), ns)).await;
    report_conditions(&Api::<TenantAdmin>::namespaced(w.client.clone(), ns)).await;
    report_conditions(&Api::<ServiceBinding>::namespaced(w.client.clone(), ns)).await;
    remove_all(&Api::<ServiceBinding>::namespaced(w.client.clone(), ns)).await;
    remove_all(&Api::<TenantAdmin>::namespaced(w.client.clone(), ns)).await;
    remove_all(&Api::<Tenant>::namespaced(w.client.clone(), ns)).await;
    let connections: Api<PortalConnection> = Api::all(w.client.clone());
    let _ = connections
        .delete(&w.connection, &DeleteParams::default())
        .await;
    super::notify::delete_sink(&w.client, &w.connection).await;
    eprintln!(
        "e2e: removing namespace {ns} and PortalConnection {} (CRDs stay installed)",
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

fn is_true(conditions: &[tenantry::api::Condition], type_: &str) -> bool {
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

pub(super) fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("e2e object: {e}"))
}
