//! Issue 15 step 1, the connection side of the provider seam: OAuth2 against the sandbox's
//! identity endpoint (CLI and in-process client), APIs without an adapter, and routing of
//! portals to several connections.

mod auth;
mod routing;

use std::path::Path;

/// A Secret manifest holding one key.
pub fn secret_manifest(namespace: &str, name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {namespace}}}\n\
         type: Opaque\nstringData:\n  {key}: \"{value}\"\n"
    )
}

/// Writes `text` to `path`.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The PortalConnection `name` at `url` authenticating with client credentials at the
/// sandbox's v2.0 token endpoint, plus its client-secret Secret.
pub fn oauth_connection(name: &str, url: &str, extra: &str, client_secret: &str) -> String {
    format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: {name}}}\n\
         spec:\n  url: {url}\n{extra}  auth:\n    clientCredentials:\n      tokenUrl: {url}/contoso.onmicrosoft.com/oauth2/v2.0/token\n\
         \x20     clientId: tenantry-app\n      clientSecretRef: {{namespace: tenantry-system, name: {name}-app, key: clientSecret}}\n\
         \x20     scope: api://tenantry/.default\n---\n{}",
        secret_manifest(
            "tenantry-system",
            &format!("{name}-app"),
            "clientSecret",
            client_secret
        )
    )
}
