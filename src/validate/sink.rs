//! Rules of a NotificationSink: one URL (inline or from a Secret), http(s), sane references.

use super::rule;
use super::subject::Subject;
use super::syntax;
use super::values;
use crate::api::{NotificationSinkSpec, Problem, shown};

/// Checks one NotificationSink's spec (the same rule as its CRD's CEL).
pub fn check(s: &Subject, sink: &NotificationSinkSpec, out: &mut Vec<Problem>) {
    match (&sink.url, &sink.url_secret_ref) {
        (Some(_), Some(_)) | (None, None) => out.push(s.error(
            "spec.url",
            rule::SINK_URL,
            "set spec.url or spec.urlSecretRef (for a webhook URL that carries its own secret, as Slack's and Teams' do), exactly one",
        )),
        (Some(url), None) => {
            if !syntax::is_http_url(url) {
                out.push(s.error(
                    "spec.url",
                    rule::SINK_URL,
                    format!(
                        "URL {} is not an http:// or https:// URL with a host: write the webhook's URL, e.g. https://psa.example.net/hooks/tenantry",
                        shown(url)
                    ),
                ));
            }
            values::length(s, "spec.url", url, 2048, "the URL", out);
        }
        (None, Some(_)) => {}
    }
}
