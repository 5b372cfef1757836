//! Delivery: each event a sink wants, POSTed with its id as the idempotency key, signed,
//! retried with backoff on 5xx, 408, 429 and network errors; accepted ids go to the outbox.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::payload::{SIGNATURE_HEADER, payload, signature};
use super::{Event, Outbox};
use crate::api::{
    EventType, NotificationSink, NotificationSinkSpec, SecretKey, Sensitive, SinkFormat,
};

/// Delivery attempts per event before it is reported as not delivered.
const ATTEMPTS: u32 = 6;
/// First wait between attempts; doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between attempts, `Retry-After` included.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// A sink ready to deliver: its URL and key read from their Secrets.
#[derive(Clone)]
pub struct Sink {
    /// The NotificationSink's name (the only way it is named in messages).
    pub name: String,
    url: Sensitive,
    format: SinkFormat,
    key: Option<Sensitive>,
    spec: NotificationSinkSpec,
}

/// A NotificationSink whose Secret is not available.
#[derive(Debug, Clone, thiserror::Error)]
#[error("NotificationSink {sink}: {field} names Secret {}/{} key {}, which is not available", .key.namespace, .key.name, .key.key)]
pub struct SinkSetupError {
    /// The sink.
    pub sink: String,
    /// The field naming the Secret.
    pub field: &'static str,
    /// The Secret key.
    pub key: SecretKey,
}

impl Sink {
    /// The sink `resource` describes, with its Secrets taken from `secrets`.
    pub fn resolve(
        resource: &NotificationSink,
        secrets: &BTreeMap<SecretKey, Sensitive>,
    ) -> Result<Self, SinkSetupError> {
        let name = resource.metadata.name.clone().unwrap_or_default();
        let spec = resource.spec.clone();
        let get = |field: &'static str, r: &crate::api::NamespacedSecretRef| {
            let key = crate::portal::secret_key(r);
            secrets.get(&key).cloned().ok_or(SinkSetupError {
                sink: name.clone(),
                field,
                key,
            })
        };
        let url = match (&spec.url, &spec.url_secret_ref) {
            (_, Some(r)) => get("spec.urlSecretRef", r)?,
            (Some(url), None) => Sensitive::new(url.clone()),
            // The CRD and validate refuse a sink with neither; an empty URL fails to send.
            (None, None) => Sensitive::new(String::new()),
        };
        let key = match &spec.signing_secret_ref {
            Some(r) => Some(get("spec.signingSecretRef", r)?),
            None => None,
        };
        Ok(Self {
            name,
            url,
            format: spec.format,
            key,
            spec,
        })
    }

    /// True when the sink takes events of `kind`.
    pub fn wants(&self, kind: EventType) -> bool {
        self.spec.wants(kind)
    }

    /// Seconds a wait must last before the sink is told (`waitingAfterMinutes`).
    pub fn waiting_after_secs(&self) -> u64 {
        u64::from(self.spec.waiting_after_minutes) * 60
    }
}

/// Why one delivery failed, without the URL or the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The receiver's last HTTP status, when it answered.
    pub status: Option<u16>,
    /// What happened, e.g. `HTTP 503 Service Unavailable after 6 attempt(s)`.
    pub why: String,
}

/// The HTTP client deliveries use (timeout, user agent); `Err` says why, without a URL.
pub fn client() -> Result<reqwest::Client, String> {
    // The controller's notifications task may build this before any portal client.
    crate::portal::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("tenantry/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))
}

/// What one delivery pass did.
#[derive(Debug, Default)]
pub struct Delivered {
    /// `(sink, event id)` accepted in this pass.
    pub sent: Vec<(String, String)>,
    /// Events held back: already accepted earlier, or a wait younger than the threshold.
    pub held: usize,
    /// Deliveries that failed after every attempt (the next pass tries them again).
    pub failed: Vec<DeliveryError>,
}

/// A delivery that did not succeed; names the sink and event, never the URL.
#[derive(Debug, Clone, thiserror::Error)]
#[error("NotificationSink {sink}: event {event} ({kind}) not delivered: {why}")]
pub struct DeliveryError {
    /// The sink.
    pub sink: String,
    /// The event id.
    pub event: String,
    /// The event type.
    pub kind: &'static str,
    /// Why, without the URL.
    pub why: String,
}

/// Sends each event each sink wants and has not accepted yet; waits only once they have
/// lasted the sink's `waitingAfterMinutes` (as recorded in `outbox` at `now`, Unix seconds).
pub async fn deliver(sinks: &[Sink], events: &[Event], outbox: &mut Outbox, now: u64) -> Delivered {
    let mut out = Delivered::default();
    let mut unique: Vec<&Event> = Vec::new();
    for e in events {
        if !unique.iter().any(|u| u.id == e.id) {
            unique.push(e);
        }
    }
    let waits: BTreeSet<String> = unique
        .iter()
        .filter(|e| e.kind == EventType::Waiting)
        .map(|e| e.id.clone())
        .collect();
    let ages = outbox.waits(&waits, now);
    let client = match client() {
        Ok(client) => client,
        Err(e) => {
            for sink in sinks {
                for event in &unique {
                    out.failed.push(error(sink, event, e.clone()));
                }
            }
            return out;
        }
    };
    for sink in sinks {
        for event in &unique {
            let young = event.kind == EventType::Waiting
                && ages.get(&event.id).copied().unwrap_or(0)
                    < u64::from(sink.spec.waiting_after_minutes) * 60;
            if !sink.spec.wants(event.kind) || young || outbox.delivered(&sink.name, &event.id) {
                out.held += 1;
                continue;
            }
            match send(&client, sink, event, now).await {
                Ok(()) => {
                    outbox.record(&sink.name, &event.id);
                    out.sent.push((sink.name.clone(), event.id.clone()));
                }
                Err(failure) => out.failed.push(error(sink, event, failure.why)),
            }
        }
    }
    out
}

fn error(sink: &Sink, event: &Event, why: String) -> DeliveryError {
    DeliveryError {
        sink: sink.name.clone(),
        event: event.id.clone(),
        kind: event.kind.name(),
        why,
    }
}

/// One event to one sink (the CLI's and the controller's path), signed, with retries; `Err`
/// says why, without the URL.
pub async fn send(
    client: &reqwest::Client,
    sink: &Sink,
    event: &Event,
    now: u64,
) -> Result<(), SendFailure> {
    let body = serde_json::to_vec(&payload(sink.format, event)).map_err(|e| SendFailure {
        status: None,
        why: e.to_string(),
    })?;
    let mut backoff = FIRST_BACKOFF;
    let mut last = String::new();
    let mut last_status = None;
    for attempt in 1..=ATTEMPTS {
        let mut request = client
            .post(sink.url.expose())
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", &event.id)
            .header("X-Tenantry-Event-Id", &event.id)
            .header("X-Tenantry-Event", event.kind.name())
            .header("X-Tenantry-Timestamp", now.to_string());
        if let Some(key) = &sink.key {
            request = request.header(
                SIGNATURE_HEADER,
                signature(key.expose().as_bytes(), now, &body),
            );
        }
        let wait = match request.body(body.clone()).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => {
                let status = response.status();
                last_status = Some(status.as_u16());
                last = format!("HTTP {status} after {attempt} attempt(s)");
                let retryable = status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    || status == reqwest::StatusCode::REQUEST_TIMEOUT;
                if !retryable {
                    return Err(SendFailure {
                        status: last_status,
                        why: format!(
                            "{last}: the receiver refused the payload; check the sink's format and the receiver's configuration"
                        ),
                    });
                }
                retry_after(&response).unwrap_or(backoff)
            }
            // reqwest's error text includes the URL, which may be a credential: keep its kind.
            Err(e) => {
                last_status = None;
                last = format!(
                    "{} after {attempt} attempt(s)",
                    if e.is_timeout() {
                        "timed out"
                    } else if e.is_connect() {
                        "could not connect"
                    } else {
                        "the request failed"
                    }
                );
                backoff
            }
        };
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait.min(MAX_BACKOFF)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
    Err(SendFailure {
        status: last_status,
        why: last,
    })
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    value
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
