//! The Microsoft Graph adapter against the sandbox's Graph emulator (`/graph/v1.0`), through
//! the binary: the examples' TenantAdmins (`daas/admins`) go to a `graph` connection (the
//! checked-in example, pointed at the emulator), everything else to the contract. Each admin
//! is a user of the customer tenant its `upnDomain` names, with a token for that tenant.

use std::path::Path;

use serde_json::{Value, json};
use tenantry::sandbox::{Sandbox, SandboxConfig};

use super::{calls, run, spec_check};
use crate::canary::canary;
use crate::seam::{secret_manifest, write};
use crate::support::{
    Run, action_lines, edit, example_secrets, examples_copy, sandbox, tenantry_in,
};

const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

struct Vendor {
    sb: Sandbox,
    client_secret: String,
}

/// A sandbox whose identity endpoint knows the Graph app (tokens outlive the run).
async fn vendor() -> Vendor {
    let client_secret = canary("GraphClient");
    let sb = sandbox(
        SandboxConfig::default()
            .with_oauth_client(
                "00000000-0000-4000-8000-000000000000",
                client_secret.as_str(),
            )
            .with_token_lifetime(std::time::Duration::from_secs(3600 * 10_000)),
    )
    .await;
    let v = Vendor { sb, client_secret };
    super::customers_approve_gdap_at_once(&v.sb).await;
    v
}

/// The examples with `default` (contract) delegating daas/admins to the example Graph
/// connection, its URLs and Secret value replaced with the emulator's. Both Kenton admins
/// are put in one tenant, so its list pages.
fn connect(dir: &Path, v: &Vendor) {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connections/graph.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let graph = example
        .replace(
            "https://graph.microsoft.com",
            &format!("{}/graph", v.sb.url()),
        )
        .replace("https://login.microsoftonline.com", &v.sb.url())
        .replace("example-client-secret-0000", &v.client_secret);
    let token = canary("Token");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  delegates: [{{name: graph}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{graph}",
        v.sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
    );
    write(&dir.join("connection.yaml"), &text);
    edit(
        &dir.join("customers/kenton-electronics/admins.yaml"),
        "upnDomain: kenton-labs.example",
        "upnDomain: kenton-electronics.example",
    );
}

/// Statuses the sandbox answered on routes starting with `route`, in order.
fn statuses(v: &Vendor, method: &str, route: &str) -> Vec<u16> {
    v.sb.requests()
        .into_iter()
        .filter(|r| r.method == method && r.route.starts_with(route))
        .filter_map(|r| r.status)
        .collect()
}

async fn control(v: &Vendor, method: &str, path: &str, body: &Value) -> Value {
    let client = crate::sandbox::Client::new(&v.sb);
    let answer = match method {
        "PUT" => client.put(path, body).await,
        "GET" => client.get(path).await,
        _ => client.post(path, body).await,
    };
    assert!(
        answer.status.is_success(),
        "{path}: {} {:#}",
        answer.status,
        answer.body
    );
    answer.body
}

async fn tenant_state(v: &Vendor, tenant: &str) -> Value {
    control(
        v,
        "GET",
        &format!("/sandbox/graph/tenants/{tenant}"),
        &json!({}),
    )
    .await
}

fn no_secret(v: &Vendor, runs: &[&Run], extra: &[&str]) {
    let mut secrets = example_secrets();
    secrets.push(v.client_secret.clone());
    secrets.extend(extra.iter().map(|s| (*s).to_owned()));
    for run in runs {
        for s in &secrets {
            assert!(
                !run.all().contains(s.as_str()),
                "a secret leaked: {}",
                run.all()
            );
        }
    }
    for req in v.sb.wire_requests("graph") {
        let text = req.body.to_string();
        assert!(
            secrets.iter().all(|s| !text.contains(s.as_str())),
            "the wire log holds a secret: {text}"
        );
    }
}

fn user<'a>(state: &'a Value, upn: &str) -> &'a Value {
    state["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["userPrincipalName"] == upn))
        .unwrap_or_else(|| panic!("{upn} not in {state:#}"))
}

fn roles_of(state: &Value, user: &Value) -> Vec<String> {
    state["roleAssignments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["principalId"] == user["id"])
        .filter_map(|a| a["roleDefinitionId"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_are_created_in_their_tenants_converge_and_one_edit_is_one_patch() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    control(
        &v,
        "PUT",
        "/sandbox/graph/settings",
        &json!({"pageSize": 1}),
    )
    .await;
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    assert!(plan.stdout.contains("+ daas/admins"), "{}", plan.stdout);
    let apply = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;

    // Three users, each created in its own tenant with that tenant's token.
    let created = calls(&v.sb, "graph", "POST", "/users");
    assert_eq!(created.len(), 3, "{created:#?}");
    // Each user is in the directory of the tenant its token was issued for (the emulator
    // scopes every call by the token's tenant).
    let kenton = tenant_state(&v, "kenton-electronics.example").await;
    let jroe = user(&kenton, "jroe@kenton-electronics.example");
    assert_eq!(jroe["givenName"], "Jane");
    assert_eq!(jroe["otherMails"], json!(["jane.roe.home@example.net"]));
    assert_eq!(
        jroe["onPremisesExtensionAttributes"]["extensionAttribute1"],
        "tenantry:customers/jroe"
    );
    assert_eq!(roles_of(&kenton, jroe), vec![GLOBAL_ADMIN.to_owned()]);
    let mchen = user(&kenton, "marcus.chen@kenton-electronics.example");
    assert_eq!(roles_of(&kenton, mchen), vec![USER_ADMIN.to_owned()]);
    let jroe_body = created
        .iter()
        .find(|r| r.body["userPrincipalName"] == "jroe@kenton-electronics.example")
        .unwrap_or_else(|| panic!("{created:#?}"));
    assert_eq!(
        jroe_body.body["passwordProfile"],
        json!({"password": "(redacted)", "forceChangePasswordNextSignIn": true}),
        "the password is sent (the wire log hides it) with change-at-next-logon"
    );
    let meridian = tenant_state(&v, "meridian-dental.example").await;
    assert_eq!(
        meridian["users"].as_array().map(Vec::len),
        Some(1),
        "users are scoped per tenant: {meridian:#}"
    );

    // Converged: the second plan is empty; the Kenton tenant's list took two pages.
    let again = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let lists = calls(&v.sb, "graph", "GET", "/users");
    assert!(
        lists
            .iter()
            .any(|r| r.query.iter().any(|q| q == "$skiptoken")),
        "followed @odata.nextLink: {lists:#?}"
    );
    assert!(
        lists
            .iter()
            .all(|r| r.headers.iter().any(|h| h == "consistencylevel")),
        "the extension-attribute filter is an advanced query"
    );

    // One edited field is one update: a PATCH of that property alone.
    edit(
        &dir.join("customers/kenton-electronics/admins.yaml"),
        "phone: \"+15555550188\"",
        "phone: \"+15555550199\"",
    );
    let plan2 = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    let actions = action_lines(&plan2.stdout);
    assert_eq!(actions.len(), 1, "{}", plan2.stdout);
    assert!(actions[0].starts_with("~ daas/admins"), "{actions:?}");
    let update = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let patches = calls(&v.sb, "graph", "PATCH", "/users/{user-id}");
    assert_eq!(patches.len(), 1, "{patches:#?}");
    assert_eq!(patches[0].body, json!({"mobilePhone": "+15555550199"}));
    let last = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
    no_secret(&v, &[&plan, &apply, &again, &plan2, &update, &last], &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_made_by_hand_is_adopted_not_duplicated() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    // A person made Jane Roe in the Entra admin center: same UPN, no tenantry reference.
    control(
        &v,
        "POST",
        "/sandbox/graph/users",
        &json!({"tenant": "kenton-electronics.example", "user": {
            "accountEnabled": true, "displayName": "Jane R.", "mailNickname": "jroe",
            "userPrincipalName": "jroe@kenton-electronics.example"}}),
    )
    .await;
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    // The create met the duplicate UPN (400) and adopted the user instead.
    assert!(
        statuses(&v, "POST", "/graph/v1.0/users").contains(&400),
        "the duplicate UPN was met"
    );
    let kenton = tenant_state(&v, "kenton-electronics.example").await;
    let janes: Vec<&Value> = kenton["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["userPrincipalName"] == "jroe@kenton-electronics.example")
        .collect();
    assert_eq!(janes.len(), 1, "adopted, not duplicated: {kenton:#}");
    assert_eq!(
        janes[0]["displayName"], "Jane Roe",
        "the declared spec applied"
    );
    assert_eq!(
        janes[0]["onPremisesExtensionAttributes"]["extensionAttribute1"],
        "tenantry:customers/jroe"
    );
    assert_eq!(roles_of(&kenton, janes[0]), vec![GLOBAL_ADMIN.to_owned()]);
    let again = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn replication_lag_and_throttling_are_waited_out() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    // New users and role assignments stay invisible for a while; the next Graph calls are
    // throttled (429, Retry-After, x-ms-throttle-*).
    control(
        &v,
        "PUT",
        "/sandbox/graph/settings",
        &json!({"lagMs": 400, "roleLagMs": 400}),
    )
    .await;
    control(
        &v,
        "POST",
        "/sandbox/graph/throttle",
        &json!({"requests": 2, "retryAfterSeconds": 0}),
    )
    .await;
    let apply = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let graph_statuses: Vec<u16> =
        v.sb.requests()
            .into_iter()
            .filter(|r| r.route.starts_with("/graph/"))
            .filter_map(|r| r.status)
            .collect();
    assert_eq!(
        graph_statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{graph_statuses:?}"
    );
    let roles = statuses(&v, "POST", "/graph/v1.0/roleManagement");
    assert!(
        roles.contains(&404) && roles.iter().filter(|s| **s == 201).count() == 3,
        "the role assignment waited for the new user: {roles:?}"
    );
    let kenton = tenant_state(&v, "kenton-electronics.example").await;
    let jroe = user(&kenton, "jroe@kenton-electronics.example");
    assert_eq!(roles_of(&kenton, jroe), vec![GLOBAL_ADMIN.to_owned()]);
    control(
        &v,
        "PUT",
        "/sandbox/graph/settings",
        &json!({"lagMs": 0, "roleLagMs": 0}),
    )
    .await;
    let again = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    no_secret(&v, &[&apply, &again], &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_entra_refuses_names_the_secret_not_the_value() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    // tenantry's DaaS rule (2 of 3 classes: digits, symbols) accepts it; Entra's (3 of 4)
    // does not.
    let weak = "2026-4417-9981!";
    let secrets = dir.join("customers/meridian-dental/secrets.yaml");
    let text = std::fs::read_to_string(&secrets).unwrap_or_else(|e| panic!("{e}"));
    let old = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("{text}"))
        .to_owned();
    edit(&secrets, &old, &format!("\"{weak}\""));
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_ne!(apply.code, 0, "{}", apply.all());
    for needle in ["PasswordPolicy", "spec.passwordSecretRef", "3 of"] {
        assert!(apply.all().contains(needle), "{needle:?}: {}", apply.all());
    }
    assert!(!apply.all().contains(weak), "{}", apply.all());
    no_secret(&v, &[&apply], &[weak]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_the_adapter_sent_agrees_with_graphs_description() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    control(
        &v,
        "PUT",
        "/sandbox/graph/settings",
        &json!({"pageSize": 1}),
    )
    .await;
    control(
        &v,
        "POST",
        "/sandbox/graph/users",
        &json!({"tenant": "meridian-dental.example", "user": {
            "accountEnabled": true, "displayName": "Sam", "mailNickname": "sokafor",
            "userPrincipalName": "sokafor@meridian-dental.example"}}),
    )
    .await;
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    edit(
        &dir.join("customers/kenton-electronics/admins.yaml"),
        "role: DaaSPartnerManager",
        "role: DaaSPartnerAdmin",
    );
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    let doc: serde_yaml::Value =
        serde_yaml::from_str(include_str!("specs/graph-v1.0-admins.openapi.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for req in v.sb.wire_requests("graph") {
        match spec_check::problems(&doc, &req) {
            Some(p) => problems.extend(p),
            None => panic!("{} {} is not in Graph's description", req.method, req.path),
        }
        problems.extend(spec_check::unknown_properties(&doc, &req));
        seen.insert(format!("{} {}", req.method, req.path));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    for op in [
        "POST /users",
        "GET /users",
        "GET /users/{user-id}",
        "PATCH /users/{user-id}",
        "POST /roleManagement/directory/roleAssignments",
        "GET /roleManagement/directory/roleAssignments",
        "DELETE /roleManagement/directory/roleAssignments/{unifiedRoleAssignment-id}",
    ] {
        assert!(seen.contains(op), "{op} not exercised: {seen:?}");
    }
    // The role change: Global Administrator added, User Administrator removed.
    let kenton = tenant_state(&v, "kenton-electronics.example").await;
    let mchen = user(&kenton, "marcus.chen@kenton-electronics.example");
    assert_eq!(roles_of(&kenton, mchen), vec![GLOBAL_ADMIN.to_owned()]);
}

/// The controller's pipeline: a TenantAdmin reconciled through the built-in providers, its
/// customer on the contract and its user on the Graph emulator; converged, then deleted per
/// its deletion policy.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_creates_converges_and_deletes_the_user() {
    use std::sync::Arc;
    use tenantry::api::{Declared, PortalConnection, SecretKey, Sensitive, Tenant, TenantAdmin};
    use tenantry::controller::reconcile;

    use crate::controller::fixtures::{
        Harness, NS, deleting, from_json, ready, tenant, with_status,
    };

    let v = vendor().await;
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals = vec![tenantry::api::Portal::Daas];
    let t: Tenant = ready(&t);
    let password = canary("AdminPassword");
    let a: TenantAdmin = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "TenantAdmin",
        "metadata": {"name": "jroe", "namespace": NS, "uid": "uid-jroe", "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "firstName": "Jane", "lastName": "Roe",
                 "upnDomain": "kenton-electronics.com", "externalEmail": "jane.roe@example.net",
                 "deletionPolicy": "Delete",
                 "passwordSecretRef": {"name": "kenton-admin", "key": "password"}}
    }));
    let url = v.sb.url();
    let connections: Vec<PortalConnection> = vec![
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "default", "generation": 1},
            "spec": {"url": url, "delegates": [{"name": "graph"}],
                     "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}}
        })),
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "graph", "generation": 1},
            "spec": {"api": "graph", "url": format!("{url}/graph/v1.0"), "portals": ["daas"],
                     "auth": {"clientCredentials": {
                        "tokenUrl": format!("{url}/{{tenant}}/oauth2/v2.0/token"),
                        "clientId": "00000000-0000-4000-8000-000000000000",
                        "clientSecretRef": {"namespace": "tenantry-system", "name": "graph", "key": "clientSecret"},
                        "scope": "https://graph.microsoft.com/.default"}}}
        })),
    ];
    let client_secret = v.client_secret.clone();
    let h = Harness::with_providers_and_admins(
        v.sb,
        vec![t.clone()],
        vec![a.clone()],
        Vec::new(),
        connections,
    );
    let mut declared = Declared::default();
    let key = |ns: &str, name: &str, key: &str| SecretKey {
        namespace: ns.to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    declared.secrets.insert(
        key("tenantry-system", "portal", "token"),
        Sensitive::new(canary("Token")),
    );
    declared.secrets.insert(
        key("tenantry-system", "graph", "clientSecret"),
        Sensitive::new(client_secret.clone()),
    );
    declared.secrets.insert(
        key(NS, "kenton-admin", "password"),
        Sensitive::new(password.clone()),
    );
    h.api.add_secrets(&declared);

    // The Tenant first (its DaaS customer on the contract), then the admin.
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    reconcile(Arc::new(a.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    let ready_condition = status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(ready_condition["status"], "True", "{status:#}");
    let text = status.to_string();
    assert!(!text.contains(&client_secret) && !text.contains(&password));
    assert_eq!(users_in(&h.sandbox).await.len(), 1);

    let writes = |h: &Harness| {
        h.sandbox
            .wire_requests("graph")
            .iter()
            .filter(|r| r.method != "GET")
            .count()
    };
    let before = writes(&h);
    reconcile(Arc::new(a.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        writes(&h),
        before,
        "converged: no write on the next reconcile"
    );

    // Deleted in the cluster with deletionPolicy Delete: the user goes too.
    let recorded = h.api.last_status().unwrap_or_default();
    let gone = deleting(with_status(&a, &recorded));
    reconcile(Arc::new(gone), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        users_in(&h.sandbox).await.is_empty(),
        "the user was deleted"
    );
    assert_eq!(calls_of(&h.sandbox, "DELETE", "/users/{user-id}"), 1);
}

async fn users_in(sb: &Sandbox) -> Vec<Value> {
    let answer = crate::sandbox::Client::new(sb)
        .get("/sandbox/graph/tenants/kenton-electronics.com")
        .await;
    answer.body["users"].as_array().cloned().unwrap_or_default()
}

fn calls_of(sb: &Sandbox, method: &str, path: &str) -> usize {
    sb.wire_requests("graph")
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_graph_token_url_without_its_tenant_placeholder_is_refused_before_any_call() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    // The CRD pattern and validate accept the placeholder.
    run(tmp.path(), &["validate", "-f", "examples/"], 0).await;
    edit(
        &dir.join("connection.yaml"),
        "/{tenant}/oauth2",
        "/contoso.onmicrosoft.com/oauth2",
    );
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 1).await;
    for needle in ["PortalConnection graph", "{tenant}", "clientCredentials"] {
        assert!(plan.stderr.contains(needle), "{needle:?}: {}", plan.stderr);
    }
    assert!(v.sb.wire_requests("graph").is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_that_outlasts_the_retries_is_reported_with_graphs_reason() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    control(
        &v,
        "POST",
        "/sandbox/graph/throttle",
        &json!({"requests": 1000, "retryAfterSeconds": 0}),
    )
    .await;
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 1).await;
    for needle in ["429", "ResourceUnitLimitExceeded"] {
        assert!(plan.stderr.contains(needle), "{needle:?}: {}", plan.stderr);
    }
    let throttled = statuses(&v, "GET", "/graph/v1.0/users");
    assert!(
        throttled.len() > 1 && throttled.iter().all(|s| *s == 429),
        "retried, each time throttled: {throttled:?}"
    );
    no_secret(&v, &[&plan], &[]);
}
