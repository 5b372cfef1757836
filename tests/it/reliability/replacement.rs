//! A replacement chain runs in dependency order (issue 14, item 2): renaming a CloudLink
//! account (a name Mitel owns, so the account is replaced) deletes its gateway step before the
//! account and creates it again after, where a replace-in-one-step deleted the account first
//! and the portal refused with `HasDependents`.

use tenantry::sandbox::SandboxConfig;

use crate::support::{sandbox, tenantry};

fn manifest(display_name: &str) -> String {
    format!(
        "\
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {{name: chain, namespace: customers}}
spec:
  displayName: {display_name}
  contact: {{name: Jane Roe, email: jane@chain.example, phone: '+15555550100'}}
  address: {{line1: 1 Main Street, city: Dayton, region: OH, postalCode: '45402', country: US}}
  businessType: Manufacturing
  supportContacts:
    - {{role: Maintainer, name: Priya Natarajan, email: support@msp.example}}
    - {{role: OnsiteAdmin, name: Marcus Chen, email: marcus@chain.example}}
  domains: [chain.example]
  portals: [cloudlink]
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {{name: chain-cloudlink, namespace: customers}}
spec:
  tenantRef: {{name: chain}}
  cloudlinkGateway: {{platform: MiVoice}}
"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn renaming_a_cloudlink_account_replaces_its_gateway_in_dependency_order() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let url = sandbox.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("chain.yaml");
    std::fs::write(&file, manifest("Chain Works")).expect("write");
    let created = tenantry(
        dir.path(),
        &url,
        &["apply", "-f", "chain.yaml", "--auto-approve"],
    )
    .await;
    assert_eq!(created.code, 0, "{}", created.all());

    std::fs::write(&file, manifest("Chain Works Renamed")).expect("write");
    let plan = tenantry(dir.path(), &url, &["plan", "-f", "chain.yaml"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("0 to add, 0 to change, 0 to destroy, 2 to replace"),
        "the account and its gateway are replaced: {}",
        plan.stdout
    );
    // Replacing the account loses what Mitel holds for it: allowed explicitly (item 3).
    let replaced = tenantry(
        dir.path(),
        &url,
        &[
            "apply",
            "-f",
            "chain.yaml",
            "--auto-approve",
            "--allow-replace",
        ],
    )
    .await;
    assert_eq!(replaced.code, 0, "{}", replaced.all());
    // Children are deleted first, parents created first.
    let order: Vec<&str> = replaced
        .stdout
        .lines()
        .filter(|l| l.starts_with("delete ") || l.starts_with("create "))
        .collect();
    let position = |line: &str| {
        order
            .iter()
            .position(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("{line:?} in {order:?}"))
    };
    assert!(
        position("delete cloudlink/gateways") < position("delete cloudlink/accounts"),
        "{order:?}"
    );
    assert!(
        position("create cloudlink/accounts") < position("create cloudlink/gateways"),
        "{order:?}"
    );
    let after = tenantry(dir.path(), &url, &["plan", "-f", "chain.yaml"]).await;
    assert_eq!(after.code, 0, "converged: {}", after.all());
    assert_eq!(
        sandbox
            .count_objects("cloudlink", "accounts", "customers/chain")
            .await,
        1
    );
}
