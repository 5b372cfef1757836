//! Wire types of the portal contract (docs/portal-contract.md, openapi/portal.yaml).

use serde::{Deserialize, Serialize};

pub use crate::model::PortalObject;

/// State of a long-running portal operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationState {
    /// Accepted, not started.
    Pending,
    /// Will start later (e.g. off-peak).
    Scheduled,
    /// Running.
    Running,
    /// Waits for a person (e.g. the customer's Global Admin consent).
    AwaitingHuman,
    /// Done.
    Succeeded,
    /// Failed; `reason` says why.
    Failed,
}

impl OperationState {
    /// True when the operation will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// A long-running operation resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Operation id.
    pub id: String,
    /// Object the operation works on.
    #[serde(default)]
    pub object_id: Option<String>,
    /// Current state.
    pub state: OperationState,
    /// Stable CamelCase reason, e.g. `Scheduled`, `AwaitingConsent`, `DomainUnavailable`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Human message.
    #[serde(default)]
    pub message: Option<String>,
    /// Earliest start of a scheduled operation (RFC 3339).
    #[serde(default)]
    pub not_before: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage {
    /// Objects of this page.
    pub items: Vec<PortalObject>,
    /// Cursor of the next page, if any.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The `202 Accepted` body: the object as accepted and the operation to poll.
#[derive(Debug, Clone, Deserialize)]
pub struct Accepted {
    /// The object as accepted.
    pub object: PortalObject,
    /// The operation to poll.
    pub operation: Operation,
}

/// The error shape of every failed request.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// Error details: a stable code and a human message.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `DomainUnavailable`.
    pub code: String,
    /// What happened and what to do.
    #[serde(default)]
    pub message: String,
    /// Field the error is about, when known.
    #[serde(default)]
    pub field: Option<String>,
}

/// Result of a create or update.
#[derive(Debug, Clone)]
pub enum WriteOutcome {
    /// Done at once.
    Done(PortalObject),
    /// Accepted; poll the operation.
    Accepted(Box<Accepted>),
}

impl WriteOutcome {
    /// The object as returned by the portal.
    pub fn object(&self) -> &PortalObject {
        match self {
            Self::Done(o) => o,
            Self::Accepted(a) => &a.object,
        }
    }
}

/// Result of a delete.
#[derive(Debug, Clone)]
pub enum DeleteOutcome {
    /// Gone (including "was already gone": 404/410 count as deleted).
    Deleted,
    /// Accepted; poll the operation.
    Accepted(Operation),
}
