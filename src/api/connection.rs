//! `PortalConnection`: where a portal is and how to authenticate (cluster-scoped).

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::auth::ConnectionAuth;
use super::common::{NamespacedSecretRef, Portal};

/// Endpoint and credentials of a portal API, like Crossplane's ProviderConfig.
#[expect(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) entries repeat `type_ = \"string\"` by design"
)]
#[derive(CustomResource, KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "tenantry.dev",
    version = "v1alpha1",
    kind = "PortalConnection",
    doc = "Endpoint and credentials of a portal API (cluster-scoped).",
    status = "ConnectionStatus",
    shortname = "pconn",
    category = "tenantry",
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
    printcolumn(
        name = "Portals",
        type_ = "string",
        json_path = ".spec.portals",
        priority = 1
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("has(self.url) || (has(self.api) && self.api == 'manual')").message("spec.url is required: the base URL of the portal API (only api manual has none)").field_path(".url"),
    validation = Rule::new("!has(self.api) || self.api != 'manual' || (!has(self.url) && !has(self.auth) && !has(self.credentialsSecretRef))").message("api manual sends nothing to a portal (a person does the work from work orders): remove spec.url, spec.auth and spec.credentialsSecretRef"),
    validation = Rule::new("!(has(self.auth) && has(self.credentialsSecretRef))").message("set spec.credentialsSecretRef (a bearer token) or spec.auth, not both"),
    validation = Rule::new("!has(self.credentialsSecretRef) || !has(self.api) || self.api == 'contract'").message("spec.credentialsSecretRef (a static bearer token) is for api contract only; vendor APIs authenticate with spec.auth"),
    validation = Rule::new("!has(self.api) || !(self.api in ['partnerCenter', 'graph']) || (has(self.auth) && (has(self.auth.clientCredentials) || has(self.auth.refreshToken)))").message("api partnerCenter and graph authenticate with OAuth2: set spec.auth.clientCredentials or spec.auth.refreshToken").field_path(".auth"),
    validation = Rule::new("!has(self.api) || !(self.api in ['connectToTeams', 'cloudLink']) || (has(self.auth) && has(self.auth.password))").message("api connectToTeams and cloudLink authenticate with a password grant: set spec.auth.password").field_path(".auth"),
    validation = Rule::new("!has(self.api) || self.api != 'cloudLink' || !has(self.auth) || !has(self.auth.password) || has(self.auth.password.accountId)").message("api cloudLink needs spec.auth.password.accountId (its token request carries account_id)").field_path(".auth"),
    validation = Rule::new("!has(self.api) || self.api != 'campaignRegistry' || (has(self.auth) && has(self.auth.apiKey))").message("api campaignRegistry authenticates with an API key and secret: set spec.auth.apiKey").field_path(".auth"),
    validation = Rule::new("!has(self.auth) || !has(self.auth.apiKey) || (has(self.api) && self.api == 'campaignRegistry')").message("spec.auth.apiKey (HTTP Basic) is for api campaignRegistry only").field_path(".auth"),
    validation = Rule::new("!has(self.attestEvery) || (has(self.api) && self.api == 'manual')").message("spec.attestEvery is for api manual only (other APIs are observed, not attested): remove it").field_path(".attestEvery"),
)]
pub struct PortalConnectionSpec {
    /// The API spoken at `url`: `contract` (tenantry's portal contract, the default), `partnerCenter`, `graph`, `connectToTeams`, `cloudLink`, `campaignRegistry`, or `manual` (work orders for a person; no URL, no credentials).
    #[serde(default, skip_serializing_if = "ConnectionApi::is_default")]
    pub api: ConnectionApi,
    /// Base URL of the API, e.g. https://portal.example.net; required unless api is manual.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(regex(pattern = "^https?://[^\\s]+$"), length(max = 2048))]
    pub url: String,
    /// Portals served at this URL; all five when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5), extend("x-kubernetes-list-type" = "set"))]
    pub portals: Vec<Portal>,
    /// Secret holding a static bearer token (api contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<NamespacedSecretRef>,
    /// How to get a token (OAuth2) or sign requests (API key); credentials in Secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Boxed: most connections have none, and every Declared holds its connections inline.
    pub auth: Option<Box<ConnectionAuth>>,
    /// Other PortalConnections serving what this one does not, tried in order: a Tenant naming this connection reaches them too (one level).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 8),
        extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"])
    )]
    pub delegates: Vec<ConnectionRef>,
    /// Request budget shared by every reconciler and the CLI.
    #[serde(default)]
    pub rate_limit: RateLimit,
    /// Per-request timeout in seconds.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 300), extend("format" = "int32"))]
    pub timeout_seconds: u32,
    /// api manual: how long a confirmed record holds before an Attest work order asks a person to check the portal still matches it: days, hours or minutes (`90d`, the default; `12h`), or `never` (also `0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^(never|0|[1-9][0-9]{0,5}[dhm])$"), length(max = 8))]
    pub attest_every: Option<String>,
}

/// A PortalConnection by name (they are cluster-scoped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRef {
    /// Name of the PortalConnection.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// The wire API a PortalConnection speaks; it picks the provider that serves the connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionApi {
    /// tenantry's portal contract (openapi/portal.yaml), spoken by the sandbox.
    #[default]
    Contract,
    /// Microsoft Partner Center REST API (customers, domains, orders, GDAP).
    PartnerCenter,
    /// Microsoft Graph inside a customer tenant (users, licences, domains).
    Graph,
    /// ConnectToTeams / TeamMate reseller API.
    ConnectToTeams,
    /// Mitel CloudLink admin API.
    CloudLink,
    /// The Campaign Registry CSP API (10DLC).
    CampaignRegistry,
    /// No API: every change becomes a work order a person performs and confirms
    /// (docs/manual-steps.md).
    Manual,
}

impl ConnectionApi {
    /// Every API, in a fixed order.
    pub const ALL: [ConnectionApi; 7] = [
        Self::Contract,
        Self::PartnerCenter,
        Self::Graph,
        Self::ConnectToTeams,
        Self::CloudLink,
        Self::CampaignRegistry,
        Self::Manual,
    ];

    /// True for the default, which manifests may leave out.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The name used in manifests (`contract`, `partnerCenter`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Contract => "contract",
            Self::PartnerCenter => "partnerCenter",
            Self::Graph => "graph",
            Self::ConnectToTeams => "connectToTeams",
            Self::CloudLink => "cloudLink",
            Self::CampaignRegistry => "campaignRegistry",
            Self::Manual => "manual",
        }
    }

    /// The portals whose objects this API can serve when `spec.portals` is empty.
    pub fn default_portals(self) -> &'static [Portal] {
        match self {
            Self::Contract | Self::Manual => &Portal::ALL,
            Self::PartnerCenter | Self::Graph => &[Portal::Daas],
            Self::ConnectToTeams => &[Portal::TeamMate],
            Self::CloudLink => &[Portal::CloudLink],
            Self::CampaignRegistry => &[Portal::Apps],
        }
    }
}

impl ConnectionApi {
    /// The kinds (`portal/kind`) a vendor API implements; `None` for a generic API (the
    /// contract, manual) that implements every kind of the portals it serves.
    pub fn kinds(self) -> Option<&'static [&'static str]> {
        match self {
            Self::Contract | Self::Manual => None,
            Self::PartnerCenter => Some(&["daas/azure-ad", "daas/microsoft-online"]),
            Self::Graph => Some(&["daas/admins", "daas/admin-relationships"]),
            Self::ConnectToTeams => Some(&["teammate/enterprises"]),
            Self::CloudLink => Some(&["cloudlink/accounts", "cloudlink/gateways"]),
            Self::CampaignRegistry => Some(&["apps/campaigns"]),
        }
    }

    /// True when this API implements objects of `portal`'s `kind` (generic APIs: all).
    pub fn implements(self, portal: Portal, kind: &str) -> bool {
        self.kinds().is_none_or(|kinds| {
            kinds.iter().any(|k| {
                k.split_once('/')
                    .is_some_and(|(p, n)| p == portal.id() && n == kind)
            })
        })
    }
}

impl std::fmt::Display for ConnectionApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PortalConnectionSpec {
    /// `spec.attestEvery` as a duration (the 90-day default when absent; none: never), or
    /// the reason it is not one.
    pub fn attest_every(&self) -> Result<Option<jiff::SignedDuration>, String> {
        let Some(text) = self.attest_every.as_deref().map(str::trim) else {
            return Ok(Some(crate::portal::manual::DEFAULT_ATTEST_EVERY));
        };
        if text == "never" || text == "0" {
            return Ok(None);
        }
        let unit = text.chars().last().unwrap_or(' ');
        let count: Option<i64> = text[..text.len() - unit.len_utf8().min(text.len())]
            .parse()
            .ok()
            .filter(|n| (1..=999_999).contains(n));
        let seconds = match unit {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            _ => 0,
        };
        match count {
            Some(n) if seconds > 0 => Ok(Some(jiff::SignedDuration::from_secs(n * seconds))),
            _ => Err(format!(
                "attestEvery {text:?} is not a duration: write days, hours or minutes (90d, 12h, 30m), or never"
            )),
        }
    }

    /// The portals this connection serves: `spec.portals`, else its API's default portals.
    pub fn served_portals(&self) -> Vec<Portal> {
        if self.portals.is_empty() {
            self.api.default_portals().to_vec()
        } else {
            self.portals.clone()
        }
    }

    /// Every Secret key the connection reads (bearer token or `spec.auth`), with its field.
    pub fn secret_refs(&self) -> Vec<(&'static str, &NamespacedSecretRef)> {
        let mut out = Vec::new();
        if let Some(r) = &self.credentials_secret_ref {
            out.push(("spec.credentialsSecretRef", r));
        }
        if let Some(auth) = &self.auth {
            out.extend(auth.secret_refs());
        }
        out
    }
}

fn default_timeout() -> u32 {
    30
}

/// A token bucket and a concurrency cap for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second.
    #[serde(default = "default_rps")]
    #[schemars(range(min = 1, max = 10000), extend("format" = "int32"))]
    pub requests_per_second: u32,
    /// Burst above the sustained rate.
    #[serde(default = "default_burst")]
    #[schemars(range(min = 1, max = 10000), extend("format" = "int32"))]
    pub burst: u32,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    #[schemars(range(min = 1, max = 256), extend("format" = "int32"))]
    pub max_concurrency: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests_per_second: default_rps(),
            burst: default_burst(),
            max_concurrency: default_concurrency(),
        }
    }
}

fn default_rps() -> u32 {
    20
}
fn default_burst() -> u32 {
    40
}
fn default_concurrency() -> u32 {
    8
}

/// Observed state of a PortalConnection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatus {
    /// Ready: the portal answered with these credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<super::Condition>,
}
