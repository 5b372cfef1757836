//! `tenantry sandbox` as a binary: the token comes from the environment (as the shipped
//! Deployment passes its Secret), so it never sits on a command line, and it is enforced.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

const TOKEN: &str = "sandbox-env-token-0123";

/// Kills the sandbox when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_token_from_the_environment_is_the_only_one_accepted() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("tenantry"))
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .env("TENANTRY_SANDBOX_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tenantry sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the start-up line");
    assert!(
        !first.contains(TOKEN),
        "the start-up line shows the token: {first}"
    );
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the start-up line names the URL")
        .to_owned();

    super::install_crypto();
    let http = reqwest::Client::new();
    let get = |token: &'static str| {
        http.get(format!("{url}/v1/daas/customers"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        get("some-other-token").await.expect("answer").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(TOKEN).await.expect("answer").status(), StatusCode::OK);
    drop(running);
}
