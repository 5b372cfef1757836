//! `ManualPortal`: the provider of `api: manual`. It sends nothing anywhere: a write becomes
//! a work order in the state file and waits for a person (`AwaitingManualStep`); a list
//! returns the objects people confirmed.

use std::path::Path;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use super::DEFAULT_ATTEST_EVERY;
use super::order::{Change, OrderAction, WorkOrder};
use super::state::{ManualState, OrderState, StoredOrder};
use super::store::{FileStore, ManualStore, Snapshot, StoreError};
use crate::api::{DeletionPolicy, Portal};
use crate::model::Kind;
use crate::portal::{
    Accepted, DeleteOutcome, ListFilter, Operation, OperationState, PortalApi, PortalError,
    PortalObject, WriteOutcome, WriteRequest,
};

/// The reason of an object whose change waits for a person.
pub const AWAITING_MANUAL_STEP: &str = "AwaitingManualStep";

/// A manual connection's client; clones share the store, its lock and the issued log.
#[derive(Clone)]
pub struct ManualPortal {
    connection: String,
    store: Arc<dyn ManualStore>,
    // One read-modify-write at a time within this process (parallel apply steps); across
    // processes the store's version check (a ConfigMap's resourceVersion) serializes them.
    lock: Arc<tokio::sync::Mutex<()>>,
    // The declaring object's name for order ids, when the caller's uid is another identity
    // (the controller's metadata.uid): orders carry the CLI's ids for the same change.
    declared_by: Option<String>,
    attest_every: Option<SignedDuration>,
    issued: Arc<Mutex<Vec<WorkOrder>>>,
}

/// How often a store write may lose a race before the call gives up (retried later).
const ATTEMPTS: usize = 8;

impl ManualPortal {
    /// The client of connection `connection`, its state in the file `path`.
    pub fn new(connection: &str, path: &Path) -> Self {
        Self::with_store(connection, Arc::new(FileStore::new(path)))
    }

    /// The client of connection `connection`, its state in `store`.
    pub fn with_store(connection: &str, store: Arc<dyn ManualStore>) -> Self {
        Self {
            connection: connection.to_owned(),
            store,
            lock: Arc::new(tokio::sync::Mutex::new(())),
            declared_by: None,
            attest_every: Some(DEFAULT_ATTEST_EVERY),
            issued: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Orders name the declaring object `Kind/namespace/name` whatever uid the engine gives.
    #[must_use]
    pub fn declared_by(mut self, object: String) -> Self {
        self.declared_by = Some(object);
        self
    }

    /// Confirmed records older than `every` get an `Attest` order; none: never.
    #[must_use]
    pub fn attest_every(mut self, every: Option<SignedDuration>) -> Self {
        self.attest_every = every;
        self
    }

    /// The orders this client newly recorded since the last call (a rerun or a second
    /// replica finding the order already there adds nothing): one Event each.
    pub fn take_issued(&self) -> Vec<WorkOrder> {
        std::mem::take(&mut *self.issued.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Where the orders are kept, in a person's words.
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// The state now.
    pub async fn load(&self) -> Result<ManualState, PortalError> {
        Ok(self.store.read().await.map_err(store_error)?.state)
    }

    /// Reads, applies `change`, and writes back only when it changed something; a write that
    /// lost a race reads again and applies `change` again (orders are derived, so the second
    /// pass finds what the winner wrote instead of adding a second order).
    pub async fn transact<R>(
        &self,
        mut change: impl FnMut(&mut ManualState) -> R,
    ) -> Result<R, PortalError> {
        let _guard = self.lock.lock().await;
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let Snapshot { mut state, version } = self.store.read().await.map_err(store_error)?;
            let before = serde_json::to_value(&state).unwrap_or_default();
            let out = change(&mut state);
            if serde_json::to_value(&state).unwrap_or_default() == before {
                return Ok(out);
            }
            match self.store.write(&mut state, version.as_deref()).await {
                Ok(()) => return Ok(out),
                Err(StoreError::Conflict(what)) => last = what,
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(PortalError::Unavailable {
            portal: "manual".to_owned(),
            attempts: u32::try_from(ATTEMPTS).unwrap_or(u32::MAX),
            last: format!("{last} changed on every attempt"),
        })
    }

    /// Records the order (or finds it already there) and reports it waiting.
    async fn issue(
        &self,
        order: WorkOrder,
        spec: Map<String, Value>,
        policy: DeletionPolicy,
    ) -> Result<Operation, PortalError> {
        let (stored, new) = self
            .transact(|state| {
                let was_open = state.order(&order.id).map(|o| &o.state) == Some(&OrderState::Open);
                let stored = state.issue(order.clone(), spec.clone(), policy).clone();
                let new = !was_open && stored.state == OrderState::Open;
                (stored, new)
            })
            .await?;
        if new {
            self.log(&stored.order);
        }
        Ok(operation(&stored))
    }

    fn log(&self, order: &WorkOrder) {
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(order.clone());
    }

    /// Issues an `Attest` order for every record of this connection confirmed longer than
    /// `attestEvery` before `now` (none twice: the id is derived from the record's date);
    /// returns every open `Attest` order of the connection.
    pub async fn attest(&self, now: Timestamp) -> Result<Vec<WorkOrder>, PortalError> {
        let Some(every) = self.attest_every else {
            return Ok(Vec::new());
        };
        let (open, new) = self
            .transact(|state| attest_in(state, &self.connection, now, every))
            .await?;
        for order in &new {
            self.log(order);
        }
        Ok(open)
    }

    /// What [`Self::attest`] would return, without recording anything (a plan).
    pub async fn attestations(&self, now: Timestamp) -> Result<Vec<WorkOrder>, PortalError> {
        let Some(every) = self.attest_every else {
            return Ok(Vec::new());
        };
        let mut state = self.load().await?;
        Ok(attest_in(&mut state, &self.connection, now, every).0)
    }

    fn uid<'a>(&'a self, req: &'a WriteRequest) -> &'a str {
        self.declared_by.as_deref().unwrap_or(&req.uid)
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

/// Issues the due `Attest` orders of `connection` into `state`; returns its open `Attest`
/// orders and the ones newly issued.
fn attest_in(
    state: &mut ManualState,
    connection: &str,
    now: Timestamp,
    every: SignedDuration,
) -> (Vec<WorkOrder>, Vec<WorkOrder>) {
    let mut new = Vec::new();
    for (order, spec, policy) in state.due_attestations(connection, now, every) {
        let known = state.order(&order.id).is_some();
        let stored = state.issue(order, spec, policy);
        if !known && stored.state == OrderState::Open {
            new.push(stored.order.clone());
        }
    }
    let open = state
        .open()
        .filter(|o| o.order.action == OrderAction::Attest && o.order.connection == connection)
        .map(|o| o.order.clone())
        .collect();
    (open, new)
}

/// The operation an order stands for: the engine reports it as waiting with our reason.
fn operation(stored: &StoredOrder) -> Operation {
    let order = &stored.order;
    let (state, reason, message) = match &stored.state {
        OrderState::Open => {
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
        OrderState::Confirmed { by, .. } => (
            OperationState::Succeeded,
            "Confirmed",
            format!("work order {} was confirmed by {by}", order.id),
        ),
        OrderState::Superseded { by_order } => (
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

/// A state that cannot be read is a setup error (the message says what to do); a store that
/// does not answer is retried.
fn store_error(err: StoreError) -> PortalError {
    match err {
        StoreError::State(e) => PortalError::Setup(e.to_string()),
        StoreError::Conflict(what) | StoreError::Unavailable(what) => PortalError::Unavailable {
            portal: "manual".to_owned(),
            attempts: 1,
            last: what,
        },
    }
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
        let state = self.load().await?;
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
            uid: self.uid(req),
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
        let before = self.load().await?.record(id).map(|r| r.object.spec.clone());
        let parent_id = kind
            .parent_field()
            .and_then(|f| req.spec.get(f))
            .and_then(Value::as_str);
        let order = WorkOrder::build(&Change {
            connection: &self.connection,
            uid: self.uid(req),
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
        let Some(record) = self.load().await?.record(id).cloned() else {
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
        let state = self.load().await?;
        state.order(id).map(operation).ok_or_else(|| {
            PortalError::Setup(format!("no work order {id} in {}", self.store.describe()))
        })
    }
}
