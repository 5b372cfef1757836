//! The Mitel CloudLink adapter against the sandbox's CloudLink emulator (`/mitel/...`), through
//! the binary: the examples' CloudLink accounts and gateways go to a `cloudLink` connection (the
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

/// Endpoints and fields the adapter needs that no public description shows (docs/providers.md, ⚠).
const ASSUMED: [&str; 2] = ["/accounts", "/accounts/{accountId}/users/{userId}"];
/// The CloudLink account the API user signs in to (the example's `accountId`).
const PARTNER_ACCOUNT: &str = "858000055";
const API_USER: &str = "api@northstar-msp.example";

struct Vendor {
    sb: Sandbox,
    password: String,
}

/// A sandbox whose CloudLink emulator knows one API user.
async fn vendor() -> Vendor {
    let password = canary("MitelPassword");
    let sb = sandbox(
        SandboxConfig::default()
            .with_mitel_api_user(PARTNER_ACCOUNT, API_USER, password.clone())
            .with_token_lifetime(Duration::from_secs(3600 * 10_000)),
    )
    .await;
    Vendor { sb, password }
}

fn admin_url(v: &Vendor) -> String {
    format!("{}/mitel/admin/2017-09-01", v.sb.url())
}

fn token_url(v: &Vendor) -> String {
    format!("{}/mitel/authentication/2017-09-01/token", v.sb.url())
}

/// The examples with `default` (contract) delegating cloudlink to the example CloudLink
/// connection, its URLs and Secret value replaced with the emulator's.
fn connect(dir: &Path, v: &Vendor) {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connections/cloudlink.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mitel = example
        .replace("https://admin.api.mitel.io/2017-09-01", &admin_url(v))
        .replace(
            "https://authentication.api.mitel.io/2017-09-01/token",
            &token_url(v),
        )
        .replace("example-api-password-0000", &v.password);
    let token = canary("Token");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  delegates: [{{name: cloudlink}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{mitel}",
        v.sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
    );
    write(&dir.join("connection.yaml"), &text);
}

/// A person creates the customer's account in the Accounts portal.
async fn made_by_hand(v: &Vendor, name: &str) -> String {
    let account = control(&v.sb, "/sandbox/mitel/accounts", &json!({"name": name})).await;
    account["accountId"].as_str().unwrap_or_default().to_owned()
}

fn no_secret(v: &Vendor, runs: &[&Run]) {
    let mut secrets = example_secrets();
    secrets.push(v.password.clone());
    for run in runs {
        for s in &secrets {
            assert!(
                !run.all().contains(s.as_str()),
                "a secret leaked: {}",
                run.all()
            );
        }
        assert!(
            !run.all().contains("sbx-at-"),
            "a token leaked: {}",
            run.all()
        );
        assert!(
            !run.all().contains("mitel-rt-"),
            "a refresh token leaked: {}",
            run.all()
        );
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
async fn accounts_wait_for_a_person_then_are_adopted_converge_and_update_one_field() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    assert!(
        plan.stdout.contains("cloudlink/accounts"),
        "{}",
        plan.stdout
    );
    // No account exists: the API cannot create one, so each waits for a person.
    let waiting = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    for needle in [
        "AwaitingManualStep",
        "https://accounts.mitel.io",
        "\"Kenton Electronics\"",
        "business type \"Manufacturing\"",
    ] {
        assert!(
            waiting.all().contains(needle),
            "{needle:?}: {}",
            waiting.all()
        );
    }
    assert!(
        v.sb.wire_requests("mitel")
            .iter()
            .all(|r| !(r.method == "POST" && r.path == "/accounts")),
        "an account is never POSTed"
    );

    // A person creates both accounts in the Accounts portal; the next apply adopts them.
    let kenton = made_by_hand(&v, "Kenton Electronics").await;
    made_by_hand(&v, "Meridian Dental Group").await;
    let adopt = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let puts = calls(&v.sb, "mitel", "PUT", "/accounts/{accountId}");
    let first = puts
        .iter()
        .find(|r| r.body["tags"].to_string().contains("kenton-electronics\""))
        .unwrap_or_else(|| panic!("{puts:#?}"));
    assert!(first.body.get("name").is_none(), "the name is Mitel's");
    assert_eq!(first.body["supportContacts"][1]["role"], "OnsiteAdmin");
    let users = calls(&v.sb, "mitel", "POST", "/accounts/{accountId}/users");
    assert_eq!(users.len(), 3, "one user per admin contact: {users:#?}");
    assert!(
        users.iter().all(|u| u.body["role"] == "ACCOUNT_ADMIN"),
        "{users:#?}"
    );
    // The gateways wait for their appliance; the admins for their e-mail, reported not failed.
    assert!(
        adopt.all().contains("install the CloudLink Gateway"),
        "{}",
        adopt.all()
    );
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        pending_phase(&json.stdout, "kenton-electronics-cloudlink").as_deref(),
        Some("AwaitingManualStep")
    );
    assert!(
        json.stdout.contains("unverifiedAdmins"),
        "unverified admins are an output: {}",
        json.stdout
    );

    // Converged while waiting: the second plan is empty.
    let again = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // The gateway is onboarded and the admin verified: Ready, nothing reported.
    control(
        &v.sb,
        "/sandbox/mitel/gateways",
        &json!({"accountId": kenton, "pbxType": "MiVoice Business"}),
    )
    .await;
    control(
        &v.sb,
        "/sandbox/mitel/verify",
        &json!({"email": "jane.roe@kenton-electronics.example"}),
    )
    .await;
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert_eq!(
        pending_phase(&json.stdout, "kenton-electronics-cloudlink"),
        None
    );
    assert_eq!(
        pending_phase(&json.stdout, "meridian-dental-cloudlink").as_deref(),
        Some("AwaitingManualStep")
    );
    assert!(
        !json
            .stdout
            .contains("jane.roe@kenton-electronics.example\""),
        "verified: {}",
        json.stdout
    );

    // One edited field is one update of that account.
    edit(
        &dir.join("customers/kenton-electronics/tenant.yaml"),
        "name: Marcus Chen",
        "name: Marcus J. Chen",
    );
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    let actions = action_lines(&plan.stdout);
    assert_eq!(actions.len(), 1, "{}", plan.stdout);
    assert!(
        actions[0].starts_with("~ cloudlink/accounts"),
        "{actions:?}"
    );
    let before = calls(&v.sb, "mitel", "PUT", "/accounts/{accountId}").len();
    let update = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let puts = calls(&v.sb, "mitel", "PUT", "/accounts/{accountId}");
    assert_eq!(puts.len(), before + 1, "{puts:#?}");
    assert_eq!(
        puts[before].body["supportContacts"][1]["name"],
        "Marcus J. Chen"
    );
    let last = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
    no_secret(&v, &[&plan, &waiting, &adopt, &again, &update, &last]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_another_object_adopted_is_not_taken_over() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    control(
        &v.sb,
        "/sandbox/mitel/accounts",
        &json!({"name": "Kenton Electronics", "tags": ["tenantry:other/kenton"]}),
    )
    .await;
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_ne!(apply.code, 0, "{}", apply.all());
    for needle in [
        "AccountNameTaken",
        "belongs to other/kenton",
        "spec.displayName",
    ] {
        assert!(apply.all().contains(needle), "{needle:?}: {}", apply.all());
    }
    assert!(calls(&v.sb, "mitel", "PUT", "/accounts/{accountId}").is_empty());
}

/// Mitel's 429s are retried after their `Retry-After`; when they do not stop, the error names
/// the correlation id of the last answer for Mitel support.
#[tokio::test(flavor = "multi_thread")]
async fn throttled_requests_are_retried_and_a_lasting_throttle_names_the_correlation_id() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    control(
        &v.sb,
        "/sandbox/mitel/throttle",
        &json!({"requests": 2, "retryAfter": 0}),
    )
    .await;
    run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    let throttled =
        v.sb.requests()
            .into_iter()
            .filter(|r| r.route.starts_with("/mitel/") && r.status == Some(429))
            .count();
    assert_eq!(throttled, 2, "both 429s were answered and retried");

    control(
        &v.sb,
        "/sandbox/mitel/throttle",
        &json!({"requests": 50, "retryAfter": 0}),
    )
    .await;
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 1).await;
    for needle in ["429", "Rate limit exceeded", "x-mitel-correlation-id: cid-"] {
        assert!(plan.stderr.contains(needle), "{needle:?}: {}", plan.stderr);
    }
    no_secret(&v, &[&plan]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_the_adapter_sent_agrees_with_the_vendor_description() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    made_by_hand(&v, "Kenton Electronics").await;
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    // An admin contact removed is a user removed.
    edit(
        &dir.join("customers/kenton-electronics/tenant.yaml"),
        "  adminContacts:\n    - name: Jane Roe\n      email: jane.roe@kenton-electronics.example\n",
        "  adminContacts: []\n",
    );
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let doc: serde_yaml::Value = serde_yaml::from_str(include_str!(
        "specs/cloudlink-auth-admin.derived.openapi.yaml"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let sent = v.sb.wire_requests("mitel");
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
        // Mitel may throttle or block apps that do not identify themselves.
        if req.path != "/token" {
            assert!(
                req.headers.iter().any(|h| h == "x-mitel-app"),
                "{} {} without x-mitel-app",
                req.method,
                req.path
            );
        }
        seen.insert(format!("{} {}", req.method, req.path));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    for op in [
        "POST /token",
        "GET /accounts",
        "PUT /accounts/{accountId}",
        "GET /accounts/{accountId}/users",
        "POST /accounts/{accountId}/users",
        "DELETE /accounts/{accountId}/users/{userId}",
    ] {
        assert!(seen.contains(op), "{op} not exercised: {seen:?}");
    }
    let token = calls(&v.sb, "mitel", "POST", "/token");
    assert_eq!(
        token[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(token[0].body.get("account_id").is_some(), "{:#?}", token[0]);
}

/// The emulator's own traps over HTTP: the correlation id on every answer, `x-mitel-app`
/// expected, the support-contact rule, the name owned by Mitel, users needing only an e-mail.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_answers_like_mitel() {
    let v = vendor().await;
    let http = reqwest::Client::new();
    let form = [
        ("grant_type", "password"),
        ("username", API_USER),
        ("password", v.password.as_str()),
        ("account_id", PARTNER_ACCOUNT),
    ];
    let answer = http
        .post(token_url(&v))
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.headers().contains_key("x-mitel-correlation-id"));
    let token: Value = answer.json().await.unwrap_or_else(|e| panic!("{e}"));
    let bearer = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token["refresh_token"].is_string(), "{token:#}");
    let without_account = http
        .post(token_url(&v))
        .form(&form[..3])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(without_account.status(), 400);

    let id = made_by_hand(&v, "Kenton Electronics").await;
    let url = format!("{}/accounts/{id}", admin_url(&v));
    let anonymous = http
        .get(&url)
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(anonymous.status(), 403, "x-mitel-app is expected");
    assert!(anonymous.headers().contains_key("x-mitel-correlation-id"));
    let put = |body: Value| {
        http.put(&url)
            .bearer_auth(&bearer)
            .header("x-mitel-app", "app=test/1")
            .json(&body)
            .send()
    };
    let one_role = put(json!({"supportContacts": [
        {"role": "Maintainer", "name": "Priya", "email": "priya@example.net"}]}))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one_role.status(), 400);
    let body: Value = one_role.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["name"], "BadRequest");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("OnsiteAdmin"),
        "{body:#}"
    );
    let renamed = put(json!({"name": "Kenton Ltd"}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(renamed.status(), 400, "the name belongs to Mitel");
    let user = http
        .post(format!("{url}/users"))
        .bearer_auth(&bearer)
        .header("x-mitel-app", "app=test/1")
        .json(&json!({"email": "someone@kenton-electronics.example"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user.status(), 201);
    let user: Value = user.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user["emailVerified"], false);
    assert_eq!(user["role"], "USER");
}

/// A token the emulator expired mid-run is answered 401 and renewed with the refresh token
/// (not the password), and the call goes through.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_renewed_with_the_refresh_token() {
    use tenantry::api::{ConnectionApi, Portal, RateLimit, Sensitive};
    use tenantry::portal::{Connection, Connector, Credential, Flow, Grant, PortalApi, Providers};

    let v = vendor().await;
    let connection = Connection {
        name: "cloudlink".to_owned(),
        api: ConnectionApi::CloudLink,
        url: admin_url(&v),
        token: None,
        auth: Some(Credential::OAuth2(Grant {
            token_url: token_url(&v),
            flow: Flow::Password {
                username: API_USER.to_owned(),
                password: Sensitive::new(v.password.clone()),
                source: "Secret tenantry-system/cloudlink-api key password".to_owned(),
                account_id: Some(PARTNER_ACCOUNT.to_owned()),
            },
            client_id: None,
            client_secret: None,
            client_secret_source: None,
            scope: None,
            resource: None,
        })),
        portals: vec![Portal::CloudLink],
        rate_limit: RateLimit::default(),
        timeout: Duration::from_secs(30),
    };
    let client = Providers::default()
        .connect(&connection)
        .unwrap_or_else(|e| panic!("{e}"));
    let filter = Default::default();
    client
        .list(Portal::CloudLink, "accounts", &filter)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    control(&v.sb, "/sandbox/identity/expire", &json!({})).await;
    client
        .list(Portal::CloudLink, "accounts", &filter)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let grants: Vec<String> = calls(&v.sb, "mitel", "POST", "/token")
        .iter()
        .map(|r| r.body["grant_type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(grants, ["password", "refresh_token"]);
    let refused =
        v.sb.requests()
            .into_iter()
            .filter(|r| r.route.starts_with("/mitel/") && r.status == Some(401))
            .count();
    assert_eq!(refused, 1);
    let err = client
        .list(Portal::Daas, "customers", &filter)
        .await
        .err()
        .unwrap_or_else(|| panic!("daas/customers served by cloudLink"));
    assert!(
        err.to_string()
            .contains("cloudlink/accounts and cloudlink/gateways only"),
        "{err}"
    );
}

/// The controller's pipeline: the Tenant's account adopted from the Accounts portal, its
/// gateway binding waiting for the appliance, then Ready, then quiet.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_adopts_the_account_and_waits_for_the_gateway() {
    use std::sync::Arc;
    use tenantry::api::{Declared, PortalConnection, SecretKey, Sensitive, ServiceBinding, Tenant};
    use tenantry::controller::reconcile;

    use crate::controller::fixtures::{Harness, NS, from_json, ready, tenant};

    let v = vendor().await;
    // Ready as a finished reconcile leaves it, so its binding does not wait on it.
    let t: Tenant = ready(&tenant("kenton", "Apply", "Orphan"));
    let b: ServiceBinding = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-cloudlink", "namespace": NS, "uid": "uid-kenton-cloudlink",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "cloudlinkGateway": {"platform": "MiVoice"}}
    }));
    let url = v.sb.url();
    let connections: Vec<PortalConnection> = vec![
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "default", "generation": 1},
            "spec": {"url": url, "delegates": [{"name": "cloudlink"}],
                     "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}}
        })),
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "cloudlink", "generation": 1},
            "spec": {"api": "cloudLink", "url": admin_url(&v), "portals": ["cloudlink"],
                     "auth": {"password": {
                        "tokenUrl": token_url(&v),
                        "username": API_USER,
                        "accountId": PARTNER_ACCOUNT,
                        "passwordRef": {"namespace": "tenantry-system", "name": "mitel", "key": "password"}}}}
        })),
    ];
    let password = v.password.clone();
    let h = Harness::with_providers(v.sb, vec![t.clone()], vec![b.clone()], connections);
    let mut declared = Declared::default();
    let key = |name: &str, key: &str| SecretKey {
        namespace: "tenantry-system".to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    declared
        .secrets
        .insert(key("portal", "token"), Sensitive::new(canary("Token")));
    declared
        .secrets
        .insert(key("mitel", "password"), Sensitive::new(password.clone()));
    h.api.add_secrets(&declared);
    let condition = |status: &Value, type_: &str| -> Value {
        status["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == type_))
            .cloned()
            .unwrap_or_default()
    };
    let mitel = |h: &Harness, method: &str| {
        h.sandbox
            .wire_requests("mitel")
            .iter()
            .filter(|r| r.method == method)
            .count()
    };

    // No account yet: the Tenant waits for a person in the Accounts portal, sending nothing.
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    assert_ne!(condition(&status, "Ready")["status"], "True", "{status:#}");
    // The wait, with what to enter where, is the create's Event.
    let event = h
        .api
        .calls()
        .into_iter()
        .filter(|c| c.path.ends_with("/events"))
        .map(|c| c.body.to_string())
        .find(|b| b.contains("AwaitingManualStep"))
        .unwrap_or_else(|| panic!("no event names the wait"));
    assert!(event.contains("https://accounts.mitel.io"), "{event}");
    assert_eq!(
        mitel(&h, "PUT") + mitel(&h, "POST") - calls_of(&h, "POST", "/token"),
        0
    );

    let account = crate::sandbox::Client::new(&h.sandbox)
        .post(
            "/sandbox/mitel/accounts",
            &json!({"name": "Kenton Electronics"}),
        )
        .await;
    assert!(account.status.is_success(), "{:#}", account.body);
    let kenton = account.body["accountId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status:#}");
    assert_eq!(status["observed"]["nextStep"], "Gateway", "{status:#}");
    assert_eq!(mitel(&h, "PUT"), 1, "adopted with one PUT");

    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    assert_eq!(
        condition(&status, "Progressing")["reason"],
        "AwaitingManualStep",
        "{status:#}"
    );
    assert!(!status.to_string().contains(&password));

    let answer = crate::sandbox::Client::new(&h.sandbox)
        .post(
            "/sandbox/mitel/gateways",
            &json!({"accountId": kenton, "pbxType": "MiVoice Business"}),
        )
        .await;
    assert!(answer.status.is_success(), "{:#}", answer.body);
    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status:#}");
    let before = (
        mitel(&h, "PUT"),
        calls_of(&h, "POST", "/accounts/{accountId}/users"),
    );
    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            mitel(&h, "PUT"),
            calls_of(&h, "POST", "/accounts/{accountId}/users")
        ),
        before,
        "converged: no write on the next reconciles"
    );
}

fn calls_of(h: &crate::controller::fixtures::Harness, method: &str, path: &str) -> usize {
    h.sandbox
        .wire_requests("mitel")
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}
