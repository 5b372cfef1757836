//! `Pool`: one client (and so one request budget) per connection, shared by every caller of
//! a long-running process, rebuilt only when the connection's settings or credential change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::provider::{Connection, Connector, PortalClient};
use super::{BudgetShare, PortalError};

/// The clients of every connection in use, made by one [`Connector`].
pub struct Pool {
    connector: Arc<dyn Connector>,
    fallback: Option<Connection>,
    clients: Mutex<HashMap<String, Entry>>,
    share: Option<Arc<BudgetShare>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("fallback", &self.fallback)
            .finish_non_exhaustive()
    }
}

struct Entry {
    fingerprint: String,
    client: PortalClient,
}

impl Pool {
    /// A pool whose clients `connector` makes; `fallback` serves objects that name no
    /// PortalConnection when no connection named `default` exists (`--portal URL`).
    pub fn new(connector: Arc<dyn Connector>, fallback: Option<Connection>) -> Self {
        Self {
            connector,
            fallback,
            clients: Mutex::new(HashMap::new()),
            share: None,
        }
    }

    /// Gives every client only `share` of its connection's rate budget (a sharded
    /// controller: the replicas' budgets add up to the connection's).
    #[must_use]
    pub fn with_share(mut self, share: Arc<BudgetShare>) -> Self {
        self.share = Some(share);
        self
    }

    /// The fallback connection, if any.
    pub fn fallback(&self) -> Option<&Connection> {
        self.fallback.as_ref()
    }

    /// The client of `connection`: the cached one while its settings hold, else a new one.
    pub fn client(&self, connection: &Connection) -> Result<PortalClient, PortalError> {
        // The cut budget is part of the fingerprint: a change of share rebuilds the client.
        let shared;
        let connection = match &self.share {
            Some(share) => {
                shared = Connection {
                    rate_limit: share.of_limit(&connection.rate_limit),
                    ..connection.clone()
                };
                &shared
            }
            None => connection,
        };
        let fingerprint = connection.fingerprint();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = clients.get(&connection.name)
            && entry.fingerprint == fingerprint
        {
            return Ok(entry.client.clone());
        }
        let client = self.connector.connect(connection)?;
        tracing::info!(connection = %connection.name, api = ?connection.api, "portal client (re)built");
        clients.insert(
            connection.name.clone(),
            Entry {
                fingerprint,
                client: client.clone(),
            },
        );
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Sensitive;
    use crate::portal::Providers;

    #[test]
    fn one_client_per_connection_until_it_changes() {
        let pool = Pool::new(Arc::new(Providers::default()), None);
        let first = Connection::contract("default", "http://127.0.0.1:1", None);
        let a = pool.client(&first).expect("a client");
        let b = pool.client(&first).expect("a client");
        assert!(a.same(&b), "the same settings reuse the client");
        let moved = Connection::contract("default", "http://127.0.0.1:2", None);
        let c = pool.client(&moved).expect("a client");
        assert!(!c.same(&a), "a changed URL rebuilds the client");
        assert!(
            pool.client(&moved).expect("a client").same(&c),
            "and keeps the new one"
        );
        let token = Connection::contract(
            "default",
            "http://127.0.0.1:2",
            Some(Sensitive::new("t0ken-canary")),
        );
        assert!(!format!("{token:?}").contains("t0ken-canary"));
        assert_ne!(
            token.fingerprint(),
            moved.fingerprint(),
            "a new token rebuilds the client"
        );
        assert!(!token.fingerprint().contains("t0ken-canary"));
        assert!(pool.fallback().is_none());
    }
}
