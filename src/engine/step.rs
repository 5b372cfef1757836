//! `Step`: one portal write the engine performs, and the outcome it reports.

use std::fmt;

use serde::Serialize;

use crate::model::{Address, PortalObject, Resource};
use crate::portal::OperationState;

/// One write of a plan, as the engine executes it.
#[derive(Debug, Clone)]
pub enum Step {
    /// Create the resource.
    Create(Resource),
    /// Replace the spec of the portal object `id`.
    Update {
        /// Desired resource.
        resource: Resource,
        /// Portal id of the object to update.
        id: String,
    },
    /// Delete an object: no longer declared (prune, teardown), or the first half of a
    /// replacement (an immutable field changed), whose create is a step of its own.
    Delete {
        /// Its address.
        address: Address,
        /// The object as observed.
        object: PortalObject,
    },
}

impl Step {
    /// The address the step writes.
    pub fn address(&self) -> &Address {
        match self {
            Step::Create(r) | Step::Update { resource: r, .. } => &r.address,
            Step::Delete { address, .. } => address,
        }
    }

    /// The action word used in reports: create, update, replace, delete.
    pub fn action(&self) -> Action {
        match self {
            Step::Create(_) => Action::Create,
            Step::Update { .. } => Action::Update,
            Step::Delete { .. } => Action::Delete,
        }
    }

    /// The desired resource, for every step but a delete.
    pub fn resource(&self) -> Option<&Resource> {
        match self {
            Step::Create(r) | Step::Update { resource: r, .. } => Some(r),
            Step::Delete { .. } => None,
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Create.
    Create,
    /// Update in place.
    Update,
    /// Delete (a replacement is a delete, then a create).
    Delete,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        })
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum Outcome {
    /// Done; the portal object id.
    Done {
        /// Portal id (empty after a delete).
        id: String,
    },
    /// Accepted; an async operation is still going (scheduled, awaiting a person, running).
    Waiting {
        /// Portal id.
        id: String,
        /// Operation state.
        state: OperationState,
        /// Stable reason, e.g. `Scheduled`, `AwaitingConsent`, `Provisioning`.
        reason: String,
        /// What happens next.
        message: String,
    },
    /// The portal refused or kept failing.
    Failed {
        /// Stable error code.
        code: String,
        /// What went wrong (scrubbed of secrets).
        message: String,
    },
    /// Not attempted: a dependency failed or is still waiting.
    Skipped {
        /// The dependency.
        blocked_by: String,
        /// Why it blocks.
        reason: String,
    },
}

impl Outcome {
    /// True for `Done`.
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done { .. })
    }

    /// True for `Failed`.
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }

    /// The portal id, when the object exists.
    pub fn id(&self) -> Option<&str> {
        match self {
            Outcome::Done { id } | Outcome::Waiting { id, .. } if !id.is_empty() => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done { id } if id.is_empty() => f.write_str("done"),
            Outcome::Done { id } => write!(f, "done (id {id})"),
            Outcome::Waiting {
                reason, message, ..
            } => write!(f, "{reason}: {message}"),
            Outcome::Failed { code, message } => write!(f, "failed ({code}): {message}"),
            Outcome::Skipped { blocked_by, reason } => {
                write!(f, "skipped: waits for {blocked_by} ({reason})")
            }
        }
    }
}

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The address written.
    pub address: Address,
    /// The action.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
}

/// Every step's result, in plan order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Per step.
    pub steps: Vec<StepReport>,
}

impl Report {
    /// (done, waiting, failed, skipped) counts.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for s in &self.steps {
            match s.outcome {
                Outcome::Done { .. } => c.0 += 1,
                Outcome::Waiting { .. } => c.1 += 1,
                Outcome::Failed { .. } => c.2 += 1,
                Outcome::Skipped { .. } => c.3 += 1,
            }
        }
        c
    }

    /// True when any step failed.
    pub fn has_failures(&self) -> bool {
        self.steps.iter().any(|s| s.outcome.is_failed())
    }
}
