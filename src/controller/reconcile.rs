//! The reconcile of one object: the finalizer splits it into apply and cleanup; apply is the
//! pipeline dereference → validate → desired → observe → plan → act per policy → status.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::{Api, ResourceExt};

use super::approval::{published_plan, what_changed};
use super::context::Context;
use super::dependencies::waiting_for;
use super::dereference::{dereference, tenant_of};
use super::error::Error;
use super::notifications::{Sightings, waiting_since};
use super::status::{StatusBuilder, camel, now, publish};
use super::{Declaring, cleanup, events, manual, messages};
use crate::api::{ManagementPolicy, ObjectId, Severity};
use crate::engine::{
    self, ApplyOptions, Approval, Hold, Outcome, PollPolicy, Quiet, ReplaceAllowance,
};
use crate::model::{Address, Model, Observed, expand};
use crate::plan::{Applied, Phase, Plan, PlanOptions, Scope};
use crate::portal::PortalApi as _;
use crate::portal::manual::{AWAITING_MANUAL_STEP, OrderAction, WorkOrder};
use crate::validate::validate;

/// Reconciles one Tenant, TenantAdmin or ServiceBinding (the controllers' reconcile function).
pub async fn reconcile<K: Declaring>(object: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let key = object_key(object.as_ref());
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = object.name_any();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    // The finalizer helper adds the finalizer with a JSON patch whose `test` op fails (422)
    // when the object moved on. A reconcile woken by a related object before the watch
    // delivered our own patch still sees the object without it: skip the second patch and
    // wait for the watch, unless the object changed since (someone removed the finalizer).
    let version = object.resource_version().unwrap_or_default();
    let uid = object.uid().unwrap_or_else(|| key.clone());
    let adding = object.meta().deletion_timestamp.is_none()
        && !object.finalizers().iter().any(|f| f == super::FINALIZER);
    if !adding {
        ctx.finalizer_seen(&uid);
    } else if ctx.finalizer_sent_at(&uid).as_deref() == Some(version.as_str()) {
        tracing::debug!(object = %key, "finalizer patch already sent; waiting for the watch");
        ctx.resync.cancel(K::KIND, &namespace, &name);
        return Ok(Action::await_change());
    }
    let result = finalizer(&api, super::FINALIZER, object, |event| async {
        match event {
            Finalizer::Apply(object) => apply(object.as_ref(), &ctx).await,
            Finalizer::Cleanup(object) => {
                // A deleted object reports no drift and waits for nothing any more.
                ctx.metrics.set_drift(&key, []);
                ctx.notifications.forget(&key);
                cleanup::cleanup(object.as_ref(), &ctx).await
            }
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => Error::Finalizer(Box::new(other)),
    });
    if adding && result.is_ok() {
        ctx.finalizer_sent(&uid, version);
    }
    let code = result.as_ref().err().map(Error::code);
    ctx.metrics.reconciled(K::KIND, started.elapsed(), code);
    if let Ok(action) = &result {
        ctx.succeeded(&key);
        // Anything sooner than the resync means the object waits (dependency, operation).
        let resync = *action == Action::requeue(ctx.settings.resync_of(&key));
        let waiting = *action != Action::await_change() && !resync;
        ctx.metrics.set_waiting(&key, waiting);
        if resync
            && ctx
                .resync
                .schedule(K::KIND, &namespace, &name, ctx.settings.resync_of(&key))
        {
            // Kept in the compact resync map rather than in kube-runtime's scheduler.
            return Ok(Action::await_change());
        }
    }
    ctx.resync.cancel(K::KIND, &namespace, &name);
    result
}

/// Requeue after a failed reconcile: exponential per object, slower for permanent errors.
pub fn error_policy<K: Declaring>(object: Arc<K>, error: &Error, ctx: Arc<Context>) -> Action {
    let key = object_key(object.as_ref());
    let failures = ctx.failed(&key);
    let base = if error.is_transient() { 5 } else { 60 };
    let factor = 1u64 << failures.saturating_sub(1).min(6);
    let delay = Duration::from_secs(base * factor).min(Duration::from_secs(600));
    tracing::warn!(kind = K::KIND, object = %key, code = error.code(), error = %error, ?delay, "reconcile failed");
    ctx.metrics.set_waiting(&key, true);
    Action::requeue(delay)
}

/// `Kind/namespace/name`, the key of per-object bookkeeping.
pub(crate) fn object_key<K: Declaring>(object: &K) -> String {
    format!(
        "{}/{}/{}",
        K::KIND,
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// The apply branch: runs the pipeline and publishes what it learned, success or not.
async fn apply<K: Declaring>(object: &K, ctx: &Context) -> Result<Action, Error> {
    let mut status = StatusBuilder::new(object);
    let mut seen = Sightings::default();
    let result = pipeline(object, ctx, &mut status, &mut seen).await;
    if let Err(error) = &result {
        let message = error.to_string();
        status.not_synced(error.code(), &message);
        status.ready(false, "ReconcileError", &messages::next_step(error));
        status.progressing(None);
        if !matches!(error, Error::Invalid { .. }) {
            events::publish(ctx, object, true, "ReconcileError", "Reconcile", message).await;
        }
    }
    let status = status.build();
    // Queued for the notifications task; a slow webhook never holds up the reconcile.
    let events = seen.finish(&object_id(object), &status);
    ctx.notifications.offer(
        &object_key(object),
        events,
        waiting_since(&status),
        u64::try_from(now().0.as_second()).unwrap_or(0),
    );
    publish(ctx, object, status).await?;
    result
}

/// How long one reconcile follows an async operation before leaving it to the requeue.
const FOLLOW: PollPolicy = PollPolicy {
    timeout: Duration::from_secs(10),
    interval: Duration::from_millis(200),
    max_interval: Duration::from_secs(2),
};

/// How the engine runs one object's writes: its uid keys the idempotency of its creates.
pub(crate) fn apply_options(id: &ObjectId, uid: String) -> ApplyOptions {
    ApplyOptions {
        parallelism: 4,
        poll: FOLLOW,
        uids: HashMap::from([(id.clone(), uid)]),
    }
}

/// The id of a declaring object, as the model names it.
pub(crate) fn object_id<K: Declaring>(object: &K) -> ObjectId {
    ObjectId::new(
        K::KIND,
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    )
}

/// The addresses `model` gives the resources `id` declares.
pub(crate) fn own_addresses(model: &Model, id: &ObjectId) -> BTreeSet<Address> {
    model
        .resources()
        .iter()
        .filter(|r| &r.declared_by == id)
        .map(|r| r.address.clone())
        .collect()
}

/// Dereference → validate → desired → observe → plan → decide → run → status (success paths).
async fn pipeline<K: Declaring>(
    object: &K,
    ctx: &Context,
    status: &mut StatusBuilder,
    seen: &mut Sightings,
) -> Result<Action, Error> {
    let tenant = tenant_of(ctx, object)?;
    let policy = object.policies(Some(&tenant)).management;
    if policy != ManagementPolicy::Observe
        && let Some(waiting) = waiting_for(ctx, object, &tenant)
    {
        status
            .ready(false, "AwaitingDependency", &waiting)
            .progressing(Some(("AwaitingDependency", &waiting)))
            .plan_pending(None);
        return Ok(Action::requeue(ctx.settings.dependency_wait));
    }

    let owner = Arc::clone(&tenant);
    let deref = dereference(ctx, object, tenant).await?;
    status.generated_secret(deref.generated_secret.clone());
    let id = object_id(object);
    let problems: Vec<String> = validate(&deref.validation)
        .into_iter()
        .filter(|p| p.severity == Severity::Error && p.object == id)
        .map(|p| p.to_string())
        .collect();
    if !problems.is_empty() {
        return Err(Error::Invalid {
            reason: "InvalidSpec",
            message: problems.join("; "),
        });
    }
    let model = expand(&deref.declared).map_err(|e| Error::Invalid {
        reason: "InvalidSpec",
        message: e.to_string(),
    })?;
    let own = own_addresses(&model, &id);
    let applied = object
        .object_status()
        .map(|s| Applied::from_compact(&s.applied))
        .unwrap_or_default();
    let options = PlanOptions {
        prune: false,
        scope: Scope::object(id.clone()),
        applied: applied.clone(),
        now: jiff::Timestamp::now(),
    };
    let (mut observed, mut plan) =
        engine::observe_and_plan(&deref.portal, &model, &options).await?;
    // Confirmations first: a recorded one is observed from its record, like any object.
    let confirmations =
        manual::confirm(ctx, object, &deref.manual, &plan, &model, &observed).await?;
    if confirmations.accepted > 0 {
        (observed, plan) = engine::observe_and_plan(&deref.portal, &model, &options).await?;
    }

    let approval =
        Approval::Annotation(object.annotations().get(super::APPROVE_ANNOTATION).cloned());
    // The object's own spec.allowReplace (or its Tenant's) is the only allowance here.
    let decision = engine::decide(&plan, &approval, ReplaceAllowance::Declared);
    if decision.writes() {
        let uid = object.uid().unwrap_or_else(|| object_key(object));
        let report = engine::run(
            &deref.portal,
            &decision,
            &model,
            &observed,
            &apply_options(&id, uid),
            &Quiet,
        )
        .await;
        // Returned once by the vendor: stored before anything else can fail.
        super::passwords::store_captured(ctx, &owner, deref.portal.take_captured()).await?;
        crate::crash::point("reconcile.applied", &id);
        events::report_writes(
            ctx,
            object,
            &manual::reported_steps(&report.steps, &deref.manual),
        )
        .await;
        events::report_remediated(ctx, object, &plan, &report.steps).await;
        seen.report(&report, &plan);
        (observed, plan) = engine::observe_and_plan(&deref.portal, &model, &options).await?;
        if let Some(failed) = first_failure(&report) {
            seen.plan(&plan, &own);
            status.observed(&own.iter().cloned().collect::<Vec<_>>(), &observed);
            status.applied(applied.after(&model, &observed, &plan, |r| own.contains(&r.address)));
            status.plan(published_plan(ctx, &plan));
            return Err(failed);
        }
    }
    status.applied(applied.after(&model, &observed, &plan, |r| own.contains(&r.address)));
    seen.plan(&plan, &own);
    if engine::decide(&plan, &approval, ReplaceAllowance::Declared).held_for(Hold::Observe) > 0 {
        seen.drift(&plan, &id);
    }
    let orders = manual::settle(ctx, object, &deref.manual, &own).await?;
    let action = conclude(ctx, object, status, &approval, &own, &observed, &plan)?;
    Ok(manual_steps(
        ctx,
        object,
        status,
        &orders,
        &confirmations,
        action,
    ))
}

/// Ready and the requeue of an object with open work orders or refused confirmations: the
/// order waits for a person (an `Attest` order leaves the object Ready: nothing changes
/// until the person finds a difference).
fn manual_steps<K: Declaring>(
    ctx: &Context,
    object: &K,
    status: &mut StatusBuilder,
    orders: &[WorkOrder],
    confirmations: &manual::Confirmations,
    action: Action,
) -> Action {
    status.work_orders(orders.iter().map(WorkOrder::summary_line).collect());
    let waiting: Vec<&WorkOrder> = orders
        .iter()
        .filter(|o| o.action != OrderAction::Attest)
        .collect();
    let mut action = action;
    if let Some(message) = manual::awaiting(object, &waiting) {
        status
            .progressing(Some((AWAITING_MANUAL_STEP, &message)))
            .ready(false, AWAITING_MANUAL_STEP, &message);
        // A person takes minutes at least; the annotation wakes the object sooner.
        action = Action::requeue(MANUAL_WAIT.min(ctx.settings.resync));
    }
    if !confirmations.refused.is_empty() {
        status.ready(
            false,
            "ConfirmationRefused",
            &confirmations.refused.join("; "),
        );
    }
    action
}

/// Requeue delay while a work order waits for a person.
const MANUAL_WAIT: Duration = Duration::from_secs(60);

/// Sets every condition from the final observation and plan, and picks the requeue.
fn conclude<K: Declaring>(
    ctx: &Context,
    object: &K,
    status: &mut StatusBuilder,
    approval: &Approval,
    own: &BTreeSet<Address>,
    observed: &Observed,
    plan: &Plan,
) -> Result<Action, Error> {
    let own_list: Vec<Address> = own.iter().cloned().collect();
    status.observed(&own_list, observed).synced().drift(plan);
    ctx.metrics.set_drift(
        &object_key(object),
        plan.drift
            .iter()
            .map(|d| (d.address.kind.portal().id(), d.policy.as_str())),
    );
    status.plan(published_plan(ctx, plan));
    let name = object.name_any();
    let kind = K::KIND;

    // What the policy holds back of what is left to do, decided as the write was.
    let decision = engine::decide(plan, approval, ReplaceAllowance::Declared);
    let held = |hold| decision.held_for(hold) > 0;
    if let Some(approved) = decision.stale.as_deref() {
        let changed = what_changed(
            object.object_status().and_then(|s| s.plan.as_deref()),
            approved,
            plan,
        );
        let message = messages::approval_stale(kind, &name, approved, plan, &changed);
        status
            .plan_pending(Some(("ApprovalStale", &message)))
            .ready(false, "ApprovalStale", &message);
    } else if let Some(refused) = decision.replace_refused() {
        let message = messages::replace_refused(&refused);
        status
            .plan_pending(Some(("ReplaceRefused", &message)))
            .ready(false, "ReplaceRefused", &message);
    } else if held(Hold::AwaitingApproval) {
        let message = messages::awaiting_approval(kind, &name, plan);
        status
            .plan_pending(Some(("AwaitingApproval", &message)))
            .ready(false, "AwaitingApproval", &message);
    } else if held(Hold::Observe) {
        status
            .plan_pending(None)
            .ready(false, "Drifted", &messages::drifted(plan));
    } else if plan.has_changes() {
        status
            .plan_pending(None)
            .ready(false, "Applying", messages::APPLYING);
    } else {
        status.plan_pending(None);
    }

    // Async work in the portal.
    let phase = plan.pending.iter().map(|p| p.phase).min();
    let requeue = match phase {
        Some(Phase::Failed) => {
            // The failure's own reason (e.g. DomainUnavailable), as the failed write said it.
            let failed = plan.pending.iter().find(|p| p.phase == Phase::Failed);
            let reason = failed
                .and_then(|p| p.failure.as_ref())
                .map_or_else(|| "Failed".to_owned(), |f| camel(&f.reason));
            let message = failed.map_or_else(
                || messages::OPERATION_FAILED.to_owned(),
                messages::operation_failed,
            );
            status.progressing(None).ready(false, &reason, &message);
            ctx.settings.resync.min(Duration::from_secs(60))
        }
        Some(phase) => {
            let message = messages::phase_of(phase, plan.pending.iter().find(|p| p.phase == phase));
            let message = message.as_str();
            let wait = match phase {
                Phase::Scheduled
                | Phase::AwaitingConsent
                | Phase::AwaitingManualStep
                | Phase::AwaitingCarrierApproval
                | Phase::AwaitingCustomerApproval => Duration::from_secs(60),
                _ => ctx.settings.poll,
            };
            status.progressing(Some((phase.as_str(), message))).ready(
                false,
                phase.as_str(),
                message,
            );
            wait.min(ctx.settings.resync)
        }
        None => {
            status.progressing(None);
            if !plan.has_changes() {
                status.ready(true, "Available", messages::AVAILABLE);
            }
            if decision.writes() {
                ctx.settings.poll
            } else {
                ctx.settings.resync_of(&object_key(object))
            }
        }
    };
    Ok(Action::requeue(requeue))
}

fn first_failure(report: &engine::Report) -> Option<Error> {
    report.steps.iter().find_map(|step| match &step.outcome {
        Outcome::Failed { code, message } => Some(Error::Write {
            address: step.address.to_string(),
            code: code.clone(),
            message: message.clone(),
        }),
        _ => None,
    })
}
