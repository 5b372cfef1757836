//! The example customers converge: every object of `examples/customers/*` reconciled round
//! after round (statuses fed back, as the API server would) until all are Ready, against the
//! sandbox with its demo inventory. This is the controller's side of the end-to-end suite,
//! without a cluster.

use std::sync::Arc;

use kube::ResourceExt;
use tenantry::api::{ObjectStatus, ServiceBinding, Tenant, TenantAdmin};
use tenantry::controller::{Declaring, reconcile};
use tenantry::manifest::{Input, LoadOptions, load};
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use super::fixtures::{Harness, with_status};

/// Enough rounds for the longest chain (Tenant → Azure AD → Microsoft Online) and async work.
const ROUNDS: usize = 12;

fn prepare<K: Declaring>(mut object: K) -> K {
    let uid = format!("uid-{}-{}", K::KIND, object.name_any());
    let meta = object.meta_mut();
    meta.uid = Some(uid);
    meta.generation = Some(1);
    meta.finalizers = Some(vec![tenantry::controller::FINALIZER.to_owned()]);
    object
}

fn is_ready(status: Option<&ObjectStatus>) -> bool {
    status
        .and_then(|s| tenantry::api::find_condition(&s.conditions, "Ready"))
        .is_some_and(|c| c.status == "True")
}

async fn round<K: Declaring>(h: &Harness, objects: &mut [K], path: &str) -> Vec<String> {
    let mut waiting = Vec::new();
    for object in objects.iter_mut() {
        h.api.clear();
        let result = reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx)).await;
        let status_path = format!("{path}/{}/status", object.name_any());
        if let Some(patch) = h.api.calls().iter().rev().find(|c| c.path == status_path) {
            *object = with_status(object, &patch.body["status"]);
        }
        if !is_ready(object.object_status()) {
            let why = object
                .object_status()
                .and_then(|s| tenantry::api::find_condition(&s.conditions, "Ready"))
                .map(|c| format!("{}: {}", c.reason, c.message))
                .unwrap_or_default();
            waiting.push(format!(
                "{} {} ({why}) {:?}",
                K::KIND,
                object.name_any(),
                result.err()
            ));
        }
    }
    waiting
}

/// Reconciles each object once and asserts no write reached the API server.
async fn steady<K: Declaring>(h: &Harness, objects: &[K]) {
    for object in objects {
        reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx))
            .await
            .unwrap_or_else(|e| panic!("{} {}: {e}", K::KIND, object.name_any()));
        let writes: Vec<String> = h
            .api
            .lines()
            .into_iter()
            .filter(|l| !l.starts_with("GET "))
            .collect();
        assert!(
            writes.is_empty(),
            "{} {} wrote {writes:?}",
            K::KIND,
            object.name_any()
        );
    }
}

/// The `portal_writes` and `status_patches` lines of the controller's /metrics text.
fn write_counters(h: &Harness) -> Vec<String> {
    h.ctx
        .metrics
        .encode()
        .lines()
        .filter(|l| {
            l.starts_with("tenantry_portal_writes") || l.starts_with("tenantry_status_patches")
        })
        .map(str::to_owned)
        .collect()
}

async fn converge(folder: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let loaded = load(
        &[Input::from_arg(&root.to_string_lossy())],
        &LoadOptions::default(),
    )
    .expect("the example loads");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let declared = loaded.declared;
    let mut tenants: Vec<Tenant> = declared
        .tenants
        .iter()
        .map(|l| prepare(l.object.clone()))
        .collect();
    let mut admins: Vec<TenantAdmin> = declared
        .admins
        .iter()
        .map(|l| prepare(l.object.clone()))
        .collect();
    let mut bindings: Vec<ServiceBinding> = declared
        .bindings
        .iter()
        .map(|l| prepare(l.object.clone()))
        .collect();
    let ns = tenants[0].namespace().unwrap_or_default();
    let base = format!("/apis/tenantry.dev/v1alpha1/namespaces/{ns}");

    let mut sandbox = Sandbox::start(SandboxConfig::default().with_fixtures(Fixtures::demo()))
        .await
        .expect("sandbox");
    let mut waiting = Vec::new();
    // Secrets the controller created (generated passwords) stay, as in a cluster.
    let mut carried = std::collections::BTreeMap::new();
    for _ in 0..ROUNDS {
        let h = Harness::with_sandbox(
            sandbox,
            tenants.clone(),
            admins.clone(),
            bindings.clone(),
            Vec::new(),
        );
        h.api.add_secrets(&declared);
        h.api.load_secrets(carried);
        waiting = round(&h, &mut tenants, &format!("{base}/tenants")).await;
        waiting.extend(round(&h, &mut admins, &format!("{base}/tenantadmins")).await);
        waiting.extend(round(&h, &mut bindings, &format!("{base}/servicebindings")).await);
        carried = h.api.secrets();
        sandbox = h.sandbox;
        if waiting.is_empty() {
            break;
        }
        // Let the sandbox's scaled clock move async operations on.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        waiting.is_empty(),
        "not Ready after {ROUNDS} rounds:\n{}",
        waiting.join("\n")
    );

    // Converged: another pass over every object writes nothing, to the API or the portals.
    let h = Harness::with_sandbox(
        sandbox,
        tenants.clone(),
        admins.clone(),
        bindings.clone(),
        Vec::new(),
    );
    h.api.add_secrets(&declared);
    h.api.load_secrets(carried);
    let writes = h.portal_writes().len();
    steady(&h, &tenants).await;
    steady(&h, &admins).await;
    steady(&h, &bindings).await;
    assert_eq!(
        h.portal_writes().len(),
        writes,
        "no portal write in a steady state"
    );

    // A resync while the portal answers with equivalent data (reordered, re-cased, extra
    // server-only fields) is a steady state too: no status patch, no portal write, and the
    // Prometheus counters of both stay where they were.
    h.sandbox
        .set_faults(crate::reliability::equivalent_reads(5));
    let reads = h.sandbox.requests().len();
    let counters = write_counters(&h);
    steady(&h, &tenants).await;
    steady(&h, &admins).await;
    steady(&h, &bindings).await;
    assert_eq!(
        h.portal_writes().len(),
        writes,
        "no portal write under equivalent data"
    );
    assert_eq!(
        write_counters(&h),
        counters,
        "portal_writes and status_patches unchanged"
    );
    let reshaped = h.sandbox.requests()[reads..]
        .iter()
        .filter(|r| r.fault.as_deref() == Some("equivalentData"))
        .count();
    assert!(reshaped > 0, "the resync read equivalent data");
    let code = tenants[0]
        .status
        .as_ref()
        .and_then(|s| s.observed.customer_code.clone());
    assert!(
        code.is_some()
            || !tenants[0]
                .spec
                .portals
                .contains(&tenantry::api::Portal::Daas)
    );
}

#[tokio::test]
async fn the_kenton_electronics_example_converges() {
    converge("examples/customers/kenton-electronics").await;
}
