//! `PortalPool`: one `HttpPortal` (and so one request budget) per PortalConnection, shared by
//! the three controllers, rebuilt only when the connection or its token changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::ResourceExt;
use sha2::{Digest, Sha256};

use crate::api::{PortalConnection, RateLimit, Sensitive};
use crate::portal::{CallObserver, ClientConfig, HttpPortal, PortalError};

/// Name of the connection used when no PortalConnection applies (`--portal URL`).
pub const FALLBACK_CONNECTION: &str = "default";

/// The portal clients of every connection in use.
pub struct PortalPool {
    fallback_url: Option<String>,
    fallback_token: Sensitive,
    observer: Option<Arc<dyn CallObserver>>,
    clients: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for PortalPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalPool")
            .field("fallback_url", &self.fallback_url)
            .finish_non_exhaustive()
    }
}

struct Entry {
    /// Digest of everything the client was built from (URL, limits, timeout, token).
    fingerprint: String,
    client: HttpPortal,
}

impl PortalPool {
    /// A pool whose fallback is `fallback_url` (`--portal`) with `fallback_token` (the
    /// sandbox accepts any non-empty token; `tenantry` when none is given), reporting calls
    /// to `observer`.
    pub fn new(
        fallback_url: Option<String>,
        fallback_token: Option<Sensitive>,
        observer: Option<Arc<dyn CallObserver>>,
    ) -> Self {
        Self {
            fallback_url,
            fallback_token: fallback_token.unwrap_or_else(|| Sensitive::new("tenantry")),
            observer,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The URL used when no PortalConnection applies.
    pub fn fallback_url(&self) -> Option<&str> {
        self.fallback_url.as_deref()
    }

    /// The client of a PortalConnection with its token (read from its credentials Secret).
    pub fn for_connection(
        &self,
        connection: &PortalConnection,
        token: Option<Sensitive>,
    ) -> Result<HttpPortal, PortalError> {
        let spec = &connection.spec;
        let mut config = ClientConfig::new(connection.name_any(), spec.url.clone());
        config.rate_limit = spec.rate_limit.clone();
        config.timeout = Duration::from_secs(u64::from(spec.timeout_seconds.max(1)));
        config.token = token;
        self.client(config)
    }

    /// The client of the `--portal` URL, if one was given.
    pub fn fallback(&self) -> Option<Result<HttpPortal, PortalError>> {
        let url = self.fallback_url.clone()?;
        let mut config = ClientConfig::new(FALLBACK_CONNECTION, url);
        config.rate_limit = RateLimit::default();
        config.token = Some(self.fallback_token.clone());
        Some(self.client(config))
    }

    fn client(&self, config: ClientConfig) -> Result<HttpPortal, PortalError> {
        let fingerprint = fingerprint(&config);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = clients.get(&config.name)
            && entry.fingerprint == fingerprint
        {
            return Ok(entry.client.clone());
        }
        let name = config.name.clone();
        let mut client = HttpPortal::new(config)?;
        if let Some(observer) = &self.observer {
            client = client.with_observer(Arc::clone(observer));
        }
        tracing::info!(connection = %name, "portal client (re)built");
        clients.insert(
            name,
            Entry {
                fingerprint,
                client: client.clone(),
            },
        );
        Ok(client)
    }
}

/// A digest of a client's settings; the token only enters hashed.
fn fingerprint(config: &ClientConfig) -> String {
    let mut h = Sha256::new();
    h.update(config.url.as_bytes());
    h.update([0]);
    let limit = &config.rate_limit;
    for n in [
        limit.requests_per_second,
        limit.burst,
        limit.max_concurrency,
    ] {
        h.update(n.to_le_bytes());
    }
    h.update(config.timeout.as_millis().to_le_bytes());
    if let Some(token) = &config.token {
        h.update([1]);
        h.update(token.expose().as_bytes());
    }
    format!("{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::PortalConnectionSpec;

    fn connection(url: &str) -> PortalConnection {
        PortalConnection::new(
            "default",
            PortalConnectionSpec {
                url: url.to_owned(),
                portals: Vec::new(),
                credentials_secret_ref: None,
                rate_limit: RateLimit::default(),
                timeout_seconds: 5,
            },
        )
    }

    #[test]
    fn one_client_per_connection_until_it_changes() {
        let pool = PortalPool::new(None, None, None);
        let a = pool
            .for_connection(&connection("http://127.0.0.1:1"), None)
            .map(|c| format!("{c:?}"));
        let b = pool
            .for_connection(&connection("http://127.0.0.1:1"), None)
            .map(|c| format!("{c:?}"));
        assert_eq!(a.ok(), b.ok());
        let token = pool.for_connection(
            &connection("http://127.0.0.1:2"),
            Some(Sensitive::new("t0ken")),
        );
        assert!(token.is_ok());
        assert!(!format!("{:?}", token.ok()).contains("t0ken"));
        assert!(pool.fallback().is_none());
    }
}
