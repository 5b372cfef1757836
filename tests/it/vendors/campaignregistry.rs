//! The Campaign Registry adapter against the sandbox's TCR emulator (`/tcr/v2`), through the
//! binary: the examples' 10DLC campaigns go to a `campaignRegistry` connection (the
//! checked-in example, pointed at the emulator), everything else (the SMS numbers included)
//! to the contract. Campaigns are registered "by hand" through the emulator's controls, as a
//! person does in the TCR portal; tenantry only reads TCR.

use std::path::Path;

use serde_json::{Value, json};
use tenantry::sandbox::{Sandbox, SandboxConfig, WireRequest};

use super::{control, run, spec_check};
use crate::canary::canary;
use crate::seam::{secret_manifest, write};
use crate::support::{
    Run, action_lines, edit, example_secrets, examples_copy, sandbox, tenantry_in,
};

/// The campaign both US SMS bindings of the examples name.
const CAMPAIGN: &str = "CA1B2C3";
const KEY: &str = "EXAMPLEAPIKEY0000";

struct Vendor {
    sb: Sandbox,
    secret: String,
}

/// A sandbox whose TCR emulator knows one API key, with the examples' campaign registered in
/// the TCR portal by a person: its brand verified, the campaign shared and PENDING.
async fn vendor() -> Vendor {
    let secret = canary("TcrSecret");
    let sb = sandbox(SandboxConfig::default().with_tcr_api_key(KEY, secret.clone())).await;
    let v = Vendor { sb, secret };
    brand(&v, "BKENTON", Some("VERIFIED")).await;
    control(
        &v.sb,
        "/sandbox/tcr/campaigns",
        &json!({"campaignId": CAMPAIGN, "brandId": "BKENTON", "description": "Order updates"}),
    )
    .await;
    v
}

async fn brand(v: &Vendor, id: &str, identity: Option<&str>) {
    control(
        &v.sb,
        "/sandbox/tcr/brands",
        &json!({"brandId": id, "displayName": "Kenton Electronics", "identityStatus": identity}),
    )
    .await;
}

/// The examples with `default` (contract) delegating apps/campaigns to the example TCR
/// connection, its URL and Secret values replaced with the emulator's; `secret` is the API
/// secret the connection sends.
fn connect(dir: &Path, v: &Vendor, secret: &str) {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/connections/campaignregistry.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let tcr = example
        .replace(
            "https://csp-api.campaignregistry.com/v2",
            &format!("{}/tcr/v2", v.sb.url()),
        )
        .replace("example-api-secret-0000", secret);
    let token = canary("Token");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  portals: [daas, contactcenter, teammate, apps, cloudlink]\n  delegates: [{{name: campaignregistry}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}---\n{tcr}",
        v.sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
    );
    write(&dir.join("connection.yaml"), &text);
}

fn tcr_calls(v: &Vendor) -> Vec<WireRequest> {
    v.sb.wire_requests("tcr")
}

/// The connectivity partner's (and carriers') review of the campaign.
async fn review(v: &Vendor, outcome: &str, explanation: Option<&str>) {
    control(
        &v.sb,
        "/sandbox/tcr/sharing",
        &json!({"campaignId": CAMPAIGN, "sharingStatus": outcome, "explanation": explanation}),
    )
    .await;
}

fn no_secret(v: &Vendor, runs: &[&Run]) {
    let mut secrets = example_secrets();
    secrets.push(v.secret.clone());
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

/// The pending entry of the plan JSON whose address contains `part`.
fn pending(plan_json: &str, part: &str) -> Option<Value> {
    let doc: Value = serde_json::from_str(plan_json).unwrap_or_else(|e| panic!("{e}: {plan_json}"));
    doc["pending"]
        .as_array()?
        .iter()
        .find(|p| p.to_string().contains(part))
        .cloned()
}

fn phase(plan_json: &str, part: &str) -> Option<String> {
    pending(plan_json, part).and_then(|p| p["phase"].as_str().map(str::to_owned))
}

/// The SMS numbers the contract's apps portal holds for the examples.
async fn sms_numbers(v: &Vendor) -> Vec<String> {
    let listed = crate::sandbox::Client::new(&v.sb)
        .get("/v1/apps/sms-numbers")
        .await
        .body;
    listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["externalRef"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_us_sms_number_waits_for_carrier_approval_then_is_bound_and_converges() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v, &v.secret.clone());

    // The campaign exists in TCR (registered by hand): it is observed, not created.
    let plan = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 2).await;
    assert_eq!(
        phase(&plan.stdout, "10dlc/CA1B2C3").as_deref(),
        Some("AwaitingCarrierApproval"),
        "{}",
        plan.stdout
    );
    let apply = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    assert!(
        apply.stdout.contains("AwaitingCarrierApproval"),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("days"), "{}", apply.stdout);
    let bound = sms_numbers(&v).await;
    assert!(
        !bound
            .iter()
            .any(|r| r.contains("kenton") || r.contains("meridian")),
        "no US number is bound while its campaign waits: {bound:?}"
    );
    // Still waiting: the two US numbers are still to create, nothing else.
    let waiting = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    let actions = action_lines(&waiting.stdout);
    assert_eq!(actions.len(), 2, "{}", waiting.stdout);
    assert!(
        actions.iter().all(|a| a.starts_with("+ apps/sms-numbers")),
        "{actions:?}"
    );

    // The partner and the carriers accept (days later): the numbers are bound.
    review(&v, "ACCEPTED", None).await;
    let bind = run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let bound = sms_numbers(&v).await;
    for part in ["kenton-electronics-sms", "meridian-dental-sms"] {
        assert!(bound.iter().any(|r| r.ends_with(part)), "{part}: {bound:?}");
    }
    let converged = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(
        converged.stdout.contains("No changes."),
        "{}",
        converged.stdout
    );

    // One edited field of an SMS binding is one update of its number; the campaign is left.
    edit(
        &dir.join("customers/kenton-electronics/services.yaml"),
        "licenseType: Standard\n    campaignId",
        "licenseType: Professional\n    campaignId",
    );
    let edited = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    let actions = action_lines(&edited.stdout);
    assert_eq!(actions.len(), 1, "{}", edited.stdout);
    assert!(
        actions[0].starts_with("~ apps/sms-numbers customers/kenton-electronics-sms"),
        "{actions:?}"
    );
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    let last = run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    assert!(last.stdout.contains("No changes."), "{}", last.stdout);

    // tenantry only reads TCR: it never registers, edits or deactivates a campaign.
    let writes: Vec<_> = tcr_calls(&v)
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    no_secret(
        &v,
        &[&plan, &apply, &waiting, &bind, &converged, &edited, &last],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn declined_expired_suspended_and_unverified_campaigns_say_what_to_do() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v, &v.secret.clone());
    let plan_json = || run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 2);

    // The partner declines, with feedback: a failure carrying it, and no number is bound.
    review(
        &v,
        "DECLINED",
        Some("sample messages lack opt-out language"),
    )
    .await;
    let declined = plan_json().await;
    let entry = pending(&declined.stdout, "10dlc/CA1B2C3").unwrap_or_default();
    assert_eq!(entry["phase"], "Failed", "{}", declined.stdout);
    let text = entry.to_string();
    for needle in [
        "CampaignDeclined",
        "sample messages lack opt-out language",
        "resubmit it in the TCR portal",
    ] {
        assert!(text.contains(needle), "{needle:?}: {text}");
    }
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert!(
        !sms_numbers(&v).await.iter().any(|r| r.contains("kenton")),
        "a declined campaign binds no number: {}",
        apply.all()
    );
    assert!(apply.all().contains("CampaignDeclined"), "{}", apply.all());

    // Resubmitted (PENDING again), accepted, then a carrier suspends it: it waits again.
    review(&v, "PENDING", None).await;
    review(&v, "ACCEPTED", None).await;
    control(
        &v.sb,
        "/sandbox/tcr/campaign-state",
        &json!({"campaignId": CAMPAIGN, "suspended": true}),
    )
    .await;
    let suspended = plan_json().await;
    let entry = pending(&suspended.stdout, "10dlc/CA1B2C3").unwrap_or_default();
    assert_eq!(entry["phase"], "AwaitingCarrierApproval", "{entry:#}");

    // Expired: terminal, with the way out.
    control(
        &v.sb,
        "/sandbox/tcr/campaign-state",
        &json!({"campaignId": CAMPAIGN, "suspended": false, "expired": true}),
    )
    .await;
    let expired = plan_json().await;
    let text = pending(&expired.stdout, "10dlc/CA1B2C3")
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("CampaignExpired"), "{text}");
    assert!(text.contains("spec.sms.campaignId"), "{text}");

    // A brand TCR could not verify may not run campaigns; one still being scored waits.
    control(
        &v.sb,
        "/sandbox/tcr/campaigns",
        &json!({"campaignId": CAMPAIGN, "brandId": "BKENTON", "sharingStatus": "ACCEPTED"}),
    )
    .await;
    brand(&v, "BKENTON", Some("UNVERIFIED")).await;
    let unverified = plan_json().await;
    let text = pending(&unverified.stdout, "10dlc/CA1B2C3")
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("BrandUnverified"), "{text}");
    brand(&v, "BKENTON", None).await;
    let scoring = plan_json().await;
    assert_eq!(
        phase(&scoring.stdout, "10dlc/CA1B2C3").as_deref(),
        Some("AwaitingCarrierApproval"),
        "{}",
        scoring.stdout
    );
    no_secret(
        &v,
        &[
            &declined,
            &apply,
            &suspended,
            &expired,
            &unverified,
            &scoring,
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_campaign_id_names_the_binding_field() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v, &v.secret.clone());
    edit(
        &dir.join("customers/kenton-electronics/services.yaml"),
        "campaignId: CA1B2C3",
        "campaignId: CZZZ999",
    );
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 2).await;
    assert!(
        plan.stdout.contains("+ apps/campaigns 10dlc/CZZZ999"),
        "{}",
        plan.stdout
    );
    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_ne!(apply.code, 0, "{}", apply.all());
    for needle in ["CampaignNotFound", "CZZZ999", "spec.sms.campaignId"] {
        assert!(apply.all().contains(needle), "{needle:?}: {}", apply.all());
    }
    no_secret(&v, &[&plan, &apply]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_api_secret_is_refused_once_and_named() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    let wrong = canary("WrongSecret");
    connect(&dir, &v, &wrong);
    let plan = run(tmp.path(), &["plan", "-f", "examples/"], 1).await;
    for needle in ["campaignregistry", "401", "spec.auth.apiKey"] {
        assert!(plan.stderr.contains(needle), "{needle:?}: {}", plan.stderr);
    }
    assert!(!plan.all().contains(&wrong), "{}", plan.all());
    let refused = tcr_calls(&v);
    assert_eq!(refused.len(), 1, "a refusal is not retried: {refused:#?}");
    assert_eq!(refused[0].auth_scheme.as_deref(), Some("Basic"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_the_adapter_sent_agrees_with_the_vendor_description() {
    let v = vendor().await;
    let (tmp, dir) = examples_copy();
    connect(&dir, &v, &v.secret.clone());
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    review(&v, "ACCEPTED", None).await;
    run(
        tmp.path(),
        &["apply", "-f", "examples/", "--auto-approve"],
        0,
    )
    .await;
    run(tmp.path(), &["plan", "-f", "examples/"], 0).await;
    let doc: serde_yaml::Value =
        serde_yaml::from_str(include_str!("specs/tcr-csp-api.subset.openapi.json"))
            .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for req in &tcr_calls(&v) {
        match spec_check::problems(&doc, req) {
            Some(p) => problems.extend(p),
            None => panic!("{} {} is not in the description", req.method, req.path),
        }
        seen.insert(format!("{} {}", req.method, req.path));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    for op in [
        "GET /campaign",
        "GET /brand/{brandId}",
        "GET /campaign/{campaignId}/sharing",
        "GET /campaign/{campaignId}/operationStatus",
    ] {
        assert!(seen.contains(op), "{op} not exercised: {seen:?}");
    }
}

/// The controller's pipeline: a US SMS binding reconciled through the built-in providers, its
/// campaign read from the emulator: Progressing `AwaitingCarrierApproval` while the campaign is
/// pending, then Ready once accepted, then quiet.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_waits_for_carrier_approval_then_is_ready_and_converged() {
    use std::sync::Arc;
    use tenantry::api::{Declared, PortalConnection, SecretKey, Sensitive, ServiceBinding, Tenant};
    use tenantry::controller::reconcile;

    use crate::controller::fixtures::{Harness, NS, from_json, ready, tenant};

    let v = vendor().await;
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals.push(tenantry::api::Portal::Apps);
    let t: Tenant = ready(&t);
    let b: ServiceBinding = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-sms", "namespace": NS, "uid": "uid-kenton-sms",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"},
                 "sms": {"did": "+15555550101", "licenseType": "Standard", "campaignId": CAMPAIGN}}
    }));
    let url = v.sb.url();
    let connections: Vec<PortalConnection> = vec![
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "default", "generation": 1},
            "spec": {"url": url, "portals": ["daas", "contactcenter", "teammate", "apps", "cloudlink"],
                     "delegates": [{"name": "campaignregistry"}],
                     "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}}
        })),
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "campaignregistry", "generation": 1},
            "spec": {"api": "campaignRegistry", "url": format!("{url}/tcr/v2"), "portals": ["apps"],
                     "auth": {"apiKey": {
                        "keyRef": {"namespace": "tenantry-system", "name": "tcr", "key": "apiKey"},
                        "secretRef": {"namespace": "tenantry-system", "name": "tcr", "key": "apiSecret"}}}}
        })),
    ];
    let secret = v.secret.clone();
    let Vendor { sb, .. } = v;
    let h = Harness::with_providers(sb, vec![t], vec![b.clone()], connections);
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
        .insert(key("tcr", "apiKey"), Sensitive::new(KEY.to_owned()));
    declared
        .secrets
        .insert(key("tcr", "apiSecret"), Sensitive::new(secret.clone()));
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
    assert_eq!(
        progressing["reason"], "AwaitingCarrierApproval",
        "{status:#}"
    );
    assert_eq!(condition(&status, "Ready")["status"], "False", "{status:#}");
    assert!(!status.to_string().contains(&secret));

    // The partner and the carriers accept; the next reconcile binds the number: Ready.
    let answer = crate::sandbox::Client::new(&h.sandbox)
        .post(
            "/sandbox/tcr/sharing",
            &json!({"campaignId": CAMPAIGN, "sharingStatus": "ACCEPTED"}),
        )
        .await;
    assert!(answer.status.is_success(), "{:#}", answer.body);
    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = h.api.last_status().unwrap_or_else(|| panic!("a status"));
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status:#}");
    let writes = |h: &Harness| {
        h.sandbox
            .requests()
            .iter()
            .filter(|r| r.method != "GET")
            .count()
    };
    let before = writes(&h);
    reconcile(Arc::new(b.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        writes(&h),
        before,
        "converged: no write on the next reconcile"
    );
    assert!(
        h.sandbox
            .wire_requests("tcr")
            .iter()
            .all(|r| r.method == "GET"),
        "TCR is only read"
    );
}
