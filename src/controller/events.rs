//! Kubernetes Events for every portal write and failure. Notes never carry secret values:
//! they are built from addresses, codes and scrubbed portal messages only.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType};

use super::Declaring;
use super::context::Context;
use crate::engine::{Outcome, StepReport};

/// Publishes an event about `object`; a failure to publish is logged, never fatal.
pub(crate) async fn publish<K: Declaring>(
    ctx: &Context,
    object: &K,
    warning: bool,
    reason: &str,
    action: &str,
    note: String,
) {
    publish_related(ctx, object, warning, reason, action, note, None).await;
}

/// [`publish`] with a related object: the recorder folds repeats of one (object, reason,
/// action, related) into a series, so events about different things (work orders) name them.
pub(crate) async fn publish_related<K: Declaring>(
    ctx: &Context,
    object: &K,
    warning: bool,
    reason: &str,
    action: &str,
    note: String,
    related: Option<ObjectReference>,
) {
    let event = Event {
        type_: if warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.to_owned(),
        note: Some(cut(note, 1000)),
        action: action.to_owned(),
        secondary: related,
    };
    if let Err(e) = ctx.recorder.publish(&event, &object.object_ref(&())).await {
        tracing::warn!(error = %e, reason, "could not publish an event");
    }
}

/// An event and a count for each hand change the run put back (driftPolicy Remediate).
pub(crate) async fn report_remediated<K: Declaring>(
    ctx: &Context,
    object: &K,
    plan: &crate::plan::Plan,
    steps: &[StepReport],
) {
    for d in plan.drift.iter().filter(|d| d.policy.remediates()) {
        let done = steps
            .iter()
            .any(|s| s.address == d.address && matches!(s.outcome, Outcome::Done { .. }));
        if !done {
            continue;
        }
        ctx.metrics.drift_remediated(d.address.kind.portal().id());
        publish(
            ctx,
            object,
            false,
            "DriftRemediated",
            "PortalWrite",
            format!(
                "put {} {} back to its declared value (it was changed in the portal by hand)",
                d.address, d.field
            ),
        )
        .await;
    }
}

/// Events and metrics for every write of an engine run.
pub(crate) async fn report_writes<K: Declaring>(ctx: &Context, object: &K, steps: &[StepReport]) {
    for step in steps {
        let action = step.action.to_string();
        let address = &step.address;
        match &step.outcome {
            Outcome::Done { .. } => {
                ctx.metrics.portal_write(K::KIND, &action);
                let reason = past_tense(&action);
                publish(
                    ctx,
                    object,
                    false,
                    reason,
                    "PortalWrite",
                    format!("{action} {address}"),
                )
                .await;
            }
            Outcome::Waiting {
                reason, message, ..
            } => {
                ctx.metrics.portal_write(K::KIND, &action);
                publish(
                    ctx,
                    object,
                    false,
                    "Accepted",
                    "PortalWrite",
                    format!("{action} {address} accepted: {reason} {message}"),
                )
                .await;
            }
            Outcome::Failed { code, message } => {
                publish(
                    ctx,
                    object,
                    true,
                    "PortalWriteFailed",
                    "PortalWrite",
                    format!("{action} {address} failed ({code}): {message}"),
                )
                .await;
            }
            Outcome::Skipped { blocked_by, .. } => {
                tracing::debug!(%address, %blocked_by, "write skipped");
            }
        }
    }
}

fn past_tense(action: &str) -> &'static str {
    match action {
        "create" => "Created",
        "update" => "Updated",
        "replace" => "Replaced",
        _ => "Deleted",
    }
}

/// Cuts a note to the Events API limit (1 kB) at a character boundary.
fn cut(mut note: String, limit: usize) -> String {
    if note.len() > limit {
        let mut at = limit;
        while !note.is_char_boundary(at) {
            at -= 1;
        }
        note.truncate(at);
    }
    note
}
