//! Portal access: the `PortalApi` seam (observe, create, update, delete, poll) and its HTTP
//! client for the contract, with retries, a shared request budget and idempotency keys.

mod auth;
mod budget;
mod captured;
mod error;
mod http;
mod idempotency;
pub mod manual;
mod pool;
mod provider;
mod retry;
mod routing;
mod scrub;
mod vendors;
mod wire;

use std::future::Future;

pub use auth::{Credential, Flow, Grant};
pub use budget::{Budget, BudgetShare, BudgetStats};
pub use captured::{Captured, CapturedSecrets, microsoft_admin_secret};
pub use error::{AuthRefused, PortalError};
pub(crate) use http::install_crypto_provider;
pub use http::{CallObserver, CallStats, ClientConfig, HttpPortal};
pub use idempotency::idempotency_key;
pub use pool::Pool;
pub use provider::{
    Connection, Connector, DynPortal, MissingSecret, PortalClient, Providers, from_connection,
    secret_key,
};
pub use retry::RetryPolicy;
pub use routing::{Route, Routes};
pub use vendors::{CampaignRegistry, CloudLink, ConnectToTeams, Graph, PartnerCenter};
pub use wire::{
    Accepted, DeleteOutcome, ErrorBody, Operation, OperationState, PortalObject, WriteOutcome,
};

use crate::api::{DeletionPolicy, Portal, Sensitive};

/// Which objects of a kind to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Exactly this `externalRef`.
    pub external_ref: Option<String>,
    /// `externalRef`s starting with this prefix (e.g. `namespace/`).
    pub external_ref_prefix: Option<String>,
    /// Where the declared objects of the kind live, for an API partitioned per customer
    /// (Graph: the admins' directory tenants, by `upnDomain`); empty when not known. An API
    /// with one namespace (the contract) ignores it.
    pub partitions: Vec<String>,
}

/// A create or update. Its `Debug` never shows the spec, which carries secrets.
#[derive(Clone)]
pub struct WriteRequest {
    /// Identity of the declaring object (uid in-cluster, `namespace/name` in the CLI).
    pub uid: String,
    /// `externalRef` recorded with the object.
    pub external_ref: String,
    /// Deletion policy recorded with the object.
    pub deletion_policy: DeletionPolicy,
    /// The full wire spec, secrets included.
    pub spec: serde_json::Map<String, serde_json::Value>,
    /// The secret values in `spec`, scrubbed from any error the portal returns.
    pub secrets: Vec<Sensitive>,
    /// Each secret field of `spec` and where a person finds its value (`Secret NS/NAME key
    /// KEY`; none when generated): what a work order shows instead of the value.
    pub secret_sources: Vec<(String, Option<String>)>,
}

impl std::fmt::Debug for WriteRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteRequest")
            .field("uid", &self.uid)
            .field("external_ref", &self.external_ref)
            .field("deletion_policy", &self.deletion_policy)
            .finish_non_exhaustive()
    }
}

/// Counts of the calls a client sent, for the CLI's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Read requests (lists, gets, operation polls).
    pub reads: u64,
    /// Write requests (creates, updates, deletes), retries included.
    pub writes: u64,
    /// Retries after a transient failure.
    pub retries: u64,
}

/// The one seam to a portal (Crossplane's ExternalClient): every provider implements it.
pub trait PortalApi: Send + Sync {
    /// Lists every object of a kind matching `filter`, following pages.
    fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> impl Future<Output = Result<Vec<PortalObject>, PortalError>> + Send;
    /// Creates an object (idempotently).
    fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> impl Future<Output = Result<WriteOutcome, PortalError>> + Send;
    /// Replaces an object's spec (idempotently).
    fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> impl Future<Output = Result<WriteOutcome, PortalError>> + Send;
    /// Deletes an object; an object already gone counts as deleted.
    fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> impl Future<Output = Result<DeleteOutcome, PortalError>> + Send;
    /// Reads a long-running operation started on an object of `kind`.
    fn operation(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> impl Future<Output = Result<Operation, PortalError>> + Send;
    /// What this client (and its clones) sent so far; zero for providers that do not count.
    fn calls(&self) -> CallCounts {
        CallCounts::default()
    }

    /// Secrets the vendor returned once during this client's writes, handed over once for
    /// the caller to store (Partner Center's new admin password); none for most providers.
    fn take_captured(&self) -> Vec<Captured> {
        Vec::new()
    }
}
