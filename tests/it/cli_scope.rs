//! A plan covers every object tenantry created on the connection and says so (issue 14,
//! item 6): a namespace whose last customer left the input is reported, an empty input is a
//! plan, and `--scope namespaces` narrows the plan for a repository split by namespace.

use std::path::Path;

use serde_json::Value;
use tenantry::sandbox::SandboxConfig;

use crate::support::{Run, action_lines, edit, examples_copy, sandbox, tenantry};

/// The orphan lines of a text plan.
fn orphans(plan: &str) -> Vec<&str> {
    plan.lines()
        .skip_while(|l| !l.starts_with("Left in the portals"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

/// Moves the examples' Bluewater Logistics into namespace `logistics`.
fn move_bluewater(dir: &Path) {
    let customer = dir.join("customers/bluewater-logistics");
    for file in ["tenant.yaml", "services.yaml", "secrets.yaml"] {
        let path = customer.join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("namespace: customers"), "{}", path.display());
        std::fs::write(
            &path,
            text.replace("namespace: customers", "namespace: logistics"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("plan JSON: {e}\n{}", run.all()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_customer_of_a_namespace_leaving_the_input_is_an_orphan_note() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    move_bluewater(&dir);
    let apply = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 0, "{}", apply.all());

    std::fs::remove_dir_all(dir.join("customers/bluewater-logistics"))
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    let left = orphans(&plan.stdout);
    assert!(!left.is_empty(), "{}", plan.stdout);
    assert!(
        left.iter()
            .any(|l| l.contains("teammate/enterprises logistics/bluewater-logistics-teams")),
        "{left:#?}"
    );
    assert!(left.iter().all(|l| l.contains(" logistics/")), "{left:#?}");
    assert!(
        left.iter()
            .all(|l| l.ends_with("deletionPolicy is Orphan: left in the portal")),
        "{left:#?}"
    );
    assert!(
        plan.stdout
            .contains("Scope: every portal object tenantry created on the connection ("),
        "{}",
        plan.stdout
    );

    let json = tenantry(tmp.path(), &url, &["plan", "-f", "examples/", "-o", "json"]).await;
    let doc = json_of(&json);
    assert_eq!(doc["scope"]["covers"], "connection", "{doc:#}");
    assert!(
        doc["scope"]["observed"].as_u64().is_some_and(|n| n > 0),
        "{doc:#}"
    );
    assert_eq!(
        doc["orphans"].as_array().map(Vec::len),
        Some(left.len()),
        "{doc:#}"
    );

    // A repository split by namespace narrows the plan, and the plan says so.
    let narrow = tenantry(
        tmp.path(),
        &url,
        &["plan", "-f", "examples/", "--scope", "namespaces"],
    )
    .await;
    assert_eq!(narrow.code, 0, "{}", narrow.all());
    assert!(orphans(&narrow.stdout).is_empty(), "{}", narrow.stdout);
    assert!(
        narrow.stdout.contains(
            "Scope: the portal objects of namespace(s) customers only; other namespaces were not read"
        ),
        "{}",
        narrow.stdout
    );
    let json = tenantry(
        tmp.path(),
        &url,
        &[
            "plan",
            "-f",
            "examples/",
            "--scope",
            "namespaces",
            "-o",
            "json",
        ],
    )
    .await;
    let doc = json_of(&json);
    assert_eq!(doc["scope"]["covers"], "namespaces");
    assert_eq!(doc["scope"]["namespaces"], serde_json::json!(["customers"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_input_plans_what_the_connection_holds_as_orphans() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let url = sb.url();
    // Kenton's objects record deletionPolicy Delete, the others keep the default Orphan.
    edit(
        &dir.join("customers/kenton-electronics/tenant.yaml"),
        "deletionPolicy: Orphan",
        "deletionPolicy: Delete",
    );
    let apply = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "examples/", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    let objects = sb.object_count().await;
    assert!(objects > 0);

    std::fs::create_dir(tmp.path().join("empty")).unwrap_or_else(|e| panic!("{e}"));
    let plan = tenantry(tmp.path(), &url, &["plan", "-f", "empty/"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stderr
            .contains("note: the input declares no Tenant, TenantAdmin or ServiceBinding"),
        "{}",
        plan.stderr
    );
    let left = orphans(&plan.stdout);
    // The adopted 10DLC campaign is the registry's, never an orphan of tenantry's.
    let adopted = sb.count_objects("apps", "campaigns", "10dlc/CA1B2C3").await;
    assert_eq!(adopted, 1);
    assert_eq!(left.len(), objects - adopted, "{}", plan.stdout);
    assert!(
        left.iter()
            .any(|l| l.contains("customers/kenton-electronics")
                && l.ends_with("deletionPolicy is Delete: pass --prune to delete it")),
        "{left:#?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );

    let json = tenantry(tmp.path(), &url, &["plan", "-f", "empty/", "-o", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.all());
    let doc = json_of(&json);
    assert_eq!(doc["scope"]["covers"], "connection", "{doc:#}");
    assert_eq!(
        doc["scope"]["observed"].as_u64(),
        u64::try_from(objects).ok()
    );
    assert_eq!(
        doc["orphans"].as_array().map(Vec::len),
        Some(objects - adopted)
    );
    assert_eq!(doc["hasChanges"], false);

    // --prune shows every delete in the plan, and apply keeps the mass-deletion guard.
    let pruned = tenantry(tmp.path(), &url, &["plan", "-f", "empty/", "--prune"]).await;
    assert_eq!(pruned.code, 2, "{}", pruned.all());
    let deletes = action_lines(&pruned.stdout);
    assert!(!deletes.is_empty(), "{}", pruned.stdout);
    let prunable = left
        .iter()
        .filter(|l| l.ends_with("pass --prune to delete it"))
        .count();
    assert_eq!(
        deletes.len(),
        prunable,
        "only Delete-policy objects: {deletes:#?}"
    );
    assert!(deletes.iter().all(|l| l.starts_with("- ")), "{deletes:#?}");
    let before = sb.requests().iter().filter(|r| r.method != "GET").count();
    let apply = tenantry(
        tmp.path(),
        &url,
        &["apply", "-f", "empty/", "--prune", "--auto-approve"],
    )
    .await;
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(
        apply.stderr.contains("--max-delete-share"),
        "{}",
        apply.stderr
    );
    let after = sb.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(
        after, before,
        "the guard let an empty input delete something"
    );
    assert_eq!(sb.object_count().await, objects);
}
