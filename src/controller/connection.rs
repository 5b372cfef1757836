//! The PortalConnection controller: `Ready` says whether the portal answers with the
//! connection's credentials, so `kubectl get portalconnections` shows a broken token or URL
//! before a Tenant trips over it (like Crossplane's ProviderConfig health, but probed).
//!
//! The probe is `engine::check`: one cheap authenticated read per served portal. It writes nothing to the portal and its status patch is sent
//! only when the condition changed, so a resync of a healthy connection makes no API write.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};
use serde_json::json;

use super::context::Context;
use super::dereference::resolve_connection;
use super::error::Error;
use super::messages;
use super::status::now;
use crate::api::{ConnectionStatus, Portal, PortalConnection, condition, set_condition};

/// What the probe found: `Ready` with a reason and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    /// The Ready condition's status.
    pub ready: bool,
    /// The Ready condition's reason.
    pub reason: String,
    /// The Ready condition's message.
    pub message: String,
}

/// Probes `connection` and publishes `Ready`; re-probes at the resync interval.
pub async fn reconcile_connection(
    connection: Arc<PortalConnection>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    let health = probe(&ctx, &connection).await;
    publish(&ctx, &connection, &health).await?;
    let name = connection.name_any();
    Ok(Action::requeue(
        ctx.settings.resync_of(&format!("PortalConnection//{name}")),
    ))
}

/// Retries a failed status patch with backoff.
pub fn connection_error_policy(
    connection: Arc<PortalConnection>,
    error: &Error,
    _ctx: Arc<Context>,
) -> Action {
    tracing::warn!(connection = %connection.name_any(), code = error.code(), error = %error, "publishing the connection's status failed");
    Action::requeue(Duration::from_secs(30))
}

/// One authenticated read per portal the connection serves.
pub(crate) async fn probe(ctx: &Context, connection: &PortalConnection) -> Health {
    if connection.spec.api == crate::api::ConnectionApi::Manual {
        // Nothing to reach: a person is the portal, the orders live in each Tenant's
        // work-order ConfigMap.
        return Health {
            ready: true,
            reason: "Manual".to_owned(),
            message: "api manual: every change becomes a work order for a person, kept in the Tenant's ConfigMap tenantry-workorders-<tenant>; confirm one with the annotation tenantry.dev/confirm-<order id>".to_owned(),
        };
    }
    let resolved = match resolve_connection(ctx, connection).await {
        Ok(resolved) => resolved,
        Err(error) => return unhealthy(error.code(), &error.to_string()),
    };
    let client = match ctx.portals.client(&resolved) {
        Ok(client) => client,
        Err(error) => return unhealthy(error.code(), &error.to_string()),
    };
    let served: Vec<Portal> = connection.spec.served_portals();
    if let Err(error) = crate::engine::check(&client, &served).await {
        return unhealthy(error.code(), &error.to_string());
    }
    Health {
        ready: true,
        reason: "Connected".to_owned(),
        message: messages::connected(&served),
    }
}

fn unhealthy(code: &str, error: &str) -> Health {
    Health {
        ready: false,
        reason: super::status::camel(code),
        message: messages::connection_failed(error),
    }
}

/// Patches `Ready` onto the connection when it changed (merge patch of the status
/// subresource: the controller owns every condition of a PortalConnection).
async fn publish(
    ctx: &Context,
    connection: &PortalConnection,
    health: &Health,
) -> Result<(), Error> {
    let mut status: ConnectionStatus = connection.status.clone().unwrap_or_default();
    let changed = set_condition(
        &mut status.conditions,
        condition::READY,
        health.ready,
        &health.reason,
        &health.message,
        connection.metadata.generation,
        now(),
    );
    if !changed && connection.status.is_some() {
        return Ok(());
    }
    let name = connection.name_any();
    Api::<PortalConnection>::all(ctx.client.clone())
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": status })),
        )
        .await
        .map_err(|e| Error::kube(format!("patching status of PortalConnection {name}"), e))?;
    Ok(())
}
