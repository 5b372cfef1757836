//! Why a chaos run could not run or did not converge.

use std::path::PathBuf;

/// A chaos run that stopped; the guarantees of a finished run are [`super::Report::check`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory of the work directory cannot be used.
    #[error("{doing} {}: {source}", .path.display())]
    Io {
        /// What the runner was doing, e.g. `writing`.
        doing: &'static str,
        /// The path.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The `tenantry` binary cannot be run.
    #[error("cannot run {}: {source}", .bin.display())]
    Spawn {
        /// The binary.
        bin: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The sandbox did not start.
    #[error("cannot start the sandbox: {0}")]
    Sandbox(#[from] crate::sandbox::SandboxError),
    /// The sandbox database cannot be counted.
    #[error("cannot read the sandbox database: {0}")]
    Census(#[from] rusqlite::Error),
    /// Granting consent as a customer failed.
    #[error("consent for {enterprise}: {detail}")]
    Consent {
        /// The TeamMate enterprise.
        enterprise: String,
        /// The HTTP error, or the status and body of the answer.
        detail: String,
    },
    /// The first plan printed no `Plan:` line, so the size of the work is unknown.
    #[error("the first plan printed no `Plan:` line")]
    NoPlanLine,
    /// `tenantry plan` kept failing under the faults.
    #[error("`tenantry plan` failed {attempts} times:\n{stderr}")]
    PlanFailed {
        /// Attempts made.
        attempts: usize,
        /// Standard error of the last one.
        stderr: String,
    },
    /// An apply died in a way the runner did not cause (a crash, a signal).
    #[error("an apply ended abnormally; its output ends:\n{tail}")]
    Abnormal {
        /// The last lines of its output.
        tail: String,
    },
    /// The applies ran out before the plan came back empty.
    #[error(
        "not converged after {applies} applies without kills (seed {seed}); the last plan:\n{plan}"
    )]
    NotConverged {
        /// Applies without kills.
        applies: usize,
        /// The seed, to replay the run.
        seed: u64,
        /// The end of the last plan.
        plan: String,
    },
    /// A blocking task of the runner panicked or was cancelled.
    #[error("a runner task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}
