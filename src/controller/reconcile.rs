//! The reconcile of one object: the finalizer splits it into apply and cleanup; apply is the
//! pipeline dereference → validate → desired → observe → plan → act per policy → status.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::{Api, ResourceExt};

use super::approval::{published_plan, short, what_changed};
use super::context::Context;
use super::dependencies::waiting_for;
use super::dereference::{dereference, tenant_of};
use super::engine_seam::{self, Applied, StepResult};
use super::error::Error;
use super::observe::{observe, scope};
use super::status::{StatusBuilder, publish};
use super::{Declaring, cleanup, events};
use crate::api::ManagementPolicy;
use crate::api::{ObjectId, Severity};
use crate::model::{Address, Observed, expand};
use crate::plan::{Phase, Plan};
use crate::validate::validate;

/// Reconciles one Tenant, TenantAdmin or ServiceBinding (the controllers' reconcile function).
pub async fn reconcile<K: Declaring>(object: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let key = object_key(object.as_ref());
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, super::FINALIZER, object, |event| async {
        match event {
            Finalizer::Apply(object) => apply(object.as_ref(), &ctx).await,
            Finalizer::Cleanup(object) => cleanup::cleanup(object.as_ref(), &ctx).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => Error::Finalizer(Box::new(other)),
    });
    let code = result.as_ref().err().map(Error::code);
    ctx.metrics.reconciled(K::KIND, started.elapsed(), code);
    if let Ok(action) = &result {
        ctx.succeeded(&key);
        // Anything sooner than the resync means the object waits (dependency, operation).
        let waiting = *action != Action::await_change()
            && *action != Action::requeue(ctx.settings.resync_of(&key));
        ctx.metrics.set_waiting(&key, waiting);
    }
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
    let result = pipeline(object, ctx, &mut status).await;
    if let Err(error) = &result {
        let message = error.to_string();
        status.not_synced(error.code(), &message);
        status.ready(false, "ReconcileError", &next_step(error));
        status.progressing(None);
        if !matches!(error, Error::Invalid { .. }) {
            events::publish(ctx, object, true, "ReconcileError", "Reconcile", message).await;
        }
    }
    publish(ctx, object, status.build()).await?;
    result
}

/// What a person should do about an error, for the Ready condition's message.
fn next_step(error: &Error) -> String {
    match error {
        Error::Invalid { message, .. } => format!("Fix the object: {message}"),
        e if e.is_transient() => format!(
            "Retrying with backoff; check the portal and the PortalConnection if it persists ({e})."
        ),
        e => format!("The portal refused the change; fix the spec and it is retried ({e})."),
    }
}

/// Dereference → validate → desired → observe → plan → act → status (success paths).
async fn pipeline<K: Declaring>(
    object: &K,
    ctx: &Context,
    status: &mut StatusBuilder,
) -> Result<Action, Error> {
    let tenant = tenant_of(ctx, object)?;
    let (_, policy) = object.policies(Some(&tenant));
    if policy != ManagementPolicy::Observe
        && let Some(waiting) = waiting_for(ctx, object, &tenant)
    {
        status
            .ready(false, "AwaitingDependency", &waiting)
            .progressing(Some(("AwaitingDependency", &waiting)))
            .plan_pending(None);
        return Ok(Action::requeue(ctx.settings.dependency_wait));
    }

    let deref = dereference(ctx, object, tenant).await?;
    status.generated_secret(deref.generated_secret.clone());
    let id = ObjectId::new(
        K::KIND,
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    );
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
    let own: BTreeSet<Address> = model
        .resources()
        .iter()
        .filter(|r| r.declared_by == id)
        .map(|r| r.address.clone())
        .collect();
    let observe_scope = scope(&model, &own.iter().cloned().collect::<Vec<_>>());
    let mut observed = observe(&deref.portal, &observe_scope).await?;
    let mut plan = engine_seam::plan_for(&model, &observed, &own);

    let approval = object.annotations().get(super::APPROVE_ANNOTATION).cloned();
    let write = plan.has_changes()
        && match policy {
            ManagementPolicy::Apply => true,
            ManagementPolicy::Plan => approval.as_deref() == Some(plan.hash.as_str()),
            ManagementPolicy::Observe => false,
        };
    if write {
        let uid = object.uid().unwrap_or_else(|| object_key(object));
        let applied = engine_seam::apply(&deref.portal, &model, &observed, &plan, &id, &uid).await;
        crate::crash::point("reconcile.applied", &id);
        events::report_writes(ctx, object, &applied).await;
        observed = observe(&deref.portal, &observe_scope).await?;
        plan = engine_seam::plan_for(&model, &observed, &own);
        if let Some(failed) = first_failure(&applied) {
            status.observed(&own.iter().cloned().collect::<Vec<_>>(), &observed);
            status.plan(published_plan(ctx, &plan));
            return Err(failed);
        }
    }
    conclude(
        ctx, object, status, policy, approval, &own, &observed, &plan,
    )
}

/// Sets every condition from the final observation and plan, and picks the requeue.
#[expect(clippy::too_many_arguments, reason = "the pipeline's results, named")]
fn conclude<K: Declaring>(
    ctx: &Context,
    object: &K,
    status: &mut StatusBuilder,
    policy: ManagementPolicy,
    approval: Option<String>,
    own: &BTreeSet<Address>,
    observed: &Observed,
    plan: &Plan,
) -> Result<Action, Error> {
    let own_list: Vec<Address> = own.iter().cloned().collect();
    status.observed(&own_list, observed).synced();
    status.plan(published_plan(ctx, plan));
    let name = object.name_any();
    let kind = K::KIND;
    let plural = format!("{}s", kind.to_lowercase());

    // Plan approval and drift.
    match (policy, plan.has_changes()) {
        (ManagementPolicy::Plan, true) => {
            let (reason, message) = match approval.as_deref() {
                Some(approved) => (
                    "ApprovalStale",
                    format!(
                        "The approval {} is not the current plan {}: {}. Nothing was written. Review status.plan and run: kubectl annotate {plural} {name} {}={} --overwrite",
                        short(approved),
                        short(&plan.hash),
                        what_changed(
                            object.object_status().and_then(|s| s.plan.as_ref()),
                            approved,
                            plan
                        ),
                        super::APPROVE_ANNOTATION,
                        plan.hash
                    ),
                ),
                None => (
                    "AwaitingApproval",
                    format!(
                        "A plan ({}) waits for approval. Review status.plan, then run: kubectl annotate {plural} {name} {}={}",
                        plan.summary(),
                        super::APPROVE_ANNOTATION,
                        plan.hash
                    ),
                ),
            };
            status
                .plan_pending(Some((reason, &message)))
                .ready(false, reason, &message);
        }
        (ManagementPolicy::Observe, true) => {
            let message = format!(
                "The portal differs from the declaration ({}); managementPolicy Observe never writes. See status.plan; set managementPolicy: Apply to correct it.",
                plan.summary()
            );
            status.plan_pending(None).ready(false, "Drifted", &message);
        }
        (_, true) => {
            let message = "Changes are being applied; see status.plan.".to_owned();
            status.plan_pending(None).ready(false, "Applying", &message);
        }
        (_, false) => {
            status.plan_pending(None);
        }
    }

    // Async work in the portal.
    let phase = plan.pending.iter().map(|p| p.phase).min();
    let requeue = match phase {
        Some(Phase::Failed) => {
            let message = "The portal's last operation failed; see the portal's notification e-mail, fix the spec, and it is retried.";
            status.progressing(None).ready(false, "Failed", message);
            ctx.settings.resync.min(Duration::from_secs(60))
        }
        Some(phase) => {
            let (message, wait) = match phase {
                Phase::Scheduled => (
                    "The portal scheduled the work off-peak; it is polled until done.",
                    Duration::from_secs(60),
                ),
                Phase::AwaitingConsent => (
                    "Waiting for the customer's Global Admin to accept the invitation (both consent steps); nothing to do here.",
                    Duration::from_secs(60),
                ),
                _ => (
                    "The portal is provisioning; it is polled until done.",
                    ctx.settings.poll,
                ),
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
                status.ready(
                    true,
                    "Available",
                    "The portal objects match the declaration.",
                );
            }
            if plan.has_changes() && policy == ManagementPolicy::Apply {
                ctx.settings.poll
            } else {
                ctx.settings.resync_of(&object_key(object))
            }
        }
    };
    Ok(Action::requeue(requeue))
}

fn first_failure(applied: &[Applied]) -> Option<Error> {
    applied.iter().find_map(|a| match &a.result {
        StepResult::Failed { code, message } => Some(Error::Write {
            address: a.address.to_string(),
            code: code.clone(),
            message: message.clone(),
        }),
        _ => None,
    })
}
