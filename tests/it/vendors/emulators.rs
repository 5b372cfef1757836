//! The README's second path: the examples applied through every vendor emulator of one
//! sandbox, with `examples/connections/emulators.yaml` (its address replaced by the test's
//! sandbox): the vendor kinds go to their APIs, the rest to the contract, the steps only a
//! person can do wait (no failure), and a second apply writes nothing.

use tenantry::sandbox::SandboxConfig;

use crate::support::{examples_copy, sandbox, tenantry_in};

/// The emulators' default address in the example file.
const ADDRESS: &str = "http://127.0.0.1:8480";

#[tokio::test(flavor = "multi_thread")]
async fn the_examples_converge_through_the_vendor_emulators() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (tmp, dir) = examples_copy();
    let file = dir.join("connections/emulators.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.contains(ADDRESS),
        "the example names the sandbox's default address"
    );
    std::fs::write(&file, text.replace(ADDRESS, &sb.url())).unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "apply",
        "-f",
        "examples/",
        "-f",
        "examples/connections/emulators.yaml",
        "--auto-approve",
    ];
    let first = tenantry_in(tmp.path(), &args).await;
    assert_eq!(first.code, 0, "{}", first.all());
    for via in [
        "via partnercenter (partnerCenter)",
        "via graph (graph)",
        "via connecttoteams (connectToTeams)",
        "via cloudlink (cloudLink)",
        "via default (contract)",
        // The fixtures' campaign is registered and accepted: read from TCR, nothing to do.
        "campaignregistry (campaignRegistry): apps/campaigns",
    ] {
        assert!(first.stdout.contains(via), "{via}: {}", first.stdout);
    }
    for vendor in ["pc", "graph", "c2t", "mitel", "tcr"] {
        assert!(
            !sb.wire_requests(vendor).is_empty(),
            "nothing reached the {vendor} emulator"
        );
    }
    // What a person does in the real world waits here too, and is no failure.
    for reason in [
        "AwaitingConsent",
        "AwaitingManualStep",
        "AwaitingCustomerApproval",
    ] {
        assert!(first.stdout.contains(reason), "{reason}: {}", first.stdout);
    }
    assert_eq!(
        sb.count_objects("teammate", "enterprises", "customers/meridian-dental-teams")
            .await,
        0,
        "not to the contract"
    );
    let again = tenantry_in(tmp.path(), &args).await;
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stdout.contains(" 0 writes,"),
        "a converged pass through the emulators writes nothing:\n{}",
        again.stdout
    );
}
