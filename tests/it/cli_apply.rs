//! `tenantry plan` and `apply` on the real binary against an in-process sandbox (issue 4).

use std::path::Path;

use assert_cmd::Command;
use tenantry::sandbox::{FaultConfig, FaultRule, Fixtures, OffPeak, Sandbox, SandboxConfig};

use crate::support::{
    Run, action_lines, edit, example_secrets, examples_copy, run_binary, sandbox, tenantry,
    tenantry_in,
};

/// `tenantry apply -f examples/ --auto-approve`, which must succeed.
async fn apply_ok(dir: &Path, url: &str) -> Run {
    let run = tenantry(dir, url, &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn first_plan_creates_apply_converges_second_plan_is_empty() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, _) = examples_copy();
    let url = sb.url();

    let first = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(first.code, 2, "{}", first.all());
    let actions = action_lines(&first.stdout);
    assert!(!actions.is_empty(), "{}", first.stdout);
    assert!(actions.iter().all(|l| l.starts_with("+ ")), "{actions:#?}");
    assert!(
        first
            .stdout
            .contains(", 0 to change, 0 to destroy, 0 to replace."),
        "{}",
        first.stdout
    );

    let apply = apply_ok(tmp.path(), &url).await;
    // TeamMate enterprises wait for the customer's Global Admin: reported, not failed.
    assert!(apply.stdout.contains("AwaitingConsent"), "{}", apply.stdout);
    assert!(apply.stdout.contains("0 failed"), "{}", apply.stdout);

    let second = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(second.code, 0, "{}", second.all());
    assert!(second.stdout.contains("No changes."), "{}", second.stdout);
    assert!(action_lines(&second.stdout).is_empty(), "{}", second.stdout);

    // Secrets never reach any output, at trace log level, in any format.
    let json = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", "json"]).await;
    let md = tenantry(
        tmp.path(),
        &url,
        &["plan", "-f", "examples/", "-o", "markdown"],
    )
    .await;
    for secret in example_secrets() {
        for (what, run) in [
            ("plan", &first),
            ("apply", &apply),
            ("json", &json),
            ("md", &md),
        ] {
            assert!(
                !run.all().contains(&secret),
                "a password leaked into {what} output"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_changed_field_is_one_update_of_that_field() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    apply_ok(tmp.path(), &url).await;

    edit(
        &dir.join("customers/kenton-electronics/tenant.yaml"),
        "billingId: ",
        "billingId: RQ-99999 # was ",
    );
    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let actions = action_lines(&plan.stdout);
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert!(actions[0].starts_with("~ daas/customers"), "{actions:#?}");
    assert!(plan.stdout.contains("~ billingId:"), "{}", plan.stdout);
    assert!(plan.stdout.contains("\"RQ-99999\""), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("0 to add, 1 to change"),
        "{}",
        plan.stdout
    );

    apply_ok(tmp.path(), &url).await;
    let again = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(again.code, 0, "{}", again.all());
}

#[tokio::test(flavor = "multi_thread")]
async fn removed_objects_are_orphaned_or_pruned_by_their_deletion_policy() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    let services = dir.join("customers/kenton-electronics/services.yaml");
    let text = std::fs::read_to_string(&services).unwrap_or_else(|e| panic!("{e}"));
    // The Citrix binding records deletionPolicy Delete; the file-sharing one inherits Orphan.
    let text = text.replacen("  citrix:", "  deletionPolicy: Delete\n  citrix:", 1);
    std::fs::write(&services, &text).unwrap_or_else(|e| panic!("{e}"));
    apply_ok(tmp.path(), &url).await;

    // Drop three manifests from the input: both bindings and the admin mchen.
    let kept: Vec<&str> = text
        .split("\n---")
        .filter(|doc| !doc.contains("  citrix:") && !doc.contains("  fileSharing:"))
        .collect();
    std::fs::write(&services, kept.join("\n---")).unwrap_or_else(|e| panic!("{e}"));
    let admins = dir.join("customers/kenton-electronics/admins.yaml");
    let text = std::fs::read_to_string(&admins).unwrap_or_else(|e| panic!("{e}"));
    let kept: Vec<&str> = text
        .split("\n---")
        .filter(|doc| !doc.contains("name: mchen"))
        .collect();
    std::fs::write(&admins, kept.join("\n---")).unwrap_or_else(|e| panic!("{e}"));

    let before = sb.requests().len();
    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(action_lines(&plan.stdout).is_empty(), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to destroy"), "{}", plan.stdout);
    let orphans: Vec<&str> = plan
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Left in the portals"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(orphans.len(), 3, "{}", plan.stdout);
    for (orphan, reason) in [
        ("daas/citrix customers/kenton-electronics-citrix", "prune"),
        (
            "daas/file-sharing customers/kenton-electronics-file-sharing",
            "Orphan",
        ),
        ("daas/admins customers/mchen", "Orphan"),
    ] {
        let line = orphans.iter().find(|l| l.contains(orphan));
        assert!(
            line.is_some_and(|l| l.contains(reason)),
            "{orphan}: {}",
            plan.stdout
        );
    }
    assert!(
        sb.requests()[before..].iter().all(|r| r.method == "GET"),
        "a plan only reads"
    );

    let prune = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "--prune"]).await;
    assert_eq!(prune.code, 2, "{}", prune.all());
    let actions = action_lines(&prune.stdout);
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert!(actions[0].starts_with("- daas/citrix"), "{actions:#?}");

    let applied = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--prune", "--auto-approve"],
    )
    .await;
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert_eq!(
        sb.count_objects("daas", "citrix", "customers/kenton-electronics-citrix")
            .await,
        0
    );
    assert_eq!(
        sb.count_objects(
            "daas",
            "file-sharing",
            "customers/kenton-electronics-file-sharing"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_work_is_reported_not_failed() {
    let fixtures = Fixtures {
        off_peak: Some(OffPeak {
            all: true,
            templates: Vec::new(),
        }),
        ..Fixtures::demo()
    };
    let sb = Sandbox::start(SandboxConfig::default().with_fixtures(fixtures))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (tmp, _) = examples_copy();
    let apply = tenantry(
        tmp.path(),
        &sb.url(),
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(apply.stdout.contains("Scheduled"), "{}", apply.stdout);
    assert!(apply.stdout.contains("0 failed"), "{}", apply.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_plan_hash_writes_nothing() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    let run = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--plan-hash", "0000beef"],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("ApprovalStale"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("+ daas/customers customers/kenton-electronics"),
        "the message names what the plan holds now: {}",
        run.stderr
    );
    assert_eq!(sb.object_count().await, 0);

    // The hash of the reviewed plan applies exactly that plan.
    let json = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", "json"]).await;
    let plan: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    let hash = plan["hash"].as_str().unwrap_or_default().to_owned();
    assert_eq!(hash.len(), 64, "{}", json.stdout);
    let run = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--plan-hash", &hash],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(sb.object_count().await > 0);

    // A reviewed edit, then another edit before the apply: the approval is stale, nothing is
    // written, and the message names the address and field of what the plan holds now.
    let tenant = dir.join("customers/kenton-electronics/tenant.yaml");
    edit(&tenant, "billingId: ", "billingId: RQ-77777 # was ");
    let json = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", "json"]).await;
    let plan: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    let reviewed = plan["hash"].as_str().unwrap_or_default().to_owned();
    edit(&tenant, "RQ-77777", "RQ-88888");
    let writes_before = sb.requests().iter().filter(|r| r.method != "GET").count();
    let run = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--plan-hash", &reviewed],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("ApprovalStale"), "{}", run.stderr);
    assert!(run.stderr.contains(&reviewed), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("~ daas/customers customers/kenton-electronics: billingId"),
        "{}",
        run.stderr
    );
    let writes_after = sb.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes_after, writes_before, "a stale approval wrote");
}

#[tokio::test(flavor = "multi_thread")]
async fn re_running_an_applied_plan_hash_has_nothing_left_to_do() {
    // A CI job re-run after its approved apply went through (issue 14, item 8).
    let sb = sandbox(SandboxConfig::default()).await;
    let url = sb.url();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = "\
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: rerun, namespace: customers}
spec:
  displayName: Rerun Works
  contact: {name: Jane Roe, email: jane@rerun.example, phone: '+15555550100'}
  address: {line1: 1 Main Street, city: Dayton, region: OH, postalCode: '45402', country: US}
  businessType: Manufacturing
  domains: [rerun.example]
  supportContacts:
    - {role: Maintainer, name: Priya Natarajan, email: support@msp.example}
    - {role: OnsiteAdmin, name: Marcus Chen, email: marcus@rerun.example}
  portals: [cloudlink]
";
    std::fs::write(tmp.path().join("rerun.yaml"), manifest).unwrap_or_else(|e| panic!("{e}"));
    let json = tenantry(
        tmp.path(),
        &url,
        &["plan", "-f", "rerun.yaml", "-o", "json"],
    )
    .await;
    let plan: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    let hash = plan["hash"].as_str().unwrap_or_default().to_owned();
    let args = ["apply", "-f", "rerun.yaml", "--plan-hash", &hash];
    let first = tenantry(tmp.path(), &url, &args).await;
    assert_eq!(first.code, 0, "{}", first.all());
    let again = tenantry(tmp.path(), &url, &args).await;
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stdout.contains("Apply finished: nothing to do."),
        "{}",
        again.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_through_faults_without_duplicates() {
    let faults = FaultConfig {
        seed: Some(7),
        rules: vec![FaultRule {
            server_error: 0.15,
            rate_limit: 0.1,
            retry_after_seconds: 0,
            drop_connection: 0.1,
            commit_then_drop: 0.1,
            ..FaultRule::default()
        }],
    };
    let sb = sandbox(SandboxConfig::default().with_faults(faults)).await;
    let (tmp, _) = examples_copy();
    let url = sb.url();
    // The first plan lists every object to create; each must exist exactly once afterwards.
    let first = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", "json"]).await;
    assert_eq!(first.code, 2, "{}", first.all());
    let value: serde_json::Value =
        serde_json::from_str(&first.stdout).unwrap_or_else(|e| panic!("{e}"));
    let creates: Vec<(String, String, String)> = value["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let field = |f: &str| a[f].as_str().unwrap_or_default().to_owned();
            (field("portal"), field("kind"), field("externalRef"))
        })
        .collect();
    assert!(creates.len() >= 25, "{}", first.stdout);

    apply_ok(tmp.path(), &url).await;
    let faulted = sb.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(faulted >= 5, "only {faulted} faults were injected");
    let writes_retried = sb
        .requests()
        .iter()
        .filter(|r| r.fault.as_deref() == Some("commitThenDrop"))
        .count();
    assert!(
        writes_retried > 0,
        "no write was committed and then dropped"
    );
    for (portal, kind, external_ref) in &creates {
        assert_eq!(
            sb.count_objects(portal, kind, external_ref).await,
            1,
            "{portal}/{kind} {external_ref}"
        );
    }
    assert_eq!(sb.object_count().await, creates.len());

    sb.set_faults(FaultConfig::default());
    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
}

/// The README's first command: apply against the embedded sandbox (state in `.tenantry/`),
/// then a plan in a new process finds no changes.
#[test]
fn the_quickstart_converges_on_the_embedded_sandbox() {
    let (tmp, _) = examples_copy();
    let run = |args: &[&str]| {
        let output = Command::new(assert_cmd::cargo::cargo_bin!("tenantry"))
            .current_dir(tmp.path())
            .args(args)
            .env_remove("TENANTRY_PORTAL")
            .output()
            .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code().unwrap_or(-1), text)
    };
    let (code, text) = run(&["apply", "-f", "examples/", "--auto-approve"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("Using the embedded sandbox (.tenantry/sandbox.db)"),
        "apply says in its first line that it talks to the sandbox: {text}"
    );
    assert!(tmp.path().join(".tenantry/sandbox.db").exists());
    let (code, text) = run(&["plan", "-f", "examples/"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("No changes."), "{text}");
}

/// A Tenant that names a PortalConnection the input lacks is an error; it never falls back
/// to the embedded sandbox (issue 18, item 2).
#[tokio::test(flavor = "multi_thread")]
async fn a_named_connection_that_does_not_exist_is_an_error_not_the_sandbox() {
    let (tmp, dir) = examples_copy();
    let tenant = dir.join("customers/kenton-electronics/tenant.yaml");
    edit(
        &tenant,
        "spec:\n",
        "spec:\n  portalConnectionRef: {name: nowhere}\n",
    );
    let plan: &[&str] = &["plan", "-f", "examples/"];
    let apply: &[&str] = &["apply", "-f", "examples/", "--auto-approve"];
    for args in [plan, apply] {
        let command = args[0];
        let run = tenantry_in(tmp.path(), args).await;
        assert_eq!(run.code, 1, "{command}: {}", run.all());
        assert!(
            run.stderr
                .contains("PortalConnection nowhere is named by spec.portalConnectionRef"),
            "{command}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("embedded sandbox"), "{}", run.stdout);
    }
    assert!(
        !tmp.path().join(".tenantry").exists(),
        "the embedded sandbox never started"
    );
}

/// A one-letter token is refused before any call, instead of being "scrubbed" from every
/// message letter by letter (issue 14, item 7).
#[tokio::test(flavor = "multi_thread")]
async fn a_credential_too_short_to_be_real_is_refused() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, _) = examples_copy();
    let url = sb.url();
    let run = run_binary(tmp.path(), &["plan", "-f", "examples/"], move |c| {
        c.env("TENANTRY_PORTAL", &url)
            .env("TENANTRY_PORTAL_TOKEN", "x");
    })
    .await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("is 1 characters; a real credential has at least 8"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains("(sensitive)"), "{}", run.all());
    assert!(sb.requests().is_empty(), "no call was made");
}

/// A usage error exits 1, never 2 (which `plan` reserves for "changes present").
#[test]
fn usage_errors_exit_1() {
    let output = Command::new(assert_cmd::cargo::cargo_bin!("tenantry"))
        .args(["plan", "--no-such-flag"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--no-such-flag"));
}

/// A failed resource stops its dependants; independent resources go on, and apply exits 1.
#[tokio::test(flavor = "multi_thread")]
async fn a_failure_skips_dependants_and_spares_the_rest() {
    let faults = FaultConfig {
        seed: Some(1),
        rules: vec![FaultRule {
            method: Some("POST".to_owned()),
            portal: Some("daas".to_owned()),
            kind: Some("customers".to_owned()),
            server_error: 1.0,
            ..FaultRule::default()
        }],
    };
    let sb = sandbox(SandboxConfig::default().with_faults(faults)).await;
    let (tmp, _) = examples_copy();
    let apply = tenantry(
        tmp.path(),
        &sb.url(),
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    let line = |prefix: &str| {
        apply
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("create daas/customers/customers/kenton-electronics:").contains("failed"),
        "{}",
        apply.stdout
    );
    assert!(
        line("create daas/admins/customers/jroe:")
            .contains("skipped: waits for daas/customers/customers/kenton-electronics"),
        "{}",
        apply.stdout
    );
    assert!(
        line("create cloudlink/accounts/customers/kenton-electronics:").ends_with("done"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        sb.count_objects("daas", "customers", "customers/kenton-electronics")
            .await,
        0
    );
    assert_eq!(
        sb.count_objects("cloudlink", "accounts", "customers/kenton-electronics")
            .await,
        1
    );
}

/// Work the portal is still doing is reported as waiting, never as a failure: Azure AD takes
/// minutes (real time here), so Microsoft Online waits for it, and an edit of the Azure AD
/// service while it provisions is refused by the portal as busy.
#[tokio::test(flavor = "multi_thread")]
async fn busy_portal_objects_are_waiting_not_failed() {
    let sb = sandbox(SandboxConfig::default().with_time_scale(1.0)).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    let args = ["apply", "-f", "examples/", "--auto-approve", "--wait", "1"];
    let first = tenantry(tmp.path(), &url, &args).await;
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first.stdout.contains(
            "create daas/microsoft-online/customers/kenton-electronics-microsoft-online: skipped"
        ),
        "{}",
        first.stdout
    );

    edit(
        &dir.join("customers/kenton-electronics/services.yaml"),
        "    mode: CreateNew",
        "    mode: CreateNew\n    acceptedBy: {name: Marcus Chen, email: marcus.chen@kenton-electronics.example}",
    );
    let second = tenantry(tmp.path(), &url, &args).await;
    assert_eq!(second.code, 0, "{}", second.all());
    let line = second
        .stdout
        .lines()
        .find(|l| l.starts_with("update daas/azure-ad/customers/kenton-electronics-azure-ad:"))
        .unwrap_or_default();
    assert!(line.contains("Provisioning"), "{}", second.stdout);
    assert!(second.stdout.contains("0 failed"), "{}", second.stdout);
}

/// Removing a whole customer from the input orphans its objects; pruning them would delete a
/// large share of the portal, so the pass stops before any write unless told otherwise.
#[tokio::test(flavor = "multi_thread")]
async fn mass_deletion_stops_before_any_write() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    edit(
        &dir.join("customers/kenton-electronics/tenant.yaml"),
        "deletionPolicy: Orphan",
        "deletionPolicy: Delete",
    );
    apply_ok(tmp.path(), &url).await;
    std::fs::remove_dir_all(dir.join("customers/kenton-electronics"))
        .unwrap_or_else(|e| panic!("{e}"));
    edit(
        &dir.join("kustomization.yaml"),
        "  - customers/kenton-electronics\n",
        "",
    );

    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(action_lines(&plan.stdout).is_empty(), "{}", plan.stdout);
    let orphaned = plan
        .stdout
        .lines()
        .filter(|l| l.contains("customers/kenton-electronics"))
        .count();
    assert!(orphaned >= 3, "{}", plan.stdout);

    let writes = |sb: &Sandbox| {
        sb.requests()
            .iter()
            .filter(|r| r.method != "GET" && r.path.starts_with("/v1/"))
            .count()
    };
    let before = writes(&sb);
    let start = sb.requests().len();
    let prune = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--prune", "--auto-approve"],
    )
    .await;
    assert_eq!(prune.code, 1, "{}", prune.all());
    assert!(
        prune.stderr.contains("--max-delete-share") && prune.stderr.contains("nothing was written"),
        "{}",
        prune.stderr
    );
    assert_eq!(writes(&sb), before, "the guard let a write through");
    // The only portal calls of the guarded pass are the observation's list pages: no write,
    // no delete, no read of a single object on the way to one.
    let calls = sb.requests();
    assert!(calls.len() > start, "the pass observed the portal");
    let guarded: Vec<String> = calls[start..]
        .iter()
        .filter(|r| r.method != "GET" || r.route.ends_with("{id}"))
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    assert!(guarded.is_empty(), "{guarded:?}");

    let allowed = tenantry(
        tmp.path(),
        &url,
        &[
            "apply",
            "-f",
            "examples/",
            "--prune",
            "--auto-approve",
            "--max-delete-share",
            "1",
        ],
    )
    .await;
    assert_eq!(allowed.code, 0, "{}", allowed.all());
    assert_eq!(
        sb.count_objects("daas", "customers", "customers/kenton-electronics")
            .await,
        0
    );
}
