//! The chaos run: N generated tenants, a file-backed sandbox injecting seeded faults into
//! about a fifth of the requests, the real `tenantry apply` SIGKILLed at seeded steps, then
//! applied again until `tenantry plan` shows no changes. Shared by `benches/chaos` (any N) and
//! the CI-sized test in `tests/it/chaos/`: it lives in the library so that both use one copy.
//! The `tenantry` binary does not use it; it drives that binary from outside (Unix only).
//!
//! The seed fixes the repository, the fault stream's draws and the kill points (step k of the
//! n steps an apply planned); thread and network timing can still change which request gets
//! which draw, so a replay repeats the conditions, not every interleaving.

pub mod census;
mod consent;
mod error;
pub mod process;
mod report;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::generate::{GenOptions, generate};
use crate::sandbox::{FaultConfig, FaultRule, Fixtures, Sandbox, SandboxConfig};

pub use error::Error;
pub use process::{ApplyRun, Ended};
pub use report::Report;

use process::{Cli, tail};

/// Namespace of the generated objects.
const NAMESPACE: &str = "customers";
/// `plan` attempts when one fails (observe gave up under the injected faults).
const PLAN_ATTEMPTS: usize = 10;
/// Plans that may still list async operations after every consent is granted.
const SETTLE_PLANS: usize = 50;

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Tenants to generate.
    pub tenants: usize,
    /// Seed of the repository, the faults and the kill points.
    pub seed: u64,
    /// Applies killed with SIGKILL (fewer if the work runs out first).
    pub kills: usize,
    /// Share of contract requests that get a fault (429, 5xx, dropped, commit-then-drop).
    pub fault_share: f64,
    /// Latency the sandbox adds to every request, in milliseconds.
    pub latency_ms: u64,
    /// `apply --parallelism`.
    pub parallelism: u16,
    /// Applies without kills allowed before the run counts as not converged.
    pub max_applies: usize,
    /// The `tenantry` binary.
    pub tenantry: PathBuf,
    /// The work directory: the repository, the sandbox database and the logs go here.
    pub work: PathBuf,
}

/// The fault rules: reads get 429, 5xx or a dropped connection; writes also commit-then-drop.
/// Each kind of fault has the same probability, chosen so that `share` of the requests of
/// either group get one (the sandbox draws every kind for every request).
pub fn fault_rules(share: f64, seed: u64) -> FaultConfig {
    let share = share.clamp(0.0, 0.99);
    let each = |kinds: i32| 1.0 - (1.0 - share).powf(1.0 / f64::from(kinds));
    let read = each(3);
    let write = each(4);
    let mut rules = vec![FaultRule {
        method: Some("GET".into()),
        rate_limit: read,
        server_error: read,
        drop_connection: read,
        retry_after_seconds: 1,
        ..FaultRule::default()
    }];
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        rules.push(FaultRule {
            method: Some(method.into()),
            rate_limit: write,
            server_error: write,
            drop_connection: write,
            commit_then_drop: write,
            retry_after_seconds: 1,
            ..FaultRule::default()
        });
    }
    FaultConfig {
        seed: Some(seed),
        rules,
    }
}

/// Runs the chaos run and returns its report; an error means it could not run or did not
/// converge (the report's own checks are [`Report::check`]).
pub async fn run(settings: &Settings) -> Result<Report, Error> {
    let work = &settings.work;
    let repo = work.join("repo");
    let logs = work.join("logs");
    for dir in [&repo, &logs] {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            doing: "creating",
            path: dir.clone(),
            source,
        })?;
    }
    for f in generate(&GenOptions {
        tenants: settings.tenants,
        seed: settings.seed,
        namespace: NAMESPACE.to_owned(),
    }) {
        let path = repo.join(&f.name);
        std::fs::write(&path, &f.yaml).map_err(|source| Error::Io {
            doing: "writing",
            path,
            source,
        })?;
    }
    let db = work.join("sandbox.db");
    let _ = std::fs::remove_file(&db);
    let mut faults = fault_rules(settings.fault_share, settings.seed);
    if settings.latency_ms > 0 {
        faults.rules.push(FaultRule {
            latency_ms: settings.latency_ms,
            ..FaultRule::default()
        });
    }
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .with_db(db.to_string_lossy().into_owned())
            .with_seed(settings.seed)
            .with_fixtures(Fixtures::demo())
            .with_faults(faults),
    )
    .await?;
    let cli = Cli {
        bin: settings.tenantry.clone(),
        repo,
        url: sandbox.url(),
        parallelism: settings.parallelism,
        logs,
    };

    // The size of the work: the plan against the empty portal (read-only, not timed).
    let declared = plan(&cli)
        .await?
        .stdout
        .lines()
        .find_map(process::planned_actions)
        .ok_or(Error::NoPlanLine)?;

    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut report = Report::new(settings, declared);
    let mut granted = BTreeSet::new();
    let start = Instant::now();
    // Kill phase: every apply gets SIGKILL at a drawn step, until the kills are spent or an
    // apply has nothing left to do.
    for _ in 0..settings.kills {
        let share = rng.random_range(f64::EPSILON..=1.0);
        let run = apply(&cli, report.applies.len() + 1, Some(share)).await?;
        let idle = run.planned == Some(0);
        report.applies.push(run);
        if idle {
            break;
        }
    }
    // Converge phase: apply until the plan is empty, acting as the customers where an object
    // waits for their consent.
    let mut settling = 0;
    loop {
        let run = apply(&cli, report.applies.len() + 1, None).await?;
        let failed = !matches!(run.ended, Ended::Exited(0 | 1));
        report.applies.push(run);
        if failed {
            let last = report
                .applies
                .last()
                .map(|r| r.log.clone())
                .unwrap_or_default();
            return Err(Error::Abnormal {
                tail: tail(&last, 20),
            });
        }
        report.consents += consent::grant(&sandbox, &mut granted).await?;
        let mut latest = plan(&cli).await?;
        report.plans += 1;
        while latest.code == 0 && latest.pending_operations() > 0 && settling < SETTLE_PLANS {
            settling += 1;
            report.consents += consent::grant(&sandbox, &mut granted).await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            latest = plan(&cli).await?;
            report.plans += 1;
        }
        if latest.code == 0 && latest.pending_operations() == 0 {
            break;
        }
        let converging = report.applies.len() - report.kills();
        if converging >= settings.max_applies {
            return Err(Error::NotConverged {
                applies: converging,
                seed: settings.seed,
                plan: last_lines(&latest.stdout, 30),
            });
        }
    }
    report.converge = start.elapsed();
    report.store = census::store(&db)?;
    report.traffic = census::traffic(&sandbox.requests());
    sandbox.shutdown().await;
    Ok(report)
}

async fn apply(cli: &Cli, number: usize, kill_at: Option<f64>) -> Result<ApplyRun, Error> {
    let cli = cli.clone();
    tokio::task::spawn_blocking(move || cli.apply(number, kill_at)).await?
}

/// `tenantry plan`, again when it fails under the faults (a plan only reads).
async fn plan(cli: &Cli) -> Result<process::PlanRun, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let c = cli.clone();
        let run = tokio::task::spawn_blocking(move || c.plan()).await??;
        if run.code != 1 {
            return Ok(run);
        }
        if attempt == PLAN_ATTEMPTS {
            return Err(Error::PlanFailed {
                attempts: PLAN_ATTEMPTS,
                stderr: run.stderr,
            });
        }
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
