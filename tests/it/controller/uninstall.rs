//! Removing the CRDs or the controller deletes nothing in any portal (issue 8 item 5).
//!
//! Deleting a CustomResourceDefinition makes Kubernetes delete every object of its kind, which
//! runs the finalizer on each: with deletionPolicy `Delete` that would delete the customers'
//! portal objects. The cleanup asks whether the definition is being deleted first.

use std::sync::Arc;

use tenantry::controller::{Declaring, reconcile};

use super::fixtures::*;

const TENANTS: &str = "/apis/tenantry.dev/v1alpha1/namespaces/customers/tenants";
const BINDINGS: &str = "/apis/tenantry.dev/v1alpha1/namespaces/customers/servicebindings";
const EVENTS: &str = "/apis/events.k8s.io/v1/namespaces/customers/events";
const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

async fn run<K: Declaring>(h: &Harness, object: &K) -> Result<(), tenantry::controller::Error> {
    reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn deleting_the_crds_orphans_every_object_whatever_its_deletion_policy() {
    let mut t = tenant("kenton", "Apply", "Delete");
    t.spec.portals.push(tenantry::api::Portal::Daas);
    let b = citrix_binding("kenton-citrix", "kenton");
    let h = Harness::start(vec![ready(&t)], vec![], vec![b.clone()]).await;
    run(&h, &t).await.expect("create the tenant");
    let t = with_status(&t, &h.api.last_status().expect("tenant status"));
    run(&h, &b).await.expect("create the binding");
    let b = with_status(&b, &h.api.last_status().expect("binding status"));
    let objects = h.sandbox.object_count().await;
    assert!(
        objects >= 3,
        "account, customer and Citrix service: {objects}"
    );
    let requests = h.sandbox.requests().len();

    // `kubectl delete -f crds/`: Kubernetes deletes the binding and the Tenant (the binding
    // still in the store, as it would be while its own finalizer runs).
    h.api.delete_crds();
    h.api.clear();
    run(&h, &deleting(b)).await.expect("binding cleanup");
    run(&h, &deleting(t)).await.expect("tenant cleanup");
    assert_eq!(
        h.api.lines(),
        [
            format!("GET {CRDS}/servicebindings.tenantry.dev"),
            format!("POST {EVENTS}"),
            format!("PATCH {BINDINGS}/kenton-citrix"),
            format!("GET {CRDS}/tenants.tenantry.dev"),
            format!("POST {EVENTS}"),
            format!("PATCH {TENANTS}/kenton"),
        ]
    );
    let calls = h.api.calls();
    for event in [&calls[1], &calls[4]] {
        assert_eq!(event.body["reason"], "Orphaned");
        assert_eq!(event.body["type"], "Warning");
        let note = event.body["note"].as_str().unwrap_or_default();
        assert!(note.contains("CustomResourceDefinition"), "{note}");
        assert!(note.contains("is being deleted"), "{note}");
    }
    for finalizer in [&calls[2], &calls[5]] {
        assert_eq!(finalizer.body[1]["op"], "remove", "the finalizer goes");
    }
    assert_eq!(
        h.sandbox.requests().len(),
        requests,
        "no portal call at all"
    );
    assert_eq!(h.sandbox.object_count().await, objects);
}

#[tokio::test]
async fn an_unreadable_crd_keeps_the_finalizer_and_deletes_nothing() {
    let t = tenant("kenton", "Apply", "Delete");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("create");
    let t = with_status(&t, &h.api.last_status().expect("status"));
    let requests = h.sandbox.requests().len();
    h.api.fail_crd_reads(true);
    h.api.clear();

    let err = run(&h, &deleting(t)).await.expect_err("kept");
    assert_eq!(err.code(), "KubernetesApiError", "{err}");
    assert_eq!(h.api.lines(), [format!("GET {CRDS}/tenants.tenantry.dev")]);
    assert_eq!(h.sandbox.requests().len(), requests, "no portal call");
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        1
    );
}
