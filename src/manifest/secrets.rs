//! Secret values in standalone mode: from Secret manifests, else from environment variables.
//!
//! Never from the command line, where they would end up in shell history and process lists.

use std::collections::BTreeSet;

use crate::api::{Declared, SecretKey, Sensitive};
use crate::validate::secret_env_var;

/// Every Secret key the declared objects refer to (admin and contact-center passwords,
/// portal credentials), sorted.
pub fn secret_refs(declared: &Declared) -> BTreeSet<SecretKey> {
    let namespace = |meta: &Option<String>| meta.clone().unwrap_or_default();
    let mut refs = BTreeSet::new();
    for admin in &declared.admins {
        if let Some(r) = &admin.object.spec.password_secret_ref {
            refs.insert(SecretKey {
                namespace: namespace(&admin.object.metadata.namespace),
                name: r.name.clone(),
                key: r.key.clone(),
            });
        }
    }
    for binding in &declared.bindings {
        let contact_center = binding.object.spec.contact_center.as_ref();
        if let Some(r) = contact_center.and_then(|c| c.password_secret_ref.as_ref()) {
            refs.insert(SecretKey {
                namespace: namespace(&binding.object.metadata.namespace),
                name: r.name.clone(),
                key: r.key.clone(),
            });
        }
    }
    for connection in &declared.connections {
        for (_, r) in connection.object.spec.secret_refs() {
            refs.insert(SecretKey {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                key: r.key.clone(),
            });
        }
    }
    refs
}

/// Fills every referenced secret that no Secret manifest provides from the variable
/// `TENANTRY_SECRET_<NAMESPACE>_<NAME>_<KEY>`, looked up with `lookup` (`std::env::var` in the
/// CLI). Returns the keys still missing.
pub fn fill_secrets_from_env(
    declared: &mut Declared,
    lookup: impl Fn(&str) -> Option<String>,
) -> BTreeSet<SecretKey> {
    let mut missing = BTreeSet::new();
    for key in secret_refs(declared) {
        if declared.secrets.contains_key(&key) {
            continue;
        }
        match lookup(&secret_env_var(&key)) {
            Some(value) => {
                declared.secrets.insert(key, Sensitive::new(value));
            }
            None => {
                missing.insert(key);
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names() {
        let key = |ns: &str, name: &str, k: &str| SecretKey {
            namespace: ns.to_owned(),
            name: name.to_owned(),
            key: k.to_owned(),
        };
        for (k, want) in [
            (
                key("customers", "kenton-admin", "password"),
                "TENANTRY_SECRET_CUSTOMERS_KENTON_ADMIN_PASSWORD",
            ),
            (key("a.b", "c_d", "e-f"), "TENANTRY_SECRET_A_B_C_D_E_F"),
            (key("ns", "zoë", "pw"), "TENANTRY_SECRET_NS_ZO__PW"),
        ] {
            assert_eq!(secret_env_var(&k), want);
        }
    }
}
