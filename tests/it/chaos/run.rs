//! The CI-sized chaos run: a few tenants, 20 % injected faults, SIGKILLed applies, re-applies
//! until converged; no duplicate, one portal object per declared resource, no manual step.

use std::path::PathBuf;

use tenantry::chaos::{Settings, run};

/// Tenants of the CI run: every kind of resource, a few seconds per apply on 2 cores.
const TENANTS: usize = 12;

/// `CHAOS_SEED` replays a run; otherwise every run draws a new seed (printed on failure).
fn seed() -> u64 {
    std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_applies_under_faults_converge_without_duplicates() {
    let seed = seed();
    let replay = format!("replay with: CHAOS_SEED={seed} cargo test --test it chaos::run");
    eprintln!("chaos seed {seed}; {replay}");
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let settings = Settings {
        tenants: TENANTS,
        seed,
        kills: 3,
        fault_share: 0.2,
        latency_ms: 0,
        parallelism: 8,
        max_applies: 6,
        tenantry: PathBuf::from(env!("CARGO_BIN_EXE_tenantry")),
        work: work.path().to_path_buf(),
    };
    let report = run(&settings)
        .await
        .unwrap_or_else(|e| panic!("seed {seed}: {e:#}\n{replay}"));
    eprintln!("{}", report.markdown());
    // The guarantees: no duplicate, and one portal object per declared resource.
    if let Err(problem) = report.check() {
        panic!("{problem}\n{}\n{replay}", report.markdown());
    }
    assert_eq!(report.duplicates(), 0, "{replay}");
    // The run itself fails unless `plan` ends empty with only applies in between (0 manual
    // steps); check that the run really was chaotic.
    assert!(report.kills() >= 1, "no apply was killed\n{replay}");
    assert!(
        report.traffic.total_faults() > 0,
        "no fault was injected\n{replay}"
    );
}
