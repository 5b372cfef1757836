//! What a chaos run reports, as Markdown, and the checks it must pass.

use std::fmt::Write as _;
use std::time::Duration;

use super::Settings;
use super::census::{Store, Traffic};
use super::process::{ApplyRun, Ended};

/// The figures of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Tenants generated.
    pub tenants: usize,
    /// The seed.
    pub seed: u64,
    /// The configured fault share.
    pub fault_share: f64,
    /// Portal resources declared: the actions of the plan against the empty portal.
    pub declared: usize,
    /// Every apply, in order.
    pub applies: Vec<ApplyRun>,
    /// `tenantry plan` runs after the applies (read-only convergence checks).
    pub plans: usize,
    /// Enterprises whose consent the runner granted as the customer's Global Admin.
    pub consents: usize,
    /// From the first apply to the empty plan.
    pub converge: Duration,
    /// The sandbox store at the end.
    pub store: Store,
    /// The sandbox request log.
    pub traffic: Traffic,
}

impl Report {
    /// An empty report of a run about to start.
    pub fn new(settings: &Settings, declared: usize) -> Self {
        Self {
            tenants: settings.tenants,
            seed: settings.seed,
            fault_share: settings.fault_share,
            declared,
            applies: Vec::new(),
            plans: 0,
            consents: 0,
            converge: Duration::ZERO,
            store: Store::default(),
            traffic: Traffic::default(),
        }
    }

    /// Applies that were SIGKILLed.
    pub fn kills(&self) -> usize {
        self.applies
            .iter()
            .filter(|a| matches!(a.ended, Ended::Killed { .. }))
            .count()
    }

    /// Objects that share an externalRef within a kind, beyond the first.
    pub fn duplicates(&self) -> u64 {
        self.store.duplicates.iter().map(|d| d.count - 1).sum()
    }

    /// The guarantees: no duplicate, and exactly one portal object per declared resource.
    /// (Convergence with no manual step is checked by the run itself: it fails otherwise.)
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if !self.store.duplicates.is_empty() {
            problems.push(format!("duplicates: {:?}", self.store.duplicates));
        }
        if self.store.total() != self.declared as u64 {
            problems.push(format!(
                "{} portal objects for {} declared resources: {:?}",
                self.store.total(),
                self.declared,
                self.store.objects
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("seed {}: {}", self.seed, problems.join("; ")))
        }
    }

    /// The summary table and the table of applies.
    pub fn markdown(&self) -> String {
        let t = &self.traffic;
        let share = |n: u64| 100.0 * n as f64 / t.requests.max(1) as f64;
        let fault = |name: &str| t.faults.get(name).copied().unwrap_or(0);
        let kill_points: Vec<String> = self
            .applies
            .iter()
            .filter_map(|a| match a.ended {
                Ended::Killed { step, of } => Some(format!("{step}/{of}")),
                _ => None,
            })
            .collect();
        let mut out = String::new();
        let rows = [
            ("tenants", format!("{} (seed {})", self.tenants, self.seed)),
            (
                "portal objects",
                format!(
                    "{} in the sandbox for {} declared resources",
                    self.store.total(),
                    self.declared
                ),
            ),
            (
                "contract requests",
                format!(
                    "{} ({} writes){}",
                    t.requests,
                    t.writes,
                    if t.cut { ", log cut: lower bound" } else { "" }
                ),
            ),
            (
                "faults injected",
                format!(
                    "{} = {:.1} % (configured {:.0} %): {} × 429 + Retry-After, {} × 5xx, \
                     {} dropped, {} commit-then-drop",
                    t.total_faults(),
                    share(t.total_faults()),
                    100.0 * self.fault_share,
                    fault("rateLimited"),
                    fault("serverError"),
                    fault("dropped"),
                    fault("commitThenDrop"),
                ),
            ),
            (
                "SIGKILLs",
                format!("{} (at step {})", self.kills(), kill_points.join(", ")),
            ),
            (
                "duplicates (objects per externalRef and kind > 1)",
                self.duplicates().to_string(),
            ),
            (
                "manual steps",
                "0 (no command but `tenantry apply` wrote; `plan` only reads)".to_owned(),
            ),
            (
                "customer consents",
                format!(
                    "{} (the runner grants each TeamMate consent as the customer's Global Admin)",
                    self.consents
                ),
            ),
            (
                "applies run",
                format!(
                    "{} ({} killed, {} to converge), then {} plan(s)",
                    self.applies.len(),
                    self.kills(),
                    self.applies.len() - self.kills(),
                    self.plans
                ),
            ),
            (
                "time to converge",
                format!("{:.1} s", self.converge.as_secs_f64()),
            ),
        ];
        out.push_str("| measure | value |\n|---|---|\n");
        for (k, v) in rows {
            let _ = writeln!(out, "| {k} | {v} |");
        }
        out.push_str("\n| apply | planned actions | ended | summary |\n|---:|---:|---|---|\n");
        for (i, a) in self.applies.iter().enumerate() {
            let ended = match a.ended {
                Ended::Exited(code) => format!("exit {code}"),
                Ended::Killed { step, of } => format!("SIGKILL after step {step} of {of}"),
                Ended::Signalled(s) => format!("signal {s}"),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {ended} | {} |",
                i + 1,
                a.planned.map_or_else(|| "–".to_owned(), |n| n.to_string()),
                a.summary.as_deref().unwrap_or("")
            );
        }
        out
    }
}
