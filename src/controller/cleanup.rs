//! The cleanup branch of the finalizer: deletionPolicy decides, portal objects are deleted in
//! reverse dependency order, and the finalizer only goes when nothing is left to delete.
//!
//! DESIGN.md §7 "finalizers that never go away": Orphan (the default) and Observe drop the
//! finalizer with no portal call; an object that never got a portal object drops it with no
//! portal call; 404/410 count as deleted; a portal that keeps failing sets `DeleteBlocked`.
//!
//! DESIGN.md §7 "external objects deleted by accident": deleting a CustomResourceDefinition
//! makes Kubernetes delete every object of its kind, which runs this finalizer on each. That
//! is an uninstall, not a request to delete customers, so while the object's definition is
//! being deleted the finalizer is dropped with no portal call, whatever deletionPolicy says.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::context::Context;
use super::dereference::{dereference, portal_for, tenant_of};
use super::error::Error;
use super::reconcile::{apply_options, object_id, object_key, own_addresses};
use super::status::{StatusBuilder, publish};
use super::{Declaring, events, messages};
use crate::api::{ObjectStatus, condition, find_condition};
use crate::engine::{self, Approval, Outcome, Quiet, ReplaceAllowance, Selection};
use crate::model::{Address, Kind, expand};
use crate::plan;

/// Handles the deletion of `object`; `Ok` lets the finalizer go, `Err` keeps it.
///
/// The portal objects go through the engine like any other change: observed, planned as a
/// teardown (children before parents) and run.
pub(crate) async fn cleanup<K: Declaring>(object: &K, ctx: &Context) -> Result<Action, Error> {
    let tenant = tenant_of(ctx, object).ok();
    if let Some(why) = engine::policy::keeps_portal_objects(object.policies(tenant.as_deref())) {
        events::publish(
            ctx,
            object,
            false,
            "Orphaned",
            "Delete",
            messages::orphaned(why),
        )
        .await;
        return Ok(Action::await_change());
    }
    let status = object.object_status().cloned().unwrap_or_default();
    if !may_exist(object, &status) {
        tracing::info!(object = %object_key(object), "no portal object was ever recorded: nothing to delete");
        return Ok(Action::await_change());
    }
    if let Some(definition) = definition_being_deleted::<K>(ctx).await? {
        let why = messages::uninstalling(&definition);
        tracing::warn!(object = %object_key(object), "{why}");
        events::publish(ctx, object, true, "Orphaned", "Delete", why).await;
        return Ok(Action::await_change());
    }
    if let Some(tenant) = object.as_tenant() {
        let dependants = dependants_of(ctx, tenant);
        if !dependants.is_empty() {
            let message = messages::dependants_exist(&dependants);
            return blocked(ctx, object, "DependantsExist", message).await;
        }
    }
    let Some(tenant) = tenant else {
        let tenant = format!(
            "{}/{}",
            object.namespace().unwrap_or_default(),
            object.tenant_name()
        );
        return blocked(
            ctx,
            object,
            "TenantNotFound",
            messages::tenant_gone(&tenant),
        )
        .await;
    };
    let (addresses, partitions) = addresses(ctx, object, Arc::clone(&tenant), &status).await;
    let reached = async {
        let declared_by = format!(
            "{}/{}/{}",
            K::KIND,
            object.namespace().unwrap_or_default(),
            object.name_any()
        );
        let (portal, _) = portal_for(ctx, &tenant, declared_by).await?;
        let selection = Selection::Addresses(addresses.clone());
        let observed = engine::observe_in(&portal, &selection, &partitions).await?;
        Ok::<_, Error>((portal, observed))
    };
    let (portal, observed) = match reached.await {
        Ok(reached) => reached,
        Err(e) => {
            let message = messages::delete_way_out(&e.to_string());
            return blocked(ctx, object, e.code(), message).await;
        }
    };
    let teardown = plan::teardown(&observed, &addresses);
    let decision = engine::decide(&teardown, &Approval::Confirmed, ReplaceAllowance::Declared);
    let id = object_id(object);
    let uid = object.uid().unwrap_or_else(|| object_key(object));
    let report = engine::run(
        &portal,
        &decision,
        &Default::default(),
        &observed,
        &apply_options(&id, uid),
        &Quiet,
    )
    .await;
    crate::crash::point("cleanup.deleted", &id);
    events::report_writes(ctx, object, &report.steps).await;
    let mut waiting = Vec::new();
    for step in &report.steps {
        match &step.outcome {
            Outcome::Done { .. } => {}
            Outcome::Waiting { state, .. } => waiting.push(format!("{} ({state:?})", step.address)),
            Outcome::Failed { code, message } => {
                let cause = format!("delete {} failed ({code}): {message}", step.address);
                return blocked(ctx, object, code, messages::delete_way_out(&cause)).await;
            }
            Outcome::Skipped { blocked_by, .. } => {
                waiting.push(format!("{} (after {blocked_by})", step.address))
            }
        }
    }
    if waiting.is_empty() {
        return Ok(Action::await_change());
    }
    let message = messages::deleting(&waiting);
    let mut builder = StatusBuilder::new(object);
    builder.progressing(Some(("Deleting", &message)));
    publish(ctx, object, builder.build()).await?;
    Err(Error::DeleteBlocked(message))
}

/// The name of `K`'s CustomResourceDefinition when it is being deleted (or already gone).
/// A failed read keeps the finalizer: without knowing, nothing is deleted in any portal.
async fn definition_being_deleted<K: Declaring>(ctx: &Context) -> Result<Option<String>, Error> {
    let name = format!("{}.{}", K::plural(&()), K::group(&()));
    let api: Api<CustomResourceDefinition> = Api::all(ctx.client.clone());
    match api.get_opt(&name).await {
        Ok(Some(crd)) if crd.metadata.deletion_timestamp.is_none() => Ok(None),
        Ok(_) => Ok(Some(name)),
        Err(e) => Err(Error::kube(
            format!("reading CustomResourceDefinition {name}"),
            e,
        )),
    }
}

/// True unless the status proves no portal object was ever made: a recorded external id, a
/// running operation, or a last reconcile that did not finish cleanly (a create may have
/// reached the portal before the status write) all mean the portal must be asked.
fn may_exist<K: Declaring>(object: &K, status: &ObjectStatus) -> bool {
    if object.object_status().is_none() {
        // The finalizer is added before any portal write, so a crash may sit in between.
        return true;
    }
    let is = |type_: &str, value: &str| {
        find_condition(&status.conditions, type_).is_some_and(|c| c.status == value)
    };
    let in_flight = is(condition::PROGRESSING, "True")
        && find_condition(&status.conditions, condition::PROGRESSING)
            .is_some_and(|c| c.reason != "AwaitingDependency");
    !status.external_ids.is_empty() || in_flight || !is(condition::SYNCED, "True")
}

/// The addresses whose portal objects go: recorded ids and, when the model can still be
/// built, every address the object declares (to find creates whose id was never recorded).
async fn addresses<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: Arc<crate::api::Tenant>,
    status: &ObjectStatus,
) -> (BTreeSet<Address>, engine::Partitions) {
    let mut partitions = engine::Partitions::new();
    let mut set: BTreeSet<Address> = status
        .external_ids
        .keys()
        .filter_map(parse_address)
        .collect();
    if let Ok(deref) = dereference(ctx, object, tenant).await
        && let Ok(model) = expand(&deref.declared)
    {
        set.extend(own_addresses(&model, &object_id(object)));
        // Where a per-customer API (Graph) keeps them.
        partitions = engine::partitions(&model);
    }
    (set, partitions)
}

/// An address from its display form `portal/kind/externalRef`.
pub(crate) fn parse_address(text: &str) -> Option<Address> {
    let mut parts = text.splitn(3, '/');
    let kind = Kind::from_parts(parts.next()?, parts.next()?)?;
    Some(Address::new(kind, parts.next()?))
}

/// TenantAdmins and ServiceBindings that reference `tenant` (from the index, not a scan).
fn dependants_of(ctx: &Context, tenant: &crate::api::Tenant) -> Vec<String> {
    let admins = super::watches::admins_of(&ctx.stores, tenant);
    let bindings = super::watches::bindings_of(&ctx.stores, tenant);
    let mut out: Vec<String> = admins
        .into_iter()
        .map(|a| format!("TenantAdmin {}", a.name))
        .chain(
            bindings
                .into_iter()
                .map(|b| format!("ServiceBinding {}", b.name)),
        )
        .collect();
    out.sort();
    out
}

/// Sets `DeleteBlocked` and keeps the finalizer.
async fn blocked<K: Declaring>(
    ctx: &Context,
    object: &K,
    reason: &str,
    message: String,
) -> Result<Action, Error> {
    let mut builder = StatusBuilder::new(object);
    builder.delete_blocked(reason, &message);
    publish(ctx, object, builder.build()).await?;
    Err(Error::DeleteBlocked(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_from_their_display_form() {
        let a = Address::new(Kind::DaasAdmin, "customers/jroe");
        assert_eq!(parse_address(&a.to_string()), Some(a));
        let l = Address::new(Kind::License, "customers/meet/ann@kenton.com");
        assert_eq!(parse_address(&l.to_string()), Some(l));
        assert_eq!(parse_address("daas/nothing/x"), None);
        assert_eq!(parse_address("daas"), None);
    }
}
