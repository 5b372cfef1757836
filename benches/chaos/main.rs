//! `cargo bench --bench chaos -- --tenants N --seed S`: the chaos run of DESIGN.md §7, as
//! Markdown tables (see RELIABILITY.md).
//!
//! Generates N tenants (`tenantry gen`), starts a file-backed in-process sandbox that injects
//! seeded faults into about a fifth of the contract requests, runs the real `tenantry apply`
//! binary and SIGKILLs it at seeded steps, then applies again until `tenantry plan` shows no
//! changes. Exits non-zero on a duplicate, a missing object, or no convergence.

use std::path::PathBuf;

use clap::Parser;
use tenantry::chaos;

/// Tenants of the quick check run when the binary is started as a test.
const SMOKE_TENANTS: usize = 3;

/// Arguments after `--`.
#[derive(Debug, Parser)]
#[command(about = "tenantry's chaos run: faults, SIGKILLs, re-applies until converged")]
struct Args {
    /// Number of tenants to generate (1000 under `cargo bench`).
    #[arg(long)]
    tenants: Option<usize>,
    /// Seed of the repository, the faults and the kill points.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Applies to kill with SIGKILL.
    #[arg(long, default_value_t = 5)]
    kills: usize,
    /// Share of contract requests that get a fault.
    #[arg(long, default_value_t = 0.2)]
    fault_share: f64,
    /// Latency the sandbox adds to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// `tenantry apply --parallelism`.
    #[arg(long, default_value_t = 8)]
    parallelism: u16,
    /// Applies without kills allowed before the run counts as not converged.
    #[arg(long, default_value_t = 10)]
    max_applies: usize,
    /// Keep the repository, sandbox database and logs in DIR.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // `cargo test --all-targets` runs bench binaries without `--bench`: then check that the
    // instrument works on a tiny repository (tests/it/chaos/run.rs is the CI-sized run).
    let smoke = !args.bench && args.tenants.is_none();
    let scratch = tempfile::tempdir()?;
    let settings = chaos::Settings {
        tenants: args
            .tenants
            .unwrap_or(if smoke { SMOKE_TENANTS } else { 1000 }),
        seed: args.seed,
        kills: if smoke { 1 } else { args.kills },
        fault_share: args.fault_share,
        latency_ms: args.latency_ms,
        parallelism: args.parallelism,
        max_applies: args.max_applies,
        tenantry: PathBuf::from(env!("CARGO_BIN_EXE_tenantry")),
        work: args.keep.unwrap_or_else(|| scratch.path().to_path_buf()),
    };
    println!(
        "## Chaos run: N = {} tenants, seed {}\n",
        settings.tenants, settings.seed
    );
    println!("{}\n", machine());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(chaos::run(&settings))?;
    println!("{}", report.markdown());
    report.check().map_err(anyhow::Error::msg)?;
    if smoke {
        println!("smoke: 1 passed, 0 failed");
    }
    Ok(())
}

/// Cores, memory and load, as the run saw them.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let total = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .map_or_else(String::new, |v| v.trim().to_owned());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "Machine: {cores} cores, MemTotal {total}, load average {} at start.",
        load.join(" ")
    )
}
