//! How a sandbox starts: address, database, seed, time scale, credentials, faults, fixtures.

use std::net::SocketAddr;
use std::time::Duration;

use super::faults::FaultConfig;
use super::fixtures::Fixtures;
use super::identity::IdentityConfig;
use crate::api::Sensitive;

/// The configuration of one sandbox. `SandboxConfig::default()` suits tests: loopback on a
/// free port, an in-memory database, seed 0, time scale 0.0001 (minutes become milliseconds),
/// any bearer token accepted, no faults.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The SQLite file, or `:memory:`.
    pub db: String,
    /// Seed of generated ids, codes and fault draws.
    pub seed: u64,
    /// Multiplier of the vendors' nominal durations (1.0 = real time).
    pub time_scale: f64,
    /// Accepted bearer tokens (for the contract and the `/sandbox` control endpoints); any
    /// non-empty token when `None`.
    pub tokens: Option<Vec<Sensitive>>,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// How long a client may take to send a request's headers before the connection is
    /// closed (a partial request must not hold a connection open).
    pub header_read_timeout: Duration,
    /// How long a request body may stay silent (between two chunks) before the request is
    /// answered `408 RequestTimeout`; the body limit bounds its size.
    pub body_read_timeout: Duration,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// Faults injected from the start.
    pub faults: FaultConfig,
    /// Inventory and accounts that exist before the first request.
    pub fixtures: Fixtures,
    /// The identity endpoint's clients, users and token lifetime.
    pub identity: IdentityConfig,
    /// The ConnectToTeams emulator's API clients and users.
    pub c2t: super::vendors::connecttoteams::C2tConfig,
    /// The Mitel CloudLink emulator's API users.
    pub mitel: super::vendors::cloudlink::MitelConfig,
    /// The Campaign Registry emulator's API keys.
    pub tcr: super::vendors::campaignregistry::TcrConfig,
    /// The Microsoft Graph emulator's lags and page size.
    pub graph: super::vendors::graph::GraphConfig,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: ":memory:".to_owned(),
            seed: 0,
            time_scale: 0.0001,
            tokens: None,
            body_limit: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            faults: FaultConfig::default(),
            fixtures: Fixtures::default(),
            identity: IdentityConfig::default(),
            c2t: Default::default(),
            mitel: Default::default(),
            tcr: Default::default(),
            graph: Default::default(),
        }
    }
}

impl SandboxConfig {
    /// Keeps the state in `path` (survives restarts).
    pub fn with_db(mut self, path: impl Into<String>) -> Self {
        self.db = path.into();
        self
    }

    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    pub fn with_fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = fixtures;
        self
    }

    /// Accept only these bearer tokens.
    pub fn with_tokens<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tokens: I) -> Self {
        self.tokens = Some(
            tokens
                .into_iter()
                .map(|t| Sensitive::new(t.into()))
                .collect(),
        );
        self
    }

    /// Sets how long headers and a silent body may take (see the fields).
    pub fn with_read_timeouts(mut self, header: Duration, body: Duration) -> Self {
        self.header_read_timeout = header;
        self.body_read_timeout = body;
        self
    }

    /// Registers an OAuth2 client at the identity endpoint (then only registered ones get tokens).
    pub fn with_oauth_client(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.identity
            .clients
            .get_or_insert_with(Vec::new)
            .push((id.into(), Sensitive::new(secret.into())));
        self
    }

    /// The nominal lifetime of issued access tokens (scaled by the time scale).
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.identity.token_lifetime = lifetime;
        self
    }

    /// Sets the largest accepted request body, in bytes.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Registers a ConnectToTeams API client and user (then only registered ones get tokens).
    pub fn with_c2t_api_user(
        mut self,
        client: (&str, &str),
        user: &str,
        password: impl Into<String>,
    ) -> Self {
        self.c2t
            .clients
            .get_or_insert_with(Vec::new)
            .push((client.0.to_owned(), Sensitive::new(client.1)));
        self.c2t
            .users
            .get_or_insert_with(Vec::new)
            .push((user.to_owned(), Sensitive::new(password.into())));
        self
    }

    /// Registers a Campaign Registry API key and secret (then only registered ones are let in).
    pub fn with_tcr_api_key(mut self, key: &str, secret: impl Into<String>) -> Self {
        self.tcr
            .keys
            .get_or_insert_with(Vec::new)
            .push((key.to_owned(), Sensitive::new(secret.into())));
        self
    }

    /// A ConnectToTeams API user that has not changed its first password in the portal.
    pub fn with_c2t_first_password_pending(mut self, user: &str) -> Self {
        self.c2t.first_password_pending.push(user.to_owned());
        self
    }

    /// Registers a Mitel CloudLink API user of `account` (then only registered ones get tokens).
    pub fn with_mitel_api_user(
        mut self,
        account: &str,
        user: &str,
        password: impl Into<String>,
    ) -> Self {
        self.mitel.users.get_or_insert_with(Vec::new).push((
            account.to_owned(),
            user.to_owned(),
            Sensitive::new(password.into()),
        ));
        self
    }
}
