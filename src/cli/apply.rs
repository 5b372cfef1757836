//! `tenantry apply`: compute the plan, confirm it, and make the portals match.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::session::{self, InputArgs};
use super::{CliError, exit};
use tenantry::engine::{
    self, Action, ApplyOptions, Approval, Hold, Outcome, PollPolicy, Progress, ReplaceAllowance,
    StepReport,
};
use tenantry::model::Address;
use tenantry::plan::render;
use tenantry::portal::{CallCounts, PortalApi};

/// Arguments of `tenantry apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Apply only if the plan computed now has this hash (from a reviewed `tenantry plan`).
    #[arg(long, value_name = "HASH")]
    plan_hash: Option<String>,
    /// Apply without asking.
    #[arg(long)]
    auto_approve: bool,
    /// Allow every replacement that destroys data (the plan's warnings list them). Without it
    /// apply refuses a plan with one, unless the declaring object sets spec.allowReplace: true.
    #[arg(long)]
    allow_replace: bool,
    /// Portal writes in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    parallelism: u16,
    /// How long to follow async portal operations before reporting them as still running.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    wait: u64,
    /// The largest share (0 to 1) of the observed portal objects one pass may delete (with
    /// --prune); a larger pass stops before any portal write.
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = engine::DEFAULT_MAX_DELETE_SHARE,
        value_parser = share
    )]
    max_delete_share: f64,
    /// No colours, even on a terminal.
    #[arg(long)]
    no_color: bool,
    #[command(flatten)]
    notify: super::notify::NotifyArgs,
}

/// Applies the plan; exit 0 when nothing failed (waiting operations included), 1 otherwise.
pub fn run(args: Args) -> Result<u8, CliError> {
    let runtime = super::runtime()?;
    runtime.block_on(apply(args))
}

async fn apply(args: Args) -> Result<u8, CliError> {
    let session = session::open(&args.input).await?;
    let plan = &session.plan;
    // Sinks are checked before anything is written: a missing Secret stops the run here.
    let sinks = match args.notify.notify {
        Some(_) => super::notify::sinks(&session.notify)?,
        None => Vec::new(),
    };
    let terminal = std::io::stdout().is_terminal();
    let color = terminal && !args.no_color;
    if let Some(notice) = session.target.embedded_notice() {
        println!("{notice}");
    }
    print!("{}", render::text(plan, color));
    let orders = session.work_orders();
    print!("{}", session::work_orders_text(&orders));
    // The CLI's approval is the prompt, --auto-approve or --plan-hash: it covers objects whose
    // managementPolicy is Plan (that policy makes the in-cluster controller wait). Objects
    // whose policy is Observe are never written. A pinned hash that is no longer the plan's
    // writes nothing; once its changes are applied there is nothing left to refuse.
    let approval = match &args.plan_hash {
        Some(hash) => Approval::Pinned(hash.clone()),
        None => Approval::Confirmed,
    };
    // The flag is global, not per address: the plan's warnings list every destructive
    // replacement, and --plan-hash pins the reviewed plan, so it allows exactly those.
    let allowance = if args.allow_replace {
        ReplaceAllowance::All
    } else {
        ReplaceAllowance::Declared
    };
    let decision = engine::decide(plan, &approval, allowance);
    if let Some(hash) = &decision.stale {
        // The CLI keeps no copy of the reviewed plan, so it names what the plan holds now
        // (addresses and fields, never values) for the reviewer to compare.
        let summary = plan.summary();
        return Err(CliError::ApprovalStale {
            reviewed: hash.clone(),
            now: plan.hash.clone(),
            add: summary.add,
            change: summary.change,
            destroy: summary.destroy,
            replace: summary.replace,
            changes: plan.actions.iter().map(|a| a.summary_line()).collect(),
        });
    }
    if let Some(refused) = decision.replace_refused() {
        return Err(CliError::ReplaceRefused(refused));
    }
    // Failed for good with an unchanged declaration: nothing this run writes retries them,
    // so the run fails with their reasons until the declaration changes.
    let failed_unchanged = || -> Result<(), CliError> {
        let failures: Vec<String> = plan.failed_unchanged().map(|p| p.failure_line()).collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(CliError::PermanentFailure { failures })
        }
    };
    let in_scope = |r: &tenantry::model::Resource| plan.scope.declares(&r.declared_by);
    if !plan.has_changes() {
        let (model, observed) = (&session.model, &session.observed);
        super::drift::save_after(
            (&args.input.state_dir, &session.target.description),
            session.applied.clone(),
            (model, observed, plan, None),
            in_scope,
        )?;
        let attested = session.issue_attestations().await?;
        attestation_note(&session);
        let mut events = tenantry::notify::events_of_plan(plan);
        events.extend(tenantry::notify::events_of_work_orders(&attested));
        super::notify::notify(args.notify.notify, &sinks, &args.input.state_dir, &events).await?;
        failed_unchanged()?;
        // The steady state, proven by its own counters: observing made no write.
        println!(
            "Apply finished: nothing to do. {}",
            calls(session.target.portal.calls())
        );
        return Ok(exit::OK);
    }
    engine::check_mass_deletion(plan, session.observed.len(), args.max_delete_share)?;
    if args.plan_hash.is_none() && !args.auto_approve && !confirm()? {
        println!("Apply cancelled; nothing was written.");
        return Ok(exit::OK);
    }
    let held = decision.held_for(Hold::Observe);
    if held > 0 {
        println!(
            "{held} change(s) of objects with managementPolicy Observe are reported, never written."
        );
    }
    let options = ApplyOptions {
        parallelism: usize::from(args.parallelism),
        poll: PollPolicy {
            timeout: Duration::from_secs(args.wait),
            ..PollPolicy::default()
        },
        uids: HashMap::new(),
    };
    let progress = Display::new(terminal, decision.writable.actions.len());
    let report = engine::run(
        &session.target.portal,
        &decision,
        &session.model,
        &session.observed,
        &options,
        &progress,
    )
    .await;
    progress.done();
    // Returned once by the vendor: saved before anything else can fail.
    super::captured::save(
        &args.input.state_dir,
        &session.model,
        session.target.portal.take_captured(),
    )?;
    super::drift::save_after(
        (&args.input.state_dir, &session.target.description),
        session.applied.clone(),
        (&session.model, &session.observed, plan, Some(&report)),
        in_scope,
    )?;
    // Read back before the call counts are printed, so they include these reads.
    let outputs = engine::outputs_after(&session.target.portal, &session.model, &report).await;

    let (done, waiting, failed, skipped) = report.counts();
    println!();
    for step in &report.steps {
        if !step.outcome.is_done() {
            println!("  {} {}: {}", step.action, step.address, step.outcome);
        }
    }
    println!(
        "Apply finished: {done} done, {waiting} waiting, {failed} failed, {skipped} skipped. {}",
        calls(session.target.portal.calls())
    );
    let manual = report
        .steps
        .iter()
        // Only steps a manual connection serves have work orders; a vendor adapter may wait
        // for a person with the same reason (a CloudLink account) and says what to do itself.
        .filter(|s| {
            matches!(&s.outcome, Outcome::Waiting { reason, .. }
                if reason == tenantry::portal::manual::AWAITING_MANUAL_STEP)
                && session.target.manual_connection(s.address.kind).is_some()
        })
        .count();
    if manual > 0 {
        println!(
            "{manual} work order(s) wait for a person: print them with `tenantry workorders`, \
             perform each in its portal, confirm it with `tenantry confirm ID --set KEY=VALUE`, \
             then run apply again for what depends on them."
        );
    }
    if waiting + skipped > 0 && failed == 0 && plan.failed_unchanged().next().is_none() {
        println!(
            "Some work is still under way in the portals; run `tenantry plan` later to see it finish."
        );
    }
    match outputs {
        Ok(outputs) if !outputs.is_empty() => print!(
            "\n{}",
            render::outputs_text(
                &outputs,
                "Outputs (values the portals generated for what this apply created or changed):"
            )
        ),
        Ok(_) => {}
        // The writes are done; only the report of their generated values is missing.
        Err(err) => eprintln!(
            "warning: could not read the generated values back from the portal ({err}); \
             `tenantry plan` shows them"
        ),
    }
    // What the plan saw waiting or failed and this apply did not touch, then what it did.
    let mut events = tenantry::notify::events_of_plan(plan);
    events.retain(|e| {
        !report
            .steps
            .iter()
            .any(|s| s.address.to_string() == e.address)
    });
    events.extend(tenantry::notify::events_of_report(&report, plan));
    // A step waiting on a work order is a WorkOrder event at once, not a wait past a threshold.
    let issued: Vec<_> = orders
        .into_iter()
        .filter(|o| {
            report.steps.iter().any(|s| {
                s.address.to_string() == o.address && matches!(s.outcome, Outcome::Waiting { .. })
            })
        })
        .collect();
    events.retain(|e| !issued.iter().any(|o| o.address == e.address));
    events.extend(tenantry::notify::events_of_work_orders(&issued));
    let attested = session.issue_attestations().await?;
    attestation_note(&session);
    events.extend(tenantry::notify::events_of_work_orders(&attested));
    super::notify::notify(args.notify.notify, &sinks, &args.input.state_dir, &events).await?;
    failed_unchanged()?;
    Ok(if report.has_failures() {
        exit::ERROR
    } else {
        exit::OK
    })
}

/// The summary of portal calls: `Portal calls: N reads, N writes, N retries.`
fn calls(counts: CallCounts) -> String {
    format!(
        "Portal calls: {} reads, {} writes, {} retries.",
        counts.reads, counts.writes, counts.retries,
    )
}

/// A share between 0 and 1.
fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{text:?} is not a share between 0 and 1 (0.25 allows deleting a quarter)"
        )),
    }
}

/// Asks on the terminal; without one, refuses (use --auto-approve or --plan-hash).
fn confirm() -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::NotATerminal);
    }
    print!("\nApply this plan? Only 'yes' is accepted: ");
    std::io::stdout().flush().map_err(CliError::Stdout)?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Prompt)?;
    Ok(answer.trim() == "yes")
}

/// Progress: a bar on a terminal, one line per finished step otherwise.
struct Display {
    bar: Option<ProgressBar>,
}

impl Display {
    fn new(terminal: bool, steps: usize) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(steps as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self { bar }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Display {
    fn started(&self, address: &Address, action: Action) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{action} {address}"));
        }
    }

    fn finished(&self, report: &StepReport) {
        let line = format!(
            "{} {}: {}",
            report.action,
            report.address,
            short(&report.outcome)
        );
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(line);
            }
            None => println!("{line}"),
        }
    }
}

fn short(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done { .. } => "done".to_owned(),
        other => other.to_string(),
    }
}

/// Says what the open `Attest` orders ask, when there are any.
fn attestation_note(session: &session::Session) {
    let n = session.attestations.len();
    if n > 0 {
        println!(
            "{n} attestation work order(s) wait for a person: the objects stay as they are; \
             check each in its portal (`tenantry workorders`), then `tenantry confirm ID`."
        );
    }
}
