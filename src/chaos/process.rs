//! One run of the real `tenantry` binary against the sandbox: `apply` (optionally killed with
//! SIGKILL once it has finished step k of the n it planned) and `plan`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Error;

/// What the runs need: the binary, the repository, the portal, and where logs go.
#[derive(Debug, Clone)]
pub struct Cli {
    /// The `tenantry` binary.
    pub bin: PathBuf,
    /// The generated repository (passed as `-f`).
    pub repo: PathBuf,
    /// The sandbox URL (passed as `--portal`).
    pub url: String,
    /// `apply --parallelism`.
    pub parallelism: u16,
    /// Directory of the per-run stdout/stderr logs.
    pub logs: PathBuf,
}

/// How one `apply` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Exited by itself with this code.
    Exited(i32),
    /// SIGKILLed after `step` of the `of` actions its plan listed had finished.
    Killed { step: usize, of: usize },
    /// Ended by a signal the runner did not send.
    Signalled(i32),
}

/// One `apply`: how it ended, the size of its plan and its closing summary line.
#[derive(Debug, Clone)]
pub struct ApplyRun {
    /// How it ended.
    pub ended: Ended,
    /// Actions in the plan it printed (`None` if it died before printing one).
    pub planned: Option<usize>,
    /// `Apply finished: ...`, when it got there.
    pub summary: Option<String>,
    /// The stdout log.
    pub log: PathBuf,
}

/// One `plan`: exit code (0 no changes, 2 changes, 1 error) and its output.
#[derive(Debug, Clone)]
pub struct PlanRun {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl PlanRun {
    /// Async operations the plan lists as still under way in the portals.
    pub fn pending_operations(&self) -> usize {
        self.stdout
            .lines()
            .skip_while(|l| !l.starts_with("Async operations in the portals:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .count()
    }
}

/// The number of actions in a `Plan: A to add, C to change, D to destroy, R to replace.` line.
pub fn planned_actions(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("Plan: ")?;
    rest.split(", ")
        .map(|part| part.split_whitespace().next()?.parse::<usize>().ok())
        .sum()
}

/// A line the CLI prints when one step finished (`create daas/customers/...: done`).
fn is_step_line(line: &str) -> bool {
    ["create ", "update ", "replace ", "delete "]
        .iter()
        .any(|p| line.starts_with(p))
        && line.contains(": ")
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .arg("-f")
            .arg(&self.repo)
            .args(["--portal", &self.url])
            // Beside the logs, never in the caller's working directory.
            .arg("--state-dir")
            .arg(self.logs.join("state"))
            .env("TENANTRY_PORTAL_TOKEN", "chaos-token")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `tenantry apply --auto-approve`; with `kill_at` (a share in (0, 1]), sends SIGKILL
    /// once ⌈share × n⌉ of the n planned steps have finished.
    pub fn apply(&self, number: usize, kill_at: Option<f64>) -> Result<ApplyRun, Error> {
        let log = self.logs.join(format!("apply-{number:03}.out"));
        let err_log = self.logs.join(format!("apply-{number:03}.err"));
        let logging = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io {
                doing: "logging to",
                path,
                source,
            }
        };
        let err = std::fs::File::create(&err_log).map_err(logging(&err_log))?;
        let parallelism = self.parallelism.to_string();
        let spawned = |source| Error::Spawn {
            bin: self.bin.clone(),
            source,
        };
        let mut child = self
            .command(&["apply", "--auto-approve", "--parallelism", &parallelism])
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(spawned)?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| spawned(std::io::Error::other("no stdout pipe")))?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&log).map_err(logging(&log))?);
        let mut planned = None;
        let mut target = None;
        let mut finished = 0;
        let mut killed_at = None;
        let mut summary = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(logging(&log))?;
            writeln!(out, "{line}").map_err(logging(&log))?;
            if planned.is_none()
                && let Some(n) = planned_actions(&line)
            {
                planned = Some(n);
                target = kill_at.filter(|_| n > 0).map(|share| kill_step(share, n));
            } else if is_step_line(&line) {
                finished += 1;
                if killed_at.is_none() && target == Some(finished) {
                    // The process may have exited already; the exit status says which.
                    let _ = child.kill();
                    killed_at = Some(finished);
                }
            } else if line.starts_with("Apply finished:") {
                summary = Some(line);
            }
        }
        out.flush().map_err(logging(&log))?;
        let status = child.wait().map_err(spawned)?;
        let ended = match (status.code(), status.signal(), killed_at) {
            (_, Some(9), Some(step)) => Ended::Killed {
                step,
                of: planned.unwrap_or(0),
            },
            (_, Some(signal), _) => Ended::Signalled(signal),
            (Some(code), _, _) => Ended::Exited(code),
            (None, None, _) => Ended::Signalled(0),
        };
        Ok(ApplyRun {
            ended,
            planned,
            summary,
            log,
        })
    }

    /// Runs `tenantry plan`.
    pub fn plan(&self) -> Result<PlanRun, Error> {
        let output = self
            .command(&["plan"])
            .output()
            .map_err(|source| Error::Spawn {
                bin: self.bin.clone(),
                source,
            })?;
        Ok(PlanRun {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// Step k of n for a drawn share: ⌈share × n⌉, at least 1.
fn kill_step(share: f64, n: usize) -> usize {
    let k = (share * n as f64).ceil();
    if k < 1.0 { 1 } else { (k as usize).min(n) }
}

/// The last `lines` lines of a log, for an error message.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
