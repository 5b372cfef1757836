//! Running the real `tenantry` binary off the async executor, so that an in-process sandbox
//! keeps serving while it runs.

use std::path::Path;
use std::process::ExitStatus;

use assert_cmd::Command;
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

/// What one run of the binary printed, and how it ended.
pub(crate) struct Run {
    /// How the process ended (a signal, for the crash-point tests).
    pub(crate) status: ExitStatus,
    /// The exit code; -1 when a signal ended the process.
    pub(crate) code: i32,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
}

impl Run {
    /// Standard output, standard error and how the process ended: for assertion messages.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}\n[{}]", self.stdout, self.stderr, self.status)
    }
}

/// An in-process sandbox on 127.0.0.1:0 with the demo inventory.
pub(crate) async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config.with_fixtures(Fixtures::demo()))
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

/// Runs `tenantry ARGS --portal URL` in `dir` off the async executor.
pub(crate) async fn tenantry(dir: &Path, url: &str, args: &[&str]) -> Run {
    let url = url.to_owned();
    run_binary(dir, args, move |command| {
        command
            .args(["--portal", &url])
            .env("TENANTRY_PORTAL_TOKEN", "test-token")
            .env("RUST_LOG", "tenantry=trace");
    })
    .await
}

/// Runs `tenantry ARGS` in `dir` with the portal taken from the input (no `--portal`; the
/// PortalConnection `default` and its token Secret), at trace log level.
pub(crate) async fn tenantry_in(dir: &Path, args: &[&str]) -> Run {
    run_binary(dir, args, |command| {
        command
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN")
            .env("RUST_LOG", "trace");
    })
    .await
}

/// Runs the binary with `args` in `dir`, as `configure` sets it up, off the async executor.
pub(crate) async fn run_binary(
    dir: &Path,
    args: &[&str],
    configure: impl FnOnce(&mut Command) + Send + 'static,
) -> Run {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin!("tenantry"));
        command.current_dir(&dir).args(&args);
        configure(&mut command);
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
        Run {
            status: output.status,
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .unwrap_or_else(|e| panic!("join: {e}"))
}
