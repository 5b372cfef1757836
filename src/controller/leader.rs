//! Leader election with a Lease (kube-lease-manager), fail-stop: the controllers run only
//! while this replica holds the Lease, and stop before the Lease could expire.
//!
//! The Lease is renewed `GRACE` seconds before it expires; the Lease client's timeouts are
//! shorter than that, so a renewal that cannot reach the API server fails in time, and the
//! first failed renewal stops the controllers (their in-flight writes are cancelled; the
//! idempotency keys make a repeat by the next leader harmless).

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};

/// Seconds a Lease stays valid after its last renewal.
pub(crate) const DURATION: u64 = 20;
/// Seconds before expiry at which the holder renews.
pub(crate) const GRACE: u64 = 8;
/// Upper bound of one Lease API call (shorter than `GRACE`).
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(4);

/// Where the Lease lives and who we are.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// Namespace of the Lease (the controller's own).
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (the pod name).
    pub identity: String,
}

/// A lease manager for `settings`; `client` should have timeouts below `GRACE`.
pub(crate) async fn manager(
    client: Client,
    settings: &LeaseSettings,
) -> Result<LeaseManager, kube_lease_manager::LeaseManagerError> {
    LeaseManagerBuilder::new(client, &settings.name)
        .with_namespace(&settings.namespace)
        .with_identity(&settings.identity)
        .with_duration(DURATION)
        .with_grace(GRACE)
        .with_field_manager(super::FIELD_MANAGER)
        .build()
        .await
}
