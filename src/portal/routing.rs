//! Routing: the connections a run uses (a Tenant's PortalConnection and its `delegates`)
//! behind one [`PortalClient`] that sends each call to the first connection serving the
//! call's portal, so the engine never knows there are several.
//!
//! The rule (docs/providers.md): a resource of kind K in portal P goes to the first connection
//! of the chain (the Tenant's `spec.portalConnectionRef`, else `default`, then its
//! `spec.delegates`) whose API implements K and that serves P; a vendor API (which names its
//! kinds) is preferred to a generic one (the contract, which implements every kind). A
//! connection serves `spec.portals`, else every portal its API covers. Nothing serving K is an
//! error naming the connections tried.

use super::provider::{Connection, PortalClient};
use super::wire::{DeleteOutcome, Operation, PortalObject, WriteOutcome};
use super::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};
use crate::api::{ConnectionApi, Portal};

/// One connection of a route table.
#[derive(Clone)]
pub struct Route {
    /// The PortalConnection's name.
    pub name: String,
    /// The API it speaks (which kinds it implements).
    pub api: ConnectionApi,
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
            api: connection.api,
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

    /// The connection serving `portal`'s `kind`: the first whose API names the kind, else
    /// the first generic one serving the portal.
    pub fn serving<'r>(routes: &'r [Route], portal: Portal, kind: &str) -> Option<&'r Route> {
        let serves = |r: &&Route| r.portals.contains(&portal) && r.api.implements(portal, kind);
        routes
            .iter()
            .filter(serves)
            .find(|r| r.api.kinds().is_some())
            .or_else(|| routes.iter().find(serves))
    }

    fn pick(&self, portal: Portal, kind: &str) -> Result<&PortalClient, PortalError> {
        Self::serving(&self.0, portal, kind)
            .map(|r| &r.client)
            .ok_or_else(|| PortalError::NotRouted {
                portal: portal.id().to_owned(),
                kind: kind.to_owned(),
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
        self.pick(portal, kind)?.list(portal, kind, filter).await
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.pick(portal, kind)?.create(portal, kind, req).await
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.pick(portal, kind)?.update(portal, kind, id, req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        self.pick(portal, kind)?.delete(portal, kind, id).await
    }

    // An operation belongs to the object's kind, and the kind to one connection of the table.
    async fn operation(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        self.pick(portal, kind)?.operation(portal, kind, id).await
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

    fn take_captured(&self) -> Vec<super::Captured> {
        self.0
            .iter()
            .flat_map(|r| r.client.take_captured())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::{Connection, from_connection};

    fn route(name: &str, api: ConnectionApi, portals: &[Portal]) -> Route {
        let mut connection = Connection::contract(name, "http://127.0.0.1:9", None);
        connection.api = ConnectionApi::Contract;
        let client = from_connection(&connection).expect("a contract client builds offline");
        connection.api = api;
        connection.portals = portals.to_vec();
        Route::new(&connection, client)
    }

    fn picked(routes: &[Route], portal: Portal, kind: &str) -> Option<String> {
        Routes::serving(routes, portal, kind).map(|r| r.name.clone())
    }

    #[test]
    fn a_vendor_api_takes_its_kinds_and_the_generic_connection_the_rest() {
        let routes = [
            route("default", ConnectionApi::Contract, &Portal::ALL),
            route("partner", ConnectionApi::PartnerCenter, &[Portal::Daas]),
            route("graph", ConnectionApi::Graph, &[Portal::Daas]),
        ];
        let daas = |kind| picked(&routes, Portal::Daas, kind);
        assert_eq!(daas("azure-ad").as_deref(), Some("partner"));
        assert_eq!(daas("microsoft-online").as_deref(), Some("partner"));
        assert_eq!(daas("admins").as_deref(), Some("graph"));
        assert_eq!(daas("customers").as_deref(), Some("default"));
        assert_eq!(daas("citrix").as_deref(), Some("default"));
        assert_eq!(
            picked(&routes, Portal::TeamMate, "enterprises").as_deref(),
            Some("default")
        );
    }

    #[test]
    fn a_kind_no_connection_implements_is_not_routed() {
        let routes = [
            route("partner", ConnectionApi::PartnerCenter, &[Portal::Daas]),
            // Serving a portal does not make an API implement its other kinds.
            route("teams", ConnectionApi::ConnectToTeams, &[Portal::Daas]),
        ];
        assert_eq!(picked(&routes, Portal::Daas, "customers"), None);
        assert_eq!(picked(&routes, Portal::Daas, "enterprises"), None);
        // A vendor API on a portal its connection does not serve is not picked.
        assert_eq!(
            picked(&routes, Portal::Daas, "azure-ad").as_deref(),
            Some("partner")
        );
        let only_apps = [route(
            "partner",
            ConnectionApi::PartnerCenter,
            &[Portal::Apps],
        )];
        assert_eq!(picked(&only_apps, Portal::Daas, "azure-ad"), None);
    }
}
