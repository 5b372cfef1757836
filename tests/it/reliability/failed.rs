//! A permanent failure stays red (issue 14, item 4): after `DomainUnavailable` every apply
//! exits 1 with the portal's reason while the declaration is unchanged, the plan shows the
//! reason, and a changed declaration retries.

use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use crate::support::tenantry;

fn manifest(azure_ad: &str) -> String {
    format!(
        "\
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {{name: taken, namespace: customers}}
spec:
  displayName: Taken Works
  code: TW1
  contact: {{name: Jane Roe, email: jane@taken.example, phone: '+15555550100'}}
  address: {{line1: 1 Main Street, city: Dayton, region: OH, postalCode: '45402', country: US}}
  billingId: RQ-2
  domains: [taken.example]
  portals: [daas]
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {{name: taken-aad, namespace: customers}}
spec:
  tenantRef: {{name: taken}}
  azureAD: {azure_ad}
"
    )
}

const REASON: &str = "DomainUnavailable";
const WHY: &str = "takenworks.onmicrosoft.com and takenworkstw1.onmicrosoft.com are both taken";

#[tokio::test(flavor = "multi_thread")]
async fn domain_unavailable_stays_an_error_until_the_declaration_changes() {
    // Both onmicrosoft names the customer could get are taken.
    let fixtures = Fixtures {
        reserved_domains: vec!["takenworks".to_owned(), "takenworkstw1".to_owned()],
        ..Fixtures::demo()
    };
    let sb = Sandbox::start(SandboxConfig::default().with_fixtures(fixtures))
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let url = sb.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("taken.yaml");
    std::fs::write(&file, manifest("{mode: CreateNew}")).expect("write");
    let apply = ["apply", "-f", "taken.yaml", "--auto-approve"];

    let first = tenantry(dir.path(), &url, &apply).await;
    assert_eq!(first.code, 1, "{}", first.all());
    assert!(
        first.all().contains(REASON) && first.all().contains(WHY),
        "{}",
        first.all()
    );

    // Nothing changed: still an error, with the reason, and no claim of work under way.
    for _ in 0..2 {
        let again = tenantry(dir.path(), &url, &apply).await;
        assert_eq!(again.code, 1, "{}", again.all());
        assert!(
            again
                .stderr
                .contains("daas/azure-ad customers/taken-aad (aad_")
                && again.stderr.contains(&format!("): {REASON}: {WHY}")),
            "{}",
            again.stderr
        );
        assert!(
            again.stderr.contains("hint: the portal does not retry"),
            "{}",
            again.stderr
        );
        assert!(
            !again.stdout.contains("still under way"),
            "{}",
            again.stdout
        );
    }

    let plan = tenantry(dir.path(), &url, &["plan", "-f", "taken.yaml"]).await;
    assert!(
        plan.stdout.contains(&format!("Failed ({REASON}: {WHY};"))
            && plan.stdout.contains("A failed operation is not retried"),
        "{}",
        plan.all()
    );
    let json = tenantry(
        dir.path(),
        &url,
        &["plan", "-f", "taken.yaml", "-o", "json"],
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["pending"][0]["phase"], "Failed", "{doc:#}");
    assert_eq!(doc["pending"][0]["reason"], REASON);
    assert_eq!(
        doc["pending"][0]["message"],
        format!("{WHY}; consult the Star2Star TTU team for guidance")
    );

    // Fixed: connect the tenant the customer already has. The failed Microsoft tenant held
    // nothing, so replacing it needs no allowance.
    std::fs::write(
        &file,
        manifest("{mode: ConnectExisting, existingTenantId: 3f2504e0-4f89-11d3-9a0c-0305e82c3301}"),
    )
    .expect("write");
    let plan = tenantry(dir.path(), &url, &["plan", "-f", "taken.yaml"]).await;
    assert!(
        !plan.stdout.contains("Warning: replacing"),
        "{}",
        plan.stdout
    );
    let fixed = tenantry(dir.path(), &url, &apply).await;
    assert_eq!(fixed.code, 0, "{}", fixed.all());
    let after = tenantry(dir.path(), &url, &["plan", "-f", "taken.yaml"]).await;
    assert_eq!(after.code, 0, "{}", after.all());
    assert!(!after.stdout.contains("Failed"), "{}", after.stdout);
}
