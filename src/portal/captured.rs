//! Secrets a vendor generates and returns only once (Partner Center's new customer admin
//! password, `POST /v1/customers`): the adapter keeps them here until the caller stores them
//! (a Secret in the cluster, a file in the CLI's state directory; docs/providers.md).

use std::sync::{Arc, Mutex, PoisonError};

use crate::api::Sensitive;

/// The Secret that keeps Tenant `tenant`'s Microsoft admin credentials (Partner Center's
/// generated password), in the Tenant's namespace: `<tenant>-microsoft-admin`.
pub fn microsoft_admin_secret(tenant: &str) -> String {
    format!("{tenant}-microsoft-admin")
}

/// One secret a write returned.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The kind of the object whose write returned it (`daas/azure-ad`).
    pub kind: &'static str,
    /// That object's `externalRef`.
    pub external_ref: String,
    /// The account the secret belongs to (`admin@<domain>.onmicrosoft.com`).
    pub username: String,
    /// The value (redacted in `Debug`).
    pub value: Sensitive,
}

/// What an adapter captured and nobody took yet; clones share it.
#[derive(Debug, Clone, Default)]
pub struct CapturedSecrets(Arc<Mutex<Vec<Captured>>>);

impl CapturedSecrets {
    /// Keeps `secret` until [`Self::take`].
    pub fn push(&self, secret: Captured) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(secret);
    }

    /// Everything captured so far, handed over once.
    pub fn take(&self) -> Vec<Captured> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
