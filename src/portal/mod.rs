//! Portal access: the `PortalApi` seam (observe, create, update, delete, poll) and its HTTP
//! client for the contract, with retries, a shared request budget and idempotency keys.

mod budget;
mod error;
mod http;
mod idempotency;
mod retry;
mod wire;

use std::collections::BTreeMap;
use std::future::Future;

pub use budget::Budget;
pub use error::PortalError;
pub use http::{CallObserver, CallStats, ClientConfig, HttpPortal};
pub use idempotency::idempotency_key;
pub use retry::RetryPolicy;
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
}

/// A create or update: the declared spec plus write-only secrets.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    /// Identity of the declaring object (uid in-cluster, `namespace/name` in the CLI).
    pub uid: String,
    /// `externalRef` recorded with the object.
    pub external_ref: String,
    /// Deletion policy recorded with the object.
    pub deletion_policy: DeletionPolicy,
    /// Declared spec without secrets.
    pub spec: serde_json::Value,
    /// Write-only fields (e.g. `password`), put into the spec only on the wire.
    pub secrets: BTreeMap<String, Sensitive>,
}

/// The one seam to a portal (Crossplane's ExternalClient): every adapter implements it.
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
    /// Reads a long-running operation.
    fn operation(
        &self,
        portal: Portal,
        id: &str,
    ) -> impl Future<Output = Result<Operation, PortalError>> + Send;
}
