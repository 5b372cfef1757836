//! Two `tenantry apply` processes on the same repository at once, against one sandbox whose
//! latency makes them overlap: both finish, no duplicate, and the portals converge. Once with
//! a generated repository (identical bodies: identical idempotency keys) and once with
//! examples/, whose `generatePassword` objects get a different password in each process (so
//! different keys: the second create meets `409 ExternalRefExists` and adopts).
//!
//! No lock is taken (RELIABILITY.md, "Concurrent applies"): both processes derive the same
//! idempotency key for the same create, the portal keeps one object per externalRef and kind,
//! and a create answered `409 ExternalRefExists` adopts the object the other process made.

use std::path::{Path, PathBuf};

use tenantry::generate::{GenOptions, generate};
use tenantry::sandbox::{FaultConfig, FaultRule, Fixtures, LoggedRequest, Sandbox, SandboxConfig};

use tenantry::chaos::census;
use tenantry::chaos::process::{Cli, Ended};

const TENANTS: usize = 8;
/// Latency of every request, so that the two runs overlap for a second or more.
const LATENCY_MS: u64 = 50;

fn repo(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for f in generate(&GenOptions {
        tenants: TENANTS,
        seed: 7,
        namespace: "customers".to_owned(),
    }) {
        std::fs::write(dir.join(&f.name), &f.yaml).unwrap_or_else(|e| panic!("write: {e}"));
    }
}

/// What the two applies left behind.
struct Outcome {
    sandbox: Sandbox,
    log: Vec<LoggedRequest>,
}

/// Starts two applies of `repo` at once, checks that both finished cleanly and that the
/// portals converged with one object per declared resource and no duplicate.
async fn two_applies(repo: PathBuf) -> Outcome {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = tmp.path().join("sandbox.db");
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .with_db(db.to_string_lossy().into_owned())
            .with_fixtures(Fixtures::demo())
            .with_faults(FaultConfig {
                seed: Some(7),
                rules: vec![FaultRule {
                    latency_ms: LATENCY_MS,
                    ..FaultRule::default()
                }],
            }),
    )
    .await
    .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let cli = Cli {
        bin: env!("CARGO_BIN_EXE_tenantry").into(),
        repo,
        url: sandbox.url(),
        parallelism: 8,
        logs,
    };

    let (a, b) = (cli.clone(), cli.clone());
    let (first, second) = tokio::join!(
        tokio::task::spawn_blocking(move || a.apply(1, None)),
        tokio::task::spawn_blocking(move || b.apply(2, None)),
    );
    let runs = [first, second].map(|r| {
        r.unwrap_or_else(|e| panic!("join: {e}"))
            .unwrap_or_else(|e| panic!("apply: {e}"))
    });
    for run in &runs {
        let output = std::fs::read_to_string(&run.log).unwrap_or_default();
        // Both ran to the end: neither crashed nor reported a failed step.
        assert_eq!(run.ended, Ended::Exited(0), "{output}");
        assert!(
            run.summary
                .as_deref()
                .is_some_and(|s| s.contains(" 0 failed")),
            "{output}"
        );
    }
    let declared = runs.iter().filter_map(|r| r.planned).max().unwrap_or(0);

    let plan = cli.plan().unwrap_or_else(|e| panic!("plan: {e}"));
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    let store = census::store(&db).unwrap_or_else(|e| panic!("census: {e}"));
    assert!(store.duplicates.is_empty(), "{:?}", store.duplicates);
    assert_eq!(store.total(), declared as u64, "{:?}", store.objects);

    // The contest was real: creates of one object from both processes met in the portal (a
    // replayed answer, or a 409 for the key in flight or the externalRef taken).
    let log = sandbox.requests();
    let contested = log
        .iter()
        .filter(|r| r.method == "POST" && (r.replayed || r.status == Some(409)))
        .count();
    assert!(contested > 0, "no create was contested");
    Outcome { sandbox, log }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_at_once_make_no_duplicates() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    repo(&tmp.path().join("repo"));
    let outcome = two_applies(tmp.path().join("repo")).await;
    outcome.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_with_generated_passwords_adopt_instead_of_duplicating() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let outcome = two_applies(examples).await;
    // Each process generated its own password for these objects, so their creates carry
    // different idempotency keys: the later one is refused `409 ExternalRefExists`, and the
    // process adopts the object instead of failing (both reported 0 failed above).
    let generated = ["/v1/daas/admins", "/v1/contactcenter/tenants"];
    let taken: Vec<&str> = outcome
        .log
        .iter()
        .filter(|r| r.method == "POST" && r.status == Some(409))
        .filter_map(|r| generated.iter().find(|p| r.path == **p).copied())
        .collect();
    assert!(
        !taken.is_empty(),
        "no create of an object with a generated password met the other process's object"
    );
    // Adopted: the refused process wrote its spec onto the object the other one made (one
    // object per externalRef: the census above), rather than failing or creating another.
    let adopted = taken.iter().all(|route| {
        outcome.log.iter().any(|r| {
            r.method == "PUT"
                && r.path.starts_with(&format!("{route}/"))
                && r.status.is_some_and(|s| (200..300).contains(&s))
        })
    });
    assert!(
        adopted,
        "a refused create was not followed by an update: {taken:?}"
    );
    // (That update carries the adopting process's own generated password, so the
    // administrator gets a second temporary-password e-mail: a known gap, not asserted.)
    outcome.sandbox.shutdown().await;
}
