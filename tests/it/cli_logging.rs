//! The one logging setup (issue 19.3): `tenantry controller` logs INFO by default and honours
//! `--log-format json`, as the shipped Deployment (manifests/deployment.yaml) asks.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A kubeconfig whose API server is a closed port: the controller starts, logs, and its
/// watches fail, so it never stops by itself.
const CLOSED_KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
clusters:
  - name: closed
    cluster: {server: \"https://127.0.0.1:1\", insecure-skip-tls-verify: true}
users:
  - name: nobody
    user: {token: not-a-token}
contexts:
  - name: closed
    context: {cluster: closed, user: nobody, namespace: default}
current-context: closed
";

/// The controller's first log line once it serves its operations endpoint.
const SERVING: &str = "serving /healthz, /readyz and /metrics";

/// Guards against a controller that never logs the line (it keeps logging its failed watches,
/// so the bound is on the whole wait): the test then fails instead of hanging. It bounds a
/// wait, it is not what the test asserts.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Starts `tenantry controller EXTRA` against [`CLOSED_KUBECONFIG`] without `RUST_LOG`, and
/// returns its stderr lines up to and including the first that mentions [`SERVING`]; the
/// process is killed then.
fn controller_lines(extra: &[&str]) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let kubeconfig = tmp.path().join("kubeconfig");
    std::fs::write(&kubeconfig, CLOSED_KUBECONFIG).unwrap_or_else(|e| panic!("write: {e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .current_dir(tmp.path())
        .args([
            "controller",
            "--no-leader-election",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("RUST_LOG")
        .env_remove("TENANTRY_PORTAL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
    let stderr = child
        .stderr
        .take()
        .unwrap_or_else(|| panic!("stderr is piped"));
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + HANG_GUARD;
    let outcome = loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                let done = line.contains(SERVING);
                lines.push(line);
                if done {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    if let Err(e) = outcome {
        panic!(
            "the controller never logged {SERVING:?} ({e}); stderr:\n{}",
            lines.join("\n")
        );
    }
    lines
}

#[test]
fn controller_logs_info_as_json_with_log_format_json() {
    let lines = controller_lines(&["--log-format", "json"]);
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(value["level"].is_string(), "no level: {line}");
        assert!(value["message"].is_string(), "no message: {line}");
    }
    let last: serde_json::Value =
        serde_json::from_str(lines.last().map_or("", String::as_str)).unwrap_or_default();
    assert_eq!(last["level"], "INFO", "{lines:#?}");
    assert_eq!(last["message"], SERVING, "{lines:#?}");
}

#[test]
fn controller_logs_info_as_text_by_default() {
    let lines = controller_lines(&[]);
    let last = lines.last().map_or("", String::as_str);
    assert!(last.contains(" INFO "), "{lines:#?}");
    assert!(
        serde_json::from_str::<serde_json::Value>(last).is_err(),
        "text, not JSON: {last}"
    );
    // Not a terminal: no colour codes for a log file to carry.
    assert!(!last.contains('\u{1b}'), "{last:?}");
}
