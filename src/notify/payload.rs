//! Payloads per sink format, and the HMAC signature of a delivery.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Event;
use crate::api::{EventType, SinkFormat};

/// The header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub const SIGNATURE_HEADER: &str = "X-Tenantry-Signature";

/// The body `format` gets for `event`.
pub fn payload(format: SinkFormat, event: &Event) -> Value {
    match format {
        SinkFormat::Generic => json!({
            "source": "tenantry",
            "event": event,
        }),
        // Slack's and Teams' incoming webhooks both take a `text` field (Markdown-ish).
        SinkFormat::Chat => json!({
            "text": format!(
                "*tenantry {}*: `{}`\n{}: {}{}",
                title(event.kind),
                event.address,
                event.reason,
                event.message,
                event
                    .declared_by
                    .as_ref()
                    .map(|d| format!("\n(declared by {d})"))
                    .unwrap_or_default(),
            ),
        }),
        // ConnectWise Manage's service ticket fields (Autotask maps title/description the
        // same way); `externalXRef` carries the event id for the PSA's own deduplication.
        SinkFormat::Ticket => {
            let summary: String = format!(
                "tenantry {}: {} {}",
                title(event.kind),
                event.reason,
                event.address
            )
            .chars()
            .take(100)
            .collect();
            json!({
                "summary": summary,
                "initialDescription": format!(
                    "{}\n\nObject: {}\nTenant: {}\nDeclared by: {}\nEvent id: {}",
                    event.message,
                    event.address,
                    event.tenant.as_deref().unwrap_or("-"),
                    event.declared_by.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string),
                    event.id,
                ),
                "externalXRef": event.id,
                "priority": {"name": priority(event.kind)},
                "source": {"name": "tenantry"},
            })
        }
    }
}

fn title(kind: EventType) -> &'static str {
    match kind {
        EventType::WorkOrder => "work order",
        EventType::Waiting => "waiting",
        EventType::Failed => "failure",
        EventType::Drift => "drift",
    }
}

fn priority(kind: EventType) -> &'static str {
    match kind {
        EventType::Failed => "Priority 2 - Quick Response",
        EventType::WorkOrder | EventType::Drift => "Priority 3 - Normal Response",
        EventType::Waiting => "Priority 4 - Schedule Maintenance",
    }
}

/// `sha256=<hex>` of `"<timestamp>.<body>"` under `key`: the receiver recomputes it to know
/// the delivery is tenantry's and was not replayed from long ago.
pub fn signature(key: &[u8], timestamp: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={:x}", mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event::new(
            EventType::Failed,
            "daas/azure-ad/customers/kenton-aad".into(),
            "DomainUnavailable".into(),
            "kenton.onmicrosoft.com is taken; declare another name".into(),
            "x",
        )
    }

    #[test]
    fn each_format_carries_the_event_id_and_reason() {
        let e = event();
        let generic = payload(SinkFormat::Generic, &e);
        assert_eq!(generic["event"]["id"], e.id.as_str());
        assert_eq!(generic["event"]["type"], "Failed");
        let chat = payload(SinkFormat::Chat, &e);
        let text = chat["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("DomainUnavailable") && text.contains("failure"),
            "{text}"
        );
        let ticket = payload(SinkFormat::Ticket, &e);
        assert_eq!(ticket["externalXRef"], e.id.as_str());
        assert!(
            ticket["summary"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .count()
                <= 100
        );
    }

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(b"key").unwrap_or_else(|_| unreachable!());
        mac.update(b"1700000000.{\"a\":1}");
        let want = format!("sha256={:x}", mac.finalize().into_bytes());
        assert_eq!(signature(b"key", 1_700_000_000, br#"{"a":1}"#), want);
        let a = signature(b"k", 1, b"{}");
        assert_eq!(a.len(), "sha256=".len() + 64);
        assert_ne!(a, signature(b"k", 2, b"{}"), "the timestamp is signed");
        assert_ne!(a, signature(b"k", 1, b"{ }"), "the body is signed");
        assert_ne!(a, signature(b"other", 1, b"{}"));
    }
}
