//! `PortalConnection`: where a portal is and how to authenticate (cluster-scoped).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{NamespacedSecretRef, Portal};

/// Endpoint and credentials of a portal API, like Crossplane's ProviderConfig.
#[expect(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) entries repeat `type_ = \"string\"` by design"
)]
#[derive(CustomResource, JsonSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct PortalConnectionSpec {
    /// The API spoken at `url`: `contract` (tenantry's portal contract, the default).
    #[serde(default, skip_serializing_if = "ConnectionApi::is_default")]
    pub api: ConnectionApi,
    /// Base URL of the portal contract, e.g. https://portal.example.net.
    #[schemars(regex(pattern = "^https?://[^\\s]+$"), length(max = 2048))]
    pub url: String,
    /// Portals served at this URL; all five when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5), extend("x-kubernetes-list-type" = "set"))]
    pub portals: Vec<Portal>,
    /// Secret holding the API token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<NamespacedSecretRef>,
    /// Request budget shared by every reconciler and the CLI.
    #[serde(default)]
    pub rate_limit: RateLimit,
    /// Per-request timeout in seconds.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 300), extend("format" = "int32"))]
    pub timeout_seconds: u32,
}

/// The wire API a PortalConnection speaks; it picks the provider that serves the connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConnectionApi {
    /// tenantry's portal contract (openapi/portal.yaml), spoken by the sandbox.
    #[default]
    Contract,
}

impl ConnectionApi {
    /// True for the default, which manifests may leave out.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
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
    pub conditions: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
}
