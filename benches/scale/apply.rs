//! Apply of N tenants against the in-process sandbox with a per-request latency, then the
//! converged steady state: observe cost (list calls vs N / page size) and zero writes.
//!
//! The run follows the CLI's path (src/cli/session.rs, src/cli/apply.rs): observe → plan →
//! engine steps → generated secrets → `engine::apply`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tenantry::api::{RateLimit, Sensitive};
use tenantry::engine::{self, ApplyOptions, Quiet};
use tenantry::model::{Kind, Model, Observed};
use tenantry::plan;
use tenantry::portal::{ClientConfig, HttpPortal};
use tenantry::sandbox::{FaultConfig, FaultRule, Fixtures, LoggedRequest, Sandbox, SandboxConfig};

use crate::measure::{Row, Samples};
use crate::stages::{NAMESPACE, plan_options};

/// How the apply section runs.
pub struct Settings {
    /// Latency the sandbox adds to every request.
    pub latency: Duration,
    /// Steps in flight at once (and the client's concurrency limit).
    pub parallelism: usize,
    /// Page size of list calls.
    pub page_size: u32,
    /// Repeats of the converged observe + plan.
    pub runs: usize,
}

/// What the section measured, for the summary.
pub struct Outcome {
    /// The portal state after the apply, as observed.
    pub observed: Observed,
    /// Median of one converged observe.
    pub observe: Duration,
}

/// Portal calls of one phase, from the client's counters and the sandbox's request log.
#[derive(Debug, Default, Clone, Copy)]
struct Calls {
    reads: u64,
    writes: u64,
    retries: u64,
}

impl Calls {
    fn of(portal: &HttpPortal) -> Self {
        let s = portal.stats();
        Self {
            reads: s.reads.load(Ordering::Relaxed),
            writes: s.writes.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            reads: self.reads - before.reads,
            writes: self.writes - before.writes,
            retries: self.retries - before.retries,
        }
    }
}

/// Runs the section and prints its tables.
pub async fn run(model: &Model, settings: &Settings) -> anyhow::Result<Outcome> {
    let latency = FaultRule {
        latency_ms: u64::try_from(settings.latency.as_millis()).unwrap_or(u64::MAX),
        ..FaultRule::default()
    };
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .with_fixtures(Fixtures::demo())
            .with_faults(FaultConfig {
                seed: None,
                rules: vec![latency],
            }),
    )
    .await?;
    let parallelism = u32::try_from(settings.parallelism).unwrap_or(256);
    let portal = client(&sandbox, settings.page_size, parallelism)?;
    let ns = [NAMESPACE.to_owned()];
    let mut rows = Vec::new();
    let mut calls_table = Vec::new();

    // First apply: observe the empty portal, plan, apply.
    let before = Calls::of(&portal);
    let seq = last_seq(&sandbox);
    let start = Instant::now();
    let observed = engine::observe(
        &portal,
        &engine::Selection::Namespaces {
            kinds: Kind::ALL.to_vec(),
            namespaces: ns.to_vec(),
        },
    )
    .await?;
    let first_plan = plan::plan(model, &observed, &plan_options());
    let (steps, mut known) = engine::steps(&first_plan, model, &observed);
    engine::generate_secrets(&steps, &mut known);
    let step_count = steps.len();
    let options = ApplyOptions {
        parallelism: settings.parallelism,
        ..ApplyOptions::default()
    };
    let report = engine::apply(&portal, steps, known, &options, &Quiet).await;
    let wall = start.elapsed();
    let calls = Calls::of(&portal).since(before);
    let log = since(&sandbox, seq);
    let (done, waiting, failed, skipped) = report.counts();
    if let Some(bad) = report.steps.iter().find(|s| !s.outcome.is_done()) {
        eprintln!(
            "first not-done step: {} {}: {}",
            bad.action, bad.address, bad.outcome
        );
    }
    let mut first = Samples::default();
    first.push(wall);
    rows.push(Row {
        stage: format!(
            "first apply: observe + plan + {step_count} steps, parallelism {}",
            settings.parallelism
        ),
        samples: first,
        floor: None,
        note: format!("{done} done, {waiting} waiting, {failed} failed, {skipped} skipped"),
    });
    calls_table.push(("first apply", calls, log, model.len()));

    // Converged: observe again (list calls only) and plan nothing, several times.
    let mut observe_samples = Samples::default();
    let mut plan_samples = Samples::default();
    let mut observed = Observed::new();
    let mut list_calls = 0;
    for round in 0..settings.runs.max(1) {
        let before = Calls::of(&portal);
        let seq = last_seq(&sandbox);
        let start = Instant::now();
        observed = engine::observe(
            &portal,
            &engine::Selection::Namespaces {
                kinds: Kind::ALL.to_vec(),
                namespaces: ns.to_vec(),
            },
        )
        .await?;
        observe_samples.push(start.elapsed());
        let second = plan::plan(model, &observed, &plan_options());
        plan_samples.push(start.elapsed());
        let (steps, known) = engine::steps(&second, model, &observed);
        // The second apply: whatever the plan holds is applied; converged, that is nothing.
        let report = engine::apply(&portal, steps, known, &options, &Quiet).await;
        let calls = Calls::of(&portal).since(before);
        list_calls = calls.reads;
        if round == 0 {
            let log = since(&sandbox, seq);
            calls_table.push(("second apply (converged)", calls, log, model.len()));
            anyhow::ensure!(
                calls.writes == 0 && report.steps.is_empty(),
                "the converged portal still got {} write(s) / {} step(s); first: {:?}",
                calls.writes,
                report.steps.len(),
                second.actions.first().map(|a| a.summary_line())
            );
        }
    }
    let expected = expected_list_calls(&observed, settings.page_size);
    let observe_median = observe_samples.median();
    rows.push(Row {
        stage: "converged observe (list pages, JSON decode)".into(),
        samples: observe_samples,
        floor: None,
        note: format!(
            "{} objects, {list_calls} list calls (Σ⌈n_kind/{}⌉ = {expected})",
            observed.len(),
            settings.page_size
        ),
    });
    rows.push(Row {
        stage: "second apply = observe + plan, 0 writes".into(),
        samples: plan_samples,
        floor: None,
        note: "steady state".into(),
    });
    crate::measure::print_table(
        &format!(
            "Apply against the sandbox, {} ms latency per request",
            settings.latency.as_millis()
        ),
        &rows,
    );
    print_calls(&calls_table);
    sandbox.shutdown().await;
    Ok(Outcome {
        observed,
        observe: observe_median,
    })
}

/// A portal client of the sandbox with `parallelism` requests in flight.
pub fn client(sandbox: &Sandbox, page_size: u32, parallelism: u32) -> anyhow::Result<HttpPortal> {
    let mut config = ClientConfig::new("bench", sandbox.url());
    config.token = Some(Sensitive::new("bench-token"));
    config.page_size = page_size;
    // The default budget (20 requests/s) would measure the rate limiter, not the engine.
    config.rate_limit = RateLimit {
        requests_per_second: 10_000,
        burst: 10_000,
        max_concurrency: parallelism.clamp(1, 256),
    };
    Ok(HttpPortal::new(config)?)
}

/// One list call per page per kind (an empty kind still costs one call).
fn expected_list_calls(observed: &Observed, page: u32) -> usize {
    let page = usize::try_from(page.max(1)).unwrap_or(1);
    Kind::ALL
        .iter()
        .map(|&k| observed.count(k).div_ceil(page).max(1))
        .sum()
}

fn last_seq(sandbox: &Sandbox) -> u64 {
    sandbox.requests().last().map_or(0, |r| r.seq)
}

/// The sandbox's log after `seq`; it keeps the last 100,000 requests, so a larger phase is
/// reported as cut (the client's counters stay exact).
fn since(sandbox: &Sandbox, seq: u64) -> Vec<LoggedRequest> {
    let log: Vec<LoggedRequest> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.seq > seq)
        .collect();
    if log.first().is_some_and(|r| r.seq > seq + 1) {
        eprintln!("note: the sandbox request log was cut; its counts are a lower bound");
    }
    log
}

/// Calls per phase: the client's counters, and the sandbox log by kind of request.
fn print_calls(table: &[(&str, Calls, Vec<LoggedRequest>, usize)]) {
    println!("\n### Portal calls\n");
    println!(
        "| phase | objects | client reads | client writes | retries | writes / object | \
         sandbox log: lists, gets, operation polls, creates, updates, deletes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (phase, calls, log, objects) in table {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for r in log {
            let what = match (r.method.as_str(), r.route.as_str()) {
                ("GET", route) if route.contains("operations") => "polls",
                ("GET", route) if route.ends_with('}') => "gets",
                ("GET", _) => "lists",
                ("POST", _) => "creates",
                ("PUT", _) | ("PATCH", _) => "updates",
                ("DELETE", _) => "deletes",
                _ => "other",
            };
            *by.entry(what).or_default() += 1;
        }
        let n = |k: &str| by.get(k).copied().unwrap_or(0);
        println!(
            "| {phase} | {objects} | {} | {} | {} | {:.2} | {}, {}, {}, {}, {}, {} |",
            calls.reads,
            calls.writes,
            calls.retries,
            calls.writes as f64 / (*objects).max(1) as f64,
            n("lists"),
            n("gets"),
            n("polls"),
            n("creates"),
            n("updates"),
            n("deletes"),
        );
    }
}
