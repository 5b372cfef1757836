//! The CLI's record of what it last applied (`applied.json` in `--state-dir`), which tells a
//! change made by hand in a portal (drift) from a declared change (docs/drift.md).
//!
//! Safe to lose: without it every difference counts as a declared change, as before tenantry
//! knew drift; the next apply writes it again. It holds digests, never values.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use tenantry::engine::Report;
use tenantry::model::{Address, Model, Observed, Resource};
use tenantry::plan::{Applied, Plan};

use super::error::CliError;

/// The record's file name inside the state directory.
const FILE: &str = "applied.json";

fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE)
}

/// The record in `state_dir`; empty when there is none.
pub fn load(state_dir: &Path) -> Result<Applied, CliError> {
    let path = path(state_dir);
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
    state_dir: &Path,
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
    write(&path(state_dir), &applied)
}

/// Writes the record whole (owner-only, in the private state directory the sandbox uses too)
/// and renames it into place: a crash leaves the old or the new. The temporary file is named
/// per process, so concurrent applies in one directory never trip over each other's; the last
/// one's record wins, and a record only ever decides what counts as drift.
fn write(path: &Path, applied: &Applied) -> Result<(), CliError> {
    let io = |doing, source| CliError::Io {
        doing,
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tenantry::sandbox::state_dir(dir)?;
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
