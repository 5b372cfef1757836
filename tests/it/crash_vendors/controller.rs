//! The controller's crash points over the vendor emulators (the pattern of
//! `crash_controller.rs`): with the connections of `examples/connections/emulators.yaml`, one
//! object per vendor adapter (a ConnectToTeams enterprise, a Graph admin with a generated
//! password, a Partner Center Azure AD tenant, a CloudLink account adopted from the Accounts
//! portal) is reconciled with a crash at each point, the controller restarts (a fresh
//! `Context` on the same cluster state and emulators) and reconciles until a pass writes
//! nothing to the vendor; the emulator then holds exactly one object. Where the vendor's API
//! deletes (ConnectToTeams, Graph), the object is deleted with a crash at `cleanup.deleted`, and
//! after the restart the finalizer goes with exactly one vendor delete.

use std::sync::Arc;

use serde_json::{Value, json};
use tenantry::api::{Declared, Portal, PortalConnection, ServiceBinding, Tenant, TenantAdmin};
use tenantry::controller::{Context, Declaring, Metrics, Settings, Stores, reconcile};
use tenantry::crash::{Crash, arm};
use tenantry::manifest::{Input, LoadOptions, load};
use tenantry::portal::{Connection, Pool, Providers};
use tenantry::sandbox::{Sandbox, SandboxConfig};

use super::census::{self, Census};
use crate::controller::fixtures::{Harness, client_of, from_json, ready, tenant};
use crate::vendors::control;

/// Reconciles a restarted controller may take to converge.
const MAX_ROUNDS: usize = 4;

const APPLY_POINTS: [&str; 4] = [
    "create.sent",
    "apply.step",
    "reconcile.applied",
    "status.patched",
];

/// The connections of the example and their Secrets, pointed at `sb`.
fn emulator_connections(sb: &Sandbox) -> (Vec<PortalConnection>, Declared) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/connections/emulators.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("emulators.yaml");
    std::fs::write(&file, text.replace("http://127.0.0.1:8480", &sb.url()))
        .unwrap_or_else(|e| panic!("{e}"));
    let loaded =
        load(&[Input::Path(file)], &LoadOptions::default()).unwrap_or_else(|e| panic!("load: {e}"));
    let connections = loaded
        .declared
        .connections
        .iter()
        .map(|c| c.object.clone())
        .collect();
    (connections, loaded.declared)
}

/// A restart: a fresh `Context` whose portal clients the built-in providers make, on the same
/// API server state and emulators; nothing in memory survives.
fn restart(h: Harness) -> Harness {
    let fallback = Connection::contract("default", &h.sandbox.url(), None);
    let ctx = Arc::new(Context::new(
        client_of(&h.api),
        Pool::new(Arc::new(Providers::default()), Some(fallback)),
        Stores::from_objects(h.api.all(), h.api.all(), h.api.all(), h.api.all()),
        Arc::new(Metrics::new()),
        Settings::default(),
        Some("test".to_owned()),
    ));
    Harness { ctx, ..h }
}

/// One reconcile in its own task, as the controller runs it: `Err` is the crash.
async fn reconcile_once<K: Declaring>(
    h: &Harness,
    object: K,
) -> Result<Result<kube::runtime::controller::Action, tenantry::controller::Error>, Crash> {
    match tokio::spawn(reconcile(Arc::new(object), Arc::clone(&h.ctx))).await {
        Ok(result) => Ok(result),
        Err(e) if e.is_panic() => match e.into_panic().downcast::<Crash>() {
            Ok(crash) => Err(*crash),
            Err(other) => std::panic::resume_unwind(other),
        },
        Err(e) => panic!("reconcile task: {e}"),
    }
}

fn current<K: Declaring>(h: &Harness, ns: &str, name: &str) -> K {
    h.api
        .get::<K>(ns, name)
        .unwrap_or_else(|| panic!("{} {ns}/{name} is gone", K::KIND))
}

/// Requests that change something at `vendor` (its token endpoint and the POSTs and PUTs
/// that only read are left out).
fn vendor_writes(sb: &Sandbox, vendor: &str) -> Vec<String> {
    sb.wire_requests(vendor)
        .into_iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .filter(|r| {
            !(r.path.ends_with("/token")
                || r.path == "/reseller/getAuthenticatedUser"
                || r.path == "/enterprise/getActionItemUrl")
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// One vendor subject: what is reconciled and how the emulator is counted.
struct Subject {
    /// Short name used in namespaces (crash triggers are armed per namespace).
    label: &'static str,
    /// The emulator's name in the wire log.
    vendor: &'static str,
    /// The object's name.
    name: &'static str,
    /// Its one vendor create and delete (`METHOD path`); no delete where a person deletes.
    create: &'static str,
    delete: Option<&'static str>,
    /// The census of the emulator with the one object.
    one: fn(&Census) -> bool,
    /// The census with it deleted.
    none: fn(&Census) -> bool,
}

const C2T: Subject = Subject {
    label: "c2t",
    vendor: "c2t",
    name: "kenton-teams",
    create: "POST /reseller/newEnterprise",
    delete: Some("DELETE /reseller/deleteEnterprise/{enterpriseId}"),
    one: |c| c.c2t_enterprises.len() == 1 && c.c2t_enterprises.get("Kenton Teams") == Some(&1),
    none: |c| c.c2t_enterprises.is_empty(),
};
const GRAPH: Subject = Subject {
    label: "graph",
    vendor: "graph",
    name: "jroe",
    create: "POST /users",
    delete: Some("DELETE /users/{user-id}"),
    one: |c| {
        c.graph_users.len() == 1 && c.graph_users.get("jroe@kenton-electronics.com") == Some(&1)
    },
    none: |c| c.graph_users.is_empty(),
};
const PC: Subject = Subject {
    label: "pc",
    vendor: "pc",
    name: "kenton-azure-ad",
    create: "POST /v1/customers",
    delete: None,
    one: |c| c.pc_customers.len() == 1 && c.pc_customers.get("Kenton Electronics") == Some(&1),
    none: |_| true,
};
const MITEL: Subject = Subject {
    label: "mitel",
    vendor: "mitel",
    name: "kenton",
    create: "PUT /accounts/{accountId}",
    delete: None,
    one: |c| c.mitel_tags.get("Kenton Electronics tenantry") == Some(&1),
    none: |_| true,
};

fn namespace(subject: &Subject, point: &str) -> String {
    format!("crashv-{}-{}", subject.label, point.replace('.', "-"))
}

fn moved<K: kube::Resource>(mut object: K, ns: &str) -> K {
    object.meta_mut().namespace = Some(ns.to_owned());
    object
}

fn binding(ns: &str, name: &str, service: Value) -> ServiceBinding {
    let mut spec = json!({"tenantRef": {"name": "kenton"}});
    if let (Some(m), Some(s)) = (spec.as_object_mut(), service.as_object()) {
        m.extend(s.clone());
    }
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}"),
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": spec,
    }))
}

/// A cluster with the subject's objects on the emulators' connections; the Tenant already
/// reconciled where the subject needs its DaaS customer.
async fn cluster(subject: &Subject, ns: &str) -> Harness {
    let sb = crate::support::sandbox(SandboxConfig::default()).await;
    let (connections, declared) = emulator_connections(&sb);
    let mut t = moved(tenant("kenton", "Apply", "Delete"), ns);
    let (mut admins, mut bindings) = (Vec::new(), Vec::new());
    match subject.label {
        "c2t" => {
            t.spec.portals = vec![Portal::TeamMate];
            t = ready(&t);
            bindings.push(binding(
                ns,
                subject.name,
                json!({"teamsConnector": {"enterpriseName": "Kenton Teams",
                        "adminEmail": "globaladmin@kenton-electronics.com",
                        "sbcRegions": ["UsEast"], "services": ["Trunk"]}}),
            ));
        }
        "graph" => {
            t.spec.portals = vec![Portal::Daas];
            let mut a =
                serde_json::to_value(crate::controller::fixtures::admin(subject.name, "kenton"))
                    .unwrap_or(Value::Null);
            a["spec"]["deletionPolicy"] = json!("Delete");
            a["metadata"]["namespace"] = json!(ns);
            admins.push(from_json::<TenantAdmin>(a));
        }
        "pc" => {
            t.spec.portals = vec![Portal::Daas];
            bindings.push(binding(
                ns,
                subject.name,
                json!({"azureAD": {"mode": "CreateNew"}}),
            ));
        }
        _ => {
            // The account a person made in Mitel's Accounts portal.
            control(
                &sb,
                "/sandbox/mitel/accounts",
                &json!({"name": "Kenton Electronics"}),
            )
            .await;
        }
    }
    let h = Harness::with_providers_and_admins(sb, vec![t], admins, bindings, connections);
    h.api.add_secrets(&declared);
    if matches!(subject.label, "graph" | "pc") {
        let t = current::<Tenant>(&h, ns, "kenton");
        reconcile_once(&h, t)
            .await
            .unwrap_or_else(|c| panic!("{c}"))
            .unwrap_or_else(|e| panic!("the tenant: {e}"));
        return restart(h);
    }
    h
}

/// Reconciles until the object has its external id and a pass writes nothing to the vendor.
async fn converge<K: Declaring>(h: &Harness, subject: &Subject, ns: &str, case: &str) {
    for _ in 0..MAX_ROUNDS {
        let before = vendor_writes(&h.sandbox, subject.vendor).len();
        reconcile_once(h, current::<K>(h, ns, subject.name))
            .await
            .unwrap_or_else(|c| panic!("{case}: crashed again: {c}"))
            .unwrap_or_else(|e| panic!("{case}: the reconcile after the restart failed: {e}"));
        let status = serde_json::to_value(current::<K>(h, ns, subject.name).object_status())
            .unwrap_or(Value::Null);
        let recorded = status["externalIds"]
            .as_object()
            .is_some_and(|ids| !ids.is_empty());
        if recorded && vendor_writes(&h.sandbox, subject.vendor).len() == before {
            return;
        }
    }
    panic!(
        "{case}: not converged after {MAX_ROUNDS} reconciles; vendor writes: {:?}; status: {:?}",
        vendor_writes(&h.sandbox, subject.vendor),
        current::<K>(h, ns, subject.name).object_status()
    );
}

/// Runs a reconcile with `point` armed for `ns` alone and asserts it died there.
async fn crash_at<K: Declaring>(h: &Harness, ns: &str, name: &str, point: &str, case: &str) {
    let armed = arm(&format!("{point}:{ns}/")).unwrap_or_else(|e| panic!("{e}"));
    let crashed = reconcile_once(h, current::<K>(h, ns, name)).await;
    drop(armed);
    match crashed {
        Err(crash) => assert_eq!(crash.point, point, "{case}"),
        Ok(result) => panic!("{case}: the reconcile did not reach the point: {result:?}"),
    }
}

async fn crash_and_recover<K: Declaring>(subject: &Subject, point: &str) {
    let ns = namespace(subject, point);
    let case = format!(
        "{} {ns}/{} at {point} ({})",
        K::KIND,
        subject.name,
        subject.vendor
    );
    let h = cluster(subject, &ns).await;

    crash_at::<K>(&h, &ns, subject.name, point, &case).await;
    let h = restart(h);
    converge::<K>(&h, subject, &ns, &case).await;
    let census = census::take(&h.sandbox).await;
    assert!(
        census.duplicates().is_empty() && (subject.one)(&census),
        "{case}: {census:#?}"
    );
    // Partner Center may see its create again (the same MS-RequestId answers the same
    // customer), CloudLink its PUT (the same fields on the account it tagged); ConnectToTeams
    // and Graph have no idempotency key and must never send a second one.
    let creates = vendor_writes(&h.sandbox, subject.vendor)
        .iter()
        .filter(|w| **w == subject.create)
        .count();
    if matches!(subject.vendor, "c2t" | "graph") {
        assert_eq!(creates, 1, "{case}: one create, ever");
    }
    if subject.label == "graph" {
        // The generated password was stored once, before the create, and reused after.
        let secrets = format!("POST /api/v1/namespaces/{ns}/secrets");
        let stored = h.api.lines().iter().filter(|l| **l == secrets).count();
        assert_eq!(stored, 1, "{case}");
    }

    let Some(delete) = subject.delete else {
        return;
    };
    h.api.delete::<K>(&ns, subject.name);
    crash_at::<K>(&h, &ns, subject.name, "cleanup.deleted", &case).await;
    let h = restart(h);
    for _ in 0..MAX_ROUNDS {
        let Some(object) = h.api.get::<K>(&ns, subject.name) else {
            break;
        };
        reconcile_once(&h, object)
            .await
            .unwrap_or_else(|c| panic!("{case}: crashed again: {c}"))
            .unwrap_or_else(|e| panic!("{case}: cleanup after the restart: {e}"));
    }
    assert!(
        h.api.get::<K>(&ns, subject.name).is_none(),
        "{case}: the finalizer was not dropped"
    );
    let deletes = vendor_writes(&h.sandbox, subject.vendor)
        .iter()
        .filter(|w| *w == delete)
        .count();
    assert_eq!(deletes, 1, "{case}: one delete");
    let census = census::take(&h.sandbox).await;
    assert!((subject.none)(&census), "{case}: {census:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connecttoteams_enterprise_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS.into_iter().chain(["operation.accepted"]) {
        crash_and_recover::<ServiceBinding>(&C2T, point).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_graph_admin_with_a_generated_password_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS {
        crash_and_recover::<TenantAdmin>(&GRAPH, point).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_center_tenant_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS.into_iter().chain(["operation.accepted"]) {
        crash_and_recover::<ServiceBinding>(&PC, point).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_adopted_cloudlink_account_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS {
        crash_and_recover::<Tenant>(&MITEL, point).await;
    }
}
