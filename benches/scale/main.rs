//! `cargo bench --bench scale -- --tenants N`: tenantry's stages at scale, as Markdown tables.
//!
//! Generates a repository of N tenants (`tenantry gen`), then times every stage of `plan`
//! against F₂ (walk + read + parse into typed objects, measured in the same run), applies it
//! to the in-process sandbox with a per-request latency, checks the converged steady state
//! (list calls only, zero writes) and runs the controller in a fresh process against a fake
//! Kubernetes API server and a converged sandbox (memory, reconcile throughput, a relist and
//! its resync pass). A measuring instrument, not a test: it asserts correctness (converged
//! means no change, no write), never durations. See BENCHMARKS.md.

mod apply;
mod controller;
mod kube_api;
mod measure;
mod memory;
mod probe;
mod stages;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tenantry::generate::{GenOptions, generate};

use crate::measure::{Ms, Row, print_table};

/// Tenants of the quick check run when the binary is started as a test.
const SMOKE_TENANTS: usize = 20;

#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;

/// Arguments after `--`.
#[derive(Debug, Parser)]
#[command(about = "tenantry at scale: plan stages vs F₂, apply against the sandbox, memory")]
struct Args {
    /// Number of tenants to generate (1000 under `cargo bench`; see `smoke`).
    #[arg(long)]
    tenants: Option<usize>,
    /// Timed runs of each CPU stage (after one warm-up); the median and spread are reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seed of the generated repository.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Latency the sandbox adds to every request, in milliseconds.
    #[arg(long, default_value_t = 5)]
    latency_ms: u64,
    /// Apply steps in flight at once.
    #[arg(long, default_value_t = 32)]
    parallelism: usize,
    /// Page size of list calls.
    #[arg(long, default_value_t = 100)]
    page_size: u32,
    /// Skip the apply section (the converged plan then uses a synthetic portal state).
    #[arg(long)]
    no_apply: bool,
    /// Skip the controller probe (memory, reconcile throughput, relist, resync).
    #[arg(long)]
    no_memory: bool,
    /// Reconciles in flight per kind in the controller probe (`tenantry controller`'s default).
    #[arg(long, default_value_t = 8)]
    concurrency: u16,
    /// Run the controller probe without leader election.
    #[arg(long)]
    no_lease: bool,
    /// Use this generated repository instead of a fresh one.
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Internal: run the controller probe against the fake API server at URL, in this
    /// (fresh) process.
    #[arg(long, value_name = "URL", hide = true)]
    controller_probe: Option<String>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> anyhow::Result<()> {
    if std::env::args_os().any(|a| a == "--controller-probe") {
        memory::start_counting();
    }
    let mut args = Args::parse();
    if let Some(url) = &args.controller_probe {
        return probe::probe(url);
    }
    // `cargo test --all-targets` runs bench binaries without `--bench`: then check that the
    // instrument works on a small repository, quickly, like criterion's test mode.
    let smoke = !args.bench && args.tenants.is_none();
    if smoke {
        args.tenants = Some(SMOKE_TENANTS);
        args.runs = 1;
        args.latency_ms = 0;
    }
    let tenants = args.tenants.unwrap_or(1000);
    let scratch = tempfile::tempdir()?;
    let dir = match &args.repo {
        Some(dir) => dir.clone(),
        None => {
            let files = generate(&GenOptions {
                tenants,
                seed: args.seed,
                namespace: stages::NAMESPACE.to_owned(),
            });
            for f in &files {
                std::fs::write(scratch.path().join(&f.name), &f.yaml)?;
            }
            scratch.path().to_path_buf()
        }
    };
    println!("## N = {tenants} tenants\n");
    println!("{}", machine());

    let mut rows: Vec<Row> = Vec::new();
    let outputs = stages::prepare(&dir, args.runs, &mut rows)?;
    stages::plan_empty(&outputs, args.runs, &mut rows);

    let (converged, source, observe) = if args.no_apply {
        (stages::converge(&outputs.model), "synthetic", None)
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let settings = apply::Settings {
            latency: Duration::from_millis(args.latency_ms),
            parallelism: args.parallelism,
            page_size: args.page_size,
            runs: args.runs.min(3),
        };
        let outcome = runtime.block_on(apply::run(&outputs.model, &settings))?;
        (
            outcome.observed,
            "observed from the sandbox",
            Some(outcome.observe),
        )
    };
    stages::plan_converged(&outputs, &converged, source, args.runs, &mut rows)?;
    print_table("Plan stages (CPU)", &rows);
    let f2 = &outputs.f2;
    println!(
        "\nF₂ = {} ms wall, {} ms CPU (median of {} runs).",
        Ms(f2.median()),
        Ms(f2.cpu_median().unwrap_or_default()),
        f2.len()
    );
    if let Some(observe) = observe {
        println!(
            "With the converged observe against the sandbox ({} ms latency, one call per page): \
             {} ms more.",
            args.latency_ms,
            Ms(observe)
        );
    }
    drop(converged);

    if !args.no_memory {
        let settings = controller::Settings {
            concurrency: args.concurrency,
            lease: !args.no_lease,
            portal_concurrency: u32::try_from(args.parallelism).unwrap_or(32),
        };
        controller::run(&dir, &outputs.model, &settings)?;
    }
    drop(outputs);
    if smoke {
        // Reached only when the quick check found no non-empty converged plan, no write on
        // the second apply and none in the controller's converged resync (each returns an
        // error otherwise); the line test runners print.
        println!("\nsmoke: 1 passed, 0 failed");
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
