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

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::context::Context;
use super::dereference::{dereference, portal_for, tenant_of};
use super::error::Error;
use super::observe::envelope;
use super::reconcile::object_key;
use super::status::{StatusBuilder, publish};
use super::{Declaring, events};
use crate::api::ObjectId;
use crate::api::{DeletionPolicy, ManagementPolicy, ObjectStatus, condition, find_condition};
use crate::model::{Address, Kind, expand};
use crate::portal::{DeleteOutcome, ListFilter, PortalApi};

/// Handles the deletion of `object`; `Ok` lets the finalizer go, `Err` keeps it.
pub(crate) async fn cleanup<K: Declaring>(object: &K, ctx: &Context) -> Result<Action, Error> {
    let tenant = tenant_of(ctx, object).ok();
    let (deletion, management) = object.policies(tenant.as_deref());
    if deletion == DeletionPolicy::Orphan || management == ManagementPolicy::Observe {
        let why = if deletion == DeletionPolicy::Orphan {
            "deletionPolicy Orphan"
        } else {
            "managementPolicy Observe"
        };
        events::publish(
            ctx,
            object,
            false,
            "Orphaned",
            "Delete",
            format!("{why}: the portal objects are left in place"),
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
        let why = format!(
            "the CustomResourceDefinition {definition} is being deleted (an uninstall): the portal objects are left in place; deletionPolicy Delete applies only to objects deleted one by one"
        );
        tracing::warn!(object = %object_key(object), "{why}");
        events::publish(ctx, object, true, "Orphaned", "Delete", why).await;
        return Ok(Action::await_change());
    }
    if let Some(tenant) = object.as_tenant() {
        let dependants = dependants_of(ctx, tenant);
        if !dependants.is_empty() {
            let message = format!(
                "The Tenant is not deleted from the portals while {} still reference it; delete them first (or set deletionPolicy: Orphan to leave the portal objects).",
                dependants.join(", ")
            );
            return blocked(ctx, object, "DependantsExist", message).await;
        }
    }
    let Some(tenant) = tenant else {
        let message = format!(
            "Tenant {} is gone, so its PortalConnection is unknown; recreate the Tenant, or remove the finalizer {} by hand to leave the portal objects.",
            object.tenant_name(),
            super::FINALIZER
        );
        return blocked(ctx, object, "TenantNotFound", message).await;
    };
    let portal = match portal_for(ctx, &tenant).await {
        Ok(portal) => portal,
        Err(e) => return blocked(ctx, object, e.code(), way_out(&e.to_string())).await,
    };
    let addresses = addresses(ctx, object, tenant, &status).await;
    let mut waiting = Vec::new();
    for address in addresses {
        let kind = address.kind;
        let filter = ListFilter {
            external_ref: Some(address.external_ref.clone()),
            external_ref_prefix: None,
        };
        let found = match portal.list(kind.portal(), kind.name(), &filter).await {
            Ok(found) => found,
            Err(e) => return blocked(ctx, object, e.code(), way_out(&e.to_string())).await,
        };
        for found in found.into_iter().map(envelope) {
            let deleted = portal.delete(kind.portal(), kind.name(), &found.id).await;
            crate::crash::point("cleanup.deleted", &address);
            match deleted {
                Ok(DeleteOutcome::Deleted) => {
                    ctx.metrics.portal_write(K::KIND, "delete");
                    events::publish(
                        ctx,
                        object,
                        false,
                        "Deleted",
                        "PortalWrite",
                        format!("delete {address} (id {})", found.id),
                    )
                    .await;
                }
                Ok(DeleteOutcome::Accepted(op)) => {
                    ctx.metrics.portal_write(K::KIND, "delete");
                    waiting.push(format!("{address} ({:?})", op.state));
                }
                Err(e) => {
                    events::publish(
                        ctx,
                        object,
                        true,
                        "PortalWriteFailed",
                        "PortalWrite",
                        format!("delete {address} failed ({}): {e}", e.code()),
                    )
                    .await;
                    return blocked(ctx, object, e.code(), way_out(&e.to_string())).await;
                }
            }
        }
    }
    if waiting.is_empty() {
        return Ok(Action::await_change());
    }
    let message = format!(
        "The portal is deleting {}; polled until done.",
        waiting.join(", ")
    );
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

/// The portal objects to delete, children first: recorded ids and, when the model can still
/// be built, every address the object declares (to find creates whose id was never recorded).
async fn addresses<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: std::sync::Arc<crate::api::Tenant>,
    status: &ObjectStatus,
) -> Vec<Address> {
    let mut set: BTreeSet<Address> = status
        .external_ids
        .keys()
        .filter_map(|key| parse_address(key))
        .collect();
    let id = ObjectId::new(
        K::KIND,
        &object.namespace().unwrap_or_default(),
        &object.name_any(),
    );
    if let Ok(deref) = dereference(ctx, object, tenant).await
        && let Ok(model) = expand(&deref.declared)
    {
        set.extend(
            model
                .resources()
                .iter()
                .filter(|r| r.declared_by == id)
                .map(|r| r.address.clone()),
        );
    }
    let mut list: Vec<Address> = set.into_iter().collect();
    // Reverse dependency order: deepest kinds first.
    list.sort_by(|a, b| b.kind.rank().cmp(&a.kind.rank()).then(a.cmp(b)));
    list
}

/// An address from its display form `portal/kind/externalRef`.
pub(crate) fn parse_address(text: &str) -> Option<Address> {
    let mut parts = text.splitn(3, '/');
    let kind = Kind::from_parts(parts.next()?, parts.next()?)?;
    Some(Address::new(kind, parts.next()?))
}

/// TenantAdmins and ServiceBindings that reference `tenant`.
fn dependants_of(ctx: &Context, tenant: &crate::api::Tenant) -> Vec<String> {
    let namespace = tenant.namespace();
    let name = tenant.name_any();
    let mut out: Vec<String> = ctx
        .stores
        .admins
        .state()
        .iter()
        .filter(|a| a.namespace() == namespace && a.spec.tenant_ref.name == name)
        .map(|a| format!("TenantAdmin {}", a.name_any()))
        .chain(
            ctx.stores
                .bindings
                .state()
                .iter()
                .filter(|b| b.namespace() == namespace && b.spec.tenant_ref.name == name)
                .map(|b| format!("ServiceBinding {}", b.name_any())),
        )
        .collect();
    out.sort();
    out
}

fn way_out(cause: &str) -> String {
    format!(
        "{cause}. The finalizer {} stays until the portal objects are deleted; it is retried with backoff. To leave them in the portal instead, set spec.deletionPolicy: Orphan.",
        super::FINALIZER
    )
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
