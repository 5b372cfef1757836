//! `ManualPortal`: the provider of `api: manual`. It sends nothing anywhere: a write becomes
//! a work order in the state file and waits for a person (`AwaitingManualStep`); a list
//! returns the objects people confirmed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::order::{Change, OrderAction, WorkOrder};
use super::state::{ManualState, StateError, StoredOrder};
use crate::api::{DeletionPolicy, Portal};
use crate::model::Kind;
use crate::portal::{
    Accepted, DeleteOutcome, ListFilter, Operation, OperationState, PortalApi, PortalError,
    PortalObject, WriteOutcome, WriteRequest,
};

/// The reason of an object whose change waits for a person.
pub const AWAITING_MANUAL_STEP: &str = "AwaitingManualStep";

/// A manual connection's client; clones share the file lock.
#[derive(Clone)]
pub struct ManualPortal {
    connection: String,
    path: PathBuf,
    // One read-modify-write at a time within this process (parallel apply steps).
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl ManualPortal {
    /// The client of connection `connection`, its state in the file `path`.
    pub fn new(connection: &str, path: &Path) -> Self {
        Self {
            connection: connection.to_owned(),
            path: path.to_owned(),
            lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    fn load(&self) -> Result<ManualState, PortalError> {
        ManualState::load(&self.path).map_err(setup)
    }

    /// Records the order (or finds it already there) and reports it waiting.
    async fn issue(
        &self,
        order: WorkOrder,
        spec: Map<String, Value>,
        policy: DeletionPolicy,
    ) -> Result<Operation, PortalError> {
        let _guard = self.lock.lock().await;
        let mut state = self.load()?;
        let stored = state.issue(order, spec, policy).clone();
        state.save(&self.path).map_err(setup)?;
        Ok(operation(&stored))
    }

    fn kind(portal: Portal, kind: &str) -> Result<Kind, PortalError> {
        Kind::from_parts(portal.id(), kind).ok_or_else(|| {
            PortalError::Setup(format!(
                "api manual has no screen for {}/{kind}",
                portal.id()
            ))
        })
    }

    /// The spec to record (secret values removed; parent id and fingerprints kept) and the
    /// content an order is derived from (no parent id, no generated secret's fingerprint).
    fn split(kind: Kind, req: &WriteRequest) -> (Map<String, Value>, Map<String, Value>) {
        let mut record = req.spec.clone();
        for (field, _) in &req.secret_sources {
            record.remove(field);
        }
        let mut content = record.clone();
        if let Some(parent) = kind.parent_field() {
            content.remove(parent);
        }
        for (field, from) in &req.secret_sources {
            if from.is_none() {
                content.remove(&format!("{field}Fingerprint"));
            }
        }
        (record, content)
    }
}

/// The operation an order stands for: the engine reports it as waiting with our reason.
fn operation(stored: &StoredOrder) -> Operation {
    let order = &stored.order;
    let (state, reason, message) = match &stored.state {
        super::state::OrderState::Open => {
            let sets: String = order
                .read_back
                .iter()
                .map(|r| format!(" --set {}=…", r.key))
                .collect();
            (
                OperationState::AwaitingHuman,
                AWAITING_MANUAL_STEP,
                format!(
                    "work order {} waits for a person ({} › {}); print it with `tenantry workorders`, then `tenantry confirm {}{sets}`",
                    order.id, order.portal, order.screen, order.id
                ),
            )
        }
        super::state::OrderState::Confirmed { by, .. } => (
            OperationState::Succeeded,
            "Confirmed",
            format!("work order {} was confirmed by {by}", order.id),
        ),
        super::state::OrderState::Superseded { by_order } => (
            OperationState::Failed,
            "Superseded",
            format!("work order {} was replaced by {by_order}", order.id),
        ),
    };
    Operation {
        id: order.id.clone(),
        object_id: Some(order.object_id.clone()),
        state,
        reason: Some(reason.to_owned()),
        message: Some(message),
        not_before: None,
    }
}

fn setup(err: StateError) -> PortalError {
    PortalError::Setup(err.to_string())
}

fn accepted(operation: Operation, external_ref: &str) -> WriteOutcome {
    WriteOutcome::Accepted(Box::new(Accepted {
        object: PortalObject {
            id: operation.object_id.clone().unwrap_or_default(),
            external_ref: external_ref.to_owned(),
            deletion_policy: DeletionPolicy::default(),
            version: 0,
            spec: Map::new(),
            status: Map::new(),
        },
        operation,
    }))
}

impl PortalApi for ManualPortal {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        let state = self.load()?;
        Ok(state
            .records(&self.connection, portal.id(), kind)
            .into_iter()
            .map(|r| &r.object)
            .filter(|o| {
                filter
                    .external_ref
                    .as_ref()
                    .is_none_or(|r| &o.external_ref == r)
                    && filter
                        .external_ref_prefix
                        .as_ref()
                        .is_none_or(|p| o.external_ref.starts_with(p.as_str()))
            })
            .cloned()
            .collect())
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let kind = Self::kind(portal, kind)?;
        let (record, content) = Self::split(kind, req);
        let parent_id = kind
            .parent_field()
            .and_then(|f| req.spec.get(f))
            .and_then(Value::as_str);
        let order = WorkOrder::build(&Change {
            connection: &self.connection,
            uid: &req.uid,
            action: OrderAction::Create,
            kind,
            external_ref: &req.external_ref,
            object_id: None,
            content: &content,
            parent_id,
            before: None,
            secrets: &req.secret_sources,
        });
        let op = self.issue(order, record, req.deletion_policy).await?;
        Ok(accepted(op, &req.external_ref))
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let kind = Self::kind(portal, kind)?;
        let (record, content) = Self::split(kind, req);
        let before = self.load()?.record(id).map(|r| r.object.spec.clone());
        let parent_id = kind
            .parent_field()
            .and_then(|f| req.spec.get(f))
            .and_then(Value::as_str);
        let order = WorkOrder::build(&Change {
            connection: &self.connection,
            uid: &req.uid,
            action: OrderAction::Update,
            kind,
            external_ref: &req.external_ref,
            object_id: Some(id),
            content: &content,
            parent_id,
            before: before.as_ref(),
            secrets: &req.secret_sources,
        });
        let op = self.issue(order, record, req.deletion_policy).await?;
        Ok(accepted(op, &req.external_ref))
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        let kind = Self::kind(portal, kind)?;
        let Some(record) = self.load()?.record(id).cloned() else {
            // Nothing recorded: nothing for a person to delete (404 counts as deleted).
            return Ok(DeleteOutcome::Deleted);
        };
        let order = WorkOrder::build(&Change {
            connection: &self.connection,
            uid: "",
            action: OrderAction::Delete,
            kind,
            external_ref: &record.object.external_ref,
            object_id: Some(id),
            content: &Map::new(),
            parent_id: None,
            before: None,
            secrets: &[],
        });
        let op = self
            .issue(order, Map::new(), record.object.deletion_policy)
            .await?;
        Ok(DeleteOutcome::Accepted(op))
    }

    async fn operation(
        &self,
        _portal: Portal,
        _kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        let state = self.load()?;
        state.order(id).map(operation).ok_or_else(|| {
            PortalError::Setup(format!("no work order {id} in {}", self.path.display()))
        })
    }
}
