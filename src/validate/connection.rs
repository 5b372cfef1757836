//! Rules of a PortalConnection: an http(s) URL, each portal once, sane limits.

use super::rule;
use super::subject::{Subject, shown};
use super::syntax;
use super::values;
use crate::api::Problem;
use crate::api::{ConnectionApi, PortalConnectionSpec};

/// Checks one PortalConnection's spec.
pub fn check(s: &Subject, c: &PortalConnectionSpec, out: &mut Vec<Problem>) {
    if c.api == ConnectionApi::Manual {
        // A person does the work: nothing to reach, nothing to authenticate with.
        if !c.url.is_empty() || c.auth.is_some() || c.credentials_secret_ref.is_some() {
            out.push(s.error(
                "spec.api",
                rule::CONNECTION_AUTH,
                "api manual sends nothing to a portal (a person does the work from work orders): remove spec.url, spec.auth and spec.credentialsSecretRef",
            ));
        }
    } else if c.url.is_empty() {
        out.push(s.error(
            "spec.url",
            rule::CONNECTION_URL,
            "spec.url is required: the base URL of the portal API (only api manual has none)",
        ));
    } else if !syntax::is_http_url(&c.url) {
        out.push(s.error(
            "spec.url",
            rule::CONNECTION_URL,
            format!(
                "URL {} is not an http:// or https:// URL with a host: write the portal contract's base URL, e.g. https://portal.example.net",
                shown(&c.url)
            ),
        ));
    }
    if let Err(why) = c.attest_every() {
        out.push(s.error("spec.attestEvery", rule::CONNECTION_ATTEST, why));
    } else if c.attest_every.is_some() && c.api != ConnectionApi::Manual {
        out.push(s.error(
            "spec.attestEvery",
            rule::CONNECTION_ATTEST,
            "spec.attestEvery is for api manual only (other APIs are observed, not attested): remove it",
        ));
    }
    values::length(s, "spec.url", &c.url, 2048, "the URL", out);
    auth(s, c, out);
    for (i, d) in c.delegates.iter().enumerate() {
        if d.name == s.name {
            out.push(s.error(
                format!("spec.delegates[{i}].name"),
                rule::CONNECTION_AUTH,
                "a PortalConnection cannot delegate to itself: remove its own name from spec.delegates",
            ));
        }
    }
    values::distinct_small(s, "spec.portals", &c.portals, out);
    for (field, r) in c.secret_refs() {
        values::text(
            s,
            super::subject::Field::from(field).member("namespace"),
            &r.namespace,
            63,
            "the Secret's namespace",
            out,
        );
        values::text(
            s,
            super::subject::Field::from(field).member("name"),
            &r.name,
            253,
            "the Secret's name",
            out,
        );
        values::text(
            s,
            super::subject::Field::from(field).member("key"),
            &r.key,
            253,
            "the Secret's key",
            out,
        );
    }
    let limits = [
        ("spec.timeoutSeconds", c.timeout_seconds, 300),
        (
            "spec.rateLimit.requestsPerSecond",
            c.rate_limit.requests_per_second,
            10_000,
        ),
        ("spec.rateLimit.burst", c.rate_limit.burst, 10_000),
        (
            "spec.rateLimit.maxConcurrency",
            c.rate_limit.max_concurrency,
            256,
        ),
    ];
    for (field, value, max) in limits {
        if !(1..=max).contains(&value) {
            out.push(s.error(
                field,
                rule::RANGE,
                format!("{value} is outside 1..{max}: set a value in that range"),
            ));
        }
    }
}

/// The auth each API takes (the CRD's CEL rules, for input that never meets an API server).
fn auth(s: &Subject, c: &PortalConnectionSpec, out: &mut Vec<Problem>) {
    let mut problem = |field: &str, message: &str| {
        out.push(s.error(field, rule::CONNECTION_AUTH, message.to_owned()));
    };
    let api = c.api;
    let flows = c.auth.as_ref().map(|a| {
        [
            a.client_credentials.is_some(),
            a.refresh_token.is_some(),
            a.password.is_some(),
            a.api_key.is_some(),
        ]
    });
    if let Some(flows) = flows
        && flows.iter().filter(|f| **f).count() != 1
    {
        problem(
            "spec.auth",
            "set exactly one of auth.clientCredentials, auth.refreshToken, auth.password and auth.apiKey",
        );
    }
    let [oauth_cc, oauth_rt, password, api_key] = flows.unwrap_or_default();
    if c.auth.is_some() && c.credentials_secret_ref.is_some() {
        problem(
            "spec.auth",
            "set spec.credentialsSecretRef (a bearer token) or spec.auth, not both",
        );
    }
    if c.credentials_secret_ref.is_some() && api != ConnectionApi::Contract {
        problem(
            "spec.credentialsSecretRef",
            "spec.credentialsSecretRef (a static bearer token) is for api contract only; vendor APIs authenticate with spec.auth",
        );
    }
    match api {
        ConnectionApi::PartnerCenter | ConnectionApi::Graph if !(oauth_cc || oauth_rt) => problem(
            "spec.auth",
            "api partnerCenter and graph authenticate with OAuth2: set spec.auth.clientCredentials or spec.auth.refreshToken",
        ),
        ConnectionApi::ConnectToTeams | ConnectionApi::CloudLink if !password => problem(
            "spec.auth",
            "api connectToTeams and cloudLink authenticate with a password grant: set spec.auth.password",
        ),
        ConnectionApi::CampaignRegistry if !api_key => problem(
            "spec.auth",
            "api campaignRegistry authenticates with an API key and secret: set spec.auth.apiKey",
        ),
        _ => {}
    }
    if api_key && api != ConnectionApi::CampaignRegistry {
        problem(
            "spec.auth.apiKey",
            "spec.auth.apiKey (HTTP Basic) is for api campaignRegistry only",
        );
    }
    let Some(a) = &c.auth else { return };
    if api == ConnectionApi::CloudLink
        && a.password.as_ref().is_some_and(|p| p.account_id.is_none())
    {
        problem(
            "spec.auth.password.accountId",
            "api cloudLink needs spec.auth.password.accountId (its token request carries account_id)",
        );
    }
    let urls = [
        a.client_credentials
            .as_ref()
            .map(|g| ("spec.auth.clientCredentials.tokenUrl", &g.token_url)),
        a.refresh_token
            .as_ref()
            .map(|g| ("spec.auth.refreshToken.tokenUrl", &g.token_url)),
        a.password
            .as_ref()
            .map(|g| ("spec.auth.password.tokenUrl", &g.token_url)),
    ];
    for (field, url) in urls.into_iter().flatten() {
        if !syntax::is_http_url(url) {
            problem(
                field,
                &format!(
                    "token URL {} is not an http:// or https:// URL with a host: write the identity endpoint, e.g. https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
                    shown(url)
                ),
            );
        }
    }
    let audiences = [
        a.client_credentials.as_ref().map(|g| {
            (
                "spec.auth.clientCredentials",
                g.scope.is_some() && g.resource.is_some(),
            )
        }),
        a.refresh_token.as_ref().map(|g| {
            (
                "spec.auth.refreshToken",
                g.scope.is_some() && g.resource.is_some(),
            )
        }),
    ];
    for (field, both) in audiences.into_iter().flatten() {
        if both {
            problem(
                field,
                "set scope (v2.0 endpoint) or resource (v1 endpoint), not both",
            );
        }
    }
    if let Some(p) = &a.password
        && p.client_secret_ref.is_some()
        && p.client_id.is_none()
    {
        problem(
            "spec.auth.password.clientId",
            "password.clientSecretRef needs password.clientId",
        );
    }
}
