//! Idempotency keys: derived from what is being written, so a restart recomputes the same key.
//!
//! This is where DESIGN §7's "a crash between an external create and recording it makes no
//! duplicate" starts: the key depends only on (connection, declaring object, resource address,
//! action, body), never on time or randomness, so a rerun after a crash replays the first request
//! instead of creating again. The engine adds the second half: it looks objects up by
//! `externalRef` before creating.

use sha2::{Digest, Sha256};

/// The `Idempotency-Key` for writing `body` (the full wire body, secrets included) to `address`.
///
/// `uid` is the declaring object's identity (its Kubernetes uid in-cluster, `namespace/name` in
/// the CLI). Secrets enter only the digest, which cannot be reversed.
pub fn idempotency_key(
    connection: &str,
    uid: &str,
    address: &str,
    action: &str,
    body: &[u8],
) -> String {
    let mut h = Sha256::new();
    for part in [
        connection.as_bytes(),
        uid.as_bytes(),
        address.as_bytes(),
        action.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body);
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("tenantry-{hex}")
}

#[cfg(test)]
mod tests {
    use super::idempotency_key;

    #[test]
    fn same_inputs_same_key_and_any_change_changes_it() {
        let k = idempotency_key("default", "ns/a", "daas/customers", "create", b"{}");
        assert_eq!(
            k,
            idempotency_key("default", "ns/a", "daas/customers", "create", b"{}")
        );
        for other in [
            idempotency_key("other", "ns/a", "daas/customers", "create", b"{}"),
            idempotency_key("default", "ns/b", "daas/customers", "create", b"{}"),
            idempotency_key("default", "ns/a", "daas/admins", "create", b"{}"),
            idempotency_key("default", "ns/a", "daas/customers", "update", b"{}"),
            idempotency_key("default", "ns/a", "daas/customers", "create", b"{ }"),
            // Length-prefixing keeps part boundaries: "ab"+"c" differs from "a"+"bc".
            idempotency_key("default", "ns/ab", "c", "create", b"{}"),
        ] {
            assert_ne!(k, other);
        }
        assert_ne!(
            idempotency_key("default", "ns/ab", "c", "create", b"{}"),
            idempotency_key("default", "ns/a", "bc", "create", b"{}")
        );
        assert!(k.starts_with("tenantry-") && k.len() == 9 + 32);
    }
}
