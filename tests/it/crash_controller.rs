//! Crash points in the controller (issue 8, DESIGN.md §7): a reconcile dies at each named point
//! (an in-process crash panics and takes the whole reconcile down), a fresh `Context` is built
//! on the same API server state and sandbox (a restart: nothing in memory survives), and the
//! next reconciles converge with one create per portal object, no duplicate, and a finalizer
//! that goes away after the delete.

use std::sync::Arc;

use kube::Resource;
use kube::runtime::controller::Action;
use serde_json::{Value, json};
use tenantry::api::{Portal, ServiceBinding, Tenant, TenantAdmin};
use tenantry::controller::{Declaring, Error, reconcile};
use tenantry::crash::{Crash, arm};

use super::controller::fixtures::{Harness, admin, from_json, tenant};

/// Reconciles that may pass before a restarted controller must have converged.
const MAX_ROUNDS: usize = 4;

/// One reconcile in its own task, as the controller runs it: `Err` is the crash.
async fn reconcile_once<K: Declaring>(
    h: &Harness,
    object: K,
) -> Result<Result<Action, Error>, Crash> {
    match tokio::spawn(reconcile(Arc::new(object), Arc::clone(&h.ctx))).await {
        Ok(result) => Ok(result),
        Err(e) if e.is_panic() => match e.into_panic().downcast::<Crash>() {
            Ok(crash) => Err(*crash),
            Err(other) => std::panic::resume_unwind(other),
        },
        Err(e) => panic!("reconcile task: {e}"),
    }
}

/// The object as the API server holds it now.
fn current<K: Declaring>(h: &Harness, ns: &str, name: &str) -> K {
    h.api
        .get::<K>(ns, name)
        .unwrap_or_else(|| panic!("{} {ns}/{name} is gone", K::KIND))
}

fn condition(status: &Value, type_: &str) -> Value {
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .cloned()
        .unwrap_or(Value::Null)
}

fn is_ready<K: Declaring>(object: &K) -> bool {
    let status = serde_json::to_value(object.object_status()).unwrap_or(Value::Null);
    condition(&status, "Ready")["status"] == "True"
}

/// Reconciles the stored object until it is Ready and a reconcile writes nothing to the portal.
async fn converge<K: Declaring>(h: &Harness, ns: &str, name: &str, case: &str) {
    for _ in 0..MAX_ROUNDS {
        let writes = h.portal_writes().len();
        let result = reconcile_once(h, current::<K>(h, ns, name))
            .await
            .unwrap_or_else(|c| panic!("{case}: crashed again: {c}"));
        if let Err(e) = &result {
            panic!("{case}: the reconcile after the restart failed: {e}");
        }
        if is_ready(&current::<K>(h, ns, name)) && h.portal_writes().len() == writes {
            return;
        }
    }
    panic!(
        "{case}: not converged after {MAX_ROUNDS} reconciles (Ready, and a reconcile with no \
         portal write); portal writes: {:?}; status: {:?}",
        h.portal_writes(),
        current::<K>(h, ns, name).object_status()
    );
}

/// Runs a reconcile of the stored object with `point` armed for this namespace only, and
/// asserts it died there.
async fn crash_at<K: Declaring>(h: &Harness, ns: &str, name: &str, point: &str, case: &str) {
    let armed = arm(&format!("{point}:{ns}/")).unwrap_or_else(|e| panic!("{e}"));
    let crashed = reconcile_once(h, current::<K>(h, ns, name)).await;
    drop(armed);
    match crashed {
        Err(crash) => {
            assert_eq!(crash.point, point, "{case}");
            assert!(crash.at.contains(&format!("{ns}/")), "{case}: {crash}");
        }
        Ok(result) => panic!("{case}: the reconcile did not reach the point: {result:?}"),
    }
}

/// How many requests `METHOD route` the sandbox received.
fn sent(h: &Harness, line: &str) -> usize {
    h.portal_writes().iter().filter(|w| *w == line).count()
}

/// The namespace of one case: crash triggers are armed for it alone (tests run at once).
fn namespace(subject: &str, point: &str) -> String {
    format!("crash-{subject}-{}", point.replace('.', "-"))
}

fn moved<K: Resource>(mut object: K, ns: &str) -> K {
    object.meta_mut().namespace = Some(ns.to_owned());
    object
}

/// A Tenant `kenton` in `ns` on `portals`, deleted from the portals with it.
fn kenton(ns: &str, portals: Vec<Portal>) -> Tenant {
    let mut t = moved(tenant("kenton", "Apply", "Delete"), ns);
    t.spec.portals = portals;
    t
}

fn azure_ad(ns: &str) -> ServiceBinding {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-azure-ad", "namespace": ns, "uid": "uid-kenton-azure-ad",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "azureAD": {"mode": "CreateNew"}}
    }))
}

/// What one case reconciles: its object and the one portal object that object declares.
struct Subject {
    /// Short name used in namespaces.
    label: &'static str,
    /// The sandbox route of its create (`POST /v1/...`) and its delete.
    create: &'static str,
    delete: &'static str,
    /// (portal, kind) of its portal object; the externalRef is `namespace/ref_name`.
    portal: &'static str,
    kind: &'static str,
    ref_name: &'static str,
}

const TENANT: Subject = Subject {
    label: "tenant",
    create: "POST /v1/cloudlink/accounts",
    delete: "DELETE /v1/cloudlink/accounts/{id}",
    portal: "cloudlink",
    kind: "accounts",
    ref_name: "kenton",
};
const ADMIN: Subject = Subject {
    label: "admin",
    create: "POST /v1/daas/admins",
    delete: "DELETE /v1/daas/admins/{id}",
    portal: "daas",
    kind: "admins",
    ref_name: "kenton-admin",
};
const BINDING: Subject = Subject {
    label: "binding",
    create: "POST /v1/daas/azure-ad",
    delete: "DELETE /v1/daas/azure-ad/{id}",
    portal: "daas",
    kind: "azure-ad",
    ref_name: "kenton-azure-ad",
};

/// A harness whose cluster holds the subject's objects, with its Tenant already converged
/// (and the stores restarted to see it Ready) when the subject is not the Tenant.
async fn cluster(subject: &Subject, ns: &str) -> Harness {
    match subject.label {
        "tenant" => Harness::start(vec![kenton(ns, vec![Portal::CloudLink])], vec![], vec![]).await,
        _ => {
            let t = kenton(ns, vec![Portal::Daas]);
            let (admins, bindings) = if subject.label == "admin" {
                (vec![moved(admin("kenton-admin", "kenton"), ns)], vec![])
            } else {
                (vec![], vec![azure_ad(ns)])
            };
            let h = Harness::start(vec![t], admins, bindings).await;
            converge::<Tenant>(&h, ns, "kenton", "the tenant").await;
            h.restart()
        }
    }
}

/// Crash at `point` on the apply path, restart, converge, then delete with a crash after the
/// portal delete, restart, and check that the finalizer went with exactly one portal delete.
async fn crash_and_recover<K: Declaring>(subject: &Subject, name: &str, point: &str) {
    let ns = namespace(subject.label, point);
    let case = format!("{} {ns}/{name} at {point}", K::KIND);
    let external_ref = format!("{ns}/{}", subject.ref_name);
    let h = cluster(subject, &ns).await;

    crash_at::<K>(&h, &ns, name, point, &case).await;
    let h = h.restart();
    converge::<K>(&h, &ns, name, &case).await;
    assert_eq!(sent(&h, subject.create), 1, "{case}: one create, ever");
    assert_eq!(
        h.sandbox
            .count_objects(subject.portal, subject.kind, &external_ref)
            .await,
        1,
        "{case}: one portal object"
    );
    let status =
        serde_json::to_value(current::<K>(&h, &ns, name).object_status()).unwrap_or(Value::Null);
    let address = format!("{}/{}/{external_ref}", subject.portal, subject.kind);
    assert!(
        status["externalIds"][&address].is_string(),
        "{case}: {status}"
    );
    if subject.label == "admin" {
        // The generated password was stored once, before the create, and reused after.
        let secrets = format!("POST /api/v1/namespaces/{ns}/secrets");
        assert_eq!(
            h.api.lines().iter().filter(|l| **l == secrets).count(),
            1,
            "{case}"
        );
        assert!(
            h.api
                .secrets()
                .contains_key(&format!("/api/v1/namespaces/{ns}/secrets/{name}-password")),
            "{case}"
        );
    }

    h.api.delete::<K>(&ns, name);
    crash_at::<K>(&h, &ns, name, "cleanup.deleted", &case).await;
    let h = h.restart();
    for _ in 0..MAX_ROUNDS {
        let Some(object) = h.api.get::<K>(&ns, name) else {
            break;
        };
        reconcile_once(&h, object)
            .await
            .unwrap_or_else(|c| panic!("{case}: crashed again: {c}"))
            .unwrap_or_else(|e| panic!("{case}: cleanup after the restart: {e}"));
    }
    assert!(
        h.api.get::<K>(&ns, name).is_none(),
        "{case}: the finalizer was not dropped"
    );
    assert_eq!(sent(&h, subject.delete), 1, "{case}: one delete");
    assert_eq!(
        h.sandbox
            .count_objects(subject.portal, subject.kind, &external_ref)
            .await,
        0,
        "{case}: deleted from the portal"
    );
}

/// Points on the way to a portal write and after it, for every subject.
const APPLY_POINTS: [&str; 4] = [
    "create.sent",
    "apply.step",
    "reconcile.applied",
    "status.patched",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS {
        crash_and_recover::<Tenant>(&TENANT, "kenton", point).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_with_a_generated_password_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS {
        crash_and_recover::<TenantAdmin>(&ADMIN, "kenton-admin", point).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_async_binding_recovers_from_a_crash_at_every_point() {
    for point in APPLY_POINTS.into_iter().chain(["operation.accepted"]) {
        crash_and_recover::<ServiceBinding>(&BINDING, "kenton-azure-ad", point).await;
    }
}
