//! Rules of a PortalConnection: an http(s) URL, each portal once, sane limits.

use super::rule;
use super::subject::{Subject, shown};
use super::syntax;
use super::values;
use crate::api::PortalConnectionSpec;
use crate::api::Problem;

/// Checks one PortalConnection's spec.
pub fn check(s: &Subject, c: &PortalConnectionSpec, out: &mut Vec<Problem>) {
    if !syntax::is_http_url(&c.url) {
        out.push(s.error(
            "spec.url",
            rule::CONNECTION_URL,
            format!(
                "URL {} is not an http:// or https:// URL with a host: write the portal contract's base URL, e.g. https://portal.example.net",
                shown(&c.url)
            ),
        ));
    }
    values::length(s, "spec.url", &c.url, 2048, "the URL", out);
    values::distinct_small(s, "spec.portals", &c.portals, out);
    if let Some(r) = &c.credentials_secret_ref {
        values::text(
            s,
            "spec.credentialsSecretRef.namespace",
            &r.namespace,
            63,
            "the Secret's namespace",
            out,
        );
        values::text(
            s,
            "spec.credentialsSecretRef.name",
            &r.name,
            253,
            "the Secret's name",
            out,
        );
        values::text(
            s,
            "spec.credentialsSecretRef.key",
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
