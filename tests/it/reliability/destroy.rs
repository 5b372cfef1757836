//! Destruction hidden in a `-/+` (issue 14, item 3): a display-name change replaces the DaaS
//! customer, its admin and its Microsoft 365 tenant. The plan calls every replacement that
//! destroys data out (a warning line each, a count in the summary, JSON fields), and apply
//! refuses them before any portal write unless `--allow-replace` or `spec.allowReplace: true`
//! allows them.

use tenantry::sandbox::SandboxConfig;

use crate::support::{sandbox, tenantry};

fn manifest(display_name: &str, allow_replace: bool) -> String {
    format!(
        "\
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {{name: dw, namespace: customers}}
spec:
  displayName: {display_name}
  contact: {{name: Jane Roe, email: jane@dw.example, phone: '+15555550100'}}
  address: {{line1: 1 Main Street, city: Dayton, region: OH, postalCode: '45402', country: US}}
  billingId: RQ-1
  domains: [dw.example]
  portals: [daas]
  allowReplace: {allow_replace}
---
apiVersion: tenantry.dev/v1alpha1
kind: TenantAdmin
metadata: {{name: dw-jroe, namespace: customers}}
spec:
  tenantRef: {{name: dw}}
  firstName: Jane
  lastName: Roe
  upnDomain: dw.example
  externalEmail: jane.roe@example.net
  generatePassword: true
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {{name: dw-aad, namespace: customers}}
spec:
  tenantRef: {{name: dw}}
  azureAD: {{mode: CreateNew}}
"
    )
}

/// The lines of `text` that warn of a destructive replacement.
fn warnings(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("Warning: replacing "))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rename_is_called_out_and_refused_unless_allowed() {
    let sb = sandbox(SandboxConfig::default()).await;
    let url = sb.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dw.yaml");
    std::fs::write(&file, manifest("Dayton Works", false)).expect("write");
    let apply = ["apply", "-f", "dw.yaml", "--auto-approve"];
    let created = tenantry(dir.path(), &url, &apply).await;
    assert_eq!(created.code, 0, "{}", created.all());

    std::fs::write(&file, manifest("Dayton Works Renamed", false)).expect("write");
    let plan = tenantry(dir.path(), &url, &["plan", "-f", "dw.yaml"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let lines = warnings(&plan.stdout);
    for what in [
        "replacing daas/customers customers/dw destroys the customer's workspace",
        "replacing daas/admins customers/dw-jroe destroys the administrator's account",
        "replacing daas/azure-ad customers/dw-aad destroys the customer's Microsoft 365 tenant",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(what)),
            "{what}: {}",
            plan.stdout
        );
    }
    assert_eq!(lines.len(), 3, "{}", plan.stdout);
    assert!(
        lines
            .iter()
            .all(|l| l.contains("apply refuses it unless allowed")),
        "{lines:?}"
    );
    assert!(
        plan.stdout.contains("to replace, 3 destroying data."),
        "{}",
        plan.stdout
    );
    let markdown = tenantry(
        dir.path(),
        &url,
        &["plan", "-f", "dw.yaml", "-o", "markdown"],
    )
    .await;
    assert_eq!(
        markdown.stdout.matches("\n> - replacing ").count(),
        3,
        "{}",
        markdown.stdout
    );
    let json = tenantry(dir.path(), &url, &["plan", "-f", "dw.yaml", "-o", "json"]).await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["summary"]["destroysData"], 3, "{doc:#}");
    let customer = doc["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["address"] == "daas/customers/customers/dw")
        .cloned()
        .unwrap_or_default();
    assert_eq!(customer["action"], "replace");
    assert!(
        customer["destroysData"]
            .as_str()
            .is_some_and(|d| d.starts_with("the customer's workspace")),
        "{customer:#}"
    );
    assert_eq!(customer["allowReplace"], false);

    // Refused before any portal write, naming the objects and the way to allow it.
    let writes_before = sb.requests().iter().filter(|r| r.is_write()).count();
    let refused = tenantry(dir.path(), &url, &apply).await;
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("error: ReplaceRefused: the plan replaces 3 object(s)")
            && refused
                .stderr
                .contains("replacing daas/customers customers/dw destroys")
            && refused.stderr.contains("(declared by Tenant customers/dw)")
            && refused.stderr.contains("--allow-replace")
            && refused.stderr.contains(
                "spec.allowReplace: true on ServiceBinding customers/dw-aad, Tenant \
                 customers/dw, TenantAdmin customers/dw-jroe"
            ),
        "{}",
        refused.stderr
    );
    assert_eq!(
        sb.requests().iter().filter(|r| r.is_write()).count(),
        writes_before,
        "nothing was written"
    );

    // The flag allows it.
    let allowed = tenantry(
        dir.path(),
        &url,
        &[
            "apply",
            "-f",
            "dw.yaml",
            "--auto-approve",
            "--allow-replace",
        ],
    )
    .await;
    assert_eq!(allowed.code, 0, "{}", allowed.all());
    assert_eq!(
        sb.count_objects("daas", "customers", "customers/dw").await,
        1
    );

    // So does the Tenant's allowReplace, for its admin and binding too.
    std::fs::write(&file, manifest("Dayton Works Again", true)).expect("write");
    let plan = tenantry(dir.path(), &url, &["plan", "-f", "dw.yaml"]).await;
    let lines = warnings(&plan.stdout);
    assert_eq!(lines.len(), 3, "{}", plan.stdout);
    assert!(
        lines
            .iter()
            .all(|l| l.contains("allowed by spec.allowReplace")),
        "{lines:?}"
    );
    let declared = tenantry(dir.path(), &url, &apply).await;
    assert_eq!(declared.code, 0, "{}", declared.all());
    let after = tenantry(dir.path(), &url, &["plan", "-f", "dw.yaml"]).await;
    assert_eq!(after.code, 0, "converged: {}", after.all());
}
