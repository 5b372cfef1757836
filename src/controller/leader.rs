//! Leader election with a Lease (kube-lease-manager), fail-stop: the controllers run only
//! while this replica holds the Lease, and stop before the Lease could expire.
//!
//! The Lease is renewed `GRACE` seconds before it expires; the Lease client's timeouts are
//! shorter than that, so a renewal that cannot reach the API server fails in time, and the
//! first failed renewal stops the controllers (their in-flight writes are cancelled; the
//! idempotency keys make a repeat by the next leader harmless).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use tokio::sync::watch;

use super::error::Error;
use super::run::{stopped, wait_for};

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

/// A client for the Lease whose calls time out before a renewal could run past the grace
/// period, so a renewal that hangs fails in time and the controllers stop.
pub fn lease_client(mut config: kube::Config) -> Result<Client, kube::Error> {
    config.read_timeout = Some(CALL_TIMEOUT);
    config.write_timeout = Some(CALL_TIMEOUT);
    config.connect_timeout = Some(CALL_TIMEOUT);
    Client::try_from(config)
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

/// Waits for leadership, runs the controllers while leading, stops them the moment the
/// Lease cannot be confirmed, and releases it on shutdown.
///
/// `start` returns the controllers' future, which ends once the stop future it is given resolves.
pub(crate) async fn lead(
    lease_client: Client,
    lease: &LeaseSettings,
    ready: &AtomicBool,
    mut shutdown: watch::Receiver<bool>,
    start: impl Fn(BoxFuture<'static, ()>) -> BoxFuture<'static, ()>,
) -> Result<(), Error> {
    let manager = manager(lease_client, lease)
        .await
        .map_err(|e| Error::Startup(format!("leader election: {e}")))?;
    // A standby replica is ready: it can take over.
    ready.store(true, Ordering::Relaxed);
    loop {
        tracing::info!(identity = %lease.identity, "waiting for the Lease {}/{}", lease.namespace, lease.name);
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            changed = manager.changed() => match changed {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "Lease unavailable; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            },
        }
        tracing::info!("leading: starting the controllers");
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut running = tokio::spawn(start(wait_for(stop_rx)));
        tokio::select! {
            () = stopped(&mut shutdown) => {
                let _ = stop_tx.send(true);
                // Let in-flight reconciles finish, within the pod's grace period.
                if tokio::time::timeout(Duration::from_secs(20), &mut running).await.is_err() {
                    running.abort();
                }
                if let Err(e) = manager.release().await {
                    tracing::warn!(error = %e, "could not release the Lease");
                }
                break;
            }
            changed = manager.changed() => {
                // Lost, or could not renew: stop writing now, before the Lease can expire.
                running.abort();
                match changed {
                    Ok(_) => tracing::warn!("lost the Lease: controllers stopped"),
                    Err(e) => tracing::warn!(error = %e, "could not renew the Lease: controllers stopped"),
                }
            }
            _ = &mut running => {
                tracing::warn!("controllers ended while leading");
            }
        }
    }
    Ok(())
}
