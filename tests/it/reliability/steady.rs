//! Steady state (issue 8, item 7), CLI side: after convergence, plans and applies make no
//! portal write even while every read answers with equivalent data (items and sets in
//! another order, e-mails, domains and enumerated values re-cased, extra server-only fields).

use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use super::writes;
use crate::support::{action_lines, examples_copy, sandbox, tenantry};

/// Every read of the portal answers with equivalent data.
pub fn equivalent_reads(seed: u64) -> FaultConfig {
    FaultConfig {
        seed: Some(seed),
        rules: vec![FaultRule {
            method: Some("GET".to_owned()),
            equivalent_data: 1.0,
            ..FaultRule::default()
        }],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_and_applies_after_convergence_write_nothing_under_equivalent_data() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, _) = examples_copy();
    let url = sb.url();
    let apply = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 0, "{}", apply.all());

    sb.set_faults(equivalent_reads(9));
    let mark = sb.requests().len();
    for _ in 0..2 {
        let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
        assert_eq!(plan.code, 0, "{}", plan.all());
        assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
        assert!(action_lines(&plan.stdout).is_empty(), "{}", plan.stdout);
    }
    let again = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    assert!(
        again.stdout.contains(" 0 writes, 0 retries."),
        "{}",
        again.stdout
    );

    let after = &sb.requests()[mark..];
    assert_eq!(writes(after), Vec::<String>::new(), "no portal write");
    assert!(!after.is_empty());
    assert!(
        after
            .iter()
            .all(|e| e.fault.as_deref() == Some("equivalentData")),
        "every read was answered with equivalent data"
    );
}
