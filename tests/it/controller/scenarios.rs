//! Reconcile scenarios: the exact Kubernetes API calls (method, path, body) and portal writes
//! of each, per DESIGN.md §5 and §7.

use std::sync::Arc;

use kube::ResourceExt;
use serde_json::Value;
use tenantry::api::{Tenant, TenantAdmin};
use tenantry::controller::{APPROVE_ANNOTATION, Declaring, Error, reconcile};

use super::fixtures::*;

const TENANTS: &str = "/apis/tenantry.dev/v1alpha1/namespaces/customers/tenants";
const BINDINGS: &str = "/apis/tenantry.dev/v1alpha1/namespaces/customers/servicebindings";
const ADMINS: &str = "/apis/tenantry.dev/v1alpha1/namespaces/customers/tenantadmins";
const EVENTS: &str = "/apis/events.k8s.io/v1/namespaces/customers/events";
const SECRETS: &str = "/api/v1/namespaces/customers/secrets";
const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

async fn run<K: Declaring>(
    h: &Harness,
    object: &K,
) -> Result<kube::runtime::controller::Action, Error> {
    reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx)).await
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn first_reconcile_adds_the_finalizer_then_creates_in_the_portal() {
    let mut fresh = tenant("kenton", "Apply", "Orphan");
    fresh.metadata.finalizers = None;
    let h = Harness::start(vec![fresh.clone()], vec![], vec![]).await;

    run(&h, &fresh).await.expect("finalizer reconcile");
    assert_eq!(h.api.lines(), strs(&[&format!("PATCH {TENANTS}/kenton")]));
    let patch = &h.api.calls()[0].body;
    assert_eq!(patch[1]["op"], "add");
    assert_eq!(patch[1]["value"][0], "tenantry.dev/cleanup");
    assert!(
        h.portal_writes().is_empty(),
        "no portal write before the finalizer"
    );

    h.api.clear();
    let with_finalizer = tenant("kenton", "Apply", "Orphan");
    run(&h, &with_finalizer).await.expect("apply reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("POST {EVENTS}"),
            &format!("PATCH {TENANTS}/kenton/status")
        ])
    );
    let calls = h.api.calls();
    assert_eq!(calls[0].body["reason"], "Created");
    assert!(calls[1].query.contains("fieldManager=tenantry-controller"));
    assert!(calls[1].query.contains("force=true"));
    let status = &calls[1].body["status"];
    assert_eq!(condition(status, "Ready")["status"], "True");
    assert_eq!(condition(status, "Synced")["status"], "True");
    assert_eq!(status["observedGeneration"], 1);
    assert!(status["externalIds"]["cloudlink/accounts/customers/kenton"].is_string());
    assert_eq!(h.portal_writes(), strs(&["POST /v1/cloudlink/accounts"]));
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        1
    );
}

#[tokio::test]
async fn a_stale_cache_never_sends_the_finalizer_patch_twice() {
    let mut fresh = tenant("kenton", "Apply", "Orphan");
    fresh.metadata.finalizers = None;
    fresh.metadata.resource_version = Some("41".to_owned());
    let h = Harness::start(vec![fresh.clone()], vec![], vec![]).await;

    // The first reconcile patches; a second one woken before the watch delivered that patch
    // sees the same (stale) object and waits instead of sending a patch the server refuses.
    run(&h, &fresh).await.expect("finalizer reconcile");
    run(&h, &fresh).await.expect("stale reconcile");
    // The watch delivers the object with its finalizer: the reconcile goes on to the portal.
    let mut updated = tenant("kenton", "Apply", "Orphan");
    updated.metadata.resource_version = Some("42".to_owned());
    run(&h, &updated).await.expect("apply reconcile");
    // A converged resync (of the object as the API server now holds it) writes nothing.
    let current: Tenant = h.api.get(NS, "kenton").expect("the tenant is stored");
    run(&h, &current).await.expect("resync");
    let writes: Vec<String> = h
        .api
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("GET "))
        .collect();
    assert_eq!(
        writes,
        strs(&[
            &format!("PATCH {TENANTS}/kenton"),
            &format!("POST {EVENTS}"),
            &format!("PATCH {TENANTS}/kenton/status"),
        ]),
        "API writes to converge one object: a finalizer patch, an event, a status patch"
    );

    // Someone removes the finalizer by hand (a newer version without it): it is added again.
    h.api.clear();
    let mut stripped = updated.clone();
    stripped.metadata.finalizers = None;
    stripped.metadata.resource_version = Some("43".to_owned());
    run(&h, &stripped).await.expect("finalizer reconcile");
    assert_eq!(h.api.lines(), strs(&[&format!("PATCH {TENANTS}/kenton")]));
}

#[tokio::test]
async fn an_unchanged_object_makes_no_api_write_and_no_portal_write() {
    let t = tenant("kenton", "Apply", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("first reconcile");
    let status = h.api.last_status().expect("a status patch");
    let converged = with_status(&t, &status);
    h.api.clear();
    let writes_before = h.portal_writes().len();

    run(&h, &converged).await.expect("second reconcile");
    assert_eq!(h.api.lines(), Vec::<String>::new(), "no API call at all");
    assert_eq!(h.portal_writes().len(), writes_before, "no portal write");
}

#[tokio::test]
async fn plan_policy_publishes_the_plan_and_writes_nothing() {
    let t = tenant("kenton", "Plan", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("plan reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[&format!("PATCH {TENANTS}/kenton/status")])
    );
    let status = h.api.last_status().expect("status");
    let pending = condition(&status, "PlanPending");
    assert_eq!(pending["status"], "True");
    assert_eq!(pending["reason"], "AwaitingApproval");
    assert!(
        pending["message"]
            .as_str()
            .unwrap_or("")
            .contains("kubectl annotate tenants kenton tenantry.dev/approve=")
    );
    assert_eq!(status["plan"]["create"], 1);
    assert_eq!(status["plan"]["summary"], "+1 ~0 -0 ±0");
    assert!(
        status["plan"]["hash"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
    assert!(
        status["plan"]["diff"]
            .as_str()
            .unwrap_or("")
            .contains("cloudlink/accounts")
    );
    assert!(h.portal_writes().is_empty());
}

#[tokio::test]
async fn an_approval_with_the_current_hash_applies_exactly_that_plan() {
    let t = tenant("kenton", "Plan", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("plan reconcile");
    let status = h.api.last_status().expect("status");
    let hash = status["plan"]["hash"].as_str().expect("hash").to_owned();
    let mut approved = with_status(&t, &status);
    approved
        .annotations_mut()
        .insert(APPROVE_ANNOTATION.to_owned(), hash);
    h.api.clear();

    run(&h, &approved).await.expect("approved reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("POST {EVENTS}"),
            &format!("PATCH {TENANTS}/kenton/status")
        ])
    );
    let status = h.api.last_status().expect("status");
    assert_eq!(condition(&status, "PlanPending")["status"], "False");
    assert_eq!(condition(&status, "Ready")["status"], "True");
    assert!(status.get("plan").is_none());
    assert_eq!(h.portal_writes(), strs(&["POST /v1/cloudlink/accounts"]));
}

#[tokio::test]
async fn a_stale_approval_writes_nothing_and_says_what_changed() {
    let t = tenant("kenton", "Plan", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("plan reconcile");
    let status = h.api.last_status().expect("status");
    let old_hash = status["plan"]["hash"].as_str().expect("hash").to_owned();
    // The spec changes after the review: the approved hash no longer matches.
    let mut changed = with_status(&t, &status);
    changed.spec.business_type = Some("Retail".to_owned());
    changed
        .annotations_mut()
        .insert(APPROVE_ANNOTATION.to_owned(), old_hash.clone());
    h.api.clear();

    run(&h, &changed).await.expect("stale reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[&format!("PATCH {TENANTS}/kenton/status")])
    );
    let status = h.api.last_status().expect("status");
    let pending = condition(&status, "PlanPending");
    assert_eq!(pending["reason"], "ApprovalStale");
    let message = pending["message"].as_str().unwrap_or("");
    assert!(message.contains(&old_hash[..12]), "{message}");
    assert!(message.contains("Nothing was written"), "{message}");
    // What changed: the address and the field whose planned value moved.
    assert!(
        message.contains("other values for cloudlink/accounts/customers/kenton businessType"),
        "{message}"
    );
    assert_ne!(status["plan"]["hash"], Value::String(old_hash));
    assert!(h.portal_writes().is_empty());

    // An approval of a plan that was never published names the plan there is now.
    let mut unknown = with_status(&changed, &status);
    unknown
        .annotations_mut()
        .insert(APPROVE_ANNOTATION.to_owned(), "0000beef".repeat(8));
    h.api.clear();
    run(&h, &unknown).await.expect("stale reconcile");
    let status = h.api.last_status().expect("status");
    let message = condition(&status, "PlanPending")["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        message.contains("matches no published plan")
            && message.contains("+ cloudlink/accounts/customers/kenton"),
        "{message}"
    );
    assert!(h.portal_writes().is_empty());
}

#[tokio::test]
async fn observe_adopts_and_reports_drift_without_writing() {
    // The account exists in the portal with another business type than declared.
    let sandbox = tenantry::sandbox::Sandbox::start(Default::default())
        .await
        .expect("sandbox");
    let apply = tenant("kenton", "Apply", "Orphan");
    let seed = Harness::with_sandbox(sandbox, vec![apply.clone()], vec![], vec![], vec![]);
    run(&seed, &apply).await.expect("seed the portal");
    let writes = seed.portal_writes().len();

    let mut observe = tenant("kenton", "Observe", "Orphan");
    observe.spec.business_type = Some("Retail".to_owned());
    let h = Harness::with_sandbox(seed.sandbox, vec![observe.clone()], vec![], vec![], vec![]);
    run(&h, &observe).await.expect("observe reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[&format!("PATCH {TENANTS}/kenton/status")])
    );
    let status = h.api.last_status().expect("status");
    assert_eq!(condition(&status, "Ready")["reason"], "Drifted");
    assert!(
        status["externalIds"]["cloudlink/accounts/customers/kenton"].is_string(),
        "adopted"
    );
    assert!(
        status["plan"]["changes"][0]
            .as_str()
            .unwrap_or("")
            .contains("businessType")
    );
    assert_eq!(h.portal_writes().len(), writes, "Observe never writes");
}

#[tokio::test]
async fn delete_with_orphan_drops_the_finalizer_without_a_portal_call() {
    let t = tenant("kenton", "Apply", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("create");
    let created = with_status(&t, &h.api.last_status().expect("status"));
    let requests = h.sandbox.requests().len();
    h.api.clear();

    run(&h, &deleting(created)).await.expect("cleanup");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("POST {EVENTS}"),
            &format!("PATCH {TENANTS}/kenton")
        ])
    );
    let calls = h.api.calls();
    assert_eq!(calls[0].body["reason"], "Orphaned");
    assert_eq!(calls[1].body[1]["op"], "remove");
    assert_eq!(
        h.sandbox.requests().len(),
        requests,
        "no portal call at all"
    );
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        1
    );
}

#[tokio::test]
async fn delete_with_delete_removes_the_portal_objects_then_the_finalizer() {
    let t = tenant("kenton", "Apply", "Delete");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("create");
    let created = with_status(&t, &h.api.last_status().expect("status"));
    h.api.clear();

    run(&h, &deleting(created)).await.expect("cleanup");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("GET {CRDS}/tenants.tenantry.dev"),
            &format!("POST {EVENTS}"),
            &format!("PATCH {TENANTS}/kenton")
        ])
    );
    assert_eq!(h.api.calls()[1].body["reason"], "Deleted");
    assert_eq!(
        h.portal_writes(),
        strs(&[
            "POST /v1/cloudlink/accounts",
            "DELETE /v1/cloudlink/accounts/{id}"
        ])
    );
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        0
    );
}

#[tokio::test]
async fn a_tenant_with_dependants_is_not_deleted_from_the_portal() {
    let t = tenant("kenton", "Apply", "Delete");
    let b = citrix_binding("kenton-citrix", "kenton");
    let h = Harness::start(vec![t.clone()], vec![], vec![b]).await;
    run(&h, &t).await.expect("create");
    let created = with_status(&t, &h.api.last_status().expect("status"));
    h.api.clear();

    let err = run(&h, &deleting(created)).await.expect_err("blocked");
    assert_eq!(err.code(), "DeleteBlocked");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("GET {CRDS}/tenants.tenantry.dev"),
            &format!("PATCH {TENANTS}/kenton/status")
        ])
    );
    let status = h.api.last_status().expect("status");
    let blocked = condition(&status, "DeleteBlocked");
    assert_eq!(blocked["reason"], "DependantsExist");
    assert!(
        blocked["message"]
            .as_str()
            .unwrap_or("")
            .contains("ServiceBinding kenton-citrix")
    );
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        1
    );
}

#[tokio::test]
async fn a_portal_that_is_down_blocks_deletion_and_keeps_the_finalizer() {
    let t = tenant("kenton", "Apply", "Delete");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("create");
    let created = with_status(&t, &h.api.last_status().expect("status"));
    h.sandbox.set_faults(tenantry::sandbox::FaultConfig {
        seed: None,
        rules: vec![tenantry::sandbox::FaultRule {
            method: Some("DELETE".to_owned()),
            server_error: 1.0,
            server_error_statuses: vec![503],
            ..Default::default()
        }],
    });
    h.api.clear();

    let err = run(&h, &deleting(created)).await.expect_err("blocked");
    assert_eq!(err.code(), "DeleteBlocked");
    let lines = h.api.lines();
    assert_eq!(
        lines.last(),
        Some(&format!("PATCH {TENANTS}/kenton/status"))
    );
    assert!(
        !lines.contains(&format!("PATCH {TENANTS}/kenton")),
        "finalizer kept"
    );
    let status = h.api.last_status().expect("status");
    let blocked = condition(&status, "DeleteBlocked");
    assert_eq!(blocked["reason"], "PortalUnavailable");
    assert!(
        blocked["message"]
            .as_str()
            .unwrap_or("")
            .contains("deletionPolicy: Orphan")
    );
}

#[tokio::test]
async fn a_binding_waits_for_its_tenant_to_be_ready() {
    let t = tenant("kenton", "Apply", "Orphan");
    let b = citrix_binding("kenton-citrix", "kenton");
    let h = Harness::start(vec![t], vec![], vec![b.clone()]).await;

    run(&h, &b).await.expect("wait");
    assert_eq!(
        h.api.lines(),
        strs(&[&format!("PATCH {BINDINGS}/kenton-citrix/status")])
    );
    let status = h.api.last_status().expect("status");
    let progressing = condition(&status, "Progressing");
    assert_eq!(progressing["status"], "True");
    assert_eq!(progressing["reason"], "AwaitingDependency");
    assert!(
        progressing["message"]
            .as_str()
            .unwrap_or("")
            .contains("Tenant kenton")
    );
    assert_eq!(status["service"], "citrix");
    assert!(
        h.sandbox.requests().is_empty(),
        "no portal call while waiting"
    );
}

#[tokio::test]
async fn a_portal_error_sets_synced_false_with_the_error_code() {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals.push(tenantry::api::Portal::Apps);
    let t: Tenant = ready(&t);
    // A UK number: no 10DLC campaign needed, so only the portal knows the DID is not ours.
    let b = sms_binding("kenton-sms", "kenton", "+447700900123");
    let h = Harness::start(vec![t], vec![], vec![b.clone()]).await;

    let err = run(&h, &b)
        .await
        .expect_err("the portal refuses an unknown DID");
    assert_eq!(err.code(), "DidNotFound", "{err}");
    let lines = h.api.lines();
    assert_eq!(
        lines.last(),
        Some(&format!("PATCH {BINDINGS}/kenton-sms/status"))
    );
    let warnings: Vec<&Value> = h
        .api
        .calls()
        .iter()
        .filter(|c| c.path == EVENTS)
        .map(|c| &c.body["reason"])
        .cloned()
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .collect();
    assert!(
        warnings.contains(&&Value::from("PortalWriteFailed")),
        "{warnings:?}"
    );
    let status = h.api.last_status().expect("status");
    let synced = condition(&status, "Synced");
    assert_eq!(synced["status"], "False");
    assert_eq!(synced["reason"], "DidNotFound");
    assert_eq!(condition(&status, "Ready")["status"], "False");
}

#[tokio::test]
async fn a_generated_password_is_stored_in_an_owned_secret_before_the_portal_create() {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals.push(tenantry::api::Portal::Daas);
    let a: TenantAdmin = admin("kenton-admin", "kenton");
    let h = Harness::start(vec![ready(&t)], vec![a.clone()], vec![]).await;
    run(&h, &t).await.expect("the tenant's DaaS customer");
    let tenant_status = h.api.last_status().expect("tenant status");
    assert!(
        tenant_status["observed"]["customerCode"].is_string(),
        "the portal's generated customer code is reported: {tenant_status}"
    );
    let tenant_writes = h.portal_writes().len();
    h.api.clear();

    run(&h, &a).await.expect("admin reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("GET {SECRETS}/kenton-admin-password"),
            &format!("POST {SECRETS}"),
            &format!("POST {EVENTS}"),
            &format!("PATCH {ADMINS}/kenton-admin/status"),
        ])
    );
    let calls = h.api.calls();
    let secret = &calls[1].body;
    assert_eq!(
        secret["metadata"]["ownerReferences"][0]["kind"],
        "TenantAdmin"
    );
    assert_eq!(secret["metadata"]["ownerReferences"][0]["controller"], true);
    let encoded = secret["data"]["password"].as_str().expect("password");
    let status = h.api.last_status().expect("status");
    assert_eq!(status["generatedSecret"], "kenton-admin-password");
    assert_eq!(status["observed"]["upn"], "jroe@kenton-electronics.com");
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status}");
    // The password is in the Secret only: in no other call (status, events).
    for call in &calls[2..] {
        assert!(!call.body.to_string().contains(encoded));
    }
    assert_eq!(
        h.portal_writes()[tenant_writes..],
        strs(&["POST /v1/daas/admins"])[..]
    );
}

#[tokio::test]
async fn a_validation_problem_sets_synced_false_without_a_portal_call() {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals.push(tenantry::api::Portal::Apps);
    let t: Tenant = ready(&t);
    // A US number without a registered 10DLC campaign: SMS from it is not delivered.
    let b = sms_binding("kenton-sms", "kenton", "+15555550199");
    let h = Harness::start(vec![t], vec![], vec![b.clone()]).await;

    let err = run(&h, &b).await.expect_err("invalid");
    assert_eq!(err.code(), "InvalidSpec");
    assert_eq!(
        h.api.lines(),
        strs(&[&format!("PATCH {BINDINGS}/kenton-sms/status")])
    );
    let status = h.api.last_status().expect("status");
    let synced = condition(&status, "Synced");
    assert_eq!(synced["status"], "False");
    assert_eq!(synced["reason"], "InvalidSpec");
    assert!(
        synced["message"]
            .as_str()
            .unwrap_or("")
            .contains("spec.sms"),
        "{synced}"
    );
    assert!(h.sandbox.requests().is_empty(), "no portal call");
}

#[tokio::test]
async fn a_lost_status_write_after_a_create_never_makes_a_duplicate() {
    // DESIGN.md §7: the create reached the portal, the status write did not (a crash, an API
    // outage). The next reconcile finds the object by externalRef instead of creating again.
    let t = tenant("kenton", "Apply", "Delete");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    h.api.fail_status_patches(true);
    let err = run(&h, &t).await.expect_err("the status write fails");
    assert_eq!(err.code(), "KubernetesApiError");
    assert_eq!(h.portal_writes(), strs(&["POST /v1/cloudlink/accounts"]));

    h.api.fail_status_patches(false);
    h.api.clear();
    run(&h, &t).await.expect("the retry");
    assert_eq!(
        h.portal_writes(),
        strs(&["POST /v1/cloudlink/accounts"]),
        "no second create"
    );
    let status = h.api.last_status().expect("status");
    assert_eq!(condition(&status, "Ready")["status"], "True");
    assert!(status["externalIds"]["cloudlink/accounts/customers/kenton"].is_string());

    // Deleting an object whose status was never written still asks the portal.
    let mut never_recorded = t.clone();
    never_recorded.status = None;
    h.api.clear();
    run(&h, &deleting(never_recorded)).await.expect("cleanup");
    assert_eq!(
        h.sandbox
            .count_objects("cloudlink", "accounts", "customers/kenton")
            .await,
        0
    );
}

#[tokio::test]
async fn an_operation_awaiting_consent_shows_as_progressing_and_is_polled() {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals.push(tenantry::api::Portal::TeamMate);
    let t: Tenant = ready(&t);
    let b: tenantry::api::ServiceBinding = from_json(serde_json::json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-teams", "namespace": NS, "uid": "uid-kenton-teams",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"},
                 "teamsConnector": {"adminEmail": "globaladmin@kenton-electronics.com",
                                    "sbcRegions": ["UsEast"], "services": ["Trunk"]}}
    }));
    let h = Harness::start(vec![t], vec![], vec![b.clone()]).await;

    let action = run(&h, &b).await.expect("reconcile");
    assert_eq!(
        h.api.lines(),
        strs(&[
            &format!("POST {EVENTS}"),
            &format!("PATCH {BINDINGS}/kenton-teams/status")
        ])
    );
    let status = h.api.last_status().expect("status");
    let progressing = condition(&status, "Progressing");
    assert_eq!(progressing["status"], "True");
    assert_eq!(progressing["reason"], "AwaitingConsent");
    assert!(
        progressing["message"]
            .as_str()
            .unwrap_or("")
            .contains("Global Admin")
    );
    assert_eq!(condition(&status, "Ready")["status"], "False");
    assert_eq!(condition(&status, "Synced")["status"], "True");
    assert!(
        status["observed"]["invitationState"].is_string(),
        "{status}"
    );
    // Polled, not left to the resync.
    assert_eq!(
        action,
        kube::runtime::controller::Action::requeue(std::time::Duration::from_secs(60))
    );
    assert_eq!(h.portal_writes(), strs(&["POST /v1/teammate/enterprises"]));
}

#[tokio::test]
async fn an_object_that_never_reached_the_portal_is_deleted_without_a_portal_call() {
    // A Plan-policy Tenant whose plan was never approved: Synced, no external id.
    let t = tenant("kenton", "Plan", "Delete");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    run(&h, &t).await.expect("plan");
    let planned = with_status(&t, &h.api.last_status().expect("status"));
    let requests = h.sandbox.requests().len();
    h.api.clear();

    run(&h, &deleting(planned)).await.expect("cleanup");
    assert_eq!(h.api.lines(), strs(&[&format!("PATCH {TENANTS}/kenton")]));
    assert_eq!(h.api.calls()[0].body[1]["op"], "remove");
    assert_eq!(h.sandbox.requests().len(), requests, "no portal call");
}

#[tokio::test]
async fn a_connection_that_does_not_serve_the_portal_is_reported() {
    let sandbox = tenantry::sandbox::Sandbox::start(Default::default())
        .await
        .expect("sandbox");
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portal_connection_ref = Some(tenantry::api::LocalRef {
        name: "eu".to_owned(),
    });
    let eu: tenantry::api::PortalConnection = from_json(serde_json::json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "eu"},
        "spec": {"url": sandbox.url(), "portals": ["daas"]}
    }));
    let h = Harness::with_sandbox(sandbox, vec![t.clone()], vec![], vec![], vec![eu]);

    let err = run(&h, &t).await.expect_err("not served");
    assert_eq!(err.code(), "PortalNotServed");
    let status = h.api.last_status().expect("status");
    let synced = condition(&status, "Synced");
    assert_eq!(synced["reason"], "PortalNotServed");
    assert!(
        synced["message"]
            .as_str()
            .unwrap_or("")
            .contains("cloudlink")
    );
    assert!(h.sandbox.requests().is_empty(), "no portal call");
}

#[tokio::test]
async fn a_portal_error_that_echoes_the_password_never_shows_it() {
    // Two customers share a domain; the second `jroe` is refused (409 UpnInUse), and the
    // sandbox is told to echo the request's secrets into the error.
    let mut first = tenant("kenton", "Apply", "Orphan");
    first.spec.portals = vec![tenantry::api::Portal::Daas];
    let mut second = tenant("kenton-labs", "Apply", "Orphan");
    second.spec.portals = vec![tenantry::api::Portal::Daas];
    let a1 = admin("kenton-admin", "kenton");
    let a2 = admin("labs-admin", "kenton-labs");
    let h = Harness::start(
        vec![ready(&first), ready(&second)],
        vec![a1.clone(), a2.clone()],
        vec![],
    )
    .await;
    run(&h, &first).await.expect("first customer");
    run(&h, &second).await.expect("second customer");
    run(&h, &a1).await.expect("first admin");
    h.sandbox.set_faults(tenantry::sandbox::FaultConfig {
        seed: None,
        rules: vec![tenantry::sandbox::FaultRule {
            echo_secrets: true,
            ..Default::default()
        }],
    });
    h.api.clear();

    let err = run(&h, &a2).await.expect_err("the UPN is taken");
    assert_eq!(err.code(), "UpnInUse", "{err}");
    let secret = &h.api.calls()[1].body;
    assert_eq!(secret["metadata"]["name"], "labs-admin-password");
    let password: k8s_openapi::ByteString =
        serde_json::from_value(secret["data"]["password"].clone()).expect("password");
    let password = String::from_utf8(password.0).expect("utf-8");
    assert!(!err.to_string().contains(&password), "error: {err}");
    assert!(
        err.to_string().contains("(sensitive)"),
        "echoed and scrubbed: {err}"
    );
    for call in &h.api.calls()[2..] {
        assert!(
            !call.body.to_string().contains(&password),
            "{} {} carries the password",
            call.method,
            call.path
        );
    }
    let status = h.api.last_status().expect("status");
    assert_eq!(condition(&status, "Synced")["reason"], "UpnInUse");
}
