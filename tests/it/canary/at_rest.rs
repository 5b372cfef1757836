//! Secrets at rest (issue 18 item 3): what the embedded sandbox leaves on disk after an apply
//! through the binary. Its state directory and files are its owner's only, and no declared
//! password is in them in any form — only its SHA-256, which the test finds, so a search
//! that could never find anything cannot pass.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Search, canary};
use crate::support::{examples_copy, tenantry_in as tenantry};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn secret_manifest(name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: customers}}\n\
         type: Opaque\nstringData:\n  password: \"{value}\"\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_sandbox_state_is_private_and_holds_no_password() {
    let (tmp, dir) = examples_copy();
    let customers = dir.join("customers");
    let kenton = canary("AtRestKenton");
    let meridian = canary("AtRestMeridian");
    for (folder, name, value) in [
        ("kenton-electronics", "kenton-electronics-admin", &kenton),
        ("meridian-dental", "meridian-dental-admin", &meridian),
    ] {
        std::fs::write(
            customers.join(folder).join("secrets.yaml"),
            secret_manifest(name, value),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    // A state directory left open by an earlier version is tightened.
    let state = tmp.path().join(".tenantry");
    std::fs::create_dir(&state).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));

    let apply = tenantry(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);

    assert_eq!(mode(&state), 0o700, "the state directory");
    let mut search = Search::default();
    search.secret("kenton admin password", kenton.as_str());
    search.secret("meridian admin password", meridian.as_str());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&state).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        search.channel(
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        );
        files.push((path, bytes));
    }
    assert!(
        files.iter().any(|(p, _)| p.ends_with("sandbox.db")),
        "no state file: {files:?}",
        files = files.iter().map(|(p, _)| p.display()).collect::<Vec<_>>()
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets at rest: {hits:#?}");
    // The e-mails were sent and stored: their passwords' fingerprints are on disk.
    for (who, value) in [("jroe", &kenton), ("sokafor", &meridian)] {
        let digest: String = Sha256::digest(value.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            files
                .iter()
                .any(|(_, bytes)| String::from_utf8_lossy(bytes).contains(&digest)),
            "{who}'s temporary-password e-mail is not in the state file"
        );
    }
}
