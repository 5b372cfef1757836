//! The binary's channels: stdout, stderr (logs at `RUST_LOG=trace`) and the plan files in
//! text, JSON and Markdown, over plan, a failing apply, apply, a password rotation and a prune.

use std::path::Path;

use tenantry::sandbox::{FaultConfig, FaultRule, Fixtures, Sandbox, SandboxConfig};

use super::wire::Wire;
use super::{Search, canary};
use crate::support::{edit, examples_copy, tenantry_in as tenantry};

fn secret_manifest(namespace: &str, name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {namespace}}}\n\
         type: Opaque\nstringData:\n  {key}: \"{value}\"\n"
    )
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_any_channel_of_the_cli() {
    let echo = FaultConfig {
        seed: Some(8),
        rules: vec![FaultRule {
            echo_secrets: true,
            ..FaultRule::default()
        }],
    };
    let config = SandboxConfig::default()
        .with_fixtures(Fixtures::demo())
        .with_faults(echo);
    let sb = Sandbox::start(config)
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let wire = Wire::start(&sb.url()).await;
    let (tmp, dir) = examples_copy();
    let mut search = Search::default();

    // Every declared secret and the connection's token get a canary.
    let token = canary("Token");
    let kenton = canary("Kenton");
    let meridian = canary("Meridian");
    let bluewater = canary("Bluewater");
    let rotated = canary("Rotated");
    for (name, value) in [
        ("portal token", &token),
        ("kenton admin password", &kenton),
        ("meridian admin password", &meridian),
        ("bluewater contact-center password", &bluewater),
        ("kenton admin password, rotated", &rotated),
    ] {
        search.secret(name, value.as_str());
    }
    let customers = dir.join("customers");
    let kenton_secret = customers.join("kenton-electronics/secrets.yaml");
    write(
        &kenton_secret,
        &secret_manifest("customers", "kenton-electronics-admin", "password", &kenton),
    );
    write(
        &customers.join("meridian-dental/secrets.yaml"),
        &secret_manifest("customers", "meridian-dental-admin", "password", &meridian),
    );
    write(
        &customers.join("bluewater-logistics/secrets.yaml"),
        &secret_manifest(
            "customers",
            "bluewater-logistics-contact-center",
            "password",
            &bluewater,
        ),
    );
    let connection = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n{}",
        wire.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token)
    );
    write(&dir.join("connection.yaml"), &connection);
    // Meridian Dental is pruned at the end: its objects record deletionPolicy Delete.
    edit(
        &customers.join("meridian-dental/tenant.yaml"),
        "spec:\n",
        "spec:\n  deletionPolicy: Delete\n",
    );

    // Someone else's contact-center tenant holds Bluewater's name: that create fails (409),
    // and the sandbox echoes the request's passwords into the error.
    let squatter = super::squat_contact_center_name(&sb, "BluewaterLogistics").await;

    let mut runs = Vec::new();
    for (format, file) in [
        ("text", "plan.txt"),
        ("json", "plan.json"),
        ("markdown", "plan.md"),
    ] {
        let plan = tenantry(tmp.path(), &["plan", "-f", "examples/", "-o", format]).await;
        assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
        // What a pipeline keeps: the plan file for review.
        let path = tmp.path().join(file);
        write(&path, &plan.stdout);
        let kept = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        search.channel(format!("the {format} plan file"), kept);
        runs.push((format!("plan -o {format}"), plan));
    }
    assert!(
        runs[0].1.stdout.contains("password: (sensitive)"),
        "the plan shows passwords as (sensitive): {}",
        runs[0].1.stdout
    );

    let failing = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(failing.code, 1, "{}\n{}", failing.stdout, failing.stderr);
    let failed = failing
        .stdout
        .lines()
        .find(|l| l.starts_with("create contactcenter/tenants/") && l.contains("failed"))
        .unwrap_or_else(|| panic!("no failed contact-center create: {}", failing.stdout));
    assert!(
        failed.contains("(sensitive)"),
        "echoed and scrubbed: {failed}"
    );
    assert!(
        wire.exchanges()
            .iter()
            .any(|e| e.response.contains(&bluewater)),
        "the sandbox never echoed the password, so scrubbing was not exercised"
    );
    runs.push(("apply with a failing write".to_owned(), failing));

    let deleted = crate::sandbox::Client::new(&sb)
        .delete(&format!(
            "/sandbox/objects/contactcenter/tenants/{}",
            squatter
        ))
        .await;
    assert!(deleted.status.is_success(), "{:#}", deleted.body);
    let applied = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    runs.push(("apply".to_owned(), applied));

    // A rotated password is an update that carries the new one.
    write(
        &kenton_secret,
        &secret_manifest(
            "customers",
            "kenton-electronics-admin",
            "password",
            &rotated,
        ),
    );
    let rotation = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(rotation.code, 0, "{}\n{}", rotation.stdout, rotation.stderr);
    assert!(
        rotation
            .stdout
            .contains("update daas/admins/customers/jroe"),
        "{}",
        rotation.stdout
    );
    runs.push(("apply of a rotated password".to_owned(), rotation));

    // Meridian Dental leaves the repository: a prune deletes its objects.
    std::fs::remove_dir_all(customers.join("meridian-dental")).unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "apply",
        "-f",
        "examples/",
        "--prune",
        "--auto-approve",
        "--max-delete-share",
        "1",
    ];
    let prune = tenantry(tmp.path(), &args).await;
    assert_eq!(prune.code, 0, "{}\n{}", prune.stdout, prune.stderr);
    assert!(
        prune
            .stdout
            .contains("delete daas/admins/customers/sokafor"),
        "{}",
        prune.stdout
    );
    runs.push(("apply --prune".to_owned(), prune));
    let after = tenantry(tmp.path(), &["plan", "-f", "examples/"]).await;
    runs.push(("the last plan".to_owned(), after));
    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }

    // The secrets tenantry generated: seen on the wire only.
    let sent = wire.sent_passwords();
    for known in [&kenton, &meridian, &bluewater, &rotated] {
        assert!(
            sent.contains(known),
            "a declared password never reached the portal"
        );
    }
    let generated: Vec<&String> = sent
        .iter()
        .filter(|s| ![&kenton, &meridian, &bluewater, &rotated].contains(s))
        .collect();
    assert!(
        generated.len() >= 2,
        "mchen's and Meridian's contact-center passwords are generated: {}",
        generated.len()
    );
    for (i, value) in generated.iter().enumerate() {
        search.secret(format!("generated password #{i}"), value.as_str());
    }
    assert!(
        wire.exchanges()
            .iter()
            .all(|e| e.authorization == format!("Bearer {token}")),
        "every call carries the connection's token"
    );

    // The outbox is the one place a temporary password appears: each admin's is there.
    let outbox = serde_json::to_string(&sb.outbox(None).await).unwrap_or_default();
    for (who, value) in [
        ("jroe", &kenton),
        ("jroe after the rotation", &rotated),
        ("sokafor", &meridian),
    ] {
        assert!(outbox.contains(value.as_str()), "{who}'s e-mail is missing");
    }
    assert!(
        generated.iter().any(|g| outbox.contains(g.as_str())),
        "mchen's generated password was e-mailed"
    );
    for email in sb.outbox(None).await {
        if let Some(code) = email.data["invitationCode"].as_str() {
            search.secret("a TeamMate invitation code", code);
        }
    }

    let (secrets, channels) = search.size();
    assert!(
        secrets >= 8 && channels >= 17,
        "{secrets} secrets, {channels} channels"
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}
