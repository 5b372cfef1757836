//! End-to-end: the controller in-process against a real Kubernetes API server (named by
//! `KUBECONFIG`) and the in-process sandbox. `#[ignore]`d: the runner lists it as ignored
//! unless asked with `--ignored`.
//!
//! It installs the CRDs (server-side apply; they are left installed, since deleting a CRD
//! deletes every object of it in the cluster), runs two controller replicas that elect a
//! leader with a Lease, creates a namespace `tenantry-e2e-<n>` and a
//! PortalConnection pointing at the sandbox, applies every customer of `examples/customers/`
//! and brings each object to Ready (approving the Plan-policy bindings' plans and granting the
//! Teams connectors' consent, as people would), checks that the converged controller writes
//! nothing for 20 s, then applies a Tenant and a ServiceBinding, changes a field, approves a
//! plan, deletes with deletionPolicy Delete, and removes what it created even when a step
//! fails (printing every object's conditions first).

mod install;
mod notify;
mod steps;

use std::time::Duration;

use kube::Client;

/// Upper bound of each wait.
const TIMEOUT: Duration = Duration::from_secs(90);

/// A client of the cluster named by `KUBECONFIG`, or why there is none.
async fn cluster() -> Result<(kube::Config, Client), String> {
    if std::env::var_os("KUBECONFIG").is_none() {
        return Err("KUBECONFIG is not set".to_owned());
    }
    let config = kube::Config::infer()
        .await
        .map_err(|e| format!("KUBECONFIG names no usable cluster: {e}"))?;
    let client = Client::try_from(config.clone()).map_err(|e| format!("client: {e}"))?;
    match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
        Ok(Ok(version)) => {
            eprintln!(
                "e2e: API server {}.{} at {}",
                version.major, version.minor, config.cluster_url
            );
            Ok((config, client))
        }
        Ok(Err(e)) => Err(format!(
            "the API server at {} did not answer: {e}",
            config.cluster_url
        )),
        Err(_) => Err(format!(
            "the API server at {} did not answer in 10 s",
            config.cluster_url
        )),
    }
}

/// Ignored by default, so the test runner reports it as ignored (not passed) when no cluster
/// was asked for; `cargo test --features crash-points --test it e2e -- --ignored` runs it
/// against `KUBECONFIG` and fails when that names no reachable API server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Kubernetes API server named by KUBECONFIG; run with --ignored"]
async fn controller_end_to_end_against_a_real_cluster() {
    let (config, client) = cluster()
        .await
        .unwrap_or_else(|why| panic!("e2e: no cluster to run against: {why}"));
    steps::run(config, client).await;
}
