//! Providers: the client that speaks a connection's API, chosen per connection, behind one
//! object-safe handle ([`PortalClient`]) that the engine, the CLI and the controller share.
//!
//! A provider implements [`PortalApi`] with plain `async fn`s; [`DynPortal`] erases it so one
//! run can hold clients of different providers. A [`Connector`] turns a resolved
//! [`Connection`] into a client: [`Providers`] is the built-in one (today the contract's
//! [`HttpPortal`]), and tests plug in their own without touching the engine or the controller.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use super::auth::{Credential, Flow, Grant};
use super::http::{CallObserver, ClientConfig, HttpPortal};
use super::vendors::{CampaignRegistry, CloudLink, ConnectToTeams, Graph, PartnerCenter};
use super::wire::{DeleteOutcome, Operation, PortalObject, WriteOutcome};
use super::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};
use crate::api::{
    ConnectionApi, NamespacedSecretRef, Portal, PortalConnection, RateLimit, SecretKey, Sensitive,
};

/// A portal client of any provider; cheap to clone, clones share budget and counters.
#[derive(Clone)]
pub struct PortalClient(Arc<dyn DynPortal>);

impl PortalClient {
    /// Wraps a provider's client.
    pub fn new(client: impl PortalApi + 'static) -> Self {
        Self(Arc::new(client))
    }

    /// True when both handles share one client (and so one budget).
    pub fn same(&self, other: &PortalClient) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for PortalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PortalClient")
    }
}

/// The object-safe form of [`PortalApi`]; every `PortalApi` is one.
pub trait DynPortal: Send + Sync {
    /// [`PortalApi::list`], boxed.
    fn list_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<PortalObject>, PortalError>>;
    /// [`PortalApi::create`], boxed.
    fn create_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        req: &'a WriteRequest,
    ) -> BoxFuture<'a, Result<WriteOutcome, PortalError>>;
    /// [`PortalApi::update`], boxed.
    fn update_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        id: &'a str,
        req: &'a WriteRequest,
    ) -> BoxFuture<'a, Result<WriteOutcome, PortalError>>;
    /// [`PortalApi::delete`], boxed.
    fn delete_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<DeleteOutcome, PortalError>>;
    /// [`PortalApi::operation`], boxed.
    fn operation_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Operation, PortalError>>;
    /// [`PortalApi::calls`].
    fn calls_dyn(&self) -> CallCounts;
    /// [`PortalApi::take_captured`].
    fn take_captured_dyn(&self) -> Vec<super::Captured>;
}

impl<T: PortalApi> DynPortal for T {
    fn list_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        filter: &'a ListFilter,
    ) -> BoxFuture<'a, Result<Vec<PortalObject>, PortalError>> {
        Box::pin(self.list(portal, kind, filter))
    }

    fn create_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        req: &'a WriteRequest,
    ) -> BoxFuture<'a, Result<WriteOutcome, PortalError>> {
        Box::pin(self.create(portal, kind, req))
    }

    fn update_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        id: &'a str,
        req: &'a WriteRequest,
    ) -> BoxFuture<'a, Result<WriteOutcome, PortalError>> {
        Box::pin(self.update(portal, kind, id, req))
    }

    fn delete_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<DeleteOutcome, PortalError>> {
        Box::pin(self.delete(portal, kind, id))
    }

    fn operation_boxed<'a>(
        &'a self,
        portal: Portal,
        kind: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Operation, PortalError>> {
        Box::pin(self.operation(portal, kind, id))
    }

    fn calls_dyn(&self) -> CallCounts {
        self.calls()
    }

    fn take_captured_dyn(&self) -> Vec<super::Captured> {
        self.take_captured()
    }
}

impl PortalApi for PortalClient {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        self.0.list_boxed(portal, kind, filter).await
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.0.create_boxed(portal, kind, req).await
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.0.update_boxed(portal, kind, id, req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        self.0.delete_boxed(portal, kind, id).await
    }

    async fn operation(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        self.0.operation_boxed(portal, kind, id).await
    }

    fn calls(&self) -> CallCounts {
        self.0.calls_dyn()
    }

    fn take_captured(&self) -> Vec<super::Captured> {
        self.0.take_captured_dyn()
    }
}

/// A connection resolved for use: which API, where, and with which credential.
///
/// Built the same way by the CLI (from the input) and the controller (from the cluster), so
/// both get the same client settings for the same PortalConnection.
#[derive(Clone)]
pub struct Connection {
    /// The PortalConnection's name (part of idempotency keys and metric labels).
    pub name: String,
    /// The API spoken at `url`.
    pub api: ConnectionApi,
    /// Base URL.
    pub url: String,
    /// Static bearer token (`spec.credentialsSecretRef`).
    pub token: Option<Sensitive>,
    /// OAuth2 grant or API key (`spec.auth`).
    pub auth: Option<Credential>,
    /// Portals this connection serves (`spec.portals`, else its API's).
    pub portals: Vec<Portal>,
    /// Request budget.
    pub rate_limit: RateLimit,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("api", &self.api)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A contract connection with default limits (`--portal URL`, the embedded sandbox).
    pub fn contract(name: &str, url: &str, token: Option<Sensitive>) -> Self {
        Self {
            name: name.to_owned(),
            api: ConnectionApi::Contract,
            url: url.to_owned(),
            token,
            auth: None,
            portals: Portal::ALL.to_vec(),
            rate_limit: RateLimit::default(),
            timeout: Duration::from_secs(30),
        }
    }

    /// The connection a PortalConnection describes, with its credential already read.
    pub fn from_resource(resource: &PortalConnection, token: Option<Sensitive>) -> Self {
        let spec = &resource.spec;
        Self {
            name: resource.metadata.name.clone().unwrap_or_default(),
            api: spec.api,
            url: spec.url.clone(),
            token,
            auth: None,
            portals: spec.served_portals(),
            rate_limit: spec.rate_limit.clone(),
            timeout: Duration::from_secs(u64::from(spec.timeout_seconds.max(1))),
        }
    }

    /// The connection a PortalConnection describes, its credentials taken from `secrets`
    /// (every key of `spec.secret_refs()`); a missing one is named with its field.
    pub fn resolve(
        resource: &PortalConnection,
        secrets: &std::collections::BTreeMap<SecretKey, Sensitive>,
    ) -> Result<Self, MissingSecret> {
        let spec = &resource.spec;
        let get = |field: &'static str, r: &NamespacedSecretRef| {
            secrets
                .get(&secret_key(r))
                .cloned()
                .ok_or_else(|| MissingSecret {
                    field,
                    key: secret_key(r),
                })
        };
        let token = match &spec.credentials_secret_ref {
            Some(r) => Some(get("spec.credentialsSecretRef", r)?),
            None => None,
        };
        let mut connection = Self::from_resource(resource, token);
        let Some(auth) = &spec.auth else {
            return Ok(connection);
        };
        let grant = |token_url: &str,
                     flow: Flow,
                     client_id: Option<&String>,
                     client_secret: Option<(&'static str, &NamespacedSecretRef)>,
                     scope: Option<&String>,
                     resource: Option<&String>|
         -> Result<Credential, MissingSecret> {
            let (client_secret, client_secret_source) = match client_secret {
                Some((field, r)) => (Some(get(field, r)?), Some(describe(r))),
                None => (None, None),
            };
            Ok(Credential::OAuth2(Grant {
                token_url: token_url.to_owned(),
                flow,
                client_id: client_id.cloned(),
                client_secret,
                client_secret_source,
                scope: scope.cloned(),
                resource: resource.cloned(),
            }))
        };
        connection.auth = Some(if let Some(c) = &auth.client_credentials {
            grant(
                &c.token_url,
                Flow::ClientCredentials,
                Some(&c.client_id),
                Some((
                    "spec.auth.clientCredentials.clientSecretRef",
                    &c.client_secret_ref,
                )),
                c.scope.as_ref(),
                c.resource.as_ref(),
            )?
        } else if let Some(r) = &auth.refresh_token {
            let flow = Flow::RefreshToken {
                token: get(
                    "spec.auth.refreshToken.refreshTokenRef",
                    &r.refresh_token_ref,
                )?,
                source: describe(&r.refresh_token_ref),
            };
            grant(
                &r.token_url,
                flow,
                Some(&r.client_id),
                r.client_secret_ref
                    .as_ref()
                    .map(|s| ("spec.auth.refreshToken.clientSecretRef", s)),
                r.scope.as_ref(),
                r.resource.as_ref(),
            )?
        } else if let Some(p) = &auth.password {
            let flow = Flow::Password {
                username: p.username.clone(),
                password: get("spec.auth.password.passwordRef", &p.password_ref)?,
                source: describe(&p.password_ref),
                account_id: p.account_id.clone(),
            };
            grant(
                &p.token_url,
                flow,
                p.client_id.as_ref(),
                p.client_secret_ref
                    .as_ref()
                    .map(|s| ("spec.auth.password.clientSecretRef", s)),
                p.scope.as_ref(),
                None,
            )?
        } else if let Some(k) = &auth.api_key {
            Credential::Basic {
                user: get("spec.auth.apiKey.keyRef", &k.key_ref)?,
                password: get("spec.auth.apiKey.secretRef", &k.secret_ref)?,
                source: format!("{} and {}", describe(&k.key_ref), describe(&k.secret_ref)),
            }
        } else {
            return Ok(connection);
        });
        Ok(connection)
    }

    /// True when this connection serves objects of `portal`.
    pub fn serves(&self, portal: Portal) -> bool {
        self.portals.contains(&portal)
    }

    /// A digest of every setting a client is built from; the token only enters hashed.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("{:?}", self.api).as_bytes());
        h.update([0]);
        h.update(self.url.as_bytes());
        h.update([0]);
        let limit = &self.rate_limit;
        for n in [
            limit.requests_per_second,
            limit.burst,
            limit.max_concurrency,
        ] {
            h.update(n.to_le_bytes());
        }
        h.update(self.timeout.as_millis().to_le_bytes());
        if let Some(token) = &self.token {
            h.update([1]);
            h.update(token.expose().as_bytes());
        }
        for part in self.auth.iter().flat_map(Credential::fingerprint_parts) {
            h.update([2]);
            h.update(part.as_bytes());
        }
        for portal in &self.portals {
            h.update([3]);
            h.update(portal.id().as_bytes());
        }
        format!("{:x}", h.finalize())
    }

    /// The contract client's settings for this connection.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(self.name.clone(), self.url.clone());
        config.token = self.token.clone();
        config.auth = self.auth.clone();
        config.rate_limit = self.rate_limit.clone();
        config.timeout = self.timeout;
        config
    }
}

/// Builds the client of a connection: the seam where a provider is chosen.
pub trait Connector: Send + Sync {
    /// A new client for `connection` (with its own request budget).
    fn connect(&self, connection: &Connection) -> Result<PortalClient, PortalError>;
}

/// The built-in providers, chosen by the connection's API.
#[derive(Default)]
pub struct Providers {
    observer: Option<Arc<dyn CallObserver>>,
}

impl Providers {
    /// The built-in providers, reporting every call to `observer` (metrics).
    pub fn with_observer(observer: Arc<dyn CallObserver>) -> Self {
        Self {
            observer: Some(observer),
        }
    }
}

impl Connector for Providers {
    fn connect(&self, connection: &Connection) -> Result<PortalClient, PortalError> {
        match connection.api {
            ConnectionApi::Contract => {
                let mut client = HttpPortal::new(connection.client_config())?;
                if let Some(observer) = &self.observer {
                    client = client.with_observer(Arc::clone(observer));
                }
                Ok(PortalClient::new(client))
            }
            ConnectionApi::ConnectToTeams => {
                let username = match &connection.auth {
                    Some(Credential::OAuth2(Grant {
                        flow: Flow::Password { username, .. },
                        ..
                    })) => username.clone(),
                    _ => {
                        return Err(PortalError::Setup(format!(
                            "PortalConnection {}: api connectToTeams authenticates with spec.auth.password (the API user, its password and the client id/secret)",
                            connection.name
                        )));
                    }
                };
                let mut http = HttpPortal::new(connection.client_config())?;
                if let Some(observer) = &self.observer {
                    http = http.with_observer(Arc::clone(observer));
                }
                Ok(PortalClient::new(ConnectToTeams::new(http, username)))
            }
            ConnectionApi::CloudLink => {
                let with_account = matches!(
                    &connection.auth,
                    Some(Credential::OAuth2(Grant {
                        flow: Flow::Password {
                            account_id: Some(_),
                            ..
                        },
                        ..
                    }))
                );
                if !with_account {
                    return Err(PortalError::Setup(format!(
                        "PortalConnection {}: api cloudLink authenticates with spec.auth.password including accountId (the CloudLink account of the API user)",
                        connection.name
                    )));
                }
                let mut config = connection.client_config();
                // Mitel's sample: 3 retries, exponential from 1 s up to 128 s, with jitter
                // (a Retry-After the API sends comes first).
                config.retry = super::RetryPolicy {
                    max_attempts: 4,
                    base: Duration::from_secs(1),
                    cap: Duration::from_secs(128),
                };
                let mut http = HttpPortal::new(config)?;
                if let Some(observer) = &self.observer {
                    http = http.with_observer(Arc::clone(observer));
                }
                Ok(PortalClient::new(CloudLink::new(http, &connection.name)))
            }
            ConnectionApi::CampaignRegistry => {
                if !matches!(connection.auth, Some(Credential::Basic { .. })) {
                    return Err(PortalError::Setup(format!(
                        "PortalConnection {}: api campaignRegistry authenticates with spec.auth.apiKey (the CSP's API key and secret)",
                        connection.name
                    )));
                }
                let mut http = HttpPortal::new(connection.client_config())?;
                if let Some(observer) = &self.observer {
                    http = http.with_observer(Arc::clone(observer));
                }
                Ok(PortalClient::new(CampaignRegistry::new(http)))
            }
            // The OAuth2 grant (client credentials or refresh token) is checked by the CRD.
            ConnectionApi::PartnerCenter => {
                let mut http = HttpPortal::new(connection.client_config())?;
                if let Some(observer) = &self.observer {
                    http = http.with_observer(Arc::clone(observer));
                }
                Ok(PortalClient::new(PartnerCenter::new(http)))
            }
            // Work orders need somewhere to live, which a connection alone does not say: the
            // CLI gives its state file (`ManualPortal::new`), the controller each Tenant's
            // work-order ConfigMap (controller::manual::client).
            ConnectionApi::Manual => Err(PortalError::Setup(format!(
                "PortalConnection {}: api manual keeps its work orders in the CLI's state file or a Tenant's ConfigMap, not behind a shared client (docs/manual-steps.md)",
                connection.name
            ))),
            ConnectionApi::Graph => {
                // Graph acts inside each customer's tenant: one token per tenant, from a
                // token URL with `{tenant}`.
                let per_tenant = matches!(&connection.auth, Some(Credential::OAuth2(g)) if g.token_url.contains(super::auth::TENANT_PLACEHOLDER));
                if !per_tenant {
                    return Err(PortalError::Setup(format!(
                        "PortalConnection {}: api graph authenticates with spec.auth.clientCredentials (or refreshToken) whose tokenUrl holds {{tenant}}, e.g. https://login.microsoftonline.com/{{tenant}}/oauth2/v2.0/token",
                        connection.name
                    )));
                }
                let mut http = HttpPortal::new(connection.client_config())?;
                if let Some(observer) = &self.observer {
                    http = http.with_observer(Arc::clone(observer));
                }
                Ok(PortalClient::new(Graph::new(http)))
            }
        }
    }
}

/// A Secret key a PortalConnection names that is not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} names Secret {}/{} key {}, which is not available", .key.namespace, .key.name, .key.key)]
pub struct MissingSecret {
    /// The field naming it, e.g. `spec.auth.clientCredentials.clientSecretRef`.
    pub field: &'static str,
    /// The Secret key.
    pub key: SecretKey,
}

/// The Secret key a reference names.
pub fn secret_key(r: &NamespacedSecretRef) -> SecretKey {
    SecretKey {
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        key: r.key.clone(),
    }
}

fn describe(r: &NamespacedSecretRef) -> String {
    format!("Secret {}/{} key {}", r.namespace, r.name, r.key)
}

/// Connects `connection` with the built-in providers: the one `from_connection` of the CLI
/// and the controller.
pub fn from_connection(connection: &Connection) -> Result<PortalClient, PortalError> {
    Providers::default().connect(connection)
}
