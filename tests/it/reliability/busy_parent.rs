//! A dependant whose parent is still being provisioned when an apply starts (a re-apply after
//! a kill, or after `--wait 0`) is applied in the same run once the parent is ready, within
//! `--wait` (issue 18, item 4): the portal's `DependencyNotReady` is waited out, not reported
//! as work left for a later run.

use tenantry::sandbox::SandboxConfig;

use crate::support::{sandbox, tenantry};

const MANIFEST: &str = "\
apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: busy, namespace: customers}
spec:
  displayName: Busy Parent Works
  contact: {name: Jane Roe, email: jane@busy-parent.example, phone: '+15555550100'}
  domains: [busy-parent.example]
  portals: [daas]
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: busy-azure-ad, namespace: customers}
spec:
  tenantRef: {name: busy}
  azureAD: {mode: CreateNew}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {name: busy-microsoft-online, namespace: customers}
spec:
  tenantRef: {name: busy}
  microsoftOnline: {}
";

#[tokio::test(flavor = "multi_thread")]
async fn a_dependant_of_a_provisioning_parent_is_applied_in_the_same_run() {
    // Azure AD takes 2–3 minutes in the portal: about 2 s at this time scale.
    let sandbox = sandbox(SandboxConfig::default().with_time_scale(0.01)).await;
    let url = sandbox.url();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("busy.yaml"), MANIFEST).expect("write");

    // Azure AD is accepted and left provisioning; Microsoft Online waits for it.
    let first = tenantry(
        dir.path(),
        &url,
        &["apply", "-f", "busy.yaml", "--auto-approve", "--wait", "0"],
    )
    .await;
    assert_eq!(first.code, 0, "{}", first.all());
    let left = tenantry(dir.path(), &url, &["plan", "-f", "busy.yaml"]).await;
    assert_eq!(
        left.code,
        2,
        "Microsoft Online is still to create: {}",
        left.all()
    );
    assert!(
        left.stdout.contains("daas/microsoft-online"),
        "{}",
        left.stdout
    );

    // The re-apply's only create is refused while Azure AD provisions; it is sent again
    // until Azure AD is ready, in this run.
    let second = tenantry(
        dir.path(),
        &url,
        &["apply", "-f", "busy.yaml", "--auto-approve", "--wait", "60"],
    )
    .await;
    assert_eq!(second.code, 0, "{}", second.all());
    assert!(
        second
            .stdout
            // Microsoft Online and the Tenant's GDAP relationship, both after Azure AD.
            .contains("2 done, 0 waiting, 0 failed, 0 skipped"),
        "{}",
        second.stdout
    );
    let after = tenantry(dir.path(), &url, &["plan", "-f", "busy.yaml"]).await;
    assert_eq!(after.code, 0, "converged in one re-apply: {}", after.all());
}
