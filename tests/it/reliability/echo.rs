//! Echoed secrets (issue 8, item 2): the sandbox reflects request secrets into 4xx bodies, a
//! response header and the error of a failed operation; nothing of them reaches the output of
//! `tenantry apply` or `plan` at trace log level, in any format.

use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use crate::support::{example_secrets, examples_copy, sandbox, tenantry};

#[tokio::test(flavor = "multi_thread")]
async fn echoed_secrets_are_scrubbed_from_every_output() {
    let faults = FaultConfig {
        seed: Some(2),
        rules: vec![
            // Into an `X-Debug-Echo` header of every write with a secret, and into 4xx bodies.
            FaultRule {
                echo_secrets: true,
                ..FaultRule::default()
            },
            // A refusal that carries the admins' passwords.
            FaultRule {
                method: Some("POST".to_owned()),
                portal: Some("daas".to_owned()),
                kind: Some("admins".to_owned()),
                client_error: 1.0,
                client_error_statuses: vec![422],
                ..FaultRule::default()
            },
            // Contact-center tenants whose provisioning fails with their password in the error.
            FaultRule {
                portal: Some("contactcenter".to_owned()),
                kind: Some("tenants".to_owned()),
                fail_operations: 1.0,
                ..FaultRule::default()
            },
        ],
    };
    let sb = sandbox(SandboxConfig::default().with_faults(faults)).await;
    let (tmp, _) = examples_copy();
    let url = sb.url();
    let apply = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    let mut runs = vec![("apply", apply)];
    for format in ["text", "json", "markdown"] {
        let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", format]).await;
        runs.push(("plan", plan));
    }

    // The portal did echo, in a 4xx body and in an operation error, and the client scrubbed.
    let apply = &runs[0].1.stdout;
    let refused = apply
        .lines()
        .find(|l| l.contains("create daas/admins/") && l.contains("failed (InvalidField)"))
        .unwrap_or_else(|| panic!("no refused admin: {apply}"));
    assert!(
        refused.contains("(request secrets: (sensitive))"),
        "{refused}"
    );
    let failed = apply
        .lines()
        .find(|l| l.contains("contactcenter/tenants/") && l.contains("ProvisioningFailed"))
        .unwrap_or_else(|| panic!("no failed tenant: {apply}"));
    assert!(
        failed.contains("(request secrets: (sensitive))"),
        "{failed}"
    );

    for (what, run) in &runs {
        let text = run.all();
        for secret in example_secrets() {
            assert!(
                !text.contains(&secret),
                "a password leaked into {what} output"
            );
        }
        // Generated passwords are unknown here: whatever was echoed must read (sensitive).
        for echoed in text.split("request secrets: ").skip(1) {
            assert!(
                only_redactions(echoed),
                "{what}: an echoed secret survived: {}",
                echoed.lines().next().unwrap_or_default()
            );
        }
    }
}

/// True when `text` starts with a list of `(sensitive)` items separated by `, `.
fn only_redactions(mut text: &str) -> bool {
    loop {
        let Some(rest) = text.strip_prefix("(sensitive)") else {
            return false;
        };
        match rest.strip_prefix(", ") {
            Some(next) => text = next,
            None => return true,
        }
    }
}
