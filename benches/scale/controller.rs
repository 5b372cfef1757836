//! The controller stage, parent side: converge a real sandbox with the CLI's path, serve the
//! generated objects from the fake Kubernetes API server (kube_api.rs) as a cluster would
//! hold them, and run the controller in a fresh process (probe.rs) against both.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use k8s_openapi::ByteString;
use serde_json::{Value, json};
use tenantry::api::Declared;
use tenantry::engine::{self, ApplyOptions, Quiet};
use tenantry::manifest::{self, Input, LoadOptions};
use tenantry::model::{Kind, Model};
use tenantry::plan;
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use crate::kube_api::{ApiServer, Info};
use crate::stages::{NAMESPACE, plan_options};

/// How the controller runs.
pub struct Settings {
    /// Reconciles in flight per kind (`tenantry controller --concurrency`, default 8).
    pub concurrency: u16,
    /// Run with leader election, as `tenantry controller` does by default.
    pub lease: bool,
    /// Requests in flight to the portal (the PortalConnection's `maxConcurrency`).
    pub portal_concurrency: u32,
}

/// Namespace of the controller's own objects (the token Secret, the Lease).
const SYSTEM: &str = "tenantry-system";

/// Runs the stage: returns an error when the probe fails (a converged resync that writes
/// to the portal or patches status, or a controller that never reconciles everything).
pub fn run(dir: &std::path::Path, model: &Model, settings: &Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let sandbox =
            Sandbox::start(SandboxConfig::default().with_fixtures(Fixtures::demo())).await?;
        converge(&sandbox, model, settings.portal_concurrency).await?;
        let loaded = manifest::load(
            &[Input::Path(dir.to_path_buf())],
            &LoadOptions {
                namespace: NAMESPACE.to_owned(),
            },
        )?;
        let declared = loaded.declared;
        let info = Info {
            objects: declared.tenants.len() + declared.admins.len() + declared.bindings.len(),
            secrets: 0,
            concurrency: settings.concurrency,
            lease: settings.lease,
        };
        let objects = cluster_objects(&declared, &sandbox.url(), settings.portal_concurrency);
        let info = Info {
            secrets: objects.iter().filter(|(p, _)| *p == "secrets").count(),
            ..info
        };
        drop(declared);
        let sandbox = Arc::new(sandbox);
        let log = Arc::clone(&sandbox);
        let server = ApiServer::new(
            objects,
            info,
            Arc::new(move |since| portal_requests(&log, since)),
        );
        let url = server.serve().await?;
        let status = tokio::task::spawn_blocking(move || {
            Command::new(std::env::current_exe()?)
                // As the shipped Deployment runs the controller.
                .envs(tenantry::controller::ALLOCATOR_ENV)
                .arg("--controller-probe")
                .arg(&url)
                .status()
        })
        .await??;
        anyhow::ensure!(status.success(), "the controller probe failed: {status}");
        Ok(())
    })
}

/// Applies the model to the sandbox with the CLI's path (observe → plan → steps → apply),
/// so that the controller starts from converged portals.
async fn converge(sandbox: &Sandbox, model: &Model, parallelism: u32) -> anyhow::Result<()> {
    let portal = crate::apply::client(sandbox, 100, parallelism)?;
    let ns = [NAMESPACE.to_owned()];
    let observed = engine::observe(
        &portal,
        &engine::Selection::Namespaces {
            kinds: Kind::ALL.to_vec(),
            namespaces: ns.to_vec(),
        },
    )
    .await?;
    let first = plan::plan(model, &observed, &plan_options());
    let (steps, mut known) = engine::steps(&first, model, &observed);
    engine::generate_secrets(&steps, &mut known);
    let options = ApplyOptions {
        parallelism: usize::try_from(parallelism).unwrap_or(32),
        ..ApplyOptions::default()
    };
    let report = engine::apply(&portal, steps, known, &options, &Quiet).await;
    let (_, _, failed, _) = report.counts();
    anyhow::ensure!(
        failed == 0,
        "converging the sandbox: {failed} step(s) failed"
    );
    Ok(())
}

/// The sandbox's last request number, the writes it logged after `since`, and whether its log
/// (the last 100,000 requests) was cut since, so that the writes are a lower bound.
fn portal_requests(sandbox: &Sandbox, since: u64) -> Value {
    let log = sandbox.requests();
    let last = log.last().map_or(since, |r| r.seq);
    let cut = log.first().is_some_and(|r| r.seq > since.saturating_add(1));
    let writes = log
        .iter()
        .filter(|r| r.seq > since && r.method != "GET")
        .count();
    json!({"seq": last, "writes": writes, "cut": cut})
}

/// Server metadata as the API server adds it, and what appliers leave behind: `managedFields`
/// of a GitOps applier and the controller, and kubectl's last-applied annotation (the
/// controller strips both before its stores).
fn as_stored(object: Value, n: usize) -> Value {
    let mut object = object;
    let spec = object["spec"].clone();
    let last_applied = serde_json::to_string(&object).unwrap_or_default();
    let meta = &mut object["metadata"];
    meta["uid"] = json!(format!("6f1c2a4e-0000-4000-8000-{n:012}"));
    meta["generation"] = json!(1);
    meta["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    meta["finalizers"] = json!([tenantry::controller::FINALIZER]);
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = json!(last_applied);
    meta["managedFields"] = managed_fields(&spec);
    object
}

/// Two `managedFields` entries shaped like the API server's `fieldsV1`: the applier's spec
/// and the controller's status.
fn managed_fields(spec: &Value) -> Value {
    fn fields(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (format!("f:{k}"), fields(v)))
                    .collect(),
            ),
            _ => json!({}),
        }
    }
    let entry = |manager: &str, subresource: Option<&str>, fields_v1: Value| {
        json!({"apiVersion": "tenantry.dev/v1alpha1", "fieldsType": "FieldsV1",
               "fieldsV1": fields_v1, "manager": manager, "operation": "Apply",
               "subresource": subresource, "time": "2026-01-01T00:00:00Z"})
    };
    json!([
        entry("argocd-controller", None, json!({ "f:spec": fields(spec) })),
        entry(
            tenantry::controller::FIELD_MANAGER,
            Some("status"),
            json!({"f:status": {"f:conditions": {}, "f:externalIds": {}}})
        ),
    ])
}

/// Every object the cluster holds: the declared Tenants, TenantAdmins, ServiceBindings and
/// Secrets, and a `default` PortalConnection to the sandbox with its token Secret.
fn cluster_objects(
    declared: &Declared,
    sandbox_url: &str,
    portal_concurrency: u32,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut n = 0;
    let mut push = |plural: &'static str, value: Value| {
        n += 1;
        let value = if plural == "secrets" || plural == "portalconnections" {
            let mut value = value;
            value["metadata"]["uid"] = json!(format!("6f1c2a4e-0000-4000-8000-{n:012}"));
            value
        } else {
            as_stored(value, n)
        };
        out.push((plural, value));
    };
    for t in &declared.tenants {
        push(
            "tenants",
            serde_json::to_value(&t.object).unwrap_or_default(),
        );
    }
    for a in &declared.admins {
        push(
            "tenantadmins",
            serde_json::to_value(&a.object).unwrap_or_default(),
        );
    }
    for b in &declared.bindings {
        push(
            "servicebindings",
            serde_json::to_value(&b.object).unwrap_or_default(),
        );
    }
    push(
        "portalconnections",
        json!({"apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
               "metadata": {"name": "default"},
               "spec": {"url": sandbox_url,
                        "credentialsSecretRef": {"namespace": SYSTEM, "name": "portal-token"},
                        // The default budget (20 requests/s) would measure the rate limiter.
                        "rateLimit": {"requestsPerSecond": 10000, "burst": 10000,
                                      "maxConcurrency": portal_concurrency}}}),
    );
    let mut secrets: BTreeMap<(String, String), BTreeMap<String, ByteString>> = BTreeMap::new();
    for (key, value) in &declared.secrets {
        secrets
            .entry((key.namespace.clone(), key.name.clone()))
            .or_default()
            .insert(
                key.key.clone(),
                ByteString(value.expose().as_bytes().to_vec()),
            );
    }
    secrets.insert(
        (SYSTEM.to_owned(), "portal-token".to_owned()),
        // At least 8 characters: the client refuses shorter tokens (portal::scrub).
        BTreeMap::from([(
            "token".to_owned(),
            ByteString(b"bench-portal-token".to_vec()),
        )]),
    );
    for ((namespace, name), data) in secrets {
        push(
            "secrets",
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": name, "namespace": namespace}, "data": data}),
        );
    }
    out
}
