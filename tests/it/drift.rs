//! Drift policy through the binary (issue 17): a hand change in the portal under each
//! `driftPolicy`, and an accepted deviation that holds until it expires.

use std::path::Path;

use serde_json::{Value, json};
use tenantry::sandbox::{Sandbox, SandboxConfig};

use crate::sandbox::Client;
use crate::support::{Run, edit, examples_copy, sandbox, tenantry};

const TENANT: &str = "customers/kenton-electronics/tenant.yaml";
const CUSTOMERS: &str = "/v1/daas/customers";
const KENTON: &str = "customers/kenton-electronics";

/// Kenton's customer as the portal holds it.
async fn customer(client: &Client) -> Value {
    let list = client
        .get(&format!("{CUSTOMERS}?externalRef={KENTON}"))
        .await;
    list.expect(200)["items"][0].clone()
}

/// A person changes Kenton's billing id in the portal.
async fn change_by_hand(sb: &Sandbox, billing_id: &str) {
    let client = Client::new(sb);
    let object = customer(&client).await;
    let mut spec = object["spec"].clone();
    spec["billingId"] = json!(billing_id);
    let id = object["id"].as_str().unwrap_or_default();
    client
        .put(&format!("{CUSTOMERS}/{id}"), &json!({"spec": spec}))
        .await
        .expect(200);
}

async fn billing_id(sb: &Sandbox) -> Value {
    customer(&Client::new(sb)).await["spec"]["billingId"].clone()
}

/// The examples applied with Kenton's `driftPolicy` set, then its billing id changed by hand.
async fn drifted(policy: &str) -> (Sandbox, tempfile::TempDir, std::path::PathBuf) {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    edit(
        &dir.join(TENANT),
        "  billingId: RQ-10042\n",
        &format!("  billingId: RQ-10042\n  driftPolicy: {policy}\n"),
    );
    let first = apply(tmp.path(), &sb).await;
    assert_eq!(first.code, 0, "{}", first.all());
    // The second apply records what converged since (async objects, consent).
    apply(tmp.path(), &sb).await;
    change_by_hand(&sb, "HAND-1").await;
    (sb, tmp, dir)
}

async fn apply(dir: &Path, sb: &Sandbox) -> Run {
    tenantry(
        dir,
        &sb.url(),
        &[
            "apply",
            "-f",
            "examples/",
            "--auto-approve",
            "--notify=print",
        ],
    )
    .await
}

async fn plan_json(dir: &Path, sb: &Sandbox) -> Value {
    let run = tenantry(dir, &sb.url(), &["plan", "-f", "examples/", "-o", "json"]).await;
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.all()))
}

/// The plan's drift entries for Kenton's customer.
fn kenton_drift(plan: &Value) -> Vec<Value> {
    plan["drift"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["externalRef"] == KENTON)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn remediate_writes_the_hand_change_back_once() {
    let (sb, tmp, _) = drifted("Remediate").await;
    let plan = plan_json(tmp.path(), &sb).await;
    let drift = kenton_drift(&plan);
    assert_eq!(drift.len(), 1, "{plan:#}");
    assert_eq!(drift[0]["field"], "billingId");
    assert_eq!(drift[0]["declared"], "RQ-10042");
    assert_eq!(drift[0]["observed"], "HAND-1");
    assert_eq!(drift[0]["remediated"], true);
    let text = tenantry(tmp.path(), &sb.url(), &["plan", "-f", "examples/"]).await;
    assert!(
        text.stdout
            .contains("Drift (changed in the portals by hand):"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("driftPolicy Remediate: this plan writes it back"),
        "{}",
        text.stdout
    );

    let fix = apply(tmp.path(), &sb).await;
    assert!(
        fix.stdout.contains("1 done, 0 waiting, 0 failed"),
        "{}",
        fix.all()
    );
    assert_eq!(billing_id(&sb).await, "RQ-10042");
    // Written once: the next apply has nothing to do.
    let again = apply(tmp.path(), &sb).await;
    assert!(
        again.stdout.contains("Apply finished: nothing to do. "),
        "{}",
        again.all()
    );
    assert!(kenton_drift(&plan_json(tmp.path(), &sb).await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_and_report_report_the_drift_and_never_write() {
    for policy in ["Alert", "Report"] {
        let (sb, tmp, _) = drifted(policy).await;
        let plan = plan_json(tmp.path(), &sb).await;
        let drift = kenton_drift(&plan);
        assert_eq!(drift.len(), 1, "{policy}: {plan:#}");
        assert_eq!(drift[0]["policy"], policy);
        assert_eq!(drift[0]["remediated"], false);
        assert!(
            plan["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|a| a["externalRef"] != KENTON),
            "{policy}: no action for the drifted customer: {plan:#}"
        );
        for _ in 0..2 {
            let run = apply(tmp.path(), &sb).await;
            assert_eq!(run.code, 0, "{policy}: {}", run.all());
            assert!(
                run.stdout
                    .contains("No changes to apply; the drift below is left as its policy says."),
                "{policy}: {}",
                run.stdout
            );
            let notified = run
                .stderr
                .lines()
                .any(|l| l.contains("\"Drift\"") && l.contains("billingId"));
            assert_eq!(notified, policy == "Alert", "{policy}: {}", run.stderr);
        }
        assert_eq!(billing_id(&sb).await, "HAND-1", "{policy} never writes");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_accepted_deviation_hides_the_drift_until_it_expires() {
    let (sb, tmp, dir) = drifted("Remediate").await;
    let accept = |expires: &str| {
        format!(
            "  driftPolicy: Remediate\n  acceptedDeviations:\n    - field: billingId\n      kind: daas/customers\n      value: HAND-1\n      reason: finance moved the account (TICKET-7)\n      expires: \"{expires}\"\n"
        )
    };
    edit(
        &dir.join(TENANT),
        "  driftPolicy: Remediate\n",
        &accept("2099-01-01"),
    );
    let plan = plan_json(tmp.path(), &sb).await;
    assert!(kenton_drift(&plan).is_empty(), "{plan:#}");
    let accepted = &plan["acceptedDeviations"];
    assert_eq!(accepted[0]["field"], "billingId", "{plan:#}");
    assert_eq!(
        accepted[0]["reason"],
        "finance moved the account (TICKET-7)"
    );
    let run = apply(tmp.path(), &sb).await;
    assert!(
        run.stdout.contains("Apply finished: nothing to do. "),
        "{}",
        run.all()
    );
    assert!(
        run.stdout
            .contains("Accepted deviations (not drift until they expire):"),
        "{}",
        run.stdout
    );
    assert_eq!(billing_id(&sb).await, "HAND-1");

    // Expired: drift again, and it says why.
    edit(
        &dir.join(TENANT),
        "expires: \"2099-01-01\"",
        "expires: \"2020-01-01\"",
    );
    let plan = plan_json(tmp.path(), &sb).await;
    let drift = kenton_drift(&plan);
    assert_eq!(drift.len(), 1, "{plan:#}");
    assert_eq!(drift[0]["deviationExpired"], "2020-01-01T00:00:00Z");
    let text = tenantry(tmp.path(), &sb.url(), &["plan", "-f", "examples/"]).await;
    assert!(
        text.stdout
            .contains("(its accepted deviation expired at 2020-01-01T00:00:00Z)"),
        "{}",
        text.stdout
    );
    apply(tmp.path(), &sb).await;
    assert_eq!(
        billing_id(&sb).await,
        "RQ-10042",
        "Remediate once the deviation expired"
    );
}
