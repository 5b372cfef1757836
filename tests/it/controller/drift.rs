//! Drift in the controller (issue 17): a hand change in the portal sets `Drifted` with the
//! field, the declared and the held value; Remediate writes it back once, Alert and Report
//! never write; the drift gauge counts it per portal.

use std::sync::Arc;

use serde_json::json;
use tenantry::api::{DriftPolicy, Tenant};
use tenantry::controller::reconcile;

use super::fixtures::*;
use crate::sandbox::Client;

const ACCOUNTS: &str = "/v1/cloudlink/accounts";

/// Reconciles the Tenant as the API server holds it now (with the status last patched).
async fn reconcile_stored(h: &Harness) {
    let stored: Tenant = h
        .api
        .get(NS, "kenton")
        .unwrap_or_else(|| panic!("kenton stored"));
    if let Err(e) = reconcile(Arc::new(stored), Arc::clone(&h.ctx)).await {
        panic!("reconcile: {e}");
    }
}

/// A person changes the account's business type in the portal.
async fn change_by_hand(h: &Harness) {
    let client = Client::new(&h.sandbox);
    let list = client
        .get(&format!("{ACCOUNTS}?externalRef=customers/kenton"))
        .await;
    let object = list.expect(200)["items"][0].clone();
    let mut spec = object["spec"].clone();
    spec["businessType"] = json!("Retail");
    let id = object["id"].as_str().unwrap_or_default();
    client
        .put(&format!("{ACCOUNTS}/{id}"), &json!({"spec": spec}))
        .await
        .expect(200);
}

/// Kenton applied under `policy`, then changed by hand: the harness and its write count.
async fn drifted(policy: DriftPolicy) -> (Harness, usize) {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.drift_policy = policy;
    let h = Harness::start(vec![t], vec![], vec![]).await;
    reconcile_stored(&h).await;
    let status = h.api.last_status().unwrap_or_default();
    let applied = status["applied"]["cloudlink/accounts/customers/kenton"]
        .as_str()
        .unwrap_or_default();
    assert!(
        applied
            .split(' ')
            .any(|pair| pair.starts_with("businessType=")),
        "the status records what was applied: {status:#}"
    );
    assert!(
        !applied.contains("Manufacturing"),
        "digests, never values: {applied}"
    );
    assert_eq!(
        condition(&status, "Drifted")["status"],
        "False",
        "{status:#}"
    );
    change_by_hand(&h).await;
    let writes = h.portal_writes().len();
    (h, writes)
}

#[tokio::test]
async fn alert_and_report_set_drifted_and_never_write() {
    for policy in [DriftPolicy::Alert, DriftPolicy::Report] {
        let (h, writes) = drifted(policy).await;
        for _ in 0..2 {
            reconcile_stored(&h).await;
        }
        let status = h.api.last_status().unwrap_or_default();
        let drifted = condition(&status, "Drifted");
        assert_eq!(drifted["status"], "True", "{policy:?}: {status:#}");
        assert_eq!(drifted["reason"], "ChangedInPortal");
        assert!(
            drifted["message"]
                .as_str()
                .unwrap_or_default()
                .contains("cloudlink/accounts/customers/kenton businessType"),
            "{drifted:#}"
        );
        let drift = &status["drift"][0];
        assert_eq!(
            (
                &drift["field"],
                &drift["declared"],
                &drift["observed"],
                &drift["policy"]
            ),
            (
                &json!("businessType"),
                &json!("\"Manufacturing\""),
                &json!("\"Retail\""),
                &json!(policy.as_str())
            ),
            "{status:#}"
        );
        assert_eq!(h.portal_writes().len(), writes, "{policy:?} never writes");
        let metrics = h.ctx.metrics.encode();
        let gauge = format!(
            "tenantry_drifted_fields{{portal=\"cloudlink\",policy=\"{}\"}} 1",
            policy.as_str()
        );
        assert!(metrics.contains(&gauge), "{metrics}");
    }
}

#[tokio::test]
async fn remediate_writes_the_hand_change_back_once() {
    let (h, writes) = drifted(DriftPolicy::Remediate).await;
    reconcile_stored(&h).await;
    assert_eq!(
        h.portal_writes().len(),
        writes + 1,
        "one update puts the portal back: {:#?}",
        h.portal_writes()
    );
    // The reconcile re-plans after writing: converged, not drifted.
    let status = h.api.last_status().unwrap_or_default();
    assert_eq!(
        condition(&status, "Drifted")["status"],
        "False",
        "{status:#}"
    );
    reconcile_stored(&h).await;
    assert_eq!(h.portal_writes().len(), writes + 1, "written once");
    let metrics = h.ctx.metrics.encode();
    assert!(
        metrics.contains("tenantry_drift_remediations_total{portal=\"cloudlink\"} 1"),
        "{metrics}"
    );
    let events: Vec<String> = h
        .api
        .calls()
        .iter()
        .filter(|c| c.body["reason"] == "DriftRemediated")
        .map(|c| c.body["note"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "put cloudlink/accounts/customers/kenton businessType back to its declared value (it was changed in the portal by hand)"
        ]
    );
}
