//! The README's second path: the examples applied through every vendor emulator of one
//! sandbox, with `examples/connections/emulators.yaml` (its address replaced by the test's
//! sandbox): the vendor kinds go to their APIs, the rest to the contract, and a second apply
//! converges without a single write.

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
    assert!(
        first.stdout.contains("via connecttoteams (connectToTeams)"),
        "{}",
        first.stdout
    );
    assert!(
        !sb.wire_requests("c2t").is_empty(),
        "the enterprises went to the ConnectToTeams emulator"
    );
    assert_eq!(
        sb.count_objects("teammate", "enterprises", "customers/meridian-dental-teams")
            .await,
        0,
        "not to the contract"
    );
    let again = tenantry_in(tmp.path(), &args).await;
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stdout.contains("nothing to do") && again.stdout.contains(" 0 writes,"),
        "a converged pass through the emulators writes nothing:\n{}",
        again.stdout
    );
}
