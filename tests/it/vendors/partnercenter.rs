//! The Partner Center adapter against the sandbox's Partner Center emulator (`/pc`), through
//! the binary: the examples' daas/azure-ad and daas/microsoft-online go to a `partnerCenter`
//! connection (the checked-in example, pointed at the emulator and the sandbox's identity
//! endpoint), everything else to the contract.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tenantry::sandbox::{Sandbox, SandboxConfig, WireRequest};

use super::{calls, control, run, spec_check};
use crate::canary::canary;
use crate::seam::{secret_manifest, write};
use crate::support::{
    Run, action_lines, edit, example_secrets, examples_copy, run_binary, sandbox, tenantry_in,
};

/// Endpoints the adapter needs that the derived description lacks (docs/providers.md, ⚠).
const ASSUMED: [&str; 1] = ["/v1/customers/{customer-tenant-id}/profiles/billing"];

/// Meridian Dental's existing Microsoft tenant (examples: ConnectExisting).
const MERIDIAN_TENANT: &str = "3f2b9c1e-5d4a-4e8b-9a7c-0d1e2f3a4b5c";

pub(crate) struct Vendor {
    pub(crate) sb: Sandbox,
    pub(crate) client_secret: String,
    pub(crate) refresh_token: String,
}

/// A sandbox whose tokens outlive the test (the identity endpoint accepts any client).
pub(crate) async fn vendor() -> Vendor {
    let sb =
        sandbox(SandboxConfig::default().with_token_lifetime(Duration::from_secs(3600 * 10_000)))
            .await;
    Vendor {
        sb,
        client_secret: canary("PcClient"),
        refresh_token: canary("PcRefresh"),
    }
}

/// The example Partner Center connection, its URLs and Secret values replaced with the
/// sandbox's.
pub(crate) fn partner_connection(v: &Vendor) -> String {
    partner_connection_at(&v.sb.url(), &v.client_secret, &v.refresh_token)
}

/// The example Partner Center connection with both Microsoft hosts at `base` (a sandbox or a
/// proxy in front of one) and the given Secret values.
pub(crate) fn partner_connection_at(base: &str, client_secret: &str, refresh: &str) -> String {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connections/partnercenter.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    example
        .replace(
            "url: https://api.partnercenter.microsoft.com",
            &format!("url: {base}/pc"),
        )
        .replace("https://login.microsoftonline.com", base)
        .replace("example-pc-client-secret-0000", client_secret)
        .replace("example-pc-refresh-token-0000", refresh)
}

/// The examples with `default` (contract) delegating to the example Partner Center connection.
fn connect(dir: &Path, v: &Vendor) {
    let token = canary("Token");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  delegates: [{{name: partnercenter}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{}",
        v.sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
        partner_connection(v),
    );
    write(&dir.join("connection.yaml"), &text);
}

async fn state(v: &Vendor) -> Value {
    let answer = crate::sandbox::Client::new(&v.sb)
        .get("/sandbox/pc/state")
        .await;
    assert!(
        answer.status.is_success(),
        "{} {:#}",
        answer.status,
        answer.body
    );
    answer.body
}

/// Meridian's tenant, made by hand in Partner Center (ConnectExisting adopts it).
async fn seed_meridian(v: &Vendor) {
    control(
        &v.sb,
        "/sandbox/pc/customers",
        &json!({"tenantId": MERIDIAN_TENANT, "domain": "meridiandental.onmicrosoft.com",
                "companyName": "Meridian Dental Group", "email": "it@meridian-dental.example"}),
    )
    .await;
}

/// No client secret, refresh token or Partner Center admin password in any output.
async fn no_secret(v: &Vendor, runs: &[&Run]) {
    let mut secrets = example_secrets();
    secrets.extend([v.client_secret.clone(), v.refresh_token.clone()]);
    let passwords: Vec<String> = state(v).await["passwords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    assert!(
        !passwords.is_empty(),
        "a customer was created with a password"
    );
    secrets.extend(passwords);
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

const APPLY: [&str; 4] = ["apply", "-f", "examples/", "--auto-approve"];
const PLAN: [&str; 3] = ["plan", "-f", "examples/"];

/// Position of the first request matching `pred` in the wire log.
fn position(log: &[WireRequest], pred: impl Fn(&WireRequest) -> bool) -> usize {
    log.iter()
        .position(pred)
        .unwrap_or_else(|| panic!("no such request: {log:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn tenants_are_created_attested_ordered_and_converge() {
    let v = vendor().await;
    seed_meridian(&v).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let plan = run(tmp.path(), &PLAN, 2).await;
    assert!(plan.stdout.contains("daas/azure-ad"), "{}", plan.stdout);
    let apply = run(tmp.path(), &APPLY, 0).await;

    // Kenton: the name's domain is free (HEAD 404), then one create.
    let heads = calls(&v.sb, "pc", "HEAD", "/v1/domains/{domain}");
    assert_eq!(heads.len(), 1, "{heads:#?}");
    let created = calls(&v.sb, "pc", "POST", "/v1/customers");
    assert_eq!(created.len(), 1, "{created:#?}");
    let body = &created[0].body;
    assert_eq!(
        body["companyProfile"]["domain"],
        "kentonelectronics.onmicrosoft.com"
    );
    assert_eq!(body["billingProfile"]["companyName"], "Kenton Electronics");
    assert_eq!(
        body["billingProfile"]["email"],
        "jane.roe@kenton-electronics.example"
    );
    // Meridian's existing tenant is adopted (its billing profile written), not created.
    let adopted = calls(
        &v.sb,
        "pc",
        "PUT",
        "/v1/customers/{customer-tenant-id}/profiles/billing",
    );
    assert_eq!(adopted.len(), 1, "{adopted:#?}");
    assert_eq!(adopted[0].body["firstName"], "Dr.");
    assert_eq!(adopted[0].body["lastName"], "Alicia Moreno");

    // Each customer: the MCA attestation before its order, never an order without it.
    let log = v.sb.wire_requests("pc");
    let agreements = "/v1/customers/{customer-tenant-id}/agreements";
    let orders = "/v1/customers/{customer-tenant-id}/orders";
    assert_eq!(calls(&v.sb, "pc", "POST", agreements).len(), 2);
    assert_eq!(calls(&v.sb, "pc", "POST", orders).len(), 2);
    let first_attest = position(&log, |r| r.method == "POST" && r.path == agreements);
    let first_order = position(&log, |r| r.method == "POST" && r.path == orders);
    assert!(first_attest < first_order, "attested before ordering");
    let attest = &calls(&v.sb, "pc", "POST", agreements)[0].body;
    assert_eq!(attest["type"], "MicrosoftCustomerAgreement");
    assert!(attest["primaryContact"]["email"].is_string(), "{attest:#}");
    let pc = state(&v).await;
    let customers = pc["customers"].as_array().cloned().unwrap_or_default();
    assert_eq!(customers.len(), 2, "{pc:#}");
    for c in &customers {
        let orders = c["orders"].as_array().cloned().unwrap_or_default();
        assert_eq!(orders.len(), 1, "{c:#}");
        assert_eq!(
            orders[0]["status"], "completed",
            "apply waited for the order"
        );
    }

    // Converged: the second plan is empty, and the domain is reported as an output.
    let again = run(tmp.path(), &PLAN, 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    let json = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    assert!(
        json.stdout.contains("kentonelectronics.onmicrosoft.com"),
        "{}",
        json.stdout
    );

    // One edited field is one update of that tenant: its billing profile.
    edit(
        &dir.join("customers/meridian-dental/services.yaml"),
        "name: Dr. Alicia Moreno",
        "name: Dr. Alicia Moreno-Vega",
    );
    let plan = run(tmp.path(), &PLAN, 2).await;
    let actions = action_lines(&plan.stdout);
    assert_eq!(actions.len(), 1, "{}", plan.stdout);
    assert!(actions[0].starts_with("~ daas/azure-ad"), "{actions:?}");
    let update = run(tmp.path(), &APPLY, 0).await;
    let adopted = calls(
        &v.sb,
        "pc",
        "PUT",
        "/v1/customers/{customer-tenant-id}/profiles/billing",
    );
    assert_eq!(adopted.len(), 2, "{adopted:#?}");
    assert_eq!(adopted[1].body["lastName"], "Alicia Moreno-Vega");
    let last = run(tmp.path(), &PLAN, 0).await;
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
    no_secret(&v, &[&plan, &apply, &again, &json, &update, &last]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_domain_is_the_name_then_the_name_and_code_then_a_clear_failure() {
    // The name's domain belongs to someone else: the code is appended.
    let v = vendor().await;
    seed_meridian(&v).await;
    control(
        &v.sb,
        "/sandbox/pc/settings",
        &json!({"takenDomains": ["kentonelectronics.onmicrosoft.com"]}),
    )
    .await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let tenant = dir.join("customers/kenton-electronics/tenant.yaml");
    edit(&tenant, "  type: Standard", "  code: K7\n  type: Standard");
    run(tmp.path(), &APPLY, 0).await;
    let created = calls(&v.sb, "pc", "POST", "/v1/customers");
    assert_eq!(created.len(), 1, "{created:#?}");
    assert_eq!(
        created[0].body["companyProfile"]["domain"],
        "kentonelectronicsk7.onmicrosoft.com"
    );
    assert_eq!(
        calls(&v.sb, "pc", "HEAD", "/v1/domains/{domain}").len(),
        2,
        "name, then name + code"
    );
    let again = run(tmp.path(), &PLAN, 0).await;
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // Both taken: a clear failure naming both, and what to do.
    let v = vendor().await;
    seed_meridian(&v).await;
    control(
        &v.sb,
        "/sandbox/pc/settings",
        &json!({"takenDomains": ["kentonelectronics.onmicrosoft.com", "kentonelectronicsk7.onmicrosoft.com"]}),
    )
    .await;
    connect(&dir, &v);
    let failed = tenantry_in(tmp.path(), &APPLY).await;
    assert_eq!(failed.code, 1, "{}", failed.all());
    for needle in [
        "DomainUnavailable",
        "kentonelectronics.onmicrosoft.com and kentonelectronicsk7.onmicrosoft.com",
        "TTU",
    ] {
        assert!(
            failed.all().contains(needle),
            "{needle:?}: {}",
            failed.all()
        );
    }
    assert_eq!(
        state(&v).await["customers"].as_array().map(Vec::len),
        Some(1),
        "nothing created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_the_create_reuses_its_request_id_while_the_customer_is_not_usable() {
    let v = vendor().await;
    seed_meridian(&v).await;
    // New customers stay unusable (404) for the whole first part.
    control(
        &v.sb,
        "/sandbox/pc/settings",
        &json!({"usableAfterSeconds": 1_000_000_000u64}),
    )
    .await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let crashed = run_binary(tmp.path(), &APPLY, |command| {
        command
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN")
            .env("TENANTRY_CRASH", "create.sent:kenton-electronics-azure-ad");
    })
    .await;
    assert!(
        crashed.stderr.contains("crash point create.sent"),
        "{}",
        crashed.all()
    );
    assert_eq!(calls(&v.sb, "pc", "POST", "/v1/customers").len(), 1);
    // The rerun cannot see the customer (not usable yet) and its domain is taken (by it): it
    // sends the same MS-RequestId, and Partner Center answers with the same customer.
    let rerun = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve", "--wait", "1"],
        0,
    )
    .await;
    assert!(rerun.stdout.contains("waiting"), "{}", rerun.stdout);
    assert_eq!(
        calls(&v.sb, "pc", "POST", "/v1/customers").len(),
        2,
        "sent again"
    );
    let pc = state(&v).await;
    let kenton: Vec<&Value> = pc["customers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["companyProfile"]["domain"] == "kentonelectronics.onmicrosoft.com")
        .collect();
    assert_eq!(kenton.len(), 1, "one customer, not two: {pc:#}");
    assert_eq!(
        kenton[0]["createdBy"].as_array().map(Vec::len),
        Some(1),
        "one MS-RequestId"
    );
    assert!(
        kenton[0]["orders"].as_array().is_some_and(Vec::is_empty),
        "nothing ordered for a tenant not usable yet"
    );
    // Partner Center finishes: the next apply completes the rest and converges.
    control(&v.sb, "/sandbox/pc/settings", &json!({"makeUsable": true})).await;
    run(tmp.path(), &APPLY, 0).await;
    let last = run(tmp.path(), &PLAN, 0).await;
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);
    no_secret(&v, &[&crashed, &rerun, &last]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_lists_are_retried_and_pages_are_followed() {
    let v = vendor().await;
    seed_meridian(&v).await;
    // More customers than one page (100) of the adapter's list.
    for n in 0..120 {
        control(
            &v.sb,
            "/sandbox/pc/customers",
            &json!({"domain": format!("other{n}.onmicrosoft.com"), "companyName": format!("Other {n}")}),
        )
        .await;
    }
    control(&v.sb, "/sandbox/pc/settings", &json!({"throttleLists": 1})).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    let plan = run(tmp.path(), &PLAN, 2).await;
    let lists = calls(&v.sb, "pc", "GET", "/v1/customers");
    assert!(
        lists
            .iter()
            .any(|r| r.headers.iter().any(|h| h == "ms-continuationtoken")),
        "the second page asked with MS-ContinuationToken: {lists:#?}"
    );
    let first_pages = lists
        .iter()
        .filter(|r| !r.headers.iter().any(|h| h == "ms-continuationtoken"))
        .count();
    assert!(
        first_pages >= 2,
        "the throttled first page was asked again: {lists:#?}"
    );
    assert!(!plan.all().contains("error:"), "{}", plan.all());
    let applied = run(tmp.path(), &APPLY, 0).await;
    assert!(!applied.all().contains("error:"), "{}", applied.all());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_the_adapter_sent_agrees_with_the_vendor_description() {
    let v = vendor().await;
    seed_meridian(&v).await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v);
    run(tmp.path(), &APPLY, 0).await;
    edit(
        &dir.join("customers/meridian-dental/services.yaml"),
        "name: Dr. Alicia Moreno",
        "name: Dr. Alicia Moreno-Vega",
    );
    run(tmp.path(), &APPLY, 0).await;
    run(tmp.path(), &PLAN, 0).await;
    let doc: serde_yaml::Value = serde_yaml::from_str(include_str!(
        "specs/partner-center-v1-tenantry.derived.openapi.yaml"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let sent = v.sb.wire_requests("pc");
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
    for needed in [
        "HEAD /v1/domains/{domain}",
        "POST /v1/customers",
        "GET /v1/customers",
        "GET /v1/agreements",
        "POST /v1/customers/{customer-tenant-id}/agreements",
        "POST /v1/customers/{customer-tenant-id}/orders",
        "GET /v1/customers/{customer-tenant-id}/orders/{order-id}",
    ] {
        assert!(seen.contains(needed), "{needed} never sent: {seen:#?}");
    }
}

/// The controller's pipeline: the Tenant's customer on the contract, its azure-ad and
/// microsoft-online bindings through the built-in providers on the Partner Center emulator,
/// Ready, then quiet on the next reconciles.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_creates_attests_orders_and_then_stays_quiet() {
    use std::sync::Arc;
    use tenantry::api::{Declared, Portal, PortalConnection, SecretKey, Sensitive, ServiceBinding};
    use tenantry::controller::reconcile;

    use crate::controller::fixtures::{Harness, NS, from_json, ready, tenant};

    let v = vendor().await;
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals = vec![Portal::Daas];
    let t = ready(&t);
    let binding = |name: &str, service: Value| -> ServiceBinding {
        let mut spec = json!({"tenantRef": {"name": "kenton"}});
        if let (Some(m), Some(s)) = (spec.as_object_mut(), service.as_object()) {
            m.extend(s.clone());
        }
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
            "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"),
                         "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
            "spec": spec,
        }))
    };
    let aad = binding("kenton-aad", json!({"azureAD": {"mode": "CreateNew"}}));
    let m365 = binding("kenton-m365", json!({"microsoftOnline": {}}));
    let url = v.sb.url();
    let pc: PortalConnection = from_json(
        serde_yaml::from_str::<Value>(
            partner_connection(&v)
                .split("---")
                .next()
                .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let default: PortalConnection = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "default", "generation": 1},
        "spec": {"url": url, "delegates": [{"name": "partnercenter"}],
                 "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}}
    }));
    let (client_secret, refresh) = (v.client_secret.clone(), v.refresh_token.clone());
    let h = Harness::with_providers(
        v.sb,
        vec![t.clone()],
        // The store sees azure-ad Ready (a status the mock API server keeps to itself).
        vec![ready(&aad), m365.clone()],
        vec![default, pc],
    );
    let key = |name: &str, key: &str| SecretKey {
        namespace: "tenantry-system".to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    let mut declared = Declared::default();
    declared
        .secrets
        .insert(key("portal", "token"), Sensitive::new(canary("Token")));
    declared.secrets.insert(
        key("partnercenter-app", "clientSecret"),
        Sensitive::new(client_secret.clone()),
    );
    declared.secrets.insert(
        key("partnercenter-app", "refreshToken"),
        Sensitive::new(refresh.clone()),
    );
    h.api.add_secrets(&declared);
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = settle(&h, &aad).await;
    assert_eq!(
        status["observed"]["onmicrosoftDomain"], "kentonelectronics.onmicrosoft.com",
        "{status:#}"
    );
    let status = settle(&h, &m365).await;
    let text = status.to_string();
    assert!(!text.contains(&client_secret) && !text.contains(&refresh));
    let writes = |h: &Harness| {
        h.sandbox
            .wire_requests("pc")
            .iter()
            .filter(|r| r.method == "POST" || r.method == "PUT")
            .count()
    };
    let before = writes(&h);
    assert_eq!(before, 3, "a customer, an agreement, an order");
    for b in [&aad, &m365] {
        reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(
        writes(&h),
        before,
        "converged: no write on the next reconciles"
    );
}

fn condition(status: &Value, type_: &str) -> Value {
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .cloned()
        .unwrap_or_default()
}

/// Reconciles `b` until it is Ready (its operation polled on each pass); its last status.
async fn settle(
    h: &crate::controller::fixtures::Harness,
    b: &tenantry::api::ServiceBinding,
) -> Value {
    for _ in 0..20 {
        tenantry::controller::reconcile(
            std::sync::Arc::new(b.clone()),
            std::sync::Arc::clone(&h.ctx),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let status = h.api.last_status().unwrap_or_default();
        if condition(&status, "Ready")["status"] == "True" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not Ready: {:#}", h.api.last_status().unwrap_or_default());
}
