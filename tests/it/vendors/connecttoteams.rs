//! The ConnectToTeams adapter against the sandbox's ConnectToTeams emulator (`/c2t`), through
//! the binary: the examples' TeamMate enterprises go to a `connectToTeams` connection (the
//! checked-in example, pointed at the emulator), everything else to the contract.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tenantry::sandbox::{Sandbox, SandboxConfig};

use super::{calls, control, run, spec_check};
use crate::canary::canary;
use crate::seam::{secret_manifest, write};
use crate::support::{
    Run, action_lines, edit, example_secrets, examples_copy, sandbox, tenantry_in,
};

/// Endpoints the adapter needs that the public KB does not show (docs/providers.md, ⚠).
const ASSUMED: [&str; 3] = [
    "/reseller/getEnterprisesByResellerId/{resellerId}",
    "/reseller/updateEnterprise",
    "/reseller/deleteEnterprise/{enterpriseId}",
];

struct Vendor {
    sb: Sandbox,
    client_secret: String,
    password: String,
}

/// A sandbox whose ConnectToTeams emulator knows one API client and user.
async fn vendor(config: SandboxConfig) -> Vendor {
    let client_secret = canary("C2tClient");
    let password = canary("C2tPassword");
    let sb = sandbox(
        config
            .with_c2t_api_user(
                ("tenantry-reseller", &client_secret),
                "tenantry-api",
                password.clone(),
            )
            .with_token_lifetime(Duration::from_secs(3600 * 10_000)),
    )
    .await;
    Vendor {
        sb,
        client_secret,
        password,
    }
}

/// The examples with `default` (contract) delegating teammate to the example ConnectToTeams
/// connection, its URL and Secret values replaced with the emulator's.
fn connect(dir: &Path, v: &Vendor) {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connections/connecttoteams.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let c2t = example
        .replace(
            "https://api.connecttoteams.com",
            &format!("{}/c2t", v.sb.url()),
        )
        .replace("example-client-secret-0000", &v.client_secret)
        .replace("example-api-password-0000", &v.password);
    let token = canary("Token");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  portals: [daas, contactcenter, apps, cloudlink]\n  delegates: [{{name: connecttoteams}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{c2t}",
        v.sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
    );
    write(&dir.join("connection.yaml"), &text);
}

/// The simulated Global Admin completes the next consent step of `name`.
async fn consent(v: &Vendor, name: &str, outcome: &str) -> Value {
    control(
        &v.sb,
        "/sandbox/c2t/actions",
        &json!({"enterpriseName": name, "outcome": outcome}),
    )
    .await
}

fn no_secret(v: &Vendor, runs: &[&Run]) {
    let mut secrets = example_secrets();
    secrets.extend([v.client_secret.clone(), v.password.clone()]);
    for run in runs {
        for s in &secrets {
            assert!(
                !run.all().contains(s.as_str()),
                "a secret leaked: {}",
                run.all()
            );
        }
    }
}

fn pending_phase(plan_json: &str, name_part: &str) -> Option<String> {
    let doc: Value = serde_json::from_str(plan_json).unwrap_or_else(|e| panic!("{e}: {plan_json}"));
    doc["pending"]
        .as_array()?
        .iter()
        .find(|p| p.to_string().contains(name_part))
        .and_then(|p| p["phase"].as_str().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread")]
async fn enterprises_are_created_converge_wait_for_consent_then_are_ready() {
    let v = vendor(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    assert!(
        plan.stdout.contains("teammate/enterprises"),
        "{}",
        plan.stdout
    );
    let apply = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    // Both enterprises wait for their Global Admin, who is sent the registration URL.
    assert!(apply.stdout.contains("AwaitingConsent"), "{}", apply.stdout);
    assert!(
        apply.all().contains("/c2t/action/registration/"),
        "the action URL is shown: {}",
        apply.all()
    );
    let created = calls(&v.sb, "c2t", "POST", "/reseller/newEnterprise");
    assert_eq!(created.len(), 2, "one newEnterprise per enterprise");
    let bluewater = created
        .iter()
        .find(|r| r.body["enterpriseName"] == "Bluewater Logistics Ltd")
        .unwrap_or_else(|| panic!("{created:#?}"));
    // Declared names became the reseller's ids: UnitedKingdom, Europe; Ringlogix.
    assert_eq!(bluewater.body["sbcGateways"], json!([5681, 5680]));
    assert_eq!(bluewater.body["pbxId"], json!([1234]));
    assert_eq!(bluewater.body["resellerId"], 4711);
    assert_eq!(
        calls(
            &v.sb,
            "c2t",
            "GET",
            "/reseller/getAvailableSBCGatewayRegionsByResellerId/{resellerId}"
        )
        .len(),
        2,
        "the lookups are read once per run (plan, apply)"
    );
    assert_eq!(
        calls(&v.sb, "c2t", "POST", "/oauth/token").len(),
        2,
        "one token per run"
    );

    // Converged while waiting: the second plan is empty.
    let again = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // The Global Admin completes the invitation, then the second consent: Ready.
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        pending_phase(&json.stdout, "bluewater").as_deref(),
        Some("AwaitingConsent")
    );
    assert_eq!(
        consent(&v, "Bluewater Logistics Ltd", "granted").await["registrationStatus"],
        "REGISTERED"
    );
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        pending_phase(&json.stdout, "bluewater").as_deref(),
        Some("AwaitingConsent"),
        "one step of two"
    );
    consent(&v, "Bluewater Logistics Ltd", "granted").await;
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        pending_phase(&json.stdout, "bluewater"),
        None,
        "Ready: {}",
        json.stdout
    );
    assert_eq!(
        pending_phase(&json.stdout, "meridian").as_deref(),
        Some("AwaitingConsent")
    );

    // One edited field is one update of that enterprise.
    edit(
        &dir.join("customers/bluewater-logistics/services.yaml"),
        "userLimit: 250",
        "userLimit: 300",
    );
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    let actions = action_lines(&plan.stdout);
    assert_eq!(actions.len(), 1, "{}", plan.stdout);
    assert!(
        actions[0].starts_with("~ teammate/enterprises"),
        "{actions:?}"
    );
    let update = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let updates = calls(&v.sb, "c2t", "PUT", "/reseller/updateEnterprise");
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert_eq!(updates[0].body["userLimit"], 300);
    let last = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
    no_secret(&v, &[&plan, &apply, &again, &update, &last]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enterprise_made_in_the_portal_is_adopted_not_duplicated() {
    let v = vendor(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    // A person created Bluewater's enterprise in the reseller portal (limit 100, no tenantry
    // reference); the Global Admin already consented.
    control(
        &v.sb,
        "/sandbox/c2t/enterprises",
        &json!({"enterpriseName": "Bluewater Logistics Ltd", "services": ["PBX", "Trunk"],
                "sbcGateways": [5681], "pbxId": [1234], "userLimit": 100}),
    )
    .await;
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let created = calls(&v.sb, "c2t", "POST", "/reseller/newEnterprise");
    assert!(
        created
            .iter()
            .all(|r| r.body["enterpriseName"] != "Bluewater Logistics Ltd"),
        "adopted, not created again: {created:#?}"
    );
    let updates = calls(&v.sb, "c2t", "PUT", "/reseller/updateEnterprise");
    assert_eq!(updates.len(), 1, "{updates:#?}");
    assert_eq!(
        updates[0].body["userLimit"], 250,
        "the declared spec applied"
    );
    assert_eq!(
        updates[0].body["billingReferences"][0],
        "tenantry:customers/bluewater-logistics-teams"
    );
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        pending_phase(&json.stdout, "bluewater"),
        None,
        "already consented: Ready"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_user_that_never_changed_its_first_password_is_told_so() {
    let v = vendor(SandboxConfig::default().with_c2t_first_password_pending("tenantry-api")).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 1).await;
    for needle in [
        "connection connecttoteams",
        "change the initial password",
        "Secret tenantry-system/connecttoteams-api key password",
    ] {
        assert!(plan.stderr.contains(needle), "{needle:?}: {}", plan.stderr);
    }
    assert_eq!(
        calls(&v.sb, "c2t", "POST", "/oauth/token").len(),
        1,
        "a refusal is not retried"
    );
    no_secret(&v, &[&plan]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_the_reseller_does_not_offer_names_the_field_and_the_valid_names() {
    let v = vendor(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    edit(
        &dir.join("customers/meridian-dental/services.yaml"),
        "sbcRegions: [UsWest, UsEast]",
        "sbcRegions: [Canada]",
    );
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_ne!(apply.code, 0, "{}", apply.all());
    for needle in [
        "sbcRegions",
        "Canada is not offered",
        "valid: UsEast, UsWest, Europe, UnitedKingdom",
    ] {
        assert!(apply.all().contains(needle), "{needle:?}: {}", apply.all());
    }
    assert!(
        calls(&v.sb, "c2t", "POST", "/reseller/newEnterprise")
            .iter()
            .all(|r| r.body["enterpriseName"] != "Meridian Dental Group"),
        "nothing sent with an unknown region"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_consent_fails_clearly_and_an_expired_token_is_replaced() {
    let v = vendor(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    consent(&v, "Bluewater Logistics Ltd", "declined").await;
    let expired = control(&v.sb, "/sandbox/identity/expire", &json!({})).await;
    assert!(expired["expired"].as_u64().unwrap_or(0) >= 1, "{expired:#}");
    let tokens = calls(&v.sb, "c2t", "POST", "/oauth/token").len();
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        calls(&v.sb, "c2t", "POST", "/oauth/token").len(),
        tokens + 1
    );
    assert_eq!(
        pending_phase(&json.stdout, "bluewater").as_deref(),
        Some("Failed")
    );
    assert!(json.stdout.contains("ConsentDeclined"), "{}", json.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_the_adapter_sent_agrees_with_the_vendor_description() {
    let v = vendor(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    consent(&v, "Bluewater Logistics Ltd", "granted").await;
    edit(
        &dir.join("customers/bluewater-logistics/services.yaml"),
        "userLimit: 250",
        "userLimit: 300",
    );
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    let doc: serde_yaml::Value =
        serde_yaml::from_str(include_str!("specs/connecttoteams.derived.openapi.yaml"))
            .unwrap_or_else(|e| panic!("{e}"));
    let sent = v.sb.wire_requests("c2t");
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for req in &sent {
        match spec_check::problems(&doc, req) {
            Some(p) => problems.extend(p),
            None => assert!(
                ASSUMED.contains(&req.path.as_str()),
                "{} {} is neither in the description nor a documented assumption",
                req.method,
                req.path
            ),
        }
        seen.insert(format!("{} {}", req.method, req.path));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    for op in [
        "POST /oauth/token",
        "PUT /reseller/getAuthenticatedUser",
        "GET /pbx/getPBXTypesByResellerId",
        "POST /reseller/newEnterprise",
        "POST /enterprise/getActionItemUrl",
    ] {
        assert!(seen.contains(op), "{op} not exercised: {seen:?}");
    }
}

/// The controller's pipeline: a Teams-connector binding reconciled through the built-in
/// providers, its enterprise on the emulator, waiting for consent, then Ready, then quiet.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_waits_for_consent_then_is_ready_and_converged() {
    use std::sync::Arc;
    use tenantry::api::{Declared, PortalConnection, SecretKey, Sensitive, ServiceBinding, Tenant};
    use tenantry::controller::reconcile;

    use crate::controller::fixtures::{Harness, NS, from_json, ready, tenant};

    let v = vendor(SandboxConfig::default()).await;
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals.push(tenantry::api::Portal::TeamMate);
    let t: Tenant = ready(&t);
    let b: ServiceBinding = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-teams", "namespace": NS, "uid": "uid-kenton-teams",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"},
                 "teamsConnector": {"enterpriseName": "Kenton Teams",
                                    "adminEmail": "globaladmin@kenton-electronics.com",
                                    "sbcRegions": ["UsEast"], "services": ["Trunk"]}}
    }));
    let url = v.sb.url();
    let connections: Vec<PortalConnection> = vec![
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "default", "generation": 1},
            "spec": {"url": url, "portals": ["daas", "contactcenter", "apps", "cloudlink"],
                     "delegates": [{"name": "connecttoteams"}],
                     "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}}
        })),
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "connecttoteams", "generation": 1},
            "spec": {"api": "connectToTeams", "url": format!("{url}/c2t"), "portals": ["teammate"],
                     "auth": {"password": {
                        "tokenUrl": format!("{url}/c2t/oauth/token"),
                        "clientId": "tenantry-reseller",
                        "clientSecretRef": {"namespace": "tenantry-system", "name": "c2t", "key": "clientSecret"},
                        "username": "tenantry-api",
                        "passwordRef": {"namespace": "tenantry-system", "name": "c2t", "key": "password"}}}}
        })),
    ];
    let (client_secret, password) = (v.client_secret.clone(), v.password.clone());
    let h = Harness::with_providers(v.sb, vec![t], vec![b.clone()], connections);
    let mut declared = Declared::default();
    let key = |name: &str, key: &str| SecretKey {
        namespace: "tenantry-system".to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    declared
        .secrets
        .insert(key("portal", "token"), Sensitive::new(canary("Token")));
    declared.secrets.insert(
        key("c2t", "clientSecret"),
        Sensitive::new(client_secret.clone()),
    );
    declared
        .secrets
        .insert(key("c2t", "password"), Sensitive::new(password.clone()));
    h.api.add_secrets(&declared);
    let condition = |status: &Value, type_: &str| -> Value {
        status["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == type_))
            .cloned()
            .unwrap_or_default()
    };

    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    let progressing = condition(&status, "Progressing");
    assert_eq!(progressing["reason"], "AwaitingConsent", "{status:#}");
    assert!(
        status["observed"]["consentUrl"]
            .as_str()
            .unwrap_or("")
            .contains("/c2t/action/registration/"),
        "the Global Admin's URL is in the status: {status:#}"
    );
    let text = status.to_string();
    assert!(!text.contains(&client_secret) && !text.contains(&password));

    // The Global Admin completes both steps; the next reconcile polls and finds it Ready.
    for _ in 0..2 {
        let answer = crate::sandbox::Client::new(&h.sandbox)
            .post(
                "/sandbox/c2t/actions",
                &json!({"enterpriseName": "Kenton Teams"}),
            )
            .await;
        assert!(answer.status.is_success(), "{:#}", answer.body);
    }
    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status:#}");
    let writes = |h: &Harness| {
        h.sandbox
            .wire_requests("c2t")
            .iter()
            .filter(|r| r.path.contains("Enterprise") && r.method != "GET")
            .count()
    };
    let before = writes(&h);
    assert_eq!(before, 1, "one newEnterprise");
    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        writes(&h),
        before,
        "converged: no write on the next reconcile"
    );
}

/// A token the emulator expired mid-run is answered 401, replaced once, and the call goes
/// through: the adapter reuses the contract client's token source and retry loop.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_replaced_once_within_a_run() {
    use tenantry::api::{ConnectionApi, Portal, RateLimit, Sensitive};
    use tenantry::portal::{Connection, Connector, Credential, Flow, Grant, PortalApi, Providers};

    let v = vendor(SandboxConfig::default()).await;
    let connection = Connection {
        name: "connecttoteams".to_owned(),
        api: ConnectionApi::ConnectToTeams,
        url: format!("{}/c2t", v.sb.url()),
        token: None,
        auth: Some(Credential::OAuth2(Grant {
            token_url: format!("{}/c2t/oauth/token", v.sb.url()),
            flow: Flow::Password {
                username: "tenantry-api".to_owned(),
                password: Sensitive::new(v.password.clone()),
                source: "Secret tenantry-system/c2t key password".to_owned(),
                account_id: None,
            },
            client_id: Some("tenantry-reseller".to_owned()),
            client_secret: Some(Sensitive::new(v.client_secret.clone())),
            client_secret_source: Some("Secret tenantry-system/c2t key clientSecret".to_owned()),
            scope: None,
            resource: None,
        })),
        portals: vec![Portal::TeamMate],
        rate_limit: RateLimit::default(),
        timeout: Duration::from_secs(30),
    };
    let client = Providers::default()
        .connect(&connection)
        .unwrap_or_else(|e| panic!("{e}"));
    let filter = Default::default();
    client
        .list(Portal::TeamMate, "enterprises", &filter)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    control(&v.sb, "/sandbox/identity/expire", &json!({})).await;
    client
        .list(Portal::TeamMate, "enterprises", &filter)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        calls(&v.sb, "c2t", "POST", "/oauth/token").len(),
        2,
        "one new token"
    );
    let refused: Vec<_> =
        v.sb.requests()
            .into_iter()
            .filter(|r| r.route.starts_with("/c2t/") && r.status == Some(401))
            .collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    // Other kinds are not this adapter's.
    let err = client
        .list(Portal::Daas, "customers", &filter)
        .await
        .err()
        .unwrap_or_else(|| panic!("daas/customers served by connectToTeams"));
    assert!(
        err.to_string().contains("teammate/enterprises only"),
        "{err}"
    );
}
