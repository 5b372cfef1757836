//! The Kubernetes controller: kube-rs runtime controllers for Tenants, TenantAdmins and
//! ServiceBindings that run the same model → plan → engine path as the CLI (DESIGN.md §5, §7).
//!
//! Each reconcile is one pipeline (stackable style): dereference (Tenant, PortalConnection,
//! Secrets) → validate → build the desired portal objects → observe the portal → plan → act
//! per managementPolicy → publish status, patched only when it changed.

mod approval;
mod cleanup;
mod connection;
mod context;
mod declaring;
mod dependencies;
mod dereference;
mod error;
mod events;
mod leader;
mod manual;
mod messages;
mod metrics;
mod notifications;
mod passwords;
mod reconcile;
mod related;
mod relist;
mod resync;
mod run;
mod server;
mod shard;
mod shard_lease;
mod status;
mod watches;
mod workorders;

pub use connection::{connection_error_policy, reconcile_connection};
pub use context::{Context, Settings, Stores};
pub use declaring::Declaring;
pub use error::Error;
pub use leader::{LeaseSettings, lease_client};
pub use manual::{CONFIRM_PREFIX, CONFIRMED_BY};
pub use metrics::Metrics;
pub use notifications::{Notifications, Pass, deliver_notifications};
pub use reconcile::{error_policy, reconcile};
pub use relist::strip;
pub use run::{RunOptions, run};
pub use shard::{Shards, shard_of};
pub use workorders::{DATA_KEY as WORK_ORDERS_KEY, TENANT_LABEL, configmap_name};

/// Finalizer that keeps an object until its portal objects were handled per deletionPolicy.
pub const FINALIZER: &str = "tenantry.dev/cleanup";
/// Field manager of every status patch (server-side apply).
pub const FIELD_MANAGER: &str = "tenantry-controller";
/// Annotation approving one plan by its hash (managementPolicy `Plan`).
pub const APPROVE_ANNOTATION: &str = "tenantry.dev/approve";
/// Environment of `tenantry controller` in the shipped Deployment: mimalloc commits arena
/// memory as it is used rather than up front, and returns freed pages at once. Read by the
/// allocator at process start, so they are set by the environment, not by the program; at
/// 1,000 tenants they take steady resident memory from 101 to 67 MB (BENCHMARKS.md).
pub const ALLOCATOR_ENV: [(&str, &str); 3] = [
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    ("MIMALLOC_PURGE_DELAY", "0"),
    ("MIMALLOC_PAGE_FULL_RETAIN", "0"),
];
/// Key of the password in a generated-password Secret.
pub const GENERATED_PASSWORD_KEY: &str = "password";
