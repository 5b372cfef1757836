//! The CLI's record of what it last applied (`applied.json` in `--state-dir`), which tells a
//! change made by hand in a portal (drift) from a declared change (docs/drift.md).
//!
//! One record per target (a digest of its description names the file), so an apply to the
//! sandbox never decides what counts as drift in production.
//!
//! Safe to lose: without it every difference counts as a declared change, as before tenantry
//! knew drift; the next apply writes it again. It holds digests, never values.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use tenantry::engine::Report;
use tenantry::model::{Address, Model, Observed, Resource};
use tenantry::plan::{Applied, Plan};

use super::error::CliError;

/// The record of `target` (a run's target description) inside the state directory.
fn path(state_dir: &Path, target: &str) -> PathBuf {
    let digest = Sha256::digest(target.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    state_dir.join(format!("applied-{short}.json"))
}

/// The record of `target` in `state_dir`; empty when there is none.
pub fn load(state_dir: &Path, target: &str) -> Result<Applied, CliError> {
    let path = path(state_dir, target);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Applied::new()),
        Err(source) => {
            return Err(CliError::Io {
                doing: "read",
                path,
                source,
            });
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| CliError::Io {
        doing: "read the record of applied declarations (delete the file to start a new one)",
        path,
        source: std::io::Error::other(e),
    })
}

/// Records, after an apply, every resource of `model` that `mine` selects and that the run
/// left converged: unchanged in `plan` and present, or written by a step that finished.
pub fn save_after(
    (state_dir, target): (&Path, &str),
    applied: Applied,
    run: (&Model, &Observed, &Plan, Option<&Report>),
    mine: impl Fn(&Resource) -> bool,
) -> Result<(), CliError> {
    let (model, observed, plan, report) = run;
    let done: HashSet<&Address> = report
        .map(|r| {
            let unfinished: HashSet<&Address> = r
                .steps
                .iter()
                .filter(|s| !s.outcome.is_done())
                .map(|s| &s.address)
                .collect();
            r.steps
                .iter()
                .map(|s| &s.address)
                .filter(|a| !unfinished.contains(a))
                .collect()
        })
        .unwrap_or_default();
    let mut applied = applied.after(model, observed, plan, &mine);
    for r in model.resources() {
        if mine(r) && done.contains(&r.address) {
            applied.record(r);
        }
    }
    write(&path(state_dir, target), &applied)
}

/// Writes the record whole (owner-only) and renames it into place: a crash leaves the old or the new. The temporary file is named
/// per process, so concurrent applies in one directory never trip over each other's; the last
/// one's record wins, and a record only ever decides what counts as drift.
fn write(path: &Path, applied: &Applied) -> Result<(), CliError> {
    let io = |doing, source| CliError::Io {
        doing,
        path: path.to_owned(),
        source,
    };
    // A new state directory is owner-only, as the sandbox makes it; an existing one is the
    // user's (the sandbox checks its own mode when it starts there).
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| io("create the directory of", e))?;
    }
    let bytes = serde_json::to_vec_pretty(applied).map_err(|e| io("write", e.into()))?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| io("write", e))?;
        file.write_all(&bytes).map_err(|e| io("write", e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io("write", e))
}
