//! GDAP (issue 15): before tenantry acts inside a customer's Microsoft tenant (the Graph
//! admins), the partner's granular delegated admin relationship with that tenant must be
//! active. Through the binary: the examples' Azure AD tenants go to the Partner Center
//! emulator (which makes the tenant ids), the relationships and admins to the Graph emulator,
//! the rest to the contract. The customer's Global Administrator is played by
//! `/sandbox/graph/relationships/{id}/approve`.

use std::path::Path;

use serde_json::{Value, json};

use super::partnercenter::{Vendor, partner_connection, vendor};
use super::{calls, control, run, spec_check};
use crate::canary::canary;
use crate::seam::{secret_manifest, write};
use crate::support::examples_copy;

pub(super) const APPLY: [&str; 4] = ["apply", "-f", "examples/", "--auto-approve"];
pub(super) const PLAN: [&str; 3] = ["plan", "-f", "examples/"];
const RELATIONSHIPS: &str = "/tenantRelationships/delegatedAdminRelationships";
const LINK: &str =
    "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/";
/// Meridian Dental's existing Microsoft tenant (examples: ConnectExisting).
const MERIDIAN_TENANT: &str = "3f2b9c1e-5d4a-4e8b-9a7c-0d1e2f3a4b5c";
/// User Administrator and Privileged Role Administrator: the least the admin step needs.
const ROLES: [&str; 2] = [
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
];

/// `default` (contract) delegating to the example Partner Center and Graph connections, both
/// pointed at the sandbox; Kenton's admins in one tenant.
fn connect(dir: &Path, v: &Vendor) {
    connect_with(dir, v, true);
}

/// [`connect`], with or without the Graph delegate (without: the contract serves GDAP).
pub(super) fn connect_with(dir: &Path, v: &Vendor, with_graph: bool) {
    let graph = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connections/graph.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .replace(
        "https://graph.microsoft.com",
        &format!("{}/graph", v.sb.url()),
    )
    .replace("https://login.microsoftonline.com", &v.sb.url())
    .replace("example-client-secret-0000", &canary("GraphClient"));
    let (delegates, graph) = if with_graph {
        ("{name: partnercenter}, {name: graph}", graph)
    } else {
        ("{name: partnercenter}", String::new())
    };
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  delegates: [{delegates}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{}\n---\n{graph}",
        v.sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &canary("Token")),
        partner_connection(v),
    );
    write(&dir.join("connection.yaml"), &text);
}

/// Meridian's tenant, already a customer of the partner (ConnectExisting adopts it), and the
/// emulator's activation at once unless a test says otherwise.
pub(super) async fn setup(v: &Vendor, activation_ms: i64) {
    control(
        &v.sb,
        "/sandbox/pc/customers",
        &json!({"tenantId": MERIDIAN_TENANT, "domain": "meridiandental.onmicrosoft.com",
                "companyName": "Meridian Dental Group", "email": "it@meridian-dental.example"}),
    )
    .await;
    let answer = crate::sandbox::Client::new(&v.sb)
        .put(
            "/sandbox/graph/settings",
            &json!({"gdapActivationMs": activation_ms}),
        )
        .await;
    assert!(answer.status.is_success(), "{:#}", answer.body);
}

async fn relationships(v: &Vendor) -> Vec<Value> {
    let answer = crate::sandbox::Client::new(&v.sb)
        .get("/sandbox/graph/relationships")
        .await;
    answer.body["value"].as_array().cloned().unwrap_or_default()
}

/// The live relationship of the Tenant `name`.
async fn relationship(v: &Vendor, name: &str) -> Value {
    let display = format!("tenantry:customers/{name}");
    relationships(v)
        .await
        .into_iter()
        .filter(|r| r["displayName"] == display.as_str())
        .find(|r| r["status"] != "expired")
        .unwrap_or_else(|| panic!("no relationship {display}"))
}

async fn approve(v: &Vendor, id: &str) {
    control(
        &v.sb,
        &format!("/sandbox/graph/relationships/{id}/approve"),
        &json!({}),
    )
    .await;
}

/// Kenton's new tenant id, as Partner Center made it.
async fn kenton_tenant(v: &Vendor) -> String {
    let state = crate::sandbox::Client::new(&v.sb)
        .get("/sandbox/pc/state")
        .await
        .body;
    state["customers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["companyProfile"]["domain"] == "kentonelectronics.onmicrosoft.com")
        .and_then(|c| c["id"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no Kenton customer: {state:#}"))
}

fn users_created(v: &Vendor) -> usize {
    calls(&v.sb, "graph", "POST", "/users").len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relationship_is_locked_for_approval_and_the_admins_wait_until_it_is_active() {
    let v = vendor().await;
    setup(&v, 0).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let first = run(tmp.path(), &APPLY, 0).await;

    // One relationship per Tenant with Azure AD, with the tenant Partner Center made or
    // adopted, the least roles, two years, then locked for approval.
    let posted = calls(&v.sb, "graph", "POST", RELATIONSHIPS);
    assert_eq!(posted.len(), 2, "{posted:#?}");
    let kenton = kenton_tenant(&v).await;
    let tenants: Vec<&Value> = posted
        .iter()
        .map(|r| &r.body["customer"]["tenantId"])
        .collect();
    assert!(tenants.contains(&&json!(kenton)), "{tenants:?}");
    assert!(tenants.contains(&&json!(MERIDIAN_TENANT)), "{tenants:?}");
    let body = &posted[0].body;
    assert_eq!(body["duration"], "P730D");
    assert_eq!(
        body["accessDetails"]["unifiedRoles"],
        json!([{"roleDefinitionId": ROLES[0]}, {"roleDefinitionId": ROLES[1]}])
    );
    let locks = calls(
        &v.sb,
        "graph",
        "POST",
        &format!("{RELATIONSHIPS}/{{delegatedAdminRelationship-id}}/requests"),
    );
    assert_eq!(locks.len(), 2, "{locks:#?}");
    assert!(
        locks
            .iter()
            .all(|r| r.body == json!({"action": "lockForApproval"}))
    );

    // Waiting for the customer, with the link to send, and no admin yet: no failure.
    let rel = relationship(&v, "kenton-electronics").await;
    let id = rel["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(rel["status"], "approvalPending");
    assert!(
        first.stdout.contains("AwaitingCustomerApproval"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains(&format!("{LINK}{id}")),
        "{}",
        first.stdout
    );
    assert_eq!(users_created(&v), 0, "nothing inside a tenant without GDAP");
    let plan = run(tmp.path(), &PLAN, 2).await;
    assert!(
        plan.stdout.contains(&format!("{LINK}{id}")),
        "{}",
        plan.stdout
    );
    let waiting = run(tmp.path(), &APPLY, 0).await;
    assert_eq!(
        calls(&v.sb, "graph", "POST", RELATIONSHIPS).len(),
        2,
        "not asked twice"
    );
    assert!(
        waiting.stdout.contains("AwaitingCustomerApproval"),
        "{}",
        waiting.stdout
    );

    // Kenton's Global Administrator approves: its two admins are created, Meridian's waits.
    approve(&v, &id).await;
    run(tmp.path(), &APPLY, 0).await;
    assert_eq!(
        relationship(&v, "kenton-electronics").await["status"],
        "active"
    );
    assert_eq!(users_created(&v), 2);
    let meridian = relationship(&v, "meridian-dental").await;
    approve(&v, meridian["id"].as_str().unwrap_or_default()).await;
    run(tmp.path(), &APPLY, 0).await;
    assert_eq!(users_created(&v), 3);

    // Converged: the second plan is empty.
    let again = run(tmp.path(), &PLAN, 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // Every request to Graph agrees with Graph's description.
    let doc: serde_yaml::Value =
        serde_yaml::from_str(include_str!("specs/graph-v1.0-admins.openapi.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut problems = Vec::new();
    for req in v.sb.wire_requests("graph") {
        match spec_check::problems(&doc, &req) {
            Some(p) => problems.extend(p),
            None => panic!("{} {} is not in Graph's description", req.method, req.path),
        }
        problems.extend(spec_check::unknown_properties(&doc, &req));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_relationship_is_activated_asynchronously_and_the_admins_wait_for_it() {
    let v = vendor().await;
    // Activation takes an hour: approved, then activating.
    setup(&v, 3_600_000).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    run(tmp.path(), &APPLY, 0).await;
    for r in relationships(&v).await {
        approve(&v, r["id"].as_str().unwrap_or_default()).await;
    }
    let apply = run(tmp.path(), &APPLY, 0).await;
    assert_eq!(
        relationship(&v, "kenton-electronics").await["status"],
        "approved"
    );
    assert!(apply.stdout.contains("Provisioning"), "{}", apply.stdout);
    assert_eq!(users_created(&v), 0, "not before it is active");
    // Activation done: the admins follow.
    let answer = crate::sandbox::Client::new(&v.sb)
        .put("/sandbox/graph/settings", &json!({"gdapActivationMs": 0}))
        .await;
    assert!(answer.status.is_success());
    run(tmp.path(), &APPLY, 0).await;
    assert_eq!(users_created(&v), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_active_relationship_made_by_hand_is_adopted_not_duplicated() {
    let v = vendor().await;
    setup(&v, 0).await;
    // Meridian's relationship exists already, made in Partner Center with tenantry's name.
    control(
        &v.sb,
        "/sandbox/graph/relationships",
        &json!({"displayName": "tenantry:customers/meridian-dental",
                "customerTenantId": MERIDIAN_TENANT, "roles": ROLES}),
    )
    .await;
    // The customers exist (Partner Center) before tenantry speaks Graph.
    let (tmp, dir) = examples_copy();
    connect_with(&dir, &v, false);
    run(tmp.path(), &APPLY, 0).await;
    assert!(v.sb.wire_requests("graph").is_empty());
    connect(&dir, &v);
    run(tmp.path(), &APPLY, 0).await;
    let posted = calls(&v.sb, "graph", "POST", RELATIONSHIPS);
    assert_eq!(posted.len(), 1, "only Kenton's is asked for: {posted:#?}");
    assert_ne!(posted[0].body["customer"]["tenantId"], MERIDIAN_TENANT);
    // Meridian's admin is created at once, inside the adopted relationship.
    let created = calls(&v.sb, "graph", "POST", "/users");
    assert_eq!(created.len(), 1, "{created:#?}");
    assert_eq!(
        created[0].body["userPrincipalName"],
        "sokafor@meridian-dental.example"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_request_is_a_clear_condition_and_the_next_apply_asks_again() {
    let v = vendor().await;
    setup(&v, 0).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    run(tmp.path(), &APPLY, 0).await;
    let old = relationship(&v, "kenton-electronics").await;
    let old_id = old["id"].as_str().unwrap_or_default().to_owned();
    // 90 days pass without the customer's approval.
    control(
        &v.sb,
        &format!("/sandbox/graph/relationships/{old_id}/expire"),
        &json!({}),
    )
    .await;
    let plan = run(tmp.path(), &PLAN, 2).await;
    for needle in [
        "GdapExpired",
        "did not approve it within 90 days",
        "run apply again",
    ] {
        assert!(plan.stdout.contains(needle), "{needle:?}: {}", plan.stdout);
    }
    let apply = run(tmp.path(), &APPLY, 0).await;
    let new = relationship(&v, "kenton-electronics").await;
    let new_id = new["id"].as_str().unwrap_or_default();
    assert_ne!(new_id, old_id, "a new request");
    assert_eq!(new["status"], "approvalPending");
    assert!(
        apply.stdout.contains(&format!("{LINK}{new_id}")),
        "{}",
        apply.stdout
    );
    approve(&v, new_id).await;
    run(tmp.path(), &APPLY, 0).await;
    assert_eq!(users_created(&v), 2);
}
