//! Long-running work: operations to poll at `/v1/operations/{id}` and the worker that moves
//! them along on the scaled clock.
//!
//! `pending` or `scheduled` (until `notBefore`) → `running` → `succeeded` or `failed`;
//! `awaitingHuman` waits for a person (the TeamMate Global Admin's consent). A portal's rules
//! hook into the start (where a start can fail, e.g. `DomainUnavailable`), the success and the
//! failure. Faults decide at creation whether an operation fails or stays running.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use serde_json::Value;

use super::clock::{now_ms, rfc3339_millis, rfc3339_seconds};
use super::error::ApiError;
use super::object::{self, Object};
use super::portals::{self, Cx};
use super::state::Shared;

/// What an operation does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "update" => Self::Update,
            "delete" => Self::Delete,
            _ => Self::Create,
        }
    }
}

/// The state of an operation (wire names in camelCase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum OpState {
    Pending,
    Scheduled,
    Running,
    AwaitingHuman,
    Succeeded,
    Failed,
}

impl OpState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::AwaitingHuman => "awaitingHuman",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "scheduled" => Self::Scheduled,
            "running" => Self::Running,
            "awaitingHuman" => Self::AwaitingHuman,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// How an operation ends, decided by the fault configuration when it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeed,
    Fail,
    Stuck,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Succeed => "succeed",
            Self::Fail => "fail",
            Self::Stuck => "stuck",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "fail" => Self::Fail,
            "stuck" => Self::Stuck,
            _ => Self::Succeed,
        }
    }
}

/// How an operation begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Accepted; starts after the (nominal) delay.
    Pending(Duration),
    /// Scheduled for the off-peak window that opens after the (nominal) delay.
    Scheduled(Duration),
    /// Waits for a person.
    AwaitingHuman,
}

/// The shape of the work a rule asks for.
#[derive(Debug, Clone)]
pub(crate) struct OpPlan {
    pub action: Action,
    pub start: Start,
    /// Nominal time in `running`.
    pub run: Duration,
    pub message: String,
}

/// A stored operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Operation {
    pub id: String,
    pub portal: String,
    pub kind: String,
    pub object_id: String,
    pub action: Action,
    pub state: OpState,
    pub reason: String,
    pub message: String,
    pub not_before: Option<i64>,
    pub due_at: Option<i64>,
    pub run_ms: i64,
    pub outcome: Outcome,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    id: &'a str,
    portal: &'a str,
    kind: &'a str,
    object_id: &'a str,
    action: Action,
    state: OpState,
    reason: &'a str,
    message: &'a str,
    not_before: Option<String>,
    created_at: &'a str,
    updated_at: &'a str,
}

impl Operation {
    pub fn wire(&self) -> Value {
        serde_json::to_value(Wire {
            id: &self.id,
            portal: &self.portal,
            kind: &self.kind,
            object_id: &self.object_id,
            action: self.action,
            state: self.state,
            reason: &self.reason,
            message: &self.message,
            not_before: self.not_before.map(rfc3339_millis),
            created_at: &self.created_at,
            updated_at: &self.updated_at,
        })
        .unwrap_or(Value::Null)
    }
}

const COLUMNS: &str = "id, portal, kind, object_id, action, state, reason, message, not_before, \
                       due_at, run_ms, outcome, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Operation> {
    let action: String = r.get(4)?;
    let state: String = r.get(5)?;
    let outcome: String = r.get(11)?;
    Ok(Operation {
        id: r.get(0)?,
        portal: r.get(1)?,
        kind: r.get(2)?,
        object_id: r.get(3)?,
        action: Action::parse(&action),
        state: OpState::parse(&state),
        reason: r.get(6)?,
        message: r.get(7)?,
        not_before: r.get(8)?,
        due_at: r.get(9)?,
        run_ms: r.get(10)?,
        outcome: Outcome::parse(&outcome),
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

fn save(tx: &Transaction<'_>, op: &Operation) -> Result<(), ApiError> {
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO operations ({COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
        ),
        params![
            op.id,
            op.portal,
            op.kind,
            op.object_id,
            op.action.as_str(),
            op.state.as_str(),
            op.reason,
            op.message,
            op.not_before,
            op.due_at,
            op.run_ms,
            op.outcome.as_str(),
            op.created_at,
            op.updated_at
        ],
    )?;
    Ok(())
}

pub(crate) fn get(tx: &Transaction<'_>, id: &str) -> Result<Option<Operation>, ApiError> {
    Ok(tx
        .query_row(
            &format!("SELECT {COLUMNS} FROM operations WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// The newest unfinished operation of an object.
pub(crate) fn active_for(
    tx: &Transaction<'_>,
    object_id: &str,
) -> Result<Option<Operation>, ApiError> {
    Ok(tx
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM operations WHERE object_id = ?1
                 AND state NOT IN ('succeeded', 'failed') ORDER BY seq DESC LIMIT 1"
            ),
            [object_id],
            from_row,
        )
        .optional()?)
}

fn reason_of(action: Action, state: OpState) -> &'static str {
    match (action, state) {
        (_, OpState::Scheduled) => "Scheduled",
        (_, OpState::AwaitingHuman) => "AwaitingConsent",
        (Action::Delete, OpState::Succeeded) => "Deleted",
        (Action::Delete, _) => "Deleting",
        (_, OpState::Succeeded) => "Provisioned",
        _ => "Provisioning",
    }
}

/// The object phase that mirrors an operation state.
fn phase_of(action: Action, state: OpState) -> &'static str {
    match (action, state) {
        (Action::Delete, OpState::Failed) => "Ready",
        (Action::Delete, _) => "Deleting",
        (_, OpState::Scheduled) => "Scheduled",
        (_, OpState::AwaitingHuman) => "AwaitingConsent",
        (_, OpState::Succeeded) => "Ready",
        (_, OpState::Failed) => "Failed",
        _ => "Provisioning",
    }
}

/// Creates the operation `plan` for `obj` and mirrors it in the object's status.
pub(crate) fn create(
    cx: &Cx<'_, '_>,
    obj: &mut Object,
    plan: &OpPlan,
) -> Result<Operation, ApiError> {
    let id = cx.new_id("op")?;
    let outcome = cx
        .shared
        .faults
        .operation_outcome(cx.method, &obj.portal, &obj.kind);
    let scale = cx.shared.time_scale;
    let (state, not_before, due_at) = match plan.start {
        Start::Pending(after) => (OpState::Pending, None, Some(cx.now_ms + scale.ms(after))),
        Start::Scheduled(after) => {
            let at = cx.now_ms + scale.ms(after);
            (OpState::Scheduled, Some(at), Some(at))
        }
        Start::AwaitingHuman => (OpState::AwaitingHuman, None, None),
    };
    let now = rfc3339_seconds(cx.now_ms);
    let op = Operation {
        id,
        portal: obj.portal.clone(),
        kind: obj.kind.clone(),
        object_id: obj.id.clone(),
        action: plan.action,
        state,
        reason: reason_of(plan.action, state).to_owned(),
        message: plan.message.clone(),
        not_before,
        due_at,
        run_ms: scale.ms(plan.run),
        outcome,
        created_at: now.clone(),
        updated_at: now,
    };
    save(cx.tx, &op)?;
    if !cx.echo.is_empty() {
        cx.shared.faults.remember_echo(&op.id, cx.echo);
    }
    obj.set_status("phase", phase_of(op.action, op.state));
    obj.set_status("operationId", op.id.clone());
    // New work on the object: the last failure no longer describes it.
    obj.remove_status("failure");
    cx.shared.wake.notify_one();
    Ok(op)
}

/// Why an operation failed: a stable reason and a message saying what to do.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub reason: &'static str,
    pub message: String,
}

/// Moves an operation waiting for a person to `running` (the person did their part).
pub(crate) fn resume(
    cx: &Cx<'_, '_>,
    op: &mut Operation,
    obj: &mut Object,
    message: &str,
) -> Result<(), ApiError> {
    op.state = OpState::Running;
    op.reason = reason_of(op.action, op.state).to_owned();
    op.message = message.to_owned();
    op.due_at = (op.outcome != Outcome::Stuck).then_some(cx.now_ms + op.run_ms);
    op.updated_at = rfc3339_seconds(cx.now_ms);
    save(cx.tx, op)?;
    obj.set_status("phase", phase_of(op.action, op.state));
    cx.shared.wake.notify_one();
    Ok(())
}

/// Updates the message of an operation (without changing its state).
pub(crate) fn note(cx: &Cx<'_, '_>, op: &mut Operation, message: &str) -> Result<(), ApiError> {
    op.message = message.to_owned();
    op.updated_at = rfc3339_seconds(cx.now_ms);
    save(cx.tx, op)
}

/// Ends an operation as failed without running the rules (its object went away).
pub(crate) fn cancel(
    cx: &Cx<'_, '_>,
    op: &mut Operation,
    reason: &str,
    message: &str,
) -> Result<(), ApiError> {
    op.state = OpState::Failed;
    op.reason = reason.to_owned();
    op.message = message.to_owned();
    op.due_at = None;
    op.updated_at = rfc3339_seconds(cx.now_ms);
    save(cx.tx, op)
}

/// Advances every operation that is due; returns when the next one is due.
pub(crate) fn advance_due(shared: &Shared, tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
    let now = now_ms();
    let due: Vec<Operation> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT {COLUMNS} FROM operations WHERE due_at IS NOT NULL AND due_at <= ?1
             ORDER BY due_at, seq LIMIT 200"
        ))?;
        let rows = stmt.query_map([now], from_row)?;
        rows.collect::<Result<_, _>>()?
    };
    let cx = Cx {
        tx,
        shared,
        now_ms: now,
        method: "POST",
        echo: &[],
    };
    for op in due {
        step(&cx, op)?;
    }
    Ok(tx.query_row(
        "SELECT min(due_at) FROM operations WHERE due_at IS NOT NULL",
        [],
        |r| r.get(0),
    )?)
}

fn step(cx: &Cx<'_, '_>, mut op: Operation) -> Result<(), ApiError> {
    let Some(mut obj) = object::by_id(cx.tx, &op.object_id)? else {
        return cancel(
            cx,
            &mut op,
            "ObjectGone",
            "the object was deleted before the operation finished",
        );
    };
    let rules = portals::rules_of(&op.portal, &op.kind);
    op.updated_at = rfc3339_seconds(cx.now_ms);
    match op.state {
        OpState::Pending | OpState::Scheduled => {
            match rules.operation_started(cx, &op, &mut obj)? {
                None => {
                    op.state = OpState::Running;
                    op.reason = reason_of(op.action, op.state).to_owned();
                    op.due_at = (op.outcome != Outcome::Stuck).then_some(cx.now_ms + op.run_ms);
                    obj.set_status("phase", phase_of(op.action, op.state));
                }
                Some(failure) => fail(cx, &mut op, &mut obj, failure)?,
            }
        }
        OpState::Running if op.outcome == Outcome::Fail => {
            let failure = Failure {
                reason: "ProvisioningFailed",
                message: "the portal reported a provisioning failure (injected fault); retry the \
                          request or contact the portal's support"
                    .to_owned(),
            };
            fail(cx, &mut op, &mut obj, failure)?;
        }
        OpState::Running => {
            op.state = OpState::Succeeded;
            op.reason = reason_of(op.action, op.state).to_owned();
            op.message = match op.action {
                Action::Delete => "deleted".to_owned(),
                _ => "provisioned".to_owned(),
            };
            op.due_at = None;
            cx.shared.faults.take_echo(&op.id);
            obj.set_status("phase", phase_of(op.action, op.state));
            rules.operation_succeeded(cx, &op, &mut obj)?;
            save(cx.tx, &op)?;
            if op.action == Action::Delete {
                return object::remove(cx.tx, &obj.id);
            }
            return touch_object(cx, &mut obj);
        }
        OpState::AwaitingHuman | OpState::Succeeded | OpState::Failed => {
            op.due_at = None;
        }
    }
    save(cx.tx, &op)?;
    touch_object(cx, &mut obj)
}

fn fail(
    cx: &Cx<'_, '_>,
    op: &mut Operation,
    obj: &mut Object,
    failure: Failure,
) -> Result<(), ApiError> {
    op.state = OpState::Failed;
    op.reason = failure.reason.to_owned();
    // The object keeps why (a portal shows it on the object, not only on the operation), so
    // every later read says it until new work starts. Request secrets are never stored with
    // the object, echo fault or not.
    // A failed delete leaves the object Ready, as it was: nothing failed about the object.
    if op.action != Action::Delete {
        obj.set_status(
            "failure",
            serde_json::json!({
                "action": op.action.as_str(),
                "reason": failure.reason,
                "message": failure.message,
            }),
        );
    }
    op.message = failure.message;
    if let Some(secrets) = cx.shared.faults.take_echo(&op.id) {
        op.message = format!("{} (request secrets: {})", op.message, secrets.join(", "));
    }
    op.due_at = None;
    obj.set_status("phase", phase_of(op.action, op.state));
    portals::rules_of(&op.portal, &op.kind).operation_failed(cx, op, obj)
}

fn touch_object(cx: &Cx<'_, '_>, obj: &mut Object) -> Result<(), ApiError> {
    obj.version += 1;
    obj.updated_at = rfc3339_seconds(cx.now_ms);
    object::save(cx.tx, obj)
}

/// Runs operations until `stop` flips: sleeps until the next one is due (at most a second),
/// or until a new operation wakes it.
pub(crate) async fn worker(shared: Arc<Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut last_purge = 0;
    loop {
        let for_tx = Arc::clone(&shared);
        let purge = now_ms() - last_purge > 60_000;
        if purge {
            last_purge = now_ms();
        }
        let next = shared
            .store
            .write(move |tx| {
                if purge {
                    super::idempotency::purge_expired(tx, for_tx.idempotency_ttl_ms)?;
                }
                advance_due(&for_tx, tx)
            })
            .await;
        let wait = match next {
            Ok(Some(at)) => (at - now_ms()).clamp(1, 1000),
            Ok(None) => 1000,
            Err(err) => {
                tracing::error!(error = %err.message, "operation worker");
                1000
            }
        };
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
            () = shared.wake.notified() => {}
            _ = stop.changed() => return,
        }
    }
}
