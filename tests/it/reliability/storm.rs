//! The 429 storm (issue 8, item 6): while the sandbox answers 429 with `Retry-After` to every
//! request, `tenantry apply` on three tenants waits out every pause, stays within its
//! connection's budget, and converges afterwards.

use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use super::{Budget, declare_connection, inside_retry_after, peak_per_second};
use crate::support::tenantry_in;
use crate::support::{examples_copy, sandbox};

const BUDGET: Budget = Budget {
    rps: 20,
    burst: 5,
    concurrency: 4,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_is_waited_out_within_the_budget_and_converges() {
    // Every request is refused until twelve 429s were sent: three waves of four in flight.
    let storm = FaultConfig {
        seed: Some(1),
        rules: vec![FaultRule {
            rate_limit: 1.0,
            retry_after_seconds: 1,
            times: Some(12),
            ..FaultRule::default()
        }],
    };
    let sb = sandbox(SandboxConfig::default().with_faults(storm)).await;
    let (tmp, dir) = examples_copy();
    declare_connection(&dir, &sb.url(), "storm-token", BUDGET);

    let apply = tenantry_in(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(apply.stdout.contains(" 0 failed"), "{}", apply.stdout);

    let log = sb.requests();
    let callers: std::collections::BTreeSet<_> = log.iter().map(|e| e.caller.clone()).collect();
    assert_eq!(callers.len(), 1, "one client, one identity: {callers:?}");
    let limited = log.iter().filter(|e| e.status == Some(429)).count();
    assert_eq!(limited, 12, "the storm happened");

    // Retry-After honoured: a request that arrives inside a pause can only be one that was
    // already in flight when the 429 came back — at most the connection's other slots.
    for (seq, early) in inside_retry_after(&log) {
        assert!(
            early.len() < BUDGET.concurrency as usize,
            "request(s) {early:?} arrived inside the Retry-After of 429 #{seq}"
        );
    }
    // The token bucket holds through the storm and the catch-up after it.
    let peak = peak_per_second(&log);
    assert!(
        peak <= BUDGET.per_second(),
        "{peak} requests within one second; the budget admits {}",
        BUDGET.per_second()
    );

    sb.set_faults(FaultConfig::default());
    let plan = tenantry_in(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 0, "converged: {}", plan.all());
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}
