//! How a PortalConnection authenticates: the `spec.auth` block. Every credential lives in a
//! Secret (never inline); the portal layer turns these into tokens (`portal::auth`).

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::NamespacedSecretRef;

/// One way to authenticate; set exactly one block.
#[derive(KubeSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("[has(self.clientCredentials), has(self.refreshToken), has(self.password), has(self.apiKey)].filter(x, x).size() == 1").message("set exactly one of auth.clientCredentials, auth.refreshToken, auth.password and auth.apiKey"),
)]
pub struct ConnectionAuth {
    /// OAuth2 client credentials (app-only token: Partner Center App, Graph, an OAuth2-protected contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_credentials: Option<ClientCredentials>,
    /// OAuth2 refresh token (Partner Center's Secure Application Model, App+User).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenGrant>,
    /// OAuth2 password grant (ConnectToTeams with Basic client auth, CloudLink with account_id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordGrant>,
    /// API key and secret sent as HTTP Basic (The Campaign Registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
}

/// `grant_type=client_credentials`, the client secret in the form body.
#[derive(KubeSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("!(has(self.scope) && has(self.resource))").message("set scope (v2.0 endpoint) or resource (v1 endpoint), not both"),
)]
pub struct ClientCredentials {
    /// Token endpoint, e.g. https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token.
    #[schemars(regex(pattern = "^https?://[^\\s]+$"), length(max = 2048))]
    pub token_url: String,
    /// The application (client) id.
    #[schemars(length(min = 1, max = 256))]
    pub client_id: String,
    /// Secret holding the client secret.
    pub client_secret_ref: NamespacedSecretRef,
    /// OAuth2 scope, e.g. https://graph.microsoft.com/.default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub scope: Option<String>,
    /// AAD v1 resource, e.g. https://api.partnercenter.microsoft.com.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub resource: Option<String>,
}

/// `grant_type=refresh_token`: a refresh token obtained once, interactively, kept in a Secret.
#[derive(KubeSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("!(has(self.scope) && has(self.resource))").message("set scope (v2.0 endpoint) or resource (v1 endpoint), not both"),
)]
pub struct RefreshTokenGrant {
    /// Token endpoint of the partner tenant.
    #[schemars(regex(pattern = "^https?://[^\\s]+$"), length(max = 2048))]
    pub token_url: String,
    /// The application (client) id.
    #[schemars(length(min = 1, max = 256))]
    pub client_id: String,
    /// Secret holding the client secret (confidential clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_ref: Option<NamespacedSecretRef>,
    /// Secret holding the refresh token.
    pub refresh_token_ref: NamespacedSecretRef,
    /// OAuth2 scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub scope: Option<String>,
    /// AAD v1 resource, e.g. https://api.partnercenter.microsoft.com.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub resource: Option<String>,
}

/// `grant_type=password`; the client id and secret, when given, go as HTTP Basic.
#[derive(KubeSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("!has(self.clientSecretRef) || has(self.clientId)").message("password.clientSecretRef needs password.clientId"),
)]
pub struct PasswordGrant {
    /// Token endpoint, e.g. https://api.connecttoteams.com/oauth/token.
    #[schemars(regex(pattern = "^https?://[^\\s]+$"), length(max = 2048))]
    pub token_url: String,
    /// The API client id (ConnectToTeams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub client_id: Option<String>,
    /// Secret holding the API client secret (ConnectToTeams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_ref: Option<NamespacedSecretRef>,
    /// The API user's name.
    #[schemars(length(min = 1, max = 256))]
    pub username: String,
    /// Secret holding the API user's password.
    pub password_ref: NamespacedSecretRef,
    /// CloudLink account id, sent as the form field `account_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub account_id: Option<String>,
    /// OAuth2 scope, when the API wants one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub scope: Option<String>,
}

/// An API key and secret, sent as `Authorization: Basic base64(key:secret)`.
#[derive(JsonSchema, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKey {
    /// Secret holding the API key.
    pub key_ref: NamespacedSecretRef,
    /// Secret holding the API secret.
    pub secret_ref: NamespacedSecretRef,
}

impl ConnectionAuth {
    /// The name of the flow that is set, as in the manifest (`clientCredentials`, ...).
    pub fn kind(&self) -> &'static str {
        if self.client_credentials.is_some() {
            "clientCredentials"
        } else if self.refresh_token.is_some() {
            "refreshToken"
        } else if self.password.is_some() {
            "password"
        } else if self.api_key.is_some() {
            "apiKey"
        } else {
            "none"
        }
    }

    /// Every Secret key the flow reads, with the field that names it.
    pub fn secret_refs(&self) -> Vec<(&'static str, &NamespacedSecretRef)> {
        let mut out = Vec::new();
        if let Some(c) = &self.client_credentials {
            out.push((
                "spec.auth.clientCredentials.clientSecretRef",
                &c.client_secret_ref,
            ));
        }
        if let Some(r) = &self.refresh_token {
            if let Some(s) = &r.client_secret_ref {
                out.push(("spec.auth.refreshToken.clientSecretRef", s));
            }
            out.push((
                "spec.auth.refreshToken.refreshTokenRef",
                &r.refresh_token_ref,
            ));
        }
        if let Some(p) = &self.password {
            if let Some(s) = &p.client_secret_ref {
                out.push(("spec.auth.password.clientSecretRef", s));
            }
            out.push(("spec.auth.password.passwordRef", &p.password_ref));
        }
        if let Some(k) = &self.api_key {
            out.push(("spec.auth.apiKey.keyRef", &k.key_ref));
            out.push(("spec.auth.apiKey.secretRef", &k.secret_ref));
        }
        out
    }
}
