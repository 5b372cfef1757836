//! `tenantry controller`: runs the Kubernetes controller (in a cluster, or outside one with
//! the user's kubeconfig).

use std::net::SocketAddr;
use std::time::Duration;

use tenantry::api::Sensitive;
use tenantry::controller::{LeaseSettings, RunOptions, Settings};

use super::CliError;

/// Arguments of `tenantry controller`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Portal URL used when no PortalConnection applies (e.g. `tenantry sandbox`'s).
    #[arg(long, env = "TENANTRY_PORTAL")]
    portal: Option<String>,
    /// Bearer token for --portal (the sandbox accepts any non-empty token).
    #[arg(long, env = "TENANTRY_PORTAL_TOKEN", hide_env_values = true, value_parser = sensitive)]
    portal_token: Option<Sensitive>,
    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seconds between resyncs that catch drift made by hand in a portal.
    #[arg(long, default_value_t = 300)]
    resync: u64,
    /// Reconciles in flight per kind.
    #[arg(long, default_value_t = 8)]
    concurrency: u16,
    /// Run without leader election (one replica only).
    #[arg(long)]
    no_leader_election: bool,
    /// Namespace of the leader-election Lease (default: the pod's namespace, else `default`).
    #[arg(long, env = "POD_NAMESPACE")]
    lease_namespace: Option<String>,
    /// Name of the leader-election Lease.
    #[arg(long, default_value = "tenantry-controller")]
    lease_name: String,
    /// Shards of the objects (by a hash of namespace/Tenant): above 1, every replica holds a
    /// fair share of per-shard Leases (`<lease-name>-shard-<i>`) and reconciles only those.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024), conflicts_with = "no_leader_election")]
    shards: u32,
    /// Label selector of the Tenants, TenantAdmins and ServiceBindings this replica watches
    /// (e.g. `tenantry.dev/shard=eu`).
    #[arg(long)]
    shard_selector: Option<String>,
    /// This replica's identity (default: the pod name, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
}

/// Runs the controller until SIGTERM or Ctrl-C.
pub fn run(args: Args) -> Result<u8, CliError> {
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let unset: Vec<&str> = tenantry::controller::ALLOCATOR_ENV
            .iter()
            .filter(|(name, _)| std::env::var_os(name).is_none())
            .map(|(name, _)| *name)
            .collect();
        if !unset.is_empty() {
            // Read by the allocator before main: only the environment can set them.
            tracing::info!(
                unset = %unset.join(","),
                "the allocator settings of the shipped Deployment are not set; resident memory will be higher (docs/controller.md, Memory)"
            );
        }
        let config = kube::Config::infer().await.map_err(CliError::NoCluster)?;
        let identity = args
            .identity
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| format!("tenantry-{}", std::process::id()));
        let lease = (!args.no_leader_election).then(|| LeaseSettings {
            namespace: args
                .lease_namespace
                .clone()
                .unwrap_or_else(|| config.default_namespace.clone()),
            name: args.lease_name.clone(),
            identity: identity.clone(),
        });
        let options = RunOptions {
            portal: args.portal,
            portal_token: args.portal_token,
            listen: args.listen,
            settings: Settings {
                resync: Duration::from_secs(args.resync.max(10)),
                shards: args.shards,
                shard_selector: args.shard_selector,
                ..Settings::default()
            },
            concurrency: args.concurrency.max(1),
            lease,
            instance: Some(identity),
        };
        let client = kube::Client::try_from(config.clone()).map_err(CliError::KubeClient)?;
        let lease_client =
            tenantry::controller::lease_client(config).map_err(CliError::KubeClient)?;
        tenantry::controller::run(client, Some(lease_client), options, std::future::pending())
            .await
            .map_err(CliError::Controller)?;
        Ok(super::exit::OK)
    })
}

/// Parses a secret argument so that `Debug` of the arguments never shows it.
fn sensitive(value: &str) -> Result<Sensitive, String> {
    Ok(Sensitive::new(value))
}
