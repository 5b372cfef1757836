//! Routing: the connections a run uses (a Tenant's PortalConnection and its `delegates`)
//! behind one [`PortalClient`] that sends each call to the first connection serving the
//! call's portal, so the engine never knows there are several.
//!
//! The rule (docs/providers.md): a resource of portal P goes to the Tenant's connection
//! (`spec.portalConnectionRef`, else `default`) when it serves P, else to the first of that
//! connection's `spec.delegates` that does. A connection serves `spec.portals`, else every
//! portal its API covers. Nothing serving P is an error naming the connections tried.

use super::provider::{Connection, PortalClient};
use super::wire::{DeleteOutcome, Operation, PortalObject, WriteOutcome};
use super::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};
use crate::api::Portal;

/// One connection of a route table.
#[derive(Clone)]
pub struct Route {
    /// The PortalConnection's name.
    pub name: String,
    /// What it serves.
    pub portals: Vec<Portal>,
    /// Its client (shared with every other user of the connection).
    pub client: PortalClient,
}

impl Route {
    /// The route of `connection` through `client`.
    pub fn new(connection: &Connection, client: PortalClient) -> Self {
        Self {
            name: connection.name.clone(),
            portals: connection.portals.clone(),
            client,
        }
    }
}

/// Connections tried in order; each call goes to the first serving its portal.
pub struct Routes(Vec<Route>);

impl Routes {
    /// One client for `routes`: the only client itself when there is one (nothing changes
    /// for a single connection), else a router.
    pub fn client(mut routes: Vec<Route>) -> PortalClient {
        if routes.len() == 1 {
            return routes.remove(0).client;
        }
        PortalClient::new(Self(routes))
    }

    /// The connection serving `portal`, by name, for messages and plan annotations.
    pub fn serving(routes: &[Route], portal: Portal) -> Option<&Route> {
        routes.iter().find(|r| r.portals.contains(&portal))
    }

    fn pick(&self, portal: Portal) -> Result<&PortalClient, PortalError> {
        Self::serving(&self.0, portal)
            .map(|r| &r.client)
            .ok_or_else(|| PortalError::NotRouted {
                portal: portal.id().to_owned(),
                tried: self
                    .0
                    .iter()
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl PortalApi for Routes {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        self.pick(portal)?.list(portal, kind, filter).await
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.pick(portal)?.create(portal, kind, req).await
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.pick(portal)?.update(portal, kind, id, req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        self.pick(portal)?.delete(portal, kind, id).await
    }

    // Operations belong to a portal, and a portal to one connection of the table.
    async fn operation(&self, portal: Portal, id: &str) -> Result<Operation, PortalError> {
        self.pick(portal)?.operation(portal, id).await
    }

    fn calls(&self) -> CallCounts {
        self.0.iter().fold(CallCounts::default(), |mut sum, r| {
            let c = r.client.calls();
            sum.reads += c.reads;
            sum.writes += c.writes;
            sum.retries += c.retries;
            sum
        })
    }
}
