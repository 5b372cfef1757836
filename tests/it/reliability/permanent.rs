//! Permanent refusals (400/403/422, issue 8 item 6): never retried within a call, reported
//! in the apply output and the controller's condition, and retried only slowly — one attempt
//! per apply run or per (long, growing) controller requeue. The request log counts them.

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;
use tenantry::controller::{error_policy, reconcile};
use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use crate::controller::fixtures::{Harness, tenant};
use crate::support::{examples_copy, sandbox, tenantry};

fn refuse(portal: &str, kind: &str, statuses: Vec<u16>) -> FaultConfig {
    FaultConfig {
        seed: Some(4),
        rules: vec![FaultRule {
            method: Some("POST".to_owned()),
            portal: Some(portal.to_owned()),
            kind: Some(kind.to_owned()),
            client_error: 1.0,
            client_error_statuses: statuses,
            ..FaultRule::default()
        }],
    }
}

fn posts(sb: &tenantry::sandbox::Sandbox, route: &str) -> usize {
    sb.requests()
        .iter()
        .filter(|e| e.method == "POST" && e.route == route)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_refusals_are_reported_and_attempted_once_per_apply() {
    let sb = sandbox(SandboxConfig::default().with_faults(refuse(
        "daas",
        "customers",
        vec![400, 403, 422],
    )))
    .await;
    let (tmp, _) = examples_copy();
    let url = sb.url();
    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", "json"]).await;
    let plan: serde_json::Value =
        serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}: {}", plan.stdout));
    let customers = plan["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["portal"] == "daas" && a["kind"] == "customers")
        .count();
    assert!(customers >= 2, "{plan}");

    for run in 1..=2 {
        let apply = tenantry(
            tmp.path(),
            &url,
            &["apply", "-f", "examples/", "--auto-approve"],
        )
        .await;
        assert_eq!(apply.code, 1, "{}", apply.all());
        let refused: Vec<&str> = apply
            .stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("create daas/customers/"))
            .filter(|l| {
                ["(InvalidRequest)", "(Forbidden)", "(InvalidField)"]
                    .iter()
                    .any(|code| l.contains(&format!("failed {code}")))
            })
            .collect();
        assert!(refused.len() >= customers, "{}", apply.stdout);
        assert!(apply.stdout.contains(" 0 retries."), "{}", apply.stdout);
        // One attempt per customer per run; nothing that depends on a customer is tried.
        assert_eq!(posts(&sb, "/v1/daas/customers"), customers * run);
        assert_eq!(posts(&sb, "/v1/daas/admins"), 0);
    }
}

#[tokio::test]
async fn the_controller_reports_a_refusal_and_retries_it_slowly() {
    let t = tenant("kenton", "Apply", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    h.sandbox
        .set_faults(refuse("cloudlink", "accounts", vec![403]));

    let mut delays = Vec::new();
    for attempt in 1..=3 {
        let err = reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), "Forbidden", "{err}");
        assert!(!err.is_transient());
        assert_eq!(posts(&h.sandbox, "/v1/cloudlink/accounts"), attempt);
        delays.push(error_policy(Arc::new(t.clone()), &err, Arc::clone(&h.ctx)));
        let status = h.api.last_status().expect("status");
        let synced = status["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "Synced"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(synced["status"], "False");
        assert_eq!(synced["reason"], "Forbidden");
    }
    // A minute, then two, then four: slow, and slower each time.
    let minutes = |m: u64| Action::requeue(Duration::from_secs(60 * m));
    assert_eq!(delays, vec![minutes(1), minutes(2), minutes(4)]);
}
