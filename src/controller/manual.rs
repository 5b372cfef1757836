//! The `manual` provider in the cluster (docs/manual-steps.md, "In the cluster"): the same
//! `ManualPortal` as the CLI's, over a Tenant's work-order ConfigMap; confirmation by the
//! annotation `tenantry.dev/confirm-<order id>: key=value,…`, validated by the same
//! `ManualState::confirm` as `tenantry confirm`; an Event per newly issued order; the
//! `AwaitingManualStep` condition naming the order and how to confirm it.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::context::Context;
use super::error::Error;
use super::workorders::{ConfigMapStore, DATA_KEY, configmap_name};
use super::{Declaring, events};
use crate::api::{ConnectionApi, PortalConnection, Tenant};
use crate::engine::{Outcome, StepReport};
use crate::model::{Address, Kind, Model, Observed};
use crate::plan::Plan;
use crate::portal::manual::{
    AWAITING_MANUAL_STEP, ConfirmError, ManualPortal, OrderState, StoredOrder, WorkOrder,
    parse_values, planned_orders,
};
use crate::portal::{Route, Routes};

/// Prefix of the annotation confirming a work order (`tenantry.dev/confirm-WO-…`).
pub const CONFIRM_PREFIX: &str = "tenantry.dev/confirm-";
/// Annotation naming who performed the confirmed orders (else the field manager that set
/// the confirm annotation, else `annotation`).
pub const CONFIRMED_BY: &str = "tenantry.dev/confirmed-by";

/// The manual connections of one reconcile, and the routes that say which kinds they serve.
#[derive(Clone, Default)]
pub(crate) struct Manual {
    clients: Vec<ManualPortal>,
    routes: Vec<Route>,
    // The Tenant's work-order ConfigMap, which the Events of its orders relate to.
    record: Option<ObjectReference>,
}

impl Manual {
    /// Notes a route of the reconcile, with its manual client (over `tenant`'s ConfigMap)
    /// when it is one.
    pub(crate) fn add(&mut self, route: &Route, client: Option<ManualPortal>, tenant: &Tenant) {
        self.routes.push(route.clone());
        if client.is_some() {
            self.record = Some(ObjectReference {
                api_version: Some("v1".to_owned()),
                kind: Some("ConfigMap".to_owned()),
                namespace: tenant.namespace(),
                name: Some(configmap_name(&tenant.name_any())),
                ..ObjectReference::default()
            });
        }
        self.clients.extend(client);
    }

    /// The record of order `id`: Events about different orders are different series (the
    /// recorder folds repeats of one object, reason, action and related object).
    fn order_ref(&self, id: &str) -> Option<ObjectReference> {
        self.record.as_ref().map(|r| ObjectReference {
            field_path: Some(format!("data.{DATA_KEY}{{{id}}}")),
            ..r.clone()
        })
    }

    /// The manual connection serving `kind`, if any.
    fn connection_of(&self, kind: Kind) -> Option<String> {
        Routes::serving(&self.routes, kind.portal(), kind.name())
            .filter(|r| r.api == ConnectionApi::Manual)
            .map(|r| r.name.clone())
    }
}

/// The client of manual connection `connection` for the objects of `tenant`; orders name
/// `declared_by` (`Kind/namespace/name`) as the CLI does, so both compute the same ids.
pub(crate) fn client(
    ctx: &Context,
    tenant: &Tenant,
    connection: &PortalConnection,
    declared_by: String,
) -> Result<ManualPortal, Error> {
    let name = connection.name_any();
    let store = ConfigMapStore::of(ctx.client.clone(), tenant).ok_or(Error::Malformed("uid"))?;
    let every = connection
        .spec
        .attest_every()
        .map_err(|why| Error::Invalid {
            reason: "InvalidConnection",
            message: format!("PortalConnection {name}: {why}; fix spec.attestEvery"),
        })?;
    Ok(ManualPortal::with_store(&name, Arc::new(store))
        .declared_by(declared_by)
        .attest_every(every))
}

/// What the confirm annotations of one object came to.
#[derive(Debug, Default)]
pub(crate) struct Confirmations {
    /// How many were recorded (the plan must be computed again).
    pub accepted: usize,
    /// Why the others were refused, with what to do (the Ready message).
    pub refused: Vec<String>,
}

/// The confirm annotations of `object`, as `(annotation, order id, text)`.
fn annotations<K: Declaring>(object: &K) -> Vec<(String, String, String)> {
    object
        .annotations()
        .iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix(CONFIRM_PREFIX)?;
            Some((k.clone(), id.to_owned(), v.clone()))
        })
        .collect()
}

/// Records each confirm annotation of `object` that matches an order `plan` still asks for
/// (and removes the annotation), or refuses it with a Warning Event and changes nothing.
pub(crate) async fn confirm<K: Declaring>(
    ctx: &Context,
    object: &K,
    manual: &Manual,
    plan: &Plan,
    model: &Model,
    observed: &Observed,
) -> Result<Confirmations, Error> {
    let mut out = Confirmations::default();
    let found = annotations(object);
    if found.is_empty() || manual.clients.is_empty() {
        return Ok(out);
    }
    let mut planned = planned_orders(plan, model, observed, |k| manual.connection_of(k));
    for client in &manual.clients {
        planned.extend(client.attestations(jiff::Timestamp::now()).await?);
    }
    for (key, id, text) in found {
        let by = confirmed_by(object, &key);
        match confirm_one(manual, &id, &text, &by, &planned).await? {
            Ok(stored) => {
                remove_annotation(ctx, object, &key).await?;
                let order = &stored.order;
                let values = if text.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", text.trim())
                };
                let note = format!(
                    "work order {} ({} {}) confirmed by {by}{values}",
                    order.id,
                    order.action.as_str(),
                    order.address
                );
                events::publish_related(
                    ctx,
                    object,
                    false,
                    "WorkOrderConfirmed",
                    "Confirm",
                    note,
                    manual.order_ref(&id),
                )
                .await;
                out.accepted += 1;
            }
            Err(refusal) => {
                let message = format!(
                    "confirmation refused, nothing was recorded: {refusal}; fix the annotation {key} or remove it"
                );
                events::publish_related(
                    ctx,
                    object,
                    true,
                    "ConfirmationRefused",
                    "Confirm",
                    message.clone(),
                    manual.order_ref(&id),
                )
                .await;
                out.refused.push(message);
            }
        }
    }
    Ok(out)
}

/// One confirmation, checked as `tenantry confirm -f` checks it: the order must be one the
/// plan computed now still asks for, then `ManualState::confirm` decides.
async fn confirm_one(
    manual: &Manual,
    id: &str,
    text: &str,
    by: &str,
    planned: &[WorkOrder],
) -> Result<Result<StoredOrder, ConfirmError>, Error> {
    let values = match parse_values(id, text) {
        Ok(values) => values,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // The connection holding the order; else the first, whose refusal lists the open ones.
    let mut holder = &manual.clients[0];
    for client in &manual.clients {
        if client.load().await?.order(id).is_some() {
            holder = client;
            break;
        }
    }
    let state = holder.load().await?;
    if let Some(stored) = state.order(id).filter(|o| o.state == OrderState::Open)
        && !planned.iter().any(|o| o.id == id)
    {
        let current = planned
            .iter()
            .find(|o| o.address == stored.order.address)
            .map_or_else(
                || format!("no change of {}", stored.order.address),
                |o| format!("work order {} (not issued yet)", o.id),
            );
        return Ok(Err(ConfirmError::NotInPlan {
            id: id.to_owned(),
            current,
        }));
    }
    let at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| String::new(), |t| t.to_string());
    let source = holder.describe();
    Ok(holder
        .transact(|state| state.confirm(id, &values, by, &at, &source).cloned())
        .await?)
}

/// Who confirmed: the `confirmed-by` annotation, else the field manager that wrote the
/// confirm annotation (when managedFields are at hand), else `annotation`.
fn confirmed_by<K: Declaring>(object: &K, key: &str) -> String {
    if let Some(by) = object.annotations().get(CONFIRMED_BY) {
        return by.clone();
    }
    let field = format!("\"f:{key}\"");
    object
        .meta()
        .managed_fields
        .iter()
        .flatten()
        .find(|m| {
            m.fields_v1
                .as_ref()
                .is_some_and(|f| f.0.to_string().contains(&field))
        })
        .and_then(|m| m.manager.clone())
        .unwrap_or_else(|| "annotation".to_owned())
}

/// Removes a recorded confirmation's annotation (a merge patch of that key only).
async fn remove_annotation<K: Declaring>(
    ctx: &Context,
    object: &K,
    key: &str,
) -> Result<(), Error> {
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = object.name_any();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let patch = json!({"metadata": {"annotations": {key: null}}});
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| {
            Error::kube(
                format!(
                    "removing annotation {key} of {} {namespace}/{name}",
                    K::KIND
                ),
                e,
            )
        })?;
    Ok(())
}

/// The steps whose Events the engine's report gives: a manual connection's waiting step is
/// announced once, as its order is issued ([`settle`]), not on every reconcile.
pub(crate) fn reported_steps(steps: &[StepReport], manual: &Manual) -> Vec<StepReport> {
    steps
        .iter()
        .filter(|s| {
            !(matches!(&s.outcome, Outcome::Waiting { reason, .. } if reason == AWAITING_MANUAL_STEP)
                && manual.connection_of(s.address.kind).is_some())
        })
        .cloned()
        .collect()
}

/// The open orders of the object's portal objects, after issuing its due `Attest` orders;
/// an Event for every order this reconcile newly recorded.
pub(crate) async fn settle<K: Declaring>(
    ctx: &Context,
    object: &K,
    manual: &Manual,
    own: &BTreeSet<Address>,
) -> Result<Vec<WorkOrder>, Error> {
    let own: BTreeSet<String> = own.iter().map(ToString::to_string).collect();
    let mut open = Vec::new();
    for client in &manual.clients {
        client.attest(jiff::Timestamp::now()).await?;
        for order in client.take_issued() {
            let note = format!(
                "work order {} for a person: {}",
                order.summary_line(),
                how_to_confirm::<K>(&object.name_any(), &order)
            );
            let related = manual.order_ref(&order.id);
            events::publish_related(
                ctx,
                object,
                false,
                "WorkOrderIssued",
                "WorkOrder",
                note,
                related,
            )
            .await;
        }
        let state = client.load().await?;
        open.extend(
            state
                .open()
                .filter(|o| own.contains(&o.order.address))
                .map(|o| o.order.clone()),
        );
    }
    Ok(open)
}

/// `kubectl annotate …` with the keys to read back.
fn how_to_confirm<K: Declaring>(name: &str, order: &WorkOrder) -> String {
    let values: Vec<String> = order
        .read_back
        .iter()
        .map(|r| format!("{}=…", r.key))
        .collect();
    format!(
        "perform it, then confirm with `kubectl annotate {} {name} {CONFIRM_PREFIX}{}='{}'`",
        K::KIND.to_lowercase(),
        order.id,
        values.join(",")
    )
}

/// The Ready message of an object whose first open order is `order` (of `count`).
pub(crate) fn awaiting<K: Declaring>(object: &K, orders: &[&WorkOrder]) -> Option<String> {
    let order = orders.first()?;
    let more = match orders.len() {
        1 => String::new(),
        n => format!(" ({} more in status.workOrders)", n - 1),
    };
    Some(format!(
        "Work order {} ({} {} `{}`) waits for a person in {} › {}{more}; {}.",
        order.id,
        order.action.as_str(),
        order.object,
        order.external_ref,
        order.portal,
        order.screen,
        how_to_confirm::<K>(&object.name_any(), order)
    ))
}
